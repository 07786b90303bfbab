//! JavaScript values ⇄ the core's [`Value`]: the napi addon's mapping
//! (`bindings/node/src/value.rs` has the table), over `js-sys`.
//!
//! Strings are checked for lone surrogates before they are read (`invalid_string`), since
//! `TextEncoder` would silently replace them. Bytes are read back as `Uint8Array`s, turned
//! into `Buffer`s when the runtime registers a `bytes` factory (the Node package does).

use std::cell::RefCell;

use js_sys::{Array, ArrayBuffer, Date as JsDate, Function, JsString, Object, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use cachekit::temporal::{Date, DateTime, Time};
use cachekit::value::{JS_MAX_SAFE_INTEGER, format_uuid, parse_uuid};
use cachekit::{ErrorKind, Value};

use crate::js::{R, ck, get};

/// The JavaScript classes the mapping recognises and builds, registered once by the loader.
struct Runtime {
    object_proto: JsValue,
    map: Function,
    map_proto: JsValue,
    set: Function,
    set_proto: JsValue,
    float: Function,
    float_proto: JsValue,
    iso_datetime: Function,
    iso_datetime_proto: JsValue,
    local_date: Function,
    local_date_proto: JsValue,
    local_time: Function,
    local_time_proto: JsValue,
    uuid: Function,
    uuid_proto: JsValue,
    ext: Function,
    ext_proto: JsValue,
    map_entries: Function,
    map_entries_proto: JsValue,
    bytes: Option<Function>,
}

thread_local! {
    static RUNTIME: RefCell<Option<std::rc::Rc<Runtime>>> = const { RefCell::new(None) };
}

/// Stores the classes the mapping needs: `{objectPrototype, Map, Set, Float, IsoDateTime,
/// LocalDate, LocalTime, Uuid, Ext, MapEntries, bytes?}` (other properties are ignored).
pub fn register(obj: &JsValue) -> R<()> {
    let ctor = |name: &str| -> R<(Function, JsValue)> {
        let v = get(obj, name)?;
        match v.dyn_into::<Function>() {
            Ok(f) => {
                let p = get(&f, "prototype")?;
                Ok((f, p))
            }
            Err(_) => ck(ErrorKind::InvalidArgument, format!("registerRuntime: {name} is missing")),
        }
    };
    let object_proto = get(obj, "objectPrototype")?;
    if !object_proto.is_object() {
        return ck(ErrorKind::InvalidArgument, "registerRuntime: objectPrototype is missing");
    }
    let (map, map_proto) = ctor("Map")?;
    let (set, set_proto) = ctor("Set")?;
    let (float, float_proto) = ctor("Float")?;
    let (iso_datetime, iso_datetime_proto) = ctor("IsoDateTime")?;
    let (local_date, local_date_proto) = ctor("LocalDate")?;
    let (local_time, local_time_proto) = ctor("LocalTime")?;
    let (uuid, uuid_proto) = ctor("Uuid")?;
    let (ext, ext_proto) = ctor("Ext")?;
    let (map_entries, map_entries_proto) = ctor("MapEntries")?;
    let bytes = get(obj, "bytes")?.dyn_into::<Function>().ok();
    let rt = Runtime {
        object_proto,
        map,
        map_proto,
        set,
        set_proto,
        float,
        float_proto,
        iso_datetime,
        iso_datetime_proto,
        local_date,
        local_date_proto,
        local_time,
        local_time_proto,
        uuid,
        uuid_proto,
        ext,
        ext_proto,
        map_entries,
        map_entries_proto,
        bytes,
    };
    RUNTIME.with(|r| *r.borrow_mut() = Some(std::rc::Rc::new(rt)));
    Ok(())
}

fn runtime() -> R<std::rc::Rc<Runtime>> {
    RUNTIME.with(|r| match r.borrow().as_ref() {
        Some(rt) => Ok(rt.clone()),
        None => ck(ErrorKind::Internal, "the module's value runtime is not registered (load it through the package)"),
    })
}

/// The registered runtime, looked up once per conversion (`slot` keeps it).
fn cached_runtime(slot: &mut Option<std::rc::Rc<Runtime>>) -> R<std::rc::Rc<Runtime>> {
    if let Some(rt) = slot {
        return Ok(rt.clone());
    }
    let rt = runtime()?;
    *slot = Some(rt.clone());
    Ok(rt)
}

/// A JavaScript string, refused with `invalid_string` when it holds a lone surrogate.
pub fn js_string(v: &JsValue) -> R<String> {
    let s: &JsString = v.unchecked_ref();
    if !s.is_valid_utf16() {
        return ck(ErrorKind::InvalidString, "string holds a lone surrogate (not well-formed Unicode)");
    }
    Ok(String::from(s))
}

/// Bytes as the runtime wants them (`Buffer` in Node, `Uint8Array` elsewhere).
pub fn bytes_js(b: &[u8]) -> R<JsValue> {
    let u = Uint8Array::from(b);
    match RUNTIME.with(|r| r.borrow().as_ref().and_then(|rt| rt.bytes.clone())) {
        Some(f) => Ok(f.call1(&JsValue::UNDEFINED, &u)?),
        None => Ok(u.into()),
    }
}

/// Deeper than this the conversion stops (the core's own bound, 512, refuses earlier).
const MAX_DEPTH: usize = 1000;

/// Converts JavaScript values to core values.
pub struct ToCore {
    rt: Option<std::rc::Rc<Runtime>>,
    /// Containers on the current path, for cycle detection.
    path: Vec<JsValue>,
}

impl Default for ToCore {
    fn default() -> Self {
        ToCore::new()
    }
}

impl ToCore {
    pub fn new() -> ToCore {
        ToCore { rt: None, path: Vec::new() }
    }

    fn rt(&mut self) -> R<std::rc::Rc<Runtime>> {
        cached_runtime(&mut self.rt)
    }

    /// Converts one value.
    pub fn value(&mut self, v: &JsValue) -> R<Value> {
        if v.is_undefined() || v.is_null() {
            return Ok(Value::Nil);
        }
        if let Some(b) = v.as_bool() {
            return Ok(Value::Bool(b));
        }
        if let Some(x) = v.as_f64() {
            return Ok(Value::from_js_number(x));
        }
        if v.is_string() {
            return Ok(Value::Str(js_string(v)?));
        }
        if v.is_bigint() {
            return bigint(v).map(Value::Int);
        }
        if v.is_function() {
            return ck(ErrorKind::UnsupportedType, "a function cannot be cached (only data: see the value mapping)");
        }
        if v.is_symbol() {
            return ck(ErrorKind::UnsupportedType, "a symbol cannot be cached");
        }
        if v.is_object() {
            return self.object(v);
        }
        ck(ErrorKind::UnsupportedType, "this JavaScript value cannot be cached")
    }

    fn enter(&mut self, v: &JsValue) -> R<()> {
        if self.path.len() >= MAX_DEPTH {
            return ck(ErrorKind::DecodeBounds, format!("value nested deeper than {MAX_DEPTH} levels"));
        }
        if self.path.iter().any(|a| a == v) {
            return ck(ErrorKind::UnsupportedType, "a cyclic structure cannot be cached (an object contains itself)");
        }
        self.path.push(v.clone());
        Ok(())
    }

    /// The elements of a JS array, converted.
    fn items(&mut self, array: &Array) -> R<Vec<Value>> {
        let mut items = Vec::with_capacity(array.length() as usize);
        for x in array.iter() {
            items.push(self.value(&x)?);
        }
        Ok(items)
    }

    /// A JS array of `[key, value]` pairs (a `Map` through `Array.from`, or `MapEntries.entries`),
    /// converted.
    fn pairs(&mut self, pairs: &Array) -> R<Vec<(Value, Value)>> {
        let mut entries = Vec::with_capacity(pairs.length() as usize);
        for pair in pairs.iter() {
            if !Array::is_array(&pair) {
                return ck(ErrorKind::InvalidArgument, "MapEntries.entries must be an array of [key, value] pairs");
            }
            let pair = Array::from(&pair);
            if pair.length() != 2 {
                return ck(ErrorKind::InvalidArgument, "MapEntries.entries must be an array of [key, value] pairs");
            }
            let k = self.value(&pair.get(0))?;
            let val = self.value(&pair.get(1))?;
            entries.push((k, val));
        }
        Ok(entries)
    }

    fn object(&mut self, v: &JsValue) -> R<Value> {
        if Array::is_array(v) {
            self.enter(v)?;
            let items = self.items(v.unchecked_ref())?;
            self.path.pop();
            return Ok(Value::Array(items));
        }
        if let Some(u) = v.dyn_ref::<Uint8Array>() {
            return Ok(Value::Bytes(u.to_vec()));
        }
        if let Some(ab) = v.dyn_ref::<ArrayBuffer>() {
            return Ok(Value::Bytes(Uint8Array::new(ab).to_vec()));
        }
        if let Some(d) = v.dyn_ref::<JsDate>() {
            return Ok(Value::DateTime(DateTime::from_unix_millis_f64(d.get_time())?));
        }
        let rt = self.rt()?;
        let obj: &Object = v.unchecked_ref();
        let proto: JsValue = Object::get_prototype_of(obj).into();
        if proto.is_null() || proto == rt.object_proto {
            self.enter(v)?;
            let keys = Object::keys(obj);
            let mut entries = Vec::with_capacity(keys.length() as usize);
            for k in keys.iter() {
                let key = js_string(&k)?;
                let val = self.value(&Reflect::get(v, &k)?)?;
                entries.push((Value::Str(key), val));
            }
            self.path.pop();
            return Ok(Value::Map(entries));
        }
        // The prototype chain, compared with each class's prototype (`instanceof`).
        let mut chain = vec![proto];
        while chain.len() < 32 {
            let last: &Object = chain[chain.len() - 1].unchecked_ref();
            let p: JsValue = Object::get_prototype_of(last).into();
            if p.is_null() || p.is_undefined() {
                break;
            }
            chain.push(p);
        }
        let is = |p: &JsValue| chain.iter().any(|c| c == p);
        if is(&rt.map_proto) {
            self.enter(v)?;
            let entries = self.pairs(&Array::from(v))?;
            self.path.pop();
            return Ok(Value::Map(entries));
        }
        if is(&rt.set_proto) {
            self.enter(v)?;
            let items = self.items(&Array::from(v))?;
            self.path.pop();
            return Ok(Value::Set(items));
        }
        if is(&rt.map_entries_proto) {
            self.enter(v)?;
            let pairs = get(v, "entries")?;
            if !Array::is_array(&pairs) {
                return ck(ErrorKind::InvalidArgument, "MapEntries.entries must be an array of [key, value] pairs");
            }
            let entries = self.pairs(&Array::from(&pairs))?;
            self.path.pop();
            return Ok(Value::Map(entries));
        }
        if is(&rt.float_proto) {
            return match get(v, "value")?.as_f64() {
                Some(x) => Ok(Value::Float(x)),
                None => ck(ErrorKind::InvalidArgument, "Float.value must be a number"),
            };
        }
        let text = |what: &str| -> R<String> {
            let x = get(v, "value")?;
            if !x.is_string() {
                return ck(ErrorKind::InvalidArgument, format!("{what}.value must be a string"));
            }
            js_string(&x)
        };
        if is(&rt.iso_datetime_proto) {
            return Ok(Value::DateTime(DateTime::parse(&text("IsoDateTime")?)?));
        }
        if is(&rt.local_date_proto) {
            return Ok(Value::Date(Date::parse(&text("LocalDate")?)?));
        }
        if is(&rt.local_time_proto) {
            return Ok(Value::Time(Time::parse(&text("LocalTime")?)?));
        }
        if is(&rt.uuid_proto) {
            return Ok(Value::Uuid(parse_uuid(&text("Uuid")?)?));
        }
        if is(&rt.ext_proto) {
            let t = get(v, "type")?.as_f64().unwrap_or(f64::NAN);
            let data = get(v, "data")?;
            let bytes = data.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec).unwrap_or_default();
            if !(t.fract() == 0.0 && (-128.0..=127.0).contains(&t)) {
                return ck(ErrorKind::InvalidArgument, "Ext.type must be an integer in -128..=127");
            }
            return Ok(Value::Ext(t as i8, bytes));
        }
        if ArrayBuffer::is_view(v) {
            return ck(ErrorKind::UnsupportedType, "only Uint8Array/Buffer/ArrayBuffer are cached as bytes");
        }
        ck(
            ErrorKind::UnsupportedType,
            format!("a class instance ({}) cannot be cached: convert it to a plain object", class_name(v)),
        )
    }
}

fn class_name(v: &JsValue) -> String {
    let name = get(v, "constructor")
        .ok()
        .filter(JsValue::is_function)
        .and_then(|c| get(&c, "name").ok())
        .and_then(|n| n.as_string());
    match name {
        Some(s) if !s.is_empty() => s,
        _ => "object".into(),
    }
}

fn bigint(v: &JsValue) -> R<i128> {
    let b: &js_sys::BigInt = v.unchecked_ref();
    let text: String = b.to_string(10).map_err(JsValue::from)?.into();
    match text.parse::<i128>() {
        Ok(i) => Ok(i),
        Err(_) => ck(ErrorKind::IntegerOutOfRange, "bigint outside [-2^63, 2^64-1]"),
    }
}

/// Converts core values to JavaScript values.
pub struct ToJs {
    exact: bool,
    rt: Option<std::rc::Rc<Runtime>>,
}

impl ToJs {
    /// `exact`: the lossless form (every integer a `bigint`, every float a `Float`, every map
    /// a `MapEntries`, every datetime an `IsoDateTime`).
    pub fn new(exact: bool) -> ToJs {
        ToJs { exact, rt: None }
    }

    fn rt(&mut self) -> R<std::rc::Rc<Runtime>> {
        cached_runtime(&mut self.rt)
    }

    fn wrap(&mut self, ctor: fn(&Runtime) -> &Function, args: &[JsValue]) -> R<JsValue> {
        let rt = self.rt()?;
        let a = Array::new();
        for x in args {
            a.push(x);
        }
        Ok(Reflect::construct(ctor(&rt), &a)?)
    }

    pub fn value(&mut self, v: &Value) -> R<JsValue> {
        Ok(match v {
            Value::Nil => JsValue::NULL,
            Value::Bool(b) => JsValue::from_bool(*b),
            Value::Int(i) => {
                if !self.exact && (i.unsigned_abs() as f64) <= JS_MAX_SAFE_INTEGER {
                    JsValue::from_f64(*i as f64)
                } else {
                    JsValue::from(*i)
                }
            }
            Value::Float(x) => {
                let n = JsValue::from_f64(*x);
                if self.exact { self.wrap(|r| &r.float, &[n])? } else { n }
            }
            Value::Str(s) => JsValue::from_str(s),
            Value::Bytes(b) => bytes_js(b)?,
            Value::Array(items) => {
                let a = Array::new_with_length(items.len() as u32);
                for (i, x) in items.iter().enumerate() {
                    a.set(i as u32, self.value(x)?);
                }
                a.into()
            }
            Value::Map(entries) => {
                if !self.exact && entries.iter().all(|(k, _)| matches!(k, Value::Str(_))) {
                    let o = Object::new();
                    for (k, x) in entries {
                        let Value::Str(ks) = k else { unreachable!("checked above") };
                        let key = JsValue::from_str(ks);
                        let val = self.value(x)?;
                        if ks == "__proto__" {
                            let d = Object::new();
                            for (name, b) in [("writable", true), ("enumerable", true), ("configurable", true)] {
                                let _ = Reflect::set(&d, &JsValue::from_str(name), &JsValue::from_bool(b));
                            }
                            let _ = Reflect::set(&d, &JsValue::from_str("value"), &val);
                            Object::define_property(&o, &key, &d);
                        } else {
                            Reflect::set(&o, &key, &val)?;
                        }
                    }
                    return Ok(o.into());
                }
                let pairs = Array::new_with_length(entries.len() as u32);
                for (i, (k, x)) in entries.iter().enumerate() {
                    let pair = Array::new_with_length(2);
                    pair.set(0, self.value(k)?);
                    pair.set(1, self.value(x)?);
                    pairs.set(i as u32, pair.into());
                }
                if self.exact {
                    self.wrap(|r| &r.map_entries, &[pairs.into()])?
                } else {
                    self.wrap(|r| &r.map, &[pairs.into()])?
                }
            }
            Value::Set(items) => {
                let a = Array::new_with_length(items.len() as u32);
                for (i, x) in items.iter().enumerate() {
                    a.set(i as u32, self.value(x)?);
                }
                self.wrap(|r| &r.set, &[a.into()])?
            }
            Value::DateTime(dt) => {
                if self.exact {
                    self.wrap(|r| &r.iso_datetime, &[JsValue::from_str(&dt.to_string())])?
                } else {
                    JsDate::new(&JsValue::from_f64(dt.unix_millis_utc() as f64)).into()
                }
            }
            Value::Date(d) => self.wrap(|r| &r.local_date, &[JsValue::from_str(&d.to_string())])?,
            Value::Time(t) => self.wrap(|r| &r.local_time, &[JsValue::from_str(&t.to_string())])?,
            Value::Uuid(u) => self.wrap(|r| &r.uuid, &[JsValue::from_str(&format_uuid(u))])?,
            Value::Ext(t, data) => {
                let d = bytes_js(data)?;
                self.wrap(|r| &r.ext, &[JsValue::from_f64(f64::from(*t)), d])?
            }
        })
    }
}

/// Converts a JavaScript array of arguments (`undefined`/`null` is no arguments).
pub fn to_core_list(v: &JsValue, what: &str) -> R<Vec<Value>> {
    match ToCore::new().value(v)? {
        Value::Array(a) => Ok(a),
        Value::Nil => Ok(Vec::new()),
        _ => ck(ErrorKind::InvalidArgument, format!("{what} must be an array")),
    }
}

/// Reads a string argument (lone surrogates refused).
pub fn string_arg(v: &JsValue, what: &str) -> R<String> {
    if !v.is_string() {
        return ck(ErrorKind::InvalidArgument, format!("{what} must be a string"));
    }
    js_string(v)
}

/// Reads a byte argument (`Uint8Array`, `Buffer` or `ArrayBuffer`).
pub fn bytes_arg(v: &JsValue, what: &str) -> R<Vec<u8>> {
    if let Some(u) = v.dyn_ref::<Uint8Array>() {
        return Ok(u.to_vec());
    }
    if let Some(ab) = v.dyn_ref::<ArrayBuffer>() {
        return Ok(Uint8Array::new(ab).to_vec());
    }
    ck(ErrorKind::InvalidArgument, format!("{what} must be a Uint8Array or Buffer"))
}
