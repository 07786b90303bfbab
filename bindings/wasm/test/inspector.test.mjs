// The entry inspector (bindings/wasm/inspector/): `describeEntry` of the cachekit/web bundle (the
// page's engine: WebAssembly) gives the CLI's `cachekit inspect` report (the napi engine) entry
// for entry, and the page, in headless Chromium, shows the right kind and value for
// known entries: conformance vectors (an interop value, an encrypted interop entry, a
// cachekit-py frame) and entries the npm package writes (envelope, no-integrity, encrypted).
//
//   node --test bindings/wasm/test/inspector.test.mjs   (after build.sh, and tsc + build-web in bindings/node)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { parseBytes } from '../inspector/form.mjs';
import { serveStatic } from '../inspector/serve.mjs';
import { launchChromium } from './chromium.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
process.env.CACHEKIT_ENGINE = 'napi';
const require = createRequire(import.meta.url);
const pkg = require(here('../../node/dist/index.js'));
const cli = require(here('../../node/dist/cli.js'));
const web = await import(here('../../node/dist/web.mjs'));
await web.initWasm(readFileSync(here('../../node/dist/cachekit_wasm_bg.wasm')));

const vectors = (name) => JSON.parse(readFileSync(here(`../../../conformance/vectors/${name}`), 'utf8'));
const interop = vectors('interop-mode.json');
const frames = vectors('python-frame.json');
const valueVector = interop.value_vectors[0];
const encVector = interop.encryption_vectors[0];
const frameVector = frames.frame_vectors[0];
const MASTER = 'ab'.repeat(32);
const hex = (b) => Buffer.from(b).toString('hex');
const b64 = (b) => Buffer.from(b).toString('base64');

/** Known entries: what to paste, and what the report must say. */
const P = pkg.protocol;
const sample = { name: 'alice', roles: ['admin', 'dev'], score: 9.5, big: 2n ** 62n, when: new pkg.IsoDateTime('2025-03-14T22:35:04.872416+00:00') };
const ring = P.keyring(MASTER, [], 'acme');
const CASES = [
  {
    name: 'interop value (vector issue_example_object)',
    entry: valueVector.canonical_msgpack_hex,
    key: encVector.cache_key,
    kind: 'interop',
    value: { age: 30, name: 'alice' },
  },
  {
    name: 'encrypted interop entry (vector interop_encryption_roundtrip)',
    entry: encVector.ciphertext_hex,
    key: encVector.cache_key,
    masterKey: encVector.master_key_hex,
    tenant: encVector.tenant_id,
    kind: 'interop',
    encrypted: true,
    value: { age: 30, name: 'alice' },
  },
  {
    name: 'the same encrypted entry without the key',
    entry: encVector.ciphertext_hex,
    key: encVector.cache_key,
    kind: 'encrypted?',
  },
  {
    name: 'the same encrypted entry with the wrong tenant',
    entry: encVector.ciphertext_hex,
    key: encVector.cache_key,
    masterKey: encVector.master_key_hex,
    tenant: 'someone-else',
    kind: 'unreadable',
  },
  {
    name: 'cachekit-py frame (vector raw_payload_frame)',
    entry: frameVector.frame_hex,
    key: 'python-frame-vector',
    kind: 'python-frame',
    header: { s: 'default', m: { format: 'msgpack', compressed: false }, v: '2.0' },
  },
  {
    name: 'default-mode envelope, pasted as base64',
    entry: b64(P.entryEncode(sample, 'default', 'ns:app:user:1')),
    encoding: 'base64',
    key: 'ns:app:user:1',
    kind: 'envelope',
    value: { name: 'alice', roles: ['admin', 'dev'], score: { $float: '9.5' }, big: { $int: String(2n ** 62n) }, when: { $datetime: '2025-03-14T22:35:04.872416+00:00' } },
  },
  {
    name: 'default mode without integrity',
    entry: hex(P.entryEncode([1, 'two', null], 'default-no-integrity', 'app:list')),
    key: 'app:list',
    mode: 'default-no-integrity',
    kind: 'msgpack',
    value: [1, 'two', null],
  },
  {
    name: 'encrypted envelope',
    entry: hex(ring.entryEncode({ secret: true }, 'default', 'app:secret')),
    key: 'app:secret',
    masterKey: MASTER,
    tenant: 'acme',
    kind: 'envelope',
    encrypted: true,
    value: { secret: true },
  },
  { name: 'not an entry', entry: '00ff00ff', key: 'x', kind: 'unreadable' },
];

function check(c, d) {
  assert.equal(d.kind, c.kind, `${c.name}: ${JSON.stringify(d)}`);
  if ('value' in c) assert.deepEqual(d.value, c.value, c.name);
  if (c.encrypted !== undefined) assert.equal(d.encrypted, c.encrypted, c.name);
  if (c.header) assert.deepEqual(d.header, c.header, c.name);
  if (c.kind === 'envelope') assert.equal(typeof d.envelope?.checksum, 'string', c.name);
}

test('inspector: the WASM report equals the CLI report (`cachekit inspect`, napi) for every entry', () => {
  assert.equal(pkg.defaultEngineKind(), 'napi');
  assert.equal(web.defaultEngineKind(), 'wasm');
  for (const c of CASES) {
    const bytes = parseBytes(c.entry, c.encoding ?? 'auto');
    const webRing = c.masterKey ? web.protocol.keyring(c.masterKey, [], c.tenant ?? 'default') : undefined;
    const cliRing = c.masterKey ? P.keyring(c.masterKey, [], c.tenant ?? 'default') : undefined;
    const mine = web.describeEntry(c.key, bytes, webRing, c.mode);
    const theirs = JSON.parse(JSON.stringify(cli.describeEntry(c.key, Buffer.from(bytes), cliRing, c.mode)));
    check(c, mine);
    assert.deepEqual(JSON.parse(JSON.stringify(mine)), theirs, c.name);
  }
});

test('inspector: hex and base64 input', () => {
  assert.deepEqual([...parseBytes(' 0x82 a3\n61 ')], [0x82, 0xa3, 0x61]);
  assert.deepEqual([...parseBytes('gqNh')], [0x82, 0xa3, 0x61]);
  assert.deepEqual([...parseBytes('-_8', 'base64')], [0xfb, 0xff]);
  assert.deepEqual([...parseBytes('abcd', 'base64')], [0x69, 0xb7, 0x1d]);
  assert.throws(() => parseBytes('zz!'), /neither hex nor base64/);
  assert.throws(() => parseBytes('abc', 'hex'), /not hex/);
});

// ------------------------------------------------------------------ the page in Chromium

let server;
let browser;
let page;

before(async () => {
  server = await serveStatic({ root: here('../../..'), prefixes: ['/bindings/wasm/inspector/', '/bindings/node/dist/'] });
  browser = await launchChromium();
  page = await browser.open(`${server.url}/bindings/wasm/inspector/`);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Fills the form, submits it, and returns what the page shows. */
async function inspectInPage(c) {
  await page.fill('#entry', c.entry);
  await page.selectOption('#encoding', c.encoding ?? 'auto');
  await page.fill('#key', c.key ?? '');
  await page.selectOption('#mode', c.mode ?? '');
  await page.fill('#masterKey', c.masterKey ?? '');
  await page.fill('#tenant', c.tenant ?? '');
  await page.evaluate(() => {
    document.getElementById('kind').textContent = '';
  });
  await page.click('#inspect');
  await page.waitForFunction(() => document.getElementById('kind').textContent !== '');
  return page.evaluate(() => ({
    kind: document.getElementById('kind').dataset.kind,
    label: document.getElementById('kind').textContent,
    report: document.getElementById('result').hidden ? undefined : JSON.parse(document.getElementById('result').textContent),
  }));
}

test('inspector page: known entries show their kind and value', async () => {
  assert.match(await page.textContent('#version'), /^\d+\.\d+\.\d+/);
  for (const c of CASES) {
    const shown = await inspectInPage(c);
    assert.equal(shown.kind, c.kind, `${c.name}: ${shown.label}`);
    check(c, shown.report);
    const bytes = parseBytes(c.entry, c.encoding ?? 'auto');
    const webRing = c.masterKey ? web.protocol.keyring(c.masterKey, [], c.tenant ?? 'default') : undefined;
    assert.deepEqual(shown.report, JSON.parse(JSON.stringify(web.describeEntry(c.key, bytes, webRing, c.mode))), c.name);
  }
  assert.deepEqual(page.errors, []);
});

test('inspector page: unusable input is an error, not a crash', async () => {
  let shown = await inspectInPage({ entry: 'zz!', key: 'k' });
  assert.equal(shown.kind, 'error');
  assert.match(shown.label, /neither hex nor base64/);
  shown = await inspectInPage({ entry: valueVector.canonical_msgpack_hex, key: 'k', masterKey: '1234' });
  assert.equal(shown.kind, 'error');
  assert.match(shown.label, /invalid_master_key/);
  assert.deepEqual(page.errors, []);
});
