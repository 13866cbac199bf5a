//! [`Audit`]: the transcript of what an orchestrator did (host-surface §1.5), for reports
//! and receipts to embed.
//!
//! Lines have upstream's shape: `"<OK|ERR> <VERB>[ <detail>]"`, e.g.
//! `OK ECHO path=/queen/lease/ctl bytes=84` per committed control line and
//! `OK CAT path=/proc/lease/active` per `/proc` read. This implementation also records
//! failures (`ERR ECHO path=<p> outcome=refused …`), so a transcript shows where a batch
//! stopped. No line holds a secret: payloads are never copied in, only paths, byte counts
//! and the target's refusal text.
//!
//! The transcript is bounded ([`AUDIT_MAX_LINES`] lines of at most [`AUDIT_MAX_LINE_BYTES`]
//! bytes): beyond it the oldest lines are dropped and counted ([`Audit::dropped`]).

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// Most lines an [`Audit`] keeps.
pub const AUDIT_MAX_LINES: usize = 4096;
/// Longest audit line kept (longer lines are cut on a character boundary).
pub const AUDIT_MAX_LINE_BYTES: usize = 512;

/// The status of an acknowledged step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditStatus {
    /// `OK`.
    Ok,
    /// `ERR`.
    Err,
}

impl AuditStatus {
    /// `OK` or `ERR`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Err => "ERR",
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    lines: VecDeque<String>,
    dropped: u64,
    total: u64,
}

/// A shared, bounded audit transcript. Cloning shares it (one transcript for an
/// orchestrator and everything built on it).
#[derive(Clone, Debug, Default)]
pub struct Audit {
    inner: Arc<Mutex<Inner>>,
}

fn cut(mut line: String) -> String {
    if line.len() > AUDIT_MAX_LINE_BYTES {
        let mut end = AUDIT_MAX_LINE_BYTES;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
    }
    line
}

impl Audit {
    /// An empty transcript.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut g)
    }

    /// Appends `"<STATUS> <VERB>[ <detail>]"` (the verb upper-cased).
    pub fn push_ack(&self, status: AuditStatus, verb: &str, detail: Option<&str>) {
        let mut line = format!("{} {}", status.as_str(), verb.to_ascii_uppercase());
        if let Some(d) = detail.filter(|d| !d.is_empty()) {
            line.push(' ');
            line.push_str(d);
        }
        self.push_line(line);
    }

    /// Appends a raw line (line breaks are replaced by spaces: one entry, one line).
    pub fn push_line(&self, line: impl Into<String>) {
        let line = cut(line.into().replace(['\n', '\r'], " "));
        self.with(|a| {
            if a.lines.len() >= AUDIT_MAX_LINES {
                a.lines.pop_front();
                a.dropped += 1;
            }
            a.lines.push_back(line);
            a.total += 1;
        });
    }

    /// The lines kept, oldest first.
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        self.with(|a| a.lines.iter().cloned().collect())
    }

    /// Lines pushed since `mark` (a value of [`Audit::mark`]) that are still kept.
    #[must_use]
    pub fn since(&self, mark: u64) -> Vec<String> {
        self.with(|a| {
            let first_kept = a.total - a.lines.len() as u64;
            let skip = mark.saturating_sub(first_kept);
            a.lines
                .iter()
                .skip(usize::try_from(skip).unwrap_or(usize::MAX))
                .cloned()
                .collect()
        })
    }

    /// A position in the transcript (the number of lines ever pushed).
    #[must_use]
    pub fn mark(&self) -> u64 {
        self.with(|a| a.total)
    }

    /// Lines dropped because of the bound.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.with(|a| a.dropped)
    }

    /// Number of lines kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.with(|a| a.lines.len())
    }

    /// Whether no line is kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every line and the drop counter ([`Audit::mark`] keeps counting, so older
    /// marks stay meaningful).
    pub fn clear(&self) {
        self.with(|a| {
            a.lines.clear();
            a.dropped = 0;
        });
    }

    /// The transcript as a file: each line followed by `\n` (upstream's `audit.txt`).
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for l in self.lines() {
            out.push_str(&l);
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for Audit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_have_upstream_shape_and_the_bound_holds() {
        let a = Audit::new();
        a.push_ack(AuditStatus::Ok, "echo", Some("path=/x bytes=3"));
        a.push_ack(AuditStatus::Err, "cat", None);
        a.push_line("free\ntext");
        assert_eq!(
            a.lines(),
            ["OK ECHO path=/x bytes=3", "ERR CAT", "free text"]
        );
        assert_eq!(a.to_text(), "OK ECHO path=/x bytes=3\nERR CAT\nfree text\n");
        let m = a.mark();
        a.push_line("later");
        assert_eq!(a.since(m), ["later"]);
        for i in 0..AUDIT_MAX_LINES {
            a.push_line(format!("l{i}"));
        }
        assert_eq!(a.len(), AUDIT_MAX_LINES);
        assert_eq!(a.dropped(), 4);
        assert_eq!(a.since(m).len(), AUDIT_MAX_LINES);
        a.push_line("é".repeat(AUDIT_MAX_LINE_BYTES));
        assert!(a.lines().last().unwrap().len() <= AUDIT_MAX_LINE_BYTES);
        a.clear();
        assert!(a.is_empty());
        assert_eq!(a.dropped(), 0);
        assert!(a.mark() > m);
    }
}
