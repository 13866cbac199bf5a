//! Request validation with host-surface §5.9's messages (all answered 400 before anything
//! reaches the console). Pure functions over [`Limits`]; [`Invalid`]'s `Display` is the
//! message a client sees.

use core::fmt;

use crate::bounds::Limits;

/// Why a request is invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalid {
    /// `path is required`.
    PathRequired,
    /// `path must be absolute`.
    NotAbsolute,
    /// `path exceeds max length <n>`.
    PathTooLong(usize),
    /// `path contains NUL byte`.
    Nul,
    /// `path segments '.' and '..' are not permitted`.
    DotSegment,
    /// `path exceeds max depth <n>`.
    TooDeep(usize),
    /// `max_bytes is required` (missing or 0).
    MaxBytesRequired,
    /// `max_bytes must be an integer`.
    MaxBytesNotInteger,
    /// `proc <surface> <node> is disabled`.
    ProcDisabled {
        /// `schedule` or `lease`.
        surface: &'static str,
        /// The node.
        node: &'static str,
    },
    /// `max_bytes <n> exceeds bound <m>`.
    OverBound {
        /// Asked.
        asked: u64,
        /// The node's bound.
        bound: usize,
    },
    /// `<surface> control is disabled`.
    ControlDisabled(&'static str),
    /// `payload must be a single line`.
    NotSingleLine,
    /// `line is required`.
    LineRequired,
    /// `payload exceeds max_echo_len <n>`.
    EchoTooLong(usize),
    /// `echo line exceeds max_line_len <n>`.
    LineTooLong(usize),
    /// `payload exceeds ctl_max_bytes <n>`.
    OverCtl(usize),
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PathRequired => f.write_str("path is required"),
            Self::NotAbsolute => f.write_str("path must be absolute"),
            Self::PathTooLong(n) => write!(f, "path exceeds max length {n}"),
            Self::Nul => f.write_str("path contains NUL byte"),
            Self::DotSegment => f.write_str("path segments '.' and '..' are not permitted"),
            Self::TooDeep(n) => write!(f, "path exceeds max depth {n}"),
            Self::MaxBytesRequired => f.write_str("max_bytes is required"),
            Self::MaxBytesNotInteger => f.write_str("max_bytes must be an integer"),
            Self::ProcDisabled { surface, node } => write!(f, "proc {surface} {node} is disabled"),
            Self::OverBound { asked, bound } => {
                write!(f, "max_bytes {asked} exceeds bound {bound}")
            }
            Self::ControlDisabled(s) => write!(f, "{s} control is disabled"),
            Self::NotSingleLine => f.write_str("payload must be a single line"),
            Self::LineRequired => f.write_str("line is required"),
            Self::EchoTooLong(n) => write!(f, "payload exceeds max_echo_len {n}"),
            Self::LineTooLong(n) => write!(f, "echo line exceeds max_line_len {n}"),
            Self::OverCtl(n) => write!(f, "payload exceeds ctl_max_bytes {n}"),
        }
    }
}

impl std::error::Error for Invalid {}

/// Largest `max_bytes` the gateway collects for one read (larger requests are clamped: the
/// reply must stay bounded in memory).
pub const MAX_READ_BYTES: usize = 1024 * 1024;

/// A checked namespace path (host-surface §5.9 wording, not the client's §1.3 wording).
///
/// # Errors
/// [`Invalid::PathRequired`], [`Invalid::NotAbsolute`], [`Invalid::PathTooLong`],
/// [`Invalid::Nul`], [`Invalid::DotSegment`], [`Invalid::TooDeep`].
pub fn path<'a>(path: Option<&'a str>, limits: &Limits) -> Result<&'a str, Invalid> {
    let path = path.unwrap_or("");
    if path.is_empty() {
        return Err(Invalid::PathRequired);
    }
    if !path.starts_with('/') {
        return Err(Invalid::NotAbsolute);
    }
    let max = limits.console.max_path_len;
    if path.len() > max {
        return Err(Invalid::PathTooLong(max));
    }
    if path.contains('\0') {
        return Err(Invalid::Nul);
    }
    let mut depth = 0usize;
    for c in path.split('/').filter(|c| !c.is_empty()) {
        if c == "." || c == ".." {
            return Err(Invalid::DotSegment);
        }
        depth += 1;
    }
    let max = limits.secure9p.walk_depth;
    if depth > max {
        return Err(Invalid::TooDeep(max));
    }
    Ok(path)
}

/// `max_bytes` of a CAT/TAIL: present and positive; clamped to [`MAX_READ_BYTES`]; for the
/// five `/proc` schedule/lease nodes, the node must be enabled and `max_bytes` within its
/// bound.
///
/// # Errors
/// [`Invalid::MaxBytesRequired`], [`Invalid::MaxBytesNotInteger`],
/// [`Invalid::ProcDisabled`], [`Invalid::OverBound`].
pub fn max_bytes(raw: Option<&str>, path: &str, limits: &Limits) -> Result<usize, Invalid> {
    let raw = raw.map(str::trim).unwrap_or("");
    if raw.is_empty() {
        return Err(Invalid::MaxBytesRequired);
    }
    let n: u64 = raw.parse().map_err(|_| Invalid::MaxBytesNotInteger)?;
    if n == 0 {
        return Err(Invalid::MaxBytesRequired);
    }
    if let Some((surface, node, enabled, bound)) = proc_node(path, limits) {
        if !enabled {
            return Err(Invalid::ProcDisabled { surface, node });
        }
        if n > u64::try_from(bound).unwrap_or(u64::MAX) {
            return Err(Invalid::OverBound { asked: n, bound });
        }
    }
    Ok(usize::try_from(n).unwrap_or(usize::MAX).min(MAX_READ_BYTES))
}

/// The schedule/lease `/proc` node `path` names: `(surface, node, enabled, bound)`.
fn proc_node(path: &str, l: &Limits) -> Option<(&'static str, &'static str, bool, usize)> {
    let s = &l.observability.proc_schedule;
    let le = &l.observability.proc_lease;
    Some(match path {
        "/proc/schedule/summary" => ("schedule", "summary", s.summary, s.summary_bytes),
        "/proc/schedule/queue" => ("schedule", "queue", s.queue, s.queue_bytes),
        "/proc/lease/summary" => ("lease", "summary", le.summary, le.summary_bytes),
        "/proc/lease/active" => ("lease", "active", le.active, le.active_bytes),
        "/proc/lease/preemptions" => ("lease", "preemptions", le.preemptions, le.preemptions_bytes),
        _ => return None,
    })
}

/// Checks an ECHO: the control surface is enabled, trailing `\n`s are trimmed, one line, within
/// the echo and line bounds and the control file's bound. Returns the line to send.
///
/// # Errors
/// [`Invalid::ControlDisabled`], [`Invalid::NotSingleLine`], [`Invalid::LineRequired`],
/// [`Invalid::EchoTooLong`], [`Invalid::LineTooLong`], [`Invalid::OverCtl`].
pub fn echo<'a>(path: &str, line: &'a str, limits: &Limits) -> Result<&'a str, Invalid> {
    let control = control_of(path, limits);
    if let Some((name, c)) = control {
        if !c.enable {
            return Err(Invalid::ControlDisabled(name));
        }
    }
    let line = line.trim_end_matches('\n');
    if line.contains(['\n', '\r']) {
        return Err(Invalid::NotSingleLine);
    }
    if line.is_empty() {
        return Err(Invalid::LineRequired);
    }
    let max = limits.console.max_echo_len;
    if line.len() > max {
        return Err(Invalid::EchoTooLong(max));
    }
    let max = limits.console.max_line_len;
    if 5 + path.len() + 1 + line.len() > max {
        return Err(Invalid::LineTooLong(max));
    }
    if let Some((_, c)) = control {
        if line.len() > c.ctl_max_bytes {
            return Err(Invalid::OverCtl(c.ctl_max_bytes));
        }
    }
    Ok(line)
}

fn control_of<'l>(
    path: &str,
    l: &'l Limits,
) -> Option<(&'static str, &'l crate::bounds::ControlLimit)> {
    if path == l.paths.queen_schedule_ctl {
        Some(("schedule", &l.control_plane.schedule))
    } else if path == l.paths.queen_lease_ctl {
        Some(("lease", &l.control_plane.lease))
    } else if path == l.paths.queen_export_ctl {
        Some(("export", &l.control_plane.export))
    } else if path == l.paths.policy_ctl {
        Some(("policy", &l.policy))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounds::Bounds;

    fn limits() -> Limits {
        Bounds::generated().unwrap().limits().clone()
    }

    #[test]
    fn paths_use_the_gateway_wording_in_order() {
        let l = limits();
        let e = |p: Option<&str>| path(p, &l).unwrap_err().to_string();
        assert_eq!(e(None), "path is required");
        assert_eq!(e(Some("")), "path is required");
        assert_eq!(e(Some("proc")), "path must be absolute");
        assert_eq!(
            e(Some(&format!("/{}", "a".repeat(96)))),
            "path exceeds max length 96"
        );
        assert_eq!(e(Some("/a\0b")), "path contains NUL byte");
        assert_eq!(
            e(Some("/a/../b")),
            "path segments '.' and '..' are not permitted"
        );
        assert_eq!(
            e(Some("/a/./b")),
            "path segments '.' and '..' are not permitted"
        );
        assert_eq!(e(Some("/1/2/3/4/5/6/7/8/9")), "path exceeds max depth 8");
        assert_eq!(
            path(Some("/1/2/3/4/5/6/7/8"), &l).unwrap(),
            "/1/2/3/4/5/6/7/8"
        );
        assert_eq!(path(Some("//proc//boot/"), &l).unwrap(), "//proc//boot/");
        assert_eq!(
            path(Some(&format!("/{}", "a".repeat(95))), &l)
                .unwrap()
                .len(),
            96
        );
    }

    #[test]
    fn max_bytes_is_required_positive_and_bounded_on_proc_nodes() {
        let mut l = limits();
        assert_eq!(
            max_bytes(None, "/x", &l).unwrap_err().to_string(),
            "max_bytes is required"
        );
        assert_eq!(
            max_bytes(Some("0"), "/x", &l).unwrap_err().to_string(),
            "max_bytes is required"
        );
        assert_eq!(
            max_bytes(Some("ten"), "/x", &l).unwrap_err().to_string(),
            "max_bytes must be an integer"
        );
        assert_eq!(max_bytes(Some("4096"), "/x", &l).unwrap(), 4096);
        assert_eq!(
            max_bytes(Some("99999999999"), "/x", &l).unwrap(),
            MAX_READ_BYTES
        );
        assert_eq!(
            max_bytes(Some("161"), "/proc/lease/summary", &l)
                .unwrap_err()
                .to_string(),
            "max_bytes 161 exceeds bound 160"
        );
        assert_eq!(
            max_bytes(Some("160"), "/proc/lease/summary", &l).unwrap(),
            160
        );
        assert_eq!(
            max_bytes(Some("257"), "/proc/schedule/queue", &l)
                .unwrap_err()
                .to_string(),
            "max_bytes 257 exceeds bound 256"
        );
        l.observability.proc_schedule.summary = false;
        assert_eq!(
            max_bytes(Some("1"), "/proc/schedule/summary", &l)
                .unwrap_err()
                .to_string(),
            "proc schedule summary is disabled"
        );
        l.observability.proc_lease.preemptions = false;
        assert_eq!(
            max_bytes(Some("1"), "/proc/lease/preemptions", &l)
                .unwrap_err()
                .to_string(),
            "proc lease preemptions is disabled"
        );
    }

    #[test]
    fn echo_checks_in_the_documented_order() {
        let mut l = limits();
        assert_eq!(echo("/queen/ctl", "abc\n\n", &l).unwrap(), "abc");
        assert_eq!(
            echo("/queen/ctl", "a\nb", &l).unwrap_err().to_string(),
            "payload must be a single line"
        );
        assert_eq!(
            echo("/queen/ctl", "a\rb", &l).unwrap_err().to_string(),
            "payload must be a single line"
        );
        assert_eq!(
            echo("/queen/ctl", "\n", &l).unwrap_err().to_string(),
            "line is required"
        );
        assert_eq!(
            echo("/queen/ctl", &"x".repeat(129), &l)
                .unwrap_err()
                .to_string(),
            "payload exceeds max_echo_len 128"
        );
        assert!(echo("/queen/ctl", &"x".repeat(128), &l).is_ok());
        // 5 + 96 + 1 + 128 = 230 fits; a smaller line bound does not.
        l.console.max_line_len = 100;
        assert_eq!(
            echo("/queen/ctl", &"x".repeat(90), &l)
                .unwrap_err()
                .to_string(),
            "echo line exceeds max_line_len 100"
        );
        let mut l = limits();
        l.control_plane.export.ctl_max_bytes = 4;
        assert_eq!(
            echo("/queen/export/ctl", "12345", &l)
                .unwrap_err()
                .to_string(),
            "payload exceeds ctl_max_bytes 4"
        );
        l.control_plane.schedule.enable = false;
        assert_eq!(
            echo("/queen/schedule/ctl", "{}", &l)
                .unwrap_err()
                .to_string(),
            "schedule control is disabled"
        );
        l.control_plane.lease.enable = false;
        assert_eq!(
            echo("/queen/lease/ctl", "{}", &l).unwrap_err().to_string(),
            "lease control is disabled"
        );
        l.control_plane.export.enable = false;
        assert_eq!(
            echo("/queen/export/ctl", "{}", &l).unwrap_err().to_string(),
            "export control is disabled"
        );
        l.policy.enable = false;
        assert_eq!(
            echo("/policy/ctl", "{}", &l).unwrap_err().to_string(),
            "policy control is disabled"
        );
        // No ctl bound outside the four control files.
        assert!(echo("/actions/queue", "12345", &l).is_ok());
    }
}
