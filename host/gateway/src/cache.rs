//! The `/proc` read cache (host-surface §5.9): `CAT` replies of paths under `/proc/` are
//! kept 250 ms, at most 64 entries, oldest evicted first, and the whole cache is dropped by
//! any write (any `ECHO` that may have been applied, committed or of unknown outcome).
//!
//! A read that began before a write and ends after it is not stored (a generation counter
//! tells), so a cached reply is never older than the last write.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Default entry lifetime.
pub const DEFAULT_TTL: Duration = Duration::from_millis(250);
/// Default entry count.
pub const DEFAULT_ENTRIES: usize = 64;

/// Whether `path` is cached at all.
#[must_use]
pub fn cacheable(path: &str) -> bool {
    path.starts_with("/proc/")
}

/// Counters of the cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Reads answered from the cache.
    pub hits: u64,
    /// Cacheable reads that went to the console.
    pub misses: u64,
    /// Entries dropped to make room.
    pub evictions: u64,
}

struct Entry {
    path: String,
    at: Instant,
    lines: Arc<Vec<String>>,
}

struct State {
    entries: VecDeque<Entry>,
    generation: u64,
    stats: CacheStats,
}

/// The cache. Cheap operations under one short lock.
pub struct ProcCache {
    ttl: Duration,
    cap: usize,
    state: Mutex<State>,
}

impl std::fmt::Debug for ProcCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcCache")
            .field("ttl", &self.ttl)
            .field("cap", &self.cap)
            .finish_non_exhaustive()
    }
}

impl ProcCache {
    /// A cache keeping entries `ttl`, at most `cap` of them (`cap` 0 disables it).
    #[must_use]
    pub fn new(ttl: Duration, cap: usize) -> Self {
        Self {
            ttl,
            cap,
            state: Mutex::new(State {
                entries: VecDeque::new(),
                generation: 0,
                stats: CacheStats::default(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached lines of `path`, if fresh; otherwise the generation to pass to
    /// [`ProcCache::insert`] after reading (counts a hit or a miss).
    pub fn get(&self, path: &str) -> Result<Arc<Vec<String>>, u64> {
        let mut s = self.lock();
        let now = Instant::now();
        let ttl = self.ttl;
        s.entries.retain(|e| now.duration_since(e.at) < ttl);
        if let Some(e) = s.entries.iter().find(|e| e.path == path) {
            let lines = e.lines.clone();
            s.stats.hits += 1;
            return Ok(lines);
        }
        s.stats.misses += 1;
        Err(s.generation)
    }

    /// Stores a reply read since `generation` (nothing if a write happened meanwhile).
    pub fn insert(&self, path: &str, lines: Arc<Vec<String>>, generation: u64) {
        if self.cap == 0 {
            return;
        }
        let mut s = self.lock();
        if s.generation != generation {
            return;
        }
        s.entries.retain(|e| e.path != path);
        while s.entries.len() >= self.cap {
            s.entries.pop_front();
            s.stats.evictions += 1;
        }
        s.entries.push_back(Entry {
            path: path.to_owned(),
            at: Instant::now(),
            lines,
        });
    }

    /// Drops every entry (after a write).
    pub fn invalidate(&self) {
        let mut s = self.lock();
        s.generation += 1;
        s.entries.clear();
    }

    /// The counters now.
    #[must_use]
    pub fn stats(&self) -> CacheStats {
        self.lock().stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Arc<Vec<String>> {
        Arc::new(vec![s.to_owned()])
    }

    #[tokio::test(start_paused = true)]
    async fn entries_live_250_ms() {
        let c = ProcCache::new(DEFAULT_TTL, DEFAULT_ENTRIES);
        let g = c.get("/proc/a").unwrap_err();
        c.insert("/proc/a", lines("1"), g);
        assert_eq!(c.get("/proc/a").unwrap()[0], "1");
        tokio::time::advance(Duration::from_millis(249)).await;
        assert!(c.get("/proc/a").is_ok());
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(c.get("/proc/a").is_err());
        assert_eq!(
            c.stats(),
            CacheStats {
                hits: 2,
                misses: 2,
                evictions: 0
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn fifo_eviction_at_the_cap() {
        let c = ProcCache::new(DEFAULT_TTL, 2);
        for p in ["/proc/a", "/proc/b", "/proc/c"] {
            let g = c.get(p).unwrap_err();
            c.insert(p, lines(p), g);
        }
        assert!(c.get("/proc/a").is_err());
        assert!(c.get("/proc/b").is_ok() && c.get("/proc/c").is_ok());
        assert_eq!(c.stats().evictions, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn writes_invalidate_and_stale_reads_are_not_stored() {
        let c = ProcCache::new(DEFAULT_TTL, DEFAULT_ENTRIES);
        let g = c.get("/proc/a").unwrap_err();
        c.insert("/proc/a", lines("old"), g);
        c.invalidate();
        assert!(c.get("/proc/a").is_err());
        // A read that started before a write must not be stored after it.
        let g = c.get("/proc/a").unwrap_err();
        c.invalidate();
        c.insert("/proc/a", lines("stale"), g);
        assert!(c.get("/proc/a").is_err());
        assert!(cacheable("/proc/lease/active") && !cacheable("/queen/ctl"));
    }
}
