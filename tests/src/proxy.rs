//! A fault-injecting TCP proxy for end-to-end tests: it forwards between a client and a
//! queen (simulator or real) and can cut or pause the queen→client direction after a
//! given number of bytes of a given connection.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// What happens to one proxied connection.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Forward everything.
    None,
    /// Close both sides once this many queen→client bytes were forwarded.
    CutAfter(usize),
    /// Stop forwarding queen→client after this many bytes; signal `paused`, and go on
    /// once `resume` is notified.
    PauseAfter {
        /// Bytes forwarded before the pause.
        bytes: usize,
        /// Notified when the pause begins.
        paused: Arc<Notify>,
        /// Notify to end the pause.
        resume: Arc<Notify>,
    },
}

/// A running proxy.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Listens on loopback and forwards to `upstream`; connection `i` gets `faults[i]`
    /// (later connections: [`Fault::None`]).
    ///
    /// # Panics
    /// If loopback cannot be bound.
    pub async fn spawn(upstream: SocketAddr, faults: Vec<Fault>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let task = tokio::spawn(async move {
            let mut n = 0usize;
            while let Ok((client, _)) = listener.accept().await {
                let fault = faults.get(n).cloned().unwrap_or(Fault::None);
                n += 1;
                tokio::spawn(async move {
                    if let Ok(queen) = TcpStream::connect(upstream).await {
                        let _ = client.set_nodelay(true);
                        let _ = queen.set_nodelay(true);
                        pipe(client, queen, fault).await;
                    }
                });
            }
        });
        Self { addr, task }
    }

    /// The address clients connect to.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pipe(client: TcpStream, queen: TcpStream, fault: Fault) {
    let (mut cr, mut cw) = client.into_split();
    let (mut qr, mut qw) = queen.into_split();
    let up = async {
        let mut buf = [0u8; 4096];
        loop {
            match cr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if qw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
    };
    let down = async {
        let mut buf = [0u8; 4096];
        let mut sent = 0usize;
        let mut fault = fault;
        loop {
            let n = match qr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let mut chunk = &buf[..n];
            match &fault {
                Fault::None => {}
                Fault::CutAfter(limit) => {
                    let room = limit.saturating_sub(sent);
                    if chunk.len() >= room {
                        let _ = cw.write_all(&chunk[..room]).await;
                        return;
                    }
                }
                Fault::PauseAfter {
                    bytes,
                    paused,
                    resume,
                } => {
                    let room = bytes.saturating_sub(sent);
                    if chunk.len() >= room {
                        if cw.write_all(&chunk[..room]).await.is_err() {
                            return;
                        }
                        sent += room;
                        chunk = &chunk[room..];
                        paused.notify_one();
                        resume.notified().await;
                        fault = Fault::None;
                    }
                }
            }
            if cw.write_all(chunk).await.is_err() {
                break;
            }
            sent += chunk.len();
        }
    };
    // Either direction ending (or a cut) closes both sockets.
    tokio::select! {
        () = up => {},
        () = down => {},
    }
}
