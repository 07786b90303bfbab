//! The napi addon's side of the JavaScript value mapping: the classes the package registers
//! (`registerRuntime`), its step builders, and [`NodeHost`], the mapping's [`Host`] over
//! Node-API. The mapping itself (rules, traversal, errors) is `cachekit-js-host`'s, shared
//! with the WebAssembly build; its crate documentation has the table.

use std::cell::{Cell, RefCell};
use std::ffi::CStr;

use napi::sys;

use cachekit::{ErrorKind, Value};
use cachekit_js_host::{Class, Host, Kind, ToCore, ToJs};

use crate::js::{Fail, Js, R, check, ck};

type V = sys::napi_value;

/// The JavaScript constructors and prototypes the mapping compares against, registered once
/// per thread by the package's loader (`registerRuntime`).
struct Runtime {
    object_proto: sys::napi_ref,
    array_from: sys::napi_ref,
    /// Each class's constructor, by `Class as usize`.
    classes: [sys::napi_ref; CLASSES],
    hit_step: sys::napi_ref,
    step: sys::napi_ref,
    command: sys::napi_ref,
}

const CLASSES: usize = Class::ALL.len();

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
    let mut classes = [std::ptr::null_mut(); CLASSES];
    for class in Class::ALL {
        classes[class as usize] = get(class.name())?;
    }
    let rt = Runtime {
        object_proto: get(c"objectPrototype")?,
        array_from: get(c"arrayFrom")?,
        classes,
        hit_step: get(c"hitStep")?,
        step: get(c"step")?,
        command: get(c"command")?,
    };
    // References of a previous registration are left alive: registration happens once per
    // thread, and a second one (a test reloading the loader) leaks a handful of handles.
    RUNTIME.with(|r| *r.borrow_mut() = Some(rt));
    Ok(())
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
    resolve(js, |rt| match which {
        Builder::Hit => rt.hit_step,
        Builder::Step => rt.step,
        Builder::Command => rt.command,
    })
}

/// The registered runtime's reference `pick`, resolved for the current call.
fn resolve(js: Js, pick: impl FnOnce(&Runtime) -> sys::napi_ref) -> R<V> {
    RUNTIME.with(|r| match r.borrow().as_ref() {
        Some(rt) => js.deref(pick(rt)),
        None => ck(ErrorKind::Internal, "the addon's value runtime is not registered (load it through the package)"),
    })
}

/// The mapping's [`Host`] over Node-API: the current call's environment, and each registered
/// handle resolved when first needed (a plain object needs only `Object.prototype`).
#[derive(Clone)]
pub struct NodeHost {
    js: Js,
    object_proto: Cell<Option<V>>,
    array_from: Cell<Option<V>>,
    classes: [Cell<Option<V>>; CLASSES],
}

impl NodeHost {
    /// A host for the current call.
    pub fn new(js: Js) -> NodeHost {
        NodeHost { js, object_proto: Cell::new(None), array_from: Cell::new(None), classes: Default::default() }
    }

    /// The handle in `slot`, resolved from the runtime (`pick`) on first use.
    fn handle(&self, slot: &Cell<Option<V>>, pick: impl FnOnce(&Runtime) -> sys::napi_ref) -> R<V> {
        if let Some(v) = slot.get() {
            return Ok(v);
        }
        let v = resolve(self.js, pick)?;
        slot.set(Some(v));
        Ok(v)
    }

    fn class(&self, class: Class) -> R<V> {
        self.handle(&self.classes[class as usize], |rt| rt.classes[class as usize])
    }
}

// Each method is one or two Node-API calls through `Js`, which checks every status.
impl Host for NodeHost {
    type V = V;
    type Err = Fail;

    fn kind(&self, v: &V) -> R<Kind> {
        let js = self.js;
        Ok(match js.type_of(*v)? {
            sys::ValueType::napi_undefined | sys::ValueType::napi_null => Kind::Nil,
            sys::ValueType::napi_boolean => Kind::Bool(js.get_bool(*v)?),
            sys::ValueType::napi_number => Kind::Number(js.get_f64(*v)?),
            sys::ValueType::napi_string => Kind::String,
            sys::ValueType::napi_bigint => Kind::BigInt,
            sys::ValueType::napi_object => Kind::Object,
            sys::ValueType::napi_function => Kind::Function,
            sys::ValueType::napi_symbol => Kind::Symbol,
            _ => Kind::Other,
        })
    }

    fn is_undefined(&self, v: &V) -> R<bool> {
        Ok(self.js.type_of(*v)? == sys::ValueType::napi_undefined)
    }

    fn string(&self, v: &V) -> R<String> {
        self.js.get_string(*v)
    }

    fn bigint(&self, v: &V) -> R<Option<i128>> {
        let (negative, words) = self.js.bigint_words(*v)?;
        if words.iter().skip(2).any(|&w| w != 0) {
            return Ok(None);
        }
        let mag =
            u128::from(words.first().copied().unwrap_or(0)) | (u128::from(words.get(1).copied().unwrap_or(0)) << 64);
        Ok(if negative {
            (mag <= 1u128 << 127).then(|| (mag as i128).wrapping_neg())
        } else {
            i128::try_from(mag).ok()
        })
    }

    fn is_array(&self, v: &V) -> R<bool> {
        self.js.is_array(*v)
    }

    fn len(&self, array: &V) -> R<u32> {
        self.js.array_len(*array)
    }

    fn element(&self, array: &V, i: u32) -> R<V> {
        self.js.element(*array, i)
    }

    fn bytes(&self, v: &V) -> R<Option<Vec<u8>>> {
        if let Some(b) = self.js.uint8_bytes(*v)? {
            return Ok(Some(b.to_vec()));
        }
        Ok(self.js.arraybuffer_bytes(*v)?.map(<[u8]>::to_vec))
    }

    fn date_millis(&self, v: &V) -> R<Option<f64>> {
        if self.js.is_date(*v)? { self.js.date_value(*v).map(Some) } else { Ok(None) }
    }

    fn is_plain_object(&self, v: &V) -> R<bool> {
        let js = self.js;
        let proto = js.prototype(*v)?;
        if js.type_of(proto)? == sys::ValueType::napi_null {
            return Ok(true);
        }
        let object_proto = self.handle(&self.object_proto, |rt| rt.object_proto)?;
        js.strict_equals(proto, object_proto)
    }

    fn class_of(&self, v: &V) -> R<Option<Class>> {
        for class in Class::ALL {
            let ctor = self.class(class)?;
            if self.js.instance_of(*v, ctor)? {
                return Ok(Some(class));
            }
        }
        Ok(None)
    }

    fn is_view(&self, v: &V) -> R<bool> {
        let mut typed = false;
        let mut view = false;
        // SAFETY: `v` belongs to the current call's scope; the statuses are checked.
        check(unsafe { sys::napi_is_typedarray(self.js.env, *v, &mut typed) })?;
        check(unsafe { sys::napi_is_dataview(self.js.env, *v, &mut view) })?;
        Ok(typed || view)
    }

    fn own_keys(&self, v: &V) -> R<V> {
        self.js.own_keys(*v)
    }

    fn get(&self, obj: &V, key: &V) -> R<V> {
        self.js.get(*obj, *key)
    }

    fn get_named(&self, obj: &V, name: &'static CStr) -> R<V> {
        self.js.get_named(*obj, name)
    }

    fn array_from(&self, v: &V) -> R<V> {
        let js = self.js;
        let f = self.handle(&self.array_from, |rt| rt.array_from)?;
        js.call(js.undefined()?, f, &[*v])
    }

    fn same(&self, a: &V, b: &V) -> R<bool> {
        self.js.strict_equals(*a, *b)
    }

    fn null(&self) -> R<V> {
        self.js.null()
    }

    fn boolean(&self, b: bool) -> R<V> {
        self.js.boolean(b)
    }

    fn number(&self, x: f64) -> R<V> {
        self.js.number(x)
    }

    fn new_bigint(&self, i: i128) -> R<V> {
        let mag = i.unsigned_abs();
        self.js.bigint(i < 0, &[mag as u64, (mag >> 64) as u64])
    }

    fn new_string(&self, s: &str) -> R<V> {
        self.js.string(s)
    }

    fn new_bytes(&self, b: &[u8]) -> R<V> {
        self.js.buffer(b)
    }

    fn new_array(&self, len: usize) -> R<V> {
        self.js.array(len)
    }

    fn set_element(&self, array: &V, i: u32, x: V) -> R<()> {
        self.js.set_element(*array, i, x)
    }

    fn new_object(&self) -> R<V> {
        self.js.object()
    }

    fn set_property(&self, obj: &V, key: &str, x: V, define: bool) -> R<()> {
        let k = self.js.string(key)?;
        if define { self.js.define(*obj, k, x) } else { self.js.set(*obj, k, x) }
    }

    fn new_date(&self, ms: f64) -> R<V> {
        self.js.date(ms)
    }

    fn construct(&self, class: Class, args: &[V]) -> R<V> {
        let ctor = self.class(class)?;
        self.js.construct(ctor, args)
    }
}

/// Converts a JavaScript value.
pub fn to_core(js: Js, v: V) -> R<Value> {
    ToCore::new(NodeHost::new(js)).value(&v)
}

/// Converts a core value: `exact`, the lossless form (see the crate's table).
pub fn to_js(js: Js, exact: bool, v: &Value) -> R<V> {
    ToJs::new(NodeHost::new(js), exact).value(v)
}

/// Converts a JavaScript array of arguments (`undefined`/`null` is no arguments).
pub fn to_core_list(js: Js, v: V, what: &str) -> R<Vec<Value>> {
    cachekit_js_host::to_core_list(NodeHost::new(js), &v, what)
}

/// Reads a string argument (validated UTF-16).
pub fn string_arg(js: Js, v: V, what: &str) -> R<String> {
    cachekit_js_host::string_arg(&NodeHost::new(js), &v, what)
}

/// Reads a byte argument (`Uint8Array`, `Buffer` or `ArrayBuffer`) into a `Vec` (one copy).
pub fn bytes_arg(js: Js, v: V, what: &str) -> R<Vec<u8>> {
    cachekit_js_host::bytes_arg(&NodeHost::new(js), &v, what)
}
