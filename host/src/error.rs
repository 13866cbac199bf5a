//! The host library's error, grouped by who must act.
//!
//! | [`ErrorKind`] | variants | who acts |
//! |---|---|---|
//! | `Caller` | [`Error::Path`], [`Error::Payload`], [`Error::Control`], [`Error::Escapes`] | the caller fixes the call |
//! | `Config` | [`Error::Env`], [`Error::Auth`], [`Error::Role`], [`Error::Ticket`], [`Error::Usage`] | the operator fixes the configuration |
//! | `Refused` | [`Error::Refused`], [`Error::NotADirectory`], [`Error::NotAFile`], [`Error::Precondition`] | the caller reads the target's `ERR` line (policy, quota, parse) or picks another node |
//! | `Peer` | [`Error::Console`] (protocol violations), [`Error::ProcLine`] | the target broke the wire contract or sent a line of another version: check the target |
//! | `Transport` | [`Error::Console`] (transport faults), [`Error::Io`], [`Error::Rest`] | retry later |
//! | `Resource` | [`Error::TooLarge`] | ask for less, or stream |
//! | `Unknown` | [`Error::OutcomeUnknown`] | a write may or may not have happened: check before re-sending |
//! | as its cause | [`Error::Batch`], [`Error::Receipt`] | a batch stopped (its per-line report is inside) / a receipt could not be written |
//!
//! The kinds refine the core's five groups ([`Actor`], defined once in
//! [`cohesix_core::error`]): [`ErrorKind::actor`] maps `Refused` to `Peer` and `Unknown` to
//! `Caller`; a console error's kind follows [`ClientError::actor`]. `source()` chains to the
//! console, I/O, batch, `/proc` parse or receipt error underneath.
//!
//! Messages follow upstream's where a client may match on them (host-surface §1.3, §5.2,
//! §5.4, §5.6, §5.7). No variant carries a console token, a request token or a ticket.

use core::fmt;
use std::io;

use cohesix_core::control::ControlError;
use cohesix_core::error::Actor;
use cohesix_tokio::{Ack, ClientError};

/// Who must act on an [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The call is invalid (path, payload, argument); nothing was sent.
    Caller,
    /// The configuration is invalid (environment, token, role, ticket, flags).
    Config,
    /// The target refused the operation.
    Refused,
    /// The transport failed; the operation did not happen (or is safe to retry).
    Transport,
    /// A bound was exceeded.
    Resource,
    /// A write's outcome is unknown.
    Unknown,
    /// The target broke the wire contract, or sent a line this client cannot parse.
    Peer,
}

impl ErrorKind {
    /// The core's group of this kind.
    #[must_use]
    pub const fn actor(self) -> Actor {
        match self {
            Self::Caller | Self::Unknown => Actor::Caller,
            Self::Config => Actor::Config,
            Self::Refused | Self::Peer => Actor::Peer,
            Self::Transport => Actor::Transport,
            Self::Resource => Actor::Resource,
        }
    }
}

/// An error of the host library.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An invalid namespace path (§1.3 wording).
    Path(ControlError),
    /// An invalid control payload (§1.2, §2.4 wording).
    Control(ControlError),
    /// An invalid append payload: `"payload must be UTF-8"`, `"echo payload must be a single
    /// line"`, `"echo payload exceeds 128 bytes"`, `"control payload must not be empty"`, ….
    Payload(String),
    /// `"<path> is not a directory"`.
    NotADirectory(String),
    /// `"<path> is not a file"`.
    NotAFile(String),
    /// `"path escapes mount root"`.
    Escapes,
    /// A bad environment variable (`"environment variable <NAME> must be an integer"`).
    Env(String),
    /// No usable token (§5.7 messages).
    Auth(String),
    /// `"unknown role '<r>'"`.
    Role(String),
    /// A ticket the client refuses (`"ticket payload is required"`, …).
    Ticket(String),
    /// Conflicting or missing options (a usage error of a tool).
    Usage(String),
    /// The target refused: `"<VERB> failed: <ERR line>"`.
    Refused {
        /// The verb (`LS`, `CAT`, `TAIL`, `ECHO`).
        verb: &'static str,
        /// The refusal line as received.
        ack: Ack,
    },
    /// `"read <path> exceeds max bytes <n>"` / `"tail <path> exceeds max bytes <n>"`.
    TooLarge {
        /// `read` or `tail`.
        op: &'static str,
        /// The path.
        path: String,
        /// The bound.
        max: usize,
    },
    /// A write was sent and its acknowledgement never came.
    OutcomeUnknown {
        /// The request (path and payload; no secrets).
        line: String,
    },
    /// The console failed (transport, protocol, auth).
    Console(ClientError),
    /// A local file operation failed.
    Io {
        /// What was being done (`"read /x"`).
        what: String,
        /// The cause.
        source: io::Error,
    },
    /// The REST gateway failed or answered an error (`"REST connection failed: …"`).
    Rest(String),
    /// A batch of control lines stopped: lines before it committed, the stopping line
    /// refused / unknown / not sent, the rest not written (the report is inside).
    Batch(Box<crate::orchestrator::BatchError>),
    /// A `/proc` line the core could not parse (a target of another version).
    ProcLine {
        /// The node.
        path: String,
        /// The line as read.
        line: String,
        /// The core's parse error.
        error: ControlError,
    },
    /// The target is not in the state the operation needs (`"gpu GPU-0 has no lease"`,
    /// `"telemetry push could not resolve latest segment id"`, a command deadline).
    Precondition(String),
    /// A receipt could not be written (`"lease failed: <e>; receipt failed: <e2>"`).
    Receipt {
        /// `lease` or `run`.
        op: &'static str,
        /// The operation's own error, if it failed too.
        cause: Option<Box<Error>>,
        /// Why the receipt could not be written.
        receipt: Box<Error>,
    },
}

impl Error {
    /// Who must act.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Path(_) | Self::Control(_) | Self::Payload(_) | Self::Escapes => {
                ErrorKind::Caller
            }
            Self::Env(_) | Self::Auth(_) | Self::Role(_) | Self::Ticket(_) | Self::Usage(_) => {
                ErrorKind::Config
            }
            // A directory answers "not a file" where a console answers `ERR … invalid-path`:
            // both are the target refusing the node.
            Self::Refused { .. } | Self::NotADirectory(_) | Self::NotAFile(_) => ErrorKind::Refused,
            Self::TooLarge { .. } => ErrorKind::Resource,
            Self::OutcomeUnknown { .. } => ErrorKind::Unknown,
            Self::Console(e) => match (e, e.actor()) {
                (ClientError::Refused(_), _) => ErrorKind::Refused,
                (ClientError::OutcomeUnknown { .. }, _) => ErrorKind::Unknown,
                (_, Actor::Peer) => ErrorKind::Peer,
                (_, Actor::Config) => ErrorKind::Config,
                (_, Actor::Resource) => ErrorKind::Resource,
                (_, Actor::Caller) => ErrorKind::Caller,
                _ => ErrorKind::Transport,
            },
            Self::ProcLine { .. } => ErrorKind::Peer,
            Self::Io { .. } | Self::Rest(_) => ErrorKind::Transport,
            Self::Precondition(_) => ErrorKind::Refused,
            Self::Batch(b) => b.kind(),
            Self::Receipt { cause, receipt, .. } => cause.as_deref().unwrap_or(receipt).kind(),
        }
    }

    /// Who must act, in the core's five groups (`self.kind().actor()`).
    #[must_use]
    pub fn actor(&self) -> Actor {
        self.kind().actor()
    }

    /// The per-line report, if a batch stopped.
    #[must_use]
    pub fn batch(&self) -> Option<&crate::orchestrator::BatchError> {
        match self {
            Self::Batch(b) => Some(b),
            _ => None,
        }
    }

    /// The refusal line, if the target refused.
    #[must_use]
    pub fn refusal(&self) -> Option<&Ack> {
        match self {
            Self::Refused { ack, .. } => Some(ack),
            Self::Console(e) => e.refusal(),
            Self::Batch(b) => b.cause().refusal(),
            _ => None,
        }
    }

    /// Whether the node was absent on the target: the real queen answers absent nodes
    /// with `invalid-path` (no not-found distinction), files answer not-found.
    #[must_use]
    pub fn is_missing(&self) -> bool {
        match self {
            Self::NotAFile(_) | Self::NotADirectory(_) => true,
            Self::Io { source, .. } => source.kind() == io::ErrorKind::NotFound,
            Self::Refused { ack, .. } => {
                let cause = ack.field("detail").or_else(|| ack.field("reason"));
                matches!(cause, Some("invalid-path" | "not-found" | "disabled"))
            }
            Self::Rest(m) => {
                let m = m.to_ascii_lowercase();
                m.contains("not found") || m.contains("404") || m.contains("invalid-path")
            }
            _ => false,
        }
    }

    pub(crate) fn io(what: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Path(e) | Self::Control(e) => write!(f, "{e}"),
            Self::Payload(m)
            | Self::Env(m)
            | Self::Auth(m)
            | Self::Role(m)
            | Self::Ticket(m)
            | Self::Usage(m)
            | Self::Precondition(m)
            | Self::Rest(m) => f.write_str(m),
            Self::NotADirectory(p) => write!(f, "{p} is not a directory"),
            Self::NotAFile(p) => write!(f, "{p} is not a file"),
            Self::Escapes => f.write_str("path escapes mount root"),
            Self::Refused { verb, ack } => write!(f, "{verb} failed: {ack}"),
            Self::TooLarge { op, path, max } => write!(f, "{op} {path} exceeds max bytes {max}"),
            Self::OutcomeUnknown { line } => {
                write!(f, "outcome unknown (ack not seen, not re-sent): {line}")
            }
            Self::Console(e) => write!(f, "{e}"),
            Self::Io { what, source } => write!(f, "{what}: {source}"),
            Self::Batch(b) => write!(f, "{b}"),
            Self::ProcLine { path, line, error } => {
                write!(f, "{path}: cannot parse {line:?}: {error}")
            }
            Self::Receipt {
                op,
                cause: Some(c),
                receipt,
            } => write!(f, "{op} failed: {c}; receipt failed: {receipt}"),
            Self::Receipt {
                cause: None,
                receipt,
                ..
            } => write!(f, "receipt failed: {receipt}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Console(e) => Some(e),
            Self::Io { source, .. } => Some(source),
            Self::Batch(b) => Some(&**b),
            Self::ProcLine { error, .. } => Some(error),
            Self::Receipt { receipt, .. } => Some(&**receipt),
            _ => None,
        }
    }
}

impl From<ClientError> for Error {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::OutcomeUnknown { line } => Self::OutcomeUnknown { line },
            other => Self::Console(other),
        }
    }
}

impl From<ControlError> for Error {
    fn from(e: ControlError) -> Self {
        Self::Control(e)
    }
}
