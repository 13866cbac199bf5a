//! What the session reports: [`Event`]s, request ids and per-request [`Outcome`]s.

use core::fmt;

use crate::reply::Ack;
use crate::request::Verb;
use crate::role::Role;

use super::error::SessionError;

/// Identifier of a request submitted with [`Session::send`](super::Session::send). Ids keep
/// counting across [`reconnect`](super::Session::reconnect), so they stay unique per session
/// object (they wrap after 2^32 requests).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RequestId(pub u32);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// How a request ended. Every request submitted with `send` gets exactly one
/// [`Event::Completed`] carrying one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Outcome<'a> {
    /// The queen accepted it; its `OK` ack came earlier as [`Event::Ack`].
    Ok,
    /// The queen refused it: `ERR <LABEL>` for this request, or `ERR PARSE` / `ERR FRAME`
    /// while it was the command in flight. The ack carries `reason=`, `detail=`, `delay_ms=`.
    Refused(Ack<'a>),
    /// No reply line arrived within the operation timeout; the connection is declared dead.
    TimedOut,
    /// The connection ended first and the request is **safe to submit again** on a new
    /// connection: it was never sent (`sent == false`), or it is an idempotent read
    /// ([`Verb::is_idempotent_read`]). Data lines delivered so far are incomplete.
    Interrupted {
        /// Whether the request had been written to the wire.
        sent: bool,
    },
    /// A non-idempotent request (`ECHO`, `SPAWN`, `KILL`, `TAIL`, ...) was sent but the
    /// connection ended before its ack: it may or may not have taken effect. The core never
    /// re-sends it.
    Unknown,
    /// The queen answered the requests around this one but never this one (it drops commands
    /// beyond its inbound queue); nothing was executed.
    NoReply,
}

impl Outcome<'_> {
    /// `true` for [`Outcome::Ok`].
    pub const fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok)
    }

    /// Whether re-submitting after a reconnect cannot duplicate an effect.
    pub const fn is_retry_safe(&self) -> bool {
        matches!(self, Outcome::Interrupted { .. } | Outcome::NoReply)
    }

    /// The refusal ack, if refused.
    pub const fn refusal(&self) -> Option<&Ack<'_>> {
        match self {
            Outcome::Refused(ack) => Some(ack),
            _ => None,
        }
    }

    /// `reason=` of a refusal.
    pub fn reason(&self) -> Option<&str> {
        self.refusal().and_then(Ack::reason)
    }

    /// `detail=` of a refusal.
    pub fn detail(&self) -> Option<&str> {
        self.refusal().and_then(Ack::detail)
    }

    /// `delay_ms=` of a refusal (quota back-off).
    pub fn delay_ms(&self) -> Option<u64> {
        self.refusal().and_then(Ack::delay_ms)
    }
}

/// The end of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Completion<'a> {
    /// The request.
    pub id: RequestId,
    /// Its verb.
    pub verb: Verb,
    /// How it ended.
    pub outcome: Outcome<'a>,
    /// Number of [`Event::Data`] lines delivered for it. A `CAT` that completes `Ok` with
    /// 0 lines has its content in the `data=` preview of its [`Event::Ack`] (spec §3.4).
    pub lines: u32,
}

/// Something the application must know. Borrowed text points into the session's receive
/// buffer and is valid until the next `&mut` call on the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Event<'a> {
    /// `OK AUTH` arrived; `ATTACH` is queued next.
    Authenticated,
    /// `OK ATTACH` arrived; queued requests start flowing. `role` is the canonical role the
    /// queen reported (`worker` comes back as `worker-heartbeat`).
    Attached {
        /// The attached role.
        role: Role,
    },
    /// The raw ack of one of the session's own commands, as received: `OK ATTACH role=queen`
    /// (right before [`Event::Attached`]), the `ERR ATTACH …` / `ERR PARSE …` that refused
    /// the attach (right before the completions and [`Event::Closed`]), or `OK QUIT` when it
    /// arrives. `ack.raw` is the line to show a user.
    SessionAck {
        /// [`Verb::Attach`] or [`Verb::Quit`].
        verb: Verb,
        /// The ack line, parsed (`raw` is the whole line).
        ack: Ack<'a>,
    },
    /// The `OK` ack of a request (`OK LS path=/ entries=3`, `OK CAT ... data=...`,
    /// `OK ECHO ... bytes=5`). Data lines and the completion follow.
    Ack {
        /// The request.
        id: RequestId,
        /// Its verb.
        verb: Verb,
        /// The ack line, parsed.
        ack: Ack<'a>,
    },
    /// One data line of a request's reply (stream entry, `HELP` text, ...), trailing CR/LF
    /// removed.
    Data {
        /// The request.
        id: RequestId,
        /// Its verb.
        verb: Verb,
        /// The line.
        line: &'a str,
    },
    /// A request ended.
    Completed(Completion<'a>),
    /// A line that belongs to no request (pre-auth flush text, `ERR: NineDoor unavailable`,
    /// a late `ERR SPAWN`, an `OK AUTH detail=...` mock quirk). Tolerated, reported for logs.
    Stray {
        /// The line as received.
        line: &'a str,
    },
    /// The connection is over (after every pending [`Event::Completed`]). `error` is `None`
    /// after `quit`. The adapter closes the transport; [`Session::reconnect`] prepares the
    /// session for a new connection.
    ///
    /// [`Session::reconnect`]: super::Session::reconnect
    Closed {
        /// Why, unless it was a clean quit.
        error: Option<SessionError>,
    },
}
