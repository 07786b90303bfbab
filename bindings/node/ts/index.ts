/**
 * cachekit for Node.js: one Rust core, every language's cache.
 *
 * ```ts
 * import { createCache } from 'cachekit';
 * const cache = createCache({ redis: process.env.REDIS_URL, namespace: 'app' });
 * ```
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
export { adapterFor, bySlot, hashSlot, isRedisAdapter, memoryAdapter, type RedisAdapter, type RedisClientLike } from './redis';
export { defaultEngineKind, nativeBackend, napiBackend, wasmBackend, type EngineKind } from './native';
export * as protocol from './protocol';
export { fromHex, fromTagged, toHex, toTagged } from './tagged';
export { describeEntry, guessMode } from './inspect';
