//! HKDF-SHA256 tenant keys and key fingerprints (SPEC §6).
//!
//! `salt = "cachekit_v1_" || u8(len domain) || domain || u16be(len tenant) || tenant`,
//! `info = domain`, 32-byte output. Fingerprint: `SHA-256("key_fingerprint_v1" || key)[..16]`.

use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::master_key::MasterKey;
use crate::error::{ErrorKind, Result, err};

/// The domain whose key encrypts cache entries.
pub const DOMAIN_ENCRYPTION: &str = "encryption";

/// The HKDF salt for `domain` and `tenant`; both are validated (domain 1..=255 bytes,
/// tenant 1..=1024 bytes).
pub fn salt(domain: &str, tenant: &str) -> Result<Vec<u8>> {
    if domain.is_empty() || domain.len() > 255 {
        return err(ErrorKind::InvalidTenant, format!("derivation domain must be 1..=255 bytes, got {}", domain.len()));
    }
    if tenant.is_empty() || tenant.len() > 1024 {
        return err(ErrorKind::InvalidTenant, format!("tenant must be 1..=1024 bytes, got {}", tenant.len()));
    }
    let mut s = Vec::with_capacity(15 + domain.len() + tenant.len());
    s.extend_from_slice(b"cachekit_v1_");
    s.push(domain.len() as u8);
    s.extend_from_slice(domain.as_bytes());
    s.extend_from_slice(&(tenant.len() as u16).to_be_bytes());
    s.extend_from_slice(tenant.as_bytes());
    Ok(s)
}

/// Derives the 32-byte key of `domain` for `tenant` from the master key.
pub fn derive_key(master: &MasterKey, domain: &str, tenant: &str) -> Result<Zeroizing<[u8; 32]>> {
    let salt = salt(domain, tenant)?;
    let hk = Hkdf::<Sha256>::new(Some(&salt), master.as_bytes());
    let mut out = Zeroizing::new([0u8; 32]);
    hk.expand(domain.as_bytes(), out.as_mut()).expect("32 bytes is a valid HKDF-SHA256 length");
    Ok(out)
}

/// The 16-byte fingerprint of a derived key (never of the master key).
pub fn fingerprint(key: &[u8; 32]) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"key_fingerprint_v1");
    h.update(key);
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::to_hex;

    #[test]
    fn cross_sdk_fingerprint() {
        let m = MasterKey::from_hex(&"61".repeat(32)).unwrap();
        let k = derive_key(&m, DOMAIN_ENCRYPTION, "cross-sdk-test").unwrap();
        assert_eq!(to_hex(&fingerprint(&k)), "96179a9bc881aa7ca83f04b78a66afd3");
        let k = derive_key(&m, DOMAIN_ENCRYPTION, "default").unwrap();
        assert_eq!(to_hex(&fingerprint(&k)), "52d54c97f8e5efaa5bdf58a301f92726");
    }

    #[test]
    fn salt_layout_and_limits() {
        assert_eq!(salt("ab", "t").unwrap(), b"cachekit_v1_\x02ab\x00\x01t");
        assert!(salt("", "t").is_err());
        assert!(salt("d", "").is_err());
        assert!(salt("d", &"t".repeat(1025)).is_err());
        assert!(salt(&"d".repeat(256), "t").is_err());
        assert!(salt("d", &"t".repeat(1024)).is_ok());
    }
}
