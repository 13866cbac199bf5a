//! `coh evidence …` (host-surface §8.1–8.4, §8.6) on [`cohesix::evidence`].
//!
//! ```text
//! coh [transport] evidence pack --out DIR [--with-telemetry]     exit 0 packed, 1 aborted (no summary.json)
//! coh evidence timeline --in DIR                                  timeline.ndjson + timeline.md in DIR
//! coh evidence ci-summary --pack DIR [--out FILE]                 exit 0 ok, 2 not ok
//! coh evidence siem --pack DIR [--out FILE]                       NDJSON (stdout by default)
//! coh evidence summary --pack DIR --format markdown [--out FILE] [--decisions N]
//! ```
//!
//! Only `pack` talks to a target (the global transport flags); the others read the pack
//! directory. `pack` prints its audit lines (`OK CAT path=…`, `evidence pack saved=…`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use cohesix::backend::Backend;
use cohesix::evidence::{self, ci, markdown, siem, timeline, PackOptions};
use cohesix::Audit;

use super::Transport;

/// `coh evidence` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: EvidenceCommand,
}

/// `coh evidence` subcommands.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Capture a bounded, redacted evidence pack from the target.
    Pack {
        /// The pack directory (created; an earlier pack's summary.json is removed first).
        #[arg(long)]
        out: PathBuf,
        /// Pull telemetry segments too (coh.telemetry bounds).
        #[arg(long)]
        with_telemetry: bool,
    },
    /// Write timeline.ndjson and timeline.md into a pack.
    Timeline {
        /// The pack directory.
        #[arg(long = "in", alias = "input", value_name = "DIR")]
        input: PathBuf,
    },
    /// Check a pack for CI (exit 0 ok, 2 not ok), manifest hashes included.
    CiSummary {
        /// The pack directory.
        #[arg(long)]
        pack: PathBuf,
        /// Write the JSON here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Export a pack's audit entries and leases as SIEM NDJSON.
    Siem {
        /// The pack directory.
        #[arg(long)]
        pack: PathBuf,
        /// Write the NDJSON here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// A short human report of a pack (a CI job summary).
    Summary {
        /// The pack directory.
        #[arg(long)]
        pack: PathBuf,
        /// Output format.
        #[arg(long, value_enum)]
        format: Format,
        /// Write it here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// How many of the last decisions to list.
        #[arg(long, default_value_t = markdown::DEFAULT_LAST_DECISIONS)]
        decisions: usize,
    },
}

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// GitHub-flavoured Markdown.
    Markdown,
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("coh evidence: {e}");
    ExitCode::from(1)
}

/// Writes `text` to `out` atomically, or to stdout.
fn emit(out: Option<&Path>, text: &str) -> Result<(), cohesix::Error> {
    match out {
        Some(p) => cohesix::json::write_atomic(p, text.as_bytes()),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// Runs `coh evidence`.
#[must_use]
pub fn run(transport: &Transport, args: &Args) -> ExitCode {
    match &args.command {
        EvidenceCommand::Pack {
            out,
            with_telemetry,
        } => pack(transport, out, *with_telemetry),
        EvidenceCommand::Timeline { input } => match timeline::write(input) {
            Ok(t) => {
                println!(
                    "evidence timeline events={} saved={} {}",
                    t.events.len(),
                    input.join(timeline::TIMELINE_NDJSON).display(),
                    input.join(timeline::TIMELINE_MD).display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        EvidenceCommand::CiSummary { pack, out } => {
            let s = ci::check(pack, &pack.display().to_string());
            let text = format!("{}\n", s.to_json());
            if let Err(e) = emit(out.as_deref(), &text) {
                return fail(&e);
            }
            if s.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            }
        }
        EvidenceCommand::Siem { pack, out } => match siem::export(pack) {
            Ok(x) => match emit(out.as_deref(), &x.to_ndjson()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            },
            Err(e) => fail(&e),
        },
        EvidenceCommand::Summary {
            pack,
            format: Format::Markdown,
            out,
            decisions,
        } => {
            let text = markdown::report(pack, &pack.display().to_string(), *decisions);
            match emit(out.as_deref(), &text) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            }
        }
    }
}

fn pack(transport: &Transport, out: &Path, with_telemetry: bool) -> ExitCode {
    if let Some(p) = &transport.policy {
        if let Err(e) = evidence::check_policy_file(p) {
            return fail(&e);
        }
    }
    let spec = match transport.spec() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("coh: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&e),
    };
    let options = PackOptions::new(out).with_telemetry(with_telemetry);
    let audit = Audit::new();
    let result = rt.block_on(async {
        let backend = spec.open().map_err(|e| e.to_string())?;
        let r = evidence::pack(&backend, &options, &audit).await;
        let _ = backend.close().await;
        r.map_err(|e| e.to_string())
    });
    for line in audit.lines() {
        println!("{line}");
    }
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}
