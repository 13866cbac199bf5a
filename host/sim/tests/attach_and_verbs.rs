//! ATTACH (roles, tickets, throttle, rate limiter) and verb reply shapes over TCP.

mod common;

use cohesix_core::role::Role;
use cohesix_core::ticket::{self, Claims, TicketKey, MAX_TICKET_LEN};
use cohesix_sim::Features;
use common::{start, Client};

fn mint(role: Role, subject: Option<&str>, secret: &str) -> String {
    let claims = Claims::for_role(role, subject, 1_700_000_000_000).unwrap();
    let mut out = [0u8; MAX_TICKET_LEN];
    ticket::mint(
        &claims,
        &TicketKey::from_secret(secret.as_bytes()),
        &mut out,
    )
    .unwrap()
    .to_string()
}

#[tokio::test]
async fn throttle_and_rate_limit_timeline_of_spec_8_6_survives_reconnects() {
    let (sim, clock) = start(Features::shipped()).await;
    let bad = format!(
        "ATTACH worker-heartbeat {}",
        mint(Role::WorkerHeartbeat, Some("w1"), "nope")
    );
    let mut c = Client::connect_fresh(&sim).await;
    let steps: [(u64, &str); 3] = [
        (0, "ERR ATTACH reason=policy detail=denied"),
        (100, "ERR ATTACH reason=quota detail=throttled delay_ms=150"),
        (300, "ERR ATTACH reason=policy detail=denied"),
    ];
    for (t, want) in steps {
        clock.set(t);
        assert_eq!(c.cmd(&bad).await, want, "t={t}");
    }
    // Reconnect: the guard is server-wide.
    assert_eq!(c.cmd("quit").await, "OK QUIT");
    let mut c = Client::connect_fresh(&sim).await;
    let steps: [(u64, &str); 3] = [
        (
            900,
            "ERR ATTACH reason=quota detail=rate-limited delay_ms=90000",
        ),
        (
            1000,
            "ERR ATTACH reason=quota detail=rate-limited delay_ms=89900",
        ),
        (91_000, "ERR ATTACH reason=policy detail=denied"),
    ];
    for (t, want) in steps {
        clock.set(t);
        assert_eq!(c.cmd(&bad).await, want, "t={t}");
    }
    clock.set(91_500);
    assert_eq!(
        c.cmd("ATTACH queen").await,
        "ERR ATTACH reason=quota detail=throttled delay_ms=500",
        "the throttle applies to every role"
    );
    clock.set(92_000);
    assert_eq!(c.cmd("ATTACH queen").await, "OK ATTACH role=queen");
    clock.set(92_001);
    assert_eq!(
        c.cmd(&bad).await,
        "ERR ATTACH reason=policy detail=denied",
        "success reset both"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn queen_attach_is_accepted_while_rate_limited() {
    let (sim, clock) = start(Features::shipped()).await;
    let mut c = Client::connect_fresh(&sim).await;
    for (i, t) in [0u64, 1000, 3000].iter().enumerate() {
        clock.set(*t);
        let r = c.cmd("ATTACH worker-gpu").await;
        if i < 2 {
            assert_eq!(r, "ERR ATTACH reason=policy detail=denied");
        } else {
            assert_eq!(
                r,
                "ERR ATTACH reason=quota detail=rate-limited delay_ms=90000"
            );
        }
    }
    clock.set(4000);
    assert_eq!(c.cmd("ATTACH queen ").await, "OK ATTACH role=queen");
    sim.shutdown().await;
}

#[tokio::test]
async fn roles_tickets_and_reattach() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::connect_fresh(&sim).await;
    assert_eq!(
        c.cmd("ATTACH").await,
        "ERR PARSE reason=policy detail=missing required argument: role"
    );
    assert_eq!(
        c.cmd("ATTACH king").await,
        "ERR ATTACH reason=policy detail=invalid-role"
    );
    let hb = mint(Role::WorkerHeartbeat, Some("worker-1"), "worker");
    assert_eq!(
        c.cmd(&format!("attach worker {hb}")).await,
        "OK ATTACH role=worker-heartbeat"
    );
    let gpu = mint(Role::WorkerGpu, Some("gpu-1"), "worker-gpu");
    assert_eq!(
        c.cmd(&format!("ATTACH worker-gpu {gpu}")).await,
        "OK ATTACH role=worker-gpu"
    );
    // Role mismatch: a heartbeat ticket for worker-gpu.
    assert_eq!(
        c.cmd(&format!("ATTACH worker-gpu {hb}")).await,
        "ERR ATTACH reason=policy detail=denied"
    );
    let queen_ticket = mint(Role::Queen, None, "bootstrap");
    // The manual clock has not moved, so the denial above still throttles the next ATTACH.
    assert_eq!(
        c.cmd(&format!("ATTACH queen {queen_ticket}")).await,
        "ERR ATTACH reason=quota detail=throttled delay_ms=250"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn expired_ticket_from_regression_script_and_scoped_session() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::connect_fresh(&sim).await;
    let expired = "cohesix-ticket-0100040000000000000000000000000000000000000000.e9b8bc4e26e2f06725347bdd8983fb3efc170658fc6af53cabb746bef58deddb";
    assert_eq!(
        c.cmd(&format!("ATTACH queen {expired}")).await,
        "ERR ATTACH reason=quota detail=expired"
    );
    assert_eq!(
        c.cmd(&format!("ATTACH queen {expired}")).await,
        "ERR ATTACH reason=quota detail=expired"
    );
    let scoped = "cohesix-ticket-0100300000000000000000000000000304002f6c6f67000100000006002f717565656e010000000006002f7368617264010000000000000000000000000000000001000000.0c714a86a89a2abc049395e486dbd2a8ce6ba7076ce508a02431a22319629672";
    assert_eq!(
        c.cmd(&format!("ATTACH queen {scoped}")).await,
        "OK ATTACH role=queen"
    );
    assert_eq!(
        c.cmd("ECHO /log/queen.log forbidden").await,
        "ERR ECHO reason=policy path=/log/queen.log error=EPERM"
    );
    let (ack, _) = c.stream_cmd("CAT /log/queen.log").await;
    assert!(ack.starts_with("OK CAT path=/log/queen.log data="));
    assert_eq!(
        c.cmd("CAT /log/queen.log").await,
        "ERR CAT reason=quota path=/log/queen.log error=ELIMIT"
    );
    assert_eq!(
        c.cmd("LS /proc").await,
        "ERR LS reason=policy path=/proc error=EPERM"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn worker_echo_is_denied_outside_bus_and_lora() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::connect_fresh(&sim).await;
    let hb = mint(Role::WorkerHeartbeat, Some("worker-1"), "worker");
    assert_eq!(
        c.cmd(&format!("ATTACH worker-heartbeat {hb}")).await,
        "OK ATTACH role=worker-heartbeat"
    );
    assert_eq!(
        c.cmd("ECHO /log/queen.log hi").await,
        "ERR ECHO reason=policy detail=denied"
    );
    assert_eq!(
        c.cmd("ECHO /host/systemd/cohesix-agent.service/restart restart")
            .await,
        "ERR ECHO reason=policy detail=denied"
    );
    let (ack, lines) = c.stream_cmd("LS /log").await;
    assert_eq!(
        (ack.as_str(), lines),
        ("OK LS path=/log entries=1", vec!["queen.log".to_string()])
    );
    assert_eq!(
        c.cmd("LOG").await,
        "ERR LOG reason=policy detail=unauthenticated"
    );
    assert_eq!(
        c.cmd("SPAWN {}").await,
        "ERR SPAWN reason=policy detail=unauthenticated"
    );
    assert_eq!(
        c.cmd("KILL worker-1").await,
        "ERR KILL reason=policy detail=unauthenticated"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn second_attach_replaces_the_role() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::connect_fresh(&sim).await;
    let hb = mint(Role::WorkerHeartbeat, Some("worker-1"), "worker");
    assert_eq!(
        c.cmd(&format!("ATTACH worker {hb}")).await,
        "OK ATTACH role=worker-heartbeat"
    );
    assert_eq!(
        c.cmd("LOG").await,
        "ERR LOG reason=policy detail=unauthenticated"
    );
    assert_eq!(c.cmd("ATTACH queen").await, "OK ATTACH role=queen");
    let (ack, _) = c.stream_cmd("LOG").await;
    assert_eq!(ack, "OK LOG");
    assert_eq!(
        c.cmd("ECHO /log/queen.log ok").await,
        "OK ECHO path=/log/queen.log bytes=2"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn worker_attach_is_gated_by_lifecycle() {
    let (sim, _) = start(Features::shipped()).await;
    let mut q = Client::queen(&sim).await;
    assert_eq!(
        q.cmd("ECHO /queen/lifecycle/ctl cordon").await,
        "OK ECHO path=/queen/lifecycle/ctl bytes=6"
    );
    let hb = mint(Role::WorkerHeartbeat, Some("worker-1"), "worker");
    assert_eq!(
        q.cmd(&format!("ATTACH worker {hb}")).await,
        "ERR ATTACH reason=policy detail=lifecycle-denied state=DRAINING"
    );
    assert_eq!(
        q.cmd(r#"ECHO /queen/ctl {"spawn":"heartbeat","ticks":3}"#)
            .await,
        "ERR ECHO reason=policy detail=denied path=/queen/ctl error=EPERM"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn pre_attach_refusals_and_parse_errors() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::connect_fresh(&sim).await;
    for v in [
        "LS /",
        "CAT /log/queen.log",
        "TAIL /log/queen.log",
        "ECHO /log/queen.log x",
        "LOG",
    ] {
        let label = v.split(' ').next().unwrap();
        assert_eq!(
            c.cmd(v).await,
            format!("ERR {label} reason=policy detail=unauthenticated")
        );
    }
    assert_eq!(
        c.cmd("SPAWN {}").await,
        "ERR SPAWN reason=policy detail=unauthenticated"
    );
    assert_eq!(
        c.cmd("bogus").await,
        "ERR PARSE reason=policy detail=unsupported console command"
    );
    assert_eq!(
        c.cmd("").await,
        "ERR PARSE reason=policy detail=empty command"
    );
    assert_eq!(
        c.cmd("ping\n").await,
        "ERR PARSE reason=policy detail=empty command"
    );
    assert_eq!(
        c.cmd("tail").await,
        "ERR PARSE reason=policy detail=missing required argument: path"
    );
    assert_eq!(
        c.cmd("test").await,
        "ERR TEST reason=policy detail=host-only"
    );
    let long = format!("cat /{}", "a".repeat(96));
    assert_eq!(
        c.cmd(&long).await,
        "ERR PARSE reason=policy detail=argument path exceeds allowed length"
    );
    assert_eq!(c.cmd("ATTACH queen").await, "OK ATTACH role=queen");
    assert_eq!(
        c.cmd(&format!("echo /log/queen.log {}", "b".repeat(129)))
            .await,
        "ERR PARSE reason=policy detail=argument payload exceeds allowed length"
    );
    assert_eq!(
        c.cmd("echo /log/queen.log   ").await,
        "ERR PARSE reason=policy detail=missing required argument: payload"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn path_refusal_shapes() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::queen(&sim).await;
    for p in [
        "/nope",
        "/log/",
        "//log",
        "/log/../log/queen.log",
        "relative",
        "/proc/boot",
        "/kmesg",
    ] {
        assert_eq!(
            c.cmd(&format!("CAT {p}")).await,
            format!("ERR CAT reason=policy detail=invalid-path path={p} error=invalid path")
        );
    }
    assert_eq!(
        c.cmd("TAIL /proc/lifecycle/state").await,
        "ERR TAIL reason=policy detail=invalid-path path=/proc/lifecycle/state"
    );
    assert_eq!(
        c.cmd("LS /log/queen.log").await,
        "ERR LS reason=policy detail=invalid-path path=/log/queen.log error=invalid path"
    );
    assert_eq!(
        c.cmd("LS /shard").await,
        "ERR LS reason=quota detail=buffer-full path=/shard error=buffer full"
    );
    assert_eq!(
        c.cmd("ECHO hello > /log/queen.log").await,
        "ERR ECHO reason=policy detail=invalid-path path=hello error=invalid path"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn multi_line_replies_without_end() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::connect_fresh(&sim).await;
    let help = c.until_pong("HELP").await;
    assert_eq!(help[0], "OK HELP");
    assert_eq!(help.len(), 9);
    assert_eq!(help[1], "Commands:");
    let bi = c.until_pong("bi").await;
    assert_eq!(bi.len(), 2);
    assert_eq!(bi[0], "OK BOOTINFO");
    assert!(bi[1].starts_with("[bi] "));
    assert!(c.until_pong("caps").await[1].starts_with("[caps] "));
    assert!(c.until_pong("mem").await[1].starts_with("[mem] "));
    let ns = c.until_pong("netstats").await;
    assert_eq!(ns.len(), 6);
    assert!(ns[1..5].iter().all(|l| l.starts_with("netstats: ")));
    assert!(ns[5].starts_with("nettest: "));
    assert_eq!(c.until_pong("cachelog").await.len(), 9);
    assert_eq!(c.until_pong("cachelog 3").await.len(), 4);
    assert_eq!(
        c.until_pong("nettest").await,
        vec!["OK NETTEST", "[net-selftest] triggered"]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn streams_preview_and_tail_cursor() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::queen(&sim).await;
    for b in ["batch-1", "batch-2", "batch-3"] {
        assert_eq!(
            c.cmd(&format!("ECHO /log/queen.log  {b} ")).await,
            "OK ECHO path=/log/queen.log bytes=7"
        );
    }
    let (ack, lines) = c.stream_cmd("CAT /log/queen.log").await;
    assert!(ack.contains("batch-1|batch-2|batch-3"), "{ack}");
    assert!(lines.is_empty(), "CAT of the queen log has no body lines");
    let (ack, lines) = c.stream_cmd("CAT /gpu/GPU-0/info").await;
    assert!(ack.starts_with("OK CAT path=/gpu/GPU-0/info data="));
    assert_eq!(lines.len(), 8);
    let (ack, first) = c.stream_cmd("TAIL /log/queen.log").await;
    assert_eq!(ack, "OK TAIL path=/log/queen.log");
    assert!(first.contains(&"batch-3".to_string()));
    c.cmd("ECHO /log/queen.log later").await;
    let (_, second) = c.stream_cmd("TAIL /log/queen.log").await;
    assert_eq!(second, vec!["later"]);
    let (ack, log) = c.stream_cmd("LOG").await;
    assert_eq!(ack, "OK LOG");
    assert!(log.len() <= 64 && log.contains(&"later".to_string()));
    let (ack, lines) = c.stream_cmd("ls /").await;
    assert_eq!(ack, "OK LS path=/ entries=10");
    assert_eq!(lines[0], "gpu");
    sim.shutdown().await;
}

#[tokio::test]
async fn spawn_and_kill_verbs_ack_first_then_error() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::queen(&sim).await;
    assert_eq!(
        c.cmd("SPAWN heartbeat ticks=3").await,
        "OK SPAWN payload=heartbeat ticks=3"
    );
    assert_eq!(
        c.recv().await,
        "ERR SPAWN reason=policy detail=invalid-payload error=invalid payload"
    );
    assert_eq!(
        c.cmd(r#"SPAWN {"spawn":"heartbeat","ticks":3}"#).await,
        r#"OK SPAWN payload={"spawn":"heartbeat","ticks":3}"#
    );
    assert_eq!(c.cmd("KILL worker-999").await, "OK KILL id=worker-999");
    assert_eq!(
        c.recv().await,
        "ERR KILL reason=policy detail=invalid-path error=invalid path"
    );
    // An id the core's `{"kill":..}` encoder refuses (not a token) is an invalid payload.
    assert_eq!(c.cmd("KILL worker:1").await, "OK KILL id=worker:1");
    assert_eq!(
        c.recv().await,
        "ERR KILL reason=policy detail=invalid-payload error=invalid payload"
    );
    let (_, workers) = c.stream_cmd("LS /worker").await;
    assert_eq!(workers, vec!["worker-1"]);
    let (ack, t) = c.stream_cmd("TAIL /worker/worker-1/telemetry").await;
    assert_eq!(
        (ack.as_str(), t.len()),
        ("OK TAIL path=/worker/worker-1/telemetry", 0)
    );
    assert_eq!(c.cmd("KILL worker-1").await, "OK KILL id=worker-1");
    assert_eq!(c.cmd("PING").await, "OK PING reply=pong");
    sim.shutdown().await;
}

#[tokio::test]
async fn approvals_are_single_use_over_the_console() {
    let (sim, _) = start(Features::full()).await;
    let mut c = Client::queen(&sim).await;
    let spawn = r#"ECHO /queen/ctl {"spawn":"heartbeat","ticks":1,"budget":{"ttl_s":30}}"#;
    assert_eq!(
        c.cmd(spawn).await,
        "ERR ECHO reason=policy detail=denied path=/queen/ctl error=EPERM"
    );
    assert_eq!(
        c.cmd(r#"ECHO /actions/queue {"id":"a1","target":"/queen/ctl","decision":"approve"}"#)
            .await,
        "OK ECHO path=/actions/queue bytes=54"
    );
    assert_eq!(c.cmd(spawn).await, "OK ECHO path=/queen/ctl bytes=53");
    assert_eq!(
        c.cmd(spawn).await,
        "ERR ECHO reason=policy detail=denied path=/queen/ctl error=EPERM"
    );
    let (ack, _) = c.stream_cmd("CAT /actions/a1/status").await;
    assert!(ack.contains("state=consumed"), "{ack}");
    sim.shutdown().await;
}
