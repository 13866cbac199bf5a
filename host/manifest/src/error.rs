//! Compiler errors. Every error names the manifest file; parse and rule errors also carry the
//! 1-based line and column of the offending key or value.

use core::fmt;
use std::io;
use std::path::PathBuf;

/// Why a manifest could not be compiled.
#[derive(Debug)]
#[non_exhaustive]
pub enum ManifestError {
    /// The manifest file could not be read (caller: fix the path or permissions).
    Read {
        /// Manifest path as given.
        file: String,
        /// Underlying I/O error.
        source: io::Error,
    },
    /// The TOML is malformed or does not fit the model: syntax, unknown key, wrong type,
    /// missing required key (config: fix the manifest).
    Parse {
        /// Manifest path as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (characters).
        column: usize,
        /// What the TOML reader reported.
        message: String,
    },
    /// The manifest parsed but breaks a validation rule (config: fix the manifest).
    Invalid {
        /// Manifest path as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (characters).
        column: usize,
        /// Dotted key the rule is about, e.g. `secure9p.walk_depth` or `tickets[1].role`.
        key: String,
        /// The rule broken.
        rule: String,
    },
    /// An output could not be written (resource: fix the output directory).
    Write {
        /// Output path.
        path: PathBuf,
        /// Underlying I/O error.
        source: io::Error,
    },
}

impl ManifestError {
    /// `(line, column)` for parse and rule errors.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            ManifestError::Parse { line, column, .. }
            | ManifestError::Invalid { line, column, .. } => Some((*line, *column)),
            ManifestError::Read { .. } | ManifestError::Write { .. } => None,
        }
    }

    /// The rule text of an [`ManifestError::Invalid`] error.
    pub fn rule(&self) -> Option<&str> {
        match self {
            ManifestError::Invalid { rule, .. } => Some(rule),
            _ => None,
        }
    }

    /// True when the manifest itself (not the file system) is at fault.
    pub fn is_invalid_manifest(&self) -> bool {
        matches!(
            self,
            ManifestError::Parse { .. } | ManifestError::Invalid { .. }
        )
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::Read { file, source } => write!(f, "{file}: cannot read: {source}"),
            ManifestError::Parse {
                file,
                line,
                column,
                message,
            } => write!(f, "{file}:{line}:{column}: {message}"),
            ManifestError::Invalid {
                file,
                line,
                column,
                key,
                rule,
            } => write!(f, "{file}:{line}:{column}: {key}: {rule}"),
            ManifestError::Write { path, source } => {
                write!(f, "{}: cannot write: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for ManifestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ManifestError::Read { source, .. } | ManifestError::Write { source, .. } => {
                Some(source)
            }
            _ => None,
        }
    }
}
