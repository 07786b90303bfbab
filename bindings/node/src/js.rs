//! A thin, checked layer over the raw Node-API calls the value mapping needs.
//!
//! The mapping talks to Node-API directly (rather than through napi-rs's typed wrappers) so it
//! controls every call on the hot path: strings are read as UTF-16 (so lone surrogates are
//! seen, not silently replaced), prototypes are compared by identity, and no intermediate
//! Rust objects are built.

use std::ffi::c_void;
use std::ptr;

use napi::bindgen_prelude::{FromNapiValue, ToNapiValue, TypeName, ValidateNapiValue};
use napi::{ValueType, sys};

use cachekit::{Error, ErrorKind};

/// A failed call: a cachekit error (thrown with its stable name as `code`), or a Node-API
/// status (usually a pending JavaScript exception, which is rethrown as is).
#[derive(Debug)]
pub enum Fail {
    /// A cachekit error.
    Ck(Error),
    /// A Node-API call returned this status.
    Napi(i32),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Ck(e)
    }
}

/// Result of the mapping layer.
pub type R<T> = std::result::Result<T, Fail>;

/// What `#[napi]` functions return: errors carry the cachekit name as their `code`.
pub type JsErr = napi::Error<String>;

impl From<Fail> for napi::Error<String> {
    fn from(f: Fail) -> napi::Error<String> {
        match f {
            Fail::Ck(e) => napi::Error::new(e.kind().name().to_owned(), e.message().to_owned()),
            Fail::Napi(s) => napi::Error::new("internal".to_owned(), format!("Node-API call failed with status {s}")),
        }
    }
}

/// Shorthand for a cachekit error.
pub fn ck<T>(kind: ErrorKind, message: impl Into<String>) -> R<T> {
    Err(Fail::Ck(Error::new(kind, message.into())))
}

/// Checks a Node-API status.
#[inline]
pub fn check(status: i32) -> R<()> {
    if status == sys::Status::napi_ok { Ok(()) } else { Err(Fail::Napi(status)) }
}

/// A raw JavaScript value, passed through `#[napi]` signatures untouched.
#[derive(Clone, Copy)]
pub struct Raw(pub sys::napi_value);

impl TypeName for Raw {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for Raw {
    unsafe fn validate(_env: sys::napi_env, _v: sys::napi_value) -> napi::Result<sys::napi_value> {
        Ok(ptr::null_mut())
    }
}

impl FromNapiValue for Raw {
    unsafe fn from_napi_value(_env: sys::napi_env, v: sys::napi_value) -> napi::Result<Raw> {
        Ok(Raw(v))
    }
}

impl ToNapiValue for Raw {
    unsafe fn to_napi_value(_env: sys::napi_env, v: Raw) -> napi::Result<sys::napi_value> {
        Ok(v.0)
    }
}

/// The Node-API environment of the current call. Valid only during that call.
#[derive(Clone, Copy)]
pub struct Js {
    pub env: sys::napi_env,
}

type V = sys::napi_value;

// Every method wraps one Node-API call on `self.env`, which napi-rs hands us valid for the
// duration of the callback; values passed in were produced in the same callback scope.
impl Js {
    pub fn new(env: sys::napi_env) -> Js {
        Js { env }
    }

    pub fn type_of(&self, v: V) -> R<i32> {
        let mut t = 0;
        check(unsafe { sys::napi_typeof(self.env, v, &mut t) })?;
        Ok(t)
    }

    pub fn undefined(&self) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe { sys::napi_get_undefined(self.env, &mut r) })?;
        Ok(r)
    }

    pub fn null(&self) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe { sys::napi_get_null(self.env, &mut r) })?;
        Ok(r)
    }

    pub fn boolean(&self, b: bool) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe { sys::napi_get_boolean(self.env, b, &mut r) })?;
        Ok(r)
    }

    pub fn get_bool(&self, v: V) -> R<bool> {
        let mut b = false;
        check(unsafe { sys::napi_get_value_bool(self.env, v, &mut b) })?;
        Ok(b)
    }

    pub fn number(&self, x: f64) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe { sys::napi_create_double(self.env, x, &mut r) })?;
        Ok(r)
    }

    pub fn get_f64(&self, v: V) -> R<f64> {
        let mut x = 0.0;
        check(unsafe { sys::napi_get_value_double(self.env, v, &mut x) })?;
        Ok(x)
    }

    pub fn string(&self, s: &str) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe { sys::napi_create_string_utf8(self.env, s.as_ptr().cast(), s.len() as isize, &mut r) })?;
        Ok(r)
    }

    /// Reads a JavaScript string as UTF-16 and validates it: a lone surrogate is
    /// `invalid_string` (Node's UTF-8 conversion would silently replace it with U+FFFD).
    pub fn get_string(&self, v: V) -> R<String> {
        let mut stack = [0u16; 128];
        let mut len = 0usize;
        check(unsafe { sys::napi_get_value_string_utf16(self.env, v, stack.as_mut_ptr(), stack.len(), &mut len) })?;
        if len + 1 < stack.len() {
            return utf16(&stack[..len]);
        }
        check(unsafe { sys::napi_get_value_string_utf16(self.env, v, ptr::null_mut(), 0, &mut len) })?;
        let mut buf = vec![0u16; len + 1];
        let mut got = 0usize;
        check(unsafe { sys::napi_get_value_string_utf16(self.env, v, buf.as_mut_ptr(), buf.len(), &mut got) })?;
        utf16(&buf[..got])
    }

    pub fn bigint_words(&self, v: V) -> R<(bool, Vec<u64>)> {
        let mut sign = 0;
        let mut count = 0usize;
        // Sign and words both null: only the word count is returned.
        check(unsafe { sys::napi_get_value_bigint_words(self.env, v, ptr::null_mut(), &mut count, ptr::null_mut()) })?;
        let mut words = vec![0u64; count.max(1)];
        let mut n = words.len();
        check(unsafe { sys::napi_get_value_bigint_words(self.env, v, &mut sign, &mut n, words.as_mut_ptr()) })?;
        words.truncate(n);
        Ok((sign != 0, words))
    }

    pub fn bigint(&self, negative: bool, words: &[u64]) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe {
            sys::napi_create_bigint_words(self.env, i32::from(negative), words.len(), words.as_ptr(), &mut r)
        })?;
        Ok(r)
    }

    pub fn is_array(&self, v: V) -> R<bool> {
        let mut b = false;
        check(unsafe { sys::napi_is_array(self.env, v, &mut b) })?;
        Ok(b)
    }

    pub fn array_len(&self, v: V) -> R<u32> {
        let mut n = 0;
        check(unsafe { sys::napi_get_array_length(self.env, v, &mut n) })?;
        Ok(n)
    }

    pub fn element(&self, v: V, i: u32) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe { sys::napi_get_element(self.env, v, i, &mut r) })?;
        Ok(r)
    }

    pub fn array(&self, len: usize) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe { sys::napi_create_array_with_length(self.env, len, &mut r) })?;
        Ok(r)
    }

    pub fn set_element(&self, a: V, i: u32, x: V) -> R<()> {
        check(unsafe { sys::napi_set_element(self.env, a, i, x) })
    }

    /// The bytes of a `Uint8Array` (a `Buffer` is one), or `None` for any other value.
    pub fn uint8_bytes(&self, v: V) -> R<Option<&[u8]>> {
        let mut is = false;
        check(unsafe { sys::napi_is_typedarray(self.env, v, &mut is) })?;
        if !is {
            return Ok(None);
        }
        let mut kind = 0;
        let mut len = 0usize;
        let mut data: *mut c_void = ptr::null_mut();
        let mut ab = ptr::null_mut();
        let mut off = 0usize;
        check(unsafe {
            sys::napi_get_typedarray_info(self.env, v, &mut kind, &mut len, &mut data, &mut ab, &mut off)
        })?;
        if kind != sys::TypedarrayType::uint8_array {
            return Ok(None);
        }
        if len == 0 || data.is_null() {
            return Ok(Some(&[]));
        }
        // The view's memory stays alive while the value is reachable from this call's scope.
        Ok(Some(unsafe { std::slice::from_raw_parts(data as *const u8, len) }))
    }

    /// The bytes of an `ArrayBuffer`, or `None` for any other value.
    pub fn arraybuffer_bytes(&self, v: V) -> R<Option<&[u8]>> {
        let mut is = false;
        check(unsafe { sys::napi_is_arraybuffer(self.env, v, &mut is) })?;
        if !is {
            return Ok(None);
        }
        let mut data: *mut c_void = ptr::null_mut();
        let mut len = 0usize;
        check(unsafe { sys::napi_get_arraybuffer_info(self.env, v, &mut data, &mut len) })?;
        if len == 0 || data.is_null() {
            return Ok(Some(&[]));
        }
        Ok(Some(unsafe { std::slice::from_raw_parts(data as *const u8, len) }))
    }

    /// A new `Buffer` holding a copy of `bytes`.
    pub fn buffer(&self, bytes: &[u8]) -> R<V> {
        let mut r = ptr::null_mut();
        let mut data: *mut c_void = ptr::null_mut();
        check(unsafe {
            sys::napi_create_buffer_copy(self.env, bytes.len(), bytes.as_ptr().cast(), &mut data, &mut r)
        })?;
        Ok(r)
    }

    pub fn is_date(&self, v: V) -> R<bool> {
        let mut b = false;
        check(unsafe { sys::napi_is_date(self.env, v, &mut b) })?;
        Ok(b)
    }

    pub fn date_value(&self, v: V) -> R<f64> {
        let mut x = 0.0;
        check(unsafe { sys::napi_get_date_value(self.env, v, &mut x) })?;
        Ok(x)
    }

    pub fn date(&self, ms: f64) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe { sys::napi_create_date(self.env, ms, &mut r) })?;
        Ok(r)
    }

    pub fn prototype(&self, v: V) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe { sys::napi_get_prototype(self.env, v, &mut r) })?;
        Ok(r)
    }

    pub fn strict_equals(&self, a: V, b: V) -> R<bool> {
        let mut r = false;
        check(unsafe { sys::napi_strict_equals(self.env, a, b, &mut r) })?;
        Ok(r)
    }

    pub fn instance_of(&self, v: V, ctor: V) -> R<bool> {
        let mut r = false;
        check(unsafe { sys::napi_instanceof(self.env, v, ctor, &mut r) })?;
        Ok(r)
    }

    pub fn object(&self) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe { sys::napi_create_object(self.env, &mut r) })?;
        Ok(r)
    }

    /// Own enumerable string-keyed property names, in property order.
    pub fn own_keys(&self, v: V) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe {
            sys::napi_get_all_property_names(
                self.env,
                v,
                sys::KeyCollectionMode::own_only,
                sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
                sys::KeyConversion::numbers_to_strings,
                &mut r,
            )
        })?;
        Ok(r)
    }

    pub fn get(&self, obj: V, key: V) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe { sys::napi_get_property(self.env, obj, key, &mut r) })?;
        Ok(r)
    }

    pub fn get_named(&self, obj: V, name: &std::ffi::CStr) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe { sys::napi_get_named_property(self.env, obj, name.as_ptr(), &mut r) })?;
        Ok(r)
    }

    pub fn set_named(&self, obj: V, name: &std::ffi::CStr, x: V) -> R<()> {
        check(unsafe { sys::napi_set_named_property(self.env, obj, name.as_ptr(), x) })
    }

    /// Defines an own data property (writable, enumerable, configurable) without running
    /// setters, so a key such as `__proto__` becomes an ordinary property.
    pub fn define(&self, obj: V, key: V, x: V) -> R<()> {
        let d = sys::napi_property_descriptor {
            utf8name: ptr::null(),
            name: key,
            method: None,
            getter: None,
            setter: None,
            value: x,
            attributes: sys::PropertyAttributes::writable
                | sys::PropertyAttributes::enumerable
                | sys::PropertyAttributes::configurable,
            data: ptr::null_mut(),
        };
        check(unsafe { sys::napi_define_properties(self.env, obj, 1, &d) })
    }

    pub fn set(&self, obj: V, key: V, x: V) -> R<()> {
        check(unsafe { sys::napi_set_property(self.env, obj, key, x) })
    }

    pub fn call(&self, this: V, f: V, args: &[V]) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe { sys::napi_call_function(self.env, this, f, args.len(), args.as_ptr(), &mut r) })?;
        Ok(r)
    }

    pub fn construct(&self, ctor: V, args: &[V]) -> R<V> {
        let mut r = ptr::null_mut();
        check(unsafe { sys::napi_new_instance(self.env, ctor, args.len(), args.as_ptr(), &mut r) })?;
        Ok(r)
    }

    pub fn reference(&self, v: V) -> R<sys::napi_ref> {
        let mut r = ptr::null_mut();
        check(unsafe { sys::napi_create_reference(self.env, v, 1, &mut r) })?;
        Ok(r)
    }

    pub fn deref(&self, r: sys::napi_ref) -> R<V> {
        let mut v = ptr::null_mut();
        check(unsafe { sys::napi_get_reference_value(self.env, r, &mut v) })?;
        Ok(v)
    }
}

fn utf16(units: &[u16]) -> R<String> {
    if units.iter().all(|&u| u < 0x80) {
        // ASCII (keys, names): no surrogates to check, one byte per unit.
        return Ok(units.iter().map(|&u| u as u8 as char).collect());
    }
    String::from_utf16(units)
        .or_else(|_| ck(ErrorKind::InvalidString, "string holds a lone surrogate (not well-formed Unicode)"))
}
