//! `hive-gateway` command line: flags and environment (host-surface §5.8/§5.9), logging,
//! signals, runtime. The gateway itself is the `cohesix-gateway` library.
//!
//! ```text
//! hive-gateway --mock                                          the in-process mock queen
//! hive-gateway --tcp-host Q --tcp-port 31337                   a queen's console
//!              [--auth-token T] [--request-auth-token R]       (or the environment)
//!              [--bind 127.0.0.1:8080] [--public-reads] [--sessions N] [--manifest F]
//! hive-gateway --print-openapi                                 the OpenAPI document
//! ```
//!
//! Environment (a variable is used only when its flag is not given):
//!
//! | flag | variables, in precedence order |
//! |---|---|
//! | `--bind` | `HIVE_GATEWAY_BIND` (default `127.0.0.1:8080`) |
//! | `--mock` | `HIVE_GATEWAY_MOCK` |
//! | `--allow-non-loopback-bind` | `HIVE_GATEWAY_ALLOW_NON_LOOPBACK_BIND` |
//! | `--allow-insecure-console-auth` | `HIVE_GATEWAY_ALLOW_INSECURE_CONSOLE_AUTH`, `COHESIX_ALLOW_INSECURE_CONSOLE_AUTH` |
//! | `--tcp-host`, `--tcp-port` | `COH_TCP_HOST`, `COH_TCP_PORT` |
//! | `--auth-token` (console) | `COH_AUTH_TOKEN` > `COHSH_AUTH_TOKEN` |
//! | `--role`, `--ticket` | `COH_ROLE`, `COH_TICKET` |
//! | `--request-auth-token` | `HIVE_GATEWAY_REQUEST_AUTH_TOKEN` > `COH_REST_AUTH_TOKEN` > `COHSH_REST_AUTH_TOKEN` (`cohesix::auth::resolve_rest_token`, the one precedence of every tool) |
//! | `--public-reads` | `HIVE_GATEWAY_PUBLIC_READS` |
//! | `--sessions` | `HIVE_GATEWAY_SESSIONS` |
//! | log filter | `HIVE_GATEWAY_LOG` (default `info`) |
//!
//! A switch variable is on unless empty, `0`, `false`, `off` or `no` (upstream's rule).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use cohesix::auth::{resolve_rest_token, Secret};
use cohesix::discovery::{EnvSource, ProcessEnv};
use cohesix_gateway::fair::QueueConfig;
use cohesix_gateway::startup::switch_on;
use cohesix_gateway::{GatewayConfig, StartupOptions};

/// hive-gateway: the REST gateway that owns a Cohesix console and shares it fairly.
#[derive(Debug, Parser)]
#[command(name = "hive-gateway", version = crate::VERSION)]
pub struct Args {
    /// Listen address [env HIVE_GATEWAY_BIND; default 127.0.0.1:8080].
    #[arg(long)]
    pub bind: Option<SocketAddr>,
    /// Permit a non-loopback listen address.
    #[arg(long)]
    pub allow_non_loopback_bind: bool,
    /// Serve the in-process mock queen instead of a console.
    #[arg(long)]
    pub mock: bool,
    /// Mock: serve /gpu/MIG-0 too.
    #[arg(long)]
    pub include_mig: bool,
    /// Queen host [env COH_TCP_HOST; default 127.0.0.1].
    #[arg(long)]
    pub tcp_host: Option<String>,
    /// Queen console port [env COH_TCP_PORT; default 31337].
    #[arg(long)]
    pub tcp_port: Option<u16>,
    /// Console AUTH token [env COH_AUTH_TOKEN, COHSH_AUTH_TOKEN].
    #[arg(long)]
    pub auth_token: Option<String>,
    /// Accept the placeholder console token `changeme` (the 0.3 queen needs it).
    #[arg(long)]
    pub allow_insecure_console_auth: bool,
    /// Role the console attaches as [env COH_ROLE; default queen].
    #[arg(long)]
    pub role: Option<String>,
    /// Attach ticket (worker roles) [env COH_TICKET].
    #[arg(long)]
    pub ticket: Option<String>,
    /// Request token every route needs [env HIVE_GATEWAY_REQUEST_AUTH_TOKEN,
    /// COH_REST_AUTH_TOKEN, COHSH_REST_AUTH_TOKEN].
    #[arg(long)]
    pub request_auth_token: Option<String>,
    /// Let reads through without the request token (writes always need it).
    #[arg(long)]
    pub public_reads: bool,
    /// Console sessions, for queens that accept more than one client [env
    /// HIVE_GATEWAY_SESSIONS; default 1].
    #[arg(long)]
    pub sessions: Option<usize>,
    /// Serve the bounds of this manifest (default: the compiled ones).
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// Requests one client may have waiting.
    #[arg(long, default_value_t = QueueConfig::for_sessions(1).per_principal)]
    pub queue_per_client: usize,
    /// Requests that may wait in all.
    #[arg(long, default_value_t = QueueConfig::for_sessions(1).total)]
    pub queue_total: usize,
    /// Longest wait of a read for a console slot before 429, in ms.
    #[arg(long, default_value_t = 800)]
    pub read_wait_ms: u64,
    /// Longest wait of a write for a console slot before 429, in ms.
    #[arg(long, default_value_t = 2000)]
    pub write_wait_ms: u64,
    /// Console per-operation timeout, in ms.
    #[arg(long, default_value_t = cohesix_generated::retry::TIMEOUT_MS)]
    pub timeout_ms: u64,
    /// Console whole-request deadline, in ms.
    #[arg(long, default_value_t = 10_000)]
    pub request_timeout_ms: u64,
    /// Time the requests in flight get after SIGINT/SIGTERM, in ms.
    #[arg(long, default_value_t = 10_000)]
    pub drain_ms: u64,
    /// Print the OpenAPI document and exit.
    #[arg(long)]
    pub print_openapi: bool,
}

fn env_switch(env: &dyn EnvSource, names: &[&str]) -> bool {
    names
        .iter()
        .any(|n| env.var(n).is_some_and(|v| switch_on(&v)))
}

fn env_first(env: &dyn EnvSource, names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|n| env.var(n))
        .map(|v| v.trim().to_owned())
        .find(|v| !v.is_empty())
}

fn parsed<T: std::str::FromStr>(env: &dyn EnvSource, name: &str) -> Result<Option<T>, String> {
    match env_first(env, &[name]) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| format!("environment variable {name} is not valid: '{v}'")),
    }
}

/// Merges flags and environment (flags win) into start-up options and the tuning the
/// library's rules do not cover.
///
/// # Errors
/// A variable that does not parse.
pub fn options(args: &Args, env: &dyn EnvSource) -> Result<(StartupOptions, Tuning), String> {
    let defaults = StartupOptions::default();
    let mut o = StartupOptions::default();
    o.bind = match args.bind {
        Some(b) => b,
        None => parsed(env, "HIVE_GATEWAY_BIND")?.unwrap_or(defaults.bind),
    };
    o.allow_non_loopback_bind =
        args.allow_non_loopback_bind || env_switch(env, &["HIVE_GATEWAY_ALLOW_NON_LOOPBACK_BIND"]);
    o.mock = args.mock || env_switch(env, &["HIVE_GATEWAY_MOCK"]);
    o.include_mig = args.include_mig;
    o.tcp_host = args
        .tcp_host
        .clone()
        .or_else(|| env_first(env, &["COH_TCP_HOST"]))
        .unwrap_or(defaults.tcp_host);
    o.tcp_port = match args.tcp_port {
        Some(p) => p,
        None => parsed(env, "COH_TCP_PORT")?.unwrap_or(defaults.tcp_port),
    };
    o.tcp_auth_token = args
        .auth_token
        .clone()
        .or_else(|| env_first(env, &["COH_AUTH_TOKEN", "COHSH_AUTH_TOKEN"]))
        .map(Secret::new);
    o.allow_insecure_console_auth = args.allow_insecure_console_auth
        || env_switch(
            env,
            &[
                "HIVE_GATEWAY_ALLOW_INSECURE_CONSOLE_AUTH",
                "COHESIX_ALLOW_INSECURE_CONSOLE_AUTH",
            ],
        );
    o.role = args
        .role
        .clone()
        .or_else(|| env_first(env, &["COH_ROLE"]))
        .unwrap_or(defaults.role);
    o.ticket = args
        .ticket
        .clone()
        .or_else(|| env_first(env, &["COH_TICKET"]))
        .map(Secret::new);
    o.request_auth_token = resolve_rest_token(args.request_auth_token.as_deref(), env);
    o.public_reads = args.public_reads || env_switch(env, &["HIVE_GATEWAY_PUBLIC_READS"]);
    o.sessions = match args.sessions {
        Some(n) => n,
        None => parsed(env, "HIVE_GATEWAY_SESSIONS")?.unwrap_or(1),
    };
    o.manifest.clone_from(&args.manifest);
    let tuning = Tuning {
        per_client: args.queue_per_client,
        total: args.queue_total,
        read_wait: Duration::from_millis(args.read_wait_ms),
        write_wait: Duration::from_millis(args.write_wait_ms),
        op_timeout: Duration::from_millis(args.timeout_ms.max(1)),
        request_timeout: Duration::from_millis(args.request_timeout_ms.max(1)),
        drain: Duration::from_millis(args.drain_ms),
    };
    Ok((o, tuning))
}

/// Settings beyond the start-up rules.
#[derive(Clone, Copy, Debug)]
pub struct Tuning {
    /// Waiters per client.
    pub per_client: usize,
    /// Waiters in all.
    pub total: usize,
    /// Read wait budget.
    pub read_wait: Duration,
    /// Write wait budget.
    pub write_wait: Duration,
    /// Console operation timeout.
    pub op_timeout: Duration,
    /// Console request deadline.
    pub request_timeout: Duration,
    /// Drain time.
    pub drain: Duration,
}

impl Tuning {
    /// Applies the tuning to a configuration.
    #[must_use]
    pub fn apply(&self, c: GatewayConfig) -> GatewayConfig {
        let queue = QueueConfig {
            per_principal: self.per_client,
            total: self.total,
            ..c.queue
        };
        let client = c
            .client
            .with_op_timeout(self.op_timeout)
            .with_request_timeout(self.request_timeout);
        c.queue(queue)
            .waits(self.read_wait, self.write_wait)
            .client(client)
            .drain_timeout(self.drain)
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn run(config: GatewayConfig) -> Result<(), String> {
    let bind = config.bind;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let gateway = cohesix_gateway::Gateway::new(config).map_err(|e| e.to_string())?;
    // The one line on standard output: where to connect (tests and scripts read it).
    println!("hive-gateway listening on http://{addr}");
    tracing::info!(%addr, sessions = gateway.config().sessions, "listening");
    cohesix_gateway::serve(gateway, listener, signal())
        .await
        .map_err(|e| e.to_string())
}

/// The `hive-gateway` entry point.
#[must_use]
pub fn main() -> ExitCode {
    let args = Args::parse();
    if args.print_openapi {
        print!("{}", cohesix_gateway::routes::openapi_yaml());
        return ExitCode::SUCCESS;
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HIVE_GATEWAY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = options(&args, &ProcessEnv).and_then(|(o, t)| {
        o.into_config()
            .map(|c| t.apply(c))
            .map_err(|e| e.to_string())
    });
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hive-gateway: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hive-gateway: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hive-gateway: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohesix::discovery::MapEnv;

    fn args(argv: &[&str]) -> Args {
        Args::parse_from(std::iter::once("hive-gateway").chain(argv.iter().copied()))
    }

    #[test]
    fn flags_win_over_the_environment() {
        let env = MapEnv::new(&[
            ("HIVE_GATEWAY_BIND", "127.0.0.1:9000"),
            ("COH_TCP_HOST", "queen.env"),
            ("COH_TCP_PORT", "4000"),
            ("COH_AUTH_TOKEN", "env-console"),
            ("COH_ROLE", "worker-gpu"),
            ("HIVE_GATEWAY_REQUEST_AUTH_TOKEN", "env-request"),
        ]);
        let (o, _) = options(&args(&[]), &env).unwrap();
        assert_eq!(o.bind, "127.0.0.1:9000".parse().unwrap());
        assert_eq!((o.tcp_host.as_str(), o.tcp_port), ("queen.env", 4000));
        assert_eq!(o.tcp_auth_token.unwrap().expose(), "env-console");
        assert_eq!(o.request_auth_token.unwrap().expose(), "env-request");
        assert_eq!(o.role, "worker-gpu");
        let (o, _) = options(
            &args(&[
                "--bind",
                "127.0.0.1:1",
                "--tcp-host",
                "q",
                "--auth-token",
                "flag-console",
                "--request-auth-token",
                "flag-request",
            ]),
            &env,
        )
        .unwrap();
        assert_eq!(o.bind, "127.0.0.1:1".parse().unwrap());
        assert_eq!(o.tcp_host, "q");
        assert_eq!(o.tcp_auth_token.unwrap().expose(), "flag-console");
        assert_eq!(o.request_auth_token.unwrap().expose(), "flag-request");
    }

    #[test]
    fn token_precedence_and_switches() {
        let env = MapEnv::new(&[
            ("COHSH_AUTH_TOKEN", "b"),
            ("COH_REST_AUTH_TOKEN", "r2"),
            ("COHSH_REST_AUTH_TOKEN", "r3"),
            ("HIVE_GATEWAY_MOCK", "yes"),
            ("HIVE_GATEWAY_ALLOW_NON_LOOPBACK_BIND", "0"),
            ("COHESIX_ALLOW_INSECURE_CONSOLE_AUTH", "1"),
        ]);
        let (o, _) = options(&args(&[]), &env).unwrap();
        assert_eq!(o.tcp_auth_token.unwrap().expose(), "b");
        assert_eq!(o.request_auth_token.unwrap().expose(), "r2");
        assert!(o.mock && !o.allow_non_loopback_bind && o.allow_insecure_console_auth);
        let e = options(&args(&[]), &MapEnv::new(&[("COH_TCP_PORT", "x")])).unwrap_err();
        assert!(e.contains("COH_TCP_PORT"), "{e}");
    }

    #[test]
    fn tuning_reaches_the_config() {
        let a = args(&["--mock", "--queue-total", "7", "--read-wait-ms", "5"]);
        let (o, t) = options(&a, &MapEnv::default()).unwrap();
        let c = t.apply(o.into_config().unwrap());
        assert_eq!(c.queue.total, 7);
        assert_eq!(c.read_wait, Duration::from_millis(5));
        assert_eq!(c.client.request_timeout(), Duration::from_secs(10));
    }
}
