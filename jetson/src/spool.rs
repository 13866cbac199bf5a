//! Bounded spool of breadcrumbs that were produced but not yet acknowledged by the queen.
//!
//! Records are stored postcard-encoded in fixed-size slots (so the spool is a flat, plain-bytes
//! structure that firmware could copy to retained RAM or flash as is). When the spool is full
//! the **oldest** record is dropped and [`Spool::dropped`] counts it: the newest state of a job
//! is worth more than its history.
//!
//! Delivery is at-least-once: a record leaves the spool only after its `OK ECHO` arrived
//! ([`Spool::pop_front`]). A record whose ECHO was on the wire when the connection died is sent
//! again after the reconnect.

use heapless::{Deque, Vec};

use crate::schema::{Breadcrumb, MAX_COMMAND_LEN};

/// Default number of spooled breadcrumbs: as many as the queen buffers unacknowledged
/// commands ([`cohesix_generated::console::MAX_IN_FLIGHT`]).
pub const DEFAULT_CAPACITY: usize = cohesix_generated::console::MAX_IN_FLIGHT;

/// Bytes of one postcard record: event (1) + command length varint (1) + command + status (1)
/// + option tag (1) + zig-zag i32 varint (≤ 5).
pub const SLOT_BYTES: usize = MAX_COMMAND_LEN + 9;

type Slot = Vec<u8, SLOT_BYTES>;

/// What [`Spool::push`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Pushed {
    /// Stored with room to spare.
    Stored,
    /// Stored after dropping the oldest record.
    DroppedOldest,
}

/// A record could not be encoded or decoded (a bug or a corrupted slot, never a full spool).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CodecError;

/// Bounded FIFO of postcard-encoded breadcrumbs, `N` records deep.
#[derive(Debug)]
pub struct Spool<const N: usize = DEFAULT_CAPACITY> {
    slots: Deque<Slot, N>,
    dropped: u32,
}

impl<const N: usize> Default for Spool<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Spool<N> {
    /// An empty spool (`const`, so it can live in a `static`).
    pub const fn new() -> Self {
        Self {
            slots: Deque::new(),
            dropped: 0,
        }
    }

    /// Appends `crumb`, dropping (and counting) the oldest record when full.
    pub fn push(&mut self, crumb: &Breadcrumb) -> Result<Pushed, CodecError> {
        let mut buf = [0u8; SLOT_BYTES];
        let used = postcard::to_slice(crumb, &mut buf).map_err(|_| CodecError)?;
        let slot = Slot::from_slice(used).map_err(|_| CodecError)?;
        let mut outcome = Pushed::Stored;
        if self.slots.is_full() {
            self.slots.pop_front();
            self.dropped = self.dropped.saturating_add(1);
            outcome = Pushed::DroppedOldest;
        }
        self.slots.push_back(slot).map_err(|_| CodecError)?;
        Ok(outcome)
    }

    /// Decodes the oldest record without removing it.
    pub fn front(&self) -> Option<Result<Breadcrumb, CodecError>> {
        self.slots
            .front()
            .map(|slot| postcard::from_bytes(slot).map_err(|_| CodecError))
    }

    /// Removes the oldest record (call after the queen acknowledged it).
    pub fn pop_front(&mut self) -> bool {
        self.slots.pop_front().is_some()
    }

    /// Records waiting.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// No records waiting.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Records dropped because the spool was full (saturating).
    pub fn dropped(&self) -> u32 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Command, Event, Status};

    fn crumb(code: i32) -> Breadcrumb {
        let mut c = Command::new();
        c.push_str("run").ok();
        Breadcrumb::exit(&c, code)
    }

    #[test]
    fn fifo_order_and_ack_removal() {
        let mut s: Spool<4> = Spool::new();
        for code in 0..3 {
            assert_eq!(s.push(&crumb(code)), Ok(Pushed::Stored));
        }
        for code in 0..3 {
            assert_eq!(s.front(), Some(Ok(crumb(code))));
            // Not acknowledged yet: still there.
            assert_eq!(s.front(), Some(Ok(crumb(code))));
            assert!(s.pop_front());
        }
        assert!(s.is_empty());
        assert!(!s.pop_front());
        assert_eq!(s.dropped(), 0);
    }

    #[test]
    fn overflow_drops_oldest_and_counts() {
        let mut s: Spool<2> = Spool::new();
        s.push(&crumb(1)).unwrap();
        s.push(&crumb(2)).unwrap();
        assert_eq!(s.push(&crumb(3)), Ok(Pushed::DroppedOldest));
        assert_eq!(s.push(&crumb(4)), Ok(Pushed::DroppedOldest));
        assert_eq!(s.dropped(), 2);
        assert_eq!(s.len(), 2);
        assert_eq!(s.front(), Some(Ok(crumb(3))));
    }

    #[test]
    fn worst_case_record_fits_a_slot() {
        let mut c = Command::new();
        while c.push('z').is_ok() {}
        let worst = Breadcrumb {
            event: Event::Start,
            command: c,
            status: Status::Failed,
            exit_code: Some(i32::MIN),
        };
        let mut s: Spool<1> = Spool::new();
        assert_eq!(s.push(&worst), Ok(Pushed::Stored));
        assert_eq!(s.front(), Some(Ok(worst)));
    }

    #[test]
    fn corrupted_slot_is_a_typed_error() {
        let mut s: Spool<1> = Spool::new();
        s.slots
            .push_back(Slot::from_slice(&[9, 9]).unwrap())
            .unwrap();
        assert_eq!(s.front(), Some(Err(CodecError)));
    }
}
