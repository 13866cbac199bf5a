//! The bounds document (`GET /v1/meta/bounds`) and the limits the gateway enforces from it.
//!
//! The document is the compiled one, byte for byte: by default
//! [`cohesix_generated::meta_bounds::JSON`] (what `coh-rtc` emitted from
//! `configs/root_task.toml`), or [`cohesix_manifest::bounds::meta_bounds_json`] of a manifest
//! named at start-up. Its field order is host-surface §5.9's. The gateway parses the same text
//! once for the values it validates requests with ([`Limits`]), so the document served and the
//! rules applied can never disagree.
//!
//! Where the target's own manifest hash can be read (a `manifest.sha256=<64 hex>` line of
//! the queen's log, which it writes at boot, still in the `LOG` snapshot), the served document gains one more field
//! at the end, `target_manifest_sha256`; `manifest_sha256` stays the compiled one. Both are
//! named, so a client can compare them.

use serde::Deserialize;

/// Errors building a bounds document.
#[derive(Debug)]
#[non_exhaustive]
pub enum BoundsError {
    /// The document is not the §5.9 shape.
    Shape(serde_json::Error),
    /// The manifest could not be compiled.
    Manifest(cohesix_manifest::ManifestError),
}

impl core::fmt::Display for BoundsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Shape(e) => write!(f, "bounds document is not the /v1/meta/bounds shape: {e}"),
            Self::Manifest(e) => write!(f, "manifest: {e}"),
        }
    }
}

impl std::error::Error for BoundsError {}

/// `console` limits.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct ConsoleLimits {
    /// Longest console line.
    pub max_line_len: usize,
    /// Longest path.
    pub max_path_len: usize,
    /// Longest echo payload.
    pub max_echo_len: usize,
}

/// `secure9p` limits.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct Secure9pLimits {
    /// Most path components.
    pub walk_depth: usize,
}

/// `paths` (the control files).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct PathLimits {
    /// Schedule control file.
    pub queen_schedule_ctl: String,
    /// Lease control file.
    pub queen_lease_ctl: String,
    /// Export control file.
    pub queen_export_ctl: String,
    /// Policy control file.
    pub policy_ctl: String,
}

/// One control surface: enabled, and its write bound.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct ControlLimit {
    /// Whether writes are accepted.
    pub enable: bool,
    /// Largest payload.
    pub ctl_max_bytes: usize,
}

/// `control_plane`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct ControlPlaneLimits {
    /// Schedule.
    pub schedule: ControlLimit,
    /// Lease.
    pub lease: ControlLimit,
    /// Export.
    pub export: ControlLimit,
}

/// `observability.proc_schedule`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct ProcScheduleLimits {
    /// `/proc/schedule/summary` served.
    pub summary: bool,
    /// `/proc/schedule/queue` served.
    pub queue: bool,
    /// Its read bound.
    pub summary_bytes: usize,
    /// Its read bound.
    pub queue_bytes: usize,
}

/// `observability.proc_lease`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct ProcLeaseLimits {
    /// `/proc/lease/summary` served.
    pub summary: bool,
    /// `/proc/lease/active` served.
    pub active: bool,
    /// `/proc/lease/preemptions` served.
    pub preemptions: bool,
    /// Its read bound.
    pub summary_bytes: usize,
    /// Its read bound.
    pub active_bytes: usize,
    /// Its read bound.
    pub preemptions_bytes: usize,
}

/// `observability`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct ObservabilityLimits {
    /// Schedule nodes.
    pub proc_schedule: ProcScheduleLimits,
    /// Lease nodes.
    pub proc_lease: ProcLeaseLimits,
}

/// The values of the bounds document the gateway enforces.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Limits {
    /// Console limits.
    pub console: ConsoleLimits,
    /// Secure9P limits.
    pub secure9p: Secure9pLimits,
    /// Control files.
    pub paths: PathLimits,
    /// Control-plane surfaces.
    pub control_plane: ControlPlaneLimits,
    /// Policy surface.
    pub policy: ControlLimit,
    /// `/proc` read bounds.
    pub observability: ObservabilityLimits,
}

/// The bounds document and its parsed limits.
#[derive(Clone, Debug)]
pub struct Bounds {
    json: String,
    limits: Limits,
}

impl Bounds {
    /// The compiled document of `cohesix-generated`.
    ///
    /// # Errors
    /// [`BoundsError::Shape`] if the generated constant is not the §5.9 shape (the manifest
    /// crate's round-trip test and ours keep it so).
    pub fn generated() -> Result<Self, BoundsError> {
        Self::from_json(cohesix_generated::meta_bounds::JSON)
    }

    /// A document from its JSON text (kept byte for byte).
    ///
    /// # Errors
    /// [`BoundsError::Shape`] when a field the gateway needs is missing.
    pub fn from_json(json: &str) -> Result<Self, BoundsError> {
        let limits: Limits = serde_json::from_str(json).map_err(BoundsError::Shape)?;
        Ok(Self {
            json: json.to_owned(),
            limits,
        })
    }

    /// The document of a manifest file (compiled in memory, hashed like `coh-rtc`).
    ///
    /// # Errors
    /// [`BoundsError::Manifest`] when it does not compile.
    pub fn from_manifest(path: &std::path::Path) -> Result<Self, BoundsError> {
        let compiled = cohesix_manifest::compile_file(path).map_err(BoundsError::Manifest)?;
        let json = cohesix_manifest::bounds::meta_bounds_json(
            &compiled.manifest,
            &compiled.manifest_sha256,
        )
        .map_err(BoundsError::Shape)?;
        Self::from_json(&json)
    }

    /// The document as compiled.
    #[must_use]
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The limits enforced.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The document with `target_manifest_sha256` appended when the target's hash is known.
    #[must_use]
    pub fn document(&self, target_sha256: Option<&str>) -> String {
        match (target_sha256, self.json.strip_suffix('}')) {
            (Some(sha), Some(head)) if is_sha256(sha) => {
                format!("{head},\"target_manifest_sha256\":\"{sha}\"}}")
            }
            _ => self.json.clone(),
        }
    }
}

/// Whether `s` is 64 lowercase hex digits.
#[must_use]
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The first `manifest.sha256=<64 hex>` in `lines` (the queen's boot log line).
#[must_use]
pub fn find_manifest_sha<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<String> {
    lines.into_iter().find_map(|line| {
        let (_, rest) = line.split_once("manifest.sha256=")?;
        let hex: String = rest.chars().take(64).collect();
        is_sha256(&hex).then_some(hex)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_document_parses_and_is_kept_verbatim() {
        let b = Bounds::generated().unwrap();
        assert_eq!(b.json(), cohesix_generated::meta_bounds::JSON);
        assert_eq!(b.limits().console.max_echo_len, 128);
        assert_eq!(b.limits().secure9p.walk_depth, 8);
        assert_eq!(b.limits().observability.proc_lease.summary_bytes, 160);
        assert_eq!(b.limits().policy.ctl_max_bytes, 2048);
        assert_eq!(b.document(None), b.json());
    }

    #[test]
    fn the_target_hash_is_appended_and_named() {
        let b = Bounds::generated().unwrap();
        let sha = "a".repeat(64);
        let doc = b.document(Some(&sha));
        assert!(doc.starts_with(&b.json()[..b.json().len() - 1]));
        assert!(doc.ends_with(&format!(",\"target_manifest_sha256\":\"{sha}\"}}")));
        let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(
            v["manifest_sha256"].as_str(),
            Some(cohesix_generated::MANIFEST_SHA256)
        );
        // Not a hash: not appended.
        assert_eq!(b.document(Some("3a20adc5")), b.json());
    }

    #[test]
    fn the_boot_line_gives_the_hash() {
        let sha = cohesix_generated::MANIFEST_SHA256;
        let line = format!("[INFO  root-task] boot complete manifest.sha256={sha}");
        assert_eq!(
            find_manifest_sha(["x", line.as_str()]).as_deref(),
            Some(sha)
        );
        assert_eq!(
            find_manifest_sha(["[bi] manifest.sha256=3a20adc5 x=1"]),
            None
        );
    }
}
