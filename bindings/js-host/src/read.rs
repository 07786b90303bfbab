//! JavaScript → core: [`ToCore`] and the argument readers built on it.

use cachekit::temporal::{Date, DateTime, Time};
use cachekit::value::parse_uuid;
use cachekit::{ErrorKind, Value};

use crate::fail;
use crate::host::{Class, Host, Kind};

/// Deeper than this the conversion stops (a bound on its recursion): the core refuses values
/// nested deeper than [`cachekit::msgpack::bounds::MAX_DEPTH`] (512) anyway, and this stop gives
/// the same error.
const MAX_DEPTH: usize = 1000;

const BAD_PAIRS: &str = "MapEntries.entries must be an array of [key, value] pairs";

/// Converts JavaScript values to core values (see the crate's table).
pub struct ToCore<H: Host> {
    host: H,
    /// Containers on the current path, for cycle detection.
    path: Vec<H::V>,
}

impl<H: Host> ToCore<H> {
    /// A conversion over `host`.
    pub fn new(host: H) -> ToCore<H> {
        ToCore { host, path: Vec::new() }
    }

    /// Converts one value.
    pub fn value(&mut self, v: &H::V) -> Result<Value, H::Err> {
        match self.host.kind(v)? {
            Kind::Nil => Ok(Value::Nil),
            Kind::Bool(b) => Ok(Value::Bool(b)),
            Kind::Number(x) => Ok(Value::from_js_number(x)),
            Kind::String => Ok(Value::Str(self.host.string(v)?)),
            Kind::BigInt => match self.host.bigint(v)? {
                Some(i) => Ok(Value::Int(i)),
                None => Err(fail(ErrorKind::IntegerOutOfRange, "bigint outside [-2^63, 2^64-1]")),
            },
            Kind::Object => self.object(v),
            Kind::Function => {
                Err(fail(ErrorKind::UnsupportedType, "a function cannot be cached (only data: see the value mapping)"))
            }
            Kind::Symbol => Err(fail(ErrorKind::UnsupportedType, "a symbol cannot be cached")),
            Kind::Other => Err(fail(ErrorKind::UnsupportedType, "this JavaScript value cannot be cached")),
        }
    }

    /// Puts a container on the path: refused when it is already there (a cycle) or the path
    /// is too deep.
    fn enter(&mut self, v: &H::V) -> Result<(), H::Err> {
        if self.path.len() >= MAX_DEPTH {
            let limit = cachekit::msgpack::bounds::MAX_DEPTH;
            return Err(fail(ErrorKind::ValueTooLarge, format!("value nested deeper than {limit} levels")));
        }
        for i in 0..self.path.len() {
            if self.host.same(&self.path[i], v)? {
                return Err(fail(
                    ErrorKind::UnsupportedType,
                    "a cyclic structure cannot be cached (an object contains itself)",
                ));
            }
        }
        self.path.push(v.clone());
        Ok(())
    }

    /// Converts the container `v` with `f`, `v` on the path meanwhile.
    fn within<T>(&mut self, v: &H::V, f: impl FnOnce(&mut Self) -> Result<T, H::Err>) -> Result<T, H::Err> {
        self.enter(v)?;
        let r = f(self)?;
        self.path.pop();
        Ok(r)
    }

    /// The elements of a JS array, converted.
    fn items(&mut self, array: &H::V) -> Result<Vec<Value>, H::Err> {
        let n = self.host.len(array)?;
        let mut items = Vec::with_capacity(n as usize);
        for i in 0..n {
            let x = self.host.element(array, i)?;
            items.push(self.value(&x)?);
        }
        Ok(items)
    }

    /// A JS array of `[key, value]` pairs (a `Map` through `Array.from`, or
    /// `MapEntries.entries`), converted.
    fn pairs(&mut self, pairs: &H::V) -> Result<Vec<(Value, Value)>, H::Err> {
        if !self.host.is_array(pairs)? {
            return Err(fail(ErrorKind::InvalidArgument, BAD_PAIRS));
        }
        let n = self.host.len(pairs)?;
        let mut entries = Vec::with_capacity(n as usize);
        for i in 0..n {
            let pair = self.host.element(pairs, i)?;
            if !self.host.is_array(&pair)? || self.host.len(&pair)? != 2 {
                return Err(fail(ErrorKind::InvalidArgument, BAD_PAIRS));
            }
            let k = self.host.element(&pair, 0)?;
            let k = self.value(&k)?;
            let x = self.host.element(&pair, 1)?;
            let x = self.value(&x)?;
            entries.push((k, x));
        }
        Ok(entries)
    }

    /// A plain object's own enumerable string-keyed properties, converted.
    fn properties(&mut self, v: &H::V) -> Result<Vec<(Value, Value)>, H::Err> {
        let keys = self.host.own_keys(v)?;
        let n = self.host.len(&keys)?;
        let mut entries = Vec::with_capacity(n as usize);
        for i in 0..n {
            let k = self.host.element(&keys, i)?;
            let key = self.host.string(&k)?;
            let x = self.host.get(v, &k)?;
            entries.push((Value::Str(key), self.value(&x)?));
        }
        Ok(entries)
    }

    /// The `value` text of a wrapper class instance (`IsoDateTime`, `LocalDate`, …).
    fn text(&mut self, v: &H::V, class: &str) -> Result<String, H::Err> {
        let x = self.host.get_named(v, c"value")?;
        if self.host.kind(&x)? != Kind::String {
            return Err(fail(ErrorKind::InvalidArgument, format!("{class}.value must be a string")));
        }
        self.host.string(&x)
    }

    fn object(&mut self, v: &H::V) -> Result<Value, H::Err> {
        if self.host.is_array(v)? {
            return self.within(v, |s| s.items(v)).map(Value::Array);
        }
        if let Some(b) = self.host.bytes(v)? {
            return Ok(Value::Bytes(b));
        }
        if let Some(ms) = self.host.date_millis(v)? {
            return Ok(Value::DateTime(DateTime::from_unix_millis_f64(ms)?));
        }
        if self.host.is_plain_object(v)? {
            return self.within(v, |s| s.properties(v)).map(Value::Map);
        }
        match self.host.class_of(v)? {
            Some(Class::Map) => self.within(v, |s| {
                let pairs = s.host.array_from(v)?;
                s.pairs(&pairs).map(Value::Map)
            }),
            Some(Class::Set) => self.within(v, |s| {
                let items = s.host.array_from(v)?;
                s.items(&items).map(Value::Set)
            }),
            Some(Class::MapEntries) => self.within(v, |s| {
                let pairs = s.host.get_named(v, c"entries")?;
                s.pairs(&pairs).map(Value::Map)
            }),
            Some(Class::Float) => {
                let x = self.host.get_named(v, c"value")?;
                match self.host.kind(&x)? {
                    Kind::Number(x) => Ok(Value::Float(x)),
                    _ => Err(fail(ErrorKind::InvalidArgument, "Float.value must be a number")),
                }
            }
            Some(Class::IsoDateTime) => Ok(Value::DateTime(DateTime::parse(&self.text(v, "IsoDateTime")?)?)),
            Some(Class::LocalDate) => Ok(Value::Date(Date::parse(&self.text(v, "LocalDate")?)?)),
            Some(Class::LocalTime) => Ok(Value::Time(Time::parse(&self.text(v, "LocalTime")?)?)),
            Some(Class::Uuid) => Ok(Value::Uuid(parse_uuid(&self.text(v, "Uuid")?)?)),
            Some(Class::Ext) => {
                let t = self.host.get_named(v, c"type")?;
                let t = match self.host.kind(&t)? {
                    Kind::Number(t) if t.fract() == 0.0 && (-128.0..=127.0).contains(&t) => t as i8,
                    _ => return Err(fail(ErrorKind::InvalidArgument, "Ext.type must be an integer in -128..=127")),
                };
                let data = self.host.get_named(v, c"data")?;
                Ok(Value::Ext(t, self.host.bytes(&data)?.unwrap_or_default()))
            }
            None if self.host.is_view(v)? => {
                // Typed arrays other than Uint8Array, DataView: say so rather than "class instance".
                Err(fail(ErrorKind::UnsupportedType, "only Uint8Array/Buffer/ArrayBuffer are cached as bytes"))
            }
            None => {
                let name = self.class_name(v);
                Err(fail(
                    ErrorKind::UnsupportedType,
                    format!("a class instance ({name}) cannot be cached: convert it to a plain object"),
                ))
            }
        }
    }

    /// `v.constructor.name`, or `object` when there is none.
    fn class_name(&self, v: &H::V) -> String {
        let name = || -> Result<Option<String>, H::Err> {
            let ctor = self.host.get_named(v, c"constructor")?;
            if self.host.kind(&ctor)? != Kind::Function {
                return Ok(None);
            }
            let n = self.host.get_named(&ctor, c"name")?;
            if self.host.kind(&n)? != Kind::String {
                return Ok(None);
            }
            self.host.string(&n).map(Some)
        };
        match name() {
            Ok(Some(s)) if !s.is_empty() => s,
            _ => "object".into(),
        }
    }
}

/// Converts a JavaScript array of arguments (`undefined`/`null` is no arguments).
pub fn to_core_list<H: Host>(host: H, v: &H::V, what: &str) -> Result<Vec<Value>, H::Err> {
    match ToCore::new(host).value(v)? {
        Value::Array(a) => Ok(a),
        Value::Nil => Ok(Vec::new()),
        _ => Err(fail(ErrorKind::InvalidArgument, format!("{what} must be an array"))),
    }
}

/// Reads a string argument (lone surrogates refused).
pub fn string_arg<H: Host>(host: &H, v: &H::V, what: &str) -> Result<String, H::Err> {
    if host.kind(v)? != Kind::String {
        return Err(fail(ErrorKind::InvalidArgument, format!("{what} must be a string")));
    }
    host.string(v)
}

/// Reads a byte argument (`Uint8Array`, `Buffer` or `ArrayBuffer`) into a `Vec` (one copy).
pub fn bytes_arg<H: Host>(host: &H, v: &H::V, what: &str) -> Result<Vec<u8>, H::Err> {
    let b = if host.kind(v)? == Kind::Object { host.bytes(v)? } else { None };
    match b {
        Some(b) => Ok(b),
        None => Err(fail(ErrorKind::InvalidArgument, format!("{what} must be a Uint8Array or Buffer"))),
    }
}
