//! `hive-gateway`: the REST gateway that owns a Cohesix queen's console and shares it,
//! fairly, with every client.
//!
//! ```text
//!  HTTP clients ─► axum router ─► auth (before the body) ─► validation (§5.9 messages, 400)
//!  (REST backend,      │                                        │
//!   cohsh --rest-url,  │ access log + metrics                   ▼
//!   curl, Python)      │                    /proc cache (250 ms) ─► FairQueue (per-client
//!                      ▼                                            queues, round robin,
//!                  /metrics, /v1/openapi.yaml                       429 = never sent)
//!                                                                      │ permit
//!                                                                      ▼
//!                                       cohesix_tokio::Console (≤ 8 pipelined, heartbeat,
//!                                       reconnect 200 ms → 2 s) ── TCP ─► queen  | in-process mock
//! ```
//!
//! Upstream's queen serves one client at a time, so its documentation told operators never
//! to run `cohsh`, the gateway and a script together. This gateway is the console's one
//! owner and multiplexes everyone onto it:
//!
//! * [`routes`]: host-surface §5.9's routes, shapes, field order, messages and status
//!   codes, plus `/metrics` and `/docs`; the OpenAPI document is generated from the same
//!   definitions.
//! * [`auth`]: the request token, checked by an extractor that runs before the body is read;
//!   every route needs it unless `--public-reads` opens the reads.
//! * [`fair`]: the fair queue; [`cache`]: the `/proc` read cache; [`sessions`]: the console
//!   session(s); [`bounds`]: the bounds document and the limits enforced from it.
//! * [`startup`]: §5.9's start-up rules; [`config`]: everything configurable.
//! * [`serve()`]/[`start`]: serving with graceful shutdown.
//!
//! A client is identified (its *principal*, for fairness) by its connection: peer address
//! and port. Every queue is bounded and so is the total, so opening more connections buys
//! a client more turns but never unbounded memory.

mod access;
pub mod auth;
pub mod bounds;
pub mod cache;
pub mod config;
pub mod fair;
pub mod metrics;
mod ops;
pub mod response;
pub mod routes;
pub mod serve;
pub mod sessions;
pub mod startup;
mod state;
pub mod validate;

pub use access::REQUEST_ID;
pub use bounds::Bounds;
pub use config::{ConsoleSpec, GatewayConfig};
pub use ops::{ReadVerb, LS_BUDGET};
pub use response::{EchoOutcome, GatewayResponse};
pub use serve::{serve, start, Running};
pub use startup::{StartupError, StartupOptions};
pub use state::{BrokerStatus, Gateway, GatewayError, StatusDoc};
