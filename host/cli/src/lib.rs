//! The Cohesix command-line tools, as one package: every binary and the CLI-only modules.
//!
//! ```text
//!  bin/cohsh ────────────► shell/    console shell (.coh scripts, interactive, bench)
//!  bin/coh-queen ────────► queen     simulator flags and runtime (cohesix-sim)
//!  bin/coh-rtc ──────────► rtc       manifest compiler front end (cohesix-manifest)
//!  bin/cohesix-snapshot ─► snapshot  host probes front end (cohesix-probes)
//!  bin/hive-gateway ─────► gateway   REST gateway flags and runtime (cohesix-gateway)
//! ```
//!
//! Only this package depends on clap, rustyline and tracing-subscriber; the libraries it
//! drives stay free of command-line baggage.

pub mod gateway;
pub mod queen;
pub mod rtc;
pub mod shell;
pub mod snapshot;
