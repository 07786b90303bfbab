/**
 * Redis I/O through the client the user already has: an ioredis `Redis` or `Cluster`, a
 * node-redis (v5/v6) client or cluster, or a URL. Each adapter executes the engine's
 * {@link Command}s and nothing else; it decides nothing.
 *
 * @packageDocumentation
 */

import type { Command, Reply } from './engine';
import { errorFor } from './errors';

/**
 * The Redis I/O the cache needs: eleven commands and `close`. The built-in adapters cover
 * ioredis and node-redis; implement this interface to run the cache over anything else (an
 * HTTP Redis proxy through `fetch`, a runtime's own Redis binding, a test double) and pass it
 * as `createCache({ redis: adapter })`. `bindings/wasm/examples/http-adapter/` is a complete
 * one (an Upstash-style REST proxy).
 *
 * An adapter only executes: the engine decides every key, value, TTL and retry. Each method
 * returns a promise of the reply in the shape given below; a rejected promise is a failed
 * command (the engine counts it for the circuit breaker and treats reads as misses). The
 * cache races each call against the engine's adaptive command timeout and ignores a late
 * reply, so an adapter needs no timeout of its own (an abort on timeout is optional).
 *
 * Values are binary: stored entries (LZ4 envelopes, MessagePack, AES-GCM ciphertext) must
 * reach Redis and come back byte for byte, never through a text encoding. Keys, lock tokens
 * and set members are strings.
 *
 * `Bytes` is what the adapter returns for binary replies: `Buffer` for the built-in Node
 * adapters; an adapter for a runtime without `Buffer` declares `RedisAdapter<Uint8Array>`
 * (the engine takes any `Uint8Array`).
 */
export interface RedisAdapter<Bytes extends Uint8Array = Buffer> {
  /** A name for `cache.health().redis`: `ioredis`, `ioredis-cluster`, `node-redis`,
   * `node-redis-cluster`, `memory`, or the custom adapter's own (e.g. `http`). */
  readonly kind: string;
  /** `GET key`: the stored bytes, or `null` when the key does not exist. */
  get(key: string): Promise<Bytes | null>;
  /** `GET key` and `TTL key`, ideally in one round trip (pipeline): `[bytes | null, ttl]`
   * with `ttl` in seconds, `-1` for no expiry, `-2` when the key does not exist. Used by the
   * TTL-refresh and early-refresh features. */
  getWithTtl(key: string): Promise<[Bytes | null, number]>;
  /** `EXISTS key`: 1 when the key exists, else 0 (`cache.has()`: nothing is read). */
  exists(key: string): Promise<number>;
  /** `SET key value` (`ttl === null`: no expiry) or `SET key value EX ttl` (whole seconds,
   * ≥ 1). The reply is ignored; reject on failure. */
  set(key: string, value: Uint8Array, ttl: number | null): Promise<unknown>;
  /** The fill lock: `SET key token PX px NX`. Resolves to `"OK"` when the lock was taken,
   * `null` when the key already exists. */
  setNx(key: string, token: string, px: number): Promise<string | null>;
  /** The lock release: `EVALSHA sha1 1 key token`, and on a `NOSCRIPT` error
   * `EVAL script 1 key token`. Resolves to the script's integer (1: released, 0: not ours). */
  evalRelease(script: string, sha1: string, key: string, token: string): Promise<number>;
  /** `EXPIRE key ttl` (seconds): resolves to 1 when set, 0 when the key does not exist. */
  expire(key: string, ttl: number): Promise<number>;
  /** `DEL keys…`: resolves to the number of keys deleted. In a cluster, split the keys by hash
   * slot ({@link bySlot}) and sum the replies. */
  del(keys: string[]): Promise<number>;
  /** Tag index write: `SADD key member`, then `EXPIRE key ttl NX` and `EXPIRE key ttl GT`
   * (one pipeline; Redis ≥ 7.0), so the set's life only ever grows and it outlives every
   * member written with the tag. Resolves to the `SADD` integer (1: added, 0: already a
   * member). */
  sadd(key: string, member: string, ttl: number): Promise<number>;
  /** `SMEMBERS key`: the members as bytes (`[]` when the key does not exist). */
  smembers(key: string): Promise<Bytes[]>;
  /** Namespace invalidation: `SCAN 0 MATCH pattern` to the end (on every primary in a
   * cluster), deleting (`UNLINK`/`DEL`) what it finds. Resolves to the number deleted. */
  deleteMatching(pattern: string): Promise<number>;
  /** Called once by `cache.close()`. The built-in adapters close a connection the cache
   * opened from a URL and leave a client you passed in open; a custom adapter decides (a
   * no-op is fine for connectionless transports). */
  close(): Promise<void>;
}

/** The methods of a {@link RedisAdapter}. */
const ADAPTER_METHODS = ['get', 'getWithTtl', 'exists', 'set', 'setNx', 'evalRelease', 'expire', 'del', 'sadd', 'smembers', 'deleteMatching', 'close'] as const;

/** The {@link RedisAdapter} methods `x` lacks. */
function missingMethods(x: Record<string, unknown>): string[] {
  return ADAPTER_METHODS.filter((m) => typeof x[m] !== 'function');
}

/** True when `x` implements {@link RedisAdapter} (every method present). */
export function isRedisAdapter(x: unknown): x is RedisAdapter<Uint8Array> {
  if (typeof x !== 'object' || x === null) return false;
  const a = x as Record<string, unknown>;
  return typeof a.kind === 'string' && missingMethods(a).length === 0;
}

const ok = () => 'OK' as const;

/** Executes one command on an adapter and returns the reply in the engine's shape (the
 * adapter's own promise where it can: no extra promise per command). May throw
 * synchronously when a client does. */
export function execute(a: RedisAdapter, c: Command): Promise<Reply> {
  switch (c.name) {
    case 'get':
      return a.get(c.key);
    case 'getWithTtl':
      return a.getWithTtl(c.key);
    case 'exists':
      return a.exists(c.key);
    case 'set':
      return a.set(c.key, c.value, c.ttl).then(ok);
    case 'setNx':
      return a.setNx(c.key, c.token, c.px);
    case 'evalRelease':
      return a.evalRelease(c.script, c.sha1, c.key, c.token);
    case 'expire':
      return a.expire(c.key, c.ttl);
    case 'del':
      return a.del(c.keys);
    case 'sadd':
      return a.sadd(c.key, c.member, c.ttl);
    case 'smembers':
      return a.smembers(c.key);
    case 'deleteMatching':
      return a.deleteMatching(c.pattern);
  }
}

// ------------------------------------------------------------------ hash slots

const CRC16_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

const UTF8 = new TextEncoder();

/** The Redis Cluster hash slot of a key (CRC16/XMODEM of the hash tag or the key, mod 16384). */
export function hashSlot(key: string): number {
  let b = UTF8.encode(key);
  const open = b.indexOf(0x7b);
  if (open >= 0) {
    const close = b.indexOf(0x7d, open + 1);
    if (close > open + 1) b = b.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of b) crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  return crc & 16383;
}

/** Groups keys by hash slot (a multi-key command must stay within one slot in a cluster). */
export function bySlot(keys: string[]): string[][] {
  const groups = new Map<number, string[]>();
  for (const k of keys) {
    const s = hashSlot(k);
    const g = groups.get(s);
    if (g) g.push(k);
    else groups.set(s, [k]);
  }
  return [...groups.values()];
}

function isNoScript(e: unknown): boolean {
  return e instanceof Error && /NOSCRIPT/i.test(e.message);
}

// ------------------------------------------------------------------ ioredis

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export function ioredisAdapter(client: Any, owned: boolean): RedisAdapter {
  const cluster = typeof client.nodes === 'function' && client.isCluster === true;
  const scanNode = async (node: Any, pattern: string): Promise<number> => {
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = (await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500)) as [string, string[]];
      cursor = next;
      if (keys.length > 0) {
        if (cluster) {
          // One key per UNLINK: keys on one node may still be in different slots.
          const p = node.pipeline();
          for (const k of keys) p.unlink(k);
          for (const [err, r] of (await p.exec()) as [Error | null, number][]) {
            if (err) throw err;
            n += r;
          }
        } else {
          n += (await node.unlink(...keys)) as number;
        }
      }
    } while (cursor !== '0');
    return n;
  };
  return {
    kind: cluster ? 'ioredis-cluster' : 'ioredis',
    get: (key) => client.getBuffer(key),
    async getWithTtl(key) {
      const res = (await client.pipeline().getBuffer(key).ttl(key).exec()) as [Error | null, unknown][];
      for (const [err] of res) if (err) throw err;
      return [(res[0]?.[1] as Buffer | null) ?? null, Number(res[1]?.[1] ?? -2)];
    },
    exists: (key) => client.exists(key),
    set: (key, value, ttl) =>
      ttl === null ? client.set(key, Buffer.from(value.buffer, value.byteOffset, value.byteLength)) : client.set(key, Buffer.from(value.buffer, value.byteOffset, value.byteLength), 'EX', ttl),
    setNx: (key, token, px) => client.set(key, token, 'PX', px, 'NX'),
    async evalRelease(script, sha1, key, token) {
      try {
        return await client.evalsha(sha1, 1, key, token);
      } catch (e) {
        if (!isNoScript(e)) throw e;
        return client.eval(script, 1, key, token);
      }
    },
    expire: (key, ttl) => client.expire(key, ttl),
    async del(keys) {
      if (!cluster) return client.del(...keys);
      let n = 0;
      for (const group of bySlot(keys)) n += (await client.del(...group)) as number;
      return n;
    },
    async sadd(key, member, ttl) {
      const res = (await client.pipeline().sadd(key, member).expire(key, ttl, 'NX').expire(key, ttl, 'GT').exec()) as [Error | null, number][];
      for (const [err] of res) if (err) throw err;
      return res[0]?.[1] ?? 0;
    },
    smembers: (key) => client.smembersBuffer(key),
    async deleteMatching(pattern) {
      if (!cluster) return scanNode(client, pattern);
      let n = 0;
      for (const node of client.nodes('master') as Any[]) n += await scanNode(node, pattern);
      return n;
    },
    async close() {
      if (owned) await client.quit().catch(() => client.disconnect());
    },
  };
}

// ------------------------------------------------------------------ node-redis (v5, v6)

/** RESP_TYPES.BLOB_STRING in node-redis ≥ 5 (the type byte `$`). */
const BLOB_STRING = 36;

export function nodeRedisAdapter(client: Any, owned: boolean): RedisAdapter {
  const cluster = Array.isArray(client.masters) && typeof client.nodeClient === 'function';
  const bin = client.withTypeMapping({ [BLOB_STRING]: Buffer });
  const scanClient = async (c: Any, pattern: string): Promise<number> => {
    let cursor: string | number = '0';
    let n = 0;
    do {
      const r = (await c.scan(String(cursor), { MATCH: pattern, COUNT: 500 })) as { cursor: string | number; keys: string[] };
      cursor = r.cursor;
      for (const group of cluster ? r.keys.map((k) => [k]) : r.keys.length ? [r.keys] : []) {
        n += (await c.unlink(group)) as number;
      }
    } while (String(cursor) !== '0');
    return n;
  };
  return {
    kind: cluster ? 'node-redis-cluster' : 'node-redis',
    get: (key) => bin.get(key),
    async getWithTtl(key) {
      // Both commands go out in the same tick: node-redis pipelines them on one connection
      // (a MULTI would lose the Buffer type mapping on clusters).
      const [v, t] = (await Promise.all([bin.get(key), client.ttl(key)])) as [Buffer | null, number];
      return [v ?? null, Number(t)];
    },
    exists: (key) => client.exists(key),
    set: (key, value, ttl) => {
      const b = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      return ttl === null ? client.set(key, b) : client.set(key, b, { EX: ttl });
    },
    setNx: (key, token, px) => client.set(key, token, { PX: px, NX: true }),
    async evalRelease(script, sha1, key, token) {
      const opts = { keys: [key], arguments: [token] };
      try {
        return await client.evalSha(sha1, opts);
      } catch (e) {
        if (!isNoScript(e)) throw e;
        return client.eval(script, opts);
      }
    },
    expire: (key, ttl) => client.expire(key, ttl),
    async del(keys) {
      if (!cluster) return client.del(keys);
      let n = 0;
      for (const group of bySlot(keys)) n += (await client.del(group)) as number;
      return n;
    },
    async sadd(key, member, ttl) {
      // Issued together: node-redis pipelines commands sent in the same tick.
      const [n] = await Promise.all([client.sAdd(key, member), client.expire(key, ttl, 'NX'), client.expire(key, ttl, 'GT')]);
      return n as number;
    },
    smembers: (key) => bin.sMembers(key),
    async deleteMatching(pattern) {
      if (!cluster) return scanClient(client, pattern);
      let n = 0;
      for (const master of client.masters as Any[]) n += await scanClient(await client.nodeClient(master), pattern);
      return n;
    },
    async close() {
      if (!owned) return;
      if (typeof client.close === 'function') await client.close();
      else await client.quit();
    },
  };
}

// ------------------------------------------------------------------ no Redis

/** L1-only mode: an always-empty Redis (reads miss, writes succeed, deletes find nothing). */
export function memoryAdapter(): RedisAdapter {
  return {
    kind: 'memory',
    get: async () => null,
    getWithTtl: async () => [null, -2],
    exists: async () => 0,
    set: async () => 'OK',
    setNx: async () => 'OK',
    evalRelease: async () => 1,
    expire: async () => 0,
    del: async () => 0,
    sadd: async () => 1,
    smembers: async () => [],
    deleteMatching: async () => 0,
    close: async () => {},
  };
}

// ------------------------------------------------------------------ detection

/** A supported Redis client, by the method each is recognised by: an ioredis `Redis` or
 * `Cluster` (`getBuffer`), or a node-redis v5+ client or cluster (`withTypeMapping`). (A
 * {@link RedisAdapter} is accepted beside it.) Structural, so cachekit needs neither package's
 * types. */
export type RedisClientLike = { getBuffer: (...args: never[]) => unknown } | { withTypeMapping: (...args: never[]) => unknown };

/** Builds the adapter for a client instance; a {@link RedisAdapter} is used as it is. */
export function adapterFor(client: RedisClientLike | RedisAdapter<Uint8Array>, owned = false): RedisAdapter {
  // The cache hands an adapter's replies to the engine only, which takes any Uint8Array.
  if (isRedisAdapter(client)) return client as RedisAdapter;
  const c = client as Any;
  if (typeof c.getBuffer === 'function') return ioredisAdapter(c, owned);
  if (typeof c.withTypeMapping === 'function') return nodeRedisAdapter(c, owned);
  // Something adapter-shaped but incomplete: say what it lacks.
  const missing = typeof c === 'object' && c !== null && typeof c.kind === 'string' ? missingMethods(c) : [];
  throw errorFor(
    100,
    missing.length > 0
      ? `option redis: this RedisAdapter (kind "${c.kind}") lacks ${missing.join(', ')}`
      : `option redis: expected an ioredis Redis/Cluster, a node-redis (v5+) client or cluster, a RedisAdapter, a redis:// URL, or false for L1-only; got ${describe(client)}`,
  );
}

/** A value's kind for an error message: `null`, `number 6379`, `an object (Date)`, … */
export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return `an object (${(x as object).constructor?.name ?? 'no prototype'})`;
  if (typeof x === 'string') return `string ${JSON.stringify(x)}`;
  return `${typeof x} ${String(x)}`;
}
