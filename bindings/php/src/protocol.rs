//! `Cachekit\Protocol`: the protocol primitives as static functions (keys, serializers,
//! envelope, entry codec, key derivation), for tools, tests and the conformance runner.
//! Values go through the same PHP mapping as the cache; decoded values come back in the exact
//! shape (wrappers keep bytes, maps, big integers and temporal types distinct).

use cachekit::crypto::{MasterKey, TenantKey};
use cachekit::entry::{self, EntryOptions, Mode};
use cachekit::keys::{self, DefaultKey};
use cachekit::{ErrorKind, Value, canonical, envelope, serializer};
use ext_php_rs::binary::Binary;
use ext_php_rs::binary_slice::BinarySlice;
use ext_php_rs::prelude::*;
use ext_php_rs::types::Zval;

use crate::errors::{R, ck, ck_err};
use crate::value::{Shape, from_value, to_value};

fn list(args: &Zval) -> R<Vec<Value>> {
    match to_value(args)? {
        Value::Array(a) => Ok(a),
        Value::Map(m) if m.is_empty() => Ok(Vec::new()),
        _ => Err(ck_err(ErrorKind::InvalidArgument, "args must be a list")),
    }
}

fn mode(name: &str) -> R<Mode> {
    match name {
        "default" => Ok(Mode::Default { integrity: true }),
        "default-no-integrity" => Ok(Mode::Default { integrity: false }),
        "interop" => Ok(Mode::Interop),
        other => Err(ck_err(ErrorKind::InvalidArgument, format!("unknown mode {other:?}"))),
    }
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
}
