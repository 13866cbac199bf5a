//! Configuration of a console: timeouts, retry/back-off, heartbeat, pipelining and budgets.
//!
//! Every default comes from the manifest-derived constants in [`cohesix_generated`]
//! (`[client_policies.retry]`, `[client_policies.heartbeat]`, the console bounds); nothing
//! here is a magic number except the reply budget and queue capacity, which are documented
//! on their builders. The types have no public fields: build them with the `with_*`
//! methods (usable in `const` context) and read them with the accessors.
//!
//! | setting | default | meaning |
//! |---|---|---|
//! | `op_timeout` | 5000 ms (`retry.timeout_ms`) | connect, AUTH, ATTACH, and the wait for each reply line |
//! | `request_timeout` | `op_timeout × (max_retries + 1)` = 20 s | whole request, retries and reconnects included |
//! | `retry` | 3 retries, 200 ms doubling to 2000 ms | reconnects and idempotent-read retries |
//! | `heartbeat` | 15000 ms | idle `PING` cadence (the real queen drops silent sessions after ~8 min) |
//! | `max_in_flight` | 8 | frames unanswered at once (the queen's inbound queue depth) |
//! | `reply_budget` | 4 MiB | bytes one collected reply may hold (text + 4 per line) |
//! | `queue_capacity` | 256 | requests waiting for the wire before callers wait |

use core::time::Duration;

use cohesix_generated::{console, heartbeat, retry};

/// Default byte budget of one collected reply (text bytes plus a 4-byte offset per line:
/// what the reply holds in memory).
pub const DEFAULT_REPLY_BUDGET: usize = 4 * 1024 * 1024;

/// Default number of requests that may wait for the wire inside a console before
/// [`Console`](crate::Console) callers wait for room.
pub const DEFAULT_QUEUE_CAPACITY: usize = 256;

/// Retry and reconnect policy (manifest `[client_policies.retry]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    backoff: Duration,
    ceiling: Duration,
}

impl RetryPolicy {
    /// The manifest policy: 3 retries, 200 ms doubling to a 2000 ms ceiling.
    pub const DEFAULT: Self = Self {
        max_retries: retry::MAX_ATTEMPTS,
        backoff: Duration::from_millis(retry::BACKOFF_MS),
        ceiling: Duration::from_millis(retry::CEILING_MS),
    };

    /// No retries at all (useful for tests and one-shot tools).
    pub const NONE: Self = Self::DEFAULT.with_max_retries(0);

    /// The manifest back-off with `max_retries` retries.
    #[must_use]
    pub const fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Another first back-off delay.
    #[must_use]
    pub const fn with_backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// Another back-off ceiling.
    #[must_use]
    pub const fn with_ceiling(mut self, ceiling: Duration) -> Self {
        self.ceiling = ceiling;
        self
    }

    /// Retries after the first failure (so `max_retries + 1` tries in all).
    #[must_use]
    pub const fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// First back-off delay.
    #[must_use]
    pub const fn backoff(&self) -> Duration {
        self.backoff
    }

    /// Back-off ceiling.
    #[must_use]
    pub const fn ceiling(&self) -> Duration {
        self.ceiling
    }

    /// The delay before retry number `attempt` (0-based): `backoff * 2^attempt`, capped at
    /// the ceiling (never below `backoff`). Never panics or overflows.
    #[must_use]
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.backoff
            .checked_mul(factor)
            .unwrap_or(self.ceiling)
            .min(self.ceiling.max(self.backoff))
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Configuration of a [`Console`](crate::Console) (and of the [`Client`](crate::Client)
/// facade over it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    op_timeout: Duration,
    request_timeout: Option<Duration>,
    retry: RetryPolicy,
    heartbeat: Option<Duration>,
    nodelay: bool,
    max_in_flight: usize,
    reply_budget: usize,
    queue_capacity: usize,
}

impl ClientConfig {
    /// The manifest defaults (see the module table).
    pub const DEFAULT: Self = Self {
        op_timeout: Duration::from_millis(retry::TIMEOUT_MS),
        request_timeout: None,
        retry: RetryPolicy::DEFAULT,
        heartbeat: Some(Duration::from_millis(heartbeat::INTERVAL_MS)),
        nodelay: true,
        max_in_flight: console::MAX_IN_FLIGHT,
        reply_budget: DEFAULT_REPLY_BUDGET,
        queue_capacity: DEFAULT_QUEUE_CAPACITY,
    };

    /// `const` constructor of the manifest defaults (same as [`ClientConfig::DEFAULT`]).
    #[must_use]
    pub const fn new() -> Self {
        Self::DEFAULT
    }

    /// Another per-operation timeout (connect, AUTH, ATTACH, each reply line).
    #[must_use]
    pub const fn with_op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = timeout;
        self
    }

    /// Another whole-request deadline: a request that has not completed this long after it
    /// was submitted (reconnects and retries included) completes as timed out, and if it
    /// was on the wire the connection is reset (its reply can no longer be attributed).
    #[must_use]
    pub const fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Another retry policy.
    #[must_use]
    pub const fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Another heartbeat cadence (`None` disables it).
    #[must_use]
    pub const fn with_heartbeat(mut self, heartbeat: Option<Duration>) -> Self {
        self.heartbeat = heartbeat;
        self
    }

    /// `TCP_NODELAY` on TCP sockets (default on: one frame per request must not wait).
    #[must_use]
    pub const fn with_nodelay(mut self, nodelay: bool) -> Self {
        self.nodelay = nodelay;
        self
    }

    /// Most frames unanswered at once, clamped to `1..=8` (the queen's inbound queue).
    #[must_use]
    pub const fn with_max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = if n == 0 {
            1
        } else if n > console::MAX_IN_FLIGHT {
            console::MAX_IN_FLIGHT
        } else {
            n
        };
        self
    }

    /// Byte budget of one collected reply (text bytes plus 4 per line, at least 1). A
    /// reply past it fails with [`ClientError::ResourceExhausted`](crate::ClientError)
    /// while the rest of the stream is read and discarded, so the connection stays in step.
    /// Callers that need more read with [`Console::stream`](crate::Console::stream).
    #[must_use]
    pub const fn with_reply_budget(mut self, bytes: usize) -> Self {
        self.reply_budget = if bytes == 0 { 1 } else { bytes };
        self
    }

    /// Requests that may wait for the wire inside the console (at least 1); further
    /// callers wait for room.
    #[must_use]
    pub const fn with_queue_capacity(mut self, n: usize) -> Self {
        self.queue_capacity = if n == 0 { 1 } else { n };
        self
    }

    /// Per-operation timeout.
    #[must_use]
    pub const fn op_timeout(&self) -> Duration {
        self.op_timeout
    }

    /// Whole-request deadline: the configured one, else `op_timeout × (max_retries + 1)`.
    #[must_use]
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout.unwrap_or_else(|| {
            self.op_timeout
                .saturating_mul(self.retry.max_retries().saturating_add(1))
        })
    }

    /// Retry policy.
    #[must_use]
    pub const fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// Heartbeat cadence.
    #[must_use]
    pub const fn heartbeat(&self) -> Option<Duration> {
        self.heartbeat
    }

    /// Whether TCP sockets get `TCP_NODELAY`.
    #[must_use]
    pub const fn nodelay(&self) -> bool {
        self.nodelay
    }

    /// Most frames unanswered at once.
    #[must_use]
    pub const fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// Reply byte budget.
    #[must_use]
    pub const fn reply_budget(&self) -> usize {
        self.reply_budget
    }

    /// Wait-queue capacity.
    #[must_use]
    pub const fn queue_capacity(&self) -> usize {
        self.queue_capacity
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_manifest() {
        const C: ClientConfig = ClientConfig::new();
        assert_eq!(C.op_timeout(), Duration::from_millis(5000));
        assert_eq!(C.retry().max_retries(), 3);
        assert_eq!(C.heartbeat(), Some(Duration::from_millis(15000)));
        assert_eq!(C.request_timeout(), Duration::from_secs(20));
        assert_eq!(C.max_in_flight(), 8);
        const { assert!(C.nodelay()) };
    }

    #[test]
    fn builders_clamp() {
        let c = ClientConfig::new()
            .with_max_in_flight(0)
            .with_reply_budget(0)
            .with_queue_capacity(0);
        assert_eq!(
            (c.max_in_flight(), c.reply_budget(), c.queue_capacity()),
            (1, 1, 1)
        );
        assert_eq!(
            ClientConfig::new().with_max_in_flight(99).max_in_flight(),
            8
        );
        let c = ClientConfig::new().with_request_timeout(Duration::from_millis(7));
        assert_eq!(c.request_timeout(), Duration::from_millis(7));
    }

    #[test]
    fn backoff_doubles_to_the_ceiling() {
        let p = RetryPolicy::DEFAULT;
        let ms: Vec<u128> = (0..7).map(|a| p.delay(a).as_millis()).collect();
        assert_eq!(ms, [200, 400, 800, 1600, 2000, 2000, 2000]);
        assert_eq!(p.delay(u32::MAX), Duration::from_millis(2000));
        assert_eq!(RetryPolicy::NONE.max_retries(), 0);
    }
}
