//! `telemetry push`: chunking a local file into `cohsh-telemetry-push/v1` records.
//!
//! Over the TCP console every record is one `ECHO` payload, so each record (JSON, without
//! newline) must fit the console's echo bound (`cohesix_generated::console::MAX_ECHO_LEN`).

use std::path::Path;

use cohesix_generated::{console, telemetry_ingest};

/// Record schema tag.
pub const SCHEMA: &str = "cohsh-telemetry-push/v1";

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

/// The control-file payload that opens a new segment.
#[must_use]
pub fn ctl_payload(mime: &str) -> String {
    format!(
        "{{\"new\":\"segment\",\"mime\":{}}}",
        serde_json::Value::from(mime)
    )
}

fn record(seq: u64, mime: &str, chunk: &str) -> String {
    // Built by hand (with serde_json escaping each string) to keep the field order.
    format!(
        "{{\"schema\":{},\"seq\":{seq},\"mime\":{},\"payload\":{}}}",
        serde_json::Value::from(SCHEMA),
        serde_json::Value::from(mime),
        serde_json::Value::from(chunk)
    )
}

/// Splits `text` into records that each fit the console echo bound.
///
/// # Errors
/// A message when the text is empty, exceeds `max_bytes_per_segment`, or a single
/// character cannot fit a record.
pub fn build_records(text: &str, mime: &str) -> Result<Vec<String>, String> {
    let max_segment = telemetry_ingest::MAX_BYTES_PER_SEGMENT as usize;
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
        // Largest prefix (on a char boundary) whose record fits.
        let mut best = 0;
        for (i, c) in rest.char_indices() {
            let end = i + c.len_utf8();
            if record(seq, mime, rest.get(..end).unwrap_or("")).len() > console::MAX_ECHO_LEN {
                break;
            }
            best = end;
        }
        if best == 0 {
            return Err(format!(
                "telemetry record exceeds the console echo bound {} bytes",
                console::MAX_ECHO_LEN
            ));
        }
        records.push(record(seq, mime, rest.get(..best).unwrap_or("")));
        rest = rest.get(best..).unwrap_or("");
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
        let text = "line one\nline \"two\"\n".repeat(20);
        let records = build_records(&text, "text/plain").unwrap();
        assert!(records.len() > 1);
        let mut joined = String::new();
        for (i, r) in records.iter().enumerate() {
            assert!(r.len() <= console::MAX_ECHO_LEN, "{r}");
            let v: serde_json::Value = serde_json::from_str(r).unwrap();
            assert_eq!(v["schema"], SCHEMA);
            assert_eq!(v["seq"], i as u64 + 1);
            joined.push_str(v["payload"].as_str().unwrap());
        }
        assert_eq!(joined, text);
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
            ctl_payload("text/plain"),
            r#"{"new":"segment","mime":"text/plain"}"#
        );
    }
}
