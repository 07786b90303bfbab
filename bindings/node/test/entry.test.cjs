// The CommonJS entry point and the ESM one expose the same module.
const assert = require('node:assert/strict');
const { test } = require('node:test');

test('require("cachekit") and import("cachekit") share one module', async () => {
  const cjs = require('../dist/index.js');
  const esm = await import('../dist/index.mjs');
  assert.equal(typeof cjs.createCache, 'function');
  assert.equal(esm.createCache, cjs.createCache);
  assert.equal(esm.CachekitError, cjs.CachekitError);
  const cache = cjs.createCache({ redis: false });
  await cache.set('k', 1);
  assert.equal(await cache.get('k'), 1);
  await cache.close();
});
