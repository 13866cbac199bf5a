//! Jetson-side GPU worker agent for Cohesix (in progress)
