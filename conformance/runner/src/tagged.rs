//! Tagged JSON (VECTORS.md) → the core's `Value`, plus hex helpers.

use cachekit::Value;
use cachekit::temporal::{Date, DateTime, Time};
use cachekit::value::parse_uuid;
use serde_json::Value as Json;

/// Decodes lowercase or uppercase hex.
pub fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd-length hex {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("bad hex {s:?}: {e}")))
        .collect()
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    cachekit::keys::to_hex(b)
}

/// Parses a `$float` text: decimal, `nan`, `inf`, `-inf`, `1e999`.
fn float(s: &str) -> Result<f64, String> {
    match s {
        "nan" | "NaN" => Ok(f64::NAN),
        "inf" | "Infinity" => Ok(f64::INFINITY),
        "-inf" | "-Infinity" => Ok(f64::NEG_INFINITY),
        _ => s.parse::<f64>().map_err(|e| format!("bad $float {s:?}: {e}")),
    }
}

/// Converts tagged JSON to a `Value`.
pub fn value(j: &Json) -> Result<Value, String> {
    Ok(match j {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Int(u.into())
            } else {
                Value::Float(n.as_f64().ok_or("unrepresentable number")?)
            }
        }
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(a) => Value::Array(a.iter().map(value).collect::<Result<_, _>>()?),
        Json::Object(o) => {
            if o.len() == 1 {
                let (k, v) = o.iter().next().expect("one entry");
                if k.starts_with('$') {
                    return tag(k, v);
                }
            }
            Value::Map(o.iter().map(|(k, v)| Ok((Value::Str(k.clone()), value(v)?))).collect::<Result<_, String>>()?)
        }
    })
}

fn text<'a>(tag: &str, v: &'a Json) -> Result<&'a str, String> {
    v.as_str().ok_or_else(|| format!("{tag} expects a string"))
}

fn tag(tag: &str, v: &Json) -> Result<Value, String> {
    let e = |x: cachekit::Error| x.to_string();
    Ok(match tag {
        "$int" => Value::Int(text(tag, v)?.parse::<i128>().map_err(|x| format!("bad $int: {x}"))?),
        "$float" => Value::Float(float(text(tag, v)?)?),
        "$bytes" => Value::Bytes(unhex(text(tag, v)?)?),
        "$uuid" => Value::Uuid(parse_uuid(text(tag, v)?).map_err(e)?),
        "$datetime" => Value::DateTime(DateTime::parse(text(tag, v)?).map_err(e)?),
        "$date" => Value::Date(Date::parse(text(tag, v)?).map_err(e)?),
        "$time" => Value::Time(Time::parse(text(tag, v)?).map_err(e)?),
        "$set" => Value::Set(v.as_array().ok_or("$set expects an array")?.iter().map(value).collect::<Result<_, _>>()?),
        "$map" => Value::Map(
            v.as_array()
                .ok_or("$map expects an array")?
                .iter()
                .map(|pair| match pair.as_array().map(Vec::as_slice) {
                    Some([k, v]) => Ok((value(k)?, value(v)?)),
                    _ => Err("$map entries are [key, value]".to_string()),
                })
                .collect::<Result<_, _>>()?,
        ),
        other => return Err(format!("unknown tag {other}")),
    })
}

/// Structural equality where floats compare by bit pattern (so NaN equals NaN).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (Value::Array(x), Value::Array(y)) | (Value::Set(x), Value::Set(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k1, v1), (k2, v2))| same(k1, k2) && same(v1, v2))
        }
        _ => a == b,
    }
}

/// Converts a `Value` to tagged JSON (the inverse of [`value`] for every taggable variant).
pub fn to_json(v: &Value) -> Json {
    use serde_json::json;
    match v {
        Value::Nil => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) if (-(1i128 << 53)..=(1i128 << 53)).contains(i) => json!(*i as i64),
        Value::Int(i) => json!({"$int": i.to_string()}),
        Value::Float(f) if f.is_nan() => json!({"$float": "nan"}),
        Value::Float(f) if f.is_infinite() => json!({"$float": if *f > 0.0 { "inf" } else { "-inf" }}),
        Value::Float(f) => json!({"$float": format!("{f:?}")}),
        Value::Str(s) => Json::String(s.clone()),
        Value::Bytes(b) => json!({"$bytes": hex(b)}),
        Value::Array(a) => Json::Array(a.iter().map(to_json).collect()),
        Value::Set(a) => json!({"$set": a.iter().map(to_json).collect::<Vec<_>>()}),
        // A plain object when every key is a string, unless it would read back as a tag.
        Value::Map(m)
            if m.iter().all(|(k, _)| k.as_str().is_some())
                && !(m.len() == 1 && m[0].0.as_str().is_some_and(|k| k.starts_with('$'))) =>
        {
            Json::Object(m.iter().map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), to_json(v))).collect())
        }
        Value::Map(m) => json!({"$map": m.iter().map(|(k, v)| json!([to_json(k), to_json(v)])).collect::<Vec<_>>()}),
        Value::DateTime(d) => json!({"$datetime": d.to_string()}),
        Value::Date(d) => json!({"$date": d.to_string()}),
        Value::Time(t) => json!({"$time": t.to_string()}),
        Value::Uuid(u) => json!({"$uuid": cachekit::value::format_uuid(u)}),
        Value::Ext(t, b) => json!({"$ext": [t, hex(b)]}),
    }
}
