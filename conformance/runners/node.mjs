// The node binding's conformance runner (conformance/runners/node runs it; so does
// conformance/runners/wasm, with CACHEKIT_ENGINE=wasm): every vector schema of VECTORS.md
// through the npm package's public surface (its protocol primitives and value classes), never
// through Rust directly. The checks themselves are conformance/runners/vectors.mjs, shared
// with the browser test of the WASM `web` build.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createRunner, summaryLine } from './vectors.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = createRequire(import.meta.url)(join(here, '..', '..', 'bindings', 'node', 'dist', 'index.js'));
const { protocol, Float, IsoDateTime, LocalDate, LocalTime, Uuid, MapEntries, Ext } = pkg;

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: conformance/runners/node FILE...');
  process.exit(2);
}
const runner = createRunner({
  protocol,
  values: { Float, IsoDateTime, LocalDate, LocalTime, Uuid, MapEntries, Ext },
  log: (line) => console.log(line),
});
const total = { passed: 0, failed: 0, skipped: 0 };
for (const path of files) {
  const r = runner.runFile(basename(path), () => readFileSync(path, 'utf8'));
  total.passed += r.passed;
  total.failed += r.failed;
  total.skipped += r.skipped;
}
console.log(summaryLine(total));
process.exitCode = total.failed > 0 ? 1 : 0;
