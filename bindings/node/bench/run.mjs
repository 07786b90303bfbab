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

/** The numbers before the issue-6 work (commit f5d23f0), measured by this script's previous
 * version on the same machine, for the record. */
const BEFORE = [
  '## Before (f5d23f0, same machine, previous version of this script)',
  '',
  '| scenario | cachekit | peer time | ratio |',
  '|---|---:|---:|---:|',
  '| wrapped-function L1 hit | 5.09 µs | 0.63 µs | 8.08× |',
  '| L2 hit | 43.75 µs | 26.49 µs | 1.65× |',
  '| L2 hit throughput, sequential (vs cachekit-py sync, sequential) | 56.10 µs | 222.99 µs | 3.97× faster |',
  '',
];

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
const pyNotes = [];
const fmt = (ns) => `${(ns / 1000).toFixed(2)} µs`;
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

  // 3. L2 hit throughput vs cachekit-py (both: decorated/wrapped function, no L1): Node
  // sequential and with CONC calls in flight (each on its own argument, so every call is a
  // real Redis read: no single-flight sharing), against cachekit-py's best single-process
  // mode (sync sequential, async sequential, async with CONC in flight).
  const CONC = 64;
  const l2Wrap = l2Cache.wrap(async function getUserL2(id) {
    return { ...USER, id };
  });
  for (let i = 0; i < CONC; i++) await l2Wrap(i);
  const py = process.env.CACHEKIT_PY_PYTHON;
  if (py) {
    const nodeSeq = [];
    const nodeConc = [];
    const pyModes = { sync: [], async: [], 'async-conc': [] };
    const pyN = quick ? 1000 : 5000;
    // Alternate Node and Python batches (the Python side is a separate process).
    for (let r = 0; r < (quick ? 3 : 5); r++) {
      let t0 = process.hrtime.bigint();
      for (let i = 0; i < n2; i++) await l2Wrap(42);
      nodeSeq.push(Number(process.hrtime.bigint() - t0) / n2);
      const per = Math.floor((n2 * 4) / CONC);
      t0 = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: CONC }, async (_, w) => {
          for (let i = 0; i < per; i++) await l2Wrap(w);
        }),
      );
      nodeConc.push(Number(process.hrtime.bigint() - t0) / (per * CONC));
      for (const mode of Object.keys(pyModes)) {
        const out = execFileSync(py, [join(here, 'py_l2_hit.py'), server.url, String(pyN), mode, String(CONC)], { encoding: 'utf8' });
        pyModes[mode].push(JSON.parse(out.trim().split('\n').pop()).ns_per_op);
      }
    }
    const median = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const [seq3, conc3] = [median(nodeSeq), median(nodeConc)];
    const pyMed = Object.fromEntries(Object.entries(pyModes).map(([m, xs]) => [m, median(xs)]));
    const [bestMode, best] = Object.entries(pyMed).sort((a, b) => a[1] - b[1])[0];
    console.log(`${'cachekit wrap() L2 hit (l1: false), sequential'.padEnd(48)} ${(seq3 / 1000).toFixed(2).padStart(8)} µs/op`);
    console.log(`${`cachekit wrap() L2 hit (l1: false), ${CONC} in flight`.padEnd(48)} ${(conc3 / 1000).toFixed(2).padStart(8)} µs/op`);
    for (const [m, v] of Object.entries(pyMed)) console.log(`${`cachekit-py 0.24.1 L2 hit, ${m}`.padEnd(48)} ${(v / 1000).toFixed(2).padStart(8)} µs/op`);
    pyNotes.push(
      `cachekit-py 0.24.1 (one process, L1 off, ${pyN} calls per sample): ` +
        Object.entries(pyMed)
          .map(([m, v]) => `${m === 'async-conc' ? `async, ${CONC} in flight` : m === 'async' ? 'async def, sequential' : 'def, sequential'} ${fmt(v)}/call`)
          .join('; ') +
        `. Its best mode (${bestMode}) is the peer below.`,
    );
    const peerName = `cachekit-py 0.24.1 L2 hit, best mode (${bestMode})`;
    rows.push(['L2 hit throughput, sequential', seq3, peerName, best, '≥ 5× (calls/s)', best / seq3 >= 5]);
    rows.push([`L2 hit throughput, ${CONC} in flight`, conc3, peerName, best, '≥ 5× (calls/s)', best / conc3 >= 5]);
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
  ...pyNotes.map((n) => `${n}\n`),
  'Throughput rows: time per completed call (the inverse of calls/s); the ratio is how many',
  'more calls per second the Node side completes. The in-flight row runs 64 concurrent callers',
  'on 64 different arguments, so every call is a Redis read (no single-flight sharing).',
  '',
  ...BEFORE,
  'Run it: `cd bindings/node && ./test.sh` (or `npm run build`), then',
  '`cd bench && npm install && CACHEKIT_PY_PYTHON=$(../../../tests/interop/peer --setup-only) node run.mjs`.',
  '',
];
writeFileSync(join(root, 'docs', 'bench-node.md'), lines.join('\n'));
console.log(`\nwrote docs/bench-node.md`);
