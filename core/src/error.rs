//! The one error type of cachekit, shared by every binding.
//!
//! Every failure is an [`Error`]: an [`ErrorKind`] (a stable numeric code plus a short
//! machine name, identical in Rust, C, Node, PHP and WASM) and a human message that is
//! informative but not normative. Bindings map the code to their own exception classes;
//! they never parse the message.
//!
//! | code | name | category | meaning |
//! |---:|---|---|---|
//! | 100 | `invalid_argument` | usage | an argument is malformed (empty identity, bad option) |
//! | 101 | `integer_out_of_range` | usage | integer outside [−2^63, 2^64−1] |
//! | 102 | `non_finite_float` | usage | NaN or ±Inf where the profile forbids them |
//! | 103 | `unsupported_type` | usage | a value the encoder cannot represent (set in a value, naive datetime in an args profile, ext on write…) |
//! | 104 | `invalid_map_key` | usage | a map key the encoder refuses (non-string in canonical profiles, duplicate, unsortable mix) |
//! | 105 | `invalid_string` | usage | text that is not well-formed Unicode (lone surrogate, invalid UTF-8 on input) |
//! | 106 | `invalid_segment` | usage | an interop namespace or operation outside `^[a-z0-9][a-z0-9._-]{0,63}$`, with `..`, or reserved |
//! | 107 | `invalid_temporal` | usage | a date, time or datetime that is out of range or not ISO-8601 |
//! | 108 | `invalid_ttl` | usage | a TTL that is zero, negative, not finite or beyond the largest Redis accepts |
//! | 109 | `value_too_large` | usage | a value or entry beyond a configured size cap |
//! | 200 | `malformed_msgpack` | decode | bytes are not MessagePack (bad marker, truncated item, invalid UTF-8 in a str) |
//! | 201 | `decode_bounds` | decode | the pre-decode guard refused the document (depth, declared slots, incomplete) |
//! | 202 | `trailing_bytes` | decode | bytes remain after one complete document |
//! | 203 | `invalid_sentinel` | decode | a temporal sentinel map whose `value` is not valid ISO-8601 |
//! | 210 | `envelope_structure` | integrity | the ByteStorage envelope has the wrong shape or types |
//! | 211 | `envelope_size_limit` | integrity | envelope, compressed or original size over 512 MiB |
//! | 212 | `decompression_bomb` | integrity | empty compressed data, or `original_size > 1000 × compressed_len` |
//! | 213 | `decompression_failed` | integrity | the LZ4 block is corrupt or does not fill `original_size` |
//! | 214 | `checksum_mismatch` | integrity | xxh3-64 of the decompressed bytes differs from the stored one |
//! | 220 | `python_frame` | decode | the entry is a cachekit-py `CK` frame (Python-internal, never decoded) |
//! | 221 | `python_frame_malformed` | decode | a `CK` frame that the inspector cannot parse (prefix, version, header) |
//! | 300 | `invalid_master_key` | crypto | master key not exactly 32 bytes of plain hex (or raw) |
//! | 301 | `invalid_keyring` | crypto | more than 3 previous keys, or the current key repeated among them |
//! | 302 | `invalid_tenant` | crypto | tenant or derivation domain empty or too long |
//! | 303 | `decryption_failed` | crypto | authentication failed with every key of the keyring (wrong key, AAD or tampering) |
//! | 304 | `ciphertext_too_short` | crypto | stored bytes shorter than nonce + tag (28 bytes) |
//! | 305 | `nonce_exhausted` | crypto | this encryptor used all 2^32 counter nonces; make a new one |
//! | 306 | `random_unavailable` | crypto | the platform random source failed |
//! | 307 | `encryption_required` | crypto | a secure configuration without a key, or plaintext where ciphertext is required |
//! | 400 | `circuit_open` | backend | the circuit breaker is open: Redis is skipped until the cool-down ends |
//! | 401 | `overloaded` | backend | backpressure refused the call (too many in flight, queue full or wait budget spent) |
//! | 402 | `timeout` | backend | a backend call or a wait exceeded its deadline |
//! | 403 | `backend` | backend | the binding reported a Redis error (connection, protocol, server reply) |
//! | 404 | `lock_not_acquired` | backend | the fill lock stayed held by another writer for the whole wait |
//! | 405 | `closed` | backend | the cache was closed |
//! | 406 | `compute_failed` | backend | the single-flight leader's computation failed; its followers share the failure |
//! | 500 | `internal` | internal | a bug in cachekit (a caught panic at an FFI boundary, a broken invariant) |
//!
//! Codes are append-only: a number is never reused or renumbered.

use std::borrow::Cow;
use std::fmt;

/// What went wrong, as a stable code; see the module table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument is malformed.
    InvalidArgument = 100,
    /// Integer outside [−2^63, 2^64−1].
    IntegerOutOfRange = 101,
    /// NaN or ±Inf where the profile forbids them.
    NonFiniteFloat = 102,
    /// A value the encoder cannot represent in this profile.
    UnsupportedType = 103,
    /// A map key the encoder refuses.
    InvalidMapKey = 104,
    /// Text that is not well-formed Unicode.
    InvalidString = 105,
    /// An interop namespace or operation that fails segment validation.
    InvalidSegment = 106,
    /// A temporal value out of range or not ISO-8601.
    InvalidTemporal = 107,
    /// A TTL that is zero, negative or not finite.
    InvalidTtl = 108,
    /// A value or entry beyond a size cap.
    ValueTooLarge = 109,
    /// Bytes that are not MessagePack.
    MalformedMsgpack = 200,
    /// The pre-decode guard refused the document.
    DecodeBounds = 201,
    /// Bytes remain after one complete document.
    TrailingBytes = 202,
    /// A temporal sentinel map whose text does not parse.
    InvalidSentinel = 203,
    /// The ByteStorage envelope has the wrong shape or types.
    EnvelopeStructure = 210,
    /// Envelope, compressed or original size over the 512 MiB cap.
    EnvelopeSizeLimit = 211,
    /// Empty compressed data or a ratio above 1000.
    DecompressionBomb = 212,
    /// The LZ4 block is corrupt or does not fill `original_size`.
    DecompressionFailed = 213,
    /// xxh3-64 mismatch.
    ChecksumMismatch = 214,
    /// The entry is a cachekit-py `CK` frame.
    PythonFrame = 220,
    /// A `CK` frame the inspector cannot parse.
    PythonFrameMalformed = 221,
    /// Master key is not exactly 32 bytes.
    InvalidMasterKey = 300,
    /// Keyring configuration refused.
    InvalidKeyring = 301,
    /// Tenant or domain empty or too long.
    InvalidTenant = 302,
    /// Authentication failed with every key.
    DecryptionFailed = 303,
    /// Fewer than 28 stored bytes.
    CiphertextTooShort = 304,
    /// 2^32 nonces used by one encryptor.
    NonceExhausted = 305,
    /// The platform random source failed.
    RandomUnavailable = 306,
    /// Encryption was required but not possible or not present.
    EncryptionRequired = 307,
    /// The circuit breaker is open.
    CircuitOpen = 400,
    /// Backpressure refused the call.
    Overloaded = 401,
    /// A deadline passed.
    Timeout = 402,
    /// The binding reported a Redis error.
    Backend = 403,
    /// The fill lock stayed held by another writer.
    LockNotAcquired = 404,
    /// The cache was closed.
    Closed = 405,
    /// The single-flight leader's computation failed.
    ComputeFailed = 406,
    /// A bug in cachekit.
    Internal = 500,
}

/// Every kind, in code order: the source for generated tables in bindings and docs.
pub const ALL_KINDS: &[ErrorKind] = &[
    ErrorKind::InvalidArgument,
    ErrorKind::IntegerOutOfRange,
    ErrorKind::NonFiniteFloat,
    ErrorKind::UnsupportedType,
    ErrorKind::InvalidMapKey,
    ErrorKind::InvalidString,
    ErrorKind::InvalidSegment,
    ErrorKind::InvalidTemporal,
    ErrorKind::InvalidTtl,
    ErrorKind::ValueTooLarge,
    ErrorKind::MalformedMsgpack,
    ErrorKind::DecodeBounds,
    ErrorKind::TrailingBytes,
    ErrorKind::InvalidSentinel,
    ErrorKind::EnvelopeStructure,
    ErrorKind::EnvelopeSizeLimit,
    ErrorKind::DecompressionBomb,
    ErrorKind::DecompressionFailed,
    ErrorKind::ChecksumMismatch,
    ErrorKind::PythonFrame,
    ErrorKind::PythonFrameMalformed,
    ErrorKind::InvalidMasterKey,
    ErrorKind::InvalidKeyring,
    ErrorKind::InvalidTenant,
    ErrorKind::DecryptionFailed,
    ErrorKind::CiphertextTooShort,
    ErrorKind::NonceExhausted,
    ErrorKind::RandomUnavailable,
    ErrorKind::EncryptionRequired,
    ErrorKind::CircuitOpen,
    ErrorKind::Overloaded,
    ErrorKind::Timeout,
    ErrorKind::Backend,
    ErrorKind::LockNotAcquired,
    ErrorKind::Closed,
    ErrorKind::ComputeFailed,
    ErrorKind::Internal,
];

/// Broad family of a kind, for bindings that group exceptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// The caller passed something invalid: fix the call.
    Usage,
    /// Stored bytes are not a readable document: a cache miss on the read path.
    Decode,
    /// Stored bytes failed an integrity check: a cache miss on the read path.
    Integrity,
    /// Key material or authentication problems.
    Crypto,
    /// Redis or the reliability layer refused or failed the call.
    Backend,
    /// A cachekit bug.
    Internal,
}

impl ErrorKind {
    /// The stable numeric code.
    pub const fn code(self) -> u16 {
        self as u16
    }

    /// The stable machine name, e.g. `"checksum_mismatch"`.
    pub const fn name(self) -> &'static str {
        use ErrorKind::*;
        match self {
            InvalidArgument => "invalid_argument",
            IntegerOutOfRange => "integer_out_of_range",
            NonFiniteFloat => "non_finite_float",
            UnsupportedType => "unsupported_type",
            InvalidMapKey => "invalid_map_key",
            InvalidString => "invalid_string",
            InvalidSegment => "invalid_segment",
            InvalidTemporal => "invalid_temporal",
            InvalidTtl => "invalid_ttl",
            ValueTooLarge => "value_too_large",
            MalformedMsgpack => "malformed_msgpack",
            DecodeBounds => "decode_bounds",
            TrailingBytes => "trailing_bytes",
            InvalidSentinel => "invalid_sentinel",
            EnvelopeStructure => "envelope_structure",
            EnvelopeSizeLimit => "envelope_size_limit",
            DecompressionBomb => "decompression_bomb",
            DecompressionFailed => "decompression_failed",
            ChecksumMismatch => "checksum_mismatch",
            PythonFrame => "python_frame",
            PythonFrameMalformed => "python_frame_malformed",
            InvalidMasterKey => "invalid_master_key",
            InvalidKeyring => "invalid_keyring",
            InvalidTenant => "invalid_tenant",
            DecryptionFailed => "decryption_failed",
            CiphertextTooShort => "ciphertext_too_short",
            NonceExhausted => "nonce_exhausted",
            RandomUnavailable => "random_unavailable",
            EncryptionRequired => "encryption_required",
            CircuitOpen => "circuit_open",
            Overloaded => "overloaded",
            Timeout => "timeout",
            Backend => "backend",
            LockNotAcquired => "lock_not_acquired",
            Closed => "closed",
            ComputeFailed => "compute_failed",
            Internal => "internal",
        }
    }

    /// A one-line description of the kind (the module table's wording), for error messages
    /// in bindings (C's `ck_error_message`).
    pub const fn description(self) -> &'static str {
        use ErrorKind::*;
        match self {
            InvalidArgument => "an argument is malformed (empty identity, bad option)",
            IntegerOutOfRange => "integer outside [-2^63, 2^64-1]",
            NonFiniteFloat => "NaN or +/-Inf where the profile forbids them",
            UnsupportedType => {
                "a value the encoder cannot represent (set in a value, naive datetime in an args profile, ext on write...)"
            }
            InvalidMapKey => {
                "a map key the encoder refuses (non-string in canonical profiles, duplicate, unsortable mix)"
            }
            InvalidString => "text that is not well-formed Unicode (lone surrogate, invalid UTF-8 on input)",
            InvalidSegment => {
                "an interop namespace or operation outside ^[a-z0-9][a-z0-9._-]{0,63}$, with .., or reserved"
            }
            InvalidTemporal => "a date, time or datetime that is out of range or not ISO-8601",
            InvalidTtl => "a TTL that is zero, negative, not finite or beyond the largest Redis accepts",
            ValueTooLarge => "a value or entry beyond a configured size cap",
            MalformedMsgpack => "bytes are not MessagePack (bad marker, truncated item, invalid UTF-8 in a str)",
            DecodeBounds => "the pre-decode guard refused the document (depth, declared slots, incomplete)",
            TrailingBytes => "bytes remain after one complete document",
            InvalidSentinel => "a temporal sentinel map whose value is not valid ISO-8601",
            EnvelopeStructure => "the ByteStorage envelope has the wrong shape or types",
            EnvelopeSizeLimit => "envelope, compressed or original size over 512 MiB",
            DecompressionBomb => "empty compressed data, or original_size > 1000 x compressed_len",
            DecompressionFailed => "the LZ4 block is corrupt or does not fill original_size",
            ChecksumMismatch => "xxh3-64 of the decompressed bytes differs from the stored one",
            PythonFrame => "the entry is a cachekit-py CK frame (Python-internal, never decoded)",
            PythonFrameMalformed => "a CK frame that the inspector cannot parse (prefix, version, header)",
            InvalidMasterKey => "master key not exactly 32 bytes of plain hex (or raw)",
            InvalidKeyring => "more than 3 previous keys, or the current key repeated among them",
            InvalidTenant => "tenant or derivation domain empty or too long",
            DecryptionFailed => "authentication failed with every key of the keyring (wrong key, AAD or tampering)",
            CiphertextTooShort => "stored bytes shorter than nonce + tag (28 bytes)",
            NonceExhausted => "this encryptor used all 2^32 counter nonces; make a new one",
            RandomUnavailable => "the platform random source failed",
            EncryptionRequired => "a secure configuration without a key, or plaintext where ciphertext is required",
            CircuitOpen => "the circuit breaker is open: Redis is skipped until the cool-down ends",
            Overloaded => "backpressure refused the call (too many in flight, queue full or wait budget spent)",
            Timeout => "a backend call or a wait exceeded its deadline",
            Backend => "the binding reported a Redis error (connection, protocol, server reply)",
            LockNotAcquired => "the fill lock stayed held by another writer for the whole wait",
            Closed => "the cache was closed",
            ComputeFailed => "the single-flight leader's computation failed; its followers share the failure",
            Internal => "a bug in cachekit (a caught panic at an FFI boundary, a broken invariant)",
        }
    }

    /// The kind with this code, if any.
    pub fn from_code(code: u16) -> Option<ErrorKind> {
        ALL_KINDS.iter().copied().find(|k| k.code() == code)
    }

    /// The family of this kind.
    pub const fn category(self) -> Category {
        match self.code() {
            100..=199 => Category::Usage,
            200..=209 | 220..=229 => Category::Decode,
            210..=219 => Category::Integrity,
            300..=399 => Category::Crypto,
            400..=499 => Category::Backend,
            _ => Category::Internal,
        }
    }

    /// True when a cache read that fails this way must be treated as a miss (and counted),
    /// not raised to the caller: the stored bytes are unreadable, not the call wrong.
    pub const fn is_read_miss(self) -> bool {
        matches!(self.category(), Category::Decode | Category::Integrity)
            || matches!(self, ErrorKind::DecryptionFailed | ErrorKind::CiphertextTooShort)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A cachekit failure: a stable [`ErrorKind`] plus a human-readable message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: Cow<'static, str>,
}

impl Error {
    /// Builds an error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Error {
        Error { kind, message: message.into() }
    }

    /// The stable kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The stable numeric code (shorthand for `kind().code()`).
    pub fn code(&self) -> u16 {
        self.kind.code()
    }

    /// The human-readable message (not normative; never parse it).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.kind.name(), self.kind.code(), self.message)
    }
}

impl std::error::Error for Error {}

/// Result with cachekit's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Shorthand used across the crate: `err(kind, "message")`.
pub(crate) fn err<T>(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Result<T> {
    Err(Error::new(kind, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for k in ALL_KINDS {
            assert!(seen.insert(k.code()), "duplicate code {}", k.code());
            assert_eq!(ErrorKind::from_code(k.code()), Some(*k));
        }
        assert_eq!(ErrorKind::from_code(9999), None);
    }

    #[test]
    fn every_kind_is_described() {
        for k in ALL_KINDS {
            assert!(!k.description().is_empty() && !k.description().contains('`'), "{k}");
        }
    }

    #[test]
    fn names_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for k in ALL_KINDS {
            assert!(seen.insert(k.name()));
            assert!(k.name().chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        }
    }

    #[test]
    fn read_misses_are_decode_integrity_and_auth() {
        assert!(ErrorKind::ChecksumMismatch.is_read_miss());
        assert!(ErrorKind::DecodeBounds.is_read_miss());
        assert!(ErrorKind::PythonFrame.is_read_miss());
        assert!(ErrorKind::DecryptionFailed.is_read_miss());
        assert!(!ErrorKind::InvalidMasterKey.is_read_miss());
        assert!(!ErrorKind::IntegerOutOfRange.is_read_miss());
    }

    #[test]
    fn display_has_name_code_and_message() {
        let e = Error::new(ErrorKind::TrailingBytes, "2 bytes after the document");
        assert_eq!(e.to_string(), "trailing_bytes (202): 2 bytes after the document");
    }
}
