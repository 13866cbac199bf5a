//! The whole snapshot with every probe on fake tools.

mod common;

use std::time::Duration;

use cohesix_probes::{
    collect_host_snapshot, collect_host_snapshot_blocking, snapshot_to_ndjson, ProbeStatus,
};
use common::FakeBin;
use serde_json::Value;

#[tokio::test]
async fn all_probes_run_and_none_aborts_the_snapshot() {
    let bin = FakeBin::new();
    bin.printing(
        "systemctl",
        "ActiveState=active\nSubState=running\nUnitFileState=enabled\n",
        0,
    );
    bin.hanging("docker");
    bin.printing("kubectl", "not json", 0);
    bin.printing(
        "nvidia-smi",
        "0, GPU-x, G, 100, 1, 2, 3, [N/A], 5, Disabled, 1.0\n",
        0,
    );
    // no python3 at all
    let mut opts = bin.options();
    opts.systemd_units = Some(vec!["a.service".into()]);
    opts.include_docker = true;
    opts.include_k8s = true;
    opts.include_nvidia = true;
    opts.include_peft = true;
    opts.exec.timeout = Duration::from_millis(400);
    let snapshot = collect_host_snapshot(&opts).await;
    let statuses: Vec<(&str, ProbeStatus)> = snapshot
        .results
        .iter()
        .map(|(k, v)| (k.as_str(), v.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("docker", ProbeStatus::Skipped),
            ("k8s", ProbeStatus::Degraded),
            ("nvidia", ProbeStatus::Ok),
            ("peft", ProbeStatus::Skipped),
            ("systemd", ProbeStatus::Ok),
        ]
    );
    let text = snapshot_to_ndjson(&snapshot);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5);
    for (line, (name, result)) in lines.iter().zip(&snapshot.results) {
        let v: Value = serde_json::from_str(line).expect("json line");
        assert_eq!(v["provider"], name.as_str());
        assert_eq!(v["status"], result.status.label());
        assert_eq!(v["captured_at_utc"], snapshot.captured_at_utc.as_str());
    }
    assert!(snapshot.captured_at_utc.ends_with("+00:00"));
    assert_eq!(snapshot.captured_at_utc.len(), 32);
}

#[test]
fn excluded_probes_have_no_key_and_blocking_form_works() {
    let bin = FakeBin::new();
    let snapshot = collect_host_snapshot_blocking(&bin.options()).expect("runtime");
    assert!(snapshot.results.is_empty());
    assert_eq!(snapshot_to_ndjson(&snapshot), "");
}

/// A probe still running at its deadline is dropped (its child killed) and reported skipped;
/// the other probes keep their results.
#[tokio::test]
async fn every_probe_has_a_deadline() {
    let bin = FakeBin::new();
    bin.hanging("systemctl");
    bin.printing("kubectl", r#"{"items":[]}"#, 0);
    let mut opts = bin.options();
    opts.systemd_units = Some(vec!["a.service".into(), "b.service".into()]);
    opts.include_k8s = true;
    opts.k8s_source = cohesix_probes::SourceChoice::Cli;
    opts.exec.timeout = Duration::from_secs(30);
    opts.probe_deadline = Duration::from_millis(300);
    let snapshot = collect_host_snapshot(&opts).await;
    let systemd = &snapshot.results["systemd"];
    assert_eq!(systemd.status, ProbeStatus::Skipped);
    assert_eq!(
        systemd.error.as_deref(),
        Some("probe deadline of 300 ms passed")
    );
    assert_eq!(snapshot.results["k8s"].status, ProbeStatus::Ok);
}
