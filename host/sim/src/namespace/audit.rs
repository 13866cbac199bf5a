//! AuditFS and replay (full profile only; the shipped 0.3 queen serves neither, so there the
//! paths stay invalid): `/audit/journal` records every control write, `/audit/decisions`
//! every policy decision, `/audit/export` their windows, `/replay/{ctl,status}` a replay
//! check of the journal (host-surface §8.1 "Input formats"; console-protocol §5.2).
//!
//! ```text
//!  append to a control node ──► journal  {seq,kind,path,payload,outcome,error,role,ticket}
//!  approval / policy gate / queen ctl ──► decisions {seq,kind,outcome,id?,target?,path?,role,ticket}
//!  /audit/export {journal_base,journal_next,decisions_base,decisions_next,replay_enabled,replay_max_entries}
//! ```
//!
//! Both logs are windows over an append-only byte stream (`ecosystem.audit.journal_max_bytes`
//! and `decisions_max_bytes`, at most 64 lines so a CAT is never `buffer-full`): the oldest
//! lines are evicted and `*_base`/`*_next` are the absolute **byte offsets** of the window
//! (as upstream: the evidence pack reads `next − base` bytes). `seq` is one counter shared by
//! both logs. Each line is compact JSON of at most 256 bytes (the console's line limit):
//! `payload`, then `ticket`, are cut at a character boundary to fit. `ticket` is the writing
//! session's attach ticket or `none` (redacting it is the evidence tool's job).

use std::collections::VecDeque;

use cohesix_generated::console::MAX_LINE_LEN;
use cohesix_generated::ecosystem::audit::{
    DECISIONS_MAX_BYTES, JOURNAL_MAX_BYTES, REPLAY_CTL_MAX_BYTES, REPLAY_MAX_ENTRIES,
    REPLAY_STATUS_MAX_BYTES,
};
use serde::{Deserialize, Serialize};

use super::bounds::LineStore;
use super::error::{NsError, NsResult};
use super::json::{is_object, parse_strict};

/// Lines each audit log keeps at most (the CAT stream cap).
pub const AUDIT_MAX_LINES: usize = 64;

#[derive(Serialize)]
struct JournalLine<'a> {
    seq: u64,
    kind: &'a str,
    path: &'a str,
    payload: &'a str,
    outcome: &'a str,
    error: Option<&'a str>,
    role: &'a str,
    ticket: &'a str,
}

#[derive(Serialize)]
struct DecisionLine<'a> {
    seq: u64,
    kind: &'a str,
    outcome: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    role: &'a str,
    ticket: &'a str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayRequest {
    from: u64,
}

/// Who wrote: the attached role label and attach ticket (`none` when absent).
#[derive(Clone, Copy)]
pub(super) struct Actor<'a> {
    pub(super) role: &'a str,
    pub(super) ticket: &'a str,
}

/// A policy decision for `/audit/decisions`.
pub(super) struct Decision<'a> {
    pub(super) kind: &'a str,
    pub(super) outcome: &'a str,
    pub(super) id: Option<&'a str>,
    pub(super) target: Option<&'a str>,
    pub(super) path: Option<&'a str>,
}

fn cut(s: &str, keep: usize) -> &str {
    let mut end = keep.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Serialises `render(payload, ticket)`; cuts `payload`, then `ticket`, until the line fits
/// [`MAX_LINE_LEN`].
fn fitted(payload: &str, ticket: &str, render: impl Fn(&str, &str) -> String) -> String {
    let (mut p, mut t) = (payload, ticket);
    loop {
        let line = render(p, t);
        let over = line.len().saturating_sub(MAX_LINE_LEN);
        if over == 0 {
            return line;
        }
        if !p.is_empty() {
            p = cut(p, p.len().saturating_sub(over.max(1)));
        } else if !t.is_empty() {
            t = cut(t, t.len().saturating_sub(over.max(1)));
        } else {
            return line;
        }
    }
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Audit journal, decision log and replay state. `Debug` shows the windows' sizes only:
/// journal lines carry attach tickets.
#[derive(Clone)]
pub struct Audit {
    journal: LineStore,
    decisions: LineStore,
    seq: u64,
    /// Journal byte offset where each replayable entry ends, and its ack line.
    replay: VecDeque<(u64, String)>,
    replay_status: String,
    replay_ctl_bytes: usize,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audit")
            .field("seq", &self.seq)
            .field("journal_lines", &self.journal.len())
            .field(
                "journal_window",
                &(self.journal.evicted_bytes(), self.journal.end_bytes()),
            )
            .field("decision_lines", &self.decisions.len())
            .field("replay_entries", &self.replay.len())
            .finish_non_exhaustive()
    }
}

impl Default for Audit {
    fn default() -> Self {
        Self {
            journal: LineStore::new(AUDIT_MAX_LINES, JOURNAL_MAX_BYTES),
            decisions: LineStore::new(AUDIT_MAX_LINES, DECISIONS_MAX_BYTES),
            seq: 0,
            replay: VecDeque::new(),
            replay_status: r#"{"state":"idle"}"#.to_string(),
            replay_ctl_bytes: 0,
        }
    }
}

impl Audit {
    fn next_seq(&mut self) -> u64 {
        self.seq = self.seq.saturating_add(1);
        self.seq
    }

    /// Records one control write and its outcome.
    pub(super) fn journal(
        &mut self,
        kind: &str,
        path: &str,
        payload: &str,
        outcome: Result<(), &NsError>,
        who: Actor<'_>,
    ) {
        let seq = self.next_seq();
        let (label, error) = match outcome {
            Ok(()) => ("ok", None),
            Err(e) => ("err", Some(e.detail())),
        };
        let line = fitted(payload, who.ticket, |payload, ticket| {
            serde_json::to_string(&JournalLine {
                seq,
                kind,
                path,
                payload,
                outcome: label,
                error,
                role: who.role,
                ticket,
            })
            .unwrap_or_default()
        });
        let ack = match error {
            None => "OK".to_string(),
            Some(detail) => format!("ERR {detail}"),
        };
        self.journal.push(line);
        self.replay.push_back((self.journal.end_bytes(), ack));
        let base = self.journal.evicted_bytes();
        while self.replay.front().is_some_and(|(end, _)| *end <= base) {
            self.replay.pop_front();
        }
    }

    /// Records one policy decision.
    pub(super) fn decision(&mut self, d: &Decision<'_>, who: Actor<'_>) {
        let seq = self.next_seq();
        let line = fitted("", who.ticket, |_, ticket| {
            serde_json::to_string(&DecisionLine {
                seq,
                kind: d.kind,
                outcome: d.outcome,
                id: d.id,
                target: d.target,
                path: d.path,
                role: who.role,
                ticket,
            })
            .unwrap_or_default()
        });
        self.decisions.push(line);
    }

    /// An operator's own journal line (`ECHO /audit/journal <json object>`), kept verbatim.
    pub(super) fn manual(&mut self, payload: &str) -> NsResult<()> {
        if !is_object(payload) {
            return Err(NsError::InvalidPayload);
        }
        self.journal.push(payload.trim());
        Ok(())
    }

    /// `/audit/export`.
    pub(super) fn export(&self) -> Vec<String> {
        vec![format!(
            r#"{{"journal_base":{},"journal_next":{},"decisions_base":{},"decisions_next":{},"replay_enabled":true,"replay_max_entries":{REPLAY_MAX_ENTRIES}}}"#,
            self.journal.evicted_bytes(),
            self.journal.end_bytes(),
            self.decisions.evicted_bytes(),
            self.decisions.end_bytes(),
        )]
    }

    /// `/audit/journal` lines.
    pub(super) fn journal_lines(&self) -> Vec<String> {
        self.journal.to_vec()
    }

    /// `/audit/decisions` lines.
    pub(super) fn decision_lines(&self) -> Vec<String> {
        self.decisions.to_vec()
    }

    /// Journal and decision lines evicted.
    pub(super) fn evicted(&self) -> (u64, u64) {
        (self.journal.evicted_lines(), self.decisions.evicted_lines())
    }

    /// `/replay/ctl` `{"from":<journal offset>}`: summarises the replayable control writes
    /// from that offset to the journal's end into `/replay/status` (`entries`, and the
    /// FNV-1a 64 of their ack lines, each followed by `\n`). An offset outside the window, or
    /// more than `replay_max_entries` entries, is refused and `/replay/status` says why.
    /// At most `replay_ctl_max_bytes` of requests per boot.
    pub(super) fn replay_ctl(&mut self, payload: &str) -> NsResult<()> {
        let n = payload.trim().len() + 1;
        if self.replay_ctl_bytes + n > REPLAY_CTL_MAX_BYTES {
            return Err(NsError::Limit {
                detail: "replay_ctl_max_bytes",
            });
        }
        let req: ReplayRequest = parse_strict(payload)?;
        self.replay_ctl_bytes += n;
        let (base, next) = (self.journal.evicted_bytes(), self.journal.end_bytes());
        let fail = |me: &mut Self, why: String| {
            let why = serde_json::to_string(&why).unwrap_or_default();
            me.replay_status = format!(r#"{{"state":"err","error":{why}}}"#);
            Err(NsError::InvalidPayload)
        };
        if req.from < base {
            return fail(
                self,
                format!("stale offset {} (window starts at {base})", req.from),
            );
        }
        if req.from > next {
            return fail(
                self,
                format!("future offset {} (window ends at {next})", req.from),
            );
        }
        let acks: Vec<&str> = self
            .replay
            .iter()
            .filter(|(end, _)| *end > req.from)
            .map(|(_, ack)| ack.as_str())
            .collect();
        if acks.len() > REPLAY_MAX_ENTRIES {
            return fail(
                self,
                format!(
                    "{} entries exceed replay_max_entries {REPLAY_MAX_ENTRIES}",
                    acks.len()
                ),
            );
        }
        let mut sequence = String::new();
        for a in &acks {
            sequence.push_str(a);
            sequence.push('\n');
        }
        let status = format!(
            r#"{{"state":"ok","from":{},"to":{next},"entries":{},"match":true,"sequence_fnv1a":"{:016x}"}}"#,
            req.from,
            acks.len(),
            fnv1a64(sequence.as_bytes())
        );
        if status.len() + 1 > REPLAY_STATUS_MAX_BYTES {
            return fail(self, "status exceeds replay_status_max_bytes".into());
        }
        self.replay_status = status;
        Ok(())
    }

    /// `/replay/status`.
    pub(super) fn replay_status(&self) -> Vec<String> {
        vec![self.replay_status.clone()]
    }
}

/// The journal `kind` of a control node, or `None` when `path` is not one. Control nodes:
/// every `.../ctl` (except `/replay/ctl`, a query of the journal itself), `/actions/queue`
/// and the `/host/...` control nodes (`host_control`).
pub(super) fn control_kind(c: &[&str], host_control: bool) -> Option<&'static str> {
    Some(match c {
        ["queen", "ctl"] => "queen-ctl",
        ["queen", "lifecycle", "ctl"] => "queen-lifecycle",
        ["queen", "schedule", "ctl"] => "queen-schedule",
        ["queen", "lease", "ctl"] => "queen-lease",
        ["queen", "export", "ctl"] => "queen-export",
        ["queen", "telemetry", _, "ctl"] => "telemetry-ctl",
        ["policy", "ctl"] => "policy-ctl",
        ["actions", "queue"] => "policy-queue",
        ["host", ..] if host_control => "host-control",
        ["replay", "ctl"] => return None,
        [.., "ctl"] => "ctl",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUEEN: Actor<'static> = Actor {
        role: "queen",
        ticket: "none",
    };

    #[test]
    fn journal_window_offsets_and_replay_hash() {
        let mut a = Audit::default();
        a.journal(
            "host-control",
            "/host/k8s/node/node-1/cordon",
            "cordon",
            Ok(()),
            QUEEN,
        );
        a.journal(
            "host-control",
            "/host/k8s/node/node-1/drain",
            "drain",
            Ok(()),
            QUEEN,
        );
        let lines = a.journal_lines();
        assert_eq!(
            lines[0],
            r#"{"seq":1,"kind":"host-control","path":"/host/k8s/node/node-1/cordon","payload":"cordon","outcome":"ok","error":null,"role":"queen","ticket":"none"}"#
        );
        let next: u64 = lines.iter().map(|l| l.len() as u64 + 1).sum();
        assert_eq!(
            a.export(),
            vec![format!(
                r#"{{"journal_base":0,"journal_next":{next},"decisions_base":0,"decisions_next":0,"replay_enabled":true,"replay_max_entries":64}}"#
            )]
        );
        a.replay_ctl(r#"{"from":0}"#).unwrap();
        // Two OK acks: FNV-1a 64 of "OK\nOK\n" (the upstream replay script's value).
        assert_eq!(
            a.replay_status(),
            vec![format!(
                r#"{{"state":"ok","from":0,"to":{next},"entries":2,"match":true,"sequence_fnv1a":"6df28b82c98d2471"}}"#
            )]
        );
        assert_eq!(
            a.replay_ctl(r#"{"from":999999}"#),
            Err(NsError::InvalidPayload)
        );
        assert!(a.replay_status()[0].starts_with(r#"{"state":"err","error":"future offset"#));
        assert_eq!(
            a.replay_ctl(r#"{"from":0,"x":1}"#),
            Err(NsError::InvalidPayload)
        );
    }

    #[test]
    fn windows_evict_oldest_and_move_base() {
        let mut a = Audit::default();
        for i in 0..500 {
            a.journal("queen-ctl", "/queen/ctl", &format!("{i}"), Ok(()), QUEEN);
            let d = Decision {
                kind: "policy-gate",
                outcome: "deny",
                id: None,
                target: None,
                path: Some("/queen/ctl"),
            };
            a.decision(&d, QUEEN);
        }
        let export: serde_json::Value = serde_json::from_str(&a.export()[0]).unwrap();
        let (jb, jn) = (
            export["journal_base"].as_u64().unwrap(),
            export["journal_next"].as_u64().unwrap(),
        );
        let kept: u64 = a.journal_lines().iter().map(|l| l.len() as u64 + 1).sum();
        assert_eq!(jn - jb, kept);
        assert!(jb > 0 && kept <= JOURNAL_MAX_BYTES as u64);
        assert!(a.journal_lines().len() <= AUDIT_MAX_LINES);
        let (db, dn) = (
            export["decisions_base"].as_u64().unwrap(),
            export["decisions_next"].as_u64().unwrap(),
        );
        assert!(db > 0 && dn - db <= DECISIONS_MAX_BYTES as u64);
        let first: serde_json::Value = serde_json::from_str(&a.journal_lines()[0]).unwrap();
        assert_eq!(first["seq"], 2 * (500 - a.journal_lines().len() as u64) + 1);
        // A stale offset is refused once the window moved.
        assert_eq!(a.replay_ctl(r#"{"from":0}"#), Err(NsError::InvalidPayload));
        assert!(a.replay.len() <= AUDIT_MAX_LINES);
        let (je, de) = a.evicted();
        assert!(je > 0 && de > 0);
    }

    #[test]
    fn lines_fit_the_console_limit_cutting_payload_then_ticket() {
        let mut a = Audit::default();
        let ticket = format!("cohesix-ticket-{}.{}", "ab".repeat(60), "cd".repeat(32));
        let who = Actor {
            role: "queen",
            ticket: &ticket,
        };
        let payload = "é\"".repeat(60);
        a.journal("queen-ctl", "/queen/ctl", &payload, Ok(()), who);
        let d = Decision {
            kind: "policy-action",
            outcome: "approve",
            id: Some("approval-1"),
            target: Some("/queen/ctl"),
            path: None,
        };
        a.decision(&d, who);
        for line in a.journal_lines().iter().chain(a.decision_lines().iter()) {
            assert!(line.len() <= MAX_LINE_LEN, "{} bytes", line.len());
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(ticket.starts_with(v["ticket"].as_str().unwrap()));
        }
        let v: serde_json::Value = serde_json::from_str(&a.decision_lines()[0]).unwrap();
        assert_eq!(v["id"], "approval-1");
        assert!(v.get("path").is_none());
        assert_eq!(a.manual("not json"), Err(NsError::InvalidPayload));
        a.manual(r#"{"note":"operator"}"#).unwrap();
        assert_eq!(a.journal_lines().last().unwrap(), r#"{"note":"operator"}"#);
    }

    #[test]
    fn debug_never_shows_a_ticket() {
        let mut a = Audit::default();
        let who = Actor {
            role: "queen",
            ticket: "cohesix-ticket-SECRET",
        };
        a.journal("queen-ctl", "/queen/ctl", "{}", Ok(()), who);
        let dbg = format!("{a:?}");
        assert!(
            !dbg.contains("SECRET") && dbg.contains("journal_lines: 1"),
            "{dbg}"
        );
    }

    #[test]
    fn control_kinds() {
        assert_eq!(control_kind(&["queen", "ctl"], false), Some("queen-ctl"));
        assert_eq!(
            control_kind(&["bus", "modbus-main", "ctl"], false),
            Some("ctl")
        );
        assert_eq!(control_kind(&["replay", "ctl"], false), None);
        assert_eq!(control_kind(&["log", "queen.log"], false), None);
        assert_eq!(
            control_kind(&["host", "tickets", "spec"], true),
            Some("host-control")
        );
        assert_eq!(
            control_kind(&["host", "nvidia", "gpu", "0", "status"], false),
            None
        );
    }
}
