//! [`View`]: the bytes a file shows, with stable offsets.
//!
//! A file's content is fetched at most once per TTL (not on every `read` call) and kept
//! here, so chunked reads see one consistent snapshot and `tail -f` sees a file that only
//! grows:
//!
//! * a **stream** node (`TAIL`) appends each poll's new lines;
//! * a **snapshot** node (`CAT`) that grew by appending shows the new bytes at the end; one
//!   rewritten while a reader holds it open shows the new content appended after the old (so
//!   `tail -f` prints every new value); with no reader it simply shows the new content.
//!
//! Offsets are absolute: bytes evicted to keep the view within [`VIEW_CAP`] are dropped
//! from the front, whole lines at a time, and `base` moves on.

use std::time::{Instant, SystemTime};

use crate::ns::TailCursor;

/// Most bytes a view keeps.
pub const VIEW_CAP: usize = 256 * 1024;
/// Most bytes all views keep together; past it, views no handle reads are dropped (a
/// snapshot node is fetched again on its next use; a stream node restarts from its next
/// poll).
pub const VIEWS_BUDGET: usize = 16 * 1024 * 1024;

/// A file's visible bytes and what is known about it.
#[derive(Debug)]
pub struct View {
    base: u64,
    data: Vec<u8>,
    /// The last `CAT` result (snapshot nodes), unless `last_is_data`.
    last: Vec<u8>,
    /// The last `CAT` result is the whole view (no reader held it across a change).
    last_is_data: bool,
    /// When the bytes last changed (the file's mtime).
    pub changed: SystemTime,
    /// When the node was last fetched.
    pub fetched: Option<Instant>,
    /// The write epoch of that fetch.
    pub epoch: u64,
    /// Open handles reading the node.
    pub readers: u32,
    /// Whether the target serves reads of the node (`None`: not known yet).
    pub readable: Option<bool>,
    /// Whether the node outgrew the read bound at the last fetch.
    pub too_big: bool,
    /// The `TAIL` cursor state after the last poll (stream nodes).
    pub tail_cursor: Option<TailCursor>,
}

impl Default for View {
    fn default() -> Self {
        Self {
            base: 0,
            data: Vec::new(),
            last: Vec::new(),
            last_is_data: true,
            changed: SystemTime::now(),
            fetched: None,
            epoch: 0,
            readers: 0,
            readable: None,
            too_big: false,
            tail_cursor: None,
        }
    }
}

impl View {
    /// Absolute offset one past the last byte (the file size).
    #[must_use]
    pub fn end(&self) -> u64 {
        self.base + self.data.len() as u64
    }

    /// Bytes held (the kept bytes and the last fetch).
    #[must_use]
    pub fn held(&self) -> usize {
        self.data.len() + self.last.len()
    }

    /// Drops the bytes (offsets restart at 0 on the next fetch).
    pub fn forget(&mut self) {
        self.base = 0;
        self.data = Vec::new();
        self.last = Vec::new();
        self.last_is_data = true;
        self.fetched = None;
        self.tail_cursor = None;
    }

    /// Absolute offset of the first byte still kept.
    #[must_use]
    pub fn base(&self) -> u64 {
        self.base
    }

    /// Up to `size` bytes from absolute offset `at` (`at` ≥ [`View::base`]).
    #[must_use]
    pub fn slice(&self, at: u64, size: usize) -> &[u8] {
        let from = usize::try_from(at.saturating_sub(self.base)).unwrap_or(usize::MAX);
        let from = from.min(self.data.len());
        let to = from.saturating_add(size).min(self.data.len());
        self.data.get(from..to).unwrap_or_default()
    }

    /// Merges a `CAT` result of a snapshot node.
    pub fn merge_snapshot(&mut self, content: Vec<u8>) {
        if self.readers == 0 {
            if content != self.data || self.base != 0 {
                self.base = 0;
                self.data = content;
                self.changed = SystemTime::now();
            }
            // The last fetch is the view itself: no second copy.
            self.last = Vec::new();
            self.last_is_data = true;
            return;
        }
        let last = if self.last_is_data {
            self.data.as_slice()
        } else {
            self.last.as_slice()
        };
        if content == last {
            return;
        }
        if let Some(extra) = content.strip_prefix(last) {
            let extra = extra.to_vec();
            self.push(&extra);
        } else {
            self.push(&content);
        }
        self.last = content;
        self.last_is_data = false;
    }

    /// Merges a `TAIL` result of a stream node. With `overlap`, the result may repeat lines
    /// already shown (a restarted cursor, a snapshot backend): the longest run of its first
    /// lines that equals the view's last lines is skipped.
    pub fn merge_stream(&mut self, lines: &[u8], overlap: bool) {
        if lines.is_empty() {
            return;
        }
        let skip = if overlap { self.overlap(lines) } else { 0 };
        if let Some(rest) = lines.get(skip..) {
            if !rest.is_empty() {
                self.push(rest);
            }
        }
    }

    /// Bytes of `lines` (from its start, whole lines) already at the end of the view.
    fn overlap(&self, lines: &[u8]) -> usize {
        let new: Vec<&[u8]> = split_lines(lines);
        let old: Vec<&[u8]> = split_lines(&self.data);
        let most = new.len().min(old.len());
        for k in (1..=most).rev() {
            let tail = old.get(old.len() - k..).unwrap_or_default();
            let head = new.get(..k).unwrap_or_default();
            if tail == head {
                return head
                    .iter()
                    .map(|l| l.len() + 1)
                    .sum::<usize>()
                    .min(lines.len());
            }
        }
        0
    }

    fn push(&mut self, bytes: &[u8]) {
        self.data.extend_from_slice(bytes);
        if self.data.len() > VIEW_CAP {
            let over = self.data.len() - VIEW_CAP;
            // Cut after the newline at or past `over`: whole lines only.
            let cut = self
                .data
                .get(over..)
                .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
                .map_or(self.data.len(), |i| over + i + 1);
            self.data.drain(..cut);
            self.base += cut as u64;
        }
        self.changed = SystemTime::now();
    }
}

/// Lines of `bytes` without their `\n` (a last line without one counts too).
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if bytes.ends_with(b"\n") {
        v.pop();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_without_readers_show_the_current_content() {
        let mut v = View::default();
        v.merge_snapshot(b"seg-000001\n".to_vec());
        assert_eq!(v.slice(0, 100), b"seg-000001\n");
        v.merge_snapshot(b"seg-000002\n".to_vec());
        assert_eq!(v.slice(0, 100), b"seg-000002\n");
        assert_eq!(v.end(), 11);
    }

    #[test]
    fn snapshots_held_open_only_grow() {
        let mut v = View::default();
        v.merge_snapshot(b"a\n".to_vec());
        v.readers = 1;
        v.merge_snapshot(b"a\n".to_vec());
        v.merge_snapshot(b"a\nb\n".to_vec());
        assert_eq!(v.slice(0, 100), b"a\nb\n");
        // Rewritten: the new value follows the old one.
        v.merge_snapshot(b"c\n".to_vec());
        assert_eq!(v.slice(0, 100), b"a\nb\nc\n");
        assert_eq!(v.slice(4, 100), b"c\n");
    }

    #[test]
    fn streams_append_and_skip_repeated_lines_after_a_restart() {
        let mut v = View::default();
        v.merge_stream(b"l1\nl2\nl3\n", false);
        v.merge_stream(b"l4\n", false);
        assert_eq!(v.slice(0, 100), b"l1\nl2\nl3\nl4\n");
        // A restarted cursor repeats recent lines: only the new ones are added.
        v.merge_stream(b"l3\nl4\nl5\n", true);
        assert_eq!(v.slice(0, 100), b"l1\nl2\nl3\nl4\nl5\n");
        v.merge_stream(b"other\n", true);
        assert_eq!(v.slice(15, 100), b"other\n");
        // Without overlap, identical lines are new lines.
        v.merge_stream(b"other\n", false);
        assert_eq!(v.end(), 27);
    }

    #[test]
    fn the_view_is_bounded_in_whole_lines_with_stable_offsets() {
        let mut v = View::default();
        let line = [b'x'; 99]
            .iter()
            .copied()
            .chain([b'\n'])
            .collect::<Vec<u8>>();
        for _ in 0..3000 {
            v.merge_stream(&line, false);
        }
        assert!(v.end() - v.base() <= VIEW_CAP as u64);
        assert_eq!(v.end(), 300_000);
        assert_eq!(v.base() % 100, 0);
        assert_eq!(v.slice(v.base(), 100), line.as_slice());
        assert_eq!(v.slice(v.end(), 10), b"");
        assert!(v.held() <= VIEW_CAP);
        v.forget();
        assert_eq!((v.end(), v.held(), v.fetched), (0, 0, None));
    }
}
