//! Cohesix host library (in progress).
pub use cohesix_manifest as manifest;
pub use cohesix_probes as probes;
pub use cohesix_sim as sim;
