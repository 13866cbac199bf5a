//! Session errors, grouped by who must act (see [`crate::error`]).

use core::fmt;

use crate::error::{CallerError, ConfigError, Error, PeerError, ResourceError, TransportError};
use crate::frame::FrameDecodeError;
use crate::reply::Ack;
use crate::request::RequestError;
use crate::ticket::NormalizeError;

/// Why the queen refused `ATTACH` (spec §2.3, §8.6, both SRV and harness forms, §9.1).
///
/// The core never retries an attach by itself; the throttle and rate-limit variants carry the
/// back-off the queen asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AttachError {
    /// `detail=denied` / harness `reason=denied`: bad, missing or mismatched ticket.
    Denied,
    /// `detail=throttled` / harness `reason=throttled`: back off for `delay_ms`.
    Throttled {
        /// Milliseconds (server clock) to wait before the next attempt; 0 if not given.
        delay_ms: u64,
    },
    /// `detail=rate-limited`: too many failed attempts; back off for `delay_ms`.
    RateLimited {
        /// Milliseconds (server clock) to wait before the next attempt; 0 if not given.
        delay_ms: u64,
    },
    /// `detail=invalid-role`.
    InvalidRole,
    /// `detail=lifecycle-denied`: the node's lifecycle state forbids worker attach.
    LifecycleDenied,
    /// `detail=expired`: the ticket's TTL has passed.
    Expired,
    /// `detail=invalid-claims`: the ticket exceeds the queen's limits.
    InvalidClaims,
    /// `reason=busy` (for example `detail=attach-timeout` from the bridge).
    Busy,
    /// `detail=unauthenticated` (AUTH did not succeed first).
    Unauthenticated,
    /// `ERR PARSE` / `ERR FRAME` for the ATTACH line.
    Parse,
    /// Any other refusal.
    Other,
}

impl AttachError {
    /// Classifies an `ERR ATTACH` / `ERR PARSE` / `ERR FRAME` ack (SRV and harness forms).
    pub fn from_ack(ack: &Ack<'_>) -> Self {
        if ack.label == "PARSE" || ack.label == "FRAME" {
            return AttachError::Parse;
        }
        let delay = ack.delay_ms().unwrap_or(0);
        for tag in [ack.detail(), ack.reason()].into_iter().flatten() {
            let word = tag.split(' ').next().unwrap_or(tag);
            let kind = match word {
                "denied" => Some(AttachError::Denied),
                "throttled" => Some(AttachError::Throttled { delay_ms: delay }),
                "rate-limited" => Some(AttachError::RateLimited { delay_ms: delay }),
                "invalid-role" => Some(AttachError::InvalidRole),
                "lifecycle-denied" => Some(AttachError::LifecycleDenied),
                "expired" => Some(AttachError::Expired),
                "invalid-claims" => Some(AttachError::InvalidClaims),
                "unauthenticated" => Some(AttachError::Unauthenticated),
                "attach-timeout" | "busy" => Some(AttachError::Busy),
                _ => None,
            };
            if let Some(kind) = kind {
                return kind;
            }
        }
        AttachError::Other
    }

    /// The back-off the queen asked for, if this is a throttle or rate-limit refusal.
    pub const fn delay_ms(&self) -> Option<u64> {
        match *self {
            AttachError::Throttled { delay_ms } | AttachError::RateLimited { delay_ms } => {
                Some(delay_ms)
            }
            _ => None,
        }
    }
}

impl fmt::Display for AttachError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttachError::Denied => f.write_str("attach denied"),
            AttachError::Throttled { delay_ms } => {
                write!(f, "attach throttled, retry in {delay_ms} ms")
            }
            AttachError::RateLimited { delay_ms } => {
                write!(f, "attach rate-limited, retry in {delay_ms} ms")
            }
            AttachError::InvalidRole => f.write_str("attach refused: invalid role"),
            AttachError::LifecycleDenied => f.write_str("attach refused by lifecycle state"),
            AttachError::Expired => f.write_str("attach refused: ticket expired"),
            AttachError::InvalidClaims => {
                f.write_str("attach refused: ticket claims exceed limits")
            }
            AttachError::Busy => f.write_str("attach refused: queen busy"),
            AttachError::Unauthenticated => f.write_str("attach refused: not authenticated"),
            AttachError::Parse => f.write_str("attach line rejected by the parser"),
            AttachError::Other => f.write_str("attach refused"),
        }
    }
}

/// Errors of the session state machine.
///
/// | variant | group ([`Error`]) | who acts |
/// |---|---|---|
/// | `AuthRejected`; `AttachRejected` for a denied, expired or over-limit ticket or a bad role | config | the operator fixes the token, ticket or role |
/// | `AttachRejected` otherwise (throttled, rate-limited, busy, lifecycle), `Protocol`, `InvalidUtf8` | peer | back off as asked / drop the peer |
/// | `TimedOut`, `PeerClosed` | transport | reconnect |
/// | `QueueFull` | resource | wait for completions |
/// | `Ticket` | config | operator |
/// | `Request`, `InvalidConfig`, `ReservedVerb`, `InvalidState` | caller | fix the call |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SessionError {
    /// The queen refused AUTH: `ERR AUTH`, or (real queen) it closed the connection before
    /// `OK AUTH`. Fatal, do not retry with the same token.
    AuthRejected,
    /// The queen refused ATTACH.
    AttachRejected(AttachError),
    /// The inbound byte stream is not a valid frame sequence (fatal for the connection).
    Protocol(FrameDecodeError),
    /// An inbound frame is not UTF-8 (the queen only sends UTF-8).
    InvalidUtf8,
    /// A deadline passed without progress; the connection is considered dead.
    TimedOut,
    /// The peer closed the connection (EOF, reset, I/O failure).
    PeerClosed,
    /// The request queue is full; wait for completions.
    QueueFull,
    /// The ticket was refused by client-side normalisation (spec §4.5).
    Ticket(NormalizeError),
    /// A [`Config`](super::Config) field is out of range.
    InvalidConfig,
    /// A request argument is invalid; nothing was queued.
    Request(RequestError),
    /// `AUTH`, `ATTACH` and `QUIT` are driven by the session, not sent with `send`.
    ReservedVerb,
    /// The call is not allowed in the current state (closed, quitting, events pending).
    InvalidState,
}

impl SessionError {
    /// The error grouped by who must act.
    pub fn group(&self) -> Error {
        match *self {
            SessionError::AuthRejected => Error::Config(ConfigError::InvalidToken),
            SessionError::AttachRejected(
                AttachError::Denied | AttachError::Expired | AttachError::InvalidClaims,
            ) => Error::Config(ConfigError::InvalidTicket),
            SessionError::AttachRejected(AttachError::InvalidRole) => {
                Error::Config(ConfigError::InvalidRole)
            }
            SessionError::AttachRejected(_) => Error::Peer(PeerError::Refused),
            SessionError::Protocol(e) => Error::Peer(PeerError::Frame(e)),
            SessionError::InvalidUtf8 => Error::Peer(PeerError::MalformedReply),
            SessionError::TimedOut => Error::Transport(TransportError::Timeout),
            SessionError::PeerClosed => Error::Transport(TransportError::Closed),
            SessionError::QueueFull => Error::Resource(ResourceError::QueueFull),
            SessionError::Ticket(_) => Error::Config(ConfigError::InvalidTicket),
            SessionError::Request(e) => Error::from(e),
            SessionError::InvalidConfig
            | SessionError::ReservedVerb
            | SessionError::InvalidState => Error::Caller(CallerError::InvalidState),
        }
    }
}

impl SessionError {
    /// Who must act (the group of [`SessionError::group`]).
    pub fn actor(&self) -> crate::error::Actor {
        self.group().actor()
    }
}

impl From<SessionError> for Error {
    fn from(e: SessionError) -> Self {
        e.group()
    }
}

impl From<RequestError> for SessionError {
    fn from(e: RequestError) -> Self {
        SessionError::Request(e)
    }
}

impl From<NormalizeError> for SessionError {
    fn from(e: NormalizeError) -> Self {
        SessionError::Ticket(e)
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::AuthRejected => f.write_str("authentication rejected"),
            SessionError::AttachRejected(e) => write!(f, "{e}"),
            SessionError::Protocol(e) => write!(f, "protocol error: {e}"),
            SessionError::InvalidUtf8 => f.write_str("reply line is not UTF-8"),
            SessionError::TimedOut => f.write_str("timed out"),
            SessionError::PeerClosed => f.write_str("connection closed by peer"),
            SessionError::QueueFull => f.write_str("request queue full"),
            SessionError::Ticket(e) => write!(f, "{e}"),
            SessionError::InvalidConfig => f.write_str("invalid session configuration"),
            SessionError::Request(e) => write!(f, "{e}"),
            SessionError::ReservedVerb => f.write_str("verb is driven by the session"),
            SessionError::InvalidState => f.write_str("not allowed in the current session state"),
        }
    }
}
