//! `[control_plane.*]` rules [0.9]: an enabled control file has non-zero bounds within the
//! upstream ceilings and one Secure9P message; a disabled one has all bounds zero.

use super::{ensure, k, Check};
use crate::model::Manifest;

/// Largest scheduler queue.
pub const MAX_SCHEDULE_QUEUE_ENTRIES: u32 = 256;
/// Largest active-lease table.
pub const MAX_LEASE_ACTIVE_ENTRIES: u32 = 256;
/// Largest preemption record.
pub const MAX_LEASE_PREEMPTION_ENTRIES: u32 = 256;

/// `value` within `1..=max` under `key`.
fn within(key: &[&'static str], value: u32, max: u32) -> Check {
    ensure((1..=max).contains(&value), k(key), || {
        format!("must be within 1..={max} when enabled")
    })
}

/// Every value of `fields` is zero (a disabled table).
fn zero_when_disabled(section: &'static str, fields: &[(&'static str, u32)]) -> Check {
    for (name, value) in fields {
        ensure(*value == 0, k(&["control_plane", section, name]), || {
            format!("must be 0 when control_plane.{section}.enable = false")
        })?;
    }
    Ok(())
}

pub(super) fn check_control_plane(m: &Manifest) -> Check {
    let cp = m.control_plane_or_default();
    let msize = m.secure9p.msize;
    let s = &cp.schedule;
    if s.enable {
        within(
            &["control_plane", "schedule", "queue_max_entries"],
            s.queue_max_entries,
            MAX_SCHEDULE_QUEUE_ENTRIES,
        )?;
        within(
            &["control_plane", "schedule", "ctl_max_bytes"],
            s.ctl_max_bytes,
            msize,
        )?;
    } else {
        zero_when_disabled(
            "schedule",
            &[
                ("queue_max_entries", s.queue_max_entries),
                ("ctl_max_bytes", s.ctl_max_bytes),
            ],
        )?;
    }
    let l = &cp.lease;
    if l.enable {
        within(
            &["control_plane", "lease", "active_max_entries"],
            l.active_max_entries,
            MAX_LEASE_ACTIVE_ENTRIES,
        )?;
        within(
            &["control_plane", "lease", "preemptions_max_entries"],
            l.preemptions_max_entries,
            MAX_LEASE_PREEMPTION_ENTRIES,
        )?;
        within(
            &["control_plane", "lease", "ctl_max_bytes"],
            l.ctl_max_bytes,
            msize,
        )?;
    } else {
        zero_when_disabled(
            "lease",
            &[
                ("active_max_entries", l.active_max_entries),
                ("preemptions_max_entries", l.preemptions_max_entries),
                ("ctl_max_bytes", l.ctl_max_bytes),
            ],
        )?;
    }
    let e = &cp.export;
    if e.enable {
        within(
            &["control_plane", "export", "ctl_max_bytes"],
            e.ctl_max_bytes,
            msize,
        )
    } else {
        zero_when_disabled("export", &[("ctl_max_bytes", e.ctl_max_bytes)])
    }
}
