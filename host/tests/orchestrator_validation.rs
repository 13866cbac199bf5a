//! Every validation message the orchestrator adds (host-surface §2.3, §4.2, §7.3, §8.5
//! wording where upstream has one), the core's messages as they surface through it, and
//! that a refused call writes nothing.

mod orchestrator_support;

use std::path::Path;
use std::time::Duration;

use cohesix::backend::FilesystemBackend;
use cohesix::orchestrator::{GpuLeaseRequest, Receipt, RunOptions, TelemetryLimits};
use cohesix::{
    ApprovalRequest, Decision, Error, ErrorKind, ExportOp, HostTicket, K8sRbacIntent, K8sVerb,
    LeaseOp, LeaseRequest, Orchestrator, ScheduleRequest,
};
use orchestrator_support::tempdir;

fn fs_orch(root: &Path) -> Orchestrator<FilesystemBackend> {
    Orchestrator::new(FilesystemBackend::new(root).unwrap())
}

fn msg(r: Result<impl std::fmt::Debug, Error>) -> String {
    r.unwrap_err().to_string()
}

/// Nothing was written under `root`.
fn untouched(root: &Path) {
    let n = std::fs::read_dir(root).unwrap().count();
    assert_eq!(n, 0, "something was written under {}", root.display());
}

#[tokio::test]
async fn generic_writer_messages() {
    let dir = tempdir();
    let o = fs_orch(dir.path());
    assert_eq!(
        msg(o
            .append_control("/queen/lease/ctl", &["ok", "   "], 0)
            .await),
        "control payload must not be empty"
    );
    assert_eq!(
        msg(o
            .append_control("/queen/x/ctl", &["x".repeat(20)], 20)
            .await),
        "control payload for /queen/x/ctl exceeds bound 20 bytes"
    );
    assert_eq!(
        msg(o
            .append_control("/queen/x/ctl", &["x".repeat(129)], 0)
            .await),
        "control payload for /queen/x/ctl exceeds transport payload bound 128 bytes"
    );
    assert_eq!(
        msg(o.append_control("/queen/x/ctl", &["a\nb"], 0).await),
        "echo payload must be a single line"
    );
    assert_eq!(
        msg(o.append_control("/queen/x/ctl", &["caf\u{e9}"], 0).await),
        "console line must be ASCII"
    );
    assert_eq!(
        msg(o.append_control("queen/x", &["a"], 0).await),
        "paths must be absolute"
    );
    untouched(dir.path());
    // Trimmed, and a line of exactly the limit (with its newline) passes.
    let w = o
        .append_control("/queen/x/ctl", &["  abc  "], 4)
        .await
        .unwrap();
    assert_eq!((w[0].payload.as_str(), w[0].bytes_written), ("abc", 4));
}

#[tokio::test]
async fn typed_payload_messages_surface_unchanged_and_nothing_is_written() {
    let dir = tempdir();
    let o = fs_orch(dir.path());
    let long = "a".repeat(33);
    // Identifiers are limited to the target's max_id_len (32), not upstream's 128.
    assert_eq!(
        msg(o
            .apply_leases(&[LeaseRequest::grant(&long, "queen", "gpu0", 1)])
            .await),
        "lease_id exceeds 32 bytes"
    );
    let id32 = "b".repeat(32);
    let full = LeaseRequest::grant(&id32, &id32, &id32, 4_000_000_000)
        .priority(4_000_000_000)
        .reason(&id32);
    assert_eq!(
        msg(o.apply_leases(&[full]).await),
        "control payload for /queen/lease/ctl exceeds transport payload bound 128 bytes"
    );
    assert_eq!(
        msg(o.apply_leases(&[LeaseRequest::new(LeaseOp::Grant)]).await),
        "lease_id is required for op=grant"
    );
    let mut g = LeaseRequest::new(LeaseOp::Grant);
    g.lease_id = Some("l-1");
    assert_eq!(
        msg(o.apply_leases(&[g]).await),
        "grant requires subject, resource, and ttl_s"
    );
    assert_eq!(
        LeaseOp::parse("revoke").unwrap_err().to_string(),
        "lease op must be one of grant|renew|preempt|quota"
    );
    assert_eq!(
        ExportOp::parse("reopen").unwrap_err().to_string(),
        "export op must be one of open|close"
    );
    assert_eq!(
        Decision::parse("maybe").unwrap_err().to_string(),
        "decision must be approve or deny"
    );
    assert_eq!(
        msg(o
            .enqueue_schedule(&[
                ScheduleRequest::new("s-1", "worker-gpu")
                    .priority(1)
                    .ticks(1)
                    .budget_ms(1),
                ScheduleRequest::new("s-2", "worker-gpu")
                    .ticks(1)
                    .budget_ms(1),
            ])
            .await),
        "priority must be > 0"
    );
    let deep = format!("/{}", "p".repeat(96));
    assert_eq!(
        msg(o
            .queue_approvals(&[ApprovalRequest::approve("a-1", &deep)])
            .await),
        "path exceeds max length 96"
    );
    // The first line was valid: still nothing written (all lines are checked first).
    untouched(dir.path());
}

#[tokio::test]
async fn host_ticket_guardrails() {
    let dir = tempdir();
    let o = fs_orch(dir.path());
    let ok = HostTicket::new("t-0", "k-0", "systemd.status-check");
    assert_eq!(
        msg(o
            .enqueue_host_tickets(&[ok.clone(), HostTicket::new("t-1", "k-1", "shell.exec")])
            .await),
        "ticket action 'shell.exec' is not in host ticket allowlist"
    );
    let big = "v".repeat(2100);
    assert_eq!(
        msg(o
            .enqueue_host_tickets(&[HostTicket::new("t-1", "k-1", "docker.stop").arg("x", &*big)])
            .await),
        "host ticket payload for t-1 exceeds bound 2048 bytes"
    );
    let wide = "v".repeat(100);
    assert_eq!(
        msg(o
            .enqueue_host_tickets(&[HostTicket::new("t-1", "k-1", "docker.stop").arg("x", &*wide)])
            .await),
        "host ticket payload for t-1 exceeds transport payload bound 128 bytes for /host/tickets/spec"
    );
    assert_eq!(
        msg(o
            .enqueue_host_tickets(&[
                HostTicket::new("t-1", "k-1", "docker.stop").arg("x", "caf\u{e9}")
            ])
            .await),
        "console line must be ASCII"
    );
    assert_eq!(
        msg(o
            .enqueue_host_tickets(
                &[HostTicket::new("t-1", "k-1", "docker.stop").expires_unix_ms(0)]
            )
            .await),
        "expires_unix_ms must be > 0 when set"
    );
    // K8s: every intent is translated first; an over-long ticket fails, never truncated.
    let node = "n".repeat(32);
    let good = K8sRbacIntent::new("i-1", "ops", "edge", "node-1", K8sVerb::Drain);
    let bad = K8sRbacIntent::new(
        "intent-000000000000000000000001",
        "ops",
        "edge",
        &node,
        K8sVerb::LeaseSync,
    );
    let e = o.enqueue_k8s_rbac_tickets(&[good, bad]).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Caller);
    assert!(
        e.to_string()
            .ends_with("bytes exceeds the 128-byte console echo bound"),
        "{e}"
    );
    assert_eq!(
        K8sVerb::parse("uncordon").unwrap_err().to_string(),
        "verb must be one of cordon|drain|lease-sync"
    );
    assert_eq!(
        msg(o
            .enqueue_k8s_rbac_tickets(&[K8sRbacIntent::new("i-1", "", "edge", "n", K8sVerb::Drain)])
            .await),
        "subject must not be empty"
    );
    untouched(dir.path());
}

#[tokio::test]
async fn telemetry_messages() {
    let dir = tempdir();
    let root = dir.path();
    let o = fs_orch(root);
    let mut off = TelemetryLimits::default();
    off.max_total_bytes_per_device = 0;
    assert_eq!(
        msg(o
            .clone()
            .with_telemetry_limits(off)
            .telemetry_push("d", b"x", "text/plain")
            .await),
        "telemetry ingest is disabled in policy"
    );
    assert_eq!(
        msg(o.telemetry_push("  ", b"x", "text/plain").await),
        "device_id must not be empty"
    );
    assert_eq!(
        msg(o.telemetry_push("a/b", b"x", "text/plain").await),
        "device_id must use ASCII token characters [A-Za-z0-9._-]"
    );
    assert_eq!(
        msg(o.telemetry_push("d", b"", "text/plain").await),
        "telemetry payload must not be empty"
    );
    assert_eq!(
        msg(o.telemetry_push("d", b"x", " ").await),
        "mime must not be empty"
    );
    let mut small = TelemetryLimits::default();
    small.max_bytes_per_segment = 100;
    assert_eq!(
        msg(o
            .clone()
            .with_telemetry_limits(small)
            .telemetry_push("d", &[b'x'; 200], "text/plain")
            .await),
        "telemetry payload exceeds max_bytes_per_segment 100"
    );
    let mut refs = TelemetryLimits::default();
    refs.max_reference_bytes_per_segment = 4;
    assert_eq!(
        msg(o
            .clone()
            .with_telemetry_limits(refs)
            .telemetry_push("d", b"\xff\xff\xff\xff\xff", "a/b")
            .await),
        "telemetry payload exceeds max_reference_bytes_per_segment 4"
    );
    let mut refs = TelemetryLimits::default();
    refs.max_reference_entries_per_segment = 0;
    assert_eq!(
        msg(o
            .clone()
            .with_telemetry_limits(refs)
            .telemetry_push("d", b"\xff", "a/b")
            .await),
        "telemetry payload exceeds max_reference_entries_per_segment 0"
    );
    let mut refs = TelemetryLimits::default();
    refs.max_reference_manifest_bytes_per_segment = 50;
    assert_eq!(
        msg(o
            .clone()
            .with_telemetry_limits(refs)
            .telemetry_push("d", b"\xff", "a/b")
            .await),
        "telemetry payload exceeds max_reference_manifest_bytes_per_segment 50"
    );
    untouched(root);

    // Existing segments: refused at the bound without eviction, counted for the total.
    let seg = root.join("queen/telemetry/d/seg");
    std::fs::create_dir_all(&seg).unwrap();
    for i in 1..=4 {
        std::fs::write(seg.join(format!("seg-00000{i}")), "x".repeat(1000)).unwrap();
    }
    let no_evict = TelemetryLimits::default().evict_oldest(false);
    assert_eq!(
        msg(o
            .clone()
            .with_telemetry_limits(no_evict)
            .telemetry_push("d", b"hi", "text/plain")
            .await),
        "telemetry segments 4 exceeds max_segments_per_device 4"
    );
    // With eviction the oldest segment is not counted: 3 x 1000 kept + the new 80-byte record.
    let tight = TelemetryLimits::default().max_total_bytes_per_device(3050);
    let e = msg(o
        .clone()
        .with_telemetry_limits(tight)
        .telemetry_push("d", b"hi", "text/plain")
        .await);
    assert_eq!(
        e,
        "telemetry bytes 3080 exceeds max_total_bytes_per_device 3050"
    );
    assert!(!root.join("queen/telemetry/d/ctl").exists());
    // No `latest` after opening the segment.
    assert_eq!(
        msg(o.telemetry_push("d", b"hi", "text/plain").await),
        "/queen/telemetry/d/latest is not a file"
    );
    std::fs::write(root.join("queen/telemetry/d/latest"), "\n \n").unwrap();
    let e = o
        .telemetry_push("d", b"hi", "text/plain")
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "telemetry push could not resolve latest segment id"
    );
    assert_eq!(e.kind(), ErrorKind::Refused);
}

fn lease_file(root: &Path, gpu: &str, line: &str) {
    std::fs::create_dir_all(root.join(format!("gpu/{gpu}"))).unwrap();
    std::fs::write(root.join(format!("gpu/{gpu}/lease")), line).unwrap();
}

#[tokio::test]
async fn run_and_receipt_messages() {
    let dir = tempdir();
    let root = dir.path();
    let o = fs_orch(root);
    let out = root.join("r.json");
    let opts = RunOptions::default();
    let echo = ["echo".to_owned(), "ok".to_owned()];
    assert_eq!(
        msg(o.run_command_with_receipt("GPU-0", &[], &out, &opts).await),
        "command must not be empty"
    );
    assert_eq!(
        Receipt::read(&out).unwrap().error.as_deref(),
        Some("command must not be empty")
    );
    assert_eq!(
        msg(o.run_command_with_receipt(" ", &echo, &out, &opts).await),
        "gpu_id must not be empty"
    );
    lease_file(root, "GPU-0", "\n");
    assert_eq!(
        msg(o
            .run_command_with_receipt("GPU-0", &echo, &out, &opts)
            .await),
        "gpu GPU-0 has no lease"
    );
    lease_file(
        root,
        "GPU-0",
        r#"{"schema":"gpu-lease/v1","state":"RELEASED","gpu_id":"GPU-0","worker_id":"worker-1","mem_mb":1024,"streams":1,"ttl_s":0,"priority":1}"#,
    );
    assert_eq!(
        msg(o
            .run_command_with_receipt("GPU-0", &echo, &out, &opts)
            .await),
        "gpu GPU-0 lease is RELEASED, not ACTIVE"
    );
    lease_file(
        root,
        "GPU-0",
        r#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-1","worker_id":"worker-1"}"#,
    );
    assert_eq!(
        msg(o
            .run_command_with_receipt("GPU-0", &echo, &out, &opts)
            .await),
        "lease gpu_id GPU-1 does not match GPU-0"
    );
    lease_file(
        root,
        "GPU-0",
        r#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0","worker_id":""}"#,
    );
    assert_eq!(
        msg(o
            .run_command_with_receipt("GPU-0", &echo, &out, &opts)
            .await),
        "worker_id is required for state=ACTIVE"
    );
    lease_file(
        root,
        "GPU-0",
        r#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0","worker_id":"worker-1"}"#,
    );
    let long = vec!["echo".to_owned(), "z".repeat(60)];
    assert_eq!(
        msg(o
            .run_command_with_receipt("GPU-0", &long, &out, &opts)
            .await),
        "control payload for /gpu/GPU-0/status exceeds transport payload bound 128 bytes"
    );
    assert!(!root.join("gpu/GPU-0/status").exists(), "nothing ran");
    let slow = ["sleep".to_owned(), "5".to_owned()];
    let quick = RunOptions::default().timeout(Duration::from_millis(200));
    assert_eq!(
        msg(o
            .run_command_with_receipt("GPU-0", &slow, &out, &quick)
            .await),
        "command timed out after 0.2 s"
    );
    // START, then EXIT with -1: the breadcrumbs account for the killed run.
    let status = std::fs::read_to_string(root.join("gpu/GPU-0/status")).unwrap();
    assert!(
        status.ends_with("\"status\":\"FAILED\",\"exit_code\":-1}\n"),
        "{status}"
    );
    let missing = ["/nonexistent/cohesix-test-binary".to_owned()];
    let e = o
        .run_command_with_receipt("GPU-0", &missing, &out, &opts)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("run /nonexistent/cohesix-test-binary: "),
        "{e}"
    );
    assert_eq!(Receipt::read(&out).unwrap().status, "err");

    // A receipt that cannot be written carries both errors.
    let e = o
        .gpu_lease_with_receipt(&GpuLeaseRequest::new("GPU-0").mem_mb(0), root)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("lease failed: mem_mb must be > 0; receipt failed: "),
        "{e}"
    );
    assert!(matches!(e, Error::Receipt { op: "lease", .. }));
    assert_eq!(
        msg(Receipt::from_json(
            r#"{"schema":"other","kind":"run","manifest_sha256":"x","status":"ok","proc_lease":{"summary":null,"active":null,"preemptions":null}}"#
        )),
        "receipt schema must be cohesix-receipt-v1"
    );
}
