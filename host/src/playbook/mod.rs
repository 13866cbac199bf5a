//! Playbooks: whole fleet operations as data, run by the orchestrator (host-surface §6).
//!
//! ```text
//!  host/playbooks/*.toml ──► catalogue ──► Playbook ──► run_playbook(orchestrator) ──► PlaybookReport
//!  (embedded) + --playbook-file/--playbook-dir          ▲ host probes concurrently        report.json, audit.txt
//!  FLEET.toml ──► Fleet ──► run_fleet (≤ N queens at once, shards) ──► per-queen reports + fleet.json
//! ```
//!
//! * [`model`]: the `cohesix-playbook/v1` file format and its loader (`file:line` errors;
//!   every control line validated by the core when the file loads).
//! * [`catalogue`]: the nine built-in playbooks and user files.
//! * [`runid`]: run ids and the per-run id suffix that keeps every id within 32 bytes.
//! * [`run`]: one run against one queen, with progress events.
//! * [`report`]: `report.json` and `audit.txt`, byte for byte.
//! * [`fleet`]: fleet files, concurrent runs, shards and merging.

pub mod catalogue;
pub mod fleet;
pub mod model;
pub mod report;
pub mod run;
pub mod runid;

pub use catalogue::{built_in, Entry, Origin};
pub use fleet::{Fleet, FleetOptions, FleetSummary, QueenSpec, Shard};
pub use model::{LoadError, Playbook, ProbeSpec};
pub use report::{Failure, PlaybookReport};
pub use run::{
    run_playbook, HostInput, Progress, RunOptions, Silent, Step, StepEvent, StepOutcome,
};
pub use runid::RunId;
