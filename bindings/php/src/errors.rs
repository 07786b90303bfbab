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

/// One of the exception classes: its PHP name, its parent and its registered class entry.
trait ExceptionClass {
    /// The PHP class name.
    const NAME: &'static str;
    /// The parent class.
    const PARENT: ClassEntryInfo;
    /// Where the class entry is kept once registered.
    fn slot() -> &'static AtomicPtr<ClassEntry>;
}

macro_rules! exception_classes {
    ($($(#[doc = $doc:literal])* $ty:ident = $name:literal extends $parent:expr;)*) => {$(
        $(#[doc = $doc])*
        pub struct $ty;

        impl ExceptionClass for $ty {
            const NAME: &'static str = $name;
            const PARENT: ClassEntryInfo = $parent;
            fn slot() -> &'static AtomicPtr<ClassEntry> {
                static SLOT: AtomicPtr<ClassEntry> = AtomicPtr::new(ptr::null_mut());
                &SLOT
            }
        }
    )*};
}

/// `(class entry getter, name)` of one of the exception classes, as a parent.
const fn parent<T: ExceptionClass>() -> ClassEntryInfo {
    (class_entry::<T>, T::NAME)
}

exception_classes! {
    /// Base class of every cachekit exception; `getCode()` is the core's stable error code.
    CkException = "Cachekit\\Exception" extends (ce::exception, "\\Exception");
    /// Usage errors (codes 100–109): a value, key, TTL or option the cache refuses.
    UsageException = "Cachekit\\UsageException" extends parent::<CkException>();
    /// A value that cannot be cached: objects, resources, closures (code 103 `unsupported_type`).
    UnsupportedTypeException = "Cachekit\\UnsupportedTypeException" extends parent::<UsageException>();
    /// Decode and integrity errors (codes 200–221).
    DecodeException = "Cachekit\\DecodeException" extends parent::<CkException>();
    /// Crypto errors (codes 300–307): bad master key, keyring, tenant, decryption failure.
    CryptoException = "Cachekit\\CryptoException" extends parent::<CkException>();
    /// Backend errors (codes 400–406): Redis unavailable, breaker open, compute failed.
    BackendException = "Cachekit\\BackendException" extends parent::<CkException>();
    /// A bug in cachekit (code 500).
    InternalException = "Cachekit\\InternalException" extends parent::<CkException>();
}

/// The registered class entry of `T`.
///
/// # Panics
///
/// Before [`register_classes`] has run (it runs in MINIT, before any PHP code).
fn class_entry<T: ExceptionClass>() -> &'static ClassEntry {
    let ce = T::slot().load(Ordering::Acquire);
    // SAFETY: the slot is null or holds the entry the engine registered for `T` in MINIT;
    // internal class entries live until the module shuts down, and a new MINIT stores the
    // new one before any PHP code runs again.
    unsafe { ce.as_ref() }.unwrap_or_else(|| panic!("{} is not registered", T::NAME))
}

/// Keeps the class entry of `T` (the `ClassBuilder` registration callback). The classes
/// have no methods, so there is no argument info to keep.
fn keep_entry<T: ExceptionClass>(ce: &'static mut ClassEntry, _: ArgInfoTables) {
    T::slot().store(ptr::from_mut(ce), Ordering::Release);
}

fn register<T: ExceptionClass>() -> ext_php_rs::error::Result<()> {
    ClassBuilder::new(T::NAME).extends(T::PARENT).registration(keep_entry::<T>).register()
}

/// Module startup: registers the exception classes, each after its parent. On failure it
/// logs why and returns `FAILURE`, and PHP refuses to start the module.
pub extern "C" fn register_classes(_type: i32, _module_number: i32) -> i32 {
    let registered = catch_unwind(AssertUnwindSafe(|| {
        register::<CkException>()?;
        register::<UsageException>()?;
        register::<UnsupportedTypeException>()?;
        register::<DecodeException>()?;
        register::<CryptoException>()?;
        register::<BackendException>()?;
        register::<InternalException>()
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
    let kind = e.kind();
    let ce = match kind.category() {
        _ if kind == ErrorKind::UnsupportedType => class_entry::<UnsupportedTypeException>(),
        Category::Usage => class_entry::<UsageException>(),
        Category::Decode | Category::Integrity => class_entry::<DecodeException>(),
        Category::Crypto => class_entry::<CryptoException>(),
        Category::Backend => class_entry::<BackendException>(),
        Category::Internal => class_entry::<InternalException>(),
    };
    PhpException::new(format!("{}: {}", kind.name(), e.message()), i32::from(kind.code()), ce)
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
