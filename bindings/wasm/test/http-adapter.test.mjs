// The TS SDK on the WASM engine through a custom RedisAdapter: examples/http-adapter (fetch
// to an Upstash-style REST proxy) → examples/http-adapter/proxy.mjs → a real redis-server
// started here on a free port. Checks every adapter method's reply shape, then the cache:
// get/set, wrap, encryption, tags and namespace invalidation, the fill lock, and that entries
// written over HTTP are the same bytes an ioredis-backed cache reads (and the reverse); and
// that the example type-checks (tsc --checkJs, strict) as a RedisAdapter<Uint8Array>.
//
//   node --test bindings/wasm/test/http-adapter.test.mjs   (after build.sh and the node package's tsc)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { httpRedisAdapter } from '../examples/http-adapter/http-adapter.mjs';
import { startProxy } from '../examples/http-adapter/proxy.mjs';
import { startRedis } from '../../node/test/helpers.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
process.env.CACHEKIT_WASM_PKG ??= here('../pkg-nodejs/cachekit_wasm.js');
const require = createRequire(import.meta.url);
const ck = require(here('../../node/dist/index.js'));
const Redis = require('ioredis');

const TOKEN = 'test-token';
const MASTER = '00'.repeat(31) + '01';
let redis;
let proxy;
let raw;

before(async () => {
  redis = await startRedis();
  proxy = await startProxy({ redis: redis.url, token: TOKEN });
  raw = new Redis(redis.url);
});

after(async () => {
  raw?.disconnect();
  await proxy?.close();
  await redis?.close();
});

const adapter = () => httpRedisAdapter({ url: proxy.url, token: TOKEN });

/** The adapter, counting the calls of each method into `calls`. */
function counting(a, calls) {
  const out = { kind: a.kind };
  for (const [name, f] of Object.entries(a)) {
    if (typeof f === 'function') {
      out[name] = (...args) => {
        calls[name] = (calls[name] ?? 0) + 1;
        return f(...args);
      };
    }
  }
  return out;
}

test('http adapter: every method, with the reply shapes RedisAdapter documents', async () => {
  const a = adapter();
  assert.ok(ck.isRedisAdapter(a));
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.equal(await a.get('t:none'), null);
  await a.set('t:bin', all, null);
  assert.deepEqual(Buffer.from(await raw.getBuffer('t:bin')), Buffer.from(all), 'bytes reach Redis unchanged');
  const back = await a.get('t:bin');
  assert.ok(back instanceof Uint8Array);
  assert.deepEqual([...back], [...all]);
  assert.deepEqual(await a.getWithTtl('t:bin'), [back, -1]);
  await a.set('t:ttl', new Uint8Array([1]), 100);
  const [v, ttl] = await a.getWithTtl('t:ttl');
  assert.deepEqual([...v], [1]);
  assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
  assert.deepEqual(await a.getWithTtl('t:none'), [null, -2]);
  assert.equal(await a.exists('t:bin'), 1);
  assert.equal(await a.exists('t:none'), 0);

  assert.equal(await a.setNx('t:lock', 'tok1', 5000), 'OK');
  assert.equal(await a.setNx('t:lock', 'tok2', 5000), null);
  const script = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
  const sha1 = createHash('sha1').update(script).digest('hex');
  await raw.script('FLUSH');
  assert.equal(await a.evalRelease(script, sha1, 't:lock', 'tok2'), 0, 'NOSCRIPT falls back to EVAL');
  assert.equal(await a.evalRelease(script, sha1, 't:lock', 'tok1'), 1, 'EVALSHA once loaded');
  assert.equal(await raw.exists('t:lock'), 0);

  assert.equal(await a.expire('t:bin', 50), 1);
  assert.equal(await a.expire('t:none', 50), 0);
  assert.equal(await a.sadd('t:set', 'm1', 600), 1);
  assert.equal(await a.sadd('t:set', 'm1', 60), 0);
  assert.equal(await a.sadd('t:set', 'ключ ✓', 60), 1);
  const setTtl = await raw.ttl('t:set');
  assert.ok(setTtl > 60 && setTtl <= 600, `a shorter member never shortens the set's life (ttl ${setTtl})`);
  const members = (await a.smembers('t:set')).map((m) => new TextDecoder().decode(m)).sort();
  assert.deepEqual(members, ['m1', 'ключ ✓']);
  assert.deepEqual(await a.smembers('t:none'), []);

  for (let i = 0; i < 1200; i++) await raw.set(`t:scan:${i}`, 'x');
  assert.equal(await a.deleteMatching('t:scan:*'), 1200);
  assert.equal(await a.del(['t:bin', 't:ttl', 't:none']), 2);
  assert.equal(await a.del([]), 0);
  await a.close();
});

test('http adapter: errors reject (bad token, Redis errors)', async () => {
  const bad = httpRedisAdapter({ url: proxy.url, token: 'wrong' });
  await assert.rejects(bad.get('k'), /Unauthorized/);
  await raw.sadd('t:wrongtype', 'x');
  await assert.rejects(adapter().get('t:wrongtype'), /WRONGTYPE/);
  await assert.rejects(adapter().getWithTtl('t:wrongtype'), /WRONGTYPE/);
});

test('TS SDK on the WASM engine over the HTTP adapter: cache operations against redis-server', async () => {
  const used = {};
  const cache = ck.createCache({ engine: 'wasm', redis: counting(adapter(), used), namespace: 'http', ttl: 300 });
  assert.equal(cache.health().redis, 'http');
  const value = { id: 42, name: 'alice', when: new Date(1_705_321_800_123), bytes: new Uint8Array([0, 255]), big: 2n ** 60n };
  assert.equal(await cache.set('user:42', value), true);
  assert.ok(await raw.exists('ns:http:user:42'));
  const got = await cache.get('user:42');
  assert.equal(got.name, 'alice');
  assert.equal(got.when.getTime(), 1_705_321_800_123);

  // A second cache (empty L1) reads it from Redis through HTTP; `has` asks EXISTS.
  const other = ck.createCache({ engine: 'wasm', redis: counting(adapter(), used), namespace: 'http' });
  assert.equal(await other.has('user:42'), true);
  assert.equal(await other.has('user:43'), false);
  const again = await other.get('user:42');
  assert.equal(again.big, 2n ** 60n);
  assert.deepEqual([...again.bytes], [0, 255]);

  // wrap: computed once; the fill lock and release go through setNx/evalRelease.
  let calls = 0;
  const load = cache.wrap(async function loadThing(id) {
    calls++;
    return { id, at: 'now' };
  });
  assert.deepEqual(await load(7), { id: 7, at: 'now' });
  assert.deepEqual(await load(7), { id: 7, at: 'now' });
  const loadElsewhere = other.wrap(async function loadThing(id) {
    calls++;
    return { id, at: 'elsewhere' };
  });
  assert.deepEqual(await loadElsewhere(7), { id: 7, at: 'now' }, 'the second cache reads the first one’s entry');
  assert.equal(calls, 1);

  // Tags (sadd/smembers/del) and namespaces (deleteMatching).
  await cache.set('tagged', { t: 1 }, { tags: ['team'] });
  assert.ok((await cache.invalidate({ tags: ['team'] })) >= 1);
  assert.equal(await other.get('tagged'), undefined);
  assert.equal(await raw.exists('ns:http:tagged'), 0);
  await cache.set('a', 1);
  await cache.set('b', 2);
  assert.ok((await cache.invalidate({ namespace: 'http' })) >= 2);
  assert.equal(await raw.exists('ns:http:a'), 0);
  assert.equal(await cache.delete('user:42'), false, 'namespace invalidation removed it already');
  await cache.close();
  await other.close();
  for (const m of ['getWithTtl', 'exists', 'set', 'setNx', 'evalRelease', 'sadd', 'smembers', 'del', 'deleteMatching', 'close']) {
    assert.ok(used[m] > 0, `the cache never called ${m}: ${JSON.stringify(used)}`);
  }
});

test('entries written over HTTP are the bytes an ioredis-backed cache reads, and the reverse', async () => {
  const viaHttp = ck.createCache({ engine: 'wasm', redis: adapter(), namespace: 'x', encryption: { masterKey: MASTER } });
  const client = new Redis(redis.url);
  const viaTcp = ck.createCache({ engine: 'wasm', redis: client, namespace: 'x', encryption: { masterKey: MASTER } });
  await viaHttp.set('from-http', { secret: 'over fetch' });
  assert.deepEqual(await viaTcp.get('from-http'), { secret: 'over fetch' });
  await viaTcp.set('from-tcp', { secret: 'over ioredis' });
  assert.deepEqual(await viaHttp.get('from-tcp'), { secret: 'over ioredis' });
  // Encrypted at rest: the stored bytes are not the plaintext.
  assert.ok(!(await raw.getBuffer('ns:x:from-http')).includes('over fetch'));
  await viaHttp.close();
  await viaTcp.close();
  client.disconnect();
});

test('http adapter: type-checks as a RedisAdapter<Uint8Array> accepted by createCache (tsc, strict)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ck-adapter-types-'));
  try {
    const adapterFile = here('../examples/http-adapter/http-adapter.mjs');
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['ES2022', 'DOM'],
          types: ['node'],
          typeRoots: [here('../../node/node_modules/@types')],
          allowJs: true,
          checkJs: true,
          noEmit: true,
          strict: true,
          skipLibCheck: true,
          paths: { cachekit: [here('../../node/dist/index.d.ts')] },
        },
        files: ['check.mts', adapterFile],
      }),
    );
    writeFileSync(
      join(dir, 'check.mts'),
      [
        "import { createCache, type RedisAdapter } from 'cachekit';",
        `import { httpRedisAdapter } from ${JSON.stringify(adapterFile)};`,
        "const adapter: RedisAdapter<Uint8Array> = httpRedisAdapter({ url: 'http://127.0.0.1:1', token: 't' });",
        "createCache({ engine: 'wasm', redis: adapter });",
        '',
      ].join('\n'),
    );
    const tsc = spawnSync(here('../../node/node_modules/.bin/tsc'), ['-p', dir], { encoding: 'utf8' });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
