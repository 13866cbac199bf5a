//! Strict JSON for the simulator-only payloads that have no type in `cohesix_core::control`
//! (`/replay/ctl`, `/host/tickets/{status,deadletter}` receipts) and the "one JSON object"
//! rule of `/policy/ctl` and `/audit/journal`. Every control payload that has a core type
//! (`/queen/ctl`, schedule, lease, export, approvals, host tickets, telemetry ctl, GPU lease
//! and breadcrumbs) is decoded by the core, never here.

use serde::Deserialize;
use serde_json::Value;

use super::error::{NsError, NsResult};

/// Parses a strict JSON object into `T` (unknown fields refused by `T`'s serde attributes).
pub fn parse_strict<T: for<'de> Deserialize<'de>>(text: &str) -> NsResult<T> {
    match serde_json::from_str::<Value>(text.trim()) {
        Ok(v @ Value::Object(_)) => serde_json::from_value(v).map_err(|_| NsError::InvalidPayload),
        _ => Err(NsError::InvalidPayload),
    }
}

/// Whether `text` is one JSON object.
pub fn is_object(text: &str) -> bool {
    matches!(serde_json::from_str::<Value>(text), Ok(Value::Object(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct From {
        from: u64,
    }

    #[test]
    fn strict_objects_only() {
        assert_eq!(
            parse_strict::<From>(r#" {"from":3} "#),
            Ok(From { from: 3 })
        );
        for bad in [r#"{"from":3,"x":1}"#, "[1]", "{}", "from=3"] {
            assert_eq!(
                parse_strict::<From>(bad),
                Err(NsError::InvalidPayload),
                "{bad}"
            );
        }
        assert!(is_object(r#"{"rule":"r"}"#));
        assert!(!is_object("[1]"));
        assert!(!is_object("x"));
    }
}
