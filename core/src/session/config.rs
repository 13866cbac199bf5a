//! Session configuration and credentials.
//!
//! [`Config`] is plain data with a `const fn` default taken from the generated manifest
//! constants. [`Credentials`] copies the console token and the ticket into fixed buffers, so a
//! [`Session`](super::Session) borrows nothing and can live in a `static` or an async task;
//! their `Debug` output is redacted.

use core::fmt;

use cohesix_generated::console::{MAX_IN_FLIGHT, MAX_TICKET_LEN};
use cohesix_generated::{heartbeat, retry};

use crate::request::{Request, MAX_TOKEN_LEN};
use crate::role::Role;
use crate::ticket;

use super::error::SessionError;

/// Tunables of a [`Session`](super::Session). Build with [`Config::new`] and the `with_*`
/// helpers; all are `const fn`.
///
/// ```
/// use cohesix_core::session::Config;
/// const CONFIG: Config = Config::new().with_max_in_flight(4);
/// assert_eq!(CONFIG.max_in_flight, 4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Config {
    /// Command frames on the wire at once, `1..=console::MAX_IN_FLIGHT` (the queen buffers 8
    /// and silently drops the oldest beyond that). Default 1. PING fences count.
    pub max_in_flight: u8,
    /// Per-operation timeout: how long the oldest unanswered frame may go without any reply
    /// line before the connection is declared dead. Default `retry::TIMEOUT_MS`.
    pub op_timeout_ms: u64,
    /// Idle heartbeat: a `PING` is sent after this long without any transmission while
    /// attached and idle; 0 disables it. Default `heartbeat::INTERVAL_MS`.
    pub heartbeat_ms: u64,
}

/// Upper bound of [`Config::max_in_flight`] as a `u8`.
const MAX_IN_FLIGHT_U8: u8 = if MAX_IN_FLIGHT > 255 {
    255
} else {
    MAX_IN_FLIGHT as u8
};

impl Config {
    /// Defaults: one request in flight, manifest timeout and heartbeat.
    pub const fn new() -> Self {
        Self {
            max_in_flight: 1,
            op_timeout_ms: retry::TIMEOUT_MS,
            heartbeat_ms: heartbeat::INTERVAL_MS,
        }
    }

    /// Sets [`max_in_flight`](Self::max_in_flight) (checked by [`validate`](Self::validate)).
    pub const fn with_max_in_flight(mut self, n: u8) -> Self {
        self.max_in_flight = n;
        self
    }

    /// Sets [`op_timeout_ms`](Self::op_timeout_ms).
    pub const fn with_op_timeout_ms(mut self, ms: u64) -> Self {
        self.op_timeout_ms = ms;
        self
    }

    /// Sets [`heartbeat_ms`](Self::heartbeat_ms) (0 disables the heartbeat).
    pub const fn with_heartbeat_ms(mut self, ms: u64) -> Self {
        self.heartbeat_ms = ms;
        self
    }

    /// Checks the ranges: `max_in_flight` in `1..=MAX_IN_FLIGHT`, `op_timeout_ms > 0`.
    pub const fn validate(&self) -> Result<(), SessionError> {
        if self.max_in_flight == 0
            || self.max_in_flight > MAX_IN_FLIGHT_U8
            || self.op_timeout_ms == 0
        {
            return Err(SessionError::InvalidConfig);
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

/// Bytes the token and the ticket can need together.
const SECRETS_LEN: usize = MAX_TOKEN_LEN + MAX_TICKET_LEN;

/// The token and the optional ticket packed into one fixed buffer (token first), with
/// 16-bit lengths: no per-secret padding or `Option` tag. `Debug` prints `<redacted>`; drop
/// overwrites the bytes.
#[derive(Clone)]
struct Secrets {
    bytes: [u8; SECRETS_LEN],
    token_len: u16,
    /// `None`: no ticket.
    ticket_len: Option<u16>,
}

impl Secrets {
    fn new(token: &str, ticket: Option<&str>) -> Option<Self> {
        let mut out = Self {
            bytes: [0; SECRETS_LEN],
            token_len: u16::try_from(token.len()).ok()?,
            ticket_len: None,
        };
        copy(out.bytes.get_mut(..token.len())?, token.as_bytes());
        if let Some(t) = ticket {
            let end = token.len().checked_add(t.len())?;
            copy(out.bytes.get_mut(token.len()..end)?, t.as_bytes());
            out.ticket_len = Some(u16::try_from(t.len()).ok()?);
        }
        Some(out)
    }

    fn text(&self, from: usize, len: u16) -> &str {
        from.checked_add(usize::from(len))
            .and_then(|end| self.bytes.get(from..end))
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    fn token(&self) -> &str {
        self.text(0, self.token_len)
    }

    fn ticket(&self) -> Option<&str> {
        self.ticket_len
            .map(|len| self.text(usize::from(self.token_len), len))
    }
}

/// `dst.copy_from_slice(src)` for equal lengths, without the length-mismatch panic path.
pub(super) fn copy(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

impl Drop for Secrets {
    fn drop(&mut self) {
        self.bytes = [0; SECRETS_LEN];
        self.token_len = 0;
        self.ticket_len = None;
        // Best effort (no unsafe volatile writes): keep the zeroing observable.
        core::hint::black_box(&mut self.bytes);
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What the session authenticates and attaches with: console token, role and optional
/// ticket, copied into fixed buffers and checked up front.
///
/// The ticket goes through client normalisation ([`ticket::normalize`], spec §4.5): worker
/// roles need a decodable ticket of their own role with a subject; a queen ticket is optional.
/// `Debug` never shows the token or the ticket.
#[derive(Clone)]
pub struct Credentials {
    secrets: Secrets,
    role: Role,
}

impl Credentials {
    /// Checks and copies `token` (printable ASCII, `1..=MAX_TOKEN_LEN` bytes, no edge spaces),
    /// `role` and the normalised `ticket`.
    pub fn new(token: &str, role: Role, ticket: Option<&str>) -> Result<Self, SessionError> {
        Request::auth(token)?;
        let ticket = ticket::normalize(role, ticket)?;
        Request::attach(role, ticket)?;
        // Both lengths were bounded by the checks above; a failure here is a ticket that
        // does not fit next to the token.
        let secrets = Secrets::new(token, ticket).ok_or(SessionError::Request(
            crate::request::RequestError::InvalidTicket,
        ))?;
        Ok(Self { secrets, role })
    }

    /// The role to attach as.
    pub const fn role(&self) -> Role {
        self.role
    }

    /// Whether a ticket is held.
    pub const fn has_ticket(&self) -> bool {
        self.secrets.ticket_len.is_some()
    }

    pub(crate) fn auth_request(&self) -> Request<'_> {
        Request::Auth {
            token: self.secrets.token(),
        }
    }

    pub(crate) fn attach_request(&self) -> Request<'_> {
        Request::Attach {
            role: self.role,
            ticket: self.secrets.ticket(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("token", &self.secrets)
            .field("role", &self.role)
            .field(
                "ticket",
                &format_args!(
                    "{}",
                    if self.has_ticket() {
                        "Some(<redacted>)"
                    } else {
                        "None"
                    }
                ),
            )
            .finish()
    }
}
