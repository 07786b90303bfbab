//! The `ck_breaker` handle (closed → open → half-open → closed, cachekit-py's defaults) and
//! the classification of Redis errors that decides which failures count.

use std::collections::HashMap;
use std::ffi::{CStr, c_char};
use std::sync::Mutex;

use cachekit::breaker::{
    Breaker, BreakerConfig, BreakerSnapshot, BreakerState, ErrorClass, Outcome, Permit, classify_redis_error,
};

use crate::boundary::{ck_result, guard, handle, invalid, write_out};
use crate::handles::{free, register};

/// A breaker state: one of the `CK_BREAKER_*` constants (cachekit-py's `CircuitState` codes).
pub type ck_breaker_state = u32;
/// Closed: every call is admitted and counted failures accumulate.
pub const CK_BREAKER_CLOSED: ck_breaker_state = 0;
/// Open: calls are refused (`CK_CIRCUIT_OPEN`) until the cool-down has passed.
pub const CK_BREAKER_OPEN: ck_breaker_state = 1;
/// Half-open: a few probe calls test whether Redis is back.
pub const CK_BREAKER_HALF_OPEN: ck_breaker_state = 2;

/// How an admitted call ended, for `ck_breaker_record`: one of the `CK_CALL_*` constants.
pub type ck_call_outcome = u32;
/// Redis answered (whatever the answer meant for the cache).
pub const CK_CALL_SUCCESS: ck_call_outcome = 1;
/// A counted failure: a transient, timeout or unknown error (see `ck_classify_redis_error`).
pub const CK_CALL_FAILURE: ck_call_outcome = 2;
/// The call ended without saying anything about Redis health (a permanent, auth or
/// application error, or a cancelled call). A half-open probe's slot is handed back.
pub const CK_CALL_NEUTRAL: ck_call_outcome = 3;

/// What a Redis error says about Redis: one of the `CK_ERROR_CLASS_*` constants (the core's
/// stable codes).
pub type ck_error_class = u32;
/// Unreachable or temporarily unable to serve (connection refused/reset, `LOADING`, `BUSY`,
/// `READONLY`, `MASTERDOWN`, `CLUSTERDOWN`, `TRYAGAIN`, max clients). Counts.
pub const CK_ERROR_CLASS_TRANSIENT: ck_error_class = 1;
/// The call exceeded its deadline. Counts.
pub const CK_ERROR_CLASS_TIMEOUT: ck_error_class = 2;
/// Redis refused this request as sent (`WRONGTYPE`, `ERR …`, `NOSCRIPT`, `MOVED`, `OOM`…). Does not count.
pub const CK_ERROR_CLASS_PERMANENT: ck_error_class = 3;
/// Credentials or permissions (`NOAUTH`, `WRONGPASS`, `NOPERM`). Does not count.
pub const CK_ERROR_CLASS_AUTH: ck_error_class = 4;
/// Not a Redis problem (the application's code, serialization, a usage error). Does not count.
pub const CK_ERROR_CLASS_APPLICATION: ck_error_class = 5;
/// Unrecognised. Counts (conservative, as cachekit-py).
pub const CK_ERROR_CLASS_UNKNOWN: ck_error_class = 6;

/// Tuning of a circuit breaker. Start from `ck_breaker_config_default()` and change fields.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ck_breaker_config {
    /// Counted failures within `failure_window_ms` that open a closed breaker (default 5).
    pub failure_threshold: u32,
    /// Length of the rolling failure window in ms (default 60000).
    pub failure_window_ms: u64,
    /// How long the breaker stays open before it lets probes through, in ms (default 30000).
    pub open_duration_ms: u64,
    /// Probe slots per half-open cycle (default 3); at least `success_threshold`.
    pub half_open_probes: u32,
    /// Probe successes of one cycle that close the breaker (default 3).
    pub success_threshold: u32,
}

impl From<&BreakerConfig> for ck_breaker_config {
    fn from(c: &BreakerConfig) -> ck_breaker_config {
        ck_breaker_config {
            failure_threshold: c.failure_threshold,
            failure_window_ms: c.failure_window,
            open_duration_ms: c.open_duration,
            half_open_probes: c.half_open_probes,
            success_threshold: c.success_threshold,
        }
    }
}

impl From<&ck_breaker_config> for BreakerConfig {
    fn from(c: &ck_breaker_config) -> BreakerConfig {
        BreakerConfig {
            failure_threshold: c.failure_threshold,
            failure_window: c.failure_window_ms,
            open_duration: c.open_duration_ms,
            half_open_probes: c.half_open_probes,
            success_threshold: c.success_threshold,
        }
    }
}

/// A point-in-time view of a breaker, for health endpoints (`ck_breaker_get_snapshot`,
/// `ck_engine_get_breaker_snapshot`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ck_breaker_snapshot {
    /// The current state (`CK_BREAKER_*`).
    pub state: ck_breaker_state,
    /// Counted failures still inside the rolling window.
    pub failures_in_window: u32,
    /// While open: ms until the next call is let through as a probe (0 = the next call).
    /// 0 in the other states.
    pub time_until_half_open_ms: u64,
    /// Probes of the current half-open cycle admitted and not yet recorded.
    pub probes_in_flight: u32,
    /// Probe slots of the current half-open cycle in use (in flight or succeeded).
    pub probes_admitted: u32,
    /// Probe successes of the current half-open cycle.
    pub probe_successes: u32,
    /// The number of the latest half-open cycle (0 before the first).
    pub cycle: u64,
    /// Closed → open transitions.
    pub opened: u64,
    /// Open → half-open transitions.
    pub half_opened: u64,
    /// Half-open → closed transitions.
    pub closed: u64,
    /// Half-open → open transitions (a probe failed).
    pub reopened: u64,
    /// Half-open cycles restarted because their probes never reported back.
    pub probe_cycles_restarted: u64,
    /// `ck_breaker_reset` calls.
    pub resets: u64,
    /// Calls refused with `CK_CIRCUIT_OPEN`.
    pub rejected: u64,
    /// Failures counted.
    pub failures: u64,
    /// Permits issued by `ck_breaker_try_acquire` and not recorded yet (a growing number
    /// means a caller forgets `ck_breaker_record`). Always 0 for an engine's breaker, whose
    /// permits the engine holds itself.
    pub permits_outstanding: u64,
}

pub(crate) fn state_code(s: BreakerState) -> ck_breaker_state {
    ck_breaker_state::from(s.code())
}

pub(crate) fn snapshot_of(s: &BreakerSnapshot, outstanding: usize) -> ck_breaker_snapshot {
    let c = &s.counters;
    ck_breaker_snapshot {
        state: state_code(s.state),
        failures_in_window: s.failures_in_window,
        time_until_half_open_ms: s.time_until_half_open.unwrap_or(0),
        probes_in_flight: s.probes_in_flight,
        probes_admitted: s.probes_admitted,
        probe_successes: s.probe_successes,
        cycle: s.cycle,
        opened: c.opened,
        half_opened: c.half_opened,
        closed: c.closed,
        reopened: c.reopened,
        probe_cycles_restarted: c.probe_cycles_restarted,
        resets: c.resets,
        rejected: c.rejected,
        failures: c.failures,
        permits_outstanding: outstanding as u64,
    }
}

/// A circuit breaker guarding calls to Redis. Opaque: create it with `ck_breaker_new`,
/// release it with `ck_breaker_free`. Thread-safe: every function except `ck_breaker_free`
/// may be called on one `ck_breaker` from many threads at once.
///
/// Permits are numbered by this handle: each `ck_breaker_try_acquire` issues a new
/// non-zero number that `ck_breaker_record` accepts exactly once, so a permit recorded
/// twice, never issued, or issued by another breaker is refused (`CK_INVALID_ARGUMENT`)
/// instead of being counted.
pub struct ck_breaker {
    breaker: Breaker,
    /// Issued, not yet recorded permits by number.
    permits: Mutex<Permits>,
}

struct Permits {
    next: u64,
    live: HashMap<u64, Permit>,
}

impl ck_breaker {
    fn permits(&self) -> std::sync::MutexGuard<'_, Permits> {
        // Every update of the ledger is complete before anything can panic.
        self.permits.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// cachekit-py's breaker tuning: open after 5 failures within 60 s, stay open 30 s, then 3
/// probes, 3 successes close it. Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ck_breaker_config_default() -> ck_breaker_config {
    (&BreakerConfig::default()).into()
}

/// Creates a closed breaker with `config` (NULL = `ck_breaker_config_default()`).
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `out`; a zero threshold, window,
/// duration or success count; fewer probe slots than `success_threshold`).
/// Ownership: `config` is copied. On success `*out` is a new handle the caller owns:
/// release it with `ck_breaker_free`. On failure `*out` is NULL.
/// Thread safety: safe from any thread.
///
/// # Safety
/// `config` is NULL or points to a `ck_breaker_config`; `out` is NULL or a writable
/// `ck_breaker *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_breaker_new(config: *const ck_breaker_config, out: *mut *mut ck_breaker) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, std::ptr::null_mut(), "out") }?;
        // SAFETY: NULL or readable per the caller.
        let config = unsafe { config.as_ref() }.map_or_else(BreakerConfig::default, BreakerConfig::from);
        let breaker = Breaker::new(config)?;
        let permits = Mutex::new(Permits { next: 1, live: HashMap::new() });
        // SAFETY: `out` was checked writable above.
        unsafe { *out = register(Box::new(ck_breaker { breaker, permits })) };
        Ok(())
    })
}

/// Releases a breaker (outstanding permits die with it). NULL, an already freed handle and
/// a pointer that is not a live `ck_breaker` are ignored.
///
/// Thread safety: no other call may be using the handle.
///
/// # Safety
/// `breaker` is NULL or a pointer previously returned by `ck_breaker_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_breaker_free(breaker: *mut ck_breaker) {
    // SAFETY: forwarded contract; only a live handle is dropped.
    unsafe { free(breaker) }
}

/// Asks to make one Redis call at `now_ms`. On `CK_OK`, `*permit` is a non-zero number to
/// hand back with `ck_breaker_record` once the call has ended, exactly once.
///
/// Closed: always a permit. Open: `CK_CIRCUIT_OPEN` until `open_duration_ms` has passed since
/// it opened; then the breaker goes half-open and this call is its first probe. Half-open: a
/// probe permit while the cycle has free slots, else `CK_CIRCUIT_OPEN`.
///
/// Result codes: `CK_OK`; `CK_CIRCUIT_OPEN` (do not call Redis; `*permit` is 0);
/// `CK_INVALID_ARGUMENT` (NULL `breaker` or `permit`).
/// Ownership: a permit never recorded stays in the breaker's ledger (a few dozen bytes)
/// until the breaker is freed, and an unrecorded probe holds its slot until the cycle
/// restarts: record every permit, with `CK_CALL_NEUTRAL` for a cancelled call.
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `breaker` is NULL or live; `permit` is NULL or a writable `uint64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_breaker_try_acquire(
    breaker: *const ck_breaker,
    now_ms: u64,
    permit: *mut u64,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(permit, 0, "permit") }?;
        // SAFETY: forwarded contract.
        let b = unsafe { handle(breaker, "breaker") }?;
        let p = b.breaker.try_acquire(now_ms)?;
        let mut ledger = b.permits();
        let id = ledger.next;
        ledger.next += 1;
        ledger.live.insert(id, p);
        // SAFETY: checked writable above.
        unsafe { *permit = id };
        Ok(())
    })
}

/// Records how the call of `permit` ended (`CK_CALL_SUCCESS`, `CK_CALL_FAILURE` or
/// `CK_CALL_NEUTRAL`) at `now_ms`, and consumes the permit.
///
/// A failure while closed counts in the rolling window and opens the breaker at the
/// threshold; a probe's success counts toward closing it, a probe's failure re-opens it;
/// outcomes of calls admitted in an earlier cycle change nothing.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `breaker`; an unknown outcome; a
/// permit this breaker did not issue or already recorded: nothing is counted).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `breaker` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_breaker_record(
    breaker: *const ck_breaker,
    permit: u64,
    outcome: ck_call_outcome,
    now_ms: u64,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let b = unsafe { handle(breaker, "breaker") }?;
        let outcome = match outcome {
            CK_CALL_SUCCESS => Outcome::Success,
            CK_CALL_FAILURE => Outcome::Failure,
            CK_CALL_NEUTRAL => Outcome::Neutral,
            other => {
                return Err(invalid(format!("unknown call outcome {other} (CK_CALL_SUCCESS, _FAILURE, _NEUTRAL)")));
            }
        };
        let p = b.permits().live.remove(&permit).ok_or_else(|| {
            invalid(format!("permit {permit} was not issued by this breaker or was already recorded"))
        })?;
        b.breaker.record(p, outcome, now_ms);
        Ok(())
    })
}

/// Writes the breaker's current state (`CK_BREAKER_*`) to `*state`. An open breaker whose
/// cool-down has passed still reads open until the next `ck_breaker_try_acquire`.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `breaker` or `state`).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `breaker` is NULL or live; `state` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_breaker_get_state(breaker: *const ck_breaker, state: *mut ck_breaker_state) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(state, CK_BREAKER_CLOSED, "state") }?;
        // SAFETY: forwarded contract.
        let s = unsafe { handle(breaker, "breaker") }?.breaker.state();
        // SAFETY: checked writable above.
        unsafe { *state = state_code(s) };
        Ok(())
    })
}

/// Fills the caller's `*out` with a point-in-time view at `now_ms` (changes no state).
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `breaker` or `out`).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `breaker` is NULL or live; `out` is NULL or a writable `ck_breaker_snapshot`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_breaker_get_snapshot(
    breaker: *const ck_breaker,
    now_ms: u64,
    out: *mut ck_breaker_snapshot,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, ck_breaker_snapshot::default(), "out") }?;
        // SAFETY: forwarded contract.
        let b = unsafe { handle(breaker, "breaker") }?;
        let outstanding = b.permits().live.len();
        let snap = snapshot_of(&b.breaker.snapshot(now_ms), outstanding);
        // SAFETY: checked writable above.
        unsafe { *out = snap };
        Ok(())
    })
}

/// Forces the breaker closed (an operator's manual recovery). Outstanding permits of an
/// earlier half-open cycle stay valid to record but no longer count.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `breaker`).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `breaker` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_breaker_reset(breaker: *const ck_breaker) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { handle(breaker, "breaker") }?.breaker.reset();
        Ok(())
    })
}

fn class_of(code: ck_error_class) -> Option<ErrorClass> {
    u8::try_from(code).ok().and_then(ErrorClass::from_code)
}

/// Classifies the text of a Redis error into `*out` (`CK_ERROR_CLASS_*`): a server error
/// reply (`WRONGTYPE Operation…`, with or without the RESP `-` or a client's prefix, e.g.
/// hiredis' `reply->str`) or a client/transport message (`Connection refused`,
/// `Connection reset by peer`, `Resource temporarily unavailable`, hiredis'
/// `context->errstr`). Invalid UTF-8 is read with replacement characters (error text comes
/// from the network; classification never fails on it).
///
/// Use `ck_error_class_counts_as_failure` to turn the class into `CK_CALL_FAILURE` or
/// `CK_CALL_NEUTRAL` for `ck_breaker_record`. The engine classifies its replies itself.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `message` or `out`).
/// Thread safety: safe from any thread.
///
/// # Safety
/// `message` is NULL or NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_classify_redis_error(message: *const c_char, out: *mut ck_error_class) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, CK_ERROR_CLASS_UNKNOWN, "out") }?;
        if message.is_null() {
            return Err(invalid("message is NULL"));
        }
        // SAFETY: non-NULL and NUL-terminated per the caller.
        let text = String::from_utf8_lossy(unsafe { CStr::from_ptr(message) }.to_bytes());
        let class = classify_redis_error(&text);
        // SAFETY: checked writable above.
        unsafe { *out = ck_error_class::from(class.code()) };
        Ok(())
    })
}

/// True when an error of `error_class` counts toward opening the breaker (transient, timeout,
/// unknown); false for the other classes and for unknown numbers.
/// Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ck_error_class_counts_as_failure(error_class: ck_error_class) -> bool {
    class_of(error_class).is_some_and(ErrorClass::counts_as_failure)
}

/// The stable name of an error class (`"transient"`, `"timeout"`, `"permanent"`,
/// `"authentication"`, `"application"`, `"unknown"`); `"invalid"` for a number that is no class.
/// Ownership: static; never free it. Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ck_error_class_name(error_class: ck_error_class) -> *const c_char {
    match class_of(error_class) {
        Some(ErrorClass::Transient) => c"transient",
        Some(ErrorClass::Timeout) => c"timeout",
        Some(ErrorClass::Permanent) => c"permanent",
        Some(ErrorClass::Auth) => c"authentication",
        Some(ErrorClass::Application) => c"application",
        Some(ErrorClass::Unknown) => c"unknown",
        None => c"invalid",
    }
    .as_ptr()
}

/// The stable name of a breaker state (`"closed"`, `"open"`, `"half_open"`); `"invalid"`
/// for a number that is no state. Ownership: static. Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ck_breaker_state_name(state: ck_breaker_state) -> *const c_char {
    match u8::try_from(state).ok().and_then(BreakerState::from_code) {
        Some(BreakerState::Closed) => c"closed",
        Some(BreakerState::Open) => c"open",
        Some(BreakerState::HalfOpen) => c"half_open",
        None => c"invalid",
    }
    .as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::{CK_CIRCUIT_OPEN, CK_INVALID_ARGUMENT, CK_OK};

    #[test]
    fn names_and_codes_match_the_core() {
        for c in ErrorClass::ALL {
            let name = unsafe { CStr::from_ptr(ck_error_class_name(ck_error_class::from(c.code()))) };
            assert_eq!(name.to_str().unwrap(), c.name());
        }
        for s in BreakerState::ALL {
            let name = unsafe { CStr::from_ptr(ck_breaker_state_name(state_code(s))) };
            assert_eq!(name.to_str().unwrap(), s.name());
        }
        assert_eq!(CK_ERROR_CLASS_UNKNOWN, u32::from(ErrorClass::Unknown.code()));
        assert_eq!(CK_BREAKER_HALF_OPEN, u32::from(BreakerState::HalfOpen.code()));
    }

    #[test]
    fn opens_and_refuses_unknown_permits() {
        let mut b = std::ptr::null_mut();
        let cfg = ck_breaker_config { failure_threshold: 2, ..ck_breaker_config_default() };
        unsafe {
            assert_eq!(ck_breaker_new(&cfg, &mut b), CK_OK);
            for _ in 0..2 {
                let mut p = 0;
                assert_eq!(ck_breaker_try_acquire(b, 0, &mut p), CK_OK);
                assert_eq!(ck_breaker_record(b, p, CK_CALL_FAILURE, 0), CK_OK);
                assert_eq!(ck_breaker_record(b, p, CK_CALL_FAILURE, 0), CK_INVALID_ARGUMENT);
            }
            let mut p = 7;
            assert_eq!(ck_breaker_try_acquire(b, 1, &mut p), CK_CIRCUIT_OPEN);
            assert_eq!(p, 0);
            assert_eq!(ck_breaker_record(b, 0, CK_CALL_SUCCESS, 0), CK_INVALID_ARGUMENT);
            ck_breaker_free(b);
        }
    }
}
