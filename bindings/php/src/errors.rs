//! `Cachekit\Exception` and its subclasses: every core [`Error`] becomes one of them, with
//! the core's stable numeric code as the exception code (`getCode()`) and the machine name
//! as the message prefix (`"unsupported_type: ..."`).

use cachekit::error::Category;
use cachekit::{Error, ErrorKind};
use ext_php_rs::class::RegisteredClass;
use ext_php_rs::exception::PhpException;
use ext_php_rs::prelude::*;
use ext_php_rs::types::Zval;
use ext_php_rs::zend::{ExecutorGlobals, ce};

/// Base class of every cachekit exception; `getCode()` is the core's stable error code.
#[php_class]
#[php(name = "Cachekit\\Exception")]
#[php(extends(ce = ce::exception, stub = "\\Exception"))]
#[derive(Default)]
pub struct CkException;

/// Usage errors (codes 100–109): a value, key, TTL or option the cache refuses.
#[php_class]
#[php(name = "Cachekit\\UsageException")]
#[php(extends(CkException))]
#[derive(Default)]
pub struct UsageException;

/// A value that cannot be cached: objects, resources, closures (code 103 `unsupported_type`).
#[php_class]
#[php(name = "Cachekit\\UnsupportedTypeException")]
#[php(extends(UsageException))]
#[derive(Default)]
pub struct UnsupportedTypeException;

/// Decode and integrity errors (codes 200–221).
#[php_class]
#[php(name = "Cachekit\\DecodeException")]
#[php(extends(CkException))]
#[derive(Default)]
pub struct DecodeException;

/// Crypto errors (codes 300–307): bad master key, keyring, tenant, decryption failure.
#[php_class]
#[php(name = "Cachekit\\CryptoException")]
#[php(extends(CkException))]
#[derive(Default)]
pub struct CryptoException;

/// Backend errors (codes 400–406): Redis unavailable, breaker open, compute failed.
#[php_class]
#[php(name = "Cachekit\\BackendException")]
#[php(extends(CkException))]
#[derive(Default)]
pub struct BackendException;

/// A bug in cachekit (code 500).
#[php_class]
#[php(name = "Cachekit\\InternalException")]
#[php(extends(CkException))]
#[derive(Default)]
pub struct InternalException;

/// Runs `\Exception::__construct($message, $code, $previous)` on the object being constructed
/// (`$this` of the running constructor), so the classes construct like any PHP exception.
fn construct_exception(message: String, code: i64, previous: Option<&Zval>) -> R<()> {
    let this = {
        let eg = ExecutorGlobals::get();
        // SAFETY: inside a constructor EG(current_execute_data) is its frame, whose `This`
        // holds the object being constructed.
        unsafe { eg.current_execute_data.as_ref() }
            .and_then(|f| f.This.object())
            .map(|o| std::ptr::from_ref(o).cast_mut())
    };
    let Some(this) = this else {
        return Err(PhpException::new("no object to construct".to_owned(), 0, ce::error()));
    };
    let mut params = [Zval::new(), Zval::new(), Zval::new()];
    params[0].set_string(&message, false).map_err(|e| PhpException::from_message(e.to_string()))?;
    params[1].set_long(code);
    let mut count = 2;
    if let Some(p) = previous {
        params[2] = p.dereference().shallow_clone();
        count = 3;
    }
    let mut retval = Zval::new();
    // SAFETY: the constructor of \Exception is a live internal function; `this` is a live
    // object of a subclass; the parameters outlive the call.
    unsafe {
        let ctor = ce::exception().constructor;
        ext_php_rs::ffi::zend_call_known_function(
            ctor,
            this,
            (*this).ce,
            &raw mut retval,
            count,
            params.as_mut_ptr(),
            std::ptr::null_mut(),
        );
    }
    Ok(())
}

macro_rules! constructible {
    ($($ty:ident),*) => {$(
        #[php_impl]
        impl $ty {
            /// As `\Exception::__construct`: message, code, previous throwable.
            #[php(defaults(message = "\"\"", code = 0))]
            pub fn __construct(message: String, code: i64, previous: Option<&Zval>) -> R<$ty> {
                construct_exception(message, code, previous)?;
                Ok($ty)
            }
        }
    )*};
}

constructible!(
    CkException,
    UsageException,
    UnsupportedTypeException,
    DecodeException,
    CryptoException,
    BackendException,
    InternalException
);

/// The PHP exception for a core error: class by category, code = stable code, message
/// `"{name}: {message}"`.
pub fn ck_exception(e: &Error) -> PhpException {
    let kind = e.kind();
    let ce = match kind.category() {
        _ if kind == ErrorKind::UnsupportedType => UnsupportedTypeException::get_metadata().ce(),
        Category::Usage => UsageException::get_metadata().ce(),
        Category::Decode | Category::Integrity => DecodeException::get_metadata().ce(),
        Category::Crypto => CryptoException::get_metadata().ce(),
        Category::Backend => BackendException::get_metadata().ce(),
        Category::Internal => InternalException::get_metadata().ce(),
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
