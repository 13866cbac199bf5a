//! Fair admission to the console: one bounded queue per principal, round-robin dispatch, a
//! bounded number of dispatched requests.
//!
//! ```text
//!  client A ─┐ queue A (≤ per_principal) ─┐
//!  client B ─┼ queue B                    ├─ round robin ─► permit (≤ depth dispatched) ─► Console
//!  client C ─┘ queue C                    ┘    on each release, the next principal's head
//! ```
//!
//! * A request takes a [`Permit`] before it may touch the console and holds it until its
//!   reply is in. While fewer than `depth` permits are out and nobody waits, a permit is
//!   granted at once.
//! * Otherwise the request waits in its principal's queue. When a permit is released it goes
//!   to the head of the **next principal's** queue in turn, so a client with a hundred
//!   requests queued cannot starve one with a single request.
//! * A request is refused ([`Rejection`], answered 429 with `Retry-After`) when its
//!   principal's queue or the total is full, or when it waited its whole budget. A refused
//!   request was **never dispatched**: 429 means "not sent", always, so it is safe to retry,
//!   even for a write.
//! * Everything is bounded: `per_principal` waiters per principal, `total` waiters in all,
//!   `depth` permits.
//!
//! Cancel safety: dropping [`FairQueue::acquire`] removes its waiter (or, if a permit had just
//! been handed over, releases it to the next waiter); dropping a [`Permit`] releases it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

/// Who a request is queued for (the peer's connection, see the crate docs).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Principal(Arc<str>);

impl Principal {
    /// A principal named `name` (no secrets: names appear in logs).
    #[must_use]
    pub fn new(name: &str) -> Self {
        Self(Arc::from(name))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a request will do on the console (counted separately in the status page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// LS, CAT, TAIL.
    Read,
    /// ECHO.
    Write,
}

impl Kind {
    const fn index(self) -> usize {
        match self {
            Self::Read => 0,
            Self::Write => 1,
        }
    }
}

/// Sizes of the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueConfig {
    /// Requests dispatched to the console(s) at once.
    pub depth: usize,
    /// Waiters per principal.
    pub per_principal: usize,
    /// Waiters in all.
    pub total: usize,
}

impl QueueConfig {
    /// Defaults for `sessions` console sessions: 16 dispatched per session (8 on the wire and
    /// 8 ready behind them), 64 waiters per principal, 1024 in all.
    #[must_use]
    pub const fn for_sessions(sessions: usize) -> Self {
        let s = if sessions == 0 { 1 } else { sessions };
        Self {
            depth: 2 * cohesix_tokio::MAX_PIPELINE * s,
            per_principal: 64,
            total: 1024,
        }
    }
}

/// Why a request was refused (it was not dispatched).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The principal's queue, or the whole queue, is full.
    QueueFull {
        /// Suggested wait before retrying, in whole seconds (≥ 1).
        retry_after_s: u64,
    },
    /// The request waited its whole budget.
    WaitBudget {
        /// Suggested wait before retrying, in whole seconds (≥ 1).
        retry_after_s: u64,
    },
}

impl Rejection {
    /// The suggested `Retry-After`, in seconds.
    #[must_use]
    pub const fn retry_after_s(self) -> u64 {
        match self {
            Self::QueueFull { retry_after_s } | Self::WaitBudget { retry_after_s } => retry_after_s,
        }
    }
}

/// Counters of the queue (for `/v1/meta/status` and `/metrics`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Reads waiting now.
    pub read_waiters: usize,
    /// Writes waiting now.
    pub write_waiters: usize,
    /// Principals with waiters now.
    pub principals: usize,
    /// Permits out now.
    pub in_flight: usize,
    /// Reads dispatched so far.
    pub read_checkouts: u64,
    /// Writes dispatched so far.
    pub write_checkouts: u64,
    /// Requests that waited before being dispatched.
    pub waited: u64,
    /// Refusals because a queue was full.
    pub queue_full: u64,
    /// Refusals because the wait budget passed.
    pub budget_rejections: u64,
}

struct Waiter {
    id: u64,
    kind: Kind,
    tx: oneshot::Sender<Permit>,
}

struct State {
    free: usize,
    queues: HashMap<Principal, VecDeque<Waiter>>,
    ring: VecDeque<Principal>,
    waiting: [usize; 2],
    next_id: u64,
    /// Mean time a permit is held, in microseconds (exponentially weighted).
    service_us: u64,
    stats: QueueStats,
}

impl State {
    fn total_waiting(&self) -> usize {
        self.waiting[0] + self.waiting[1]
    }

    fn checkout(&mut self, kind: Kind) {
        self.stats.in_flight += 1;
        match kind {
            Kind::Read => self.stats.read_checkouts += 1,
            Kind::Write => self.stats.write_checkouts += 1,
        }
    }

    /// Seconds until the queue ahead has drained, rounded up, in 1..=30.
    fn retry_after(&self, depth: usize) -> u64 {
        let ahead = u64::try_from(self.total_waiting() + 1).unwrap_or(u64::MAX);
        let depth = u64::try_from(depth.max(1)).unwrap_or(1);
        let us = ahead.saturating_mul(self.service_us.max(1)) / depth;
        us.div_ceil(1_000_000).clamp(1, 30)
    }

    /// Removes waiter `id` of `p`; whether it was still queued.
    fn remove(&mut self, p: &Principal, id: u64) -> bool {
        let Some(q) = self.queues.get_mut(p) else {
            return false;
        };
        let Some(pos) = q.iter().position(|w| w.id == id) else {
            return false;
        };
        if let Some(w) = q.remove(pos) {
            self.waiting[w.kind.index()] -= 1;
        }
        if q.is_empty() {
            self.queues.remove(p);
            self.ring.retain(|r| r != p);
        }
        true
    }
}

struct Shared {
    config: QueueConfig,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands a released permit to the next principal's head waiter, or frees it.
    fn release(self: &Arc<Self>, held: Duration) {
        let mut s = self.lock();
        let sample = u64::try_from(held.as_micros()).unwrap_or(u64::MAX);
        s.service_us = if s.service_us == 0 {
            sample
        } else {
            (s.service_us.saturating_mul(7).saturating_add(sample)) / 8
        };
        s.stats.in_flight = s.stats.in_flight.saturating_sub(1);
        loop {
            let Some(p) = s.ring.pop_front() else {
                s.free += 1;
                return;
            };
            let Some(q) = s.queues.get_mut(&p) else {
                continue;
            };
            let waiter = q.pop_front();
            if q.is_empty() {
                s.queues.remove(&p);
            } else {
                s.ring.push_back(p);
            }
            let Some(w) = waiter else {
                continue;
            };
            s.waiting[w.kind.index()] -= 1;
            match w.tx.send(Permit::new(self.clone())) {
                Ok(()) => {
                    s.checkout(w.kind);
                    s.stats.waited += 1;
                    return;
                }
                // The waiter is gone: this permit was never out; try the next one.
                Err(mut unsent) => unsent.disarm(),
            }
        }
    }
}

/// The right to dispatch one request; released (to the next waiter in turn) on drop.
pub struct Permit {
    shared: Option<Arc<Shared>>,
    since: Instant,
}

impl std::fmt::Debug for Permit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

impl Permit {
    fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared: Some(shared),
            since: Instant::now(),
        }
    }

    fn disarm(&mut self) {
        self.shared = None;
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            shared.release(self.since.elapsed());
        }
    }
}

/// Removes a waiter whose `acquire` future was dropped.
struct WaitGuard<'a> {
    shared: &'a Shared,
    principal: &'a Principal,
    id: u64,
    armed: bool,
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.shared.lock().remove(self.principal, self.id);
        }
    }
}

/// The fair queue in front of the console. Cheap to clone.
#[derive(Clone)]
pub struct FairQueue {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FairQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FairQueue")
            .field("config", &self.shared.config)
            .field("stats", &self.stats())
            .finish()
    }
}

impl FairQueue {
    /// A queue with `config` (each size at least 1).
    #[must_use]
    pub fn new(config: QueueConfig) -> Self {
        let config = QueueConfig {
            depth: config.depth.max(1),
            per_principal: config.per_principal.max(1),
            total: config.total.max(1),
        };
        Self {
            shared: Arc::new(Shared {
                config,
                state: Mutex::new(State {
                    free: config.depth,
                    queues: HashMap::new(),
                    ring: VecDeque::new(),
                    waiting: [0, 0],
                    next_id: 0,
                    service_us: 0,
                    stats: QueueStats::default(),
                }),
            }),
        }
    }

    /// The sizes in force.
    #[must_use]
    pub fn config(&self) -> QueueConfig {
        self.shared.config
    }

    /// Waits (at most `budget`) for the right to dispatch one request for `principal`.
    ///
    /// Cancel-safe (see the [module docs](self)).
    ///
    /// # Errors
    /// [`Rejection`]: nothing was dispatched.
    pub async fn acquire(
        &self,
        principal: &Principal,
        kind: Kind,
        budget: Duration,
    ) -> Result<Permit, Rejection> {
        let depth = self.shared.config.depth;
        let (id, mut rx) = {
            let mut s = self.shared.lock();
            if s.free > 0 && s.total_waiting() == 0 {
                s.free -= 1;
                s.checkout(kind);
                return Ok(Permit::new(self.shared.clone()));
            }
            let own = s.queues.get(principal).map_or(0, VecDeque::len);
            if own >= self.shared.config.per_principal
                || s.total_waiting() >= self.shared.config.total
            {
                s.stats.queue_full += 1;
                return Err(Rejection::QueueFull {
                    retry_after_s: s.retry_after(depth),
                });
            }
            let id = s.next_id;
            s.next_id += 1;
            let (tx, rx) = oneshot::channel();
            let q = s.queues.entry(principal.clone()).or_default();
            q.push_back(Waiter { id, kind, tx });
            if q.len() == 1 {
                s.ring.push_back(principal.clone());
            }
            s.waiting[kind.index()] += 1;
            (id, rx)
        };
        let mut guard = WaitGuard {
            shared: &self.shared,
            principal,
            id,
            armed: true,
        };
        let waited = tokio::time::timeout(budget, &mut rx).await;
        guard.armed = false;
        drop(guard);
        match waited {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => {
                let mut s = self.shared.lock();
                if s.remove(principal, id) {
                    s.stats.budget_rejections += 1;
                    return Err(Rejection::WaitBudget {
                        retry_after_s: s.retry_after(depth),
                    });
                }
                drop(s);
                // Granted just as the budget ran out: it is ours.
                rx.try_recv()
                    .map_err(|_| Rejection::WaitBudget { retry_after_s: 1 })
            }
        }
    }

    /// The counters now.
    #[must_use]
    pub fn stats(&self) -> QueueStats {
        let s = self.shared.lock();
        QueueStats {
            read_waiters: s.waiting[0],
            write_waiters: s.waiting[1],
            principals: s.queues.len(),
            ..s.stats
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(depth: usize, per: usize, total: usize) -> FairQueue {
        FairQueue::new(QueueConfig {
            depth,
            per_principal: per,
            total,
        })
    }

    const LONG: Duration = Duration::from_secs(30);

    #[tokio::test]
    async fn grants_at_once_up_to_the_depth_then_queues() {
        let q = queue(2, 4, 8);
        let a = Principal::new("a");
        let p1 = q.acquire(&a, Kind::Read, LONG).await.unwrap();
        let _p2 = q.acquire(&a, Kind::Write, LONG).await.unwrap();
        assert_eq!(q.stats().in_flight, 2);
        let q2 = q.clone();
        let a2 = a.clone();
        let waiting = tokio::spawn(async move { q2.acquire(&a2, Kind::Read, LONG).await });
        tokio::task::yield_now().await;
        while q.stats().read_waiters == 0 {
            tokio::task::yield_now().await;
        }
        drop(p1);
        let p3 = waiting.await.unwrap().unwrap();
        let s = q.stats();
        assert_eq!((s.in_flight, s.waited, s.read_checkouts), (2, 1, 2));
        drop(p3);
        assert_eq!(q.stats().in_flight, 1);
    }

    #[tokio::test]
    async fn round_robin_across_principals() {
        let q = queue(1, 16, 64);
        let hold = q
            .acquire(&Principal::new("x"), Kind::Read, LONG)
            .await
            .unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        // A queues three, then B one, then C one.
        let mut tasks = Vec::new();
        for name in ["a", "a", "a", "b", "c"] {
            let qc = q.clone();
            let tx = tx.clone();
            let before = q.stats().read_waiters;
            tasks.push(tokio::spawn(async move {
                let p = Principal::new(name);
                let permit = qc.acquire(&p, Kind::Read, LONG).await.unwrap();
                tx.send(name).unwrap();
                tokio::time::sleep(Duration::from_millis(1)).await;
                drop(permit);
            }));
            while q.stats().read_waiters == before {
                tokio::task::yield_now().await;
            }
        }
        drop(hold);
        let mut order = Vec::new();
        for _ in 0..5 {
            order.push(rx.recv().await.unwrap());
        }
        assert_eq!(order, ["a", "b", "c", "a", "a"]);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(q.stats().in_flight, 0);
    }

    #[tokio::test]
    async fn full_queues_and_spent_budgets_are_refused_with_retry_after() {
        let q = queue(1, 1, 2);
        let a = Principal::new("a");
        let _hold = q.acquire(&a, Kind::Write, LONG).await.unwrap();
        let q1 = q.clone();
        let a1 = a.clone();
        let w = tokio::spawn(async move { q1.acquire(&a1, Kind::Write, LONG).await.map(drop) });
        while q.stats().write_waiters == 0 {
            tokio::task::yield_now().await;
        }
        // A's queue holds one: full for A.
        let r = q.acquire(&a, Kind::Write, LONG).await.unwrap_err();
        assert!(matches!(r, Rejection::QueueFull { retry_after_s } if retry_after_s >= 1));
        // B may still queue; its budget runs out.
        let r = q
            .acquire(&Principal::new("b"), Kind::Read, Duration::from_millis(20))
            .await
            .unwrap_err();
        assert!(matches!(r, Rejection::WaitBudget { .. }));
        let s = q.stats();
        assert_eq!(
            (s.queue_full, s.budget_rejections, s.read_waiters),
            (1, 1, 0)
        );
        w.abort();
    }

    #[tokio::test]
    async fn a_dropped_waiter_leaves_no_trace_and_loses_no_permit() {
        let q = queue(1, 4, 4);
        let a = Principal::new("a");
        let hold = q.acquire(&a, Kind::Read, LONG).await.unwrap();
        let q1 = q.clone();
        let a1 = a.clone();
        let w = tokio::spawn(async move { q1.acquire(&a1, Kind::Read, LONG).await.map(drop) });
        while q.stats().read_waiters == 0 {
            tokio::task::yield_now().await;
        }
        w.abort();
        let _ = w.await;
        assert_eq!(q.stats().read_waiters, 0);
        drop(hold);
        // The permit came back: the next acquire is immediate.
        let p = tokio::time::timeout(
            Duration::from_secs(1),
            q.acquire(&a, Kind::Read, Duration::ZERO),
        )
        .await
        .unwrap();
        assert!(p.is_ok());
    }
}
