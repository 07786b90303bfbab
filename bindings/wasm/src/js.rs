//! Errors and option objects over `js-sys`.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use cachekit::{Error, ErrorKind};

/// A failed call: a cachekit error (thrown with its machine name as `code`), or a JavaScript
/// exception raised by a getter or callback (rethrown as is).
#[derive(Debug)]
pub enum Fail {
    /// A cachekit error.
    Ck(Error),
    /// A JavaScript exception.
    Js(JsValue),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Ck(e)
    }
}

impl From<JsValue> for Fail {
    fn from(e: JsValue) -> Fail {
        Fail::Js(e)
    }
}

impl From<Fail> for JsValue {
    fn from(f: Fail) -> JsValue {
        match f {
            Fail::Ck(e) => {
                let err = js_sys::Error::new(e.message());
                let _ = Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(e.kind().name()));
                err.into()
            }
            Fail::Js(v) => v,
        }
    }
}

/// Result of the binding.
pub type R<T> = std::result::Result<T, Fail>;

/// Shorthand for a cachekit error.
pub fn ck<T>(kind: ErrorKind, message: impl Into<String>) -> R<T> {
    Err(Fail::Ck(Error::new(kind, message.into())))
}

/// `obj[name]`.
pub fn get(obj: &JsValue, name: &str) -> R<JsValue> {
    Ok(Reflect::get(obj, &JsValue::from_str(name))?)
}

/// An option object (or `undefined`/`null`, which reads as empty).
#[derive(Clone)]
pub struct Opts {
    obj: Option<JsValue>,
}

impl Opts {
    pub fn new(v: &JsValue, what: &str) -> R<Opts> {
        if v.is_undefined() || v.is_null() {
            Ok(Opts { obj: None })
        } else if v.is_object() {
            Ok(Opts { obj: Some(v.clone()) })
        } else {
            ck(ErrorKind::InvalidArgument, format!("{what} must be an object"))
        }
    }

    pub fn is_empty(&self) -> bool {
        self.obj.is_none()
    }

    /// The property, or `None` when absent or `undefined` (`null` is returned as a value).
    pub fn get_raw(&self, name: &str) -> R<Option<JsValue>> {
        let Some(o) = &self.obj else { return Ok(None) };
        let v = get(o, name)?;
        Ok(if v.is_undefined() { None } else { Some(v) })
    }

    /// The property, or `None` when absent, `undefined` or `null`.
    pub fn get(&self, name: &str) -> R<Option<JsValue>> {
        Ok(self.get_raw(name)?.filter(|v| !v.is_null()))
    }

    fn bad<T>(&self, name: &str, want: &str) -> R<T> {
        ck(ErrorKind::InvalidArgument, format!("option {name} must be {want}"))
    }

    pub fn f64(&self, name: &str) -> R<Option<f64>> {
        match self.get(name)? {
            None => Ok(None),
            Some(v) => match v.as_f64() {
                Some(x) => Ok(Some(x)),
                None => self.bad(name, "a number"),
            },
        }
    }

    /// A non-negative whole number.
    pub fn u64(&self, name: &str) -> R<Option<u64>> {
        match self.f64(name)? {
            None => Ok(None),
            Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= 9_007_199_254_740_991.0 => Ok(Some(x as u64)),
            Some(_) => self.bad(name, "a non-negative integer"),
        }
    }

    pub fn bool(&self, name: &str) -> R<Option<bool>> {
        match self.get(name)? {
            None => Ok(None),
            Some(v) => match v.as_bool() {
                Some(b) => Ok(Some(b)),
                None => self.bad(name, "a boolean"),
            },
        }
    }

    pub fn string(&self, name: &str) -> R<Option<String>> {
        match self.get(name)? {
            None => Ok(None),
            Some(v) if v.is_string() => Ok(Some(crate::value::js_string(&v)?)),
            Some(_) => self.bad(name, "a string"),
        }
    }

    /// A nested option object; `false` reads as `Some(None)` ("turned off").
    pub fn section(&self, name: &str) -> R<Option<Option<Opts>>> {
        match self.get(name)? {
            None => Ok(None),
            Some(v) => match v.as_bool() {
                Some(false) => Ok(Some(None)),
                Some(true) => Ok(Some(Some(Opts { obj: None }))),
                None if v.is_object() => Ok(Some(Some(Opts { obj: Some(v) }))),
                None => self.bad(name, "an object or false"),
            },
        }
    }

    /// An array of strings.
    pub fn strings(&self, name: &str) -> R<Option<Vec<String>>> {
        let Some(v) = self.get(name)? else { return Ok(None) };
        if !Array::is_array(&v) {
            return self.bad(name, "an array of strings");
        }
        let a = Array::from(&v);
        let mut out = Vec::with_capacity(a.length() as usize);
        for e in a.iter() {
            if !e.is_string() {
                return self.bad(name, "an array of strings");
            }
            out.push(crate::value::js_string(&e)?);
        }
        Ok(Some(out))
    }
}

/// Builds a plain result object.
pub struct Out {
    pub obj: Object,
}

impl Out {
    pub fn new() -> Out {
        Out { obj: Object::new() }
    }
    pub fn val(&self, name: &str, v: &JsValue) {
        let _ = Reflect::set(&self.obj, &JsValue::from_str(name), v);
    }
    pub fn str(&self, name: &str, s: &str) {
        self.val(name, &JsValue::from_str(s));
    }
    pub fn num(&self, name: &str, x: f64) {
        self.val(name, &JsValue::from_f64(x));
    }
    pub fn bool(&self, name: &str, b: bool) {
        self.val(name, &JsValue::from_bool(b));
    }
    pub fn opt_num(&self, name: &str, x: Option<f64>) {
        match x {
            Some(x) => self.num(name, x),
            None => self.val(name, &JsValue::NULL),
        }
    }
    pub fn bytes(&self, name: &str, b: &[u8]) -> R<()> {
        self.val(name, &crate::value::bytes_js(b)?);
        Ok(())
    }
    pub fn into_js(self) -> JsValue {
        self.obj.into()
    }
}

impl Default for Out {
    fn default() -> Self {
        Out::new()
    }
}
