//! In-memory transports wired to the core's queen model (`cohesix_core::session::testkit`).

#![allow(dead_code)]

use std::cell::RefCell;
use std::convert::Infallible;
use std::rc::Rc;
use std::task::Poll;

use cohesix_core::session::testkit::Server;
use embassy_time::Instant;

/// Server shared between the test body and the transport.
pub type Shared = Rc<RefCell<Server>>;

fn now() -> u64 {
    Instant::now().as_millis()
}

/// A transport that hands at most `chunk` bytes per read (1 = byte at a time).
pub struct MemIo {
    pub server: Shared,
    pub chunk: usize,
    pub reads: u32,
    /// Answer every other read poll with `Pending` (gives `select` a chance to cancel).
    pub yielding: bool,
    parity: bool,
}

impl MemIo {
    pub fn new(server: Shared, chunk: usize) -> Self {
        Self {
            server,
            chunk: chunk.max(1),
            reads: 0,
            yielding: false,
            parity: false,
        }
    }

    fn read_now(&mut self, buf: &mut [u8]) -> Option<usize> {
        let mut s = self.server.borrow_mut();
        let take = buf.len().min(self.chunk);
        let n = s.poll_output(&mut buf[..take]);
        if n > 0 {
            self.reads += 1;
            return Some(n);
        }
        if s.is_closed() {
            return Some(0);
        }
        None
    }

    fn write_now(&mut self, buf: &[u8]) -> usize {
        // A closed model discards input, like a peer whose FIN is still in flight.
        self.server.borrow_mut().handle_input(now(), buf);
        buf.len()
    }
}

impl embedded_io_async::ErrorType for MemIo {
    type Error = Infallible;
}

impl embedded_io_async::Read for MemIo {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        std::future::poll_fn(|cx| {
            self.parity = !self.parity;
            if self.yielding && self.parity {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            match self.read_now(buf) {
                Some(n) => Poll::Ready(Ok(n)),
                None => {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            }
        })
        .await
    }
}

impl embedded_io_async::Write for MemIo {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        Ok(self.write_now(buf))
    }
    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// The blocking flavour of the same transport.
pub struct MemIoBlocking(pub MemIo);

impl embedded_io::ErrorType for MemIoBlocking {
    type Error = Infallible;
}

impl embedded_io::Read for MemIoBlocking {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        Ok(self.0.read_now(buf).unwrap_or(0))
    }
}

impl embedded_io::ReadReady for MemIoBlocking {
    fn read_ready(&mut self) -> Result<bool, Infallible> {
        let s = self.0.server.borrow();
        Ok(s.pending_output() > 0 || s.is_closed())
    }
}

impl embedded_io::Write for MemIoBlocking {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        Ok(self.0.write_now(buf))
    }
    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

impl embedded_io::WriteReady for MemIoBlocking {
    fn write_ready(&mut self) -> Result<bool, Infallible> {
        Ok(true)
    }
}
