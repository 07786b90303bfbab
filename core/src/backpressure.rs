//! Backpressure: a concurrency limiter with a bounded FIFO wait queue (SPEC §9).
//!
//! Defaults are cachekit-py 0.24.1's: at most 100 Redis calls in flight, at most 1000 callers
//! waiting for a slot, each waiting at most 100 ms. The core makes every decision; the binding
//! only parks a caller (a promise, a condition variable) until the core names it.
//!
//! The protocol, for one call:
//!
//! 1. [`Limiter::admit`] → [`Admission::Run`] (run now with the [`Ticket`]),
//!    [`Admission::Queue`] (park until woken or until `deadline`) or [`Admission::Reject`]
//!    ([`ErrorKind::Overloaded`]: the queue is full).
//! 2. A parked caller, when woken or when its deadline passes, calls [`Limiter::poll`]:
//!    [`Wait::Ready`] (the slot is its own: run), [`Wait::Waiting`] (a spurious wake-up: park
//!    again) or [`Wait::Rejected`] (the wait budget is spent).
//! 3. After the call, [`Limiter::release`] returns the ticket. If a caller is waiting, the slot
//!    passes straight to the oldest live waiter and `release` returns its [`WaiterId`]: the
//!    binding wakes that one waiter, which then polls and gets `Ready`.
//! 4. A parked caller that gives up (an aborted request) calls [`Limiter::cancel`]; if the slot
//!    had already been handed to it, the slot moves on and `cancel` names the next waiter.
//!
//! Hand-off is FIFO: the slot goes to the waiter that was queued first among those whose
//! deadline has not passed, so a steady stream of new callers cannot starve a waiter (new
//! callers queue behind it instead of taking freed slots). Waiters whose deadline passed are
//! dropped when the queue is next touched or by [`Limiter::expire_waiters`]; their `poll`
//! answers `Rejected`. A waiter is live while `now <= deadline`.
//!
//! Python counts queued callers separately from running ones and rejects with a transient
//! error when the queue is full and a timeout error when the wait runs out; here both are
//! [`ErrorKind::Overloaded`], with different messages and separate counters.
//!
//! The limiter is `Send + Sync` (one `std::sync::Mutex`). Memory is bounded by the
//! configuration: at most `max_in_flight` tickets and `max_queued` waiters are remembered.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use crate::error::{Error, ErrorKind, Result, err};
use crate::id_hash::IdSet;
use crate::time::Millis;

/// Tuning of a [`Limiter`]; [`Default`] is cachekit-py 0.24.1's (SPEC §9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimiterConfig {
    /// Calls allowed to run at once. Default 100.
    pub max_in_flight: u32,
    /// Callers allowed to wait for a slot; 0 disables queuing. Default 1000.
    pub max_queued: u32,
    /// How long a caller may wait for a slot, in ms; 0 disables queuing. Default 100.
    pub max_wait: Millis,
}

impl Default for LimiterConfig {
    fn default() -> Self {
        LimiterConfig { max_in_flight: 100, max_queued: 1000, max_wait: 100 }
    }
}

impl LimiterConfig {
    /// Checks the configuration: `max_in_flight` must be at least 1. Fails with
    /// [`ErrorKind::InvalidArgument`].
    pub fn validate(&self) -> Result<()> {
        if self.max_in_flight == 0 {
            return err(ErrorKind::InvalidArgument, "limiter max_in_flight must be at least 1");
        }
        Ok(())
    }
}

/// One slot held by a running call; give it back with [`Limiter::release`]. Neither `Clone`
/// nor `Copy`: one slot, one release.
#[derive(Debug, PartialEq, Eq, Hash)]
#[must_use = "give the slot back with Limiter::release"]
pub struct Ticket(u64);

impl Ticket {
    /// The ticket as one integer, for bindings that cannot hold a Rust value (C, WASM).
    pub fn into_raw(self) -> u64 {
        self.0
    }

    /// Rebuilds a ticket from [`Ticket::into_raw`]. Releasing an unknown or already released
    /// ticket is ignored (and counted in [`LimiterStats::unknown_releases`]).
    pub fn from_raw(raw: u64) -> Ticket {
        Ticket(raw)
    }
}

/// The name of a queued caller, as the binding holds it while the caller waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WaiterId(u64);

impl WaiterId {
    /// The id as one integer (unique for the limiter's life; never reused).
    pub fn get(self) -> u64 {
        self.0
    }

    /// Rebuilds an id from [`WaiterId::get`].
    pub fn from_raw(raw: u64) -> WaiterId {
        WaiterId(raw)
    }
}

/// The answer of [`Limiter::admit`].
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// A slot is free: run now, then release the ticket.
    Run(Ticket),
    /// Every slot is busy: park the caller as `waiter` until the limiter names it (from
    /// [`Limiter::release`] or [`Limiter::cancel`]) or until `deadline`, then
    /// [`Limiter::poll`].
    Queue {
        /// The caller's name in the queue.
        waiter: WaiterId,
        /// When the caller stops waiting (the `now` of admission plus `max_wait`).
        deadline: Millis,
    },
    /// The queue is full (or queuing is disabled): [`ErrorKind::Overloaded`].
    Reject(Error),
}

/// The answer of [`Limiter::poll`].
#[derive(Debug, PartialEq, Eq)]
pub enum Wait {
    /// The slot was handed to this waiter: run now, then release the ticket.
    Ready(Ticket),
    /// Still queued and within its deadline: park again.
    Waiting {
        /// When the caller stops waiting.
        deadline: Millis,
    },
    /// The wait budget is spent (or the id is unknown): [`ErrorKind::Overloaded`].
    Rejected(Error),
}

/// Counters and gauges of a [`Limiter`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LimiterStats {
    /// Slots in use: running calls plus slots handed to waiters that have not polled yet.
    pub in_flight: u32,
    /// Callers in the queue (including any whose deadline passed but were not dropped yet).
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
    /// Waiters that gave up through [`Limiter::cancel`].
    pub cancelled: u64,
    /// Releases of tickets the limiter did not know (a binding bug).
    pub unknown_releases: u64,
}

impl LimiterStats {
    /// All refusals: queue full plus wait budget spent (cachekit-py's `rejected_count`).
    pub fn rejected(&self) -> u64 {
        self.rejected_queue_full + self.rejected_expired
    }

    /// cachekit-py's health rule: the queue is below 80 % of its cap.
    pub fn healthy(&self) -> bool {
        let below_80_percent = u64::from(self.queued) * 5 < u64::from(self.max_queued) * 4;
        below_80_percent || (self.max_queued == 0 && self.queued == 0)
    }
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    /// Tickets of running calls.
    running: IdSet<u64>,
    /// Waiters a slot was handed to, not polled yet; each holds a slot. Its ticket will
    /// carry the waiter's id (both come from `next_id`, so they never clash).
    granted: IdSet<u64>,
    /// Waiters in arrival order, with their deadlines.
    queue: VecDeque<(u64, Millis)>,
    stats: LimiterStats,
}

impl Inner {
    fn in_flight(&self) -> usize {
        self.running.len() + self.granted.len()
    }

    /// Hands one free slot to the oldest live waiter, dropping expired ones on the way.
    fn hand_off(&mut self, now: Millis) -> Option<WaiterId> {
        while let Some((id, deadline)) = self.queue.pop_front() {
            if now > deadline {
                self.stats.rejected_expired += 1;
                continue;
            }
            self.granted.insert(id);
            self.stats.handed_off += 1;
            return Some(WaiterId(id));
        }
        None
    }

    fn drop_expired_front(&mut self, now: Millis) {
        while self.queue.front().is_some_and(|&(_, deadline)| now > deadline) {
            self.queue.pop_front();
            self.stats.rejected_expired += 1;
        }
    }
}

/// A concurrency limiter; see the module documentation. `Send + Sync`.
#[derive(Debug)]
pub struct Limiter {
    config: LimiterConfig,
    inner: Mutex<Inner>,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter::new(LimiterConfig::default()).expect("the default configuration is valid")
    }
}

impl Limiter {
    /// A limiter with `config`; fails with [`ErrorKind::InvalidArgument`] when it is invalid.
    pub fn new(config: LimiterConfig) -> Result<Limiter> {
        config.validate()?;
        let inner = Inner {
            stats: LimiterStats {
                max_in_flight: config.max_in_flight,
                max_queued: config.max_queued,
                ..LimiterStats::default()
            },
            ..Inner::default()
        };
        Ok(Limiter { config, inner: Mutex::new(inner) })
    }

    /// The configuration.
    pub fn config(&self) -> &LimiterConfig {
        &self.config
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // No update below can panic half-way, so a poisoned lock still guards a consistent state.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Asks to start one call at `now`; see [`Admission`].
    pub fn admit(&self, now: Millis) -> Admission {
        let mut s = self.lock();
        s.drop_expired_front(now);
        // A slot is free only when nobody waits: `release` hands freed slots to waiters first.
        if s.in_flight() < self.config.max_in_flight as usize && s.queue.is_empty() {
            let id = s.next_id;
            s.next_id += 1;
            s.running.insert(id);
            s.stats.admitted += 1;
            return Admission::Run(Ticket(id));
        }
        if self.config.max_wait == 0 || s.queue.len() >= self.config.max_queued as usize {
            s.stats.rejected_queue_full += 1;
            let message = format!(
                "overloaded: {} calls in flight and {} waiting (caps {} and {})",
                s.in_flight(),
                s.queue.len(),
                self.config.max_in_flight,
                self.config.max_queued
            );
            return Admission::Reject(Error::new(ErrorKind::Overloaded, message));
        }
        let id = s.next_id;
        s.next_id += 1;
        let deadline = now.saturating_add(self.config.max_wait);
        s.queue.push_back((id, deadline));
        s.stats.queued_total += 1;
        Admission::Queue { waiter: WaiterId(id), deadline }
    }

    /// Gives back the slot of a finished call at `now`. When a caller is waiting, the slot
    /// passes to the oldest live one and its id is returned: wake that waiter (it will get
    /// [`Wait::Ready`] from [`Limiter::poll`]).
    pub fn release(&self, ticket: Ticket, now: Millis) -> Option<WaiterId> {
        let mut s = self.lock();
        if !s.running.remove(&ticket.0) {
            s.stats.unknown_releases += 1;
            return None;
        }
        s.hand_off(now)
    }

    /// Where `waiter` stands at `now`; see [`Wait`]. Call it when woken and when the deadline
    /// passes. A waiter past its deadline is removed and rejected, unless a slot was handed
    /// to it before (then it is `Ready`, whatever the time).
    pub fn poll(&self, waiter: WaiterId, now: Millis) -> Wait {
        let mut s = self.lock();
        if s.granted.remove(&waiter.0) {
            s.running.insert(waiter.0);
            return Wait::Ready(Ticket(waiter.0));
        }
        let Some(pos) = s.queue.iter().position(|&(id, _)| id == waiter.0) else {
            return Wait::Rejected(Error::new(
                ErrorKind::Overloaded,
                format!("overloaded: no slot within the {} ms wait budget", self.config.max_wait),
            ));
        };
        let deadline = s.queue[pos].1;
        if now <= deadline {
            return Wait::Waiting { deadline };
        }
        s.queue.remove(pos);
        s.stats.rejected_expired += 1;
        Wait::Rejected(Error::new(
            ErrorKind::Overloaded,
            format!("overloaded: no slot within the {} ms wait budget", self.config.max_wait),
        ))
    }

    /// `waiter` gives up at `now` (its request was aborted). If a slot had already been
    /// handed to it, the slot passes on and the next waiter to wake is returned.
    pub fn cancel(&self, waiter: WaiterId, now: Millis) -> Option<WaiterId> {
        let mut s = self.lock();
        if let Some(pos) = s.queue.iter().position(|&(id, _)| id == waiter.0) {
            s.queue.remove(pos);
            s.stats.cancelled += 1;
            return None;
        }
        if s.granted.remove(&waiter.0) {
            s.stats.cancelled += 1;
            return s.hand_off(now);
        }
        None
    }

    /// Drops every waiter whose deadline passed before `now` and returns their ids, in queue
    /// order, so the binding can wake them (their [`Limiter::poll`] answers `Rejected`).
    pub fn expire_waiters(&self, now: Millis) -> Vec<WaiterId> {
        let mut s = self.lock();
        let mut expired = Vec::new();
        s.queue.retain(|&(id, deadline)| {
            let live = now <= deadline;
            if !live {
                expired.push(WaiterId(id));
            }
            live
        });
        s.stats.rejected_expired += expired.len() as u64;
        expired
    }

    /// Counters and gauges.
    pub fn stats(&self) -> LimiterStats {
        let s = self.lock();
        LimiterStats { in_flight: s.in_flight() as u32, queued: s.queue.len() as u32, ..s.stats }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn limiter(max_in_flight: u32, max_queued: u32, max_wait: Millis) -> Limiter {
        Limiter::new(LimiterConfig { max_in_flight, max_queued, max_wait }).unwrap()
    }

    fn run(a: Admission) -> Ticket {
        match a {
            Admission::Run(t) => t,
            other => panic!("expected Run, got {other:?}"),
        }
    }

    fn queued(a: Admission) -> (WaiterId, Millis) {
        match a {
            Admission::Queue { waiter, deadline } => (waiter, deadline),
            other => panic!("expected Queue, got {other:?}"),
        }
    }

    fn ready(w: Wait) -> Ticket {
        match w {
            Wait::Ready(t) => t,
            other => panic!("expected Ready, got {other:?}"),
        }
    }

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Limiter>();
    }

    #[test]
    fn defaults_are_cachekit_py() {
        let c = LimiterConfig::default();
        assert_eq!((c.max_in_flight, c.max_queued, c.max_wait), (100, 1000, 100));
        let l = Limiter::default();
        let s = l.stats();
        assert_eq!((s.max_in_flight, s.max_queued, s.in_flight, s.queued), (100, 1000, 0, 0));
        assert!(s.healthy());
        assert_eq!(
            Limiter::new(LimiterConfig { max_in_flight: 0, ..Default::default() }).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }

    #[test]
    fn queue_full_is_overloaded() {
        let l = limiter(1, 2, 100);
        let _t = run(l.admit(0));
        queued(l.admit(0));
        queued(l.admit(0));
        match l.admit(0) {
            Admission::Reject(e) => assert_eq!(e.kind(), ErrorKind::Overloaded),
            other => panic!("{other:?}"),
        }
        let s = l.stats();
        assert_eq!((s.in_flight, s.queued, s.rejected_queue_full, s.rejected()), (1, 2, 1, 1));
        assert!(!s.healthy());
    }

    #[test]
    fn no_queue_when_wait_or_cap_is_zero() {
        for l in [limiter(1, 0, 100), limiter(1, 10, 0)] {
            let _t = run(l.admit(0));
            assert!(matches!(l.admit(0), Admission::Reject(_)));
        }
    }

    #[test]
    fn fifo_hand_off() {
        let l = limiter(1, 10, 100);
        let t = run(l.admit(0));
        let (a, _) = queued(l.admit(1));
        let (b, _) = queued(l.admit(2));
        let (c, _) = queued(l.admit(3));
        assert!(matches!(l.poll(b, 4), Wait::Waiting { deadline: 102 }));
        assert_eq!(l.release(t, 10), Some(a));
        // A newcomer does not overtake the waiters, even with a slot just freed.
        let (d, _) = queued(l.admit(11));
        let ta = ready(l.poll(a, 12));
        assert_eq!(l.release(ta, 20), Some(b));
        let tb = ready(l.poll(b, 21));
        assert_eq!(l.release(tb, 30), Some(c));
        let tc = ready(l.poll(c, 31));
        assert_eq!(l.release(tc, 40), Some(d));
        let td = ready(l.poll(d, 41));
        assert_eq!(l.release(td, 50), None);
        let s = l.stats();
        assert_eq!((s.in_flight, s.queued, s.admitted, s.queued_total, s.handed_off), (0, 0, 1, 4, 4));
    }

    #[test]
    fn waiters_past_deadline_are_rejected() {
        let l = limiter(1, 10, 100);
        let t = run(l.admit(0));
        let (a, da) = queued(l.admit(0));
        let (b, _) = queued(l.admit(50));
        assert_eq!(da, 100);
        match l.poll(a, 101) {
            Wait::Rejected(e) => assert_eq!(e.kind(), ErrorKind::Overloaded),
            other => panic!("{other:?}"),
        }
        // b is still live at its deadline (inclusive) and gets the slot.
        assert_eq!(l.release(t, 150), Some(b));
        let tb = ready(l.poll(b, 400));
        // Expired waiters are skipped at hand-off.
        let (c, _) = queued(l.admit(400));
        let (d, _) = queued(l.admit(450));
        assert_eq!(l.release(tb, 501), Some(d));
        assert!(matches!(l.poll(c, 502), Wait::Rejected(_)));
        assert_eq!(l.stats().rejected_expired, 2);
    }

    #[test]
    fn expire_waiters_reports_ids_in_order() {
        let l = limiter(1, 10, 100);
        let _t = run(l.admit(0));
        let (a, _) = queued(l.admit(0));
        let (b, _) = queued(l.admit(10));
        let (c, _) = queued(l.admit(20));
        assert_eq!(l.expire_waiters(110), vec![a]);
        assert_eq!(l.expire_waiters(111), vec![b]);
        assert!(matches!(l.poll(a, 111), Wait::Rejected(_)));
        assert!(matches!(l.poll(c, 111), Wait::Waiting { deadline: 120 }));
        assert_eq!(l.stats().queued, 1);
        assert_eq!(l.stats().rejected_expired, 2);
    }

    #[test]
    fn cancel_before_and_after_hand_off() {
        let l = limiter(1, 10, 100);
        let t = run(l.admit(0));
        let (a, _) = queued(l.admit(0));
        let (b, _) = queued(l.admit(0));
        let (c, _) = queued(l.admit(0));
        assert_eq!(l.cancel(b, 1), None);
        assert_eq!(l.release(t, 2), Some(a));
        // a gave up just as the slot reached it: the slot moves on to c.
        assert_eq!(l.cancel(a, 3), Some(c));
        assert!(matches!(l.poll(a, 3), Wait::Rejected(_)));
        let tc = ready(l.poll(c, 4));
        assert_eq!(l.stats().in_flight, 1);
        assert_eq!(l.release(tc, 5), None);
        assert_eq!(l.cancel(c, 6), None);
        let s = l.stats();
        assert_eq!((s.in_flight, s.cancelled), (0, 2));
    }

    #[test]
    fn unknown_releases_are_ignored() {
        let l = limiter(2, 10, 100);
        let t = run(l.admit(0));
        let raw = t.into_raw();
        assert_eq!(l.release(Ticket::from_raw(raw), 1), None);
        assert_eq!(l.release(Ticket::from_raw(raw), 1), None);
        assert_eq!(l.release(Ticket::from_raw(999), 1), None);
        let s = l.stats();
        assert_eq!((s.in_flight, s.unknown_releases), (0, 2));
        assert_eq!(WaiterId::from_raw(5).get(), 5);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Admit,
        Advance(Millis),
        Release(usize),
        Poll(usize),
        Cancel(usize),
        Expire,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            5 => Just(Op::Admit),
            2 => (0u64..60).prop_map(Op::Advance),
            3 => any::<usize>().prop_map(Op::Release),
            3 => any::<usize>().prop_map(Op::Poll),
            1 => any::<usize>().prop_map(Op::Cancel),
            1 => Just(Op::Expire),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        /// Random traffic against a reference queue: caps hold, hand-off is FIFO among live
        /// waiters, and nobody runs after its deadline unless the slot reached it in time.
        #[test]
        fn random_traffic_keeps_the_invariants(
            max_in_flight in 1u32..4,
            max_queued in 0u32..5,
            max_wait in 0u64..150,
            ops in prop::collection::vec(op(), 1..300),
        ) {
            let l = limiter(max_in_flight, max_queued, max_wait);
            let mut now: Millis = 0;
            let mut running: Vec<Ticket> = Vec::new();
            // The model queue: waiters in arrival order, with deadlines.
            let mut model: Vec<(WaiterId, Millis)> = Vec::new();
            // Waiters the slot was handed to, not polled yet.
            let mut granted: Vec<WaiterId> = Vec::new();
            // Every waiter the binding is still parking.
            let mut parked: Vec<(WaiterId, Millis)> = Vec::new();

            let check_grant = |model: &mut Vec<(WaiterId, Millis)>, w: WaiterId, now: Millis| {
                let pos = model.iter().position(|&(id, _)| id == w).expect("granted a waiter not in the queue");
                // FIFO: everyone ahead of the granted waiter had expired.
                assert!(model[..pos].iter().all(|&(_, d)| now > d), "hand-off skipped a live waiter");
                assert!(now <= model[pos].1, "hand-off to an expired waiter");
                model.drain(..=pos);
            };

            for op in ops {
                match op {
                    Op::Admit => match l.admit(now) {
                        Admission::Run(t) => {
                            prop_assert!(model.iter().all(|&(_, d)| now > d), "ran ahead of a live waiter");
                            model.clear();
                            running.push(t);
                        }
                        Admission::Queue { waiter, deadline } => {
                            prop_assert_eq!(deadline, now + max_wait);
                            model.push((waiter, deadline));
                            parked.push((waiter, deadline));
                        }
                        Admission::Reject(e) => prop_assert_eq!(e.kind(), ErrorKind::Overloaded),
                    },
                    Op::Advance(d) => now += d,
                    Op::Release(i) => {
                        if running.is_empty() { continue; }
                        let t = running.swap_remove(i % running.len());
                        if let Some(w) = l.release(t, now) {
                            check_grant(&mut model, w, now);
                            granted.push(w);
                        } else {
                            prop_assert!(model.iter().all(|&(_, d)| now > d));
                            model.clear();
                        }
                    }
                    Op::Poll(i) => {
                        if parked.is_empty() { continue; }
                        let (w, deadline) = parked[i % parked.len()];
                        match l.poll(w, now) {
                            Wait::Ready(t) => {
                                prop_assert!(granted.contains(&w), "ready without a hand-off");
                                granted.retain(|&g| g != w);
                                parked.retain(|&(p, _)| p != w);
                                running.push(t);
                            }
                            Wait::Waiting { deadline: d } => {
                                prop_assert_eq!(d, deadline);
                                prop_assert!(now <= deadline);
                            }
                            Wait::Rejected(_) => {
                                prop_assert!(!granted.contains(&w));
                                prop_assert!(now > deadline, "rejected before its deadline");
                                parked.retain(|&(p, _)| p != w);
                            }
                        }
                    }
                    Op::Cancel(i) => {
                        if parked.is_empty() { continue; }
                        let (w, _) = parked.swap_remove(i % parked.len());
                        model.retain(|&(id, _)| id != w);
                        let was_granted = granted.contains(&w);
                        granted.retain(|&g| g != w);
                        match l.cancel(w, now) {
                            Some(next) => {
                                prop_assert!(was_granted);
                                check_grant(&mut model, next, now);
                                granted.push(next);
                            }
                            None if was_granted => {
                                prop_assert!(model.iter().all(|&(_, d)| now > d));
                                model.clear();
                            }
                            None => {}
                        }
                    }
                    Op::Expire => {
                        let expired = l.expire_waiters(now);
                        for w in &expired {
                            let d = model.iter().find(|&&(id, _)| id == *w).expect("expired an unknown waiter").1;
                            prop_assert!(now > d);
                        }
                        model.retain(|&(id, _)| !expired.contains(&id));
                    }
                }
                let s = l.stats();
                prop_assert!(s.in_flight <= max_in_flight, "in flight {} > {}", s.in_flight, max_in_flight);
                prop_assert!(s.queued <= max_queued, "queued {} > {}", s.queued, max_queued);
                prop_assert_eq!(s.in_flight as usize, running.len() + granted.len());
            }
        }
    }
}
