//! The shared console handle: a cloneable [`Console`] for any number of tasks, and the
//! [`Driver`] task that owns the one connection (the tokio-postgres `(Client, Connection)`
//! split).
//!
//! ```text
//!  task A ─┐  console.cat("/proc/lease/active")          ┌─ Driver (one task) ───────────┐
//!  task B ─┼─ Console (Clone, Send + Sync) ──bounded──►  │ FIFO queue → core Session      │
//!  task C ─┘  console.echo("/queen/ctl", …)   mpsc       │ ≤ 8 on the wire, heartbeat,    │
//!        ◄── own reply (oneshot) / lines (stream) ────── │ reconnect via Connector        │
//!                                                        └────────────────────────────────┘
//! ```
//!
//! * **No hand-off per request:** the connection is one future, polled by one party at a
//!   time. A caller waiting on its reply polls it itself (on the runtime the driver task runs
//!   on), so an unpipelined request is written and its reply read on the caller's own
//!   thread, as with a raw socket; the connection's wake-ups go to that caller while it
//!   waits, to the driver task otherwise (heartbeats, reconnects, other callers' replies).
//!   Callers on another runtime, or with none, are served by the driver task.
//! * **Pipelining happens by itself:** requests from all callers are sent in the order they
//!   were submitted, up to 8 unanswered (the queen's inbound queue), through the one core
//!   session, and each reply goes to its own caller. Nothing is sent until a request is
//!   submitted; the first request (or [`Console::ready`]) opens the connection.
//! * **Liveness:** while attached and idle the driver sends the session's heartbeat `PING`
//!   (15 s by default; the real queen drops silent sessions after ~8 minutes).
//! * **Reconnects** go through the [`Connector`] with the retry policy's back-off (200 ms
//!   doubling to 2 s). Interrupted idempotent reads are re-submitted; a write whose ack was
//!   not seen is [`ClientError::OutcomeUnknown`] and never re-sent; a refused AUTH is
//!   fatal. A protocol violation by the peer is reported as [`ClientError::Protocol`], not
//!   retried.
//! * **Deadlines and budgets:** every request has a whole-request deadline
//!   ([`ClientConfig::request_timeout`]) and every collected reply a byte budget
//!   ([`ClientConfig::reply_budget`]); [`Console::stream`] hands lines out as they arrive
//!   for replies beyond it.
//! * **Cancel safety (every async method):** dropping a returned future never
//!   desynchronises the connection. A request not yet on the wire is skipped; one already
//!   sent has its reply read and discarded by the driver. A dropped write may still be
//!   applied by the queen.
//! * Dropping the last handle lets the driver finish outstanding work, send `QUIT` and end.

mod driver;
mod engine;
mod job;
mod status;

use std::collections::VecDeque;
use std::sync::Arc;

use cohesix_core::request::Request;
use cohesix_core::role::Role;
use cohesix_core::session::{Credentials, Session};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

pub use engine::Driver;
pub use status::ConsoleStatus;

use crate::config::ClientConfig;
use crate::connector::{Connector, TcpConnector};
use crate::error::ClientError;
use crate::owned::OwnedRequest;
use crate::pump::Pump;
use crate::reply::{Ack, Reply};
use job::{BatchFlag, Job, Sink, StreamItem};
use status::Shared;

/// Most requests [`Console::pipeline`] takes at once (the queen's inbound queue depth).
pub const MAX_PIPELINE: usize = cohesix_generated::console::MAX_IN_FLIGHT;

/// Capacity of a streamed reply's channel (lines the caller has not taken yet).
const STREAM_CHANNEL: usize = 256;

/// What happened to one line of a write batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineOutcome {
    /// Acknowledged with `OK`: the write was applied.
    Committed(Ack),
    /// Refused with `ERR`: the write was not applied.
    Refused(Ack),
    /// Sent, but no ack was seen before the connection dropped or the deadline passed: it
    /// may or may not have been applied. Never re-sent automatically.
    Unknown,
    /// Not sent (or dropped unexecuted by the queen): safe to send again.
    NotSent,
}

impl LineOutcome {
    fn of(result: Result<Reply, ClientError>) -> Self {
        match result {
            Ok(reply) => Self::Committed(reply.ack),
            Err(ClientError::Refused(ack)) => Self::Refused(ack),
            Err(ClientError::OutcomeUnknown { .. }) => Self::Unknown,
            Err(_) => Self::NotSent,
        }
    }
}

/// Per-line result of a write batch, in input order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchReport {
    /// One outcome per input line.
    pub lines: Vec<LineOutcome>,
}

impl BatchReport {
    /// Number of committed lines.
    #[must_use]
    pub fn committed(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| matches!(l, LineOutcome::Committed(_)))
            .count()
    }

    /// Whether every line was committed.
    #[must_use]
    pub fn all_committed(&self) -> bool {
        self.committed() == self.lines.len()
    }
}

/// A reply handed out line by line ([`Console::stream`]), for replies larger than the
/// byte budget or callers that process lines as they come. The caller must take lines
/// within the operation timeout: while its channel is full the driver stops reading (TCP
/// back-pressure), and the session's per-line deadline keeps running.
#[derive(Debug)]
pub struct ReplyStream {
    ack: Ack,
    rx: mpsc::Receiver<StreamItem>,
    done: bool,
}

impl ReplyStream {
    /// The opening `OK` ack.
    #[must_use]
    pub fn ack(&self) -> &Ack {
        &self.ack
    }

    /// The next data line; `Ok(None)` after `END`.
    ///
    /// Cancel-safe: a dropped call loses no line.
    ///
    /// # Errors
    /// The request's error if the stream ended without `END` (timeout, transport).
    pub async fn next_line(&mut self) -> Result<Option<String>, ClientError> {
        if self.done {
            return Ok(None);
        }
        loop {
            match self.rx.recv().await {
                Some(StreamItem::Line(l)) => return Ok(Some(l)),
                Some(StreamItem::Ack(_)) => {}
                Some(StreamItem::End) => {
                    self.done = true;
                    return Ok(None);
                }
                Some(StreamItem::Failed(e)) => {
                    self.done = true;
                    return Err(e);
                }
                None => {
                    self.done = true;
                    return Err(ClientError::Closed);
                }
            }
        }
    }
}

/// A cloneable handle to one console session, usable from many tasks at once (`Send +
/// Sync`). See the [module docs](self) for pipelining, liveness, reconnects, deadlines and
/// cancel safety.
#[derive(Clone)]
pub struct Console {
    tx: mpsc::Sender<driver::Msg>,
    engine: engine::Engine,
    shared: Arc<Shared>,
    config: ClientConfig,
    transport: Arc<str>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("transport", &self.transport)
            .field("status", &self.shared.status())
            .finish_non_exhaustive()
    }
}

impl Console {
    /// A console and its driver over `connector`; spawn the driver yourself
    /// (`tokio::spawn(driver.run())`). Nothing is connected yet.
    ///
    /// # Errors
    /// [`ClientError::Core`] when the credentials or configuration are unusable.
    pub fn new<C: Connector>(
        connector: C,
        credentials: Credentials,
        config: ClientConfig,
    ) -> Result<(Self, Driver), ClientError> {
        let session = session_for(&config, credentials)?;
        let (tx, rx) = mpsc::channel(config.queue_capacity());
        let shared = Arc::new(Shared::default());
        let stall = config.op_timeout().saturating_mul(2);
        let transport: Arc<str> = Arc::from(connector.describe());
        let connection = driver::Connection::new(
            Arc::new(connector),
            config,
            rx,
            Pump::new(session, stall),
            shared.clone(),
        );
        let (engine, driver) = engine::engine(connection.run(), transport.clone());
        Ok((
            Self {
                tx,
                engine,
                shared,
                config,
                transport,
            },
            driver,
        ))
    }

    /// A console over `connector` whose driver is spawned on the current tokio runtime.
    /// Nothing is connected until the first request or [`Console::ready`].
    ///
    /// # Errors
    /// As [`Console::new`].
    ///
    /// # Panics
    /// Outside a tokio runtime (as `tokio::spawn`).
    pub fn with_connector<C: Connector>(
        connector: C,
        credentials: Credentials,
        config: ClientConfig,
    ) -> Result<Self, ClientError> {
        let (console, driver) = Self::new(connector, credentials, config)?;
        tokio::spawn(driver.run());
        Ok(console)
    }

    /// A console over TCP to `target` (`"queen.local:31337"`, resolved on every connect),
    /// with the driver spawned on the current runtime. Lazy: no connection is opened here.
    ///
    /// # Errors
    /// As [`Console::new`].
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn connect(
        target: impl Into<String>,
        credentials: Credentials,
        config: ClientConfig,
    ) -> Result<Self, ClientError> {
        let connector = TcpConnector::new(target)
            .with_timeout(config.op_timeout())
            .with_nodelay(config.nodelay());
        Self::with_connector(connector, credentials, config)
    }

    /// Connects and attaches now if not attached yet (with the retry policy).
    ///
    /// Cancel-safe: dropping the future leaves the connect running in the driver.
    ///
    /// # Errors
    /// [`ClientError::AuthRejected`], [`ClientError::AuthReset`],
    /// [`ClientError::Refused`] (the `ERR ATTACH` line as received), timeouts and
    /// transport errors after the retries, [`ClientError::Closed`] if the driver is gone.
    pub async fn ready(&self) -> Result<(), ClientError> {
        let (tx, rx) = oneshot::channel();
        self.exchange(driver::Msg::Ready(tx), rx).await
    }

    /// Waits for a reply, driving the connection meanwhile where allowed (see `engine`).
    async fn reply<T>(
        &self,
        rx: oneshot::Receiver<Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        self.engine
            .exchange(|| (), rx)
            .await
            .unwrap_or(Err(ClientError::Closed))
    }

    /// Hands `msg` to the connection and waits for its reply on `rx` (one exchange: the
    /// caller may write the request and read the reply itself, see `engine`).
    async fn exchange<T>(
        &self,
        msg: driver::Msg,
        rx: oneshot::Receiver<Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        let permit = self.tx.reserve().await.map_err(|_| ClientError::Closed)?;
        self.engine
            .exchange(move || permit.send(msg), rx)
            .await
            .unwrap_or(Err(ClientError::Closed))
    }

    fn job(&self, req: OwnedRequest, sink: Sink, retry_reads: bool) -> Job {
        Job {
            req,
            sink,
            deadline: Instant::now() + self.config.request_timeout(),
            retry_reads,
            attempts: 0,
            expired: false,
            delivered: false,
            batch: None,
            budget: None,
        }
    }

    async fn submit(&self, job: Job) -> Result<(), ClientError> {
        self.tx
            .send(driver::Msg::Job(job))
            .await
            .map_err(|_| ClientError::Closed)
    }

    /// One request, submitted and answered in one exchange.
    async fn one(
        &self,
        request: &Request<'_>,
        retry_reads: bool,
        budget: Option<usize>,
    ) -> Result<Reply, ClientError> {
        let req = OwnedRequest::new(request)?;
        let (tx, rx) = oneshot::channel();
        let mut job = self.job(req, Sink::Reply(tx), retry_reads);
        job.budget = budget;
        self.exchange(driver::Msg::Job(job), rx).await
    }

    async fn enqueue(
        &self,
        request: &Request<'_>,
        retry_reads: bool,
        batch: Option<Arc<BatchFlag>>,
    ) -> Result<oneshot::Receiver<Result<Reply, ClientError>>, ClientError> {
        let req = OwnedRequest::new(request)?;
        let (tx, rx) = oneshot::channel();
        let mut job = self.job(req, Sink::Reply(tx), retry_reads);
        job.batch = batch;
        self.submit(job).await?;
        Ok(rx)
    }

    /// Sends one request and returns its assembled reply. Idempotent reads are retried
    /// after a reconnect; writes never are.
    ///
    /// Cancel-safe (see the [module docs](self)).
    ///
    /// # Errors
    /// [`ClientError::Refused`] for an `ERR` ack, [`ClientError::OutcomeUnknown`] for a
    /// write whose ack was lost, [`ClientError::ResourceExhausted`] past the reply budget,
    /// [`ClientError::Timeout`] past the whole-request deadline, [`ClientError::Protocol`],
    /// transport errors after the retries, [`ClientError::Core`] for an invalid request.
    pub async fn request(&self, request: Request<'_>) -> Result<Reply, ClientError> {
        self.one(&request, true, None).await
    }

    /// As [`Console::request`] with another reply byte budget for this request only (text
    /// bytes plus 4 per line; see [`ClientConfig::with_reply_budget`]).
    ///
    /// Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::request`].
    pub async fn request_limited(
        &self,
        request: Request<'_>,
        budget: usize,
    ) -> Result<Reply, ClientError> {
        self.one(&request, true, Some(budget)).await
    }

    /// As [`Console::request`], but an interrupted read is not retried either (for tools
    /// that want to see every transport fault).
    ///
    /// Cancel-safe.
    ///
    /// # Errors
    /// As [`Console::request`].
    pub async fn request_once(&self, request: Request<'_>) -> Result<Reply, ClientError> {
        self.one(&request, false, None).await
    }

    /// Sends a stream request (`LS`, `CAT`, `TAIL`, `LOG`) and hands its lines out as they
    /// arrive, without the reply byte budget. Returns once the opening ack arrived.
    ///
    /// Cancel-safe: dropping the future or the stream makes the driver read the rest of
    /// the reply and discard it.
    ///
    /// # Errors
    /// As [`Console::request`] (a refusal comes back here, not from the stream).
    pub async fn stream(&self, request: Request<'_>) -> Result<ReplyStream, ClientError> {
        let req = OwnedRequest::new(&request)?;
        let (tx, mut rx) = mpsc::channel(STREAM_CHANNEL);
        self.submit(self.job(req, Sink::Stream(tx), true)).await?;
        match rx.recv().await {
            Some(StreamItem::Ack(ack)) => Ok(ReplyStream {
                ack,
                rx,
                done: false,
            }),
            Some(StreamItem::Failed(e)) => Err(e),
            Some(StreamItem::Line(_) | StreamItem::End) | None => Err(ClientError::Closed),
        }
    }

    /// Sends up to [`MAX_PIPELINE`] requests back to back and collects every reply, in
    /// order. Interrupted idempotent reads are retried after a reconnect.
    ///
    /// Cancel-safe.
    ///
    /// # Errors
    /// The outer error is for the batch as a whole (too many requests, a request out of
    /// bounds: nothing is sent); per-request results are inside.
    pub async fn pipeline(
        &self,
        requests: &[Request<'_>],
    ) -> Result<Vec<Result<Reply, ClientError>>, ClientError> {
        if requests.len() > MAX_PIPELINE {
            return Err(ClientError::Core(
                cohesix_core::error::ResourceError::QueueFull.into(),
            ));
        }
        let owned: Vec<OwnedRequest> = requests
            .iter()
            .map(OwnedRequest::new)
            .collect::<Result<_, _>>()?;
        let mut receivers = Vec::with_capacity(owned.len());
        for req in owned {
            let (tx, rx) = oneshot::channel();
            self.submit(self.job(req, Sink::Reply(tx), true)).await?;
            receivers.push(rx);
        }
        let mut out = Vec::with_capacity(receivers.len());
        for rx in receivers {
            out.push(self.reply(rx).await);
        }
        Ok(out)
    }

    /// Appends lines with pipelined `ECHO`s (at most 8 in flight) and reports exactly which
    /// were committed, refused, of unknown outcome, or not sent. Nothing is re-sent; once a
    /// line's outcome is unknown (its connection dropped), the lines not yet on the wire
    /// are not sent.
    ///
    /// Cancel-safe; a dropped batch may have committed a prefix.
    ///
    /// # Errors
    /// Only for invalid input (a line out of bounds: nothing is sent).
    pub async fn echo_batch(&self, writes: &[(&str, &str)]) -> Result<BatchReport, ClientError> {
        let requests: Vec<Request<'_>> = writes
            .iter()
            .map(|(path, payload)| Request::echo(path, payload))
            .collect::<Result<_, _>>()
            .map_err(|e| ClientError::Core(e.into()))?;
        let flag = Arc::new(BatchFlag::default());
        let mut receivers = VecDeque::with_capacity(requests.len());
        for r in &requests {
            receivers.push_back(self.enqueue(r, false, Some(flag.clone())).await?);
        }
        let mut lines = Vec::with_capacity(receivers.len());
        for rx in receivers {
            lines.push(LineOutcome::of(self.reply(rx).await));
        }
        Ok(BatchReport { lines })
    }

    /// Appends lines one at a time, each only after the previous one was committed; stops
    /// at the first line that is refused or of unknown outcome and reports the rest as not
    /// sent (the upstream control-write order: lines 1..k-1 committed, line k refused or
    /// unknown, k+1..n not sent).
    ///
    /// Cancel-safe; a dropped call may have committed a prefix.
    ///
    /// # Errors
    /// Only for invalid input (a line out of bounds: nothing is sent).
    pub async fn echo_sequence(&self, writes: &[(&str, &str)]) -> Result<BatchReport, ClientError> {
        let requests: Vec<Request<'_>> = writes
            .iter()
            .map(|(path, payload)| Request::echo(path, payload))
            .collect::<Result<_, _>>()
            .map_err(|e| ClientError::Core(e.into()))?;
        let mut lines = Vec::with_capacity(requests.len());
        for r in &requests {
            if lines
                .last()
                .is_some_and(|l| !matches!(l, LineOutcome::Committed(_)))
            {
                lines.push(LineOutcome::NotSent);
                continue;
            }
            lines.push(LineOutcome::of(self.request_once(*r).await));
        }
        Ok(BatchReport { lines })
    }

    /// Closes the current connection with `QUIT` once the requests on the wire are
    /// answered, and returns the `OK QUIT` line as received. Later requests reconnect.
    ///
    /// Cancel-safe: the quit goes ahead in the driver.
    ///
    /// # Errors
    /// [`ClientError::Closed`] when not connected or when the peer closed without answering
    /// `QUIT`; [`ClientError::Refused`] when it answered with an `ERR` line.
    pub async fn quit(&self) -> Result<Reply, ClientError> {
        let (tx, rx) = oneshot::channel();
        self.exchange(driver::Msg::Quit(tx), rx).await
    }

    /// The connection state.
    #[must_use]
    pub fn status(&self) -> ConsoleStatus {
        self.shared.status()
    }

    /// Whether a session is attached now.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.shared.status().connected
    }

    /// The role the queen confirmed on the current connection.
    #[must_use]
    pub fn role(&self) -> Option<Role> {
        self.shared.status().role
    }

    /// The `OK ATTACH …` line of the current connection, as received.
    #[must_use]
    pub fn attach_ack(&self) -> Option<Ack> {
        self.shared.attach_ack()
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The transport, as its connector describes it (no secrets).
    #[must_use]
    pub fn transport(&self) -> &str {
        &self.transport
    }
}

/// The core session configuration derived from the client configuration.
fn session_for(config: &ClientConfig, credentials: Credentials) -> Result<Session, ClientError> {
    let max_in_flight = u8::try_from(config.max_in_flight()).unwrap_or(1);
    let op_ms = u64::try_from(config.op_timeout().as_millis()).unwrap_or(u64::MAX);
    let hb_ms = config.heartbeat().map_or(u64::MAX, |h| {
        u64::try_from(h.as_millis()).unwrap_or(u64::MAX)
    });
    let session_config = cohesix_core::session::Config::new()
        .with_max_in_flight(max_in_flight)
        .with_op_timeout_ms(op_ms)
        .with_heartbeat_ms(hb_ms);
    Session::new(session_config, credentials).map_err(|e| ClientError::Core(e.into()))
}
