//! `coh`: the operator tool on the host library — evidence packs and the namespace as a
//! mount. Global transport flags pick the backend (host-surface §8.1):
//!
//! ```text
//! coh [--host H --port P [--auth-token T] | --rest-url U [--rest-auth-token T] | --mock]
//!     [--role R] [--ticket T] [--policy FILE] <command>
//!   evidence pack --out DIR [--with-telemetry] | timeline --in DIR | ci-summary --pack DIR
//!            | siem --pack DIR | summary --pack DIR --format markdown
//!   mount --at DIR [--allow-other]
//! ```
//!
//! Transport flags are mutually exclusive (a usage error names the conflict); without one,
//! the environment decides (`cohesix::discovery`). Exit status: 0 ok, 1 failure, 2 usage
//! (and the per-command codes their docs state).

pub mod evidence;
pub mod mount;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use cohesix::auth::{insecure_allowed, resolve_rest_token, resolve_tcp_token, Secret};
use cohesix::backend::{MockOptions, TcpOptions};
use cohesix::discovery::{self, BackendSpec, ProcessEnv};

/// The Cohesix operator tool.
#[derive(Debug, Parser)]
#[command(name = "coh", version = crate::VERSION)]
pub struct Cli {
    /// Transport and identity.
    #[command(flatten)]
    pub transport: Transport,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Global transport flags.
#[derive(Debug, clap::Args)]
pub struct Transport {
    /// Queen console host (TCP).
    #[arg(long, global = true, conflicts_with_all = ["rest_url", "mock"])]
    pub host: Option<String>,
    /// Queen console port (TCP).
    #[arg(long, global = true, conflicts_with_all = ["rest_url", "mock"])]
    pub port: Option<u16>,
    /// Console token (TCP); else the library's resolution (manifest, COH_AUTH_TOKEN, …).
    #[arg(long, global = true, hide_env_values = true)]
    pub auth_token: Option<String>,
    /// Accept the placeholder console token `changeme`.
    #[arg(long, global = true)]
    pub allow_insecure_auth: bool,
    /// The REST gateway.
    #[arg(long, global = true, conflicts_with = "mock")]
    pub rest_url: Option<String>,
    /// Request token of the gateway.
    #[arg(long, global = true, requires = "rest_url", hide_env_values = true)]
    pub rest_auth_token: Option<String>,
    /// The built-in mock backend (in process, no socket).
    #[arg(long, global = true)]
    pub mock: bool,
    /// Where the mock mirrors its namespace (none by default).
    #[arg(long, global = true, requires = "mock")]
    pub mock_root: Option<PathBuf>,
    /// Attach role.
    #[arg(long, global = true, default_value = "queen")]
    pub role: String,
    /// Attach ticket.
    #[arg(long, global = true, hide_env_values = true)]
    pub ticket: Option<String>,
    /// Policy TOML (its hash is recorded in evidence; it must match this build's).
    #[arg(long, global = true, env = "COH_POLICY")]
    pub policy: Option<PathBuf>,
    /// Per-operation timeout in seconds.
    #[arg(long, global = true, default_value_t = 5.0)]
    pub timeout_s: f64,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evidence packs: capture, timeline, CI summary, SIEM export, human summary.
    Evidence(evidence::Args),
    /// Mount the queen's namespace as a FUSE filesystem (foreground).
    Mount(mount::Args),
    /// Print a shell completion script for a tool of this package (default: coh).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: crate::dist::Shell,
        /// The tool (cohsh, coh-queen, coh-rtc, cohesix-snapshot, cohesix-playbook,
        /// hive-gateway, coh).
        #[arg(default_value = "coh")]
        tool: String,
    },
    /// Write the man pages of every tool of this package to OUT/man1/.
    Man {
        /// Output directory.
        #[arg(long, default_value = "target/man")]
        out: PathBuf,
    },
}

impl Transport {
    /// The backend the flags (or the environment) name.
    ///
    /// # Errors
    /// A usage message (bad timeout, no token, …).
    pub fn spec(&self) -> Result<BackendSpec, String> {
        let env = ProcessEnv;
        let timeout = Duration::try_from_secs_f64(self.timeout_s)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or("--timeout-s must be a positive number")?;
        if self.mock {
            let mut o = MockOptions::new().root(self.mock_root.clone());
            o.role.clone_from(&self.role);
            return Ok(BackendSpec::Mock(o));
        }
        if let Some(url) = &self.rest_url {
            return Ok(BackendSpec::Rest {
                url: url.trim_end_matches('/').to_owned(),
                timeout,
                token: resolve_rest_token(self.rest_auth_token.as_deref(), &env),
            });
        }
        if self.host.is_some() || self.port.is_some() {
            let allow = insecure_allowed(&env, self.allow_insecure_auth);
            let (token, _) = resolve_tcp_token(self.auth_token.as_deref(), &[], allow, &env)
                .map_err(|e| e.to_string())?;
            let o = TcpOptions::new(
                self.host.clone().unwrap_or_else(|| "127.0.0.1".into()),
                self.port.unwrap_or(cohesix_generated::console::TCP_PORT),
                token,
            )
            .role(self.role.clone())
            .ticket(self.ticket.clone().map(Secret::new))
            .timeout(timeout);
            return Ok(BackendSpec::Tcp(o));
        }
        discovery::resolve(&env, &[], self.allow_insecure_auth)
            .map(|(s, _)| s)
            .map_err(|e| e.to_string())
    }
}

/// Entry point of the binary.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Evidence(ref a) => evidence::run(&cli.transport, a),
        Command::Mount(ref a) => mount::run(&cli.transport, a),
        Command::Completions { shell, ref tool } => {
            let mut out = std::io::stdout().lock();
            match crate::dist::completions(shell, tool, &mut out) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("coh completions: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Man { ref out } => match crate::dist::man_pages(out) {
            Ok(files) => {
                for f in files {
                    println!("{}", f.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("coh man: {}", crate::report::chain(&e));
                ExitCode::from(1)
            }
        },
    }
}
