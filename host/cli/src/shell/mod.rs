//! The `cohsh` console shell as a library.
//!
//! ```text
//!  cohsh (bin) ──► cli.rs (flags, transports) ──► Shell<Backend, Write>
//!                    │  command.rs   shell language → ShellCommand
//!                    │  script.rs    `.coh` statements (EXPECT / WAIT)
//!                    │  runner.rs    execution, printing, ACK transcript
//!                    │  telemetry.rs `telemetry push` records
//!                    ▼
//!                  Backend (backend.rs) ── TcpBackend (tcp.rs) ── cohesix_tokio::Client
//!  auth.rs  console-token resolution (placeholder opt-in)
//!  mint.rs  `--mint-ticket` secrets lookup
//!  bench.rs `cohsh bench ping` statistics
//! ```
//!
//! The shell holds no wire logic: it maps its commands to [`Op`]s and prints what the
//! client returns.

pub mod auth;
pub mod backend;
pub mod bench;
pub mod cli;
pub mod command;
pub mod interactive;
pub mod mint;
#[cfg(feature = "rest")]
pub mod rest;
pub mod runner;
pub mod script;
pub mod tcp;
pub mod telemetry;

pub use backend::{Backend, Op};
pub use command::{ShellCommand, UsageError};
pub use runner::{Flow, Outcome, ScriptReport, Shell, ShellError};
pub use script::{Expect, Script, ScriptError, Statement};
pub use tcp::{TcpBackend, Token};
