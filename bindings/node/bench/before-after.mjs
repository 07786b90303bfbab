// Before/after of issue 6 in one process: the package built from an older commit (its
// `dist/index.js`, given as argv[2]) and this one, side by side with the peers, batches
// alternating (A B C A B C …) so all see the same machine load. Prints a markdown table.
//
//   node before-after.mjs /path/to/old/bindings/node/dist/index.js
import { createRequire } from 'node:module';

import { LRUCache } from 'lru-cache';
import { pack, unpack } from 'msgpackr';
import Redis from 'ioredis';

import { startRedis } from '../test/helpers.mjs';

const require = createRequire(import.meta.url);
const before = require(process.argv[2]);
const after = require('../dist/index.js');
const USER = { id: 42, name: 'alice', email: 'alice@example.com', roles: ['admin', 'dev', 'ops'], active: true, score: 97.5 };
const quick = process.env.BENCH_QUICK === '1';

async function measure(fns, n, rounds = 9) {
  for (const fn of fns) for (let i = 0; i < Math.min(n, 2000); i++) await fn();
  const out = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < fns.length; k++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await fns[k]();
      out[k].push(Number(process.hrtime.bigint() - t0) / n);
    }
  }
  return out.map((xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
}

const server = await startRedis();
const redis = new Redis(server.url);
const rows = [];
const us = (ns) => `${(ns / 1000).toFixed(2)} µs`;
try {
  const wrapOf = (mod, l1) => {
    const c = mod.createCache({ redis, namespace: 'ba', ...(l1 ? {} : { l1: false }) });
    return [c, c.wrap(async function getUser(id) { return { ...USER, id }; })];
  };
  const [cb1, wb1] = wrapOf(before, true);
  const [ca1, wa1] = wrapOf(after, true);
  await wb1(42);
  await wa1(42);
  const lru = new LRUCache({ max: 10_000 });
  lru.set('user:42', pack(USER));
  const peer1 = async () => unpack(lru.get('user:42'));
  const [b1, a1, p1] = await measure([() => wb1(42), () => wa1(42), peer1], quick ? 20_000 : 200_000);
  rows.push(['wrapped-function L1 hit', b1, a1, 'lru-cache + msgpackr unpack', p1]);

  const [cb2] = wrapOf(before, false);
  const [ca2] = wrapOf(after, false);
  await ca2.set('user', USER, { ttl: 3600 });
  await redis.set('raw:user', pack(USER));
  const peer2 = async () => unpack(await redis.getBuffer('raw:user'));
  const [b2, a2, p2] = await measure([() => cb2.get('user'), () => ca2.get('user'), peer2], quick ? 2_000 : 20_000);
  rows.push(['L2 hit (get, l1: false)', b2, a2, 'ioredis getBuffer + msgpackr unpack', p2]);

  for (const c of [cb1, ca1, cb2, ca2]) await c.close();
} finally {
  redis.disconnect();
  await server.close();
}
console.log('| scenario | before | after | peer | peer time | before/peer | after/peer |');
console.log('|---|---:|---:|---|---:|---:|---:|');
for (const [what, b, a, peer, p] of rows) {
  console.log(`| ${what} | ${us(b)} | ${us(a)} | ${peer} | ${us(p)} | ${(b / p).toFixed(2)}× | ${(a / p).toFixed(2)}× |`);
}
