//! Maps keyed by request id with a cheap hasher.
//!
//! Request ids are the session's own sequence numbers, never chosen by the peer, so the
//! flooding resistance of the default SipHash buys nothing here; a multiplicative hash of
//! the id spreads sequential ids over the table for a few instructions.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use cohesix_core::session::RequestId;

/// A map from request id to `V`.
pub(crate) type IdMap<V> = HashMap<RequestId, V, BuildHasherDefault<IdHasher>>;

/// Fibonacci hashing of one integer key.
#[derive(Debug, Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_ids_land_in_distinct_slots_and_round_trip() {
        let mut m: IdMap<u32> = IdMap::default();
        for i in 0..1000 {
            m.insert(RequestId(i), i * 2);
        }
        assert_eq!(m.len(), 1000);
        assert!((0..1000).all(|i| m.get(&RequestId(i)) == Some(&(i * 2))));
        assert_eq!(m.remove(&RequestId(7)), Some(14));
        assert!(!m.contains_key(&RequestId(7)));
    }
}
