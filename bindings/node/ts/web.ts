/**
 * cachekit for browsers, edge runtimes (Cloudflare Workers, Deno Deploy), Deno and Bun: the
 * same SDK as the Node entry on the WebAssembly engine, with no Node built-ins.
 *
 * ```ts
 * import { initWasm, createCache } from 'cachekit/web';
 * await initWasm(); // or initWasm(wasmModule) / initWasm(bytes)
 * const cache = createCache({ namespace: 'app', redis: myAdapter }); // or redis: false (L1 only)
 * ```
 *
 * Differences from the Node entry, all forced by the runtime: the engine must be loaded first
 * ({@link initWasm}); Redis is reached through a {@link RedisAdapter} you pass (no URLs, no
 * ioredis/node-redis loading); environment variables are not read (pass `encryption.masterKey`
 * and the rest as options); bytes come back as `Uint8Array`, not `Buffer`.
 *
 * @packageDocumentation
 */

export * from './common';
export { initWasm, wasmReady, type WasmSource } from './loader-web';
