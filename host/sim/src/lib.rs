//! Cohesix queen simulator: a loopback TCP console with the real queen's observable
//! behaviour, over a transport-independent namespace model, also servable in process over
//! any byte stream.
//!
//! ```text
//!   TCP client ──► server (accept loop: RST while busy, accept back-off, bounded shutdown)
//!                    │
//!   duplex / any  ──►┴► serve::SimCore::serve  (one client, silent AUTH failures, framing
//!   AsyncRead+Write        │   with ERR FRAME + discard, inbound queue of 8, AUTH / idle /
//!                          │   write deadlines)
//!                          │ frame payloads
//!                          ▼
//!                      console  (cohesix_core parser, verbs, ATTACH guard + tickets,
//!                          │      scopes/bandwidth, refusal shapes, CAT preview)
//!                          │ list / read / tail / append
//!                          ▼
//!                      namespace (pure model, every collection bounded)
//! ```
//!
//! * [`server`]: [`Simulator::spawn`] → [`SimHandle`] (`local_addr`, `core`, `shutdown`).
//! * [`serve`]: [`SimCore`] (`new`, `serve(stream)`, `console`, `shutdown`) — the in-process
//!   path a mock backend uses, the same code as TCP.
//! * [`fleet`]: [`Fleet::spawn`] — N independent queens on N ports (`coh-queen --queens`).
//! * [`console`]: one payload in, reply lines out; no I/O.
//! * ATTACH back-off throttle and failed-login rate limiter: [`cohesix_core::attach_guard`]
//!   (one guard per server, so it survives reconnects).
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
pub mod fleet;
pub mod namespace;
pub mod preview;
pub mod serve;
pub mod server;

pub use clock::{Clock, ManualClock, WallClock};
pub use config::{AuthToken, SecretTable, SimConfig};
pub use fleet::{Fleet, FleetError, MAX_QUEENS};
pub use namespace::{Features, Namespace};
pub use serve::{SessionEnd, SimCore};
pub use server::{SimHandle, Simulator};
