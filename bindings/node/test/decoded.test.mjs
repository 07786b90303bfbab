// Decoded values of L1 hits (ts/decoded.ts, core engine/pins.rs): a repeated hit returns a
// copy of the value kept from the last decode, only while L1 still holds that very entry.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createCache, defaultEngineKind, napiBackend, wasmBackend } from '../dist/index.js';
import { copy, argsSignature } from '../dist/decoded.js';
import { sleep, startRedis } from './helpers.mjs';

const KEY = '11'.repeat(32);
let server;
before(async () => {
  server = await startRedis();
});
after(async () => {
  await server?.close();
});

let unique = 0;
const uid = (p) => `${p}${process.pid}x${++unique}`;

describe('decoded values of L1 hits', () => {
  const caches = [];
  const make = (opts = {}) => {
    const c = createCache({ redis: false, ...opts });
    caches.push(c);
    return c;
  };
  after(async () => {
    for (const c of caches) await c.close();
  });

  test('a kept hit is a fresh copy: mutating one result changes no other', async () => {
    const c = make({ namespace: uid('mut') });
    let calls = 0;
    const f = c.wrap(async function user(id) {
      calls++;
      return { id, roles: ['a', 'b'], nested: { n: 1 } };
    });
    await f(1); // computed
    const a = await f(1); // decoded, kept
    const b = await f(1); // copied from the kept value
    assert.equal(calls, 1);
    assert.equal(c.health().decoded.values, 1);
    assert.notEqual(a, b);
    assert.notEqual(a.roles, b.roles);
    b.roles.push('mutated');
    b.nested.n = 99;
    b.extra = true;
    const again = await f(1);
    assert.deepEqual(again, { id: 1, roles: ['a', 'b'], nested: { n: 1 } });
    assert.deepEqual(a, { id: 1, roles: ['a', 'b'], nested: { n: 1 } });
  });

  test('kept hits count as L1 hits', async () => {
    const c = make({ namespace: uid('hits') });
    await c.set('k', { v: 1 });
    await c.get('k');
    assert.equal(c.health().decoded.values, 1);
    const before = c.health().l1.hits;
    const metric = () => Number(/^cachekit_hits_total\{layer="l1"\} (\d+)$/m.exec(c.metrics())[1]);
    const counted = metric();
    for (let i = 0; i < 5; i++) assert.deepEqual(await c.get('k'), { v: 1 });
    assert.equal(c.health().l1.hits, before + 5);
    assert.equal(metric(), counted + 5);
  });

  test('set, delete, tag and namespace invalidation end a kept value', async () => {
    const c = make({ namespace: uid('inv') });
    await c.set('k', { v: 1 }, { tags: ['t'] });
    await c.get('k');
    assert.deepEqual(await c.get('k'), { v: 1 });
    await c.set('k', { v: 2 }, { tags: ['t'] });
    assert.deepEqual(await c.get('k'), { v: 2 });
    assert.deepEqual(await c.get('k'), { v: 2 });
    await c.invalidate({ tags: ['t'] });
    assert.equal(await c.get('k'), undefined);
    await c.set('k', { v: 3 });
    await c.get('k');
    await c.delete('k');
    assert.equal(await c.get('k'), undefined);

    // The same value written again is a new entry: still correct, kept afresh.
    await c.set('same', [1, 2]);
    await c.get('same');
    await c.set('same', [1, 2]);
    assert.deepEqual(await c.get('same'), [1, 2]);

    let calls = 0;
    const ns = uid('wns');
    const f = c.wrap(async function g(x) {
      calls++;
      return { x, calls };
    }, { namespace: ns });
    await f('a');
    await f('a');
    assert.deepEqual(await f('a'), { x: 'a', calls: 1 });
    await c.invalidate({ namespace: ns });
    assert.deepEqual(await f('a'), { x: 'a', calls: 2 });
    assert.deepEqual(await f('a'), { x: 'a', calls: 2 });
  });

  test('a kept value expires with its L1 copy (another process wrote meanwhile)', async () => {
    const ns = uid('ttl');
    const a = make({ redis: server.url, namespace: ns });
    const b = make({ redis: server.url, namespace: ns });
    await a.set('k', 'old', { ttl: 2 }); // the L1 copy lives ttl − 1 s
    await a.get('k');
    assert.equal(await a.get('k'), 'old');
    await b.set('k', 'new', { ttl: 60 }); // Redis changes behind a's L1
    assert.equal(await a.get('k'), 'old', 'a still serves its L1 copy');
    await sleep(1150);
    assert.equal(await a.get('k'), 'new', 'the L1 copy expired and the kept value with it');
  });

  test('every argument list keeps its own value', async () => {
    const c = make({ namespace: uid('sig') });
    let calls = 0;
    const f = c.wrap(async function sig(...args) {
      calls++;
      return args.map((a) => `${typeof a}:${String(a)}`);
    });
    const lists = [[1], ['1'], [true], ['t'], [null], [], [1, 2], [12], ['1', '2'], ['12'], ['s1:x'], [1.5], [NaN], ['a;b', 'c'], ['a', ';b', 'c']];
    for (let round = 0; round < 3; round++) {
      for (const args of lists) {
        const want = args.map((a) => `${typeof a}:${String(a)}`);
        assert.deepEqual(await f(...args), want, `args ${JSON.stringify(args)} round ${round}`);
      }
    }
    assert.equal(calls, lists.length);
    // undefined and null are one key (both nil): the value computed for null.
    for (let round = 0; round < 2; round++) assert.deepEqual(await f(undefined), ['object:null']);
    assert.equal(calls, lists.length);
  });

  test('__proto__ keys stay own properties and key order is kept', async () => {
    const c = make({ namespace: uid('proto') });
    const value = JSON.parse('{"b":1,"2":0,"__proto__":{"polluted":true},"a":[{"__proto__":1}]}');
    await c.set('k', value);
    await c.get('k');
    const v = await c.get('k');
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.equal(v.polluted, undefined);
    assert.deepEqual(Object.keys(v), Object.keys(value));
    assert.deepEqual(Object.getOwnPropertyDescriptor(v, '__proto__').value, { polluted: true });
    assert.equal(Object.getOwnPropertyDescriptor(v.a[0], '__proto__').value, 1);
    assert.equal({}.polluted, undefined);
  });

  test('values JSON cannot say exactly are decoded every time, and stay exact', async () => {
    const c = make({ namespace: uid('exact') });
    const value = { when: new Date(0), big: 2n ** 60n, bytes: Buffer.from([1, 2]), m: new Map([[1, 'x']]) };
    await c.set('k', value);
    await c.get('k');
    const a = await c.get('k');
    const b = await c.get('k');
    assert.deepEqual(a, value);
    assert.notEqual(a.when, b.when);
    assert.equal(c.health().decoded.values, 0);
  });

  test('getOrSet and interop wrappers keep values too', async () => {
    const c = make({ namespace: uid('gos') });
    let calls = 0;
    const compute = async () => ({ n: ++calls });
    for (let i = 0; i < 4; i++) assert.deepEqual(await c.getOrSet('k', compute), { n: 1 });
    const r = await c.getOrSet('k', compute);
    r.n = 42;
    assert.deepEqual(await c.getOrSet('k', compute), { n: 1 });
    const op = c.interop({ namespace: uid('iop'), operation: 'op' })(async (x) => ({ x, n: ++calls }));
    const first = await op(5);
    for (let i = 0; i < 3; i++) assert.deepEqual(await op(5), first);
    assert.ok(c.health().decoded.values >= 2);
  });

  test('the budget bounds what is kept; 0, l1: false and encryption turn it off', async () => {
    const c = make({ namespace: uid('budget'), l1: { decodedBytes: 1600 } });
    const f = c.wrap(async function item(i) {
      return { i, pad: 'x'.repeat(40) };
    });
    for (let i = 0; i < 100; i++) {
      await f(i);
      await f(i);
    }
    const s = c.health().decoded;
    assert.equal(s.budget, 1600);
    assert.ok(s.chars <= 1600 && s.values > 0 && s.values <= 1600 / 64, JSON.stringify(s));
    // Over 1/16 of the budget: never kept.
    await c.set('big', 'y'.repeat(200));
    await c.get('big');
    assert.equal(await c.get('big'), 'y'.repeat(200));
    assert.ok(c.health().decoded.chars <= 1600);
    for (let i = 0; i < 100; i++) assert.deepEqual(await f(i), { i, pad: 'x'.repeat(40) });

    assert.equal(make({ l1: { decodedBytes: 0 } }).health().decoded, null);
    assert.equal(make({ l1: false }).health().decoded, null);
    const enc = make({ namespace: uid('enc'), encryption: { masterKey: KEY } });
    assert.equal(enc.health().decoded, null, 'no plaintext kept beside an encrypted L1');
    await enc.set('k', { v: 1 });
    assert.deepEqual(await enc.get('k'), { v: 1 });
    assert.throws(() => make({ l1: { decodedBytes: -1 } }), /decodedBytes/);
  });

  test('close drops what was kept', async () => {
    const c = make({ namespace: uid('close') });
    await c.set('k', 1);
    await c.get('k');
    await c.get('k');
    assert.equal(c.health().decoded.values, 1);
    await c.close();
    assert.equal(c.health().decoded.values, 0);
    await assert.rejects(c.get('k'), /closed/);
  });
});

describe('the engine pins', () => {
  test('only the L1 hit of the call just before can be pinned; a replaced entry ends a pin', () => {
    const backend = defaultEngineKind() === 'wasm' ? wasmBackend : napiBackend;
    const e = backend.createEngine({ intent: 'minimal' });
    assert.equal(e.set('k', { v: 1 }).type, 'send', 'written to L1, then sent');
    assert.equal(e.pinLast(), -1, 'a set is not a hit');
    assert.equal(e.getFast('k'), '{"v":1}');
    const token = e.pinLast();
    assert.ok(Number.isSafeInteger(token) && token >= 0);
    assert.equal(e.pinLast(), -1, 'taken once');
    assert.equal(e.getFast('k'), '{"v":1}');
    assert.equal(e.get('k').type, 'done');
    assert.equal(e.pinLast(), -1, 'a later call clears the hit');
    const read = e.getFast('missing');
    assert.ok(Number.isInteger(read) && read < 0, 'a plain GET+TTL read (L1 is on)');
    assert.equal(e.pinLast(), -1, 'a read is not a hit');
    assert.equal(e.onReplyFast(-read, [null, -2]).outcome.kind, 'miss');
    assert.equal(e.pinned(token), true);
    e.set('k', { v: 1 });
    assert.equal(e.pinned(token), false, 'replaced by equal bytes: a different entry');
    assert.equal(e.pinned(token), false, 'the token was freed');
    e.unpin(token);
    e.unpin(12345);
    assert.equal(e.pinned(-1), false);
    const enc = backend.createEngine({ intent: 'minimal', encryption: { masterKey: KEY } });
    enc.set('k', 1);
    assert.deepEqual(enc.getFast('k'), '1');
    assert.equal(enc.pinLast(), -1, 'never with encryption');
  });
});

describe('plain reads (getFast returns a number)', () => {
  const backend = defaultEngineKind() === 'wasm' ? wasmBackend : napiBackend;
  test('the operation, positive for GET, negated for GET+TTL; the reply finishes it', () => {
    const e = backend.createEngine({ intent: 'minimal', l1: false });
    const stored = e.set('k', { v: 1 });
    assert.equal(e.onReply(stored.op, 'OK').outcome.kind, 'stored');
    const bytes = stored.command.value;
    const a = e.getFast('k');
    const b = e.getFast('k');
    assert.ok(Number.isInteger(a) && a > 0 && b > 0 && a !== b, `${a} ${b}`);
    assert.equal(e.onReplyFast(b, bytes), '{"v":1}', 'a Redis hit is its JSON text');
    assert.equal(e.onReplyFast(a, null).outcome.kind, 'miss');
    assert.throws(() => e.onReplyFast(a, null), /unknown or finished operation/);
    // A failed read is a miss; the engine counted the failure.
    const c = e.getFast('k');
    assert.equal(e.onError(c, 'ECONNRESET').outcome.kind, 'miss');
    // With L1 the read also asks for the TTL (bounding the L1 copy).
    const l1 = backend.createEngine({ intent: 'minimal' });
    const r = l1.getFast('k');
    assert.ok(Number.isInteger(r) && r < 0);
    assert.equal(l1.onReplyFast(-r, [bytes, 30]), '{"v":1}');
    assert.equal(l1.getFast('k'), '{"v":1}', 'now an L1 hit');
  });

  test('anything else is still a step: a refused read is done at once', () => {
    const e = backend.createEngine({ intent: 'minimal', l1: false, breaker: { failureThreshold: 1 } });
    const op = e.getFast('k');
    e.onError(op, 'ECONNREFUSED');
    const refused = e.getFast('k');
    assert.equal(refused.type, 'done');
    assert.equal(refused.outcome.kind, 'miss');
    assert.equal(refused.rejected?.name, 'circuit_open');
  });
});

describe('argsSignature and copy', () => {
  test('signatures differ whenever argument lists differ', () => {
    const lists = [[], [1], ['1'], [1, 1], ['1', '1'], ['11'], [true], ['t'], [false], [null], [undefined], ['u'], ['s1:1'], [1e21], ['n1;']];
    const sigs = lists.map((l) => argsSignature('0|', l));
    assert.equal(new Set(sigs).size, lists.length);
    assert.notEqual(argsSignature('0|', [1]), argsSignature('1|', [1]));
    for (const odd of [[-0], [{}], [[1]], [1n], [Symbol('s')], [() => 1]]) assert.equal(argsSignature('0|', odd), undefined);
  });

  test('copy equals JSON.parse of the same text, without sharing', () => {
    const text = '{"b":[1,{"c":null}],"1":"x","__proto__":{"p":1},"s":"é✓","f":1.5,"t":true}';
    const orig = JSON.parse(text);
    const c = copy(orig);
    assert.deepEqual(c, JSON.parse(text));
    assert.equal(JSON.stringify(c), JSON.stringify(orig));
    assert.notEqual(c.b, orig.b);
    assert.notEqual(c.b[1], orig.b[1]);
    assert.equal(Object.getPrototypeOf(c), Object.prototype);
  });
});
