//! Exact bytes of every payload the orchestrator writes (golden strings: compact JSON, the
//! key order of host-surface §1.6/§2.4, one line plus `\n` per write), and `bytes_written`
//! meaning the same on every backend.

mod orchestrator_support;

use cohesix::backend::{Backend, FilesystemBackend, TcpBackend, TcpOptions};
use cohesix::orchestrator::{ControlWriteResult, GpuLeaseRequest, RunOptions, TelemetryMode};
use cohesix::sim::{AuthToken, SimConfig, Simulator};
use cohesix::{
    ApprovalRequest, ExportRequest, HostTicket, K8sRbacIntent, K8sVerb, LeaseRequest, Orchestrator,
    ScheduleRequest,
};
use orchestrator_support::{mock, tempdir};

const SCHEDULE: &str =
    r#"{"id":"sched-edge-1","role":"worker-gpu","priority":6,"ticks":6,"budget_ms":180}"#;
const GRANT: &str = r#"{"op":"grant","id":"lease-edge-1","subject":"queen","resource":"gpu0","ttl_s":300,"priority":6}"#;
const RENEW: &str = r#"{"op":"renew","id":"lease-edge-1","ttl_s":120,"priority":3}"#;
const PREEMPT: &str = r#"{"op":"preempt","id":"lease-edge-1","reason":"maintenance"}"#;
const QUOTA: &str =
    r#"{"op":"quota","subject":"queen","resource":"gpu0","max_active":4,"max_preemptions":8}"#;
const OPEN: &str = r#"{"op":"open","id":"exp-1","ttl_s":60}"#;
const CLOSE: &str = r#"{"op":"close","id":"exp-1","reason":"done"}"#;
const APPROVE: &str = r#"{"id":"approve-1","target":"/queen/ctl","decision":"approve"}"#;
const DENY: &str = r#"{"id":"deny-1","target":"/host/systemd/agent/restart","decision":"deny"}"#;
const TICKET: &str = r#"{"schema":"host-ticket/v1","id":"t-1","idempotency_key":"k-1","action":"systemd.restart","target":"/host/systemd/agent/restart"}"#;
const TICKET_ARGS: &str = r#"{"schema":"host-ticket/v1","id":"t2","idempotency_key":"k2","action":"docker.stop","args":{"u":"w","n":2},"expires_unix_ms":9}"#;
const K8S_CORDON: &str = r#"{"schema":"host-ticket/v1","id":"intent-1","idempotency_key":"k8s1576de27","action":"k8s.cordon","args":{"node":"node-1"}}"#;

fn schedule() -> ScheduleRequest<'static> {
    ScheduleRequest::new("sched-edge-1", "worker-gpu")
        .priority(6)
        .ticks(6)
        .budget_ms(180)
}

fn leases() -> Vec<LeaseRequest<'static>> {
    vec![
        LeaseRequest::grant("lease-edge-1", "queen", "gpu0", 300).priority(6),
        LeaseRequest::renew("lease-edge-1", 120).priority(3),
        LeaseRequest::preempt("lease-edge-1", "maintenance"),
        LeaseRequest::quota("queen", "gpu0", 4, 8),
    ]
}

fn exports() -> Vec<ExportRequest<'static>> {
    vec![
        ExportRequest::open("exp-1", 60),
        ExportRequest::close("exp-1", "done"),
    ]
}

fn approvals() -> Vec<ApprovalRequest<'static>> {
    vec![
        ApprovalRequest::approve("approve-1", "/queen/ctl"),
        ApprovalRequest::deny("deny-1", "/host/systemd/agent/restart"),
    ]
}

fn file(root: &std::path::Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path.trim_start_matches('/'))).unwrap()
}

#[tokio::test]
async fn every_payload_type_is_written_byte_for_byte() {
    let dir = tempdir();
    let orch = Orchestrator::new(FilesystemBackend::new(dir.path()).unwrap());
    let w = orch.enqueue_schedule(&[schedule()]).await.unwrap();
    assert_eq!(
        w,
        [ControlWriteResult {
            path: "/queen/schedule/ctl".into(),
            payload: SCHEDULE.into(),
            bytes_written: SCHEDULE.len() + 1,
        }]
    );
    orch.apply_leases(&leases()).await.unwrap();
    orch.apply_exports(&exports()).await.unwrap();
    orch.queue_approvals(&approvals()).await.unwrap();
    let tickets = [
        HostTicket::new("t-1", "k-1", "systemd.restart").target("/host/systemd/agent/restart"),
        HostTicket::new("t2", "k2", "docker.stop")
            .arg("u", "w")
            .arg("n", 2u32)
            .expires_unix_ms(9),
    ];
    orch.enqueue_host_tickets(&tickets).await.unwrap();
    let intent = K8sRbacIntent::new("intent-1", "ops-user", "edge-a", "node-1", K8sVerb::Cordon)
        .reason("maint")
        .ttl_s(60);
    let w = orch.enqueue_k8s_rbac_tickets(&[intent]).await.unwrap();
    assert_eq!(w[0].payload, K8S_CORDON);
    assert_eq!(K8S_CORDON.len(), 122);

    let root = dir.path();
    assert_eq!(file(root, "/queen/schedule/ctl"), format!("{SCHEDULE}\n"));
    assert_eq!(
        file(root, "/queen/lease/ctl"),
        format!("{GRANT}\n{RENEW}\n{PREEMPT}\n{QUOTA}\n")
    );
    assert_eq!(
        file(root, "/queen/export/ctl"),
        format!("{OPEN}\n{CLOSE}\n")
    );
    assert_eq!(file(root, "/actions/queue"), format!("{APPROVE}\n{DENY}\n"));
    assert_eq!(
        file(root, "/host/tickets/spec"),
        format!("{TICKET}\n{TICKET_ARGS}\n{K8S_CORDON}\n")
    );
    assert_eq!(TICKET.len(), 128, "the longest line one ECHO carries");
    // One audit line per write, upstream's shape.
    let audit = orch.audit().lines();
    assert_eq!(audit.len(), 1 + 4 + 2 + 2 + 3);
    assert_eq!(
        audit[0],
        format!(
            "OK ECHO path=/queen/schedule/ctl bytes={}",
            SCHEDULE.len() + 1
        )
    );
}

#[tokio::test]
async fn telemetry_gpu_and_breadcrumb_lines_are_byte_exact() {
    let dir = tempdir();
    let root = dir.path();
    std::fs::create_dir_all(root.join("queen/telemetry/dev-1/seg")).unwrap();
    std::fs::write(root.join("queen/telemetry/dev-1/latest"), "seg-000001\n").unwrap();
    let orch = Orchestrator::new(FilesystemBackend::new(root).unwrap());
    let push = orch
        .telemetry_push("dev-1", b"hello \"q\"\n", "text/plain")
        .await
        .unwrap();
    assert_eq!(push.mode, TelemetryMode::Inline);
    assert_eq!(
        file(root, "/queen/telemetry/dev-1/ctl"),
        "{\"new\":\"segment\",\"mime\":\"text/plain\"}\n"
    );
    let rec = r#"{"schema":"cohsh-telemetry-push/v1","seq":1,"mime":"text/plain","payload":"hello \"q\"\n"}"#;
    assert_eq!(
        file(root, "/queen/telemetry/dev-1/seg/seg-000001"),
        format!("{rec}\n")
    );
    assert_eq!(push.bytes, rec.len() + 1);

    // Binary sources go by reference.
    std::fs::write(root.join("queen/telemetry/dev-1/latest"), "seg-000002\n").unwrap();
    let push = orch
        .telemetry_push("dev-1", b"\xff\xfebinary", "application/octet-stream")
        .await
        .unwrap();
    assert_eq!(push.mode, TelemetryMode::Reference);
    assert_eq!(
        file(root, "/queen/telemetry/dev-1/seg/seg-000002"),
        "{\"schema\":\"coh-ref-c/v1\",\"seq\":1,\"off\":0,\"len\":8,\"sha256\":\"VO_utgYa6MQr2Y1Z_a3TyyCw1wZql_jaIN2H6vTx8Xo\"}\n"
    );

    // A lease (spawn line, approval first) and a run (breadcrumbs).
    let req = GpuLeaseRequest::new("GPU-0")
        .priority(1)
        .budget(Some(120), Some(64))
        .approval("appr-1");
    let out = orch
        .gpu_lease_with_receipt(&req, &root.join("receipts/lease.json"))
        .await
        .unwrap();
    assert_eq!(out.writes.len(), 2);
    assert_eq!(
        file(root, "/queen/ctl"),
        "{\"spawn\":\"gpu\",\"lease\":{\"gpu_id\":\"GPU-0\",\"mem_mb\":4096,\"streams\":1,\"ttl_s\":120,\"priority\":1},\"budget\":{\"ttl_s\":120,\"ops\":64}}\n"
    );
    assert_eq!(
        file(root, "/actions/queue"),
        "{\"id\":\"appr-1\",\"target\":\"/queen/ctl\",\"decision\":\"approve\"}\n"
    );
    // The lease line of upstream's run_demo.coh fixture.
    std::fs::create_dir_all(root.join("gpu/GPU-0")).unwrap();
    std::fs::write(
        root.join("gpu/GPU-0/lease"),
        "{\"schema\":\"gpu-lease/v1\",\"state\":\"ACTIVE\",\"gpu_id\":\"GPU-0\",\"worker_id\":\"worker-1\",\"mem_mb\":1024,\"streams\":1,\"ttl_s\":60,\"priority\":1}\n",
    )
    .unwrap();
    let cmd = ["echo".to_owned(), "ok".to_owned()];
    let ran = orch
        .run_command_with_receipt(
            "GPU-0",
            &cmd,
            &root.join("receipts/run.json"),
            &RunOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(ran.exit_code, 0);
    assert_eq!(ran.stdout, b"ok\n");
    assert_eq!(
        file(root, "/gpu/GPU-0/status"),
        "{\"schema\":\"gpu-breadcrumb/v1\",\"event\":\"START\",\"command\":\"echo ok\",\"status\":\"RUNNING\"}\n\
         {\"schema\":\"gpu-breadcrumb/v1\",\"event\":\"EXIT\",\"command\":\"echo ok\",\"status\":\"OK\",\"exit_code\":0}\n"
    );
}

async fn write_everything<B: Backend>(orch: &Orchestrator<B>) -> Vec<ControlWriteResult> {
    let mut all = orch.queue_approvals(&approvals()[..1]).await.unwrap();
    all.extend(orch.enqueue_schedule(&[schedule()]).await.unwrap());
    all.extend(orch.apply_leases(&leases()[..1]).await.unwrap());
    all.extend(orch.apply_leases(&leases()[3..]).await.unwrap());
    all.extend(orch.apply_exports(&exports()).await.unwrap());
    all
}

#[tokio::test]
async fn bytes_written_is_the_line_plus_its_newline_on_every_backend() {
    let dir = tempdir();
    let fs = write_everything(&Orchestrator::new(
        FilesystemBackend::new(dir.path()).unwrap(),
    ))
    .await;
    let mock = write_everything(&Orchestrator::new(mock())).await;
    let mut config = SimConfig::loopback();
    config.token = AuthToken::new("golden-token");
    let sim = Simulator::spawn(config).await.unwrap();
    let addr = sim.local_addr();
    let options = TcpOptions::new(
        addr.ip().to_string(),
        addr.port(),
        cohesix::auth::Secret::new("golden-token"),
    );
    let tcp_orch = Orchestrator::new(TcpBackend::connect(&options).unwrap());
    let tcp = write_everything(&tcp_orch).await;
    tcp_orch.close().await.unwrap();
    sim.shutdown().await;
    assert_eq!(fs.len(), 6);
    assert_eq!(fs, mock);
    assert_eq!(fs, tcp);
    assert!(fs.iter().all(|w| w.bytes_written == w.payload.len() + 1));
}
