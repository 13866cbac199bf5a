//! The byte pump: moves bytes between the transport and the core [`Session`], sleeps until
//! [`Session::poll_timeout`], and turns borrowed session events into owned replies.
//!
//! The transport is any `AsyncRead + AsyncWrite + Unpin` stream (a `TcpStream`, an
//! in-memory `tokio::io::duplex` end, a TLS stream, ...). Each request's data lines are
//! either collected into its [`Reply`] up to a byte budget (past it the rest is read and
//! discarded, so the connection stays in step) or, for streamed requests, queued in a
//! small outbox the console driver hands to the caller; a full outbox pauses reading.
//!
//! Cancel safety comes from where the state lives: every byte taken from the session waits
//! in [`Pump::tx`] until the transport accepted it, every byte read is handed to the session
//! before the next `.await`, and the only await point ([`Pump::wait_io`]) is one `poll_fn`
//! over `poll_read`/`poll_write`/`poll_flush` that completes in the same poll in which the
//! transport reports progress, raced against timers that consume nothing. Dropping a future
//! at any await therefore loses nothing; the next call carries on where it stopped.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use cohesix_core::request::Verb;
use cohesix_core::role::Role;
use cohesix_core::session::{
    Event, Outcome, RequestId, Session, SessionError, State, TRANSMIT_BUF_LEN,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Duration, Instant};

use crate::alarm::Alarm;
use crate::error::ClientError;
use crate::idmap::IdMap;
use crate::reply::{Ack, AckStatus, Lines, Reply};

/// Receive chunk size (the queen sends at most 8192 bytes per poll).
const RX_CHUNK: usize = 8192;

/// Lines a streaming request may hold in its outbox before reading pauses.
pub(crate) const STREAM_OUTBOX_LINES: usize = 256;

/// How a request ended, owned.
#[derive(Debug)]
pub(crate) enum Finished {
    /// Accepted: ack and data lines (for streamed requests the lines went to the outbox).
    Ok(Reply),
    /// Accepted, but the reply outgrew its byte budget (the excess was discarded).
    Exhausted {
        /// The budget.
        limit: usize,
    },
    /// Refused by the queen.
    Refused(Ack),
    /// No reply within the session's per-line deadline; the connection was declared dead.
    TimedOut,
    /// Safe to re-submit (`sent`: whether it had been written).
    Retryable {
        /// Whether the request had been written.
        sent: bool,
    },
    /// A write whose ack was not seen.
    Unknown,
}

/// How a request's data lines are kept.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Collect {
    /// In the reply, up to this many bytes (text plus a 4-byte offset per line).
    Budget(usize),
    /// Handed out as they arrive through the outbox.
    Stream,
}

/// A reply being assembled.
#[derive(Debug)]
struct Partial {
    ack: Option<Ack>,
    lines: Lines,
    collect: Collect,
    bytes: usize,
    exceeded: bool,
    outbox: VecDeque<String>,
}

impl Partial {
    fn new(collect: Collect) -> Self {
        Self {
            ack: None,
            lines: Lines::new(),
            collect,
            bytes: 0,
            exceeded: false,
            outbox: VecDeque::new(),
        }
    }

    fn push(&mut self, line: &str) {
        match self.collect {
            Collect::Stream => self.outbox.push_back(line.to_owned()),
            Collect::Budget(limit) => {
                // What the reply holds: the text plus one 4-byte offset per line.
                let cost = line.len().saturating_add(4);
                if self.exceeded || self.bytes.saturating_add(cost) > limit {
                    // Keep reading (and discarding) to the end so the stream stays in step.
                    self.exceeded = true;
                    return;
                }
                self.bytes += cost;
                self.lines.push(line);
            }
        }
    }
}

/// What the transport reported in [`Pump::wait_io`].
enum IoEvent {
    Read(io::Result<usize>),
    Wrote(io::Result<usize>),
    Flushed(io::Result<()>),
}

/// Transport + session + owned reply assembly.
pub(crate) struct Pump<S> {
    pub(crate) session: Session,
    pub(crate) stream: Option<S>,
    epoch: Instant,
    tx: Vec<u8>,
    tx_sent: usize,
    /// Bytes were written since the last successful `poll_flush`.
    need_flush: bool,
    rx: Vec<u8>,
    partial: IdMap<Partial>,
    done: VecDeque<(RequestId, Finished)>,
    /// Streamed lines of completed requests not yet handed out.
    leftover: IdMap<VecDeque<String>>,
    /// `Some` once `Event::Closed` was seen for the current connection.
    pub(crate) closed: Option<Option<SessionError>>,
    /// The role the queen confirmed on the current connection.
    pub(crate) attached: Option<Role>,
    /// The `OK ATTACH …` line of the current connection, as received.
    pub(crate) attach_ack: Option<Ack>,
    /// The line that refused `ATTACH` on the current connection, as received.
    pub(crate) attach_refusal: Option<Ack>,
    /// The `OK QUIT` line of the current connection, as received.
    pub(crate) quit_ack: Option<Ack>,
    /// The transport reported a reset (not a clean FIN) on the current connection.
    pub(crate) reset_seen: bool,
    /// `OK AUTH` arrived on the current connection.
    pub(crate) authenticated: bool,
    /// Reading is paused (a streamed request's outbox is full).
    pub(crate) read_paused: bool,
    /// Deadline backstop: the longest the pump waits without any inbound byte while a
    /// reply is awaited.
    pub(crate) stall_limit: Duration,
    /// The one timer entry [`Pump::wait_io`] sleeps on.
    alarm: Alarm,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Pump<S> {
    pub(crate) fn new(session: Session, stall_limit: Duration) -> Self {
        Self {
            session,
            stream: None,
            epoch: Instant::now(),
            tx: Vec::with_capacity(TRANSMIT_BUF_LEN * 2),
            tx_sent: 0,
            need_flush: false,
            rx: vec![0; RX_CHUNK],
            partial: IdMap::default(),
            done: VecDeque::new(),
            leftover: IdMap::default(),
            closed: None,
            attached: None,
            attach_ack: None,
            attach_refusal: None,
            quit_ack: None,
            reset_seen: false,
            authenticated: false,
            read_paused: false,
            stall_limit,
            alarm: Alarm::new(),
        }
    }

    /// `now` on the session's clock: milliseconds since the pump was created.
    fn ms_at(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX)
    }

    fn instant_of(&self, ms: u64) -> Instant {
        self.epoch + Duration::from_millis(ms)
    }

    /// Sends `request` through the session and registers how its data lines are kept.
    pub(crate) fn send(
        &mut self,
        request: &cohesix_core::request::Request<'_>,
        collect: Collect,
    ) -> Result<RequestId, SessionError> {
        let id = self.session.send(request)?;
        self.partial.insert(id, Partial::new(collect));
        Ok(id)
    }

    /// Whether a finished request waits to be taken.
    pub(crate) fn has_done(&self) -> bool {
        !self.done.is_empty()
    }

    /// Takes the next finished request, in completion order.
    pub(crate) fn take_done(&mut self) -> Option<(RequestId, Finished)> {
        self.done.pop_front()
    }

    /// The streamed lines of `id` waiting to be handed out (while it runs).
    pub(crate) fn outbox(&mut self, id: RequestId) -> Option<&mut VecDeque<String>> {
        self.partial.get_mut(&id).map(|p| &mut p.outbox)
    }

    /// How many streamed lines of `id` wait to be handed out.
    pub(crate) fn outbox_len(&self, id: RequestId) -> usize {
        self.partial.get(&id).map_or(0, |p| p.outbox.len())
    }

    /// The streamed lines of a completed request that were not handed out yet.
    pub(crate) fn take_leftover(&mut self, id: RequestId) -> VecDeque<String> {
        self.leftover.remove(&id).unwrap_or_default()
    }

    /// Whether any streamed request's outbox is at or over its cap.
    pub(crate) fn outbox_full(&self) -> bool {
        self.partial
            .values()
            .any(|p| matches!(p.collect, Collect::Stream) && p.outbox.len() >= STREAM_OUTBOX_LINES)
    }

    /// The opening ack of `id`, once it arrived.
    pub(crate) fn ack_of(&self, id: RequestId) -> Option<&Ack> {
        self.partial.get(&id).and_then(|p| p.ack.as_ref())
    }

    /// Installs a freshly connected transport for the session's current connection.
    pub(crate) fn attach_stream(&mut self, stream: S) {
        self.stream = Some(stream);
        self.closed = None;
        self.attached = None;
        self.attach_ack = None;
        self.attach_refusal = None;
        self.quit_ack = None;
        self.reset_seen = false;
        self.authenticated = false;
        self.read_paused = false;
        self.tx.clear();
        self.tx_sent = 0;
        self.need_flush = false;
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

    /// Moves every frame the session wants to send into `tx` and writes what the transport
    /// takes without waiting (one poll with a no-op waker; `Pending` leaves the rest for
    /// [`Pump::wait_io`], which polls with the task's waker).
    pub(crate) fn flush_now(&mut self, now: Instant) {
        if self.stream.is_none() {
            // Frames stay in the session until a transport exists (AUTH goes out in the
            // first write of the next connection).
            return;
        }
        let now = self.ms_at(now);
        let mut frame = [0u8; TRANSMIT_BUF_LEN];
        while let Some(n) = self.session.poll_transmit(now, &mut frame) {
            self.tx.extend_from_slice(frame.get(..n).unwrap_or(&[]));
        }
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        let mut cx = Context::from_waker(Waker::noop());
        let mut failure = None;
        while self.tx_sent < self.tx.len() {
            let pending = self.tx.get(self.tx_sent..).unwrap_or(&[]);
            match Pin::new(&mut *stream).poll_write(&mut cx, pending) {
                Poll::Ready(Ok(0)) => {
                    failure = Some(io::Error::from(io::ErrorKind::WriteZero));
                    break;
                }
                Poll::Ready(Ok(n)) => {
                    self.tx_sent += n;
                    self.need_flush = true;
                }
                Poll::Ready(Err(e)) => {
                    failure = Some(e);
                    break;
                }
                Poll::Pending => break,
            }
        }
        if failure.is_none() && self.need_flush {
            match Pin::new(&mut *stream).poll_flush(&mut cx) {
                Poll::Ready(Ok(())) => self.need_flush = false,
                Poll::Ready(Err(e)) => failure = Some(e),
                Poll::Pending => {}
            }
        }
        if let Some(e) = failure {
            tracing::debug!(error = %e, "write failed");
            self.note_io_error(&e);
            self.abort();
            return;
        }
        self.compact_tx();
    }

    fn compact_tx(&mut self) {
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
    fn feed(&mut self, n: usize, now: u64) {
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
                Event::Authenticated => {
                    tracing::debug!("authenticated");
                    self.authenticated = true;
                }
                Event::SessionAck { verb, ack } => {
                    tracing::debug!(line = ack.raw, "session ack");
                    let owned = Ack::from_core(&ack);
                    match verb {
                        Verb::Attach if ack.is_ok() => self.attach_ack = Some(owned),
                        Verb::Attach => self.attach_refusal = Some(owned),
                        Verb::Quit => self.quit_ack = Some(owned),
                        _ => {}
                    }
                }
                Event::Attached { role } => {
                    tracing::debug!(role = role.label(), "attached");
                    self.attached = Some(role);
                }
                Event::Ack { id, ack, .. } => {
                    if let Some(p) = self.partial.get_mut(&id) {
                        p.ack = Some(Ack::from_core(&ack));
                    }
                }
                Event::Data { id, line, .. } => {
                    if let Some(p) = self.partial.get_mut(&id) {
                        p.push(line);
                        if matches!(p.collect, Collect::Stream)
                            && p.outbox.len() >= STREAM_OUTBOX_LINES
                        {
                            self.read_paused = true;
                        }
                    }
                }
                Event::Completed(c) => {
                    let partial = self
                        .partial
                        .remove(&c.id)
                        .unwrap_or_else(|| Partial::new(Collect::Stream));
                    let finished = match c.outcome {
                        // Past its budget a reply is doomed however it ends: never retried.
                        _ if partial.exceeded => Finished::Exhausted {
                            limit: match partial.collect {
                                Collect::Budget(l) => l,
                                Collect::Stream => 0,
                            },
                        },
                        Outcome::Ok => {
                            let ack = partial.ack.unwrap_or_else(|| {
                                Ack::synthetic(AckStatus::Ok, c.verb.ack_label())
                            });
                            Finished::Ok(Reply {
                                ack,
                                lines: partial.lines,
                            })
                        }
                        Outcome::Refused(ack) => Finished::Refused(Ack::from_core(&ack)),
                        Outcome::TimedOut => Finished::TimedOut,
                        Outcome::Interrupted { sent } => Finished::Retryable { sent },
                        Outcome::NoReply => Finished::Retryable { sent: true },
                        _ => Finished::Unknown,
                    };
                    tracing::trace!(request = %c.id, verb = %c.verb, "completed");
                    if matches!(partial.collect, Collect::Stream) && !partial.outbox.is_empty() {
                        // Lines not yet handed out travel with the completion.
                        self.leftover.insert(c.id, partial.outbox);
                    }
                    self.done.push_back((c.id, finished));
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
            self.need_flush = false;
        }
        any
    }

    /// Waits for one of: inbound bytes, transport room for pending output (or a pending
    /// flush), the session's next deadline, the caller's `until`, or the stall backstop,
    /// and handles it. Reaching `until` only returns `Ok(())`.
    ///
    /// Cancel-safe: the transport is polled inside one `poll_fn` that completes in the very
    /// poll in which a read or write makes progress, and the result is applied before this
    /// function returns, with no await in between; the timer consumes nothing.
    pub(crate) async fn wait_io(
        &mut self,
        now: Instant,
        until: Option<Instant>,
    ) -> Result<(), ClientError> {
        enum Wake {
            Io(IoEvent),
            Timer,
            Stall,
        }
        if self.stream.is_none() {
            return Err(ClientError::Closed);
        }
        let deadline = self.session.poll_timeout().map(|ms| self.instant_of(ms));
        let awaiting =
            (self.session.in_flight() > 0 || self.session.queued() > 0) && !self.read_paused;
        // Without anything awaited the backstop never fires (an idle wait is bounded by
        // its caller).
        let stall = awaiting.then(|| now + self.stall_limit);
        // The earliest of the deadlines, and whether it is the stall backstop.
        let alarm_at = [
            deadline.map(|d| (d, false)),
            until.map(|u| (u, false)),
            stall.map(|s| (s, true)),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|(at, _)| *at);
        let want_write = self.tx_sent < self.tx.len();
        let want_flush = self.need_flush;
        let paused = self.read_paused;
        let Self {
            stream,
            tx,
            tx_sent,
            rx,
            alarm,
            ..
        } = self;
        let Some(stream) = stream.as_mut() else {
            return Err(ClientError::Closed);
        };
        let sent = *tx_sent;
        let wake = poll_fn(|cx| {
            if want_write {
                let pending = tx.get(sent..).unwrap_or(&[]);
                if let Poll::Ready(r) = Pin::new(&mut *stream).poll_write(cx, pending) {
                    return Poll::Ready(Wake::Io(IoEvent::Wrote(r)));
                }
            } else if want_flush {
                if let Poll::Ready(r) = Pin::new(&mut *stream).poll_flush(cx) {
                    return Poll::Ready(Wake::Io(IoEvent::Flushed(r)));
                }
            }
            // A streamed request's outbox is full: leave the bytes in the socket (TCP
            // back-pressure) until the caller takes lines.
            if !paused {
                let mut buf = ReadBuf::new(rx.as_mut_slice());
                match Pin::new(&mut *stream).poll_read(cx, &mut buf) {
                    Poll::Ready(Ok(())) => {
                        return Poll::Ready(Wake::Io(IoEvent::Read(Ok(buf.filled().len()))))
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Wake::Io(IoEvent::Read(Err(e)))),
                    Poll::Pending => {}
                }
            }
            match alarm_at {
                Some((at, stall)) if alarm.poll_at(cx, at).is_ready() => {
                    Poll::Ready(if stall { Wake::Stall } else { Wake::Timer })
                }
                _ => Poll::Pending,
            }
        })
        .await;
        let now = Instant::now();
        match wake {
            Wake::Io(IoEvent::Read(Ok(0))) => {
                tracing::debug!("peer closed the connection");
                self.abort();
            }
            Wake::Io(IoEvent::Read(Ok(n))) => self.feed(n, self.ms_at(now)),
            Wake::Io(IoEvent::Wrote(Ok(0))) => {
                tracing::debug!("transport accepts no more bytes");
                self.abort();
            }
            Wake::Io(IoEvent::Wrote(Ok(n))) => {
                self.tx_sent += n;
                self.need_flush = true;
                self.compact_tx();
            }
            Wake::Io(IoEvent::Flushed(Ok(()))) => self.need_flush = false,
            Wake::Io(IoEvent::Read(Err(e)) | IoEvent::Wrote(Err(e)) | IoEvent::Flushed(Err(e))) => {
                if e.kind() != io::ErrorKind::WouldBlock {
                    tracing::debug!(error = %e, "transport failed");
                    self.note_io_error(&e);
                    self.abort();
                }
            }
            Wake::Timer => {
                self.session.handle_timeout(self.ms_at(now));
                self.drain_events();
            }
            Wake::Stall => {
                tracing::debug!("no progress within the stall limit; dropping the connection");
                self.abort();
                return Err(ClientError::Timeout { op: "request" });
            }
        }
        self.flush_now(now);
        Ok(())
    }
}
