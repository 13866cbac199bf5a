//! Byte-exact NDJSON rendering of a [`HostSnapshot`].
//!
//! Format (the upstream Python envelope, `json.dumps(..., sort_keys=True, separators=(",", ":"))`):
//! one line per probe result, providers in sorted order, each line the object
//! `{"captured_at_utc","data","error","provider","status"}` with keys sorted recursively (by
//! code point, which equals UTF-8 byte order), compact separators, non-ASCII characters escaped
//! as `\uXXXX` (UTF-16 surrogate pairs above U+FFFF), every line terminated by `\n`. A snapshot
//! without results renders as the empty string.
//!
//! The writer sorts keys itself, so the output does not depend on whether `serde_json` was
//! built with `preserve_order` somewhere in the dependency graph.

use std::fmt::Write as _;

use serde_json::Value;

use crate::model::{HostSnapshot, ProbeResult};

/// Renders a snapshot as NDJSON (see the module docs for the exact bytes).
#[must_use]
pub fn snapshot_to_ndjson(snapshot: &HostSnapshot) -> String {
    let mut out = String::new();
    for result in snapshot.results.values() {
        write_result_line(&mut out, &snapshot.captured_at_utc, result);
        out.push('\n');
    }
    out
}

/// Renders one result as a JSON object line (without the trailing newline).
fn write_result_line(out: &mut String, captured_at_utc: &str, result: &ProbeResult) {
    out.push_str("{\"captured_at_utc\":");
    write_json_string(out, captured_at_utc);
    out.push_str(",\"data\":");
    write_canonical_json(out, &result.data);
    out.push_str(",\"error\":");
    match &result.error {
        Some(error) => write_json_string(out, error),
        None => out.push_str("null"),
    }
    out.push_str(",\"provider\":");
    write_json_string(out, &result.provider);
    out.push_str(",\"status\":");
    write_json_string(out, result.status.label());
    out.push('}');
}

/// Writes `value` compactly with object keys sorted recursively and ASCII-only output.
pub fn write_canonical_json(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, key);
                out.push(':');
                write_canonical_json(out, item);
            }
            out.push('}');
        }
    }
}

/// Writes a JSON string literal with Python's default (`ensure_ascii`) escaping.
fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if !(' '..='~').contains(&c) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Renders any JSON value canonically (sorted keys, compact, ASCII-only).
#[must_use]
pub fn to_canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical_json(&mut out, value);
    out
}
