//! Serving the console over any byte stream: [`SimCore`] holds one simulated queen's shared
//! state (console and namespace, ATTACH guard, token, deadlines, the single console slot) and
//! [`SimCore::serve`] runs one connection over anything `AsyncRead + AsyncWrite` — a TCP
//! socket, a `tokio::io::duplex` pipe, a TLS stream. The TCP server ([`crate::server`]) is a
//! thin accept loop over the same code, so an in-process client exercises exactly what a
//! TCP client does.
//!
//! ```text
//!  SimCore (Clone: one Arc)            serve(stream)
//!   ├─ console: Arc<Mutex<Console>> ◄── conn::run ── read/decode/execute/write, deadlines
//!   ├─ token, limits                          │
//!   ├─ slot (single-client rule) ◄── claim ───┘ (busy: the stream is closed at once)
//!   └─ stop (shutdown)
//! ```
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use cohesix_sim::{SimConfig, SimCore};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let core = SimCore::new(SimConfig::loopback());
//! let (mut client, server) = tokio::io::duplex(4096);
//! let serving = tokio::spawn({
//!     let core = core.clone();
//!     async move { core.serve(server).await }
//! });
//! client.write_all(b"\x11\x00\x00\x00AUTH changeme").await.unwrap();
//! let mut ack = [0u8; 11];
//! client.read_exact(&mut ack).await.unwrap();
//! assert_eq!(&ack[4..], b"OK AUTH");
//! drop(client);
//! assert_eq!(serving.await.unwrap(), cohesix_sim::SessionEnd::PeerClosed);
//! # }
//! ```

mod conn;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;

use crate::config::{AuthToken, SimConfig};
use crate::console::Console;
use crate::namespace::Namespace;

pub use conn::{ERR_FRAME, READ_CHUNK};

/// Longest wait for a graceful close (FIN) after a session ended.
pub const CLOSE_GRACE: Duration = Duration::from_millis(250);

/// Why a served connection ended.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// Another connection held the single console slot: this one was closed at once, unread.
    Busy,
    /// The client sent `QUIT`; `OK QUIT` was sent.
    Quit,
    /// The peer closed (EOF, half-close) or reset the stream.
    PeerClosed,
    /// Before AUTH: a non-AUTH frame, a wrong token or bad framing (closed silently).
    AuthRejected,
    /// No AUTH before the AUTH deadline (closed silently).
    AuthTimeout,
    /// Authenticated, and no complete inbound frame and no completed send within the idle
    /// limit (closed silently).
    IdleTimeout,
    /// A send did not complete by its deadline: the peer stopped reading.
    WriteTimeout,
    /// After AUTH: framing the queen closes on (length 0..3, invalid UTF-8).
    Protocol,
    /// Another I/O error.
    Io,
    /// [`SimCore::shutdown`] (or the TCP server's shutdown) ended it.
    Stopped,
}

/// Deadlines of every connection of one core.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) auth_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) write_timeout: Duration,
}

#[derive(Debug)]
struct Inner {
    console: Arc<Mutex<Console>>,
    token: AuthToken,
    limits: Limits,
    busy: AtomicBool,
    stop: watch::Sender<bool>,
}

/// One simulated queen, servable over any stream. Clones share everything (one `Arc`).
#[derive(Debug, Clone)]
pub struct SimCore {
    inner: Arc<Inner>,
}

/// The single console slot, held while a connection is served; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct Slot {
    inner: Arc<Inner>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.inner.busy.store(false, Ordering::SeqCst);
    }
}

/// Resolves once `rx` has seen `true` (or its sender is gone). Cancel safe.
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

impl SimCore {
    /// A freshly booted queen built from `config` (namespace from `features` and `seed`,
    /// ticket secrets, clock, token, deadlines; `bind` is not used here).
    pub fn new(config: SimConfig) -> Self {
        let ns = Namespace::new(config.features, config.seed);
        let console = Console::new(ns, config.secrets, config.clock);
        let (stop, _) = watch::channel(false);
        Self {
            inner: Arc::new(Inner {
                console: Arc::new(Mutex::new(console)),
                token: config.token,
                limits: Limits {
                    auth_timeout: config.auth_timeout,
                    idle_timeout: config.idle_timeout,
                    write_timeout: config.write_timeout,
                },
                busy: AtomicBool::new(false),
                stop,
            }),
        }
    }

    /// Shared console state (namespace inspection and seeding in tests and tools). Never hold
    /// the lock across an await.
    pub fn console(&self) -> Arc<Mutex<Console>> {
        self.inner.console.clone()
    }

    fn console_ref(&self) -> &Mutex<Console> {
        &self.inner.console
    }

    fn token(&self) -> &AuthToken {
        &self.inner.token
    }

    pub(crate) fn limits(&self) -> Limits {
        self.inner.limits
    }

    /// Whether a connection holds the console slot now.
    pub fn is_busy(&self) -> bool {
        self.inner.busy.load(Ordering::SeqCst)
    }

    /// Takes the single console slot, or `None` while another connection holds it.
    pub(crate) fn claim(&self) -> Option<Slot> {
        (!self.inner.busy.swap(true, Ordering::SeqCst)).then(|| Slot {
            inner: self.inner.clone(),
        })
    }

    /// Ends every connection of this core now (each returns [`SessionEnd::Stopped`]) and
    /// makes every later [`SimCore::serve`] return at once. Idempotent.
    pub fn shutdown(&self) {
        self.inner.stop.send_replace(true);
    }

    /// Whether [`SimCore::shutdown`] was called.
    pub fn is_shut_down(&self) -> bool {
        *self.inner.stop.borrow()
    }

    /// Serves one connection over `stream` with exactly the TCP server's behaviour (no
    /// greeting, silent AUTH failures, AUTH/idle/write deadlines, inbound queue of 8,
    /// `ERR FRAME` and discard) and the single-client rule: while another stream is served,
    /// this one is closed at once ([`SessionEnd::Busy`]); the TCP server resets such a
    /// socket instead. After the session the slot is freed first, then the stream is shut
    /// down gracefully (at most [`CLOSE_GRACE`]) and dropped.
    ///
    /// Cancel safety: dropping the future drops the stream (the peer sees a close), frees the
    /// slot and loses only this connection's session state (attach role, TAIL cursors); the
    /// shared namespace is changed only by whole commands, never half-applied.
    pub async fn serve<S>(&self, stream: S) -> SessionEnd
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        match self.claim() {
            Some(slot) => self.serve_claimed(slot, stream).await,
            None => {
                drop(stream);
                SessionEnd::Busy
            }
        }
    }

    /// [`SimCore::serve`] for a stream that already holds the slot. Cancel safety: as
    /// [`SimCore::serve`].
    pub(crate) async fn serve_claimed<S>(&self, slot: Slot, mut stream: S) -> SessionEnd
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let mut stop = self.inner.stop.subscribe();
        let end = if *stop.borrow() {
            SessionEnd::Stopped
        } else {
            conn::run(self, &mut stream, &mut stop).await
        };
        // Free the slot before the peer can observe the close, so a client that reconnects
        // after seeing EOF is never mistaken for a second one.
        drop(slot);
        tracing::debug!(?end, "session ended");
        let _ = tokio::time::timeout(CLOSE_GRACE, stream.shutdown()).await;
        end
    }
}
