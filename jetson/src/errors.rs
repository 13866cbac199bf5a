//! `Display`, [`core::error::Error`] and the who-must-act group ([`Actor`]) of the agent's
//! error types (the grouping is the core's, see `cohesix_core::error`).

use core::error::Error as StdError;
use core::fmt;

use cohesix_core::error::Actor;

use crate::agent::{LinkError, SetupError};
use crate::config::ConfigError;
use crate::schema::LeaseError;
use crate::spool::CodecError;

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinkError::Refused => "connection refused or reset",
            LinkError::TimedOut => "connect timed out",
            LinkError::Local => "local network error (no route or bad state)",
        })
    }
}

impl StdError for LinkError {}

impl LinkError {
    /// Who must act: always the transport (reconnect later).
    pub const fn actor(&self) -> Actor {
        Actor::Transport
    }
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::Ticket(_) => f.write_str("agent ticket could not be minted"),
            SetupError::Session(_) => f.write_str("agent credentials or configuration refused"),
        }
    }
}

impl StdError for SetupError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            SetupError::Ticket(e) => Some(e),
            SetupError::Session(e) => Some(e),
        }
    }
}

impl SetupError {
    /// Who must act: the ticket's or the session error's group.
    pub fn actor(&self) -> Actor {
        match self {
            SetupError::Ticket(e) => e.actor(),
            SetupError::Session(e) => e.actor(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConfigError::BadId => {
                "id must be a non-empty token of [A-Za-z0-9._-] within the id bound"
            }
            ConfigError::BadCommand => {
                "command too long for a breadcrumb, or it contains '\"', '\\\\' or control bytes"
            }
        })
    }
}

impl StdError for ConfigError {}

impl fmt::Display for LeaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LeaseError::Malformed => {
                "lease document is not gpu-lease/v1 JSON of the expected shape"
            }
            LeaseError::WrongSchema => "lease schema is not gpu-lease/v1",
            LeaseError::UnknownState => "lease state is neither ACTIVE nor RELEASED",
            LeaseError::OtherGpu => "lease names another GPU",
            LeaseError::MissingWorker => "ACTIVE lease without a worker id",
        })
    }
}

impl StdError for LeaseError {}

impl LeaseError {
    /// Who must act: the peer sent a lease document this agent refuses.
    pub const fn actor(&self) -> Actor {
        Actor::Peer
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("spool record could not be encoded or decoded")
    }
}

impl StdError for CodecError {}

#[cfg(test)]
mod tests {
    use std::string::ToString;

    use cohesix_core::session::SessionError;

    use super::*;

    #[test]
    fn setup_error_chains_to_the_session_error() {
        let e = SetupError::Session(SessionError::InvalidConfig);
        assert_eq!(
            e.source().map(|s| s.to_string()),
            Some(SessionError::InvalidConfig.to_string())
        );
        assert_eq!(e.actor(), Actor::Caller);
        assert_eq!(LinkError::TimedOut.actor(), Actor::Transport);
        assert!(!ConfigError::BadId.to_string().is_empty());
    }
}
