//! Hashing for tables keyed by numbers the core hands out itself (operation numbers, limiter
//! tickets, flight and waiter ids): one multiplication instead of SipHash.
//!
//! SipHash defends a table against keys chosen by an attacker; these keys come from a counter,
//! so that buys nothing, and its code is one more thing every cache call fetches. Tables keyed
//! by anything a caller chooses (cache keys) keep the standard hasher.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A map keyed by ids the core hands out.
pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// A set of ids the core hands out.
pub(crate) type IdSet<K> = HashSet<K, BuildHasherDefault<IdHasher>>;

/// Fibonacci hashing of integer ids: an odd multiplier keeps the low bits distinct, the high
/// bits mixed.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(self.0.rotate_left(8) ^ u64::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_ids_spread_over_buckets() {
        // The low bits pick hashbrown's bucket, the top 7 its tag: both must vary.
        let hash = |n: u64| {
            let mut h = IdHasher::default();
            h.write_u64(n);
            h.finish()
        };
        let low: HashSet<u64> = (0..64).map(|n| hash(n) & 63).collect();
        let top: HashSet<u64> = (0..64).map(|n| hash(n) >> 57).collect();
        assert_eq!(low.len(), 64, "a bijection on the low bits");
        assert!(top.len() > 32, "top bits vary: {}", top.len());
        let mut m: IdMap<u32, u32> = IdMap::default();
        m.extend((0..1000).map(|n| (n, n * 2)));
        assert!((0..1000).all(|n| m[&n] == n * 2));
    }
}
