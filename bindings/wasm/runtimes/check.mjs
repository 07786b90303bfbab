// The checks every runtime runs on the `cachekit/web` build (Node, Deno, Bun, workerd): the
// same module, given the SDK and the figures the napi engine computed for the same inputs.
// Returns what the harness compares further (an encrypted entry's bytes, to decrypt natively).

/** A value with every mapped type the engine carries across (JSON cannot say most of them). */
export function sample(ck) {
  return {
    id: 42,
    ratio: 0.5,
    big: 2n ** 60n + 1n,
    when: new Date(1_705_321_800_123),
    byId: new Map([[1, 'one'], [2, 'two']]),
    raw: new Uint8Array([0, 1, 254, 255]),
    none: null,
    nested: [true, false, 'ü€𝄞', [1.5, -0]],
    float: new ck.Float(3),
  };
}

const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');

function fail(what, got, want) {
  throw new Error(`${what}: got ${got}, want ${want}`);
}

function eq(what, got, want) {
  if (got !== want) fail(what, JSON.stringify(got), JSON.stringify(want));
}

/** A Redis stand-in over a JS Map, implementing the RedisAdapter interface (TTL ignored). */
export function mapAdapter(store = new Map()) {
  const sets = new Map();
  return {
    kind: 'map',
    store,
    get: async (k) => store.get(k) ?? null,
    getWithTtl: async (k) => (store.has(k) ? [store.get(k), -1] : [null, -2]),
    exists: async (k) => (store.has(k) || sets.has(k) ? 1 : 0),
    set: async (k, v) => void store.set(k, new Uint8Array(v)),
    setNx: async (k, token) => (store.has(k) ? null : (store.set(k, new TextEncoder().encode(token)), 'OK')),
    evalRelease: async (_s, _sha, k) => (store.delete(k) ? 1 : 0),
    expire: async (k) => (store.has(k) ? 1 : 0),
    del: async (keys) => keys.filter((k) => store.delete(k) || sets.delete(k)).length,
    sadd: async (k, m) => {
      const s = sets.get(k) ?? new Set();
      sets.set(k, s);
      const had = s.has(m);
      s.add(m);
      return had ? 0 : 1;
    },
    smembers: async (k) => [...(sets.get(k) ?? [])].map((m) => new TextEncoder().encode(m)),
    deleteMatching: async (pattern) => {
      const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
      let n = 0;
      for (const k of [...store.keys()]) if (re.test(k) && store.delete(k)) n++;
      return n;
    },
    close: async () => {},
  };
}

/** Runs every check; throws on the first mismatch. `expected` comes from the napi engine. */
export async function check(ck, expected) {
  eq('engine', ck.defaultEngineKind(), 'wasm');
  eq('core version', ck.protocol.coreVersion(), expected.coreVersion);
  const v = sample(ck);
  eq('serialize', hex(ck.protocol.serialize(v)), expected.serialize);
  eq('interopKey', ck.protocol.interopKey('billing', 'invoice_total', [7, 'EUR']), expected.interopKey);
  eq('entry (default mode)', hex(ck.protocol.entryEncode(v, 'default', expected.key)), expected.entry);
  let threw;
  try {
    ck.protocol.serialize('\ud800');
  } catch (e) {
    threw = e;
  }
  eq('lone surrogate → typed error', threw?.kind, 'invalid_string');

  // L1-only cache: a round trip keeps every mapped type.
  const l1 = ck.createCache({ redis: false, namespace: 'rt' });
  await l1.set('k', v);
  const back = await l1.get('k');
  eq('L1 bigint', back.big, v.big);
  eq('L1 date', back.when.getTime(), v.when.getTime());
  eq('L1 map', back.byId.get(2), 'two');
  eq('L1 bytes', hex(back.raw), '0001feff');
  eq('L1 nested', JSON.stringify(back.nested), JSON.stringify(v.nested));
  eq('L1 source', l1.health().l1.hits, 1);

  // Single flight: 20 concurrent callers, one compute.
  let computed = 0;
  const results = await Promise.all(
    Array.from({ length: 20 }, () => l1.getOrSet('cold', async () => (computed++, await new Promise((r) => setTimeout(r, 5)), 'v'))),
  );
  eq('single flight', computed, 1);
  eq('single flight value', results.every((r) => r === 'v'), true);
  await l1.close();

  // L2 through an adapter, encrypted: one cache writes, a second (cold L1) reads.
  const redis = mapAdapter();
  const encryption = { masterKey: expected.masterKey, tenant: 'acme' };
  const a = ck.createCache({ redis, namespace: 'rt', encryption });
  const b = ck.createCache({ redis, namespace: 'rt', encryption, l1: false });
  await a.set('secret', v);
  const viaRedis = await b.get('secret');
  eq('L2 encrypted round trip', viaRedis.byId.get(1), 'one');
  eq('has (EXISTS through the adapter)', await b.has('secret'), true);
  eq('has, missing', await b.has('nothing'), false);
  const [storedKey, stored] = [...redis.store.entries()].find(([k]) => k.endsWith('secret')) ?? [];
  if (!stored) fail('stored entry', 'none', 'rt:…secret');
  const wrong = ck.createCache({ redis, namespace: 'rt', encryption: { masterKey: 'ab'.repeat(32), tenant: 'acme' }, l1: false });
  eq('wrong key → miss', await wrong.get('secret'), undefined);
  await Promise.all([a.close(), b.close(), wrong.close()]);
  return { storedKey, stored: hex(stored) };
}
