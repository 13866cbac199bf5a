//! The CI summary of a pack (host-surface §8.3), plus the manifest cross-check upstream only
//! advises (§8.6).
//!
//! ```text
//! {"checks":[{"name":"manifest_sha256","ok":…,"pack":…,"compared":[{"source","sha256","ok"}…]}],
//!  "errors":[…],"missing":[…],"ok":…,"pack_dir":…,"schema":"cohesix-ci-evidence-pack/v1"}
//! ```
//!
//! Rules, in order (each failure adds to `missing` and/or `errors` as upstream does):
//! 1. `meta.json`, `bounds.json`, `summary.json` and the log (`log/queen.log`, or the
//!    bounds' `paths.log`) are required: `"<rel>: missing"`.
//! 2. Each `/proc/schedule/*` and `/proc/lease/*` node is required when `bounds.json`
//!    enables it, and no larger than its bound: `"<rel>: size <n> exceeds bound <m>"`.
//! 3. When `audit/export` exists, `audit/journal` and `audit/decisions` are required and
//!    neither may hold a raw ticket (`cohesix-ticket-`): `"<rel>: leaked ticket token"`.
//! 4. `replay/status` is optional, at most 1024 bytes.
//! 5. (new) `manifest_sha256`: `meta.json`'s hash equals this build's
//!    ([`cohesix_generated::MANIFEST_SHA256`]), `bounds.json`'s (the gateway's when packed
//!    over REST) and every `manifest.sha256=<hex>` the target states in `proc/boot` or in
//!    its log (the boot line); a difference fails with
//!    `"manifest_sha256: pack <a> differs from <source> <b>"`.
//!
//! Also new: an unparsable `bounds.json` or `summary.json` is an error instead of a crash.

use std::path::Path;

use serde_json::{json, Value};

use super::files;
use super::summary::Summary;
use crate::json::{self, Style};
use crate::orchestrator::receipts::manifest_hash_in;

/// The CI summary schema tag.
pub const CI_SCHEMA: &str = "cohesix-ci-evidence-pack/v1";
/// `replay/status` bound.
pub const REPLAY_STATUS_BOUND: u64 = 1024;

/// One hash compared with the pack's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compared {
    /// Where it came from: `build`, `bounds.json`, `proc/boot`, `log/queen.log`.
    pub source: String,
    /// The hash.
    pub sha256: String,
}

/// The `manifest_sha256` check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestCheck {
    /// `meta.json`'s `manifest_sha256`, if any.
    pub pack: Option<String>,
    /// Every hash compared with it.
    pub compared: Vec<Compared>,
}

impl ManifestCheck {
    /// Whether the pack has a hash and every compared one equals it.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.pack
            .as_ref()
            .is_some_and(|p| self.compared.iter().all(|c| &c.sha256 == p))
    }

    /// Whether one of the target's own statements of its hash (`proc/boot`, the boot line
    /// of its log) was in the pack.
    #[must_use]
    pub fn has_target(&self) -> bool {
        self.compared
            .iter()
            .any(|c| c.source != "build" && c.source != "bounds.json")
    }

    fn errors(&self) -> Vec<String> {
        let Some(p) = &self.pack else {
            return vec!["manifest_sha256: meta.json has no manifest_sha256".into()];
        };
        self.compared
            .iter()
            .filter(|c| &c.sha256 != p)
            .map(|c| {
                format!(
                    "manifest_sha256: pack {p} differs from {} {}",
                    c.source, c.sha256
                )
            })
            .collect()
    }

    fn to_value(&self) -> Value {
        let compared: Vec<Value> = self
            .compared
            .iter()
            .map(|c| {
                json!({
                    "source": c.source,
                    "sha256": c.sha256,
                    "ok": self.pack.as_deref() == Some(c.sha256.as_str()),
                })
            })
            .collect();
        json!({"name": "manifest_sha256", "ok": self.ok(), "pack": self.pack, "compared": compared})
    }
}

/// A pack's CI summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CiSummary {
    /// The pack directory, as given.
    pub pack_dir: String,
    /// Required files that are absent (or over their bound).
    pub missing: Vec<String>,
    /// Every failed rule, as text.
    pub errors: Vec<String>,
    /// The manifest cross-check.
    pub manifest: ManifestCheck,
}

impl CiSummary {
    /// Whether every rule passed.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.missing.is_empty() && self.errors.is_empty()
    }

    /// The summary as [`Style::Report`] JSON (no trailing newline).
    #[must_use]
    pub fn to_json(&self) -> String {
        let v = json!({
            "schema": CI_SCHEMA,
            "pack_dir": self.pack_dir,
            "ok": self.ok(),
            "missing": self.missing,
            "errors": self.errors,
            "checks": [self.manifest.to_value()],
        });
        json::to_string(&v, Style::Report)
    }
}

fn parse_json(dir: &Path, rel: &str, errors: &mut Vec<String>) -> Option<Value> {
    match files::read(dir, rel) {
        Ok(Some(b)) => match serde_json::from_slice::<Value>(&b) {
            Ok(v) if v.is_object() => Some(v),
            _ => {
                errors.push(format!("{rel}: not a JSON object"));
                None
            }
        },
        Ok(None) => None,
        Err(e) => {
            errors.push(format!("{rel}: {e}"));
            None
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Checks the pack in `dir`; `display` is how it is named in the summary.
#[must_use]
pub fn check(dir: &Path, display: &str) -> CiSummary {
    let mut missing = Vec::new();
    let mut errors = Vec::new();
    let require = |rel: &str, missing: &mut Vec<String>, errors: &mut Vec<String>| {
        if files::size(dir, rel).is_none() {
            missing.push(rel.to_owned());
            errors.push(format!("{rel}: missing"));
        }
    };
    let mut bound_errors = Vec::new();
    let bounds = parse_json(dir, "bounds.json", &mut bound_errors);
    let log = bounds
        .as_ref()
        .and_then(|b| b.pointer("/paths/log")?.as_str())
        .map_or("log/queen.log", files::saved_as)
        .to_owned();
    for rel in ["meta.json", "bounds.json", "summary.json", log.as_str()] {
        require(rel, &mut missing, &mut errors);
    }
    errors.extend(bound_errors);
    if let Some(b) = &bounds {
        for (rel, group, key) in [
            ("proc/schedule/summary", "proc_schedule", "summary"),
            ("proc/schedule/queue", "proc_schedule", "queue"),
            ("proc/lease/summary", "proc_lease", "summary"),
            ("proc/lease/active", "proc_lease", "active"),
            ("proc/lease/preemptions", "proc_lease", "preemptions"),
        ] {
            let enabled = b
                .pointer(&format!("/observability/{group}/{key}"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let bound = b
                .pointer(&format!("/observability/{group}/{key}_bytes"))
                .and_then(Value::as_u64)
                .unwrap_or(0);
            match files::size(dir, rel) {
                None if enabled => {
                    missing.push(rel.to_owned());
                    errors.push(format!("{rel}: missing"));
                }
                Some(n) if bound > 0 && n > bound => {
                    missing.push(rel.to_owned());
                    errors.push(format!("{rel}: size {n} exceeds bound {bound}"));
                }
                _ => {}
            }
        }
    }
    if files::size(dir, "audit/export").is_some() {
        for rel in ["audit/journal", "audit/decisions"] {
            require(rel, &mut missing, &mut errors);
            if let Ok(Some(b)) = files::read(dir, rel) {
                if contains(&b, cohesix_core::ticket::TICKET_PREFIX.as_bytes()) {
                    errors.push(format!("{rel}: leaked ticket token"));
                }
            }
        }
    }
    if let Some(n) = files::size(dir, "replay/status").filter(|n| *n > REPLAY_STATUS_BOUND) {
        errors.push(format!(
            "replay/status: size {n} exceeds bound {REPLAY_STATUS_BOUND}"
        ));
    }
    match files::read_text(dir, "summary.json") {
        Ok(Some(t)) => {
            if let Err(e) = Summary::parse(&t) {
                errors.push(format!("summary.json: {e}"));
            }
        }
        Ok(None) => {}
        Err(e) => errors.push(format!("summary.json: {e}")),
    }
    let manifest = manifest_check(dir, bounds.as_ref(), &log, &mut errors);
    errors.extend(manifest.errors());
    CiSummary {
        pack_dir: display.to_owned(),
        missing,
        errors,
        manifest,
    }
}

fn manifest_check(
    dir: &Path,
    bounds: Option<&Value>,
    log: &str,
    errors: &mut Vec<String>,
) -> ManifestCheck {
    let pack = parse_json(dir, "meta.json", errors)
        .and_then(|m| m.get("manifest_sha256")?.as_str().map(str::to_owned));
    let mut compared = vec![Compared {
        source: "build".into(),
        sha256: cohesix_generated::MANIFEST_SHA256.into(),
    }];
    if let Some(h) = bounds.and_then(|b| b.get("manifest_sha256")?.as_str()) {
        compared.push(Compared {
            source: "bounds.json".into(),
            sha256: h.to_owned(),
        });
    }
    for source in ["proc/boot", log] {
        let Ok(Some(bytes)) = files::read(dir, source) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let mut seen: Vec<String> = Vec::new();
        for h in text.lines().filter_map(manifest_hash_in) {
            if !seen.contains(&h) {
                seen.push(h);
            }
        }
        compared.extend(seen.into_iter().map(|sha256| Compared {
            source: source.to_owned(),
            sha256,
        }));
    }
    ManifestCheck { pack, compared }
}
