//! Backend discovery from the environment (host-surface §5.6), in two steps: a pure
//! [`resolve`] that turns variables into a [`BackendSpec`] (testable without a runtime), and
//! [`BackendSpec::open`] that builds the backend (lazy: nothing connects).
//!
//! Order, first match wins:
//! 1. `COHESIX_MOCK` truthy (`1|true|yes|on`, trimmed, any case) → mock, mirrored under
//!    `COHESIX_MOCK_ROOT` (default `out/examples/mockfs`; an empty value is used literally),
//!    with `COHESIX_INCLUDE_MIG` truthy adding `MIG-0`;
//! 2. `COHESIX_MOUNT_ROOT` non-empty → filesystem;
//! 3. the first non-empty of `COH_REST_URL`, `HIVE_GATEWAY_URL`, `COHESIX_REST_URL` → REST;
//! 4. TCP: host `COH_TCP_HOST` ‖ `COHSH_TCP_HOST` ‖ `127.0.0.1`; port `COH_TCP_PORT` else
//!    `COHSH_TCP_PORT` else 31337 (both parsed); token by [`resolve_tcp_token`]; role
//!    `COH_ROLE` ‖ `COHSH_ROLE` ‖ `queen`; ticket `COH_TICKET` ‖ `COHSH_TICKET`;
//!    `COHESIX_MAX_RETRIES` (default 3).
//!
//! `COHESIX_TIMEOUT_S` (a number, default 2.0) is parsed before step 3, so a bad value also
//! fails REST selection. Empty strings count as unset for URLs, hosts, roles, tickets and
//! tokens; empty numeric variables fail to parse. The chosen [`Source`] says which
//! variable won.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::auth::{insecure_allowed, resolve_rest_token, resolve_tcp_token, Secret, TokenSource};
use crate::backend::{
    AnyBackend, FilesystemBackend, MockBackend, MockOptions, TcpBackend, TcpOptions,
};
use crate::error::Error;

/// Where environment variables come from (the process, or a map in tests).
pub trait EnvSource {
    /// The value of `key`, if set.
    fn var(&self, key: &str) -> Option<String>;
}

/// The process environment.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, key: &str) -> Option<String> {
        std::env::var(key).ok()
    }
}

/// A fixed set of variables (tests, fleet files).
#[derive(Clone, Debug, Default)]
pub struct MapEnv(HashMap<String, String>);

impl MapEnv {
    /// Variables from pairs.
    #[must_use]
    pub fn new(pairs: &[(&str, &str)]) -> Self {
        Self(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }
}

impl EnvSource for MapEnv {
    fn var(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
}

/// Which rule chose the backend (never a secret).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// `COHESIX_MOCK`.
    Mock,
    /// `COHESIX_MOUNT_ROOT`.
    Mount,
    /// This REST URL variable.
    Rest(&'static str),
    /// The TCP fallback, and where its token came from.
    Tcp(TokenSource),
}

/// A backend to build.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum BackendSpec {
    /// The in-process simulator.
    Mock(MockOptions),
    /// A directory.
    Filesystem(PathBuf),
    /// The REST gateway.
    Rest {
        /// Base URL (trailing `/` removed).
        url: String,
        /// Request timeout.
        timeout: Duration,
        /// The request token.
        token: Option<Secret>,
    },
    /// A TCP console.
    Tcp(TcpOptions),
}

impl BackendSpec {
    /// Builds the backend. Nothing connects: TCP connects on first use; the mock starts
    /// its in-process simulator. Must be called inside a tokio runtime.
    ///
    /// # Errors
    /// Role/ticket errors, a mirror that cannot be written, a REST backend without the
    /// `rest` feature ([`Error::Usage`]).
    pub fn open(&self) -> Result<AnyBackend, Error> {
        Ok(match self {
            Self::Mock(o) => MockBackend::new(o)?.into(),
            Self::Filesystem(root) => FilesystemBackend::new(root)?.into(),
            Self::Tcp(o) => TcpBackend::connect(o)?.into(),
            #[cfg(feature = "rest")]
            Self::Rest {
                url,
                timeout,
                token,
            } => crate::backend::RestBackend::new(url, *timeout, token.clone())?.into(),
            #[cfg(not(feature = "rest"))]
            Self::Rest { .. } => {
                return Err(Error::Usage(
                    "the REST backend needs the `rest` feature of the cohesix crate".into(),
                ))
            }
        })
    }
}

/// Whether `v` is truthy: `1`, `true`, `yes`, `on` (trimmed, any case).
#[must_use]
pub fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

fn non_empty(env: &dyn EnvSource, names: &[&'static str]) -> Option<(&'static str, String)> {
    names.iter().find_map(|n| {
        env.var(n)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (*n, v.trim().to_owned()))
    })
}

fn parse_int<T: std::str::FromStr>(env: &dyn EnvSource, name: &str) -> Result<Option<T>, Error> {
    match env.var(name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| Error::Env(format!("environment variable {name} must be an integer"))),
    }
}

/// `COHESIX_TIMEOUT_S`, default 2.0 s.
fn timeout(env: &dyn EnvSource) -> Result<Duration, Error> {
    let Some(v) = env.var("COHESIX_TIMEOUT_S") else {
        return Ok(Duration::from_secs(2));
    };
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| Error::Env("environment variable COHESIX_TIMEOUT_S must be a number".into()))
}

/// Resolves the backend from `env` (§5.6). `manifest_paths` and `allow_insecure` feed the
/// TCP token resolution ([`resolve_tcp_token`]).
///
/// # Errors
/// [`Error::Env`] for a bad number, [`Error::Auth`] when no TCP token can be found.
pub fn resolve(
    env: &dyn EnvSource,
    manifest_paths: &[PathBuf],
    allow_insecure: bool,
) -> Result<(BackendSpec, Source), Error> {
    if env.var("COHESIX_MOCK").is_some_and(|v| truthy(&v)) {
        let root = env.var("COHESIX_MOCK_ROOT").map_or_else(
            || PathBuf::from(cohesix_generated::examples::MOCK_ROOT),
            PathBuf::from,
        );
        let include_mig = env.var("COHESIX_INCLUDE_MIG").is_some_and(|v| truthy(&v));
        let options = MockOptions::new().root(Some(root)).include_mig(include_mig);
        return Ok((BackendSpec::Mock(options), Source::Mock));
    }
    if let Some((_, root)) = non_empty(env, &["COHESIX_MOUNT_ROOT"]) {
        return Ok((BackendSpec::Filesystem(PathBuf::from(root)), Source::Mount));
    }
    let timeout = timeout(env)?;
    if let Some((var, url)) = non_empty(
        env,
        &["COH_REST_URL", "HIVE_GATEWAY_URL", "COHESIX_REST_URL"],
    ) {
        let spec = BackendSpec::Rest {
            url: url.trim_end_matches('/').to_owned(),
            timeout,
            token: resolve_rest_token(None, env),
        };
        return Ok((spec, Source::Rest(var)));
    }
    let host = non_empty(env, &["COH_TCP_HOST", "COHSH_TCP_HOST"])
        .map_or_else(|| "127.0.0.1".to_owned(), |(_, v)| v);
    let coh_port = parse_int::<u16>(env, "COH_TCP_PORT")?;
    let cohsh_port = parse_int::<u16>(env, "COHSH_TCP_PORT")?;
    let port = coh_port
        .or(cohsh_port)
        .unwrap_or(cohesix_generated::console::TCP_PORT);
    let max_retries = parse_int::<u32>(env, "COHESIX_MAX_RETRIES")?.unwrap_or(3);
    let allow = insecure_allowed(env, allow_insecure);
    let (token, token_source) = resolve_tcp_token(None, manifest_paths, allow, env)?;
    let role =
        non_empty(env, &["COH_ROLE", "COHSH_ROLE"]).map_or_else(|| "queen".to_owned(), |(_, v)| v);
    let ticket = non_empty(env, &["COH_TICKET", "COHSH_TICKET"]).map(|(_, v)| Secret::new(v));
    let options = TcpOptions::new(host, port, token)
        .role(role)
        .ticket(ticket)
        .timeout(timeout)
        .max_retries(max_retries);
    Ok((BackendSpec::Tcp(options), Source::Tcp(token_source)))
}

/// Resolves from the process environment and builds the backend (inside a runtime).
///
/// # Errors
/// As [`resolve`] and [`BackendSpec::open`].
pub fn from_env() -> Result<(AnyBackend, Source), Error> {
    let (spec, source) = resolve(&ProcessEnv, &[], false)?;
    Ok((spec.open()?, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(pairs: &[(&str, &str)]) -> Result<(BackendSpec, Source), Error> {
        // An empty manifest list that does not exist keeps the defaults out of the way.
        resolve(
            &MapEnv::new(pairs),
            &[PathBuf::from("/nonexistent/m.toml")],
            false,
        )
    }

    #[test]
    fn mock_wins_over_everything() {
        let (s, src) = spec(&[
            ("COHESIX_MOCK", " Yes "),
            ("COHESIX_MOUNT_ROOT", "/mnt"),
            ("COH_REST_URL", "http://x"),
        ])
        .unwrap();
        assert_eq!(src, Source::Mock);
        let BackendSpec::Mock(o) = s else { panic!() };
        assert_eq!(o.root, Some(PathBuf::from("out/examples/mockfs")));
        let (s, _) = spec(&[("COHESIX_MOCK", "1"), ("COHESIX_MOCK_ROOT", "")]).unwrap();
        let BackendSpec::Mock(o) = s else { panic!() };
        assert_eq!(o.root, Some(PathBuf::from("")));
        // Not truthy: falls through.
        let (_, src) = spec(&[("COHESIX_MOCK", "0"), ("COHESIX_MOUNT_ROOT", "/mnt")]).unwrap();
        assert_eq!(src, Source::Mount);
    }

    #[test]
    fn mount_then_rest_in_their_order() {
        let (s, src) = spec(&[
            ("COHESIX_MOUNT_ROOT", "/mnt/coh"),
            ("COH_REST_URL", "http://x"),
        ])
        .unwrap();
        assert_eq!(src, Source::Mount);
        assert!(matches!(s, BackendSpec::Filesystem(p) if p == std::path::Path::new("/mnt/coh")));
        let (_, src) = spec(&[
            ("COHESIX_MOUNT_ROOT", " "),
            ("HIVE_GATEWAY_URL", "http://g/"),
            ("COHESIX_REST_URL", "http://c"),
        ])
        .unwrap();
        assert_eq!(src, Source::Rest("HIVE_GATEWAY_URL"));
        let (s, src) = spec(&[
            ("COH_REST_URL", "http://a/"),
            ("HIVE_GATEWAY_URL", "http://g"),
        ])
        .unwrap();
        assert_eq!(src, Source::Rest("COH_REST_URL"));
        assert!(matches!(s, BackendSpec::Rest { url, .. } if url == "http://a"));
    }

    #[test]
    fn the_timeout_is_parsed_before_rest_selection() {
        let e = spec(&[("COH_REST_URL", "http://a"), ("COHESIX_TIMEOUT_S", "soon")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "environment variable COHESIX_TIMEOUT_S must be a number"
        );
        let (s, _) = spec(&[("COH_REST_URL", "http://a"), ("COHESIX_TIMEOUT_S", "0.5")]).unwrap();
        assert!(
            matches!(s, BackendSpec::Rest { timeout, .. } if timeout == Duration::from_millis(500))
        );
        // Empty numeric variables fail.
        assert!(spec(&[("COH_REST_URL", "http://a"), ("COHESIX_TIMEOUT_S", "")]).is_err());
    }

    #[test]
    fn tcp_reads_host_port_role_ticket_and_numbers() {
        let (s, src) = spec(&[
            ("COHSH_TCP_HOST", "queen.local"),
            ("COH_TCP_PORT", "4000"),
            ("COHSH_TCP_PORT", "5000"),
            ("COH_AUTH_TOKEN", "tok"),
            ("COHSH_ROLE", "worker-gpu"),
            ("COH_TICKET", "t"),
            ("COHESIX_MAX_RETRIES", "7"),
        ])
        .unwrap();
        assert_eq!(src, Source::Tcp(TokenSource::Env("COH_AUTH_TOKEN")));
        let BackendSpec::Tcp(o) = s else { panic!() };
        assert_eq!(
            (o.host.as_str(), o.port, o.role.as_str()),
            ("queen.local", 4000, "worker-gpu")
        );
        assert_eq!(o.max_retries, 7);
        assert_eq!(o.ticket.as_ref().map(Secret::expose), Some("t"));
        let (s, _) = spec(&[("COH_AUTH_TOKEN", "tok")]).unwrap();
        let BackendSpec::Tcp(o) = s else { panic!() };
        assert_eq!(
            (o.host.as_str(), o.port, o.role.as_str()),
            ("127.0.0.1", 31337, "queen")
        );
    }

    #[test]
    fn bad_numbers_name_their_variable() {
        let e = spec(&[("COH_AUTH_TOKEN", "t"), ("COHSH_TCP_PORT", "x")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "environment variable COHSH_TCP_PORT must be an integer"
        );
        let e = spec(&[("COH_AUTH_TOKEN", "t"), ("COHESIX_MAX_RETRIES", "many")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "environment variable COHESIX_MAX_RETRIES must be an integer"
        );
    }

    #[test]
    fn tcp_without_a_token_says_how_to_get_one() {
        let e = spec(&[]).unwrap_err();
        assert!(
            e.to_string().starts_with("TCP auth token is required"),
            "{e}"
        );
        let e = spec(&[("COH_AUTH_TOKEN", "changeme")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "TCP auth token uses insecure placeholder token 'changeme'"
        );
        let (_, src) = spec(&[
            ("COH_AUTH_TOKEN", "changeme"),
            ("COHESIX_ALLOW_INSECURE_CONSOLE_AUTH", "1"),
        ])
        .unwrap();
        assert_eq!(src, Source::Tcp(TokenSource::Env("COH_AUTH_TOKEN")));
    }

    #[test]
    fn specs_never_show_secrets() {
        let (s, _) = spec(&[
            ("COH_AUTH_TOKEN", "sekrit-token"),
            ("COH_TICKET", "sekrit-ticket"),
        ])
        .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("sekrit"), "{shown}");
        let (s, _) = spec(&[
            ("COH_REST_URL", "http://a"),
            ("COH_REST_AUTH_TOKEN", "sekrit-rest"),
        ])
        .unwrap();
        assert!(!format!("{s:?}").contains("sekrit"));
    }
}
