//! `cohesix::blocking::Orchestrator`: the same API without an executor, over the mock and
//! over TCP; batch errors keep their report; a dry run never reaches the runtime.

mod orchestrator_support;

use cohesix::backend::{MockOptions, TcpOptions};
use cohesix::blocking::Orchestrator;
use cohesix::discovery::BackendSpec;
use cohesix::orchestrator::{GpuLeaseRequest, Plan, RunOptions};
use cohesix::{ApprovalRequest, ErrorKind, LeaseRequest, ScheduleRequest};
use orchestrator_support::tempdir;

fn mock_spec() -> BackendSpec {
    BackendSpec::Mock(MockOptions::new().root(None))
}

#[test]
fn the_blocking_orchestrator_does_what_the_async_one_does() {
    let orch = Orchestrator::open(&mock_spec()).unwrap();
    // Requests built from runtime strings borrow them; nothing needs 'static.
    let id = String::from("sched-from-a-string");
    let w = orch
        .enqueue_schedule(&[ScheduleRequest::new(&id, "worker-gpu")
            .priority(1)
            .ticks(1)
            .budget_ms(5)])
        .unwrap();
    assert_eq!(w[0].bytes_written, w[0].payload.len() + 1);
    orch.apply_leases(&[LeaseRequest::grant("l-1", "queen", "gpu0", 30)])
        .unwrap();
    let snap = orch.read_proc_snapshot().unwrap();
    assert_eq!(snap.schedule_queue[0].id, id);
    assert_eq!(snap.lease_active.len(), 1);

    let plan = Plan::new().lease(LeaseRequest::renew("l-1", 90));
    let dry = orch.execute_plan(&plan, true).unwrap();
    assert!(dry.dry_run && dry.writes().is_empty() && dry.planned.len() == 1);
    let done = orch.execute_plan(&plan, false).unwrap();
    assert_eq!(done.lease_writes.len(), 1);
    assert_eq!(orch.read_proc_snapshot().unwrap().lease_active[0].ttl_s, 90);

    let push = orch
        .telemetry_push("device-1", b"blocking push\n", "text/plain")
        .unwrap();
    assert_eq!(push.seg_id, "seg-000002");

    let dir = tempdir();
    let lease = GpuLeaseRequest::new("GPU-0").approval("appr-b-1");
    let r = orch
        .gpu_lease_with_receipt(&lease, &dir.path().join("lease.json"))
        .unwrap();
    assert_eq!(r.receipt.status, "ok");
    let ran = orch
        .run_command_with_receipt(
            "GPU-0",
            &["true".to_owned()],
            &dir.path().join("run.json"),
            &RunOptions::default(),
        )
        .unwrap();
    assert_eq!(ran.exit_code, 0);
    assert_eq!(orch.target_manifest_sha256().unwrap(), None);

    // A refused batch keeps its report through the facade.
    let e = orch
        .queue_approvals(&[
            ApprovalRequest::approve("dup-1", "/queen/ctl"),
            ApprovalRequest::approve("dup-1", "/queen/ctl"),
        ])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Refused);
    let b = e.batch().unwrap();
    assert_eq!(b.report().count("committed"), 1);
    assert_eq!(b.report().count("refused"), 1);
    assert!(orch
        .audit()
        .lines()
        .iter()
        .any(|l| l.starts_with("ERR ECHO path=/actions/queue")));
    orch.close().unwrap();
}

#[test]
fn a_blocking_dry_run_never_connects() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let spec = BackendSpec::Tcp(TcpOptions::new(
        "127.0.0.1",
        port,
        cohesix::auth::Secret::new("t0ken"),
    ));
    let orch = Orchestrator::open(&spec).unwrap();
    let plan = Plan::new()
        .approval(ApprovalRequest::approve("a-1", "/queen/ctl"))
        .lease(LeaseRequest::grant("l-1", "queen", "gpu0", 30));
    let dry = orch.execute_plan(&plan, true).unwrap();
    assert_eq!(dry.planned.len(), 2);
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(
        listener.accept().unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock
    );
}

#[tokio::test]
async fn blocking_calls_work_from_spawn_blocking_and_even_from_an_async_task() {
    // A current-thread test runtime: the facade's work runs on its own thread, so neither
    // spawn_blocking nor a call from this task (which blocks it) can deadlock or panic.
    let orch = Orchestrator::open(&mock_spec()).unwrap();
    let orch = std::sync::Arc::new(orch);
    let o = orch.clone();
    let snap = tokio::task::spawn_blocking(move || o.read_proc_snapshot())
        .await
        .unwrap()
        .unwrap();
    assert!(snap.schedule_summary.is_some());
    assert!(orch.read_proc_snapshot().is_ok());
    let plan = Plan::new().lease(LeaseRequest::renew("l-1", 90));
    assert!(orch.execute_plan(&plan, true).unwrap().dry_run);
    drop(orch);
}

#[test]
fn a_blocking_call_on_the_runtime_thread_itself_is_refused() {
    let rt = cohesix::blocking::Runtime::new().unwrap();
    let inner = rt.clone();
    let e = rt
        .block_on(async move { inner.block_on(async {}).unwrap_err() })
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("runtime thread itself"), "{e}");
}
