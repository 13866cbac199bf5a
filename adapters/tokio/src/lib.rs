//! Tokio driver of the Cohesix console core.
//!
//! The adapter holds no protocol logic. It owns a transport (a `TcpStream` by default, or
//! any `AsyncRead + AsyncWrite + Unpin` stream given to [`Client::with_stream`]) and a
//! [`cohesix_core::session::Session`] and only moves bytes between them, sleeping until the
//! session's next deadline:
//!
//! ```text
//!   caller ──ls/cat/echo/…──► Client ──Request──► core Session ──frames──┐
//!      ▲                        │  (client.rs, verbs.rs)                  │ poll_transmit
//!      │ Reply / ClientError    │                                         ▼
//!      └──── owned replies ◄── Pump (driver.rs) ◄──handle_input── S: TcpStream (NODELAY) | any stream
//!                               │ sleep_until(poll_timeout) → handle_timeout
//!                               └ EOF/reset → handle_close → reconnect: AUTH + ATTACH again
//! ```
//!
//! * [`Client::connect`] writes `AUTH` in the first write after the TCP connect, then
//!   `ATTACH` (role + optional ticket) once `OK AUTH` arrives. [`Client::with_stream`] does
//!   the same over a stream the caller opened (no reconnects); `tests/conformance.rs` runs
//!   the core's shared conformance scenario through it over `tokio::io::duplex`.
//! * The `OK ATTACH` line ([`Client::attach_ack`]), an `ERR ATTACH` refusal
//!   ([`ClientError::Refused`]) and the `OK QUIT` line ([`Client::quit`]) are the lines the
//!   queen sent, delivered raw by the core session.
//! * Typed calls for every verb ([`Client::ls`], [`Client::echo`], …) return a [`Reply`]
//!   (ack fields + data lines) or a [`ClientError`].
//! * [`Client::pipeline`] keeps up to 8 requests in flight; [`Client::echo_batch`] reports
//!   per line whether a write was committed, refused, unknown or not sent.
//! * After a drop the client reconnects (AUTH + ATTACH) and re-submits only idempotent
//!   reads; a write whose ack was not seen is [`ClientError::OutcomeUnknown`].
//! * Every async method is cancel-safe: dropping its future loses no bytes and leaves the
//!   client usable, because all state lives in the session and the client's buffers.
//! * Tracing: spans `cohesix.connect`, `cohesix.request`, `cohesix.pipeline`; the token and
//!   ticket are never logged (the core's `Credentials` redacts them in `Debug`).

mod client;
pub mod config;
mod driver;
pub mod error;
pub mod reply;
mod verbs;

pub use client::{BatchReport, Client, LineOutcome, MAX_PIPELINE};
pub use cohesix_core::request::Request;
pub use cohesix_core::role::Role;
pub use cohesix_core::session::Credentials;
pub use config::{ClientConfig, RetryPolicy};
pub use error::ClientError;
pub use reply::{Ack, AckStatus, Reply};
