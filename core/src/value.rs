//! The language-neutral value model every binding maps its values onto.
//!
//! One [`Value`] type carries whatever a cache stores or a key hashes. Encoders decide what
//! each variant becomes on the wire (StandardSerializer for default-mode values, the canonical
//! interop profiles, default-mode key arguments) and refuse what their profile forbids, with a
//! typed error, so bindings stay thin: they map, the core judges.
//!
//! # How bindings map their values
//!
//! | Value | JavaScript (Node, WASM) | PHP | C |
//! |---|---|---|---|
//! | `Nil` | `null`, `undefined` (as `null`) | `null` | MessagePack bytes (`c0`) |
//! | `Bool` | `boolean` | `bool` | MessagePack bytes |
//! | `Int` | `number` that is a safe integer (`Number.isSafeInteger`), `bigint` | `int` | MessagePack bytes |
//! | `Float` | any other `number` (fractional, beyond ±2^53, NaN, ±Infinity); `-0` stays `Float(-0.0)` | `float` | MessagePack bytes |
//! | `Str` | `string` (lone surrogates are refused with `invalid_string`) | `string` that is valid UTF-8 | MessagePack bytes |
//! | `Bytes` | `Uint8Array`, `Buffer`, `ArrayBuffer` | `string` that is not valid UTF-8, or `Cachekit\Bytes` | MessagePack bytes |
//! | `Array` | `Array` | list (`array_is_list`) | MessagePack bytes |
//! | `Map` | plain object (own enumerable string keys, in order), `Map` (any keys, in order) | associative array | MessagePack bytes |
//! | `Set` | `Set` (only the interop args profile accepts it) | — | — |
//! | `DateTime` | `Date` (always aware, UTC, millisecond precision) | `DateTimeInterface` (aware, its offset) | MessagePack sentinel map |
//! | `Date` / `Time` | `cachekit.LocalDate` / `cachekit.LocalTime` wrappers | `Cachekit\Date` / `Cachekit\Time` | MessagePack sentinel map |
//! | `Uuid` | `cachekit.Uuid` wrapper | `Cachekit\Uuid` | — |
//! | `Ext` | read only: surfaced as `{type, data}` | read only | MessagePack bytes |
//!
//! Reading back: integers come back as `Int` (JS: `number` when safe, else `bigint`), floats
//! as `Float` (JS: `number`), `Bytes` as `Uint8Array`/`Buffer`, maps with all-string keys as
//! plain objects (JS) or associative arrays (PHP) and otherwise as `Map` (JS).

use crate::temporal::{Date, DateTime, Time};

/// A language-neutral value. Integers are held as `i128` so both `i64` and `u64` fit and
/// out-of-range inputs (e.g. a JS `bigint` of 2^64) reach the encoder, which refuses them.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Absence of a value (`None`, `null`).
    Nil,
    /// A boolean.
    Bool(bool),
    /// An integer; encoders accept [−2^63, 2^64−1].
    Int(i128),
    /// An IEEE-754 double.
    Float(f64),
    /// Well-formed Unicode text.
    Str(String),
    /// A byte string.
    Bytes(Vec<u8>),
    /// An ordered sequence.
    Array(Vec<Value>),
    /// Ordered key/value entries; keys may be any value, encoders restrict them.
    Map(Vec<(Value, Value)>),
    /// An unordered set (interop args profile only).
    Set(Vec<Value>),
    /// A date and time, naive or with a UTC offset.
    DateTime(DateTime),
    /// A calendar date.
    Date(Date),
    /// A time of day, naive or with a UTC offset.
    Time(Time),
    /// A UUID, 16 bytes.
    Uuid([u8; 16]),
    /// A MessagePack extension value (read side only; encoders refuse it).
    Ext(i8, Vec<u8>),
}

/// JavaScript's `Number.MAX_SAFE_INTEGER` (2^53 − 1): the largest integer a JS number holds
/// exactly, so the JS bindings' boundary between integers and floats.
pub const JS_MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

impl Value {
    /// A JavaScript number as both JS bindings (napi and WASM) map it: a safe integer (but not
    /// `-0`) is an `Int`, anything else (fractions, NaN, ±∞, beyond 2^53 − 1) a `Float`.
    pub fn from_js_number(x: f64) -> Value {
        if x.fract() == 0.0 && x.abs() <= JS_MAX_SAFE_INTEGER && !(x == 0.0 && x.is_sign_negative()) {
            Value::Int(x as i128)
        } else {
            Value::Float(x)
        }
    }

    /// The value as JSON text when `JSON.parse` of it gives exactly what both JS bindings'
    /// natural mapping builds; `None` otherwise ([`crate::js_json`] has the rules).
    pub fn js_json(&self) -> Option<String> {
        crate::js_json::from_value(self)
    }

    /// A short name of the variant, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::Array(_) => "array",
            Value::Map(_) => "map",
            Value::Set(_) => "set",
            Value::DateTime(_) => "datetime",
            Value::Date(_) => "date",
            Value::Time(_) => "time",
            Value::Uuid(_) => "uuid",
            Value::Ext(..) => "ext",
        }
    }

    /// The text if this is a `Str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A map from string keys, in the order given.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (Value::Str(k.into()), v)).collect())
    }

    /// Parses a UUID in the 8-4-4-4-12 hex form, any case.
    pub fn uuid_from_str(s: &str) -> crate::Result<Value> {
        parse_uuid(s).map(Value::Uuid)
    }
}

/// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (any case) into 16 bytes.
pub fn parse_uuid(s: &str) -> crate::Result<[u8; 16]> {
    let b = s.as_bytes();
    let bad = || crate::Error::new(crate::ErrorKind::InvalidArgument, format!("{s:?} is not a UUID"));
    if b.len() != 36 {
        return Err(bad());
    }
    // Dashes exactly at 8, 13, 18 and 23; a hex digit everywhere else (32 of them).
    let mut digits = [0u8; 32];
    let mut n = 0;
    for (i, &c) in b.iter().enumerate() {
        match (matches!(i, 8 | 13 | 18 | 23), c) {
            (true, b'-') => {}
            (false, _) => {
                digits[n] = (c as char).to_digit(16).ok_or_else(bad)? as u8;
                n += 1;
            }
            (true, _) => return Err(bad()),
        }
    }
    let mut out = [0u8; 16];
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        out[i] = pair[0] * 16 + pair[1];
    }
    Ok(out)
}

/// Formats 16 bytes as the canonical lowercase hyphenated UUID string.
pub fn format_uuid(u: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    for (i, byte) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{byte:02x}"));
    }
    s
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v.into())
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Value {
        Value::Int(v.into())
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Value {
        Value::Int(v.into())
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Bytes(v)
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::Array(v)
    }
}
impl From<DateTime> for Value {
    fn from(v: DateTime) -> Value {
        Value::DateTime(v)
    }
}
impl From<Date> for Value {
    fn from(v: Date) -> Value {
        Value::Date(v)
    }
}
impl From<Time> for Value {
    fn from(v: Time) -> Value {
        Value::Time(v)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn js_json_says_only_what_json_says_exactly() {
        let m = |pairs: Vec<(Value, Value)>| Value::Map(pairs);
        let v = m(vec![
            (Value::Str("a\"b\\c\n\u{1}é".into()), Value::Array(vec![Value::Nil, Value::Bool(true), Value::Int(-3)])),
            (Value::Str("f".into()), Value::Float(1.5)),
            (Value::Str("z".into()), Value::Float(-0.0)),
            (Value::Str("i".into()), Value::Float(2.0)),
        ]);
        assert_eq!(v.js_json().unwrap(), r#"{"a\"b\\c\u000a\u0001é":[null,true,-3],"f":1.5,"z":-0,"i":2}"#);
        let max = JS_MAX_SAFE_INTEGER as i128;
        assert_eq!(Value::Int(max).js_json().unwrap(), "9007199254740991");
        for no in [
            Value::Int(max + 1),
            Value::Float(f64::NAN),
            Value::Float(f64::INFINITY),
            Value::Bytes(vec![1]),
            Value::Set(vec![]),
            m(vec![(Value::Int(1), Value::Nil)]),
            Value::Array(vec![Value::Bytes(vec![])]),
        ] {
            assert_eq!(no.js_json(), None, "{no:?}");
        }
        let mut deep = Value::Nil;
        for _ in 0..64 {
            deep = Value::Array(vec![deep]);
        }
        assert!(deep.js_json().is_some());
        assert_eq!(Value::Array(vec![deep]).js_json(), None, "nesting beyond 64");
    }
    use super::*;

    #[test]
    fn js_numbers_split_into_ints_and_floats() {
        let max = JS_MAX_SAFE_INTEGER;
        assert_eq!(Value::from_js_number(1.0), Value::Int(1));
        assert_eq!(Value::from_js_number(-0.0), Value::Float(-0.0));
        assert_eq!(Value::from_js_number(1.5), Value::Float(1.5));
        assert_eq!(Value::from_js_number(max), Value::Int(max as i128));
        assert_eq!(Value::from_js_number(max + 1.0), Value::Float(max + 1.0));
        assert!(matches!(Value::from_js_number(f64::NAN), Value::Float(x) if x.is_nan()));
        assert_eq!(Value::from_js_number(f64::INFINITY), Value::Float(f64::INFINITY));
    }

    #[test]
    fn uuid_parses_any_case_and_formats_lowercase() {
        let u = parse_uuid("550E8400-E29B-41D4-A716-446655440000").unwrap();
        assert_eq!(format_uuid(&u), "550e8400-e29b-41d4-a716-446655440000");
        assert!(parse_uuid("550e8400e29b41d4a716446655440000").is_err());
        assert!(parse_uuid("550e8400-e29b-41d4-a716-44665544000g").is_err());
        assert!(parse_uuid("550e8400-e29b-41d4-a716-4466554400é").is_err());
        // Found by fuzzing: extra dashes panicked (odd digit count) or were read as zeros.
        assert!(parse_uuid("00000000-0000-0000-0000-0000000000-0").is_err());
        assert!(parse_uuid("00000000-0000-0000-0000-00000000--12").is_err());
        assert!(parse_uuid("12345678-1234-1234-1234-------------").is_err());
    }

    #[test]
    fn conversions_and_type_names() {
        assert_eq!(Value::from(u64::MAX), Value::Int(u64::MAX as i128));
        assert_eq!(Value::from(-1i64).type_name(), "int");
        assert_eq!(Value::map([("a", Value::Nil)]), Value::Map(vec![(Value::Str("a".into()), Value::Nil)]));
        assert_eq!(Value::from("x").as_str(), Some("x"));
    }
}
