//! Distribution metadata read straight from site directories (no interpreter, no import):
//! `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` (or an `.egg-info` file), PEP 503 names,
//! first match along the directory order wins (as `importlib.metadata` does); plus the static
//! torch CUDA verdict.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

/// Largest metadata header block read per distribution.
pub(crate) const MAX_METADATA_BYTES: usize = 64 * 1024;
/// Most entries read from one site directory.
const MAX_DIR_ENTRIES: usize = 65_536;

/// One installed distribution found on `sys.path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    /// Normalised name (as in [`super::PACKAGES`]).
    pub name: String,
    /// Version.
    pub version: String,
    /// The `sys.path` directory holding it (its import root).
    pub site_dir: PathBuf,
}

/// PEP 503 name normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
#[must_use]
pub fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_sep = false;
    for ch in name.chars() {
        if matches!(ch, '-' | '_' | '.') {
            pending_sep = !out.is_empty();
        } else {
            if pending_sep {
                out.push('-');
                pending_sep = false;
            }
            out.push(ch.to_ascii_lowercase());
        }
    }
    out
}

/// Finds the first distribution of each wanted name along `dirs` (in `sys.path` order; names
/// in `wanted` are PEP 503-normalised).
#[must_use]
pub fn find_distributions(dirs: &[PathBuf], wanted: &[&str]) -> Vec<Distribution> {
    let mut found: Vec<Distribution> = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .take(MAX_DIR_ENTRIES)
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        for entry in names {
            let Some((stem, kind)) = split_meta_dir(&entry) else {
                continue;
            };
            let (raw_name, dir_version) = stem.split_once('-').unwrap_or((stem, ""));
            let name = normalise_name(raw_name);
            if !wanted.contains(&name.as_str()) || found.iter().any(|d| d.name == name) {
                continue;
            }
            let meta_path = dir.join(&entry);
            let version = read_version(&meta_path, kind).or_else(|| {
                let v = dir_version.split('-').next().unwrap_or_default();
                (!v.is_empty()).then(|| v.to_owned())
            });
            if let Some(version) = version {
                found.push(Distribution {
                    name,
                    version,
                    site_dir: dir.clone(),
                });
            }
        }
    }
    found
}

#[derive(Clone, Copy)]
enum MetaKind {
    DistInfo,
    EggInfo,
}

fn split_meta_dir(entry: &str) -> Option<(&str, MetaKind)> {
    if let Some(stem) = entry.strip_suffix(".dist-info") {
        return Some((stem, MetaKind::DistInfo));
    }
    entry
        .strip_suffix(".egg-info")
        .map(|stem| (stem, MetaKind::EggInfo))
}

/// Reads the `Version:` header of a metadata directory (or egg-info file).
fn read_version(path: &Path, kind: MetaKind) -> Option<String> {
    let file = match kind {
        MetaKind::DistInfo => path.join("METADATA"),
        MetaKind::EggInfo if path.is_dir() => path.join("PKG-INFO"),
        MetaKind::EggInfo => path.to_path_buf(),
    };
    let text = read_prefix(&file, MAX_METADATA_BYTES)?;
    header_value(&text, "Version")
}

/// Value of an RFC 822-style header in the header block (before the first blank line).
#[must_use]
pub fn header_value(text: &str, header: &str) -> Option<String> {
    text.lines()
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(header))
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

pub(crate) fn read_prefix(path: &Path, max: usize) -> Option<String> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut buf = Vec::new();
    file.take(u64::try_from(max).unwrap_or(u64::MAX))
        .read_to_end(&mut buf)
        .ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// The static CUDA verdict for a torch installed under `site_dir` (see the module docs).
#[must_use]
pub fn torch_cuda(site_dir: &Path, system_root: &Path, visible: Option<&str>) -> Value {
    let cuda = read_prefix(
        &site_dir.join("torch").join("version.py"),
        MAX_METADATA_BYTES,
    )
    .and_then(|text| torch_cuda_version(&text));
    let nodes = count_device_nodes(&system_root.join("dev"));
    let device_count = match visible {
        Some(list) => nodes.min(visible_count(list)),
        None => nodes,
    };
    json!({
        "available": cuda.is_some() && device_count > 0,
        "cuda": cuda,
        "device_count": device_count,
    })
}

/// Parses the `cuda` assignment of `torch/version.py` (`cuda = '12.1'`,
/// `cuda: Optional[str] = '13.0'`, `cuda = None`).
#[must_use]
pub fn torch_cuda_version(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("cuda")?;
        let rest = rest.trim_start();
        if !(rest.starts_with('=') || rest.starts_with(':')) {
            return None;
        }
        let (_, value) = rest.rsplit_once('=')?;
        let value = value.split('#').next().unwrap_or_default().trim();
        let unquoted = value
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))?;
        (!unquoted.is_empty()).then(|| unquoted.to_owned())
    })
}

/// Number of `nvidia<N>` device nodes in `dev`.
fn count_device_nodes(dev: &Path) -> usize {
    std::fs::read_dir(dev)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| {
                    n.strip_prefix("nvidia")
                        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                })
                .count()
        })
        .unwrap_or(0)
}

/// Devices listed by `CUDA_VISIBLE_DEVICES` (entries up to the first invalid one, as CUDA does).
fn visible_count(list: &str) -> usize {
    list.split(',')
        .map(str::trim)
        .take_while(|e| !e.is_empty() && !e.starts_with('-'))
        .count()
}
