//! Bounds of every collection in the namespace model, the bounded line store they share, and
//! the counters of what the bounds dropped.
//!
//! Two overflow behaviours, taken from the real queen where it is known:
//!
//! * **evict-oldest** (logs, rings, windows): the newest line is kept, the oldest dropped;
//!   each drop is counted ([`Drops`]).
//! * **refusal** (tables): the write is refused with `reason=quota` (`buffer-full` or a named
//!   `ELIMIT` bound) and nothing changes; each refusal is counted in [`Drops::refused`].
//!
//! Every stored line is at most [`MAX_STORED_LINE`] bytes (longer appends are refused), so a
//! line cap is also a byte cap. The resulting steady-state bound is stated in
//! `docs/robustness.md` ("Simulator bounds").
//!
//! Where the manifest sizes a collection, the bound is `cohesix_generated`'s, used where the
//! collection lives: control plane tables and ctl budgets (`control_plane.*`), `/proc` node
//! byte bounds (`observability.proc_*`), the approval queue and policy ctl
//! (`ecosystem.policy.*`), host tickets (`ecosystem.host.tickets.*`), telemetry ingest
//! (`telemetry_ingest.*`, `coh.telemetry.max_devices`), worker rings
//! (`telemetry.ring_bytes_per_worker`), the audit windows (`ecosystem.audit.*`) and the line
//! bound below (`console.max_line_len`). The other constants here have no manifest key: they
//! are upstream root-task constants or the simulator's own caps.

use std::collections::VecDeque;

use cohesix_generated::console::MAX_LINE_LEN;

/// Longest line any namespace node stores: the console's inbound payload limit. Appends of
/// longer payloads through [`super::Namespace::append`] are refused
/// (`ELIMIT`, `detail=max_line_len`); over the console nothing longer can arrive.
pub const MAX_STORED_LINE: usize = MAX_LINE_LEN;

/// Live workers (upstream root-task `MAX_WORKERS`): a further spawn is refused with
/// `buffer-full`; a kill frees a slot.
pub const MAX_WORKERS: usize = 8;
/// Entries of the bind/mount table, shared by `bind` and `mount` (upstream root-task
/// `MAX_BINDS`). Re-binding the same target replaces the entry; a new target beyond the cap is
/// refused with `buffer-full`.
pub const MAX_BINDS: usize = 8;
/// `/trace/events` lines (evict-oldest). Equal to the CAT stream cap so a CAT of the node is
/// never `buffer-full` and never copies more than this many lines.
pub const TRACE_EVENTS_MAX_LINES: usize = 64;
/// Lines kept per `/gpu/<id>/status` node (evict-oldest).
pub const GPU_STATUS_MAX_LINES: usize = 64;
/// Lines kept per `/host/...` control node, `/host/tickets/*` included (evict-oldest). Status
/// nodes derived from controls (systemd `restarts=`) count every write, not the kept lines.
pub const HOST_CONTROL_MAX_LINES: usize = 64;
/// Entries of a `/bus/<adapter>/spool` (evict-oldest until a `replay` drains it).
pub const SPOOL_MAX_ENTRIES: usize = 64;
/// TAIL cursors one session keeps (evict-oldest: a forgotten cursor restarts that path's TAIL
/// from the kept window).
pub const CURSORS_MAX_ENTRIES: usize = 64;

/// What the bounds dropped or refused since boot. Eviction counters count lines; `refused`
/// counts writes refused because a bounded store was full or a byte budget was spent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Drops {
    /// `/log/queen.log` lines evicted.
    pub log_lines: u64,
    /// `/trace/events` lines evicted.
    pub trace_events: u64,
    /// Worker telemetry ring lines overwritten.
    pub ring_lines: u64,
    /// `/gpu/<id>/status` lines evicted.
    pub gpu_status_lines: u64,
    /// `/host/...` control lines evicted.
    pub host_control_lines: u64,
    /// Bus spool entries evicted.
    pub spool_entries: u64,
    /// Telemetry ingest segments evicted (`evict-oldest`).
    pub telemetry_segments: u64,
    /// `/audit/journal` lines evicted.
    pub audit_journal_lines: u64,
    /// `/audit/decisions` lines evicted.
    pub audit_decision_lines: u64,
    /// Writes refused by a bound (`buffer-full` or `ELIMIT`).
    pub refused: u64,
}

/// Text lines, oldest first, bounded by a line count and a byte count (each line counts its
/// bytes plus one for the newline); beyond either bound the oldest lines are evicted. The
/// newest line is always kept. Lines carry absolute numbers (`evicted_lines()` is the number
/// of the oldest kept line) and the kept text absolute byte offsets (`evicted_bytes()` ..
/// `end_bytes()`), so cursors survive eviction.
#[derive(Debug, Clone)]
pub struct LineStore {
    lines: VecDeque<String>,
    max_lines: usize,
    max_bytes: usize,
    bytes: usize,
    evicted_lines: u64,
    evicted_bytes: u64,
}

impl LineStore {
    /// An empty store keeping at most `max_lines` lines and `max_bytes` bytes.
    pub fn new(max_lines: usize, max_bytes: usize) -> Self {
        Self {
            lines: VecDeque::new(),
            max_lines: max_lines.max(1),
            max_bytes,
            bytes: 0,
            evicted_lines: 0,
            evicted_bytes: 0,
        }
    }

    /// Appends `line`; returns how many old lines it evicted.
    pub fn push(&mut self, line: impl Into<String>) -> u64 {
        let line = line.into();
        self.bytes += line.len() + 1;
        self.lines.push_back(line);
        let mut evicted = 0;
        while self.lines.len() > 1
            && (self.lines.len() > self.max_lines || self.bytes > self.max_bytes)
        {
            if let Some(old) = self.lines.pop_front() {
                self.bytes -= old.len() + 1;
                self.evicted_bytes += (old.len() + 1) as u64;
                self.evicted_lines += 1;
                evicted += 1;
            }
        }
        evicted
    }

    /// Drops every kept line (they count as evicted); returns how many there were.
    pub fn clear(&mut self) -> usize {
        let n = self.lines.len();
        self.evicted_lines += n as u64;
        self.evicted_bytes += self.bytes as u64;
        self.lines.clear();
        self.bytes = 0;
        n
    }

    /// Kept lines, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.lines.iter().map(String::as_str)
    }

    /// Kept line count.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Bytes kept (lines plus newlines).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Lines evicted since creation (= absolute number of the oldest kept line).
    pub fn evicted_lines(&self) -> u64 {
        self.evicted_lines
    }

    /// Bytes evicted since creation (= absolute offset of the oldest kept byte).
    pub fn evicted_bytes(&self) -> u64 {
        self.evicted_bytes
    }

    /// Absolute number one past the newest line.
    pub fn end_lines(&self) -> u64 {
        self.evicted_lines + self.lines.len() as u64
    }

    /// Absolute byte offset one past the newest line's newline.
    pub fn end_bytes(&self) -> u64 {
        self.evicted_bytes + self.bytes as u64
    }

    /// The newest line.
    pub fn last(&self) -> Option<&str> {
        self.lines.back().map(String::as_str)
    }

    /// Up to `max` newest lines numbered at or after `cursor`, and the new cursor.
    pub fn since(&self, cursor: u64, max: usize) -> (Vec<String>, u64) {
        let from = cursor.max(self.evicted_lines);
        let skip = usize::try_from(from - self.evicted_lines).unwrap_or(usize::MAX);
        let fresh = self.lines.len().saturating_sub(skip);
        let skip = skip + fresh.saturating_sub(max);
        let out = self.lines.iter().skip(skip).cloned().collect();
        (out, self.end_lines())
    }

    /// Every kept line, cloned (bounded by the store's caps).
    pub fn to_vec(&self) -> Vec<String> {
        self.lines.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_byte_caps_evict_oldest_and_keep_offsets() {
        let mut s = LineStore::new(3, 1000);
        for i in 0..5 {
            s.push(format!("l{i}"));
        }
        assert_eq!(s.to_vec(), vec!["l2", "l3", "l4"]);
        assert_eq!((s.evicted_lines(), s.end_lines()), (2, 5));
        assert_eq!((s.evicted_bytes(), s.end_bytes()), (6, 15));
        let mut b = LineStore::new(usize::MAX, 10);
        b.push("aaaa");
        assert_eq!(b.push("bbbb"), 0);
        assert_eq!(b.push("cc"), 1, "13 bytes > 10: the oldest goes");
        assert_eq!(b.bytes(), 8);
        assert_eq!(b.push("x".repeat(50)), 2, "an oversize line is kept alone");
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn since_caps_and_survives_eviction() {
        let mut s = LineStore::new(4, usize::MAX);
        for i in 0..6 {
            s.push(format!("{i}"));
        }
        assert_eq!(s.since(0, 2), (vec!["4".into(), "5".into()], 6));
        assert_eq!(s.since(3, 10).0, vec!["3", "4", "5"]);
        assert!(s.since(6, 10).0.is_empty());
        assert_eq!(s.clear(), 4);
        assert_eq!((s.evicted_lines(), s.end_lines()), (6, 6));
    }
}
