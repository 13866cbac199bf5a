//! The protocol state machine behind [`Session`](super::Session): phases, the wire FIFO,
//! transmission, deadlines and the close drain. Reply assembly lives in `assembly.rs`.
//!
//! ```text
//!  Auth{sent} --OK AUTH--> Attach{sent} --OK ATTACH--> Ready --OK QUIT / EOF / error--> Closed
//!      |                        |                        |                              |
//!      +-- ERR AUTH / EOF ------+-- ERR ATTACH ----------+------------------------------+
//!                                                        drain: Completed per request, then Closed
//! ```

use cohesix_generated::console::{MAX_IN_FLIGHT, MAX_LINE_LEN};
use cohesix_generated::retry;
use heapless::Deque;

use crate::frame::{HEADER_LEN, MAX_CONSOLE_FRAME_LEN};
use crate::request::{Request, Verb};
use crate::role::Role;

use super::config::{Config, Credentials};
use super::error::SessionError;
use super::event::{Completion, Event, Outcome, RequestId};

/// Frames that may sit on the wire at once (a fenced request sent on an empty wire uses 2).
pub(super) const WIRE_CAP: usize = MAX_IN_FLIGHT + 2;
/// User requests waiting for wire room (a full window's worth, twice).
pub(super) const QUEUE_CAP: usize = 2 * MAX_IN_FLIGHT;
/// Events one inbound frame can produce: one per frame on the wire (replies the queen
/// skipped) plus an ack, a completion and a session event.
pub(super) const EVENT_CAP: usize = WIRE_CAP + 4;

/// How long an answered fence (`OK PING` seen) waits for its `PONG` when nothing else
/// arrives: the manifest's retry backoff unit, far above the real queen's sub-millisecond
/// PING→PONG gap and far below the operation timeout (it is clamped to the latter).
pub(super) const FENCE_QUIET_MS: u64 = retry::BACKOFF_MS;

/// Connection phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Auth { sent: bool },
    Attach { sent: bool },
    Ready,
    Closed,
}

/// Who a wire frame belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Auth,
    Attach,
    User(RequestId),
    /// PING sent right after a multi-line/SPAWN/KILL request to delimit its reply.
    Fence(Option<RequestId>),
    Heartbeat,
    Quit,
}

/// One frame on the wire, awaiting its reply.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    pub(super) seq: u32,
    pub(super) kind: Kind,
    pub(super) verb: Verb,
    /// `OK` ack seen.
    pub(super) acked: bool,
    /// PING-type: `PONG` seen.
    pub(super) pong: bool,
    /// Completion waits for the fence PING that follows it.
    pub(super) fenced: bool,
    pub(super) lines: u32,
    pub(super) timed_out: bool,
}

impl Entry {
    pub(super) fn user_id(&self) -> Option<RequestId> {
        match self.kind {
            Kind::User(id) => Some(id),
            _ => None,
        }
    }
}

/// A user request rendered at `send` time, waiting for wire room.
#[derive(Clone, Copy)]
pub(super) struct Queued {
    pub(super) id: RequestId,
    pub(super) verb: Verb,
    pub(super) len: usize,
    pub(super) line: [u8; MAX_LINE_LEN],
}

/// An event waiting for `poll_event`. Variants marked (frame) borrow the current frame.
#[derive(Clone, Copy, Debug)]
pub(super) enum Pending {
    Authenticated,
    Attached(Role),
    /// (frame) the raw ack of the session's own `ATTACH` or `QUIT`.
    SessionAck(Verb),
    /// (frame) the `OK` ack of `id`.
    Ack(RequestId, Verb),
    /// (frame) a data line of `id`.
    Data(RequestId, Verb),
    /// (frame) the `ERR` ack that refused `id`.
    Refused(RequestId, Verb, u32),
    /// Owned completion.
    Done(RequestId, Verb, Done, u32),
    /// (frame) a line for nobody.
    Stray,
}

/// Completions that borrow nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Done {
    Ok,
    TimedOut,
    Interrupted { sent: bool },
    Unknown,
    NoReply,
}

impl Done {
    pub(super) const fn outcome(self) -> Outcome<'static> {
        match self {
            Done::Ok => Outcome::Ok,
            Done::TimedOut => Outcome::TimedOut,
            Done::Interrupted { sent } => Outcome::Interrupted { sent },
            Done::Unknown => Outcome::Unknown,
            Done::NoReply => Outcome::NoReply,
        }
    }
}

/// The connection ended.
#[derive(Clone, Copy, Debug)]
pub(super) struct Closing {
    pub(super) error: Option<SessionError>,
    pub(super) reported: bool,
}

/// Everything but the receive buffer (split so inbound lines can borrow the decoder while the
/// machine is mutated).
#[derive(Debug)]
pub(super) struct Machine<const Q: usize, const W: usize, const E: usize> {
    pub(super) config: Config,
    pub(super) creds: Credentials,
    pub(super) phase: Phase,
    pub(super) role: Option<Role>,
    pub(super) wire: Deque<Entry, W>,
    pub(super) queue: Deque<Queued, Q>,
    pub(super) events: Deque<Pending, E>,
    pub(super) next_id: u32,
    pub(super) next_seq: u32,
    pub(super) last_tx_ms: u64,
    /// Deadline for the next reply line while the wire is not empty.
    pub(super) rx_deadline: Option<u64>,
    pub(super) heartbeat_due: bool,
    pub(super) fence_due: Option<RequestId>,
    pub(super) quit_requested: bool,
    pub(super) quit_sent: bool,
    /// `OK QUIT` overtook an open stream: close once no stream is open any more.
    pub(super) quit_acked: bool,
    /// `PONG` lines still owed by PINGs that completed on `OK PING` alone (the real queen
    /// may deliver them late or drop them). Expires when data of a later request arrives.
    pub(super) pong_credit: u8,
    /// Sequence number of the newest PING that owes a `PONG`.
    pub(super) pong_owed_seq: u32,
    /// Deadline for the `PONG` of a fence whose `OK PING` arrived (quiet rule).
    /// (fence seq, deadline): when the fence waiting for its `PONG` completes anyway.
    pub(super) fence_quiet: Option<(u32, u64)>,
    pub(super) closing: Option<Closing>,
}

impl core::fmt::Debug for Queued {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Queued")
            .field("id", &self.id)
            .field("verb", &self.verb)
            .finish_non_exhaustive()
    }
}

impl<const Q: usize, const W: usize, const E: usize> Machine<Q, W, E> {
    pub(super) fn new(config: Config, creds: Credentials) -> Self {
        Self {
            config,
            creds,
            phase: Phase::Auth { sent: false },
            role: None,
            wire: Deque::new(),
            queue: Deque::new(),
            events: Deque::new(),
            next_id: 0,
            next_seq: 0,
            last_tx_ms: 0,
            rx_deadline: None,
            heartbeat_due: false,
            fence_due: None,
            quit_requested: false,
            quit_sent: false,
            quit_acked: false,
            pong_credit: 0,
            pong_owed_seq: 0,
            fence_quiet: None,
            closing: None,
        }
    }

    /// Back to a fresh connection (ids keep counting).
    pub(super) fn reset_connection(&mut self) {
        self.phase = Phase::Auth { sent: false };
        self.role = None;
        self.wire.clear();
        self.queue.clear();
        self.events.clear();
        self.rx_deadline = None;
        self.heartbeat_due = false;
        self.fence_due = None;
        self.quit_requested = false;
        self.quit_sent = false;
        self.quit_acked = false;
        self.pong_credit = 0;
        self.fence_quiet = None;
        self.closing = None;
    }

    pub(super) fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Events (queued or still to be drained after a close) are waiting for `poll_event`.
    pub(super) fn has_events(&self) -> bool {
        !self.events.is_empty() || self.closing.is_some_and(|c| !c.reported)
    }

    pub(super) fn push_event(&mut self, p: Pending) {
        // Bounded by construction: one frame yields at most W + 3 events (E >= W + 4 is checked
        // when the session is built) and the queue
        // is drained before the next frame is processed.
        let _ = self.events.push_back(p);
    }

    pub(super) fn refresh_deadline(&mut self, now: u64) {
        self.rx_deadline = if self.wire.is_empty() {
            None
        } else {
            Some(now.saturating_add(self.config.op_timeout_ms))
        };
    }

    /// Ends the connection; completions are produced lazily by [`Machine::drain_close`].
    pub(super) fn close(&mut self, error: Option<SessionError>) {
        if self.closing.is_some() {
            return;
        }
        self.phase = Phase::Closed;
        self.rx_deadline = None;
        self.heartbeat_due = false;
        self.fence_due = None;
        self.fence_quiet = None;
        self.closing = Some(Closing {
            error,
            reported: false,
        });
    }

    /// Transport closed (EOF, reset, I/O error, local abort).
    pub(super) fn handle_close(&mut self) {
        let error = match self.phase {
            Phase::Closed => return,
            Phase::Auth { sent: true } => Some(SessionError::AuthRejected),
            _ if self.quit_sent => None,
            _ => Some(SessionError::PeerClosed),
        };
        self.close(error);
    }

    /// After a close: one completion per outstanding request (wire order, then queue order),
    /// then `Closed` once.
    pub(super) fn drain_close(&mut self) -> Option<Event<'static>> {
        let closing = self.closing?;
        if closing.reported {
            return None;
        }
        while let Some(e) = self.wire.pop_front() {
            let Kind::User(id) = e.kind else { continue };
            let done = if e.timed_out {
                Done::TimedOut
            } else if e.acked && e.fenced && !e.verb.is_unterminated_multiline() {
                // SPAWN/KILL: the OK was seen; only the grace fence was pending.
                Done::Ok
            } else if e.verb.is_idempotent_read() {
                Done::Interrupted { sent: true }
            } else {
                Done::Unknown
            };
            return Some(completed(id, e.verb, done.outcome(), e.lines));
        }
        if let Some(q) = self.queue.pop_front() {
            return Some(completed(
                q.id,
                q.verb,
                Outcome::Interrupted { sent: false },
                0,
            ));
        }
        self.closing = Some(Closing {
            reported: true,
            ..closing
        });
        Some(Event::Closed {
            error: closing.error,
        })
    }

    // ----------------------------------------------------------------------------------
    // Requests
    // ----------------------------------------------------------------------------------

    pub(super) fn send(&mut self, req: &Request<'_>) -> Result<RequestId, SessionError> {
        if self.is_closed() || self.quit_requested {
            return Err(SessionError::InvalidState);
        }
        let verb = req.verb();
        if verb.is_session_verb() {
            return Err(SessionError::ReservedVerb);
        }
        let mut line = [0u8; MAX_LINE_LEN];
        let len = req.write_line(&mut line)?;
        if self.queue.is_full() {
            return Err(SessionError::QueueFull);
        }
        let id = RequestId(self.next_id);
        self.queue
            .push_back(Queued {
                id,
                verb,
                len,
                line,
            })
            .map_err(|_| SessionError::QueueFull)?;
        self.next_id = self.next_id.wrapping_add(1);
        Ok(id)
    }

    pub(super) fn quit(&mut self) -> Result<(), SessionError> {
        if self.is_closed() {
            return Err(SessionError::InvalidState);
        }
        self.quit_requested = true;
        Ok(())
    }

    // ----------------------------------------------------------------------------------
    // Transmit
    // ----------------------------------------------------------------------------------

    fn room_for(&self, frames: usize) -> bool {
        let cap = usize::from(self.config.max_in_flight);
        self.wire.is_empty()
            || self
                .wire
                .len()
                .checked_add(frames)
                .is_some_and(|n| n <= cap && n <= W)
    }

    fn push_wire(&mut self, now: u64, kind: Kind, verb: Verb, fenced: bool) -> bool {
        let seq = self.next_seq;
        let was_empty = self.wire.is_empty();
        let entry = Entry {
            seq,
            kind,
            verb,
            acked: false,
            pong: false,
            fenced,
            lines: 0,
            timed_out: false,
        };
        if self.wire.push_back(entry).is_err() {
            return false;
        }
        self.next_seq = self.next_seq.wrapping_add(1);
        self.last_tx_ms = now;
        if was_empty {
            self.rx_deadline = Some(now.saturating_add(self.config.op_timeout_ms));
        }
        true
    }

    /// Writes the next frame into `buf`; see [`Session::poll_transmit`](super::Session::poll_transmit).
    pub(super) fn poll_transmit(
        &mut self,
        now: u64,
        buf: &mut [u8; MAX_CONSOLE_FRAME_LEN],
    ) -> Option<usize> {
        let (hdr, body) = buf.split_first_chunk_mut::<HEADER_LEN>()?;
        let len = match self.phase {
            Phase::Closed | Phase::Auth { sent: true } | Phase::Attach { sent: true } => {
                return None
            }
            Phase::Auth { sent: false } => {
                let n = self.creds.auth_request().write_line(body).ok()?;
                self.push_wire(now, Kind::Auth, Verb::Auth, false)
                    .then_some(())?;
                self.phase = Phase::Auth { sent: true };
                n
            }
            Phase::Attach { sent: false } => {
                let n = self.creds.attach_request().write_line(body).ok()?;
                self.push_wire(now, Kind::Attach, Verb::Attach, false)
                    .then_some(())?;
                self.phase = Phase::Attach { sent: true };
                n
            }
            Phase::Ready => self.next_ready_frame(now, body)?,
        };
        let total = len.checked_add(HEADER_LEN)?;
        *hdr = u32::try_from(total).ok()?.to_le_bytes();
        Some(total)
    }

    fn next_ready_frame(&mut self, now: u64, body: &mut [u8]) -> Option<usize> {
        if let Some(owner) = self.fence_due {
            let n = Request::Ping.write_line(body).ok()?;
            self.push_wire(now, Kind::Fence(Some(owner)), Verb::Ping, false)
                .then_some(())?;
            self.fence_due = None;
            return Some(n);
        }
        if self.heartbeat_due {
            let n = Request::Ping.write_line(body).ok()?;
            self.push_wire(now, Kind::Heartbeat, Verb::Ping, false)
                .then_some(())?;
            self.heartbeat_due = false;
            return Some(n);
        }
        if let Some(front) = self.queue.front() {
            let fenced = front.verb.needs_fence();
            if !self.room_for(if fenced { 2 } else { 1 }) {
                return None;
            }
            let (id, verb, len) = (front.id, front.verb, front.len);
            let dst = body.get_mut(..len)?;
            super::config::copy(dst, front.line.get(..len)?);
            self.push_wire(now, Kind::User(id), verb, fenced)
                .then_some(())?;
            let _ = self.queue.pop_front();
            if fenced {
                self.fence_due = Some(id);
            }
            return Some(len);
        }
        if self.quit_requested && !self.quit_sent && self.room_for(1) {
            let n = Request::Quit.write_line(body).ok()?;
            self.push_wire(now, Kind::Quit, Verb::Quit, false)
                .then_some(())?;
            self.quit_sent = true;
            return Some(n);
        }
        None
    }

    // ----------------------------------------------------------------------------------
    // Time
    // ----------------------------------------------------------------------------------

    fn heartbeat_applies(&self) -> bool {
        self.phase == Phase::Ready
            && self.config.heartbeat_ms > 0
            && self.wire.is_empty()
            && self.queue.is_empty()
            && !self.quit_requested
            && !self.heartbeat_due
    }

    pub(super) fn poll_timeout(&self) -> Option<u64> {
        if self.is_closed() {
            return None;
        }
        if !self.wire.is_empty() {
            return match (self.rx_deadline, self.fence_quiet.map(|(_, at)| at)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        if self.heartbeat_applies() {
            return Some(self.last_tx_ms.saturating_add(self.config.heartbeat_ms));
        }
        None
    }

    pub(super) fn handle_timeout(&mut self, now: u64) {
        if self.is_closed() {
            return;
        }
        // Only with no events pending, so the event queue stays within its bound; the
        // deadline stays due until then.
        if let Some((seq, at)) = self.fence_quiet.filter(|_| self.events.is_empty()) {
            if now >= at {
                self.fence_quiet = None;
                if let Some(fence) = self.awaiting_fence().filter(|f| f.seq == seq) {
                    self.settle_fence(fence);
                }
            }
            if self.wire.is_empty() {
                self.rx_deadline = None;
            }
        }
        if let Some(deadline) = self.rx_deadline {
            if !self.wire.is_empty() && now >= deadline {
                if let Some(front) = self.wire.front_mut() {
                    front.timed_out = true;
                }
                self.close(Some(SessionError::TimedOut));
                return;
            }
        }
        if self.heartbeat_applies()
            && now >= self.last_tx_ms.saturating_add(self.config.heartbeat_ms)
        {
            self.heartbeat_due = true;
        }
    }
}

pub(super) const fn completed(
    id: RequestId,
    verb: Verb,
    outcome: Outcome<'static>,
    lines: u32,
) -> Event<'static> {
    Event::Completed(Completion {
        id,
        verb,
        outcome,
        lines,
    })
}
