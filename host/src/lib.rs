//! Cohesix host library: the manifest compiler, host probes, the queen simulator and the
//! `cohsh` console shell.
pub use cohesix_manifest as manifest;
pub use cohesix_probes as probes;
pub use cohesix_sim as sim;

pub mod shell;
