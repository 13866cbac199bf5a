//! `telemetry_write_pull` as a library function: green with `--mock` and against the queen
//! simulator over TCP; the pulled segment gives back the source.

mod examples_support;
#[allow(dead_code, missing_docs)]
#[path = "../examples/telemetry_write_pull.rs"]
mod telemetry_write_pull;

use clap::Parser;
use examples_support::{argv, audit_lines, mock_flags, queen, tcp_flags};

async fn telemetry_green(flags: Vec<String>, expect_seg: &str) {
    let args = telemetry_write_pull::Args::try_parse_from(argv(
        "telemetry_write_pull",
        flags,
        &["--payload", "temp=41 \"ok\"", "--payload", "temp=42"],
    ))
    .unwrap();
    let out = telemetry_write_pull::run(args).await.unwrap();
    assert_eq!(out.push.seg_id, expect_seg);
    assert_eq!(out.push.source_bytes, "temp=41 \"ok\"\ntemp=42\n".len());
    let pulled = std::fs::read_to_string(&out.pulled).unwrap();
    assert_eq!(pulled.lines().count(), out.push.records);
    let push: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.dir.join("push.json")).unwrap()).unwrap();
    assert_eq!(push["mode"], "inline");
    assert_eq!(push["bytes"], out.push.bytes);
    let audit = audit_lines(&out.dir);
    assert_eq!(
        audit[0],
        "OK ECHO path=/queen/telemetry/device-1/ctl bytes=38"
    );
    assert!(audit
        .last()
        .unwrap()
        .starts_with("OK PULL path=/queen/telemetry/device-1/seg/"));
}

#[tokio::test]
async fn telemetry_write_pull_with_mock_and_against_the_queen() {
    let dir = tempfile::tempdir().unwrap();
    // The mock is seeded with seg-000001 (host-surface §5.3).
    telemetry_green(mock_flags(dir.path()), "seg-000002").await;
    let dir = tempfile::tempdir().unwrap();
    let sim = queen().await;
    telemetry_green(tcp_flags(&sim, dir.path()), "seg-000001").await;
    sim.shutdown().await;
}

#[test]
fn payload_and_payload_file_conflict_exit_2() {
    let e = telemetry_write_pull::Args::try_parse_from([
        "telemetry_write_pull",
        "--payload",
        "a",
        "--payload-file",
        "/tmp/x",
    ])
    .unwrap_err();
    assert_eq!(e.exit_code(), 2);
}
