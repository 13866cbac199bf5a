//! What the shell needs from a console connection.
//!
//! [`Backend`] is implemented by [`TcpBackend`](super::tcp::TcpBackend) (a
//! [`cohesix_tokio::Client`]) and by test doubles, so the script runner is tested without
//! sockets.

use std::future::Future;

use cohesix_tokio::{ClientError, Reply};

/// One wire request the shell issues (already mapped from the shell language).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// `PING`
    Ping,
    /// `BI` (acked as `BOOTINFO`)
    Bi,
    /// `CAPS`
    Caps,
    /// `MEM`
    Mem,
    /// `NETSTATS`
    NetStats,
    /// `NETTEST`
    NetTest,
    /// `TEST`
    Test,
    /// `CACHELOG [n]`
    CacheLog(Option<u16>),
    /// `LS path`
    Ls(String),
    /// `CAT path`
    Cat(String),
    /// `TAIL path`
    Tail(String),
    /// `ECHO path payload`
    Echo {
        /// Target path.
        path: String,
        /// Single-line payload.
        payload: String,
    },
    /// A deliberately oversize `ECHO` frame (the `{{msize_overflow}}` sentinel): the queen
    /// answers `ERR FRAME reason=invalid-length`.
    EchoOversize {
        /// Target path.
        path: String,
        /// Payload length in bytes.
        len: usize,
    },
}

impl Op {
    /// The ack label the queen uses for this request.
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Self::Ping => "PING",
            Self::Bi => "BOOTINFO",
            Self::Caps => "CAPS",
            Self::Mem => "MEM",
            Self::NetStats => "NETSTATS",
            Self::NetTest => "NETTEST",
            Self::Test => "TEST",
            Self::CacheLog(_) => "CACHELOG",
            Self::Ls(_) => "LS",
            Self::Cat(_) => "CAT",
            Self::Tail(_) => "TAIL",
            Self::Echo { .. } | Self::EchoOversize { .. } => "ECHO",
        }
    }

    /// Whether the reply is a stream closed by `END`.
    #[must_use]
    pub fn is_stream(&self) -> bool {
        matches!(self, Self::Ls(_) | Self::Cat(_) | Self::Tail(_))
    }
}

/// A console connection as the shell sees it.
///
/// Cancel safety: implementations must be cancel-safe in the sense of
/// [`cohesix_tokio::Client`]: dropping any returned future loses no bytes and leaves the
/// backend usable.
pub trait Backend {
    /// Connects when needed (AUTH) and attaches with `role` and an optional ticket.
    fn attach(
        &mut self,
        role: &str,
        ticket: Option<&str>,
    ) -> impl Future<Output = Result<Reply, ClientError>>;

    /// Sends one request and returns its assembled reply.
    fn request(&mut self, op: &Op) -> impl Future<Output = Result<Reply, ClientError>>;

    /// Sends `quit`, waits for `OK QUIT` (if connected) and closes the connection.
    fn quit(&mut self) -> impl Future<Output = Result<Option<Reply>, ClientError>>;

    /// Whether a session is attached.
    fn is_attached(&self) -> bool;
}
