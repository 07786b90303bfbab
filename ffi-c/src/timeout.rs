//! The `ck_adaptive_timeout` handle: a latency estimator over a sliding window (count and
//! age bounded) that proposes `clamp(ceil(P99 × multiplier + margin), min, max)` as the
//! timeout of the next Redis call.

use cachekit::adaptive_timeout::{AdaptiveTimeout, AdaptiveTimeoutConfig, TimeoutSnapshot};

use crate::boundary::{ck_result, guard, handle, invalid, write_out};
use crate::handles::{free, register};

/// Tuning of an adaptive timeout. Start from `ck_adaptive_timeout_config_default()`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ck_adaptive_timeout_config {
    /// Samples kept (default 1000).
    pub window: usize,
    /// Samples older than this many ms are ignored (default 60000).
    pub max_age_ms: u64,
    /// Below this many samples the timeout is `max_timeout_ms` (default 20; 1..=window).
    pub min_samples: usize,
    /// Factor applied to the P99 (default 2.0; finite, at least 1).
    pub multiplier: f64,
    /// Added after the multiplier, in ms (default 0).
    pub margin_ms: u64,
    /// Lower clamp in ms (default 50; > 0).
    pub min_timeout_ms: u64,
    /// Upper clamp in ms, and the answer while the estimate is not trusted (default 5000).
    pub max_timeout_ms: u64,
    /// The cached answer is recomputed after this many new samples (default 64)…
    pub refresh_every: u32,
    /// … or when it is this many ms old (default 1000).
    pub refresh_interval_ms: u64,
}

impl From<&AdaptiveTimeoutConfig> for ck_adaptive_timeout_config {
    fn from(c: &AdaptiveTimeoutConfig) -> ck_adaptive_timeout_config {
        ck_adaptive_timeout_config {
            window: c.window,
            max_age_ms: c.max_age,
            min_samples: c.min_samples,
            multiplier: c.multiplier,
            margin_ms: c.margin,
            min_timeout_ms: c.min_timeout,
            max_timeout_ms: c.max_timeout,
            refresh_every: c.refresh_every,
            refresh_interval_ms: c.refresh_interval,
        }
    }
}

/// The window is preallocated: refuse sizes no real configuration needs before allocating.
const MAX_WINDOW: usize = 1 << 24;

impl TryFrom<&ck_adaptive_timeout_config> for AdaptiveTimeoutConfig {
    type Error = cachekit::Error;

    fn try_from(c: &ck_adaptive_timeout_config) -> cachekit::Result<AdaptiveTimeoutConfig> {
        if c.window > MAX_WINDOW {
            return Err(invalid(format!("adaptive timeout window {} exceeds {MAX_WINDOW} samples", c.window)));
        }
        Ok(AdaptiveTimeoutConfig {
            window: c.window,
            max_age: c.max_age_ms,
            min_samples: c.min_samples,
            multiplier: c.multiplier,
            margin: c.margin_ms,
            min_timeout: c.min_timeout_ms,
            max_timeout: c.max_timeout_ms,
            refresh_every: c.refresh_every,
            refresh_interval: c.refresh_interval_ms,
        })
    }
}

/// A point-in-time view of the estimator (`ck_adaptive_timeout_get_snapshot`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ck_timeout_snapshot {
    /// Samples in the window (within both bounds).
    pub samples: usize,
    /// True when the window holds a sample; otherwise the percentiles are 0.
    pub has_percentiles: bool,
    /// Median latency in ms.
    pub p50_ms: f64,
    /// 95th percentile in ms.
    pub p95_ms: f64,
    /// 99th percentile in ms.
    pub p99_ms: f64,
    /// The timeout these numbers propose, in ms.
    pub timeout_ms: u64,
    /// Samples observed over the estimator's life.
    pub observed_total: u64,
}

impl From<TimeoutSnapshot> for ck_timeout_snapshot {
    fn from(s: TimeoutSnapshot) -> ck_timeout_snapshot {
        ck_timeout_snapshot {
            samples: s.samples,
            has_percentiles: s.p50.is_some(),
            p50_ms: s.p50.unwrap_or(0.0),
            p95_ms: s.p95.unwrap_or(0.0),
            p99_ms: s.p99.unwrap_or(0.0),
            timeout_ms: s.timeout,
            observed_total: s.observed_total,
        }
    }
}

/// An adaptive timeout estimator. Opaque: create it with `ck_adaptive_timeout_new`,
/// release it with `ck_adaptive_timeout_free`. Thread-safe: every function except the
/// `_free` may be called on one handle from many threads at once.
pub struct ck_adaptive_timeout {
    timeout: AdaptiveTimeout,
}

/// The defaults: last 1000 samples no older than 60 s, P99 × 2, clamped to 50…5000 ms,
/// untrusted below 20 samples. Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ck_adaptive_timeout_config_default() -> ck_adaptive_timeout_config {
    (&AdaptiveTimeoutConfig::default()).into()
}

/// Creates an estimator with `config` (NULL = `ck_adaptive_timeout_config_default()`).
/// Both window buffers are allocated now, and never again.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `out`; a zero window or age;
/// `min_samples` outside 1..=window; a multiplier below 1 or not finite; not
/// 0 < min <= max; a window over 16M samples).
/// Ownership: `config` is copied. On success `*out` is a new handle the caller owns:
/// release it with `ck_adaptive_timeout_free`. On failure `*out` is NULL.
/// Thread safety: safe from any thread.
///
/// # Safety
/// `config` is NULL or readable; `out` is NULL or a writable `ck_adaptive_timeout *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_adaptive_timeout_new(
    config: *const ck_adaptive_timeout_config,
    out: *mut *mut ck_adaptive_timeout,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, std::ptr::null_mut(), "out") }?;
        // SAFETY: NULL or readable per the caller.
        let config = match unsafe { config.as_ref() } {
            Some(c) => AdaptiveTimeoutConfig::try_from(c)?,
            None => AdaptiveTimeoutConfig::default(),
        };
        let timeout = AdaptiveTimeout::new(config)?;
        // SAFETY: `out` was checked writable above.
        unsafe { *out = register(Box::new(ck_adaptive_timeout { timeout })) };
        Ok(())
    })
}

/// Releases an estimator. NULL, an already freed handle and a pointer that is not a live
/// `ck_adaptive_timeout` are ignored. Thread safety: no other call may be using the handle.
///
/// # Safety
/// `timeout` is NULL or a pointer previously returned by `ck_adaptive_timeout_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_adaptive_timeout_free(timeout: *mut ck_adaptive_timeout) {
    // SAFETY: forwarded contract; only a live handle is dropped.
    unsafe { free(timeout) }
}

/// Records one call that took `latency_ms` (fractions allowed) and finished at `now_ms`.
/// Record timed-out calls too, with the time they ran. Negative latencies count as 0; NaN
/// and infinities are ignored.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `timeout`).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `timeout` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_adaptive_timeout_observe(
    timeout: *const ck_adaptive_timeout,
    latency_ms: f64,
    now_ms: u64,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { handle(timeout, "timeout") }?.timeout.observe(latency_ms, now_ms);
        Ok(())
    })
}

/// Writes the timeout to apply to a call starting at `now_ms` to `*out_ms` (cached; cheap).
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `timeout` or `out_ms`).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `timeout` is NULL or live; `out_ms` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_adaptive_timeout_get(
    timeout: *const ck_adaptive_timeout,
    now_ms: u64,
    out_ms: *mut u64,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out_ms, 0, "out_ms") }?;
        // SAFETY: forwarded contract.
        let t = unsafe { handle(timeout, "timeout") }?.timeout.timeout(now_ms);
        // SAFETY: checked writable above.
        unsafe { *out_ms = t };
        Ok(())
    })
}

/// Fills the caller's `*out` with percentiles and the proposed timeout at `now_ms`,
/// computed afresh.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `timeout` or `out`).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `timeout` is NULL or live; `out` is NULL or a writable `ck_timeout_snapshot`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_adaptive_timeout_get_snapshot(
    timeout: *const ck_adaptive_timeout,
    now_ms: u64,
    out: *mut ck_timeout_snapshot,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, ck_timeout_snapshot::default(), "out") }?;
        // SAFETY: forwarded contract.
        let s = unsafe { handle(timeout, "timeout") }?.timeout.snapshot(now_ms);
        // SAFETY: checked writable above.
        unsafe { *out = s.into() };
        Ok(())
    })
}

/// Forgets every sample (e.g. after reconnecting to another server).
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `timeout`).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `timeout` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_adaptive_timeout_clear(timeout: *const ck_adaptive_timeout) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { handle(timeout, "timeout") }?.timeout.clear();
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::{CK_INVALID_ARGUMENT, CK_OK};

    #[test]
    fn learns_and_clamps() {
        let mut t = std::ptr::null_mut();
        let cfg = ck_adaptive_timeout_config { min_samples: 1, ..ck_adaptive_timeout_config_default() };
        unsafe {
            assert_eq!(ck_adaptive_timeout_new(&cfg, &mut t), CK_OK);
            let mut ms = 0;
            assert_eq!(ck_adaptive_timeout_get(t, 0, &mut ms), CK_OK);
            assert_eq!(ms, 5000);
            for _ in 0..100 {
                assert_eq!(ck_adaptive_timeout_observe(t, 40.0, 1), CK_OK);
            }
            let mut s = ck_timeout_snapshot::default();
            assert_eq!(ck_adaptive_timeout_get_snapshot(t, 2, &mut s), CK_OK);
            assert!(s.has_percentiles);
            assert_eq!((s.p99_ms, s.timeout_ms, s.samples), (40.0, 80, 100));
            ck_adaptive_timeout_free(t);
            let bad = ck_adaptive_timeout_config { window: usize::MAX, ..cfg };
            assert_eq!(ck_adaptive_timeout_new(&bad, &mut t), CK_INVALID_ARGUMENT);
            assert!(t.is_null());
        }
    }
}
