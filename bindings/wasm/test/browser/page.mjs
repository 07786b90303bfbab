// The browser side of bindings/wasm/test/browser.test.mjs, served from the repository root:
// loads the WASM `web` build through the cachekit/web bundle (bindings/node/dist/web.mjs) and exposes
// `window.cachekitChecks`:
//   vectors(files)  every conformance vector file through conformance/runners/vectors.mjs
//                   (the checks the Node runners run); resolves to {passed, failed, skipped, lines}
//   roundTrip()     engine round trips (L1-only, then encrypted through a page-local store);
//                   resolves to [{name, ok, detail}]
// `document.body.dataset.state` is `ready` once loaded, `failed` if loading threw.

import * as sdk from '../../../node/dist/web.mjs';
import { createRunner } from '../../../../conformance/runners/vectors.mjs';

const ck = await (async () => {
  await sdk.initWasm(); // fetches cachekit_wasm_bg.wasm next to web.mjs
  const { Float, IsoDateTime, LocalDate, LocalTime, Uuid, Ext, MapEntries } = sdk;
  return {
    protocol: sdk.protocol,
    values: { Float, IsoDateTime, LocalDate, LocalTime, Uuid, Ext, MapEntries },
    /** The sans-I/O engine itself (errors as CachekitErrors), as the SDK's driver sees it. */
    engine: (config) => sdk.wasmBackend.createEngine(config),
    version: sdk.protocol.coreVersion(),
  };
})().catch((e) => {
  document.body.dataset.state = 'failed';
  document.getElementById('log').textContent = `load failed: ${e && e.stack}`;
  throw e;
});
const log = document.getElementById('log');

async function vectors(files) {
  const lines = [];
  const runner = createRunner({ protocol: ck.protocol, values: ck.values, log: (line) => lines.push(line) });
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const file of files) {
    const res = await fetch(new URL(`../../../../conformance/vectors/${file}`, import.meta.url));
    const text = res.ok ? await res.text() : undefined;
    const r = runner.runFile(file, () => {
      if (text === undefined) throw new Error(`HTTP ${res.status}`);
      return text;
    });
    total.passed += r.passed;
    total.failed += r.failed;
    total.skipped += r.skipped;
  }
  log.textContent += `${lines.join('\n')}\nvectors: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`;
  return { ...total, lines };
}

// ------------------------------------------------------------------ engine round trips

/** Runs an operation's steps to the end: Redis commands go to `redis`, computations to `compute`. */
function drive(engine, step, redis, compute) {
  for (let guard = 0; guard < 100; guard++) {
    if (step.type === 'done') return step;
    if (step.type === 'send') step = engine.onReply(step.op, redis(step.command));
    else if (step.type === 'compute') step = engine.onComputed(step.op, compute());
    else if (step.type === 'sleep') step = engine.resume(step.op);
    else throw new Error(`unknown step ${step.type}`);
  }
  throw new Error('operation did not finish in 100 steps');
}

/** L1-only mode: the replies of an always-empty Redis (the SDK's memoryAdapter). */
function noRedis(c) {
  switch (c.name) {
    case 'get':
      return null;
    case 'getWithTtl':
      return [null, -2];
    case 'set':
    case 'setNx':
      return 'OK';
    case 'evalRelease':
    case 'sadd':
      return 1;
    case 'smembers':
      return [];
    default:
      return 0;
  }
}

/** A page-local stand-in for Redis holding real entry bytes (strings and sets). */
function mapRedis() {
  const kv = new Map();
  const sets = new Map();
  const enc = new TextEncoder();
  const glob = (p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  const exec = (c) => {
    switch (c.name) {
      case 'get':
        return kv.get(c.key) ?? null;
      case 'getWithTtl':
        return kv.has(c.key) ? [kv.get(c.key), -1] : [null, -2];
      case 'set':
        kv.set(c.key, c.value.slice());
        return 'OK';
      case 'setNx':
        if (kv.has(c.key)) return null;
        kv.set(c.key, enc.encode(c.token));
        return 'OK';
      case 'evalRelease':
        return kv.delete(c.key) ? 1 : 0;
      case 'expire':
        return kv.has(c.key) || sets.has(c.key) ? 1 : 0;
      case 'del':
        return c.keys.reduce((n, k) => n + (kv.delete(k) || sets.delete(k) ? 1 : 0), 0);
      case 'sadd': {
        const s = sets.get(c.key) ?? new Set();
        sets.set(c.key, s);
        const had = s.has(c.member);
        s.add(c.member);
        return had ? 0 : 1;
      }
      case 'smembers':
        return [...(sets.get(c.key) ?? [])].map((m) => enc.encode(m));
      case 'deleteMatching': {
        const re = glob(c.pattern);
        let n = 0;
        for (const k of [...kv.keys()]) if (re.test(k) && kv.delete(k)) n++;
        return n;
      }
      default:
        throw new Error(`unexpected command ${c.name}`);
    }
  };
  return { exec, kv };
}

function sampleValue() {
  return {
    id: 42n,
    big: 2n ** 60n,
    name: 'héllo ✓',
    when: new Date(1_705_321_800_123),
    m: new Map([[1, 'one']]),
    bytes: new Uint8Array([0, 1, 254, 255]),
    list: [true, null, 1.5],
  };
}

/** The sample value as read back (exact integers come back as numbers when safe). */
function checkSample(v) {
  const problems = [];
  const expect = (what, ok) => ok || problems.push(what);
  expect('id', v.id === 42 || v.id === 42n);
  expect('big', v.big === 2n ** 60n);
  expect('name', v.name === 'héllo ✓');
  expect('when', v.when instanceof Date && v.when.getTime() === 1_705_321_800_123);
  expect('m', v.m instanceof Map && v.m.get(1) === 'one');
  expect('bytes', v.bytes instanceof Uint8Array && v.bytes.join() === '0,1,254,255');
  expect('list', Array.isArray(v.list) && v.list[0] === true && v.list[1] === null && v.list[2] === 1.5);
  return problems.length ? `value differs in ${problems.join(', ')}` : '';
}

async function roundTrip() {
  const results = [];
  const check = (name, f) => {
    try {
      const problem = f();
      results.push({ name, ok: !problem, detail: problem || '' });
    } catch (e) {
      results.push({ name, ok: false, detail: `threw: ${e && (e.kind ? `${e.kind}: ` : '') + e.message}` });
    }
  };
  const describe = (outcome) => JSON.stringify(outcome, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));

  // L1 only: Redis is always empty, every hit comes from the engine's L1.
  const e = ck.engine({ l1: { maxBytes: 1 << 20 }, ttl: 300 });
  check('l1: set then get hits L1 with the same value', () => {
    const s = drive(e, e.set('app:user:1', sampleValue()), noRedis);
    if (s.outcome.kind !== 'stored') return `set: ${describe(s.outcome)}`;
    const g = drive(e, e.get('app:user:1'), noRedis);
    if (g.outcome.kind !== 'hit' || g.outcome.source !== 'l1') return `get: ${describe(g.outcome)}`;
    return checkSample(g.outcome.value);
  });
  check('l1: getOrCompute computes once, then hits', () => {
    let calls = 0;
    const compute = () => (calls++, { computed: true, n: 7 });
    const first = drive(e, e.getOrCompute('app:user:2'), noRedis, compute);
    if (first.outcome.kind !== 'computed') return `first: ${describe(first.outcome)}`;
    const second = drive(e, e.getOrCompute('app:user:2'), noRedis, compute);
    if (second.outcome.kind !== 'hit' || second.outcome.source !== 'l1') return `second: ${describe(second.outcome)}`;
    if (second.outcome.value.n !== 7 || calls !== 1) return `value ${describe(second.outcome.value)}, ${calls} computations`;
    return '';
  });
  check('l1: delete, then a miss', () => {
    const d = drive(e, e.delete('app:user:1'), noRedis);
    if (d.outcome.kind !== 'deleted') return `delete: ${describe(d.outcome)}`;
    const g = drive(e, e.get('app:user:1'), noRedis);
    return g.outcome.kind === 'miss' ? '' : `get: ${describe(g.outcome)}`;
  });
  check('l1: tag invalidation', () => {
    drive(e, e.set('app:tagged', { x: 1 }, { tags: ['t1'] }), noRedis);
    const inv = drive(e, e.invalidate({ tag: 't1' }), noRedis);
    if (inv.outcome.kind !== 'invalidated') return `invalidate: ${describe(inv.outcome)}`;
    const g = drive(e, e.get('app:tagged'), noRedis);
    return g.outcome.kind === 'miss' ? '' : `get: ${describe(g.outcome)}`;
  });
  check('l1: health counts the hits, nothing pending', () => {
    const h = e.health();
    if (!h.l1 || h.l1.hits < 2) return `health ${describe(h)}`;
    return e.pendingOps() === 0 ? '' : `${e.pendingOps()} operations pending`;
  });

  // Encrypted entries through real bytes: engine A writes, engine B (empty L1) reads them.
  const master = '00'.repeat(31) + '01';
  const store = mapRedis();
  const a = ck.engine({ l1: { maxBytes: 1 << 20 }, encryption: { masterKey: master, tenant: 'web' } });
  const b = ck.engine({ l1: { maxBytes: 1 << 20 }, encryption: { masterKey: master, tenant: 'web' } });
  check('encrypted: written by one engine, read from the store by another', () => {
    const s = drive(a, a.set('app:secret', sampleValue()), store.exec);
    if (s.outcome.kind !== 'stored' || !s.outcome.redis) return `set: ${describe(s.outcome)}`;
    const g = drive(b, b.get('app:secret'), store.exec);
    if (g.outcome.kind !== 'hit' || g.outcome.source !== 'redis') return `get: ${describe(g.outcome)}`;
    return checkSample(g.outcome.value);
  });
  check('encrypted: the stored bytes open with the keyring, and two writes differ (random nonces)', () => {
    const first = store.kv.get('app:secret');
    drive(a, a.set('app:secret', sampleValue()), store.exec);
    const second = store.kv.get('app:secret');
    if (first.join() === second.join()) return 'two encryptions of one value are identical';
    const ring = ck.protocol.keyring(master, [], 'web');
    return checkSample(ring.entryDecode(second, 'default', 'app:secret'));
  });
  check('encrypted: a wrong tenant cannot read it (a miss, not an error)', () => {
    const c = ck.engine({ l1: { maxBytes: 1 << 20 }, encryption: { masterKey: master, tenant: 'other' } });
    const g = drive(c, c.get('app:secret'), store.exec);
    return g.outcome.kind === 'miss' ? '' : `get: ${describe(g.outcome)}`;
  });

  log.textContent += results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.detail ? `: ${r.detail}` : ''}`).join('\n') + '\n';
  return results;
}

window.cachekitChecks = { version: ck.version, vectors, roundTrip };
document.body.dataset.state = 'ready';
