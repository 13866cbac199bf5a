//! Typed console requests (spec §3.2): verbs, checked builders and wire-line rendering.
//!
//! Every argument is checked against the `cohesix_generated::console` bounds **before**
//! anything is sent, so an out-of-bounds request never reaches the queen. Lines are rendered
//! the way the real clients do: uppercase verb, single spaces, no line terminator:
//!
//! ```text
//! AUTH <token>            ATTACH <role> <ticket>   ATTACH <role> ␠   (COHSH form: trailing
//! PING HELP BI CAPS MEM TEST NETTEST NETSTATS LOG QUIT               space when no ticket)
//! CACHELOG [n]            TAIL|CAT|LS <path>       ECHO <path> <payload>
//! SPAWN <payload>         KILL <worker-id>
//! ```
//!
//! Secrets never show in `Debug`: the AUTH token and ATTACH ticket print as `<redacted>`.

use core::fmt;

use cohesix_generated::console::{
    MAX_ECHO_LEN, MAX_ID_LEN, MAX_JSON_LEN, MAX_LINE_LEN, MAX_TICKET_LEN,
};

use crate::command::Command;
use crate::frame::copy_prefix;
use crate::path::{validate_path, PathError};
use crate::role::Role;

/// A request argument, named as the server names it in `ERR PARSE` details.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Argument {
    /// AUTH token (client side only).
    Token,
    /// ATTACH role.
    Role,
    /// ATTACH ticket.
    Ticket,
    /// TAIL/CAT/LS/ECHO path.
    Path,
    /// ECHO or SPAWN payload.
    Payload,
    /// KILL worker id.
    Worker,
    /// CACHELOG count.
    Count,
    /// TEST (takes no argument).
    Test,
}

impl Argument {
    /// The argument name as used in `ERR PARSE` detail texts.
    pub const fn as_str(self) -> &'static str {
        match self {
            Argument::Token => "token",
            Argument::Role => "role",
            Argument::Ticket => "ticket",
            Argument::Path => "path",
            Argument::Payload => "payload",
            Argument::Worker => "worker",
            Argument::Count => "count",
            Argument::Test => "test",
        }
    }
}

/// Why a request was refused locally. Nothing was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RequestError {
    /// The AUTH token is empty, too long, has edge whitespace or non-printable bytes.
    InvalidToken,
    /// The ticket is empty, too long (> `MAX_TICKET_LEN`) or holds whitespace/non-printable bytes.
    InvalidTicket,
    /// The path is invalid.
    Path(PathError),
    /// A required argument is empty.
    Empty(Argument),
    /// An argument exceeds its bound.
    TooLong {
        /// Which argument.
        arg: Argument,
        /// Its length in bytes.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// An argument holds a byte outside printable ASCII (or a space where none is allowed).
    InvalidByte {
        /// Which argument.
        arg: Argument,
        /// The offending byte.
        byte: u8,
    },
    /// An argument starts or ends with a space (the server would trim it away).
    EdgeWhitespace(Argument),
    /// The rendered line would exceed `MAX_LINE_LEN`.
    LineTooLong {
        /// Rendered length.
        len: usize,
    },
    /// The output buffer is too small for the rendered line.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
}

impl From<PathError> for RequestError {
    fn from(e: PathError) -> Self {
        RequestError::Path(e)
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::InvalidToken => f.write_str("invalid console token"),
            RequestError::InvalidTicket => f.write_str("invalid ticket"),
            RequestError::Path(e) => write!(f, "invalid path: {e}"),
            RequestError::Empty(a) => write!(f, "argument {} is empty", a.as_str()),
            RequestError::TooLong { arg, len, max } => {
                write!(f, "argument {} is {len} bytes, max {max}", arg.as_str())
            }
            RequestError::InvalidByte { arg, byte } => {
                write!(f, "argument {} holds byte 0x{byte:02x}", arg.as_str())
            }
            RequestError::EdgeWhitespace(a) => {
                write!(f, "argument {} has leading or trailing space", a.as_str())
            }
            RequestError::LineTooLong { len } => {
                write!(f, "line of {len} bytes exceeds {MAX_LINE_LEN}")
            }
            RequestError::BufferTooSmall { needed, available } => {
                write!(f, "line needs {needed} bytes, buffer has {available}")
            }
        }
    }
}

/// A console verb.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Verb {
    /// `AUTH` (transport authentication, pre-session).
    Auth,
    /// `ATTACH`.
    Attach,
    /// `PING`.
    Ping,
    /// `HELP`.
    Help,
    /// `BI` (acks as `BOOTINFO`).
    Bi,
    /// `CAPS`.
    Caps,
    /// `MEM`.
    Mem,
    /// `TEST`.
    Test,
    /// `NETTEST`.
    NetTest,
    /// `NETSTATS`.
    NetStats,
    /// `LOG`.
    Log,
    /// `CACHELOG`.
    CacheLog,
    /// `QUIT`.
    Quit,
    /// `TAIL`.
    Tail,
    /// `CAT`.
    Cat,
    /// `LS`.
    Ls,
    /// `ECHO`.
    Echo,
    /// `SPAWN`.
    Spawn,
    /// `KILL`.
    Kill,
}

/// Every verb.
pub const ALL_VERBS: [Verb; 19] = [
    Verb::Auth,
    Verb::Attach,
    Verb::Ping,
    Verb::Help,
    Verb::Bi,
    Verb::Caps,
    Verb::Mem,
    Verb::Test,
    Verb::NetTest,
    Verb::NetStats,
    Verb::Log,
    Verb::CacheLog,
    Verb::Quit,
    Verb::Tail,
    Verb::Cat,
    Verb::Ls,
    Verb::Echo,
    Verb::Spawn,
    Verb::Kill,
];

impl Verb {
    /// The verb token as sent on the wire (uppercase).
    pub const fn token(self) -> &'static str {
        match self {
            Verb::Auth => "AUTH",
            Verb::Attach => "ATTACH",
            Verb::Ping => "PING",
            Verb::Help => "HELP",
            Verb::Bi => "BI",
            Verb::Caps => "CAPS",
            Verb::Mem => "MEM",
            Verb::Test => "TEST",
            Verb::NetTest => "NETTEST",
            Verb::NetStats => "NETSTATS",
            Verb::Log => "LOG",
            Verb::CacheLog => "CACHELOG",
            Verb::Quit => "QUIT",
            Verb::Tail => "TAIL",
            Verb::Cat => "CAT",
            Verb::Ls => "LS",
            Verb::Echo => "ECHO",
            Verb::Spawn => "SPAWN",
            Verb::Kill => "KILL",
        }
    }

    /// The label of this verb's ACK line (`OK|ERR <LABEL>`); `BI` acks as `BOOTINFO`.
    pub const fn ack_label(self) -> &'static str {
        match self {
            Verb::Bi => "BOOTINFO",
            other => other.token(),
        }
    }

    /// The verb whose ACK carries `label` (exact, uppercase), if any.
    pub fn from_ack_label(label: &str) -> Option<Verb> {
        ALL_VERBS.iter().copied().find(|v| v.ack_label() == label)
    }

    /// Parses a wire verb token, ASCII case-insensitively (`BI`, not `BOOTINFO`).
    pub fn from_token(token: &str) -> Option<Verb> {
        ALL_VERBS
            .iter()
            .copied()
            .find(|v| v.token().eq_ignore_ascii_case(token))
    }

    /// Streams: `OK`, data lines, then `END` (`LS`, `CAT`, `TAIL`, `LOG`).
    pub const fn is_stream(self) -> bool {
        matches!(self, Verb::Ls | Verb::Cat | Verb::Tail | Verb::Log)
    }

    /// Multi-line replies that have no `END` marker (`HELP`, `BI`, `CAPS`, `MEM`, `NETSTATS`,
    /// `CACHELOG`, `NETTEST`): the client can only delimit them by a follow-up `PING`.
    pub const fn is_unterminated_multiline(self) -> bool {
        matches!(
            self,
            Verb::Help
                | Verb::Bi
                | Verb::Caps
                | Verb::Mem
                | Verb::NetStats
                | Verb::CacheLog
                | Verb::NetTest
        )
    }

    /// Reads without server-side effect, safe to re-send after a reconnect.
    ///
    /// `TAIL` is excluded (it advances a per-session cursor), as are `NETTEST` (triggers a
    /// self-test), `TEST`, and every verb that changes state.
    pub const fn is_idempotent_read(self) -> bool {
        matches!(
            self,
            Verb::Ping
                | Verb::Help
                | Verb::Bi
                | Verb::Caps
                | Verb::Mem
                | Verb::NetStats
                | Verb::CacheLog
                | Verb::Log
                | Verb::Cat
                | Verb::Ls
        )
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.token())
    }
}

/// A typed console request. Build with the checked constructors (or check with
/// [`validate`](Request::validate)); [`write_line`](Request::write_line) re-validates.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// `AUTH <token>`.
    Auth {
        /// Console token (secret; redacted in `Debug`).
        token: &'a str,
    },
    /// `ATTACH <role> [<ticket>]`.
    Attach {
        /// Role to attach as.
        role: Role,
        /// Normalised ticket text (secret; redacted in `Debug`).
        ticket: Option<&'a str>,
    },
    /// `PING`.
    Ping,
    /// `HELP`.
    Help,
    /// `BI`.
    Bi,
    /// `CAPS`.
    Caps,
    /// `MEM`.
    Mem,
    /// `TEST`.
    Test,
    /// `NETTEST`.
    NetTest,
    /// `NETSTATS`.
    NetStats,
    /// `LOG`.
    Log,
    /// `CACHELOG [n]`.
    CacheLog {
        /// Lines wanted (server default 64).
        count: Option<u16>,
    },
    /// `QUIT`.
    Quit,
    /// `TAIL <path>`.
    Tail {
        /// Path.
        path: &'a str,
    },
    /// `CAT <path>`.
    Cat {
        /// Path.
        path: &'a str,
    },
    /// `LS <path>`.
    Ls {
        /// Path.
        path: &'a str,
    },
    /// `ECHO <path> <payload>`.
    Echo {
        /// Path.
        path: &'a str,
        /// Payload, 1..=`MAX_ECHO_LEN` bytes.
        payload: &'a str,
    },
    /// `SPAWN <payload>`.
    Spawn {
        /// Payload, 1..=`MAX_JSON_LEN` bytes.
        payload: &'a str,
    },
    /// `KILL <worker-id>`.
    Kill {
        /// Worker id, 1..=`MAX_ID_LEN` bytes.
        worker: &'a str,
    },
}

/// `Debug` of an optional ticket: whether one is present, never its text.
pub(crate) struct RedactedTicket(pub(crate) bool);

impl fmt::Debug for RedactedTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0 { "Some(<redacted>)" } else { "None" })
    }
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Auth { .. } => f
                .debug_struct("Auth")
                .field("token", &format_args!("<redacted>"))
                .finish(),
            Request::Attach { role, ticket } => f
                .debug_struct("Attach")
                .field("role", role)
                .field("ticket", &RedactedTicket(ticket.is_some()))
                .finish(),
            Request::CacheLog { count } => {
                f.debug_struct("CacheLog").field("count", count).finish()
            }
            Request::Tail { path } => f.debug_struct("Tail").field("path", path).finish(),
            Request::Cat { path } => f.debug_struct("Cat").field("path", path).finish(),
            Request::Ls { path } => f.debug_struct("Ls").field("path", path).finish(),
            Request::Echo { path, payload } => f
                .debug_struct("Echo")
                .field("path", path)
                .field("payload", payload)
                .finish(),
            Request::Spawn { payload } => {
                f.debug_struct("Spawn").field("payload", payload).finish()
            }
            Request::Kill { worker } => f.debug_struct("Kill").field("worker", worker).finish(),
            other => f.write_str(variant_name(other.verb())),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Request<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        // Only the verb: arguments may carry secrets.
        defmt::write!(f, "Request({=str})", self.verb().token())
    }
}

pub(crate) const fn variant_name(v: Verb) -> &'static str {
    match v {
        Verb::Auth => "Auth",
        Verb::Attach => "Attach",
        Verb::Ping => "Ping",
        Verb::Help => "Help",
        Verb::Bi => "Bi",
        Verb::Caps => "Caps",
        Verb::Mem => "Mem",
        Verb::Test => "Test",
        Verb::NetTest => "NetTest",
        Verb::NetStats => "NetStats",
        Verb::Log => "Log",
        Verb::CacheLog => "CacheLog",
        Verb::Quit => "Quit",
        Verb::Tail => "Tail",
        Verb::Cat => "Cat",
        Verb::Ls => "Ls",
        Verb::Echo => "Echo",
        Verb::Spawn => "Spawn",
        Verb::Kill => "Kill",
    }
}

/// Checks a free-text argument: 1..=max bytes of printable ASCII, no edge spaces.
fn check_text(arg: Argument, s: &str, max: usize) -> Result<(), RequestError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(RequestError::Empty(arg));
    }
    if b.len() > max {
        return Err(RequestError::TooLong {
            arg,
            len: b.len(),
            max,
        });
    }
    if let Some(&byte) = b.iter().find(|&&c| !(0x20..=0x7E).contains(&c)) {
        return Err(RequestError::InvalidByte { arg, byte });
    }
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return Err(RequestError::EdgeWhitespace(arg));
    }
    Ok(())
}

/// Checks a single-token argument: 1..=max bytes of printable ASCII without spaces.
fn check_token(arg: Argument, s: &str, max: usize) -> Result<(), RequestError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(RequestError::Empty(arg));
    }
    if b.len() > max {
        return Err(RequestError::TooLong {
            arg,
            len: b.len(),
            max,
        });
    }
    match b.iter().find(|&&c| !(0x21..=0x7E).contains(&c)) {
        Some(&byte) => Err(RequestError::InvalidByte { arg, byte }),
        None => Ok(()),
    }
}

/// Largest AUTH token that fits a line: `MAX_LINE_LEN - len("AUTH ")`.
pub const MAX_TOKEN_LEN: usize = MAX_LINE_LEN - 5;

/// Small cursor writing into a byte slice without panicking.
struct Out<'o> {
    buf: &'o mut [u8],
    pos: usize,
    overflow: bool,
}

impl Out<'_> {
    fn put(&mut self, s: &[u8]) {
        let end = self.pos.saturating_add(s.len());
        match self.buf.get_mut(self.pos..end) {
            Some(dst) => {
                copy_prefix(dst, s);
            }
            None => self.overflow = true,
        }
        self.pos = end;
    }
}

impl<'a> Request<'a> {
    /// The verb of this request.
    pub const fn verb(&self) -> Verb {
        match self {
            Request::Auth { .. } => Verb::Auth,
            Request::Attach { .. } => Verb::Attach,
            Request::Ping => Verb::Ping,
            Request::Help => Verb::Help,
            Request::Bi => Verb::Bi,
            Request::Caps => Verb::Caps,
            Request::Mem => Verb::Mem,
            Request::Test => Verb::Test,
            Request::NetTest => Verb::NetTest,
            Request::NetStats => Verb::NetStats,
            Request::Log => Verb::Log,
            Request::CacheLog { .. } => Verb::CacheLog,
            Request::Quit => Verb::Quit,
            Request::Tail { .. } => Verb::Tail,
            Request::Cat { .. } => Verb::Cat,
            Request::Ls { .. } => Verb::Ls,
            Request::Echo { .. } => Verb::Echo,
            Request::Spawn { .. } => Verb::Spawn,
            Request::Kill { .. } => Verb::Kill,
        }
    }

    /// Checks every argument against the console bounds (spec §3.2, §5.1).
    pub fn validate(&self) -> Result<(), RequestError> {
        match *self {
            Request::Auth { token } => check_text(Argument::Token, token, MAX_TOKEN_LEN)
                .map_err(|_| RequestError::InvalidToken),
            Request::Attach { ticket, .. } => match ticket {
                Some(t) => check_token(Argument::Ticket, t, MAX_TICKET_LEN)
                    .map_err(|_| RequestError::InvalidTicket),
                None => Ok(()),
            },
            Request::Tail { path } | Request::Cat { path } | Request::Ls { path } => {
                validate_path(path).map_err(RequestError::Path)
            }
            Request::Echo { path, payload } => {
                validate_path(path)?;
                check_text(Argument::Payload, payload, MAX_ECHO_LEN)
            }
            Request::Spawn { payload } => check_text(Argument::Payload, payload, MAX_JSON_LEN),
            Request::Kill { worker } => check_token(Argument::Worker, worker, MAX_ID_LEN),
            Request::Ping
            | Request::Help
            | Request::Bi
            | Request::Caps
            | Request::Mem
            | Request::Test
            | Request::NetTest
            | Request::NetStats
            | Request::Log
            | Request::CacheLog { .. }
            | Request::Quit => Ok(()),
        }?;
        let len = self.line_len();
        if len > MAX_LINE_LEN {
            return Err(RequestError::LineTooLong { len });
        }
        Ok(())
    }

    /// Length of the rendered line in bytes (without validation).
    pub fn line_len(&self) -> usize {
        let mut sink = [0u8; 0];
        let mut out = Out {
            buf: &mut sink,
            pos: 0,
            overflow: false,
        };
        self.render(&mut out);
        out.pos
    }

    /// Validates and renders the wire line (no terminator) into `out`; returns its length.
    /// Nothing meaningful is written on error.
    pub fn write_line(&self, out: &mut [u8]) -> Result<usize, RequestError> {
        self.validate()?;
        let available = out.len();
        let mut w = Out {
            buf: out,
            pos: 0,
            overflow: false,
        };
        self.render(&mut w);
        if w.overflow {
            return Err(RequestError::BufferTooSmall {
                needed: w.pos,
                available,
            });
        }
        Ok(w.pos)
    }

    fn render(&self, w: &mut Out<'_>) {
        w.put(self.verb().token().as_bytes());
        match *self {
            Request::Auth { token } => {
                w.put(b" ");
                w.put(token.as_bytes());
            }
            Request::Attach { role, ticket } => {
                w.put(b" ");
                w.put(role.label().as_bytes());
                // COHSH form: a trailing space when there is no ticket.
                w.put(b" ");
                if let Some(t) = ticket {
                    w.put(t.as_bytes());
                }
            }
            Request::CacheLog { count: Some(n) } => {
                w.put(b" ");
                let mut digits = [0u8; 5];
                w.put(fmt_u16(n, &mut digits));
            }
            Request::Tail { path } | Request::Cat { path } | Request::Ls { path } => {
                w.put(b" ");
                w.put(path.as_bytes());
            }
            Request::Echo { path, payload } => {
                w.put(b" ");
                w.put(path.as_bytes());
                w.put(b" ");
                w.put(payload.as_bytes());
            }
            Request::Spawn { payload } => {
                w.put(b" ");
                w.put(payload.as_bytes());
            }
            Request::Kill { worker } => {
                w.put(b" ");
                w.put(worker.as_bytes());
            }
            _ => {}
        }
    }

    /// What the server-side parser ([`crate::command::parse_command`]) yields for this
    /// request's line; `None` for `AUTH`, which is not a console command.
    pub fn to_command(&self) -> Option<Command<'a>> {
        Some(match *self {
            Request::Auth { .. } => return None,
            Request::Attach { role, ticket } => Command::Attach {
                role: role.label(),
                ticket,
            },
            Request::Ping => Command::Ping,
            Request::Help => Command::Help,
            Request::Bi => Command::Bi,
            Request::Caps => Command::Caps,
            Request::Mem => Command::Mem,
            Request::Test => Command::Test,
            Request::NetTest => Command::NetTest,
            Request::NetStats => Command::NetStats,
            Request::Log => Command::Log,
            Request::CacheLog { count } => Command::CacheLog { count },
            Request::Quit => Command::Quit,
            Request::Tail { path } => Command::Tail { path },
            Request::Cat { path } => Command::Cat { path },
            Request::Ls { path } => Command::Ls { path },
            Request::Echo { path, payload } => Command::Echo { path, payload },
            Request::Spawn { payload } => Command::Spawn { payload },
            Request::Kill { worker } => Command::Kill { worker },
        })
    }

    fn checked(self) -> Result<Self, RequestError> {
        self.validate().map(|()| self)
    }

    /// Checked `AUTH <token>`.
    pub fn auth(token: &'a str) -> Result<Self, RequestError> {
        Request::Auth { token }.checked()
    }

    /// Checked `ATTACH <role> [<ticket>]`. The ticket must already be normalised (no
    /// whitespace, at most `MAX_TICKET_LEN` bytes).
    pub fn attach(role: Role, ticket: Option<&'a str>) -> Result<Self, RequestError> {
        Request::Attach { role, ticket }.checked()
    }

    /// Checked `TAIL <path>`.
    pub fn tail(path: &'a str) -> Result<Self, RequestError> {
        Request::Tail { path }.checked()
    }

    /// Checked `CAT <path>`.
    pub fn cat(path: &'a str) -> Result<Self, RequestError> {
        Request::Cat { path }.checked()
    }

    /// Checked `LS <path>`.
    pub fn ls(path: &'a str) -> Result<Self, RequestError> {
        Request::Ls { path }.checked()
    }

    /// Checked `ECHO <path> <payload>` (payload 1..=`MAX_ECHO_LEN` printable ASCII bytes, no
    /// edge spaces).
    pub fn echo(path: &'a str, payload: &'a str) -> Result<Self, RequestError> {
        Request::Echo { path, payload }.checked()
    }

    /// Checked `SPAWN <payload>` (1..=`MAX_JSON_LEN` printable ASCII bytes, no edge spaces).
    pub fn spawn(payload: &'a str) -> Result<Self, RequestError> {
        Request::Spawn { payload }.checked()
    }

    /// Checked `KILL <worker-id>` (1..=`MAX_ID_LEN` bytes, no spaces).
    pub fn kill(worker: &'a str) -> Result<Self, RequestError> {
        Request::Kill { worker }.checked()
    }

    /// `CACHELOG [n]`.
    pub const fn cachelog(count: Option<u16>) -> Self {
        Request::CacheLog { count }
    }
}

/// Formats `n` in decimal into `buf`; returns the digits.
fn fmt_u16(mut n: u16, buf: &mut [u8; 5]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i = i.saturating_sub(1);
        if let Some(slot) = buf.get_mut(i) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    buf.get(i..).unwrap_or(&[])
}
