//! Async client over `embedded-io-async` (`embassy_net::tcp::TcpSocket` implements it), with
//! deadlines from `embassy-time`.
//!
//! # Cancel safety
//!
//! Every `async fn` here is **cancel-safe** provided the transport's `read` is (embassy-net's
//! is: it dequeues bytes only when it returns them). Bytes that were read are committed into the
//! client's [`Buffers`] before anything else happens, and a frame that was partly written stays
//! in the buffers with its offset, so the next call continues it where it stopped. Dropping a
//! future therefore loses no input and never interleaves half frames; requests that were
//! queued stay queued. The only thing a dropped call loses is its own result (e.g. the
//! completion of a [`Client::request`] is then handed to the *next* call's event handler as an
//! ordinary event, and ignored by the typed helpers).

use core::ops::ControlFlow;

use cohesix_core::request::Request;
use cohesix_core::role::Role;
use cohesix_core::session::{
    Event, RequestId, Session, SessionError, MAX_PENDING_EVENTS, MAX_QUEUED, MAX_WIRE_FRAMES,
};
use embassy_futures::select::{select, Either};
use embassy_time::{Instant, Timer};
use embedded_io_async::{Read, Write};

use crate::driver::{until_attached, until_completed, Buffers, Driver, DEFAULT_RX_LEN};
use crate::error::Error;
use crate::fmt::{log_debug, log_warn};
use crate::reply::Reply;

/// Milliseconds on the embassy clock (the core's time base for this client).
pub fn now_ms() -> u64 {
    Instant::now().as_millis()
}

/// An async console client: one transport, one core session, caller-provided buffers.
///
/// `RX` is the receive window ([`Buffers`]); `Q`, `W`, `E` are the capacities of the core
/// session it drives (`Session<Q, W, E>`, defaults = the core's host defaults). A RAM-tight
/// MCU passes a [`MinimalSession`](cohesix_core::session::MinimalSession) and gets a
/// `Client<'_, T, RX, 1, 2, 6>` (alias [`MinimalClient`]); the types are inferred from the
/// session given to [`new`](Self::new).
pub struct Client<
    'b,
    T,
    const RX: usize = DEFAULT_RX_LEN,
    const Q: usize = MAX_QUEUED,
    const W: usize = MAX_WIRE_FRAMES,
    const E: usize = MAX_PENDING_EVENTS,
> {
    io: T,
    d: Driver<'b, RX, Q, W, E>,
}

/// A [`Client`] driving a [`MinimalSession`](cohesix_core::session::MinimalSession)
/// (`Config::max_in_flight == 1`).
pub type MinimalClient<'b, T, const RX: usize = DEFAULT_RX_LEN> = Client<'b, T, RX, 1, 2, 6>;

impl<T, const RX: usize, const Q: usize, const W: usize, const E: usize> core::fmt::Debug
    for Client<'_, T, RX, Q, W, E>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.d.fmt_client(f, "Client")
    }
}

impl<'b, T: Read + Write, const RX: usize, const Q: usize, const W: usize, const E: usize>
    Client<'b, T, RX, Q, W, E>
{
    /// Wraps a connected transport. The session's AUTH is already queued; nothing is written
    /// until the first call that drives the client.
    pub fn new(io: T, session: Session<Q, W, E>, buffers: &'b mut Buffers<RX>) -> Self {
        Self {
            io,
            d: Driver::new(session, buffers),
        }
    }

    /// The core session (read-only view).
    pub fn session(&self) -> &Session<Q, W, E> {
        &self.d.session
    }

    /// The transport, e.g. to `connect` an embassy-net socket again.
    pub fn io_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Gives the transport back.
    pub fn into_io(self) -> T {
        self.io
    }

    /// Prepares the session for a new connection of the same transport (call after an error
    /// that [`needs_reconnect`](Error::needs_reconnect) and after re-connecting the
    /// transport): AUTH and ATTACH are queued again with the cached credentials; buffered
    /// bytes of the old connection are discarded. Not async; nothing to cancel.
    pub fn restart(&mut self) -> Result<(), SessionError> {
        self.d.restart()
    }

    /// Queues a request without waiting (pipelining); completions arrive through
    /// [`drive`](Self::drive). Not async; nothing to cancel.
    pub fn send(&mut self, request: &Request<'_>) -> Result<RequestId, SessionError> {
        self.d.session.send(request)
    }

    /// Queues `QUIT` after the queued requests without waiting; the close arrives through
    /// [`drive`](Self::drive) as `Event::Closed`. Not async; nothing to cancel.
    pub fn queue_quit(&mut self) -> Result<(), SessionError> {
        self.d.session.quit()
    }

    /// Sends `QUIT` after the queued requests and drives until the session closed.
    /// `Ok(())` for a clean close.
    ///
    /// Cancel-safe (see the [module docs](self)); QUIT stays queued.
    pub async fn quit(&mut self, deadline: Instant) -> Result<(), Error<T::Error>> {
        self.d.session.quit()?;
        self.drive(deadline, |ev| match ev {
            Event::Closed { error: None } => ControlFlow::Break(Ok(())),
            Event::Closed { error } => ControlFlow::Break(Err(Error::Closed(error))),
            _ => ControlFlow::Continue(()),
        })
        .await?
    }

    /// Drives the session until `f` breaks, handing it every event.
    ///
    /// Returns `Err(Deadline)` at `deadline`, `Err(Closed)` once the session ended and its
    /// `Closed` event was handed to `f` without a break, and `Err(Transport)` when the
    /// transport failed (the core sees that as a close first, so `f` still gets the
    /// completions and `Closed`).
    ///
    /// Cancel-safe (see the [module docs](self)).
    pub async fn drive<R>(
        &mut self,
        deadline: Instant,
        mut f: impl FnMut(Event<'_>) -> ControlFlow<R>,
    ) -> Result<R, Error<T::Error>> {
        let mut transport_error: Option<T::Error> = None;
        let mut write_zero = false;
        loop {
            if let ControlFlow::Break(r) = self.d.step(now_ms(), &mut f) {
                return Ok(r);
            }
            if let Some(reason) = self.d.closed() {
                return Err(match (transport_error.take(), write_zero) {
                    (Some(e), _) => Error::Transport(e),
                    (None, true) => Error::WriteZero,
                    (None, false) => Error::Closed(reason),
                });
            }
            // Write everything the core has for the wire.
            let mut wrote = false;
            loop {
                let pending = self.d.pending_tx(now_ms());
                if pending.is_empty() {
                    break;
                }
                match select(self.io.write(pending), Timer::at(deadline)).await {
                    Either::First(Ok(0)) => {
                        log_warn!("transport accepted zero bytes; closing");
                        write_zero = true;
                        self.d.transport_closed();
                        break;
                    }
                    Either::First(Ok(n)) => {
                        self.d.advance_tx(n);
                        wrote = true;
                    }
                    Either::First(Err(e)) => {
                        log_warn!("transport write failed; closing");
                        transport_error = Some(e);
                        self.d.transport_closed();
                        break;
                    }
                    Either::Second(()) => return Err(Error::Deadline),
                }
            }
            if wrote {
                match select(self.io.flush(), Timer::at(deadline)).await {
                    Either::First(Ok(())) => {}
                    Either::First(Err(e)) => {
                        transport_error = Some(e);
                        self.d.transport_closed();
                    }
                    Either::Second(()) => return Err(Error::Deadline),
                }
            }
            if self.d.closed().is_some()
                || self.d.session.state() == cohesix_core::session::State::Closed
            {
                // Let the next turn deliver the drain events.
                continue;
            }
            // Wait for bytes, the core's next timer, or the caller's deadline.
            let wake = match self.d.session.poll_timeout() {
                Some(t) => deadline.min(Instant::from_millis(t)),
                None => deadline,
            };
            let window = self.d.rx_window();
            if window.is_empty() {
                // The core holds back input only while events are pending; they were drained.
                continue;
            }
            match select(self.io.read(window), Timer::at(wake)).await {
                Either::First(Ok(0)) => {
                    log_debug!("transport EOF");
                    self.d.transport_closed();
                }
                Either::First(Ok(n)) => self.d.commit_rx(n),
                Either::First(Err(e)) => {
                    log_warn!("transport read failed; closing");
                    transport_error = Some(e);
                    self.d.transport_closed();
                }
                Either::Second(()) => {
                    if Instant::now() >= deadline {
                        return Err(Error::Deadline);
                    }
                    self.d.session.handle_timeout(now_ms());
                }
            }
        }
    }

    /// Drives AUTH and ATTACH to completion; returns the role the queen confirmed.
    ///
    /// Cancel-safe (see the [module docs](self)).
    pub async fn connect(&mut self, deadline: Instant) -> Result<Role, Error<T::Error>> {
        self.drive(deadline, until_attached).await?
    }

    /// Sends `request` and drives the session until it completes; data lines go to
    /// `on_line`.
    ///
    /// Cancel-safe (see the [module docs](self)); after a cancellation the request may still
    /// complete on the wire, and its completion then reaches the next call as an event.
    pub async fn request(
        &mut self,
        request: &Request<'_>,
        deadline: Instant,
        mut on_line: impl FnMut(&str),
    ) -> Result<Reply, Error<T::Error>> {
        let id = self.d.session.send(request)?;
        self.wait_for(id, deadline, &mut on_line).await
    }

    /// Drives until request `id` completes. Cancel-safe (see the [module docs](self)).
    async fn wait_for(
        &mut self,
        id: RequestId,
        deadline: Instant,
        on_line: &mut impl FnMut(&str),
    ) -> Result<Reply, Error<T::Error>> {
        self.drive(deadline, until_completed(id, on_line)).await
    }

    /// `PING` round trip.
    ///
    /// Cancel-safe (see the [module docs](self)).
    pub async fn ping(&mut self, deadline: Instant) -> Result<Reply, Error<T::Error>> {
        self.request(&Request::Ping, deadline, |_| {}).await
    }
}
