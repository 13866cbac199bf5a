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
    /// `[ecosystem.host.tickets]` [0.9]; `None` (and absent from the resolved JSON) when not
    /// written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tickets: Option<HostTickets>,
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
            tickets: None,
        }
    }
}

impl EcosystemHost {
    /// `tickets`, or its default (ticket surface off) when not written.
    pub fn tickets_or_default(&self) -> HostTickets {
        self.tickets.clone().unwrap_or_default()
    }

    /// A copy with `tickets` written out (its effective value).
    pub fn filled(&self) -> Self {
        Self {
            tickets: Some(self.tickets_or_default()),
            ..self.clone()
        }
    }
}

/// `[ecosystem.host.tickets]` [0.9]: the `host-ticket/v1` surface under `<mount_at>/tickets/`
/// (`spec`, `status`, `deadletter`), drained by the host ticket agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HostTickets {
    /// Ticket surface on.
    pub enable: bool,
    /// Schema tag of request lines (1..=64 bytes).
    pub request_schema: String,
    /// Schema tag of result lines (1..=64 bytes).
    pub result_schema: String,
    /// Longest request or result line, newline included (1..=msize).
    pub max_line_bytes: u32,
    /// Actions a ticket may request (1..=32 entries, no duplicates).
    pub action_allowlist: Vec<HostTicketAction>,
    /// Ticket lifecycle states (all six, no duplicates).
    pub lifecycle: Vec<HostTicketState>,
}

impl Default for HostTickets {
    fn default() -> Self {
        Self {
            enable: false,
            request_schema: "host-ticket/v1".into(),
            result_schema: "host-ticket-result/v1".into(),
            max_line_bytes: 2048,
            action_allowlist: HostTicketAction::ALL.to_vec(),
            lifecycle: HostTicketState::ALL.to_vec(),
        }
    }
}

/// A host ticket action (the `action` field of a `host-ticket/v1` line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum HostTicketAction {
    /// `gpu.lease.grant`.
    #[serde(rename = "gpu.lease.grant")]
    GpuLeaseGrant,
    /// `gpu.lease.renew`.
    #[serde(rename = "gpu.lease.renew")]
    GpuLeaseRenew,
    /// `gpu.lease.release`.
    #[serde(rename = "gpu.lease.release")]
    GpuLeaseRelease,
    /// `peft.import`.
    #[serde(rename = "peft.import")]
    PeftImport,
    /// `peft.activate`.
    #[serde(rename = "peft.activate")]
    PeftActivate,
    /// `peft.rollback`.
    #[serde(rename = "peft.rollback")]
    PeftRollback,
    /// `systemd.start`.
    #[serde(rename = "systemd.start")]
    SystemdStart,
    /// `systemd.stop`.
    #[serde(rename = "systemd.stop")]
    SystemdStop,
    /// `systemd.restart`.
    #[serde(rename = "systemd.restart")]
    SystemdRestart,
    /// `systemd.status-check`.
    #[serde(rename = "systemd.status-check")]
    SystemdStatusCheck,
    /// `docker.restart`.
    #[serde(rename = "docker.restart")]
    DockerRestart,
    /// `docker.stop`.
    #[serde(rename = "docker.stop")]
    DockerStop,
    /// `docker.status-check`.
    #[serde(rename = "docker.status-check")]
    DockerStatusCheck,
    /// `k8s.cordon`.
    #[serde(rename = "k8s.cordon")]
    K8sCordon,
    /// `k8s.drain`.
    #[serde(rename = "k8s.drain")]
    K8sDrain,
    /// `k8s.lease.sync`.
    #[serde(rename = "k8s.lease.sync")]
    K8sLeaseSync,
}

impl HostTicketAction {
    /// Every action, in the upstream default allowlist order.
    pub const ALL: [HostTicketAction; 16] = [
        HostTicketAction::GpuLeaseGrant,
        HostTicketAction::GpuLeaseRenew,
        HostTicketAction::GpuLeaseRelease,
        HostTicketAction::PeftImport,
        HostTicketAction::PeftActivate,
        HostTicketAction::PeftRollback,
        HostTicketAction::SystemdStart,
        HostTicketAction::SystemdStop,
        HostTicketAction::SystemdRestart,
        HostTicketAction::SystemdStatusCheck,
        HostTicketAction::DockerRestart,
        HostTicketAction::DockerStop,
        HostTicketAction::DockerStatusCheck,
        HostTicketAction::K8sCordon,
        HostTicketAction::K8sDrain,
        HostTicketAction::K8sLeaseSync,
    ];

    /// Manifest and wire label.
    pub fn label(self) -> &'static str {
        match self {
            HostTicketAction::GpuLeaseGrant => "gpu.lease.grant",
            HostTicketAction::GpuLeaseRenew => "gpu.lease.renew",
            HostTicketAction::GpuLeaseRelease => "gpu.lease.release",
            HostTicketAction::PeftImport => "peft.import",
            HostTicketAction::PeftActivate => "peft.activate",
            HostTicketAction::PeftRollback => "peft.rollback",
            HostTicketAction::SystemdStart => "systemd.start",
            HostTicketAction::SystemdStop => "systemd.stop",
            HostTicketAction::SystemdRestart => "systemd.restart",
            HostTicketAction::SystemdStatusCheck => "systemd.status-check",
            HostTicketAction::DockerRestart => "docker.restart",
            HostTicketAction::DockerStop => "docker.stop",
            HostTicketAction::DockerStatusCheck => "docker.status-check",
            HostTicketAction::K8sCordon => "k8s.cordon",
            HostTicketAction::K8sDrain => "k8s.drain",
            HostTicketAction::K8sLeaseSync => "k8s.lease.sync",
        }
    }
}

/// A host ticket lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostTicketState {
    /// Request written, not yet claimed.
    Queued,
    /// Claimed by the agent.
    Claimed,
    /// Executor running.
    Running,
    /// Terminal: done.
    Succeeded,
    /// Terminal: the executor failed.
    Failed,
    /// Terminal: expired before execution.
    Expired,
}

impl HostTicketState {
    /// Every state, in lifecycle order.
    pub const ALL: [HostTicketState; 6] = [
        HostTicketState::Queued,
        HostTicketState::Claimed,
        HostTicketState::Running,
        HostTicketState::Succeeded,
        HostTicketState::Failed,
        HostTicketState::Expired,
    ];

    /// Manifest and wire label.
    pub fn label(self) -> &'static str {
        match self {
            HostTicketState::Queued => "queued",
            HostTicketState::Claimed => "claimed",
            HostTicketState::Running => "running",
            HostTicketState::Succeeded => "succeeded",
            HostTicketState::Failed => "failed",
            HostTicketState::Expired => "expired",
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
    /// Queue entries (1..=256).
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
