/**
 * The napi addon: loading it, and the {@link EngineBackend} and protocol primitives it
 * provides.
 *
 * @packageDocumentation
 */

import { createRequire } from 'node:module';
import { join } from 'node:path';

import type { Engine, EngineBackend, EngineConfig } from './engine';
import { guard } from './errors';
import { valueRuntime } from './values';

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

let loaded: Addon | undefined;

/** Loads the addon: `$CACHEKIT_NODE_ADDON`, else `cachekit.node` next to package.json. */
export function addon(): Addon {
  if (loaded) return loaded;
  const req = createRequire(__filename);
  const path = process.env.CACHEKIT_NODE_ADDON || join(__dirname, '..', 'cachekit.node');
  const a = req(path) as Addon;
  a.registerRuntime(valueRuntime);
  loaded = a;
  return a;
}

/** Wraps an engine so errors it throws become `CachekitError`s. */
function guarded(e: Engine): Engine {
  return {
    get: (k, o) => guard(() => e.get(k, o)),
    set: (k, v, o) => guard(() => e.set(k, v, o)),
    getOrCompute: (k, o) => guard(() => e.getOrCompute(k, o)),
    refresh: (k, o) => guard(() => e.refresh(k, o)),
    delete: (k, o) => guard(() => e.delete(k, o)),
    invalidate: (t) => guard(() => e.invalidate(t)),
    onReply: (op, r) => guard(() => e.onReply(op, r)),
    onError: (op, m) => guard(() => e.onError(op, m)),
    onComputed: (op, v) => guard(() => e.onComputed(op, v)),
    onComputeFailed: (op, m) => guard(() => e.onComputeFailed(op, m)),
    resume: (op) => guard(() => e.resume(op)),
    abandon: (op) => e.abandon(op),
    pendingOps: () => e.pendingOps(),
    commandTimeout: () => e.commandTimeout(),
    metrics: () => e.metrics(),
    health: () => e.health(),
    encrypted: () => e.encrypted(),
    defaultTtl: () => e.defaultTtl(),
    mode: () => e.mode(),
  };
}

/** The napi engine backend. */
export const nativeBackend: EngineBackend = {
  createEngine(config: EngineConfig): Engine {
    const a = addon();
    return guarded(guard(() => new a.NativeEngine(config)));
  },
  defaultKey(spec) {
    return guard(() => addon().defaultKey(spec));
  },
  interopKey(namespace, operation, args) {
    return guard(() => addon().interopKey(namespace, operation, args));
  },
};
