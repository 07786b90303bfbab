//! Stampede protection: the in-process single-flight table and the distributed fill lock
//! (SPEC §8).
//!
//! A miss on a hot key must cost one computation, not one per caller. Two layers do that,
//! as in cachekit-py: [`SingleFlight`] dedups callers inside one process (before any Redis
//! round trip), and the fill lock ([`LockAttempt`]) dedups the remaining one-per-process
//! fills across processes.
//!
//! Both are data, not control flow: the core never blocks, sleeps, spawns or reads a clock.
//! The binding runs the I/O and the waiting and tells the core what happened and when
//! (`now: Millis`).
//!
//! # Single flight
//!
//! ```text
//! begin(key, now) ── Leader(f) ──▶ compute ──▶ complete(f, outcome) ──▶ wake followers
//!                 └─ Follower{f, waiter, wait_until} ──▶ sleep until woken or wait_until
//!                                                    ──▶ poll(waiter, now)
//!                                                          ├─ Ready{flight, outcome}
//!                                                          ├─ Wait{flight, wait_until}: sleep again
//!                                                          └─ Lead(g): compute yourself, as leader of g
//! ```
//!
//! * A [`FlightId`] is a generation number: table-wide, increasing, never reused. A flight
//!   that was taken over, abandoned or settled is gone from the table, so a late
//!   [`SingleFlight::complete`] with its id is reported [`Wake::stale`] and wakes nobody: it
//!   can never deliver its value to the followers of a newer flight for the same key.
//! * The outcome (`Result<T, Error>`, bytes by default) is kept once, behind an [`Arc`], in
//!   each follower's mailbox until it collects it with [`SingleFlight::poll`]; a follower
//!   whose timer fires at the same moment as the completion still gets the result.
//! * **Follower timeout semantics.** A follower waits for its flight's leader until the
//!   flight is [`SingleFlightConfig::follower_wait_ms`] old (35 s by default: the fill lock's
//!   5 s wait plus its 30 s lease, the longest a healthy leader can take). All followers of a
//!   flight share that deadline. Past it the leader is presumed stuck, and the first caller
//!   to notice (a follower's [`SingleFlight::poll`] or a new [`SingleFlight::begin`]) **takes
//!   over**: the stuck flight is retired, this caller leads a new flight (a new generation),
//!   and every other follower of the stuck flight moves to the new flight with its fresh
//!   deadline. So a stuck leader costs exactly one extra computation per `follower_wait_ms`,
//!   never a herd; the stuck leader's late completion is stale. (The alternative, "each
//!   expired follower computes for itself", turns one slow leader into the stampede this
//!   module exists to prevent; "expired followers fail" makes one hung call fail every
//!   caller.) A caller with its own, shorter deadline leaves with [`SingleFlight::cancel`]
//!   and reports `timeout` itself.
//! * A leader that cannot compute (cancelled, interrupted) calls [`SingleFlight::abandon`]:
//!   the oldest follower is promoted to leader of a new flight and woken; the others move
//!   with it. An error from the computation itself is an outcome: [`SingleFlight::complete`]
//!   with `Err`, and every follower gets the same error (as in cachekit-py).
//! * [`SingleFlight::forget`] (invalidation) makes the next `begin` start a new flight;
//!   followers already waiting keep theirs (cachekit-py's `forget`).
//!
//! The binding must end every `Leader` with `complete` or `abandon` (a drop guard), and every
//! `Follower` with a `poll` that returns `Ready`/`Lead` or with `cancel`. A leader must not
//! `begin` its own key again from inside its computation: it would wait on itself.
//!
//! # Fill lock
//!
//! `SET {key}:lock {token} NX PX 30000` with a 32-lowercase-hex random token, retried every
//! 100 ms for up to 5 s; after acquiring, re-read the key (another writer may have filled it
//! while we waited); release with [`RELEASE_SCRIPT`] (compare-and-delete), so a holder whose
//! lease already expired can never delete the lock of the next holder. [`LockAttempt`] is the
//! client state machine; [`LockConfig`] holds the three durations.
//!
//! The give-up rule is redis-py's `Lock.acquire` (which cachekit-py uses): after a refused
//! attempt at `now`, wait for the next one only if `now + retry` is still within
//! `start + wait`; otherwise give up. With instant replies that is attempts at 0, 100, …,
//! 5000 ms, and no wait ever ends past the 5 s budget. On
//! [`LockAction::GiveUp`] cachekit-py re-reads the key and, on a miss, computes without the
//! lock; a binding may do the same or surface `lock_not_acquired`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{Error, ErrorKind, Result, err};
use crate::id_hash::IdMap;
use crate::keys::to_hex;
use crate::time::Millis;

// ---------------------------------------------------------------------------------------
// Single flight
// ---------------------------------------------------------------------------------------

/// One flight (one computation of one key): a generation number, unique in its table and
/// never reused. Bindings may carry it across FFI as a `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlightId(u64);

impl FlightId {
    /// The id as a number, for FFI.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// An id from a number received over FFI. An id the table never issued is harmless: it
    /// is reported stale.
    pub const fn from_u64(id: u64) -> FlightId {
        FlightId(id)
    }
}

impl fmt::Display for FlightId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "flight#{}", self.0)
    }
}

/// One waiting follower, unique in its table and never reused. Bindings may carry it across
/// FFI as a `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WaiterId(u64);

impl WaiterId {
    /// The id as a number, for FFI.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// An id from a number received over FFI. An unknown id makes `poll` fail with
    /// `invalid_argument` and `cancel` do nothing.
    pub const fn from_u64(id: u64) -> WaiterId {
        WaiterId(id)
    }
}

impl fmt::Display for WaiterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "waiter#{}", self.0)
    }
}

/// What [`SingleFlight::begin`] made of the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flight {
    /// Nobody computes this key: compute it, then [`SingleFlight::complete`] (or
    /// [`SingleFlight::abandon`]) this flight.
    Leader(FlightId),
    /// Another caller computes this key: sleep until woken or `wait_until`, then
    /// [`SingleFlight::poll`] with `waiter`.
    Follower {
        /// The flight joined.
        flight: FlightId,
        /// This caller's mailbox.
        waiter: WaiterId,
        /// When the flight's leader is presumed stuck (poll then).
        wait_until: Millis,
    },
}

/// What a follower learns from [`SingleFlight::poll`].
#[derive(Debug)]
pub enum Poll<T> {
    /// The flight settled: here is its outcome, shared with every other follower.
    Ready {
        /// The flight whose leader produced the outcome.
        flight: FlightId,
        /// The leader's value or error.
        outcome: Arc<Result<T, Error>>,
    },
    /// Still computing: sleep until woken or `wait_until`, then poll again.
    Wait {
        /// The flight now waited on (it changes when a stuck leader was taken over).
        flight: FlightId,
        /// The flight's deadline.
        wait_until: Millis,
    },
    /// This caller is now the leader of this flight (the previous leader abandoned or was
    /// presumed stuck): compute, then complete or abandon it.
    Lead(FlightId),
}

/// Who to wake after [`SingleFlight::complete`], [`SingleFlight::abandon`] or
/// [`SingleFlight::cancel`]: each listed waiter should [`SingleFlight::poll`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use = "the listed followers sleep until they are woken"]
pub struct Wake {
    /// Followers to wake.
    pub waiters: Vec<WaiterId>,
    /// True when the flight was no longer in the table (settled, abandoned or taken over
    /// before): nothing happened and nobody is to be woken.
    pub stale: bool,
}

impl Wake {
    fn for_stale_flight() -> Wake {
        Wake { waiters: Vec::new(), stale: true }
    }
}

/// Settings of a [`SingleFlight`] table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SingleFlightConfig {
    follower_wait_ms: u64,
}

impl SingleFlightConfig {
    /// Default follower wait: 35 s, the fill lock's default wait (5 s) plus its lease (30 s).
    /// A leader older than that can no longer be holding the fill lock, so taking over
    /// earlier would mostly queue the new leader behind the old one's lock.
    pub const DEFAULT_FOLLOWER_WAIT_MS: u64 = LockConfig::DEFAULT_WAIT_MS + LockConfig::DEFAULT_LEASE_MS;

    /// A configuration whose followers wait `follower_wait_ms` (≥ 1) for a leader, counted
    /// from the leader's start; 0 is `invalid_argument`.
    pub fn new(follower_wait_ms: u64) -> Result<SingleFlightConfig> {
        if follower_wait_ms == 0 {
            return err(ErrorKind::InvalidArgument, "single-flight follower wait must be at least 1 ms");
        }
        Ok(SingleFlightConfig { follower_wait_ms })
    }

    /// How long after a leader starts its followers presume it stuck.
    pub const fn follower_wait_ms(&self) -> u64 {
        self.follower_wait_ms
    }
}

impl Default for SingleFlightConfig {
    /// [`SingleFlightConfig::DEFAULT_FOLLOWER_WAIT_MS`].
    fn default() -> SingleFlightConfig {
        SingleFlightConfig { follower_wait_ms: SingleFlightConfig::DEFAULT_FOLLOWER_WAIT_MS }
    }
}

struct FlightRec {
    key: String,
    deadline: Millis,
    /// Oldest first: the first is promoted when the leader abandons.
    followers: Vec<WaiterId>,
}

enum Slot<T> {
    Waiting(FlightId),
    Ready(FlightId, Arc<Result<T, Error>>),
    Lead(FlightId),
}

struct Table<T> {
    next_id: u64,
    /// The joinable flight of each key.
    current: HashMap<String, FlightId>,
    /// Every live flight (current ones, and forgotten ones that still have followers).
    flights: IdMap<FlightId, FlightRec>,
    waiters: IdMap<WaiterId, Slot<T>>,
}

impl<T> Table<T> {
    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Starts a new current flight for `key`.
    fn start(&mut self, key: &str, now: Millis, wait: u64) -> FlightId {
        let id = FlightId(self.fresh_id());
        self.flights
            .insert(id, FlightRec { key: key.to_owned(), deadline: now.saturating_add(wait), followers: Vec::new() });
        self.current.insert(key.to_owned(), id);
        id
    }

    /// Removes a flight from the table; returns its followers (oldest first).
    fn retire(&mut self, id: FlightId) -> Option<(String, Vec<WaiterId>)> {
        let rec = self.flights.remove(&id)?;
        if self.current.get(&rec.key) == Some(&id) {
            self.current.remove(&rec.key);
        }
        Some((rec.key, rec.followers))
    }

    /// Moves waiters to flight `to` (they keep their place order).
    fn adopt(&mut self, to: FlightId, waiters: Vec<WaiterId>) {
        for w in &waiters {
            self.waiters.insert(*w, Slot::Waiting(to));
        }
        if let Some(rec) = self.flights.get_mut(&to) {
            rec.followers.extend(waiters);
        }
    }

    /// The live, not-yet-expired current flight of `key`. An expired one is retired and its
    /// followers are appended to `orphans`.
    fn live_current(&mut self, key: &str, now: Millis, orphans: &mut Vec<WaiterId>) -> Option<FlightId> {
        let id = *self.current.get(key)?;
        match self.flights.get(&id) {
            Some(rec) if now < rec.deadline => Some(id),
            _ => {
                if let Some((_, followers)) = self.retire(id) {
                    orphans.extend(followers);
                }
                self.current.remove(key);
                None
            }
        }
    }
}

/// The in-process single-flight table: concurrent misses on one key share one computation.
///
/// `Send + Sync` for `T: Send + Sync` (one std [`Mutex`] inside); share it behind an `Arc`
/// or a `static`. Every operation is O(followers of the touched flight) under the lock.
/// See the module documentation for the protocol and the timeout semantics.
pub struct SingleFlight<T = Vec<u8>> {
    config: SingleFlightConfig,
    table: Mutex<Table<T>>,
}

impl<T> fmt::Debug for SingleFlight<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.lock();
        f.debug_struct("SingleFlight")
            .field("config", &self.config)
            .field("flights", &t.flights.len())
            .field("waiters", &t.waiters.len())
            .finish()
    }
}

impl<T> Default for SingleFlight<T> {
    /// A table with [`SingleFlightConfig::default`].
    fn default() -> SingleFlight<T> {
        SingleFlight::new(SingleFlightConfig::default())
    }
}

impl<T> SingleFlight<T> {
    /// An empty table.
    pub fn new(config: SingleFlightConfig) -> SingleFlight<T> {
        SingleFlight {
            config,
            table: Mutex::new(Table {
                next_id: 0,
                current: HashMap::new(),
                flights: IdMap::default(),
                waiters: IdMap::default(),
            }),
        }
    }

    /// The table's configuration.
    pub fn config(&self) -> SingleFlightConfig {
        self.config
    }

    fn lock(&self) -> MutexGuard<'_, Table<T>> {
        // Every update below leaves the table consistent before anything can panic, so a
        // poisoned lock (a panic elsewhere while holding it) is safe to keep using.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A caller missed `key`: make it the leader of a new flight, or a follower of the flight
    /// in progress. A flight past its deadline is taken over (see the module docs).
    pub fn begin(&self, key: &str, now: Millis) -> Flight {
        let wait = self.config.follower_wait_ms;
        let mut t = self.lock();
        let mut orphans = Vec::new();
        if let Some(id) = t.live_current(key, now, &mut orphans) {
            let waiter = WaiterId(t.fresh_id());
            t.waiters.insert(waiter, Slot::Waiting(id));
            let rec = t.flights.get_mut(&id).expect("a current flight is in the table");
            rec.followers.push(waiter);
            return Flight::Follower { flight: id, waiter, wait_until: rec.deadline };
        }
        let id = t.start(key, now, wait);
        t.adopt(id, orphans);
        Flight::Leader(id)
    }

    /// Leads a new flight for `key` only if none is in progress; never joins one.
    ///
    /// For background work (stale-while-revalidate, early refresh): `Some(id)` means this
    /// caller refreshes and must complete or abandon `id`; `None` means someone already
    /// computes the key. Misses arriving meanwhile join the refresh as followers.
    pub fn try_lead(&self, key: &str, now: Millis) -> Option<FlightId> {
        let wait = self.config.follower_wait_ms;
        let mut t = self.lock();
        let mut orphans = Vec::new();
        if t.live_current(key, now, &mut orphans).is_some() {
            return None;
        }
        let id = t.start(key, now, wait);
        t.adopt(id, orphans);
        Some(id)
    }

    /// The leader of `flight` settled it with `outcome` (the computed bytes or its error).
    ///
    /// Returns the followers to wake; each gets the same [`Arc`]ed outcome from
    /// [`SingleFlight::poll`]. A flight no longer in the table (taken over, abandoned, or
    /// already settled) is [`Wake::stale`]: the outcome is dropped and nobody is woken.
    pub fn complete(&self, flight: FlightId, outcome: Result<T, Error>) -> Wake {
        let mut t = self.lock();
        let Some((_, followers)) = t.retire(flight) else {
            return Wake::for_stale_flight();
        };
        if !followers.is_empty() {
            let shared = Arc::new(outcome);
            for w in &followers {
                t.waiters.insert(*w, Slot::Ready(flight, Arc::clone(&shared)));
            }
        }
        Wake { waiters: followers, stale: false }
    }

    /// The leader of `flight` gives up without an outcome (cancelled, interrupted).
    ///
    /// The oldest follower is promoted: it leads a new flight (`Lead` on its next poll) and is
    /// the one waiter returned to wake; the other followers move to the new flight. If the
    /// key meanwhile has another flight in progress (the abandoned one had been forgotten),
    /// the followers join that one instead. A stale flight changes nothing.
    pub fn abandon(&self, flight: FlightId, now: Millis) -> Wake {
        let wait = self.config.follower_wait_ms;
        let mut t = self.lock();
        let Some((key, mut followers)) = t.retire(flight) else {
            return Wake::for_stale_flight();
        };
        if followers.is_empty() {
            return Wake::default();
        }
        if let Some(other) = t.live_current(&key, now, &mut followers) {
            t.adopt(other, followers);
            return Wake::default();
        }
        let promoted = followers.remove(0);
        let id = t.start(&key, now, wait);
        t.waiters.insert(promoted, Slot::Lead(id));
        t.adopt(id, followers);
        Wake { waiters: vec![promoted], stale: false }
    }

    /// A follower woke (notified, or its `wait_until` passed): what now?
    ///
    /// `Ready` and `Lead` end the waiter (its id is forgotten); `Wait` keeps it. When the
    /// flight is past its deadline and unsettled, this caller takes over (module docs).
    /// An unknown waiter (already ended, cancelled, never issued) is `invalid_argument`.
    pub fn poll(&self, waiter: WaiterId, now: Millis) -> Result<Poll<T>> {
        let wait = self.config.follower_wait_ms;
        let mut t = self.lock();
        let flight = match t.waiters.get(&waiter) {
            None => return err(ErrorKind::InvalidArgument, format!("unknown single-flight {waiter}")),
            Some(Slot::Waiting(f)) => *f,
            Some(Slot::Ready(..) | Slot::Lead(_)) => {
                return Ok(match t.waiters.remove(&waiter) {
                    Some(Slot::Ready(flight, outcome)) => Poll::Ready { flight, outcome },
                    Some(Slot::Lead(id)) => Poll::Lead(id),
                    _ => unreachable!("checked above"),
                });
            }
        };
        let rec = t.flights.get_mut(&flight).expect("a waiting follower's flight is in the table");
        if now < rec.deadline {
            return Ok(Poll::Wait { flight, wait_until: rec.deadline });
        }
        // The leader is presumed stuck: retire its flight, then join the key's newer flight
        // if one is in progress, or lead a new one. Everyone else waiting on it moves along.
        rec.followers.retain(|w| *w != waiter);
        t.waiters.remove(&waiter);
        let (key, mut orphans) = t.retire(flight).expect("present above");
        if let Some(other) = t.live_current(&key, now, &mut orphans) {
            t.adopt(other, orphans);
            t.adopt(other, vec![waiter]);
            let wait_until = t.flights[&other].deadline;
            return Ok(Poll::Wait { flight: other, wait_until });
        }
        let id = t.start(&key, now, wait);
        t.adopt(id, orphans);
        Ok(Poll::Lead(id))
    }

    /// A follower stops waiting (its caller's own deadline passed, or it was cancelled).
    ///
    /// If it had just been promoted to leader, its flight is abandoned in turn and the
    /// returned [`Wake`] names the next promoted follower. Unknown waiters are ignored.
    pub fn cancel(&self, waiter: WaiterId, now: Millis) -> Wake {
        let promoted = {
            let mut t = self.lock();
            match t.waiters.remove(&waiter) {
                Some(Slot::Waiting(f)) => {
                    if let Some(rec) = t.flights.get_mut(&f) {
                        rec.followers.retain(|w| *w != waiter);
                    }
                    None
                }
                Some(Slot::Lead(id)) => Some(id),
                Some(Slot::Ready(..)) | None => None,
            }
        };
        match promoted {
            Some(id) => self.abandon(id, now),
            None => Wake::default(),
        }
    }

    /// Invalidation: the next `begin` on `key` starts a new flight instead of joining the one
    /// in progress; followers already waiting keep theirs.
    pub fn forget(&self, key: &str) {
        let mut t = self.lock();
        if let Some(id) = t.current.remove(key) {
            if t.flights.get(&id).is_some_and(|r| r.followers.is_empty()) {
                // Nobody to deliver to: drop it now (its leader's completion becomes stale).
                t.flights.remove(&id);
            }
        }
    }

    /// [`SingleFlight::forget`] for every key.
    pub fn forget_all(&self) {
        let mut t = self.lock();
        t.current.clear();
        t.flights.retain(|_, r| !r.followers.is_empty());
    }

    /// Flights in progress (including forgotten ones that still have followers).
    pub fn in_flight(&self) -> usize {
        self.lock().flights.len()
    }

    /// Followers not yet ended (waiting, or woken but not yet polled).
    pub fn waiters(&self) -> usize {
        self.lock().waiters.len()
    }
}

// ---------------------------------------------------------------------------------------
// Fill lock
// ---------------------------------------------------------------------------------------

/// Suffix of a fill-lock key: the lock of `key` is `{key}:lock`.
pub const LOCK_SUFFIX: &str = ":lock";

/// The fill-lock key of a cache key, exactly as written to Redis (tenant prefix included):
/// `{key}:lock`.
pub fn lock_key(key: &str) -> String {
    let mut k = String::with_capacity(key.len() + LOCK_SUFFIX.len());
    k.push_str(key);
    k.push_str(LOCK_SUFFIX);
    k
}

/// The release script: delete the lock only if it still holds our token. Send it as is:
/// `EVALSHA` [`RELEASE_SCRIPT_SHA1`] `1 {key}:lock {token}`, falling back to `EVAL` on
/// `NOSCRIPT`. Replies 1 when released, 0 when the lock had expired or belongs to someone
/// else (then nothing was deleted).
pub const RELEASE_SCRIPT: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/// SHA-1 of [`RELEASE_SCRIPT`], lowercase hex, for `EVALSHA` (asserted in the tests).
pub const RELEASE_SCRIPT_SHA1: &str = "d02e481a9c91ceec59c5822a58a49d5d5d7ac80b";

/// A fill-lock token: 16 random bytes as 32 lowercase hex characters.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LockToken(String);

impl LockToken {
    /// Length of a token in characters.
    pub const LEN: usize = 32;

    /// A token from the platform random source (Web Crypto on wasm32), or
    /// `random_unavailable`.
    pub fn random() -> Result<LockToken> {
        let mut b = [0u8; 16];
        getrandom::getrandom(&mut b)
            .map_err(|e| Error::new(ErrorKind::RandomUnavailable, format!("random source failed: {e}")))?;
        Ok(LockToken::from_bytes(b))
    }

    /// A token from caller-supplied random bytes (tests, or a binding with its own source).
    pub fn from_bytes(bytes: [u8; 16]) -> LockToken {
        LockToken(to_hex(&bytes))
    }

    /// Parses a token: exactly 32 lowercase hex characters, else `invalid_argument`.
    pub fn parse(token: &str) -> Result<LockToken> {
        if token.len() != LockToken::LEN || !token.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return err(ErrorKind::InvalidArgument, "a lock token is exactly 32 lowercase hex characters");
        }
        Ok(LockToken(token.to_owned()))
    }

    /// The token text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LockToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for LockToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LockToken({})", self.0)
    }
}

/// The fill lock's durations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockConfig {
    lease_ms: u64,
    retry_ms: u64,
    wait_ms: u64,
}

impl LockConfig {
    /// Default lease (`PX`): 30 s, after which Redis frees the lock of a holder that died.
    pub const DEFAULT_LEASE_MS: u64 = 30_000;
    /// Default pause between attempts: 100 ms.
    pub const DEFAULT_RETRY_MS: u64 = 100;
    /// Default total wait for the lock: 5 s.
    pub const DEFAULT_WAIT_MS: u64 = 5_000;

    /// A configuration: `lease_ms` in `1..=`[`MAX_TTL_SECS`](crate::ttl::MAX_TTL_SECS) (a
    /// bound well inside what Redis accepts as `PX`) and `retry_ms` ≥ 1 (else
    /// `invalid_argument`); `wait_ms` 0 means a single attempt (a non-blocking lease, as
    /// cachekit-py takes for background refreshes).
    pub fn new(lease_ms: u64, retry_ms: u64, wait_ms: u64) -> Result<LockConfig> {
        if lease_ms == 0 || lease_ms > crate::ttl::MAX_TTL_SECS {
            return err(
                ErrorKind::InvalidArgument,
                format!("fill-lock lease must be 1..={} ms, got {lease_ms}", crate::ttl::MAX_TTL_SECS),
            );
        }
        if retry_ms == 0 {
            return err(ErrorKind::InvalidArgument, "fill-lock retry interval must be at least 1 ms");
        }
        Ok(LockConfig { lease_ms, retry_ms, wait_ms })
    }

    /// The lease, sent as `PX`.
    pub const fn lease_ms(&self) -> u64 {
        self.lease_ms
    }

    /// The pause between attempts.
    pub const fn retry_ms(&self) -> u64 {
        self.retry_ms
    }

    /// The total wait budget, from the attempt's start.
    pub const fn wait_ms(&self) -> u64 {
        self.wait_ms
    }
}

impl Default for LockConfig {
    /// 30 s lease, 100 ms retry, 5 s wait.
    fn default() -> LockConfig {
        LockConfig {
            lease_ms: LockConfig::DEFAULT_LEASE_MS,
            retry_ms: LockConfig::DEFAULT_RETRY_MS,
            wait_ms: LockConfig::DEFAULT_WAIT_MS,
        }
    }
}

/// What the binding must do next for a [`LockAttempt`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockAction {
    /// Send `SET {key} {token} NX PX {px_ms}`, then report the reply with
    /// [`LockAttempt::on_reply`].
    SendSetNx {
        /// The lock key (`{cache key}:lock`).
        key: String,
        /// This attempt's token.
        token: String,
        /// The lease in milliseconds.
        px_ms: u64,
    },
    /// A `SET NX` is outstanding: report its reply first.
    AwaitReply,
    /// The lock is busy: sleep until this instant, then ask again.
    WaitUntil(Millis),
    /// The lock is ours: re-read the cache key now (another writer may have filled it while
    /// we waited). On a hit, release and serve it; on a miss, compute, write, then release.
    ReRead,
    /// The lock is ours and the re-read was handed out: finish, then call
    /// [`LockAttempt::release`].
    Held,
    /// The lock was released (or its release command handed out); nothing more to send.
    Released,
    /// The wait budget is spent without the lock (`lock_not_acquired`).
    GiveUp(Error),
}

/// A `SET NX` reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockReply {
    /// `OK`: the lock is ours.
    Acquired,
    /// Nil: someone else holds it.
    Busy,
}

/// The command that releases a held lock: `EVALSHA script_sha1 1 key token` (or `EVAL script
/// 1 key token`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseCommand {
    /// [`RELEASE_SCRIPT`].
    pub script: &'static str,
    /// [`RELEASE_SCRIPT_SHA1`].
    pub script_sha1: &'static str,
    /// `KEYS[1]`: the lock key.
    pub key: String,
    /// `ARGV[1]`: the token that acquired the lock.
    pub token: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LockState {
    /// Send the next `SET NX`.
    Ready,
    /// A `SET NX` sent at this instant awaits its reply.
    Sent(Millis),
    /// Busy; next attempt at this instant.
    Waiting(Millis),
    /// Acquired by the `SET NX` sent at this instant; re-read not yet handed out.
    Acquired(Millis),
    /// Acquired (sent at this instant) and re-read handed out.
    Held(Millis),
    Released,
    GaveUp,
}

/// The fill-lock client as a state machine: one acquisition of one key's lock.
///
/// Drive it with [`LockAttempt::next_action`] and feed back replies with
/// [`LockAttempt::on_reply`]; release with [`LockAttempt::release`], which hands out the
/// compare-and-delete command only for the token of this attempt, only when the lock may be
/// held by it, and only once.
#[derive(Clone, Debug)]
pub struct LockAttempt {
    lock_key: String,
    token: LockToken,
    config: LockConfig,
    started: Millis,
    state: LockState,
    attempts: u32,
}

impl LockAttempt {
    /// An attempt on the lock of `key` (the cache key as written to Redis), starting at
    /// `now`, with `token` (usually [`LockToken::random`]).
    pub fn new(key: &str, token: LockToken, now: Millis, config: LockConfig) -> LockAttempt {
        LockAttempt { lock_key: lock_key(key), token, config, started: now, state: LockState::Ready, attempts: 0 }
    }

    /// [`LockAttempt::new`] with a fresh random token.
    pub fn with_random_token(key: &str, now: Millis, config: LockConfig) -> Result<LockAttempt> {
        Ok(LockAttempt::new(key, LockToken::random()?, now, config))
    }

    /// The lock key (`{key}:lock`).
    pub fn lock_key(&self) -> &str {
        &self.lock_key
    }

    /// This attempt's token.
    pub fn token(&self) -> &LockToken {
        &self.token
    }

    /// The configuration.
    pub fn config(&self) -> LockConfig {
        self.config
    }

    /// `SET NX` commands handed out so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The instant after which no attempt waits: start + wait.
    pub fn deadline(&self) -> Millis {
        self.started.saturating_add(self.config.wait_ms)
    }

    /// True once a `SET NX` returned `OK` and the lock has not been released.
    pub fn is_held(&self) -> bool {
        matches!(self.state, LockState::Acquired(_) | LockState::Held(_))
    }

    /// While held: the instant the lease surely ends, counted (conservatively) from when the
    /// winning `SET NX` was sent. Work past it is no longer protected; the release script
    /// then deletes nothing that is not ours.
    pub fn lease_expires_at(&self) -> Option<Millis> {
        match self.state {
            LockState::Acquired(sent) | LockState::Held(sent) => Some(sent.saturating_add(self.config.lease_ms)),
            _ => None,
        }
    }

    /// The next step at `now`.
    pub fn next_action(&mut self, now: Millis) -> LockAction {
        match self.state {
            LockState::Waiting(until) if now < until => LockAction::WaitUntil(until),
            LockState::Ready | LockState::Waiting(_) => {
                self.state = LockState::Sent(now);
                self.attempts += 1;
                LockAction::SendSetNx {
                    key: self.lock_key.clone(),
                    token: self.token.as_str().to_owned(),
                    px_ms: self.config.lease_ms,
                }
            }
            LockState::Sent(_) => LockAction::AwaitReply,
            LockState::Acquired(sent) => {
                self.state = LockState::Held(sent);
                LockAction::ReRead
            }
            LockState::Held(_) => LockAction::Held,
            LockState::Released => LockAction::Released,
            LockState::GaveUp => LockAction::GiveUp(Error::new(
                ErrorKind::LockNotAcquired,
                format!("{} stayed held for {} ms ({} attempts)", self.lock_key, self.config.wait_ms, self.attempts),
            )),
        }
    }

    /// The reply to the outstanding `SET NX`, received at `now`. Without one outstanding,
    /// `invalid_argument` (a binding bug) and nothing changes.
    pub fn on_reply(&mut self, reply: LockReply, now: Millis) -> Result<()> {
        let LockState::Sent(sent) = self.state else {
            return err(ErrorKind::InvalidArgument, "lock reply without an outstanding SET NX");
        };
        self.state = match reply {
            LockReply::Acquired => LockState::Acquired(sent),
            // redis-py's rule: no wait whose next attempt would land past the deadline.
            LockReply::Busy => match now.checked_add(self.config.retry_ms) {
                Some(next) if next <= self.deadline() => LockState::Waiting(next),
                _ => LockState::GaveUp,
            },
        };
        Ok(())
    }

    /// The release command, if this attempt may hold the lock: after `Acquired`, or while a
    /// `SET NX` is outstanding (the binding is abandoning the attempt, e.g. cancelled or the
    /// reply was lost: the `SET` may have landed, and the script deletes only our own token).
    /// Handed out once; afterwards `None`, as it is for attempts that never sent a `SET NX`
    /// or gave up.
    pub fn release(&mut self) -> Option<ReleaseCommand> {
        match self.state {
            LockState::Sent(_) | LockState::Acquired(_) | LockState::Held(_) => {
                self.state = LockState::Released;
                Some(ReleaseCommand {
                    script: RELEASE_SCRIPT,
                    script_sha1: RELEASE_SCRIPT_SHA1,
                    key: self.lock_key.clone(),
                    token: self.token.as_str().to_owned(),
                })
            }
            LockState::Ready | LockState::Waiting(_) | LockState::Released | LockState::GaveUp => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
    use std::sync::{Condvar, Mutex};
    use std::time::{Duration, Instant};

    type Sf = SingleFlight<u64>;

    fn table(wait: u64) -> Sf {
        SingleFlight::new(SingleFlightConfig::new(wait).unwrap())
    }

    fn leader(f: Flight) -> FlightId {
        match f {
            Flight::Leader(id) => id,
            other => panic!("expected a leader, got {other:?}"),
        }
    }

    fn follower(f: Flight) -> (FlightId, WaiterId, Millis) {
        match f {
            Flight::Follower { flight, waiter, wait_until } => (flight, waiter, wait_until),
            other => panic!("expected a follower, got {other:?}"),
        }
    }

    fn ready(p: Result<Poll<u64>>) -> (FlightId, u64) {
        match p.unwrap() {
            Poll::Ready { flight, outcome } => (flight, *outcome.as_ref().as_ref().unwrap()),
            other => panic!("expected ready, got {other:?}"),
        }
    }

    #[test]
    fn send_and_sync() {
        fn check<X: Send + Sync>() {}
        check::<SingleFlight>();
        check::<SingleFlight<u64>>();
        check::<LockAttempt>();
    }

    #[test]
    fn leader_then_followers_share_one_outcome() {
        let sf = table(1000);
        let f = leader(sf.begin("k", 0));
        let (f1, w1, until1) = follower(sf.begin("k", 10));
        let (f2, w2, until2) = follower(sf.begin("k", 20));
        assert_eq!((f1, f2), (f, f));
        assert_eq!((until1, until2), (1000, 1000), "followers share the flight's deadline");
        assert!(matches!(sf.poll(w1, 30).unwrap(), Poll::Wait { flight, wait_until: 1000 } if flight == f));
        // Another key is independent.
        let g = leader(sf.begin("other", 30));
        assert_ne!(f, g);

        let wake = sf.complete(f, Ok(7));
        assert_eq!(wake, Wake { waiters: vec![w1, w2], stale: false });
        assert_eq!(ready(sf.poll(w1, 40)), (f, 7));
        assert_eq!(ready(sf.poll(w2, 40)), (f, 7));
        assert_eq!(sf.poll(w1, 40).unwrap_err().kind(), ErrorKind::InvalidArgument, "a waiter ends once");
        // The key is free again.
        let h = leader(sf.begin("k", 50));
        assert!(h > f);
        assert!(sf.complete(h, Ok(1)).waiters.is_empty());
        assert!(sf.complete(g, Ok(1)).waiters.is_empty());
        assert_eq!((sf.in_flight(), sf.waiters()), (0, 0));
    }

    #[test]
    fn errors_are_shared_outcomes() {
        let sf = table(1000);
        let f = leader(sf.begin("k", 0));
        let (_, w, _) = follower(sf.begin("k", 0));
        let _ = sf.complete(f, Err(Error::new(ErrorKind::Backend, "boom")));
        match sf.poll(w, 1).unwrap() {
            Poll::Ready { outcome, .. } => {
                assert_eq!(outcome.as_ref().as_ref().unwrap_err().kind(), ErrorKind::Backend)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn late_completion_cannot_wake_the_next_generation() {
        let sf = table(100);
        let stuck = leader(sf.begin("k", 0));
        let (_, w1, _) = follower(sf.begin("k", 10));
        let (_, w2, _) = follower(sf.begin("k", 20));
        // Before the deadline: keep waiting.
        assert!(matches!(sf.poll(w1, 99).unwrap(), Poll::Wait { wait_until: 100, .. }));
        // At the deadline the first follower to poll takes over as leader of a new flight…
        let g = match sf.poll(w1, 100).unwrap() {
            Poll::Lead(g) => g,
            other => panic!("{other:?}"),
        };
        assert!(g > stuck);
        // …and the other follower moved to it, with the new flight's deadline.
        assert!(matches!(sf.poll(w2, 101).unwrap(), Poll::Wait { flight, wait_until: 200 } if flight == g));
        // Newcomers join the new flight.
        let (fg, w3, _) = follower(sf.begin("k", 110));
        assert_eq!(fg, g);
        // The stuck leader finally completes: stale, wakes nobody, delivers nothing.
        assert_eq!(sf.complete(stuck, Ok(666)), Wake { waiters: vec![], stale: true });
        assert!(matches!(sf.poll(w2, 120).unwrap(), Poll::Wait { .. }));
        // The new generation delivers to its own followers.
        assert_eq!(sf.complete(g, Ok(42)).waiters, vec![w2, w3]);
        assert_eq!(ready(sf.poll(w2, 130)), (g, 42));
        assert_eq!(ready(sf.poll(w3, 130)), (g, 42));
        assert_eq!((sf.in_flight(), sf.waiters()), (0, 0));
    }

    #[test]
    fn a_newcomer_takes_over_an_expired_flight() {
        let sf = table(100);
        let stuck = leader(sf.begin("k", 0));
        let (_, w, _) = follower(sf.begin("k", 50));
        let g = leader(sf.begin("k", 100));
        assert_ne!(g, stuck);
        assert!(matches!(sf.poll(w, 100).unwrap(), Poll::Wait { flight, wait_until: 200 } if flight == g));
        assert!(sf.complete(stuck, Ok(1)).stale);
        assert_eq!(sf.complete(g, Ok(2)).waiters, vec![w]);
        assert_eq!(ready(sf.poll(w, 150)), (g, 2));
    }

    #[test]
    fn a_result_that_races_the_timer_is_delivered() {
        let sf = table(100);
        let f = leader(sf.begin("k", 0));
        let (_, w, _) = follower(sf.begin("k", 0));
        let _ = sf.complete(f, Ok(5));
        // The follower's timer fired after the completion but before it was woken.
        assert_eq!(ready(sf.poll(w, 500)), (f, 5));
    }

    #[test]
    fn abandon_promotes_the_oldest_follower() {
        let sf = table(100);
        let f = leader(sf.begin("k", 0));
        let (_, w1, _) = follower(sf.begin("k", 1));
        let (_, w2, _) = follower(sf.begin("k", 2));
        let wake = sf.abandon(f, 50);
        assert_eq!(wake.waiters, vec![w1]);
        let g = match sf.poll(w1, 51).unwrap() {
            Poll::Lead(g) => g,
            other => panic!("{other:?}"),
        };
        assert!(matches!(sf.poll(w2, 51).unwrap(), Poll::Wait { flight, wait_until: 150 } if flight == g));
        assert!(sf.abandon(f, 60).stale, "abandoning twice is stale");
        assert!(sf.complete(f, Ok(0)).stale);
        assert_eq!(sf.complete(g, Ok(9)).waiters, vec![w2]);
        assert_eq!(ready(sf.poll(w2, 70)), (g, 9));
        // Abandon without followers frees the key.
        let h = leader(sf.begin("k", 80));
        assert_eq!(sf.abandon(h, 81), Wake::default());
        assert_eq!(sf.in_flight(), 0);
    }

    #[test]
    fn cancel_leaves_and_passes_on_leadership() {
        let sf = table(100);
        let f = leader(sf.begin("k", 0));
        let (_, w1, _) = follower(sf.begin("k", 1));
        let (_, w2, _) = follower(sf.begin("k", 2));
        let (_, w3, _) = follower(sf.begin("k", 3));
        assert_eq!(sf.cancel(w3, 4), Wake::default());
        assert_eq!(sf.poll(w3, 4).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(sf.abandon(f, 5).waiters, vec![w1]);
        // The promoted follower cancels before polling: leadership passes to w2.
        assert_eq!(sf.cancel(w1, 6).waiters, vec![w2]);
        let g = match sf.poll(w2, 7).unwrap() {
            Poll::Lead(g) => g,
            other => panic!("{other:?}"),
        };
        assert!(sf.complete(g, Ok(1)).waiters.is_empty());
        assert_eq!(sf.cancel(WaiterId::from_u64(9999), 8), Wake::default());
        assert_eq!((sf.in_flight(), sf.waiters()), (0, 0));
    }

    #[test]
    fn forget_starts_a_new_flight_but_keeps_waiters() {
        let sf = table(100);
        let old = leader(sf.begin("k", 0));
        let (_, w_old, _) = follower(sf.begin("k", 1));
        sf.forget("k");
        let new = leader(sf.begin("k", 2));
        let (fnew, w_new, _) = follower(sf.begin("k", 3));
        assert_eq!(fnew, new);
        assert_eq!(sf.complete(old, Ok(1)).waiters, vec![w_old], "forgotten flights still deliver");
        assert_eq!(ready(sf.poll(w_old, 4)), (old, 1));
        assert_eq!(sf.complete(new, Ok(2)).waiters, vec![w_new]);
        assert_eq!(ready(sf.poll(w_new, 4)), (new, 2));

        // A forgotten flight without followers is dropped; its completion is stale.
        let a = leader(sf.begin("a", 10));
        let b = leader(sf.begin("b", 10));
        sf.forget_all();
        assert_eq!(sf.in_flight(), 0);
        assert!(sf.complete(a, Ok(0)).stale);
        assert!(sf.complete(b, Ok(0)).stale);
    }

    #[test]
    fn forgotten_flight_followers_join_the_newer_flight_on_expiry() {
        let sf = table(100);
        let old = leader(sf.begin("k", 0));
        let (_, w, _) = follower(sf.begin("k", 1));
        sf.forget("k");
        let new = leader(sf.begin("k", 50));
        assert!(matches!(sf.poll(w, 100).unwrap(), Poll::Wait { flight, wait_until: 150 } if flight == new));
        assert!(sf.complete(old, Ok(1)).stale);
        assert_eq!(sf.complete(new, Ok(2)).waiters, vec![w]);
    }

    #[test]
    fn try_lead_never_joins() {
        let sf = table(100);
        let f = sf.try_lead("k", 0).unwrap();
        assert_eq!(sf.try_lead("k", 1), None);
        let (ff, w, _) = follower(sf.begin("k", 2));
        assert_eq!(ff, f, "misses join the background refresh");
        let _ = sf.complete(f, Ok(3));
        assert_eq!(ready(sf.poll(w, 3)), (f, 3));
        assert!(sf.try_lead("k", 4).is_some());
        // An expired flight can be taken over by try_lead too.
        let sf = table(100);
        let stuck = sf.try_lead("x", 0).unwrap();
        assert!(sf.try_lead("x", 100).is_some_and(|g| g != stuck));
    }

    #[test]
    fn config_validation() {
        assert_eq!(SingleFlightConfig::new(0).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(SingleFlightConfig::default().follower_wait_ms(), 35_000);
        assert_eq!(LockConfig::new(0, 100, 5000).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(LockConfig::new(30_000, 0, 5000).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert!(LockConfig::new(30_000, 100, 0).is_ok());
        let d = LockConfig::default();
        assert_eq!((d.lease_ms(), d.retry_ms(), d.wait_ms()), (30_000, 100, 5_000));
        assert_eq!(FlightId::from_u64(3).as_u64(), 3);
        assert_eq!(WaiterId::from_u64(4).to_string(), "waiter#4");
        assert_eq!(FlightId::from_u64(5).to_string(), "flight#5");
    }

    /// A wake-up bell for the stress test: what a threaded binding would build from a
    /// condition variable.
    struct Bell {
        epoch: Mutex<u64>,
        cv: Condvar,
    }

    impl Bell {
        fn epoch(&self) -> u64 {
            *self.epoch.lock().unwrap()
        }
        fn ring(&self) {
            *self.epoch.lock().unwrap() += 1;
            self.cv.notify_all();
        }
        fn wait_past(&self, seen: u64) {
            let g = self.epoch.lock().unwrap();
            let _ = self.cv.wait_timeout_while(g, Duration::from_millis(2), |e| *e == seen).unwrap();
        }
    }

    /// N threads × M keys calling begin/complete (and, when `abandon_one_in` > 0, abandon).
    /// Asserts that no two computations of a key ever overlap, that every follower gets the
    /// outcome of its own key's flight, and, without abandons, of exactly the flight it joined.
    fn stress(abandon_one_in: u64) {
        const THREADS: usize = 8;
        const KEYS: u64 = 4;
        const ITERS: u64 = 1500;
        let sf: SingleFlight<u64> = SingleFlight::default();
        let active: Vec<AtomicU32> = (0..KEYS).map(|_| AtomicU32::new(0)).collect();
        let computations = AtomicUsize::new(0);
        let shared = AtomicUsize::new(0);
        let moved = AtomicUsize::new(0);
        let abandoned = AtomicUsize::new(0);
        let bell = Bell { epoch: Mutex::new(0), cv: Condvar::new() };
        let start = Instant::now();
        let seed = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
        let now = || start.elapsed().as_millis() as Millis;
        // The value a flight computes names the flight and the key.
        let value_of = |f: FlightId, key: u64| f.as_u64() << 8 | key;

        // Leader work: the computation must never overlap another one on the same key.
        let lead = |key: u64, f: FlightId, rng: &mut u64| {
            let k = key as usize;
            assert_eq!(active[k].fetch_add(1, Ordering::SeqCst), 0, "two computations of key {key} overlap");
            computations.fetch_add(1, Ordering::Relaxed);
            for _ in 0..(*rng % 4) {
                std::thread::yield_now();
            }
            assert_eq!(active[k].fetch_sub(1, Ordering::SeqCst), 1);
            *rng ^= *rng << 13;
            *rng ^= *rng >> 7;
            *rng ^= *rng << 17;
            let wake = if abandon_one_in > 0 && *rng % abandon_one_in == 0 {
                abandoned.fetch_add(1, Ordering::Relaxed);
                sf.abandon(f, now())
            } else {
                sf.complete(f, Ok(value_of(f, key)))
            };
            assert!(!wake.stale);
            if !wake.waiters.is_empty() {
                bell.ring();
            }
        };

        std::thread::scope(|s| {
            for t in 0..THREADS as u64 {
                let (sf, lead, bell, shared, moved, seed) = (&sf, &lead, &bell, &shared, &moved, &seed);
                s.spawn(move || {
                    let mut rng = seed.fetch_add(0x2545_f491_4f6c_dd1d, Ordering::Relaxed) | 1;
                    for i in 0..ITERS {
                        let key = (i * 7 + t) % KEYS;
                        let name = format!("key-{key}");
                        match sf.begin(&name, now()) {
                            Flight::Leader(f) => lead(key, f, &mut rng),
                            Flight::Follower { mut flight, waiter, .. } => loop {
                                let seen = bell.epoch();
                                match sf.poll(waiter, now()).unwrap() {
                                    Poll::Ready { flight: from, outcome } => {
                                        let v = *outcome.as_ref().as_ref().unwrap();
                                        assert_eq!(v, value_of(from, key), "outcome of another key or flight");
                                        if abandon_one_in == 0 {
                                            assert_eq!(from, flight, "outcome of a flight it did not join");
                                        } else {
                                            // Moved on by an abandon: only ever to a newer flight of its key.
                                            assert!(from >= flight);
                                            if from != flight {
                                                moved.fetch_add(1, Ordering::Relaxed);
                                            }
                                        }
                                        shared.fetch_add(1, Ordering::Relaxed);
                                        break;
                                    }
                                    Poll::Wait { flight: f, .. } => {
                                        flight = f;
                                        bell.wait_past(seen);
                                    }
                                    Poll::Lead(f) => {
                                        assert!(abandon_one_in > 0, "promoted without an abandon");
                                        lead(key, f, &mut rng);
                                        break;
                                    }
                                }
                            },
                        }
                    }
                });
            }
        });
        let (computed, shared) = (computations.load(Ordering::Relaxed), shared.load(Ordering::Relaxed));
        assert_eq!(computed + shared, THREADS * ITERS as usize);
        assert!(shared > 0, "no follower ever shared a flight");
        assert_eq!(abandoned.load(Ordering::Relaxed) > 0, abandon_one_in > 0);
        assert_eq!((sf.in_flight(), sf.waiters()), (0, 0));
        assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
    }

    #[test]
    fn stress_single_flight() {
        stress(0);
    }

    #[test]
    fn stress_single_flight_with_abandons() {
        stress(8);
    }

    // ----- fill lock -----

    #[test]
    fn release_script_sha1() {
        use sha1::{Digest, Sha1};
        assert_eq!(hex::encode(Sha1::digest(RELEASE_SCRIPT.as_bytes())), RELEASE_SCRIPT_SHA1);
    }

    #[test]
    fn tokens() {
        let t = LockToken::random().unwrap();
        assert_eq!(t.as_str().len(), 32);
        assert!(LockToken::parse(t.as_str()).is_ok());
        assert_ne!(LockToken::random().unwrap(), t);
        assert_eq!(LockToken::from_bytes([0xab; 16]).to_string(), "ab".repeat(16));
        for bad in
            ["", "AB".repeat(16).as_str(), "g".repeat(32).as_str(), "a".repeat(31).as_str(), "a".repeat(33).as_str()]
        {
            assert_eq!(LockToken::parse(bad).unwrap_err().kind(), ErrorKind::InvalidArgument, "{bad}");
        }
        assert_eq!(lock_key("ns:x:func:f"), "ns:x:func:f:lock");
    }

    #[test]
    fn lock_happy_path_with_reread() {
        let token = LockToken::from_bytes([7; 16]);
        let mut a = LockAttempt::new("k", token.clone(), 1000, LockConfig::default());
        assert_eq!(
            a.next_action(1000),
            LockAction::SendSetNx { key: "k:lock".into(), token: token.to_string(), px_ms: 30_000 }
        );
        assert_eq!(a.next_action(1001), LockAction::AwaitReply);
        assert!(a.release().is_some_and(|c| c.token == token.as_str()), "an outstanding SET may have landed");
        assert_eq!(a.on_reply(LockReply::Acquired, 1002).unwrap_err().kind(), ErrorKind::InvalidArgument);

        let mut a = LockAttempt::new("k", token.clone(), 1000, LockConfig::default());
        assert_eq!(a.release(), None, "nothing sent yet");
        let _ = a.next_action(1000);
        a.on_reply(LockReply::Busy, 1003).unwrap();
        assert_eq!(a.next_action(1050), LockAction::WaitUntil(1103));
        assert_eq!(a.release(), None, "busy: nothing to release");
        assert!(matches!(a.next_action(1103), LockAction::SendSetNx { .. }));
        a.on_reply(LockReply::Acquired, 1105).unwrap();
        assert!(a.is_held());
        assert_eq!(a.lease_expires_at(), Some(31_103));
        assert_eq!(a.next_action(1106), LockAction::ReRead);
        assert_eq!(a.next_action(1107), LockAction::Held);
        assert_eq!(a.attempts(), 2);
        let cmd = a.release().unwrap();
        assert_eq!(cmd.script, RELEASE_SCRIPT);
        assert_eq!(cmd.script_sha1, RELEASE_SCRIPT_SHA1);
        assert_eq!((cmd.key.as_str(), cmd.token.as_str()), ("k:lock", token.as_str()));
        assert_eq!(a.release(), None, "released once");
        assert_eq!(a.next_action(1108), LockAction::Released);
        assert!(!a.is_held());
    }

    #[test]
    fn lock_gives_up_like_redis_py() {
        let mut a = LockAttempt::new("k", LockToken::from_bytes([1; 16]), 0, LockConfig::default());
        let mut now = 0;
        let mut sends = vec![];
        loop {
            match a.next_action(now) {
                LockAction::SendSetNx { .. } => {
                    sends.push(now);
                    a.on_reply(LockReply::Busy, now).unwrap();
                }
                LockAction::WaitUntil(t) => now = t,
                LockAction::GiveUp(e) => {
                    assert_eq!(e.kind(), ErrorKind::LockNotAcquired);
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(sends, (0..=50).map(|i| i * 100).collect::<Vec<_>>(), "attempts at 0, 100, …, 5000 ms");
        assert_eq!(a.release(), None);
        // wait 0: exactly one attempt.
        let mut a = LockAttempt::new("k", LockToken::from_bytes([1; 16]), 0, LockConfig::new(30_000, 100, 0).unwrap());
        let _ = a.next_action(0);
        a.on_reply(LockReply::Busy, 0).unwrap();
        assert!(matches!(a.next_action(0), LockAction::GiveUp(_)));
        assert_eq!(a.attempts(), 1);
    }

    proptest! {
        #[test]
        fn random_tokens_are_32_lowercase_hex(bytes in any::<[u8; 16]>()) {
            let t = LockToken::from_bytes(bytes);
            prop_assert_eq!(t.as_str().len(), 32);
            prop_assert!(t.as_str().bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
            prop_assert_eq!(LockToken::parse(t.as_str()).unwrap(), t);
        }

        #[test]
        fn lock_attempt_state_machine(
            start in 0u64..1_000_000_000,
            replies in proptest::collection::vec(any::<bool>(), 0..80),
            latencies in proptest::collection::vec(0u64..400, 80),
            lags in proptest::collection::vec(0u64..50, 80),
            retry in 1u64..1000,
            wait in 0u64..10_000,
            lease in 1u64..60_000,
            bytes in any::<[u8; 16]>(),
            cancel_mid_flight in any::<bool>(),
        ) {
            let token = LockToken::from_bytes(bytes);
            let config = LockConfig::new(lease, retry, wait).unwrap();
            let mut a = LockAttempt::new("user:1", token.clone(), start, config);
            let deadline = start + wait;
            let mut now = start;
            let mut replies = replies.into_iter();
            let mut acquired = false;
            let mut step = 0usize;
            loop {
                step += 1;
                prop_assert!(step < 10_000);
                match a.next_action(now) {
                    LockAction::SendSetNx { key, token: t, px_ms } => {
                        prop_assert_eq!(key.as_str(), "user:1:lock");
                        prop_assert_eq!(t.as_str(), token.as_str());
                        prop_assert!(t.len() == 32 && t.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
                        prop_assert_eq!(px_ms, lease);
                        prop_assert!(a.attempts() as u64 <= wait / retry + 1, "too many attempts");
                        now += latencies[step % latencies.len()];
                        if cancel_mid_flight && step > 3 {
                            // The binding abandons with a SET outstanding: release with our token.
                            let cmd = a.release().unwrap();
                            prop_assert_eq!(cmd.token.as_str(), token.as_str());
                            prop_assert_eq!(a.release(), None);
                            break;
                        }
                        let reply = if replies.next().unwrap_or(false) { LockReply::Acquired } else { LockReply::Busy };
                        acquired = reply == LockReply::Acquired;
                        a.on_reply(reply, now).unwrap();
                    }
                    LockAction::WaitUntil(t) => {
                        prop_assert!(t <= deadline, "waits past the budget: {} > {}", t, deadline);
                        prop_assert!(t > start);
                        prop_assert!(a.release().is_none(), "release offered while not holding");
                        now = now.max(t) + lags[step % lags.len()];
                    }
                    LockAction::ReRead => {
                        prop_assert!(acquired);
                        prop_assert_eq!(a.next_action(now), LockAction::Held);
                        let cmd = a.release().unwrap();
                        prop_assert_eq!(cmd.token.as_str(), token.as_str());
                        prop_assert_eq!(cmd.key.as_str(), "user:1:lock");
                        prop_assert_eq!(a.release(), None);
                        prop_assert_eq!(a.next_action(now), LockAction::Released);
                        break;
                    }
                    LockAction::GiveUp(e) => {
                        prop_assert!(!acquired);
                        prop_assert_eq!(e.kind(), ErrorKind::LockNotAcquired);
                        prop_assert!(a.release().is_none(), "release script only for the token that acquired");
                        // Given up only when the next attempt would land past the budget.
                        prop_assert!(now + retry > deadline);
                        break;
                    }
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
            }
        }
    }
}
