/*
 * Hostile-input tests: every exported function with NULL pointers, NULL + length,
 * impossible lengths (SIZE_MAX, > PTRDIFF_MAX), invalid UTF-8, truncated and oversized
 * documents and garbage bytes. Each call must return the documented result code (or at
 * least a known failure code for garbage), never crash, and leave out-parameters reset.
 * Run under valgrind and AddressSanitizer by ffi-c/test.sh.
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static const char KEY_HEX[] = "6161616161616161616161616161616161616161616161616161616161616161";
static const char BAD_UTF8[] = "\xff\xfe\xc3\x28";
static const uint8_t KEY32[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
#define HUGE_LEN SIZE_MAX
#define OVER_PTRDIFF ((size_t)PTRDIFF_MAX + 1)
#define JUST_OVER_CAP ((size_t)CK_MAX_INPUT_BYTES + 1)

static const ck_mode MODES[] = {CK_MODE_DEFAULT, CK_MODE_DEFAULT_NO_INTEGRITY, CK_MODE_INTEROP};

/* An out-buffer that must come back as {NULL, 0} after a failure. */
static ck_buf dirty(void) {
  ck_buf b = {(uint8_t *)(uintptr_t)0x1, 12345};
  return b;
}
#define EXPECT_RESET(b) EXPECT((b).ptr == NULL && (b).len == 0)

static void meta(void) {
  EXPECT(strcmp(ck_version(), CACHEKIT_VERSION_STRING) == 0);
  EXPECT(strcmp(ck_error_name(CK_OK), "ok") == 0);
  EXPECT(strcmp(ck_error_name(-1), "unknown") == 0);
  EXPECT(strcmp(ck_error_name(INT32_MAX), "unknown") == 0);
  EXPECT(strcmp(ck_error_name(INT32_MIN), "unknown") == 0);
  EXPECT(strcmp(ck_error_name(99), "unknown") == 0);
  EXPECT(strcmp(ck_error_message(12345), "unknown result code") == 0);
  EXPECT(!ck_error_is_read_miss(-7));
  EXPECT(!ck_error_is_read_miss(CK_OK));
  ck_buf_free(NULL);
  ck_buf empty = {NULL, 0};
  ck_buf_free(&empty);
  ck_keyring_free(NULL);
  EXPECT(strcmp(ck_python_frame_rejection_name(999), "unknown") == 0);
  EXPECT(strcmp(ck_python_frame_rejection_name(CK_FRAME_REJECTION_NONE), "none") == 0);

  /* last error: NULL buffer, zero length, one byte, truncation at a UTF-8 boundary */
  ck_buf out = dirty();
  EXPECT_RC(ck_msgpack_uuid("not-a-uuid", &out), CK_INVALID_ARGUMENT);
  size_t n = ck_last_error_message(NULL, 0);
  EXPECT(n > 10);
  EXPECT(ck_last_error_message(NULL, 100) == n);
  char one[1] = {'x'};
  EXPECT(ck_last_error_message(one, 1) == n && one[0] == 0);
  char small[8];
  memset(small, 'x', sizeof small);
  EXPECT(ck_last_error_message(small, sizeof small) == n && strlen(small) == 7);
  EXPECT_RC(ck_msgpack_uuid("00000000-0000-0000-0000-000000000000", &out), CK_OK);
  EXPECT(ck_last_error_message(NULL, 0) == 0); /* success clears the detail */
  ck_buf_free(&out);
  ck_buf_free(&out); /* twice is harmless */
}

static void msgpack_helpers(void) {
  ck_buf out = dirty();
  EXPECT_RC(ck_msgpack_set(NULL, 0, &out), CK_DECODE_BOUNDS); /* empty input: not a document */
  EXPECT_RESET(out);
  EXPECT_RC(ck_msgpack_set(NULL, 1, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_set((const uint8_t *)"\x90", 1, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_set((const uint8_t *)"\x90", HUGE_LEN, &out), CK_VALUE_TOO_LARGE);
  EXPECT_RC(ck_msgpack_set((const uint8_t *)"\x90", OVER_PTRDIFF, &out), CK_VALUE_TOO_LARGE);
  EXPECT_RC(ck_msgpack_set((const uint8_t *)"\x90", JUST_OVER_CAP, &out), CK_VALUE_TOO_LARGE);
  EXPECT_RC(ck_msgpack_set((const uint8_t *)"\x80", 1, &out), CK_INVALID_ARGUMENT); /* a map, not an array */
  EXPECT_RC(ck_msgpack_set((const uint8_t *)"\x91", 1, &out), CK_DECODE_BOUNDS);    /* truncated */
  EXPECT_RC(ck_msgpack_set((const uint8_t *)"\x90\xc0", 2, &out), CK_TRAILING_BYTES);
  EXPECT_RC(ck_msgpack_set((const uint8_t *)"\x91\xa1\xff", 3, &out), CK_MALFORMED_MSGPACK); /* bad UTF-8 str */
  EXPECT_RC(ck_msgpack_set((const uint8_t *)"\xdd\xff\xff\xff\xff", 5, &out), CK_DECODE_BOUNDS); /* 4G items */
  EXPECT_RESET(out);

  EXPECT_RC(ck_msgpack_uuid(NULL, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_uuid("550e8400-e29b-41d4-a716-446655440000", NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_uuid(BAD_UTF8, &out), CK_INVALID_STRING);
  EXPECT_RC(ck_msgpack_uuid("", &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_uuid("550e8400e29b41d4a716446655440000", &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_uuid("550e8400-e29b-41d4-a716-44665544000\xc3\xa9", &out), CK_INVALID_ARGUMENT);

  EXPECT_RC(ck_msgpack_bigint(NULL, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_bigint("1", NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_bigint("", &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_bigint("-", &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_bigint("+1", &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_bigint("1e5", &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_bigint(BAD_UTF8, &out), CK_INVALID_STRING);

  EXPECT_RC(ck_msgpack_temporal(0, "2024-01-01", &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_temporal(UINT32_MAX, "2024-01-01", &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_temporal(CK_TEMPORAL_DATE, NULL, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_temporal(CK_TEMPORAL_DATE, "2024-01-01", NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_msgpack_temporal(CK_TEMPORAL_DATE, "2024-02-30", &out), CK_INVALID_TEMPORAL);
  EXPECT_RC(ck_msgpack_temporal(CK_TEMPORAL_DATETIME, "2024-01-01T25:00:00", &out), CK_INVALID_TEMPORAL);
  EXPECT_RC(ck_msgpack_temporal(CK_TEMPORAL_TIME, "", &out), CK_INVALID_TEMPORAL);
  EXPECT_RC(ck_msgpack_temporal(CK_TEMPORAL_TIME, BAD_UTF8, &out), CK_INVALID_STRING);
  EXPECT_RESET(out);

  /* The ext items of the C conventions, malformed, inside values and args. */
  const uint8_t bad_uuid[] = {0xd4, CK_EXT_UUID, 0x00};                     /* 1-byte UUID */
  const uint8_t bad_big[] = {0xd5, CK_EXT_BIGINT, '1', 'x'};                /* not decimal */
  const uint8_t huge_big[] = {0xc7, 40, CK_EXT_BIGINT, '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9',
                              '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9', '9'};
  const uint8_t bad_set[] = {0xd4, CK_EXT_SET, 0x80};                       /* a map payload */
  const uint8_t trunc_set[] = {0xd4, CK_EXT_SET, 0x91};                     /* truncated payload */
  const uint8_t bad_date[] = {0xd6, CK_EXT_DATE, '2', '0', '2', '4'};        /* not a date */
  const uint8_t bad_time_utf8[] = {0xd5, CK_EXT_TIME, 0xff, 0xfe};
  EXPECT_RC(ck_interop_canonical_args((const uint8_t[]){0x91, 0xd4, CK_EXT_UUID, 0x00}, 4, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_interop_canonical_value(bad_uuid, sizeof bad_uuid, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_interop_canonical_value(bad_big, sizeof bad_big, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_interop_canonical_value(huge_big, sizeof huge_big, &out), CK_INTEGER_OUT_OF_RANGE);
  EXPECT_RC(ck_interop_canonical_value(bad_set, sizeof bad_set, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_interop_canonical_value(trunc_set, sizeof trunc_set, &out), CK_DECODE_BOUNDS);
  EXPECT_RC(ck_interop_canonical_value(bad_date, sizeof bad_date, &out), CK_INVALID_TEMPORAL);
  EXPECT_RC(ck_interop_canonical_value(bad_time_utf8, sizeof bad_time_utf8, &out), CK_MALFORMED_MSGPACK);
  EXPECT_RESET(out);

  /* Sets nested in set payloads cannot get around the depth bound. */
  uint8_t *deep = malloc(3 * 600 + 1);
  size_t n = 0;
  deep[n++] = 0x90;
  for (int i = 0; i < 600; i++) {
    /* wrap: 0x91, fixext-or-ext8 header, CK_EXT_SET, previous doc */
    uint8_t *next = malloc(n + 6);
    size_t m = 0;
    next[m++] = 0x91;
    if (n <= 0xff) {
      next[m++] = 0xc7;
      next[m++] = (uint8_t)n;
    } else {
      next[m++] = 0xc8;
      next[m++] = (uint8_t)(n >> 8);
      next[m++] = (uint8_t)n;
    }
    next[m++] = (uint8_t)CK_EXT_SET;
    memcpy(next + m, deep, n);
    free(deep);
    deep = next;
    n += m;
  }
  EXPECT_RC(ck_interop_canonical_args(deep, n, &out), CK_DECODE_BOUNDS);
  free(deep);
}

static void keys_material(void) {
  ck_keyring *kr = (ck_keyring *)(uintptr_t)0x1;
  EXPECT_RC(ck_master_key_validate_hex(NULL), CK_INVALID_MASTER_KEY);
  EXPECT_RC(ck_master_key_validate_hex(""), CK_INVALID_MASTER_KEY);
  EXPECT_RC(ck_master_key_validate_hex(BAD_UTF8), CK_INVALID_MASTER_KEY);
  EXPECT_RC(ck_master_key_validate_hex("0x6161616161616161616161616161616161616161616161616161616161616161"), CK_INVALID_MASTER_KEY);
  EXPECT_RC(ck_master_key_validate_hex(KEY_HEX), CK_OK);
  EXPECT_RC(ck_master_key_validate(NULL, 0), CK_INVALID_MASTER_KEY);
  EXPECT_RC(ck_master_key_validate(NULL, 32), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_master_key_validate(KEY32, 31), CK_INVALID_MASTER_KEY);
  EXPECT_RC(ck_master_key_validate(KEY32, 33), CK_INVALID_MASTER_KEY);
  EXPECT_RC(ck_master_key_validate(KEY32, HUGE_LEN), CK_VALUE_TOO_LARGE);
  EXPECT_RC(ck_master_key_validate(KEY32, 32), CK_OK);

  EXPECT_RC(ck_keyring_new_hex(KEY_HEX, NULL, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_keyring_new_hex(NULL, NULL, &kr), CK_INVALID_MASTER_KEY);
  EXPECT(kr == NULL);
  kr = (ck_keyring *)(uintptr_t)0x1;
  EXPECT_RC(ck_keyring_new_hex("zz", NULL, &kr), CK_INVALID_MASTER_KEY);
  EXPECT(kr == NULL);
  EXPECT_RC(ck_keyring_new_hex(KEY_HEX, "", &kr), CK_INVALID_TENANT);
  EXPECT_RC(ck_keyring_new_hex(KEY_HEX, BAD_UTF8, &kr), CK_INVALID_STRING);
  char long_tenant[1100];
  memset(long_tenant, 't', sizeof long_tenant - 1);
  long_tenant[sizeof long_tenant - 1] = 0;
  EXPECT_RC(ck_keyring_new_hex(KEY_HEX, long_tenant, &kr), CK_INVALID_TENANT);
  EXPECT(kr == NULL);
  EXPECT_RC(ck_keyring_new(NULL, 32, NULL, &kr), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_keyring_new(KEY32, 16, NULL, &kr), CK_INVALID_MASTER_KEY);
  EXPECT_RC(ck_keyring_new(KEY32, OVER_PTRDIFF, NULL, &kr), CK_VALUE_TOO_LARGE);
  EXPECT_RC(ck_keyring_new(KEY32, 32, NULL, NULL), CK_INVALID_ARGUMENT);

  EXPECT_RC(ck_keyring_new(KEY32, 32, "tenant-a", &kr), CK_OK);
  EXPECT_RC(ck_keyring_add_previous_hex(NULL, KEY_HEX), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_keyring_add_previous_hex(kr, NULL), CK_INVALID_MASTER_KEY);
  EXPECT_RC(ck_keyring_add_previous_hex(kr, BAD_UTF8), CK_INVALID_MASTER_KEY);
  EXPECT_RC(ck_keyring_add_previous(NULL, KEY32, 32), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_keyring_add_previous(kr, KEY32, 32), CK_INVALID_KEYRING); /* the current key */
  EXPECT_RC(ck_keyring_add_previous(kr, NULL, 32), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_keyring_add_previous(kr, KEY32, 3), CK_INVALID_MASTER_KEY);
  uint8_t k2[32];
  for (int i = 0; i < 3; i++) {
    memset(k2, 0x40 + i, sizeof k2);
    EXPECT_RC(ck_keyring_add_previous(kr, k2, sizeof k2), CK_OK);
  }
  memset(k2, 0x50, sizeof k2);
  EXPECT_RC(ck_keyring_add_previous(kr, k2, sizeof k2), CK_INVALID_KEYRING); /* a fourth */

  uint8_t fp[CK_FINGERPRINT_LEN];
  EXPECT_RC(ck_keyring_fingerprint(NULL, fp, sizeof fp), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_keyring_fingerprint(kr, NULL, sizeof fp), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_keyring_fingerprint(kr, fp, sizeof fp - 1), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_keyring_fingerprint(kr, fp, sizeof fp), CK_OK);

  ck_buf out = dirty();
  const uint8_t aad[] = "aad";
  EXPECT_RC(ck_keyring_encrypt(NULL, aad, 3, aad, 3, &out), CK_INVALID_ARGUMENT);
  EXPECT_RESET(out);
  EXPECT_RC(ck_keyring_encrypt(kr, NULL, 3, aad, 3, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_keyring_encrypt(kr, aad, 3, NULL, 3, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_keyring_encrypt(kr, aad, HUGE_LEN, aad, 3, &out), CK_VALUE_TOO_LARGE);
  EXPECT_RC(ck_keyring_encrypt(kr, aad, 3, aad, 3, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_keyring_encrypt(kr, NULL, 0, NULL, 0, &out), CK_OK); /* empty AAD and plaintext */
  EXPECT(out.len == 28);
  ck_buf pt = dirty();
  EXPECT_RC(ck_keyring_decrypt(kr, NULL, 0, out.ptr, out.len, &pt), CK_OK);
  EXPECT(pt.ptr != NULL && pt.len == 0);
  ck_buf_free(&pt);
  EXPECT_RC(ck_keyring_decrypt(kr, NULL, 0, out.ptr, out.len - 1, &pt), CK_CIPHERTEXT_TOO_SHORT);
  EXPECT_RESET(pt);
  EXPECT_RC(ck_keyring_decrypt(kr, aad, 3, out.ptr, out.len, &pt), CK_DECRYPTION_FAILED);
  EXPECT_RC(ck_keyring_decrypt(kr, NULL, 0, NULL, 0, &pt), CK_CIPHERTEXT_TOO_SHORT);
  EXPECT_RC(ck_keyring_decrypt(kr, NULL, 0, out.ptr, HUGE_LEN, &pt), CK_VALUE_TOO_LARGE);
  EXPECT_RC(ck_keyring_decrypt(NULL, NULL, 0, out.ptr, out.len, &pt), CK_INVALID_ARGUMENT);
  for (size_t i = 0; i < out.len; i++) { /* every single-bit flip is caught */
    out.ptr[i] ^= 0x01;
    EXPECT_RC(ck_keyring_decrypt(kr, NULL, 0, out.ptr, out.len, &pt), CK_DECRYPTION_FAILED);
    out.ptr[i] ^= 0x01;
  }
  ck_buf_free(&out);
  const uint8_t nonce[12] = {0};
  EXPECT_RC(ck_keyring_encrypt_with_nonce(kr, nonce, 11, aad, 3, aad, 3, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_keyring_encrypt_with_nonce(kr, nonce, 13, aad, 3, aad, 3, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_keyring_encrypt_with_nonce(kr, NULL, 12, aad, 3, aad, 3, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_keyring_encrypt_with_nonce(NULL, nonce, 12, aad, 3, aad, 3, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_keyring_encrypt_with_nonce(kr, nonce, 12, aad, 3, aad, 3, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RESET(out);
  ck_keyring_free(kr);

  EXPECT_RC(ck_aad(NULL, "k", "msgpack", false, NULL, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_aad("t", NULL, "msgpack", false, NULL, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_aad("t", "k", NULL, false, NULL, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_aad("t", "k", "msgpack", false, BAD_UTF8, &out), CK_INVALID_STRING);
  EXPECT_RC(ck_aad("t", "k", "msgpack", false, NULL, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_aad("", "", "", true, "", &out), CK_OK);
  EXPECT(out.len == 1 + 4 * 5 + 4);
  ck_buf_free(&out);

  EXPECT_RC(ck_derive_salt(NULL, "t", &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_derive_salt("d", NULL, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_derive_salt("", "t", &out), CK_INVALID_TENANT);
  EXPECT_RC(ck_derive_salt("d", "", &out), CK_INVALID_TENANT);
  EXPECT_RC(ck_derive_salt("d", long_tenant, &out), CK_INVALID_TENANT);
  EXPECT_RC(ck_derive_salt(BAD_UTF8, "t", &out), CK_INVALID_STRING);
  EXPECT_RC(ck_derive_salt("d", "t", NULL), CK_INVALID_ARGUMENT);
  EXPECT_RESET(out);

  uint8_t key[CK_KEY_LEN];
  EXPECT_RC(ck_derive_key(NULL, 32, "encryption", "t", key, sizeof key), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_derive_key(KEY32, 31, "encryption", "t", key, sizeof key), CK_INVALID_MASTER_KEY);
  EXPECT_RC(ck_derive_key(KEY32, 32, NULL, "t", key, sizeof key), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_derive_key(KEY32, 32, "encryption", NULL, key, sizeof key), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_derive_key(KEY32, 32, "encryption", "t", NULL, sizeof key), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_derive_key(KEY32, 32, "encryption", "t", key, 31), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_derive_key(KEY32, 32, "", "t", key, sizeof key), CK_INVALID_TENANT);
  EXPECT_RC(ck_derive_key(KEY32, 32, "encryption", "t", key, sizeof key), CK_OK);
  EXPECT_RC(ck_key_fingerprint(NULL, 32, fp, sizeof fp), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_key_fingerprint(key, 31, fp, sizeof fp), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_key_fingerprint(key, 32, NULL, sizeof fp), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_key_fingerprint(key, 32, fp, 15), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_key_fingerprint(key, 32, fp, sizeof fp), CK_OK);
}

/* {"user": 42, "tags": ["a", "b"], "score": 1.5} */
static const uint8_t VALUE[] = {0x83, 0xa4, 'u', 's', 'e', 'r', 0x2a, 0xa4, 't', 'a', 'g', 's', 0x92, 0xa1, 'a', 0xa1, 'b',
                                0xa5, 's', 'c', 'o', 'r', 'e', 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0};

static void entries(void) {
  ck_keyring *kr = NULL;
  EXPECT_RC(ck_keyring_new_hex(KEY_HEX, "tenant", &kr), CK_OK);
  ck_buf out = dirty(), back = dirty();
  for (int m = 0; m < 3; m++) {
    ck_mode mode = MODES[m];
    EXPECT_RC(ck_entry_encode(mode, "k", NULL, 0, VALUE, sizeof VALUE, NULL), CK_INVALID_ARGUMENT);
    EXPECT_RC(ck_entry_encode(mode, "k", NULL, 0, NULL, sizeof VALUE, &out), CK_INVALID_ARGUMENT);
    EXPECT_RESET(out);
    EXPECT_RC(ck_entry_encode(mode, "k", NULL, 0, NULL, 0, &out), CK_DECODE_BOUNDS);
    EXPECT_RC(ck_entry_encode(mode, "k", NULL, 0, VALUE, HUGE_LEN, &out), CK_VALUE_TOO_LARGE);
    EXPECT_RC(ck_entry_encode(mode, "k", NULL, 0, VALUE, JUST_OVER_CAP, &out), CK_VALUE_TOO_LARGE);
    EXPECT_RC(ck_entry_encode(mode, NULL, kr, 0, VALUE, sizeof VALUE, &out), CK_INVALID_ARGUMENT);
    EXPECT_RC(ck_entry_encode(mode, BAD_UTF8, kr, 0, VALUE, sizeof VALUE, &out), CK_INVALID_STRING);
    EXPECT_RC(ck_entry_encode(mode, "k", NULL, 8, VALUE, sizeof VALUE, &out), CK_VALUE_TOO_LARGE);
    for (size_t cut = 0; cut < sizeof VALUE; cut++) /* every truncation of the input */
      EXPECT_FAIL(ck_entry_encode(mode, "k", kr, 0, VALUE, cut, &out));
    EXPECT_RESET(out);

    EXPECT_RC(ck_entry_encode(mode, "users:1", kr, 0, VALUE, sizeof VALUE, &out), CK_OK);
    EXPECT_RC(ck_entry_decode(mode, "users:1", kr, out.ptr, out.len, NULL), CK_INVALID_ARGUMENT);
    EXPECT_RC(ck_entry_decode(mode, NULL, kr, out.ptr, out.len, &back), CK_INVALID_ARGUMENT);
    EXPECT_RC(ck_entry_decode(mode, "users:1", kr, NULL, out.len, &back), CK_INVALID_ARGUMENT);
    EXPECT_RC(ck_entry_decode(mode, "users:1", kr, out.ptr, HUGE_LEN, &back), CK_VALUE_TOO_LARGE);
    EXPECT_RC(ck_entry_decode(mode, "users:2", kr, out.ptr, out.len, &back), CK_DECRYPTION_FAILED);
    if (mode == CK_MODE_DEFAULT) EXPECT_FAIL(ck_entry_decode(mode, "users:1", NULL, out.ptr, out.len, &back));
    ck_buf_free(&back);
    for (size_t cut = 0; cut < out.len; cut++) { /* every truncation of the stored entry */
      ck_result rc = ck_entry_decode(mode, "users:1", kr, out.ptr, cut, &back);
      EXPECT(rc == CK_CIPHERTEXT_TOO_SHORT || rc == CK_DECRYPTION_FAILED);
      EXPECT(ck_error_is_read_miss(rc));
      EXPECT_RESET(back);
    }
    EXPECT_RC(ck_entry_decode(mode, "users:1", kr, out.ptr, out.len, &back), CK_OK);
    ck_buf_free(&back);
    ck_buf_free(&out);

    /* plaintext entries: every truncation fails as a read miss, garbage never crashes */
    EXPECT_RC(ck_entry_encode(mode, NULL, NULL, 0, VALUE, sizeof VALUE, &out), CK_OK);
    for (size_t cut = 0; cut < out.len; cut++) {
      ck_result rc = ck_entry_decode(mode, NULL, NULL, out.ptr, cut, &back);
      EXPECT(rc != CK_OK && ck_error_is_read_miss(rc));
      EXPECT_RESET(back);
    }
    for (size_t i = 0; i < out.len; i++) { /* single-byte corruption: a code, never a crash */
      uint8_t saved = out.ptr[i];
      for (int v = 0; v < 256; v += 37) {
        out.ptr[i] = (uint8_t)v;
        ck_result rc = ck_entry_decode(mode, NULL, NULL, out.ptr, out.len, &back);
        EXPECT(rc == CK_OK || ck_error_is_read_miss(rc));
        ck_buf_free(&back);
      }
      out.ptr[i] = saved;
    }
    ck_buf_free(&out);

    EXPECT_RC(ck_entry_encode(0, NULL, NULL, 0, VALUE, sizeof VALUE, &out), CK_INVALID_ARGUMENT);
    EXPECT_RC(ck_entry_encode(4, NULL, NULL, 0, VALUE, sizeof VALUE, &out), CK_INVALID_ARGUMENT);
    EXPECT_RC(ck_entry_decode(UINT32_MAX, NULL, NULL, VALUE, sizeof VALUE, &out), CK_INVALID_ARGUMENT);
  }
  /* Python frames are refused in every mode, encrypted or not, whatever follows the magic. */
  const uint8_t frame[] = "CK\x03\x00\x00\x00\x02{}payload";
  for (int m = 0; m < 3; m++) {
    EXPECT_RC(ck_entry_decode(MODES[m], "k", NULL, frame, sizeof frame - 1, &out), CK_PYTHON_FRAME);
    EXPECT_RC(ck_entry_decode(MODES[m], "k", kr, frame, sizeof frame - 1, &out), CK_PYTHON_FRAME);
    EXPECT_RC(ck_entry_decode(MODES[m], "k", kr, (const uint8_t *)"CK", 2, &out), CK_PYTHON_FRAME);
  }
  EXPECT_RESET(out);
  ck_keyring_free(kr);

  /* Depth: 100k nested arrays are refused by the pre-scan, without recursion. */
  size_t depth = 100000;
  uint8_t *deep = malloc(depth + 1);
  memset(deep, 0x91, depth);
  deep[depth] = 0xc0;
  for (int m = 0; m < 3; m++) {
    EXPECT_RC(ck_entry_encode(MODES[m], NULL, NULL, 0, deep, depth + 1, &out), CK_DECODE_BOUNDS);
    EXPECT_RC(ck_entry_decode(MODES[m], NULL, NULL, deep, depth + 1, &out), CK_DECODE_BOUNDS);
  }
  /* Exactly 512 levels are accepted by readers and writers; 513 are refused by both. */
  memset(deep, 0x91, 513);
  deep[512] = 0xc0;
  EXPECT_RC(ck_entry_decode(CK_MODE_DEFAULT_NO_INTEGRITY, NULL, NULL, deep, 513, &out), CK_OK);
  ck_buf_free(&out);
  EXPECT_RC(ck_entry_encode(CK_MODE_DEFAULT_NO_INTEGRITY, NULL, NULL, 0, deep, 513, &out), CK_OK);
  ck_buf_free(&out);
  deep[512] = 0x91;
  deep[513] = 0xc0;
  EXPECT_RC(ck_entry_decode(CK_MODE_DEFAULT_NO_INTEGRITY, NULL, NULL, deep, 514, &out), CK_DECODE_BOUNDS);
  EXPECT_RC(ck_entry_encode(CK_MODE_DEFAULT_NO_INTEGRITY, NULL, NULL, 0, deep, 514, &out), CK_DECODE_BOUNDS);
  free(deep);

  /* Oversized declarations: a str claiming 4 GiB, a map claiming 2^32-1 pairs. */
  const uint8_t big_str[] = {0xdb, 0xff, 0xff, 0xff, 0xff, 'a'};
  const uint8_t big_map[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0};
  const uint8_t big_bin[] = {0xc6, 0x7f, 0xff, 0xff, 0xff};
  const uint8_t big_ext[] = {0xc9, 0xff, 0xff, 0xff, 0xff, 0x01};
  const uint8_t *bigs[] = {big_str, big_map, big_bin, big_ext};
  size_t big_lens[] = {sizeof big_str, sizeof big_map, sizeof big_bin, sizeof big_ext};
  for (int i = 0; i < 4; i++)
    for (int m = 0; m < 3; m++) {
      EXPECT_RC(ck_entry_encode(MODES[m], NULL, NULL, 0, bigs[i], big_lens[i], &out), CK_DECODE_BOUNDS);
      EXPECT_RC(ck_entry_decode(MODES[m], NULL, NULL, bigs[i], big_lens[i], &out), CK_DECODE_BOUNDS);
    }
  EXPECT_RC(ck_entry_encode(CK_MODE_DEFAULT, NULL, NULL, 0, (const uint8_t *)"\xc1", 1, &out), CK_MALFORMED_MSGPACK);
  EXPECT_RC(ck_entry_decode(CK_MODE_INTEROP, NULL, NULL, (const uint8_t *)"\xa1\xff", 2, &out), CK_MALFORMED_MSGPACK);
  EXPECT_RESET(out);
}

static void cache_keys(void) {
  ck_buf out = dirty();
  const uint8_t args[] = {0x91, 0x2a};
  const uint8_t kwargs[] = {0x81, 0xa1, 'x', 0x01};
  EXPECT_RC(ck_default_key(NULL, NULL, args, 2, NULL, 0, true, "std", &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_default_key(NULL, "f", args, 2, NULL, 0, true, NULL, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_default_key(NULL, "f", args, 2, NULL, 0, true, "", &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_default_key(NULL, "f", args, 2, NULL, 0, true, "std", NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_default_key(NULL, "f", NULL, 2, NULL, 0, true, "std", &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_default_key(NULL, "f", args, 2, NULL, 4, true, "std", &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_default_key(NULL, "f", args, HUGE_LEN, NULL, 0, true, "std", &out), CK_VALUE_TOO_LARGE);
  EXPECT_RC(ck_default_key(NULL, "f", kwargs, 4, NULL, 0, true, "std", &out), CK_INVALID_ARGUMENT); /* args not an array */
  EXPECT_RC(ck_default_key(NULL, "f", args, 2, args, 2, true, "std", &out), CK_INVALID_ARGUMENT);   /* kwargs not a map */
  EXPECT_RC(ck_default_key(NULL, "f", args, 2, (const uint8_t *)"\x81\x01\x02", 3, true, "std", &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_default_key(NULL, "f", args, 2, (const uint8_t *)"\x82\xa1x\x01\xa1x\x02", 7, true, "std", &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_default_key(BAD_UTF8, "f", args, 2, NULL, 0, true, "std", &out), CK_INVALID_STRING);
  EXPECT_RC(ck_default_key(NULL, BAD_UTF8, args, 2, NULL, 0, true, "std", &out), CK_INVALID_STRING);
  EXPECT_RC(ck_default_key(NULL, "f", args, 1, NULL, 0, true, "std", &out), CK_DECODE_BOUNDS);
  EXPECT_RESET(out);
  EXPECT_RC(ck_default_key("", "f", NULL, 0, kwargs, 4, false, "x", &out), CK_OK);
  EXPECT(out.ptr && strlen((const char *)out.ptr) == out.len && strncmp((const char *)out.ptr, "func:f:args:", 12) == 0);
  ck_buf_free(&out);

  EXPECT_RC(ck_interop_key(NULL, "op", args, 2, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_interop_key("ns1", NULL, args, 2, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_interop_key("ns1", "op", args, 2, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_interop_key("ns1", "op", NULL, 2, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_interop_key(BAD_UTF8, "op", args, 2, &out), CK_INVALID_STRING);
  EXPECT_RC(ck_interop_key("NS", "op", args, 2, &out), CK_INVALID_SEGMENT);
  EXPECT_RC(ck_interop_key("ns", "op", args, 2, &out), CK_INVALID_SEGMENT);
  EXPECT_RC(ck_interop_key("ns1", "op:x", args, 2, &out), CK_INVALID_SEGMENT);
  EXPECT_RC(ck_interop_key("ns1", "op", (const uint8_t *)"\x91\xcb\x7f\xf8\0\0\0\0\0\0", 10, &out), CK_NON_FINITE_FLOAT);
  EXPECT_RESET(out);
  EXPECT_RC(ck_interop_key("ns1", "op", NULL, 0, &out), CK_OK);
  ck_buf_free(&out);

  EXPECT_RC(ck_interop_canonical_args(NULL, 0, &out), CK_DECODE_BOUNDS);
  EXPECT_RC(ck_interop_canonical_args(NULL, 5, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_interop_canonical_args(args, 2, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_interop_canonical_args((const uint8_t *)"\x2a", 1, &out), CK_INVALID_ARGUMENT); /* not an array */
  EXPECT_RC(ck_interop_canonical_args((const uint8_t *)"\x91\x81\x01\x02", 4, &out), CK_INVALID_MAP_KEY);
  EXPECT_RC(ck_interop_canonical_args((const uint8_t *)"\x91\xd4\x01\x02", 4, &out), CK_UNSUPPORTED_TYPE);
  EXPECT_RC(ck_interop_canonical_value(NULL, 0, &out), CK_DECODE_BOUNDS);
  EXPECT_RC(ck_interop_canonical_value(args, 2, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_interop_canonical_value(args, OVER_PTRDIFF, &out), CK_VALUE_TOO_LARGE);
  EXPECT_RC(ck_interop_canonical_value((const uint8_t *)"\x82\xa1x\x01\xa1x\x02", 7, &out), CK_INVALID_MAP_KEY);
  EXPECT_RESET(out);
}

static void envelopes_and_frames(void) {
  ck_buf out = dirty();
  EXPECT_RC(ck_envelope_store(NULL, 3, &out), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_envelope_store((const uint8_t *)"abc", 3, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_envelope_store((const uint8_t *)"abc", HUGE_LEN, &out), CK_VALUE_TOO_LARGE);
  EXPECT_RESET(out);
  EXPECT_RC(ck_envelope_store(NULL, 0, &out), CK_OK); /* the empty payload has an envelope */
  ck_buf env = out, back = dirty();
  EXPECT_RC(ck_envelope_retrieve(env.ptr, env.len, &back), CK_OK);
  EXPECT(back.ptr != NULL && back.len == 0);
  ck_buf_free(&back);
  EXPECT_RC(ck_envelope_retrieve(NULL, 0, &back), CK_DECODE_BOUNDS);
  EXPECT_RC(ck_envelope_retrieve(NULL, 1, &back), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_envelope_retrieve(env.ptr, env.len, NULL), CK_INVALID_ARGUMENT);
  for (size_t cut = 0; cut < env.len; cut++) EXPECT_FAIL(ck_envelope_retrieve(env.ptr, cut, &back));
  ck_envelope_info info;
  memset(&info, 0xff, sizeof info);
  EXPECT_RC(ck_envelope_inspect(env.ptr, env.len - 1, &info), CK_DECODE_BOUNDS);
  EXPECT(info.compressed_len == 0 && info.original_size == 0 && info.checksum == 0 && info.encoding == 0);
  EXPECT_RC(ck_envelope_inspect(env.ptr, env.len, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_envelope_inspect(NULL, 4, &info), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_envelope_inspect(env.ptr, env.len, &info), CK_OK);
  EXPECT(info.encoding == CK_ENVELOPE_ENCODING_BIN && info.original_size == 0);
  ck_buf_free(&env);
  /* A 2-byte compressed block claiming 512 MiB + 1: refused before any allocation. */
  const uint8_t bomb[] = {0x94, 0xc4, 0x02, 0x00, 0x00, 0x98, 0, 0, 0, 0, 0, 0, 0, 0,
                          0xce, 0x20, 0x00, 0x00, 0x01, 0xa7, 'm', 's', 'g', 'p', 'a', 'c', 'k'};
  EXPECT_RC(ck_envelope_retrieve(bomb, sizeof bomb, &back), CK_ENVELOPE_SIZE_LIMIT);
  EXPECT_RESET(back);

  ck_python_frame f;
  ck_frame_rejection why = 77;
  ck_buf name = dirty();
  const uint8_t frame[] = "CK\x03\x00\x00\x00\x0b{\"s\":\"std\"}xy";
  EXPECT(!ck_python_frame_detect(NULL, 0));
  EXPECT(!ck_python_frame_detect(NULL, 5));
  EXPECT(!ck_python_frame_detect(frame, HUGE_LEN));
  EXPECT(!ck_python_frame_detect(frame, 1));
  EXPECT(ck_python_frame_detect(frame, 2));
  EXPECT_RC(ck_python_frame_parse(frame, sizeof frame - 1, NULL, &name, &why), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_python_frame_parse(NULL, 3, &f, &name, &why), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_python_frame_parse(frame, HUGE_LEN, &f, &name, &why), CK_VALUE_TOO_LARGE);
  EXPECT_RC(ck_python_frame_parse(NULL, 0, &f, &name, &why), CK_PYTHON_FRAME_MALFORMED);
  EXPECT(why == CK_FRAME_REJECTION_PREFIX_LENGTH);
  EXPECT_RESET(name);
  for (size_t cut = 0; cut < 18; cut++) { /* every truncation up to the end of the header */
    EXPECT_RC(ck_python_frame_parse(frame, cut, &f, NULL, NULL), CK_PYTHON_FRAME_MALFORMED);
    EXPECT_RC(ck_python_frame_validate(frame, cut, &f, NULL, &why), CK_PYTHON_FRAME_MALFORMED);
    EXPECT(why == (cut < 7 ? CK_FRAME_REJECTION_PREFIX_LENGTH : CK_FRAME_REJECTION_HEADER_LENGTH));
  }
  EXPECT_RC(ck_python_frame_validate((const uint8_t *)"XK\x03\0\0\0\0", 7, &f, &name, &why), CK_PYTHON_FRAME_MALFORMED);
  EXPECT(why == CK_FRAME_REJECTION_MAGIC);
  EXPECT_RC(ck_python_frame_validate((const uint8_t *)"CK\x04\0\0\0\0", 7, &f, &name, &why), CK_PYTHON_FRAME_MALFORMED);
  EXPECT(why == CK_FRAME_REJECTION_VERSION);
  EXPECT_RC(ck_python_frame_validate((const uint8_t *)"CK\x03\0\0\0\x02\xff\xfe", 9, &f, &name, &why), CK_PYTHON_FRAME_MALFORMED);
  EXPECT(why == CK_FRAME_REJECTION_HEADER_JSON);
  EXPECT_RC(ck_python_frame_validate((const uint8_t *)"CK\x03\xff\xff\xff\xff{}", 9, &f, &name, &why), CK_PYTHON_FRAME_MALFORMED);
  EXPECT(why == CK_FRAME_REJECTION_HEADER_LENGTH);
  EXPECT_RC(ck_python_frame_validate(frame, sizeof frame - 1, &f, &name, &why), CK_OK);
  EXPECT(why == CK_FRAME_REJECTION_NONE && f.payload_len == 2 && name.len == 3);
  ck_buf_free(&name);
}

/* Garbage: random buffers into every function that reads untrusted bytes. */
static void garbage(void) {
  ck_keyring *kr = NULL;
  EXPECT_RC(ck_keyring_new_hex(KEY_HEX, NULL, &kr), CK_OK);
  uint8_t buf[512];
  ck_buf out = {NULL, 0};
  ck_envelope_info info;
  ck_python_frame f;
  int ok = 0;
  for (int round = 0; round < 1500; round++) {
    size_t n = (size_t)(rnd() % sizeof buf);
    fill_random(buf, n);
    if (round % 3 == 0 && n > 0) buf[0] = (uint8_t)(0x90 + rnd() % 16); /* look like an array */
    if (round % 5 == 0 && n > 1) { buf[0] = 0x94; buf[1] = 0xc4; }     /* look like an envelope */
    ck_result rc;
#define GARBAGE(call)                                                                 \
  do {                                                                                \
    rc = (call);                                                                      \
    if (rc == CK_OK) ok++;                                                            \
    else EXPECT(strcmp(ck_error_name(rc), "unknown") != 0 && rc != CK_INTERNAL);      \
    ck_buf_free(&out);                                                                \
  } while (0)
    for (int m = 0; m < 3; m++) {
      GARBAGE(ck_entry_decode(MODES[m], "k", NULL, buf, n, &out));
      GARBAGE(ck_entry_decode(MODES[m], "k", kr, buf, n, &out));
      GARBAGE(ck_entry_encode(MODES[m], "k", NULL, 0, buf, n, &out));
    }
    GARBAGE(ck_envelope_retrieve(buf, n, &out));
    GARBAGE(ck_envelope_inspect(buf, n, &info));
    GARBAGE(ck_interop_canonical_args(buf, n, &out));
    GARBAGE(ck_interop_canonical_value(buf, n, &out));
    GARBAGE(ck_interop_key("ns1", "op", buf, n, &out));
    GARBAGE(ck_default_key("n", "m.f", buf, n, NULL, 0, true, "std", &out));
    GARBAGE(ck_default_key("n", "m.f", NULL, 0, buf, n, true, "std", &out));
    GARBAGE(ck_msgpack_set(buf, n, &out));
    GARBAGE(ck_keyring_decrypt(kr, buf, n / 2, buf, n, &out));
    GARBAGE(ck_master_key_validate(buf, n));
    GARBAGE(ck_python_frame_parse(buf, n, &f, &out, NULL));
    GARBAGE(ck_python_frame_validate(buf, n, &f, &out, NULL));
    /* garbage text: NUL-terminate and feed it to every string parameter */
    buf[n < sizeof buf ? n : sizeof buf - 1] = 0;
    const char *s = (const char *)buf;
    GARBAGE(ck_master_key_validate_hex(s));
    GARBAGE(ck_msgpack_uuid(s, &out));
    GARBAGE(ck_msgpack_bigint(s, &out));
    GARBAGE(ck_msgpack_temporal(CK_TEMPORAL_DATETIME, s, &out));
    GARBAGE(ck_interop_key(s, s, NULL, 0, &out));
    GARBAGE(ck_default_key(s, s, NULL, 0, NULL, 0, false, s, &out));
    GARBAGE(ck_derive_salt(s, s, &out));
    GARBAGE(ck_aad(s, s, s, true, s, &out));
    GARBAGE(ck_entry_encode(CK_MODE_INTEROP, s, kr, 0, (const uint8_t *)"\xc0", 1, &out));
    ck_keyring *k2 = NULL;
    GARBAGE(ck_keyring_new_hex(s, s, &k2));
    ck_keyring_free(k2);
#undef GARBAGE
  }
  EXPECT(ok > 0); /* some garbage is valid MessagePack, so some calls succeed */
  ck_keyring_free(kr);
}

int main(void) {
  meta();
  msgpack_helpers();
  keys_material();
  entries();
  cache_keys();
  envelopes_and_frames();
  garbage();
  return finish("hostile");
}
