/**
 * Protocol primitives of the cachekit core, for tools (the CLI, the conformance runner) and
 * advanced uses: serializers, keys, the envelope, the entry codec, AAD, key derivation, the
 * keyring and the cachekit-py frame inspector. Errors are `CachekitError`s.
 *
 * Values returned with `exact: true` lose nothing: every integer is a `bigint`, every float a
 * {@link Float}, every map a `Map`, every datetime an {@link IsoDateTime}.
 *
 * @packageDocumentation
 */

import { guard } from './errors';
import { addon, type Addon, type NativeKeyring } from './native';
import type { EntryMode } from './engine';

export type { NativeKeyring };

const a = (): Addon => addon();

/** The core's version. */
export const coreVersion = (): string => a().version();
/** Every error kind of the core: `{code, name, description}`. */
export const errorKinds = () => a().errorKinds();
/** The value as the core sees it, in the exact form. */
export const exactValue = (value: unknown): unknown => guard(() => a().exactValue(value));
/** StandardSerializer (default-mode values): value → MessagePack. */
export const serialize = (value: unknown): Buffer => guard(() => a().serialize(value));
/** StandardSerializer: MessagePack → value. */
export const deserialize = (bytes: Uint8Array, exact = false): unknown => guard(() => a().deserialize(bytes, exact));
/** The canonical interop/v1 value document. */
export const canonicalValue = (value: unknown): Buffer => guard(() => a().canonicalValue(value));
/** The canonical interop/v1 args bytes. */
export const canonicalArgs = (args: unknown[]): Buffer => guard(() => a().canonicalArgs(args));
/** Reads an interop/v1 value document. */
export const interopDecode = (bytes: Uint8Array, exact = false): unknown => guard(() => a().interopDecode(bytes, exact));
/** Blake2b-256 hex of the canonical args. */
export const interopArgsHash = (args: unknown[]): string => guard(() => a().interopArgsHash(args));
/** The interop/v1 key. */
export const interopKey = (namespace: string, operation: string, args: unknown[]): string =>
  guard(() => a().interopKey(namespace, operation, args));
/** A default-mode key. */
export const defaultKey = (spec: Parameters<Addon['defaultKey']>[0]): string => guard(() => a().defaultKey(spec));
/** ByteStorage envelope of StandardSerializer bytes. */
export const envelopeStore = (bytes: Uint8Array): Buffer => guard(() => a().envelopeStore(bytes));
/** Opens a ByteStorage envelope. */
export const envelopeRetrieve = (bytes: Uint8Array): Buffer => guard(() => a().envelopeRetrieve(bytes));
/** Parses an envelope without opening it. */
export const envelopeParse = (bytes: Uint8Array) => guard(() => a().envelopeParse(bytes));
/** Encodes a plaintext entry. */
export const entryEncode = (value: unknown, mode: EntryMode, key: string): Buffer => guard(() => a().entryEncode(value, mode, key));
/** Decodes a plaintext entry. */
export const entryDecode = (bytes: Uint8Array, mode: EntryMode, key: string, exact = false): unknown =>
  guard(() => a().entryDecode(bytes, mode, key, exact));
/** AAD v0x03 bytes. */
export const aad = (spec: Parameters<Addon['aad']>[0]): Buffer => guard(() => a().aad(spec));
/** HKDF salt. */
export const deriveSalt = (domain: string, tenant: string): Buffer => guard(() => a().deriveSalt(domain, tenant));
/** HKDF-SHA256 derived key. */
export const deriveKey = (master: string | Uint8Array, domain: string, tenant: string): Buffer =>
  guard(() => a().deriveKey(master, domain, tenant));
/** Fingerprint of a derived key. */
export const keyFingerprint = (key: Uint8Array): Buffer => guard(() => a().keyFingerprint(key));
/** Validates a master key; throws `invalid_master_key`. */
export const checkMasterKey = (key: string | Uint8Array): void => guard(() => a().checkMasterKey(key));
/** True when bytes start with cachekit-py's `CK` magic. */
export const isPythonFrame = (bytes: Uint8Array): boolean => guard(() => a().isPythonFrame(bytes));
/** Parses a cachekit-py `CK` frame for display. */
export const inspectPythonFrame = (bytes: Uint8Array, strict = false) => guard(() => a().inspectPythonFrame(bytes, strict));

/** A keyring: current master key plus up to three decrypt-only keys, for one tenant. */
export function keyring(masterKey: string | Uint8Array, previousKeys: (string | Uint8Array)[] = [], tenant = 'default'): NativeKeyring {
  return guarded(guard(() => new (a().Keyring)(masterKey, previousKeys, tenant)));
}

/** A keyring from `CACHEKIT_MASTER_KEY`-style hex and a comma-separated previous list. */
export function keyringFromHex(current: string, previousCsv: string, tenant: string): NativeKeyring {
  return guarded(guard(() => a().Keyring.fromHex(current, previousCsv, tenant)));
}

function guarded(k: NativeKeyring): NativeKeyring {
  return {
    get tenant() {
      return k.tenant;
    },
    fingerprint: () => k.fingerprint(),
    encrypt: (x, y) => guard(() => k.encrypt(x, y)),
    sealWithNonce: (n, x, y) => guard(() => k.sealWithNonce(n, x, y)),
    decrypt: (x, y) => guard(() => k.decrypt(x, y)),
    entryEncode: (v, m, key) => guard(() => k.entryEncode(v, m, key)),
    entryDecode: (b, m, key, exact) => guard(() => k.entryDecode(b, m, key, exact)),
  };
}
