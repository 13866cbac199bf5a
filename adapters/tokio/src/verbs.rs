//! Typed calls, one per console verb. Each builds a checked core [`Request`] and runs it
//! through [`Client::request`]; argument bounds are enforced before anything is sent.
//!
//! Cancel safety of every method here: as [`Client`] (dropping the future loses no bytes
//! and leaves the client usable).

use cohesix_core::request::Request;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::client::Client;
use crate::error::ClientError;
use crate::reply::Reply;

fn checked<'a>(
    r: Result<Request<'a>, cohesix_core::request::RequestError>,
) -> Result<Request<'a>, ClientError> {
    r.map_err(|e| ClientError::Core(e.into()))
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    /// `PING` → `OK PING reply=pong` + `PONG`. Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn ping(&mut self) -> Result<Reply, ClientError> {
        self.request(Request::Ping).await
    }

    /// `HELP` → help text lines. Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn help(&mut self) -> Result<Reply, ClientError> {
        self.request(Request::Help).await
    }

    /// `BI` → `OK BOOTINFO` + `[bi] …`. Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn bi(&mut self) -> Result<Reply, ClientError> {
        self.request(Request::Bi).await
    }

    /// `CAPS` → `[caps] …`. Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn caps(&mut self) -> Result<Reply, ClientError> {
        self.request(Request::Caps).await
    }

    /// `MEM` → `[mem] …`. Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn mem(&mut self) -> Result<Reply, ClientError> {
        self.request(Request::Mem).await
    }

    /// `NETSTATS` → counter lines. Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn netstats(&mut self) -> Result<Reply, ClientError> {
        self.request(Request::NetStats).await
    }

    /// `NETTEST` → triggers the network self-test. Not retried. Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn nettest(&mut self) -> Result<Reply, ClientError> {
        self.request(Request::NetTest).await
    }

    /// `TEST` (the queen answers `ERR TEST reason=policy detail=host-only`). Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn test(&mut self) -> Result<Reply, ClientError> {
        self.request(Request::Test).await
    }

    /// `CACHELOG [n]`. Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn cachelog(&mut self, count: Option<u16>) -> Result<Reply, ClientError> {
        self.request(Request::cachelog(count)).await
    }

    /// `LOG` → log snapshot up to `END` (queen only). Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn log(&mut self) -> Result<Reply, ClientError> {
        self.request(Request::Log).await
    }

    /// `LS path` → entries up to `END`. Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::request`]; [`ClientError::Core`] for an invalid path (nothing sent).
    pub async fn ls(&mut self, path: &str) -> Result<Reply, ClientError> {
        self.request(checked(Request::ls(path))?).await
    }

    /// `CAT path` → file lines up to `END` (see [`Reply::body`] for the `data=` preview).
    /// Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::ls`].
    pub async fn cat(&mut self, path: &str) -> Result<Reply, ClientError> {
        self.request(checked(Request::cat(path))?).await
    }

    /// `TAIL path` → snapshot up to `END`. Not retried (it advances a per-session cursor).
    /// Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::ls`].
    pub async fn tail(&mut self, path: &str) -> Result<Reply, ClientError> {
        self.request(checked(Request::tail(path))?).await
    }

    /// `ECHO path payload` → `OK ECHO path=… bytes=n`. Never re-sent: a lost ack gives
    /// [`ClientError::OutcomeUnknown`]. Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::request`]; [`ClientError::Core`] for a payload out of bounds.
    pub async fn echo(&mut self, path: &str, payload: &str) -> Result<Reply, ClientError> {
        self.request(checked(Request::echo(path, payload))?).await
    }

    /// `SPAWN payload` (the bare console verb). Never re-sent. Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::echo`].
    pub async fn spawn(&mut self, payload: &str) -> Result<Reply, ClientError> {
        self.request(checked(Request::spawn(payload))?).await
    }

    /// `KILL worker` (the bare console verb). Never re-sent. Cancel-safe.
    ///
    /// # Errors
    /// As [`Client::echo`].
    pub async fn kill(&mut self, worker: &str) -> Result<Reply, ClientError> {
        self.request(checked(Request::kill(worker))?).await
    }
}
