//! `/log/queen.log`: bounded append log with absolute line numbers for per-session cursors.

use super::bounds::LineStore;

/// Lines kept in memory (evict-oldest).
pub const LOG_CAPACITY: usize = 1024;
/// Lines one TAIL/LOG snapshot returns at most.
pub const SNAPSHOT_LINES: usize = 64;

/// The queen log.
#[derive(Debug, Clone)]
pub struct QueenLog {
    store: LineStore,
}

impl Default for QueenLog {
    fn default() -> Self {
        Self {
            store: LineStore::new(LOG_CAPACITY, usize::MAX),
        }
    }
}

impl QueenLog {
    /// Appends one line (a system `[...]` line or user text).
    pub fn push(&mut self, line: impl Into<String>) {
        self.store.push(line);
    }

    /// Absolute number one past the newest line.
    pub fn end(&self) -> u64 {
        self.store.end_lines()
    }

    /// Lines evicted since boot.
    pub fn evicted(&self) -> u64 {
        self.store.evicted_lines()
    }

    /// All kept lines, oldest first.
    pub fn lines(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.store.iter()
    }

    /// Up to [`SNAPSHOT_LINES`] newest lines at or after `cursor`; returns them and the new cursor.
    pub fn since(&self, cursor: u64) -> (Vec<String>, u64) {
        self.store.since(cursor, SNAPSHOT_LINES)
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
        assert_eq!(log.evicted(), 5);
    }
}
