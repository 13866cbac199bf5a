//! Floods of valid writes against every bounded collection: each stays within its bound,
//! with the real queen's overflow behaviour (evict-oldest or refusal) and a drop counter.

use super::bounds::*;
use super::*;

fn q() -> Caller {
    Caller::queen(5)
}

const NEW_SEG: &str = r#"{"new":"segment","mime":"text/plain"}"#;

#[test]
fn trace_and_log_evict_oldest() {
    let mut ns = Namespace::new(Features::shipped(), 0);
    let line = "t".repeat(120);
    for i in 0..5_000 {
        ns.append("/trace/ctl", &format!("{i:05}{line}"), &q())
            .unwrap();
        ns.append("/log/queen.log", &format!("{i:05}"), &q())
            .unwrap();
    }
    let events = ns.read("/trace/events", 0).unwrap();
    assert_eq!(events.len(), TRACE_EVENTS_MAX_LINES);
    assert!(events[0].starts_with("04936"), "{}", events[0]);
    assert_eq!(
        ns.read("/log/queen.log", 0).unwrap().len(),
        log::LOG_CAPACITY
    );
    let d = ns.drops();
    assert_eq!(d.trace_events, 5_000 - TRACE_EVENTS_MAX_LINES as u64);
    assert_eq!(d.log_lines, 5_003 - log::LOG_CAPACITY as u64);
    assert_eq!(d.refused, 0);
}

#[test]
fn oversize_lines_are_refused_everywhere() {
    let mut ns = Namespace::new(Features::full(), 0);
    let long = "x".repeat(MAX_STORED_LINE + 1);
    for path in ["/log/queen.log", "/trace/ctl", "/policy/ctl", "/queen/ctl"] {
        assert_eq!(
            ns.append(path, &long, &q()),
            Err(NsError::Limit {
                detail: "max_line_len"
            }),
            "{path}"
        );
    }
    assert_eq!(ns.drops().refused, 4);
    assert!(ns
        .append("/log/queen.log", &"y".repeat(MAX_STORED_LINE), &q())
        .is_ok());
}

#[test]
fn workers_and_binds_are_refused_when_full_like_the_root_task() {
    let mut ns = Namespace::new(Features::shipped(), 0);
    let spawn = r#"{"spawn":"heartbeat","ticks":1}"#;
    for _ in 0..MAX_WORKERS {
        ns.append("/queen/ctl", spawn, &q()).unwrap();
    }
    for _ in 0..20 {
        assert_eq!(
            ns.append("/queen/ctl", spawn, &q()),
            Err(NsError::BufferFull)
        );
    }
    assert_eq!(ns.worker_ids().len(), MAX_WORKERS);
    ns.append("/queen/ctl", r#"{"kill":"worker-3"}"#, &q())
        .unwrap();
    ns.append("/queen/ctl", spawn, &q()).unwrap();
    assert_eq!(ns.worker_ids().last().map(String::as_str), Some("worker-9"));
    // Binds and mounts share one table; re-binding a target replaces it, even when full.
    for i in 0..MAX_BINDS - 1 {
        let b = format!(r#"{{"bind":{{"from":"/queen","to":"/b/{i}"}}}}"#);
        ns.append("/queen/ctl", &b, &q()).unwrap();
    }
    let m = r#"{"mount":{"service":"logs","at":"/logs"}}"#;
    ns.append("/queen/ctl", m, &q()).unwrap();
    let extra = r#"{"bind":{"from":"/queen","to":"/b/new"}}"#;
    assert_eq!(
        ns.append("/queen/ctl", extra, &q()),
        Err(NsError::BufferFull)
    );
    let m2 = r#"{"mount":{"service":"other","at":"/elsewhere"}}"#;
    assert_eq!(ns.append("/queen/ctl", m2, &q()), Err(NsError::BufferFull));
    let rebind = r#"{"bind":{"from":"/log","to":"/b/0"}}"#;
    ns.append("/queen/ctl", rebind, &q()).unwrap();
    let remount = r#"{"mount":{"service":"trace","at":"/logs"}}"#;
    ns.append("/queen/ctl", remount, &q()).unwrap();
    assert_eq!(ns.binds().len() + ns.mounts().len(), MAX_BINDS);
    assert_eq!(ns.binds()[0], ("/log".to_string(), "/b/0".to_string()));
    assert_eq!(ns.mounts()[0].0, "trace");
    assert_eq!(ns.drops().refused, 22);
}

#[test]
fn telemetry_devices_are_capped_and_segments_evicted() {
    let mut ns = Namespace::new(Features::shipped(), 0);
    for d in 0..telemetry::MAX_DEVICES {
        ns.append(&format!("/queen/telemetry/dev-{d}/ctl"), NEW_SEG, &q())
            .unwrap();
    }
    assert_eq!(
        ns.append("/queen/telemetry/dev-new/ctl", NEW_SEG, &q()),
        Err(NsError::Limit {
            detail: "max_devices"
        })
    );
    // A refused payload never creates a device either.
    assert_eq!(
        ns.list("/queen/telemetry").unwrap().len(),
        telemetry::MAX_DEVICES
    );
    for _ in 0..10 {
        ns.append("/queen/telemetry/dev-0/ctl", NEW_SEG, &q())
            .unwrap();
    }
    assert_eq!(
        ns.list("/queen/telemetry/dev-0/seg").unwrap().len(),
        cohesix_generated::telemetry_ingest::MAX_SEGMENTS_PER_DEVICE as usize
    );
    let d = ns.drops();
    assert_eq!(d.telemetry_segments, 7);
    assert_eq!(d.refused, 1);
}

#[test]
fn status_control_spool_nodes_keep_a_window_and_count_writes() {
    let mut ns = Namespace::new(Features::full(), 0);
    for i in 0..200 {
        let crumb = format!(
            r#"{{"schema":"gpu-breadcrumb/v1","event":"EXIT","command":"job {i}","status":"FAILED","exit_code":{i}}}"#
        );
        ns.append("/gpu/GPU-0/status", &crumb, &q()).unwrap();
        ns.append("/host/k8s/node/node-1/cordon", &format!("c{i}"), &q())
            .unwrap();
        let spec = format!(
            r#"{{"schema":"host-ticket/v1","id":"t{i}","idempotency_key":"k{i}","action":"k8s.drain"}}"#
        );
        ns.append("/host/tickets/spec", &spec, &q()).unwrap();
        ns.append("/bus/modbus-main/telemetry", &format!("s{i}"), &q())
            .unwrap();
        ns.append("/bus/modbus-main/link", "up", &q()).unwrap();
    }
    assert_eq!(
        ns.read("/gpu/GPU-0/status", 0).unwrap().len(),
        GPU_STATUS_MAX_LINES
    );
    let tickets = ns.read("/host/tickets/spec.snapshot", 0).unwrap();
    assert_eq!(tickets.len(), HOST_CONTROL_MAX_LINES);
    assert!(tickets[0].contains("\"t136\""), "{}", tickets[0]);
    assert_eq!(
        ns.read("/bus/modbus-main/spool", 0).unwrap(),
        vec![format!("entries={SPOOL_MAX_ENTRIES}")]
    );
    assert_eq!(
        ns.read("/bus/modbus-main/link", 0).unwrap(),
        vec!["link=up writes=200"]
    );
    let d = ns.drops();
    assert_eq!(d.gpu_status_lines, 200 - GPU_STATUS_MAX_LINES as u64);
    assert_eq!(
        d.host_control_lines,
        2 * (200 - HOST_CONTROL_MAX_LINES as u64)
    );
    assert_eq!(d.spool_entries, 200 - SPOOL_MAX_ENTRIES as u64);
    // systemd restarts count every write, not the kept window (shipped: no policy gate).
    let mut shipped = Namespace::new(Features::shipped(), 0);
    for _ in 0..100 {
        shipped
            .append("/host/systemd/cohesix-agent.service/restart", "r", &q())
            .unwrap();
    }
    assert!(shipped
        .read("/host/systemd/cohesix-agent.service/status", 0)
        .unwrap()[0]
        .ends_with("restarts=100"));
}

#[test]
fn tail_cursors_per_session_are_bounded() {
    let mut ns = Namespace::new(Features::shipped(), 0);
    let mut cur = Cursors::default();
    for n in 1..=200 {
        ns.append("/queen/ctl", r#"{"spawn":"heartbeat","ticks":1}"#, &q())
            .unwrap();
        let id = format!("worker-{n}");
        ns.append(&format!("/worker/{id}/telemetry"), "x", &q())
            .unwrap();
        assert_eq!(
            ns.tail(&format!("/worker/{id}/telemetry"), &mut cur, 0)
                .unwrap(),
            vec!["x"]
        );
        ns.append("/queen/ctl", &format!(r#"{{"kill":"{id}"}}"#), &q())
            .unwrap();
    }
    assert_eq!(cur.len(), CURSORS_MAX_ENTRIES);
    assert_eq!(cur.evicted(), 200 - CURSORS_MAX_ENTRIES as u64);
    // The log cursor, set first, was forgotten: the next TAIL starts from the window again.
    assert!(!ns.tail("/log/queen.log", &mut cur, 0).unwrap().is_empty());
}

#[test]
fn worker_ring_overwrites_are_counted() {
    let mut ns = Namespace::new(Features::shipped(), 0);
    ns.append("/queen/ctl", r#"{"spawn":"heartbeat","ticks":1}"#, &q())
        .unwrap();
    for _ in 0..100 {
        ns.append("/worker/worker-1/telemetry", &"w".repeat(99), &q())
            .unwrap();
    }
    let per_ring = RING_BYTES_PER_WORKER / 100;
    assert_eq!(ns.drops().ring_lines, 100 - per_ring as u64);
}

#[test]
fn proc_nodes_fit_their_manifest_bounds() {
    use cohesix_generated::observability::{
        proc_9p_session as s, proc_ingest as i, proc_pressure as p, proc_root as r,
    };
    let ns = Namespace::new(Features::full(), 7);
    for (path, max) in [
        ("/proc/9p/session/active", s::ACTIVE_BYTES),
        ("/proc/ingest/p50_ms", i::P50_MS_BYTES),
        ("/proc/ingest/p95_ms", i::P95_MS_BYTES),
        ("/proc/ingest/backpressure", i::BACKPRESSURE_BYTES),
        ("/proc/ingest/queued", i::QUEUED_BYTES),
        ("/proc/root/reachable", r::REACHABLE_BYTES),
        ("/proc/root/last_seen_ms", r::LAST_SEEN_MS_BYTES),
        ("/proc/root/cut_reason", r::CUT_REASON_BYTES),
        ("/proc/pressure/busy", p::BUSY_BYTES),
        ("/proc/pressure/quota", p::QUOTA_BYTES),
        ("/proc/pressure/cut", p::CUT_BYTES),
        ("/proc/pressure/policy", p::POLICY_BYTES),
    ] {
        let lines = ns.read(path, u64::MAX).unwrap();
        let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
        assert!(!lines.is_empty() && bytes <= max, "{path}: {lines:?}");
    }
}
