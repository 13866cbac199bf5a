//! Ticket errors (spec §4.1, §4.2, §4.5), grouped by who must act.
//!
//! No variant carries token text, MAC bytes, keys or secrets: only lengths, single
//! offending bytes (version, role, verb) and roles.

use core::fmt;

use crate::role::Role;

/// Who must act to fix a ticket error: the crate-wide [`Actor`](crate::error::Actor) (a
/// ticket error is only ever `Peer`, `Resource` or `Config`).
pub type TicketActor = crate::error::Actor;

/// A ticket codec, MAC or role-check failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TicketError {
    /// The token does not start with the exact, case-sensitive `cohesix-ticket-` prefix.
    MissingPrefix,
    /// No `.` separator, odd hex length or a non-hex character.
    MalformedToken,
    /// The MAC decodes to this many bytes instead of 32.
    InvalidMacLength(usize),
    /// The MAC does not match the claims under the given key.
    MacMismatch,
    /// The claims version byte is not 1.
    UnsupportedVersion(u8),
    /// The claims role byte is not a known role (≥ 5).
    UnsupportedRole(u8),
    /// A string field (subject, mount, scope path) is longer than 255 bytes.
    MountTooLarge,
    /// A scope verb byte is not 0 (read), 1 (write) or 2 (read-write).
    InvalidScopeVerb(u8),
    /// More than 16 scopes.
    ScopeTooMany,
    /// The claims payload ended before a field was complete.
    Truncated,
    /// Bytes were left after the last claims field.
    TrailingData,
    /// The token is longer than the console cap (the value is the cap, 224).
    TooLong(usize),
    /// A string field of the claims is not valid UTF-8.
    InvalidUtf8,
    /// A caller buffer is too small; `needed` bytes are required.
    BufferTooSmall {
        /// Bytes the operation needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// The claims carry another role than the one requested.
    RoleMismatch {
        /// Role the caller or server asked for.
        expected: Role,
        /// Role found in the claims.
        found: Role,
    },
    /// A worker ticket was to be minted without a subject.
    MissingSubject,
    /// A role secret is longer than the 224 bytes the server registers.
    SecretTooLong,
}

impl TicketError {
    /// Who must act on this error on the client side: a ticket, secret or subject comes from
    /// the configuration, so everything but a too-small buffer is [`TicketActor::Config`]
    /// (`crate::error::ConfigError::InvalidTicket`).
    pub const fn actor(&self) -> TicketActor {
        match self {
            TicketError::BufferTooSmall { .. } => TicketActor::Resource,
            _ => TicketActor::Config,
        }
    }

    /// Who must act when a server (the queen simulator) refuses a ticket a peer sent: the
    /// peer, except for a too-small buffer or an unregistrable secret.
    pub const fn actor_server_side(&self) -> TicketActor {
        match self {
            TicketError::BufferTooSmall { .. } => TicketActor::Resource,
            TicketError::SecretTooLong => TicketActor::Config,
            _ => TicketActor::Peer,
        }
    }

    /// Whether this is one of the codec errors of spec §4.5 (token text or claims bytes are
    /// malformed), as opposed to a key, role, policy or buffer problem.
    pub const fn is_codec(&self) -> bool {
        matches!(
            self,
            TicketError::MissingPrefix
                | TicketError::MalformedToken
                | TicketError::InvalidMacLength(_)
                | TicketError::UnsupportedVersion(_)
                | TicketError::UnsupportedRole(_)
                | TicketError::MountTooLarge
                | TicketError::InvalidScopeVerb(_)
                | TicketError::ScopeTooMany
                | TicketError::Truncated
                | TicketError::TrailingData
                | TicketError::TooLong(_)
                | TicketError::InvalidUtf8
        )
    }
}

impl fmt::Display for TicketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TicketError::MissingPrefix => {
                f.write_str("ticket is missing the cohesix-ticket- prefix")
            }
            TicketError::MalformedToken => f.write_str("ticket is not well-formed hex"),
            TicketError::InvalidMacLength(n) => {
                write!(f, "ticket MAC is {n} bytes, expected 32")
            }
            TicketError::MacMismatch => f.write_str("ticket MAC does not verify"),
            TicketError::UnsupportedVersion(v) => {
                write!(f, "unsupported ticket claims version {v}")
            }
            TicketError::UnsupportedRole(v) => write!(f, "unsupported ticket role byte {v}"),
            TicketError::MountTooLarge => f.write_str("ticket string field exceeds 255 bytes"),
            TicketError::InvalidScopeVerb(v) => write!(f, "invalid ticket scope verb {v}"),
            TicketError::ScopeTooMany => f.write_str("ticket has more than 16 scopes"),
            TicketError::Truncated => f.write_str("ticket claims are truncated"),
            TicketError::TrailingData => f.write_str("ticket claims have trailing data"),
            TicketError::TooLong(max) => write!(f, "ticket exceeds {max} bytes"),
            TicketError::InvalidUtf8 => f.write_str("ticket string field is not UTF-8"),
            TicketError::BufferTooSmall { needed, available } => {
                write!(
                    f,
                    "ticket buffer too small: {needed} bytes needed, {available} available"
                )
            }
            TicketError::RoleMismatch { expected, found } => write!(
                f,
                "ticket role {} does not match requested role {}",
                found.label(),
                expected.label()
            ),
            TicketError::MissingSubject => f.write_str("worker ticket requires a subject"),
            TicketError::SecretTooLong => f.write_str("ticket secret exceeds 224 bytes"),
        }
    }
}

/// Why client-side ticket normalisation (spec §4.5, COHSH `TicketPolicy::tcp()`) refused a
/// ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum NormalizeError {
    /// The trimmed ticket is longer than the cap (the value is the cap, 224).
    TooLong(usize),
    /// A worker role was requested without a ticket.
    Missing,
    /// The ticket does not decode.
    Invalid(TicketError),
    /// The ticket was minted for another role.
    RoleMismatch {
        /// Role requested by the caller.
        expected: Role,
        /// Role found in the claims.
        found: Role,
    },
    /// A worker ticket carries no subject.
    MissingSubject,
}

impl NormalizeError {
    /// Who must act: the configuration that supplied the ticket
    /// (`crate::error::ConfigError::InvalidTicket`).
    pub const fn actor(&self) -> TicketActor {
        match self {
            NormalizeError::Invalid(e) => e.actor(),
            _ => TicketActor::Config,
        }
    }
}

impl fmt::Display for NormalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NormalizeError::TooLong(max) => write!(f, "ticket exceeds {max} bytes"),
            NormalizeError::Missing => f.write_str("worker role requires a ticket"),
            NormalizeError::Invalid(e) => write!(f, "invalid ticket: {e}"),
            NormalizeError::RoleMismatch { expected, found } => write!(
                f,
                "ticket role {} does not match requested role {}",
                found.label(),
                expected.label()
            ),
            NormalizeError::MissingSubject => f.write_str("worker ticket requires a subject"),
        }
    }
}

impl From<TicketError> for NormalizeError {
    fn from(e: TicketError) -> Self {
        NormalizeError::Invalid(e)
    }
}
