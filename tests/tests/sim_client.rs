//! The tokio client against the queen simulator, end to end.

use std::sync::Arc;
use std::time::Duration;

use cohesix_integration::proxy::{Fault, Proxy};
use cohesix_integration::{scenarios, sim, test_config, Target};
use cohesix_sim::Features;
use cohesix_tokio::{Client, ClientError, Credentials, RetryPolicy, Role};
use tokio::sync::Notify;

async fn shipped() -> (cohesix_sim::SimHandle, Target) {
    sim(Features::shipped()).await
}

#[tokio::test]
async fn every_verb() {
    let (s, t) = shipped().await;
    scenarios::every_verb(&t).await;
    s.shutdown().await;
}

#[tokio::test]
async fn refusals() {
    let (s, t) = shipped().await;
    scenarios::refusals(&t).await;
    s.shutdown().await;
}

#[tokio::test]
async fn worker_ticket() {
    let (s, t) = shipped().await;
    scenarios::worker_ticket(&t).await;
    s.shutdown().await;
}

#[tokio::test]
async fn auth_failure_is_a_silent_close() {
    let (s, t) = shipped().await;
    scenarios::auth_failure(&t).await;
    s.shutdown().await;
}

#[tokio::test]
async fn second_client_is_reset() {
    let (s, t) = shipped().await;
    scenarios::second_client_reset(&t).await;
    s.shutdown().await;
}

#[tokio::test]
async fn oversize_frame() {
    let (s, t) = shipped().await;
    scenarios::oversize_frame(&t).await;
    s.shutdown().await;
}

#[tokio::test]
async fn raw_refusals() {
    let (s, t) = shipped().await;
    scenarios::raw_refusals(&t).await;
    s.shutdown().await;
}

#[tokio::test]
async fn eight_deep_pipelining() {
    let (s, t) = shipped().await;
    scenarios::pipelining(&t).await;
    s.shutdown().await;
}

#[tokio::test]
async fn write_batch() {
    let (s, t) = shipped().await;
    scenarios::write_batch(&t).await;
    // On a fresh simulator the log preview shows the batch in order.
    let c = scenarios::connect(&t).await;
    let cat = c.cat("/log/queen.log").await.unwrap();
    let preview = cat.ack.field("data").unwrap_or("");
    assert!(preview.contains("batch-a|batch-b|batch-c"), "{preview}");
    drop(c);
    s.shutdown().await;
}

#[tokio::test]
async fn heartbeat_keeps_the_session() {
    let (s, t) = shipped().await;
    scenarios::heartbeat(&t).await;
    s.shutdown().await;
}

#[tokio::test]
async fn bad_ticket_is_denied_then_throttled() {
    let (s, t) = cohesix_integration::sim_frozen_clock(Features::shipped()).await;
    // A worker ticket minted with the wrong secret: the MAC does not verify.
    let claims =
        cohesix_core::ticket::Claims::for_role(Role::WorkerHeartbeat, Some("w1"), 1).unwrap();
    let key = cohesix_core::ticket::TicketKey::from_secret(b"not-the-secret");
    let mut out = [0u8; cohesix_core::ticket::MAX_TICKET_LEN];
    let bad = cohesix_core::ticket::mint(&claims, &key, &mut out).unwrap();
    let mut causes = Vec::new();
    for _ in 0..2 {
        let creds = Credentials::new(&t.token, Role::WorkerHeartbeat, Some(bad)).unwrap();
        let err = Client::connect(t.addr, creds, test_config())
            .await
            .unwrap_err();
        let ack = err.refusal().cloned().unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(ack.label(), "ATTACH");
        causes.push(ack.field("detail").unwrap_or("").to_owned());
        if let Some(delay) = ack.field("delay_ms") {
            let delay: u64 = delay.parse().unwrap();
            assert_eq!(delay, 250);
        }
    }
    assert_eq!(causes, ["denied", "throttled"]);
    s.shutdown().await;
}

#[tokio::test]
async fn reconnect_after_the_queen_drops_mid_stream() {
    let (s, t) = shipped().await;
    // OK AUTH (11) + OK ATTACH role=queen (24) = 35 bytes, then 20 bytes into the LS reply.
    let proxy = Proxy::spawn(t.addr, vec![Fault::CutAfter(35 + 20)]).await;
    let c = Client::connect(proxy.addr(), t.queen(), test_config())
        .await
        .unwrap();
    let ls = c.ls("/").await.expect("ls is retried on a new connection");
    assert!(ls.lines.iter().any(|l| l == "proc"));
    assert_eq!(
        ls.ack
            .field("entries")
            .and_then(|n| n.parse::<usize>().ok()),
        Some(ls.lines.len())
    );
    c.ping().await.unwrap();
    drop(c);
    drop(proxy);
    s.shutdown().await;
}

#[tokio::test]
async fn a_write_cut_before_its_ack_is_outcome_unknown() {
    let (s, t) = shipped().await;
    // OK AUTH + OK ATTACH (35 bytes), then one byte of the ECHO ack: the write reached the
    // queen, its ack did not reach the client.
    let proxy = Proxy::spawn(t.addr, vec![Fault::CutAfter(35 + 1)]).await;
    let c = Client::connect(proxy.addr(), t.queen(), test_config())
        .await
        .unwrap();
    match c.echo("/log/queen.log", "maybe-once").await {
        Err(ClientError::OutcomeUnknown { line }) => {
            assert_eq!(line, "ECHO /log/queen.log maybe-once");
        }
        other => panic!("{other:?}"),
    }
    // The client reconnects for the next call and the write was not repeated.
    let log = c.cat("/log/queen.log").await.unwrap();
    let preview = log.ack.field("data").unwrap_or("");
    assert!(preview.matches("maybe-once").count() <= 1, "{preview}");
    drop(c);
    drop(proxy);
    s.shutdown().await;
}

#[tokio::test]
async fn cancelling_mid_reply_leaves_the_client_usable() {
    let (s, t) = shipped().await;
    let paused = Arc::new(Notify::new());
    let resume = Arc::new(Notify::new());
    let proxy = Proxy::spawn(
        t.addr,
        vec![Fault::PauseAfter {
            bytes: 35 + 9,
            paused: paused.clone(),
            resume: resume.clone(),
        }],
    )
    .await;
    let c = Client::connect(proxy.addr(), t.queen(), test_config())
        .await
        .unwrap();
    {
        let ls = c.ls("/");
        tokio::pin!(ls);
        tokio::select! {
            r = &mut ls => panic!("completed while paused: {r:?}"),
            () = paused.notified() => {}
        }
        // Let the client take in the partial frame, then drop the future mid-frame.
        let _ = tokio::time::timeout(Duration::from_millis(50), &mut ls).await;
    }
    resume.notify_one();
    let state = c.cat("/proc/lifecycle/state").await.unwrap();
    assert_eq!(state.ack.field("path"), Some("/proc/lifecycle/state"));
    let ls = c.ls("/").await.unwrap();
    assert!(ls.lines.iter().any(|l| l == "queen"));
    drop(c);
    drop(proxy);
    s.shutdown().await;
}

#[tokio::test]
async fn connect_to_a_closed_port_fails_after_retries() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let config = test_config().with_retry(
        RetryPolicy::DEFAULT
            .with_max_retries(2)
            .with_backoff(Duration::from_millis(5))
            .with_ceiling(Duration::from_millis(10)),
    );
    let creds = Credentials::new("changeme", Role::Queen, None).unwrap();
    let err = Client::connect(addr, creds, config).await.unwrap_err();
    assert!(err.is_transport(), "{err:?}");
}

#[tokio::test]
async fn the_interop_suite_passes_against_the_simulator() {
    let (s, t) = shipped().await;
    scenarios::interop_suite(&t, Duration::from_millis(20)).await;
    s.shutdown().await;
}
