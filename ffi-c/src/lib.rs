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
//!
//! Every export is `ck_`-prefixed, runs inside a panic boundary (`catch_unwind`) and
//! reports failures as result codes; nothing unwinds into C. The boundary is only real
//! with `panic = "unwind"`, so building this crate with `panic = "abort"` is refused.

#![warn(missing_docs)]
#![allow(non_camel_case_types)]

#[cfg(panic = "abort")]
compile_error!("cachekit-ffi needs panic = \"unwind\": its catch_unwind boundary is what keeps panics out of C");

// Declaration order is the header's order: conventions, values, keys material, entries,
// cache keys, then the lower layers.
pub mod boundary;

pub mod values;

pub mod keyring;

pub mod entry;

pub mod keys;

pub mod envelope;

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
