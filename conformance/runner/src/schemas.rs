//! One function per vector schema (VECTORS.md). Each checks every vector of every section
//! it knows through the core's public API and fails sections it does not know.

use cachekit::crypto::{Aad, DEFAULT_TENANT, Keyring, MasterKey, TenantKey, derive};
use cachekit::entry::{self, EntryOptions, Mode};
use cachekit::keys::{self, DefaultKey};
use cachekit::temporal::{Date, DateTime, Time};
use cachekit::{ErrorKind, Value, canonical, envelope, python_frame, serializer};
use serde_json::Value as Json;

use crate::{Check, Report};
use cachekit_conformance::tagged::{hex, same, unhex, value};

fn field<'a>(v: &'a Json, k: &str) -> Result<&'a Json, String> {
    v.get(k).ok_or_else(|| format!("vector has no {k:?}"))
}
fn s<'a>(v: &'a Json, k: &str) -> Result<&'a str, String> {
    field(v, k)?.as_str().ok_or_else(|| format!("{k:?} is not a string"))
}
fn hx(v: &Json, k: &str) -> Result<Vec<u8>, String> {
    unhex(s(v, k)?)
}
fn b(v: &Json, k: &str) -> Result<bool, String> {
    field(v, k)?.as_bool().ok_or_else(|| format!("{k:?} is not a bool"))
}
fn name(v: &Json) -> String {
    v.get("name").and_then(Json::as_str).unwrap_or("?").to_owned()
}
fn list<'a>(doc: &'a Json, k: &str) -> &'a [Json] {
    doc.get(k).and_then(Json::as_array).map(Vec::as_slice).unwrap_or(&[])
}
fn eq_hex(what: &str, got: &[u8], want: &[u8]) -> Check {
    if got == want { Ok(()) } else { Err(format!("{what}: got {}, want {}", hex(got), hex(want))) }
}
fn eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Check {
    if got == want { Ok(()) } else { Err(format!("{what}: got {got:?}, want {want:?}")) }
}
fn same_value(what: &str, got: &Value, want: &Value) -> Check {
    if same(got, want) { Ok(()) } else { Err(format!("{what}: got {got:?}, want {want:?}")) }
}
fn fails<T: std::fmt::Debug>(what: &str, r: cachekit::Result<T>, kinds: &[ErrorKind]) -> Check {
    match r {
        Ok(v) => Err(format!("{what}: accepted ({v:?}), must fail")),
        Err(e) if kinds.is_empty() || kinds.contains(&e.kind()) => Ok(()),
        Err(e) => Err(format!("{what}: failed with {e}, want one of {kinds:?}")),
    }
}
fn ok<T>(what: &str, r: cachekit::Result<T>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

/// Runs each vector of `section` through `f`.
fn each(doc: &Json, section: &str, report: &mut Report, mut f: impl FnMut(&Json) -> Check) {
    for v in list(doc, section) {
        let outcome = f(v);
        report.check(section, &name(v), outcome);
    }
}

/// Fails top-level keys that hold vectors but that this schema does not know.
fn unknown_sections(doc: &Json, known: &[&str], report: &mut Report) {
    if let Json::Object(o) = doc {
        for (k, v) in o {
            let holds_vectors = matches!(v, Json::Array(a) if a.iter().any(Json::is_object))
                || matches!(v, Json::Object(m) if m.values().any(|x| x.is_array()));
            if holds_vectors && !known.contains(&k.as_str()) {
                report.unknown_section(k, v);
            }
        }
    }
}

/// Dispatches a file to its schema.
pub fn run(schema: &str, doc: &Json, report: &mut Report) -> Result<(), String> {
    let known: &[&str] = match schema {
        "wire-format" => {
            wire_format(doc, report);
            &[
                "vectors",
                "constructed_vectors",
                "reject_vectors",
                "payload_reject_vectors",
                "temporal_sentinel_vectors",
                "limits",
            ]
        }
        "decode-bounds" => {
            decode_bounds(doc, report);
            &["reject_vectors", "accept_vectors"]
        }
        "interop-mode" => {
            interop_mode(doc, report);
            &[
                "key_vectors",
                "error_vectors",
                "value_vectors",
                "value_error_vectors",
                "reader_accept_vectors",
                "reader_reject_vectors",
                "aad_vectors",
                "encryption_vectors",
                "tagged_json",
            ]
        }
        "encryption" => {
            encryption(doc, report);
            &["vectors", "aad_reject_vectors", "keyring", "decrypted_container", "default_tenant", "master_key_input"]
        }
        "cache-keys" => {
            cache_keys(doc, report);
            &["vectors", "error_vectors", "serializer_object_vectors"]
        }
        "python-frame" => {
            python_frame_schema(doc, report);
            &["frame_vectors", "error_vectors", "encrypted_read_vectors", "encrypted_reader"]
        }
        "standard-serializer" => {
            standard_serializer(doc, report);
            &["vectors", "reader_vectors", "error_vectors"]
        }
        "key-derivation" => {
            key_derivation(doc, report);
            &["vectors"]
        }
        other => return Err(format!("unknown schema {other:?}")),
    };
    unknown_sections(doc, known, report);
    Ok(())
}

// ---------------------------------------------------------------- wire-format

fn construct(parts: &Json) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for p in parts.as_array().ok_or("construction is not a list")? {
        let chunk = hx(p, "hex")?;
        let count = field(p, "count")?.as_u64().ok_or("count is not an integer")?;
        for _ in 0..count {
            out.extend_from_slice(&chunk);
        }
    }
    Ok(out)
}

/// Every entry point that reads an untrusted default-mode envelope and its payload.
fn read_default(envelope_bytes: &[u8]) -> cachekit::Result<Value> {
    entry::decode(envelope_bytes, &EntryOptions::new(Mode::Default { integrity: true }, "k"))
}

fn wire_format(doc: &Json, report: &mut Report) {
    each(doc, "vectors", report, |v| {
        let env = hx(v, "envelope_hex")?;
        let input = hx(v, "input_hex")?;
        eq_hex("retrieve", &ok("retrieve", envelope::retrieve(&env))?, &input)?;
        if v.get("envelope_encoding").and_then(Json::as_str) == Some("bin") {
            eq_hex("store", &ok("store", envelope::store(&input))?, &env)?;
        }
        Ok(())
    });
    each(doc, "constructed_vectors", report, |v| {
        let env = construct(field(v, "envelope_construction")?)?;
        let input = construct(field(v, "input_construction")?)?;
        eq("envelope_size", env.len() as u64, field(v, "envelope_size")?.as_u64().unwrap_or(0))?;
        let parsed = ok("parse", envelope::parse(&env))?;
        eq("compressed_size", parsed.compressed.len() as u64, field(v, "compressed_size")?.as_u64().unwrap_or(0))?;
        eq("original_size", parsed.original_size, field(v, "original_size")?.as_u64().unwrap_or(0))?;
        eq("checksum", format!("{:016x}", parsed.checksum), s(v, "checksum_hex")?.to_owned())?;
        let want_enc = if s(v, "envelope_encoding")? == "bin" {
            envelope::DataEncoding::Bin
        } else {
            envelope::DataEncoding::IntArray
        };
        eq("encoding", parsed.encoding, want_enc)?;
        let out = ok("retrieve", parsed.open())?;
        if out != input {
            return Err("retrieve: output differs from input_construction".into());
        }
        Ok(())
    });
    each(doc, "reject_vectors", report, |v| {
        let env = hx(v, "envelope_hex")?;
        let step = field(v, "reject_step")?.as_u64().unwrap_or(0);
        use ErrorKind::*;
        let kinds: &[ErrorKind] = match (step, v.get("reject_check").and_then(Json::as_str)) {
            (2, Some("decode_bounds")) => &[DecodeBounds],
            (2, Some("trailing_bytes")) => &[TrailingBytes],
            (2, _) => &[EnvelopeStructure],
            (1 | 3 | 4, _) => &[EnvelopeSizeLimit],
            (5, _) => &[DecompressionBomb],
            (6, _) => &[DecompressionFailed],
            _ => &[ChecksumMismatch, DecompressionFailed],
        };
        fails("retrieve", envelope::retrieve(&env), kinds)?;
        fails("entry read", read_default(&env), kinds)
    });
    each(doc, "payload_reject_vectors", report, |v| {
        let env = hx(v, "envelope_hex")?;
        eq_hex("retrieve", &ok("retrieve", envelope::retrieve(&env))?, &hx(v, "input_hex")?)?;
        fails("entry read", read_default(&env), &[ErrorKind::DecodeBounds])
    });
    each(doc, "temporal_sentinel_vectors", report, |v| {
        let payload = hx(v, "payload_hex")?;
        let r = field(v, "revives_to")?;
        let iso = s(r, "iso")?;
        let want = match s(r, "type")? {
            "datetime" => Value::DateTime(ok("parse", DateTime::parse(iso))?),
            "date" => Value::Date(ok("parse", Date::parse(iso))?),
            "time" => Value::Time(ok("parse", Time::parse(iso))?),
            t => return Err(format!("unknown temporal type {t}")),
        };
        same_value("standard read", &ok("decode", serializer::decode(&payload))?, &want)?;
        same_value("interop read", &ok("decode", canonical::decode_value(&payload))?, &want)?;
        // And the writer produces exactly these bytes.
        eq_hex("standard write", &ok("encode", serializer::encode(&want))?, &payload)
    });
}

// ---------------------------------------------------------------- decode-bounds

fn decode_bounds(doc: &Json, report: &mut Report) {
    each(doc, "reject_vectors", report, |v| {
        let input = hx(v, "input_hex")?;
        let k = &[ErrorKind::DecodeBounds];
        fails("standard read", serializer::decode(&input), k)?;
        fails("interop read", canonical::decode_value(&input), k)?;
        fails("envelope read", envelope::retrieve(&input), k)?;
        for mode in [Mode::Default { integrity: true }, Mode::Default { integrity: false }, Mode::Interop] {
            fails(&format!("entry read {mode:?}"), entry::decode(&input, &EntryOptions::new(mode, "k")), k)?;
        }
        Ok(())
    });
    each(doc, "accept_vectors", report, |v| {
        let input = hx(v, "input_hex")?;
        ok("standard read", serializer::decode(&input))?;
        ok("interop read", canonical::decode_value(&input))?;
        Ok(())
    });
}

// ---------------------------------------------------------------- interop-mode

fn args(v: &Json) -> Result<Vec<Value>, String> {
    match value(field(v, "args")?)? {
        Value::Array(a) => Ok(a),
        other => Err(format!("args is not a list: {other:?}")),
    }
}

fn interop_mode(doc: &Json, report: &mut Report) {
    each(doc, "key_vectors", report, |v| {
        let a = args(v)?;
        eq_hex("canonical args", &ok("encode_args", canonical::encode_args(&a))?, &hx(v, "canonical_args_hex")?)?;
        eq("args_hash", ok("hash", keys::interop_args_hash(&a))?.as_str(), s(v, "args_hash")?)?;
        eq(
            "key",
            ok("key", keys::interop_key(s(v, "namespace")?, s(v, "operation")?, &a))?.as_str(),
            s(v, "expected_key")?,
        )
    });
    each(doc, "error_vectors", report, |v| {
        let a = args(v)?;
        match (v.get("namespace").and_then(Json::as_str), v.get("operation").and_then(Json::as_str)) {
            (Some(ns), Some(op)) => fails("key", keys::interop_key(ns, op, &a), &[]),
            _ => fails("encode_args", canonical::encode_args(&a), &[]),
        }
    });
    each(doc, "value_vectors", report, |v| {
        let val = value(field(v, "value")?)?;
        let want = hx(v, "canonical_msgpack_hex")?;
        eq_hex("canonical value", &ok("encode_value", canonical::encode_value(&val))?, &want)?;
        // Reading it back and re-encoding is stable.
        let back = ok("decode_value", canonical::decode_value(&want))?;
        eq_hex("re-encoded", &ok("encode_value", canonical::encode_value(&back))?, &want)
    });
    each(doc, "value_error_vectors", report, |v| {
        fails("encode_value", canonical::encode_value(&value(field(v, "value")?)?), &[])
    });
    each(doc, "reader_accept_vectors", report, |v| {
        let got = ok("decode_value", canonical::decode_value(&hx(v, "input_hex")?))?;
        match v.get("value") {
            Some(want) => same_value("value", &got, &value(want)?),
            None => Ok(()),
        }
    });
    each(doc, "reader_reject_vectors", report, |v| {
        fails("decode_value", canonical::decode_value(&hx(v, "input_hex")?), &[])
    });
    each(doc, "aad_vectors", report, |v| {
        let aad = Aad {
            tenant: s(v, "tenant_id")?,
            cache_key: s(v, "cache_key")?,
            format: s(v, "format")?,
            compressed: b(v, "compressed")?,
            original_type: None,
        };
        eq_hex("aad", &aad.to_bytes(), &hx(v, "aad_hex")?)
    });
    each(doc, "encryption_vectors", report, |v| {
        let key = tenant_key(s(v, "master_key_hex")?, s(v, "tenant_id")?)?;
        eq("fingerprint", hex(&key.fingerprint()), s(v, "derived_key_fingerprint_hex")?.to_owned())?;
        let aad = Aad {
            tenant: s(v, "tenant_id")?,
            cache_key: s(v, "cache_key")?,
            format: s(v, "format")?,
            compressed: b(v, "compressed")?,
            original_type: None,
        }
        .to_bytes();
        eq_hex("aad", &aad, &hx(v, "aad_hex")?)?;
        seal_and_open(&key, &aad, &hx(v, "plaintext_hex")?, &hx(v, "ciphertext_hex")?)
    });
}

// ---------------------------------------------------------------- encryption

fn tenant_key(master_hex: &str, tenant: &str) -> Result<TenantKey, String> {
    let m = ok("master key", MasterKey::from_hex(master_hex))?;
    ok("derive", TenantKey::derive(&m, tenant))
}

fn seal_and_open(key: &TenantKey, aad: &[u8], plaintext: &[u8], ciphertext: &[u8]) -> Check {
    eq_hex("open", &ok("open", key.open(aad, ciphertext))?, plaintext)?;
    let nonce: [u8; 12] =
        ciphertext.get(..12).and_then(|n| n.try_into().ok()).ok_or("ciphertext shorter than a nonce")?;
    eq_hex("seal", &ok("seal", key.seal_with_nonce(&nonce, aad, plaintext))?, ciphertext)
}

fn aad_of(v: &Json, tenant: &str) -> Result<Vec<u8>, String> {
    Ok(Aad {
        tenant,
        cache_key: s(v, "cache_key")?,
        format: s(v, "format")?,
        compressed: b(v, "compressed")?,
        original_type: v.get("original_type").and_then(Json::as_str),
    }
    .to_bytes())
}

fn encryption(doc: &Json, report: &mut Report) {
    let (top_key, top_tenant) = match (s(doc, "master_key_hex"), s(doc, "tenant_id")) {
        (Ok(k), Ok(t)) => (k, t),
        _ => {
            report.check("file", "*", Err("no top-level master_key_hex/tenant_id".into()));
            return;
        }
    };
    if let Ok(fp) = s(doc, "derived_key_fingerprint_hex") {
        let r = tenant_key(top_key, top_tenant).and_then(|k| eq("fingerprint", hex(&k.fingerprint()), fp.to_owned()));
        report.check("top", "derived_key_fingerprint", r);
    }
    each(doc, "vectors", report, |v| {
        let tenant = v.get("tenant_id").and_then(Json::as_str).unwrap_or(top_tenant);
        let key = tenant_key(v.get("master_key_hex").and_then(Json::as_str).unwrap_or(top_key), tenant)?;
        let aad = aad_of(v, tenant)?;
        eq_hex("aad", &aad, &hx(v, "aad_hex")?)?;
        seal_and_open(&key, &aad, &hx(v, "plaintext_hex")?, &hx(v, "ciphertext_hex")?)
    });
    each(doc, "aad_reject_vectors", report, |v| {
        let key = tenant_key(top_key, top_tenant)?;
        let aad = aad_of(v, top_tenant)?;
        eq_hex("aad", &aad, &hx(v, "aad_hex")?)?;
        fails("open", key.open(&aad, &hx(v, "ciphertext_hex")?), &[ErrorKind::DecryptionFailed])
    });
    if let Some(kr) = doc.get("keyring") {
        keyring(kr, report);
    }
    if let Some(dc) = doc.get("decrypted_container") {
        for v in list(dc, "vectors") {
            let mode = match v.get("reader").and_then(Json::as_str) {
                Some("plain_msgpack") => Mode::Default { integrity: false },
                Some("bytestorage_envelope") => Mode::Default { integrity: true },
                Some("interop") => Mode::Interop,
                // arrow_checksummed / orjson_checksummed: Python-only readers, out of scope.
                _ => {
                    report.skip();
                    continue;
                }
            };
            let outcome = decrypted_container(v, mode, top_key, top_tenant);
            report.check("decrypted_container", &name(v), outcome);
        }
    }
    if let Some(dt) = doc.get("default_tenant") {
        let fp = s(dt, "derived_key_fingerprint_hex").map(str::to_owned);
        let r = tenant_key(top_key, DEFAULT_TENANT).and_then(|k| eq("fingerprint", hex(&k.fingerprint()), fp?));
        report.check("default_tenant", "derived_key_fingerprint", r);
        each(dt, "vectors", report, |v| {
            let key = tenant_key(top_key, DEFAULT_TENANT)?;
            let aad = aad_of(v, DEFAULT_TENANT)?;
            eq_hex("aad", &aad, &hx(v, "aad_hex")?)?;
            seal_and_open(&key, &aad, &hx(v, "plaintext_hex")?, &hx(v, "ciphertext_hex")?)
        });
    }
    if let Some(mk) = doc.get("master_key_input") {
        let tenant = s(mk, "tenant_id").unwrap_or(DEFAULT_TENANT);
        each(mk, "accept_vectors", report, |v| {
            let key = tenant_key(s(v, "master_key_hex")?, tenant)?;
            eq("fingerprint", hex(&key.fingerprint()), s(v, "derived_key_fingerprint_hex")?.to_owned())?;
            let aad = aad_of(v, tenant)?;
            eq_hex("aad", &aad, &hx(v, "aad_hex")?)?;
            seal_and_open(&key, &aad, &hx(v, "plaintext_hex")?, &hx(v, "ciphertext_hex")?)
        });
        each(mk, "reject_vectors", report, |v| {
            fails("from_hex", MasterKey::from_hex(s(v, "master_key_hex")?), &[ErrorKind::InvalidMasterKey])
        });
        each(mk, "raw_reject_vectors", report, |v| {
            fails("from_bytes", MasterKey::from_bytes(&hx(v, "raw_key_hex")?), &[ErrorKind::InvalidMasterKey])
        });
    }
}

/// A `decrypted_container` row: open succeeds, then the reader configured as `mode` gives
/// the row's `outcome`.
fn decrypted_container(v: &Json, mode: Mode, top_key: &str, top_tenant: &str) -> Check {
    let key = tenant_key(top_key, top_tenant)?;
    let aad = aad_of(v, top_tenant)?;
    eq_hex("aad", &aad, &hx(v, "aad_hex")?)?;
    let ct = hx(v, "ciphertext_hex")?;
    eq_hex("open", &ok("open", key.open(&aad, &ct))?, &hx(v, "plaintext_hex")?)?;
    let ring = ok("keyring", Keyring::new(&ok("key", MasterKey::from_hex(top_key))?, &[], top_tenant))?;
    let got = entry::decode(&ct, &EntryOptions::new(mode, s(v, "cache_key")?).encrypted(&ring));
    match s(v, "outcome")? {
        "error" => fails("read", got, &[]),
        // The reader gets the envelope array itself, not the value inside it.
        "not_unwrapped" => match ok("read", got)? {
            Value::Array(a) if a.len() == 4 && matches!(a[0], Value::Bytes(_)) => Ok(()),
            other => Err(format!("read: got {other:?}, want the raw 4-element envelope")),
        },
        o => Err(format!("unknown outcome {o}")),
    }
}

fn keyring(kr: &Json, report: &mut Report) {
    let tenant = s(kr, "tenant_id").unwrap_or(DEFAULT_TENANT);
    let entries: Vec<(String, String, String)> = list(kr, "entries")
        .iter()
        .filter_map(|e| {
            Some((
                s(e, "id").ok()?.to_owned(),
                s(e, "master_key_hex").ok()?.to_owned(),
                s(e, "derived_key_fingerprint_hex").ok()?.to_owned(),
            ))
        })
        .collect();
    each(kr, "entries", report, |e| {
        eq(
            "fingerprint",
            hex(&tenant_key(s(e, "master_key_hex")?, tenant)?.fingerprint()),
            s(e, "derived_key_fingerprint_hex")?.to_owned(),
        )
    });
    each(kr, "vectors", report, |v| {
        let keys: Vec<MasterKey> = entries
            .iter()
            .map(|(_, k, _)| MasterKey::from_hex(k))
            .collect::<cachekit::Result<_>>()
            .map_err(|e| e.to_string())?;
        let aad = aad_of(v, tenant)?;
        eq_hex("aad", &aad, &hx(v, "aad_hex")?)?;
        let ct = hx(v, "ciphertext_hex")?;
        let want = hx(v, "plaintext_hex")?;
        // Whichever key is current, a keyring holding both opens every entry.
        for i in 0..keys.len() {
            let prev: Vec<MasterKey> =
                keys.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, k)| k.clone()).collect();
            let ring = ok("keyring", Keyring::new(&keys[i], &prev, tenant))?;
            eq_hex(&format!("open (current = key {i})"), &ok("decrypt", ring.decrypt(&aad, &ct))?, &want)?;
        }
        let id = s(v, "encrypted_with")?;
        let fp = entries.iter().find(|(e, _, _)| e == id).map(|(_, _, f)| f.clone()).ok_or("unknown key id")?;
        eq("key fingerprint", fp, s(v, "key_fingerprint_hex")?.to_owned())
    });
    if let Some(cfg) = kr.get("configuration") {
        each(cfg, "vectors", report, |v| {
            let prev: Vec<&str> = field(v, "decrypt_only_master_keys_hex")?
                .as_array()
                .ok_or("not a list")?
                .iter()
                .filter_map(Json::as_str)
                .collect();
            let r = Keyring::from_hex(s(v, "current_master_key_hex")?, &prev.join(","), tenant);
            match s(v, "verdict")? {
                "accept" => ok("load", r).map(|_| ()),
                _ => fails("load", r, &[ErrorKind::InvalidKeyring]),
            }
        });
    }
}

// ---------------------------------------------------------------- cache-keys

fn kwargs(v: &Json) -> Result<Vec<(String, Value)>, String> {
    match field(v, "kwargs")? {
        Json::Object(o) => o.iter().map(|(k, x)| Ok((k.clone(), value(x)?))).collect(),
        other => Err(format!("kwargs is not an object: {other}")),
    }
}

fn default_key(v: &Json, serializer: &str) -> cachekit::Result<String> {
    let function =
        format!("{}.{}", v["function_module"].as_str().unwrap_or(""), v["function_qualname"].as_str().unwrap_or(""));
    let args = args(v).map_err(|e| cachekit::Error::new(ErrorKind::InvalidArgument, e))?;
    let kwargs = kwargs(v).map_err(|e| cachekit::Error::new(ErrorKind::InvalidArgument, e))?;
    DefaultKey {
        namespace: v.get("namespace").and_then(Json::as_str),
        function: &function,
        args: &args,
        kwargs: &kwargs,
        integrity: v.get("integrity_checking").and_then(Json::as_bool).unwrap_or(true),
        serializer,
    }
    .build()
}

fn cache_keys(doc: &Json, report: &mut Report) {
    each(doc, "vectors", report, |v| {
        eq("key", ok("key", default_key(v, s(v, "serializer_type")?))?.as_str(), s(v, "expected_key")?)
    });
    each(doc, "error_vectors", report, |v| match field(v, "serializer_type")? {
        Json::String(id) => fails("key", default_key(v, id), &[]),
        // The Rust API takes `&str`: a non-string identity cannot be passed at all.
        _ => Ok(()),
    });
    for _ in list(doc, "serializer_object_vectors") {
        report.skip(); // Python serializer classes: out of scope.
    }
}

// ---------------------------------------------------------------- python-frame

/// A cache read in every mode refuses the frame with the python-frame error.
fn refused_everywhere(frame: &[u8], keyring: Option<&Keyring>, cache_key: &str) -> Check {
    for mode in [Mode::Default { integrity: true }, Mode::Default { integrity: false }, Mode::Interop] {
        let mut o = EntryOptions::new(mode, cache_key);
        if let Some(k) = keyring {
            o = o.encrypted(k);
        }
        fails(&format!("read {mode:?}"), entry::decode(frame, &o), &[ErrorKind::PythonFrame])?;
    }
    Ok(())
}

fn inspected(frame: &[u8], v: &Json) -> Check {
    let f = python_frame::parse(frame).map_err(|r| format!("inspect: rejected by {}", r.name()))?;
    if let Some(want) = v.get("expected_header") {
        let got: Json = serde_json::from_str(f.header_json).map_err(|e| format!("header JSON: {e}"))?;
        eq("header", &got, want)?;
        if let Some(Json::String(sn)) = want.get("s") {
            eq("serializer", f.serializer.as_deref(), Some(sn.as_str()))?;
        }
    }
    if v.get("expected_payload_hex").is_some() {
        eq_hex("payload", f.payload, &hx(v, "expected_payload_hex")?)?;
    }
    Ok(())
}

fn python_frame_schema(doc: &Json, report: &mut Report) {
    each(doc, "frame_vectors", report, |v| {
        let frame = hx(v, "frame_hex")?;
        refused_everywhere(&frame, None, "k")?;
        inspected(&frame, v)
    });
    each(doc, "error_vectors", report, |v| {
        let frame = hx(v, "frame_hex")?;
        if python_frame::is_frame(&frame) {
            refused_everywhere(&frame, None, "k")?;
        }
        match v.get("rejected_by").and_then(Json::as_str) {
            Some(step) => match python_frame::validate(&frame) {
                Ok(_) => Err(format!("inspect: accepted, want rejected by {step}")),
                Err(r) => eq("rejected_by", r.name(), step),
            },
            None => Ok(()),
        }
    });
    let reader = doc.get("encrypted_reader");
    each(doc, "encrypted_read_vectors", report, |v| {
        let r = reader.ok_or("no encrypted_reader block")?;
        let ring = ok("keyring", Keyring::from_hex(s(r, "master_key_hex")?, "", s(r, "tenant_id")?))?;
        let frame = hx(v, "frame_hex")?;
        eq("outcome", s(v, "outcome")?, "fail_closed")?;
        refused_everywhere(&frame, Some(&ring), s(r, "cache_key")?)?;
        inspected(&frame, v)
    });
}

// ---------------------------------------------------------------- ours

fn standard_serializer(doc: &Json, report: &mut Report) {
    each(doc, "vectors", report, |v| {
        let val = value(field(v, "value")?)?;
        let msgpack = hx(v, "msgpack_hex")?;
        eq_hex("encode", &ok("encode", serializer::encode(&val))?, &msgpack)?;
        let read = serializer::decode(&msgpack);
        match v.get("decodes_to") {
            Some(Json::Null) => fails("decode", read, &[])?,
            Some(want) => same_value("decode", &ok("decode", read)?, &value(want)?)?,
            None => same_value("decode", &ok("decode", read)?, &val)?,
        }
        if let Ok(env) = hx(v, "envelope_hex") {
            eq_hex("envelope store", &ok("store", envelope::store(&msgpack))?, &env)?;
            eq_hex("envelope retrieve", &ok("retrieve", envelope::retrieve(&env))?, &msgpack)?;
        }
        Ok(())
    });
    each(doc, "reader_vectors", report, |v| {
        same_value("decode", &ok("decode", serializer::decode(&hx(v, "input_hex")?))?, &value(field(v, "value")?)?)
    });
    each(doc, "error_vectors", report, |v| fails("encode", serializer::encode(&value(field(v, "value")?)?), &[]));
}

fn key_derivation(doc: &Json, report: &mut Report) {
    each(doc, "vectors", report, |v| {
        let (domain, tenant) = (s(v, "domain")?, s(v, "tenant_id")?);
        eq_hex("salt", &ok("salt", derive::salt(domain, tenant))?, &hx(v, "salt_hex")?)?;
        let m = ok("master key", MasterKey::from_hex(s(v, "master_key_hex")?))?;
        let k = ok("derive", derive::derive_key(&m, domain, tenant))?;
        eq_hex("derived key", k.as_ref(), &hx(v, "derived_key_hex")?)?;
        eq("fingerprint", hex(&derive::fingerprint(&k)), s(v, "fingerprint_hex")?.to_owned())
    });
}
