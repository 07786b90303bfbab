/*
 * hiredis_example.c: store an encrypted interop entry in a real Redis and read it back.
 *
 * cachekit makes the key and the bytes (interop/v1, AES-256-GCM bound to tenant and key);
 * hiredis moves them. Any other SDK with the same master key reads the same entry.
 *
 * Build (installed library):  cc hiredis_example.c $(pkg-config --cflags --libs cachekit hiredis) -o example
 * Run:  REDIS_URL=redis://127.0.0.1:6379 ./example
 *       (or CACHEKIT_REDIS_HOST / CACHEKIT_REDIS_PORT; CACHEKIT_MASTER_KEY = 64 hex digits)
 */
#include <cachekit.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, ck_result rc) {
  char detail[256];
  ck_last_error_message(detail, sizeof detail);
  fprintf(stderr, "%s failed: %s (%d): %s\n", what, ck_error_name(rc), rc, detail);
  return 1;
}

/* redis://[:password@]host[:port][/db] -> host, port, password (no TLS, no db selection) */
static void parse_url(const char *url, char *host, size_t host_len, int *port, char *password, size_t pw_len) {
  const char *p = strncmp(url, "redis://", 8) == 0 ? url + 8 : url;
  const char *at = strchr(p, '@');
  password[0] = 0;
  if (at) {
    const char *colon = memchr(p, ':', (size_t)(at - p));
    const char *pw = colon ? colon + 1 : p;
    snprintf(password, pw_len, "%.*s", (int)(at - pw), pw);
    p = at + 1;
  }
  size_t n = strcspn(p, ":/");
  snprintf(host, host_len, "%.*s", (int)n, p);
  *port = p[n] == ':' ? atoi(p + n + 1) : 6379;
}

int main(void) {
  char host[256] = "127.0.0.1", password[256] = "";
  int port = 6379;
  const char *url = getenv("REDIS_URL");
  if (url && *url) {
    parse_url(url, host, sizeof host, &port, password, sizeof password);
  } else {
    if (getenv("CACHEKIT_REDIS_HOST")) snprintf(host, sizeof host, "%s", getenv("CACHEKIT_REDIS_HOST"));
    if (getenv("CACHEKIT_REDIS_PORT")) port = atoi(getenv("CACHEKIT_REDIS_PORT"));
  }
  const char *master = getenv("CACHEKIT_MASTER_KEY");
  if (!master) {
    master = "6161616161616161616161616161616161616161616161616161616161616161";
    fprintf(stderr, "CACHEKIT_MASTER_KEY not set: using a demo key (never do this in production)\n");
  }
  printf("cachekit %s, Redis at %s:%d\n", ck_version(), host, port);

  /* 1. The keyring: current master key, default tenant. */
  ck_keyring *keyring = NULL;
  ck_result rc = ck_keyring_new_hex(master, NULL, &keyring);
  if (rc != CK_OK) return fail("ck_keyring_new_hex", rc);

  /* 2. The interop key of get_user(42), the same in every SDK. */
  const uint8_t args[] = {0x91, 0x2a}; /* [42] */
  ck_buf key = {NULL, 0};
  rc = ck_interop_key("demo", "get_user", args, sizeof args, &key);
  if (rc != CK_OK) return fail("ck_interop_key", rc);
  printf("key   %s\n", (const char *)key.ptr);

  /* 3. The value {"id": 42, "name": "Ada", "joined": <datetime>} as MessagePack. */
  ck_buf joined = {NULL, 0};
  rc = ck_msgpack_temporal(CK_TEMPORAL_DATETIME, "2024-01-15T12:30:00+00:00", &joined);
  if (rc != CK_OK) return fail("ck_msgpack_temporal", rc);
  uint8_t value[128];
  size_t n = 0;
  const uint8_t head[] = {0x83, 0xa2, 'i', 'd', 0x2a, 0xa4, 'n', 'a', 'm', 'e', 0xa3, 'A', 'd', 'a',
                          0xa6, 'j', 'o', 'i', 'n', 'e', 'd'};
  memcpy(value, head, sizeof head);
  n = sizeof head;
  memcpy(value + n, joined.ptr, joined.len);
  n += joined.len;
  ck_buf_free(&joined);

  /* 4. Encode: canonical interop document, encrypted and bound to tenant + key. */
  ck_buf stored = {NULL, 0};
  rc = ck_entry_encode(CK_MODE_INTEROP, (const char *)key.ptr, keyring, 0, value, n, &stored);
  if (rc != CK_OK) return fail("ck_entry_encode", rc);
  printf("store %zu bytes (nonce + ciphertext + tag)\n", stored.len);

  /* 5. Redis: SET with a TTL, then GET, binary-safe (%b). */
  redisContext *redis = redisConnect(host, port);
  if (!redis || redis->err) {
    fprintf(stderr, "cannot connect to Redis at %s:%d: %s\n", host, port, redis ? redis->errstr : "out of memory");
    return 1;
  }
  if (password[0]) {
    redisReply *auth = redisCommand(redis, "AUTH %s", password);
    if (!auth || auth->type == REDIS_REPLY_ERROR) {
      fprintf(stderr, "AUTH failed\n");
      return 1;
    }
    freeReplyObject(auth);
  }
  redisReply *reply = redisCommand(redis, "SET %b %b EX %d", key.ptr, key.len, stored.ptr, stored.len, 60);
  if (!reply || reply->type == REDIS_REPLY_ERROR) {
    fprintf(stderr, "SET failed: %s\n", reply ? reply->str : redis->errstr);
    return 1;
  }
  freeReplyObject(reply);
  reply = redisCommand(redis, "GET %b", key.ptr, key.len);
  if (!reply || reply->type != REDIS_REPLY_STRING) {
    fprintf(stderr, "GET returned no string\n");
    return 1;
  }

  /* 6. Decode what Redis returned: decrypt (current or previous keys), read. The value
   *    comes back as MessagePack (the datetime as a CK_EXT_DATETIME item); its canonical
   *    form equals the canonical form of what we stored. */
  ck_buf back = {NULL, 0}, got = {NULL, 0}, want = {NULL, 0};
  rc = ck_entry_decode(CK_MODE_INTEROP, (const char *)key.ptr, keyring, (const uint8_t *)reply->str, reply->len, &back);
  if (rc != CK_OK) return fail("ck_entry_decode", rc);
  if ((rc = ck_interop_canonical_value(back.ptr, back.len, &got)) != CK_OK ||
      (rc = ck_interop_canonical_value(value, n, &want)) != CK_OK)
    return fail("ck_interop_canonical_value", rc);
  int same = got.len == want.len && memcmp(got.ptr, want.ptr, got.len) == 0;
  printf("read  %zu bytes of MessagePack: %s\n", back.len, same ? "the value that was stored" : "DIFFERENT");

  /* 7. A tampered entry (one flipped bit) is a cache miss, never garbage. */
  ((uint8_t *)reply->str)[reply->len - 1] ^= 1;
  ck_buf tampered = {NULL, 0};
  rc = ck_entry_decode(CK_MODE_INTEROP, (const char *)key.ptr, keyring, (const uint8_t *)reply->str, reply->len, &tampered);
  printf("tampered read: %s (%s)\n", ck_error_name(rc), ck_error_is_read_miss(rc) ? "a cache miss" : "an error");
  int tamper_ok = rc == CK_DECRYPTION_FAILED;
  freeReplyObject(reply);

  reply = redisCommand(redis, "DEL %b", key.ptr, key.len);
  freeReplyObject(reply);
  redisFree(redis);
  ck_buf_free(&tampered);
  ck_buf_free(&got);
  ck_buf_free(&want);
  ck_buf_free(&back);
  ck_buf_free(&stored);
  ck_buf_free(&key);
  ck_keyring_free(keyring);
  if (!same || !tamper_ok) {
    fprintf(stderr, "FAILED\n");
    return 1;
  }
  printf("OK\n");
  return 0;
}
