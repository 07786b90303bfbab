/*
 * cachekit.h: the C ABI of cachekit (libcachekit.so / libcachekit.a).
 *
 * cachekit is one Rust core for every language's cache: it decides every byte of a cache
 * entry (values, MessagePack, the ByteStorage envelope, cache keys, AES-256-GCM), so C
 * programs share one Redis with cachekit-py and the other SDKs. The library performs no
 * I/O and starts no threads: you talk to Redis (e.g. hiredis), cachekit makes the keys and
 * the bytes. Build and link: see ffi-c/README.md (pkg-config name `cachekit`).
 *
 * CONVENTIONS (every function below follows them)
 *
 * Results. Functions return a ck_result: CK_OK (0) or the stable code of a cachekit error
 *   kind (CK_INVALID_ARGUMENT = 100 ... CK_INTERNAL = 500, the same numbers in every
 *   binding; the constants below). ck_error_name(code) gives the machine name,
 *   ck_error_message(code) a static description, ck_error_is_read_miss(code) whether a
 *   failed read is a cache miss. Detail for the last failed call on the calling thread:
 *   ck_last_error_message(buf, len) (snprintf-style; cleared by every call that returns a
 *   ck_result). A Rust panic never unwinds into C: it is caught and reported as CK_INTERNAL.
 *
 * Ownership. Inputs are borrowed for the duration of the call only; the library never
 *   keeps or frees a caller's pointer. Results come back through out-parameters:
 *   - byte results in a ck_buf { uint8_t *ptr; size_t len; } allocated by the library and
 *     released with ck_buf_free(&buf) (never free()); ptr is followed by a NUL byte, so
 *     text results (keys) are also C strings. A ck_buf out-parameter is set to {NULL, 0}
 *     first, so it is safe to ck_buf_free it whatever the call returned.
 *   - handles (ck_keyring *) created by ck_keyring_new / ck_keyring_new_hex and released
 *     with ck_keyring_free. On failure the out-handle is set to NULL.
 *   - fixed-size outputs (fingerprints, derived keys) in caller memory given as
 *     (pointer, capacity); too small is CK_INVALID_ARGUMENT.
 *   Static strings (ck_version, ck_error_*, ck_python_frame_rejection_name) are never freed.
 *
 * Arguments. Text parameters are NUL-terminated UTF-8 (const char *); invalid UTF-8 is
 *   CK_INVALID_STRING (CK_INVALID_MASTER_KEY for master keys), NULL is CK_INVALID_ARGUMENT
 *   unless the function documents a meaning for NULL. Byte parameters are (pointer,
 *   length): NULL with length 0 is the empty buffer, NULL with a length is
 *   CK_INVALID_ARGUMENT, and a length over CK_MAX_INPUT_BYTES (1 GiB, which catches
 *   SIZE_MAX and other impossible lengths) is CK_VALUE_TOO_LARGE before anything is read.
 *   Mode and kind parameters are plain integers; unknown values are CK_INVALID_ARGUMENT.
 *   No input, however hostile, causes undefined behaviour or a crash, provided pointers
 *   and lengths describe real memory (that part C cannot check).
 *
 * Thread safety. Every function is safe to call from any thread at any time, with two
 *   exceptions that need exclusive access to their handle: ck_keyring_add_previous* (configure
 *   a keyring before sharing it) and ck_keyring_free. A configured keyring may be used for
 *   encryption and decryption by many threads at once (its counter nonces are atomic). The
 *   last-error detail is per thread. Decoding and encoding recurse up to 512 levels of
 *   nesting: call the library on threads with at least 512 KiB of stack (glibc's default is
 *   8 MiB; musl's 128 KiB default is too small for the deepest documents).
 *
 * VALUES: MessagePack in, MessagePack out
 *
 * C has no value type of its own here: values and key arguments are passed as one
 * MessagePack document (any encoder: msgpack-c, mpack, cmp, hand-written bytes). The
 * library never trusts them: it decodes them under the decode bounds (depth 512, declared
 * sizes backed by the input, no trailing bytes, str must be UTF-8) into its value model and
 * re-encodes them with the encoder the call implies (StandardSerializer, canonical
 * interop, key hashing), which refuses what its profile forbids. Mapping, both directions:
 *   nil, bool, int (-2^63..2^64-1), float32/float64, str, bin, array, map  <->  themselves
 *   ext CK_EXT_DATETIME (84), payload = ISO-8601 text       <->  datetime (naive or with offset)
 *   ext CK_EXT_DATE (68),     payload = "YYYY-MM-DD"        <->  date
 *   ext CK_EXT_TIME (116),    payload = "HH:MM:SS[.ffffff][+HH:MM]"  <->  time of day
 *   ext CK_EXT_SET (83),      payload = one msgpack array   <->  set (members = the items)
 *   ext CK_EXT_UUID (85),     payload = 16 bytes            <->  UUID
 *   ext CK_EXT_BIGINT (73),   payload = "-?[0-9]+" text     ->   integer of any size (input only)
 *   any other ext                                         <->  an ext value (encoders refuse it)
 * ck_msgpack_temporal, ck_msgpack_set, ck_msgpack_uuid and ck_msgpack_bigint build these
 * items. Maps are maps: a map shaped like cachekit-py's temporal sentinel
 * ({"__datetime__": true, "value": ...}) is stored as the map it is, exactly as cachekit-py
 * stores such a dict (readers then revive it, as cachekit-py's do). Encoders store temporal
 * values as those sentinel maps; ck_entry_decode returns every temporal value a reader
 * revived as a CK_EXT_DATETIME/DATE/TIME item with the ISO text Python's isoformat() gives,
 * every integer in its shortest form, every float as float64, maps in stored order with
 * whatever keys were stored, and other ext items unchanged.
 *
 * What the C surface cannot say: every value of the protocol's value model can be passed and
 * read back, with these caveats: a float32 read comes back as float64 (same value); a stored
 * ext item whose type is one of the CK_EXT_* numbers above comes back looking like that
 * type (cachekit writers never store ext items; only foreign writers could); and a
 * non-string serializer identity cannot be passed to ck_default_key (it takes a C string).
 *
 * NOT YET IN THIS ABI (TODO, state-machines issue): the L1 cache handle and the circuit
 * breaker / backpressure handles arrive with the core state-machines work; until then the
 * 400-range codes (CK_CIRCUIT_OPEN ... CK_CLOSED) are defined but never returned.
 */

#ifndef CACHEKIT_H
#define CACHEKIT_H

/* Generated with cbindgen:0.29.4 */

/* Generated by cbindgen from ffi-c/src (cbindgen.toml there). Do not edit: edit the Rust and regenerate. */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
/** "MAJOR.MINOR.PATCH" of this header (compare with ck_version() to detect a header/library mismatch). */
#define CACHEKIT_VERSION_STRING "0.1.0"


/**
 * Major version of this header (`ck_version()` reports the linked library's).
 */
#define CACHEKIT_VERSION_MAJOR 0

/**
 * Minor version of this header.
 */
#define CACHEKIT_VERSION_MINOR 1

/**
 * Patch version of this header.
 */
#define CACHEKIT_VERSION_PATCH 0

/**
 * Largest input buffer any function reads: 1 GiB. Longer inputs (and lengths that could
 * not describe a real object, such as `SIZE_MAX`) are refused with `CK_VALUE_TOO_LARGE`
 * before a byte is read.
 */
#define CK_MAX_INPUT_BYTES (1 << 30)

/**
 * MessagePack ext type for a **set**: the payload is one MessagePack array document whose
 * items are the members. Only the interop args profile accepts sets (sorted,
 * deduplicated); every other encoder refuses them (`CK_UNSUPPORTED_TYPE`). Build one with
 * `ck_msgpack_set`.
 */
#define CK_EXT_SET 83

/**
 * MessagePack ext type for a **UUID**: the payload is its 16 bytes. Key arguments hash it
 * as its lowercase hyphenated string; values refuse it. Build one with `ck_msgpack_uuid`.
 */
#define CK_EXT_UUID 85

/**
 * MessagePack ext type for an **integer of any size**: the payload is ASCII decimal text
 * (`-?[0-9]+`). Lets callers holding big integers (e.g. a language binding on top of
 * this ABI) get `CK_INTEGER_OUT_OF_RANGE` from the encoder instead of checking
 * [-2^63, 2^64-1] themselves. Build one with `ck_msgpack_bigint`. Never produced on output.
 */
#define CK_EXT_BIGINT 73

/**
 * MessagePack ext type for a **datetime**: the payload is its ISO-8601 text
 * (`YYYY-MM-DDTHH:MM:SS[.ffffff][+HH:MM]`; naive without an offset). Output documents use
 * it for every datetime a reader revived; inputs may use it wherever a datetime belongs.
 * Build one with `ck_msgpack_temporal`.
 */
#define CK_EXT_DATETIME 84

/**
 * MessagePack ext type for a **date**: the payload is `YYYY-MM-DD`.
 */
#define CK_EXT_DATE 68

/**
 * MessagePack ext type for a **time of day**: the payload is `HH:MM:SS[.ffffff][+HH:MM]`.
 */
#define CK_EXT_TIME 116

/**
 * Temporal kind for `ck_msgpack_temporal`: a datetime, naive or with a UTC offset.
 */
#define CK_TEMPORAL_DATETIME 1

/**
 * Temporal kind for `ck_msgpack_temporal`: a calendar date.
 */
#define CK_TEMPORAL_DATE 2

/**
 * Temporal kind for `ck_msgpack_temporal`: a time of day, naive or with a UTC offset.
 */
#define CK_TEMPORAL_TIME 3

/**
 * Bytes of a master key (given raw), of a derived tenant key, and of `ck_derive_key`'s output.
 */
#define CK_KEY_LEN 32

/**
 * Bytes of a key fingerprint (`ck_keyring_fingerprint`, `ck_key_fingerprint`).
 */
#define CK_FINGERPRINT_LEN 16

/**
 * Bytes of an AES-256-GCM nonce (the first bytes of every ciphertext).
 */
#define CK_NONCE_LEN 12

/**
 * Most previous (decrypt-only) keys a keyring holds.
 */
#define CK_MAX_PREVIOUS_KEYS 3

/**
 * Value size cap used when `max_value_bytes` is 0: 100 MiB, as cachekit-py's
 * `CACHEKIT_MAX_VALUE_SIZE`.
 */
#define CK_DEFAULT_MAX_VALUE_BYTES ((100 * 1024) * 1024)

/**
 * An encryption keyring: one current master key that encrypts and up to three previous
 * keys that only decrypt, all derived for one tenant (HKDF-SHA256 → AES-256-GCM), plus the
 * counter nonce sequence of this encryptor. Opaque: create it with `ck_keyring_new` or
 * `ck_keyring_new_hex`, release it with `ck_keyring_free`.
 */
typedef struct ck_keyring ck_keyring;

/**
 * A byte buffer owned by the library.
 *
 * Every `ck_buf` a function fills is allocated by cachekit and must be released with
 * `ck_buf_free` (never `free()`), exactly once, with `ptr` and `len` unchanged. On
 * success `ptr` is never NULL, even when `len` is 0, and one NUL byte follows the `len`
 * bytes (not counted in `len`), so text results (keys) can be used as C strings.
 * Functions set their `ck_buf` out-parameter to `{NULL, 0}` first, also on failure; an
 * out-parameter is overwritten, not freed, so free what it held before reusing it.
 */
typedef struct ck_buf {
  /**
   * The bytes, or NULL when the buffer is empty-initialised or freed.
   */
  uint8_t *ptr;
  /**
   * Number of bytes at `ptr` (the trailing NUL not included).
   */
  size_t len;
} ck_buf;

/**
 * A result code: `CK_OK` (0) on success, otherwise the stable code of a cachekit error
 * kind (the `CK_*` codes below, equal to the core's `ErrorKind` codes). Codes are append-only and never renumbered;
 * treat an unknown non-zero code as a failure and show `ck_error_name(code)`.
 */
typedef int32_t ck_result;

/**
 * Which wire form an entry has: one of the `CK_MODE_*` constants.
 */
typedef uint32_t ck_mode;

/**
 * How an envelope stored its compressed bytes: `CK_ENVELOPE_ENCODING_*`.
 */
typedef uint32_t ck_envelope_encoding;

/**
 * The fields of a parsed (not decompressed) ByteStorage envelope.
 */
typedef struct ck_envelope_info {
  /**
   * Bytes of LZ4 block data.
   */
  size_t compressed_len;
  /**
   * Declared size of the original bytes, as on the wire (not yet checked).
   */
  uint64_t original_size;
  /**
   * The stored xxh3-64 of the original bytes.
   */
  uint64_t checksum;
  /**
   * `CK_ENVELOPE_ENCODING_BIN` or `CK_ENVELOPE_ENCODING_INT_ARRAY`.
   */
  ck_envelope_encoding encoding;
} ck_envelope_info;

/**
 * Where the parts of a `CK` frame lie in the bytes given to `ck_python_frame_parse`:
 * `"CK" || 0x03 || u32be(header_len) || JSON header || payload`.
 */
typedef struct ck_python_frame {
  /**
   * Offset of the JSON header (always 7).
   */
  size_t header_offset;
  /**
   * Bytes of JSON header (UTF-8, not NUL-terminated).
   */
  size_t header_len;
  /**
   * Offset of the payload (the bytes after the header).
   */
  size_t payload_offset;
  /**
   * Bytes of payload.
   */
  size_t payload_len;
  /**
   * True when the header records a non-empty serializer name (`"s"`).
   */
  bool has_serializer;
} ck_python_frame;

/**
 * Why a `CK` frame could not be parsed: `CK_FRAME_REJECTION_*`.
 */
typedef uint32_t ck_frame_rejection;

/**
 * Success.
 */
#define CK_OK 0

/**
 * 100 `invalid_argument`: an argument is malformed (NULL where a value is required, bad mode, empty identity…).
 */
#define CK_INVALID_ARGUMENT 100

/**
 * 101 `integer_out_of_range`: an integer outside [-2^63, 2^64-1].
 */
#define CK_INTEGER_OUT_OF_RANGE 101

/**
 * 102 `non_finite_float`: NaN or ±Inf where the profile forbids them.
 */
#define CK_NON_FINITE_FLOAT 102

/**
 * 103 `unsupported_type`: a value the encoder cannot represent in this profile.
 */
#define CK_UNSUPPORTED_TYPE 103

/**
 * 104 `invalid_map_key`: a map key the encoder refuses (non-string, duplicate, unsortable mix).
 */
#define CK_INVALID_MAP_KEY 104

/**
 * 105 `invalid_string`: text that is not well-formed UTF-8 (including C string parameters).
 */
#define CK_INVALID_STRING 105

/**
 * 106 `invalid_segment`: an interop namespace or operation outside `^[a-z0-9][a-z0-9._-]{0,63}$`.
 */
#define CK_INVALID_SEGMENT 106

/**
 * 107 `invalid_temporal`: a date, time or datetime out of range or not ISO-8601.
 */
#define CK_INVALID_TEMPORAL 107

/**
 * 108 `invalid_ttl`: a TTL that is zero, negative or not finite.
 */
#define CK_INVALID_TTL 108

/**
 * 109 `value_too_large`: a value, entry or input buffer beyond a size cap.
 */
#define CK_VALUE_TOO_LARGE 109

/**
 * 200 `malformed_msgpack`: bytes are not MessagePack.
 */
#define CK_MALFORMED_MSGPACK 200

/**
 * 201 `decode_bounds`: the pre-decode guard refused the document (depth, declared slots, incomplete).
 */
#define CK_DECODE_BOUNDS 201

/**
 * 202 `trailing_bytes`: bytes remain after one complete document.
 */
#define CK_TRAILING_BYTES 202

/**
 * 203 `invalid_sentinel`: a temporal sentinel map whose `value` is not valid ISO-8601.
 */
#define CK_INVALID_SENTINEL 203

/**
 * 210 `envelope_structure`: the ByteStorage envelope has the wrong shape or types.
 */
#define CK_ENVELOPE_STRUCTURE 210

/**
 * 211 `envelope_size_limit`: envelope, compressed or original size over 512 MiB.
 */
#define CK_ENVELOPE_SIZE_LIMIT 211

/**
 * 212 `decompression_bomb`: empty compressed data or a ratio above 1000.
 */
#define CK_DECOMPRESSION_BOMB 212

/**
 * 213 `decompression_failed`: the LZ4 block is corrupt or does not fill `original_size`.
 */
#define CK_DECOMPRESSION_FAILED 213

/**
 * 214 `checksum_mismatch`: xxh3-64 of the decompressed bytes differs from the stored one.
 */
#define CK_CHECKSUM_MISMATCH 214

/**
 * 220 `python_frame`: the entry is a cachekit-py `CK` frame (Python-internal, never decoded).
 */
#define CK_PYTHON_FRAME 220

/**
 * 221 `python_frame_malformed`: a `CK` frame the inspector cannot parse.
 */
#define CK_PYTHON_FRAME_MALFORMED 221

/**
 * 300 `invalid_master_key`: a master key that is not exactly 32 bytes (64 hex digits).
 */
#define CK_INVALID_MASTER_KEY 300

/**
 * 301 `invalid_keyring`: more than 3 previous keys, or the current key repeated among them.
 */
#define CK_INVALID_KEYRING 301

/**
 * 302 `invalid_tenant`: tenant or derivation domain empty or too long.
 */
#define CK_INVALID_TENANT 302

/**
 * 303 `decryption_failed`: authentication failed with every key (wrong key, AAD or tampering).
 */
#define CK_DECRYPTION_FAILED 303

/**
 * 304 `ciphertext_too_short`: stored bytes shorter than nonce + tag (28 bytes).
 */
#define CK_CIPHERTEXT_TOO_SHORT 304

/**
 * 305 `nonce_exhausted`: this keyring issued all 2^32 counter nonces; make a new one.
 */
#define CK_NONCE_EXHAUSTED 305

/**
 * 306 `random_unavailable`: the platform random source failed.
 */
#define CK_RANDOM_UNAVAILABLE 306

/**
 * 307 `encryption_required`: a secure configuration without a key.
 */
#define CK_ENCRYPTION_REQUIRED 307

/**
 * 400 `circuit_open`: the circuit breaker is open (used by the state-machine handles, not yet in this ABI).
 */
#define CK_CIRCUIT_OPEN 400

/**
 * 401 `overloaded`: backpressure refused the call (not yet used by this ABI).
 */
#define CK_OVERLOADED 401

/**
 * 402 `timeout`: a deadline passed (not yet used by this ABI).
 */
#define CK_TIMEOUT 402

/**
 * 403 `backend`: a Redis error reported by the binding (not yet used by this ABI).
 */
#define CK_BACKEND 403

/**
 * 404 `lock_not_acquired`: the fill lock stayed held by another writer (not yet used by this ABI).
 */
#define CK_LOCK_NOT_ACQUIRED 404

/**
 * 405 `closed`: the cache was closed (not yet used by this ABI).
 */
#define CK_CLOSED 405

/**
 * 406 `compute_failed`: a single-flight leader's computation failed (not yet used by this ABI).
 */
#define CK_COMPUTE_FAILED 406

/**
 * 500 `internal`: a bug in cachekit, e.g. a Rust panic caught at this boundary.
 */
#define CK_INTERNAL 500

/**
 * Default mode, integrity on: StandardSerializer MessagePack inside a ByteStorage
 * envelope (LZ4 + xxh3-64), then encrypted when a keyring is given. What cachekit-py
 * writes with its default `integrity_checking=True` minus the Python-only `CK` frame.
 */
#define CK_MODE_DEFAULT 1

/**
 * Default mode, integrity off: bare StandardSerializer MessagePack, then optional encryption.
 */
#define CK_MODE_DEFAULT_NO_INTEGRITY 2

/**
 * Interop/v1: one canonical MessagePack document shared by every SDK (sorted string keys,
 * no NaN/Inf, no sets or UUIDs), then optional encryption.
 */
#define CK_MODE_INTEROP 3

/**
 * MessagePack bin (what every current writer produces).
 */
#define CK_ENVELOPE_ENCODING_BIN 1

/**
 * An array of integers 0..=255 (legacy writers; still read).
 */
#define CK_ENVELOPE_ENCODING_INT_ARRAY 2

/**
 * Not rejected.
 */
#define CK_FRAME_REJECTION_NONE 0

/**
 * Shorter than the 7-byte prefix (`"prefix_length"`).
 */
#define CK_FRAME_REJECTION_PREFIX_LENGTH 1

/**
 * Does not start with `CK` (`"magic"`).
 */
#define CK_FRAME_REJECTION_MAGIC 2

/**
 * A version other than 3 (`"version"`).
 */
#define CK_FRAME_REJECTION_VERSION 3

/**
 * The declared header length overruns the frame (`"header_length"`).
 */
#define CK_FRAME_REJECTION_HEADER_LENGTH 4

/**
 * The header is not a UTF-8 JSON object (`"header_json"`).
 */
#define CK_FRAME_REJECTION_HEADER_JSON 5

/**
 * The header records no serializer name (`"serializer_name"`; `ck_python_frame_validate` only).
 */
#define CK_FRAME_REJECTION_SERIALIZER_NAME 6

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * Releases a buffer a cachekit function filled and resets it to `{NULL, 0}`.
 *
 * Ownership: takes back the memory of `*buf`. Passing NULL, or a buffer whose `ptr` is
 * NULL (never filled, or already freed through this function), does nothing, so calling
 * it twice on the same `ck_buf` is harmless.
 * Thread safety: safe from any thread, as long as no other thread uses the same buffer.
 *
 * # Safety
 * `buf` is NULL or points to a `ck_buf` that is `{NULL, 0}` or was filled by a cachekit
 * function and not modified since.
 */
void ck_buf_free(struct ck_buf *buf);

/**
 * Copies the detail message of the calling thread's last failed call into `buf`.
 *
 * Every function that returns a `ck_result` first clears the calling thread's detail,
 * then sets it when it fails ("name (code): what exactly was wrong"); so after a success
 * the detail is empty. The detail is informative, never normative: branch on the code.
 * Writes at most `buf_len - 1` bytes plus a NUL (cut at a UTF-8 character boundary) and
 * returns the full length of the message in bytes, like `snprintf`: call it with
 * `buf = NULL, buf_len = 0` to size a buffer. Reading the detail does not clear it.
 * Ownership: `buf` stays the caller's. Thread safety: each thread has its own detail.
 *
 * # Safety
 * `buf` is NULL or points to at least `buf_len` writable bytes.
 */
size_t ck_last_error_message(char *buf, size_t buf_len);

/**
 * The stable machine name of a result code: `"ok"` for `CK_OK`, e.g. `"checksum_mismatch"`
 * for 214, `"unknown"` for a code this library does not define.
 *
 * Ownership: the string is static; never free it. Thread safety: safe from any thread.
 */
const char *ck_error_name(ck_result code);

/**
 * A static one-line English description of a result code (`"success"` for `CK_OK`).
 * For what went wrong in a particular call, see `ck_last_error_message`.
 *
 * Ownership: the string is static; never free it. Thread safety: safe from any thread.
 */
const char *ck_error_message(ck_result code);

/**
 * True when a cache read that failed with `code` must be treated as a miss (and counted),
 * not reported to the caller: the stored bytes are unreadable (decode and integrity
 * codes, `CK_DECRYPTION_FAILED`, `CK_CIPHERTEXT_TOO_SHORT`, `CK_PYTHON_FRAME`), not the call
 * wrong. False for `CK_OK` and unknown codes.
 *
 * Thread safety: safe from any thread.
 */
bool ck_error_is_read_miss(ck_result code);

/**
 * The version of the linked library, `"MAJOR.MINOR.PATCH"` (compare with
 * `CACHEKIT_VERSION_STRING` to detect a header/library mismatch).
 *
 * Ownership: the string is static; never free it. Thread safety: safe from any thread.
 */
const char *ck_version(void);

/**
 * Wraps a MessagePack array document as one `CK_EXT_SET` item, to place wherever a set
 * belongs in an args document (`{1, 2}` → `ck_msgpack_set("\x92\x01\x02", 3, &out)`).
 *
 * The array is validated (one bounded document, an array, no trailing bytes); its items
 * are copied as given. Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `out`, not an
 * array); `CK_MALFORMED_MSGPACK`, `CK_DECODE_BOUNDS`, `CK_TRAILING_BYTES`,
 * `CK_VALUE_TOO_LARGE`.
 * Ownership: `array_msgpack` stays the caller's; on success free `*out` with `ck_buf_free`.
 * Thread safety: safe from any thread.
 *
 * # Safety
 * `array_msgpack` points to `len` readable bytes (or is NULL with `len == 0`); `out` is
 * NULL or a writable `ck_buf`.
 */
ck_result ck_msgpack_set(const uint8_t *array_msgpack, size_t len, struct ck_buf *out);

/**
 * Writes one `CK_EXT_UUID` item for a UUID given as text (`8-4-4-4-12` hex, any case).
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL, not a UUID); `CK_INVALID_STRING`.
 * Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
 *
 * # Safety
 * `uuid` is NULL or a NUL-terminated string; `out` is NULL or a writable `ck_buf`.
 */
ck_result ck_msgpack_uuid(const char *uuid, struct ck_buf *out);

/**
 * Writes one `CK_EXT_BIGINT` item for an integer given as decimal text (`-?[0-9]+`, any
 * size). Encoders accept it when it lies in [-2^63, 2^64-1] (as if it were a plain
 * MessagePack integer) and refuse it otherwise with `CK_INTEGER_OUT_OF_RANGE`.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL, not decimal); `CK_INVALID_STRING`.
 * Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
 *
 * # Safety
 * `decimal` is NULL or a NUL-terminated string; `out` is NULL or a writable `ck_buf`.
 */
ck_result ck_msgpack_bigint(const char *decimal, struct ck_buf *out);

/**
 * Writes one temporal item: `CK_EXT_DATETIME`, `CK_EXT_DATE` or `CK_EXT_TIME` (by `kind`:
 * `CK_TEMPORAL_DATETIME`, `CK_TEMPORAL_DATE`, `CK_TEMPORAL_TIME`) whose payload is `iso`
 * validated and rewritten in the canonical form Python's `isoformat()` gives (e.g.
 * `"2024-01-15T12:30:00Z"` becomes `"2024-01-15T12:30:00+00:00"`). Encoders store it as
 * the temporal sentinel map cachekit-py writes; key arguments hash it as Python hashes the
 * datetime (naive datetimes, dates and times are refused there).
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL, unknown kind);
 * `CK_INVALID_TEMPORAL` (not ISO-8601 or out of range); `CK_INVALID_STRING`.
 * Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
 *
 * # Safety
 * `iso` is NULL or a NUL-terminated string; `out` is NULL or a writable `ck_buf`.
 */
ck_result ck_msgpack_temporal(uint32_t kind, const char *iso, struct ck_buf *out);

/**
 * Checks a master key given as hex: exactly 64 hex digits (any case), nothing else (no
 * prefix, no whitespace).
 *
 * Result codes: `CK_OK`; `CK_INVALID_MASTER_KEY` (also for NULL and non-UTF-8 text).
 * Thread safety: safe from any thread.
 *
 * # Safety
 * `hex` is NULL or a NUL-terminated string.
 */
ck_result ck_master_key_validate_hex(const char *hex);

/**
 * Checks a raw master key: exactly `CK_KEY_LEN` (32) bytes.
 *
 * Result codes: `CK_OK`; `CK_INVALID_MASTER_KEY`; `CK_INVALID_ARGUMENT` (NULL with a
 * non-zero length). Thread safety: safe from any thread.
 *
 * # Safety
 * `key` points to `len` readable bytes (or is NULL with `len == 0`).
 */
ck_result ck_master_key_validate(const uint8_t *key, size_t len);

/**
 * Creates a keyring whose current key is `master_key_hex` (64 hex digits), for `tenant`
 * (NULL means the single-tenant default, `"default"`).
 *
 * Result codes: `CK_OK`; `CK_INVALID_MASTER_KEY`; `CK_INVALID_TENANT` (empty or over 1024
 * bytes); `CK_INVALID_STRING` (tenant not UTF-8); `CK_INVALID_ARGUMENT` (NULL `out`);
 * `CK_RANDOM_UNAVAILABLE` (no random nonce prefix).
 * Ownership: on success `*out` is a new keyring the caller owns: release it with
 * `ck_keyring_free`. On failure `*out` is set to NULL. The library keeps its own copy of
 * the key material (wiped when the keyring is freed); the caller's strings stay theirs.
 * Thread safety: safe from any thread.
 *
 * # Safety
 * `master_key_hex` and `tenant` are NULL or NUL-terminated strings; `out` is NULL or a
 * writable `ck_keyring *`.
 */
ck_result ck_keyring_new_hex(const char *master_key_hex, const char *tenant, struct ck_keyring **out);

/**
 * Creates a keyring whose current key is the `len` raw bytes at `master_key` (exactly
 * `CK_KEY_LEN`), for `tenant` (NULL means `"default"`).
 *
 * Result codes, ownership and thread safety: as `ck_keyring_new_hex`.
 *
 * # Safety
 * `master_key` points to `len` readable bytes; `tenant` is NULL or a NUL-terminated
 * string; `out` is NULL or a writable `ck_keyring *`.
 */
ck_result ck_keyring_new(const uint8_t *master_key, size_t len, const char *tenant, struct ck_keyring **out);

/**
 * Adds a previous (decrypt-only) master key given as hex, for key rotation: entries
 * written under it stay readable while new entries are encrypted with the current key.
 *
 * Result codes: `CK_OK`; `CK_INVALID_MASTER_KEY`; `CK_INVALID_KEYRING` (already
 * `CK_MAX_PREVIOUS_KEYS` previous keys, or the key equals the current one);
 * `CK_INVALID_ARGUMENT` (NULL keyring). On failure the keyring is unchanged.
 * Thread safety: mutates the keyring: no other call may use it concurrently (configure a
 * keyring fully before sharing it between threads). Adding a key restarts the keyring's
 * nonce sequence under a fresh random prefix.
 *
 * # Safety
 * `keyring` is NULL or a live keyring; `hex` is NULL or a NUL-terminated string.
 */
ck_result ck_keyring_add_previous_hex(struct ck_keyring *keyring, const char *hex);

/**
 * Adds a previous (decrypt-only) master key given as `len` raw bytes.
 *
 * Result codes and thread safety: as `ck_keyring_add_previous_hex`.
 *
 * # Safety
 * `keyring` is NULL or a live keyring; `key` points to `len` readable bytes.
 */
ck_result ck_keyring_add_previous(struct ck_keyring *keyring, const uint8_t *key, size_t len);

/**
 * Writes the `CK_FINGERPRINT_LEN` (16) byte fingerprint of the keyring's current derived
 * key (SHA-256 of `"key_fingerprint_v1" || key`, first 16 bytes) to `out`. Fingerprints
 * identify keys in logs and rotation tools without revealing them.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL keyring or `out`, `out_len` < 16).
 * Thread safety: safe to call concurrently on the same keyring.
 *
 * # Safety
 * `keyring` is NULL or a live keyring; `out` is NULL or points to `out_len` writable bytes.
 */
ck_result ck_keyring_fingerprint(const struct ck_keyring *keyring, uint8_t *out, size_t out_len);

/**
 * Releases a keyring and wipes its key material. NULL does nothing.
 *
 * Ownership: takes back a keyring from `ck_keyring_new*`; do not use it afterwards.
 * Thread safety: no other call may be using the keyring.
 *
 * # Safety
 * `keyring` is NULL or a live keyring not freed before.
 */
void ck_keyring_free(struct ck_keyring *keyring);

/**
 * Encrypts `plaintext` with the keyring's current key under `aad`: AES-256-GCM with the
 * next counter nonce, written as `nonce (12) || ciphertext || tag (16)`. This is the
 * primitive under encrypted entries; `ck_entry_encode` builds the AAD for you.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT`; `CK_VALUE_TOO_LARGE`; `CK_NONCE_EXHAUSTED`.
 * Ownership: inputs stay the caller's; on success free `*out` with `ck_buf_free`.
 * Thread safety: safe to call concurrently on the same keyring (nonces never repeat).
 *
 * # Safety
 * `keyring` is NULL or a live keyring; `aad` and `plaintext` point to their lengths in
 * readable bytes (or are NULL with length 0); `out` is NULL or a writable `ck_buf`.
 */
ck_result ck_keyring_encrypt(const struct ck_keyring *keyring,
                             const uint8_t *aad,
                             size_t aad_len,
                             const uint8_t *plaintext,
                             size_t plaintext_len,
                             struct ck_buf *out);

/**
 * Decrypts `nonce || ciphertext || tag` under `aad` with the current key, then each
 * previous key (always the identical AAD).
 *
 * Result codes: `CK_OK`; `CK_DECRYPTION_FAILED` (no key authenticates it: wrong key, AAD
 * or tampering); `CK_CIPHERTEXT_TOO_SHORT` (under 28 bytes); `CK_INVALID_ARGUMENT`;
 * `CK_VALUE_TOO_LARGE`.
 * Ownership: on success free `*out` (the plaintext) with `ck_buf_free`.
 * Thread safety: safe to call concurrently on the same keyring.
 *
 * # Safety
 * As `ck_keyring_encrypt`, with `stored` in place of `plaintext`.
 */
ck_result ck_keyring_decrypt(const struct ck_keyring *keyring,
                             const uint8_t *aad,
                             size_t aad_len,
                             const uint8_t *stored,
                             size_t stored_len,
                             struct ck_buf *out);

/**
 * Known-answer testing only: encrypts like `ck_keyring_encrypt` but with the caller's
 * `CK_NONCE_LEN` (12) byte `nonce` instead of the keyring's counter nonce, so published
 * vectors can be reproduced byte for byte. Never use it to store data: encrypting two
 * messages under one key with the same nonce destroys AES-GCM's confidentiality and
 * authenticity. The keyring's own nonce sequence is not advanced.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL, `nonce_len` != 12);
 * `CK_VALUE_TOO_LARGE`.
 * Ownership: on success free `*out` with `ck_buf_free`. Thread safety: as `ck_keyring_encrypt`.
 *
 * # Safety
 * As `ck_keyring_encrypt`, plus `nonce` points to `nonce_len` readable bytes.
 */
ck_result ck_keyring_encrypt_with_nonce(const struct ck_keyring *keyring,
                                        const uint8_t *nonce,
                                        size_t nonce_len,
                                        const uint8_t *aad,
                                        size_t aad_len,
                                        const uint8_t *plaintext,
                                        size_t plaintext_len,
                                        struct ck_buf *out);

/**
 * Builds the AAD v0x03 that binds a ciphertext to its context: `0x03` then each of
 * `tenant`, `cache_key`, `format`, `"True"`/`"False"` (from `compressed`) and, when not
 * NULL, `original_type`, each as a u32 big-endian length and its UTF-8 bytes. Entries
 * written by this library use format `"msgpack"`, `compressed` = integrity on, and no
 * original type.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (a NULL required string or `out`);
 * `CK_INVALID_STRING`. Ownership: on success free `*out` with `ck_buf_free`.
 * Thread safety: safe from any thread.
 *
 * # Safety
 * The strings are NULL or NUL-terminated; `out` is NULL or a writable `ck_buf`.
 */
ck_result ck_aad(const char *tenant,
                 const char *cache_key,
                 const char *format,
                 bool compressed,
                 const char *original_type,
                 struct ck_buf *out);

/**
 * Writes the HKDF salt for `domain` and `tenant`: `"cachekit_v1_" || u8(len(domain)) ||
 * domain || u16be(len(tenant)) || tenant`.
 *
 * Result codes: `CK_OK`; `CK_INVALID_TENANT` (domain not 1..=255 bytes, tenant not
 * 1..=1024 bytes); `CK_INVALID_ARGUMENT`; `CK_INVALID_STRING`.
 * Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
 *
 * # Safety
 * `domain` and `tenant` are NULL or NUL-terminated; `out` is NULL or a writable `ck_buf`.
 */
ck_result ck_derive_salt(const char *domain, const char *tenant, struct ck_buf *out);

/**
 * Derives the 32-byte key for `domain` and `tenant` from a raw master key:
 * HKDF-SHA256(ikm = master key, salt = `ck_derive_salt`, info = domain). Domain
 * `"encryption"` gives the AES-256-GCM key of encrypted entries. The output is secret key
 * material: wipe it when done.
 *
 * Result codes: `CK_OK`; `CK_INVALID_MASTER_KEY`; `CK_INVALID_TENANT`;
 * `CK_INVALID_ARGUMENT` (NULL, `out_len` < 32); `CK_INVALID_STRING`.
 * Ownership: `out` is the caller's buffer of `out_len` bytes; 32 are written.
 * Thread safety: safe from any thread.
 *
 * # Safety
 * `master_key` points to `master_key_len` readable bytes; `domain` and `tenant` are NULL
 * or NUL-terminated; `out` is NULL or points to `out_len` writable bytes.
 */
ck_result ck_derive_key(const uint8_t *master_key,
                        size_t master_key_len,
                        const char *domain,
                        const char *tenant,
                        uint8_t *out,
                        size_t out_len);

/**
 * Writes the 16-byte fingerprint of a 32-byte derived key (as `ck_derive_key` gives):
 * the first 16 bytes of SHA-256(`"key_fingerprint_v1"` || key).
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL, `key_len` != 32, `out_len` < 16).
 * Thread safety: safe from any thread.
 *
 * # Safety
 * `key` points to `key_len` readable bytes; `out` is NULL or points to `out_len` writable bytes.
 */
ck_result ck_key_fingerprint(const uint8_t *key, size_t key_len, uint8_t *out, size_t out_len);

/**
 * Turns a value into the bytes to store under `cache_key`.
 *
 * `value_msgpack` is one MessagePack document (see "Values" at the top of this header):
 * it is decoded under the decode bounds and re-encoded by the mode's encoder, never
 * copied. With a `keyring` the result is `nonce || AES-256-GCM ciphertext || tag`, bound
 * by the AAD to the keyring's tenant and to `cache_key` (which must then not be NULL).
 * Without a keyring `cache_key` is unused and may be NULL. `max_value_bytes` caps the
 * serialized value (0 = `CK_DEFAULT_MAX_VALUE_BYTES`).
 *
 * Result codes: `CK_OK`; input: `CK_MALFORMED_MSGPACK`, `CK_DECODE_BOUNDS`,
 * `CK_TRAILING_BYTES`, `CK_INVALID_TEMPORAL` (a temporal ext item with bad text); value:
 * `CK_INTEGER_OUT_OF_RANGE`, `CK_NON_FINITE_FLOAT`, `CK_UNSUPPORTED_TYPE`,
 * `CK_INVALID_MAP_KEY`, `CK_VALUE_TOO_LARGE` (interop refuses NaN/Inf, sets, UUIDs,
 * non-string or duplicate keys; default mode refuses sets, UUIDs and ext values); call:
 * `CK_INVALID_ARGUMENT` (unknown mode, NULL `out`, NULL `cache_key` with a keyring),
 * `CK_INVALID_STRING`; encryption: `CK_NONCE_EXHAUSTED`.
 * Ownership: inputs stay the caller's; on success free `*out` with `ck_buf_free`.
 * Thread safety: safe from any thread, also concurrently with the same keyring.
 *
 * # Safety
 * `cache_key` is NULL or NUL-terminated; `keyring` is NULL or a live keyring;
 * `value_msgpack` points to `value_len` readable bytes; `out` is NULL or a writable `ck_buf`.
 */
ck_result ck_entry_encode(ck_mode mode,
                          const char *cache_key,
                          const struct ck_keyring *keyring,
                          size_t max_value_bytes,
                          const uint8_t *value_msgpack,
                          size_t value_len,
                          struct ck_buf *out);

/**
 * Reads stored bytes back into a value, returned as one MessagePack document.
 *
 * The stored bytes are untrusted: decrypted (with a keyring: current key, then previous
 * keys, AAD from the keyring's tenant and `cache_key`), unwrapped (integrity on: every
 * envelope check) and decoded under the decode bounds by the mode's reader, never sniffed
 * (the mode decides the container). The output is written from the decoded value:
 * shortest-form integers, floats as float64, maps in stored order, the temporal values a
 * reader revived as `CK_EXT_DATETIME` / `CK_EXT_DATE` / `CK_EXT_TIME` items, other ext items
 * unchanged (see "Values" at the top of this header).
 *
 * Result codes: `CK_OK`; every failure whose `ck_error_is_read_miss` is true is a cache
 * miss, not a caller error: `CK_MALFORMED_MSGPACK`, `CK_DECODE_BOUNDS`, `CK_TRAILING_BYTES`,
 * `CK_INVALID_SENTINEL`, `CK_ENVELOPE_*`, `CK_DECOMPRESSION_*`, `CK_CHECKSUM_MISMATCH`,
 * `CK_PYTHON_FRAME` (a cachekit-py `CK` frame, refused in every mode, also encrypted
 * ones), `CK_DECRYPTION_FAILED`, `CK_CIPHERTEXT_TOO_SHORT`; call errors:
 * `CK_INVALID_ARGUMENT`, `CK_INVALID_STRING`, `CK_VALUE_TOO_LARGE` (input over
 * `CK_MAX_INPUT_BYTES`).
 * Ownership: inputs stay the caller's; on success free `*out` with `ck_buf_free`.
 * Thread safety: safe from any thread, also concurrently with the same keyring.
 *
 * # Safety
 * As `ck_entry_encode`, with `stored` (`stored_len` readable bytes) as the input.
 */
ck_result ck_entry_decode(ck_mode mode,
                          const char *cache_key,
                          const struct ck_keyring *keyring,
                          const uint8_t *stored,
                          size_t stored_len,
                          struct ck_buf *out);

/**
 * Builds a default-mode cache key, byte-identical to cachekit-py's:
 * `[ns:{namespace}:]func:{function}:args:{blake2b-256 hex}:{1|0}{serializer code}`,
 * shortened to `key[0:50] + ":" + hash[0:32]` beyond 250 characters.
 *
 * - `cache_namespace`: NULL or `""` for none.
 * - `function`: the function identity (Python: `module.qualname`), sanitised as Python does.
 * - `args_msgpack`: a MessagePack array of the positional arguments, or NULL with length 0.
 * - `kwargs_msgpack`: a MessagePack map from argument name (string) to value, or NULL with
 *   length 0. The order does not matter (names are sorted); a repeated name is refused.
 * - `integrity`: the `1`/`0` of the suffix (integrity checking on or off).
 * - `serializer`: the serializer identity (`"std"`/`"default"` → `s`, `"auto"` → `a`, ...).
 *
 * Arguments follow cachekit-py's normalisation: aware datetimes (`CK_EXT_DATETIME`) hash
 * as their ISO text, UUIDs (`CK_EXT_UUID`) as their lowercase string, maps with sorted keys;
 * naive datetimes, dates, times and sets are refused (`CK_UNSUPPORTED_TYPE`), as are
 * integers outside [-2^63, 2^64-1] and maps mixing key families (`CK_INVALID_MAP_KEY`).
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `function`/`serializer`/`out`, empty
 * serializer, args not an array, kwargs not a map with string keys, repeated kwarg);
 * `CK_INVALID_STRING`; `CK_UNSUPPORTED_TYPE`; `CK_INTEGER_OUT_OF_RANGE`;
 * `CK_INVALID_MAP_KEY`; `CK_VALUE_TOO_LARGE`; MessagePack input errors (`CK_MALFORMED_MSGPACK`,
 * `CK_DECODE_BOUNDS`, `CK_TRAILING_BYTES`).
 * Ownership: inputs stay the caller's; on success `*out` holds the key (ASCII-safe UTF-8,
 * NUL-terminated): free it with `ck_buf_free`. Thread safety: safe from any thread.
 *
 * # Safety
 * Strings are NULL or NUL-terminated; each byte pointer points to its length in readable
 * bytes (or is NULL with length 0); `out` is NULL or a writable `ck_buf`.
 */
ck_result ck_default_key(const char *cache_namespace,
                         const char *function,
                         const uint8_t *args_msgpack,
                         size_t args_len,
                         const uint8_t *kwargs_msgpack,
                         size_t kwargs_len,
                         bool integrity,
                         const char *serializer,
                         struct ck_buf *out);

/**
 * Builds an interop/v1 cache key `{namespace}:{operation}:{blake2b-256 hex of the
 * canonical args}`, shared by every SDK.
 *
 * `cache_namespace` and `operation` must match `^[a-z0-9][a-z0-9._-]{0,63}$` without `..`
 * (`ns` and `nsapi` are reserved namespaces). `args_msgpack` is a MessagePack array of
 * the arguments (NULL with length 0 for none), canonicalized with the args profile (see
 * `ck_interop_canonical_args`).
 *
 * Result codes: `CK_OK`; `CK_INVALID_SEGMENT`; `CK_INVALID_ARGUMENT` (NULL, args not an
 * array); `CK_INVALID_STRING`; the args-profile errors of `ck_interop_canonical_args`.
 * Ownership: on success free `*out` (the key, NUL-terminated) with `ck_buf_free`.
 * Thread safety: safe from any thread.
 *
 * # Safety
 * `cache_namespace` and `operation` are NULL or NUL-terminated; `args_msgpack` points to
 * `args_len` readable bytes (or is NULL with length 0); `out` is NULL or a writable `ck_buf`.
 */
ck_result ck_interop_key(const char *cache_namespace,
                         const char *operation,
                         const uint8_t *args_msgpack,
                         size_t args_len,
                         struct ck_buf *out);

/**
 * Writes the canonical interop/v1 bytes of an argument array (the bytes an interop key
 * hashes): shortest-form integers, integral floats as integers (1.0 ≡ 1, -0.0 ≡ 0),
 * other floats as float64, maps with string keys sorted by UTF-8 bytes, sets
 * (`CK_EXT_SET`) as sorted deduplicated arrays, aware datetimes as Unix seconds, UUIDs as
 * lowercase strings.
 *
 * Result codes: `CK_OK`; `CK_NON_FINITE_FLOAT`; `CK_INTEGER_OUT_OF_RANGE`;
 * `CK_UNSUPPORTED_TYPE` (naive datetimes, dates, times, ext items); `CK_INVALID_MAP_KEY`
 * (non-string or duplicate keys); `CK_VALUE_TOO_LARGE`; `CK_INVALID_ARGUMENT` (not an
 * array, NULL); MessagePack input errors.
 * Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
 *
 * # Safety
 * `args_msgpack` points to `args_len` readable bytes; `out` is NULL or a writable `ck_buf`.
 */
ck_result ck_interop_canonical_args(const uint8_t *args_msgpack, size_t args_len, struct ck_buf *out);

/**
 * Writes the canonical interop/v1 bytes of a value (what `CK_MODE_INTEROP` entries store
 * before encryption): floats stay float64, maps with string keys sorted, temporal values
 * (`CK_EXT_DATETIME`/`DATE`/`TIME`) as cachekit-py's sentinel maps; NaN/Inf, sets, UUIDs,
 * non-string or duplicate keys are refused.
 *
 * Result codes: `CK_OK`; `CK_NON_FINITE_FLOAT`; `CK_INTEGER_OUT_OF_RANGE`;
 * `CK_UNSUPPORTED_TYPE`; `CK_INVALID_MAP_KEY`; `CK_VALUE_TOO_LARGE`; `CK_INVALID_ARGUMENT`;
 * MessagePack input errors.
 * Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
 *
 * # Safety
 * `value_msgpack` points to `value_len` readable bytes; `out` is NULL or a writable `ck_buf`.
 */
ck_result ck_interop_canonical_value(const uint8_t *value_msgpack, size_t value_len, struct ck_buf *out);

/**
 * Wraps `data` (any bytes; entries put StandardSerializer MessagePack here) in a
 * canonical ByteStorage envelope: `[bin LZ4 block, 8 checksum bytes, original size,
 * "msgpack"]`, byte-identical to cachekit-py's.
 *
 * Result codes: `CK_OK`; `CK_VALUE_TOO_LARGE` (over 512 MiB); `CK_INVALID_ARGUMENT`.
 * Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
 *
 * # Safety
 * `data` points to `len` readable bytes (or is NULL with `len == 0`); `out` is NULL or a
 * writable `ck_buf`.
 */
ck_result ck_envelope_store(const uint8_t *data, size_t len, struct ck_buf *out);

/**
 * Opens an untrusted envelope and returns the original bytes, checking in the protocol's
 * order: structure, size limits (512 MiB), decompression-bomb ratio (1000), LZ4 block,
 * xxh3-64 checksum. Nothing is allocated before every size check passed.
 *
 * Result codes: `CK_OK`; `CK_DECODE_BOUNDS`, `CK_TRAILING_BYTES`, `CK_MALFORMED_MSGPACK`,
 * `CK_ENVELOPE_STRUCTURE`, `CK_ENVELOPE_SIZE_LIMIT`, `CK_DECOMPRESSION_BOMB`,
 * `CK_DECOMPRESSION_FAILED`, `CK_CHECKSUM_MISMATCH`; `CK_INVALID_ARGUMENT`;
 * `CK_VALUE_TOO_LARGE`.
 * Ownership: on success free `*out` with `ck_buf_free`. Thread safety: safe from any thread.
 *
 * # Safety
 * As `ck_envelope_store`.
 */
ck_result ck_envelope_retrieve(const uint8_t *envelope, size_t len, struct ck_buf *out);

/**
 * Parses an envelope's structure without decompressing it and reports its fields.
 *
 * Result codes: `CK_OK`; the structure codes of `ck_envelope_retrieve` (`CK_DECODE_BOUNDS`,
 * `CK_TRAILING_BYTES`, `CK_MALFORMED_MSGPACK`, `CK_ENVELOPE_STRUCTURE`,
 * `CK_ENVELOPE_SIZE_LIMIT`); `CK_INVALID_ARGUMENT`. On failure `*out` is zeroed.
 * Ownership: `*out` is plain data in the caller's memory. Thread safety: safe from any thread.
 *
 * # Safety
 * `envelope` points to `len` readable bytes; `out` is NULL or a writable `ck_envelope_info`.
 */
ck_result ck_envelope_inspect(const uint8_t *envelope, size_t len, struct ck_envelope_info *out);

/**
 * True when `bytes` start with cachekit-py's `CK` magic: such an entry is Python-internal
 * and every entry read refuses it with `CK_PYTHON_FRAME`. False for NULL.
 * Thread safety: safe from any thread.
 *
 * # Safety
 * `data` points to `len` readable bytes (or is NULL).
 */
bool ck_python_frame_detect(const uint8_t *data, size_t len);

/**
 * Parses a cachekit-py `CK` frame for display (an inspector's job: cache reads never
 * decode frames, they refuse them). Checks prefix length, magic, version 3, header length
 * and that the header is a UTF-8 JSON object; a missing serializer name is reported in
 * `has_serializer`, not refused.
 *
 * On success fills `*out` with offsets into `data` and, when `out_serializer` is not NULL
 * and the header names one, `*out_serializer` with the serializer name (UTF-8). On a
 * malformed frame returns `CK_PYTHON_FRAME_MALFORMED` and, when `out_rejection` is not
 * NULL, sets `*out_rejection` to the failed check (`ck_python_frame_rejection_name` gives
 * the vector vocabulary, e.g. `"header_length"`).
 *
 * Result codes: `CK_OK`; `CK_PYTHON_FRAME_MALFORMED`; `CK_INVALID_ARGUMENT` (NULL `out`);
 * `CK_VALUE_TOO_LARGE`.
 * Ownership: `*out` is plain data; free `*out_serializer` with `ck_buf_free` (it is
 * `{NULL, 0}` when there is no name). Thread safety: safe from any thread.
 *
 * # Safety
 * `data` points to `len` readable bytes; `out` is NULL or a writable `ck_python_frame`;
 * `out_serializer` and `out_rejection` are NULL or writable.
 */
ck_result ck_python_frame_parse(const uint8_t *data,
                                size_t len,
                                struct ck_python_frame *out,
                                struct ck_buf *out_serializer,
                                ck_frame_rejection *out_rejection);

/**
 * Like `ck_python_frame_parse`, but also refuses a frame whose header names no serializer
 * (`CK_FRAME_REJECTION_SERIALIZER_NAME`), as cachekit-py's own reader does.
 *
 * Result codes, ownership and thread safety: as `ck_python_frame_parse`.
 *
 * # Safety
 * As `ck_python_frame_parse`.
 */
ck_result ck_python_frame_validate(const uint8_t *data,
                                   size_t len,
                                   struct ck_python_frame *out,
                                   struct ck_buf *out_serializer,
                                   ck_frame_rejection *out_rejection);

/**
 * The vector vocabulary name of a frame rejection (`"prefix_length"`, `"magic"`,
 * `"version"`, `"header_length"`, `"header_json"`, `"serializer_name"`), `"none"` for
 * `CK_FRAME_REJECTION_NONE`, `"unknown"` otherwise.
 * Ownership: static; never free it. Thread safety: safe from any thread.
 */
const char *ck_python_frame_rejection_name(ck_frame_rejection rejection);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* CACHEKIT_H */
