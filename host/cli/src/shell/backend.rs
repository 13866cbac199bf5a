//! What the shell needs from a console connection.
//!
//! [`Backend`] is implemented by [`TcpBackend`](super::tcp::TcpBackend) (a
//! [`cohesix_tokio::Client`]) and by test doubles, so the script runner is tested without
//! sockets.

use std::future::Future;

use cohesix_core::request::Verb;
use cohesix_tokio::{ClientError, Reply};

/// One wire request the shell issues (already mapped from the shell language). Its ack label
/// and whether its reply ends with `END` are the core's verb table ([`Op::verb`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// A verb without arguments, sent as is (`PING`, `BI`, …): one whose
    /// [`Verb::args`] is `ArgShape::None`.
    Plain(Verb),
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
    /// The console verb this request sends.
    #[must_use]
    pub fn verb(&self) -> Verb {
        match self {
            Self::Plain(v) => *v,
            Self::CacheLog(_) => Verb::CacheLog,
            Self::Ls(_) => Verb::Ls,
            Self::Cat(_) => Verb::Cat,
            Self::Tail(_) => Verb::Tail,
            Self::Echo { .. } | Self::EchoOversize { .. } => Verb::Echo,
        }
    }

    /// The ack label the queen uses for this request.
    #[must_use]
    pub fn label(&self) -> &'static str {
        self.verb().ack_label()
    }

    /// Whether the reply is a stream closed by `END`.
    #[must_use]
    pub fn is_stream(&self) -> bool {
        self.verb().is_stream()
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
