//! Evidence packs of a queen after a fixed scenario (`evidence_support::scenario`): golden
//! files of the mock's pack, the same files from `coh-queen` over TCP, redaction, the
//! shipped (real-queen-shaped) profile, re-packing into a used directory.
//!
//! Goldens live in `fixtures/evidence/mock-pack/`; `COHESIX_BLESS=1` rewrites them. The
//! simulators run on a fixed clock (`SimConfig::mock` has a `ManualClock` at 0) and the
//! evidence code reads no clock, so the bytes are the same on every run.

mod evidence_support;

use std::path::PathBuf;

use cohesix::auth::Secret;
use cohesix::backend::{AnyBackend, MockBackend, MockOptions, TcpBackend, TcpOptions};
use cohesix::evidence::{self, ci, siem, timeline, PackOptions, PackReport, Status};
use cohesix::sim::{AuthToken, Features, SimConfig, Simulator};
use cohesix::Audit;
use evidence_support::*;

async fn mock_pack(tag: &str) -> (PathBuf, PackReport, Audit) {
    let m = mock();
    let main = AnyBackend::from(m.clone());
    scenario(m.core(), &main, || mock_ticketed(&m)).await;
    let dir = tempdir(tag);
    let audit = Audit::new();
    let report = evidence::pack(&main, &PackOptions::new(&dir).with_telemetry(true), &audit)
        .await
        .unwrap();
    (dir, report, audit)
}

fn status_of(r: &PackReport, saved: &str) -> Status {
    r.summary
        .items
        .iter()
        .find(|i| i.saved_as == saved)
        .unwrap_or_else(|| panic!("no item {saved}"))
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_pack_of_the_mock_after_the_scenario() {
    let (dir, report, audit) = mock_pack("golden").await;
    for (name, rel) in [
        ("mock-pack/meta.json", "meta.json"),
        ("mock-pack/summary.json", "summary.json"),
        ("mock-pack/bounds.json", "bounds.json"),
        ("mock-pack/audit-journal", "audit/journal"),
    ] {
        golden(name, &std::fs::read(dir.join(rel)).unwrap());
    }
    let t = timeline::write(&dir).unwrap();
    golden(
        "mock-pack/timeline.ndjson",
        &std::fs::read(dir.join("timeline.ndjson")).unwrap(),
    );
    golden(
        "mock-pack/timeline.md",
        &std::fs::read(dir.join("timeline.md")).unwrap(),
    );
    let s = siem::export(&dir).unwrap();
    golden("mock-pack/siem.ndjson", s.to_ndjson().as_bytes());
    let c = ci::check(&dir, "PACK");
    golden(
        "mock-pack/ci-summary.json",
        format!("{}\n", c.to_json()).as_bytes(),
    );
    golden(
        "mock-pack/summary.md",
        evidence::markdown::report(&dir, "PACK", 5).as_bytes(),
    );

    // What the goldens hold, stated independently of them.
    assert_eq!(report.bounds_source, evidence::BoundsSource::Local);
    assert_eq!(
        report.meta.manifest_sha256,
        cohesix_generated::MANIFEST_SHA256
    );
    assert_eq!(report.meta.policy_sha256, cohesix_generated::POLICY_SHA256);
    assert_eq!(status_of(&report, "proc/boot"), Status::Missing);
    for rel in [
        "audit/journal",
        "audit/decisions",
        "host/tickets/spec",
        "replay/status",
        "proc/lease/active",
    ] {
        assert_eq!(status_of(&report, rel), Status::Captured, "{rel}");
    }
    let tel = report.telemetry.unwrap();
    assert_eq!((tel.devices, tel.segments), (2, 2), "{tel:?}");
    assert!(c.ok(), "{}", c.to_json());
    assert!(
        c.manifest.has_target(),
        "the log's boot line states the hash"
    );
    let kinds: Vec<&str> = t.events.iter().map(|e| e.kind.as_str()).collect();
    for k in [
        "policy-gate",
        "queen-ctl",
        "lease.active",
        "host-ticket.spec",
        "host-ticket.status",
        "host-ticket.deadletter",
    ] {
        assert!(kinds.contains(&k), "{k} not in {kinds:?}");
    }
    // Sorted by seq, absent last.
    let seqs: Vec<u64> = t.events.iter().map(|e| e.seq.unwrap_or(u64::MAX)).collect();
    assert!(seqs.windows(2).all(|w| w[0] <= w[1]), "{seqs:?}");
    // The ticketed session's write is in the journal, its ticket hashed.
    let ticket = queen_ticket();
    let hashed: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| e.ticket.as_deref())
        .filter(|t| t.starts_with("sha256:"))
        .collect();
    assert_eq!(hashed.len(), 1, "{hashed:?}");
    let lines = audit.lines();
    assert!(
        lines.contains(&"OK CAT path=/audit/journal".to_owned()),
        "{lines:?}"
    );
    assert_eq!(
        lines.last().unwrap(),
        &format!(
            "evidence pack saved={} captured=15 missing=1 errors=0",
            dir.display()
        )
    );
    assert!(lines
        .iter()
        .any(|l| l.starts_with("evidence telemetry devices=2 segments=2 bytes=")));
    // No secret reached any file of the pack.
    let mac = ticket.rsplit('.').next().unwrap();
    for (rel, bytes) in tree(&dir) {
        let text = String::from_utf8_lossy(&bytes);
        for secret in SECRET_VALUES
            .iter()
            .chain([&ticket.as_str(), &mac, &"cohesix-ticket-"])
        {
            assert!(!text.contains(secret), "{rel} holds {secret}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coh_queen_over_tcp_and_the_mock_give_the_same_files() {
    let mut cfg = SimConfig::mock(false);
    cfg.token = AuthToken::new(TOKEN);
    let sim = Simulator::spawn(cfg).await.unwrap();
    let addr = sim.local_addr();
    let options = TcpOptions::new(addr.ip().to_string(), addr.port(), Secret::new(TOKEN));
    let main = AnyBackend::from(TcpBackend::connect(&options).unwrap());
    let ticketed = options.clone().ticket(Some(Secret::new(queen_ticket())));
    scenario(sim.core(), &main, || {
        AnyBackend::from(TcpBackend::connect(&ticketed).unwrap())
    })
    .await;
    let over_tcp = tempdir("tcp");
    evidence::pack(
        &main,
        &PackOptions::new(&over_tcp).with_telemetry(true),
        &Audit::new(),
    )
    .await
    .unwrap();
    timeline::write(&over_tcp).unwrap();
    sim.shutdown().await;

    let (on_mock, _, _) = mock_pack("tcp-mock").await;
    timeline::write(&on_mock).unwrap();
    let (a, b) = (tree(&over_tcp), tree(&on_mock));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b));
    assert!(a.len() >= 18, "{:?}", names(&a));
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(
            x == y,
            "{name} differs:\n--- tcp\n{}\n--- mock\n{}",
            String::from_utf8_lossy(x),
            String::from_utf8_lossy(y)
        );
    }
    assert_eq!(
        siem::export(&over_tcp).unwrap(),
        siem::export(&on_mock).unwrap()
    );
    let _ = std::fs::remove_dir_all(&over_tcp);
    let _ = std::fs::remove_dir_all(&on_mock);
}

#[tokio::test]
async fn the_shipped_profile_packs_with_its_absent_nodes_missing() {
    // The real 0.3 queen's surface: no /proc/boot, no control plane, no audit, no host
    // tickets, no replay — all `invalid-path` on the wire.
    let m = MockBackend::new(&MockOptions::new().root(None).features(Features::shipped())).unwrap();
    let dir = tempdir("shipped");
    let r = evidence::pack(
        &m,
        &PackOptions::new(&dir).with_telemetry(true),
        &Audit::new(),
    )
    .await
    .unwrap();
    let s = &r.summary;
    assert_eq!(s.errors(), 0, "{:#?}", s.items);
    assert_eq!(status_of(&r, "log/queen.log"), Status::Captured);
    for rel in [
        "proc/boot",
        "proc/schedule/summary",
        "proc/schedule/queue",
        "proc/lease/summary",
        "proc/lease/active",
        "proc/lease/preemptions",
        "audit/export",
        "host/tickets/spec",
        "host/tickets/status",
        "host/tickets/deadletter",
        "replay/status",
    ] {
        assert_eq!(status_of(&r, rel), Status::Missing, "{rel}");
        let item = s.items.iter().find(|i| i.saved_as == rel).unwrap();
        assert_eq!(
            (item.verb.as_str(), item.detail.as_deref()),
            ("CAT", Some("not-found"))
        );
        assert!(!dir.join(rel).exists(), "{rel}");
    }
    // Host ticket items keep the node's own path when both views are absent.
    assert!(s.items.iter().any(|i| i.path == "/host/tickets/spec"));
    assert!(dir.join("summary.json").is_file());
    // The bounds advertise the /proc nodes, so CI says what the target lacks; no audit
    // rule fires (no export), the manifest check still passes.
    let c = ci::check(&dir, "shipped");
    assert!(!c.ok());
    assert_eq!(
        c.missing,
        [
            "proc/schedule/summary",
            "proc/schedule/queue",
            "proc/lease/summary",
            "proc/lease/active",
            "proc/lease/preemptions"
        ]
    );
    assert!(c.manifest.ok());
    let t = timeline::write(&dir).unwrap();
    assert!(t.events.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repacking_a_used_directory_leaves_no_stale_capture() {
    let (dir, _, _) = mock_pack("repack").await;
    assert!(dir.join("audit/journal").is_file());
    let shipped =
        MockBackend::new(&MockOptions::new().root(None).features(Features::shipped())).unwrap();
    evidence::pack(&shipped, &PackOptions::new(&dir), &Audit::new())
        .await
        .unwrap();
    for rel in [
        "audit/journal",
        "audit/export",
        "proc/lease/active",
        "host/tickets/spec",
    ] {
        assert!(!dir.join(rel).exists(), "stale {rel}");
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("meta.json")).unwrap()).unwrap();
    assert_eq!(meta["with_telemetry"], false);
    let _ = std::fs::remove_dir_all(&dir);
}
