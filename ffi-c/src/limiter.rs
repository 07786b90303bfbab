//! The `ck_limiter` handle: backpressure as a concurrency limiter with a bounded FIFO wait
//! queue (cachekit-py's defaults: 100 in flight, 1000 waiting, 100 ms wait budget).
//!
//! Ticket and waiter numbers are the core's ids plus one, so 0 never names anything and
//! can mean "none" in the out-parameters.

use cachekit::backpressure::{Admission, Limiter, LimiterConfig, LimiterStats, Ticket, Wait, WaiterId};

use crate::boundary::{ck_result, guard, handle, invalid, write_out};
use crate::handles::{free, register};

/// Tuning of a limiter. Start from `ck_limiter_config_default()` and change fields.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ck_limiter_config {
    /// Calls allowed to run at once (default 100; at least 1).
    pub max_in_flight: u32,
    /// Callers allowed to wait for a slot (default 1000; 0 disables queuing).
    pub max_queued: u32,
    /// How long a caller may wait for a slot, in ms (default 100; 0 disables queuing).
    pub max_wait_ms: u64,
}

impl From<&LimiterConfig> for ck_limiter_config {
    fn from(c: &LimiterConfig) -> ck_limiter_config {
        ck_limiter_config { max_in_flight: c.max_in_flight, max_queued: c.max_queued, max_wait_ms: c.max_wait }
    }
}

impl From<&ck_limiter_config> for LimiterConfig {
    fn from(c: &ck_limiter_config) -> LimiterConfig {
        LimiterConfig { max_in_flight: c.max_in_flight, max_queued: c.max_queued, max_wait: c.max_wait_ms }
    }
}

/// What `ck_limiter_admit` / `ck_limiter_poll` decided: one of the `CK_ADMIT_*` constants.
pub type ck_admit = u32;
/// Run now with `ticket`; give it back with `ck_limiter_release` when the call ends.
pub const CK_ADMIT_RUN: ck_admit = 1;
/// Park the caller as `waiter` until a `ck_limiter_release`/`_cancel` names it or until
/// `deadline_ms`, then call `ck_limiter_poll`.
pub const CK_ADMIT_WAIT: ck_admit = 2;

/// An admission decision.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ck_admission {
    /// `CK_ADMIT_RUN` or `CK_ADMIT_WAIT` (0 after a failure).
    pub kind: ck_admit,
    /// `CK_ADMIT_RUN`: the slot's ticket (non-zero).
    pub ticket: u64,
    /// `CK_ADMIT_WAIT`: the caller's name in the queue (non-zero).
    pub waiter: u64,
    /// `CK_ADMIT_WAIT`: when the caller stops waiting.
    pub deadline_ms: u64,
}

/// Counters and gauges of a limiter (`ck_limiter_get_stats`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ck_limiter_stats {
    /// Slots in use (running calls plus slots handed to waiters that have not polled yet).
    pub in_flight: u32,
    /// Callers in the queue.
    pub queued: u32,
    /// The configured maximum in flight.
    pub max_in_flight: u32,
    /// The configured queue cap.
    pub max_queued: u32,
    /// Calls admitted to run at once.
    pub admitted: u64,
    /// Calls that had to queue.
    pub queued_total: u64,
    /// Slots handed from a finished (or cancelled) call to a waiter.
    pub handed_off: u64,
    /// Calls refused because the queue was full.
    pub rejected_queue_full: u64,
    /// Waiters dropped because their deadline passed.
    pub rejected_expired: u64,
    /// Waiters that gave up through `ck_limiter_cancel`.
    pub cancelled: u64,
    /// Releases of tickets the limiter did not know (a caller bug: a ticket released twice).
    pub unknown_releases: u64,
}

impl From<LimiterStats> for ck_limiter_stats {
    fn from(s: LimiterStats) -> ck_limiter_stats {
        ck_limiter_stats {
            in_flight: s.in_flight,
            queued: s.queued,
            max_in_flight: s.max_in_flight,
            max_queued: s.max_queued,
            admitted: s.admitted,
            queued_total: s.queued_total,
            handed_off: s.handed_off,
            rejected_queue_full: s.rejected_queue_full,
            rejected_expired: s.rejected_expired,
            cancelled: s.cancelled,
            unknown_releases: s.unknown_releases,
        }
    }
}

/// A concurrency limiter. Opaque: create it with `ck_limiter_new`, release it with
/// `ck_limiter_free`. Thread-safe: every function except `ck_limiter_free` may be called on
/// one `ck_limiter` from many threads at once.
pub struct ck_limiter {
    limiter: Limiter,
}

/// cachekit-py's backpressure tuning: 100 in flight, 1000 queued, 100 ms wait.
/// Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ck_limiter_config_default() -> ck_limiter_config {
    (&LimiterConfig::default()).into()
}

/// Creates a limiter with `config` (NULL = `ck_limiter_config_default()`).
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `out`, `max_in_flight` 0).
/// Ownership: `config` is copied. On success `*out` is a new handle the caller owns:
/// release it with `ck_limiter_free`. On failure `*out` is NULL.
/// Thread safety: safe from any thread.
///
/// # Safety
/// `config` is NULL or readable; `out` is NULL or a writable `ck_limiter *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_limiter_new(config: *const ck_limiter_config, out: *mut *mut ck_limiter) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, std::ptr::null_mut(), "out") }?;
        // SAFETY: NULL or readable per the caller.
        let config = unsafe { config.as_ref() }.map_or_else(LimiterConfig::default, LimiterConfig::from);
        let limiter = Limiter::new(config)?;
        // SAFETY: `out` was checked writable above.
        unsafe { *out = register(Box::new(ck_limiter { limiter })) };
        Ok(())
    })
}

/// Releases a limiter. NULL, an already freed handle and a pointer that is not a live
/// `ck_limiter` are ignored. Thread safety: no other call may be using the handle.
///
/// # Safety
/// `limiter` is NULL or a pointer previously returned by `ck_limiter_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_limiter_free(limiter: *mut ck_limiter) {
    // SAFETY: forwarded contract; only a live handle is dropped.
    unsafe { free(limiter) }
}

fn waiter_of(c: u64) -> cachekit::Result<WaiterId> {
    match c {
        0 => Err(invalid("waiter 0 names no waiter")),
        n => Ok(WaiterId::from_raw(n - 1)),
    }
}

unsafe fn wake_out(out: *mut u64, w: Option<WaiterId>) {
    if !out.is_null() {
        // SAFETY: non-NULL and writable per the caller.
        unsafe { *out = w.map_or(0, |w| w.get() + 1) };
    }
}

/// Asks to start one call at `now_ms`. `*out` says run now (`CK_ADMIT_RUN` with a ticket)
/// or wait (`CK_ADMIT_WAIT` with a waiter and a deadline). New callers queue behind waiting
/// ones (FIFO hand-off: no starvation).
///
/// Result codes: `CK_OK`; `CK_OVERLOADED` (the queue is full or queuing is disabled: do not
/// make the call); `CK_INVALID_ARGUMENT` (NULL `limiter` or `out`).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or a writable `ck_admission`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_limiter_admit(
    limiter: *const ck_limiter,
    now_ms: u64,
    out: *mut ck_admission,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, ck_admission::default(), "out") }?;
        // SAFETY: forwarded contract.
        let l = unsafe { handle(limiter, "limiter") }?;
        let a = match l.limiter.admit(now_ms) {
            Admission::Run(t) => ck_admission { kind: CK_ADMIT_RUN, ticket: t.into_raw() + 1, ..Default::default() },
            Admission::Queue { waiter, deadline } => {
                ck_admission { kind: CK_ADMIT_WAIT, waiter: waiter.get() + 1, deadline_ms: deadline, ticket: 0 }
            }
            Admission::Reject(e) => return Err(e),
        };
        // SAFETY: checked writable above.
        unsafe { *out = a };
        Ok(())
    })
}

/// Gives back the slot of a finished call. When a caller is waiting, the slot passes to the
/// oldest live waiter and `*wake_waiter` (may be NULL) is its number: wake that caller (it
/// gets `CK_ADMIT_RUN` from `ck_limiter_poll`). Otherwise `*wake_waiter` is 0. A ticket
/// released twice (or never issued) is ignored and counted in `unknown_releases`.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `limiter`, ticket 0).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `limiter` is NULL or live; `wake_waiter` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_limiter_release(
    limiter: *const ck_limiter,
    ticket: u64,
    now_ms: u64,
    wake_waiter: *mut u64,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { wake_out(wake_waiter, None) };
        // SAFETY: forwarded contract.
        let l = unsafe { handle(limiter, "limiter") }?;
        if ticket == 0 {
            return Err(invalid("ticket 0 names no slot"));
        }
        let w = l.limiter.release(Ticket::from_raw(ticket - 1), now_ms);
        // SAFETY: forwarded contract.
        unsafe { wake_out(wake_waiter, w) };
        Ok(())
    })
}

/// Where `waiter` stands at `now_ms`: call it when woken and when the deadline passes.
/// `CK_ADMIT_RUN` (with a ticket): the slot is the caller's. `CK_ADMIT_WAIT`: still queued
/// (a spurious wake-up), park again until `deadline_ms`.
///
/// Result codes: `CK_OK`; `CK_OVERLOADED` (the wait budget is spent, or the waiter is
/// unknown); `CK_INVALID_ARGUMENT` (NULL `limiter` or `out`, waiter 0).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or a writable `ck_admission`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_limiter_poll(
    limiter: *const ck_limiter,
    waiter: u64,
    now_ms: u64,
    out: *mut ck_admission,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, ck_admission::default(), "out") }?;
        // SAFETY: forwarded contract.
        let l = unsafe { handle(limiter, "limiter") }?;
        let a = match l.limiter.poll(waiter_of(waiter)?, now_ms) {
            Wait::Ready(t) => ck_admission { kind: CK_ADMIT_RUN, ticket: t.into_raw() + 1, ..Default::default() },
            Wait::Waiting { deadline } => {
                ck_admission { kind: CK_ADMIT_WAIT, waiter, deadline_ms: deadline, ticket: 0 }
            }
            Wait::Rejected(e) => return Err(e),
        };
        // SAFETY: checked writable above.
        unsafe { *out = a };
        Ok(())
    })
}

/// `waiter` gives up at `now_ms` (its request was aborted). If a slot had already been
/// handed to it, the slot moves on and `*wake_waiter` (may be NULL) names the next caller
/// to wake; otherwise 0. Unknown waiters are ignored.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `limiter`, waiter 0).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `limiter` is NULL or live; `wake_waiter` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_limiter_cancel(
    limiter: *const ck_limiter,
    waiter: u64,
    now_ms: u64,
    wake_waiter: *mut u64,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { wake_out(wake_waiter, None) };
        // SAFETY: forwarded contract.
        let l = unsafe { handle(limiter, "limiter") }?;
        let w = l.limiter.cancel(waiter_of(waiter)?, now_ms);
        // SAFETY: forwarded contract.
        unsafe { wake_out(wake_waiter, w) };
        Ok(())
    })
}

/// Fills the caller's `*out` with the limiter's counters and gauges.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `limiter` or `out`).
/// Thread safety: safe concurrently on the same handle.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or a writable `ck_limiter_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_limiter_get_stats(limiter: *const ck_limiter, out: *mut ck_limiter_stats) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        unsafe { write_out(out, ck_limiter_stats::default(), "out") }?;
        // SAFETY: forwarded contract.
        let s = unsafe { handle(limiter, "limiter") }?.limiter.stats();
        // SAFETY: checked writable above.
        unsafe { *out = s.into() };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::{CK_OK, CK_OVERLOADED};

    #[test]
    fn queues_hands_off_and_rejects() {
        let mut l = std::ptr::null_mut();
        let cfg = ck_limiter_config { max_in_flight: 1, max_queued: 1, max_wait_ms: 10 };
        unsafe {
            assert_eq!(ck_limiter_new(&cfg, &mut l), CK_OK);
            let (mut a, mut b, mut c) = Default::default();
            assert_eq!(ck_limiter_admit(l, 0, &mut a), CK_OK);
            assert_eq!((a.kind, a.ticket), (CK_ADMIT_RUN, 1));
            assert_eq!(ck_limiter_admit(l, 0, &mut b), CK_OK);
            assert_eq!((b.kind, b.deadline_ms), (CK_ADMIT_WAIT, 10));
            assert_eq!(ck_limiter_admit(l, 0, &mut c), CK_OVERLOADED);
            let mut wake = 0;
            assert_eq!(ck_limiter_release(l, a.ticket, 1, &mut wake), CK_OK);
            assert_eq!(wake, b.waiter);
            assert_eq!(ck_limiter_poll(l, b.waiter, 1, &mut c), CK_OK);
            assert_eq!(c.kind, CK_ADMIT_RUN);
            assert_eq!(ck_limiter_release(l, c.ticket, 2, &mut wake), CK_OK);
            assert_eq!(ck_limiter_release(l, c.ticket, 2, &mut wake), CK_OK);
            let mut s = ck_limiter_stats::default();
            assert_eq!(ck_limiter_get_stats(l, &mut s), CK_OK);
            assert_eq!((s.in_flight, s.unknown_releases, s.handed_off), (0, 1, 1));
            ck_limiter_free(l);
        }
    }
}
