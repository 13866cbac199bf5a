//! The target's rules for telemetry push records in one segment (host-surface §7.3): a line
//! whose `schema` is `cohsh-telemetry-push/v1` or `coh-ref-c/v1` must decode as the core's
//! [`InlineRecord`] / [`ReferenceRecord`]; one mode per segment; `seq` counts from 1;
//! reference offsets are contiguous from 0, within the manifest's reference bounds
//! (`telemetry_ingest.max_reference_*`). Lines of no record schema (plain text, other JSON)
//! are kept as they are, as the shipped queen does.

use cohesix_core::control::telemetry::{INLINE_SCHEMA, REFERENCE_SCHEMA};
use cohesix_core::control::{InlineRecord, ReferenceRecord};
use cohesix_generated::telemetry_ingest::{
    MAX_REFERENCE_BYTES_PER_SEGMENT, MAX_REFERENCE_ENTRIES_PER_SEGMENT,
    MAX_REFERENCE_MANIFEST_BYTES_PER_SEGMENT,
};
use serde_json::Value;

use super::error::{NsError, NsResult};

/// The record mode of a segment, set by its first record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Mode {
    /// No record yet.
    #[default]
    None,
    /// Inline records; `seq` of the last one.
    Inline {
        /// Last `seq`.
        seq: u64,
    },
    /// Reference records.
    Reference {
        /// Last `seq` (= entries).
        seq: u64,
        /// Offset the next record must start at (= source bytes described).
        next_off: u64,
        /// Bytes of reference lines (newlines included).
        manifest_bytes: usize,
    },
}

fn schema(line: &str) -> Option<String> {
    let v: Value = serde_json::from_str(line).ok()?;
    v.get("schema")?.as_str().map(str::to_owned)
}

fn limit(detail: &'static str) -> NsError {
    NsError::Limit { detail }
}

impl Mode {
    /// Checks `line` (without newline) against the segment's records so far; returns the
    /// mode after it. Nothing changes on a refusal.
    pub(super) fn admit(self, line: &str) -> NsResult<Mode> {
        let line = line.trim();
        match schema(line).as_deref() {
            Some(INLINE_SCHEMA) => {
                let r = InlineRecord::decode(line.as_bytes())?;
                let last = match self {
                    Mode::None => 0,
                    Mode::Inline { seq } => seq,
                    Mode::Reference { .. } => return Err(NsError::InvalidPayload),
                };
                if r.seq != last.saturating_add(1) {
                    return Err(NsError::InvalidPayload);
                }
                Ok(Mode::Inline { seq: r.seq })
            }
            Some(REFERENCE_SCHEMA) => {
                let r = ReferenceRecord::decode(line.as_bytes())?;
                let (last, next_off, manifest_bytes) = match self {
                    Mode::None => (0, 0, 0),
                    Mode::Reference {
                        seq,
                        next_off,
                        manifest_bytes,
                    } => (seq, next_off, manifest_bytes),
                    Mode::Inline { .. } => return Err(NsError::InvalidPayload),
                };
                if r.seq != last.saturating_add(1) || r.off != next_off {
                    return Err(NsError::InvalidPayload);
                }
                if r.seq > u64::from(MAX_REFERENCE_ENTRIES_PER_SEGMENT) {
                    return Err(limit("max_reference_entries_per_segment"));
                }
                let end = next_off.saturating_add(r.len);
                if end > MAX_REFERENCE_BYTES_PER_SEGMENT {
                    return Err(limit("max_reference_bytes_per_segment"));
                }
                let manifest = manifest_bytes.saturating_add(line.len() + 1);
                if manifest > MAX_REFERENCE_MANIFEST_BYTES_PER_SEGMENT as usize {
                    return Err(limit("max_reference_manifest_bytes_per_segment"));
                }
                Ok(Mode::Reference {
                    seq: r.seq,
                    next_off: end,
                    manifest_bytes: manifest,
                })
            }
            _ => Ok(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use cohesix_core::control::Sha256Digest;

    use super::*;

    fn inline(seq: u64) -> String {
        let mut buf = [0u8; 128];
        let n = InlineRecord::new(seq, "text/plain", "x")
            .encode(&mut buf)
            .unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    fn reference(seq: u64, off: u64, len: u64) -> String {
        let mut buf = [0u8; ReferenceRecord::MAX_LEN];
        let r = ReferenceRecord {
            seq,
            off,
            len,
            sha256: Sha256Digest([7; 32]),
        };
        let n = r.encode(&mut buf).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn inline_records_count_from_one() {
        let m = Mode::None.admit(&inline(1)).unwrap();
        let m = m.admit(&inline(2)).unwrap();
        assert_eq!(m, Mode::Inline { seq: 2 });
        assert_eq!(m.admit(&inline(2)), Err(NsError::InvalidPayload));
        assert_eq!(m.admit(&inline(4)), Err(NsError::InvalidPayload));
        assert_eq!(Mode::None.admit(&inline(2)), Err(NsError::InvalidPayload));
        // Plain lines pass in any mode and change nothing.
        assert_eq!(m.admit("drain-prep"), Ok(m));
        assert_eq!(m.admit(r#"{"seq":1}"#), Ok(m));
        // A line of the record schema must be a valid record.
        let bad = r#"{"schema":"cohsh-telemetry-push/v1","seq":3,"mime":"text/plain"}"#;
        assert_eq!(m.admit(bad), Err(NsError::InvalidPayload));
    }

    #[test]
    fn reference_records_are_contiguous_and_bounded() {
        let chunk = 16 * 1024 * 1024;
        let m = Mode::None.admit(&reference(1, 0, chunk)).unwrap();
        let m = m.admit(&reference(2, chunk, 5)).unwrap();
        assert!(matches!(m, Mode::Reference { seq: 2, next_off, .. } if next_off == chunk + 5));
        assert_eq!(
            m.admit(&reference(3, chunk, 5)),
            Err(NsError::InvalidPayload)
        );
        assert_eq!(
            Mode::None.admit(&reference(1, 1, 5)),
            Err(NsError::InvalidPayload)
        );
        // No mixing.
        assert_eq!(m.admit(&inline(1)), Err(NsError::InvalidPayload));
        assert_eq!(
            Mode::Inline { seq: 1 }.admit(&reference(1, 0, 1)),
            Err(NsError::InvalidPayload)
        );
        // The manifest's bounds.
        let near_end = Mode::Reference {
            seq: 3,
            next_off: MAX_REFERENCE_BYTES_PER_SEGMENT - 1,
            manifest_bytes: 0,
        };
        assert_eq!(
            near_end.admit(&reference(4, MAX_REFERENCE_BYTES_PER_SEGMENT - 1, 2)),
            Err(limit("max_reference_bytes_per_segment"))
        );
        assert!(near_end
            .admit(&reference(4, MAX_REFERENCE_BYTES_PER_SEGMENT - 1, 1))
            .is_ok());
        let full = Mode::Reference {
            seq: u64::from(MAX_REFERENCE_ENTRIES_PER_SEGMENT),
            next_off: 0,
            manifest_bytes: 0,
        };
        let next = u64::from(MAX_REFERENCE_ENTRIES_PER_SEGMENT) + 1;
        assert_eq!(
            full.admit(&reference(next, 0, 1)),
            Err(limit("max_reference_entries_per_segment"))
        );
        let heavy = Mode::Reference {
            seq: 1,
            next_off: 1,
            manifest_bytes: MAX_REFERENCE_MANIFEST_BYTES_PER_SEGMENT as usize - 10,
        };
        assert_eq!(
            heavy.admit(&reference(2, 1, 1)),
            Err(limit("max_reference_manifest_bytes_per_segment"))
        );
    }
}
