//! Secrets: the console token, the REST request token, and manifest ticket secrets.
//!
//! * [`Secret`]: a string that never shows in `Debug` or `Display`.
//! * [`resolve_tcp_token`]: the console token, host-surface §5.7 — an explicit value, else
//!   the manifest's queen ticket secret (`COH_RTC_MANIFEST` > `COH_MANIFEST` >
//!   `COHESIX_MANIFEST`, then the given paths, then `./configs/root_task.toml` and
//!   `./configs/root_task_regression.toml`), else `COH_AUTH_TOKEN` > `COHSH_AUTH_TOKEN`. The
//!   placeholder `changeme` is skipped (and refused if it is all there is) unless the
//!   operator opts in: `COHESIX_ALLOW_INSECURE_CONSOLE_AUTH=1` or the tool's flag, which the
//!   real 0.3 queen needs.
//! * [`resolve_rest_token`]: the request token of the REST gateway. One precedence for every
//!   client tool (upstream has three; see the README's differences):
//!   explicit > `HIVE_GATEWAY_REQUEST_AUTH_TOKEN` > `COH_REST_AUTH_TOKEN` >
//!   `COHSH_REST_AUTH_TOKEN`; an explicit empty value means "no token".
//! * [`ticket_message`]: the host-surface §5.4 message for a ticket that does not normalise
//!   (console backends and the gateway say the same).
//! * [`secret_from_toml`]: the first `[[tickets]]` secret of a role in manifest text (also
//!   used by `cohsh --mint-ticket`).

use std::fmt;
use std::path::{Path, PathBuf};

use cohesix_core::role::Role;
use cohesix_core::ticket::{NormalizeError, MAX_TICKET_LEN};

use crate::discovery::EnvSource;
use crate::error::Error;

/// The upstream placeholder console token.
pub const PLACEHOLDER_TOKEN: &str = "changeme";
/// The operator's opt-in to the placeholder token.
pub const INSECURE_ENV: &str = "COHESIX_ALLOW_INSECURE_CONSOLE_AUTH";
/// Manifest variables, in precedence order.
pub const MANIFEST_ENV: [&str; 3] = ["COH_RTC_MANIFEST", "COH_MANIFEST", "COHESIX_MANIFEST"];
/// Default manifest locations (relative to the working directory).
pub const DEFAULT_MANIFESTS: [&str; 2] = [
    "configs/root_task.toml",
    "configs/root_task_regression.toml",
];
/// Console-token variables, in precedence order.
pub const TOKEN_ENV: [&str; 2] = ["COH_AUTH_TOKEN", "COHSH_AUTH_TOKEN"];
/// REST request-token variables, in precedence order.
pub const REST_TOKEN_ENV: [&str; 3] = [
    "HIVE_GATEWAY_REQUEST_AUTH_TOKEN",
    "COH_REST_AUTH_TOKEN",
    "COHSH_REST_AUTH_TOKEN",
];
/// Largest manifest file read while looking for a secret.
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// A secret string: redacted in `Debug` and `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret text, for building credentials or headers only.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where a console token came from (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSource {
    /// The explicit value (a flag or argument).
    Explicit,
    /// The queen ticket secret of this manifest.
    Manifest(PathBuf),
    /// This environment variable.
    Env(&'static str),
}

/// The host-surface §5.4 message for a ticket that [`cohesix_core::ticket::normalize`]
/// refused: `"ticket payload exceeds 224 bytes"`, `"ticket payload is required"`,
/// `"ticket role <a> does not match requested role <b>"`, `"ticket subject is required"`,
/// else `"invalid ticket: …"`. Never contains the ticket.
#[must_use]
pub fn ticket_message(e: &NormalizeError) -> String {
    match e {
        NormalizeError::TooLong(_) => format!("ticket payload exceeds {MAX_TICKET_LEN} bytes"),
        NormalizeError::Missing => "ticket payload is required".into(),
        NormalizeError::RoleMismatch { expected, found } => format!(
            "ticket role {} does not match requested role {}",
            found.label(),
            expected.label()
        ),
        NormalizeError::MissingSubject => "ticket subject is required".into(),
        other => format!("invalid ticket: {other}"),
    }
}

/// Whether the operator allowed the placeholder (the variable is `1`, or the tool's flag).
#[must_use]
pub fn insecure_allowed(env: &dyn EnvSource, flag: bool) -> bool {
    flag || env.var(INSECURE_ENV).is_some_and(|v| v.trim() == "1")
}

/// Resolves the console token (§5.7).
///
/// # Errors
/// [`Error::Auth`] with `"TCP auth token uses insecure placeholder token 'changeme'"` when
/// only the placeholder was found (or given) without the opt-in, else `"TCP auth token is
/// required; set --auth-token or COH_AUTH_TOKEN/COHSH_AUTH_TOKEN, or provide a manifest with
/// a queen ticket secret"`.
pub fn resolve_tcp_token(
    explicit: Option<&str>,
    manifest_paths: &[PathBuf],
    allow_insecure: bool,
    env: &dyn EnvSource,
) -> Result<(Secret, TokenSource), Error> {
    let mut placeholder_seen = false;
    let usable = |v: &str, seen: &mut bool| -> bool {
        if v == PLACEHOLDER_TOKEN && !allow_insecure {
            *seen = true;
            return false;
        }
        true
    };
    if let Some(v) = explicit.map(str::trim).filter(|v| !v.is_empty()) {
        if usable(v, &mut placeholder_seen) {
            return Ok((Secret::new(v), TokenSource::Explicit));
        }
        return Err(placeholder_error());
    }
    for path in manifest_candidates(manifest_paths, env) {
        if let Some(secret) = manifest_secret(&path, Role::Queen) {
            if usable(&secret, &mut placeholder_seen) {
                return Ok((Secret::new(secret), TokenSource::Manifest(path)));
            }
        }
    }
    for name in TOKEN_ENV {
        if let Some(v) = env.var(name).map(|v| v.trim().to_owned()) {
            if !v.is_empty() && usable(&v, &mut placeholder_seen) {
                return Ok((Secret::new(v), TokenSource::Env(name)));
            }
        }
    }
    Err(if placeholder_seen {
        placeholder_error()
    } else {
        Error::Auth(
            "TCP auth token is required; set --auth-token or COH_AUTH_TOKEN/COHSH_AUTH_TOKEN, \
             or provide a manifest with a queen ticket secret"
                .into(),
        )
    })
}

fn placeholder_error() -> Error {
    Error::Auth(format!(
        "TCP auth token uses insecure placeholder token '{PLACEHOLDER_TOKEN}'"
    ))
}

/// The manifest files to try, de-duplicated by resolved path.
fn manifest_candidates(extra: &[PathBuf], env: &dyn EnvSource) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    let from_env = MANIFEST_ENV
        .iter()
        .filter_map(|n| env.var(n))
        .filter(|v| !v.trim().is_empty())
        .map(|v| expand_home(v.trim(), env));
    let defaults = if extra.is_empty() {
        DEFAULT_MANIFESTS.iter().map(PathBuf::from).collect()
    } else {
        Vec::new()
    };
    for p in from_env.chain(extra.iter().cloned()).chain(defaults) {
        let key = std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
        if !seen.contains(&key) {
            seen.push(key);
            out.push(p);
        }
    }
    out
}

fn expand_home(p: &str, env: &dyn EnvSource) -> PathBuf {
    match (p.strip_prefix("~/"), env.var("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(p),
    }
}

/// The first non-empty `[[tickets]]` secret of `role` in the manifest at `path`; `None` if
/// the file is missing, unreadable, too large or has none.
#[must_use]
pub fn manifest_secret(path: &Path, role: Role) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_MANIFEST_BYTES {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    secret_from_toml(&text, role)
}

/// The first non-empty `[[tickets]]` secret of `role` in manifest TOML text. When the text
/// is not valid TOML, a line scan of the `[[tickets]]` sections reads double-quoted
/// `role = "…"` / `secret = "…"` lines (comments after `#` ignored).
#[must_use]
pub fn secret_from_toml(text: &str, role: Role) -> Option<String> {
    match toml::from_str::<toml::Value>(text) {
        Ok(value) => value
            .get("tickets")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .find(|t| {
                t.get("role")
                    .and_then(toml::Value::as_str)
                    .and_then(|r| Role::from_label(r.trim()))
                    == Some(role)
                    && t.get("secret")
                        .and_then(toml::Value::as_str)
                        .is_some_and(|s| !s.is_empty())
            })
            .and_then(|t| t.get("secret"))
            .and_then(toml::Value::as_str)
            .map(str::to_owned),
        Err(_) => scan_tickets(text, role),
    }
}

fn scan_tickets(text: &str, role: Role) -> Option<String> {
    let mut in_tickets = false;
    let mut cur_role: Option<Role> = None;
    let mut cur_secret: Option<String> = None;
    let mut found = None;
    let mut flush = |r: &mut Option<Role>, s: &mut Option<String>| {
        if found.is_none() && *r == Some(role) {
            found = s.take().filter(|v| !v.is_empty());
        }
        *r = None;
        *s = None;
    };
    for raw in text.lines() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            flush(&mut cur_role, &mut cur_secret);
            in_tickets = line == "[[tickets]]";
            continue;
        }
        if !in_tickets {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let Some(value) = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .map(str::to_owned)
        else {
            continue;
        };
        match key.trim() {
            "role" => cur_role = Role::from_label(value.trim()),
            "secret" => cur_secret = Some(value),
            _ => {}
        }
    }
    flush(&mut cur_role, &mut cur_secret);
    found
}

/// Resolves the REST request token (see the module docs for the one precedence).
#[must_use]
pub fn resolve_rest_token(explicit: Option<&str>, env: &dyn EnvSource) -> Option<Secret> {
    if let Some(v) = explicit {
        let v = v.trim();
        return (!v.is_empty()).then(|| Secret::new(v));
    }
    REST_TOKEN_ENV
        .iter()
        .filter_map(|n| env.var(n))
        .map(|v| v.trim().to_owned())
        .find(|v| !v.is_empty())
        .map(Secret::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::MapEnv;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn temp() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "cohesix-auth-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    const MANIFEST: &str = "[[tickets]]\nrole = \"worker\"\nsecret = \"w\"\n\n[[tickets]]\nrole = \"queen\"\nsecret = \"bootstrap\"\n";

    #[test]
    fn explicit_then_manifest_then_env() {
        let d = temp();
        let m = write(&d, "m.toml", MANIFEST);
        let env = MapEnv::new(&[("COH_AUTH_TOKEN", "from-env")]);
        let (t, src) =
            resolve_tcp_token(Some(" tok "), std::slice::from_ref(&m), false, &env).unwrap();
        assert_eq!((t.expose(), src), ("tok", TokenSource::Explicit));
        // Manifest beats environment (upstream's tested rule).
        let (t, src) = resolve_tcp_token(None, std::slice::from_ref(&m), false, &env).unwrap();
        assert_eq!((t.expose(), src), ("bootstrap", TokenSource::Manifest(m)));
        let missing = d.join("absent.toml");
        let (t, src) = resolve_tcp_token(None, &[missing], false, &env).unwrap();
        assert_eq!(
            (t.expose(), src),
            ("from-env", TokenSource::Env("COH_AUTH_TOKEN"))
        );
        let env = MapEnv::new(&[("COHSH_AUTH_TOKEN", "b")]);
        let (t, _) = resolve_tcp_token(None, &[d.join("x")], false, &env).unwrap();
        assert_eq!(t.expose(), "b");
    }

    #[test]
    fn manifest_variables_come_first() {
        let d = temp();
        let a = write(&d, "a.toml", MANIFEST);
        let b = write(&d, "b.toml", &MANIFEST.replace("bootstrap", "other"));
        let env = MapEnv::new(&[("COH_MANIFEST", b.to_str().unwrap())]);
        let (t, src) = resolve_tcp_token(None, &[a], false, &env).unwrap();
        assert_eq!((t.expose(), src), ("other", TokenSource::Manifest(b)));
    }

    #[test]
    fn the_placeholder_is_skipped_then_refused() {
        let d = temp();
        let m = write(&d, "m.toml", &MANIFEST.replace("bootstrap", "changeme"));
        let env = MapEnv::new(&[("COH_AUTH_TOKEN", "changeme")]);
        let e = resolve_tcp_token(None, std::slice::from_ref(&m), false, &env).unwrap_err();
        assert_eq!(
            e.to_string(),
            "TCP auth token uses insecure placeholder token 'changeme'"
        );
        let e = resolve_tcp_token(Some("changeme"), &[], false, &MapEnv::default()).unwrap_err();
        assert!(e.to_string().contains("placeholder"));
        // Skipped, and a later real token wins.
        let env = MapEnv::new(&[("COH_AUTH_TOKEN", "changeme"), ("COHSH_AUTH_TOKEN", "real")]);
        let (t, _) = resolve_tcp_token(None, std::slice::from_ref(&m), false, &env).unwrap();
        assert_eq!(t.expose(), "real");
        // The opt-in accepts it.
        let (t, _) = resolve_tcp_token(None, &[m], true, &MapEnv::default()).unwrap();
        assert_eq!(t.expose(), "changeme");
        let e = resolve_tcp_token(None, &[d.join("none")], false, &MapEnv::default()).unwrap_err();
        assert!(
            e.to_string().starts_with("TCP auth token is required"),
            "{e}"
        );
    }

    #[test]
    fn insecure_opt_in_reads_the_variable_or_the_flag() {
        assert!(insecure_allowed(
            &MapEnv::new(&[(INSECURE_ENV, "1")]),
            false
        ));
        assert!(!insecure_allowed(
            &MapEnv::new(&[(INSECURE_ENV, "yes")]),
            false
        ));
        assert!(insecure_allowed(&MapEnv::default(), true));
    }

    #[test]
    fn broken_toml_falls_back_to_a_line_scan() {
        let text = "[[tickets]]\nrole = \"queen\" # the queen\nsecret = \"s1\"\nbroken = [\n";
        assert_eq!(secret_from_toml(text, Role::Queen).as_deref(), Some("s1"));
        assert_eq!(secret_from_toml(text, Role::WorkerGpu), None);
        assert_eq!(
            secret_from_toml(MANIFEST, Role::WorkerHeartbeat).as_deref(),
            Some("w")
        );
    }

    #[test]
    fn rest_token_has_one_precedence() {
        let env = MapEnv::new(&[
            ("COH_REST_AUTH_TOKEN", "b"),
            ("HIVE_GATEWAY_REQUEST_AUTH_TOKEN", "a"),
        ]);
        assert_eq!(resolve_rest_token(None, &env).unwrap().expose(), "a");
        assert_eq!(resolve_rest_token(Some("x"), &env).unwrap().expose(), "x");
        assert!(resolve_rest_token(Some(" "), &env).is_none());
        assert!(resolve_rest_token(None, &MapEnv::default()).is_none());
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?} {s}").contains("hunter2"));
    }
}
