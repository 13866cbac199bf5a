//! [`Orchestrator`] without an executor: the async orchestrator on a
//! [`crate::blocking::Runtime`] thread. Payloads are validated and encoded on the caller's
//! thread (so borrowed requests need not be `'static`); only owned lines cross to the
//! runtime. A dry run never reaches the runtime at all.
//!
//! ```
//! use cohesix::blocking::Orchestrator;
//! use cohesix::{LeaseRequest, ScheduleRequest};
//!
//! fn main() -> Result<(), cohesix::Error> {
//! #   // The doc test runs against the in-process mock (`COHESIX_MOCK=1`).
//! #   let dir = std::env::temp_dir().join(format!("cohesix-bdoc-{}", std::process::id()));
//! #   std::env::set_var("COHESIX_MOCK", "1");
//! #   std::env::set_var("COHESIX_MOCK_ROOT", &dir);
//!     let orch = Orchestrator::from_env()?;
//!     orch.enqueue_schedule(&[ScheduleRequest::new("sched-edge-1", "worker-gpu").priority(6).ticks(6).budget_ms(180)])?;
//!     orch.apply_leases(&[LeaseRequest::grant("lease-edge-1", "queen", "gpu0", 300).priority(6)])?;
//!     let snap = orch.read_proc_snapshot()?;
//!     println!("{} active leases", snap.lease_active.len());
//! #   assert_eq!(snap.lease_active.len(), 1);
//!     Ok(())
//! }
//! ```

use std::future::Future;
use std::path::Path;

use cohesix_core::control::{
    ApprovalRequest, ExportRequest, HostTicket, K8sRbacIntent, LeaseRequest, ScheduleRequest,
};

use super::{
    lines, Audit, BatchReport, ControlWriteResult, GpuLeaseRequest, LeaseReceipt, Plan,
    PlanExecution, PreparedLine, ProcSnapshot, RunOptions, RunReceipt, TelemetryLimits,
    TelemetryPush,
};
use crate::backend::AnyBackend;
use crate::blocking::Backend as BlockingBackend;
use crate::discovery::BackendSpec;
use crate::error::Error;

type Async = super::Orchestrator<AnyBackend>;

/// The blocking orchestrator (clone it freely; clones share the backend and the audit).
#[derive(Clone, Debug)]
pub struct Orchestrator {
    backend: BlockingBackend,
    inner: Async,
}

impl Orchestrator {
    /// [`crate::Orchestrator::from_env`], blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn from_env() -> Result<Self, Error> {
        let (backend, _source) = BlockingBackend::from_env()?;
        Self::new(backend)
    }

    /// The backend `spec` describes, on a new runtime thread.
    ///
    /// # Errors
    /// As [`BackendSpec::open`].
    pub fn open(spec: &BackendSpec) -> Result<Self, Error> {
        Self::new(BlockingBackend::open(spec)?)
    }

    /// An orchestrator over a blocking backend (sharing its runtime and connection).
    ///
    /// # Errors
    /// [`Error::Io`] if the backend's runtime has stopped.
    pub fn new(backend: BlockingBackend) -> Result<Self, Error> {
        let shared = backend.shared().ok_or_else(|| Error::Io {
            what: "blocking runtime".into(),
            source: std::io::Error::other("the backend was closed"),
        })?;
        Ok(Self {
            inner: super::Orchestrator::from_shared(shared),
            backend,
        })
    }

    /// Records into `audit`.
    #[must_use]
    pub fn with_audit(mut self, audit: Audit) -> Self {
        self.inner = self.inner.with_audit(audit);
        self
    }

    /// Other telemetry ingest limits.
    #[must_use]
    pub fn with_telemetry_limits(mut self, limits: TelemetryLimits) -> Self {
        self.inner = self.inner.with_telemetry_limits(limits);
        self
    }

    /// The audit transcript.
    #[must_use]
    pub fn audit(&self) -> &Audit {
        self.inner.audit()
    }

    /// The blocking backend underneath.
    #[must_use]
    pub fn backend(&self) -> &BlockingBackend {
        &self.backend
    }

    fn call<T, F, Fut>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(Async) -> Fut,
        Fut: Future<Output = Result<T, Error>> + Send + 'static,
    {
        self.backend.runtime().block_on(f(self.inner.clone()))?
    }

    /// [`crate::Orchestrator::write_prepared`], blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn write_prepared(&self, lines: Vec<PreparedLine>) -> Result<BatchReport, Error> {
        self.call(move |o| async move { o.write_prepared(lines).await })
    }

    fn write(&self, lines: Vec<PreparedLine>) -> Result<Vec<ControlWriteResult>, Error> {
        Ok(self.write_prepared(lines)?.committed())
    }

    /// [`crate::Orchestrator::queue_approvals`], blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn queue_approvals(
        &self,
        approvals: &[ApprovalRequest<'_>],
    ) -> Result<Vec<ControlWriteResult>, Error> {
        self.write(lines::prepare(approvals)?)
    }

    /// [`crate::Orchestrator::enqueue_schedule`], blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn enqueue_schedule(
        &self,
        requests: &[ScheduleRequest<'_>],
    ) -> Result<Vec<ControlWriteResult>, Error> {
        self.write(lines::prepare(requests)?)
    }

    /// [`crate::Orchestrator::apply_leases`], blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn apply_leases(
        &self,
        requests: &[LeaseRequest<'_>],
    ) -> Result<Vec<ControlWriteResult>, Error> {
        self.write(lines::prepare(requests)?)
    }

    /// [`crate::Orchestrator::apply_exports`], blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn apply_exports(
        &self,
        requests: &[ExportRequest<'_>],
    ) -> Result<Vec<ControlWriteResult>, Error> {
        self.write(lines::prepare(requests)?)
    }

    /// [`crate::Orchestrator::enqueue_host_tickets`], blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn enqueue_host_tickets(
        &self,
        tickets: &[HostTicket<'_>],
    ) -> Result<Vec<ControlWriteResult>, Error> {
        self.write(lines::prepare_host_tickets(tickets)?)
    }

    /// [`crate::Orchestrator::enqueue_k8s_rbac_tickets`], blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn enqueue_k8s_rbac_tickets(
        &self,
        intents: &[K8sRbacIntent<'_>],
    ) -> Result<Vec<ControlWriteResult>, Error> {
        self.write(lines::prepare_k8s(intents)?)
    }

    /// [`crate::Orchestrator::append_control`], blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn append_control<S: AsRef<str>>(
        &self,
        path: &str,
        payloads: &[S],
        limit: usize,
    ) -> Result<Vec<ControlWriteResult>, Error> {
        self.write(lines::prepare_raw(path, payloads, limit)?)
    }

    /// [`crate::Orchestrator::execute_plan`], blocking. A dry run never reaches the runtime.
    ///
    /// # Errors
    /// As the async call.
    pub fn execute_plan(&self, plan: &Plan<'_>, dry_run: bool) -> Result<PlanExecution, Error> {
        let lines = plan.prepare()?;
        if dry_run {
            return Ok(PlanExecution {
                dry_run: true,
                planned: lines,
                ..PlanExecution::default()
            });
        }
        let report = self.write_prepared(lines)?;
        Ok(PlanExecution::from_report(&report))
    }

    /// [`crate::Orchestrator::read_proc_snapshot`], blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn read_proc_snapshot(&self) -> Result<ProcSnapshot, Error> {
        self.call(|o| async move { o.read_proc_snapshot().await })
    }

    /// [`crate::Orchestrator::telemetry_push`], blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn telemetry_push(
        &self,
        device_id: &str,
        payload: &[u8],
        mime: &str,
    ) -> Result<TelemetryPush, Error> {
        let (device, payload, mime) = (device_id.to_owned(), payload.to_vec(), mime.to_owned());
        self.call(move |o| async move { o.telemetry_push(&device, &payload, &mime).await })
    }

    /// [`crate::Orchestrator::gpu_lease_with_receipt`], blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn gpu_lease_with_receipt(
        &self,
        request: &GpuLeaseRequest,
        receipt_out: &Path,
    ) -> Result<LeaseReceipt, Error> {
        let (request, out) = (request.clone(), receipt_out.to_owned());
        self.call(move |o| async move { o.gpu_lease_with_receipt(&request, &out).await })
    }

    /// [`crate::Orchestrator::run_command_with_receipt`], blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn run_command_with_receipt(
        &self,
        gpu_id: &str,
        command: &[String],
        receipt_out: &Path,
        options: &RunOptions,
    ) -> Result<RunReceipt, Error> {
        let (gpu, command, out, options) = (
            gpu_id.to_owned(),
            command.to_vec(),
            receipt_out.to_owned(),
            options.clone(),
        );
        self.call(move |o| async move {
            o.run_command_with_receipt(&gpu, &command, &out, &options)
                .await
        })
    }

    /// [`crate::Orchestrator::target_manifest_sha256`], blocking.
    ///
    /// # Errors
    /// [`Error::Usage`]/[`Error::Io`] from the runtime only.
    pub fn target_manifest_sha256(&self) -> Result<Option<String>, Error> {
        self.call(|o| async move { Ok(o.target_manifest_sha256().await) })
    }

    /// Closes the connection (later calls reconnect).
    ///
    /// # Errors
    /// As the async call.
    pub fn close(&self) -> Result<(), Error> {
        self.backend.close()
    }
}
