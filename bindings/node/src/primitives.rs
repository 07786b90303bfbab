//! The protocol primitives: serializers, keys, envelope, entry codec, AAD, key derivation,
//! keyring and the cachekit-py frame inspector. Used by the conformance runner and the CLI.

use napi::Env;
use napi::sys;
use napi_derive::napi;

use cachekit::crypto::{Keyring as CoreKeyring, MasterKey, TenantKey, derive};
use cachekit::entry::{self, EntryOptions, Mode};
use cachekit::envelope::{self, DataEncoding};
use cachekit::keys;
use cachekit::{ErrorKind, Value, canonical, python_frame, serializer};

use crate::engine::master_key;
use crate::js::{Fail, Js, JsErr, R, Raw};
use crate::obj::{Out, opts};
use crate::value::{NodeHost, bytes_arg, string_arg, to_core, to_core_list, to_js};
use cachekit_js_host::config;

type V = sys::napi_value;

fn js(env: &Env) -> Js {
    Js::new(env.raw())
}

fn buf(js: Js, b: &[u8]) -> Result<Raw, JsErr> {
    Ok(Raw(js.buffer(b)?))
}

fn exact_flag(js: Js, v: V) -> R<bool> {
    Ok(js.type_of(v)? == sys::ValueType::napi_boolean && js.get_bool(v)?)
}

fn value_out(js: Js, v: &Value, exact: V) -> Result<Raw, JsErr> {
    let exact = exact_flag(js, exact)?;
    Ok(Raw(to_js(js, exact, v)?))
}

/// Registers the JavaScript classes and builtins the value mapping uses (called once by the
/// package's loader).
#[napi(js_name = "registerRuntime")]
pub fn register_runtime(env: Env, runtime: Raw) -> Result<(), JsErr> {
    Ok(crate::value::register(js(&env), runtime.0)?)
}

/// The core's version.
#[napi]
pub fn version() -> &'static str {
    cachekit::VERSION
}

/// Every error kind: `[{code, name, description}]`.
#[napi(js_name = "errorKinds")]
pub fn error_kinds(env: Env) -> Result<Raw, JsErr> {
    let js = js(&env);
    let a = js.array(cachekit::error::ALL_KINDS.len())?;
    for (i, k) in cachekit::error::ALL_KINDS.iter().enumerate() {
        let o = Out::new(js)?;
        o.num(c"code", f64::from(k.code()))?;
        o.str(c"name", k.name())?;
        o.str(c"description", k.description())?;
        js.set_element(a, i as u32, o.obj)?;
    }
    Ok(Raw(a))
}

/// The value as the core sees it, returned in the exact (lossless) form.
#[napi(js_name = "exactValue")]
pub fn exact_value(env: Env, value: Raw) -> Result<Raw, JsErr> {
    let js = js(&env);
    let v = to_core(js, value.0)?;
    Ok(Raw(to_js(js, true, &v)?))
}

/// StandardSerializer (default-mode values): value → MessagePack.
#[napi]
pub fn serialize(env: Env, value: Raw) -> Result<Raw, JsErr> {
    let js = js(&env);
    let v = to_core(js, value.0)?;
    buf(js, &serializer::encode(&v).map_err(Fail::from)?)
}

/// StandardSerializer: MessagePack → value (bounded, no trailing bytes).
#[napi]
pub fn deserialize(env: Env, bytes: Raw, exact: Raw) -> Result<Raw, JsErr> {
    let js = js(&env);
    let v = serializer::decode(&bytes_arg(js, bytes.0, "bytes")?).map_err(Fail::from)?;
    value_out(js, &v, exact.0)
}

/// The canonical interop/v1 value document.
#[napi(js_name = "canonicalValue")]
pub fn canonical_value(env: Env, value: Raw) -> Result<Raw, JsErr> {
    let js = js(&env);
    let v = to_core(js, value.0)?;
    buf(js, &canonical::encode_value(&v).map_err(Fail::from)?)
}

/// The canonical interop/v1 args bytes of an argument list.
#[napi(js_name = "canonicalArgs")]
pub fn canonical_args(env: Env, args: Raw) -> Result<Raw, JsErr> {
    let js = js(&env);
    let a = to_core_list(js, args.0, "args")?;
    buf(js, &canonical::encode_args(&a).map_err(Fail::from)?)
}

/// Reads an interop/v1 value document (lenient reader, bounded).
#[napi(js_name = "interopDecode")]
pub fn interop_decode(env: Env, bytes: Raw, exact: Raw) -> Result<Raw, JsErr> {
    let js = js(&env);
    let v = canonical::decode_value(&bytes_arg(js, bytes.0, "bytes")?).map_err(Fail::from)?;
    value_out(js, &v, exact.0)
}

/// Blake2b-256 hex of the canonical args bytes.
#[napi(js_name = "interopArgsHash")]
pub fn interop_args_hash(env: Env, args: Raw) -> Result<String, JsErr> {
    let js = js(&env);
    let a = to_core_list(js, args.0, "args")?;
    Ok(keys::interop_args_hash(&a).map_err(Fail::from)?)
}

/// The interop/v1 key `{namespace}:{operation}:{hash}`.
#[napi(js_name = "interopKey")]
pub fn interop_key(env: Env, namespace: Raw, operation: Raw, args: Raw) -> Result<String, JsErr> {
    let js = js(&env);
    let ns = string_arg(js, namespace.0, "namespace")?;
    let op = string_arg(js, operation.0, "operation")?;
    let a = to_core_list(js, args.0, "args")?;
    Ok(keys::interop_key(&ns, &op, &a).map_err(Fail::from)?)
}

/// A default-mode key: `{namespace?, function, args?, kwargs? (object or Map), integrity?,
/// serializer?}`.
#[napi(js_name = "defaultKey")]
pub fn default_key(env: Env, spec: Raw) -> Result<String, JsErr> {
    let js = js(&env);
    Ok(config::default_key(&opts(js, spec.0, "key spec")?)?)
}

/// A default-mode key from positional arguments (the hot path of `wrap`): namespace (or
/// `null`), function identity, the argument list, integrity; serializer `std`, no kwargs.
#[napi(js_name = "defaultKeyOf")]
pub fn default_key_of(env: Env, namespace: Raw, function: Raw, args: Raw, integrity: bool) -> Result<String, JsErr> {
    let host = NodeHost::new(js(&env));
    Ok(config::default_key_of(&host, &namespace.0, &function.0, &args.0, integrity)?)
}

/// Wraps StandardSerializer bytes in a ByteStorage envelope.
#[napi(js_name = "envelopeStore")]
pub fn envelope_store(env: Env, bytes: Raw) -> Result<Raw, JsErr> {
    let js = js(&env);
    buf(js, &envelope::store(&bytes_arg(js, bytes.0, "bytes")?).map_err(Fail::from)?)
}

/// Opens a ByteStorage envelope (every check of SPEC §3).
#[napi(js_name = "envelopeRetrieve")]
pub fn envelope_retrieve(env: Env, bytes: Raw) -> Result<Raw, JsErr> {
    let js = js(&env);
    buf(js, &envelope::retrieve(&bytes_arg(js, bytes.0, "bytes")?).map_err(Fail::from)?)
}

/// Parses an envelope without decompressing: `{compressedSize, originalSize, checksum (hex),
/// format, encoding: "bin" | "int-array"}`.
#[napi(js_name = "envelopeParse")]
pub fn envelope_parse(env: Env, bytes: Raw) -> Result<Raw, JsErr> {
    let js = js(&env);
    let e = envelope::parse(&bytes_arg(js, bytes.0, "bytes")?).map_err(Fail::from)?;
    let o = Out::new(js)?;
    o.num(c"compressedSize", e.compressed.len() as f64)?;
    o.num(c"originalSize", e.original_size as f64)?;
    o.str(c"checksum", &format!("{:016x}", e.checksum))?;
    o.str(c"format", &e.format)?;
    o.str(
        c"encoding",
        match e.encoding {
            DataEncoding::Bin => "bin",
            DataEncoding::IntArray => "int-array",
        },
    )?;
    Ok(Raw(o.obj))
}

pub fn mode_arg(js: Js, v: V) -> R<Mode> {
    Ok(Mode::from_name(&string_arg(js, v, "mode")?)?)
}

/// Encodes a plaintext entry: `mode` is `default`, `default-no-integrity` or `interop`.
#[napi(js_name = "entryEncode")]
pub fn entry_encode(env: Env, value: Raw, mode: Raw, key: Raw) -> Result<Raw, JsErr> {
    let js = js(&env);
    let v = to_core(js, value.0)?;
    let key = string_arg(js, key.0, "key")?;
    let opts = EntryOptions::new(mode_arg(js, mode.0)?, &key);
    buf(js, &entry::encode(&v, &opts).map_err(Fail::from)?)
}

/// Decodes a plaintext entry.
#[napi(js_name = "entryDecode")]
pub fn entry_decode(env: Env, bytes: Raw, mode: Raw, key: Raw, exact: Raw) -> Result<Raw, JsErr> {
    let js = js(&env);
    let key = string_arg(js, key.0, "key")?;
    let opts = EntryOptions::new(mode_arg(js, mode.0)?, &key);
    let v = entry::decode(&bytes_arg(js, bytes.0, "bytes")?, &opts).map_err(Fail::from)?;
    value_out(js, &v, exact.0)
}

/// The AAD v0x03 bytes: `{tenant, cacheKey, format, compressed, originalType?}`.
#[napi]
pub fn aad(env: Env, spec: Raw) -> Result<Raw, JsErr> {
    let js = js(&env);
    buf(js, &config::aad(&opts(js, spec.0, "aad spec")?)?)
}

/// HKDF salt for `domain` and `tenant`.
#[napi(js_name = "deriveSalt")]
pub fn derive_salt(env: Env, domain: Raw, tenant: Raw) -> Result<Raw, JsErr> {
    let js = js(&env);
    let d = string_arg(js, domain.0, "domain")?;
    let t = string_arg(js, tenant.0, "tenant")?;
    buf(js, &derive::salt(&d, &t).map_err(Fail::from)?)
}

/// HKDF-SHA256 of a master key (hex or 32 bytes) for `domain` and `tenant`.
#[napi(js_name = "deriveKey")]
pub fn derive_key(env: Env, master: Raw, domain: Raw, tenant: Raw) -> Result<Raw, JsErr> {
    let js = js(&env);
    let m = master_key(js, master.0)?;
    let d = string_arg(js, domain.0, "domain")?;
    let t = string_arg(js, tenant.0, "tenant")?;
    let k = derive::derive_key(&m, &d, &t).map_err(Fail::from)?;
    buf(js, k.as_ref())
}

/// The 16-byte fingerprint of a 32-byte derived key.
#[napi(js_name = "keyFingerprint")]
pub fn key_fingerprint(env: Env, key: Raw) -> Result<Raw, JsErr> {
    let js = js(&env);
    let k = bytes_arg(js, key.0, "key")?;
    let Ok(arr) = <[u8; 32]>::try_from(k.as_slice()) else {
        return Err(Fail::from(cachekit::Error::new(ErrorKind::InvalidArgument, "a derived key is 32 bytes")).into());
    };
    buf(js, &derive::fingerprint(&arr))
}

/// Validates a master key (64 hex digits, or exactly 32 bytes); throws `invalid_master_key`.
#[napi(js_name = "checkMasterKey")]
pub fn check_master_key(env: Env, key: Raw) -> Result<(), JsErr> {
    master_key(js(&env), key.0)?;
    Ok(())
}

/// True when bytes start with cachekit-py's `CK` magic.
#[napi(js_name = "isPythonFrame")]
pub fn is_python_frame(env: Env, bytes: Raw) -> Result<bool, JsErr> {
    Ok(python_frame::is_frame(&bytes_arg(js(&env), bytes.0, "bytes")?))
}

/// Parses a cachekit-py `CK` frame for display: `{ok: true, headerJson, serializer, payload}`
/// or `{ok: false, rejectedBy}`. `strict` also requires a serializer name (as cachekit-py's
/// reader does).
#[napi(js_name = "inspectPythonFrame")]
pub fn inspect_python_frame(env: Env, bytes: Raw, strict: Option<bool>) -> Result<Raw, JsErr> {
    let js = js(&env);
    let b = bytes_arg(js, bytes.0, "bytes")?;
    let r = if strict.unwrap_or(false) { python_frame::validate(&b) } else { python_frame::parse(&b) };
    let o = Out::new(js)?;
    match r {
        Ok(f) => {
            o.bool(c"ok", true)?;
            o.str(c"headerJson", f.header_json)?;
            match &f.serializer {
                Some(s) => o.str(c"serializer", s)?,
                None => o.val(c"serializer", js.null()?)?,
            }
            o.bytes(c"payload", f.payload)?;
        }
        Err(r) => {
            o.bool(c"ok", false)?;
            o.str(c"rejectedBy", r.name())?;
        }
    }
    Ok(Raw(o.obj))
}

/// A keyring: the current master key (encrypts and decrypts) and up to three previous keys
/// (decrypt only), derived for one tenant.
#[napi]
pub struct Keyring {
    ring: CoreKeyring,
    current: TenantKey,
}

#[napi]
impl Keyring {
    /// `masterKey`: 64 hex digits or 32 bytes; `previousKeys`: the same; `tenant`: default
    /// `"default"`.
    #[napi(constructor)]
    pub fn new(env: Env, master: Raw, previous: Raw, tenant: Option<String>) -> Result<Keyring, JsErr> {
        let js = js(&env);
        let current = master_key(js, master.0)?;
        let prev = config::previous_keys(&NodeHost::new(js), &previous.0)?;
        let tenant = tenant.unwrap_or_else(|| cachekit::crypto::DEFAULT_TENANT.to_owned());
        let ring = CoreKeyring::new(&current, &prev, &tenant).map_err(Fail::from)?;
        let current = TenantKey::derive(&current, &tenant).map_err(Fail::from)?;
        Ok(Keyring { ring, current })
    }

    /// `CACHEKIT_MASTER_KEY` / `CACHEKIT_PREVIOUS_MASTER_KEYS` style: hex key and a
    /// comma-separated list.
    #[napi(factory, js_name = "fromHex")]
    pub fn from_hex(current: String, previous_csv: String, tenant: String) -> Result<Keyring, JsErr> {
        let ring = CoreKeyring::from_hex(&current, &previous_csv, &tenant).map_err(Fail::from)?;
        let key =
            TenantKey::derive(&MasterKey::from_hex(&current).map_err(Fail::from)?, &tenant).map_err(Fail::from)?;
        Ok(Keyring { ring, current: key })
    }

    #[napi(getter)]
    pub fn tenant(&self) -> String {
        self.ring.tenant().to_owned()
    }

    /// Fingerprint of the current derived key.
    #[napi]
    pub fn fingerprint(&self, env: Env) -> Result<Raw, JsErr> {
        buf(js(&env), &self.ring.fingerprint())
    }

    /// Encrypts with the current key and the next counter nonce.
    #[napi]
    pub fn encrypt(&self, env: Env, aad: Raw, plaintext: Raw) -> Result<Raw, JsErr> {
        let js = js(&env);
        let out = self
            .ring
            .encrypt(&bytes_arg(js, aad.0, "aad")?, &bytes_arg(js, plaintext.0, "plaintext")?)
            .map_err(Fail::from)?;
        buf(js, &out)
    }

    /// Seals with the current key and an explicit 12-byte nonce (tests and vectors only).
    #[napi(js_name = "sealWithNonce")]
    pub fn seal_with_nonce(&self, env: Env, nonce: Raw, aad: Raw, plaintext: Raw) -> Result<Raw, JsErr> {
        let js = js(&env);
        let n = bytes_arg(js, nonce.0, "nonce")?;
        let Ok(n) = <[u8; 12]>::try_from(n.as_slice()) else {
            return Err(Fail::from(cachekit::Error::new(ErrorKind::InvalidArgument, "a nonce is 12 bytes")).into());
        };
        let out = self
            .current
            .seal_with_nonce(&n, &bytes_arg(js, aad.0, "aad")?, &bytes_arg(js, plaintext.0, "plaintext")?)
            .map_err(Fail::from)?;
        buf(js, &out)
    }

    /// Decrypts with the current key, then each previous key, with this exact AAD.
    #[napi]
    pub fn decrypt(&self, env: Env, aad: Raw, stored: Raw) -> Result<Raw, JsErr> {
        let js = js(&env);
        let out = self
            .ring
            .decrypt(&bytes_arg(js, aad.0, "aad")?, &bytes_arg(js, stored.0, "stored")?)
            .map_err(Fail::from)?;
        buf(js, &out)
    }

    /// Encodes an encrypted entry stored under `key`.
    #[napi(js_name = "entryEncode")]
    pub fn entry_encode(&self, env: Env, value: Raw, mode: Raw, key: Raw) -> Result<Raw, JsErr> {
        let js = js(&env);
        let v = to_core(js, value.0)?;
        let key = string_arg(js, key.0, "key")?;
        let opts = EntryOptions::new(mode_arg(js, mode.0)?, &key).encrypted(&self.ring);
        buf(js, &entry::encode(&v, &opts).map_err(Fail::from)?)
    }

    /// Decodes an encrypted entry stored under `key`.
    #[napi(js_name = "entryDecode")]
    pub fn entry_decode(&self, env: Env, bytes: Raw, mode: Raw, key: Raw, exact: Raw) -> Result<Raw, JsErr> {
        let js = js(&env);
        let key = string_arg(js, key.0, "key")?;
        let opts = EntryOptions::new(mode_arg(js, mode.0)?, &key).encrypted(&self.ring);
        let v = entry::decode(&bytes_arg(js, bytes.0, "bytes")?, &opts).map_err(Fail::from)?;
        value_out(js, &v, exact.0)
    }
}
