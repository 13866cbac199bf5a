//! Request validation with host-surface §5.9's messages (all answered 400 before anything
//! reaches the console). Pure functions over [`Limits`].

use crate::bounds::Limits;

/// Largest `max_bytes` the gateway collects for one read (larger requests are clamped: the
/// reply must stay bounded in memory).
pub const MAX_READ_BYTES: usize = 1024 * 1024;

/// A checked namespace path (host-surface §5.9 wording, not the client's §1.3 wording).
///
/// # Errors
/// `"path is required"`, `"path must be absolute"`, `"path exceeds max length <n>"`,
/// `"path contains NUL byte"`, `"path segments '.' and '..' are not permitted"`,
/// `"path exceeds max depth <n>"`.
pub fn path<'a>(path: Option<&'a str>, limits: &Limits) -> Result<&'a str, String> {
    let path = path.unwrap_or("");
    if path.is_empty() {
        return Err("path is required".into());
    }
    if !path.starts_with('/') {
        return Err("path must be absolute".into());
    }
    let max = limits.console.max_path_len;
    if path.len() > max {
        return Err(format!("path exceeds max length {max}"));
    }
    if path.contains('\0') {
        return Err("path contains NUL byte".into());
    }
    let mut depth = 0usize;
    for c in path.split('/').filter(|c| !c.is_empty()) {
        if c == "." || c == ".." {
            return Err("path segments '.' and '..' are not permitted".into());
        }
        depth += 1;
    }
    let max = limits.secure9p.walk_depth;
    if depth > max {
        return Err(format!("path exceeds max depth {max}"));
    }
    Ok(path)
}

/// `max_bytes` of a CAT/TAIL: present and positive; clamped to [`MAX_READ_BYTES`]; for the
/// five `/proc` schedule/lease nodes, the node must be enabled and `max_bytes` within its
/// bound.
///
/// # Errors
/// `"max_bytes is required"`, `"max_bytes must be an integer"`, `"proc <schedule|lease>
/// <node> is disabled"`, `"max_bytes <n> exceeds bound <m>"`.
pub fn max_bytes(raw: Option<&str>, path: &str, limits: &Limits) -> Result<usize, String> {
    let raw = raw.map(str::trim).unwrap_or("");
    if raw.is_empty() {
        return Err("max_bytes is required".into());
    }
    let n: u64 = raw
        .parse()
        .map_err(|_| "max_bytes must be an integer".to_owned())?;
    if n == 0 {
        return Err("max_bytes is required".into());
    }
    if let Some((surface, node, enabled, bound)) = proc_node(path, limits) {
        if !enabled {
            return Err(format!("proc {surface} {node} is disabled"));
        }
        if n > bound as u64 {
            return Err(format!("max_bytes {n} exceeds bound {bound}"));
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
/// `"<schedule|lease|export|policy> control is disabled"`, `"line is required"`, `"payload
/// must be a single line"`, `"payload exceeds max_echo_len <n>"`, `"echo line exceeds
/// max_line_len <n>"`, `"payload exceeds ctl_max_bytes <n>"`.
pub fn echo<'a>(path: &str, line: &'a str, limits: &Limits) -> Result<&'a str, String> {
    let control = control_of(path, limits);
    if let Some((name, c)) = control {
        if !c.enable {
            return Err(format!("{name} control is disabled"));
        }
    }
    let line = line.trim_end_matches('\n');
    if line.contains(['\n', '\r']) {
        return Err("payload must be a single line".into());
    }
    if line.is_empty() {
        return Err("line is required".into());
    }
    let max = limits.console.max_echo_len;
    if line.len() > max {
        return Err(format!("payload exceeds max_echo_len {max}"));
    }
    let max = limits.console.max_line_len;
    if 5 + path.len() + 1 + line.len() > max {
        return Err(format!("echo line exceeds max_line_len {max}"));
    }
    if let Some((_, c)) = control {
        if line.len() > c.ctl_max_bytes {
            return Err(format!("payload exceeds ctl_max_bytes {}", c.ctl_max_bytes));
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
        let e = |p: Option<&str>| path(p, &l).unwrap_err();
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
            max_bytes(None, "/x", &l).unwrap_err(),
            "max_bytes is required"
        );
        assert_eq!(
            max_bytes(Some("0"), "/x", &l).unwrap_err(),
            "max_bytes is required"
        );
        assert_eq!(
            max_bytes(Some("ten"), "/x", &l).unwrap_err(),
            "max_bytes must be an integer"
        );
        assert_eq!(max_bytes(Some("4096"), "/x", &l).unwrap(), 4096);
        assert_eq!(
            max_bytes(Some("99999999999"), "/x", &l).unwrap(),
            MAX_READ_BYTES
        );
        assert_eq!(
            max_bytes(Some("161"), "/proc/lease/summary", &l).unwrap_err(),
            "max_bytes 161 exceeds bound 160"
        );
        assert_eq!(
            max_bytes(Some("160"), "/proc/lease/summary", &l).unwrap(),
            160
        );
        assert_eq!(
            max_bytes(Some("257"), "/proc/schedule/queue", &l).unwrap_err(),
            "max_bytes 257 exceeds bound 256"
        );
        l.observability.proc_schedule.summary = false;
        assert_eq!(
            max_bytes(Some("1"), "/proc/schedule/summary", &l).unwrap_err(),
            "proc schedule summary is disabled"
        );
        l.observability.proc_lease.preemptions = false;
        assert_eq!(
            max_bytes(Some("1"), "/proc/lease/preemptions", &l).unwrap_err(),
            "proc lease preemptions is disabled"
        );
    }

    #[test]
    fn echo_checks_in_the_documented_order() {
        let mut l = limits();
        assert_eq!(echo("/queen/ctl", "abc\n\n", &l).unwrap(), "abc");
        assert_eq!(
            echo("/queen/ctl", "a\nb", &l).unwrap_err(),
            "payload must be a single line"
        );
        assert_eq!(
            echo("/queen/ctl", "a\rb", &l).unwrap_err(),
            "payload must be a single line"
        );
        assert_eq!(
            echo("/queen/ctl", "\n", &l).unwrap_err(),
            "line is required"
        );
        assert_eq!(
            echo("/queen/ctl", &"x".repeat(129), &l).unwrap_err(),
            "payload exceeds max_echo_len 128"
        );
        assert!(echo("/queen/ctl", &"x".repeat(128), &l).is_ok());
        // 5 + 96 + 1 + 128 = 230 fits; a smaller line bound does not.
        l.console.max_line_len = 100;
        assert_eq!(
            echo("/queen/ctl", &"x".repeat(90), &l).unwrap_err(),
            "echo line exceeds max_line_len 100"
        );
        let mut l = limits();
        l.control_plane.export.ctl_max_bytes = 4;
        assert_eq!(
            echo("/queen/export/ctl", "12345", &l).unwrap_err(),
            "payload exceeds ctl_max_bytes 4"
        );
        l.control_plane.schedule.enable = false;
        assert_eq!(
            echo("/queen/schedule/ctl", "{}", &l).unwrap_err(),
            "schedule control is disabled"
        );
        l.control_plane.lease.enable = false;
        assert_eq!(
            echo("/queen/lease/ctl", "{}", &l).unwrap_err(),
            "lease control is disabled"
        );
        l.control_plane.export.enable = false;
        assert_eq!(
            echo("/queen/export/ctl", "{}", &l).unwrap_err(),
            "export control is disabled"
        );
        l.policy.enable = false;
        assert_eq!(
            echo("/policy/ctl", "{}", &l).unwrap_err(),
            "policy control is disabled"
        );
        // No ctl bound outside the four control files.
        assert!(echo("/actions/queue", "12345", &l).is_ok());
    }
}
