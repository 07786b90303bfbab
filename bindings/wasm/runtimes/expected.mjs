// The napi engine's side of the runtime checks (check.mjs): the figures every runtime must
// reproduce, and the decryption of the entry each one wrote. Used by run.mjs and by the
// browser test (bindings/wasm/test/browser.test.mjs).
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { sample } from './check.mjs';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node', 'dist');
process.env.CACHEKIT_ENGINE = 'napi';
const ck = createRequire(import.meta.url)(join(dist, 'index.js'));
const hex = (u8) => Buffer.from(u8).toString('hex');
const key = 'ns:rt:func:f:args:0123456789abcdef';
const masterKey = '5a'.repeat(32);
const v = sample(ck);

/** What check.mjs compares against, computed by the napi engine. */
export const expected = {
  coreVersion: ck.protocol.coreVersion(),
  serialize: hex(ck.protocol.serialize(v)),
  interopKey: ck.protocol.interopKey('billing', 'invoice_total', [7, 'EUR']),
  entry: hex(ck.protocol.entryEncode(v, 'default', key)),
  key,
  masterKey,
};

const ring = ck.protocol.keyring(masterKey, [], 'acme');

/** Decrypts, with the napi engine, the entry a runtime's check wrote; `null` when it reads
 * back as the sample, else what went wrong. */
export function verifyStored({ storedKey, stored }) {
  try {
    const back = ring.entryDecode(Buffer.from(stored, 'hex'), 'default', storedKey);
    return back.byId.get(2) === 'two' && back.big === v.big ? null : 'napi decrypted a different value';
  } catch (e) {
    return `napi could not decrypt it: ${e.message}`;
  }
}
