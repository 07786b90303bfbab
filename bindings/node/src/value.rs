//! JavaScript values ⇄ the core's [`Value`], following the table in `core/src/value.rs`.
//!
//! | JavaScript | core |
//! |---|---|
//! | `null`, `undefined` | `Nil` |
//! | `boolean` | `Bool` |
//! | `number` that is a safe integer (not `-0`) | `Int` |
//! | any other `number` (fraction, beyond ±(2^53−1), NaN, ±Infinity, `-0`) | `Float` |
//! | `bigint` | `Int` (the core refuses values outside [−2^63, 2^64−1]) |
//! | `string` (lone surrogates refused: `invalid_string`) | `Str` |
//! | `Uint8Array`, `Buffer`, `ArrayBuffer` | `Bytes` |
//! | `Array` | `Array` |
//! | plain object (own enumerable string keys, in order) | `Map` with string keys |
//! | `Map` (any keys, in order) | `Map` |
//! | `MapEntries([[k, v], …])` | `Map` exactly as listed (duplicates and order kept) |
//! | `Set` | `Set` |
//! | `Date` (UTC, millisecond precision) | aware `DateTime` |
//! | `Float(x)` | `Float` (a float with an integral value) |
//! | `IsoDateTime(text)` | `DateTime` (naive, any offset, microseconds) |
//! | `LocalDate(text)`, `LocalTime(text)` | `Date`, `Time` |
//! | `Uuid(text)` | `Uuid` |
//! | `Ext(type, data)` | `Ext` (refused by every writer) |
//!
//! Functions, symbols, class instances, typed arrays other than `Uint8Array`, and cycles are
//! refused with `unsupported_type`.
//!
//! Reading back (the *natural* form): safe integers as `number`, other integers as `bigint`,
//! floats as `number`, bytes as `Buffer`, maps with only string keys as plain objects (others
//! as `Map`), datetimes as `Date` (a naive datetime is read as UTC; precision below a
//! millisecond is dropped), dates, times, UUIDs and ext values as their wrapper classes.
//! The *exact* form (for tools and the conformance runner) loses nothing: every integer is a
//! `bigint`, every float a `Float`, every map a `MapEntries`, every datetime an `IsoDateTime`.

use std::cell::RefCell;

use napi::sys;

use cachekit::temporal::{Date, DateTime, Time};
use cachekit::value::{JS_MAX_SAFE_INTEGER, format_uuid, parse_uuid};
use cachekit::{ErrorKind, Value};

use crate::js::{Js, R, ck};

type V = sys::napi_value;

/// The JavaScript constructors and prototypes the mapping compares against, registered once
/// per thread by the package's loader (`registerRuntime`).
struct Runtime {
    object_proto: sys::napi_ref,
    map: sys::napi_ref,
    set: sys::napi_ref,
    array_from: sys::napi_ref,
    float: sys::napi_ref,
    iso_datetime: sys::napi_ref,
    local_date: sys::napi_ref,
    local_time: sys::napi_ref,
    uuid: sys::napi_ref,
    ext: sys::napi_ref,
    map_entries: sys::napi_ref,
    hit_step: sys::napi_ref,
    step: sys::napi_ref,
    command: sys::napi_ref,
}

thread_local! {
    static RUNTIME: RefCell<Option<Runtime>> = const { RefCell::new(None) };
}

/// Stores the constructors the mapping needs: `{objectPrototype, Map, Set, arrayFrom, Float,
/// IsoDateTime, LocalDate, LocalTime, Uuid, Ext, MapEntries}`.
pub fn register(js: Js, obj: V) -> R<()> {
    let get = |name: &std::ffi::CStr| -> R<sys::napi_ref> {
        let v = js.get_named(obj, name)?;
        if js.type_of(v)? == sys::ValueType::napi_undefined {
            return ck(ErrorKind::InvalidArgument, format!("registerRuntime: {} is missing", name.to_string_lossy()));
        }
        js.reference(v)
    };
    let rt = Runtime {
        object_proto: get(c"objectPrototype")?,
        map: get(c"Map")?,
        set: get(c"Set")?,
        array_from: get(c"arrayFrom")?,
        float: get(c"Float")?,
        iso_datetime: get(c"IsoDateTime")?,
        local_date: get(c"LocalDate")?,
        local_time: get(c"LocalTime")?,
        uuid: get(c"Uuid")?,
        ext: get(c"Ext")?,
        map_entries: get(c"MapEntries")?,
        hit_step: get(c"hitStep")?,
        step: get(c"step")?,
        command: get(c"command")?,
    };
    // References of a previous registration are left alive: registration happens once per
    // thread, and a second one (a test reloading the loader) leaks a handful of handles.
    RUNTIME.with(|r| *r.borrow_mut() = Some(rt));
    Ok(())
}

/// The runtime's handles, resolved for the current call.
#[derive(Clone, Copy)]
struct Handles {
    object_proto: V,
    map: V,
    set: V,
    array_from: V,
    float: V,
    iso_datetime: V,
    local_date: V,
    local_time: V,
    uuid: V,
    ext: V,
    map_entries: V,
}

/// The runtime's step and command builders (they build the plain objects in JavaScript: one
/// call instead of a dozen property writes through Node-API, and objects of one shape).
#[derive(Clone, Copy)]
pub enum Builder {
    /// `hitStep(op, wake, value, json, source, refreshAhead)`, parsing `json` when given.
    Hit,
    /// `step(op, wake, code, a, b, c, d)`: a send (codes 0–10, the command built from
    /// `a`–`d`), compute (20), sleep (21), or done with a non-hit outcome (30–36).
    Step,
    /// `command(code, a, b, c, d)`: a command object alone.
    Command,
}

/// One of the runtime's builders, resolved for the current call.
pub fn builder(js: Js, which: Builder) -> R<V> {
    RUNTIME.with(|r| match r.borrow().as_ref() {
        Some(rt) => js.deref(match which {
            Builder::Hit => rt.hit_step,
            Builder::Step => rt.step,
            Builder::Command => rt.command,
        }),
        None => ck(ErrorKind::Internal, "the addon's value runtime is not registered (load it through the package)"),
    })
}

fn handles(js: Js) -> R<Handles> {
    RUNTIME.with(|r| {
        let r = r.borrow();
        let Some(rt) = r.as_ref() else {
            return ck(
                ErrorKind::Internal,
                "the addon's value runtime is not registered (load it through the package)",
            );
        };
        Ok(Handles {
            object_proto: js.deref(rt.object_proto)?,
            map: js.deref(rt.map)?,
            set: js.deref(rt.set)?,
            array_from: js.deref(rt.array_from)?,
            float: js.deref(rt.float)?,
            iso_datetime: js.deref(rt.iso_datetime)?,
            local_date: js.deref(rt.local_date)?,
            local_time: js.deref(rt.local_time)?,
            uuid: js.deref(rt.uuid)?,
            ext: js.deref(rt.ext)?,
            map_entries: js.deref(rt.map_entries)?,
        })
    })
}

/// Deeper than this the conversion stops: the core's own bound (512) refuses such values
/// anyway, with its own error.
const MAX_DEPTH: usize = 1000;

/// Converts JavaScript values to core values.
pub struct ToCore {
    js: Js,
    h: Option<Handles>,
    /// Containers on the current path, for cycle detection.
    path: Vec<V>,
}

impl ToCore {
    pub fn new(js: Js) -> ToCore {
        ToCore { js, h: None, path: Vec::new() }
    }

    fn h(&mut self) -> R<Handles> {
        if let Some(h) = self.h {
            return Ok(h);
        }
        let h = handles(self.js)?;
        self.h = Some(h);
        Ok(h)
    }

    /// Converts one value.
    pub fn value(&mut self, v: V) -> R<Value> {
        let js = self.js;
        match js.type_of(v)? {
            sys::ValueType::napi_undefined | sys::ValueType::napi_null => Ok(Value::Nil),
            sys::ValueType::napi_boolean => Ok(Value::Bool(js.get_bool(v)?)),
            sys::ValueType::napi_number => Ok(Value::from_js_number(js.get_f64(v)?)),
            sys::ValueType::napi_string => Ok(Value::Str(js.get_string(v)?)),
            sys::ValueType::napi_bigint => bigint(js, v).map(Value::Int),
            sys::ValueType::napi_object => self.object(v),
            sys::ValueType::napi_function => {
                ck(ErrorKind::UnsupportedType, "a function cannot be cached (only data: see the value mapping)")
            }
            sys::ValueType::napi_symbol => ck(ErrorKind::UnsupportedType, "a symbol cannot be cached"),
            _ => ck(ErrorKind::UnsupportedType, "this JavaScript value cannot be cached"),
        }
    }

    fn enter(&mut self, v: V) -> R<()> {
        if self.path.len() >= MAX_DEPTH {
            return ck(ErrorKind::DecodeBounds, format!("value nested deeper than {MAX_DEPTH} levels"));
        }
        for &a in &self.path {
            if self.js.strict_equals(a, v)? {
                return ck(
                    ErrorKind::UnsupportedType,
                    "a cyclic structure cannot be cached (an object contains itself)",
                );
            }
        }
        self.path.push(v);
        Ok(())
    }

    /// The elements of a JS array, converted.
    fn items(&mut self, array: V) -> R<Vec<Value>> {
        let js = self.js;
        let n = js.array_len(array)?;
        let mut items = Vec::with_capacity(n as usize);
        for i in 0..n {
            items.push(self.value(js.element(array, i)?)?);
        }
        Ok(items)
    }

    /// A JS array of `[key, value]` pairs (a `Map` through `Array.from`, or `MapEntries.entries`),
    /// converted.
    fn pairs(&mut self, pairs: V) -> R<Vec<(Value, Value)>> {
        let js = self.js;
        let n = js.array_len(pairs)?;
        let mut entries = Vec::with_capacity(n as usize);
        for i in 0..n {
            let pair = js.element(pairs, i)?;
            if !js.is_array(pair)? || js.array_len(pair)? != 2 {
                return ck(ErrorKind::InvalidArgument, "MapEntries.entries must be an array of [key, value] pairs");
            }
            let k = self.value(js.element(pair, 0)?)?;
            let val = self.value(js.element(pair, 1)?)?;
            entries.push((k, val));
        }
        Ok(entries)
    }

    fn object(&mut self, v: V) -> R<Value> {
        let js = self.js;
        if js.is_array(v)? {
            self.enter(v)?;
            let items = self.items(v)?;
            self.path.pop();
            return Ok(Value::Array(items));
        }
        if let Some(b) = js.uint8_bytes(v)? {
            return Ok(Value::Bytes(b.to_vec()));
        }
        if let Some(b) = js.arraybuffer_bytes(v)? {
            return Ok(Value::Bytes(b.to_vec()));
        }
        if js.is_date(v)? {
            return Ok(Value::DateTime(DateTime::from_unix_millis_f64(js.date_value(v)?)?));
        }
        let proto = js.prototype(v)?;
        let h = self.h()?;
        if js.type_of(proto)? == sys::ValueType::napi_null || js.strict_equals(proto, h.object_proto)? {
            self.enter(v)?;
            let keys = js.own_keys(v)?;
            let n = js.array_len(keys)?;
            let mut entries = Vec::with_capacity(n as usize);
            for i in 0..n {
                let k = js.element(keys, i)?;
                let key = js.get_string(k)?;
                let val = self.value(js.get(v, k)?)?;
                entries.push((Value::Str(key), val));
            }
            self.path.pop();
            return Ok(Value::Map(entries));
        }
        if js.instance_of(v, h.map)? {
            self.enter(v)?;
            let entries = self.pairs(js.call(js.undefined()?, h.array_from, &[v])?)?;
            self.path.pop();
            return Ok(Value::Map(entries));
        }
        if js.instance_of(v, h.set)? {
            self.enter(v)?;
            let items = self.items(js.call(js.undefined()?, h.array_from, &[v])?)?;
            self.path.pop();
            return Ok(Value::Set(items));
        }
        if js.instance_of(v, h.map_entries)? {
            self.enter(v)?;
            let pairs = js.get_named(v, c"entries")?;
            if !js.is_array(pairs)? {
                return ck(ErrorKind::InvalidArgument, "MapEntries.entries must be an array of [key, value] pairs");
            }
            let entries = self.pairs(pairs)?;
            self.path.pop();
            return Ok(Value::Map(entries));
        }
        if js.instance_of(v, h.float)? {
            let x = js.get_named(v, c"value")?;
            if js.type_of(x)? != sys::ValueType::napi_number {
                return ck(ErrorKind::InvalidArgument, "Float.value must be a number");
            }
            return Ok(Value::Float(js.get_f64(x)?));
        }
        let text = |what: &str| -> R<String> {
            let x = js.get_named(v, c"value")?;
            if js.type_of(x)? != sys::ValueType::napi_string {
                return ck(ErrorKind::InvalidArgument, format!("{what}.value must be a string"));
            }
            js.get_string(x)
        };
        if js.instance_of(v, h.iso_datetime)? {
            return Ok(Value::DateTime(DateTime::parse(&text("IsoDateTime")?)?));
        }
        if js.instance_of(v, h.local_date)? {
            return Ok(Value::Date(Date::parse(&text("LocalDate")?)?));
        }
        if js.instance_of(v, h.local_time)? {
            return Ok(Value::Time(Time::parse(&text("LocalTime")?)?));
        }
        if js.instance_of(v, h.uuid)? {
            return Ok(Value::Uuid(parse_uuid(&text("Uuid")?)?));
        }
        if js.instance_of(v, h.ext)? {
            let t = js.get_f64(js.get_named(v, c"type")?)?;
            let data = js.get_named(v, c"data")?;
            let bytes = js.uint8_bytes(data)?.map(<[u8]>::to_vec).unwrap_or_default();
            if !(t.fract() == 0.0 && (-128.0..=127.0).contains(&t)) {
                return ck(ErrorKind::InvalidArgument, "Ext.type must be an integer in -128..=127");
            }
            return Ok(Value::Ext(t as i8, bytes));
        }
        let mut typed = false;
        // Typed arrays other than Uint8Array, DataView: say so rather than "class instance".
        unsafe {
            sys::napi_is_typedarray(js.env, v, &mut typed);
        }
        if typed {
            return ck(ErrorKind::UnsupportedType, "only Uint8Array/Buffer/ArrayBuffer are cached as bytes");
        }
        ck(
            ErrorKind::UnsupportedType,
            format!("a class instance ({}) cannot be cached: convert it to a plain object", class_name(js, v)),
        )
    }
}

fn class_name(js: Js, v: V) -> String {
    let name = || -> R<String> {
        let ctor = js.get_named(v, c"constructor")?;
        if js.type_of(ctor)? != sys::ValueType::napi_function {
            return Ok("object".into());
        }
        let n = js.get_named(ctor, c"name")?;
        if js.type_of(n)? != sys::ValueType::napi_string {
            return Ok("object".into());
        }
        js.get_string(n)
    };
    match name() {
        Ok(s) if !s.is_empty() => s,
        _ => "object".into(),
    }
}

fn bigint(js: Js, v: V) -> R<i128> {
    let (negative, words) = js.bigint_words(v)?;
    let out_of_range = || ck(ErrorKind::IntegerOutOfRange, "bigint outside [-2^63, 2^64-1]");
    if words.iter().skip(2).any(|&w| w != 0) {
        return out_of_range();
    }
    let mag = u128::from(words.first().copied().unwrap_or(0)) | (u128::from(words.get(1).copied().unwrap_or(0)) << 64);
    if negative {
        if mag > (1u128 << 127) {
            return out_of_range();
        }
        Ok((mag as i128).wrapping_neg())
    } else if mag > i128::MAX as u128 {
        out_of_range()
    } else {
        Ok(mag as i128)
    }
}

/// Converts core values to JavaScript values.
pub struct ToJs {
    js: Js,
    exact: bool,
    h: Option<Handles>,
}

impl ToJs {
    /// `exact`: the lossless form (see the module documentation).
    pub fn new(js: Js, exact: bool) -> ToJs {
        ToJs { js, exact, h: None }
    }

    fn h(&mut self) -> R<Handles> {
        if let Some(h) = self.h {
            return Ok(h);
        }
        let h = handles(self.js)?;
        self.h = Some(h);
        Ok(h)
    }

    fn wrap(&mut self, ctor: fn(&Handles) -> V, args: &[V]) -> R<V> {
        let h = self.h()?;
        self.js.construct(ctor(&h), args)
    }

    pub fn value(&mut self, v: &Value) -> R<V> {
        let js = self.js;
        match v {
            Value::Nil => js.null(),
            Value::Bool(b) => js.boolean(*b),
            Value::Int(i) => {
                if !self.exact && (i.unsigned_abs() as f64) <= JS_MAX_SAFE_INTEGER {
                    js.number(*i as f64)
                } else {
                    let mag = i.unsigned_abs();
                    js.bigint(*i < 0, &[mag as u64, (mag >> 64) as u64])
                }
            }
            Value::Float(x) => {
                let n = js.number(*x)?;
                if self.exact { self.wrap(|h| h.float, &[n]) } else { Ok(n) }
            }
            Value::Str(s) => js.string(s),
            Value::Bytes(b) => js.buffer(b),
            Value::Array(items) => {
                let a = js.array(items.len())?;
                for (i, x) in items.iter().enumerate() {
                    let e = self.value(x)?;
                    js.set_element(a, i as u32, e)?;
                }
                Ok(a)
            }
            Value::Map(entries) => {
                if !self.exact && entries.iter().all(|(k, _)| matches!(k, Value::Str(_))) {
                    let o = js.object()?;
                    for (k, x) in entries {
                        let Value::Str(ks) = k else { unreachable!("checked above") };
                        let key = js.string(ks)?;
                        let val = self.value(x)?;
                        if ks == "__proto__" { js.define(o, key, val)? } else { js.set(o, key, val)? }
                    }
                    return Ok(o);
                }
                let pairs = js.array(entries.len())?;
                for (i, (k, x)) in entries.iter().enumerate() {
                    let pair = js.array(2)?;
                    let kv = self.value(k)?;
                    js.set_element(pair, 0, kv)?;
                    let vv = self.value(x)?;
                    js.set_element(pair, 1, vv)?;
                    js.set_element(pairs, i as u32, pair)?;
                }
                if self.exact { self.wrap(|h| h.map_entries, &[pairs]) } else { self.wrap(|h| h.map, &[pairs]) }
            }
            Value::Set(items) => {
                let a = js.array(items.len())?;
                for (i, x) in items.iter().enumerate() {
                    let e = self.value(x)?;
                    js.set_element(a, i as u32, e)?;
                }
                self.wrap(|h| h.set, &[a])
            }
            Value::DateTime(dt) => {
                if self.exact {
                    let s = js.string(&dt.to_string())?;
                    self.wrap(|h| h.iso_datetime, &[s])
                } else {
                    js.date(dt.unix_millis_utc() as f64)
                }
            }
            Value::Date(d) => {
                let s = js.string(&d.to_string())?;
                self.wrap(|h| h.local_date, &[s])
            }
            Value::Time(t) => {
                let s = js.string(&t.to_string())?;
                self.wrap(|h| h.local_time, &[s])
            }
            Value::Uuid(u) => {
                let s = js.string(&format_uuid(u))?;
                self.wrap(|h| h.uuid, &[s])
            }
            Value::Ext(t, data) => {
                let tv = js.number(f64::from(*t))?;
                let dv = js.buffer(data)?;
                self.wrap(|h| h.ext, &[tv, dv])
            }
        }
    }
}

/// Converts a JavaScript value (for callers that hold a [`Js`]).
pub fn to_core(js: Js, v: V) -> R<Value> {
    ToCore::new(js).value(v)
}

/// Converts a JavaScript array of arguments.
pub fn to_core_list(js: Js, v: V, what: &str) -> R<Vec<Value>> {
    match to_core(js, v)? {
        Value::Array(a) => Ok(a),
        Value::Nil => Ok(Vec::new()),
        _ => ck(ErrorKind::InvalidArgument, format!("{what} must be an array")),
    }
}

/// Reads a string argument (validated UTF-16).
pub fn string_arg(js: Js, v: V, what: &str) -> R<String> {
    if js.type_of(v)? != sys::ValueType::napi_string {
        return ck(ErrorKind::InvalidArgument, format!("{what} must be a string"));
    }
    js.get_string(v)
}

/// Reads a byte argument (`Uint8Array`, `Buffer` or `ArrayBuffer`) into a `Vec` (one copy).
pub fn bytes_arg(js: Js, v: V, what: &str) -> R<Vec<u8>> {
    if js.type_of(v)? == sys::ValueType::napi_object {
        if let Some(b) = js.uint8_bytes(v)? {
            return Ok(b.to_vec());
        }
        if let Some(b) = js.arraybuffer_bytes(v)? {
            return Ok(b.to_vec());
        }
    }
    ck(ErrorKind::InvalidArgument, format!("{what} must be a Uint8Array or Buffer"))
}
