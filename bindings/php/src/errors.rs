//! `Cachekit\Exception` and its subclasses: every core [`Error`] becomes one of them, with
//! the core's stable numeric code as the exception code (`getCode()`) and the machine name
//! as the message prefix (`"unsupported_type: ..."`).

use cachekit::error::Category;
use cachekit::{Error, ErrorKind};
use ext_php_rs::class::RegisteredClass;
use ext_php_rs::exception::PhpException;
use ext_php_rs::prelude::*;
use ext_php_rs::zend::ce;

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
