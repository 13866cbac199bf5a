//! Cohesix host library: the seam every host tool is built on.
//!
//! ```text
//!  tools (host/cli): cohsh · cohesix-playbook · coh · hive-gateway · coh mount
//!        │
//!        ▼
//!  orchestrator / playbooks / evidence (typed control payloads from cohesix-core)
//!        │
//!        ▼
//!  Backend (list · read · tail · append · bounds · close)          ◄── discovery::from_env
//!   ├─ TcpBackend ── cohesix_tokio::Console ── TCP ──────────► queen
//!   ├─ MockBackend ─ cohesix_tokio::Console ── in-memory ────► cohesix-sim (this process)
//!   ├─ FilesystemBackend ── a directory (a `coh mount`)
//!   └─ RestBackend ── HTTP ─► hive-gateway (feature `rest`)
//! ```
//!
//! * [`backend`]: the §5.1 contract and its four implementations; the rules every backend
//!   keeps (sorted listings, bounded reads, one append per line, `bytes_written` = line + 1).
//! * [`discovery`]: [`discovery::from_env`] with the §5.6 precedence, split into a pure
//!   [`discovery::resolve`] and [`discovery::BackendSpec::open`].
//! * [`auth`]: console and REST tokens (§5.7), manifest ticket secrets, [`auth::Secret`].
//! * [`orchestrator`]: [`Orchestrator`], typed control writes with per-line batch
//!   accounting, typed `/proc` snapshots, telemetry push, receipts, the audit transcript.
//! * [`playbook`]: fleet playbooks as data, runs, reports, fleets and shards.
//! * [`evidence`]: evidence packs (capture, redaction), timelines, CI summaries, SIEM export.
//! * [`json`]: the JSON byte formats of reports and exports, atomic writes.
//! * [`blocking`]: the same API without an executor.
//! * [`Error`]: one error type, grouped by who must act ([`ErrorKind`]).
//!
//! The console handle ([`cohesix_tokio::Console`]) pipelines every caller's requests over
//! one session, keeps it alive and reconnects; the manifest compiler, probes and simulator
//! are re-exported as [`manifest`], [`probes`] and [`sim`].

pub mod auth;
pub mod backend;
pub mod blocking;
pub mod discovery;
mod error;
pub mod evidence;
pub mod json;
pub mod orchestrator;
pub mod playbook;
pub mod rest_api;

pub use backend::{AnyBackend, Backend, BackendKind};
pub use cohesix_manifest as manifest;
pub use cohesix_probes as probes;
pub use cohesix_sim as sim;
pub use cohesix_tokio::{ClientConfig, ClientError, Console};
pub use error::{Error, ErrorKind};
pub use orchestrator::{
    Audit, BatchError, BatchReport, ControlWriteResult, GpuLeaseRequest, HostTicketRequest,
    LineOutcome, Orchestrator, Plan, PlanExecution, ProcSnapshot, Receipt, RunOptions,
    TelemetryMode, TelemetryPush,
};
// The payload types the orchestrator takes (one schema, in `cohesix_core::control`).
pub use cohesix_core::control::{
    ApprovalRequest, Decision, ExportOp, ExportRequest, HostTicket, K8sRbacIntent, K8sVerb,
    LeaseOp, LeaseRequest, ScheduleRequest,
};
