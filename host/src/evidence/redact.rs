//! Redaction: what of a target's data may enter an evidence pack (host-surface §8.1).
//!
//! | what | becomes |
//! |---|---|
//! | a string `ticket` field other than `none` (at any depth) | `sha256:<hex SHA-256 of the ticket>` |
//! | the value of a secret-named key (at any depth, see [`is_secret_key`]) | `<redacted>` |
//! | a raw ticket token (`cohesix-ticket-…`) inside any string or text capture | `sha256:<hex>` of the token |
//! | a string that looks like JSON (a control payload) | redacted as JSON too, re-encoded only when something changed; a secret-named key in one that does not parse turns the whole string into `<redacted>` |
//!
//! JSONL input must parse line by line: a line that does not is an error, and the caller
//! writes nothing (unsanitised data never reaches a pack). Redaction is idempotent: an
//! already hashed `sha256:…` ticket is kept, so re-redacting a pack changes nothing.
//! Redacted lines are compact JSON with sorted keys (the byte layout upstream's tool
//! writes), each followed by `\n`.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::json::{self, Style};
use cohesix_core::ticket::TICKET_PREFIX;

/// What a secret-named key's value becomes.
pub const REDACTED: &str = "<redacted>";
/// The `redaction_ticket` method named in `meta.json`.
pub const TICKET_REDACTION: &str = "sha256";

/// Why a JSONL capture could not be redacted (its content is never written).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedactError {
    /// The capture is not UTF-8.
    NotUtf8,
    /// Line `line` (1-based) is not valid JSON.
    NotJson {
        /// 1-based line number.
        line: usize,
    },
}

impl core::fmt::Display for RedactError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotUtf8 => f.write_str("is not UTF-8; not saved (never exported unsanitised)"),
            Self::NotJson { line } => write!(
                f,
                "line {line} is not valid JSON; not saved (never exported unsanitised)"
            ),
        }
    }
}

impl std::error::Error for RedactError {}

/// Whether `key` names a secret: it contains `token`, `authorization`, `secret`,
/// `password`, `signing_key` or `api_key`, or is `auth` / `auth_ref` (any case).
#[must_use]
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "token",
        "authorization",
        "secret",
        "password",
        "signing_key",
        "api_key",
    ]
    .iter()
    .any(|s| k.contains(s))
        || k == "auth"
        || k == "auth_ref"
}

/// `sha256:<hex>` of `ticket`.
#[must_use]
pub fn hash_ticket(ticket: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(ticket.as_bytes())))
}

/// Whether `s` is already a redacted ticket (`sha256:…`; a raw ticket starts with
/// `cohesix-ticket-`, never with `sha256:`).
fn is_hashed(s: &str) -> bool {
    s.starts_with("sha256:")
}

fn ticket_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.'
}

/// `bytes` with every raw ticket token (`cohesix-ticket-` and the hex and `.` after it)
/// replaced by its `sha256:<hex>`. Other bytes (also non-UTF-8 ones) are kept.
#[must_use]
pub fn redact_ticket_tokens(bytes: &[u8]) -> Vec<u8> {
    let prefix = TICKET_PREFIX.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = bytes.get(i..).unwrap_or_default();
        if rest.starts_with(prefix) {
            let len = prefix.len()
                + rest
                    .get(prefix.len()..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|b| ticket_char(**b))
                    .count();
            let token = rest.get(..len).unwrap_or_default();
            out.extend_from_slice(hash_ticket(&String::from_utf8_lossy(token)).as_bytes());
            i += len;
        } else {
            out.push(bytes.get(i).copied().unwrap_or_default());
            i += 1;
        }
    }
    out
}

fn redact_str(s: &str) -> Option<String> {
    if s.contains(TICKET_PREFIX) {
        return Some(String::from_utf8_lossy(&redact_ticket_tokens(s.as_bytes())).into_owned());
    }
    None
}

/// A string that looks like JSON (an embedded control payload): redacted as JSON. Returns
/// the replacement, or `None` when nothing had to change.
fn redact_embedded(s: &str) -> Option<String> {
    let t = s.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return redact_str(s);
    }
    match serde_json::from_str::<Value>(s) {
        Ok(mut v) => redact_value(&mut v).then(|| json::to_string(&v, Style::Compact)),
        // A cut payload: if a secret-named key may be inside, none of it is kept.
        Err(_) if mentions_secret_key(s) => Some(REDACTED.to_owned()),
        Err(_) => redact_str(s),
    }
}

/// Whether a quoted key of `s` (`"key"` followed by `:`) is secret-named.
fn mentions_secret_key(s: &str) -> bool {
    s.split('"')
        .skip(1)
        .step_by(2)
        .any(|k| is_secret_key(k) || k == "ticket")
}

/// Redacts `v` in place (the rules of the module docs); whether anything changed.
pub fn redact_value(v: &mut Value) -> bool {
    match v {
        Value::Object(map) => {
            let mut changed = false;
            for (key, nested) in map.iter_mut() {
                if is_secret_key(key) {
                    if nested.as_str() != Some(REDACTED) {
                        *nested = Value::String(REDACTED.to_owned());
                        changed = true;
                    }
                } else if key == "ticket" && nested.is_string() {
                    let t = nested.as_str().unwrap_or_default();
                    if t != "none" && !is_hashed(t) {
                        *nested = Value::String(hash_ticket(t));
                        changed = true;
                    }
                } else {
                    changed |= redact_value(nested);
                }
            }
            changed
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |acc, item| redact_value(item) | acc),
        Value::String(s) => match redact_embedded(s) {
            Some(r) => {
                *s = r;
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// Redacts a JSONL capture: each non-empty line (trimmed) must be JSON; the result is one
/// compact, key-sorted line per input line, each followed by `\n`.
///
/// # Errors
/// [`RedactError`]: the capture is not UTF-8, or a line is not JSON.
pub fn redact_jsonl(bytes: &[u8]) -> Result<Vec<u8>, RedactError> {
    let text = std::str::from_utf8(bytes).map_err(|_| RedactError::NotUtf8)?;
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut v: Value =
            serde_json::from_str(line).map_err(|_| RedactError::NotJson { line: i + 1 })?;
        redact_value(&mut v);
        out.push_str(&json::to_string(&v, Style::Compact));
        out.push('\n');
    }
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_keys() {
        for k in [
            "token",
            "auth_token",
            "X-Cohesix-Authorization",
            "client_secret",
            "Password",
            "signing_key",
            "api_key",
            "auth",
            "AUTH_REF",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in ["author", "ticket", "idempotency_key", "authority", "path"] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn tickets_are_hashed_and_secret_keys_redacted_at_any_depth() {
        let raw = br#"{"seq":1,"ticket":"cohesix-ticket-ab.cd","args":{"api_key":"k","list":[{"password":"p","ticket":"none"}]},"note":"saw cohesix-ticket-0f.99 here"}
   
{"ticket":"none","auth":{"user":"u"}}"#;
        let out = String::from_utf8(redact_jsonl(raw).unwrap()).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2);
        let v: Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["ticket"], hash_ticket("cohesix-ticket-ab.cd"));
        assert_eq!(v["args"]["api_key"], REDACTED);
        assert_eq!(v["args"]["list"][0]["password"], REDACTED);
        assert_eq!(v["args"]["list"][0]["ticket"], "none");
        assert_eq!(
            v["note"],
            format!("saw {} here", hash_ticket("cohesix-ticket-0f.99"))
        );
        assert_eq!(lines[1], r#"{"auth":"<redacted>","ticket":"none"}"#);
        assert!(!out.contains("cohesix-ticket-") && !out.contains("\"k\""));
        // Idempotent.
        assert_eq!(redact_jsonl(out.as_bytes()).unwrap(), out.as_bytes());
    }

    #[test]
    fn embedded_payloads_are_redacted_and_cut_ones_with_secrets_dropped() {
        let payload = json!({"id": "t-1", "args": {"token": "abc"}}).to_string();
        let cut = r#"{"id":"t-1","args":{"token":"abcdef"#;
        let line = json!({"payload": payload, "cut": cut, "plain": "{not json"}).to_string();
        let out = String::from_utf8(redact_jsonl(line.as_bytes()).unwrap()).unwrap();
        let v: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(
            v["payload"],
            r#"{"args":{"token":"<redacted>"},"id":"t-1"}"#
        );
        assert_eq!(v["cut"], REDACTED);
        assert_eq!(v["plain"], "{not json");
        assert!(!out.contains("abc"));
        // A payload without secrets keeps its bytes (no re-encoding).
        let keep = json!({"payload": r#"{"op":"grant", "id":"x"}"#}).to_string();
        let out = String::from_utf8(redact_jsonl(keep.as_bytes()).unwrap()).unwrap();
        assert!(out.contains(r#"{\"op\":\"grant\", \"id\":\"x\"}"#), "{out}");
    }

    #[test]
    fn input_that_does_not_parse_is_refused() {
        assert_eq!(
            redact_jsonl(b"{\"a\":1}\nnot json\n"),
            Err(RedactError::NotJson { line: 2 })
        );
        assert_eq!(redact_jsonl(b"{\"a\":\"\xff\"}"), Err(RedactError::NotUtf8));
    }

    #[test]
    fn raw_tokens_in_text_keep_other_bytes() {
        let t = b"a \xff cohesix-ticket-12ab.ff00 b cohesix-ticket-";
        let out = redact_ticket_tokens(t);
        let want = [
            &b"a \xff "[..],
            hash_ticket("cohesix-ticket-12ab.ff00").as_bytes(),
            b" b ",
            hash_ticket("cohesix-ticket-").as_bytes(),
        ]
        .concat();
        assert_eq!(out, want);
    }
}
