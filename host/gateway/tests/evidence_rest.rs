//! An evidence pack through the gateway equals the pack of the same queen over its TCP
//! console: the fixed evidence scenario (`host/tests/evidence_support`) is played once
//! straight against a simulator and once through gateways in front of another, each is
//! packed the same way, and the files are compared byte for byte.
//!
//! The simulator serves one console at a time and the scenario needs a session attached
//! **with a ticket**, so the REST side uses three gateways in turn over the same simulator:
//! one for the scenario's main part, one started with the queen ticket for the ticketed
//! write (the journal records the ticket's hash, as over TCP), and a fresh one for the pack
//! (a fresh console session, as `coh evidence pack` opens one over TCP: the log TAIL starts
//! at the beginning).
//!
//! What legitimately differs, and is checked instead of compared:
//! * `bounds.json`: over REST it is the gateway's `/v1/meta/bounds`, which is this build's
//!   document plus `target_manifest_sha256` (read from the queen's boot log line); over TCP
//!   it is this build's document. Without that key the two are equal.
//! * `PackReport::bounds_source`: `Target` over REST, `Local` over TCP.
//!
//! Nothing else may differ: not the log, the journal (with the ticketed write), the
//! redaction, the host tickets, the telemetry segments, the summary or the timeline.

mod common;
#[path = "../../tests/evidence_support/mod.rs"]
mod evidence_support;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use cohesix::auth::Secret;
use cohesix::backend::{AnyBackend, Backend, RestBackend, TcpBackend, TcpOptions};
use cohesix::evidence::{self, ci, siem, timeline, BoundsSource, PackOptions, PackReport};
use cohesix::Audit;
use cohesix_gateway::{GatewayConfig, Running};
use cohesix_sim::{AuthToken, SimConfig, SimHandle, Simulator};
use cohesix_tokio::Role;
use common::{CONSOLE_TOKEN, TOKEN};
use evidence_support::{
    queen_ticket, scenario, scenario_main, scenario_ticketed, tempdir, tree, until_free,
};
use serde_json::Value;

/// The 0.9 mock surface on a fixed clock, over loopback TCP.
async fn simulator() -> SimHandle {
    let mut cfg = SimConfig::mock(false);
    cfg.token = AuthToken::new(CONSOLE_TOKEN);
    Simulator::spawn(cfg).await.expect("spawn simulator")
}

/// A gateway over the simulator at `target`, attached as queen with `ticket`.
async fn gateway(target: SocketAddr, ticket: Option<String>) -> Running {
    let config = GatewayConfig::tcp(
        target.to_string(),
        Secret::new(CONSOLE_TOKEN),
        Role::Queen,
        ticket.map(Secret::new),
    )
    .expect("bounds")
    .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
    .request_token(Some(Secret::new(TOKEN)));
    cohesix_gateway::start(config).await.expect("start gateway")
}

fn rest(gw: &Running) -> AnyBackend {
    AnyBackend::from(
        RestBackend::new(&gw.url(), Duration::from_secs(10), Some(Secret::new(TOKEN)))
            .expect("rest backend"),
    )
}

async fn pack(backend: &AnyBackend, dir: &Path) -> PackReport {
    let report = evidence::pack(
        backend,
        &PackOptions::new(dir).with_telemetry(true),
        &Audit::new(),
    )
    .await
    .expect("pack");
    timeline::write(dir).expect("timeline");
    report
}

async fn pack_over_tcp(dir: &Path) -> PackReport {
    let sim = simulator().await;
    let addr = sim.local_addr();
    let options = TcpOptions::new(
        addr.ip().to_string(),
        addr.port(),
        Secret::new(CONSOLE_TOKEN),
    );
    let main = AnyBackend::from(TcpBackend::connect(&options).unwrap());
    let ticketed = options.clone().ticket(Some(Secret::new(queen_ticket())));
    scenario(sim.core(), &main, || {
        AnyBackend::from(TcpBackend::connect(&ticketed).unwrap())
    })
    .await;
    let report = pack(&main, dir).await;
    main.close().await.unwrap();
    sim.shutdown().await;
    report
}

async fn pack_over_rest(dir: &Path) -> PackReport {
    let sim = simulator().await;
    let addr = sim.local_addr();

    let gw = gateway(addr, None).await;
    scenario_main(&rest(&gw)).await;
    gw.shutdown().await.unwrap();
    until_free(sim.core()).await;

    let gw = gateway(addr, Some(queen_ticket())).await;
    scenario_ticketed(&rest(&gw)).await;
    gw.shutdown().await.unwrap();
    until_free(sim.core()).await;

    let gw = gateway(addr, None).await;
    let report = pack(&rest(&gw), dir).await;
    gw.shutdown().await.unwrap();
    sim.shutdown().await;
    report
}

fn json_file(dir: &Path, rel: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(rel)).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pack_through_the_gateway_equals_the_pack_over_tcp() {
    let over_tcp = tempdir("gw-tcp");
    let over_rest = tempdir("gw-rest");
    let direct = pack_over_tcp(&over_tcp).await;
    let via = pack_over_rest(&over_rest).await;

    // Documented exception 1: where the bounds came from.
    assert_eq!(direct.bounds_source, BoundsSource::Local);
    assert_eq!(via.bounds_source, BoundsSource::Target);
    // Everything else the report says is the same.
    assert_eq!(via.summary, direct.summary);
    assert_eq!(via.meta, direct.meta);
    assert_eq!(via.telemetry, direct.telemetry);
    assert_eq!(direct.summary.errors(), 0, "{:#?}", direct.summary.items);
    assert!(
        direct.summary.captured() >= 15,
        "{:#?}",
        direct.summary.items
    );

    // Documented exception 2: bounds.json is the gateway's document, which adds the
    // target's manifest hash to this build's.
    let mut rest_bounds = json_file(&over_rest, "bounds.json");
    let target_sha = rest_bounds
        .as_object_mut()
        .unwrap()
        .remove("target_manifest_sha256");
    assert_eq!(
        target_sha.as_ref().and_then(Value::as_str),
        Some(cohesix_generated::MANIFEST_SHA256),
        "the gateway states the queen's hash"
    );
    assert_eq!(rest_bounds, json_file(&over_tcp, "bounds.json"));

    // Every other file, byte for byte.
    let (a, b) = (tree(&over_rest), tree(&over_tcp));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b));
    for rel in [
        "audit/journal",
        "host/tickets/deadletter",
        "log/queen.log",
        "proc/lease/active",
        "summary.json",
        "timeline.ndjson",
    ] {
        assert!(names(&a).iter().any(|n| n == rel), "{rel} not packed");
    }
    assert!(
        names(&a).iter().any(|n| n.starts_with("telemetry/")),
        "{:?}",
        names(&a)
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        if name == "bounds.json" {
            continue;
        }
        assert!(
            x == y,
            "{name} differs:\n--- rest\n{}\n--- tcp\n{}",
            String::from_utf8_lossy(x),
            String::from_utf8_lossy(y)
        );
    }
    // The ticketed write went through the ticketed gateway: its hashed ticket is there.
    let journal = String::from_utf8(std::fs::read(over_rest.join("audit/journal")).unwrap())
        .expect("utf-8 journal");
    assert!(journal.contains("\"ticket\":\"sha256:"), "{journal}");
    assert!(!journal.contains(&queen_ticket()), "{journal}");

    // What is derived from the files agrees too; CI passes both, with the target's hash
    // checked over REST.
    assert_eq!(
        siem::export(&over_rest).unwrap(),
        siem::export(&over_tcp).unwrap()
    );
    let (ci_rest, ci_tcp) = (ci::check(&over_rest, "PACK"), ci::check(&over_tcp, "PACK"));
    assert!(ci_rest.ok(), "{}", ci_rest.to_json());
    assert!(ci_tcp.ok(), "{}", ci_tcp.to_json());
    assert!(ci_rest.manifest.has_target());
    let _ = std::fs::remove_dir_all(&over_tcp);
    let _ = std::fs::remove_dir_all(&over_rest);
}

/// The real (0.3) queen's surface: `/proc/boot`, the control plane, audit, host tickets and
/// replay are absent (`invalid-path` on the wire). Through the gateway each absent node is
/// *missing* exactly as over TCP — whatever status the gateway answers it with — and no
/// node aborts the pack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absent_nodes_are_missing_through_the_gateway_as_over_tcp() {
    let shipped = || {
        let mut cfg = SimConfig::mock(false);
        cfg.token = AuthToken::new(CONSOLE_TOKEN);
        cfg.features = cohesix_sim::Features::shipped();
        Simulator::spawn(cfg)
    };
    let over_tcp = tempdir("gw-shipped-tcp");
    let sim = shipped().await.unwrap();
    let addr = sim.local_addr();
    let tcp = AnyBackend::from(
        TcpBackend::connect(&TcpOptions::new(
            addr.ip().to_string(),
            addr.port(),
            Secret::new(CONSOLE_TOKEN),
        ))
        .unwrap(),
    );
    let direct = pack(&tcp, &over_tcp).await;
    tcp.close().await.unwrap();
    sim.shutdown().await;

    let over_rest = tempdir("gw-shipped-rest");
    let sim = shipped().await.unwrap();
    let gw = gateway(sim.local_addr(), None).await;
    let via = pack(&rest(&gw), &over_rest).await;
    gw.shutdown().await.unwrap();
    sim.shutdown().await;

    assert_eq!(via.summary, direct.summary);
    assert_eq!(direct.summary.errors(), 0, "{:#?}", direct.summary.items);
    assert!(
        direct.summary.missing() >= 10,
        "{:#?}",
        direct.summary.items
    );
    let (a, b) = (tree(&over_rest), tree(&over_tcp));
    assert_eq!(a.len(), b.len());
    for ((name, x), (other, y)) in a.iter().zip(&b) {
        assert_eq!(name, other);
        if name != "bounds.json" {
            assert!(x == y, "{name} differs over REST");
        }
    }
    let _ = std::fs::remove_dir_all(&over_tcp);
    let _ = std::fs::remove_dir_all(&over_rest);
}

/// Over REST the pack's limits are the gateway's: a `/proc` node its bounds disable is
/// *missing*, and CI, reading the same `bounds.json`, does not require it.
#[tokio::test]
async fn a_node_the_gateways_bounds_disable_is_missing() {
    let json = cohesix_generated::meta_bounds::JSON;
    assert_eq!(json.matches(r#""active":true"#).count(), 1);
    let bounds =
        cohesix_gateway::Bounds::from_json(&json.replace(r#""active":true"#, r#""active":false"#))
            .unwrap();
    let gw = common::mock_gateway(|c| c.bounds(bounds)).await;
    let dir = tempdir("gw-disabled");
    let report = pack(&rest(&gw), &dir).await;
    assert_eq!(report.bounds_source, BoundsSource::Target);
    let item = |rel: &str| {
        report
            .summary
            .items
            .iter()
            .find(|i| i.saved_as == rel)
            .unwrap_or_else(|| panic!("no item {rel}"))
            .status
    };
    assert_eq!(item("proc/lease/active"), evidence::Status::Missing);
    assert_eq!(item("proc/lease/summary"), evidence::Status::Captured);
    assert!(!dir.join("proc/lease/active").exists());
    assert_eq!(
        json_file(&dir, "bounds.json")["observability"]["proc_lease"]["active"],
        false
    );
    let c = ci::check(&dir, "PACK");
    assert!(c.ok(), "{}", c.to_json());
    gw.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
