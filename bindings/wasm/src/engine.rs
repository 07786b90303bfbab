//! `NativeEngine` (the same class name and methods as the napi addon): the core's sans-I/O
//! request engine, driven from JavaScript. Steps, commands and outcomes are the plain objects
//! of `bindings/node/ts/engine.ts`. The clock is JavaScript's `performance.now()`.

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use cachekit::crypto::MasterKey;
use cachekit::engine::{Action, Command, Engine, Op, Ops, Outcome, Reply, Request, Source, Step, token_from_js};
use cachekit::entry::Mode;
use cachekit::{Error, ErrorKind};

use crate::js::{Fail, Out, R, ck, opts};
use crate::value::{WasmHost, bytes_arg, to_core, to_js};
use cachekit_js_host::{Profiles, config};

#[wasm_bindgen]
extern "C" {
    /// The monotonic clock of the host (browsers, workers, Node, Deno, Bun).
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

fn clock() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        performance_now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}

/// One cache's engine: configuration, keyring, L1, breaker, single flight, metrics, and the
/// operations in progress.
#[wasm_bindgen]
pub struct NativeEngine {
    engine: Engine,
    epoch: f64,
    /// Operations in progress by number, and the L1 hits whose decoded values the TypeScript
    /// layer keeps (`pinLast`, `pinned`).
    ops: Ops,
    /// Request options (`profile()`) and key recipes (`keyProfile()`) registered by number.
    profiles: Profiles,
}

pub fn mode_from(name: &str) -> R<Mode> {
    Ok(Mode::from_name(name)?)
}

/// A master key given as 64 hex digits or 32 raw bytes.
pub fn master_key(v: &JsValue) -> R<MasterKey> {
    config::master_key(&WasmHost::new(), v)
}

fn request(key: &JsValue, opts: &JsValue, profiles: &Profiles) -> R<Request> {
    profiles.request(&WasmHost::new(), key, opts)
}

fn token_number(t: cachekit::engine::WaitToken) -> f64 {
    let v = t.get();
    if v & (1 << 63) != 0 { -((v & !(1 << 63)) as f64) - 1.0 } else { v as f64 }
}

fn tokens(wake: &[cachekit::engine::WaitToken]) -> JsValue {
    let a = Array::new_with_length(wake.len() as u32);
    for (i, t) in wake.iter().enumerate() {
        a.set(i as u32, JsValue::from_f64(token_number(*t)));
    }
    a.into()
}

/// A command as a plain object.
pub fn command_js(c: &Command) -> R<JsValue> {
    let o = Out::new();
    let opt_ttl = |o: &Out, t: Option<u64>| o.opt_num("ttl", t.map(|s| s as f64));
    match c {
        Command::Get { key } => {
            o.str("name", "get");
            o.str("key", key);
        }
        Command::GetWithTtl { key } => {
            o.str("name", "getWithTtl");
            o.str("key", key);
        }
        Command::Set { key, value, ttl_secs } => {
            o.str("name", "set");
            o.str("key", key);
            o.bytes("value", value)?;
            opt_ttl(&o, *ttl_secs);
        }
        Command::SetNx { key, token, px_ms } => {
            o.str("name", "setNx");
            o.str("key", key);
            o.str("token", token);
            o.num("px", *px_ms as f64);
        }
        Command::EvalRelease { script, sha1, key, token } => {
            o.str("name", "evalRelease");
            o.str("key", key);
            o.str("token", token);
            o.str("script", script);
            o.str("sha1", sha1);
        }
        Command::Expire { key, ttl_secs } => {
            o.str("name", "expire");
            o.str("key", key);
            o.num("ttl", *ttl_secs as f64);
        }
        Command::Del { keys } => {
            o.str("name", "del");
            let a = Array::new();
            for k in keys {
                a.push(&JsValue::from_str(k));
            }
            o.val("keys", &a);
        }
        Command::SAdd { key, member, ttl_secs } => {
            o.str("name", "sadd");
            o.str("key", key);
            o.str("member", member);
            o.num("ttl", *ttl_secs as f64);
        }
        Command::SMembers { key } => {
            o.str("name", "smembers");
            o.str("key", key);
        }
        Command::DeleteMatching { pattern } => {
            o.str("name", "deleteMatching");
            o.str("pattern", pattern);
        }
        Command::Exists { key } => {
            o.str("name", "exists");
            o.str("key", key);
        }
    }
    Ok(o.into_js())
}

/// An error as a plain object `{code, name, message}`.
pub fn error_js(e: &Error) -> JsValue {
    let o = Out::new();
    o.num("code", f64::from(e.code()));
    o.str("name", e.kind().name());
    o.str("message", e.message());
    o.into_js()
}

/// Fills a hit outcome `{kind: "hit", value, source}`.
fn hit_js(o: &Out, value: JsValue, source: Source) {
    o.str("kind", "hit");
    o.val("value", &value);
    o.str(
        "source",
        match source {
            Source::L1 => "l1",
            Source::Redis => "redis",
            Source::Shared => "shared",
        },
    );
}

fn outcome_js(outcome: &Outcome) -> R<JsValue> {
    let o = Out::new();
    match outcome {
        Outcome::Hit { value, source } => hit_js(&o, to_js(false, value)?, *source),
        Outcome::HitJson { json, source } => {
            let value = js_sys::JSON::parse(json)
                .map_err(|_| Error::new(ErrorKind::Internal, "the engine wrote JSON that does not parse"))?;
            hit_js(&o, value, *source);
        }
        Outcome::Miss => o.str("kind", "miss"),
        Outcome::Computed { cached } => {
            o.str("kind", "computed");
            o.bool("cached", *cached);
        }
        Outcome::Stored { redis } => {
            o.str("kind", "stored");
            o.bool("redis", *redis);
        }
        Outcome::Deleted { existed } => {
            o.str("kind", "deleted");
            o.bool("existed", *existed);
        }
        Outcome::Exists { found } => {
            o.str("kind", "exists");
            o.bool("found", *found);
        }
        Outcome::Invalidated { redis_keys } => {
            o.str("kind", "invalidated");
            o.num("redisKeys", *redis_keys as f64);
        }
        Outcome::Failed(e) => {
            o.str("kind", "failed");
            o.val("error", &error_js(e));
        }
    }
    Ok(o.into_js())
}

fn reply(v: &JsValue) -> R<Reply> {
    if v.is_undefined() || v.is_null() {
        return Ok(Reply::Nil);
    }
    if v.is_string() {
        return Ok(Reply::Ok);
    }
    if let Some(x) = v.as_f64() {
        return Ok(Reply::Int(x as i64));
    }
    if let Some(b) = v.as_bool() {
        return Ok(Reply::Int(i64::from(b)));
    }
    if Array::is_array(v) {
        return Array::from(v).iter().map(|x| reply(&x)).collect::<R<Vec<_>>>().map(Reply::Array);
    }
    if v.is_object() {
        return Ok(Reply::Bytes(bytes_arg(v, "reply")?));
    }
    ck(ErrorKind::InvalidArgument, "unsupported reply value")
}

impl NativeEngine {
    fn now(&self) -> u64 {
        (clock() - self.epoch).max(0.0) as u64
    }

    /// Turns a step into its object; keeps the operation unless it is done. With `fast`, a
    /// finished hit that needs nothing more comes back as its value alone instead of a step:
    /// its JSON text (a string, for `JSON.parse`) when JSON says it exactly ([`Outcome::HitJson`]),
    /// else `[value]`.
    fn step(&mut self, id: u32, mut op: Op, step: Step, fast: bool) -> R<JsValue> {
        let rejected = op.take_rejected();
        let absorbed = op.take_absorbed();
        let quick = fast && rejected.is_none() && absorbed.is_none() && !op.refresh_ahead() && step.wake.is_empty();
        match &step.action {
            Action::Done(Outcome::HitJson { json, .. }) if quick => return Ok(JsValue::from_str(json)),
            // This engine hands out JSON when it can: a plain hit is a value JSON cannot say.
            Action::Done(Outcome::Hit { value, .. }) if quick => {
                return Ok(Array::of1(&to_js(false, value)?).into());
            }
            _ => {}
        }
        let o = Out::new();
        o.num("op", f64::from(id));
        if !step.wake.is_empty() {
            o.val("wake", &tokens(&step.wake));
        }
        if let Some(e) = rejected {
            o.val("rejected", &error_js(&e));
        }
        if let Some(e) = absorbed {
            o.val("failure", &error_js(&e));
        }
        match &step.action {
            Action::Send(cmd) => {
                o.str("type", "send");
                o.val("command", &command_js(cmd)?);
                o.num("timeout", self.engine.command_timeout(self.now()) as f64);
            }
            Action::Compute => o.str("type", "compute"),
            Action::Sleep { until, token } => {
                o.str("type", "sleep");
                o.num("delay", until.saturating_sub(self.now()) as f64);
                o.opt_num("token", token.map(token_number));
            }
            Action::Done(outcome) => {
                o.str("type", "done");
                o.val("outcome", &outcome_js(outcome)?);
                if op.refresh_ahead() {
                    o.bool("refreshAhead", true);
                }
            }
        }
        if !matches!(step.action, Action::Done(_)) {
            self.ops.keep(id, op);
        }
        Ok(o.into_js())
    }

    fn start(&mut self, f: impl FnOnce(&Engine, u64) -> (Op, Step)) -> R<JsValue> {
        self.start_as(false, f)
    }

    fn start_as(&mut self, fast: bool, f: impl FnOnce(&Engine, u64) -> (Op, Step)) -> R<JsValue> {
        let now = self.now();
        let (mut op, step) = f(&self.engine, now);
        let id = self.ops.begin(&self.engine, fast, &mut op);
        self.step(id, op, step, fast)
    }

    fn feed(&mut self, id: u32, f: impl FnOnce(&mut Op, &Engine, u64) -> Step) -> R<JsValue> {
        self.feed_as(false, id, f)
    }

    fn feed_as(&mut self, fast: bool, id: u32, f: impl FnOnce(&mut Op, &Engine, u64) -> Step) -> R<JsValue> {
        let mut op = self.ops.take(id)?;
        let now = self.now();
        let step = f(&mut op, &self.engine, now);
        self.step(id, op, step, fast)
    }
}

#[wasm_bindgen]
impl NativeEngine {
    /// Builds an engine from a configuration object (the package's `EngineConfig`).
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<NativeEngine, Fail> {
        let (config, keyring) = config::engine_config(&opts(&config, "engine config")?)?;
        let engine = Engine::new(config, keyring)?;
        Ok(NativeEngine { engine, epoch: clock(), ops: Ops::new(), profiles: Profiles::new() })
    }

    pub fn get(&mut self, key: JsValue, opts: JsValue) -> Result<JsValue, Fail> {
        let req = request(&key, &opts, &self.profiles)?;
        self.start(|e, now| e.get(req, now))
    }

    /// `get` with the fast paths: an immediate (L1) hit comes back as its value alone (JSON
    /// text or `[value]`), a plain read of the key ([`Op::plain_read`]) as a number — the
    /// operation, negated when the command is `getWithTtl` rather than `get` —, and anything
    /// else as the first step.
    #[wasm_bindgen(js_name = getFast)]
    pub fn get_fast(&mut self, key: JsValue, opts: JsValue) -> Result<JsValue, Fail> {
        let req = request(&key, &opts, &self.profiles)?;
        let now = self.now();
        let (mut op, step) = self.engine.get(req, now);
        let id = self.ops.begin(&self.engine, true, &mut op);
        if let Some(with_ttl) = op.plain_read(&step) {
            self.ops.keep(id, op);
            let n = f64::from(id);
            return Ok(JsValue::from_f64(if with_ttl { -n } else { n }));
        }
        self.step(id, op, step, true)
    }

    /// `getOrCompute`; an immediate (L1) hit comes back as `[value]` instead of a step.
    #[wasm_bindgen(js_name = getOrComputeFast)]
    pub fn get_or_compute_fast(&mut self, key: JsValue, opts: JsValue) -> Result<JsValue, Fail> {
        let req = request(&key, &opts, &self.profiles)?;
        self.start_as(true, |e, now| e.get_or_compute(req, now))
    }

    /// Whether the key is in L1 or Redis (`EXISTS`), without reading or decoding the entry.
    pub fn exists(&mut self, key: JsValue, opts: JsValue) -> Result<JsValue, Fail> {
        let req = request(&key, &opts, &self.profiles)?;
        self.start(|e, now| e.exists(req, now))
    }

    /// Registers a wrapped function's key recipe (`{kind, namespace, function, integrity}` or
    /// `{kind: "interop", namespace, operation}`) with its request profile.
    #[wasm_bindgen(js_name = keyProfile)]
    pub fn key_profile(&mut self, spec: JsValue, profile: u32) -> Result<u32, Fail> {
        self.profiles.add_recipe(&opts(&spec, "key profile")?, profile)
    }

    /// Keys `args` by the recipe and starts `getOrCompute`: an immediate hit as its value alone
    /// (JSON text or `[value]`), else the first step with the key as `key`.
    #[wasm_bindgen(js_name = callFast)]
    pub fn call_fast(&mut self, recipe: u32, args: JsValue) -> Result<JsValue, Fail> {
        let args = crate::value::to_core_list(&args, "args")?;
        let req = self.profiles.call(recipe, &args)?;
        let key = req.key.clone();
        let out = self.start_as(true, |e, now| e.get_or_compute(req, now))?;
        if out.is_object() && !Array::is_array(&out) {
            js_sys::Reflect::set(&out, &JsValue::from_str("key"), &JsValue::from_str(&key))
                .map_err(|_| Fail::from(Error::new(ErrorKind::Internal, "could not set the step's key")))?;
        }
        Ok(out)
    }

    pub fn set(&mut self, key: JsValue, value: JsValue, opts: JsValue) -> Result<JsValue, Fail> {
        let req = request(&key, &opts, &self.profiles)?;
        let value = to_core(&value)?;
        self.start(|e, now| e.set(req, &value, now))
    }

    #[wasm_bindgen(js_name = getOrCompute)]
    pub fn get_or_compute(&mut self, key: JsValue, opts: JsValue) -> Result<JsValue, Fail> {
        let req = request(&key, &opts, &self.profiles)?;
        self.start(|e, now| e.get_or_compute(req, now))
    }

    pub fn refresh(&mut self, key: JsValue, opts: JsValue) -> Result<JsValue, Fail> {
        let req = request(&key, &opts, &self.profiles)?;
        self.start(|e, now| e.refresh(req, now))
    }

    pub fn delete(&mut self, key: JsValue, opts: JsValue) -> Result<JsValue, Fail> {
        let req = request(&key, &opts, &self.profiles)?;
        self.start(|e, now| e.delete(req, now))
    }

    /// `target`: `{key}`, `{namespace, mode?}` or `{tag}`.
    pub fn invalidate(&mut self, target: JsValue) -> Result<JsValue, Fail> {
        let t = config::invalidation(&opts(&target, "invalidation target")?)?;
        self.start(|e, now| e.invalidate(t, now))
    }

    /// The reply to the operation's last command.
    #[wasm_bindgen(js_name = onReply)]
    pub fn on_reply(&mut self, op: u32, value: JsValue) -> Result<JsValue, Fail> {
        let r = reply(&value)?;
        self.feed(op, |o, e, now| o.on_reply(e, r, now))
    }

    /// `onReply`; a hit that needs nothing more comes back as `[value]` instead of a step.
    #[wasm_bindgen(js_name = onReplyFast)]
    pub fn on_reply_fast(&mut self, op: u32, value: JsValue) -> Result<JsValue, Fail> {
        let r = reply(&value)?;
        self.feed_as(true, op, |o, e, now| o.on_reply(e, r, now))
    }

    /// The last command failed with `message`, or timed out when `message` is `null`.
    #[wasm_bindgen(js_name = onError)]
    pub fn on_error(&mut self, op: u32, message: Option<String>) -> Result<JsValue, Fail> {
        let r = match message {
            Some(m) => Reply::Error(m),
            None => Reply::Timeout,
        };
        self.feed(op, |o, e, now| o.on_reply(e, r, now))
    }

    /// The computation's value; one that cannot be cached settles the operation as
    /// "computed, not cached" and the step carries `uncacheable`.
    #[wasm_bindgen(js_name = onComputed)]
    pub fn on_computed(&mut self, op: u32, value: JsValue) -> Result<JsValue, Fail> {
        match to_core(&value) {
            Ok(v) => self.feed(op, |o, e, now| o.on_computed(e, Ok(&v), now)),
            Err(Fail::Ck(err)) => {
                let uncacheable = cachekit::Value::Ext(0, Vec::new());
                let step = self.feed(op, |o, eng, now| o.on_computed(eng, Ok(&uncacheable), now))?;
                js_sys::Reflect::set(&step, &JsValue::from_str("failure"), &error_js(&err))?;
                Ok(step)
            }
            Err(f) => Err(f),
        }
    }

    /// The computation threw `message`.
    #[wasm_bindgen(js_name = onComputeFailed)]
    pub fn on_compute_failed(&mut self, op: u32, message: String) -> Result<JsValue, Fail> {
        self.feed(op, |o, e, now| o.on_computed(e, Err(message), now))
    }

    /// Continues after a sleep.
    pub fn resume(&mut self, op: u32) -> Result<JsValue, Fail> {
        self.feed(op, |o, e, now| o.resume(e, now))
    }

    /// Abandons an operation: `{wake, release}`.
    pub fn abandon(&mut self, op: u32) -> Result<JsValue, Fail> {
        let out = Out::new();
        if let Some(mut o) = self.ops.remove(op) {
            let now = self.now();
            let (wake, release) = o.abandon(&self.engine, now);
            out.val("wake", &tokens(&wake));
            match release {
                Some(c) => out.val("release", &command_js(&c)?),
                None => out.val("release", &JsValue::NULL),
            }
        } else {
            out.val("wake", &Array::new());
            out.val("release", &JsValue::NULL);
        }
        Ok(out.into_js())
    }

    /// Registers request options once and returns their number.
    pub fn profile(&mut self, opts: JsValue) -> Result<u32, Fail> {
        self.profiles.add_request(&WasmHost::new(), &opts)
    }

    /// Pins the entry of the L1 hit the previous call returned (a fast start that returned a
    /// value), so the caller may keep the value it decoded: returns the token `pinned` takes,
    /// or -1 when there is nothing to pin (that call was not an L1 hit, or the cache encrypts).
    #[wasm_bindgen(js_name = pinLast)]
    pub fn pin_last(&mut self) -> f64 {
        self.ops.pins.pin_last(&self.engine).map_or(-1.0, |token| token as f64)
    }

    /// True when L1 still holds exactly the pinned entry (counted as an L1 hit); false frees
    /// the token.
    pub fn pinned(&mut self, token: f64) -> bool {
        let now = self.now();
        token_from_js(token).is_some_and(|t| self.ops.pins.check(&self.engine, t, now))
    }

    /// Frees a pin (the caller dropped its value).
    pub fn unpin(&mut self, token: f64) {
        if let Some(t) = token_from_js(token) {
            self.ops.pins.unpin(t);
        }
    }

    #[wasm_bindgen(js_name = pendingOps)]
    pub fn pending_ops(&self) -> u32 {
        self.ops.len() as u32
    }

    #[wasm_bindgen(js_name = commandTimeout)]
    pub fn command_timeout(&self) -> f64 {
        self.engine.command_timeout(self.now()) as f64
    }

    pub fn metrics(&self) -> String {
        self.engine.render_metrics(self.now())
    }

    pub fn encrypted(&self) -> bool {
        self.engine.encrypted()
    }

    #[wasm_bindgen(js_name = defaultTtl)]
    pub fn default_ttl(&self) -> Option<f64> {
        self.engine.config().default_ttl().secs().map(|s| s as f64)
    }

    pub fn mode(&self) -> String {
        self.engine.config().mode.name().to_owned()
    }

    /// Breaker, L1, latency and backpressure state.
    pub fn health(&self) -> JsValue {
        let now = self.now();
        let e = &self.engine;
        let out = Out::new();
        let b = e.breaker().snapshot(now);
        let bo = Out::new();
        bo.str("state", b.state.name());
        bo.num("failuresInWindow", f64::from(b.failures_in_window));
        bo.opt_num("msUntilHalfOpen", b.time_until_half_open.map(|t| t as f64));
        bo.num("opened", b.counters.opened as f64);
        bo.num("rejected", b.counters.rejected as f64);
        bo.num("failures", b.counters.failures as f64);
        out.val("breaker", &bo.into_js());
        match e.l1() {
            Some(l1) => {
                let s = l1.stats();
                let lo = Out::new();
                lo.num("hits", s.hits as f64);
                lo.num("misses", s.misses as f64);
                lo.num("hitRatio", s.hit_ratio());
                lo.num("entries", s.entries as f64);
                lo.num("bytes", s.bytes as f64);
                lo.num("budget", s.budget as f64);
                lo.num("evictions", s.evictions as f64);
                lo.num("expirations", s.expirations as f64);
                out.val("l1", &lo.into_js());
            }
            None => out.val("l1", &JsValue::NULL),
        }
        let t = e.adaptive_timeout().snapshot(now);
        let to = Out::new();
        to.num("timeoutMs", t.timeout as f64);
        to.num("samples", t.samples as f64);
        to.opt_num("p50Ms", t.p50);
        to.opt_num("p95Ms", t.p95);
        to.opt_num("p99Ms", t.p99);
        out.val("latency", &to.into_js());
        let l = e.limiter().stats();
        let lo = Out::new();
        lo.num("inFlight", f64::from(l.in_flight));
        lo.num("queued", f64::from(l.queued));
        lo.num("rejected", l.rejected() as f64);
        lo.bool("healthy", l.healthy());
        out.val("backpressure", &lo.into_js());
        out.bool("encrypted", e.encrypted());
        let _: &Object = &out.obj;
        out.into_js()
    }
}
