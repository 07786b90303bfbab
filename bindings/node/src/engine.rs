//! `NativeEngine`: the core's sans-I/O request engine, driven from JavaScript.
//!
//! Every cache call is an operation (a number) that yields steps as plain objects:
//!
//! ```text
//! { op, type: "send", wake?, command: { name: "get", key } }
//! { op, type: "compute", wake? }
//! { op, type: "sleep", wake?, delay: ms, token: number | null }
//! { op, type: "done", wake?, outcome: { kind: "hit", value, source } | …, refreshAhead? }
//! ```
//!
//! The engine reads its own monotonic clock; sleeps are relative delays. Wake tokens are
//! numbers, only ever compared with each other.

use std::sync::Arc;
use std::time::Instant;

use napi::Env;
use napi::sys;
use napi_derive::napi;

use cachekit::crypto::MasterKey;
use cachekit::engine::{Action, Command, Engine, Op, Ops, Outcome, Reply, Request, Source, Step, token_from_js};
use cachekit::{Error, ErrorKind};

use crate::js::{Js, JsErr, R, Raw, ck};
use crate::obj::{Out, opts};
use crate::value::{Builder, NodeHost, bytes_arg, to_core, to_core_list, to_js};
use cachekit_js_host::{Profiles, config};

type V = sys::napi_value;

/// One cache's engine: configuration, keyring, L1, breaker, single flight, metrics, and the
/// operations in progress.
#[napi]
pub struct NativeEngine {
    engine: Arc<Engine>,
    epoch: Instant,
    /// Operations in progress by number, and the L1 hits whose decoded values the TypeScript
    /// layer keeps (`pinLast`, `pinned`).
    ops: Ops,
    /// Request options (`profile()`) and key recipes (`keyProfile()`) registered by number.
    profiles: Profiles,
}

/// A master key given as 64 hex digits or 32 raw bytes.
pub fn master_key(js: Js, v: V) -> R<MasterKey> {
    config::master_key(&NodeHost::new(js), &v)
}

fn request(js: Js, key: V, opts: V, profiles: &Profiles) -> R<Request> {
    profiles.request(&NodeHost::new(js), &key, &opts)
}

fn token_number(t: cachekit::engine::WaitToken) -> f64 {
    let v = t.get();
    if v & (1 << 63) != 0 { -((v & !(1 << 63)) as f64) - 1.0 } else { v as f64 }
}

fn tokens(js: Js, wake: &[cachekit::engine::WaitToken]) -> R<V> {
    let a = js.array(wake.len())?;
    for (i, t) in wake.iter().enumerate() {
        js.set_element(a, i as u32, js.number(token_number(*t))?)?;
    }
    Ok(a)
}

/// A command's builder code and arguments (see the runtime's `command` in `ts/values.ts`).
fn command_args(js: Js, c: &Command) -> R<(u32, [V; 4])> {
    let u = js.undefined()?;
    let s = |x: &str| js.string(x);
    let ttl = |t: Option<u64>| match t {
        Some(secs) => js.number(secs as f64),
        None => js.null(),
    };
    Ok(match c {
        Command::Get { key } => (0, [s(key)?, u, u, u]),
        Command::GetWithTtl { key } => (1, [s(key)?, u, u, u]),
        Command::Set { key, value, ttl_secs } => (2, [s(key)?, js.buffer(value)?, ttl(*ttl_secs)?, u]),
        Command::SetNx { key, token, px_ms } => (3, [s(key)?, s(token)?, js.number(*px_ms as f64)?, u]),
        Command::EvalRelease { script, sha1, key, token } => (4, [s(key)?, s(token)?, s(script)?, s(sha1)?]),
        Command::Expire { key, ttl_secs } => (5, [s(key)?, js.number(*ttl_secs as f64)?, u, u]),
        Command::Del { keys } => {
            let a = js.array(keys.len())?;
            for (i, k) in keys.iter().enumerate() {
                js.set_element(a, i as u32, js.string(k)?)?;
            }
            (6, [a, u, u, u])
        }
        Command::SAdd { key, member, ttl_secs } => (7, [s(key)?, s(member)?, js.number(*ttl_secs as f64)?, u]),
        Command::SMembers { key } => (8, [s(key)?, u, u, u]),
        Command::DeleteMatching { pattern } => (9, [s(pattern)?, u, u, u]),
        Command::Exists { key } => (10, [s(key)?, u, u, u]),
    })
}

/// A command as a plain object.
pub fn command_js(js: Js, c: &Command) -> R<V> {
    let (code, [a, b, c2, d]) = command_args(js, c)?;
    let f = crate::value::builder(js, Builder::Command)?;
    js.call(js.undefined()?, f, &[js.number(f64::from(code))?, a, b, c2, d])
}

/// An error as a plain object `{code, name, message}`.
pub fn error_js(js: Js, e: &Error) -> R<V> {
    let o = Out::new(js)?;
    o.num(c"code", f64::from(e.code()))?;
    o.str(c"name", e.kind().name())?;
    o.str(c"message", e.message())?;
    Ok(o.obj)
}

/// A non-hit outcome's builder code and arguments (see the runtime's `step`).
fn outcome_args(js: Js, outcome: &Outcome) -> R<(u32, V)> {
    Ok(match outcome {
        // Not reached: hits are built by `hit_js`.
        Outcome::Hit { .. } | Outcome::HitJson { .. } => (37, hit_value(js, outcome)?),
        Outcome::Miss => (30, js.undefined()?),
        Outcome::Computed { cached } => (31, js.boolean(*cached)?),
        Outcome::Stored { redis } => (32, js.boolean(*redis)?),
        Outcome::Deleted { existed } => (33, js.boolean(*existed)?),
        Outcome::Invalidated { redis_keys } => (34, js.number(*redis_keys as f64)?),
        Outcome::Failed(e) => (35, error_js(js, e)?),
        Outcome::Exists { found } => (36, js.boolean(*found)?),
    })
}

/// A hit's value as it crosses to JavaScript: its JSON text (a string, for `JSON.parse`), or,
/// for a value JSON cannot say (a plain [`Outcome::Hit`] from this engine), the value in a
/// one-element array.
fn hit_value(js: Js, hit: &Outcome) -> R<V> {
    match hit {
        Outcome::HitJson { json, .. } => js.string(json),
        Outcome::Hit { value, .. } => {
            let a = js.array(1)?;
            js.set_element(a, 0, to_js(js, false, value)?)?;
            Ok(a)
        }
        _ => ck(ErrorKind::Internal, "not a hit"),
    }
}

/// The step of a hit, built by the runtime's `hitStep` (its value as JSON text when it can).
fn hit_js(js: Js, id: u32, wake: &[cachekit::engine::WaitToken], hit: &Outcome, refresh_ahead: bool) -> R<V> {
    let f = crate::value::builder(js, Builder::Hit)?;
    let undef = js.undefined()?;
    let wake = if wake.is_empty() { undef } else { tokens(js, wake)? };
    let (v, json, source) = match hit {
        Outcome::HitJson { json, source } => (undef, js.string(json)?, source),
        Outcome::Hit { value, source } => (to_js(js, false, value)?, undef, source),
        _ => return ck(ErrorKind::Internal, "not a hit"),
    };
    let source = js.number(match source {
        Source::L1 => 0.0,
        Source::Redis => 1.0,
        Source::Shared => 2.0,
    })?;
    let args = [js.number(f64::from(id))?, wake, v, json, source, js.boolean(refresh_ahead)?];
    js.call(undef, f, &args)
}

impl NativeEngine {
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Turns a step into its object; keeps the operation unless it is done. With `fast`, a
    /// finished hit that needs nothing more (no refresh ahead) is returned as its value
    /// alone ([`hit_value`]) instead of a step.
    fn step(&mut self, js: Js, id: u32, mut op: Op, step: Step, fast: bool) -> R<V> {
        let rejected = op.take_rejected();
        let absorbed = op.take_absorbed();
        let obj = self.step_object(js, id, &mut op, &step, fast && rejected.is_none() && absorbed.is_none())?;
        if let Some(e) = rejected {
            js.set_named(obj, c"rejected", error_js(js, &e)?)?;
        }
        if let Some(e) = absorbed {
            js.set_named(obj, c"failure", error_js(js, &e)?)?;
        }
        if !matches!(step.action, Action::Done(_)) {
            self.ops.keep(id, op);
        }
        Ok(obj)
    }

    fn step_object(&self, js: Js, id: u32, op: &mut Op, step: &Step, fast: bool) -> R<V> {
        if let Action::Done(hit @ (Outcome::Hit { .. } | Outcome::HitJson { .. })) = &step.action {
            if fast && !op.refresh_ahead() && step.wake.is_empty() {
                return hit_value(js, hit);
            }
            return hit_js(js, id, &step.wake, hit, op.refresh_ahead());
        }
        let u = js.undefined()?;
        let wake = if step.wake.is_empty() { u } else { tokens(js, &step.wake)? };
        let mut timeout = u;
        let (code, [a, b, c, d]) = match &step.action {
            Action::Send(cmd) => {
                timeout = js.number(self.engine.command_timeout(self.now()) as f64)?;
                command_args(js, cmd)?
            }
            Action::Compute => (20, [u, u, u, u]),
            Action::Sleep { until, token } => {
                let t = match token {
                    Some(t) => js.number(token_number(*t))?,
                    None => js.null()?,
                };
                (21, [js.number(until.saturating_sub(self.now()) as f64)?, t, u, u])
            }
            Action::Done(outcome) => {
                let (code, v) = outcome_args(js, outcome)?;
                (code, [v, js.boolean(op.refresh_ahead())?, u, u])
            }
        };
        let f = crate::value::builder(js, Builder::Step)?;
        js.call(u, f, &[js.number(f64::from(id))?, wake, js.number(f64::from(code))?, a, b, c, d, timeout])
    }

    fn start(&mut self, js: Js, f: impl FnOnce(&Engine, u64) -> (Op, Step)) -> R<V> {
        self.start_as(js, false, f)
    }

    fn start_as(&mut self, js: Js, fast: bool, f: impl FnOnce(&Engine, u64) -> (Op, Step)) -> R<V> {
        let now = self.now();
        let (mut op, step) = f(&self.engine, now);
        let id = self.ops.begin(&self.engine, fast, &mut op);
        self.step(js, id, op, step, fast)
    }

    fn feed(&mut self, js: Js, id: u32, f: impl FnOnce(&mut Op, &Engine, u64) -> Step) -> R<V> {
        self.feed_as(js, false, id, f)
    }

    fn feed_as(&mut self, js: Js, fast: bool, id: u32, f: impl FnOnce(&mut Op, &Engine, u64) -> Step) -> R<V> {
        let mut op = self.ops.take(id)?;
        let now = self.now();
        let step = f(&mut op, &self.engine, now);
        self.step(js, id, op, step, fast)
    }
}

fn reply(js: Js, v: V) -> R<Reply> {
    Ok(match js.type_of(v)? {
        sys::ValueType::napi_undefined | sys::ValueType::napi_null => Reply::Nil,
        sys::ValueType::napi_string => Reply::Ok,
        sys::ValueType::napi_number => Reply::Int(js.get_f64(v)? as i64),
        sys::ValueType::napi_boolean => Reply::Int(i64::from(js.get_bool(v)?)),
        sys::ValueType::napi_object if js.is_array(v)? => {
            let n = js.array_len(v)?;
            let mut items = Vec::with_capacity(n as usize);
            for i in 0..n {
                items.push(reply(js, js.element(v, i)?)?);
            }
            Reply::Array(items)
        }
        sys::ValueType::napi_object => Reply::Bytes(bytes_arg(js, v, "reply")?),
        _ => return ck(ErrorKind::InvalidArgument, "unsupported reply value"),
    })
}

#[napi]
impl NativeEngine {
    /// Builds an engine from a configuration object (see the package's `EngineConfig`).
    #[napi(constructor)]
    pub fn new(env: Env, config: Raw) -> Result<NativeEngine, JsErr> {
        let js = Js::new(env.raw());
        let (config, keyring) = config::engine_config(&opts(js, config.0, "engine config")?)?;
        let engine = Engine::new(config, keyring).map_err(crate::js::Fail::from)?;
        Ok(NativeEngine { engine: Arc::new(engine), epoch: Instant::now(), ops: Ops::new(), profiles: Profiles::new() })
    }

    #[napi]
    pub fn get(&mut self, env: Env, key: Raw, opts: Raw) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let req = request(js, key.0, opts.0, &self.profiles)?;
        Ok(Raw(self.start(js, |e, now| e.get(req, now))?))
    }

    /// `get` with the fast paths: an immediate hit (L1) comes back as its value alone — JSON
    /// text (a string) or `[value]` —, a plain read of the key ([`Op::plain_read`]) as a
    /// number — the operation, negated when the command is `getWithTtl` rather than `get` —,
    /// and anything else as the first step.
    #[napi(js_name = "getFast")]
    pub fn get_fast(&mut self, env: Env, key: Raw, opts: Raw) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let req = request(js, key.0, opts.0, &self.profiles)?;
        let now = self.now();
        let (mut op, step) = self.engine.get(req, now);
        let id = self.ops.begin(&self.engine, true, &mut op);
        if let Some(with_ttl) = op.plain_read(&step) {
            self.ops.keep(id, op);
            let n = f64::from(id);
            return Ok(Raw(js.number(if with_ttl { -n } else { n })?));
        }
        Ok(Raw(self.step(js, id, op, step, true)?))
    }

    /// `getOrCompute` with the fast path of `getFast`.
    #[napi(js_name = "getOrComputeFast")]
    pub fn get_or_compute_fast(&mut self, env: Env, key: Raw, opts: Raw) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let req = request(js, key.0, opts.0, &self.profiles)?;
        Ok(Raw(self.start_as(js, true, |e, now| e.get_or_compute(req, now))?))
    }

    /// Whether the key is in L1 or Redis, without reading or decoding the entry.
    #[napi]
    pub fn exists(&mut self, env: Env, key: Raw, opts: Raw) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let req = request(js, key.0, opts.0, &self.profiles)?;
        Ok(Raw(self.start(js, |e, now| e.exists(req, now))?))
    }

    /// Registers how a wrapped function's calls are keyed — `{kind: "default", namespace?,
    /// function, integrity}` or `{kind: "interop", namespace, operation}` — with the request
    /// profile its calls use; returns the number `callFast` takes.
    #[napi(js_name = "keyProfile")]
    pub fn key_profile(&mut self, env: Env, spec: Raw, profile: u32) -> Result<u32, JsErr> {
        let js = Js::new(env.raw());
        Ok(self.profiles.add_recipe(&opts(js, spec.0, "key profile")?, profile)?)
    }

    /// A wrapped function's call: keys `args` by the recipe and starts `getOrCompute` with the
    /// fast path of `getFast`; a step (not an immediate hit) carries the key as `key`. Throws
    /// when the arguments cannot be keyed.
    #[napi(js_name = "callFast")]
    pub fn call_fast(&mut self, env: Env, recipe: u32, args: Raw) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let args = to_core_list(js, args.0, "args")?;
        let req = self.profiles.call(recipe, &args).map_err(crate::js::Fail::from)?;
        let key = req.key.clone();
        let out = self.start_as(js, true, |e, now| e.get_or_compute(req, now))?;
        if js.type_of(out)? == sys::ValueType::napi_object && !js.is_array(out)? {
            js.set_named(out, c"key", js.string(&key)?)?;
        }
        Ok(Raw(out))
    }

    #[napi]
    pub fn set(&mut self, env: Env, key: Raw, value: Raw, opts: Raw) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let req = request(js, key.0, opts.0, &self.profiles)?;
        let value = to_core(js, value.0)?;
        Ok(Raw(self.start(js, |e, now| e.set(req, &value, now))?))
    }

    #[napi(js_name = "getOrCompute")]
    pub fn get_or_compute(&mut self, env: Env, key: Raw, opts: Raw) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let req = request(js, key.0, opts.0, &self.profiles)?;
        Ok(Raw(self.start(js, |e, now| e.get_or_compute(req, now))?))
    }

    #[napi]
    pub fn refresh(&mut self, env: Env, key: Raw, opts: Raw) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let req = request(js, key.0, opts.0, &self.profiles)?;
        Ok(Raw(self.start(js, |e, now| e.refresh(req, now))?))
    }

    #[napi]
    pub fn delete(&mut self, env: Env, key: Raw, opts: Raw) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let req = request(js, key.0, opts.0, &self.profiles)?;
        Ok(Raw(self.start(js, |e, now| e.delete(req, now))?))
    }

    /// `target`: `{key}`, `{namespace, mode?}` or `{tag}`.
    #[napi]
    pub fn invalidate(&mut self, env: Env, target: Raw) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let t = config::invalidation(&opts(js, target.0, "invalidation target")?)?;
        Ok(Raw(self.start(js, |e, now| e.invalidate(t, now))?))
    }

    /// The reply to the operation's last command: `null` (nil), a string (status), a number
    /// (integer), a `Buffer` (bulk string) or an array of those.
    #[napi(js_name = "onReply")]
    pub fn on_reply(&mut self, env: Env, op: u32, value: Raw) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let r = reply(js, value.0)?;
        Ok(Raw(self.feed(js, op, |o, e, now| o.on_reply(e, r, now))?))
    }

    /// `onReply` with the fast path of `getFast`: a hit that needs nothing more comes back as
    /// its value alone (JSON text or `[value]`; its source is Redis).
    #[napi(js_name = "onReplyFast")]
    pub fn on_reply_fast(&mut self, env: Env, op: u32, value: Raw) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let r = reply(js, value.0)?;
        Ok(Raw(self.feed_as(js, true, op, |o, e, now| o.on_reply(e, r, now))?))
    }

    /// The last command failed with `message`, or timed out when `message` is `null`.
    #[napi(js_name = "onError")]
    pub fn on_error(&mut self, env: Env, op: u32, message: Option<String>) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let r = match message {
            Some(m) => Reply::Error(m),
            None => Reply::Timeout,
        };
        Ok(Raw(self.feed(js, op, |o, e, now| o.on_reply(e, r, now))?))
    }

    /// The computation's value. A value that cannot be cached is not an error here: the
    /// outcome says it was not cached, and the caller still gets its value.
    #[napi(js_name = "onComputed")]
    pub fn on_computed(&mut self, env: Env, op: u32, value: Raw) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let converted = to_core(js, value.0);
        let v = match converted {
            Ok(v) => v,
            Err(crate::js::Fail::Ck(e)) => {
                // Settle the operation (followers, fill lock) with a value every encoder
                // refuses: the core counts it and reports "computed, not cached"; the step
                // carries the reason for the binding's error hook.
                let uncacheable = cachekit::Value::Ext(0, Vec::new());
                let step = self.feed(js, op, |o, eng, now| o.on_computed(eng, Ok(&uncacheable), now))?;
                js.set_named(step, c"failure", error_js(js, &e)?)?;
                return Ok(Raw(step));
            }
            Err(f) => return Err(f.into()),
        };
        Ok(Raw(self.feed(js, op, |o, e, now| o.on_computed(e, Ok(&v), now))?))
    }

    /// The computation threw `message`.
    #[napi(js_name = "onComputeFailed")]
    pub fn on_compute_failed(&mut self, env: Env, op: u32, message: String) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        Ok(Raw(self.feed(js, op, |o, e, now| o.on_computed(e, Err(message), now))?))
    }

    /// Continues after a sleep (its delay passed or its token was woken).
    #[napi]
    pub fn resume(&mut self, env: Env, op: u32) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        Ok(Raw(self.feed(js, op, |o, e, now| o.resume(e, now))?))
    }

    /// Abandons an operation: `{wake, release}` (a command to fire and forget, or `null`).
    #[napi]
    pub fn abandon(&mut self, env: Env, op: u32) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let out = Out::new(js)?;
        if let Some(mut o) = self.ops.remove(op) {
            let now = self.now();
            let (wake, release) = o.abandon(&self.engine, now);
            out.val(c"wake", tokens(js, &wake)?)?;
            match release {
                Some(c) => out.val(c"release", command_js(js, &c)?)?,
                None => out.val(c"release", js.null()?)?,
            }
        } else {
            out.val(c"wake", js.array(0)?)?;
            out.val(c"release", js.null()?)?;
        }
        Ok(Raw(out.obj))
    }

    /// Registers request options once (`{mode, namespace, ttl, tags}`) and returns a number
    /// that later calls pass instead of the object (a wrapped function's options).
    #[napi]
    pub fn profile(&mut self, env: Env, opts: Raw) -> Result<u32, JsErr> {
        let js = Js::new(env.raw());
        Ok(self.profiles.add_request(&NodeHost::new(js), &opts.0)?)
    }

    /// Pins the entry of the L1 hit the previous call returned (a fast start that returned a
    /// value), so the caller may keep the value it decoded: returns the token `pinned` takes,
    /// or -1 when there is nothing to pin (that call was not an L1 hit, or the cache encrypts).
    #[napi(js_name = "pinLast")]
    pub fn pin_last(&mut self) -> f64 {
        self.ops.pins.pin_last(&self.engine).map_or(-1.0, |token| token as f64)
    }

    /// True when L1 still holds exactly the pinned entry (counted as an L1 hit); false frees
    /// the token.
    #[napi]
    pub fn pinned(&mut self, token: f64) -> bool {
        let now = self.now();
        token_from_js(token).is_some_and(|t| self.ops.pins.check(&self.engine, t, now))
    }

    /// Frees a pin (the caller dropped its value).
    #[napi]
    pub fn unpin(&mut self, token: f64) {
        if let Some(t) = token_from_js(token) {
            self.ops.pins.unpin(t);
        }
    }

    /// Operations started and not yet done or abandoned.
    #[napi(js_name = "pendingOps")]
    pub fn pending_ops(&self) -> u32 {
        self.ops.len() as u32
    }

    /// The timeout to apply to the next command, in ms.
    #[napi(js_name = "commandTimeout")]
    pub fn command_timeout(&self) -> f64 {
        self.engine.command_timeout(self.now()) as f64
    }

    /// Prometheus text exposition.
    #[napi]
    pub fn metrics(&self) -> String {
        self.engine.render_metrics(self.now())
    }

    /// True when entries are encrypted.
    #[napi]
    pub fn encrypted(&self) -> bool {
        self.engine.encrypted()
    }

    /// The default TTL in seconds, or `null` for "never".
    #[napi(js_name = "defaultTtl")]
    pub fn default_ttl(&self) -> Option<f64> {
        self.engine.config().default_ttl().secs().map(|s| s as f64)
    }

    /// The entry mode of requests that name none.
    #[napi]
    pub fn mode(&self) -> &'static str {
        self.engine.config().mode.name()
    }

    /// Breaker, L1, latency and backpressure state.
    #[napi]
    pub fn health(&self, env: Env) -> Result<Raw, JsErr> {
        let js = Js::new(env.raw());
        let now = self.now();
        let e = &self.engine;
        let out = Out::new(js)?;
        let b = e.breaker().snapshot(now);
        let bo = Out::new(js)?;
        bo.str(c"state", b.state.name())?;
        bo.num(c"failuresInWindow", f64::from(b.failures_in_window))?;
        bo.opt_num(c"msUntilHalfOpen", b.time_until_half_open.map(|t| t as f64))?;
        bo.num(c"opened", b.counters.opened as f64)?;
        bo.num(c"rejected", b.counters.rejected as f64)?;
        bo.num(c"failures", b.counters.failures as f64)?;
        out.val(c"breaker", bo.obj)?;
        match e.l1() {
            Some(l1) => {
                let s = l1.stats();
                let lo = Out::new(js)?;
                lo.num(c"hits", s.hits as f64)?;
                lo.num(c"misses", s.misses as f64)?;
                lo.num(c"hitRatio", s.hit_ratio())?;
                lo.num(c"entries", s.entries as f64)?;
                lo.num(c"bytes", s.bytes as f64)?;
                lo.num(c"budget", s.budget as f64)?;
                lo.num(c"evictions", s.evictions as f64)?;
                lo.num(c"expirations", s.expirations as f64)?;
                out.val(c"l1", lo.obj)?;
            }
            None => out.val(c"l1", js.null()?)?,
        }
        let t = e.adaptive_timeout().snapshot(now);
        let to = Out::new(js)?;
        to.num(c"timeoutMs", t.timeout as f64)?;
        to.num(c"samples", t.samples as f64)?;
        to.opt_num(c"p50Ms", t.p50)?;
        to.opt_num(c"p95Ms", t.p95)?;
        to.opt_num(c"p99Ms", t.p99)?;
        out.val(c"latency", to.obj)?;
        let l = e.limiter().stats();
        let lo = Out::new(js)?;
        lo.num(c"inFlight", f64::from(l.in_flight))?;
        lo.num(c"queued", f64::from(l.queued))?;
        lo.num(c"rejected", l.rejected() as f64)?;
        lo.bool(c"healthy", l.healthy())?;
        out.val(c"backpressure", lo.obj)?;
        out.bool(c"encrypted", e.encrypted())?;
        Ok(Raw(out.obj))
    }
}
