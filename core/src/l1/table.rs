//! The hash index of a shard: open addressing with linear probing over 8-byte buckets
//! (`u32` hash tag, `u32` id) and backward-shift deletion, so there are no tombstones and the
//! bucket count is always known exactly (the budget charges it). The key text lives in the
//! slab; a lookup compares it only when the 32-bit tag matches. The hash is computed once per
//! call by the L1 (seeded xxh3): its high half picks the shard, its low half is the tag here.

use super::cost::array_cost;
use super::slab::NIL;

#[derive(Clone, Copy)]
struct Bucket {
    tag: u32,
    id: u32,
}

const EMPTY: Bucket = Bucket { tag: 0, id: NIL };

/// Smallest non-empty bucket array.
const MIN_BUCKETS: usize = 8;

/// Maps a 64-bit hash to `u32` ids; equal hashes are told apart by the caller's `eq`.
pub(crate) struct Table {
    buckets: Vec<Bucket>,
    len: usize,
}

impl Table {
    /// An empty table with no allocation.
    pub(crate) const fn new() -> Table {
        Table { buckets: Vec::new(), len: 0 }
    }

    /// An empty table sized for `items` without growing.
    pub(crate) fn with_items(items: usize) -> Table {
        let mut t = Table::new();
        if items > 0 {
            t.resize(Self::buckets_for(items, 0));
        }
        t
    }

    /// Ids stored.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Bucket count (a power of two, or 0).
    pub(crate) fn buckets(&self) -> usize {
        self.buckets.len()
    }

    /// Heap bytes of a bucket array of `buckets` buckets.
    pub(crate) const fn cost_at(buckets: usize) -> usize {
        array_cost(buckets, std::mem::size_of::<Bucket>())
    }

    /// Heap bytes now.
    pub(crate) fn cost(&self) -> usize {
        Self::cost_at(self.buckets.len())
    }

    /// Smallest power-of-two bucket count ≥ `at_least` that keeps `items` at load ≤ 3/4.
    fn buckets_for(items: usize, at_least: usize) -> usize {
        let mut n = at_least.max(MIN_BUCKETS);
        while items * 4 > n * 3 {
            n *= 2;
        }
        n
    }

    /// The bucket count after making room for `additional` more ids.
    pub(crate) fn grown_buckets(&self, additional: usize) -> usize {
        let need = self.len + additional;
        if need * 4 <= self.buckets.len() * 3 {
            self.buckets.len()
        } else {
            Self::buckets_for(need, self.buckets.len())
        }
    }

    /// Rehashes into exactly `buckets` buckets (a power of two holding every id at load ≤ 3/4).
    pub(crate) fn resize(&mut self, buckets: usize) {
        if buckets == self.buckets.len() {
            return;
        }
        assert!(buckets.is_power_of_two() && self.len * 4 <= buckets * 3);
        let old = std::mem::replace(&mut self.buckets, vec![EMPTY; buckets]);
        let mask = buckets - 1;
        for b in old.into_iter().filter(|b| b.id != NIL) {
            let mut i = b.tag as usize & mask;
            while self.buckets[i].id != NIL {
                i = (i + 1) & mask;
            }
            self.buckets[i] = b;
        }
    }

    /// The id stored under `hash` for which `eq(id)` holds.
    #[inline]
    pub(crate) fn find(&self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let tag = hash as u32;
        let mask = self.buckets.len() - 1;
        let mut i = tag as usize & mask;
        loop {
            let b = self.buckets[i];
            if b.id == NIL {
                return None;
            }
            if b.tag == tag && eq(b.id) {
                return Some(b.id);
            }
            i = (i + 1) & mask;
        }
    }

    /// Stores `id` under `hash`. The caller has made room (see [`Table::grown_buckets`]).
    pub(crate) fn insert(&mut self, hash: u64, id: u32) {
        debug_assert!((self.len + 1) * 4 <= self.buckets.len() * 3, "table insert without reserved room");
        let tag = hash as u32;
        let mask = self.buckets.len() - 1;
        let mut i = tag as usize & mask;
        while self.buckets[i].id != NIL {
            i = (i + 1) & mask;
        }
        self.buckets[i] = Bucket { tag, id };
        self.len += 1;
    }

    /// Removes `id` stored under `hash`; panics if absent (a broken invariant).
    pub(crate) fn remove(&mut self, hash: u64, id: u32) {
        let mask = self.buckets.len() - 1;
        let mut i = hash as u32 as usize & mask;
        while self.buckets[i].id != id {
            assert!(self.buckets[i].id != NIL, "table: id {id} not found");
            i = (i + 1) & mask;
        }
        // Backward shift: pull later members of the probe run into the hole when the hole
        // lies cyclically between their home bucket and where they sit.
        let mut hole = i;
        let mut j = (hole + 1) & mask;
        while self.buckets[j].id != NIL {
            let home = self.buckets[j].tag as usize & mask;
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.buckets[hole] = self.buckets[j];
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.buckets[hole] = EMPTY;
        self.len -= 1;
    }

    /// Every `(tag, id)` stored (for invariant checks).
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.buckets.iter().filter(|b| b.id != NIL).map(|b| (b.tag, b.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn grow(t: &mut Table, n: usize) {
        let b = t.grown_buckets(n);
        t.resize(b);
    }

    #[test]
    fn empty_table_finds_nothing() {
        let t = Table::new();
        assert_eq!(t.find(7, |_| true), None);
        assert_eq!(t.cost(), 0);
    }

    #[test]
    fn colliding_hashes_are_told_apart_by_eq() {
        let mut t = Table::new();
        grow(&mut t, 3);
        t.insert(42, 1);
        t.insert(42, 2);
        t.insert(42 + (1 << 40), 3);
        assert_eq!(t.find(42, |id| id == 2), Some(2));
        assert_eq!(t.find(42, |id| id == 1), Some(1));
        t.remove(42, 1);
        assert_eq!(t.find(42, |id| id == 1), None);
        assert_eq!(t.find(42, |id| id == 2), Some(2));
        assert_eq!(t.find(42 + (1 << 40), |id| id == 3), Some(3));
    }

    #[test]
    fn load_stays_at_most_three_quarters() {
        let mut t = Table::new();
        for i in 0..1000u32 {
            grow(&mut t, 1);
            t.insert(u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15), i);
            assert!(t.len() * 4 <= t.buckets() * 3);
        }
        assert_eq!(t.buckets(), 2048);
        assert_eq!(Table::with_items(1000).buckets(), 2048);
    }

    /// Random inserts and removals against a HashMap, with a tiny tag space so that probe
    /// runs wrap and collide: every backward shift case gets exercised.
    #[test]
    fn matches_a_model_under_churn() {
        let mut t = Table::new();
        let mut model: HashMap<u32, u64> = HashMap::new();
        let mut x = 0x1234_5678_u64;
        for step in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = (x % 300) as u32;
            let hash = (x >> 20) % 37; // few distinct tags: long runs, wrap-around
            if let Some(h) = model.remove(&id) {
                t.remove(h, id);
            } else {
                grow(&mut t, 1);
                t.insert(hash, id);
                model.insert(id, hash);
            }
            if step % 97 == 0 {
                for (&id, &h) in &model {
                    assert_eq!(t.find(h, |i| i == id), Some(id), "step {step}");
                }
                assert_eq!(t.len(), model.len());
                assert_eq!(t.iter().count(), model.len());
            }
        }
    }
}
