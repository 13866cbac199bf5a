//! Embassy / embedded-io drivers of the Cohesix console core (in progress)
