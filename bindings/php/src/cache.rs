//! `Cachekit\Cache`: the cache PHP code uses, and the per-process engine registry.
//!
//! # Engines live per worker process
//! PHP tears down every object at the end of a request, but the engine (L1, breaker,
//! single-flight table, adaptive timeout, metrics) must outlive requests, as APCu does. Each
//! `new Cachekit\Cache(...)` resolves its options to an [`EngineConfig`] and looks the engine
//! up in a process-global registry keyed by a fingerprint of that configuration, the keyring's
//! key fingerprints and the Redis server's identity; the first request builds it, later
//! requests (in the same FPM worker) reuse it. Under ZTS builds every thread of the process
//! shares the registry: it is a `Mutex<HashMap<_, Arc<Engine>>>`, and the engine is the core's
//! `Send + Sync` type (atomics and mutexes inside), so threads share L1 and breaker safely.
//! Single-flight waits park the thread on a process-global condition variable that every step
//! listing wake tokens notifies.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use cachekit::ErrorKind;
use cachekit::adaptive_timeout::AdaptiveTimeoutConfig;
use cachekit::backpressure::LimiterConfig;
use cachekit::breaker::BreakerConfig;
use cachekit::crypto::{DEFAULT_TENANT, Keyring, MasterKey};
use cachekit::engine::{Action, Engine, EngineConfig, Invalidate, Op, Outcome, Request, Step};
use cachekit::entry::Mode;
use cachekit::keys;
use cachekit::l1::L1Config;
use cachekit::refresh::XFetch;
use cachekit::stampede::LockConfig;
use cachekit::time::Millis;
use cachekit::ttl::{Intent, Ttl, TtlRefresh};
use ext_php_rs::boxed::ZBox;
use ext_php_rs::flags::DataType;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendCallable, ZendHashTable, ZendObject, Zval};
use ext_php_rs::zend::ExecutorGlobals;

use crate::args::{self, Text};
use crate::errors::{R, ck, ck_err, ck_exception};
use crate::redis_io::{RedisClient, memory_reply, take_exception_message};
use crate::report::{Context, Reporter};
use crate::unwind;
use crate::value::{Shape, core_value, from_value, php_err, to_value};

// ---------------------------------------------------------------- process-global state

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Milliseconds on the process's monotonic clock (shared by every engine).
pub fn now() -> Millis {
    EPOCH.get_or_init(Instant::now).elapsed().as_millis() as Millis
}

type Registry = Mutex<HashMap<String, Arc<Engine>>>;
static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// Wakes parked callers (ZTS threads waiting on a single flight or a backpressure slot).
static WAKE: (Mutex<u64>, Condvar) = (Mutex::new(0), Condvar::new());

fn notify(step: &Step) {
    if !step.wake.is_empty() {
        let mut g = WAKE.0.lock().unwrap_or_else(|p| p.into_inner());
        *g = g.wrapping_add(1);
        WAKE.1.notify_all();
    }
}

fn sleep_until(until: Millis) {
    let g = WAKE.0.lock().unwrap_or_else(|p| p.into_inner());
    let start = *g;
    let wait = until.saturating_sub(now());
    if wait == 0 {
        return;
    }
    let _ = WAKE.1.wait_timeout_while(g, Duration::from_millis(wait), |g2| *g2 == start);
}

fn engine_for(fingerprint: String, config: EngineConfig, keyring: Option<Keyring>) -> R<Arc<Engine>> {
    let reg = REGISTRY.get_or_init(Default::default);
    let mut map = reg.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(e) = map.get(&fingerprint) {
        return Ok(Arc::clone(e));
    }
    let engine = Arc::new(ck(Engine::new(config, keyring))?);
    map.insert(fingerprint, Arc::clone(&engine));
    Ok(engine)
}

/// Number of engines in this process (for tests and health).
pub fn engine_count() -> usize {
    REGISTRY.get().map_or(0, |r| r.lock().unwrap_or_else(|p| p.into_inner()).len())
}

// ---------------------------------------------------------------- options

struct Opts<'a>(&'a ZendHashTable, &'static str);

impl<'a> Opts<'a> {
    fn check_keys(&self, allowed: &[&str]) -> R<()> {
        for (k, _) in self.0.iter() {
            let name = k.to_string();
            if !allowed.contains(&name.as_str()) {
                return Err(ck_err(
                    ErrorKind::InvalidArgument,
                    format!("unknown {} option {name:?} (expected one of: {})", self.1, allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }
    fn get(&self, name: &str) -> Option<&'a Zval> {
        self.0.get(name).map(Zval::dereference).filter(|z| !z.is_null())
    }
    fn string(&self, name: &str) -> R<Option<String>> {
        match self.get(name) {
            None => Ok(None),
            Some(z) => z
                .string()
                .map(Some)
                .ok_or_else(|| ck_err(ErrorKind::InvalidArgument, format!("option {name} must be a string"))),
        }
    }
    fn u64(&self, name: &str) -> R<Option<u64>> {
        match self.get(name) {
            None => Ok(None),
            Some(z) => match z.long() {
                Some(v) if v >= 0 => Ok(Some(v as u64)),
                _ => Err(ck_err(ErrorKind::InvalidArgument, format!("option {name} must be a non-negative int"))),
            },
        }
    }
    fn f64(&self, name: &str) -> R<Option<f64>> {
        match self.get(name) {
            None => Ok(None),
            Some(z) => z
                .double()
                .or_else(|| z.long().map(|l| l as f64))
                .map(Some)
                .ok_or_else(|| ck_err(ErrorKind::InvalidArgument, format!("option {name} must be a number"))),
        }
    }
    fn bool(&self, name: &str) -> R<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(z) => z
                .bool()
                .map(Some)
                .ok_or_else(|| ck_err(ErrorKind::InvalidArgument, format!("option {name} must be a bool"))),
        }
    }
    /// `false` → `Some(None)`; `true` → `Some(Some(empty))`; an array → its options.
    fn section(&self, name: &'static str) -> R<Option<Option<Opts<'a>>>> {
        match self.get(name) {
            None => Ok(None),
            Some(z) if z.is_false() => Ok(Some(None)),
            Some(z) if z.is_true() => Ok(Some(Some(Opts(empty_table(), name)))),
            Some(z) => match z.array() {
                Some(a) => Ok(Some(Some(Opts(a, name)))),
                None => Err(ck_err(ErrorKind::InvalidArgument, format!("option {name} must be an array or a bool"))),
            },
        }
    }
}

fn empty_table() -> &'static ZendHashTable {
    // An empty immutable array zval lives as long as the process: leak one per call site.
    thread_local! {
        static EMPTY: &'static ZendHashTable = Box::leak(Box::new(ZendHashTable::new()));
    }
    EMPTY.with(|e| *e)
}

/// A TTL argument: int or float seconds (fractions round up), `"never"`, or `null` (default).
pub fn ttl_arg(z: Option<&Zval>) -> R<Option<Ttl>> {
    let Some(z) = z.map(Zval::dereference) else { return Ok(None) };
    match z.get_type() {
        DataType::Null => Ok(None),
        DataType::Long => ck(Ttl::from_secs(z.long().unwrap_or(0))).map(Some),
        DataType::Double => ck(Ttl::from_secs_f64(z.double().unwrap_or(0.0))).map(Some),
        DataType::String if z.str() == Some("never") => Ok(Some(Ttl::Never)),
        _ => Err(ck_err(ErrorKind::InvalidTtl, "ttl must be seconds (int or float), \"never\" or null")),
    }
}

pub(crate) fn master_key(z: &Zval) -> R<MasterKey> {
    let z = z.dereference();
    let Some(bytes) = z.zend_str().map(|s| s.as_bytes()) else {
        return Err(ck_err(
            ErrorKind::InvalidMasterKey,
            format!("a master key must be a string of 64 hex digits or 32 bytes, got {}", crate::args::type_name(z)),
        ));
    };
    if bytes.len() == 32 && std::str::from_utf8(bytes).map_or(true, |s| !s.chars().all(|c| c.is_ascii_hexdigit())) {
        return ck(MasterKey::from_bytes(bytes));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => ck(MasterKey::from_hex(s.trim())),
        Err(_) => ck(MasterKey::from_bytes(bytes)),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

const OPTIONS: &[&str] = &[
    "preset",
    "namespace",
    "ttl",
    "l1",
    "encryption",
    "breaker",
    "backpressure",
    "timeout",
    "lock",
    "early_refresh",
    "ttl_refresh",
    "stale_while_revalidate",
    "integrity",
    "fail_closed",
    "delete_unreadable",
    "max_value_bytes",
    "tag_prefix",
    "follower_wait_ms",
    "on_error",
    "logger",
];

struct Resolved {
    config: EngineConfig,
    keyring: Option<Keyring>,
    namespace: Option<String>,
    integrity: bool,
    reporter: Reporter,
}

fn resolve(options: &ZendHashTable) -> R<Resolved> {
    let o = Opts(options, "Cachekit\\Cache");
    o.check_keys(OPTIONS)?;
    let intent = match o.string("preset")? {
        Some(p) => ck(Intent::from_name(&p))?,
        None => Intent::Production,
    };
    let mut c = EngineConfig::for_intent(intent);
    c.ttl = ttl_arg(o.get("ttl"))?;
    let integrity = o.bool("integrity")?.unwrap_or(true);
    c.mode = Mode::Default { integrity };
    match o.get("l1") {
        None => {}
        Some(z) if z.is_false() => c.l1 = None,
        Some(z) if z.is_long() => c.l1 = Some(L1Config::new(z.long().unwrap_or(0).max(0) as usize)),
        Some(z) if z.is_array() => {
            let l = Opts(z.array().expect("array"), "l1");
            l.check_keys(&["max_bytes", "max_entry_bytes", "shards"])?;
            let mut cfg = L1Config::new(l.u64("max_bytes")?.map_or(cachekit::l1::DEFAULT_BUDGET, |b| b as usize));
            cfg.max_entry_bytes = l.u64("max_entry_bytes")?.map(|b| b as usize);
            if let Some(s) = l.u64("shards")? {
                cfg.shards = s as usize;
            }
            c.l1 = Some(cfg);
        }
        Some(_) => {
            return Err(ck_err(ErrorKind::InvalidArgument, "option l1 must be max bytes (int), an array or false"));
        }
    }
    if let Some(Some(b)) = o.section("breaker")? {
        b.check_keys(&[
            "failure_threshold",
            "failure_window_ms",
            "open_duration_ms",
            "half_open_probes",
            "success_threshold",
        ])?;
        let d = BreakerConfig::default();
        c.breaker = BreakerConfig {
            failure_threshold: b.u64("failure_threshold")?.map_or(d.failure_threshold, |x| x as u32),
            failure_window: b.u64("failure_window_ms")?.unwrap_or(d.failure_window),
            open_duration: b.u64("open_duration_ms")?.unwrap_or(d.open_duration),
            half_open_probes: b.u64("half_open_probes")?.map_or(d.half_open_probes, |x| x as u32),
            success_threshold: b.u64("success_threshold")?.map_or(d.success_threshold, |x| x as u32),
        };
    }
    if let Some(Some(b)) = o.section("backpressure")? {
        b.check_keys(&["max_in_flight", "max_queued", "max_wait_ms"])?;
        let d = LimiterConfig::default();
        c.limiter = LimiterConfig {
            max_in_flight: b.u64("max_in_flight")?.map_or(d.max_in_flight, |x| x as u32),
            max_queued: b.u64("max_queued")?.map_or(d.max_queued, |x| x as u32),
            max_wait: b.u64("max_wait_ms")?.unwrap_or(d.max_wait),
        };
    }
    if let Some(Some(t)) = o.section("timeout")? {
        t.check_keys(&["min_ms", "max_ms"])?;
        let d = AdaptiveTimeoutConfig::default();
        c.timeout = AdaptiveTimeoutConfig {
            min_timeout: t.u64("min_ms")?.unwrap_or(d.min_timeout),
            max_timeout: t.u64("max_ms")?.unwrap_or(d.max_timeout),
            ..d
        };
    }
    if let Some(w) = o.u64("follower_wait_ms")? {
        c.single_flight = ck(cachekit::stampede::SingleFlightConfig::new(w))?;
    }
    match o.section("lock")? {
        Some(None) => c.lock = None,
        Some(Some(l)) => {
            l.check_keys(&["lease_ms", "retry_ms", "wait_ms"])?;
            c.lock = Some(ck(LockConfig::new(
                l.u64("lease_ms")?.unwrap_or(LockConfig::DEFAULT_LEASE_MS),
                l.u64("retry_ms")?.unwrap_or(LockConfig::DEFAULT_RETRY_MS),
                l.u64("wait_ms")?.unwrap_or(LockConfig::DEFAULT_WAIT_MS),
            ))?)
        }
        None => {}
    }
    if let Some(Some(r)) = o.section("ttl_refresh")? {
        r.check_keys(&["threshold"])?;
        c.ttl_refresh = Some(ck(TtlRefresh::new(r.f64("threshold")?.unwrap_or(TtlRefresh::DEFAULT_THRESHOLD)))?);
    }
    if let Some(Some(r)) = o.section("early_refresh")? {
        r.check_keys(&["beta"])?;
        c.early_refresh = Some(ck(XFetch::new(r.f64("beta")?.unwrap_or(XFetch::DEFAULT_BETA)))?);
    }
    c.stale_while_revalidate = o.u64("stale_while_revalidate")?;
    if let Some(m) = o.u64("max_value_bytes")? {
        c.max_value_bytes = m as usize;
    }
    if let Some(b) = o.bool("delete_unreadable")? {
        c.delete_unreadable = b;
    }
    if let Some(b) = o.bool("fail_closed")? {
        c.fail_closed = b;
    }
    if let Some(p) = o.string("tag_prefix")? {
        c.tag_prefix = p;
    }
    // Encryption: explicit keys, or `true` / the secure preset with CACHEKIT_MASTER_KEY.
    let keyring = match o.section("encryption")? {
        Some(None) => None,
        Some(Some(e)) => {
            e.check_keys(&["master_key", "tenant", "previous_keys"])?;
            Some(keyring_from(&e)?)
        }
        None if intent.requires_encryption() => keyring_from(&Opts(empty_table(), "encryption")).ok(),
        None => None,
    };
    let namespace = o.string("namespace")?.filter(|n| !n.is_empty());
    let reporter = Reporter::from_options(o.get("on_error"), o.get("logger"))?;
    Ok(Resolved { config: c, keyring, namespace, integrity, reporter })
}

fn keyring_from(e: &Opts<'_>) -> R<Keyring> {
    let current = match e.get("master_key") {
        Some(z) => master_key(z)?,
        None => match env("CACHEKIT_MASTER_KEY") {
            Some(k) => ck(MasterKey::from_hex(k.trim()))?,
            None => {
                return Err(ck_err(
                    ErrorKind::EncryptionRequired,
                    "encryption needs a master key (option encryption.master_key or CACHEKIT_MASTER_KEY)",
                ));
            }
        },
    };
    let mut previous = Vec::new();
    match e.get("previous_keys") {
        Some(z) => {
            let Some(a) = z.array() else {
                return Err(ck_err(ErrorKind::InvalidKeyring, "previous_keys must be an array of master keys"));
            };
            for k in a.values() {
                previous.push(master_key(k)?);
            }
        }
        None => {
            if e.get("master_key").is_none()
                && let Some(csv) = env("CACHEKIT_PREVIOUS_MASTER_KEYS")
            {
                for k in csv.split(',').filter(|s| !s.trim().is_empty()) {
                    previous.push(ck(MasterKey::from_hex(k.trim()))?);
                }
            }
        }
    }
    let tenant = match e.string("tenant")? {
        Some(t) => t,
        None => env("CACHEKIT_DEPLOYMENT_UUID").unwrap_or_else(|| DEFAULT_TENANT.to_owned()),
    };
    ck(Keyring::new(&current, &previous, &tenant))
}

// ---------------------------------------------------------------- the class

/// What a computation did.
enum Computed {
    Value(Zval),
    Threw(ZBox<ZendObject>),
    /// `exit()`/`die` ran: PHP is unwinding, the unwind-exit stays pending.
    Exited,
}

/// A cache: L1 in this process, Redis (or Redis Cluster, through phpredis) behind it, every
/// entry in the cachekit protocol's format.
#[php_class]
#[php(name = "Cachekit\\Cache")]
pub struct Cache {
    engine: Arc<Engine>,
    redis: Option<RedisClient>,
    namespace: Option<String>,
    integrity: bool,
    preset: &'static str,
    /// Where absorbed failures go (`on_error` / `logger`): per object, not per engine.
    reporter: Reporter,
}

impl Cache {
    fn full_key(&self, key: &str) -> String {
        match &self.namespace {
            Some(ns) => format!("ns:{ns}:{key}"),
            None => key.to_owned(),
        }
    }

    /// This cache's engine, by address (engines live as long as the process).
    fn engine_id(&self) -> usize {
        Arc::as_ptr(&self.engine) as usize
    }

    fn request(&self, key: String) -> Request {
        let mut r = Request::new(key);
        r.namespace = self.namespace.clone();
        r
    }

    fn execute(&self, cmd: &cachekit::engine::Command) -> cachekit::engine::Reply {
        match &self.redis {
            Some(r) => r.execute_within(cmd, self.engine.command_timeout(now())),
            None => memory_reply(cmd),
        }
    }

    /// Runs an operation to its end. `compute` answers `Action::Compute`; what it did is left
    /// in `computed`. A bailout (fatal error, memory or time limit) in PHP code it calls
    /// abandons the operation, then goes on to the caller's `zend_try`.
    fn drive(
        &self,
        op: &mut Op,
        step: Step,
        compute: Option<&ZendCallable<'_>>,
        computed: &mut Option<Computed>,
        ctx: Context<'_>,
    ) -> Outcome {
        match unwind::catch_bailout(|| self.steps(op, step, compute, computed, ctx)) {
            Ok(outcome) => outcome,
            Err(interrupted) => {
                self.abandon(op);
                interrupted.resume()
            }
        }
    }

    /// Abandons an operation PHP left early: wakes whoever waits on it (single flight,
    /// backpressure) and releases its fill lock, with any pending exit set aside meanwhile.
    fn abandon(&self, op: &mut Op) {
        let (wake, release) = op.abandon(&self.engine, now());
        notify(&Step { wake, action: Action::Done(Outcome::Miss) });
        if let (Some(cmd), Some(r)) = (release, &self.redis) {
            unwind::with_exception_set_aside(|| {
                let _ = unwind::catch_bailout(|| r.execute(&cmd));
            });
        }
    }

    fn steps(
        &self,
        op: &mut Op,
        mut step: Step,
        compute: Option<&ZendCallable<'_>>,
        computed: &mut Option<Computed>,
        ctx: Context<'_>,
    ) -> Outcome {
        let e = &*self.engine;
        loop {
            notify(&step);
            self.reporter.step(op, self.engine_id(), now(), ctx);
            if unwind::exiting() {
                // exit() in the error hook: PHP unwinds, the operation is abandoned.
                *computed = Some(Computed::Exited);
                self.abandon(op);
                return Outcome::Miss;
            }
            step = match step.action {
                Action::Send(cmd) => {
                    let reply = self.execute(&cmd);
                    // The engine settles the reply (latency, breaker, slot) before a hook runs.
                    let failed = Reporter::reply_failure(&cmd, &reply);
                    let next = op.on_reply(e, reply, now());
                    // A failure the caller is thrown (delete, invalidate) is not reported too.
                    if let Some(err) = failed
                        && !matches!(next.action, Action::Done(Outcome::Failed(_)))
                    {
                        self.reporter.failure(&err, ctx, Some(cmd.name()));
                    }
                    next
                }
                Action::Compute => match compute {
                    None => op.on_computed(e, Err("nothing to compute".to_owned()), now()),
                    Some(f) => {
                        let r = f.try_call(vec![]);
                        if unwind::exiting() {
                            // exit()/die: no value, no exception to look at; PHP unwinds.
                            *computed = Some(Computed::Exited);
                            self.abandon(op);
                            return Outcome::Miss;
                        }
                        match ExecutorGlobals::take_exception() {
                            Some(ex) => {
                                let msg = ex
                                    .try_call_method("getMessage", vec![])
                                    .ok()
                                    .and_then(|m| m.string())
                                    .unwrap_or_default();
                                *computed = Some(Computed::Threw(ex));
                                op.on_computed(e, Err(msg), now())
                            }
                            None => {
                                let z = r.unwrap_or_default();
                                let v = core_value(&z);
                                *computed = Some(Computed::Value(z));
                                match v {
                                    Ok(v) => op.on_computed(e, Ok(&v), now()),
                                    Err(err) => {
                                        e.metrics().record_error(ErrorKind::UnsupportedType);
                                        self.reporter.failure(&err, ctx, None);
                                        op.on_computed(e, Err("the computed value cannot be cached".to_owned()), now())
                                    }
                                }
                            }
                        }
                    }
                },
                Action::Sleep { until, .. } => {
                    sleep_until(until);
                    op.resume(e, now())
                }
                Action::Done(outcome) => return outcome,
            };
        }
    }

    /// Runs an operation that computes nothing (`get`, `set`, `delete`, …) for `ctx`.
    fn run(&self, start: (Op, Step), ctx: Context<'_>) -> Outcome {
        let (mut op, step) = start;
        if let Action::Done(o) = step.action {
            notify(&Step { wake: step.wake, action: Action::Done(Outcome::Miss) });
            self.reporter.step(&mut op, self.engine_id(), now(), ctx);
            return o;
        }
        self.drive(&mut op, step, None, &mut None, ctx)
    }

    /// The shared path of `remember` and `interop`: cache-layer failures never reach the
    /// caller; the computation's own exceptions do.
    fn cached(&self, request: Request, compute: &ZendCallable<'_>, operation: &'static str) -> R<Zval> {
        let call_direct = |c: &ZendCallable<'_>| -> R<Zval> {
            // A pending exception propagates by itself when we return Err.
            c.try_call(vec![]).map_err(php_err)
        };
        // A `remember` of a key inside its own computation (in this request) computes directly:
        // waiting for the single flight or the fill lock would wait on itself.
        let engine_id = self.engine_id();
        if unwind::Computing::contains(engine_id, &request.key) {
            return call_direct(compute);
        }
        let _computing = unwind::Computing::enter(engine_id, &request.key);
        let e = &*self.engine;
        let (mut op, step) = e.get_or_compute(request.clone(), now());
        let mut computed = None;
        let key = request.key.clone();
        let ctx = Context { operation, key: Some(&key) };
        let outcome = self.drive(&mut op, step, Some(compute), &mut computed, ctx);
        match computed {
            Some(Computed::Threw(ex)) => {
                use ext_php_rs::convert::IntoZval;
                if let Ok(z) = ex.into_zval(false) {
                    let _ = ext_php_rs::exception::throw_object(z);
                }
                return Err(PhpException::from_message(String::new()));
            }
            Some(Computed::Value(z)) => return Ok(z),
            // The pending unwind-exit is left in place (an `Err` throws nothing over it).
            Some(Computed::Exited) => return Err(PhpException::from_message(String::new())),
            None => {}
        }
        match outcome {
            Outcome::Hit { value, .. } => {
                if op.refresh_ahead() {
                    // PHP has no background: this request refreshes the entry, then answers
                    // with the value it already had.
                    let (mut rop, rstep) = e.refresh(request, now());
                    let mut rc = None;
                    let rctx = Context { operation: "refresh", ..ctx };
                    let _ = self.drive(&mut rop, rstep, Some(compute), &mut rc, rctx);
                    match rc {
                        Some(Computed::Threw(_)) => e.metrics().record_error(ErrorKind::ComputeFailed),
                        Some(Computed::Exited) => return Err(PhpException::from_message(String::new())),
                        _ => {}
                    }
                }
                match from_value(&value, Shape::Php) {
                    Ok(z) => Ok(z),
                    Err(_) => call_direct(compute),
                }
            }
            Outcome::Failed(err) if err.kind() == ErrorKind::ComputeFailed => Err(ck_exception(&err)),
            _ => call_direct(compute),
        }
    }
}

#[php_impl]
impl Cache {
    /// Creates a cache on a phpredis client (`\Redis` or `\RedisCluster`), or L1-only without.
    pub fn __construct(redis: Option<&Zval>, options: Option<&ZendHashTable>) -> R<Cache> {
        let redis = match redis.map(Zval::dereference).filter(|z| !z.is_null()) {
            None => None,
            Some(z) => Some(RedisClient::new(z).ok_or_else(|| {
                ck_err(ErrorKind::InvalidArgument, "redis must be a \\Redis or \\RedisCluster instance, or null")
            })?),
        };
        if let Some(r) = &redis
            && !r.cluster
            && !r.connected()
        {
            return Err(ck_err(
                ErrorKind::InvalidArgument,
                "the \\Redis client is not connected: call connect() or pconnect() on it before new Cachekit\\Cache(...)",
            ));
        }
        if let Some(msg) = redis.as_ref().and_then(RedisClient::refused_option) {
            return Err(ck_err(ErrorKind::InvalidArgument, msg));
        }
        let empty = ZendHashTable::new();
        let resolved = resolve(options.unwrap_or(&empty))?;
        let preset = resolved.config.intent.name();
        let mut fingerprint = format!("{:?}", resolved.config);
        if let Some(k) = &resolved.keyring {
            fingerprint.push_str(&format!("|keys={:?}|tenant={}", k.fingerprints(), k.tenant()));
        }
        fingerprint.push_str(&format!("|redis={}", redis.as_ref().map_or("none".to_owned(), RedisClient::identity)));
        let engine = engine_for(fingerprint, resolved.config, resolved.keyring)?;
        Ok(Cache {
            engine,
            redis,
            namespace: resolved.namespace,
            integrity: resolved.integrity,
            preset,
            reporter: resolved.reporter,
        })
    }

    /// Reads a value; `$default` on a miss (Redis failures and unreadable entries are misses).
    pub fn get(&self, key: Text, default: Option<&Zval>) -> R<Zval> {
        let key = self.full_key(&key.get("Cachekit\\Cache::get", 1, "key")?);
        let outcome = self.run(self.engine.get(self.request(key.clone()), now()), Context::of("get", &key));
        match outcome {
            Outcome::Hit { value, .. } => from_value(&value, Shape::Php),
            Outcome::Failed(e) => Err(ck_exception(&e)),
            _ => Ok(default.map(Zval::shallow_clone).unwrap_or_default()),
        }
    }

    /// True when `get($key)` would find a value.
    pub fn has(&self, key: Text) -> R<bool> {
        let key = self.full_key(&key.get("Cachekit\\Cache::has", 1, "key")?);
        let outcome = self.run(self.engine.get(self.request(key.clone()), now()), Context::of("has", &key));
        match outcome {
            Outcome::Hit { .. } => Ok(true),
            Outcome::Failed(e) => Err(ck_exception(&e)),
            _ => Ok(false),
        }
    }

    /// Writes a value to L1 and Redis; true when it reached Redis.
    pub fn set(&self, key: Text, value: &Zval, ttl: Option<&Zval>, tags: Option<&ZendHashTable>) -> R<bool> {
        let key = self.full_key(&key.get("Cachekit\\Cache::set", 1, "key")?);
        let tags = args::texts(tags, "Cachekit\\Cache::set", 4, "tags")?;
        let v = to_value(value)?;
        let mut req = self.request(key.clone());
        req.ttl = ttl_arg(ttl)?;
        req.tags = tags;
        match self.run(self.engine.set(req, &v, now()), Context::of("set", &key)) {
            Outcome::Stored { redis } => Ok(redis && self.redis.is_some()),
            Outcome::Failed(e) => Err(ck_exception(&e)),
            _ => Ok(false),
        }
    }

    /// Deletes a key from L1 and Redis; true when it existed.
    pub fn delete(&self, key: Text) -> R<bool> {
        let key = self.full_key(&key.get("Cachekit\\Cache::delete", 1, "key")?);
        match self.run(self.engine.delete(self.request(key.clone()), now()), Context::of("delete", &key)) {
            Outcome::Deleted { existed } => Ok(existed),
            Outcome::Failed(e) => Err(ck_exception(&e)),
            _ => Ok(false),
        }
    }

    /// Returns the cached value of `$key`, or computes, stores and returns it (one computation
    /// per key in this process, and the distributed fill lock across processes).
    pub fn remember(&self, key: Text, ttl: &Zval, compute: ZendCallable) -> R<Zval> {
        let key = key.get("Cachekit\\Cache::remember", 1, "key")?;
        let ttl = ttl_arg(Some(ttl))?;
        let mut req = self.request(self.full_key(&key));
        req.ttl = ttl;
        self.cached(req, &compute, "remember")
    }

    /// An interop/v1 entry shared with every cachekit SDK: key
    /// `{namespace}:{operation}:{hash of $args}`, canonical MessagePack value.
    pub fn interop(
        &self,
        namespace: Text,
        operation: Text,
        args: &Zval,
        compute: ZendCallable,
        ttl: Option<&Zval>,
    ) -> R<Zval> {
        let namespace = namespace.get("Cachekit\\Cache::interop", 1, "namespace")?;
        let operation = operation.get("Cachekit\\Cache::interop", 2, "operation")?;
        ck(keys::validate_segment("namespace", &namespace))?;
        ck(keys::validate_segment("operation", &operation))?;
        let ttl = ttl_arg(ttl)?;
        // The same arguments as Protocol::interopKey: a list (an associative array's keys would
        // be dropped from the hash), of values the canonical encoding can say.
        let key = ck(keys::interop_key(&namespace, &operation, &crate::protocol::list(args)?))?;
        let mut request = Request::new(key).mode(Mode::Interop).namespace(namespace);
        request.ttl = ttl;
        self.cached(request, &compute, "interop")
    }

    /// Invalidates by key, namespace (default-mode keys `ns:{namespace}:*`), interop
    /// namespace (`{namespace}:*`) and/or tags, in L1 and Redis; returns Redis keys deleted.
    pub fn invalidate(
        &self,
        namespace: Option<Text>,
        tags: Option<&ZendHashTable>,
        key: Option<Text>,
        interop_namespace: Option<Text>,
    ) -> R<i64> {
        const F: &str = "Cachekit\\Cache::invalidate";
        let namespace = args::opt(namespace, F, 1, "namespace")?;
        let tags = args::texts(tags, F, 2, "tags")?;
        let key = args::opt(key, F, 3, "key")?;
        let interop_namespace = args::opt(interop_namespace, F, 4, "interop_namespace")?;
        let mut targets = Vec::new();
        if let Some(k) = key {
            targets.push(Invalidate::Key(self.full_key(&k)));
        }
        if let Some(ns) = namespace {
            targets.push(Invalidate::Namespace { name: ns, mode: Some(Mode::Default { integrity: self.integrity }) });
        }
        if let Some(ns) = interop_namespace {
            targets.push(Invalidate::Namespace { name: ns, mode: Some(Mode::Interop) });
        }
        for t in tags {
            targets.push(Invalidate::Tag(t));
        }
        if targets.is_empty() {
            return Err(ck_err(
                ErrorKind::InvalidArgument,
                "invalidate needs a key, a namespace, an interop_namespace or tags",
            ));
        }
        let mut n = 0i64;
        for t in targets {
            let ctx = Context {
                operation: "invalidate",
                key: match &t {
                    Invalidate::Key(k) => Some(k.as_str()),
                    _ => None,
                },
            };
            match self.run(self.engine.invalidate(t.clone(), now()), ctx) {
                Outcome::Invalidated { redis_keys } => n += redis_keys as i64,
                Outcome::Failed(e) => return Err(ck_exception(&e)),
                _ => {}
            }
        }
        Ok(n)
    }

    /// Prometheus text exposition of this cache's metrics (shared by every cache with the same
    /// configuration in this process).
    pub fn metrics(&self) -> String {
        self.engine.render_metrics(now())
    }

    /// Breaker state, L1 statistics, latency estimate, backpressure, encryption.
    pub fn health(&self) -> R<Zval> {
        let t = now();
        let e = &*self.engine;
        let mut out = ZendHashTable::new();
        let b = e.breaker().snapshot(t);
        let mut bo = ZendHashTable::new();
        bo.insert("state", b.state.name()).map_err(php_err)?;
        bo.insert("failures_in_window", i64::from(b.failures_in_window)).map_err(php_err)?;
        bo.insert("ms_until_half_open", b.time_until_half_open.map(|x| x as i64)).map_err(php_err)?;
        bo.insert("opened", b.counters.opened as i64).map_err(php_err)?;
        bo.insert("rejected", b.counters.rejected as i64).map_err(php_err)?;
        bo.insert("failures", b.counters.failures as i64).map_err(php_err)?;
        out.insert("breaker", bo).map_err(php_err)?;
        match e.l1() {
            Some(l1) => {
                let s = l1.stats();
                let mut lo = ZendHashTable::new();
                lo.insert("hits", s.hits as i64).map_err(php_err)?;
                lo.insert("misses", s.misses as i64).map_err(php_err)?;
                lo.insert("hit_ratio", s.hit_ratio()).map_err(php_err)?;
                lo.insert("entries", s.entries as i64).map_err(php_err)?;
                lo.insert("bytes", s.bytes as i64).map_err(php_err)?;
                lo.insert("budget", s.budget as i64).map_err(php_err)?;
                lo.insert("evictions", s.evictions as i64).map_err(php_err)?;
                lo.insert("expirations", s.expirations as i64).map_err(php_err)?;
                out.insert("l1", lo).map_err(php_err)?;
            }
            None => out.insert("l1", Option::<i64>::None).map_err(php_err)?,
        }
        let ts = e.adaptive_timeout().snapshot(t);
        let mut to = ZendHashTable::new();
        to.insert("timeout_ms", ts.timeout as i64).map_err(php_err)?;
        to.insert("samples", ts.samples as i64).map_err(php_err)?;
        to.insert("p50_ms", ts.p50).map_err(php_err)?;
        to.insert("p95_ms", ts.p95).map_err(php_err)?;
        to.insert("p99_ms", ts.p99).map_err(php_err)?;
        out.insert("latency", to).map_err(php_err)?;
        let l = e.limiter().stats();
        let mut lo = ZendHashTable::new();
        lo.insert("in_flight", i64::from(l.in_flight)).map_err(php_err)?;
        lo.insert("queued", i64::from(l.queued)).map_err(php_err)?;
        out.insert("backpressure", lo).map_err(php_err)?;
        out.insert("encrypted", e.encrypted()).map_err(php_err)?;
        out.insert("preset", self.preset).map_err(php_err)?;
        out.insert("namespace", self.namespace.clone()).map_err(php_err)?;
        let kind = match &self.redis {
            None => "none",
            Some(r) if r.cluster => "phpredis-cluster",
            Some(_) => "phpredis",
        };
        out.insert("redis", kind).map_err(php_err)?;
        out.insert("engines", engine_count() as i64).map_err(php_err)?;
        let mut z = Zval::new();
        z.set_hashtable(out);
        Ok(z)
    }

    /// The Redis key of a direct key: `ns:{namespace}:{key}` when the cache has a namespace.
    pub fn key_for(&self, key: Text) -> R<String> {
        Ok(self.full_key(&key.get("Cachekit\\Cache::keyFor", 1, "key")?))
    }
}

// Silence "unused" for the message helper when only some paths use it.
#[allow(dead_code)]
fn _unused() -> Option<String> {
    take_exception_message()
}
