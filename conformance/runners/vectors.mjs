// The conformance vectors' checks, for every JavaScript runner: the Node binding's
// (conformance/runners/node.mjs, napi addon), the WASM binding's (the same file with
// CACHEKIT_ENGINE=wasm) and the browser test of the WASM `web` build
// (bindings/wasm/test/browser.test.mjs). Every schema of VECTORS.md goes through a `protocol`
// surface shaped like the npm package's `protocol` namespace (errors carry the core's machine
// name as `kind`), never through Rust directly. Mirrors the Rust runner
// (conformance/runner/src/schemas.rs) check for check, so they print the same lines.
//
// No Node APIs: bytes are Uint8Arrays (Buffers pass as well), output goes through `log`.
//
//   const runner = createRunner({ protocol, values: { Float, IsoDateTime, LocalDate, LocalTime,
//     Uuid, MapEntries, Ext }, log: console.log });
//   const counts = runner.runFile('wire-format.json', () => text);   // FAIL lines go to log
//   log(summaryLine(counts));

// ------------------------------------------------------------ order-preserving JSON

/** A JSON object with its entries in file order. */
class JObj {
  constructor(entries) {
    this.entries = entries;
  }
  get(k) {
    for (const [key, v] of this.entries) if (key === k) return v;
    return undefined;
  }
  has(k) {
    return this.entries.some(([key]) => key === k);
  }
}

/** Parses JSON keeping object order and integers exact (as bigint). */
function parseJson(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (what) => {
    throw new Error(`JSON: ${what} at ${i}`);
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries = [];
      ws();
      if (text[i] === '}') {
        i++;
        return new JObj(entries);
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const k = string();
        ws();
        if (text[i++] !== ':') fail('expected :');
        entries.push([k, value()]);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i++] !== '}') fail('expected }');
        return new JObj(entries);
      }
    }
    if (c === '[') {
      i++;
      const out = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i++] !== ']') fail('expected ]');
        return out;
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('unexpected character');
    i += m[0].length;
    return m[2] || m[3] ? Number(m[0]) : BigInt(m[0]);
  };
  const string = () => {
    const start = i;
    i++;
    let simple = true;
    while (text[i] !== '"') {
      if (text[i] === '\\') {
        simple = false;
        i++;
      }
      i++;
      if (i >= text.length) fail('unterminated string');
    }
    i++;
    const raw = text.slice(start, i);
    return simple ? raw.slice(1, -1) : JSON.parse(raw);
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

// ------------------------------------------------------------ bytes (no Buffer needed)

/** Hex text → bytes. */
export function unhex(s) {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new Error(`bad hex ${JSON.stringify(s)}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes → lowercase hex text. */
export function hex(b) {
  let t = '';
  for (const x of b) t += x.toString(16).padStart(2, '0');
  return t;
}

function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function concat(chunks) {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The closing line of a run: `N passed, N failed[, N skipped]`. */
export function summaryLine(total) {
  return total.skipped > 0
    ? `${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`
    : `${total.passed} passed, ${total.failed} failed`;
}

/**
 * A runner over one protocol surface.
 * @param {{ protocol: object, values: object, log?: (line: string) => void }} env
 *   `protocol`: the npm package's `protocol` namespace or an equivalent (the browser test's);
 *   `values`: the value classes that surface builds and recognises; `log`: where FAIL lines go.
 * @returns {{ runFile(name: string, load: () => string): { passed: number, failed: number, skipped: number } }}
 */
export function createRunner({ protocol: P, values, log = console.log }) {
  const { Float, IsoDateTime, LocalDate, LocalTime, Uuid, MapEntries, Ext } = values;

  // ------------------------------------------------------------ tagged JSON → exact values

  const FLOATS = { nan: NaN, NaN: NaN, inf: Infinity, Infinity: Infinity, '-inf': -Infinity, '-Infinity': -Infinity };

  function text(tag, v) {
    if (typeof v !== 'string') throw new Error(`${tag} expects a string`);
    return v;
  }

  /** Tagged JSON (VECTORS.md) → the exact JavaScript value. */
  function tagged(j) {
    if (j === null || typeof j === 'boolean' || typeof j === 'string' || typeof j === 'bigint') return j;
    if (typeof j === 'number') return new Float(j);
    if (Array.isArray(j)) return j.map(tagged);
    if (j.entries.length === 1 && j.entries[0][0].startsWith('$')) {
      const [tag, v] = j.entries[0];
      switch (tag) {
        case '$int':
          return BigInt(text(tag, v));
        case '$float': {
          const t = text(tag, v);
          if (t in FLOATS) return new Float(FLOATS[t]);
          const x = Number(t);
          if (Number.isNaN(x)) throw new Error(`bad $float ${t}`);
          return new Float(x);
        }
        case '$bytes':
          return unhex(text(tag, v));
        case '$uuid':
          return new Uuid(text(tag, v));
        case '$datetime':
          return new IsoDateTime(text(tag, v));
        case '$date':
          return new LocalDate(text(tag, v));
        case '$time':
          return new LocalTime(text(tag, v));
        case '$set':
          if (!Array.isArray(v)) throw new Error('$set expects an array');
          return new Set(v.map(tagged));
        case '$map':
          if (!Array.isArray(v)) throw new Error('$map expects an array');
          return new MapEntries(
            v.map((pair) => {
              if (!Array.isArray(pair) || pair.length !== 2) throw new Error('$map entries are [key, value]');
              return [tagged(pair[0]), tagged(pair[1])];
            }),
          );
        default:
          throw new Error(`unknown tag ${tag}`);
      }
    }
    return new MapEntries(j.entries.map(([k, v]) => [k, tagged(v)]));
  }

  /** Structural equality of exact values; floats by bit pattern (NaN equals NaN). */
  function same(a, b) {
    if (typeof a === 'bigint' || typeof b === 'bigint') return a === b;
    if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
    if (a instanceof Float && b instanceof Float) return Object.is(a.value, b.value);
    if (a instanceof Uint8Array && b instanceof Uint8Array) return bytesEqual(a, b);
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
    if (a instanceof Set && b instanceof Set) {
      const x = [...a];
      const y = [...b];
      return x.length === y.length && x.every((v, i) => same(v, y[i]));
    }
    if (a instanceof MapEntries && b instanceof MapEntries) {
      return (
        a.entries.length === b.entries.length &&
        a.entries.every(([k, v], i) => same(k, b.entries[i][0]) && same(v, b.entries[i][1]))
      );
    }
    if (a instanceof Ext && b instanceof Ext) return a.type === b.type && bytesEqual(a.data, b.data);
    for (const C of [IsoDateTime, LocalDate, LocalTime, Uuid]) if (a instanceof C && b instanceof C) return a.value === b.value;
    return false;
  }

  /** The expected value as the core normalises it (temporal text, UUID case). */
  function normal(v) {
    try {
      return P.exactValue(v);
    } catch {
      return v;
    }
  }

  function show(v) {
    return String(
      JSON.stringify(v, (_, x) => {
        if (typeof x === 'bigint') return `${x}n`;
        if (x instanceof Float) return `Float(${x.value})`;
        if (x instanceof MapEntries) return { map: x.entries };
        if (x instanceof Set) return { set: [...x] };
        if (x instanceof Uint8Array) return `0x${hex(x)}`;
        if (x && x.type === 'Buffer' && Array.isArray(x.data)) return `0x${hex(x.data)}`; // a Buffer, after its toJSON
        return x;
      }),
    );
  }

  // ------------------------------------------------------------ checks

  class Check extends Error {}

  const field = (v, k) => {
    if (!(v instanceof JObj) || !v.has(k)) throw new Check(`vector has no ${JSON.stringify(k)}`);
    return v.get(k);
  };
  const s = (v, k) => {
    const x = field(v, k);
    if (typeof x !== 'string') throw new Check(`${JSON.stringify(k)} is not a string`);
    return x;
  };
  const optS = (v, k) => (v instanceof JObj && typeof v.get(k) === 'string' ? v.get(k) : undefined);
  const hx = (v, k) => {
    try {
      return unhex(s(v, k));
    } catch (e) {
      if (e instanceof Check) throw e;
      throw new Check(e.message);
    }
  };
  const b = (v, k) => {
    const x = field(v, k);
    if (typeof x !== 'boolean') throw new Check(`${JSON.stringify(k)} is not a bool`);
    return x;
  };
  const nameOf = (v) => (v instanceof JObj && typeof v.get('name') === 'string' ? v.get('name') : '?');
  const list = (doc, k) => {
    const x = doc instanceof JObj ? doc.get(k) : undefined;
    return Array.isArray(x) ? x : [];
  };
  const u64 = (v, k) => {
    const x = field(v, k);
    return typeof x === 'bigint' ? x : 0n;
  };

  function eqHex(what, got, want) {
    if (!bytesEqual(got, want)) throw new Check(`${what}: got ${hex(got)}, want ${hex(want)}`);
  }
  function eq(what, got, want) {
    if (got !== want) throw new Check(`${what}: got ${JSON.stringify(String(got))}, want ${JSON.stringify(String(want))}`);
  }
  function sameValue(what, got, want) {
    if (!same(got, normal(want))) throw new Check(`${what}: got ${show(got)}, want ${show(want)}`);
  }
  function ok(what, f) {
    try {
      return f();
    } catch (e) {
      if (e instanceof Check) throw e;
      throw new Check(`${what}: ${e.kind ?? 'error'}: ${e.message}`);
    }
  }
  function fails(what, f, kinds = []) {
    let got;
    try {
      got = f();
    } catch (e) {
      if (e instanceof Check) throw e;
      if (kinds.length === 0 || kinds.includes(e.kind)) return;
      throw new Check(`${what}: failed with ${e.kind} (${e.message}), want one of ${kinds.join(', ')}`);
    }
    throw new Check(`${what}: accepted (${show(got)}), must fail`);
  }

  class Report {
    constructor(file) {
      this.file = file;
      this.passed = 0;
      this.failed = 0;
      this.skipped = 0;
    }
    check(section, name, f) {
      try {
        f();
        this.passed++;
      } catch (e) {
        this.failed++;
        const why = e instanceof Check ? e.message : `runner error: ${e && e.message}`;
        log(`FAIL ${this.file}:${section}/${name}: ${why}`);
      }
    }
    skip() {
      this.skipped++;
    }
    unknownSection(section, body) {
      const n = Array.isArray(body) ? Math.max(body.length, 1) : 1;
      for (let i = 0; i < n; i++) this.check(section, '*', () => {
        throw new Check('unknown section: this runner cannot run it');
      });
    }
  }

  function each(doc, section, report, f) {
    for (const v of list(doc, section)) report.check(section, nameOf(v), () => f(v));
  }

  function unknownSections(doc, known, report) {
    if (!(doc instanceof JObj)) return;
    for (const [k, v] of doc.entries) {
      const holds =
        (Array.isArray(v) && v.some((x) => x instanceof JObj)) ||
        (v instanceof JObj && v.entries.some(([, x]) => Array.isArray(x)));
      if (holds && !known.includes(k)) report.unknownSection(k, v);
    }
  }

  const MODES = ['default', 'default-no-integrity', 'interop'];

  // ------------------------------------------------------------ wire-format

  function construct(parts) {
    if (!Array.isArray(parts)) throw new Check('construction is not a list');
    const chunks = [];
    for (const p of parts) {
      const chunk = hx(p, 'hex');
      const count = field(p, 'count');
      if (typeof count !== 'bigint') throw new Check('count is not an integer');
      for (let i = 0n; i < count; i++) chunks.push(chunk);
    }
    return concat(chunks);
  }

  const readDefault = (env) => P.entryDecode(env, 'default', 'k');

  function wireFormat(doc, report) {
    each(doc, 'vectors', report, (v) => {
      const env = hx(v, 'envelope_hex');
      const input = hx(v, 'input_hex');
      eqHex('retrieve', ok('retrieve', () => P.envelopeRetrieve(env)), input);
      if (v.get('envelope_encoding') === 'bin') eqHex('store', ok('store', () => P.envelopeStore(input)), env);
    });
    each(doc, 'constructed_vectors', report, (v) => {
      const env = construct(field(v, 'envelope_construction'));
      const input = construct(field(v, 'input_construction'));
      eq('envelope_size', BigInt(env.length), u64(v, 'envelope_size'));
      const parsed = ok('parse', () => P.envelopeParse(env));
      eq('compressed_size', BigInt(parsed.compressedSize), u64(v, 'compressed_size'));
      eq('original_size', BigInt(parsed.originalSize), u64(v, 'original_size'));
      eq('checksum', parsed.checksum, s(v, 'checksum_hex'));
      eq('encoding', parsed.encoding, s(v, 'envelope_encoding') === 'bin' ? 'bin' : 'int-array');
      const out = ok('retrieve', () => P.envelopeRetrieve(env));
      if (!bytesEqual(out, input)) throw new Check('retrieve: output differs from input_construction');
    });
    each(doc, 'reject_vectors', report, (v) => {
      const env = hx(v, 'envelope_hex');
      const step = Number(u64(v, 'reject_step'));
      const check = v.get('reject_check');
      const kinds =
        step === 2 && check === 'decode_bounds'
          ? ['decode_bounds']
          : step === 2 && check === 'trailing_bytes'
            ? ['trailing_bytes']
            : step === 2
              ? ['envelope_structure']
              : [1, 3, 4].includes(step)
                ? ['envelope_size_limit']
                : step === 5
                  ? ['decompression_bomb']
                  : step === 6
                    ? ['decompression_failed']
                    : ['checksum_mismatch', 'decompression_failed'];
      fails('retrieve', () => P.envelopeRetrieve(env), kinds);
      fails('entry read', () => readDefault(env), kinds);
    });
    each(doc, 'payload_reject_vectors', report, (v) => {
      const env = hx(v, 'envelope_hex');
      eqHex('retrieve', ok('retrieve', () => P.envelopeRetrieve(env)), hx(v, 'input_hex'));
      fails('entry read', () => readDefault(env), ['decode_bounds']);
    });
    each(doc, 'temporal_sentinel_vectors', report, (v) => {
      const payload = hx(v, 'payload_hex');
      const r = field(v, 'revives_to');
      const iso = s(r, 'iso');
      const type = s(r, 'type');
      const C = { datetime: IsoDateTime, date: LocalDate, time: LocalTime }[type];
      if (!C) throw new Check(`unknown temporal type ${type}`);
      const want = ok('parse', () => P.exactValue(new C(iso)));
      sameValue('standard read', ok('decode', () => P.deserialize(payload, true)), want);
      sameValue('interop read', ok('decode', () => P.interopDecode(payload, true)), want);
      eqHex('standard write', ok('encode', () => P.serialize(want)), payload);
    });
  }

  // ------------------------------------------------------------ decode-bounds

  function decodeBounds(doc, report) {
    each(doc, 'reject_vectors', report, (v) => {
      const input = hx(v, 'input_hex');
      const k = ['decode_bounds'];
      fails('standard read', () => P.deserialize(input), k);
      fails('interop read', () => P.interopDecode(input), k);
      fails('envelope read', () => P.envelopeRetrieve(input), k);
      for (const m of MODES) fails(`entry read ${m}`, () => P.entryDecode(input, m, 'k'), k);
    });
    each(doc, 'accept_vectors', report, (v) => {
      const input = hx(v, 'input_hex');
      ok('standard read', () => P.deserialize(input));
      ok('interop read', () => P.interopDecode(input));
    });
  }

  // ------------------------------------------------------------ interop-mode

  function args(v) {
    const a = tagged(field(v, 'args'));
    if (!Array.isArray(a)) throw new Check(`args is not a list: ${show(a)}`);
    return a;
  }

  function aadOf(v, tenant) {
    return P.aad({
      tenant,
      cacheKey: s(v, 'cache_key'),
      format: s(v, 'format'),
      compressed: b(v, 'compressed'),
      originalType: optS(v, 'original_type') ?? null,
    });
  }

  function sealAndOpen(ring, aad, plaintext, ciphertext) {
    eqHex('open', ok('open', () => ring.decrypt(aad, ciphertext)), plaintext);
    if (ciphertext.length < 12) throw new Check('ciphertext shorter than a nonce');
    eqHex('seal', ok('seal', () => ring.sealWithNonce(ciphertext.subarray(0, 12), aad, plaintext)), ciphertext);
  }

  const ringOf = (masterHex, tenant, previous = []) => ok('keyring', () => P.keyring(masterHex, previous, tenant));

  function interopMode(doc, report) {
    each(doc, 'key_vectors', report, (v) => {
      const a = args(v);
      eqHex('canonical args', ok('encode_args', () => P.canonicalArgs(a)), hx(v, 'canonical_args_hex'));
      eq('args_hash', ok('hash', () => P.interopArgsHash(a)), s(v, 'args_hash'));
      eq('key', ok('key', () => P.interopKey(s(v, 'namespace'), s(v, 'operation'), a)), s(v, 'expected_key'));
    });
    each(doc, 'error_vectors', report, (v) => {
      const a = args(v);
      const ns = optS(v, 'namespace');
      const op = optS(v, 'operation');
      if (ns !== undefined && op !== undefined) fails('key', () => P.interopKey(ns, op, a));
      else fails('encode_args', () => P.canonicalArgs(a));
    });
    each(doc, 'value_vectors', report, (v) => {
      const val = tagged(field(v, 'value'));
      const want = hx(v, 'canonical_msgpack_hex');
      eqHex('canonical value', ok('encode_value', () => P.canonicalValue(val)), want);
      const back = ok('decode_value', () => P.interopDecode(want, true));
      eqHex('re-encoded', ok('encode_value', () => P.canonicalValue(back)), want);
    });
    each(doc, 'value_error_vectors', report, (v) => {
      const val = tagged(field(v, 'value'));
      fails('encode_value', () => P.canonicalValue(val));
    });
    each(doc, 'reader_accept_vectors', report, (v) => {
      const got = ok('decode_value', () => P.interopDecode(hx(v, 'input_hex'), true));
      if (v.has('value')) sameValue('value', got, tagged(v.get('value')));
    });
    each(doc, 'reader_reject_vectors', report, (v) => {
      fails('decode_value', () => P.interopDecode(hx(v, 'input_hex')));
    });
    each(doc, 'aad_vectors', report, (v) => {
      const aad = P.aad({ tenant: s(v, 'tenant_id'), cacheKey: s(v, 'cache_key'), format: s(v, 'format'), compressed: b(v, 'compressed') });
      eqHex('aad', aad, hx(v, 'aad_hex'));
    });
    each(doc, 'encryption_vectors', report, (v) => {
      const ring = ringOf(s(v, 'master_key_hex'), s(v, 'tenant_id'));
      eq('fingerprint', hex(ring.fingerprint()), s(v, 'derived_key_fingerprint_hex'));
      const aad = P.aad({ tenant: s(v, 'tenant_id'), cacheKey: s(v, 'cache_key'), format: s(v, 'format'), compressed: b(v, 'compressed') });
      eqHex('aad', aad, hx(v, 'aad_hex'));
      sealAndOpen(ring, aad, hx(v, 'plaintext_hex'), hx(v, 'ciphertext_hex'));
    });
  }

  // ------------------------------------------------------------ encryption

  function encryption(doc, report) {
    const topKey = optS(doc, 'master_key_hex');
    const topTenant = optS(doc, 'tenant_id');
    if (topKey === undefined || topTenant === undefined) {
      report.check('file', '*', () => {
        throw new Check('no top-level master_key_hex/tenant_id');
      });
      return;
    }
    const fp = optS(doc, 'derived_key_fingerprint_hex');
    if (fp !== undefined) {
      report.check('top', 'derived_key_fingerprint', () => eq('fingerprint', hex(ringOf(topKey, topTenant).fingerprint()), fp));
    }
    each(doc, 'vectors', report, (v) => {
      const tenant = optS(v, 'tenant_id') ?? topTenant;
      const ring = ringOf(optS(v, 'master_key_hex') ?? topKey, tenant);
      const aad = aadOf(v, tenant);
      eqHex('aad', aad, hx(v, 'aad_hex'));
      sealAndOpen(ring, aad, hx(v, 'plaintext_hex'), hx(v, 'ciphertext_hex'));
    });
    each(doc, 'aad_reject_vectors', report, (v) => {
      const ring = ringOf(topKey, topTenant);
      const aad = aadOf(v, topTenant);
      eqHex('aad', aad, hx(v, 'aad_hex'));
      const ct = hx(v, 'ciphertext_hex');
      fails('open', () => ring.decrypt(aad, ct), ['decryption_failed']);
    });
    const kr = doc.get('keyring');
    if (kr !== undefined) keyring(kr, report);
    const dc = doc.get('decrypted_container');
    if (dc !== undefined) {
      for (const v of list(dc, 'vectors')) {
        const mode = { plain_msgpack: 'default-no-integrity', bytestorage_envelope: 'default', interop: 'interop' }[v.get('reader')];
        // arrow_checksummed / orjson_checksummed: Python-only readers, out of scope.
        if (mode === undefined) {
          report.skip();
          continue;
        }
        report.check('decrypted_container', nameOf(v), () => decryptedContainer(v, mode, topKey, topTenant));
      }
    }
    const dt = doc.get('default_tenant');
    if (dt !== undefined) {
      report.check('default_tenant', 'derived_key_fingerprint', () =>
        eq('fingerprint', hex(ringOf(topKey, 'default').fingerprint()), s(dt, 'derived_key_fingerprint_hex')),
      );
      each(dt, 'vectors', report, (v) => {
        const ring = ringOf(topKey, 'default');
        const aad = aadOf(v, 'default');
        eqHex('aad', aad, hx(v, 'aad_hex'));
        sealAndOpen(ring, aad, hx(v, 'plaintext_hex'), hx(v, 'ciphertext_hex'));
      });
    }
    const mk = doc.get('master_key_input');
    if (mk !== undefined) {
      const tenant = optS(mk, 'tenant_id') ?? 'default';
      each(mk, 'accept_vectors', report, (v) => {
        const ring = ringOf(s(v, 'master_key_hex'), tenant);
        eq('fingerprint', hex(ring.fingerprint()), s(v, 'derived_key_fingerprint_hex'));
        const aad = aadOf(v, tenant);
        eqHex('aad', aad, hx(v, 'aad_hex'));
        sealAndOpen(ring, aad, hx(v, 'plaintext_hex'), hx(v, 'ciphertext_hex'));
      });
      each(mk, 'reject_vectors', report, (v) => {
        const k = s(v, 'master_key_hex');
        fails('from_hex', () => P.checkMasterKey(k), ['invalid_master_key']);
      });
      each(mk, 'raw_reject_vectors', report, (v) => {
        const raw = hx(v, 'raw_key_hex');
        fails('from_bytes', () => P.checkMasterKey(raw), ['invalid_master_key']);
      });
    }
  }

  function decryptedContainer(v, mode, topKey, topTenant) {
    const ring = ringOf(topKey, topTenant);
    const aad = aadOf(v, topTenant);
    eqHex('aad', aad, hx(v, 'aad_hex'));
    const ct = hx(v, 'ciphertext_hex');
    eqHex('open', ok('open', () => ring.decrypt(aad, ct)), hx(v, 'plaintext_hex'));
    const key = s(v, 'cache_key');
    const read = () => ring.entryDecode(ct, mode, key, true);
    const outcome = s(v, 'outcome');
    if (outcome === 'error') return fails('read', read);
    if (outcome === 'not_unwrapped') {
      const got = ok('read', read);
      if (Array.isArray(got) && got.length === 4 && got[0] instanceof Uint8Array) return;
      throw new Check(`read: got ${show(got)}, want the raw 4-element envelope`);
    }
    throw new Check(`unknown outcome ${outcome}`);
  }

  function keyring(kr, report) {
    const tenant = optS(kr, 'tenant_id') ?? 'default';
    const entries = list(kr, 'entries')
      .filter((e) => optS(e, 'id') && optS(e, 'master_key_hex') && optS(e, 'derived_key_fingerprint_hex'))
      .map((e) => [e.get('id'), e.get('master_key_hex'), e.get('derived_key_fingerprint_hex')]);
    each(kr, 'entries', report, (e) =>
      eq('fingerprint', hex(ringOf(s(e, 'master_key_hex'), tenant).fingerprint()), s(e, 'derived_key_fingerprint_hex')),
    );
    each(kr, 'vectors', report, (v) => {
      const keys = entries.map(([, k]) => k);
      for (const k of keys) ok('master key', () => P.checkMasterKey(k));
      const aad = aadOf(v, tenant);
      eqHex('aad', aad, hx(v, 'aad_hex'));
      const ct = hx(v, 'ciphertext_hex');
      const want = hx(v, 'plaintext_hex');
      // Whichever key is current, a keyring holding both opens every entry.
      keys.forEach((current, i) => {
        const ring = ringOf(current, tenant, keys.filter((_, j) => j !== i));
        eqHex(`open (current = key ${i})`, ok('decrypt', () => ring.decrypt(aad, ct)), want);
      });
      const id = s(v, 'encrypted_with');
      const entry = entries.find(([e]) => e === id);
      if (!entry) throw new Check('unknown key id');
      eq('key fingerprint', entry[2], s(v, 'key_fingerprint_hex'));
    });
    const cfg = kr.get('configuration');
    if (cfg !== undefined) {
      each(cfg, 'vectors', report, (v) => {
        const prevList = field(v, 'decrypt_only_master_keys_hex');
        if (!Array.isArray(prevList)) throw new Check('not a list');
        const prev = prevList.filter((x) => typeof x === 'string');
        const load = () => P.keyringFromHex(s(v, 'current_master_key_hex'), prev.join(','), tenant);
        if (s(v, 'verdict') === 'accept') ok('load', load);
        else fails('load', load, ['invalid_keyring']);
      });
    }
  }

  // ------------------------------------------------------------ cache-keys

  function kwargs(v) {
    const k = field(v, 'kwargs');
    if (!(k instanceof JObj)) throw new Check(`kwargs is not an object: ${show(k)}`);
    return new MapEntries(k.entries.map(([name, x]) => [name, tagged(x)]));
  }

  function defaultKey(v, serializer) {
    const fn = `${optS(v, 'function_module') ?? ''}.${optS(v, 'function_qualname') ?? ''}`;
    const a = args(v);
    const kw = kwargs(v);
    const integrity = v.get('integrity_checking');
    return () =>
      P.defaultKey({
        namespace: optS(v, 'namespace') ?? null,
        function: fn,
        args: a,
        kwargs: kw,
        integrity: typeof integrity === 'boolean' ? integrity : true,
        serializer,
      });
  }

  function cacheKeys(doc, report) {
    each(doc, 'vectors', report, (v) => eq('key', ok('key', defaultKey(v, s(v, 'serializer_type'))), s(v, 'expected_key')));
    // A non-string identity can be passed from JavaScript: it must fail too.
    each(doc, 'error_vectors', report, (v) => {
      const id = field(v, 'serializer_type');
      fails('key', defaultKey(v, typeof id === 'bigint' ? Number(id) : id));
    });
    for (const _ of list(doc, 'serializer_object_vectors')) report.skip(); // Python serializer classes.
  }

  // ------------------------------------------------------------ python-frame

  function refusedEverywhere(frame, ring, key) {
    for (const m of MODES) {
      fails(`read ${m}`, () => (ring ? ring.entryDecode(frame, m, key) : P.entryDecode(frame, m, key)), ['python_frame']);
    }
  }

  /** JSON equality of a parsed header and the expected one (object order ignored, as serde's). */
  function jsonSame(a, b) {
    if (a instanceof JObj && b instanceof JObj) {
      return a.entries.length === b.entries.length && a.entries.every(([k, x]) => b.has(k) && jsonSame(x, b.get(k)));
    }
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonSame(x, b[i]));
    return a === b;
  }

  function inspected(frame, v) {
    const f = P.inspectPythonFrame(frame);
    if (!f.ok) throw new Check(`inspect: rejected by ${f.rejectedBy}`);
    const want = v.get('expected_header');
    if (want !== undefined) {
      let got;
      try {
        got = parseJson(f.headerJson);
      } catch (e) {
        throw new Check(`header JSON: ${e.message}`);
      }
      if (!jsonSame(got, want)) throw new Check(`header: got ${f.headerJson}`);
      const sn = want instanceof JObj ? want.get('s') : undefined;
      if (typeof sn === 'string') eq('serializer', f.serializer, sn);
    }
    if (v.has('expected_payload_hex')) eqHex('payload', f.payload, hx(v, 'expected_payload_hex'));
  }

  function pythonFrame(doc, report) {
    each(doc, 'frame_vectors', report, (v) => {
      const frame = hx(v, 'frame_hex');
      refusedEverywhere(frame, null, 'k');
      inspected(frame, v);
    });
    each(doc, 'error_vectors', report, (v) => {
      const frame = hx(v, 'frame_hex');
      if (P.isPythonFrame(frame)) refusedEverywhere(frame, null, 'k');
      const step = optS(v, 'rejected_by');
      if (step !== undefined) {
        const r = P.inspectPythonFrame(frame, true);
        if (r.ok) throw new Check(`inspect: accepted, want rejected by ${step}`);
        eq('rejected_by', r.rejectedBy, step);
      }
    });
    const reader = doc.get('encrypted_reader');
    each(doc, 'encrypted_read_vectors', report, (v) => {
      if (reader === undefined) throw new Check('no encrypted_reader block');
      const ring = ok('keyring', () => P.keyringFromHex(s(reader, 'master_key_hex'), '', s(reader, 'tenant_id')));
      const frame = hx(v, 'frame_hex');
      eq('outcome', s(v, 'outcome'), 'fail_closed');
      refusedEverywhere(frame, ring, s(reader, 'cache_key'));
      inspected(frame, v);
    });
  }

  // ------------------------------------------------------------ ours

  function standardSerializer(doc, report) {
    each(doc, 'vectors', report, (v) => {
      const val = tagged(field(v, 'value'));
      const msgpack = hx(v, 'msgpack_hex');
      eqHex('encode', ok('encode', () => P.serialize(val)), msgpack);
      const read = () => P.deserialize(msgpack, true);
      if (v.has('decodes_to') && v.get('decodes_to') === null) fails('decode', read);
      else if (v.has('decodes_to')) sameValue('decode', ok('decode', read), tagged(v.get('decodes_to')));
      else sameValue('decode', ok('decode', read), val);
      if (optS(v, 'envelope_hex') !== undefined) {
        const env = hx(v, 'envelope_hex');
        eqHex('envelope store', ok('store', () => P.envelopeStore(msgpack)), env);
        eqHex('envelope retrieve', ok('retrieve', () => P.envelopeRetrieve(env)), msgpack);
      }
    });
    each(doc, 'reader_vectors', report, (v) => {
      sameValue('decode', ok('decode', () => P.deserialize(hx(v, 'input_hex'), true)), tagged(field(v, 'value')));
    });
    each(doc, 'error_vectors', report, (v) => {
      const val = tagged(field(v, 'value'));
      fails('encode', () => P.serialize(val));
    });
  }

  function keyDerivation(doc, report) {
    each(doc, 'vectors', report, (v) => {
      const domain = s(v, 'domain');
      const tenant = s(v, 'tenant_id');
      eqHex('salt', ok('salt', () => P.deriveSalt(domain, tenant)), hx(v, 'salt_hex'));
      const k = ok('derive', () => P.deriveKey(s(v, 'master_key_hex'), domain, tenant));
      eqHex('derived key', k, hx(v, 'derived_key_hex'));
      eq('fingerprint', hex(P.keyFingerprint(k)), s(v, 'fingerprint_hex'));
    });
  }

  // ------------------------------------------------------------ dispatch

  const SCHEMAS = {
    'wire-format': [wireFormat, ['vectors', 'constructed_vectors', 'reject_vectors', 'payload_reject_vectors', 'temporal_sentinel_vectors', 'limits']],
    'decode-bounds': [decodeBounds, ['reject_vectors', 'accept_vectors']],
    'interop-mode': [
      interopMode,
      ['key_vectors', 'error_vectors', 'value_vectors', 'value_error_vectors', 'reader_accept_vectors', 'reader_reject_vectors', 'aad_vectors', 'encryption_vectors', 'tagged_json'],
    ],
    encryption: [encryption, ['vectors', 'aad_reject_vectors', 'keyring', 'decrypted_container', 'default_tenant', 'master_key_input']],
    'cache-keys': [cacheKeys, ['vectors', 'error_vectors', 'serializer_object_vectors']],
    'python-frame': [pythonFrame, ['frame_vectors', 'error_vectors', 'encrypted_read_vectors', 'encrypted_reader']],
    'standard-serializer': [standardSerializer, ['vectors', 'reader_vectors', 'error_vectors']],
    'key-derivation': [keyDerivation, ['vectors']],
  };

  // ------------------------------------------------------------ files

  /** Runs one vector file (`file` is its name, the part before the first dot, which names the schema); `load` returns
   * its text (a throw is reported as an unreadable file). */
  function runFile(file, load) {
    const schema = file.split('.')[0];
    const report = new Report(file);
    let doc;
    try {
      doc = parseJson(load());
    } catch (e) {
      report.check('file', '*', () => {
        throw new Check(`cannot read: ${e.message}`);
      });
    }
    if (doc !== undefined) {
      const entry = SCHEMAS[schema];
      if (!entry) {
        report.check('file', '*', () => {
          throw new Check(`unknown schema ${JSON.stringify(schema)}`);
        });
      } else {
        entry[0](doc, report);
        unknownSections(doc, entry[1], report);
      }
    }
    return { passed: report.passed, failed: report.failed, skipped: report.skipped };
  }

  return { runFile };
}
