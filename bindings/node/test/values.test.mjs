// The JavaScript ⇄ core value mapping (core/src/value.rs's table), through the addon.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ERROR_KINDS, Ext, Float, IsoDateTime, LocalDate, LocalTime, MapEntries, UsageError, Uuid, protocol } from '../dist/index.js';

const hex = (v) => protocol.serialize(v).toString('hex');
const back = (v) => protocol.deserialize(protocol.serialize(v));

describe('JavaScript → core', () => {
  test('numbers: safe integers are ints, everything else floats (-0 included)', () => {
    assert.equal(hex(1), '01');
    assert.equal(hex(-1), 'ff');
    assert.equal(hex(Number.MAX_SAFE_INTEGER), 'cf001fffffffffffff');
    assert.equal(hex(1.5), 'cb3ff8000000000000');
    assert.equal(hex(-0), 'cb8000000000000000');
    assert.equal(hex(2 ** 53), 'cb4340000000000000');
    assert.equal(hex(Number.NaN), 'cb7ff8000000000000');
    assert.equal(hex(new Float(1)), 'cb3ff0000000000000');
  });

  test('bigint: the full [-2^63, 2^64-1] range, range errors from the core', () => {
    assert.equal(hex(2n ** 64n - 1n), 'cfffffffffffffffff');
    assert.equal(hex(-(2n ** 63n)), 'd38000000000000000');
    assert.equal(hex(5n), '05');
    for (const bad of [2n ** 64n, -(2n ** 63n) - 1n, 2n ** 200n, -(2n ** 200n)]) {
      assert.throws(() => protocol.serialize(bad), (e) => e instanceof UsageError && e.kind === 'integer_out_of_range' && e.code === 101);
    }
  });

  test('strings must be well-formed: lone surrogates are invalid_string', () => {
    assert.equal(hex('é'), 'a2c3a9');
    assert.equal(hex('😀'), 'a4f09f9880');
    for (const bad of ['\ud800', 'a\udc00b', '\ud83d']) {
      assert.throws(() => protocol.serialize(bad), (e) => e.kind === 'invalid_string' && e.code === 105);
      assert.throws(() => protocol.serialize({ [bad]: 1 }), (e) => e.kind === 'invalid_string');
    }
    const long = 'x'.repeat(1000) + '\udfff';
    assert.throws(() => protocol.serialize(long), (e) => e.kind === 'invalid_string');
  });

  test('bytes, arrays, maps, dates', () => {
    assert.equal(hex(new Uint8Array([1, 2])), 'c4020102');
    assert.equal(hex(Buffer.from([3])), 'c40103');
    assert.equal(hex(new Uint8Array([1, 2, 3]).subarray(1)), 'c4020203');
    assert.equal(hex(new Uint8Array([9]).buffer), 'c40109');
    assert.equal(hex([1, [2]]), '920191' + '02');
    assert.equal(hex({ b: 1, a: 2 }), '82a16201a16102', 'plain objects keep their order');
    assert.equal(hex(Object.assign(Object.create(null), { a: 1 })), '81a16101');
    assert.equal(hex(new Map([[2, 'x'], ['a', null]])), '8202a178a161c0');
    assert.equal(hex(null), 'c0');
    assert.equal(hex(undefined), 'c0');
    assert.equal(hex(true), 'c3');
    const d = protocol.deserialize(protocol.serialize(new Date(Date.UTC(2024, 0, 15, 12, 30, 1, 5))), true);
    assert.ok(d instanceof IsoDateTime);
    assert.equal(d.value, '2024-01-15T12:30:01.005000+00:00');
    assert.throws(() => protocol.serialize(new Date(Number.NaN)), (e) => e.kind === 'invalid_temporal');
  });

  test('wrappers: dates, times, precise datetimes, UUIDs', () => {
    assert.deepEqual(back(new LocalDate('2024-01-15')), new LocalDate('2024-01-15'));
    assert.deepEqual(back(new LocalTime('12:30:01.000005')), new LocalTime('12:30:01.000005'));
    const naive = protocol.deserialize(protocol.serialize(new IsoDateTime('2024-01-15T12:30:00.000001')), true);
    assert.equal(naive.value, '2024-01-15T12:30:00.000001');
    assert.throws(() => protocol.serialize(new LocalDate('2024-13-01')), (e) => e.kind === 'invalid_temporal');
    assert.equal(protocol.canonicalArgs([new Uuid('550E8400-E29B-41D4-A716-446655440000')]).toString('hex'),
      '91d924' + Buffer.from('550e8400-e29b-41d4-a716-446655440000').toString('hex'));
    assert.throws(() => protocol.serialize(new Ext(1, Buffer.from([1]))), (e) => e.code === 103);
  });

  test('what cannot be cached is refused with unsupported_type', () => {
    class Foo {}
    const cyc = [];
    cyc.push(cyc);
    for (const v of [() => 1, Symbol('x'), new Foo(), cyc, new Int16Array(2), new Set([1]), new WeakMap()]) {
      assert.throws(() => protocol.serialize(v), (e) => e instanceof UsageError && e.kind === 'unsupported_type', String(v));
    }
    assert.throws(() => protocol.serialize(new Foo()), /class instance \(Foo\)/);
    assert.throws(() => protocol.serialize(cyc), /cyclic/);
    // Shared (acyclic) references are fine.
    const shared = { a: 1 };
    assert.equal(hex([shared, shared]), '92' + '81a16101'.repeat(2));
  });

  test('views that are not bytes, and malformed wrappers, get their own errors', () => {
    for (const v of [new Int16Array(2), new Float64Array(1), new DataView(new ArrayBuffer(2))]) {
      assert.throws(() => protocol.serialize(v), (e) => e.kind === 'unsupported_type' && /only Uint8Array\/Buffer\/ArrayBuffer/.test(e.message));
    }
    const bad = [
      [new Float('1'), /Float\.value must be a number/],
      [new IsoDateTime(5), /IsoDateTime\.value must be a string/],
      [new LocalDate(null), /LocalDate\.value must be a string/],
      [new Uuid({}), /Uuid\.value must be a string/],
      [new Ext(300, Buffer.alloc(0)), /Ext\.type must be an integer/],
      [new Ext(1.5, Buffer.alloc(0)), /Ext\.type must be an integer/],
      [new MapEntries([[1, 2, 3]]), /MapEntries\.entries must be an array of \[key, value\] pairs/],
      [new MapEntries('ab'), /MapEntries\.entries must be/],
    ];
    for (const [v, message] of bad) {
      assert.throws(() => protocol.serialize(v), (e) => e.kind === 'invalid_argument' && message.test(e.message), String(message));
    }
    // A class instance is named; one whose constructor has no name reads as "object".
    const anonymous = Object.create(Object.create(null));
    assert.throws(() => protocol.serialize(anonymous), /class instance \(object\)/);
    // A subclass of a registered class is that class.
    class Tagged extends Map {}
    assert.equal(hex(new Tagged([['a', 1]])), '81a16101');
  });

  test('sets are for interop arguments only', () => {
    assert.equal(protocol.canonicalArgs([new Set([2, 1])]).toString('hex'), '91920102');
    assert.throws(() => protocol.canonicalValue(new Set([1])), (e) => e.code === 103);
  });
});

describe('core → JavaScript', () => {
  test('natural form', () => {
    assert.equal(back(5), 5);
    assert.equal(back(2n ** 60n), 2n ** 60n);
    assert.equal(back(2n ** 3n), 8, 'safe integers come back as numbers');
    assert.ok(Object.is(back(-0), -0));
    assert.ok(Buffer.isBuffer(back(new Uint8Array([1]))));
    assert.deepEqual(back({ a: [1, { b: null }] }), { a: [1, { b: null }] });
    assert.deepEqual(back(new Map([[1, 2]])), new Map([[1, 2]]));
    assert.equal(back(new Date(1234)).getTime(), 1234);
    const proto = back(JSON.parse('{"__proto__": {"polluted": 1}}'));
    assert.equal(Object.getPrototypeOf(proto), Object.prototype, 'a "__proto__" key is an own property');
    assert.deepEqual(Object.keys(proto), ['__proto__']);
    assert.equal({}.polluted, undefined);
  });

  test('exact form loses nothing', () => {
    const v = protocol.exactValue({ i: 1, f: 1.5, m: new Map([['k', 2.0]]) });
    assert.deepEqual(v, new MapEntries([['i', 1n], ['f', new Float(1.5)], ['m', new MapEntries([['k', 2n]])]]));
    assert.equal(hex(new MapEntries([['a', 1], ['a', 2]])), '82a16101a16102', 'duplicates and order are kept');
    assert.throws(() => protocol.canonicalValue(new MapEntries([['a', 1], ['a', 2]])), (e) => e.kind === 'invalid_map_key');
  });
});

test('the error table matches the core', () => {
  const kinds = protocol.errorKinds();
  assert.equal(kinds.length, Object.keys(ERROR_KINDS).length);
  for (const k of kinds) assert.equal(ERROR_KINDS[k.code], k.name);
});

test('protocol.keyring: previous keys are a list or absent', () => {
  const A = 'aa'.repeat(32);
  const B = 'bb'.repeat(32);
  const sealed = protocol.keyring(B).encrypt(Buffer.from('aad'), Buffer.from('secret'));
  // B as a previous key of A opens what B sealed; absent (undefined/null) means none.
  assert.equal(protocol.keyring(A, [B]).decrypt(Buffer.from('aad'), sealed).toString(), 'secret');
  for (const none of [undefined, null]) {
    assert.throws(() => protocol.keyring(A, none).decrypt(Buffer.from('aad'), sealed), (e) => e.kind === 'decryption_failed');
  }
  for (const bad of [B, 5, { 0: B }]) {
    assert.throws(() => protocol.keyring(A, bad), (e) => e.kind === 'invalid_keyring' && /previousKeys must be an array/.test(e.message), String(bad));
  }
});

test('values nested too deep are value_too_large at any depth (no stack overflow)', () => {
  for (const depth of [600, 1001, 100_000]) {
    let v = 1;
    for (let i = 0; i < depth; i++) v = [v];
    assert.throws(() => protocol.serialize(v), (e) => e instanceof UsageError && e.kind === 'value_too_large' && /nested deeper than 512 levels/.test(e.message), String(depth));
  }
});
