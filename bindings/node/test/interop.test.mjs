// Live interop with the real cachekit-py 0.24.1 (tests/interop/python_peer.py) through one
// Redis: Python writes interop/v1 entries (plain and encrypted) and the Node SDK reads them
// through cache.interop(); the Node SDK writes and Python reads. Needs CACHEKIT_PY_PYTHON (the
// venv's python; test.sh sets it up with tests/interop/peer --setup-only), else skipped.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { createCache, protocol } from '../dist/index.js';
import { fromTagged, toTagged } from '../dist/tagged.js';
import { raw, startRedis } from './helpers.mjs';

const run = promisify(execFile);
const python = process.env.CACHEKIT_PY_PYTHON;
const peerScript = fileURLToPath(new URL('../../../tests/interop/python_peer.py', import.meta.url));
const skip = !python || !existsSync(python) ? 'CACHEKIT_PY_PYTHON is not set (tests/interop/peer --setup-only)' : false;

const KEY = '61'.repeat(32);
const CASES = [
  ['users', 'get_user', [42], { name: 'alice', age: 30 }],
  ['orders', 'list', ['2025-11', 10, true], [{ id: 1, total: { $float: '19.99' } }, { id: 2, total: { $float: '5.0' } }]],
  ['blobs', 'get', [{ $bytes: '00ff10' }], { data: { $bytes: 'deadbeef' }, size: { $int: '18446744073709551615' } }],
  ['events', 'at', [{ $datetime: '2024-01-15T12:30:00+05:30' }], { when: { $datetime: '2024-01-15T12:30:00+00:00' }, n: null }],
  ['search', 'query', [{ q: 'héllo ✓', filters: { b: 2, a: 1 } }, { $float: '3.0' }], ['héllo', '✓', { $float: '-0.0' }]],
];

async function peer(cmd, url, ns, op, args, extra = []) {
  const { stdout } = await run(python, [peerScript, cmd, '--redis', url, '--namespace', ns, '--operation', op, '--args', JSON.stringify(args), ...extra], {
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop());
}

/** The tagged JSON of a value as the canonical interop document holds it. */
const canonicalTagged = (v) => toTagged(protocol.interopDecode(protocol.canonicalValue(fromTagged(v)), true));

describe('live interop with cachekit-py', { skip }, () => {
  let server;
  before(async () => {
    server = await startRedis();
  });
  after(async () => server?.close());

  for (const [ns, op, args, value] of CASES) {
    for (const encrypted of [false, true]) {
      const label = `${ns}:${op} ${encrypted ? 'encrypted' : 'plain'}`;
      const extra = encrypted ? ['--master-key', KEY] : [];
      const options = () => ({ redis: server.url, l1: false, ...(encrypted ? { encryption: { masterKey: KEY } } : {}) });

      test(`${label}: python writes, node reads`, async () => {
        const w = await peer('write', server.url, ns, op, args, ['--value', JSON.stringify(value), ...extra]);
        assert.ok(!w.error, w.error);
        const nodeArgs = fromTagged(args);
        assert.equal(protocol.interopKey(ns, op, nodeArgs), w.key, 'same key');
        const cache = createCache(options());
        const read = await cache.interop({ namespace: ns, operation: op })(async () => {
          throw new Error('must be a cache hit');
        })(...nodeArgs);
        const expected = protocol.interopDecode(protocol.canonicalValue(fromTagged(value)));
        assert.deepEqual(read, expected);
        if (!encrypted) {
          assert.equal(w.stored_hex, protocol.canonicalValue(fromTagged(value)).toString('hex'), 'byte-identical documents');
        } else {
          const wrong = createCache({ redis: server.url, l1: false, encryption: { masterKey: '62'.repeat(32) }, deleteUnreadable: false });
          let ran = false;
          await wrong.interop({ namespace: ns, operation: op })(async () => {
            ran = true;
            return null;
          })(...nodeArgs);
          assert.ok(ran, 'a wrong master key is a miss');
          await wrong.close();
        }
        await cache.close();
      });

      test(`${label}: node writes, python reads`, async () => {
        const nodeArgs = fromTagged(args);
        const key = protocol.interopKey(ns, op, nodeArgs);
        const r0 = raw(server.url);
        await r0.del(key);
        const cache = createCache(options());
        await cache.interop({ namespace: ns, operation: op, ttl: 600 })(async () => fromTagged(value))(...nodeArgs);
        const stored = await r0.getBuffer(key);
        r0.disconnect();
        assert.ok(stored, 'the node SDK stored the entry');
        if (!encrypted) assert.deepEqual(stored, protocol.canonicalValue(fromTagged(value)));
        const r = await peer('read', server.url, ns, op, args, extra);
        assert.equal(r.hit, true, r.error);
        assert.deepEqual(r.value, canonicalTagged(value));
        await cache.close();
      });
    }
  }
});
