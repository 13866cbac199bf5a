//! [`Plan`] and [`PlanExecution`]: approvals, schedule entries, lease ops and export ops,
//! applied in that order (host-surface §2.2).
//!
//! A plan is prepared as a whole before anything is written: every payload is validated and
//! encoded, every line checked against its bounds. A dry run stops there — it touches
//! nothing and opens no connection — and returns the lines it would write
//! ([`PlanExecution::planned`]). A real run writes the lines one at a time, in order, and
//! stops at the first line not committed ([`crate::orchestrator::BatchError`], whose report
//! covers the whole plan: later phases appear as not written).

use cohesix_core::control::{ApprovalRequest, ExportRequest, LeaseRequest, ScheduleRequest};

use super::batch::{BatchReport, ControlWriteResult, PreparedLine};
use super::lines;
use crate::error::Error;

/// What a plan does, by phase. Borrowed payloads: build them from literals or from your own
/// `String`s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan<'a> {
    /// Approvals for `/actions/queue` (written first, so gated writes later in the plan
    /// find them).
    pub approvals: Vec<ApprovalRequest<'a>>,
    /// Schedule entries for `/queen/schedule/ctl`.
    pub schedule: Vec<ScheduleRequest<'a>>,
    /// Lease ops for `/queen/lease/ctl`.
    pub leases: Vec<LeaseRequest<'a>>,
    /// Export ops for `/queen/export/ctl`.
    pub exports: Vec<ExportRequest<'a>>,
}

impl<'a> Plan<'a> {
    /// An empty plan.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an approval.
    #[must_use]
    pub fn approval(mut self, a: ApprovalRequest<'a>) -> Self {
        self.approvals.push(a);
        self
    }

    /// Adds a schedule entry.
    #[must_use]
    pub fn schedule(mut self, s: ScheduleRequest<'a>) -> Self {
        self.schedule.push(s);
        self
    }

    /// Adds a lease op.
    #[must_use]
    pub fn lease(mut self, l: LeaseRequest<'a>) -> Self {
        self.leases.push(l);
        self
    }

    /// Adds an export op.
    #[must_use]
    pub fn export(mut self, e: ExportRequest<'a>) -> Self {
        self.exports.push(e);
        self
    }

    /// Number of lines the plan writes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.approvals.len() + self.schedule.len() + self.leases.len() + self.exports.len()
    }

    /// Whether the plan writes nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every line of the plan in write order, validated and bound-checked.
    ///
    /// # Errors
    /// The first invalid payload (approvals first, then schedule, leases, exports).
    pub fn prepare(&self) -> Result<Vec<PreparedLine>, Error> {
        let mut out = lines::prepare(&self.approvals)?;
        out.extend(lines::prepare(&self.schedule)?);
        out.extend(lines::prepare(&self.leases)?);
        out.extend(lines::prepare(&self.exports)?);
        Ok(out)
    }
}

/// The result of [`crate::Orchestrator::execute_plan`] (upstream `PlanExecution`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanExecution {
    /// Committed approval lines.
    pub approval_writes: Vec<ControlWriteResult>,
    /// Committed schedule lines.
    pub schedule_writes: Vec<ControlWriteResult>,
    /// Committed lease lines.
    pub lease_writes: Vec<ControlWriteResult>,
    /// Committed export lines.
    pub export_writes: Vec<ControlWriteResult>,
    /// Whether this was a dry run (nothing written, no connection opened).
    pub dry_run: bool,
    /// A dry run's lines, in the order a real run would write them (empty for a real run).
    pub planned: Vec<PreparedLine>,
}

impl PlanExecution {
    /// Splits a report's committed lines by control file.
    #[must_use]
    pub fn from_report(report: &BatchReport) -> Self {
        use cohesix_core::control::paths;
        let mut out = Self::default();
        for w in report.committed() {
            let bucket = match w.path.as_str() {
                paths::ACTIONS_QUEUE => &mut out.approval_writes,
                paths::SCHEDULE_CTL => &mut out.schedule_writes,
                paths::LEASE_CTL => &mut out.lease_writes,
                _ => &mut out.export_writes,
            };
            bucket.push(w);
        }
        out
    }

    /// All committed lines, in write order.
    #[must_use]
    pub fn writes(&self) -> Vec<&ControlWriteResult> {
        self.approval_writes
            .iter()
            .chain(&self.schedule_writes)
            .chain(&self.lease_writes)
            .chain(&self.export_writes)
            .collect()
    }
}
