/**
 * The engine interface: the only thing the TypeScript cache layer knows about the cachekit
 * core. The napi addon implements it (`native.ts`); the WASM binding will implement the
 * same interface with wasm-bindgen, and the cache layer runs unchanged on top of either.
 *
 * Every cache call is an *operation* (a number) that yields {@link Step}s: execute a Redis
 * {@link Command} and report the reply, run the caller's computation and report its value,
 * sleep (until a delay passes or a wake token is listed by a later step), or finish with an
 * {@link Outcome}. The engine decides everything (L1, single flight, breaker, backpressure,
 * fill lock, TTLs, entry bytes, encryption, metrics); the driver only does I/O and timers.
 *
 * @packageDocumentation
 */

/** How an entry is written: default mode with the ByteStorage envelope (integrity), without
 * it, or the interop/v1 canonical document shared with every SDK. */
export type EntryMode = 'default' | 'default-no-integrity' | 'interop';

/** A TTL: seconds (fractions round up to whole seconds) or the explicit `"never"`. */
export type TtlSpec = number | 'never';

/** Per-request options. */
export interface RequestOptions {
  /** Entry form; default: the engine's. */
  mode?: EntryMode;
  /** Namespace the L1 indexes the entry under (for namespace invalidation). */
  namespace?: string;
  /** Expiry of a write; default: the engine's. */
  ttl?: TtlSpec;
  /** Tags for invalidation (writes only). */
  tags?: string[];
}

/** A Redis command the driver executes; keys are full Redis keys. */
export type Command =
  | { name: 'get'; key: string }
  /** `EXISTS key`; reply an integer (1 or 0). */
  | { name: 'exists'; key: string }
  /** `GET` and `TTL` in one round trip; reply `[bytes | null, ttl]`. */
  | { name: 'getWithTtl'; key: string }
  /** `SET key value [EX ttl]`; `ttl: null` is "never expire". */
  | { name: 'set'; key: string; value: Uint8Array; ttl: number | null }
  /** `SET key token NX PX px`; reply `"OK"` or `null`. */
  | { name: 'setNx'; key: string; token: string; px: number }
  /** `EVALSHA sha1 1 key token`, falling back to `EVAL script` on `NOSCRIPT`; reply an integer. */
  | { name: 'evalRelease'; key: string; token: string; script: string; sha1: string }
  | { name: 'expire'; key: string; ttl: number }
  /** `DEL keys…` (in a cluster: split by hash slot, replies summed). */
  | { name: 'del'; keys: string[] }
  /** `SADD key member`, then `EXPIRE key ttl NX` and `EXPIRE key ttl GT` (the set's life only
   * ever grows); reply the SADD integer. */
  | { name: 'sadd'; key: string; member: string; ttl: number }
  /** `SMEMBERS key`; reply an array of byte strings. */
  | { name: 'smembers'; key: string }
  /** `SCAN … MATCH pattern` on every primary, deleting what it finds; reply the count. */
  | { name: 'deleteMatching'; pattern: string };

/** A reply as the driver hands it back: nil, a status, an integer, a bulk string, an array. */
export type Reply = null | string | number | Uint8Array | Reply[];

/** An error reported by the engine: the core's stable numeric code and machine name. */
export interface EngineError {
  code: number;
  name: string;
  message: string;
}

/** How an operation ended. */
export type Outcome =
  | { kind: 'hit'; value: unknown; source: 'l1' | 'redis' | 'shared' }
  | { kind: 'miss' }
  | { kind: 'computed'; cached: boolean }
  | { kind: 'stored'; redis: boolean }
  | { kind: 'deleted'; existed: boolean }
  | { kind: 'exists'; found: boolean }
  | { kind: 'invalidated'; redisKeys: number }
  | { kind: 'failed'; error: EngineError };

interface StepBase {
  /** The operation. */
  op: number;
  /** Sleeping operations (theirs or others') to wake now. */
  wake?: number[];
  /** A cache-layer failure the operation absorbed since the last step, for the error hook:
   * an entry it read but could not decode, verify or decrypt (a miss), a computed value it
   * could not cache (the caller still gets it), a fill lock given up on. */
  failure?: EngineError;
  /** Set when the circuit breaker (`circuit_open`) or backpressure (`overloaded`) refused a
   * command since the last step; the operation degraded as its contract says. */
  rejected?: EngineError;
}

/** What the driver must do next. */
export type Step =
  /** `timeout`: the timeout to apply to this command, in ms (else {@link Engine.commandTimeout}). */
  | (StepBase & { type: 'send'; command: Command; timeout?: number })
  | (StepBase & { type: 'compute' })
  | (StepBase & { type: 'sleep'; delay: number; token: number | null })
  | (StepBase & { type: 'done'; outcome: Outcome; refreshAhead?: boolean });

/** What to invalidate. */
export type InvalidateTarget = { key: string } | { namespace: string; mode?: EntryMode } | { tag: string };

/** A point-in-time view of an engine. */
export interface EngineHealth {
  breaker: {
    state: 'closed' | 'open' | 'half_open';
    failuresInWindow: number;
    msUntilHalfOpen: number | null;
    opened: number;
    rejected: number;
    failures: number;
  };
  l1: null | {
    hits: number;
    misses: number;
    hitRatio: number;
    entries: number;
    bytes: number;
    budget: number;
    evictions: number;
    expirations: number;
  };
  latency: { timeoutMs: number; samples: number; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null };
  backpressure: { inFlight: number; queued: number; rejected: number; healthy: boolean };
  encrypted: boolean;
}

/** Engine configuration (already resolved from the cache options and the environment). */
export interface EngineConfig {
  intent?: 'minimal' | 'production' | 'secure' | 'io';
  ttl?: TtlSpec;
  mode?: EntryMode;
  l1?: false | { maxBytes?: number; maxEntryBytes?: number; shards?: number };
  breaker?: {
    failureThreshold?: number;
    failureWindowMs?: number;
    openDurationMs?: number;
    halfOpenProbes?: number;
    successThreshold?: number;
  };
  backpressure?: { maxInFlight?: number; maxQueued?: number; maxWaitMs?: number };
  timeout?: { minMs?: number; maxMs?: number; multiplier?: number; marginMs?: number; minSamples?: number };
  followerWaitMs?: number;
  lock?: false | { leaseMs?: number; retryMs?: number; waitMs?: number };
  ttlRefresh?: false | { threshold?: number };
  earlyRefresh?: false | { beta?: number };
  maxValueBytes?: number;
  deleteUnreadable?: boolean;
  failClosed?: boolean;
  tagPrefix?: string;
  encryption?: false | { masterKey: string | Uint8Array; previousKeys?: (string | Uint8Array)[]; tenant?: string };
}

/** Request options, or the number of options registered with {@link Engine.profile}. */
export type RequestSpec = RequestOptions | number | undefined;

/** What the fast-path starts return: an immediate hit as its value alone — the value's JSON
 * text (a `string`, for `JSON.parse`) when JSON says it exactly, else `[value]` — or, for
 * anything else, the operation's first step. */
export type FastStart = string | [unknown] | Step;

/** A started operation whose only step is to read the key the call gave from Redis, with
 * nothing to wake or report (the usual `get` that missed L1): its number, positive when the
 * command is `{name: 'get', key}`, negated when it is `{name: 'getWithTtl', key}`. The
 * timeout is {@link Engine.commandTimeout}; the reply goes to {@link Engine.onReplyFast}. A
 * number instead of a step object: building one costs more than the engine's decision. */
export type PlainRead = number;

/** How a wrapped function's calls are keyed ({@link Engine.keyProfile}). */
export type KeyRecipe =
  | { kind: 'default'; namespace?: string | null; function: string; integrity: boolean }
  | { kind: 'interop'; namespace: string; operation: string };

/** One cache's engine. Methods that start an operation return its first step. */
export interface Engine {
  /** Registers request options once; calls pass the returned number instead (hot paths). */
  profile(opts: RequestOptions): number;
  get(key: string, opts?: RequestSpec): Step;
  set(key: string, value: unknown, opts?: RequestSpec): Step;
  getOrCompute(key: string, opts?: RequestSpec): Step;
  /** `get`, returning an immediate (L1) hit as its value alone ({@link FastStart}), and a
   * plain read of `key` as a {@link PlainRead}. */
  getFast(key: string, opts?: RequestSpec): FastStart | PlainRead;
  /** `getOrCompute`, returning an immediate (L1) hit as its value alone. */
  getOrComputeFast(key: string, opts?: RequestSpec): FastStart;
  /** Whether the key is in L1 or Redis (`EXISTS`), without reading or decoding the entry;
   * ends with `{kind: 'exists', found}` (a Redis failure is "not found"). */
  exists(key: string, opts?: RequestSpec): Step;
  /** Registers how a wrapped function's calls are keyed, with the request profile (a number
   * from {@link Engine.profile}) they use; returns the number {@link Engine.callFast} takes. */
  keyProfile(recipe: KeyRecipe, profile: number): number;
  /** Keys `args` by the recipe and starts `getOrCompute` in one call: an immediate hit as its
   * value alone, else the first step with the key as `key`. Throws when the arguments
   * cannot be keyed. */
  callFast(recipe: number, args: unknown[]): string | [unknown] | (Step & { key: string });
  /** A background refresh after a hit whose step said `refreshAhead`. */
  refresh(key: string, opts?: RequestSpec): Step;
  delete(key: string, opts?: RequestSpec): Step;
  invalidate(target: InvalidateTarget): Step;
  /** The reply to the operation's last `send`. */
  onReply(op: number, reply: Reply): Step;
  /** `onReply`, returning a hit that needs nothing more as its value alone (a string of
   * JSON text or `[value]`, {@link FastStart}); its source is Redis. */
  onReplyFast(op: number, reply: Reply): FastStart;
  /** The last `send` failed (`message`), or timed out (`null`). */
  onError(op: number, message: string | null): Step;
  /** The value the `compute` step produced. */
  onComputed(op: number, value: unknown): Step;
  /** The `compute` step threw. */
  onComputeFailed(op: number, message: string): Step;
  /** After a `sleep` (its delay passed or its token was woken). */
  resume(op: number): Step;
  /** Gives up an operation; `release` is a lock release to fire and forget. */
  abandon(op: number): { wake: number[]; release: Command | null };
  /** Pins the entry of the L1 hit the previous call returned (a fast start that returned a
   * value), so its decoded value may be kept: the token {@link Engine.pinned} takes, or -1
   * when there is nothing to pin (not an L1 hit, or the cache encrypts). */
  pinLast(): number;
  /** True when L1 still holds exactly the pinned entry (counted as an L1 hit); false frees
   * the token. */
  pinned(token: number): boolean;
  /** Frees a pin whose value was dropped. */
  unpin(token: number): void;
  /** Operations started and not finished. */
  pendingOps(): number;
  /** The timeout to apply to the next command, in ms. */
  commandTimeout(): number;
  /** Prometheus text exposition. */
  metrics(): string;
  health(): EngineHealth;
  encrypted(): boolean;
  /** The default TTL in seconds, `null` for never. */
  defaultTtl(): number | null;
  mode(): EntryMode;
}

/** What builds engines and keys: the napi addon, or (later) the WASM module. */
export interface EngineBackend {
  createEngine(config: EngineConfig): Engine;
  /** A default-mode key (SPEC §4). */
  defaultKey(spec: {
    namespace?: string | null;
    function: string;
    args?: unknown[];
    kwargs?: Record<string, unknown> | Map<string, unknown>;
    integrity?: boolean;
    serializer?: string;
  }): string;
  /** An interop/v1 key (SPEC §5). */
  interopKey(namespace: string, operation: string, args: unknown[]): string;
}
