//! AES-256-GCM over `nonce(12) || ciphertext || tag(16)`, and the counter nonce sequence.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use aes_gcm::aead::{Aead, AeadInPlace, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

use super::derive::{DOMAIN_ENCRYPTION, derive_key, fingerprint};
use super::master_key::MasterKey;
use crate::error::{Error, ErrorKind, Result, err};

/// Nonce length in bytes.
pub const NONCE_LEN: usize = 12;
/// Tag length in bytes.
pub const TAG_LEN: usize = 16;
/// Counter nonces per sequence before it refuses to continue.
pub const MAX_NONCES: u64 = 1 << 32;

/// A per-tenant encryption key with its expanded cipher and fingerprint.
#[derive(Clone)]
pub struct TenantKey {
    cipher: Aes256Gcm,
    fingerprint: [u8; 16],
}

impl TenantKey {
    /// Derives the tenant's encryption key from the master key.
    pub fn derive(master: &MasterKey, tenant: &str) -> Result<TenantKey> {
        let key = derive_key(master, DOMAIN_ENCRYPTION, tenant)?;
        Ok(TenantKey::from_derived(&key))
    }

    /// Wraps an already-derived 32-byte key.
    pub fn from_derived(key: &Zeroizing<[u8; 32]>) -> TenantKey {
        TenantKey { cipher: Aes256Gcm::new(key.as_ref().into()), fingerprint: fingerprint(key) }
    }

    /// `SHA-256("key_fingerprint_v1" || key)[..16]`.
    pub fn fingerprint(&self) -> [u8; 16] {
        self.fingerprint
    }

    /// Encrypts with an explicit nonce, returning `nonce || ciphertext || tag`.
    ///
    /// Reusing a nonce with one key destroys GCM's security: production writes go through
    /// [`super::Keyring::encrypt`], which draws from a [`NonceSequence`]. This entry point
    /// exists for test vectors.
    pub fn seal_with_nonce(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        // One buffer, sealed in place: nonce, then the plaintext turned ciphertext, then the tag.
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(nonce);
        out.extend_from_slice(plaintext);
        let tag = self
            .cipher
            .encrypt_in_place_detached(Nonce::from_slice(nonce), aad, &mut out[NONCE_LEN..])
            .map_err(|_| Error::new(ErrorKind::ValueTooLarge, "plaintext too large for AES-GCM"))?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Decrypts `nonce || ciphertext || tag`; the plaintext is wiped when dropped.
    pub fn open(&self, aad: &[u8], stored: &[u8]) -> Result<Plaintext> {
        if stored.len() < NONCE_LEN + TAG_LEN {
            return err(
                ErrorKind::CiphertextTooShort,
                format!("ciphertext of {} bytes is shorter than nonce + tag (28)", stored.len()),
            );
        }
        let (nonce, body) = stored.split_at(NONCE_LEN);
        self.cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad }).map(Plaintext).map_err(|_| {
            Error::new(
                ErrorKind::DecryptionFailed,
                "authentication failed: wrong key, wrong cache key/tenant (AAD) or tampered bytes",
            )
        })
    }
}

/// Decrypted bytes, wiped when dropped. The wipe is a word-wise `fill(0)` kept alive by
/// `black_box` and a compiler fence: `zeroize`'s byte-at-a-time volatile writes cost more than
/// the whole decryption of a 64 KiB entry (docs/benchmarks.md), and a best-effort wipe is all
/// either can promise (copies made by the allocator on growth are out of reach for both).
pub struct Plaintext(Vec<u8>);

impl Plaintext {
    /// Moves the bytes out; the caller takes over the duty to wipe them.
    pub fn into_inner(mut self) -> Vec<u8> {
        std::mem::take(&mut self.0)
    }
}

impl From<Vec<u8>> for Plaintext {
    fn from(bytes: Vec<u8>) -> Plaintext {
        Plaintext(bytes)
    }
}

impl std::ops::Deref for Plaintext {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl Drop for Plaintext {
    fn drop(&mut self) {
        self.0.fill(0);
        std::hint::black_box(&mut self.0);
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    }
}

impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Plaintext(<{} bytes>)", self.0.len())
    }
}

impl fmt::Debug for TenantKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantKey(fingerprint={})", crate::keys::to_hex(&self.fingerprint))
    }
}

/// Counter nonces `u64be(instance_id) || u32be(counter)`: a random instance id per sequence,
/// a counter that never wraps (the 2^32nd request fails with `nonce_exhausted`).
/// Thread-safe: nonces are drawn with one atomic increment.
#[derive(Debug)]
pub struct NonceSequence {
    instance: u64,
    counter: AtomicU64,
}

impl NonceSequence {
    /// A sequence with a fresh random instance id.
    pub fn random() -> Result<NonceSequence> {
        let mut b = [0u8; 8];
        getrandom::getrandom(&mut b)
            .map_err(|e| Error::new(ErrorKind::RandomUnavailable, format!("random source failed: {e}")))?;
        Ok(NonceSequence::with_instance(u64::from_be_bytes(b)))
    }

    /// A sequence with a chosen instance id (tests, or callers with their own randomness).
    pub fn with_instance(instance: u64) -> NonceSequence {
        NonceSequence { instance, counter: AtomicU64::new(0) }
    }

    /// The next nonce, or `nonce_exhausted` once 2^32 have been issued.
    pub fn next(&self) -> Result<[u8; NONCE_LEN]> {
        let c = self.counter.fetch_add(1, Ordering::Relaxed);
        if c >= MAX_NONCES {
            // Keep the counter pinned past the limit so it can never wrap back into range.
            self.counter.store(MAX_NONCES, Ordering::Relaxed);
            return err(ErrorKind::NonceExhausted, "this encryptor issued 2^32 nonces; create a new keyring");
        }
        let mut n = [0u8; NONCE_LEN];
        n[..8].copy_from_slice(&self.instance.to_be_bytes());
        n[8..].copy_from_slice(&(c as u32).to_be_bytes());
        Ok(n)
    }

    /// Nonces issued so far.
    pub fn issued(&self) -> u64 {
        self.counter.load(Ordering::Relaxed).min(MAX_NONCES)
    }

    #[cfg(test)]
    pub(crate) fn set_counter(&self, c: u64) {
        self.counter.store(c, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::to_hex;

    fn h(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn reproduces_the_basic_vector() {
        let k = TenantKey::derive(&MasterKey::from_hex(&"61".repeat(32)).unwrap(), "cross-sdk-test").unwrap();
        let aad = h(
            "030000000e63726f73732d73646b2d746573740000000d746573743a766563746f723a31000000076d73677061636b0000000546616c7365",
        );
        let ct = h("f8f69c70000000000000000087d9ec09f2c2347a4b37d5330ccf50e3c31e69642801bef5");
        let nonce: [u8; 12] = ct[..12].try_into().unwrap();
        assert_eq!(k.seal_with_nonce(&nonce, &aad, &h("0102030405060708")).unwrap(), ct);
        assert_eq!(*k.open(&aad, &ct).unwrap(), h("0102030405060708"));
        let mut tampered = ct.clone();
        tampered[20] ^= 1;
        assert_eq!(k.open(&aad, &tampered).unwrap_err().kind(), ErrorKind::DecryptionFailed);
        assert_eq!(k.open(&aad[1..], &ct).unwrap_err().kind(), ErrorKind::DecryptionFailed);
        assert_eq!(k.open(&aad, &ct[..27]).unwrap_err().kind(), ErrorKind::CiphertextTooShort);
    }

    #[test]
    fn nonces_count_up_and_never_wrap() {
        let s = NonceSequence::with_instance(0x0102030405060708);
        assert_eq!(to_hex(&s.next().unwrap()), "010203040506070800000000");
        assert_eq!(to_hex(&s.next().unwrap()), "010203040506070800000001");
        s.set_counter(MAX_NONCES - 1);
        assert_eq!(to_hex(&s.next().unwrap()), "0102030405060708ffffffff");
        assert_eq!(s.next().unwrap_err().kind(), ErrorKind::NonceExhausted);
        assert_eq!(s.next().unwrap_err().kind(), ErrorKind::NonceExhausted);
        assert_eq!(s.issued(), MAX_NONCES);
    }

    #[test]
    fn random_instances_differ() {
        let a = NonceSequence::random().unwrap().next().unwrap();
        let b = NonceSequence::random().unwrap().next().unwrap();
        assert_ne!(a[..8], b[..8]);
    }
}
