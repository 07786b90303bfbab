// Faults and processes: Redis stopped mid-run and restarted (no wrap call fails, the breaker
// opens and closes again, nothing stale or corrupt is returned), and a stampede across two
// Node processes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { createCache } from '../dist/index.js';
import { CLIENTS, raw, sleep, startRedis } from './helpers.mjs';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./fixtures/stampede-child.mjs', import.meta.url));

for (const kind of CLIENTS.filter((c) => c.name === 'ioredis' || c.name === 'node-redis6')) {
  describe(`faults (${kind.name})`, () => {
    let server;
    before(async () => {
      server = await startRedis();
    });
    after(async () => server.close());

    test('Redis stopped and restarted: wrap never fails, the breaker opens and closes', async () => {
      const conn = await kind.standalone(server.url);
      const errors = [];
      const cache = createCache({
        redis: conn.client,
        namespace: `fault${kind.name}`,
        breaker: { failureThreshold: 3, openDurationMs: 800 },
        timeout: { maxMs: 250, minMs: 50 },
        onError: (e) => errors.push(e),
      });
      let calls = 0;
      const double = cache.wrap(async function double(x) {
        calls++;
        return { x, twice: x * 2 };
      });
      for (let i = 0; i < 5; i++) assert.deepEqual(await double(i), { x: i, twice: i * 2 });
      assert.equal(cache.health().breaker.state, 'closed');

      await server.stop();
      const t0 = Date.now();
      for (let i = 100; i < 130; i++) assert.deepEqual(await double(i), { x: i, twice: i * 2 });
      assert.equal(cache.health().breaker.state, 'open');
      assert.ok(errors.some((e) => e.code >= 400 && e.code < 500), 'failures reached the hook');
      assert.ok(Date.now() - t0 < 10_000, 'an open breaker answers fast');
      assert.equal(await cache.get('never-written'), undefined);

      await server.start();
      let state = cache.health().breaker.state;
      for (let i = 0; i < 100 && state !== 'closed'; i++) {
        await sleep(100);
        assert.deepEqual(await double(1000 + i), { x: 1000 + i, twice: 2000 + 2 * i });
        state = cache.health().breaker.state;
      }
      assert.equal(state, 'closed', 'the breaker closed after Redis came back');
      assert.equal(await cache.set('after', 'fresh'), true);
      const other = createCache({ redis: conn.client, namespace: `fault${kind.name}`, l1: false });
      assert.equal(await other.get('after'), 'fresh');
      assert.deepEqual(await double(2), { x: 2, twice: 4 });
      assert.match(cache.metrics(), /cachekit_errors_total/);
      await cache.close();
      await other.close();
      await conn.close();
    });

    test('50 concurrent getOrSet calls in each of 2 processes compute once', async () => {
      const key = `cold${kind.name}${Date.now()}`;
      const [a, b] = await Promise.all([
        run(process.execPath, [child, server.url, key, kind.name]),
        run(process.execPath, [child, server.url, key, kind.name]),
      ]);
      const r = raw(server.url);
      assert.equal(await r.get(`${key}:computations`), '1');
      r.disconnect();
      const all = [...JSON.parse(a.stdout), ...JSON.parse(b.stdout)];
      assert.equal(all.length, 100);
      assert.equal(new Set(all).size, 1, 'every caller got the one computed value');
    });
  });
}
