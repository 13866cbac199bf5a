//! The `cohsh` front end: flags, transports and the main loop of the Cohesix console shell.
//!
//! ```text
//! cohsh --tcp-host H --tcp-port P [--role R [--ticket T]]     interactive shell
//! cohsh --script FILE.coh                                     run a script (EXPECT checks)
//! cohsh --mint-ticket --role R --ticket-subject S             print a ticket
//! cohsh bench ping --count N [--pipeline K]                   PING round-trip figures
//! cohsh --transport mock [--mock-profile full] --script F.coh    built-in mock backend
//! cohsh --rest-url http://127.0.0.1:8080 [--script F.coh]         through a hive-gateway
//! ```
//!
//! `--transport mock` runs the queen simulator (`cohesix-sim`) inside this process and drives
//! it through the same console code as a live run, over an in-memory transport (no socket
//! is opened): the host library's mock backend, for demos, scripts and CI.
//!
//! The console token comes from `--auth-token` or `COHSH_AUTH_TOKEN`; the placeholder
//! `changeme` also needs `COHESIX_ALLOW_INSECURE_CONSOLE_AUTH=1` and
//! `--allow-insecure-auth`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::report::message;
use crate::shell::{auth, bench, interactive, mint, Shell, TcpBackend, Token};
use clap::{Parser, Subcommand, ValueEnum};
use cohesix::backend::{MockBackend, MockOptions};
use cohesix_sim::Features;
use cohesix_tokio::{ClientConfig, Console, Credentials, RetryPolicy, Role};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Transport {
    /// The TCP console.
    Tcp,
    /// The built-in mock backend: an in-process queen simulator on loopback.
    Mock,
    /// A hive-gateway (`--rest-url`): read and echo verbs over REST.
    Rest,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum MockProfile {
    /// The surfaces of the shipped 0.3.0-alpha2 queen (no policy gating).
    Shipped,
    /// Every 0.9 surface: policy, actions and approvals, host nodes, sidecars.
    Full,
}

/// The `cohsh` command line.
#[derive(Debug, Parser)]
#[command(name = "cohsh", version = crate::VERSION, about = "Cohesix console shell")]
pub struct Cli {
    /// Transport: `tcp` (a queen) or `mock` (the built-in simulator).
    #[arg(long, value_enum, default_value = "tcp", global = true)]
    transport: Transport,
    /// Namespace profile of the built-in simulator (`--transport mock`).
    #[arg(long, value_enum, default_value = "shipped", global = true)]
    mock_profile: MockProfile,
    /// Mirror the built-in simulator's namespace to this directory after each write.
    #[arg(long, global = true)]
    mock_root: Option<PathBuf>,
    /// Queen host.
    #[arg(
        long,
        env = "COHSH_TCP_HOST",
        default_value = "127.0.0.1",
        global = true
    )]
    tcp_host: String,
    /// Queen console port.
    #[arg(long, env = "COHSH_TCP_PORT", default_value_t = cohesix_generated::console::TCP_PORT, global = true)]
    tcp_port: u16,
    /// Role to attach as (interactive mode attaches at start when given).
    #[arg(long, global = true)]
    role: Option<String>,
    /// Attach ticket.
    #[arg(long, env = "COHSH_TICKET", hide_env_values = true, global = true)]
    ticket: Option<String>,
    /// Console auth token.
    #[arg(long, env = "COHSH_AUTH_TOKEN", hide_env_values = true, global = true)]
    auth_token: Option<String>,
    /// Accept the placeholder token `changeme` (also needs
    /// COHESIX_ALLOW_INSECURE_CONSOLE_AUTH=1).
    #[arg(long, global = true)]
    allow_insecure_auth: bool,
    /// hive-gateway base URL: run the shell's read and echo verbs through it (implies
    /// `--transport rest`).
    #[arg(long, env = "COHSH_REST_URL", global = true)]
    rest_url: Option<String>,
    /// Request token of the gateway (else HIVE_GATEWAY_REQUEST_AUTH_TOKEN >
    /// COH_REST_AUTH_TOKEN > COHSH_REST_AUTH_TOKEN).
    #[arg(long, hide_env_values = true, global = true)]
    rest_auth_token: Option<String>,
    /// Run a `.coh` script instead of the interactive shell.
    #[arg(long)]
    script: Option<PathBuf>,
    /// Mint a ticket for --role and --ticket-subject and print it.
    #[arg(long)]
    mint_ticket: bool,
    /// Ticket subject (worker id) for --mint-ticket.
    #[arg(long)]
    ticket_subject: Option<String>,
    /// Per-operation timeout in milliseconds (manifest default 5000).
    #[arg(long, global = true)]
    timeout_ms: Option<u64>,
    /// Retries after a failed connect/read (manifest default 3).
    #[arg(long, global = true)]
    retries: Option<u32>,
    /// Idle heartbeat in milliseconds, 0 to disable (manifest default 15000).
    #[arg(long, global = true)]
    heartbeat_ms: Option<u64>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// PING round trips: prints p50/p99 microseconds and requests per second.
    Ping {
        /// PINGs to send.
        #[arg(long, default_value_t = 1000)]
        count: usize,
        /// Requests in flight per round (1..=8).
        #[arg(long, default_value_t = 1)]
        pipeline: usize,
    },
}

fn config(cli: &Cli) -> ClientConfig {
    let mut c = ClientConfig::new();
    if let Some(ms) = cli.timeout_ms {
        c = c.with_op_timeout(Duration::from_millis(ms.max(1)));
    }
    if let Some(n) = cli.retries {
        c = c.with_retry(RetryPolicy::DEFAULT.with_max_retries(n));
    }
    if let Some(ms) = cli.heartbeat_ms {
        c = c.with_heartbeat((ms > 0).then(|| Duration::from_millis(ms)));
    }
    c
}

async fn resolve(cli: &Cli) -> Result<SocketAddr, String> {
    let target = format!("{}:{}", cli.tcp_host, cli.tcp_port);
    let mut addrs = tokio::net::lookup_host(target.as_str())
        .await
        .map_err(|e| format!("cannot resolve {target}: {e}"))?;
    addrs
        .next()
        .ok_or_else(|| format!("no address for {target}"))
}

/// Where the shell connects: a queen over TCP, or the host library's in-process mock
/// (the simulator driven through the same console code over an in-memory transport: no
/// listening socket is opened).
enum Target {
    Tcp { addr: SocketAddr, token: Token },
    Mock(MockBackend),
}

async fn target(cli: &Cli) -> Result<Target, String> {
    match cli.transport {
        Transport::Rest => Err("--transport rest runs the shell only".into()),
        Transport::Tcp => Ok(Target::Tcp {
            addr: resolve(cli).await?,
            token: token(cli)?,
        }),
        Transport::Mock => {
            let mut options =
                MockOptions::new()
                    .root(cli.mock_root.clone())
                    .features(match cli.mock_profile {
                        MockProfile::Shipped => Features::shipped(),
                        MockProfile::Full => Features::full(),
                    });
            options.role = cli.role.clone().unwrap_or_else(|| "queen".into());
            let mock = MockBackend::new(&options)
                .map_err(|e| format!("cannot start the built-in simulator: {e}"))?;
            Ok(Target::Mock(mock))
        }
    }
}

fn token(cli: &Cli) -> Result<Token, String> {
    let env = std::env::var(auth::INSECURE_ENV).ok();
    auth::resolve_token(
        cli.auth_token.as_deref(),
        cli.allow_insecure_auth,
        env.as_deref(),
    )
    .map_err(message)
}

fn role(label: Option<&str>) -> Result<Role, String> {
    let label = label.unwrap_or("queen");
    Role::from_label(label).ok_or_else(|| format!("unknown role '{label}'"))
}

fn mint_ticket(cli: &Cli) -> Result<(), String> {
    let role = role(cli.role.as_deref())?;
    let secret = mint::resolve_secret(
        role,
        std::env::var("COHSH_TICKET_SECRET").ok(),
        std::env::var_os("COHSH_TICKET_CONFIG").map(PathBuf::from),
        &std::env::current_dir().map_err(message)?,
    )
    .map_err(message)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let ticket = mint::mint(role, cli.ticket_subject.as_deref(), &secret, now).map_err(message)?;
    println!("{ticket}");
    Ok(())
}

async fn bench_ping(cli: &Cli, count: usize, pipeline: usize) -> Result<(), String> {
    let role = role(cli.role.as_deref())?;
    let console = match target(cli).await? {
        Target::Tcp { addr, token } => {
            let creds =
                Credentials::new(token.expose(), role, cli.ticket.as_deref()).map_err(message)?;
            Console::connect(addr.to_string(), creds, config(cli)).map_err(message)?
        }
        Target::Mock(mock) => {
            // The mock's own session would hold the single console slot.
            let _ = cohesix::Backend::close(&mock).await;
            mock.attach_console(role, cli.ticket.as_deref(), config(cli))
                .map_err(message)?
        }
    };
    console.ready().await.map_err(message)?;
    // Warm-up round trips are not counted.
    for _ in 0..count.min(100) / 10 {
        console.ping().await.map_err(message)?;
    }
    let stats = bench::ping(&console, count, pipeline)
        .await
        .map_err(message)?;
    let _ = console.quit().await;
    println!("{stats}");
    Ok(())
}

/// `--rest-url` / `--transport rest`: the shell over a hive-gateway (`shell::rest`).
#[cfg(feature = "rest")]
async fn rest_shell(cli: &Cli) -> Result<(), String> {
    let url = cli
        .rest_url
        .as_deref()
        .ok_or("--transport rest needs --rest-url URL (or COHSH_REST_URL)")?;
    let token = cohesix::auth::resolve_rest_token(
        cli.rest_auth_token.as_deref(),
        &cohesix::discovery::ProcessEnv,
    );
    let timeout = Duration::from_millis(cli.timeout_ms.unwrap_or(5000).max(1));
    crate::shell::rest::run(
        url,
        token,
        timeout,
        cli.script.as_deref(),
        cli.role.as_deref(),
    )
    .await
}

/// `--rest-url` in a build without the `rest` feature.
#[cfg(not(feature = "rest"))]
async fn rest_shell(_cli: &Cli) -> Result<(), String> {
    Err(
        "this cohsh was built without REST support (build cohesix-cli with its default \
         features, or `--features rest`)"
            .into(),
    )
}

async fn shell(cli: &Cli) -> Result<(), String> {
    let rest = match cli.transport {
        Transport::Rest => true,
        Transport::Tcp => cli.rest_url.is_some(),
        Transport::Mock => false,
    };
    if rest {
        return rest_shell(cli).await;
    }
    let backend = match target(cli).await? {
        Target::Tcp { addr, token } => TcpBackend::new(addr, token, config(cli)),
        Target::Mock(mock) => TcpBackend::mock(mock, config(cli)),
    };
    let cwd = std::env::current_dir().map_err(message)?;
    let mut shell = Shell::new(backend, std::io::stdout(), cwd);
    if let Some(path) = &cli.script {
        return shell.run_script_file(path).await;
    }
    if let Some(r) = &cli.role {
        let line = match &cli.ticket {
            Some(t) => format!("attach {r} {t}"),
            None => format!("attach {r}"),
        };
        shell.execute_line(&line).await.map_err(message)?;
    }
    interactive::run(&mut shell).await.map_err(message)
}

/// Runs `cohsh` with the process's arguments.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("COHSH_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let result = if cli.mint_ticket {
        mint_ticket(&cli)
    } else {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(async {
                match &cli.command {
                    Some(Command::Bench {
                        what: BenchCommand::Ping { count, pipeline },
                    }) => bench_ping(&cli, *count, *pipeline).await,
                    None => shell(&cli).await,
                }
            }),
            Err(e) => Err(message(e)),
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cohsh: {e}");
            ExitCode::FAILURE
        }
    }
}
