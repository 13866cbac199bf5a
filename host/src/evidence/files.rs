//! Files of a pack: pack-relative names (never absolute, never `..`), atomic writes and
//! bounded reads.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::EvidenceError;

/// Largest pack file the offline tools (timeline, CI summary, SIEM, markdown) read.
pub const PACK_FILE_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// The pack-relative name of a namespace path (`/audit/journal` → `audit/journal`).
#[must_use]
pub fn saved_as(path: &str) -> &str {
    path.strip_prefix('/').unwrap_or(path)
}

/// `dir/rel` for a safe pack-relative name: non-empty `/`-separated components, none of
/// them `.` or `..`, not absolute, no NUL or backslash.
///
/// # Errors
/// [`EvidenceError::Pack`] for an unsafe name (a target-supplied device id, say).
pub fn join(dir: &Path, rel: &str) -> Result<PathBuf, EvidenceError> {
    let ok = !rel.is_empty()
        && !rel.starts_with('/')
        && rel
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != ".." && !c.contains(['\0', '\\']));
    if !ok {
        return Err(EvidenceError::pack(
            rel,
            "unsafe pack path (absolute, empty component, '.' or '..')",
        ));
    }
    Ok(rel.split('/').fold(dir.to_path_buf(), |p, c| p.join(c)))
}

/// Writes `bytes` to `dir/rel` atomically (a `.partial` sibling renamed into place).
///
/// # Errors
/// [`EvidenceError::Pack`] for an unsafe name, [`EvidenceError::Io`].
pub fn write(dir: &Path, rel: &str, bytes: &[u8]) -> Result<(), EvidenceError> {
    let p = join(dir, rel)?;
    crate::json::write_atomic(&p, bytes).map_err(EvidenceError::local)
}

/// Removes `dir/rel` if it is a file (a stale capture of an earlier pack in the same
/// directory must not outlive an item that is now missing).
///
/// # Errors
/// [`EvidenceError::Io`] when an existing file cannot be removed.
pub fn remove_stale(dir: &Path, rel: &str) -> Result<(), EvidenceError> {
    let Ok(p) = join(dir, rel) else {
        return Ok(());
    };
    if !p.is_file() {
        return Ok(());
    }
    std::fs::remove_file(&p).map_err(|e| EvidenceError::io(format!("remove {}", p.display()), e))
}

/// The bytes of `dir/rel`, `None` when it is not a file; at most [`PACK_FILE_MAX_BYTES`].
///
/// # Errors
/// [`EvidenceError::Pack`] when larger, [`EvidenceError::Io`] when unreadable.
pub fn read(dir: &Path, rel: &str) -> Result<Option<Vec<u8>>, EvidenceError> {
    let p = join(dir, rel)?;
    if !p.is_file() {
        return Ok(None);
    }
    let f = std::fs::File::open(&p)
        .map_err(|e| EvidenceError::io(format!("read {}", p.display()), e))?;
    let mut out = Vec::new();
    f.take(PACK_FILE_MAX_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| EvidenceError::io(format!("read {}", p.display()), e))?;
    if out.len() as u64 > PACK_FILE_MAX_BYTES {
        return Err(EvidenceError::pack(
            rel,
            format!("larger than {PACK_FILE_MAX_BYTES} bytes"),
        ));
    }
    Ok(Some(out))
}

/// [`read`] as UTF-8 text.
///
/// # Errors
/// As [`read`], and [`EvidenceError::Pack`] when not UTF-8.
pub fn read_text(dir: &Path, rel: &str) -> Result<Option<String>, EvidenceError> {
    read(dir, rel)?
        .map(|b| String::from_utf8(b).map_err(|_| EvidenceError::pack(rel, "not UTF-8")))
        .transpose()
}

/// The JSON objects of a JSONL pack file, one a line (blank lines skipped); `None` when the
/// file is absent.
///
/// # Errors
/// As [`read_text`], and [`EvidenceError::Pack`] naming the first line that is not a JSON
/// object.
pub fn objects(
    dir: &Path,
    rel: &str,
) -> Result<Option<Vec<serde_json::Map<String, serde_json::Value>>>, EvidenceError> {
    let Some(t) = read_text(dir, rel)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (i, line) in t.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(o)) => out.push(o),
            _ => {
                return Err(EvidenceError::pack(
                    rel,
                    format!("line {} is not a JSON object", i + 1),
                ))
            }
        }
    }
    Ok(Some(out))
}

/// The size of `dir/rel` if it is a file.
#[must_use]
pub fn size(dir: &Path, rel: &str) -> Option<u64> {
    let p = join(dir, rel).ok()?;
    std::fs::metadata(&p)
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_names_are_refused() {
        let d = Path::new("/tmp/x");
        for bad in [
            "",
            "/etc/passwd",
            "a/../b",
            "./a",
            "a//b",
            "a/",
            "..",
            "a\\b",
        ] {
            assert!(join(d, bad).is_err(), "{bad}");
        }
        assert_eq!(
            join(d, "telemetry/dev-1/seg/seg-000001").unwrap(),
            Path::new("/tmp/x/telemetry/dev-1/seg/seg-000001")
        );
        assert_eq!(saved_as("/audit/journal"), "audit/journal");
    }
}
