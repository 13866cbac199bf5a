//! ATTACH back-off throttle and failed-login rate limiter (server policy, spec §2.3, §8.6).
//!
//! Both live server-wide (one [`AttachGuard`] per simulator), so they survive reconnects.
//!
//! ```text
//!  ATTACH ──► throttle active? ──yes──► quota/throttled delay_ms=<left>
//!                 │no
//!            (role, lifecycle, ticket) ──► limiter.record(validated)
//!                 │                            │ rate-limited? ──► quota/rate-limited delay_ms
//!                 │                            ▼
//!            validated? ──no──► policy/denied (throttle.deny)
//!                 │yes
//!                 ▼
//!            success (throttle.reset)
//! ```

/// First back-off step after a denial.
pub const THROTTLE_BASE_MS: u64 = 250;
/// Largest exponent of the back-off (250 ms × 2^8 = 64 s).
pub const THROTTLE_MAX_SHIFT: u32 = 8;
/// Rate-limiter window, inclusive at its end.
pub const LIMITER_WINDOW_MS: u64 = 60_000;
/// Failures in one window that trip the limiter.
pub const LIMITER_MAX_FAILURES: u32 = 3;
/// Cooldown once the limiter trips.
pub const LIMITER_COOLDOWN_MS: u64 = 90_000;

/// Exponential back-off after denied ATTACHes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Throttle {
    denials: u32,
    blocked_until: u64,
}

impl Throttle {
    /// Remaining block in ms when `now_ms` is inside the back-off window.
    pub fn remaining(&self, now_ms: u64) -> Option<u64> {
        (now_ms < self.blocked_until).then(|| self.blocked_until - now_ms)
    }

    /// Records a `denied` outcome at `now_ms`; returns the new block length.
    pub fn deny(&mut self, now_ms: u64) -> u64 {
        let shift = self.denials.min(THROTTLE_MAX_SHIFT);
        let delay = THROTTLE_BASE_MS << shift;
        self.blocked_until = now_ms.saturating_add(delay);
        self.denials = self.denials.saturating_add(1);
        delay
    }

    /// Clears the back-off after a successful ATTACH.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// Verdict of the rate limiter for one validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitVerdict {
    /// Not limited (the attempt proceeds to its own outcome).
    Ok,
    /// Limited; the client is told to wait this many ms.
    RateLimited(u64),
}

/// Failed-login limiter: 3 failures in an inclusive 60 s window give a 90 s cooldown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimiter {
    window_start: Option<u64>,
    failures: u32,
    cooldown_until: Option<u64>,
}

impl RateLimiter {
    /// Records one validation outcome at `now_ms`.
    pub fn record(&mut self, validated: bool, now_ms: u64) -> LimitVerdict {
        if validated {
            *self = Self::default();
            return LimitVerdict::Ok;
        }
        if let Some(until) = self.cooldown_until {
            if now_ms < until {
                return LimitVerdict::RateLimited(until - now_ms);
            }
            self.cooldown_until = None;
        }
        let in_window = self
            .window_start
            .is_some_and(|start| now_ms <= start.saturating_add(LIMITER_WINDOW_MS));
        if !in_window {
            self.window_start = Some(now_ms);
            self.failures = 0;
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures >= LIMITER_MAX_FAILURES {
            self.failures = 0;
            self.window_start = None;
            self.cooldown_until = Some(now_ms.saturating_add(LIMITER_COOLDOWN_MS));
            return LimitVerdict::RateLimited(LIMITER_COOLDOWN_MS);
        }
        LimitVerdict::Ok
    }
}

/// Outcome of the guarded part of an ATTACH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardVerdict {
    /// Validation passed; the caller continues with claim checks.
    Accepted,
    /// `ERR ATTACH reason=policy detail=denied`.
    Denied,
    /// `ERR ATTACH reason=quota detail=rate-limited delay_ms=<n>`.
    RateLimited(u64),
}

/// Throttle + limiter, shared by every connection of one server.
#[derive(Debug, Clone, Default)]
pub struct AttachGuard {
    throttle: Throttle,
    limiter: RateLimiter,
}

impl AttachGuard {
    /// Step 1 of the attach sequence: `Some(remaining_ms)` while throttled.
    pub fn throttled(&self, now_ms: u64) -> Option<u64> {
        self.throttle.remaining(now_ms)
    }

    /// Step 8: a successful ATTACH clears the back-off.
    pub fn success(&mut self) {
        self.throttle.reset();
    }

    /// Steps 5 and 6: feeds the validation result to the limiter and the throttle.
    pub fn judge(&mut self, validated: bool, now_ms: u64) -> GuardVerdict {
        match self.limiter.record(validated, now_ms) {
            LimitVerdict::RateLimited(ms) => GuardVerdict::RateLimited(ms),
            LimitVerdict::Ok if validated => GuardVerdict::Accepted,
            LimitVerdict::Ok => {
                self.throttle.deny(now_ms);
                GuardVerdict::Denied
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_vector_one() {
        let mut l = RateLimiter::default();
        assert_eq!(l.record(false, 0), LimitVerdict::Ok);
        assert_eq!(l.record(false, 1000), LimitVerdict::Ok);
        assert_eq!(l.record(false, 2000), LimitVerdict::RateLimited(90_000));
        assert_eq!(l.record(false, 3000), LimitVerdict::RateLimited(89_000));
        assert_eq!(l.record(true, 4000), LimitVerdict::Ok);
        assert_eq!(l.record(false, 5000), LimitVerdict::Ok);
    }

    #[test]
    fn limiter_vector_two_inclusive_window() {
        let mut l = RateLimiter::default();
        assert_eq!(l.record(false, 0), LimitVerdict::Ok);
        assert_eq!(l.record(false, 60_000), LimitVerdict::Ok);
        assert_eq!(l.record(false, 60_001), LimitVerdict::Ok);
        assert_eq!(l.record(false, 120_002), LimitVerdict::Ok);
    }

    #[test]
    fn throttle_doubles_and_caps() {
        let mut t = Throttle::default();
        let delays: Vec<u64> = (0..11).map(|_| t.deny(0)).collect();
        assert_eq!(
            delays,
            [250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 64000, 64000]
        );
        assert_eq!(t.remaining(63_999), Some(1));
        assert_eq!(t.remaining(64_000), None);
        t.reset();
        assert_eq!(t.deny(10), 250);
    }

    #[test]
    fn combined_timeline_of_spec_8_6() {
        let mut g = AttachGuard::default();
        let mut step = |now: u64| match g.throttled(now) {
            Some(ms) => format!("throttled {ms}"),
            None => format!("{:?}", g.judge(false, now)),
        };
        assert_eq!(step(0), "Denied");
        assert_eq!(step(100), "throttled 150");
        assert_eq!(step(300), "Denied");
        assert_eq!(step(900), "RateLimited(90000)");
        assert_eq!(step(1000), "RateLimited(89900)");
        assert_eq!(step(91_000), "Denied");
        assert_eq!(step(91_999), "throttled 1");
    }

    #[test]
    fn success_during_cooldown_resets_everything() {
        let mut g = AttachGuard::default();
        for t in [0, 1000, 3000] {
            let _ = g.judge(false, t);
        }
        assert_eq!(g.judge(false, 4000), GuardVerdict::RateLimited(89_000));
        assert_eq!(g.judge(true, 5000), GuardVerdict::Accepted);
        g.success();
        assert_eq!(g.throttled(5000), None);
        assert_eq!(g.judge(false, 5001), GuardVerdict::Denied);
    }
}
