//! Test support for the orchestrator tests: the in-process simulator behind a fault
//! proxy, and small helpers.
//!
//! ```text
//!  TcpBackend ── Console ── duplex ──► FaultProxy ── duplex ──► SimCore (0.9 mock surface)
//!                                        │ counts ECHO frames; on the n-th one:
//!                                        │  Refuse: answers ERR ECHO itself (not forwarded)
//!                                        │  DropBeforeAck: forwards it, then closes both
//!                                        │  sides before the ack reaches the client
//! ```
#![allow(dead_code, missing_docs)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError};

use cohesix::backend::{BackendKind, MockBackend, MockOptions, TcpBackend};
use cohesix_sim::{AuthToken, SimConfig, SimCore};
use cohesix_tokio::{ClientConfig, Console, Credentials, FnConnector, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, ReadHalf, WriteHalf};
use tokio::sync::Mutex;

pub const TOKEN: &str = "orchestrator-test-token";

/// What to do to the n-th ECHO (1-based, counted over all connections).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    None,
    Refuse { nth: usize },
    DropBeforeAck { nth: usize },
}

#[derive(Debug, Default)]
pub struct Counters {
    pub connections: AtomicUsize,
    pub echoes_seen: AtomicUsize,
    pub echoes_forwarded: AtomicUsize,
}

/// A fresh simulator (0.9 mock surface, no mirror).
pub fn sim() -> SimCore {
    let mut config = SimConfig::mock(false);
    config.token = AuthToken::new(TOKEN);
    SimCore::new(config)
}

/// A mock backend without a mirror.
pub fn mock() -> MockBackend {
    MockBackend::new(&MockOptions::new().root(None)).expect("mock")
}

/// Lines of a node as the simulator holds them (no client involved).
pub fn sim_lines(core: &SimCore, path: &str) -> Vec<String> {
    let console = core.console();
    let guard = console.lock().unwrap_or_else(PoisonError::into_inner);
    guard.namespace().read(path, 0).unwrap_or_default()
}

async fn read_frame(r: &mut ReadHalf<DuplexStream>) -> Option<Vec<u8>> {
    let mut head = [0u8; 4];
    r.read_exact(&mut head).await.ok()?;
    let len = u32::from_le_bytes(head) as usize;
    let mut body = vec![0u8; len.checked_sub(4)?];
    r.read_exact(&mut body).await.ok()?;
    Some(body)
}

async fn write_frame(w: &Mutex<WriteHalf<DuplexStream>>, body: &[u8]) -> bool {
    let mut out = ((body.len() + 4) as u32).to_le_bytes().to_vec();
    out.extend_from_slice(body);
    w.lock().await.write_all(&out).await.is_ok()
}

/// A console to `core` through the fault proxy, and the proxy's counters.
pub fn faulty_backend(core: &SimCore, fault: Fault) -> (TcpBackend, Arc<Counters>) {
    let counters = Arc::new(Counters::default());
    let c = counters.clone();
    let core = core.clone();
    let connector = FnConnector::new("fault proxy", move || {
        let (client, proxy_client) = tokio::io::duplex(64 * 1024);
        let (proxy_server, server) = tokio::io::duplex(64 * 1024);
        let core = core.clone();
        tokio::spawn(async move {
            let _ = core.serve(server).await;
        });
        tokio::spawn(proxy(proxy_client, proxy_server, fault, c.clone()));
        async move { Ok(client) }
    });
    let creds = Credentials::new(TOKEN, Role::Queen, None).expect("creds");
    let console = Console::with_connector(connector, creds, ClientConfig::new()).expect("console");
    (TcpBackend::over(console, BackendKind::Tcp), counters)
}

async fn proxy(client: DuplexStream, server: DuplexStream, fault: Fault, c: Arc<Counters>) {
    c.connections.fetch_add(1, Ordering::SeqCst);
    let (mut cr, cw) = tokio::io::split(client);
    let (mut sr, sw) = tokio::io::split(server);
    let cw = Arc::new(Mutex::new(cw));
    let sw = Arc::new(Mutex::new(sw));
    let drop_ack = Arc::new(AtomicBool::new(false));
    let down = {
        let cw = cw.clone();
        let sw = sw.clone();
        let drop_ack = drop_ack.clone();
        tokio::spawn(async move {
            while let Some(frame) = read_frame(&mut sr).await {
                let is_echo_ack = frame.starts_with(b"OK ECHO") || frame.starts_with(b"ERR ECHO");
                if is_echo_ack && drop_ack.load(Ordering::SeqCst) {
                    // The connection dies before the ack reaches the client, on both sides:
                    // the queen sees it close (and frees its one console slot, then closes
                    // its end) before the client does, so a client that reconnects at once
                    // is served, as by a real queen whose link dropped.
                    let _ = sw.lock().await.shutdown().await;
                    while read_frame(&mut sr).await.is_some() {}
                    let _ = cw.lock().await.shutdown().await;
                    return;
                }
                if !write_frame(&cw, &frame).await {
                    return;
                }
            }
            let _ = cw.lock().await.shutdown().await;
        })
    };
    while let Some(frame) = read_frame(&mut cr).await {
        if frame.starts_with(b"ECHO ") {
            let n = c.echoes_seen.fetch_add(1, Ordering::SeqCst) + 1;
            match fault {
                Fault::Refuse { nth } if n == nth => {
                    let path = String::from_utf8_lossy(&frame)
                        .split(' ')
                        .nth(1)
                        .unwrap_or("")
                        .to_owned();
                    let err =
                        format!("ERR ECHO reason=policy detail=denied path={path} error=EPERM");
                    write_frame(&cw, err.as_bytes()).await;
                    continue;
                }
                Fault::DropBeforeAck { nth } if n == nth => {
                    drop_ack.store(true, Ordering::SeqCst);
                }
                _ => {}
            }
            c.echoes_forwarded.fetch_add(1, Ordering::SeqCst);
        }
        if !write_frame(&sw, &frame).await {
            break;
        }
    }
    let _ = sw.lock().await.shutdown().await;
    let _ = down.await;
}

/// A unique scratch directory (removed by the caller's `TempDir`).
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

pub fn path_in(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}
