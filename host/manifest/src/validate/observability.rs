//! `/proc` node rules: every enabled node's byte cap must hold the longest line the queen can
//! render for it, and stay within the largest Secure9P message.

use super::{ensure, k, Check, MAX_MSIZE};
use crate::locate::KeyPath;
use crate::model::Manifest;

/// Widest decimal renderings.
const U64_DIGITS: usize = 20;
const U32_DIGITS: usize = 10;
const U8_DIGITS: usize = 3;
/// Longest session state label (`DRAINING`).
const SESSION_STATE_LEN: usize = 8;
/// Longest session owner.
const SESSION_OWNER_LEN: usize = 64;
/// Longest root cut reason (`network_unreachable`).
const CUT_REASON_LEN: usize = 19;
/// Longest schedule entry id and role.
const SCHEDULE_ID_LEN: usize = 64;
const SCHEDULE_ROLE_LEN: usize = 16;
/// Longest lease id, subject, resource, preemption reason and state.
const LEASE_ID_LEN: usize = 32;
const LEASE_SUBJECT_LEN: usize = 32;
const LEASE_RESOURCE_LEN: usize = 48;
const LEASE_REASON_LEN: usize = 24;
const LEASE_STATE_LEN: usize = 16;

/// One rendered field: literal text or a maximum-width value.
enum Part {
    Text(&'static str),
    Width(usize),
}

use Part::{Text as T, Width as W};

/// Length of the longest line `parts` can render, newline included.
fn line(parts: &[Part]) -> usize {
    parts
        .iter()
        .map(|p| match p {
            T(t) => t.len(),
            W(w) => *w,
        })
        .sum::<usize>()
        + 1
}

fn cap(key: KeyPath, enabled: bool, value: u32, required: usize) -> Check {
    if !enabled {
        return Ok(());
    }
    let value = usize::try_from(value).unwrap_or(usize::MAX);
    let max = usize::try_from(MAX_MSIZE).unwrap_or(usize::MAX);
    ensure(value >= required, key.clone(), || {
        format!("must be >= {required} (the longest line this node renders)")
    })?;
    ensure(value <= max, key, || format!("must be <= {MAX_MSIZE}"))
}

/// Bytes of `/proc/9p/sessions` for `shards` shards: a header plus one line per shard.
fn sessions_bytes(shards: usize) -> usize {
    let header = line(&[
        T("sessions total="),
        W(U64_DIGITS),
        T(" worker="),
        W(U64_DIGITS),
        T(" shard_bits="),
        W(U8_DIGITS),
        T(" shard_count="),
        W(3),
    ]);
    let per_shard = line(&[T("shard "), W(2), T(" "), W(U64_DIGITS)]);
    header.saturating_add(shards.saturating_mul(per_shard))
}

pub(super) fn check_observability(m: &Manifest) -> Check {
    let o = &m.observability;
    let shards = if m.sharding.enabled {
        1usize << m.sharding.shard_bits.min(8)
    } else {
        1
    };
    let p9 = &o.proc_9p;
    let key9 = |f| k(&["observability", "proc_9p", f]);
    cap(
        key9("sessions_bytes"),
        p9.sessions,
        p9.sessions_bytes,
        sessions_bytes(shards),
    )?;
    cap(
        key9("outstanding_bytes"),
        p9.outstanding,
        p9.outstanding_bytes,
        line(&[
            T("outstanding current="),
            W(U64_DIGITS),
            T(" limit="),
            W(U64_DIGITS),
        ]),
    )?;
    cap(
        key9("short_writes_bytes"),
        p9.short_writes,
        p9.short_writes_bytes,
        line(&[
            T("short_writes total="),
            W(U64_DIGITS),
            T(" retries="),
            W(U64_DIGITS),
        ]),
    )?;
    let s = &o.proc_9p_session;
    let keys = |f| k(&["observability", "proc_9p_session", f]);
    cap(
        keys("active_bytes"),
        s.active,
        s.active_bytes,
        line(&[T("active="), W(U64_DIGITS), T(" draining="), W(U64_DIGITS)]),
    )?;
    cap(
        keys("state_bytes"),
        s.state,
        s.state_bytes,
        line(&[T("state="), W(SESSION_STATE_LEN)]),
    )?;
    cap(
        keys("since_ms_bytes"),
        s.since_ms,
        s.since_ms_bytes,
        line(&[T("since_ms="), W(U64_DIGITS)]),
    )?;
    cap(
        keys("owner_bytes"),
        s.owner,
        s.owner_bytes,
        line(&[T("owner="), W(SESSION_OWNER_LEN)]),
    )?;
    check_ingest(m)?;
    let r = &o.proc_root;
    let keyr = |f| k(&["observability", "proc_root", f]);
    cap(
        keyr("reachable_bytes"),
        r.reachable,
        r.reachable_bytes,
        line(&[T("reachable=yes")]),
    )?;
    cap(
        keyr("last_seen_ms_bytes"),
        r.last_seen_ms,
        r.last_seen_ms_bytes,
        line(&[T("last_seen_ms="), W(U64_DIGITS)]),
    )?;
    cap(
        keyr("cut_reason_bytes"),
        r.cut_reason,
        r.cut_reason_bytes,
        line(&[T("cut_reason="), W(CUT_REASON_LEN)]),
    )?;
    let p = &o.proc_pressure;
    let keyp = |f| k(&["observability", "proc_pressure", f]);
    cap(
        keyp("busy_bytes"),
        p.busy,
        p.busy_bytes,
        line(&[T("busy="), W(U64_DIGITS)]),
    )?;
    cap(
        keyp("quota_bytes"),
        p.quota,
        p.quota_bytes,
        line(&[T("quota="), W(U64_DIGITS)]),
    )?;
    cap(
        keyp("cut_bytes"),
        p.cut,
        p.cut_bytes,
        line(&[T("cut="), W(U64_DIGITS)]),
    )?;
    cap(
        keyp("policy_bytes"),
        p.policy,
        p.policy_bytes,
        line(&[T("policy="), W(U64_DIGITS)]),
    )?;
    check_schedule_and_lease(m)
}

/// `/proc/schedule/*` and `/proc/lease/*` [0.9]: one line per queue entry, lease or preemption.
fn check_schedule_and_lease(m: &Manifest) -> Check {
    let s = m.observability.proc_schedule_or_default();
    let keys = |f| k(&["observability", "proc_schedule", f]);
    cap(
        keys("summary_bytes"),
        s.summary,
        s.summary_bytes,
        line(&[
            T("queue="),
            W(U64_DIGITS),
            T(" dequeued="),
            W(U64_DIGITS),
            T(" dropped="),
            W(U64_DIGITS),
            T(" max_entries="),
            W(U32_DIGITS),
        ]),
    )?;
    cap(
        keys("queue_bytes"),
        s.queue,
        s.queue_bytes,
        line(&[
            T("id="),
            W(SCHEDULE_ID_LEN),
            T(" role="),
            W(SCHEDULE_ROLE_LEN),
            T(" priority="),
            W(U32_DIGITS),
            T(" ticks="),
            W(U32_DIGITS),
            T(" budget_ms="),
            W(U32_DIGITS),
            T(" seq="),
            W(U64_DIGITS),
        ]),
    )?;
    let l = m.observability.proc_lease_or_default();
    let keyl = |f| k(&["observability", "proc_lease", f]);
    cap(
        keyl("summary_bytes"),
        l.summary,
        l.summary_bytes,
        line(&[
            T("active="),
            W(U64_DIGITS),
            T(" preemptions="),
            W(U64_DIGITS),
            T(" quotas="),
            W(U64_DIGITS),
            T(" max_active="),
            W(U32_DIGITS),
            T(" max_preemptions="),
            W(U32_DIGITS),
        ]),
    )?;
    cap(
        keyl("active_bytes"),
        l.active,
        l.active_bytes,
        line(&[
            T("id="),
            W(LEASE_ID_LEN),
            T(" subject="),
            W(LEASE_SUBJECT_LEN),
            T(" resource="),
            W(LEASE_RESOURCE_LEN),
            T(" ttl_s="),
            W(U32_DIGITS),
            T(" priority="),
            W(U32_DIGITS),
            T(" state="),
            W(LEASE_STATE_LEN),
            T(" seq="),
            W(U64_DIGITS),
        ]),
    )?;
    cap(
        keyl("preemptions_bytes"),
        l.preemptions,
        l.preemptions_bytes,
        line(&[
            T("id="),
            W(LEASE_ID_LEN),
            T(" subject="),
            W(LEASE_SUBJECT_LEN),
            T(" resource="),
            W(LEASE_RESOURCE_LEN),
            T(" reason="),
            W(LEASE_REASON_LEN),
            T(" seq="),
            W(U64_DIGITS),
        ]),
    )
}

fn check_ingest(m: &Manifest) -> Check {
    let i = &m.observability.proc_ingest;
    let key = |f| k(&["observability", "proc_ingest", f]);
    let any = i.p50_ms || i.p95_ms || i.backpressure || i.dropped || i.queued || i.watch;
    if any {
        ensure(
            (1..=64).contains(&i.latency_samples),
            key("latency_samples"),
            || "must be within 1..=64".into(),
        )?;
    }
    cap(
        key("p50_ms_bytes"),
        i.p50_ms,
        i.p50_ms_bytes,
        line(&[T("p50_ms="), W(U32_DIGITS)]),
    )?;
    cap(
        key("p95_ms_bytes"),
        i.p95_ms,
        i.p95_ms_bytes,
        line(&[T("p95_ms="), W(U32_DIGITS)]),
    )?;
    cap(
        key("backpressure_bytes"),
        i.backpressure,
        i.backpressure_bytes,
        line(&[T("backpressure="), W(U64_DIGITS)]),
    )?;
    cap(
        key("dropped_bytes"),
        i.dropped,
        i.dropped_bytes,
        line(&[T("dropped="), W(U64_DIGITS)]),
    )?;
    cap(
        key("queued_bytes"),
        i.queued,
        i.queued_bytes,
        line(&[T("queued="), W(U32_DIGITS)]),
    )?;
    if i.watch {
        let all = i.p50_ms && i.p95_ms && i.backpressure && i.dropped && i.queued;
        ensure(all, key("watch"), || {
            "needs p50_ms, p95_ms, backpressure, dropped and queued".into()
        })?;
        ensure(
            (1..=64).contains(&i.watch_max_entries),
            key("watch_max_entries"),
            || "must be within 1..=64".into(),
        )?;
        ensure(
            i.watch_min_interval_ms >= 1,
            key("watch_min_interval_ms"),
            || "must be >= 1".into(),
        )?;
        let watch = line(&[
            T("watch ts_ms="),
            W(U64_DIGITS),
            T(" p50_ms="),
            W(U32_DIGITS),
            T(" p95_ms="),
            W(U32_DIGITS),
            T(" queued="),
            W(U32_DIGITS),
            T(" backpressure="),
            W(U64_DIGITS),
            T(" dropped="),
            W(U64_DIGITS),
        ]);
        cap(key("watch_line_bytes"), true, i.watch_line_bytes, watch)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_lines() {
        assert_eq!(line(&[T("busy="), W(U64_DIGITS)]), 26);
        // 256 shards fit the shipped 8192-byte sessions cap.
        assert_eq!(sessions_bytes(256), 95 + 256 * 30);
        assert!(sessions_bytes(256) <= 8192);
    }
}
