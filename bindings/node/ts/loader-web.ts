/**
 * The `cachekit/web` build's stand-in for `loader.ts`: the engine is the WebAssembly module,
 * initialised once by {@link initWasm}; there is no napi addon, no environment and no Redis
 * client to load by URL (give `createCache` a {@link RedisAdapter} instead).
 *
 * @packageDocumentation
 */

import init, * as wasm from 'cachekit-wasm-web';
import type { WasmSource } from 'cachekit-wasm-web';

import { errorFor } from './errors';
import type { Addon, EngineKind } from './native';
import type { RedisAdapter } from './redis';
import { valueRuntime } from './values';

export type { WasmSource };

let ready: Addon | undefined;
let starting: Promise<void> | undefined;

/**
 * Loads the engine. Call it once, and await it, before `createCache` or `protocol.*`.
 *
 * `source` is where the engine's `.wasm` comes from: by default `cachekit_wasm_bg.wasm` next to
 * this module (fetched relative to `import.meta.url`, which suits browsers and bundlers that copy
 * assets); a `WebAssembly.Module` where runtime compilation is not allowed (Cloudflare Workers
 * import the `.wasm` as a module); or its bytes (Node, Deno and Bun read the file).
 * Calling it again returns the first call's promise.
 */
export function initWasm(source?: WasmSource): Promise<void> {
  starting ??= init(source === undefined ? undefined : { module_or_path: source }).then(() => {
    const a = wasm as unknown as Addon;
    a.registerRuntime(valueRuntime);
    ready = a;
  });
  return starting;
}

/** Whether {@link initWasm} has finished. */
export function wasmReady(): boolean {
  return ready !== undefined;
}

/** The environment is not read in this build: every setting is an explicit option. */
export function envVar(_name: string): string | undefined {
  return undefined;
}

/** The WebAssembly engine once {@link initWasm} has finished. */
export function loadEngineModule(kind: EngineKind): Addon {
  if (kind === 'napi') {
    throw errorFor(100, "engine 'napi' is not available in the cachekit/web build: use 'wasm' (the default)");
  }
  if (!ready) throw errorFor(100, 'cachekit/web: call `await initWasm()` before creating a cache');
  return ready;
}

/** URLs need a Node Redis client; this build talks to Redis through an adapter. */
export async function adapterForUrl(url: string): Promise<RedisAdapter> {
  throw errorFor(
    100,
    `redis: a URL (${url}) needs ioredis or node-redis, which the cachekit/web build does not load; pass a RedisAdapter (see the README) or false`,
  );
}
