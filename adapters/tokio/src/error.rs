//! Errors of the console handle and client, grouped by who must act.
//!
//! The groups are the core's [`Actor`] (defined once, in [`cohesix_core::error`]);
//! [`ClientError::actor`] returns it.
//!
//! | variant | [`Actor`] | who acts |
//! |---|---|---|
//! | [`ClientError::Refused`] | `Peer` | the caller reads the peer's `ERR` ack (policy, quota, parse) |
//! | [`ClientError::AuthRejected`], [`ClientError::AuthReset`] | `Config` | operator: the console token is wrong (the queen closes silently), or another client holds the console |
//! | [`ClientError::Protocol`] | as the session error: `Peer` for a wire violation | the peer broke the wire contract; the connection was dropped and nothing was retried |
//! | [`ClientError::Io`], [`ClientError::Closed`], [`ClientError::Timeout`] | `Transport` | reconnect / retry later |
//! | [`ClientError::OutcomeUnknown`] | `Caller` | a write may or may not have happened; check before re-sending |
//! | [`ClientError::ResourceExhausted`] | `Resource` | a reply outgrew its byte budget (stream it instead) |
//! | [`ClientError::Core`] | as the core error (`Caller`, `Config` or `Resource`) | an argument or setting the core refused locally |
//!
//! `source()` chains to the I/O error, the session error or the core error underneath. No
//! variant ever carries the console token or a ticket.

use core::fmt;
use std::io;

use cohesix_core::error::Actor;
use cohesix_core::session::SessionError;

use crate::reply::Ack;

/// Error of a console operation.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The peer answered the request with an `ERR` ack (or `ERR PARSE` / `ERR FRAME`).
    Refused(Ack),
    /// Authentication failed: the queen closed the connection after `AUTH` (the real queen
    /// sends no `ERR AUTH` line), or answered `ERR AUTH`. Never retried.
    AuthRejected {
        /// The `ERR AUTH` ack if one was seen (never contains the token).
        ack: Option<Ack>,
    },
    /// The connection was reset right after `AUTH`, on every attempt: a wrong console
    /// token, or the console is held by another client (the real queen resets a second
    /// connection).
    AuthReset,
    /// The peer violated the wire contract (bad frame length, oversize or non-UTF-8 line);
    /// the connection was dropped. Not a transient fault: nothing was retried.
    Protocol(SessionError),
    /// A socket operation failed.
    Io(io::Error),
    /// The connection is closed (EOF, reset, or `quit`), or the console was shut down.
    Closed,
    /// The operation did not complete within its deadline.
    Timeout {
        /// Which operation timed out (`connect`, `auth`, `attach`, `request`).
        op: &'static str,
    },
    /// A write (`ECHO`, `SPAWN`, `KILL`, `TAIL`) was sent but its ack was not seen before
    /// the connection dropped or the deadline passed. It may or may not have been applied;
    /// it is never re-sent automatically.
    OutcomeUnknown {
        /// The request line whose outcome is unknown (path and payload; no secrets).
        line: String,
    },
    /// A reply outgrew its byte budget; the rest of it was read and discarded.
    ResourceExhausted {
        /// The budget in bytes.
        limit: usize,
    },
    /// The core refused the operation locally (argument out of bounds, invalid path,
    /// unusable token/ticket/role, wrong state). Nothing was sent.
    Core(cohesix_core::error::Error),
}

impl ClientError {
    /// The refusal ack, if this error is a peer refusal.
    #[must_use]
    pub fn refusal(&self) -> Option<&Ack> {
        match self {
            Self::Refused(ack) => Some(ack),
            Self::AuthRejected { ack } => ack.as_ref(),
            _ => None,
        }
    }

    /// Who must act (the core's grouping, see the module table).
    #[must_use]
    pub fn actor(&self) -> Actor {
        match self {
            Self::Refused(_) => Actor::Peer,
            Self::AuthRejected { .. } | Self::AuthReset => Actor::Config,
            Self::Protocol(e) => e.actor(),
            Self::Io(_) | Self::Closed | Self::Timeout { .. } => Actor::Transport,
            Self::OutcomeUnknown { .. } => Actor::Caller,
            Self::ResourceExhausted { .. } => Actor::Resource,
            Self::Core(e) => e.actor(),
        }
    }

    /// Whether a reconnect may cure this error (transport failures, not refusals or
    /// protocol violations).
    #[must_use]
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            Self::Io(_) | Self::Closed | Self::Timeout { .. } | Self::AuthReset
        )
    }

    /// A copy of this error (for failing several waiting requests with one cause). An I/O
    /// error is copied as its kind and message.
    #[must_use]
    pub fn duplicate(&self) -> Self {
        match self {
            Self::Refused(a) => Self::Refused(a.clone()),
            Self::AuthRejected { ack } => Self::AuthRejected { ack: ack.clone() },
            Self::AuthReset => Self::AuthReset,
            Self::Protocol(e) => Self::Protocol(*e),
            Self::Io(e) => Self::Io(io::Error::new(e.kind(), e.to_string())),
            Self::Closed => Self::Closed,
            Self::Timeout { op } => Self::Timeout { op },
            Self::OutcomeUnknown { line } => Self::OutcomeUnknown { line: line.clone() },
            Self::ResourceExhausted { limit } => Self::ResourceExhausted { limit: *limit },
            Self::Core(e) => Self::Core(*e),
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(ack) => write!(f, "refused: {ack}"),
            Self::AuthRejected { ack: Some(ack) } => write!(f, "authentication rejected: {ack}"),
            Self::AuthRejected { ack: None } => f.write_str(
                "authentication rejected: connection closed after AUTH (wrong console token?)",
            ),
            Self::AuthReset => f.write_str(
                "authentication rejected: connection reset after AUTH (wrong console token, \
                 or another client holds the console?)",
            ),
            Self::Protocol(e) => write!(f, "protocol violation by peer: {e}"),
            Self::Io(e) => write!(f, "i/o error: {e}"),
            Self::Closed => f.write_str("connection closed"),
            Self::Timeout { op } => write!(f, "{op} timed out"),
            Self::OutcomeUnknown { line } => {
                write!(f, "outcome unknown (ack not seen, not re-sent): {line}")
            }
            Self::ResourceExhausted { limit } => {
                write!(f, "reply exceeds its byte budget of {limit} bytes")
            }
            Self::Core(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Protocol(e) => Some(e),
            // Transparent: the core error's own cause.
            Self::Core(e) => e.source(),
            _ => None,
        }
    }
}

impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => Self::Closed,
            _ => Self::Io(e),
        }
    }
}
