//! A point-in-time view of an [`L1`](super::L1)'s counters.

/// Counters since construction (events) and current occupancy (`bytes`, `entries`). Taken
/// shard by shard without a global pause, so under concurrent use the fields may be a few
/// operations apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// `get` calls that returned bytes.
    pub hits: u64,
    /// `get` calls that returned nothing (absent or expired).
    pub misses: u64,
    /// Live entries removed by the eviction policy to make room.
    pub evictions: u64,
    /// Expired entries removed (on `get`, by the sweep, or met by the eviction hand).
    pub expirations: u64,
    /// Entries stored.
    pub inserts: u64,
    /// Inserts not kept: over the per-entry cap, or (rarely, only under concurrent inserts)
    /// no room could be made.
    pub rejected: u64,
    /// Bytes charged to the budget now.
    pub bytes: usize,
    /// Entries held now (expired ones not yet removed included).
    pub entries: usize,
    /// The configured budget.
    pub budget: usize,
}

impl Stats {
    /// `hits / (hits + misses)`, or 0 before any `get`.
    pub fn hit_ratio(&self) -> f64 {
        let total = self.hits + self.misses;
        if total == 0 { 0.0 } else { self.hits as f64 / total as f64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_ratio() {
        assert_eq!(Stats::default().hit_ratio(), 0.0);
        assert_eq!(Stats { hits: 3, misses: 1, ..Stats::default() }.hit_ratio(), 0.75);
    }
}
