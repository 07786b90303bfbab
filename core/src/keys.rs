//! Cache keys: the default-mode key (SPEC §4) and the interop/v1 key (SPEC §5).
//!
//! Default mode: `[ns:{namespace}:]func:{function}:args:{hash}:{1|0}{code}`, where `hash` is
//! Blake2b-256 over the MessagePack of `[args, sorted kwargs]` after cachekit-py's argument
//! normalisation. Interop: `{namespace}:{operation}:{hash}` over the canonical args bytes.

use std::cmp::Ordering;

use blake2::digest::{Update, VariableOutput};
use blake2::{Blake2b, Blake2bVar, Digest, digest::consts::U32};

use crate::canonical;
use crate::error::{ErrorKind, Result, err};
use crate::msgpack::write;
use crate::serializer::check_depth;
use crate::value::{Value, format_uuid};

/// Keys longer than this many characters are shortened (SPEC §4).
pub const MAX_KEY_CHARS: usize = 250;
/// Characters of the original key kept when shortening.
pub const KEPT_PREFIX_CHARS: usize = 50;
/// Function identities are truncated to this many characters.
pub const MAX_FUNCTION_CHARS: usize = 200;

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// Blake2b-256 (unkeyed, 32-byte digest).
pub fn blake2b_256(data: &[u8]) -> [u8; 32] {
    Blake2b::<U32>::digest(data).into()
}

/// The serializer code of a key suffix: `s` default (`std`, `standard`), `a` auto
/// (`pythonic`), `o` orjson, `w` arrow, `l` local; any other identity `x` + 4 hex digits of
/// Blake2b with a 2-byte digest over its UTF-8. Empty identities are refused.
pub fn serializer_code(identity: &str) -> Result<String> {
    let canonical = match identity {
        "" => return err(ErrorKind::InvalidArgument, "serializer identity must not be empty"),
        "std" | "standard" => "default",
        "pythonic" => "auto",
        other => other,
    };
    let code = match canonical {
        "default" => "s",
        "auto" => "a",
        "orjson" => "o",
        "arrow" => "w",
        "local" => "l",
        other => {
            let mut h = Blake2bVar::new(2).expect("2 is a valid Blake2b output size");
            h.update(other.as_bytes());
            let mut d = [0u8; 2];
            h.finalize_variable(&mut d).expect("buffer matches output size");
            return Ok(format!("x{}", to_hex(&d)));
        }
    };
    Ok(code.to_owned())
}

/// Sanitises a function identity: every code point outside `[A-Za-z0-9_.]` becomes `_`,
/// runs of `.` collapse to one, then the first 200 characters are kept.
pub fn sanitize_function(identity: &str) -> String {
    let mut out = String::with_capacity(identity.len());
    for c in identity.chars() {
        if c == '.' && out.ends_with('.') {
            continue;
        }
        out.push(if c.is_ascii_alphanumeric() || c == '_' || c == '.' { c } else { '_' });
    }
    out.truncate(MAX_FUNCTION_CHARS.min(out.len()));
    out
}

/// What a default-mode key is made of.
#[derive(Clone, Debug)]
pub struct DefaultKey<'a> {
    /// Optional namespace; empty means none.
    pub namespace: Option<&'a str>,
    /// Function identity (Python: `module.qualname`), sanitised by the key builder.
    pub function: &'a str,
    /// Positional arguments.
    pub args: &'a [Value],
    /// Keyword arguments (sorted by name by the key builder).
    pub kwargs: &'a [(String, Value)],
    /// Integrity checking (the envelope) on: `1`, off: `0`.
    pub integrity: bool,
    /// Serializer identity, e.g. `"std"`.
    pub serializer: &'a str,
}

impl DefaultKey<'_> {
    /// Builds the key string.
    pub fn build(&self) -> Result<String> {
        let code = serializer_code(self.serializer)?;
        let hash = default_args_hash(self.args, self.kwargs)?;
        let function = sanitize_function(self.function);
        let ns = self.namespace.filter(|ns| !ns.is_empty());
        let mut key =
            String::with_capacity(ns.map_or(0, |n| n.len() + 4) + function.len() + hash.len() + code.len() + 13);
        if let Some(ns) = ns {
            key.push_str("ns:");
            key.push_str(ns);
            key.push(':');
        }
        key.push_str("func:");
        key.push_str(&function);
        key.push_str(":args:");
        key.push_str(&hash);
        key.push(':');
        key.push(if self.integrity { '1' } else { '0' });
        key.push_str(&code);
        if key.contains([' ', '\n', '\r']) {
            key = key.replace([' ', '\n', '\r'], "_");
        }
        Ok(shorten(key))
    }
}

/// Applies the >250-character rule: `key[0:50] + ":" + hex(blake2b256(key))[0:32]`.
fn shorten(key: String) -> String {
    if key.len() <= MAX_KEY_CHARS || key.chars().count() <= MAX_KEY_CHARS {
        return key;
    }
    let prefix: String = key.chars().take(KEPT_PREFIX_CHARS).collect();
    format!("{prefix}:{}", &to_hex(&blake2b_256(key.as_bytes()))[..32])
}

/// Blake2b-256 hex of the MessagePack of `[args, kwargs sorted by name]` after
/// default-mode normalisation (SPEC §4).
pub fn default_args_hash(args: &[Value], kwargs: &[(String, Value)]) -> Result<String> {
    let mut out = Vec::new();
    write::array_len(&mut out, 2)?;
    write::array_len(&mut out, args.len())?;
    for a in args {
        default_arg(a, &mut out, 1)?;
    }
    let mut kw: Vec<&(String, Value)> = kwargs.iter().collect();
    kw.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    if let Some(w) = kw.windows(2).find(|w| w[0].0 == w[1].0) {
        return err(ErrorKind::InvalidArgument, format!("keyword argument {:?} given twice", w[0].0));
    }
    write::map_len(&mut out, kw.len())?;
    for (k, v) in kw {
        write::str(&mut out, k)?;
        default_arg(v, &mut out, 1)?;
    }
    Ok(to_hex(&blake2b_256(&out)))
}

/// The order cachekit-py's `sorted(dict.items())` gives map keys: numbers (bool, int,
/// float) compare by value, strings by code point, bytes bytewise; `None` when two keys
/// cannot be compared (mixed families, NaN), which Python reports as a `TypeError`.
fn key_order(a: &Value, b: &Value) -> Option<Ordering> {
    enum Num {
        I(i128),
        F(f64),
    }
    fn num(v: &Value) -> Option<Num> {
        match v {
            Value::Int(i) => Some(Num::I(*i)),
            Value::Bool(b) => Some(Num::I(i128::from(*b))),
            Value::Float(f) if !f.is_nan() => Some(Num::F(*f)),
            _ => None,
        }
    }
    fn int_vs_float(i: i128, f: f64) -> Option<Ordering> {
        if f.fract() == 0.0 && f.abs() < 1e38 { Some(i.cmp(&(f as i128))) } else { (i as f64).partial_cmp(&f) }
    }
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Value::Bytes(x), Value::Bytes(y)) => Some(x.cmp(y)),
        _ => match (num(a)?, num(b)?) {
            (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
            (Num::F(x), Num::F(y)) => x.partial_cmp(&y),
            (Num::I(x), Num::F(y)) => int_vs_float(x, y),
            (Num::F(x), Num::I(y)) => int_vs_float(y, x).map(Ordering::reverse),
        },
    }
}

fn default_arg(v: &Value, out: &mut Vec<u8>, depth: usize) -> Result<()> {
    match v {
        Value::Nil => write::nil(out),
        Value::Bool(b) => write::boolean(out, *b),
        Value::Int(i) => write::integer(out, *i)?,
        Value::Float(f) => write::float64(out, if *f == 0.0 { 0.0 } else { *f }),
        Value::Str(s) => write::str(out, s)?,
        Value::Bytes(b) => write::bin(out, b)?,
        Value::Array(items) => {
            check_depth(depth)?;
            write::array_len(out, items.len())?;
            for i in items {
                default_arg(i, out, depth + 1)?;
            }
        }
        Value::Map(entries) => {
            check_depth(depth)?;
            let mut sorted: Vec<&(Value, Value)> = entries.iter().collect();
            let mut failed = false;
            sorted.sort_by(|a, b| {
                key_order(&a.0, &b.0).unwrap_or_else(|| {
                    failed = true;
                    Ordering::Equal
                })
            });
            let raw_key = |k: &Value| {
                matches!(
                    k,
                    Value::Nil | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Str(_) | Value::Bytes(_)
                )
            };
            if failed || !entries.iter().all(|(k, _)| raw_key(k)) {
                return err(
                    ErrorKind::InvalidMapKey,
                    "map keys in cache-key arguments must be all strings, all bytes or all numbers",
                );
            }
            write::map_len(out, sorted.len())?;
            for (k, val) in sorted {
                // cachekit-py hashes keys as given (only values are normalised).
                match k {
                    Value::Float(f) => write::float64(out, *f),
                    other => default_arg(other, out, depth + 1)?,
                }
                default_arg(val, out, depth + 1)?;
            }
        }
        Value::DateTime(dt) if dt.is_aware() => write::str(out, &dt.to_string())?,
        Value::Uuid(u) => write::str(out, &format_uuid(u))?,
        Value::DateTime(_) => {
            return err(ErrorKind::UnsupportedType, "naive datetime not allowed in cache keys (add a UTC offset)");
        }
        Value::Set(_) | Value::Date(_) | Value::Time(_) | Value::Ext(..) => {
            return err(
                ErrorKind::UnsupportedType,
                format!("a {} is not supported in cache-key arguments", v.type_name()),
            );
        }
    }
    Ok(())
}

/// Validates an interop segment: full match of `^[a-z0-9][a-z0-9._-]{0,63}$`, no `..`.
pub fn validate_segment(what: &str, segment: &str) -> Result<()> {
    let b = segment.as_bytes();
    let ok_first = b.first().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok_rest = b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-'));
    if !ok_first || !ok_rest || b.len() > 64 || segment.contains("..") {
        return err(
            ErrorKind::InvalidSegment,
            format!("{what} {segment:?} must match ^[a-z0-9][a-z0-9._-]{{0,63}}$ without '..'"),
        );
    }
    Ok(())
}

/// Blake2b-256 hex of the canonical args bytes.
pub fn interop_args_hash(args: &[Value]) -> Result<String> {
    Ok(to_hex(&blake2b_256(&canonical::encode_args(args)?)))
}

/// Validates an interop namespace: a segment, and not one of the reserved `ns` (default-mode
/// keys live under `ns:`) and `nsapi`.
pub fn validate_interop_namespace(namespace: &str) -> Result<()> {
    validate_segment("namespace", namespace)?;
    if namespace == "ns" || namespace == "nsapi" {
        return err(ErrorKind::InvalidSegment, format!("namespace {namespace:?} is reserved"));
    }
    Ok(())
}

/// The interop/v1 key `{namespace}:{operation}:{args_hash}`.
pub fn interop_key(namespace: &str, operation: &str, args: &[Value]) -> Result<String> {
    validate_interop_namespace(namespace)?;
    validate_segment("operation", operation)?;
    Ok(format!("{namespace}:{operation}:{}", interop_args_hash(args)?))
}

/// How a cached function's calls are keyed: a binding registers it once per function (its
/// `wrap`/`interop` options) and applies it to each call's positional arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRecipe {
    /// Default mode, `ns:{namespace}:func:{function}:args:{hash}:…` (SPEC §4), StandardSerializer.
    Default {
        /// The namespace segment, if any.
        namespace: Option<String>,
        /// The function's identity.
        function: String,
        /// Whether entries are enveloped (changes the key's serializer code).
        integrity: bool,
    },
    /// Interop/v1, `{namespace}:{operation}:{hash}` (SPEC §5).
    Interop {
        /// The interop namespace.
        namespace: String,
        /// The operation name every SDK uses.
        operation: String,
    },
}

impl KeyRecipe {
    /// The cache key of one call.
    pub fn key(&self, args: &[Value]) -> Result<String> {
        match self {
            KeyRecipe::Default { namespace, function, integrity } => DefaultKey {
                namespace: namespace.as_deref(),
                function,
                args,
                kwargs: &[],
                integrity: *integrity,
                serializer: "std",
            }
            .build(),
            KeyRecipe::Interop { namespace, operation } => interop_key(namespace, operation, args),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipes_key_like_the_functions_they_name() {
        let args = [Value::Int(7), Value::from("EUR")];
        let interop = KeyRecipe::Interop { namespace: "billing".into(), operation: "total".into() };
        assert_eq!(interop.key(&args).unwrap(), interop_key("billing", "total", &args).unwrap());
        let default = KeyRecipe::Default { namespace: Some("app".into()), function: "f".into(), integrity: false };
        let direct = DefaultKey {
            namespace: Some("app"),
            function: "f",
            args: &args,
            kwargs: &[],
            integrity: false,
            serializer: "std",
        };
        assert_eq!(default.key(&args).unwrap(), direct.build().unwrap());
        let bad = KeyRecipe::Interop { namespace: "ns".into(), operation: "total".into() };
        assert_eq!(bad.key(&args).unwrap_err().kind(), ErrorKind::InvalidSegment);
    }

    #[test]
    fn serializer_codes() {
        for (id, code) in [
            ("std", "s"),
            ("default", "s"),
            ("auto", "a"),
            ("pythonic", "a"),
            ("orjson", "o"),
            ("arrow", "w"),
            ("local", "l"),
            ("cbor", "x23d5"),
            ("toml", "x0c41"),
        ] {
            assert_eq!(serializer_code(id).unwrap(), code, "{id}");
        }
        assert_eq!(serializer_code("").unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn function_identity_is_sanitised() {
        assert_eq!(sanitize_function("mod.outer.<locals>.inner"), "mod.outer._locals_.inner");
        assert_eq!(sanitize_function("a...b..c"), "a.b.c");
        assert_eq!(sanitize_function("café"), "caf_");
        assert_eq!(sanitize_function(&"x".repeat(300)).len(), 200);
    }

    #[test]
    fn default_key_matches_the_upstream_example() {
        let k = DefaultKey {
            namespace: Some("test"),
            function: "__main__.get_user",
            args: &[42i64.into()],
            kwargs: &[],
            integrity: true,
            serializer: "std",
        };
        assert_eq!(
            k.build().unwrap(),
            "ns:test:func:__main__.get_user:args:3870b2ea5735ae639ded9450ef117768db676f037bec636503796c5b81095153:1s"
        );
        assert_eq!(default_args_hash(&[], &[]).unwrap(), to_hex(&blake2b_256(&[0x92, 0x90, 0x80])));
    }

    #[test]
    fn long_keys_are_shortened_and_spaces_replaced() {
        let ns = "a b".repeat(100);
        let k = DefaultKey {
            namespace: Some(&ns),
            function: "f",
            args: &[],
            kwargs: &[],
            integrity: false,
            serializer: "std",
        };
        let key = k.build().unwrap();
        assert_eq!(key.chars().count(), 50 + 1 + 32);
        assert!(key.starts_with("ns:a_ba_b"));
    }

    #[test]
    fn mixed_key_families_are_refused() {
        let m = Value::Map(vec![("a".into(), Value::Nil), (1i64.into(), Value::Nil)]);
        assert_eq!(default_args_hash(&[m], &[]).unwrap_err().kind(), ErrorKind::InvalidMapKey);
        let m = Value::Map(vec![(2i64.into(), Value::Nil), (1.5.into(), Value::Nil), (true.into(), Value::Nil)]);
        assert!(default_args_hash(&[m], &[]).is_ok());
    }

    #[test]
    fn segments() {
        assert!(interop_key("users", "get_user", &[]).is_ok());
        for (ns, op) in [
            ("Users", "x"),
            ("ns", "x"),
            ("nsapi", "x"),
            ("a..b", "x"),
            ("users\n", "x"),
            ("x", "_a"),
            ("", "x"),
            ("x", &"b".repeat(65)),
        ] {
            assert_eq!(interop_key(ns, op, &[]).unwrap_err().kind(), ErrorKind::InvalidSegment, "{ns} {op}");
        }
    }
}
