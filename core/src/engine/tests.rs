//! The engine against a scripted fake Redis: every path, including replies that never come.

use std::collections::{HashMap, HashSet, VecDeque};

use super::*;
use crate::crypto::{Keyring, MasterKey};
use crate::ttl::Intent;
use crate::value::Value;

/// An in-memory Redis that executes the engine's commands, with fault injection.
#[derive(Default)]
struct FakeRedis {
    strings: HashMap<String, (Vec<u8>, Option<u64>)>,
    sets: HashMap<String, HashSet<String>>,
    /// Tag sets' expiries, as `EXPIRE … NX` + `EXPIRE … GT` leave them.
    set_ttls: HashMap<String, u64>,
    /// Replies to return instead of executing, in order.
    faults: VecDeque<Reply>,
    /// Every command executed, by name.
    log: Vec<String>,
    down: bool,
}

impl FakeRedis {
    fn exec(&mut self, cmd: &Command) -> Reply {
        self.log.push(cmd.name().to_owned());
        if self.down {
            return Reply::Error("ECONNREFUSED connect ECONNREFUSED 127.0.0.1:6379".into());
        }
        if let Some(r) = self.faults.pop_front() {
            return r;
        }
        match cmd {
            Command::Get { key } => self.strings.get(key).map_or(Reply::Nil, |(v, _)| Reply::Bytes(v.clone())),
            Command::GetWithTtl { key } => match self.strings.get(key) {
                Some((v, ttl)) => Reply::Array(vec![Reply::Bytes(v.clone()), Reply::Int(ttl.map_or(-1, |t| t as i64))]),
                None => Reply::Array(vec![Reply::Nil, Reply::Int(-2)]),
            },
            Command::Exists { key } => Reply::Int(i64::from(self.strings.contains_key(key))),
            Command::Set { key, value, ttl_secs } => {
                self.strings.insert(key.clone(), (value.to_vec(), *ttl_secs));
                Reply::Ok
            }
            Command::SetNx { key, token, .. } => {
                if self.strings.contains_key(key) {
                    Reply::Nil
                } else {
                    self.strings.insert(key.clone(), (token.as_bytes().to_vec(), None));
                    Reply::Ok
                }
            }
            Command::EvalRelease { key, token, .. } => match self.strings.get(key) {
                Some((v, _)) if v == token.as_bytes() => {
                    self.strings.remove(key);
                    Reply::Int(1)
                }
                _ => Reply::Int(0),
            },
            Command::Expire { key, ttl_secs } => match self.strings.get_mut(key) {
                Some(e) => {
                    e.1 = Some(*ttl_secs);
                    Reply::Int(1)
                }
                None => Reply::Int(0),
            },
            Command::Del { keys } => {
                let mut n = 0;
                for k in keys {
                    n += i64::from(self.strings.remove(k).is_some()) + i64::from(self.sets.remove(k).is_some());
                }
                Reply::Int(n)
            }
            Command::SAdd { key, member, ttl_secs } => {
                let ttl = self.set_ttls.entry(key.clone()).or_insert(*ttl_secs);
                *ttl = (*ttl).max(*ttl_secs);
                Reply::Int(i64::from(self.sets.entry(key.clone()).or_default().insert(member.clone())))
            }
            Command::SMembers { key } => Reply::Array(
                self.sets
                    .get(key)
                    .map(|s| s.iter().map(|m| Reply::Bytes(m.clone().into_bytes())).collect())
                    .unwrap_or_default(),
            ),
            Command::DeleteMatching { pattern } => {
                let prefix = pattern.trim_end_matches('*').replace('\\', "");
                let doomed: Vec<String> = self.strings.keys().filter(|k| k.starts_with(&prefix)).cloned().collect();
                for k in &doomed {
                    self.strings.remove(k);
                }
                Reply::Int(doomed.len() as i64)
            }
        }
    }
}

/// Runs one operation to completion; `compute` answers `Action::Compute`; sleeping advances
/// the clock to the deadline.
fn drive(
    engine: &Engine,
    start: (Op, Step),
    redis: &mut FakeRedis,
    clock: &mut Millis,
    compute: impl FnMut() -> Result<Value, String>,
) -> (Outcome, Vec<WaitToken>) {
    let (outcome, woken, _) = drive_absorbing(engine, start, redis, clock, compute);
    (outcome, woken)
}

/// [`drive`], also collecting the failures the operation absorbed ([`Op::take_absorbed`]).
fn drive_absorbing(
    engine: &Engine,
    start: (Op, Step),
    redis: &mut FakeRedis,
    clock: &mut Millis,
    mut compute: impl FnMut() -> Result<Value, String>,
) -> (Outcome, Vec<WaitToken>, Vec<ErrorKind>) {
    let (mut op, mut step) = start;
    let mut woken = Vec::new();
    let mut absorbed = Vec::new();
    for _ in 0..10_000 {
        woken.extend(step.wake.iter().copied());
        absorbed.extend(op.take_absorbed().map(|e| e.kind()));
        step = match step.action {
            Action::Send(cmd) => {
                *clock += 1;
                let reply = redis.exec(&cmd);
                op.on_reply(engine, reply, *clock)
            }
            Action::Compute => {
                let r = compute();
                op.on_computed(engine, r.as_ref().map_err(Clone::clone), *clock)
            }
            Action::Sleep { until, .. } => {
                *clock = (*clock).max(until);
                op.resume(engine, *clock)
            }
            Action::Done(outcome) => {
                assert!(op.is_done());
                return (outcome, woken, absorbed);
            }
        };
    }
    panic!("operation did not finish");
}

fn engine_with(f: impl FnOnce(&mut EngineConfig)) -> Engine {
    let mut c = EngineConfig {
        l1: Some(crate::l1::L1Config { hash_seed: Some(1), ..crate::l1::L1Config::new(1 << 20) }),
        ..EngineConfig::default()
    };
    f(&mut c);
    Engine::new(c, None).unwrap()
}

fn user() -> Value {
    Value::map([("id", 42i64.into()), ("name", "alice".into())])
}

#[test]
fn set_then_get_hits_l1_then_redis() {
    let e = engine_with(|_| {});
    let (mut r, mut t) = (FakeRedis::default(), 1000);
    let (out, _) = drive(&e, e.set(Request::new("k"), &user(), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Stored { redis: true });
    let (out, _) = drive(&e, e.get(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Hit { value: user(), source: Source::L1 });
    // A second process (fresh engine, same Redis) reads it from Redis.
    let e2 = engine_with(|_| {});
    let (out, _) = drive(&e2, e2.get(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Hit { value: user(), source: Source::Redis });
    assert_eq!(r.log, ["SET", "GET+TTL"]);
}

#[test]
fn exists_checks_l1_then_redis_without_reading_the_entry() {
    let e = engine_with(|_| {});
    let (mut r, mut t) = (FakeRedis::default(), 1000);
    drive(&e, e.set(Request::new("k"), &user(), t), &mut r, &mut t, || unreachable!());
    r.log.clear();
    let counts = |e: &Engine| -> Vec<String> {
        let text = e.metrics().render(&[]);
        text.lines()
            .filter(|l| l.starts_with("cachekit_hits") || l.starts_with("cachekit_misses"))
            .map(String::from)
            .collect()
    };
    let hits = counts(&e);
    let (out, _) = drive(&e, e.exists(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Exists { found: true });
    assert!(r.log.is_empty(), "answered from L1");
    // Another process: Redis EXISTS, nothing read or decoded (a corrupt entry still exists).
    let e2 = engine_with(|_| {});
    r.strings.insert("bad".into(), (b"not an entry".to_vec(), None));
    let (out, _) = drive(&e2, e2.exists(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Exists { found: true });
    let (out, _) = drive(&e2, e2.exists(Request::new("bad"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Exists { found: true });
    let (out, _) = drive(&e2, e2.exists(Request::new("nope"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Exists { found: false });
    assert_eq!(r.log, ["EXISTS", "EXISTS", "EXISTS"]);
    assert_eq!(e2.l1().unwrap().stats().entries, 0, "an existence check fills no L1");
    assert_eq!(counts(&e), hits, "no hit or miss counted");
    // Redis down: not found, never an error.
    r.down = true;
    let (out, _) = drive(&e2, e2.exists(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Exists { found: false });
}

#[test]
fn an_l1_copy_never_outlives_its_redis_entry() {
    let (mut r, mut t) = (FakeRedis::default(), 0);
    let writer = engine_with(|c| c.l1 = None);
    drive(
        &writer,
        writer.set(Request::new("k").ttl(Ttl::from_secs(600).unwrap()), &user(), t),
        &mut r,
        &mut t,
        || unreachable!(),
    );
    r.strings.get_mut("k").unwrap().1 = Some(5); // 5 s left in Redis
    let reader = engine_with(|_| {});
    let (out, _) = drive(&reader, reader.get(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Hit { value: user(), source: Source::Redis });
    let (out, _) = drive(&reader, reader.get(Request::new("k"), t + 3_000), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Hit { value: user(), source: Source::L1 }, "inside the remaining TTL minus 1 s");
    r.strings.remove("k"); // Redis expired it
    let (out, _) = drive(&reader, reader.get(Request::new("k"), t + 5_000), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Miss, "the L1 copy expired with the Redis entry");
}

#[test]
fn get_or_compute_locks_computes_writes_and_releases() {
    let e = engine_with(|_| {});
    let (mut r, mut t) = (FakeRedis::default(), 0);
    let mut calls = 0;
    let (out, _) = drive(&e, e.get_or_compute(Request::new("k"), t), &mut r, &mut t, || {
        calls += 1;
        Ok(user())
    });
    assert_eq!(out, Outcome::Computed { cached: true });
    assert_eq!(r.log, ["GET+TTL", "SET NX", "GET+TTL", "SET", "EVALSHA"]);
    assert!(!r.strings.contains_key("k:lock"), "lock released");
    let (out, _) = drive(&e, e.get_or_compute(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Hit { value: user(), source: Source::L1 });
    assert_eq!(calls, 1);
}

#[test]
fn busy_lock_waits_and_serves_the_other_writer() {
    let e = engine_with(|c| c.l1 = None);
    let (mut r, mut t) = (FakeRedis::default(), 0);
    r.strings.insert("k:lock".into(), (b"someone-else".to_vec(), None));
    let (mut op, mut step) = e.get_or_compute(Request::new("k"), t);
    let mut sleeps = 0;
    let outcome = loop {
        step = match step.action {
            Action::Send(cmd) => {
                let reply = r.exec(&cmd);
                op.on_reply(&e, reply, t)
            }
            Action::Sleep { until, .. } => {
                sleeps += 1;
                t = until;
                if sleeps == 3 {
                    // The other writer fills the key and releases its lock.
                    let bytes =
                        entry::encode(&user(), &EntryOptions::new(Mode::Default { integrity: true }, "k")).unwrap();
                    r.strings.insert("k".into(), (bytes, Some(600)));
                    r.strings.remove("k:lock");
                }
                op.resume(&e, t)
            }
            Action::Compute => panic!("must not compute: the other writer filled the key"),
            Action::Done(o) => break o,
        };
    };
    assert_eq!(outcome, Outcome::Hit { value: user(), source: Source::Redis });
    assert_eq!(sleeps, 3);
    assert_eq!(t, 300, "retried every 100 ms");
}

#[test]
fn lock_give_up_after_the_wait_budget_computes_without_it() {
    let e = engine_with(|c| c.l1 = None);
    let (mut r, mut t) = (FakeRedis::default(), 0);
    r.strings.insert("k:lock".into(), (b"held-forever".to_vec(), None));
    let (out, _) = drive(&e, e.get_or_compute(Request::new("k"), t), &mut r, &mut t, || Ok(user()));
    assert_eq!(out, Outcome::Computed { cached: true });
    assert!((4900..5200).contains(&t), "gave up at the end of the 5 s budget, at {t}");
    assert_eq!(r.strings["k:lock"].0, b"held-forever", "never released someone else's lock");
}

use crate::entry::{self, EntryOptions, Mode};

#[test]
fn redis_down_degrades_and_the_breaker_opens() {
    let e = engine_with(|c| c.l1 = None);
    let (mut r, mut t) = (FakeRedis { down: true, ..FakeRedis::default() }, 0);
    let (out, _) = drive(&e, e.get(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Miss);
    let (out, _) = drive(&e, e.get_or_compute(Request::new("k"), t), &mut r, &mut t, || Ok(user()));
    assert_eq!(out, Outcome::Computed { cached: false });
    for _ in 0..5 {
        drive(&e, e.get(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    }
    assert_eq!(e.breaker().state(), crate::breaker::BreakerState::Open);
    let sent = r.log.len();
    let (out, _) = drive(&e, e.get_or_compute(Request::new("k"), t), &mut r, &mut t, || Ok(user()));
    assert_eq!(out, Outcome::Computed { cached: false });
    assert_eq!(r.log.len(), sent, "an open breaker sends nothing");
    // The refusal is handed to the binding once (for its error hook).
    let (mut op, step) = e.get(Request::new("k"), t);
    assert_eq!(step.action, Action::Done(Outcome::Miss));
    assert_eq!(op.take_rejected().map(|x| x.kind()), Some(ErrorKind::CircuitOpen));
    assert!(op.take_rejected().is_none());
    let (out, _) = drive(&e, e.set(Request::new("k"), &user(), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Stored { redis: false });
    // Redis comes back; after the cool-down, probes close the breaker.
    r.down = false;
    t += 30_000;
    for _ in 0..3 {
        let (out, _) = drive(&e, e.get(Request::new("k"), t), &mut r, &mut t, || unreachable!());
        assert_eq!(out, Outcome::Miss);
    }
    assert_eq!(e.breaker().state(), crate::breaker::BreakerState::Closed);
    assert!(e.render_metrics(t).contains("cachekit_"));
}

#[test]
fn a_reply_that_never_comes_is_a_timeout_and_a_miss() {
    let e = engine_with(|c| c.l1 = None);
    let (mut r, mut t) = (FakeRedis::default(), 0);
    r.faults.push_back(Reply::Timeout);
    let (out, _) = drive(&e, e.get(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Miss);
    assert!(e.metrics().snapshot().errors.iter().any(|(k, n)| *k == ErrorKind::Timeout && *n == 1));
    // A timed-out write inside get_or_compute still returns the computed value.
    r.faults.extend([Reply::Nil, Reply::Ok, Reply::Nil, Reply::Timeout]);
    let (out, _) = drive(&e, e.get_or_compute(Request::new("k"), t), &mut r, &mut t, || Ok(user()));
    assert_eq!(out, Outcome::Computed { cached: false });
}

#[test]
fn single_flight_shares_one_computation() {
    let e = engine_with(|c| c.lock = None);
    let (mut r, t) = (FakeRedis::default(), 0);
    let (mut leader, s1) = e.get_or_compute(Request::new("hot"), t);
    let (mut follower, s2) = e.get_or_compute(Request::new("hot"), t);
    let Action::Sleep { token: Some(token), .. } = s2.action else { panic!("follower must sleep: {s2:?}") };
    // Leader: GET miss, compute, SET.
    let Action::Send(cmd) = s1.action else { panic!() };
    let s = leader.on_reply(&e, r.exec(&cmd), 1);
    assert_eq!(s.action, Action::Compute);
    let s = leader.on_computed(&e, Ok(&user()), 2);
    let Action::Send(cmd) = s.action else { panic!() };
    let s = leader.on_reply(&e, r.exec(&cmd), 3);
    assert!(s.wake.contains(&token), "the follower is woken");
    assert_eq!(s.action, Action::Done(Outcome::Computed { cached: true }));
    let s = follower.resume(&e, 3);
    assert_eq!(s.action, Action::Done(Outcome::Hit { value: user(), source: Source::Shared }));
}

#[test]
fn a_failed_leader_fails_its_followers_and_an_abandoned_one_hands_over() {
    let e = engine_with(|c| c.lock = None);
    let mut r = FakeRedis::default();
    let (mut leader, s1) = e.get_or_compute(Request::new("k"), 0);
    let (mut follower, _) = e.get_or_compute(Request::new("k"), 0);
    let Action::Send(cmd) = s1.action else { panic!() };
    leader.on_reply(&e, r.exec(&cmd), 1);
    let s = leader.on_computed(&e, Err("boom".into()), 2);
    assert!(matches!(s.action, Action::Done(Outcome::Failed(ref err)) if err.kind() == ErrorKind::ComputeFailed));
    let s = follower.resume(&e, 2);
    assert!(matches!(s.action, Action::Done(Outcome::Failed(ref err)) if err.kind() == ErrorKind::ComputeFailed));

    let (mut leader, _) = e.get_or_compute(Request::new("k2"), 10);
    let (mut follower, _) = e.get_or_compute(Request::new("k2"), 10);
    let (wake, release) = leader.abandon(&e, 11);
    assert_eq!(wake.len(), 1);
    assert!(release.is_none());
    let s = follower.resume(&e, 11);
    assert!(matches!(s.action, Action::Send(Command::GetWithTtl { .. })), "the follower now leads: {s:?}");
}

#[test]
fn unreadable_entries_are_misses_and_are_purged() {
    let e = engine_with(|c| c.l1 = None);
    let (mut r, mut t) = (FakeRedis::default(), 0);
    r.strings.insert("k".into(), (b"\x94garbage".to_vec(), None));
    let (out, _, absorbed) = drive_absorbing(&e, e.get(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Miss);
    assert_eq!(absorbed.len(), 1, "the binding hears of it once: {absorbed:?}");
    assert!(!r.strings.contains_key("k"));
    r.strings.insert("k".into(), (b"CK\x03\x00\x00\x00\x02{}x".to_vec(), None));
    let (out, _, absorbed) = drive_absorbing(&e, e.get(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Miss);
    assert_eq!(absorbed, [ErrorKind::PythonFrame]);
    assert!(e.metrics().snapshot().errors.iter().any(|(k, _)| *k == ErrorKind::PythonFrame));
    // `get_or_compute` purges it before taking the fill lock: the re-read under the lock is a
    // plain miss, and a computation that fails leaves no unreadable entry behind.
    r.strings.insert("k".into(), (b"\x94garbage".to_vec(), None));
    r.log.clear();
    let (out, _, absorbed) =
        drive_absorbing(&e, e.get_or_compute(Request::new("k"), t), &mut r, &mut t, || Err("no".into()));
    assert!(matches!(out, Outcome::Failed(ref err) if err.kind() == ErrorKind::ComputeFailed), "{out:?}");
    assert_eq!(absorbed, [ErrorKind::TrailingBytes], "heard of once");
    assert!(!r.strings.contains_key("k"), "purged although nothing replaced it");
    assert_eq!(r.log[..3], ["GET", "DEL", "SET NX"], "{:?}", r.log);
    // Without purging, the entry is read twice (before and after the lock) and replaced.
    let e = engine_with(|c| {
        c.l1 = None;
        c.delete_unreadable = false;
    });
    r.strings.insert("k".into(), (b"\x94garbage".to_vec(), None));
    let (out, _, absorbed) =
        drive_absorbing(&e, e.get_or_compute(Request::new("k"), t), &mut r, &mut t, || Ok(Value::Int(1)));
    assert_eq!(out, Outcome::Computed { cached: true });
    assert_eq!(absorbed, [ErrorKind::TrailingBytes; 2]);
}

#[test]
fn a_purge_that_fails_still_locks_computes_and_replaces_the_entry() {
    for fault in [Reply::Error("NOPERM this user has no permissions to run the 'del' command".into()), Reply::Timeout] {
        let e = engine_with(|c| c.l1 = None);
        let (mut r, mut t) = (FakeRedis::default(), 0);
        r.strings.insert("k".into(), (b"\x94garbage".to_vec(), None));
        // GET answers with the unreadable entry; its DEL fails.
        r.faults.push_back(Reply::Bytes(b"\x94garbage".to_vec()));
        r.faults.push_back(fault.clone());
        let (out, _, _) =
            drive_absorbing(&e, e.get_or_compute(Request::new("k"), t), &mut r, &mut t, || Ok(Value::Int(7)));
        assert_eq!(out, Outcome::Computed { cached: true }, "{fault:?}");
        assert_eq!(r.log[..3], ["GET", "DEL", "SET NX"], "{fault:?}: {:?}", r.log);
        let (hit, _, absorbed) = drive_absorbing(&e, e.get(Request::new("k"), t), &mut r, &mut t, || unreachable!());
        assert!(matches!(hit, Outcome::Hit { .. }), "{fault:?}: the entry was replaced: {hit:?}");
        assert!(absorbed.is_empty());
    }
}

#[test]
fn values_that_cannot_be_encoded_are_absorbed_and_reported() {
    let e = engine_with(|c| c.l1 = None);
    let (mut r, mut t) = (FakeRedis::default(), 0);
    // Ext type 0 is refused by every encoder: computed, not cached, and the binding hears why.
    let (out, _, absorbed) =
        drive_absorbing(&e, e.get_or_compute(Request::new("k"), t), &mut r, &mut t, || Ok(Value::Ext(0, Vec::new())));
    assert_eq!(out, Outcome::Computed { cached: false });
    assert_eq!(absorbed.len(), 1, "{absorbed:?}");
    assert!(r.strings.is_empty());
    // A readable hit absorbs nothing.
    drive(&e, e.set(Request::new("k"), &user(), t), &mut r, &mut t, || unreachable!());
    let (out, _, absorbed) = drive_absorbing(&e, e.get(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert!(matches!(out, Outcome::Hit { .. }));
    assert!(absorbed.is_empty());
}

#[test]
fn encryption_binds_entries_to_their_key() {
    let ring = |b: u8| Keyring::new(&MasterKey::from_bytes(&[b; 32]).unwrap(), &[], "default").unwrap();
    let cfg = EngineConfig { l1: None, ..EngineConfig::for_intent(Intent::Secure) };
    assert_eq!(Engine::new(cfg.clone(), None).unwrap_err().kind(), ErrorKind::EncryptionRequired);
    let e = Engine::new(cfg.clone(), Some(ring(1))).unwrap();
    let (mut r, mut t) = (FakeRedis::default(), 0);
    drive(&e, e.set(Request::new("k"), &user(), t), &mut r, &mut t, || unreachable!());
    assert!(!r.strings["k"].0.windows(5).any(|w| w == b"alice"), "ciphertext at rest");
    let (out, _) = drive(&e, e.get(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Hit { value: user(), source: Source::Redis });
    // Moved to another key, or read with another master key: a miss, never the value.
    let moved = r.strings["k"].clone();
    r.strings.insert("k2".into(), moved);
    let (out, _) = drive(&e, e.get(Request::new("k2"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Miss);
    let other = Engine::new(EngineConfig { fail_closed: true, ..cfg }, Some(ring(2))).unwrap();
    let (out, _) = drive(&other, other.get(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert!(matches!(out, Outcome::Failed(ref err) if err.kind() == ErrorKind::DecryptionFailed), "fail-closed raises");
}

#[test]
fn tag_sets_outlive_every_member_they_index() {
    let e = engine_with(|c| c.stale_while_revalidate = Some(120));
    let (mut r, mut t) = (FakeRedis::default(), 0);
    let tagged = |k: &str, ttl: Ttl| Request::new(k).ttl(ttl).tags(vec!["t".into()]);
    let mut sadds = Vec::new();
    for (k, ttl) in
        [("long", Ttl::from_secs(3600).unwrap()), ("short", Ttl::from_secs(1).unwrap()), ("forever", Ttl::Never)]
    {
        let (mut op, mut step) = e.set(tagged(k, ttl), &user(), t);
        while let Action::Send(cmd) = &step.action {
            if let Command::SAdd { ttl_secs, .. } = cmd {
                sadds.push(*ttl_secs);
            }
            let reply = r.exec(cmd);
            t += 1;
            step = op.on_reply(&e, reply, t);
        }
    }
    // Each member asks for its own life, grace included, plus a minute; a member without
    // expiry for a century. Redis keeps the longest (NX, then GT).
    assert_eq!(sadds, [3600 + 120 + 60, 1 + 120 + 60, command::TAG_SET_NEVER_SECS]);
    assert_eq!(r.set_ttls["cachekit:tag:t"], command::TAG_SET_NEVER_SECS);
}

#[test]
fn a_tag_set_redis_refuses_does_not_cost_the_other_tags() {
    let e = engine_with(|c| c.l1 = None);
    let (mut r, mut t) = (FakeRedis::default(), 0);
    // SET goes through; the first tag's SADD+EXPIRE is refused (as Redis 6 refuses EXPIRE NX).
    r.faults.extend([Reply::Ok, Reply::Error("ERR wrong number of arguments for 'expire' command".into())]);
    let req = Request::new("k").tags(vec!["a".into(), "b".into(), "c".into()]);
    let (out, _) = drive(&e, e.set(req, &user(), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Stored { redis: true });
    assert_eq!(r.sets.len(), 2, "the two other tags are indexed: {:?}", r.sets.keys());
    assert_eq!(r.log.iter().filter(|c| *c == "SADD").count(), 3);
}

#[test]
fn a_large_tag_is_deleted_in_batches() {
    let e = engine_with(|c| c.l1 = None);
    let (mut r, mut t) = (FakeRedis::default(), 0);
    for i in 0..2500 {
        r.strings.insert(format!("k{i}"), (b"x".to_vec(), None));
        r.sets.entry("cachekit:tag:big".into()).or_default().insert(format!("k{i}"));
    }
    let (out, _) = drive(&e, e.invalidate(Invalidate::Tag("big".into()), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Invalidated { redis_keys: 2500 });
    assert_eq!(r.log.iter().filter(|c| *c == "DEL").count(), 3, "1000 keys per DEL");
    assert!(r.strings.is_empty() && r.sets.is_empty());
    // Members that expired already: nothing but the index is deleted, whatever the batches.
    for i in 0..1200 {
        r.sets.entry("cachekit:tag:gone".into()).or_default().insert(format!("k{i}"));
    }
    let (out, _) = drive(&e, e.invalidate(Invalidate::Tag("gone".into()), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Invalidated { redis_keys: 0 });
    assert!(r.sets.is_empty());
}

#[test]
fn tags_namespaces_and_deletes_invalidate_both_layers() {
    let e = engine_with(|_| {});
    let (mut r, mut t) = (FakeRedis::default(), 0);
    let req = |k: &str| Request::new(format!("ns:app:{k}")).namespace("app").tags(vec!["users".into()]);
    for k in ["a", "b"] {
        drive(&e, e.set(req(k), &user(), t), &mut r, &mut t, || unreachable!());
    }
    assert_eq!(r.sets["cachekit:tag:users"].len(), 2);
    let (out, _) = drive(&e, e.invalidate(Invalidate::Tag("users".into()), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Invalidated { redis_keys: 2 }, "the two entries; the tag set is not an entry");
    assert!(!r.sets.contains_key("cachekit:tag:users"), "the tag set went with them");
    let (out, _) = drive(&e, e.get(req("a"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Miss, "gone from L1 and Redis");

    drive(&e, e.set(req("c"), &user(), t), &mut r, &mut t, || unreachable!());
    let target = Invalidate::Namespace { name: "app".into(), mode: None };
    let (out, _) = drive(&e, e.invalidate(target, t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Invalidated { redis_keys: 1 });
    assert!(r.log.contains(&"SCAN+DEL".to_owned()));

    drive(&e, e.set(Request::new("d"), &user(), t), &mut r, &mut t, || unreachable!());
    let (out, _) = drive(&e, e.delete(Request::new("d"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Deleted { existed: true });
    let (out, _) = drive(&e, e.delete(Request::new("d"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Deleted { existed: false });
    r.down = true;
    let (out, _) = drive(&e, e.delete(Request::new("d"), t), &mut r, &mut t, || unreachable!());
    assert!(matches!(out, Outcome::Failed(_)), "a delete that cannot reach Redis says so");
}

#[test]
fn ttl_refresh_on_hit_sends_expire_below_half() {
    let e = engine_with(|c| {
        c.l1 = None;
        c.ttl_refresh = Some(crate::ttl::TtlRefresh::default());
    });
    let (mut r, mut t) = (FakeRedis::default(), 0);
    let req = || Request::new("k").ttl(Ttl::from_secs(600).unwrap());
    drive(&e, e.set(req(), &user(), t), &mut r, &mut t, || unreachable!());
    r.strings.get_mut("k").unwrap().1 = Some(100);
    let (out, _) = drive(&e, e.get(req(), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Hit { value: user(), source: Source::Redis });
    assert_eq!(r.log, ["SET", "GET+TTL", "EXPIRE"]);
    assert_eq!(r.strings["k"].1, Some(600));
}

#[test]
fn backpressure_queues_and_hands_the_slot_over() {
    let e = engine_with(|c| {
        c.l1 = None;
        c.limiter = crate::backpressure::LimiterConfig { max_in_flight: 1, max_queued: 1, max_wait: 100 };
    });
    let mut r = FakeRedis::default();
    let (mut a, sa) = e.get(Request::new("a"), 0);
    let (mut b, sb) = e.get(Request::new("b"), 0);
    let Action::Sleep { token: Some(token), until } = sb.action else { panic!("b must queue: {sb:?}") };
    assert_eq!(until, 100);
    let (_, sc) = e.get(Request::new("c"), 0);
    assert_eq!(sc.action, Action::Done(Outcome::Miss), "queue full: degraded to a miss");
    let Action::Send(cmd) = sa.action else { panic!() };
    let s = a.on_reply(&e, r.exec(&cmd), 5);
    assert!(s.wake.contains(&token));
    let s = b.resume(&e, 5);
    assert!(matches!(s.action, Action::Send(Command::Get { .. })));
}

#[test]
fn a_fill_lock_is_released_even_when_backpressure_refuses_everything_else() {
    let e = engine_with(|c| {
        c.l1 = None;
        c.limiter = crate::backpressure::LimiterConfig { max_in_flight: 1, max_queued: 0, max_wait: 100 };
    });
    let (mut r, mut t) = (FakeRedis::default(), 0);
    // A reads (miss), takes the fill lock, reads again: its computation is due.
    let (mut a, mut step) = e.get_or_compute(Request::new("a"), t);
    while let Action::Send(cmd) = &step.action {
        t += 1;
        step = a.on_reply(&e, r.exec(cmd), t);
    }
    assert_eq!(step.action, Action::Compute);
    assert!(r.strings.contains_key("a:lock"), "the lock is held");
    // B's read takes the only slot and stays unanswered: A's write is refused...
    let (_b, sb) = e.get(Request::new("b"), t);
    assert!(matches!(sb.action, Action::Send(_)));
    let mut step = a.on_computed(&e, Ok(&Value::Int(1)), t);
    let mut sent = Vec::new();
    while let Action::Send(cmd) = &step.action {
        sent.push(cmd.name());
        t += 1;
        step = a.on_reply(&e, r.exec(cmd), t);
    }
    // ...but not the release of its lock: others would otherwise wait out the lease.
    assert_eq!(sent, ["EVALSHA"]);
    assert!(!r.strings.contains_key("a:lock"), "released");
    assert_eq!(step.action, Action::Done(Outcome::Computed { cached: false }));
}

#[test]
fn an_invalid_interop_namespace_invalidates_nothing() {
    let e = engine_with(|_| {});
    let (mut r, mut t) = (FakeRedis::default(), 0);
    drive(&e, e.set(Request::new("ns:app:k").namespace("app"), &user(), t), &mut r, &mut t, || unreachable!());
    for bad in ["ns", "", "Bad", "a:b"] {
        let target = Invalidate::Namespace { name: bad.into(), mode: Some(Mode::Interop) };
        let (out, _) = drive(&e, e.invalidate(target, t), &mut r, &mut t, || unreachable!());
        assert!(matches!(out, Outcome::Failed(ref err) if err.kind() == ErrorKind::InvalidSegment), "{bad:?}: {out:?}");
    }
    assert!(r.strings.contains_key("ns:app:k"), "default-mode entries untouched");
    assert!(!r.log.iter().any(|c| c == "SCAN+DEL"), "{:?}", r.log);
}

#[test]
fn settings_and_requests_redis_would_refuse_are_refused_first() {
    let swr = EngineConfig { stale_while_revalidate: Some(u64::MAX), ..EngineConfig::default() };
    assert_eq!(Engine::new(swr, None).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(crate::stampede::LockConfig::new(u64::MAX, 100, 0).unwrap_err().kind(), ErrorKind::InvalidArgument);
    // The longest TTL plus a grace still gives an expiry Redis accepts.
    let e = engine_with(|c| {
        c.l1 = None;
        c.stale_while_revalidate = Some(crate::ttl::MAX_TTL_SECS);
    });
    let (mut r, mut t) = (FakeRedis::default(), 0);
    let long = Request::new("k").ttl(Ttl::from_secs(crate::ttl::MAX_TTL_SECS as i64).unwrap()).tags(vec!["t".into()]);
    drive(&e, e.set(long, &user(), t), &mut r, &mut t, || unreachable!());
    assert_eq!(r.strings["k"].1, Some(crate::ttl::MAX_TTL_SECS));
    assert_eq!(r.set_ttls["cachekit:tag:t"], crate::ttl::MAX_TTL_SECS);
    // Empty tags, or too many, are refused before anything is written.
    for tags in [vec![String::new()], vec!["t".to_owned(); crate::l1::MAX_TAGS + 1]] {
        let (out, _) =
            drive(&e, e.set(Request::new("x").tags(tags.clone()), &user(), t), &mut r, &mut t, || unreachable!());
        assert!(matches!(out, Outcome::Failed(ref err) if err.kind() == ErrorKind::InvalidArgument), "{out:?}");
        let (out, _) = drive(&e, e.get_or_compute(Request::new("x").tags(tags), t), &mut r, &mut t, || unreachable!());
        assert!(matches!(out, Outcome::Failed(ref err) if err.kind() == ErrorKind::InvalidArgument), "{out:?}");
    }
    assert!(!r.strings.contains_key("x"));
}

#[test]
fn protocol_misuse_is_an_error_not_a_panic() {
    let e = engine_with(|_| {});
    let (mut op, s) = e.get(Request::new("k"), 0);
    assert!(matches!(s.action, Action::Send(Command::GetWithTtl { .. })));
    assert_eq!(op.on_reply(&e, Reply::Nil, 1).action, Action::Done(Outcome::Miss));
    let s = op.on_reply(&e, Reply::Ok, 2);
    assert!(matches!(s.action, Action::Done(Outcome::Failed(ref err)) if err.kind() == ErrorKind::Internal));
    let (mut op, _) = e.get(Request::new("k"), 0);
    let s = op.on_computed(&e, Ok(&Value::Nil), 1);
    assert!(matches!(s.action, Action::Done(Outcome::Failed(_))));
}

#[test]
fn interop_requests_use_interop_entries() {
    let e = engine_with(|c| c.l1 = None);
    let (mut r, mut t) = (FakeRedis::default(), 0);
    let key = crate::keys::interop_key("users", "get_user", &[42i64.into()]).unwrap();
    drive(&e, e.set(Request::new(key.clone()).mode(Mode::Interop), &user(), t), &mut r, &mut t, || unreachable!());
    assert_eq!(r.strings[&key].0, crate::canonical::encode_value(&user()).unwrap());
}

#[test]
fn early_refresh_serves_the_hit_and_recomputes_in_the_background() {
    let e = engine_with(|c| {
        c.l1 = None;
        // A huge beta makes the draw practically certain (ln(rand) = 0 has probability 2^-53).
        c.early_refresh = Some(crate::refresh::XFetch::new(1e12).unwrap());
    });
    let (mut r, mut t) = (FakeRedis::default(), 0);
    drive(&e, e.get_or_compute(Request::new("k"), t), &mut r, &mut t, || Ok(user()));
    let start = e.get_or_compute(Request::new("k"), t);
    let (mut op, mut step) = start;
    let outcome = loop {
        step = match step.action {
            Action::Send(cmd) => {
                let reply = r.exec(&cmd);
                op.on_reply(&e, reply, t)
            }
            Action::Done(o) => break o,
            other => panic!("unexpected {other:?}"),
        };
    };
    assert_eq!(outcome, Outcome::Hit { value: user(), source: Source::Redis });
    assert!(op.refresh_ahead());
    r.log.clear();
    let fresh = Value::map([("id", 42i64.into()), ("name", "alice v2".into())]);
    let (out, _) = drive(&e, e.refresh(Request::new("k"), t), &mut r, &mut t, || Ok(fresh.clone()));
    assert_eq!(out, Outcome::Computed { cached: true });
    assert_eq!(r.log, ["SET NX", "SET", "EVALSHA"], "no re-read: a refresh recomputes");
    // While another caller leads the key, a refresh does nothing.
    let (_leader, _) = e.get_or_compute(Request::new("busy"), t);
    let (out, _) = drive(&e, e.refresh(Request::new("busy"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Miss);
    // A busy lock (another process refreshing) ends the refresh quietly.
    r.strings.insert("k:lock".into(), (b"other".to_vec(), None));
    let (out, _) = drive(&e, e.refresh(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Miss);
}

#[test]
fn stale_while_revalidate_serves_stale_and_asks_for_a_refresh() {
    let e = engine_with(|c| {
        c.l1 = None;
        c.stale_while_revalidate = Some(60);
    });
    let (mut r, mut t) = (FakeRedis::default(), 0);
    let req = || Request::new("k").ttl(Ttl::from_secs(300).unwrap());
    drive(&e, e.get_or_compute(req(), t), &mut r, &mut t, || Ok(user()));
    assert_eq!(r.strings["k"].1, Some(360), "written with EX ttl + grace");
    let hit = |r: &mut FakeRedis, t: Millis| {
        let (mut op, mut step) = e.get_or_compute(req(), t);
        loop {
            step = match step.action {
                Action::Send(cmd) => {
                    let reply = r.exec(&cmd);
                    op.on_reply(&e, reply, t)
                }
                Action::Done(o) => return (o, op.refresh_ahead()),
                other => panic!("unexpected {other:?}"),
            };
        }
    };
    let (o, refresh) = hit(&mut r, t);
    assert!(matches!(o, Outcome::Hit { .. }) && !refresh, "fresh: no refresh");
    r.strings.get_mut("k").unwrap().1 = Some(30); // inside the 60 s grace: stale
    let (o, refresh) = hit(&mut r, t);
    assert!(matches!(o, Outcome::Hit { .. }) && refresh, "stale: served, refresh requested");
}

#[test]
fn plain_read_names_only_a_bare_read_of_the_own_key() {
    // Without L1 a get reads with GET; with L1 with GET+TTL (the L1 copy is bounded by it).
    let e = engine_with(|c| c.l1 = None);
    let (op, step) = e.get(Request::new("k"), 0);
    assert_eq!(op.plain_read(&step), Some(false));
    let e = engine_with(|_| {});
    let (mut op, step) = e.get(Request::new("k"), 0);
    assert_eq!(op.plain_read(&step), Some(true));
    // The reply's step is not a read; neither is a hit, a set or a refused read.
    let step = op.on_reply(&e, Reply::Array(vec![Reply::Nil, Reply::Int(-2)]), 1);
    assert_eq!(step.action, Action::Done(Outcome::Miss));
    assert_eq!(op.plain_read(&step), None);
    let (mut r, mut t) = (FakeRedis::default(), 0);
    drive(&e, e.set(Request::new("k"), &user(), t), &mut r, &mut t, || unreachable!());
    let (op, step) = e.get(Request::new("k"), t);
    assert!(matches!(step.action, Action::Done(Outcome::Hit { .. })));
    assert_eq!(op.plain_read(&step), None);
    let (op, step) = e.set(Request::new("j"), &user(), t);
    assert!(matches!(step.action, Action::Send(Command::Set { .. })));
    assert_eq!(op.plain_read(&step), None);
    let e = engine_with(|c| c.l1 = None);
    let mut down = FakeRedis { down: true, ..FakeRedis::default() };
    for _ in 0..6 {
        drive(&e, e.get(Request::new("k"), t), &mut down, &mut t, || unreachable!());
    }
    let (op, step) = e.get(Request::new("k"), t);
    assert_eq!(step.action, Action::Done(Outcome::Miss), "the open breaker refuses");
    assert_eq!(op.plain_read(&step), None);
    // A step that wakes parked callers is not plain either.
    let woke = Step {
        wake: vec![WaitToken::flight(crate::stampede::WaiterId::from_u64(7))],
        action: Action::Send(Command::Get { key: "k".into() }),
    };
    let (op, _) = e.get(Request::new("k"), t + 60_000);
    assert_eq!(op.plain_read(&woke), None);
}

#[test]
fn json_hits_hand_out_json_text_from_every_source() {
    let json = r#"{"id":42,"name":"alice"}"#;
    let hit = |source| Action::Done(Outcome::HitJson { json: json.to_owned(), source });
    let e = engine_with(|c| {
        c.json_hits = true;
        c.lock = None;
    });
    let (mut r, mut t) = (FakeRedis::default(), 0);
    drive(&e, e.set(Request::new("k"), &user(), t), &mut r, &mut t, || unreachable!());
    // L1.
    assert_eq!(e.get(Request::new("k"), t).1.action, hit(Source::L1));
    // Redis: another engine (another process) reads the same bytes.
    let other = engine_with(|c| c.json_hits = true);
    let (out, _) = drive(&other, other.get(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(Action::Done(out), hit(Source::Redis));
    // Shared: a follower of the computing caller.
    let (mut leader, s1) = e.get_or_compute(Request::new("hot"), t);
    let (mut follower, _) = e.get_or_compute(Request::new("hot"), t);
    let Action::Send(cmd) = s1.action else { panic!() };
    leader.on_reply(&e, r.exec(&cmd), t);
    let Action::Send(cmd) = leader.on_computed(&e, Ok(&user()), t).action else { panic!() };
    leader.on_reply(&e, r.exec(&cmd), t);
    assert_eq!(follower.resume(&e, t).action, hit(Source::Shared));
    // A value JSON cannot say exactly is still a value; an engine without the flag never
    // hands out JSON.
    let bytes = Value::map([("b", Value::Bytes(vec![1, 2]))]);
    drive(&e, e.set(Request::new("b"), &bytes, t), &mut r, &mut t, || unreachable!());
    assert_eq!(e.get(Request::new("b"), t).1.action, Action::Done(Outcome::Hit { value: bytes, source: Source::L1 }));
    let plain = engine_with(|_| {});
    let (out, _) = drive(&plain, plain.get(Request::new("k"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Hit { value: user(), source: Source::Redis });
    // Unreadable bytes are a counted miss, as without the flag.
    r.strings.insert("bad".into(), (b"\x00garbage".to_vec(), None));
    let (out, _) = drive(&other, other.get(Request::new("bad"), t), &mut r, &mut t, || unreachable!());
    assert_eq!(out, Outcome::Miss);
    assert!(other.metrics().snapshot().errors.iter().any(|(_, n)| *n > 0));
}
