//! The synchronous glue both clients share: byte windows in and out of the core session.
//!
//! It holds no protocol logic. It only moves bytes between the transport and
//! `cohesix_core::session::Session` and keeps the *unfinished* parts of that movement in its own
//! fields (received-but-unfed bytes, a half-written frame), which is what makes the async client
//! cancel-safe: dropping a future never loses a byte, because no byte lives in a future.

use core::ops::ControlFlow;

use cohesix_core::role::Role;
use cohesix_core::session::{
    Event, RequestId, Session, SessionError, State, MAX_PENDING_EVENTS, MAX_QUEUED,
    MAX_WIRE_FRAMES, TRANSMIT_BUF_LEN,
};

use crate::error::Error;
use crate::reply::Reply;

/// Default receive window: one maximal console frame.
pub const DEFAULT_RX_LEN: usize = TRANSMIT_BUF_LEN;

/// Byte storage of one client, sized at compile time; `const`-constructible so it can live in
/// a `static` (e.g. through `static_cell::ConstStaticCell`).
#[derive(Debug)]
pub struct Buffers<const RX: usize = DEFAULT_RX_LEN> {
    rx: [u8; RX],
    tx: [u8; TRANSMIT_BUF_LEN],
}

impl<const RX: usize> Buffers<RX> {
    /// Zeroed buffers.
    pub const fn new() -> Self {
        Self {
            rx: [0; RX],
            tx: [0; TRANSMIT_BUF_LEN],
        }
    }
}

impl<const RX: usize> Default for Buffers<RX> {
    fn default() -> Self {
        Self::new()
    }
}

/// The events both clients' `connect` waits for: breaks with the role the queen confirmed,
/// or with the close that came instead.
pub(crate) fn until_attached<TE>(ev: Event<'_>) -> ControlFlow<Result<Role, Error<TE>>> {
    match ev {
        Event::Attached { role } => ControlFlow::Break(Ok(role)),
        Event::Closed { error } => ControlFlow::Break(Err(Error::Closed(error))),
        _ => ControlFlow::Continue(()),
    }
}

/// The events both clients' `request` waits for: request `id`'s data lines go to `on_line`;
/// breaks with its reply once it completed.
pub(crate) fn until_completed<'f, F: FnMut(&str)>(
    id: RequestId,
    on_line: &'f mut F,
) -> impl FnMut(Event<'_>) -> ControlFlow<Reply> + 'f {
    move |ev| match ev {
        Event::Data { id: i, line, .. } if i == id => {
            on_line(line);
            ControlFlow::Continue(())
        }
        Event::Completed(c) if c.id == id => ControlFlow::Break(Reply::from_completion(&c)),
        _ => ControlFlow::Continue(()),
    }
}

/// Session + buffers + the cursors of unfinished I/O. `Q`/`W`/`E` are the session's
/// capacities (`Session<Q, W, E>`; the defaults are the core's host defaults).
#[derive(Debug)]
pub(crate) struct Driver<
    'b,
    const RX: usize,
    const Q: usize = MAX_QUEUED,
    const W: usize = MAX_WIRE_FRAMES,
    const E: usize = MAX_PENDING_EVENTS,
> {
    pub(crate) session: Session<Q, W, E>,
    buf: &'b mut Buffers<RX>,
    rx_start: usize,
    rx_end: usize,
    tx_off: usize,
    tx_len: usize,
    /// Set once `Event::Closed` went past the caller: the reason.
    closed: Option<Option<SessionError>>,
}

impl<'b, const RX: usize, const Q: usize, const W: usize, const E: usize> Driver<'b, RX, Q, W, E> {
    pub(crate) fn new(session: Session<Q, W, E>, buf: &'b mut Buffers<RX>) -> Self {
        Self {
            session,
            buf,
            rx_start: 0,
            rx_end: 0,
            tx_off: 0,
            tx_len: 0,
            closed: None,
        }
    }

    /// `Debug` of a client named `name`: its session only (no buffers, no transport).
    pub(crate) fn fmt_client(
        &self,
        f: &mut core::fmt::Formatter<'_>,
        name: &str,
    ) -> core::fmt::Result {
        f.debug_struct(name)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }

    /// Drains events to `f` and feeds buffered input, until `f` breaks or nothing is left.
    pub(crate) fn step<R>(
        &mut self,
        now_ms: u64,
        f: &mut impl FnMut(Event<'_>) -> ControlFlow<R>,
    ) -> ControlFlow<R> {
        let mut zero_streak = 0u8;
        loop {
            while let Some(ev) = self.session.poll_event() {
                if let Event::Closed { error } = ev {
                    self.closed = Some(error);
                }
                f(ev)?;
            }
            let window = self.buf.rx.get(self.rx_start..self.rx_end).unwrap_or(&[]);
            if window.is_empty() {
                self.rx_start = 0;
                self.rx_end = 0;
                return ControlFlow::Continue(());
            }
            let used = self.session.handle_input(now_ms, window);
            self.rx_start = self.rx_start.saturating_add(used).min(self.rx_end);
            // `handle_input` consumes nothing only while events are pending, which the next
            // turn drains; two zeros in a row would mean no progress is possible: stop.
            zero_streak = if used == 0 {
                zero_streak.saturating_add(1)
            } else {
                0
            };
            if zero_streak > 1 {
                return ControlFlow::Continue(());
            }
        }
    }

    /// The session ended and its `Closed` event was delivered: the reason.
    pub(crate) fn closed(&self) -> Option<Option<SessionError>> {
        if self.session.state() == State::Closed {
            self.closed
        } else {
            None
        }
    }

    /// The frame bytes still to write (pulling the next frame from the core if none is half
    /// written). Empty: nothing to send now.
    pub(crate) fn pending_tx(&mut self, now_ms: u64) -> &[u8] {
        if self.tx_off >= self.tx_len {
            self.tx_off = 0;
            self.tx_len = self
                .session
                .poll_transmit(now_ms, &mut self.buf.tx)
                .unwrap_or(0);
        }
        self.buf.tx.get(self.tx_off..self.tx_len).unwrap_or(&[])
    }

    /// `n` bytes of [`pending_tx`](Self::pending_tx) were written.
    pub(crate) fn advance_tx(&mut self, n: usize) {
        self.tx_off = self.tx_off.saturating_add(n).min(self.tx_len);
    }

    /// The free part of the receive buffer (compacted first).
    pub(crate) fn rx_window(&mut self) -> &mut [u8] {
        if self.rx_start > 0 && self.rx_start <= self.rx_end && self.rx_end <= RX {
            self.buf.rx.copy_within(self.rx_start..self.rx_end, 0);
            self.rx_end = self.rx_end.saturating_sub(self.rx_start);
            self.rx_start = 0;
        }
        self.buf.rx.get_mut(self.rx_end..).unwrap_or(&mut [])
    }

    /// `n` bytes were read into [`rx_window`](Self::rx_window).
    pub(crate) fn commit_rx(&mut self, n: usize) {
        self.rx_end = self.rx_end.saturating_add(n).min(RX);
    }

    /// The transport is gone: tell the core, drop half-done I/O.
    pub(crate) fn transport_closed(&mut self) {
        self.session.handle_close();
        self.tx_off = 0;
        self.tx_len = 0;
    }

    /// Ready the session for a fresh connection (after `Closed`).
    pub(crate) fn restart(&mut self) -> Result<(), SessionError> {
        if self.session.state() != State::Closed {
            self.session.handle_close();
        }
        // Drain whatever the close produced; the caller already gave up on those requests.
        while self.session.poll_event().is_some() {}
        self.session.reconnect()?;
        self.rx_start = 0;
        self.rx_end = 0;
        self.tx_off = 0;
        self.tx_len = 0;
        self.closed = None;
        Ok(())
    }
}
