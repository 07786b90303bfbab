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

export {
  Cache,
  createCache,
  engineConfig,
  type CacheHealth,
  type CacheOptions,
  type EncryptionOptions,
  type ErrorContext,
  type InteropOptions,
  type InvalidateOptions,
  type Preset,
  type SetOptions,
  type WrapOptions,
} from './cache';
export {
  BackendError,
  CachekitError,
  CircuitOpenError,
  ClosedError,
  ComputeFailedError,
  CryptoError,
  DecodeError,
  DecryptionError,
  ERROR_KINDS,
  InternalError,
  TimeoutError,
  UsageError,
  errorFor,
} from './errors';
export { Ext, Float, IsoDateTime, LocalDate, LocalTime, MapEntries, Uuid } from './values';
export type * from './engine';
export { Driver } from './driver';
export { adapterFor, hashSlot, memoryAdapter, type RedisAdapter, type RedisClientLike } from './redis';
export { defaultEngineKind, nativeBackend, wasmBackend, type EngineKind } from './native';
export * as protocol from './protocol';
export { fromHex, fromTagged, toHex, toTagged } from './tagged';
export { describeEntry, guessMode } from './inspect';
export { initWasm, wasmReady, type WasmSource } from './loader-web';
