//! Telemetry push on the mock and over TCP: inline records fit 128 bytes with their
//! newline, never split a character, and reassemble to the source; large sources go by
//! reference; `evict-oldest` lets a device be pushed more than four times.

mod orchestrator_support;

use cohesix::backend::{Backend, TcpBackend, TcpOptions};
use cohesix::orchestrator::TelemetryMode;
use cohesix::sim::{AuthToken, SimConfig, Simulator};
use cohesix::Orchestrator;
use cohesix_core::control::{InlineRecord, ReferenceRecord};
use orchestrator_support::mock;
use sha2::{Digest, Sha256};

async fn segment<B: Backend>(orch: &Orchestrator<B>, dev: &str, seg: &str) -> Vec<String> {
    let bytes = orch
        .backend()
        .read(&format!("/queen/telemetry/{dev}/seg/{seg}"), 131_072)
        .await
        .unwrap();
    cohesix::backend::lines_of(&bytes)
}

fn reassemble(lines: &[String]) -> String {
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        assert!(l.len() < 128, "record of {} bytes: {l}", l.len());
        assert!(l.is_ascii());
        let r = InlineRecord::decode(l.as_bytes()).unwrap();
        assert_eq!(r.seq, i as u64 + 1);
        let mut buf = [0u8; 128];
        out.push_str(r.payload.unescape_into(&mut buf).unwrap());
    }
    out
}

#[tokio::test]
async fn inline_push_on_the_mock_fits_records_and_reassembles() {
    let orch = Orchestrator::new(mock());
    let source = "line one\nline \"two\" caf\u{e9} \u{1f600}\n".repeat(40);
    let push = orch
        .telemetry_push("device-1", source.as_bytes(), "text/plain")
        .await
        .unwrap();
    // The mock is seeded with seg-000001 for device-1.
    assert_eq!(push.seg_id, "seg-000002");
    assert_eq!(push.mode, TelemetryMode::Inline);
    assert_eq!(push.source_bytes, source.len());
    let lines = segment(&orch, "device-1", "seg-000002").await;
    assert_eq!(lines.len(), push.records);
    assert_eq!(push.bytes, lines.iter().map(|l| l.len() + 1).sum::<usize>());
    assert_eq!(reassemble(&lines), source);
    // One audit line per append: the ctl line and every record.
    assert_eq!(orch.audit().len(), 1 + push.records);
}

#[tokio::test]
async fn large_sources_go_by_reference() {
    let orch = Orchestrator::new(mock());
    let source = vec![b'x'; 200_000];
    let push = orch
        .telemetry_push("device-9", &source, "application/x-ndjson")
        .await
        .unwrap();
    assert_eq!(push.mode, TelemetryMode::Reference);
    assert_eq!((push.seg_id.as_str(), push.records), ("seg-000001", 1));
    let lines = segment(&orch, "device-9", "seg-000001").await;
    let r = ReferenceRecord::decode(lines[0].as_bytes()).unwrap();
    assert_eq!((r.seq, r.off, r.len), (1, 0, 200_000));
    let digest: [u8; 32] = Sha256::digest(&source).into();
    assert_eq!(r.sha256.0, digest);
}

#[tokio::test]
async fn evict_oldest_allows_more_pushes_than_segments() {
    let mut config = SimConfig::loopback();
    config.token = AuthToken::new("telemetry-token");
    let sim = Simulator::spawn(config).await.unwrap();
    let addr = sim.local_addr();
    let opts = TcpOptions::new(
        addr.ip().to_string(),
        addr.port(),
        cohesix::auth::Secret::new("telemetry-token"),
    );
    let orch = Orchestrator::new(TcpBackend::connect(&opts).unwrap());
    for i in 1..=6 {
        let push = orch
            .telemetry_push("edge-7", format!("push {i}\n").as_bytes(), "text/plain")
            .await
            .unwrap();
        assert_eq!(push.seg_id, format!("seg-{i:06}"));
    }
    let segs = orch
        .backend()
        .list("/queen/telemetry/edge-7/seg")
        .await
        .unwrap();
    assert_eq!(
        segs,
        ["seg-000003", "seg-000004", "seg-000005", "seg-000006"]
    );
    assert_eq!(
        reassemble(&segment(&orch, "edge-7", "seg-000006").await),
        "push 6\n"
    );
    orch.close().await.unwrap();
    sim.shutdown().await;
}
