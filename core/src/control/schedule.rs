//! `/queen/schedule/ctl` lines (host-surface §2.4): `ScheduleRequest`.
//!
//! ```text
//! {"id":"sched-edge-1","role":"worker-gpu","priority":6,"ticks":6,"budget_ms":180}
//! ```

use serde::{Deserialize, Serialize};

use super::error::ControlError;
use super::json;
use super::token::{check_id, check_positive};
use super::{paths, ControlLine};

/// One schedule entry: all fields required, ids are tokens, integers `> 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ScheduleRequest<'a> {
    /// Request id (upstream `request_id`; wire key `id`).
    #[serde(rename = "id")]
    pub request_id: &'a str,
    /// Role the work is scheduled for.
    pub role: &'a str,
    /// Priority (`> 0`).
    pub priority: u32,
    /// Ticks (`> 0`).
    pub ticks: u32,
    /// Budget in milliseconds (`> 0`).
    pub budget_ms: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire<'a> {
    id: &'a str,
    role: &'a str,
    priority: u32,
    ticks: u32,
    budget_ms: u32,
}

impl<'a> ScheduleRequest<'a> {
    /// Longest encoded line (32-byte ids, `u32::MAX` integers), without newline.
    pub const MAX_LEN: usize = 147;

    /// A request for `request_id` on `role` (both trimmed); priority, ticks and budget start
    /// unset (0) and must be given before [`validate`](Self::validate) passes.
    pub fn new(request_id: &'a str, role: &'a str) -> Self {
        Self {
            request_id: request_id.trim(),
            role: role.trim(),
            priority: 0,
            ticks: 0,
            budget_ms: 0,
        }
    }

    /// Sets the priority.
    #[must_use]
    pub const fn priority(mut self, priority: u32) -> Self {
        self.priority = priority;
        self
    }

    /// Sets the tick count.
    #[must_use]
    pub const fn ticks(mut self, ticks: u32) -> Self {
        self.ticks = ticks;
        self
    }

    /// Sets the budget in milliseconds.
    #[must_use]
    pub const fn budget_ms(mut self, budget_ms: u32) -> Self {
        self.budget_ms = budget_ms;
        self
    }

    /// Checks §1.2/§2.4: `request_id`, `role` tokens; `priority`, `ticks`, `budget_ms` `> 0`.
    pub fn validate(&self) -> Result<(), ControlError> {
        check_id("request_id", self.request_id)?;
        check_id("role", self.role)?;
        check_positive("priority", u64::from(self.priority))?;
        check_positive("ticks", u64::from(self.ticks))?;
        check_positive("budget_ms", u64::from(self.budget_ms))
    }

    /// Validates, then writes the compact JSON line (no newline) into `out`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        self.validate()?;
        json::encode(self, out)
    }

    /// Parses and validates one line (strict: unknown fields refused; escapes refused).
    pub fn decode(line: &'a [u8]) -> Result<Self, ControlError> {
        let w: Wire<'a> = json::decode(line)?;
        json::plain("request_id", w.id)?;
        json::plain("role", w.role)?;
        let req = Self {
            request_id: w.id,
            role: w.role,
            priority: w.priority,
            ticks: w.ticks,
            budget_ms: w.budget_ms,
        };
        req.validate()?;
        Ok(req)
    }
}

impl ControlLine for ScheduleRequest<'_> {
    const PATH: &'static str = paths::SCHEDULE_CTL;
    const MAX_LINE_BYTES: usize = paths::SCHEDULE_CTL_MAX_BYTES;

    fn validate(&self) -> Result<(), ControlError> {
        ScheduleRequest::validate(self)
    }

    fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        ScheduleRequest::encode(self, out)
    }
}
