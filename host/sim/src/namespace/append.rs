//! Writes: [`Namespace::append`] dispatch, the line bound, refusal counting, the policy gate
//! and the audit hooks (journal of control writes, decisions).

use cohesix_core::control::token::check_id;

use super::audit::{control_kind, Actor, Decision};
use super::error::{NsError, NsResult};
use super::{bounds, components, Caller, Namespace};

impl Namespace {
    /// Appends `payload` to `path` as `caller` (no attach ticket); see
    /// [`Namespace::append_ticketed`].
    pub fn append(&mut self, path: &str, payload: &str, caller: &Caller) -> NsResult<usize> {
        self.append_ticketed(path, payload, caller, None)
    }

    /// Appends `payload` to `path` as `caller`, whose session attached with `ticket`;
    /// returns the payload byte count. Payloads over [`bounds::MAX_STORED_LINE`] bytes are
    /// refused (`detail=max_line_len`); a write a bounded store refuses (`buffer-full`,
    /// `ELIMIT`) is counted in `Drops::refused`. With the audit surface on, a write to a
    /// control node is journaled (with its outcome) and policy decisions are logged, both
    /// with the caller's role and `ticket` (or `none`).
    pub fn append_ticketed(
        &mut self,
        path: &str,
        payload: &str,
        caller: &Caller,
        ticket: Option<&str>,
    ) -> NsResult<usize> {
        let who = Actor {
            role: caller.role.label(),
            ticket: ticket.unwrap_or("none"),
        };
        let res = if payload.len() > bounds::MAX_STORED_LINE {
            Err(NsError::Limit {
                detail: "max_line_len",
            })
        } else {
            self.append_inner(path, payload, caller, who)
        };
        if matches!(res, Err(NsError::BufferFull | NsError::Limit { .. })) {
            self.drops.refused = self.drops.refused.saturating_add(1);
        }
        if self.features.audit && res != Err(NsError::InvalidPath) {
            let host_control = self.host.is_control(path);
            if let Some(kind) = components(path).and_then(|c| control_kind(&c, host_control)) {
                let outcome = res.as_ref().map(|_| ());
                self.audit.journal(kind, path, payload, outcome, who);
            }
        }
        res
    }

    fn append_inner(
        &mut self,
        path: &str,
        payload: &str,
        caller: &Caller,
        who: Actor<'_>,
    ) -> NsResult<usize> {
        let c = components(path).ok_or(NsError::InvalidPath)?;
        if caller.role.is_worker() && !matches!(c.first(), Some(&"bus") | Some(&"lora")) {
            return Err(NsError::Denied);
        }
        match c.as_slice() {
            ["log", "queen.log"] => self.log.push(payload),
            ["trace", "ctl"] => {
                self.trace.push(payload);
            }
            ["queen", "ctl"] => {
                self.gate(path, who)?;
                let res = self.queen_ctl(payload);
                if self.features.audit {
                    let d = Decision {
                        kind: "queen-ctl",
                        outcome: if res.is_ok() { "ok" } else { "err" },
                        id: res.as_ref().ok().and_then(Option::as_deref),
                        target: None,
                        path: Some(path),
                    };
                    self.audit.decision(&d, who);
                }
                res?;
            }
            ["queen", "lifecycle", "ctl"] => {
                let state =
                    self.lifecycle
                        .apply(payload, caller.now_ms, self.features.lifecycle_drain)?;
                self.log.push(format!(
                    "[INFO  lifecycle] state={} reason={}",
                    state.label(),
                    payload.trim()
                ));
            }
            ["queen", "schedule", "ctl"] if self.features.control_plane => {
                self.schedule.append(payload)?
            }
            ["queen", "lease", "ctl"] if self.features.control_plane => {
                self.leases.append(payload)?
            }
            ["queen", "export", "ctl"] if self.features.control_plane => {
                self.exports.append(payload)?
            }
            ["queen", "telemetry", dev, "ctl"] => {
                if check_id("device_id", dev).is_err() {
                    return Err(NsError::InvalidPath);
                }
                let seg = self.ingest.new_segment(dev, payload)?;
                self.log
                    .push(format!("[INFO  telemetry] device={dev} new segment {seg}"));
            }
            ["queen", "telemetry", dev, "latest"] if self.ingest.devices.contains_key(*dev) => {
                return Err(NsError::Denied)
            }
            ["queen", "telemetry", dev, "seg", seg] => self
                .ingest
                .devices
                .get_mut(*dev)
                .ok_or(NsError::InvalidPath)?
                .append(seg, payload)?,
            ["worker", id, "telemetry"] => self.ring_append(id, None, payload)?,
            ["shard", ll, "worker", id, "telemetry"] => self.ring_append(id, Some(ll), payload)?,
            ["gpu", rest @ ..] => self.gpu_append(rest, payload)?,
            ["host", ..] if self.host.is_control(path) => {
                self.gate(path, who)?;
                self.host.append(path, payload)?;
                self.log.push(format!("[INFO  host] write path={path}"));
            }
            ["bus" | "lora", ..] if self.features.sidecars => {
                self.sidecar_append(&c, payload, caller.role)?
            }
            ["actions", "queue"] if self.features.policy => {
                let a = self.policy.enqueue(payload)?;
                if self.features.audit {
                    let d = Decision {
                        kind: "policy-action",
                        outcome: if a.approve { "approve" } else { "deny" },
                        id: Some(&a.id),
                        target: Some(&a.target),
                        path: None,
                    };
                    self.audit.decision(&d, who);
                }
            }
            ["audit", "journal"] if self.features.audit => self.audit.manual(payload)?,
            ["replay", "ctl"] if self.features.audit => self.audit.replay_ctl(payload)?,
            ["policy", "ctl"] if self.features.policy => self.policy.append_ctl(payload)?,
            _ => {
                // Existing read-only files refuse writes with EPERM; unknown paths are invalid.
                return Err(match self.read(path, caller.now_ms) {
                    Ok(_) => NsError::Denied,
                    Err(e) => e,
                });
            }
        }
        Ok(payload.len())
    }

    /// Policy gate for gated paths (only when the policy surface is on); logs the decision
    /// when the audit surface is on.
    fn gate(&mut self, path: &str, who: Actor<'_>) -> NsResult<()> {
        if !self.features.policy {
            return Ok(());
        }
        let verdict = self.policy.judge(path);
        let Some(rule) = verdict.rule else {
            return Ok(());
        };
        if self.features.audit {
            let approval = verdict.approval.as_ref();
            let d = Decision {
                kind: "policy-gate",
                outcome: if verdict.allowed { "allow" } else { "deny" },
                id: approval.map(|(id, _)| id.as_str()),
                target: approval.map(|(_, t)| t.as_str()),
                path: Some(path),
            };
            self.audit.decision(&d, who);
        }
        if verdict.allowed {
            return Ok(());
        }
        self.log
            .push(format!("policy-deny rule={rule} path={path} error=EPERM"));
        Err(NsError::Denied)
    }
}
