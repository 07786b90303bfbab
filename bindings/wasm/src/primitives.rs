//! The protocol primitives (the package's `protocol` namespace), under the napi addon's
//! names: serializers, keys, envelope, entry codec, AAD, key derivation, keyring and the
//! cachekit-py frame inspector. Used by the conformance runner and the CLI.

use js_sys::Array;
use wasm_bindgen::prelude::*;

use cachekit::crypto::{Keyring as CoreKeyring, MasterKey, TenantKey, derive};
use cachekit::entry::{self, EntryOptions, Mode};
use cachekit::envelope::{self, DataEncoding};
use cachekit::keys;
use cachekit::{ErrorKind, Value, canonical, python_frame, serializer};

use crate::engine::{master_key, mode_from};
use crate::js::{Fail, Out, R, ck, opts};
use crate::value::{bytes_arg, bytes_js, string_arg, to_core, to_core_list, to_js};
use cachekit_js_host::config;

type Res = Result<JsValue, Fail>;

fn exact_flag(v: &JsValue) -> bool {
    v.as_bool() == Some(true)
}

fn value_out(v: &Value, exact: &JsValue) -> Res {
    to_js(exact_flag(exact), v)
}

/// Registers the JavaScript classes the value mapping uses (called once by the loader).
#[wasm_bindgen(js_name = registerRuntime)]
pub fn register_runtime(runtime: JsValue) -> Result<(), Fail> {
    crate::value::register(&runtime)
}

/// The core's version.
#[wasm_bindgen]
pub fn version() -> String {
    cachekit::VERSION.to_owned()
}

/// Every error kind: `[{code, name, description}]`.
#[wasm_bindgen(js_name = errorKinds)]
pub fn error_kinds() -> JsValue {
    let a = Array::new();
    for k in cachekit::error::ALL_KINDS.iter() {
        let o = Out::new();
        o.num("code", f64::from(k.code()));
        o.str("name", k.name());
        o.str("description", k.description());
        a.push(&o.into_js());
    }
    a.into()
}

/// The value as the core sees it, in the exact (lossless) form.
#[wasm_bindgen(js_name = exactValue)]
pub fn exact_value(value: JsValue) -> Res {
    let v = to_core(&value)?;
    to_js(true, &v)
}

/// StandardSerializer: value → MessagePack.
#[wasm_bindgen]
pub fn serialize(value: JsValue) -> Res {
    let v = to_core(&value)?;
    bytes_js(&serializer::encode(&v)?)
}

/// StandardSerializer: MessagePack → value.
#[wasm_bindgen]
pub fn deserialize(bytes: JsValue, exact: JsValue) -> Res {
    let v = serializer::decode(&bytes_arg(&bytes, "bytes")?)?;
    value_out(&v, &exact)
}

/// The canonical interop/v1 value document.
#[wasm_bindgen(js_name = canonicalValue)]
pub fn canonical_value(value: JsValue) -> Res {
    let v = to_core(&value)?;
    bytes_js(&canonical::encode_value(&v)?)
}

/// The canonical interop/v1 args bytes.
#[wasm_bindgen(js_name = canonicalArgs)]
pub fn canonical_args(args: JsValue) -> Res {
    let a = to_core_list(&args, "args")?;
    bytes_js(&canonical::encode_args(&a)?)
}

/// Reads an interop/v1 value document.
#[wasm_bindgen(js_name = interopDecode)]
pub fn interop_decode(bytes: JsValue, exact: JsValue) -> Res {
    let v = canonical::decode_value(&bytes_arg(&bytes, "bytes")?)?;
    value_out(&v, &exact)
}

/// Blake2b-256 hex of the canonical args bytes.
#[wasm_bindgen(js_name = interopArgsHash)]
pub fn interop_args_hash(args: JsValue) -> Result<String, Fail> {
    let a = to_core_list(&args, "args")?;
    Ok(keys::interop_args_hash(&a)?)
}

/// The interop/v1 key.
#[wasm_bindgen(js_name = interopKey)]
pub fn interop_key(namespace: JsValue, operation: JsValue, args: JsValue) -> Result<String, Fail> {
    let ns = string_arg(&namespace, "namespace")?;
    let op = string_arg(&operation, "operation")?;
    let a = to_core_list(&args, "args")?;
    Ok(keys::interop_key(&ns, &op, &a)?)
}

/// A default-mode key: `{namespace?, function, args?, kwargs?, integrity?, serializer?}`.
#[wasm_bindgen(js_name = defaultKey)]
pub fn default_key(spec: JsValue) -> Result<String, Fail> {
    config::default_key(&opts(&spec, "key spec")?)
}

/// A default-mode key from positional arguments (the hot path of `wrap`).
#[wasm_bindgen(js_name = defaultKeyOf)]
pub fn default_key_of(namespace: JsValue, function: JsValue, args: JsValue, integrity: bool) -> Result<String, Fail> {
    config::default_key_of(&crate::value::WasmHost::new(), &namespace, &function, &args, integrity)
}

/// Wraps StandardSerializer bytes in a ByteStorage envelope.
#[wasm_bindgen(js_name = envelopeStore)]
pub fn envelope_store(bytes: JsValue) -> Res {
    bytes_js(&envelope::store(&bytes_arg(&bytes, "bytes")?)?)
}

/// Opens a ByteStorage envelope.
#[wasm_bindgen(js_name = envelopeRetrieve)]
pub fn envelope_retrieve(bytes: JsValue) -> Res {
    bytes_js(&envelope::retrieve(&bytes_arg(&bytes, "bytes")?)?)
}

/// Parses an envelope without decompressing.
#[wasm_bindgen(js_name = envelopeParse)]
pub fn envelope_parse(bytes: JsValue) -> Res {
    let e = envelope::parse(&bytes_arg(&bytes, "bytes")?)?;
    let o = Out::new();
    o.num("compressedSize", e.compressed.len() as f64);
    o.num("originalSize", e.original_size as f64);
    o.str("checksum", &format!("{:016x}", e.checksum));
    o.str("format", &e.format);
    o.str(
        "encoding",
        match e.encoding {
            DataEncoding::Bin => "bin",
            DataEncoding::IntArray => "int-array",
        },
    );
    Ok(o.into_js())
}

fn mode_arg(v: &JsValue) -> R<Mode> {
    mode_from(&string_arg(v, "mode")?)
}

/// Encodes a plaintext entry.
#[wasm_bindgen(js_name = entryEncode)]
pub fn entry_encode(value: JsValue, mode: JsValue, key: JsValue) -> Res {
    let v = to_core(&value)?;
    let key = string_arg(&key, "key")?;
    let opts = EntryOptions::new(mode_arg(&mode)?, &key);
    bytes_js(&entry::encode(&v, &opts)?)
}

/// Decodes a plaintext entry.
#[wasm_bindgen(js_name = entryDecode)]
pub fn entry_decode(bytes: JsValue, mode: JsValue, key: JsValue, exact: JsValue) -> Res {
    let key = string_arg(&key, "key")?;
    let opts = EntryOptions::new(mode_arg(&mode)?, &key);
    let v = entry::decode(&bytes_arg(&bytes, "bytes")?, &opts)?;
    value_out(&v, &exact)
}

/// The AAD v0x03 bytes: `{tenant, cacheKey, format, compressed, originalType?}`.
#[wasm_bindgen]
pub fn aad(spec: JsValue) -> Res {
    bytes_js(&config::aad(&opts(&spec, "aad spec")?)?)
}

/// HKDF salt for `domain` and `tenant`.
#[wasm_bindgen(js_name = deriveSalt)]
pub fn derive_salt(domain: JsValue, tenant: JsValue) -> Res {
    let d = string_arg(&domain, "domain")?;
    let t = string_arg(&tenant, "tenant")?;
    bytes_js(&derive::salt(&d, &t)?)
}

/// HKDF-SHA256 of a master key for `domain` and `tenant`.
#[wasm_bindgen(js_name = deriveKey)]
pub fn derive_key(master: JsValue, domain: JsValue, tenant: JsValue) -> Res {
    let m = master_key(&master)?;
    let d = string_arg(&domain, "domain")?;
    let t = string_arg(&tenant, "tenant")?;
    let k = derive::derive_key(&m, &d, &t)?;
    bytes_js(k.as_ref())
}

/// The 16-byte fingerprint of a 32-byte derived key.
#[wasm_bindgen(js_name = keyFingerprint)]
pub fn key_fingerprint(key: JsValue) -> Res {
    let k = bytes_arg(&key, "key")?;
    let Ok(arr) = <[u8; 32]>::try_from(k.as_slice()) else {
        return ck(ErrorKind::InvalidArgument, "a derived key is 32 bytes");
    };
    bytes_js(&derive::fingerprint(&arr))
}

/// Validates a master key; throws `invalid_master_key`.
#[wasm_bindgen(js_name = checkMasterKey)]
pub fn check_master_key(key: JsValue) -> Result<(), Fail> {
    master_key(&key)?;
    Ok(())
}

/// True when bytes start with cachekit-py's `CK` magic.
#[wasm_bindgen(js_name = isPythonFrame)]
pub fn is_python_frame(bytes: JsValue) -> Result<bool, Fail> {
    Ok(python_frame::is_frame(&bytes_arg(&bytes, "bytes")?))
}

/// Parses a cachekit-py `CK` frame for display.
#[wasm_bindgen(js_name = inspectPythonFrame)]
pub fn inspect_python_frame(bytes: JsValue, strict: Option<bool>) -> Res {
    let b = bytes_arg(&bytes, "bytes")?;
    let r = if strict.unwrap_or(false) { python_frame::validate(&b) } else { python_frame::parse(&b) };
    let o = Out::new();
    match r {
        Ok(f) => {
            o.bool("ok", true);
            o.str("headerJson", f.header_json);
            match &f.serializer {
                Some(s) => o.str("serializer", s),
                None => o.val("serializer", &JsValue::NULL),
            }
            o.bytes("payload", f.payload)?;
        }
        Err(r) => {
            o.bool("ok", false);
            o.str("rejectedBy", r.name());
        }
    }
    Ok(o.into_js())
}

/// A keyring: the current master key and up to three decrypt-only keys, for one tenant.
#[wasm_bindgen]
pub struct Keyring {
    ring: CoreKeyring,
    current: TenantKey,
}

#[wasm_bindgen]
impl Keyring {
    #[wasm_bindgen(constructor)]
    pub fn new(master: JsValue, previous: JsValue, tenant: Option<String>) -> Result<Keyring, Fail> {
        let current = master_key(&master)?;
        let prev = config::previous_keys(&crate::value::WasmHost::new(), &previous)?;
        let tenant = tenant.unwrap_or_else(|| cachekit::crypto::DEFAULT_TENANT.to_owned());
        let ring = CoreKeyring::new(&current, &prev, &tenant)?;
        let current = TenantKey::derive(&current, &tenant)?;
        Ok(Keyring { ring, current })
    }

    #[wasm_bindgen(js_name = fromHex)]
    pub fn from_hex(current: String, previous_csv: String, tenant: String) -> Result<Keyring, Fail> {
        let ring = CoreKeyring::from_hex(&current, &previous_csv, &tenant)?;
        let key = TenantKey::derive(&MasterKey::from_hex(&current)?, &tenant)?;
        Ok(Keyring { ring, current: key })
    }

    #[wasm_bindgen(getter)]
    pub fn tenant(&self) -> String {
        self.ring.tenant().to_owned()
    }

    pub fn fingerprint(&self) -> Res {
        bytes_js(&self.ring.fingerprint())
    }

    pub fn encrypt(&self, aad: JsValue, plaintext: JsValue) -> Res {
        bytes_js(&self.ring.encrypt(&bytes_arg(&aad, "aad")?, &bytes_arg(&plaintext, "plaintext")?)?)
    }

    #[wasm_bindgen(js_name = sealWithNonce)]
    pub fn seal_with_nonce(&self, nonce: JsValue, aad: JsValue, plaintext: JsValue) -> Res {
        let n = bytes_arg(&nonce, "nonce")?;
        let Ok(n) = <[u8; 12]>::try_from(n.as_slice()) else {
            return ck(ErrorKind::InvalidArgument, "a nonce is 12 bytes");
        };
        bytes_js(&self.current.seal_with_nonce(&n, &bytes_arg(&aad, "aad")?, &bytes_arg(&plaintext, "plaintext")?)?)
    }

    pub fn decrypt(&self, aad: JsValue, stored: JsValue) -> Res {
        bytes_js(&self.ring.decrypt(&bytes_arg(&aad, "aad")?, &bytes_arg(&stored, "stored")?)?)
    }

    #[wasm_bindgen(js_name = entryEncode)]
    pub fn entry_encode(&self, value: JsValue, mode: JsValue, key: JsValue) -> Res {
        let v = to_core(&value)?;
        let key = string_arg(&key, "key")?;
        let opts = EntryOptions::new(mode_arg(&mode)?, &key).encrypted(&self.ring);
        bytes_js(&entry::encode(&v, &opts)?)
    }

    #[wasm_bindgen(js_name = entryDecode)]
    pub fn entry_decode(&self, bytes: JsValue, mode: JsValue, key: JsValue, exact: JsValue) -> Res {
        let key = string_arg(&key, "key")?;
        let opts = EntryOptions::new(mode_arg(&mode)?, &key).encrypted(&self.ring);
        let v = entry::decode(&bytes_arg(&bytes, "bytes")?, &opts)?;
        value_out(&v, &exact)
    }
}
