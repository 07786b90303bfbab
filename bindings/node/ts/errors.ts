/**
 * Error classes. Every error carries the core's stable numeric `code` and machine `kind`
 * (the table in `core/src/error.rs`); the class tells the family.
 *
 * @packageDocumentation
 */

/** code → [kind, description]; the same table as the core's (checked by the tests). */
export const ERROR_KINDS: Readonly<Record<number, string>> = Object.freeze({
  100: 'invalid_argument',
  101: 'integer_out_of_range',
  102: 'non_finite_float',
  103: 'unsupported_type',
  104: 'invalid_map_key',
  105: 'invalid_string',
  106: 'invalid_segment',
  107: 'invalid_temporal',
  108: 'invalid_ttl',
  109: 'value_too_large',
  200: 'malformed_msgpack',
  201: 'decode_bounds',
  202: 'trailing_bytes',
  203: 'invalid_sentinel',
  210: 'envelope_structure',
  211: 'envelope_size_limit',
  212: 'decompression_bomb',
  213: 'decompression_failed',
  214: 'checksum_mismatch',
  220: 'python_frame',
  221: 'python_frame_malformed',
  300: 'invalid_master_key',
  301: 'invalid_keyring',
  302: 'invalid_tenant',
  303: 'decryption_failed',
  304: 'ciphertext_too_short',
  305: 'nonce_exhausted',
  306: 'random_unavailable',
  307: 'encryption_required',
  400: 'circuit_open',
  401: 'overloaded',
  402: 'timeout',
  403: 'backend',
  404: 'lock_not_acquired',
  405: 'closed',
  406: 'compute_failed',
  500: 'internal',
});

const CODES: ReadonlyMap<string, number> = new Map(Object.entries(ERROR_KINDS).map(([c, k]) => [k, Number(c)]));

/** Base class of every cachekit error. */
export class CachekitError extends Error {
  /** The stable numeric code (e.g. `105`). */
  readonly code: number;
  /** The stable machine name (e.g. `"invalid_string"`). */
  readonly kind: string;
  constructor(code: number, kind: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.kind = kind;
  }
  override get name(): string {
    return this.constructor.name;
  }
}

/** 1xx: the call passed something invalid (a value that cannot be cached, a bad TTL, key or
 * option). */
export class UsageError extends CachekitError {}
/** 2xx (decode, integrity): stored bytes are unreadable. Cache reads treat these as misses;
 * only the protocol primitives throw them. */
export class DecodeError extends CachekitError {}
/** 3xx: key material or authentication. */
export class CryptoError extends CachekitError {}
/** `decryption_failed` (303): thrown by `get` only with `failClosed`. */
export class DecryptionError extends CryptoError {}
/** 4xx: Redis or the reliability layer refused or failed the call. */
export class BackendError extends CachekitError {}
/** `circuit_open` (400). */
export class CircuitOpenError extends BackendError {}
/** `timeout` (402). */
export class TimeoutError extends BackendError {}
/** `closed` (405): the cache was closed. */
export class ClosedError extends BackendError {}
/** `compute_failed` (406): a single-flight follower whose leader's computation threw. */
export class ComputeFailedError extends BackendError {}
/** 5xx: a bug in cachekit. */
export class InternalError extends CachekitError {}

/** Builds the right class for a code. */
export function errorFor(code: number, message: string, cause?: unknown): CachekitError {
  const kind = ERROR_KINDS[code] ?? 'internal';
  const opts = cause === undefined ? undefined : { cause };
  if (code === 303) return new DecryptionError(code, kind, message, opts);
  if (code === 400) return new CircuitOpenError(code, kind, message, opts);
  if (code === 402) return new TimeoutError(code, kind, message, opts);
  if (code === 405) return new ClosedError(code, kind, message, opts);
  if (code === 406) return new ComputeFailedError(code, kind, message, opts);
  if (code >= 100 && code < 200) return new UsageError(code, kind, message, opts);
  if (code >= 200 && code < 300) return new DecodeError(code, kind, message, opts);
  if (code >= 300 && code < 400) return new CryptoError(code, kind, message, opts);
  if (code >= 400 && code < 500) return new BackendError(code, kind, message, opts);
  return new InternalError(code === 500 ? 500 : code, kind, message, opts);
}

/** Builds the error for a machine name (`"invalid_ttl"`). */
export function errorForKind(kind: string, message: string, cause?: unknown): CachekitError {
  return errorFor(CODES.get(kind) ?? 500, message, cause);
}

/** Turns an error thrown by an engine (its `code` is the machine name) into a
 * `CachekitError`; other errors are returned unchanged. */
export function fromEngineError(e: unknown): unknown {
  if (e instanceof CachekitError) return e;
  if (e instanceof Error) {
    const kind = (e as { code?: unknown }).code;
    if (typeof kind === 'string' && CODES.has(kind)) return errorForKind(kind, e.message);
  }
  return e;
}

/** Runs `f`, rethrowing engine errors as `CachekitError`s. */
export function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw fromEngineError(e);
  }
}
