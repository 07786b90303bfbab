//! Core → JavaScript: [`ToJs`], in the natural or the exact form (see the crate's table).

use cachekit::Value;
use cachekit::value::{JS_MAX_SAFE_INTEGER, format_uuid};

use crate::host::{Class, Host};

/// Converts core values to JavaScript values.
pub struct ToJs<H: Host> {
    host: H,
    exact: bool,
}

impl<H: Host> ToJs<H> {
    /// A conversion over `host`; `exact`: the lossless form.
    pub fn new(host: H, exact: bool) -> ToJs<H> {
        ToJs { host, exact }
    }

    /// Converts one value.
    pub fn value(&mut self, v: &Value) -> Result<H::V, H::Err> {
        match v {
            Value::Nil => self.host.null(),
            Value::Bool(b) => self.host.boolean(*b),
            Value::Int(i) => {
                if !self.exact && (i.unsigned_abs() as f64) <= JS_MAX_SAFE_INTEGER {
                    self.host.number(*i as f64)
                } else {
                    self.host.new_bigint(*i)
                }
            }
            Value::Float(x) => {
                let n = self.host.number(*x)?;
                if self.exact { self.host.construct(Class::Float, &[n]) } else { Ok(n) }
            }
            Value::Str(s) => self.host.new_string(s),
            Value::Bytes(b) => self.host.new_bytes(b),
            Value::Array(items) => self.array(items),
            Value::Map(entries) => self.map(entries),
            Value::Set(items) => {
                let a = self.array(items)?;
                self.host.construct(Class::Set, &[a])
            }
            Value::DateTime(dt) => {
                if self.exact {
                    self.wrapped(Class::IsoDateTime, &dt.to_string())
                } else {
                    self.host.new_date(dt.unix_millis_utc() as f64)
                }
            }
            Value::Date(d) => self.wrapped(Class::LocalDate, &d.to_string()),
            Value::Time(t) => self.wrapped(Class::LocalTime, &t.to_string()),
            Value::Uuid(u) => self.wrapped(Class::Uuid, &format_uuid(u)),
            Value::Ext(t, data) => {
                let tv = self.host.number(f64::from(*t))?;
                let dv = self.host.new_bytes(data)?;
                self.host.construct(Class::Ext, &[tv, dv])
            }
        }
    }

    /// A JS array of the items, converted.
    fn array(&mut self, items: &[Value]) -> Result<H::V, H::Err> {
        let a = self.host.new_array(items.len())?;
        for (i, x) in items.iter().enumerate() {
            let e = self.value(x)?;
            self.host.set_element(&a, i as u32, e)?;
        }
        Ok(a)
    }

    /// A plain object when every key is a string (natural form), else a `Map` (natural) or
    /// `MapEntries` (exact) built from `[key, value]` pairs.
    fn map(&mut self, entries: &[(Value, Value)]) -> Result<H::V, H::Err> {
        if !self.exact && entries.iter().all(|(k, _)| matches!(k, Value::Str(_))) {
            let o = self.host.new_object()?;
            for (k, x) in entries {
                let Value::Str(key) = k else { unreachable!("checked above") };
                let val = self.value(x)?;
                self.host.set_property(&o, key, val, key == "__proto__")?;
            }
            return Ok(o);
        }
        let pairs = self.host.new_array(entries.len())?;
        for (i, (k, x)) in entries.iter().enumerate() {
            let pair = self.host.new_array(2)?;
            let kv = self.value(k)?;
            self.host.set_element(&pair, 0, kv)?;
            let xv = self.value(x)?;
            self.host.set_element(&pair, 1, xv)?;
            self.host.set_element(&pairs, i as u32, pair)?;
        }
        self.host.construct(if self.exact { Class::MapEntries } else { Class::Map }, &[pairs])
    }

    /// `new class(text)`.
    fn wrapped(&mut self, class: Class, text: &str) -> Result<H::V, H::Err> {
        let s = self.host.new_string(text)?;
        self.host.construct(class, &[s])
    }
}
