//! The REST backend against a scripted HTTP server: headers, retry policy of reads
//! (429/5xx/transport, back-off, `Retry-After` capped), appends sent once, error mapping.
//! (Against the real gateway: `host/gateway/tests/rest_backend.rs`.)

#![cfg(feature = "rest")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cohesix::auth::Secret;
use cohesix::backend::{Backend, RestBackend, RestOptions, RestRetry};
use cohesix::{Error, ErrorKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One scripted answer.
#[derive(Clone)]
enum Reply {
    /// Status, extra headers, JSON body.
    Http(u16, &'static str, String),
    /// Read the request, then close without answering.
    Drop,
}

fn ok_lines(lines: &[&str]) -> Reply {
    let body = serde_json::json!({"status":"OK","verb":"LS","path":"/","end":true,"lines":lines});
    Reply::Http(200, "", body.to_string())
}

fn err(status: u16, headers: &'static str, msg: &str) -> Reply {
    let body = serde_json::json!({"status":"ERR","verb":"LS","path":"/","end":true,"error":msg});
    Reply::Http(status, headers, body.to_string())
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    head: String,
    body: String,
    at: Instant,
}

impl Seen {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }
}

struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Answers request `i` with `script[i]` (the last entry repeats), one per connection.
    async fn start(script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            let mut n = 0usize;
            while let Ok((mut s, _)) = listener.accept().await {
                let reply = script
                    .get(n)
                    .or(script.last())
                    .cloned()
                    .unwrap_or(Reply::Drop);
                n += 1;
                let log = log.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let (head, mut body) = loop {
                        let k = match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => k,
                        };
                        buf.extend_from_slice(&chunk[..k]);
                        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buf[..p]).into_owned();
                            break (head, buf[p + 4..].to_vec());
                        }
                    };
                    let len = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    while body.len() < len {
                        let k = match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => break,
                            Ok(k) => k,
                        };
                        body.extend_from_slice(&chunk[..k]);
                    }
                    log.lock().unwrap().push(Seen {
                        head,
                        body: String::from_utf8_lossy(&body).into_owned(),
                        at: Instant::now(),
                    });
                    if let Reply::Http(status, extra, json) = reply {
                        let resp = format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{extra}\
                             content-length: {}\r\nconnection: close\r\n\r\n{json}",
                            json.len()
                        );
                        let _ = s.write_all(resp.as_bytes()).await;
                    }
                    let _ = s.shutdown().await;
                });
            }
        });
        Self { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn backend(url: &str, retry: RestRetry) -> RestBackend {
    RestBackend::with_options(
        &RestOptions::new(url)
            .timeout(Duration::from_secs(5))
            .token(Some(Secret::new("tok-123")))
            .retry(retry),
    )
    .unwrap()
}

const FAST: RestRetry = RestRetry {
    max_attempts: 3,
    backoff: Duration::from_millis(10),
    ceiling: Duration::from_millis(1500),
};

#[tokio::test]
async fn every_request_carries_both_auth_headers() {
    let s = Server::start(vec![
        ok_lines(&["b", "a"]),
        Reply::Http(
            200,
            "",
            r#"{"status":"OK","verb":"ECHO","path":"/q","end":true,"bytes":4}"#.into(),
        ),
    ])
    .await;
    let b = backend(&s.url, FAST);
    assert_eq!(b.list("/").await.unwrap(), ["a", "b"]);
    assert_eq!(b.append("/q", "abc\n").await.unwrap(), 4);
    let seen = s.seen();
    assert_eq!(seen.len(), 2);
    for r in &seen {
        assert_eq!(r.header("authorization").as_deref(), Some("Bearer tok-123"));
        assert_eq!(r.header("x-cohesix-auth").as_deref(), Some("tok-123"));
        assert_eq!(r.header("accept").as_deref(), Some("application/json"));
    }
    assert!(
        seen[0].head.starts_with("GET /v1/fs/ls?path=%2F HTTP/1.1"),
        "{}",
        seen[0].head
    );
    assert!(seen[1].head.starts_with("POST /v1/fs/echo HTTP/1.1"));
    assert_eq!(
        seen[1].header("content-type").as_deref(),
        Some("application/json")
    );
    let body: serde_json::Value = serde_json::from_str(&seen[1].body).unwrap();
    assert_eq!(body, serde_json::json!({"path": "/q", "line": "abc"}));
    // No token: no auth headers at all.
    let s = Server::start(vec![ok_lines(&[])]).await;
    let b = RestBackend::new(&s.url, Duration::from_secs(5), None).unwrap();
    b.list("/").await.unwrap();
    let r = &s.seen()[0];
    assert!(r.header("authorization").is_none() && r.header("x-cohesix-auth").is_none());
}

#[tokio::test]
async fn reads_retry_429_5xx_and_dropped_connections() {
    let s = Server::start(vec![
        err(503, "", "console unavailable: connection closed"),
        Reply::Drop,
        ok_lines(&["x"]),
    ])
    .await;
    let b = backend(&s.url, FAST);
    assert_eq!(b.list("/").await.unwrap(), ["x"]);
    assert_eq!(s.seen().len(), 3);
    // Out of attempts: the last answer's error.
    let s = Server::start(vec![err(503, "", "console unavailable: x")]).await;
    let e = backend(&s.url, FAST).list("/").await.unwrap_err();
    assert_eq!(e.to_string(), "console unavailable: x");
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert_eq!(s.seen().len(), 3);
    let s = Server::start(vec![Reply::Http(500, "", "{}".into())]).await;
    let e = backend(&s.url, FAST).list("/").await.unwrap_err();
    assert_eq!(e.to_string(), "REST GET /v1/fs/ls failed with status 500");
    // Not retried: 400, 401, 404.
    let s = Server::start(vec![
        err(401, "", "invalid request auth token"),
        ok_lines(&[]),
    ])
    .await;
    let e = backend(&s.url, FAST).list("/").await.unwrap_err();
    assert_eq!((e.kind(), s.seen().len()), (ErrorKind::Config, 1));
}

#[tokio::test]
async fn retry_after_is_honoured_up_to_the_ceiling() {
    let s = Server::start(vec![
        err(429, "retry-after: 1\r\n", "gateway backpressure: full"),
        ok_lines(&["y"]),
    ])
    .await;
    backend(&s.url, FAST).list("/").await.unwrap();
    let seen = s.seen();
    let waited = seen[1].at - seen[0].at;
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    // Retry-After of 30 s, ceiling 200 ms: the ceiling wins.
    let capped = RestRetry {
        ceiling: Duration::from_millis(200),
        ..FAST
    };
    let s = Server::start(vec![
        err(429, "retry-after: 30\r\n", "gateway backpressure: full"),
        ok_lines(&["y"]),
    ])
    .await;
    let start = Instant::now();
    backend(&s.url, capped).list("/").await.unwrap();
    assert!(start.elapsed() < Duration::from_secs(10));
    let seen = s.seen();
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(150));
}

#[tokio::test]
async fn appends_are_sent_once() {
    // Not sent (back-pressure, unavailable): a transport error, one request.
    for reply in [
        err(429, "retry-after: 1\r\n", "gateway backpressure: full"),
        err(503, "", "console unavailable: closed"),
    ] {
        let s = Server::start(vec![reply, ok_lines(&[])]).await;
        let e = backend(&s.url, FAST).append("/q", "a").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
        assert_eq!(s.seen().len(), 1);
    }
    // Sent and unacknowledged: unknown, one request.
    let unknown = Reply::Http(
        502,
        "",
        r#"{"status":"ERR","verb":"ECHO","path":"/q","end":true,"error":"outcome unknown: x","outcome":"unknown"}"#.into(),
    );
    for reply in [unknown, Reply::Drop, Reply::Http(504, "", "{}".into())] {
        let s = Server::start(vec![reply, ok_lines(&[])]).await;
        let e = backend(&s.url, FAST).append("/q", "a").await.unwrap_err();
        assert!(matches!(e, Error::OutcomeUnknown { .. }), "{e}");
        assert_eq!(e.kind(), ErrorKind::Unknown);
        assert!(e.to_string().contains("ECHO /q a"), "{e}");
        assert_eq!(s.seen().len(), 1);
    }
    // A refusal is the queen's line.
    let s = Server::start(vec![Reply::Http(
        200,
        "",
        r#"{"status":"ERR","verb":"ECHO","path":"/q","end":true,"error":"ERR ECHO reason=policy detail=denied path=/q error=EPERM","outcome":"refused"}"#.into(),
    )])
    .await;
    let e = backend(&s.url, FAST).append("/q", "a").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Refused);
    assert_eq!(e.refusal().unwrap().field("detail"), Some("denied"));
    // Checked locally first: nothing sent.
    let s = Server::start(vec![ok_lines(&[])]).await;
    let b = backend(&s.url, FAST);
    assert!(b.append("/q", "a\nb").await.is_err());
    assert!(b.append("/q", &"x".repeat(129)).await.is_err());
    assert!(s.seen().is_empty());
}

#[tokio::test]
async fn answers_are_checked() {
    let s = Server::start(vec![Reply::Http(
        200,
        "",
        r#"{"status":"OK","lines":"x"}"#.into(),
    )])
    .await;
    let e = backend(&s.url, FAST).list("/").await.unwrap_err();
    assert_eq!(e.to_string(), "invalid REST response: lines missing");
    let s = Server::start(vec![Reply::Http(200, "", "[1,2]".into())]).await;
    let e = backend(&s.url, FAST).list("/").await.unwrap_err();
    assert!(e.to_string().starts_with("invalid REST response: "), "{e}");
    // Missing lines are an empty list; status ERR without error names the request.
    let s = Server::start(vec![Reply::Http(200, "", r#"{"status":"OK"}"#.into())]).await;
    assert!(backend(&s.url, FAST).list("/").await.unwrap().is_empty());
    let s = Server::start(vec![Reply::Http(200, "", r#"{"status":"NO"}"#.into())]).await;
    let e = backend(&s.url, FAST).list("/").await.unwrap_err();
    assert_eq!(e.to_string(), "GET /v1/fs/ls failed");
    // The gateway's size refusal is the backend's TooLarge.
    let s = Server::start(vec![err(400, "", "read exceeded max_bytes 5")]).await;
    let e = backend(&s.url, FAST).read("/x", 5).await.unwrap_err();
    assert_eq!(e.to_string(), "read /x exceeds max bytes 5");
    // A reply larger than asked is refused here too (lines + newlines).
    let s = Server::start(vec![ok_lines(&["12345"])]).await;
    let e = backend(&s.url, FAST).read("/x", 5).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Resource);
}

#[tokio::test]
async fn bounds_keep_their_bytes_and_failures_say_why() {
    let doc = r#"{"z":1,"a":{"b":2}}"#;
    // Retried like every read; the document comes back byte for byte.
    let s = Server::start(vec![err(503, "", "busy"), Reply::Http(200, "", doc.into())]).await;
    assert_eq!(backend(&s.url, FAST).bounds_text().await.unwrap(), doc);
    assert_eq!(s.seen().len(), 2);
    // A failed answer is its JSON `error`, mapped like every other answer: a wrong token
    // is the operator's to fix, with the gateway's message.
    let s = Server::start(vec![err(401, "", "invalid request auth token")]).await;
    let e = backend(&s.url, FAST).bounds().await.unwrap_err();
    assert_eq!(
        (e.kind(), e.to_string().as_str()),
        (ErrorKind::Config, "invalid request auth token")
    );
    // Without one, the status.
    let s = Server::start(vec![Reply::Http(404, "", "not json".into())]).await;
    let e = backend(&s.url, FAST).bounds_text().await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "REST GET /v1/meta/bounds failed with status 404"
    );
}
