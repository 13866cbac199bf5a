//! The `&mut` client: an eager-connecting facade over one [`Console`].
//!
//! [`Client::connect`] and [`Client::with_stream`] open the connection before returning
//! (so connect, AUTH and ATTACH errors come back from the constructor); every request then
//! goes through the console's driver, the one protocol driver of this crate. The typed
//! verbs, [`Console::pipeline`], [`Console::echo_batch`] and friends are reached through
//! `Deref`.

use std::net::SocketAddr;
use std::ops::Deref;

use cohesix_core::session::Credentials;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::config::ClientConfig;
use crate::connector::{OnceConnector, TcpConnector};
use crate::console::Console;
use crate::error::ClientError;
use crate::reply::Reply;

/// An authenticated, attached console connection to a queen.
///
/// A client made with [`Client::connect`] reconnects (AUTH + ATTACH) after a drop; one made
/// with [`Client::with_stream`] cannot open a new transport, so after its connection ends
/// every call fails with [`ClientError::Closed`].
///
/// **Cancel safety (every async method):** as [`Console`]: dropping a future never
/// desynchronises the connection.
#[derive(Debug)]
pub struct Client {
    console: Console,
    addr: Option<SocketAddr>,
}

impl Client {
    /// Connects to `addr`, sends `AUTH` in the first write after the connect completes
    /// (the queen closes silent connections within tens of milliseconds), then `ATTACH`
    /// with the credentials' role and ticket. Connect failures and resets are retried with
    /// the configured back-off; an auth or attach refusal is not.
    ///
    /// Cancel-safe: dropping the future stops the connect (the driver ends with it).
    ///
    /// # Errors
    /// As [`Console::ready`], and [`ClientError::Core`] for an unusable configuration.
    pub async fn connect(
        addr: SocketAddr,
        credentials: Credentials,
        config: ClientConfig,
    ) -> Result<Self, ClientError> {
        let connector = TcpConnector::new(addr.to_string())
            .with_timeout(config.op_timeout())
            .with_nodelay(config.nodelay());
        let console = Console::with_connector(connector, credentials, config)?;
        console.ready().await?;
        Ok(Self {
            console,
            addr: Some(addr),
        })
    }

    /// Runs the console session over an already open transport: writes `AUTH` at once,
    /// then `ATTACH`, and returns once attached. The client never reconnects.
    ///
    /// Cancel-safe: dropping the future drops the transport.
    ///
    /// # Errors
    /// As [`Client::connect`].
    pub async fn with_stream<S>(
        stream: S,
        credentials: Credentials,
        config: ClientConfig,
    ) -> Result<Self, ClientError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let console = Console::with_connector(OnceConnector::new(stream), credentials, config)?;
        console.ready().await?;
        Ok(Self {
            console,
            addr: None,
        })
    }

    /// The peer address (`0.0.0.0:0` for a caller-opened stream).
    #[must_use]
    pub fn peer_addr(&self) -> SocketAddr {
        self.addr
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// The shared handle underneath (clone it to use the connection from other tasks).
    #[must_use]
    pub fn console(&self) -> &Console {
        &self.console
    }

    /// Sends `QUIT` and waits for `OK QUIT` and the close; returns the `OK QUIT` line. A
    /// later call on a [`Client::connect`] client opens a new connection.
    ///
    /// Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::quit`].
    pub async fn quit(&mut self) -> Result<Reply, ClientError> {
        self.console.quit().await
    }

    /// Waits `duration` while the driver keeps the connection serviced (heartbeat `PING`s,
    /// noticing a dropped connection). Call it while waiting for user input.
    ///
    /// Cancel-safe.
    ///
    /// # Errors
    /// [`ClientError::Closed`] when the connection is closed at the end of the wait.
    pub async fn idle(&mut self, duration: std::time::Duration) -> Result<(), ClientError> {
        tokio::time::sleep(duration).await;
        if self.console.is_connected() {
            Ok(())
        } else {
            Err(ClientError::Closed)
        }
    }
}

impl Deref for Client {
    type Target = Console;

    fn deref(&self) -> &Console {
        &self.console
    }
}
