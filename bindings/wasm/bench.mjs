// WASM vs napi engine on the same workloads (issue 8): entry encode/decode of a 1 KiB and a
// 64 KiB record, encrypted entry encode/decode, and an L1 hit through the engine.
// Run: node bindings/wasm/bench.mjs (needs bindings/node built with its addon, and build.sh).
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
process.env.CACHEKIT_WASM_PKG ??= new URL('./pkg-nodejs/cachekit_wasm.js', import.meta.url).pathname;
const { addonOf } = require('../node/dist/native.js');

function record(bytes) {
  const rows = [];
  let i = 0;
  while (JSON.stringify(rows).length < bytes) rows.push({ id: i++, name: `user ${i}`, email: `u${i}@example.com`, score: i * 1.5, tags: ['a', 'b'] });
  return rows;
}
const key = 'ns:bench:func:f:args:0123456789abcdef';
const mk = '00'.repeat(32);

function time(f, minMs = 300) {
  for (let i = 0; i < 50; i++) f();
  let n = 0;
  const t0 = process.hrtime.bigint();
  let t = t0;
  while (Number(t - t0) / 1e6 < minMs) {
    for (let i = 0; i < 20; i++) f();
    n += 20;
    t = process.hrtime.bigint();
  }
  return Number(t - t0) / 1e3 / n; // µs per op
}

const rows = [];
for (const kind of ['napi', 'wasm']) {
  const a = addonOf(kind);
  const ring = new a.Keyring(mk, [], 'default');
  const r = {};
  for (const [label, size] of [['1 KiB', 1024], ['64 KiB', 65536]]) {
    const v = record(size);
    const bytes = a.entryEncode(v, 'default', key);
    r[`encode ${label}`] = time(() => a.entryEncode(v, 'default', key));
    r[`decode ${label}`] = time(() => a.entryDecode(bytes, 'default', key));
    const enc = ring.entryEncode(v, 'default', key);
    r[`encrypt ${label}`] = time(() => ring.entryEncode(v, 'default', key));
    r[`decrypt ${label}`] = time(() => ring.entryDecode(enc, 'default', key));
  }
  const e = new a.NativeEngine({ l1: {} });
  const v = record(1024);
  let s = e.set('app:k', v, undefined);
  e.onReply(s.op, 'OK');
  s = e.get('app:k', undefined);
  if (s.outcome?.source !== 'l1') throw new Error(`${kind}: expected an L1 hit`);
  r['L1 hit 1 KiB'] = time(() => e.get('app:k', undefined));
  rows.push([kind, r]);
}
const [[, napi], [, wasm]] = rows;
console.log('| workload | napi µs/op | wasm µs/op | wasm / napi |');
console.log('|---|---|---|---|');
for (const k of Object.keys(napi)) console.log(`| ${k} | ${napi[k].toFixed(2)} | ${wasm[k].toFixed(2)} | ${(wasm[k] / napi[k]).toFixed(2)}× |`);
