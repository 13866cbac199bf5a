//! The backend contract (host-surface §5.1) and its four implementations.
//!
//! ```text
//!              Backend (list · read · tail · append · bounds · close)
//!   ┌───────────────┬──────────────────┬────────────────────┬─────────────────┐
//!   TcpBackend      MockBackend        FilesystemBackend    RestBackend
//!   Console → TCP   Console → in-proc  a directory in the   the hive-gateway
//!   to a queen      simulator (no      shape of `coh mount` over HTTP
//!                   socket) + mirror                        (feature `rest`)
//! ```
//!
//! The same rules hold on every backend, so a caller never learns which one it has:
//!
//! * **Paths** are checked with the core's rules (§1.3 wording) before anything happens.
//! * **`list`** returns entry names sorted bytewise.
//! * **`read`** returns the node's lines, each followed by `\n`; a node larger than
//!   `max_bytes` is an error (`"read <path> exceeds max bytes <n>"`), never truncated.
//! * **`tail`** returns the newest whole lines that fit in `max_bytes` (0 gives nothing).
//! * **`append`** takes one line (trailing `\n`s removed; an inner `\n` or `\r` is refused
//!   with `"echo payload must be a single line"`; over the console's 128-byte echo bound
//!   `"echo payload exceeds 128 bytes"`), performs **one** append, and returns
//!   **`bytes_written` = the line's length plus one** (the record with its newline) on every
//!   backend. A write whose acknowledgement was lost is [`Error::OutcomeUnknown`] and is
//!   never re-sent.
//! * **`bounds`** is the gateway's bounds document where the backend has one (REST), else
//!   `None`.
//!
//! Every future is `Send`; every method is cancel-safe (a dropped read loses nothing; a
//! dropped append may still be applied).

mod any;
mod console;
mod fs;
mod line;
mod mock;
#[cfg(feature = "rest")]
pub mod rest;

use std::future::Future;

pub use any::AnyBackend;
pub use console::{TcpBackend, TcpOptions};
pub use fs::FilesystemBackend;
pub use line::{check_path, prepare_line, ECHO_BOUND};
pub use mock::{MockBackend, MockOptions};
#[cfg(feature = "rest")]
pub use rest::{
    RestBackend, RestOptions, RestReply, RestRetry, RestVerb, AUTH_HEADER as REST_AUTH_HEADER,
};

use crate::error::Error;

/// Which kind of backend an [`AnyBackend`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BackendKind {
    /// The TCP console of a queen.
    Tcp,
    /// The in-process simulator.
    Mock,
    /// A directory (a `coh mount`).
    Filesystem,
    /// The REST gateway.
    Rest,
}

impl BackendKind {
    /// A short name (`tcp`, `mock`, `filesystem`, `rest`).
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Mock => "mock",
            Self::Filesystem => "filesystem",
            Self::Rest => "rest",
        }
    }
}

/// The §5.1 backend contract. See the [module docs](self) for the rules every
/// implementation keeps.
pub trait Backend: Send + Sync {
    /// Which kind this is.
    fn kind(&self) -> BackendKind;

    /// Entry names of the directory `path`, sorted.
    ///
    /// Cancel-safe.
    fn list(&self, path: &str) -> impl Future<Output = Result<Vec<String>, Error>> + Send;

    /// The lines of the file `path` (each ending in `\n`), at most `max_bytes`.
    ///
    /// Cancel-safe.
    fn read(
        &self,
        path: &str,
        max_bytes: usize,
    ) -> impl Future<Output = Result<Vec<u8>, Error>> + Send;

    /// The newest whole lines of `path` that fit in `max_bytes`.
    ///
    /// Cancel-safe (on the console, `TAIL` advances a per-session cursor; a dropped call
    /// may have advanced it).
    fn tail(
        &self,
        path: &str,
        max_bytes: usize,
    ) -> impl Future<Output = Result<Vec<u8>, Error>> + Send;

    /// Appends one line to `path`; returns the bytes written (line + newline).
    ///
    /// Cancel-safe in the sense that nothing is ever re-sent; a dropped call may still be
    /// applied.
    fn append(&self, path: &str, line: &str) -> impl Future<Output = Result<usize, Error>> + Send;

    /// The target's bounds document, where the backend has one.
    ///
    /// Cancel-safe.
    fn bounds(&self) -> impl Future<Output = Result<Option<serde_json::Value>, Error>> + Send {
        async { Ok(None) }
    }

    /// Releases the connection (sends `QUIT` on the console). Later calls reconnect.
    ///
    /// Cancel-safe.
    fn close(&self) -> impl Future<Output = Result<(), Error>> + Send {
        async { Ok(()) }
    }
}

/// Lines of `bytes` (as [`Backend::read`] returns them), trimmed, empty ones dropped.
#[must_use]
pub fn lines_of(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}
