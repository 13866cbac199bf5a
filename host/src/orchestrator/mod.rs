//! The orchestrator: typed control writes, `/proc` snapshots, telemetry push and receipts
//! over any [`Backend`] (host-surface §2–§4, §7.3, §8.5). The Rust form of upstream's
//! `CohesixOrchestrator`.
//!
//! ```text
//!  ScheduleRequest · LeaseRequest · ExportRequest · ApprovalRequest · HostTicket · K8sRbacIntent
//!        │ (cohesix_core::control: validate + encode, one schema)
//!        ▼
//!  lines::prepare ── every line checked before the first is written ──► Vec<PreparedLine>
//!        │
//!        ▼
//!  batch::write_lines ── one append per line, in order, stop at the first not committed
//!        │                 (BatchReport: committed / refused / unknown / failed / not written)
//!        ▼
//!  Backend (TCP · mock · filesystem · REST)          Audit ◄── OK ECHO path=… bytes=…
//! ```
//!
//! ```
//! use cohesix::{LeaseRequest, Orchestrator, ScheduleRequest};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), cohesix::Error> {
//! #   // The doc test runs against the in-process mock (`COHESIX_MOCK=1`).
//! #   let dir = std::env::temp_dir().join(format!("cohesix-doc-{}", std::process::id()));
//! #   std::env::set_var("COHESIX_MOCK", "1");
//! #   std::env::set_var("COHESIX_MOCK_ROOT", &dir);
//!     let orch = Orchestrator::from_env().await?;
//!     orch.enqueue_schedule(&[ScheduleRequest::new("sched-edge-1", "worker-gpu").priority(6).ticks(6).budget_ms(180)]).await?;
//!     orch.apply_leases(&[LeaseRequest::grant("lease-edge-1", "queen", "gpu0", 300).priority(6)]).await?;
//!     let snap = orch.read_proc_snapshot().await?;
//!     println!("{} active leases", snap.lease_active.len());
//! #   assert_eq!(snap.lease_active.len(), 1);
//! #   assert_eq!(snap.lease_active[0].id, "lease-edge-1");
//! #   assert_eq!(snap.schedule_queue[0].budget_ms, 180);
//!     Ok(())
//! }
//! ```
//!
//! The payload types are the core's borrowed values: build them from literals or from your
//! own `String`s (`ScheduleRequest::new(&id, &role)`). Every call validates all of its
//! lines before writing any; a batch that stops on line k is [`Error::Batch`] with the
//! per-line [`BatchReport`] (see [`batch`]). Nothing is ever re-sent.
//!
//! The same API without an executor: [`crate::blocking::Orchestrator`].

pub mod audit;
pub mod batch;
pub mod blocking;
pub mod lines;
pub mod plan;
pub mod receipts;
pub mod run;
pub mod snapshot;
pub mod telemetry;

use std::path::Path;
use std::sync::Arc;

use cohesix_core::control::{
    ApprovalRequest, ExportRequest, HostTicket, K8sRbacIntent, LeaseRequest, ScheduleRequest,
};

pub use audit::{Audit, AuditStatus};
pub use batch::{
    BatchError, BatchReport, ControlWriteResult, LineOutcome, LineReport, PreparedLine,
};
pub use plan::{Plan, PlanExecution};
pub use receipts::{GpuLeaseRequest, Receipt, RECEIPT_SCHEMA};
pub use run::{LeaseReceipt, RunOptions, RunReceipt};
pub use snapshot::{
    LeaseActiveEntry, LeasePreemptionEntry, ProcRaw, ProcSnapshot, ScheduleQueueEntry,
};
pub use telemetry::{TelemetryLimits, TelemetryMode, TelemetryPush};

use crate::backend::{AnyBackend, Backend};
use crate::error::Error;

/// Upstream's name for a host ticket request.
pub type HostTicketRequest<'a> = HostTicket<'a>;

/// Typed control-plane operations over one backend. Cheap to clone (clones share the
/// backend and the audit transcript).
///
/// Every async method is cancel-safe in this sense: dropping its future never re-sends
/// anything; a dropped write call may have committed a prefix of its lines (each committed
/// line is in the [`Audit`]).
#[derive(Debug)]
pub struct Orchestrator<B = AnyBackend> {
    backend: Arc<B>,
    audit: Audit,
    telemetry: TelemetryLimits,
}

impl<B> Clone for Orchestrator<B> {
    fn clone(&self) -> Self {
        Self {
            backend: Arc::clone(&self.backend),
            audit: self.audit.clone(),
            telemetry: self.telemetry,
        }
    }
}

impl Orchestrator<AnyBackend> {
    /// The backend chosen by [`crate::discovery::from_env`] (host-surface §5.6): the mock
    /// when `COHESIX_MOCK` is truthy, a mount, REST, else TCP. Nothing connects yet.
    ///
    /// Cancel-safe (nothing to cancel: it only builds the backend).
    ///
    /// # Errors
    /// As [`crate::discovery::resolve`] and [`crate::discovery::BackendSpec::open`].
    pub async fn from_env() -> Result<Self, Error> {
        let (backend, _source) = crate::discovery::from_env()?;
        Ok(Self::new(backend))
    }
}

impl<B: Backend> Orchestrator<B> {
    /// An orchestrator over `backend`, with a fresh audit transcript.
    #[must_use]
    pub fn new(backend: B) -> Self {
        Self::from_shared(Arc::new(backend))
    }

    /// An orchestrator over a shared backend.
    #[must_use]
    pub fn from_shared(backend: Arc<B>) -> Self {
        Self {
            backend,
            audit: Audit::new(),
            telemetry: TelemetryLimits::default(),
        }
    }

    /// Records into `audit` (share one transcript between several orchestrators).
    #[must_use]
    pub fn with_audit(mut self, audit: Audit) -> Self {
        self.audit = audit;
        self
    }

    /// Other telemetry ingest limits (another manifest's).
    #[must_use]
    pub fn with_telemetry_limits(mut self, limits: TelemetryLimits) -> Self {
        self.telemetry = limits;
        self
    }

    /// The backend.
    #[must_use]
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The audit transcript.
    #[must_use]
    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    /// Writes prepared lines in order, with batch accounting. Useful for lines prepared
    /// elsewhere (a blocking caller, a playbook).
    ///
    /// Cancel-safe as the type docs say.
    ///
    /// # Errors
    /// [`Error::Batch`] when a line is not committed.
    pub async fn write_prepared(&self, lines: Vec<PreparedLine>) -> Result<BatchReport, Error> {
        batch::write_lines(&*self.backend, &self.audit, lines).await
    }

    async fn write(&self, lines: Vec<PreparedLine>) -> Result<Vec<ControlWriteResult>, Error> {
        Ok(self.write_prepared(lines).await?.committed())
    }

    /// Appends approvals to `/actions/queue` (`{"id","target","decision"}`).
    ///
    /// Cancel-safe as the type docs say.
    ///
    /// # Errors
    /// A payload error (nothing written), or [`Error::Batch`].
    pub async fn queue_approvals(
        &self,
        approvals: &[ApprovalRequest<'_>],
    ) -> Result<Vec<ControlWriteResult>, Error> {
        let lines = lines::prepare(approvals)?;
        self.write(lines).await
    }

    /// Appends schedule entries to `/queen/schedule/ctl`.
    ///
    /// Cancel-safe as the type docs say.
    ///
    /// # Errors
    /// A payload error (nothing written), or [`Error::Batch`].
    pub async fn enqueue_schedule(
        &self,
        requests: &[ScheduleRequest<'_>],
    ) -> Result<Vec<ControlWriteResult>, Error> {
        let lines = lines::prepare(requests)?;
        self.write(lines).await
    }

    /// Appends lease ops (grant, renew, preempt, quota) to `/queen/lease/ctl`.
    ///
    /// Cancel-safe as the type docs say.
    ///
    /// # Errors
    /// A payload error (nothing written), or [`Error::Batch`].
    pub async fn apply_leases(
        &self,
        requests: &[LeaseRequest<'_>],
    ) -> Result<Vec<ControlWriteResult>, Error> {
        let lines = lines::prepare(requests)?;
        self.write(lines).await
    }

    /// Appends export ops (open, close) to `/queen/export/ctl`.
    ///
    /// Cancel-safe as the type docs say.
    ///
    /// # Errors
    /// A payload error (nothing written), or [`Error::Batch`].
    pub async fn apply_exports(
        &self,
        requests: &[ExportRequest<'_>],
    ) -> Result<Vec<ControlWriteResult>, Error> {
        let lines = lines::prepare(requests)?;
        self.write(lines).await
    }

    /// Appends `host-ticket/v1` requests to `/host/tickets/spec` with the §4.2 guardrails
    /// (manifest allowlist, 2048-byte line bound, 128-byte transport bound).
    ///
    /// Cancel-safe as the type docs say.
    ///
    /// # Errors
    /// A payload or guardrail error (nothing written), or [`Error::Batch`].
    pub async fn enqueue_host_tickets(
        &self,
        tickets: &[HostTicket<'_>],
    ) -> Result<Vec<ControlWriteResult>, Error> {
        let lines = lines::prepare_host_tickets(tickets)?;
        self.write(lines).await
    }

    /// Translates every intent to the core's compact ticket first, then appends the tickets
    /// in input order (as [`Orchestrator::enqueue_host_tickets`]).
    ///
    /// Cancel-safe as the type docs say.
    ///
    /// # Errors
    /// An intent or guardrail error (nothing written), or [`Error::Batch`].
    pub async fn enqueue_k8s_rbac_tickets(
        &self,
        intents: &[K8sRbacIntent<'_>],
    ) -> Result<Vec<ControlWriteResult>, Error> {
        let lines = lines::prepare_k8s(intents)?;
        self.write(lines).await
    }

    /// Upstream's generic writer: raw lines (trimmed) appended to `path` with a per-line
    /// `limit` in bytes including the newline (0: none), after the checks of [`lines`].
    ///
    /// Cancel-safe as the type docs say.
    ///
    /// # Errors
    /// A payload error (nothing written), or [`Error::Batch`].
    pub async fn append_control<S: AsRef<str> + Sync>(
        &self,
        path: &str,
        payloads: &[S],
        limit: usize,
    ) -> Result<Vec<ControlWriteResult>, Error> {
        let lines = lines::prepare_raw(path, payloads, limit)?;
        self.write(lines).await
    }

    /// Applies a plan: approvals, schedule, leases, exports, in that order, stopping at the
    /// first line not committed (the [`Error::Batch`] report covers the whole plan). A dry
    /// run validates everything, touches nothing, opens no connection, and returns the
    /// lines it would write in [`PlanExecution::planned`].
    ///
    /// Cancel-safe as the type docs say.
    ///
    /// # Errors
    /// A payload error (nothing written), or [`Error::Batch`].
    pub async fn execute_plan(
        &self,
        plan: &Plan<'_>,
        dry_run: bool,
    ) -> Result<PlanExecution, Error> {
        let lines = plan.prepare()?;
        if dry_run {
            return Ok(PlanExecution {
                dry_run: true,
                planned: lines,
                ..PlanExecution::default()
            });
        }
        let report = self.write_prepared(lines).await?;
        Ok(PlanExecution::from_report(&report))
    }

    /// Reads the five control-plane `/proc` nodes and parses them (see [`snapshot`]).
    ///
    /// Cancel-safe (reads only).
    ///
    /// # Errors
    /// Any read error, or [`Error::ProcLine`].
    pub async fn read_proc_snapshot(&self) -> Result<ProcSnapshot, Error> {
        snapshot::read_snapshot(&*self.backend, &self.audit).await
    }

    /// Pushes `payload` as one new telemetry segment of `device_id` (see [`telemetry`]).
    ///
    /// Cancel-safe as the type docs say (a dropped push may leave a partly filled segment).
    ///
    /// # Errors
    /// Limit and payload errors (nothing written), read errors, or [`Error::Batch`] (its
    /// report starts with the segment's ctl line).
    pub async fn telemetry_push(
        &self,
        device_id: &str,
        payload: &[u8],
        mime: &str,
    ) -> Result<TelemetryPush, Error> {
        telemetry::push(
            &*self.backend,
            &self.audit,
            &self.telemetry,
            device_id,
            payload,
            mime,
        )
        .await
    }

    /// Leases a GPU (a spawn line on `/queen/ctl`, after the request's approval if it names
    /// one) and writes a `gpu-lease` receipt to `receipt_out` (see [`run`]).
    ///
    /// Cancel-safe as the type docs say (a dropped call may have leased without a receipt).
    ///
    /// # Errors
    /// The lease's error (the receipt was written), or [`Error::Receipt`].
    pub async fn gpu_lease_with_receipt(
        &self,
        request: &GpuLeaseRequest,
        receipt_out: &Path,
    ) -> Result<LeaseReceipt, Error> {
        run::gpu_lease(&*self.backend, &self.audit, request, receipt_out).await
    }

    /// Runs `command` on this host under the GPU's active lease, with START/EXIT
    /// breadcrumbs on `/gpu/<id>/status`, and writes a `run` receipt (see [`run`]).
    ///
    /// Cancel-safe as the type docs say; dropping the future kills the command.
    ///
    /// # Errors
    /// Lease check, breadcrumb and spawn errors (the receipt was written), or
    /// [`Error::Receipt`]. A non-zero exit is not an error: see [`RunReceipt::exit_code`].
    pub async fn run_command_with_receipt(
        &self,
        gpu_id: &str,
        command: &[String],
        receipt_out: &Path,
        options: &RunOptions,
    ) -> Result<RunReceipt, Error> {
        run::run_command(
            &*self.backend,
            &self.audit,
            gpu_id,
            command,
            receipt_out,
            options,
        )
        .await
    }

    /// The target's manifest hash, where it offers one (bounds document, `/proc/boot`).
    ///
    /// Cancel-safe (reads only).
    pub async fn target_manifest_sha256(&self) -> Option<String> {
        run::target_manifest(&*self.backend, &self.audit).await
    }

    /// Closes the backend's connection (later calls reconnect).
    ///
    /// Cancel-safe.
    ///
    /// # Errors
    /// As [`Backend::close`].
    pub async fn close(&self) -> Result<(), Error> {
        self.backend.close().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::FilesystemBackend;

    fn send<T: Send>(_: T) {}

    /// Public futures are `Send` (created, never polled: no runtime needed).
    #[test]
    fn futures_are_send() {
        let dir = std::env::temp_dir();
        let o = Orchestrator::new(FilesystemBackend::new(&dir).unwrap());
        let plan = Plan::new().lease(LeaseRequest::renew("l-1", 1));
        send(o.enqueue_schedule(&[]));
        send(o.apply_leases(&[]));
        send(o.apply_exports(&[]));
        send(o.queue_approvals(&[]));
        send(o.enqueue_host_tickets(&[]));
        send(o.enqueue_k8s_rbac_tickets(&[]));
        send(o.append_control("/x", &["a"], 0));
        send(o.execute_plan(&plan, true));
        send(o.read_proc_snapshot());
        send(o.telemetry_push("d", b"x", "text/plain"));
        send(o.gpu_lease_with_receipt(&GpuLeaseRequest::new("GPU-0"), &dir));
        send(o.run_command_with_receipt("GPU-0", &[], &dir, &RunOptions::default()));
        send(o.target_manifest_sha256());
        send(o.close());
        let any: Orchestrator<AnyBackend> =
            Orchestrator::new(AnyBackend::from(FilesystemBackend::new(&dir).unwrap()));
        send(any.read_proc_snapshot());
        send(any.execute_plan(&plan, false));
    }
}
