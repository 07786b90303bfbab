//! The canonical interop/v1 MessagePack encoder and the interop value reader (SPEC §5).
//!
//! Two profiles share one encoder: shortest-form integers in [−2^63, 2^64−1], bytes as bin,
//! maps with string keys only, sorted by UTF-8 bytes (= code point order), no ext types.
//! - [`Profile::Args`] (what keys hash): NaN/±Inf refused; integral floats become integers
//!   (1.0 ≡ 1, −0.0 ≡ 0); sets become sorted, deduplicated arrays; aware datetimes become
//!   Unix seconds; naive datetimes, dates and times refused; UUIDs their lowercase string.
//! - [`Profile::Value`] (what interop entries store): floats stay float64; sets, UUIDs and
//!   non-string keys refused; temporal values become sentinel maps.

use crate::error::{ErrorKind, Result, err};
use crate::msgpack::{document, write};
use crate::serializer::{check_depth, sentinel};
use crate::value::{Value, format_uuid};

/// Which canonical profile to encode with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Function arguments, hashed into interop keys.
    Args,
    /// Stored interop values.
    Value,
}

/// Canonical bytes of the flat argument array of an interop call.
pub fn encode_args(args: &[Value]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write::array_len(&mut out, args.len())?;
    for a in args {
        encode_into(a, Profile::Args, &mut out, 1)?;
    }
    Ok(out)
}

/// Canonical bytes of an interop value document.
pub fn encode_value(value: &Value) -> Result<Vec<u8>> {
    encode(value, Profile::Value)
}

/// Canonical bytes of `value` under `profile`.
pub fn encode(value: &Value, profile: Profile) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    encode_into(value, profile, &mut out, 0)?;
    Ok(out)
}

/// Reads a stored interop value: one well-formed MessagePack document of any widths and
/// key order, bounded, no trailing bytes, sentinels revived. A cachekit-py `CK` frame is
/// reported as [`ErrorKind::PythonFrame`], not decoded.
pub fn decode_value(bytes: &[u8]) -> Result<Value> {
    crate::python_frame::refuse_frame(bytes)?;
    document::decode(bytes, document::Sentinels::Lenient)
}

fn unsupported<T>(v: &Value, profile: Profile) -> Result<T> {
    let why = match (v, profile) {
        (Value::DateTime(_), Profile::Args) => {
            "a naive datetime is not allowed in interop arguments (add a UTC offset)"
        }
        (Value::Date(_) | Value::Time(_), Profile::Args) => "dates and times are not allowed in interop arguments",
        (Value::Set(_), Profile::Value) => "a set cannot be an interop value (it does not round-trip across SDKs)",
        (Value::Uuid(_), Profile::Value) => "a UUID cannot be an interop value (store its string)",
        (Value::Ext(..), _) => "ext types are not part of the interop data model",
        _ => "this type is not in the interop data model",
    };
    err(ErrorKind::UnsupportedType, format!("{}: {why}", v.type_name()))
}

/// Appends the args-profile form of a finite float: integral values in [−2^63, 2^64) as
/// integers, others as float64.
fn args_float(out: &mut Vec<u8>, f: f64) -> Result<()> {
    if f.fract() == 0.0 && (-9_223_372_036_854_775_808.0..18_446_744_073_709_551_616.0).contains(&f) {
        write::integer(out, f as i128)
    } else {
        write::float64(out, f);
        Ok(())
    }
}

fn encode_into(v: &Value, profile: Profile, out: &mut Vec<u8>, depth: usize) -> Result<()> {
    match v {
        Value::Nil => write::nil(out),
        Value::Bool(b) => write::boolean(out, *b),
        Value::Int(i) => write::integer(out, *i)?,
        Value::Float(f) if !f.is_finite() => {
            return err(ErrorKind::NonFiniteFloat, "NaN and Infinity are not allowed in interop mode");
        }
        Value::Float(f) if profile == Profile::Args => args_float(out, *f)?,
        Value::Float(f) => write::float64(out, *f),
        Value::Str(s) => write::str(out, s)?,
        Value::Bytes(b) => write::bin(out, b)?,
        Value::Array(items) => {
            check_depth(depth)?;
            write::array_len(out, items.len())?;
            for item in items {
                encode_into(item, profile, out, depth + 1)?;
            }
        }
        Value::Map(entries) => {
            check_depth(depth)?;
            let mut sorted: Vec<(&str, &Value)> = Vec::with_capacity(entries.len());
            for (k, val) in entries {
                let Value::Str(k) = k else {
                    return err(
                        ErrorKind::InvalidMapKey,
                        format!("interop map keys must be strings, got {}", k.type_name()),
                    );
                };
                sorted.push((k, val));
            }
            sorted.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
                return err(ErrorKind::InvalidMapKey, format!("interop map has duplicate key {:?}", w[0].0));
            }
            write::map_len(out, sorted.len())?;
            for (k, val) in sorted {
                write::str(out, k)?;
                encode_into(val, profile, out, depth + 1)?;
            }
        }
        Value::Set(items) if profile == Profile::Args => {
            check_depth(depth)?;
            let mut encoded = items
                .iter()
                .map(|i| {
                    let mut b = Vec::new();
                    encode_into(i, profile, &mut b, depth + 1).map(|_| b)
                })
                .collect::<Result<Vec<_>>>()?;
            encoded.sort_unstable();
            encoded.dedup();
            write::array_len(out, encoded.len())?;
            for e in encoded {
                out.extend_from_slice(&e);
            }
        }
        Value::DateTime(dt) if profile == Profile::Args => match dt.unix_seconds() {
            Some(secs) => args_float(out, secs)?,
            None => return unsupported(v, profile),
        },
        Value::DateTime(dt) => sentinel(out, "__datetime__", &dt.to_string())?,
        Value::Date(d) if profile == Profile::Value => sentinel(out, "__date__", &d.to_string())?,
        Value::Time(t) if profile == Profile::Value => sentinel(out, "__time__", &t.to_string())?,
        Value::Uuid(u) if profile == Profile::Args => write::str(out, &format_uuid(u))?,
        Value::Set(_) | Value::Date(_) | Value::Time(_) | Value::Uuid(_) | Value::Ext(..) => {
            return unsupported(v, profile);
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

    #[test]
    fn args_profile_collapses_floats_and_sorts() {
        assert_eq!(hex(&encode_args(&[Value::Float(2.0)]).unwrap()), "9102");
        assert_eq!(hex(&encode_args(&[Value::Float(-0.0)]).unwrap()), "9100");
        assert_eq!(hex(&encode_args(&[Value::Float(18446744073709551616.0)]).unwrap()), "91cb43f0000000000000");
        let m = Value::map([("b", 2i64.into()), ("a", 1i64.into()), ("A", 3i64.into())]);
        assert_eq!(hex(&encode_args(&[m]).unwrap()), "9183a14103a16101a16202");
        let s = Value::Set(vec![(-5i64).into(), "a".into(), 1.5.into()]);
        assert_eq!(hex(&encode_args(&[s]).unwrap()), "9193a161cb3ff8000000000000fb");
        let s = Value::Set(vec![2i64.into(), 2.0.into()]);
        assert_eq!(hex(&encode_args(&[s]).unwrap()), "919102");
        let dt = DateTime::parse("2024-01-01T00:00:00+00:00").unwrap();
        assert_eq!(hex(&encode_args(&[dt.into()]).unwrap()), "91ce65920080");
    }

    #[test]
    fn value_profile_keeps_floats_and_refuses_sets() {
        assert_eq!(hex(&encode_value(&Value::Float(2.0)).unwrap()), "cb4000000000000000");
        assert_eq!(encode_value(&Value::Set(vec![])).unwrap_err().kind(), ErrorKind::UnsupportedType);
        assert_eq!(encode_value(&Value::Uuid([0; 16])).unwrap_err().kind(), ErrorKind::UnsupportedType);
        let m = Value::Map(vec![(1i64.into(), Value::Nil)]);
        assert_eq!(encode_value(&m).unwrap_err().kind(), ErrorKind::InvalidMapKey);
    }

    #[test]
    fn every_profile_refuses_non_finite_and_duplicates() {
        for p in [Profile::Args, Profile::Value] {
            for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                let nested = Value::Array(vec![Value::map([("x", f.into())])]);
                assert_eq!(encode(&nested, p).unwrap_err().kind(), ErrorKind::NonFiniteFloat);
            }
            let dup = Value::map([("a", Value::Nil), ("a", Value::Nil)]);
            assert_eq!(encode(&dup, p).unwrap_err().kind(), ErrorKind::InvalidMapKey);
        }
        let naive = DateTime::parse("2024-01-01T00:00:00").unwrap();
        assert_eq!(encode_args(&[naive.into()]).unwrap_err().kind(), ErrorKind::UnsupportedType);
    }
}
