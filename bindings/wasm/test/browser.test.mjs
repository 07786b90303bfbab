// The WASM `web` build in a real browser (headless Chromium): every conformance vector the
// Node runners check, through the same checks (conformance/runners/vectors.mjs), and engine
// round trips (L1-only, then encrypted through a page-local store). Any mismatch fails, and
// each failing vector is printed as the runners print it (`FAIL file:section/name: why`).
//
//   node --test bindings/wasm/test/browser.test.mjs    (after bindings/wasm/build.sh)
//
// A tiny static server (inspector/serve.mjs) on a free loopback port serves the repository's
// bindings/wasm/ and conformance/ to the page (test/browser/index.html).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { serveStatic } from '../inspector/serve.mjs';
import { launchChromium } from './chromium.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const vectorDir = new URL('../../../conformance/vectors/', import.meta.url);
const files = readdirSync(vectorDir).filter((f) => f.endsWith('.json')).sort();

let server;
let browser;
let page;

before(async () => {
  server = await serveStatic({ root, prefixes: ['/bindings/wasm/', '/bindings/node/dist/', '/conformance/'] });
  browser = await launchChromium();
  page = await browser.open(`${server.url}/bindings/wasm/test/browser/`);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

let browserRun;

test('browser: every conformance vector through the web build', async () => {
  browserRun = await page.evaluate((f) => window.cachekitChecks.vectors(f), files);
  const { passed, failed, skipped, lines } = browserRun;
  for (const line of lines) console.log(line);
  console.log(`browser (${await page.evaluate(() => navigator.userAgent)}): ${passed} passed, ${failed} failed, ${skipped} skipped`);
  assert.deepEqual(page.errors, []);
  assert.ok(passed > 500, `only ${passed} vectors ran`);
  assert.equal(failed, 0, `${failed} vector checks failed in the browser (the FAIL lines above)`);
});

test('browser: the same verdicts as the Node wasm runner, line for line', async (t) => {
  const dist = fileURLToPath(new URL('../../node/dist/index.js', import.meta.url));
  const pkg = fileURLToPath(new URL('../pkg-nodejs/cachekit_wasm.js', import.meta.url));
  if (!existsSync(dist)) throw new Error('bindings/node/dist is missing: run `npx tsc -p tsconfig.json` in bindings/node (test.sh does)');
  assert.ok(browserRun, 'the vector run above did not finish');
  const node = spawnSync(process.execPath, [fileURLToPath(new URL('../../../conformance/runners/node.mjs', import.meta.url)), ...files.map((f) => fileURLToPath(new URL(f, vectorDir)))], {
    env: { ...process.env, CACHEKIT_ENGINE: 'wasm', CACHEKIT_WASM_PKG: pkg },
    encoding: 'utf8',
  });
  const nodeLines = node.stdout.trim().split('\n');
  const summary = nodeLines.pop();
  const { passed, failed, skipped } = browserRun;
  t.diagnostic(`node wasm runner: ${summary}`);
  assert.deepEqual(browserRun.lines, nodeLines);
  assert.equal(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`, summary);
});

test('browser: engine round trips through the web build (L1-only, encrypted)', async () => {
  const results = await page.evaluate(() => window.cachekitChecks.roundTrip());
  for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.detail ? `: ${r.detail}` : ''}`);
  assert.ok(results.length >= 8);
  assert.deepEqual(
    results.filter((r) => !r.ok),
    [],
  );
  assert.deepEqual(page.errors, []);
});

test('browser: the cachekit/web SDK (initWasm fetching its .wasm, createCache) passes the runtime checks', async () => {
  // The same checks Node, Deno, Bun and workerd run (runtimes/run.mjs), against the napi
  // engine's figures; the encrypted entry the browser wrote is then decrypted natively.
  const { expected, verifyStored } = await import('../runtimes/expected.mjs');
  const r = await page.evaluate(async (want) => {
    try {
      const ck = await import('/bindings/node/dist/web.mjs');
      const { check } = await import('/bindings/wasm/runtimes/check.mjs');
      await ck.initWasm();
      return { ok: true, ...(await check(ck, want)) };
    } catch (e) {
      return { ok: false, error: String(e?.stack ?? e) };
    }
  }, expected);
  assert.equal(r.error, undefined);
  assert.equal(verifyStored(r), null);
  assert.deepEqual(page.errors, []);
});
