//! Which paths the mount shows: the manifest's `coh.mount` root and allowlist
//! (`cohesix_generated::coh::mount`), and the core's path rules (absolute, no `.`/`..`/NUL,
//! at most 96 bytes and 8 components).
//!
//! A path is **allowed** when it is an allowlist entry or lies under one; a proper
//! **ancestor** of an entry (`/` itself) is a directory that shows only the allowed names
//! below it; everything else is **denied** (`EACCES`).

use cohesix_core::path::{validate_path, PathError};

use crate::fault::Fault;

/// How the allowlist treats a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// At or under an allowlist entry: served as the target serves it.
    Allowed,
    /// A proper ancestor of an entry: a directory showing only allowed children.
    Ancestor,
    /// Outside the allowlist.
    Denied,
}

/// The mount's allowlist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allowlist {
    entries: Vec<String>,
}

impl Default for Allowlist {
    /// The manifest's (`generated/`): upstream's roots plus what a playbook writes.
    fn default() -> Self {
        Self::new(cohesix_generated::coh::mount::ALLOWLIST.iter().copied())
    }
}

impl Allowlist {
    /// An allowlist of these entries (trailing `/` removed; `/` allows everything).
    #[must_use]
    pub fn new<'a>(entries: impl IntoIterator<Item = &'a str>) -> Self {
        let mut entries: Vec<String> = entries
            .into_iter()
            .map(|e| {
                let t = e.trim().trim_end_matches('/');
                if t.is_empty() {
                    "/".to_owned()
                } else {
                    t.to_owned()
                }
            })
            .collect();
        entries.sort();
        entries.dedup();
        Self { entries }
    }

    /// The entries, sorted.
    #[must_use]
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// How `path` (already checked with [`check`]) is treated.
    #[must_use]
    pub fn access(&self, path: &str) -> Access {
        let mut ancestor = false;
        for e in &self.entries {
            if e == "/" || path == e || under(path, e) {
                return Access::Allowed;
            }
            if path == "/" || under(e, path) {
                ancestor = true;
            }
        }
        if ancestor {
            Access::Ancestor
        } else {
            Access::Denied
        }
    }
}

/// Whether `path` lies strictly below `dir`.
fn under(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.starts_with('/') || dir == "/")
}

/// `parent` joined with `name`.
#[must_use]
pub fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// Checks a namespace path with the core rules; the fault the kernel gets when it fails
/// (`ENAMETOOLONG` for length and depth, `EINVAL` for everything else).
///
/// # Errors
/// As above.
pub fn check(path: &str) -> Result<(), Fault> {
    if path == "/" {
        return Ok(());
    }
    validate_path(path).map_err(|e| match e {
        PathError::TooLong { .. }
        | PathError::TooDeep { .. }
        | PathError::ComponentTooLong { .. } => Fault::NameTooLong,
        _ => Fault::Invalid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_allowlist_includes_what_playbooks_write() {
        let a = Allowlist::default();
        for p in [
            "/proc/lease/summary",
            "/queen/ctl",
            "/queen/schedule/ctl",
            "/queen/lease/ctl",
            "/queen/export/ctl",
            "/actions/queue",
            "/policy/ctl",
            "/log/queen.log",
            "/gpu/GPU-0/info",
            "/host",
            "/worker/worker-1/telemetry",
        ] {
            assert_eq!(a.access(p), Access::Allowed, "{p}");
        }
        assert_eq!(a.access("/"), Access::Ancestor);
        for p in [
            "/trace",
            "/trace/ctl",
            "/audit/journal",
            "/kmesg",
            "/procx",
            "/shard/00",
        ] {
            assert_eq!(a.access(p), Access::Denied, "{p}");
        }
    }

    #[test]
    fn deep_entries_make_their_ancestors_visible() {
        let a = Allowlist::new(["/queen/schedule/"]);
        assert_eq!(a.access("/queen"), Access::Ancestor);
        assert_eq!(a.access("/queen/schedule/ctl"), Access::Allowed);
        assert_eq!(a.access("/queen/lease"), Access::Denied);
        assert_eq!(Allowlist::new(["/"]).access("/anything"), Access::Allowed);
    }

    #[test]
    fn path_rules() {
        assert_eq!(check("/"), Ok(()));
        assert_eq!(check("/a/b/c/d/e/f/g/h"), Ok(()));
        assert_eq!(check("/a/b/c/d/e/f/g/h/i"), Err(Fault::NameTooLong));
        assert_eq!(
            check(&format!("/{}", "x".repeat(96))),
            Err(Fault::NameTooLong)
        );
        assert_eq!(check("/a/../b"), Err(Fault::Invalid));
        assert_eq!(check("/a/./b"), Err(Fault::Invalid));
        assert_eq!(check("/a\0b"), Err(Fault::Invalid));
        assert_eq!(check("relative"), Err(Fault::Invalid));
        assert_eq!(check("/a b"), Err(Fault::Invalid));
        assert_eq!(join("/", "proc"), "/proc");
        assert_eq!(join("/proc", "boot"), "/proc/boot");
    }
}
