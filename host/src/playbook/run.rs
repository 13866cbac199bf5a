//! Running one playbook against one queen (host-surface §6.3).
//!
//! ```text
//!  run id (live runs) ─► approvals ─► schedule ─► leases ─► exports ─► /proc snapshot ┐
//!                        (one append per line, stop at the first line not committed)   ├─► telemetry push
//!  host probes (local, concurrently with the console work; also in a dry run) ─────────┘   of the host snapshot
//! ```
//!
//! A dry run validates every line, writes nothing and opens no connection (the backends are
//! lazy and nothing touches them); the host probes still run unless disabled. A step that
//! fails stops the plan: the report records every line's fate and is still written.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cohesix_probes::{collect_host_snapshot, snapshot_to_ndjson, HostSnapshot, SnapshotOptions};

use super::model::Playbook;
use super::report::{Failure, PlaybookReport};
use super::runid::RunId;
use crate::backend::Backend;
use crate::error::Error;
use crate::orchestrator::{BatchReport, LineOutcome, LineReport, Orchestrator, PlanExecution};

/// The steps of a run, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// Approvals to `/actions/queue`.
    Approvals,
    /// Schedule entries.
    Schedule,
    /// Lease operations.
    Leases,
    /// Export operations.
    Exports,
    /// The `/proc` snapshot.
    ProcSnapshot,
    /// The host probes.
    HostSnapshot,
    /// The host snapshot's telemetry push.
    TelemetryPush,
}

impl Step {
    /// The name in reports and progress lines.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Approvals => "approvals",
            Self::Schedule => "schedule",
            Self::Leases => "leases",
            Self::Exports => "exports",
            Self::ProcSnapshot => "proc-snapshot",
            Self::HostSnapshot => "host-snapshot",
            Self::TelemetryPush => "telemetry-push",
        }
    }
}

/// How a step ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepOutcome {
    /// Done; `detail` says what (e.g. `3 lines`).
    Ok {
        /// A short summary.
        detail: String,
    },
    /// Not run (dry run, disabled, or after a failure).
    Skipped {
        /// Why.
        why: &'static str,
    },
    /// Failed.
    Failed {
        /// The error.
        error: String,
    },
}

/// A progress event (the CLI renders them; the library never prints).
#[derive(Clone, Debug)]
pub struct StepEvent {
    /// The queen (fleet runs) or `None`.
    pub target: Option<String>,
    /// The step.
    pub step: Step,
    /// Its outcome.
    pub outcome: StepOutcome,
    /// How long it took.
    pub elapsed: Duration,
}

/// Receives progress events.
pub trait Progress: Send + Sync {
    /// One step ended.
    fn step(&self, event: &StepEvent);
}

/// No progress output.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn step(&self, _: &StepEvent) {}
}

/// Where the host snapshot comes from.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum HostInput {
    /// Collect it now, with these options (concurrently with the console work).
    Collect(Box<SnapshotOptions>),
    /// Already collected (a fleet collects once for every queen).
    Given(Arc<HostSnapshot>),
    /// None.
    Skip,
}

/// Options of a run.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RunOptions {
    /// Validate and report; write nothing, open no connection.
    pub dry_run: bool,
    /// Read the `/proc` snapshot after the plan (live runs).
    pub proc_snapshot: bool,
    /// Push the host snapshot as telemetry (live runs).
    pub push_host_snapshot: bool,
    /// The run id (live runs); `None` makes a fresh one.
    pub run_id: Option<RunId>,
    /// A label for progress events (the queen's name in a fleet).
    pub target: Option<String>,
}

impl RunOptions {
    /// A live run with every step on.
    #[must_use]
    pub fn new() -> Self {
        Self {
            dry_run: false,
            proc_snapshot: true,
            push_host_snapshot: true,
            run_id: None,
            target: None,
        }
    }

    /// Dry run or not.
    #[must_use]
    pub fn dry_run(mut self, on: bool) -> Self {
        self.dry_run = on;
        self
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// The probe options a playbook asks for (the five probes, its units, namespace, selector).
#[must_use]
pub fn snapshot_options(book: &Playbook) -> SnapshotOptions {
    let p = &book.probes;
    SnapshotOptions {
        systemd_units: Some(p.systemd.clone()),
        include_docker: p.docker,
        include_k8s: p.k8s,
        include_nvidia: p.nvml,
        include_peft: p.peft,
        k8s_namespace: p.k8s_namespace.clone(),
        k8s_label_selector: p.k8s_label_selector.clone(),
        ..SnapshotOptions::default()
    }
}

struct Clock<'p> {
    progress: &'p dyn Progress,
    target: Option<String>,
}

impl Clock<'_> {
    fn emit(&self, step: Step, outcome: StepOutcome, started: Instant) {
        self.progress.step(&StepEvent {
            target: self.target.clone(),
            step,
            outcome,
            elapsed: started.elapsed(),
        });
    }
}

/// Runs `book` through `orch`. Never fails as a whole: a failed step is recorded in the
/// report's `failure` and the later steps are skipped. A dry run needs no orchestrator
/// (`None`): it validates and reports without any backend.
///
/// Cancel-safe in the orchestrator's sense (a dropped run may have committed a prefix; the
/// report is lost with it).
pub async fn run_playbook<B: Backend>(
    orch: Option<&Orchestrator<B>>,
    book: &Playbook,
    options: &RunOptions,
    host: HostInput,
    progress: &dyn Progress,
) -> PlaybookReport {
    let clock = Clock {
        progress,
        target: options.target.clone(),
    };
    let run_id = (!options.dry_run).then(|| options.run_id.clone().unwrap_or_else(RunId::fresh));
    let mut report = PlaybookReport {
        playbook_id: book.id.clone(),
        title: book.title.clone(),
        fleet: book.fleet.clone(),
        objective: book.objective.clone(),
        dry_run: options.dry_run,
        run_id: run_id.as_ref().map(|r| r.as_str().to_owned()),
        ..PlaybookReport::default()
    };
    let host_work = async {
        let started = Instant::now();
        let snap = match host {
            HostInput::Collect(o) => Some(Arc::new(collect_host_snapshot(&o).await)),
            HostInput::Given(s) => Some(s),
            HostInput::Skip => None,
        };
        let outcome = match &snap {
            Some(s) => StepOutcome::Ok {
                detail: format!("{} probes", s.results.len()),
            },
            None => StepOutcome::Skipped { why: "disabled" },
        };
        clock.emit(Step::HostSnapshot, outcome, started);
        snap
    };
    let console_work = console_steps(orch, book, options, run_id.as_ref(), &clock);
    let (snap, (execution, proc, failure)) = tokio::join!(host_work, console_work);
    report.plan_execution = execution;
    report.proc_snapshot = proc;
    report.failure = failure;
    if let Some(s) = &snap {
        report.host_snapshot = Some((**s).clone());
    }
    // The push needs both: a live run whose plan went through, and a snapshot.
    let started = Instant::now();
    let push = if options.dry_run || !options.push_host_snapshot {
        StepOutcome::Skipped {
            why: if options.dry_run {
                "dry run"
            } else {
                "disabled"
            },
        }
    } else if report.failure.is_some() {
        StepOutcome::Skipped {
            why: "an earlier step failed",
        }
    } else if let (Some(s), Some(orch)) = (snap.as_deref(), orch) {
        let ndjson = snapshot_to_ndjson(s);
        if ndjson.trim().is_empty() {
            StepOutcome::Skipped {
                why: "empty snapshot",
            }
        } else {
            match orch
                .telemetry_push(
                    &book.telemetry_device_id,
                    ndjson.as_bytes(),
                    "application/x-ndjson",
                )
                .await
            {
                Ok(t) => {
                    let detail = format!("{} records to {}", t.records, t.seg_id);
                    report.telemetry_push = Some(t);
                    StepOutcome::Ok { detail }
                }
                Err(e) => {
                    report.failure = Some(Failure {
                        step: Step::TelemetryPush.label().into(),
                        error: e.to_string(),
                        transport: is_transport(&e),
                        lines: e
                            .batch()
                            .map(|b| b.report().lines.clone())
                            .unwrap_or_default(),
                    });
                    StepOutcome::Failed {
                        error: e.to_string(),
                    }
                }
            }
        }
    } else {
        StepOutcome::Skipped {
            why: "no host snapshot",
        }
    };
    clock.emit(Step::TelemetryPush, push, started);
    report.audit = orch.map(|o| o.audit().lines()).unwrap_or_default();
    report
}

/// Approvals, schedule, leases, exports (stop at the first failure), then `/proc`.
async fn console_steps<B: Backend>(
    orch: Option<&Orchestrator<B>>,
    book: &Playbook,
    options: &RunOptions,
    run_id: Option<&RunId>,
    clock: &Clock<'_>,
) -> (
    PlanExecution,
    Option<crate::orchestrator::ProcSnapshot>,
    Option<Failure>,
) {
    let map = |id: &str| run_id.map_or_else(|| id.to_owned(), |r| r.apply(id));
    let ids = book.ids_with(&map);
    let lines = match ids.plan().map_err(Error::from).and_then(|p| p.prepare()) {
        Ok(l) => l,
        Err(e) => {
            let failure = Failure {
                step: Step::Approvals.label().into(),
                error: e.to_string(),
                transport: false,
                lines: Vec::new(),
            };
            return (PlanExecution::default(), None, Some(failure));
        }
    };
    let steps = [
        (Step::Approvals, book.approvals.len()),
        (Step::Schedule, book.schedule.len()),
        (Step::Leases, book.leases.len()),
        (Step::Exports, book.exports.len()),
    ];
    if options.dry_run {
        for (step, n) in steps {
            clock.emit(
                step,
                StepOutcome::Ok {
                    detail: format!("{n} lines validated, not written"),
                },
                Instant::now(),
            );
        }
        clock.emit(
            Step::ProcSnapshot,
            StepOutcome::Skipped { why: "dry run" },
            Instant::now(),
        );
        return (
            PlanExecution {
                dry_run: true,
                planned: lines,
                ..PlanExecution::default()
            },
            None,
            None,
        );
    }
    let Some(orch) = orch else {
        let failure = Failure {
            step: Step::Approvals.label().into(),
            error: "a live run needs a backend".into(),
            transport: false,
            lines: Vec::new(),
        };
        return (PlanExecution::default(), None, Some(failure));
    };
    let mut all = BatchReport::default();
    let mut failure: Option<Failure> = None;
    let mut rest = lines.into_iter();
    for (step, n) in steps {
        let section: Vec<_> = rest.by_ref().take(n).collect();
        let started = Instant::now();
        if failure.is_some() {
            all.lines.extend(section.into_iter().map(|l| LineReport {
                path: l.path,
                payload: l.payload,
                outcome: LineOutcome::NotWritten,
            }));
            clock.emit(
                step,
                StepOutcome::Skipped {
                    why: "an earlier step failed",
                },
                started,
            );
            continue;
        }
        match orch.write_prepared(section).await {
            Ok(r) => {
                clock.emit(
                    step,
                    StepOutcome::Ok {
                        detail: format!("{} lines", r.lines.len()),
                    },
                    started,
                );
                all.lines.extend(r.lines);
            }
            Err(e) => {
                if let Some(b) = e.batch() {
                    all.lines.extend(b.report().lines.iter().cloned());
                }
                clock.emit(
                    step,
                    StepOutcome::Failed {
                        error: e.to_string(),
                    },
                    started,
                );
                failure = Some(Failure {
                    step: step.label().into(),
                    error: e.to_string(),
                    transport: is_transport(&e),
                    lines: Vec::new(),
                });
            }
        }
    }
    let execution = PlanExecution::from_report(&all);
    if let Some(f) = &mut failure {
        f.lines = all.lines;
        clock.emit(
            Step::ProcSnapshot,
            StepOutcome::Skipped {
                why: "an earlier step failed",
            },
            Instant::now(),
        );
        return (execution, None, failure);
    }
    let started = Instant::now();
    if !options.proc_snapshot {
        clock.emit(
            Step::ProcSnapshot,
            StepOutcome::Skipped { why: "disabled" },
            started,
        );
        return (execution, None, None);
    }
    match orch.read_proc_snapshot().await {
        Ok(p) => {
            let detail = format!("{} active leases", p.lease_active.len());
            clock.emit(Step::ProcSnapshot, StepOutcome::Ok { detail }, started);
            (execution, Some(p), None)
        }
        Err(e) => {
            clock.emit(
                Step::ProcSnapshot,
                StepOutcome::Failed {
                    error: e.to_string(),
                },
                started,
            );
            let failure = Failure {
                step: Step::ProcSnapshot.label().into(),
                error: e.to_string(),
                transport: is_transport(&e),
                lines: all.lines,
            };
            (execution, None, Some(failure))
        }
    }
}

/// Whether `e` is a transport fault (a batch's cause counts).
fn is_transport(e: &Error) -> bool {
    let e = e.batch().map_or(e, |b| b.cause());
    e.kind() == crate::error::ErrorKind::Transport
}
