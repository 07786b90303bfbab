//! One shard of the L1: its entries, their SIEVE queue, the key table and the label
//! (namespace and tag) index. Everything here runs under the shard's lock; the only thing a
//! reader changes is an entry's `visited` bit, an atomic, so hits take the lock shared.
//!
//! Accounting: [`Shard::charged`] is the exact sum this shard owes the budget, i.e. the
//! [`heap_cost`] of every block it owns: each entry's key, value and member-id list, each
//! label's name, and the five arrays (entry slab, key table, label slab, label table, member
//! slab) at their *capacity*, not their length. Arrays grow only through [`Shard::plan`] then
//! [`Shard::insert`], so the growth is reserved before it is allocated, and they shrink when a
//! removal leaves one less than a quarter full (compaction), so removed entries do not pin
//! their bookkeeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use super::cost::{arc_bytes_cost, array_cost, heap_cost};
use super::slab::{NIL, Slab};
use super::table::Table;
use crate::time::Millis;

/// Arrays at or below this capacity are never compacted (their slack is a few hundred bytes).
const COMPACT_MIN: usize = 32;

/// What a label names: the namespace an entry was inserted in, or one of its tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LabelKind {
    Namespace,
    Tag,
}

/// A label as the caller gives it, with its hash precomputed outside the lock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LabelSpec<'a> {
    pub(crate) kind: LabelKind,
    pub(crate) name: &'a str,
    pub(crate) hash: u64,
}

/// An entry to insert, prepared outside the lock. Labels are distinct.
pub(crate) struct NewEntry<'a> {
    pub(crate) key: &'a str,
    pub(crate) hash: u64,
    /// Key bytes followed by value bytes: the entry's one block.
    pub(crate) block: Arc<[u8]>,
    pub(crate) expires_at: Millis,
    pub(crate) labels: &'a [LabelSpec<'a>],
}

/// A resident entry.
pub(crate) struct Entry {
    /// Key bytes followed by value bytes, in one allocation.
    pub(crate) block: Arc<[u8]>,
    /// First instant at which the entry is dead: readable iff `now < expires_at`.
    pub(crate) expires_at: Millis,
    pub(crate) key_len: u32,
    /// The low half of the key hash: the tag under which the key table holds this entry.
    tag: u32,
    /// SIEVE queue links: toward the newest and toward the oldest entry.
    newer: u32,
    older: u32,
    /// This entry's memberships, one per label.
    members: Box<[u32]>,
    /// SIEVE's visited bit; set by readers under the shared lock.
    visited: AtomicBool,
}

impl Entry {
    /// Marks the entry as recently used. Loads first so a hot entry's cache line is not
    /// written on every hit.
    #[inline]
    pub(crate) fn touch(&self) {
        if !self.visited.load(Relaxed) {
            self.visited.store(true, Relaxed);
        }
    }

    /// The key bytes.
    #[inline]
    pub(crate) fn key(&self) -> &[u8] {
        &self.block[..self.key_len as usize]
    }

    fn data_cost(&self) -> usize {
        entry_data_cost(self.key_len as usize, self.block.len() - self.key_len as usize, self.members.len())
    }
}

/// Heap bytes of one entry's own blocks: the `Arc<[u8]>` holding key and value, and the
/// member-id list.
pub(crate) const fn entry_data_cost(key_len: usize, value_len: usize, labels: usize) -> usize {
    arc_bytes_cost(key_len + value_len) + array_cost(labels, size_of::<u32>())
}

/// Bytes a shard holding only this entry would charge: its data, its label names and the
/// smallest arrays that hold it. This is what the per-entry size cap compares.
pub(crate) fn solo_cost(key_len: usize, value_len: usize, label_names: impl Iterator<Item = usize>) -> usize {
    let (mut labels, mut names) = (0, 0);
    for len in label_names {
        labels += 1;
        names += heap_cost(len);
    }
    let (small, labels_cap) = (Slab::<()>::new().grown_capacity(1), labels.max(4));
    entry_data_cost(key_len, value_len, labels)
        + names
        + Slab::<Entry>::cost_at(small)
        + Table::cost_at(Table::new().grown_buckets(1))
        + if labels > 0 {
            Slab::<Label>::cost_at(labels_cap)
                + Table::cost_at(Table::new().grown_buckets(labels))
                + Slab::<Member>::cost_at(labels_cap)
        } else {
            0
        }
}

/// A namespace or tag present in this shard, with the list of its members.
pub(crate) struct Label {
    kind: LabelKind,
    name: Box<str>,
    hash: u64,
    head: u32,
    len: u32,
}

/// One (entry, label) pair, linked into the label's list.
pub(crate) struct Member {
    slot: u32,
    label: u32,
    prev: u32,
    next: u32,
}

/// Per-shard event counters, updated under the exclusive lock.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counters {
    pub(crate) evictions: u64,
    pub(crate) expirations: u64,
    pub(crate) inserts: u64,
}

/// The state of one shard.
pub(crate) struct Shard {
    entries: Slab<Entry>,
    keys: Table,
    labels: Slab<Label>,
    label_index: Table,
    members: Slab<Member>,
    newest: u32,
    oldest: u32,
    /// SIEVE hand: the next eviction candidate (`NIL`: start at the oldest).
    hand: u32,
    /// Next cell the amortized sweep looks at.
    sweep_at: usize,
    /// Heap bytes of entry data and label names (arrays are added in [`Shard::charged`]).
    data: usize,
    pub(crate) counters: Counters,
}

impl Shard {
    /// An empty shard with no allocation.
    pub(crate) const fn new() -> Shard {
        Shard {
            entries: Slab::new(),
            keys: Table::new(),
            labels: Slab::new(),
            label_index: Table::new(),
            members: Slab::new(),
            newest: NIL,
            oldest: NIL,
            hand: NIL,
            sweep_at: 0,
            data: 0,
            counters: Counters { evictions: 0, expirations: 0, inserts: 0 },
        }
    }

    /// Entries held (expired ones not yet swept included).
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    fn arrays(&self) -> usize {
        self.entries.cost() + self.keys.cost() + self.labels.cost() + self.label_index.cost() + self.members.cost()
    }

    /// Exactly what this shard owes the budget.
    pub(crate) fn charged(&self) -> usize {
        self.data + self.arrays()
    }

    /// The entry stored under `key`, expired or not.
    #[inline]
    pub(crate) fn lookup(&self, hash: u64, key: &str) -> Option<&Entry> {
        self.find(hash, key).map(|id| self.entries.at(id))
    }

    #[inline]
    fn find(&self, hash: u64, key: &str) -> Option<u32> {
        let entries = &self.entries;
        self.keys.find(hash, |id| entries.at(id).key() == key.as_bytes())
    }

    fn find_label(&self, spec: &LabelSpec<'_>) -> Option<u32> {
        let labels = &self.labels;
        self.label_index.find(spec.hash, |id| {
            let l = labels.at(id);
            l.kind == spec.kind && &*l.name == spec.name
        })
    }

    /// Bytes [`Shard::insert`] of `e` would add to [`Shard::charged`] right now (the key must
    /// not be present).
    pub(crate) fn plan(&self, e: &NewEntry<'_>) -> usize {
        let (mut new_labels, mut names) = (0, 0);
        for spec in e.labels.iter().filter(|s| self.find_label(s).is_none()) {
            new_labels += 1;
            names += heap_cost(spec.name.len());
        }
        let arrays = Slab::<Entry>::cost_at(self.entries.grown_capacity(1))
            + Table::cost_at(self.keys.grown_buckets(1))
            + Slab::<Label>::cost_at(self.labels.grown_capacity(new_labels))
            + Table::cost_at(self.label_index.grown_buckets(new_labels))
            + Slab::<Member>::cost_at(self.members.grown_capacity(e.labels.len()));
        entry_data_cost(e.key.len(), e.block.len() - e.key.len(), e.labels.len()) + names + arrays - self.arrays()
    }

    /// Stores `e` as the newest entry (the key must not be present) and returns the bytes
    /// added to [`Shard::charged`], which equal [`Shard::plan`] of the same entry.
    pub(crate) fn insert(&mut self, e: NewEntry<'_>) -> usize {
        debug_assert!(self.find(e.hash, e.key).is_none());
        let before = self.charged();
        let existing: Vec<Option<u32>> = e.labels.iter().map(|s| self.find_label(s)).collect();
        let new_labels = existing.iter().filter(|l| l.is_none()).count();
        // Grow exactly as planned, before anything is stored.
        self.entries.reserve_to(self.entries.grown_capacity(1));
        self.keys.resize(self.keys.grown_buckets(1));
        self.labels.reserve_to(self.labels.grown_capacity(new_labels));
        self.label_index.resize(self.label_index.grown_buckets(new_labels));
        self.members.reserve_to(self.members.grown_capacity(e.labels.len()));

        let id = self.entries.insert(Entry {
            block: e.block,
            expires_at: e.expires_at,
            key_len: e.key.len() as u32,
            tag: e.hash as u32,
            newer: NIL,
            older: NIL,
            members: Box::default(),
            visited: AtomicBool::new(false),
        });
        self.keys.insert(e.hash, id);
        self.push_newest(id);
        let mut members = vec![NIL; e.labels.len()].into_boxed_slice();
        for ((spec, found), m) in e.labels.iter().zip(existing).zip(members.iter_mut()) {
            let label = found.unwrap_or_else(|| self.add_label(spec.kind, spec.name.into(), spec.hash));
            *m = self.link_member(id, label);
        }
        let entry = self.entries.at_mut(id);
        entry.members = members;
        self.data += entry.data_cost();
        self.counters.inserts += 1;
        self.charged() - before
    }

    fn add_label(&mut self, kind: LabelKind, name: Box<str>, hash: u64) -> u32 {
        self.data += heap_cost(name.len());
        let id = self.labels.insert(Label { kind, name, hash, head: NIL, len: 0 });
        self.label_index.insert(hash, id);
        id
    }

    fn link_member(&mut self, slot: u32, label: u32) -> u32 {
        let head = self.labels.at(label).head;
        let m = self.members.insert(Member { slot, label, prev: NIL, next: head });
        if head != NIL {
            self.members.at_mut(head).prev = m;
        }
        let l = self.labels.at_mut(label);
        l.head = m;
        l.len += 1;
        m
    }

    fn unlink_member(&mut self, m: u32) {
        let Member { label, prev, next, .. } = self.members.remove(m);
        if prev != NIL {
            self.members.at_mut(prev).next = next;
        } else {
            self.labels.at_mut(label).head = next;
        }
        if next != NIL {
            self.members.at_mut(next).prev = prev;
        }
        let l = self.labels.at_mut(label);
        l.len -= 1;
        if l.len == 0 {
            let l = self.labels.remove(label);
            self.label_index.remove(l.hash, label);
            self.data -= heap_cost(l.name.len());
        }
    }

    fn push_newest(&mut self, id: u32) {
        let newest = self.newest;
        let e = self.entries.at_mut(id);
        e.older = newest;
        e.newer = NIL;
        if newest != NIL {
            self.entries.at_mut(newest).newer = id;
        } else {
            self.oldest = id;
        }
        self.newest = id;
    }

    /// Takes entry `id` out of every structure. No compaction: ids stay valid.
    fn remove_id(&mut self, id: u32) -> Entry {
        let e = self.entries.remove(id);
        self.keys.remove(u64::from(e.tag), id);
        if e.older != NIL {
            self.entries.at_mut(e.older).newer = e.newer;
        } else {
            self.oldest = e.newer;
        }
        if e.newer != NIL {
            self.entries.at_mut(e.newer).older = e.older;
        } else {
            self.newest = e.older;
        }
        if self.hand == id {
            self.hand = e.newer;
        }
        for &m in e.members.iter() {
            self.unlink_member(m);
        }
        self.data -= e.data_cost();
        e
    }

    /// Removes the entry under `key`; returns the bytes released, or `None` if absent.
    pub(crate) fn remove_key(&mut self, hash: u64, key: &str) -> Option<usize> {
        let id = self.find(hash, key)?;
        let before = self.charged();
        self.remove_id(id);
        self.maybe_compact();
        Some(before - self.charged())
    }

    /// Removes the entry under `key` if it is expired at `now`; returns the bytes released.
    pub(crate) fn remove_if_expired(&mut self, hash: u64, key: &str, now: Millis) -> Option<usize> {
        let id = self.find(hash, key)?;
        if self.entries.at(id).expires_at > now {
            return None;
        }
        let before = self.charged();
        self.remove_id(id);
        self.counters.expirations += 1;
        self.maybe_compact();
        Some(before - self.charged())
    }

    /// SIEVE: moves the hand from the oldest toward the newest entry, clearing visited bits,
    /// and removes the first entry that is unvisited or expired. Returns the bytes released
    /// (no compaction, so a caller may evict repeatedly), or `None` when the shard is empty.
    pub(crate) fn evict_one(&mut self, now: Millis) -> Option<usize> {
        if self.entries.len() == 0 {
            return None;
        }
        let mut id = if self.hand != NIL { self.hand } else { self.oldest };
        loop {
            let e = self.entries.at(id);
            let expired = e.expires_at <= now;
            if expired || !e.visited.load(Relaxed) {
                self.hand = e.newer;
                let before = self.charged();
                self.remove_id(id);
                if expired {
                    self.counters.expirations += 1;
                } else {
                    self.counters.evictions += 1;
                }
                return Some(before - self.charged());
            }
            e.visited.store(false, Relaxed);
            id = if e.newer != NIL { e.newer } else { self.oldest };
        }
    }

    /// Looks at the next `steps` cells of the entry slab (round-robin) and removes the
    /// expired entries among them: the amortized sweep that keeps dead entries from holding
    /// the budget. Returns the bytes released.
    pub(crate) fn sweep(&mut self, now: Millis, steps: usize) -> usize {
        let before = self.charged();
        let cells = self.entries.cells();
        for _ in 0..steps.min(cells) {
            let id = (self.sweep_at % cells) as u32;
            self.sweep_at = (id as usize + 1) % cells;
            if self.entries.get(id).is_some_and(|e| e.expires_at <= now) {
                self.remove_id(id);
                self.counters.expirations += 1;
            }
        }
        self.maybe_compact();
        before - self.charged()
    }

    /// Removes every expired entry; returns (entries removed, bytes released).
    pub(crate) fn purge_expired(&mut self, now: Millis) -> (usize, usize) {
        let before = self.charged();
        let dead: Vec<u32> = self.entries.iter().filter(|(_, e)| e.expires_at <= now).map(|(id, _)| id).collect();
        for &id in &dead {
            self.remove_id(id);
        }
        self.counters.expirations += dead.len() as u64;
        self.maybe_compact();
        (dead.len(), before - self.charged())
    }

    /// Removes every entry carrying the label; returns (entries removed, bytes released).
    pub(crate) fn invalidate(&mut self, spec: &LabelSpec<'_>) -> (usize, usize) {
        let Some(label) = self.find_label(spec) else { return (0, 0) };
        let before = self.charged();
        let mut slots = Vec::with_capacity(self.labels.at(label).len as usize);
        let mut m = self.labels.at(label).head;
        while m != NIL {
            let member = self.members.at(m);
            slots.push(member.slot);
            m = member.next;
        }
        for &id in &slots {
            self.remove_id(id);
        }
        self.maybe_compact();
        (slots.len(), before - self.charged())
    }

    /// Drops every entry and array; returns the bytes released. Counters survive.
    pub(crate) fn clear(&mut self) -> usize {
        let before = self.charged();
        let counters = self.counters;
        *self = Shard::new();
        self.counters = counters;
        before
    }

    /// Releases array slack: frees everything when the shard is empty, and rebuilds it
    /// densely when any slab is less than a quarter full. Returns the bytes released.
    pub(crate) fn shrink(&mut self) -> usize {
        let before = self.charged();
        self.maybe_compact();
        before - self.charged()
    }

    fn maybe_compact(&mut self) {
        if self.entries.len() == 0 {
            if self.arrays() != 0 {
                self.clear();
            }
            return;
        }
        let sparse = |len: usize, cap: usize| cap > COMPACT_MIN && len * 4 < cap;
        if sparse(self.entries.len(), self.entries.capacity())
            || sparse(self.labels.len(), self.labels.capacity())
            || sparse(self.members.len(), self.members.capacity())
        {
            self.compact();
        }
    }

    /// Rebuilds the shard into arrays sized for what it holds (never larger than now), keeping
    /// the SIEVE order, visited bits and hand. The heap blocks of keys, values and label names
    /// move over unchanged, so only array bytes are released.
    fn compact(&mut self) {
        let cap = |len: usize, now: usize| (len * 2).max(4).min(now);
        let buckets = |len: usize, now: usize| Table::with_items(len * 2).buckets().min(now);
        let mut fresh = Shard {
            entries: Slab::with_capacity(cap(self.entries.len(), self.entries.capacity())),
            keys: Table::new(),
            labels: Slab::with_capacity(cap(self.labels.len(), self.labels.capacity())),
            label_index: Table::new(),
            members: Slab::with_capacity(cap(self.members.len(), self.members.capacity())),
            data: self.data,
            counters: self.counters,
            ..Shard::new()
        };
        fresh.keys.resize(buckets(self.keys.len(), self.keys.buckets()));
        fresh.label_index.resize(buckets(self.label_index.len(), self.label_index.buckets()));
        let mut label_map = vec![NIL; self.labels.cells()];
        let mut id = self.oldest;
        while id != NIL {
            let mut e = self.entries.remove(id);
            let next = e.newer;
            let was_hand = self.hand == id;
            let mut members = std::mem::take(&mut e.members);
            let tag = u64::from(e.tag);
            let nid = fresh.entries.insert(e);
            fresh.keys.insert(tag, nid);
            fresh.push_newest(nid);
            if was_hand {
                fresh.hand = nid;
            }
            for m in members.iter_mut() {
                let old_label = self.members.at(*m).label;
                let mut label = label_map[old_label as usize];
                if label == NIL {
                    let l = self.labels.at_mut(old_label);
                    let name = std::mem::take(&mut l.name);
                    // add_label charges the name; it is already in `data`.
                    fresh.data -= heap_cost(name.len());
                    label = fresh.add_label(l.kind, name, l.hash);
                    label_map[old_label as usize] = label;
                }
                *m = fresh.link_member(nid, label);
            }
            fresh.entries.at_mut(nid).members = members;
            id = next;
        }
        *self = fresh;
    }

    /// Checks every structural invariant and that `data` matches the blocks held; returns
    /// [`Shard::charged`]. Panics on the first violation.
    #[cfg(test)]
    pub(crate) fn check(&self) -> usize {
        // Queue: every entry exactly once, links symmetric, hand inside.
        let mut seen = 0;
        let (mut id, mut prev, mut hand_seen) = (self.oldest, NIL, self.hand == NIL);
        while id != NIL {
            let e = self.entries.at(id);
            assert_eq!(e.older, prev, "queue link");
            hand_seen |= id == self.hand;
            seen += 1;
            assert!(seen <= self.entries.len(), "queue cycle");
            prev = id;
            id = e.newer;
        }
        assert_eq!(prev, self.newest);
        assert_eq!(seen, self.entries.len());
        assert!(hand_seen, "hand outside the queue");
        // Key table and memberships.
        assert_eq!(self.keys.len(), self.entries.len());
        assert_eq!(self.keys.iter().count(), self.entries.len());
        assert!(self.keys.len() * 4 <= self.keys.buckets() * 3);
        let mut data = 0;
        let mut members = 0;
        for (id, e) in self.entries.iter() {
            let key = std::str::from_utf8(e.key()).unwrap();
            assert_eq!(self.keys.find(u64::from(e.tag), |i| self.entries.at(i).key() == key.as_bytes()), Some(id));
            assert_eq!(self.keys.find(u64::from(e.tag), |i| i == id), Some(id), "key table");
            for &m in e.members.iter() {
                let member = self.members.at(m);
                assert_eq!(member.slot, id);
                assert!(self.labels.get(member.label).is_some());
            }
            members += e.members.len();
            data += e.data_cost();
        }
        assert_eq!(members, self.members.len());
        // Labels: lists complete, none empty, all indexed.
        assert_eq!(self.label_index.len(), self.labels.len());
        for (lid, l) in self.labels.iter() {
            assert!(l.len > 0, "empty label kept");
            let spec = LabelSpec { kind: l.kind, name: &l.name, hash: l.hash };
            assert_eq!(self.find_label(&spec), Some(lid));
            let (mut m, mut prev, mut n) = (l.head, NIL, 0);
            while m != NIL {
                let member = self.members.at(m);
                assert_eq!(member.label, lid);
                assert_eq!(member.prev, prev);
                n += 1;
                prev = m;
                m = member.next;
            }
            assert_eq!(n, l.len);
            data += heap_cost(l.name.len());
        }
        assert_eq!(data, self.data, "data bytes");
        if self.entries.len() == 0 {
            assert_eq!(self.arrays(), 0, "an empty shard keeps no arrays");
        }
        self.charged()
    }

    /// The label names (kind, name) of the entry under `key` (for tests).
    #[cfg(test)]
    pub(crate) fn labels_of(&self, hash: u64, key: &str) -> Vec<(LabelKind, String)> {
        let Some(id) = self.find(hash, key) else { return Vec::new() };
        let e = self.entries.at(id);
        e.members
            .iter()
            .map(|&m| {
                let l = self.labels.at(self.members.at(m).label);
                (l.kind, l.name.to_string())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ne<'a>(key: &'a str, len: usize, expires_at: Millis, labels: &'a [LabelSpec<'a>]) -> NewEntry<'a> {
        let block = key.bytes().chain(std::iter::repeat_n(7u8, len)).collect();
        NewEntry { key, hash: fake_hash(key), block, expires_at, labels }
    }

    fn fake_hash(s: &str) -> u64 {
        xxhash_rust::xxh3::xxh3_64(s.as_bytes())
    }

    fn tag(name: &str) -> LabelSpec<'_> {
        LabelSpec { kind: LabelKind::Tag, name, hash: fake_hash(name) }
    }

    fn put(s: &mut Shard, e: NewEntry<'_>) {
        let plan = s.plan(&e);
        assert_eq!(s.insert(e), plan, "insert charges exactly its plan");
        s.check();
    }

    #[test]
    fn plan_matches_insert_across_growth() {
        let mut s = Shard::new();
        let tags = [tag("a"), tag("b")];
        for i in 0..200 {
            let key = format!("k{i}");
            let labels: &[LabelSpec<'_>] = if i % 3 == 0 { &tags } else { &tags[..1] };
            put(&mut s, ne(&key, i, 1000, labels));
        }
        assert_eq!(s.len(), 200);
    }

    #[test]
    fn sieve_keeps_visited_entries_and_evicts_in_fifo_order_otherwise() {
        let mut s = Shard::new();
        for k in ["a", "b", "c", "d"] {
            put(&mut s, ne(k, 1, 1000, &[]));
        }
        s.lookup(fake_hash("a"), "a").unwrap().touch();
        s.lookup(fake_hash("c"), "c").unwrap().touch();
        s.evict_one(0).unwrap();
        assert!(s.lookup(fake_hash("b"), "b").is_none(), "first unvisited from the oldest");
        s.evict_one(0).unwrap();
        assert!(s.lookup(fake_hash("d"), "d").is_none(), "hand moved on past c");
        // a and c had their bits cleared by the hand; the next victim is a (wrap-around).
        s.evict_one(0).unwrap();
        assert!(s.lookup(fake_hash("a"), "a").is_none());
        assert_eq!(s.counters.evictions, 3);
        s.check();
    }

    #[test]
    fn eviction_prefers_expired_entries_on_the_way() {
        let mut s = Shard::new();
        put(&mut s, ne("old", 1, 10, &[]));
        put(&mut s, ne("new", 1, 1000, &[]));
        s.lookup(fake_hash("old"), "old").unwrap().touch();
        s.evict_one(10).unwrap();
        assert!(s.lookup(fake_hash("old"), "old").is_none());
        assert_eq!((s.counters.evictions, s.counters.expirations), (0, 1));
    }

    #[test]
    fn labels_are_dropped_with_their_last_member() {
        let mut s = Shard::new();
        let t = [tag("t")];
        put(&mut s, ne("a", 1, 1000, &t));
        put(&mut s, ne("b", 1, 1000, &t));
        assert_eq!(s.labels.len(), 1);
        s.remove_key(fake_hash("a"), "a").unwrap();
        assert_eq!(s.labels.len(), 1);
        s.remove_key(fake_hash("b"), "b").unwrap();
        assert_eq!(s.labels.len(), 0);
        assert_eq!(s.check(), 0, "an emptied shard owes nothing");
    }

    #[test]
    fn invalidate_removes_exactly_the_members() {
        let mut s = Shard::new();
        let (x, y) = ([tag("x")], [tag("y")]);
        for i in 0..50 {
            let key = format!("k{i}");
            put(&mut s, ne(&key, 8, 1000, if i % 2 == 0 { &x } else { &y }));
        }
        let (n, freed) = s.invalidate(&tag("x"));
        assert_eq!(n, 25);
        assert!(freed > 0);
        s.check();
        assert!((0..50).all(|i| {
            let key = format!("k{i}");
            s.lookup(fake_hash(&key), &key).is_some() == (i % 2 == 1)
        }));
        assert_eq!(s.invalidate(&tag("x")), (0, 0));
        assert_eq!(s.invalidate(&tag("nope")), (0, 0));
    }

    #[test]
    fn compaction_releases_array_slack_and_keeps_order() {
        let mut s = Shard::new();
        let t = [tag("t")];
        for i in 0..1000 {
            let key = format!("k{i}");
            put(&mut s, ne(&key, 1, 1000, if i % 10 == 0 { &t } else { &[] }));
        }
        let full = s.charged();
        for i in 0..990 {
            let key = format!("k{i}");
            s.remove_key(fake_hash(&key), &key).unwrap();
            s.check();
        }
        assert!(s.entries.capacity() <= 40, "capacity {}", s.entries.capacity());
        assert!(s.charged() < full / 20, "{} of {full}", s.charged());
        // Survivors k990..k999 keep their age order: the oldest goes first.
        s.evict_one(0).unwrap();
        assert!(s.lookup(fake_hash("k990"), "k990").is_none());
        assert_eq!(s.labels_of(fake_hash("k991"), "k991"), vec![]);
    }

    #[test]
    fn sweep_removes_expired_cells_round_robin() {
        let mut s = Shard::new();
        for i in 0..8 {
            let key = format!("k{i}");
            put(&mut s, ne(&key, 1, if i % 2 == 0 { 5 } else { 50 }, &[]));
        }
        assert!(s.sweep(5, 4) > 0);
        assert_eq!(s.counters.expirations, 2);
        s.sweep(5, 4);
        assert_eq!(s.counters.expirations, 4);
        assert_eq!(s.len(), 4);
        s.check();
    }
}

#[cfg(test)]
mod layout {
    use super::*;

    /// The per-entry bookkeeping the module docs quote: keep them in sync.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn bookkeeping_sizes() {
        assert_eq!(Slab::<Entry>::cell_size(), 64, "entry slot");
        assert_eq!(Table::cost_at(1024), heap_cost(8 * 1024), "key table bucket");
        assert_eq!(Slab::<Member>::cell_size(), 20, "membership slot");
        assert_eq!(Slab::<Label>::cell_size(), 40, "label slot");
    }
}
