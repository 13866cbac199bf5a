//! What the examples share (host-surface §8.7): the backend flags, the precedence between
//! them, the output directory and `audit.txt`, and exit codes (0 ok, 1 failed, 2 usage).
//!
//! Backend choice, first match wins: `--mock` (mirrored under `--mock-root`, default
//! `out/examples/mockfs`) · `--mount-root` · `--rest` (with the `rest` feature) · any of
//! `--tcp-host`/`--tcp-port`/`--auth-token`/`--role`/`--ticket` (TCP; unset values come from
//! the environment as `from_env` reads them) · otherwise the environment alone
//! (`cohesix::discovery::resolve`). Mixing `--mock` with a live flag is a usage error that
//! names the conflict.
#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use cohesix::auth::{insecure_allowed, resolve_rest_token, resolve_tcp_token, Secret};
use cohesix::backend::{MockOptions, TcpOptions};
use cohesix::discovery::{self, BackendSpec, EnvSource, ProcessEnv};
use cohesix::{AnyBackend, Audit, Orchestrator};

/// The shared backend flags.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Conn {
    /// Use the in-process mock queen.
    #[arg(long)]
    pub mock: bool,
    /// Where the mock's namespace is mirrored.
    #[arg(long, value_name = "DIR")]
    pub mock_root: Option<PathBuf>,
    /// A `coh mount` of a queen.
    #[arg(long, value_name = "DIR")]
    pub mount_root: Option<PathBuf>,
    /// The queen's console host.
    #[arg(long, value_name = "HOST")]
    pub tcp_host: Option<String>,
    /// The queen's console port.
    #[arg(long, value_name = "PORT")]
    pub tcp_port: Option<u16>,
    /// The hive-gateway base URL (REST backend).
    #[arg(long, value_name = "URL")]
    pub rest: Option<String>,
    /// The console token (TCP) or request token (REST).
    #[arg(long, value_name = "TOKEN", hide_env_values = true)]
    pub auth_token: Option<String>,
    /// The role to attach as.
    #[arg(long)]
    pub role: Option<String>,
    /// The attach ticket (worker roles).
    #[arg(long)]
    pub ticket: Option<String>,
    /// Per-operation timeout in seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout_s: Option<f64>,
    /// Connect and read retries.
    #[arg(long, value_name = "N")]
    pub max_retries: Option<u32>,
    /// Output root (artifacts go to `<out>/<example>/`).
    #[arg(long, default_value = cohesix_generated::examples::OUTPUT_ROOT)]
    pub out: PathBuf,
}

/// Why an example stopped.
#[derive(Debug)]
pub enum ExampleError {
    /// Bad flags (exit 2).
    Usage(String),
    /// The operation failed (exit 1).
    Failed(cohesix::Error),
    /// A local file could not be written or read (exit 1).
    Io(String, std::io::Error),
}

impl ExampleError {
    /// The process exit code.
    pub fn code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            _ => 1,
        }
    }
}

impl std::fmt::Display for ExampleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Usage(m) => write!(f, "usage: {m}"),
            Self::Failed(e) => write!(f, "{e}"),
            Self::Io(what, e) => write!(f, "{what}: {e}"),
        }
    }
}

impl From<cohesix::Error> for ExampleError {
    fn from(e: cohesix::Error) -> Self {
        match e {
            cohesix::Error::Usage(m) => Self::Usage(m),
            other => Self::Failed(other),
        }
    }
}

/// A file error with context.
pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ExampleError {
    let what = what.into();
    move |e| ExampleError::Io(what, e)
}

fn env_first(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| ProcessEnv.var(n).filter(|v| !v.trim().is_empty()))
}

impl Conn {
    fn live_flags(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.mount_root.is_some() {
            v.push("--mount-root");
        }
        if self.rest.is_some() {
            v.push("--rest");
        }
        if self.tcp_host.is_some() {
            v.push("--tcp-host");
        }
        if self.tcp_port.is_some() {
            v.push("--tcp-port");
        }
        if self.auth_token.is_some() {
            v.push("--auth-token");
        }
        if self.ticket.is_some() {
            v.push("--ticket");
        }
        v
    }

    fn timeout(&self) -> Result<Option<Duration>, ExampleError> {
        match self.timeout_s {
            None => Ok(None),
            Some(s) if s.is_finite() && s > 0.0 => Ok(Some(Duration::from_secs_f64(s))),
            Some(_) => Err(ExampleError::Usage(
                "--timeout-s must be a positive number".into(),
            )),
        }
    }

    /// The backend these flags (and the environment) choose.
    pub fn spec(&self, include_mig: bool) -> Result<BackendSpec, ExampleError> {
        let live = self.live_flags();
        let timeout = self.timeout()?;
        if self.mock {
            if let Some(flag) = live.first() {
                return Err(ExampleError::Usage(format!(
                    "--mock cannot be combined with {flag} (a live target flag)"
                )));
            }
            let root = self
                .mock_root
                .clone()
                .unwrap_or_else(|| PathBuf::from(cohesix_generated::examples::MOCK_ROOT));
            let mut options = MockOptions::new().root(Some(root)).include_mig(include_mig);
            if let Some(role) = &self.role {
                options.role = role.clone();
            }
            return Ok(BackendSpec::Mock(options));
        }
        if self.mock_root.is_some() {
            return Err(ExampleError::Usage("--mock-root needs --mock".into()));
        }
        if let Some(root) = &self.mount_root {
            if let Some(flag) = live.iter().find(|f| **f != "--mount-root") {
                return Err(ExampleError::Usage(format!(
                    "--mount-root cannot be combined with {flag}"
                )));
            }
            return Ok(BackendSpec::Filesystem(root.clone()));
        }
        if let Some(url) = &self.rest {
            if let Some(flag) = live
                .iter()
                .find(|f| !matches!(**f, "--rest" | "--auth-token"))
            {
                return Err(ExampleError::Usage(format!(
                    "--rest cannot be combined with {flag}"
                )));
            }
            if !cfg!(feature = "rest") {
                return Err(ExampleError::Usage(
                    "--rest needs the REST backend: build with `--features rest`".into(),
                ));
            }
            return Ok(BackendSpec::Rest {
                url: url.trim_end_matches('/').to_owned(),
                timeout: timeout.unwrap_or(Duration::from_secs(2)),
                token: resolve_rest_token(self.auth_token.as_deref(), &ProcessEnv),
            });
        }
        let tcp = self.tcp_host.is_some()
            || self.tcp_port.is_some()
            || self.auth_token.is_some()
            || self.role.is_some()
            || self.ticket.is_some();
        if !tcp {
            let (mut spec, _) = discovery::resolve(&ProcessEnv, &[], false)?;
            if let BackendSpec::Mock(o) = &mut spec {
                *o = o.clone().include_mig(include_mig || o.include_mig);
            }
            if let BackendSpec::Tcp(o) = &mut spec {
                self.apply_numbers(o, timeout);
            }
            return Ok(spec);
        }
        let host = self
            .tcp_host
            .clone()
            .or_else(|| env_first(&["COH_TCP_HOST", "COHSH_TCP_HOST"]))
            .unwrap_or_else(|| "127.0.0.1".into());
        let port = match self.tcp_port {
            Some(p) => p,
            None => match env_first(&["COH_TCP_PORT", "COHSH_TCP_PORT"]) {
                Some(v) => v.trim().parse().map_err(|_| {
                    ExampleError::Usage(format!("environment port {v:?} is not an integer"))
                })?,
                None => cohesix_generated::console::TCP_PORT,
            },
        };
        let allow = insecure_allowed(&ProcessEnv, false);
        let (token, _) = resolve_tcp_token(self.auth_token.as_deref(), &[], allow, &ProcessEnv)?;
        let role = self
            .role
            .clone()
            .or_else(|| env_first(&["COH_ROLE", "COHSH_ROLE"]))
            .unwrap_or_else(|| "queen".into());
        let ticket = self
            .ticket
            .clone()
            .or_else(|| env_first(&["COH_TICKET", "COHSH_TICKET"]))
            .map(Secret::new);
        let mut options = TcpOptions::new(host, port, token).role(role).ticket(ticket);
        self.apply_numbers(&mut options, timeout);
        Ok(BackendSpec::Tcp(options))
    }

    fn apply_numbers(&self, o: &mut TcpOptions, timeout: Option<Duration>) {
        if let Some(t) = timeout {
            o.timeout = t;
        }
        if let Some(n) = self.max_retries {
            o.max_retries = n;
        }
    }

    /// The example's output directory, created.
    pub fn out_dir(&self, example: &str) -> Result<PathBuf, ExampleError> {
        let dir = self.out.join(example);
        std::fs::create_dir_all(&dir).map_err(io(format!("create {}", dir.display())))?;
        Ok(dir)
    }

    /// The orchestrator over the chosen backend (inside a runtime).
    pub fn orchestrator(
        &self,
        include_mig: bool,
    ) -> Result<Orchestrator<AnyBackend>, ExampleError> {
        Ok(Orchestrator::new(self.spec(include_mig)?.open()?))
    }
}

/// Writes `audit.txt` (each line followed by `\n`) under `dir`.
pub fn write_audit(dir: &Path, audit: &Audit) -> Result<(), ExampleError> {
    let path = dir.join("audit.txt");
    std::fs::write(&path, audit.to_text()).map_err(io(format!("write {}", path.display())))
}

/// Writes `value` as sorted, 2-space JSON with a trailing newline.
pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), ExampleError> {
    let mut text =
        serde_json::to_string_pretty(&cohesix::orchestrator::receipts::sorted(value.clone()))
            .map_err(|e| ExampleError::Io(format!("encode {}", path.display()), e.into()))?;
    text.push('\n');
    cohesix::orchestrator::receipts::write_atomic(path, text.as_bytes())?;
    Ok(())
}

/// Runs `body` on a runtime; prints the error and maps it to the exit code.
pub fn main_with<F, Fut, T>(name: &str, body: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, ExampleError>>,
{
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name}: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(body()) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::from(e.code())
        }
    }
}
