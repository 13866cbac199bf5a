//! Batch accounting through the real console path: a proxy in front of the simulator
//! refuses line k, or drops the connection after forwarding line k and before its ack.
//! Lines 1..k-1 are reported committed, line k refused (with its ERR line) or unknown,
//! k+1..n not written; nothing is re-sent; a dry run opens no connection.

mod orchestrator_support;
#[path = "orchestrator_support/plan.rs"]
mod plan;

use std::sync::atomic::Ordering;
use std::time::Duration;

use cohesix::backend::{TcpBackend, TcpOptions};
use cohesix::orchestrator::{LineOutcome, Plan, PlanExecution};
use cohesix::{Error, ErrorKind, ExportRequest, LeaseRequest, Orchestrator, ScheduleRequest};
use orchestrator_support::{faulty_backend, sim, sim_lines, Fault};

fn grants(ids: &[&'static str]) -> Vec<LeaseRequest<'static>> {
    ids.iter()
        .map(|id| LeaseRequest::grant(id, "queen", "gpu0", 60).priority(2))
        .collect()
}

#[tokio::test]
async fn a_refused_line_k_keeps_the_committed_prefix_and_writes_nothing_after() {
    let core = sim();
    let (backend, counters) = faulty_backend(&core, Fault::Refuse { nth: 3 });
    let orch = Orchestrator::new(backend);
    let ids = ["lease-1", "lease-2", "lease-3", "lease-4", "lease-5"];
    let err = orch.apply_leases(&grants(&ids)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Refused);
    let b = err.batch().expect("a batch error");
    let outcomes: Vec<&str> = b.report().lines.iter().map(|l| l.outcome.label()).collect();
    assert_eq!(
        outcomes,
        [
            "committed",
            "committed",
            "refused",
            "not-written",
            "not-written"
        ]
    );
    let first = &b.report().lines[0];
    assert_eq!(
        first.outcome,
        LineOutcome::Committed {
            bytes_written: first.payload.len() + 1
        }
    );
    match &b.failed_line().unwrap().outcome {
        LineOutcome::Refused { ack: Some(ack) } => assert_eq!(
            ack.raw(),
            "ERR ECHO reason=policy detail=denied path=/queen/lease/ctl error=EPERM"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(b.committed().len(), 2);
    assert_eq!(
        err.refusal().map(|a| a.field("detail")),
        Some(Some("denied"))
    );
    assert_eq!(
        err.to_string(),
        "control line 3 of 5 for /queen/lease/ctl refused: ECHO failed: ERR ECHO reason=policy \
         detail=denied path=/queen/lease/ctl error=EPERM; 2 committed before it, 2 not written"
    );
    // Exactly what the report says reached the target.
    let active = sim_lines(&core, "/proc/lease/active");
    assert_eq!(active.len(), 2, "{active:?}");
    assert!(active[0].starts_with("id=lease-1 ") && active[1].starts_with("id=lease-2 "));
    assert_eq!(counters.echoes_seen.load(Ordering::SeqCst), 3);
    let audit = orch.audit().lines();
    assert_eq!(audit.len(), 3, "{audit:?}");
    assert!(audit[0].starts_with("OK ECHO path=/queen/lease/ctl bytes="));
    assert!(audit[2].starts_with("ERR ECHO path=/queen/lease/ctl outcome=refused ack=ERR ECHO"));
}

#[tokio::test]
async fn a_dropped_ack_is_unknown_and_never_resent() {
    let core = sim();
    let (backend, counters) = faulty_backend(&core, Fault::DropBeforeAck { nth: 2 });
    let orch = Orchestrator::new(backend);
    let reqs = [
        ScheduleRequest::new("sched-1", "worker-gpu")
            .priority(1)
            .ticks(1)
            .budget_ms(10),
        ScheduleRequest::new("sched-2", "worker-gpu")
            .priority(1)
            .ticks(1)
            .budget_ms(10),
        ScheduleRequest::new("sched-3", "worker-gpu")
            .priority(1)
            .ticks(1)
            .budget_ms(10),
        ScheduleRequest::new("sched-4", "worker-gpu")
            .priority(1)
            .ticks(1)
            .budget_ms(10),
    ];
    let err = orch.enqueue_schedule(&reqs).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unknown);
    let b = err.batch().unwrap();
    let outcomes: Vec<&str> = b.report().lines.iter().map(|l| l.outcome.label()).collect();
    assert_eq!(
        outcomes,
        ["committed", "unknown", "not-written", "not-written"]
    );
    assert!(
        matches!(b.cause(), Error::OutcomeUnknown { .. }),
        "{:?}",
        b.cause()
    );
    assert!(!b.failed_line().unwrap().outcome.is_not_applied());
    // The target did apply line 2: "unknown" was the honest answer.
    let queue = sim_lines(&core, "/proc/schedule/queue");
    assert_eq!(queue.len(), 2, "{queue:?}");
    assert!(queue[1].starts_with("id=sched-2 "));
    // The console reconnects for the next call; line 2 is not sent again.
    let snap = orch.read_proc_snapshot().await.unwrap();
    assert_eq!(snap.schedule_queue.len(), 2);
    assert_eq!(counters.echoes_seen.load(Ordering::SeqCst), 2);
    assert_eq!(counters.echoes_forwarded.load(Ordering::SeqCst), 2);
    assert_eq!(counters.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_plan_stops_across_phases_and_reports_the_rest_as_not_written() {
    let core = sim();
    let (backend, counters) = faulty_backend(&core, Fault::Refuse { nth: 6 });
    let orch = Orchestrator::new(backend);
    let err = orch
        .execute_plan(&plan::nine_line_plan(), false)
        .await
        .unwrap_err();
    let b = err.batch().unwrap();
    let report = b.report();
    assert_eq!(report.lines.len(), 9);
    assert_eq!(report.stopped_at(), Some(5));
    assert_eq!(report.lines[5].path, "/queen/lease/ctl");
    assert_eq!(report.count("committed"), 5);
    assert_eq!(report.count("not-written"), 3);
    let done = PlanExecution::from_report(report);
    assert_eq!(done.approval_writes.len(), 1);
    assert_eq!(done.schedule_writes.len(), 3);
    assert_eq!(done.lease_writes.len(), 1);
    assert!(done.export_writes.is_empty());
    assert_eq!(counters.echoes_seen.load(Ordering::SeqCst), 6);
    assert!(sim_lines(&core, "/proc/lease/active")[0].starts_with("id=l-1 "));

    // Without a fault the whole plan goes through, in phase order.
    let core = sim();
    let (backend, _) = faulty_backend(&core, Fault::None);
    let orch = Orchestrator::new(backend);
    let done = orch
        .execute_plan(&plan::nine_line_plan(), false)
        .await
        .unwrap();
    assert!(!done.dry_run && done.planned.is_empty());
    let paths: Vec<&str> = done.writes().iter().map(|w| w.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/actions/queue",
            "/queen/schedule/ctl",
            "/queen/schedule/ctl",
            "/queen/schedule/ctl",
            "/queen/lease/ctl",
            "/queen/lease/ctl",
            "/queen/lease/ctl",
            "/queen/export/ctl",
            "/queen/export/ctl",
        ]
    );
    assert!(done
        .writes()
        .iter()
        .all(|w| w.bytes_written == w.payload.len() + 1));
}

#[tokio::test]
async fn a_dry_run_touches_nothing_and_opens_no_connection() {
    let core = sim();
    let (backend, counters) = faulty_backend(&core, Fault::None);
    let orch = Orchestrator::new(backend);
    let plan = plan::nine_line_plan();
    let done = orch.execute_plan(&plan, true).await.unwrap();
    assert!(done.dry_run);
    assert!(done.writes().is_empty());
    assert_eq!(done.planned, plan.prepare().unwrap());
    assert_eq!(done.planned.len(), 9);
    assert_eq!(
        done.planned[1].payload,
        r#"{"id":"s-1","role":"worker-gpu","priority":1,"ticks":2,"budget_ms":50}"#
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(counters.connections.load(Ordering::SeqCst), 0);
    assert!(orch.audit().is_empty());
    assert!(sim_lines(&core, "/proc/schedule/queue").is_empty());

    // Over real TCP: nothing even connects to the listener.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let options = TcpOptions::new("127.0.0.1", port, cohesix::auth::Secret::new("t0ken"));
    let orch = Orchestrator::new(TcpBackend::connect(&options).unwrap());
    orch.execute_plan(&plan, true).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let e = listener.accept().unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
    assert!(!orch.backend().console().is_connected());

    // A dry run still validates.
    let bad = Plan::new().lease(LeaseRequest::renew("l-1", 0));
    let e = orch.execute_plan(&bad, true).await.unwrap_err();
    assert_eq!(e.to_string(), "ttl_s must be > 0");
}

#[tokio::test]
async fn an_invalid_line_anywhere_in_a_plan_writes_nothing() {
    let core = sim();
    let (backend, counters) = faulty_backend(&core, Fault::None);
    let orch = Orchestrator::new(backend);
    let mut plan = plan::nine_line_plan();
    plan.exports.push(ExportRequest::close("exp-2", "not ok"));
    let e = orch.execute_plan(&plan, false).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Caller);
    assert_eq!(
        e.to_string(),
        "reason must use ASCII token characters [A-Za-z0-9._-]"
    );
    assert_eq!(counters.echoes_seen.load(Ordering::SeqCst), 0);
    assert!(sim_lines(&core, "/actions/queue").is_empty());
}

#[tokio::test]
async fn a_line_that_cannot_be_sent_is_failed_not_unknown() {
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let options = TcpOptions::new("127.0.0.1", port, cohesix::auth::Secret::new("t0ken"))
        .timeout(Duration::from_millis(200))
        .max_retries(0);
    let orch = Orchestrator::new(TcpBackend::connect(&options).unwrap());
    let err = orch
        .apply_leases(&grants(&["lease-1", "lease-2"]))
        .await
        .unwrap_err();
    let b = err.batch().unwrap();
    let outcomes: Vec<&str> = b.report().lines.iter().map(|l| l.outcome.label()).collect();
    assert_eq!(outcomes, ["failed", "not-written"]);
    assert!(b.report().lines.iter().all(|l| l.outcome.is_not_applied()));
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(b.committed().is_empty());
}
