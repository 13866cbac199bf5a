//! PolicyFS: `/policy/rules`, `/policy/ctl`, `/actions/queue` and `/actions/<id>/status`.
//! Approvals are single-use: a gated append consumes the oldest queued approval for its path.

use cohesix_core::control::{ApprovalRequest, Decision};
use cohesix_generated::ecosystem::policy::{
    CTL_MAX_BYTES, QUEUE_MAX_BYTES, QUEUE_MAX_ENTRIES, STATUS_MAX_BYTES,
};

use super::control_plane::bounded;
use super::error::{NsError, NsResult};
use super::json::is_object;

/// Policy rules of the 0.9 manifest: (rule id, gated path pattern; `*` = one component).
pub const RULES: [(&str, &str); 2] = [
    ("queen-ctl", "/queen/ctl"),
    ("systemd-restart", "/host/systemd/*/restart"),
];

/// Approval lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalState {
    /// Waiting for a gated write.
    Queued,
    /// Used by one gated write.
    Consumed,
}

/// One queued approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// Approval id.
    pub id: String,
    /// Gated path it applies to.
    pub target: String,
    /// `true` for `approve`, `false` for `deny`.
    pub approve: bool,
    /// State.
    pub state: ApprovalState,
}

/// Rule match: `*` matches exactly one path component.
pub fn rule_matches(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let q: Vec<&str> = path.split('/').collect();
    p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| *a == "*" || a == b)
}

/// The rule gating `path`, if any.
pub fn gating_rule(path: &str) -> Option<&'static str> {
    RULES
        .iter()
        .find(|(_, pat)| rule_matches(pat, path))
        .map(|(id, _)| *id)
}

/// Outcome of the policy gate for one write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateVerdict {
    /// The gating rule, `None` when the path is not gated.
    pub rule: Option<&'static str>,
    /// Whether the write may proceed.
    pub allowed: bool,
    /// The approval consumed (id, target), if any.
    pub approval: Option<(String, String)>,
}

/// Policy state. Like the upstream queen's action queue, `/actions/queue` takes at most
/// `ecosystem.policy.queue_max_entries` approvals and `queue_max_bytes` bytes (lines plus
/// newlines) per boot, consumed ones included, and `/policy/ctl` at most `ctl_max_bytes`;
/// beyond them a write is refused (`ELIMIT`, `detail=queue_max_entries|queue_max_bytes|
/// ctl_max_bytes`).
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Approvals in queue order.
    pub approvals: Vec<Approval>,
    /// Lines appended to `/policy/ctl`.
    pub ctl: Vec<String>,
    /// Lines appended to `/actions/queue`, as written.
    pub queue: Vec<String>,
    queue_bytes: usize,
    ctl_bytes: usize,
}

impl Policy {
    /// Appends one `/policy/ctl` line (a JSON object).
    pub fn append_ctl(&mut self, payload: &str) -> NsResult<()> {
        if !is_object(payload) {
            return Err(NsError::InvalidPayload);
        }
        let n = payload.len() + 1;
        if self.ctl_bytes + n > CTL_MAX_BYTES {
            return Err(NsError::Limit {
                detail: "ctl_max_bytes",
            });
        }
        self.ctl_bytes += n;
        self.ctl.push(payload.to_string());
        Ok(())
    }

    /// `/policy/rules` content.
    pub fn rules(&self) -> Vec<String> {
        RULES
            .iter()
            .map(|(id, target)| format!("rule id={id} target={target}"))
            .collect()
    }

    /// Appends an approval request (`/actions/queue`, decoded by the core's
    /// [`ApprovalRequest`]: id token, valid target path, `approve|deny`); a known id is
    /// refused. Returns the queued approval.
    pub fn enqueue(&mut self, payload: &str) -> NsResult<Approval> {
        let req = ApprovalRequest::decode(payload.as_bytes())?;
        if self.approvals.iter().any(|a| a.id == req.approval_id) {
            return Err(NsError::InvalidPayload);
        }
        if self.approvals.len() >= QUEUE_MAX_ENTRIES {
            return Err(NsError::Limit {
                detail: "queue_max_entries",
            });
        }
        let n = payload.trim().len() + 1;
        if self.queue_bytes + n > QUEUE_MAX_BYTES {
            return Err(NsError::Limit {
                detail: "queue_max_bytes",
            });
        }
        self.queue_bytes += n;
        self.queue.push(payload.trim().to_string());
        let a = Approval {
            id: req.approval_id.to_owned(),
            target: req.target_path.to_owned(),
            approve: req.decision == Decision::Approve,
            state: ApprovalState::Queued,
        };
        self.approvals.push(a.clone());
        Ok(a)
    }

    /// Checks a write to `path`; gated paths consume the oldest queued approval for it.
    pub fn judge(&mut self, path: &str) -> GateVerdict {
        let Some(rule) = gating_rule(path) else {
            return GateVerdict {
                rule: None,
                allowed: true,
                approval: None,
            };
        };
        let Some(a) = self
            .approvals
            .iter_mut()
            .find(|a| a.state == ApprovalState::Queued && a.target == path)
        else {
            return GateVerdict {
                rule: Some(rule),
                allowed: false,
                approval: None,
            };
        };
        a.state = ApprovalState::Consumed;
        GateVerdict {
            rule: Some(rule),
            allowed: a.approve,
            approval: Some((a.id.clone(), a.target.clone())),
        }
    }

    /// [`Policy::judge`] as a result: the denying rule id on refusal.
    pub fn admit(&mut self, path: &str) -> Result<(), &'static str> {
        let v = self.judge(path);
        match v.rule {
            Some(rule) if !v.allowed => Err(rule),
            _ => Ok(()),
        }
    }

    /// `/actions/<id>/status` content.
    pub fn status(&self, id: &str) -> Option<Vec<String>> {
        self.approvals.iter().find(|a| a.id == id).map(|a| {
            let state = match a.state {
                ApprovalState::Queued => "queued",
                ApprovalState::Consumed => "consumed",
            };
            let decision = if a.approve {
                Decision::Approve
            } else {
                Decision::Deny
            };
            let line = format!(
                "state={state} id={} decision={} target={}",
                a.id,
                decision.as_str(),
                a.target
            );
            bounded(vec![line], STATUS_MAX_BYTES)
        })
    }

    /// Approval ids in queue order.
    pub fn ids(&self) -> Vec<String> {
        self.approvals.iter().map(|a| a.id.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approvals_are_single_use() {
        let mut p = Policy::default();
        let path = "/host/systemd/cohesix-agent.service/restart";
        assert_eq!(p.admit(path), Err("systemd-restart"));
        p.enqueue(&format!(
            r#"{{"id":"approval-1","target":"{path}","decision":"approve"}}"#
        ))
        .unwrap();
        assert!(p.status("approval-1").unwrap()[0].contains("state=queued"));
        assert_eq!(p.admit(path), Ok(()));
        assert!(p.status("approval-1").unwrap()[0].contains("state=consumed"));
        assert_eq!(p.admit(path), Err("systemd-restart"));
        assert_eq!(p.admit("/log/queen.log"), Ok(()));
    }

    #[test]
    fn deny_decision_and_bad_requests() {
        let mut p = Policy::default();
        p.enqueue(r#"{"id":"d1","target":"/queen/ctl","decision":"deny"}"#)
            .unwrap();
        assert_eq!(p.admit("/queen/ctl"), Err("queen-ctl"));
        assert!(p
            .enqueue(r#"{"id":"d1","target":"/queen/ctl","decision":"approve"}"#)
            .is_err());
        assert!(p
            .enqueue(r#"{"id":"x","target":"/queen/ctl","decision":"maybe"}"#)
            .is_err());
        assert!(p
            .enqueue(r#"{"id":"y","target":"/queen/ctl","decision":"approve","n":1}"#)
            .is_err());
        assert!(!rule_matches(
            "/host/systemd/*/restart",
            "/host/systemd/a/b/restart"
        ));
    }

    #[test]
    fn queue_and_ctl_are_bounded_by_the_manifest() {
        // With the 0.9 bounds (256 entries, 8192 bytes) even the shortest approval line
        // (41 bytes) fills the byte bound first: the queue refuses, never grows past it.
        let mut p = Policy::default();
        let mut refusal = None;
        for i in 0..=QUEUE_MAX_ENTRIES {
            if let Err(e) = p.enqueue(&format!(
                r#"{{"id":"{i}","target":"/a","decision":"deny"}}"#
            )) {
                refusal = Some(e);
                break;
            }
        }
        assert_eq!(
            refusal,
            Some(NsError::Limit {
                detail: "queue_max_bytes"
            })
        );
        assert!(p.approvals.len() < QUEUE_MAX_ENTRIES);
        assert!(p.queue_bytes <= QUEUE_MAX_BYTES);
        let mut p = Policy::default();
        let long = format!("/q/{}/{}", "t".repeat(64), "u".repeat(27));
        let mut refused = None;
        for i in 0..QUEUE_MAX_ENTRIES {
            let line = format!(r#"{{"id":"b{i}","target":"{long}","decision":"deny"}}"#);
            if let Err(e) = p.enqueue(&line) {
                refused = Some(e);
                break;
            }
        }
        assert_eq!(
            refused,
            Some(NsError::Limit {
                detail: "queue_max_bytes"
            })
        );
        let mut hit = false;
        for i in 0..200 {
            if p.append_ctl(&format!(r#"{{"rule":"r{i}","x":"{}"}}"#, "y".repeat(20)))
                == Err(NsError::Limit {
                    detail: "ctl_max_bytes",
                })
            {
                hit = true;
                break;
            }
        }
        assert!(hit);
        assert_eq!(p.append_ctl("[1]"), Err(NsError::InvalidPayload));
    }
}
