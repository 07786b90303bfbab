//! The `ck_l1` handle: the core's in-process L1 cache of stored entry bytes (byte budget,
//! SIEVE eviction, per-entry expiry, namespace and tag indexes), shareable across threads.

use std::ffi::c_char;

use cachekit::l1::{L1, L1Config, Stats};

use crate::boundary::{bytes, ck_buf, ck_result, guard, handle, opt_text, out_buf, text, text_array, write_out};
use crate::handles::{free, register};

/// An L1 cache of stored entry bytes keyed by the full cache key. Opaque: create it with
/// `ck_l1_new`, release it with `ck_l1_free`. Thread-safe: every function except
/// `ck_l1_free` may be called on one `ck_l1` from many threads at once (hits take a shard
/// lock shared; writes take it exclusively).
pub struct ck_l1 {
    l1: L1,
}

/// Shards of an L1 when `ck_l1_new` is given 0 (16).
pub const CK_L1_DEFAULT_SHARDS: usize = 16;
/// Most tags one L1 entry (and one engine request) may carry: 64.
pub const CK_L1_MAX_TAGS: usize = 64;
/// The `ttl_ms` of an L1 entry that never expires (`UINT64_MAX`).
pub const CK_L1_NO_EXPIRY: u64 = u64::MAX;

/// Counters and occupancy of an L1, filled by `ck_l1_get_stats` (and
/// `ck_engine_get_l1_stats`). Counters count since creation; `bytes` and `entries` are now.
/// Taken shard by shard without a global pause, so under concurrent use the fields may be a
/// few operations apart.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ck_l1_stats {
    /// Lookups that returned bytes.
    pub hits: u64,
    /// Lookups that returned nothing (absent or expired).
    pub misses: u64,
    /// Live entries removed by the eviction policy to make room.
    pub evictions: u64,
    /// Expired entries removed.
    pub expirations: u64,
    /// Entries stored.
    pub inserts: u64,
    /// Inserts not kept (over the per-entry cap, or no room under concurrent inserts).
    pub rejected: u64,
    /// Bytes charged to the budget now (entries, keys, labels and bookkeeping).
    pub bytes: usize,
    /// Entries held now (expired ones not yet removed included).
    pub entries: usize,
    /// The configured budget.
    pub budget: usize,
}

impl From<Stats> for ck_l1_stats {
    fn from(s: Stats) -> ck_l1_stats {
        ck_l1_stats {
            hits: s.hits,
            misses: s.misses,
            evictions: s.evictions,
            expirations: s.expirations,
            inserts: s.inserts,
            rejected: s.rejected,
            bytes: s.bytes,
            entries: s.entries,
            budget: s.budget,
        }
    }
}

/// The core configuration for the C arguments (0 = default for the cap and the shards).
pub(crate) fn l1_config(budget_bytes: usize, max_entry_bytes: usize, shards: usize) -> L1Config {
    L1Config {
        max_entry_bytes: (max_entry_bytes != 0).then_some(max_entry_bytes),
        shards: if shards == 0 { CK_L1_DEFAULT_SHARDS } else { shards },
        ..L1Config::new(budget_bytes)
    }
}

/// Creates an L1 holding at most `budget_bytes` (a hard limit, bookkeeping included).
/// `max_entry_bytes` caps one entry's charge (0 = `budget_bytes / 8`, as cachekit-py);
/// `shards` is the number of independently locked shards, a power of two up to 1024
/// (0 = `CK_L1_DEFAULT_SHARDS`). The key hash is seeded from the platform random source.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `out`, budget 0, cap outside
/// 1..=budget, bad shard count).
/// Ownership: on success `*out` is a new handle the caller owns: release it with
/// `ck_l1_free`. On failure `*out` is NULL.
/// Thread safety: safe from any thread.
///
/// # Safety
/// `out` is NULL or a writable `ck_l1 *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_l1_new(
    budget_bytes: usize,
    max_entry_bytes: usize,
    shards: usize,
    out: *mut *mut ck_l1,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, std::ptr::null_mut(), "out") }?;
        let l1 = L1::with_config(l1_config(budget_bytes, max_entry_bytes, shards))?;
        // SAFETY: `out` was checked writable above.
        unsafe { *out = register(Box::new(ck_l1 { l1 })) };
        Ok(())
    })
}

/// Releases an L1 and every entry in it. NULL, an already freed handle and a pointer that
/// is not a live `ck_l1` are ignored (see "Handles" at the top of this header).
///
/// Thread safety: no other call may be using the handle.
///
/// # Safety
/// `l1` is NULL or a pointer previously returned by `ck_l1_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_l1_free(l1: *mut ck_l1) {
    // SAFETY: forwarded contract; only a live handle is dropped.
    unsafe { free(l1) }
}

/// Looks `key` up at `now_ms` (your monotonic clock). On a hit copies the stored bytes into
/// `*out` and sets `*hit` to true; on a miss (absent or expired at `now_ms`) `*out` is
/// `{NULL, 0}` and `*hit` false. An entry is never returned at or after its expiry.
///
/// Result codes: `CK_OK` (hit or miss); `CK_INVALID_ARGUMENT` (NULL `l1`, `key` or `out`);
/// `CK_INVALID_STRING`.
/// Ownership: on a hit free `*out` with `ck_buf_free`. `hit` may be NULL (then test
/// `out->ptr != NULL`).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `l1` is NULL or live; `key` is NULL or NUL-terminated; `out` is NULL or a writable
/// `ck_buf`; `hit` is NULL or a writable `bool`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_l1_get(
    l1: *const ck_l1,
    key: *const c_char,
    now_ms: u64,
    out: *mut ck_buf,
    hit: *mut bool,
) -> ck_result {
    guard(|| {
        if !hit.is_null() {
            // SAFETY: non-NULL and writable per the caller.
            unsafe { *hit = false };
        }
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        let (l1, key) = unsafe { (handle(l1, "l1")?, text(key, "key")?) };
        if let Some(found) = l1.l1.get(key, now_ms) {
            *out = ck_buf::from_vec(found.to_vec());
            if !hit.is_null() {
                // SAFETY: as above.
                unsafe { *hit = true };
            }
        }
        Ok(())
    })
}

/// Stores `value` (`value_len` bytes: the stored entry bytes, as Redis holds them) under
/// `key`, readable while `now' < now_ms + ttl_ms` (`CK_L1_NO_EXPIRY` never expires). Any
/// previous entry under `key` is replaced, also when the new one is refused (so a refused
/// write never leaves a stale value readable). `ns` (NULL = none) and the `tags_len`
/// strings at `tags` label the entry for `ck_l1_invalidate_namespace` / `_tag`. Each
/// insert also sweeps a few slots for expired entries, and makes room by evicting (SIEVE).
///
/// `*stored` (may be NULL) is set to true when the entry was kept, false in the rare case
/// no room could be made because concurrent inserts held the whole budget.
///
/// Result codes: `CK_OK`; `CK_INVALID_TTL` (`ttl_ms` 0); `CK_VALUE_TOO_LARGE` (the
/// entry's charge exceeds the per-entry cap, or an input over `CK_MAX_INPUT_BYTES`);
/// `CK_INVALID_ARGUMENT` (NULL `l1`/`key`, NULL value with a length, NULL tag, empty `ns`
/// or tag, more than `CK_L1_MAX_TAGS` tags); `CK_INVALID_STRING`.
/// Ownership: every input is copied; they stay the caller's.
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `l1` is NULL or live; `ns` and `key` are NULL or NUL-terminated; `value` points to
/// `value_len` readable bytes; `tags` points to `tags_len` pointers to NUL-terminated
/// strings (or is NULL with 0); `stored` is NULL or a writable `bool`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ck_l1_insert(
    l1: *const ck_l1,
    ns: *const c_char,
    key: *const c_char,
    value: *const u8,
    value_len: usize,
    ttl_ms: u64,
    tags: *const *const c_char,
    tags_len: usize,
    now_ms: u64,
    stored: *mut bool,
) -> ck_result {
    guard(|| {
        if !stored.is_null() {
            // SAFETY: non-NULL and writable per the caller.
            unsafe { *stored = false };
        }
        // SAFETY: forwarded contract.
        let (l1, ns, key, value, tags) = unsafe {
            (
                handle(l1, "l1")?,
                opt_text(ns, "ns")?,
                text(key, "key")?,
                bytes(value, value_len, "value")?,
                text_array(tags, tags_len, CK_L1_MAX_TAGS, "tags")?,
            )
        };
        let kept = match ns {
            Some(ns) => l1.l1.insert_in(ns, key, value, ttl_ms, now_ms, &tags)?,
            None => l1.l1.insert(key, value, ttl_ms, now_ms, &tags)?,
        };
        if !stored.is_null() {
            // SAFETY: as above.
            unsafe { *stored = kept };
        }
        Ok(())
    })
}

/// Removes the entry under `key`; `*removed` (may be NULL) tells whether there was one.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT`; `CK_INVALID_STRING`.
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `l1` is NULL or live; `key` is NULL or NUL-terminated; `removed` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_l1_remove(l1: *const ck_l1, key: *const c_char, removed: *mut bool) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let (l1, key) = unsafe { (handle(l1, "l1")?, text(key, "key")?) };
        let was = l1.l1.remove(key);
        if !removed.is_null() {
            // SAFETY: non-NULL and writable per the caller.
            unsafe { *removed = was };
        }
        Ok(())
    })
}

unsafe fn count_out(out: *mut usize, n: usize) {
    if !out.is_null() {
        // SAFETY: non-NULL and writable per the caller.
        unsafe { *out = n };
    }
}

/// Removes every entry inserted in namespace `ns`; `*removed` (may be NULL) is how many.
/// Costs one exclusive lock per shard plus the matching entries, never a scan.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT`; `CK_INVALID_STRING`.
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `l1` is NULL or live; `ns` is NULL or NUL-terminated; `removed` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_l1_invalidate_namespace(
    l1: *const ck_l1,
    ns: *const c_char,
    removed: *mut usize,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let (l1, ns) = unsafe { (handle(l1, "l1")?, text(ns, "ns")?) };
        let n = l1.l1.invalidate_namespace(ns);
        // SAFETY: forwarded contract.
        unsafe { count_out(removed, n) };
        Ok(())
    })
}

/// Removes every entry carrying `tag`; `*removed` (may be NULL) is how many.
///
/// Result codes, thread safety: as `ck_l1_invalidate_namespace`.
///
/// # Safety
/// `l1` is NULL or live; `tag` is NULL or NUL-terminated; `removed` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_l1_invalidate_tag(l1: *const ck_l1, tag: *const c_char, removed: *mut usize) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let (l1, tag) = unsafe { (handle(l1, "l1")?, text(tag, "tag")?) };
        let n = l1.l1.invalidate_tag(tag);
        // SAFETY: forwarded contract.
        unsafe { count_out(removed, n) };
        Ok(())
    })
}

/// Removes every entry expired at `now_ms` (a full sweep; inserts sweep a little anyway);
/// `*removed` (may be NULL) is how many.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `l1`).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `l1` is NULL or live; `removed` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_l1_purge_expired(l1: *const ck_l1, now_ms: u64, removed: *mut usize) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let l1 = unsafe { handle(l1, "l1") }?;
        let n = l1.l1.purge_expired(now_ms);
        // SAFETY: forwarded contract.
        unsafe { count_out(removed, n) };
        Ok(())
    })
}

/// Removes every entry (counters are kept).
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `l1`).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `l1` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_l1_clear(l1: *const ck_l1) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { handle(l1, "l1") }?.l1.clear();
        Ok(())
    })
}

/// Fills the caller's `*out` with the L1's counters and occupancy.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `l1` or `out`).
/// Ownership: `out` is the caller's struct; nothing to free.
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `l1` is NULL or live; `out` is NULL or a writable `ck_l1_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_l1_get_stats(l1: *const ck_l1, out: *mut ck_l1_stats) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, ck_l1_stats::default(), "out") }?;
        // SAFETY: forwarded contract.
        let s = unsafe { handle(l1, "l1") }?.l1.stats();
        // SAFETY: checked writable above.
        unsafe { *out = s.into() };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::{CK_INVALID_ARGUMENT, CK_INVALID_TTL, CK_OK, CK_VALUE_TOO_LARGE, ck_buf_free};

    #[test]
    fn constants_are_the_core_s() {
        assert_eq!(CK_L1_DEFAULT_SHARDS, cachekit::l1::DEFAULT_SHARDS);
        assert_eq!(CK_L1_MAX_TAGS, cachekit::l1::MAX_TAGS);
        assert_eq!(CK_L1_NO_EXPIRY, cachekit::l1::NO_EXPIRY);
    }

    #[test]
    fn lifecycle() {
        let mut l1 = std::ptr::null_mut();
        unsafe {
            assert_eq!(ck_l1_new(1 << 20, 0, 0, &mut l1), CK_OK);
            let tags = [c"t".as_ptr()];
            let mut stored = false;
            assert_eq!(
                ck_l1_insert(l1, c"ns".as_ptr(), c"k".as_ptr(), b"v".as_ptr(), 1, 10, tags.as_ptr(), 1, 0, &mut stored),
                CK_OK
            );
            assert!(stored);
            let (mut out, mut hit) = (ck_buf::empty(), false);
            assert_eq!(ck_l1_get(l1, c"k".as_ptr(), 9, &mut out, &mut hit), CK_OK);
            assert!(hit);
            assert_eq!(std::slice::from_raw_parts(out.ptr, out.len), b"v");
            ck_buf_free(&mut out);
            assert_eq!(ck_l1_get(l1, c"k".as_ptr(), 10, &mut out, &mut hit), CK_OK);
            assert!(!hit && out.ptr.is_null(), "never returned at its expiry");
            let ttl0 = ck_l1_insert(
                l1,
                std::ptr::null(),
                c"k".as_ptr(),
                b"v".as_ptr(),
                1,
                0,
                std::ptr::null(),
                0,
                0,
                &mut stored,
            );
            assert_eq!(ttl0, CK_INVALID_TTL);
            let big = vec![0u8; 1 << 18];
            let r = ck_l1_insert(
                l1,
                std::ptr::null(),
                c"b".as_ptr(),
                big.as_ptr(),
                big.len(),
                5,
                std::ptr::null(),
                0,
                0,
                std::ptr::null_mut(),
            );
            assert_eq!(r, CK_VALUE_TOO_LARGE);
            let mut s = ck_l1_stats::default();
            assert_eq!(ck_l1_get_stats(l1, &mut s), CK_OK);
            assert_eq!((s.hits, s.misses, s.rejected), (1, 1, 1));
            ck_l1_free(l1);
            ck_l1_free(l1);
            assert_eq!(ck_l1_new(0, 0, 0, &mut l1), CK_INVALID_ARGUMENT);
            assert!(l1.is_null());
        }
    }
}
