<?php
/**
 * IDE stubs of the cachekit PHP extension (cachekit-php). Never include this file at run
 * time: the extension defines these classes. Signatures are checked against the extension's
 * reflection by tests/StubsTest.php; PHPDoc carries the precise types.
 */

namespace Cachekit;

/** The extension's version (the cachekit core's). */
function version(): string {}

/**
 * Base class of every cachekit exception. `getCode()` is the core's stable error code
 * (core/src/error.rs); the message starts with the machine name (`"invalid_ttl: ..."`).
 * Every cachekit exception is a plain subclass of `\Exception`: it constructs like one
 * (`new BackendException($message, $code, $previous)`, also from subclasses), and its file,
 * line and trace are where it was created (for the extension's: the calling line).
 */
class Exception extends \Exception {}

/** Usage errors, codes 100–109: bad argument, TTL, key segment, value. */
class UsageException extends Exception {}

/** A value that cannot be cached (objects, closures, resources): code 103 `unsupported_type`. */
class UnsupportedTypeException extends UsageException {}

/** Decode and integrity errors, codes 200–221. */
class DecodeException extends Exception {}

/** Crypto errors, codes 300–307 (bad master key or keyring, `decryption_failed` with `fail_closed`). */
class CryptoException extends Exception {}

/** Backend errors, codes 400–406 (Redis unavailable, breaker open, a shared computation failed). */
class BackendException extends Exception {}

/** A bug in cachekit, code 500. */
class InternalException extends Exception {}

/**
 * A byte string (`bytes`), even when it is valid UTF-8. The wrappers are immutable value
 * objects: writing a property throws `\Error` ("Cannot modify readonly property"), as does
 * adding one (the properties are not declared `readonly` to Reflection: the extension enforces it).
 */
final class Bytes
{
    /** @var string the bytes @readonly */
    public string $data;

    public function __construct(string $data) {}

    public function __toString(): string {}
}

/** An integer beyond PHP_INT_MAX (up to 2^64 − 1), as decimal text. */
final class BigInt
{
    /** @var string decimal text @readonly */
    public string $value;

    /**
     * @throws UsageException `integer_out_of_range` for text that is no integer (one outside
     *   [−2^63, 2^64 − 1] is refused when the value is stored or hashed)
     */
    public function __construct(string $value) {}

    public function __toString(): string {}
}

/** A UUID, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
final class Uuid
{
    /** @readonly */
    public string $value;

    /** @throws UsageException `invalid_argument` for text that is no UUID */
    public function __construct(string $value) {}

    public function __toString(): string {}
}

/** A calendar date, `YYYY-MM-DD` (Python `date`). */
final class Date
{
    /** @readonly */
    public string $value;

    /** @throws UsageException `invalid_temporal` for text that is no date */
    public function __construct(string $value) {}

    public function __toString(): string {}
}

/** A time of day, `HH:MM:SS[.ffffff][±HH:MM]` (Python `time`). */
final class Time
{
    /** @readonly */
    public string $value;

    /** @throws UsageException `invalid_temporal` for text that is no time of day */
    public function __construct(string $value) {}

    public function __toString(): string {}
}

/** A datetime as ISO-8601 text, naive or aware (Python `datetime`). */
final class DateTime
{
    /** @readonly */
    public string $value;

    /** @throws UsageException `invalid_temporal` for text that is no ISO-8601 datetime */
    public function __construct(string $value) {}

    public function __toString(): string {}
}

/** An unordered set (interop args only). */
final class Set
{
    /** @var list<mixed> @readonly */
    public array $items;

    /** @param list<mixed> $items */
    public function __construct(mixed $items) {}
}

/** A map as ordered `[key, value]` pairs: any key types, order kept. */
final class Map
{
    /** @var list<array{0: mixed, 1: mixed}> @readonly */
    public array $entries;

    /** @param list<array{0: mixed, 1: mixed}> $entries */
    public function __construct(mixed $entries) {}
}

/**
 * A cache: L1 in this worker process, Redis behind it (through your phpredis client), every
 * entry in the cachekit protocol's format, readable by cachekit-py, Node and Rust.
 *
 * The engine (L1, circuit breaker, single flight, metrics) lives per worker process and is
 * shared by every Cache built with the same options and Redis server, so under PHP-FPM it
 * survives across requests.
 *
 * L1 is NOT invalidated by other processes: another worker's set(), delete() or invalidate()
 * (tags included) reaches Redis and its own L1 only, so this worker may serve its L1 copy until
 * it expires (the entry's TTL minus one second). Use short TTLs, or `'l1' => false`, where
 * that staleness matters.
 *
 * The module is named `cachekit-php`: extension_loaded('cachekit-php'), php --re cachekit-php,
 * composer "ext-cachekit-php".
 */
class Cache
{
    /**
     * @param \Redis|\RedisCluster|null $redis a connected phpredis client without
     *   OPT_SERIALIZER, OPT_COMPRESSION or OPT_PREFIX (refused: cachekit writes its own format
     *   under full key names); null for an L1-only cache
     * @param array{
     *   preset?: 'minimal'|'production'|'secure'|'io',
     *   namespace?: string,
     *   ttl?: int|float|'never',
     *   l1?: int|false|array{max_bytes?: int, max_entry_bytes?: int, shards?: int},
     *   encryption?: bool|array{master_key?: string, tenant?: string, previous_keys?: list<string>},
     *   breaker?: array{failure_threshold?: int, failure_window_ms?: int, open_duration_ms?: int, half_open_probes?: int, success_threshold?: int},
     *   backpressure?: array{max_in_flight?: int, max_queued?: int, max_wait_ms?: int},
     *   timeout?: array{min_ms?: int, max_ms?: int},
     *   lock?: false|array{lease_ms?: int, retry_ms?: int, wait_ms?: int},
     *   early_refresh?: bool|array{beta?: float},
     *   ttl_refresh?: bool|array{threshold?: float},
     *   stale_while_revalidate?: int,
     *   integrity?: bool,
     *   fail_closed?: bool,
     *   delete_unreadable?: bool,
     *   max_value_bytes?: int,
     *   tag_prefix?: string,
     *   follower_wait_ms?: int,
     *   on_error?: callable(Exception, array{operation: string, key: ?string, command: ?string}): void,
     *   logger?: object,
     * }|null $options
     * @throws UsageException for an unknown or invalid option, or a client option set above
     * @throws CryptoException for a bad master key, or the secure preset without one
     */
    public function __construct(mixed $redis = null, ?array $options = null) {}

    /**
     * Reads a value; `$default` on a miss. Redis failures and unreadable entries (corrupt,
     * wrong key) are misses, counted in the metrics; unreadable entries are deleted unless the
     * `delete_unreadable` option is false.
     * @throws UsageException for a key that is not UTF-8 text
     * @throws \TypeError for a key that is not a string (ints and floats convert in weak mode)
     * @throws CryptoException `decryption_failed` with the `fail_closed` option (which affects
     *   get() and has() only)
     */
    public function get(string $key, mixed $default = null): mixed {}

    /** True when get($key) would find a value. */
    public function has(string $key): bool {}

    /**
     * Writes a value to L1 and Redis; true when it reached Redis (a Redis failure is counted,
     * not thrown).
     * @param int|float|'never'|null $ttl seconds (fractions round up); null: the cache's default
     * @param list<string>|null $tags
     * @throws UsageException for a value that cannot be cached or an invalid TTL
     */
    public function set(string $key, mixed $value, mixed $ttl = null, ?array $tags = null): bool {}

    /**
     * Deletes a key from L1 and Redis; true when it existed.
     * @throws BackendException when Redis cannot be reached
     */
    public function delete(string $key): bool {}

    /**
     * Returns the cached value, or runs `$compute` once (single flight in this process and the
     * distributed fill lock across processes), stores and returns its result. Cache-layer
     * failures never reach the caller; exceptions of `$compute` do. Inside its own `$compute`,
     * a remember() of the same key computes directly; exit() or a fatal error in `$compute`
     * abandons the computation (nothing is left locked).
     * @template T
     * @param int|float|'never'|null $ttl
     * @param callable(): T $compute
     * @return T
     */
    public function remember(string $key, mixed $ttl, callable $compute): mixed {}

    /**
     * An interop/v1 entry shared with every cachekit SDK (cachekit-py included): key
     * `{namespace}:{operation}:{hash of $args}`, canonical MessagePack value.
     * @template T
     * @param string $namespace `^[a-z0-9][a-z0-9._-]{0,63}$`
     * @param list<mixed> $args
     * @param callable(): T $compute
     * @param int|float|'never'|null $ttl
     * @return T
     * @throws UsageException for an invalid namespace or operation, or `$args` that is not a
     *   list (as Protocol::interopKey: an associative array's keys would be lost)
     * @throws UnsupportedTypeException for an argument that cannot be hashed
     */
    public function interop(string $namespace, string $operation, mixed $args, callable $compute, mixed $ttl = null): mixed {}

    /**
     * Invalidates by key, namespace (`ns:{namespace}:*`), interop namespace (`{namespace}:*`)
     * and/or tags, in L1 and Redis. Returns the number of Redis keys deleted.
     * @param list<string>|null $tags
     * @throws UsageException when nothing is named
     * @throws BackendException when Redis cannot be reached
     */
    public function invalidate(?string $namespace = null, ?array $tags = null, ?string $key = null, ?string $interop_namespace = null): int {}

    /** Prometheus text exposition of the engine's metrics. */
    public function metrics(): string {}

    /**
     * Breaker state, L1 statistics, latency estimate, backpressure, encryption.
     * @return array{breaker: array<string, mixed>, l1: array<string, int|float>|null, latency: array<string, int|float|null>, backpressure: array<string, int>, encrypted: bool, preset: string, namespace: ?string, redis: string, engines: int}
     */
    public function health(): mixed {}

    /** The Redis key of a direct key: `ns:{namespace}:{key}` when the cache has a namespace. */
    public function keyFor(string $key): string {}
}

/** The protocol primitives (keys, serializers, envelope, entry codec, key derivation). */
class Protocol
{
    public function __construct() {}

    /** @param list<mixed> $args */
    public static function interopKey(string $namespace, string $operation, mixed $args): string {}

    /** @param list<mixed> $args */
    public static function interopArgsHash(mixed $args): string {}

    /** @param list<mixed> $args */
    public static function canonicalArgs(mixed $args): string {}

    public static function canonicalValue(mixed $value): string {}

    /** Reads an interop value; bytes, maps, big ints and temporal values come back as wrappers. */
    public static function readInterop(string $bytes): mixed {}

    public static function serialize(mixed $value): string {}

    public static function deserialize(string $bytes): mixed {}

    public static function envelopeStore(string $data): string {}

    public static function envelopeRetrieve(string $data): string {}

    /**
     * @param list<mixed> $args
     * @param array<string, mixed>|null $kwargs
     */
    public static function defaultKey(?string $namespace, string $function, mixed $args, mixed $kwargs = null, ?bool $integrity = null, ?string $serializer = null): string {}

    /** @param 'default'|'default-no-integrity'|'interop' $mode_name */
    public static function encodeEntry(mixed $value, string $mode_name, string $cache_key): string {}

    /** @param 'default'|'default-no-integrity'|'interop' $mode_name */
    public static function decodeEntry(string $stored, string $mode_name, string $cache_key): mixed {}

    public static function tenantKeyFingerprint(string $master_key_hex, string $tenant): string {}

    /** A value through the extension's mapping and back in the exact shape a decoder returns. */
    public static function exactValue(mixed $value): mixed {}

    /** The AAD (v0x03) bytes authenticated with an encrypted entry. */
    public static function aad(string $tenant, string $cache_key, string $format, bool $compressed, ?string $original_type = null): string {}

    /** HKDF salt for a domain (`encryption`) and tenant. */
    public static function deriveSalt(string $domain, string $tenant): string {}

    /** HKDF-SHA256 derived key (32 bytes) of a master key (64 hex digits or 32 bytes). */
    public static function deriveKey(mixed $master, string $domain, string $tenant): string {}

    /** The 16-byte fingerprint of a 32-byte derived key. */
    public static function keyFingerprint(string $key): string {}

    /** True for a valid hex master key; throws CryptoException (invalid_master_key) otherwise. */
    public static function masterKeyFromHex(string $hex): bool {}

    /** True for a valid raw (32-byte) master key; throws CryptoException (invalid_master_key) otherwise. */
    public static function masterKeyFromBytes(string $bytes): bool {}

    /**
     * The fields of a ByteStorage envelope.
     * @return array{compressedSize: int, originalSize: int, checksum: string, format: string, encoding: 'bin'|'int-array'}
     */
    public static function envelopeParse(string $data): mixed {}

    /** True when the bytes start with cachekit-py's `CK` frame magic. */
    public static function isPythonFrame(string $data): bool {}

    /**
     * Parses a cachekit-py `CK` frame for display (never to read a value); `strict` also requires a serializer name.
     * @return array{ok: true, headerJson: string, serializer: ?string, payload: string}|array{ok: false, rejectedBy: string}
     */
    public static function inspectPythonFrame(string $data, ?bool $strict = null): mixed {}
}

/** A keyring: the current master key (encrypts and decrypts) and previous keys (decrypt only), for one tenant. */
class Keyring
{
    /**
     * @param string $master 64 hex digits or 32 bytes
     * @param list<string>|null $previous_keys the same
     */
    public function __construct(mixed $master, mixed $previous_keys = null, ?string $tenant = null) {}

    /** `CACHEKIT_MASTER_KEY` / `CACHEKIT_PREVIOUS_MASTER_KEYS` style; throws CryptoException (invalid_keyring). */
    public static function fromHex(string $current, string $previous_csv, string $tenant): Keyring {}

    public function tenant(): string {}

    /** Fingerprint (16 bytes) of the current derived key. */
    public function fingerprint(): string {}

    /** Encrypts with the current key (counter nonce): nonce ‖ ciphertext ‖ tag. */
    public function encrypt(string $aad, string $plaintext): string {}

    /** Seals with an explicit 12-byte nonce (tests and vectors only). */
    public function sealWithNonce(string $nonce, string $aad, string $plaintext): string {}

    /** Opens with the current key, then each previous key, with exactly this AAD. */
    public function decrypt(string $aad, string $stored): string {}

    /** @param 'default'|'default-no-integrity'|'interop' $mode_name */
    public function encodeEntry(mixed $value, string $mode_name, string $cache_key): string {}

    /** @param 'default'|'default-no-integrity'|'interop' $mode_name */
    public function decodeEntry(string $stored, string $mode_name, string $cache_key): mixed {}
}
