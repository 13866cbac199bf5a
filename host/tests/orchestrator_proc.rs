//! `read_proc_snapshot`: typed entries from the core's `/proc` line types, on a fresh mock
//! (upstream's mock had no `/proc`), over TCP, on a mount, and against lines shaped like a
//! real target's (extra keys, spacing, `u32` priorities); the 0.3 queen (no control plane)
//! refuses the nodes and the error propagates.

mod orchestrator_support;

use cohesix::backend::{FilesystemBackend, TcpBackend, TcpOptions};
use cohesix::orchestrator::{ProcRaw, ProcSnapshot};
use cohesix::sim::namespace::Features;
use cohesix::sim::{AuthToken, SimConfig, Simulator};
use cohesix::{Error, ErrorKind, LeaseRequest, Orchestrator, ScheduleRequest};
use cohesix_core::control::{LeaseSummary, ScheduleSummary};
use orchestrator_support::{mock, tempdir};

#[tokio::test]
async fn a_fresh_mock_has_proc_and_the_snapshot_is_typed() {
    let orch = Orchestrator::new(mock());
    let snap = orch.read_proc_snapshot().await.unwrap();
    assert_eq!(
        snap.schedule_summary,
        Some(ScheduleSummary {
            queue: 0,
            dequeued: 0,
            dropped: 0,
            max_entries: 256
        })
    );
    assert_eq!(
        snap.lease_summary,
        Some(LeaseSummary {
            active: 0,
            preemptions: 0,
            quotas: 0,
            max_active: 256,
            max_preemptions: 256
        })
    );
    assert!(snap.schedule_queue.is_empty() && snap.lease_active.is_empty());
    assert!(snap.lease_preemptions.is_empty());
    assert_eq!(
        snap.raw.schedule_summary,
        "queue=0 dequeued=0 dropped=0 max_entries=256"
    );
    assert_eq!(
        orch.audit().lines(),
        [
            "OK CAT path=/proc/schedule/summary",
            "OK CAT path=/proc/schedule/queue",
            "OK CAT path=/proc/lease/summary",
            "OK CAT path=/proc/lease/active",
            "OK CAT path=/proc/lease/preemptions",
        ]
    );
}

async fn drive<B: cohesix::Backend>(orch: &Orchestrator<B>) -> ProcSnapshot {
    orch.enqueue_schedule(&[
        ScheduleRequest::new("s-1", "worker-gpu")
            .priority(6)
            .ticks(6)
            .budget_ms(180),
        ScheduleRequest::new("s-2", "worker-lora")
            .priority(1)
            .ticks(2)
            .budget_ms(20),
    ])
    .await
    .unwrap();
    orch.apply_leases(&[
        LeaseRequest::grant("l-1", "queen", "gpu0", 300).priority(6),
        LeaseRequest::grant("l-2", "queen", "gpu1", 60),
        LeaseRequest::preempt("l-2", "maintenance"),
        LeaseRequest::quota("queen", "gpu0", 4, 8),
    ])
    .await
    .unwrap();
    orch.read_proc_snapshot().await.unwrap()
}

#[tokio::test]
async fn snapshots_follow_writes_the_same_on_mock_and_tcp() {
    let on_mock = drive(&Orchestrator::new(mock())).await;
    let mut config = SimConfig::loopback();
    config.token = AuthToken::new("proc-token");
    config.clock = std::sync::Arc::new(cohesix::sim::ManualClock::new(0));
    let sim = Simulator::spawn(config).await.unwrap();
    let addr = sim.local_addr();
    let opts = TcpOptions::new(
        addr.ip().to_string(),
        addr.port(),
        cohesix::auth::Secret::new("proc-token"),
    );
    let orch = Orchestrator::new(TcpBackend::connect(&opts).unwrap());
    let on_tcp = drive(&orch).await;
    orch.close().await.unwrap();
    sim.shutdown().await;
    assert_eq!(on_mock, on_tcp);

    let s = &on_mock;
    assert_eq!(s.schedule_summary.unwrap().queue, 2);
    assert_eq!(s.schedule_queue.len(), 2);
    assert_eq!(
        (
            s.schedule_queue[0].id.as_str(),
            s.schedule_queue[0].budget_ms
        ),
        ("s-1", 180)
    );
    assert_eq!(s.schedule_queue[1].role, "worker-lora");
    assert_eq!(s.lease_active.len(), 1);
    let l = &s.lease_active[0];
    assert_eq!(
        (
            l.id.as_str(),
            l.resource.as_str(),
            l.ttl_s,
            l.priority,
            l.state.as_str()
        ),
        ("l-1", "gpu0", 300, 6, "ACTIVE")
    );
    assert_eq!(s.lease_preemptions.len(), 1);
    assert_eq!(s.lease_preemptions[0].reason, "maintenance");
    let sum = s.lease_summary.unwrap();
    assert_eq!((sum.active, sum.preemptions, sum.quotas), (1, 1, 1));
    // The core's renderer gives back the target's line.
    assert_eq!(l.as_core().to_string(), s.raw.lease_active[0]);
    assert_eq!(
        s.schedule_queue[1].as_core().to_string(),
        s.raw.schedule_queue[1]
    );
    assert_eq!(
        s.lease_preemptions[0].as_core().to_string(),
        s.raw.lease_preemptions[0]
    );
}

#[test]
fn target_shaped_lines_parse_and_bad_ones_name_their_node() {
    // Spacing, unknown keys (newer targets) and u32 priorities above 255 are fine.
    let raw = ProcRaw {
        schedule_summary: "queue=1  dequeued=4 dropped=0 max_entries=256 ts_ms=99".into(),
        schedule_queue: vec![
            "id=sched-edge-1\trole=worker-gpu priority=6 ticks=6 budget_ms=180 seq=7".into(),
        ],
        lease_summary: "active=1 preemptions=0 quotas=0 max_active=256 max_preemptions=256"
            .into(),
        lease_active: vec![
            "id=lease-edge-1 subject=queen resource=gpu0 ttl_s=300 priority=300 state=ACTIVE seq=9 expires_ms=1"
                .into(),
        ],
        lease_preemptions: vec![],
    };
    let snap = ProcSnapshot::from_raw(raw.clone()).unwrap();
    assert_eq!(snap.schedule_summary.unwrap().dequeued, 4);
    assert_eq!(snap.schedule_queue[0].seq, 7);
    assert_eq!(snap.lease_active[0].priority, 300);
    assert_eq!(snap.raw, raw);

    let mut bad = raw.clone();
    bad.lease_active = vec!["id=l-1 subject=queen resource=gpu0 ttl_s=1 priority=1 seq=1".into()];
    let e = ProcSnapshot::from_raw(bad).unwrap_err();
    assert!(matches!(e, Error::ProcLine { ref path, .. } if path == "/proc/lease/active"));
    assert_eq!(
        e.to_string(),
        "/proc/lease/active: cannot parse \"id=l-1 subject=queen resource=gpu0 ttl_s=1 priority=1 seq=1\": /proc line lacks state="
    );
    assert_eq!(e.kind(), ErrorKind::Peer);
    let mut bad = raw;
    bad.schedule_summary = "queue=-1 dequeued=0 dropped=0 max_entries=256".into();
    assert_eq!(
        ProcSnapshot::from_raw(bad).unwrap_err().to_string(),
        "/proc/schedule/summary: cannot parse \"queue=-1 dequeued=0 dropped=0 max_entries=256\": /proc value of queue= is invalid"
    );
}

#[tokio::test]
async fn a_mount_gives_the_same_snapshot_and_blank_lines_are_dropped() {
    let dir = tempdir();
    let proc = dir.path().join("proc");
    std::fs::create_dir_all(proc.join("schedule")).unwrap();
    std::fs::create_dir_all(proc.join("lease")).unwrap();
    std::fs::write(
        proc.join("schedule/summary"),
        "\nqueue=0 dequeued=0 dropped=0 max_entries=256\n",
    )
    .unwrap();
    std::fs::write(proc.join("schedule/queue"), "").unwrap();
    std::fs::write(
        proc.join("lease/summary"),
        "active=0 preemptions=1 quotas=0 max_active=256 max_preemptions=256\n",
    )
    .unwrap();
    std::fs::write(proc.join("lease/active"), "\n\n").unwrap();
    std::fs::write(
        proc.join("lease/preemptions"),
        "  id=l-2 subject=queen resource=gpu1 reason=maintenance seq=3  \n",
    )
    .unwrap();
    let orch = Orchestrator::new(FilesystemBackend::new(dir.path()).unwrap());
    let snap = orch.read_proc_snapshot().await.unwrap();
    assert_eq!(snap.lease_preemptions[0].id, "l-2");
    assert_eq!(
        snap.raw.lease_preemptions,
        ["id=l-2 subject=queen resource=gpu1 reason=maintenance seq=3"]
    );
    assert!(snap.lease_active.is_empty());
    // A node over its manifest bound is an error, never truncated.
    std::fs::write(proc.join("lease/active"), "x".repeat(300)).unwrap();
    let e = orch.read_proc_snapshot().await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "read /proc/lease/active exceeds max bytes 256"
    );
}

#[tokio::test]
async fn the_shipped_queen_has_no_control_plane_and_the_error_propagates() {
    let mut config = SimConfig::loopback();
    config.token = AuthToken::new("shipped-token");
    config.features = Features::shipped();
    let sim = Simulator::spawn(config).await.unwrap();
    let addr = sim.local_addr();
    let opts = TcpOptions::new(
        addr.ip().to_string(),
        addr.port(),
        cohesix::auth::Secret::new("shipped-token"),
    );
    let orch = Orchestrator::new(TcpBackend::connect(&opts).unwrap());
    let e = orch.read_proc_snapshot().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Refused);
    assert!(e.is_missing(), "{e}");
    assert!(
        e.to_string().starts_with(
            "CAT failed: ERR CAT reason=policy detail=invalid-path path=/proc/schedule/summary"
        ),
        "{e}"
    );
    assert!(orch.audit().is_empty());
    orch.close().await.unwrap();
    sim.shutdown().await;
}
