//! The byte pump: moves bytes between the socket and the core [`Session`], sleeps until
//! [`Session::poll_timeout`], and turns borrowed session events into owned replies.
//!
//! Cancel safety comes from where the state lives: every byte taken from the session waits
//! in [`Pump::tx`] until the socket accepted it, every byte read is handed to the session
//! before the next `.await`, and every await point is a readiness wait (`readable`,
//! `writable`, `sleep`) that consumes nothing. Dropping a future at any await therefore
//! loses nothing; the next call carries on where it stopped.

use std::collections::{HashMap, HashSet};
use std::io;

use cohesix_core::reply::{Ack as CoreAck, Status};
use cohesix_core::role::Role;
use cohesix_core::session::{
    AttachError, Event, Outcome, RequestId, Session, SessionError, State, TRANSMIT_BUF_LEN,
};
use tokio::net::TcpStream;
use tokio::time::{sleep_until, Duration, Instant};

use crate::error::ClientError;
use crate::reply::{Ack, AckStatus, Reply};

/// Receive chunk size (the queen sends at most 8192 bytes per poll).
const RX_CHUNK: usize = 8192;

/// How a request ended, owned.
#[derive(Debug)]
pub(crate) enum Finished {
    /// Accepted: ack (if any) and data lines.
    Ok(Reply),
    /// Refused by the queen.
    Refused(Ack),
    /// No reply within the deadline; the connection was declared dead.
    TimedOut,
    /// Safe to re-submit (`sent`: whether it had been written).
    Retryable { sent: bool },
    /// A write whose ack was not seen.
    Unknown,
}

/// A reply being assembled.
#[derive(Debug, Default)]
struct Partial {
    ack: Option<Ack>,
    lines: Vec<String>,
}

/// Converts a borrowed core ack into an owned one.
pub(crate) fn own_ack(ack: &CoreAck<'_>) -> Ack {
    let status = match ack.status {
        Status::Ok => AckStatus::Ok,
        Status::Err => AckStatus::Err,
    };
    Ack::new(status, ack.label, ack.detail.map(str::to_owned))
}

/// The canonical queen (SRV) rendering of an attach refusal, for display: the session
/// reports the refusal as an [`AttachError`].
pub(crate) fn attach_refusal_ack(e: &AttachError) -> Ack {
    let detail = match e {
        AttachError::Denied => "reason=policy detail=denied".to_owned(),
        AttachError::Throttled { delay_ms } => {
            format!("reason=quota detail=throttled delay_ms={delay_ms}")
        }
        AttachError::RateLimited { delay_ms } => {
            format!("reason=quota detail=rate-limited delay_ms={delay_ms}")
        }
        AttachError::InvalidRole => "reason=policy detail=invalid-role".to_owned(),
        AttachError::LifecycleDenied => "reason=policy detail=lifecycle-denied".to_owned(),
        AttachError::Expired => "reason=quota detail=expired".to_owned(),
        AttachError::InvalidClaims => "reason=quota detail=invalid-claims".to_owned(),
        AttachError::Busy => "reason=busy detail=attach-timeout".to_owned(),
        AttachError::Unauthenticated => "reason=policy detail=unauthenticated".to_owned(),
        AttachError::Parse => {
            return Ack::new(AckStatus::Err, "PARSE", Some("reason=policy".to_owned()))
        }
        _ => "reason=policy".to_owned(),
    };
    Ack::new(AckStatus::Err, "ATTACH", Some(detail))
}

/// Socket + session + owned reply assembly.
pub(crate) struct Pump {
    pub(crate) session: Session,
    pub(crate) stream: Option<TcpStream>,
    epoch: Instant,
    tx: Vec<u8>,
    tx_sent: usize,
    rx: Vec<u8>,
    partial: HashMap<RequestId, Partial>,
    done: HashMap<RequestId, Finished>,
    abandoned: HashSet<RequestId>,
    /// `Some` once `Event::Closed` was seen for the current connection.
    pub(crate) closed: Option<Option<SessionError>>,
    /// The role the queen confirmed on the current connection.
    pub(crate) attached: Option<Role>,
    /// The transport reported a reset (not a clean FIN) on the current connection.
    pub(crate) reset_seen: bool,
    /// Deadline backstop: the longest the pump waits without any inbound byte while a
    /// reply is awaited.
    pub(crate) stall_limit: Duration,
}

impl Pump {
    pub(crate) fn new(session: Session, stall_limit: Duration) -> Self {
        Self {
            session,
            stream: None,
            epoch: Instant::now(),
            tx: Vec::with_capacity(TRANSMIT_BUF_LEN * 2),
            tx_sent: 0,
            rx: vec![0; RX_CHUNK],
            partial: HashMap::new(),
            done: HashMap::new(),
            abandoned: HashSet::new(),
            closed: None,
            attached: None,
            reset_seen: false,
            stall_limit,
        }
    }

    /// Milliseconds since the pump was created (the session's clock).
    pub(crate) fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn instant_of(&self, ms: u64) -> Instant {
        self.epoch + Duration::from_millis(ms)
    }

    /// Starts a new call: replies of earlier, cancelled calls are discarded when they come.
    pub(crate) fn begin_call(&mut self) {
        self.abandoned.extend(self.partial.keys().copied());
        for (id, _) in self.done.drain() {
            tracing::debug!(request = %id, "discarding reply of a cancelled call");
        }
    }

    /// Takes the result of a finished request.
    pub(crate) fn take(&mut self, id: RequestId) -> Option<Finished> {
        self.done.remove(&id)
    }

    /// Whether `id` has finished.
    pub(crate) fn is_done(&self, id: RequestId) -> bool {
        self.done.contains_key(&id)
    }

    /// Installs a freshly connected socket for the session's current connection.
    pub(crate) fn attach_stream(&mut self, stream: TcpStream) {
        self.stream = Some(stream);
        self.closed = None;
        self.attached = None;
        self.reset_seen = false;
        self.tx.clear();
        self.tx_sent = 0;
    }

    /// Prepares the session for a new connection (after `Closed` was delivered).
    pub(crate) fn prepare_reconnect(&mut self) -> Result<(), ClientError> {
        self.drain_events();
        if self.session.state() == State::Closed {
            self.session
                .reconnect()
                .map_err(|e| ClientError::Core(e.into()))?;
        }
        Ok(())
    }

    /// Drops the transport and tells the session (EOF/reset/abort).
    pub(crate) fn abort(&mut self) {
        self.session.handle_close();
        self.drain_events();
        self.stream = None;
    }

    /// Moves every frame the session wants to send into `tx` and writes what the socket
    /// takes without waiting.
    pub(crate) fn flush_now(&mut self) {
        let now = self.now_ms();
        let mut frame = [0u8; TRANSMIT_BUF_LEN];
        while let Some(n) = self.session.poll_transmit(now, &mut frame) {
            self.tx.extend_from_slice(frame.get(..n).unwrap_or(&[]));
        }
        let Some(stream) = &self.stream else {
            return;
        };
        while self.tx_sent < self.tx.len() {
            match stream.try_write(self.tx.get(self.tx_sent..).unwrap_or(&[])) {
                Ok(0) => break,
                Ok(n) => self.tx_sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    tracing::debug!(error = %e, "write failed");
                    self.note_io_error(&e);
                    self.abort();
                    return;
                }
            }
        }
        if self.tx_sent == self.tx.len() {
            self.tx.clear();
            self.tx_sent = 0;
        }
    }

    fn note_io_error(&mut self, e: &io::Error) {
        if matches!(
            e.kind(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
        ) {
            self.reset_seen = true;
        }
    }

    /// Hands bytes to the session and collects the events they produce.
    fn feed(&mut self, n: usize) {
        let now = self.now_ms();
        let mut off = 0;
        while off < n {
            let used = self
                .session
                .handle_input(now, self.rx.get(off..n).unwrap_or(&[]));
            let had_events = self.drain_events();
            off += used;
            if used == 0 && !had_events {
                break;
            }
        }
    }

    /// Drains session events into owned state; returns whether there were any.
    pub(crate) fn drain_events(&mut self) -> bool {
        let mut any = false;
        while let Some(event) = self.session.poll_event() {
            any = true;
            match event {
                Event::Authenticated => tracing::debug!("authenticated"),
                Event::Attached { role } => {
                    tracing::debug!(role = role.label(), "attached");
                    self.attached = Some(role);
                }
                Event::Ack { id, ack, .. } => {
                    self.partial.entry(id).or_default().ack = Some(own_ack(&ack));
                }
                Event::Data { id, line, .. } => {
                    self.partial
                        .entry(id)
                        .or_default()
                        .lines
                        .push(line.to_owned());
                }
                Event::Completed(c) => {
                    let partial = self.partial.remove(&c.id).unwrap_or_default();
                    let finished = match c.outcome {
                        Outcome::Ok => {
                            let ack = partial.ack.unwrap_or_else(|| {
                                Ack::new(AckStatus::Ok, c.verb.ack_label(), None)
                            });
                            Finished::Ok(Reply {
                                ack,
                                lines: partial.lines,
                            })
                        }
                        Outcome::Refused(ack) => Finished::Refused(own_ack(&ack)),
                        Outcome::TimedOut => Finished::TimedOut,
                        Outcome::Interrupted { sent } => Finished::Retryable { sent },
                        Outcome::NoReply => Finished::Retryable { sent: true },
                        _ => Finished::Unknown,
                    };
                    tracing::trace!(request = %c.id, verb = %c.verb, "completed");
                    if !self.abandoned.remove(&c.id) {
                        self.done.insert(c.id, finished);
                    }
                }
                Event::Stray { line } => tracing::debug!(line, "stray line"),
                Event::Closed { error } => {
                    tracing::debug!(?error, "session closed");
                    self.closed = Some(error);
                }
                _ => tracing::debug!("unhandled session event"),
            }
        }
        if self.closed.is_some() && self.stream.is_some() {
            self.stream = None;
            self.tx.clear();
            self.tx_sent = 0;
        }
        any
    }

    /// Waits for one of: inbound bytes, socket room for pending output, the session's next
    /// deadline, or the stall backstop. Cancel-safe: every branch is a readiness wait.
    pub(crate) async fn wait_io(&mut self) -> Result<(), ClientError> {
        enum Wake {
            Readable,
            Writable,
            Timer,
            Stall,
        }
        let Some(stream) = &self.stream else {
            return Err(ClientError::Closed);
        };
        let deadline = self.session.poll_timeout().map(|ms| self.instant_of(ms));
        let awaiting = self.session.in_flight() > 0 || self.session.queued() > 0;
        // Without anything awaited the backstop never fires (an idle wait is bounded by
        // its caller).
        let stall = Instant::now() + self.stall_limit;
        let want_write = self.tx_sent < self.tx.len();
        let wake = tokio::select! {
            r = stream.readable() => { r?; Wake::Readable }
            r = stream.writable(), if want_write => { r?; Wake::Writable }
            () = sleep_until(deadline.unwrap_or(stall)), if deadline.is_some() => Wake::Timer,
            () = sleep_until(stall), if awaiting => Wake::Stall,
        };
        match wake {
            Wake::Readable => {
                let result = match &self.stream {
                    Some(s) => s.try_read(&mut self.rx),
                    None => return Ok(()),
                };
                match result {
                    Ok(0) => {
                        tracing::debug!("peer closed the connection");
                        self.abort();
                    }
                    Ok(n) => self.feed(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => {
                        tracing::debug!(error = %e, "read failed");
                        self.note_io_error(&e);
                        self.abort();
                    }
                }
            }
            Wake::Writable => {}
            Wake::Timer => {
                let now = self.now_ms();
                self.session.handle_timeout(now);
                self.drain_events();
            }
            Wake::Stall => {
                tracing::debug!("no progress within the stall limit; dropping the connection");
                self.abort();
                return Err(ClientError::Timeout { op: "request" });
            }
        }
        self.flush_now();
        Ok(())
    }
}
