//! Evidence packs: a bounded, redacted capture of a queen's state and audit trail, and the
//! offline tools that read one (host-surface §8.1–8.4, §8.6).
//!
//! ```text
//!  Backend ──pack()──► DIR/ meta.json bounds.json summary.json proc/… log/… audit/… host/tickets/… replay/… [telemetry/…]
//!                        │
//!                        ├─ timeline::write() ──► timeline.ndjson  timeline.md
//!                        ├─ ci::check()       ──► cohesix-ci-evidence-pack/v1 (exit 0 ok / 2 not ok)
//!                        ├─ siem::export()    ──► cohesix-siem-event/v1 NDJSON
//!                        └─ markdown::report()──► a CI job summary
//! ```
//!
//! * [`mod@pack`] ([`pack::pack`]): the captures in order and bounds, missing vs error vs
//!   abort, atomic writes; [`redact`]: tickets → `sha256:<hex>`, secret-named keys →
//!   `<redacted>`, JSONL that does not parse never saved.
//! * [`timeline`], [`ci`], [`siem`], [`markdown`]: read a pack directory only (no target).
//! * [`summary`]: `meta.json` / `summary.json`; [`files`]: safe pack-relative names and
//!   bounded reads.
//!
//! **`manifest_sha256`** in `meta.json` is the packing tool's compiled manifest hash
//! ([`cohesix_generated::MANIFEST_SHA256`]); the target's own is in `proc/boot`
//! (`manifest.sha256=<hex>`) or, over REST, in `bounds.json`; [`ci::check`] compares them.
//!
//! **`policy_sha256`** has one meaning: the SHA-256 of the client policy file
//! (`generated/cohsh_policy.toml`, compiled from the manifest with the client policies) that
//! the packing tool was built with, [`cohesix_generated::POLICY_SHA256`] — as upstream's
//! Rust tool records it. It is *not* upstream's Python meaning (a hash of the JSON of the
//! whole generated defaults). [`check_policy_file`] verifies a `--policy` file against it.
//!
//! No JSON here is formatted outside [`crate::json`]: `meta.json`, `bounds.json`,
//! `summary.json` and the CI summary are [`Style::Report`](crate::json::Style::Report)
//! (plus `\n` for files), redacted JSONL and `timeline.ndjson`
//! [`Style::Compact`](crate::json::Style::Compact), SIEM lines
//! [`Style::Spaced`](crate::json::Style::Spaced). Nothing reads a clock: given the same
//! target state, a pack is the same bytes.

pub mod ci;
mod error;
pub mod files;
pub mod markdown;
pub mod pack;
pub mod redact;
pub mod siem;
pub mod summary;
pub mod telemetry;
pub mod timeline;

use std::path::Path;

use sha2::{Digest, Sha256};

pub use error::EvidenceError;
pub use pack::{pack, BoundsSource, PackOptions, PackReport};
pub use summary::{Item, Meta, Status, Summary, Verb};
pub use timeline::{Timeline, TimelineEvent};

/// Checks that the policy file at `path` is the one this build carries: its SHA-256 must
/// be [`cohesix_generated::POLICY_SHA256`] (the value `meta.json` records).
///
/// # Errors
/// [`EvidenceError::Io`] when unreadable, [`EvidenceError::Policy`] on a mismatch.
pub fn check_policy_file(path: &Path) -> Result<(), EvidenceError> {
    let bytes = std::fs::read(path)
        .map_err(|e| EvidenceError::io(format!("read {}", path.display()), e))?;
    let got = hex::encode(Sha256::digest(&bytes));
    if got == cohesix_generated::POLICY_SHA256 {
        Ok(())
    } else {
        Err(EvidenceError::Policy(format!(
            "policy {} has sha256 {got}, not this build's policy_sha256 {}",
            path.display(),
            cohesix_generated::POLICY_SHA256
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_policy_file_matches_this_build() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../generated/cohsh_policy.toml");
        check_policy_file(&p).unwrap();
        let other = std::env::temp_dir().join(format!("cohesix-policy-{}", std::process::id()));
        std::fs::write(&other, b"[meta]\n").unwrap();
        let e = check_policy_file(&other).unwrap_err();
        assert!(
            e.to_string().contains("not this build's policy_sha256"),
            "{e}"
        );
        let _ = std::fs::remove_file(&other);
    }
}
