//! Socket-level hostile peers for the tokio client: a scripted fake queen on loopback that
//! resets mid-stream, floods, restarts between the ECHOs of a batch, double-acks, sends
//! PONG out of order. Every client call runs under a hang guard.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cohesix_integration::raw::frame;
use cohesix_tokio::{
    Client, ClientConfig, ClientError, Credentials, LineOutcome, Request, RetryPolicy, Role,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

const GUARD: Duration = Duration::from_secs(10);

fn config() -> ClientConfig {
    ClientConfig::new()
        .with_op_timeout(Duration::from_millis(500))
        .with_retry(
            RetryPolicy::DEFAULT
                .with_max_retries(2)
                .with_backoff(Duration::from_millis(10))
                .with_ceiling(Duration::from_millis(20)),
        )
        .with_heartbeat(None)
}

fn queen() -> Credentials {
    Credentials::new("changeme", Role::Queen, None).unwrap()
}

async fn read_line(s: &mut TcpStream) -> Option<String> {
    let mut len = [0u8; 4];
    timeout(GUARD, s.read_exact(&mut len)).await.ok()?.ok()?;
    let n = (u32::from_le_bytes(len) as usize).checked_sub(4)?;
    assert!(n <= 256, "client sent an oversize frame ({n})");
    let mut buf = vec![0u8; n];
    timeout(GUARD, s.read_exact(&mut buf)).await.ok()?.ok()?;
    Some(String::from_utf8(buf).expect("client sent non-UTF-8"))
}

async fn send_lines(s: &mut TcpStream, lines: &[&str]) {
    let bytes: Vec<u8> = lines.iter().flat_map(|l| frame(l.as_bytes())).collect();
    let _ = s.write_all(&bytes).await;
}

async fn accept_attached(l: &TcpListener) -> TcpStream {
    let (mut s, _) = timeout(GUARD, l.accept()).await.unwrap().unwrap();
    assert_eq!(read_line(&mut s).await.as_deref(), Some("AUTH changeme"));
    send_lines(&mut s, &["OK AUTH"]).await;
    let a = read_line(&mut s).await.unwrap();
    assert!(a.starts_with("ATTACH queen"), "{a}");
    send_lines(&mut s, &["OK ATTACH role=queen"]).await;
    s
}

/// Closes with RST (SO_LINGER 0).
fn rst(s: TcpStream) {
    let _ = s.set_zero_linger();
    drop(s);
}

async fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    (l, a)
}

#[tokio::test]
async fn rst_mid_stream_is_a_typed_error_and_the_client_recovers() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        assert_eq!(
            read_line(&mut s).await.as_deref(),
            Some("TAIL /log/queen.log")
        );
        send_lines(&mut s, &["OK TAIL path=/log/queen.log", "line 1", "line 2"]).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        rst(s);
        // The client reconnects; the new connection works.
        let mut s = accept_attached(&l).await;
        assert_eq!(read_line(&mut s).await.as_deref(), Some("PING"));
        send_lines(&mut s, &["OK PING reply=pong", "PONG"]).await;
        s
    });
    let c = Client::connect(addr, queen(), config()).await.unwrap();
    let r = timeout(GUARD, c.tail("/log/queen.log"))
        .await
        .expect("hang");
    match r {
        Err(ClientError::OutcomeUnknown { .. }) => {}
        Err(e) if e.is_transport() => {}
        other => panic!("RST mid-stream gave {other:?}"),
    }
    let ping = timeout(GUARD, c.ping())
        .await
        .expect("hang")
        .expect("recovered");
    assert_eq!(ping.ack.label(), "PING");
    drop(peer.await.unwrap());
}

#[tokio::test]
async fn ten_megabyte_flood_of_valid_frames_is_delivered_in_full() {
    let (l, addr) = listener().await;
    const LINE: usize = 200;
    let count = 10 * 1024 * 1024 / (LINE + 4) + 1;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        assert_eq!(
            read_line(&mut s).await.as_deref(),
            Some("TAIL /log/queen.log")
        );
        let one = frame(&[b'f'; LINE]);
        let mut burst = frame(b"OK TAIL path=/log/queen.log");
        for _ in 0..count {
            burst.extend_from_slice(&one);
        }
        burst.extend_from_slice(&frame(b"END"));
        assert!(burst.len() >= 10 * 1024 * 1024);
        s.write_all(&burst).await.unwrap();
        s
    });
    let c = Client::connect(
        addr,
        queen(),
        // Above the 4 MiB default reply budget: this caller asked for more.
        config()
            .with_op_timeout(Duration::from_secs(5))
            .with_reply_budget(16 * 1024 * 1024),
    )
    .await
    .unwrap();
    let r = timeout(Duration::from_secs(60), c.tail("/log/queen.log"))
        .await
        .expect("hang")
        .expect("flood delivered");
    assert_eq!(r.lines.len(), count);
    assert!(r.lines.iter().all(|l| l.len() == LINE));
    drop(peer.await.unwrap());
}

#[tokio::test]
async fn queen_restart_between_echoes_gives_an_exact_account() {
    let (l, addr) = listener().await;
    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = received.clone();
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        // Ack the first two writes, read a third, then the queen "restarts".
        for i in 0..3 {
            let line = read_line(&mut s).await.unwrap();
            seen.lock().unwrap().push(line.clone());
            if i < 2 {
                send_lines(&mut s, &["OK ECHO path=/log/queen.log bytes=2"]).await;
            }
        }
        rst(s);
        // Later connections: record everything, answer nothing but AUTH/ATTACH.
        while let Ok(Ok((mut s, _))) = timeout(Duration::from_secs(2), l.accept()).await {
            while let Some(line) = read_line(&mut s).await {
                match line.as_str() {
                    "AUTH changeme" => send_lines(&mut s, &["OK AUTH"]).await,
                    l if l.starts_with("ATTACH") => {
                        send_lines(&mut s, &["OK ATTACH role=queen"]).await
                    }
                    other => seen.lock().unwrap().push(other.to_owned()),
                }
            }
        }
    });
    let cfg = config().with_max_in_flight(1);
    let c = Client::connect(addr, queen(), cfg).await.unwrap();
    let writes: Vec<(String, String)> = (0..6)
        .map(|i| ("/log/queen.log".to_owned(), format!("w{i}")))
        .collect();
    let refs: Vec<(&str, &str)> = writes
        .iter()
        .map(|(p, v)| (p.as_str(), v.as_str()))
        .collect();
    let report = timeout(GUARD, c.echo_batch(&refs))
        .await
        .expect("hang")
        .unwrap();
    drop(c);
    peer.await.unwrap();
    let received = received.lock().unwrap().clone();
    assert_eq!(report.lines.len(), 6);
    for (i, outcome) in report.lines.iter().enumerate() {
        let line = format!("ECHO /log/queen.log w{i}");
        let times = received.iter().filter(|l| **l == line).count();
        match outcome {
            LineOutcome::Committed(_) => assert_eq!(times, 1, "committed {line} sent {times}x"),
            LineOutcome::Unknown => assert_eq!(times, 1, "unknown {line} sent {times}x"),
            LineOutcome::NotSent => assert_eq!(times, 0, "{line} reported not sent but sent"),
            LineOutcome::Refused(a) => panic!("{line} refused: {a:?}"),
        }
    }
    assert!(matches!(report.lines[0], LineOutcome::Committed(_)));
    assert!(matches!(report.lines[1], LineOutcome::Committed(_)));
    assert_eq!(report.lines[2], LineOutcome::Unknown, "{:?}", report.lines);
    assert_eq!(report.committed(), 2);
}

#[tokio::test]
async fn double_ack_and_out_of_order_pong_complete_each_request_once() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        assert_eq!(
            read_line(&mut s).await.as_deref(),
            Some("ECHO /log/queen.log hi")
        );
        send_lines(
            &mut s,
            &[
                "OK ECHO path=/log/queen.log bytes=2",
                "OK ECHO path=/log/queen.log bytes=2",
            ],
        )
        .await;
        assert_eq!(read_line(&mut s).await.as_deref(), Some("PING"));
        send_lines(&mut s, &["PONG", "OK PING reply=pong"]).await;
        assert_eq!(read_line(&mut s).await.as_deref(), Some("LS /"));
        send_lines(&mut s, &["OK LS path=/ entries=1", "log", "END"]).await;
        s
    });
    let c = Client::connect(addr, queen(), config()).await.unwrap();
    let e = timeout(GUARD, c.echo("/log/queen.log", "hi"))
        .await
        .expect("hang")
        .unwrap();
    assert_eq!(e.ack.field("bytes"), Some("2"));
    let p = timeout(GUARD, c.ping()).await.expect("hang").unwrap();
    assert_eq!(p.ack.label(), "PING");
    let ls = timeout(GUARD, c.ls("/")).await.expect("hang").unwrap();
    assert_eq!(ls.lines, ["log"]);
    drop(peer.await.unwrap());
}

#[tokio::test]
async fn more_than_eight_pipelined_requests_are_refused_locally() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let s = accept_attached(&l).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        s
    });
    let c = Client::connect(addr, queen(), config()).await.unwrap();
    let reqs = vec![Request::Ping; 9];
    match timeout(GUARD, c.pipeline(&reqs)).await.expect("hang") {
        Err(ClientError::Core(_)) => {}
        other => panic!("9 pipelined requests gave {other:?}"),
    }
    drop(peer.await.unwrap());
}

#[tokio::test]
async fn end_without_start_and_foreign_ack_do_not_corrupt_the_next_reply() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        assert_eq!(read_line(&mut s).await.as_deref(), Some("LS /"));
        send_lines(&mut s, &["END", "OK LS path=/ entries=1", "proc", "END"]).await;
        s
    });
    let c = Client::connect(addr, queen(), config()).await.unwrap();
    let r = timeout(GUARD, c.ls("/")).await.expect("hang");
    match r {
        Ok(reply) => assert_eq!(reply.lines, ["proc"]),
        Err(e) => assert!(!matches!(e, ClientError::Refused(_)), "{e:?}"),
    }
    drop(peer.await.unwrap());
}
