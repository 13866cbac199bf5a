//! A tiny scripted queen for adapter tests: a tokio `TcpListener` whose behaviour each
//! test writes out step by step.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use cohesix_tokio::{ClientConfig, Credentials, RetryPolicy, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

/// Upper bound for any single step of a scripted peer (a test never hangs).
pub const STEP: Duration = Duration::from_secs(10);

/// Encodes one frame.
pub fn frame(line: &str) -> Vec<u8> {
    let mut out = u32::try_from(line.len() + 4)
        .unwrap()
        .to_le_bytes()
        .to_vec();
    out.extend_from_slice(line.as_bytes());
    out
}

/// Encodes several frames back to back.
pub fn frames(lines: &[&str]) -> Vec<u8> {
    lines.iter().flat_map(|l| frame(l)).collect()
}

/// A listener on loopback.
pub async fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    (l, a)
}

/// Accepts one connection.
pub async fn accept(l: &TcpListener) -> TcpStream {
    let (s, _) = timeout(STEP, l.accept()).await.unwrap().unwrap();
    s
}

/// Reads one frame's text, or `None` at EOF.
pub async fn read_line(s: &mut TcpStream) -> Option<String> {
    let mut len = [0u8; 4];
    match timeout(STEP, s.read_exact(&mut len)).await.unwrap() {
        Ok(_) => {}
        Err(_) => return None,
    }
    let n = u32::from_le_bytes(len) as usize - 4;
    let mut buf = vec![0u8; n];
    timeout(STEP, s.read_exact(&mut buf)).await.unwrap().ok()?;
    Some(String::from_utf8(buf).unwrap())
}

/// Writes raw bytes.
pub async fn send(s: &mut TcpStream, bytes: &[u8]) {
    timeout(STEP, s.write_all(bytes)).await.unwrap().unwrap();
}

/// Writes frames.
pub async fn send_lines(s: &mut TcpStream, lines: &[&str]) {
    send(s, &frames(lines)).await;
}

/// Accepts a connection and completes AUTH + ATTACH as queen.
pub async fn accept_attached(l: &TcpListener) -> TcpStream {
    let mut s = accept(l).await;
    assert_eq!(read_line(&mut s).await.as_deref(), Some("AUTH changeme"));
    send_lines(&mut s, &["OK AUTH"]).await;
    let attach = read_line(&mut s).await.unwrap();
    assert_eq!(attach.trim_end(), "ATTACH queen");
    send_lines(&mut s, &["OK ATTACH role=queen"]).await;
    s
}

/// Queen credentials with the placeholder token.
pub fn queen() -> Credentials {
    Credentials::new("changeme", Role::Queen, None).unwrap()
}

/// A config with a short back-off so failure paths finish quickly (the deadline stays
/// generous so a loaded machine does not trip it on happy paths).
pub fn fast() -> ClientConfig {
    ClientConfig::new()
        .with_op_timeout(Duration::from_millis(3000))
        .with_retry(
            RetryPolicy::DEFAULT
                .with_max_retries(2)
                .with_backoff(Duration::from_millis(10))
                .with_ceiling(Duration::from_millis(40)),
        )
        .with_heartbeat(None)
}

/// A config whose deadline fires quickly, for tests that expect a timeout.
pub fn impatient() -> ClientConfig {
    fast()
        .with_op_timeout(Duration::from_millis(300))
        .with_retry(RetryPolicy::NONE)
}
