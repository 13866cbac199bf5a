//! `cohesix-snapshot`: collects a host snapshot and prints it as NDJSON on stdout.
//!
//! ```text
//! cohesix-snapshot [--unit UNIT]... [--probes systemd,docker,k8s,nvidia,peft]
//!                  [-n NAMESPACE] [-l SELECTOR] [--timeout-ms 5000]
//!                  [--nvidia-source auto|nvml|smi] [--docker-source auto|api|cli]
//!                  [--k8s-source auto|api|kubectl] ...
//! ```
//! Exit status: 0 when the snapshot was printed (whatever the probes' statuses), 1 when it
//! could not be produced or written, 2 for usage errors.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use cohesix_probes::exec::ExecConfig;
use cohesix_probes::ndjson::snapshot_to_ndjson;
use cohesix_probes::options::{
    SnapshotOptions, SourceChoice, DEFAULT_MAX_CONTAINERS, DEFAULT_MAX_DEVICES, DEFAULT_MAX_PODS,
};
use cohesix_probes::snapshot::collect_host_snapshot_blocking;

/// A probe selectable with `--probes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProbeName {
    /// systemd units (needs `--unit`, else reported skipped).
    Systemd,
    /// Containers through the Docker Engine (alias: containers).
    #[value(alias = "containers")]
    Docker,
    /// Kubernetes pods.
    K8s,
    /// NVIDIA GPUs.
    Nvidia,
    /// Installed PEFT stack.
    Peft,
}

/// NVIDIA source choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NvidiaSourceArg {
    /// NVML first, nvidia-smi as fallback.
    Auto,
    /// NVML only.
    Nvml,
    /// nvidia-smi only.
    Smi,
}

/// Docker source choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DockerSourceArg {
    /// Engine API first, docker CLI as fallback.
    Auto,
    /// Engine API only.
    Api,
    /// docker CLI only.
    Cli,
}

/// Kubernetes source choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum K8sSourceArg {
    /// API first, kubectl as fallback.
    Auto,
    /// API only.
    Api,
    /// kubectl only.
    Kubectl,
}

/// Command-line arguments of `cohesix-snapshot`.
#[derive(Debug, Parser)]
#[command(
    name = "cohesix-snapshot",
    version = crate::VERSION,
    about = "Print a host snapshot (systemd, containers, Kubernetes, NVIDIA GPUs, PEFT stack) as NDJSON"
)]
pub struct Args {
    /// systemd unit to query (repeatable); without any, the systemd probe is not run unless
    /// named in --probes.
    #[arg(long = "unit", value_name = "UNIT")]
    pub units: Vec<String>,
    /// Probes to run (comma-separated). Default: docker,k8s,nvidia,peft, plus systemd when
    /// --unit is given.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub probes: Vec<ProbeName>,
    /// Kubernetes namespace.
    #[arg(short = 'n', long, default_value = "default")]
    pub namespace: String,
    /// Kubernetes label selector.
    #[arg(short = 'l', long = "selector", default_value = "")]
    pub selector: String,
    /// Timeout of every subprocess and API call, milliseconds.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,
    /// Cap on bytes captured per subprocess stream.
    #[arg(long, default_value_t = cohesix_probes::exec::DEFAULT_MAX_OUTPUT_BYTES)]
    pub max_output_bytes: usize,
    /// Search path for probe tools (default: this process's PATH).
    #[arg(long, value_name = "PATH")]
    pub tool_path: Option<std::ffi::OsString>,
    /// NVIDIA source.
    #[arg(long, value_enum, default_value_t = NvidiaSourceArg::Auto)]
    pub nvidia_source: NvidiaSourceArg,
    /// NVML library to load (default: libnvidia-ml.so.1, then libnvidia-ml.so).
    #[arg(long, value_name = "FILE")]
    pub nvml_lib: Option<PathBuf>,
    /// Docker source.
    #[arg(long, value_enum, default_value_t = DockerSourceArg::Auto)]
    pub docker_source: DockerSourceArg,
    /// Docker Engine socket (default: DOCKER_HOST unix://…, else /var/run/docker.sock).
    #[arg(long, value_name = "FILE")]
    pub docker_socket: Option<PathBuf>,
    /// Kubernetes source.
    #[arg(long, value_enum, default_value_t = K8sSourceArg::Auto)]
    pub k8s_source: K8sSourceArg,
    /// kubeconfig file (default: KUBECONFIG, ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Python interpreter inspected by the peft probe.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Cap on reported containers.
    #[arg(long, default_value_t = DEFAULT_MAX_CONTAINERS)]
    pub max_containers: usize,
    /// Cap on reported pods.
    #[arg(long, default_value_t = DEFAULT_MAX_PODS)]
    pub max_pods: usize,
    /// Cap on reported GPUs.
    #[arg(long, default_value_t = DEFAULT_MAX_DEVICES)]
    pub max_devices: usize,
}

impl Args {
    /// Converts the arguments to snapshot options.
    #[must_use]
    pub fn to_options(&self) -> SnapshotOptions {
        let explicit = !self.probes.is_empty();
        let wants = |p: ProbeName| {
            if explicit {
                self.probes.contains(&p)
            } else {
                p != ProbeName::Systemd || !self.units.is_empty()
            }
        };
        SnapshotOptions {
            systemd_units: wants(ProbeName::Systemd).then(|| self.units.clone()),
            include_docker: wants(ProbeName::Docker),
            include_k8s: wants(ProbeName::K8s),
            include_nvidia: wants(ProbeName::Nvidia),
            include_peft: wants(ProbeName::Peft),
            exec: ExecConfig {
                path: self.tool_path.clone(),
                timeout: Duration::from_millis(self.timeout_ms),
                max_output_bytes: self.max_output_bytes,
            },
            docker_source: match self.docker_source {
                DockerSourceArg::Auto => SourceChoice::Auto,
                DockerSourceArg::Api => SourceChoice::Api,
                DockerSourceArg::Cli => SourceChoice::Cli,
            },
            docker_socket: self.docker_socket.clone(),
            max_containers: self.max_containers,
            k8s_source: match self.k8s_source {
                K8sSourceArg::Auto => SourceChoice::Auto,
                K8sSourceArg::Api => SourceChoice::Api,
                K8sSourceArg::Kubectl => SourceChoice::Cli,
            },
            k8s_namespace: self.namespace.clone(),
            k8s_label_selector: self.selector.clone(),
            kubeconfig: self.kubeconfig.clone(),
            max_pods: self.max_pods,
            nvidia_source: match self.nvidia_source {
                NvidiaSourceArg::Auto => SourceChoice::Auto,
                NvidiaSourceArg::Nvml => SourceChoice::Api,
                NvidiaSourceArg::Smi => SourceChoice::Cli,
            },
            nvml_library: self.nvml_lib.clone(),
            max_devices: self.max_devices,
            python: self.python.clone(),
            ..SnapshotOptions::default()
        }
    }
}

/// Entry point of the `cohesix-snapshot` binary.
#[must_use]
pub fn main() -> ExitCode {
    let args = Args::parse();
    run(&args)
}

/// Collects and prints one snapshot for `args`.
#[must_use]
pub fn run(args: &Args) -> ExitCode {
    let snapshot = match collect_host_snapshot_blocking(&args.to_options()) {
        Ok(snapshot) => snapshot,
        Err(e) => {
            eprintln!(
                "cohesix-snapshot: cannot start the runtime: {}",
                crate::report::chain(&e)
            );
            return ExitCode::from(1);
        }
    };
    let text = snapshot_to_ndjson(&snapshot);
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "cohesix-snapshot: cannot write the snapshot: {}",
                crate::report::chain(&e)
            );
            ExitCode::from(1)
        }
    }
}
