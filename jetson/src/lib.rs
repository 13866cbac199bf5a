//! Jetson-side GPU worker agent for Cohesix: `no_std`, allocation-free.
//!
//! The agent attaches to the queen's TCP console as `worker-gpu` with a minted ticket, polls
//! `/gpu/<id>/lease`, runs a job while the lease is `ACTIVE`, and appends `gpu-breadcrumb/v1`
//! START/EXIT lines to `/gpu/<id>/status`. Breadcrumbs wait in a bounded postcard spool until the
//! queen acknowledged them, so a queen restart loses nothing (oldest dropped, counted, when full).
//!
//! ```text
//!            ┌──────────────────────── cohesix-jetson (this crate, no_std) ──────────────┐
//!            │ config ─▶ tracker (lease → START/EXIT) ─▶ spool (postcard, bounded)      │
//!            │                 ▲                               │                         │
//!            │            schema::Lease                 schema::Breadcrumb               │
//!            └─────────────────┼───────────────────────────────┼─────────────────────────┘
//!                      cat /gpu/<id>/lease            echo /gpu/<id>/status <json>
//!            ┌─────────────────┴───────────────────────────────┴─────────────────────────┐
//!            │ cohesix-embassy client (embedded-io-async)  ─drives─▶  cohesix-core session │
//!            └──────────────────────────────────┬─────────────────────────────────────────┘
//!                    embassy-net TcpSocket (smoltcp) over TAP (host) or a MAC driver (MCU)
//! ```
//!
//! Modules: [`schema`] (the agent's view of the two JSON documents, whose wire formats are
//! `cohesix_core::control::gpu`), [`spool`] (unsent breadcrumbs),
//! [`tracker`] (lease state machine), [`config`], [`agent`] (the loop), [`net`] (embassy-net
//! link).
#![no_std]
#![forbid(unsafe_code)]

pub mod agent;
pub mod config;
mod errors;
pub mod net;
pub mod schema;
pub mod spool;
pub mod tracker;

pub use agent::{Agent, Cycle, Link, LinkError, MinimalAgent, SetupError, Stats};
pub use config::{AgentConfig, AttachAs, ConfigError};
pub use schema::{Breadcrumb, Lease, LeaseError, LeaseState};
pub use spool::Spool;
pub use tracker::{LeaseTracker, NullWorkload, Workload};
#[cfg(test)]
extern crate std;
