//! Typed manifest model.
//!
//! Field order in every struct is the order of the resolved JSON (serde serialises fields in
//! declaration order), so reordering fields changes `manifest_sha256`. Every struct rejects
//! unknown keys. A struct carrying `#[serde(default)]` may be omitted (or partially given) in
//! the TOML; its `Default` impl holds the upstream defaults.
//!
//! Keys added by the 0.9 manifest (`control_plane`, `observability.proc_schedule` /
//! `proc_lease`, the four 0.9 `client_paths`, the `telemetry_ingest.max_reference_*` sizes,
//! `ecosystem.host.tickets`) are `Option`s: `None` when not written, and then left out of the
//! resolved JSON, so a 0.3-era manifest still resolves to the bytes (and `manifest_sha256`) the
//! upstream 0.3 compiler produced. Where written, they serialise where the upstream 0.9
//! compiler puts them. Read them through the `*_or_default` accessors, or take
//! [`Manifest::filled`], which writes every one of them out with its effective value.

mod client;
mod control_plane;
mod surfaces;
mod telemetry;

pub use client::*;
pub use control_plane::*;
pub use surfaces::*;
pub use telemetry::*;

use core::fmt;
use serde::{Deserialize, Serialize};

/// The only accepted `root_task.schema`.
pub const SCHEMA_VERSION: &str = "1.5";

/// A whole root-task manifest, fully defaulted once deserialised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// `[meta]`.
    #[serde(default)]
    pub meta: Meta,
    /// `[root_task]` (required).
    pub root_task: RootTask,
    /// `[profile]` (required).
    pub profile: Profile,
    /// `[event_pump]` (required).
    pub event_pump: EventPump,
    /// `[secure9p]` (required).
    pub secure9p: Secure9p,
    /// `[features]` (required).
    pub features: Features,
    /// `[cache]`.
    #[serde(default)]
    pub cache: Cache,
    /// `[[tickets]]` (required).
    pub tickets: Vec<Ticket>,
    /// `[ticket_limits]`.
    #[serde(default)]
    pub ticket_limits: TicketLimits,
    /// `[namespaces]`.
    #[serde(default)]
    pub namespaces: Namespaces,
    /// `[sharding]`.
    #[serde(default)]
    pub sharding: Sharding,
    /// `[ecosystem]`.
    #[serde(default)]
    pub ecosystem: Ecosystem,
    /// `[sidecars]`.
    #[serde(default)]
    pub sidecars: Sidecars,
    /// `[telemetry]`.
    #[serde(default)]
    pub telemetry: Telemetry,
    /// `[telemetry_ingest]`.
    #[serde(default)]
    pub telemetry_ingest: TelemetryIngest,
    /// `[lifecycle]`.
    #[serde(default)]
    pub lifecycle: Lifecycle,
    /// `[control_plane]` [0.9]; `None` (and absent from the resolved JSON) when not written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_plane: Option<ControlPlane>,
    /// `[observability]`.
    #[serde(default)]
    pub observability: Observability,
    /// `[ui_providers]`.
    #[serde(default)]
    pub ui_providers: UiProviders,
    /// `[client_policies]`.
    #[serde(default)]
    pub client_policies: ClientPolicies,
    /// `[client_paths]`.
    #[serde(default)]
    pub client_paths: ClientPaths,
    /// `[swarmui]`.
    #[serde(default)]
    pub swarmui: SwarmUi,
    /// `[cas]`.
    #[serde(default)]
    pub cas: Cas,
}

impl Manifest {
    /// `[control_plane]`, or its default (every control file off, zero bounds) when not
    /// written.
    pub fn control_plane_or_default(&self) -> ControlPlane {
        self.control_plane.clone().unwrap_or_default()
    }

    /// A copy in which every 0.9 key that was not written holds its effective value. Its
    /// serialisation is the complete view code generation works from; it is **not** the hashed
    /// resolved JSON (that is `self`, which leaves unwritten 0.9 keys out).
    pub fn filled(&self) -> Self {
        let mut m = self.clone();
        m.control_plane = Some(self.control_plane_or_default());
        m.observability = self.observability.filled();
        m.telemetry_ingest = self.telemetry_ingest.filled();
        m.client_paths = self.client_paths.filled();
        m.ecosystem.host = self.ecosystem.host.filled();
        m
    }
}

/// `[meta]`: provenance strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Meta {
    /// Author line.
    pub author: String,
    /// Purpose line.
    pub purpose: String,
}

impl Default for Meta {
    fn default() -> Self {
        Self {
            author: "Lukas Bower".into(),
            purpose: "Resolved root-task manifest.".into(),
        }
    }
}

/// `[root_task]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootTask {
    /// Manifest schema version; must equal [`SCHEMA_VERSION`].
    pub schema: String,
    /// `[root_task.affinity]` [0.9]: root-task core placement (accepted and validated; no
    /// client reads it). `None` (and absent from the resolved JSON) when not written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
}

/// `[root_task.affinity]`: which cores the root task's components run on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Affinity {
    /// Placement enforced.
    pub enabled: bool,
    /// Cores available (1..=64); every core index below is `< max_cores`.
    pub max_cores: u8,
    /// Core of the authority (control) task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority_core: Option<u8>,
    /// Cores of the NineDoor service.
    #[serde(default)]
    pub ninedoor_cores: Vec<u8>,
    /// Cores of the providers.
    #[serde(default)]
    pub provider_cores: Vec<u8>,
    /// Cores of the workers.
    #[serde(default)]
    pub worker_cores: Vec<u8>,
}

/// `[profile]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Build profile name.
    pub name: String,
    /// Whether the build targets the seL4 kernel.
    pub kernel: bool,
}

/// `[event_pump]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventPump {
    /// Pump tick period.
    pub tick_ms: u64,
}

/// `[secure9p]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secure9p {
    /// Negotiated message size ceiling (≤ 8192).
    pub msize: u32,
    /// Path components per walk (≤ 8).
    pub walk_depth: u8,
    /// Tags per session (≥ 1).
    pub tags_per_session: u16,
    /// Frames per batch (≥ 1).
    pub batch_frames: u16,
    /// `[secure9p.short_write]`.
    pub short_write: ShortWrite,
}

/// `[secure9p.short_write]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShortWrite {
    /// What the server does with a short write.
    pub policy: ShortWritePolicy,
}

/// Short-write handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShortWritePolicy {
    /// Refuse the write.
    Reject,
    /// Let the client retry.
    Retry,
}

/// `[features]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Features {
    /// TCP console present (required key).
    pub net_console: bool,
    /// Serial console present.
    #[serde(default)]
    pub serial_console: bool,
    /// Host-std console (non-kernel profiles only).
    #[serde(default)]
    pub std_console: bool,
    /// Host-std tools (non-kernel profiles only).
    #[serde(default)]
    pub std_host_tools: bool,
}

/// `[cache]`: cache maintenance requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cache {
    /// Kernel cache operations available.
    pub kernel_ops: bool,
    /// DMA clean requested.
    pub dma_clean: bool,
    /// DMA invalidate requested.
    pub dma_invalidate: bool,
    /// Instruction-cache unification requested.
    pub unify_instructions: bool,
}

/// One `[[tickets]]` entry. Its `Debug` output never shows the secret.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ticket {
    /// Role the ticket is minted for.
    pub role: Role,
    /// MAC key material (public development default in the shipped manifest).
    pub secret: String,
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("role", &self.role)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Console roles: the core's type, serialised by its kebab-case wire label.
pub use cohesix_core::role::Role;

/// `[ticket_limits]` (0 means unlimited where the server allows it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TicketLimits {
    /// Scopes per ticket (≤ 16).
    pub max_scopes: u16,
    /// Scope path length (1..=255).
    pub max_scope_path_len: u16,
    /// Scope rate limit.
    pub max_scope_rate_per_s: u32,
    /// Session bandwidth budget.
    pub bandwidth_bytes: u64,
    /// Cursor resumes.
    pub cursor_resumes: u32,
    /// Cursor advances.
    pub cursor_advances: u32,
}

impl Default for TicketLimits {
    fn default() -> Self {
        Self {
            max_scopes: 8,
            max_scope_path_len: 128,
            max_scope_rate_per_s: 64,
            bandwidth_bytes: 128 * 1024,
            cursor_resumes: 16,
            cursor_advances: 256,
        }
    }
}

/// `[namespaces]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Namespaces {
    /// Per-role namespace isolation.
    pub role_isolation: bool,
    /// `[[namespaces.mounts]]`.
    pub mounts: Vec<NamespaceMount>,
}

impl Default for Namespaces {
    fn default() -> Self {
        Self {
            role_isolation: true,
            mounts: Vec::new(),
        }
    }
}

/// One `[[namespaces.mounts]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceMount {
    /// Service name.
    pub service: String,
    /// Target path components.
    pub target: Vec<String>,
}

/// `[sharding]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sharding {
    /// Worker sharding on.
    pub enabled: bool,
    /// Shard label bits (≤ 8).
    pub shard_bits: u8,
    /// Keep the `/worker/<id>` alias.
    pub legacy_worker_alias: bool,
}
