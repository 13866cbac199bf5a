//! `/log/queen.log`: bounded append log with absolute line numbers for per-session cursors.

use std::collections::VecDeque;

/// Lines kept in memory.
pub const LOG_CAPACITY: usize = 1024;
/// Lines one TAIL/LOG snapshot returns at most.
pub const SNAPSHOT_LINES: usize = 64;

/// The queen log.
#[derive(Debug, Clone, Default)]
pub struct QueenLog {
    lines: VecDeque<String>,
    /// Absolute number of the first kept line.
    base: u64,
}

impl QueenLog {
    /// Appends one line (a system `[...]` line or user text).
    pub fn push(&mut self, line: impl Into<String>) {
        if self.lines.len() >= LOG_CAPACITY {
            self.lines.pop_front();
            self.base += 1;
        }
        self.lines.push_back(line.into());
    }

    /// Absolute number one past the newest line.
    pub fn end(&self) -> u64 {
        self.base + self.lines.len() as u64
    }

    /// All kept lines, oldest first.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(String::as_str)
    }

    /// Up to [`SNAPSHOT_LINES`] newest lines at or after `cursor`; returns them and the new cursor.
    pub fn since(&self, cursor: u64) -> (Vec<String>, u64) {
        let from = cursor.max(self.base);
        let skip = usize::try_from(from - self.base).unwrap_or(usize::MAX);
        let fresh: Vec<&String> = self.lines.iter().skip(skip).collect();
        let start = fresh.len().saturating_sub(SNAPSHOT_LINES);
        let out = fresh[start..].iter().map(|s| (*s).clone()).collect();
        (out, self.end())
    }

    /// The newest [`SNAPSHOT_LINES`] lines (LOG verb).
    pub fn snapshot(&self) -> Vec<String> {
        self.since(0).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_returns_only_new_lines_and_caps() {
        let mut log = QueenLog::default();
        for i in 0..70 {
            log.push(format!("l{i}"));
        }
        let (first, cur) = log.since(0);
        assert_eq!(first.len(), SNAPSHOT_LINES);
        assert_eq!(first[0], "l6");
        log.push("new");
        let (second, cur2) = log.since(cur);
        assert_eq!(second, vec!["new".to_string()]);
        assert_eq!(log.since(cur2).0.len(), 0);
    }

    #[test]
    fn capacity_evicts_oldest() {
        let mut log = QueenLog::default();
        for i in 0..(LOG_CAPACITY + 5) {
            log.push(format!("{i}"));
        }
        assert_eq!(log.lines().next(), Some("5"));
        assert_eq!(log.end(), (LOG_CAPACITY + 5) as u64);
    }
}
