//! Adapter errors: the core's session error plus the transport's own error type.

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
