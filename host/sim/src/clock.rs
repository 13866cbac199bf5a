//! Server clock: the simulator reads time only through [`Clock`], so tests can inject time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// A monotonic millisecond clock, like the queen's boot-relative `now_ms`.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since the clock's epoch (simulator start for [`WallClock`]).
    fn now_ms(&self) -> u64;
}

/// Wall clock used by the binary: milliseconds since the clock was created.
#[derive(Debug, Clone)]
pub struct WallClock {
    start: Instant,
}

impl WallClock {
    /// A clock whose zero is now.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
        }
    }
}

impl Default for WallClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for WallClock {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// A clock that only moves when told to; clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    now: Arc<AtomicU64>,
}

impl ManualClock {
    /// A manual clock at `start_ms`.
    pub fn new(start_ms: u64) -> Self {
        Self {
            now: Arc::new(AtomicU64::new(start_ms)),
        }
    }

    /// Sets the current time.
    pub fn set(&self, now_ms: u64) {
        self.now.store(now_ms, Ordering::SeqCst);
    }

    /// Moves the clock forward by `delta_ms` (saturating).
    pub fn advance(&self, delta_ms: u64) {
        let cur = self.now.load(Ordering::SeqCst);
        self.now
            .store(cur.saturating_add(delta_ms), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_is_shared_between_clones() {
        let a = ManualClock::new(5);
        let b = a.clone();
        b.advance(10);
        assert_eq!(a.now_ms(), 15);
        a.set(3);
        assert_eq!(b.now_ms(), 3);
    }
}
