//! Behaviour tests of [`L1`]: one unit test per behaviour, a property test against a model,
//! and a multi-threaded stress test.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use proptest::prelude::*;

use super::shard::LabelKind;
use super::*;
use crate::error::ErrorKind;

fn l1(budget: usize, shards: usize) -> L1 {
    L1::with_config(L1Config { shards, hash_seed: Some(7), ..L1Config::new(budget) }).unwrap()
}

fn bytes(n: usize, fill: u8) -> Vec<u8> {
    vec![fill; n]
}

#[test]
fn is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<L1>();
    assert_send_sync::<Arc<L1>>();
}

#[test]
fn get_returns_the_inserted_bytes_and_counts() {
    let c = l1(1 << 20, 4);
    assert_eq!(c.get("k", 0), None);
    assert!(c.insert("k", &bytes(10, 1), 100, 0, &[]).unwrap());
    assert_eq!(c.get("k", 5).as_deref(), Some(&bytes(10, 1)[..]));
    c.insert("k", &bytes(3, 2), 100, 6, &[]).unwrap();
    assert_eq!(c.get("k", 7).as_deref(), Some(&[2u8, 2, 2][..]), "an insert replaces");
    let s = c.stats();
    assert_eq!((s.hits, s.misses, s.inserts, s.entries), (2, 1, 2, 1));
    assert_eq!(s.bytes, c.check());
    assert_eq!(s.budget, 1 << 20);
}

#[test]
fn a_hit_outlives_eviction_of_its_entry() {
    let c = l1(1 << 20, 1);
    c.insert("k", &bytes(100, 9), 100, 0, &[]).unwrap();
    let held = c.get("k", 0).unwrap();
    assert!(c.remove("k"));
    assert_eq!(&held[..], &bytes(100, 9)[..]);
}

#[test]
fn never_returned_at_or_after_expiry() {
    let c = l1(1 << 20, 2);
    c.insert("k", &bytes(1, 1), 10, 100, &[]).unwrap();
    assert!(c.get("k", 109).is_some());
    assert!(c.get("k", 110).is_none(), "expiry instant itself is dead");
    assert!(c.get("k", 109).is_none(), "an expired get removed it");
    let s = c.stats();
    assert_eq!((s.expirations, s.entries, s.bytes), (1, 0, 0));
    c.insert("forever", &bytes(1, 1), NO_EXPIRY, 5, &[]).unwrap();
    assert!(c.get("forever", u64::MAX - 1).is_some());
}

#[test]
fn python_lifetime_is_the_callers_choice() {
    let c = l1(1 << 20, 1);
    let ttl = python_l1_ttl_ms(3000).unwrap();
    c.insert("k", &bytes(1, 1), ttl, 0, &[]).unwrap();
    assert!(c.get("k", 1999).is_some());
    assert!(c.get("k", 2000).is_none());
}

#[test]
fn refuses_bad_arguments() {
    let c = l1(1 << 20, 1);
    assert_eq!(c.insert("k", &bytes(1, 1), 0, 0, &[]).unwrap_err().kind(), ErrorKind::InvalidTtl);
    assert_eq!(c.insert("k", &bytes(1, 1), 1, 0, &[""]).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(c.insert_in("", "k", &bytes(1, 1), 1, 0, &[]).unwrap_err().kind(), ErrorKind::InvalidArgument);
    let many: Vec<String> = (0..=MAX_TAGS).map(|i| format!("t{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(c.insert("k", &bytes(1, 1), 1, 0, &many).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert!(c.insert("k", &bytes(1, 1), 1, 0, &many[..MAX_TAGS]).unwrap());
    assert!(L1::new(0).is_err());
}

#[test]
fn entries_over_the_cap_are_refused_and_the_stale_value_dropped() {
    let c = l1(64 * 1024, 4);
    assert_eq!(c.max_entry_bytes(), 8 * 1024, "default cap is 1/8 of the budget");
    c.insert("k", &bytes(100, 1), 100, 0, &[]).unwrap();
    let e = c.insert("k", &bytes(8 * 1024, 2), 100, 0, &[]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ValueTooLarge);
    assert_eq!(c.get("k", 0), None, "the old value must not be served after a refused write");
    let s = c.stats();
    assert_eq!((s.rejected, s.entries, s.bytes), (1, 0, 0));
    // The cap applies to the entry's full charge, which is what entry_charge reports.
    let fits = (0..8 * 1024).rev().find(|&n| L1::entry_charge(1, n, &[]) <= 8 * 1024).unwrap();
    assert!(c.insert("k", &bytes(fits, 3), 100, 0, &[]).unwrap());
    assert!(c.insert("k", &bytes(fits + 1, 3), 100, 0, &[]).is_err());
}

#[test]
fn a_capped_entry_always_fits_by_evicting_from_every_shard() {
    let c = l1(64 * 1024, 16);
    for i in 0..2000 {
        c.insert(&format!("small{i}"), &bytes(40, 1), 1000, 0, &["t"]).unwrap();
        assert!(c.stats().bytes <= c.budget());
    }
    let big = (0..8 * 1024).rev().find(|&n| L1::entry_charge(3, n, &[]) <= c.max_entry_bytes()).unwrap();
    assert!(c.insert("big", &bytes(big, 2), 1000, 0, &[]).unwrap());
    assert_eq!(c.get("big", 1).map(|b| b.len()), Some(big));
    c.check();
}

#[test]
fn the_budget_holds_while_filling_far_beyond_it() {
    let c = l1(32 * 1024, 4);
    for i in 0..5000usize {
        let tags = [format!("t{}", i % 7)];
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        c.insert_in("ns", &format!("key-{i}"), &bytes(i % 300, 1), 1000, 0, &tags).unwrap();
        assert!(c.stats().bytes <= c.budget());
    }
    let s = c.stats();
    assert!(s.evictions > 4000, "{s:?}");
    assert!(s.bytes > c.budget() / 2, "a full cache uses its budget: {s:?}");
    c.check();
}

#[test]
fn overhead_per_entry_is_bounded() {
    // 10k entries of 1 KiB under 90-byte keys: the charge beyond key + value is the
    // allocator rounding, the Arc header and the slab slot + table bucket (with growth slack).
    let c = l1(64 << 20, 16);
    let n = 10_000;
    for i in 0..n {
        c.insert(&format!("ns:app:func:mod.fn:args:{i:064x}:1s"), &bytes(1024, 1), 1000, 0, &[]).unwrap();
    }
    let s = c.stats();
    let per_entry = s.bytes / n;
    let overhead = per_entry - 1024 - 90;
    println!("charged per 1 KiB entry: {per_entry} bytes (overhead {overhead})");
    assert!((80..=300).contains(&overhead), "overhead {overhead}");
}

#[test]
fn remove_and_clear() {
    let c = l1(1 << 20, 4);
    for i in 0..100 {
        c.insert(&format!("k{i}"), &bytes(10, 1), 100, 0, &["t"]).unwrap();
    }
    assert!(c.remove("k1"));
    assert!(!c.remove("k1"));
    assert_eq!(c.get("k1", 0), None);
    c.clear();
    let s = c.stats();
    assert_eq!((s.entries, s.bytes, s.inserts), (0, 0, 100), "clear frees everything, keeps counters");
    assert_eq!(c.get("k2", 0), None);
    assert_eq!(c.invalidate_tag("t"), 0, "no label survives clear");
    c.check();
}

#[test]
fn invalidate_by_tag_and_namespace() {
    let c = l1(1 << 20, 8);
    for i in 0..60 {
        let ns = if i % 2 == 0 { "even" } else { "odd" };
        let tag = format!("mod{}", i % 3);
        c.insert_in(ns, &format!("k{i}"), &bytes(10, 1), 100, 0, &[&tag, "all"]).unwrap();
    }
    c.insert("plain", &bytes(1, 1), 100, 0, &[]).unwrap();
    assert_eq!(c.invalidate_tag("mod0"), 20);
    assert_eq!(c.invalidate_namespace("even"), 20, "even entries not already gone (i%3!=0)");
    for i in 0..60 {
        let present = c.get(&format!("k{i}"), 1).is_some();
        assert_eq!(present, i % 3 != 0 && i % 2 == 1, "k{i}");
    }
    assert_eq!(c.invalidate_tag("all"), 20);
    assert_eq!(c.invalidate_namespace("odd"), 0);
    assert!(c.get("plain", 1).is_some());
    assert_eq!(c.stats().entries, 1);
    c.check();
}

#[test]
fn namespace_and_tag_of_the_same_name_are_distinct_and_tags_dedupe() {
    let c = l1(1 << 20, 1);
    c.insert_in("x", "a", &bytes(1, 1), 100, 0, &[]).unwrap();
    c.insert("b", &bytes(1, 1), 100, 0, &["x", "x"]).unwrap();
    assert_eq!(c.labels_of("b"), vec![(LabelKind::Tag, "x".to_string())]);
    assert_eq!(c.invalidate_tag("x"), 1);
    assert!(c.get("a", 0).is_some());
    assert_eq!(c.invalidate_namespace("x"), 1);
    c.check();
}

#[test]
fn indexes_do_not_leak_when_entries_are_evicted_or_expire() {
    let c = l1(16 * 1024, 2);
    for i in 0..3000 {
        let tag = format!("unique-tag-{i}");
        c.insert_in(&format!("ns{i}"), &format!("k{i}"), &bytes(20, 1), 5, i / 10, &[&tag]).unwrap();
        c.check(); // labels of evicted/expired entries are gone and their bytes released
    }
    c.purge_expired(10_000);
    let s = c.stats();
    assert_eq!((s.entries, s.bytes), (0, 0), "{s:?}");
}

#[test]
fn inserts_sweep_expired_entries_without_any_get() {
    let c = l1(1 << 20, 1);
    for i in 0..64 {
        c.insert(&format!("old{i}"), &bytes(100, 1), 10, 0, &[]).unwrap();
    }
    let full = c.stats().bytes;
    for i in 0..32 {
        c.insert(&format!("new{i}"), &bytes(1, 1), 1000, 20, &[]).unwrap();
    }
    let s = c.stats();
    assert!(s.expirations >= 64, "4 cells per insert sweep the old ones: {s:?}");
    assert!(s.bytes < full / 2, "{} vs {full}", s.bytes);
    assert_eq!(c.purge_expired(20), 0);
    c.check();
}

#[test]
fn purge_expired_removes_exactly_the_dead() {
    let c = l1(1 << 20, 4);
    for i in 0..50u64 {
        c.insert(&format!("k{i}"), &bytes(4, 1), 1 + i, 0, &[]).unwrap();
    }
    assert_eq!(c.purge_expired(25), 25);
    assert_eq!(c.stats().entries, 25);
    assert_eq!(c.stats().expirations, 25);
    c.check();
}

// ---------------------------------------------------------------------------------------
// Property test against a model.

#[derive(Clone, Debug)]
enum Op {
    Insert { key: u8, len: usize, ttl: u64, ns: Option<u8>, tags: Vec<u8> },
    Get { key: u8 },
    Remove { key: u8 },
    InvalidateTag { tag: u8 },
    InvalidateNs { ns: u8 },
    Advance { ms: u64 },
    Purge,
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..24, 0usize..1200, 1u64..60, proptest::option::of(0u8..3), proptest::collection::vec(0u8..5, 0..3))
            .prop_map(|(key, len, ttl, ns, tags)| Op::Insert { key, len, ttl, ns, tags }),
        6 => (0u8..24).prop_map(|key| Op::Get { key }),
        1 => (0u8..24).prop_map(|key| Op::Remove { key }),
        1 => (0u8..5).prop_map(|tag| Op::InvalidateTag { tag }),
        1 => (0u8..3).prop_map(|ns| Op::InvalidateNs { ns }),
        2 => (0u64..30).prop_map(|ms| Op::Advance { ms }),
        1 => Just(Op::Purge),
        1 => Just(Op::Clear),
    ]
}

/// What the model knows of a key: the last bytes written, their expiry and labels. The
/// cache may have dropped it (eviction); it must never return anything else.
struct Known {
    bytes: Vec<u8>,
    expires_at: u64,
    ns: Option<u8>,
    tags: Vec<u8>,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn behaves_like_the_model(shards in prop_oneof![Just(1usize), Just(2), Just(4)], budget in 4096usize..16_384, ops in proptest::collection::vec(op(), 1..120)) {
        let c = l1(budget, shards);
        let mut model: HashMap<u8, Known> = HashMap::new();
        let mut now = 0u64;
        let mut version = 0u8;
        for op in ops {
            match op {
                Op::Insert { key, len, ttl, ns, tags } => {
                    version = version.wrapping_add(1);
                    let value = vec![version; len];
                    let tag_names: Vec<String> = tags.iter().map(|t| format!("t{t}")).collect();
                    let tag_refs: Vec<&str> = tag_names.iter().map(String::as_str).collect();
                    let k = format!("key{key}");
                    let r = match ns {
                        Some(n) => c.insert_in(&format!("ns{n}"), &k, &value, ttl, now, &tag_refs),
                        None => c.insert(&k, &value, ttl, now, &tag_refs),
                    };
                    match r {
                        Ok(stored) => {
                            prop_assert!(stored, "single-threaded inserts always find room");
                            model.insert(key, Known { bytes: value, expires_at: now + ttl, ns, tags });
                        }
                        Err(e) => {
                            prop_assert_eq!(e.kind(), ErrorKind::ValueTooLarge);
                            model.remove(&key);
                        }
                    }
                }
                Op::Get { key } => {
                    if let Some(got) = c.get(&format!("key{key}"), now) {
                        let known = model.get(&key);
                        prop_assert!(known.is_some(), "returned a key that was never stored or was removed");
                        let known = known.unwrap();
                        prop_assert!(now < known.expires_at, "returned an expired entry");
                        prop_assert_eq!(&got[..], &known.bytes[..], "returned other bytes than the last insert");
                    }
                }
                Op::Remove { key } => {
                    let had = c.remove(&format!("key{key}"));
                    if had { prop_assert!(model.contains_key(&key)); }
                    model.remove(&key);
                }
                Op::InvalidateTag { tag } => {
                    c.invalidate_tag(&format!("t{tag}"));
                    model.retain(|_, k| !k.tags.contains(&tag));
                }
                Op::InvalidateNs { ns } => {
                    c.invalidate_namespace(&format!("ns{ns}"));
                    model.retain(|_, k| k.ns != Some(ns));
                }
                Op::Advance { ms } => now += ms,
                Op::Purge => { c.purge_expired(now); }
                Op::Clear => { c.clear(); model.clear(); }
            }
            // (1) the budget holds and the accounting is exact after every op.
            let charged = c.check();
            prop_assert!(charged <= budget);
            prop_assert_eq!(c.stats().bytes, charged);
            // (4) nothing the model dropped (invalidated, removed, cleared, refused) is served.
            for key in 0u8..24 {
                if !model.contains_key(&key) {
                    prop_assert!(c.get(&format!("key{key}"), now).is_none(), "key{} should be gone", key);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Concurrency.

/// Four threads on two cores share one small L1 with mixed operations. Every value carries
/// its key and expiry, so each hit is checked for belonging to its key and being alive; a
/// watcher checks the budget while they run; the accounting is checked exactly at the end.
#[test]
fn concurrent_stress_keeps_every_invariant() {
    const THREADS: u64 = 4;
    const OPS: u64 = 40_000;
    const KEYS: u64 = 400;
    let started = std::time::Instant::now();
    let c = Arc::new(l1(48 * 1024, 8));
    let clock = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (c, done) = (Arc::clone(&c), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut looks = 0u64;
            while !done.load(Relaxed) {
                let s = c.stats();
                assert!(s.bytes <= s.budget, "budget exceeded mid-run: {s:?}");
                looks += 1;
                std::thread::yield_now();
            }
            looks
        })
    };
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (c, clock) = (Arc::clone(&c), Arc::clone(&clock));
            std::thread::spawn(move || {
                let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (t + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                let (mut hits, mut stored) = (0u64, 0u64);
                for _ in 0..OPS {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let now = clock.fetch_add(1, Relaxed) / 16;
                    let k = (x >> 8) % KEYS;
                    let key = format!("key:{k}");
                    match x % 1000 {
                        0..=649 => {
                            if let Some(v) = c.get(&key, now) {
                                let (kk, expires_at) = decode(&v);
                                assert_eq!(kk, k, "a hit returned another key's bytes");
                                assert!(now < expires_at, "a hit returned an expired entry");
                                hits += 1;
                            }
                        }
                        650..=949 => {
                            let ttl = 1 + (x >> 20) % 2000;
                            let len = 16 + ((x >> 30) % 200) as usize;
                            let tag = format!("tag{}", k % 13);
                            let value = encode(k, now + ttl, len);
                            let r =
                                c.insert_in(if k % 2 == 0 { "even" } else { "odd" }, &key, &value, ttl, now, &[&tag]);
                            stored += u64::from(r.unwrap());
                        }
                        950..=985 => {
                            c.remove(&key);
                        }
                        986..=993 => {
                            c.invalidate_tag(&format!("tag{}", k % 13));
                        }
                        994..=995 => {
                            c.invalidate_namespace("even");
                        }
                        _ => {
                            c.purge_expired(now);
                        }
                    }
                }
                (hits, stored)
            })
        })
        .collect();
    let (mut hits, mut stored) = (0, 0);
    for w in workers {
        let (h, s) = w.join().unwrap();
        hits += h;
        stored += s;
    }
    done.store(true, Relaxed);
    let looks = watcher.join().unwrap();
    let charged = c.check();
    let s = c.stats();
    assert_eq!(s.bytes, charged);
    assert_eq!(s.hits, hits);
    assert_eq!(s.inserts, stored);
    assert!(s.hits > 0 && s.evictions > 0 && s.expirations > 0, "{s:?}");
    let elapsed = started.elapsed();
    println!("stress: {s:?}, watcher looked {looks} times, {elapsed:?}");
    assert!(elapsed < std::time::Duration::from_secs(if cfg!(debug_assertions) { 10 } else { 2 }));
}

fn encode(key: u64, expires_at: u64, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len.max(16));
    v.extend_from_slice(&key.to_le_bytes());
    v.extend_from_slice(&expires_at.to_le_bytes());
    v.resize(len.max(16), key as u8);
    v
}

fn decode(v: &[u8]) -> (u64, u64) {
    (u64::from_le_bytes(v[..8].try_into().unwrap()), u64::from_le_bytes(v[8..16].try_into().unwrap()))
}
