// `npm pack` / `npm publish` guard: the package is only complete with the napi addon, the
// TypeScript build, the web build and the WebAssembly fallback engine. Refuses to pack
// without any of them (a package without wasm/ would fail to load where the addon does not).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const needed = {
  'cachekit.node': 'npm run build',
  'dist/index.js': 'npm run build',
  'dist/index.mjs': 'npm run build',
  'dist/web.mjs': 'bindings/wasm/build.sh, then npm run build:web',
  'dist/cachekit_wasm_bg.wasm': 'bindings/wasm/build.sh, then npm run build:web',
  'wasm/cachekit_wasm.js': 'bindings/wasm/build.sh, then npm run build:web',
  'wasm/cachekit_wasm_bg.wasm': 'bindings/wasm/build.sh, then npm run build:web',
};
const missing = Object.entries(needed).filter(([f]) => !existsSync(join(here, f)));
if (missing.length > 0) {
  for (const [f, how] of missing) console.error(`prepack: ${f} is missing (${how})`);
  process.exit(1);
}
