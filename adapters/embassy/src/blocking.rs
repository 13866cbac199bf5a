//! Blocking client over `embedded-io`, for bare-metal superloops, with an `nb`-style
//! non-blocking [`BlockingClient::poll`] for cooperative schedulers.
//!
//! The transport must also implement `ReadReady` + `WriteReady`, so that `poll` never blocks:
//! it reads only when bytes are ready and writes only when the transport can take them. Time
//! comes from a caller-supplied [`Clock`] (a millisecond counter: SysTick, a RTC, ...).

use core::ops::ControlFlow;

use cohesix_core::request::Request;
use cohesix_core::role::Role;
use cohesix_core::session::{
    Event, RequestId, Session, SessionError, MAX_PENDING_EVENTS, MAX_QUEUED, MAX_WIRE_FRAMES,
};
use embedded_io::{Read, ReadReady, Write, WriteReady};

use crate::driver::{until_attached, until_completed, Buffers, Driver, DEFAULT_RX_LEN};
use crate::error::Error;
use crate::reply::Reply;

/// A monotonic millisecond clock.
pub trait Clock {
    /// Milliseconds since any fixed origin; never goes backwards.
    fn now_ms(&mut self) -> u64;
}

impl<F: FnMut() -> u64> Clock for F {
    fn now_ms(&mut self) -> u64 {
        self()
    }
}

/// A blocking / polled console client.
///
/// `RX` is the receive window ([`Buffers`]); `Q`, `W`, `E` are the capacities of the core
/// session it drives (`Session<Q, W, E>`, defaults = the core's host defaults), inferred from
/// the session given to [`new`](Self::new); see [`MinimalBlockingClient`].
pub struct BlockingClient<
    'b,
    T,
    C,
    const RX: usize = DEFAULT_RX_LEN,
    const Q: usize = MAX_QUEUED,
    const W: usize = MAX_WIRE_FRAMES,
    const E: usize = MAX_PENDING_EVENTS,
> {
    io: T,
    clock: C,
    d: Driver<'b, RX, Q, W, E>,
    write_zero: bool,
}

/// A [`BlockingClient`] driving a [`MinimalSession`](cohesix_core::session::MinimalSession)
/// (`Config::max_in_flight == 1`).
pub type MinimalBlockingClient<'b, T, C, const RX: usize = DEFAULT_RX_LEN> =
    BlockingClient<'b, T, C, RX, 1, 2, 6>;

impl<T, C, const RX: usize, const Q: usize, const W: usize, const E: usize> core::fmt::Debug
    for BlockingClient<'_, T, C, RX, Q, W, E>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.d.fmt_client(f, "BlockingClient")
    }
}

impl<'b, T, C, const RX: usize, const Q: usize, const W: usize, const E: usize>
    BlockingClient<'b, T, C, RX, Q, W, E>
where
    T: Read + Write + ReadReady + WriteReady,
    C: Clock,
{
    /// Wraps a connected transport.
    pub fn new(io: T, clock: C, session: Session<Q, W, E>, buffers: &'b mut Buffers<RX>) -> Self {
        Self {
            io,
            clock,
            d: Driver::new(session, buffers),
            write_zero: false,
        }
    }

    /// The core session (read-only view).
    pub fn session(&self) -> &Session<Q, W, E> {
        &self.d.session
    }

    /// The transport.
    pub fn io_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Prepares the session for a new connection (see the async client's `restart`).
    pub fn restart(&mut self) -> Result<(), SessionError> {
        self.write_zero = false;
        self.d.restart()
    }

    /// Queues a request (written by the next [`poll`](Self::poll)).
    pub fn send(&mut self, request: &Request<'_>) -> Result<RequestId, SessionError> {
        self.d.session.send(request)
    }

    /// One non-blocking turn: hands events to `f`, writes what the transport can take, reads
    /// what it has, fires the core's timers.
    ///
    /// `Ok(r)`: `f` broke with `r`. `Err(nb::Error::WouldBlock)`: nothing more to do now, call
    /// again later. `Err(nb::Error::Other(_))`: the transport failed (`Transport`, reported
    /// once; the core saw a close) or the session ended (`Closed`, after its events).
    pub fn poll<R>(
        &mut self,
        f: &mut impl FnMut(Event<'_>) -> ControlFlow<R>,
    ) -> nb::Result<R, Error<T::Error>> {
        let now = self.clock.now_ms();
        if let ControlFlow::Break(r) = self.d.step(now, f) {
            return Ok(r);
        }
        if let Some(reason) = self.d.closed() {
            return Err(nb::Error::Other(if self.write_zero {
                Error::WriteZero
            } else {
                Error::Closed(reason)
            }));
        }
        // Write while the transport takes bytes.
        loop {
            let ready = match self.io.write_ready() {
                Ok(r) => r,
                Err(e) => return Err(nb::Error::Other(self.fail(e))),
            };
            if !ready {
                break;
            }
            let pending = self.d.pending_tx(now);
            if pending.is_empty() {
                break;
            }
            match self.io.write(pending) {
                Ok(0) => {
                    self.write_zero = true;
                    self.d.transport_closed();
                    break;
                }
                Ok(n) => self.d.advance_tx(n),
                Err(e) => return Err(nb::Error::Other(self.fail(e))),
            }
        }
        // Read what is there.
        match self.io.read_ready() {
            Ok(true) => {
                let window = self.d.rx_window();
                if !window.is_empty() {
                    match self.io.read(window) {
                        Ok(0) => self.d.transport_closed(),
                        Ok(n) => self.d.commit_rx(n),
                        Err(e) => return Err(nb::Error::Other(self.fail(e))),
                    }
                }
            }
            Ok(false) => {
                if self.d.session.poll_timeout().is_some_and(|t| now >= t) {
                    self.d.session.handle_timeout(now);
                }
            }
            Err(e) => return Err(nb::Error::Other(self.fail(e))),
        }
        if let ControlFlow::Break(r) = self.d.step(self.clock.now_ms(), f) {
            return Ok(r);
        }
        Err(nb::Error::WouldBlock)
    }

    fn fail(&mut self, e: T::Error) -> Error<T::Error> {
        self.d.transport_closed();
        Error::Transport(e)
    }

    /// Queues `QUIT` after the queued requests (the close arrives as `Event::Closed`).
    pub fn queue_quit(&mut self) -> Result<(), SessionError> {
        self.d.session.quit()
    }

    /// Busy-polls until `f` breaks or the clock reaches `deadline_ms`.
    pub fn run_until<R>(
        &mut self,
        deadline_ms: u64,
        mut f: impl FnMut(Event<'_>) -> ControlFlow<R>,
    ) -> Result<R, Error<T::Error>> {
        loop {
            match self.poll(&mut f) {
                Ok(r) => return Ok(r),
                Err(nb::Error::Other(e)) => return Err(e),
                Err(nb::Error::WouldBlock) => {
                    if self.clock.now_ms() >= deadline_ms {
                        return Err(Error::Deadline);
                    }
                }
            }
        }
    }

    /// Blocks until attached (or `deadline_ms`).
    pub fn connect(&mut self, deadline_ms: u64) -> Result<Role, Error<T::Error>> {
        self.run_until(deadline_ms, until_attached)?
    }

    /// Sends `request` and blocks until it completes (or `deadline_ms`).
    pub fn request(
        &mut self,
        request: &Request<'_>,
        deadline_ms: u64,
        mut on_line: impl FnMut(&str),
    ) -> Result<Reply, Error<T::Error>> {
        let id = self.d.session.send(request)?;
        self.run_until(deadline_ms, until_completed(id, &mut on_line))
    }
}
