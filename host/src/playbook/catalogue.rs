//! The built-in catalogue: the nine fleet playbooks as data files embedded at build time
//! (`host/playbooks/*.toml`), plus user playbooks from files and directories.

use std::path::{Path, PathBuf};

use super::model::{LoadError, Playbook};

/// Built-in playbook files: (file name, text).
pub const BUILT_IN: [(&str, &str); 9] = [
    (
        "jetson-critical-infra.toml",
        include_str!("../../playbooks/jetson-critical-infra.toml"),
    ),
    (
        "jetson-manufacturing-safety.toml",
        include_str!("../../playbooks/jetson-manufacturing-safety.toml"),
    ),
    (
        "jetson-traffic-safety.toml",
        include_str!("../../playbooks/jetson-traffic-safety.toml"),
    ),
    (
        "mac-endpoint-compliance.toml",
        include_str!("../../playbooks/mac-endpoint-compliance.toml"),
    ),
    (
        "mac-private-peft-grid.toml",
        include_str!("../../playbooks/mac-private-peft-grid.toml"),
    ),
    (
        "mac-release-factory.toml",
        include_str!("../../playbooks/mac-release-factory.toml"),
    ),
    (
        "mixed-closed-loop-ai-factory.toml",
        include_str!("../../playbooks/mixed-closed-loop-ai-factory.toml"),
    ),
    (
        "mixed-logistics-digital-twin.toml",
        include_str!("../../playbooks/mixed-logistics-digital-twin.toml"),
    ),
    (
        "mixed-medical-edge-ai.toml",
        include_str!("../../playbooks/mixed-medical-edge-ai.toml"),
    ),
];

/// Largest playbook file read from disk.
pub const MAX_FILE_BYTES: u64 = 256 * 1024;
/// Most playbook files read from one directory.
pub const MAX_DIR_FILES: usize = 1024;

/// Where a playbook came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// The built-in catalogue.
    BuiltIn,
    /// A file.
    File(PathBuf),
}

/// A loaded playbook and its origin.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The playbook.
    pub playbook: Playbook,
    /// Its origin.
    pub origin: Origin,
}

/// The built-in playbooks, sorted by id.
///
/// # Errors
/// A [`LoadError`] if an embedded file is invalid (a build defect; tested).
pub fn built_in() -> Result<Vec<Entry>, LoadError> {
    let mut out = BUILT_IN
        .iter()
        .map(|(name, text)| {
            Playbook::parse(text, &format!("<built-in>/{name}")).map(|playbook| Entry {
                playbook,
                origin: Origin::BuiltIn,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by(|a, b| a.playbook.id.cmp(&b.playbook.id));
    Ok(out)
}

/// Loads one playbook file.
///
/// # Errors
/// [`LoadError`] for an unreadable, oversized or invalid file.
pub fn load_file(path: &Path) -> Result<Entry, LoadError> {
    let file = path.display().to_string();
    let io = |e: std::io::Error| LoadError {
        file: file.clone(),
        line: None,
        message: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(LoadError {
            file,
            line: None,
            message: format!("playbook file exceeds {MAX_FILE_BYTES} bytes"),
        });
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    Ok(Entry {
        playbook: Playbook::parse(&text, &file)?,
        origin: Origin::File(path.to_owned()),
    })
}

/// Loads every `*.toml` in `dir` (sorted by id; at most [`MAX_DIR_FILES`]).
///
/// # Errors
/// The first [`LoadError`].
pub fn load_dir(dir: &Path) -> Result<Vec<Entry>, LoadError> {
    let err = |m: String| LoadError {
        file: dir.display().to_string(),
        line: None,
        message: m,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| err(e.to_string()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    if paths.len() > MAX_DIR_FILES {
        return Err(err(format!("more than {MAX_DIR_FILES} playbook files")));
    }
    paths.sort();
    let mut out = paths
        .iter()
        .map(|p| load_file(p))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by(|a, b| a.playbook.id.cmp(&b.playbook.id));
    Ok(out)
}

/// The built-in ids, sorted (the default `--playbook` is the first).
#[must_use]
pub fn built_in_ids() -> Vec<String> {
    built_in()
        .map(|v| v.into_iter().map(|e| e.playbook.id).collect())
        .unwrap_or_default()
}

/// Finds `id` among `entries`, with upstream's message when it is unknown:
/// `unknown playbook '<id>'. expected one of: <a, b, …>`.
///
/// # Errors
/// The message above.
pub fn find<'e>(entries: &'e [Entry], id: &str) -> Result<&'e Entry, String> {
    entries.iter().find(|e| e.playbook.id == id).ok_or_else(|| {
        let ids: Vec<&str> = entries.iter().map(|e| e.playbook.id.as_str()).collect();
        format!(
            "unknown playbook '{id}'. expected one of: {}",
            ids.join(", ")
        )
    })
}
