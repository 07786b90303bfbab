//! Master keys, the `ck_keyring` handle, and the crypto primitives behind encrypted
//! entries (AAD v0x03, HKDF tenant keys, AES-256-GCM), exposed for key management tools
//! and known-answer tests.

use std::ffi::c_char;

use cachekit::crypto::{Aad, DEFAULT_TENANT, Keyring, MasterKey, TenantKey, derive};
use cachekit::error::ErrorKind;
use cachekit::{Error, Result};
use zeroize::Zeroizing;

use crate::boundary::{bytes, ck_buf, ck_result, guard, invalid, opt_text, out_buf, out_bytes, text, write_out};

/// Bytes of a master key (given raw), of a derived tenant key, and of `ck_derive_key`'s output.
pub const CK_KEY_LEN: usize = 32;
/// Bytes of a key fingerprint (`ck_keyring_fingerprint`, `ck_key_fingerprint`).
pub const CK_FINGERPRINT_LEN: usize = 16;
/// Bytes of an AES-256-GCM nonce (the first bytes of every ciphertext).
pub const CK_NONCE_LEN: usize = 12;
/// Most previous (decrypt-only) keys a keyring holds.
pub const CK_MAX_PREVIOUS_KEYS: usize = 3;

/// An encryption keyring: one current master key that encrypts and up to three previous
/// keys that only decrypt, all derived for one tenant (HKDF-SHA256 → AES-256-GCM), plus the
/// counter nonce sequence of this encryptor. Opaque: create it with `ck_keyring_new` or
/// `ck_keyring_new_hex`, release it with `ck_keyring_free`.
pub struct ck_keyring {
    tenant: String,
    current: MasterKey,
    previous: Vec<MasterKey>,
    ring: Keyring,
}

impl ck_keyring {
    pub(crate) fn ring(&self) -> &Keyring {
        &self.ring
    }

    /// A new keyring with the same keys and tenant and its own random nonce sequence, for a
    /// holder that outlives this handle (an engine). Never shares this keyring's counter.
    pub(crate) fn fresh_ring(&self) -> Result<Keyring> {
        Keyring::new(&self.current, &self.previous, &self.tenant)
    }
}

unsafe fn master_hex(hex: *const c_char, what: &str) -> Result<MasterKey> {
    // SAFETY: forwarded contract.
    let hex = unsafe { text(hex, what) }.map_err(|e| match e.kind() {
        ErrorKind::InvalidString => {
            Error::new(ErrorKind::InvalidMasterKey, format!("{what} is not hex: {}", e.message()))
        }
        _ => e,
    })?;
    MasterKey::from_hex(hex)
}

unsafe fn master_raw(key: *const u8, len: usize, what: &str) -> Result<MasterKey> {
    // SAFETY: forwarded contract.
    MasterKey::from_bytes(unsafe { bytes(key, len, what) }?)
}

unsafe fn tenant_of<'a>(tenant: *const c_char) -> Result<&'a str> {
    // SAFETY: forwarded contract.
    Ok(unsafe { opt_text(tenant, "tenant") }?.unwrap_or(DEFAULT_TENANT))
}

/// Checks a master key given as hex: exactly 64 hex digits (any case), nothing else (no
/// prefix, no whitespace).
///
/// Result codes: `CK_OK`; `CK_INVALID_MASTER_KEY` (also for NULL and non-UTF-8 text).
/// Thread safety: safe from any thread.
///
/// # Safety
/// `hex` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_master_key_validate_hex(hex: *const c_char) -> ck_result {
    guard(|| {
        if hex.is_null() {
            return Err(Error::new(ErrorKind::InvalidMasterKey, "master key is NULL"));
        }
        // SAFETY: forwarded contract.
        unsafe { master_hex(hex, "master key") }.map(drop)
    })
}

/// Checks a raw master key: exactly `CK_KEY_LEN` (32) bytes.
///
/// Result codes: `CK_OK`; `CK_INVALID_MASTER_KEY`; `CK_INVALID_ARGUMENT` (NULL with a
/// non-zero length). Thread safety: safe from any thread.
///
/// # Safety
/// `key` points to `len` readable bytes (or is NULL with `len == 0`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_master_key_validate(key: *const u8, len: usize) -> ck_result {
    // SAFETY: forwarded contract.
    guard(|| unsafe { master_raw(key, len, "master key") }.map(drop))
}

fn new_keyring(current: MasterKey, tenant: &str) -> Result<Box<ck_keyring>> {
    let ring = Keyring::new(&current, &[], tenant)?;
    Ok(Box::new(ck_keyring { tenant: tenant.to_owned(), current, previous: Vec::new(), ring }))
}

/// Creates a keyring whose current key is `master_key_hex` (64 hex digits), for `tenant`
/// (NULL means the single-tenant default, `"default"`).
///
/// Result codes: `CK_OK`; `CK_INVALID_MASTER_KEY`; `CK_INVALID_TENANT` (empty or over 1024
/// bytes); `CK_INVALID_STRING` (tenant not UTF-8); `CK_INVALID_ARGUMENT` (NULL `out`);
/// `CK_RANDOM_UNAVAILABLE` (no random nonce prefix).
/// Ownership: on success `*out` is a new keyring the caller owns: release it with
/// `ck_keyring_free`. On failure `*out` is set to NULL. The library keeps its own copy of
/// the key material (wiped when the keyring is freed); the caller's strings stay theirs.
/// Thread safety: safe from any thread.
///
/// # Safety
/// `master_key_hex` and `tenant` are NULL or NUL-terminated strings; `out` is NULL or a
/// writable `ck_keyring *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_keyring_new_hex(
    master_key_hex: *const c_char,
    tenant: *const c_char,
    out: *mut *mut ck_keyring,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, std::ptr::null_mut(), "out") }?;
        if master_key_hex.is_null() {
            return Err(Error::new(ErrorKind::InvalidMasterKey, "master key is NULL"));
        }
        // SAFETY: forwarded contract.
        let (key, tenant) = unsafe { (master_hex(master_key_hex, "master key")?, tenant_of(tenant)?) };
        let k = new_keyring(key, tenant)?;
        // SAFETY: `out` was checked writable above.
        unsafe { *out = Box::into_raw(k) };
        Ok(())
    })
}

/// Creates a keyring whose current key is the `len` raw bytes at `master_key` (exactly
/// `CK_KEY_LEN`), for `tenant` (NULL means `"default"`).
///
/// Result codes, ownership and thread safety: as `ck_keyring_new_hex`.
///
/// # Safety
/// `master_key` points to `len` readable bytes; `tenant` is NULL or a NUL-terminated
/// string; `out` is NULL or a writable `ck_keyring *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_keyring_new(
    master_key: *const u8,
    len: usize,
    tenant: *const c_char,
    out: *mut *mut ck_keyring,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, std::ptr::null_mut(), "out") }?;
        // SAFETY: forwarded contract.
        let (key, tenant) = unsafe { (master_raw(master_key, len, "master key")?, tenant_of(tenant)?) };
        let k = new_keyring(key, tenant)?;
        // SAFETY: `out` was checked writable above.
        unsafe { *out = Box::into_raw(k) };
        Ok(())
    })
}

fn add_previous(kr: &mut ck_keyring, key: MasterKey) -> Result<()> {
    let mut previous = kr.previous.clone();
    previous.push(key);
    // Rebuilt as a whole so the core checks the configuration (count, current repeated).
    let ring = Keyring::new(&kr.current, &previous, &kr.tenant)?;
    kr.previous = previous;
    kr.ring = ring;
    Ok(())
}

unsafe fn keyring_mut<'a>(kr: *mut ck_keyring) -> Result<&'a mut ck_keyring> {
    // SAFETY: NULL or a live keyring per the caller.
    unsafe { kr.as_mut() }.ok_or_else(|| invalid("keyring is NULL"))
}

pub(crate) unsafe fn keyring_ref<'a>(kr: *const ck_keyring) -> Result<&'a ck_keyring> {
    // SAFETY: NULL or a live keyring per the caller.
    unsafe { kr.as_ref() }.ok_or_else(|| invalid("keyring is NULL"))
}

/// Adds a previous (decrypt-only) master key given as hex, for key rotation: entries
/// written under it stay readable while new entries are encrypted with the current key.
///
/// Result codes: `CK_OK`; `CK_INVALID_MASTER_KEY`; `CK_INVALID_KEYRING` (already
/// `CK_MAX_PREVIOUS_KEYS` previous keys, or the key equals the current one);
/// `CK_INVALID_ARGUMENT` (NULL keyring). On failure the keyring is unchanged.
/// Thread safety: mutates the keyring: no other call may use it concurrently (configure a
/// keyring fully before sharing it between threads). Adding a key restarts the keyring's
/// nonce sequence under a fresh random prefix.
///
/// # Safety
/// `keyring` is NULL or a live keyring; `hex` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_keyring_add_previous_hex(keyring: *mut ck_keyring, hex: *const c_char) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let kr = unsafe { keyring_mut(keyring) }?;
        if hex.is_null() {
            return Err(Error::new(ErrorKind::InvalidMasterKey, "previous master key is NULL"));
        }
        // SAFETY: forwarded contract.
        add_previous(kr, unsafe { master_hex(hex, "previous master key") }?)
    })
}

/// Adds a previous (decrypt-only) master key given as `len` raw bytes.
///
/// Result codes and thread safety: as `ck_keyring_add_previous_hex`.
///
/// # Safety
/// `keyring` is NULL or a live keyring; `key` points to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_keyring_add_previous(keyring: *mut ck_keyring, key: *const u8, len: usize) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let kr = unsafe { keyring_mut(keyring) }?;
        // SAFETY: forwarded contract.
        add_previous(kr, unsafe { master_raw(key, len, "previous master key") }?)
    })
}

/// Writes the `CK_FINGERPRINT_LEN` (16) byte fingerprint of the keyring's current derived
/// key (SHA-256 of `"key_fingerprint_v1" || key`, first 16 bytes) to `out`. Fingerprints
/// identify keys in logs and rotation tools without revealing them.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL keyring or `out`, `out_len` < 16).
/// Thread safety: safe to call concurrently on the same keyring.
///
/// # Safety
/// `keyring` is NULL or a live keyring; `out` is NULL or points to `out_len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_keyring_fingerprint(keyring: *const ck_keyring, out: *mut u8, out_len: usize) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let (kr, out) = unsafe { (keyring_ref(keyring)?, out_bytes(out, out_len, CK_FINGERPRINT_LEN, "out")?) };
        out.copy_from_slice(&kr.ring.fingerprint());
        Ok(())
    })
}

/// Releases a keyring and wipes its key material. NULL does nothing.
///
/// Ownership: takes back a keyring from `ck_keyring_new*`; do not use it afterwards.
/// Thread safety: no other call may be using the keyring.
///
/// # Safety
/// `keyring` is NULL or a live keyring not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_keyring_free(keyring: *mut ck_keyring) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if !keyring.is_null() {
            // SAFETY: created by Box::into_raw in ck_keyring_new*, freed once per the caller.
            drop(unsafe { Box::from_raw(keyring) });
        }
    }));
}

/// Encrypts `plaintext` with the keyring's current key under `aad`: AES-256-GCM with the
/// next counter nonce, written as `nonce (12) || ciphertext || tag (16)`. This is the
/// primitive under encrypted entries; `ck_entry_encode` builds the AAD for you.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT`; `CK_VALUE_TOO_LARGE`; `CK_NONCE_EXHAUSTED`.
/// Ownership: inputs stay the caller's; on success free `*out` with `ck_buf_free`.
/// Thread safety: safe to call concurrently on the same keyring (nonces never repeat).
///
/// # Safety
/// `keyring` is NULL or a live keyring; `aad` and `plaintext` point to their lengths in
/// readable bytes (or are NULL with length 0); `out` is NULL or a writable `ck_buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_keyring_encrypt(
    keyring: *const ck_keyring,
    aad: *const u8,
    aad_len: usize,
    plaintext: *const u8,
    plaintext_len: usize,
    out: *mut ck_buf,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        let (kr, aad, pt) = unsafe {
            (keyring_ref(keyring)?, bytes(aad, aad_len, "aad")?, bytes(plaintext, plaintext_len, "plaintext")?)
        };
        *out = ck_buf::from_vec(kr.ring.encrypt(aad, pt)?);
        Ok(())
    })
}

/// Decrypts `nonce || ciphertext || tag` under `aad` with the current key, then each
/// previous key (always the identical AAD).
///
/// Result codes: `CK_OK`; `CK_DECRYPTION_FAILED` (no key authenticates it: wrong key, AAD
/// or tampering); `CK_CIPHERTEXT_TOO_SHORT` (under 28 bytes); `CK_INVALID_ARGUMENT`;
/// `CK_VALUE_TOO_LARGE`.
/// Ownership: on success free `*out` (the plaintext) with `ck_buf_free`.
/// Thread safety: safe to call concurrently on the same keyring.
///
/// # Safety
/// As `ck_keyring_encrypt`, with `stored` in place of `plaintext`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_keyring_decrypt(
    keyring: *const ck_keyring,
    aad: *const u8,
    aad_len: usize,
    stored: *const u8,
    stored_len: usize,
    out: *mut ck_buf,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        let (kr, aad, st) =
            unsafe { (keyring_ref(keyring)?, bytes(aad, aad_len, "aad")?, bytes(stored, stored_len, "stored")?) };
        *out = ck_buf::from_vec(kr.ring.decrypt(aad, st)?.to_vec());
        Ok(())
    })
}

/// Known-answer testing only: encrypts like `ck_keyring_encrypt` but with the caller's
/// `CK_NONCE_LEN` (12) byte `nonce` instead of the keyring's counter nonce, so published
/// vectors can be reproduced byte for byte. Never use it to store data: encrypting two
/// messages under one key with the same nonce destroys AES-GCM's confidentiality and
/// authenticity. The keyring's own nonce sequence is not advanced.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL, `nonce_len` != 12);
/// `CK_VALUE_TOO_LARGE`.
/// Ownership: on success free `*out` with `ck_buf_free`. Thread safety: as `ck_keyring_encrypt`.
///
/// # Safety
/// As `ck_keyring_encrypt`, plus `nonce` points to `nonce_len` readable bytes.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ck_keyring_encrypt_with_nonce(
    keyring: *const ck_keyring,
    nonce: *const u8,
    nonce_len: usize,
    aad: *const u8,
    aad_len: usize,
    plaintext: *const u8,
    plaintext_len: usize,
    out: *mut ck_buf,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        let (kr, nonce, aad, pt) = unsafe {
            (
                keyring_ref(keyring)?,
                bytes(nonce, nonce_len, "nonce")?,
                bytes(aad, aad_len, "aad")?,
                bytes(plaintext, plaintext_len, "plaintext")?,
            )
        };
        let nonce: &[u8; CK_NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| invalid(format!("nonce must be {CK_NONCE_LEN} bytes, got {}", nonce.len())))?;
        let key = TenantKey::derive(&kr.current, &kr.tenant)?;
        *out = ck_buf::from_vec(key.seal_with_nonce(nonce, aad, pt)?);
        Ok(())
    })
}

/// Builds the AAD v0x03 that binds a ciphertext to its context: `0x03` then each of
/// `tenant`, `cache_key`, `format`, `"True"`/`"False"` (from `compressed`) and, when not
/// NULL, `original_type`, each as a u32 big-endian length and its UTF-8 bytes. Entries
/// written by this library use format `"msgpack"`, `compressed` = integrity on, and no
/// original type.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (a NULL required string or `out`);
/// `CK_INVALID_STRING`. Ownership: on success free `*out` with `ck_buf_free`.
/// Thread safety: safe from any thread.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `out` is NULL or a writable `ck_buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_aad(
    tenant: *const c_char,
    cache_key: *const c_char,
    format: *const c_char,
    compressed: bool,
    original_type: *const c_char,
    out: *mut ck_buf,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        let aad = unsafe {
            Aad {
                tenant: text(tenant, "tenant")?,
                cache_key: text(cache_key, "cache_key")?,
                format: text(format, "format")?,
                compressed,
                original_type: opt_text(original_type, "original_type")?,
            }
        };
        *out = ck_buf::from_vec(aad.to_bytes());
        Ok(())
    })
}

/// Writes the HKDF salt for `domain` and `tenant`: `"cachekit_v1_" || u8(len(domain)) ||
/// domain || u16be(len(tenant)) || tenant`.
///
/// Result codes: `CK_OK`; `CK_INVALID_TENANT` (domain not 1..=255 bytes, tenant not
/// 1..=1024 bytes); `CK_INVALID_ARGUMENT`; `CK_INVALID_STRING`.
/// Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
///
/// # Safety
/// `domain` and `tenant` are NULL or NUL-terminated; `out` is NULL or a writable `ck_buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_derive_salt(domain: *const c_char, tenant: *const c_char, out: *mut ck_buf) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        let (domain, tenant) = unsafe { (text(domain, "domain")?, text(tenant, "tenant")?) };
        *out = ck_buf::from_vec(derive::salt(domain, tenant)?);
        Ok(())
    })
}

/// Derives the 32-byte key for `domain` and `tenant` from a raw master key:
/// HKDF-SHA256(ikm = master key, salt = `ck_derive_salt`, info = domain). Domain
/// `"encryption"` gives the AES-256-GCM key of encrypted entries. The output is secret key
/// material: wipe it when done.
///
/// Result codes: `CK_OK`; `CK_INVALID_MASTER_KEY`; `CK_INVALID_TENANT`;
/// `CK_INVALID_ARGUMENT` (NULL, `out_len` < 32); `CK_INVALID_STRING`.
/// Ownership: `out` is the caller's buffer of `out_len` bytes; 32 are written.
/// Thread safety: safe from any thread.
///
/// # Safety
/// `master_key` points to `master_key_len` readable bytes; `domain` and `tenant` are NULL
/// or NUL-terminated; `out` is NULL or points to `out_len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_derive_key(
    master_key: *const u8,
    master_key_len: usize,
    domain: *const c_char,
    tenant: *const c_char,
    out: *mut u8,
    out_len: usize,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let (m, domain, tenant, out) = unsafe {
            (
                master_raw(master_key, master_key_len, "master key")?,
                text(domain, "domain")?,
                text(tenant, "tenant")?,
                out_bytes(out, out_len, CK_KEY_LEN, "out")?,
            )
        };
        let k = derive::derive_key(&m, domain, tenant)?;
        out.copy_from_slice(k.as_ref());
        Ok(())
    })
}

/// Writes the 16-byte fingerprint of a 32-byte derived key (as `ck_derive_key` gives):
/// the first 16 bytes of SHA-256(`"key_fingerprint_v1"` || key).
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL, `key_len` != 32, `out_len` < 16).
/// Thread safety: safe from any thread.
///
/// # Safety
/// `key` points to `key_len` readable bytes; `out` is NULL or points to `out_len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_key_fingerprint(key: *const u8, key_len: usize, out: *mut u8, out_len: usize) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let (key, out) = unsafe { (bytes(key, key_len, "key")?, out_bytes(out, out_len, CK_FINGERPRINT_LEN, "out")?) };
        let key: Zeroizing<[u8; CK_KEY_LEN]> = Zeroizing::new(
            key.try_into().map_err(|_| invalid(format!("a derived key is {CK_KEY_LEN} bytes, got {}", key.len())))?,
        );
        out.copy_from_slice(&derive::fingerprint(&key));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::{CK_INVALID_KEYRING, CK_INVALID_MASTER_KEY, CK_OK, ck_buf_free};

    #[test]
    fn keyring_lifecycle_and_rotation() {
        let hex = c"6161616161616161616161616161616161616161616161616161616161616161";
        let mut kr = std::ptr::null_mut();
        unsafe {
            assert_eq!(ck_keyring_new_hex(hex.as_ptr(), c"cross-sdk-test".as_ptr(), &mut kr), CK_OK);
            let mut fp = [0u8; 16];
            assert_eq!(ck_keyring_fingerprint(kr, fp.as_mut_ptr(), 16), CK_OK);
            assert_eq!(cachekit::keys::to_hex(&fp), "96179a9bc881aa7ca83f04b78a66afd3");
            assert_eq!(ck_keyring_add_previous_hex(kr, hex.as_ptr()), CK_INVALID_KEYRING);
            for b in 1..=3u8 {
                assert_eq!(ck_keyring_add_previous(kr, [b; 32].as_ptr(), 32), CK_OK);
            }
            assert_eq!(ck_keyring_add_previous(kr, [9; 32].as_ptr(), 32), CK_INVALID_KEYRING);
            let mut ct = ck_buf::empty();
            assert_eq!(ck_keyring_encrypt(kr, b"a".as_ptr(), 1, b"hi".as_ptr(), 2, &mut ct), CK_OK);
            let mut pt = ck_buf::empty();
            assert_eq!(ck_keyring_decrypt(kr, b"a".as_ptr(), 1, ct.ptr, ct.len, &mut pt), CK_OK);
            assert_eq!(std::slice::from_raw_parts(pt.ptr, pt.len), b"hi");
            ck_buf_free(&mut ct);
            ck_buf_free(&mut pt);
            ck_keyring_free(kr);
            assert_eq!(ck_keyring_new_hex(c"abc".as_ptr(), std::ptr::null(), &mut kr), CK_INVALID_MASTER_KEY);
            assert!(kr.is_null());
        }
    }
}
