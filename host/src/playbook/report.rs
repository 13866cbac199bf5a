//! `report.json` and `audit.txt` (host-surface §6.4), byte for byte.
//!
//! `report.json`: keys sorted, 2-space indent, no trailing newline (Python's
//! `json.dumps(indent=2, sort_keys=True)`), with upstream's keys plus `run_id` and — only
//! when a step failed — `failure`: the step, its error, and every control line of the plan
//! with its fate (`committed`, `refused` with the target's line, `unknown`, `not-written`),
//! so a failed run still says exactly what reached the queen. `audit.txt`: the audit lines
//! joined by `\n`, with a trailing `\n` only when there are lines. Both are written
//! atomically; neither ever holds the console token or a ticket secret.

use std::path::{Path, PathBuf};

use cohesix_probes::HostSnapshot;
use serde_json::{json, Map, Value};

use crate::error::Error;
use crate::json::{to_string, write_atomic, Style};
use crate::orchestrator::{
    ControlWriteResult, LineOutcome, LineReport, PlanExecution, ProcSnapshot, TelemetryPush,
};

/// Why a run stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The step (`approvals`, `schedule`, `leases`, `exports`, `proc-snapshot`,
    /// `telemetry-push`).
    pub step: String,
    /// The error text (never a secret).
    pub error: String,
    /// The error was a transport fault (the queen could not be reached or dropped).
    pub transport: bool,
    /// Every control line of the plan and its fate.
    pub lines: Vec<LineReport>,
}

/// The result of one playbook run (upstream `PlaybookReport`, plus `run_id` and
/// `failure`).
#[derive(Clone, Debug, Default)]
pub struct PlaybookReport {
    /// Playbook id.
    pub playbook_id: String,
    /// Title.
    pub title: String,
    /// Fleet label.
    pub fleet: String,
    /// Objective.
    pub objective: String,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// The run id of a live run.
    pub run_id: Option<String>,
    /// What was written, per control file.
    pub plan_execution: PlanExecution,
    /// The `/proc` snapshot (empty for a dry run or when disabled).
    pub proc_snapshot: Option<ProcSnapshot>,
    /// The host snapshot, when collected.
    pub host_snapshot: Option<HostSnapshot>,
    /// The telemetry push of the host snapshot.
    pub telemetry_push: Option<TelemetryPush>,
    /// The audit transcript.
    pub audit: Vec<String>,
    /// Set when a step failed.
    pub failure: Option<Failure>,
}

fn writes(w: &[ControlWriteResult]) -> Value {
    Value::Array(
        w.iter()
            .map(
                |r| json!({"bytes_written": r.bytes_written, "path": r.path, "payload": r.payload}),
            )
            .collect(),
    )
}

fn proc_json(p: Option<&ProcSnapshot>) -> Value {
    let raw = p.map(|p| p.raw.clone()).unwrap_or_default();
    json!({
        "lease_active": raw.lease_active,
        "lease_preemptions": raw.lease_preemptions,
        "lease_summary": raw.lease_summary,
        "schedule_queue": raw.schedule_queue,
        "schedule_summary": raw.schedule_summary,
    })
}

/// The host snapshot as upstream's report embeds it.
#[must_use]
pub fn host_json(s: &HostSnapshot) -> Value {
    let mut results = Map::new();
    for (name, r) in &s.results {
        results.insert(
            name.clone(),
            json!({
                "data": r.data,
                "error": r.error,
                "provider": r.provider,
                "status": r.status.label(),
            }),
        );
    }
    json!({"captured_at_utc": s.captured_at_utc, "results": Value::Object(results)})
}

fn line_json(l: &LineReport) -> Value {
    let mut m = Map::new();
    m.insert("outcome".into(), json!(l.outcome.label()));
    m.insert("path".into(), json!(l.path));
    m.insert("payload".into(), json!(l.payload));
    if let LineOutcome::Refused { ack: Some(ack) } = &l.outcome {
        m.insert("ack".into(), json!(ack.to_string()));
    }
    if let LineOutcome::Committed { bytes_written } = &l.outcome {
        m.insert("bytes_written".into(), json!(bytes_written));
    }
    Value::Object(m)
}

impl PlaybookReport {
    /// The `report.json` document.
    #[must_use]
    pub fn to_value(&self) -> Value {
        let e = &self.plan_execution;
        let mut v = json!({
            "dry_run": self.dry_run,
            "fleet": self.fleet,
            "host_snapshot": self.host_snapshot.as_ref().map_or(Value::Null, host_json),
            "objective": self.objective,
            "plan_execution": {
                "approval_writes": writes(&e.approval_writes),
                "export_writes": writes(&e.export_writes),
                "lease_writes": writes(&e.lease_writes),
                "schedule_writes": writes(&e.schedule_writes),
            },
            "playbook_id": self.playbook_id,
            "proc_snapshot": proc_json(self.proc_snapshot.as_ref()),
            "run_id": self.run_id,
            "telemetry_push": self.telemetry_push.as_ref().map_or(Value::Null, |t| json!({
                "bytes": t.bytes,
                "device_id": t.device_id,
                "mode": t.mode.as_str(),
                "records": t.records,
                "seg_id": t.seg_id,
                "source_bytes": t.source_bytes,
            })),
            "title": self.title,
        });
        if let (Some(f), Value::Object(m)) = (&self.failure, &mut v) {
            m.insert(
                "failure".into(),
                json!({
                    "error": f.error,
                    "lines": f.lines.iter().map(line_json).collect::<Vec<_>>(),
                    "step": f.step,
                }),
            );
        }
        v
    }

    /// `report.json` bytes.
    #[must_use]
    pub fn to_json(&self) -> String {
        to_string(&self.to_value(), Style::Report)
    }

    /// `audit.txt` bytes.
    #[must_use]
    pub fn audit_text(&self) -> String {
        if self.audit.is_empty() {
            String::new()
        } else {
            let mut s = self.audit.join("\n");
            s.push('\n');
            s
        }
    }

    /// Committed control lines.
    #[must_use]
    pub fn committed(&self) -> usize {
        self.plan_execution.writes().len()
    }

    /// Writes `<dir>/report.json` and `<dir>/audit.txt` atomically; returns their paths.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn write(&self, dir: &Path) -> Result<(PathBuf, PathBuf), Error> {
        let report = dir.join("report.json");
        let audit = dir.join("audit.txt");
        write_atomic(&report, self.to_json().as_bytes())?;
        write_atomic(&audit, self.audit_text().as_bytes())?;
        Ok((report, audit))
    }
}
