//! `coh evidence …` (host-surface §8.1–8.4, §8.6).

use std::process::ExitCode;

use super::Transport;

/// `coh evidence` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `coh evidence`.
#[must_use]
pub fn run(_transport: &Transport, _args: &Args) -> ExitCode {
    eprintln!("coh evidence: not built yet");
    ExitCode::from(1)
}
