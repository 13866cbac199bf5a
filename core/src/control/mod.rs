//! Typed control payloads: one schema for the host library, the simulator and the shell.
//!
//! Every payload is a borrowed (`&'a str`), `no_std`, allocation-free value with
//!
//! * builders that trim their string arguments (`ScheduleRequest::new(..).priority(6)`);
//! * `validate()`: upstream's rules and messages ([`ControlError`]);
//! * `encode(&mut [u8]) -> Result<usize, ControlError>`: validate, then the compact JSON
//!   line (no newline) via `serde-json-core`, keys in the order host-surface §1.6/§2.4 lists,
//!   unset optional fields omitted;
//! * `decode(&'a [u8]) -> Result<Self, ControlError>` for the server side: strict (unknown
//!   fields refused), borrowing strings from the input; identifier and path fields holding a
//!   JSON escape are refused ([`ControlError::Escaped`]), free-text fields come back as
//!   [`Text::Escaped`].
//!
//! | family | module | wire |
//! |---|---|---|
//! | schedule | [`schedule`] | `/queen/schedule/ctl` |
//! | lease (grant, renew, preempt, quota) | [`lease`] | `/queen/lease/ctl` |
//! | export (open, close) | [`export`] | `/queen/export/ctl` |
//! | approval | [`approval`] | `/actions/queue` |
//! | host ticket `host-ticket/v1` | [`host_ticket`] | `/host/tickets/spec` |
//! | K8s RBAC intent → host ticket (compact form) | [`k8s`] | `/host/tickets/spec` |
//! | `/queen/ctl` spawn, kill, bind, mount | [`queen_ctl`] | `/queen/ctl` |
//! | `gpu-lease/v1`, `gpu-breadcrumb/v1` | [`gpu`] | `/gpu/<id>/lease`, `/gpu/<id>/status` |
//! | telemetry segment ctl, inline and reference records | [`telemetry`] | `/queen/telemetry/<dev>/…` |
//! | `/proc/schedule/*`, `/proc/lease/*` lines | [`proc`] | read |
//!
//! Identifiers are limited to the target's `max_id_len` (32 bytes), not upstream's 128
//! ([`token`]). An owned wrapper (host code with `alloc`) keeps `String`s and builds the
//! borrowed value on demand; the values are `Copy` (except [`HostTicket`], whose `args` is a
//! fixed-capacity list).

pub mod approval;
pub mod error;
pub mod export;
pub mod gpu;
pub mod host_ticket;
mod json;
pub mod k8s;
pub mod lease;
pub mod proc;
pub mod queen_ctl;
pub mod schedule;
pub mod telemetry;
pub mod text;
pub mod token;

pub use approval::{ApprovalRequest, Decision};
pub use error::{ControlError, JsonError};
pub use export::{ExportOp, ExportRequest};
pub use gpu::{BreadcrumbEvent, BreadcrumbStatus, GpuBreadcrumb, GpuLease, GpuLeaseState};
pub use host_ticket::{ArgValue, Args, HostTicket};
pub use k8s::{K8sRbacIntent, K8sTicket, K8sVerb};
pub use lease::{LeaseOp, LeaseRequest};
pub use proc::{
    LeaseEntry, LeaseSummary, PreemptionEntry, ProcLine, ScheduleEntry, ScheduleSummary,
};
pub use queen_ctl::{Budget, GpuLeaseSpec, QueenCtl};
pub use schedule::ScheduleRequest;
pub use telemetry::{InlineRecord, NewSegment, ReferenceRecord, Sha256Digest};
pub use text::Text;

/// A payload appended as one line to a fixed control file.
pub trait ControlLine {
    /// The control file.
    const PATH: &'static str;
    /// Upstream's per-line limit in bytes, **including** the `\n` appended at write time
    /// (over TCP/REST the console's 128-byte ECHO bound is tighter).
    const MAX_LINE_BYTES: usize;

    /// Checks the payload rules.
    fn validate(&self) -> Result<(), ControlError>;

    /// Validates, then writes the JSON line (no newline) into `out`; returns its length.
    fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError>;
}

/// Control file paths and per-line limits, as `cohesix_generated` emits them from the
/// manifest.
pub mod paths {
    use cohesix_generated as g;

    /// `client_paths.queen_schedule_ctl`.
    pub const SCHEDULE_CTL: &str = g::paths::QUEEN_SCHEDULE_CTL;
    /// `control_plane.schedule.ctl_max_bytes`.
    pub const SCHEDULE_CTL_MAX_BYTES: usize = g::control_plane::schedule::CTL_MAX_BYTES;
    /// `client_paths.queen_lease_ctl`.
    pub const LEASE_CTL: &str = g::paths::QUEEN_LEASE_CTL;
    /// `control_plane.lease.ctl_max_bytes`.
    pub const LEASE_CTL_MAX_BYTES: usize = g::control_plane::lease::CTL_MAX_BYTES;
    /// `client_paths.queen_export_ctl`.
    pub const EXPORT_CTL: &str = g::paths::QUEEN_EXPORT_CTL;
    /// `control_plane.export.ctl_max_bytes`.
    pub const EXPORT_CTL_MAX_BYTES: usize = g::control_plane::export::CTL_MAX_BYTES;
    /// The approval queue (a compiler constant upstream).
    pub const ACTIONS_QUEUE: &str = g::actions::QUEUE;
    /// Per-line limit of the approval queue (a compiler constant upstream).
    pub const ACTIONS_QUEUE_MAX_BYTES: usize = g::actions::MAX_LINE_BYTES;
    /// Host ticket requests (`<ecosystem.host.mount_at>/tickets/spec`).
    pub const HOST_TICKETS_SPEC: &str = g::paths::HOST_TICKETS_SPEC;
    /// `ecosystem.host.tickets.max_line_bytes`.
    pub const HOST_TICKETS_MAX_LINE_BYTES: usize = g::ecosystem::host::tickets::MAX_LINE_BYTES;
    /// `/queen/ctl` lines: the console's SPAWN JSON bound plus the newline.
    pub const QUEEN_CTL_MAX_BYTES: usize = g::console::MAX_JSON_LEN + 1;
}
