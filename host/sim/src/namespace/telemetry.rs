//! Telemetry: `/queen/telemetry/<dev>/{ctl,latest,seg/<seg-NNNNNN>}` ingest (bounds from
//! `cohesix_generated::telemetry_ingest`) and worker telemetry rings (`/worker/<id>/telemetry`).

use std::collections::{BTreeMap, VecDeque};

use cohesix_generated::telemetry_ingest::{
    MAX_BYTES_PER_SEGMENT, MAX_SEGMENTS_PER_DEVICE, MAX_TOTAL_BYTES_PER_DEVICE,
};

use super::error::{NsError, NsResult};
use super::json::{parse_strict, NewSegment};

/// `[telemetry] ring_bytes_per_worker` (not yet in `cohesix_generated`).
pub const RING_BYTES_PER_WORKER: usize = 1024;

#[derive(Debug, Clone, Default)]
struct Segment {
    id: String,
    text: String,
}

/// One ingest device.
#[derive(Debug, Clone, Default)]
pub struct Device {
    counter: u32,
    segments: VecDeque<Segment>,
}

impl Device {
    fn total(&self) -> usize {
        self.segments.iter().map(|s| s.text.len()).sum()
    }

    /// Id of the newest segment.
    pub fn latest(&self) -> Option<&str> {
        self.segments.back().map(|s| s.id.as_str())
    }

    /// Segment ids, oldest first.
    pub fn segment_ids(&self) -> Vec<String> {
        self.segments.iter().map(|s| s.id.clone()).collect()
    }

    /// Lines of one segment.
    pub fn segment_lines(&self, id: &str) -> Option<Vec<String>> {
        self.segments
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.text.lines().map(str::to_owned).collect())
    }

    /// `{"new":"segment","mime":..}`: opens the next segment, evicting the oldest beyond bounds.
    pub fn new_segment(&mut self, payload: &str) -> NsResult<String> {
        let req: NewSegment = parse_strict(payload)?;
        if req.new != "segment" || req.mime.trim().is_empty() {
            return Err(NsError::InvalidPayload);
        }
        self.counter += 1;
        let id = format!("seg-{:06}", self.counter);
        while self.segments.len() >= MAX_SEGMENTS_PER_DEVICE as usize {
            self.segments.pop_front();
        }
        self.segments.push_back(Segment {
            id: id.clone(),
            text: String::new(),
        });
        Ok(id)
    }

    /// Appends a record (a newline is added when missing) to segment `id`.
    pub fn append(&mut self, id: &str, payload: &str) -> NsResult<()> {
        let mut record = payload.to_string();
        if !record.ends_with('\n') {
            record.push('\n');
        }
        let total = self.total();
        let seg = self
            .segments
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or(NsError::InvalidPath)?;
        if seg.text.len() + record.len() > MAX_BYTES_PER_SEGMENT as usize {
            return Err(NsError::Limit {
                detail: "max_bytes_per_segment",
            });
        }
        if total + record.len() > MAX_TOTAL_BYTES_PER_DEVICE as usize {
            return Err(NsError::Limit {
                detail: "max_total_bytes_per_device",
            });
        }
        seg.text.push_str(&record);
        Ok(())
    }
}

/// All ingest devices.
#[derive(Debug, Clone, Default)]
pub struct Ingest {
    /// Devices by id.
    pub devices: BTreeMap<String, Device>,
}

/// A worker's telemetry ring: lines with absolute numbers, bounded in bytes.
#[derive(Debug, Clone, Default)]
pub struct Ring {
    lines: VecDeque<String>,
    base: u64,
}

impl Ring {
    /// Appends a line; returns true when older lines were overwritten (wrap).
    pub fn push(&mut self, line: &str) -> bool {
        self.lines.push_back(line.to_string());
        let mut wrapped = false;
        while self.bytes() > RING_BYTES_PER_WORKER && self.lines.len() > 1 {
            self.lines.pop_front();
            self.base += 1;
            wrapped = true;
        }
        wrapped
    }

    fn bytes(&self) -> usize {
        self.lines.iter().map(|l| l.len() + 1).sum()
    }

    /// Lines at or after `cursor` and the new cursor.
    pub fn since(&self, cursor: u64) -> (Vec<String>, u64) {
        let from = cursor.max(self.base);
        let skip = usize::try_from(from - self.base).unwrap_or(usize::MAX);
        let out = self.lines.iter().skip(skip).cloned().collect();
        (out, self.base + self.lines.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW: &str = r#"{"new":"segment","mime":"text/plain"}"#;

    #[test]
    fn segments_count_up_and_evict_oldest() {
        let mut d = Device::default();
        for i in 1..=5 {
            assert_eq!(d.new_segment(NEW).unwrap(), format!("seg-{i:06}"));
        }
        assert_eq!(d.segment_ids().len(), MAX_SEGMENTS_PER_DEVICE as usize);
        assert!(d.segment_lines("seg-000001").is_none());
        assert_eq!(d.latest(), Some("seg-000005"));
        d.append("seg-000005", "rec").unwrap();
        assert_eq!(d.segment_lines("seg-000005").unwrap(), vec!["rec"]);
        assert_eq!(d.append("seg-000001", "x"), Err(NsError::InvalidPath));
        assert_eq!(
            d.new_segment(r#"{"new":"segment"}"#),
            Err(NsError::InvalidPayload)
        );
    }

    #[test]
    fn segment_byte_bound() {
        let mut d = Device::default();
        let id = d.new_segment(NEW).unwrap();
        let chunk = "x".repeat(127);
        let n = MAX_BYTES_PER_SEGMENT as usize / 128;
        for _ in 0..n {
            d.append(&id, &chunk).unwrap();
        }
        assert_eq!(
            d.append(&id, &chunk),
            Err(NsError::Limit {
                detail: "max_bytes_per_segment"
            })
        );
    }

    #[test]
    fn ring_wraps_and_cursor_follows() {
        let mut r = Ring::default();
        let line = "w".repeat(99);
        let mut wrapped = false;
        for _ in 0..12 {
            wrapped |= r.push(&line);
        }
        assert!(wrapped);
        let (lines, cur) = r.since(0);
        assert_eq!(lines.len(), RING_BYTES_PER_WORKER / 100);
        r.push("tail");
        assert_eq!(r.since(cur).0, vec!["tail".to_string()]);
    }
}
