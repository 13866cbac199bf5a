//! Cohesix queen simulator and namespace model (in progress)
