//! `meta.json` and `summary.json` of a pack (host-surface §8.1), as types and as bytes.
//!
//! Both are [`Style::Report`] JSON (keys sorted, 2-space indent) followed by `\n`:
//!
//! ```text
//! meta.json     {"manifest_sha256","policy_sha256","redaction_ticket":"sha256","schema":"cohesix-evidence-pack/meta-v1","with_telemetry"}
//! summary.json  {"captured","errors","items":[{"bytes","detail","path","saved_as","status","verb"}],"missing","schema":"cohesix-evidence-pack/summary-v1"}
//! ```

use serde_json::{json, Value};

use super::redact::TICKET_REDACTION;
use super::EvidenceError;
use crate::json::{self, Style};

/// `meta.json`'s schema tag.
pub const META_SCHEMA: &str = "cohesix-evidence-pack/meta-v1";
/// `summary.json`'s schema tag.
pub const SUMMARY_SCHEMA: &str = "cohesix-evidence-pack/summary-v1";
/// Longest `detail` text, in bytes (cut on a character boundary).
pub const DETAIL_MAX_BYTES: usize = 256;
/// The `detail` of every missing item.
pub const MISSING_DETAIL: &str = "not-found";

/// How a capture was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verb {
    /// A whole-file read.
    Cat,
    /// The newest lines of a log.
    Tail,
    /// The telemetry pull as a whole (only its failure is an item of this verb).
    Pull,
}

impl Verb {
    /// `CAT`, `TAIL` or `PULL`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Cat => cohesix_core::request::Verb::Cat.token(),
            Self::Tail => cohesix_core::request::Verb::Tail.token(),
            // Not a console verb: the telemetry pull as a whole.
            Self::Pull => "PULL",
        }
    }
}

/// What became of a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// Saved in the pack.
    Captured,
    /// Absent on the target (or disabled by the bounds).
    Missing,
    /// Refused or unusable; nothing saved.
    Error,
}

impl Status {
    /// `captured`, `missing` or `error`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Captured => "captured",
            Self::Missing => "missing",
            Self::Error => "error",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "captured" => Self::Captured,
            "missing" => Self::Missing,
            "error" => Self::Error,
            _ => return None,
        })
    }
}

/// One entry of `summary.json`'s `items`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The namespace path.
    pub path: String,
    /// Where it is in the pack (relative, `/`-separated).
    pub saved_as: String,
    /// How it was read.
    pub verb: Verb,
    /// What became of it.
    pub status: Status,
    /// Bytes saved in the pack (after redaction), when captured.
    pub bytes: Option<usize>,
    /// Why it is missing or an error (at most [`DETAIL_MAX_BYTES`], never a secret).
    pub detail: Option<String>,
}

impl Item {
    /// A captured item of `bytes` saved bytes.
    #[must_use]
    pub fn captured(path: &str, saved_as: &str, verb: Verb, bytes: usize) -> Self {
        Self {
            path: path.to_owned(),
            saved_as: saved_as.to_owned(),
            verb,
            status: Status::Captured,
            bytes: Some(bytes),
            detail: None,
        }
    }

    /// A missing item (verb `CAT`, detail `not-found`, as upstream records every one).
    #[must_use]
    pub fn missing(path: &str, saved_as: &str) -> Self {
        Self {
            path: path.to_owned(),
            saved_as: saved_as.to_owned(),
            verb: Verb::Cat,
            status: Status::Missing,
            bytes: None,
            detail: Some(MISSING_DETAIL.to_owned()),
        }
    }

    /// An error item; `detail` is cut to [`DETAIL_MAX_BYTES`] by [`detail`].
    #[must_use]
    pub fn error(path: &str, saved_as: &str, verb: Verb, why: &str) -> Self {
        Self {
            path: path.to_owned(),
            saved_as: saved_as.to_owned(),
            verb,
            status: Status::Error,
            bytes: None,
            detail: Some(detail(why)),
        }
    }

    fn to_value(&self) -> Value {
        json!({
            "path": self.path,
            "saved_as": self.saved_as,
            "verb": self.verb.as_str(),
            "status": self.status.as_str(),
            "bytes": self.bytes,
            "detail": self.detail,
        })
    }
}

/// `text` made safe for a `detail`: raw ticket tokens hashed, line breaks and other control
/// characters as spaces, cut to at most [`DETAIL_MAX_BYTES`] bytes **on a character
/// boundary** (upstream cuts at byte 256 and panics inside a multi-byte character).
#[must_use]
pub fn detail(text: &str) -> String {
    let clean = super::redact::redact_ticket_tokens(text.as_bytes());
    let clean: String = String::from_utf8_lossy(&clean)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut end = clean.len().min(DETAIL_MAX_BYTES);
    while !clean.is_char_boundary(end) {
        end -= 1;
    }
    clean.get(..end).unwrap_or_default().to_owned()
}

/// `meta.json`'s content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    /// The packing tool's compiled manifest hash ([`cohesix_generated::MANIFEST_SHA256`]).
    pub manifest_sha256: String,
    /// SHA-256 of the client policy (`cohsh_policy.toml`) this build carries
    /// ([`cohesix_generated::POLICY_SHA256`]); see the [module docs](super).
    pub policy_sha256: String,
    /// Whether telemetry was pulled.
    pub with_telemetry: bool,
}

impl Meta {
    /// This build's hashes.
    #[must_use]
    pub fn this_build(with_telemetry: bool) -> Self {
        Self {
            manifest_sha256: cohesix_generated::MANIFEST_SHA256.to_owned(),
            policy_sha256: cohesix_generated::POLICY_SHA256.to_owned(),
            with_telemetry,
        }
    }

    /// The file's bytes.
    #[must_use]
    pub fn to_json(&self) -> String {
        let v = json!({
            "schema": META_SCHEMA,
            "manifest_sha256": self.manifest_sha256,
            "policy_sha256": self.policy_sha256,
            "redaction_ticket": TICKET_REDACTION,
            "with_telemetry": self.with_telemetry,
        });
        format!("{}\n", json::to_string(&v, Style::Report))
    }
}

/// `summary.json`'s content: the items, sorted by `saved_as`, and their counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The items, sorted by `saved_as`.
    pub items: Vec<Item>,
}

impl Summary {
    /// Items sorted by `saved_as` (stable: equal names keep capture order).
    #[must_use]
    pub fn new(mut items: Vec<Item>) -> Self {
        items.sort_by(|a, b| a.saved_as.cmp(&b.saved_as));
        Self { items }
    }

    fn count(&self, s: Status) -> usize {
        self.items.iter().filter(|i| i.status == s).count()
    }

    /// Items captured.
    #[must_use]
    pub fn captured(&self) -> usize {
        self.count(Status::Captured)
    }

    /// Items missing.
    #[must_use]
    pub fn missing(&self) -> usize {
        self.count(Status::Missing)
    }

    /// Items in error.
    #[must_use]
    pub fn errors(&self) -> usize {
        self.count(Status::Error)
    }

    /// The file's bytes.
    #[must_use]
    pub fn to_json(&self) -> String {
        let v = json!({
            "schema": SUMMARY_SCHEMA,
            "captured": self.captured(),
            "missing": self.missing(),
            "errors": self.errors(),
            "items": self.items.iter().map(Item::to_value).collect::<Vec<_>>(),
        });
        format!("{}\n", json::to_string(&v, Style::Report))
    }

    /// Parses a `summary.json`.
    ///
    /// # Errors
    /// [`EvidenceError::Pack`] when it is not a summary of this schema.
    pub fn parse(text: &str) -> Result<Self, EvidenceError> {
        let bad = |why: &str| EvidenceError::pack("summary.json", why);
        let v: Value = serde_json::from_str(text).map_err(|_| bad("not valid JSON"))?;
        if v["schema"] != SUMMARY_SCHEMA {
            return Err(bad("not a cohesix-evidence-pack/summary-v1 document"));
        }
        let items = v["items"].as_array().ok_or_else(|| bad("no items"))?;
        let mut out = Vec::with_capacity(items.len());
        for it in items {
            let s = |k: &str| it[k].as_str().map(str::to_owned);
            let verb = match it["verb"].as_str() {
                Some("TAIL") => Verb::Tail,
                Some("PULL") => Verb::Pull,
                _ => Verb::Cat,
            };
            out.push(Item {
                path: s("path").unwrap_or_default(),
                saved_as: s("saved_as").unwrap_or_default(),
                verb,
                status: it["status"]
                    .as_str()
                    .and_then(Status::parse)
                    .ok_or_else(|| bad("an item has no valid status"))?,
                bytes: it["bytes"].as_u64().and_then(|b| usize::try_from(b).ok()),
                detail: s("detail"),
            });
        }
        Ok(Self { items: out })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_is_cut_on_a_character_boundary() {
        // 255 ASCII bytes then a 2-byte character across byte 256.
        let text = format!("{}é tail", "a".repeat(255));
        let d = detail(&text);
        assert_eq!(d.len(), 255);
        let text = "€".repeat(200); // 3 bytes each
        let d = detail(&text);
        assert_eq!(d.len(), 255);
        assert!(d.chars().all(|c| c == '€'));
        assert_eq!(detail("line\nbreak\u{7}"), "line break ");
        assert!(!detail("x cohesix-ticket-aa.bb").contains("cohesix-ticket-"));
    }

    #[test]
    fn summary_round_trips_sorted_with_counts() {
        let s = Summary::new(vec![
            Item::captured("/proc/boot", "proc/boot", Verb::Cat, 3),
            Item::missing("/audit/export", "audit/export"),
            Item::error("/log/queen.log", "log/queen.log", Verb::Tail, "x"),
        ]);
        assert_eq!(s.items[0].saved_as, "audit/export");
        assert_eq!((s.captured(), s.missing(), s.errors()), (1, 1, 1));
        let text = s.to_json();
        assert!(text.ends_with("}\n"));
        assert!(text.contains("\"bytes\": null,\n"));
        assert_eq!(Summary::parse(&text).unwrap(), s);
        assert!(Summary::parse("{}").is_err());
    }

    #[test]
    fn meta_bytes() {
        let m = Meta {
            manifest_sha256: "m".into(),
            policy_sha256: "p".into(),
            with_telemetry: false,
        };
        assert_eq!(
            m.to_json(),
            "{\n  \"manifest_sha256\": \"m\",\n  \"policy_sha256\": \"p\",\n  \"redaction_ticket\": \"sha256\",\n  \"schema\": \"cohesix-evidence-pack/meta-v1\",\n  \"with_telemetry\": false\n}\n"
        );
    }
}
