//! PHP values ⇄ the core [`Value`] model (the rules are in `core/src/value.rs` and the README).
//!
//! PHP → core: `null`, `bool`, `int`, `float`; a `string` that is valid UTF-8 is `Str`, any
//! other string is `Bytes`; a list (`array_is_list`) is `Array`, any other array a `Map`
//! (int and string keys, in order); `DateTimeInterface` is an aware `DateTime` with its offset;
//! the wrappers `Cachekit\Bytes`, `BigInt`, `Uuid`, `Date`, `Time`, `DateTime`, `Set`, `Map`
//! say what a plain PHP value cannot. Every other object, closures and resources are refused
//! with `Cachekit\UnsupportedTypeException` (code 103).
//!
//! core → PHP ([`Shape::Php`], what the cache returns): `Bytes` become plain strings, maps
//! with int/string keys become arrays (others `Cachekit\Map`), aware datetimes become
//! `DateTimeImmutable`, integers beyond `PHP_INT_MAX` `Cachekit\BigInt`. [`Shape::Exact`]
//! (the protocol primitives) keeps every distinction with the wrappers.

use cachekit::Error;
use cachekit::temporal::DateTime as CDateTime;
use cachekit::value::format_uuid;
use cachekit::{ErrorKind, Value};
use ext_php_rs::convert::IntoZval;
use ext_php_rs::flags::DataType;
use ext_php_rs::types::{ArrayKey, ZendHashTable, ZendObject, Zval};
use ext_php_rs::zend::ClassEntry;

use crate::errors::{R, ck_err};
use crate::wrappers::{BigInt, Bytes, Date, Map, NaiveDateTime, Set, Time, Uuid};

/// Deepest nesting accepted from PHP (the core's decoders allow less; this only stops runaway
/// recursion through references).
const MAX_DEPTH: usize = 1000;

/// How core values come back to PHP.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shape {
    /// Idiomatic PHP values (the cache's return values).
    Php,
    /// Every distinction kept with wrapper objects (protocol primitives, the conformance runner).
    Exact,
}

/// A PHP value as a core value.
pub fn to_value(z: &Zval) -> R<Value> {
    crate::errors::ck(core_value(z))
}

/// [`to_value`], its failure as the core error (for the error hook, which makes the exception).
pub fn core_value(z: &Zval) -> cachekit::Result<Value> {
    conv(z, 0)
}

fn conv(z: &Zval, depth: usize) -> cachekit::Result<Value> {
    if depth > MAX_DEPTH {
        return Err(Error::new(ErrorKind::UnsupportedType, "value nested too deeply (a reference cycle?)"));
    }
    let z = z.dereference();
    Ok(match z.get_type() {
        DataType::Null | DataType::Undef => Value::Nil,
        DataType::False => Value::Bool(false),
        DataType::True => Value::Bool(true),
        DataType::Bool => Value::Bool(z.bool().unwrap_or(false)),
        DataType::Long => Value::Int(i128::from(z.long().unwrap_or(0))),
        DataType::Double => Value::Float(z.double().unwrap_or(0.0)),
        DataType::String => string_value(z.zend_str().map(|s| s.as_bytes()).unwrap_or_default()),
        DataType::Array => {
            let ht = z.array().expect("array zval");
            array_value(ht, depth)?
        }
        DataType::Object(_) => {
            let obj = z.object().expect("object zval");
            object_value(z, obj, depth)?
        }
        DataType::Resource => return Err(Error::new(ErrorKind::UnsupportedType, "a resource cannot be cached")),
        other => return Err(Error::new(ErrorKind::UnsupportedType, format!("a PHP {other} cannot be cached"))),
    })
}

/// Valid UTF-8 → `Str`, anything else → `Bytes`.
pub fn string_value(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(s) => Value::Str(s.to_owned()),
        Err(_) => Value::Bytes(bytes.to_vec()),
    }
}

fn key_value(k: &ArrayKey<'_>) -> Value {
    match k {
        ArrayKey::Long(i) => Value::Int(i128::from(*i)),
        ArrayKey::String(s) => Value::Str(s.clone()),
        ArrayKey::Str(s) => Value::Str((*s).to_owned()),
        ArrayKey::ZendString(s) => string_value(s.as_bytes()),
    }
}

fn array_value(ht: &ZendHashTable, depth: usize) -> cachekit::Result<Value> {
    if ht.has_sequential_keys() {
        let mut out = Vec::with_capacity(ht.len());
        for v in ht.values() {
            out.push(conv(v, depth + 1)?);
        }
        Ok(Value::Array(out))
    } else {
        let mut out = Vec::with_capacity(ht.len());
        for (k, v) in ht.iter() {
            out.push((key_value(&k), conv(v, depth + 1)?));
        }
        Ok(Value::Map(out))
    }
}

fn list_items(z: &Zval, what: &str, depth: usize) -> cachekit::Result<Vec<Value>> {
    let Some(ht) = z.dereference().array() else {
        return Err(Error::new(ErrorKind::InvalidArgument, format!("{what} must be an array")));
    };
    ht.values().map(|v| conv(v, depth + 1)).collect()
}

fn object_value(z: &Zval, obj: &ZendObject, depth: usize) -> cachekit::Result<Value> {
    if let Some(b) = z.extract::<&Bytes>() {
        return Ok(Value::Bytes(b.data.clone()));
    }
    if let Some(b) = z.extract::<&BigInt>() {
        return b.core();
    }
    if let Some(u) = z.extract::<&Uuid>() {
        return u.core();
    }
    if let Some(d) = z.extract::<&Date>() {
        return d.core();
    }
    if let Some(t) = z.extract::<&Time>() {
        return t.core();
    }
    if let Some(t) = z.extract::<&NaiveDateTime>() {
        return t.core();
    }
    if let Some(s) = z.extract::<&Set>() {
        return list_items(&s.items, "Cachekit\\Set items", depth).map(Value::Set);
    }
    if let Some(m) = z.extract::<&Map>() {
        let Some(ht) = m.entries.array() else {
            return Err(Error::new(ErrorKind::InvalidArgument, "Cachekit\\Map entries must be an array"));
        };
        let mut out = Vec::with_capacity(ht.len());
        for pair in ht.values() {
            let items = list_items(pair, "a Cachekit\\Map entry", depth)?;
            let [k, v]: [Value; 2] = items
                .try_into()
                .map_err(|_| Error::new(ErrorKind::InvalidArgument, "a Cachekit\\Map entry must be [key, value]"))?;
            out.push((k, v));
        }
        return Ok(Value::Map(out));
    }
    if let Some(ce) = ClassEntry::try_find("DateTimeInterface")
        && obj.instance_of(ce)
    {
        let iso = obj
            .try_call_method("format", vec![&"Y-m-d\\TH:i:s.uP"])
            .ok()
            .and_then(|z| z.string())
            .ok_or_else(|| Error::new(ErrorKind::InvalidTemporal, "DateTimeInterface::format failed"))?;
        return CDateTime::parse(&iso).map(Value::DateTime);
    }
    let class = obj.get_class_name().unwrap_or_else(|_| "object".to_owned());
    let what = if class == "Closure" { "a closure".to_owned() } else { format!("an object of class {class}") };
    Err(Error::new(
        ErrorKind::UnsupportedType,
        format!("{what} cannot be cached (use arrays and scalars, DateTimeInterface or the Cachekit\\ wrappers)"),
    ))
}

/// A core value as a PHP value.
pub fn from_value(v: &Value, shape: Shape) -> R<Zval> {
    let mut z = Zval::new();
    match v {
        Value::Nil => z.set_null(),
        Value::Bool(b) => z.set_bool(*b),
        Value::Int(i) => match i64::try_from(*i) {
            Ok(i) => z.set_long(i),
            Err(_) => return obj(BigInt { value: i.to_string() }),
        },
        Value::Float(f) => z.set_double(*f),
        Value::Str(s) => z.set_string(s, false).map_err(php_err)?,
        Value::Bytes(b) => match shape {
            Shape::Php => z.set_binary(b.clone()),
            Shape::Exact => return obj(Bytes { data: b.clone() }),
        },
        Value::Array(items) => {
            let mut ht = ZendHashTable::with_capacity(items.len() as u32);
            for item in items {
                ht.push(from_value(item, shape)?).map_err(php_err)?;
            }
            z.set_hashtable(ht);
        }
        Value::Map(entries) => {
            let plain = shape == Shape::Php
                && entries.iter().all(|(k, _)| match k {
                    Value::Str(_) => true,
                    Value::Int(i) => i64::try_from(*i).is_ok(),
                    _ => false,
                });
            if plain {
                let mut ht = ZendHashTable::with_capacity(entries.len() as u32);
                for (k, val) in entries {
                    let val = from_value(val, shape)?;
                    match k {
                        Value::Str(s) => ht.insert(s.as_str(), val).map_err(php_err)?,
                        Value::Int(i) => ht.insert(*i as i64, val).map_err(php_err)?,
                        _ => unreachable!("checked above"),
                    }
                }
                z.set_hashtable(ht);
            } else {
                let mut ht = ZendHashTable::with_capacity(entries.len() as u32);
                for (k, val) in entries {
                    let mut pair = ZendHashTable::with_capacity(2);
                    pair.push(from_value(k, shape)?).map_err(php_err)?;
                    pair.push(from_value(val, shape)?).map_err(php_err)?;
                    ht.push(pair).map_err(php_err)?;
                }
                let mut entries = Zval::new();
                entries.set_hashtable(ht);
                return obj(Map { entries });
            }
        }
        Value::Set(items) => {
            let mut ht = ZendHashTable::with_capacity(items.len() as u32);
            for item in items {
                ht.push(from_value(item, shape)?).map_err(php_err)?;
            }
            let mut items = Zval::new();
            items.set_hashtable(ht);
            return obj(Set { items });
        }
        Value::DateTime(dt) => {
            if shape == Shape::Php && dt.is_aware() {
                return date_create_immutable(&dt.to_string());
            }
            return obj(NaiveDateTime { value: dt.to_string() });
        }
        Value::Date(d) => return obj(Date { value: d.to_string() }),
        Value::Time(t) => return obj(Time { value: t.to_string() }),
        Value::Uuid(u) => return obj(Uuid { value: format_uuid(u) }),
        Value::Ext(t, data) => {
            let mut ht = ZendHashTable::with_capacity(2);
            ht.insert("type", i64::from(*t)).map_err(php_err)?;
            let mut d = Zval::new();
            d.set_binary(data.clone());
            ht.insert("data", d).map_err(php_err)?;
            z.set_hashtable(ht);
        }
    }
    Ok(z)
}

fn obj<T: IntoZval>(v: T) -> R<Zval> {
    v.into_zval(false).map_err(php_err)
}

fn date_create_immutable(iso: &str) -> R<Zval> {
    let f = ext_php_rs::types::ZendCallable::try_from_name("date_create_immutable").map_err(php_err)?;
    f.try_call(vec![&iso]).map_err(php_err)
}

/// An ext-php-rs error as a PHP exception (internal).
pub fn php_err(e: ext_php_rs::error::Error) -> ext_php_rs::exception::PhpException {
    ck_err(ErrorKind::Internal, format!("PHP interop: {e}"))
}
