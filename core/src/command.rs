//! Server-side console line parser mirroring SRV (spec §1.4, §3.1, §8.3).
//!
//! Used by the queen simulator and by round-trip tests ("a built request line parses back to
//! the same command"). Allocation-free: the cleaned line is built in a caller buffer.
//!
//! ```text
//! payload bytes --(§1.4 byte rules)--> line buffer (<= 256 UTF-8 bytes)
//!     CR ignored, LF drops the line so far, BS/DEL delete one char,
//!     other control chars dropped, bytes >= 0x80 -> Latin-1 char (2 bytes)
//! line buffer --(§3.1: trim, verb, args)--> Command | ParseError
//! ```
//!
//! A `ParseError` is answered by SRV as `ERR PARSE reason=policy detail=<ParseError::detail()>`.
//! [`check_auth`] mirrors SRV's pre-auth `AUTH <token>` checks (§2.2).

use core::fmt;

use cohesix_generated::console::{
    MAX_ECHO_LEN, MAX_ID_LEN, MAX_JSON_LEN, MAX_LINE_LEN, MAX_PATH_LEN, MAX_ROLE_LEN,
    MAX_TICKET_LEN,
};

use crate::frame::copy_prefix;
use crate::request::{Argument, Call, Verb};

/// A console command as SRV's parser yields it: a [`Call`] whose text arguments and role
/// borrow the caller's line buffer (the role is the token as sent; SRV answers
/// `invalid-role` later). [`parse_command`] never yields [`Call::Auth`].
///
/// `Debug` redacts the ATTACH ticket; `defmt` prints the verb only.
pub type Command<'a> = Call<&'a str, &'a str>;

#[cfg(feature = "defmt")]
impl defmt::Format for Command<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        // Only the verb: an ATTACH ticket is a credential.
        defmt::write!(f, "Command({=str})", self.verb().token())
    }
}

/// SRV parse failures (spec §3.1). All are reported as `ERR PARSE reason=policy detail=...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ParseError {
    /// Nothing but whitespace/control bytes.
    EmptyLine,
    /// Unknown verb.
    InvalidVerb,
    /// A required argument is missing.
    MissingArgument(Argument),
    /// An argument exceeds its bound.
    ValueTooLong(Argument),
    /// An argument has an invalid value (`count`, `test`).
    InvalidValue(Argument),
    /// The line exceeded `MAX_LINE_LEN` bytes.
    LineTooLong,
}

impl ParseError {
    /// The exact `detail=` text SRV sends for this error.
    pub const fn detail(&self) -> &'static str {
        match self {
            ParseError::EmptyLine => "empty command",
            ParseError::InvalidVerb => "unsupported console command",
            ParseError::LineTooLong => "console line exceeded maximum length",
            ParseError::MissingArgument(a) => match a {
                Argument::Path => "missing required argument: path",
                Argument::Payload => "missing required argument: payload",
                Argument::Role => "missing required argument: role",
                Argument::Worker => "missing required argument: worker",
                Argument::Ticket => "missing required argument: ticket",
                Argument::Count => "missing required argument: count",
                Argument::Test => "missing required argument: test",
                Argument::Token => "missing required argument: token",
            },
            ParseError::ValueTooLong(a) => match a {
                Argument::Path => "argument path exceeds allowed length",
                Argument::Payload => "argument payload exceeds allowed length",
                Argument::Role => "argument role exceeds allowed length",
                Argument::Ticket => "argument ticket exceeds allowed length",
                Argument::Worker => "argument worker exceeds allowed length",
                Argument::Count => "argument count exceeds allowed length",
                Argument::Test => "argument test exceeds allowed length",
                Argument::Token => "argument token exceeds allowed length",
            },
            ParseError::InvalidValue(a) => match a {
                Argument::Count => "invalid value for argument count",
                Argument::Test => "invalid value for argument test",
                Argument::Path => "invalid value for argument path",
                Argument::Payload => "invalid value for argument payload",
                Argument::Role => "invalid value for argument role",
                Argument::Ticket => "invalid value for argument ticket",
                Argument::Worker => "invalid value for argument worker",
                Argument::Token => "invalid value for argument token",
            },
        }
    }

    /// The `reason=` SRV sends (always `policy` for the byte parser).
    pub const fn reason(&self) -> &'static str {
        "policy"
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.detail())
    }
}

/// Line buffer of the §1.4 byte rules.
struct LineBuf<'b> {
    buf: &'b mut [u8],
    len: usize,
    cap: usize,
}

impl LineBuf<'_> {
    /// Appends a char; `false` when it does not fit.
    fn push(&mut self, c: char) -> bool {
        let mut enc = [0u8; 4];
        let s = c.encode_utf8(&mut enc).as_bytes();
        let end = self.len.saturating_add(s.len());
        if end > self.cap {
            return false;
        }
        match self.buf.get_mut(self.len..end) {
            Some(dst) => {
                copy_prefix(dst, s);
                self.len = end;
                true
            }
            None => false,
        }
    }

    /// Deletes the last char (1 or 2 bytes: the buffer holds ASCII and U+00A0..U+00FF only).
    fn pop(&mut self) {
        let Some(&last) = self.buf.get(self.len.wrapping_sub(1)) else {
            return;
        };
        let n = if last >= 0x80 { 2 } else { 1 };
        self.len = self.len.saturating_sub(n);
    }
}

/// Applies the §1.4 byte rules and the §3.1 grammar to one frame payload.
///
/// `buf` receives the cleaned line; its usable size is `min(buf.len(), MAX_LINE_LEN)`
/// (pass at least `MAX_LINE_LEN` bytes to mirror SRV exactly). LF inside the payload drops
/// the line collected so far (SRV discards the command completed at the LF), so `ping\n`
/// yields `EmptyLine`.
pub fn parse_command<'b>(payload: &[u8], buf: &'b mut [u8]) -> Result<Command<'b>, ParseError> {
    let cap = buf.len().min(MAX_LINE_LEN);
    let mut line = LineBuf { buf, len: 0, cap };
    for &b in payload {
        match b {
            b'\r' => {}
            b'\n' => line.len = 0,
            0x08 | 0x7F => line.pop(),
            0x00..=0x1F | 0x80..=0x9F => {}
            _ => {
                if !line.push(char::from(b)) {
                    return Err(ParseError::LineTooLong);
                }
            }
        }
    }
    let LineBuf { buf, len, .. } = line;
    let bytes: &'b [u8] = buf.get(..len).unwrap_or(&[]);
    let text = core::str::from_utf8(bytes).map_err(|_| ParseError::EmptyLine)?;
    parse_line(text)
}

/// Applies the §3.1 grammar to an already-cleaned line (no byte rules).
pub fn parse_line(line: &str) -> Result<Command<'_>, ParseError> {
    let t = line.trim();
    if t.is_empty() {
        return Err(ParseError::EmptyLine);
    }
    let (verb, rest) = split_word(t);
    let rest = rest.trim();
    let verb = Verb::from_token(verb).ok_or(ParseError::InvalidVerb)?;
    Ok(match verb {
        Verb::Auth => return Err(ParseError::InvalidVerb),
        Verb::Help => Command::Help,
        Verb::Bi => Command::Bi,
        Verb::Caps => Command::Caps,
        Verb::Mem => Command::Mem,
        Verb::Ping => Command::Ping,
        Verb::NetTest => Command::NetTest,
        Verb::NetStats => Command::NetStats,
        Verb::Log => Command::Log,
        Verb::Quit => Command::Quit,
        Verb::Test => {
            if !rest.is_empty() {
                return Err(ParseError::InvalidValue(Argument::Test));
            }
            Command::Test
        }
        Verb::CacheLog => {
            let (n, _) = split_word(rest);
            let count = if n.is_empty() {
                None
            } else {
                Some(
                    n.parse::<u16>()
                        .map_err(|_| ParseError::InvalidValue(Argument::Count))?,
                )
            };
            Command::CacheLog { count }
        }
        Verb::Tail => Command::Tail {
            path: path_arg(rest)?,
        },
        Verb::Cat => Command::Cat {
            path: path_arg(rest)?,
        },
        Verb::Ls => Command::Ls {
            path: path_arg(rest)?,
        },
        Verb::Echo => {
            let path = path_arg(rest)?;
            let (_, after) = split_word(rest);
            let payload = after.trim_start();
            if payload.is_empty() {
                return Err(ParseError::MissingArgument(Argument::Payload));
            }
            if payload.len() > MAX_ECHO_LEN {
                return Err(ParseError::ValueTooLong(Argument::Payload));
            }
            Command::Echo { path, payload }
        }
        Verb::Attach => {
            let (role, after) = split_word(rest);
            if role.is_empty() {
                return Err(ParseError::MissingArgument(Argument::Role));
            }
            if role.len() > MAX_ROLE_LEN {
                return Err(ParseError::ValueTooLong(Argument::Role));
            }
            let ticket = skip_one_whitespace(after);
            if ticket.len() > MAX_TICKET_LEN {
                return Err(ParseError::ValueTooLong(Argument::Ticket));
            }
            Command::Attach {
                role,
                ticket: (!ticket.is_empty()).then_some(ticket),
            }
        }
        Verb::Spawn => {
            if rest.is_empty() {
                return Err(ParseError::MissingArgument(Argument::Payload));
            }
            if rest.len() > MAX_JSON_LEN {
                return Err(ParseError::ValueTooLong(Argument::Payload));
            }
            Command::Spawn { payload: rest }
        }
        Verb::Kill => {
            let (worker, _) = split_word(rest);
            if worker.is_empty() {
                return Err(ParseError::MissingArgument(Argument::Worker));
            }
            if worker.len() > MAX_ID_LEN {
                return Err(ParseError::ValueTooLong(Argument::Worker));
            }
            Command::Kill { worker }
        }
    })
}

/// Splits at the first whitespace char: (word, remainder starting at that whitespace).
fn split_word(s: &str) -> (&str, &str) {
    match s.char_indices().find(|(_, c)| c.is_whitespace()) {
        Some((i, _)) => (s.get(..i).unwrap_or(""), s.get(i..).unwrap_or("")),
        None => (s, ""),
    }
}

/// Drops exactly one leading whitespace char.
fn skip_one_whitespace(s: &str) -> &str {
    let mut it = s.chars();
    match it.next() {
        Some(c) if c.is_whitespace() => it.as_str(),
        _ => s,
    }
}

fn path_arg(rest: &str) -> Result<&str, ParseError> {
    let (path, _) = split_word(rest);
    if path.is_empty() {
        return Err(ParseError::MissingArgument(Argument::Path));
    }
    if path.len() > MAX_PATH_LEN {
        return Err(ParseError::ValueTooLong(Argument::Path));
    }
    Ok(path)
}

/// Pre-auth `AUTH` failures (spec §2.2), in SRV's check order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AuthError {
    /// Payload length is not `5 + len(token)`.
    InvalidLength,
    /// Missing `AUTH ` prefix or empty token.
    ExpectedToken,
    /// Wrong token of the right length.
    InvalidToken,
}

impl AuthError {
    /// The `reason=` text of `ERR AUTH`.
    pub const fn reason(&self) -> &'static str {
        match self {
            AuthError::InvalidLength => "invalid-length",
            AuthError::ExpectedToken => "expected-token",
            AuthError::InvalidToken => "invalid-token",
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// SRV's pre-auth check of the first frame payload against the expected `token` (spec §2.2):
/// exact length first, then the case-sensitive `AUTH ` prefix, then the trimmed token
/// (compared without early exit).
pub fn check_auth(payload: &[u8], token: &str) -> Result<(), AuthError> {
    const PREFIX: &[u8] = b"AUTH ";
    if Some(payload.len()) != token.len().checked_add(PREFIX.len()) {
        return Err(AuthError::InvalidLength);
    }
    let rest = payload
        .strip_prefix(PREFIX)
        .ok_or(AuthError::ExpectedToken)?;
    let rest = rest.trim_ascii();
    if rest.is_empty() {
        return Err(AuthError::ExpectedToken);
    }
    if rest.len() != token.len() {
        return Err(AuthError::InvalidToken);
    }
    let diff = rest
        .iter()
        .zip(token.as_bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if diff == 0 {
        Ok(())
    } else {
        Err(AuthError::InvalidToken)
    }
}
