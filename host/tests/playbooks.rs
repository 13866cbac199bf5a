//! The nine playbooks: dry runs on the mock, live runs on the mock and over TCP against the
//! simulator with the same control lines, reruns, byte-exact reports, the loader's errors.

use std::sync::Arc;

use cohesix::auth::Secret;
use cohesix::backend::{AnyBackend, MockBackend, MockOptions, TcpBackend, TcpOptions};
use cohesix::playbook::{built_in, run_playbook, HostInput, Playbook, RunId, RunOptions, Silent};
use cohesix::Orchestrator;
use cohesix_probes::{HostSnapshot, ProbeResult, ProbeStatus};
use cohesix_sim::{AuthToken, SimConfig, Simulator};

fn books() -> Vec<Playbook> {
    built_in()
        .unwrap()
        .into_iter()
        .map(|e| e.playbook)
        .collect()
}

fn mock() -> MockBackend {
    MockBackend::new(&MockOptions::new().root(None)).unwrap()
}

/// A fixed host snapshot (for byte-exact reports).
fn fixed_snapshot() -> Arc<HostSnapshot> {
    let mut s = HostSnapshot::new("2026-02-14T00:00:00.000000+00:00".to_owned());
    s.results.insert(
        "systemd".into(),
        ProbeResult {
            provider: "systemd".into(),
            status: ProbeStatus::Ok,
            data: serde_json::json!({"services": {"cohesix-agent.service": {"active": "active", "status": "ok", "sub": "running", "unit_file": "enabled"}}}),
            error: None,
        },
    );
    Arc::new(s)
}

/// The control lines a plan writes, as `path payload`.
fn lines_of(r: &cohesix::playbook::PlaybookReport) -> Vec<String> {
    r.plan_execution
        .writes()
        .iter()
        .map(|w| format!("{} {}", w.path, w.payload))
        .collect()
}

#[tokio::test]
async fn the_catalogue_has_the_nine_playbooks_with_their_plan_counts() {
    let got: Vec<(String, [usize; 4])> =
        books().iter().map(|b| (b.id.clone(), b.counts())).collect();
    let want = [
        ("jetson-critical-infra", [3, 1, 1, 1]),
        ("jetson-manufacturing-safety", [3, 1, 2, 0]),
        ("jetson-traffic-safety", [3, 1, 1, 0]),
        ("mac-endpoint-compliance", [3, 1, 1, 0]),
        ("mac-private-peft-grid", [3, 1, 1, 1]),
        ("mac-release-factory", [3, 2, 0, 0]),
        ("mixed-closed-loop-ai-factory", [3, 2, 1, 1]),
        ("mixed-logistics-digital-twin", [3, 2, 2, 0]),
        ("mixed-medical-edge-ai", [3, 1, 2, 1]),
    ];
    assert_eq!(got.len(), 9);
    for ((id, counts), (wid, wcounts)) in got.iter().zip(want) {
        assert_eq!((id.as_str(), *counts), (wid, wcounts));
    }
}

#[tokio::test]
async fn dry_runs_write_nothing_and_need_no_backend() {
    for book in books() {
        let r = run_playbook::<AnyBackend>(
            None,
            &book,
            &RunOptions::new().dry_run(true),
            HostInput::Given(fixed_snapshot()),
            &Silent,
        )
        .await;
        assert!(
            r.dry_run && r.run_id.is_none() && r.failure.is_none(),
            "{}",
            book.id
        );
        assert!(r.plan_execution.writes().is_empty());
        assert_eq!(
            r.plan_execution.planned.len(),
            book.counts().iter().sum::<usize>()
        );
        assert!(r.proc_snapshot.is_none() && r.telemetry_push.is_none());
        assert!(r.audit.is_empty());
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["proc_snapshot"]["schedule_queue"], serde_json::json!([]));
        assert_eq!(v["run_id"], serde_json::Value::Null);
        assert!(v["host_snapshot"]["results"]["systemd"].is_object());
    }
}

async fn live(
    orch: &Orchestrator,
    book: &Playbook,
    run_id: &str,
) -> cohesix::playbook::PlaybookReport {
    let mut o = RunOptions::new();
    o.run_id = Some(RunId::parse(run_id).unwrap());
    run_playbook(
        Some(orch),
        book,
        &o,
        HostInput::Given(fixed_snapshot()),
        &Silent,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_runs_on_the_mock_and_over_tcp_write_the_same_lines() {
    let mut cfg = SimConfig::mock(false);
    cfg.token = AuthToken::new("playbook-token");
    let sim = Simulator::spawn(cfg).await.unwrap();
    for (i, book) in books().iter().enumerate() {
        // One run id per playbook: the approvals of every playbook share their ids, and the
        // simulator is shared.
        let rid = format!("a1b2c3d{i}");
        let m = mock();
        let on_mock = Orchestrator::new(AnyBackend::from(m.clone()));
        let a = live(&on_mock, book, &rid).await;
        assert!(a.failure.is_none(), "{}: {:?}", book.id, a.failure);
        let addr = sim.local_addr();
        let tcp = TcpBackend::connect(&TcpOptions::new(
            addr.ip().to_string(),
            addr.port(),
            Secret::new("playbook-token"),
        ))
        .unwrap();
        let over_tcp = Orchestrator::new(AnyBackend::from(tcp));
        let b = live(&over_tcp, book, &rid).await;
        let _ = over_tcp.close().await;
        assert!(b.failure.is_none(), "{} over tcp: {:?}", book.id, b.failure);
        assert_eq!(lines_of(&a), lines_of(&b), "{}", book.id);
        // Every written id carries the run id and fits the target's 32 bytes.
        for w in a.plan_execution.writes() {
            let v: serde_json::Value = serde_json::from_str(&w.payload).unwrap();
            if let Some(id) = v.get("id").and_then(|i| i.as_str()) {
                assert!(id.ends_with(&format!("-{rid}")) && id.len() <= 32, "{id}");
            }
        }
        // The typed /proc snapshot reflects the writes.
        let p = a.proc_snapshot.as_ref().unwrap();
        assert_eq!(p.schedule_queue.len(), book.schedule.len(), "{}", book.id);
        let grants = book.leases.iter().filter(|l| l.op == "grant").count();
        let preempts = book.leases.iter().filter(|l| l.op == "preempt").count();
        assert_eq!(p.lease_active.len(), grants - preempts, "{}", book.id);
        assert_eq!(p.lease_preemptions.len(), preempts, "{}", book.id);
        // The host snapshot went out as telemetry, in records of at most 128 bytes.
        let t = a.telemetry_push.as_ref().unwrap();
        assert_eq!(t.device_id, book.telemetry_device_id);
        assert!(t.records > 0);
        let seg = format!("/queen/telemetry/{}/seg/{}", t.device_id, t.seg_id);
        let pushed: Vec<&String> = a.audit.iter().filter(|l| l.contains(&seg)).collect();
        assert_eq!(pushed.len(), t.records);
        for l in pushed {
            let n: usize = l.rsplit("bytes=").next().unwrap().parse().unwrap();
            assert!(n <= 128, "{l}");
        }
        // The approvals are queued, as the target reports them. (The 0.9 rule set gates only
        // /queen/ctl and systemd restarts; an approval is consumed by the first gated write
        // to its target, and a playbook writes none.)
        for ap in &book.approvals {
            let status = format!("/actions/{}-{rid}/status", ap.id);
            let text = cohesix::Backend::read(&m, &status, 512).await.unwrap();
            let text = String::from_utf8_lossy(&text);
            assert!(text.contains("queued"), "{status}: {text}");
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn two_live_runs_against_one_queen_both_succeed() {
    let m = mock();
    let orch = Orchestrator::new(AnyBackend::from(m));
    let book = books().remove(6);
    let first = live(&orch, &book, "00000001").await;
    let second = live(&orch, &book, "00000002").await;
    assert!(
        first.failure.is_none() && second.failure.is_none(),
        "{:?}",
        second.failure
    );
    // The same run id twice is refused by the queen (duplicate ids), and accounted for.
    let replay = live(&orch, &book, "00000001").await;
    let f = replay.failure.expect("a replayed run id is refused");
    assert_eq!(f.step, "approvals");
    assert!(
        f.lines.iter().any(|l| l.outcome.label() == "refused"),
        "{:?}",
        f.lines
    );
    assert!(f
        .lines
        .iter()
        .skip(1)
        .all(|l| l.outcome.label() != "committed"));
}

#[tokio::test]
async fn the_report_is_byte_exact_for_a_fixed_clock_and_run_id() {
    let orch = Orchestrator::new(AnyBackend::from(mock()));
    let book = books()
        .into_iter()
        .find(|b| b.id == "mac-release-factory")
        .unwrap();
    let mut o = RunOptions::new();
    o.run_id = Some(RunId::parse("feedbeef").unwrap());
    o.push_host_snapshot = false;
    let r = run_playbook(
        Some(&orch),
        &book,
        &o,
        HostInput::Given(fixed_snapshot()),
        &Silent,
    )
    .await;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/playbooks");
    if std::env::var_os("COHESIX_BLESS").is_some() {
        std::fs::write(
            format!("{dir}/mac-release-factory.report.json"),
            r.to_json(),
        )
        .unwrap();
        std::fs::write(
            format!("{dir}/mac-release-factory.audit.txt"),
            r.audit_text(),
        )
        .unwrap();
    }
    let golden = std::fs::read_to_string(format!("{dir}/mac-release-factory.report.json")).unwrap();
    assert_eq!(r.to_json(), golden);
    let audit = std::fs::read_to_string(format!("{dir}/mac-release-factory.audit.txt")).unwrap();
    assert_eq!(r.audit_text(), audit);
}

#[test]
fn bad_playbooks_are_refused_with_their_line() {
    let base = books().remove(0);
    let text = cohesix::playbook::catalogue::BUILT_IN[0].1;
    let bad = text.replacen("priority = 9", "priority = 0", 1);
    let e = Playbook::parse(&bad, "bad.toml").unwrap_err().to_string();
    assert!(
        e.starts_with("bad.toml:") && e.contains("schedule[0]: priority must be > 0"),
        "{e}"
    );
    let bad = text.replacen("id = \"jetson-infra-scan\"", "id = \"scan with spaces\"", 1);
    let e = Playbook::parse(&bad, "b.toml").unwrap_err().to_string();
    assert!(e.contains("must use ASCII token characters"), "{e}");
    let bad = format!("{text}\nextra_key = 1\n");
    assert!(Playbook::parse(&bad, "c.toml").is_err());
    let bad = text.replacen(&format!("id = \"{}\"", base.id), "id = \"../x\"", 1);
    let e = Playbook::parse(&bad, "d.toml").unwrap_err().to_string();
    assert!(e.starts_with("d.toml:4:"), "{e}");
    let long = text.replacen(
        "id = \"jetson-infra-lease\"",
        "id = \"a-lease-id-that-is-much-longer-than-32\"",
        1,
    );
    let e = Playbook::parse(&long, "e.toml").unwrap_err().to_string();
    assert!(e.contains("exceeds 32 bytes"), "{e}");
}
