//! The entry codec: the one entry point that turns a value into the bytes stored in Redis
//! and back (SPEC §1).
//!
//! | mode | write | read |
//! |---|---|---|
//! | default, integrity on | StandardSerializer → envelope → (encrypt) | (decrypt) → envelope → StandardSerializer |
//! | default, integrity off | StandardSerializer → (encrypt) | (decrypt) → StandardSerializer |
//! | interop | canonical value document → (encrypt) | (decrypt) → interop reader |
//!
//! Encryption happens when the options carry a [`Keyring`]; its AAD binds the ciphertext to
//! the tenant and the full stored key (4 components: this core never writes the fifth).
//! The container read after decryption is the one the options name, never sniffed. A value
//! that starts with cachekit-py's `CK` magic is refused with [`ErrorKind::PythonFrame`].

use crate::canonical;
use crate::crypto::{Aad, Keyring, Plaintext};
use crate::envelope;
use crate::error::{ErrorKind, Result, err};
use crate::python_frame;
use crate::serializer;
use crate::value::Value;

/// Default cap on a serialized value, as cachekit-py's `CACHEKIT_MAX_VALUE_SIZE` (100 MiB).
pub const DEFAULT_MAX_VALUE_BYTES: usize = 100 * 1024 * 1024;

/// Which wire form an entry has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Default mode: StandardSerializer, inside an envelope when `integrity` is on.
    Default {
        /// Wrap the payload in a ByteStorage envelope (LZ4 + xxh3).
        integrity: bool,
    },
    /// Interop/v1: one canonical MessagePack document, shared with every SDK.
    Interop,
}

impl Mode {
    /// The mode's name in every binding's API: `default`, `default-no-integrity` or `interop`.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Default { integrity: true } => "default",
            Mode::Default { integrity: false } => "default-no-integrity",
            Mode::Interop => "interop",
        }
    }

    /// The mode a [`Mode::name`] names; anything else is `invalid_argument`.
    pub fn from_name(name: &str) -> Result<Mode> {
        match name {
            "default" => Ok(Mode::Default { integrity: true }),
            "default-no-integrity" => Ok(Mode::Default { integrity: false }),
            "interop" => Ok(Mode::Interop),
            other => err(
                ErrorKind::InvalidArgument,
                format!("unknown mode {other:?}: expected default, default-no-integrity or interop"),
            ),
        }
    }
}

/// Everything besides the value that decides an entry's bytes.
#[derive(Clone, Copy, Debug)]
pub struct EntryOptions<'a> {
    /// The wire form.
    pub mode: Mode,
    /// The full key the entry is stored under (bound into the AAD when encrypting).
    pub cache_key: &'a str,
    /// Encrypt/decrypt with this keyring; `None` stores plaintext.
    pub keyring: Option<&'a Keyring>,
    /// Largest serialized value accepted on write.
    pub max_value_bytes: usize,
}

impl<'a> EntryOptions<'a> {
    /// Plaintext options for `mode` and `cache_key`, with the default size cap.
    pub fn new(mode: Mode, cache_key: &'a str) -> EntryOptions<'a> {
        EntryOptions { mode, cache_key, keyring: None, max_value_bytes: DEFAULT_MAX_VALUE_BYTES }
    }

    /// The same options, encrypting with `keyring`.
    pub fn encrypted(self, keyring: &'a Keyring) -> EntryOptions<'a> {
        EntryOptions { keyring: Some(keyring), ..self }
    }

    /// True when the plaintext container is a ByteStorage envelope.
    fn enveloped(&self) -> bool {
        self.mode == Mode::Default { integrity: true }
    }

    /// The AAD for this entry under `keyring`.
    pub fn aad(&self, keyring: &Keyring) -> Vec<u8> {
        Aad {
            tenant: keyring.tenant(),
            cache_key: self.cache_key,
            format: envelope::FORMAT_MSGPACK,
            compressed: self.enveloped(),
            original_type: None,
        }
        .to_bytes()
    }
}

/// Serializes `value` into the bytes to store.
pub fn encode(value: &Value, opts: &EntryOptions<'_>) -> Result<Vec<u8>> {
    let payload = match opts.mode {
        Mode::Default { .. } => serializer::encode(value)?,
        Mode::Interop => canonical::encode_value(value)?,
    };
    wrap(&payload, opts)
}

/// Reads stored bytes back into a value. Every failure is typed; on a cache read path,
/// errors whose kind [`is_read_miss`](ErrorKind::is_read_miss) are misses.
pub fn decode(stored: &[u8], opts: &EntryOptions<'_>) -> Result<Value> {
    read_payload(&unwrap(stored, opts)?, opts.mode)
}

/// What [`decode_js`] reads: the value's JSON text, or the value where JSON cannot say it.
#[derive(Clone, Debug, PartialEq)]
pub enum JsDecoded {
    /// The value as JSON text ([`crate::js_json`]).
    Json(String),
    /// A value JSON cannot say exactly.
    Value(Value),
}

/// [`decode`] for the JavaScript bindings: the value's JSON text, written straight from the
/// payload without building the value ([`crate::js_json::from_msgpack`]), when JSON says it
/// exactly; else the value. Fails exactly as [`decode`] does.
pub fn decode_js(stored: &[u8], opts: &EntryOptions<'_>) -> Result<JsDecoded> {
    let payload = unwrap(stored, opts)?;
    // A payload the transcoder declines (a cachekit-py frame among them: trailing bytes after
    // its first byte) is read the ordinary way, which gives the exact error.
    match crate::js_json::from_msgpack(&payload) {
        Some(json) => Ok(JsDecoded::Json(json)),
        None => read_payload(&payload, opts.mode).map(JsDecoded::Value),
    }
}

fn read_payload(payload: &[u8], mode: Mode) -> Result<Value> {
    match mode {
        Mode::Default { .. } => serializer::decode(payload),
        Mode::Interop => canonical::decode_value(payload),
    }
}

/// Wraps an already-serialized payload (StandardSerializer or canonical bytes): envelope
/// when integrity is on, then encryption when a keyring is given.
pub fn wrap(payload: &[u8], opts: &EntryOptions<'_>) -> Result<Vec<u8>> {
    if payload.len() > opts.max_value_bytes {
        return err(
            ErrorKind::ValueTooLarge,
            format!("serialized value of {} bytes exceeds the {} byte cap", payload.len(), opts.max_value_bytes),
        );
    }
    let plain = if opts.enveloped() { envelope::store(payload)? } else { payload.to_vec() };
    match opts.keyring {
        Some(k) => k.encrypt(&opts.aad(k), &plain),
        None => Ok(plain),
    }
}

/// Undoes [`wrap`]: decrypts (when a keyring is given) and opens the envelope (when
/// integrity is on), returning the serialized payload without decoding it. Decrypted
/// bytes are zeroized when the returned buffer drops.
pub fn unwrap(stored: &[u8], opts: &EntryOptions<'_>) -> Result<Plaintext> {
    let plain: Plaintext = match opts.keyring {
        Some(k) => match k.decrypt(&opts.aad(k), stored) {
            Ok(p) => p,
            Err(_) if python_frame::is_frame(stored) => return Err(python_frame::frame_error()),
            Err(e) => return Err(e),
        },
        None => {
            python_frame::refuse_frame(stored)?;
            if opts.enveloped() {
                // Nothing secret to wipe: open the envelope straight from the stored bytes.
                return envelope::retrieve(stored).map(Plaintext::from);
            }
            Plaintext::from(stored.to_vec())
        }
    };
    if opts.enveloped() { envelope::retrieve(&plain).map(Plaintext::from) } else { Ok(plain) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::MasterKey;

    fn sample() -> Value {
        Value::map([("user_id", 42i64.into()), ("name", "cachekit".into()), ("tags", Value::Array(vec!["a".into()]))])
    }

    fn keyring() -> Keyring {
        Keyring::new(&MasterKey::from_bytes(&[7; 32]).unwrap(), &[], "default").unwrap()
    }

    #[test]
    fn mode_names_round_trip() {
        for m in [Mode::Default { integrity: true }, Mode::Default { integrity: false }, Mode::Interop] {
            assert_eq!(Mode::from_name(m.name()).unwrap(), m);
        }
        assert_eq!(Mode::from_name("Default").unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    /// Every mode, plain and encrypted with `k`.
    fn every_form(k: &Keyring) -> Vec<EntryOptions<'_>> {
        let modes = [Mode::Default { integrity: true }, Mode::Default { integrity: false }, Mode::Interop];
        let plain = modes.map(|m| EntryOptions::new(m, "users:get:abc"));
        plain.into_iter().chain(plain.map(|o| o.encrypted(k))).collect()
    }

    #[test]
    fn every_mode_round_trips_plain_and_encrypted() {
        let k = keyring();
        for o in every_form(&k) {
            let bytes = encode(&sample(), &o).unwrap();
            let back = decode(&bytes, &o).unwrap();
            match o.mode {
                // Interop sorts keys.
                Mode::Interop => {
                    assert_eq!(canonical::encode_value(&back).unwrap(), canonical::encode_value(&sample()).unwrap())
                }
                _ => assert_eq!(back, sample()),
            }
        }
    }

    #[test]
    fn decode_js_gives_the_json_of_what_decode_gives_and_the_same_errors() {
        let k = keyring();
        let odd = Value::map([("at", Value::Bytes(vec![1]))]);
        for o in every_form(&k) {
            let (mode, enc) = (o.mode, o.keyring.is_some());
            let bytes = encode(&sample(), &o).unwrap();
            let json = decode(&bytes, &o).unwrap().js_json().unwrap();
            assert_eq!(decode_js(&bytes, &o).unwrap(), JsDecoded::Json(json), "{mode:?} {enc}");
            if mode != Mode::Interop {
                let bytes = encode(&odd, &o).unwrap();
                assert_eq!(decode_js(&bytes, &o).unwrap(), JsDecoded::Value(odd.clone()));
            }
            // The wrong key (AAD), or for plain entries bytes cut short: the same error.
            let moved = EntryOptions { cache_key: "other", ..o };
            let cut = &bytes[..bytes.len() - 3];
            let kind = |r: Result<()>| r.unwrap_err().kind();
            let (opts, bad) = if enc { (&moved, &bytes[..]) } else { (&o, cut) };
            assert_eq!(kind(decode_js(bad, opts).map(drop)), kind(decode(bad, opts).map(drop)), "{mode:?} {enc}");
        }
        let frame = b"CK\x03\x00\x00\x00\x00rest";
        let o = EntryOptions::new(Mode::Interop, "k");
        assert_eq!(decode_js(frame, &o).unwrap_err().kind(), ErrorKind::PythonFrame);
        assert_eq!(decode(frame, &o).unwrap_err().kind(), ErrorKind::PythonFrame);
    }

    #[test]
    fn aad_binds_the_key_and_the_container() {
        let k = keyring();
        let o = EntryOptions::new(Mode::Default { integrity: true }, "k1").encrypted(&k);
        let bytes = encode(&sample(), &o).unwrap();
        let moved = EntryOptions { cache_key: "k2", ..o };
        assert_eq!(decode(&bytes, &moved).unwrap_err().kind(), ErrorKind::DecryptionFailed);
        let other_container = EntryOptions { mode: Mode::Default { integrity: false }, ..o };
        assert_eq!(decode(&bytes, &other_container).unwrap_err().kind(), ErrorKind::DecryptionFailed);
    }

    #[test]
    fn python_frames_are_refused_in_every_mode() {
        let frame = b"CK\x03\x00\x00\x00\x02{}payload";
        let k = keyring();
        for mode in [Mode::Default { integrity: true }, Mode::Interop] {
            let o = EntryOptions::new(mode, "k");
            assert_eq!(decode(frame, &o).unwrap_err().kind(), ErrorKind::PythonFrame);
            assert_eq!(decode(frame, &o.encrypted(&k)).unwrap_err().kind(), ErrorKind::PythonFrame);
        }
    }

    #[test]
    fn size_cap_applies_on_write() {
        let o = EntryOptions { max_value_bytes: 8, ..EntryOptions::new(Mode::Interop, "k") };
        assert_eq!(encode(&Value::Str("x".repeat(20)), &o).unwrap_err().kind(), ErrorKind::ValueTooLarge);
    }
}
