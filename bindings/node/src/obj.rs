//! Reading option objects and building result objects.

use std::ffi::CStr;

use napi::sys;

use cachekit::ErrorKind;

use crate::js::{Js, R, ck};

type V = sys::napi_value;

/// An option object (or `undefined`/`null`, which reads as empty).
#[derive(Clone, Copy)]
pub struct Opts {
    js: Js,
    obj: Option<V>,
}

impl Opts {
    pub fn new(js: Js, v: V, what: &str) -> R<Opts> {
        match js.type_of(v)? {
            sys::ValueType::napi_undefined | sys::ValueType::napi_null => Ok(Opts { js, obj: None }),
            sys::ValueType::napi_object => Ok(Opts { js, obj: Some(v) }),
            _ => ck(ErrorKind::InvalidArgument, format!("{what} must be an object")),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.obj.is_none()
    }

    /// The property, or `None` when absent or `undefined` (`null` is returned as a value).
    pub fn get_raw(&self, name: &CStr) -> R<Option<V>> {
        let Some(o) = self.obj else { return Ok(None) };
        let v = self.js.get_named(o, name)?;
        match self.js.type_of(v)? {
            sys::ValueType::napi_undefined => Ok(None),
            _ => Ok(Some(v)),
        }
    }

    /// The property, or `None` when absent, `undefined` or `null`.
    pub fn get(&self, name: &CStr) -> R<Option<V>> {
        let Some(o) = self.obj else { return Ok(None) };
        let v = self.js.get_named(o, name)?;
        match self.js.type_of(v)? {
            sys::ValueType::napi_undefined | sys::ValueType::napi_null => Ok(None),
            _ => Ok(Some(v)),
        }
    }

    fn bad<T>(&self, name: &CStr, want: &str) -> R<T> {
        ck(ErrorKind::InvalidArgument, format!("option {} must be {want}", name.to_string_lossy()))
    }

    pub fn f64(&self, name: &CStr) -> R<Option<f64>> {
        match self.get(name)? {
            None => Ok(None),
            Some(v) if self.js.type_of(v)? == sys::ValueType::napi_number => Ok(Some(self.js.get_f64(v)?)),
            Some(_) => self.bad(name, "a number"),
        }
    }

    /// A non-negative whole number.
    pub fn u64(&self, name: &CStr) -> R<Option<u64>> {
        match self.f64(name)? {
            None => Ok(None),
            Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= 9_007_199_254_740_991.0 => Ok(Some(x as u64)),
            Some(_) => self.bad(name, "a non-negative integer"),
        }
    }

    pub fn bool(&self, name: &CStr) -> R<Option<bool>> {
        match self.get(name)? {
            None => Ok(None),
            Some(v) if self.js.type_of(v)? == sys::ValueType::napi_boolean => Ok(Some(self.js.get_bool(v)?)),
            Some(_) => self.bad(name, "a boolean"),
        }
    }

    pub fn string(&self, name: &CStr) -> R<Option<String>> {
        match self.get(name)? {
            None => Ok(None),
            Some(v) if self.js.type_of(v)? == sys::ValueType::napi_string => Ok(Some(self.js.get_string(v)?)),
            Some(_) => self.bad(name, "a string"),
        }
    }

    /// A nested option object; `false` reads as `Some(None)` ("turned off").
    pub fn section(&self, name: &CStr) -> R<Option<Option<Opts>>> {
        match self.get(name)? {
            None => Ok(None),
            Some(v) => match self.js.type_of(v)? {
                sys::ValueType::napi_boolean if !self.js.get_bool(v)? => Ok(Some(None)),
                sys::ValueType::napi_boolean => Ok(Some(Some(Opts { js: self.js, obj: None }))),
                sys::ValueType::napi_object => Ok(Some(Some(Opts { js: self.js, obj: Some(v) }))),
                _ => self.bad(name, "an object or false"),
            },
        }
    }

    /// An array of strings.
    pub fn strings(&self, name: &CStr) -> R<Option<Vec<String>>> {
        let Some(v) = self.get(name)? else { return Ok(None) };
        if !self.js.is_array(v)? {
            return self.bad(name, "an array of strings");
        }
        let n = self.js.array_len(v)?;
        let mut out = Vec::with_capacity(n as usize);
        for i in 0..n {
            let e = self.js.element(v, i)?;
            if self.js.type_of(e)? != sys::ValueType::napi_string {
                return self.bad(name, "an array of strings");
            }
            out.push(self.js.get_string(e)?);
        }
        Ok(Some(out))
    }
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
