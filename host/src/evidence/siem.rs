//! SIEM NDJSON of a pack (host-surface §8.4): one `cohesix-siem-event/v1` object per audit
//! entry and active lease, deterministic, sorted keys, `", "`/`": "` separators
//! ([`Style::Spaced`]), `\n` after each line.
//!
//! ```text
//!  audit/journal      seq kind path outcome error role ticket payload   (copied; absent = null)
//!  audit/decisions    seq kind path outcome role ticket id target
//!  proc/lease/active  lease_seq id subject resource state ttl_s priority
//! ```
//!
//! Sorted by (`seq` if an integer else 2^63 − 1, `lease_seq` likewise, `kind` or else
//! `source`), stably. Tickets: a `ticket` value that is neither `none` nor already
//! `sha256:<hex>` is hashed here too, and raw ticket tokens in any string are, so no raw
//! ticket leaves even a hand-made pack. `/proc/lease/active` lines are parsed by the core;
//! lines it cannot parse are skipped and counted (upstream's script emits them with nulls).

use std::path::Path;

use cohesix_core::control::proc::{lines, LeaseEntry, ProcLine};
use serde_json::{json, Map, Value};

use super::files;
use super::redact::redact_value;
use super::EvidenceError;
use crate::json::{self, Style};

/// The SIEM event schema tag.
pub const SIEM_SCHEMA: &str = "cohesix-siem-event/v1";

/// A pack's SIEM events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiemExport {
    /// The events, sorted.
    pub events: Vec<Value>,
    /// `/proc/lease/active` lines skipped.
    pub skipped: usize,
}

impl SiemExport {
    /// The NDJSON bytes.
    #[must_use]
    pub fn to_ndjson(&self) -> String {
        let mut out = String::new();
        for e in &self.events {
            out.push_str(&json::to_string(e, Style::Spaced));
            out.push('\n');
        }
        out
    }
}

fn event(source: &str, entry: &Map<String, Value>, keys: &[&str]) -> Value {
    let mut m = Map::new();
    m.insert("schema".into(), SIEM_SCHEMA.into());
    m.insert("source".into(), source.into());
    for k in keys {
        m.insert(
            (*k).to_owned(),
            entry.get(*k).cloned().unwrap_or(Value::Null),
        );
    }
    let mut v = Value::Object(m);
    redact_value(&mut v);
    v
}

fn sort_key(e: &Value) -> (i128, i128, String) {
    const MAX: i128 = (1 << 63) - 1;
    let int = |k: &str| {
        let v = e.get(k)?;
        v.as_i64()
            .map(i128::from)
            .or_else(|| v.as_u64().map(i128::from))
    };
    let label = e
        .get("kind")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .or_else(|| e.get("source").and_then(Value::as_str))
        .unwrap_or("")
        .to_owned();
    (
        int("seq").unwrap_or(MAX),
        int("lease_seq").unwrap_or(MAX),
        label,
    )
}

/// The SIEM events of the pack in `dir`.
///
/// # Errors
/// [`EvidenceError::Pack`] for a source that is not UTF-8 or holds a line that is not a
/// JSON object; [`EvidenceError::Io`].
pub fn export(dir: &Path) -> Result<SiemExport, EvidenceError> {
    let mut out = SiemExport::default();
    for o in files::objects(dir, "audit/journal")?.unwrap_or_default() {
        out.events.push(event(
            "audit/journal",
            &o,
            &[
                "seq", "kind", "path", "outcome", "error", "role", "ticket", "payload",
            ],
        ));
    }
    for o in files::objects(dir, "audit/decisions")?.unwrap_or_default() {
        out.events.push(event(
            "audit/decisions",
            &o,
            &[
                "seq", "kind", "path", "outcome", "role", "ticket", "id", "target",
            ],
        ));
    }
    if let Some(text) = files::read_text(dir, "proc/lease/active")? {
        for line in lines(&text) {
            let Ok(l) = LeaseEntry::parse(line) else {
                out.skipped += 1;
                continue;
            };
            out.events.push(json!({
                "schema": SIEM_SCHEMA,
                "source": "proc/lease/active",
                "lease_seq": l.seq,
                "id": l.id,
                "subject": l.subject,
                "resource": l.resource,
                "state": l.state,
                "ttl_s": l.ttl_s,
                "priority": l.priority,
            }));
        }
    }
    out.events.sort_by_key(sort_key);
    Ok(out)
}
