//! Tokio driver of the Cohesix console core.
//!
//! The adapter holds no protocol logic: it owns a transport and one
//! [`cohesix_core::session::Session`] and only moves bytes and time between them.
//!
//! ```text
//!   tasks ──ls/cat/echo/…──► Console (Clone, &self) ──bounded mpsc──► Driver (one task)
//!     ▲                                                                  │ owned requests,
//!     │ Reply / ReplyStream / ClientError (oneshot / channel)            │ FIFO, ≤ 8 in flight
//!     └──────────────────────────────────────────────────────────────────┤
//!                                                  Pump (pump.rs) ◄──────┘
//!                      handle_input / poll_transmit / handle_timeout  ▲ ▼  core Session
//!                                                  Connector (TCP, duplex, any stream)
//! ```
//!
//! * [`Console`]: the shared, cloneable handle (`Send + Sync`, `&self` methods, every future
//!   `Send`). Its [`Driver`] pipelines requests from all callers through the one session,
//!   keeps the connection alive with the session's heartbeat, reconnects through a
//!   [`Connector`] with back-off, re-sends only idempotent reads, and bounds every request
//!   by a whole-request deadline and every reply by a byte budget
//!   ([`Console::stream`] for more). A caller waiting on its reply polls the connection
//!   itself on the driver's runtime (writing its request and reading its reply on its own
//!   thread, no task hand-off); the driver task polls it whenever nobody waits. See
//!   [`console`] for the full contract.
//! * [`Client`]: an eager-connecting `&mut` facade over one console (connect errors come
//!   from the constructor), for shells and one-shot tools.
//! * [`Ack`] keeps the queen's line as received and reads it with the core's reply parser;
//!   [`Lines`] stores data lines compactly.
//! * Tracing: span `cohesix.console` per driver; the token and ticket are never logged (the
//!   core's `Credentials` redacts them in `Debug`).

mod alarm;
mod client;
pub mod config;
pub mod connector;
pub mod console;
pub mod error;
mod idmap;
mod owned;
mod pump;
pub mod reply;
mod verbs;

pub use client::Client;
pub use cohesix_core::request::Request;
pub use cohesix_core::role::Role;
pub use cohesix_core::session::Credentials;
pub use config::{ClientConfig, RetryPolicy};
pub use connector::{Connector, FnConnector, OnceConnector, TcpConnector};
pub use console::{
    BatchReport, Console, ConsoleStatus, Driver, LineOutcome, ReplyStream, MAX_PIPELINE,
};
pub use error::ClientError;
pub use reply::{Ack, AckStatus, Lines, Reply};
