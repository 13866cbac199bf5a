//! A scripted queen: a loopback `TcpListener` whose behaviour each test writes out step by
//! step, with a deadline on every step so a test never hangs.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

use crate::frames;

/// Upper bound for any single step of a scripted peer.
pub const STEP: Duration = Duration::from_secs(10);

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

/// Accepts a connection and completes AUTH (token `changeme`) + ATTACH as queen.
pub async fn accept_attached(l: &TcpListener) -> TcpStream {
    let mut s = accept(l).await;
    assert_eq!(read_line(&mut s).await.as_deref(), Some("AUTH changeme"));
    send_lines(&mut s, &["OK AUTH"]).await;
    let attach = read_line(&mut s).await.unwrap();
    assert_eq!(attach.trim_end(), "ATTACH queen");
    send_lines(&mut s, &["OK ATTACH role=queen"]).await;
    s
}
