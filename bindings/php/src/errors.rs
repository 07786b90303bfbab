//! `Cachekit\Exception` and its subclasses: every core [`Error`] becomes one of them, with
//! the core's stable numeric code as the exception code (`getCode()`) and the machine name
//! as the message prefix (`"unsupported_type: ..."`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use cachekit::error::Category;
use cachekit::{Error, ErrorKind};
use ext_php_rs::args::ArgInfoTables;
use ext_php_rs::builders::ClassBuilder;
use ext_php_rs::class::ClassEntryInfo;
use ext_php_rs::error::php_error;
use ext_php_rs::exception::PhpException;
use ext_php_rs::ffi::{ZEND_RESULT_CODE_FAILURE, ZEND_RESULT_CODE_SUCCESS};
use ext_php_rs::flags::ErrorType;
use ext_php_rs::zend::{ClassEntry, ce};

// The classes are plain internal classes extending `\Exception`, not `#[php_class]` structs:
// they hold no Rust state, and a `#[php_class]` installs its own `create_object`, which
// leaves out what `\Exception`'s (`zend_default_exception_new`) does: fill in `file`,
// `line` and `trace`. Registered without an override, each class inherits its parent's
// `create_object` and `__construct`, so it is created and constructed like `\Exception`.

/// The exception classes, by index: PHP name, and parent (its entry getter and name).
const CLASSES: [(&str, ClassEntryInfo); 7] = [
    // Base class of every cachekit exception; `getCode()` is the core's stable error code.
    ("Cachekit\\Exception", (ce::exception, "\\Exception")),
    // Usage errors (codes 100–109): a value, key, TTL or option the cache refuses.
    ("Cachekit\\UsageException", (class_entry::<BASE>, "Cachekit\\Exception")),
    // A value that cannot be cached: objects, resources, closures (code 103 `unsupported_type`).
    ("Cachekit\\UnsupportedTypeException", (class_entry::<USAGE>, "Cachekit\\UsageException")),
    // Decode and integrity errors (codes 200–221).
    ("Cachekit\\DecodeException", (class_entry::<BASE>, "Cachekit\\Exception")),
    // Crypto errors (codes 300–307): bad master key, keyring, tenant, decryption failure.
    ("Cachekit\\CryptoException", (class_entry::<BASE>, "Cachekit\\Exception")),
    // Backend errors (codes 400–406): Redis unavailable, breaker open, compute failed.
    ("Cachekit\\BackendException", (class_entry::<BASE>, "Cachekit\\Exception")),
    // A bug in cachekit (code 500).
    ("Cachekit\\InternalException", (class_entry::<BASE>, "Cachekit\\Exception")),
];
const BASE: usize = 0;
const USAGE: usize = 1;
const UNSUPPORTED_TYPE: usize = 2;
const DECODE: usize = 3;
const CRYPTO: usize = 4;
const BACKEND: usize = 5;
const INTERNAL: usize = 6;

/// The class entries, once registered (MINIT).
static ENTRIES: [AtomicPtr<ClassEntry>; 7] = [const { AtomicPtr::new(ptr::null_mut()) }; 7];

/// The registered class entry of class `I` (a function per class: `ClassBuilder::extends`
/// takes a getter without arguments).
///
/// # Panics
///
/// Before [`register_classes`] has run (it runs in MINIT, before any PHP code).
fn class_entry<const I: usize>() -> &'static ClassEntry {
    let ce = ENTRIES[I].load(Ordering::Acquire);
    // SAFETY: the slot is null or holds the entry the engine registered for class `I` in
    // MINIT; internal class entries live until the module shuts down, and a new MINIT stores
    // the new one before any PHP code runs again.
    unsafe { ce.as_ref() }.unwrap_or_else(|| panic!("{} is not registered", CLASSES[I].0))
}

/// Keeps the class entry of class `I` (the `ClassBuilder` registration callback). The
/// classes have no methods, so there is no argument info to keep.
fn keep_entry<const I: usize>(ce: &'static mut ClassEntry, _: ArgInfoTables) {
    ENTRIES[I].store(ptr::from_mut(ce), Ordering::Release);
}

/// Registers class `I` under its parent (registered before it).
fn register<const I: usize>() -> ext_php_rs::error::Result<()> {
    let (name, parent) = CLASSES[I];
    ClassBuilder::new(name).extends(parent).registration(keep_entry::<I>).register()
}

/// Module startup: registers the exception classes, each after its parent. On failure it
/// logs why and returns `FAILURE`, and PHP refuses to start the module.
pub extern "C" fn register_classes(_type: i32, _module_number: i32) -> i32 {
    let registered = catch_unwind(AssertUnwindSafe(|| {
        register::<BASE>()?;
        register::<USAGE>()?;
        register::<UNSUPPORTED_TYPE>()?;
        register::<DECODE>()?;
        register::<CRYPTO>()?;
        register::<BACKEND>()?;
        register::<INTERNAL>()
    }));
    let failure = match registered {
        Ok(Ok(())) => return ZEND_RESULT_CODE_SUCCESS,
        Ok(Err(e)) => e.to_string(),
        Err(panic) => match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
            (Some(m), _) => format!("panicked: {m}"),
            (_, Some(m)) => format!("panicked: {m}"),
            _ => "panicked".to_owned(),
        },
    };
    php_error(&ErrorType::CoreWarning, &format!("cachekit: registering the exception classes failed: {failure}"));
    ZEND_RESULT_CODE_FAILURE
}

/// The PHP exception for a core error: class by category, code = stable code, message
/// `"{name}: {message}"`.
pub fn ck_exception(e: &Error) -> PhpException {
    let (ce, message, code) = exception_parts(e);
    PhpException::new(message, code, ce)
}

/// The class, message and code of the exception `ck_exception` makes for `e`.
pub fn exception_parts(e: &Error) -> (&'static ClassEntry, String, i32) {
    let kind = e.kind();
    let ce = match kind.category() {
        _ if kind == ErrorKind::UnsupportedType => class_entry::<UNSUPPORTED_TYPE>(),
        Category::Usage => class_entry::<USAGE>(),
        Category::Decode | Category::Integrity => class_entry::<DECODE>(),
        Category::Crypto => class_entry::<CRYPTO>(),
        Category::Backend => class_entry::<BACKEND>(),
        Category::Internal => class_entry::<INTERNAL>(),
    };
    (ce, format!("{}: {}", kind.name(), e.message()), i32::from(kind.code()))
}

/// `ck_exception` of a new error.
pub fn ck_err(kind: ErrorKind, message: impl Into<String>) -> PhpException {
    ck_exception(&Error::new(kind, message.into()))
}

/// Result alias for core results in PHP-facing code.
pub type R<T> = Result<T, PhpException>;

/// Converts a core result into a PHP result.
pub fn ck<T>(r: cachekit::Result<T>) -> R<T> {
    r.map_err(|e| ck_exception(&e))
}
