//! `Cachekit\Protocol`: the protocol primitives as static functions (keys, serializers,
//! envelope, entry codec, key derivation), for tools, tests and the conformance runner.
//! Values go through the same PHP mapping as the cache; decoded values come back in the exact
//! shape (wrappers keep bytes, maps, big integers and temporal types distinct).

use cachekit::crypto::{Aad, Keyring as CoreKeyring, MasterKey, TenantKey, derive};
use cachekit::entry::{self, EntryOptions, Mode};
use cachekit::envelope::DataEncoding;
use cachekit::keys::{self, DefaultKey};
use cachekit::{ErrorKind, Value, canonical, envelope, python_frame, serializer};
use ext_php_rs::binary::Binary;
use ext_php_rs::binary_slice::BinarySlice;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};

use crate::cache::master_key;
use crate::errors::{R, ck, ck_err};
use crate::value::{Shape, from_value, php_err, to_value};

/// Interop arguments: a PHP list (an empty array included); anything else is refused.
pub(crate) fn list(args: &Zval) -> R<Vec<Value>> {
    match to_value(args)? {
        Value::Array(a) => Ok(a),
        Value::Map(m) if m.is_empty() => Ok(Vec::new()),
        _ => Err(ck_err(ErrorKind::InvalidArgument, "args must be a list")),
    }
}

pub(crate) fn mode(name: &str) -> R<Mode> {
    ck(Mode::from_name(name))
}

/// The protocol primitives.
#[php_class]
#[php(name = "Cachekit\\Protocol")]
pub struct Protocol;

#[php_impl]
impl Protocol {
    /// The interop/v1 key `{namespace}:{operation}:{blake2b-256 of the canonical args}`.
    pub fn interop_key(namespace: String, operation: String, args: &Zval) -> R<String> {
        ck(keys::interop_key(&namespace, &operation, &list(args)?))
    }

    /// Hex Blake2b-256 of the canonical args.
    pub fn interop_args_hash(args: &Zval) -> R<String> {
        ck(keys::interop_args_hash(&list(args)?))
    }

    /// Canonical MessagePack of interop args.
    pub fn canonical_args(args: &Zval) -> R<Binary<u8>> {
        ck(canonical::encode_args(&list(args)?)).map(Into::into)
    }

    /// Canonical MessagePack of an interop value.
    pub fn canonical_value(value: &Zval) -> R<Binary<u8>> {
        ck(canonical::encode_value(&to_value(value)?)).map(Into::into)
    }

    /// Reads an interop value (exact shape).
    pub fn read_interop(bytes: BinarySlice<u8>) -> R<Zval> {
        from_value(&ck(canonical::decode_value(&bytes))?, Shape::Exact)
    }

    /// StandardSerializer MessagePack of a default-mode value.
    pub fn serialize(value: &Zval) -> R<Binary<u8>> {
        ck(serializer::encode(&to_value(value)?)).map(Into::into)
    }

    /// Reads StandardSerializer MessagePack (exact shape).
    pub fn deserialize(bytes: BinarySlice<u8>) -> R<Zval> {
        from_value(&ck(serializer::decode(&bytes))?, Shape::Exact)
    }

    /// Wraps bytes in a ByteStorage envelope (LZ4 + xxh3-64).
    pub fn envelope_store(data: BinarySlice<u8>) -> R<Binary<u8>> {
        ck(envelope::store(&data)).map(Into::into)
    }

    /// Opens a ByteStorage envelope.
    pub fn envelope_retrieve(data: BinarySlice<u8>) -> R<Binary<u8>> {
        ck(envelope::retrieve(&data)).map(Into::into)
    }

    /// The default-mode key of a function call (cachekit-py's key).
    pub fn default_key(
        namespace: Option<String>,
        function: String,
        args: &Zval,
        kwargs: Option<&Zval>,
        integrity: Option<bool>,
        serializer: Option<String>,
    ) -> R<String> {
        let args = list(args)?;
        let kwargs: Vec<(String, Value)> = match kwargs.map(to_value).transpose()? {
            None | Some(Value::Nil) => Vec::new(),
            Some(Value::Map(m)) => m
                .into_iter()
                .map(|(k, v)| match k {
                    Value::Str(s) => Ok((s, v)),
                    _ => Err(ck_err(ErrorKind::InvalidArgument, "kwargs keys must be strings")),
                })
                .collect::<R<_>>()?,
            Some(Value::Array(a)) if a.is_empty() => Vec::new(),
            Some(_) => return Err(ck_err(ErrorKind::InvalidArgument, "kwargs must be an associative array")),
        };
        let serializer = serializer.unwrap_or_else(|| "std".to_owned());
        ck(DefaultKey {
            namespace: namespace.as_deref(),
            function: &function,
            args: &args,
            kwargs: &kwargs,
            integrity: integrity.unwrap_or(true),
            serializer: &serializer,
        }
        .build())
    }

    /// Encodes a value as stored entry bytes (mode `default`, `default-no-integrity` or
    /// `interop`; unencrypted).
    pub fn encode_entry(value: &Zval, mode_name: String, cache_key: String) -> R<Binary<u8>> {
        let opts = EntryOptions::new(mode(&mode_name)?, &cache_key);
        ck(entry::encode(&to_value(value)?, &opts)).map(Into::into)
    }

    /// Decodes stored entry bytes (exact shape).
    pub fn decode_entry(stored: BinarySlice<u8>, mode_name: String, cache_key: String) -> R<Zval> {
        let opts = EntryOptions::new(mode(&mode_name)?, &cache_key);
        from_value(&ck(entry::decode(&stored, &opts))?, Shape::Exact)
    }

    /// Hex fingerprint of the tenant key derived from a master key (64 hex digits).
    pub fn tenant_key_fingerprint(master_key_hex: String, tenant: String) -> R<String> {
        let m = ck(MasterKey::from_hex(&master_key_hex))?;
        let k = ck(TenantKey::derive(&m, &tenant))?;
        Ok(keys::to_hex(&k.fingerprint()))
    }

    /// A value through the PHP mapping and back in the exact shape (normalises temporal text,
    /// UUID case, integer wrappers): what a decoder would return for it.
    pub fn exact_value(value: &Zval) -> R<Zval> {
        from_value(&to_value(value)?, Shape::Exact)
    }

    /// The AAD (v0x03) bytes authenticated with an encrypted entry.
    pub fn aad(
        tenant: String,
        cache_key: String,
        format: String,
        compressed: bool,
        original_type: Option<String>,
    ) -> Binary<u8> {
        Aad {
            tenant: &tenant,
            cache_key: &cache_key,
            format: &format,
            compressed,
            original_type: original_type.as_deref(),
        }
        .to_bytes()
        .into()
    }

    /// HKDF salt for `domain` and `tenant`.
    pub fn derive_salt(domain: String, tenant: String) -> R<Binary<u8>> {
        ck(derive::salt(&domain, &tenant)).map(Into::into)
    }

    /// HKDF-SHA256 of a master key (64 hex digits or 32 bytes) for `domain` and `tenant`.
    pub fn derive_key(master: &Zval, domain: String, tenant: String) -> R<Binary<u8>> {
        let m = master_key(master)?;
        ck(derive::derive_key(&m, &domain, &tenant)).map(|k| k.to_vec().into())
    }

    /// The 16-byte fingerprint of a 32-byte derived key.
    pub fn key_fingerprint(key: BinarySlice<u8>) -> R<Binary<u8>> {
        let k = <[u8; 32]>::try_from(&key[..])
            .map_err(|_| ck_err(ErrorKind::InvalidArgument, "a derived key is 32 bytes"))?;
        Ok(derive::fingerprint(&k).to_vec().into())
    }

    /// Validates a hex master key (64 hex digits); throws `invalid_master_key` (code 300s).
    pub fn master_key_from_hex(hex: String) -> R<bool> {
        ck(MasterKey::from_hex(&hex)).map(|_| true)
    }

    /// Validates a raw master key (exactly 32 bytes); throws `invalid_master_key`.
    pub fn master_key_from_bytes(bytes: BinarySlice<u8>) -> R<bool> {
        ck(MasterKey::from_bytes(&bytes)).map(|_| true)
    }

    /// The fields of a ByteStorage envelope: `compressedSize`, `originalSize`, `checksum`
    /// (16 hex digits), `format`, `encoding` (`bin` or `int-array`).
    pub fn envelope_parse(data: BinarySlice<u8>) -> R<Zval> {
        let e = ck(envelope::parse(&data))?;
        let mut ht = ZendHashTable::new();
        ht.insert("compressedSize", e.compressed.len() as i64).map_err(php_err)?;
        ht.insert("originalSize", i64::try_from(e.original_size).unwrap_or(i64::MAX)).map_err(php_err)?;
        ht.insert("checksum", format!("{:016x}", e.checksum)).map_err(php_err)?;
        ht.insert("format", e.format.clone()).map_err(php_err)?;
        let enc = match e.encoding {
            DataEncoding::Bin => "bin",
            DataEncoding::IntArray => "int-array",
        };
        ht.insert("encoding", enc).map_err(php_err)?;
        let mut z = Zval::new();
        z.set_hashtable(ht);
        Ok(z)
    }

    /// True when bytes start with cachekit-py's `CK` frame magic.
    pub fn is_python_frame(data: BinarySlice<u8>) -> bool {
        python_frame::is_frame(&data)
    }

    /// Parses a cachekit-py `CK` frame for display: `['ok' => true, 'headerJson', 'serializer',
    /// 'payload']` or `['ok' => false, 'rejectedBy' => step]`. `strict` also requires a
    /// serializer name (as cachekit-py's reader does).
    pub fn inspect_python_frame(data: BinarySlice<u8>, strict: Option<bool>) -> R<Zval> {
        let r = if strict.unwrap_or(false) { python_frame::validate(&data) } else { python_frame::parse(&data) };
        let mut ht = ZendHashTable::new();
        match r {
            Ok(f) => {
                ht.insert("ok", true).map_err(php_err)?;
                ht.insert("headerJson", f.header_json).map_err(php_err)?;
                let mut sz = Zval::new();
                if let Some(s) = &f.serializer {
                    sz.set_string(s, false).map_err(php_err)?;
                }
                ht.insert("serializer", sz).map_err(php_err)?;
                let mut p = Zval::new();
                p.set_binary(f.payload.to_vec());
                ht.insert("payload", p).map_err(php_err)?;
            }
            Err(r) => {
                ht.insert("ok", false).map_err(php_err)?;
                ht.insert("rejectedBy", r.name()).map_err(php_err)?;
            }
        }
        let mut z = Zval::new();
        z.set_hashtable(ht);
        Ok(z)
    }
}

fn nonce12(n: &[u8]) -> R<[u8; 12]> {
    <[u8; 12]>::try_from(n).map_err(|_| ck_err(ErrorKind::InvalidArgument, "a nonce is 12 bytes"))
}

/// A keyring: the current master key (encrypts and decrypts) and up to three previous keys
/// (decrypt only), derived for one tenant.
#[php_class]
#[php(name = "Cachekit\\Keyring")]
pub struct Keyring {
    ring: CoreKeyring,
    current: TenantKey,
}

#[php_impl]
impl Keyring {
    /// `$masterKey`: 64 hex digits or 32 bytes; `$previousKeys`: a list of the same;
    /// `$tenant`: default `"default"`.
    pub fn __construct(master: &Zval, previous_keys: Option<&Zval>, tenant: Option<String>) -> R<Keyring> {
        let current = master_key(master)?;
        let mut previous = Vec::new();
        if let Some(p) = previous_keys.filter(|p| !p.is_null()) {
            let Some(ht) = p.array() else {
                return Err(ck_err(ErrorKind::InvalidKeyring, "previous keys must be an array"));
            };
            for k in ht.values() {
                previous.push(master_key(k)?);
            }
        }
        let tenant = tenant.unwrap_or_else(|| cachekit::crypto::DEFAULT_TENANT.to_owned());
        let ring = ck(CoreKeyring::new(&current, &previous, &tenant))?;
        let current = ck(TenantKey::derive(&current, &tenant))?;
        Ok(Keyring { ring, current })
    }

    /// `CACHEKIT_MASTER_KEY` / `CACHEKIT_PREVIOUS_MASTER_KEYS` style: a hex key and a
    /// comma-separated list; throws `invalid_keyring` / `invalid_master_key`.
    pub fn from_hex(current: String, previous_csv: String, tenant: String) -> R<Keyring> {
        let ring = ck(CoreKeyring::from_hex(&current, &previous_csv, &tenant))?;
        let key = ck(TenantKey::derive(&ck(MasterKey::from_hex(&current))?, &tenant))?;
        Ok(Keyring { ring, current: key })
    }

    /// The tenant the keys are derived for.
    pub fn tenant(&self) -> String {
        self.ring.tenant().to_owned()
    }

    /// Fingerprint (16 bytes) of the current derived key.
    pub fn fingerprint(&self) -> Binary<u8> {
        self.ring.fingerprint().to_vec().into()
    }

    /// Encrypts with the current key and the next counter nonce.
    pub fn encrypt(&self, aad: BinarySlice<u8>, plaintext: BinarySlice<u8>) -> R<Binary<u8>> {
        ck(self.ring.encrypt(&aad, &plaintext)).map(Into::into)
    }

    /// Seals with the current key and an explicit 12-byte nonce (tests and vectors only).
    pub fn seal_with_nonce(
        &self,
        nonce: BinarySlice<u8>,
        aad: BinarySlice<u8>,
        plaintext: BinarySlice<u8>,
    ) -> R<Binary<u8>> {
        ck(self.current.seal_with_nonce(&nonce12(&nonce)?, &aad, &plaintext)).map(Into::into)
    }

    /// Decrypts with the current key, then each previous key, with this exact AAD.
    pub fn decrypt(&self, aad: BinarySlice<u8>, stored: BinarySlice<u8>) -> R<Binary<u8>> {
        ck(self.ring.decrypt(&aad, &stored)).map(|p| p.to_vec().into())
    }

    /// Encodes an encrypted entry stored under `$cacheKey`.
    pub fn encode_entry(&self, value: &Zval, mode_name: String, cache_key: String) -> R<Binary<u8>> {
        let opts = EntryOptions::new(mode(&mode_name)?, &cache_key).encrypted(&self.ring);
        ck(entry::encode(&to_value(value)?, &opts)).map(Into::into)
    }

    /// Decodes an encrypted entry stored under `$cacheKey` (exact shape).
    pub fn decode_entry(&self, stored: BinarySlice<u8>, mode_name: String, cache_key: String) -> R<Zval> {
        let opts = EntryOptions::new(mode(&mode_name)?, &cache_key).encrypted(&self.ring);
        from_value(&ck(entry::decode(&stored, &opts))?, Shape::Exact)
    }
}
