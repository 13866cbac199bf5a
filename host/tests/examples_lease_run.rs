//! `lease_run` as a library function: green with `--mock` and against the queen simulator
//! over TCP, its artifacts, a failed command, and flag conflicts as usage errors (exit 2).

mod examples_support;
#[allow(dead_code, missing_docs)]
#[path = "../examples/lease_run.rs"]
mod lease_run;

use clap::Parser;
use cohesix::orchestrator::Receipt;
use examples_support::{argv, audit_lines, mock_flags, queen, tcp_flags};

async fn lease_run_green(flags: Vec<String>) -> lease_run::Outcome {
    let args = lease_run::Args::try_parse_from(argv(
        "lease_run",
        flags,
        &[
            "--mem-mb",
            "2048",
            "--command",
            "sh",
            "-c",
            "echo leased-run",
        ],
    ))
    .unwrap();
    let out = lease_run::run(args).await.unwrap();
    assert_eq!(
        (out.gpu.as_str(), out.worker.as_str()),
        ("GPU-0", "worker-1")
    );
    assert!(out.released);
    let lease: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.dir.join("lease.json")).unwrap())
            .unwrap();
    assert_eq!(lease["state"], "ACTIVE");
    assert_eq!(lease["mem_mb"], 2048);
    let gpus: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.dir.join("gpu_list.json")).unwrap())
            .unwrap();
    let ids: Vec<&str> = gpus
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["GPU-0", "GPU-1"], "bridge and models are skipped");
    let lease_receipt = Receipt::read(&out.dir.join("lease_receipt.json")).unwrap();
    assert_eq!(lease_receipt.status, "ok");
    let run_receipt = Receipt::read(&out.dir.join("run_receipt.json")).unwrap();
    assert_eq!(run_receipt.status, "ok");
    let audit = audit_lines(&out.dir);
    assert!(
        audit[0].starts_with("OK ECHO path=/actions/queue "),
        "{audit:?}"
    );
    assert!(
        audit
            .last()
            .unwrap()
            .starts_with("OK ECHO path=/queen/ctl "),
        "{audit:?}"
    );
    out
}

#[tokio::test]
async fn lease_run_with_mock_and_against_the_queen() {
    let dir = tempfile::tempdir().unwrap();
    let out = lease_run_green(mock_flags(dir.path())).await;
    assert!(
        dir.path().join("mockfs/gpu/GPU-0/lease").is_file(),
        "mock mirror written"
    );
    // The mock's lease after the release.
    let mirrored = std::fs::read_to_string(dir.path().join("mockfs/gpu/GPU-0/lease")).unwrap();
    assert!(mirrored.contains("RELEASED"), "{mirrored}");
    drop(out);

    let dir = tempfile::tempdir().unwrap();
    let sim = queen().await;
    lease_run_green(tcp_flags(&sim, dir.path())).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn lease_run_reports_a_failed_command_and_still_writes_its_artifacts() {
    let dir = tempfile::tempdir().unwrap();
    let args = lease_run::Args::try_parse_from(argv(
        "lease_run",
        mock_flags(dir.path()),
        &["--skip-release", "--command", "--", "false"],
    ))
    .unwrap();
    let e = lease_run::run(args).await.unwrap_err();
    assert_eq!(e.code(), 1);
    assert_eq!(e.to_string(), "command exited with code 1");
    let out = dir.path().join("out/lease_run");
    let r = Receipt::read(&out.join("run_receipt.json")).unwrap();
    assert_eq!(r.status, "err");
    assert_eq!(r.command.as_deref(), Some(&["false".to_owned()][..]));
    let audit = audit_lines(&out);
    assert!(
        audit.iter().all(|l| !l.contains("/queen/ctl bytes=20")),
        "not released"
    );
}

#[tokio::test]
async fn mixing_mock_with_a_live_flag_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (
            &["--mock", "--tcp-host", "10.0.0.2"],
            "usage: --mock cannot be combined with --tcp-host (a live target flag)",
        ),
        (
            &["--mock", "--auth-token", "x"],
            "usage: --mock cannot be combined with --auth-token (a live target flag)",
        ),
        (
            &["--mock", "--mount-root", "/mnt"],
            "usage: --mock cannot be combined with --mount-root (a live target flag)",
        ),
        (
            &["--mount-root", "/mnt", "--tcp-port", "1"],
            "usage: --mount-root cannot be combined with --tcp-port",
        ),
        (
            &["--rest", "http://127.0.0.1:8080", "--tcp-port", "1"],
            "usage: --rest cannot be combined with --tcp-port",
        ),
        (
            &["--mock-root", "/tmp/x"],
            "usage: --mock-root needs --mock",
        ),
    ];
    for (flags, want) in cases {
        let mut v = vec!["lease_run".to_owned(), "--out".into()];
        v.push(dir.path().display().to_string());
        v.extend(flags.iter().map(|s| (*s).to_owned()));
        let e = lease_run::run(lease_run::Args::try_parse_from(&v).unwrap())
            .await
            .unwrap_err();
        assert_eq!((e.code(), e.to_string().as_str()), (2, want), "{flags:?}");
    }
    // Nothing was written for a refused command line.
    assert!(!dir.path().join("lease_run").exists());
}
