//! Test support for the evidence tests: one fixed scenario played against a queen (the
//! in-process mock, `coh-queen` over TCP, or a hive-gateway in front of one — the gateway's
//! `tests/evidence_rest.rs` includes this file), so packs of each can be compared byte for
//! byte and with the golden files under `fixtures/evidence/`.
//!
//! The scenario: the `jetson-critical-infra` playbook (run id `a1b2c3d0`, a fixed host
//! snapshot pushed as telemetry), an approval and the gated `/queen/ctl` spawn it allows,
//! a denied `/queen/ctl` spawn, two host tickets with a receipt and a dead letter, operator
//! journal notes carrying secret-named keys and a raw ticket, and a control write by a
//! session attached **with a ticket** (the journal records it).
#![allow(dead_code, missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cohesix::backend::{AnyBackend, Backend, BackendKind, MockBackend, MockOptions, TcpBackend};
use cohesix::playbook::{built_in, run_playbook, HostInput, RunId, RunOptions, Silent};
use cohesix::{ApprovalRequest, HostTicket, Orchestrator};
use cohesix_core::role::Role;
use cohesix_core::ticket::{self, Claims, TicketKey, MAX_TICKET_LEN};
use cohesix_probes::{HostSnapshot, ProbeResult, ProbeStatus};
use cohesix_sim::SimCore;
use cohesix_tokio::ClientConfig;

/// Console token of the TCP simulators.
pub const TOKEN: &str = "evidence-test-token";
/// Values of secret-named keys in the operator notes: none may reach a pack.
pub const SECRET_VALUES: [&str; 4] = ["tok-6c1f0e", "pw-93d2aa", "ak-51be07", "bearer-77aa0c"];

/// A queen ticket minted under the shipped queen secret (the simulator's table).
pub fn queen_ticket() -> String {
    let secret = cohesix_generated::TICKETS
        .iter()
        .find(|(r, _)| *r == "queen")
        .map(|(_, s)| *s)
        .unwrap();
    let key = TicketKey::from_secret(secret.as_bytes());
    let claims = Claims::for_role(Role::Queen, Some("auditor"), 1_700_000_000_000).unwrap();
    let mut out = [0u8; MAX_TICKET_LEN];
    ticket::mint(&claims, &key, &mut out).unwrap().to_owned()
}

/// A fixed host snapshot (the playbook pushes it as telemetry).
pub fn fixed_snapshot() -> Arc<HostSnapshot> {
    let mut s = HostSnapshot::new("2026-02-14T00:00:00.000000+00:00".to_owned());
    s.results.insert(
        "systemd".into(),
        ProbeResult {
            provider: "systemd".into(),
            status: ProbeStatus::Ok,
            data: serde_json::json!({"services": {"cohesix-agent.service": {"active": "active", "sub": "running"}}}),
            error: None,
        },
    );
    Arc::new(s)
}

/// A mock backend without a mirror.
pub fn mock() -> MockBackend {
    MockBackend::new(&MockOptions::new().root(None)).expect("mock")
}

/// A session of the mock attached as queen **with** [`queen_ticket`].
pub fn mock_ticketed(m: &MockBackend) -> AnyBackend {
    let c = m
        .attach_console(Role::Queen, Some(&queen_ticket()), ClientConfig::new())
        .expect("ticketed console");
    AnyBackend::from(TcpBackend::over(c, BackendKind::Mock))
}

/// Waits (≤ 2 s) until the simulator's single console slot is free: a closed session's
/// slot is released just after its `QUIT` is answered.
pub async fn until_free(core: &SimCore) {
    for _ in 0..200 {
        if !core.is_busy() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the console slot stayed busy");
}

/// Plays the scenario through `main`, with `ticketed` opened (after `main` is closed) for
/// the ticketed write; `core` is the simulator behind both.
pub async fn scenario(core: &SimCore, main: &AnyBackend, ticketed: impl FnOnce() -> AnyBackend) {
    scenario_main(main).await;
    main.close().await.unwrap();
    until_free(core).await;
    let tb = ticketed();
    scenario_ticketed(&tb).await;
    tb.close().await.unwrap();
    until_free(core).await;
}

/// The scenario's part played by the unticketed session (`main` stays open).
pub async fn scenario_main(main: &AnyBackend) {
    let orch = Orchestrator::new(main.clone());
    let book = built_in()
        .unwrap()
        .into_iter()
        .map(|e| e.playbook)
        .find(|b| b.id == "jetson-critical-infra")
        .unwrap();
    let mut o = RunOptions::new();
    o.run_id = Some(RunId::parse("a1b2c3d0").unwrap());
    let r = run_playbook(
        Some(&orch),
        &book,
        &o,
        HostInput::Given(fixed_snapshot()),
        &Silent,
    )
    .await;
    assert!(r.failure.is_none(), "{:?}", r.failure);
    orch.queue_approvals(&[ApprovalRequest::approve("ap-evidence", "/queen/ctl")])
        .await
        .unwrap();
    orch.append_control("/queen/ctl", &[r#"{"spawn":"heartbeat","ticks":2}"#], 128)
        .await
        .unwrap();
    // A gated write without an approval: refused (journal err, gate deny).
    assert!(orch
        .append_control(
            "/host/systemd/cohesix-agent.service/restart",
            &["restart"],
            128
        )
        .await
        .is_err());
    orch.enqueue_host_tickets(&[
        HostTicket::new("t-1", "k-1", "systemd.restart").target("/host/systemd/agent/restart"),
        HostTicket::new("t-2", "k-2", "k8s.cordon").arg("node", "node-1"),
    ])
    .await
    .unwrap();
    main.append(
        "/host/tickets/status",
        r#"{"schema":"host-ticket-result/v1","id":"t-1","idempotency_key":"k-1","action":"systemd.restart","state":"succeeded"}"#,
    )
    .await
    .unwrap();
    main.append(
        "/host/tickets/deadletter",
        r#"{"schema":"host-ticket-result/v1","id":"t-2","idempotency_key":"k-2","action":"k8s.cordon","state":"failed","message":"no node"}"#,
    )
    .await
    .unwrap();
    let [tok, pw, ak, bearer] = SECRET_VALUES;
    for note in [
        format!(r#"{{"kind":"operator-note","token":"{tok}","nested":{{"Password":"{pw}"}}}}"#),
        format!(r#"{{"kind":"operator-note","args":[{{"api_key":"{ak}"}}],"auth":"x"}}"#),
        format!(r#"{{"kind":"operator-note","authorization":"{bearer}"}}"#),
    ] {
        main.append("/audit/journal", &note).await.unwrap();
    }
    let t = queen_ticket();
    // A raw ticket in an operator note (at most 128 bytes: its first 100 characters).
    let note = format!(
        r#"{{"kind":"operator-note","saw":"{}"}}"#,
        &t[..t.len().min(90)]
    );
    main.append("/audit/journal", &note).await.unwrap();
}

/// The scenario's control write by a session attached with [`queen_ticket`].
pub async fn scenario_ticketed(tb: &AnyBackend) {
    tb.append(
        "/queen/schedule/ctl",
        r#"{"id":"aud-1","role":"worker-gpu","priority":1,"ticks":1,"budget_ms":10}"#,
    )
    .await
    .unwrap();
}

/// A fresh, empty directory under the system temp dir.
pub fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cohesix-ev-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every file under `dir` as (relative path, bytes), sorted.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// The golden directory.
pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/evidence")
}

/// Compares `got` with the golden file `name` (rewritten with `COHESIX_BLESS=1`).
pub fn golden(name: &str, got: &[u8]) {
    let p = golden_dir().join(name);
    if std::env::var_os("COHESIX_BLESS").is_some() {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, got).unwrap();
        return;
    }
    let want = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert!(
        want == got,
        "{name} differs from {}:\n--- got\n{}\n--- want\n{}",
        p.display(),
        String::from_utf8_lossy(got),
        String::from_utf8_lossy(&want)
    );
}
