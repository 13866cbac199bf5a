//! Tokio driver of the Cohesix console core (in progress)
