/**
 * What both package entries export (`cachekit` on Node, `cachekit/web` elsewhere): everything
 * but how the engine is loaded. `napiBackend` is here too; in the web build, creating an engine
 * with it throws a `UsageError`.
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
  type L1Options,
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
