//! How an [`L1`](super::L1) is sized and sharded.

use crate::error::{ErrorKind, Result, err};

/// cachekit-py's L1 budget (SPEC §9: 100 MiB per namespace).
pub const DEFAULT_BUDGET: usize = 100 * 1024 * 1024;

/// Default shard count: enough that two to eight threads rarely meet on one shard lock,
/// few enough that cross-shard eviction (for entries near the size cap) stays cheap.
pub const DEFAULT_SHARDS: usize = 16;

/// Most shards an L1 accepts.
pub const MAX_SHARDS: usize = 1024;

/// Most tags one entry may carry (each costs a membership record and a lookup on insert).
pub const MAX_TAGS: usize = 64;

/// The rules an entry's tags follow, in L1 and in the engine's requests
/// ([`Request::check`](crate::engine::Request::check)): at most [`MAX_TAGS`], none empty (an
/// empty tag would index the bare tag prefix).
pub fn check_tags<S: AsRef<str>>(tags: &[S]) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return err(ErrorKind::InvalidArgument, format!("at most {MAX_TAGS} tags per entry, got {}", tags.len()));
    }
    if tags.iter().any(|t| t.as_ref().is_empty()) {
        return err(ErrorKind::InvalidArgument, "tags must not be empty strings");
    }
    Ok(())
}

/// Construction options of an [`L1`](super::L1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L1Config {
    /// Hard limit on the bytes the cache holds: entries, keys, labels and bookkeeping,
    /// charged as the allocator really sizes them. Must be > 0.
    pub budget_bytes: usize,
    /// Entries whose charge exceeds this are not kept. `None`: `budget_bytes / 8`, as
    /// cachekit-py does. Must be in `1..=budget_bytes`.
    pub max_entry_bytes: Option<usize>,
    /// Number of independently locked shards, a power of two in `1..=MAX_SHARDS`. The
    /// budget is global, not split per shard, so any entry up to the cap fits.
    pub shards: usize,
    /// Seed of the key hash. `None`: drawn from the platform random source, so keys cannot
    /// be chosen to collide (hash flooding). Fix it only for reproducible tests.
    pub hash_seed: Option<u64>,
}

impl L1Config {
    /// Defaults for a budget: cap `budget / 8`, [`DEFAULT_SHARDS`] shards, random seed.
    pub fn new(budget_bytes: usize) -> L1Config {
        L1Config { budget_bytes, max_entry_bytes: None, shards: DEFAULT_SHARDS, hash_seed: None }
    }

    /// The effective per-entry cap.
    pub fn max_entry(&self) -> usize {
        self.max_entry_bytes.unwrap_or(self.budget_bytes / 8)
    }

    /// Refuses budgets of 0, caps outside `1..=budget`, and bad shard counts.
    pub fn validate(&self) -> Result<()> {
        if self.budget_bytes == 0 {
            return err(ErrorKind::InvalidArgument, "L1 budget must be > 0 bytes");
        }
        let cap = self.max_entry();
        if cap == 0 || cap > self.budget_bytes {
            return err(
                ErrorKind::InvalidArgument,
                format!("L1 max entry size {cap} must be in 1..={} (the budget)", self.budget_bytes),
            );
        }
        if !self.shards.is_power_of_two() || self.shards > MAX_SHARDS {
            return err(
                ErrorKind::InvalidArgument,
                format!("L1 shard count {} must be a power of two in 1..={MAX_SHARDS}", self.shards),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_cap_is_an_eighth_of_the_budget() {
        let c = L1Config::new(DEFAULT_BUDGET);
        assert_eq!(c.max_entry(), DEFAULT_BUDGET / 8);
        c.validate().unwrap();
    }

    #[test]
    fn refuses_bad_sizes_and_shard_counts() {
        let bad = [
            L1Config::new(0),
            L1Config::new(7), // cap 0
            L1Config { max_entry_bytes: Some(2000), ..L1Config::new(1000) },
            L1Config { shards: 3, ..L1Config::new(1000) },
            L1Config { shards: 0, ..L1Config::new(1000) },
            L1Config { shards: 2048, ..L1Config::new(1000) },
        ];
        for c in bad {
            assert_eq!(c.validate().unwrap_err().kind(), ErrorKind::InvalidArgument, "{c:?}");
        }
        L1Config { max_entry_bytes: Some(1000), shards: 1, ..L1Config::new(1000) }.validate().unwrap();
    }
}
