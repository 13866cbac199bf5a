//! The Cohesix command-line tools, as one package: every binary and the CLI-only modules.
//!
//! ```text
//!  bin/cohsh ────────────► shell/    console shell (.coh scripts, interactive, bench)
//!  bin/coh-queen ────────► queen     simulator flags and runtime (cohesix-sim)
//!  bin/coh-rtc ──────────► rtc       manifest compiler front end (cohesix-manifest)
//!  bin/cohesix-snapshot ─► snapshot  host probes front end (cohesix-probes)
//!  bin/cohesix-playbook ─► playbook  fleet playbooks (cohesix::playbook), the main job
//!  bin/hive-gateway ─────► gateway   REST gateway flags and runtime (cohesix-gateway)
//!  bin/coh ──────────────► coh       operator tool: evidence packs, mount
//! ```
//!
//! Only this package depends on clap, rustyline and tracing-subscriber; the libraries it
//! drives stay free of command-line baggage.

pub mod coh;
pub mod dist;
#[cfg(feature = "gateway")]
pub mod gateway;
pub mod playbook;
pub mod queen;
pub mod report;
pub mod rtc;
pub mod shell;
pub mod snapshot;

/// The version every tool reports: the package version and, when built from a git checkout,
/// `git describe --always --dirty` (for example `0.1.0 (a1b2c3d-dirty)`), set by `build.rs`.
pub const VERSION: &str = env!("COHESIX_VERSION");
