//! The playbook data model (`cohesix-playbook/v1`) and its loader: one declarative TOML file
//! per playbook, validated at load with `file:line` errors.
//!
//! ```toml
//! id = "jetson-critical-infra"            # a path component (no `/`, `.`, `..`, NUL)
//! title = "…"      fleet = "jetson"      objective = "…"
//! telemetry_device_id = "jetson-infra-audit"
//! [[approvals]]  id, target, decision ("approve" | "deny")
//! [[schedule]]   id, role, priority, ticks, budget_ms
//! [[leases]]     op ("grant" | "renew" | "preempt" | "quota") and the fields the op needs
//! [[exports]]    op ("open" | "close"), id, ttl_s | reason
//! [probes]       systemd = [units], docker, k8s, nvml, peft, k8s_namespace, k8s_label_selector
//! ```
//!
//! Unknown keys are errors. Every control line is checked with the core's validation (the
//! exact upstream messages) when the file loads, so a bad playbook never starts writing.

use std::fmt;
use std::ops::Range;

use cohesix_core::control::{
    ApprovalRequest, ControlError, Decision, ExportOp, ExportRequest, LeaseOp, LeaseRequest,
    ScheduleRequest,
};
use serde::Deserialize;
use toml::Spanned;

use crate::orchestrator::Plan;

/// Which host probes a playbook runs (host-surface §6.1 `ProbeSpec`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeSpec {
    /// systemd units to query.
    #[serde(default)]
    pub systemd: Vec<String>,
    /// Containers.
    #[serde(default = "yes")]
    pub docker: bool,
    /// Kubernetes pods.
    #[serde(default = "yes")]
    pub k8s: bool,
    /// NVIDIA GPUs.
    #[serde(default = "yes")]
    pub nvml: bool,
    /// The PEFT stack.
    #[serde(default = "yes")]
    pub peft: bool,
    /// Kubernetes namespace.
    #[serde(default = "default_ns")]
    pub k8s_namespace: String,
    /// Kubernetes label selector.
    #[serde(default)]
    pub k8s_label_selector: String,
}

fn yes() -> bool {
    true
}

fn default_ns() -> String {
    "default".into()
}

impl Default for ProbeSpec {
    fn default() -> Self {
        Self {
            systemd: Vec::new(),
            docker: true,
            k8s: true,
            nvml: true,
            peft: true,
            k8s_namespace: default_ns(),
            k8s_label_selector: String::new(),
        }
    }
}

/// One approval of a playbook's plan.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Approval id.
    pub id: String,
    /// Gated path.
    pub target: String,
    /// `approve` or `deny`.
    #[serde(default = "approve")]
    pub decision: String,
}

fn approve() -> String {
    "approve".into()
}

/// One schedule entry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Request id.
    pub id: String,
    /// Worker role.
    pub role: String,
    /// Priority (> 0).
    pub priority: u32,
    /// Ticks (> 0).
    pub ticks: u32,
    /// Budget in ms (> 0).
    pub budget_ms: u32,
}

/// One lease operation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lease {
    /// `grant`, `renew`, `preempt` or `quota`.
    pub op: String,
    /// Lease id (all ops but quota).
    pub id: Option<String>,
    /// Subject.
    pub subject: Option<String>,
    /// Resource.
    pub resource: Option<String>,
    /// TTL in seconds.
    pub ttl_s: Option<u32>,
    /// Priority.
    pub priority: Option<u32>,
    /// Preemption reason.
    pub reason: Option<String>,
    /// Quota: most active leases.
    pub max_active: Option<u32>,
    /// Quota: most preemptions.
    pub max_preemptions: Option<u32>,
}

/// One export operation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Export {
    /// `open` or `close`.
    pub op: String,
    /// Export id.
    pub id: String,
    /// Open: TTL in seconds.
    pub ttl_s: Option<u32>,
    /// Close: reason.
    pub reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    id: Spanned<String>,
    title: String,
    fleet: String,
    objective: String,
    telemetry_device_id: Spanned<String>,
    #[serde(default)]
    approvals: Vec<Spanned<Approval>>,
    #[serde(default)]
    schedule: Vec<Spanned<Schedule>>,
    #[serde(default)]
    leases: Vec<Spanned<Lease>>,
    #[serde(default)]
    exports: Vec<Spanned<Export>>,
    #[serde(default)]
    probes: ProbeSpec,
}

/// A playbook: a whole fleet operation as data (host-surface §6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Playbook {
    /// Identifier (also the report directory name).
    pub id: String,
    /// Title.
    pub title: String,
    /// Fleet label (`jetson`, `mac`, `mixed`, …).
    pub fleet: String,
    /// One sentence: what the playbook achieves.
    pub objective: String,
    /// Telemetry device the host snapshot is pushed to.
    pub telemetry_device_id: String,
    /// Approvals, written first.
    pub approvals: Vec<Approval>,
    /// Schedule entries.
    pub schedule: Vec<Schedule>,
    /// Lease operations.
    pub leases: Vec<Lease>,
    /// Export operations.
    pub exports: Vec<Export>,
    /// Host probes.
    pub probes: ProbeSpec,
}

/// Why a playbook file was refused: `file:line: field: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The file (as given).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What was refused.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for LoadError {}

fn line_of(text: &str, span: &Range<usize>) -> usize {
    text.get(..span.start).map_or(1, |before| {
        before.bytes().filter(|&b| b == b'\n').count() + 1
    })
}

/// A playbook id or device id must be one path component.
fn check_component(field: &str, v: &str) -> Result<(), String> {
    if v.is_empty() || v == "." || v == ".." || v.contains('/') || v.contains('\0') {
        return Err(format!(
            "{field} must be a valid path component (non-empty, not . or .., no / or NUL)"
        ));
    }
    Ok(())
}

impl Playbook {
    /// Parses and validates playbook TOML; `file` names it in errors.
    ///
    /// # Errors
    /// [`LoadError`] with the line of the offending entry.
    pub fn parse(text: &str, file: &str) -> Result<Self, LoadError> {
        let err = |line: Option<usize>, message: String| LoadError {
            file: file.to_owned(),
            line,
            message,
        };
        let raw: File = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, &s));
            err(line, e.message().to_owned())
        })?;
        check_component("id", raw.id.get_ref())
            .map_err(|m| err(Some(line_of(text, &raw.id.span())), m))?;
        check_component("telemetry_device_id", raw.telemetry_device_id.get_ref())
            .map_err(|m| err(Some(line_of(text, &raw.telemetry_device_id.span())), m))?;
        let book = Self {
            id: raw.id.into_inner(),
            title: raw.title,
            fleet: raw.fleet,
            objective: raw.objective,
            telemetry_device_id: raw.telemetry_device_id.into_inner(),
            approvals: raw.approvals.iter().map(|s| s.get_ref().clone()).collect(),
            schedule: raw.schedule.iter().map(|s| s.get_ref().clone()).collect(),
            leases: raw.leases.iter().map(|s| s.get_ref().clone()).collect(),
            exports: raw.exports.iter().map(|s| s.get_ref().clone()).collect(),
            probes: raw.probes,
        };
        // Every control line passes the core's validation now, with its line in the file.
        let ids = book.ids_with(&|s| s.to_owned());
        let check = |section: &str, i: usize, span: Range<usize>, r: Result<(), ControlError>| {
            r.map_err(|e| err(Some(line_of(text, &span)), format!("{section}[{i}]: {e}")))
        };
        for (i, s) in raw.approvals.iter().enumerate() {
            check(
                "approvals",
                i,
                s.span(),
                ids.approval(i).and_then(|a| a.validate()),
            )?;
        }
        for (i, s) in raw.schedule.iter().enumerate() {
            check(
                "schedule",
                i,
                s.span(),
                ids.schedule(i).and_then(|a| a.validate()),
            )?;
        }
        for (i, s) in raw.leases.iter().enumerate() {
            check(
                "leases",
                i,
                s.span(),
                ids.lease(i).and_then(|a| a.validate()),
            )?;
        }
        for (i, s) in raw.exports.iter().enumerate() {
            check(
                "exports",
                i,
                s.span(),
                ids.export(i).and_then(|a| a.validate()),
            )?;
        }
        Ok(book)
    }

    /// The number of control lines (approvals, schedule, leases, exports).
    #[must_use]
    pub fn counts(&self) -> [usize; 4] {
        [
            self.approvals.len(),
            self.schedule.len(),
            self.leases.len(),
            self.exports.len(),
        ]
    }

    /// The ids this playbook writes, each mapped by `id` (the per-run suffix; identity for
    /// a dry run). [`RunIds::plan`] builds the orchestrator plan borrowing them.
    #[must_use]
    pub fn ids_with(&self, id: &dyn Fn(&str) -> String) -> RunIds<'_> {
        RunIds {
            book: self,
            approval_ids: self.approvals.iter().map(|a| id(&a.id)).collect(),
            schedule_ids: self.schedule.iter().map(|s| id(&s.id)).collect(),
            lease_ids: self
                .leases
                .iter()
                .map(|l| l.id.as_deref().map(id))
                .collect(),
            export_ids: self.exports.iter().map(|e| id(&e.id)).collect(),
        }
    }
}

/// The ids one run of a playbook writes.
#[derive(Debug)]
pub struct RunIds<'a> {
    book: &'a Playbook,
    approval_ids: Vec<String>,
    schedule_ids: Vec<String>,
    lease_ids: Vec<Option<String>>,
    export_ids: Vec<String>,
}

impl RunIds<'_> {
    fn approval(&self, i: usize) -> Result<ApprovalRequest<'_>, ControlError> {
        let (a, id) = self
            .book
            .approvals
            .get(i)
            .zip(self.approval_ids.get(i))
            .ok_or(MISSING)?;
        Ok(ApprovalRequest::new(
            id,
            &a.target,
            Decision::parse(&a.decision)?,
        ))
    }

    fn schedule(&self, i: usize) -> Result<ScheduleRequest<'_>, ControlError> {
        let (s, id) = self
            .book
            .schedule
            .get(i)
            .zip(self.schedule_ids.get(i))
            .ok_or(MISSING)?;
        Ok(ScheduleRequest::new(id, &s.role)
            .priority(s.priority)
            .ticks(s.ticks)
            .budget_ms(s.budget_ms))
    }

    fn lease(&self, i: usize) -> Result<LeaseRequest<'_>, ControlError> {
        let (l, id) = self
            .book
            .leases
            .get(i)
            .zip(self.lease_ids.get(i))
            .ok_or(MISSING)?;
        let mut r = LeaseRequest::new(LeaseOp::parse(&l.op)?);
        r.lease_id = id.as_deref();
        r.subject = l.subject.as_deref();
        r.resource = l.resource.as_deref();
        r.ttl_s = l.ttl_s;
        r.priority = l.priority;
        r.reason = l.reason.as_deref();
        r.max_active = l.max_active;
        r.max_preemptions = l.max_preemptions;
        Ok(r)
    }

    fn export(&self, i: usize) -> Result<ExportRequest<'_>, ControlError> {
        let (e, id) = self
            .book
            .exports
            .get(i)
            .zip(self.export_ids.get(i))
            .ok_or(MISSING)?;
        let op = ExportOp::parse(&e.op)?;
        let mut r = match op {
            ExportOp::Open => ExportRequest::open(id, e.ttl_s.unwrap_or(0)),
            _ => ExportRequest::close(id, e.reason.as_deref().unwrap_or("")),
        };
        r.ttl_s = e.ttl_s;
        r.reason = e.reason.as_deref();
        Ok(r)
    }

    /// The orchestrator plan: approvals, schedule, leases, exports, in file order.
    ///
    /// # Errors
    /// A [`ControlError`] if a line does not build (never for a loaded playbook).
    pub fn plan(&self) -> Result<Plan<'_>, ControlError> {
        let b = self.book;
        let mut plan = Plan::new();
        for i in 0..b.approvals.len() {
            plan = plan.approval(self.approval(i)?);
        }
        for i in 0..b.schedule.len() {
            plan = plan.schedule(self.schedule(i)?);
        }
        for i in 0..b.leases.len() {
            plan = plan.lease(self.lease(i)?);
        }
        for i in 0..b.exports.len() {
            plan = plan.export(self.export(i)?);
        }
        Ok(plan)
    }
}

/// Index past the end (cannot happen: the vectors are built from the same lists).
const MISSING: ControlError = ControlError::Missing { field: "id" };
