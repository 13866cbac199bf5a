//! `/queen/schedule/ctl`, `/queen/lease/ctl`, `/queen/export/ctl` and their `/proc` views
//! (host-surface §2.4, §3).

use cohesix_generated::console::MAX_ID_LEN;

use super::error::{NsError, NsResult};
use super::json::{is_token, parse_strict, ExportRequest, LeaseRequest, ScheduleRequest};

/// `control_plane.schedule.queue_max_entries` (0.9 manifest; not yet in `cohesix_generated`).
pub const SCHEDULE_QUEUE_MAX_ENTRIES: usize = 256;
/// `control_plane.schedule.ctl_max_bytes`.
pub const SCHEDULE_CTL_MAX_BYTES: usize = 8192;
/// `control_plane.lease.active_max_entries`.
pub const LEASE_ACTIVE_MAX_ENTRIES: usize = 256;
/// `control_plane.lease.preemptions_max_entries`.
pub const LEASE_PREEMPTIONS_MAX_ENTRIES: usize = 256;
/// `control_plane.lease.ctl_max_bytes`.
pub const LEASE_CTL_MAX_BYTES: usize = 8192;
/// `control_plane.export.ctl_max_bytes`.
pub const EXPORT_CTL_MAX_BYTES: usize = 2048;
/// `observability.proc_schedule.summary_bytes`.
pub const PROC_SCHEDULE_SUMMARY_BYTES: usize = 128;
/// `observability.proc_schedule.queue_bytes`.
pub const PROC_SCHEDULE_QUEUE_BYTES: usize = 256;
/// `observability.proc_lease.summary_bytes`.
pub const PROC_LEASE_SUMMARY_BYTES: usize = 160;
/// `observability.proc_lease.active_bytes` and `preemptions_bytes`.
pub const PROC_LEASE_LIST_BYTES: usize = 256;

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

/// Schedule queue state.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    entries: Vec<(ScheduleRequest, u64)>,
    seq: u64,
    ctl_bytes: usize,
}

impl Schedule {
    /// Appends one request line.
    pub fn append(&mut self, payload: &str) -> NsResult<()> {
        let req: ScheduleRequest = parse_strict(payload)?;
        if !is_token(&req.id, MAX_ID_LEN)
            || !is_token(&req.role, MAX_ID_LEN)
            || req.priority == 0
            || req.ticks == 0
            || req.budget_ms == 0
            || self.entries.iter().any(|(e, _)| e.id == req.id)
        {
            return Err(NsError::InvalidPayload);
        }
        if self.entries.len() >= SCHEDULE_QUEUE_MAX_ENTRIES {
            return Err(NsError::BufferFull);
        }
        charge(&mut self.ctl_bytes, payload, SCHEDULE_CTL_MAX_BYTES)?;
        self.seq += 1;
        self.entries.push((req, self.seq));
        Ok(())
    }

    /// `/proc/schedule/summary`.
    pub fn summary(&self) -> Vec<String> {
        bounded(
            vec![format!(
                "queue={} dequeued=0 dropped=0 max_entries={SCHEDULE_QUEUE_MAX_ENTRIES}",
                self.entries.len()
            )],
            PROC_SCHEDULE_SUMMARY_BYTES,
        )
    }

    /// `/proc/schedule/queue`.
    pub fn queue(&self) -> Vec<String> {
        let lines = self
            .entries
            .iter()
            .map(|(r, seq)| {
                format!(
                    "id={} role={} priority={} ticks={} budget_ms={} seq={seq}",
                    r.id, r.role, r.priority, r.ticks, r.budget_ms
                )
            })
            .collect();
        bounded(lines, PROC_SCHEDULE_QUEUE_BYTES)
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

/// Lease table state.
#[derive(Debug, Clone, Default)]
pub struct Leases {
    active: Vec<ActiveLease>,
    preemptions: Vec<String>,
    quotas: Vec<(String, String, u32, u32)>,
    seq: u64,
    ctl_bytes: usize,
}

fn need<T: Clone>(v: &Option<T>) -> NsResult<T> {
    v.clone().ok_or(NsError::InvalidPayload)
}

fn token(v: &Option<String>) -> NsResult<String> {
    let s = need(v)?;
    if is_token(&s, MAX_ID_LEN) {
        Ok(s)
    } else {
        Err(NsError::InvalidPayload)
    }
}

impl Leases {
    /// Appends one lease request line.
    pub fn append(&mut self, payload: &str) -> NsResult<()> {
        let req: LeaseRequest = parse_strict(payload)?;
        let positive = |v: Option<u32>| v.is_none_or(|n| n > 0);
        if !positive(req.priority) || !positive(req.ttl_s) {
            return Err(NsError::InvalidPayload);
        }
        let seq = self.seq + 1;
        match req.op.as_str() {
            "grant" => {
                let id = token(&req.id)?;
                let subject = token(&req.subject)?;
                let resource = token(&req.resource)?;
                let ttl_s = need(&req.ttl_s)?;
                if self.active.iter().any(|l| l.id == id) {
                    return Err(NsError::InvalidPayload);
                }
                if self.active.len() >= LEASE_ACTIVE_MAX_ENTRIES {
                    return Err(NsError::BufferFull);
                }
                charge(&mut self.ctl_bytes, payload, LEASE_CTL_MAX_BYTES)?;
                self.active.push(ActiveLease {
                    id,
                    subject,
                    resource,
                    ttl_s,
                    priority: req.priority.unwrap_or(1),
                    seq,
                });
            }
            "renew" => {
                let id = token(&req.id)?;
                let ttl_s = need(&req.ttl_s)?;
                let pos = self
                    .active
                    .iter()
                    .position(|l| l.id == id)
                    .ok_or(NsError::InvalidPayload)?;
                charge(&mut self.ctl_bytes, payload, LEASE_CTL_MAX_BYTES)?;
                let lease = &mut self.active[pos];
                lease.ttl_s = ttl_s;
                if let Some(p) = req.priority {
                    lease.priority = p;
                }
                lease.seq = seq;
            }
            "preempt" => {
                let id = token(&req.id)?;
                let reason = token(&req.reason)?;
                let pos = self
                    .active
                    .iter()
                    .position(|l| l.id == id)
                    .ok_or(NsError::InvalidPayload)?;
                if self.preemptions.len() >= LEASE_PREEMPTIONS_MAX_ENTRIES {
                    return Err(NsError::BufferFull);
                }
                charge(&mut self.ctl_bytes, payload, LEASE_CTL_MAX_BYTES)?;
                let l = self.active.remove(pos);
                self.preemptions.push(format!(
                    "id={} subject={} resource={} reason={reason} seq={seq}",
                    l.id, l.subject, l.resource
                ));
            }
            "quota" => {
                let subject = token(&req.subject)?;
                let resource = token(&req.resource)?;
                let max_active = need(&req.max_active)?;
                let max_pre = need(&req.max_preemptions)?;
                if max_active == 0 || max_pre == 0 {
                    return Err(NsError::InvalidPayload);
                }
                charge(&mut self.ctl_bytes, payload, LEASE_CTL_MAX_BYTES)?;
                self.quotas
                    .retain(|(s, r, _, _)| !(s == &subject && r == &resource));
                self.quotas.push((subject, resource, max_active, max_pre));
            }
            _ => return Err(NsError::InvalidPayload),
        }
        self.seq = seq;
        Ok(())
    }

    /// `/proc/lease/summary`.
    pub fn summary(&self) -> Vec<String> {
        bounded(
            vec![format!(
                "active={} preemptions={} quotas={} max_active={LEASE_ACTIVE_MAX_ENTRIES} max_preemptions={LEASE_PREEMPTIONS_MAX_ENTRIES}",
                self.active.len(),
                self.preemptions.len(),
                self.quotas.len()
            )],
            PROC_LEASE_SUMMARY_BYTES,
        )
    }

    /// `/proc/lease/active`.
    pub fn active(&self) -> Vec<String> {
        let lines = self
            .active
            .iter()
            .map(|l| {
                format!(
                    "id={} subject={} resource={} ttl_s={} priority={} state=ACTIVE seq={}",
                    l.id, l.subject, l.resource, l.ttl_s, l.priority, l.seq
                )
            })
            .collect();
        bounded(lines, PROC_LEASE_LIST_BYTES)
    }

    /// `/proc/lease/preemptions`.
    pub fn preemptions(&self) -> Vec<String> {
        bounded(self.preemptions.clone(), PROC_LEASE_LIST_BYTES)
    }
}

/// Export windows.
#[derive(Debug, Clone, Default)]
pub struct Exports {
    open: Vec<(String, u32)>,
    ctl_bytes: usize,
}

impl Exports {
    /// Appends one export request line.
    pub fn append(&mut self, payload: &str) -> NsResult<()> {
        let req: ExportRequest = parse_strict(payload)?;
        if !is_token(&req.id, MAX_ID_LEN) {
            return Err(NsError::InvalidPayload);
        }
        match req.op.as_str() {
            "open" => {
                let ttl = req
                    .ttl_s
                    .filter(|t| *t > 0)
                    .ok_or(NsError::InvalidPayload)?;
                if self.open.iter().any(|(id, _)| id == &req.id) {
                    return Err(NsError::InvalidPayload);
                }
                charge(&mut self.ctl_bytes, payload, EXPORT_CTL_MAX_BYTES)?;
                self.open.push((req.id, ttl));
            }
            "close" => {
                token(&req.reason)?;
                let pos = self
                    .open
                    .iter()
                    .position(|(id, _)| id == &req.id)
                    .ok_or(NsError::InvalidPayload)?;
                charge(&mut self.ctl_bytes, payload, EXPORT_CTL_MAX_BYTES)?;
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
    use super::*;

    #[test]
    fn schedule_reflects_writes_and_rejects_duplicates() {
        let mut s = Schedule::default();
        s.append(r#"{"id":"job-1","role":"worker-gpu","priority":5,"ticks":10,"budget_ms":200}"#)
            .unwrap();
        assert_eq!(
            s.append(
                r#"{"id":"job-1","role":"worker-gpu","priority":5,"ticks":10,"budget_ms":200}"#
            ),
            Err(NsError::InvalidPayload)
        );
        assert_eq!(
            s.summary(),
            vec!["queue=1 dequeued=0 dropped=0 max_entries=256"]
        );
        assert_eq!(
            s.queue(),
            vec!["id=job-1 role=worker-gpu priority=5 ticks=10 budget_ms=200 seq=1"]
        );
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
        assert_eq!(
            l.append(r#"{"op":"revoke","id":"x"}"#),
            Err(NsError::InvalidPayload)
        );
        assert_eq!(
            l.append(r#"{"op":"grant","id":"l2"}"#),
            Err(NsError::InvalidPayload)
        );
    }

    #[test]
    fn export_and_ctl_bound() {
        let mut e = Exports::default();
        e.append(r#"{"op":"open","id":"exp-1","ttl_s":60}"#)
            .unwrap();
        assert_eq!(e.open_ids(), vec!["exp-1"]);
        e.append(r#"{"op":"close","id":"exp-1","reason":"done"}"#)
            .unwrap();
        assert!(e.open_ids().is_empty());
        let mut hit = false;
        for i in 0..100 {
            let r = e.append(&format!(r#"{{"op":"open","id":"exp-{i}","ttl_s":60}}"#));
            if r == Err(NsError::Limit {
                detail: "ctl_max_bytes",
            }) {
                hit = true;
                break;
            }
        }
        assert!(hit);
        assert_eq!(bounded(vec!["a".repeat(200), "b".repeat(60)], 256).len(), 1);
    }
}
