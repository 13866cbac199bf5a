//! `cohsh --mint-ticket`: ticket secrets lookup and minting.
//!
//! The secret for a role comes from, in order: `COHSH_TICKET_SECRET`; the `[[tickets]]`
//! table of the TOML named by `COHSH_TICKET_CONFIG`; the `[[tickets]]` table of
//! `configs/root_task.toml` (the manifest) under the working directory. The secret is never
//! printed or logged.

use core::fmt;
use std::path::{Path, PathBuf};

use cohesix_core::role::Role;
use cohesix_core::ticket::{self, Claims, TicketKey, MAX_TICKET_LEN};

/// Default manifest location, relative to the working directory.
pub const DEFAULT_MANIFEST: &str = "configs/root_task.toml";

/// Why a ticket could not be minted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MintError {
    /// No secret for the role was found.
    NoSecret {
        /// Role label.
        role: &'static str,
    },
    /// The secrets file could not be read or parsed.
    Config(String),
    /// The core refused the claims (e.g. a worker role without subject).
    Ticket(String),
}

impl fmt::Display for MintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSecret { role } => write!(
                f,
                "no ticket secret for role {role}: set COHSH_TICKET_SECRET or \
                 COHSH_TICKET_CONFIG, or run where {DEFAULT_MANIFEST} exists"
            ),
            Self::Config(m) => write!(f, "ticket config: {m}"),
            Self::Ticket(m) => write!(f, "cannot mint ticket: {m}"),
        }
    }
}

impl std::error::Error for MintError {}

/// The first non-empty `[[tickets]]` secret for `role` in manifest TOML text (read by
/// [`cohesix::auth::secret_from_toml`], the one reader of that table).
///
/// # Errors
/// [`MintError::Config`] when the text is not TOML (the shell does not fall back to the
/// library's line scan: a broken `COHSH_TICKET_CONFIG` is the operator's to fix).
pub fn secret_from_toml(text: &str, role: Role) -> Result<Option<String>, MintError> {
    toml::from_str::<toml::Value>(text).map_err(|e| MintError::Config(e.to_string()))?;
    Ok(cohesix::auth::secret_from_toml(text, role))
}

/// Resolves the secret for `role` (see the module docs for the order).
///
/// # Errors
/// [`MintError`] when no source has one.
pub fn resolve_secret(
    role: Role,
    env_secret: Option<String>,
    env_config: Option<PathBuf>,
    cwd: &Path,
) -> Result<String, MintError> {
    if let Some(s) = env_secret.filter(|s| !s.trim().is_empty()) {
        return Ok(s);
    }
    let path = env_config.unwrap_or_else(|| cwd.join(DEFAULT_MANIFEST));
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| MintError::Config(format!("{}: {e}", path.display())))?;
        if let Some(secret) = secret_from_toml(&text, role)? {
            return Ok(secret);
        }
    }
    Err(MintError::NoSecret { role: role.label() })
}

/// Mints a ticket with the role's default budget, the subject and `issued_at_ms`.
///
/// # Errors
/// [`MintError::Ticket`] when the core refuses the claims.
pub fn mint(
    role: Role,
    subject: Option<&str>,
    secret: &str,
    issued_at_ms: u64,
) -> Result<String, MintError> {
    let claims = Claims::for_role(role, subject, issued_at_ms)
        .map_err(|e| MintError::Ticket(e.to_string()))?;
    let key = TicketKey::from_secret(secret.as_bytes());
    let mut out = [0u8; MAX_TICKET_LEN];
    let token =
        ticket::mint(&claims, &key, &mut out).map_err(|e| MintError::Ticket(e.to_string()))?;
    Ok(token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/upstream/configs/root_task.toml"
        ))
        .unwrap()
    }

    #[test]
    fn secrets_come_from_the_manifest_tickets_table() {
        let text = manifest();
        assert_eq!(
            secret_from_toml(&text, Role::Queen).unwrap().as_deref(),
            Some("bootstrap")
        );
        assert_eq!(
            secret_from_toml(&text, Role::WorkerHeartbeat)
                .unwrap()
                .as_deref(),
            Some("worker")
        );
        assert_eq!(
            secret_from_toml(&text, Role::WorkerGpu).unwrap().as_deref(),
            Some("worker-gpu")
        );
        assert!(secret_from_toml("not toml [", Role::Queen).is_err());
        assert_eq!(secret_from_toml("x = 1", Role::Queen).unwrap(), None);
    }

    #[test]
    fn env_secret_wins_then_config_then_default() {
        let dir = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/upstream"
        ));
        assert_eq!(
            resolve_secret(Role::Queen, Some("override".into()), None, dir).unwrap(),
            "override"
        );
        assert_eq!(
            resolve_secret(Role::Queen, None, None, dir).unwrap(),
            "bootstrap"
        );
        let cfg = dir.join("configs/root_task_regression.toml");
        assert!(resolve_secret(Role::WorkerBus, None, Some(cfg), dir).is_ok());
        let nowhere = Path::new("/nonexistent-cohesix-dir");
        assert_eq!(
            resolve_secret(Role::Queen, None, None, nowhere).unwrap_err(),
            MintError::NoSecret { role: "queen" }
        );
    }

    #[test]
    fn mints_the_spec_vector() {
        // spec §8.5 vector 2.
        let t = mint(
            Role::WorkerHeartbeat,
            Some("worker-1"),
            "worker",
            1_700_000_000_000,
        )
        .unwrap();
        assert_eq!(
            t,
            "cohesix-ticket-01010fe80300000000000010270000000000002c010000000000000800776f726b65722d310068e5cf8b01000000000000.f134e615612664333a0639b469b5b820de88df0824e2a0a6a3ebf9a51a582e16"
        );
        assert!(matches!(
            mint(Role::WorkerGpu, None, "worker-gpu", 1),
            Err(MintError::Ticket(_))
        ));
    }
}
