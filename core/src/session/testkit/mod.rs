//! Test kit (feature `testkit`): an in-memory queen model with an injected clock, and a
//! [`Pair`] harness that wires it to a [`Session`](super::Session) with no sockets.
//!
//! ```text
//!   Pair { client: Session, server: Server, now }
//!      client.poll_transmit ──frames──► server.handle_input(now, ..)
//!      client.handle_input  ◄─chunks─── server.poll_output(..)      (chunk size 1.. = any split)
//!      server closed + drained ──────► client.handle_close()
//!      Event::Closed ────────────────► server.disconnect()
//! ```
//!
//! The [`Server`] follows SRV (spec §1–§3) and the real-queen notes: no greeting, exact
//! `AUTH <token>` check, silent close on AUTH failure (or `ERR AUTH` first, configurable),
//! the attach decision sequence with the back-off throttle and failed-login rate limiter of
//! [`crate::attach_guard`] (the simulator's model too) in its own clock (§2.3, §8.6; SRV or
//! harness error strings), `OK PING reply=pong` + `PONG` (order
//! configurable), `HELP`/`BI` without end marker, streams ending in `END`, `ECHO` into
//! `/log/queen.log`, `SPAWN`/`KILL` with an optional bridge `ERR` after the `OK`, `QUIT`.
//! `ServerConfig::real_queen_reorder` adds the orderings measured on the real queen: ACKs
//! overtaking multi-line stream bodies, the `PONG` of a PING dropped while a body is pending,
//! and `OK QUIT` followed by the body without its `END`, then the close.
//! Adapters reuse it to run the same conformance scenarios over their own transports.
//! Like the rest of the core it is `no_std`, allocation-free and panic-free.

pub mod conformance;
mod pair;
mod server;

pub use conformance::{reference_transcript, ScenarioStep, Step, CONFORMANCE, SCENARIO};
pub use pair::{Pair, DRIVE_LIMIT};
pub use server::{role_secret, AuthFailure, Server, ServerConfig, SERVER_OUT_CAP, TOKEN};
