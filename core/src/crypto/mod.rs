//! Encryption at rest (SPEC §6): AES-256-GCM with per-tenant keys derived by HKDF-SHA256,
//! AAD v0x03 binding each ciphertext to its tenant and cache key, counter nonces, and a
//! keyring for rotation.
//!
//! - [`master_key`]: parsing and validating the 32-byte master key.
//! - [`derive`](mod@derive): HKDF tenant keys and key fingerprints.
//! - [`aad`]: the v0x03 additional authenticated data.
//! - [`cipher`]: seal/open of `nonce || ciphertext || tag`, and the nonce sequence.
//! - [`keyring`]: current + previous keys; encrypts with the current, decrypts with any.

pub mod aad;
pub mod cipher;
pub mod derive;
pub mod keyring;
pub mod master_key;

pub use aad::Aad;
pub use cipher::{NonceSequence, Plaintext, TenantKey};
pub use derive::{DOMAIN_ENCRYPTION, derive_key, fingerprint};
pub use keyring::Keyring;
pub use master_key::MasterKey;

/// Tenant used in single-tenant mode when no deployment UUID is configured.
pub const DEFAULT_TENANT: &str = "default";
