// form.mjs: the inspector page's input and labels: pasted text → bytes, and a one-line
// description of a report's kind. No DOM and no Node APIs (the page and the tests import it).
// What the bytes are is decided by `describeEntry` of the cachekit/web bundle, the same
// function the CLI's `inspect` prints.

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
