//! Cohesix manifest compiler (`coh-rtc`) library.
//!
//! Turns the root-task manifest TOML into the artefacts the rest of the stack is built from:
//!
//! ```text
//!  root_task.toml ──parse──► model::Manifest ──validate──► (first broken rule, with position)
//!        │  (toml + serde,          │ (defaults filled,
//!        │   deny_unknown_fields)   │  declaration order)
//!        │                          ├──► resolved JSON ──sha256──► manifest_sha256
//!        │                          ├──► tickets JSON  ──sha256──► TICKET_TABLE_SHA256
//!        │                          ├──► cohsh_policy.toml ─sha256► POLICY_SHA256
//!        └─ toml_edit spans ◄─ locate (KeyPath → line:column)
//!                                   ├──► bounds ──► /v1/meta/bounds document
//!                                   └──► codegen ──► generated/src/lib.rs (cohesix-generated)
//!                                          (model::Manifest::filled: unwritten 0.9 keys at
//!                                           their effective values; plus `constants`)
//! ```
//!
//! Both the 0.3-era manifests and the 0.9.0-beta manifest resolve to the bytes their upstream
//! compilers hashed (see [`model`] for how the optional 0.9 keys keep that true).
//! [`compile_str`] does everything in memory; [`Compiled::write_to`] writes the outputs.
//! The `coh-rtc` command line lives in the CLI package (`host/cli`).

pub mod bounds;
pub mod codegen;
pub mod constants;
pub mod error;
pub mod locate;
pub mod model;
pub mod resolve;
pub mod validate;

pub use error::ManifestError;
pub use model::Manifest;

use std::fs;
use std::path::Path;

/// Path of the generated Rust source, relative to an output directory.
pub const GENERATED_RS: &str = "src/lib.rs";
/// File name of the cohsh policy, relative to an output directory.
pub const POLICY_TOML: &str = "cohsh_policy.toml";

/// Everything derived from one manifest.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The validated, fully defaulted model.
    pub manifest: Manifest,
    /// Resolved JSON bytes (hashed into `manifest_sha256`).
    pub resolved_json: String,
    /// SHA-256 of [`Compiled::resolved_json`].
    pub manifest_sha256: String,
    /// SHA-256 of the compact tickets JSON.
    pub ticket_table_sha256: String,
    /// The cohsh policy file.
    pub policy_toml: String,
    /// SHA-256 of [`Compiled::policy_toml`].
    pub policy_sha256: String,
    /// Generated `cohesix-generated` source.
    pub generated_rs: String,
    /// File name of the resolved JSON (`<manifest stem>_resolved.json`).
    pub resolved_name: String,
}

impl Compiled {
    /// Writes `src/lib.rs`, the resolved JSON and `cohsh_policy.toml` under `out`.
    pub fn write_to(&self, out: &Path) -> Result<(), ManifestError> {
        let outputs = [
            (out.join(GENERATED_RS), self.generated_rs.as_str()),
            (out.join(&self.resolved_name), self.resolved_json.as_str()),
            (out.join(POLICY_TOML), self.policy_toml.as_str()),
        ];
        for (path, text) in outputs {
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir).map_err(|source| ManifestError::Write {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            fs::write(&path, text).map_err(|source| ManifestError::Write { path, source })?;
        }
        Ok(())
    }
}

/// Parses TOML text into the defaulted model. `file` names the source in errors.
pub fn parse_str(src: &str, file: &str) -> Result<Manifest, ManifestError> {
    toml::from_str::<Manifest>(src).map_err(|err| {
        let (line, column) = err
            .span()
            .map_or((1, 1), |span| locate::line_col(src, span.start));
        ManifestError::Parse {
            file: file.to_owned(),
            line,
            column,
            message: err.message().trim_end().replace('\n', "; "),
        }
    })
}

/// Parses and validates TOML text. `file` names the source in errors.
pub fn check_str(src: &str, file: &str) -> Result<Manifest, ManifestError> {
    let manifest = parse_str(src, file)?;
    validate::validate(&manifest).map_err(|v| {
        let (line, column) = locate::position_of(src, &v.key);
        ManifestError::Invalid {
            file: file.to_owned(),
            line,
            column,
            key: v.key.to_string(),
            rule: v.rule,
        }
    })?;
    Ok(manifest)
}

/// Parses, validates and derives every output. `file` names the source in errors and in the
/// generated header; its stem names the resolved JSON.
pub fn compile_str(src: &str, file: &str) -> Result<Compiled, ManifestError> {
    let manifest = check_str(src, file)?;
    let json_err = |e: serde_json::Error| ManifestError::Parse {
        file: file.to_owned(),
        line: 1,
        column: 1,
        message: format!("cannot serialise the resolved manifest: {e}"),
    };
    let resolved_json = resolve::resolved_json(&manifest).map_err(json_err)?;
    let manifest_sha256 = resolve::sha256_hex(resolved_json.as_bytes());
    let tickets = resolve::ticket_table_json(&manifest).map_err(json_err)?;
    let ticket_table_sha256 = resolve::sha256_hex(tickets.as_bytes());
    let policy_toml = resolve::cohsh_policy_toml(&manifest, &manifest_sha256);
    let policy_sha256 = resolve::sha256_hex(policy_toml.as_bytes());
    let hashes = codegen::Hashes {
        manifest: &manifest_sha256,
        ticket_table: &ticket_table_sha256,
        policy: &policy_sha256,
    };
    let generated_rs = codegen::render(&manifest, file, &hashes);
    let stem = Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("manifest");
    Ok(Compiled {
        resolved_name: format!("{stem}_resolved.json"),
        manifest,
        resolved_json,
        manifest_sha256,
        ticket_table_sha256,
        policy_toml,
        policy_sha256,
        generated_rs,
    })
}

/// Reads a manifest file and compiles it.
pub fn compile_file(path: &Path) -> Result<Compiled, ManifestError> {
    let label = display_path(path);
    let src = fs::read_to_string(path).map_err(|source| ManifestError::Read {
        file: label.clone(),
        source,
    })?;
    compile_str(&src, &label)
}

/// The path as shown in errors and headers (forward slashes).
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}
