//! `[client_policies.*]`, `[client_paths]` and `[swarmui.*]`.
//!
//! Tables without a struct-level default (`coh.mount`, `coh.telemetry`, `coh.peft.*`,
//! `coh.run.*`, `cohsh.tail`, `cohsh.host_telemetry`) may be omitted, but once written every
//! key is required.

use serde::{Deserialize, Serialize};

/// `[client_policies]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientPolicies {
    /// `[client_policies.coh]`.
    pub coh: Coh,
    /// `[client_policies.cohsh]`.
    pub cohsh: Cohsh,
    /// `[client_policies.retry]`.
    pub retry: Retry,
    /// `[client_policies.heartbeat]`.
    pub heartbeat: Heartbeat,
    /// `[client_policies.trace]`.
    pub trace: Trace,
}

/// `[client_policies.coh]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Coh {
    /// `mount`.
    pub mount: CohMount,
    /// `telemetry`.
    pub telemetry: CohTelemetry,
    /// `run`.
    pub run: CohRun,
    /// `peft`.
    pub peft: CohPeft,
}

/// `[client_policies.coh.mount]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohMount {
    /// Namespace root exposed by `coh mount`.
    pub root: String,
    /// Top-level paths `coh mount` may expose (≤ 16).
    pub allowlist: Vec<String>,
}

impl Default for CohMount {
    fn default() -> Self {
        Self {
            root: "/".into(),
            allowlist: ["/proc", "/queen", "/worker", "/log", "/gpu", "/host"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// `[client_policies.coh.telemetry]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohTelemetry {
    /// Telemetry root.
    pub root: String,
    /// Devices (1..=256).
    pub max_devices: u32,
    /// Segments per device.
    pub max_segments_per_device: u32,
    /// Bytes per segment.
    pub max_bytes_per_segment: u32,
    /// Bytes per device.
    pub max_total_bytes_per_device: u32,
}

impl Default for CohTelemetry {
    fn default() -> Self {
        Self {
            root: "/queen/telemetry".into(),
            max_devices: 32,
            max_segments_per_device: 4,
            max_bytes_per_segment: 32 * 1024,
            max_total_bytes_per_device: 128 * 1024,
        }
    }
}

/// `[client_policies.coh.run]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CohRun {
    /// `lease`.
    pub lease: CohLease,
    /// `breadcrumb`.
    pub breadcrumb: CohBreadcrumb,
}

/// `[client_policies.coh.run.lease]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohLease {
    /// Lease document schema.
    pub schema: String,
    /// State value meaning "lease active".
    pub active_state: String,
    /// Largest lease document.
    pub max_bytes: u32,
}

impl Default for CohLease {
    fn default() -> Self {
        Self {
            schema: "gpu-lease/v1".into(),
            active_state: "ACTIVE".into(),
            max_bytes: 1024,
        }
    }
}

/// `[client_policies.coh.run.breadcrumb]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohBreadcrumb {
    /// Breadcrumb line schema.
    pub schema: String,
    /// Largest breadcrumb line.
    pub max_line_bytes: u32,
    /// Largest recorded command.
    pub max_command_bytes: u32,
}

impl Default for CohBreadcrumb {
    fn default() -> Self {
        Self {
            schema: "gpu-breadcrumb/v1".into(),
            max_line_bytes: 512,
            max_command_bytes: 256,
        }
    }
}

/// `[client_policies.coh.peft]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CohPeft {
    /// `export`.
    pub export: PeftExport,
    /// `import`.
    pub import: PeftImport,
    /// `activate`.
    pub activate: PeftActivate,
}

/// `[client_policies.coh.peft.export]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeftExport {
    /// Export root.
    pub root: String,
    /// Telemetry cap.
    pub max_telemetry_bytes: u32,
    /// Policy cap.
    pub max_policy_bytes: u32,
    /// Base model id cap.
    pub max_base_model_bytes: u32,
}

impl Default for PeftExport {
    fn default() -> Self {
        Self {
            root: "/queen/export/lora_jobs".into(),
            max_telemetry_bytes: 128 * 1024,
            max_policy_bytes: 8 * 1024,
            max_base_model_bytes: 1024,
        }
    }
}

/// `[client_policies.coh.peft.import]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeftImport {
    /// Local registry root (host path).
    pub registry_root: String,
    /// Adapter cap.
    pub max_adapter_bytes: u64,
    /// LoRA cap.
    pub max_lora_bytes: u32,
    /// Metrics cap.
    pub max_metrics_bytes: u32,
    /// Manifest cap.
    pub max_manifest_bytes: u32,
}

impl Default for PeftImport {
    fn default() -> Self {
        Self {
            registry_root: "out/model_registry".into(),
            max_adapter_bytes: 64 * 1024 * 1024,
            max_lora_bytes: 64 * 1024,
            max_metrics_bytes: 64 * 1024,
            max_manifest_bytes: 8 * 1024,
        }
    }
}

/// `[client_policies.coh.peft.activate]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeftActivate {
    /// Model id cap.
    pub max_model_id_bytes: u32,
    /// State document cap.
    pub max_state_bytes: u32,
}

impl Default for PeftActivate {
    fn default() -> Self {
        Self {
            max_model_id_bytes: 128,
            max_state_bytes: 4096,
        }
    }
}

/// `[client_policies.cohsh]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cohsh {
    /// `pool`.
    pub pool: CohshPool,
    /// `tail`.
    pub tail: CohshTail,
    /// `host_telemetry`.
    pub host_telemetry: CohshHostTelemetry,
}

/// `[client_policies.cohsh.pool]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CohshPool {
    /// Pooled control sessions (≥ 1).
    pub control_sessions: u16,
    /// Pooled telemetry sessions (≥ 1).
    pub telemetry_sessions: u16,
}

impl Default for CohshPool {
    fn default() -> Self {
        Self {
            control_sessions: 2,
            telemetry_sessions: 4,
        }
    }
}

/// `[client_policies.cohsh.tail]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohshTail {
    /// Default re-poll interval (within min..=max).
    pub poll_ms_default: u64,
    /// Smallest interval (≥ 1).
    pub poll_ms_min: u64,
    /// Largest interval (≥ min).
    pub poll_ms_max: u64,
}

impl Default for CohshTail {
    fn default() -> Self {
        Self {
            poll_ms_default: 1000,
            poll_ms_min: 250,
            poll_ms_max: 10_000,
        }
    }
}

/// `[client_policies.cohsh.host_telemetry]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohshHostTelemetry {
    /// NVIDIA poll interval (≥ 1).
    pub nvidia_poll_ms: u64,
    /// systemd poll interval (≥ 1).
    pub systemd_poll_ms: u64,
    /// Docker poll interval (≥ 1).
    pub docker_poll_ms: u64,
    /// Kubernetes poll interval (≥ 1).
    pub k8s_poll_ms: u64,
}

impl Default for CohshHostTelemetry {
    fn default() -> Self {
        Self {
            nvidia_poll_ms: 1000,
            systemd_poll_ms: 2000,
            docker_poll_ms: 2000,
            k8s_poll_ms: 5000,
        }
    }
}

/// `[client_policies.retry]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retry {
    /// Attempts (≥ 1).
    pub max_attempts: u8,
    /// First back-off (≥ 1).
    pub backoff_ms: u64,
    /// Back-off ceiling (≥ backoff).
    pub ceiling_ms: u64,
    /// Per-operation timeout (≥ 1).
    pub timeout_ms: u64,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            backoff_ms: 200,
            ceiling_ms: 2000,
            timeout_ms: 5000,
        }
    }
}

/// `[client_policies.heartbeat]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Heartbeat {
    /// Idle PING cadence (≥ 1).
    pub interval_ms: u64,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Self {
            interval_ms: 15_000,
        }
    }
}

/// `[client_policies.trace]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Trace {
    /// Trace file cap (> 0).
    pub max_bytes: u32,
}

impl Default for Trace {
    fn default() -> Self {
        Self {
            max_bytes: 1024 * 1024,
        }
    }
}

/// `[client_paths]`: well-known console paths.
///
/// The four 0.9 control paths are `None` when not written (and then absent from the resolved
/// JSON); read them through [`ClientPaths::queen_schedule_ctl_or_default`] and friends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientPaths {
    /// Queen control file.
    pub queen_ctl: String,
    /// Queen lifecycle control file.
    pub queen_lifecycle_ctl: String,
    /// Scheduler control file [0.9].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queen_schedule_ctl: Option<String>,
    /// Lease control file [0.9].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queen_lease_ctl: Option<String>,
    /// Export control file [0.9].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queen_export_ctl: Option<String>,
    /// Policy control file [0.9].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_ctl: Option<String>,
    /// Queen log.
    pub log: String,
}

/// Upstream default of `client_paths.queen_schedule_ctl`.
pub const DEFAULT_QUEEN_SCHEDULE_CTL: &str = "/queen/schedule/ctl";
/// Upstream default of `client_paths.queen_lease_ctl`.
pub const DEFAULT_QUEEN_LEASE_CTL: &str = "/queen/lease/ctl";
/// Upstream default of `client_paths.queen_export_ctl`.
pub const DEFAULT_QUEEN_EXPORT_CTL: &str = "/queen/export/ctl";
/// Upstream default of `client_paths.policy_ctl`.
pub const DEFAULT_POLICY_CTL: &str = "/policy/ctl";

impl Default for ClientPaths {
    fn default() -> Self {
        Self {
            queen_ctl: "/queen/ctl".into(),
            queen_lifecycle_ctl: "/queen/lifecycle/ctl".into(),
            queen_schedule_ctl: None,
            queen_lease_ctl: None,
            queen_export_ctl: None,
            policy_ctl: None,
            log: "/log/queen.log".into(),
        }
    }
}

impl ClientPaths {
    /// `queen_schedule_ctl`, or [`DEFAULT_QUEEN_SCHEDULE_CTL`].
    pub fn queen_schedule_ctl_or_default(&self) -> &str {
        self.queen_schedule_ctl
            .as_deref()
            .unwrap_or(DEFAULT_QUEEN_SCHEDULE_CTL)
    }

    /// `queen_lease_ctl`, or [`DEFAULT_QUEEN_LEASE_CTL`].
    pub fn queen_lease_ctl_or_default(&self) -> &str {
        self.queen_lease_ctl
            .as_deref()
            .unwrap_or(DEFAULT_QUEEN_LEASE_CTL)
    }

    /// `queen_export_ctl`, or [`DEFAULT_QUEEN_EXPORT_CTL`].
    pub fn queen_export_ctl_or_default(&self) -> &str {
        self.queen_export_ctl
            .as_deref()
            .unwrap_or(DEFAULT_QUEEN_EXPORT_CTL)
    }

    /// `policy_ctl`, or [`DEFAULT_POLICY_CTL`].
    pub fn policy_ctl_or_default(&self) -> &str {
        self.policy_ctl.as_deref().unwrap_or(DEFAULT_POLICY_CTL)
    }

    /// A copy with the four 0.9 paths written out (their effective values).
    pub fn filled(&self) -> Self {
        Self {
            queen_schedule_ctl: Some(self.queen_schedule_ctl_or_default().to_owned()),
            queen_lease_ctl: Some(self.queen_lease_ctl_or_default().to_owned()),
            queen_export_ctl: Some(self.queen_export_ctl_or_default().to_owned()),
            policy_ctl: Some(self.policy_ctl_or_default().to_owned()),
            ..self.clone()
        }
    }
}

/// `[swarmui]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SwarmUi {
    /// How UI caches are keyed.
    pub ticket_scope: TicketScope,
    /// `[swarmui.cache]`.
    pub cache: SwarmUiCache,
    /// `[swarmui.hive]`.
    pub hive: Hive,
    /// `[swarmui.paths]`.
    pub paths: SwarmUiPaths,
}

/// UI cache keying.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TicketScope {
    /// One cache per ticket.
    #[default]
    PerTicket,
    /// One cache per role.
    PerRole,
}

/// `[swarmui.cache]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SwarmUiCache {
    /// Cache on.
    pub enabled: bool,
    /// Cache cap (> 0).
    pub max_bytes: u32,
    /// Entry lifetime (> 0).
    pub ttl_s: u64,
}

impl Default for SwarmUiCache {
    fn default() -> Self {
        Self {
            enabled: false,
            max_bytes: 256 * 1024,
            ttl_s: 3600,
        }
    }
}

/// `[swarmui.hive]`: hive view rendering bounds. The five 0.9 buffering keys are `None` when not
/// written (and then absent from the resolved JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Hive {
    /// Frame cap (30..=60).
    pub frame_cap_fps: u16,
    /// Simulation step (> 0).
    pub step_ms: u16,
    /// Zoom-out LOD threshold, in (0, 1).
    pub lod_zoom_out: f32,
    /// Zoom-in LOD threshold (> zoom-out).
    pub lod_zoom_in: f32,
    /// Events per LOD frame (> 0).
    pub lod_event_budget: u32,
    /// Events per snapshot (> 0).
    pub snapshot_max_events: u32,
    /// Overlay lines (> 0).
    pub overlay_lines: u16,
    /// Detail lines (≥ overlay lines).
    pub detail_lines: u16,
    /// Line cap (1..=256, the console line limit).
    pub line_cap_bytes: u32,
    /// Per-worker cap (≥ line cap).
    pub per_worker_bytes: u32,
    /// Lines buffered per worker (> 0) [0.9].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_lines_per_worker: Option<u16>,
    /// Events buffered (≥ `lod_event_budget`) [0.9].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_event_cap: Option<u32>,
    /// Workers polled per tick (> 0) [0.9].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poll_workers_per_tick: Option<u16>,
    /// Status poll interval (> 0) [0.9].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_poll_ms: Option<u32>,
    /// Pressure at which the view degrades (> 0) [0.9].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub degrade_pressure: Option<f32>,
}

impl Default for Hive {
    fn default() -> Self {
        Self {
            frame_cap_fps: 60,
            step_ms: 16,
            lod_zoom_out: 0.7,
            lod_zoom_in: 1.25,
            lod_event_budget: 512,
            snapshot_max_events: 4096,
            overlay_lines: 3,
            detail_lines: 50,
            line_cap_bytes: 160,
            per_worker_bytes: 2048,
            pending_lines_per_worker: None,
            pending_event_cap: None,
            poll_workers_per_tick: None,
            status_poll_ms: None,
            degrade_pressure: None,
        }
    }
}

/// `[swarmui.paths]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SwarmUiPaths {
    /// Telemetry root.
    pub telemetry_root: String,
    /// Ingest `/proc` root.
    pub proc_ingest_root: String,
    /// Worker root.
    pub worker_root: String,
    /// Roots shown by the namespace browser (non-empty).
    pub namespace_roots: Vec<String>,
}

impl Default for SwarmUiPaths {
    fn default() -> Self {
        Self {
            telemetry_root: "/worker".into(),
            proc_ingest_root: "/proc/ingest".into(),
            worker_root: "/worker".into(),
            namespace_roots: ["/proc", "/queen", "/worker", "/log", "/gpu"]
                .map(String::from)
                .to_vec(),
        }
    }
}
