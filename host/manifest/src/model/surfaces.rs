//! Namespace surfaces: `[ecosystem.*]`, `[sidecars.*]` and `[cas.*]`.

use serde::{Deserialize, Serialize};

/// `[ecosystem]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ecosystem {
    /// `[ecosystem.host]`.
    pub host: EcosystemHost,
    /// `[ecosystem.audit]`.
    pub audit: Audit,
    /// `[ecosystem.policy]`.
    pub policy: Policy,
    /// `[ecosystem.models]`.
    pub models: Toggle,
}

/// `[ecosystem.host]`: the `/host` provider surface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcosystemHost {
    /// Surface enabled (required when the table is present).
    pub enable: bool,
    /// Providers exposed under the mount.
    #[serde(default)]
    pub providers: Vec<HostProvider>,
    /// Mount point.
    #[serde(default = "default_host_mount")]
    pub mount_at: String,
}

fn default_host_mount() -> String {
    "/host".into()
}

impl Default for EcosystemHost {
    fn default() -> Self {
        Self {
            enable: false,
            providers: Vec::new(),
            mount_at: default_host_mount(),
        }
    }
}

/// Host providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostProvider {
    /// systemd units.
    Systemd,
    /// Kubernetes.
    K8s,
    /// Docker.
    Docker,
    /// NVIDIA GPUs.
    Nvidia,
    /// Jetson boards.
    Jetson,
    /// Network interfaces.
    Net,
}

impl HostProvider {
    /// Manifest label.
    pub fn label(self) -> &'static str {
        match self {
            HostProvider::Systemd => "systemd",
            HostProvider::K8s => "k8s",
            HostProvider::Docker => "docker",
            HostProvider::Nvidia => "nvidia",
            HostProvider::Jetson => "jetson",
            HostProvider::Net => "net",
        }
    }
}

/// A table holding only an `enable` flag.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Toggle {
    /// Surface enabled.
    pub enable: bool,
}

/// `[ecosystem.audit]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Audit {
    /// Audit surface enabled.
    pub enable: bool,
    /// Journal cap (1..=msize).
    pub journal_max_bytes: u32,
    /// Decisions cap (1..=msize).
    pub decisions_max_bytes: u32,
    /// Replay enabled (needs `enable`).
    pub replay_enable: bool,
    /// Replay entries (1..=256).
    pub replay_max_entries: u16,
    /// Replay ctl cap (1..=msize).
    pub replay_ctl_max_bytes: u32,
    /// Replay status cap (1..=msize).
    pub replay_status_max_bytes: u32,
}

impl Default for Audit {
    fn default() -> Self {
        Self {
            enable: false,
            journal_max_bytes: 8192,
            decisions_max_bytes: 4096,
            replay_enable: false,
            replay_max_entries: 64,
            replay_ctl_max_bytes: 1024,
            replay_status_max_bytes: 1024,
        }
    }
}

/// `[ecosystem.policy]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Policy surface enabled.
    pub enable: bool,
    /// Queue entries (1..=64).
    pub queue_max_entries: u16,
    /// Queue cap (1..=msize).
    pub queue_max_bytes: u32,
    /// Ctl cap (1..=msize).
    pub ctl_max_bytes: u32,
    /// Status cap (1..=msize).
    pub status_max_bytes: u32,
    /// `[[ecosystem.policy.rules]]`.
    pub rules: Vec<PolicyRule>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            enable: false,
            queue_max_entries: 32,
            queue_max_bytes: 4096,
            ctl_max_bytes: 2048,
            status_max_bytes: 512,
            rules: Vec::new(),
        }
    }
}

/// One policy rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    /// Rule id (1..=64 bytes).
    pub id: String,
    /// Guarded path (may hold `*` components).
    pub target: String,
}

/// `[sidecars]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sidecars {
    /// `[sidecars.modbus]`.
    pub modbus: BusSidecar,
    /// `[sidecars.dnp3]`.
    pub dnp3: BusSidecar,
    /// `[sidecars.lora]`.
    pub lora: LoraSidecar,
}

/// A field-bus sidecar (`modbus`, `dnp3`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusSidecar {
    /// Sidecar enabled.
    pub enable: bool,
    /// Mount point.
    pub mount_at: String,
    /// Adapters (at least one when enabled).
    pub adapters: Vec<BusAdapter>,
}

impl Default for BusSidecar {
    fn default() -> Self {
        Self {
            enable: false,
            mount_at: "/bus".into(),
            adapters: Vec::new(),
        }
    }
}

/// One bus adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusAdapter {
    /// Adapter id.
    pub id: String,
    /// Mount name (single component).
    pub mount: String,
    /// Ticket scope.
    pub scope: String,
    /// Physical link.
    pub link: BusLink,
    /// Serial baud rate (≥ 1 for serial links).
    pub baud: u32,
    /// Offline spool.
    #[serde(default)]
    pub spool: Spool,
}

/// Bus link kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BusLink {
    /// Serial line.
    Serial,
    /// TCP.
    Tcp,
}

/// Adapter spool bounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Spool {
    /// Entries (1..=256).
    pub max_entries: u16,
    /// Bytes (1..=msize).
    pub max_bytes: u32,
}

impl Default for Spool {
    fn default() -> Self {
        Self {
            max_entries: 32,
            max_bytes: 4096,
        }
    }
}

/// `[sidecars.lora]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoraSidecar {
    /// Sidecar enabled.
    pub enable: bool,
    /// Mount point.
    pub mount_at: String,
    /// Adapters (at least one when enabled).
    pub adapters: Vec<LoraAdapter>,
}

impl Default for LoraSidecar {
    fn default() -> Self {
        Self {
            enable: false,
            mount_at: "/lora".into(),
            adapters: Vec::new(),
        }
    }
}

/// One LoRa adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoraAdapter {
    /// Adapter id.
    pub id: String,
    /// Mount name.
    pub mount: String,
    /// Ticket scope.
    pub scope: String,
    /// Radio region.
    pub region: String,
    /// Duty cycle (1..=100).
    pub duty_cycle_percent: u8,
    /// Duty-cycle window.
    pub window_ms: u64,
    /// Largest payload (1..=msize).
    pub max_payload_bytes: u32,
    /// Tamper log entries (≥ 1).
    pub tamper_log_max_entries: u16,
}

/// `[cas]`: content-addressed update store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cas {
    /// Store enabled.
    pub enable: bool,
    /// `[cas.store]`.
    pub store: CasStore,
    /// `[cas.delta]`.
    pub delta: Toggle,
    /// `[cas.signing]` (required when enabled; `null` in JSON when absent).
    pub signing: Option<CasSigning>,
}

/// `[cas.store]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CasStore {
    /// Chunk size (1..=msize, 8 chunks within 32 KiB).
    pub chunk_bytes: u32,
}

/// `[cas.signing]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasSigning {
    /// Signatures required.
    pub required: bool,
    /// Key file path, relative to the manifest (`null` when absent).
    pub key_path: Option<String>,
}
