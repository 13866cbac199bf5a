//! Client-side hostile peers (issue classes of the reliability audit): endless streams,
//! replies without a byte budget, protocol violations hidden by retries, and resets after
//! AUTH. Scripted TCP peers; each test states the class it pins.

use std::time::{Duration, Instant};

use cohesix_testsupport::frame;
use cohesix_testsupport::scripted::{accept, accept_attached, listener, read_line, send_lines};
use cohesix_tokio::{ClientConfig, ClientError, Console, Credentials, RetryPolicy, Role};
use tokio::io::AsyncWriteExt;

fn queen() -> Credentials {
    Credentials::new("changeme", Role::Queen, None).unwrap()
}

fn config() -> ClientConfig {
    ClientConfig::new()
        .with_op_timeout(Duration::from_secs(1))
        .with_heartbeat(None)
        .with_retry(
            RetryPolicy::DEFAULT
                .with_max_retries(2)
                .with_backoff(Duration::from_millis(10))
                .with_ceiling(Duration::from_millis(20)),
        )
}

/// Class: a stream that never ends. One data line every 200 ms keeps the per-line
/// deadline happy forever; the whole-request deadline ends it, resets the connection, and
/// the next request is served on a new one.
#[tokio::test]
async fn an_endless_stream_times_out_as_a_whole_request() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        assert_eq!(read_line(&mut s).await.as_deref(), Some("LS /"));
        send_lines(&mut s, &["OK LS path=/ entries=1000000"]).await;
        let mut sent = 0usize;
        // Until the client resets the connection.
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if s.write_all(&frame(b"entry")).await.is_err() {
                break;
            }
            sent += 1;
            if sent > 100 {
                panic!("the client never gave up on the endless stream");
            }
        }
        let mut s = accept_attached(&l).await;
        assert_eq!(read_line(&mut s).await.as_deref(), Some("PING"));
        send_lines(&mut s, &["OK PING reply=pong", "PONG"]).await;
        s
    });
    let c = Console::connect(
        addr.to_string(),
        queen(),
        config().with_request_timeout(Duration::from_millis(1500)),
    )
    .unwrap();
    let started = Instant::now();
    let err = c.ls("/").await.unwrap_err();
    assert!(
        matches!(err, ClientError::Timeout { op: "request" }),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    c.ping().await.unwrap();
    drop(peer.await.unwrap());
}

/// Class: protocol violations are not transient. A frame length of 8193 inside a stream
/// is reported with the frame error, and the read is not retried on a new connection.
#[tokio::test]
async fn a_bad_frame_length_mid_stream_is_reported_not_retried() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        let mut s = accept_attached(&l).await;
        assert_eq!(read_line(&mut s).await.as_deref(), Some("CAT /proc/boot"));
        let mut bytes = frame(b"OK CAT path=/proc/boot data=x");
        bytes.extend_from_slice(&8193u32.to_le_bytes());
        bytes.extend_from_slice(&[b'x'; 64]);
        s.write_all(&bytes).await.unwrap();
        // No second connection may come.
        let again = tokio::time::timeout(Duration::from_millis(500), l.accept()).await;
        assert!(again.is_err(), "the client reconnected to retry");
    });
    let c = Console::connect(addr.to_string(), queen(), config()).unwrap();
    let err = c.cat("/proc/boot").await.unwrap_err();
    assert!(matches!(err, ClientError::Protocol(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("invalid frame length 8193 (> 8192)"),
        "{err}"
    );
    peer.await.unwrap();
}

/// Class: protocol violations (non-UTF-8 data line; a legal frame holding an 8000-byte
/// line, over the 256-byte line bound) are reported as such, not as "connection closed".
#[tokio::test]
async fn malformed_lines_are_protocol_errors() {
    for bad in [vec![0xff_u8, 0xfe, b'x'], vec![b'a'; 8000]] {
        let (l, addr) = listener().await;
        let peer = tokio::spawn(async move {
            let mut s = accept_attached(&l).await;
            assert_eq!(read_line(&mut s).await.as_deref(), Some("LS /"));
            let mut bytes = frame(b"OK LS path=/ entries=1");
            bytes.extend_from_slice(&frame(&bad));
            s.write_all(&bytes).await.unwrap();
            let again = tokio::time::timeout(Duration::from_millis(300), l.accept()).await;
            assert!(again.is_err(), "the client reconnected to retry");
        });
        let c = Console::connect(addr.to_string(), queen(), config()).unwrap();
        let err = c.ls("/").await.unwrap_err();
        assert!(matches!(err, ClientError::Protocol(_)), "{err:?}");
        assert!(!err.to_string().contains("connection closed"), "{err}");
        peer.await.unwrap();
    }
}

/// Class: a reset right after AUTH (wrong token behind a proxy, or a console held by
/// another client) ends with the same hint as a silent close.
#[tokio::test]
async fn a_reset_after_auth_carries_the_token_hint() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move {
        for _ in 0..3 {
            let mut s = accept(&l).await;
            let _ = read_line(&mut s).await;
            #[allow(deprecated)] // zero linger only: the drop sends RST without blocking
            s.set_linger(Some(Duration::ZERO)).unwrap();
            drop(s);
        }
    });
    let c = Console::connect(addr.to_string(), queen(), config()).unwrap();
    let err = c.ready().await.unwrap_err();
    assert!(matches!(err, ClientError::AuthReset), "{err:?}");
    assert!(err.to_string().contains("wrong console token"), "{err}");
    peer.await.unwrap();
}
