/**
 * What the package needs from Node itself: loading the engine modules from disk, reading the
 * environment, and connecting to a Redis URL with whichever client is installed. Everything
 * else in the package is runtime-neutral; the `cachekit/web` build replaces this module with
 * `loader-web.ts`.
 *
 * @packageDocumentation
 */

import { createRequire } from 'node:module';
import { join } from 'node:path';

import type { Addon, EngineKind } from './native';
import { ioredisAdapter, nodeRedisAdapter, type RedisAdapter } from './redis';
import { valueRuntime } from './values';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** An environment variable, or `undefined` when unset. */
export function envVar(name: string): string | undefined {
  return process.env[name];
}

/** Loads the engine module of one kind from disk and registers the value runtime with it. */
export function loadEngineModule(kind: EngineKind): Addon {
  return kind === 'wasm' ? loadWasm() : loadNapi();
}

/** Loads the napi addon: `$CACHEKIT_NODE_ADDON`, else `cachekit.node` next to package.json. */
function loadNapi(): Addon {
  const req = createRequire(__filename);
  const path = process.env.CACHEKIT_NODE_ADDON || join(__dirname, '..', 'cachekit.node');
  const a = req(path) as Addon;
  a.registerRuntime(valueRuntime);
  return a;
}

/** Loads the WebAssembly module (wasm-bindgen `nodejs` build): `$CACHEKIT_WASM_PKG`, else
 * `wasm/` next to package.json (where `npm run build:web` copies it, and what the package
 * ships), else the repository's `bindings/wasm/pkg-nodejs`. */
function loadWasm(): Addon {
  const req = createRequire(__filename);
  const env = process.env.CACHEKIT_WASM_PKG;
  const candidates = env
    ? [env]
    : [join(__dirname, '..', 'wasm', 'cachekit_wasm.js'), join(__dirname, '..', '..', 'wasm', 'pkg-nodejs', 'cachekit_wasm.js')];
  let last: unknown;
  for (const path of candidates) {
    try {
      const a = req(path) as Addon;
      const bytes = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
      a.registerRuntime({ ...valueRuntime, bytes } as typeof valueRuntime);
      return a;
    } catch (e) {
      last = e;
    }
  }
  throw last;
}


/** Connects to a URL with ioredis when installed, else node-redis. */
export async function adapterForUrl(url: string): Promise<RedisAdapter> {
  const req = createRequire(__filename);
  const tryRequire = (name: string): Any => {
    try {
      return req(name);
    } catch {
      try {
        return createRequire(process.cwd() + '/')(name);
      } catch {
        return undefined;
      }
    }
  };
  const io = tryRequire('ioredis');
  if (io) {
    const Redis = io.default ?? io.Redis ?? io;
    const client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: true });
    client.on('error', () => {});
    return ioredisAdapter(client, true);
  }
  const nr = tryRequire('redis');
  if (nr) {
    const client = nr.createClient({ url, socket: { reconnectStrategy: (n: number) => Math.min(n * 100, 2000) } });
    client.on('error', () => {});
    await client.connect();
    return nodeRedisAdapter(client, true);
  }
  throw new Error(`redis: a URL (${url}) needs the ioredis or redis package installed`);
}
