//! The `coh-rtc` command line.
//!
//! ```text
//! coh-rtc compile <manifest> --out <dir>   write src/lib.rs, <stem>_resolved.json, cohsh_policy.toml
//! coh-rtc hash <manifest>                  print manifest_sha256
//! coh-rtc check <manifest>                 validate only
//! ```
//!
//! Exit codes: [`EXIT_OK`] 0, [`EXIT_INVALID`] 1 (the manifest cannot be read or is invalid;
//! nothing is written), [`EXIT_USAGE`] 2 (bad arguments), [`EXIT_WRITE`] 3 (an output could not
//! be written).

use clap::{Parser, Subcommand};
use cohesix_manifest::{check_str, compile_file, display_path, ManifestError};
use std::ffi::OsString;
use std::path::PathBuf;

/// Success.
pub const EXIT_OK: i32 = 0;
/// The manifest is unreadable or invalid.
pub const EXIT_INVALID: i32 = 1;
/// Bad command-line usage.
pub const EXIT_USAGE: i32 = 2;
/// An output file could not be written.
pub const EXIT_WRITE: i32 = 3;

/// The `coh-rtc` command line.
#[derive(Debug, Parser)]
#[command(
    name = "coh-rtc",
    version = crate::VERSION,
    about = "Cohesix manifest compiler: manifest TOML -> generated bounds, resolved JSON, hashes"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a manifest and write the generated source, resolved JSON and cohsh policy.
    Compile {
        /// Manifest TOML.
        manifest: PathBuf,
        /// Output directory (receives src/lib.rs, <stem>_resolved.json, cohsh_policy.toml).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the manifest's manifest_sha256 on one line.
    Hash {
        /// Manifest TOML.
        manifest: PathBuf,
    },
    /// Validate a manifest without writing anything.
    Check {
        /// Manifest TOML.
        manifest: PathBuf,
    },
}

fn exit_code(err: &ManifestError) -> i32 {
    match err {
        ManifestError::Write { .. } => EXIT_WRITE,
        _ => EXIT_INVALID,
    }
}

/// Runs `coh-rtc` with `args` (program name first); returns the process exit code.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_OK
            };
            let _ = err.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Compile { manifest, out } => compile_file(&manifest).and_then(|c| {
            c.write_to(&out)?;
            println!("{}", c.manifest_sha256);
            Ok(())
        }),
        Command::Hash { manifest } => compile_file(&manifest).map(|c| {
            println!("{}", c.manifest_sha256);
        }),
        Command::Check { manifest } => {
            let label = display_path(&manifest);
            std::fs::read_to_string(&manifest)
                .map_err(|source| ManifestError::Read {
                    file: label.clone(),
                    source,
                })
                .and_then(|src| check_str(&src, &label))
                .map(|_| ())
        }
    };
    match result {
        Ok(()) => EXIT_OK,
        Err(err) => {
            eprintln!("coh-rtc: {}", crate::report::chain(&err));
            exit_code(&err)
        }
    }
}
