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
 *   - handles: ck_keyring * (ck_keyring_new / ck_keyring_new_hex, released with
 *     ck_keyring_free) and the state-machine handles below (each _new has its _free). On
 *     failure the out-handle is set to NULL.
 *   - structs the caller provides (ck_l1_stats, ck_breaker_snapshot, ck_step, ...) are
 *     filled in place; a ck_buf inside one is the caller's like any other (see ck_step).
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
 * Thread safety. Every function is safe to call from any thread at any time, except those
 *   that need exclusive access to their handle: ck_keyring_add_previous* (configure a keyring
 *   before sharing it), every _free function, and the calls on one ck_op (an op may move
 *   between threads, but its calls must not overlap). A configured keyring may be used for
 *   encryption and decryption by many threads at once (its counter nonces are atomic); one
 *   ck_l1, ck_breaker, ck_limiter, ck_adaptive_timeout or ck_engine is shared by any number
 *   of threads without outside locking. The last-error detail is per thread. Decoding and encoding recurse up to 512 levels of
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
 * STATE MACHINES: opaque handles with explicit ownership
 *
 * The core's runtime-free state machines are opaque handles. Time is always an argument
 * (uint64_t now_ms, your monotonic clock in milliseconds); the library never reads a clock,
 * sleeps or starts a thread.
 *   ck_l1                the in-process L1 of stored entry bytes (byte budget, SIEVE, expiry,
 *                        namespace and tag invalidation, stats)
 *   ck_breaker           the circuit breaker (ck_classify_redis_error decides what counts)
 *   ck_limiter           backpressure: max in flight, bounded FIFO queue, wait budget
 *   ck_adaptive_timeout  P99-based command timeout
 *   ck_engine, ck_op     the sans-I/O request engine and one call on it (below)
 * Handles. Each comes from its _new (an op from a ck_engine_* call that starts one) and is
 *   released with its _free. The library records live handles: a _free of NULL, of a handle
 *   already freed, or of a pointer that is not a live handle of that type does nothing (it
 *   cannot tell a handle freed earlier from a new one of the same type allocated at the same
 *   address: a safety net, not a licence). Other calls do not check; using a freed handle is
 *   undefined behaviour. A _new that fails sets the out-handle to NULL.
 * Tokens. Breaker permits are numbers the breaker issues (never 0): ck_breaker_record takes
 *   each exactly once and refuses (CK_INVALID_ARGUMENT, nothing counted) a number it did not
 *   issue or already recorded. Limiter tickets and waiters are never 0 (0 means "none");
 *   a ticket released twice is ignored and counted (unknown_releases).
 * Result codes of the 400 range: CK_CIRCUIT_OPEN (ck_breaker_try_acquire), CK_OVERLOADED
 *   (ck_limiter_admit/poll) are returned by those calls; the engine never returns them from
 *   a call but reports them, with CK_BACKEND, CK_TIMEOUT and CK_COMPUTE_FAILED, as the error
 *   of a CK_OUTCOME_FAILED outcome where the call's contract fails (and counts the others
 *   in its metrics). CK_LOCK_NOT_ACQUIRED and CK_CLOSED are defined and not returned.
 *
 * THE ENGINE LOOP
 *
 * ck_engine_new(config, keyring, &engine) copies the config; with a keyring it builds its
 * own keyring from a copy of the keys (it does not take or keep yours: free it whenever).
 * ck_engine_get / _set / _get_or_compute / _refresh / _delete / _invalidate start a call:
 * they return a new ck_op (yours: ck_op_free) and fill a ck_step. Then loop:
 *   wake the parked callers listed in step.wake[0 .. wake_len) (ops of the same engine);
 *   CK_ACTION_SEND     run step.command on Redis within ck_engine_command_timeout(), then
 *                      ck_op_on_reply(op, &reply, now_ms, &step)
 *   CK_ACTION_COMPUTE  run the cached function, then ck_op_on_computed(op, msgpack value,
 *                      len, NULL, now_ms, &step) or (op, NULL, 0, "error text", ...)
 *   CK_ACTION_SLEEP    wait until step.sleep_until_ms or until a later step lists
 *                      step.sleep_token in its wake array, then ck_op_resume(op, now_ms, &step)
 *   CK_ACTION_DONE     read step.outcome, free step.outcome.value, ck_op_free(op).
 * ck_step ownership: every pointer in a step (wake, the command's strings, bytes and argv,
 *   outcome.error_message) is borrowed from the op and valid until the next call on that
 *   op (on_reply, on_computed, resume, abandon, free). outcome.value is the exception: a
 *   ck_buf, hence the caller's (ck_buf_free). A step out-parameter is overwritten, never
 *   freed; after a failed call it is empty (CK_ACTION_NONE, outcome.value {NULL, 0}).
 * Replies: a ck_reply is a kind (CK_REPLY_NIL/OK/INT/BYTES/ARRAY/ERROR/TIMEOUT) and the
 *   fields of that kind; it maps one to one onto a hiredis redisReply (see
 *   examples/c/cachekit_hiredis.h). Report failures as CK_REPLY_ERROR with their text and
 *   calls that did not answer in time as CK_REPLY_TIMEOUT: the engine classifies them for
 *   the breaker and degrades as the call's contract says. A reply of the wrong shape is
 *   judged, never trusted. A malformed ck_reply, or a call that does not match the last step
 *   (e.g. ck_op_resume after CK_ACTION_SEND), is CK_INVALID_ARGUMENT and leaves the op
 *   unchanged.
 * Abandon: ck_op_abandon settles what an unfinished op holds and gives the tokens to wake
 *   and, when a fill lock may be held, a release command to send without reporting its
 *   reply. ck_op_free abandons an unfinished op silently. An op keeps its engine alive: the
 *   engine handle may be freed before its ops.
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
 * Shards of an L1 when `ck_l1_new` is given 0 (16).
 */
#define CK_L1_DEFAULT_SHARDS 16

/**
 * Most tags one L1 entry (and one engine request) may carry: 64.
 */
#define CK_L1_MAX_TAGS 64

/**
 * The `ttl_ms` of an L1 entry that never expires (`UINT64_MAX`).
 */
#define CK_L1_NO_EXPIRY UINT64_MAX

/**
 * `ttl_secs` value meaning "the engine's default" (in a request: the engine's TTL; in the
 * engine configuration: the intent's).
 */
#define CK_TTL_DEFAULT 0

/**
 * `ttl_secs` value meaning "never expire" (a plain `SET` without `EX`): only ever an
 * explicit choice.
 */
#define CK_TTL_NEVER -1

/**
 * Outcome flag: a computed value was written to Redis.
 */
#define CK_OUTCOME_FLAG_CACHED 1

/**
 * Outcome flag: a set reached Redis.
 */
#define CK_OUTCOME_FLAG_REDIS 2

/**
 * Outcome flag: the deleted key existed (in the L1 or Redis).
 */
#define CK_OUTCOME_FLAG_EXISTED 4

/**
 * Outcome flag: this get_or_compute hit drew an early refresh (XFetch): serve the value and
 * start `ck_engine_refresh` for the same request in the background.
 */
#define CK_OUTCOME_FLAG_REFRESH_AHEAD 8

/**
 * Deepest reply nesting accepted (the engine needs 2).
 */
#define CK_REPLY_MAX_DEPTH 16

/**
 * Most replies (all levels counted) one `ck_op_on_reply` accepts: 1048576 (a tag set of
 * about a million keys). Bounds the work a reply whose arrays share elements can cause.
 */
#define CK_REPLY_MAX_ITEMS (1 << 20)

/**
 * An adaptive timeout estimator. Opaque: create it with `ck_adaptive_timeout_new`,
 * release it with `ck_adaptive_timeout_free`. Thread-safe: every function except the
 * `_free` may be called on one handle from many threads at once.
 */
typedef struct ck_adaptive_timeout ck_adaptive_timeout;

/**
 * A circuit breaker guarding calls to Redis. Opaque: create it with `ck_breaker_new`,
 * release it with `ck_breaker_free`. Thread-safe: every function except `ck_breaker_free`
 * may be called on one `ck_breaker` from many threads at once.
 *
 * Permits are numbered by this handle: each `ck_breaker_try_acquire` issues a new
 * non-zero number that `ck_breaker_record` accepts exactly once, so a permit recorded
 * twice, never issued, or issued by another breaker is refused (`CK_INVALID_ARGUMENT`)
 * instead of being counted.
 */
typedef struct ck_breaker ck_breaker;

/**
 * One cache's engine. Opaque: create it with `ck_engine_new`, release it with
 * `ck_engine_free`. Thread-safe: every `ck_engine_*` call may run on one engine from many
 * threads at once (each call gets its own `ck_op`). Each op holds a reference to the
 * engine, so the engine lives until its handle and all its ops are freed.
 */
typedef struct ck_engine ck_engine;

/**
 * An encryption keyring: one current master key that encrypts and up to three previous
 * keys that only decrypt, all derived for one tenant (HKDF-SHA256 → AES-256-GCM), plus the
 * counter nonce sequence of this encryptor. Opaque: create it with `ck_keyring_new` or
 * `ck_keyring_new_hex`, release it with `ck_keyring_free`.
 */
typedef struct ck_keyring ck_keyring;

/**
 * An L1 cache of stored entry bytes keyed by the full cache key. Opaque: create it with
 * `ck_l1_new`, release it with `ck_l1_free`. Thread-safe: every function except
 * `ck_l1_free` may be called on one `ck_l1` from many threads at once (hits take a shard
 * lock shared; writes take it exclusively).
 */
typedef struct ck_l1 ck_l1;

/**
 * A concurrency limiter. Opaque: create it with `ck_limiter_new`, release it with
 * `ck_limiter_free`. Thread-safe: every function except `ck_limiter_free` may be called on
 * one `ck_limiter` from many threads at once.
 */
typedef struct ck_limiter ck_limiter;

/**
 * One engine call in progress. Opaque: made by `ck_engine_get`, `_set`, `_get_or_compute`,
 * `_refresh`, `_delete` and `_invalidate`; released with `ck_op_free`. It keeps its engine
 * alive (the engine handle may be freed first). Not for concurrent use: calls on one op
 * must not overlap (move it between threads freely); different ops of one engine run on
 * any threads at once.
 */
typedef struct ck_op ck_op;

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
 * Counters and occupancy of an L1, filled by `ck_l1_get_stats` (and
 * `ck_engine_get_l1_stats`). Counters count since creation; `bytes` and `entries` are now.
 * Taken shard by shard without a global pause, so under concurrent use the fields may be a
 * few operations apart.
 */
typedef struct ck_l1_stats {
  /**
   * Lookups that returned bytes.
   */
  uint64_t hits;
  /**
   * Lookups that returned nothing (absent or expired).
   */
  uint64_t misses;
  /**
   * Live entries removed by the eviction policy to make room.
   */
  uint64_t evictions;
  /**
   * Expired entries removed.
   */
  uint64_t expirations;
  /**
   * Entries stored.
   */
  uint64_t inserts;
  /**
   * Inserts not kept (over the per-entry cap, or no room under concurrent inserts).
   */
  uint64_t rejected;
  /**
   * Bytes charged to the budget now (entries, keys, labels and bookkeeping).
   */
  size_t bytes;
  /**
   * Entries held now (expired ones not yet removed included).
   */
  size_t entries;
  /**
   * The configured budget.
   */
  size_t budget;
} ck_l1_stats;

/**
 * Tuning of a circuit breaker. Start from `ck_breaker_config_default()` and change fields.
 */
typedef struct ck_breaker_config {
  /**
   * Counted failures within `failure_window_ms` that open a closed breaker (default 5).
   */
  uint32_t failure_threshold;
  /**
   * Length of the rolling failure window in ms (default 60000).
   */
  uint64_t failure_window_ms;
  /**
   * How long the breaker stays open before it lets probes through, in ms (default 30000).
   */
  uint64_t open_duration_ms;
  /**
   * Probe slots per half-open cycle (default 3); at least `success_threshold`.
   */
  uint32_t half_open_probes;
  /**
   * Probe successes of one cycle that close the breaker (default 3).
   */
  uint32_t success_threshold;
} ck_breaker_config;

/**
 * How an admitted call ended, for `ck_breaker_record`: one of the `CK_CALL_*` constants.
 */
typedef uint32_t ck_call_outcome;

/**
 * A breaker state: one of the `CK_BREAKER_*` constants (cachekit-py's `CircuitState` codes).
 */
typedef uint32_t ck_breaker_state;

/**
 * A point-in-time view of a breaker, for health endpoints (`ck_breaker_get_snapshot`,
 * `ck_engine_get_breaker_snapshot`).
 */
typedef struct ck_breaker_snapshot {
  /**
   * The current state (`CK_BREAKER_*`).
   */
  ck_breaker_state state;
  /**
   * Counted failures still inside the rolling window.
   */
  uint32_t failures_in_window;
  /**
   * While open: ms until the next call is let through as a probe (0 = the next call).
   * 0 in the other states.
   */
  uint64_t time_until_half_open_ms;
  /**
   * Probes of the current half-open cycle admitted and not yet recorded.
   */
  uint32_t probes_in_flight;
  /**
   * Probe slots of the current half-open cycle in use (in flight or succeeded).
   */
  uint32_t probes_admitted;
  /**
   * Probe successes of the current half-open cycle.
   */
  uint32_t probe_successes;
  /**
   * The number of the latest half-open cycle (0 before the first).
   */
  uint64_t cycle;
  /**
   * Closed → open transitions.
   */
  uint64_t opened;
  /**
   * Open → half-open transitions.
   */
  uint64_t half_opened;
  /**
   * Half-open → closed transitions.
   */
  uint64_t closed;
  /**
   * Half-open → open transitions (a probe failed).
   */
  uint64_t reopened;
  /**
   * Half-open cycles restarted because their probes never reported back.
   */
  uint64_t probe_cycles_restarted;
  /**
   * `ck_breaker_reset` calls.
   */
  uint64_t resets;
  /**
   * Calls refused with `CK_CIRCUIT_OPEN`.
   */
  uint64_t rejected;
  /**
   * Failures counted.
   */
  uint64_t failures;
  /**
   * Permits issued by `ck_breaker_try_acquire` and not recorded yet (a growing number
   * means a caller forgets `ck_breaker_record`). Always 0 for an engine's breaker, whose
   * permits the engine holds itself.
   */
  uint64_t permits_outstanding;
} ck_breaker_snapshot;

/**
 * What a Redis error says about Redis: one of the `CK_ERROR_CLASS_*` constants (the core's
 * stable codes).
 */
typedef uint32_t ck_error_class;

/**
 * Tuning of a limiter. Start from `ck_limiter_config_default()` and change fields.
 */
typedef struct ck_limiter_config {
  /**
   * Calls allowed to run at once (default 100; at least 1).
   */
  uint32_t max_in_flight;
  /**
   * Callers allowed to wait for a slot (default 1000; 0 disables queuing).
   */
  uint32_t max_queued;
  /**
   * How long a caller may wait for a slot, in ms (default 100; 0 disables queuing).
   */
  uint64_t max_wait_ms;
} ck_limiter_config;

/**
 * What `ck_limiter_admit` / `ck_limiter_poll` decided: one of the `CK_ADMIT_*` constants.
 */
typedef uint32_t ck_admit;

/**
 * An admission decision.
 */
typedef struct ck_admission {
  /**
   * `CK_ADMIT_RUN` or `CK_ADMIT_WAIT` (0 after a failure).
   */
  ck_admit kind;
  /**
   * `CK_ADMIT_RUN`: the slot's ticket (non-zero).
   */
  uint64_t ticket;
  /**
   * `CK_ADMIT_WAIT`: the caller's name in the queue (non-zero).
   */
  uint64_t waiter;
  /**
   * `CK_ADMIT_WAIT`: when the caller stops waiting.
   */
  uint64_t deadline_ms;
} ck_admission;

/**
 * Counters and gauges of a limiter (`ck_limiter_get_stats`).
 */
typedef struct ck_limiter_stats {
  /**
   * Slots in use (running calls plus slots handed to waiters that have not polled yet).
   */
  uint32_t in_flight;
  /**
   * Callers in the queue.
   */
  uint32_t queued;
  /**
   * The configured maximum in flight.
   */
  uint32_t max_in_flight;
  /**
   * The configured queue cap.
   */
  uint32_t max_queued;
  /**
   * Calls admitted to run at once.
   */
  uint64_t admitted;
  /**
   * Calls that had to queue.
   */
  uint64_t queued_total;
  /**
   * Slots handed from a finished (or cancelled) call to a waiter.
   */
  uint64_t handed_off;
  /**
   * Calls refused because the queue was full.
   */
  uint64_t rejected_queue_full;
  /**
   * Waiters dropped because their deadline passed.
   */
  uint64_t rejected_expired;
  /**
   * Waiters that gave up through `ck_limiter_cancel`.
   */
  uint64_t cancelled;
  /**
   * Releases of tickets the limiter did not know (a caller bug: a ticket released twice).
   */
  uint64_t unknown_releases;
} ck_limiter_stats;

/**
 * Tuning of an adaptive timeout. Start from `ck_adaptive_timeout_config_default()`.
 */
typedef struct ck_adaptive_timeout_config {
  /**
   * Samples kept (default 1000).
   */
  size_t window;
  /**
   * Samples older than this many ms are ignored (default 60000).
   */
  uint64_t max_age_ms;
  /**
   * Below this many samples the timeout is `max_timeout_ms` (default 20; 1..=window).
   */
  size_t min_samples;
  /**
   * Factor applied to the P99 (default 2.0; finite, at least 1).
   */
  double multiplier;
  /**
   * Added after the multiplier, in ms (default 0).
   */
  uint64_t margin_ms;
  /**
   * Lower clamp in ms (default 50; > 0).
   */
  uint64_t min_timeout_ms;
  /**
   * Upper clamp in ms, and the answer while the estimate is not trusted (default 5000).
   */
  uint64_t max_timeout_ms;
  /**
   * The cached answer is recomputed after this many new samples (default 64)…
   */
  uint32_t refresh_every;
  /**
   * … or when it is this many ms old (default 1000).
   */
  uint64_t refresh_interval_ms;
} ck_adaptive_timeout_config;

/**
 * A point-in-time view of the estimator (`ck_adaptive_timeout_get_snapshot`).
 */
typedef struct ck_timeout_snapshot {
  /**
   * Samples in the window (within both bounds).
   */
  size_t samples;
  /**
   * True when the window holds a sample; otherwise the percentiles are 0.
   */
  bool has_percentiles;
  /**
   * Median latency in ms.
   */
  double p50_ms;
  /**
   * 95th percentile in ms.
   */
  double p95_ms;
  /**
   * 99th percentile in ms.
   */
  double p99_ms;
  /**
   * The timeout these numbers propose, in ms.
   */
  uint64_t timeout_ms;
  /**
   * Samples observed over the estimator's life.
   */
  uint64_t observed_total;
} ck_timeout_snapshot;

/**
 * An intent preset: one of the `CK_INTENT_*` constants.
 */
typedef uint32_t ck_intent;

/**
 * Everything that shapes an engine. Start from `ck_engine_config_default()` or
 * `ck_engine_config_for_intent()` and change fields. The struct is only read during
 * `ck_engine_new` (strings included): nothing in it needs to outlive that call.
 */
typedef struct ck_engine_config {
  /**
   * `CK_INTENT_*`: the default TTL, and whether encryption is required.
   */
  ck_intent intent;
  /**
   * TTL of a call that gives none: `CK_TTL_DEFAULT` (the intent's), `CK_TTL_NEVER`, or
   * seconds > 0.
   */
  int64_t ttl_secs;
  /**
   * The entry form of requests that name none: `CK_MODE_DEFAULT` (default),
   * `CK_MODE_DEFAULT_NO_INTEGRITY` or `CK_MODE_INTEROP`.
   */
  ck_mode mode;
  /**
   * Whether the in-process L1 is on (default true).
   */
  bool l1_enabled;
  /**
   * L1 byte budget (default 100 MiB).
   */
  size_t l1_budget_bytes;
  /**
   * L1 per-entry cap (0 = budget / 8, the default).
   */
  size_t l1_max_entry_bytes;
  /**
   * L1 shards, a power of two (0 = 16, the default).
   */
  size_t l1_shards;
  /**
   * Circuit breaker tuning (default `ck_breaker_config_default()`).
   */
  struct ck_breaker_config breaker;
  /**
   * Backpressure tuning (default `ck_limiter_config_default()`).
   */
  struct ck_limiter_config limiter;
  /**
   * Adaptive command timeout tuning (default `ck_adaptive_timeout_config_default()`).
   */
  struct ck_adaptive_timeout_config timeout;
  /**
   * How long single-flight followers wait for their leader, in ms (0 = 35000, the default).
   */
  uint64_t follower_wait_ms;
  /**
   * Whether get_or_compute takes the distributed fill lock (default true).
   */
  bool lock_enabled;
  /**
   * Fill-lock lease (`PX`) in ms (default 30000; >= 1).
   */
  uint64_t lock_lease_ms;
  /**
   * Pause between fill-lock attempts in ms (default 100; >= 1).
   */
  uint64_t lock_retry_ms;
  /**
   * Total wait for the fill lock in ms (default 5000; 0 = one attempt).
   */
  uint64_t lock_wait_ms;
  /**
   * TTL refresh on hit (cachekit-py `refresh_ttl_on_get`; default false).
   */
  bool ttl_refresh_enabled;
  /**
   * Refresh when less than this fraction of the TTL remains (default 0.5; 0..=1).
   */
  double ttl_refresh_threshold;
  /**
   * Probabilistic early refresh (XFetch) of get_or_compute hits (default false).
   */
  bool early_refresh_enabled;
  /**
   * XFetch `beta` (default 1.0; finite, >= 0).
   */
  double early_refresh_beta;
  /**
   * Stale-while-revalidate grace in seconds (entries are written with `EX ttl + grace`;
   * a `get_or_compute` hit inside the grace is served and flagged `refresh_ahead`); 0 = off.
   */
  uint64_t stale_while_revalidate_secs;
  /**
   * Largest serialized value written (0 = 100 MiB, the default).
   */
  size_t max_value_bytes;
  /**
   * Delete entries that fail to decode, verify or decrypt (default true, as cachekit-py).
   */
  bool delete_unreadable;
  /**
   * Fail a get with `CK_DECRYPTION_FAILED` instead of a miss (default false).
   */
  bool fail_closed;
  /**
   * Prefix of tag-set keys (NULL = `"cachekit:tag:"`, the default).
   */
  const char *tag_prefix;
} ck_engine_config;

/**
 * A request: the full Redis key and how its entry is made. A zeroed struct with `key` set
 * is a valid request (mode, namespace, TTL and tags defaulted). Read only during the call.
 */
typedef struct ck_request {
  /**
   * The full key in Redis (default-mode or interop key, every prefix included). Required.
   */
  const char *key;
  /**
   * The entry form: `CK_MODE_*`, or 0 for the engine's.
   */
  ck_mode mode;
  /**
   * Namespace the L1 indexes the entry under, for namespace invalidation (NULL = none).
   */
  const char *ns;
  /**
   * Expiry of writes: `CK_TTL_DEFAULT` (the engine's), `CK_TTL_NEVER`, or seconds > 0.
   */
  int64_t ttl_secs;
  /**
   * Tags for invalidation (writes only): `tags_len` non-empty strings (NULL with 0 = none).
   */
  const char *const *tags;
  /**
   * Number of tags, at most `CK_L1_MAX_TAGS`.
   */
  size_t tags_len;
} ck_request;

/**
 * What an op needs next: one of the `CK_ACTION_*` constants.
 */
typedef uint32_t ck_action;

/**
 * A Redis command kind: one of the `CK_CMD_*` constants.
 */
typedef uint32_t ck_command_kind;

/**
 * One Redis command of a `CK_ACTION_SEND` step. Every pointer is borrowed from the op
 * (valid until the next call on it) and every text is NUL-terminated as well as
 * length-counted (keys read back from a tag set may contain any byte). Fields not used by
 * `kind` are NULL / 0.
 */
typedef struct ck_command {
  /**
   * `CK_CMD_*`.
   */
  ck_command_kind kind;
  /**
   * The command's name for logs and metrics (`"GET"`, `"GET+TTL"`, `"SET"`, `"SET NX"`,
   * `"EVALSHA"`, `"EXPIRE"`, `"DEL"`, `"SADD"`, `"SMEMBERS"`, `"SCAN+DEL"`). Static.
   */
  const char *name;
  /**
   * The key (GET, GET_WITH_TTL, SET, EXPIRE, SMEMBERS; the lock key for SET_NX and
   * EVAL_RELEASE; the tag set for SADD).
   */
  const char *key;
  /**
   * Bytes of `key`.
   */
  size_t key_len;
  /**
   * SET: the stored entry bytes (binary).
   */
  const uint8_t *value;
  /**
   * Bytes at `value`.
   */
  size_t value_len;
  /**
   * SET: whether `ttl_secs` applies (false: no expiry). EXPIRE, SADD: always true.
   */
  bool has_ttl;
  /**
   * SET, EXPIRE, SADD: seconds.
   */
  uint64_t ttl_secs;
  /**
   * SET_NX, EVAL_RELEASE: the lock token.
   */
  const char *token;
  /**
   * SET_NX: the lock lease in ms.
   */
  uint64_t px_ms;
  /**
   * EVAL_RELEASE: the script, for `EVAL` after a `NOSCRIPT` error.
   */
  const char *script;
  /**
   * EVAL_RELEASE: the script's SHA-1 for `EVALSHA`.
   */
  const char *sha1;
  /**
   * SADD: the member (a cache key).
   */
  const char *member;
  /**
   * Bytes of `member`.
   */
  size_t member_len;
  /**
   * DEL: the keys.
   */
  const char **keys;
  /**
   * DEL: the length of each key.
   */
  const size_t *keys_lens;
  /**
   * DEL: number of keys (at least 1).
   */
  size_t keys_len;
  /**
   * DELETE_MATCHING: a Redis glob pattern whose literal parts are escaped.
   */
  const char *pattern;
  /**
   * Bytes of `pattern`.
   */
  size_t pattern_len;
  /**
   * The command as one argument vector when it is one Redis command (0 for GET_WITH_TTL
   * and DELETE_MATCHING): `redisCommandArgv(ctx, (int)argc, argv, argv_lens)`.
   */
  size_t argc;
  /**
   * `argc` arguments (do not modify them).
   */
  const char **argv;
  /**
   * The length of each argument.
   */
  const size_t *argv_lens;
} ck_command;

/**
 * How an op ended: one of the `CK_OUTCOME_*` constants.
 */
typedef uint32_t ck_outcome_kind;

/**
 * Where a hit came from: one of the `CK_SOURCE_*` constants.
 */
typedef uint32_t ck_source;

/**
 * How an op ended (valid when `step.action == CK_ACTION_DONE`).
 */
typedef struct ck_outcome {
  /**
   * `CK_OUTCOME_*` (0 before the op is done).
   */
  ck_outcome_kind kind;
  /**
   * `CK_OUTCOME_HIT`: the value as one MessagePack document (see "Values"). **Owned by
   * the caller**: free it with `ck_buf_free`. `{NULL, 0}` for every other kind.
   */
  struct ck_buf value;
  /**
   * `CK_OUTCOME_HIT`: `CK_SOURCE_*`; 0 otherwise.
   */
  ck_source source;
  /**
   * `CK_OUTCOME_FLAG_*` bits.
   */
  uint32_t flags;
  /**
   * `CK_OUTCOME_INVALIDATED`: keys deleted from Redis.
   */
  uint64_t redis_keys;
  /**
   * `CK_OUTCOME_FAILED`: the result code of the failure; `CK_OK` otherwise.
   */
  ck_result error;
  /**
   * `CK_OUTCOME_FAILED`: its detail, borrowed from the op; NULL otherwise.
   */
  const char *error_message;
} ck_outcome;

/**
 * What an op asks of the caller, filled by `ck_engine_*` and `ck_op_*`. First wake the
 * parked callers listed in `wake` (of any op of the same engine), then do `action`.
 * Every pointer is borrowed from the op until the next call on it, except
 * `outcome.value` (yours: `ck_buf_free`).
 */
typedef struct ck_step {
  /**
   * Tokens of parked callers to wake now (call `ck_op_resume` on their ops).
   */
  const uint64_t *wake;
  /**
   * Number of tokens at `wake`.
   */
  size_t wake_len;
  /**
   * `CK_ACTION_*`.
   */
  ck_action action;
  /**
   * `CK_ACTION_SEND`: the command. After `ck_op_abandon`: a lock release to send without
   * reporting its reply (`kind` `CK_CMD_EVAL_RELEASE`), or `kind` `CK_CMD_NONE`.
   */
  struct ck_command command;
  /**
   * `CK_ACTION_SLEEP`: the deadline (your clock).
   */
  uint64_t sleep_until_ms;
  /**
   * `CK_ACTION_SLEEP`: whether `sleep_token` names this wait (false: a plain timed
   * wait, e.g. between fill-lock attempts).
   */
  bool sleep_has_token;
  /**
   * `CK_ACTION_SLEEP`: the token a later step's `wake` lists to end the wait early.
   */
  uint64_t sleep_token;
  /**
   * `CK_ACTION_DONE`: the outcome.
   */
  struct ck_outcome outcome;
  /**
   * A cache-layer failure the op took in its stride during this call, for your log (it is
   * counted in the engine's metrics either way): an entry it read but could not decode,
   * verify or decrypt (a miss), a computed value it could not encode (not cached), an entry
   * L1 could not keep, a fill lock given up on, or a command refused by the circuit breaker
   * (`CK_CIRCUIT_OPEN`) or backpressure (`CK_OVERLOADED`). `CK_OK` when there was none.
   */
  ck_result failure;
  /**
   * The failure's message (NUL-terminated, valid until the next call on the op), or NULL.
   */
  const char *failure_message;
} ck_step;

/**
 * What `ck_engine_invalidate` removes: one of the `CK_INVALIDATE_*` constants.
 */
typedef uint32_t ck_invalidate_kind;

/**
 * A reply kind: one of the `CK_REPLY_*` constants (0 is invalid, so a zeroed `ck_reply`
 * is refused).
 */
typedef uint32_t ck_reply_kind;

/**
 * A Redis reply as the caller received it, for `ck_op_on_reply`. Fill only the fields of
 * its kind; the others are ignored. Borrowed for the call only: the library copies what
 * it keeps.
 */
typedef struct ck_reply {
  /**
   * `CK_REPLY_*`.
   */
  ck_reply_kind kind;
  /**
   * `CK_REPLY_INT`: the integer.
   */
  int64_t integer;
  /**
   * `CK_REPLY_BYTES`: the bulk string; `CK_REPLY_ERROR`: the message. NULL only with `len` 0.
   */
  const uint8_t *bytes;
  /**
   * Bytes at `bytes`.
   */
  size_t len;
  /**
   * `CK_REPLY_ARRAY`: the items. NULL only with `elements_len` 0.
   */
  const struct ck_reply *elements;
  /**
   * Items at `elements`.
   */
  size_t elements_len;
} ck_reply;

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
 * 400 `circuit_open`: the circuit breaker is open (`ck_breaker_try_acquire`; an engine outcome's error).
 */
#define CK_CIRCUIT_OPEN 400

/**
 * 401 `overloaded`: backpressure refused the call (`ck_limiter_admit`/`_poll`; an engine outcome's error).
 */
#define CK_OVERLOADED 401

/**
 * 402 `timeout`: Redis did not answer in time (an engine outcome's error).
 */
#define CK_TIMEOUT 402

/**
 * 403 `backend`: a Redis error reported by the binding (an engine outcome's error).
 */
#define CK_BACKEND 403

/**
 * 404 `lock_not_acquired`: the fill lock stayed held by another writer (counted in metrics; not returned).
 */
#define CK_LOCK_NOT_ACQUIRED 404

/**
 * 405 `closed`: the cache was closed (defined for bindings; not returned by this ABI).
 */
#define CK_CLOSED 405

/**
 * 406 `compute_failed`: the computation of a get_or_compute failed (an engine outcome's error).
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

/**
 * Closed: every call is admitted and counted failures accumulate.
 */
#define CK_BREAKER_CLOSED 0

/**
 * Open: calls are refused (`CK_CIRCUIT_OPEN`) until the cool-down has passed.
 */
#define CK_BREAKER_OPEN 1

/**
 * Half-open: a few probe calls test whether Redis is back.
 */
#define CK_BREAKER_HALF_OPEN 2

/**
 * Redis answered (whatever the answer meant for the cache).
 */
#define CK_CALL_SUCCESS 1

/**
 * A counted failure: a transient, timeout or unknown error (see `ck_classify_redis_error`).
 */
#define CK_CALL_FAILURE 2

/**
 * The call ended without saying anything about Redis health (a permanent, auth or
 * application error, or a cancelled call). A half-open probe's slot is handed back.
 */
#define CK_CALL_NEUTRAL 3

/**
 * Unreachable or temporarily unable to serve (connection refused/reset, `LOADING`, `BUSY`,
 * `READONLY`, `MASTERDOWN`, `CLUSTERDOWN`, `TRYAGAIN`, max clients). Counts.
 */
#define CK_ERROR_CLASS_TRANSIENT 1

/**
 * The call exceeded its deadline. Counts.
 */
#define CK_ERROR_CLASS_TIMEOUT 2

/**
 * Redis refused this request as sent (`WRONGTYPE`, `ERR …`, `NOSCRIPT`, `MOVED`, `OOM`…). Does not count.
 */
#define CK_ERROR_CLASS_PERMANENT 3

/**
 * Credentials or permissions (`NOAUTH`, `WRONGPASS`, `NOPERM`). Does not count.
 */
#define CK_ERROR_CLASS_AUTH 4

/**
 * Not a Redis problem (the application's code, serialization, a usage error). Does not count.
 */
#define CK_ERROR_CLASS_APPLICATION 5

/**
 * Unrecognised. Counts (conservative, as cachekit-py).
 */
#define CK_ERROR_CLASS_UNKNOWN 6

/**
 * Run now with `ticket`; give it back with `ck_limiter_release` when the call ends.
 */
#define CK_ADMIT_RUN 1

/**
 * Park the caller as `waiter` until a `ck_limiter_release`/`_cancel` names it or until
 * `deadline_ms`, then call `ck_limiter_poll`.
 */
#define CK_ADMIT_WAIT 2

/**
 * `minimal`: speed first, default TTL 300 s.
 */
#define CK_INTENT_MINIMAL 1

/**
 * `production`: reliability first, default TTL 600 s (the default).
 */
#define CK_INTENT_PRODUCTION 2

/**
 * `secure`: default TTL 600 s, encryption required (`ck_engine_new` needs a keyring).
 */
#define CK_INTENT_SECURE 3

/**
 * `io`: the hosted-backend preset, default TTL 3600 s.
 */
#define CK_INTENT_IO 4

/**
 * One key (`target` is the full key).
 */
#define CK_INVALIDATE_KEY 1

/**
 * Every key of a namespace: default-mode keys `ns:{target}:*`, interop keys `{target}:*`.
 */
#define CK_INVALIDATE_NAMESPACE 2

/**
 * Every key written with tag `target`.
 */
#define CK_INVALIDATE_TAG 3

/**
 * Nothing: the step of a failed call (or of `ck_op_abandon`).
 */
#define CK_ACTION_NONE 0

/**
 * Execute `step.command` (under `ck_engine_command_timeout`), then `ck_op_on_reply`.
 */
#define CK_ACTION_SEND 1

/**
 * Run the caller's computation, then `ck_op_on_computed` (get_or_compute and refresh).
 */
#define CK_ACTION_COMPUTE 2

/**
 * Park until `step.sleep_until_ms`, or until a later step of any op of the same engine
 * lists `step.sleep_token` in its `wake` array, then `ck_op_resume`.
 */
#define CK_ACTION_SLEEP 3

/**
 * The call is over: read `step.outcome`, then `ck_op_free`.
 */
#define CK_ACTION_DONE 4

/**
 * No command.
 */
#define CK_CMD_NONE 0

/**
 * `GET key` → reply bytes or nil. `argv` is given.
 */
#define CK_CMD_GET 1

/**
 * `GET key` and `TTL key` in one round trip (pipeline or `MULTI`) → reply an array of two:
 * `[bytes | nil, int]`. `argv` is not given (`argc` 0): send both from `key`.
 */
#define CK_CMD_GET_WITH_TTL 2

/**
 * `SET key value EX ttl_secs` (plain `SET key value` when `has_ttl` is false) → reply OK.
 * `argv` is given.
 */
#define CK_CMD_SET 3

/**
 * `SET key token NX PX px_ms` (the fill lock; `key` is the lock key) → reply OK when
 * acquired, nil when held by someone else. `argv` is given.
 */
#define CK_CMD_SET_NX 4

/**
 * The lock release script: `EVALSHA sha1 1 key token` (`argv`), and on a `NOSCRIPT` error
 * the same with `EVAL script` instead of `EVALSHA sha1` → reply int.
 */
#define CK_CMD_EVAL_RELEASE 5

/**
 * `EXPIRE key ttl_secs` (TTL refresh on hit) → reply int. `argv` is given.
 */
#define CK_CMD_EXPIRE 6

/**
 * `DEL keys...` → reply int (keys removed). `argv` is given; in Redis Cluster split
 * `keys` by hash slot and reply the sum.
 */
#define CK_CMD_DEL 7

/**
 * `SADD key member` (`argv`), then `EXPIRE key ttl_secs NX` and `EXPIRE key ttl_secs GT`
 * (Redis ≥ 7.0; `has_ttl` is always true) → reply the SADD's int. The two `EXPIRE`s only ever
 * lengthen the tag set's life, so it outlives every member written with the tag.
 */
#define CK_CMD_SADD 8

/**
 * `SMEMBERS key` → reply an array of bytes. `argv` is given.
 */
#define CK_CMD_SMEMBERS 9

/**
 * `SCAN 0 MATCH pattern COUNT 500` until the cursor returns to 0 (on every primary in
 * Redis Cluster), deleting what it finds (`UNLINK` or `DEL`) → reply int (keys deleted).
 * `argv` is not given (`argc` 0).
 */
#define CK_CMD_DELETE_MATCHING 10

/**
 * `EXISTS key` → reply int (1 when the key exists, else 0). `argv` is given. Only the
 * engine's existence check sends it (no `ck_op_*` entry point starts one yet).
 */
#define CK_CMD_EXISTS 11

/**
 * A cached value (get, get_or_compute): `outcome.value` and `outcome.source`.
 */
#define CK_OUTCOME_HIT 1

/**
 * Nothing readable was cached (get; also a refresh someone else does). Unreadable entries
 * are misses too.
 */
#define CK_OUTCOME_MISS 2

/**
 * get_or_compute ran your computation: return the value you computed.
 * `CK_OUTCOME_FLAG_CACHED` tells whether it reached Redis.
 */
#define CK_OUTCOME_COMPUTED 3

/**
 * set finished; `CK_OUTCOME_FLAG_REDIS` tells whether the value reached Redis (it is in
 * the L1 either way, if the L1 is on).
 */
#define CK_OUTCOME_STORED 4

/**
 * delete finished; `CK_OUTCOME_FLAG_EXISTED` tells whether the key existed.
 */
#define CK_OUTCOME_DELETED 5

/**
 * invalidate finished; `outcome.redis_keys` keys were deleted from Redis.
 */
#define CK_OUTCOME_INVALIDATED 6

/**
 * The call failed where its contract says it fails: `outcome.error` is the code (e.g.
 * `CK_COMPUTE_FAILED` for a follower whose leader's computation failed, `CK_BACKEND` or
 * `CK_TIMEOUT` for a delete/invalidate that could not reach Redis, a value error for a set
 * of an unencodable value, `CK_DECRYPTION_FAILED` for a fail-closed get).
 */
#define CK_OUTCOME_FAILED 7

/**
 * An existence check ended: `CK_OUTCOME_FLAG_EXISTED` when the key was found (no
 * `ck_op_*` entry point starts one yet).
 */
#define CK_OUTCOME_EXISTS 8

/**
 * The in-process L1.
 */
#define CK_SOURCE_L1 1

/**
 * Redis.
 */
#define CK_SOURCE_REDIS 2

/**
 * Another caller's computation in this process (single flight).
 */
#define CK_SOURCE_SHARED 3

/**
 * A nil bulk string or nil array (hiredis `REDIS_REPLY_NIL`).
 */
#define CK_REPLY_NIL 1

/**
 * A status reply such as `OK` (hiredis `REDIS_REPLY_STATUS`).
 */
#define CK_REPLY_OK 2

/**
 * An integer in `integer` (hiredis `REDIS_REPLY_INTEGER`).
 */
#define CK_REPLY_INT 3

/**
 * A bulk string in `bytes`/`len` (hiredis `REDIS_REPLY_STRING`: `str`, `len`).
 */
#define CK_REPLY_BYTES 4

/**
 * An array of `elements_len` replies at `elements` (hiredis `REDIS_REPLY_ARRAY`).
 */
#define CK_REPLY_ARRAY 5

/**
 * The call failed: a Redis error reply or a client error (connection refused or lost…),
 * its message in `bytes`/`len` (hiredis `REDIS_REPLY_ERROR`'s `str`, or the context's
 * `errstr` when `redisCommand` returned NULL). Need not be NUL-terminated or UTF-8.
 */
#define CK_REPLY_ERROR 6

/**
 * No answer before the engine's command timeout (you enforce it).
 */
#define CK_REPLY_TIMEOUT 7

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

/**
 * Creates an L1 holding at most `budget_bytes` (a hard limit, bookkeeping included).
 * `max_entry_bytes` caps one entry's charge (0 = `budget_bytes / 8`, as cachekit-py);
 * `shards` is the number of independently locked shards, a power of two up to 1024
 * (0 = `CK_L1_DEFAULT_SHARDS`). The key hash is seeded from the platform random source.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `out`, budget 0, cap outside
 * 1..=budget, bad shard count).
 * Ownership: on success `*out` is a new handle the caller owns: release it with
 * `ck_l1_free`. On failure `*out` is NULL.
 * Thread safety: safe from any thread.
 *
 * # Safety
 * `out` is NULL or a writable `ck_l1 *`.
 */
ck_result ck_l1_new(size_t budget_bytes, size_t max_entry_bytes, size_t shards, struct ck_l1 **out);

/**
 * Releases an L1 and every entry in it. NULL, an already freed handle and a pointer that
 * is not a live `ck_l1` are ignored (see "Handles" at the top of this header).
 *
 * Thread safety: no other call may be using the handle.
 *
 * # Safety
 * `l1` is NULL or a pointer previously returned by `ck_l1_new`.
 */
void ck_l1_free(struct ck_l1 *l1);

/**
 * Looks `key` up at `now_ms` (your monotonic clock). On a hit copies the stored bytes into
 * `*out` and sets `*hit` to true; on a miss (absent or expired at `now_ms`) `*out` is
 * `{NULL, 0}` and `*hit` false. An entry is never returned at or after its expiry.
 *
 * Result codes: `CK_OK` (hit or miss); `CK_INVALID_ARGUMENT` (NULL `l1`, `key` or `out`);
 * `CK_INVALID_STRING`.
 * Ownership: on a hit free `*out` with `ck_buf_free`. `hit` may be NULL (then test
 * `out->ptr != NULL`).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `l1` is NULL or live; `key` is NULL or NUL-terminated; `out` is NULL or a writable
 * `ck_buf`; `hit` is NULL or a writable `bool`.
 */
ck_result ck_l1_get(const struct ck_l1 *l1, const char *key, uint64_t now_ms, struct ck_buf *out, bool *hit);

/**
 * Stores `value` (`value_len` bytes: the stored entry bytes, as Redis holds them) under
 * `key`, readable while `now' < now_ms + ttl_ms` (`CK_L1_NO_EXPIRY` never expires). Any
 * previous entry under `key` is replaced, also when the new one is refused (so a refused
 * write never leaves a stale value readable). `ns` (NULL = none) and the `tags_len`
 * strings at `tags` label the entry for `ck_l1_invalidate_namespace` / `_tag`. Each
 * insert also sweeps a few slots for expired entries, and makes room by evicting (SIEVE).
 *
 * `*stored` (may be NULL) is set to true when the entry was kept, false in the rare case
 * no room could be made because concurrent inserts held the whole budget.
 *
 * Result codes: `CK_OK`; `CK_INVALID_TTL` (`ttl_ms` 0); `CK_VALUE_TOO_LARGE` (the
 * entry's charge exceeds the per-entry cap, or an input over `CK_MAX_INPUT_BYTES`);
 * `CK_INVALID_ARGUMENT` (NULL `l1`/`key`, NULL value with a length, NULL tag, empty `ns`
 * or tag, more than `CK_L1_MAX_TAGS` tags); `CK_INVALID_STRING`.
 * Ownership: every input is copied; they stay the caller's.
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `l1` is NULL or live; `ns` and `key` are NULL or NUL-terminated; `value` points to
 * `value_len` readable bytes; `tags` points to `tags_len` pointers to NUL-terminated
 * strings (or is NULL with 0); `stored` is NULL or a writable `bool`.
 */
ck_result ck_l1_insert(const struct ck_l1 *l1,
                       const char *ns,
                       const char *key,
                       const uint8_t *value,
                       size_t value_len,
                       uint64_t ttl_ms,
                       const char *const *tags,
                       size_t tags_len,
                       uint64_t now_ms,
                       bool *stored);

/**
 * Removes the entry under `key`; `*removed` (may be NULL) tells whether there was one.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT`; `CK_INVALID_STRING`.
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `l1` is NULL or live; `key` is NULL or NUL-terminated; `removed` is NULL or writable.
 */
ck_result ck_l1_remove(const struct ck_l1 *l1, const char *key, bool *removed);

/**
 * Removes every entry inserted in namespace `ns`; `*removed` (may be NULL) is how many.
 * Costs one exclusive lock per shard plus the matching entries, never a scan.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT`; `CK_INVALID_STRING`.
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `l1` is NULL or live; `ns` is NULL or NUL-terminated; `removed` is NULL or writable.
 */
ck_result ck_l1_invalidate_namespace(const struct ck_l1 *l1, const char *ns, size_t *removed);

/**
 * Removes every entry carrying `tag`; `*removed` (may be NULL) is how many.
 *
 * Result codes, thread safety: as `ck_l1_invalidate_namespace`.
 *
 * # Safety
 * `l1` is NULL or live; `tag` is NULL or NUL-terminated; `removed` is NULL or writable.
 */
ck_result ck_l1_invalidate_tag(const struct ck_l1 *l1, const char *tag, size_t *removed);

/**
 * Removes every entry expired at `now_ms` (a full sweep; inserts sweep a little anyway);
 * `*removed` (may be NULL) is how many.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `l1`).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `l1` is NULL or live; `removed` is NULL or writable.
 */
ck_result ck_l1_purge_expired(const struct ck_l1 *l1, uint64_t now_ms, size_t *removed);

/**
 * Removes every entry (counters are kept).
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `l1`).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `l1` is NULL or live.
 */
ck_result ck_l1_clear(const struct ck_l1 *l1);

/**
 * Fills the caller's `*out` with the L1's counters and occupancy.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `l1` or `out`).
 * Ownership: `out` is the caller's struct; nothing to free.
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `l1` is NULL or live; `out` is NULL or a writable `ck_l1_stats`.
 */
ck_result ck_l1_get_stats(const struct ck_l1 *l1, struct ck_l1_stats *out);

/**
 * cachekit-py's breaker tuning: open after 5 failures within 60 s, stay open 30 s, then 3
 * probes, 3 successes close it. Thread safety: safe from any thread.
 */
struct ck_breaker_config ck_breaker_config_default(void);

/**
 * Creates a closed breaker with `config` (NULL = `ck_breaker_config_default()`).
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `out`; a zero threshold, window,
 * duration or success count; fewer probe slots than `success_threshold`).
 * Ownership: `config` is copied. On success `*out` is a new handle the caller owns:
 * release it with `ck_breaker_free`. On failure `*out` is NULL.
 * Thread safety: safe from any thread.
 *
 * # Safety
 * `config` is NULL or points to a `ck_breaker_config`; `out` is NULL or a writable
 * `ck_breaker *`.
 */
ck_result ck_breaker_new(const struct ck_breaker_config *config, struct ck_breaker **out);

/**
 * Releases a breaker (outstanding permits die with it). NULL, an already freed handle and
 * a pointer that is not a live `ck_breaker` are ignored.
 *
 * Thread safety: no other call may be using the handle.
 *
 * # Safety
 * `breaker` is NULL or a pointer previously returned by `ck_breaker_new`.
 */
void ck_breaker_free(struct ck_breaker *breaker);

/**
 * Asks to make one Redis call at `now_ms`. On `CK_OK`, `*permit` is a non-zero number to
 * hand back with `ck_breaker_record` once the call has ended, exactly once.
 *
 * Closed: always a permit. Open: `CK_CIRCUIT_OPEN` until `open_duration_ms` has passed since
 * it opened; then the breaker goes half-open and this call is its first probe. Half-open: a
 * probe permit while the cycle has free slots, else `CK_CIRCUIT_OPEN`.
 *
 * Result codes: `CK_OK`; `CK_CIRCUIT_OPEN` (do not call Redis; `*permit` is 0);
 * `CK_INVALID_ARGUMENT` (NULL `breaker` or `permit`).
 * Ownership: a permit never recorded stays in the breaker's ledger (a few dozen bytes)
 * until the breaker is freed, and an unrecorded probe holds its slot until the cycle
 * restarts: record every permit, with `CK_CALL_NEUTRAL` for a cancelled call.
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `breaker` is NULL or live; `permit` is NULL or a writable `uint64_t`.
 */
ck_result ck_breaker_try_acquire(const struct ck_breaker *breaker, uint64_t now_ms, uint64_t *permit);

/**
 * Records how the call of `permit` ended (`CK_CALL_SUCCESS`, `CK_CALL_FAILURE` or
 * `CK_CALL_NEUTRAL`) at `now_ms`, and consumes the permit.
 *
 * A failure while closed counts in the rolling window and opens the breaker at the
 * threshold; a probe's success counts toward closing it, a probe's failure re-opens it;
 * outcomes of calls admitted in an earlier cycle change nothing.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `breaker`; an unknown outcome; a
 * permit this breaker did not issue or already recorded: nothing is counted).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `breaker` is NULL or live.
 */
ck_result ck_breaker_record(const struct ck_breaker *breaker,
                            uint64_t permit,
                            ck_call_outcome outcome,
                            uint64_t now_ms);

/**
 * Writes the breaker's current state (`CK_BREAKER_*`) to `*state`. An open breaker whose
 * cool-down has passed still reads open until the next `ck_breaker_try_acquire`.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `breaker` or `state`).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `breaker` is NULL or live; `state` is NULL or writable.
 */
ck_result ck_breaker_get_state(const struct ck_breaker *breaker, ck_breaker_state *state);

/**
 * Fills the caller's `*out` with a point-in-time view at `now_ms` (changes no state).
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `breaker` or `out`).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `breaker` is NULL or live; `out` is NULL or a writable `ck_breaker_snapshot`.
 */
ck_result ck_breaker_get_snapshot(const struct ck_breaker *breaker,
                                  uint64_t now_ms,
                                  struct ck_breaker_snapshot *out);

/**
 * Forces the breaker closed (an operator's manual recovery). Outstanding permits of an
 * earlier half-open cycle stay valid to record but no longer count.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `breaker`).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `breaker` is NULL or live.
 */
ck_result ck_breaker_reset(const struct ck_breaker *breaker);

/**
 * Classifies the text of a Redis error into `*out` (`CK_ERROR_CLASS_*`): a server error
 * reply (`WRONGTYPE Operation…`, with or without the RESP `-` or a client's prefix, e.g.
 * hiredis' `reply->str`) or a client/transport message (`Connection refused`,
 * `Connection reset by peer`, `Resource temporarily unavailable`, hiredis'
 * `context->errstr`). Invalid UTF-8 is read with replacement characters (error text comes
 * from the network; classification never fails on it).
 *
 * Use `ck_error_class_counts_as_failure` to turn the class into `CK_CALL_FAILURE` or
 * `CK_CALL_NEUTRAL` for `ck_breaker_record`. The engine classifies its replies itself.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `message` or `out`).
 * Thread safety: safe from any thread.
 *
 * # Safety
 * `message` is NULL or NUL-terminated; `out` is NULL or writable.
 */
ck_result ck_classify_redis_error(const char *message, ck_error_class *out);

/**
 * True when an error of `error_class` counts toward opening the breaker (transient, timeout,
 * unknown); false for the other classes and for unknown numbers.
 * Thread safety: safe from any thread.
 */
bool ck_error_class_counts_as_failure(ck_error_class error_class);

/**
 * The stable name of an error class (`"transient"`, `"timeout"`, `"permanent"`,
 * `"authentication"`, `"application"`, `"unknown"`); `"invalid"` for a number that is no class.
 * Ownership: static; never free it. Thread safety: safe from any thread.
 */
const char *ck_error_class_name(ck_error_class error_class);

/**
 * The stable name of a breaker state (`"closed"`, `"open"`, `"half_open"`); `"invalid"`
 * for a number that is no state. Ownership: static. Thread safety: safe from any thread.
 */
const char *ck_breaker_state_name(ck_breaker_state state);

/**
 * cachekit-py's backpressure tuning: 100 in flight, 1000 queued, 100 ms wait.
 * Thread safety: safe from any thread.
 */
struct ck_limiter_config ck_limiter_config_default(void);

/**
 * Creates a limiter with `config` (NULL = `ck_limiter_config_default()`).
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `out`, `max_in_flight` 0).
 * Ownership: `config` is copied. On success `*out` is a new handle the caller owns:
 * release it with `ck_limiter_free`. On failure `*out` is NULL.
 * Thread safety: safe from any thread.
 *
 * # Safety
 * `config` is NULL or readable; `out` is NULL or a writable `ck_limiter *`.
 */
ck_result ck_limiter_new(const struct ck_limiter_config *config, struct ck_limiter **out);

/**
 * Releases a limiter. NULL, an already freed handle and a pointer that is not a live
 * `ck_limiter` are ignored. Thread safety: no other call may be using the handle.
 *
 * # Safety
 * `limiter` is NULL or a pointer previously returned by `ck_limiter_new`.
 */
void ck_limiter_free(struct ck_limiter *limiter);

/**
 * Asks to start one call at `now_ms`. `*out` says run now (`CK_ADMIT_RUN` with a ticket)
 * or wait (`CK_ADMIT_WAIT` with a waiter and a deadline). New callers queue behind waiting
 * ones (FIFO hand-off: no starvation).
 *
 * Result codes: `CK_OK`; `CK_OVERLOADED` (the queue is full or queuing is disabled: do not
 * make the call); `CK_INVALID_ARGUMENT` (NULL `limiter` or `out`).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `limiter` is NULL or live; `out` is NULL or a writable `ck_admission`.
 */
ck_result ck_limiter_admit(const struct ck_limiter *limiter, uint64_t now_ms, struct ck_admission *out);

/**
 * Gives back the slot of a finished call. When a caller is waiting, the slot passes to the
 * oldest live waiter and `*wake_waiter` (may be NULL) is its number: wake that caller (it
 * gets `CK_ADMIT_RUN` from `ck_limiter_poll`). Otherwise `*wake_waiter` is 0. A ticket
 * released twice (or never issued) is ignored and counted in `unknown_releases`.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `limiter`, ticket 0).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `limiter` is NULL or live; `wake_waiter` is NULL or writable.
 */
ck_result ck_limiter_release(const struct ck_limiter *limiter,
                             uint64_t ticket,
                             uint64_t now_ms,
                             uint64_t *wake_waiter);

/**
 * Where `waiter` stands at `now_ms`: call it when woken and when the deadline passes.
 * `CK_ADMIT_RUN` (with a ticket): the slot is the caller's. `CK_ADMIT_WAIT`: still queued
 * (a spurious wake-up), park again until `deadline_ms`.
 *
 * Result codes: `CK_OK`; `CK_OVERLOADED` (the wait budget is spent, or the waiter is
 * unknown); `CK_INVALID_ARGUMENT` (NULL `limiter` or `out`, waiter 0).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `limiter` is NULL or live; `out` is NULL or a writable `ck_admission`.
 */
ck_result ck_limiter_poll(const struct ck_limiter *limiter,
                          uint64_t waiter,
                          uint64_t now_ms,
                          struct ck_admission *out);

/**
 * `waiter` gives up at `now_ms` (its request was aborted). If a slot had already been
 * handed to it, the slot moves on and `*wake_waiter` (may be NULL) names the next caller
 * to wake; otherwise 0. Unknown waiters are ignored.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `limiter`, waiter 0).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `limiter` is NULL or live; `wake_waiter` is NULL or writable.
 */
ck_result ck_limiter_cancel(const struct ck_limiter *limiter,
                            uint64_t waiter,
                            uint64_t now_ms,
                            uint64_t *wake_waiter);

/**
 * Fills the caller's `*out` with the limiter's counters and gauges.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `limiter` or `out`).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `limiter` is NULL or live; `out` is NULL or a writable `ck_limiter_stats`.
 */
ck_result ck_limiter_get_stats(const struct ck_limiter *limiter, struct ck_limiter_stats *out);

/**
 * The defaults: last 1000 samples no older than 60 s, P99 × 2, clamped to 50…5000 ms,
 * untrusted below 20 samples. Thread safety: safe from any thread.
 */
struct ck_adaptive_timeout_config ck_adaptive_timeout_config_default(void);

/**
 * Creates an estimator with `config` (NULL = `ck_adaptive_timeout_config_default()`).
 * Both window buffers are allocated now, and never again.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `out`; a zero window or age;
 * `min_samples` outside 1..=window; a multiplier below 1 or not finite; not
 * 0 < min <= max; a window over 16M samples).
 * Ownership: `config` is copied. On success `*out` is a new handle the caller owns:
 * release it with `ck_adaptive_timeout_free`. On failure `*out` is NULL.
 * Thread safety: safe from any thread.
 *
 * # Safety
 * `config` is NULL or readable; `out` is NULL or a writable `ck_adaptive_timeout *`.
 */
ck_result ck_adaptive_timeout_new(const struct ck_adaptive_timeout_config *config,
                                  struct ck_adaptive_timeout **out);

/**
 * Releases an estimator. NULL, an already freed handle and a pointer that is not a live
 * `ck_adaptive_timeout` are ignored. Thread safety: no other call may be using the handle.
 *
 * # Safety
 * `timeout` is NULL or a pointer previously returned by `ck_adaptive_timeout_new`.
 */
void ck_adaptive_timeout_free(struct ck_adaptive_timeout *timeout);

/**
 * Records one call that took `latency_ms` (fractions allowed) and finished at `now_ms`.
 * Record timed-out calls too, with the time they ran. Negative latencies count as 0; NaN
 * and infinities are ignored.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `timeout`).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `timeout` is NULL or live.
 */
ck_result ck_adaptive_timeout_observe(const struct ck_adaptive_timeout *timeout,
                                      double latency_ms,
                                      uint64_t now_ms);

/**
 * Writes the timeout to apply to a call starting at `now_ms` to `*out_ms` (cached; cheap).
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `timeout` or `out_ms`).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `timeout` is NULL or live; `out_ms` is NULL or writable.
 */
ck_result ck_adaptive_timeout_get(const struct ck_adaptive_timeout *timeout,
                                  uint64_t now_ms,
                                  uint64_t *out_ms);

/**
 * Fills the caller's `*out` with percentiles and the proposed timeout at `now_ms`,
 * computed afresh.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `timeout` or `out`).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `timeout` is NULL or live; `out` is NULL or a writable `ck_timeout_snapshot`.
 */
ck_result ck_adaptive_timeout_get_snapshot(const struct ck_adaptive_timeout *timeout,
                                           uint64_t now_ms,
                                           struct ck_timeout_snapshot *out);

/**
 * Forgets every sample (e.g. after reconnecting to another server).
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `timeout`).
 * Thread safety: safe concurrently on the same handle.
 *
 * # Safety
 * `timeout` is NULL or live.
 */
ck_result ck_adaptive_timeout_clear(const struct ck_adaptive_timeout *timeout);

/**
 * cachekit-py's defaults for the `production` intent: integrity on, 100 MiB L1, breaker
 * 5 failures / 60 s / 30 s open / 3 probes, backpressure 100 / 1000 / 100 ms, fill lock
 * 30 s lease / 100 ms retry / 5 s wait, no TTL refresh on hit, no early refresh.
 * Thread safety: safe from any thread.
 */
struct ck_engine_config ck_engine_config_default(void);

/**
 * Fills `*out` with the defaults of the intent preset called `intent` (`"minimal"`,
 * `"production"`, `"secure"`, `"io"`; exact, lowercase).
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL, unknown name); `CK_INVALID_STRING`.
 * On failure `*out` holds `ck_engine_config_default()`.
 * Thread safety: safe from any thread.
 *
 * # Safety
 * `intent` is NULL or NUL-terminated; `out` is NULL or a writable `ck_engine_config`.
 */
ck_result ck_engine_config_for_intent(const char *intent, struct ck_engine_config *out);

/**
 * Creates an engine from `config` (NULL = `ck_engine_config_default()`), encrypting
 * entries when `keyring` is not NULL.
 *
 * The keyring is **not** taken over and not kept: the engine builds its own keyring from a
 * copy of the key material (current and previous keys, tenant) with a fresh random nonce
 * sequence, so the caller still owns `keyring` and may free it right after this call.
 * Keys added to `keyring` later do not reach the engine.
 *
 * Result codes: `CK_OK`; `CK_ENCRYPTION_REQUIRED` (the `secure` intent without a
 * keyring); `CK_INVALID_ARGUMENT` (NULL `out`; an unknown intent or mode; a breaker,
 * limiter, timeout, L1, lock, TTL-refresh or early-refresh setting out of range);
 * `CK_INVALID_TTL`; `CK_INVALID_STRING` (`tag_prefix`); `CK_RANDOM_UNAVAILABLE`.
 * Ownership: on success `*out` is a new handle the caller owns: release it with
 * `ck_engine_free`. On failure `*out` is NULL.
 * Thread safety: safe from any thread.
 *
 * # Safety
 * `config` is NULL or a readable `ck_engine_config` whose `tag_prefix` is NULL or
 * NUL-terminated; `keyring` is NULL or a live keyring; `out` is NULL or a writable
 * `ck_engine *`.
 */
ck_result ck_engine_new(const struct ck_engine_config *config,
                        const struct ck_keyring *keyring,
                        struct ck_engine **out);

/**
 * Releases the engine handle. Ops still alive keep the engine itself alive (and keep
 * working) until they are freed. NULL, an already freed handle and a pointer that is not
 * a live `ck_engine` are ignored.
 *
 * Thread safety: no other call may be using this handle (ops of the engine may).
 *
 * # Safety
 * `engine` is NULL or a pointer previously returned by `ck_engine_new`.
 */
void ck_engine_free(struct ck_engine *engine);

/**
 * Starts a **get** of `req->key` at `now_ms`: the L1, then Redis; ends with
 * `CK_OUTCOME_HIT` or `CK_OUTCOME_MISS` (unreadable entries and an unreachable Redis are
 * misses, counted in the metrics).
 *
 * Every op-starting call (`ck_engine_get`, `_set`, `_get_or_compute`, `_refresh`,
 * `_delete`, `_invalidate`) works the same way: on `CK_OK`, `*op` is a new op the caller
 * owns (release it with `ck_op_free`) and `*step` its first step (its pointers borrowed
 * from the op until the next call on it, except `outcome.value`, which is yours: free it
 * with `ck_buf_free`). Drive the op with `ck_op_on_reply`, `ck_op_on_computed` and
 * `ck_op_resume` until a step is `CK_ACTION_DONE`. On failure `*op` is NULL, `*step` is
 * empty and nothing started.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `engine`, `req`, `req->key`, `op` or
 * `step`; an unknown mode; NULL tags with a length, a NULL or empty tag, more than
 * `CK_L1_MAX_TAGS`); `CK_INVALID_STRING`; `CK_INVALID_TTL`.
 * Thread safety: safe concurrently on the same engine.
 *
 * # Safety
 * `engine` is NULL or live; `req` is NULL or a readable `ck_request` (its strings
 * NUL-terminated, `tags` holding `tags_len` pointers); `op` is NULL or a writable
 * `ck_op *`; `step` is NULL or a writable `ck_step`.
 */
ck_result ck_engine_get(const struct ck_engine *engine,
                        const struct ck_request *req,
                        uint64_t now_ms,
                        struct ck_op **op,
                        struct ck_step *step);

/**
 * Starts a **set** of `value_msgpack` (`value_len` bytes: one MessagePack document,
 * decoded under the decode bounds as `ck_entry_encode` does) under `req->key`: encodes the
 * entry now, stores it in the L1, writes it to Redis (`SET … EX ttl`) and adds the key to
 * its tag sets; ends with `CK_OUTCOME_STORED` (`CK_OUTCOME_FLAG_REDIS` when Redis took
 * it). A value the entry encoder refuses (e.g. a set, NaN in interop mode) ends at once
 * with `CK_OUTCOME_FAILED` and the encoder's code.
 *
 * Result codes: as `ck_engine_get`, plus the document's: `CK_MALFORMED_MSGPACK`,
 * `CK_DECODE_BOUNDS`, `CK_TRAILING_BYTES`, `CK_INVALID_TEMPORAL`, `CK_VALUE_TOO_LARGE`.
 * Ownership and thread safety: as `ck_engine_get`; the value is copied.
 *
 * # Safety
 * As `ck_engine_get`, plus `value_msgpack` points to `value_len` readable bytes.
 */
ck_result ck_engine_set(const struct ck_engine *engine,
                        const struct ck_request *req,
                        const uint8_t *value_msgpack,
                        size_t value_len,
                        uint64_t now_ms,
                        struct ck_op **op,
                        struct ck_step *step);

/**
 * Starts a **get_or_compute**: the L1, the in-process single flight (one computation per
 * key; other callers sleep on a token and get `CK_SOURCE_SHARED`), Redis, the fill lock,
 * then `CK_ACTION_COMPUTE` and the write. Ends with `CK_OUTCOME_HIT` or
 * `CK_OUTCOME_COMPUTED`; cache-layer failures never reach the caller (the computation
 * still runs). A hit may carry `CK_OUTCOME_FLAG_REFRESH_AHEAD` (early refresh on).
 *
 * Result codes, ownership, thread safety: as `ck_engine_get`.
 *
 * # Safety
 * As `ck_engine_get`.
 */
ck_result ck_engine_get_or_compute(const struct ck_engine *engine,
                                   const struct ck_request *req,
                                   uint64_t now_ms,
                                   struct ck_op **op,
                                   struct ck_step *step);

/**
 * Starts a background **refresh** of a key whose hit carried
 * `CK_OUTCOME_FLAG_REFRESH_AHEAD`: leads the key's single flight only if nobody computes it
 * already, takes the fill lock with one attempt, then computes and writes. Ends with
 * `CK_OUTCOME_COMPUTED`, or `CK_OUTCOME_MISS` when another caller refreshes.
 *
 * Result codes, ownership, thread safety: as `ck_engine_get`.
 *
 * # Safety
 * As `ck_engine_get`.
 */
ck_result ck_engine_refresh(const struct ck_engine *engine,
                            const struct ck_request *req,
                            uint64_t now_ms,
                            struct ck_op **op,
                            struct ck_step *step);

/**
 * Starts a **delete** of `req->key` (the L1 now, then `DEL` in Redis). Ends with
 * `CK_OUTCOME_DELETED`, or `CK_OUTCOME_FAILED` (`CK_BACKEND`, `CK_TIMEOUT`,
 * `CK_CIRCUIT_OPEN`, `CK_OVERLOADED`) when Redis could not be reached.
 *
 * Result codes, ownership, thread safety: as `ck_engine_get`.
 *
 * # Safety
 * As `ck_engine_get`.
 */
ck_result ck_engine_delete(const struct ck_engine *engine,
                           const struct ck_request *req,
                           uint64_t now_ms,
                           struct ck_op **op,
                           struct ck_step *step);

/**
 * Starts an **invalidation** (the L1 now, then Redis) of one key (`CK_INVALIDATE_KEY`),
 * a namespace (`CK_INVALIDATE_NAMESPACE`; `mode` picks the key family, 0 = the engine's
 * mode) or a tag (`CK_INVALIDATE_TAG`: `SMEMBERS` of the tag set, then `DEL` of its keys
 * and the set). Ends with `CK_OUTCOME_INVALIDATED`, or `CK_OUTCOME_FAILED` as
 * `ck_engine_delete`.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `engine`, `target`, `op` or `step`;
 * unknown `kind` or `mode`); `CK_INVALID_STRING`.
 * Ownership, thread safety: as `ck_engine_get`.
 *
 * # Safety
 * `engine` is NULL or live; `target` is NULL or NUL-terminated; `op` and `step` as
 * `ck_engine_get`.
 */
ck_result ck_engine_invalidate(const struct ck_engine *engine,
                               ck_invalidate_kind kind,
                               const char *target,
                               ck_mode mode,
                               uint64_t now_ms,
                               struct ck_op **op,
                               struct ck_step *step);

/**
 * Writes the timeout to apply to the next command at `now_ms` to `*out_ms` (adaptive: P99
 * of recent replies × 2, clamped to the configured bounds). A command that does not
 * answer in time is reported as a `CK_REPLY_TIMEOUT` reply.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `engine` or `out_ms`).
 * Thread safety: safe concurrently on the same engine.
 *
 * # Safety
 * `engine` is NULL or live; `out_ms` is NULL or writable.
 */
ck_result ck_engine_command_timeout(const struct ck_engine *engine, uint64_t now_ms, uint64_t *out_ms);

/**
 * Fills `*out` with the engine's L1 counters (all zero, `budget` 0, when its L1 is off).
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `engine` or `out`).
 * Thread safety: safe concurrently on the same engine.
 *
 * # Safety
 * `engine` is NULL or live; `out` is NULL or a writable `ck_l1_stats`.
 */
ck_result ck_engine_get_l1_stats(const struct ck_engine *engine, struct ck_l1_stats *out);

/**
 * Fills `*out` with a view of the engine's circuit breaker at `now_ms`.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `engine` or `out`).
 * Thread safety: safe concurrently on the same engine.
 *
 * # Safety
 * `engine` is NULL or live; `out` is NULL or a writable `ck_breaker_snapshot`.
 */
ck_result ck_engine_get_breaker_snapshot(const struct ck_engine *engine,
                                         uint64_t now_ms,
                                         struct ck_breaker_snapshot *out);

/**
 * Fills `*out` with the engine's backpressure counters and gauges.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `engine` or `out`).
 * Thread safety: safe concurrently on the same engine.
 *
 * # Safety
 * `engine` is NULL or live; `out` is NULL or a writable `ck_limiter_stats`.
 */
ck_result ck_engine_get_limiter_stats(const struct ck_engine *engine, struct ck_limiter_stats *out);

/**
 * Reports the reply to the command of the last `CK_ACTION_SEND` step, received at
 * `now_ms`, and fills `*step` with what comes next.
 *
 * Any well-formed reply is accepted: one that does not fit the command (an int for a GET,
 * an error, a timeout) is judged by the engine (a miss, a breaker failure, a degraded
 * write), never trusted. A reply that is not well-formed (unknown kind, NULL with a length,
 * nesting over `CK_REPLY_MAX_DEPTH`, more than `CK_REPLY_MAX_ITEMS` items or
 * `CK_MAX_INPUT_BYTES` in total) is refused and the op is left unchanged: report the
 * reply again, or abandon the op.
 *
 * Result codes: `CK_OK` (the step is filled, whatever the outcome);
 * `CK_INVALID_ARGUMENT` (NULL `op`, `reply` or `step`; a malformed reply; the op's last
 * step was not `CK_ACTION_SEND`: the op is unchanged); `CK_VALUE_TOO_LARGE`.
 * Ownership: `reply` is borrowed for the call (its bytes are copied). `*step` is
 * overwritten (free the `outcome.value` of a previous step first); its pointers are
 * borrowed from the op until the next call on it, except `outcome.value` (yours).
 * Thread safety: no other call on the same op at the same time.
 *
 * # Safety
 * `op` is NULL or a live op; `reply` is NULL or a valid `ck_reply` tree (pointers and
 * lengths describe readable memory); `step` is NULL or a writable `ck_step`.
 */
ck_result ck_op_on_reply(struct ck_op *op,
                         const struct ck_reply *reply,
                         uint64_t now_ms,
                         struct ck_step *step);

/**
 * Reports the caller's computation after a `CK_ACTION_COMPUTE` step, at `now_ms`, and
 * fills `*step` with what comes next (the write to Redis, then `CK_OUTCOME_COMPUTED`).
 *
 * Success: `error_message` is NULL and `value_msgpack` (`value_len` bytes) is the value as
 * one MessagePack document, decoded under the decode bounds and encoded for the cache as
 * `ck_entry_encode` does; a value the entry encoder refuses is still your answer, just not
 * cached. Failure: `error_message` is your error's text (the value is then ignored); this
 * caller ends with `CK_OUTCOME_FAILED` / `CK_COMPUTE_FAILED` (rethrow your own error) and
 * single-flight followers waiting for it get `CK_COMPUTE_FAILED` with this text.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `op` or `step`; the op's last step
 * was not `CK_ACTION_COMPUTE`); a malformed document (`CK_MALFORMED_MSGPACK`,
 * `CK_DECODE_BOUNDS`, `CK_TRAILING_BYTES`, `CK_INVALID_TEMPORAL`, `CK_VALUE_TOO_LARGE`);
 * `CK_INVALID_STRING` (message not UTF-8). On any failure the op is unchanged.
 * Ownership: inputs are borrowed for the call; `*step` as in `ck_op_on_reply`.
 * Thread safety: no other call on the same op at the same time.
 *
 * # Safety
 * `op` is NULL or a live op; `value_msgpack` points to `value_len` readable bytes (or is
 * NULL with 0); `error_message` is NULL or NUL-terminated; `step` is NULL or writable.
 */
ck_result ck_op_on_computed(struct ck_op *op,
                            const uint8_t *value_msgpack,
                            size_t value_len,
                            const char *error_message,
                            uint64_t now_ms,
                            struct ck_step *step);

/**
 * Continues after a `CK_ACTION_SLEEP` step, at `now_ms`: when its deadline passed, or
 * earlier when a step listed its token in `wake` (an early or spurious resume is fine: the
 * op sleeps again if it must).
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `op` or `step`; the op's last step
 * was not `CK_ACTION_SLEEP`: the op is unchanged).
 * Ownership: `*step` as in `ck_op_on_reply`. Thread safety: no other call on the same op.
 *
 * # Safety
 * `op` is NULL or a live op; `step` is NULL or a writable `ck_step`.
 */
ck_result ck_op_resume(struct ck_op *op, uint64_t now_ms, struct ck_step *step);

/**
 * Abandons the op at `now_ms` (the caller went away: a cancelled request, a shutdown):
 * settles every slot, wait and single-flight lead it holds. `*step` gets `action`
 * `CK_ACTION_NONE`, the tokens to wake in `wake` (followers that now lead, waiters that get
 * a slot) and, when a fill lock may be held, a `CK_CMD_EVAL_RELEASE` command to send
 * without reporting its reply. Abandoning a done or abandoned op gives an empty step.
 * After it only `ck_op_free` is accepted.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `op` or `step`).
 * Ownership: `*step` as in `ck_op_on_reply`. Thread safety: no other call on the same op.
 *
 * # Safety
 * `op` is NULL or a live op; `step` is NULL or a writable `ck_step`.
 */
ck_result ck_op_abandon(struct ck_op *op, uint64_t now_ms, struct ck_step *step);

/**
 * True once the op returned `CK_ACTION_DONE` or was abandoned; false for NULL.
 * Thread safety: no other call on the same op at the same time.
 *
 * # Safety
 * `op` is NULL or a live op.
 */
bool ck_op_is_done(const struct ck_op *op);

/**
 * Releases an op and the memory its steps point into. An unfinished op is abandoned first
 * at the last time it was given, but the tokens to wake and a lock release are then lost:
 * parked callers wake at their deadlines and the lock expires with its lease; call
 * `ck_op_abandon` first to get them. Releases the op's reference to its engine. NULL, an
 * already freed op and a pointer that is not a live `ck_op` are ignored.
 *
 * Thread safety: no other call may be using the op.
 *
 * # Safety
 * `op` is NULL or a pointer previously returned through a `ck_engine_*` call.
 */
void ck_op_free(struct ck_op *op);

/**
 * Renders the engine's metrics at `now_ms` into `*out` as Prometheus text exposition
 * (format 0.0.4; serve it with `ck_metrics_content_type()`): hits and misses by layer
 * (`l1`, `redis`), errors by kind (the `ck_error_name` names), the breaker state, L1 bytes
 * and entries (refreshed at this call) and the request latency histogram.
 *
 * Result codes: `CK_OK`; `CK_INVALID_ARGUMENT` (NULL `engine` or `out`).
 * Ownership: on success free `*out` (text, NUL-terminated) with `ck_buf_free`.
 * Thread safety: safe concurrently on the same engine.
 *
 * # Safety
 * `engine` is NULL or live; `out` is NULL or a writable `ck_buf`.
 */
ck_result ck_metrics_render(const struct ck_engine *engine, uint64_t now_ms, struct ck_buf *out);

/**
 * The HTTP `Content-Type` of `ck_metrics_render`'s text
 * (`"text/plain; version=0.0.4; charset=utf-8"`).
 * Ownership: static; never free it. Thread safety: safe from any thread.
 */
const char *ck_metrics_content_type(void);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* CACHEKIT_H */
