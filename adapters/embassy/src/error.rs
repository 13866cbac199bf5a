//! Adapter errors: the core's session error plus the transport's own error type.
//!
//! Grouped by who must act with the core's [`Actor`] ([`Error::actor`]): `Transport` for a
//! failed transport, a zero-length write or a missed deadline; the session error's group
//! otherwise (a refused token is `Config`, a bad argument `Caller`).

use core::fmt;

use cohesix_core::error::Actor;
use cohesix_core::session::SessionError;

/// Why a driver call ended without its result.
///
/// `E` is the transport's error (`embassy_net::tcp::Error`, an `embedded_io` error, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error<E> {
    /// The transport failed (read or write error). The session was closed; call
    /// `restart` after reconnecting the transport.
    Transport(E),
    /// The transport accepted zero bytes on a write (treated as a dead connection).
    WriteZero,
    /// The session ended; the core's reason (`None`: clean close after `QUIT`).
    Closed(Option<SessionError>),
    /// The caller's deadline passed. The session is still usable (nothing was lost: buffered
    /// bytes and half-written frames stay in the driver).
    Deadline,
    /// The core refused the call (bad argument, queue full, wrong state).
    Session(SessionError),
}

impl<E> From<SessionError> for Error<E> {
    fn from(e: SessionError) -> Self {
        Error::Session(e)
    }
}

impl<E> Error<E> {
    /// True when the connection is gone and the caller should reconnect (transport failure,
    /// write-zero, or a session close other than a refused AUTH/ATTACH).
    pub fn needs_reconnect(&self) -> bool {
        match self {
            Error::Transport(_) | Error::WriteZero => true,
            Error::Closed(e) => !matches!(
                e,
                Some(SessionError::AuthRejected) | Some(SessionError::AttachRejected(_))
            ),
            Error::Deadline | Error::Session(_) => false,
        }
    }
}

impl<E> Error<E> {
    /// Who must act (the core's grouping).
    pub fn actor(&self) -> Actor {
        match self {
            Error::Transport(_) | Error::WriteZero | Error::Deadline | Error::Closed(None) => {
                Actor::Transport
            }
            Error::Closed(Some(e)) | Error::Session(e) => e.actor(),
        }
    }
}

impl<E: fmt::Debug> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The transport's error types (embassy-net, embedded-io) implement Debug only.
            Error::Transport(e) => write!(f, "transport error: {e:?}"),
            Error::WriteZero => f.write_str("transport accepted zero bytes (connection dead)"),
            Error::Closed(None) => f.write_str("session closed"),
            Error::Closed(Some(e)) => write!(f, "session closed: {e}"),
            Error::Deadline => f.write_str("deadline passed"),
            Error::Session(e) => write!(f, "{e}"),
        }
    }
}

impl<E: fmt::Debug> core::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::Closed(Some(e)) => Some(e),
            Error::Session(e) => core::error::Error::source(e),
            _ => None,
        }
    }
}
