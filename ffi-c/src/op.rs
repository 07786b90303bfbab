//! One engine call as a C handle: `ck_op`, what it asks of the caller (`ck_step`: wake
//! tokens, then send a command, compute, sleep, or done with an outcome), and how the caller
//! answers (`ck_reply`, a computed value, the passing of time).
//!
//! Ownership inside a `ck_step`: every pointer is **borrowed from the op** and stays valid
//! until the next call on that op (`ck_op_on_reply`, `ck_op_on_computed`, `ck_op_resume`,
//! `ck_op_abandon`, `ck_op_free`), with one exception: `outcome.value` is a `ck_buf` the
//! caller owns (free it with `ck_buf_free`), as every `ck_buf` in this ABI.

use std::ffi::{CStr, c_char};
use std::sync::Arc;

use cachekit::engine::{Action, Command, Engine, Op, Outcome, Reply, Source, Step};
use cachekit::error::ErrorKind;
use cachekit::{Error, Result};

use crate::boundary::{CK_MAX_INPUT_BYTES, CK_OK, bytes, ck_buf, ck_result, guard, invalid, opt_text};
use crate::handles::{free, register};
use crate::values::{from_msgpack, value_to_msgpack};

// ---------------------------------------------------------------- the vocabulary

/// What an op needs next: one of the `CK_ACTION_*` constants.
pub type ck_action = u32;
/// Nothing: the step of a failed call (or of `ck_op_abandon`).
pub const CK_ACTION_NONE: ck_action = 0;
/// Execute `step.command` (under `ck_engine_command_timeout`), then `ck_op_on_reply`.
pub const CK_ACTION_SEND: ck_action = 1;
/// Run the caller's computation, then `ck_op_on_computed` (get_or_compute and refresh).
pub const CK_ACTION_COMPUTE: ck_action = 2;
/// Park until `step.sleep_until_ms`, or until a later step of any op of the same engine
/// lists `step.sleep_token` in its `wake` array, then `ck_op_resume`.
pub const CK_ACTION_SLEEP: ck_action = 3;
/// The call is over: read `step.outcome`, then `ck_op_free`.
pub const CK_ACTION_DONE: ck_action = 4;

/// A Redis command kind: one of the `CK_CMD_*` constants.
pub type ck_command_kind = u32;
/// No command.
pub const CK_CMD_NONE: ck_command_kind = 0;
/// `GET key` → reply bytes or nil. `argv` is given.
pub const CK_CMD_GET: ck_command_kind = 1;
/// `GET key` and `TTL key` in one round trip (pipeline or `MULTI`) → reply an array of two:
/// `[bytes | nil, int]`. `argv` is not given (`argc` 0): send both from `key`.
pub const CK_CMD_GET_WITH_TTL: ck_command_kind = 2;
/// `SET key value EX ttl_secs` (plain `SET key value` when `has_ttl` is false) → reply OK.
/// `argv` is given.
pub const CK_CMD_SET: ck_command_kind = 3;
/// `SET key token NX PX px_ms` (the fill lock; `key` is the lock key) → reply OK when
/// acquired, nil when held by someone else. `argv` is given.
pub const CK_CMD_SET_NX: ck_command_kind = 4;
/// The lock release script: `EVALSHA sha1 1 key token` (`argv`), and on a `NOSCRIPT` error
/// the same with `EVAL script` instead of `EVALSHA sha1` → reply int.
pub const CK_CMD_EVAL_RELEASE: ck_command_kind = 5;
/// `EXPIRE key ttl_secs` (TTL refresh on hit) → reply int. `argv` is given.
pub const CK_CMD_EXPIRE: ck_command_kind = 6;
/// `DEL keys...` → reply int (keys removed). `argv` is given; in Redis Cluster split
/// `keys` by hash slot and reply the sum.
pub const CK_CMD_DEL: ck_command_kind = 7;
/// `SADD key member` (`argv`), then `EXPIRE key ttl_secs NX` and `EXPIRE key ttl_secs GT`
/// (Redis ≥ 7.0; `has_ttl` is always true) → reply the SADD's int. The two `EXPIRE`s only ever
/// lengthen the tag set's life, so it outlives every member written with the tag.
pub const CK_CMD_SADD: ck_command_kind = 8;
/// `SMEMBERS key` → reply an array of bytes. `argv` is given.
pub const CK_CMD_SMEMBERS: ck_command_kind = 9;
/// `SCAN 0 MATCH pattern COUNT 500` until the cursor returns to 0 (on every primary in
/// Redis Cluster), deleting what it finds (`UNLINK` or `DEL`) → reply int (keys deleted).
/// `argv` is not given (`argc` 0).
pub const CK_CMD_DELETE_MATCHING: ck_command_kind = 10;
/// `EXISTS key` → reply int (1 when the key exists, else 0). `argv` is given. Only the
/// engine's existence check sends it (no `ck_op_*` entry point starts one yet).
pub const CK_CMD_EXISTS: ck_command_kind = 11;

/// How an op ended: one of the `CK_OUTCOME_*` constants.
pub type ck_outcome_kind = u32;
/// A cached value (get, get_or_compute): `outcome.value` and `outcome.source`.
pub const CK_OUTCOME_HIT: ck_outcome_kind = 1;
/// Nothing readable was cached (get; also a refresh someone else does). Unreadable entries
/// are misses too.
pub const CK_OUTCOME_MISS: ck_outcome_kind = 2;
/// get_or_compute ran your computation: return the value you computed.
/// `CK_OUTCOME_FLAG_CACHED` tells whether it reached Redis.
pub const CK_OUTCOME_COMPUTED: ck_outcome_kind = 3;
/// set finished; `CK_OUTCOME_FLAG_REDIS` tells whether the value reached Redis (it is in
/// the L1 either way, if the L1 is on).
pub const CK_OUTCOME_STORED: ck_outcome_kind = 4;
/// delete finished; `CK_OUTCOME_FLAG_EXISTED` tells whether the key existed.
pub const CK_OUTCOME_DELETED: ck_outcome_kind = 5;
/// invalidate finished; `outcome.redis_keys` keys were deleted from Redis.
pub const CK_OUTCOME_INVALIDATED: ck_outcome_kind = 6;
/// The call failed where its contract says it fails: `outcome.error` is the code (e.g.
/// `CK_COMPUTE_FAILED` for a follower whose leader's computation failed, `CK_BACKEND` or
/// `CK_TIMEOUT` for a delete/invalidate that could not reach Redis, a value error for a set
/// of an unencodable value, `CK_DECRYPTION_FAILED` for a fail-closed get).
pub const CK_OUTCOME_FAILED: ck_outcome_kind = 7;
/// An existence check ended: `CK_OUTCOME_FLAG_EXISTED` when the key was found (no
/// `ck_op_*` entry point starts one yet).
pub const CK_OUTCOME_EXISTS: ck_outcome_kind = 8;

/// Outcome flag: a computed value was written to Redis.
pub const CK_OUTCOME_FLAG_CACHED: u32 = 1;
/// Outcome flag: a set reached Redis.
pub const CK_OUTCOME_FLAG_REDIS: u32 = 2;
/// Outcome flag: the deleted key existed (in the L1 or Redis).
pub const CK_OUTCOME_FLAG_EXISTED: u32 = 4;
/// Outcome flag: this get_or_compute hit drew an early refresh (XFetch): serve the value and
/// start `ck_engine_refresh` for the same request in the background.
pub const CK_OUTCOME_FLAG_REFRESH_AHEAD: u32 = 8;

/// Where a hit came from: one of the `CK_SOURCE_*` constants.
pub type ck_source = u32;
/// The in-process L1.
pub const CK_SOURCE_L1: ck_source = 1;
/// Redis.
pub const CK_SOURCE_REDIS: ck_source = 2;
/// Another caller's computation in this process (single flight).
pub const CK_SOURCE_SHARED: ck_source = 3;

/// A reply kind: one of the `CK_REPLY_*` constants (0 is invalid, so a zeroed `ck_reply`
/// is refused).
pub type ck_reply_kind = u32;
/// A nil bulk string or nil array (hiredis `REDIS_REPLY_NIL`).
pub const CK_REPLY_NIL: ck_reply_kind = 1;
/// A status reply such as `OK` (hiredis `REDIS_REPLY_STATUS`).
pub const CK_REPLY_OK: ck_reply_kind = 2;
/// An integer in `integer` (hiredis `REDIS_REPLY_INTEGER`).
pub const CK_REPLY_INT: ck_reply_kind = 3;
/// A bulk string in `bytes`/`len` (hiredis `REDIS_REPLY_STRING`: `str`, `len`).
pub const CK_REPLY_BYTES: ck_reply_kind = 4;
/// An array of `elements_len` replies at `elements` (hiredis `REDIS_REPLY_ARRAY`).
pub const CK_REPLY_ARRAY: ck_reply_kind = 5;
/// The call failed: a Redis error reply or a client error (connection refused or lost…),
/// its message in `bytes`/`len` (hiredis `REDIS_REPLY_ERROR`'s `str`, or the context's
/// `errstr` when `redisCommand` returned NULL). Need not be NUL-terminated or UTF-8.
pub const CK_REPLY_ERROR: ck_reply_kind = 6;
/// No answer before the engine's command timeout (you enforce it).
pub const CK_REPLY_TIMEOUT: ck_reply_kind = 7;

/// Deepest reply nesting accepted (the engine needs 2).
pub const CK_REPLY_MAX_DEPTH: usize = 16;
/// Most replies (all levels counted) one `ck_op_on_reply` accepts: 1048576 (a tag set of
/// about a million keys). Bounds the work a reply whose arrays share elements can cause.
pub const CK_REPLY_MAX_ITEMS: usize = 1 << 20;

/// A Redis reply as the caller received it, for `ck_op_on_reply`. Fill only the fields of
/// its kind; the others are ignored. Borrowed for the call only: the library copies what
/// it keeps.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ck_reply {
    /// `CK_REPLY_*`.
    pub kind: ck_reply_kind,
    /// `CK_REPLY_INT`: the integer.
    pub integer: i64,
    /// `CK_REPLY_BYTES`: the bulk string; `CK_REPLY_ERROR`: the message. NULL only with `len` 0.
    pub bytes: *const u8,
    /// Bytes at `bytes`.
    pub len: usize,
    /// `CK_REPLY_ARRAY`: the items. NULL only with `elements_len` 0.
    pub elements: *const ck_reply,
    /// Items at `elements`.
    pub elements_len: usize,
}

/// One Redis command of a `CK_ACTION_SEND` step. Every pointer is borrowed from the op
/// (valid until the next call on it) and every text is NUL-terminated as well as
/// length-counted (keys read back from a tag set may contain any byte). Fields not used by
/// `kind` are NULL / 0.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ck_command {
    /// `CK_CMD_*`.
    pub kind: ck_command_kind,
    /// The command's name for logs and metrics (`"GET"`, `"GET+TTL"`, `"SET"`, `"SET NX"`,
    /// `"EVALSHA"`, `"EXPIRE"`, `"DEL"`, `"SADD"`, `"SMEMBERS"`, `"SCAN+DEL"`). Static.
    pub name: *const c_char,
    /// The key (GET, GET_WITH_TTL, SET, EXPIRE, SMEMBERS; the lock key for SET_NX and
    /// EVAL_RELEASE; the tag set for SADD).
    pub key: *const c_char,
    /// Bytes of `key`.
    pub key_len: usize,
    /// SET: the stored entry bytes (binary).
    pub value: *const u8,
    /// Bytes at `value`.
    pub value_len: usize,
    /// SET: whether `ttl_secs` applies (false: no expiry). EXPIRE, SADD: always true.
    pub has_ttl: bool,
    /// SET, EXPIRE, SADD: seconds.
    pub ttl_secs: u64,
    /// SET_NX, EVAL_RELEASE: the lock token.
    pub token: *const c_char,
    /// SET_NX: the lock lease in ms.
    pub px_ms: u64,
    /// EVAL_RELEASE: the script, for `EVAL` after a `NOSCRIPT` error.
    pub script: *const c_char,
    /// EVAL_RELEASE: the script's SHA-1 for `EVALSHA`.
    pub sha1: *const c_char,
    /// SADD: the member (a cache key).
    pub member: *const c_char,
    /// Bytes of `member`.
    pub member_len: usize,
    /// DEL: the keys.
    pub keys: *mut *const c_char,
    /// DEL: the length of each key.
    pub keys_lens: *const usize,
    /// DEL: number of keys (at least 1).
    pub keys_len: usize,
    /// DELETE_MATCHING: a Redis glob pattern whose literal parts are escaped.
    pub pattern: *const c_char,
    /// Bytes of `pattern`.
    pub pattern_len: usize,
    /// The command as one argument vector when it is one Redis command (0 for GET_WITH_TTL
    /// and DELETE_MATCHING): `redisCommandArgv(ctx, (int)argc, argv, argv_lens)`.
    pub argc: usize,
    /// `argc` arguments (do not modify them).
    pub argv: *mut *const c_char,
    /// The length of each argument.
    pub argv_lens: *const usize,
}

/// How an op ended (valid when `step.action == CK_ACTION_DONE`).
#[repr(C)]
#[derive(Debug)]
pub struct ck_outcome {
    /// `CK_OUTCOME_*` (0 before the op is done).
    pub kind: ck_outcome_kind,
    /// `CK_OUTCOME_HIT`: the value as one MessagePack document (see "Values"). **Owned by
    /// the caller**: free it with `ck_buf_free`. `{NULL, 0}` for every other kind.
    pub value: ck_buf,
    /// `CK_OUTCOME_HIT`: `CK_SOURCE_*`; 0 otherwise.
    pub source: ck_source,
    /// `CK_OUTCOME_FLAG_*` bits.
    pub flags: u32,
    /// `CK_OUTCOME_INVALIDATED`: keys deleted from Redis.
    pub redis_keys: u64,
    /// `CK_OUTCOME_FAILED`: the result code of the failure; `CK_OK` otherwise.
    pub error: ck_result,
    /// `CK_OUTCOME_FAILED`: its detail, borrowed from the op; NULL otherwise.
    pub error_message: *const c_char,
}

/// What an op asks of the caller, filled by `ck_engine_*` and `ck_op_*`. First wake the
/// parked callers listed in `wake` (of any op of the same engine), then do `action`.
/// Every pointer is borrowed from the op until the next call on it, except
/// `outcome.value` (yours: `ck_buf_free`).
#[repr(C)]
#[derive(Debug)]
pub struct ck_step {
    /// Tokens of parked callers to wake now (call `ck_op_resume` on their ops).
    pub wake: *const u64,
    /// Number of tokens at `wake`.
    pub wake_len: usize,
    /// `CK_ACTION_*`.
    pub action: ck_action,
    /// `CK_ACTION_SEND`: the command. After `ck_op_abandon`: a lock release to send without
    /// reporting its reply (`kind` `CK_CMD_EVAL_RELEASE`), or `kind` `CK_CMD_NONE`.
    pub command: ck_command,
    /// `CK_ACTION_SLEEP`: the deadline (your clock).
    pub sleep_until_ms: u64,
    /// `CK_ACTION_SLEEP`: whether `sleep_token` names this wait (false: a plain timed
    /// wait, e.g. between fill-lock attempts).
    pub sleep_has_token: bool,
    /// `CK_ACTION_SLEEP`: the token a later step's `wake` lists to end the wait early.
    pub sleep_token: u64,
    /// `CK_ACTION_DONE`: the outcome.
    pub outcome: ck_outcome,
    /// A cache-layer failure the op took in its stride during this call, for your log (it is
    /// counted in the engine's metrics either way): an entry it read but could not decode,
    /// verify or decrypt (a miss), a computed value it could not encode (not cached), an entry
    /// L1 could not keep, a fill lock given up on, or a command refused by the circuit breaker
    /// (`CK_CIRCUIT_OPEN`) or backpressure (`CK_OVERLOADED`). `CK_OK` when there was none.
    pub failure: ck_result,
    /// The failure's message (NUL-terminated, valid until the next call on the op), or NULL.
    pub failure_message: *const c_char,
}

impl ck_command {
    const fn none() -> ck_command {
        let null = std::ptr::null();
        ck_command {
            kind: CK_CMD_NONE,
            name: null,
            key: null,
            key_len: 0,
            value: std::ptr::null(),
            value_len: 0,
            has_ttl: false,
            ttl_secs: 0,
            token: null,
            px_ms: 0,
            script: null,
            sha1: null,
            member: null,
            member_len: 0,
            keys: std::ptr::null_mut(),
            keys_lens: std::ptr::null(),
            keys_len: 0,
            pattern: null,
            pattern_len: 0,
            argc: 0,
            argv: std::ptr::null_mut(),
            argv_lens: std::ptr::null(),
        }
    }
}

impl ck_step {
    pub(crate) const fn empty() -> ck_step {
        ck_step {
            wake: std::ptr::null(),
            wake_len: 0,
            action: CK_ACTION_NONE,
            command: ck_command::none(),
            sleep_until_ms: 0,
            sleep_has_token: false,
            sleep_token: 0,
            outcome: ck_outcome {
                kind: 0,
                value: ck_buf::empty(),
                source: 0,
                flags: 0,
                redis_keys: 0,
                error: CK_OK,
                error_message: std::ptr::null(),
            },
            failure: CK_OK,
            failure_message: std::ptr::null(),
        }
    }
}

// ---------------------------------------------------------------- the handle

/// Which call the op accepts next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Reply,
    Computed,
    Resume,
    /// Done or abandoned.
    Nothing,
}

/// Memory a step's pointers point into: rebuilt on every call.
#[derive(Default)]
struct Store {
    wake: Vec<u64>,
    /// NUL-terminated texts; each box's heap block stays put when the vector grows.
    texts: Vec<Box<[u8]>>,
    value: Option<Arc<[u8]>>,
    keys: Vec<*const c_char>,
    keys_lens: Vec<usize>,
    argv: Vec<*const c_char>,
    argv_lens: Vec<usize>,
}

impl Store {
    fn clear(&mut self) {
        self.wake.clear();
        self.texts.clear();
        self.value = None;
        self.keys.clear();
        self.keys_lens.clear();
        self.argv.clear();
        self.argv_lens.clear();
    }

    /// Keeps a NUL-terminated copy of `bytes`.
    fn text(&mut self, bytes: &[u8]) -> (*const c_char, usize) {
        let mut v = Vec::with_capacity(bytes.len() + 1);
        v.extend_from_slice(bytes);
        v.push(0);
        let b = v.into_boxed_slice();
        let p = b.as_ptr().cast::<c_char>();
        self.texts.push(b);
        (p, bytes.len())
    }

    fn arg(&mut self, bytes: &[u8]) {
        let (p, n) = self.text(bytes);
        self.argv.push(p);
        self.argv_lens.push(n);
    }

    /// Lays `cmd` out for C.
    fn command(&mut self, cmd: &Command) -> ck_command {
        let mut c = ck_command::none();
        c.name = command_name(cmd).as_ptr();
        let mut argv_start = true;
        match cmd {
            Command::Get { key } => {
                c.kind = CK_CMD_GET;
                (c.key, c.key_len) = self.text(key.as_bytes());
                self.arg(b"GET");
                self.arg(key.as_bytes());
            }
            Command::GetWithTtl { key } => {
                c.kind = CK_CMD_GET_WITH_TTL;
                (c.key, c.key_len) = self.text(key.as_bytes());
                argv_start = false;
            }
            Command::Set { key, value, ttl_secs } => {
                c.kind = CK_CMD_SET;
                (c.key, c.key_len) = self.text(key.as_bytes());
                self.value = Some(Arc::clone(value));
                c.value = value.as_ptr();
                c.value_len = value.len();
                c.has_ttl = ttl_secs.is_some();
                c.ttl_secs = ttl_secs.unwrap_or(0);
                self.arg(b"SET");
                self.arg(key.as_bytes());
                // The value argument points at the shared bytes, not at a copy.
                self.argv.push(value.as_ptr().cast());
                self.argv_lens.push(value.len());
                if let Some(s) = ttl_secs {
                    self.arg(b"EX");
                    self.arg(s.to_string().as_bytes());
                }
            }
            Command::SetNx { key, token, px_ms } => {
                c.kind = CK_CMD_SET_NX;
                (c.key, c.key_len) = self.text(key.as_bytes());
                c.token = self.text(token.as_bytes()).0;
                c.px_ms = *px_ms;
                self.arg(b"SET");
                self.arg(key.as_bytes());
                self.arg(token.as_bytes());
                self.arg(b"NX");
                self.arg(b"PX");
                self.arg(px_ms.to_string().as_bytes());
            }
            Command::EvalRelease { script, sha1, key, token } => {
                c.kind = CK_CMD_EVAL_RELEASE;
                (c.key, c.key_len) = self.text(key.as_bytes());
                c.token = self.text(token.as_bytes()).0;
                c.script = self.text(script.as_bytes()).0;
                c.sha1 = self.text(sha1.as_bytes()).0;
                self.arg(b"EVALSHA");
                self.arg(sha1.as_bytes());
                self.arg(b"1");
                self.arg(key.as_bytes());
                self.arg(token.as_bytes());
            }
            Command::Expire { key, ttl_secs } => {
                c.kind = CK_CMD_EXPIRE;
                (c.key, c.key_len) = self.text(key.as_bytes());
                c.has_ttl = true;
                c.ttl_secs = *ttl_secs;
                self.arg(b"EXPIRE");
                self.arg(key.as_bytes());
                self.arg(ttl_secs.to_string().as_bytes());
            }
            Command::Del { keys } => {
                c.kind = CK_CMD_DEL;
                self.arg(b"DEL");
                for k in keys {
                    let (p, n) = self.text(k.as_bytes());
                    self.keys.push(p);
                    self.keys_lens.push(n);
                    self.argv.push(p);
                    self.argv_lens.push(n);
                }
                c.keys = self.keys.as_mut_ptr();
                c.keys_lens = self.keys_lens.as_ptr();
                c.keys_len = self.keys.len();
            }
            Command::SAdd { key, member, ttl_secs } => {
                c.kind = CK_CMD_SADD;
                (c.key, c.key_len) = self.text(key.as_bytes());
                (c.member, c.member_len) = self.text(member.as_bytes());
                c.has_ttl = true;
                c.ttl_secs = *ttl_secs;
                self.arg(b"SADD");
                self.arg(key.as_bytes());
                self.arg(member.as_bytes());
            }
            Command::SMembers { key } => {
                c.kind = CK_CMD_SMEMBERS;
                (c.key, c.key_len) = self.text(key.as_bytes());
                self.arg(b"SMEMBERS");
                self.arg(key.as_bytes());
            }
            Command::Exists { key } => {
                c.kind = CK_CMD_EXISTS;
                (c.key, c.key_len) = self.text(key.as_bytes());
                self.arg(b"EXISTS");
                self.arg(key.as_bytes());
            }
            Command::DeleteMatching { pattern } => {
                c.kind = CK_CMD_DELETE_MATCHING;
                (c.pattern, c.pattern_len) = self.text(pattern.as_bytes());
                argv_start = false;
            }
        }
        if argv_start {
            // Taken last: the argument vectors do not grow any more.
            c.argc = self.argv.len();
            c.argv = self.argv.as_mut_ptr();
            c.argv_lens = self.argv_lens.as_ptr();
        }
        c
    }
}

fn command_name(cmd: &Command) -> &'static CStr {
    match cmd {
        Command::Get { .. } => c"GET",
        Command::GetWithTtl { .. } => c"GET+TTL",
        Command::Set { .. } => c"SET",
        Command::SetNx { .. } => c"SET NX",
        Command::EvalRelease { .. } => c"EVALSHA",
        Command::Expire { .. } => c"EXPIRE",
        Command::Del { .. } => c"DEL",
        Command::SAdd { .. } => c"SADD",
        Command::SMembers { .. } => c"SMEMBERS",
        Command::DeleteMatching { .. } => c"SCAN+DEL",
        Command::Exists { .. } => c"EXISTS",
    }
}

/// One engine call in progress. Opaque: made by `ck_engine_get`, `_set`, `_get_or_compute`,
/// `_refresh`, `_delete` and `_invalidate`; released with `ck_op_free`. It keeps its engine
/// alive (the engine handle may be freed first). Not for concurrent use: calls on one op
/// must not overlap (move it between threads freely); different ops of one engine run on
/// any threads at once.
pub struct ck_op {
    engine: Arc<Engine>,
    op: Op,
    expect: Expect,
    /// The latest time the caller passed (used when the op is freed unfinished).
    now: u64,
    store: Store,
}

// SAFETY: the raw pointers of `Store` point only into heap blocks the same `Store` owns (or
// into the `Arc` it holds); nothing in an op is tied to the thread that made it, so an op may
// move between threads (its calls must not overlap, which `&mut` access already requires).
unsafe impl Send for ck_op {}

impl Drop for ck_op {
    fn drop(&mut self) {
        if self.expect != Expect::Nothing {
            // Settles every wait, slot and flight it holds; a held fill lock expires with its lease.
            let _ = self.op.abandon(&self.engine, self.now);
        }
    }
}

impl ck_op {
    /// Lays `step` out in the store and returns what C sees.
    fn publish(&mut self, step: Step) -> ck_step {
        self.store.clear();
        let mut out = ck_step::empty();
        self.store.wake.extend(step.wake.iter().map(|t| t.get()));
        if !self.store.wake.is_empty() {
            out.wake = self.store.wake.as_ptr();
            out.wake_len = self.store.wake.len();
        }
        // A failure the engine absorbed comes first; a refusal otherwise (both are counted).
        if let Some(e) = self.op.take_absorbed().or_else(|| self.op.take_rejected()) {
            out.failure = ck_result::from(e.code());
            out.failure_message = self.store.text(e.to_string().as_bytes()).0;
        }
        match step.action {
            Action::Send(cmd) => {
                out.action = CK_ACTION_SEND;
                out.command = self.store.command(&cmd);
                self.expect = Expect::Reply;
            }
            Action::Compute => {
                out.action = CK_ACTION_COMPUTE;
                self.expect = Expect::Computed;
            }
            Action::Sleep { until, token } => {
                out.action = CK_ACTION_SLEEP;
                out.sleep_until_ms = until;
                out.sleep_has_token = token.is_some();
                out.sleep_token = token.map_or(0, |t| t.get());
                self.expect = Expect::Resume;
            }
            Action::Done(outcome) => {
                out.action = CK_ACTION_DONE;
                self.outcome(outcome, &mut out.outcome);
                self.expect = Expect::Nothing;
            }
        }
        out
    }

    fn outcome(&mut self, outcome: Outcome, out: &mut ck_outcome) {
        let failed = |store: &mut Store, out: &mut ck_outcome, e: &Error| {
            out.kind = CK_OUTCOME_FAILED;
            out.error = ck_result::from(e.code());
            out.error_message = store.text(e.to_string().as_bytes()).0;
        };
        match outcome {
            Outcome::Hit { value, source } => match value_to_msgpack(&value) {
                Ok(doc) => {
                    out.kind = CK_OUTCOME_HIT;
                    out.value = ck_buf::from_vec(doc);
                    out.source = match source {
                        Source::L1 => CK_SOURCE_L1,
                        Source::Redis => CK_SOURCE_REDIS,
                        Source::Shared => CK_SOURCE_SHARED,
                    };
                    if self.op.refresh_ahead() {
                        out.flags |= CK_OUTCOME_FLAG_REFRESH_AHEAD;
                    }
                }
                Err(e) => failed(&mut self.store, out, &e),
            },
            Outcome::HitJson { .. } => {
                let e = Error::new(ErrorKind::Internal, "a JSON hit from an engine configured without json_hits");
                failed(&mut self.store, out, &e);
            }
            Outcome::Miss => out.kind = CK_OUTCOME_MISS,
            Outcome::Computed { cached } => {
                out.kind = CK_OUTCOME_COMPUTED;
                if cached {
                    out.flags |= CK_OUTCOME_FLAG_CACHED;
                }
            }
            Outcome::Stored { redis } => {
                out.kind = CK_OUTCOME_STORED;
                if redis {
                    out.flags |= CK_OUTCOME_FLAG_REDIS;
                }
            }
            Outcome::Deleted { existed } => {
                out.kind = CK_OUTCOME_DELETED;
                if existed {
                    out.flags |= CK_OUTCOME_FLAG_EXISTED;
                }
            }
            Outcome::Exists { found } => {
                out.kind = CK_OUTCOME_EXISTS;
                if found {
                    out.flags |= CK_OUTCOME_FLAG_EXISTED;
                }
            }
            Outcome::Invalidated { redis_keys } => {
                out.kind = CK_OUTCOME_INVALIDATED;
                out.redis_keys = redis_keys;
            }
            Outcome::Failed(e) => failed(&mut self.store, out, &e),
        }
    }

    fn expecting(&self, want: Expect, call: &str) -> Result<()> {
        if self.expect == want {
            return Ok(());
        }
        let last = match self.expect {
            Expect::Reply => "CK_ACTION_SEND (call ck_op_on_reply)",
            Expect::Computed => "CK_ACTION_COMPUTE (call ck_op_on_computed)",
            Expect::Resume => "CK_ACTION_SLEEP (call ck_op_resume)",
            Expect::Nothing => "CK_ACTION_DONE or an abandon (only ck_op_free remains)",
        };
        Err(invalid(format!("{call}: the op's last step was {last}; the op is unchanged")))
    }
}

/// Creates the handle for a started op and fills the caller's out-parameters.
pub(crate) fn start(engine: &Arc<Engine>, now: u64, started: (Op, Step)) -> (*mut ck_op, ck_step) {
    let (op, step) = started;
    let mut h =
        Box::new(ck_op { engine: Arc::clone(engine), op, expect: Expect::Nothing, now, store: Store::default() });
    let s = h.publish(step);
    // The store's heap blocks do not move with the box, so `s` stays valid.
    (register(h), s)
}

/// Checks and resets the two out-parameters of an op call.
///
/// # Safety
/// `step` is NULL or a writable `ck_step`.
unsafe fn step_out<'a>(step: *mut ck_step) -> Result<&'a mut ck_step> {
    // SAFETY: NULL or writable per the caller.
    let s = unsafe { step.as_mut() }.ok_or_else(|| invalid("step is NULL"))?;
    // The previous contents are overwritten, not freed (as every out-parameter).
    // SAFETY: writing plain data over plain data.
    unsafe { std::ptr::write(s, ck_step::empty()) };
    Ok(s)
}

unsafe fn op_mut<'a>(op: *mut ck_op) -> Result<&'a mut ck_op> {
    // SAFETY: NULL or a live op used by this thread only, per the caller.
    unsafe { op.as_mut() }.ok_or_else(|| invalid("op is NULL"))
}

/// Turns a C reply tree into the core's, copying what it keeps, within the size limits.
struct ReplyReader {
    items: usize,
    bytes: usize,
}

impl ReplyReader {
    unsafe fn read(&mut self, r: &ck_reply, depth: usize) -> Result<Reply> {
        self.items += 1;
        if self.items > CK_REPLY_MAX_ITEMS {
            return Err(Error::new(
                ErrorKind::ValueTooLarge,
                format!("reply has more than CK_REPLY_MAX_ITEMS ({CK_REPLY_MAX_ITEMS}) items"),
            ));
        }
        let mut take = |len: usize| -> Result<()> {
            self.bytes = self.bytes.saturating_add(len);
            if self.bytes > CK_MAX_INPUT_BYTES {
                return Err(Error::new(ErrorKind::ValueTooLarge, "reply bytes exceed CK_MAX_INPUT_BYTES in total"));
            }
            Ok(())
        };
        Ok(match r.kind {
            CK_REPLY_NIL => Reply::Nil,
            CK_REPLY_OK => Reply::Ok,
            CK_REPLY_INT => Reply::Int(r.integer),
            CK_REPLY_TIMEOUT => Reply::Timeout,
            CK_REPLY_BYTES => {
                // SAFETY: forwarded contract.
                let b = unsafe { bytes(r.bytes, r.len, "reply bytes") }?;
                take(b.len())?;
                Reply::Bytes(b.to_vec())
            }
            CK_REPLY_ERROR => {
                // SAFETY: forwarded contract.
                let b = unsafe { bytes(r.bytes, r.len, "reply error message") }?;
                take(b.len())?;
                Reply::Error(String::from_utf8_lossy(b).into_owned())
            }
            CK_REPLY_ARRAY => {
                if depth >= CK_REPLY_MAX_DEPTH {
                    return Err(invalid(format!("reply nested deeper than CK_REPLY_MAX_DEPTH ({CK_REPLY_MAX_DEPTH})")));
                }
                if r.elements_len > CK_REPLY_MAX_ITEMS {
                    return Err(Error::new(
                        ErrorKind::ValueTooLarge,
                        format!("reply array of {} items exceeds CK_REPLY_MAX_ITEMS", r.elements_len),
                    ));
                }
                if r.elements.is_null() && r.elements_len != 0 {
                    return Err(invalid(format!("reply elements is NULL but elements_len is {}", r.elements_len)));
                }
                let mut items = Vec::with_capacity(r.elements_len.min(1024));
                for i in 0..r.elements_len {
                    // SAFETY: `elements` points to `elements_len` readable replies per the caller.
                    let item = unsafe { &*r.elements.add(i) };
                    // SAFETY: forwarded contract.
                    items.push(unsafe { self.read(item, depth + 1) }?);
                }
                Reply::Array(items)
            }
            other => return Err(invalid(format!("unknown reply kind {other} (CK_REPLY_NIL … CK_REPLY_TIMEOUT)"))),
        })
    }
}

// ---------------------------------------------------------------- the calls

/// Reports the reply to the command of the last `CK_ACTION_SEND` step, received at
/// `now_ms`, and fills `*step` with what comes next.
///
/// Any well-formed reply is accepted: one that does not fit the command (an int for a GET,
/// an error, a timeout) is judged by the engine (a miss, a breaker failure, a degraded
/// write), never trusted. A reply that is not well-formed (unknown kind, NULL with a length,
/// nesting over `CK_REPLY_MAX_DEPTH`, more than `CK_REPLY_MAX_ITEMS` items or
/// `CK_MAX_INPUT_BYTES` in total) is refused and the op is left unchanged: report the
/// reply again, or abandon the op.
///
/// Result codes: `CK_OK` (the step is filled, whatever the outcome);
/// `CK_INVALID_ARGUMENT` (NULL `op`, `reply` or `step`; a malformed reply; the op's last
/// step was not `CK_ACTION_SEND`: the op is unchanged); `CK_VALUE_TOO_LARGE`.
/// Ownership: `reply` is borrowed for the call (its bytes are copied). `*step` is
/// overwritten (free the `outcome.value` of a previous step first); its pointers are
/// borrowed from the op until the next call on it, except `outcome.value` (yours).
/// Thread safety: no other call on the same op at the same time.
///
/// # Safety
/// `op` is NULL or a live op; `reply` is NULL or a valid `ck_reply` tree (pointers and
/// lengths describe readable memory); `step` is NULL or a writable `ck_step`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_op_on_reply(
    op: *mut ck_op,
    reply: *const ck_reply,
    now_ms: u64,
    step: *mut ck_step,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let (out, op) = unsafe { (step_out(step)?, op_mut(op)?) };
        op.expecting(Expect::Reply, "ck_op_on_reply")?;
        // SAFETY: NULL or readable per the caller.
        let reply = unsafe { reply.as_ref() }.ok_or_else(|| invalid("reply is NULL"))?;
        // SAFETY: forwarded contract.
        let reply = unsafe { ReplyReader { items: 0, bytes: 0 }.read(reply, 0) }?;
        op.now = now_ms;
        let s = op.op.on_reply(&op.engine, reply, now_ms);
        *out = op.publish(s);
        Ok(())
    })
}

/// Reports the caller's computation after a `CK_ACTION_COMPUTE` step, at `now_ms`, and
/// fills `*step` with what comes next (the write to Redis, then `CK_OUTCOME_COMPUTED`).
///
/// Success: `error_message` is NULL and `value_msgpack` (`value_len` bytes) is the value as
/// one MessagePack document, decoded under the decode bounds and encoded for the cache as
/// `ck_entry_encode` does; a value the entry encoder refuses is still your answer, just not
/// cached. Failure: `error_message` is your error's text (the value is then ignored); this
/// caller ends with `CK_OUTCOME_FAILED` / `CK_COMPUTE_FAILED` (rethrow your own error) and
/// single-flight followers waiting for it get `CK_COMPUTE_FAILED` with this text.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `op` or `step`; the op's last step
/// was not `CK_ACTION_COMPUTE`); a malformed document (`CK_MALFORMED_MSGPACK`,
/// `CK_DECODE_BOUNDS`, `CK_TRAILING_BYTES`, `CK_INVALID_TEMPORAL`, `CK_VALUE_TOO_LARGE`);
/// `CK_INVALID_STRING` (message not UTF-8). On any failure the op is unchanged.
/// Ownership: inputs are borrowed for the call; `*step` as in `ck_op_on_reply`.
/// Thread safety: no other call on the same op at the same time.
///
/// # Safety
/// `op` is NULL or a live op; `value_msgpack` points to `value_len` readable bytes (or is
/// NULL with 0); `error_message` is NULL or NUL-terminated; `step` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_op_on_computed(
    op: *mut ck_op,
    value_msgpack: *const u8,
    value_len: usize,
    error_message: *const c_char,
    now_ms: u64,
    step: *mut ck_step,
) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let (out, op) = unsafe { (step_out(step)?, op_mut(op)?) };
        op.expecting(Expect::Computed, "ck_op_on_computed")?;
        // SAFETY: forwarded contract.
        let s = match unsafe { opt_text(error_message, "error_message") }? {
            Some(message) => op.op.on_computed(&op.engine, Err(message.to_owned()), now_ms),
            None => {
                // SAFETY: forwarded contract.
                let value = from_msgpack(unsafe { bytes(value_msgpack, value_len, "value_msgpack") }?)?;
                op.op.on_computed(&op.engine, Ok(&value), now_ms)
            }
        };
        op.now = now_ms;
        *out = op.publish(s);
        Ok(())
    })
}

/// Continues after a `CK_ACTION_SLEEP` step, at `now_ms`: when its deadline passed, or
/// earlier when a step listed its token in `wake` (an early or spurious resume is fine: the
/// op sleeps again if it must).
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `op` or `step`; the op's last step
/// was not `CK_ACTION_SLEEP`: the op is unchanged).
/// Ownership: `*step` as in `ck_op_on_reply`. Thread safety: no other call on the same op.
///
/// # Safety
/// `op` is NULL or a live op; `step` is NULL or a writable `ck_step`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_op_resume(op: *mut ck_op, now_ms: u64, step: *mut ck_step) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let (out, op) = unsafe { (step_out(step)?, op_mut(op)?) };
        op.expecting(Expect::Resume, "ck_op_resume")?;
        op.now = now_ms;
        let s = op.op.resume(&op.engine, now_ms);
        *out = op.publish(s);
        Ok(())
    })
}

/// Abandons the op at `now_ms` (the caller went away: a cancelled request, a shutdown):
/// settles every slot, wait and single-flight lead it holds. `*step` gets `action`
/// `CK_ACTION_NONE`, the tokens to wake in `wake` (followers that now lead, waiters that get
/// a slot) and, when a fill lock may be held, a `CK_CMD_EVAL_RELEASE` command to send
/// without reporting its reply. Abandoning a done or abandoned op gives an empty step.
/// After it only `ck_op_free` is accepted.
///
/// Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `op` or `step`).
/// Ownership: `*step` as in `ck_op_on_reply`. Thread safety: no other call on the same op.
///
/// # Safety
/// `op` is NULL or a live op; `step` is NULL or a writable `ck_step`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_op_abandon(op: *mut ck_op, now_ms: u64, step: *mut ck_step) -> ck_result {
    guard(|| {
        // SAFETY: forwarded contract.
        let (out, op) = unsafe { (step_out(step)?, op_mut(op)?) };
        op.store.clear();
        if op.expect == Expect::Nothing {
            return Ok(());
        }
        op.now = now_ms;
        let (wake, release) = op.op.abandon(&op.engine, now_ms);
        op.expect = Expect::Nothing;
        op.store.wake.extend(wake.iter().map(|t| t.get()));
        if !op.store.wake.is_empty() {
            out.wake = op.store.wake.as_ptr();
            out.wake_len = op.store.wake.len();
        }
        if let Some(cmd) = release {
            out.command = op.store.command(&cmd);
        }
        Ok(())
    })
}

/// True once the op returned `CK_ACTION_DONE` or was abandoned; false for NULL.
/// Thread safety: no other call on the same op at the same time.
///
/// # Safety
/// `op` is NULL or a live op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_op_is_done(op: *const ck_op) -> bool {
    // SAFETY: NULL or live per the caller.
    unsafe { op.as_ref() }.is_some_and(|o| o.expect == Expect::Nothing)
}

/// Releases an op and the memory its steps point into. An unfinished op is abandoned first
/// at the last time it was given, but the tokens to wake and a lock release are then lost:
/// parked callers wake at their deadlines and the lock expires with its lease; call
/// `ck_op_abandon` first to get them. Releases the op's reference to its engine. NULL, an
/// already freed op and a pointer that is not a live `ck_op` are ignored.
///
/// Thread safety: no other call may be using the op.
///
/// # Safety
/// `op` is NULL or a pointer previously returned through a `ck_engine_*` call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ck_op_free(op: *mut ck_op) {
    // SAFETY: forwarded contract; only a live handle is dropped.
    unsafe { free(op) }
}
