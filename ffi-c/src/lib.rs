//! # cachekit-ffi: the C ABI of cachekit
//!
//! Builds `libcachekit.so` and `libcachekit.a`; `include/cachekit.h` is generated from this
//! crate by the cbindgen CLI (`ffi-c/cbindgen.toml` holds the header's preamble: ownership,
//! error handling, thread safety and the MessagePack conventions of the C surface).
//!
//! | module | exports |
//! |---|---|
//! | [`boundary`] | result codes, `ck_buf`, error names/messages, the thread-local last error |
//! | [`values`] | how C MessagePack maps onto the core value model; `ck_msgpack_*` helpers |
//! | [`keyring`] | master keys, the `ck_keyring` handle, AAD, HKDF, raw AES-256-GCM |
//! | [`entry`] | `ck_entry_encode` / `ck_entry_decode` (default and interop mode, optional encryption) |
//! | [`keys`] | default-mode and interop keys, interop canonicalization |
//! | [`envelope`] | the ByteStorage envelope and cachekit-py `CK` frame inspection |
//! | [`handles`] | the registry that makes every state-machine handle's `_free` safe to repeat |
//! | [`l1`] | the `ck_l1` handle: the in-process L1 cache of stored entry bytes |
//! | [`breaker`] | the `ck_breaker` handle; `ck_classify_redis_error` |
//! | [`limiter`] | the `ck_limiter` handle (backpressure) |
//! | [`timeout`] | the `ck_adaptive_timeout` handle |
//! | [`engine`] | the `ck_engine` handle: configuration, requests, the calls that start an op |
//! | [`op`] | the `ck_op` handle: `ck_step`, `ck_command`, `ck_reply`, `ck_outcome` and the op calls |
//! | [`metrics`] | `ck_metrics_render`: Prometheus text of an engine |
//!
//! Every export is `ck_`-prefixed, runs inside a panic boundary (`catch_unwind`) and
//! reports failures as result codes; nothing unwinds into C. The boundary is only real
//! with `panic = "unwind"`, so building this crate with `panic = "abort"` is refused.

#![warn(missing_docs)]
#![allow(non_camel_case_types)]

#[cfg(panic = "abort")]
compile_error!("cachekit-ffi needs panic = \"unwind\": its catch_unwind boundary is what keeps panics out of C");

// Declaration order is the header's order: conventions, values, keys material, entries,
// cache keys, the lower layers, then the state-machine handles and the engine.
pub mod boundary;

pub mod values;

pub mod keyring;

pub mod entry;

pub mod keys;

pub mod envelope;

pub mod handles;

pub mod l1;

pub mod breaker;

pub mod limiter;

pub mod timeout;

pub mod engine;

pub mod op;

pub mod metrics;

/// Major version of this header (`ck_version()` reports the linked library's).
pub const CACHEKIT_VERSION_MAJOR: u32 = 0;
/// Minor version of this header.
pub const CACHEKIT_VERSION_MINOR: u32 = 1;
/// Patch version of this header.
pub const CACHEKIT_VERSION_PATCH: u32 = 0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_handles_are_send_and_sync() {
        // The header promises these may be used from many threads at once.
        fn shared<T: Send + Sync>() {}
        shared::<l1::ck_l1>();
        shared::<breaker::ck_breaker>();
        shared::<limiter::ck_limiter>();
        shared::<timeout::ck_adaptive_timeout>();
        shared::<engine::ck_engine>();
        shared::<keyring::ck_keyring>();
        // An op is one call: it may move between threads, not be shared.
        fn movable<T: Send>() {}
        movable::<op::ck_op>();
    }

    #[test]
    fn header_version_macros_match_the_crate() {
        let v = env!("CARGO_PKG_VERSION");
        assert_eq!(v, cachekit::VERSION);
        assert_eq!(format!("{CACHEKIT_VERSION_MAJOR}.{CACHEKIT_VERSION_MINOR}.{CACHEKIT_VERSION_PATCH}"), v);
        // cbindgen cannot export a string constant: the header's copy lives in cbindgen.toml.
        let line = format!("#define CACHEKIT_VERSION_STRING \"{v}\"");
        assert!(include_str!("../cbindgen.toml").contains(&line), "cbindgen.toml needs {line}");
        let linked = unsafe { std::ffi::CStr::from_ptr(boundary::ck_version()) };
        assert_eq!(linked.to_str().unwrap(), v);
    }
}
