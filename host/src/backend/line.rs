//! Checks every backend applies before anything is sent or written.

use cohesix_generated::console::{MAX_ECHO_LEN, MAX_LINE_LEN};

use crate::error::Error;

/// The console's echo bound: the longest line one `ECHO` carries (128 bytes), also
/// `min(max_echo_len, max_line_len − len("ECHO ") − len(path) − 1)` for every control path.
pub const ECHO_BOUND: usize = MAX_ECHO_LEN;

/// Checks a namespace path with the core rules; errors use host-surface §1.3 wording.
///
/// # Errors
/// [`Error::Path`].
pub fn check_path(path: &str) -> Result<(), Error> {
    cohesix_core::control::token::check_path("path", path).map_err(Error::Path)
}

/// The transport bound for `path`: `min(max_echo_len, max_line_len − (5 + len(path) + 1))`.
#[must_use]
pub fn echo_bound(path: &str) -> usize {
    ECHO_BOUND.min(MAX_LINE_LEN.saturating_sub(5 + path.len() + 1))
}

/// Prepares one append: trailing `\n`/`\r\n` removed, outer spaces trimmed (the queen
/// trims them too); an empty line or an inner line break refused; when `bounded` (every
/// backend that ends on a console), a line over the path's echo bound or outside printable
/// ASCII refused. Returns the line to write.
///
/// # Errors
/// [`Error::Payload`]: `"echo payload must not be empty"`, `"echo payload must be a single
/// line"`, `"echo payload exceeds <n> bytes"`, `"console line must be ASCII"`.
pub fn prepare_line<'a>(path: &str, line: &'a str, bounded: bool) -> Result<&'a str, Error> {
    let line = line.trim_end_matches(['\n', '\r']);
    if line.contains(['\n', '\r']) {
        return Err(Error::Payload("echo payload must be a single line".into()));
    }
    let line = line.trim_matches(' ');
    if line.is_empty() {
        return Err(Error::Payload("echo payload must not be empty".into()));
    }
    let bound = echo_bound(path);
    if bounded && line.len() > bound {
        return Err(Error::Payload(format!(
            "echo payload exceeds {bound} bytes"
        )));
    }
    if bounded && !line.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(Error::Payload("console line must be ASCII".into()));
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_lines_within_the_bound() {
        assert_eq!(prepare_line("/queen/ctl", "abc\n\n", true).unwrap(), "abc");
        assert_eq!(prepare_line("/queen/ctl", "abc\r\n", true).unwrap(), "abc");
        assert_eq!(
            prepare_line("/queen/ctl", "a\nb", true)
                .unwrap_err()
                .to_string(),
            "echo payload must be a single line"
        );
        let long = "x".repeat(129);
        assert_eq!(
            prepare_line("/queen/ctl", &long, true)
                .unwrap_err()
                .to_string(),
            "echo payload exceeds 128 bytes"
        );
        assert!(prepare_line("/queen/ctl", &long, false).is_ok());
        assert_eq!(prepare_line("/x", "  a b  ", true).unwrap(), "a b");
        assert!(prepare_line("/x", "  \n", true).is_err());
        assert_eq!(
            prepare_line("/x", "caf\u{e9}", true)
                .unwrap_err()
                .to_string(),
            "console line must be ASCII"
        );
        assert_eq!(echo_bound("/queen/ctl"), 128);
    }

    #[test]
    fn paths_use_the_upstream_wording() {
        assert_eq!(
            check_path("relative").unwrap_err().to_string(),
            "paths must be absolute"
        );
        assert!(check_path("/proc/lease/active").is_ok());
    }
}
