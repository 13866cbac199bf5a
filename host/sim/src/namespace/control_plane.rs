//! `/queen/schedule/ctl`, `/queen/lease/ctl`, `/queen/export/ctl` and their `/proc` views
//! (host-surface §2.4, §3).
//!
//! Lines are decoded by the core's payload types ([`ScheduleRequest`], [`LeaseRequest`],
//! [`ExportRequest`]: every schema and validation rule), `/proc` lines rendered by the core's
//! line types ([`ScheduleSummary`], [`ScheduleEntry`], [`LeaseSummary`], [`LeaseEntry`],
//! [`PreemptionEntry`]), which the client parses back. Only the stateful rules live here:
//! duplicate ids, unknown ids, table capacity and the per-boot `ctl_max_bytes` budget. Every
//! size is the manifest's (`cohesix_generated::{control_plane, observability}`).

use cohesix_core::control::proc::{
    LeaseEntry, LeaseSummary, PreemptionEntry, ScheduleEntry, ScheduleSummary,
};
use cohesix_core::control::{ExportOp, ExportRequest, LeaseOp, LeaseRequest, ScheduleRequest};
use cohesix_generated::control_plane::{export, lease, schedule};
use cohesix_generated::observability::{proc_lease, proc_schedule};

use super::error::{NsError, NsResult};

/// Keeps whole lines while the text (lines plus `\n`) fits `max` bytes.
pub fn bounded(lines: Vec<String>, max: usize) -> Vec<String> {
    let mut used = 0usize;
    lines
        .into_iter()
        .take_while(|l| {
            used += l.len() + 1;
            used <= max
        })
        .collect()
}

/// A table bound as the `/proc` summaries print it (`u32`; the manifest's values are small).
fn bound_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn charge(used: &mut usize, payload: &str, max: usize) -> NsResult<()> {
    let n = payload.len() + 1;
    if *used + n > max {
        return Err(NsError::Limit {
            detail: "ctl_max_bytes",
        });
    }
    *used += n;
    Ok(())
}

/// One queued schedule request.
#[derive(Debug, Clone)]
struct Queued {
    id: String,
    role: String,
    priority: u32,
    ticks: u32,
    budget_ms: u32,
    seq: u64,
}

/// Schedule queue state.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    entries: Vec<Queued>,
    seq: u64,
    ctl_bytes: usize,
}

impl Schedule {
    /// Appends one request line: the core's schema, then a new id, queue room and ctl budget.
    pub fn append(&mut self, payload: &str) -> NsResult<()> {
        let req = ScheduleRequest::decode(payload.as_bytes())?;
        if self.entries.iter().any(|e| e.id == req.request_id) {
            return Err(NsError::InvalidPayload);
        }
        if self.entries.len() >= schedule::QUEUE_MAX_ENTRIES {
            return Err(NsError::BufferFull);
        }
        charge(&mut self.ctl_bytes, payload, schedule::CTL_MAX_BYTES)?;
        self.seq += 1;
        self.entries.push(Queued {
            id: req.request_id.to_owned(),
            role: req.role.to_owned(),
            priority: req.priority,
            ticks: req.ticks,
            budget_ms: req.budget_ms,
            seq: self.seq,
        });
        Ok(())
    }

    /// `/proc/schedule/summary`.
    pub fn summary(&self) -> Vec<String> {
        let s = ScheduleSummary {
            queue: count(self.entries.len()),
            dequeued: 0,
            dropped: 0,
            max_entries: bound_u32(schedule::QUEUE_MAX_ENTRIES),
        };
        bounded(vec![s.to_string()], proc_schedule::SUMMARY_BYTES)
    }

    /// `/proc/schedule/queue`.
    pub fn queue(&self) -> Vec<String> {
        let lines = self
            .entries
            .iter()
            .map(|e| {
                ScheduleEntry {
                    id: &e.id,
                    role: &e.role,
                    priority: e.priority,
                    ticks: e.ticks,
                    budget_ms: e.budget_ms,
                    seq: e.seq,
                }
                .to_string()
            })
            .collect();
        bounded(lines, proc_schedule::QUEUE_BYTES)
    }
}

#[derive(Debug, Clone)]
struct ActiveLease {
    id: String,
    subject: String,
    resource: String,
    ttl_s: u32,
    priority: u32,
    seq: u64,
}

#[derive(Debug, Clone)]
struct Preemption {
    id: String,
    subject: String,
    resource: String,
    reason: String,
    seq: u64,
}

/// Lease table state.
#[derive(Debug, Clone, Default)]
pub struct Leases {
    active: Vec<ActiveLease>,
    preemptions: Vec<Preemption>,
    quotas: Vec<(String, String, u32, u32)>,
    seq: u64,
    ctl_bytes: usize,
}

/// A field the core's validation guarantees for the op (absent only on a broken decoder).
fn required<T>(v: Option<T>) -> NsResult<T> {
    v.ok_or(NsError::InvalidPayload)
}

impl Leases {
    /// Appends one lease request line: the core's schema and per-op rules, then the table's
    /// rules (a new id to grant, a known id to renew or preempt, room, ctl budget).
    pub fn append(&mut self, payload: &str) -> NsResult<()> {
        let req = LeaseRequest::decode(payload.as_bytes())?;
        let seq = self.seq + 1;
        match req.op {
            LeaseOp::Grant => {
                let id = required(req.lease_id)?;
                if self.active.iter().any(|l| l.id == id) {
                    return Err(NsError::InvalidPayload);
                }
                if self.active.len() >= lease::ACTIVE_MAX_ENTRIES {
                    return Err(NsError::BufferFull);
                }
                charge(&mut self.ctl_bytes, payload, lease::CTL_MAX_BYTES)?;
                self.active.push(ActiveLease {
                    id: id.to_owned(),
                    subject: required(req.subject)?.to_owned(),
                    resource: required(req.resource)?.to_owned(),
                    ttl_s: required(req.ttl_s)?,
                    priority: req.priority.unwrap_or(1),
                    seq,
                });
            }
            LeaseOp::Renew => {
                let id = required(req.lease_id)?;
                let ttl_s = required(req.ttl_s)?;
                let pos = self.position(id)?;
                charge(&mut self.ctl_bytes, payload, lease::CTL_MAX_BYTES)?;
                let l = &mut self.active[pos];
                l.ttl_s = ttl_s;
                if let Some(p) = req.priority {
                    l.priority = p;
                }
                l.seq = seq;
            }
            LeaseOp::Preempt => {
                let pos = self.position(required(req.lease_id)?)?;
                let reason = required(req.reason)?;
                if self.preemptions.len() >= lease::PREEMPTIONS_MAX_ENTRIES {
                    return Err(NsError::BufferFull);
                }
                charge(&mut self.ctl_bytes, payload, lease::CTL_MAX_BYTES)?;
                let l = self.active.remove(pos);
                self.preemptions.push(Preemption {
                    id: l.id,
                    subject: l.subject,
                    resource: l.resource,
                    reason: reason.to_owned(),
                    seq,
                });
            }
            LeaseOp::Quota => {
                let subject = required(req.subject)?;
                let resource = required(req.resource)?;
                let max_active = required(req.max_active)?;
                let max_pre = required(req.max_preemptions)?;
                charge(&mut self.ctl_bytes, payload, lease::CTL_MAX_BYTES)?;
                self.quotas
                    .retain(|(s, r, _, _)| !(s == subject && r == resource));
                self.quotas
                    .push((subject.to_owned(), resource.to_owned(), max_active, max_pre));
            }
        }
        self.seq = seq;
        Ok(())
    }

    fn position(&self, id: &str) -> NsResult<usize> {
        self.active
            .iter()
            .position(|l| l.id == id)
            .ok_or(NsError::InvalidPayload)
    }

    /// `/proc/lease/summary`.
    pub fn summary(&self) -> Vec<String> {
        let s = LeaseSummary {
            active: count(self.active.len()),
            preemptions: count(self.preemptions.len()),
            quotas: count(self.quotas.len()),
            max_active: bound_u32(lease::ACTIVE_MAX_ENTRIES),
            max_preemptions: bound_u32(lease::PREEMPTIONS_MAX_ENTRIES),
        };
        bounded(vec![s.to_string()], proc_lease::SUMMARY_BYTES)
    }

    /// `/proc/lease/active`.
    pub fn active(&self) -> Vec<String> {
        let lines = self
            .active
            .iter()
            .map(|l| {
                LeaseEntry {
                    id: &l.id,
                    subject: &l.subject,
                    resource: &l.resource,
                    ttl_s: l.ttl_s,
                    priority: l.priority,
                    state: cohesix_generated::coh::run::lease::ACTIVE_STATE,
                    seq: l.seq,
                }
                .to_string()
            })
            .collect();
        bounded(lines, proc_lease::ACTIVE_BYTES)
    }

    /// `/proc/lease/preemptions`.
    pub fn preemptions(&self) -> Vec<String> {
        let lines = self
            .preemptions
            .iter()
            .map(|p| {
                PreemptionEntry {
                    id: &p.id,
                    subject: &p.subject,
                    resource: &p.resource,
                    reason: &p.reason,
                    seq: p.seq,
                }
                .to_string()
            })
            .collect();
        bounded(lines, proc_lease::PREEMPTIONS_BYTES)
    }
}

/// Export windows.
#[derive(Debug, Clone, Default)]
pub struct Exports {
    open: Vec<(String, u32)>,
    ctl_bytes: usize,
}

impl Exports {
    /// Appends one export request line: the core's schema, then a new id to open, an open id
    /// to close, and the ctl budget.
    pub fn append(&mut self, payload: &str) -> NsResult<()> {
        let req = ExportRequest::decode(payload.as_bytes())?;
        let known = self.open.iter().position(|(id, _)| id == req.export_id);
        match (req.op, known) {
            (ExportOp::Open, None) => {
                let ttl = required(req.ttl_s)?;
                charge(&mut self.ctl_bytes, payload, export::CTL_MAX_BYTES)?;
                self.open.push((req.export_id.to_owned(), ttl));
            }
            (ExportOp::Close, Some(pos)) => {
                charge(&mut self.ctl_bytes, payload, export::CTL_MAX_BYTES)?;
                self.open.remove(pos);
            }
            _ => return Err(NsError::InvalidPayload),
        }
        Ok(())
    }

    /// Ids of open exports.
    pub fn open_ids(&self) -> Vec<String> {
        self.open.iter().map(|(id, _)| id.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use cohesix_core::control::proc::ProcLine;

    use super::*;

    #[test]
    fn schedule_reflects_writes_and_rejects_duplicates() {
        let mut s = Schedule::default();
        let line = r#"{"id":"job-1","role":"worker-gpu","priority":5,"ticks":10,"budget_ms":200}"#;
        s.append(line).unwrap();
        assert_eq!(s.append(line), Err(NsError::InvalidPayload));
        assert_eq!(
            s.summary(),
            vec!["queue=1 dequeued=0 dropped=0 max_entries=256"]
        );
        assert_eq!(
            s.queue(),
            vec!["id=job-1 role=worker-gpu priority=5 ticks=10 budget_ms=200 seq=1"]
        );
        // The core's rules: zero values, 33-byte ids, unknown keys.
        for bad in [
            r#"{"id":"j","role":"r","priority":0,"ticks":1,"budget_ms":1}"#,
            r#"{"id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","role":"r","priority":1,"ticks":1,"budget_ms":1}"#,
            r#"{"id":"j","role":"r","priority":1,"ticks":1,"budget_ms":1,"x":0}"#,
        ] {
            assert_eq!(s.append(bad), Err(NsError::InvalidPayload), "{bad}");
        }
    }

    #[test]
    fn lease_ops() {
        let mut l = Leases::default();
        l.append(r#"{"op":"grant","id":"lease-1","subject":"queen","resource":"gpu0","ttl_s":300,"priority":5}"#).unwrap();
        l.append(r#"{"op":"renew","id":"lease-1","ttl_s":600}"#)
            .unwrap();
        l.append(r#"{"op":"quota","subject":"queen","resource":"gpu0","max_active":4,"max_preemptions":8}"#).unwrap();
        assert_eq!(
            l.active(),
            vec!["id=lease-1 subject=queen resource=gpu0 ttl_s=600 priority=5 state=ACTIVE seq=2"]
        );
        l.append(r#"{"op":"preempt","id":"lease-1","reason":"maintenance"}"#)
            .unwrap();
        assert!(l.active().is_empty());
        assert_eq!(
            l.preemptions(),
            vec!["id=lease-1 subject=queen resource=gpu0 reason=maintenance seq=4"]
        );
        assert_eq!(
            l.summary(),
            vec!["active=0 preemptions=1 quotas=1 max_active=256 max_preemptions=256"]
        );
        for bad in [
            r#"{"op":"revoke","id":"x"}"#,
            r#"{"op":"grant","id":"l2"}"#,
            r#"{"op":"renew","id":"nope","ttl_s":1}"#,
            r#"{"op":"preempt","id":"lease-1","reason":"again"}"#,
            r#"{"op":"quota","subject":"q","resource":"r","max_active":0,"max_preemptions":1}"#,
        ] {
            assert_eq!(l.append(bad), Err(NsError::InvalidPayload), "{bad}");
        }
    }

    #[test]
    fn export_and_ctl_bound() {
        let mut e = Exports::default();
        let open = r#"{"op":"open","id":"exp-1","ttl_s":60}"#;
        let close = r#"{"op":"close","id":"exp-1","reason":"done"}"#;
        e.append(open).unwrap();
        assert_eq!(e.open_ids(), vec!["exp-1"]);
        assert_eq!(e.append(open), Err(NsError::InvalidPayload));
        e.append(close).unwrap();
        assert!(e.open_ids().is_empty());
        assert_eq!(e.append(close), Err(NsError::InvalidPayload));
        // Refused lines cost nothing; accepted ones count with their newline.
        let mut spent = open.len() + 1 + close.len() + 1;
        let mut refused = None;
        for i in 0..100 {
            let line = format!(r#"{{"op":"open","id":"exp-{i}","ttl_s":60}}"#);
            match e.append(&line) {
                Ok(()) => spent += line.len() + 1,
                Err(err) => {
                    refused = Some((err, line.len() + 1));
                    break;
                }
            }
        }
        let (err, next) = refused.expect("the budget runs out within 100 lines");
        assert_eq!(
            err,
            NsError::Limit {
                detail: "ctl_max_bytes"
            }
        );
        assert!(spent <= export::CTL_MAX_BYTES && spent + next > export::CTL_MAX_BYTES);
        assert_eq!(bounded(vec!["a".repeat(200), "b".repeat(60)], 256).len(), 1);
    }

    /// What the simulator renders is what the client's parser reads back, field for field.
    #[test]
    fn proc_nodes_round_trip_through_the_core_parsers() {
        let mut s = Schedule::default();
        let mut l = Leases::default();
        s.append(
            r#"{"id":"sched-edge-1","role":"worker-gpu","priority":6,"ticks":6,"budget_ms":180}"#,
        )
        .unwrap();
        l.append(
            r#"{"op":"grant","id":"lease-a","subject":"queen","resource":"gpu0","ttl_s":300}"#,
        )
        .unwrap();
        l.append(r#"{"op":"grant","id":"lease-b","subject":"worker-gpu","resource":"gpu1","ttl_s":30,"priority":9}"#)
            .unwrap();
        l.append(r#"{"op":"preempt","id":"lease-a","reason":"maintenance"}"#)
            .unwrap();

        let summary = ScheduleSummary::parse(&s.summary()[0]).unwrap();
        assert_eq!(
            summary,
            ScheduleSummary {
                queue: 1,
                dequeued: 0,
                dropped: 0,
                max_entries: 256
            }
        );
        let queue = s.queue();
        let e = ScheduleEntry::parse(&queue[0]).unwrap();
        assert_eq!(
            (e.id, e.role, e.priority, e.ticks, e.budget_ms, e.seq),
            ("sched-edge-1", "worker-gpu", 6, 6, 180, 1)
        );
        let ls = LeaseSummary::parse(&l.summary()[0]).unwrap();
        assert_eq!(
            (
                ls.active,
                ls.preemptions,
                ls.quotas,
                ls.max_active,
                ls.max_preemptions
            ),
            (1, 1, 0, 256, 256)
        );
        let active = l.active();
        let a = LeaseEntry::parse(&active[0]).unwrap();
        assert_eq!(
            (a.id, a.subject, a.resource, a.ttl_s, a.priority, a.state, a.seq),
            ("lease-b", "worker-gpu", "gpu1", 30, 9, "ACTIVE", 2)
        );
        let pre = l.preemptions();
        let p = PreemptionEntry::parse(&pre[0]).unwrap();
        assert_eq!(
            (p.id, p.subject, p.resource, p.reason, p.seq),
            ("lease-a", "queen", "gpu0", "maintenance", 3)
        );
    }

    #[test]
    fn proc_nodes_keep_whole_lines_within_the_manifest_bounds() {
        let mut l = Leases::default();
        for i in 0..10 {
            l.append(&format!(
                r#"{{"op":"grant","id":"lease-{i:026}","subject":"queen","resource":"gpu0","ttl_s":300}}"#
            ))
            .unwrap();
        }
        let lines = l.active();
        let bytes: usize = lines.iter().map(|x| x.len() + 1).sum();
        assert!(!lines.is_empty() && lines.len() < 10, "{}", lines.len());
        assert!(bytes <= proc_lease::ACTIVE_BYTES);
        for line in &lines {
            LeaseEntry::parse(line).unwrap();
        }
    }
}
