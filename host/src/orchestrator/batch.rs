//! Batch accounting: lines are appended one at a time, in order, and every line's fate is
//! reported — nothing silently lost, nothing re-sent.
//!
//! ```text
//!  lines 1 .. k-1   Committed { bytes_written }     the target acknowledged them
//!  line  k          Refused { ack } | Unknown | Failed
//!  lines k+1 .. n   NotWritten                      never sent; safe to send again
//! ```
//!
//! * `Refused`: the target answered `ERR` (its line is kept); nothing was applied.
//! * `Unknown`: the line was sent and its acknowledgement never came; it may or may not
//!   have been applied, and it is **not** re-sent. Check the target (read the node, the
//!   `/proc` snapshot) before sending it again.
//! * `Failed`: the line was not sent (the connection could not be opened, or the backend
//!   refused it locally).
//!
//! A batch that stops is an [`crate::Error::Batch`] holding a [`BatchError`]:
//! the full [`BatchReport`] and the cause. Upstream's writer raised on line k and lost the
//! results of lines 1..k-1; this is a deliberate difference.

use cohesix_core::request::Verb;
use std::fmt;

use cohesix_tokio::Ack;

use super::audit::{Audit, AuditStatus};
use crate::backend::Backend;
use crate::error::{Error, ErrorKind};

/// One line ready to append: the control file and the payload (no newline).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PreparedLine {
    /// The control file.
    pub path: String,
    /// The line, without its newline.
    pub payload: String,
}

impl PreparedLine {
    /// A line for `path`.
    #[must_use]
    pub fn new(path: impl Into<String>, payload: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            payload: payload.into(),
        }
    }
}

/// A committed control line (upstream `ControlWriteResult`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ControlWriteResult {
    /// The control file.
    pub path: String,
    /// The line written, without its newline.
    pub payload: String,
    /// Bytes the target stored: the line plus its newline, on every backend.
    pub bytes_written: usize,
}

/// What happened to one line of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineOutcome {
    /// Acknowledged: applied.
    Committed {
        /// The line plus its newline.
        bytes_written: usize,
    },
    /// The target refused it (its `ERR` line when the backend has one): not applied.
    Refused {
        /// The refusal line.
        ack: Option<Ack>,
    },
    /// Sent, acknowledgement never seen: it may have been applied. Not re-sent.
    Unknown,
    /// Not sent: the connection failed first, or the backend refused it locally.
    Failed,
    /// After the line that stopped the batch: never sent.
    NotWritten,
}

impl LineOutcome {
    /// A short label (`committed`, `refused`, `unknown`, `failed`, `not-written`).
    #[must_use]
    pub const fn label(&self) -> &'static str {
        match self {
            Self::Committed { .. } => "committed",
            Self::Refused { .. } => "refused",
            Self::Unknown => "unknown",
            Self::Failed => "failed",
            Self::NotWritten => "not-written",
        }
    }

    /// Whether the line was certainly not applied (safe to send again).
    #[must_use]
    pub const fn is_not_applied(&self) -> bool {
        matches!(self, Self::Refused { .. } | Self::Failed | Self::NotWritten)
    }
}

/// One line of a [`BatchReport`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineReport {
    /// The control file.
    pub path: String,
    /// The line, without its newline.
    pub payload: String,
    /// Its fate.
    pub outcome: LineOutcome,
}

/// Per-line accounting of a batch, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// One entry per input line.
    pub lines: Vec<LineReport>,
}

impl BatchReport {
    /// The committed lines, in order.
    #[must_use]
    pub fn committed(&self) -> Vec<ControlWriteResult> {
        self.lines
            .iter()
            .filter_map(|l| match l.outcome {
                LineOutcome::Committed { bytes_written } => Some(ControlWriteResult {
                    path: l.path.clone(),
                    payload: l.payload.clone(),
                    bytes_written,
                }),
                _ => None,
            })
            .collect()
    }

    /// Index (0-based) of the line that stopped the batch.
    #[must_use]
    pub fn stopped_at(&self) -> Option<usize> {
        self.lines.iter().position(|l| {
            matches!(
                l.outcome,
                LineOutcome::Refused { .. } | LineOutcome::Unknown | LineOutcome::Failed
            )
        })
    }

    /// Number of lines with `outcome` of the same kind (`label`).
    #[must_use]
    pub fn count(&self, label: &str) -> usize {
        self.lines
            .iter()
            .filter(|l| l.outcome.label() == label)
            .count()
    }

    /// Whether every line was committed.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.lines
            .iter()
            .all(|l| matches!(l.outcome, LineOutcome::Committed { .. }))
    }
}

/// A batch that stopped: the per-line report and the error of the line that stopped it.
#[derive(Debug)]
pub struct BatchError {
    report: BatchReport,
    cause: Error,
}

impl BatchError {
    /// The per-line report (committed, the stopping line, not written).
    #[must_use]
    pub fn report(&self) -> &BatchReport {
        &self.report
    }

    /// The report, by value.
    #[must_use]
    pub fn into_report(self) -> BatchReport {
        self.report
    }

    /// The error of the line that stopped the batch.
    #[must_use]
    pub fn cause(&self) -> &Error {
        &self.cause
    }

    /// The line that stopped the batch.
    #[must_use]
    pub fn failed_line(&self) -> Option<&LineReport> {
        self.report
            .stopped_at()
            .and_then(|i| self.report.lines.get(i))
    }

    /// The lines committed before it.
    #[must_use]
    pub fn committed(&self) -> Vec<ControlWriteResult> {
        self.report.committed()
    }

    /// Who must act: as for the cause.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.cause.kind()
    }

    /// The report and the cause.
    #[must_use]
    pub fn into_parts(self) -> (BatchReport, Error) {
        (self.report, self.cause)
    }

    pub(crate) fn new(report: BatchReport, cause: Error) -> Self {
        Self { report, cause }
    }

    /// The same failure with `lines` (written earlier in the same operation) in front.
    pub(crate) fn prepend(mut self, mut lines: Vec<LineReport>) -> Self {
        lines.append(&mut self.report.lines);
        self.report.lines = lines;
        self
    }
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.report.lines.len();
        match self.report.stopped_at() {
            Some(i) => {
                let line = self.report.lines.get(i);
                let what = match line.map(|l| &l.outcome) {
                    Some(LineOutcome::Refused { .. }) => "refused",
                    Some(LineOutcome::Unknown) => "outcome unknown",
                    _ => "not sent",
                };
                write!(
                    f,
                    "control line {} of {n} for {} {what}: {}; {} committed before it, {} not written",
                    i + 1,
                    line.map_or("?", |l| l.path.as_str()),
                    self.cause,
                    self.report.count("committed"),
                    self.report.count("not-written"),
                )
            }
            None => write!(f, "control batch of {n} lines failed: {}", self.cause),
        }
    }
}

impl std::error::Error for BatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

/// How an append error is accounted: refused, unknown, or not sent. Anything that might
/// have reached the target is `Unknown`.
fn outcome_of(e: &Error) -> LineOutcome {
    match e.kind() {
        ErrorKind::Refused => LineOutcome::Refused {
            ack: e.refusal().cloned(),
        },
        // A protocol violation drops the connection with the write possibly applied.
        ErrorKind::Unknown | ErrorKind::Peer => LineOutcome::Unknown,
        ErrorKind::Caller | ErrorKind::Config | ErrorKind::Resource => LineOutcome::Failed,
        // The console reports a sent-but-unacknowledged write as OutcomeUnknown; its other
        // transport errors mean nothing was sent. A file or HTTP failure mid-write may have
        // written something.
        ErrorKind::Transport => match e {
            Error::Console(_) => LineOutcome::Failed,
            _ => LineOutcome::Unknown,
        },
    }
}

/// Appends `lines` in order, one append each, stopping at the first that is not
/// committed. Each committed line is audited `OK ECHO path=<p> bytes=<n>`; the stopping
/// line `ERR ECHO path=<p> outcome=<refused|unknown|failed> …`.
///
/// Cancel-safe in the batch sense: a dropped call may have committed a prefix (no line is
/// ever re-sent).
pub(crate) async fn write_lines<B: Backend + ?Sized>(
    backend: &B,
    audit: &Audit,
    lines: Vec<PreparedLine>,
) -> Result<BatchReport, Error> {
    let mut report = BatchReport {
        lines: Vec::with_capacity(lines.len()),
    };
    let mut cause = None;
    for line in lines {
        let outcome = if cause.is_some() {
            LineOutcome::NotWritten
        } else {
            match backend.append(&line.path, &line.payload).await {
                Ok(bytes_written) => {
                    audit.push_ack(
                        AuditStatus::Ok,
                        Verb::Echo.token(),
                        Some(&format!("path={} bytes={bytes_written}", line.path)),
                    );
                    LineOutcome::Committed { bytes_written }
                }
                Err(e) => {
                    let outcome = outcome_of(&e);
                    let detail = match &outcome {
                        LineOutcome::Refused { ack: Some(ack) } => {
                            format!("path={} outcome=refused ack={}", line.path, ack.raw())
                        }
                        other => format!("path={} outcome={} error={e}", line.path, other.label()),
                    };
                    audit.push_ack(AuditStatus::Err, Verb::Echo.token(), Some(&detail));
                    cause = Some(e);
                    outcome
                }
            }
        };
        report.lines.push(LineReport {
            path: line.path,
            payload: line.payload,
            outcome,
        });
    }
    match cause {
        None => Ok(report),
        Some(cause) => Err(Error::Batch(Box::new(BatchError::new(report, cause)))),
    }
}
