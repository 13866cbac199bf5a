//! `[control_plane.*]` [0.9]: the queen's scheduler, lease and export control files
//! (`/queen/schedule/ctl`, `/queen/lease/ctl`, `/queen/export/ctl`).
//!
//! A disabled table carries zero bounds (the upstream rule), which is also the default of an
//! omitted table.

use serde::{Deserialize, Serialize};

/// `[control_plane]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlPlane {
    /// `[control_plane.schedule]`.
    pub schedule: ScheduleControl,
    /// `[control_plane.lease]`.
    pub lease: LeaseControl,
    /// `[control_plane.export]`.
    pub export: ExportControl,
}

/// `[control_plane.schedule]`: `/queen/schedule/ctl` and its queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleControl {
    /// Scheduler control on.
    pub enable: bool,
    /// Queued schedule entries (1..=256 when enabled, 0 when disabled).
    pub queue_max_entries: u32,
    /// Control log cap (1..=msize when enabled, 0 when disabled).
    pub ctl_max_bytes: u32,
}

/// `[control_plane.lease]`: `/queen/lease/ctl`, active leases and preemptions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LeaseControl {
    /// Lease control on.
    pub enable: bool,
    /// Active leases (1..=256 when enabled, 0 when disabled).
    pub active_max_entries: u32,
    /// Recorded preemptions (1..=256 when enabled, 0 when disabled).
    pub preemptions_max_entries: u32,
    /// Control log cap (1..=msize when enabled, 0 when disabled).
    pub ctl_max_bytes: u32,
}

/// `[control_plane.export]`: `/queen/export/ctl`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExportControl {
    /// Export control on.
    pub enable: bool,
    /// Control log cap (1..=msize when enabled, 0 when disabled).
    pub ctl_max_bytes: u32,
}
