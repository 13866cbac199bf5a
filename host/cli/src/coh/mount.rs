//! `coh mount` (host-surface §5.2).

use std::process::ExitCode;

use super::Transport;

/// `coh mount` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `coh mount`.
#[must_use]
pub fn run(_transport: &Transport, _args: &Args) -> ExitCode {
    eprintln!("coh mount: not built yet");
    ExitCode::from(1)
}
