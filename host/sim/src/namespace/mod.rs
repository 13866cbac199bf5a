//! The queen's file-shaped namespace, independent of any transport.
//!
//! The TCP console ([`crate::console`]) and mock backends drive the same model through four
//! operations: [`Namespace::list`], [`Namespace::read`], [`Namespace::tail`] and
//! [`Namespace::append`] (plus byte-level [`Namespace::read_bytes`] and
//! [`Namespace::append_bytes`] for file-shaped backends). Paths resolve by exact match; anything not served is
//! [`NsError::InvalidPath`], like the real queen (no NotFound distinction).
//!
//! ```text
//!  /  gpu/{bridge,GPU-0,GPU-1[,MIG-0]}  log/queen.log  proc/*  queen/{ctl,lifecycle,telemetry,..}
//!     trace  updates  shard  worker/<id>/telemetry  host/<provider>/..
//!     [bus lora] [policy actions] [audit/{journal,decisions,export} replay/{ctl,status}]
//! ```
//!
//! Every collection is bounded ([`bounds`]); [`Namespace::walk`] enumerates the tree for
//! mirroring; [`Features`] picks the shipped (real 0.3 queen), full or mock surface.

mod append;
mod audit;
pub mod bounds;
mod bytes;
mod control_plane;
mod error;
mod gpu;
mod host;
mod json;
mod lifecycle;
mod log;
mod policy;
mod proc;
mod records;
mod sidecar;
mod telemetry;
mod walk;
mod workers;

use std::collections::{BTreeMap, VecDeque};

use cohesix_core::role::Role;

pub use audit::{Audit, AUDIT_MAX_LINES};
pub use bounds::{Drops, LineStore};
pub use bytes::ReadError;
pub use control_plane::{Exports, Leases, Schedule};
pub use error::{NsError, NsResult};
pub use gpu::Gpu;
pub use host::Host;
pub use lifecycle::Lifecycle;
pub use log::{QueenLog, SNAPSHOT_LINES};
pub use policy::{ApprovalState, Policy};
pub use sidecar::Sidecars;
pub use telemetry::{Device, Ingest, Ring, RING_BYTES_PER_WORKER};
pub use walk::Walk;
pub use workers::{shard_label, Worker};

/// Optional namespace surfaces. [`Features::shipped`] matches the real 0.3.0-alpha2 queen;
/// [`Features::full`] adds the 0.9 surfaces the host tools drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// `/queen/{schedule,lease,export}/ctl` and `/proc/{schedule,lease}/*`.
    pub control_plane: bool,
    /// `/policy` and `/actions` with approval gating of `/queen/ctl` and systemd restarts.
    pub policy: bool,
    /// `/host/tickets/*`.
    pub host_tickets: bool,
    /// `/queen/export/lora_jobs/...` and `/gpu/models/...`.
    pub peft: bool,
    /// `/bus/<adapter>/...` and `/lora/<adapter>/...` sidecars.
    pub sidecars: bool,
    /// Upstream 0.9 lifecycle: `drain` (from DRAINING) and `quiesce` take the node to
    /// QUIESCED and a transition not allowed from the current state is refused with
    /// `detail=invalid-transition`. Off (the real 0.3.0-alpha2 queen, observed): `drain` and
    /// `quiesce` are refused with `detail=denied … error=EPERM` wherever they would apply,
    /// and a transition not allowed from the current state (`drain` from ONLINE, `cordon`
    /// from DRAINING, `resume` from ONLINE) with `detail=invalid-payload`.
    pub lifecycle_drain: bool,
    /// The host library's mock seed (host-surface §5.3): telemetry device `device-1` with
    /// segment `seg-000001` = `{"seq":1}` (so the next segment is `seg-000002`).
    pub mock_seed: bool,
    /// A MIG slice `MIG-0` (`MockMIG`, 1024 MB, 14 SMs) beside the two mock GPUs (§5.3
    /// `include_mig`).
    pub mig: bool,
    /// AuditFS and replay: `/audit/{journal,decisions,export}` and `/replay/{ctl,status}`
    /// (the shipped 0.3 queen has neither: `invalid-path`).
    pub audit: bool,
}

impl Features {
    /// Surfaces of the real queen build (no policy, no control plane, no PEFT exports).
    pub const fn shipped() -> Self {
        Self {
            control_plane: false,
            policy: false,
            host_tickets: false,
            peft: false,
            sidecars: false,
            lifecycle_drain: false,
            mock_seed: false,
            mig: false,
            audit: false,
        }
    }

    /// Every surface the simulator knows.
    pub const fn full() -> Self {
        Self {
            control_plane: true,
            policy: true,
            host_tickets: true,
            peft: true,
            sidecars: true,
            lifecycle_drain: true,
            mock_seed: false,
            mig: false,
            audit: true,
        }
    }

    /// The surface the host library's Mock backend serves: every [`Features::full`] surface
    /// plus the §5.3 mock seed (`device-1` telemetry), with `MIG-0` when `include_mig`.
    pub const fn mock(include_mig: bool) -> Self {
        let mut f = Self::full();
        f.mock_seed = true;
        f.mig = include_mig;
        f
    }
}

impl Default for Features {
    fn default() -> Self {
        Self::full()
    }
}

/// Who performs a write, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// Attached role.
    pub role: Role,
    /// Server time in ms.
    pub now_ms: u64,
}

impl Caller {
    /// A queen caller at `now_ms`.
    pub fn queen(now_ms: u64) -> Self {
        Self {
            role: Role::Queen,
            now_ms,
        }
    }
}

/// Per-session TAIL cursors (path → absolute line number already delivered), at most
/// [`bounds::CURSORS_MAX_ENTRIES`] paths (the least recently set is forgotten first).
#[derive(Debug, Clone, Default)]
pub struct Cursors {
    entries: VecDeque<(String, u64)>,
    evicted: u64,
}

impl Cursors {
    fn get(&self, path: &str) -> u64 {
        self.entries
            .iter()
            .find(|(p, _)| p == path)
            .map_or(0, |(_, at)| *at)
    }

    fn set(&mut self, path: &str, at: u64) {
        if let Some(i) = self.entries.iter().position(|(p, _)| p == path) {
            self.entries.remove(i);
        }
        self.entries.push_back((path.to_string(), at));
        while self.entries.len() > bounds::CURSORS_MAX_ENTRIES {
            self.entries.pop_front();
            self.evicted += 1;
        }
    }

    /// Paths with a cursor.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no path has a cursor.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Cursors forgotten because of the bound.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }
}

/// Splits an absolute path into components; `None` for anything the queen would not match
/// (relative, empty or `.`/`..` components, trailing `/`).
pub fn components(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix('/')?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let parts: Vec<&str> = rest.split('/').collect();
    parts
        .iter()
        .all(|c| !c.is_empty() && *c != "." && *c != "..")
        .then_some(parts)
}

/// The whole namespace state of one simulated queen.
#[derive(Debug, Clone)]
pub struct Namespace {
    features: Features,
    seed: u64,
    log: QueenLog,
    lifecycle: Lifecycle,
    workers: Vec<Worker>,
    next_worker: u32,
    gpus: Vec<Gpu>,
    models_active: Vec<String>,
    ingest: Ingest,
    schedule: Schedule,
    leases: Leases,
    exports: Exports,
    policy: Policy,
    host: Host,
    trace: LineStore,
    binds: Vec<(String, String)>,
    mounts: Vec<(String, String)>,
    lora_jobs: BTreeMap<String, Vec<(String, Vec<String>)>>,
    sidecars: Sidecars,
    audit: Audit,
    drops: Drops,
}

impl Namespace {
    /// A freshly booted queen with the demo tree; `seed` varies the synthetic numbers.
    pub fn new(features: Features, seed: u64) -> Self {
        let mut log = QueenLog::default();
        log.push(format!(
            "[INFO  root-task] boot complete manifest.sha256={}",
            cohesix_generated::MANIFEST_SHA256
        ));
        log.push("[INFO  lifecycle] state=ONLINE reason=boot-complete");
        log.push(format!(
            "[INFO  net-console] listening on 0.0.0.0:{}",
            cohesix_generated::console::TCP_PORT
        ));
        let mut lora_jobs = BTreeMap::new();
        lora_jobs.insert(
            "job_8932".to_string(),
            vec![
                (
                    "telemetry.cbor".to_string(),
                    vec!["telemetry-v1".to_string()],
                ),
                (
                    "base_model.ref".to_string(),
                    vec!["vision-base-v1".to_string()],
                ),
                (
                    "policy.toml".to_string(),
                    vec!["[policy]".to_string(), "name = \"default\"".to_string()],
                ),
            ],
        );
        let mut gpus = vec![Gpu::mock("GPU-0"), Gpu::mock("GPU-1")];
        if features.mig {
            gpus.push(Gpu::mock_mig("MIG-0"));
        }
        let mut ingest = Ingest::default();
        if features.mock_seed {
            ingest.seed_mock();
        }
        Self {
            features,
            seed,
            log,
            lifecycle: Lifecycle::default(),
            workers: Vec::new(),
            next_worker: 1,
            gpus,
            models_active: Vec::new(),
            ingest,
            schedule: Schedule::default(),
            leases: Leases::default(),
            exports: Exports::default(),
            policy: Policy::default(),
            host: Host::new(features.host_tickets),
            trace: LineStore::new(bounds::TRACE_EVENTS_MAX_LINES, usize::MAX),
            binds: Vec::new(),
            mounts: Vec::new(),
            lora_jobs,
            sidecars: Sidecars::default(),
            audit: Audit::default(),
            drops: Drops::default(),
        }
    }

    /// What the bounds dropped or refused since boot (see [`bounds`]).
    pub fn drops(&self) -> Drops {
        Drops {
            log_lines: self.log.evicted(),
            trace_events: self.trace.evicted_lines(),
            gpu_status_lines: self.gpus.iter().map(Gpu::status_evicted).sum(),
            host_control_lines: self.host.evicted(),
            spool_entries: self.sidecars.spool_evicted(),
            telemetry_segments: self.ingest.evicted(),
            audit_journal_lines: self.audit.evicted().0,
            audit_decision_lines: self.audit.evicted().1,
            ..self.drops
        }
    }

    /// Enabled surfaces.
    pub fn features(&self) -> Features {
        self.features
    }

    /// Current lifecycle.
    pub fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    /// Live worker ids in spawn order.
    pub fn worker_ids(&self) -> Vec<String> {
        self.workers.iter().map(|w| w.id.clone()).collect()
    }

    /// Recorded `bind` requests as (from, to).
    pub fn binds(&self) -> &[(String, String)] {
        &self.binds
    }

    /// Recorded `mount` requests as (service, at).
    pub fn mounts(&self) -> &[(String, String)] {
        &self.mounts
    }

    /// Appends a system line to `/log/queen.log`.
    pub fn log_line(&mut self, line: impl Into<String>) {
        self.log.push(line);
    }

    /// Snapshot for the LOG verb (newest [`SNAPSHOT_LINES`] lines).
    pub fn log_snapshot(&self) -> Vec<String> {
        self.log.snapshot()
    }

    /// Directory entries of `path`, in server order.
    pub fn list(&self, path: &str) -> NsResult<Vec<String>> {
        let c = components(path).ok_or(NsError::InvalidPath)?;
        let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let out = match c.as_slice() {
            [] => {
                let mut root = strs(&[
                    "gpu", "kmesg", "log", "proc", "queen", "trace", "updates", "shard", "worker",
                    "host",
                ]);
                if self.features.sidecars {
                    root.extend(strs(&["bus", "lora"]));
                }
                if self.features.policy {
                    root.extend(strs(&["policy", "actions"]));
                }
                if self.features.audit {
                    root.extend(strs(&["audit", "replay"]));
                }
                Some(root)
            }
            ["log"] => Some(strs(&["queen.log"])),
            ["trace"] => Some(strs(&["ctl", "events"])),
            ["updates"] => Some(Vec::new()),
            ["shard"] => return Err(NsError::BufferFull),
            ["worker"] => Some(self.worker_ids()),
            ["queen", rest @ ..] => self.queen_list(rest),
            ["proc", rest @ ..] => self.proc_list(rest),
            ["gpu", rest @ ..] => self.gpu_list(rest),
            ["host", ..] => self.host.list(path),
            ["bus" | "lora", ..] if self.features.sidecars => self.sidecar_list(&c),
            ["policy"] if self.features.policy => Some(strs(&["ctl", "rules"])),
            ["actions"] if self.features.policy => {
                let mut v = vec!["queue".to_string()];
                v.extend(self.policy.ids());
                Some(v)
            }
            ["actions", id] if self.features.policy && self.policy.status(id).is_some() => {
                Some(strs(&["status"]))
            }
            ["audit"] if self.features.audit => Some(strs(&["journal", "decisions", "export"])),
            ["replay"] if self.features.audit => Some(strs(&["ctl", "status"])),
            _ => None,
        };
        out.ok_or(NsError::InvalidPath)
    }

    fn queen_list(&self, rest: &[&str]) -> Option<Vec<String>> {
        let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cp = self.features.control_plane;
        match rest {
            [] => {
                let mut v = strs(&["ctl", "lifecycle", "telemetry"]);
                if cp {
                    v.extend(strs(&["schedule", "lease", "export"]));
                }
                Some(v)
            }
            ["lifecycle"] => Some(strs(&["ctl"])),
            ["schedule" | "lease"] if cp => Some(strs(&["ctl"])),
            ["export"] if cp || self.features.peft => {
                let mut v = Vec::new();
                if cp {
                    v.push("ctl".to_string());
                }
                if self.features.peft {
                    v.push("lora_jobs".to_string());
                }
                Some(v)
            }
            ["export", "lora_jobs"] if self.features.peft => {
                Some(self.lora_jobs.keys().cloned().collect())
            }
            ["export", "lora_jobs", job] if self.features.peft => self
                .lora_jobs
                .get(*job)
                .map(|files| files.iter().map(|(n, _)| n.clone()).collect()),
            ["telemetry"] => Some(self.ingest.devices.keys().cloned().collect()),
            ["telemetry", dev] => self
                .ingest
                .devices
                .get(*dev)
                .map(|_| strs(&["ctl", "latest", "seg"])),
            ["telemetry", dev, "seg"] => self.ingest.devices.get(*dev).map(Device::segment_ids),
            _ => None,
        }
    }

    /// Lines of the file at `path` (CAT). `now_ms` feeds time-derived `/proc` nodes.
    pub fn read(&self, path: &str, now_ms: u64) -> NsResult<Vec<String>> {
        let c = components(path).ok_or(NsError::InvalidPath)?;
        let out = match c.as_slice() {
            ["log", "queen.log"] => Some(self.log.lines().map(str::to_owned).collect()),
            ["trace", "events"] => Some(self.trace.to_vec()),
            ["proc", rest @ ..] => self.proc_read(rest, now_ms),
            ["gpu", rest @ ..] => self.gpu_read(rest),
            ["host", ..] => self.host.read(path),
            ["bus" | "lora", ..] if self.features.sidecars => self.sidecar_read(&c),
            ["queen", "telemetry", dev, "latest"] => self
                .ingest
                .devices
                .get(*dev)
                .map(|d| d.latest().map(str::to_owned).into_iter().collect()),
            ["queen", "telemetry", dev, "seg", seg] => self
                .ingest
                .devices
                .get(*dev)
                .and_then(|d| d.segment_lines(seg)),
            ["queen", "export", "lora_jobs", job, file] if self.features.peft => self
                .lora_jobs
                .get(*job)
                .and_then(|files| files.iter().find(|(n, _)| n == file))
                .map(|(_, lines)| lines.clone()),
            ["policy", "rules"] if self.features.policy => Some(self.policy.rules()),
            ["actions", id, "status"] if self.features.policy => self.policy.status(id),
            ["audit", "journal"] if self.features.audit => Some(self.audit.journal_lines()),
            ["audit", "decisions"] if self.features.audit => Some(self.audit.decision_lines()),
            ["audit", "export"] if self.features.audit => Some(self.audit.export()),
            ["replay", "status"] if self.features.audit => Some(self.audit.replay_status()),
            _ => None,
        };
        out.ok_or(NsError::InvalidPath)
    }

    /// TAIL: lines added since this session's cursor for `path`; advances the cursor.
    pub fn tail(
        &mut self,
        path: &str,
        cursors: &mut Cursors,
        now_ms: u64,
    ) -> NsResult<Vec<String>> {
        let c = components(path).ok_or(NsError::InvalidPath)?;
        match c.as_slice() {
            ["log", "queen.log"] => {
                let (lines, end) = self.log.since(cursors.get(path));
                cursors.set(path, end);
                Ok(lines)
            }
            ["proc", "ingest", "watch"] => Ok(self.watch_line(now_ms)),
            ["worker", id, "telemetry"] => self.ring_tail(id, None, path, cursors),
            ["shard", ll, "worker", id, "telemetry"] => self.ring_tail(id, Some(ll), path, cursors),
            _ => Err(NsError::InvalidPath),
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_bounds;
