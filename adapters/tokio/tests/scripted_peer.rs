//! The client against scripted (and hostile) fake queens on loopback.

mod common;

use std::time::Duration;

use cohesix_tokio::{Client, ClientError, LineOutcome, Request};
use common::*;
use tokio::io::AsyncReadExt;
use tokio::time::timeout;

#[tokio::test]
async fn auth_is_the_first_frame_and_replies_are_assembled() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        assert_eq!(read_line(&mut s).await.as_deref(), Some("LS /"));
        send_lines(&mut s, &["OK LS path=/ entries=2", "log", "proc", "END"]).await;
        assert_eq!(read_line(&mut s).await.as_deref(), Some("PING"));
        // PONG may come before or after the ack.
        send_lines(&mut s, &["PONG", "OK PING reply=pong"]).await;
        assert_eq!(
            read_line(&mut s).await.as_deref(),
            Some("CAT /log/queen.log")
        );
        send_lines(&mut s, &["OK CAT path=/log/queen.log data=a|b", "END"]).await;
        s
    });
    let c = Client::connect(addr, queen(), fast()).await.unwrap();
    assert_eq!(c.role().map(|r| r.label()), Some("queen"));
    let ls = c.ls("/").await.unwrap();
    assert_eq!(ls.ack.to_string(), "OK LS path=/ entries=2");
    assert_eq!(ls.lines, ["log", "proc"]);
    let ping = c.ping().await.unwrap();
    assert_eq!(ping.ack.label(), "PING");
    let cat = c.cat("/log/queen.log").await.unwrap();
    assert!(cat.lines.is_empty());
    assert_eq!(cat.body(), ["a|b"]);
    peer.await.unwrap();
}

#[tokio::test]
async fn refusals_are_typed_and_the_session_goes_on() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        read_line(&mut s).await.unwrap();
        send_lines(
            &mut s,
            &["ERR CAT reason=policy detail=invalid-path path=/nope error=invalid path"],
        )
        .await;
        read_line(&mut s).await.unwrap();
        send_lines(&mut s, &["OK ECHO path=/log/queen.log bytes=2"]).await;
        s
    });
    let c = Client::connect(addr, queen(), fast()).await.unwrap();
    match c.cat("/nope").await {
        Err(ClientError::Refused(ack)) => {
            assert_eq!(ack.field("reason"), Some("policy"));
            assert_eq!(ack.field("error"), Some("invalid path"));
        }
        other => panic!("{other:?}"),
    }
    let r = c.echo("/log/queen.log", "hi").await.unwrap();
    assert_eq!(r.ack.field("bytes"), Some("2"));
    peer.await.unwrap();
}

#[tokio::test]
async fn oversize_arguments_are_refused_before_sending() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        // The only frame that must arrive is the PING after the refused calls.
        assert_eq!(read_line(&mut s).await.as_deref(), Some("PING"));
        send_lines(&mut s, &["OK PING reply=pong", "PONG"]).await;
        s
    });
    let c = Client::connect(addr, queen(), fast()).await.unwrap();
    let long = "x".repeat(129);
    assert!(matches!(
        c.echo("/log/queen.log", &long).await,
        Err(ClientError::Core(_))
    ));
    assert!(matches!(c.cat("relative").await, Err(ClientError::Core(_))));
    c.ping().await.unwrap();
    peer.await.unwrap();
}

#[tokio::test]
async fn auth_failure_is_a_silent_close() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept(&l).await;
        assert_eq!(read_line(&mut s).await.as_deref(), Some("AUTH wrongtoken"));
        drop(s);
        // No retry may follow an auth rejection.
        assert!(timeout(Duration::from_millis(300), l.accept())
            .await
            .is_err());
    });
    let creds =
        cohesix_tokio::Credentials::new("wrongtoken", cohesix_tokio::Role::Queen, None).unwrap();
    let err = Client::connect(addr, creds, fast()).await.unwrap_err();
    assert!(
        matches!(err, ClientError::AuthRejected { ack: None }),
        "{err:?}"
    );
    // The error never shows the token.
    assert!(!format!("{err} {err:?}").contains("wrongtoken"));
    peer.await.unwrap();
}

#[tokio::test]
async fn attach_refusal_is_reported() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept(&l).await;
        read_line(&mut s).await.unwrap();
        send_lines(&mut s, &["OK AUTH"]).await;
        read_line(&mut s).await.unwrap();
        send_lines(
            &mut s,
            &["ERR ATTACH reason=quota detail=throttled delay_ms=250"],
        )
        .await;
        s
    });
    let err = Client::connect(addr, queen(), fast()).await.unwrap_err();
    let ack = err.refusal().expect("refusal").clone();
    assert_eq!(ack.label(), "ATTACH");
    assert_eq!(ack.field("delay_ms"), Some("250"));
    peer.await.unwrap();
}

async fn hostile_after_attach(bytes: Vec<u8>) -> ClientError {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        read_line(&mut s).await.unwrap();
        send(&mut s, &bytes).await;
        // Keep the socket open: the client must give up on its own.
        let mut sink = Vec::new();
        let _ = timeout(STEP, s.read_to_end(&mut sink)).await;
    });
    let c = Client::connect(addr, queen(), impatient()).await.unwrap();
    let err = c.ls("/").await.unwrap_err();
    assert!(!c.is_connected());
    peer.await.unwrap();
    err
}

#[tokio::test]
async fn garbage_bytes_drop_the_connection() {
    let err = hostile_after_attach(vec![0x01, 0x00, 0x00, 0x00, 0xde, 0xad]).await;
    assert!(
        matches!(err, ClientError::Protocol(_) | ClientError::Closed),
        "{err:?}"
    );
}

#[tokio::test]
async fn length_ffffffff_drops_the_connection() {
    let err = hostile_after_attach(vec![0xff, 0xff, 0xff, 0xff, b'x']).await;
    assert!(
        matches!(err, ClientError::Protocol(_) | ClientError::Closed),
        "{err:?}"
    );
}

#[tokio::test]
async fn invalid_utf8_drops_the_connection() {
    let err = hostile_after_attach(vec![0x06, 0x00, 0x00, 0x00, 0xff, 0xfe]).await;
    assert!(
        matches!(err, ClientError::Protocol(_) | ClientError::Closed),
        "{err:?}"
    );
}

#[tokio::test]
async fn peer_that_stops_mid_frame_times_out() {
    let mut bytes = frame("OK LS path=/ entries=1");
    bytes.truncate(9);
    let err = hostile_after_attach(bytes).await;
    assert!(err.is_transport(), "{err:?}");
}

#[tokio::test]
async fn peer_that_never_answers_times_out() {
    let err = hostile_after_attach(Vec::new()).await;
    assert!(err.is_transport(), "{err:?}");
}

#[tokio::test]
async fn frames_split_at_every_byte_reassemble() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        read_line(&mut s).await.unwrap();
        let bytes = frames(&[
            "OK LS path=/proc entries=3",
            "boot",
            "tests",
            "lifecycle",
            "END",
        ]);
        for b in bytes {
            send(&mut s, &[b]).await;
            tokio::task::yield_now().await;
        }
        s
    });
    let c = Client::connect(addr, queen(), fast()).await.unwrap();
    let r = c.ls("/proc").await.unwrap();
    assert_eq!(r.lines, ["boot", "tests", "lifecycle"]);
    peer.await.unwrap();
}

#[tokio::test]
async fn cancelling_mid_frame_loses_nothing() {
    let (l, addr) = listener().await;
    let (half_tx, half_rx) = tokio::sync::oneshot::channel::<()>();
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        assert_eq!(read_line(&mut s).await.as_deref(), Some("LS /"));
        let reply = frames(&["OK LS path=/ entries=2", "log", "proc", "END"]);
        let (head, tail) = reply.split_at(10);
        send(&mut s, head).await;
        half_tx.send(()).unwrap();
        // The client drops its future now; then the rest arrives, and the next request.
        assert_eq!(read_line(&mut s).await.as_deref(), Some("CAT /proc/boot"));
        send(&mut s, tail).await;
        send_lines(
            &mut s,
            &["OK CAT path=/proc/boot data=booted", "booted", "END"],
        )
        .await;
        s
    });
    let c = Client::connect(addr, queen(), fast()).await.unwrap();
    {
        let ls = c.ls("/");
        tokio::pin!(ls);
        tokio::select! {
            r = &mut ls => panic!("must not complete: {r:?}"),
            _ = half_rx => {}
        }
        // Give the client a chance to read the half frame before dropping the future.
        let _ = timeout(Duration::from_millis(50), &mut ls).await;
    }
    let cat = c.cat("/proc/boot").await.unwrap();
    assert_eq!(cat.ack.field("path"), Some("/proc/boot"));
    assert_eq!(cat.lines, ["booted"]);
    peer.await.unwrap();
}

#[tokio::test]
async fn reconnect_retries_reads_but_never_writes() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        // Connection 1: the CAT reply stops mid-stream, then the queen drops.
        let mut s = accept_attached(&l).await;
        assert_eq!(read_line(&mut s).await.as_deref(), Some("CAT /proc/boot"));
        send_lines(&mut s, &["OK CAT path=/proc/boot data=x", "partial"]).await;
        drop(s);
        // Connection 2: AUTH + ATTACH again, the CAT is re-sent; then an ECHO loses its ack.
        let mut s = accept_attached(&l).await;
        assert_eq!(read_line(&mut s).await.as_deref(), Some("CAT /proc/boot"));
        send_lines(
            &mut s,
            &["OK CAT path=/proc/boot data=x", "line-1", "line-2", "END"],
        )
        .await;
        assert_eq!(
            read_line(&mut s).await.as_deref(),
            Some("ECHO /log/queen.log once")
        );
        drop(s);
        // Connection 3: the ECHO must not come again; the next request is the PING.
        let mut s = accept_attached(&l).await;
        assert_eq!(read_line(&mut s).await.as_deref(), Some("PING"));
        send_lines(&mut s, &["OK PING reply=pong", "PONG"]).await;
        s
    });
    let c = Client::connect(addr, queen(), fast()).await.unwrap();
    let cat = c.cat("/proc/boot").await.unwrap();
    assert_eq!(cat.lines, ["line-1", "line-2"]);
    match c.echo("/log/queen.log", "once").await {
        Err(ClientError::OutcomeUnknown { line }) => assert_eq!(line, "ECHO /log/queen.log once"),
        other => panic!("{other:?}"),
    }
    c.ping().await.unwrap();
    peer.await.unwrap();
}

#[tokio::test]
async fn reset_before_auth_is_retried() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        // Second-client rule: accept, then reset at once.
        let s = accept(&l).await;
        #[allow(deprecated)] // zero linger only: the drop sends RST without blocking
        s.set_linger(Some(Duration::ZERO)).unwrap();
        drop(s);
        accept_attached(&l).await
    });
    let c = Client::connect(addr, queen(), fast()).await.unwrap();
    assert!(c.role().is_some());
    drop(peer.await.unwrap());
}

#[tokio::test]
async fn pipelines_eight_requests() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        let mut seen = Vec::new();
        for _ in 0..8 {
            seen.push(read_line(&mut s).await.unwrap());
        }
        for (i, line) in seen.iter().enumerate() {
            let path = line.strip_prefix("CAT ").unwrap();
            let ack = format!("OK CAT path={path} data=v{i}");
            let body = format!("v{i}");
            send_lines(&mut s, &[&ack, &body, "END"]).await;
        }
        seen
    });
    let c = Client::connect(addr, queen(), fast()).await.unwrap();
    let paths: Vec<String> = (0..8).map(|i| format!("/proc/n{i}")).collect();
    let reqs: Vec<Request<'_>> = paths.iter().map(|p| Request::cat(p).unwrap()).collect();
    let replies = c.pipeline(&reqs).await.unwrap();
    for (i, r) in replies.into_iter().enumerate() {
        assert_eq!(r.unwrap().lines, [format!("v{i}")]);
    }
    // All 8 were on the wire before the first reply (the peer read them all first).
    assert_eq!(peer.await.unwrap().len(), 8);
    let nine: Vec<Request<'_>> = (0..9).map(|_| Request::Ping).collect();
    assert!(matches!(c.pipeline(&nine).await, Err(ClientError::Core(_))));
}

#[tokio::test]
async fn batch_reports_committed_unknown_and_not_sent() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        let mut lines = Vec::new();
        for _ in 0..8 {
            lines.push(read_line(&mut s).await.unwrap());
        }
        send_lines(
            &mut s,
            &[
                "OK ECHO path=/log/queen.log bytes=2",
                "ERR ECHO reason=policy detail=denied",
            ],
        )
        .await;
        // Two answers free two slots: lines 8 and 9 follow at once (8 in flight).
        for _ in 0..2 {
            lines.push(read_line(&mut s).await.unwrap());
        }
        drop(s);
        lines
    });
    let c = Client::connect(
        addr,
        queen(),
        fast().with_retry(cohesix_tokio::RetryPolicy::NONE),
    )
    .await
    .unwrap();
    let payloads: Vec<String> = (0..20).map(|i| format!("l{i}")).collect();
    let writes: Vec<(&str, &str)> = payloads
        .iter()
        .map(|p| ("/log/queen.log", p.as_str()))
        .collect();
    let report = c.echo_batch(&writes).await.unwrap();
    assert!(matches!(report.lines[0], LineOutcome::Committed(_)));
    assert!(matches!(report.lines[1], LineOutcome::Refused(_)));
    // Sent, never answered: unknown. Never on the wire (at most 8 in flight): not sent.
    for l in &report.lines[2..10] {
        assert_eq!(*l, LineOutcome::Unknown);
    }
    for l in &report.lines[10..] {
        assert_eq!(*l, LineOutcome::NotSent);
    }
    assert_eq!(report.committed(), 1);
    assert_eq!(peer.await.unwrap().len(), 10);
}

#[tokio::test]
async fn quit_closes_cleanly() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        assert_eq!(
            read_line(&mut s)
                .await
                .as_deref()
                .map(str::to_ascii_uppercase)
                .as_deref(),
            Some("QUIT")
        );
        send_lines(&mut s, &["OK QUIT"]).await;
        drop(s);
        // The next call opens a new connection.
        let mut s = accept_attached(&l).await;
        assert_eq!(read_line(&mut s).await.as_deref(), Some("PING"));
        send_lines(&mut s, &["OK PING reply=pong", "PONG"]).await;
        s
    });
    let mut c = Client::connect(addr, queen(), fast()).await.unwrap();
    let r = c.quit().await.unwrap();
    assert_eq!(r.ack.to_string(), "OK QUIT");
    assert!(!c.is_connected());
    c.ping().await.unwrap();
    assert!(c.is_connected());
    peer.await.unwrap();
}

#[tokio::test]
async fn repeatedly_cancelled_pipelines_leave_the_client_usable() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        let mut answered = 0usize;
        while let Some(line) = read_line(&mut s).await {
            if line == "QUIT" {
                // Dropping the last handle ends the session with QUIT.
                break;
            }
            assert_eq!(line, "PING");
            send_lines(&mut s, &["OK PING reply=pong", "PONG"]).await;
            answered += 1;
        }
        answered
    });
    let c = Client::connect(addr, queen(), fast()).await.unwrap();
    let reqs = [Request::Ping; 8];
    for _ in 0..4 {
        // Cancel each pipeline after its first poll.
        let _ = timeout(Duration::ZERO, c.pipeline(&reqs)).await;
    }
    for _ in 0..3 {
        assert_eq!(c.ping().await.unwrap().ack.label(), "PING");
    }
    drop(c);
    // Every PING that reached the wire was answered; none was lost half-written.
    assert!(peer.await.unwrap() >= 3);
}

#[tokio::test]
async fn idle_connection_sends_the_heartbeat_ping() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        // Nothing was requested before the LS: every PING is a heartbeat.
        let mut heartbeats = 0;
        loop {
            match read_line(&mut s).await.as_deref() {
                Some("PING") => {
                    heartbeats += 1;
                    send_lines(&mut s, &["OK PING reply=pong", "PONG"]).await;
                }
                Some("LS /") => break,
                other => panic!("unexpected {other:?}"),
            }
        }
        send_lines(&mut s, &["OK LS path=/ entries=0", "END"]).await;
        (s, heartbeats)
    });
    let config = fast().with_heartbeat(Some(Duration::from_millis(20)));
    let mut c = Client::connect(addr, queen(), config).await.unwrap();
    c.idle(Duration::from_millis(200)).await.unwrap();
    c.ls("/").await.unwrap();
    let (_s, heartbeats) = peer.await.unwrap();
    assert!(heartbeats >= 1);
}
