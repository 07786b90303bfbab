//! Time-to-live rules (SPEC §8): validation, intent presets and TTL refresh on hit.
//!
//! Redis stores expiries in whole seconds (`SET key value EX ttl`, `EXPIRE key ttl`), so a
//! [`Ttl`] is either a whole number of seconds in `1..=`[`MAX_TTL_SECS`] or the explicit
//! [`Ttl::Never`]. The conversions enforce the protocol's rules once, for every binding:
//!
//! | input | result |
//! |---|---|
//! | `0`, negative, `-0.0` | `invalid_ttl` |
//! | NaN, ±Inf | `invalid_ttl` |
//! | above [`MAX_TTL_SECS`] | `invalid_ttl` (Redis would refuse it with "invalid expire time") |
//! | `0.2` s, `1` ms | 1 s: a positive sub-second TTL rounds **up**, never down to 0 |
//! | `1.5` s, `1001` ms | 2 s: fractions round up, as cachekit-py ceils TTLs on the wire |
//!
//! "Never expire" is a choice the caller has to spell out: [`Ttl`] has no `Default`, and
//! no conversion produces [`Ttl::Never`].
//!
//! Intent presets ([`Intent`]) name a cache's purpose and give its default TTL; an explicit
//! TTL always wins ([`Intent::resolve_ttl`]).
//!
//! TTL refresh on hit ([`TtlRefresh`]) follows cachekit-py's `refresh_ttl_on_get`: off unless
//! configured; when on, a hit whose remaining TTL (the Redis `TTL` reply) is positive and
//! strictly below `ttl × threshold` (threshold 0.5 by default, configurable in `[0, 1]`) is
//! reset with `EXPIRE key ttl`.

use std::fmt;
use std::num::NonZeroU64;

use crate::error::{ErrorKind, Result, err};

/// The largest TTL accepted, in seconds: 9 × 10^15.
///
/// Redis multiplies an `EX` value by 1000 and adds its clock in milliseconds, refusing the
/// command when that overflows a signed 64-bit integer; 9 × 10^15 s stays clear of that for
/// millions of years. It is also below 2^53, so every accepted TTL is exact as an `f64`
/// (a JavaScript number).
pub const MAX_TTL_SECS: u64 = 9_000_000_000_000_000;

/// A validated, finite TTL: whole seconds in `1..=`[`MAX_TTL_SECS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TtlSecs(NonZeroU64);

impl TtlSecs {
    /// `secs` as a TTL, or `invalid_ttl` when it is 0 or above [`MAX_TTL_SECS`].
    pub fn new(secs: u64) -> Result<TtlSecs> {
        match NonZeroU64::new(secs) {
            Some(s) if secs <= MAX_TTL_SECS => Ok(TtlSecs(s)),
            Some(_) => err(ErrorKind::InvalidTtl, format!("ttl {secs} s is above the maximum of {MAX_TTL_SECS} s")),
            None => err(ErrorKind::InvalidTtl, "ttl must be at least 1 second, got 0"),
        }
    }

    /// The TTL in seconds (the `EX` / `EXPIRE` argument).
    pub const fn get(self) -> u64 {
        self.0.get()
    }

    /// The TTL in milliseconds (never overflows: [`MAX_TTL_SECS`] × 1000 < 2^64).
    pub const fn as_millis(self) -> u64 {
        self.0.get() * 1000
    }
}

impl fmt::Display for TtlSecs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} s", self.get())
    }
}

/// How long an entry lives: whole seconds, or never expiring by explicit choice.
///
/// There is deliberately no `Default`: "never expire" must be chosen, and a finite TTL
/// comes from the caller or an [`Intent`] preset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ttl {
    /// Expire after this many seconds: written as `SET key value EX secs`.
    Secs(TtlSecs),
    /// Never expire: written as a plain `SET key value`. Only ever an explicit choice.
    Never,
}

impl Ttl {
    /// A TTL of `secs` whole seconds; 0, negative or above [`MAX_TTL_SECS`] is `invalid_ttl`.
    ///
    /// Takes a signed integer so bindings hand over whatever their caller passed and the
    /// "negative is invalid" rule lives here, not in every binding.
    pub fn from_secs(secs: i64) -> Result<Ttl> {
        match u64::try_from(secs) {
            Ok(s) => TtlSecs::new(s).map(Ttl::Secs),
            Err(_) => err(ErrorKind::InvalidTtl, format!("ttl must be positive, got {secs} s")),
        }
    }

    /// A TTL from fractional seconds, rounded **up** to whole seconds (0.2 → 1, 1.5 → 2).
    ///
    /// NaN, ±Inf, zero (either sign), negative values and values above [`MAX_TTL_SECS`]
    /// are `invalid_ttl`.
    pub fn from_secs_f64(secs: f64) -> Result<Ttl> {
        if !secs.is_finite() {
            return err(ErrorKind::InvalidTtl, format!("ttl must be a finite number of seconds, got {secs}"));
        }
        if secs <= 0.0 {
            return err(ErrorKind::InvalidTtl, format!("ttl must be positive, got {secs} s"));
        }
        let up = secs.ceil();
        if up > MAX_TTL_SECS as f64 {
            return err(ErrorKind::InvalidTtl, format!("ttl {secs} s is above the maximum of {MAX_TTL_SECS} s"));
        }
        // `up` is a whole number in [1, 9e15] < 2^53: the cast is exact.
        TtlSecs::new(up as u64).map(Ttl::Secs)
    }

    /// A TTL from milliseconds, rounded **up** to whole seconds (1 ms → 1 s, 1001 ms → 2 s);
    /// 0 or negative is `invalid_ttl`.
    pub fn from_millis(millis: i64) -> Result<Ttl> {
        let Ok(ms) = u64::try_from(millis) else {
            return err(ErrorKind::InvalidTtl, format!("ttl must be positive, got {millis} ms"));
        };
        if ms == 0 {
            return err(ErrorKind::InvalidTtl, "ttl must be positive, got 0 ms");
        }
        TtlSecs::new(ms.div_ceil(1000)).map(Ttl::Secs)
    }

    /// The TTL in whole seconds, or `None` for [`Ttl::Never`].
    pub const fn secs(self) -> Option<u64> {
        match self {
            Ttl::Secs(s) => Some(s.get()),
            Ttl::Never => None,
        }
    }

    /// The TTL in milliseconds, or `None` for [`Ttl::Never`].
    pub const fn millis(self) -> Option<u64> {
        match self {
            Ttl::Secs(s) => Some(s.as_millis()),
            Ttl::Never => None,
        }
    }

    /// True for [`Ttl::Never`].
    pub const fn is_never(self) -> bool {
        matches!(self, Ttl::Never)
    }
}

impl From<TtlSecs> for Ttl {
    fn from(s: TtlSecs) -> Ttl {
        Ttl::Secs(s)
    }
}

impl fmt::Display for Ttl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ttl::Secs(s) => s.fmt(f),
            Ttl::Never => f.write_str("never"),
        }
    }
}

/// A cache's declared purpose, with the default TTL the cachekit family gives it.
///
/// | intent | default TTL | notes |
/// |---|---:|---|
/// | `minimal` | 300 s | speed first |
/// | `production` | 600 s | reliability first |
/// | `secure` | 600 s | encryption required; L1 holds only ciphertext |
/// | `io` | 3600 s | the hosted backend preset |
///
/// cachekit-py also has `dev` and `test` presets (300 s); they are SDK-local and not part
/// of the shared vocabulary, so they are not accepted here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Intent {
    /// Speed-critical caching: 300 s.
    Minimal,
    /// Reliability-critical caching: 600 s.
    Production,
    /// Security-critical caching: 600 s, encryption required.
    Secure,
    /// The hosted-backend preset: 3600 s.
    Io,
}

impl Intent {
    /// Every intent, in table order.
    pub const ALL: [Intent; 4] = [Intent::Minimal, Intent::Production, Intent::Secure, Intent::Io];

    /// The intent called `name` (`"minimal"`, `"production"`, `"secure"`, `"io"`; exact,
    /// lowercase), or `invalid_argument`.
    pub fn from_name(name: &str) -> Result<Intent> {
        match Intent::ALL.iter().find(|i| i.name() == name) {
            Some(i) => Ok(*i),
            None => err(
                ErrorKind::InvalidArgument,
                format!("unknown intent {name:?}; expected one of minimal, production, secure, io"),
            ),
        }
    }

    /// The intent's name, as [`Intent::from_name`] accepts it.
    pub const fn name(self) -> &'static str {
        match self {
            Intent::Minimal => "minimal",
            Intent::Production => "production",
            Intent::Secure => "secure",
            Intent::Io => "io",
        }
    }

    /// The preset's default TTL in seconds.
    pub const fn default_ttl_secs(self) -> u64 {
        match self {
            Intent::Minimal => 300,
            Intent::Production | Intent::Secure => 600,
            Intent::Io => 3600,
        }
    }

    /// The preset's default TTL.
    pub fn default_ttl(self) -> Ttl {
        // Preset values are constants in 300..=3600: always valid.
        Ttl::Secs(TtlSecs(NonZeroU64::new(self.default_ttl_secs()).expect("preset TTLs are non-zero")))
    }

    /// True when this preset refuses to run without encryption (`secure`).
    pub const fn requires_encryption(self) -> bool {
        matches!(self, Intent::Secure)
    }

    /// The TTL to use: `explicit` when given (it overrides the preset, including an explicit
    /// [`Ttl::Never`]), otherwise the preset's default.
    pub fn resolve_ttl(self, explicit: Option<Ttl>) -> Ttl {
        explicit.unwrap_or_else(|| self.default_ttl())
    }
}

impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The TTL-refresh-on-hit rule (cachekit-py `refresh_ttl_on_get` / `ttl_refresh_threshold`).
///
/// The feature is opt-in, as in cachekit-py (`refresh_ttl_on_get=False` by default): a cache
/// without refresh on hit simply has no `TtlRefresh`. When configured, after a hit the
/// binding reads the key's remaining TTL (`TTL key`) and asks [`TtlRefresh::expire_secs`];
/// `Some(secs)` means "send `EXPIRE key secs`".
///
/// The rule, exactly as cachekit-py applies it: refresh iff the remaining TTL is known and
/// positive (`TTL` replies −2 for a missing key, −1 for no expiry, 0 when about to expire:
/// none of these refresh) **and** `remaining < ttl × threshold` (strict).
/// With threshold 0 nothing is ever refreshed; with 1 every hit with less than the full TTL
/// left is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TtlRefresh {
    threshold: f64,
}

impl TtlRefresh {
    /// cachekit-py's default threshold: refresh once less than half the TTL remains.
    pub const DEFAULT_THRESHOLD: f64 = 0.5;

    /// A rule with `threshold` in `[0.0, 1.0]`; anything else (or NaN) is `invalid_argument`.
    pub fn new(threshold: f64) -> Result<TtlRefresh> {
        if !(0.0..=1.0).contains(&threshold) {
            return err(
                ErrorKind::InvalidArgument,
                format!("ttl refresh threshold must be in [0, 1], got {threshold}"),
            );
        }
        Ok(TtlRefresh { threshold })
    }

    /// The configured threshold (fraction of the TTL).
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// Whether a hit with `remaining_secs` left (the raw `TTL` reply) on an entry written
    /// with `ttl` must be refreshed.
    pub fn should_refresh(&self, ttl: TtlSecs, remaining_secs: i64) -> bool {
        remaining_secs > 0 && (remaining_secs as f64) < ttl.get() as f64 * self.threshold
    }

    /// The `EXPIRE` argument to send after a hit, if any: `Some(ttl)` when
    /// [`TtlRefresh::should_refresh`] says so; always `None` for [`Ttl::Never`].
    pub fn expire_secs(&self, ttl: Ttl, remaining_secs: i64) -> Option<u64> {
        match ttl {
            Ttl::Secs(t) if self.should_refresh(t, remaining_secs) => Some(t.get()),
            _ => None,
        }
    }
}

impl Default for TtlRefresh {
    /// Threshold [`TtlRefresh::DEFAULT_THRESHOLD`] (0.5).
    fn default() -> TtlRefresh {
        TtlRefresh { threshold: TtlRefresh::DEFAULT_THRESHOLD }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secs(t: Result<Ttl>) -> u64 {
        t.unwrap().secs().unwrap()
    }

    fn kind(t: Result<Ttl>) -> ErrorKind {
        t.unwrap_err().kind()
    }

    #[test]
    fn invalid_ttls_are_refused() {
        for v in [0.0, -0.0, -1.0, -0.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 9.1e15, f64::MAX] {
            assert_eq!(kind(Ttl::from_secs_f64(v)), ErrorKind::InvalidTtl, "{v}");
        }
        for v in [0, -1, i64::MIN, 9_000_000_000_000_001] {
            assert_eq!(kind(Ttl::from_secs(v)), ErrorKind::InvalidTtl, "{v}");
        }
        for v in [0, -1, -1000, i64::MIN, i64::MAX] {
            assert_eq!(kind(Ttl::from_millis(v)), ErrorKind::InvalidTtl, "{v}");
        }
        assert_eq!(TtlSecs::new(0).unwrap_err().kind(), ErrorKind::InvalidTtl);
    }

    #[test]
    fn sub_second_rounds_up_and_fractions_ceil() {
        assert_eq!(secs(Ttl::from_secs_f64(0.2)), 1);
        assert_eq!(secs(Ttl::from_secs_f64(f64::MIN_POSITIVE)), 1);
        assert_eq!(secs(Ttl::from_secs_f64(1.0)), 1);
        assert_eq!(secs(Ttl::from_secs_f64(1.5)), 2);
        assert_eq!(secs(Ttl::from_secs_f64(300.0)), 300);
        assert_eq!(secs(Ttl::from_secs_f64(9e15)), MAX_TTL_SECS);
        assert_eq!(secs(Ttl::from_millis(1)), 1);
        assert_eq!(secs(Ttl::from_millis(999)), 1);
        assert_eq!(secs(Ttl::from_millis(1000)), 1);
        assert_eq!(secs(Ttl::from_millis(1001)), 2);
        assert_eq!(secs(Ttl::from_secs(MAX_TTL_SECS as i64)), MAX_TTL_SECS);
    }

    #[test]
    fn never_is_explicit() {
        assert!(Ttl::Never.is_never());
        assert_eq!(Ttl::Never.secs(), None);
        assert_eq!(Ttl::Never.millis(), None);
        assert_eq!(Ttl::Never.to_string(), "never");
        assert_eq!(Ttl::from_secs(5).unwrap().to_string(), "5 s");
        assert_eq!(Ttl::from_secs(5).unwrap().millis(), Some(5000));
        // Every preset resolves to a finite TTL; only an explicit Never gives Never.
        for i in Intent::ALL {
            assert!(!i.resolve_ttl(None).is_never());
            assert_eq!(i.resolve_ttl(Some(Ttl::Never)), Ttl::Never);
        }
    }

    #[test]
    fn intent_presets() {
        let expected =
            [("minimal", 300, false), ("production", 600, false), ("secure", 600, true), ("io", 3600, false)];
        for (name, ttl, enc) in expected {
            let i = Intent::from_name(name).unwrap();
            assert_eq!(i.name(), name);
            assert_eq!(i.to_string(), name);
            assert_eq!(i.default_ttl().secs(), Some(ttl));
            assert_eq!(i.default_ttl_secs(), ttl);
            assert_eq!(i.requires_encryption(), enc);
        }
        let explicit = Ttl::from_secs(42).unwrap();
        assert_eq!(Intent::Io.resolve_ttl(Some(explicit)), explicit);
        for bad in ["", "Minimal", "fast", "dev", "test", "io "] {
            assert_eq!(Intent::from_name(bad).unwrap_err().kind(), ErrorKind::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn refresh_on_hit_matches_cachekit_py() {
        let r = TtlRefresh::default();
        assert_eq!(r.threshold(), 0.5);
        let ttl = Ttl::from_secs(600).unwrap();
        assert_eq!(r.expire_secs(ttl, 299), Some(600));
        assert_eq!(r.expire_secs(ttl, 1), Some(600));
        assert_eq!(r.expire_secs(ttl, 300), None, "strictly below ttl × threshold");
        assert_eq!(r.expire_secs(ttl, 600), None);
        assert_eq!(r.expire_secs(ttl, 0), None, "0 is falsy in cachekit-py: no refresh");
        assert_eq!(r.expire_secs(ttl, -1), None, "no expiry");
        assert_eq!(r.expire_secs(ttl, -2), None, "missing key");
        assert_eq!(r.expire_secs(Ttl::Never, 1), None);
        // Odd TTLs: 301 × 0.5 = 150.5, so 150 refreshes and 151 does not.
        let odd = Ttl::from_secs(301).unwrap();
        assert_eq!(r.expire_secs(odd, 150), Some(301));
        assert_eq!(r.expire_secs(odd, 151), None);

        let never = TtlRefresh::new(0.0).unwrap();
        assert_eq!(never.expire_secs(ttl, 1), None);
        let always = TtlRefresh::new(1.0).unwrap();
        assert_eq!(always.expire_secs(ttl, 599), Some(600));
        assert_eq!(always.expire_secs(ttl, 600), None);
        for bad in [-0.1, 1.1, f64::NAN, f64::INFINITY] {
            assert_eq!(TtlRefresh::new(bad).unwrap_err().kind(), ErrorKind::InvalidArgument, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn f64_conversion_is_the_ceiling(v in 1e-9f64..9e15) {
            let s = secs(Ttl::from_secs_f64(v));
            prop_assert!(s >= 1);
            prop_assert!(s as f64 >= v, "never rounds down");
            prop_assert!((s as f64) - v < 1.0, "rounds up by less than a second");
        }

        #[test]
        fn whole_seconds_are_exact(v in 1u64..=MAX_TTL_SECS) {
            prop_assert_eq!(secs(Ttl::from_secs_f64(v as f64)), v);
            prop_assert_eq!(secs(Ttl::from_secs(v as i64)), v);
        }

        #[test]
        fn millis_conversion_is_the_ceiling(ms in 1i64..i64::MAX / 2) {
            match Ttl::from_millis(ms) {
                Ok(t) => {
                    let s = t.secs().unwrap();
                    prop_assert!(s * 1000 >= ms as u64);
                    prop_assert!(s * 1000 - (ms as u64) < 1000);
                }
                Err(e) => {
                    prop_assert_eq!(e.kind(), ErrorKind::InvalidTtl);
                    prop_assert!(ms as u64 > MAX_TTL_SECS * 1000);
                }
            }
        }

        #[test]
        fn non_positive_is_always_invalid(v in prop_oneof![-1e300f64..=0.0, Just(f64::NAN)], i in i64::MIN..=0) {
            prop_assert_eq!(kind(Ttl::from_secs_f64(v)), ErrorKind::InvalidTtl);
            prop_assert_eq!(kind(Ttl::from_secs(i)), ErrorKind::InvalidTtl);
            prop_assert_eq!(kind(Ttl::from_millis(i)), ErrorKind::InvalidTtl);
        }

        #[test]
        fn refresh_decision_is_the_threshold_rule(ttl in 1u64..100_000, remaining in -2i64..100_000, th in 0.0f64..=1.0) {
            let r = TtlRefresh::new(th).unwrap();
            let t = TtlSecs::new(ttl).unwrap();
            let want = remaining > 0 && (remaining as f64) < ttl as f64 * th;
            prop_assert_eq!(r.expire_secs(Ttl::Secs(t), remaining), want.then_some(ttl));
        }
    }
}
