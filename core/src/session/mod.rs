//! Sans-IO console session: AUTH → ATTACH → requests → QUIT, with reply assembly per verb,
//! pipelining, deadlines and heartbeats. No clock, no I/O, no heap: time comes in as a `u64`
//! millisecond count from any monotonic clock the adapter owns.
//!
//! # Usage (adapters drive exactly this loop)
//!
//! ```text
//!         +---------------------------- Session ----------------------------+
//!  bytes  |  handle_input(now, &[u8]) -> consumed                           |
//!  -----> |     FrameDecoder -> reply::classify -> assembly -> events       |  poll_event()
//!         |                                                                 | ------------> app
//!  now    |  handle_timeout(now)      poll_timeout() -> Option<deadline>    |
//!  -----> |                                                                 |
//!  EOF    |  handle_close()           send(&Request) -> RequestId, quit()   | <------------ app
//!  -----> |                                                                 |
//!         |  poll_transmit(now, &mut [u8; TRANSMIT_BUF_LEN]) -> Option<n>   | -----> socket
//!         +-----------------------------------------------------------------+
//! ```
//!
//! ```text
//! let mut s = Session::new(Config::new(), Credentials::new(token, Role::Queen, None)?)?;
//! // connect, then at once (the real queen drops a silent connection within tens of ms):
//! loop {
//!     while let Some(n) = s.poll_transmit(now(), &mut tx) { write_all(&tx[..n]) }
//!     wait for: readable | s.poll_timeout() | app request
//!       readable(buf) => { let mut off = 0;
//!                          while off < buf.len() {           // 0 only while events pending
//!                              off += s.handle_input(now(), &buf[off..]);
//!                              while let Some(ev) = s.poll_event() { handle(ev) } } }
//!       EOF / error   => s.handle_close()
//!       deadline      => s.handle_timeout(now())
//!       app request   => s.send(&Request::ls("/")?)?          // or s.quit()
//!     while let Some(ev) = s.poll_event() { handle(ev) }       // Closed => close the socket
//! }
//! // after Event::Closed: s.reconnect()? and connect again (AUTH + ATTACH are re-queued).
//! ```
//!
//! * Call [`poll_transmit`](Session::poll_transmit) after every `handle_*`, `send` and `quit`.
//! * [`handle_input`](Session::handle_input) stops after each frame that produced events so the
//!   borrowed text in [`Event`]s stays valid; it returns 0 only while events are pending.
//! * Events per request: optional [`Event::Ack`] (the `OK` line), any number of
//!   [`Event::Data`], then exactly one [`Event::Completed`]. Refusals arrive as
//!   [`Outcome::Refused`] carrying the `ERR` ack (`reason`, `detail`, `delay_ms`).
//! * After the connection ends (quit, EOF, timeout, refused AUTH/ATTACH, protocol error) every
//!   outstanding request completes — writes whose ack was not seen as [`Outcome::Unknown`],
//!   retry-safe ones as [`Outcome::Interrupted`] — and then [`Event::Closed`] comes once.
//!   The core never re-sends anything; adapters decide with [`Outcome::is_retry_safe`].
//!
//! # Policies
//!
//! * AUTH is queued when the session is created (and on [`reconnect`](Session::reconnect));
//!   ATTACH is sent after `OK AUTH` (the ticket is not sent to a peer that refused the token).
//!   `OK AUTH <detail>` is ignored (mock quirk). A close before `OK AUTH` is
//!   [`SessionError::AuthRejected`] (the real queen closes silently); `ERR AUTH` too.
//! * `ERR ATTACH` ends the connection with [`SessionError::AttachRejected`]; throttle and
//!   rate-limit refusals carry `delay_ms` ([`AttachError::delay_ms`]).
//! * The raw acks of the session's own commands reach the application as
//!   [`Event::SessionAck`], borrowed from the receive buffer: `OK ATTACH role=…` right
//!   before [`Event::Attached`], the `ERR ATTACH …` (or `ERR PARSE …`) that refused the
//!   attach right before the completions and [`Event::Closed`], and `OK QUIT` when it
//!   arrives. Adapters print these lines instead of re-rendering them.
//! * User requests are held until attached, then sent with at most
//!   [`Config::max_in_flight`] frames unanswered (PING fences included, spec §2.8).
//! * **Real-queen ordering** (measured against the upstream queen; it wins over the spec):
//!   ACKs arrive in command order but may overtake the data lines of an open stream, so data
//!   lines belong to the oldest open stream while an ACK goes to the oldest frame waiting for
//!   one with that label. A `PING` (user or heartbeat) completes on its `OK PING` alone: the
//!   queen drops the `PONG` of a PING that arrives while a stream is open. Each PING that
//!   completed without its `PONG` leaves a small credit; while credit is left, an exact
//!   `PONG` line is consumed silently instead of being counted as stream data or reported as
//!   stray. The credit expires as soon as a data line (or `END`) of a request sent *after*
//!   that PING arrives (the queen keeps data lines in order, so the PONG would have come
//!   first). **Residual ambiguity:** while credit is left, a data line that is exactly
//!   `PONG` (a file or directory entry named `PONG`) in a stream that was already open when
//!   the PING was acked, or as the first line of a later stream, is taken for the late PONG
//!   and not delivered.
//! * **Fences.** `HELP`/`BI`/`CAPS`/`MEM`/`NETSTATS`/`CACHELOG`/`NETTEST` have no end marker;
//!   `SPAWN`/`KILL` may send `OK` then `ERR`. Each is followed by a `PING`; the reply is
//!   complete when that fence has its `OK PING` and either its `PONG`, or any other line
//!   after the `OK PING` (the queen moved on; the PONG is then owed as above), or a quiet
//!   period of `retry::BACKOFF_MS` (at most the operation timeout) with nothing received.
//!   A dropped fence `PONG` therefore never holds the connection until the operation
//!   timeout. For SPAWN/KILL the fence is the **grace rule**: an `ERR <V>` arriving before it
//!   completes (including right after its `OK PING`) refuses the request; one arriving later
//!   is an [`Event::Stray`].
//! * **QUIT.** `OK QUIT` ends the session at once unless a stream is still open (the ACK
//!   overtook its data): then its lines keep flowing until `END` (then the session ends) or
//!   until the peer closes, which completes the stream as [`Outcome::Interrupted`] for
//!   reads and [`Outcome::Unknown`] for `TAIL`; the close is clean ([`Event::Closed`] with
//!   no error).
//! * **Deadlines.** While any frame is unanswered, the next attributable reply line must
//!   arrive within [`Config::op_timeout_ms`]; otherwise the oldest request completes
//!   [`Outcome::TimedOut`] and the connection is declared dead. When attached and idle for
//!   [`Config::heartbeat_ms`] a `PING` is sent (its answer is consumed silently; like a user
//!   PING it is answered by `OK PING` alone).
//! * An `OK <V>` for a *later* frame means the queen dropped the frames before it (it keeps
//!   8 inbound lines): those complete as [`Outcome::NoReply`] (nothing was executed).
//! * Data lines are delivered borrowed from the receive buffer: zero copies, zero allocation.
//!
//! # Footprint
//!
//! `Session<QUEUE, WIRE, EVENTS>` keeps everything inline: the 256-byte frame decoder, the
//! credentials (token and ticket packed in one redacted buffer), the wire FIFO (`WIRE`
//! entries), the event queue (`EVENTS`) and `QUEUE` rendered request lines (256 bytes each).
//! Hosts use the defaults (`Session` = `Session<16, 10, 14>`, about 5.8 KB on a 64-bit
//! host); a RAM-tight client uses [`MinimalSession`] (`Session<1, 2, 6>`,
//! `Config::max_in_flight == 1`), which fits a 2 KiB static-RAM budget together with a
//! 260-byte receive and a 260-byte transmit buffer. `core/probe` (`probe-client`) measures
//! it on `thumbv7em-none-eabihf`; `tests/session_footprint.rs` holds the budget on the host.
//!
//! ```text
//!  Session<1, 2, 6> ─ decoder 256 B + credentials 475 B + 1 queued line + 2 wire + 6 events
//!  + rx 260 B + tx 260 B  <=  2048 B static RAM
//! ```
//!
//! # Example
//!
//! ```
//! use cohesix_core::frame::encode_frame;
//! use cohesix_core::request::Request;
//! use cohesix_core::role::Role;
//! use cohesix_core::session::{Config, Credentials, Event, Session, TRANSMIT_BUF_LEN};
//!
//! let creds = Credentials::new("changeme", Role::Queen, None)?;
//! let mut s = Session::new(Config::new(), creds)?;
//! let mut tx = [0u8; TRANSMIT_BUF_LEN];
//! let n = s.poll_transmit(0, &mut tx).unwrap();
//! assert_eq!(&tx[4..n], b"AUTH changeme");
//!
//! // What the queen answers, as frames.
//! let mut rx = [0u8; 64];
//! let n = encode_frame(b"OK AUTH", &mut rx).unwrap();
//! assert_eq!(s.handle_input(1, &rx[..n]), n);
//! assert_eq!(s.poll_event(), Some(Event::Authenticated));
//! let n = s.poll_transmit(1, &mut tx).unwrap();
//! assert_eq!(&tx[4..n], b"ATTACH queen ");
//! let n = encode_frame(b"OK ATTACH role=queen", &mut rx).unwrap();
//! s.handle_input(2, &rx[..n]);
//! assert!(matches!(
//!     s.poll_event(),
//!     Some(Event::SessionAck { ack, .. }) if ack.raw == "OK ATTACH role=queen"
//! ));
//! assert_eq!(s.poll_event(), Some(Event::Attached { role: Role::Queen }));
//!
//! let id = s.send(&Request::ls("/log")?)?;
//! let n = s.poll_transmit(3, &mut tx).unwrap();
//! assert_eq!(&tx[4..n], b"LS /log");
//! for line in ["OK LS path=/log entries=1", "queen.log", "END"] {
//!     let n = encode_frame(line.as_bytes(), &mut rx).unwrap();
//!     s.handle_input(4, &rx[..n]);
//!     while let Some(ev) = s.poll_event() {
//!         match ev {
//!             Event::Ack { ack, .. } => assert_eq!(ack.entries(), Some(1)),
//!             Event::Data { line, .. } => assert_eq!(line, "queen.log"),
//!             Event::Completed(c) => assert!(c.id == id && c.outcome.is_ok()),
//!             other => panic!("{other:?}"),
//!         }
//!     }
//! }
//! # Ok::<(), cohesix_core::session::SessionError>(())
//! ```
//!
//! # Test kit
//!
//! Feature `testkit` adds `session::testkit`: an in-memory queen model (`Server`, with an
//! injected clock), a `Pair` harness and the shared `CONFORMANCE` table.
//! Adapters enable it in their dev-dependencies
//! (`cohesix-core = { workspace = true, features = ["testkit"] }`) and bridge
//! `Server::handle_input` / `Server::poll_output` to their own in-memory transport.

mod assembly;
mod config;
mod error;
mod event;
mod machine;
#[cfg(feature = "testkit")]
pub mod testkit;

use crate::frame::{FrameDecoder, MAX_CONSOLE_FRAME_LEN};
use crate::reply::{classify, Line};
use crate::request::Request;
use crate::role::Role;

use cohesix_generated::console::MAX_LINE_LEN;

pub use config::{Config, Credentials};
pub use error::{AttachError, SessionError};
pub use event::{Completion, Event, Outcome, RequestId};

use machine::{Machine, Pending, Phase};

/// Size of the buffer [`Session::poll_transmit`] writes one frame into (4 + 256 bytes).
pub const TRANSMIT_BUF_LEN: usize = MAX_CONSOLE_FRAME_LEN;

/// User requests that can wait for wire room (beyond those on the wire): the default
/// `QUEUE` of [`Session`].
pub const MAX_QUEUED: usize = machine::QUEUE_CAP;

/// Frames the session can track on the wire at once: the default `WIRE` of [`Session`]
/// (enough for [`Config::max_in_flight`] up to `console::MAX_IN_FLIGHT`).
pub const MAX_WIRE_FRAMES: usize = machine::WIRE_CAP;

/// Events one inbound frame can queue: the default `EVENTS` of [`Session`]
/// (`WIRE + 4`; a smaller value is refused by the constructors).
pub const MAX_PENDING_EVENTS: usize = machine::EVENT_CAP;

/// The smallest session: one waiting request, one request on the wire (plus its PING
/// fence), `Config::max_in_flight == 1`. For RAM-tight clients (see the footprint section of
/// the [module docs](self)); build it with [`Session::new_with_queue`].
pub type MinimalSession = Session<1, 2, 6>;

/// Where the connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum State {
    /// AUTH queued or sent.
    Authenticating,
    /// ATTACH queued or sent.
    Attaching,
    /// Attached: requests flow.
    Ready,
    /// The connection is over (events may still be pending).
    Closed,
}

/// One console session over one connection at a time. See the [module docs](self).
///
/// The capacities are const generics whose defaults suit hosts:
///
/// * `QUEUE` ([`MAX_QUEUED`]): user requests [`send`](Self::send) can hold while they wait
///   for wire room; each slot keeps a rendered 256-byte line. At least 1 (0 does not
///   compile: `heapless` rejects empty deques).
/// * `WIRE` ([`MAX_WIRE_FRAMES`]): frames tracked on the wire; at least 2 (a request and its
///   PING fence) and at least [`Config::max_in_flight`].
/// * `EVENTS` ([`MAX_PENDING_EVENTS`]): events one inbound frame can queue; at least
///   `WIRE + 4`.
///
/// The constructors refuse other combinations with [`SessionError::InvalidConfig`]. A
/// RAM-tight client uses [`MinimalSession`] (`Session<1, 2, 6>`).
#[derive(Debug)]
pub struct Session<
    const QUEUE: usize = MAX_QUEUED,
    const WIRE: usize = MAX_WIRE_FRAMES,
    const EVENTS: usize = MAX_PENDING_EVENTS,
> {
    decoder: FrameDecoder<MAX_LINE_LEN>,
    m: Machine<QUEUE, WIRE, EVENTS>,
}

impl Session {
    /// A session for a fresh connection with the default queue ([`MAX_QUEUED`]): AUTH is
    /// queued at once. For another queue size use [`new_with_queue`](Self::new_with_queue).
    pub fn new(config: Config, credentials: Credentials) -> Result<Self, SessionError> {
        Self::new_with_queue(config, credentials)
    }
}

impl<const QUEUE: usize, const WIRE: usize, const EVENTS: usize> Session<QUEUE, WIRE, EVENTS> {
    /// A session for a fresh connection with the capacities of its type, e.g.
    /// `MinimalSession::new_with_queue(config, credentials)` or
    /// `Session::<4>::new_with_queue(..)`. AUTH is queued at once.
    ///
    /// Errors with [`SessionError::InvalidConfig`] when `config` is out of range or the
    /// capacities do not fit it (`WIRE < 2`, `WIRE < max_in_flight`, `EVENTS < WIRE + 4`).
    pub fn new_with_queue(config: Config, credentials: Credentials) -> Result<Self, SessionError> {
        config.validate()?;
        let events_needed = WIRE.checked_add(4).ok_or(SessionError::InvalidConfig)?;
        if WIRE < 2 || WIRE < usize::from(config.max_in_flight) || EVENTS < events_needed {
            return Err(SessionError::InvalidConfig);
        }
        Ok(Self {
            decoder: FrameDecoder::new(),
            m: Machine::new(config, credentials),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.m.config
    }

    /// Where the connection stands.
    pub fn state(&self) -> State {
        match self.m.phase {
            Phase::Auth { .. } => State::Authenticating,
            Phase::Attach { .. } => State::Attaching,
            Phase::Ready => State::Ready,
            Phase::Closed => State::Closed,
        }
    }

    /// The role the queen confirmed, once attached on this connection.
    pub fn role(&self) -> Option<Role> {
        self.m.role
    }

    /// Frames written and not yet fully answered (PING fences and heartbeats included).
    pub fn in_flight(&self) -> usize {
        self.m.wire.len()
    }

    /// User requests accepted by [`send`](Self::send) and not yet written.
    pub fn queued(&self) -> usize {
        self.m.queue.len()
    }

    /// Whether events wait for [`poll_event`](Self::poll_event) (then
    /// [`handle_input`](Self::handle_input) consumes nothing).
    pub fn has_pending_events(&self) -> bool {
        self.m.has_events()
    }

    /// Queues a request; returns its id. Nothing is written until
    /// [`poll_transmit`](Self::poll_transmit). Requests wait until the session is attached
    /// and there is wire room.
    ///
    /// Errors: [`SessionError::Request`] (argument out of bounds, nothing queued),
    /// [`SessionError::ReservedVerb`] (AUTH/ATTACH/QUIT), [`SessionError::QueueFull`]
    /// (`QUEUE` requests already wait), [`SessionError::InvalidState`] (closed or
    /// quitting).
    pub fn send(&mut self, request: &Request<'_>) -> Result<RequestId, SessionError> {
        self.m.send(request)
    }

    /// Queues `QUIT` after the queued requests. The session ends cleanly at `OK QUIT` or when
    /// the peer closes after `QUIT` was sent (a missing answer still hits the operation
    /// timeout). Calling it twice is harmless.
    pub fn quit(&mut self) -> Result<(), SessionError> {
        self.m.quit()
    }

    /// Writes the next frame to send into `buf` and returns its length, or `None` when
    /// nothing may be sent now. Call it in a loop after every other call.
    #[must_use]
    pub fn poll_transmit(
        &mut self,
        now_ms: u64,
        buf: &mut [u8; TRANSMIT_BUF_LEN],
    ) -> Option<usize> {
        self.m.poll_transmit(now_ms, buf)
    }

    /// Feeds received bytes; returns how many were consumed.
    ///
    /// Consumption stops after a frame that produced events, so drain
    /// [`poll_event`](Self::poll_event) and call again with the rest. Returns 0 only when
    /// `bytes` is empty or events are pending. After the connection ended, input is discarded
    /// (all of it is reported consumed).
    pub fn handle_input(&mut self, now_ms: u64, bytes: &[u8]) -> usize {
        if self.m.has_events() {
            return 0;
        }
        self.decoder.clear_frame();
        if self.m.is_closed() {
            return bytes.len();
        }
        let mut used = 0usize;
        while let Some(rest) = bytes.get(used..).filter(|r| !r.is_empty()) {
            let (n, res) = self.decoder.push_counted(rest);
            used = used.saturating_add(n);
            if let Err(e) = res {
                self.m.close(Some(SessionError::Protocol(e)));
                return bytes.len();
            }
            let Some(frame) = self.decoder.frame() else {
                if n == 0 {
                    break;
                }
                continue;
            };
            match core::str::from_utf8(frame) {
                Ok(text) => self.m.on_line(now_ms, classify(text)),
                Err(_) => {
                    self.m.close(Some(SessionError::InvalidUtf8));
                    return bytes.len();
                }
            }
            if self.m.has_events() {
                break;
            }
            self.decoder.clear_frame();
        }
        used
    }

    /// Advances time: fires the operation deadline (the connection is then declared dead) or
    /// schedules a heartbeat. Spurious calls are no-ops. Call
    /// [`poll_transmit`](Self::poll_transmit) afterwards.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        self.m.handle_timeout(now_ms);
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next (absolute, in the
    /// caller's clock), if anything is timed.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<u64> {
        self.m.poll_timeout()
    }

    /// The transport is gone (EOF, reset, I/O error, or the adapter gives up). Before
    /// `OK AUTH` this is [`SessionError::AuthRejected`]; after `QUIT` it is a clean close.
    pub fn handle_close(&mut self) {
        self.m.handle_close();
    }

    /// The next event. Borrowed text is valid until the next `&mut` call.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event<'_>> {
        if let Some(p) = self.m.events.pop_front() {
            let text = self
                .decoder
                .frame()
                .and_then(|f| core::str::from_utf8(f).ok())
                .unwrap_or("");
            let ack = || match classify(text) {
                Line::Ack(a) => Some(a),
                _ => None,
            };
            return Some(match p {
                Pending::Authenticated => Event::Authenticated,
                Pending::Attached(role) => Event::Attached { role },
                Pending::SessionAck(verb) => match ack() {
                    Some(ack) => Event::SessionAck { verb, ack },
                    None => Event::Stray { line: text },
                },
                Pending::Ack(id, verb) => match ack() {
                    Some(ack) => Event::Ack { id, verb, ack },
                    None => Event::Stray { line: text },
                },
                Pending::Data(id, verb) => Event::Data {
                    id,
                    verb,
                    line: text.trim_end_matches(['\r', '\n']),
                },
                Pending::Refused(id, verb, lines) => match ack() {
                    Some(ack) => Event::Completed(Completion {
                        id,
                        verb,
                        outcome: Outcome::Refused(ack),
                        lines,
                    }),
                    None => Event::Stray { line: text },
                },
                Pending::Done(id, verb, done, lines) => Event::Completed(Completion {
                    id,
                    verb,
                    outcome: done.outcome(),
                    lines,
                }),
                Pending::Stray => Event::Stray { line: text },
            });
        }
        self.m.drain_close()
    }

    /// Prepares the session for a new connection after [`Event::Closed`] was delivered:
    /// clears the receive buffer and re-queues AUTH and ATTACH with the cached credentials.
    /// Request ids keep counting.
    ///
    /// Errors with [`SessionError::InvalidState`] while the connection is still open or
    /// events are pending (call [`handle_close`](Self::handle_close) and drain first).
    pub fn reconnect(&mut self) -> Result<(), SessionError> {
        if !self.m.is_closed() || self.m.has_events() {
            return Err(SessionError::InvalidState);
        }
        self.decoder.reset();
        self.m.reset_connection();
        Ok(())
    }

    /// Replaces the credentials used from the next connection on (for example a fresh ticket
    /// after [`AttachError::Denied`]). Only while closed, like [`reconnect`](Self::reconnect).
    pub fn set_credentials(&mut self, credentials: Credentials) -> Result<(), SessionError> {
        if !self.m.is_closed() {
            return Err(SessionError::InvalidState);
        }
        self.m.creds = credentials;
        Ok(())
    }

    /// The role the credentials attach as.
    pub fn requested_role(&self) -> Role {
        self.m.creds.role()
    }

    /// Alias of [`reconnect`](Self::reconnect).
    pub fn reset(&mut self) -> Result<(), SessionError> {
        self.reconnect()
    }
}
