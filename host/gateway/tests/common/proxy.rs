//! A loopback TCP proxy between the gateway and a simulator that can hold the queen→client
//! direction (requests reach the queen, replies do not come back) and cut every connection
//! (a restart as the client sees it).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

#[derive(Debug)]
struct State {
    hold: watch::Sender<bool>,
    cut: watch::Sender<u64>,
    accepted: AtomicU64,
    delay: Duration,
}

/// A running proxy.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Listens on loopback, forwarding each connection to `upstream`.
    pub async fn spawn(upstream: SocketAddr) -> Self {
        Self::spawn_delayed(upstream, Duration::ZERO).await
    }

    /// As [`Proxy::spawn`], every queen→client byte arriving `delay` late (a delay line:
    /// latency without a throughput limit, like a network round trip).
    pub async fn spawn_delayed(upstream: SocketAddr, delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(State {
            hold: watch::channel(false).0,
            cut: watch::channel(0).0,
            accepted: AtomicU64::new(0),
            delay,
        });
        let st = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                st.accepted.fetch_add(1, Ordering::SeqCst);
                let st = st.clone();
                tokio::spawn(async move {
                    if let Ok(queen) = TcpStream::connect(upstream).await {
                        let _ = client.set_nodelay(true);
                        let _ = queen.set_nodelay(true);
                        pipe(client, queen, &st).await;
                    }
                });
            }
        });
        Self { addr, state, task }
    }

    /// The address to connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops (or resumes) forwarding queen→client bytes.
    pub fn hold(&self, on: bool) {
        self.state.hold.send_replace(on);
    }

    /// Closes every connection open now.
    pub fn cut(&self) {
        self.state.cut.send_modify(|g| *g += 1);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.state.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}

async fn pipe(client: TcpStream, queen: TcpStream, st: &State) {
    let (mut cr, mut cw) = client.into_split();
    let (mut qr, mut qw) = queen.into_split();
    let mut cut = st.cut.subscribe();
    cut.mark_unchanged();
    let mut hold = st.hold.subscribe();
    let up = async {
        let mut buf = [0u8; 8192];
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if qw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let delay = st.delay;
    let (line_tx, mut line_rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let down = async {
        let mut buf = [0u8; 8192];
        loop {
            let n = match qr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            while *hold.borrow_and_update() {
                if hold.changed().await.is_err() {
                    return;
                }
            }
            if line_tx
                .send((Instant::now() + delay, buf[..n].to_vec()))
                .is_err()
            {
                break;
            }
        }
        // The delay line drains what it holds, then the connection ends.
        drop(line_tx);
    };
    let delayed = async {
        while let Some((due, bytes)) = line_rx.recv().await {
            tokio::time::sleep_until(due).await;
            if cw.write_all(&bytes).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        () = up => {}
        () = async { tokio::join!(down, delayed); } => {}
        _ = cut.changed() => {}
    }
}
