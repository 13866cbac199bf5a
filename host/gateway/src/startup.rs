//! Start-up rules of host-surface §5.9 / §5.8, as a pure function from the values of the
//! command line and environment to a [`GatewayConfig`].
//!
//! Checked in this order, with these messages:
//! 1. role: `queen`, `worker` (= `worker-heartbeat`), `worker-gpu`, … else
//!    `"unsupported role '<r>'"`;
//! 2. bind: loopback only unless allowed, else `"refusing to bind non-loopback address
//!    <addr>; pass --allow-non-loopback-bind or set HIVE_GATEWAY_ALLOW_NON_LOOPBACK_BIND=1"`;
//! 3. outside mock mode: a console token and a request token, else `"tcp auth token must be
//!    configured in non-mock mode"` / `"request auth token must be configured in non-mock
//!    mode"`; the placeholder `changeme` → `"<label> uses insecure placeholder 'changeme';
//!    set a real secret"` (the console token may use it with the insecure opt-in; the request
//!    token never);
//! 4. the ticket, with the host library's §5.4 rules.
//!
//! In mock mode without a request token, a random one nobody knows is used: no request
//! authenticates unless `--public-reads` opens the reads.

use std::net::SocketAddr;
use std::path::PathBuf;

use cohesix::auth::{ticket_message, Secret, PLACEHOLDER_TOKEN};
use cohesix_core::ticket::normalize;
use cohesix_tokio::Role;

use crate::bounds::{Bounds, BoundsError};
use crate::config::{ConsoleSpec, GatewayConfig};

/// Why the gateway refuses to start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartupError {
    /// `"unsupported role '<r>'"`.
    Role(String),
    /// A non-loopback bind without the opt-in.
    NonLoopback(SocketAddr),
    /// `"<label> must be configured in non-mock mode"`.
    Missing(&'static str),
    /// `"<label> uses insecure placeholder 'changeme'; set a real secret"`.
    Placeholder(&'static str),
    /// The attach ticket is unusable.
    Ticket(String),
    /// The bounds (manifest) could not be built.
    Bounds(BoundsError),
}

impl core::fmt::Display for StartupError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Role(r) => write!(f, "unsupported role '{r}'"),
            Self::NonLoopback(a) => write!(
                f,
                "refusing to bind non-loopback address {a}; pass --allow-non-loopback-bind or \
                 set HIVE_GATEWAY_ALLOW_NON_LOOPBACK_BIND=1"
            ),
            Self::Missing(label) => write!(f, "{label} must be configured in non-mock mode"),
            Self::Placeholder(label) => write!(
                f,
                "{label} uses insecure placeholder '{PLACEHOLDER_TOKEN}'; set a real secret"
            ),
            Self::Ticket(m) => f.write_str(m),
            Self::Bounds(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StartupError {}

/// Whether a gateway switch is on: anything but empty, `0`, `false`, `off`, `no` (trimmed,
/// any case) — upstream's gateway rule (§5.8).
#[must_use]
pub fn switch_on(v: &str) -> bool {
    !matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "" | "0" | "false" | "off" | "no"
    )
}

/// The values of the command line and environment, already merged by precedence.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StartupOptions {
    /// Listen address.
    pub bind: SocketAddr,
    /// Permit a non-loopback bind.
    pub allow_non_loopback_bind: bool,
    /// Serve the in-process mock queen.
    pub mock: bool,
    /// Mock: serve `/gpu/MIG-0` too.
    pub include_mig: bool,
    /// Queen host.
    pub tcp_host: String,
    /// Queen console port.
    pub tcp_port: u16,
    /// Console token.
    pub tcp_auth_token: Option<Secret>,
    /// Permit the placeholder console token.
    pub allow_insecure_console_auth: bool,
    /// Role label.
    pub role: String,
    /// Attach ticket.
    pub ticket: Option<Secret>,
    /// Request token.
    pub request_auth_token: Option<Secret>,
    /// Reads without a token.
    pub public_reads: bool,
    /// Console sessions.
    pub sessions: usize,
    /// A manifest whose bounds to serve (default: the compiled ones).
    pub manifest: Option<PathBuf>,
}

impl Default for StartupOptions {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            allow_non_loopback_bind: false,
            mock: false,
            include_mig: false,
            tcp_host: "127.0.0.1".into(),
            tcp_port: cohesix_generated::console::TCP_PORT,
            tcp_auth_token: None,
            allow_insecure_console_auth: false,
            role: "queen".into(),
            ticket: None,
            request_auth_token: None,
            public_reads: false,
            sessions: 1,
            manifest: None,
        }
    }
}

fn non_empty(s: &Option<Secret>) -> Option<&Secret> {
    s.as_ref().filter(|t| !t.expose().trim().is_empty())
}

impl StartupOptions {
    /// Applies the start-up rules (see the [module docs](self)).
    ///
    /// # Errors
    /// [`StartupError`].
    pub fn into_config(self) -> Result<GatewayConfig, StartupError> {
        let role = Role::from_label(self.role.trim())
            .ok_or_else(|| StartupError::Role(self.role.trim().to_owned()))?;
        if !self.bind.ip().is_loopback() && !self.allow_non_loopback_bind {
            return Err(StartupError::NonLoopback(self.bind));
        }
        let bounds = match &self.manifest {
            Some(p) => Bounds::from_manifest(p),
            None => Bounds::generated(),
        }
        .map_err(StartupError::Bounds)?;
        let request = non_empty(&self.request_auth_token).map(|t| Secret::new(t.expose().trim()));
        if let Some(t) = &request {
            if t.expose() == PLACEHOLDER_TOKEN {
                return Err(StartupError::Placeholder("request auth token"));
            }
        }
        let mut config = if self.mock {
            let mut c = GatewayConfig::mock().map_err(StartupError::Bounds)?;
            c.console = ConsoleSpec::Mock {
                include_mig: self.include_mig,
            };
            c
        } else {
            let token = non_empty(&self.tcp_auth_token)
                .map(|t| Secret::new(t.expose().trim()))
                .ok_or(StartupError::Missing("tcp auth token"))?;
            if token.expose() == PLACEHOLDER_TOKEN && !self.allow_insecure_console_auth {
                return Err(StartupError::Placeholder("tcp auth token"));
            }
            if request.is_none() {
                return Err(StartupError::Missing("request auth token"));
            }
            let ticket = ticket(role, self.ticket.as_ref())?;
            GatewayConfig::tcp(
                format!("{}:{}", self.tcp_host.trim(), self.tcp_port),
                token,
                role,
                ticket,
            )
            .map_err(StartupError::Bounds)?
        };
        config = config
            .bounds(bounds)
            .bind(self.bind)
            .request_token(request)
            .public_reads(self.public_reads)
            .sessions(self.sessions);
        Ok(config)
    }
}

/// The normalised ticket for `role` (§5.4 messages).
fn ticket(role: Role, ticket: Option<&Secret>) -> Result<Option<Secret>, StartupError> {
    let raw = ticket.map(|t| t.expose().trim()).filter(|t| !t.is_empty());
    normalize(role, raw)
        .map(|t| t.map(Secret::new))
        .map_err(|e| StartupError::Ticket(ticket_message(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp() -> StartupOptions {
        StartupOptions {
            tcp_auth_token: Some(Secret::new("console-secret")),
            request_auth_token: Some(Secret::new("request-secret")),
            ..StartupOptions::default()
        }
    }

    fn err(o: StartupOptions) -> String {
        o.into_config().unwrap_err().to_string()
    }

    #[test]
    fn roles_parse_with_the_worker_alias() {
        assert_eq!(
            err(StartupOptions {
                role: "king".into(),
                ..tcp()
            }),
            "unsupported role 'king'"
        );
        // worker = worker-heartbeat, which needs a ticket.
        assert_eq!(
            err(StartupOptions {
                role: "worker".into(),
                ..tcp()
            }),
            "ticket payload is required"
        );
        assert!(tcp().into_config().is_ok());
    }

    #[test]
    fn loopback_only_unless_allowed() {
        let open: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(
            err(StartupOptions {
                bind: open,
                ..tcp()
            }),
            "refusing to bind non-loopback address 0.0.0.0:8080; pass --allow-non-loopback-bind \
             or set HIVE_GATEWAY_ALLOW_NON_LOOPBACK_BIND=1"
        );
        let c = StartupOptions {
            bind: open,
            allow_non_loopback_bind: true,
            ..tcp()
        }
        .into_config()
        .unwrap();
        assert_eq!(c.bind, open);
        assert!(StartupOptions {
            bind: "[::1]:9".parse().unwrap(),
            ..tcp()
        }
        .into_config()
        .is_ok());
    }

    #[test]
    fn non_mock_needs_both_tokens_and_no_placeholder() {
        assert_eq!(
            err(StartupOptions {
                tcp_auth_token: None,
                ..tcp()
            }),
            "tcp auth token must be configured in non-mock mode"
        );
        assert_eq!(
            err(StartupOptions {
                tcp_auth_token: Some(Secret::new("  ")),
                ..tcp()
            }),
            "tcp auth token must be configured in non-mock mode"
        );
        assert_eq!(
            err(StartupOptions {
                request_auth_token: None,
                ..tcp()
            }),
            "request auth token must be configured in non-mock mode"
        );
        assert_eq!(
            err(StartupOptions {
                tcp_auth_token: Some(Secret::new("changeme")),
                ..tcp()
            }),
            "tcp auth token uses insecure placeholder 'changeme'; set a real secret"
        );
        assert!(StartupOptions {
            tcp_auth_token: Some(Secret::new("changeme")),
            allow_insecure_console_auth: true,
            ..tcp()
        }
        .into_config()
        .is_ok());
        assert_eq!(
            err(StartupOptions {
                request_auth_token: Some(Secret::new("changeme")),
                allow_insecure_console_auth: true,
                ..tcp()
            }),
            "request auth token uses insecure placeholder 'changeme'; set a real secret"
        );
    }

    #[test]
    fn mock_needs_no_tokens() {
        let c = StartupOptions {
            mock: true,
            ..StartupOptions::default()
        }
        .into_config()
        .unwrap();
        assert!(matches!(c.console, ConsoleSpec::Mock { .. }));
        assert!(c.request_token.is_none());
        let shown = format!("{:?}", tcp().into_config().unwrap());
        assert!(!shown.contains("console-secret") && !shown.contains("request-secret"));
    }

    #[test]
    fn switches_follow_the_gateway_rule() {
        for on in ["1", "true", "YES", "on", "anything"] {
            assert!(switch_on(on), "{on}");
        }
        for off in ["", " ", "0", "false", "Off", "no"] {
            assert!(!switch_on(off), "{off}");
        }
    }
}
