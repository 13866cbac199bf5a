//! The JSON byte formats the host surface fixes (host-surface §1.6), in one place, and the
//! atomic file write every report uses.
//!
//! | format | used by | bytes |
//! |---|---|---|
//! | [`Style::Report`] | `report.json`, `--list`, receipts, evidence JSON | keys sorted, 2-space indent, `": "`, non-ASCII as `\uXXXX` |
//! | [`Style::Compact`] | host-snapshot NDJSON | keys sorted, `,` and `:` |
//! | [`Style::Spaced`] | SIEM and timeline NDJSON | keys sorted, `", "` and `": "` on one line |
//!
//! These are the byte layouts of Python's `json.dumps(sort_keys=True, …)` with the matching
//! separators and `ensure_ascii`, so files are byte-identical to upstream's for the same data.

use std::io::{self, Write};
use std::path::Path;

use serde_json::ser::{CharEscape, Formatter, PrettyFormatter};
use serde_json::Value;

use crate::error::Error;

/// A JSON byte format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Style {
    /// Sorted keys, 2-space indent, ASCII only.
    Report,
    /// Sorted keys, no spaces.
    Compact,
    /// Sorted keys, one line, `", "` and `": "`.
    Spaced,
}

/// `v` with every object's keys sorted (whatever the map type keeps).
#[must_use]
pub fn sorted(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Escapes every non-ASCII character as `\uXXXX` (UTF-16, surrogate pairs), as Python's
/// `ensure_ascii` does.
fn write_ascii<W: ?Sized + Write>(w: &mut W, fragment: &str) -> io::Result<()> {
    for c in fragment.chars() {
        if c.is_ascii() {
            let mut b = [0u8; 1];
            w.write_all(c.encode_utf8(&mut b).as_bytes())?;
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                write!(w, "\\u{u:04x}")?;
            }
        }
    }
    Ok(())
}

struct Ascii<F>(F);

impl<F: Formatter> Formatter for Ascii<F> {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, f: &str) -> io::Result<()> {
        write_ascii(w, f)
    }
    fn write_char_escape<W: ?Sized + Write>(&mut self, w: &mut W, c: CharEscape) -> io::Result<()> {
        self.0.write_char_escape(w, c)
    }
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// One line with `", "` and `": "` (Python's default separators).
struct SpacedFormatter;

impl Formatter for SpacedFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

/// `v` in `style` (keys sorted), without a trailing newline.
#[must_use]
pub fn to_string(v: &Value, style: Style) -> String {
    let v = sorted(v.clone());
    let mut out = Vec::new();
    let result = match style {
        Style::Report => {
            let f = Ascii(PrettyFormatter::with_indent(b"  "));
            serde::Serialize::serialize(
                &v,
                &mut serde_json::Serializer::with_formatter(&mut out, f),
            )
        }
        Style::Compact => {
            serde::Serialize::serialize(&v, &mut serde_json::Serializer::new(&mut out))
        }
        Style::Spaced => {
            let f = Ascii(SpacedFormatter);
            serde::Serialize::serialize(
                &v,
                &mut serde_json::Serializer::with_formatter(&mut out, f),
            )
        }
    };
    // Serialising a `Value` into memory cannot fail; an empty string would show if it did.
    if result.is_err() {
        out.clear();
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Writes `bytes` to `path` atomically: a `.partial` sibling, flushed and renamed, so a
/// crash never leaves half a file. Parent directories are created.
///
/// # Errors
/// [`Error::Io`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let what = || format!("write {}", path.display());
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(what(), e))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = std::path::PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(what(), e))?;
    f.write_all(bytes).map_err(|e| Error::io(what(), e))?;
    f.sync_all().map_err(|e| Error::io(what(), e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| Error::io(what(), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn report_style_is_pythons_indent_two_sorted_ascii() {
        let v = json!({"b": [1, {"z": null, "a": "é😀"}], "a": [], "c": {}});
        // json.dumps(v, indent=2, sort_keys=True)
        let want = "{\n  \"a\": [],\n  \"b\": [\n    1,\n    {\n      \"a\": \"\\u00e9\\ud83d\\ude00\",\n      \"z\": null\n    }\n  ],\n  \"c\": {}\n}";
        assert_eq!(to_string(&v, Style::Report), want);
    }

    #[test]
    fn compact_and_spaced_styles() {
        let v = json!({"b": 1, "a": {"y": [1, 2], "x": "q\"t"}});
        assert_eq!(
            to_string(&v, Style::Compact),
            r#"{"a":{"x":"q\"t","y":[1,2]},"b":1}"#
        );
        // json.dumps(v, sort_keys=True)
        assert_eq!(
            to_string(&v, Style::Spaced),
            r#"{"a": {"x": "q\"t", "y": [1, 2]}, "b": 1}"#
        );
    }

    #[test]
    fn atomic_writes_leave_no_partial_file() {
        let dir = std::env::temp_dir().join(format!("cohesix-json-{}", std::process::id()));
        let p = dir.join("a/b/report.json");
        write_atomic(&p, b"{}").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"{}");
        assert!(!dir.join("a/b/report.json.partial").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
