//! Simulator configuration: bind address, console token, ticket secrets, namespace features.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cohesix_core::role::Role;
use cohesix_core::ticket::TicketKey;

use crate::clock::{Clock, ManualClock, WallClock};
use crate::namespace::Features;

/// The placeholder console token of the upstream release.
pub const INSECURE_DEFAULT_TOKEN: &str = "changeme";
/// SRV's AUTH deadline after accept (spec §2.2).
pub const AUTH_TIMEOUT: Duration = Duration::from_millis(5000);
/// Idle limit of an authenticated connection (architected-timer build, spec §2.5).
pub const IDLE_TIMEOUT: Duration = Duration::from_millis(300_000);
/// Longest a reply may take to drain into the peer (a peer that stops reading loses the
/// session then; the idle deadline caps it too).
pub const WRITE_TIMEOUT: Duration = Duration::from_millis(10_000);

/// Error loading ticket secrets from a manifest.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The manifest did not parse or broke a rule (file, line, column and rule; never a secret).
    #[error(transparent)]
    Invalid(#[from] cohesix_manifest::ManifestError),
    /// A `[[tickets]]` entry names a role the console does not know, or its secret is too long.
    #[error("manifest [[tickets]] entry {index} is invalid: {why}")]
    Entry {
        /// Entry index.
        index: usize,
        /// What is wrong (never the secret itself).
        why: &'static str,
    },
}

/// MAC keys per role (first `[[tickets]]` entry for a role wins). `Debug` shows roles only.
#[derive(Clone)]
pub struct SecretTable {
    keys: Vec<(Role, TicketKey)>,
}

impl fmt::Debug for SecretTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let roles: Vec<&str> = self.keys.iter().map(|(r, _)| r.label()).collect();
        f.debug_struct("SecretTable")
            .field("roles", &roles)
            .field("keys", &"<redacted>")
            .finish()
    }
}

impl SecretTable {
    /// Secrets of the project's manifest, as generated into `cohesix_generated::TICKETS`.
    pub fn shipped() -> Self {
        let mut keys: Vec<(Role, TicketKey)> = Vec::new();
        for (label, secret) in cohesix_generated::TICKETS {
            if let Some(role) = Role::from_label(label) {
                if !keys.iter().any(|(r, _)| *r == role) {
                    keys.push((role, TicketKey::from_secret(secret.as_bytes())));
                }
            }
        }
        Self { keys }
    }

    /// A table from `(role, secret)` pairs (first pair for a role wins), e.g. for tests with
    /// recognisable secrets. Secrets longer than 224 bytes are refused, as on the queen.
    pub fn from_secrets<'a>(
        pairs: impl IntoIterator<Item = (Role, &'a str)>,
    ) -> Result<Self, ManifestError> {
        let mut keys: Vec<(Role, TicketKey)> = Vec::new();
        for (index, (role, secret)) in pairs.into_iter().enumerate() {
            let key = TicketKey::from_registered_secret(secret.as_bytes()).map_err(|_| {
                ManifestError::Entry {
                    index,
                    why: "secret longer than 224 bytes",
                }
            })?;
            if !keys.iter().any(|(r, _)| *r == role) {
                keys.push((role, key));
            }
        }
        Ok(Self { keys })
    }

    /// Reads `[[tickets]]` from a root-task manifest, validated by the manifest compiler
    /// (`file` names the source in errors). The first entry for a role wins, as on the queen.
    pub fn from_manifest_toml(text: &str, file: &str) -> Result<Self, ManifestError> {
        let manifest = cohesix_manifest::check_str(text, file)?;
        let mut keys: Vec<(Role, TicketKey)> = Vec::new();
        for (index, t) in manifest.tickets.iter().enumerate() {
            let bad = |why| ManifestError::Entry { index, why };
            let role = Role::from_label(t.role.label()).ok_or(bad("unknown role"))?;
            let key = TicketKey::from_registered_secret(t.secret.as_bytes())
                .map_err(|_| bad("secret longer than 224 bytes"))?;
            if !keys.iter().any(|(r, _)| *r == role) {
                keys.push((role, key));
            }
        }
        Ok(Self { keys })
    }

    /// Key for `role`, if the manifest registers one.
    pub fn key(&self, role: Role) -> Option<&TicketKey> {
        self.keys.iter().find(|(r, _)| *r == role).map(|(_, k)| k)
    }
}

/// The console token; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken(String);

impl AuthToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token text (compare only; never log it).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthToken(<redacted>)")
    }
}

/// Everything [`crate::server::Simulator::spawn`] and [`crate::serve::SimCore::new`] need.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Listen address (port 0 picks a free port).
    pub bind: SocketAddr,
    /// Console token.
    pub token: AuthToken,
    /// Ticket MAC keys.
    pub secrets: SecretTable,
    /// Namespace surfaces.
    pub features: Features,
    /// Seed of the demo tree's synthetic numbers.
    pub seed: u64,
    /// Server clock (ATTACH throttle/limiter, `/proc` times).
    pub clock: Arc<dyn Clock>,
    /// AUTH deadline after accept.
    pub auth_timeout: Duration,
    /// Idle limit once authenticated (only a complete inbound frame or a completed send
    /// resets it).
    pub idle_timeout: Duration,
    /// Deadline of each send (capped by the idle deadline).
    pub write_timeout: Duration,
}

impl SimConfig {
    /// Loopback on an ephemeral port, the `changeme` token, shipped secrets, all features,
    /// wall clock.
    pub fn loopback() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: AuthToken::new(INSECURE_DEFAULT_TOKEN),
            secrets: SecretTable::shipped(),
            features: Features::full(),
            seed: 0,
            clock: Arc::new(WallClock::new()),
            auth_timeout: AUTH_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            write_timeout: WRITE_TIMEOUT,
        }
    }

    /// The host library's Mock backend: [`SimConfig::loopback`] with
    /// [`Features::mock`]`(include_mig)` and a [`ManualClock`] standing at 0, so every
    /// `/proc` value is deterministic (ATTACH throttle windows then only expire when the
    /// caller moves the clock or swaps in a [`WallClock`]). Serve it in process with
    /// [`crate::serve::SimCore`].
    pub fn mock(include_mig: bool) -> Self {
        Self {
            features: Features::mock(include_mig),
            clock: Arc::new(ManualClock::new(0)),
            ..Self::loopback()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_from_manifest_and_redaction() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/upstream/configs/root_task_regression.toml"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let t = SecretTable::from_manifest_toml(&text, "regression.toml").unwrap();
        assert!(t.key(Role::Queen).is_some());
        let dbg = format!("{t:?} {:?}", AuthToken::new("hunter2"));
        assert!(!dbg.contains("bootstrap") && !dbg.contains("hunter2"));
        let bad = text.replacen("role = \"queen\"", "role = \"king\"", 1);
        let err = SecretTable::from_manifest_toml(&bad, "bad.toml").unwrap_err();
        assert!(err.to_string().contains("bad.toml:"), "{err}");
        assert!(SecretTable::from_manifest_toml("not toml = = =", "x.toml").is_err());
    }

    #[test]
    fn shipped_manifest_fixture_matches_builtin_secrets() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/upstream/configs/root_task.toml"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let from_file = SecretTable::from_manifest_toml(&text, "root_task.toml").unwrap();
        let shipped = SecretTable::shipped();
        let payload = b"claims";
        for role in cohesix_core::role::ALL_ROLES {
            let mac = shipped.key(role).unwrap().mac(payload);
            assert!(
                from_file.key(role).unwrap().verify(payload, &mac).is_ok(),
                "{role:?}"
            );
        }
    }
}
