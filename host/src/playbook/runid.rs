//! Run ids and the per-run id suffix.
//!
//! A live run gets a run id: 8 lowercase hex digits (from the clock and the process, or
//! given with `--run-id`, e.g. a Kubernetes Job's name and completion index so a retried
//! index reuses its ids and the queen refuses the replay as a duplicate). Every id the run
//! writes gets `-<run id>` appended, and every result stays within the target's
//! `max_id_len` (32 bytes):
//!
//! ```text
//! id + "-" + run_id                          when that fits in 32 bytes
//! id[..18] + h4(id) + "-" + run_id           otherwise (h4: 4 hex of SHA-256(id))
//! ```
//!
//! The mapping is a pure function of (id, run id): stable within a run (a `preempt` of a
//! lease granted earlier in the plan names the same suffixed id), unique across runs, and two
//! long ids sharing their first 18 bytes still differ by their hash. A dry run writes nothing
//! and has no run id.

use cohesix_generated::console::MAX_ID_LEN;
use sha2::{Digest, Sha256};

/// Length of a run id.
pub const RUN_ID_LEN: usize = 8;
/// Bytes of an id kept before the hash when it must be shortened.
const KEEP: usize = MAX_ID_LEN - (4 + 1 + RUN_ID_LEN);

/// A run id: 8 lowercase hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RunId(String);

impl RunId {
    /// A fresh run id from the clock (ns) and the process id.
    #[must_use]
    pub fn fresh() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Self::derive(&format!("{nanos}-{}", std::process::id()))
    }

    /// A run id derived from any text (a Job name and index, a CI run number).
    #[must_use]
    pub fn derive(seed: &str) -> Self {
        let digest = Sha256::digest(seed.as_bytes());
        Self(hex8(&digest))
    }

    /// Parses a given run id: 1..=8 of `[0-9a-z]`.
    ///
    /// # Errors
    /// A message naming the rule.
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= RUN_ID_LEN
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "run id must be 1..={RUN_ID_LEN} lowercase letters or digits"
            ))
        }
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The suffixed form of `id` for this run (see the module docs).
    #[must_use]
    pub fn apply(&self, id: &str) -> String {
        let plain = format!("{id}-{}", self.0);
        if plain.len() <= MAX_ID_LEN {
            return plain;
        }
        let keep = id.get(..KEEP).unwrap_or(id);
        let digest = Sha256::digest(id.as_bytes());
        format!("{keep}{}-{}", &hex8(&digest)[..4], self.0)
    }
}

fn hex8(digest: &[u8]) -> String {
    digest.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_get_the_suffix() {
        let r = RunId::parse("0a1b2c3d").unwrap();
        assert_eq!(r.apply("approve-queen-ctl"), "approve-queen-ctl-0a1b2c3d");
        assert_eq!(r.apply("x"), "x-0a1b2c3d");
    }

    #[test]
    fn long_ids_stay_within_the_bound_and_unique() {
        let r = RunId::parse("0a1b2c3d").unwrap();
        let a = r.apply("logistics-plan-wave-number-one");
        let b = r.apply("logistics-plan-wave-number-two");
        assert!(a.len() <= MAX_ID_LEN && b.len() <= MAX_ID_LEN, "{a} {b}");
        assert_ne!(a, b);
        assert!(a.starts_with("logistics-plan-wav") && a.ends_with("-0a1b2c3d"));
        // Stable within a run; different across runs.
        assert_eq!(a, r.apply("logistics-plan-wave-number-one"));
        assert_ne!(
            a,
            RunId::parse("ffff0000")
                .unwrap()
                .apply("logistics-plan-wave-number-one")
        );
        // Every result is an identifier token.
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(&c)));
    }

    #[test]
    fn run_ids_are_eight_hex_or_given() {
        let f = RunId::fresh();
        assert_eq!(f.as_str().len(), 8);
        assert!(f.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(RunId::derive("job-3"), RunId::derive("job-3"));
        assert!(RunId::parse("ABC").is_err());
        assert!(RunId::parse("123456789").is_err());
    }
}
