//! The async client: connect, typed calls, pipelining, write batches, reconnect.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use cohesix_core::request::{Request, Verb};
use cohesix_core::role::Role;
use cohesix_core::session::{
    Config as SessionConfig, Credentials, RequestId, Session, SessionError, MAX_QUEUED,
};
use cohesix_generated::console::{MAX_IN_FLIGHT, MAX_LINE_LEN};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::{sleep, sleep_until, timeout, Duration, Instant};
use tracing::Instrument;

use crate::config::ClientConfig;
use crate::driver::{Finished, Pump};
use crate::error::ClientError;
use crate::reply::{Ack, AckStatus, Reply};

/// Most requests [`Client::pipeline`] keeps in flight (the queen's inbound queue depth).
pub const MAX_PIPELINE: usize = MAX_IN_FLIGHT;

/// What happened to one line of a write batch ([`Client::echo_batch`]).
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

fn session_error(e: SessionError) -> ClientError {
    ClientError::Core(e.into())
}

/// The request line without secrets (only used for ECHO/SPAWN/KILL and reads).
fn describe(request: &Request<'_>) -> String {
    if matches!(request.verb(), Verb::Auth | Verb::Attach) {
        return request.verb().token().to_owned();
    }
    let mut buf = [0u8; MAX_LINE_LEN];
    match request.write_line(&mut buf) {
        Ok(n) => String::from_utf8_lossy(buf.get(..n).unwrap_or(&[])).into_owned(),
        Err(_) => request.verb().token().to_owned(),
    }
}

/// Opens a new transport to `addr` (for reconnects), honouring the op timeout and NODELAY.
type Opener<S> = fn(
    SocketAddr,
    Duration,
    bool,
) -> Pin<Box<dyn Future<Output = Result<S, ClientError>> + Send + 'static>>;

fn open_tcp(
    addr: SocketAddr,
    op_timeout: Duration,
    nodelay: bool,
) -> Pin<Box<dyn Future<Output = Result<TcpStream, ClientError>> + Send + 'static>> {
    Box::pin(async move {
        let stream = timeout(op_timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| ClientError::Timeout { op: "connect" })??;
        stream.set_nodelay(nodelay)?;
        Ok(stream)
    })
}

/// The core session configuration derived from the client configuration.
fn session_for(config: &ClientConfig, credentials: Credentials) -> Result<Session, ClientError> {
    let max_in_flight = u8::try_from(config.max_in_flight.clamp(1, MAX_IN_FLIGHT)).unwrap_or(1);
    let op_ms = u64::try_from(config.op_timeout.as_millis()).unwrap_or(u64::MAX);
    let hb_ms = config.heartbeat.map_or(u64::MAX, |h| {
        u64::try_from(h.as_millis()).unwrap_or(u64::MAX)
    });
    let session_config = SessionConfig::new()
        .with_max_in_flight(max_in_flight)
        .with_op_timeout_ms(op_ms)
        .with_heartbeat_ms(hb_ms);
    Session::new(session_config, credentials).map_err(session_error)
}

/// An authenticated, attached console connection to a queen, over any
/// `AsyncRead + AsyncWrite + Unpin` transport `S` (TCP by default).
///
/// All protocol state lives in the core [`Session`]; the client only moves bytes and
/// sleeps until the session's next deadline. Methods take `&mut self`: one call at a time,
/// with [`Client::pipeline`] for several requests in flight.
///
/// A client made with [`Client::connect`] reconnects (AUTH + ATTACH) after a drop; one made
/// with [`Client::with_stream`] cannot open a new transport, so after its connection ends
/// every call fails with [`ClientError::Closed`].
///
/// **Cancel safety (every async method):** dropping the future at any point loses no
/// bytes and leaves the client usable. Output taken from the session waits in the client
/// until the transport accepts it; input is handed to the session before the next await.
/// A request that was already queued when its future was dropped may still be sent; its
/// reply is discarded when it arrives.
pub struct Client<S = TcpStream> {
    addr: Option<SocketAddr>,
    opener: Option<Opener<S>>,
    config: ClientConfig,
    pump: Pump<S>,
}

impl<S> std::fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("addr", &self.addr)
            .field("role", &self.pump.attached)
            .field("connected", &self.pump.stream.is_some())
            .finish_non_exhaustive()
    }
}

impl Client<TcpStream> {
    /// Connects to `addr`, sends `AUTH` in the first write after the connect completes
    /// (the queen closes silent connections within tens of milliseconds), then `ATTACH`
    /// with the credentials' role and ticket. Connect failures and resets are retried with
    /// the configured back-off; an auth or attach refusal is not.
    ///
    /// Cancel-safe: dropping the future drops the half-open connection.
    ///
    /// # Errors
    /// [`ClientError::AuthRejected`], [`ClientError::Refused`] (the `ERR ATTACH` line as
    /// received), [`ClientError::Timeout`], [`ClientError::Io`]/[`ClientError::Closed`]
    /// after the retries, [`ClientError::Core`] for an unusable configuration.
    pub async fn connect(
        addr: SocketAddr,
        credentials: Credentials,
        config: ClientConfig,
    ) -> Result<Self, ClientError> {
        let span =
            tracing::debug_span!("cohesix.connect", %addr, role = credentials.role().label());
        async move {
            let session = session_for(&config, credentials)?;
            let stall = config.op_timeout.saturating_mul(2);
            let mut client = Self {
                addr: Some(addr),
                opener: Some(open_tcp),
                config,
                pump: Pump::new(session, stall),
            };
            client.establish().await?;
            Ok(client)
        }
        .instrument(span)
        .await
    }

    /// The peer address.
    #[must_use]
    pub fn peer_addr(&self) -> SocketAddr {
        self.addr
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    /// Runs the console session over an already open transport: writes `AUTH` at once,
    /// then `ATTACH` with the credentials' role and ticket, and returns once attached.
    /// Nothing is retried and the client never reconnects (it has no way to open a new
    /// transport). Used with in-memory transports (`tokio::io::duplex`) and streams the
    /// caller opened itself.
    ///
    /// Cancel-safe: dropping the future drops the transport (the session never attached).
    ///
    /// # Errors
    /// [`ClientError::AuthRejected`], [`ClientError::Refused`] (the `ERR ATTACH` line as
    /// received), [`ClientError::Timeout`], [`ClientError::Closed`]/[`ClientError::Io`]
    /// when the transport ends, [`ClientError::Core`] for an unusable configuration.
    pub async fn with_stream(
        stream: S,
        credentials: Credentials,
        config: ClientConfig,
    ) -> Result<Self, ClientError> {
        let span = tracing::debug_span!("cohesix.connect", role = credentials.role().label());
        async move {
            let session = session_for(&config, credentials)?;
            let stall = config.op_timeout.saturating_mul(2);
            let mut client = Self {
                addr: None,
                opener: None,
                config,
                pump: Pump::new(session, stall),
            };
            client.pump.attach_stream(stream);
            client.pump.flush_now();
            client.establish().await?;
            Ok(client)
        }
        .instrument(span)
        .await
    }

    /// The role the queen confirmed, while connected and attached.
    #[must_use]
    pub fn role(&self) -> Option<Role> {
        self.pump.stream.as_ref().and(self.pump.attached)
    }

    /// Whether a connection is open (it may still be authenticating).
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.pump.stream.is_some()
    }

    /// The `OK ATTACH …` line the queen sent on the current connection, as received
    /// (e.g. `OK ATTACH role=queen`).
    #[must_use]
    pub fn attach_ack(&self) -> Option<&Ack> {
        self.pump.stream.as_ref().and(self.pump.attach_ack.as_ref())
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Connects (with retries) until attached.
    async fn establish(&mut self) -> Result<(), ClientError> {
        let mut attempt = 0;
        loop {
            match self.connect_once().await {
                Ok(()) => return Ok(()),
                Err(e)
                    if e.is_transport()
                        && self.opener.is_some()
                        && attempt < self.config.retry.max_retries =>
                {
                    let delay = self.config.retry.delay(attempt);
                    tracing::debug!(error = %e, attempt, ?delay, "connect failed; backing off");
                    attempt += 1;
                    sleep(delay).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn connect_once(&mut self) -> Result<(), ClientError> {
        if self.pump.stream.is_none() {
            let (Some(open), Some(addr)) = (self.opener, self.addr) else {
                return Err(ClientError::Closed);
            };
            self.pump.prepare_reconnect()?;
            let stream = open(addr, self.config.op_timeout, self.config.nodelay).await?;
            self.pump.attach_stream(stream);
            // AUTH was queued by the session: write it now, in the first burst.
            self.pump.flush_now();
        }
        let result = self
            .drive_until(|p| p.attached.is_some() || p.closed.is_some())
            .await;
        if let Err(e) = result {
            self.pump.abort();
            return Err(e);
        }
        if self.pump.attached.is_some() && self.pump.stream.is_some() {
            return Ok(());
        }
        Err(match self.pump.closed.take().flatten() {
            Some(SessionError::AuthRejected) if self.pump.reset_seen => ClientError::Closed,
            Some(SessionError::AuthRejected) => ClientError::AuthRejected { ack: None },
            Some(SessionError::AttachRejected(_)) => ClientError::Refused(
                self.pump
                    .attach_refusal
                    .take()
                    .unwrap_or_else(|| Ack::new(AckStatus::Err, "ATTACH", None)),
            ),
            Some(SessionError::TimedOut) => ClientError::Timeout { op: "attach" },
            Some(SessionError::PeerClosed) | None => ClientError::Closed,
            Some(e @ (SessionError::Protocol(_) | SessionError::InvalidUtf8)) => {
                ClientError::Protocol(e.into())
            }
            Some(e) => session_error(e),
        })
    }

    /// Drives I/O until `done` holds. Every await inside is cancel-safe.
    async fn drive_until(&mut self, done: impl Fn(&Pump<S>) -> bool) -> Result<(), ClientError> {
        loop {
            self.pump.flush_now();
            if done(&self.pump) {
                return Ok(());
            }
            if self.pump.stream.is_none() {
                return Err(ClientError::Closed);
            }
            self.pump.wait_io().await?;
        }
    }

    /// Makes sure a connection is open and attached, reconnecting (AUTH + ATTACH again)
    /// after a drop.
    async fn ensure_ready(&mut self) -> Result<(), ClientError> {
        if self.pump.stream.is_some() && self.pump.attached.is_some() {
            return Ok(());
        }
        tracing::debug!("reconnecting");
        self.establish().await
    }

    /// Runs requests with at most [`MAX_PIPELINE`] in flight; idempotent reads interrupted
    /// by a connection drop are re-submitted after a reconnect (with back-off); nothing
    /// else is ever re-sent.
    async fn run(
        &mut self,
        requests: &[Request<'_>],
        retry_reads: bool,
    ) -> Result<Vec<Result<Reply, ClientError>>, ClientError> {
        for r in requests {
            r.validate().map_err(|e| ClientError::Core(e.into()))?;
        }
        self.pump.begin_call();
        let mut results: Vec<Option<Result<Reply, ClientError>>> =
            requests.iter().map(|_| None).collect();
        let mut attempt = 0;
        loop {
            let pending: Vec<usize> = (0..requests.len())
                .filter(|&i| results.get(i).is_some_and(Option::is_none))
                .collect();
            if pending.is_empty() {
                break;
            }
            if let Err(e) = self.ensure_ready().await {
                if results.iter().all(Option::is_none) {
                    return Err(e);
                }
                for i in pending {
                    if let (Some(slot), Some(r)) = (results.get_mut(i), requests.get(i)) {
                        *slot = Some(Err(not_completed(r, &e)));
                    }
                }
                break;
            }
            // Requests of cancelled calls may still wait in the session's queue: make room.
            let need = pending.len().min(MAX_QUEUED);
            self.drive_until(|p| p.session.queued() + need <= MAX_QUEUED)
                .await?;
            let mut ids: Vec<(usize, RequestId)> = Vec::with_capacity(pending.len());
            for &i in &pending {
                if let Some(r) = requests.get(i) {
                    let id = self.pump.session.send(r).map_err(session_error)?;
                    ids.push((i, id));
                }
            }
            self.pump.flush_now();
            let all: Vec<RequestId> = ids.iter().map(|(_, id)| *id).collect();
            self.drive_until(|p| all.iter().all(|id| p.is_done(*id)))
                .await?;
            let mut retry = false;
            for (i, id) in ids {
                let Some(request) = requests.get(i) else {
                    continue;
                };
                let verb = request.verb();
                let result = match self.pump.take(id) {
                    Some(Finished::Ok(reply)) => Some(Ok(reply)),
                    Some(Finished::Refused(ack)) => Some(Err(ClientError::Refused(ack))),
                    Some(Finished::Retryable { .. } | Finished::TimedOut)
                        if retry_reads
                            && verb.is_idempotent_read()
                            && attempt < self.config.retry.max_retries =>
                    {
                        retry = true;
                        None
                    }
                    Some(Finished::TimedOut) if verb.is_idempotent_read() => {
                        Some(Err(ClientError::Timeout { op: "request" }))
                    }
                    Some(Finished::Retryable { sent: false }) => Some(Err(ClientError::Closed)),
                    Some(Finished::Retryable { sent: true }) if verb.is_idempotent_read() => {
                        Some(Err(ClientError::Closed))
                    }
                    Some(Finished::Unknown | Finished::TimedOut | Finished::Retryable { .. })
                    | None => Some(Err(ClientError::OutcomeUnknown {
                        line: describe(request),
                    })),
                };
                if let Some(slot) = results.get_mut(i) {
                    *slot = result;
                }
            }
            if retry {
                let delay = self.config.retry.delay(attempt);
                tracing::debug!(
                    attempt,
                    ?delay,
                    "re-submitting idempotent reads after a drop"
                );
                attempt += 1;
                sleep(delay).await;
            }
        }
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or(Err(ClientError::Closed)))
            .collect())
    }

    /// Sends one request and returns its assembled reply. Idempotent reads are retried
    /// after a reconnect; writes never are.
    ///
    /// Cancel-safe (see [`Client`]).
    ///
    /// # Errors
    /// [`ClientError::Refused`] for an `ERR` ack, [`ClientError::OutcomeUnknown`] for a
    /// write whose ack was lost, transport errors after the retries.
    pub async fn request(&mut self, request: Request<'_>) -> Result<Reply, ClientError> {
        let span = tracing::debug_span!("cohesix.request", verb = %request.verb());
        async move {
            self.run(core::slice::from_ref(&request), true)
                .await?
                .pop()
                .unwrap_or(Err(ClientError::Closed))
        }
        .instrument(span)
        .await
    }

    /// Sends up to [`MAX_PIPELINE`] requests back to back and collects every reply, in
    /// order. Interrupted idempotent reads are retried after a reconnect.
    ///
    /// Cancel-safe (see [`Client`]).
    ///
    /// # Errors
    /// The outer error is for the batch as a whole (too many requests, a request out of
    /// bounds, no connection); per-request results are inside.
    pub async fn pipeline(
        &mut self,
        requests: &[Request<'_>],
    ) -> Result<Vec<Result<Reply, ClientError>>, ClientError> {
        if requests.len() > MAX_PIPELINE {
            return Err(ClientError::Core(
                cohesix_core::error::ResourceError::QueueFull.into(),
            ));
        }
        let span = tracing::debug_span!("cohesix.pipeline", n = requests.len());
        self.run(requests, true).instrument(span).await
    }

    /// Appends lines with pipelined `ECHO`s (at most [`MAX_PIPELINE`] in flight) and reports
    /// exactly which were committed, refused, of unknown outcome, or not sent. Nothing is
    /// re-sent; after a connection drop the remaining lines are reported `NotSent`.
    ///
    /// Cancel-safe (see [`Client`]); a dropped batch may have committed a prefix.
    ///
    /// # Errors
    /// Only for invalid input (a line out of bounds: nothing is sent).
    pub async fn echo_batch(
        &mut self,
        writes: &[(&str, &str)],
    ) -> Result<BatchReport, ClientError> {
        let requests: Vec<Request<'_>> = writes
            .iter()
            .map(|(path, payload)| Request::echo(path, payload))
            .collect::<Result<_, _>>()
            .map_err(|e| ClientError::Core(e.into()))?;
        let mut lines = Vec::with_capacity(requests.len());
        let mut dropped = false;
        for chunk in requests.chunks(MAX_PIPELINE) {
            if dropped {
                lines.extend(chunk.iter().map(|_| LineOutcome::NotSent));
                continue;
            }
            let results = match self.run(chunk, false).await {
                Ok(r) => r,
                Err(e) if e.is_transport() => {
                    dropped = true;
                    lines.extend(chunk.iter().map(|_| LineOutcome::NotSent));
                    continue;
                }
                Err(e) => return Err(e),
            };
            for result in results {
                lines.push(match result {
                    Ok(reply) => LineOutcome::Committed(reply.ack),
                    Err(ClientError::Refused(ack)) => LineOutcome::Refused(ack),
                    Err(ClientError::OutcomeUnknown { .. }) => {
                        dropped = true;
                        LineOutcome::Unknown
                    }
                    Err(_) => {
                        dropped = true;
                        LineOutcome::NotSent
                    }
                });
            }
        }
        Ok(BatchReport { lines })
    }

    /// Sends `QUIT` and waits for `OK QUIT` and the close; returns the `OK QUIT` line as
    /// received. A later call on a [`Client::connect`] client opens a new connection
    /// (AUTH + ATTACH again).
    ///
    /// Cancel-safe (see [`Client`]).
    ///
    /// # Errors
    /// [`ClientError::Closed`] when not connected, or when the peer closed without
    /// answering `QUIT`; [`ClientError::Refused`] when it answered with an `ERR` line;
    /// transport errors.
    pub async fn quit(&mut self) -> Result<Reply, ClientError> {
        if self.pump.stream.is_none() {
            return Err(ClientError::Closed);
        }
        self.pump.begin_call();
        self.pump.session.quit().map_err(session_error)?;
        self.drive_until(|p| p.closed.is_some()).await?;
        match (self.pump.closed.flatten(), self.pump.quit_ack.take()) {
            (None, Some(ack)) if ack.is_ok() => Ok(Reply {
                ack,
                lines: Vec::new(),
            }),
            (None, Some(ack)) => Err(ClientError::Refused(ack)),
            _ => Err(ClientError::Closed),
        }
    }

    /// Keeps the connection serviced for `duration`: answers nothing, but lets the session
    /// send its idle heartbeat `PING` and notice a dropped connection. Call it while
    /// waiting for user input.
    ///
    /// Cancel-safe (see [`Client`]).
    ///
    /// # Errors
    /// [`ClientError::Closed`] when the connection is (or becomes) closed.
    pub async fn idle(&mut self, duration: Duration) -> Result<(), ClientError> {
        let until = Instant::now() + duration;
        loop {
            self.pump.flush_now();
            if self.pump.stream.is_none() {
                return Err(ClientError::Closed);
            }
            tokio::select! {
                r = self.pump.wait_io() => r?,
                () = sleep_until(until) => return Ok(()),
            }
        }
    }
}

fn not_completed(request: &Request<'_>, cause: &ClientError) -> ClientError {
    if request.verb().is_idempotent_read() {
        match cause {
            ClientError::Timeout { op } => ClientError::Timeout { op },
            _ => ClientError::Closed,
        }
    } else {
        ClientError::Closed
    }
}
