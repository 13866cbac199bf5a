//! How the tools print an error: its message, then each cause in its `source()` chain that
//! adds something (a cause whose text the line above already contains is skipped, so a
//! wrapper that repeats its cause does not print it twice).
//!
//! ```text
//! cohesix-playbook: batch stopped at line 2 of 3
//!   caused by: ECHO failed: ERR ECHO reason=policy detail=invalid-payload
//! ```

use std::error::Error;
use std::fmt::Write as _;

/// The error and its causes, one per line (causes indented with `caused by:`).
#[must_use]
pub fn chain(err: &(dyn Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut last = out.clone();
    let mut cause = err.source();
    let mut depth = 0;
    while let Some(e) = cause {
        // Bounded: a cyclic or absurdly deep chain stops after 16 causes.
        if depth == 16 {
            out.push_str("\n  caused by: …");
            break;
        }
        let text = e.to_string();
        if !text.is_empty() && !last.contains(&text) {
            let _ = write!(out, "\n  caused by: {text}");
        }
        last = text;
        cause = e.source();
        depth += 1;
    }
    out
}

/// [`chain`] for `map_err`: takes the error by value.
#[must_use]
pub fn message<E: Error + 'static>(err: E) -> String {
    chain(&err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    #[derive(Debug)]
    struct Outer(Inner, &'static str);
    #[derive(Debug)]
    struct Inner(&'static str);

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.1)
        }
    }
    impl fmt::Display for Inner {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }
    impl Error for Inner {}

    #[test]
    fn prints_new_causes_and_skips_repeated_ones() {
        let e = Outer(Inner("disk full"), "receipt failed");
        assert_eq!(chain(&e), "receipt failed\n  caused by: disk full");
        let e = Outer(Inner("disk full"), "receipt failed: disk full");
        assert_eq!(chain(&e), "receipt failed: disk full");
    }

    #[test]
    fn core_errors_chain_through_the_tools_printer() {
        let e = cohesix_core::error::Error::from(cohesix_core::request::RequestError::Path(
            cohesix_core::path::PathError::NotAbsolute,
        ));
        let text = chain(&e);
        assert!(text.starts_with("invalid argument: "), "{text}");
        assert!(!text.contains("caused by"), "{text}");
    }
}
