// Benchmarks of the cachekit npm package against its peers, side by side in one run
// (issue 6): writes the ratios to docs/bench-node.md.
//
//   cd bindings/node && npm run build && cd bench && npm install && node run.mjs
//
// 1. wrapped-function L1 hit   vs lru-cache get + msgpackr unpack          (target ≤ 2×)
// 2. L2 hit (cache.get, no L1) vs ioredis getBuffer + msgpackr unpack       (target ≤ 1.15×)
// 3. L2 hit throughput         vs cachekit-py 0.24.1 L2 hit throughput       (target ≥ 5×)
// Everything runs against one redis-server started here on a free loopback port.
// CACHEKIT_PY_PYTHON (tests/interop/peer --setup-only) enables the Python comparison.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { LRUCache } from 'lru-cache';
import { pack, unpack } from 'msgpackr';
import Redis from 'ioredis';

import { startRedis } from '../test/helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const { createCache } = createRequire(import.meta.url)('../dist/index.js');

const USER = { id: 42, name: 'alice', email: 'alice@example.com', roles: ['admin', 'dev', 'ops'], active: true, score: 97.5 };
const quick = process.env.BENCH_QUICK === '1';

/** Median ns per op of `rounds` timed batches of `n` awaited calls of each function, the
 * batches of the two alternating (A B A B …) so both see the same machine load. */
async function measurePair(nameA, fnA, nameB, fnB, n, rounds = 9) {
  for (const fn of [fnA, fnB]) for (let i = 0; i < Math.min(n, 2000); i++) await fn(i);
  const a = [];
  const b = [];
  for (let r = 0; r < rounds; r++) {
    for (const [fn, out] of [[fnA, a], [fnB, b]]) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await fn(i);
      out.push(Number(process.hrtime.bigint() - t0) / n);
    }
  }
  const median = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const [ma, mb] = [median(a), median(b)];
  console.log(`${nameA.padEnd(48)} ${(ma / 1000).toFixed(2).padStart(8)} µs/op`);
  console.log(`${nameB.padEnd(48)} ${(mb / 1000).toFixed(2).padStart(8)} µs/op`);
  return [ma, mb];
}

const server = await startRedis();
const rows = [];
try {
  const redis = new Redis(server.url);

  // 1. L1 hit of a wrapped function vs lru-cache + msgpackr.
  const l1Cache = createCache({ redis, namespace: 'bench' });
  const getUser = l1Cache.wrap(async function getUser(id) {
    return { ...USER, id };
  });
  await getUser(42);
  const lru = new LRUCache({ max: 10_000 });
  lru.set('user:42', pack(USER));
  const baseline1 = async (id) => unpack(lru.get('user:42'));
  const n1 = quick ? 20_000 : 200_000;
  const [ours1, peer1] = await measurePair('cachekit wrap() L1 hit', () => getUser(42), 'lru-cache get + msgpackr unpack (async fn)', baseline1, n1);
  rows.push(['wrapped-function L1 hit', ours1, 'lru-cache + msgpackr unpack', peer1, '≤ 2×', ours1 / peer1 <= 2]);

  // 2. L2 hit vs raw ioredis getBuffer + msgpackr unpack.
  const l2Cache = createCache({ redis, namespace: 'bench', l1: false });
  await l2Cache.set('user', USER, { ttl: 3600 });
  await redis.set('raw:user', pack(USER));
  const n2 = quick ? 2_000 : 20_000;
  const [ours2, peer2] = await measurePair(
    'cachekit get() L2 hit (l1: false)',
    () => l2Cache.get('user'),
    'ioredis getBuffer + msgpackr unpack',
    async () => unpack(await redis.getBuffer('raw:user')),
    n2,
  );
  rows.push(['L2 hit', ours2, 'ioredis getBuffer + msgpackr unpack', peer2, '≤ 1.15×', ours2 / peer2 <= 1.15]);

  // 3. L2 hit throughput vs cachekit-py (both: decorated/wrapped function, no L1, sequential).
  const l2Wrap = l2Cache.wrap(async function getUserL2(id) {
    return { ...USER, id };
  });
  await l2Wrap(42);
  const py = process.env.CACHEKIT_PY_PYTHON;
  if (py) {
    // Alternate Node and Python batches too (the Python side is a separate process).
    const ours = [];
    const theirs = [];
    for (let r = 0; r < 5; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n2; i++) await l2Wrap(42);
      ours.push(Number(process.hrtime.bigint() - t0) / n2);
      const out = execFileSync(py, [join(here, 'py_l2_hit.py'), server.url, String(quick ? 1000 : 5000)], { encoding: 'utf8' });
      theirs.push(JSON.parse(out.trim().split('\n').pop()).ns_per_op);
    }
    const median = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const [ours3, peer3] = [median(ours), median(theirs)];
    console.log(`${'cachekit wrap() L2 hit (l1: false)'.padEnd(48)} ${(ours3 / 1000).toFixed(2).padStart(8)} µs/op`);
    console.log(`${'cachekit-py 0.24.1 @cache L2 hit (l1 off)'.padEnd(48)} ${(peer3 / 1000).toFixed(2).padStart(8)} µs/op`);
    rows.push(['L2 hit throughput', ours3, 'cachekit-py 0.24.1 L2 hit', peer3, '≥ 5× (calls/s)', peer3 / ours3 >= 5]);
  } else {
    console.log('cachekit-py comparison skipped (set CACHEKIT_PY_PYTHON)');
  }

  await l1Cache.close();
  await l2Cache.close();
  redis.disconnect();
} finally {
  await server.close();
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const fmt = (ns) => `${(ns / 1000).toFixed(2)} µs`;
const lines = [
  '# Node SDK benchmarks',
  '',
  `Measured by \`bindings/node/bench/run.mjs\` (issue 6) on ${os.cpus().length} × ${cpu}, Node ${process.version},`,
  `redis-server ${execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1]} on loopback. Median of 9 timed batches of sequential awaited calls, ours and the peer's alternating.`,
  '',
  '| scenario | cachekit | peer | peer time | ratio | target | met |',
  '|---|---:|---|---:|---:|---|---|',
  ...rows.map(([what, ours, peerName, peer, target, met]) => {
    const ratio = target.startsWith('≥') ? `${(peer / ours).toFixed(2)}× faster` : `${(ours / peer).toFixed(2)}×`;
    return `| ${what} | ${fmt(ours)} | ${peerName} | ${fmt(peer)} | ${ratio} | ${target} | ${met ? 'yes' : 'no'} |`;
  }),
  '',
  'Run it: `cd bindings/node && ./test.sh` (or `npm run build`), then',
  '`cd bench && npm install && CACHEKIT_PY_PYTHON=$(../../../tests/interop/peer --setup-only) node run.mjs`.',
  '',
];
writeFileSync(join(root, 'docs', 'bench-node.md'), lines.join('\n'));
console.log(`\nwrote docs/bench-node.md`);
