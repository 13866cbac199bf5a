//! Identifier tokens, positive integers and paths (host-surface §1.2, §1.3).
//!
//! Builders trim surrounding whitespace (the trimmed value is what is serialised, as
//! upstream); `validate` then checks, in this order: empty → `"<field> must not be empty"`,
//! longer than the field's limit → `"<field> exceeds <N> bytes"`, any byte outside
//! `[A-Za-z0-9._-]` → `"<field> must use ASCII token characters [A-Za-z0-9._-]"`.
//!
//! **Deliberate change from upstream**: identifiers are limited to the target's
//! `max_id_len` ([`MAX_ID_LEN`], 32 bytes), not the upstream client's 128, so an identifier
//! the client accepts is one the queen accepts. The op/decision/action/verb limits stay as
//! upstream has them.

use cohesix_generated::console::MAX_ID_LEN as CONSOLE_MAX_ID_LEN;

use crate::path::{validate_path, PathError};

use super::error::ControlError;

/// Longest identifier (ids, roles, subjects, resources, reasons, keys): the console's
/// `max_id_len`.
pub const MAX_ID_LEN: usize = CONSOLE_MAX_ID_LEN;
/// Longest `op` (lease, export).
pub const MAX_OP_LEN: usize = 16;
/// Longest approval `decision`.
pub const MAX_DECISION_LEN: usize = 16;
/// Longest host-ticket `action`.
pub const MAX_ACTION_LEN: usize = 64;
/// Longest K8s intent `verb`.
pub const MAX_VERB_LEN: usize = 32;

/// Whether `b` is an identifier byte: `[A-Za-z0-9._-]`.
pub const fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

/// Checks an identifier against §1.2 with limit `max` (the value must already be trimmed;
/// surrounding whitespace fails the character rule).
pub fn check_token(field: &'static str, value: &str, max: usize) -> Result<(), ControlError> {
    if value.is_empty() {
        return Err(ControlError::Empty { field });
    }
    if value.len() > max {
        return Err(ControlError::TooLong { field, max });
    }
    if !value.bytes().all(is_token_byte) {
        return Err(ControlError::NotToken { field });
    }
    Ok(())
}

/// [`check_token`] with the identifier limit [`MAX_ID_LEN`].
pub fn check_id(field: &'static str, value: &str) -> Result<(), ControlError> {
    check_token(field, value, MAX_ID_LEN)
}

/// [`check_id`] for an optional field (unset passes).
pub(crate) fn check_id_opt(field: &'static str, value: Option<&str>) -> Result<(), ControlError> {
    value.map_or(Ok(()), |v| check_id(field, v))
}

/// `"<field> must be > 0"`.
pub fn check_positive(field: &'static str, value: u64) -> Result<(), ControlError> {
    if value == 0 {
        Err(ControlError::NotPositive { field })
    } else {
        Ok(())
    }
}

/// [`check_positive`] for an optional field (unset passes).
pub(crate) fn check_positive_opt(
    field: &'static str,
    value: Option<u32>,
) -> Result<(), ControlError> {
    value.map_or(Ok(()), |v| check_positive(field, u64::from(v)))
}

/// Checks a namespace path with the core path rules ([`crate::path`], stricter than §1.3:
/// also no `//`, no trailing `/`, printable ASCII only); the error renders §1.3's wording.
pub fn check_path(field: &'static str, value: &str) -> Result<(), ControlError> {
    match validate_path(value) {
        Ok(()) => Ok(()),
        Err(PathError::DotComponent) => {
            let dotdot = value.split('/').any(|c| c == "..")
                && !value
                    .split('/')
                    .take_while(|c| *c != "..")
                    .any(|c| c == ".");
            Err(ControlError::DotComponent {
                field,
                component: if dotdot { ".." } else { "." },
            })
        }
        Err(error) => Err(ControlError::Path { field, error }),
    }
}

/// Case-insensitive, trimmed match of `value` against `names` after the §1.2 token rules
/// with limit `max`; the index of the match.
pub(crate) fn parse_keyword(
    field: &'static str,
    value: &str,
    max: usize,
    names: &[&str],
) -> Result<Option<usize>, ControlError> {
    let value = value.trim();
    check_token(field, value, max)?;
    Ok(names.iter().position(|n| n.eq_ignore_ascii_case(value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::string::{String, ToString};

    #[test]
    fn token_rules_and_messages() {
        assert_eq!(check_id("lease_id", "lease-1.a_b"), Ok(()));
        let msg = |r: Result<(), ControlError>| r.unwrap_err().to_string();
        assert_eq!(msg(check_id("lease_id", "")), "lease_id must not be empty");
        assert_eq!(
            msg(check_id("lease_id", &"a".repeat(33))),
            "lease_id exceeds 32 bytes"
        );
        assert_eq!(check_id("lease_id", &"a".repeat(32)), Ok(()));
        assert_eq!(
            msg(check_id("role", "a b")),
            "role must use ASCII token characters [A-Za-z0-9._-]"
        );
        assert_eq!(
            msg(check_id("role", "worker:gpu")),
            "role must use ASCII token characters [A-Za-z0-9._-]"
        );
        assert_eq!(msg(check_positive("ttl_s", 0)), "ttl_s must be > 0");
        assert_eq!(check_positive("ttl_s", 1), Ok(()));
        // The length check comes before the character check (§1.2 order).
        assert_eq!(
            check_token("op", "x x x x x x x x x", MAX_OP_LEN),
            Err(ControlError::TooLong {
                field: "op",
                max: 16
            })
        );
    }

    #[test]
    fn path_messages_follow_section_1_3() {
        let msg = |p: &str| -> String { check_path("target", p).unwrap_err().to_string() };
        assert_eq!(check_path("target", "/queen/ctl"), Ok(()));
        assert_eq!(msg("queen/ctl"), "paths must be absolute");
        assert_eq!(msg(""), "paths must be absolute");
        assert_eq!(
            msg(&format!("/{}", "a".repeat(96))),
            "path exceeds max length 96"
        );
        assert_eq!(
            msg("/a/b/c/d/e/f/g/h/i"),
            "path exceeds maximum depth of 8 components"
        );
        assert_eq!(msg("/a/../b"), "path component '..' is not permitted");
        assert_eq!(msg("/a/./b"), "path component '.' is not permitted");
        assert_eq!(msg("/a/./../b"), "path component '.' is not permitted");
        assert_eq!(msg("/a\0b"), "path component contains NUL byte");
    }
}
