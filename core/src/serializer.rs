//! StandardSerializer: how default-mode values become MessagePack (SPEC §2).
//!
//! Shortest-form integers, floats always float64 (NaN and ±Inf included), bytes as bin,
//! maps in the order given (any key type), temporal values as sentinel maps. Sets, UUIDs
//! and ext values have no StandardSerializer form and are refused, as cachekit-py does.

use crate::error::{ErrorKind, Result, err};
use crate::msgpack::{bounds::MAX_DEPTH, document, write};
use crate::value::Value;

/// Serializes `value` as StandardSerializer MessagePack.
pub fn encode(value: &Value) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    encode_into(value, &mut out, 0)?;
    Ok(out)
}

/// Reads StandardSerializer MessagePack (any well-formed document, bounded, no trailing
/// bytes), reviving temporal sentinels.
pub fn decode(bytes: &[u8]) -> Result<Value> {
    document::decode(bytes, document::Sentinels::Strict)
}

/// Refuses values nested deeper than the decoders accept, so a write never produces an
/// entry every reader would refuse.
pub(crate) fn check_depth(depth: usize) -> Result<()> {
    if depth >= MAX_DEPTH {
        return err(ErrorKind::ValueTooLarge, format!("value nested deeper than {MAX_DEPTH} levels"));
    }
    Ok(())
}

/// Writes a temporal sentinel map `{"__kind__": true, "value": iso}` (sentinel key first,
/// which is also the sorted order).
pub(crate) fn sentinel(out: &mut Vec<u8>, key: &str, iso: &str) -> Result<()> {
    write::map_len(out, 2)?;
    write::str(out, key)?;
    write::boolean(out, true);
    write::str(out, "value")?;
    write::str(out, iso)
}

fn encode_into(v: &Value, out: &mut Vec<u8>, depth: usize) -> Result<()> {
    match v {
        Value::Nil => write::nil(out),
        Value::Bool(b) => write::boolean(out, *b),
        Value::Int(i) => write::integer(out, *i)?,
        Value::Float(f) => write::float64(out, *f),
        Value::Str(s) => write::str(out, s)?,
        Value::Bytes(b) => write::bin(out, b)?,
        Value::Array(items) => {
            check_depth(depth)?;
            write::array_len(out, items.len())?;
            for item in items {
                encode_into(item, out, depth + 1)?;
            }
        }
        Value::Map(entries) => {
            check_depth(depth)?;
            write::map_len(out, entries.len())?;
            for (k, val) in entries {
                encode_into(k, out, depth + 1)?;
                encode_into(val, out, depth + 1)?;
            }
        }
        Value::DateTime(dt) => sentinel(out, "__datetime__", &dt.to_string())?,
        Value::Date(d) => sentinel(out, "__date__", &d.to_string())?,
        Value::Time(t) => sentinel(out, "__time__", &t.to_string())?,
        Value::Set(_) | Value::Uuid(_) | Value::Ext(..) => {
            return err(
                ErrorKind::UnsupportedType,
                format!("a {} has no StandardSerializer form (convert it to a list or string)", v.type_name()),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::temporal::DateTime;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Sentinel texts found by fuzzing that panicked or ran the stack out on read: now errors.
    #[test]
    fn hostile_sentinel_texts_are_decode_errors() {
        let time = |text: &str| {
            let mut b = vec![0x82, 0xa8];
            b.extend_from_slice(b"__time__");
            b.extend_from_slice(&[0xc3, 0xa5]);
            b.extend_from_slice(b"value");
            b.push(0xda);
            b.extend_from_slice(&(text.len() as u16).to_be_bytes());
            b.extend_from_slice(text.as_bytes());
            b
        };
        assert!(decode(&time("00:00:00é")).is_err());
        assert!(decode(&time(&format!("00:00{}", "+".repeat(60_000)))).is_err());
        assert!(decode(&time("12:30:00")).is_ok(), "the encoding above is a real sentinel");
    }

    #[test]
    fn writes_the_spec_forms() {
        let v = Value::map([("user_id", 42i64.into()), ("name", "cachekit".into()), ("active", true.into())]);
        assert_eq!(hex(&encode(&v).unwrap()), "83a7757365725f69642aa46e616d65a863616368656b6974a6616374697665c3");
        assert_eq!(hex(&encode(&Value::Float(1.0)).unwrap()), "cb3ff0000000000000");
        assert_eq!(hex(&encode(&Value::Float(f64::NAN)).unwrap())[..2], *"cb");
        assert_eq!(hex(&encode(&Value::Bytes(vec![1])).unwrap()), "c40101");
        let dt = DateTime::parse("2025-11-14T10:30:00+00:00").unwrap();
        assert_eq!(
            hex(&encode(&dt.into()).unwrap()),
            "82ac5f5f6461746574696d655f5fc3a576616c7565b9323032352d31312d31345431303a33303a30302b30303a3030"
        );
    }

    #[test]
    fn round_trips_and_refuses_what_has_no_form() {
        let v = Value::Array(vec![Value::Nil, Value::Int(-(1i128 << 63)), Value::Int(u64::MAX.into()), "é".into()]);
        assert_eq!(decode(&encode(&v).unwrap()).unwrap(), v);
        for bad in [Value::Set(vec![]), Value::Uuid([0; 16]), Value::Ext(1, vec![]), Value::Int(1i128 << 64)] {
            assert!(encode(&bad).is_err(), "{bad:?}");
        }
        let mut deep = Value::Nil;
        for _ in 0..MAX_DEPTH + 1 {
            deep = Value::Array(vec![deep]);
        }
        assert_eq!(encode(&deep).unwrap_err().kind(), ErrorKind::ValueTooLarge);
    }
}
