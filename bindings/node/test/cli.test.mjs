// The CLI (npx cachekit) against a real Redis.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { createCache, protocol } from '../dist/index.js';
import { MASTER_A, raw, startRedis } from './helpers.mjs';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const exec = promisify(execFile);
async function ck(...args) {
  try {
    const { stdout } = await exec(process.execPath, [cli, ...args]);
    return { code: 0, out: stdout };
  } catch (e) {
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}

describe('cachekit CLI', () => {
  let server;
  let r;
  before(async () => {
    server = await startRedis();
    r = raw(server.url);
  });
  after(async () => {
    r.disconnect();
    await server.close();
  });

  test('--help', async () => {
    const { code, out } = await ck('--help');
    assert.equal(code, 0);
    assert.match(out, /cachekit inspect <key>/);
  });

  test('misspelt options and stray arguments are refused, not ignored; Redis failures name the URL', async () => {
    let res = await ck('get', 'k', '--reddis', server.url);
    assert.equal(res.code, 2);
    assert.match(res.err, /unknown option --reddis/);
    res = await ck('del', 'k', 'extra', '--redis', server.url);
    assert.equal(res.code, 2);
    assert.match(res.err, /unexpected argument: extra/);
    res = await ck('get', 'k', '--encrypted=yes', '--redis', server.url);
    assert.match(res.err, /--encrypted takes no value/);
    res = await ck('get', 'k', '--redis', 'redis://:s3cret@127.0.0.1:1');
    assert.equal(res.code, 2);
    assert.match(res.err, /redis:\/\/:\*\*\*@127\.0\.0\.1:1: /, 'names the Redis');
    assert.doesNotMatch(res.err, /s3cret/, 'but not its password');
    res = await ck('key', 'user:1', 'extra');
    assert.equal(res.code, 2);
    assert.equal(res.out, '', 'nothing printed before the refusal');
  });

  test('inspect tells interop, envelope, encrypted and cachekit-py frames apart', async () => {
    const url = server.url;
    const plain = createCache({ redis: url, namespace: 'cli' });
    await plain.set('env', { a: [1, 2.5] });
    const f = plain.interop({ namespace: 'users', operation: 'get_user' })(async (id) => ({ id, name: 'alice' }));
    await f(42);
    const key = protocol.interopKey('users', 'get_user', [42]);
    let { code, out } = await ck('inspect', key, '--redis', url);
    assert.equal(code, 0);
    let d = JSON.parse(out);
    assert.equal(d.kind, 'interop');
    assert.deepEqual(d.value, { id: 42, name: 'alice' });
    ({ out } = await ck('inspect', 'ns:cli:env', '--redis', url));
    d = JSON.parse(out);
    assert.equal(d.kind, 'envelope');
    assert.equal(d.envelope.format, 'msgpack');
    assert.deepEqual(d.value, { a: [1, { $float: '2.5' }] });
    const bare = createCache({ redis: url, namespace: 'cli', integrity: false });
    await bare.set('bare', { b: 1 });
    ({ out } = await ck('inspect', 'ns:cli:bare', '--redis', url));
    d = JSON.parse(out);
    assert.equal(d.kind, 'msgpack', 'a direct key without integrity is not taken for interop');
    assert.equal(d.mode, 'default-no-integrity');
    await bare.close();

    const enc = createCache({ redis: url, namespace: 'cli', encryption: { masterKey: MASTER_A } });
    await enc.set('secret', 'hidden');
    ({ code, out } = await ck('inspect', 'ns:cli:secret', '--redis', url));
    assert.equal(code, 1);
    assert.equal(JSON.parse(out).kind, 'encrypted?');
    ({ code, out } = await ck('inspect', 'ns:cli:secret', '--redis', url, '--master-key', MASTER_A));
    d = JSON.parse(out);
    assert.equal(code, 0);
    assert.equal(d.encrypted, true);
    assert.equal(d.value, 'hidden');

    const vectors = JSON.parse(readFileSync(new URL('../../../conformance/vectors/python-frame.json', import.meta.url), 'utf8'));
    await r.set('pyframe', Buffer.from(vectors.frame_vectors[0].frame_hex, 'hex'));
    ({ out } = await ck('inspect', 'pyframe', '--redis', url));
    d = JSON.parse(out);
    assert.equal(d.kind, 'python-frame');
    assert.equal(typeof d.header, 'object');
    await plain.close();
    await enc.close();
  });

  test('set, get, del of interop and default keys', async () => {
    const url = server.url;
    const base = ['--namespace', 'orders', '--operation', 'list', '--args', '[1]', '--redis', url];
    let { code, out } = await ck('set', ...base, '{"total": {"$float": "5.0"}, "big": {"$int": "18446744073709551615"}}', '--ttl', '60');
    assert.equal(code, 0);
    const key = protocol.interopKey('orders', 'list', [1]);
    assert.equal(JSON.parse(out).key, key);
    assert.ok((await r.ttl(key)) > 50);
    ({ out } = await ck('get', ...base));
    assert.deepEqual(JSON.parse(out), { big: { $int: '18446744073709551615' }, total: { $float: '5.0' } });
    const c = createCache({ redis: url, l1: false });
    const read = await c.interop({ namespace: 'orders', operation: 'list' })(async () => null)(1);
    assert.deepEqual(read, { big: 18446744073709551615n, total: 5 });
    await c.close();
    ({ code } = await ck('set', 'ns:x:plain', '[1, "two"]', '--redis', url, '--encrypted', '--master-key', MASTER_A));
    assert.equal(code, 0);
    ({ out } = await ck('get', 'ns:x:plain', '--redis', url, '--master-key', MASTER_A));
    assert.deepEqual(JSON.parse(out), [1, 'two']);
    ({ code, out } = await ck('del', 'ns:x:plain', '--redis', url));
    assert.equal(JSON.parse(out).deleted, 1);
    ({ code } = await ck('get', 'ns:x:plain', '--redis', url));
    assert.equal(code, 1);
  });
});
