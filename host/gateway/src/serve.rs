//! Serving: [`serve`] on a listener until a shutdown signal, then a bounded drain of the
//! requests in flight, then `QUIT` on the console; [`start`] binds and serves in the
//! background ([`Running`]), for tools and tests.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::GatewayConfig;
use crate::state::{Gateway, GatewayError};

/// Serves `gateway` on `listener` until `shutdown` completes; then stops accepting, lets the
/// requests in flight finish (at most the configured drain time), and closes the console.
///
/// Cancel safety: dropping the future drops the listener and every connection (requests in
/// flight are cut; a write already sent may still be applied by the queen).
///
/// # Errors
/// Accept-loop I/O errors.
pub async fn serve(
    gateway: Gateway,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = gateway
        .router()
        .into_make_service_with_connect_info::<SocketAddr>();
    let (drain_tx, drain_rx) = oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutdown: draining requests in flight");
        let _ = drain_tx.send(());
    };
    // One response is a few small writes: no Nagle delay between them.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
        let _ = tcp.set_nodelay(true);
    });
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(signal)
        .into_future();
    let drain = gateway.config().drain_timeout;
    let deadline = async move {
        if drain_rx.await.is_ok() {
            tokio::time::sleep(drain).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let result = tokio::select! {
        r = server => r,
        () = deadline => {
            tracing::warn!(?drain, "drain time over: closing the remaining connections");
            Ok(())
        }
    };
    gateway.close().await;
    tracing::info!("gateway stopped");
    result
}

/// A gateway serving in the background.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    gateway: Gateway,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// The bound address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The gateway.
    #[must_use]
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// Signals shutdown and waits for the drain (as on SIGTERM). Cancel-safe: the signal is
    /// sent before the first await.
    ///
    /// # Errors
    /// The server's I/O error, if any.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e.to_string())),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Builds the gateway of `config`, binds `config.bind` and serves in the background. Must
/// run inside a tokio runtime.
///
/// Cancel safety: dropping the future before it completes leaves nothing running.
///
/// # Errors
/// [`GatewayError`].
pub async fn start(config: GatewayConfig) -> Result<Running, GatewayError> {
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(GatewayError::Bind)?;
    let addr = listener.local_addr().map_err(GatewayError::Bind)?;
    let gateway = Gateway::new(config)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(gateway.clone(), listener, async move {
        let _ = stopped.await;
    }));
    tracing::info!(%addr, "hive-gateway listening");
    Ok(Running {
        addr,
        gateway,
        stop: Some(stop),
        task,
    })
}
