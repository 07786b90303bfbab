//! The cachekit PHP extension: `Cachekit\Cache` on the user's phpredis client, the value
//! mapping, exceptions carrying the core's stable codes, and the protocol primitives
//! (`Cachekit\Protocol`) the conformance runner uses. All protocol work is in the core.

#![cfg_attr(windows, feature(abi_vectorcall))]

pub mod args;
pub mod cache;
pub mod errors;
pub mod protocol;
pub mod redis_io;
pub mod report;
pub mod unwind;
pub mod value;
pub mod wrappers;

use ext_php_rs::prelude::*;

/// The extension's version (the core's).
#[php_function]
#[php(name = "Cachekit\\version")]
pub fn version() -> &'static str {
    cachekit::VERSION
}

/// Request shutdown: forgets this request's in-progress `remember`/`interop` keys (a bailout
/// already abandoned their operations; this only guarantees the next request starts clean).
extern "C" fn request_shutdown(_type: i32, _module_number: i32) -> i32 {
    unwind::Computing::clear();
    0
}

#[php_module]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    module
        // The exception classes are plain subclasses of \Exception (see errors.rs), registered
        // at module startup rather than as `#[php_class]`es.
        .startup_function(errors::register_classes)
        .request_shutdown_function(request_shutdown)
        .class::<wrappers::Bytes>()
        .class::<wrappers::BigInt>()
        .class::<wrappers::Uuid>()
        .class::<wrappers::Date>()
        .class::<wrappers::Time>()
        .class::<wrappers::NaiveDateTime>()
        .class::<wrappers::Set>()
        .class::<wrappers::Map>()
        .class::<cache::Cache>()
        .class::<protocol::Protocol>()
        .class::<protocol::Keyring>()
        .function(wrap_function!(version))
}
