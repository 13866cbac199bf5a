//! The queen's ATTACH guard (console spec §2.3 steps 1, 5, 6 and 8; §8.6): an exponential
//! back-off throttle after denied ATTACHes and a failed-login rate limiter.
//!
//! This is the one behaviour model of both server-side users: the simulator (`cohesix-sim`,
//! one guard per server, so it survives reconnects) and the core's test-kit queen. Sans-IO:
//! the caller passes its own clock (`now_ms`); nothing here allocates or panics.
//!
//! ```text
//!  ATTACH ──► throttled(now)? ──Some(ms)──► ERR ATTACH reason=quota detail=throttled delay_ms=<ms>
//!                 │None
//!            (role, lifecycle, ticket) ──► judge(validated, now)
//!                 │                           ├─ RateLimited(ms) ──► reason=quota detail=rate-limited delay_ms=<ms>
//!                 │                           ├─ Denied ──────────► reason=policy detail=denied (throttle grows)
//!                 │                           └─ Accepted
//!            claim checks pass ──► success() (throttle cleared)
//! ```
//!
//! The numbers are the console contract's (spec §8.6), not manifest keys: the first back-off
//! step is [`THROTTLE_BASE_MS`], doubling per denial up to `2^`[`THROTTLE_MAX_SHIFT`]; the
//! limiter trips on [`LIMITER_MAX_FAILURES`] failures inside an inclusive
//! [`LIMITER_WINDOW_MS`] window and then refuses for [`LIMITER_COOLDOWN_MS`].

/// First back-off step after a denial, in ms.
pub const THROTTLE_BASE_MS: u64 = 250;
/// Largest exponent of the back-off (250 ms × 2^8 = 64 s).
pub const THROTTLE_MAX_SHIFT: u32 = 8;
/// Rate-limiter window in ms, inclusive at its end.
pub const LIMITER_WINDOW_MS: u64 = 60_000;
/// Failures in one window that trip the limiter.
pub const LIMITER_MAX_FAILURES: u32 = 3;
/// Cooldown once the limiter trips, in ms.
pub const LIMITER_COOLDOWN_MS: u64 = 90_000;

/// Exponential back-off after denied ATTACHes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Throttle {
    denials: u32,
    blocked_until: u64,
}

impl Throttle {
    /// No back-off.
    pub const fn new() -> Self {
        Self {
            denials: 0,
            blocked_until: 0,
        }
    }

    /// Remaining block in ms while `now_ms` is inside the back-off window.
    pub const fn remaining(&self, now_ms: u64) -> Option<u64> {
        if now_ms < self.blocked_until {
            Some(self.blocked_until.saturating_sub(now_ms))
        } else {
            None
        }
    }

    /// Records a denial at `now_ms`; returns the new block length in ms.
    pub fn deny(&mut self, now_ms: u64) -> u64 {
        let shift = if self.denials < THROTTLE_MAX_SHIFT {
            self.denials
        } else {
            THROTTLE_MAX_SHIFT
        };
        let delay = THROTTLE_BASE_MS.checked_shl(shift).unwrap_or(u64::MAX);
        self.blocked_until = now_ms.saturating_add(delay);
        self.denials = self.denials.saturating_add(1);
        delay
    }

    /// Clears the back-off (after a successful ATTACH).
    pub fn reset(&mut self) {
        *self = Self::new();
    }
}

/// Verdict of the rate limiter for one validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LimitVerdict {
    /// Not limited: the attempt goes on to its own outcome.
    Ok,
    /// Limited; the client is told to wait this many ms.
    RateLimited(u64),
}

/// Failed-login limiter: [`LIMITER_MAX_FAILURES`] failures in an inclusive
/// [`LIMITER_WINDOW_MS`] window start a [`LIMITER_COOLDOWN_MS`] cooldown; a validated attempt
/// resets everything (also during a cooldown).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RateLimiter {
    window_start: Option<u64>,
    failures: u32,
    cooldown_until: Option<u64>,
}

impl RateLimiter {
    /// No failures recorded.
    pub const fn new() -> Self {
        Self {
            window_start: None,
            failures: 0,
            cooldown_until: None,
        }
    }

    /// Records one validation outcome at `now_ms`.
    pub fn record(&mut self, validated: bool, now_ms: u64) -> LimitVerdict {
        if validated {
            *self = Self::new();
            return LimitVerdict::Ok;
        }
        if let Some(until) = self.cooldown_until {
            if now_ms < until {
                return LimitVerdict::RateLimited(until.saturating_sub(now_ms));
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
            *self = Self {
                cooldown_until: Some(now_ms.saturating_add(LIMITER_COOLDOWN_MS)),
                ..Self::new()
            };
            return LimitVerdict::RateLimited(LIMITER_COOLDOWN_MS);
        }
        LimitVerdict::Ok
    }
}

/// Outcome of the guarded part of an ATTACH.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum GuardVerdict {
    /// Validation passed; the caller goes on with its claim checks.
    Accepted,
    /// `ERR ATTACH reason=policy detail=denied` (the throttle grew).
    Denied,
    /// `ERR ATTACH reason=quota detail=rate-limited delay_ms=<ms>`.
    RateLimited(u64),
}

/// Throttle and limiter together, shared by every connection of one server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AttachGuard {
    throttle: Throttle,
    limiter: RateLimiter,
}

impl AttachGuard {
    /// A fresh guard.
    pub const fn new() -> Self {
        Self {
            throttle: Throttle::new(),
            limiter: RateLimiter::new(),
        }
    }

    /// Step 1 of the attach sequence: `Some(remaining_ms)` while throttled.
    pub const fn throttled(&self, now_ms: u64) -> Option<u64> {
        self.throttle.remaining(now_ms)
    }

    /// Steps 5 and 6: feeds the validation result to the limiter, then a failure to the
    /// throttle.
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

    /// Step 8: a successful ATTACH clears the back-off.
    pub fn success(&mut self) {
        self.throttle.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::string::String;
    use std::vec::Vec;

    #[test]
    fn limiter_trips_on_the_third_failure_and_counts_down() {
        let mut l = RateLimiter::new();
        assert_eq!(l.record(false, 0), LimitVerdict::Ok);
        assert_eq!(l.record(false, 1000), LimitVerdict::Ok);
        assert_eq!(l.record(false, 2000), LimitVerdict::RateLimited(90_000));
        assert_eq!(l.record(false, 3000), LimitVerdict::RateLimited(89_000));
        assert_eq!(l.record(true, 4000), LimitVerdict::Ok);
        assert_eq!(l.record(false, 5000), LimitVerdict::Ok);
    }

    #[test]
    fn limiter_window_is_inclusive_and_restarts_after_it() {
        let mut l = RateLimiter::new();
        assert_eq!(l.record(false, 0), LimitVerdict::Ok);
        assert_eq!(l.record(false, 60_000), LimitVerdict::Ok);
        // 60_001 is outside the window opened at 0: a new window starts.
        assert_eq!(l.record(false, 60_001), LimitVerdict::Ok);
        assert_eq!(l.record(false, 120_002), LimitVerdict::Ok);
        let mut l = RateLimiter::new();
        for t in [0, 30_000] {
            assert_eq!(l.record(false, t), LimitVerdict::Ok);
        }
        assert_eq!(l.record(false, 60_000), LimitVerdict::RateLimited(90_000));
    }

    #[test]
    fn cooldown_ends_and_counting_starts_again() {
        let mut l = RateLimiter::new();
        for t in [0, 1, 2] {
            let _ = l.record(false, t);
        }
        assert_eq!(l.record(false, 90_001), LimitVerdict::RateLimited(1));
        assert_eq!(l.record(false, 90_002), LimitVerdict::Ok);
    }

    #[test]
    fn throttle_doubles_and_caps() {
        let mut t = Throttle::new();
        let delays: Vec<u64> = (0..11).map(|_| t.deny(0)).collect();
        assert_eq!(
            delays,
            [250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 64000, 64000]
        );
        assert_eq!(t.remaining(63_999), Some(1));
        assert_eq!(t.remaining(64_000), None);
        t.reset();
        assert_eq!(t.deny(10), 250);
        assert_eq!(t.remaining(u64::MAX), None);
    }

    #[test]
    fn combined_timeline_of_spec_8_6() {
        let mut g = AttachGuard::new();
        let mut step = |now: u64| -> String {
            match g.throttled(now) {
                Some(ms) => format!("throttled {ms}"),
                None => format!("{:?}", g.judge(false, now)),
            }
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
        let mut g = AttachGuard::new();
        for t in [0, 1000, 3000] {
            let _ = g.judge(false, t);
        }
        assert_eq!(g.judge(false, 4000), GuardVerdict::RateLimited(89_000));
        assert_eq!(g.judge(true, 5000), GuardVerdict::Accepted);
        g.success();
        assert_eq!(g.throttled(5000), None);
        assert_eq!(g.judge(false, 5001), GuardVerdict::Denied);
        assert_eq!(g.throttled(5001), Some(250));
    }

    #[test]
    fn extreme_clocks_do_not_overflow() {
        let mut g = AttachGuard::new();
        assert_eq!(g.judge(false, u64::MAX), GuardVerdict::Denied);
        assert_eq!(g.throttled(u64::MAX), None);
        let mut l = RateLimiter::new();
        for _ in 0..2 {
            let _ = l.record(false, u64::MAX - 1);
        }
        assert_eq!(
            l.record(false, u64::MAX - 1),
            LimitVerdict::RateLimited(LIMITER_COOLDOWN_MS)
        );
        // The saturated cooldown ends at u64::MAX: counting starts again.
        assert_eq!(l.record(false, u64::MAX), LimitVerdict::Ok);
    }
}
