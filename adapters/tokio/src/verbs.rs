//! Typed calls, one per console verb. Each builds a checked core [`Request`] and runs it
//! through [`Console::request`]; argument bounds are enforced before anything is sent.
//!
//! Cancel safety of every method here: as [`Console`] (dropping the future never
//! desynchronises the connection).

use cohesix_core::request::Request;

use crate::console::Console;
use crate::error::ClientError;
use crate::reply::Reply;

fn checked<'a>(
    r: Result<Request<'a>, cohesix_core::request::RequestError>,
) -> Result<Request<'a>, ClientError> {
    r.map_err(|e| ClientError::Core(e.into()))
}

impl Console {
    /// `PING` → `OK PING reply=pong` + `PONG`. Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::request`].
    pub async fn ping(&self) -> Result<Reply, ClientError> {
        self.request(Request::Ping).await
    }

    /// `HELP` → help text lines. Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::request`].
    pub async fn help(&self) -> Result<Reply, ClientError> {
        self.request(Request::Help).await
    }

    /// `BI` → `OK BOOTINFO` + `[bi] …`. Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::request`].
    pub async fn bi(&self) -> Result<Reply, ClientError> {
        self.request(Request::Bi).await
    }

    /// `CAPS` → `[caps] …`. Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::request`].
    pub async fn caps(&self) -> Result<Reply, ClientError> {
        self.request(Request::Caps).await
    }

    /// `MEM` → `[mem] …`. Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::request`].
    pub async fn mem(&self) -> Result<Reply, ClientError> {
        self.request(Request::Mem).await
    }

    /// `NETSTATS` → counter lines. Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::request`].
    pub async fn netstats(&self) -> Result<Reply, ClientError> {
        self.request(Request::NetStats).await
    }

    /// `NETTEST` → triggers the network self-test. Not retried. Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::request`].
    pub async fn nettest(&self) -> Result<Reply, ClientError> {
        self.request(Request::NetTest).await
    }

    /// `TEST` (the queen answers `ERR TEST reason=policy detail=host-only`). Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::request`].
    pub async fn test(&self) -> Result<Reply, ClientError> {
        self.request(Request::Test).await
    }

    /// `CACHELOG [n]`. Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::request`].
    pub async fn cachelog(&self, count: Option<u16>) -> Result<Reply, ClientError> {
        self.request(Request::cachelog(count)).await
    }

    /// `LOG` → log snapshot up to `END` (queen only). Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::request`].
    pub async fn log(&self) -> Result<Reply, ClientError> {
        self.request(Request::Log).await
    }

    /// `LS path` → entries up to `END`. Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::request`]; [`ClientError::Core`] for an invalid path (nothing sent).
    pub async fn ls(&self, path: &str) -> Result<Reply, ClientError> {
        self.request(checked(Request::ls(path))?).await
    }

    /// `CAT path` → file lines up to `END` (see [`Reply::body`] for the `data=` preview).
    /// Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::ls`].
    pub async fn cat(&self, path: &str) -> Result<Reply, ClientError> {
        self.request(checked(Request::cat(path))?).await
    }

    /// `TAIL path` → snapshot up to `END`. Not retried (it advances a per-session cursor).
    /// Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::ls`].
    pub async fn tail(&self, path: &str) -> Result<Reply, ClientError> {
        self.request(checked(Request::tail(path))?).await
    }

    /// `ECHO path payload` → `OK ECHO path=… bytes=n`. Never re-sent: a lost ack gives
    /// [`ClientError::OutcomeUnknown`]. Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::request`]; [`ClientError::Core`] for a payload out of bounds.
    pub async fn echo(&self, path: &str, payload: &str) -> Result<Reply, ClientError> {
        self.request(checked(Request::echo(path, payload))?).await
    }

    /// `SPAWN payload` (the bare console verb). Never re-sent. Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::echo`].
    pub async fn spawn(&self, payload: &str) -> Result<Reply, ClientError> {
        self.request(checked(Request::spawn(payload))?).await
    }

    /// `KILL worker` (the bare console verb). Never re-sent. Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::echo`].
    pub async fn kill(&self, worker: &str) -> Result<Reply, ClientError> {
        self.request(checked(Request::kill(worker))?).await
    }
}
