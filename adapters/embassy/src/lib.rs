//! Embassy / embedded-io drivers of the Cohesix console core.
//!
//! Two thin clients move bytes between a transport and the sans-IO
//! [`cohesix_core::session::Session`]; neither contains protocol logic (AUTH/ATTACH ordering,
//! reply assembly, fences, heartbeats and deadlines all live in the core).
//!
//! ```text
//!   app ──request()/ping()/connect()──▶ Client (async, embedded-io-async + embassy-time)
//!                                        │        BlockingClient (embedded-io + Clock, nb poll)
//!                                        ▼
//!                               driver: rx window ◀── read ── TcpSocket / UART / ...
//!                                       tx frame  ─── write ─▶
//!                                        │  handle_input / poll_transmit / poll_event
//!                                        ▼  handle_timeout / poll_timeout / handle_close
//!                               cohesix_core::session::Session (no I/O, no clock, no heap)
//! ```
//!
//! * Storage: [`Buffers`] (`const fn new`, sized by const generics from the generated console
//!   bounds) is supplied by the caller, typically from a `static`. No allocation, no panics.
//! * Session size: both clients are generic over the core session's capacities
//!   (`Session<Q, W, E>`, inferred from the session passed to `new`); the defaults are the
//!   host defaults, and [`MinimalClient`] / [`MinimalBlockingClient`] take a
//!   `cohesix_core::session::MinimalSession` (`max_in_flight == 1`) for RAM-tight MCUs.
//! * Time: the async client reads `embassy_time::Instant`; the blocking client asks a
//!   [`blocking::Clock`]. Every wait is bounded by the caller's deadline and the core's timers.
//! * Logging: feature `defmt` and/or feature `log` (additive, both may be on).
//! * Version pin: `embedded-io`/`embedded-io-async` **0.7**, the version embassy-net 0.9
//!   implements for `TcpSocket`.
//!
//! Cancel safety of the async API is documented in [`asynch`].
#![no_std]
#![forbid(unsafe_code)]

mod driver;
mod fmt;

pub mod asynch;
pub mod blocking;
pub mod error;
pub mod reply;

pub use asynch::{Client, MinimalClient};
pub use blocking::{BlockingClient, Clock, MinimalBlockingClient};
pub use driver::{Buffers, DEFAULT_RX_LEN};
pub use error::Error;
pub use reply::Reply;
