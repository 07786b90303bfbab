//! [`L1`]: the sharded, budgeted, thread-safe cache of stored entry bytes.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::bytes::EntryBytes;
use super::config::{L1Config, check_tags};
use super::shard::{LabelKind, LabelSpec, NewEntry, Shard, solo_cost};
use super::stats::Stats;
use crate::error::{ErrorKind, Result, err};
use crate::time::Millis;

/// Cells of its own shard an insert examines for expired entries (the amortized sweep).
const SWEEP_STEPS: usize = 4;

/// Full rounds over the other shards that free nothing before an insert gives up. Only
/// reachable when concurrent inserts hold the whole budget in flight.
const MAX_FRUITLESS_ROUNDS: u32 = 8;

/// Hash seed salts separating label kinds from each other (keys use the seed as is).
const SALT_NAMESPACE: u64 = 0x6e73_5f6c_6162_656c;
const SALT_TAG: u64 = 0x7467_5f6c_6162_656c;

/// A shard behind its lock, with the counters readers bump. `repr(C)` keeps the counters
/// next to the lock word: a hit already owns that cache line, so counting is nearly free.
#[repr(C, align(128))]
struct Lane {
    hits: AtomicU64,
    misses: AtomicU64,
    shard: RwLock<Shard>,
}

impl Lane {
    #[inline]
    fn read(&self) -> RwLockReadGuard<'_, Shard> {
        // A panic under the lock cannot leave a shard half-updated in a way reads trust less
        // than a miss would: keep serving rather than poison every later call.
        self.shard.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Shard> {
        self.shard.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The in-process cache of stored entry bytes; see the [module docs](super).
///
/// `Send + Sync`: share it as `Arc<L1>` across threads (C, ZTS PHP). Every method takes
/// `&self`; reads take one shard lock shared, writes one shard lock exclusive, and no call
/// ever holds two shard locks.
pub struct L1 {
    lanes: Box<[Lane]>,
    shard_mask: usize,
    seed: u64,
    limit: usize,
    used: AtomicUsize,
    max_entry: usize,
    steal_cursor: AtomicUsize,
    rejected: AtomicU64,
}

impl std::fmt::Debug for L1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("L1")
            .field("budget", &self.limit)
            .field("used", &self.used.load(Relaxed))
            .field("max_entry", &self.max_entry)
            .field("shards", &self.lanes.len())
            .finish_non_exhaustive()
    }
}

impl L1 {
    /// An L1 with `budget_bytes` and the defaults of [`L1Config::new`].
    pub fn new(budget_bytes: usize) -> Result<L1> {
        L1::with_config(L1Config::new(budget_bytes))
    }

    /// An L1 as configured. Fails with `invalid_argument` on a bad configuration and
    /// `random_unavailable` when no seed is given and the platform random source fails.
    pub fn with_config(config: L1Config) -> Result<L1> {
        config.validate()?;
        let seed = match config.hash_seed {
            Some(s) => s,
            None => {
                let mut b = [0u8; 8];
                if getrandom::getrandom(&mut b).is_err() {
                    return err(ErrorKind::RandomUnavailable, "no random seed for the L1 key hash");
                }
                u64::from_le_bytes(b)
            }
        };
        let lanes = (0..config.shards)
            .map(|_| Lane { hits: AtomicU64::new(0), misses: AtomicU64::new(0), shard: RwLock::new(Shard::new()) })
            .collect();
        Ok(L1 {
            lanes,
            shard_mask: config.shards - 1,
            seed,
            limit: config.budget_bytes,
            used: AtomicUsize::new(0),
            max_entry: config.max_entry(),
            steal_cursor: AtomicUsize::new(0),
            rejected: AtomicU64::new(0),
        })
    }

    /// The hard byte budget.
    pub fn budget(&self) -> usize {
        self.limit
    }

    /// The per-entry cap: inserts charging more are refused.
    pub fn max_entry_bytes(&self) -> usize {
        self.max_entry
    }

    /// Bytes an entry with this key, value length and labels (namespace and tags, given as
    /// name lengths) is charged at most: its own blocks plus the smallest bookkeeping arrays
    /// holding it. The per-entry cap applies to this number.
    pub fn entry_charge(key_len: usize, value_len: usize, label_lens: &[usize]) -> usize {
        solo_cost(key_len, value_len, label_lens.iter().copied())
    }

    #[inline]
    fn hash(&self, key: &str) -> u64 {
        xxh3_64_with_seed(key.as_bytes(), self.seed)
    }

    #[inline]
    fn lane(&self, hash: u64) -> (usize, &Lane) {
        // The low half of the hash is the tag inside the shard's table; pick the shard from
        // the high half so the two are independent.
        let i = (hash >> 32) as usize & self.shard_mask;
        (i, &self.lanes[i])
    }

    fn label<'a>(&self, kind: LabelKind, name: &'a str) -> LabelSpec<'a> {
        let salt = match kind {
            LabelKind::Namespace => SALT_NAMESPACE,
            LabelKind::Tag => SALT_TAG,
        };
        LabelSpec { kind, name, hash: xxh3_64_with_seed(name.as_bytes(), self.seed ^ salt) }
    }

    fn try_reserve(&self, bytes: usize) -> bool {
        self.used.fetch_update(Relaxed, Relaxed, |u| u.checked_add(bytes).filter(|&n| n <= self.limit)).is_ok()
    }

    fn release(&self, bytes: usize) {
        if bytes > 0 {
            self.used.fetch_sub(bytes, Relaxed);
        }
    }

    /// The bytes stored under `key`, if present and `now` is before their expiry. A hit
    /// costs one shared shard lock and a reference-count increment, never a copy: the
    /// returned [`EntryBytes`] can be copied into a binding's buffer after the lock is gone,
    /// and keeps the bytes alive even if the entry is evicted meanwhile.
    #[inline]
    pub fn get(&self, key: &str, now: Millis) -> Option<EntryBytes> {
        let hash = self.hash(key);
        let (_, lane) = self.lane(hash);
        {
            let shard = lane.read();
            match shard.lookup(hash, key) {
                Some(e) if now < e.expires_at => {
                    e.touch();
                    let value = EntryBytes::new(Arc::clone(&e.block), e.key_len as usize);
                    drop(shard);
                    lane.hits.fetch_add(1, Relaxed);
                    return Some(value);
                }
                Some(_) => {}
                None => {
                    drop(shard);
                    lane.misses.fetch_add(1, Relaxed);
                    return None;
                }
            }
        }
        // Expired: remove it now rather than wait for the sweep.
        let freed = lane.write().remove_if_expired(hash, key, now);
        self.release(freed.unwrap_or(0));
        lane.misses.fetch_add(1, Relaxed);
        None
    }

    /// Stores `bytes` under `key` for `ttl_ms` from `now`, with `tags` (see
    /// [`L1::insert_in`], which also records a namespace). Replaces any previous entry.
    pub fn insert(&self, key: &str, bytes: &[u8], ttl_ms: u64, now: Millis, tags: &[&str]) -> Result<bool> {
        self.store(None, key, bytes, ttl_ms, now, tags)
    }

    /// Stores `bytes` under `key` in `namespace` for `ttl_ms` from `now`, with `tags`.
    ///
    /// The entry is readable while `now' < now + ttl_ms` (saturating; [`super::NO_EXPIRY`]
    /// never expires). Any previous entry under `key` is replaced, also when the new one is
    /// refused, so a refused write never leaves a stale value readable. Returns `Ok(true)`
    /// when stored, `Ok(false)` when no room could be made because concurrent inserts held
    /// the whole budget (rare; counted in `rejected`).
    ///
    /// Errors: `invalid_ttl` for `ttl_ms == 0`; `invalid_argument` for an empty namespace or
    /// tag or more than [`super::MAX_TAGS`] tags; `value_too_large` when the entry's charge
    /// ([`L1::entry_charge`]) exceeds the per-entry cap (counted in `rejected`).
    pub fn insert_in(
        &self,
        namespace: &str,
        key: &str,
        bytes: &[u8],
        ttl_ms: u64,
        now: Millis,
        tags: &[&str],
    ) -> Result<bool> {
        if namespace.is_empty() {
            return err(ErrorKind::InvalidArgument, "L1 namespace must not be empty");
        }
        self.store(Some(namespace), key, bytes, ttl_ms, now, tags)
    }

    fn store(
        &self,
        namespace: Option<&str>,
        key: &str,
        value: &[u8],
        ttl_ms: u64,
        now: Millis,
        tags: &[&str],
    ) -> Result<bool> {
        if ttl_ms == 0 {
            return err(ErrorKind::InvalidTtl, "L1 ttl must be > 0 ms");
        }
        check_tags(tags)?;
        let mut labels: Vec<LabelSpec<'_>> = Vec::with_capacity(tags.len() + 1);
        labels.extend(namespace.map(|ns| self.label(LabelKind::Namespace, ns)));
        for (i, t) in tags.iter().enumerate() {
            if !tags[..i].contains(t) {
                labels.push(self.label(LabelKind::Tag, t));
            }
        }
        let hash = self.hash(key);
        let (home, lane) = self.lane(hash);
        let charge = solo_cost(key.len(), value.len(), labels.iter().map(|l| l.name.len()));
        if charge > self.max_entry {
            let freed = lane.write().remove_key(hash, key);
            self.release(freed.unwrap_or(0));
            self.rejected.fetch_add(1, Relaxed);
            return err(
                ErrorKind::ValueTooLarge,
                format!("L1 entry of {charge} bytes exceeds the per-entry cap of {} bytes", self.max_entry),
            );
        }
        if u32::try_from(key.len()).is_err() {
            return err(ErrorKind::InvalidArgument, "L1 keys are limited to 4 GiB");
        }
        // One allocation, one copy: key then value (a chain of slices is TrustedLen).
        let block: Arc<[u8]> = key.as_bytes().iter().chain(value).copied().collect();
        let entry = NewEntry { key, hash, block, expires_at: now.saturating_add(ttl_ms), labels: &labels };
        let mut fruitless = 0;
        loop {
            let need = {
                let mut shard = lane.write();
                let mut freed = shard.remove_key(hash, key).unwrap_or(0);
                freed += shard.sweep(now, SWEEP_STEPS);
                self.release(freed);
                loop {
                    let need = shard.plan(&entry);
                    if self.try_reserve(need) {
                        let used = shard.insert(entry);
                        debug_assert_eq!(used, need, "insert must charge exactly its plan");
                        self.release(need.saturating_sub(used));
                        return Ok(true);
                    }
                    // Make room locally first: the policy's own victim.
                    match shard.evict_one(now) {
                        Some(freed) => self.release(freed),
                        None => {
                            let freed = shard.shrink();
                            if freed == 0 {
                                break need;
                            }
                            self.release(freed);
                        }
                    }
                }
            };
            // This shard is empty and the rest of the budget sits in other shards.
            let free = self.limit.saturating_sub(self.used.load(Relaxed));
            if self.steal(home, need.saturating_sub(free), now) == 0 {
                fruitless += 1;
                if fruitless >= MAX_FRUITLESS_ROUNDS {
                    self.rejected.fetch_add(1, Relaxed);
                    return Ok(false);
                }
                std::thread::yield_now();
            }
        }
    }

    /// Evicts from shards other than `home`, round-robin, until `want` bytes are released
    /// or every other shard was visited once. Takes one lock at a time. Returns the bytes
    /// released.
    fn steal(&self, home: usize, want: usize, now: Millis) -> usize {
        let n = self.lanes.len();
        let start = self.steal_cursor.fetch_add(1, Relaxed);
        let mut released = 0;
        for i in (0..n).map(|k| (start + k) % n).filter(|&i| i != home) {
            let mut shard = self.lanes[i].write();
            while released < want.max(1) {
                match shard.evict_one(now) {
                    Some(freed) => {
                        self.release(freed);
                        released += freed;
                    }
                    None => break,
                }
            }
            let freed = shard.shrink();
            self.release(freed);
            released += freed;
            if released >= want.max(1) {
                break;
            }
        }
        released
    }

    /// True when a live (unexpired) entry is stored under `key`. A presence check: it counts
    /// no hit or miss and does not mark the entry as visited for eviction.
    pub fn contains(&self, key: &str, now: Millis) -> bool {
        let hash = self.hash(key);
        self.lane(hash).1.read().lookup(hash, key).is_some_and(|e| now < e.expires_at)
    }

    /// Removes the entry under `key`; true if there was one.
    pub fn remove(&self, key: &str) -> bool {
        let hash = self.hash(key);
        let freed = self.lane(hash).1.write().remove_key(hash, key);
        self.release(freed.unwrap_or(0));
        freed.is_some()
    }

    fn invalidate(&self, spec: LabelSpec<'_>) -> usize {
        let mut removed = 0;
        for lane in self.lanes.iter() {
            let (n, freed) = lane.write().invalidate(&spec);
            self.release(freed);
            removed += n;
        }
        removed
    }

    /// Removes every entry inserted with [`L1::insert_in`] in `namespace`; returns how many.
    /// Costs one exclusive lock per shard plus the matching entries, not a scan.
    pub fn invalidate_namespace(&self, namespace: &str) -> usize {
        self.invalidate(self.label(LabelKind::Namespace, namespace))
    }

    /// Removes every entry carrying `tag`; returns how many.
    pub fn invalidate_tag(&self, tag: &str) -> usize {
        self.invalidate(self.label(LabelKind::Tag, tag))
    }

    /// Removes every entry expired at `now` (a full sweep; the amortized one runs on each
    /// insert anyway). Returns how many.
    pub fn purge_expired(&self, now: Millis) -> usize {
        let mut removed = 0;
        for lane in self.lanes.iter() {
            let (n, freed) = lane.write().purge_expired(now);
            self.release(freed);
            removed += n;
        }
        removed
    }

    /// Removes every entry and frees every bookkeeping array. Counters are kept.
    pub fn clear(&self) {
        for lane in self.lanes.iter() {
            let freed = lane.write().clear();
            self.release(freed);
        }
    }

    /// A snapshot of the counters and occupancy.
    pub fn stats(&self) -> Stats {
        let mut s = Stats {
            rejected: self.rejected.load(Relaxed),
            bytes: self.used.load(Relaxed),
            budget: self.limit,
            ..Stats::default()
        };
        for lane in self.lanes.iter() {
            s.hits += lane.hits.load(Relaxed);
            s.misses += lane.misses.load(Relaxed);
            let shard = lane.read();
            s.evictions += shard.counters.evictions;
            s.expirations += shard.counters.expirations;
            s.inserts += shard.counters.inserts;
            s.entries += shard.len();
        }
        s
    }

    /// Checks every shard's invariants and that the budget counter equals the sum of what
    /// the shards owe; returns that sum. Call only when no other thread is mid-operation.
    #[cfg(test)]
    pub(crate) fn check(&self) -> usize {
        let total: usize = self.lanes.iter().map(|l| l.read().check()).sum();
        assert_eq!(total, self.used.load(Relaxed), "budget counter drifted from the shards' charges");
        assert!(total <= self.limit, "budget exceeded: {total} > {}", self.limit);
        total
    }

    /// The labels recorded for `key` (for tests).
    #[cfg(test)]
    pub(crate) fn labels_of(&self, key: &str) -> Vec<(LabelKind, String)> {
        let hash = self.hash(key);
        self.lane(hash).1.read().labels_of(hash, key)
    }
}
