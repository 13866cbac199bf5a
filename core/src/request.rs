//! Typed console requests (spec §3.2): checked builders and wire-line rendering. The verbs
//! and their facts are the table in [`crate::verb`] (re-exported here).
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
use crate::verb::ArgShape;

pub use crate::verb::{Verb, ALL_VERBS};

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

/// One console request line: a verb and its arguments, generic over how the text arguments
/// (`S`) and the ATTACH role (`R`) are held.
///
/// Two views share it, so their variants, [`verb`](Call::verb) and `Debug` are written once:
///
/// * [`Request`] (`Call<&str, Role>`): what a client sends, built with the checked
///   constructors and rendered by [`write_line`](Call::write_line);
/// * [`Command`] (`Call<&str, &str>`): what the server-side parser
///   ([`crate::command::parse_command`]) yields, borrowing its line buffer; the role is the
///   token as sent and nothing is validated beyond the parser's length bounds. The parser
///   never yields [`Call::Auth`] (AUTH is not a console command).
///
/// `Debug` prints the verb's name and its arguments, except the secrets: the AUTH token and
/// the ATTACH ticket print as `<redacted>`. `defmt` prints the verb only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Call<S, R> {
    /// `AUTH <token>`.
    Auth {
        /// Console token (secret; redacted in `Debug`).
        token: S,
    },
    /// `ATTACH <role> [<ticket>]`.
    Attach {
        /// Role to attach as.
        role: R,
        /// The ticket (secret; redacted in `Debug`): normalised text in a request; in a
        /// parsed command everything after the whitespace following the role (inner and
        /// leading extra whitespace kept), `None` when empty.
        ticket: Option<S>,
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
    /// `TEST` (no argument).
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
        path: S,
    },
    /// `CAT <path>`.
    Cat {
        /// Path.
        path: S,
    },
    /// `LS <path>`.
    Ls {
        /// Path.
        path: S,
    },
    /// `ECHO <path> <payload>`.
    Echo {
        /// Path.
        path: S,
        /// Payload, 1..=`MAX_ECHO_LEN` bytes (in a parsed command: the rest of the line
        /// after the path, leading whitespace removed).
        payload: S,
    },
    /// `SPAWN <payload>`.
    Spawn {
        /// Payload, 1..=`MAX_JSON_LEN` bytes (the whole remainder of the line).
        payload: S,
    },
    /// `KILL <worker-id>`.
    Kill {
        /// Worker id, 1..=`MAX_ID_LEN` bytes.
        worker: S,
    },
}

/// A typed console request. Build with the checked constructors (or check with
/// [`validate`](Call::validate)); [`write_line`](Call::write_line) re-validates.
pub type Request<'a> = Call<&'a str, Role>;

/// `Debug` of an optional ticket: whether one is present, never its text.
struct RedactedTicket(bool);

impl fmt::Debug for RedactedTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0 { "Some(<redacted>)" } else { "None" })
    }
}

impl<S: fmt::Debug, R: fmt::Debug> fmt::Debug for Call<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.verb().name();
        if self.verb().args() == ArgShape::None {
            return f.write_str(name);
        }
        let mut s = f.debug_struct(name);
        match self {
            Call::Auth { .. } => s.field("token", &format_args!("<redacted>")),
            Call::Attach { role, ticket } => s
                .field("role", role)
                .field("ticket", &RedactedTicket(ticket.is_some())),
            Call::CacheLog { count } => s.field("count", count),
            Call::Tail { path } | Call::Cat { path } | Call::Ls { path } => s.field("path", path),
            Call::Echo { path, payload } => s.field("path", path).field("payload", payload),
            Call::Spawn { payload } => s.field("payload", payload),
            Call::Kill { worker } => s.field("worker", worker),
            // No arguments: printed above.
            _ => &mut s,
        };
        s.finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Request<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        // Only the verb: arguments may carry secrets.
        defmt::write!(f, "Request({=str})", self.verb().token())
    }
}

impl<S, R> Call<S, R> {
    /// The verb of this request.
    pub const fn verb(&self) -> Verb {
        match self {
            Call::Auth { .. } => Verb::Auth,
            Call::Attach { .. } => Verb::Attach,
            Call::Ping => Verb::Ping,
            Call::Help => Verb::Help,
            Call::Bi => Verb::Bi,
            Call::Caps => Verb::Caps,
            Call::Mem => Verb::Mem,
            Call::Test => Verb::Test,
            Call::NetTest => Verb::NetTest,
            Call::NetStats => Verb::NetStats,
            Call::Log => Verb::Log,
            Call::CacheLog { .. } => Verb::CacheLog,
            Call::Quit => Verb::Quit,
            Call::Tail { .. } => Verb::Tail,
            Call::Cat { .. } => Verb::Cat,
            Call::Ls { .. } => Verb::Ls,
            Call::Echo { .. } => Verb::Echo,
            Call::Spawn { .. } => Verb::Spawn,
            Call::Kill { .. } => Verb::Kill,
        }
    }

    /// The same request with its text arguments passed through `text` and its role through
    /// `role`, e.g. to own the strings (`|s| s.to_string()`) or to borrow them back
    /// (`String::as_str`). Nothing is validated.
    pub fn map<'s, S2, R2>(
        &'s self,
        mut text: impl FnMut(&'s S) -> S2,
        role: impl FnOnce(&'s R) -> R2,
    ) -> Call<S2, R2> {
        match self {
            Call::Auth { token } => Call::Auth { token: text(token) },
            Call::Attach { role: r, ticket } => Call::Attach {
                role: role(r),
                ticket: ticket.as_ref().map(text),
            },
            Call::Ping => Call::Ping,
            Call::Help => Call::Help,
            Call::Bi => Call::Bi,
            Call::Caps => Call::Caps,
            Call::Mem => Call::Mem,
            Call::Test => Call::Test,
            Call::NetTest => Call::NetTest,
            Call::NetStats => Call::NetStats,
            Call::Log => Call::Log,
            Call::CacheLog { count } => Call::CacheLog { count: *count },
            Call::Quit => Call::Quit,
            Call::Tail { path } => Call::Tail { path: text(path) },
            Call::Cat { path } => Call::Cat { path: text(path) },
            Call::Ls { path } => Call::Ls { path: text(path) },
            Call::Echo { path, payload } => Call::Echo {
                path: text(path),
                payload: text(payload),
            },
            Call::Spawn { payload } => Call::Spawn {
                payload: text(payload),
            },
            Call::Kill { worker } => Call::Kill {
                worker: text(worker),
            },
        }
    }

    /// The request of a verb that takes no arguments ([`ArgShape::None`]: `PING`, `BI`,
    /// `QUIT`, ...); `None` for every other verb.
    pub const fn without_args(verb: Verb) -> Option<Self> {
        Some(match verb {
            Verb::Ping => Call::Ping,
            Verb::Help => Call::Help,
            Verb::Bi => Call::Bi,
            Verb::Caps => Call::Caps,
            Verb::Mem => Call::Mem,
            Verb::Test => Call::Test,
            Verb::NetTest => Call::NetTest,
            Verb::NetStats => Call::NetStats,
            Verb::Log => Call::Log,
            Verb::Quit => Call::Quit,
            Verb::Auth
            | Verb::Attach
            | Verb::CacheLog
            | Verb::Tail
            | Verb::Cat
            | Verb::Ls
            | Verb::Echo
            | Verb::Spawn
            | Verb::Kill => return None,
        })
    }
}

/// Checks an argument's length: 1..=max bytes.
fn check_len(arg: Argument, b: &[u8], max: usize) -> Result<(), RequestError> {
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
    Ok(())
}

/// Checks a free-text argument: 1..=max bytes of printable ASCII, no edge spaces.
fn check_text(arg: Argument, s: &str, max: usize) -> Result<(), RequestError> {
    let b = s.as_bytes();
    check_len(arg, b, max)?;
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
    check_len(arg, b, max)?;
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
        match self {
            Request::Auth { .. } => None,
            other => Some(other.map(|s| *s, |role| role.label())),
        }
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
