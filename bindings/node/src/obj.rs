//! Option objects (the shared reader over Node-API) and result objects.

use std::ffi::CStr;

use napi::sys;

use crate::js::{Js, R};
use crate::value::NodeHost;

type V = sys::napi_value;

/// An option object read through Node-API (see `cachekit-js-host`'s `Opts`).
pub type Opts = cachekit_js_host::Opts<NodeHost>;

/// The options in `v` (`undefined`/`null` reads as empty); `what` names them in the error
/// when `v` is not an object.
pub fn opts(js: Js, v: V, what: &str) -> R<Opts> {
    Opts::new(NodeHost::new(js), &v, what)
}

/// Builds a plain result object.
pub struct Out {
    pub js: Js,
    pub obj: V,
}

impl Out {
    pub fn new(js: Js) -> R<Out> {
        Ok(Out { js, obj: js.object()? })
    }
    pub fn val(&self, name: &CStr, v: V) -> R<()> {
        self.js.set_named(self.obj, name, v)
    }
    pub fn str(&self, name: &CStr, s: &str) -> R<()> {
        self.val(name, self.js.string(s)?)
    }
    pub fn num(&self, name: &CStr, x: f64) -> R<()> {
        self.val(name, self.js.number(x)?)
    }
    pub fn bool(&self, name: &CStr, b: bool) -> R<()> {
        self.val(name, self.js.boolean(b)?)
    }
    pub fn opt_num(&self, name: &CStr, x: Option<f64>) -> R<()> {
        match x {
            Some(x) => self.num(name, x),
            None => self.val(name, self.js.null()?),
        }
    }
    pub fn bytes(&self, name: &CStr, b: &[u8]) -> R<()> {
        self.val(name, self.js.buffer(b)?)
    }
}
