// The Cloudflare Workers (workerd) entry: the engine's .wasm is imported as a compiled module
// (Workers forbid compiling WebAssembly from bytes at run time), the request body carries the
// expected figures, the response the check's result.
import engine from './cachekit_wasm_bg.wasm';
import * as ck from './web.mjs';
import { check } from './check.mjs';

export default {
  async fetch(request) {
    try {
      await ck.initWasm(engine);
      return Response.json({ ok: true, ...(await check(ck, await request.json())) });
    } catch (e) {
      return Response.json({ ok: false, error: String(e?.stack ?? e) });
    }
  },
};
