//! The error chain: every error type of the core implements [`core::error::Error`], and a
//! wrapper returns the error it wraps from `source()`.
//!
//! A variant whose `Display` adds words to the inner error (`"invalid ticket: {e}"`) returns
//! the inner error; a variant that only forwards the inner `Display` is transparent (like
//! `thiserror`'s `#[error(transparent)]`) and returns the inner error's own source, so a
//! report never prints the same message twice.

use core::error::Error as StdError;

use crate::command::{AuthError, ParseError};
use crate::control::{ControlError, JsonError};
use crate::error::{CallerError, ConfigError, Error, PeerError, ResourceError, TransportError};
use crate::frame::{FrameDecodeError, FrameEncodeError};
use crate::path::PathError;
use crate::request::RequestError;
use crate::session::{AttachError, SessionError};
use crate::ticket::{LimitViolation, NormalizeError, TicketError};

/// Errors that wrap nothing.
macro_rules! leaf_errors {
    ($($ty:ty),* $(,)?) => { $(impl StdError for $ty {})* };
}

leaf_errors!(
    ResourceError,
    TransportError,
    ConfigError,
    ParseError,
    AuthError,
    PathError,
    FrameEncodeError,
    FrameDecodeError,
    TicketError,
    LimitViolation,
    AttachError,
    JsonError,
);

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Error::Peer(e) => Some(e),
            Error::Resource(e) => Some(e),
            Error::Transport(e) => Some(e),
            Error::Config(e) => Some(e),
            Error::Caller(e) => Some(e),
        }
    }
}

impl StdError for PeerError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            // Transparent: the frame error's own text.
            PeerError::Frame(e) => e.source(),
            PeerError::Parse(e) => Some(e),
            PeerError::Payload(e) => Some(e),
            _ => None,
        }
    }
}

impl StdError for CallerError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            CallerError::Request(e) => e.source(),
            CallerError::Path(e) => e.source(),
            CallerError::Frame(e) => e.source(),
            CallerError::Payload(e) => e.source(),
            _ => None,
        }
    }
}

impl StdError for RequestError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            RequestError::Path(e) => Some(e),
            _ => None,
        }
    }
}

impl StdError for NormalizeError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            NormalizeError::Invalid(e) => Some(e),
            _ => None,
        }
    }
}

impl StdError for SessionError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            SessionError::AttachRejected(e) => e.source(),
            SessionError::Protocol(e) => Some(e),
            SessionError::Ticket(e) => e.source(),
            SessionError::Request(e) => e.source(),
            _ => None,
        }
    }
}

impl StdError for ControlError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            ControlError::Json(e) => Some(e),
            ControlError::Path { error, .. } => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use core::error::Error as _;
    use std::string::{String, ToString};
    use std::vec::Vec;

    use super::*;

    fn chain(e: &dyn StdError) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = Some(e);
        while let Some(err) = cur {
            out.push(err.to_string());
            cur = err.source();
        }
        out
    }

    #[test]
    fn wrappers_chain_to_their_cause_without_repeating_it() {
        let e = Error::from(RequestError::Path(PathError::NotAbsolute));
        let c = chain(&e);
        // Error -> CallerError (transparent over RequestError) -> PathError.
        assert_eq!(c.len(), 3, "{c:?}");
        assert!(c[0].starts_with("invalid argument: "), "{c:?}");
        assert_eq!(c[2], PathError::NotAbsolute.to_string());
        assert!(c[0].ends_with(&c[2]), "{c:?}");
    }

    #[test]
    fn session_errors_chain_and_group_by_actor() {
        let e = SessionError::Protocol(FrameDecodeError::TooShort { total_len: 2 });
        assert!(e.source().is_some());
        assert_eq!(e.actor(), crate::error::Actor::Peer);
        assert_eq!(
            SessionError::AuthRejected.actor(),
            crate::error::Actor::Config
        );
        assert_eq!(
            SessionError::AttachRejected(AttachError::Throttled { delay_ms: 5 }).actor(),
            crate::error::Actor::Peer
        );
        assert_eq!(
            SessionError::AttachRejected(AttachError::Denied).actor(),
            crate::error::Actor::Config
        );
        let t = SessionError::Ticket(NormalizeError::Invalid(TicketError::MacMismatch));
        assert_eq!(
            t.source().map(|s| s.to_string()),
            Some(TicketError::MacMismatch.to_string())
        );
    }

    #[test]
    fn leaves_have_no_source() {
        assert!(TicketError::MacMismatch.source().is_none());
        assert!(ConfigError::InvalidToken.source().is_none());
    }
}
