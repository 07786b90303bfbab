/**
 * Entry inspection: what a stored cachekit entry is and its value, for the CLI's `inspect`
 * and the browser inspector page. Runtime-neutral (both package entries export it).
 *
 * @packageDocumentation
 */

import type { EntryMode } from './engine';
import type { NativeKeyring } from './native';
import * as P from './protocol';
import { toTagged } from './tagged';

/** `{ns}:{op}:{64 hex}`: an interop/v1 key (SPEC §5). */
const INTEROP_KEY = /^[a-z0-9][a-z0-9._-]{0,63}:[a-z0-9][a-z0-9._-]{0,63}:[0-9a-f]{64}$/;

/** The entry mode a key's shape suggests: interop keys, `:0x…` suffixes of default keys without
 * integrity, else default. */
export function guessMode(key: string): EntryMode {
  if (INTEROP_KEY.test(key) && !key.startsWith('ns:') && !key.startsWith('nsapi:')) return 'interop';
  if (/:0[a-z][0-9a-f]{0,4}$/.test(key)) return 'default-no-integrity';
  return 'default';
}

/**
 * What stored bytes are, and their value: `{key, bytes, kind, …}` with `kind` one of
 * `python-frame`, `interop`, `envelope` (default mode, ByteStorage envelope), `msgpack` (default
 * mode without integrity), `encrypted?` (unreadable without a key, and long enough to be
 * nonce ‖ ciphertext ‖ tag) or `unreadable`. Readable entries carry `mode`, `encrypted` and
 * `value` (tagged JSON, see {@link toTagged}). Every byte is judged by the core: the cachekit-py
 * frame inspector, then the entry reader of each mode (the one the key's shape suggests first),
 * with the keyring and without; this function only orders the attempts and shapes the report.
 * The CLI's `inspect` and the inspector page (bindings/wasm/inspector) both print it.
 *
 * @param key the Redis key: part of an encrypted entry's AAD, and a hint of its mode
 * @param ring a keyring (`protocol.keyring(masterKey, previous, tenant)`) for encrypted entries
 * @param mode the entry mode when known; otherwise every mode is tried
 */
export function describeEntry(key: string, bytes: Uint8Array, ring?: NativeKeyring, mode?: EntryMode): Record<string, unknown> {
  const out: Record<string, unknown> = { key, bytes: bytes.length };
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
  // Plain MessagePack reads in both the interop and the no-integrity default form: the key's
  // shape decides which is tried first, and interop comes last for keys not shaped like it.
  const guess = guessMode(key);
  const rest: EntryMode[] = guess === 'interop' ? ['default', 'default-no-integrity'] : ['default', 'default-no-integrity', 'interop'];
  const modes: EntryMode[] = mode ? [mode] : [guess, ...rest.filter((m) => m !== guess)];
  const errors: string[] = [];
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
        out.value = toTagged(value);
        return out;
      } catch (e) {
        errors.push(`${m}${r ? ' (encrypted)' : ''}: ${(e as Error).message}`);
      }
    }
  }
  out.kind = bytes.length >= 28 && !ring ? 'encrypted?' : 'unreadable';
  if (!ring && bytes.length >= 28) out.note = 'not a plaintext entry: probably encrypted (nonce ‖ ciphertext ‖ tag); give the master key and tenant';
  out.errors = errors;
  return out;
}
