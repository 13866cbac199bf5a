//! [`ProcSnapshot`]: the five control-plane `/proc` nodes (host-surface §3), **typed**.
//!
//! Nodes are read in upstream's order, each only when the manifest enables it, each with its
//! manifest read bound; every line is parsed by the core's `/proc` line types
//! ([`cohesix_core::control::proc`]) and kept raw as well ([`ProcSnapshot::raw`], the
//! upstream shape: first non-empty summary line, entry lines trimmed, blank lines dropped).
//!
//! Any read error propagates (no partial snapshot), as upstream; a line the core cannot
//! parse is [`Error::ProcLine`] naming the node and the line. The owned entry types here
//! hold the parsed values; [`ScheduleQueueEntry::as_core`] and friends give the core's
//! borrowed view (whose `Display` renders the target's line format).

use cohesix_core::control::proc::{self as core_proc, nodes, ProcLine};
use cohesix_core::control::{
    LeaseEntry, LeaseSummary, PreemptionEntry, ScheduleEntry, ScheduleSummary,
};
use cohesix_core::request::Verb;
use cohesix_generated::observability::{proc_lease, proc_schedule};

use super::audit::{Audit, AuditStatus};
use crate::backend::Backend;
use crate::error::Error;

/// One `/proc/schedule/queue` entry (owned [`ScheduleEntry`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScheduleQueueEntry {
    /// Request id.
    pub id: String,
    /// Role.
    pub role: String,
    /// Priority.
    pub priority: u32,
    /// Ticks.
    pub ticks: u32,
    /// Budget in ms.
    pub budget_ms: u32,
    /// Sequence number.
    pub seq: u64,
}

impl ScheduleQueueEntry {
    /// The core's borrowed view.
    #[must_use]
    pub fn as_core(&self) -> ScheduleEntry<'_> {
        ScheduleEntry {
            id: &self.id,
            role: &self.role,
            priority: self.priority,
            ticks: self.ticks,
            budget_ms: self.budget_ms,
            seq: self.seq,
        }
    }
}

impl From<ScheduleEntry<'_>> for ScheduleQueueEntry {
    fn from(e: ScheduleEntry<'_>) -> Self {
        Self {
            id: e.id.to_owned(),
            role: e.role.to_owned(),
            priority: e.priority,
            ticks: e.ticks,
            budget_ms: e.budget_ms,
            seq: e.seq,
        }
    }
}

/// One `/proc/lease/active` entry (owned [`LeaseEntry`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LeaseActiveEntry {
    /// Lease id.
    pub id: String,
    /// Subject.
    pub subject: String,
    /// Resource.
    pub resource: String,
    /// Lifetime in seconds.
    pub ttl_s: u32,
    /// Priority (a `u32`, as the format says).
    pub priority: u32,
    /// State (`ACTIVE`).
    pub state: String,
    /// Sequence number.
    pub seq: u64,
}

impl LeaseActiveEntry {
    /// The core's borrowed view.
    #[must_use]
    pub fn as_core(&self) -> LeaseEntry<'_> {
        LeaseEntry {
            id: &self.id,
            subject: &self.subject,
            resource: &self.resource,
            ttl_s: self.ttl_s,
            priority: self.priority,
            state: &self.state,
            seq: self.seq,
        }
    }
}

impl From<LeaseEntry<'_>> for LeaseActiveEntry {
    fn from(e: LeaseEntry<'_>) -> Self {
        Self {
            id: e.id.to_owned(),
            subject: e.subject.to_owned(),
            resource: e.resource.to_owned(),
            ttl_s: e.ttl_s,
            priority: e.priority,
            state: e.state.to_owned(),
            seq: e.seq,
        }
    }
}

/// One `/proc/lease/preemptions` entry (owned [`PreemptionEntry`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LeasePreemptionEntry {
    /// Lease id.
    pub id: String,
    /// Subject.
    pub subject: String,
    /// Resource.
    pub resource: String,
    /// Reason.
    pub reason: String,
    /// Sequence number.
    pub seq: u64,
}

impl LeasePreemptionEntry {
    /// The core's borrowed view.
    #[must_use]
    pub fn as_core(&self) -> PreemptionEntry<'_> {
        PreemptionEntry {
            id: &self.id,
            subject: &self.subject,
            resource: &self.resource,
            reason: &self.reason,
            seq: self.seq,
        }
    }
}

impl From<PreemptionEntry<'_>> for LeasePreemptionEntry {
    fn from(e: PreemptionEntry<'_>) -> Self {
        Self {
            id: e.id.to_owned(),
            subject: e.subject.to_owned(),
            resource: e.resource.to_owned(),
            reason: e.reason.to_owned(),
            seq: e.seq,
        }
    }
}

/// The nodes as read (upstream's `ProcSnapshot` shape).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcRaw {
    /// First non-empty line of `/proc/schedule/summary` (`""` when none or disabled).
    pub schedule_summary: String,
    /// Lines of `/proc/schedule/queue`.
    pub schedule_queue: Vec<String>,
    /// First non-empty line of `/proc/lease/summary`.
    pub lease_summary: String,
    /// Lines of `/proc/lease/active`.
    pub lease_active: Vec<String>,
    /// Lines of `/proc/lease/preemptions`.
    pub lease_preemptions: Vec<String>,
}

/// The typed control-plane snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcSnapshot {
    /// `/proc/schedule/summary` (`None` when disabled or empty).
    pub schedule_summary: Option<ScheduleSummary>,
    /// `/proc/schedule/queue` entries.
    pub schedule_queue: Vec<ScheduleQueueEntry>,
    /// `/proc/lease/summary`.
    pub lease_summary: Option<LeaseSummary>,
    /// `/proc/lease/active` entries.
    pub lease_active: Vec<LeaseActiveEntry>,
    /// `/proc/lease/preemptions` entries.
    pub lease_preemptions: Vec<LeasePreemptionEntry>,
    /// The same nodes as text.
    pub raw: ProcRaw,
}

/// A node, its bound, and whether the manifest enables it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    pub(crate) path: &'static str,
    pub(crate) bound: usize,
    pub(crate) enabled: bool,
}

pub(crate) const SCHEDULE_SUMMARY: Node = Node {
    path: nodes::SCHEDULE_SUMMARY.0,
    bound: proc_schedule::SUMMARY_BYTES,
    enabled: proc_schedule::SUMMARY,
};
pub(crate) const SCHEDULE_QUEUE: Node = Node {
    path: nodes::SCHEDULE_QUEUE.0,
    bound: proc_schedule::QUEUE_BYTES,
    enabled: proc_schedule::QUEUE,
};
pub(crate) const LEASE_SUMMARY: Node = Node {
    path: nodes::LEASE_SUMMARY.0,
    bound: proc_lease::SUMMARY_BYTES,
    enabled: proc_lease::SUMMARY,
};
pub(crate) const LEASE_ACTIVE: Node = Node {
    path: nodes::LEASE_ACTIVE.0,
    bound: proc_lease::ACTIVE_BYTES,
    enabled: proc_lease::ACTIVE,
};
pub(crate) const LEASE_PREEMPTIONS: Node = Node {
    path: nodes::LEASE_PREEMPTIONS.0,
    bound: proc_lease::PREEMPTIONS_BYTES,
    enabled: proc_lease::PREEMPTIONS,
};

/// Reads one node's lines (trimmed, blank lines dropped); audits `OK CAT path=<node>`.
pub(crate) async fn read_node<B: Backend + ?Sized>(
    backend: &B,
    audit: &Audit,
    node: Node,
) -> Result<Vec<String>, Error> {
    let bytes = backend.read(node.path, node.bound).await?;
    audit.push_ack(
        AuditStatus::Ok,
        Verb::Cat.token(),
        Some(&format!("path={}", node.path)),
    );
    let text = String::from_utf8_lossy(&bytes);
    Ok(core_proc::lines(&text).map(str::to_owned).collect())
}

fn parse<'a, T: ProcLine<'a>>(node: Node, line: &'a str) -> Result<T, Error> {
    T::parse(line).map_err(|error| Error::ProcLine {
        path: node.path.to_owned(),
        line: line.to_owned(),
        error,
    })
}

/// Parses the first summary line, if any.
fn summary<'a, T: ProcLine<'a>>(node: Node, lines: &'a [String]) -> Result<Option<T>, Error> {
    lines.first().map(|l| parse(node, l)).transpose()
}

fn entries<'a, T: ProcLine<'a>, O: From<T>>(
    node: Node,
    lines: &'a [String],
) -> Result<Vec<O>, Error> {
    lines
        .iter()
        .map(|l| parse::<T>(node, l).map(O::from))
        .collect()
}

impl ProcSnapshot {
    /// Builds the typed snapshot from node texts (the lines of each node).
    ///
    /// # Errors
    /// [`Error::ProcLine`] for a line the core cannot parse.
    pub fn from_raw(raw: ProcRaw) -> Result<Self, Error> {
        let one = |s: &str| -> Vec<String> {
            if s.is_empty() {
                Vec::new()
            } else {
                vec![s.to_owned()]
            }
        };
        let ss = one(&raw.schedule_summary);
        let ls = one(&raw.lease_summary);
        Ok(Self {
            schedule_summary: summary(SCHEDULE_SUMMARY, &ss)?,
            schedule_queue: entries::<ScheduleEntry<'_>, _>(SCHEDULE_QUEUE, &raw.schedule_queue)?,
            lease_summary: summary(LEASE_SUMMARY, &ls)?,
            lease_active: entries::<LeaseEntry<'_>, _>(LEASE_ACTIVE, &raw.lease_active)?,
            lease_preemptions: entries::<PreemptionEntry<'_>, _>(
                LEASE_PREEMPTIONS,
                &raw.lease_preemptions,
            )?,
            raw,
        })
    }
}

/// Reads the five nodes in order (each if enabled) and parses them.
pub(crate) async fn read_snapshot<B: Backend + ?Sized>(
    backend: &B,
    audit: &Audit,
) -> Result<ProcSnapshot, Error> {
    async fn lines<B: Backend + ?Sized>(
        b: &B,
        audit: &Audit,
        node: Node,
    ) -> Result<Vec<String>, Error> {
        if node.enabled {
            read_node(b, audit, node).await
        } else {
            Ok(Vec::new())
        }
    }
    let first = |v: Vec<String>| v.into_iter().next().unwrap_or_default();
    let raw = ProcRaw {
        schedule_summary: first(lines(backend, audit, SCHEDULE_SUMMARY).await?),
        schedule_queue: lines(backend, audit, SCHEDULE_QUEUE).await?,
        lease_summary: first(lines(backend, audit, LEASE_SUMMARY).await?),
        lease_active: lines(backend, audit, LEASE_ACTIVE).await?,
        lease_preemptions: lines(backend, audit, LEASE_PREEMPTIONS).await?,
    };
    ProcSnapshot::from_raw(raw)
}
