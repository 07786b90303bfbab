// describe.mjs: what a stored cachekit entry is, and its value — the browser twin of the CLI's
// `cachekit inspect` (describeEntry in bindings/node/ts/cli.ts), returning the same object
// field for field (bindings/wasm/test/inspector.test.mjs checks both agree on the same
// entries). Every byte is judged by the core through the protocol primitives: the cachekit-py
// frame inspector, then the entry reader of each mode (the one the key's shape suggests
// first), with and without the keyring; this file only decides the order of the attempts and
// shapes the report.
//
// The one difference: the `note` of an `encrypted?` entry asks for the master key, not
// `--master-key`.
//
// No DOM and no Node APIs: the inspector page and the Node tests both import it.

/** `{ns}:{op}:{64 hex}`: an interop/v1 key (SPEC §5). */
const INTEROP_KEY = /^[a-z0-9][a-z0-9._-]{0,63}:[a-z0-9][a-z0-9._-]{0,63}:[0-9a-f]{64}$/;
const MODES = ['interop', 'default', 'default-no-integrity'];

/** The entry mode a key's shape suggests (the CLI's guess). */
export function guessMode(key) {
  if (INTEROP_KEY.test(key) && !key.startsWith('ns:') && !key.startsWith('nsapi:')) return 'interop';
  if (/:0[a-z][0-9a-f]{0,4}$/.test(key)) return 'default-no-integrity';
  return 'default';
}

const hexOf = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * An exact value (as the primitives return with `exact: true`) → tagged JSON, the CLI's
 * notation: plain JSON plus `{"$int"}`, `{"$float"}`, `{"$bytes": hex}`, `{"$datetime"}`,
 * `{"$date"}`, `{"$time"}`, `{"$uuid"}`, `{"$set"}`, `{"$map"}`, `{"$ext"}`.
 */
export function toTagged(v, values) {
  const { Float, IsoDateTime, LocalDate, LocalTime, Uuid, Ext, MapEntries } = values;
  const t = (x) => toTagged(x, values);
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return v >= -SAFE && v <= SAFE ? Number(v) : { $int: v.toString() };
  if (typeof v === 'number') return t(new Float(v));
  if (v instanceof Float) {
    const x = v.value;
    if (Number.isNaN(x)) return { $float: 'nan' };
    if (!Number.isFinite(x)) return { $float: x > 0 ? 'inf' : '-inf' };
    const text = Object.is(x, -0) ? '-0.0' : Number.isInteger(x) && Math.abs(x) < 1e16 ? `${x}.0` : String(x);
    return { $float: text };
  }
  if (v instanceof Uint8Array) return { $bytes: hexOf(v) };
  if (Array.isArray(v)) return v.map(t);
  if (v instanceof Set) return { $set: [...v].map(t) };
  if (v instanceof IsoDateTime) return { $datetime: v.value };
  if (v instanceof LocalDate) return { $date: v.value };
  if (v instanceof LocalTime) return { $time: v.value };
  if (v instanceof Uuid) return { $uuid: v.value };
  if (v instanceof Ext) return { $ext: [v.type, hexOf(v.data)] };
  const entries = v instanceof MapEntries ? v.entries : v instanceof Map ? [...v.entries()] : Object.entries(v);
  const plain =
    entries.every(([k]) => typeof k === 'string' && !/^\d+$/.test(k)) &&
    !(entries.length === 1 && String(entries[0][0]).startsWith('$'));
  if (plain && new Set(entries.map(([k]) => k)).size === entries.length) {
    const o = {};
    for (const [k, x] of entries) o[k] = t(x);
    return o;
  }
  return { $map: entries.map(([k, x]) => [t(k), t(x)]) };
}

/**
 * What stored bytes are: `{key, bytes, kind, …}` with `kind` one of `python-frame`,
 * `interop`, `envelope` (default mode, ByteStorage envelope), `msgpack` (default mode without
 * integrity), `encrypted?` (unreadable without a key and long enough to be one) or
 * `unreadable`; readable entries carry `mode`, `encrypted` and `value` (tagged JSON).
 * @param {object} P the protocol primitives (`loadCachekit().protocol`, or the npm package's)
 * @param {object} values the value classes those primitives build
 * @param {string} key the cache key (the Redis key): part of the AAD of encrypted entries
 * @param {Uint8Array} bytes the stored entry
 * @param {object} [ring] a keyring (`P.keyring(masterKey, [], tenant)`) for encrypted entries
 * @param {string} [mode] the entry mode, when known (else every mode is tried)
 */
export function describeEntry(P, values, key, bytes, ring, mode) {
  const out = { key, bytes: bytes.length };
  if (P.isPythonFrame(bytes)) {
    const f = P.inspectPythonFrame(bytes);
    out.kind = 'python-frame';
    out.note = 'written by cachekit-py default mode: Python-internal, not readable by other SDKs (share through interop mode)';
    if (f.ok) {
      out.header = JSON.parse(f.headerJson);
      out.serializer = f.serializer;
      out.payloadBytes = f.payload.length;
    } else out.rejectedBy = f.rejectedBy;
    return out;
  }
  const first = guessMode(key);
  const modes = mode ? [mode] : [first, ...MODES.filter((m) => m !== first)];
  const errors = [];
  for (const m of modes) {
    for (const r of ring ? [ring, undefined] : [undefined]) {
      try {
        const value = r ? r.entryDecode(bytes, m, key, true) : P.entryDecode(bytes, m, key, true);
        out.kind = m === 'interop' ? 'interop' : m === 'default' ? 'envelope' : 'msgpack';
        out.mode = m;
        out.encrypted = r !== undefined;
        if (m === 'default') {
          try {
            const plain = r ? r.decrypt(P.aad({ tenant: r.tenant, cacheKey: key, format: 'msgpack', compressed: true }), bytes) : bytes;
            out.envelope = P.envelopeParse(plain);
          } catch {
            // The value decoded; the envelope details are only informative.
          }
        }
        out.value = toTagged(value, values);
        return out;
      } catch (e) {
        errors.push(`${m}${r ? ' (encrypted)' : ''}: ${e.message}`);
      }
    }
  }
  out.kind = bytes.length >= 28 && !ring ? 'encrypted?' : 'unreadable';
  if (!ring && bytes.length >= 28) out.note = 'not a plaintext entry: probably encrypted (nonce ‖ ciphertext ‖ tag); give the master key';
  out.errors = errors;
  return out;
}

/**
 * Pasted text → bytes: hex (whitespace and a `0x` prefix allowed) or base64 (standard or
 * URL-safe, padding optional). `encoding` is `auto` (hex when the text is only hex digits),
 * `hex` or `base64`.
 */
export function parseBytes(text, encoding = 'auto') {
  const t = text.trim();
  const compact = t.replace(/\s+/g, '').replace(/^0x/i, '');
  const looksHex = compact.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(compact);
  if (encoding === 'hex' || (encoding === 'auto' && looksHex)) {
    if (!looksHex) throw new Error('not hex: use pairs of 0-9 a-f digits');
    const out = new Uint8Array(compact.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(compact.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  if (encoding !== 'auto' && encoding !== 'base64') throw new Error(`unknown encoding ${encoding}`);
  const b64 = t.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.replace(/=+$/, '').length % 4 === 1) {
    throw new Error('neither hex nor base64');
  }
  const bin = atob(b64.replace(/=+$/, '').padEnd(Math.ceil(b64.replace(/=+$/, '').length / 4) * 4, '='));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** A one-line description of a report's kind, for people. */
export function kindLabel(d) {
  const enc = d.encrypted ? 'encrypted (AES-256-GCM), ' : '';
  switch (d.kind) {
    case 'interop':
      return `${enc}interop/v1 value (canonical MessagePack, readable by every SDK)`;
    case 'envelope':
      return `${enc}default-mode entry in a ByteStorage envelope (LZ4 + xxHash3-64)`;
    case 'msgpack':
      return `${enc}default-mode entry without integrity (plain MessagePack)`;
    case 'python-frame':
      return 'cachekit-py CK frame (Python-internal default mode)';
    case 'encrypted?':
      return 'not a plaintext entry: probably encrypted; give the master key, tenant and cache key';
    case 'unreadable':
      return 'unreadable: not a cachekit entry, or the wrong master key, tenant or cache key';
    default:
      return String(d.kind);
  }
}
