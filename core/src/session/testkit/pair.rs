//! [`Pair`]: a [`Session`] wired to a [`Server`] in memory, with a manual clock.

use crate::session::{Event, Session, SessionError, TRANSMIT_BUF_LEN};

use super::server::Server;

/// Largest chunk the pair hands to the client at once.
const CHUNK_CAP: usize = 512;
/// Steps [`Pair::drive`] takes at most before giving up (a livelock guard).
pub const DRIVE_LIMIT: usize = 10_000;

/// A [`Session`] wired to a [`Server`] in memory, with a manual clock.
#[derive(Debug)]
pub struct Pair {
    /// The client under test.
    pub client: Session,
    /// The queen model.
    pub server: Server,
    /// Current time (ms) for both sides.
    pub now: u64,
    /// Bytes per `handle_input` call on the client side (1 = byte at a time).
    pub chunk: usize,
    client_closed: bool,
    server_seen_closed: bool,
}

impl Pair {
    /// A pair at time 0 that hands server output over in chunks of up to 512 bytes.
    pub fn new(client: Session, server: Server) -> Self {
        Self {
            client,
            server,
            now: 0,
            chunk: CHUNK_CAP,
            client_closed: false,
            server_seen_closed: false,
        }
    }

    /// Drains client events into `on_event`, noting `Closed`.
    fn drain(&mut self, on_event: &mut impl FnMut(Event<'_>)) {
        while let Some(ev) = self.client.poll_event() {
            if matches!(ev, Event::Closed { .. }) {
                self.client_closed = true;
                self.server.disconnect();
            }
            on_event(ev);
        }
    }

    /// One round: client → server, server → client, close propagation. Returns whether
    /// anything moved.
    pub fn step(&mut self, on_event: &mut impl FnMut(Event<'_>)) -> bool {
        let mut progress = false;
        self.drain(on_event);
        let mut tx = [0u8; TRANSMIT_BUF_LEN];
        while let Some(n) = self.client.poll_transmit(self.now, &mut tx) {
            progress = true;
            if let Some(frame) = tx.get(..n) {
                self.server.handle_input(self.now, frame);
            }
        }
        let chunk = self.chunk.clamp(1, CHUNK_CAP);
        let mut rx = [0u8; CHUNK_CAP];
        while let Some(dst) = rx.get_mut(..chunk) {
            let n = self.server.poll_output(dst);
            if n == 0 {
                break;
            }
            progress = true;
            let mut off = 0usize;
            while let Some(rest) = rx.get(off..n).filter(|r| !r.is_empty()) {
                let used = self.client.handle_input(self.now, rest);
                off = off.saturating_add(used);
                self.drain(on_event);
                if used == 0 && !self.client.has_pending_events() {
                    break;
                }
            }
        }
        if self.server.is_closed()
            && self.server.pending_output() == 0
            && !self.client_closed
            && !self.server_seen_closed
        {
            self.server_seen_closed = true;
            self.client.handle_close();
            progress = true;
        }
        self.drain(on_event);
        progress
    }

    /// Steps until nothing moves (at most [`DRIVE_LIMIT`] steps). Returns the steps taken.
    pub fn drive(&mut self, on_event: &mut impl FnMut(Event<'_>)) -> usize {
        let mut steps = 0usize;
        while steps < DRIVE_LIMIT && self.step(on_event) {
            steps = steps.saturating_add(1);
        }
        steps
    }

    /// Moves the clock forward by `ms`, fires the client's timers and drives.
    pub fn advance(&mut self, ms: u64, on_event: &mut impl FnMut(Event<'_>)) {
        self.now = self.now.saturating_add(ms);
        self.client.handle_timeout(self.now);
        self.drive(on_event);
    }

    /// Jumps to the client's next deadline (if any), fires it and drives. Returns the new time.
    pub fn advance_to_timeout(&mut self, on_event: &mut impl FnMut(Event<'_>)) -> Option<u64> {
        let t = self.client.poll_timeout()?;
        self.now = self.now.max(t);
        self.client.handle_timeout(self.now);
        self.drive(on_event);
        Some(self.now)
    }

    /// A new connection for both sides after the client reported `Closed`.
    pub fn reconnect(&mut self) -> Result<(), SessionError> {
        self.client.reconnect()?;
        self.server.reconnect();
        self.client_closed = false;
        self.server_seen_closed = false;
        Ok(())
    }
}
