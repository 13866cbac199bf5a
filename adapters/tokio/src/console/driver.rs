//! The connection: the one future that owns the transport and the core session (polled by
//! the [`Driver`](super::Driver) task or by a waiting caller, see `engine`).
//!
//! ```text
//!   callers ──Msg (bounded mpsc)──► Connection ── waiting (FIFO, ≤ queue_capacity)
//!                                    │  admit while attached: Pump::send (≤ 8 on the wire,
//!                                    │  enforced by the core session)
//!                                    │  Pump::wait_io  ◄──► transport (Connector)
//!                                    │  completions ──► Job::verdict ──► caller / re-queue
//!                                    └─ phases: Idle → Connecting → Handshake → Ready
//!                                               (Backoff on failure, Failed after ERR AUTH)
//! ```
//!
//! Every wait has a deadline: connects and handshakes the operation timeout, each request
//! its whole-request deadline (past it the request completes as timed out, and if it was on
//! the wire the connection is reset), streamed lines the session's per-line timeout. The
//! idle heartbeat is the core session's: the driver keeps polling it while attached. While a
//! transport is open, these deadlines, the session's own and the stall backstop share the
//! pump's one re-armed timer (`alarm`), so a request costs no timer-wheel work.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;

use cohesix_core::request::Verb;
use cohesix_core::session::{SessionError, MAX_QUEUED};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep_until, Duration, Instant};
use tracing::Instrument;

use super::job::{Ending, Job, Sink, StreamItem, Tails, Verdict};
use super::status::Shared;
use crate::config::ClientConfig;
use crate::connector::{ConnectFuture, Connector};
use crate::error::ClientError;
use crate::idmap::IdMap;
use crate::pump::{Collect, Pump, STREAM_OUTBOX_LINES};
use crate::reply::{Ack, AckStatus, Reply};

/// A message from a handle to the driver.
#[derive(Debug)]
pub(crate) enum Msg {
    /// Run a request.
    Job(Job),
    /// Connect and attach now (or report why not).
    Ready(oneshot::Sender<Result<(), ClientError>>),
    /// Close the current connection with `QUIT` (later requests reconnect).
    Quit(oneshot::Sender<Result<Reply, ClientError>>),
}

/// Where the driver is with its transport.
enum Phase<Io> {
    /// No transport; connect when there is work.
    Idle,
    /// Waiting before the next connect attempt.
    Backoff { until: Instant },
    /// Opening a transport.
    Connecting {
        fut: ConnectFuture<Io>,
        deadline: Instant,
    },
    /// Transport open, AUTH and ATTACH in progress.
    Handshake,
    /// Attached: requests flow.
    Ready,
    /// The queen refused the console token: fatal, nothing is retried.
    Failed,
}

/// What woke the driver.
enum Wake<Io> {
    Msg(Option<Msg>),
    Connected(std::io::Result<Io>),
    Io(Result<(), ClientError>),
    Timer,
}

/// The state of the one connection of a [`Console`](super::Console): its future is what the
/// [`Driver`](super::Driver) task runs (and what waiting callers poll, see `engine`).
pub(crate) struct Connection<C: Connector> {
    connector: Arc<C>,
    config: ClientConfig,
    rx: mpsc::Receiver<Msg>,
    rx_open: bool,
    pump: Pump<C::Io>,
    phase: Phase<C::Io>,
    waiting: VecDeque<Job>,
    inflight: IdMap<Job>,
    tails: Tails,
    ready_waiters: Vec<oneshot::Sender<Result<(), ClientError>>>,
    quit_waiters: Vec<oneshot::Sender<Result<Reply, ClientError>>>,
    quit_sent: bool,
    connect_failures: u32,
    ever_connected: bool,
    shared: Arc<Shared>,
}

impl<C: Connector> std::fmt::Debug for Connection<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("transport", &self.connector.describe())
            .field("waiting", &self.waiting.len())
            .field("in_flight", &self.inflight.len())
            .finish_non_exhaustive()
    }
}

impl<C: Connector> Connection<C> {
    pub(crate) fn new(
        connector: Arc<C>,
        config: ClientConfig,
        rx: mpsc::Receiver<Msg>,
        pump: Pump<C::Io>,
        shared: Arc<Shared>,
    ) -> Self {
        Self {
            connector,
            config,
            rx,
            rx_open: true,
            pump,
            phase: Phase::Idle,
            waiting: VecDeque::new(),
            inflight: IdMap::default(),
            tails: Tails::default(),
            ready_waiters: Vec::new(),
            quit_waiters: Vec::new(),
            quit_sent: false,
            connect_failures: 0,
            ever_connected: false,
            shared,
        }
    }

    /// Runs the connection until every handle is gone and all work is done. The future is
    /// `Send`; dropping it closes the transport without `QUIT` and fails every waiting
    /// request with [`ClientError::Closed`] (their callers see the channel close).
    pub(crate) async fn run(self) {
        let span = tracing::debug_span!("cohesix.console", transport = %self.connector.describe());
        self.serve().instrument(span).await;
    }

    async fn serve(mut self) {
        loop {
            let now = Instant::now();
            self.collect();
            self.expire(now);
            // A step may enable the next one (backoff over → connect; attached → quit).
            for _ in 0..4 {
                if !self.step_phase(now) {
                    break;
                }
            }
            self.admit();
            self.hand_out_streams(now);
            self.pump.flush_now(now);
            self.publish();
            if self.finished() {
                break;
            }
            if self.pump.has_done() {
                // Completions from a reset or a failed send: decide them before waiting.
                continue;
            }
            match self.wait(now).await {
                Wake::Msg(Some(msg)) => self.accept(msg),
                Wake::Msg(None) => self.rx_open = false,
                Wake::Connected(result) => self.connected(result),
                Wake::Io(Ok(())) | Wake::Timer => {}
                Wake::Io(Err(e)) => tracing::debug!(error = %e, "transport wait ended"),
            }
        }
        self.close_gracefully().await;
    }

    /// Everything is done and nobody can submit more.
    fn finished(&self) -> bool {
        !self.rx_open
            && self.waiting.is_empty()
            && self.inflight.is_empty()
            && self.tails.is_empty()
            && self.quit_waiters.is_empty()
    }

    fn accept(&mut self, msg: Msg) {
        match msg {
            Msg::Job(job) => {
                if matches!(self.phase, Phase::Failed) {
                    job.finish(
                        Err(ClientError::AuthRejected { ack: None }),
                        VecDeque::new(),
                        &mut self.tails,
                    );
                } else {
                    self.waiting.push_back(job);
                }
            }
            Msg::Ready(tx) => match self.phase {
                Phase::Ready => {
                    let _ = tx.send(Ok(()));
                }
                Phase::Failed => {
                    let _ = tx.send(Err(ClientError::AuthRejected { ack: None }));
                }
                _ => self.ready_waiters.push(tx),
            },
            Msg::Quit(tx) => {
                if matches!(self.phase, Phase::Ready | Phase::Handshake) {
                    self.quit_waiters.push(tx);
                } else {
                    let _ = tx.send(Err(ClientError::Closed));
                }
            }
        }
    }

    /// Fails requests whose deadline passed; resets the connection for ones on the wire.
    fn expire(&mut self, now: Instant) {
        let stale = |job: &Job| job.sink.is_closed() || job.deadline <= now;
        if !self.waiting.iter().any(stale) {
            // The common case: nothing to drop, nothing to move.
            return self.expire_in_flight(now);
        }
        let mut kept = VecDeque::with_capacity(self.waiting.len());
        while let Some(job) = self.waiting.pop_front() {
            if job.sink.is_closed() {
                tracing::trace!("caller left before its request was sent");
            } else if job.deadline <= now {
                job.finish(
                    Err(ClientError::Timeout { op: "request" }),
                    VecDeque::new(),
                    &mut self.tails,
                );
            } else {
                kept.push_back(job);
            }
        }
        self.waiting = kept;
        self.expire_in_flight(now);
    }

    /// Marks requests on the wire whose deadline passed; resets the connection if any.
    fn expire_in_flight(&mut self, now: Instant) {
        let mut reset = false;
        for job in self.inflight.values_mut() {
            if !job.expired && job.deadline <= now {
                job.expired = true;
                reset = true;
            }
        }
        if reset && self.pump.stream.is_some() {
            tracing::debug!("request deadline passed on the wire; resetting the connection");
            self.pump.abort();
        }
    }

    fn has_work(&self) -> bool {
        !self.waiting.is_empty() || !self.ready_waiters.is_empty()
    }

    /// Starts connects, finishes handshakes, notices dropped connections. Returns whether
    /// anything changed.
    fn step_phase(&mut self, now: Instant) -> bool {
        match &self.phase {
            Phase::Idle if self.has_work() => {
                if self.ever_connected && !self.connector.can_reconnect() {
                    self.fail_waiting(&ClientError::Closed);
                    return true;
                }
                if let Err(e) = self.pump.prepare_reconnect() {
                    self.fail_waiting(&e);
                    return true;
                }
                let deadline = now + self.config.op_timeout();
                self.phase = Phase::Connecting {
                    fut: self.connector.connect(),
                    deadline,
                };
            }
            Phase::Backoff { until } if *until <= now => self.phase = Phase::Idle,
            Phase::Connecting { deadline, .. } if *deadline <= now => {
                self.phase = Phase::Idle;
                self.connect_failed(ClientError::Timeout { op: "connect" });
            }
            Phase::Handshake if self.pump.attached.is_some() && self.pump.stream.is_some() => {
                self.attached();
            }
            Phase::Handshake if self.pump.stream.is_none() => {
                let e = self.handshake_error();
                self.phase = Phase::Idle;
                self.connect_failed(e);
            }
            Phase::Ready if self.pump.stream.is_none() => {
                tracing::debug!("connection lost");
                self.phase = Phase::Idle;
                self.shared.disconnected(self.close_reason());
                for tx in self.quit_waiters.drain(..) {
                    let reply = match (self.pump.closed.flatten(), self.pump.quit_ack.clone()) {
                        (None, Some(ack)) if ack.is_ok() => Ok(Reply::ack_only(ack)),
                        (None, Some(ack)) => Err(ClientError::Refused(ack)),
                        _ => Err(ClientError::Closed),
                    };
                    let _ = tx.send(reply);
                }
                self.quit_sent = false;
            }
            Phase::Ready
                if !self.quit_waiters.is_empty() && !self.quit_sent && self.inflight.is_empty() =>
            {
                if self.pump.session.quit().is_ok() {
                    self.quit_sent = true;
                } else {
                    for tx in self.quit_waiters.drain(..) {
                        let _ = tx.send(Err(ClientError::Closed));
                    }
                }
            }
            _ => return false,
        }
        true
    }

    fn connected(&mut self, result: std::io::Result<C::Io>) {
        match result {
            Ok(io) => {
                self.pump.attach_stream(io);
                // AUTH was queued by the session: it goes out in the first write.
                self.pump.flush_now(Instant::now());
                self.phase = Phase::Handshake;
            }
            Err(e) => {
                self.phase = Phase::Idle;
                self.connect_failed(ClientError::from(e));
            }
        }
    }

    fn attached(&mut self) {
        self.phase = Phase::Ready;
        self.connect_failures = 0;
        self.shared.attached(
            self.pump.attached,
            self.pump.attach_ack.clone(),
            self.ever_connected,
        );
        self.ever_connected = true;
        for tx in self.ready_waiters.drain(..) {
            let _ = tx.send(Ok(()));
        }
    }

    /// Why the handshake of the current connection failed.
    fn handshake_error(&mut self) -> ClientError {
        match self.pump.closed.flatten() {
            Some(SessionError::AuthRejected) if self.pump.reset_seen => ClientError::AuthReset,
            Some(SessionError::AuthRejected) => ClientError::AuthRejected { ack: None },
            Some(SessionError::AttachRejected(_)) => ClientError::Refused(
                self.pump
                    .attach_refusal
                    .take()
                    .unwrap_or_else(|| Ack::synthetic(AckStatus::Err, Verb::Attach.ack_label())),
            ),
            Some(SessionError::TimedOut) => ClientError::Timeout {
                op: if self.pump.authenticated {
                    "attach"
                } else {
                    "auth"
                },
            },
            Some(e @ (SessionError::Protocol(_) | SessionError::InvalidUtf8)) => {
                ClientError::Protocol(e)
            }
            Some(SessionError::PeerClosed) | None => ClientError::Closed,
            Some(e) => ClientError::Core(e.into()),
        }
    }

    /// A connect or handshake failed: back off and retry, or give up on the waiting work.
    fn connect_failed(&mut self, e: ClientError) {
        tracing::debug!(error = %e, "connect failed");
        self.shared.failed(&e);
        let fatal = matches!(e, ClientError::AuthRejected { .. });
        if fatal {
            self.phase = Phase::Failed;
            self.fail_waiting(&e);
            return;
        }
        let retry = self.config.retry();
        if e.is_transport()
            && self.connector.can_reconnect()
            && self.connect_failures < retry.max_retries()
        {
            let delay = retry.delay(self.connect_failures);
            self.connect_failures += 1;
            self.phase = Phase::Backoff {
                until: Instant::now() + delay,
            };
            return;
        }
        self.connect_failures = 0;
        self.fail_waiting(&e);
    }

    fn fail_waiting(&mut self, e: &ClientError) {
        for job in self.waiting.drain(..) {
            job.finish(Err(e.duplicate()), VecDeque::new(), &mut self.tails);
        }
        for tx in self.ready_waiters.drain(..) {
            let _ = tx.send(Err(e.duplicate()));
        }
    }

    /// Hands waiting requests to the session while attached (FIFO).
    fn admit(&mut self) {
        if !matches!(self.phase, Phase::Ready)
            || self.pump.stream.is_none()
            || !self.quit_waiters.is_empty()
        {
            return;
        }
        while self.pump.session.queued() < MAX_QUEUED {
            let Some(job) = self.waiting.pop_front() else {
                break;
            };
            if job.sink.is_closed() {
                continue;
            }
            if job.batch.as_ref().is_some_and(|b| b.aborted()) {
                job.finish(Err(ClientError::Closed), VecDeque::new(), &mut self.tails);
                continue;
            }
            let collect = match job.sink {
                Sink::Stream(_) => Collect::Stream,
                Sink::Reply(_) => {
                    Collect::Budget(job.budget.unwrap_or(self.config.reply_budget()).max(1))
                }
            };
            match self.pump.send(&job.req.as_request(), collect) {
                Ok(id) => {
                    self.inflight.insert(id, job);
                }
                Err(e) => job.finish(
                    Err(ClientError::Core(e.into())),
                    VecDeque::new(),
                    &mut self.tails,
                ),
            }
        }
    }

    /// Moves streamed acks and lines to their callers; pauses reading while any caller's
    /// outbox is full.
    fn hand_out_streams(&mut self, now: Instant) {
        for (id, job) in &mut self.inflight {
            let Sink::Stream(tx) = &job.sink else {
                continue;
            };
            if !job.delivered {
                let Some(ack) = self.pump.ack_of(*id).cloned() else {
                    continue;
                };
                match tx.try_send(StreamItem::Ack(ack)) {
                    Ok(()) => job.delivered = true,
                    Err(mpsc::error::TrySendError::Full(_)) => continue,
                    Err(mpsc::error::TrySendError::Closed(_)) => job.delivered = true,
                }
            }
            let closed = tx.is_closed();
            let Some(outbox) = self.pump.outbox(*id) else {
                continue;
            };
            if closed {
                outbox.clear();
                continue;
            }
            while let Some(line) = outbox.pop_front() {
                match tx.try_send(StreamItem::Line(line)) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(StreamItem::Line(line))) => {
                        outbox.push_front(line);
                        break;
                    }
                    Err(_) => {
                        outbox.clear();
                        break;
                    }
                }
            }
        }
        self.pump.read_paused = self.pump.outbox_full();
        self.tails.flush(now);
    }

    /// Resolves finished requests.
    fn collect(&mut self) {
        let ending = Ending {
            protocol: match self.pump.closed.flatten() {
                Some(e @ (SessionError::Protocol(_) | SessionError::InvalidUtf8)) => Some(e),
                _ => None,
            },
            can_reconnect: self.connector.can_reconnect(),
            max_retries: self.config.retry().max_retries(),
        };
        let mut retries = Vec::new();
        while let Some((id, finished)) = self.pump.take_done() {
            let Some(mut job) = self.inflight.remove(&id) else {
                continue;
            };
            let leftover = self.pump.take_leftover(id);
            match job.verdict(finished, &ending) {
                Verdict::Retry => {
                    job.attempts += 1;
                    tracing::debug!(request = %id, attempt = job.attempts, "re-submitting a read");
                    retries.push((id, job));
                }
                Verdict::Done(result) => job.finish(result, leftover, &mut self.tails),
            }
        }
        // Re-submitted reads go first, in their original order.
        retries.sort_by_key(|(id, _)| *id);
        for (_, job) in retries.into_iter().rev() {
            self.waiting.push_front(job);
        }
    }

    fn close_reason(&self) -> Option<String> {
        self.pump.closed.flatten().map(|e| e.to_string())
    }

    fn publish(&self) {
        self.shared
            .set_load(self.inflight.len(), self.waiting.len());
    }

    /// The earliest deadline the driver must wake for.
    fn next_timer(&self) -> Option<Instant> {
        let jobs = self
            .waiting
            .iter()
            .chain(self.inflight.values())
            .filter(|j| !j.expired)
            .map(|j| j.deadline);
        let phase = match &self.phase {
            Phase::Backoff { until } => Some(*until),
            Phase::Connecting { deadline, .. } => Some(*deadline),
            _ => None,
        };
        let tails = self
            .tails
            .next_deadline()
            .map(|d| d.min(Instant::now() + Duration::from_millis(5)));
        jobs.chain(phase).chain(tails).min()
    }

    /// A sender whose caller must make room before the driver can go on.
    fn blocked_sender(&self) -> Option<mpsc::Sender<StreamItem>> {
        if self.pump.read_paused {
            for (id, job) in &self.inflight {
                if let Sink::Stream(tx) = &job.sink {
                    if self.pump.outbox_len(*id) >= STREAM_OUTBOX_LINES {
                        return Some(tx.clone());
                    }
                }
            }
        }
        self.tails.waiting_sender()
    }

    async fn wait(&mut self, now: Instant) -> Wake<C::Io> {
        let timer = self.next_timer();
        let accepting = self.rx_open && self.waiting.len() < self.config.queue_capacity();
        let blocked = self.blocked_sender();
        let Self {
            rx, pump, phase, ..
        } = self;
        let connecting = match phase {
            Phase::Connecting { fut, .. } => Some(fut),
            _ => None,
        };
        let has_connect = connecting.is_some();
        let connect = async {
            match connecting {
                Some(f) => f.await,
                None => std::future::pending().await,
            }
        };
        let has_stream = pump.stream.is_some();
        // With a transport the pump's one timer also covers the driver's deadlines.
        let io = pump.wait_io(now, timer);
        let own_timer = timer.filter(|_| !has_stream);
        let room = async {
            match blocked {
                Some(tx) => drop(tx.reserve().await),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            msg = rx.recv(), if accepting => Wake::Msg(msg),
            r = connect, if has_connect => Wake::Connected(r),
            r = io, if has_stream => Wake::Io(r),
            () = room => Wake::Timer,
            () = until(own_timer), if own_timer.is_some() => Wake::Timer,
        }
    }

    /// After the last handle is gone: `QUIT` (bounded by the operation timeout) and close.
    async fn close_gracefully(&mut self) {
        if !matches!(self.phase, Phase::Ready) || self.pump.stream.is_none() {
            return;
        }
        if self.pump.session.quit().is_err() {
            return;
        }
        let deadline = Instant::now() + self.config.op_timeout();
        let done = async {
            while self.pump.stream.is_some() {
                let now = Instant::now();
                self.pump.flush_now(now);
                if self.pump.wait_io(now, None).await.is_err() {
                    break;
                }
            }
        };
        if tokio::time::timeout_at(deadline, done).await.is_err() {
            self.pump.abort();
        }
        self.shared.disconnected(None);
    }
}

/// Sleeps until `at`; never ends for `None`. Lazy: no timer exists until the first poll (a
/// `select!` builds every branch's future, polled or not).
async fn until(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Compile-time check that the driver's future is `Send`.
#[allow(dead_code)]
fn assert_send<C: Connector>(d: Connection<C>) -> impl Future<Output = ()> + Send {
    d.run()
}
