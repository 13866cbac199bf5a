//! pyenv shims resolved without running them: which installed version a `…/shims/python3`
//! would execute, decided as pyenv decides it.
//!
//! Version selection, first that is set: `PYENV_VERSION` (`:`-separated), the nearest
//! `.python-version` from `PYENV_DIR` (else the working directory) upwards, then
//! `$PYENV_ROOT/version` (legacy `global`, `default`), else `system`. Each selected version is
//! tried in order for the command (`versions/<v>/bin/<cmd>`); `system` is the command on the
//! search path without the shims directory. A selected version that is not installed (pyenv
//! may then resolve a prefix such as `3.12` itself) ends the static resolution with an error,
//! and the caller asks the interpreter instead.

use std::path::{Path, PathBuf};

use super::metadata::read_prefix;
use super::site::PythonEnv;
use crate::exec::ExecConfig;

/// Largest version file read.
const MAX_VERSION_FILE_BYTES: usize = 4096;
/// Most versions taken from one selection.
const MAX_VERSIONS: usize = 16;
/// Most ancestor directories searched for `.python-version`.
const MAX_ANCESTORS: usize = 64;

/// The pyenv root when `program` is a pyenv shim (`<root>/shims/<cmd>` with `<root>/versions`
/// or `<root>/libexec/pyenv` beside it).
#[must_use]
pub fn shim_root(program: &Path) -> Option<PathBuf> {
    let shims = program.parent()?;
    if shims.file_name()? != "shims" {
        return None;
    }
    let root = shims.parent()?;
    (root.join("versions").is_dir() || root.join("libexec").join("pyenv").is_file())
        .then(|| root.to_path_buf())
}

/// The versions pyenv selects, with a description of where the selection came from.
#[must_use]
pub fn selected_versions(root: &Path, env: &PythonEnv) -> (Vec<String>, String) {
    if let Some(list) = env
        .pyenv_version
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    {
        let versions = list
            .split(':')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .take(MAX_VERSIONS)
            .map(str::to_owned)
            .collect();
        return (versions, "PYENV_VERSION".to_owned());
    }
    let start = env.pyenv_dir.as_deref().or(env.cwd.as_deref());
    let local = start
        .into_iter()
        .flat_map(Path::ancestors)
        .take(MAX_ANCESTORS)
        .map(|dir| dir.join(".python-version"))
        .find(|file| file.is_file());
    let global = ["version", "global", "default"]
        .iter()
        .map(|name| root.join(name))
        .find(|file| file.is_file());
    for file in local.into_iter().chain(global) {
        let versions = read_version_file(&file);
        if !versions.is_empty() {
            return (versions, file.display().to_string());
        }
    }
    (vec!["system".to_owned()], "default".to_owned())
}

/// The first word of each line of a version file, skipping blank and `#` lines and refusing
/// `..` and anything with a `/` (as pyenv does).
#[must_use]
pub fn parse_version_file(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|word| !word.starts_with('#') && *word != ".." && !word.contains('/'))
        .take(MAX_VERSIONS)
        .map(str::to_owned)
        .collect()
}

fn read_version_file(file: &Path) -> Vec<String> {
    read_prefix(file, MAX_VERSION_FILE_BYTES)
        .map(|text| parse_version_file(&text))
        .unwrap_or_default()
}

/// The executable the shim at `<root>/shims/<command>` would run.
///
/// # Errors
/// A selected version is not installed, or no selected version provides `command`.
pub fn resolve_shim(
    root: &Path,
    command: &str,
    env: &PythonEnv,
    exec: &ExecConfig,
) -> Result<PathBuf, String> {
    let (versions, origin) = selected_versions(root, env);
    for version in &versions {
        if version == "system" {
            if let Some(found) = system_command(root, command, exec) {
                return Ok(found);
            }
            continue;
        }
        let prefix = root.join("versions").join(version);
        if !prefix.is_dir() {
            return Err(format!(
                "pyenv version `{version}` (set by {origin}) is not installed"
            ));
        }
        let candidate = prefix.join("bin").join(command);
        if ExecConfig::is_executable(&candidate) {
            return Ok(candidate);
        }
    }
    Err(format!(
        "pyenv: `{command}` not found in versions {} (set by {origin})",
        versions.join(":")
    ))
}

/// `command` on the search path with `<root>/shims` removed.
fn system_command(root: &Path, command: &str, exec: &ExecConfig) -> Option<PathBuf> {
    let shims = root.join("shims");
    let search = exec.effective_search_path()?;
    let dirs: Vec<PathBuf> = std::env::split_paths(&search)
        .filter(|dir| dir != &shims)
        .collect();
    let filtered = ExecConfig {
        path: Some(std::env::join_paths(dirs).ok()?),
        ..exec.clone()
    };
    filtered.find_program(command)
}
