// The `web` (ESM) build loaded in Node with initSync: protocol primitives and an engine round
// trip (set through a fake Redis reply, then an L1 hit), the value mapping included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const here = new URL('.', import.meta.url);
const wasm = await import(new URL('../pkg-web/cachekit_wasm.js', here));
wasm.initSync({ module: readFileSync(new URL('../pkg-web/cachekit_wasm_bg.wasm', here)) });
const ck = createRequire(import.meta.url)('../../node/dist/index.js');
const { Float, IsoDateTime, LocalDate, LocalTime, Uuid, Ext, MapEntries } = ck;
wasm.registerRuntime({ objectPrototype: Object.prototype, Map, Set, Float, IsoDateTime, LocalDate, LocalTime, Uuid, Ext, MapEntries });

test('web build: primitives agree with the node package', () => {
  const v = { a: 1, b: [true, null, 'x'], n: 2n ** 60n };
  assert.deepEqual(Buffer.from(wasm.serialize(v)), Buffer.from(ck.protocol.serialize(v)));
  assert.ok(wasm.serialize(v) instanceof Uint8Array);
  assert.deepEqual(wasm.deserialize(wasm.serialize(v)), { a: 1, b: [true, null, 'x'], n: 2n ** 60n });
  assert.equal(wasm.interopKey('ns1', 'op', [1, 'a']), ck.protocol.interopKey('ns1', 'op', [1, 'a']));
  assert.throws(() => wasm.serialize('\ud800'), (e) => e.code === 'invalid_string');
});

test('web build: L1-only engine round trip', () => {
  const e = new wasm.NativeEngine({ l1: { maxBytes: 1 << 20 } });
  const value = { when: new Date(1_705_321_800_123), m: new Map([[1, 'one']]), bytes: new Uint8Array([1, 2]) };
  let s = e.set('app:k', value, undefined);
  assert.equal(s.type, 'send');
  assert.equal(s.command.name, 'set');
  s = e.onReply(s.op, 'OK');
  assert.deepEqual(s.outcome, { kind: 'stored', redis: true });
  s = e.get('app:k', undefined);
  assert.equal(s.type, 'done');
  assert.equal(s.outcome.source, 'l1');
  assert.equal(s.outcome.value.when.getTime(), 1_705_321_800_123);
  assert.equal(s.outcome.value.m.get(1), 'one');
  assert.deepEqual([...s.outcome.value.bytes], [1, 2]);
  assert.equal(e.pendingOps(), 0);
});
