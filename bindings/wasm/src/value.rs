//! The WebAssembly build's side of the JavaScript value mapping: the classes the package
//! registers (`registerRuntime`) and [`WasmHost`], the mapping's [`Host`] over `js-sys`. The
//! mapping itself (rules, traversal, errors) is `cachekit-js-host`'s, shared with the napi
//! addon; its crate documentation has the table.
//!
//! Strings are checked for lone surrogates before they are read (`invalid_string`), since
//! `TextEncoder` would silently replace them. Bytes are read back as `Uint8Array`s, turned
//! into `Buffer`s when the runtime registers a `bytes` factory (the Node package does).

use std::cell::RefCell;

use std::ffi::CStr;

use js_sys::{Array, ArrayBuffer, Date as JsDate, Function, JsString, Object, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use cachekit::{ErrorKind, Value};
use cachekit_js_host::{Class, Host, Kind, ToCore, ToJs};

use crate::js::{Fail, R, ck, get};

/// The JavaScript classes the mapping recognises and builds, registered once by the loader.
struct Runtime {
    object_proto: JsValue,
    /// Each class's constructor and prototype, by `Class as usize`.
    classes: Vec<(Function, JsValue)>,
    bytes: Option<Function>,
}

impl Runtime {
    fn class(&self, class: Class) -> &Function {
        &self.classes[class as usize].0
    }

    fn proto(&self, class: Class) -> &JsValue {
        &self.classes[class as usize].1
    }
}

thread_local! {
    static RUNTIME: RefCell<Option<std::rc::Rc<Runtime>>> = const { RefCell::new(None) };
}

/// Stores the classes the mapping needs: `{objectPrototype, Map, Set, Float, IsoDateTime,
/// LocalDate, LocalTime, Uuid, Ext, MapEntries, bytes?}` (other properties are ignored).
pub fn register(obj: &JsValue) -> R<()> {
    let object_proto = get(obj, "objectPrototype")?;
    if !object_proto.is_object() {
        return ck(ErrorKind::InvalidArgument, "registerRuntime: objectPrototype is missing");
    }
    let mut classes = Vec::with_capacity(Class::ALL.len());
    for class in Class::ALL {
        let name = class.name().to_str().unwrap_or_default();
        let Ok(f) = get(obj, name)?.dyn_into::<Function>() else {
            return ck(ErrorKind::InvalidArgument, format!("registerRuntime: {name} is missing"));
        };
        let p = get(&f, "prototype")?;
        classes.push((f, p));
    }
    let bytes = get(obj, "bytes")?.dyn_into::<Function>().ok();
    let rt = Runtime { object_proto, classes, bytes };
    RUNTIME.with(|r| *r.borrow_mut() = Some(std::rc::Rc::new(rt)));
    Ok(())
}

fn runtime() -> R<std::rc::Rc<Runtime>> {
    RUNTIME.with(|r| match r.borrow().as_ref() {
        Some(rt) => Ok(rt.clone()),
        None => ck(ErrorKind::Internal, "the module's value runtime is not registered (load it through the package)"),
    })
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

/// The mapping's [`Host`] over `js-sys`, with the registered classes looked up on first use.
#[derive(Default, Clone)]
pub struct WasmHost {
    rt: std::cell::OnceCell<std::rc::Rc<Runtime>>,
}

impl WasmHost {
    /// A host for one conversion.
    pub fn new() -> WasmHost {
        WasmHost::default()
    }

    fn rt(&self) -> R<std::rc::Rc<Runtime>> {
        if let Some(rt) = self.rt.get() {
            return Ok(rt.clone());
        }
        let rt = runtime()?;
        Ok(self.rt.get_or_init(|| rt).clone())
    }
}

impl Host for WasmHost {
    type V = JsValue;
    type Err = Fail;

    fn kind(&self, v: &JsValue) -> R<Kind> {
        Ok(if v.is_undefined() || v.is_null() {
            Kind::Nil
        } else if let Some(b) = v.as_bool() {
            Kind::Bool(b)
        } else if let Some(x) = v.as_f64() {
            Kind::Number(x)
        } else if v.is_string() {
            Kind::String
        } else if v.is_bigint() {
            Kind::BigInt
        } else if v.is_function() {
            Kind::Function
        } else if v.is_symbol() {
            Kind::Symbol
        } else if v.is_object() {
            Kind::Object
        } else {
            Kind::Other
        })
    }

    fn is_undefined(&self, v: &JsValue) -> R<bool> {
        Ok(v.is_undefined())
    }

    fn string(&self, v: &JsValue) -> R<String> {
        js_string(v)
    }

    fn bigint(&self, v: &JsValue) -> R<Option<i128>> {
        let b: &js_sys::BigInt = v.unchecked_ref();
        let text: String = b.to_string(10).map_err(JsValue::from)?.into();
        Ok(text.parse::<i128>().ok())
    }

    fn is_array(&self, v: &JsValue) -> R<bool> {
        Ok(Array::is_array(v))
    }

    fn len(&self, array: &JsValue) -> R<u32> {
        Ok(array.unchecked_ref::<Array>().length())
    }

    fn element(&self, array: &JsValue, i: u32) -> R<JsValue> {
        Ok(array.unchecked_ref::<Array>().get(i))
    }

    fn bytes(&self, v: &JsValue) -> R<Option<Vec<u8>>> {
        if let Some(u) = v.dyn_ref::<Uint8Array>() {
            return Ok(Some(u.to_vec()));
        }
        Ok(v.dyn_ref::<ArrayBuffer>().map(|ab| Uint8Array::new(ab).to_vec()))
    }

    fn date_millis(&self, v: &JsValue) -> R<Option<f64>> {
        Ok(v.dyn_ref::<JsDate>().map(JsDate::get_time))
    }

    fn is_plain_object(&self, v: &JsValue) -> R<bool> {
        let rt = self.rt()?;
        let proto: JsValue = Object::get_prototype_of(v).into();
        Ok(proto.is_null() || proto == rt.object_proto)
    }

    fn class_of(&self, v: &JsValue) -> R<Option<Class>> {
        let rt = self.rt()?;
        // The prototype chain, walked once, compared with each class's prototype (`instanceof`).
        let mut chain: Vec<JsValue> = Vec::new();
        let mut p: JsValue = Object::get_prototype_of(v).into();
        while chain.len() < 32 && !(p.is_null() || p.is_undefined()) {
            let next: JsValue = Object::get_prototype_of(&p).into();
            chain.push(p);
            p = next;
        }
        Ok(Class::ALL.into_iter().find(|&c| chain.iter().any(|x| *x == *rt.proto(c))))
    }

    fn is_view(&self, v: &JsValue) -> R<bool> {
        Ok(ArrayBuffer::is_view(v))
    }

    fn own_keys(&self, v: &JsValue) -> R<JsValue> {
        Ok(Object::keys(v.unchecked_ref::<Object>()).into())
    }

    fn get(&self, obj: &JsValue, key: &JsValue) -> R<JsValue> {
        Ok(Reflect::get(obj, key)?)
    }

    fn get_named(&self, obj: &JsValue, name: &'static CStr) -> R<JsValue> {
        get(obj, name.to_str().unwrap_or_default())
    }

    fn array_from(&self, v: &JsValue) -> R<JsValue> {
        Ok(Array::from(v).into())
    }

    fn same(&self, a: &JsValue, b: &JsValue) -> R<bool> {
        Ok(a == b)
    }

    fn null(&self) -> R<JsValue> {
        Ok(JsValue::NULL)
    }

    fn boolean(&self, b: bool) -> R<JsValue> {
        Ok(JsValue::from_bool(b))
    }

    fn number(&self, x: f64) -> R<JsValue> {
        Ok(JsValue::from_f64(x))
    }

    fn new_bigint(&self, i: i128) -> R<JsValue> {
        Ok(JsValue::from(i))
    }

    fn new_string(&self, s: &str) -> R<JsValue> {
        Ok(JsValue::from_str(s))
    }

    fn new_bytes(&self, b: &[u8]) -> R<JsValue> {
        bytes_js(b)
    }

    fn new_array(&self, len: usize) -> R<JsValue> {
        Ok(Array::new_with_length(len as u32).into())
    }

    fn set_element(&self, array: &JsValue, i: u32, x: JsValue) -> R<()> {
        array.unchecked_ref::<Array>().set(i, x);
        Ok(())
    }

    fn new_object(&self) -> R<JsValue> {
        Ok(Object::new().into())
    }

    fn set_property(&self, obj: &JsValue, key: &str, x: JsValue, define: bool) -> R<()> {
        let k = JsValue::from_str(key);
        if define {
            let d = Object::new();
            for (name, b) in [("writable", true), ("enumerable", true), ("configurable", true)] {
                Reflect::set(&d, &JsValue::from_str(name), &JsValue::from_bool(b))?;
            }
            Reflect::set(&d, &JsValue::from_str("value"), &x)?;
            Object::define_property(obj.unchecked_ref::<Object>(), &k, &d);
        } else {
            Reflect::set(obj, &k, &x)?;
        }
        Ok(())
    }

    fn new_date(&self, ms: f64) -> R<JsValue> {
        Ok(JsDate::new(&JsValue::from_f64(ms)).into())
    }

    fn construct(&self, class: Class, args: &[JsValue]) -> R<JsValue> {
        let rt = self.rt()?;
        let a = Array::new();
        for x in args {
            a.push(x);
        }
        Ok(Reflect::construct(rt.class(class), &a)?)
    }
}

/// Converts a JavaScript value.
pub fn to_core(v: &JsValue) -> R<Value> {
    ToCore::new(WasmHost::new()).value(v)
}

/// Converts a core value: `exact`, the lossless form (see `cachekit-js-host`'s table).
pub fn to_js(exact: bool, v: &Value) -> R<JsValue> {
    ToJs::new(WasmHost::new(), exact).value(v)
}

/// Converts a JavaScript array of arguments (`undefined`/`null` is no arguments).
pub fn to_core_list(v: &JsValue, what: &str) -> R<Vec<Value>> {
    cachekit_js_host::to_core_list(WasmHost::new(), v, what)
}

/// Reads a string argument (lone surrogates refused).
pub fn string_arg(v: &JsValue, what: &str) -> R<String> {
    cachekit_js_host::string_arg(&WasmHost::new(), v, what)
}

/// Reads a byte argument (`Uint8Array`, `Buffer` or `ArrayBuffer`).
pub fn bytes_arg(v: &JsValue, what: &str) -> R<Vec<u8>> {
    cachekit_js_host::bytes_arg(&WasmHost::new(), v, what)
}
