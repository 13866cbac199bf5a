//! [`EvidenceError`]: why a pack could not be made or read, grouped by who must act.

use core::fmt;

use crate::error::{Error, ErrorKind};

/// An evidence error. No variant carries a token or a ticket: target errors are the host
/// library's [`Error`] (which never does) and pack problems name files and line numbers.
#[derive(Debug)]
#[non_exhaustive]
pub enum EvidenceError {
    /// The target could not be reached, or dropped, while `path` was being captured. The
    /// pack is incomplete: `summary.json` was not written (the files captured before stay,
    /// each whole).
    Target {
        /// The namespace path being captured.
        path: String,
        /// Items captured before the failure.
        captured: usize,
        /// The transport error.
        source: Error,
    },
    /// A local file could not be read or written.
    Io {
        /// What was being done (`"write /tmp/p/meta.json"`).
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A file of a pack is unusable (not UTF-8, not JSON, over the read bound).
    Pack {
        /// The file, relative to the pack (`audit/journal`).
        file: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The `--policy` file is not the policy this build carries.
    Policy(String),
}

impl EvidenceError {
    /// Who must act: the target's transport ([`ErrorKind::Transport`], or the error's own
    /// kind), the local filesystem ([`ErrorKind::Transport`]), the pack's producer
    /// ([`ErrorKind::Caller`]) or the operator ([`ErrorKind::Config`]).
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Target { source, .. } => source.kind(),
            Self::Io { .. } => ErrorKind::Transport,
            Self::Pack { .. } => ErrorKind::Caller,
            Self::Policy(_) => ErrorKind::Config,
        }
    }

    pub(crate) fn pack(file: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Pack {
            file: file.into(),
            reason: reason.into(),
        }
    }

    /// A local write's error ([`crate::json::write_atomic`] fails only with `Error::Io`).
    pub(crate) fn local(e: Error) -> Self {
        match e {
            Error::Io { what, source } => Self::Io { what, source },
            other => Self::Io {
                what: other.to_string(),
                source: std::io::Error::other("local operation failed"),
            },
        }
    }

    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}

impl fmt::Display for EvidenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Target {
                path,
                captured,
                source,
            } => write!(
                f,
                "target unreachable while capturing {path} ({captured} items captured; \
                 pack incomplete, summary.json not written): {source}"
            ),
            Self::Io { what, source } => write!(f, "{what}: {source}"),
            Self::Pack { file, reason } => write!(f, "pack file {file}: {reason}"),
            Self::Policy(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for EvidenceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Target { source, .. } => Some(source),
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
