//! Cohesix host library.
//!
//! Re-exports the host-side building blocks (manifest compiler, host probes, queen
//! simulator); the console handle, backends and orchestrator grow here.
pub use cohesix_manifest as manifest;
pub use cohesix_probes as probes;
pub use cohesix_sim as sim;
