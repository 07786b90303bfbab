//! One cache call as a state machine: [`Op`] says what it needs next ([`Step`]) and takes
//! back what happened (a reply, a computed value, the passing of time).

use std::sync::Arc;

use super::Engine;
use super::command::{Command, Reply, escape_glob};
use super::pins::L1Hit;
use crate::backpressure::{Admission, Ticket, Wait};
use crate::breaker::{Outcome as BreakerOutcome, Permit};
use crate::entry::{self, EntryOptions, Mode};
use crate::error::{Error, ErrorKind};
use crate::l1::EntryBytes;
use crate::metrics::Layer;
use crate::stampede::{Flight, FlightId, LockAction, LockAttempt, LockReply, Poll};
use crate::time::Millis;
use crate::ttl::Ttl;
use crate::value::Value;

/// What a call is about: the full Redis key and how its entry is made.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The full key in Redis (default-mode or interop key, every prefix included).
    pub key: String,
    /// The entry form; `None` uses the engine's.
    pub mode: Option<Mode>,
    /// Namespace the L1 indexes the entry under (for namespace invalidation).
    pub namespace: Option<String>,
    /// Expiry for writes; `None` uses the engine's default.
    pub ttl: Option<Ttl>,
    /// Tags for invalidation (writes only).
    pub tags: Vec<String>,
}

impl Request {
    /// A request for `key` with every other field defaulted.
    pub fn new(key: impl Into<String>) -> Request {
        Request { key: key.into(), mode: None, namespace: None, ttl: None, tags: Vec::new() }
    }
    /// Sets the entry form.
    pub fn mode(mut self, mode: Mode) -> Request {
        self.mode = Some(mode);
        self
    }
    /// Sets the L1 namespace.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Request {
        self.namespace = Some(namespace.into());
        self
    }
    /// Sets the TTL.
    pub fn ttl(mut self, ttl: Ttl) -> Request {
        self.ttl = Some(ttl);
        self
    }
    /// Sets the tags.
    pub fn tags(mut self, tags: Vec<String>) -> Request {
        self.tags = tags;
        self
    }
    /// The rules a request's parts follow beyond their types: its tags
    /// ([`check_tags`](crate::l1::check_tags), shared with L1). Bindings call it while reading a
    /// request, for an error at the call; the engine refuses a write that breaks it
    /// (`invalid_argument`).
    pub fn check(&self) -> crate::error::Result<()> {
        crate::l1::check_tags(&self.tags)
    }
}

/// What to invalidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalidate {
    /// One key.
    Key(String),
    /// Every key of a namespace: default-mode keys `ns:{name}:*`, or interop keys `{name}:*`.
    Namespace {
        /// The namespace.
        name: String,
        /// Which key family; `None` uses the engine's mode.
        mode: Option<Mode>,
    },
    /// Every key written with this tag.
    Tag(String),
}

/// An opaque handle of a sleeping caller. A binding parks the caller under this token and
/// wakes it (calls [`Op::resume`] early) when a later [`Step::wake`] lists the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WaitToken(u64);

const SLOT_BIT: u64 = 1 << 63;

impl WaitToken {
    pub(super) fn flight(w: crate::stampede::WaiterId) -> WaitToken {
        WaitToken(w.as_u64() & !SLOT_BIT)
    }
    fn slot(w: crate::backpressure::WaiterId) -> WaitToken {
        WaitToken(w.get() | SLOT_BIT)
    }
    /// The token as a number (for maps in bindings and the C ABI).
    pub fn get(self) -> u64 {
        self.0
    }
}

/// Where a hit came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The in-process L1 cache.
    L1,
    /// Redis.
    Redis,
    /// Another caller's computation in this process (single flight).
    Shared,
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// A cached value (`get`, `get_or_compute`).
    Hit {
        /// The value.
        value: Value,
        /// Where it came from.
        source: Source,
    },
    /// A hit as the JSON text of its value, when the engine hands hits out so
    /// ([`EngineConfig::json_hits`](super::EngineConfig::json_hits)) and JSON says the value
    /// exactly ([`crate::js_json`]); other hits are [`Outcome::Hit`].
    HitJson {
        /// The value as JSON text.
        json: String,
        /// Where it came from.
        source: Source,
    },
    /// Nothing readable was cached (`get`). Unreadable entries are misses too (counted).
    Miss,
    /// `get_or_compute` ran the computation; return the value the binding computed.
    Computed {
        /// True when the value was written to Redis.
        cached: bool,
    },
    /// `set` finished.
    Stored {
        /// True when the value reached Redis (it is in L1 either way, if L1 is on).
        redis: bool,
    },
    /// `delete` finished.
    Deleted {
        /// True when the key existed in L1 or Redis.
        existed: bool,
    },
    /// `exists` finished.
    Exists {
        /// True when the key is in L1 (a live entry) or in Redis (`EXISTS`). Nothing was
        /// decoded or decrypted: an entry that `get` would find unreadable still counts.
        found: bool,
    },
    /// `invalidate` finished.
    Invalidated {
        /// Entries deleted from Redis (tag sets, which are indexes, are not counted).
        redis_keys: u64,
    },
    /// The call failed (only where the call's contract says it throws: `set` of an
    /// unencodable value, `delete`/`invalidate` without Redis, a follower whose leader's
    /// computation failed, `get` with `fail_closed` on a decryption failure).
    Failed(Error),
}

/// What the binding must do next.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Execute the command (under [`Engine::command_timeout`]), then [`Op::on_reply`].
    Send(Command),
    /// Run the caller's computation, then [`Op::on_computed`].
    Compute,
    /// Park until `until` or until a later step's `wake` lists `token`, then [`Op::resume`].
    Sleep {
        /// Deadline.
        until: Millis,
        /// The token another step may list to wake this caller early.
        token: Option<WaitToken>,
    },
    /// The operation is over.
    Done(Outcome),
}

/// One step: callers to wake (from this or other operations) and the next action.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Parked callers to wake now.
    pub wake: Vec<WaitToken>,
    /// What this operation needs.
    pub action: Action,
}

/// Keys per `DEL` when an invalidation deletes many (a tag's members): one command of a
/// million keys would hold Redis (single-threaded) for the whole deletion.
const DEL_BATCH: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Get,
    Set,
    GetOrCompute,
    Delete,
    Invalidate,
    Exists,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// Single-flight follower waiting for its leader.
    Follow(crate::stampede::WaiterId),
    /// Read the key from Redis.
    Read,
    /// Ask Redis whether the key exists.
    Exists,
    /// Reset the TTL after a hit (TTL refresh on hit).
    Refresh(u64),
    /// Drive the fill lock.
    Lock,
    /// Read again after acquiring the lock (or giving up on it).
    ReRead,
    /// Waiting for the caller's computation.
    Compute,
    /// Write the stored bytes.
    Write,
    /// Add the key to its tag sets (one per step).
    Tag,
    /// Release the fill lock.
    Release,
    /// Delete keys, [`DEL_BATCH`] at a time from the offset (shared: a step clones the phase).
    Delete(Arc<[String]>, usize),
    /// Delete a pattern.
    Scan(String),
    /// Read a tag set's members.
    Members(String),
    /// Delete an unreadable entry, then finish (`Get`) or go on as after a miss.
    Purge,
    /// Report the outcome.
    Finish,
}

/// A command on the wire, with what must be settled when its reply comes.
#[derive(Debug)]
struct InFlight {
    sent_at: Millis,
    permit: Permit,
    /// The backpressure slot; `None` for a lock release, which never waits for one.
    ticket: Option<Ticket>,
}

/// A command waiting for a backpressure slot.
#[derive(Debug)]
struct Queued {
    command: Command,
    permit: Permit,
    waiter: crate::backpressure::WaiterId,
}

/// One cache call in progress. Holds no borrow of the engine: store it across awaits.
#[derive(Debug)]
pub struct Op {
    kind: Kind,
    key: String,
    mode: Mode,
    namespace: Option<String>,
    ttl: Ttl,
    tags: Vec<String>,
    pending_tags: Vec<String>,
    started: Millis,
    phase: Phase,
    inflight: Option<InFlight>,
    queued: Option<Queued>,
    leader: Option<FlightId>,
    lock: Option<LockAttempt>,
    stored: Option<Arc<[u8]>>,
    outcome: Option<Outcome>,
    redis_down: bool,
    /// A background refresh: no reads, one lock attempt, give up quietly.
    force: bool,
    /// A hit that drew an early refresh (XFetch).
    refresh_ahead: bool,
    compute_started: Millis,
    wake: Vec<WaitToken>,
    done: bool,
    /// The last refusal by the breaker or the limiter, until the binding takes it.
    rejected: Option<Error>,
    /// The last failure absorbed (unreadable entry, unencodable value, lock given up), until
    /// the binding takes it ([`Op::take_absorbed`]).
    absorbed: Option<Error>,
    /// The pending `DEL` includes a tag set that exists: its reply counts one key that is an
    /// index, not an entry.
    deletes_index: bool,
    /// The L1 entry an L1 hit decoded, until the binding takes it ([`Op::take_l1_hit`]).
    l1_hit: Option<EntryBytes>,
}

enum Gate {
    Go(Action),
    Unavailable(Error),
}

impl Op {
    fn new(engine: &Engine, kind: Kind, req: Request, now: Millis) -> Op {
        Op {
            kind,
            mode: req.mode.unwrap_or(engine.config.mode),
            ttl: req.ttl.unwrap_or_else(|| engine.config.default_ttl()),
            pending_tags: req.tags.clone(),
            tags: req.tags,
            key: req.key,
            namespace: req.namespace,
            started: now,
            phase: Phase::Finish,
            inflight: None,
            queued: None,
            leader: None,
            lock: None,
            stored: None,
            outcome: None,
            redis_down: false,
            force: false,
            refresh_ahead: false,
            compute_started: now,
            wake: Vec::new(),
            done: false,
            rejected: None,
            absorbed: None,
            deletes_index: false,
            l1_hit: None,
        }
    }

    fn options<'a>(&'a self, engine: &'a Engine) -> EntryOptions<'a> {
        EntryOptions {
            mode: self.mode,
            cache_key: &self.key,
            keyring: engine.keyring.as_ref(),
            max_value_bytes: engine.config.max_value_bytes,
        }
    }

    pub(super) fn start_get(engine: &Engine, req: Request, now: Millis) -> (Op, Step) {
        let mut op = Op::new(engine, Kind::Get, req, now);
        if let Some(hit) = op.l1_lookup(engine, now) {
            op.finish(hit);
        } else {
            op.phase = Phase::Read;
        }
        let step = op.run(engine, now);
        (op, step)
    }

    pub(super) fn start_exists(engine: &Engine, req: Request, now: Millis) -> (Op, Step) {
        let mut op = Op::new(engine, Kind::Exists, req, now);
        if engine.l1.as_ref().is_some_and(|l1| l1.contains(&op.key, now)) {
            op.finish(Outcome::Exists { found: true });
        } else {
            op.phase = Phase::Exists;
        }
        let step = op.run(engine, now);
        (op, step)
    }

    pub(super) fn start_set(engine: &Engine, req: Request, value: &Value, now: Millis) -> (Op, Step) {
        let checked = req.check();
        let mut op = Op::new(engine, Kind::Set, req, now);
        match checked.and_then(|()| entry::encode(value, &op.options(engine))) {
            Ok(bytes) => {
                op.stored = Some(bytes.into());
                op.l1_store(engine, now, None);
                op.phase = Phase::Write;
            }
            Err(e) => {
                engine.metrics.record_error(e.kind());
                op.finish(Outcome::Failed(e));
            }
        }
        let step = op.run(engine, now);
        (op, step)
    }

    pub(super) fn start_get_or_compute(engine: &Engine, req: Request, now: Millis) -> (Op, Step) {
        let checked = req.check();
        let mut op = Op::new(engine, Kind::GetOrCompute, req, now);
        if let Err(e) = checked {
            op.finish(Outcome::Failed(e));
        } else if let Some(hit) = op.l1_lookup(engine, now) {
            op.finish(hit);
        } else {
            match engine.flights.begin(&op.key, now) {
                Flight::Leader(f) => {
                    op.leader = Some(f);
                    op.phase = Phase::Read;
                }
                Flight::Follower { waiter, .. } => op.phase = Phase::Follow(waiter),
            }
        }
        let step = op.run(engine, now);
        (op, step)
    }

    pub(super) fn start_refresh(engine: &Engine, req: Request, now: Millis) -> (Op, Step) {
        let mut op = Op::new(engine, Kind::GetOrCompute, req, now);
        op.force = true;
        match engine.flights.try_lead(&op.key, now) {
            None => op.finish(Outcome::Miss),
            Some(f) => {
                op.leader = Some(f);
                // One attempt: a busy lock means another process is refreshing.
                let lease = engine.config.lock.map_or(crate::stampede::LockConfig::DEFAULT_LEASE_MS, |l| l.lease_ms());
                op.phase =
                    match crate::stampede::LockConfig::new(lease, crate::stampede::LockConfig::DEFAULT_RETRY_MS, 0)
                        .and_then(|cfg| LockAttempt::with_random_token(&op.key, now, cfg))
                    {
                        Ok(lock) if engine.config.lock.is_some() => {
                            op.lock = Some(lock);
                            Phase::Lock
                        }
                        _ => Phase::Compute,
                    };
            }
        }
        let step = op.run(engine, now);
        (op, step)
    }

    pub(super) fn start_delete(engine: &Engine, req: Request, now: Millis) -> (Op, Step) {
        let mut op = Op::new(engine, Kind::Delete, req, now);
        let in_l1 = engine.l1.as_ref().is_some_and(|l1| l1.remove(&op.key));
        engine.flights.forget(&op.key);
        op.outcome = Some(Outcome::Deleted { existed: in_l1 });
        op.phase = Phase::Delete(Arc::from([op.key.clone()]), 0);
        let step = op.run(engine, now);
        (op, step)
    }

    pub(super) fn start_invalidate(engine: &Engine, target: Invalidate, now: Millis) -> (Op, Step) {
        let key = match &target {
            Invalidate::Key(k) => k.clone(),
            Invalidate::Namespace { name, .. } | Invalidate::Tag(name) => name.clone(),
        };
        let mut op = Op::new(engine, Kind::Invalidate, Request::new(key), now);
        op.outcome = Some(Outcome::Invalidated { redis_keys: 0 });
        op.phase = match target {
            Invalidate::Key(k) => {
                if let Some(l1) = &engine.l1 {
                    l1.remove(&k);
                }
                engine.flights.forget(&k);
                Phase::Delete(Arc::from([k]), 0)
            }
            Invalidate::Namespace { name, mode } => {
                let mode = mode.unwrap_or(engine.config.mode);
                // An invalid interop namespace would match other keys: `ns` every default-mode
                // entry, the empty one every key starting with `:`.
                let checked = match mode {
                    Mode::Interop => crate::keys::validate_interop_namespace(&name),
                    Mode::Default { .. } => Ok(()),
                };
                match checked {
                    Err(e) => {
                        op.outcome = Some(Outcome::Failed(e));
                        Phase::Finish
                    }
                    Ok(()) => {
                        if let Some(l1) = &engine.l1 {
                            l1.invalidate_namespace(&name);
                        }
                        engine.flights.forget_all();
                        match mode {
                            Mode::Interop => Phase::Scan(format!("{}:*", escape_glob(&name))),
                            Mode::Default { .. } => Phase::Scan(format!("ns:{}:*", escape_glob(&name))),
                        }
                    }
                }
            }
            Invalidate::Tag(tag) => {
                if let Some(l1) = &engine.l1 {
                    l1.invalidate_tag(&tag);
                }
                engine.flights.forget_all();
                Phase::Members(format!("{}{tag}", engine.config.tag_prefix))
            }
        };
        let step = op.run(engine, now);
        (op, step)
    }

    /// Reports the reply to the command of the last [`Action::Send`], received at `now`.
    pub fn on_reply(&mut self, engine: &Engine, reply: Reply, now: Millis) -> Step {
        let Some(sent) = self.inflight.take() else {
            return self.bug(engine, now, "on_reply without an outstanding command");
        };
        self.settle(engine, sent, &reply, now);
        let class = reply.error_class();
        if class == Some(crate::breaker::ErrorClass::Permanent) && self.phase == Phase::Tag {
            // Redis refused one tag set's commands (a key of the wrong type; EXPIRE NX/GT before
            // Redis 7.0): the binding reports it, and the entry's other tags still get theirs.
            return self.run(engine, now);
        }
        if let Some(class) = class {
            let kind = class.error_kind();
            let e = Error::new(
                kind,
                match &reply {
                    Reply::Error(m) => m.clone(),
                    _ => "Redis did not answer before the timeout".to_owned(),
                },
            );
            self.redis_failed(engine, e, now);
        } else {
            self.handle_reply(engine, reply, now);
        }
        self.run(engine, now)
    }

    /// Reports the caller's computation: the value (to cache and share) or its failure (the
    /// binding rethrows its own exception for this caller; followers get `compute_failed`).
    pub fn on_computed(&mut self, engine: &Engine, result: Result<&Value, String>, now: Millis) -> Step {
        if self.phase != Phase::Compute {
            return self.bug(engine, now, "on_computed without an Action::Compute");
        }
        engine.observe_compute(now.saturating_sub(self.compute_started));
        match result {
            Ok(value) => match entry::encode(value, &self.options(engine)) {
                Ok(bytes) => {
                    self.stored = Some(bytes.into());
                    self.l1_store(engine, now, None);
                    self.outcome = Some(Outcome::Computed { cached: false });
                    self.phase = if self.redis_down { Phase::Release } else { Phase::Write };
                }
                Err(e) => {
                    // The value is still the caller's answer; it just cannot be cached.
                    engine.metrics.record_error(e.kind());
                    self.absorbed = Some(e);
                    self.outcome = Some(Outcome::Computed { cached: false });
                    self.phase = Phase::Release;
                }
            },
            Err(message) => {
                let e = Error::new(ErrorKind::ComputeFailed, message);
                if let Some(f) = self.leader.take() {
                    self.wake_flight(engine.flights.complete(f, Err(e.clone())));
                }
                self.outcome = Some(Outcome::Failed(e));
                self.phase = Phase::Release;
            }
        }
        self.run(engine, now)
    }

    /// Continues after an [`Action::Sleep`] (its deadline passed or its token was woken).
    pub fn resume(&mut self, engine: &Engine, now: Millis) -> Step {
        self.run(engine, now)
    }

    /// Abandons the operation (the caller went away): settles every wait and slot it holds and
    /// returns who to wake plus, when a fill lock may be held, the release to fire and forget.
    pub fn abandon(&mut self, engine: &Engine, now: Millis) -> (Vec<WaitToken>, Option<Command>) {
        if let Some(sent) = self.inflight.take() {
            engine.breaker.record(sent.permit, BreakerOutcome::Neutral, now);
            if let Some(w) = sent.ticket.and_then(|t| engine.limiter.release(t, now)) {
                self.wake.push(WaitToken::slot(w));
            }
        }
        if let Some(q) = self.queued.take() {
            engine.breaker.record(q.permit, BreakerOutcome::Neutral, now);
            if let Some(w) = engine.limiter.cancel(q.waiter, now) {
                self.wake.push(WaitToken::slot(w));
            }
        }
        if let Phase::Follow(waiter) = self.phase {
            self.wake_flight(engine.flights.cancel(waiter, now));
        }
        if let Some(f) = self.leader.take() {
            self.wake_flight(engine.flights.abandon(f, now));
        }
        let release = self.lock.as_mut().and_then(LockAttempt::release).map(|r| Command::EvalRelease {
            script: r.script,
            sha1: r.script_sha1,
            key: r.key,
            token: r.token,
        });
        self.done = true;
        self.phase = Phase::Finish;
        (std::mem::take(&mut self.wake), release)
    }

    /// True when this `get_or_compute` hit drew an early refresh (XFetch): serve the value,
    /// and start [`Engine::refresh`] for the same request in the background.
    pub fn refresh_ahead(&self) -> bool {
        self.refresh_ahead
    }

    /// The refusal of a command by the circuit breaker (`circuit_open`) or backpressure
    /// (`overloaded`) since the last call, if any, for the binding's error hook. The
    /// operation degraded as its contract says (a miss, a computation without the cache);
    /// the refusal is counted in the metrics either way.
    pub fn take_rejected(&mut self) -> Option<Error> {
        self.rejected.take()
    }

    /// The cache-layer failure this operation absorbed since the last call, if any, for the
    /// binding's error hook: an entry it read but could not decode, verify or decrypt (a miss;
    /// purged when [`EngineConfig::delete_unreadable`](super::EngineConfig::delete_unreadable)),
    /// a computed value it could not encode (the caller still gets the value, uncached), an
    /// entry L1 could not keep, or a fill lock given up on (the value is computed without it).
    /// Counted in the metrics either way; this is what makes it visible in logs.
    pub fn take_absorbed(&mut self) -> Option<Error> {
        self.absorbed.take()
    }

    /// Whether `step`, this operation's latest, does nothing but read the operation's own key
    /// from Redis: `Some(false)` for [`Command::Get`], `Some(true)` for [`Command::GetWithTtl`],
    /// with nobody to wake and no refusal to report. A binding may then send that command
    /// without building the step (the fast path of a `get` that missed L1: the caller knows the
    /// key it asked for).
    pub fn plain_read(&self, step: &Step) -> Option<bool> {
        if !step.wake.is_empty() || self.rejected.is_some() || self.absorbed.is_some() {
            return None;
        }
        match &step.action {
            Action::Send(Command::Get { key }) if *key == self.key => Some(false),
            Action::Send(Command::GetWithTtl { key }) if *key == self.key => Some(true),
            _ => None,
        }
    }

    /// After an L1 hit, the entry it decoded, with its key, for [`super::Pins::pin`]: a binding
    /// that keeps the decoded value can later ask whether L1 still holds exactly this entry
    /// instead of decoding again. `None` for every other outcome.
    pub fn take_l1_hit(&mut self) -> Option<L1Hit> {
        let entry = self.l1_hit.take()?;
        Some(L1Hit::new(self.key.clone(), entry))
    }

    /// True once [`Action::Done`] was returned or the operation was abandoned.
    pub fn is_done(&self) -> bool {
        self.done
    }

    // ------------------------------------------------------------------ internals

    fn bug(&mut self, engine: &Engine, now: Millis, what: &'static str) -> Step {
        self.finish(Outcome::Failed(Error::new(ErrorKind::Internal, format!("binding protocol error: {what}"))));
        self.phase = Phase::Finish;
        self.run(engine, now)
    }

    fn finish(&mut self, outcome: Outcome) {
        self.outcome = Some(outcome);
        self.phase = Phase::Finish;
    }

    fn wake_flight(&mut self, wake: crate::stampede::Wake) {
        self.wake.extend(wake.waiters.into_iter().map(WaitToken::flight));
    }

    /// The outcome of a hit on `bytes`: [`Outcome::HitJson`] when the engine hands hits out as
    /// JSON and JSON says the value exactly, else [`Outcome::Hit`]; an error when they cannot
    /// be read.
    fn hit(&self, engine: &Engine, bytes: &[u8], source: Source) -> Result<Outcome, Error> {
        let opts = self.options(engine);
        if !engine.config.json_hits {
            return entry::decode(bytes, &opts).map(|value| Outcome::Hit { value, source });
        }
        Ok(match entry::decode_js(bytes, &opts)? {
            entry::JsDecoded::Json(json) => Outcome::HitJson { json, source },
            entry::JsDecoded::Value(value) => Outcome::Hit { value, source },
        })
    }

    /// The L1 hit's outcome, if L1 holds a readable entry for the key.
    fn l1_lookup(&mut self, engine: &Engine, now: Millis) -> Option<Outcome> {
        let l1 = engine.l1.as_ref()?;
        let Some(bytes) = l1.get(&self.key, now) else {
            engine.metrics.record_miss(Layer::L1);
            return None;
        };
        match self.hit(engine, &bytes, Source::L1) {
            Ok(hit) => {
                engine.metrics.record_hit(Layer::L1);
                self.l1_hit = Some(bytes);
                Some(hit)
            }
            Err(e) => {
                // Only reachable if the configuration changed under the same key (mode, key).
                engine.metrics.record_error(e.kind());
                self.absorbed = Some(e);
                l1.remove(&self.key);
                None
            }
        }
    }

    /// Puts the stored bytes in L1. `remaining_secs` is Redis's `TTL` of the entry when it was
    /// just read (−1: no expiry, −2: gone); the L1 copy never outlives the Redis entry, nor,
    /// with stale-while-revalidate, its fresh part.
    fn l1_store(&mut self, engine: &Engine, now: Millis, remaining_secs: Option<i64>) {
        let (Some(l1), Some(bytes)) = (&engine.l1, &self.stored) else { return };
        let configured = self.ttl.millis();
        let live_ms = match remaining_secs {
            None | Some(-1) => configured,
            Some(r) if r < 0 => Some(0),
            Some(r) => {
                let fresh = (r as u64).saturating_sub(engine.config.stale_while_revalidate.unwrap_or(0));
                Some(fresh.saturating_mul(1000).min(configured.unwrap_or(u64::MAX)))
            }
        };
        let ttl_ms = match live_ms {
            Some(ms) => crate::l1::python_l1_ttl_ms(ms),
            None => Some(crate::l1::NO_EXPIRY),
        };
        let Some(ttl_ms) = ttl_ms else {
            l1.remove(&self.key);
            return;
        };
        let tags: Vec<&str> = self.tags.iter().map(String::as_str).collect();
        let stored = match &self.namespace {
            Some(ns) if !ns.is_empty() => l1.insert_in(ns, &self.key, &bytes[..], ttl_ms, now, &tags),
            _ => l1.insert(&self.key, &bytes[..], ttl_ms, now, &tags),
        };
        if let Err(e) = stored
            && e.kind() != ErrorKind::ValueTooLarge
        {
            engine.metrics.record_error(e.kind());
            self.absorbed = Some(e);
        }
    }

    /// The `EX` the entry is written with: its TTL plus the stale-while-revalidate grace,
    /// capped where Redis would refuse the expiry; `None` for an entry that never expires.
    fn stored_ttl_secs(&self, engine: &Engine) -> Option<u64> {
        let grace = engine.config.stale_while_revalidate.unwrap_or(0);
        self.ttl.secs().map(|s| s.saturating_add(grace).min(crate::ttl::MAX_TTL_SECS))
    }

    /// Asks breaker and limiter for permission to send `command`.
    fn gate(&mut self, engine: &Engine, command: Command, now: Millis) -> Gate {
        let permit = match engine.breaker.try_acquire(now) {
            Ok(p) => p,
            Err(e) => return Gate::Unavailable(e),
        };
        // A fill-lock release skips backpressure: refused, it would leave the lock to its lease
        // and every other writer of the key waiting out its lock wait, which is more load, not
        // less. (An open breaker still refuses it: Redis is presumed down.)
        if matches!(command, Command::EvalRelease { .. }) {
            self.inflight = Some(InFlight { sent_at: now, permit, ticket: None });
            return Gate::Go(Action::Send(command));
        }
        match engine.limiter.admit(now) {
            Admission::Run(ticket) => {
                self.inflight = Some(InFlight { sent_at: now, permit, ticket: Some(ticket) });
                Gate::Go(Action::Send(command))
            }
            Admission::Queue { waiter, deadline } => {
                self.queued = Some(Queued { command, permit, waiter });
                Gate::Go(Action::Sleep { until: deadline, token: Some(WaitToken::slot(waiter)) })
            }
            Admission::Reject(e) => {
                engine.breaker.record(permit, BreakerOutcome::Neutral, now);
                Gate::Unavailable(e)
            }
        }
    }

    /// Continues a command that waited for a slot.
    fn poll_queued(&mut self, engine: &Engine, now: Millis) -> Option<Gate> {
        let q = self.queued.take()?;
        Some(match engine.limiter.poll(q.waiter, now) {
            Wait::Ready(ticket) => {
                self.inflight = Some(InFlight { sent_at: now, permit: q.permit, ticket: Some(ticket) });
                Gate::Go(Action::Send(q.command))
            }
            Wait::Waiting { deadline } => {
                let token = WaitToken::slot(q.waiter);
                self.queued = Some(q);
                Gate::Go(Action::Sleep { until: deadline, token: Some(token) })
            }
            Wait::Rejected(e) => {
                engine.breaker.record(q.permit, BreakerOutcome::Neutral, now);
                Gate::Unavailable(e)
            }
        })
    }

    /// Returns the slot, feeds the breaker, the adaptive timeout and metrics.
    fn settle(&mut self, engine: &Engine, sent: InFlight, reply: &Reply, now: Millis) {
        let latency = now.saturating_sub(sent.sent_at) as f64;
        engine.timeout.observe(latency, now);
        let outcome = match reply.error_class() {
            None => BreakerOutcome::Success,
            Some(class) => {
                engine.metrics.record_error(class.error_kind());
                BreakerOutcome::from(class)
            }
        };
        engine.breaker.record(sent.permit, outcome, now);
        if let Some(w) = sent.ticket.and_then(|t| engine.limiter.release(t, now)) {
            self.wake.push(WaitToken::slot(w));
        }
    }

    /// Redis could not be used for the current phase: degrade as the call's contract says.
    /// Backend failures were counted when their reply was settled; refusals by the breaker or
    /// the limiter are counted here.
    fn redis_failed(&mut self, engine: &Engine, e: Error, now: Millis) {
        if matches!(e.kind(), ErrorKind::CircuitOpen | ErrorKind::Overloaded) {
            engine.metrics.record_error(e.kind());
            self.rejected = Some(e.clone());
        }
        if self.phase == Phase::Purge {
            // The purge only spares a failing computation the unreadable entry: go on as after
            // it (a write replaces the entry; a Redis that is really down shows up next).
            self.phase = self.after_purge(engine, now);
            return;
        }
        self.redis_down = true;
        self.phase = match (&self.phase, self.kind) {
            (Phase::Read, Kind::Get) => {
                engine.metrics.record_miss(Layer::Redis);
                self.outcome = Some(Outcome::Miss);
                Phase::Finish
            }
            (Phase::Read | Phase::Lock | Phase::ReRead, _) => Phase::Compute,
            (Phase::Exists, _) => {
                self.outcome = Some(Outcome::Exists { found: false });
                Phase::Finish
            }
            (Phase::Refresh(_) | Phase::Release, _) => Phase::Finish,
            (Phase::Write, Kind::Set) => {
                self.outcome = Some(Outcome::Stored { redis: false });
                Phase::Finish
            }
            (Phase::Write | Phase::Tag, _) => Phase::Release,
            (Phase::Delete(..) | Phase::Scan(_) | Phase::Members(_), _) => {
                self.outcome = Some(Outcome::Failed(e));
                Phase::Finish
            }
            (other, _) => other.clone(),
        };
    }

    fn handle_reply(&mut self, engine: &Engine, reply: Reply, now: Millis) {
        match self.phase.clone() {
            Phase::Read | Phase::ReRead => self.on_read(engine, reply, now),
            Phase::Exists => {
                self.outcome = Some(Outcome::Exists { found: matches!(reply, Reply::Int(n) if n > 0) });
                self.phase = Phase::Finish;
            }
            Phase::Lock => {
                let r = match reply {
                    Reply::Ok => LockReply::Acquired,
                    _ => LockReply::Busy,
                };
                if let Some(lock) = &mut self.lock
                    && lock.on_reply(r, now).is_err()
                {
                    self.phase = Phase::Compute;
                }
            }
            Phase::Write => {
                if let Some(Outcome::Computed { cached }) = &mut self.outcome {
                    *cached = true;
                }
                if self.kind == Kind::Set {
                    self.outcome = Some(Outcome::Stored { redis: true });
                }
                self.phase = Phase::Tag;
            }
            Phase::Tag => self.phase = Phase::Tag,
            Phase::Refresh(_) => self.phase = Phase::Finish,
            Phase::Purge => self.phase = self.after_purge(engine, now),
            Phase::Release => self.phase = Phase::Finish,
            phase @ (Phase::Delete(..) | Phase::Scan(_)) => {
                let n = match reply {
                    Reply::Int(n) => n.max(0) as u64,
                    _ => 0,
                };
                // Entries deleted: a tag set deleted with its members is not one.
                let n = if std::mem::take(&mut self.deletes_index) { n.saturating_sub(1) } else { n };
                self.outcome = Some(match self.outcome.take() {
                    Some(Outcome::Deleted { existed }) => Outcome::Deleted { existed: existed || n > 0 },
                    Some(Outcome::Invalidated { redis_keys }) => Outcome::Invalidated { redis_keys: redis_keys + n },
                    other => other.unwrap_or(Outcome::Invalidated { redis_keys: n }),
                });
                self.phase = match phase {
                    Phase::Delete(keys, at) if at + DEL_BATCH < keys.len() => Phase::Delete(keys, at + DEL_BATCH),
                    _ => Phase::Finish,
                };
            }
            Phase::Members(set_key) => {
                let mut keys: Vec<String> = match reply {
                    Reply::Array(items) => items
                        .into_iter()
                        .filter_map(|r| match r {
                            Reply::Bytes(b) => String::from_utf8(b).ok(),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                if let Some(l1) = &engine.l1 {
                    for k in &keys {
                        l1.remove(k);
                    }
                }
                // A set Redis returned members of exists (Redis drops empty sets). It goes in the
                // first DEL: the reply that counts it is then the one `deletes_index` corrects,
                // and a writer tagging a new entry meanwhile starts a new set, not one about to
                // be deleted.
                self.deletes_index = !keys.is_empty();
                keys.insert(0, set_key);
                self.phase = Phase::Delete(keys.into(), 0);
            }
            Phase::Follow(_) | Phase::Compute | Phase::Finish => {}
        }
    }

    /// A `GET` (or `GET`+`TTL`) reply in the read or re-read phase.
    fn on_read(&mut self, engine: &Engine, reply: Reply, now: Millis) {
        let (bytes, remaining) = match reply {
            Reply::Array(mut parts) if parts.len() == 2 => {
                let remaining = match parts.pop() {
                    Some(Reply::Int(t)) => Some(t),
                    _ => None,
                };
                (parts.pop().unwrap_or(Reply::Nil), remaining)
            }
            other => (other, None),
        };
        let bytes = match bytes {
            Reply::Bytes(b) => Some(b),
            _ => None,
        };
        let mut unreadable = false;
        if let Some(b) = bytes {
            match self.hit(engine, &b, Source::Redis) {
                Ok(hit) => {
                    engine.metrics.record_hit(Layer::Redis);
                    // Kept only for L1 and followers: a plain read hands out the decoded hit.
                    if engine.l1.is_some() || self.leader.is_some() {
                        self.stored = Some(b.into());
                    }
                    self.l1_store(engine, now, remaining);
                    self.outcome = Some(hit);
                    if let Some(f) = self.leader.take() {
                        let shared = self.stored.clone().expect("just stored");
                        self.wake_flight(engine.flights.complete(f, Ok(shared)));
                    }
                    if let (Kind::GetOrCompute, Some(x), Some(rem)) =
                        (self.kind, engine.config.early_refresh, remaining)
                        && rem > 0
                    {
                        let expiry = now.saturating_add((rem as u64).saturating_mul(1000));
                        let delta = engine.compute_ms.load(std::sync::atomic::Ordering::Relaxed);
                        self.refresh_ahead =
                            crate::refresh::UnitRand::random().is_ok_and(|r| x.should_refresh(now, expiry, delta, r));
                    }
                    if let (Kind::GetOrCompute, Some(grace), Some(rem)) =
                        (self.kind, engine.config.stale_while_revalidate, remaining)
                        && rem >= 0
                        && (rem as u64) <= grace
                    {
                        self.refresh_ahead = true; // stale: serve it, refresh in the background
                    }
                    let refresh = match (engine.config.ttl_refresh, remaining) {
                        (Some(r), Some(rem)) => r.expire_secs(self.ttl, rem),
                        _ => None,
                    };
                    self.phase = match refresh {
                        Some(secs) => Phase::Refresh(secs),
                        None if self.lock.is_some() => Phase::Release,
                        None => Phase::Finish,
                    };
                    return;
                }
                Err(e) => {
                    engine.metrics.record_error(e.kind());
                    if self.kind == Kind::Get && engine.config.fail_closed && e.kind() == ErrorKind::DecryptionFailed {
                        self.outcome = Some(Outcome::Failed(e));
                        self.phase = Phase::Finish;
                        return;
                    }
                    self.absorbed = Some(e);
                    unreadable = true;
                }
            }
        }
        engine.metrics.record_miss(Layer::Redis);
        let purge = unreadable && engine.config.delete_unreadable;
        self.phase = match (self.kind, &self.phase) {
            (Kind::Get, _) => {
                self.outcome = Some(Outcome::Miss);
                if purge { Phase::Purge } else { Phase::Finish }
            }
            // A miss after (or instead of) the lock: compute; the write replaces any bad entry.
            (_, Phase::ReRead) => Phase::Compute,
            // The unreadable entry goes first (should the computation fail, it would stay).
            _ if purge => Phase::Purge,
            _ => self.lock_or_compute(engine, now),
        };
    }

    /// After the purge of an unreadable entry, done or failed: `Get` is finished (a miss),
    /// `GetOrCompute` goes on as after a miss.
    fn after_purge(&mut self, engine: &Engine, now: Millis) -> Phase {
        if self.kind == Kind::Get { Phase::Finish } else { self.lock_or_compute(engine, now) }
    }

    /// After a miss of `GetOrCompute`: take the fill lock when there is one, else compute.
    fn lock_or_compute(&mut self, engine: &Engine, now: Millis) -> Phase {
        match engine.config.lock.map(|cfg| LockAttempt::with_random_token(&self.key, now, cfg)) {
            Some(Ok(lock)) => {
                self.lock = Some(lock);
                Phase::Lock
            }
            Some(Err(e)) => {
                engine.metrics.record_error(e.kind());
                Phase::Compute
            }
            None => Phase::Compute,
        }
    }

    /// Drives phases until one needs the binding.
    fn run(&mut self, engine: &Engine, now: Millis) -> Step {
        let action = loop {
            if let Some(gate) = self.poll_queued(engine, now) {
                match gate {
                    Gate::Go(a) => break a,
                    Gate::Unavailable(e) => {
                        self.redis_failed(engine, e, now);
                        continue;
                    }
                }
            }
            let command = match self.phase.clone() {
                Phase::Follow(waiter) => match engine.flights.poll(waiter, now) {
                    Ok(Poll::Ready { outcome, .. }) => {
                        let outcome = match outcome.as_ref() {
                            Ok(bytes) => self.hit(engine, bytes, Source::Shared).unwrap_or_else(Outcome::Failed),
                            Err(e) => Outcome::Failed(e.clone()),
                        };
                        self.finish(outcome);
                        continue;
                    }
                    Ok(Poll::Wait { wait_until, .. }) => {
                        break Action::Sleep { until: wait_until, token: Some(WaitToken::flight(waiter)) };
                    }
                    Ok(Poll::Lead(f)) => {
                        self.leader = Some(f);
                        self.phase = Phase::Read;
                        continue;
                    }
                    Err(e) => {
                        self.finish(Outcome::Failed(e));
                        continue;
                    }
                },
                Phase::Read | Phase::ReRead => {
                    // The remaining TTL bounds the L1 copy and drives the refresh decisions.
                    let wants_ttl = engine.l1.is_some()
                        || engine.config.ttl_refresh.is_some()
                        || (self.kind == Kind::GetOrCompute
                            && (engine.config.early_refresh.is_some()
                                || engine.config.stale_while_revalidate.is_some()));
                    if wants_ttl {
                        Command::GetWithTtl { key: self.key.clone() }
                    } else {
                        Command::Get { key: self.key.clone() }
                    }
                }
                Phase::Exists => Command::Exists { key: self.key.clone() },
                Phase::Refresh(ttl_secs) => Command::Expire { key: self.key.clone(), ttl_secs },
                Phase::Lock => {
                    let Some(lock) = self.lock.as_mut() else {
                        self.phase = Phase::Compute;
                        continue;
                    };
                    match lock.next_action(now) {
                        LockAction::SendSetNx { key, token, px_ms } => Command::SetNx { key, token, px_ms },
                        LockAction::WaitUntil(until) => break Action::Sleep { until, token: None },
                        LockAction::ReRead => {
                            // A refresh recomputes whatever is stored; a fill re-reads first.
                            self.phase = if self.force { Phase::Compute } else { Phase::ReRead };
                            continue;
                        }
                        LockAction::GiveUp(_) if self.force => {
                            self.lock = None;
                            self.finish(Outcome::Miss);
                            continue;
                        }
                        LockAction::GiveUp(e) => {
                            // As cachekit-py: read once more, then compute without the lock.
                            engine.metrics.record_error(e.kind());
                            self.absorbed = Some(e);
                            self.lock = None;
                            self.phase = Phase::ReRead;
                            continue;
                        }
                        LockAction::AwaitReply | LockAction::Held | LockAction::Released => {
                            self.phase = Phase::Compute;
                            continue;
                        }
                    }
                }
                Phase::Compute => {
                    self.compute_started = now;
                    break Action::Compute;
                }
                Phase::Write => {
                    let Some(value) = self.stored.clone() else {
                        self.phase = Phase::Release;
                        continue;
                    };
                    Command::Set { key: self.key.clone(), value, ttl_secs: self.stored_ttl_secs(engine) }
                }
                Phase::Tag => {
                    let Some(tag) = self.pending_tags.pop() else {
                        self.phase = Phase::Release;
                        continue;
                    };
                    // The set outlives this member (as stored: its stale grace included) by a minute.
                    let ttl_secs = self.stored_ttl_secs(engine).map_or(super::command::TAG_SET_NEVER_SECS, |s| {
                        s.saturating_add(60).min(crate::ttl::MAX_TTL_SECS)
                    });
                    Command::SAdd {
                        key: format!("{}{tag}", engine.config.tag_prefix),
                        member: self.key.clone(),
                        ttl_secs,
                    }
                }
                Phase::Release => match self.lock.as_mut().and_then(LockAttempt::release) {
                    Some(r) => {
                        Command::EvalRelease { script: r.script, sha1: r.script_sha1, key: r.key, token: r.token }
                    }
                    None => {
                        self.phase = Phase::Finish;
                        continue;
                    }
                },
                Phase::Delete(keys, at) => Command::Del { keys: keys[at..(at + DEL_BATCH).min(keys.len())].to_vec() },
                Phase::Scan(pattern) => Command::DeleteMatching { pattern },
                Phase::Members(key) => Command::SMembers { key },
                Phase::Purge => Command::Del { keys: vec![self.key.clone()] },
                Phase::Finish => break self.done_action(engine, now),
            };
            match self.gate(engine, command, now) {
                Gate::Go(a) => break a,
                Gate::Unavailable(e) => self.redis_failed(engine, e, now),
            }
        };
        Step { wake: std::mem::take(&mut self.wake), action }
    }

    fn done_action(&mut self, engine: &Engine, now: Millis) -> Action {
        if let Some(f) = self.leader.take() {
            // A leader that ends without bytes to share hands the flight on.
            let wake = match &self.stored {
                Some(bytes) => engine.flights.complete(f, Ok(Arc::clone(bytes))),
                None => engine.flights.abandon(f, now),
            };
            self.wake_flight(wake);
        }
        if !self.done {
            self.done = true;
            engine.metrics.observe_request(now.saturating_sub(self.started) as f64);
        }
        // The outcome is handed over, not copied (a hit's value can be large): an operation is
        // over once it said `Done`.
        Action::Done(self.outcome.take().unwrap_or(Outcome::Miss))
    }
}
