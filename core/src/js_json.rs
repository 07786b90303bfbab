//! JSON text for the JavaScript bindings (napi and WASM).
//!
//! A value crosses to JavaScript as JSON text when `JSON.parse` of it builds exactly what the
//! bindings' natural mapping builds: null, booleans, safe integers, finite floats, strings,
//! arrays, and maps with string keys, at most 64 levels deep. `JSON.parse` of small documents
//! is much faster than building them property by property through Node-API or js-sys, and its
//! result is what the JS layer can keep and copy (`l1.decodedBytes`).
//!
//! The text is written from a decoded [`Value`] ([`from_value`], behind [`Value::js_json`]) or
//! straight from a stored MessagePack document ([`from_msgpack`]), which skips building the
//! value on the hit paths. Both write every token with the same functions, so they give the
//! same text for the same value.

use std::fmt::Write;

use crate::msgpack::read::{Reader, Token};
use crate::value::{JS_MAX_SAFE_INTEGER, Value};

/// Deeper values are not written (the bindings build them the ordinary way).
const MAX_DEPTH: usize = 64;

/// Keys of the temporal sentinel maps the decoders revive (`{"__date__": true, "value": …}`).
const SENTINEL_KEYS: [&str; 3] = ["__datetime__", "__date__", "__time__"];

/// `v` as JSON text, or `None` when JSON cannot say it exactly (bytes, dates, sets, UUIDs,
/// ext values, integers beyond 2^53 − 1, NaN or ±∞, maps with other keys, nesting beyond 64).
pub fn from_value(v: &Value) -> Option<String> {
    let mut out = String::with_capacity(64);
    value(v, &mut out, 0).then_some(out)
}

/// The JSON text of the MessagePack document `buf` (a StandardSerializer or interop payload),
/// equal to [`from_value`] of the value the decoders read from it. `None` whenever that may not
/// hold: malformed or truncated input, trailing bytes, invalid UTF-8, anything
/// [`from_value`] refuses, and any two-entry map with a sentinel key (the decoders may revive
/// it as a date or refuse it). The caller then decodes the ordinary way, which also gives the
/// exact error. The output is at most about six times the input (escapes; a float's text is at
/// most 24 characters for its 9 bytes), and recursion
/// stops at the depth limit, so no input can make it large.
pub fn from_msgpack(buf: &[u8]) -> Option<String> {
    let mut r = Reader::new(buf);
    let mut out = String::with_capacity(buf.len() + buf.len() / 2 + 8);
    document(&mut r, &mut out, 0)?;
    (r.remaining() == 0).then_some(out)
}

fn value(v: &Value, out: &mut String, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => boolean(*b, out),
        Value::Int(i) => return int(*i, out),
        Value::Float(x) => return float(*x, out),
        Value::Str(s) => string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !value(x, out, depth + 1) {
                    return false;
                }
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, x)) in entries.iter().enumerate() {
                let Value::Str(k) = k else { return false };
                if i > 0 {
                    out.push(',');
                }
                string(k, out);
                out.push(':');
                if !value(x, out, depth + 1) {
                    return false;
                }
            }
            out.push('}');
        }
        _ => return false,
    }
    true
}

fn document(r: &mut Reader<'_>, out: &mut String, depth: usize) -> Option<()> {
    if depth > MAX_DEPTH {
        return None;
    }
    let ok = match r.next_token().ok()? {
        Token::Nil => {
            out.push_str("null");
            true
        }
        Token::Bool(b) => {
            boolean(b, out);
            true
        }
        Token::UInt(v) => int(i128::from(v), out),
        Token::NInt(v) => int(i128::from(v), out),
        Token::F32(v) => float(f64::from(v), out),
        Token::F64(v) => float(v, out),
        Token::Str(b) => {
            string(std::str::from_utf8(b).ok()?, out);
            true
        }
        Token::Bin(_) | Token::Ext(..) => false,
        Token::Array(n) => {
            out.push('[');
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                document(r, out, depth + 1)?;
            }
            out.push(']');
            true
        }
        Token::Map(n) => {
            out.push('{');
            for i in 0..n {
                let Token::Str(k) = r.next_token().ok()? else { return None };
                let k = std::str::from_utf8(k).ok()?;
                if n == 2 && SENTINEL_KEYS.contains(&k) {
                    return None;
                }
                if i > 0 {
                    out.push(',');
                }
                string(k, out);
                out.push(':');
                document(r, out, depth + 1)?;
            }
            out.push('}');
            true
        }
    };
    ok.then_some(())
}

fn boolean(b: bool, out: &mut String) {
    out.push_str(if b { "true" } else { "false" });
}

/// A safe integer (|i| ≤ 2^53 − 1); larger ones would lose digits in a JS number.
fn int(i: i128, out: &mut String) -> bool {
    if (i.unsigned_abs() as f64) > JS_MAX_SAFE_INTEGER {
        return false;
    }
    out.push_str(itoa::Buffer::new().format(i));
    true
}

/// A finite float, in Rust's shortest round-trip form, which `JSON.parse` reads back exactly:
/// plain (`97.5`, `1`, `-0`) where JavaScript prints it plain, with an exponent (`5e-324`,
/// `1e21`) where it does not. Plain text of those would take every digit: 327 characters for
/// 5e-324, so 9 bytes of MessagePack could become 36 times as much JSON. (The `ryu` crate
/// would spare core::fmt's machinery, but adds 12 KB gzipped to the WebAssembly engine.)
fn float(x: f64, out: &mut String) -> bool {
    if !x.is_finite() {
        return false;
    }
    let a = x.abs();
    let _ = if a != 0.0 && !(1e-6..1e21).contains(&a) { write!(out, "{x:e}") } else { write!(out, "{x}") };
    true
}

/// Whether JSON needs `b` escaped inside a string. Bitwise `|`, not `||`: without branches, a
/// pass over a whole string vectorizes.
fn needs_escape(b: u8) -> bool {
    (b == b'"') | (b == b'\\') | (b < 0x20)
}

fn string(s: &str, out: &mut String) {
    out.push('"');
    if !s.bytes().fold(false, |any, b| any | needs_escape(b)) {
        // Most strings: one pass finds nothing to escape, and the string goes in whole.
        out.push_str(s);
    } else {
        let mut start = 0;
        for (i, b) in s.bytes().enumerate() {
            if needs_escape(b) {
                out.push_str(&s[start..i]);
                match b {
                    b'"' => out.push_str("\\\""),
                    b'\\' => out.push_str("\\\\"),
                    _ => {
                        let _ = write!(out, "\\u{b:04x}");
                    }
                }
                start = i + 1;
            }
        }
        out.push_str(&s[start..]);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgpack::document::{Sentinels, decode};
    use proptest::prelude::*;

    fn h(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// What the hit paths did before: decode, then write the value.
    fn via_value(buf: &[u8]) -> Option<String> {
        decode(buf, Sentinels::Strict).ok().and_then(|v| from_value(&v))
    }

    #[test]
    fn writes_what_json_says_exactly() {
        let v = Value::map([
            ("id", 42i64.into()),
            ("name", "al\"i\\ce\u{1}é✓".into()),
            ("roles", Value::Array(vec!["a".into(), Value::Nil, true.into()])),
            ("score", Value::Float(97.5)),
            ("neg", Value::Int(-(1i128 << 53) + 1)),
        ]);
        let text =
            r#"{"id":42,"name":"al\"i\\ce\u0001é✓","roles":["a",null,true],"score":97.5,"neg":-9007199254740991}"#;
        assert_eq!(from_value(&v).as_deref(), Some(text));
        let bytes = crate::serializer::encode(&v).unwrap();
        assert_eq!(from_msgpack(&bytes).as_deref(), Some(text));
    }

    #[test]
    fn refuses_what_json_cannot_say_or_the_decoders_would_not_read() {
        for v in [
            Value::Int(1i128 << 53),
            Value::Float(f64::NAN),
            Value::Float(f64::INFINITY),
            Value::Bytes(vec![1]),
            Value::Map(vec![(1i64.into(), 2i64.into())]),
            Value::Uuid([0; 16]),
        ] {
            assert_eq!(from_value(&v), None, "{v:?}");
        }
        for hex in [
            "c0c0",               // trailing bytes
            "a2c328",             // invalid UTF-8
            "92c0",               // truncated
            "c1",                 // reserved marker
            "c40101",             // bin
            "d4012a",             // ext
            "81012a",             // integer key
            "cf0020000000000000", // 2^53
            "cb7ff8000000000000", // NaN
            // Sentinel-looking maps, either order, true or not: the decoders decide.
            "82a85f5f74696d655f5fc3a576616c7565a831303a33303a3030",
            "82a576616c7565a831303a33303a3030a85f5f74696d655f5fc2",
            "82a85f5f646174655f5fc3a3787878c0",
        ] {
            assert_eq!(from_msgpack(&h(hex)), None, "{hex}");
        }
        // A map of another size with a sentinel key is a plain map for the decoders too.
        assert_eq!(from_msgpack(&h("81a85f5f646174655f5fc3")).as_deref(), Some(r#"{"__date__":true}"#));
        assert_eq!(via_value(&h("81a85f5f646174655f5fc3")).as_deref(), Some(r#"{"__date__":true}"#));
    }

    #[test]
    fn depth_limit_matches() {
        let nest = |n: usize| (0..n).fold(Value::Nil, |v, _| Value::Array(vec![v]));
        for n in [63, 64, 65, 66] {
            let v = nest(n);
            let bytes = crate::serializer::encode(&v).unwrap();
            assert_eq!(from_msgpack(&bytes), from_value(&v), "depth {n}");
        }
        assert!(from_value(&nest(64)).is_some());
        assert!(from_value(&nest(65)).is_none());
        // A deep bomb is refused without recursing past the limit.
        let mut bomb = vec![0x91u8; 100_000];
        bomb.push(0xc0);
        assert_eq!(from_msgpack(&bomb), None);
        assert_eq!(from_msgpack(&h("ddffffffff")), None);
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Nil),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| Value::Int(i.into())),
            any::<u64>().prop_map(|i| Value::Int(i.into())),
            (-(1i64 << 53)..(1i64 << 53)).prop_map(|i| Value::Int(i.into())),
            any::<f64>().prop_map(Value::Float),
            "[\\x00-\\x7f\u{e9}\u{2713}\"\\\\]{0,12}".prop_map(Value::Str),
            prop::collection::vec(any::<u8>(), 0..4).prop_map(Value::Bytes),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec(("[a-z_]{0,12}", inner.clone()), 0..6).prop_map(Value::map),
                prop::collection::vec((inner.clone(), inner), 0..3).prop_map(Value::Map),
            ]
        })
    }

    #[test]
    fn numbers_in_shortest_round_trip_form() {
        let text = |v: Value| from_value(&v).unwrap();
        assert_eq!(text(Value::Float(97.5)), "97.5");
        assert_eq!(text(Value::Float(1.0)), "1");
        assert_eq!(text(Value::Float(1e20)), "100000000000000000000");
        assert_eq!(text(Value::Float(1e21)), "1e21", "where JavaScript switches to an exponent");
        assert_eq!(text(Value::Float(1e-6)), "0.000001");
        assert_eq!(text(Value::Float(-1.5e-7)), "-1.5e-7");
        assert_eq!(text(Value::Float(-0.0)), "-0");
        assert_eq!(text(Value::Float(5e-324)), "5e-324", "not 327 characters");
        assert_eq!(text(Value::Int((-(1i64 << 53) + 1).into())), "-9007199254740991");
        assert_eq!(from_value(&Value::Int((1i64 << 53).into())), None, "past 2^53 - 1 a JS number loses digits");
    }

    /// The JSON number grammar: `-? int frac? exp?`.
    fn is_json_number(t: &str) -> bool {
        let t = t.strip_prefix('-').unwrap_or(t);
        let (mantissa, exp) = t.split_once(['e', 'E']).unwrap_or((t, "0"));
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
        let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        digits(int) && (int == "0" || !int.starts_with('0')) && digits(frac) && digits(exp)
    }

    proptest! {
        /// Every finite float's text is a JSON number that reads back to the same bits.
        #[test]
        fn float_text_reads_back_exactly(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
            let t = from_value(&Value::Float(x)).unwrap();
            prop_assert!(is_json_number(&t), "{}", t);
            prop_assert_eq!(t.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{}", t);
            prop_assert!(t.len() <= 25, "short, whatever the magnitude: {}", t);
        }

        /// Straight from MessagePack, the text is what decoding and writing the value gives;
        /// where it declines, the value had no exact JSON or the decoders refuse the bytes.
        #[test]
        fn from_msgpack_agrees_with_decoding(v in arb_value()) {
            let Ok(bytes) = crate::serializer::encode(&v) else { return Ok(()) };
            let direct = from_msgpack(&bytes);
            let decoded = via_value(&bytes);
            if direct.is_some() {
                prop_assert_eq!(&direct, &decoded);
            } else if let Some(text) = decoded {
                // Declined although exact: only for a two-entry map with a sentinel key.
                prop_assert!(SENTINEL_KEYS.iter().any(|k| text.contains(k)), "{}", text);
            }
        }

        /// Arbitrary bytes never panic, and any text given is what decoding gives.
        #[test]
        fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            if let Some(text) = from_msgpack(&bytes) {
                prop_assert_eq!(Some(text), via_value(&bytes));
            }
        }
    }
}
