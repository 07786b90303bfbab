/*
 * Functional tests of the C surface: round trips in every mode, key rotation through
 * entries, the MessagePack conventions (ext items both ways), keys, ownership rules,
 * and thread safety (one keyring shared by several threads; per-thread last error).
 */
#include <pthread.h>
#include <stdlib.h>

#include "check.h"

static const char KEY_A[] = "6161616161616161616161616161616161616161616161616161616161616161";
static const char KEY_B[] = "6262626262626262626262626262626262626262626262626262626262626262";

static int bytes_eq(const ck_buf *b, const void *p, size_t n) { return b->len == n && memcmp(b->ptr, p, n) == 0; }

static void round_trips(void) {
  /* {"b": [1, -2, 1.5, null, true], "a": <bin 00ff>, "t": datetime, "d": date} built with the helpers */
  ck_buf dt = {0}, d = {0};
  EXPECT_RC(ck_msgpack_temporal(CK_TEMPORAL_DATETIME, "2024-01-15T12:30:00Z", &dt), CK_OK);
  EXPECT_RC(ck_msgpack_temporal(CK_TEMPORAL_DATE, "2024-01-15", &d), CK_OK);
  EXPECT(dt.ptr[0] == 0xc7 && dt.ptr[2] == (uint8_t)CK_EXT_DATETIME); /* canonical text: +00:00 */
  EXPECT(memcmp(dt.ptr + 3, "2024-01-15T12:30:00+00:00", 25) == 0 && dt.len == 28);
  uint8_t doc[128];
  size_t n = 0;
  const uint8_t head[] = {0x84, 0xa1, 'b', 0x95, 0x01, 0xfe, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc0, 0xc3,
                          0xa1, 'a', 0xc4, 0x02, 0x00, 0xff, 0xa1, 't'};
  memcpy(doc, head, sizeof head);
  n = sizeof head;
  memcpy(doc + n, dt.ptr, dt.len);
  n += dt.len;
  doc[n++] = 0xa1;
  doc[n++] = 'd';
  memcpy(doc + n, d.ptr, d.len);
  n += d.len;

  ck_keyring *kr = NULL;
  EXPECT_RC(ck_keyring_new_hex(KEY_A, "tenant-1", &kr), CK_OK);
  const ck_mode modes[] = {CK_MODE_DEFAULT, CK_MODE_DEFAULT_NO_INTEGRITY, CK_MODE_INTEROP};
  for (int m = 0; m < 3; m++) {
    for (int enc = 0; enc < 2; enc++) {
      ck_buf stored = {0}, back = {0}, again = {0};
      const ck_keyring *k = enc ? kr : NULL;
      EXPECT_RC(ck_entry_encode(modes[m], "users:get:1", k, 0, doc, n, &stored), CK_OK);
      EXPECT_RC(ck_entry_decode(modes[m], "users:get:1", k, stored.ptr, stored.len, &back), CK_OK);
      if (modes[m] != CK_MODE_INTEROP) EXPECT(bytes_eq(&back, doc, n)); /* default mode keeps map order */
      /* What comes out goes back in and gives the same stored bytes (plaintext: exactly). */
      EXPECT_RC(ck_entry_encode(modes[m], "users:get:1", k, 0, back.ptr, back.len, &again), CK_OK);
      if (!enc) EXPECT(again.len == stored.len && memcmp(again.ptr, stored.ptr, stored.len) == 0);
      ck_buf_free(&stored);
      ck_buf_free(&back);
      ck_buf_free(&again);
    }
  }
  /* A map shaped like a sentinel is stored as that map, byte for byte (as cachekit-py). */
  const uint8_t shaped[] = {0x82, 0xac, '_', '_', 'd', 'a', 't', 'e', 't', 'i', 'm', 'e', '_', '_', 0xc3,
                            0xa5, 'v', 'a', 'l', 'u', 'e', 0xa1, 'x'};
  ck_buf s = {0};
  EXPECT_RC(ck_entry_encode(CK_MODE_DEFAULT_NO_INTEGRITY, NULL, NULL, 0, shaped, sizeof shaped, &s), CK_OK);
  EXPECT(bytes_eq(&s, shaped, sizeof shaped));
  ck_buf_free(&s);
  /* Interop refuses what does not round-trip across SDKs. */
  EXPECT_RC(ck_entry_encode(CK_MODE_INTEROP, NULL, NULL, 0, (const uint8_t *)"\xcb\x7f\xf8\0\0\0\0\0\0", 9, &s),
            CK_NON_FINITE_FLOAT);
  ck_buf set = {0};
  EXPECT_RC(ck_msgpack_set((const uint8_t *)"\x92\x02\x01", 3, &set), CK_OK);
  EXPECT_RC(ck_entry_encode(CK_MODE_INTEROP, NULL, NULL, 0, set.ptr, set.len, &s), CK_UNSUPPORTED_TYPE);
  EXPECT_RC(ck_entry_encode(CK_MODE_DEFAULT, NULL, NULL, 0, set.ptr, set.len, &s), CK_UNSUPPORTED_TYPE);
  /* ... but the args profile sorts and deduplicates it: [{2, 1}] -> 91 92 01 02 */
  uint8_t args[16] = {0x91};
  memcpy(args + 1, set.ptr, set.len);
  EXPECT_RC(ck_interop_canonical_args(args, 1 + set.len, &s), CK_OK);
  EXPECT(bytes_eq(&s, "\x91\x92\x01\x02", 4));
  ck_buf_free(&s);
  ck_buf_free(&set);
  ck_buf_free(&dt);
  ck_buf_free(&d);
  ck_keyring_free(kr);
}

static void rotation(void) {
  ck_keyring *old = NULL, *rotated = NULL;
  EXPECT_RC(ck_keyring_new_hex(KEY_A, NULL, &old), CK_OK);
  EXPECT_RC(ck_keyring_new_hex(KEY_B, NULL, &rotated), CK_OK);
  EXPECT_RC(ck_keyring_add_previous_hex(rotated, KEY_A), CK_OK);
  uint8_t fa[16], fb[16], fr[16];
  EXPECT_RC(ck_keyring_fingerprint(old, fa, sizeof fa), CK_OK);
  EXPECT_RC(ck_keyring_fingerprint(rotated, fr, sizeof fr), CK_OK);
  EXPECT(memcmp(fa, fr, 16) != 0);
  /* The default tenant's fingerprint of key "aa..." is a published vector value. */
  static const uint8_t want[16] = {0x52, 0xd5, 0x4c, 0x97, 0xf8, 0xe5, 0xef, 0xaa, 0x5b, 0xdf, 0x58, 0xa3, 0x01, 0xf9, 0x27, 0x26};
  EXPECT(memcmp(fa, want, 16) == 0);
  uint8_t raw[32], key[32];
  memset(raw, 0x61, sizeof raw);
  EXPECT_RC(ck_derive_key(raw, 32, "encryption", "default", key, sizeof key), CK_OK);
  EXPECT_RC(ck_key_fingerprint(key, 32, fb, sizeof fb), CK_OK);
  EXPECT(memcmp(fa, fb, 16) == 0);

  ck_buf stored = {0}, back = {0};
  EXPECT_RC(ck_entry_encode(CK_MODE_INTEROP, "app:get:1", old, 0, (const uint8_t *)"\x2a", 1, &stored), CK_OK);
  EXPECT_RC(ck_entry_decode(CK_MODE_INTEROP, "app:get:1", rotated, stored.ptr, stored.len, &back), CK_OK);
  EXPECT(bytes_eq(&back, "\x2a", 1));
  ck_buf_free(&back);
  ck_buf_free(&stored);
  EXPECT_RC(ck_entry_encode(CK_MODE_INTEROP, "app:get:1", rotated, 0, (const uint8_t *)"\x2a", 1, &stored), CK_OK);
  EXPECT_RC(ck_entry_decode(CK_MODE_INTEROP, "app:get:1", old, stored.ptr, stored.len, &back), CK_DECRYPTION_FAILED);
  EXPECT(ck_error_is_read_miss(CK_DECRYPTION_FAILED));
  ck_buf_free(&stored);
  ck_keyring_free(old);
  ck_keyring_free(rotated);
}

static void keys(void) {
  ck_buf k = {0};
  /* The protocol's own example: get_user(42) in namespace "test". */
  EXPECT_RC(ck_default_key("test", "__main__.get_user", (const uint8_t *)"\x91\x2a", 2, NULL, 0, true, "std", &k), CK_OK);
  EXPECT(strcmp((const char *)k.ptr,
                "ns:test:func:__main__.get_user:args:3870b2ea5735ae639ded9450ef117768db676f037bec636503796c5b81095153:1s") == 0);
  ck_buf_free(&k);
  /* kwargs order does not matter */
  ck_buf k1 = {0}, k2 = {0};
  EXPECT_RC(ck_default_key(NULL, "m.f", NULL, 0, (const uint8_t *)"\x82\xa1" "a\x01\xa1" "b\x02", 7, true, "std", &k1), CK_OK);
  EXPECT_RC(ck_default_key(NULL, "m.f", NULL, 0, (const uint8_t *)"\x82\xa1" "b\x02\xa1" "a\x01", 7, true, "std", &k2), CK_OK);
  EXPECT(k1.len == k2.len && strcmp((const char *)k1.ptr, (const char *)k2.ptr) == 0);
  ck_buf_free(&k1);
  ck_buf_free(&k2);
  /* interop: 1.0 and 1 hash alike */
  EXPECT_RC(ck_interop_key("users", "get", (const uint8_t *)"\x91\x01", 2, &k1), CK_OK);
  EXPECT_RC(ck_interop_key("users", "get", (const uint8_t *)"\x91\xcb\x3f\xf0\0\0\0\0\0\0", 10, &k2), CK_OK);
  EXPECT(strcmp((const char *)k1.ptr, (const char *)k2.ptr) == 0);
  EXPECT(strncmp((const char *)k1.ptr, "users:get:", 10) == 0 && k1.len == 10 + 64);
  ck_buf_free(&k1);
  ck_buf_free(&k2);
}

#define THREADS 4
#define ROUNDS 200
static ck_keyring *g_shared;
static uint8_t g_nonces[THREADS * ROUNDS][12];

static void *worker(void *arg) {
  int t = (int)(intptr_t)arg;
  for (int i = 0; i < ROUNDS; i++) {
    ck_buf stored = {0}, back = {0};
    if (ck_entry_encode(CK_MODE_DEFAULT, "k", g_shared, 0, (const uint8_t *)"\x93\x01\x02\x03", 4, &stored) != CK_OK ||
        ck_entry_decode(CK_MODE_DEFAULT, "k", g_shared, stored.ptr, stored.len, &back) != CK_OK)
      return (void *)1;
    memcpy(g_nonces[t * ROUNDS + i], stored.ptr, 12);
    ck_buf_free(&stored);
    ck_buf_free(&back);
    /* the last-error detail is per thread */
    char msg[64];
    if (ck_entry_decode(CK_MODE_DEFAULT, "k", g_shared, (const uint8_t *)"x", 1, &back) != CK_CIPHERTEXT_TOO_SHORT ||
        ck_last_error_message(msg, sizeof msg) == 0 || strncmp(msg, "ciphertext_too_short", 20) != 0)
      return (void *)1;
  }
  return NULL;
}

static int cmp12(const void *a, const void *b) { return memcmp(a, b, 12); }

static void threads(void) {
  EXPECT_RC(ck_keyring_new_hex(KEY_A, "t", &g_shared), CK_OK);
  pthread_t th[THREADS];
  for (int t = 0; t < THREADS; t++) EXPECT(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) == 0);
  for (int t = 0; t < THREADS; t++) {
    void *r = NULL;
    EXPECT(pthread_join(th[t], &r) == 0 && r == NULL);
  }
  qsort(g_nonces, THREADS * ROUNDS, 12, cmp12);
  int repeats = 0;
  for (int i = 1; i < THREADS * ROUNDS; i++) repeats += memcmp(g_nonces[i - 1], g_nonces[i], 12) == 0;
  EXPECT(repeats == 0); /* counter nonces never repeat, whatever the interleaving */
  ck_keyring_free(g_shared);
}

int main(void) {
  round_trips();
  rotation();
  keys();
  threads();
  return finish("api");
}
