// Runs the cachekit/web bundle (bindings/node/dist/web.mjs) in every JavaScript runtime we can
// install from npm: Node, Deno, Bun and Cloudflare's workerd (through miniflare). Each runs
// check.mjs against figures the napi engine computed for the same inputs, and the encrypted
// entry each one wrote is decrypted by the napi engine. Exits 1 on any mismatch.
// Needs: bindings/node built with its addon and `node scripts/build-web.mjs`; `npm ci` here.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

import { expected, verifyStored } from './expected.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, '..', '..', 'node', 'dist');
const web = join(dist, 'web.mjs');
const wasm = join(dist, 'cachekit_wasm_bg.wasm');
const bin = (name) => join(here, 'node_modules', '.bin', name);

const arg = JSON.stringify(expected);

function spawnCheck(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    return { ok: false, error: `exit ${r.status}: ${r.stderr || r.stdout}`.slice(0, 2000) };
  }
}

async function workerd() {
  const mf = new Miniflare({
    compatibilityDate: '2025-09-01',
    modules: [
      { type: 'ESModule', path: join(here, 'worker.mjs'), contents: readFileSync(join(here, 'worker.mjs'), 'utf8') },
      { type: 'ESModule', path: join(here, 'web.mjs'), contents: readFileSync(web, 'utf8') },
      { type: 'ESModule', path: join(here, 'check.mjs'), contents: readFileSync(join(here, 'check.mjs'), 'utf8') },
      { type: 'CompiledWasm', path: join(here, 'cachekit_wasm_bg.wasm'), contents: readFileSync(wasm) },
    ],
  });
  try {
    const res = await mf.dispatchFetch('http://localhost/', { method: 'POST', body: arg });
    return await res.json();
  } finally {
    await mf.dispose();
  }
}

const runtimes = {
  node: () => spawnCheck(process.execPath, [join(here, 'main.mjs'), web, wasm, arg]),
  deno: () => spawnCheck(bin('deno'), ['run', `--allow-read=${dist}`, join(here, 'main.mjs'), web, wasm, arg]),
  bun: () => spawnCheck(bin('bun'), [join(here, 'main.mjs'), web, wasm, arg]),
  workerd,
};

let failed = 0;
for (const [name, run] of Object.entries(runtimes)) {
  const r = await run();
  if (r.ok) {
    const why = verifyStored(r);
    if (why) Object.assign(r, { ok: false, error: `${name}'s encrypted entry: ${why}` });
  }
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${name}${r.ok ? '' : `\n${r.error}`}`);
  if (!r.ok) failed++;
}
process.exit(failed ? 1 : 0);
