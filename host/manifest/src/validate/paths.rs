//! Path rules (spec §5.1) as applied to manifest values.

use super::{ensure, Check, MAX_WALK_DEPTH};
use crate::locate::KeyPath;

/// Longest console path argument, in bytes.
pub const MAX_PATH_LEN: usize = 96;
/// Longest path component, in bytes.
const MAX_COMPONENT_LEN: usize = 64;

/// A console path as clients send it: absolute, at most [`MAX_PATH_LEN`] bytes, 1..=`walk_depth`
/// non-empty components of 1..=64 printable ASCII bytes each, none of them `.` or `..`.
pub fn check_client_path(key: KeyPath, path: &str, walk_depth: u8) -> Check {
    ensure(path.starts_with('/'), key.clone(), || {
        "path must be absolute (start with '/')".into()
    })?;
    ensure(path.len() <= MAX_PATH_LEN, key.clone(), || {
        format!("path must be at most {MAX_PATH_LEN} bytes")
    })?;
    let mut depth = 0usize;
    for comp in path.split('/').filter(|c| !c.is_empty()) {
        ensure(comp != "." && comp != "..", key.clone(), || {
            format!("path component '{comp}' is not allowed")
        })?;
        ensure(
            comp.bytes().all(|b| b.is_ascii_graphic()),
            key.clone(),
            || "path components must be printable ASCII without spaces or NUL".into(),
        )?;
        ensure(comp.len() <= MAX_COMPONENT_LEN, key.clone(), || {
            format!("path components must be at most {MAX_COMPONENT_LEN} bytes")
        })?;
        depth += 1;
    }
    ensure(depth >= 1, key.clone(), || {
        "path must name at least one component".into()
    })?;
    ensure(depth <= usize::from(walk_depth), key, || {
        format!("path depth {depth} exceeds secure9p.walk_depth {walk_depth}")
    })
}

/// An absolute namespace path used by the `coh` tool (root allowed only where stated).
pub(crate) fn check_coh_path(key: KeyPath, path: &str, allow_root: bool) -> Check {
    let p = path.trim();
    ensure(p.starts_with('/'), key.clone(), || {
        "path must be absolute (start with '/')".into()
    })?;
    let comps: Vec<&str> = p.split('/').filter(|c| !c.is_empty()).collect();
    ensure(allow_root || !comps.is_empty(), key.clone(), || {
        "path must not be the root".into()
    })?;
    ensure(
        comps.len() <= usize::from(MAX_WALK_DEPTH),
        key.clone(),
        || format!("path depth exceeds {MAX_WALK_DEPTH}"),
    )?;
    ensure(!comps.contains(&".."), key, || {
        "path component '..' is not allowed".into()
    })
}

/// A mount point: absolute, not the root, within `max_depth`, no `..`.
pub(crate) fn check_mount_point(key: KeyPath, path: &str, max_depth: usize) -> Check {
    let p = path.trim();
    ensure(p.starts_with('/'), key.clone(), || {
        "mount point must be absolute".into()
    })?;
    let comps: Vec<&str> = p.split('/').filter(|c| !c.is_empty()).collect();
    ensure(!comps.is_empty(), key.clone(), || {
        "mount point must not be the root".into()
    })?;
    ensure(comps.len() <= max_depth, key.clone(), || {
        format!("mount point depth exceeds {max_depth}")
    })?;
    ensure(!comps.contains(&".."), key, || {
        "path component '..' is not allowed".into()
    })
}

/// A host file-system path: non-empty, no NUL, at most 8 components, no `.` or `..`.
pub(crate) fn check_host_path(key: KeyPath, path: &str) -> Check {
    let p = path.trim();
    ensure(!p.is_empty(), key.clone(), || "must not be empty".into())?;
    ensure(!p.contains('\0'), key.clone(), || {
        "must not contain NUL".into()
    })?;
    let comps: Vec<&str> = p.split('/').filter(|c| !c.is_empty()).collect();
    ensure(
        comps.len() <= usize::from(MAX_WALK_DEPTH),
        key.clone(),
        || format!("path depth exceeds {MAX_WALK_DEPTH}"),
    )?;
    ensure(!comps.iter().any(|c| *c == "." || *c == ".."), key, || {
        "path components '.' and '..' are not allowed".into()
    })
}

/// A single path component name (sidecar id, mount, scope): 1..=64 bytes, no '/', not `..`.
pub(crate) fn check_name(key: KeyPath, name: &str) -> Check {
    let n = name.trim();
    ensure(!n.is_empty(), key.clone(), || "must not be empty".into())?;
    ensure(n.len() <= MAX_COMPONENT_LEN, key.clone(), || {
        format!("must be at most {MAX_COMPONENT_LEN} bytes")
    })?;
    ensure(!n.contains('/') && n != "..", key, || {
        "must be a single path component (no '/', not '..')".into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(path: &str, depth: u8) -> bool {
        check_client_path(KeyPath::of(&["p"]), path, depth).is_ok()
    }

    #[test]
    fn client_path_rules() {
        assert!(ok("/queen/ctl", 8));
        assert!(ok("/a//b", 2), "empty components are skipped");
        assert!(!ok("queen/ctl", 8), "relative");
        assert!(!ok("/", 8), "no component");
        assert!(!ok("/a/./b", 8));
        assert!(!ok("/a/../b", 8));
        assert!(!ok("/a/b\0c", 8), "NUL");
        assert!(!ok("/a b", 8), "space");
        assert!(!ok("/a/b/c", 2), "deeper than walk_depth");
        assert!(ok(&format!("/{}", "x".repeat(64)), 8));
        assert!(
            !ok(&format!("/{}", "x".repeat(65)), 8),
            "component over 64 bytes"
        );
        let long = "/abcdefgh".repeat(11);
        assert!(long.len() > MAX_PATH_LEN);
        assert!(!ok(&long, 16), "over 96 bytes");
    }
}
