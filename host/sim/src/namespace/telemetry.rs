//! Telemetry: `/queen/telemetry/<dev>/{ctl,latest,seg/<seg-NNNNNN>}` ingest (bounds from
//! `cohesix_generated::telemetry_ingest`, device count from `coh.telemetry.max_devices`) and
//! worker telemetry rings (`/worker/<id>/telemetry`).

use std::collections::{BTreeMap, VecDeque};

use cohesix_core::control::NewSegment;
use cohesix_generated::telemetry_ingest::{
    MAX_BYTES_PER_SEGMENT, MAX_SEGMENTS_PER_DEVICE, MAX_TOTAL_BYTES_PER_DEVICE,
};

use super::bounds::LineStore;
use super::error::{NsError, NsResult};
use super::records::Mode;

/// `[telemetry] ring_bytes_per_worker`.
pub const RING_BYTES_PER_WORKER: usize =
    cohesix_generated::telemetry::RING_BYTES_PER_WORKER as usize;
/// Ingest devices (`client_policies.coh.telemetry.max_devices`): a segment request for a new
/// device beyond it is refused (`ELIMIT`, `detail=max_devices`); known devices keep working.
pub const MAX_DEVICES: usize = cohesix_generated::coh::telemetry::MAX_DEVICES;

#[derive(Debug, Clone, Default)]
struct Segment {
    id: String,
    text: String,
    mode: Mode,
}

/// One ingest device.
#[derive(Debug, Clone, Default)]
pub struct Device {
    counter: u32,
    segments: VecDeque<Segment>,
    evicted: u64,
}

impl Device {
    fn total(&self) -> usize {
        self.segments.iter().map(|s| s.text.len()).sum()
    }

    /// Segments evicted since the device appeared.
    pub fn evicted(&self) -> u64 {
        self.evicted
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
        check_new_segment(payload)?;
        self.counter = self.counter.saturating_add(1);
        let id = format!("seg-{:06}", self.counter);
        while self.segments.len() >= MAX_SEGMENTS_PER_DEVICE as usize {
            self.segments.pop_front();
            self.evicted += 1;
        }
        self.segments.push_back(Segment {
            id: id.clone(),
            ..Segment::default()
        });
        Ok(id)
    }

    /// Appends a line (a newline is added when missing) to segment `id`: push records must
    /// follow the segment's record rules (`namespace::records`), every line the byte bounds.
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
        let mode = seg.mode.admit(payload)?;
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
        seg.mode = mode;
        Ok(())
    }
}

/// `{"new":"segment","mime":..}`, decoded by the core's [`NewSegment`].
fn check_new_segment(payload: &str) -> NsResult<()> {
    NewSegment::decode(payload.as_bytes())?;
    Ok(())
}

/// All ingest devices (at most `MAX_DEVICES`).
#[derive(Debug, Clone, Default)]
pub struct Ingest {
    /// Devices by id.
    pub devices: BTreeMap<String, Device>,
}

impl Ingest {
    /// Opens the next segment of device `id` (created if there is room; a refused payload
    /// creates nothing). Returns the segment id.
    pub fn new_segment(&mut self, id: &str, payload: &str) -> NsResult<String> {
        check_new_segment(payload)?;
        if !self.devices.contains_key(id) && self.devices.len() >= MAX_DEVICES {
            return Err(NsError::Limit {
                detail: "max_devices",
            });
        }
        self.devices
            .entry(id.to_string())
            .or_default()
            .new_segment(payload)
    }

    /// Seeds the host library's mock device (host-surface §5.3): `device-1` with
    /// `seg-000001` = `{"seq":1}` and its counter at 1.
    pub fn seed_mock(&mut self) {
        let mut d = Device {
            counter: 1,
            ..Device::default()
        };
        d.segments.push_back(Segment {
            id: "seg-000001".to_string(),
            text: "{\"seq\":1}\n".to_string(),
            mode: Mode::None,
        });
        self.devices.insert("device-1".to_string(), d);
    }

    /// Segments evicted over all devices.
    pub fn evicted(&self) -> u64 {
        self.devices.values().map(Device::evicted).sum()
    }
}

/// A worker's telemetry ring: lines with absolute numbers, bounded to
/// [`RING_BYTES_PER_WORKER`] bytes (the newest line is always kept).
#[derive(Debug, Clone)]
pub struct Ring {
    store: LineStore,
}

impl Default for Ring {
    fn default() -> Self {
        Self {
            store: LineStore::new(usize::MAX, RING_BYTES_PER_WORKER),
        }
    }
}

impl Ring {
    /// Appends a line; returns how many older lines were overwritten (0 = no wrap).
    pub fn push(&mut self, line: &str) -> u64 {
        self.store.push(line)
    }

    /// Lines at or after `cursor` and the new cursor.
    pub fn since(&self, cursor: u64) -> (Vec<String>, u64) {
        self.store.since(cursor, usize::MAX)
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
    fn push_records_follow_the_segment_rules() {
        let mut d = Device::default();
        let a = d.new_segment(NEW).unwrap();
        let rec = |seq: u64| {
            format!(
                r#"{{"schema":"cohsh-telemetry-push/v1","seq":{seq},"mime":"text/plain","payload":"l{seq}\n"}}"#
            )
        };
        d.append(&a, &rec(1)).unwrap();
        d.append(&a, "a plain line").unwrap();
        d.append(&a, &rec(2)).unwrap();
        assert_eq!(d.append(&a, &rec(2)), Err(NsError::InvalidPayload));
        let sha = "A".repeat(43);
        let reference =
            format!(r#"{{"schema":"coh-ref-c/v1","seq":1,"off":0,"len":16,"sha256":"{sha}"}}"#);
        assert_eq!(
            d.append(&a, &reference),
            Err(NsError::InvalidPayload),
            "no mixing"
        );
        assert_eq!(
            d.segment_lines(&a).unwrap().len(),
            3,
            "refusals keep nothing"
        );
        // Each segment has its own mode and count.
        let b = d.new_segment(NEW).unwrap();
        d.append(&b, &reference).unwrap();
        assert_eq!(d.append(&b, &rec(1)), Err(NsError::InvalidPayload));
        d.append(&a, &rec(3)).unwrap();
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
        let mut wrapped = 0;
        for _ in 0..12 {
            wrapped += r.push(&line);
        }
        assert_eq!(wrapped, 2);
        let (lines, cur) = r.since(0);
        assert_eq!(lines.len(), RING_BYTES_PER_WORKER / 100);
        r.push("tail");
        assert_eq!(r.since(cur).0, vec!["tail".to_string()]);
    }
}
