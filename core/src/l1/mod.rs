//! The L1: an in-process cache of stored entry bytes, keyed by the full cache key.
//!
//! It sits in front of Redis in every binding and holds exactly what Redis holds: the
//! encoded (and, in `secure` mode, encrypted) entry bytes, never decoded values, so a hit
//! re-runs the same read path as a Redis hit and an L1 never holds plaintext that Redis
//! would not (SPEC §8 `secure`: "L1 holds only ciphertext").
//!
//! ```
//! use cachekit::l1::{L1, python_l1_ttl_ms};
//! let l1 = L1::new(64 << 20)?;
//! let ttl = python_l1_ttl_ms(600_000).unwrap(); // cachekit-py's `ttl − 1 s`, if wanted
//! l1.insert_in("users", "users:get:ab12", b"stored bytes", ttl, /* now */ 0, &["user:42"])?;
//! assert_eq!(l1.get("users:get:ab12", 1).as_deref(), Some(&b"stored bytes"[..]));
//! l1.invalidate_tag("user:42");
//! assert!(l1.get("users:get:ab12", 2).is_none());
//! # Ok::<(), cachekit::Error>(())
//! ```
//!
//! | file | holds |
//! |---|---|
//! | `cache.rs` | [`L1`]: sharding, the global budget, insert/steal, invalidation |
//! | `shard.rs` | one shard: entries, SIEVE queue, key table, label index, compaction |
//! | `bytes.rs` | [`EntryBytes`], what a hit returns |
//! | `config.rs` | [`L1Config`] and the defaults |
//! | `stats.rs` | [`Stats`] |
//! | `ttl.rs` | [`NO_EXPIRY`], [`python_l1_ttl_ms`] |
//! | `cost.rs` | the allocator model every charge uses |
//! | `slab.rs`, `table.rs` | the id-addressed slab and the open-addressing hash table |
//! | `measure.rs`, `tests.rs` | the policy measurement; behaviour, property and stress tests |
//!
//! # What a hit returns
//!
//! Each entry's key and value live in one `Arc<[u8]>` block; a hit returns an
//! [`EntryBytes`] (that block plus the value's offset). Compared with a `Vec<u8>` per entry, a
//! hit never copies and never allocates under the lock: it is one reference-count increment,
//! and the binding copies into its own buffer (napi `Buffer`, PHP string, C out-buffer)
//! after the lock is released, or exposes the bytes directly. Compared with a separate
//! `Arc<[u8]>` value and `Box<str>` key, one block saves an allocation (and its chunk
//! overhead) per entry, and a hit touches the key it compares and the count it increments
//! on neighbouring cache lines of one page, which is what the hit path's time is mostly made
//! of (`docs/bench-l1.md` shows what this change did to the random-hit time).
//!
//! # The budget: counted honestly, never exceeded
//!
//! [`Stats::bytes`] is the sum of `cost::heap_cost` of every heap block the L1 owns:
//! the size a ptmalloc/dlmalloc chunk really takes (header word, rounding to 16 bytes,
//! 32-byte minimum, whole pages above 128 KiB), not the size asked for. Arrays are charged
//! at their capacity, not their length, and grow only after their larger size has been
//! reserved against the budget, so no allocation happens on credit. Per entry, on a 64-bit
//! target, that is:
//!
//! | block | bytes | why |
//! |---|---|---|
//! | key + value block | `16 + key + value` + 8–23 | two reference counts; chunk header and rounding |
//! | entry slot | 64 × (1 … 2) | the slot itself; the slab at most doubles when it grows |
//! | key-table bucket | 8 × (4/3 … 8/3) | load kept between 3/8 and 3/4 |
//! | per label (namespace or tag) on the entry | 4 (id list) + 20 × (1 … 2) | membership slot |
//! | per distinct label per shard | 40 × (1 … 2) + name chunk + 8 × (4/3 … 8/3) | label slot, name, bucket |
//!
//! So an entry without labels carries **≈ 100–190 bytes** beyond its key and value (156
//! bytes measured for 10k entries of 1 KiB under 90-byte keys:
//! `tests::overhead_per_entry_is_bounded`). Arrays are rebuilt smaller when a removal
//! leaves them under a quarter full and freed when a shard empties, so removed entries do
//! not keep their bookkeeping charged. Not counted: the fixed [`L1`] struct and its shard
//! locks (128 bytes per shard), scratch vectors that live only inside one call, and
//! [`EntryBytes`] a caller still holds after the entry left (the caller's memory).
//!
//! The budget is one global atomic counter, not a per-shard split: an insert reserves its
//! exact charge with a compare-and-swap that fails rather than pass the limit, so the
//! counter can never exceed it, even transiently and under any concurrency (checked after
//! every operation by the property test, and continuously by the stress test's watcher).
//! When the reservation fails, the insert evicts from its own shard (SIEVE's victim); if its
//! shard is empty it releases the lock and evicts from the others round-robin, one lock at a
//! time, so no call ever holds two shard locks.
//!
//! # Per-entry cap
//!
//! An entry whose charge ([`L1::entry_charge`]: its blocks plus the smallest arrays holding
//! it) exceeds the cap, by default `budget / 8` as in cachekit-py, is not kept: the insert
//! fails with `value_too_large`, counts in [`Stats::rejected`], and removes any older entry
//! under that key so a refused write never leaves a stale value readable.
//!
//! # Eviction: SIEVE, and why
//!
//! SIEVE (Zhang et al., NSDI '24) keeps entries in insertion order with a "visited" bit;
//! a hit only sets the bit; eviction moves a hand from the oldest entry toward the newest,
//! clearing set bits, and evicts the first entry whose bit is clear; survivors stay in place.
//! Expired entries the hand meets are removed first (counted as expirations).
//!
//! Hit ratio, measured by `measure::policy_table` (fixed-seed Zipf traces of 2M requests
//! over 100k keys, first 10% warm-up; the scan trace inserts 2000 one-time keys every 1000
//! requests, which are two thirds of its requests and always miss). "L1" is this
//! implementation, 16 shards, with a byte budget sized for the stated number of entries:
//!
//! | trace | entries | LRU | FIFO | CLOCK | SIEVE | L1 |
//! |---|---:|---:|---:|---:|---:|---:|
//! | Zipf 0.8 | 1,000 | 20.40% | 17.90% | 21.37% | **31.55%** | 31.51% |
//! | Zipf 0.8 | 10,000 | 46.84% | 42.81% | 48.06% | **54.82%** | 55.19% |
//! | Zipf 1.0 | 1,000 | 50.56% | 46.42% | 51.71% | **60.32%** | 60.19% |
//! | Zipf 1.0 | 10,000 | 73.69% | 70.05% | 74.53% | **78.42%** | 78.54% |
//! | Zipf 1.2 | 1,000 | 79.50% | 76.25% | 80.19% | **84.26%** | 84.48% |
//! | Zipf 1.2 | 10,000 | 91.71% | 89.95% | 92.03% | **93.25%** | 93.25% |
//! | Zipf 1.0 + scans | 1,000 | 12.60% | 12.60% | 12.60% | **20.11%** | 20.04% |
//! | Zipf 1.0 + scans | 10,000 | 19.11% | 17.72% | 19.55% | **25.08%** | 25.09% |
//!
//! (`cargo test -p cachekit --release --lib l1::measure -- --ignored --nocapture`; a smaller
//! version asserting SIEVE ≥ LRU runs with every `cargo test`.) SIEVE beats LRU, cachekit-py's
//! policy, by 1.5 to 11 points on every trace, and sharding plus byte budgeting costs it
//! nothing measurable.
//!
//! The hit path decides it further: an LRU must relink the entry at the head on every hit,
//! which needs the shard lock exclusively, so readers of a shard serialize and write the
//! list's cache lines. SIEVE's hit is a relaxed load of the bit and, only if it was clear, a
//! relaxed store, under the shard lock taken *shared*. W-TinyLFU (moka) has a better ratio
//! on some traces but its hits feed read buffers and a frequency sketch: 3–7× slower hits in
//! `docs/bench-l1.md`. S3-FIFO matches SIEVE's ratios with three queues and a ghost table.
//!
//! # Expiry
//!
//! `insert(…, ttl_ms, now, …)` makes the entry readable while `now' < now + ttl_ms` and
//! never at or after (a `get` at the expiry instant misses and removes it). There is no
//! background thread and no clock: expiry is checked on `get`, every insert sweeps four slots
//! of its shard (round-robin, so every slot is visited within `capacity / 4` inserts), the
//! eviction hand removes expired entries it passes, and [`L1::purge_expired`] sweeps all.
//! cachekit-py keeps L1 entries for `ttl − 1 s` (SPEC §9) so the copy dies before the Redis
//! key; [`python_l1_ttl_ms`] computes that, and using it is the caller's choice.
//!
//! # Namespaces and tags
//!
//! The namespace is given at insert ([`L1::insert_in`]), not parsed from the key: default
//! mode (`ns:{ns}:func:…`), interop (`{ns}:{op}:{hash}`) and tenant-prefixed keys place it
//! differently, and a binding knows the namespace it was configured with. Namespaces and tags
//! are labels in separate spaces (a tag `x` is not namespace `x`). Each shard indexes its
//! labels (label → list of member entries), so [`L1::invalidate_namespace`] and
//! [`L1::invalidate_tag`] cost one lock per shard plus the matching entries, never a scan.
//! A label disappears with its last entry, whichever way that entry leaves (eviction,
//! expiry, removal, replacement), and its bytes are charged while it exists.
//!
//! # Threads
//!
//! [`L1`] is `Send + Sync`; share it as `Arc<L1>`. Keys are hashed once (xxh3-64 with a
//! per-instance random seed, against hash flooding): the high half picks one of
//! [`DEFAULT_SHARDS`] shards, each behind a `std::sync::RwLock`, the low half probes that
//! shard's table. Hits take the lock shared and bump a per-shard counter on the lock's own
//! cache line; inserts, removals and invalidations take it exclusively. Only std primitives:
//! the same code builds for `wasm32-unknown-unknown`, where the locks are uncontended.

mod bytes;
mod cache;
mod config;
mod cost;
mod shard;
mod slab;
mod stats;
mod table;
mod ttl;

#[cfg(test)]
mod measure;
#[cfg(test)]
mod tests;

pub use bytes::EntryBytes;
pub use cache::L1;
pub use config::{DEFAULT_BUDGET, DEFAULT_SHARDS, L1Config, MAX_SHARDS, MAX_TAGS, check_tags};
pub use stats::Stats;
pub use ttl::{NO_EXPIRY, python_l1_ttl_ms};
