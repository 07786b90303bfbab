//! String arguments (keys, tags, namespaces) taken as PHP's own functions take them: a
//! `string`, or in the caller's weak mode an int, float, bool or `Stringable` converted as
//! `strval()` does; anything else is a `TypeError` in PHP's standard wording. Keys are text in
//! the core (and in every other SDK), so a string that is not UTF-8 is refused with
//! `UsageException` `invalid_string` (105).

use cachekit::ErrorKind;
use ext_php_rs::convert::FromZval;
use ext_php_rs::exception::PhpException;
use ext_php_rs::ffi::ZEND_ACC_STRICT_TYPES;
use ext_php_rs::flags::DataType;
use ext_php_rs::types::{ZendCallable, ZendHashTable, Zval};
use ext_php_rs::zend::{ExecutorGlobals, ce};

use crate::errors::{R, ck_err};

/// A `string` parameter (reflection says `string`), converted when the method runs.
pub struct Text(Zval);

impl<'a> FromZval<'a> for Text {
    const TYPE: DataType = DataType::String;

    fn from_zval(zval: &'a Zval) -> Option<Self> {
        Some(Text(zval.dereference().shallow_clone()))
    }
}

/// True when the PHP code calling the current internal function declared `strict_types=1`.
fn caller_is_strict() -> bool {
    let eg = ExecutorGlobals::get();
    // SAFETY: while an internal function runs, EG(current_execute_data) is its frame; the
    // frame, its caller and the caller's function are live engine structures (or null).
    unsafe {
        let Some(frame) = eg.current_execute_data.as_ref() else { return false };
        let Some(caller) = frame.prev_execute_data.as_ref() else { return false };
        let Some(func) = caller.func.as_ref() else { return false };
        func.common.fn_flags & ZEND_ACC_STRICT_TYPES != 0
    }
}

/// PHP's name of a value's type in argument errors (`int`, `array`, a class name, ...).
pub(crate) fn type_name(z: &Zval) -> String {
    match z.get_type() {
        DataType::Null | DataType::Undef => "null".to_owned(),
        DataType::False | DataType::True | DataType::Bool => "bool".to_owned(),
        DataType::Long => "int".to_owned(),
        DataType::Double => "float".to_owned(),
        DataType::String => "string".to_owned(),
        DataType::Array => "array".to_owned(),
        DataType::Object(_) => z.object().and_then(|o| o.get_class_name().ok()).unwrap_or_else(|| "object".to_owned()),
        DataType::Resource => "resource".to_owned(),
        _ => "mixed".to_owned(),
    }
}

/// `{function}(): Argument #{n} (${name}) must be of type {want}, {given} given`.
fn type_error(function: &str, n: u32, name: &str, want: &str, z: &Zval) -> PhpException {
    let msg = format!("{function}(): Argument #{n} (${name}) must be of type {want}, {} given", type_name(z));
    PhpException::new(msg, 0, ce::type_error())
}

/// Text of a zval as a string parameter would get it, or `None` when PHP would refuse it.
fn coerce(z: &Zval) -> Option<Vec<u8>> {
    if let Some(s) = z.zend_str() {
        return Some(s.as_bytes().to_vec());
    }
    let weak_ok = match z.get_type() {
        DataType::Long | DataType::Double | DataType::False | DataType::True | DataType::Bool => true,
        DataType::Object(_) => z.object().is_some_and(|o| o.instance_of(ce::stringable())),
        _ => false,
    };
    if !weak_ok || caller_is_strict() {
        return None;
    }
    let strval = ZendCallable::try_from_name("strval").ok()?;
    let r = strval.try_call(vec![z]).ok()?;
    r.zend_str().map(|s| s.as_bytes().to_vec())
}

fn utf8(bytes: Vec<u8>, function: &str, name: &str) -> R<String> {
    String::from_utf8(bytes).map_err(|e| {
        ck_err(
            ErrorKind::InvalidString,
            format!(
                "{function}(): ${name} must be UTF-8 text (cachekit keys are text in every SDK); \
                 invalid byte at offset {}",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

impl Text {
    /// The argument as UTF-8 text; `function`, `n` and `name` name it in errors.
    pub fn get(&self, function: &str, n: u32, name: &str) -> R<String> {
        match coerce(&self.0) {
            Some(b) => utf8(b, function, name),
            None => Err(type_error(function, n, name, "string", &self.0)),
        }
    }
}

/// A `?string` parameter.
pub fn opt(t: Option<Text>, function: &str, n: u32, name: &str) -> R<Option<String>> {
    t.filter(|t| !t.0.is_null()).map(|t| t.get(function, n, name)).transpose()
}

/// A `?array` of strings (tags): each element converted as a string argument.
pub fn texts(a: Option<&ZendHashTable>, function: &str, n: u32, name: &str) -> R<Vec<String>> {
    let Some(a) = a else { return Ok(Vec::new()) };
    a.values()
        .map(|v| {
            let v = v.dereference();
            match coerce(v) {
                Some(b) => utf8(b, function, name),
                None => Err(PhpException::new(
                    format!("{function}(): Argument #{n} (${name}) must contain only strings, {} given", type_name(v)),
                    0,
                    ce::type_error(),
                )),
            }
        })
        .collect()
}
