//! Early refresh: recompute a hot entry before (or while) it expires, so its expiry never
//! turns into a stampede.
//!
//! Three independent decisions, all pure (time and randomness are arguments):
//!
//! * [`XFetch`], probabilistic early expiration (Vattani, Chierichetti, Lowenstein, *Optimal
//!   Probabilistic Cache Stampede Prevention*, VLDB 2015): each read refreshes early with a
//!   probability that rises as the expiry nears, so usually exactly one reader refreshes,
//!   shortly before the entry expires.
//! * [`StaleWhileRevalidate`]: for a grace window after the soft expiry, serve the stale value
//!   and let exactly one caller per key refresh in the background, coordinated through the
//!   [`SingleFlight`] table ([`SingleFlight::try_lead`]).
//! * TTL refresh on hit: [`TtlRefresh`] (defined in [`crate::ttl`], re-exported here), which
//!   extends a live entry with `EXPIRE` instead of recomputing it.
//!
//! Across processes, a background refresh should also take the fill lock as a non-blocking
//! lease (`LockConfig::new(30_000, 100, 0)`: one attempt), as cachekit-py does for its
//! stale-while-revalidate refreshes: a busy lock means another process refreshes, and this
//! one keeps serving.

use crate::error::{Error, ErrorKind, Result, err};
use crate::stampede::{FlightId, SingleFlight};
use crate::time::Millis;

pub use crate::ttl::TtlRefresh;

/// A random number in `(0, 1]`: the `rand` of XFetch. `ln` of it is finite and ≤ 0.
///
/// Callers inject it ([`UnitRand::new`]) so decisions are reproducible in tests, or draw one
/// from the platform source ([`UnitRand::random`]).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct UnitRand(f64);

impl UnitRand {
    /// The largest value: 1 (`ln 1 = 0`, no head start).
    pub const ONE: UnitRand = UnitRand(1.0);

    /// `value` if it is in `(0, 1]`; 0, negative, above 1 or NaN is `invalid_argument`.
    pub fn new(value: f64) -> Result<UnitRand> {
        if value > 0.0 && value <= 1.0 {
            Ok(UnitRand(value))
        } else {
            err(ErrorKind::InvalidArgument, format!("a unit random number must be in (0, 1], got {value}"))
        }
    }

    /// A uniform draw from the platform random source: `(k + 1) / 2^53` for a random 53-bit
    /// `k`, so never 0. Fails with `random_unavailable`.
    pub fn random() -> Result<UnitRand> {
        let mut b = [0u8; 8];
        getrandom::getrandom(&mut b)
            .map_err(|e| Error::new(ErrorKind::RandomUnavailable, format!("random source failed: {e}")))?;
        Ok(UnitRand::from_bits(u64::from_le_bytes(b)))
    }

    /// The draw that [`UnitRand::random`] makes of 64 random bits (its top 53 are used).
    pub fn from_bits(bits: u64) -> UnitRand {
        // (bits >> 11) < 2^53, so k + 1 ≤ 2^53 is exact and the quotient is in (0, 1].
        UnitRand(((bits >> 11) + 1) as f64 / (1u64 << 53) as f64)
    }

    /// The number.
    pub fn get(self) -> f64 {
        self.0
    }
}

/// Probabilistic early expiration (XFetch).
///
/// A reader at `now` of an entry that expires at `expiry`, whose last recomputation took
/// `delta` ms, refreshes when
///
/// ```text
/// now − delta × beta × ln(rand) ≥ expiry,    rand uniform in (0, 1]
/// ```
///
/// `−ln(rand)` is exponentially distributed with mean 1, so the head start
/// `delta × beta × −ln(rand)` has mean `delta × beta`, and a read `g` ms before expiry
/// refreshes with probability `exp(−g / (delta × beta))`: rarely while the expiry is far
/// compared with the recomputation time, almost surely in its last `delta`. With `rand = 1`
/// the head start is 0 and the rule is plain expiry (`now ≥ expiry`); a smaller `rand` or a
/// larger `beta` only ever refreshes earlier. `beta` = 1 (the default) is the paper's
/// optimum; above 1 favours earlier refreshes, below 1 later ones, 0 disables early refresh.
///
/// The binding measures `delta` around the computation and stores it with the entry (or per
/// function); with Redis, `expiry = now + PTTL`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct XFetch {
    beta: f64,
}

impl XFetch {
    /// The default `beta`: 1.0.
    pub const DEFAULT_BETA: f64 = 1.0;

    /// An XFetch rule with `beta`, finite and ≥ 0; anything else is `invalid_argument`.
    pub fn new(beta: f64) -> Result<XFetch> {
        if !(beta.is_finite() && beta >= 0.0) {
            return err(ErrorKind::InvalidArgument, format!("xfetch beta must be finite and >= 0, got {beta}"));
        }
        Ok(XFetch { beta })
    }

    /// The configured `beta`.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// The head start in milliseconds: `delta × beta × −ln(rand)`, ≥ 0 and finite.
    pub fn head_start_ms(&self, delta_ms: u64, rand: UnitRand) -> f64 {
        // -ln(rand) for rand in (0, 1] is in [0, ~744]; `+ 0.0` turns ln(1)'s -0.0 into 0.0.
        delta_ms as f64 * self.beta * (-rand.get().ln() + 0.0)
    }

    /// Whether a read at `now` refreshes an entry expiring at `expiry` early (or at all:
    /// at and after `expiry` it is always true).
    pub fn should_refresh(&self, now: Millis, expiry: Millis, delta_ms: u64, rand: UnitRand) -> bool {
        now >= expiry || now as f64 + self.head_start_ms(delta_ms, rand) >= expiry as f64
    }
}

impl Default for XFetch {
    /// `beta` = [`XFetch::DEFAULT_BETA`].
    fn default() -> XFetch {
        XFetch { beta: XFetch::DEFAULT_BETA }
    }
}

/// Where an entry stands relative to its soft expiry and grace window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// Before the soft expiry.
    Fresh,
    /// In `[soft_expiry, soft_expiry + grace)`: servable while one caller refreshes.
    Stale,
    /// At or past `soft_expiry + grace`: a miss.
    Expired,
}

/// The stale-while-revalidate decision for one read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwrDecision {
    /// Serve the value; nothing else to do.
    Fresh,
    /// Serve the stale value. With `Some`, this caller was chosen to refresh the entry in the
    /// background and must complete (or abandon) that flight in the [`SingleFlight`] table;
    /// with `None`, a refresh is already under way.
    Stale {
        /// The background refresh this caller leads, if any.
        refresh: Option<FlightId>,
    },
    /// Past the grace window: do not serve; take the miss path ([`SingleFlight::begin`]).
    Expired,
}

impl SwrDecision {
    /// Whether the cached value may be returned to the caller.
    pub fn serve(&self) -> bool {
        !matches!(self, SwrDecision::Expired)
    }

    /// The background refresh this caller must run, if any.
    pub fn refresh(&self) -> Option<FlightId> {
        match self {
            SwrDecision::Stale { refresh } => *refresh,
            _ => None,
        }
    }
}

/// Stale-while-revalidate with a grace window after the soft expiry.
///
/// An entry is fresh until `soft_expiry`, then servable-but-stale for `grace_ms` more, then
/// expired. During the stale window the first reader leads a background refresh through
/// [`SingleFlight::try_lead`]; later readers see it in flight and just serve. At most one
/// refresh per key runs in the process, and a miss arriving meanwhile joins the refresh as a
/// follower instead of computing a second time.
///
/// With Redis, write the entry with `EX ttl + grace` and derive
/// `soft_expiry = now + PTTL − grace`. cachekit-py's `io` preset defaults the grace window
/// (its `stale_ttl`) to the TTL; there is no default here because the window is a product
/// decision: 0 disables stale serving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaleWhileRevalidate {
    grace_ms: u64,
}

impl StaleWhileRevalidate {
    /// A policy with a grace window of `grace_ms` after the soft expiry.
    pub const fn new(grace_ms: u64) -> StaleWhileRevalidate {
        StaleWhileRevalidate { grace_ms }
    }

    /// The grace window.
    pub const fn grace_ms(&self) -> u64 {
        self.grace_ms
    }

    /// The instant the stale window ends: `soft_expiry + grace`.
    pub const fn hard_expiry(&self, soft_expiry: Millis) -> Millis {
        soft_expiry.saturating_add(self.grace_ms)
    }

    /// Where an entry with `soft_expiry` stands at `now`.
    pub fn freshness(&self, now: Millis, soft_expiry: Millis) -> Freshness {
        if now < soft_expiry {
            Freshness::Fresh
        } else if now < self.hard_expiry(soft_expiry) {
            Freshness::Stale
        } else {
            Freshness::Expired
        }
    }

    /// The decision for a read of `key` at `now`, claiming the background refresh in
    /// `flights` when the entry is stale and no computation of `key` is in flight.
    pub fn decide<T>(&self, flights: &SingleFlight<T>, key: &str, now: Millis, soft_expiry: Millis) -> SwrDecision {
        match self.freshness(now, soft_expiry) {
            Freshness::Fresh => SwrDecision::Fresh,
            Freshness::Stale => SwrDecision::Stale { refresh: flights.try_lead(key, now) },
            Freshness::Expired => SwrDecision::Expired,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stampede::{Flight, Poll};
    use crate::ttl::Ttl;
    use proptest::prelude::*;

    fn r(v: f64) -> UnitRand {
        UnitRand::new(v).unwrap()
    }

    #[test]
    fn unit_rand_range() {
        for bad in [0.0, -0.0, -1.0, 1.0000001, f64::NAN, f64::INFINITY] {
            assert_eq!(UnitRand::new(bad).unwrap_err().kind(), ErrorKind::InvalidArgument, "{bad}");
        }
        assert_eq!(UnitRand::new(1.0).unwrap(), UnitRand::ONE);
        assert_eq!(UnitRand::from_bits(u64::MAX).get(), 1.0);
        assert_eq!(UnitRand::from_bits(0).get(), 1.0 / (1u64 << 53) as f64);
        for _ in 0..100 {
            let u = UnitRand::random().unwrap().get();
            assert!(u > 0.0 && u <= 1.0);
        }
    }

    #[test]
    fn xfetch_with_rand_one_refreshes_exactly_at_expiry() {
        for beta in [0.0, 0.5, 1.0, 4.0] {
            let x = XFetch::new(beta).unwrap();
            assert_eq!(x.head_start_ms(5_000, UnitRand::ONE), 0.0);
            assert!(!x.should_refresh(9_999, 10_000, 5_000, UnitRand::ONE));
            assert!(x.should_refresh(10_000, 10_000, 5_000, UnitRand::ONE));
            assert!(x.should_refresh(10_001, 10_000, 5_000, UnitRand::ONE));
        }
    }

    #[test]
    fn xfetch_smaller_rand_refreshes_earlier() {
        let x = XFetch::default();
        assert_eq!(x.beta(), 1.0);
        // ln(e^-1) = -1: a head start of exactly delta.
        let e1 = r((-1.0f64).exp());
        assert!((x.head_start_ms(200, e1) - 200.0).abs() < 1e-9);
        assert!(x.should_refresh(9_801, 10_000, 200, e1));
        assert!(!x.should_refresh(9_700, 10_000, 200, e1));
        // Smaller rand, bigger head start.
        assert!(x.should_refresh(9_700, 10_000, 200, r(0.1)));
        // delta 0 (instant recomputation) never refreshes early.
        assert!(!x.should_refresh(9_999, 10_000, 0, r(1e-300)));
        for bad in [-0.1, f64::NAN, f64::INFINITY] {
            assert_eq!(XFetch::new(bad).unwrap_err().kind(), ErrorKind::InvalidArgument);
        }
    }

    #[test]
    fn xfetch_refresh_rate_matches_the_exponential_law() {
        // P(refresh at g before expiry) = exp(-g / (delta × beta)); g = delta → e^-1 ≈ 0.368.
        let x = XFetch::default();
        let n = 20_000u64;
        let hits = (0..n)
            .filter(|i| {
                let u = UnitRand::from_bits(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
                x.should_refresh(9_000, 10_000, 1_000, u)
            })
            .count();
        let p = hits as f64 / n as f64;
        assert!((p - (-1.0f64).exp()).abs() < 0.02, "p = {p}");
    }

    #[test]
    fn swr_windows_and_one_refresher() {
        let swr = StaleWhileRevalidate::new(1_000);
        assert_eq!(swr.grace_ms(), 1_000);
        assert_eq!(swr.hard_expiry(5_000), 6_000);
        assert_eq!(swr.freshness(4_999, 5_000), Freshness::Fresh);
        assert_eq!(swr.freshness(5_000, 5_000), Freshness::Stale);
        assert_eq!(swr.freshness(5_999, 5_000), Freshness::Stale);
        assert_eq!(swr.freshness(6_000, 5_000), Freshness::Expired);
        assert_eq!(StaleWhileRevalidate::new(0).freshness(5_000, 5_000), Freshness::Expired);

        let flights: SingleFlight<u64> = SingleFlight::default();
        assert_eq!(swr.decide(&flights, "k", 4_000, 5_000), SwrDecision::Fresh);
        let first = swr.decide(&flights, "k", 5_100, 5_000);
        assert!(first.serve());
        let f = first.refresh().expect("the first stale reader refreshes");
        // Everyone else in the window serves stale without refreshing.
        for now in [5_100, 5_500, 5_999] {
            let d = swr.decide(&flights, "k", now, 5_000);
            assert_eq!(d, SwrDecision::Stale { refresh: None });
            assert!(d.serve());
        }
        // Past the window: a miss, which joins the refresh already running.
        let d = swr.decide(&flights, "k", 6_000, 5_000);
        assert_eq!(d, SwrDecision::Expired);
        assert!(!d.serve() && d.refresh().is_none());
        let Flight::Follower { waiter, .. } = flights.begin("k", 6_000) else { panic!("should join") };
        assert_eq!(flights.complete(f, Ok(11)).waiters, vec![waiter]);
        assert!(matches!(flights.poll(waiter, 6_001).unwrap(), Poll::Ready { .. }));
        // The refresh is done: the next stale read (e.g. of an older copy) may refresh again.
        assert!(swr.decide(&flights, "k", 5_500, 5_000).refresh().is_some());
    }

    #[test]
    fn ttl_refresh_is_reexported() {
        let rule = TtlRefresh::default();
        assert_eq!(rule.expire_secs(Ttl::from_secs(600).unwrap(), 100), Some(600));
    }

    proptest! {
        #[test]
        fn xfetch_is_monotonic_in_beta_and_rand(
            now in 0u64..1_000_000, expiry in 0u64..1_000_000, delta in 0u64..100_000,
            b1 in 0.0f64..10.0, b2 in 0.0f64..10.0, u1 in 1e-12f64..=1.0, u2 in 1e-12f64..=1.0,
        ) {
            let (lo_b, hi_b) = if b1 <= b2 { (b1, b2) } else { (b2, b1) };
            let (lo_u, hi_u) = if u1 <= u2 { (u1, u2) } else { (u2, u1) };
            let (x_lo, x_hi) = (XFetch::new(lo_b).unwrap(), XFetch::new(hi_b).unwrap());
            // Larger beta refreshes whenever smaller beta does.
            if x_lo.should_refresh(now, expiry, delta, r(u1)) {
                prop_assert!(x_hi.should_refresh(now, expiry, delta, r(u1)));
            }
            // Smaller rand refreshes whenever larger rand does.
            if x_lo.should_refresh(now, expiry, delta, r(hi_u)) {
                prop_assert!(x_lo.should_refresh(now, expiry, delta, r(lo_u)));
            }
            // Never refreshes before expiry with rand = 1; always at or after expiry.
            prop_assert_eq!(x_hi.should_refresh(now, expiry, delta, UnitRand::ONE), now >= expiry);
            if now >= expiry {
                prop_assert!(x_lo.should_refresh(now, expiry, delta, r(u1)));
            }
            let h = x_hi.head_start_ms(delta, r(u1));
            prop_assert!(h.is_finite() && h >= 0.0);
        }
    }
}
