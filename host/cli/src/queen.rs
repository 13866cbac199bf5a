//! `coh-queen` command line: flags, safety checks, runtime.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use cohesix_sim::clock::WallClock;
use cohesix_sim::config::{
    AuthToken, SecretTable, SimConfig, AUTH_TIMEOUT, IDLE_TIMEOUT, INSECURE_DEFAULT_TOKEN,
    WRITE_TIMEOUT,
};
use cohesix_sim::fleet::{Fleet, MAX_QUEENS};
use cohesix_sim::namespace::Features;

/// Environment switch that allows the placeholder token (upstream gateway's name).
pub const ALLOW_INSECURE_ENV: &str = "COHESIX_ALLOW_INSECURE_CONSOLE_AUTH";

/// Namespace profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// Surfaces of the real 0.3.0-alpha2 queen.
    Shipped,
    /// Every surface (policy/approvals, control plane, host tickets, PEFT exports).
    Full,
}

/// Cohesix queen simulator: serves the TCP console on loopback.
#[derive(Debug, Parser)]
#[command(name = "coh-queen", version = crate::VERSION, about)]
pub struct Args {
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:31337")]
    pub bind: SocketAddr,
    /// Allow a non-loopback listen address.
    #[arg(long)]
    pub allow_non_loopback: bool,
    /// Console token clients must send in `AUTH <token>`.
    #[arg(long, env = "COHESIX_AUTH_TOKEN", default_value = INSECURE_DEFAULT_TOKEN, hide_env_values = true)]
    pub auth_token: String,
    /// Accept the placeholder token `changeme`.
    #[arg(long)]
    pub insecure_default_token: bool,
    /// Root-task manifest TOML whose `[[tickets]]` secrets verify ATTACH tickets
    /// (default: the shipped manifest's secrets).
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// Seed of the demo tree's synthetic values.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Namespace profile.
    #[arg(long, value_enum, default_value_t = Profile::Full)]
    pub profile: Profile,
    /// AUTH deadline after accept, in ms.
    #[arg(long, default_value_t = AUTH_TIMEOUT.as_millis() as u64)]
    pub auth_timeout_ms: u64,
    /// Idle close of an authenticated connection, in ms (only a complete inbound frame or a
    /// completed send resets it).
    #[arg(long, default_value_t = IDLE_TIMEOUT.as_millis() as u64)]
    pub idle_timeout_ms: u64,
    /// Deadline of each reply send, in ms: a client that stops reading loses the session.
    #[arg(long, default_value_t = WRITE_TIMEOUT.as_millis() as u64)]
    pub write_timeout_ms: u64,
    /// Serve this many independent simulated queens (own namespace and console slot each,
    /// same token, secrets, profile and seed) on consecutive ports from `--bind`'s port
    /// (port 0: an ephemeral port each). One `coh-queen listening on ADDR` line per queen.
    /// Thousands need a raised open-file limit (`ulimit -n`).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=MAX_QUEENS as i64))]
    pub queens: u32,
}

/// Why the command line was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// Non-loopback bind without the opt-in.
    #[error("refusing to listen on non-loopback {0}; pass --allow-non-loopback")]
    NonLoopback(SocketAddr),
    /// Placeholder token without the opt-in.
    #[error("refusing the placeholder console token; pass --insecure-default-token or set {ALLOW_INSECURE_ENV}=1")]
    InsecureToken,
    /// Empty token.
    #[error("the console token must not be empty")]
    EmptyToken,
    /// Manifest could not be read.
    #[error("cannot read manifest {path}: {why}")]
    Manifest {
        /// Manifest path.
        path: PathBuf,
        /// Reason.
        why: String,
    },
}

/// Builds the simulator configuration; `env_allows_insecure` is the value of
/// [`ALLOW_INSECURE_ENV`] == `1`.
pub fn build_config(args: &Args, env_allows_insecure: bool) -> Result<SimConfig, CliError> {
    if !args.bind.ip().is_loopback() && !args.allow_non_loopback {
        return Err(CliError::NonLoopback(args.bind));
    }
    if args.auth_token.is_empty() {
        return Err(CliError::EmptyToken);
    }
    if args.auth_token == INSECURE_DEFAULT_TOKEN
        && !(args.insecure_default_token || env_allows_insecure)
    {
        return Err(CliError::InsecureToken);
    }
    let secrets = match &args.manifest {
        None => SecretTable::shipped(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError::Manifest {
                path: path.clone(),
                why: e.to_string(),
            })?;
            SecretTable::from_manifest_toml(&text, &path.display().to_string()).map_err(|e| {
                CliError::Manifest {
                    path: path.clone(),
                    why: e.to_string(),
                }
            })?
        }
    };
    Ok(SimConfig {
        bind: args.bind,
        token: AuthToken::new(args.auth_token.clone()),
        secrets,
        features: match args.profile {
            Profile::Shipped => Features::shipped(),
            Profile::Full => Features::full(),
        },
        seed: args.seed,
        clock: Arc::new(WallClock::new()),
        auth_timeout: Duration::from_millis(args.auth_timeout_ms),
        idle_timeout: Duration::from_millis(args.idle_timeout_ms),
        write_timeout: Duration::from_millis(args.write_timeout_ms),
    })
}

/// `coh-queen` entry point.
pub fn main() -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
    let args = Args::parse();
    let env_ok = std::env::var(ALLOW_INSECURE_ENV).is_ok_and(|v| v == "1");
    let config = match build_config(&args, env_ok) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("coh-queen: {}", crate::report::chain(&e));
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!(
                "coh-queen: cannot start runtime: {}",
                crate::report::chain(&e)
            );
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let fleet = match Fleet::spawn(config, args.queens as usize).await {
            Ok(f) => f,
            Err(e) => {
                eprintln!("coh-queen: {}", crate::report::chain(&e));
                return ExitCode::FAILURE;
            }
        };
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            for addr in fleet.addrs() {
                let _ = writeln!(out, "coh-queen listening on {addr}");
            }
            let _ = out.flush();
        }
        let _ = tokio::signal::ctrl_c().await;
        fleet.shutdown().await;
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        let mut v = vec!["coh-queen"];
        v.extend_from_slice(extra);
        Args::try_parse_from(v).unwrap()
    }

    #[test]
    fn refuses_placeholder_token_without_opt_in() {
        assert!(matches!(
            build_config(&args(&[]), false),
            Err(CliError::InsecureToken)
        ));
        assert!(build_config(&args(&["--insecure-default-token"]), false).is_ok());
        assert!(build_config(&args(&[]), true).is_ok());
        assert!(build_config(&args(&["--auth-token", "s3cret"]), false).is_ok());
    }

    #[test]
    fn refuses_non_loopback_without_opt_in() {
        let a = args(&["--bind", "0.0.0.0:31337", "--auth-token", "x"]);
        assert!(matches!(
            build_config(&a, false),
            Err(CliError::NonLoopback(_))
        ));
        let a = args(&[
            "--bind",
            "0.0.0.0:0",
            "--auth-token",
            "x",
            "--allow-non-loopback",
        ]);
        assert!(build_config(&a, false).is_ok());
        let a = args(&[
            "--bind",
            "[::1]:0",
            "--auth-token",
            "x",
            "--profile",
            "shipped",
        ]);
        assert_eq!(
            build_config(&a, false).unwrap().features,
            Features::shipped()
        );
    }

    #[test]
    fn manifest_flag_loads_ticket_secrets() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/upstream/configs/root_task.toml"
        );
        let cfg = build_config(&args(&["--auth-token", "x", "--manifest", path]), false).unwrap();
        assert!(cfg
            .secrets
            .key(cohesix_core::role::Role::WorkerLora)
            .is_some());
        assert_eq!(cfg.auth_timeout, AUTH_TIMEOUT);
        assert_eq!(cfg.features, Features::full());
    }

    #[test]
    fn queens_flag_is_bounded() {
        assert_eq!(args(&[]).queens, 1);
        assert_eq!(args(&["--queens", "50"]).queens, 50);
        assert_eq!(args(&["--queens", "4096"]).queens as usize, MAX_QUEENS);
        for bad in ["0", "4097", "-1", "many"] {
            assert!(
                Args::try_parse_from(["coh-queen", "--queens", bad]).is_err(),
                "{bad}"
            );
        }
        let a = args(&["--auth-token", "x", "--write-timeout-ms", "250"]);
        assert_eq!(
            build_config(&a, false).unwrap().write_timeout,
            Duration::from_millis(250)
        );
    }

    #[test]
    fn manifest_errors_are_reported() {
        let a = args(&[
            "--auth-token",
            "x",
            "--manifest",
            "/nonexistent/root_task.toml",
        ]);
        assert!(matches!(
            build_config(&a, false),
            Err(CliError::Manifest { .. })
        ));
    }
}
