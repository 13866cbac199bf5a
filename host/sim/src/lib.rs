//! Cohesix queen simulator: a loopback TCP console with the real queen's observable
//! behaviour, over a transport-independent namespace model.
//!
//! ```text
//!   TCP client ──frames──► server   (tokio: one client, silent AUTH failures, framing
//!                              │      with ERR FRAME + discard, inbound queue of 8)
//!                              │ frame payloads
//!                              ▼
//!                          console  (cohesix_core parser, verbs, ATTACH guard + tickets,
//!                              │      scopes/bandwidth, refusal shapes, CAT preview)
//!                              │ list / read / tail / append
//!                              ▼
//!                          namespace (pure model; reused by mock backends)
//! ```
//!
//! * [`server`]: [`Simulator::spawn`] → [`SimHandle`] (`local_addr`, `shutdown`).
//! * [`console`]: one payload in, reply lines out; no I/O.
//! * [`guard`]: ATTACH back-off throttle and failed-login rate limiter (server-wide).
//! * [`namespace`]: the file tree, with [`namespace::Features`] choosing the real
//!   0.3.0-alpha2 surfaces ([`Features::shipped`]) or every 0.9 surface ([`Features::full`]).
//! * [`clock`]: time source; tests inject a [`ManualClock`].
//! * The `coh-queen` binary lives in the CLI package (`host/cli`).
//!
//! ```
//! use cohesix_sim::namespace::{Caller, Features, Namespace};
//!
//! let mut ns = Namespace::new(Features::shipped(), 0);
//! ns.append("/queen/lifecycle/ctl", "cordon", &Caller::queen(10))?;
//! assert_eq!(ns.read("/proc/lifecycle/state", 10)?, vec!["state=DRAINING"]);
//! # Ok::<(), cohesix_sim::namespace::NsError>(())
//! ```

pub mod clock;
pub mod config;
pub mod console;
pub mod guard;
pub mod namespace;
pub mod preview;
pub mod serve;
pub mod server;

pub use clock::{Clock, ManualClock, WallClock};
pub use config::{AuthToken, SecretTable, SimConfig};
pub use namespace::{Features, Namespace};
pub use serve::{SessionEnd, SimCore};
pub use server::{SimHandle, Simulator};
