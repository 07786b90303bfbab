//! The sans-I/O request engine: the one place that decides the flow of every cache call.
//!
//! A binding never decides when to touch Redis. It starts an operation on the [`Engine`]
//! (`get`, `set`, `get_or_compute`, `delete`, `invalidate`) and then runs a loop of a few
//! lines, in the style of quinn-proto or h11:
//!
//! ```text
//! let mut step = engine.get(request, now());
//! loop {
//!     wake(step.wake);                               // settle other callers' waits
//!     match step.action {
//!         Action::Send(cmd)       => step = op.on_reply(&engine, redis.execute(cmd, engine.command_timeout(now())), now()),
//!         Action::Compute         => step = op.on_computed(&engine, user_fn().map(to_value), now()),
//!         Action::Sleep{until, token} => { wait_until_or_woken(until, token); step = op.resume(&engine, now()) }
//!         Action::Done(outcome)   => return outcome,
//!     }
//! }
//! ```
//!
//! Inside, every call walks the same decisions: the L1 cache, the single-flight table, the
//! circuit breaker, backpressure, the distributed fill lock, TTL refresh on hit, the entry
//! codec (serialization, envelope, encryption) and metrics. Replies are classified for the
//! breaker, latencies feed the adaptive timeout, and a cache-layer failure inside
//! `get_or_compute` never reaches the caller: the computation still runs, and the failure is
//! counted.
//!
//! - [`command`]: the commands and replies.
//! - [`op`]: one operation's state machine ([`Op`]) and what it asks of the binding ([`Step`]).
//! - [`pins`]: L1 entries whose decoded value a binding keeps, re-checked instead of re-decoded.
//! - [`ops`]: the operations a binding has in progress, by number, with its pins.

pub mod command;
pub mod op;
pub mod ops;
pub mod pins;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::adaptive_timeout::{AdaptiveTimeout, AdaptiveTimeoutConfig};
use crate::backpressure::{Limiter, LimiterConfig};
use crate::breaker::{Breaker, BreakerConfig};
use crate::crypto::Keyring;
use crate::entry::{DEFAULT_MAX_VALUE_BYTES, Mode};
use crate::error::{ErrorKind, Result, err};
use crate::l1::{L1, L1Config};
use crate::metrics::Metrics;
use crate::refresh::XFetch;
use crate::stampede::{LockConfig, SingleFlight, SingleFlightConfig};
use crate::time::Millis;
use crate::ttl::{Intent, Ttl, TtlRefresh};
use std::sync::atomic::{AtomicU64, Ordering};

pub use command::{Command, Reply};
pub use op::{Action, Invalidate, Op, Outcome, Request, Source, Step, WaitToken};
pub use ops::Ops;
pub use pins::{L1Hit, PinToken, Pins, token_from_js};

/// Everything that shapes an [`Engine`]. [`EngineConfig::for_intent`] gives cachekit-py's
/// defaults for an intent preset.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// The intent preset: default TTL, and whether encryption is required (`secure`).
    pub intent: Intent,
    /// TTL when a call gives none; `None` uses the preset's.
    pub ttl: Option<Ttl>,
    /// The entry form used when a request does not name one.
    pub mode: Mode,
    /// The in-process L1 cache of stored bytes; `None` turns it off.
    pub l1: Option<L1Config>,
    /// Circuit breaker tuning.
    pub breaker: BreakerConfig,
    /// Backpressure tuning.
    pub limiter: LimiterConfig,
    /// Adaptive command timeout tuning.
    pub timeout: AdaptiveTimeoutConfig,
    /// In-process single-flight tuning.
    pub single_flight: SingleFlightConfig,
    /// The distributed fill lock used by `get_or_compute`; `None` turns it off.
    pub lock: Option<LockConfig>,
    /// TTL refresh on hit (SPEC §8); `None` turns it off (cachekit-py's default).
    pub ttl_refresh: Option<TtlRefresh>,
    /// Probabilistic early refresh (XFetch) for `get_or_compute` hits; `None` turns it off.
    /// A hit that draws a refresh is still served; [`Op::refresh_ahead`] tells the binding to
    /// start [`Engine::refresh`] in the background.
    pub early_refresh: Option<XFetch>,
    /// Stale-while-revalidate grace, in seconds: entries are written with `EX ttl + grace`,
    /// and a `get_or_compute` hit within the last `grace` seconds of that is served stale
    /// while [`Op::refresh_ahead`] asks the binding to refresh it; `None` turns it off.
    pub stale_while_revalidate: Option<u64>,
    /// Largest serialized value written.
    pub max_value_bytes: usize,
    /// Delete entries that fail to decode, verify or decrypt (cachekit-py does); the read is
    /// a miss either way.
    pub delete_unreadable: bool,
    /// Raise `decryption_failed` to the caller of `get` instead of treating it as a miss.
    pub fail_closed: bool,
    /// Prefix of tag-set keys: a tag `t` lives at `{tag_prefix}{t}`.
    pub tag_prefix: String,
    /// Hand out hits as [`Outcome::HitJson`] (JSON text, the value never built) when JSON
    /// says the value exactly: the JavaScript bindings, whose fastest way to build a value is
    /// `JSON.parse`. Other bindings leave it off and always get [`Outcome::Hit`].
    pub json_hits: bool,
}

impl EngineConfig {
    /// cachekit-py's defaults for `intent`: integrity on, 100 MiB L1, breaker 5/60 s/30 s,
    /// backpressure 100/1000/100 ms, fill lock 30 s lease / 100 ms retry / 5 s wait.
    pub fn for_intent(intent: Intent) -> EngineConfig {
        EngineConfig {
            intent,
            ttl: None,
            mode: Mode::Default { integrity: true },
            l1: Some(L1Config::new(crate::l1::DEFAULT_BUDGET)),
            breaker: BreakerConfig::default(),
            limiter: LimiterConfig::default(),
            timeout: AdaptiveTimeoutConfig::default(),
            single_flight: SingleFlightConfig::default(),
            lock: Some(LockConfig::default()),
            ttl_refresh: None,
            early_refresh: None,
            stale_while_revalidate: None,
            max_value_bytes: DEFAULT_MAX_VALUE_BYTES,
            delete_unreadable: true,
            fail_closed: false,
            tag_prefix: "cachekit:tag:".to_owned(),
            json_hits: false,
        }
    }

    /// The TTL of a call that gives none.
    pub fn default_ttl(&self) -> Ttl {
        self.intent.resolve_ttl(self.ttl)
    }
}

impl Default for EngineConfig {
    /// The `production` preset.
    fn default() -> EngineConfig {
        EngineConfig::for_intent(Intent::Production)
    }
}

/// The shared state of one cache: configuration, keys, L1, reliability state machines and
/// metrics. `Send + Sync`: share it (`Arc`) across threads and requests; operations ([`Op`])
/// are per call.
#[derive(Debug)]
pub struct Engine {
    pub(crate) config: EngineConfig,
    pub(crate) keyring: Option<Keyring>,
    pub(crate) l1: Option<L1>,
    pub(crate) breaker: Breaker,
    pub(crate) limiter: Limiter,
    pub(crate) timeout: AdaptiveTimeout,
    pub(crate) flights: SingleFlight<Arc<[u8]>>,
    pub(crate) metrics: Metrics,
    /// Smoothed duration of computations (ms), XFetch's `delta`.
    pub(crate) compute_ms: AtomicU64,
}

impl Engine {
    /// Builds an engine. `keyring` turns encryption on; the `secure` intent refuses to start
    /// without one (`encryption_required`), never falling back to plaintext.
    pub fn new(config: EngineConfig, keyring: Option<Keyring>) -> Result<Engine> {
        if config.intent.requires_encryption() && keyring.is_none() {
            return err(
                ErrorKind::EncryptionRequired,
                "the secure preset needs a master key (option or CACHEKIT_MASTER_KEY)",
            );
        }
        if let Some(grace) = config.stale_while_revalidate
            && grace > crate::ttl::MAX_TTL_SECS
        {
            return err(
                ErrorKind::InvalidArgument,
                format!("stale-while-revalidate grace must be at most {} s, got {grace}", crate::ttl::MAX_TTL_SECS),
            );
        }
        let l1 = config.l1.clone().map(L1::with_config).transpose()?;
        Ok(Engine {
            breaker: Breaker::new(config.breaker.clone())?,
            limiter: Limiter::new(config.limiter.clone())?,
            timeout: AdaptiveTimeout::new(config.timeout.clone())?,
            flights: SingleFlight::new(config.single_flight),
            metrics: Metrics::new(),
            compute_ms: AtomicU64::new(0),
            l1,
            keyring,
            config,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// True when entries are encrypted.
    pub fn encrypted(&self) -> bool {
        self.keyring.is_some()
    }

    /// The keyring, if encryption is on.
    pub fn keyring(&self) -> Option<&Keyring> {
        self.keyring.as_ref()
    }

    /// The timeout a binding applies to the next command (adaptive, clamped).
    pub fn command_timeout(&self, now: Millis) -> Millis {
        self.timeout.timeout(now)
    }

    /// The L1 cache, if on.
    pub fn l1(&self) -> Option<&L1> {
        self.l1.as_ref()
    }

    /// The circuit breaker.
    pub fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    /// The backpressure limiter.
    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    /// The adaptive timeout estimator.
    pub fn adaptive_timeout(&self) -> &AdaptiveTimeout {
        &self.timeout
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Prometheus text exposition of this engine's metrics (L1 usage and breaker state
    /// refreshed first).
    pub fn render_metrics(&self, now: Millis) -> String {
        self.refresh_gauges(now);
        self.metrics.render(&[])
    }

    /// Folds one computation's duration into the smoothed `delta` (EWMA, weight 1/8).
    pub(crate) fn observe_compute(&self, ms: u64) {
        let old = self.compute_ms.load(Ordering::Relaxed);
        let new = if old == 0 { ms } else { old - old / 8 + ms / 8 };
        self.compute_ms.store(new.max(1), Ordering::Relaxed);
    }

    pub(crate) fn refresh_gauges(&self, _now: Millis) {
        self.metrics.set_breaker_state(self.breaker.state());
        if let Some(l1) = &self.l1 {
            let s = l1.stats();
            self.metrics.set_l1_usage(s.bytes as u64, s.entries as u64);
        }
    }

    /// Starts a `get`: L1, then Redis; a miss is [`Outcome::Miss`].
    pub fn get(&self, request: Request, now: Millis) -> (Op, Step) {
        Op::start_get(self, request, now)
    }

    /// Starts an `exists`: true when L1 holds a live entry for the key, else Redis `EXISTS`
    /// (through the breaker and backpressure like every command). Nothing is decoded or
    /// decrypted and no hit or miss is counted; a Redis failure reads as "not found".
    pub fn exists(&self, request: Request, now: Millis) -> (Op, Step) {
        Op::start_exists(self, request, now)
    }

    /// Starts a `set`: encodes `value` now (an unencodable value fails at once), writes L1
    /// and Redis.
    pub fn set(&self, request: Request, value: &crate::Value, now: Millis) -> (Op, Step) {
        Op::start_set(self, request, value, now)
    }

    /// Starts a `get_or_compute`: L1, single flight, Redis, fill lock, then asks the binding
    /// to compute ([`Action::Compute`]) and writes the result.
    pub fn get_or_compute(&self, request: Request, now: Millis) -> (Op, Step) {
        Op::start_get_or_compute(self, request, now)
    }

    /// Starts a background refresh of a key whose hit drew [`Op::refresh_ahead`]: leads the
    /// key's single flight only if nobody computes it already, takes the fill lock with one
    /// attempt (a busy lock means another process refreshes), then computes and writes. Ends
    /// with [`Outcome::Computed`], or [`Outcome::Miss`] when another caller refreshes.
    pub fn refresh(&self, request: Request, now: Millis) -> (Op, Step) {
        Op::start_refresh(self, request, now)
    }

    /// Starts a `delete` of one key (L1 and Redis).
    pub fn delete(&self, request: Request, now: Millis) -> (Op, Step) {
        Op::start_delete(self, request, now)
    }

    /// Starts an invalidation by key, namespace or tag (L1 and Redis).
    pub fn invalidate(&self, target: Invalidate, now: Millis) -> (Op, Step) {
        Op::start_invalidate(self, target, now)
    }
}
