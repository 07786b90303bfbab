/**
 * Tagged JSON (the conformance vectors' notation): plain JSON plus `{"$int": "…"}`,
 * `{"$float": "…"}`, `{"$bytes": "hex"}`, `{"$datetime"|"$date"|"$time"|"$uuid": "…"}`,
 * `{"$set": […]}`, `{"$map": [[k, v], …]}`. Used by the CLI to read and print values
 * exactly, and by the inspector page. Runtime-neutral.
 *
 * @packageDocumentation
 */

import { Ext, Float, IsoDateTime, LocalDate, LocalTime, MapEntries, Uuid } from './values';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Bytes → lowercase hex. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Hex → bytes; throws a `TypeError` on anything but pairs of hex digits. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError(`not hex: ${hex.slice(0, 32)}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A tagged JSON document (already `JSON.parse`d) → a value for the cache. */
export function fromTagged(j: unknown): unknown {
  if (j === null || typeof j === 'boolean' || typeof j === 'string') return j;
  if (typeof j === 'number') return Number.isInteger(j) ? j : j;
  if (Array.isArray(j)) return j.map(fromTagged);
  if (typeof j !== 'object') throw new TypeError(`not JSON: ${String(j)}`);
  const entries = Object.entries(j as Record<string, unknown>);
  if (entries.length === 1 && entries[0]![0].startsWith('$')) {
    const [tag, v] = entries[0]!;
    const text = () => {
      if (typeof v !== 'string') throw new TypeError(`${tag} expects a string`);
      return v;
    };
    switch (tag) {
      case '$int':
        return BigInt(text());
      case '$float': {
        const t = text();
        const special: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };
        return new Float(t in special ? special[t]! : Number(t));
      }
      case '$bytes':
        return fromHex(text());
      case '$datetime':
        return new IsoDateTime(text());
      case '$date':
        return new LocalDate(text());
      case '$time':
        return new LocalTime(text());
      case '$uuid':
        return new Uuid(text());
      case '$set':
        return new Set((v as unknown[]).map(fromTagged));
      case '$map':
        return new MapEntries((v as [unknown, unknown][]).map(([k, x]) => [fromTagged(k), fromTagged(x)]));
      default:
        throw new TypeError(`unknown tag ${tag}`);
    }
  }
  return new MapEntries(entries.map(([k, x]) => [k, fromTagged(x)]));
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An exact value (as the protocol primitives return with `exact: true`) → tagged JSON. */
export function toTagged(v: unknown): Json {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return v >= -SAFE && v <= SAFE ? Number(v) : { $int: v.toString() };
  if (typeof v === 'number') return toTagged(new Float(v));
  if (v instanceof Float) {
    const x = v.value;
    if (Number.isNaN(x)) return { $float: 'nan' };
    if (!Number.isFinite(x)) return { $float: x > 0 ? 'inf' : '-inf' };
    const t = Object.is(x, -0) ? '-0.0' : Number.isInteger(x) && Math.abs(x) < 1e16 ? `${x}.0` : String(x);
    return { $float: t };
  }
  if (v instanceof Uint8Array) return { $bytes: toHex(v) };
  if (Array.isArray(v)) return v.map(toTagged);
  if (v instanceof Set) return { $set: [...v].map(toTagged) };
  if (v instanceof IsoDateTime) return { $datetime: v.value };
  if (v instanceof LocalDate) return { $date: v.value };
  if (v instanceof LocalTime) return { $time: v.value };
  if (v instanceof Uuid) return { $uuid: v.value };
  if (v instanceof Ext) return { $ext: [v.type, toHex(v.data)] } as Json;
  const entries: [unknown, unknown][] =
    v instanceof MapEntries ? v.entries : v instanceof Map ? [...v.entries()] : Object.entries(v as object);
  const plain = entries.every(([k]) => typeof k === 'string' && !/^\d+$/.test(k)) && !(entries.length === 1 && String(entries[0]![0]).startsWith('$'));
  const keys = new Set(entries.map(([k]) => k));
  if (plain && keys.size === entries.length) {
    const o: Record<string, Json> = {};
    for (const [k, x] of entries) o[k as string] = toTagged(x);
    return o;
  }
  return { $map: entries.map(([k, x]) => [toTagged(k), toTagged(x)]) };
}
