//! The `ck_engine` handle: the sans-I/O request engine (L1, single flight, breaker,
//! backpressure, fill lock, TTL refresh, early refresh, entry codec, metrics) behind every
//! cache call, and the calls that start an op (`ck_op`, see `op.rs`).

use std::ffi::c_char;
use std::sync::Arc;

use cachekit::engine::{Engine, EngineConfig, Invalidate, Request};
use cachekit::entry::{DEFAULT_MAX_VALUE_BYTES, Mode};
use cachekit::error::ErrorKind;
use cachekit::refresh::XFetch;
use cachekit::stampede::{LockConfig, SingleFlightConfig};
use cachekit::ttl::{Intent, Ttl, TtlRefresh};
use cachekit::{Error, Result};

use crate::boundary::{bytes, ck_result, guard, handle, invalid, opt_text, text, text_array, write_out};
use crate::breaker::{ck_breaker_config, ck_breaker_snapshot, snapshot_of};
use crate::entry::{CK_MODE_DEFAULT, CK_MODE_DEFAULT_NO_INTEGRITY, CK_MODE_INTEROP, ck_mode, mode_of};
use crate::handles::{free, register};
use crate::keyring::{ck_keyring, keyring_ref};
use crate::l1::{CK_L1_MAX_TAGS, ck_l1_stats, l1_config};
use crate::limiter::{ck_limiter_config, ck_limiter_stats};
use crate::op::{ck_op, ck_step, start};
use crate::timeout::ck_adaptive_timeout_config;
use crate::values::from_msgpack;

/// An intent preset: one of the `CK_INTENT_*` constants.
pub type ck_intent = u32;
/// `minimal`: speed first, default TTL 300 s.
pub const CK_INTENT_MINIMAL: ck_intent = 1;
/// `production`: reliability first, default TTL 600 s (the default).
pub const CK_INTENT_PRODUCTION: ck_intent = 2;
/// `secure`: default TTL 600 s, encryption required (`ck_engine_new` needs a keyring).
pub const CK_INTENT_SECURE: ck_intent = 3;
/// `io`: the hosted-backend preset, default TTL 3600 s.
pub const CK_INTENT_IO: ck_intent = 4;

/// `ttl_secs` value meaning "the engine's default" (in a request: the engine's TTL; in the
/// engine configuration: the intent's).
pub const CK_TTL_DEFAULT: i64 = 0;
/// `ttl_secs` value meaning "never expire" (a plain `SET` without `EX`): only ever an
/// explicit choice.
pub const CK_TTL_NEVER: i64 = -1;

/// What `ck_engine_invalidate` removes: one of the `CK_INVALIDATE_*` constants.
pub type ck_invalidate_kind = u32;
/// One key (`target` is the full key).
pub const CK_INVALIDATE_KEY: ck_invalidate_kind = 1;
/// Every key of a namespace: default-mode keys `ns:{target}:*`, interop keys `{target}:*`.
pub const CK_INVALIDATE_NAMESPACE: ck_invalidate_kind = 2;
/// Every key written with tag `target`.
pub const CK_INVALIDATE_TAG: ck_invalidate_kind = 3;

/// Everything that shapes an engine. Start from `ck_engine_config_default()` or
/// `ck_engine_config_for_intent()` and change fields. The struct is only read during
/// `ck_engine_new` (strings included): nothing in it needs to outlive that call.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ck_engine_config {
    /// `CK_INTENT_*`: the default TTL, and whether encryption is required.
    pub intent: ck_intent,
    /// TTL of a call that gives none: `CK_TTL_DEFAULT` (the intent's), `CK_TTL_NEVER`, or
    /// seconds > 0.
    pub ttl_secs: i64,
    /// The entry form of requests that name none: `CK_MODE_DEFAULT` (default),
    /// `CK_MODE_DEFAULT_NO_INTEGRITY` or `CK_MODE_INTEROP`.
    pub mode: ck_mode,
    /// Whether the in-process L1 is on (default true).
    pub l1_enabled: bool,
    /// L1 byte budget (default 100 MiB).
    pub l1_budget_bytes: usize,
    /// L1 per-entry cap (0 = budget / 8, the default).
    pub l1_max_entry_bytes: usize,
    /// L1 shards, a power of two (0 = 16, the default).
    pub l1_shards: usize,
    /// Circuit breaker tuning (default `ck_breaker_config_default()`).
    pub breaker: ck_breaker_config,
    /// Backpressure tuning (default `ck_limiter_config_default()`).
    pub limiter: ck_limiter_config,
    /// Adaptive command timeout tuning (default `ck_adaptive_timeout_config_default()`).
    pub timeout: ck_adaptive_timeout_config,
    /// How long single-flight followers wait for their leader, in ms (0 = 35000, the default).
    pub follower_wait_ms: u64,
    /// Whether get_or_compute takes the distributed fill lock (default true).
    pub lock_enabled: bool,
    /// Fill-lock lease (`PX`) in ms (default 30000; >= 1).
    pub lock_lease_ms: u64,
    /// Pause between fill-lock attempts in ms (default 100; >= 1).
    pub lock_retry_ms: u64,
    /// Total wait for the fill lock in ms (default 5000; 0 = one attempt).
    pub lock_wait_ms: u64,
    /// TTL refresh on hit (cachekit-py `refresh_ttl_on_get`; default false).
    pub ttl_refresh_enabled: bool,
    /// Refresh when less than this fraction of the TTL remains (default 0.5; 0..=1).
    pub ttl_refresh_threshold: f64,
    /// Probabilistic early refresh (XFetch) of get_or_compute hits (default false).
    pub early_refresh_enabled: bool,
    /// XFetch `beta` (default 1.0; finite, >= 0).
    pub early_refresh_beta: f64,
    /// Stale-while-revalidate grace in seconds (entries are written with `EX ttl + grace`;
    /// a `get_or_compute` hit inside the grace is served and flagged `refresh_ahead`); 0 = off.
    pub stale_while_revalidate_secs: u64,
    /// Largest serialized value written (0 = 100 MiB, the default).
    pub max_value_bytes: usize,
    /// Delete entries that fail to decode, verify or decrypt (default true, as cachekit-py).
    pub delete_unreadable: bool,
    /// Fail a get with `CK_DECRYPTION_FAILED` instead of a miss (default false).
    pub fail_closed: bool,
    /// Prefix of tag-set keys (NULL = `"cachekit:tag:"`, the default).
    pub tag_prefix: *const c_char,
}

fn intent_code(i: Intent) -> ck_intent {
    match i {
        Intent::Minimal => CK_INTENT_MINIMAL,
        Intent::Production => CK_INTENT_PRODUCTION,
        Intent::Secure => CK_INTENT_SECURE,
        Intent::Io => CK_INTENT_IO,
    }
}

fn intent_of(code: ck_intent) -> Result<Intent> {
    Ok(match code {
        CK_INTENT_MINIMAL => Intent::Minimal,
        CK_INTENT_PRODUCTION => Intent::Production,
        CK_INTENT_SECURE => Intent::Secure,
        CK_INTENT_IO => Intent::Io,
        other => return Err(invalid(format!("unknown intent {other} (CK_INTENT_MINIMAL … CK_INTENT_IO)"))),
    })
}

fn mode_code(m: Mode) -> ck_mode {
    match m {
        Mode::Default { integrity: true } => CK_MODE_DEFAULT,
        Mode::Default { integrity: false } => CK_MODE_DEFAULT_NO_INTEGRITY,
        Mode::Interop => CK_MODE_INTEROP,
    }
}

/// `CK_TTL_DEFAULT` → `None`, `CK_TTL_NEVER` → never, seconds otherwise.
fn ttl_of(secs: i64) -> Result<Option<Ttl>> {
    match secs {
        CK_TTL_DEFAULT => Ok(None),
        CK_TTL_NEVER => Ok(Some(Ttl::Never)),
        s if s > 0 => Ttl::from_secs(s).map(Some),
        s => Err(Error::new(
            ErrorKind::InvalidTtl,
            format!("ttl_secs {s}: use seconds > 0, CK_TTL_DEFAULT (0) or CK_TTL_NEVER (-1)"),
        )),
    }
}

fn config_for(intent: Intent) -> ck_engine_config {
    let c = EngineConfig::for_intent(intent);
    let lock = c.lock.unwrap_or_default();
    let l1 = c.l1.clone().unwrap_or_else(|| cachekit::l1::L1Config::new(cachekit::l1::DEFAULT_BUDGET));
    ck_engine_config {
        intent: intent_code(intent),
        ttl_secs: match c.ttl {
            None => CK_TTL_DEFAULT,
            Some(Ttl::Never) => CK_TTL_NEVER,
            Some(t) => t.secs().map_or(CK_TTL_DEFAULT, |s| i64::try_from(s).unwrap_or(i64::MAX)),
        },
        mode: mode_code(c.mode),
        l1_enabled: c.l1.is_some(),
        l1_budget_bytes: l1.budget_bytes,
        l1_max_entry_bytes: l1.max_entry_bytes.unwrap_or(0),
        l1_shards: l1.shards,
        breaker: (&c.breaker).into(),
        limiter: (&c.limiter).into(),
        timeout: (&c.timeout).into(),
        follower_wait_ms: c.single_flight.follower_wait_ms(),
        lock_enabled: c.lock.is_some(),
        lock_lease_ms: lock.lease_ms(),
        lock_retry_ms: lock.retry_ms(),
        lock_wait_ms: lock.wait_ms(),
        ttl_refresh_enabled: c.ttl_refresh.is_some(),
        ttl_refresh_threshold: c.ttl_refresh.unwrap_or_default().threshold(),
        early_refresh_enabled: c.early_refresh.is_some(),
        early_refresh_beta: c.early_refresh.unwrap_or_default().beta(),
        stale_while_revalidate_secs: c.stale_while_revalidate.unwrap_or(0),
        max_value_bytes: c.max_value_bytes,
        delete_unreadable: c.delete_unreadable,
        fail_closed: c.fail_closed,
        tag_prefix: std::ptr::null(),
    }
}

/// The core configuration a C configuration describes.
///
/// # Safety
/// `c.tag_prefix` is NULL or NUL-terminated.
unsafe fn engine_config(c: &ck_engine_config) -> Result<EngineConfig> {
    let intent = intent_of(c.intent)?;
    // SAFETY: forwarded contract.
    let tag_prefix = unsafe { opt_text(c.tag_prefix, "tag_prefix") }?;
    Ok(EngineConfig {
        intent,
        ttl: ttl_of(c.ttl_secs)?,
        mode: mode_of(c.mode)?,
        l1: c.l1_enabled.then(|| l1_config(c.l1_budget_bytes, c.l1_max_entry_bytes, c.l1_shards)),
        breaker: (&c.breaker).into(),
        limiter: (&c.limiter).into(),
        timeout: (&c.timeout).try_into()?,
        single_flight: match c.follower_wait_ms {
            0 => SingleFlightConfig::default(),
            ms => SingleFlightConfig::new(ms)?,
        },
        lock: if c.lock_enabled {
            Some(LockConfig::new(c.lock_lease_ms, c.lock_retry_ms, c.lock_wait_ms)?)
        } else {
            None
        },
        ttl_refresh: if c.ttl_refresh_enabled { Some(TtlRefresh::new(c.ttl_refresh_threshold)?) } else { None },
        early_refresh: if c.early_refresh_enabled { Some(XFetch::new(c.early_refresh_beta)?) } else { None },
        stale_while_revalidate: (c.stale_while_revalidate_secs > 0).then_some(c.stale_while_revalidate_secs),
        max_value_bytes: if c.max_value_bytes == 0 { DEFAULT_MAX_VALUE_BYTES } else { c.max_value_bytes },
        delete_unreadable: c.delete_unreadable,
        fail_closed: c.fail_closed,
        tag_prefix: tag_prefix.unwrap_or("cachekit:tag:").to_owned(),
        // C callers get every hit's value as MessagePack (`Outcome::Hit`), never JSON text.
        json_hits: false,
    })
}

/// One cache's engine. Opaque: create it with `ck_engine_new`, release it with
/// `ck_engine_free`. Thread-safe: every `ck_engine_*` call may run on one engine from many
/// threads at once (each call gets its own `ck_op`). Each op holds a reference to the
/// engine, so the engine lives until its handle and all its ops are freed.
pub struct ck_engine {
    pub(crate) engine: Arc<Engine>,
}

/// cachekit-py's defaults for the `production` intent: integrity on, 100 MiB L1, breaker
/// 5 failures / 60 s / 30 s open / 3 probes, backpressure 100 / 1000 / 100 ms, fill lock
/// 30 s lease / 100 ms retry / 5 s wait, no TTL refresh on hit, no early refresh.
/// Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ck_engine_config_default() -> ck_engine_config {
    config_for(Intent::Production)
}

/// Fills `*out` with the defaults of the intent preset called `intent` (`"minimal"`,
/// `"production"`, `"secure"`, `"io"`; exact, lowercase).
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL, unknown name); `CK_INVALID_STRING`.
/// On failure `*out` holds `ck_engine_config_default()`.
/// Thread safety: safe from any thread.
///
/// # Safety
/// `intent` is NULL or NUL-terminated; `out` is NULL or a writable `ck_engine_config`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_engine_config_for_intent(intent: *const c_char, out: *mut ck_engine_config) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, config_for(Intent::Production), "out") }?;
        // SAFETY: forwarded contract.
        let intent = Intent::from_name(unsafe { text(intent, "intent") }?)?;
        // SAFETY: checked writable above.
        unsafe { *out = config_for(intent) };
        Ok(())
    })
}

/// Creates an engine from `config` (NULL = `ck_engine_config_default()`), encrypting
/// entries when `keyring` is not NULL.
///
/// The keyring is **not** taken over and not kept: the engine builds its own keyring from a
/// copy of the key material (current and previous keys, tenant) with a fresh random nonce
/// sequence, so the caller still owns `keyring` and may free it right after this call.
/// Keys added to `keyring` later do not reach the engine.
///
/// Result codes: `CK_OK`; `CK_ENCRYPTION_REQUIRED` (the `secure` intent without a
/// keyring); `CK_INVALID_ARGUMENT` (NULL `out`; an unknown intent or mode; a breaker,
/// limiter, timeout, L1, lock, TTL-refresh or early-refresh setting out of range);
/// `CK_INVALID_TTL`; `CK_INVALID_STRING` (`tag_prefix`); `CK_RANDOM_UNAVAILABLE`.
/// Ownership: on success `*out` is a new handle the caller owns: release it with
/// `ck_engine_free`. On failure `*out` is NULL.
/// Thread safety: safe from any thread.
///
/// # Safety
/// `config` is NULL or a readable `ck_engine_config` whose `tag_prefix` is NULL or
/// NUL-terminated; `keyring` is NULL or a live keyring; `out` is NULL or a writable
/// `ck_engine *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_engine_new(
    config: *const ck_engine_config,
    keyring: *const ck_keyring,
    out: *mut *mut ck_engine,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, std::ptr::null_mut(), "out") }?;
        // SAFETY: NULL or readable per the caller.
        let config = match unsafe { config.as_ref() } {
            // SAFETY: forwarded contract.
            Some(c) => unsafe { engine_config(c) }?,
            None => EngineConfig::default(),
        };
        let ring = if keyring.is_null() {
            None
        } else {
            // SAFETY: forwarded contract.
            Some(unsafe { keyring_ref(keyring) }?.fresh_ring()?)
        };
        let engine = Arc::new(Engine::new(config, ring)?);
        // SAFETY: `out` was checked writable above.
        unsafe { *out = register(Box::new(ck_engine { engine })) };
        Ok(())
    })
}

/// Releases the engine handle. Ops still alive keep the engine itself alive (and keep
/// working) until they are freed. NULL, an already freed handle and a pointer that is not
/// a live `ck_engine` are ignored.
///
/// Thread safety: no other call may be using this handle (ops of the engine may).
///
/// # Safety
/// `engine` is NULL or a pointer previously returned by `ck_engine_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_engine_free(engine: *mut ck_engine) {
    // SAFETY: forwarded contract; only a live handle is dropped.
    unsafe { free(engine) }
}

/// A request: the full Redis key and how its entry is made. A zeroed struct with `key` set
/// is a valid request (mode, namespace, TTL and tags defaulted). Read only during the call.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ck_request {
    /// The full key in Redis (default-mode or interop key, every prefix included). Required.
    pub key: *const c_char,
    /// The entry form: `CK_MODE_*`, or 0 for the engine's.
    pub mode: ck_mode,
    /// Namespace the L1 indexes the entry under, for namespace invalidation (NULL = none).
    pub ns: *const c_char,
    /// Expiry of writes: `CK_TTL_DEFAULT` (the engine's), `CK_TTL_NEVER`, or seconds > 0.
    pub ttl_secs: i64,
    /// Tags for invalidation (writes only): `tags_len` non-empty strings (NULL with 0 = none).
    pub tags: *const *const c_char,
    /// Number of tags, at most `CK_L1_MAX_TAGS`.
    pub tags_len: usize,
}

/// # Safety
/// `req` is NULL or a readable `ck_request` whose pointers follow its field contracts.
unsafe fn request(req: *const ck_request) -> Result<Request> {
    // SAFETY: NULL or readable per the caller.
    let r = unsafe { req.as_ref() }.ok_or_else(|| invalid("request is NULL"))?;
    // SAFETY: forwarded contract.
    let (key, ns, tags) = unsafe {
        (
            text(r.key, "request key")?,
            opt_text(r.ns, "request ns")?,
            text_array(r.tags, r.tags_len, CK_L1_MAX_TAGS, "request tags")?,
        )
    };
    let req = Request {
        key: key.to_owned(),
        mode: if r.mode == 0 { None } else { Some(mode_of(r.mode)?) },
        namespace: ns.map(str::to_owned),
        ttl: ttl_of(r.ttl_secs)?,
        tags: tags.into_iter().map(str::to_owned).collect(),
    };
    req.check()?;
    Ok(req)
}

/// The common body of the calls that start an op.
///
/// # Safety
/// `engine` is NULL or live; `op` is NULL or a writable `ck_op *`; `step` is NULL or a
/// writable `ck_step`.
unsafe fn begin(
    engine: *const ck_engine,
    now_ms: u64,
    op: *mut *mut ck_op,
    step: *mut ck_step,
    f: impl FnOnce(&Engine) -> Result<(cachekit::engine::Op, cachekit::engine::Step)>,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(op, std::ptr::null_mut(), "op") }?;
        // SAFETY: forwarded contract.
        unsafe { write_out(step, ck_step::empty(), "step") }?;
        // SAFETY: forwarded contract.
        let e = unsafe { handle(engine, "engine") }?;
        let started = f(&e.engine)?;
        let (h, s) = start(&e.engine, now_ms, started);
        // SAFETY: both checked writable above.
        unsafe {
            *op = h;
            *step = s;
        }
        Ok(())
    })
}

/// Starts a **get** of `req->key` at `now_ms`: the L1, then Redis; ends with
/// `CK_OUTCOME_HIT` or `CK_OUTCOME_MISS` (unreadable entries and an unreachable Redis are
/// misses, counted in the metrics).
///
/// Every op-starting call (`ck_engine_get`, `_set`, `_get_or_compute`, `_refresh`,
/// `_delete`, `_invalidate`) works the same way: on `CK_OK`, `*op` is a new op the caller
/// owns (release it with `ck_op_free`) and `*step` its first step (its pointers borrowed
/// from the op until the next call on it, except `outcome.value`, which is yours: free it
/// with `ck_buf_free`). Drive the op with `ck_op_on_reply`, `ck_op_on_computed` and
/// `ck_op_resume` until a step is `CK_ACTION_DONE`. On failure `*op` is NULL, `*step` is
/// empty and nothing started.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `engine`, `req`, `req->key`, `op` or
/// `step`; an unknown mode; NULL tags with a length, a NULL or empty tag, more than
/// `CK_L1_MAX_TAGS`); `CK_INVALID_STRING`; `CK_INVALID_TTL`.
/// Thread safety: safe concurrently on the same engine.
///
/// # Safety
/// `engine` is NULL or live; `req` is NULL or a readable `ck_request` (its strings
/// NUL-terminated, `tags` holding `tags_len` pointers); `op` is NULL or a writable
/// `ck_op *`; `step` is NULL or a writable `ck_step`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_engine_get(
    engine: *const ck_engine,
    req: *const ck_request,
    now_ms: u64,
    op: *mut *mut ck_op,
    step: *mut ck_step,
) -> ck_result {
    // SAFETY: forwarded contract.
    unsafe { begin(engine, now_ms, op, step, |e| Ok(e.get(request(req)?, now_ms))) }
}

/// Starts a **set** of `value_msgpack` (`value_len` bytes: one MessagePack document,
/// decoded under the decode bounds as `ck_entry_encode` does) under `req->key`: encodes the
/// entry now, stores it in the L1, writes it to Redis (`SET … EX ttl`) and adds the key to
/// its tag sets; ends with `CK_OUTCOME_STORED` (`CK_OUTCOME_FLAG_REDIS` when Redis took
/// it). A value the entry encoder refuses (e.g. a set, NaN in interop mode) ends at once
/// with `CK_OUTCOME_FAILED` and the encoder's code.
///
/// Result codes: as `ck_engine_get`, plus the document's: `CK_MALFORMED_MSGPACK`,
/// `CK_DECODE_BOUNDS`, `CK_TRAILING_BYTES`, `CK_INVALID_TEMPORAL`, `CK_VALUE_TOO_LARGE`.
/// Ownership and thread safety: as `ck_engine_get`; the value is copied.
///
/// # Safety
/// As `ck_engine_get`, plus `value_msgpack` points to `value_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_engine_set(
    engine: *const ck_engine,
    req: *const ck_request,
    value_msgpack: *const u8,
    value_len: usize,
    now_ms: u64,
    op: *mut *mut ck_op,
    step: *mut ck_step,
) -> ck_result {
    // SAFETY: forwarded contract.
    unsafe {
        begin(engine, now_ms, op, step, |e| {
            let r = request(req)?;
            let value = from_msgpack(bytes(value_msgpack, value_len, "value_msgpack")?)?;
            Ok(e.set(r, &value, now_ms))
        })
    }
}

/// Starts a **get_or_compute**: the L1, the in-process single flight (one computation per
/// key; other callers sleep on a token and get `CK_SOURCE_SHARED`), Redis, the fill lock,
/// then `CK_ACTION_COMPUTE` and the write. Ends with `CK_OUTCOME_HIT` or
/// `CK_OUTCOME_COMPUTED`; cache-layer failures never reach the caller (the computation
/// still runs). A hit may carry `CK_OUTCOME_FLAG_REFRESH_AHEAD` (early refresh on).
///
/// Result codes, ownership, thread safety: as `ck_engine_get`.
///
/// # Safety
/// As `ck_engine_get`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_engine_get_or_compute(
    engine: *const ck_engine,
    req: *const ck_request,
    now_ms: u64,
    op: *mut *mut ck_op,
    step: *mut ck_step,
) -> ck_result {
    // SAFETY: forwarded contract.
    unsafe { begin(engine, now_ms, op, step, |e| Ok(e.get_or_compute(request(req)?, now_ms))) }
}

/// Starts a background **refresh** of a key whose hit carried
/// `CK_OUTCOME_FLAG_REFRESH_AHEAD`: leads the key's single flight only if nobody computes it
/// already, takes the fill lock with one attempt, then computes and writes. Ends with
/// `CK_OUTCOME_COMPUTED`, or `CK_OUTCOME_MISS` when another caller refreshes.
///
/// Result codes, ownership, thread safety: as `ck_engine_get`.
///
/// # Safety
/// As `ck_engine_get`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_engine_refresh(
    engine: *const ck_engine,
    req: *const ck_request,
    now_ms: u64,
    op: *mut *mut ck_op,
    step: *mut ck_step,
) -> ck_result {
    // SAFETY: forwarded contract.
    unsafe { begin(engine, now_ms, op, step, |e| Ok(e.refresh(request(req)?, now_ms))) }
}

/// Starts a **delete** of `req->key` (the L1 now, then `DEL` in Redis). Ends with
/// `CK_OUTCOME_DELETED`, or `CK_OUTCOME_FAILED` (`CK_BACKEND`, `CK_TIMEOUT`,
/// `CK_CIRCUIT_OPEN`, `CK_OVERLOADED`) when Redis could not be reached.
///
/// Result codes, ownership, thread safety: as `ck_engine_get`.
///
/// # Safety
/// As `ck_engine_get`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_engine_delete(
    engine: *const ck_engine,
    req: *const ck_request,
    now_ms: u64,
    op: *mut *mut ck_op,
    step: *mut ck_step,
) -> ck_result {
    // SAFETY: forwarded contract.
    unsafe { begin(engine, now_ms, op, step, |e| Ok(e.delete(request(req)?, now_ms))) }
}

/// Starts an **invalidation** (the L1 now, then Redis) of one key (`CK_INVALIDATE_KEY`),
/// a namespace (`CK_INVALIDATE_NAMESPACE`; `mode` picks the key family, 0 = the engine's
/// mode) or a tag (`CK_INVALIDATE_TAG`: `SMEMBERS` of the tag set, then `DEL` of its keys
/// and the set). Ends with `CK_OUTCOME_INVALIDATED`, or `CK_OUTCOME_FAILED` as
/// `ck_engine_delete`.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `engine`, `target`, `op` or `step`;
/// unknown `kind` or `mode`); `CK_INVALID_STRING`.
/// Ownership, thread safety: as `ck_engine_get`.
///
/// # Safety
/// `engine` is NULL or live; `target` is NULL or NUL-terminated; `op` and `step` as
/// `ck_engine_get`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_engine_invalidate(
    engine: *const ck_engine,
    kind: ck_invalidate_kind,
    target: *const c_char,
    mode: ck_mode,
    now_ms: u64,
    op: *mut *mut ck_op,
    step: *mut ck_step,
) -> ck_result {
    // SAFETY: forwarded contract.
    unsafe {
        begin(engine, now_ms, op, step, |e| {
            let t = text(target, "target")?.to_owned();
            let mode = if mode == 0 { None } else { Some(mode_of(mode)?) };
            let what = match kind {
                CK_INVALIDATE_KEY => Invalidate::Key(t),
                CK_INVALIDATE_NAMESPACE => Invalidate::Namespace { name: t, mode },
                CK_INVALIDATE_TAG => Invalidate::Tag(t),
                other => {
                    return Err(invalid(format!(
                        "unknown invalidate kind {other} (CK_INVALIDATE_KEY, _NAMESPACE, _TAG)"
                    )));
                }
            };
            Ok(e.invalidate(what, now_ms))
        })
    }
}

/// Writes the timeout to apply to the next command at `now_ms` to `*out_ms` (adaptive: P99
/// of recent replies × 2, clamped to the configured bounds). A command that does not
/// answer in time is reported as a `CK_REPLY_TIMEOUT` reply.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `engine` or `out_ms`).
/// Thread safety: safe concurrently on the same engine.
///
/// # Safety
/// `engine` is NULL or live; `out_ms` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_engine_command_timeout(
    engine: *const ck_engine,
    now_ms: u64,
    out_ms: *mut u64,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out_ms, 0, "out_ms") }?;
        // SAFETY: forwarded contract.
        let t = unsafe { handle(engine, "engine") }?.engine.command_timeout(now_ms);
        // SAFETY: checked writable above.
        unsafe { *out_ms = t };
        Ok(())
    })
}

/// Fills `*out` with the engine's L1 counters (all zero, `budget` 0, when its L1 is off).
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `engine` or `out`).
/// Thread safety: safe concurrently on the same engine.
///
/// # Safety
/// `engine` is NULL or live; `out` is NULL or a writable `ck_l1_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_engine_get_l1_stats(engine: *const ck_engine, out: *mut ck_l1_stats) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, ck_l1_stats::default(), "out") }?;
        // SAFETY: forwarded contract.
        let e = unsafe { handle(engine, "engine") }?;
        if let Some(l1) = e.engine.l1() {
            // SAFETY: checked writable above.
            unsafe { *out = l1.stats().into() };
        }
        Ok(())
    })
}

/// Fills `*out` with a view of the engine's circuit breaker at `now_ms`.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `engine` or `out`).
/// Thread safety: safe concurrently on the same engine.
///
/// # Safety
/// `engine` is NULL or live; `out` is NULL or a writable `ck_breaker_snapshot`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_engine_get_breaker_snapshot(
    engine: *const ck_engine,
    now_ms: u64,
    out: *mut ck_breaker_snapshot,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, ck_breaker_snapshot::default(), "out") }?;
        // SAFETY: forwarded contract.
        let e = unsafe { handle(engine, "engine") }?;
        let s = snapshot_of(&e.engine.breaker().snapshot(now_ms), 0);
        // SAFETY: checked writable above.
        unsafe { *out = s };
        Ok(())
    })
}

/// Fills `*out` with the engine's backpressure counters and gauges.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `engine` or `out`).
/// Thread safety: safe concurrently on the same engine.
///
/// # Safety
/// `engine` is NULL or live; `out` is NULL or a writable `ck_limiter_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_engine_get_limiter_stats(
    engine: *const ck_engine,
    out: *mut ck_limiter_stats,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, ck_limiter_stats::default(), "out") }?;
        // SAFETY: forwarded contract.
        let s = unsafe { handle(engine, "engine") }?.engine.limiter().stats();
        // SAFETY: checked writable above.
        unsafe { *out = s.into() };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::{CK_ENCRYPTION_REQUIRED, CK_INVALID_ARGUMENT, CK_INVALID_TTL, CK_OK};

    #[test]
    fn default_config_round_trips_to_the_core_s() {
        for intent in Intent::ALL {
            let c = config_for(intent);
            let back = unsafe { engine_config(&c) }.unwrap();
            let want = EngineConfig::for_intent(intent);
            assert_eq!(format!("{back:?}"), format!("{want:?}"), "{intent}");
        }
        assert_eq!(ttl_of(-2).unwrap_err().kind(), ErrorKind::InvalidTtl);
        assert_eq!(ttl_of(CK_TTL_NEVER).unwrap(), Some(Ttl::Never));
    }

    #[test]
    fn new_checks_its_configuration() {
        let mut e = std::ptr::null_mut();
        unsafe {
            let mut c = ck_engine_config_default();
            assert_eq!(ck_engine_config_for_intent(c"secure".as_ptr(), &mut c), CK_OK);
            assert_eq!(ck_engine_new(&c, std::ptr::null(), &mut e), CK_ENCRYPTION_REQUIRED);
            assert!(e.is_null());
            assert_eq!(ck_engine_config_for_intent(c"dev".as_ptr(), &mut c), CK_INVALID_ARGUMENT);
            c.ttl_secs = -5;
            assert_eq!(ck_engine_new(&c, std::ptr::null(), &mut e), CK_INVALID_TTL);
            c = ck_engine_config_default();
            c.lock_retry_ms = 0;
            assert_eq!(ck_engine_new(&c, std::ptr::null(), &mut e), CK_INVALID_ARGUMENT);
            assert_eq!(ck_engine_new(std::ptr::null(), std::ptr::null(), &mut e), CK_OK);
            ck_engine_free(e);
            ck_engine_free(e);
        }
    }
}
