//! Receipts (`cohesix-receipt-v1`): written on success and on failure, sorted keys, 2-space
//! indent, trailing newline, read back equal; the target's manifest hash where offered.

mod orchestrator_support;

use cohesix::backend::FilesystemBackend;
use cohesix::orchestrator::{GpuLeaseRequest, Receipt, RunOptions, RECEIPT_SCHEMA};
use cohesix::{LeaseRequest, Orchestrator};
use cohesix_core::control::{
    BreadcrumbEvent, BreadcrumbStatus, GpuBreadcrumb, GpuLease, GpuLeaseState,
};
use orchestrator_support::{mock, tempdir};

fn keys_in_order(text: &str, keys: &[&str]) {
    let pos: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(&format!("\n  \"{k}\": "))
                .unwrap_or_else(|| panic!("{k} missing in {text}"))
        })
        .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[tokio::test]
async fn a_lease_and_a_run_on_the_mock_round_trip() {
    let dir = tempdir();
    let orch = Orchestrator::new(mock());
    orch.apply_leases(&[LeaseRequest::grant("l-1", "queen", "gpu0", 300).priority(6)])
        .await
        .unwrap();
    let lease_out = dir.path().join("lease.json");
    let req = GpuLeaseRequest::new("GPU-0")
        .mem_mb(2048)
        .priority(2)
        .approval("appr-lease-1");
    let done = orch.gpu_lease_with_receipt(&req, &lease_out).await.unwrap();
    let r = &done.receipt;
    assert_eq!(r.schema, RECEIPT_SCHEMA);
    assert_eq!((r.kind.as_str(), r.status.as_str()), ("gpu-lease", "ok"));
    assert_eq!(r.manifest_sha256, cohesix_generated::MANIFEST_SHA256);
    assert_eq!(
        r.target_manifest_sha256, None,
        "the simulator has no /proc/boot"
    );
    let ack = r.ack.as_deref().unwrap();
    assert!(ack.starts_with("OK ECHO path=/queen/ctl bytes="), "{ack}");
    let request = r.request.as_ref().unwrap();
    assert_eq!((request.mem_mb, request.priority), (2048, 2));
    let entries = r.proc_lease.active_entries.as_ref().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].id.as_str(), entries[0].state.as_str()),
        ("l-1", "ACTIVE")
    );
    assert_eq!(done.writes.len(), 2);

    let text = std::fs::read_to_string(&lease_out).unwrap();
    assert!(
        text.ends_with("}\n") && text.starts_with("{\n  \"ack\": "),
        "{text}"
    );
    keys_in_order(
        &text,
        &[
            "ack",
            "kind",
            "manifest_sha256",
            "proc_lease",
            "request",
            "schema",
            "status",
        ],
    );
    assert!(!text.contains("\"error\""), "top-level nulls are omitted");
    assert_eq!(Receipt::read(&lease_out).unwrap(), *r);
    assert_eq!(Receipt::from_json(&r.to_json().unwrap()).unwrap(), *r);

    // The simulator leased GPU-0 to a worker: the run may go ahead.
    let lease_doc = {
        use cohesix::Backend;
        orch.backend().read("/gpu/GPU-0/lease", 1024).await.unwrap()
    };
    let lease = GpuLease::decode_last(&lease_doc).unwrap().unwrap();
    assert_eq!(lease.state, GpuLeaseState::Active);
    assert_eq!((lease.mem_mb, lease.priority), (2048, 2));

    let run_out = dir.path().join("run.json");
    let cmd = [
        "sh".to_owned(),
        "-c".to_owned(),
        "echo leased; exit 3".to_owned(),
    ];
    let ran = orch
        .run_command_with_receipt("GPU-0", &cmd, &run_out, &RunOptions::default())
        .await
        .unwrap();
    assert_eq!(ran.exit_code, 3);
    assert_eq!(ran.stdout, b"leased\n");
    let r = &ran.receipt;
    assert_eq!((r.kind.as_str(), r.status.as_str()), ("run", "err"));
    assert_eq!(r.error.as_deref(), Some("command exited with code 3"));
    assert_eq!(r.command.as_deref(), Some(&cmd[..]));
    let acks = r.acks.as_ref().unwrap();
    assert_eq!(acks[0], "OK CAT path=/gpu/GPU-0/lease");
    assert!(acks[1].starts_with("OK ECHO path=/gpu/GPU-0/status bytes="));
    assert!(acks[2].starts_with("OK ECHO path=/gpu/GPU-0/status bytes="));
    assert!(r.proc_lease.active_entries.is_none());
    let text = std::fs::read_to_string(&run_out).unwrap();
    keys_in_order(
        &text,
        &[
            "acks",
            "command",
            "error",
            "gpu_id",
            "kind",
            "manifest_sha256",
            "proc_lease",
            "schema",
            "status",
        ],
    );
    assert!(!text.contains("active_entries"));
    assert_eq!(Receipt::read(&run_out).unwrap(), *r);
    // The status node holds START and EXIT with the real exit code.
    let status = {
        use cohesix::Backend;
        orch.backend()
            .read("/gpu/GPU-0/status", 4096)
            .await
            .unwrap()
    };
    let crumbs: Vec<GpuBreadcrumb<'_>> = status
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| GpuBreadcrumb::decode(l).unwrap())
        .collect();
    assert_eq!(crumbs.len(), 2);
    assert_eq!(crumbs[0].event, BreadcrumbEvent::Start);
    assert!(crumbs[0].command.eq_str("sh -c echo leased; exit 3"));
    assert_eq!(
        (crumbs[1].event, crumbs[1].status, crumbs[1].exit_code),
        (BreadcrumbEvent::Exit, BreadcrumbStatus::Failed, Some(3))
    );
}

#[tokio::test]
async fn a_refused_lease_still_writes_its_receipt() {
    let dir = tempdir();
    let orch = Orchestrator::new(mock());
    let out = dir.path().join("nested/lease.json");
    // The 0.9 policy gates /queen/ctl: without an approval the spawn is refused.
    let e = orch
        .gpu_lease_with_receipt(&GpuLeaseRequest::new("GPU-1"), &out)
        .await
        .unwrap_err();
    assert!(e.batch().is_some());
    assert!(e.to_string().contains("error=EPERM"), "{e}");
    let r = Receipt::read(&out).unwrap();
    assert_eq!(r.status, "err");
    assert!(r.error.as_deref().unwrap().contains("EPERM"));
    assert!(r.error.as_deref().unwrap().len() <= 256);
    let ack = r.ack.unwrap();
    assert!(
        ack.starts_with("ERR ECHO path=/queen/ctl outcome=refused ack=ERR ECHO"),
        "{ack}"
    );
    assert_eq!(r.request.unwrap().priority, 0, "unset priority shows 0");
    assert_eq!(r.proc_lease.active, Some(vec![]));
    // Without a lease a run is refused before anything runs, with a receipt too.
    let run = dir.path().join("run.json");
    let cmd = ["true".to_owned()];
    let e = orch
        .run_command_with_receipt("GPU-1", &cmd, &run, &RunOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "gpu GPU-1 has no lease");
    assert_eq!(
        Receipt::read(&run).unwrap().error.as_deref(),
        Some("gpu GPU-1 has no lease")
    );
}

#[tokio::test]
async fn the_targets_manifest_hash_comes_from_proc_boot() {
    let dir = tempdir();
    let root = dir.path();
    std::fs::create_dir_all(root.join("proc/lease")).unwrap();
    let ours = cohesix_generated::MANIFEST_SHA256;
    std::fs::write(
        root.join("proc/boot"),
        format!("[bi] node=queen manifest.sha256={ours} untyped=64\n"),
    )
    .unwrap();
    let orch = Orchestrator::new(FilesystemBackend::new(root).unwrap());
    assert_eq!(orch.target_manifest_sha256().await.as_deref(), Some(ours));
    let done = orch
        .gpu_lease_with_receipt(&GpuLeaseRequest::new("GPU-0"), &root.join("r.json"))
        .await
        .unwrap();
    assert_eq!(done.receipt.manifest_matches(), Some(true));
    // Unreadable /proc/lease nodes are null, not an error.
    assert_eq!(done.receipt.proc_lease.summary, None);
    assert!(std::fs::read_to_string(root.join("r.json"))
        .unwrap()
        .contains("\"summary\": null"));
    let other = "ab".repeat(32);
    std::fs::write(root.join("proc/boot"), format!("manifest.sha256={other}\n")).unwrap();
    let done = orch
        .gpu_lease_with_receipt(&GpuLeaseRequest::new("GPU-0"), &root.join("r.json"))
        .await
        .unwrap();
    assert_eq!(
        done.receipt.target_manifest_sha256.as_deref(),
        Some(other.as_str())
    );
    assert_eq!(done.receipt.manifest_matches(), Some(false));
    std::fs::write(root.join("proc/boot"), "manifest.sha256=short\n").unwrap();
    assert_eq!(orch.target_manifest_sha256().await, None);
}
