//! Errors, option objects and result objects over `js-sys`.

use js_sys::{Object, Reflect};
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

/// An option object read through `js-sys` (see `cachekit-js-host`'s `Opts`).
pub type Opts = cachekit_js_host::Opts<crate::value::WasmHost>;

/// The options in `v` (`undefined`/`null` reads as empty); `what` names them in the error
/// when `v` is not an object.
pub fn opts(v: &JsValue, what: &str) -> R<Opts> {
    Opts::new(crate::value::WasmHost::new(), v, what)
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
