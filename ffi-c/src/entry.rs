//! The entry codec for C: a value (MessagePack) + options ⇄ the bytes stored in Redis.

use std::ffi::c_char;

use cachekit::Result;
use cachekit::entry::{self, EntryOptions, Mode};

use crate::boundary::{bytes, ck_buf, ck_result, guard, invalid, opt_text, out_buf};
use crate::keyring::{ck_keyring, keyring_ref};
use crate::values::{from_msgpack, value_to_msgpack};

/// Which wire form an entry has: one of the `CK_MODE_*` constants.
pub type ck_mode = u32;
/// Default mode, integrity on: StandardSerializer MessagePack inside a ByteStorage
/// envelope (LZ4 + xxh3-64), then encrypted when a keyring is given. What cachekit-py
/// writes with its default `integrity_checking=True` minus the Python-only `CK` frame.
pub const CK_MODE_DEFAULT: ck_mode = 1;
/// Default mode, integrity off: bare StandardSerializer MessagePack, then optional encryption.
pub const CK_MODE_DEFAULT_NO_INTEGRITY: ck_mode = 2;
/// Interop/v1: one canonical MessagePack document shared by every SDK (sorted string keys,
/// no NaN/Inf, no sets or UUIDs), then optional encryption.
pub const CK_MODE_INTEROP: ck_mode = 3;
/// Value size cap used when `max_value_bytes` is 0: 100 MiB, as cachekit-py's
/// `CACHEKIT_MAX_VALUE_SIZE`.
pub const CK_DEFAULT_MAX_VALUE_BYTES: usize = 100 * 1024 * 1024;

pub(crate) fn mode_of(mode: ck_mode) -> Result<Mode> {
    match mode {
        CK_MODE_DEFAULT => Ok(Mode::Default { integrity: true }),
        CK_MODE_DEFAULT_NO_INTEGRITY => Ok(Mode::Default { integrity: false }),
        CK_MODE_INTEROP => Ok(Mode::Interop),
        other => Err(invalid(format!(
            "unknown mode {other} (CK_MODE_DEFAULT, CK_MODE_DEFAULT_NO_INTEGRITY, CK_MODE_INTEROP)"
        ))),
    }
}

/// The options of one call; `cache_key` may be NULL only without a keyring.
unsafe fn options<'a>(
    mode: Mode,
    cache_key: *const c_char,
    keyring: *const ck_keyring,
    max_value_bytes: usize,
) -> Result<EntryOptions<'a>> {
    // SAFETY: forwarded contract.
    let key = unsafe { opt_text(cache_key, "cache_key") }?;
    let keyring = if keyring.is_null() {
        None
    } else {
        // SAFETY: forwarded contract.
        Some(unsafe { keyring_ref(keyring) }?.ring())
    };
    let cache_key = match (key, keyring) {
        (Some(k), _) => k,
        (None, None) => "",
        (None, Some(_)) => {
            return Err(invalid("cache_key is NULL: an encrypted entry is bound to its full cache key (AAD)"));
        }
    };
    let max = if max_value_bytes == 0 { CK_DEFAULT_MAX_VALUE_BYTES } else { max_value_bytes };
    Ok(EntryOptions { mode, cache_key, keyring, max_value_bytes: max })
}

/// Turns a value into the bytes to store under `cache_key`.
///
/// `value_msgpack` is one MessagePack document (see "Values" at the top of this header):
/// it is decoded under the decode bounds and re-encoded by the mode's encoder, never
/// copied. With a `keyring` the result is `nonce || AES-256-GCM ciphertext || tag`, bound
/// by the AAD to the keyring's tenant and to `cache_key` (which must then not be NULL).
/// Without a keyring `cache_key` is unused and may be NULL. `max_value_bytes` caps the
/// serialized value (0 = `CK_DEFAULT_MAX_VALUE_BYTES`).
///
/// Result codes: `CK_OK`; input: `CK_MALFORMED_MSGPACK`, `CK_DECODE_BOUNDS`,
/// `CK_TRAILING_BYTES`, `CK_INVALID_TEMPORAL` (a temporal ext item with bad text); value:
/// `CK_INTEGER_OUT_OF_RANGE`, `CK_NON_FINITE_FLOAT`, `CK_UNSUPPORTED_TYPE`,
/// `CK_INVALID_MAP_KEY`, `CK_VALUE_TOO_LARGE` (interop refuses NaN/Inf, sets, UUIDs,
/// non-string or duplicate keys; default mode refuses sets, UUIDs and ext values); call:
/// `CK_INVALID_ARGUMENT` (unknown mode, NULL `out`, NULL `cache_key` with a keyring),
/// `CK_INVALID_STRING`; encryption: `CK_NONCE_EXHAUSTED`.
/// Ownership: inputs stay the caller's; on success free `*out` with `ck_buf_free`.
/// Thread safety: safe from any thread, also concurrently with the same keyring.
///
/// # Safety
/// `cache_key` is NULL or NUL-terminated; `keyring` is NULL or a live keyring;
/// `value_msgpack` points to `value_len` readable bytes; `out` is NULL or a writable `ck_buf`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ck_entry_encode(
    mode: ck_mode,
    cache_key: *const c_char,
    keyring: *const ck_keyring,
    max_value_bytes: usize,
    value_msgpack: *const u8,
    value_len: usize,
    out: *mut ck_buf,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        let mode = mode_of(mode)?;
        // SAFETY: forwarded contract.
        let opts = unsafe { options(mode, cache_key, keyring, max_value_bytes) }?;
        // SAFETY: forwarded contract.
        let input = unsafe { bytes(value_msgpack, value_len, "value_msgpack") }?;
        let value = from_msgpack(input)?;
        *out = ck_buf::from_vec(entry::encode(&value, &opts)?);
        Ok(())
    })
}

/// Reads stored bytes back into a value, returned as one MessagePack document.
///
/// The stored bytes are untrusted: decrypted (with a keyring: current key, then previous
/// keys, AAD from the keyring's tenant and `cache_key`), unwrapped (integrity on: every
/// envelope check) and decoded under the decode bounds by the mode's reader, never sniffed
/// (the mode decides the container). The output is written from the decoded value:
/// shortest-form integers, floats as float64, maps in stored order, the temporal values a
/// reader revived as `CK_EXT_DATETIME` / `CK_EXT_DATE` / `CK_EXT_TIME` items, other ext items
/// unchanged (see "Values" at the top of this header).
///
/// Result codes: `CK_OK`; every failure whose `ck_error_is_read_miss` is true is a cache
/// miss, not a caller error: `CK_MALFORMED_MSGPACK`, `CK_DECODE_BOUNDS`, `CK_TRAILING_BYTES`,
/// `CK_INVALID_SENTINEL`, `CK_ENVELOPE_*`, `CK_DECOMPRESSION_*`, `CK_CHECKSUM_MISMATCH`,
/// `CK_PYTHON_FRAME` (a cachekit-py `CK` frame, refused in every mode, also encrypted
/// ones), `CK_DECRYPTION_FAILED`, `CK_CIPHERTEXT_TOO_SHORT`; call errors:
/// `CK_INVALID_ARGUMENT`, `CK_INVALID_STRING`, `CK_VALUE_TOO_LARGE` (input over
/// `CK_MAX_INPUT_BYTES`).
/// Ownership: inputs stay the caller's; on success free `*out` with `ck_buf_free`.
/// Thread safety: safe from any thread, also concurrently with the same keyring.
///
/// # Safety
/// As `ck_entry_encode`, with `stored` (`stored_len` readable bytes) as the input.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_entry_decode(
    mode: ck_mode,
    cache_key: *const c_char,
    keyring: *const ck_keyring,
    stored: *const u8,
    stored_len: usize,
    out: *mut ck_buf,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        let mode = mode_of(mode)?;
        // SAFETY: forwarded contract.
        let opts = unsafe { options(mode, cache_key, keyring, 0) }?;
        // SAFETY: forwarded contract.
        let stored = unsafe { bytes(stored, stored_len, "stored") }?;
        let value = entry::decode(stored, &opts)?;
        *out = ck_buf::from_vec(value_to_msgpack(&value)?);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::{CK_INVALID_ARGUMENT, CK_OK, CK_PYTHON_FRAME, ck_buf_free};

    fn slice(b: &ck_buf) -> &[u8] {
        unsafe { std::slice::from_raw_parts(b.ptr, b.len) }
    }

    #[test]
    fn default_cap_is_the_core_s() {
        assert_eq!(CK_DEFAULT_MAX_VALUE_BYTES, cachekit::entry::DEFAULT_MAX_VALUE_BYTES);
    }

    #[test]
    fn round_trips_in_every_mode() {
        // {"b": 1, "a": [true, nil]}
        let doc = [0x82, 0xa1, b'b', 0x01, 0xa1, b'a', 0x92, 0xc3, 0xc0];
        for mode in [CK_MODE_DEFAULT, CK_MODE_DEFAULT_NO_INTEGRITY, CK_MODE_INTEROP] {
            let (mut stored, mut back) = (ck_buf::empty(), ck_buf::empty());
            unsafe {
                assert_eq!(
                    ck_entry_encode(mode, std::ptr::null(), std::ptr::null(), 0, doc.as_ptr(), doc.len(), &mut stored),
                    CK_OK
                );
                assert_eq!(
                    ck_entry_decode(mode, std::ptr::null(), std::ptr::null(), stored.ptr, stored.len, &mut back),
                    CK_OK
                );
            }
            if mode == CK_MODE_INTEROP {
                assert_eq!(slice(&back), [0x82, 0xa1, b'a', 0x92, 0xc3, 0xc0, 0xa1, b'b', 0x01]);
            } else {
                assert_eq!(slice(&back), doc);
            }
            unsafe {
                ck_buf_free(&mut stored);
                ck_buf_free(&mut back);
            }
        }
        let mut out = ck_buf::empty();
        let frame = b"CK\x03\x00\x00\x00\x02{}x";
        unsafe {
            assert_eq!(
                ck_entry_decode(
                    CK_MODE_INTEROP,
                    std::ptr::null(),
                    std::ptr::null(),
                    frame.as_ptr(),
                    frame.len(),
                    &mut out
                ),
                CK_PYTHON_FRAME
            );
            assert_eq!(
                ck_entry_decode(9, std::ptr::null(), std::ptr::null(), frame.as_ptr(), frame.len(), &mut out),
                CK_INVALID_ARGUMENT
            );
        }
        assert!(out.ptr.is_null());
    }
}
