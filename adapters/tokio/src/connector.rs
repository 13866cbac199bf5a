//! How a console opens a transport: the [`Connector`] trait and its implementations.
//!
//! The console's driver calls [`Connector::connect`] for the first connection and for every
//! reconnect, then writes `AUTH` in the very first write. A connector only opens bytes; it
//! knows nothing of the protocol.
//!
//! * [`TcpConnector`]: a host name or address (`"queen.local:31337"`), resolved on every
//!   connect, with a connect deadline and `TCP_NODELAY`.
//! * [`FnConnector`]: any closure returning a future of a stream (in-memory duplex pairs,
//!   an in-process simulator, TLS wrappers, test peers).
//! * [`OnceConnector`]: one stream the caller already opened; no reconnect.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A boxed, `Send` connect future.
pub type ConnectFuture<Io> = Pin<Box<dyn Future<Output = io::Result<Io>> + Send + 'static>>;

/// Opens transports for a console.
pub trait Connector: Send + Sync + 'static {
    /// The byte stream.
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Opens a new transport. The console bounds the whole call with its operation
    /// timeout; a connector may apply a shorter one.
    fn connect(&self) -> ConnectFuture<Self::Io>;

    /// Whether another call to [`connect`](Connector::connect) can succeed (false for a
    /// one-shot stream that was already handed out): the console then fails waiting
    /// requests at once instead of backing off.
    fn can_reconnect(&self) -> bool {
        true
    }

    /// A description for logs and errors (no secrets).
    fn describe(&self) -> String {
        String::from("custom transport")
    }
}

/// TCP to `host:port`, resolved on every connect (so a moved queen is found again).
#[derive(Clone, Debug)]
pub struct TcpConnector {
    target: Arc<str>,
    timeout: Duration,
    nodelay: bool,
}

impl TcpConnector {
    /// A connector for `target` (`"host:port"`, `"[::1]:31337"`, `"10.0.0.5:31337"`), with
    /// a 5 s connect deadline and `TCP_NODELAY`.
    pub fn new(target: impl Into<String>) -> Self {
        Self {
            target: Arc::from(target.into()),
            timeout: Duration::from_millis(cohesix_generated::retry::TIMEOUT_MS),
            nodelay: true,
        }
    }

    /// Another connect deadline (resolution included).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether to set `TCP_NODELAY`.
    #[must_use]
    pub fn with_nodelay(mut self, nodelay: bool) -> Self {
        self.nodelay = nodelay;
        self
    }

    /// The target as given.
    #[must_use]
    pub fn target(&self) -> &str {
        &self.target
    }
}

impl Connector for TcpConnector {
    type Io = TcpStream;

    fn connect(&self) -> ConnectFuture<TcpStream> {
        let target = self.target.clone();
        let timeout = self.timeout;
        let nodelay = self.nodelay;
        Box::pin(async move {
            let stream = tokio::time::timeout(timeout, TcpStream::connect(&*target))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
            stream.set_nodelay(nodelay)?;
            Ok(stream)
        })
    }

    fn describe(&self) -> String {
        format!("tcp://{}", self.target)
    }
}

/// A connector made of a closure: `FnConnector::new(|| async { Ok(stream) })`.
pub struct FnConnector<F> {
    f: F,
    label: String,
}

impl<F> FnConnector<F> {
    /// Wraps `f`; `label` names the transport in logs.
    pub fn new(label: impl Into<String>, f: F) -> Self {
        Self {
            f,
            label: label.into(),
        }
    }
}

impl<F> std::fmt::Debug for FnConnector<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnConnector")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl<F, Fut, Io> Connector for FnConnector<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = io::Result<Io>> + Send + 'static,
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Io = Io;

    fn connect(&self) -> ConnectFuture<Io> {
        Box::pin((self.f)())
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}

/// One stream the caller opened: the first connect hands it out, later ones fail.
pub struct OnceConnector<S> {
    stream: Mutex<Option<S>>,
}

impl<S> OnceConnector<S> {
    /// Wraps an open stream.
    pub fn new(stream: S) -> Self {
        Self {
            stream: Mutex::new(Some(stream)),
        }
    }
}

impl<S> std::fmt::Debug for OnceConnector<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnceConnector")
    }
}

impl<S> Connector for OnceConnector<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Io = S;

    fn connect(&self) -> ConnectFuture<S> {
        let taken = self
            .stream
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        Box::pin(async move {
            taken.ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "stream already used"))
        })
    }

    fn can_reconnect(&self) -> bool {
        self.stream
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    fn describe(&self) -> String {
        String::from("caller-opened stream")
    }
}
