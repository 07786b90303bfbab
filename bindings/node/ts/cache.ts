/**
 * `createCache(options)`: the cache most users meet first.
 *
 * @packageDocumentation
 */

import type { Engine, EngineBackend, EngineConfig, EngineError, EntryMode, FastStart, KeyRecipe, Outcome, PlainRead, RequestOptions, RequestSpec, Step, TtlSpec } from './engine';
import { DEFAULT_DECODED_BYTES, DecodedValues, MISS, argsSignature } from './decoded';
import { Driver, type Driven } from './driver';
import { CachekitError, ClosedError, errorFor, fromEngineError, UsageError } from './errors';
import { resolveBackend, type EngineKind } from './native';
import { adapterForUrl, envVar } from './loader';
import { adapterFor, describe, memoryAdapter, type RedisAdapter, type RedisClientLike } from './redis';

/** The cachekit intent presets (SPEC §8): default TTL 300 / 600 / 600 / 3600 s; `secure`
 * requires encryption. */
export type Preset = 'minimal' | 'production' | 'secure' | 'io';

/** Where a failure happened, for the {@link CacheOptions.onError} hook. */
export interface ErrorContext {
  /** The cache method (`get`, `set`, `getOrSet`, `wrap`, …). */
  operation: string;
  /** The full Redis key, when there is one. */
  key?: string;
  /** The Redis command that failed, if any (`get`, `set`, `setNx`, …). */
  command?: string;
}

/** Encryption options. Without `masterKey`, `CACHEKIT_MASTER_KEY` is used (and
 * `CACHEKIT_PREVIOUS_MASTER_KEYS` for `previousKeys`). */
export interface EncryptionOptions {
  /** 64 hex digits or 32 bytes. */
  masterKey?: string | Uint8Array;
  /** Tenant the keys are derived for; default `CACHEKIT_DEPLOYMENT_UUID` or `"default"`. */
  tenant?: string;
  /** Up to three decrypt-only keys (rotation). */
  previousKeys?: (string | Uint8Array)[];
}

/** Options of {@link createCache}. */
export interface CacheOptions {
  /** Intent preset; default `production`. */
  preset?: Preset;
  /** An ioredis `Redis`/`Cluster`, a node-redis v5/v6 client or cluster (connected), a URL,
   * or `false` for L1-only. Default: `CACHEKIT_REDIS_URL`, then `REDIS_URL`, else L1-only. */
  redis?: RedisClientLike | RedisAdapter<Uint8Array> | string | false | null;
  /** Namespace of the keys this cache writes: `ns:{namespace}:…` for direct keys and the
   * default namespace of `wrap`. */
  namespace?: string;
  /** Default TTL in seconds (fractions round up) or `"never"`; default: the preset's. */
  ttl?: TtlSpec;
  /** The in-process L1 cache of stored bytes; `false` turns it off. Default 100 MiB. */
  l1?: false | L1Options;
  /** `true` (key from `CACHEKIT_MASTER_KEY`) or the keys. The environment variable alone
   * never turns encryption on; the `secure` preset requires it. */
  encryption?: boolean | EncryptionOptions;
  /** Circuit breaker tuning (defaults: 5 failures in 60 s open it for 30 s, 3 probes). */
  breaker?: EngineConfig['breaker'];
  /** Backpressure tuning (defaults: 100 in flight, 1000 queued, 100 ms wait). */
  backpressure?: EngineConfig['backpressure'];
  /** Adaptive command timeout clamps (defaults 50 ms … 5 s). */
  timeout?: EngineConfig['timeout'];
  /** The distributed fill lock of `getOrSet`/`wrap`; `false` turns it off. */
  lock?: false | { leaseMs?: number; retryMs?: number; waitMs?: number };
  /** Probabilistic early refresh (XFetch) of hot `getOrSet` keys; `true` is beta 1. */
  earlyRefresh?: boolean | { beta?: number };
  /** TTL refresh on hit (reset the TTL when less than `threshold` of it remains). */
  ttlRefresh?: boolean | { threshold?: number };
  /** The ByteStorage envelope (LZ4 + xxHash3) around default-mode values; default `true`. */
  integrity?: boolean;
  /** Throw `DecryptionError` from `get` instead of treating an entry that fails to
   * authenticate as a miss. */
  failClosed?: boolean;
  /** Largest serialized value written (default 100 MiB). */
  maxValueBytes?: number;
  /** Delete entries that fail to decode, verify or decrypt, as cachekit-py does (default
   * `true`); the read is a miss either way. */
  deleteUnreadable?: boolean;
  /** Called with every cache-layer failure (counted in the metrics either way). Refusals by
   * an open circuit breaker or by backpressure are reported at most once a second. */
  onError?: (error: CachekitError, context: ErrorContext) => void;
  /** Receives one `warn` line per cache-layer failure when no `onError` is given. */
  logger?: { warn(message: string): void };
  /** The engine implementation: `'napi'`, `'wasm'`, or an {@link EngineBackend}; default: the
   * napi addon when it loads, else the WebAssembly module (`CACHEKIT_ENGINE` overrides). */
  engine?: EngineBackend | EngineKind;
}

/** Options of the L1 ({@link CacheOptions.l1}). */
export interface L1Options {
  /** Budget of stored bytes; default 100 MiB. */
  maxBytes?: number;
  /** Largest entry kept; default `maxBytes / 8`. */
  maxEntryBytes?: number;
  /** Budget, in characters of JSON text, of L1 hit values kept decoded in the JavaScript heap
   * so that a repeated hit (same key, or same wrapped-function arguments when they are
   * strings, numbers, booleans, null or undefined) returns a copy instead of decoding again;
   * the engine confirms on every use that L1 still holds the entry the value came from.
   * Each value also counts 64 for its bookkeeping. Default 8 MiB, `0` turns it off; never
   * used with encryption. Values over 1/16 of the budget, and values JSON cannot say exactly
   * (Date, Buffer, Map, BigInt…), are decoded every time. */
  decodedBytes?: number;
}

/** Per-call options of writes. */
export interface SetOptions {
  ttl?: TtlSpec;
  tags?: string[];
}

/** Options of {@link Cache.wrap}. */
export interface WrapOptions {
  /** Namespace of the keys; default: the cache's. */
  namespace?: string;
  ttl?: TtlSpec;
  tags?: string[];
  /** The function identity in the key; default `fn.name` (required for anonymous functions). */
  name?: string;
  /** Maps the call's arguments to what the key hashes: an array replaces the argument list,
   * anything else is the single key argument. */
  keyFn?: (...args: never[]) => unknown;
}

/** Options of {@link Cache.interop}. */
export interface InteropOptions {
  /** `^[a-z0-9][a-z0-9._-]{0,63}$`, not `ns`/`nsapi`. */
  namespace: string;
  /** The operation name every SDK uses for this function. */
  operation: string;
  ttl?: TtlSpec;
  tags?: string[];
}

/** What {@link Cache.invalidate} removes. */
export interface InvalidateOptions {
  /** One direct key (as given to `get`/`set`). */
  key?: string;
  /** Every default-mode key of the namespace (`ns:{namespace}:*`). */
  namespace?: string;
  /** Every interop key of this interop namespace (`{namespace}:*`). */
  interopNamespace?: string;
  /** Every key written with any of these tags. */
  tags?: string[];
}

/** The cache's state, for health endpoints. */
export interface CacheHealth extends ReturnType<Engine['health']> {
  /** `ioredis`, `ioredis-cluster`, `node-redis`, `node-redis-cluster`, or `memory` (L1-only). */
  redis: string;
  closed: boolean;
  /** L1 hit values kept decoded ({@link L1Options.decodedBytes}): how many, what they take
   * of the budget (JSON text characters + 64 each), and the budget; `null` when off. */
  decoded: { values: number; chars: number; budget: number } | null;
}

function envFlag(name: string): string | undefined {
  const v = envVar(name);
  return v === undefined || v === '' ? undefined : v;
}

/** The presets (the compiler keeps this list exact, as the option lists below). */
const PRESETS: Record<Preset, true> = { minimal: true, production: true, secure: true, io: true };

/** Every option of {@link CacheOptions} (the compiler keeps this list complete and exact). */
const OPTION_NAMES: Record<keyof CacheOptions, true> = {
  preset: true,
  redis: true,
  namespace: true,
  ttl: true,
  l1: true,
  encryption: true,
  breaker: true,
  backpressure: true,
  timeout: true,
  lock: true,
  earlyRefresh: true,
  ttlRefresh: true,
  integrity: true,
  failClosed: true,
  maxValueBytes: true,
  deleteUnreadable: true,
  onError: true,
  logger: true,
  engine: true,
};
const L1_OPTION_NAMES: Record<keyof L1Options, true> = { maxBytes: true, maxEntryBytes: true, decodedBytes: true };
const ENCRYPTION_OPTION_NAMES: Record<keyof EncryptionOptions, true> = { masterKey: true, tenant: true, previousKeys: true };
const SET_OPTION_NAMES: Record<keyof SetOptions, true> = { ttl: true, tags: true };
const WRAP_OPTION_NAMES: Record<keyof WrapOptions, true> = { namespace: true, ttl: true, tags: true, name: true, keyFn: true };
const INTEROP_OPTION_NAMES: Record<keyof InteropOptions, true> = { namespace: true, operation: true, ttl: true, tags: true };
const INVALIDATE_OPTION_NAMES: Record<keyof InvalidateOptions, true> = { key: true, namespace: true, interopNamespace: true, tags: true };

const hasOwn = (o: object, name: string) => Object.prototype.hasOwnProperty.call(o, name);

/** A misspelt option name (`tll`) is an error rather than a silently ignored option. Allocates
 * nothing when the names are right (`set` and `getOrSet` call it with their options). */
function checkNames(given: object, known: Record<string, true>, what?: string): void {
  for (const name in given) {
    if (hasOwn(given, name) && !hasOwn(known, name)) {
      throw errorFor(100, `unknown ${what ? `${what} ` : ''}option "${name}" (expected one of: ${Object.keys(known).join(', ')})`);
    }
  }
}

/** Checks the options the engine does not read (plain JavaScript gets no type checking): a
 * hook that is not a function would otherwise swallow every report. The engine checks the
 * rest when it reads its configuration. */
function checkOptions(options: CacheOptions): void {
  const bad = (message: string) => errorFor(100, message);
  if (typeof options !== 'object' || options === null) throw bad('createCache options must be an object');
  checkNames(options, OPTION_NAMES, 'createCache');
  if (typeof options.l1 === 'object' && options.l1 !== null) checkNames(options.l1, L1_OPTION_NAMES, 'l1');
  if (typeof options.encryption === 'object' && options.encryption !== null) {
    checkNames(options.encryption, ENCRYPTION_OPTION_NAMES, 'encryption');
  }
  // The sections the engine reads itself (breaker, backpressure, timeout, lock, earlyRefresh,
  // ttlRefresh) are checked there, names included.
  if (options.preset !== undefined && !(typeof options.preset === 'string' && hasOwn(PRESETS, options.preset))) {
    throw bad(`option preset must be one of ${Object.keys(PRESETS).join(', ')}, got ${String(options.preset)}`);
  }
  if (options.integrity !== undefined && typeof options.integrity !== 'boolean') throw bad('option integrity must be a boolean');
  const enc = options.encryption;
  if (enc !== undefined && typeof enc !== 'boolean' && (typeof enc !== 'object' || enc === null)) {
    // A truthy non-object must not quietly mean "no encryption".
    throw bad(`option encryption must be true, false or {masterKey, tenant, previousKeys}, got ${describe(enc)}`);
  }
  const r = options.redis;
  if (typeof r === 'string') checkRedisUrl(r, 'option redis');
  if (r !== undefined && r !== null && r !== false && typeof r !== 'string' && typeof r !== 'object') {
    throw bad(`option redis: expected a client, a RedisAdapter, a redis:// URL, or false for L1-only; got ${describe(r)}`);
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') throw bad('option onError must be a function');
  if (options.logger !== undefined && typeof options.logger?.warn !== 'function') {
    throw bad('option logger must have a warn(message) method');
  }
}

/** A Redis URL as the clients take it: `redis://`, `rediss://`, `unix://`, or a socket path. */
function checkRedisUrl(url: string, what: string): void {
  if (!/^(rediss?:\/\/.|unix:\/\/.|\/.)/.test(url)) {
    throw errorFor(100, `${what}: a URL must start with redis://, rediss:// or unix:// (or be a socket path), got ${JSON.stringify(url)}`);
  }
}

/** Resolves cache options and the environment into an engine configuration. */
export function engineConfig(options: CacheOptions): EngineConfig {
  const preset = options.preset ?? 'production';
  const cfg: EngineConfig = { intent: preset };
  if (options.ttl !== undefined) cfg.ttl = options.ttl;
  if (options.integrity === false) cfg.mode = 'default-no-integrity';
  if (options.l1 === false) cfg.l1 = false;
  else if (typeof options.l1 === 'object' && options.l1 !== null) cfg.l1 = { maxBytes: options.l1.maxBytes, maxEntryBytes: options.l1.maxEntryBytes };
  // Anything else (a mistyped value from plain JavaScript) goes to the engine, which refuses it.
  else if (options.l1 !== undefined) cfg.l1 = options.l1 as EngineConfig['l1'];
  if (options.breaker) cfg.breaker = options.breaker;
  if (options.backpressure) cfg.backpressure = options.backpressure;
  if (options.timeout) cfg.timeout = options.timeout;
  if (options.lock !== undefined) cfg.lock = options.lock;
  if (options.earlyRefresh) cfg.earlyRefresh = options.earlyRefresh === true ? {} : options.earlyRefresh;
  if (options.ttlRefresh) cfg.ttlRefresh = options.ttlRefresh === true ? {} : options.ttlRefresh;
  if (options.failClosed !== undefined) cfg.failClosed = options.failClosed;
  if (options.maxValueBytes !== undefined) cfg.maxValueBytes = options.maxValueBytes;
  if (options.deleteUnreadable !== undefined) cfg.deleteUnreadable = options.deleteUnreadable;
  const wanted = options.encryption === true || typeof options.encryption === 'object' || preset === 'secure';
  if (wanted && options.encryption !== false) {
    const enc: EncryptionOptions = typeof options.encryption === 'object' ? options.encryption : {};
    const masterKey = enc.masterKey ?? envFlag('CACHEKIT_MASTER_KEY');
    if (masterKey !== undefined) {
      const previous = enc.previousKeys ?? (envFlag('CACHEKIT_PREVIOUS_MASTER_KEYS')?.split(',').filter(Boolean) ?? []);
      cfg.encryption = {
        masterKey,
        previousKeys: previous,
        tenant: enc.tenant ?? envFlag('CACHEKIT_DEPLOYMENT_UUID') ?? 'default',
      };
    } else if (preset !== 'secure') {
      throw errorFor(307, 'encryption was asked for but no master key was given (option masterKey or CACHEKIT_MASTER_KEY)');
    }
  }
  return cfg;
}

type AnyFn = (...args: never[]) => unknown;

/**
 * A cache: L1 in process, Redis (or Redis Cluster) behind it, every entry in the cachekit
 * protocol's format.
 */
export class Cache {
  private readonly engine: Engine;
  private readonly backend: EngineBackend;
  private readonly driver: Driver;
  private readonly redisReady: Promise<RedisAdapter>;
  private redis: RedisAdapter | undefined;
  private closed = false;
  /** The shutdown in progress ({@link close} returns it to every caller). */
  private closing: Promise<void> | undefined;
  /** Calls that write or may hold a fill lock (set, delete, invalidate, and getOrSet, wrap and
   * interop once they reach Redis), still running; {@link close} waits for them. */
  private running = 0;
  private idle: (() => void) | undefined;
  private readonly integrity: boolean;
  /** Background refreshes in progress (awaited by `close`). */
  private readonly background = new Set<Promise<unknown>>();
  /** The registered request profile of direct keys (the cache's namespace). */
  private readonly nsProfile: number | undefined;
  /** Decoded values of L1 hits ({@link L1Options.decodedBytes}); off without L1, with
   * encryption, or with a zero budget. */
  private readonly decoded: DecodedValues | undefined;

  /** @internal Use {@link createCache}. */
  constructor(
    private readonly options: CacheOptions,
    backend: EngineBackend,
    engine: Engine,
    redis: RedisAdapter | Promise<RedisAdapter>,
  ) {
    this.backend = backend;
    this.engine = engine;
    this.integrity = options.integrity !== false;
    this.nsProfile = options.namespace ? engine.profile({ namespace: options.namespace }) : undefined;
    const decodedBytes = options.l1 === false ? 0 : (options.l1?.decodedBytes ?? DEFAULT_DECODED_BYTES);
    if (!(decodedBytes >= 0)) throw errorFor(100, 'l1.decodedBytes must be a number ≥ 0');
    this.decoded = decodedBytes > 0 && !engine.encrypted() ? new DecodedValues(engine, decodedBytes) : undefined;
    this.redisReady = Promise.resolve(redis);
    if (!(redis instanceof Promise)) this.redis = redis;
    const lazy: RedisAdapter = {
      kind: 'lazy',
      get: (k) => this.io().then((r) => r.get(k)),
      getWithTtl: (k) => this.io().then((r) => r.getWithTtl(k)),
      exists: (k) => this.io().then((r) => r.exists(k)),
      set: (k, v, t) => this.io().then((r) => r.set(k, v, t)),
      setNx: (k, t, p) => this.io().then((r) => r.setNx(k, t, p)),
      evalRelease: (s, h, k, t) => this.io().then((r) => r.evalRelease(s, h, k, t)),
      expire: (k, t) => this.io().then((r) => r.expire(k, t)),
      del: (k) => this.io().then((r) => r.del(k)),
      sadd: (k, m, t) => this.io().then((r) => r.sadd(k, m, t)),
      smembers: (k) => this.io().then((r) => r.smembers(k)),
      deleteMatching: (p) => this.io().then((r) => r.deleteMatching(p)),
      close: async () => {},
    };
    this.driver = new Driver(engine, this.redis ?? lazy, (e, operation, key, command) =>
      this.failure(errorFor(e.code, e.message), command ? { operation, key, command: command.name } : { operation, key }),
    );
  }

  private async io(): Promise<RedisAdapter> {
    this.redis ??= await this.redisReady;
    return this.redis;
  }

  /** Reports a cache-layer failure to the hook (never throws). */
  private failure(error: CachekitError, context: ErrorContext): void {
    try {
      if (this.options.onError) this.options.onError(error, context);
      else this.options.logger?.warn(`cachekit: ${context.operation}${context.key ? ` ${context.key}` : ''}: ${error.message}`);
    } catch {
      // A throwing hook must not break the cache.
    }
  }

  private check(): void {
    if (this.closed) throw errorFor(405, 'the cache was closed');
  }

  private fail(error: EngineError): never {
    throw errorFor(error.code, error.message);
  }

  /** The Redis key of a direct key: `ns:{namespace}:{key}` when the cache has a namespace. */
  keyFor(key: string, namespace = this.options.namespace): string {
    if (typeof key !== 'string') throw errorFor(100, 'key must be a string');
    return namespace ? `ns:${namespace}:${key}` : key;
  }

  private request(namespace: string | undefined, opts?: SetOptions, mode?: EntryMode): RequestSpec {
    if (opts !== undefined) {
      if (typeof opts !== 'object' || opts === null) throw errorFor(100, 'options must be an object');
      checkNames(opts, SET_OPTION_NAMES);
    }
    if (!opts || (opts.ttl === undefined && !opts.tags)) {
      if (!mode && namespace === this.options.namespace) return this.nsProfile;
      if (!namespace && !mode) return undefined;
    }
    const r: RequestOptions = {};
    if (namespace) r.namespace = namespace;
    if (opts?.ttl !== undefined) r.ttl = opts.ttl;
    if (opts?.tags) r.tags = opts.tags;
    if (mode) r.mode = mode;
    return r;
  }

  private start(f: () => ReturnType<Engine['get']>): ReturnType<Engine['get']> {
    this.check();
    try {
      return f();
    } catch (e) {
      throw fromEngineError(e);
    }
  }

  /**
   * Reads a value. Resolves to `undefined` on a miss; entries that cannot be read (corrupt,
   * wrong key, written by cachekit-py's default mode) and Redis failures are misses too.
   * @throws {UsageError} for an invalid key; {@link DecryptionError} with `failClosed`;
   * {@link ClosedError} after `close()`.
   */
  get<T = unknown>(key: string): Promise<T | undefined> {
    const sig = this.decoded && !this.closed && typeof key === 'string' ? 'k' + key : undefined;
    const kept = this.kept<T>(sig);
    if (kept) return kept;
    let r: FastStart | PlainRead;
    let full: string;
    try {
      this.check();
      full = this.keyFor(key);
      r = this.engine.getFast(full, this.nsProfile);
    } catch (e) {
      return Promise.reject(fromEngineError(e));
    }
    // A plain read of Redis (the usual L1 miss): one promise for the round trip.
    if (typeof r === 'number') return this.driver.readPlain(r, full, this.outcomeValue) as Promise<T | undefined>;
    // An L1 hit comes back as the value alone: no step, no driver, no extra promise.
    if (typeof r === 'string' || Array.isArray(r)) return Promise.resolve(this.hitValue(r, sig) as T);
    return this.getDriven<T>(r, full);
  }

  /** A repeated L1 hit: a copy of the value kept under `sig` from the last decode, when the
   * engine confirms L1 still holds its entry; else `undefined` (take the normal path). */
  private kept<T>(sig: string | undefined): Promise<T> | undefined {
    if (sig === undefined) return undefined;
    const v = this.decoded!.get(sig);
    return v === MISS ? undefined : Promise.resolve(v as T);
  }

  /** The value of a fast start that returned one (JSON text or `[value]`), kept decoded
   * under `sig` when it can be. */
  private hitValue(r: string | [unknown], sig: string | undefined): unknown {
    if (typeof r !== 'string') return r[0];
    return sig === undefined ? JSON.parse(r) : this.decoded!.keep(sig, r);
  }

  private async getDriven<T>(step: Step, full: string): Promise<T | undefined> {
    const outcome = step.type === 'done' ? this.driver.finish(step, 'get', full) : (await this.driver.run(step, 'get', full)).outcome;
    return this.value(outcome) as T | undefined;
  }

  /** {@link value} as a function value, made once (the L2 path of `get` passes it). */
  private readonly outcomeValue = (o: Outcome): unknown => this.value(o);

  private value(o: Outcome): unknown {
    switch (o.kind) {
      case 'hit':
        return o.value;
      case 'failed':
        return this.fail(o.error);
      default:
        return undefined;
    }
  }

  /**
   * True when the key holds an entry: a live L1 copy, else Redis `EXISTS`. Nothing is read,
   * decoded or decrypted, so an entry that `get` would find unreadable (corrupt, wrong key)
   * still counts; a Redis failure resolves to `false` (and reaches `onError`).
   * @throws {UsageError} for an invalid key; {@link ClosedError} after `close()`.
   */
  async has(key: string): Promise<boolean> {
    const full = this.keyFor(key);
    const step = this.start(() => this.engine.exists(full, this.nsProfile));
    const o = step.type === 'done' ? this.driver.finish(step, 'has', full) : (await this.driver.run(step, 'has', full)).outcome;
    if (o.kind === 'failed') this.fail(o.error);
    return o.kind === 'exists' && o.found;
  }

  /**
   * Writes a value (L1 and Redis). Resolves to `true` when it reached Redis; a Redis failure
   * is reported to `onError`, not thrown.
   * @throws {UsageError} for a value that cannot be cached (functions, symbols, class
   * instances, cycles, integers beyond 64 bits…) or an invalid TTL; {@link ClosedError}.
   */
  set(key: string, value: unknown, options?: SetOptions): Promise<boolean> {
    return this.tracked(async () => {
      const full = this.keyFor(key);
      const step = this.start(() => this.engine.set(full, value, this.request(this.options.namespace, options)));
      const outcome = step.type === 'done' ? this.driver.finish(step, 'set', full) : (await this.driver.run(step, 'set', full)).outcome;
      if (outcome.kind === 'failed') this.fail(outcome.error);
      return outcome.kind === 'stored' && outcome.redis;
    });
  }

  /**
   * Deletes a key from L1 and Redis; resolves to whether it existed.
   * @throws {BackendError} when Redis cannot be reached (the key may still be there).
   */
  delete(key: string): Promise<boolean> {
    return this.tracked(async () => {
      const full = this.keyFor(key);
      const step = this.start(() => this.engine.delete(full));
      const outcome = (await this.driver.run(step, 'delete', full)).outcome;
      if (outcome.kind === 'failed') this.fail(outcome.error);
      return outcome.kind === 'deleted' && outcome.existed;
    });
  }

  /**
   * Reads `key`, or computes it once (stampede protection: one computation per key across
   * concurrent callers in this process, and a distributed fill lock across processes),
   * stores and returns the value. Cache-layer failures never reach the caller; `compute`'s
   * own exceptions do — to every caller that shared the computation.
   * @throws {UsageError} (as a rejection) for an invalid key or options, or a `compute` that is
   * not a function.
   */
  getOrSet<T>(key: string, compute: () => T | Promise<T>, options?: SetOptions): Promise<T> {
    let full: string;
    let req: RequestSpec;
    try {
      this.check();
      full = this.keyFor(key);
      req = this.request(this.options.namespace, options);
      if (typeof compute !== 'function') throw errorFor(100, 'getOrSet: compute must be a function');
    } catch (e) {
      return Promise.reject(e);
    }
    // Same key, same mode: the value `get` would decode from the same entry.
    const sig = this.decoded ? 'k' + key : undefined;
    const kept = this.kept<T>(sig);
    if (kept) return kept;
    let r: FastStart;
    try {
      r = this.engine.getOrComputeFast(full, req);
    } catch (e) {
      return this.degraded(e, { operation: 'getOrSet', key: full }, compute);
    }
    if (typeof r === 'string' || Array.isArray(r)) return Promise.resolve(this.hitValue(r, sig) as T);
    return this.driven(full, compute, req, 'getOrSet', r);
  }

  /** The cache layer failed before an operation started: report it, compute without it. */
  private async degraded<T>(e: unknown, context: ErrorContext, compute: () => T | Promise<T>): Promise<T> {
    this.failure(fromEngineError(e) as CachekitError, context);
    return compute();
  }

  /** The shared path of getOrSet / wrap / interop once the operation needs the driver (a
   * call {@link close} waits for: it may hold the fill lock). */
  private driven<T>(full: string, compute: () => T | Promise<T>, req: RequestSpec, operation: string, step: Step): Promise<T> {
    return this.tracked(() => this.drive(full, compute, req, operation, step));
  }

  private async drive<T>(full: string, compute: () => T | Promise<T>, req: RequestSpec, operation: string, step: Step): Promise<T> {
    let d: Driven;
    try {
      d = await this.driver.run(step, operation, full, compute);
    } catch (e) {
      // A bug in the driver or engine: never the caller's problem.
      this.failure(fromEngineError(e) as CachekitError, { operation, key: full });
      return compute();
    }
    if (d.threw) throw d.thrown;
    const o = d.outcome;
    if (o.kind === 'hit') {
      if (d.refreshAhead) this.refreshInBackground(full, compute, req);
      return o.value as T;
    }
    if (o.kind === 'computed') return d.computed as T;
    if (o.kind === 'failed') {
      // A follower whose leader's computation failed shares that failure: the leader's own
      // exception when it woke us (the same object its caller got), else ComputeFailedError.
      if (o.error.code === 406) {
        const shared = d.shared?.thrown;
        if (d.shared && (shared instanceof Error ? shared.message : String(shared)) === o.error.message) throw shared;
        throw errorFor(406, o.error.message, shared);
      }
      this.failure(errorFor(o.error.code, o.error.message), { operation, key: full });
    }
    return compute();
  }

  private refreshInBackground(full: string, compute: () => unknown, req: RequestSpec): void {
    let step;
    try {
      step = this.engine.refresh(full, req);
    } catch (e) {
      this.failure(fromEngineError(e) as CachekitError, { operation: 'refresh', key: full });
      return;
    }
    if (step.type === 'done') return;
    const p = this.driver
      .run(step, 'refresh', full, compute)
      .then((d) => {
        if (d.threw) this.failure(errorFor(406, String((d.thrown as Error)?.message ?? d.thrown)), { operation: 'refresh', key: full });
      })
      .catch((e) => this.failure(fromEngineError(e) as CachekitError, { operation: 'refresh', key: full }))
      .finally(() => this.background.delete(p));
    this.background.add(p);
  }

  /**
   * Wraps an async function: calls with the same arguments share one cached result, keyed by
   * a default-mode key (SPEC §4) from the function's name and its arguments. The function
   * still runs when anything in the cache layer fails, and its result is returned even when it
   * cannot be cached.
   * @throws {UsageError} at wrapping: `fn` or `keyFn` not a function, an anonymous function
   * without `options.name`, an invalid TTL or tags.
   */
  wrap<F extends AnyFn>(fn: F, options: WrapOptions = {}): (...args: Parameters<F>) => Promise<Awaited<ReturnType<F>>> {
    if (typeof fn !== 'function') throw errorFor(100, 'wrap: fn must be a function');
    if (typeof options !== 'object' || options === null) throw errorFor(100, 'wrap: options must be an object');
    checkNames(options, WRAP_OPTION_NAMES, 'wrap');
    if (options.keyFn !== undefined && typeof options.keyFn !== 'function') throw errorFor(100, 'wrap: options.keyFn must be a function');
    const name = options.name ?? fn.name;
    if (!name) throw errorFor(100, 'wrap: an anonymous function needs options.name (its identity in the cache key)');
    const namespace = options.namespace ?? this.options.namespace ?? null;
    const recipe = this.recipe({ kind: 'default', namespace, function: name, integrity: this.integrity }, namespace ?? undefined, options);
    const keyFn = options.keyFn as ((...a: unknown[]) => unknown) | undefined;
    const prefix = `${recipe.id}|`;
    const wrapped = (...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> => {
      if (this.closed) return Promise.reject(errorFor(405, 'the cache was closed'));
      let r: ReturnType<Engine['callFast']>;
      let sig: string | undefined;
      try {
        let keyArgs: unknown[] = args;
        if (keyFn) {
          const k = keyFn(...args);
          keyArgs = Array.isArray(k) ? k : [k];
        }
        if (this.decoded) {
          sig = argsSignature(prefix, keyArgs);
          const kept = this.kept<Awaited<ReturnType<F>>>(sig);
          if (kept) return kept;
        }
        r = this.engine.callFast(recipe.id, keyArgs);
      } catch (e) {
        // Arguments that cannot be keyed: the function still runs.
        return this.degraded(e, { operation: 'wrap' }, () => fn(...args) as Awaited<ReturnType<F>>);
      }
      // An L1 hit: the value alone, one engine call, no closure, no extra promise hop.
      if (typeof r === 'string' || Array.isArray(r)) return Promise.resolve(this.hitValue(r, sig) as Awaited<ReturnType<F>>);
      return this.driven(r.key, () => fn(...args) as Awaited<ReturnType<F>>, recipe.req, 'wrap', r);
    };
    Object.defineProperty(wrapped, 'name', { value: `cached ${name}` });
    return wrapped;
  }

  /** Registers a wrapper's request options and key recipe with the engine (once). */
  private recipe(key: KeyRecipe, namespace: string | undefined, options: { ttl?: TtlSpec; tags?: string[] }, mode?: EntryMode) {
    const spec = this.request(namespace, { ttl: options.ttl, tags: options.tags }, mode);
    const req = typeof spec === 'number' ? spec : this.engine.profile(spec ?? {});
    return { req, id: this.engine.keyProfile(key, req) };
  }

  /**
   * Returns a wrapper for functions whose results are shared with every cachekit SDK
   * (cachekit-py included): interop/v1 keys `{namespace}:{operation}:{hash of the
   * arguments}` and canonical MessagePack values.
   */
  interop(options: InteropOptions): <F extends AnyFn>(fn: F) => (...args: Parameters<F>) => Promise<Awaited<ReturnType<F>>> {
    // Validate the segments now (a bad namespace is a usage error at decoration).
    if (typeof options !== 'object' || options === null) throw errorFor(100, 'interop needs options {namespace, operation, ttl?, tags?}');
    checkNames(options, INTEROP_OPTION_NAMES, 'interop');
    try {
      this.backend.interopKey(options.namespace, options.operation, []);
    } catch (e) {
      throw fromEngineError(e);
    }
    const recipe = this.recipe({ kind: 'interop', namespace: options.namespace, operation: options.operation }, options.namespace, options, 'interop');
    const prefix = `${recipe.id}|`;
    return <F extends AnyFn>(fn: F) => {
      if (typeof fn !== 'function') throw errorFor(100, 'interop: the decorated value must be a function');
      return (...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> => {
        if (this.closed) return Promise.reject(errorFor(405, 'the cache was closed'));
        const sig = this.decoded ? argsSignature(prefix, args) : undefined;
        const kept = this.kept<Awaited<ReturnType<F>>>(sig);
        if (kept) return kept;
        let r: ReturnType<Engine['callFast']>;
        try {
          r = this.engine.callFast(recipe.id, args);
        } catch (e) {
          return this.degraded(e, { operation: 'interop' }, () => fn(...args) as Awaited<ReturnType<F>>);
        }
        if (typeof r === 'string' || Array.isArray(r)) return Promise.resolve(this.hitValue(r, sig) as Awaited<ReturnType<F>>);
        return this.driven(r.key, () => fn(...args) as Awaited<ReturnType<F>>, recipe.req, 'interop', r);
      };
    };
  }

  /**
   * Invalidates by key, namespace and/or tags, in L1 and Redis; resolves to the number of
   * Redis keys deleted.
   * @throws {UsageError} for no target, or targets of the wrong type; {@link BackendError}
   * when Redis cannot be reached.
   */
  invalidate(what: InvalidateOptions): Promise<number> {
    return this.tracked(async () => {
      this.check();
      if (typeof what !== 'object' || what === null) throw errorFor(100, 'invalidate needs an object: {key?, namespace?, interopNamespace?, tags?}');
      checkNames(what, INVALIDATE_OPTION_NAMES, 'invalidate');
      if (what.tags !== undefined && !Array.isArray(what.tags)) throw errorFor(100, 'invalidate: tags must be an array of strings');
      const targets: Parameters<Engine['invalidate']>[0][] = [];
      if (what.key !== undefined) targets.push({ key: this.keyFor(what.key) });
      if (what.namespace !== undefined) targets.push({ namespace: what.namespace, mode: 'default' });
      if (what.interopNamespace !== undefined) targets.push({ namespace: what.interopNamespace, mode: 'interop' });
      for (const tag of what.tags ?? []) targets.push({ tag });
      if (targets.length === 0) throw errorFor(100, 'invalidate needs a key, a namespace, an interopNamespace or tags');
      let n = 0;
      for (const t of targets) {
        const step = this.start(() => this.engine.invalidate(t));
        const o = (await this.driver.run(step, 'invalidate', 'key' in t ? t.key : undefined)).outcome;
        if (o.kind === 'failed') this.fail(o.error);
        if (o.kind === 'invalidated') n += o.redisKeys;
      }
      return n;
    });
  }

  /** Prometheus text exposition of this cache's metrics. */
  metrics(): string {
    return this.engine.metrics();
  }

  /** Breaker state, L1 statistics, latency estimate, backpressure. */
  health(): CacheHealth {
    return { ...this.engine.health(), redis: this.redis?.kind ?? 'connecting', closed: this.closed, decoded: this.decoded?.stats() ?? null };
  }

  /**
   * Stops the cache. Later calls throw {@link ClosedError}. Calls already running that write
   * or may hold a fill lock (`set`, `delete`, `invalidate`, and `getOrSet`, `wrap`, `interop`
   * once they reach Redis; their computations included) and background refreshes finish
   * first, so no write is cut off and no fill lock is left for other processes to wait out.
   * Then a connection the cache opened from a URL is closed (a client you passed in is left
   * open). Reads still on the wire may then resolve as misses. Calls made after `close()`,
   * from inside a computation still running included, throw {@link ClosedError}.
   * @param options.timeoutMs wait at most this long for running calls (default: as long as
   *   they take; a computation that never settles would keep `close()` waiting)
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(options.timeoutMs ?? Infinity);
    return this.closing;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.decoded?.clear();
    const idle = this.running > 0 ? new Promise<void>((resolve) => (this.idle = resolve)) : undefined;
    const drained = Promise.all([idle, Promise.allSettled([...this.background])]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = Number.isFinite(timeoutMs) ? new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, timeoutMs)))) : drained;
    await Promise.race([drained, late]);
    if (timer !== undefined) clearTimeout(timer);
    const r = await this.redisReady.catch(() => undefined);
    await r?.close();
  }

  /** Runs `work` as a call {@link close} waits for. */
  private async tracked<T>(work: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await work();
    } finally {
      if (--this.running === 0) this.idle?.();
    }
  }
}

/**
 * Creates a cache.
 *
 * ```ts
 * const cache = createCache({ redis: new Redis(), namespace: 'app', ttl: 300 });
 * const getUser = cache.wrap(async function getUser(id: number) { return db.users.find(id); });
 * ```
 * @throws {UsageError} for invalid options; {@link CryptoError} for a bad master key or a
 * `secure` preset without one.
 */
export function createCache(options: CacheOptions = {}): Cache {
  checkOptions(options);
  const backend = resolveBackend(options.engine);
  const engine = backend.createEngine(engineConfig(options));
  let redis: RedisAdapter | Promise<RedisAdapter>;
  const fromEnv = options.redis === undefined ? (envFlag('CACHEKIT_REDIS_URL') ?? envFlag('REDIS_URL')) : undefined;
  if (fromEnv !== undefined) checkRedisUrl(fromEnv, envFlag('CACHEKIT_REDIS_URL') !== undefined ? 'CACHEKIT_REDIS_URL' : 'REDIS_URL');
  const r = options.redis === undefined ? fromEnv : options.redis;
  if (r === undefined || r === null || r === false) redis = memoryAdapter();
  else if (typeof r === 'string') redis = adapterForUrl(r);
  else redis = adapterFor(r);
  if (redis instanceof Promise) redis.catch(() => {});
  return new Cache(options, backend, engine, redis);
}

export { ClosedError, UsageError };
