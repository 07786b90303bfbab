//! Decoding one untrusted MessagePack document into a [`Value`], under the decode bounds.
//!
//! Shared by the StandardSerializer reader and the interop value reader: both accept any
//! well-formed document (any widths, any key order, float32, non-string keys, ext types),
//! refuse trailing bytes, and revive temporal sentinel maps (SPEC §2). They differ only in
//! how a map that merely *looks* like a sentinel is treated; see [`Sentinels`].

use super::bounds::scan;
use super::read::{Reader, Token};
use crate::error::{Error, ErrorKind, Result, err};
use crate::temporal::{Date, DateTime, Time};
use crate::value::Value;

/// How sentinel maps are revived. Both revive a 2-entry map whose sentinel key
/// (`__datetime__`, `__date__`, `__time__`) is `true` and whose `value` is valid ISO text,
/// and both fail the read when that text does not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sentinels {
    /// StandardSerializer (as cachekit-py's `_standard_object_hook`): a 2-entry map with a
    /// true sentinel key must carry a string `value`, else the read fails.
    Strict,
    /// Interop reader (as cachekit-py's `_revive_sentinels`): a map whose `value` is not a
    /// string stays a plain map.
    Lenient,
}

/// Decodes exactly one document from `buf`: bounds pre-scan, no trailing bytes, sentinels
/// revived according to `sentinels`.
pub fn decode(buf: &[u8], sentinels: Sentinels) -> Result<Value> {
    let end = scan(buf)?;
    if end != buf.len() {
        return err(ErrorKind::TrailingBytes, format!("{} bytes after one complete document", buf.len() - end));
    }
    let mut r = Reader::new(buf);
    item(&mut r, sentinels)
}

fn item(r: &mut Reader<'_>, s: Sentinels) -> Result<Value> {
    Ok(match r.next_token()? {
        Token::Nil => Value::Nil,
        Token::Bool(b) => Value::Bool(b),
        Token::UInt(v) => Value::Int(v.into()),
        Token::NInt(v) => Value::Int(v.into()),
        Token::F32(v) => Value::Float(v.into()),
        Token::F64(v) => Value::Float(v),
        Token::Str(b) => Value::Str(utf8(b)?),
        Token::Bin(b) => Value::Bytes(b.to_vec()),
        Token::Ext(t, b) => Value::Ext(t, b.to_vec()),
        Token::Array(n) => {
            // The pre-scan bounded n by the input length, so this reservation is backed.
            let mut v = Vec::with_capacity(n as usize);
            for _ in 0..n {
                v.push(item(r, s)?);
            }
            Value::Array(v)
        }
        Token::Map(n) => {
            let mut m = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let k = item(r, s)?;
                let v = item(r, s)?;
                m.push((k, v));
            }
            revive(m, s)?
        }
    })
}

fn utf8(b: &[u8]) -> Result<String> {
    String::from_utf8(b.to_vec())
        .map_err(|e| Error::new(ErrorKind::MalformedMsgpack, format!("str is not valid UTF-8: {e}")))
}

/// Turns a 2-entry sentinel map (`{"__datetime__": true, "value": "…"}` and the date/time
/// twins, either key order) into the temporal value; any other map stays a map.
fn revive(m: Vec<(Value, Value)>, mode: Sentinels) -> Result<Value> {
    if m.len() != 2 {
        return Ok(Value::Map(m));
    }
    let find = |name: &str| m.iter().find(|(k, _)| k.as_str() == Some(name)).map(|(_, v)| v);
    let Some(kind) = ["__datetime__", "__date__", "__time__"].into_iter().find(|k| find(k) == Some(&Value::Bool(true)))
    else {
        return Ok(Value::Map(m));
    };
    let text = match (find("value"), mode) {
        (Some(Value::Str(t)), _) => t,
        (_, Sentinels::Lenient) => return Ok(Value::Map(m)),
        (_, Sentinels::Strict) => {
            return err(ErrorKind::InvalidSentinel, format!("{kind} sentinel map without a string \"value\""));
        }
    };
    let bad = |e: Error| Error::new(ErrorKind::InvalidSentinel, e.message().to_owned());
    match kind {
        "__datetime__" => DateTime::parse(text).map(Value::DateTime).map_err(bad),
        "__date__" => Date::parse(text).map(Value::Date).map_err(bad),
        _ => Time::parse(text).map(Value::Time).map_err(bad),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_s(b: &[u8]) -> Result<Value> {
        decode(b, Sentinels::Strict)
    }

    fn h(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn decodes_any_widths_and_keeps_map_order() {
        assert_eq!(
            decode_s(&h("93cd002ad2ffffffffcf0000000000000001")).unwrap(),
            Value::Array(vec![42i64.into(), (-1i64).into(), 1i64.into()])
        );
        assert_eq!(decode_s(&h("82a16202a16101")).unwrap(), Value::map([("b", 2i64.into()), ("a", 1i64.into())]));
        assert_eq!(decode_s(&h("ca3fc00000")).unwrap(), Value::Float(1.5));
        assert_eq!(decode_s(&h("d4012a")).unwrap(), Value::Ext(1, vec![0x2a]));
        assert_eq!(decode_s(&h("81012a")).unwrap(), Value::Map(vec![(1i64.into(), 42i64.into())]));
    }

    #[test]
    fn revives_sentinels_in_either_order() {
        let v = decode_s(&h("82a576616c7565a831303a33303a3030a85f5f74696d655f5fc3")).unwrap();
        assert_eq!(v, Value::Time(Time::parse("10:30:00").unwrap()));
        // A false sentinel stays a map.
        let v = decode_s(&h("82a85f5f74696d655f5fc2a576616c7565a831303a33303a3030")).unwrap();
        assert!(matches!(v, Value::Map(_)));
        // Garbage text in a true sentinel is a typed error.
        let e = decode_s(&h("82a85f5f74696d655f5fc3a576616c7565a3787878")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidSentinel);
        // A true sentinel without a string value: strict fails, lenient keeps the map.
        let odd = h("82a85f5f74696d655f5fc3a56f7468657201");
        assert_eq!(decode_s(&odd).unwrap_err().kind(), ErrorKind::InvalidSentinel);
        assert!(matches!(decode(&odd, Sentinels::Lenient).unwrap(), Value::Map(_)));
    }

    #[test]
    fn refuses_trailing_bytes_bad_utf8_and_bombs() {
        assert_eq!(decode_s(&h("c0c0")).unwrap_err().kind(), ErrorKind::TrailingBytes);
        assert_eq!(decode_s(&h("a2c328")).unwrap_err().kind(), ErrorKind::MalformedMsgpack);
        assert_eq!(decode_s(&h("ddffffffff")).unwrap_err().kind(), ErrorKind::DecodeBounds);
    }
}
