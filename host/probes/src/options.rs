//! What a snapshot collects and how: [`SnapshotOptions`] and the per-provider source choices.

use std::path::PathBuf;
use std::time::Duration;

use crate::exec::{ExecConfig, DEFAULT_TIMEOUT};
use crate::peft::PythonEnv;

/// Default cap on containers reported by the docker probe.
pub const DEFAULT_MAX_CONTAINERS: usize = 256;
/// Default cap on pods reported by the k8s probe.
pub const DEFAULT_MAX_PODS: usize = 512;
/// Default cap on GPUs reported by the nvidia probe.
pub const DEFAULT_MAX_DEVICES: usize = 32;
/// Default deadline of one whole probe: three exec timeouts (an API attempt, a CLI run and
/// one retry).
pub const DEFAULT_PROBE_DEADLINE: Duration = Duration::from_secs(3 * DEFAULT_TIMEOUT.as_secs());

/// Which path a probe with an API and a CLI may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceChoice {
    /// The API (library) first, the command-line tool as fallback.
    #[default]
    Auto,
    /// The API (library) only.
    Api,
    /// The command-line tool only.
    Cli,
}

impl SourceChoice {
    /// Whether the API path may be tried.
    #[must_use]
    pub fn tries_api(self) -> bool {
        matches!(self, Self::Auto | Self::Api)
    }

    /// Whether the CLI path may be tried.
    #[must_use]
    pub fn tries_cli(self) -> bool {
        matches!(self, Self::Auto | Self::Cli)
    }
}

/// Options of [`crate::collect_host_snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotOptions {
    /// systemd units to query; `None` skips the systemd probe entirely (no `systemd` key),
    /// `Some(vec![])` reports it as skipped (`no services requested`).
    pub systemd_units: Option<Vec<String>>,
    /// Run the docker (containers) probe.
    pub include_docker: bool,
    /// Run the k8s probe.
    pub include_k8s: bool,
    /// Run the nvidia probe.
    pub include_nvidia: bool,
    /// Run the peft probe.
    pub include_peft: bool,
    /// Subprocess settings (search path, timeout, output cap); the timeout also bounds every
    /// API call.
    pub exec: ExecConfig,
    /// Deadline of each whole probe (all its attempts together); a probe still running when
    /// it passes is reported `skipped` with `probe deadline of <N> ms passed`.
    pub probe_deadline: Duration,
    /// Docker: API (unix socket) and/or `docker` CLI.
    pub docker_source: SourceChoice,
    /// Docker Engine socket; `None` uses `DOCKER_HOST` when it is `unix://…`, else
    /// `/var/run/docker.sock`.
    pub docker_socket: Option<PathBuf>,
    /// Cap on reported containers.
    pub max_containers: usize,
    /// Kubernetes: API (kube-rs) and/or `kubectl`.
    pub k8s_source: SourceChoice,
    /// Namespace to list pods in.
    pub k8s_namespace: String,
    /// Label selector (empty: all pods).
    pub k8s_label_selector: String,
    /// Explicit kubeconfig file; `None` infers (`KUBECONFIG`, `~/.kube/config`, in-cluster).
    pub kubeconfig: Option<PathBuf>,
    /// Cap on reported pods.
    pub max_pods: usize,
    /// NVIDIA: NVML (`Api`) and/or `nvidia-smi` (`Cli`).
    pub nvidia_source: SourceChoice,
    /// NVML library to load; `None` tries `libnvidia-ml.so.1` then `libnvidia-ml.so`.
    pub nvml_library: Option<PathBuf>,
    /// Cap on reported GPUs.
    pub max_devices: usize,
    /// Python interpreter whose environment the peft probe inspects (default `python3`).
    pub python: String,
    /// Environment that decides which interpreter `python` names and its `sys.path`
    /// (default: this process's variables and working directory).
    pub python_env: PythonEnv,
    /// Root under which `/dev/nvidia<N>` device nodes are counted (default `/`).
    pub system_root: PathBuf,
    /// `CUDA_VISIBLE_DEVICES` as the peft probe should see it (default: this process's value).
    pub cuda_visible_devices: Option<String>,
}

impl Default for SnapshotOptions {
    fn default() -> Self {
        Self {
            systemd_units: None,
            include_docker: true,
            include_k8s: true,
            include_nvidia: true,
            include_peft: true,
            exec: ExecConfig::default(),
            probe_deadline: DEFAULT_PROBE_DEADLINE,
            docker_source: SourceChoice::Auto,
            docker_socket: None,
            max_containers: DEFAULT_MAX_CONTAINERS,
            k8s_source: SourceChoice::Auto,
            k8s_namespace: "default".to_owned(),
            k8s_label_selector: String::new(),
            kubeconfig: None,
            max_pods: DEFAULT_MAX_PODS,
            nvidia_source: SourceChoice::Auto,
            nvml_library: None,
            max_devices: DEFAULT_MAX_DEVICES,
            python: "python3".to_owned(),
            python_env: PythonEnv::from_process(),
            system_root: PathBuf::from("/"),
            cuda_visible_devices: std::env::var("CUDA_VISIBLE_DEVICES").ok(),
        }
    }
}
