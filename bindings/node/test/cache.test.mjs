// The cache API against a real Redis, parameterized over every supported client (ioredis 5/6,
// node-redis 5/6) and topology (standalone, a local 3-master cluster).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import {
  BackendError,
  CachekitError,
  CircuitOpenError,
  ClosedError,
  DecryptionError,
  Float,
  UsageError,
  createCache,
  memoryAdapter,
  protocol,
} from '../dist/index.js';
import { CLIENTS, MASTER_A, MASTER_B, raw, sleep, startCluster, startRedis } from './helpers.mjs';

const TOPOLOGIES = ['standalone', 'cluster'].filter(
  (t) => !(t === 'cluster' && process.env.CACHEKIT_TEST_CLUSTER === '0'),
);

let server;
let cluster;
before(async () => {
  server = await startRedis();
  if (TOPOLOGIES.includes('cluster')) cluster = await startCluster();
});
after(async () => {
  await server?.close();
  await cluster?.close();
});

let unique = 0;
const uid = (p) => `${p}${process.pid}x${++unique}`;

for (const topology of TOPOLOGIES) {
  for (const kind of CLIENTS) {
    describe(`${kind.name} (${topology})`, () => {
      let conn;
      let direct;
      const caches = [];
      const make = (opts = {}) => {
        const c = createCache({ redis: conn.client, ...opts });
        caches.push(c);
        return c;
      };
      before(async () => {
        conn = topology === 'cluster' ? await kind.cluster(cluster.ports) : await kind.standalone(server.url);
        direct = raw(topology === 'cluster' ? cluster.ports : server.url);
      });
      after(async () => {
        for (const c of caches) await c.close();
        await conn.close();
        direct.disconnect();
      });

      test('set, get, has, delete round trip every value kind', async () => {
        const c = make({ namespace: uid('rt') });
        const value = {
          int: 42,
          float: 1.5,
          big: 2n ** 60n,
          neg: -(2n ** 63n),
          str: 'héllo ✓',
          bytes: Buffer.from([0, 255]),
          list: [1, 'two', null, true],
          when: new Date(Date.UTC(2024, 0, 15, 12, 30, 0, 123)),
          nested: { a: { b: [new Map([[1, 'one']])] } },
        };
        assert.equal(await c.set('k', value), true);
        assert.equal(await c.has('k'), true);
        const back = await c.get('k');
        assert.deepEqual(back, value);
        // Another process (a fresh engine) reads the same bytes from Redis.
        const other = make({ namespace: c.keyFor('x').split(':')[1] });
        assert.deepEqual(await other.get('k'), value);
        assert.equal(await c.delete('k'), true);
        assert.equal(await c.get('k'), undefined);
        assert.equal(await c.has('k'), false);
        assert.equal(await c.delete('k'), false);
      });

      test('direct keys live under ns:{namespace}: with the default TTL of the preset', async () => {
        const ns = uid('ttl');
        const c = make({ namespace: ns, preset: 'minimal' });
        await c.set('k', 'v');
        assert.equal(await direct.exists(`ns:${ns}:k`), 1);
        const ttl = await direct.ttl(`ns:${ns}:k`);
        assert.ok(ttl > 290 && ttl <= 300, `minimal preset TTL 300, got ${ttl}`);
        await c.set('n', 'v', { ttl: 'never' });
        assert.equal(await direct.ttl(`ns:${ns}:n`), -1);
        await c.set('s', 'v', { ttl: 0.2 });
        assert.equal(await direct.ttl(`ns:${ns}:s`), 1, 'sub-second TTLs round up to 1 s');
        const io = make({ namespace: ns, preset: 'io' });
        await io.set('io', 1);
        assert.ok((await direct.ttl(`ns:${ns}:io`)) > 3500);
        for (const bad of [0, -1, Number.NaN, Infinity]) {
          await assert.rejects(c.set('bad', 1, { ttl: bad }), (e) => e instanceof UsageError && e.kind === 'invalid_ttl');
        }
      });

      test('entries expire with their TTL (L1 included)', async () => {
        const ns = uid('exp');
        const c = make({ namespace: ns });
        const reader = make({ namespace: ns, l1: false });
        await c.set('k', 'v', { ttl: 2 });
        assert.equal(await c.get('k'), 'v', 'L1 keeps it for ttl - 1 s');
        assert.equal(await reader.get('k'), 'v');
        await sleep(2200);
        assert.equal(await c.get('k'), undefined);
        assert.equal(await reader.get('k'), undefined);
      });

      test('uncacheable values are refused at set with typed errors', async () => {
        const c = make({ namespace: uid('bad') });
        class Point {
          constructor() {
            this.x = 1;
          }
        }
        const cyclic = {};
        cyclic.self = cyclic;
        for (const [v, kind] of [
          [() => 1, 'unsupported_type'],
          [Symbol('s'), 'unsupported_type'],
          [new Point(), 'unsupported_type'],
          [cyclic, 'unsupported_type'],
          ['\ud800', 'invalid_string'],
          [2n ** 64n, 'integer_out_of_range'],
          [new Set([1]), 'unsupported_type'],
        ]) {
          await assert.rejects(c.set('k', v), (e) => e instanceof UsageError && e.kind === kind && e.code >= 100 && e.code < 200);
        }
        assert.equal(await c.get('k'), undefined);
      });

      test('tags and namespaces invalidate L1 and Redis', async () => {
        const ns = uid('inv');
        const c = make({ namespace: ns });
        const other = make({ namespace: uid('keep') });
        const tag = uid('tag');
        await c.set('a', 1, { tags: [tag] });
        await c.set('b', 2, { tags: [tag] });
        await c.set('c', 3);
        await other.set('d', 4);
        assert.equal(await c.invalidate({ tags: [tag] }), 2, 'the two entries (the tag set is an index, not counted)');
        assert.equal(await direct.exists(`cachekit:tag:${tag}`), 0, 'the tag set went with them');
        assert.equal(await c.get('a'), undefined);
        assert.equal(await c.get('b'), undefined);
        assert.equal(await c.get('c'), 3);
        const f = c.wrap(async function square(x) {
          return x * x;
        });
        assert.equal(await f(3), 9);
        assert.ok((await c.invalidate({ namespace: ns })) >= 2);
        assert.equal(await c.get('c'), undefined);
        assert.equal(await direct.exists(c.keyFor('c')), 0);
        assert.equal(await other.get('d'), 4, 'another namespace is untouched');
        await c.set('e', 5);
        assert.equal(await c.invalidate({ key: 'e' }), 1);
        assert.equal(await c.get('e'), undefined);
      });

      test('a tag set outlives every entry written with its tag, whatever the order', async () => {
        const c = make({ namespace: uid('tagttl') });
        const tag = uid('tag');
        const set = `cachekit:tag:${tag}`;
        await c.set('long', 1, { ttl: 3600, tags: [tag] });
        await c.set('short', 2, { ttl: 5, tags: [tag] });
        const ttl = await direct.ttl(set);
        assert.ok(ttl > 3600 && ttl <= 3660, `a short-lived entry does not cut the index short (ttl ${ttl})`);
        await c.set('forever', 3, { ttl: 'never', tags: [tag] });
        await c.set('short2', 4, { ttl: 5, tags: [tag] });
        assert.ok((await direct.ttl(set)) > 50 * 365 * 86400, 'an entry without expiry keeps its index for good');
        assert.equal(await c.invalidate({ tags: [tag] }), 4);
        assert.equal(await c.get('long'), undefined);
        assert.equal(await c.get('forever'), undefined);
      });

      test('onError hears of unreadable entries and uncacheable results, with the call and its key', async () => {
        const errors = [];
        const c = make({ namespace: uid('heard'), onError: (e, ctx) => errors.push([e, ctx]) });
        await direct.set(c.keyFor('bad'), 'not an entry');
        assert.equal(await c.get('bad'), undefined, 'a miss, not an exception');
        assert.equal(errors.length, 1);
        const [e, ctx] = errors[0];
        assert.ok(e instanceof CachekitError && e.code >= 200 && e.code < 300, `${e.kind} ${e.code}`);
        assert.deepEqual(ctx, { operation: 'get', key: c.keyFor('bad') });
        assert.equal(await direct.exists(c.keyFor('bad')), 0, 'deleted (deleteUnreadable)');
        const set = await c.getOrSet('set', () => new Set([1]));
        assert.ok(set instanceof Set, 'the computed value is still returned');
        assert.equal(errors.length, 2);
        assert.equal(errors[1][0].kind, 'unsupported_type');
        assert.deepEqual(errors[1][1], { operation: 'getOrSet', key: c.keyFor('set') });
      });

      test('close waits for calls that write or hold the fill lock', async () => {
        const c = make({ namespace: uid('drain') });
        const slow = c.getOrSet('slow', async () => {
          await sleep(300);
          return 'done';
        });
        await sleep(50);
        assert.equal(await direct.exists(`${c.keyFor('slow')}:lock`), 1, 'the fill lock is held');
        const closing = c.close();
        assert.equal(c.close(), closing, 'one shutdown');
        await assert.rejects(c.get('slow'), (e) => e instanceof ClosedError);
        await closing;
        assert.equal(await slow, 'done');
        assert.equal(await direct.exists(c.keyFor('slow')), 1, 'the value was written before the connection closed');
        assert.equal(await direct.exists(`${c.keyFor('slow')}:lock`), 0, 'and the lock released');
      });

      test('close({timeoutMs}) stops waiting for a computation that does not settle', async () => {
        const c = make({ namespace: uid('stuck') });
        let computing;
        const started = new Promise((resolve) => (computing = resolve));
        const stuck = c.getOrSet('never', () => {
          computing();
          return new Promise(() => {}); // never settles
        });
        stuck.catch(() => {});
        await started;
        await c.close({ timeoutMs: 50 }); // resolves: the test would otherwise time out
        await assert.rejects(c.get('never'), (e) => e instanceof ClosedError);
      });

      test('L1 serves repeated reads; a second cache reads Redis', async () => {
        const c = make({ namespace: uid('l1') });
        await c.set('k', { v: 1 });
        const before = c.health().l1.hits;
        await c.get('k');
        await c.get('k');
        assert.equal(c.health().l1.hits, before + 2);
        const noL1 = make({ namespace: c.keyFor('x').split(':')[1], l1: false });
        assert.deepEqual(await noL1.get('k'), { v: 1 });
        assert.equal(noL1.health().l1, null);
        assert.match(noL1.metrics(), /cachekit_hits_total\{layer="redis"\} 1/);
      });

      test('getOrSet: 50 concurrent callers, two caches, one computation', async () => {
        const ns = uid('stampede');
        const a = make({ namespace: ns });
        const b = make({ namespace: ns });
        let calls = 0;
        const compute = async () => {
          calls++;
          await sleep(150);
          return { computed: true };
        };
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).getOrSet('hot', compute, { ttl: 60 })),
        );
        assert.equal(calls, 1);
        for (const r of results) assert.deepEqual(r, { computed: true });
        assert.equal(await direct.exists(`ns:${ns}:hot:lock`), 0, 'fill lock released');
      });

      test('has() is an existence check: L1, then Redis EXISTS, nothing decoded', async () => {
        const ns = uid('has');
        const c = make({ namespace: ns });
        assert.equal(await c.has('k'), false);
        await c.set('k', { a: 1 });
        const hits = c.health().l1.hits;
        assert.equal(await c.has('k'), true);
        assert.equal(c.health().l1.hits, hits, 'an existence check is not a read');
        // Another cache without L1 asks Redis; an entry it could not read still exists.
        const noL1 = make({ namespace: ns, l1: false });
        assert.equal(await noL1.has('k'), true);
        await direct.set(`ns:${ns}:junk`, 'not a cachekit entry');
        assert.equal(await noL1.get('junk'), undefined);
        await direct.set(`ns:${ns}:junk`, 'not a cachekit entry'); // the get purged it
        assert.equal(await noL1.has('junk'), true);
        const encrypted = make({ namespace: ns, l1: false, encryption: { masterKey: MASTER_A } });
        assert.equal(await encrypted.has('k'), true, 'no decryption either');
        await c.delete('k');
        assert.equal(await noL1.has('k'), false);
        assert.equal(await c.has('k'), false);
        await assert.rejects(c.has(42), (e) => e instanceof UsageError);
      });

      test('followers of a failed single-flight leader get the leader\'s own error', async () => {
        const c = make({ namespace: uid('follow') });
        const boom = new TypeError('boom');
        let calls = 0;
        const compute = async () => {
          calls++;
          await sleep(30);
          throw boom;
        };
        const results = await Promise.allSettled(Array.from({ length: 5 }, () => c.getOrSet('k', compute)));
        assert.equal(calls, 1, 'one computation');
        for (const r of results) {
          assert.equal(r.status, 'rejected');
          assert.equal(r.reason, boom, 'every caller sees the original exception');
        }
      });

      test('getOrSet propagates the computation error and caches nothing', async () => {
        const c = make({ namespace: uid('throw') });
        await assert.rejects(
          c.getOrSet('k', async () => {
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.equal(await c.get('k'), undefined);
        assert.equal(await c.getOrSet('k', () => 7), 7);
      });

      test('wrap: default-mode keys from the arguments, keyFn, uncacheable results', async () => {
        const ns = uid('wrap');
        const errors = [];
        const c = make({ namespace: ns, onError: (e, ctx) => errors.push([e, ctx]) });
        let calls = 0;
        const add = c.wrap(async function add(x, y) {
          calls++;
          return x + y;
        });
        assert.equal(await add(1, 2), 3);
        assert.equal(await add(1, 2), 3);
        assert.equal(await add(2, 2), 4);
        assert.equal(calls, 2);
        const key = protocol.defaultKey({ namespace: ns, function: 'add', args: [1, 2] });
        assert.match(key, new RegExp(`^ns:${ns}:func:add:args:[0-9a-f]{64}:1s$`));
        assert.equal(await direct.exists(key), 1);
        const byId = c.wrap(async (user) => ({ id: user.id, at: calls++ }), { name: 'byId', keyFn: (u) => u.id, ttl: 30 });
        const first = await byId({ id: 7, noise: Math.random() });
        assert.deepEqual(await byId({ id: 7, noise: Math.random() }), first);
        assert.throws(() => c.wrap(async () => 1), (e) => e instanceof UsageError);
        const fn = c.wrap(async function makeFn() {
          return () => 1;
        });
        assert.equal(typeof (await fn()), 'function', 'an uncacheable result is still returned');
        assert.ok(errors.some(([e]) => e.kind === 'unsupported_type'));
        const badArgs = c.wrap(async function echo(x) {
          return 'ran';
        });
        assert.equal(await badArgs(() => 1), 'ran', 'arguments that cannot be keyed: the function still runs');
      });

      test('interop entries are canonical documents under {namespace}:{operation}:{hash}', async () => {
        const c = make();
        const ns = uid('users').toLowerCase();
        const getUser = c.interop({ namespace: ns, operation: 'get_user', ttl: 60 })(async (id) => ({ id, name: 'alice', score: new Float(2) }));
        const v = await getUser(42);
        assert.equal(v.id, 42);
        const key = protocol.interopKey(ns, 'get_user', [42]);
        assert.equal(key, `${ns}:get_user:${protocol.interopArgsHash([42])}`);
        const stored = await direct.getBuffer(key);
        assert.deepEqual(stored, protocol.canonicalValue({ id: 42, name: 'alice', score: new Float(2) }));
        const reader = make({ l1: false });
        const again = await reader.interop({ namespace: ns, operation: 'get_user' })(async () => {
          throw new Error('must be a hit');
        })(42);
        assert.deepEqual(again, { id: 42, name: 'alice', score: 2 });
        assert.throws(() => c.interop({ namespace: 'Bad', operation: 'x' }), (e) => e.kind === 'invalid_segment');
        assert.equal(await c.invalidate({ interopNamespace: ns }), 1);
        assert.equal(await direct.exists(key), 0);
      });

      test('encryption: ciphertext at rest, wrong key is a miss, rotation, fail closed', async () => {
        const ns = uid('enc');
        const a = make({ namespace: ns, encryption: { masterKey: MASTER_A } });
        await a.set('secret', { card: '4111-1111' });
        const stored = await direct.getBuffer(`ns:${ns}:secret`);
        assert.ok(!stored.includes(Buffer.from('4111')), 'no plaintext at rest');
        assert.deepEqual(await a.get('secret'), { card: '4111-1111' });
        const wrong = make({ namespace: ns, l1: false, encryption: { masterKey: MASTER_B }, deleteUnreadable: false });
        assert.equal(await wrong.get('secret'), undefined);
        const rotated = make({ namespace: ns, l1: false, encryption: { masterKey: MASTER_B, previousKeys: [MASTER_A] } });
        assert.deepEqual(await rotated.get('secret'), { card: '4111-1111' }, 'the previous key still decrypts');
        await rotated.set('fresh', 1);
        assert.equal(await make({ namespace: ns, l1: false, encryption: { masterKey: MASTER_A } }).get('fresh'), undefined);
        const closed = make({ namespace: ns, l1: false, failClosed: true, encryption: { masterKey: Buffer.alloc(32, 9) } });
        await assert.rejects(closed.get('secret'), (e) => e instanceof DecryptionError && e.code === 303);
        const plain = make({ namespace: ns, l1: false });
        assert.equal(await plain.get('fresh'), undefined, 'a plaintext reader never returns ciphertext');
      });

      test('metrics and health', async () => {
        const c = make({ namespace: uid('m') });
        await c.set('k', 1);
        await c.get('k');
        await c.get('missing');
        const text = c.metrics();
        assert.match(text, /# TYPE cachekit_hits_total counter/);
        assert.match(text, /cachekit_hits_total\{layer="l1"\} 1/);
        const h = c.health();
        assert.equal(h.breaker.state, 'closed');
        assert.equal(typeof h.latency.timeoutMs, 'number');
        assert.match(h.redis, topology === 'cluster' ? /cluster/ : /redis/);
        assert.equal(h.closed, false);
      });

      test('lock: false writes no fill lock; close() refuses later calls', async () => {
        const ns = uid('nolock');
        const c = make({ namespace: ns, lock: false });
        assert.equal(await c.getOrSet('k', () => 1), 1);
        assert.equal(await c.get('k'), 1);
        await c.close();
        await assert.rejects(c.get('k'), (e) => e instanceof ClosedError && e.code === 405);
        await assert.rejects(c.getOrSet('k', () => 2), ClosedError);
      });

      test('early refresh recomputes hot keys in the background', async () => {
        const c = make({ namespace: uid('xf'), l1: false, earlyRefresh: { beta: 1e12 } });
        let version = 0;
        const compute = async () => ++version;
        assert.equal(await c.getOrSet('k', compute, { ttl: 60 }), 1);
        assert.equal(await c.getOrSet('k', compute, { ttl: 60 }), 1, 'the hit is served');
        for (let i = 0; i < 50 && version < 2; i++) await sleep(20);
        assert.equal(version, 2, 'refreshed in the background');
        assert.equal(await c.get('k'), 2);
      });
    });
  }
}

describe('cache errors and options', () => {
  test('the secure preset needs a key; the env key alone never encrypts', async () => {
    const saved = process.env.CACHEKIT_MASTER_KEY;
    try {
      delete process.env.CACHEKIT_MASTER_KEY;
      assert.throws(() => createCache({ redis: false, preset: 'secure' }), (e) => e instanceof CachekitError && e.kind === 'encryption_required');
      assert.throws(() => createCache({ redis: false, encryption: true }), (e) => e.kind === 'encryption_required');
      assert.throws(() => createCache({ redis: false, encryption: { masterKey: 'abc' } }), (e) => e.kind === 'invalid_master_key');
      process.env.CACHEKIT_MASTER_KEY = MASTER_A;
      assert.equal(createCache({ redis: false }).health().encrypted, false);
      assert.equal(createCache({ redis: false, encryption: true }).health().encrypted, true);
      assert.equal(createCache({ redis: false, preset: 'secure' }).health().encrypted, true);
    } finally {
      if (saved === undefined) delete process.env.CACHEKIT_MASTER_KEY;
      else process.env.CACHEKIT_MASTER_KEY = saved;
    }
  });

  test('options of the wrong type are refused with typed errors that name the option', () => {
    // Plain JavaScript callers get no type checking: the engine's option reader is the guard.
    const bad = [
      [{ l1: 'big' }, 'invalid_argument', /option l1 must be an object or false/],
      [{ breaker: { failureThreshold: -1 } }, 'invalid_argument', /option failureThreshold must be a non-negative integer/],
      [{ timeout: { multiplier: '2' } }, 'invalid_argument', /option multiplier must be a number/],
      [{ lock: { leaseMs: 1.5 } }, 'invalid_argument', /option leaseMs must be a non-negative integer/],
      [{ failClosed: 'yes' }, 'invalid_argument', /option failClosed must be a boolean/],
      [{ ttl: 'soon' }, 'invalid_ttl', /number of seconds or "never"/],
      [{ preset: 'fastest' }, 'invalid_argument', /option preset must be one of minimal, production, secure, io, got fastest/],
      [{ preset: 7 }, 'invalid_argument', /option preset must be one of/],
      [{ integrity: 'no' }, 'invalid_argument', /option integrity must be a boolean/],
      [{ onError: 'log it' }, 'invalid_argument', /option onError must be a function/],
      [{ logger: console.log }, 'invalid_argument', /option logger must have a warn\(message\) method/],
      [{ tll: 60 }, 'invalid_argument', /unknown createCache option "tll" \(expected one of: preset, redis, namespace, ttl,/],
      [{ l1: { maxbytes: 1024 } }, 'invalid_argument', /unknown l1 option "maxbytes"/],
      [{ encryption: { masterkey: MASTER_A } }, 'invalid_argument', /unknown encryption option "masterkey"/],
      [{ breaker: { failureTreshold: 3 } }, 'invalid_argument', /unknown breaker option "failureTreshold" \(expected one of: failureThreshold,/],
      [{ timeout: { max: 100 } }, 'invalid_argument', /unknown timeout option "max"/],
      [{ lock: { lease: 100 } }, 'invalid_argument', /unknown lock option "lease"/],
      [{ earlyRefresh: { b: 1 } }, 'invalid_argument', /unknown earlyRefresh option "b"/],
      [{ encryption: { masterKey: MASTER_A, previousKeys: MASTER_B } }, 'invalid_keyring', /previousKeys must be an array/],
      [{ encryption: { masterKey: MASTER_A, previousKeys: ['00'] } }, 'invalid_master_key', /./],
      [{ encryption: { masterKey: 5 } }, 'invalid_master_key', /64 hex digits \(a string\) or 32 bytes/],
      // A truthy non-object would otherwise have meant "no encryption".
      [{ encryption: 'yes' }, 'invalid_argument', /option encryption must be true, false or \{masterKey/],
      [{ encryption: 1 }, 'invalid_argument', /got number 1/],
      [{ redis: 'not a url' }, 'invalid_argument', /must start with redis:\/\/, rediss:\/\/ or unix:\/\//],
      [{ redis: '' }, 'invalid_argument', /must start with redis:\/\//],
      [{ redis: 6379 }, 'invalid_argument', /got number 6379/],
      [{ redis: true }, 'invalid_argument', /got boolean true/],
      [{ redis: {} }, 'invalid_argument', /expected an ioredis Redis\/Cluster.*got an object \(Object\)/],
      [{ redis: { kind: 'mine', get() {} } }, 'invalid_argument', /RedisAdapter \(kind "mine"\) lacks getWithTtl, exists,/],
      [{ engine: 'bogus' }, 'invalid_argument', /option engine must be 'napi', 'wasm' or an engine backend, got string "bogus"/],
    ];
    for (const [options, kind, message] of bad) {
      assert.throws(
        () => createCache({ redis: false, ...options }),
        (e) => e instanceof CachekitError && e.kind === kind && message.test(e.message),
        JSON.stringify(options),
      );
    }
    // The same options, well-typed, are accepted.
    const ok = createCache({ redis: false, l1: { maxBytes: 1 << 20 }, breaker: { failureThreshold: 3 }, timeout: { multiplier: 2 }, lock: { leaseMs: 500 }, failClosed: true, ttl: 'never' });
    assert.equal(ok.health().l1 !== null, true);
  });

  test('when no engine loads, the error says why for both', () => {
    const env = { ...process.env, CACHEKIT_NODE_ADDON: '/nonexistent/cachekit.node', CACHEKIT_WASM_PKG: '/nonexistent/cachekit_wasm.js' };
    delete env.CACHEKIT_ENGINE;
    const index = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(index)}).createCache({ redis: false })`], { env, encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no engine loads\. napi addon: .*\/nonexistent\/cachekit\.node.*\. WebAssembly engine: .*\/nonexistent\/cachekit_wasm\.js/);
  });

  test('calls of the wrong shape from plain JavaScript are UsageErrors, at the call', async () => {
    const c = createCache({ redis: false });
    const usage = (message) => (e) => e instanceof UsageError && e.kind === 'invalid_argument' && message.test(e.message);
    await assert.rejects(c.set('k', 1, 5), usage(/options must be an object/));
    await assert.rejects(c.getOrSet('k', 'not a function'), usage(/compute must be a function/));
    assert.throws(() => c.wrap('not a function'), usage(/fn must be a function/));
    assert.throws(() => c.wrap(async function f() {}, { keyFn: 'id' }), usage(/keyFn must be a function/));
    assert.throws(() => c.wrap(async function f() {}, null), usage(/wrap: options must be an object/));
    assert.throws(() => c.interop({ namespace: 'n', operation: 'o' })('x'), usage(/must be a function/));
    await assert.rejects(c.invalidate({ tags: 'users' }), usage(/tags must be an array of strings/));
    await assert.rejects(c.invalidate(5), usage(/invalidate needs an object/));
    // Misspelt option names are refused everywhere options are taken.
    await assert.rejects(c.set('k', 1, { tll: 60 }), usage(/unknown option "tll" \(expected one of: ttl, tags\)/));
    await assert.rejects(c.set('k', 1, { tags: [''] }), usage(/tags must not be empty strings/));
    // `ns` would match every default-mode entry: not an interop namespace.
    await assert.rejects(c.invalidate({ interopNamespace: 'ns' }), (e) => e instanceof UsageError && e.kind === 'invalid_segment');
    await assert.rejects(c.getOrSet('k', () => 1, { tag: ['a'] }), usage(/unknown option "tag"/));
    assert.throws(() => c.wrap(async function f() {}, { nameSpace: 'x' }), usage(/unknown wrap option "nameSpace"/));
    assert.throws(() => c.interop({ namespace: 'n', operation: 'o', tll: 5 }), usage(/unknown interop option "tll"/));
    assert.throws(() => c.interop(), usage(/interop needs options/));
    await assert.rejects(c.invalidate({ tag: 'users' }), usage(/unknown invalidate option "tag"/));
    // Nothing was written by the refused calls.
    assert.equal(await c.has('k'), false);
    await c.close();
  });

  test('L1-only mode works without Redis', async () => {
    const c = createCache({ redis: false, namespace: 'solo' });
    assert.equal(c.health().redis, 'memory');
    await c.set('k', [1, 2]);
    assert.deepEqual(await c.get('k'), [1, 2]);
    let n = 0;
    const f = c.wrap(async function twice(x) {
      n++;
      return x * 2;
    });
    assert.equal(await f(2), 4);
    assert.equal(await f(2), 4);
    assert.equal(n, 1);
    await c.invalidate({ namespace: 'solo' });
    assert.equal(await c.get('k'), undefined);
    assert.equal(await f(2), 4);
    assert.equal(n, 2);
    await c.close();
  });

  test('REDIS_URL is used when no redis option is given', async () => {
    const s = await startRedis();
    const saved = process.env.REDIS_URL;
    process.env.REDIS_URL = s.url;
    try {
      const c = createCache({ namespace: 'env' });
      assert.equal(await c.set('k', 1), true);
      const r = raw(s.url);
      assert.equal(await r.exists('ns:env:k'), 1);
      r.disconnect();
      await c.close();
    } finally {
      if (saved === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved;
      await s.close();
    }
  });

  test('breaker-open refusals reach onError, at most once a second', async () => {
    const s = await startRedis();
    const errors = [];
    const c = createCache({
      redis: s.url,
      namespace: 'open',
      l1: false,
      breaker: { failureThreshold: 2, openDurationMs: 60_000 },
      timeout: { maxMs: 200 },
      onError: (e) => errors.push(e),
    });
    assert.equal(await c.set('k', 1), true);
    await s.stop();
    for (let i = 0; i < 3; i++) assert.equal(await c.get('k'), undefined);
    assert.equal(c.health().breaker.state, 'open');
    for (let i = 0; i < 20; i++) assert.equal(await c.get('k'), undefined);
    const refusals = errors.filter((e) => e instanceof CircuitOpenError);
    assert.equal(refusals.length, 1, 'rate limited: one report for a burst of refusals');
    await sleep(1100);
    assert.equal(await c.getOrSet('k', () => 2), 2);
    const later = errors.filter((e) => e instanceof CircuitOpenError);
    assert.equal(later.length, 2);
    assert.match(later[1].message, /\d+ refusals since the last report/);
    assert.match(c.metrics(), /cachekit_errors_total\{kind="circuit_open"\} [1-9][0-9]/, 'every refusal is counted');
    await c.close();
    await s.close();
  });

  test('onError runs after the engine counted the failure (the breaker and latency already know)', async () => {
    const s = await startRedis();
    const seen = [];
    let c;
    c = createCache({
      redis: s.url,
      namespace: 'settled',
      l1: false,
      onError: () => seen.push(c.health().breaker.failuresInWindow),
      timeout: { maxMs: 300 },
    });
    assert.equal(await c.set('k', 1), true);
    await s.stop();
    assert.equal(await c.get('k'), undefined);
    assert.equal(seen.length, 1);
    assert.equal(seen[0], 1, 'the failure was in the breaker window when the hook ran');
    await c.close();
    await s.close();
  });

  test('a delete that cannot reach Redis throws BackendError', async () => {
    const s = await startRedis();
    const errors = [];
    const c = createCache({ redis: s.url, namespace: 'down', onError: (e) => errors.push(e), timeout: { maxMs: 300 } });
    assert.equal(await c.set('k', 1), true);
    await s.stop();
    await assert.rejects(c.delete('k'), (e) => e instanceof BackendError);
    assert.deepEqual(errors, [], 'thrown to the caller, not reported to onError as well');
    assert.equal(await c.get('k'), undefined);
    assert.ok(errors.length > 0, 'a get absorbs the failure: reported');
    await c.close();
    await s.close();
  });
});

describe('command deadlines', () => {
  test('replies in any order reach their own callers; unanswered ones time out, late ones are ignored', async () => {
    // Fault injection: a store whose GETs wait until the test answers them (or never do).
    const stored = new Map();
    const held = new Map();
    const adapter = {
      ...memoryAdapter(),
      kind: 'held',
      set: async (key, value) => stored.set(key, Buffer.from(value)) && 'OK',
      get: (key) => new Promise((resolve) => held.set(key, () => resolve(stored.get(key) ?? null))),
    };
    const errors = [];
    const contexts = [];
    const onError = (e, ctx) => errors.push(e) && contexts.push(ctx);
    const c = createCache({ redis: adapter, namespace: 'held', l1: false, timeout: { minMs: 150, maxMs: 150 }, onError });
    for (let i = 0; i < 6; i++) assert.equal(await c.set(`k${i}`, { i }), true);
    const reads = [0, 1, 2, 3, 4, 5].map((i) => c.get(`k${i}`));
    await sleep(10);
    assert.equal(held.size, 6);
    const fullKey = (i) => [...held.keys()].find((k) => k.endsWith(`k${i}`));
    // Out of order: the first, then the one that took its place in the list, then a middle one.
    for (const i of [0, 5, 3]) held.get(fullKey(i))();
    const early = await Promise.all([reads[0], reads[5], reads[3]]);
    assert.deepEqual(early, [{ i: 0 }, { i: 5 }, { i: 3 }]);
    assert.equal(errors.length, 0);
    const late = await Promise.all([reads[1], reads[2], reads[4]]);
    assert.deepEqual(late, [undefined, undefined, undefined], 'a timed-out read is a miss');
    assert.deepEqual(errors.map((e) => e.code).sort(), [402, 402, 402]);
    assert.deepEqual(
      contexts.map((x) => x.key).sort(),
      [1, 2, 4].map((i) => c.keyFor(`k${i}`)),
    );
    assert.ok(contexts.every((x) => x.operation === 'get' && x.command === 'get'), JSON.stringify(contexts));
    held.get(fullKey(1))(); // a reply after the deadline changes nothing
    await sleep(10);
    assert.equal(errors.length, 3);
    assert.equal(await c.get('k4'), undefined, 'read again, k4 times out again');
    assert.equal(errors.length, 4);
    await c.close();
  });
});
