//! `cohesix-playbook` flags (host-surface §6.5, plus fleets, shards and Ansible habits).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Output format of `--list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Machine-readable JSON (sorted keys, 2-space indent).
    Json,
    /// A table for people.
    Table,
}

/// Run a Cohesix fleet playbook: validate a whole operation (approvals, schedule, leases,
/// exports, proc snapshot, host snapshot, telemetry push) and leave a report and an audit
/// trail.
#[derive(Debug, Parser)]
#[command(name = "cohesix-playbook", version = crate::VERSION)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Subcommands (`merge`); without one, a playbook runs.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The run.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Combine fleet summaries (`fleet.json` files or directories holding one) of shards.
    Merge {
        /// Summaries or directories.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Write the merged summary here (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Flags of a run.
#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)]
pub struct RunArgs {
    /// List the playbooks (built-in and --playbook-dir ones) and exit.
    #[arg(long)]
    pub list: bool,
    /// Format of --list.
    #[arg(long, value_enum, default_value = "json", requires = "list")]
    pub format: ListFormat,
    /// Playbook id (default: the first built-in, jetson-critical-infra).
    #[arg(long, conflicts_with = "playbook_file")]
    pub playbook: Option<String>,
    /// Run a playbook file in the cohesix-playbook/v1 format.
    #[arg(long)]
    pub playbook_file: Option<PathBuf>,
    /// More playbooks (every *.toml in this directory) for --playbook and --list.
    #[arg(long)]
    pub playbook_dir: Option<PathBuf>,
    /// Validate and report; write nothing and open no console connection.
    #[arg(long, alias = "check")]
    pub dry_run: bool,
    /// Output directory (reports go to OUT/PLAYBOOK-ID/).
    #[arg(long, default_value = "out/examples/playbooks")]
    pub out: PathBuf,
    /// The built-in mock backend (the simulator in process, no socket).
    #[arg(long, conflicts_with_all = ["mount_root", "rest_url", "tcp_host", "tcp_port", "fleet"])]
    pub mock: bool,
    /// Where the mock mirrors its namespace.
    #[arg(long, requires = "mock", default_value = "out/examples/mockfs")]
    pub mock_root: PathBuf,
    /// The mock also serves MIG-0.
    #[arg(long, requires = "mock")]
    pub include_mig: bool,
    /// A `coh mount` of a queen (directory backend).
    #[arg(long, conflicts_with_all = ["rest_url", "tcp_host", "tcp_port", "fleet"])]
    pub mount_root: Option<PathBuf>,
    /// The REST gateway.
    #[arg(long, conflicts_with_all = ["tcp_host", "tcp_port", "fleet"])]
    pub rest_url: Option<String>,
    /// The queen's console host.
    #[arg(long, conflicts_with = "fleet")]
    pub tcp_host: Option<String>,
    /// The queen's console port.
    #[arg(long, conflicts_with = "fleet")]
    pub tcp_port: Option<u16>,
    /// Console token (TCP) or request token (REST); else the library's resolution.
    #[arg(long, hide_env_values = true)]
    pub auth_token: Option<String>,
    /// Accept the placeholder console token `changeme` (the 0.3 queen uses it).
    #[arg(long)]
    pub allow_insecure_auth: bool,
    /// Attach role.
    #[arg(long, default_value = "queen")]
    pub role: String,
    /// Attach ticket.
    #[arg(long)]
    pub ticket: Option<String>,
    /// Per-operation timeout in seconds.
    #[arg(long, default_value_t = 2.0)]
    pub timeout_s: f64,
    /// Retries of connects and reads.
    #[arg(long, default_value_t = 3)]
    pub max_retries: u32,
    /// Skip the /proc snapshot.
    #[arg(long)]
    pub no_proc_snapshot: bool,
    /// Skip the host snapshot (and its push).
    #[arg(long)]
    pub no_host_snapshot: bool,
    /// Collect the host snapshot but do not push it.
    #[arg(long)]
    pub no_push_host_snapshot: bool,
    /// Run against every queen of this fleet file.
    #[arg(long)]
    pub fleet: Option<PathBuf>,
    /// Queens run at once (fleet runs).
    #[arg(long, default_value_t = cohesix::playbook::fleet::DEFAULT_CONCURRENCY, requires = "fleet")]
    pub concurrency: usize,
    /// Only the queens of shard I of N (stable by queen name).
    #[arg(long, requires = "fleet")]
    pub shard: Option<String>,
    /// Shard count with JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).
    #[arg(long, requires = "fleet", conflicts_with = "shard")]
    pub shard_count: Option<u32>,
    /// Only these queens (comma-separated names) of the fleet.
    #[arg(long, requires = "fleet", value_delimiter = ',')]
    pub limit: Option<Vec<String>>,
    /// The run id (1..=8 of [0-9a-z]); default: a fresh one.
    #[arg(long)]
    pub run_id: Option<String>,
    /// Derive the run id from this text (e.g. a Job name and index), reproducibly.
    #[arg(long, conflicts_with = "run_id")]
    pub run_seed: Option<String>,
    /// No progress output.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}
