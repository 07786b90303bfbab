//! [`Opts`]: reading the option objects the engines take (engine configuration, request
//! options, key and AAD specs), with one error wording for every engine.

use std::ffi::CStr;

use cachekit::ErrorKind;

use crate::fail;
use crate::host::{Host, Kind};

/// An option object (or `undefined`/`null`, which reads as empty).
#[derive(Clone)]
pub struct Opts<H: Host + Clone> {
    host: H,
    obj: Option<H::V>,
}

impl<H: Host + Clone> Opts<H> {
    /// The options in `v`; `what` names them in the error when `v` is not an object.
    pub fn new(host: H, v: &H::V, what: &str) -> Result<Opts<H>, H::Err> {
        match host.kind(v)? {
            Kind::Nil => Ok(Opts { host, obj: None }),
            Kind::Object => Ok(Opts { host, obj: Some(v.clone()) }),
            _ => Err(fail(ErrorKind::InvalidArgument, format!("{what} must be an object"))),
        }
    }

    /// The host the options are read through.
    pub fn host(&self) -> &H {
        &self.host
    }

    /// True when no object was given.
    pub fn is_empty(&self) -> bool {
        self.obj.is_none()
    }

    /// The property, or `None` when absent or `undefined` (`null` is returned as a value).
    pub fn get_raw(&self, name: &'static CStr) -> Result<Option<H::V>, H::Err> {
        let Some(o) = &self.obj else { return Ok(None) };
        let v = self.host.get_named(o, name)?;
        // `kind` says Nil for both; only `undefined` counts as absent here.
        Ok(if self.host.is_undefined(&v)? { None } else { Some(v) })
    }

    /// The property, or `None` when absent, `undefined` or `null`.
    pub fn get(&self, name: &'static CStr) -> Result<Option<H::V>, H::Err> {
        let Some(o) = &self.obj else { return Ok(None) };
        let v = self.host.get_named(o, name)?;
        Ok(if self.host.kind(&v)? == Kind::Nil { None } else { Some(v) })
    }

    /// Refuses properties not named in `known`, so a misspelt option is an error rather than
    /// silently ignored: `unknown {what} option "name" (expected one of: …)`.
    #[inline(never)]
    pub fn only(&self, known: &[&'static CStr], what: &str) -> Result<(), H::Err> {
        let Some(o) = &self.obj else { return Ok(()) };
        let keys = self.host.own_keys(o)?;
        for i in 0..self.host.len(&keys)? {
            let name = self.host.string(&self.host.element(&keys, i)?)?;
            if !known.iter().any(|k| k.to_bytes() == name.as_bytes()) {
                return Err(fail(ErrorKind::InvalidArgument, unknown_option(&name, known, what)));
            }
        }
        Ok(())
    }

    fn bad<T>(&self, name: &CStr, want: &str) -> Result<T, H::Err> {
        Err(fail(ErrorKind::InvalidArgument, format!("option {} must be {want}", name.to_str().unwrap_or("?"))))
    }

    /// A number.
    pub fn f64(&self, name: &'static CStr) -> Result<Option<f64>, H::Err> {
        let Some(v) = self.get(name)? else { return Ok(None) };
        match self.host.kind(&v)? {
            Kind::Number(x) => Ok(Some(x)),
            _ => self.bad(name, "a number"),
        }
    }

    /// A non-negative whole number.
    pub fn u64(&self, name: &'static CStr) -> Result<Option<u64>, H::Err> {
        match self.f64(name)? {
            None => Ok(None),
            Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= 9_007_199_254_740_991.0 => Ok(Some(x as u64)),
            Some(_) => self.bad(name, "a non-negative integer"),
        }
    }

    /// A boolean.
    pub fn bool(&self, name: &'static CStr) -> Result<Option<bool>, H::Err> {
        let Some(v) = self.get(name)? else { return Ok(None) };
        match self.host.kind(&v)? {
            Kind::Bool(b) => Ok(Some(b)),
            _ => self.bad(name, "a boolean"),
        }
    }

    /// A string (lone surrogates refused).
    pub fn string(&self, name: &'static CStr) -> Result<Option<String>, H::Err> {
        let Some(v) = self.get(name)? else { return Ok(None) };
        match self.host.kind(&v)? {
            Kind::String => self.host.string(&v).map(Some),
            _ => self.bad(name, "a string"),
        }
    }

    /// A string that must be there: `what needs NAME` otherwise.
    pub fn required(&self, name: &'static CStr, what: &str) -> Result<String, H::Err> {
        match self.string(name)? {
            Some(s) => Ok(s),
            None => Err(fail(ErrorKind::InvalidArgument, format!("{what} needs {}", name.to_str().unwrap_or("?")))),
        }
    }

    /// A nested option object; `false` reads as `Some(None)` ("turned off"), `true` as an
    /// empty section.
    pub fn section(&self, name: &'static CStr) -> Result<Option<Option<Opts<H>>>, H::Err> {
        let Some(v) = self.get(name)? else { return Ok(None) };
        let host = self.host.clone();
        match self.host.kind(&v)? {
            Kind::Bool(false) => Ok(Some(None)),
            Kind::Bool(true) => Ok(Some(Some(Opts { host, obj: None }))),
            Kind::Object => Ok(Some(Some(Opts { host, obj: Some(v) }))),
            _ => self.bad(name, "an object or false"),
        }
    }

    /// An array of strings.
    pub fn strings(&self, name: &'static CStr) -> Result<Option<Vec<String>>, H::Err> {
        let Some(v) = self.get(name)? else { return Ok(None) };
        if !self.host.is_array(&v)? {
            return self.bad(name, "an array of strings");
        }
        let n = self.host.len(&v)?;
        let mut out = Vec::with_capacity(n as usize);
        for i in 0..n {
            let e = self.host.element(&v, i)?;
            if self.host.kind(&e)? != Kind::String {
                return self.bad(name, "an array of strings");
            }
            out.push(self.host.string(&e)?);
        }
        Ok(Some(out))
    }
}

/// The message of [`Opts::only`]'s error (out of line: it is the rare path).
#[cold]
#[inline(never)]
fn unknown_option(name: &str, known: &[&CStr], what: &str) -> String {
    let mut m = format!("unknown {what} option \"{name}\" (expected one of: ");
    for (i, k) in known.iter().enumerate() {
        if i > 0 {
            m.push_str(", ");
        }
        m.push_str(k.to_str().unwrap_or("?"));
    }
    m.push(')');
    m
}
