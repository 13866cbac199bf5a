//! `telemetry push`: chunking a local file into `cohsh-telemetry-push/v1` records.
//!
//! The segment ctl line is the core's [`NewSegment`] and each record the core's
//! [`InlineRecord`] (upstream's escaping, so the bytes equal upstream's). Over the TCP
//! console every record is one `ECHO` payload, so each record (JSON, without newline) must
//! fit the upstream client's record bound, `min(max_record_bytes, max_echo_len)`
//! ([`InlineRecord::max_record_len`], 128 bytes).

use std::path::Path;

use cohesix_core::control::{ControlError, InlineRecord, NewSegment};
use cohesix_generated::telemetry_ingest;

/// Record schema tag.
pub const SCHEMA: &str = cohesix_core::control::telemetry::INLINE_SCHEMA;

/// MIME type for a source file, from its extension.
///
/// # Errors
/// A message naming the allowed extensions.
pub fn mime_for(path: &Path) -> Result<&'static str, String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" => Ok("text/plain"),
        "json" => Ok("application/json"),
        "ndjson" | "jsonl" => Ok("application/x-ndjson"),
        "csv" => Ok("text/csv"),
        _ => Err(format!(
            "telemetry push extension '{ext}' is not allowed (allowed: txt, log, json, ndjson, jsonl, csv)"
        )),
    }
}

/// Runs a core encoder into a buffer of `max` bytes and returns the line.
fn encoded(
    max: usize,
    encode: impl FnOnce(&mut [u8]) -> Result<usize, ControlError>,
) -> Result<String, String> {
    let mut buf = vec![0u8; max];
    let n = encode(&mut buf).map_err(|e| e.to_string())?;
    buf.truncate(n);
    String::from_utf8(buf).map_err(|e| e.to_string())
}

/// The control-file payload that opens a new segment.
///
/// # Errors
/// The core's message for an invalid mime type.
pub fn ctl_payload(mime: &str) -> Result<String, String> {
    encoded(cohesix_generated::console::MAX_ECHO_LEN, |out| {
        NewSegment::new(mime).encode(out)
    })
}

/// Splits `text` into records that each fit the record bound.
///
/// # Errors
/// A message when the text is empty, exceeds `max_bytes_per_segment`, or a single
/// character cannot fit a record.
pub fn build_records(text: &str, mime: &str) -> Result<Vec<String>, String> {
    let max_segment = telemetry_ingest::MAX_BYTES_PER_SEGMENT as usize;
    let max_record = InlineRecord::max_record_len();
    if text.is_empty() {
        return Err("telemetry push source is empty".into());
    }
    if text.len() > max_segment {
        return Err(format!(
            "telemetry push source exceeds max_bytes_per_segment {max_segment} bytes"
        ));
    }
    let mut records = Vec::new();
    let mut rest = text;
    let mut seq = 1u64;
    while !rest.is_empty() {
        let end = InlineRecord::fit(seq, mime, rest, max_record).map_err(|e| e.to_string())?;
        let (chunk, tail) = rest.split_at(end);
        records.push(encoded(max_record, |out| {
            InlineRecord::new(seq, mime, chunk).encode(out)
        })?);
        rest = tail;
        seq += 1;
    }
    let total: usize = records.iter().map(String::len).sum();
    if total > max_segment {
        return Err(format!(
            "telemetry push payload exceeds max_bytes_per_segment {max_segment} bytes"
        ));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_fit_the_echo_bound_and_reassemble() {
        let text = "line one\nline \"two\" caf\u{e9}\n".repeat(20);
        let records = build_records(&text, "text/plain").unwrap();
        assert!(records.len() > 1);
        let mut joined = String::new();
        for (i, r) in records.iter().enumerate() {
            assert!(r.len() <= cohesix_generated::console::MAX_ECHO_LEN, "{r}");
            assert!(r.is_ascii(), "upstream's escaping keeps records ASCII: {r}");
            let v: serde_json::Value = serde_json::from_str(r).unwrap();
            assert_eq!(v["schema"], SCHEMA);
            assert_eq!(v["seq"], i as u64 + 1);
            joined.push_str(v["payload"].as_str().unwrap());
        }
        assert_eq!(joined, text);
        // The first record is byte for byte the core's encoding of its chunk.
        let first = InlineRecord::decode(records[0].as_bytes()).unwrap();
        assert_eq!((first.seq, first.mime), (1, "text/plain"));
        assert!(records[0].starts_with(
            r#"{"schema":"cohsh-telemetry-push/v1","seq":1,"mime":"text/plain","payload":"line one\n"#
        ));
    }

    #[test]
    fn oversize_and_empty_are_refused() {
        let big = "x".repeat(telemetry_ingest::MAX_BYTES_PER_SEGMENT as usize + 1);
        assert!(build_records(&big, "text/plain")
            .unwrap_err()
            .contains("max_bytes_per_segment"));
        assert!(build_records("", "text/plain").is_err());
        assert_eq!(mime_for(Path::new("a/b.TXT")), Ok("text/plain"));
        assert!(mime_for(Path::new("a/b.bin")).is_err());
        assert_eq!(
            ctl_payload("text/plain").unwrap(),
            r#"{"new":"segment","mime":"text/plain"}"#
        );
        assert_eq!(ctl_payload("").unwrap_err(), "mime must not be empty");
    }
}
