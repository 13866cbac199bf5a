//! The shared console handle against an in-memory fake queen: many callers on one
//! connection, the in-flight cap, heartbeats while idle, reconnects through a connector,
//! QUIT on last drop, and `Send` futures.

mod common;

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cohesix_testsupport::fake::{default_handler, FakeQueen, Handler};
use cohesix_tokio::{
    ClientConfig, ClientError, Console, FnConnector, LineOutcome, Request, RetryPolicy,
};
use common::queen;

fn console(fake: &FakeQueen, config: ClientConfig) -> Console {
    let f = fake.clone();
    let connector = FnConnector::new("fake queen", move || {
        let s = f.connect();
        async move { Ok::<_, io::Error>(s) }
    });
    Console::with_connector(connector, queen(), config).unwrap()
}

fn config() -> ClientConfig {
    ClientConfig::new()
        .with_op_timeout(Duration::from_secs(5))
        .with_heartbeat(None)
        .with_retry(
            RetryPolicy::DEFAULT
                .with_max_retries(3)
                .with_backoff(Duration::from_millis(5))
                .with_ceiling(Duration::from_millis(20)),
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_tasks_share_one_connection_and_get_their_own_replies() {
    let fake = FakeQueen::new("changeme", default_handler());
    let c = console(&fake, config());
    let mut tasks = Vec::new();
    for t in 0..64 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..40 {
                let path = format!("/t{t}/r{i}");
                let r = c.cat(&path).await.expect("cat");
                // The fake answers a CAT of p with the one data line p.
                assert_eq!(r.lines, [path.as_str()]);
                assert_eq!(r.ack.field("path"), Some(path.as_str()));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(fake.counters.lines.load(Ordering::SeqCst), 64 * 40);
    assert_eq!(fake.counters.connections.load(Ordering::SeqCst), 1);
    // The queen's inbound queue is 8 deep: the client never kept more unanswered.
    let max = fake.counters.max_unanswered.load(Ordering::SeqCst);
    assert!((2..=8).contains(&max), "pipelining depth {max}");
}

#[tokio::test(start_paused = true)]
async fn an_idle_handle_keeps_its_session_alive_with_heartbeats() {
    let fake = FakeQueen::new("changeme", default_handler());
    let c = console(
        &fake,
        config().with_heartbeat(Some(Duration::from_secs(15))),
    );
    c.ready().await.unwrap();
    // Ten minutes idle: past the ~8 minute idle window of the real queen.
    tokio::time::sleep(Duration::from_secs(600)).await;
    let pings = fake.counters.pings.load(Ordering::SeqCst);
    assert!(pings >= 30, "only {pings} heartbeats in 600 s");
    assert!(c.is_connected());
    assert_eq!(fake.counters.connections.load(Ordering::SeqCst), 1);
    c.ping().await.unwrap();
}

#[tokio::test]
async fn reads_survive_a_drop_and_writes_are_accounted_for() {
    // The first connection dies on its third line; later ones are healthy.
    let seen = Arc::new(AtomicUsize::new(0));
    let s = seen.clone();
    let inner = default_handler();
    let handler: Handler = Arc::new(move |line: &str| {
        if s.fetch_add(1, Ordering::SeqCst) == 2 {
            return None;
        }
        inner(line)
    });
    let fake = FakeQueen::new("changeme", handler);
    let c = console(&fake, config());
    c.cat("/a").await.unwrap();
    c.cat("/b").await.unwrap();
    // The third line (an ECHO) is cut: it was sent, its ack never came.
    match c.echo("/log/queen.log", "once").await {
        Err(ClientError::OutcomeUnknown { line }) => assert_eq!(line, "ECHO /log/queen.log once"),
        other => panic!("{other:?}"),
    }
    // A read after the drop reconnects; the ECHO was not re-sent.
    assert_eq!(c.cat("/c").await.unwrap().lines, ["/c"]);
    assert_eq!(fake.counters.connections.load(Ordering::SeqCst), 2);
    assert_eq!(fake.counters.lines.load(Ordering::SeqCst), 4);
    assert!(c.status().reconnects >= 1);
}

#[tokio::test]
async fn an_interrupted_read_is_resubmitted_on_the_next_connection() {
    let seen = Arc::new(AtomicUsize::new(0));
    let s = seen.clone();
    let inner = default_handler();
    let handler: Handler = Arc::new(move |line: &str| {
        if s.fetch_add(1, Ordering::SeqCst) == 0 {
            return None;
        }
        inner(line)
    });
    let fake = FakeQueen::new("changeme", handler);
    let c = console(&fake, config());
    assert_eq!(c.cat("/x").await.unwrap().lines, ["/x"]);
    assert_eq!(fake.counters.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_sequence_stops_at_the_first_refusal() {
    let handler: Handler = Arc::new(|line: &str| {
        Some(if line.ends_with(" bad") {
            vec!["ERR ECHO reason=policy detail=denied path=/queen/ctl error=EPERM".into()]
        } else {
            vec!["OK ECHO path=/queen/ctl bytes=2".into()]
        })
    });
    let fake = FakeQueen::new("changeme", handler);
    let c = console(&fake, config());
    let report = c
        .echo_sequence(&[
            ("/queen/ctl", "ok1"),
            ("/queen/ctl", "bad"),
            ("/queen/ctl", "ok3"),
        ])
        .await
        .unwrap();
    assert!(matches!(report.lines[0], LineOutcome::Committed(_)));
    match &report.lines[1] {
        LineOutcome::Refused(ack) => assert_eq!(ack.field("error"), Some("EPERM")),
        other => panic!("{other:?}"),
    }
    assert_eq!(report.lines[2], LineOutcome::NotSent);
    // The third line never reached the queen.
    assert_eq!(fake.counters.lines.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn dropping_the_last_handle_sends_quit() {
    let fake = FakeQueen::new("changeme", default_handler());
    let c = console(&fake, config());
    c.ping().await.unwrap();
    let c2 = c.clone();
    drop(c);
    c2.ping().await.unwrap();
    drop(c2);
    for _ in 0..200 {
        if fake.counters.quits.load(Ordering::SeqCst) == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no QUIT after the last handle was dropped");
}

#[tokio::test]
async fn nothing_connects_before_the_first_request() {
    let fake = FakeQueen::new("changeme", default_handler());
    let c = console(&fake, config());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(fake.counters.connections.load(Ordering::SeqCst), 0);
    assert!(!c.is_connected());
    c.ready().await.unwrap();
    assert_eq!(fake.counters.connections.load(Ordering::SeqCst), 1);
    assert_eq!(c.attach_ack().unwrap().to_string(), "OK ATTACH role=queen");
}

#[tokio::test]
async fn a_wrong_token_is_fatal_and_never_retried() {
    let fake = FakeQueen::new("another-token", default_handler());
    let c = console(&fake, config());
    let err = c.ping().await.unwrap_err();
    assert!(
        matches!(err, ClientError::AuthRejected { ack: None }),
        "{err:?}"
    );
    assert!(err.to_string().contains("wrong console token"), "{err}");
    // A later call fails at once without another connection.
    assert!(matches!(
        c.ping().await,
        Err(ClientError::AuthRejected { .. })
    ));
    assert_eq!(fake.counters.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_stream_hands_out_lines_beyond_the_reply_budget() {
    const LINES: usize = 5_000;
    let handler: Handler = Arc::new(|line: &str| {
        if !line.starts_with("LS") {
            return Some(vec!["OK PING reply=pong".into(), "PONG".into()]);
        }
        let mut out = vec!["OK LS path=/big entries=5000".to_owned()];
        out.extend((0..LINES).map(|i| format!("entry-{i:05}")));
        out.push("END".into());
        Some(out)
    });
    let fake = FakeQueen::new("changeme", handler);
    let c = console(&fake, config().with_reply_budget(1024));
    // Collected, the reply is over budget; the connection stays in step.
    assert!(matches!(
        c.ls("/big").await,
        Err(ClientError::ResourceExhausted { limit: 1024 })
    ));
    c.ping().await.unwrap();
    // Streamed, every line arrives in order.
    let mut s = c.stream(Request::ls("/big").unwrap()).await.unwrap();
    assert_eq!(s.ack().field("entries"), Some("5000"));
    let mut n = 0;
    while let Some(line) = s.next_line().await.unwrap() {
        assert_eq!(line, format!("entry-{n:05}"));
        n += 1;
        if n % 1000 == 0 {
            // A slow caller: the driver pauses reading instead of buffering everything.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    assert_eq!(n, LINES);
    c.ping().await.unwrap();
    assert_eq!(fake.counters.connections.load(Ordering::SeqCst), 1);
}

#[test]
fn public_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let fake = FakeQueen::new("changeme", default_handler());
        let c = console(&fake, config());
        send(&c.ready());
        send(&c.ping());
        send(&c.cat("/x"));
        send(&c.request(Request::Ping));
        send(&c.stream(Request::Ping));
        send(&c.pipeline(&[]));
        send(&c.echo_batch(&[]));
        send(&c.echo_sequence(&[]));
        send(&c.quit());
        let (_, driver) = Console::new(
            FnConnector::new("x", || async {
                Err::<tokio::io::DuplexStream, _>(io::Error::other("x"))
            }),
            queen(),
            config(),
        )
        .unwrap();
        send(&driver.run());
    });
}
