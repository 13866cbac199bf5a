//! Client configuration: timeouts, retry/back-off and heartbeat policy.
//!
//! Every default comes from the manifest-derived constants in [`cohesix_generated`]
//! (`[client_policies.retry]` and `[client_policies.heartbeat]`); nothing here is a magic
//! number. All fields are public so callers can override them, and
//! [`ClientConfig::DEFAULT`] is usable in `const` context.

use core::time::Duration;

use cohesix_generated::{console, heartbeat, retry};

/// Retry and reconnect policy (manifest `[client_policies.retry]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first failure (so `max_retries + 1` tries in all).
    pub max_retries: u32,
    /// First back-off delay.
    pub backoff: Duration,
    /// Back-off ceiling; the delay doubles per retry up to this value.
    pub ceiling: Duration,
}

impl RetryPolicy {
    /// The manifest policy: 3 retries, 200 ms doubling to a 2000 ms ceiling.
    pub const DEFAULT: Self = Self {
        max_retries: retry::MAX_ATTEMPTS,
        backoff: Duration::from_millis(retry::BACKOFF_MS),
        ceiling: Duration::from_millis(retry::CEILING_MS),
    };

    /// No retries at all (useful for tests and one-shot tools).
    pub const NONE: Self = Self {
        max_retries: 0,
        backoff: Duration::from_millis(retry::BACKOFF_MS),
        ceiling: Duration::from_millis(retry::CEILING_MS),
    };

    /// The delay before retry number `attempt` (0-based): `backoff * 2^attempt`, capped at
    /// the ceiling. Never panics or overflows.
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

/// Configuration of a [`Client`](crate::Client).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// Deadline of one operation (connect, AUTH, ATTACH, or one request's full reply).
    pub op_timeout: Duration,
    /// Reconnect/retry policy for connects and idempotent reads.
    pub retry: RetryPolicy,
    /// Idle cadence of the keepalive `PING`; `None` disables the heartbeat.
    pub heartbeat: Option<Duration>,
    /// Set `TCP_NODELAY` on the socket (default on: one frame per request must not wait).
    pub nodelay: bool,
    /// Most frames unanswered at once (1..=8, the queen's inbound queue depth).
    pub max_in_flight: usize,
}

impl ClientConfig {
    /// The manifest defaults: 5000 ms per operation, retry 3 × 200→2000 ms, PING every 15 s.
    pub const DEFAULT: Self = Self {
        op_timeout: Duration::from_millis(retry::TIMEOUT_MS),
        retry: RetryPolicy::DEFAULT,
        heartbeat: Some(Duration::from_millis(heartbeat::INTERVAL_MS)),
        nodelay: true,
        max_in_flight: console::MAX_IN_FLIGHT,
    };

    /// `const` constructor of the manifest defaults (same as [`ClientConfig::DEFAULT`]).
    #[must_use]
    pub const fn new() -> Self {
        Self::DEFAULT
    }

    /// Returns a copy with another per-operation timeout.
    #[must_use]
    pub const fn with_op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = timeout;
        self
    }

    /// Returns a copy with another retry policy.
    #[must_use]
    pub const fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Returns a copy with another heartbeat cadence (`None` disables it).
    #[must_use]
    pub const fn with_heartbeat(mut self, heartbeat: Option<Duration>) -> Self {
        self.heartbeat = heartbeat;
        self
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
        assert_eq!(C.op_timeout, Duration::from_millis(5000));
        assert_eq!(C.retry.max_retries, 3);
        assert_eq!(C.heartbeat, Some(Duration::from_millis(15000)));
        const { assert!(C.nodelay) };
    }

    #[test]
    fn backoff_doubles_to_the_ceiling() {
        let p = RetryPolicy::DEFAULT;
        let ms: Vec<u128> = (0..7).map(|a| p.delay(a).as_millis()).collect();
        assert_eq!(ms, [200, 400, 800, 1600, 2000, 2000, 2000]);
        assert_eq!(p.delay(u32::MAX), Duration::from_millis(2000));
    }
}
