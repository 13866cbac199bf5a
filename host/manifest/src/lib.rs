//! Cohesix manifest compiler (coh-rtc) library (in progress)
