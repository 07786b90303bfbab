//! Metrics of an engine in the Prometheus text exposition format, so a C service can serve
//! `/metrics` with one call.

use std::ffi::c_char;

use crate::boundary::{ck_buf, ck_result, guard, handle, out_buf};
use crate::engine::ck_engine;

/// Renders the engine's metrics at `now_ms` into `*out` as Prometheus text exposition
/// (format 0.0.4; serve it with `ck_metrics_content_type()`): hits and misses by layer
/// (`l1`, `redis`), errors by kind (the `ck_error_name` names), the breaker state, L1 bytes
/// and entries (refreshed at this call) and the request latency histogram.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `engine` or `out`).
/// Ownership: on success free `*out` (text, NUL-terminated) with `ck_buf_free`.
/// Thread safety: safe concurrently on the same engine.
///
/// # Safety
/// `engine` is NULL or live; `out` is NULL or a writable `ck_buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_metrics_render(engine: *const ck_engine, now_ms: u64, out: *mut ck_buf) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: forwarded contract.
        let e = unsafe { handle(engine, "engine") }?;
        *out = ck_buf::from_vec(e.engine.render_metrics(now_ms).into_bytes());
        Ok(())
    })
}

/// The HTTP `Content-Type` of `ck_metrics_render`'s text
/// (`"text/plain; version=0.0.4; charset=utf-8"`).
/// Ownership: static; never free it. Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ck_metrics_content_type() -> *const c_char {
    const _: () = assert!(cachekit::metrics::CONTENT_TYPE.len() == 40);
    c"text/plain; version=0.0.4; charset=utf-8".as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_is_the_core_s() {
        let c = unsafe { std::ffi::CStr::from_ptr(ck_metrics_content_type()) };
        assert_eq!(c.to_str().unwrap(), cachekit::metrics::CONTENT_TYPE);
    }
}
