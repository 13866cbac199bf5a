//! Cohesix console protocol core: sans-IO, `no_std`, allocation-free, panic-free.
//!
//! The core never touches a socket or a clock: adapters (tokio, embassy) move bytes and time
//! in and out, the core turns them into typed requests, replies and errors.
//!
//! ```text
//!   caller                                             queen (TCP console)
//!     |  Request::ls("/proc")                                ^
//!     v                                                      |
//!  request ──write_line──> "LS /proc" ──frame::encode_frame──┘  u32 LE len + line
//!                                                             |
//!  reply::classify <──frame() ── FrameDecoder<N>::push <──────┘  arbitrary chunks
//!     |  Line::Ack / Line::End / Line::Text
//!     v
//!  session (state machine, reply assembly)   ticket (claims, MAC)   role
//!
//!  server side (simulator, tests):  payload ──command::parse_command──> Command | ParseError
//! ```
//!
//! * [`frame`]: frame encoder and incremental decoder (spec §1).
//! * [`verb`]: the verb table, every protocol fact about each console verb (spec §3.2).
//! * [`request`]: checked request builders, wire-line rendering (spec §3.2).
//! * [`path`]: client-side path validation (spec §5.1).
//! * [`reply`]: ACK/END/text classification and `key=value` detail parsing (spec §3.3).
//! * [`command`]: SRV-compatible console line parser (spec §1.4, §3.1).
//! * [`control`]: typed control payloads (schedule, lease, export, approval, host tickets, K8s
//!   intents, `/queen/ctl`, GPU lease and breadcrumb, telemetry records) and the typed
//!   `/proc/schedule/*` and `/proc/lease/*` lines (host-surface §2-§4, §7.3, §8.5).
//! * [`error`]: error taxonomy grouped by who must act.
//! * [`attach_guard`]: the queen's ATTACH back-off throttle and failed-login rate limiter
//!   (server side: simulator and test kit).
//! * [`lifecycle`]: node lifecycle states, control words and the one transition table.
//! * [`session`]: the sans-IO client session (AUTH, ATTACH, requests, reply assembly).
//! * [`ticket`]: ticket claims, MAC, mint/verify and normalisation (spec §4).
//! * [`role`]: console roles (spec §2.3).
#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

pub mod attach_guard;
pub mod command;
pub mod control;
pub mod error;
mod error_source;
pub mod frame;
pub mod lifecycle;
pub mod path;
pub mod reply;
pub mod request;
pub mod role;
pub mod session;
pub mod ticket;
pub mod verb;
