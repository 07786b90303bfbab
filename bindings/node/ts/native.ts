/**
 * The napi addon: loading it, and the {@link EngineBackend} and protocol primitives it
 * provides.
 *
 * @packageDocumentation
 */

import type { Engine, EngineBackend, EngineConfig, FastStart, InvalidateTarget, KeyRecipe, PlainRead, Reply, RequestOptions, RequestSpec, Step } from './engine';
import { errorFor, fromEngineError, guard } from './errors';
import { describe } from './redis';
import { envVar, loadEngineModule } from './loader';
import type { valueRuntime } from './values';

/** The addon's `Keyring` class. */
export interface NativeKeyring {
  readonly tenant: string;
  fingerprint(): Buffer;
  encrypt(aad: Uint8Array, plaintext: Uint8Array): Buffer;
  sealWithNonce(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer;
  decrypt(aad: Uint8Array, stored: Uint8Array): Buffer;
  entryEncode(value: unknown, mode: string, key: string): Buffer;
  entryDecode(bytes: Uint8Array, mode: string, key: string, exact?: boolean): unknown;
}

/** Everything the addon exports. */
export interface Addon {
  NativeEngine: new (config: EngineConfig) => Engine;
  Keyring: {
    new (masterKey: string | Uint8Array, previousKeys?: (string | Uint8Array)[] | null, tenant?: string): NativeKeyring;
    fromHex(current: string, previousCsv: string, tenant: string): NativeKeyring;
  };
  registerRuntime(runtime: typeof valueRuntime): void;
  version(): string;
  errorKinds(): { code: number; name: string; description: string }[];
  exactValue(value: unknown): unknown;
  serialize(value: unknown): Buffer;
  deserialize(bytes: Uint8Array, exact?: boolean): unknown;
  canonicalValue(value: unknown): Buffer;
  canonicalArgs(args: unknown[]): Buffer;
  interopDecode(bytes: Uint8Array, exact?: boolean): unknown;
  interopArgsHash(args: unknown[]): string;
  interopKey(namespace: string, operation: string, args: unknown[]): string;
  defaultKey(spec: Parameters<EngineBackend['defaultKey']>[0]): string;
  defaultKeyOf(namespace: string | null, fn: string, args: unknown[], integrity: boolean): string;
  envelopeStore(bytes: Uint8Array): Buffer;
  envelopeRetrieve(bytes: Uint8Array): Buffer;
  envelopeParse(bytes: Uint8Array): {
    compressedSize: number;
    originalSize: number;
    checksum: string;
    format: string;
    encoding: 'bin' | 'int-array';
  };
  entryEncode(value: unknown, mode: string, key: string): Buffer;
  entryDecode(bytes: Uint8Array, mode: string, key: string, exact?: boolean): unknown;
  aad(spec: { tenant: string; cacheKey: string; format: string; compressed: boolean; originalType?: string | null }): Buffer;
  deriveSalt(domain: string, tenant: string): Buffer;
  deriveKey(master: string | Uint8Array, domain: string, tenant: string): Buffer;
  keyFingerprint(key: Uint8Array): Buffer;
  checkMasterKey(key: string | Uint8Array): void;
  isPythonFrame(bytes: Uint8Array): boolean;
  inspectPythonFrame(
    bytes: Uint8Array,
    strict?: boolean,
  ): { ok: true; headerJson: string; serializer: string | null; payload: Buffer } | { ok: false; rejectedBy: string };
}

/** The two implementations of the engine: the napi addon and the WebAssembly module. */
export type EngineKind = 'napi' | 'wasm';

const loaded: Partial<Record<EngineKind, Addon>> = {};

/** The engine module of one kind (loaded once). */
export function addonOf(kind: EngineKind): Addon {
  const a = loaded[kind] ?? loadEngineModule(kind);
  loaded[kind] = a;
  return a;
}

let chosen: EngineKind | undefined;

/** The default engine: `$CACHEKIT_ENGINE` (`napi` or `wasm`) when set, else the napi addon
 * when it loads, else the WebAssembly module. */
export function defaultEngineKind(): EngineKind {
  if (chosen) return chosen;
  const env = envVar('CACHEKIT_ENGINE');
  if (env === 'napi' || env === 'wasm') {
    chosen = env;
  } else {
    try {
      addonOf('napi');
      chosen = 'napi';
    } catch (napi) {
      try {
        addonOf('wasm');
      } catch (wasm) {
        // Neither loads: say why for both (the napi failure is usually the one to fix).
        const why = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];
        throw new Error(`cachekit: no engine loads. napi addon: ${why(napi)}. WebAssembly engine: ${why(wasm)}`, { cause: napi });
      }
      chosen = 'wasm';
    }
  }
  return chosen;
}

/** The default engine module (see {@link defaultEngineKind}). */
export function addon(): Addon {
  return addonOf(defaultEngineKind());
}

/** Wraps an engine so errors it throws become `CachekitError`s. */
class GuardedEngine implements Engine {
  constructor(private readonly e: Engine) {}
  profile(o: RequestOptions): number {
    try {
      return this.e.profile(o);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  get(k: string, o?: RequestSpec): Step {
    try {
      return this.e.get(k, o);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  set(k: string, v: unknown, o?: RequestSpec): Step {
    try {
      return this.e.set(k, v, o);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  getOrCompute(k: string, o?: RequestSpec): Step {
    try {
      return this.e.getOrCompute(k, o);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  getFast(k: string, o?: RequestSpec): FastStart | PlainRead {
    try {
      return this.e.getFast(k, o);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  getOrComputeFast(k: string, o?: RequestSpec): FastStart {
    try {
      return this.e.getOrComputeFast(k, o);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  exists(k: string, o?: RequestSpec): Step {
    try {
      return this.e.exists(k, o);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  keyProfile(r: KeyRecipe, p: number): number {
    try {
      return this.e.keyProfile(r, p);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  callFast(r: number, args: unknown[]): string | [unknown] | (Step & { key: string }) {
    try {
      return this.e.callFast(r, args);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  refresh(k: string, o?: RequestSpec): Step {
    try {
      return this.e.refresh(k, o);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  delete(k: string, o?: RequestSpec): Step {
    try {
      return this.e.delete(k, o);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  invalidate(t: InvalidateTarget): Step {
    try {
      return this.e.invalidate(t);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  onReply(op: number, r: Reply): Step {
    try {
      return this.e.onReply(op, r);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  onReplyFast(op: number, r: Reply): FastStart {
    try {
      return this.e.onReplyFast(op, r);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  onError(op: number, m: string | null): Step {
    try {
      return this.e.onError(op, m);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  onComputed(op: number, v: unknown): Step {
    try {
      return this.e.onComputed(op, v);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  onComputeFailed(op: number, m: string): Step {
    try {
      return this.e.onComputeFailed(op, m);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  resume(op: number): Step {
    try {
      return this.e.resume(op);
    } catch (x) {
      throw fromEngineError(x);
    }
  }
  abandon(op: number) {
    return this.e.abandon(op);
  }
  pinLast() {
    return this.e.pinLast();
  }
  pinned(token: number) {
    return this.e.pinned(token);
  }
  unpin(token: number) {
    this.e.unpin(token);
  }
  pendingOps() {
    return this.e.pendingOps();
  }
  commandTimeout() {
    return this.e.commandTimeout();
  }
  metrics() {
    return this.e.metrics();
  }
  health() {
    return this.e.health();
  }
  encrypted() {
    return this.e.encrypted();
  }
  defaultTtl() {
    return this.e.defaultTtl();
  }
  mode() {
    return this.e.mode();
  }
}

function backendOver(get: () => Addon): EngineBackend {
  return {
    createEngine(config: EngineConfig): Engine {
      const a = get();
      return new GuardedEngine(guard(() => new a.NativeEngine(config)));
    },
    defaultKey(spec) {
      const a = get();
      try {
        if (spec.kwargs === undefined && spec.serializer === undefined) {
          return a.defaultKeyOf(spec.namespace ?? null, spec.function, spec.args ?? [], spec.integrity ?? true);
        }
        return a.defaultKey(spec);
      } catch (x) {
        throw fromEngineError(x);
      }
    },
    interopKey(namespace, operation, args) {
      return guard(() => get().interopKey(namespace, operation, args));
    },
  };
}

/** The default engine backend: the napi addon, or the WebAssembly module when the addon is
 * missing or `CACHEKIT_ENGINE=wasm` (see {@link defaultEngineKind}). */
export const nativeBackend: EngineBackend = backendOver(addon);
/** The napi addon, explicitly. */
export const napiBackend: EngineBackend = backendOver(() => addonOf('napi'));
/** The WebAssembly engine, explicitly. */
export const wasmBackend: EngineBackend = backendOver(() => addonOf('wasm'));

/** The backend an `engine` option names. */
export function resolveBackend(engine: EngineBackend | EngineKind | undefined): EngineBackend {
  if (engine === undefined) return nativeBackend;
  if (engine === 'napi') return napiBackend;
  if (engine === 'wasm') return wasmBackend;
  if (typeof engine !== 'object' || engine === null || typeof engine.createEngine !== 'function') {
    throw errorFor(100, `option engine must be 'napi', 'wasm' or an engine backend, got ${describe(engine)}`);
  }
  return engine;
}
