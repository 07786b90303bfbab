/*
 * End-to-end: the request engine against a real Redis through hiredis (with
 * examples/c/cachekit_hiredis.h executing the commands). Runs when REDIS_URL is set
 * (redis://[:password@]host[:port]); without it, it says so and succeeds. Every key lives
 * under a per-run prefix and is deleted at the end.
 *
 * Covers: set/get (L1 and Redis hits across two engines), get_or_compute (lock taken and
 * released, TTL written), single flight of two ops, the EVALSHA -> EVAL fallback after
 * SCRIPT FLUSH, tag / namespace / key invalidation and delete, TTL refresh on hit,
 * encrypted entries readable with ck_entry_decode, interop entries, a Redis error reply
 * (WRONGTYPE) that is a miss and leaves the breaker closed, and metrics.
 */
#define _POSIX_C_SOURCE 200809L
#include <time.h>
#include <unistd.h>

#include "cachekit_hiredis.h"
#include "check.h"

static redisContext *g_redis;
static char g_prefix[24];

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_until(uint64_t deadline) {
  uint64_t now = now_ms();
  if (deadline <= now) return;
  struct timespec ts = {(time_t)((deadline - now) / 1000), (long)((deadline - now) % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

/* A key under this run's prefix; `ns` picks a default-mode namespace layout. */
static const char *key_of(char *buf, size_t cap, const char *ns, const char *name) {
  snprintf(buf, cap, "ns:%s%s:func:%s", g_prefix, ns, name);
  return buf;
}

typedef struct {
  ck_outcome_kind kind;
  ck_source source;
  uint32_t flags;
  uint64_t redis_keys;
  ck_result error;
  ck_buf value;
  int computed;
  int sends;
} result;

/* Runs an op to its end against Redis; `value` answers a COMPUTE step. */
static result drive(ck_engine *e, ck_op *op, ck_step step, const uint8_t *value, size_t len) {
  result out;
  memset(&out, 0, sizeof out);
  ck_result rc = CK_OK;
  while (rc == CK_OK && step.action != CK_ACTION_DONE) {
    switch (step.action) {
      case CK_ACTION_SEND: {
        uint64_t timeout = 0;
        EXPECT_RC(ck_engine_command_timeout(e, now_ms(), &timeout), CK_OK);
        ckh_reply r;
        ckh_execute(g_redis, &step.command, timeout, &r);
        EXPECT(!r.broken);
        out.sends++;
        rc = ck_op_on_reply(op, &r.reply, now_ms(), &step);
        ckh_reply_free(&r);
        break;
      }
      case CK_ACTION_COMPUTE:
        out.computed++;
        rc = ck_op_on_computed(op, value, len, NULL, now_ms(), &step);
        break;
      case CK_ACTION_SLEEP:
        sleep_until(step.sleep_until_ms);
        rc = ck_op_resume(op, now_ms(), &step);
        break;
      default:
        EXPECT(!"unexpected action");
        rc = CK_INTERNAL;
    }
  }
  EXPECT_RC(rc, CK_OK);
  out.kind = step.outcome.kind;
  out.source = step.outcome.source;
  out.flags = step.outcome.flags;
  out.redis_keys = step.outcome.redis_keys;
  out.error = step.outcome.error;
  out.value = step.outcome.value;
  ck_op_free(op);
  return out;
}

typedef enum { GET, SET, GOC, DELETE } verb;

static result call(ck_engine *e, verb v, const ck_request *q, const uint8_t *value, size_t len) {
  ck_op *op = NULL;
  ck_step step;
  ck_result rc = CK_INTERNAL;
  switch (v) {
    case GET: rc = ck_engine_get(e, q, now_ms(), &op, &step); break;
    case SET: rc = ck_engine_set(e, q, value, len, now_ms(), &op, &step); break;
    case GOC: rc = ck_engine_get_or_compute(e, q, now_ms(), &op, &step); break;
    case DELETE: rc = ck_engine_delete(e, q, now_ms(), &op, &step); break;
  }
  EXPECT_RC(rc, CK_OK);
  if (rc != CK_OK) {
    result none;
    memset(&none, 0, sizeof none);
    return none;
  }
  return drive(e, op, step, value, len);
}

static result invalidate(ck_engine *e, ck_invalidate_kind kind, const char *target) {
  ck_op *op = NULL;
  ck_step step;
  EXPECT_RC(ck_engine_invalidate(e, kind, target, 0, now_ms(), &op, &step), CK_OK);
  return drive(e, op, step, NULL, 0);
}

static redisReply *cmd(const char *fmt, const char *key) {
  redisReply *r = (redisReply *)redisCommand(g_redis, fmt, key, strlen(key));
  EXPECT(r != NULL);
  return r;
}

static long long int_of(const char *fmt, const char *key) {
  redisReply *r = cmd(fmt, key);
  long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -99;
  if (r) freeReplyObject(r);
  return v;
}

static int contains(const char *hay, size_t n, const char *needle) {
  size_t m = strlen(needle);
  for (size_t i = 0; i + m <= n; i++)
    if (memcmp(hay + i, needle, m) == 0) return 1;
  return 0;
}

static int value_is(const ck_buf *b, const uint8_t *doc, size_t n) { return b->ptr && b->len == n && memcmp(b->ptr, doc, n) == 0; }

/* {"id": 42, "name": "alice"} and {"id": 7, "name": "bob"} */
static const uint8_t USER[] = {0x82, 0xa2, 'i', 'd', 0x2a, 0xa4, 'n', 'a', 'm', 'e', 0xa5, 'a', 'l', 'i', 'c', 'e'};
static const uint8_t BOB[] = {0x82, 0xa2, 'i', 'd', 0x07, 0xa4, 'n', 'a', 'm', 'e', 0xa3, 'b', 'o', 'b'};

static ck_engine *new_engine(int l1, int ttl_refresh, const ck_keyring *kr) {
  ck_engine_config cfg = ck_engine_config_default();
  cfg.l1_enabled = l1;
  cfg.ttl_refresh_enabled = ttl_refresh;
  ck_engine *e = NULL;
  EXPECT_RC(ck_engine_new(&cfg, kr, &e), CK_OK);
  return e;
}

static void set_get_and_compute(void) {
  ck_engine *a = new_engine(1, 0, NULL), *b = new_engine(0, 0, NULL);
  char k1[128], k2[128];
  ck_request q = {.key = key_of(k1, sizeof k1, "app", "user42")};
  result out = call(a, SET, &q, USER, sizeof USER);
  EXPECT(out.kind == CK_OUTCOME_STORED && (out.flags & CK_OUTCOME_FLAG_REDIS));
  long long ttl = int_of("TTL %b", q.key);
  EXPECT(ttl > 590 && ttl <= 600);
  out = call(a, GET, &q, NULL, 0);
  EXPECT(out.kind == CK_OUTCOME_HIT && out.source == CK_SOURCE_L1 && out.sends == 0 && value_is(&out.value, USER, sizeof USER));
  ck_buf_free(&out.value);
  out = call(b, GET, &q, NULL, 0);
  EXPECT(out.kind == CK_OUTCOME_HIT && out.source == CK_SOURCE_REDIS && value_is(&out.value, USER, sizeof USER));
  ck_buf_free(&out.value);

  /* What the engine stored is an ordinary default-mode entry. */
  redisReply *raw = cmd("GET %b", q.key);
  ck_buf back = {0};
  EXPECT_RC(ck_entry_decode(CK_MODE_DEFAULT, q.key, NULL, (const uint8_t *)raw->str, raw->len, &back), CK_OK);
  EXPECT(value_is(&back, USER, sizeof USER));
  ck_buf_free(&back);
  freeReplyObject(raw);

  /* get_or_compute: miss, lock, compute, write, release. */
  ck_request q2 = {.key = key_of(k2, sizeof k2, "app", "user7")};
  out = call(b, GOC, &q2, BOB, sizeof BOB);
  EXPECT(out.kind == CK_OUTCOME_COMPUTED && (out.flags & CK_OUTCOME_FLAG_CACHED) && out.computed == 1);
  EXPECT(out.sends == 5); /* GET, SET NX, GET, SET, EVALSHA */
  char lock[160];
  snprintf(lock, sizeof lock, "%s:lock", q2.key);
  EXPECT(int_of("EXISTS %b", lock) == 0);
  out = call(a, GOC, &q2, USER, sizeof USER);
  EXPECT(out.kind == CK_OUTCOME_HIT && out.source == CK_SOURCE_REDIS && out.computed == 0 && value_is(&out.value, BOB, sizeof BOB));
  ck_buf_free(&out.value);

  /* The release script after SCRIPT FLUSH: EVALSHA answers NOSCRIPT, the helper falls back to EVAL. */
  redisReply *flush = (redisReply *)redisCommand(g_redis, "SCRIPT FLUSH");
  EXPECT(flush && flush->type == REDIS_REPLY_STATUS);
  freeReplyObject(flush);
  char k3[128];
  ck_request q3 = {.key = key_of(k3, sizeof k3, "app", "after-flush")};
  out = call(b, GOC, &q3, BOB, sizeof BOB);
  EXPECT(out.kind == CK_OUTCOME_COMPUTED && (out.flags & CK_OUTCOME_FLAG_CACHED));
  snprintf(lock, sizeof lock, "%s:lock", q3.key);
  EXPECT(int_of("EXISTS %b", lock) == 0);
  ck_engine_free(a);
  ck_engine_free(b);
}

static void single_flight(void) {
  ck_engine *e = new_engine(1, 0, NULL);
  char k[128];
  ck_request q = {.key = key_of(k, sizeof k, "app", "hot")};
  ck_op *leader = NULL, *follower = NULL;
  ck_step s1, s2;
  EXPECT_RC(ck_engine_get_or_compute(e, &q, now_ms(), &leader, &s1), CK_OK);
  EXPECT_RC(ck_engine_get_or_compute(e, &q, now_ms(), &follower, &s2), CK_OK);
  EXPECT(s1.action == CK_ACTION_SEND && s2.action == CK_ACTION_SLEEP && s2.sleep_has_token);
  uint64_t token = s2.sleep_token;
  /* Drive the leader by hand to see the wake list. */
  int woken = 0, computed = 0;
  while (s1.action != CK_ACTION_DONE) {
    for (size_t i = 0; i < s1.wake_len; i++) woken |= s1.wake[i] == token;
    ck_result rc;
    if (s1.action == CK_ACTION_SEND) {
      ckh_reply r;
      ckh_execute(g_redis, &s1.command, 1000, &r);
      rc = ck_op_on_reply(leader, &r.reply, now_ms(), &s1);
      ckh_reply_free(&r);
    } else if (s1.action == CK_ACTION_COMPUTE) {
      computed++;
      rc = ck_op_on_computed(leader, USER, sizeof USER, NULL, now_ms(), &s1);
    } else {
      rc = ck_op_resume(leader, now_ms(), &s1);
    }
    EXPECT_RC(rc, CK_OK);
    if (rc != CK_OK) break;
  }
  for (size_t i = 0; i < s1.wake_len; i++) woken |= s1.wake[i] == token;
  EXPECT(woken && computed == 1 && s1.outcome.kind == CK_OUTCOME_COMPUTED);
  ck_op_free(leader);
  /* Woken: resume now instead of sleeping until the deadline. */
  EXPECT_RC(ck_op_resume(follower, now_ms(), &s2), CK_OK);
  EXPECT(s2.action == CK_ACTION_DONE);
  result out = drive(e, follower, s2, NULL, 0);
  EXPECT(out.kind == CK_OUTCOME_HIT && out.source == CK_SOURCE_SHARED && out.sends == 0 && value_is(&out.value, USER, sizeof USER));
  ck_buf_free(&out.value);
  ck_engine_free(e);
}

static void invalidation(void) {
  ck_engine *e = new_engine(1, 0, NULL);
  char ns[64], k1[128], k2[128], tag[64];
  snprintf(ns, sizeof ns, "%sinv", g_prefix);
  snprintf(tag, sizeof tag, "%susers", g_prefix);
  const char *tags[] = {tag};
  ck_request q1 = {.key = key_of(k1, sizeof k1, "inv", "a"), .ns = ns, .tags = tags, .tags_len = 1};
  ck_request q2 = {.key = key_of(k2, sizeof k2, "inv", "b"), .ns = ns, .tags = tags, .tags_len = 1};
  call(e, SET, &q1, USER, sizeof USER);
  call(e, SET, &q2, BOB, sizeof BOB);
  char tagset[128];
  snprintf(tagset, sizeof tagset, "cachekit:tag:%s", tag);
  EXPECT(int_of("SCARD %b", tagset) == 2);
  long long tag_ttl = int_of("TTL %b", tagset);
  EXPECT(tag_ttl > 600 && tag_ttl <= 660);
  result out = invalidate(e, CK_INVALIDATE_TAG, tag);
  EXPECT(out.kind == CK_OUTCOME_INVALIDATED && out.redis_keys == 2); /* the entries; the tag set is not counted */
  EXPECT(int_of("EXISTS %b", q1.key) == 0 && int_of("EXISTS %b", tagset) == 0);
  out = call(e, GET, &q1, NULL, 0);
  EXPECT(out.kind == CK_OUTCOME_MISS); /* the L1 copy went too */

  call(e, SET, &q1, USER, sizeof USER);
  call(e, SET, &q2, BOB, sizeof BOB);
  out = invalidate(e, CK_INVALIDATE_NAMESPACE, ns);
  EXPECT(out.kind == CK_OUTCOME_INVALIDATED && out.redis_keys >= 2);
  EXPECT(int_of("EXISTS %b", q2.key) == 0);
  out = call(e, GET, &q2, NULL, 0);
  EXPECT(out.kind == CK_OUTCOME_MISS);

  call(e, SET, &q1, USER, sizeof USER);
  out = call(e, DELETE, &q1, NULL, 0);
  EXPECT(out.kind == CK_OUTCOME_DELETED && (out.flags & CK_OUTCOME_FLAG_EXISTED));
  out = call(e, DELETE, &q1, NULL, 0);
  EXPECT(out.kind == CK_OUTCOME_DELETED && !(out.flags & CK_OUTCOME_FLAG_EXISTED));
  call(e, SET, &q2, BOB, sizeof BOB);
  out = invalidate(e, CK_INVALIDATE_KEY, q2.key);
  EXPECT(out.kind == CK_OUTCOME_INVALIDATED && out.redis_keys == 1);
  invalidate(e, CK_INVALIDATE_TAG, tag); /* the tag set the later writes recreated */
  EXPECT(int_of("EXISTS %b", tagset) == 0);
  ck_engine_free(e);
}

static void ttl_refresh_and_errors(void) {
  ck_engine *e = new_engine(0, 1, NULL);
  char k[128];
  ck_request q = {.key = key_of(k, sizeof k, "app", "refresh"), .ttl_secs = 600};
  call(e, SET, &q, USER, sizeof USER);
  redisReply *r = (redisReply *)redisCommand(g_redis, "EXPIRE %s 100", q.key);
  freeReplyObject(r);
  result out = call(e, GET, &q, NULL, 0);
  EXPECT(out.kind == CK_OUTCOME_HIT && out.sends == 2); /* GET+TTL, EXPIRE */
  ck_buf_free(&out.value);
  long long ttl = int_of("TTL %b", q.key);
  EXPECT(ttl > 590);

  /* A Redis error reply (WRONGTYPE): a miss; permanent errors never open the breaker. */
  char wrong[128];
  ck_request qw = {.key = key_of(wrong, sizeof wrong, "app", "a-set")};
  r = (redisReply *)redisCommand(g_redis, "SADD %s x", qw.key);
  freeReplyObject(r);
  for (int i = 0; i < 8; i++) {
    out = call(e, GET, &qw, NULL, 0);
    EXPECT(out.kind == CK_OUTCOME_MISS);
  }
  ck_breaker_snapshot snap;
  EXPECT_RC(ck_engine_get_breaker_snapshot(e, now_ms(), &snap), CK_OK);
  EXPECT(snap.state == CK_BREAKER_CLOSED);
  ck_buf metrics = {0};
  EXPECT_RC(ck_metrics_render(e, now_ms(), &metrics), CK_OK);
  EXPECT(strstr((const char *)metrics.ptr, "cachekit_") && strstr((const char *)metrics.ptr, "backend"));
  ck_buf_free(&metrics);
  ck_engine_free(e);
}

static void encrypted_and_interop(void) {
  const char *hex = "6161616161616161616161616161616161616161616161616161616161616161";
  ck_keyring *kr = NULL;
  EXPECT_RC(ck_keyring_new_hex(hex, NULL, &kr), CK_OK);
  ck_engine_config cfg;
  EXPECT_RC(ck_engine_config_for_intent("secure", &cfg), CK_OK);
  ck_engine *e = NULL;
  EXPECT_RC(ck_engine_new(&cfg, kr, &e), CK_OK);
  char k[128];
  ck_request q = {.key = key_of(k, sizeof k, "sec", "secret")};
  result out = call(e, SET, &q, USER, sizeof USER);
  EXPECT(out.kind == CK_OUTCOME_STORED && (out.flags & CK_OUTCOME_FLAG_REDIS));
  redisReply *raw = cmd("GET %b", q.key);
  EXPECT(raw && raw->type == REDIS_REPLY_STRING && !contains(raw->str, raw->len, "alice")); /* ciphertext at rest */
  ck_buf back = {0};
  EXPECT_RC(ck_entry_decode(CK_MODE_DEFAULT, q.key, kr, (const uint8_t *)raw->str, raw->len, &back), CK_OK);
  EXPECT(value_is(&back, USER, sizeof USER));
  ck_buf_free(&back);
  freeReplyObject(raw);
  ck_engine_free(e);

  /* Interop: the engine writes the canonical document every SDK reads. */
  ck_buf ikey = {0};
  const uint8_t args[] = {0x91, 0x2a};
  char ins[64];
  snprintf(ins, sizeof ins, "%sinterop", g_prefix);
  for (char *p = ins; *p; p++) *p = *p == '_' ? '-' : *p;
  EXPECT_RC(ck_interop_key(ins, "get_user", args, sizeof args, &ikey), CK_OK);
  ck_engine_config icfg = ck_engine_config_default();
  icfg.mode = CK_MODE_INTEROP;
  EXPECT_RC(ck_engine_new(&icfg, kr, &e), CK_OK);
  ck_request qi = {.key = (const char *)ikey.ptr};
  out = call(e, SET, &qi, USER, sizeof USER);
  EXPECT(out.kind == CK_OUTCOME_STORED);
  raw = cmd("GET %b", qi.key);
  EXPECT_RC(ck_entry_decode(CK_MODE_INTEROP, qi.key, kr, (const uint8_t *)raw->str, raw->len, &back), CK_OK);
  ck_buf canon = {0};
  EXPECT_RC(ck_interop_canonical_value(USER, sizeof USER, &canon), CK_OK);
  EXPECT(value_is(&back, canon.ptr, canon.len));
  ck_buf_free(&canon);
  ck_buf_free(&back);
  freeReplyObject(raw);
  out = invalidate(e, CK_INVALIDATE_NAMESPACE, ins); /* interop family: {ns}:* */
  EXPECT(out.kind == CK_OUTCOME_INVALIDATED && out.redis_keys == 1);
  ck_buf_free(&ikey);
  ck_engine_free(e);
  ck_keyring_free(kr);
}

int main(void) {
  const char *url = getenv("REDIS_URL");
  if (!url || !*url) {
    printf("engine_redis: skipped (REDIS_URL not set)\n");
    return 0;
  }
  g_redis = ckh_connect(url);
  if (!g_redis) return 1;
  snprintf(g_prefix, sizeof g_prefix, "ckt%ld_", (long)getpid());
  set_get_and_compute();
  single_flight();
  invalidation();
  ttl_refresh_and_errors();
  encrypted_and_interop();
  /* Clean up whatever this run left (default-mode keys of every namespace used). */
  ck_engine *e = new_engine(0, 0, NULL);
  const char *spaces[] = {"app", "inv", "sec"};
  for (int i = 0; i < 3; i++) {
    char ns[64];
    snprintf(ns, sizeof ns, "%s%s", g_prefix, spaces[i]);
    invalidate(e, CK_INVALIDATE_NAMESPACE, ns);
  }
  ck_engine_free(e);
  char pattern[80];
  snprintf(pattern, sizeof pattern, "*%s*", g_prefix);
  redisReply *left = (redisReply *)redisCommand(g_redis, "KEYS %s", pattern);
  EXPECT(left && left->type == REDIS_REPLY_ARRAY && left->elements == 0);
  if (left) freeReplyObject(left);
  redisFree(g_redis);
  return finish("engine_redis");
}
