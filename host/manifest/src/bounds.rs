//! The compiled-bounds document a hive gateway serves at `GET /v1/meta/bounds` and an
//! evidence pack saves as `bounds.json` (host-surface spec §5.9): built from the manifest, not
//! queried from the queen. Field order is part of the contract; the structs below declare it.

use crate::constants::console_limit;
use crate::model::Manifest;
use serde::Serialize;

/// The whole document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetaBounds {
    /// `manifest_sha256` of the manifest the bounds come from.
    pub manifest_sha256: String,
    /// Secure9P bounds.
    pub secure9p: Secure9pBounds,
    /// Console grammar limits.
    pub console: ConsoleBounds,
    /// Well-known control paths.
    pub paths: PathBounds,
    /// Control-plane bounds.
    pub control_plane: ControlPlaneBounds,
    /// Policy queue bounds (`ecosystem.policy`).
    pub policy: PolicyBounds,
    /// `/proc` schedule and lease node bounds.
    pub observability: ObservabilityBounds,
}

/// `secure9p`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Secure9pBounds {
    /// Message size ceiling.
    pub msize: u32,
    /// Walk depth.
    pub walk_depth: u8,
}

/// `console`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsoleBounds {
    /// Longest console line.
    pub max_line_len: u32,
    /// Longest path.
    pub max_path_len: u32,
    /// Longest JSON payload.
    pub max_json_len: u32,
    /// Longest id.
    pub max_id_len: u32,
    /// Longest ECHO payload.
    pub max_echo_len: u32,
    /// Longest ticket.
    pub max_ticket_len: u32,
}

/// `paths`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathBounds {
    /// Queen control file.
    pub queen_ctl: String,
    /// Lifecycle control file.
    pub queen_lifecycle_ctl: String,
    /// Scheduler control file.
    pub queen_schedule_ctl: String,
    /// Lease control file.
    pub queen_lease_ctl: String,
    /// Export control file.
    pub queen_export_ctl: String,
    /// Policy control file.
    pub policy_ctl: String,
    /// Queen log.
    pub log: String,
}

/// `control_plane`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlPlaneBounds {
    /// Scheduler.
    pub schedule: ScheduleBounds,
    /// Leases.
    pub lease: LeaseBounds,
    /// Exports.
    pub export: ExportBounds,
}

/// `control_plane.schedule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleBounds {
    /// Enabled.
    pub enable: bool,
    /// Queue entries.
    pub queue_max_entries: u32,
    /// Control log cap.
    pub ctl_max_bytes: u32,
}

/// `control_plane.lease`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaseBounds {
    /// Enabled.
    pub enable: bool,
    /// Active leases.
    pub active_max_entries: u32,
    /// Preemption records.
    pub preemptions_max_entries: u32,
    /// Control log cap.
    pub ctl_max_bytes: u32,
}

/// `control_plane.export`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportBounds {
    /// Enabled.
    pub enable: bool,
    /// Control log cap.
    pub ctl_max_bytes: u32,
}

/// `policy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyBounds {
    /// Policy gate on.
    pub enable: bool,
    /// Approval queue entries.
    pub queue_max_entries: u16,
    /// Approval queue bytes.
    pub queue_max_bytes: u32,
    /// Policy control log cap.
    pub ctl_max_bytes: u32,
}

/// `observability`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObservabilityBounds {
    /// `/proc/schedule/*`.
    pub proc_schedule: ProcScheduleBounds,
    /// `/proc/lease/*`.
    pub proc_lease: ProcLeaseBounds,
}

/// `observability.proc_schedule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcScheduleBounds {
    /// `summary` served.
    pub summary: bool,
    /// `queue` served.
    pub queue: bool,
    /// `summary` read bound.
    pub summary_bytes: u32,
    /// `queue` read bound.
    pub queue_bytes: u32,
}

/// `observability.proc_lease`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcLeaseBounds {
    /// `summary` served.
    pub summary: bool,
    /// `active` served.
    pub active: bool,
    /// `preemptions` served.
    pub preemptions: bool,
    /// `summary` read bound.
    pub summary_bytes: u32,
    /// `active` read bound.
    pub active_bytes: u32,
    /// `preemptions` read bound.
    pub preemptions_bytes: u32,
}

/// The bounds document of `m` (unwritten 0.9 keys take their effective values).
pub fn meta_bounds(m: &Manifest, manifest_sha256: &str) -> MetaBounds {
    let p = &m.client_paths;
    let cp = m.control_plane_or_default();
    let pol = &m.ecosystem.policy;
    let s = m.observability.proc_schedule_or_default();
    let l = m.observability.proc_lease_or_default();
    MetaBounds {
        manifest_sha256: manifest_sha256.to_owned(),
        secure9p: Secure9pBounds {
            msize: m.secure9p.msize,
            walk_depth: m.secure9p.walk_depth,
        },
        console: ConsoleBounds {
            max_line_len: console_limit("MAX_LINE_LEN"),
            max_path_len: console_limit("MAX_PATH_LEN"),
            max_json_len: console_limit("MAX_JSON_LEN"),
            max_id_len: console_limit("MAX_ID_LEN"),
            max_echo_len: console_limit("MAX_ECHO_LEN"),
            max_ticket_len: console_limit("MAX_TICKET_LEN"),
        },
        paths: PathBounds {
            queen_ctl: p.queen_ctl.clone(),
            queen_lifecycle_ctl: p.queen_lifecycle_ctl.clone(),
            queen_schedule_ctl: p.queen_schedule_ctl_or_default().to_owned(),
            queen_lease_ctl: p.queen_lease_ctl_or_default().to_owned(),
            queen_export_ctl: p.queen_export_ctl_or_default().to_owned(),
            policy_ctl: p.policy_ctl_or_default().to_owned(),
            log: p.log.clone(),
        },
        control_plane: ControlPlaneBounds {
            schedule: ScheduleBounds {
                enable: cp.schedule.enable,
                queue_max_entries: cp.schedule.queue_max_entries,
                ctl_max_bytes: cp.schedule.ctl_max_bytes,
            },
            lease: LeaseBounds {
                enable: cp.lease.enable,
                active_max_entries: cp.lease.active_max_entries,
                preemptions_max_entries: cp.lease.preemptions_max_entries,
                ctl_max_bytes: cp.lease.ctl_max_bytes,
            },
            export: ExportBounds {
                enable: cp.export.enable,
                ctl_max_bytes: cp.export.ctl_max_bytes,
            },
        },
        policy: PolicyBounds {
            enable: pol.enable,
            queue_max_entries: pol.queue_max_entries,
            queue_max_bytes: pol.queue_max_bytes,
            ctl_max_bytes: pol.ctl_max_bytes,
        },
        observability: ObservabilityBounds {
            proc_schedule: ProcScheduleBounds {
                summary: s.summary,
                queue: s.queue,
                summary_bytes: s.summary_bytes,
                queue_bytes: s.queue_bytes,
            },
            proc_lease: ProcLeaseBounds {
                summary: l.summary,
                active: l.active,
                preemptions: l.preemptions,
                summary_bytes: l.summary_bytes,
                active_bytes: l.active_bytes,
                preemptions_bytes: l.preemptions_bytes,
            },
        },
    }
}

/// Compact JSON of [`meta_bounds`] (the gateway's response body).
pub fn meta_bounds_json(m: &Manifest, manifest_sha256: &str) -> Result<String, serde_json::Error> {
    serde_json::to_string(&meta_bounds(m, manifest_sha256))
}
