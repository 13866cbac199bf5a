//! Common error taxonomy, grouped by **who must act**.
//!
//! Every module of the core has its own precise error type (`FrameDecodeError`, `PathError`,
//! `RequestError`, ...). [`Error`] groups them by the party that has to do something about it:
//!
//! | group | who acts | examples |
//! |---|---|---|
//! | [`Error::Peer`] | the remote side misbehaved; drop the connection | bad frame length, malformed reply |
//! | [`Error::Resource`] | a local bound was hit; give more room or wait | output buffer too small, queue full |
//! | [`Error::Transport`] | the byte pipe failed; reconnect | timeout, connection closed |
//! | [`Error::Config`] | the deployment/configuration is wrong; an operator fixes it | unusable token or ticket |
//! | [`Error::Caller`] | the calling code passed something invalid; fix the call | path too long, bad payload |
//!
//! Module errors convert into [`Error`] with `From`, so `?` works across layers. The same five
//! groups are the [`Actor`] every error of every crate in this workspace reports
//! (`cohesix_tokio::ClientError::actor`, `cohesix::ErrorKind::actor`, the embassy adapter's
//! `Error::actor`): this table is the one definition of the grouping. A refusal whose fix is
//! the operator's (a rejected console token, a denied or expired ticket) is `Config`, even
//! though the peer reported it; a refusal the caller reads and backs off from is `Peer`.
//!
//! Every error type implements [`core::error::Error`]; wrappers return the error they wrap
//! from `source()`, so a report can print the whole chain.

use core::fmt;

use crate::command::ParseError;
use crate::control::ControlError;
use crate::frame::{FrameDecodeError, FrameEncodeError};
use crate::path::PathError;
use crate::request::RequestError;

/// Who must act on an error: the five groups of the table above.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Actor {
    /// The remote side misbehaved or refused; drop the connection or back off as asked.
    Peer,
    /// A bound was hit; give more room, ask for less or wait.
    Resource,
    /// The byte pipe failed; reconnect or retry later.
    Transport,
    /// The deployment or configuration is wrong (token, ticket, role); an operator fixes it.
    Config,
    /// The calling code passed something invalid, or a write's outcome must be checked.
    Caller,
}

impl Actor {
    /// The lower-case group name (`peer`, `resource`, `transport`, `config`, `caller`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Actor::Peer => "peer",
            Actor::Resource => "resource",
            Actor::Transport => "transport",
            Actor::Config => "config",
            Actor::Caller => "caller",
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// Who must act.
    pub const fn actor(&self) -> Actor {
        match self {
            Error::Peer(_) => Actor::Peer,
            Error::Resource(_) => Actor::Resource,
            Error::Transport(_) => Actor::Transport,
            Error::Config(_) => Actor::Config,
            Error::Caller(_) => Actor::Caller,
        }
    }
}

/// Top-level error of the protocol core, grouped by who must act.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The peer sent something invalid; the connection should be dropped.
    Peer(PeerError),
    /// A local resource bound was hit.
    Resource(ResourceError),
    /// The transport failed.
    Transport(TransportError),
    /// The configuration (token, ticket, role, policy) is unusable.
    Config(ConfigError),
    /// The caller passed an invalid argument.
    Caller(CallerError),
}

/// Errors caused by the peer (the queen, or a client when running as a server).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PeerError {
    /// An inbound frame violated the framing rules (spec §1.1–1.2).
    Frame(FrameDecodeError),
    /// An inbound console line did not parse (server side, spec §3.1).
    Parse(ParseError),
    /// A reply line did not have the expected shape.
    MalformedReply,
    /// A reply arrived that does not belong to any request in flight.
    UnexpectedReply,
    /// The peer refused the request (`ERR <LABEL> ...`).
    Refused,
    /// The peer closed the session (EOF, `OK QUIT`, or auth failure close).
    Closed,
    /// A control payload or `/proc` line read from the peer was refused
    /// ([`ControlError::from_peer`]).
    Payload(ControlError),
}

/// Errors caused by a local bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ResourceError {
    /// An output buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// A fixed-capacity queue (requests in flight, lines) is full.
    QueueFull,
}

/// Errors of the byte transport underneath the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TransportError {
    /// A deadline passed.
    Timeout,
    /// The connection is closed or reset.
    Closed,
    /// Reading or writing failed.
    Io,
}

/// Errors an operator has to fix in the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConfigError {
    /// The console token cannot be sent (empty, too long, not printable ASCII).
    InvalidToken,
    /// The ticket cannot be sent or is rejected locally.
    InvalidTicket,
    /// The role cannot be used.
    InvalidRole,
}

/// Errors in arguments passed by the calling code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum CallerError {
    /// A request argument is out of bounds.
    Request(RequestError),
    /// A path is invalid.
    Path(PathError),
    /// An outbound frame payload is invalid.
    Frame(FrameEncodeError),
    /// The operation is not allowed in the current state.
    InvalidState,
    /// A control payload built by the caller was refused (validation, encoding).
    Payload(ControlError),
}

impl From<PeerError> for Error {
    fn from(e: PeerError) -> Self {
        Error::Peer(e)
    }
}

impl From<ResourceError> for Error {
    fn from(e: ResourceError) -> Self {
        Error::Resource(e)
    }
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        Error::Transport(e)
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

impl From<CallerError> for Error {
    fn from(e: CallerError) -> Self {
        Error::Caller(e)
    }
}

impl From<FrameDecodeError> for Error {
    fn from(e: FrameDecodeError) -> Self {
        Error::Peer(PeerError::Frame(e))
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error::Peer(PeerError::Parse(e))
    }
}

impl From<FrameEncodeError> for Error {
    fn from(e: FrameEncodeError) -> Self {
        match e {
            FrameEncodeError::BufferTooSmall { needed, available } => {
                Error::Resource(ResourceError::BufferTooSmall { needed, available })
            }
            other => Error::Caller(CallerError::Frame(other)),
        }
    }
}

/// A payload the caller built: [`CallerError::Payload`]. For bytes that came from the peer
/// use [`ControlError::from_peer`].
impl From<ControlError> for Error {
    fn from(e: ControlError) -> Self {
        Error::Caller(CallerError::Payload(e))
    }
}

impl ControlError {
    /// Files a decoding/validation failure of peer data under [`PeerError::Payload`].
    pub fn from_peer(self) -> Error {
        Error::Peer(PeerError::Payload(self))
    }
}

impl From<PathError> for Error {
    fn from(e: PathError) -> Self {
        Error::Caller(CallerError::Path(e))
    }
}

impl From<RequestError> for Error {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::BufferTooSmall { needed, available } => {
                Error::Resource(ResourceError::BufferTooSmall { needed, available })
            }
            RequestError::InvalidToken => Error::Config(ConfigError::InvalidToken),
            RequestError::InvalidTicket => Error::Config(ConfigError::InvalidTicket),
            other => Error::Caller(CallerError::Request(other)),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Peer(e) => write!(f, "peer error: {e}"),
            Error::Resource(e) => write!(f, "resource error: {e}"),
            Error::Transport(e) => write!(f, "transport error: {e}"),
            Error::Config(e) => write!(f, "configuration error: {e}"),
            Error::Caller(e) => write!(f, "invalid argument: {e}"),
        }
    }
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerError::Frame(e) => write!(f, "{e}"),
            PeerError::Parse(e) => write!(f, "console line rejected: {}", e.detail()),
            PeerError::MalformedReply => f.write_str("malformed reply line"),
            PeerError::UnexpectedReply => f.write_str("reply does not match any request in flight"),
            PeerError::Refused => f.write_str("request refused by peer"),
            PeerError::Closed => f.write_str("peer closed the session"),
            PeerError::Payload(e) => write!(f, "payload refused: {e}"),
        }
    }
}

impl fmt::Display for ResourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceError::BufferTooSmall { needed, available } => {
                write!(f, "buffer too small: need {needed} bytes, have {available}")
            }
            ResourceError::QueueFull => f.write_str("queue full"),
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Timeout => f.write_str("timed out"),
            TransportError::Closed => f.write_str("connection closed"),
            TransportError::Io => f.write_str("i/o failure"),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::InvalidToken => f.write_str("console token unusable"),
            ConfigError::InvalidTicket => f.write_str("ticket unusable"),
            ConfigError::InvalidRole => f.write_str("role unusable"),
        }
    }
}

impl fmt::Display for CallerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallerError::Request(e) => write!(f, "{e}"),
            CallerError::Path(e) => write!(f, "{e}"),
            CallerError::Frame(e) => write!(f, "{e}"),
            CallerError::InvalidState => f.write_str("operation not allowed in this state"),
            CallerError::Payload(e) => write!(f, "{e}"),
        }
    }
}
