//! `timeline.ndjson` and `timeline.md` of a pack (host-surface §8.2, the Rust tool's
//! variant with host-ticket events).
//!
//! ```text
//!  audit/journal            kind from the entry; a /host/tickets/* write adds the ticket's identity
//!  audit/decisions          kind from the entry
//!  host/tickets/spec        host-ticket.spec        state queued
//!  host/tickets/status      host-ticket.status      state/outcome from the receipt, message as payload
//!  host/tickets/deadletter  host-ticket.deadletter
//!  proc/lease/active        lease.active            lease_seq, id, subject, resource, state, ttl_s, priority
//! ```
//!
//! Events: `schema` (`cohesix-evidence-pack/timeline-v1`), `kind`, `source`, then whichever
//! of `seq, lease_seq, path, outcome, error, role, ticket, payload, id, idempotency_key,
//! correlation_key` (`<id>:<idempotency_key>`), `ticket_action, target, subject, resource,
//! state, ttl_s, priority` are set (absent and `null` ones omitted). Sorted by `seq`
//! (absent last), then `lease_seq` (absent last), then correlation key, then kind; stable.
//! NDJSON lines are compact JSON with sorted keys ([`Style::Compact`]).
//!
//! Lenient where upstream is strict: a journal or decision entry missing a field still makes
//! an event (`kind` `unknown` when absent); host-ticket lines without `id`,
//! `idempotency_key` and `action`, and `/proc/lease/active` lines the core cannot parse,
//! are skipped and counted ([`Timeline::skipped`]). A line that is not a JSON object is an
//! error (the pack is corrupt).

use std::path::Path;

use cohesix_core::control::proc::{lines, LeaseEntry, ProcLine};
use serde_json::{Map, Value};

use super::files;
use super::EvidenceError;
use crate::json::{self, Style};

/// The timeline event schema tag.
pub const TIMELINE_SCHEMA: &str = "cohesix-evidence-pack/timeline-v1";
/// The timeline's NDJSON file in the pack.
pub const TIMELINE_NDJSON: &str = "timeline.ndjson";
/// The timeline's Markdown file in the pack.
pub const TIMELINE_MD: &str = "timeline.md";

/// One timeline event (unset fields are omitted from its JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TimelineEvent {
    /// What happened (`queen-ctl`, `policy-gate`, `host-ticket.spec`, `lease.active`, …).
    pub kind: String,
    /// The pack file it came from (`audit/journal`).
    pub source: String,
    /// Audit sequence number.
    pub seq: Option<u64>,
    /// Lease sequence number.
    pub lease_seq: Option<u64>,
    /// Namespace path.
    pub path: Option<String>,
    /// Outcome (`ok`, `err`, `allow`, `deny`, a ticket state).
    pub outcome: Option<String>,
    /// Error detail.
    pub error: Option<String>,
    /// Writer's role.
    pub role: Option<String>,
    /// Writer's ticket, as redacted in the pack (`sha256:…` or `none`).
    pub ticket: Option<String>,
    /// Payload written (or a ticket receipt's message).
    pub payload: Option<String>,
    /// Approval, lease or ticket id.
    pub id: Option<String>,
    /// Host ticket idempotency key.
    pub idempotency_key: Option<String>,
    /// `<id>:<idempotency_key>` of a host ticket.
    pub correlation_key: Option<String>,
    /// Host ticket action.
    pub ticket_action: Option<String>,
    /// Target path.
    pub target: Option<String>,
    /// Lease subject.
    pub subject: Option<String>,
    /// Lease resource.
    pub resource: Option<String>,
    /// Lease or ticket state.
    pub state: Option<String>,
    /// Lease lifetime.
    pub ttl_s: Option<u32>,
    /// Lease priority.
    pub priority: Option<u32>,
}

impl TimelineEvent {
    fn new(kind: impl Into<String>, source: &str) -> Self {
        Self {
            kind: kind.into(),
            source: source.to_owned(),
            ..Self::default()
        }
    }

    /// The event as JSON (schema first in meaning; keys are sorted when written).
    #[must_use]
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), v);
            }
        };
        let s = |v: &Option<String>| v.clone().map(Value::String);
        put("schema", Some(TIMELINE_SCHEMA.into()));
        put("kind", Some(self.kind.clone().into()));
        put("source", Some(self.source.clone().into()));
        put("seq", self.seq.map(Value::from));
        put("lease_seq", self.lease_seq.map(Value::from));
        put("path", s(&self.path));
        put("outcome", s(&self.outcome));
        put("error", s(&self.error));
        put("role", s(&self.role));
        put("ticket", s(&self.ticket));
        put("payload", s(&self.payload));
        put("id", s(&self.id));
        put("idempotency_key", s(&self.idempotency_key));
        put("correlation_key", s(&self.correlation_key));
        put("ticket_action", s(&self.ticket_action));
        put("target", s(&self.target));
        put("subject", s(&self.subject));
        put("resource", s(&self.resource));
        put("state", s(&self.state));
        put("ttl_s", self.ttl_s.map(Value::from));
        put("priority", self.priority.map(Value::from));
        Value::Object(m)
    }

    fn set_ticket(&mut self, t: &TicketIdentity) {
        self.id = Some(t.id.clone());
        self.idempotency_key = Some(t.idempotency_key.clone());
        self.correlation_key = Some(format!("{}:{}", t.id, t.idempotency_key));
        self.ticket_action = Some(t.action.clone());
        if t.target.is_some() {
            self.target.clone_from(&t.target);
        }
        self.state.clone_from(&t.state);
    }
}

/// A pack's timeline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    /// The events, sorted.
    pub events: Vec<TimelineEvent>,
    /// Source lines skipped (host-ticket lines without an identity, unparsable lease lines).
    pub skipped: usize,
}

struct TicketIdentity {
    id: String,
    idempotency_key: String,
    action: String,
    state: Option<String>,
    target: Option<String>,
}

fn text(o: &Map<String, Value>, k: &str) -> Option<String> {
    o.get(k).and_then(Value::as_str).map(str::to_owned)
}

/// A host ticket's identity from a spec line (state `queued`) or a receipt line.
fn identity(o: &Map<String, Value>) -> Option<TicketIdentity> {
    Some(TicketIdentity {
        id: text(o, "id")?,
        idempotency_key: text(o, "idempotency_key")?,
        action: text(o, "action")?,
        state: Some(text(o, "state").unwrap_or_else(|| "queued".into())),
        target: text(o, "target"),
    })
}

fn journal(o: &Map<String, Value>) -> TimelineEvent {
    let mut e = TimelineEvent::new(
        text(o, "kind").unwrap_or_else(|| "unknown".into()),
        "audit/journal",
    );
    e.seq = o.get("seq").and_then(Value::as_u64);
    e.path = text(o, "path");
    e.outcome = text(o, "outcome");
    e.error = text(o, "error");
    e.role = text(o, "role");
    e.ticket = text(o, "ticket");
    e.payload = text(o, "payload");
    let ticket_write = e
        .path
        .as_deref()
        .is_some_and(|p| p.starts_with("/host/tickets/"));
    if let (true, Some(p)) = (ticket_write, &e.payload) {
        if let Ok(Value::Object(inner)) = serde_json::from_str::<Value>(p.trim()) {
            if let Some(t) = identity(&inner) {
                e.set_ticket(&t);
            }
        }
    }
    e
}

fn decision(o: &Map<String, Value>) -> TimelineEvent {
    let mut e = TimelineEvent::new(
        text(o, "kind").unwrap_or_else(|| "unknown".into()),
        "audit/decisions",
    );
    e.seq = o.get("seq").and_then(Value::as_u64);
    e.path = text(o, "path");
    e.outcome = text(o, "outcome");
    e.role = text(o, "role");
    e.ticket = text(o, "ticket");
    e.id = text(o, "id");
    e.target = text(o, "target");
    e
}

/// Builds the timeline of the pack in `dir` (no file written).
///
/// # Errors
/// [`EvidenceError::Pack`] for a source that is not UTF-8 or holds a line that is not a
/// JSON object; [`EvidenceError::Io`].
pub fn build(dir: &Path) -> Result<Timeline, EvidenceError> {
    let mut t = Timeline::default();
    for o in files::objects(dir, "audit/journal")?.unwrap_or_default() {
        t.events.push(journal(&o));
    }
    for o in files::objects(dir, "audit/decisions")?.unwrap_or_default() {
        t.events.push(decision(&o));
    }
    for (name, kind) in [
        ("spec", "host-ticket.spec"),
        ("status", "host-ticket.status"),
        ("deadletter", "host-ticket.deadletter"),
    ] {
        let rel = format!("host/tickets/{name}");
        for o in files::objects(dir, &rel)?.unwrap_or_default() {
            let receipt = name != "spec";
            let Some(id) = identity(&o).filter(|_| !receipt || o.contains_key("state")) else {
                t.skipped += 1;
                continue;
            };
            let mut e = TimelineEvent::new(kind, &rel);
            e.path = Some(format!("/{rel}"));
            e.set_ticket(&id);
            if receipt {
                e.outcome.clone_from(&e.state);
                e.payload = text(&o, "message");
            }
            t.events.push(e);
        }
    }
    if let Some(text) = files::read_text(dir, "proc/lease/active")? {
        for line in lines(&text) {
            let Ok(l) = LeaseEntry::parse(line) else {
                t.skipped += 1;
                continue;
            };
            let mut e = TimelineEvent::new("lease.active", "proc/lease/active");
            e.lease_seq = Some(l.seq);
            e.id = Some(l.id.to_owned());
            e.subject = Some(l.subject.to_owned());
            e.resource = Some(l.resource.to_owned());
            e.state = Some(l.state.to_owned());
            e.ttl_s = Some(l.ttl_s);
            e.priority = Some(l.priority);
            t.events.push(e);
        }
    }
    t.events.sort_by(|a, b| {
        let key = |e: &TimelineEvent| {
            (
                e.seq.unwrap_or(u64::MAX),
                e.lease_seq.unwrap_or(u64::MAX),
                e.correlation_key.clone().unwrap_or_default(),
            )
        };
        key(a).cmp(&key(b)).then_with(|| a.kind.cmp(&b.kind))
    });
    Ok(t)
}

/// One Markdown-safe line of `s` (control characters as spaces).
pub(super) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl Timeline {
    /// `timeline.ndjson`: one compact, key-sorted line per event, each followed by `\n`.
    #[must_use]
    pub fn to_ndjson(&self) -> String {
        let mut out = String::new();
        for e in &self.events {
            out.push_str(&json::to_string(&e.to_value(), Style::Compact));
            out.push('\n');
        }
        out
    }

    /// `timeline.md`.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let o = |v: &Option<String>| one_line(v.as_deref().unwrap_or(""));
        let mut out = format!("# Evidence timeline\n\nevents: {}\n", self.events.len());
        if self.skipped > 0 {
            out.push_str(&format!("skipped lines: {}\n", self.skipped));
        }
        out.push('\n');
        for e in &self.events {
            let line = match (e.seq, e.lease_seq) {
                (Some(seq), _) => format!(
                    "- seq={seq} kind={} source={} outcome={} path={}",
                    one_line(&e.kind),
                    e.source,
                    o(&e.outcome),
                    o(&e.path)
                ),
                (None, Some(ls)) => format!(
                    "- lease_seq={ls} id={} subject={} resource={} state={}",
                    o(&e.id),
                    o(&e.subject),
                    o(&e.resource),
                    o(&e.state)
                ),
                _ if e.correlation_key.is_some() => format!(
                    "- ticket={} action={} state={} source={} target={}",
                    o(&e.correlation_key),
                    o(&e.ticket_action),
                    o(&e.state),
                    e.source,
                    o(&e.target)
                ),
                _ => continue,
            };
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    /// Events per source file, in first-seen order.
    #[must_use]
    pub fn counts(&self) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = Vec::new();
        for e in &self.events {
            match out.iter_mut().find(|(s, _)| *s == e.source) {
                Some((_, n)) => *n += 1,
                None => out.push((e.source.clone(), 1)),
            }
        }
        out
    }
}

/// Builds the timeline of the pack in `dir` and writes [`TIMELINE_NDJSON`] and
/// [`TIMELINE_MD`] there (atomically).
///
/// # Errors
/// As [`build`], and [`EvidenceError::Io`] when the files cannot be written.
pub fn write(dir: &Path) -> Result<Timeline, EvidenceError> {
    let t = build(dir)?;
    files::write(dir, TIMELINE_NDJSON, t.to_ndjson().as_bytes())?;
    files::write(dir, TIMELINE_MD, t.to_markdown().as_bytes())?;
    Ok(t)
}
