//! The whole snapshot with every probe on fake tools, and the command-line mapping.

mod common;

use std::time::Duration;

use clap::Parser;
use cohesix_probes::cli::Args;
use cohesix_probes::{
    collect_host_snapshot, collect_host_snapshot_blocking, snapshot_to_ndjson, ProbeStatus,
    SourceChoice,
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

#[test]
fn cli_flags_map_to_options() {
    let args = Args::try_parse_from(["cohesix-snapshot"]).expect("defaults");
    let o = args.to_options();
    assert_eq!(o.systemd_units, None, "no --unit: no systemd probe");
    assert!(o.include_docker && o.include_k8s && o.include_nvidia && o.include_peft);
    assert_eq!(o.exec.timeout, Duration::from_secs(5));
    assert_eq!(o.k8s_namespace, "default");
    assert_eq!(o.nvidia_source, SourceChoice::Auto);

    let args = Args::try_parse_from([
        "cohesix-snapshot",
        "--unit",
        "a.service",
        "--unit",
        "b.service",
        "-n",
        "ml",
        "-l",
        "app=x",
        "--timeout-ms",
        "250",
        "--nvidia-source",
        "smi",
        "--docker-source",
        "api",
        "--k8s-source",
        "kubectl",
        "--tool-path",
        "/opt/fake",
        "--python",
        "/usr/bin/python3.12",
    ])
    .expect("flags");
    let o = args.to_options();
    assert_eq!(
        o.systemd_units,
        Some(vec!["a.service".to_owned(), "b.service".to_owned()])
    );
    assert_eq!(
        (o.k8s_namespace.as_str(), o.k8s_label_selector.as_str()),
        ("ml", "app=x")
    );
    assert_eq!(o.exec.timeout, Duration::from_millis(250));
    assert_eq!(o.nvidia_source, SourceChoice::Cli);
    assert_eq!(o.docker_source, SourceChoice::Api);
    assert_eq!(o.k8s_source, SourceChoice::Cli);
    assert_eq!(
        o.exec.path.as_deref(),
        Some(std::ffi::OsStr::new("/opt/fake"))
    );
    assert_eq!(o.python, "/usr/bin/python3.12");

    let args =
        Args::try_parse_from(["cohesix-snapshot", "--probes", "nvidia,systemd"]).expect("probes");
    let o = args.to_options();
    assert_eq!(
        o.systemd_units,
        Some(vec![]),
        "named without units: reported skipped"
    );
    assert!(o.include_nvidia && !o.include_docker && !o.include_k8s && !o.include_peft);

    let o = Args::try_parse_from(["cohesix-snapshot", "--probes", "containers"])
        .expect("alias")
        .to_options();
    assert!(o.include_docker && !o.include_nvidia && o.systemd_units.is_none());

    assert!(Args::try_parse_from(["cohesix-snapshot", "--nvidia-source", "cuda"]).is_err());
    assert!(Args::try_parse_from(["cohesix-snapshot", "--timeout-ms", "0"]).is_err());
}
