//! Adaptive timeouts: a latency estimator over a sliding window that proposes the deadline
//! for the next Redis call.
//!
//! ```text
//! timeout = clamp(ceil(P99 × multiplier + margin), min_timeout, max_timeout)
//! ```
//!
//! Defaults: the last 1000 samples no older than 60 s, P99 × 2, clamped to 50 ms … 5000 ms
//! (5000 ms is the SPEC §9 socket timeout, so the adaptive deadline is never looser than the
//! static one). With fewer than 20 samples in the window the estimate is not trusted and the
//! timeout is `max_timeout`.
//!
//! **Why the window is bounded by both count and age.** The count bound gives fixed memory
//! (two preallocated buffers of `window` entries, nothing allocated after construction) and
//! keeps the cost of a percentile query constant at any request rate; 1000 samples still leave
//! ten above the P99, enough for a stable estimate. The age bound makes the estimate forget at
//! low request rates, where 1000 samples could span hours: a slow spell this morning must not
//! set this afternoon's timeout. An age bound alone would need memory proportional to the
//! request rate.
//!
//! **Why ×2 and not less.** A timeout turns a slow success into a failure that also counts
//! toward opening the circuit breaker, so false timeouts are costly; long-tailed latency
//! distributions typically put P99.9 well above P99. A call is cut only when it is already
//! twice as slow as 99 % of recent calls.
//!
//! **Record timed-out calls too**, with the time they ran (about the timeout in force). Only
//! recording successes would censor the tail: the estimate would drift down, the timeout
//! with it, and more calls would time out. A recorded timeout pulls the P99 up to the current
//! timeout, and the ×2 multiplier then loosens it.
//!
//! Percentiles use the nearest-rank definition (the smallest sample with at least q % of the
//! samples at or below it), computed by selection, not sorting. [`AdaptiveTimeout::timeout`]
//! caches its answer and recomputes it after `refresh_every` new samples or `refresh_interval`
//! ms, so the per-call cost is a lock and a comparison; [`AdaptiveTimeout::snapshot`] always
//! computes afresh.
//!
//! `Send + Sync`: one `std::sync::Mutex` guards the window.

use std::sync::{Mutex, MutexGuard};

use crate::error::{ErrorKind, Result, err};
use crate::time::Millis;

/// Tuning of an [`AdaptiveTimeout`].
#[derive(Clone, Debug, PartialEq)]
pub struct AdaptiveTimeoutConfig {
    /// Samples kept (the count bound of the window). Default 1000.
    pub window: usize,
    /// Samples older than this many ms are ignored (the age bound). Default 60 000.
    pub max_age: Millis,
    /// Below this many samples in the window, the timeout is `max_timeout`. Default 20.
    pub min_samples: usize,
    /// Factor applied to the P99. Default 2.0.
    pub multiplier: f64,
    /// Added after the multiplier, in ms. Default 0.
    pub margin: Millis,
    /// Lower clamp, in ms. Default 50.
    pub min_timeout: Millis,
    /// Upper clamp, in ms; also the answer while the estimate is not trusted. Default 5000
    /// (the SPEC §9 socket timeout).
    pub max_timeout: Millis,
    /// [`AdaptiveTimeout::timeout`] recomputes after this many new samples. Default 64.
    pub refresh_every: u32,
    /// … or when its cached answer is this many ms old. Default 1000.
    pub refresh_interval: Millis,
}

impl Default for AdaptiveTimeoutConfig {
    fn default() -> Self {
        AdaptiveTimeoutConfig {
            window: 1000,
            max_age: 60_000,
            min_samples: 20,
            multiplier: 2.0,
            margin: 0,
            min_timeout: 50,
            max_timeout: 5_000,
            refresh_every: 64,
            refresh_interval: 1_000,
        }
    }
}

impl AdaptiveTimeoutConfig {
    /// Checks the configuration: a positive window and age, `1 <= min_samples <= window`, a
    /// finite multiplier of at least 1, and `0 < min_timeout <= max_timeout`. Fails with
    /// [`ErrorKind::InvalidArgument`].
    pub fn validate(&self) -> Result<()> {
        if self.window == 0 || self.max_age == 0 {
            return err(ErrorKind::InvalidArgument, "adaptive timeout window and max_age must be positive");
        }
        if self.min_samples == 0 || self.min_samples > self.window {
            return err(ErrorKind::InvalidArgument, "adaptive timeout min_samples must be in 1..=window");
        }
        if !self.multiplier.is_finite() || self.multiplier < 1.0 {
            return err(ErrorKind::InvalidArgument, "adaptive timeout multiplier must be finite and at least 1");
        }
        if self.min_timeout == 0 || self.min_timeout > self.max_timeout {
            return err(ErrorKind::InvalidArgument, "adaptive timeout needs 0 < min_timeout <= max_timeout");
        }
        Ok(())
    }
}

/// A point-in-time view of the estimator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeoutSnapshot {
    /// Samples in the window (within both bounds).
    pub samples: usize,
    /// Median latency in ms, if the window holds any sample.
    pub p50: Option<f64>,
    /// 95th percentile in ms.
    pub p95: Option<f64>,
    /// 99th percentile in ms.
    pub p99: Option<f64>,
    /// The timeout these numbers propose, in ms.
    pub timeout: Millis,
    /// Samples observed over the estimator's life.
    pub observed_total: u64,
}

#[derive(Debug)]
struct Inner {
    /// Ring of (time observed, latency ms); grows to `window` then wraps at `next`.
    ring: Vec<(Millis, f64)>,
    next: usize,
    /// Reused buffer for percentile selection.
    scratch: Vec<f64>,
    observed_total: u64,
    cached: Option<Millis>,
    cached_at: Millis,
    since_refresh: u32,
}

/// The latency estimator; see the module documentation. `Send + Sync`.
#[derive(Debug)]
pub struct AdaptiveTimeout {
    config: AdaptiveTimeoutConfig,
    inner: Mutex<Inner>,
}

impl Default for AdaptiveTimeout {
    fn default() -> Self {
        AdaptiveTimeout::new(AdaptiveTimeoutConfig::default()).expect("the default configuration is valid")
    }
}

/// Nearest-rank percentile of `data` (`per_10k` in basis points, e.g. 9900 for P99),
/// reordering `data`. `data` must not be empty.
fn percentile(data: &mut [f64], per_10k: usize) -> f64 {
    let rank = (data.len() * per_10k).div_ceil(10_000).max(1);
    let (_, v, _) = data.select_nth_unstable_by(rank - 1, f64::total_cmp);
    *v
}

impl AdaptiveTimeout {
    /// An empty estimator with `config`; fails with [`ErrorKind::InvalidArgument`] when the
    /// configuration is invalid. Allocates both window buffers now, and never again.
    pub fn new(config: AdaptiveTimeoutConfig) -> Result<AdaptiveTimeout> {
        config.validate()?;
        let inner = Inner {
            ring: Vec::with_capacity(config.window),
            next: 0,
            scratch: Vec::with_capacity(config.window),
            observed_total: 0,
            cached: None,
            cached_at: 0,
            since_refresh: 0,
        };
        Ok(AdaptiveTimeout { config, inner: Mutex::new(inner) })
    }

    /// The configuration.
    pub fn config(&self) -> &AdaptiveTimeoutConfig {
        &self.config
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records one call that took `latency_ms` (fractions allowed), finished at `now`.
    /// Record timed-out calls too (see the module documentation). Negative latencies count as
    /// 0; NaN and infinities are ignored.
    pub fn observe(&self, latency_ms: f64, now: Millis) {
        if !latency_ms.is_finite() {
            return;
        }
        let latency = latency_ms.max(0.0);
        let mut s = self.lock();
        if s.ring.len() < self.config.window {
            s.ring.push((now, latency));
        } else {
            let i = s.next;
            s.ring[i] = (now, latency);
        }
        s.next = (s.next + 1) % self.config.window;
        s.observed_total += 1;
        s.since_refresh = s.since_refresh.saturating_add(1);
    }

    /// The timeout to use for a call starting at `now`, in ms. Cached; see the module docs.
    pub fn timeout(&self, now: Millis) -> Millis {
        let mut s = self.lock();
        let fresh = s.cached.is_some()
            && s.since_refresh < self.config.refresh_every
            && now >= s.cached_at
            && now - s.cached_at < self.config.refresh_interval;
        if !fresh {
            // Only the P99 matters here (one selection, not the snapshot's three).
            let n = self.window(&mut s, now);
            let timeout =
                if n == 0 { self.config.max_timeout } else { self.timeout_for(n, percentile(&mut s.scratch, 9_900)) };
            s.cached = Some(timeout);
            s.cached_at = now;
            s.since_refresh = 0;
        }
        s.cached.unwrap_or(self.config.max_timeout)
    }

    /// Percentiles and the proposed timeout at `now`, computed afresh. `now` decides which
    /// samples are too old to count.
    pub fn snapshot(&self, now: Millis) -> TimeoutSnapshot {
        let mut s = self.lock();
        let (samples, pcts, timeout) = self.compute(&mut s, now);
        TimeoutSnapshot {
            samples,
            p50: pcts.map(|p| p[0]),
            p95: pcts.map(|p| p[1]),
            p99: pcts.map(|p| p[2]),
            timeout,
            observed_total: s.observed_total,
        }
    }

    /// Forgets every sample (e.g. after reconnecting to a different server).
    pub fn clear(&self) {
        let mut s = self.lock();
        s.ring.clear();
        s.next = 0;
        s.cached = None;
        s.since_refresh = 0;
    }

    /// (samples in window, [p50, p95, p99], timeout).
    fn compute(&self, s: &mut Inner, now: Millis) -> (usize, Option<[f64; 3]>, Millis) {
        let n = self.window(s, now);
        if n == 0 {
            return (0, None, self.config.max_timeout);
        }
        let p99 = percentile(&mut s.scratch, 9_900);
        let p95 = percentile(&mut s.scratch, 9_500);
        let p50 = percentile(&mut s.scratch, 5_000);
        (n, Some([p50, p95, p99]), self.timeout_for(n, p99))
    }

    /// Copies the samples still in the window at `now` into the scratch buffer; their count.
    fn window(&self, s: &mut Inner, now: Millis) -> usize {
        let cutoff = now.saturating_sub(self.config.max_age);
        let Inner { ring, scratch, .. } = s;
        scratch.clear();
        scratch.extend(ring.iter().filter(|&&(t, _)| t >= cutoff).map(|&(_, v)| v));
        scratch.len()
    }

    /// The timeout for a window of `n` samples whose P99 is `p99`.
    fn timeout_for(&self, n: usize, p99: f64) -> Millis {
        if n < self.config.min_samples {
            return self.config.max_timeout;
        }
        let raw = p99 * self.config.multiplier + self.config.margin as f64;
        // `as` saturates for out-of-range floats; the clamp then bounds it.
        (raw.ceil() as Millis).clamp(self.config.min_timeout, self.config.max_timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> AdaptiveTimeoutConfig {
        AdaptiveTimeoutConfig { refresh_every: 1, ..Default::default() }
    }

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<AdaptiveTimeout>();
    }

    #[test]
    fn invalid_configs_are_refused() {
        let bad = [
            AdaptiveTimeoutConfig { window: 0, ..Default::default() },
            AdaptiveTimeoutConfig { max_age: 0, ..Default::default() },
            AdaptiveTimeoutConfig { min_samples: 0, ..Default::default() },
            AdaptiveTimeoutConfig { min_samples: 1001, ..Default::default() },
            AdaptiveTimeoutConfig { multiplier: f64::NAN, ..Default::default() },
            AdaptiveTimeoutConfig { multiplier: 0.5, ..Default::default() },
            AdaptiveTimeoutConfig { min_timeout: 0, ..Default::default() },
            AdaptiveTimeoutConfig { min_timeout: 6_000, ..Default::default() },
        ];
        for c in bad {
            assert_eq!(AdaptiveTimeout::new(c).unwrap_err().kind(), ErrorKind::InvalidArgument);
        }
    }

    #[test]
    fn untrusted_until_min_samples() {
        let a = AdaptiveTimeout::default();
        assert_eq!(a.timeout(0), 5_000);
        let s = a.snapshot(0);
        assert_eq!((s.samples, s.p99, s.timeout), (0, None, 5_000));
        for _ in 0..19 {
            a.observe(1.0, 0);
        }
        assert_eq!(a.snapshot(0).timeout, 5_000);
        a.observe(1.0, 0);
        assert_eq!(a.snapshot(0).timeout, 50);
    }

    #[test]
    fn percentiles_on_known_distributions() {
        let a = AdaptiveTimeout::new(cfg()).unwrap();
        // 1..=100 observed in a scrambled order.
        for i in 0..100u64 {
            a.observe(((i * 37) % 100 + 1) as f64, 0);
        }
        let s = a.snapshot(0);
        assert_eq!((s.samples, s.p50, s.p95, s.p99), (100, Some(50.0), Some(95.0), Some(99.0)));
        assert_eq!(s.timeout, 198);

        // 1..=1000: P99 = 990.
        let a = AdaptiveTimeout::new(cfg()).unwrap();
        for i in (1..=1000).rev() {
            a.observe(i as f64, 0);
        }
        let s = a.snapshot(0);
        assert_eq!((s.p50, s.p95, s.p99), (Some(500.0), Some(950.0), Some(990.0)));
        assert_eq!(s.timeout, 1_980);

        // A bimodal distribution: 98 % fast, 2 % slow. P95 is fast, P99 slow.
        let a = AdaptiveTimeout::new(cfg()).unwrap();
        for i in 0..1000 {
            a.observe(if i % 50 == 0 { 400.0 } else { 2.0 }, 0);
        }
        let s = a.snapshot(0);
        assert_eq!((s.p50, s.p95, s.p99), (Some(2.0), Some(2.0), Some(400.0)));
        assert_eq!(s.timeout, 800);
    }

    #[test]
    fn fractional_latencies_and_margin() {
        let c = AdaptiveTimeoutConfig { multiplier: 1.5, margin: 7, min_timeout: 1, ..cfg() };
        let a = AdaptiveTimeout::new(c).unwrap();
        for _ in 0..100 {
            a.observe(0.3, 0);
        }
        a.observe(f64::NAN, 0);
        a.observe(f64::INFINITY, 0);
        let s = a.snapshot(0);
        assert_eq!((s.samples, s.p99), (100, Some(0.3)));
        // ceil(0.3 × 1.5 + 7) = 8
        assert_eq!(s.timeout, 8);
        a.observe(-4.0, 0);
        assert_eq!(a.snapshot(0).observed_total, 101);
    }

    #[test]
    fn clamping() {
        let a = AdaptiveTimeout::new(cfg()).unwrap();
        for _ in 0..100 {
            a.observe(10_000.0, 0);
        }
        assert_eq!(a.timeout(0), 5_000);
        let a = AdaptiveTimeout::new(cfg()).unwrap();
        for _ in 0..100 {
            a.observe(0.0, 0);
        }
        assert_eq!(a.timeout(0), 50);
        let a = AdaptiveTimeout::new(cfg()).unwrap();
        for _ in 0..100 {
            a.observe(1e300, 0);
        }
        assert_eq!(a.timeout(0), 5_000);
    }

    #[test]
    fn count_window_forgets_the_oldest() {
        let a = AdaptiveTimeout::new(AdaptiveTimeoutConfig { window: 100, ..cfg() }).unwrap();
        for _ in 0..100 {
            a.observe(1_000.0, 0);
        }
        assert_eq!(a.timeout(0), 2_000);
        for _ in 0..99 {
            a.observe(10.0, 0);
        }
        // One slow sample left of 100: the P99 (rank 99) is already fast.
        let s = a.snapshot(0);
        assert_eq!((s.samples, s.p99, s.timeout), (100, Some(10.0), 50));
        a.observe(10.0, 0);
        assert_eq!(a.snapshot(0).p99, Some(10.0));
        assert_eq!(a.snapshot(0).observed_total, 200);
    }

    #[test]
    fn time_window_forgets_old_samples() {
        let a = AdaptiveTimeout::new(cfg()).unwrap();
        for _ in 0..100 {
            a.observe(1_000.0, 0);
        }
        for _ in 0..100 {
            a.observe(20.0, 30_000);
        }
        assert_eq!(a.timeout(30_000), 2_000);
        // At 60 000 the samples at 0 are exactly 60 s old: still in (inclusive).
        assert_eq!(a.snapshot(60_000).samples, 200);
        let s = a.snapshot(60_001);
        assert_eq!((s.samples, s.p99, s.timeout), (100, Some(20.0), 50));
        // Everything aged out: not enough samples, so the conservative maximum.
        let s = a.snapshot(200_000);
        assert_eq!((s.samples, s.timeout), (0, 5_000));
    }

    #[test]
    fn timeout_is_cached_between_refreshes() {
        let a = AdaptiveTimeout::default();
        for _ in 0..100 {
            a.observe(10.0, 0);
        }
        assert_eq!(a.timeout(0), 50);
        for _ in 0..63 {
            a.observe(4_000.0, 10);
        }
        // 63 new samples, 10 ms later: still the cached answer.
        assert_eq!(a.timeout(10), 50);
        a.observe(4_000.0, 10);
        assert_eq!(a.timeout(10), 5_000);
        // Time alone also refreshes.
        let b = AdaptiveTimeout::default();
        for _ in 0..100 {
            b.observe(10.0, 0);
        }
        assert_eq!(b.timeout(0), 50);
        assert_eq!(b.timeout(999), 50);
        assert_eq!(b.timeout(70_000), 5_000);
        b.clear();
        assert_eq!(b.snapshot(70_000).samples, 0);
    }

    #[test]
    fn memory_is_fixed() {
        let a = AdaptiveTimeout::new(AdaptiveTimeoutConfig { window: 64, min_samples: 1, ..cfg() }).unwrap();
        for i in 0..10_000u64 {
            a.observe((i % 97) as f64, i);
            if i % 100 == 0 {
                a.timeout(i);
            }
        }
        let s = a.lock();
        assert_eq!((s.ring.len(), s.ring.capacity(), s.scratch.capacity()), (64, 64, 64));
    }
}
