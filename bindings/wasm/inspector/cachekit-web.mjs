// cachekit-web.mjs: the WASM engine's `web` build (../pkg-web) made usable in a browser (or
// any ES-module runtime with WebAssembly): instantiates the module, registers the value
// classes the value mapping builds and recognises, and exposes the protocol primitives under
// the npm package's names (its `protocol` namespace), with errors as `CachekitError`s carrying
// the core's stable numeric `code` and machine `kind`.
//
//   import { loadCachekit } from './cachekit-web.mjs';
//   const ck = await loadCachekit();              // fetches ../pkg-web/cachekit_wasm_bg.wasm
//   ck.protocol.entryDecode(bytes, 'interop', key, true);
//   new ck.NativeEngine({ l1: { maxBytes: 1 << 20 } });   // the sans-I/O engine
//
// Used by the inspector page (index.html) and the browser tests (../test/browser/). Bytes
// come back as Uint8Arrays (there is no Buffer in a browser). The value classes have the
// shapes of the npm package's (bindings/node/ts/values.ts); pass your own with
// `loadCachekit({ values })` to share classes with other code.

import init, * as wasm from '../pkg-web/cachekit_wasm.js';

/** A float whose value happens to be integral (`new Float(1)` is written as `1.0`). */
export class Float {
  constructor(value) {
    this.value = value;
  }
  valueOf() {
    return this.value;
  }
}

/** A datetime as ISO-8601 text, full precision (naive or with any offset). */
export class IsoDateTime {
  constructor(value) {
    this.value = value;
  }
  toString() {
    return this.value;
  }
  toJSON() {
    return this.value;
  }
}

/** A calendar date, `YYYY-MM-DD`. */
export class LocalDate {
  constructor(value) {
    this.value = value;
  }
  toString() {
    return this.value;
  }
  toJSON() {
    return this.value;
  }
}

/** A time of day, `HH:MM:SS[.ffffff][+HH:MM]`. */
export class LocalTime {
  constructor(value) {
    this.value = value;
  }
  toString() {
    return this.value;
  }
  toJSON() {
    return this.value;
  }
}

/** A UUID. */
export class Uuid {
  constructor(value) {
    this.value = value;
  }
  toString() {
    return this.value;
  }
  toJSON() {
    return this.value;
  }
}

/** A MessagePack extension value read from an entry (never written). */
export class Ext {
  constructor(type, data) {
    this.type = type;
    this.data = data;
  }
}

/** A map as its entries, exactly (order kept, duplicate keys allowed): the exact form of maps. */
export class MapEntries {
  constructor(entries) {
    this.entries = entries;
  }
}

/** The value classes registered by default. */
export const values = { Float, IsoDateTime, LocalDate, LocalTime, Uuid, Ext, MapEntries };

/** An error of the cachekit core: `code` (e.g. `105`) and `kind` (e.g. `"invalid_string"`). */
export class CachekitError extends Error {
  constructor(code, kind, message) {
    super(message);
    this.code = code;
    this.kind = kind;
  }
  get name() {
    return 'CachekitError';
  }
}

let loading;

/**
 * Instantiates the web build once and returns its surface.
 * @param {{ wasm?: string | URL | Response | BufferSource | WebAssembly.Module, values?: typeof values }} [opts]
 *   `wasm`: the `.wasm` (its URL, a fetch Response, its bytes or a compiled module; default:
 *   fetched from next to `cachekit_wasm.js`); `values`: the value classes to use.
 */
export function loadCachekit(opts = {}) {
  loading ??= (async () => {
    await init(opts.wasm === undefined ? undefined : { module_or_path: opts.wasm });
    const classes = opts.values ?? values;
    wasm.registerRuntime({ objectPrototype: Object.prototype, Map, Set, ...classes });
    const codes = new Map(wasm.errorKinds().map((k) => [k.name, k.code]));
    const guard = (f) => {
      try {
        return f();
      } catch (e) {
        // The module throws Errors whose `code` is the machine name.
        if (e instanceof Error && typeof e.code === 'string' && codes.has(e.code)) {
          throw new CachekitError(codes.get(e.code), e.code, e.message);
        }
        throw e;
      }
    };
    const guardedKeyring = (k) => ({
      get tenant() {
        return k.tenant;
      },
      fingerprint: () => k.fingerprint(),
      encrypt: (aad, plaintext) => guard(() => k.encrypt(aad, plaintext)),
      sealWithNonce: (nonce, aad, plaintext) => guard(() => k.sealWithNonce(nonce, aad, plaintext)),
      decrypt: (aad, stored) => guard(() => k.decrypt(aad, stored)),
      entryEncode: (value, mode, key) => guard(() => k.entryEncode(value, mode, key)),
      entryDecode: (bytes, mode, key, exact = false) => guard(() => k.entryDecode(bytes, mode, key, exact)),
    });
    /** The protocol primitives, as the npm package's `protocol` namespace names them. */
    const protocol = {
      coreVersion: () => wasm.version(),
      errorKinds: () => wasm.errorKinds(),
      exactValue: (value) => guard(() => wasm.exactValue(value)),
      serialize: (value) => guard(() => wasm.serialize(value)),
      deserialize: (bytes, exact = false) => guard(() => wasm.deserialize(bytes, exact)),
      canonicalValue: (value) => guard(() => wasm.canonicalValue(value)),
      canonicalArgs: (args) => guard(() => wasm.canonicalArgs(args)),
      interopDecode: (bytes, exact = false) => guard(() => wasm.interopDecode(bytes, exact)),
      interopArgsHash: (args) => guard(() => wasm.interopArgsHash(args)),
      interopKey: (namespace, operation, args) => guard(() => wasm.interopKey(namespace, operation, args)),
      defaultKey: (spec) => guard(() => wasm.defaultKey(spec)),
      envelopeStore: (bytes) => guard(() => wasm.envelopeStore(bytes)),
      envelopeRetrieve: (bytes) => guard(() => wasm.envelopeRetrieve(bytes)),
      envelopeParse: (bytes) => guard(() => wasm.envelopeParse(bytes)),
      entryEncode: (value, mode, key) => guard(() => wasm.entryEncode(value, mode, key)),
      entryDecode: (bytes, mode, key, exact = false) => guard(() => wasm.entryDecode(bytes, mode, key, exact)),
      aad: (spec) => guard(() => wasm.aad(spec)),
      deriveSalt: (domain, tenant) => guard(() => wasm.deriveSalt(domain, tenant)),
      deriveKey: (master, domain, tenant) => guard(() => wasm.deriveKey(master, domain, tenant)),
      keyFingerprint: (key) => guard(() => wasm.keyFingerprint(key)),
      checkMasterKey: (key) => guard(() => wasm.checkMasterKey(key)),
      isPythonFrame: (bytes) => guard(() => wasm.isPythonFrame(bytes)),
      inspectPythonFrame: (bytes, strict = false) => guard(() => wasm.inspectPythonFrame(bytes, strict)),
      /** A keyring: the current master key plus decrypt-only keys, for one tenant. */
      keyring: (masterKey, previousKeys = [], tenant = 'default') =>
        guardedKeyring(guard(() => new wasm.Keyring(masterKey, previousKeys, tenant))),
      /** A keyring from hex and a comma-separated list of previous keys. */
      keyringFromHex: (current, previousCsv, tenant) => guardedKeyring(guard(() => wasm.Keyring.fromHex(current, previousCsv, tenant))),
    };
    return { wasm, protocol, values: classes, NativeEngine: wasm.NativeEngine, CachekitError, version: wasm.version() };
  })();
  return loading;
}
