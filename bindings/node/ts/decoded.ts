/**
 * Decoded values of L1 hits, kept so a repeated hit is a copy instead of a decode.
 *
 * An L1 hit decodes the stored entry (envelope, LZ4, xxHash3, MessagePack) and builds the
 * JavaScript value from its JSON text, every time. For a value that JSON says exactly (plain
 * objects, arrays, strings, finite numbers, booleans, null) this module keeps the decoded
 * value, pinned to the L1 entry it came from ({@link Engine.pinLast}), and answers the next
 * call with the same arguments by asking the engine whether L1 still holds *that entry*
 * ({@link Engine.pinned}: one lookup, no decode, counted as an L1 hit) and returning a fresh
 * copy. Nothing here decodes, hashes or decides freshness: expiry, eviction, invalidation
 * and replacement all live in the core's L1, and a value is never served unless the engine
 * just confirmed its entry. Each caller gets its own copy, so mutating a returned value
 * never changes what another caller sees.
 *
 * Off with encryption (the L1 holds only ciphertext there, SPEC §8 `secure`) and with
 * `l1: false`; its budget is `l1.decodedBytes`.
 *
 * @packageDocumentation
 */

import type { Engine } from './engine';

/** What {@link DecodedValues.get} returns when it holds nothing usable. */
export const MISS: unique symbol = Symbol('cachekit.miss');

/** Default budget of kept values, in characters of their JSON text. */
export const DEFAULT_DECODED_BYTES = 8 << 20;

/** What each kept value costs beyond its JSON text (map entry, token, the engine's pin), in
 * the budget's units: it bounds how many tiny values are kept. */
export const PER_VALUE_CHARS = 64;

interface Kept {
  token: number;
  value: unknown;
  size: number;
}

/** Decoded L1 hit values by call signature ({@link argsSignature}), bounded by a budget in
 * characters of JSON text plus {@link PER_VALUE_CHARS} per value (oldest kept first out). */
export class DecodedValues {
  private readonly kept = new Map<string, Kept>();
  private size = 0;
  private readonly maxEntry: number;

  constructor(
    private readonly engine: Engine,
    private readonly budget: number,
  ) {
    this.maxEntry = Math.floor(budget / 16);
  }

  /** A copy of the value kept under `sig` while L1 still holds its entry, else {@link MISS}. */
  get(sig: string): unknown {
    const k = this.kept.get(sig);
    if (k === undefined) return MISS;
    if (this.engine.pinned(k.token)) return copy(k.value);
    // The engine freed the token: the entry expired, left or was replaced.
    this.kept.delete(sig);
    this.size -= k.size;
    return MISS;
  }

  /** The value of the L1 hit the engine just returned as JSON `text` (the call before this
   * one must be that fast start); kept under `sig` when it fits the budget. */
  keep(sig: string, text: string): unknown {
    const value: unknown = JSON.parse(text);
    if (text.length > this.maxEntry) return value;
    const size = text.length + PER_VALUE_CHARS;
    const token = this.engine.pinLast();
    if (token < 0) return value;
    this.drop(sig);
    for (const [oldest] of this.kept) {
      if (this.size + size <= this.budget) break;
      this.drop(oldest);
    }
    this.kept.set(sig, { token, value: copy(value), size });
    this.size += size;
    return value;
  }

  /** Values kept, what they take of the budget, and the budget. */
  stats(): { values: number; chars: number; budget: number } {
    return { values: this.kept.size, chars: this.size, budget: this.budget };
  }

  /** Drops every kept value. */
  clear(): void {
    for (const k of this.kept.values()) this.engine.unpin(k.token);
    this.kept.clear();
    this.size = 0;
  }

  private drop(sig: string): void {
    const k = this.kept.get(sig);
    if (k === undefined) return;
    this.kept.delete(sig);
    this.size -= k.size;
    this.engine.unpin(k.token);
  }
}

/**
 * A signature of a call's key arguments, unique per argument list, so equal signatures mean
 * equal keys: `prefix` (the wrapper's key recipe) then each argument tagged by type.
 * `undefined` when an argument is not a string, number, boolean, null or undefined (objects
 * and the rest are keyed by the engine every time), or is `-0`.
 */
export function argsSignature(prefix: string, args: readonly unknown[]): string | undefined {
  let s = prefix;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    switch (typeof a) {
      case 'string':
        s += 's' + a.length + ':' + a;
        break;
      case 'number':
        if (a === 0 && 1 / a < 0) return undefined;
        s += 'n' + a + ';';
        break;
      case 'boolean':
        s += a ? 't' : 'f';
        break;
      case 'undefined':
        s += 'u';
        break;
      case 'object':
        if (a !== null) return undefined;
        s += 'z';
        break;
      default:
        return undefined;
    }
  }
  return s;
}

/** A deep copy of a value `JSON.parse` built (plain objects, arrays, primitives), keeping own
 * `__proto__` keys as own properties. */
export function copy(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(copy);
  const src = v as Record<string, unknown>;
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(src)) {
    const x = copy(src[k]);
    if (k === '__proto__') Object.defineProperty(o, k, { value: x, writable: true, enumerable: true, configurable: true });
    else o[k] = x;
  }
  return o;
}
