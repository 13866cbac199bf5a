//! What the mount knows about the namespace's shape beyond `LS`: which nodes are streams
//! (read with `TAIL`), which are write-only control files, and which nodes the target serves
//! without listing them (a telemetry device is created by writing its `ctl`; worker
//! telemetry rings are not listed under `/worker/<id>`).
//!
//! Facts from the console contract (console-protocol §3.4 tail targets, §3.5 writes) and the
//! telemetry ingest layout (`/queen/telemetry/<dev>/{ctl,latest,seg/<seg>}`).

use cohesix_core::control::token::check_id;

/// A node's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A directory (`LS`).
    Dir,
    /// A file.
    File,
}

/// How a file is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// `CAT`: the node's whole content, re-read at most once per TTL.
    Snapshot,
    /// `TAIL`: an append-only stream; each poll adds the lines new since the last one.
    Stream,
    /// A control file: append-only, never read.
    WriteOnly,
}

fn parts(path: &str) -> Vec<&str> {
    path.split('/').filter(|c| !c.is_empty()).collect()
}

fn is_id(s: &str) -> bool {
    check_id("id", s).is_ok()
}

/// How the file at `path` is read.
#[must_use]
pub fn class(path: &str) -> Class {
    match parts(path).as_slice() {
        ["log", "queen.log"] | ["proc", "ingest", "watch"] | ["worker", _, "telemetry"] => {
            Class::Stream
        }
        [.., "ctl"] | ["actions", "queue"] => Class::WriteOnly,
        _ => Class::Snapshot,
    }
}

/// The type of `path` where the shape fixes it (no `LS` probe needed).
#[must_use]
pub fn kind_hint(path: &str) -> Option<Kind> {
    let p = parts(path);
    match p.as_slice() {
        [] | ["worker", _] | ["queen", "telemetry", _] | ["queen", "telemetry", _, "seg"] => {
            Some(Kind::Dir)
        }
        ["queen", "telemetry", _, "seg", _] => Some(Kind::File),
        _ if class(path) != Class::Snapshot => Some(Kind::File),
        _ => None,
    }
}

/// Whether `path` exists by shape even when its parent's listing lacks it (its parent is
/// known to exist).
#[must_use]
pub fn unlisted(path: &str) -> bool {
    match parts(path).as_slice() {
        ["queen", "telemetry", dev] => is_id(dev),
        ["queen", "telemetry", dev, "ctl" | "latest" | "seg"] => is_id(dev),
        ["worker", id, "telemetry"] => is_id(id),
        _ => false,
    }
}

/// Children of the directory `path` that exist by shape, listed or not.
#[must_use]
pub fn children(path: &str) -> &'static [&'static str] {
    match parts(path).as_slice() {
        ["queen", "telemetry", dev] if is_id(dev) => &["ctl", "latest", "seg"],
        ["worker", id] if is_id(id) => &["telemetry"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(class("/log/queen.log"), Class::Stream);
        assert_eq!(class("/worker/worker-1/telemetry"), Class::Stream);
        assert_eq!(class("/proc/ingest/watch"), Class::Stream);
        assert_eq!(class("/queen/ctl"), Class::WriteOnly);
        assert_eq!(class("/queen/telemetry/d/ctl"), Class::WriteOnly);
        assert_eq!(class("/actions/queue"), Class::WriteOnly);
        assert_eq!(class("/queen/telemetry/d/latest"), Class::Snapshot);
        assert_eq!(class("/gpu/GPU-0/info"), Class::Snapshot);
    }

    #[test]
    fn unlisted_telemetry_devices_and_worker_rings() {
        assert!(unlisted("/queen/telemetry/new-device"));
        assert!(unlisted("/queen/telemetry/new-device/ctl"));
        assert!(unlisted("/queen/telemetry/new-device/seg"));
        assert!(!unlisted("/queen/telemetry/new-device/seg/seg-000001"));
        assert!(!unlisted("/queen/telemetry/bad id"));
        assert!(unlisted("/worker/worker-1/telemetry"));
        assert!(!unlisted("/worker/worker-1"));
        assert_eq!(children("/queen/telemetry/d"), &["ctl", "latest", "seg"]);
        assert_eq!(children("/worker/worker-7"), &["telemetry"]);
        assert_eq!(kind_hint("/queen/telemetry/d/seg"), Some(Kind::Dir));
        assert_eq!(kind_hint("/worker/w"), Some(Kind::Dir));
        assert_eq!(kind_hint("/queen/ctl"), Some(Kind::File));
        assert_eq!(kind_hint("/gpu/GPU-0"), None);
    }
}
