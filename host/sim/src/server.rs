//! Loopback TCP console (tokio) with the real queen's observable behaviour: an accept loop
//! over [`SimCore::serve`], so TCP and in-process clients run the same connection code.
//!
//! ```text
//!  accept ─► slot free? ──no──► SO_LINGER 0 + drop (client sees a reset)
//!    │ error: back off ACCEPT_ERROR_BACKOFF (stop-aware), accept again
//!    │yes
//!    ▼
//!  connection task: SimCore::serve_claimed (AUTH / idle / write deadlines, see serve)
//!  shutdown: stop accepting, stop every connection, wait ≤ SHUTDOWN_GRACE, abort the rest
//! ```
//!
//! Differences from SRV kept on purpose (real-queen notes win over the spec): AUTH failures
//! and the AUTH deadline close silently (no `ERR AUTH` on the wire); the idle close sends
//! nothing.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::config::SimConfig;
use crate::console::Console;
use crate::serve::{stopped, SimCore};

pub use crate::serve::{CLOSE_GRACE, ERR_FRAME, READ_CHUNK};

/// Pause after a failed `accept` (e.g. out of file descriptors) before the next one.
pub const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);
/// Longest [`SimHandle::shutdown`] waits for connection tasks before aborting them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_millis(1000);
/// Kernel send buffer of an accepted socket: bounds what a peer that stops reading can make
/// the simulator queue in the kernel (the real queen's smoltcp buffers are small too).
pub const SEND_BUFFER_BYTES: usize = 64 * 1024;

/// Entry point of the simulator library.
#[derive(Debug)]
pub struct Simulator;

/// A running TCP simulator. Dropping the handle stops it like [`SimHandle::shutdown`]
/// (without waiting), including the core's in-process connections.
#[derive(Debug)]
pub struct SimHandle {
    local_addr: SocketAddr,
    core: SimCore,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// A source of connections: the TCP listener, or a test double.
pub(crate) trait Listener: Send + 'static {
    /// Accepted stream type.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// Waits for the next connection.
    fn accept(&mut self) -> impl Future<Output = io::Result<Self::Stream>> + Send;
    /// Turns away a connection while the slot is taken.
    fn refuse(stream: Self::Stream);
}

impl Listener for TcpListener {
    type Stream = TcpStream;

    async fn accept(&mut self) -> io::Result<TcpStream> {
        let (stream, peer) = TcpListener::accept(self).await?;
        tracing::debug!(%peer, "connection open");
        let _ = stream.set_nodelay(true);
        let _ = socket2::SockRef::from(&stream).set_send_buffer_size(SEND_BUFFER_BYTES);
        Ok(stream)
    }

    /// Accept-then-reset: SO_LINGER 0 makes the close send RST.
    fn refuse(stream: TcpStream) {
        tracing::debug!("second client reset");
        let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        drop(stream);
    }
}

impl Simulator {
    /// Binds `config.bind` and serves a new [`SimCore`] built from `config` until
    /// [`SimHandle::shutdown`]. Must run inside a tokio runtime. Cancel safety: dropping the
    /// future before it completes drops the listener; nothing is left running.
    pub async fn spawn(config: SimConfig) -> io::Result<SimHandle> {
        let bind = config.bind;
        Self::spawn_with(SimCore::new(config), bind).await
    }

    /// Binds `bind` and serves `core` over TCP (the core may also serve in-process streams;
    /// the single-client rule spans both). Cancel safety: as [`Simulator::spawn`].
    pub async fn spawn_with(core: SimCore, bind: SocketAddr) -> io::Result<SimHandle> {
        let listener = TcpListener::bind(bind).await?;
        let local_addr = listener.local_addr()?;
        let (stop, rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, core.clone(), rx));
        Ok(SimHandle {
            local_addr,
            core,
            stop,
            task: Some(task),
        })
    }
}

impl SimHandle {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Shared console state (namespace inspection in tests).
    pub fn console(&self) -> Arc<Mutex<Console>> {
        self.core.console()
    }

    /// The served core.
    pub fn core(&self) -> &SimCore {
        &self.core
    }

    /// Stops accepting, ends every connection of the core and waits for the server task
    /// (at most about [`SHUTDOWN_GRACE`]: connection tasks still running then are aborted).
    /// Cancel safety: the stop signals are sent before the first await, so dropping the
    /// future early still stops the server (without waiting for it).
    pub async fn shutdown(mut self) {
        self.signal();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    fn signal(&self) {
        self.stop.send_replace(true);
        self.core.shutdown();
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.signal();
    }
}

/// Accepts until stopped; serves one connection at a time and refuses the others.
pub(crate) async fn accept_loop<L: Listener>(
    mut listener: L,
    core: SimCore,
    mut stop: watch::Receiver<bool>,
) {
    // Connection tasks: at most one serving, plus ones within their CLOSE_GRACE.
    let mut conns: JoinSet<()> = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = stopped(&mut stop) => break,
            r = listener.accept() => r,
        };
        while conns.try_join_next().is_some() {}
        match accepted {
            Err(e) => {
                tracing::debug!(error = %e, "accept failed; backing off");
                tokio::select! {
                    _ = stopped(&mut stop) => break,
                    _ = tokio::time::sleep(ACCEPT_ERROR_BACKOFF) => {}
                }
            }
            Ok(stream) => match core.claim() {
                None => L::refuse(stream),
                Some(slot) => {
                    let core = core.clone();
                    conns.spawn(async move {
                        core.serve_claimed(slot, stream).await;
                    });
                }
            },
        }
    }
    core.shutdown();
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::debug!("connection tasks past the shutdown grace; aborting");
        conns.abort_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, DuplexStream};
    use tokio::sync::mpsc;

    use super::*;

    /// Accepts streams from a channel; `Err` items are accept failures.
    struct Fake {
        rx: mpsc::UnboundedReceiver<io::Result<DuplexStream>>,
        calls: Arc<AtomicUsize>,
    }

    /// Streams turned away (only the refusal test refuses anything).
    static REFUSED: AtomicUsize = AtomicUsize::new(0);

    impl Listener for Fake {
        type Stream = DuplexStream;

        async fn accept(&mut self) -> io::Result<DuplexStream> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            match self.rx.recv().await {
                Some(r) => r,
                None => std::future::pending().await,
            }
        }

        fn refuse(stream: DuplexStream) {
            REFUSED.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn accept_errors_back_off_and_stop_ends_the_loop_within_its_deadlines() {
        let (tx, rx) = mpsc::unbounded_channel();
        let calls = Arc::new(AtomicUsize::new(0));
        let fake = Fake {
            rx,
            calls: calls.clone(),
        };
        let core = SimCore::new(SimConfig::loopback());
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(fake, core.clone(), stop_rx));
        // 1 s of continuous accept failures (e.g. EMFILE): one attempt per back-off, no spin.
        for _ in 0..1000 {
            tx.send(Err(io::Error::other("EMFILE"))).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let n = calls.load(Ordering::SeqCst);
        let most = (1000 / ACCEPT_ERROR_BACKOFF.as_millis()) as usize + 2;
        assert!((2..=most).contains(&n), "{n} accepts in 1 s");
        // Stop during a back-off: the loop ends at once, not after the queued errors.
        let t0 = tokio::time::Instant::now();
        stop.send_replace(true);
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("accept loop ignored stop")
            .unwrap();
        assert!(t0.elapsed() < ACCEPT_ERROR_BACKOFF, "{:?}", t0.elapsed());
        assert!(core.is_shut_down());
    }

    #[tokio::test(start_paused = true)]
    async fn second_connection_is_refused_and_shutdown_is_bounded() {
        let (tx, rx) = mpsc::unbounded_channel();
        let fake = Fake {
            rx,
            calls: Arc::new(AtomicUsize::new(0)),
        };
        let mut cfg = SimConfig::loopback();
        cfg.auth_timeout = Duration::from_secs(3600);
        let core = SimCore::new(cfg);
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(fake, core.clone(), stop_rx));
        let (_first, s1) = tokio::io::duplex(64);
        let (mut second, s2) = tokio::io::duplex(64);
        tx.send(Ok(s1)).unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
        tx.send(Ok(s2)).unwrap();
        let mut b = [0u8; 1];
        assert_eq!(second.read(&mut b).await.unwrap(), 0);
        assert_eq!(REFUSED.load(Ordering::SeqCst), 1);
        assert!(core.is_busy(), "the first connection holds the slot");
        let t0 = tokio::time::Instant::now();
        stop.send_replace(true);
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("accept loop ignored stop")
            .unwrap();
        assert!(t0.elapsed() <= SHUTDOWN_GRACE, "{:?}", t0.elapsed());
        assert!(!core.is_busy());
    }
}
