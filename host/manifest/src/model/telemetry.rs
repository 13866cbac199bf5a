//! `[telemetry*]`, `[lifecycle]`, `[observability.*]` and `[ui_providers.*]`.

use serde::{Deserialize, Serialize};

/// `[telemetry]`: per-worker telemetry rings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Telemetry {
    /// Ring size per worker (> 0; 8 rings within 32 KiB).
    pub ring_bytes_per_worker: u32,
    /// Frame encoding.
    pub frame_schema: FrameSchema,
    /// `[telemetry.cursor]`.
    pub cursor: TelemetryCursor,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self {
            ring_bytes_per_worker: 1024,
            frame_schema: FrameSchema::LegacyPlaintext,
            cursor: TelemetryCursor::default(),
        }
    }
}

/// Telemetry frame encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FrameSchema {
    /// Plain text lines.
    LegacyPlaintext,
    /// CBOR frames.
    CborV1,
}

impl FrameSchema {
    /// Manifest label.
    pub fn label(self) -> &'static str {
        match self {
            FrameSchema::LegacyPlaintext => "legacy-plaintext",
            FrameSchema::CborV1 => "cbor-v1",
        }
    }
}

/// `[telemetry.cursor]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryCursor {
    /// Keep cursors across boots.
    pub retain_on_boot: bool,
}

/// `[telemetry_ingest]`: pushed telemetry segments.
///
/// The three `max_reference_*` keys arrived with 0.9 (reference-mode segments, `coh-ref-c/v1`).
/// They are `None` when not written, and then absent from the resolved JSON, so a 0.3-era
/// manifest keeps its `manifest_sha256`; read them through the `*_or_default` accessors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryIngest {
    /// Segments per device.
    pub max_segments_per_device: u32,
    /// Bytes per segment.
    pub max_bytes_per_segment: u32,
    /// Bytes per device (≥ bytes per segment).
    pub max_total_bytes_per_device: u32,
    /// Reference entries per reference-mode segment (≤ 16384) [0.9].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_reference_entries_per_segment: Option<u32>,
    /// Bytes of a reference manifest (≤ bytes per segment) [0.9].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_reference_manifest_bytes_per_segment: Option<u32>,
    /// Bytes a reference-mode segment may describe (≥ bytes per segment) [0.9].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_reference_bytes_per_segment: Option<u64>,
    /// What happens when a device is full.
    pub eviction_policy: EvictionPolicy,
}

impl Default for TelemetryIngest {
    fn default() -> Self {
        Self {
            max_segments_per_device: 4,
            max_bytes_per_segment: 32 * 1024,
            max_total_bytes_per_device: 128 * 1024,
            max_reference_entries_per_segment: None,
            max_reference_manifest_bytes_per_segment: None,
            max_reference_bytes_per_segment: None,
            eviction_policy: EvictionPolicy::EvictOldest,
        }
    }
}

/// Upstream default of `max_reference_entries_per_segment`.
pub const DEFAULT_REFERENCE_ENTRIES: u32 = 1024;
/// Upstream default of `max_reference_manifest_bytes_per_segment`.
pub const DEFAULT_REFERENCE_MANIFEST_BYTES: u32 = 32 * 1024;
/// Upstream default of `max_reference_bytes_per_segment` (1 GiB).
pub const DEFAULT_REFERENCE_BYTES: u64 = 1 << 30;

impl TelemetryIngest {
    /// True when every segment limit is zero: ingest is off.
    pub fn is_disabled(&self) -> bool {
        self.max_segments_per_device == 0
            && self.max_bytes_per_segment == 0
            && self.max_total_bytes_per_device == 0
    }

    /// `max_reference_entries_per_segment`: the written value, else 0 when ingest is off,
    /// else the upstream default.
    pub fn max_reference_entries_or_default(&self) -> u32 {
        self.max_reference_entries_per_segment
            .unwrap_or(if self.is_disabled() {
                0
            } else {
                DEFAULT_REFERENCE_ENTRIES
            })
    }

    /// `max_reference_manifest_bytes_per_segment`: the written value, else 0 when ingest is
    /// off, else the upstream default capped by `max_bytes_per_segment`.
    pub fn max_reference_manifest_bytes_or_default(&self) -> u32 {
        self.max_reference_manifest_bytes_per_segment
            .unwrap_or(DEFAULT_REFERENCE_MANIFEST_BYTES.min(self.max_bytes_per_segment))
    }

    /// `max_reference_bytes_per_segment`: the written value, else 0 when ingest is off, else
    /// the upstream default.
    pub fn max_reference_bytes_or_default(&self) -> u64 {
        self.max_reference_bytes_per_segment
            .unwrap_or(if self.is_disabled() {
                0
            } else {
                DEFAULT_REFERENCE_BYTES
            })
    }

    /// A copy with every 0.9 key written out (its effective value).
    pub fn filled(&self) -> Self {
        Self {
            max_reference_entries_per_segment: Some(self.max_reference_entries_or_default()),
            max_reference_manifest_bytes_per_segment: Some(
                self.max_reference_manifest_bytes_or_default(),
            ),
            max_reference_bytes_per_segment: Some(self.max_reference_bytes_or_default()),
            ..self.clone()
        }
    }
}

/// Ingest eviction policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvictionPolicy {
    /// Refuse new segments.
    Refuse,
    /// Drop the oldest segment.
    EvictOldest,
}

impl EvictionPolicy {
    /// Manifest label.
    pub fn label(self) -> &'static str {
        match self {
            EvictionPolicy::Refuse => "refuse",
            EvictionPolicy::EvictOldest => "evict-oldest",
        }
    }
}

/// `[lifecycle]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lifecycle {
    /// State at boot.
    pub initial_state: LifecycleState,
    /// Automatic transitions. When `[lifecycle]` is present but this key is not, the list is
    /// empty; when the whole table is absent it is `BOOTING -> ONLINE`.
    #[serde(default)]
    pub auto_transitions: Vec<AutoTransition>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            initial_state: LifecycleState::Booting,
            auto_transitions: vec![AutoTransition {
                from: LifecycleState::Booting,
                to: LifecycleState::Online,
            }],
        }
    }
}

/// Node lifecycle states: the core's type (one definition with the transition table the
/// shell and the simulator share); serialised as the upper-case labels.
pub use cohesix_core::lifecycle::LifecycleState;

/// One automatic lifecycle transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoTransition {
    /// Source state.
    pub from: LifecycleState,
    /// Target state.
    pub to: LifecycleState,
}

/// `[observability]`: `/proc` node enables and byte caps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Observability {
    /// `[observability.proc_9p]`.
    pub proc_9p: Proc9p,
    /// `[observability.proc_9p_session]`.
    pub proc_9p_session: Proc9pSession,
    /// `[observability.proc_ingest]`.
    pub proc_ingest: ProcIngest,
    /// `[observability.proc_root]`.
    pub proc_root: ProcRoot,
    /// `[observability.proc_pressure]`.
    pub proc_pressure: ProcPressure,
    /// `[observability.proc_schedule]` [0.9]; `None` (and absent from the resolved JSON) when
    /// not written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proc_schedule: Option<ProcSchedule>,
    /// `[observability.proc_lease]` [0.9]; `None` (and absent from the resolved JSON) when
    /// not written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proc_lease: Option<ProcLease>,
}

impl Observability {
    /// `proc_schedule`, or its default (nodes off) when not written.
    pub fn proc_schedule_or_default(&self) -> ProcSchedule {
        self.proc_schedule.clone().unwrap_or_default()
    }

    /// `proc_lease`, or its default (nodes off) when not written.
    pub fn proc_lease_or_default(&self) -> ProcLease {
        self.proc_lease.clone().unwrap_or_default()
    }

    /// A copy with the 0.9 tables written out (their effective values).
    pub fn filled(&self) -> Self {
        Self {
            proc_schedule: Some(self.proc_schedule_or_default()),
            proc_lease: Some(self.proc_lease_or_default()),
            ..self.clone()
        }
    }
}

/// `/proc/9p/*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Proc9p {
    /// `sessions` node.
    pub sessions: bool,
    /// `outstanding` node.
    pub outstanding: bool,
    /// `short_writes` node.
    pub short_writes: bool,
    /// `sessions` cap.
    pub sessions_bytes: u32,
    /// `outstanding` cap.
    pub outstanding_bytes: u32,
    /// `short_writes` cap.
    pub short_writes_bytes: u32,
}

impl Default for Proc9p {
    fn default() -> Self {
        Self {
            sessions: false,
            outstanding: false,
            short_writes: false,
            sessions_bytes: 1024,
            outstanding_bytes: 128,
            short_writes_bytes: 128,
        }
    }
}

/// `/proc/9p/session/<id>/*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Proc9pSession {
    /// `active` node.
    pub active: bool,
    /// `state` node.
    pub state: bool,
    /// `since_ms` node.
    pub since_ms: bool,
    /// `owner` node.
    pub owner: bool,
    /// `active` cap.
    pub active_bytes: u32,
    /// `state` cap.
    pub state_bytes: u32,
    /// `since_ms` cap.
    pub since_ms_bytes: u32,
    /// `owner` cap.
    pub owner_bytes: u32,
}

impl Default for Proc9pSession {
    fn default() -> Self {
        Self {
            active: false,
            state: false,
            since_ms: false,
            owner: false,
            active_bytes: 128,
            state_bytes: 64,
            since_ms_bytes: 64,
            owner_bytes: 96,
        }
    }
}

/// `/proc/ingest/*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProcIngest {
    /// `p50_ms` node.
    pub p50_ms: bool,
    /// `p95_ms` node.
    pub p95_ms: bool,
    /// `backpressure` node.
    pub backpressure: bool,
    /// `dropped` node.
    pub dropped: bool,
    /// `queued` node.
    pub queued: bool,
    /// `watch` node.
    pub watch: bool,
    /// `p50_ms` cap.
    pub p50_ms_bytes: u32,
    /// `p95_ms` cap.
    pub p95_ms_bytes: u32,
    /// `backpressure` cap.
    pub backpressure_bytes: u32,
    /// `dropped` cap.
    pub dropped_bytes: u32,
    /// `queued` cap.
    pub queued_bytes: u32,
    /// `watch` ring entries (1..=64).
    pub watch_max_entries: u16,
    /// `watch` line cap.
    pub watch_line_bytes: u32,
    /// Smallest `watch` interval.
    pub watch_min_interval_ms: u64,
    /// Latency samples (1..=64).
    pub latency_samples: u16,
    /// Latency tolerance.
    pub latency_tolerance_ms: u32,
    /// Counter tolerance.
    pub counter_tolerance: u32,
}

impl Default for ProcIngest {
    fn default() -> Self {
        Self {
            p50_ms: false,
            p95_ms: false,
            backpressure: false,
            dropped: false,
            queued: false,
            watch: false,
            p50_ms_bytes: 64,
            p95_ms_bytes: 64,
            backpressure_bytes: 64,
            dropped_bytes: 64,
            queued_bytes: 64,
            watch_max_entries: 16,
            watch_line_bytes: 160,
            watch_min_interval_ms: 50,
            latency_samples: 16,
            latency_tolerance_ms: 5,
            counter_tolerance: 1,
        }
    }
}

/// `/proc/root/*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProcRoot {
    /// `reachable` node.
    pub reachable: bool,
    /// `last_seen_ms` node.
    pub last_seen_ms: bool,
    /// `cut_reason` node.
    pub cut_reason: bool,
    /// `reachable` cap.
    pub reachable_bytes: u32,
    /// `last_seen_ms` cap.
    pub last_seen_ms_bytes: u32,
    /// `cut_reason` cap.
    pub cut_reason_bytes: u32,
}

impl Default for ProcRoot {
    fn default() -> Self {
        Self {
            reachable: false,
            last_seen_ms: false,
            cut_reason: false,
            reachable_bytes: 32,
            last_seen_ms_bytes: 64,
            cut_reason_bytes: 64,
        }
    }
}

/// `/proc/pressure/*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProcPressure {
    /// `busy` node.
    pub busy: bool,
    /// `quota` node.
    pub quota: bool,
    /// `cut` node.
    pub cut: bool,
    /// `policy` node.
    pub policy: bool,
    /// `busy` cap.
    pub busy_bytes: u32,
    /// `quota` cap.
    pub quota_bytes: u32,
    /// `cut` cap.
    pub cut_bytes: u32,
    /// `policy` cap.
    pub policy_bytes: u32,
}

impl Default for ProcPressure {
    fn default() -> Self {
        Self {
            busy: false,
            quota: false,
            cut: false,
            policy: false,
            busy_bytes: 64,
            quota_bytes: 64,
            cut_bytes: 64,
            policy_bytes: 64,
        }
    }
}

/// `/proc/schedule/*` (the scheduler queue view).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProcSchedule {
    /// `summary` node.
    pub summary: bool,
    /// `queue` node.
    pub queue: bool,
    /// `summary` cap.
    pub summary_bytes: u32,
    /// `queue` cap.
    pub queue_bytes: u32,
}

impl Default for ProcSchedule {
    fn default() -> Self {
        Self {
            summary: false,
            queue: false,
            summary_bytes: 128,
            queue_bytes: 1024,
        }
    }
}

/// `/proc/lease/*` (active leases and preemptions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProcLease {
    /// `summary` node.
    pub summary: bool,
    /// `active` node.
    pub active: bool,
    /// `preemptions` node.
    pub preemptions: bool,
    /// `summary` cap.
    pub summary_bytes: u32,
    /// `active` cap.
    pub active_bytes: u32,
    /// `preemptions` cap.
    pub preemptions_bytes: u32,
}

impl Default for ProcLease {
    fn default() -> Self {
        Self {
            summary: false,
            active: false,
            preemptions: false,
            summary_bytes: 128,
            active_bytes: 1024,
            preemptions_bytes: 1024,
        }
    }
}

/// `[ui_providers]`: which `/proc` views UI clients may poll.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiProviders {
    /// `[ui_providers.proc_9p]`.
    pub proc_9p: UiProc9p,
    /// `[ui_providers.proc_ingest]`.
    pub proc_ingest: UiProcIngest,
    /// `[ui_providers.policy_preflight]`.
    pub policy_preflight: UiPolicyPreflight,
    /// `[ui_providers.updates]`.
    pub updates: UiUpdates,
}

/// `[ui_providers.proc_9p]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiProc9p {
    /// Sessions view.
    pub sessions: bool,
    /// Outstanding view.
    pub outstanding: bool,
    /// Short-writes view.
    pub short_writes: bool,
}

/// `[ui_providers.proc_ingest]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiProcIngest {
    /// p50 view.
    pub p50_ms: bool,
    /// p95 view.
    pub p95_ms: bool,
    /// Backpressure view.
    pub backpressure: bool,
}

/// `[ui_providers.policy_preflight]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiPolicyPreflight {
    /// Request view.
    pub req: bool,
    /// Diff view.
    pub diff: bool,
}

/// `[ui_providers.updates]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiUpdates {
    /// Manifest view.
    pub manifest: bool,
    /// Status view.
    pub status: bool,
}
