// Entry point for Node, Deno and Bun: `<runtime> main.mjs WEB_MJS WASM EXPECTED_JSON`.
// Loads the cachekit/web bundle, initialises it from the .wasm file's bytes, runs check.mjs,
// and prints its result as one JSON line (or exits 1 with the error).
import { check } from './check.mjs';

const args = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2);
const [web, wasm, expected] = args;
const read = globalThis.Deno
  ? (p) => globalThis.Deno.readFile(p)
  : async (p) => new Uint8Array(await (await import('node:fs/promises')).readFile(p));
try {
  const ck = await import(new URL(`file://${web}`).href);
  await ck.initWasm(await read(wasm));
  console.log(JSON.stringify({ ok: true, ...(await check(ck, JSON.parse(expected))) }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e?.stack ?? e) }));
  if (globalThis.Deno) globalThis.Deno.exit(1);
  else process.exit(1);
}
