//! The keyring: one current key that encrypts, up to three previous keys that only decrypt
//! (SPEC §6, rotation). Decryption tries the current key, then each previous key, always
//! with the identical AAD: never other AAD inputs.

use subtle::ConstantTimeEq;

use super::cipher::{NonceSequence, Plaintext, TenantKey};
use super::master_key::MasterKey;
use crate::error::{ErrorKind, Result, err};

/// Most decrypt-only keys a keyring holds.
pub const MAX_PREVIOUS_KEYS: usize = 3;

/// Current + previous tenant keys and the nonce sequence of this encryptor.
#[derive(Debug)]
pub struct Keyring {
    tenant: String,
    current: TenantKey,
    previous: Vec<TenantKey>,
    nonces: NonceSequence,
}

impl Keyring {
    /// Builds a keyring for `tenant`. Refuses more than three previous keys and a current
    /// key repeated among them (compared in constant time on the decoded bytes).
    pub fn new(current: &MasterKey, previous: &[MasterKey], tenant: &str) -> Result<Keyring> {
        if previous.len() > MAX_PREVIOUS_KEYS {
            return err(
                ErrorKind::InvalidKeyring,
                format!("at most {MAX_PREVIOUS_KEYS} previous keys, got {}", previous.len()),
            );
        }
        if previous.iter().any(|p| p.ct_eq(current)) {
            return err(ErrorKind::InvalidKeyring, "the current master key is also listed as a previous key");
        }
        Ok(Keyring {
            tenant: tenant.to_owned(),
            current: TenantKey::derive(current, tenant)?,
            previous: previous.iter().map(|m| TenantKey::derive(m, tenant)).collect::<Result<_>>()?,
            nonces: NonceSequence::random()?,
        })
    }

    /// Parses hex keys: `current` and a comma-separated list of previous keys (the format of
    /// `CACHEKIT_PREVIOUS_MASTER_KEYS`; empty means none).
    pub fn from_hex(current: &str, previous_csv: &str, tenant: &str) -> Result<Keyring> {
        let current = MasterKey::from_hex(current)?;
        let previous =
            previous_csv.split(',').filter(|s| !s.is_empty()).map(MasterKey::from_hex).collect::<Result<Vec<_>>>()?;
        Keyring::new(&current, &previous, tenant)
    }

    /// The tenant these keys were derived for.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// Fingerprint of the current key.
    pub fn fingerprint(&self) -> [u8; 16] {
        self.current.fingerprint()
    }

    /// Fingerprints of every key, current first.
    pub fn fingerprints(&self) -> Vec<[u8; 16]> {
        std::iter::once(&self.current).chain(&self.previous).map(TenantKey::fingerprint).collect()
    }

    /// Encrypts with the current key and the next counter nonce.
    pub fn encrypt(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        self.current.seal_with_nonce(&self.nonces.next()?, aad, plaintext)
    }

    /// Decrypts with the current key, then each previous key, with this exact AAD.
    pub fn decrypt(&self, aad: &[u8], stored: &[u8]) -> Result<Plaintext> {
        let mut last = None;
        for key in std::iter::once(&self.current).chain(&self.previous) {
            match key.open(aad, stored) {
                Ok(p) => return Ok(p),
                Err(e) if e.kind() == ErrorKind::DecryptionFailed => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.expect("a keyring always holds a current key"))
    }

    /// True when `fingerprint` names one of this keyring's keys (constant time per key).
    pub fn has_fingerprint(&self, fingerprint: &[u8; 16]) -> bool {
        self.fingerprints().iter().fold(false, |acc, f| acc | bool::from(f.ct_eq(fingerprint)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> MasterKey {
        MasterKey::from_bytes(&[b; 32]).unwrap()
    }

    #[test]
    fn rotation_decrypts_old_and_encrypts_new() {
        let old = Keyring::new(&key(1), &[], "t").unwrap();
        let ct = old.encrypt(b"aad", b"secret").unwrap();
        let new = Keyring::new(&key(2), &[key(1)], "t").unwrap();
        assert_eq!(*new.decrypt(b"aad", &ct).unwrap(), b"secret");
        let ct2 = new.encrypt(b"aad", b"secret").unwrap();
        assert!(old.decrypt(b"aad", &ct2).is_err_and(|e| e.kind() == ErrorKind::DecryptionFailed));
        assert!(new.decrypt(b"other", &ct).is_err());
        assert_eq!(new.fingerprints().len(), 2);
        assert!(new.has_fingerprint(&old.fingerprint()));
    }

    #[test]
    fn configuration_limits() {
        assert!(Keyring::new(&key(9), &[key(1), key(2), key(3)], "t").is_ok());
        assert_eq!(
            Keyring::new(&key(9), &[key(1), key(2), key(3), key(4)], "t").unwrap_err().kind(),
            ErrorKind::InvalidKeyring
        );
        assert_eq!(Keyring::new(&key(9), &[key(1), key(9)], "t").unwrap_err().kind(), ErrorKind::InvalidKeyring);
        let hex = "ab".repeat(32);
        let upper = hex.to_uppercase();
        assert_eq!(
            Keyring::from_hex(&hex, &format!("{},{upper}", "11".repeat(32)), "t").unwrap_err().kind(),
            ErrorKind::InvalidKeyring
        );
        assert!(Keyring::from_hex(&hex, "", "t").is_ok());
    }

    #[test]
    fn nonces_never_repeat_across_calls() {
        let k = Keyring::new(&key(1), &[], "t").unwrap();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            assert!(seen.insert(k.encrypt(b"", b"x").unwrap()[..12].to_vec()));
        }
    }
}
