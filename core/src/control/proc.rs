//! Typed `/proc/schedule/*` and `/proc/lease/*` lines (host-surface §3), parsers for the
//! client and renderers (`Display`, [`ProcLine::encode`]) for the simulator.
//!
//! ```text
//! /proc/schedule/summary    queue=<u64> dequeued=<u64> dropped=<u64> max_entries=<u32>
//! /proc/schedule/queue      id=<id> role=<role> priority=<u32> ticks=<u32> budget_ms=<u32> seq=<u64>
//! /proc/lease/summary       active=<u64> preemptions=<u64> quotas=<u64> max_active=<u32> max_preemptions=<u32>
//! /proc/lease/active        id=<id> subject=<s> resource=<r> ttl_s=<u32> priority=<u32> state=<STATE> seq=<u64>
//! /proc/lease/preemptions   id=<id> subject=<s> resource=<r> reason=<reason> seq=<u64>
//! ```
//!
//! Parsing: fields split on ASCII whitespace, `key=value` on the first `=`; every key of the
//! format must appear exactly once (unknown keys are ignored, for newer targets); integers
//! are plain decimal within their type; text values must be non-empty. Lease priority is a
//! `u32`, as the format says (upstream's Rust timeline reads it as `u8`).

use core::fmt;

use super::error::ControlError;
use super::json::Writer;

/// Node paths and read bounds (the bounds are the manifest's `observability.proc_*`, as
/// `cohesix_generated` emits them).
pub mod nodes {
    use cohesix_generated::observability::{proc_lease, proc_schedule};

    /// `/proc/schedule/summary` and its read bound.
    pub const SCHEDULE_SUMMARY: (&str, usize) =
        ("/proc/schedule/summary", proc_schedule::SUMMARY_BYTES);
    /// `/proc/schedule/queue` and its read bound.
    pub const SCHEDULE_QUEUE: (&str, usize) = ("/proc/schedule/queue", proc_schedule::QUEUE_BYTES);
    /// `/proc/lease/summary` and its read bound.
    pub const LEASE_SUMMARY: (&str, usize) = ("/proc/lease/summary", proc_lease::SUMMARY_BYTES);
    /// `/proc/lease/active` and its read bound.
    pub const LEASE_ACTIVE: (&str, usize) = ("/proc/lease/active", proc_lease::ACTIVE_BYTES);
    /// `/proc/lease/preemptions` and its read bound.
    pub const LEASE_PREEMPTIONS: (&str, usize) =
        ("/proc/lease/preemptions", proc_lease::PREEMPTIONS_BYTES);
}

/// The lines of a `/proc` node as the snapshot reads them: split on `\n`, trimmed, empty
/// lines dropped.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').map(str::trim).filter(|l| !l.is_empty())
}

/// A typed `/proc` line.
pub trait ProcLine<'a>: Sized + fmt::Display {
    /// Parses one line.
    fn parse(line: &'a str) -> Result<Self, ControlError>;

    /// Renders the line (no newline) into `out`.
    fn encode(&self, out: &mut [u8]) -> Result<usize, ControlError> {
        let available = out.len();
        let mut w = Writer { out, len: 0 };
        fmt::write(&mut w, format_args!("{self}"))
            .map_err(|_| ControlError::BufferTooSmall { available })?;
        Ok(w.len)
    }
}

/// Collects the values of `KEYS` from `line`; each slot is the raw value.
fn fields<'a, const N: usize>(
    line: &'a str,
    keys: [&'static str; N],
) -> Result<[&'a str; N], ControlError> {
    let mut slots: [Option<&'a str>; N] = [None; N];
    for field in line.split_ascii_whitespace() {
        let (k, v) = field.split_once('=').ok_or(ControlError::ProcField)?;
        if let Some(i) = keys.iter().position(|key| *key == k) {
            let slot = slots.get_mut(i).ok_or(ControlError::ProcField)?;
            if slot.is_some() {
                return Err(ControlError::ProcDuplicate {
                    key: keys.get(i).copied().unwrap_or(""),
                });
            }
            *slot = Some(v);
        }
    }
    let mut out = [""; N];
    for ((o, s), key) in out.iter_mut().zip(slots).zip(keys) {
        let v = s.ok_or(ControlError::ProcMissing { key })?;
        if v.is_empty() {
            return Err(ControlError::ProcValue { key });
        }
        *o = v;
    }
    Ok(out)
}

fn num<T: core::str::FromStr>(key: &'static str, v: &str) -> Result<T, ControlError> {
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ControlError::ProcValue { key });
    }
    v.parse().map_err(|_| ControlError::ProcValue { key })
}

/// `/proc/schedule/summary`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ScheduleSummary {
    /// Entries queued.
    pub queue: u64,
    /// Entries dequeued.
    pub dequeued: u64,
    /// Entries dropped.
    pub dropped: u64,
    /// Queue bound.
    pub max_entries: u32,
}

impl<'a> ProcLine<'a> for ScheduleSummary {
    fn parse(line: &'a str) -> Result<Self, ControlError> {
        let [q, d, x, m] = fields(line, ["queue", "dequeued", "dropped", "max_entries"])?;
        Ok(Self {
            queue: num("queue", q)?,
            dequeued: num("dequeued", d)?,
            dropped: num("dropped", x)?,
            max_entries: num("max_entries", m)?,
        })
    }
}

impl fmt::Display for ScheduleSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "queue={} dequeued={} dropped={} max_entries={}",
            self.queue, self.dequeued, self.dropped, self.max_entries
        )
    }
}

/// One `/proc/schedule/queue` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ScheduleEntry<'a> {
    /// Request id.
    pub id: &'a str,
    /// Role.
    pub role: &'a str,
    /// Priority.
    pub priority: u32,
    /// Ticks.
    pub ticks: u32,
    /// Budget in ms.
    pub budget_ms: u32,
    /// Sequence number.
    pub seq: u64,
}

impl<'a> ProcLine<'a> for ScheduleEntry<'a> {
    fn parse(line: &'a str) -> Result<Self, ControlError> {
        let [id, role, p, t, b, s] = fields(
            line,
            ["id", "role", "priority", "ticks", "budget_ms", "seq"],
        )?;
        Ok(Self {
            id,
            role,
            priority: num("priority", p)?,
            ticks: num("ticks", t)?,
            budget_ms: num("budget_ms", b)?,
            seq: num("seq", s)?,
        })
    }
}

impl fmt::Display for ScheduleEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "id={} role={} priority={} ticks={} budget_ms={} seq={}",
            self.id, self.role, self.priority, self.ticks, self.budget_ms, self.seq
        )
    }
}

/// `/proc/lease/summary`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LeaseSummary {
    /// Active leases.
    pub active: u64,
    /// Preemptions recorded.
    pub preemptions: u64,
    /// Quotas set.
    pub quotas: u64,
    /// Active-table bound.
    pub max_active: u32,
    /// Preemption-table bound.
    pub max_preemptions: u32,
}

impl<'a> ProcLine<'a> for LeaseSummary {
    fn parse(line: &'a str) -> Result<Self, ControlError> {
        let [a, p, q, ma, mp] = fields(
            line,
            [
                "active",
                "preemptions",
                "quotas",
                "max_active",
                "max_preemptions",
            ],
        )?;
        Ok(Self {
            active: num("active", a)?,
            preemptions: num("preemptions", p)?,
            quotas: num("quotas", q)?,
            max_active: num("max_active", ma)?,
            max_preemptions: num("max_preemptions", mp)?,
        })
    }
}

impl fmt::Display for LeaseSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "active={} preemptions={} quotas={} max_active={} max_preemptions={}",
            self.active, self.preemptions, self.quotas, self.max_active, self.max_preemptions
        )
    }
}

/// One `/proc/lease/active` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LeaseEntry<'a> {
    /// Lease id.
    pub id: &'a str,
    /// Subject.
    pub subject: &'a str,
    /// Resource.
    pub resource: &'a str,
    /// Lifetime in seconds.
    pub ttl_s: u32,
    /// Priority.
    pub priority: u32,
    /// State (`ACTIVE`).
    pub state: &'a str,
    /// Sequence number.
    pub seq: u64,
}

impl<'a> ProcLine<'a> for LeaseEntry<'a> {
    fn parse(line: &'a str) -> Result<Self, ControlError> {
        let [id, subject, resource, t, p, state, s] = fields(
            line,
            [
                "id", "subject", "resource", "ttl_s", "priority", "state", "seq",
            ],
        )?;
        Ok(Self {
            id,
            subject,
            resource,
            ttl_s: num("ttl_s", t)?,
            priority: num("priority", p)?,
            state,
            seq: num("seq", s)?,
        })
    }
}

impl fmt::Display for LeaseEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "id={} subject={} resource={} ttl_s={} priority={} state={} seq={}",
            self.id, self.subject, self.resource, self.ttl_s, self.priority, self.state, self.seq
        )
    }
}

/// One `/proc/lease/preemptions` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PreemptionEntry<'a> {
    /// Lease id.
    pub id: &'a str,
    /// Subject.
    pub subject: &'a str,
    /// Resource.
    pub resource: &'a str,
    /// Reason.
    pub reason: &'a str,
    /// Sequence number.
    pub seq: u64,
}

impl<'a> ProcLine<'a> for PreemptionEntry<'a> {
    fn parse(line: &'a str) -> Result<Self, ControlError> {
        let [id, subject, resource, reason, s] =
            fields(line, ["id", "subject", "resource", "reason", "seq"])?;
        Ok(Self {
            id,
            subject,
            resource,
            reason,
            seq: num("seq", s)?,
        })
    }
}

impl fmt::Display for PreemptionEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "id={} subject={} resource={} reason={} seq={}",
            self.id, self.subject, self.resource, self.reason, self.seq
        )
    }
}
