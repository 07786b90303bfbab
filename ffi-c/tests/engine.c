/*
 * The request engine from C, driven through a tiny in-process fake Redis (a hash table of
 * strings and sets). The fake executes each command from its argv (exactly what a hiredis
 * caller passes to redisCommandArgv) or, for the two composite commands, from the named
 * fields; it can be switched "down" (error replies) or made to answer the next command
 * with an injected reply (garbage, timeouts).
 *
 * Covers: set / get (L1 and Redis hits), get_or_compute (fill lock, compute, write,
 * release), single flight with wake tokens, compute failures, delete and invalidate (key,
 * namespace, tag), Redis down and the breaker, backpressure wake-ups, TTL refresh, early
 * refresh, encryption, abandon, ownership (engine freed before its ops, double frees),
 * protocol misuse, malformed and garbage replies, metrics, and one engine shared by
 * threads. Run natively, under valgrind and with ASan/UBSan by ffi-c/test.sh.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"

/* ------------------------------------------------------------------ the fake Redis */

typedef struct entry {
  char *key;
  size_t key_len;
  int is_set;
  uint8_t *val; /* string value */
  size_t val_len;
  char **members; /* set members */
  size_t *member_lens;
  size_t n_members;
  int64_t ttl; /* seconds, -1 = none */
  struct entry *next;
} entry;

enum { BUCKETS = 64, LOG_MAX = 256 };

typedef struct {
  entry *buckets[BUCKETS];
  int down;            /* answer every command with a connection error */
  int has_fault;       /* answer the next command with `fault` instead of executing it */
  ck_reply fault;
  char log[LOG_MAX][16];
  int log_n;
  int noscript_once;   /* answer the next EVALSHA with NOSCRIPT */
  /* storage of the last reply */
  ck_reply items[2];
  ck_reply *members;
  uint64_t ttl_storage;
} fake_redis;

static uint64_t fnv(const void *p, size_t n) {
  const uint8_t *b = p;
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

static entry **slot(fake_redis *r, const char *key, size_t len) {
  entry **e = &r->buckets[fnv(key, len) % BUCKETS];
  while (*e && !((*e)->key_len == len && memcmp((*e)->key, key, len) == 0)) e = &(*e)->next;
  return e;
}

static entry *find(fake_redis *r, const char *key, size_t len) { return *slot(r, key, len); }

static void drop_entry(entry *e) {
  free(e->key);
  free(e->val);
  for (size_t i = 0; i < e->n_members; i++) free(e->members[i]);
  free(e->members);
  free(e->member_lens);
  free(e);
}

static int del(fake_redis *r, const char *key, size_t len) {
  entry **s = slot(r, key, len);
  if (!*s) return 0;
  entry *e = *s;
  *s = e->next;
  drop_entry(e);
  return 1;
}

static entry *put(fake_redis *r, const char *key, size_t len) {
  entry **s = slot(r, key, len);
  if (*s) {
    entry *e = *s;
    free(e->val);
    e->val = NULL;
    return e;
  }
  entry *e = calloc(1, sizeof *e);
  e->key = malloc(len + 1);
  memcpy(e->key, key, len);
  e->key[len] = 0;
  e->key_len = len;
  e->ttl = -1;
  *s = e;
  return e;
}

static void set_string(fake_redis *r, const char *key, const void *val, size_t len, int64_t ttl) {
  entry *e = put(r, key, strlen(key));
  e->val = malloc(len ? len : 1);
  memcpy(e->val, val, len);
  e->val_len = len;
  e->ttl = ttl;
}

static void fake_clear(fake_redis *r) {
  for (int i = 0; i < BUCKETS; i++) {
    while (r->buckets[i]) {
      entry *e = r->buckets[i];
      r->buckets[i] = e->next;
      drop_entry(e);
    }
  }
  free(r->members);
  r->members = NULL;
}

/* Redis glob with '*', '?' and '\' escapes (enough for the engine's patterns). */
static int glob(const char *p, const char *s, size_t n) {
  while (*p) {
    if (*p == '*') {
      for (size_t i = 0; i <= n; i++)
        if (glob(p + 1, s + i, n - i)) return 1;
      return 0;
    }
    if (!n) return 0;
    if (*p == '\\' && p[1]) p++;
    else if (*p == '?') { p++, s++, n--; continue; }
    if (*p != *s) return 0;
    p++, s++, n--;
  }
  return n == 0;
}

static int arg_is(const ck_command *c, size_t i, const char *s) {
  return i < c->argc && c->argv_lens[i] == strlen(s) && memcmp(c->argv[i], s, c->argv_lens[i]) == 0;
}

static ck_reply R(ck_reply_kind kind) {
  ck_reply r;
  memset(&r, 0, sizeof r);
  r.kind = kind;
  return r;
}
static ck_reply R_int(int64_t v) {
  ck_reply r = R(CK_REPLY_INT);
  r.integer = v;
  return r;
}
static ck_reply R_bytes(const void *p, size_t n) {
  ck_reply r = R(CK_REPLY_BYTES);
  r.bytes = p;
  r.len = n;
  return r;
}
static ck_reply R_error(const char *msg) {
  ck_reply r = R(CK_REPLY_ERROR);
  r.bytes = (const uint8_t *)msg;
  r.len = strlen(msg);
  return r;
}

/* Executes one command; the reply's memory lives until the next exec. */
static ck_reply exec(fake_redis *r, const ck_command *c) {
  if (r->log_n < LOG_MAX) snprintf(r->log[r->log_n++], sizeof r->log[0], "%s", c->name);
  if (r->down) return R_error("Connection refused");
  if (r->has_fault) {
    r->has_fault = 0;
    return r->fault;
  }
  free(r->members);
  r->members = NULL;
  switch (c->kind) {
    case CK_CMD_GET: {
      EXPECT(c->argc == 2 && arg_is(c, 0, "GET") && c->argv_lens[1] == c->key_len);
      entry *e = find(r, c->argv[1], c->argv_lens[1]);
      return e && !e->is_set ? R_bytes(e->val, e->val_len) : R(CK_REPLY_NIL);
    }
    case CK_CMD_GET_WITH_TTL: {
      EXPECT(c->argc == 0 && c->argv == NULL);
      entry *e = find(r, c->key, c->key_len);
      r->items[0] = e ? R_bytes(e->val, e->val_len) : R(CK_REPLY_NIL);
      r->items[1] = R_int(e ? e->ttl : -2);
      ck_reply a = R(CK_REPLY_ARRAY);
      a.elements = r->items;
      a.elements_len = 2;
      return a;
    }
    case CK_CMD_SET:
    case CK_CMD_SET_NX: {
      EXPECT(arg_is(c, 0, "SET") && c->argc >= 3);
      int nx = 0;
      int64_t ttl = -1;
      for (size_t i = 3; i < c->argc; i++) {
        if (arg_is(c, i, "NX")) nx = 1;
        else if (arg_is(c, i, "EX") && i + 1 < c->argc) ttl = strtoll(c->argv[++i], NULL, 10);
        else if (arg_is(c, i, "PX") && i + 1 < c->argc) ttl = (strtoll(c->argv[++i], NULL, 10) + 999) / 1000;
      }
      EXPECT(nx == (c->kind == CK_CMD_SET_NX));
      if (nx && find(r, c->argv[1], c->argv_lens[1])) return R(CK_REPLY_NIL);
      entry *e = put(r, c->argv[1], c->argv_lens[1]);
      e->val = malloc(c->argv_lens[2] ? c->argv_lens[2] : 1);
      memcpy(e->val, c->argv[2], c->argv_lens[2]);
      e->val_len = c->argv_lens[2];
      e->ttl = ttl;
      return R(CK_REPLY_OK);
    }
    case CK_CMD_EVAL_RELEASE: {
      EXPECT(c->argc == 5 && arg_is(c, 0, "EVALSHA") && arg_is(c, 1, c->sha1) && arg_is(c, 2, "1"));
      EXPECT(strstr(c->script, "redis.call('DEL'") != NULL);
      if (r->noscript_once) {
        r->noscript_once = 0;
        return R_error("NOSCRIPT No matching script. Please use EVAL.");
      }
      entry *e = find(r, c->argv[3], c->argv_lens[3]);
      if (e && e->val_len == c->argv_lens[4] && memcmp(e->val, c->argv[4], e->val_len) == 0)
        return R_int(del(r, c->argv[3], c->argv_lens[3]));
      return R_int(0);
    }
    case CK_CMD_EXPIRE: {
      EXPECT(c->argc == 3 && arg_is(c, 0, "EXPIRE"));
      entry *e = find(r, c->argv[1], c->argv_lens[1]);
      if (e) e->ttl = strtoll(c->argv[2], NULL, 10);
      return R_int(e != NULL);
    }
    case CK_CMD_DEL: {
      EXPECT(arg_is(c, 0, "DEL") && c->argc == c->keys_len + 1);
      int64_t n = 0;
      for (size_t i = 0; i < c->keys_len; i++) {
        EXPECT(c->keys[i] == c->argv[i + 1] && c->keys_lens[i] == c->argv_lens[i + 1]);
        n += del(r, c->keys[i], c->keys_lens[i]);
      }
      return R_int(n);
    }
    case CK_CMD_SADD: {
      EXPECT(c->argc == 3 && arg_is(c, 0, "SADD"));
      entry *e = find(r, c->argv[1], c->argv_lens[1]);
      if (!e) {
        e = put(r, c->argv[1], c->argv_lens[1]);
        e->is_set = 1;
      }
      for (size_t i = 0; i < e->n_members; i++)
        if (e->member_lens[i] == c->member_len && memcmp(e->members[i], c->member, c->member_len) == 0) return R_int(0);
      e->members = realloc(e->members, (e->n_members + 1) * sizeof *e->members);
      e->member_lens = realloc(e->member_lens, (e->n_members + 1) * sizeof *e->member_lens);
      e->members[e->n_members] = malloc(c->member_len + 1);
      memcpy(e->members[e->n_members], c->member, c->member_len + 1);
      e->member_lens[e->n_members++] = c->member_len;
      /* EXPIRE NX then EXPIRE GT: the set's life only ever grows. */
      if (c->has_ttl && (e->ttl < 0 || (int64_t)c->ttl_secs > e->ttl)) e->ttl = (int64_t)c->ttl_secs;
      return R_int(1);
    }
    case CK_CMD_SMEMBERS: {
      EXPECT(c->argc == 2 && arg_is(c, 0, "SMEMBERS"));
      entry *e = find(r, c->argv[1], c->argv_lens[1]);
      ck_reply a = R(CK_REPLY_ARRAY);
      if (e && e->is_set) {
        r->members = calloc(e->n_members ? e->n_members : 1, sizeof *r->members);
        for (size_t i = 0; i < e->n_members; i++) r->members[i] = R_bytes(e->members[i], e->member_lens[i]);
        a.elements = r->members;
        a.elements_len = e->n_members;
      }
      return a;
    }
    case CK_CMD_DELETE_MATCHING: {
      EXPECT(c->argc == 0 && c->pattern && strlen(c->pattern) == c->pattern_len);
      int64_t n = 0;
      for (int b = 0; b < BUCKETS; b++) {
        entry **s = &r->buckets[b];
        while (*s) {
          if (glob(c->pattern, (*s)->key, (*s)->key_len)) {
            entry *e = *s;
            *s = e->next;
            drop_entry(e);
            n++;
          } else {
            s = &(*s)->next;
          }
        }
      }
      return R_int(n);
    }
    default:
      EXPECT(!"unknown command kind");
      return R(CK_REPLY_NIL);
  }
}

static int logged(fake_redis *r, const char *const *want, int n) {
  if (r->log_n != n) return 0;
  for (int i = 0; i < n; i++)
    if (strcmp(r->log[i], want[i]) != 0) return 0;
  return 1;
}
#define EXPECT_LOG(r, ...)                                                          \
  do {                                                                              \
    const char *want_[] = {__VA_ARGS__};                                            \
    int n_ = (int)(sizeof want_ / sizeof want_[0]);                                 \
    EXPECT(logged((r), want_, n_));                                                 \
    if (!logged((r), want_, n_)) {                                                  \
      for (int i_ = 0; i_ < (r)->log_n; i_++) fprintf(stderr, " [%s]", (r)->log[i_]); \
      fprintf(stderr, "\n");                                                        \
    }                                                                               \
    (r)->log_n = 0;                                                                 \
  } while (0)

/* ------------------------------------------------------------------ driving ops */

/* {"id": 42, "name": "alice"} */
static const uint8_t USER[] = {0x82, 0xa2, 'i', 'd', 0x2a, 0xa4, 'n', 'a', 'm', 'e', 0xa5, 'a', 'l', 'i', 'c', 'e'};
/* {"id": 42, "name": "alice v2"} */
static const uint8_t USER2[] = {0x82, 0xa2, 'i', 'd', 0x2a, 0xa4, 'n', 'a', 'm', 'e', 0xa8,
                                'a',  'l',  'i', 'c', 'e',  ' ',  'v', '2'};

typedef struct {
  const uint8_t *value; /* what a COMPUTE step answers */
  size_t len;
  const char *error; /* or this failure */
  int computed;      /* computations run */
  uint64_t woken[64];
  int n_woken;
} computer;

/* Runs `op` from `step` to DONE; sleeping advances the clock to the deadline. Returns the
 * DONE step (its borrowed pointers valid until the op is freed; free outcome.value). */
/* Failures the steps reported (ck_step.failure), and the last one's code. */
static int g_step_failures;
static ck_result g_last_failure;

static ck_step run(ck_op *op, ck_step step, fake_redis *r, uint64_t *clock, computer *c) {
  for (int guard = 0; guard < 10000; guard++) {
    if (step.failure != CK_OK) {
      EXPECT(step.failure_message && *step.failure_message);
      g_step_failures++;
      g_last_failure = step.failure;
    } else {
      EXPECT(step.failure_message == NULL);
    }
    for (size_t i = 0; i < step.wake_len; i++)
      if (c && c->n_woken < 64) c->woken[c->n_woken++] = step.wake[i];
    ck_step next;
    switch (step.action) {
      case CK_ACTION_SEND: {
        *clock += 1;
        ck_reply reply = exec(r, &step.command);
        EXPECT_RC(ck_op_on_reply(op, &reply, *clock, &next), CK_OK);
        break;
      }
      case CK_ACTION_COMPUTE:
        EXPECT(c != NULL);
        if (!c) return step;
        c->computed++;
        EXPECT_RC(ck_op_on_computed(op, c->value, c->len, c->error, *clock, &next), CK_OK);
        break;
      case CK_ACTION_SLEEP:
        if (step.sleep_until_ms > *clock) *clock = step.sleep_until_ms;
        EXPECT_RC(ck_op_resume(op, *clock, &next), CK_OK);
        break;
      case CK_ACTION_DONE:
        EXPECT(ck_op_is_done(op));
        return step;
      default:
        EXPECT(!"unexpected action");
        return step;
    }
    step = next;
  }
  EXPECT(!"op did not finish");
  return step;
}

static ck_request req_of(const char *key) {
  ck_request q;
  memset(&q, 0, sizeof q);
  q.key = key;
  return q;
}

typedef enum { GET, SET, GOC, DELETE, REFRESH } verb;

/* Starts and runs one call; returns the DONE outcome kind, copies the value (if any) into
 * `*value` (caller frees) and the flags/source into the out-parameters. */
typedef struct {
  ck_outcome_kind kind;
  ck_source source;
  uint32_t flags;
  uint64_t redis_keys;
  ck_result error;
  ck_buf value;
} result;

static result call(ck_engine *e, verb v, const ck_request *q, fake_redis *r, uint64_t *clock, computer *c) {
  ck_op *op = NULL;
  ck_step step;
  ck_result rc = CK_INTERNAL;
  switch (v) {
    case GET: rc = ck_engine_get(e, q, *clock, &op, &step); break;
    case SET: rc = ck_engine_set(e, q, c->value, c->len, *clock, &op, &step); break;
    case GOC: rc = ck_engine_get_or_compute(e, q, *clock, &op, &step); break;
    case DELETE: rc = ck_engine_delete(e, q, *clock, &op, &step); break;
    case REFRESH: rc = ck_engine_refresh(e, q, *clock, &op, &step); break;
  }
  EXPECT_RC(rc, CK_OK);
  result out;
  memset(&out, 0, sizeof out);
  if (rc != CK_OK) return out;
  step = run(op, step, r, clock, c);
  out.kind = step.outcome.kind;
  out.source = step.outcome.source;
  out.flags = step.outcome.flags;
  out.redis_keys = step.outcome.redis_keys;
  out.error = step.outcome.error;
  out.value = step.outcome.value; /* moved to the caller */
  if (step.outcome.kind == CK_OUTCOME_FAILED) EXPECT(step.outcome.error_message && *step.outcome.error_message);
  ck_op_free(op);
  return out;
}

static result invalidate(ck_engine *e, ck_invalidate_kind kind, const char *target, fake_redis *r, uint64_t *clock) {
  ck_op *op = NULL;
  ck_step step;
  result out;
  memset(&out, 0, sizeof out);
  EXPECT_RC(ck_engine_invalidate(e, kind, target, 0, *clock, &op, &step), CK_OK);
  if (!op) return out;
  step = run(op, step, r, clock, NULL);
  out.kind = step.outcome.kind;
  out.redis_keys = step.outcome.redis_keys;
  out.error = step.outcome.error;
  ck_op_free(op);
  return out;
}

static int value_is(const ck_buf *b, const uint8_t *doc, size_t n) { return b->ptr && b->len == n && memcmp(b->ptr, doc, n) == 0; }

static ck_engine *engine_with(int l1, int lock) {
  ck_engine_config cfg = ck_engine_config_default();
  cfg.l1_enabled = l1;
  cfg.l1_budget_bytes = 1 << 20;
  cfg.lock_enabled = lock;
  ck_engine *e = NULL;
  EXPECT_RC(ck_engine_new(&cfg, NULL, &e), CK_OK);
  return e;
}

/* ------------------------------------------------------------------ tests */

static void config_defaults(void) {
  ck_engine_config c = ck_engine_config_default();
  EXPECT(c.intent == CK_INTENT_PRODUCTION && c.ttl_secs == CK_TTL_DEFAULT && c.mode == CK_MODE_DEFAULT);
  EXPECT(c.l1_enabled && c.l1_budget_bytes == 100 * 1024 * 1024 && c.l1_shards == 16 && c.l1_max_entry_bytes == 0);
  EXPECT(c.breaker.failure_threshold == 5 && c.limiter.max_in_flight == 100 && c.timeout.max_timeout_ms == 5000);
  EXPECT(c.lock_enabled && c.lock_lease_ms == 30000 && c.lock_retry_ms == 100 && c.lock_wait_ms == 5000);
  EXPECT(c.follower_wait_ms == 35000 && !c.ttl_refresh_enabled && c.ttl_refresh_threshold == 0.5);
  EXPECT(!c.early_refresh_enabled && c.early_refresh_beta == 1.0 && c.max_value_bytes == 100 * 1024 * 1024);
  EXPECT(c.delete_unreadable && !c.fail_closed && c.tag_prefix == NULL);
  EXPECT_RC(ck_engine_config_for_intent("io", &c), CK_OK);
  EXPECT(c.intent == CK_INTENT_IO);
  EXPECT_RC(ck_engine_config_for_intent("IO", &c), CK_INVALID_ARGUMENT);
  EXPECT(c.intent == CK_INTENT_PRODUCTION); /* reset to the default on failure */
  EXPECT_RC(ck_engine_config_for_intent(NULL, &c), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_engine_config_for_intent("minimal", NULL), CK_INVALID_ARGUMENT);

  /* Every out-of-range setting is refused, and *out stays NULL. */
  ck_engine_config bad[12];
  for (int i = 0; i < 12; i++) bad[i] = ck_engine_config_default();
  bad[0].intent = 0;
  bad[1].mode = 9;
  bad[2].ttl_secs = -2;
  bad[3].l1_budget_bytes = 0;
  bad[4].breaker.success_threshold = 0;
  bad[5].limiter.max_in_flight = 0;
  bad[6].timeout.multiplier = 0.1;
  bad[7].ttl_refresh_enabled = true, bad[7].ttl_refresh_threshold = 1.5;
  bad[8].early_refresh_enabled = true, bad[8].early_refresh_beta = -1;
  bad[9].tag_prefix = "\xff";
  bad[10].stale_while_revalidate_secs = UINT64_MAX; /* Redis would refuse every write's EX */
  bad[11].lock_lease_ms = UINT64_MAX;               /* ... and every lock's PX */
  const ck_result want[12] = {CK_INVALID_ARGUMENT, CK_INVALID_ARGUMENT, CK_INVALID_TTL,    CK_INVALID_ARGUMENT,
                              CK_INVALID_ARGUMENT, CK_INVALID_ARGUMENT, CK_INVALID_ARGUMENT, CK_INVALID_ARGUMENT,
                              CK_INVALID_ARGUMENT, CK_INVALID_STRING,   CK_INVALID_ARGUMENT, CK_INVALID_ARGUMENT};
  for (int i = 0; i < 12; i++) {
    ck_engine *e = (ck_engine *)(uintptr_t)0x1;
    EXPECT_RC(ck_engine_new(&bad[i], NULL, &e), want[i]);
    EXPECT(e == NULL);
  }
  ck_engine *e = NULL;
  EXPECT_RC(ck_engine_new(NULL, NULL, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_engine_new(NULL, NULL, &e), CK_OK);
  uint64_t t = 0;
  EXPECT_RC(ck_engine_command_timeout(e, 0, &t), CK_OK);
  EXPECT(t == 5000); /* untrusted until 20 replies */
  EXPECT_RC(ck_engine_command_timeout(NULL, 0, &t), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_engine_command_timeout(e, 0, NULL), CK_INVALID_ARGUMENT);
  ck_engine_free(e);
}

static void set_get(void) {
  fake_redis r = {0};
  uint64_t clock = 1000;
  ck_engine *e = engine_with(1, 1);
  computer c = {.value = USER, .len = sizeof USER};
  ck_request q = req_of("ns:app:func:k1");
  result out = call(e, SET, &q, &r, &clock, &c);
  EXPECT(out.kind == CK_OUTCOME_STORED && (out.flags & CK_OUTCOME_FLAG_REDIS));
  EXPECT_LOG(&r, "SET");
  entry *stored = find(&r, q.key, strlen(q.key));
  EXPECT(stored && stored->ttl == 600); /* the production intent's default TTL */

  out = call(e, GET, &q, &r, &clock, NULL);
  EXPECT(out.kind == CK_OUTCOME_HIT && out.source == CK_SOURCE_L1 && value_is(&out.value, USER, sizeof USER));
  ck_buf_free(&out.value);
  EXPECT(r.log_n == 0); /* an L1 hit sends nothing */

  /* A second process (another engine, same Redis) reads it from Redis. */
  ck_engine *e2 = engine_with(1, 1);
  out = call(e2, GET, &q, &r, &clock, NULL);
  EXPECT(out.kind == CK_OUTCOME_HIT && out.source == CK_SOURCE_REDIS && value_is(&out.value, USER, sizeof USER));
  ck_buf_free(&out.value);
  EXPECT_LOG(&r, "GET+TTL"); /* with L1 on, reads learn the remaining TTL */

  /* A miss, an explicit TTL, never-expire, interop mode. */
  ck_request miss = req_of("nothing-here");
  out = call(e2, GET, &miss, &r, &clock, NULL);
  EXPECT(out.kind == CK_OUTCOME_MISS && out.value.ptr == NULL);
  EXPECT_LOG(&r, "GET+TTL");
  ck_request ttl = req_of("with-ttl");
  ttl.ttl_secs = 5;
  out = call(e2, SET, &ttl, &r, &clock, &c);
  EXPECT(find(&r, "with-ttl", 8)->ttl == 5);
  ttl.ttl_secs = CK_TTL_NEVER;
  out = call(e2, SET, &ttl, &r, &clock, &c);
  EXPECT(find(&r, "with-ttl", 8)->ttl == -1);
  ck_request interop = req_of("users:get_user:abc");
  interop.mode = CK_MODE_INTEROP;
  out = call(e2, SET, &interop, &r, &clock, &c);
  entry *ie = find(&r, interop.key, strlen(interop.key));
  ck_buf canon = {0};
  EXPECT_RC(ck_interop_canonical_value(USER, sizeof USER, &canon), CK_OK);
  EXPECT(ie && ie->val_len == canon.len && memcmp(ie->val, canon.ptr, canon.len) == 0); /* the interop bytes */
  ck_buf_free(&canon);
  r.log_n = 0;

  /* An unencodable value (a set in a value): the op ends at once with the encoder's code. */
  ck_buf set = {0};
  EXPECT_RC(ck_msgpack_set((const uint8_t *)"\x91\x01", 2, &set), CK_OK);
  computer bad = {.value = set.ptr, .len = set.len};
  out = call(e2, SET, &q, &r, &clock, &bad);
  EXPECT(out.kind == CK_OUTCOME_FAILED && out.error == CK_UNSUPPORTED_TYPE);
  EXPECT(r.log_n == 0);
  ck_buf_free(&set);

  ck_engine_free(e);
  ck_engine_free(e2);
  fake_clear(&r);
}

static void get_or_compute_flow(void) {
  fake_redis r = {0};
  uint64_t clock = 0;
  ck_engine *e = engine_with(1, 1);
  computer c = {.value = USER, .len = sizeof USER};
  ck_request q = req_of("k");
  result out = call(e, GOC, &q, &r, &clock, &c);
  EXPECT(out.kind == CK_OUTCOME_COMPUTED && (out.flags & CK_OUTCOME_FLAG_CACHED) && c.computed == 1);
  EXPECT(out.value.ptr == NULL);
  EXPECT_LOG(&r, "GET+TTL", "SET NX", "GET+TTL", "SET", "EVALSHA");
  EXPECT(find(&r, "k:lock", 6) == NULL); /* released */
  out = call(e, GOC, &q, &r, &clock, &c);
  EXPECT(out.kind == CK_OUTCOME_HIT && out.source == CK_SOURCE_L1 && c.computed == 1);
  ck_buf_free(&out.value);

  /* A busy lock: wait, retry every 100 ms, and serve what the other writer stored. */
  ck_engine *e2 = engine_with(0, 1);
  set_string(&r, "k2:lock", "someone-else", 12, -1);
  ck_op *op = NULL;
  ck_step step;
  EXPECT_RC(ck_engine_get_or_compute(e2, &(ck_request){.key = "k2"}, clock, &op, &step), CK_OK);
  int sleeps = 0;
  while (step.action != CK_ACTION_DONE && sleeps < 100) {
    ck_step next;
    if (step.action == CK_ACTION_SEND) {
      ck_reply reply = exec(&r, &step.command);
      EXPECT_RC(ck_op_on_reply(op, &reply, clock, &next), CK_OK);
    } else if (step.action == CK_ACTION_SLEEP) {
      EXPECT(!step.sleep_has_token);
      clock = step.sleep_until_ms;
      if (++sleeps == 3) {
        /* The other writer stores the value (through a third engine) and releases. */
        ck_engine *w = engine_with(0, 0);
        computer cw = {.value = USER2, .len = sizeof USER2};
        result o = call(w, SET, &(ck_request){.key = "k2"}, &r, &clock, &cw);
        EXPECT(o.kind == CK_OUTCOME_STORED);
        del(&r, "k2:lock", 7);
        ck_engine_free(w);
      }
      EXPECT_RC(ck_op_resume(op, clock, &next), CK_OK);
    } else {
      EXPECT(!"must not compute: the other writer filled the key");
      break;
    }
    step = next;
  }
  EXPECT(step.action == CK_ACTION_DONE && step.outcome.kind == CK_OUTCOME_HIT);
  EXPECT(step.outcome.source == CK_SOURCE_REDIS && value_is(&step.outcome.value, USER2, sizeof USER2));
  EXPECT(sleeps == 3);
  ck_buf_free(&step.outcome.value);
  ck_op_free(op);

  /* The computation fails: this caller gets CK_COMPUTE_FAILED with its text; nothing cached. */
  computer failing = {.error = "database is down"};
  ck_request q3 = req_of("k3");
  r.log_n = 0;
  out = call(e2, GOC, &q3, &r, &clock, &failing);
  EXPECT(out.kind == CK_OUTCOME_FAILED && out.error == CK_COMPUTE_FAILED && failing.computed == 1);
  EXPECT(find(&r, "k3", 2) == NULL && find(&r, "k3:lock", 7) == NULL);
  EXPECT_LOG(&r, "GET", "SET NX", "GET", "EVALSHA");

  /* A computed value the encoder refuses is still the answer, just not cached. */
  ck_buf uuid = {0};
  EXPECT_RC(ck_msgpack_uuid("12345678-1234-5678-1234-567812345678", &uuid), CK_OK);
  computer odd = {.value = uuid.ptr, .len = uuid.len};
  out = call(e2, GOC, &(ck_request){.key = "k4"}, &r, &clock, &odd);
  EXPECT(out.kind == CK_OUTCOME_COMPUTED && !(out.flags & CK_OUTCOME_FLAG_CACHED));
  ck_buf_free(&uuid);
  r.log_n = 0;
  ck_engine_free(e);
  ck_engine_free(e2);
  fake_clear(&r);
}

static void single_flight(void) {
  fake_redis r = {0};
  ck_engine *e = engine_with(1, 0);
  ck_request q = req_of("hot");
  ck_op *leader = NULL, *follower = NULL, *follower2 = NULL;
  ck_step s1, s2, s3;
  EXPECT_RC(ck_engine_get_or_compute(e, &q, 0, &leader, &s1), CK_OK);
  EXPECT_RC(ck_engine_get_or_compute(e, &q, 0, &follower, &s2), CK_OK);
  EXPECT_RC(ck_engine_get_or_compute(e, &q, 0, &follower2, &s3), CK_OK);
  EXPECT(s1.action == CK_ACTION_SEND && s1.command.kind == CK_CMD_GET_WITH_TTL);
  EXPECT(s2.action == CK_ACTION_SLEEP && s2.sleep_has_token && s2.sleep_until_ms == 35000);
  EXPECT(s3.action == CK_ACTION_SLEEP && s3.sleep_has_token && s3.sleep_token != s2.sleep_token);
  uint64_t t2 = s2.sleep_token, t3 = s3.sleep_token;

  /* A spurious resume: the follower sleeps again on the same token. */
  ck_step again;
  EXPECT_RC(ck_op_resume(follower, 1, &again), CK_OK);
  EXPECT(again.action == CK_ACTION_SLEEP && again.sleep_token == t2);

  ck_reply reply = exec(&r, &s1.command);
  ck_step s;
  EXPECT_RC(ck_op_on_reply(leader, &reply, 1, &s), CK_OK);
  EXPECT(s.action == CK_ACTION_COMPUTE);
  EXPECT_RC(ck_op_on_computed(leader, USER, sizeof USER, NULL, 2, &s), CK_OK);
  EXPECT(s.action == CK_ACTION_SEND && s.command.kind == CK_CMD_SET);
  /* The leader's bytes are shared as soon as they are encoded: the followers are woken now. */
  int saw2 = 0, saw3 = 0;
  for (size_t i = 0; i < s.wake_len; i++) saw2 |= s.wake[i] == t2, saw3 |= s.wake[i] == t3;
  reply = exec(&r, &s.command);
  ck_step done;
  EXPECT_RC(ck_op_on_reply(leader, &reply, 3, &done), CK_OK);
  for (size_t i = 0; i < done.wake_len; i++) saw2 |= done.wake[i] == t2, saw3 |= done.wake[i] == t3;
  EXPECT(saw2 && saw3);
  EXPECT(done.action == CK_ACTION_DONE && done.outcome.kind == CK_OUTCOME_COMPUTED);
  EXPECT_RC(ck_op_resume(follower, 3, &s), CK_OK);
  EXPECT(s.action == CK_ACTION_DONE && s.outcome.kind == CK_OUTCOME_HIT && s.outcome.source == CK_SOURCE_SHARED);
  EXPECT(value_is(&s.outcome.value, USER, sizeof USER));
  ck_buf_free(&s.outcome.value);
  EXPECT_RC(ck_op_resume(follower2, 3, &s), CK_OK);
  EXPECT(s.outcome.kind == CK_OUTCOME_HIT && s.outcome.source == CK_SOURCE_SHARED);
  ck_buf_free(&s.outcome.value);
  ck_op_free(leader);
  ck_op_free(follower);
  ck_op_free(follower2);

  /* A failed leader fails its followers with its text. */
  ck_request q2 = req_of("k-fail");
  EXPECT_RC(ck_engine_get_or_compute(e, &q2, 10, &leader, &s1), CK_OK);
  EXPECT_RC(ck_engine_get_or_compute(e, &q2, 10, &follower, &s2), CK_OK);
  reply = exec(&r, &s1.command);
  EXPECT_RC(ck_op_on_reply(leader, &reply, 11, &s), CK_OK);
  EXPECT_RC(ck_op_on_computed(leader, NULL, 0, "boom", 12, &s), CK_OK);
  EXPECT(s.action == CK_ACTION_DONE && s.outcome.error == CK_COMPUTE_FAILED);
  EXPECT(s.wake_len == 1 && s.wake[0] == s2.sleep_token);
  EXPECT(strstr(s.outcome.error_message, "boom") != NULL);
  EXPECT_RC(ck_op_resume(follower, 12, &s), CK_OK);
  EXPECT(s.outcome.kind == CK_OUTCOME_FAILED && s.outcome.error == CK_COMPUTE_FAILED);
  EXPECT(strstr(s.outcome.error_message, "boom") != NULL);
  ck_op_free(leader);
  ck_op_free(follower);

  /* An abandoned leader hands the flight to its follower, which then reads Redis itself. */
  ck_request q3 = req_of("k-abandon");
  EXPECT_RC(ck_engine_get_or_compute(e, &q3, 20, &leader, &s1), CK_OK);
  EXPECT_RC(ck_engine_get_or_compute(e, &q3, 20, &follower, &s2), CK_OK);
  ck_step ab;
  EXPECT_RC(ck_op_abandon(leader, 21, &ab), CK_OK);
  EXPECT(ab.action == CK_ACTION_NONE && ab.wake_len == 1 && ab.wake[0] == s2.sleep_token);
  EXPECT(ab.command.kind == CK_CMD_NONE); /* no lock was held */
  EXPECT(ck_op_is_done(leader));
  EXPECT_RC(ck_op_abandon(leader, 22, &ab), CK_OK); /* again: empty */
  EXPECT(ab.wake_len == 0 && ab.command.kind == CK_CMD_NONE);
  EXPECT_RC(ck_op_resume(leader, 22, &s), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_op_resume(follower, 21, &s), CK_OK);
  EXPECT(s.action == CK_ACTION_SEND && s.command.kind == CK_CMD_GET_WITH_TTL);
  ck_op_free(leader);
  ck_op_free(follower); /* unfinished: abandoned by the free */
  ck_engine_free(e);
  fake_clear(&r);
}

static void abandon_releases_the_lock(void) {
  fake_redis r = {0};
  ck_engine *e = engine_with(0, 1);
  ck_op *op = NULL;
  ck_step s;
  EXPECT_RC(ck_engine_get_or_compute(e, &(ck_request){.key = "locked"}, 0, &op, &s), CK_OK);
  while (s.action == CK_ACTION_SEND) {
    ck_reply reply = exec(&r, &s.command);
    ck_step next;
    EXPECT_RC(ck_op_on_reply(op, &reply, 1, &next), CK_OK);
    s = next;
  }
  EXPECT(s.action == CK_ACTION_COMPUTE && find(&r, "locked:lock", 11) != NULL);
  ck_step ab;
  EXPECT_RC(ck_op_abandon(op, 2, &ab), CK_OK);
  EXPECT(ab.action == CK_ACTION_NONE && ab.command.kind == CK_CMD_EVAL_RELEASE);
  EXPECT(ab.command.key_len == 11 && memcmp(ab.command.key, "locked:lock", 11) == 0 && strlen(ab.command.token) == 32);
  ck_reply fire = exec(&r, &ab.command); /* fire and forget */
  EXPECT(fire.kind == CK_REPLY_INT && fire.integer == 1);
  EXPECT(find(&r, "locked:lock", 11) == NULL);
  ck_step x;
  EXPECT_RC(ck_op_on_computed(op, USER, sizeof USER, NULL, 3, &x), CK_INVALID_ARGUMENT);
  EXPECT(x.action == CK_ACTION_NONE);
  ck_op_free(op);
  ck_engine_free(e);
  fake_clear(&r);
}

static void invalidation(void) {
  fake_redis r = {0};
  uint64_t clock = 0;
  ck_engine *e = engine_with(1, 1);
  computer c = {.value = USER, .len = sizeof USER};
  const char *tags[] = {"users", "team:7"};
  const char *keys[] = {"ns:app:a", "ns:app:b"};
  for (int i = 0; i < 2; i++) {
    ck_request q = req_of(keys[i]);
    q.ns = "app";
    q.tags = tags;
    q.tags_len = 2;
    result out = call(e, SET, &q, &r, &clock, &c);
    EXPECT(out.kind == CK_OUTCOME_STORED);
  }
  EXPECT_LOG(&r, "SET", "SADD", "SADD", "SET", "SADD", "SADD");
  entry *tagset = find(&r, "cachekit:tag:users", 18);
  EXPECT(tagset && tagset->is_set && tagset->n_members == 2 && tagset->ttl == 660);

  result out = invalidate(e, CK_INVALIDATE_TAG, "users", &r, &clock);
  EXPECT(out.kind == CK_OUTCOME_INVALIDATED && out.redis_keys == 2); /* two entries (the set is an index, not counted) */
  EXPECT_LOG(&r, "SMEMBERS", "DEL");
  ck_request qa = req_of("ns:app:a");
  out = call(e, GET, &qa, &r, &clock, NULL);
  EXPECT(out.kind == CK_OUTCOME_MISS); /* gone from the L1 and Redis */
  r.log_n = 0;

  ck_request qc = req_of("ns:app:c*?"); /* glob metacharacters in the namespace's key */
  qc.ns = "app";
  call(e, SET, &qc, &r, &clock, &c);
  set_string(&r, "ns:other:z", "x", 1, -1);
  r.log_n = 0;
  out = invalidate(e, CK_INVALIDATE_NAMESPACE, "app", &r, &clock);
  EXPECT(out.kind == CK_OUTCOME_INVALIDATED && out.redis_keys == 1);
  EXPECT_LOG(&r, "SCAN+DEL");
  EXPECT(find(&r, "ns:other:z", 10) != NULL);
  out = call(e, GET, &qc, &r, &clock, NULL);
  EXPECT(out.kind == CK_OUTCOME_MISS);

  ck_request qd = req_of("d");
  call(e, SET, &qd, &r, &clock, &c);
  out = call(e, DELETE, &qd, &r, &clock, NULL);
  EXPECT(out.kind == CK_OUTCOME_DELETED && (out.flags & CK_OUTCOME_FLAG_EXISTED));
  out = call(e, DELETE, &qd, &r, &clock, NULL);
  EXPECT(out.kind == CK_OUTCOME_DELETED && !(out.flags & CK_OUTCOME_FLAG_EXISTED));
  out = invalidate(e, CK_INVALIDATE_KEY, "ns:other:z", &r, &clock);
  EXPECT(out.kind == CK_OUTCOME_INVALIDATED && out.redis_keys == 1);
  r.down = 1;
  out = call(e, DELETE, &qd, &r, &clock, NULL);
  EXPECT(out.kind == CK_OUTCOME_FAILED && out.error == CK_BACKEND); /* a delete that cannot reach Redis says so */
  out = invalidate(e, CK_INVALIDATE_TAG, "users", &r, &clock);
  EXPECT(out.kind == CK_OUTCOME_FAILED && out.error == CK_BACKEND);
  r.down = 0;

  /* A custom tag prefix. */
  ck_engine_config cfg = ck_engine_config_default();
  cfg.tag_prefix = "t/";
  ck_engine *e2 = NULL;
  EXPECT_RC(ck_engine_new(&cfg, NULL, &e2), CK_OK);
  ck_request qt = req_of("tagged");
  qt.tags = tags;
  qt.tags_len = 1;
  call(e2, SET, &qt, &r, &clock, &c);
  EXPECT(find(&r, "t/users", 7) != NULL);
  ck_engine_free(e2);
  ck_engine_free(e);
  fake_clear(&r);
}

static void redis_down_and_the_breaker(void) {
  fake_redis r = {.down = 1};
  uint64_t clock = 0;
  ck_engine *e = engine_with(0, 1);
  computer c = {.value = USER, .len = sizeof USER};
  ck_request q = req_of("k");
  result out = call(e, GET, &q, &r, &clock, NULL);
  EXPECT(out.kind == CK_OUTCOME_MISS);
  out = call(e, GOC, &q, &r, &clock, &c);
  EXPECT(out.kind == CK_OUTCOME_COMPUTED && !(out.flags & CK_OUTCOME_FLAG_CACHED));
  for (int i = 0; i < 5; i++) call(e, GET, &q, &r, &clock, NULL);
  ck_breaker_snapshot snap;
  EXPECT_RC(ck_engine_get_breaker_snapshot(e, clock, &snap), CK_OK);
  EXPECT(snap.state == CK_BREAKER_OPEN && snap.opened == 1);
  int sent = r.log_n;
  out = call(e, GOC, &q, &r, &clock, &c);
  EXPECT(out.kind == CK_OUTCOME_COMPUTED && r.log_n == sent); /* an open breaker sends nothing */
  out = call(e, SET, &q, &r, &clock, &c);
  EXPECT(out.kind == CK_OUTCOME_STORED && !(out.flags & CK_OUTCOME_FLAG_REDIS));
  out = call(e, DELETE, &q, &r, &clock, NULL);
  EXPECT(out.kind == CK_OUTCOME_FAILED && out.error == CK_CIRCUIT_OPEN);

  ck_buf metrics = {0};
  EXPECT_RC(ck_metrics_render(e, clock, &metrics), CK_OK);
  const char *text = (const char *)metrics.ptr;
  EXPECT(strstr(text, "cachekit_") != NULL && strstr(text, "backend") != NULL && strstr(text, "circuit_open") != NULL);
  EXPECT(strlen(text) == metrics.len);
  ck_buf_free(&metrics);
  EXPECT(strcmp(ck_metrics_content_type(), "text/plain; version=0.0.4; charset=utf-8") == 0);

  /* Redis comes back; after the cool-down three probes close the breaker. */
  r.down = 0;
  clock += 30000;
  for (int i = 0; i < 3; i++) {
    out = call(e, GET, &q, &r, &clock, NULL);
    EXPECT(out.kind == CK_OUTCOME_MISS);
  }
  EXPECT_RC(ck_engine_get_breaker_snapshot(e, clock, &snap), CK_OK);
  EXPECT(snap.state == CK_BREAKER_CLOSED && snap.closed == 1);

  /* Errors that say nothing about Redis health do not open it. */
  for (int i = 0; i < 10; i++) {
    r.has_fault = 1;
    r.fault = R_error("WRONGTYPE Operation against a key holding the wrong kind of value");
    out = call(e, GET, &q, &r, &clock, NULL);
    EXPECT(out.kind == CK_OUTCOME_MISS);
  }
  EXPECT_RC(ck_engine_get_breaker_snapshot(e, clock, &snap), CK_OK);
  EXPECT(snap.state == CK_BREAKER_CLOSED);
  EXPECT_RC(ck_engine_get_breaker_snapshot(NULL, clock, &snap), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_engine_get_breaker_snapshot(e, clock, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_metrics_render(NULL, 0, &metrics), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_metrics_render(e, 0, NULL), CK_INVALID_ARGUMENT);
  ck_engine_free(e);
  fake_clear(&r);
}

static void garbage_replies(void) {
  fake_redis r = {0};
  uint64_t clock = 0;
  ck_engine *e = engine_with(0, 1);
  ck_request q = req_of("g");
  ck_reply inner[2] = {R_int(5), R(CK_REPLY_OK)};
  ck_reply arr = R(CK_REPLY_ARRAY);
  arr.elements = inner;
  arr.elements_len = 2;
  const ck_reply wrong[] = {R_int(7), R(CK_REPLY_OK), arr, R(CK_REPLY_TIMEOUT), R_error(""),
                            R_bytes("\x94garbage", 8), R_bytes(NULL, 0)};
  for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
    r.has_fault = 1;
    r.fault = wrong[i];
    result out = call(e, GET, &q, &r, &clock, NULL);
    EXPECT(out.kind == CK_OUTCOME_MISS); /* judged, never trusted */
  }
  /* Random bytes stored under the key: a miss, and the entry is purged. */
  for (int i = 0; i < 50; i++) {
    uint8_t junk[64];
    fill_random(junk, sizeof junk);
    set_string(&r, "g", junk, 1 + rnd() % sizeof junk, -1);
    r.log_n = 0;
    int failures = g_step_failures;
    result out = call(e, GET, &q, &r, &clock, NULL);
    EXPECT(out.kind == CK_OUTCOME_MISS);
    EXPECT(g_step_failures == failures + 1); /* the step says why, for the caller's log */
    EXPECT(g_last_failure >= 200 && g_last_failure < 400); /* a decode or crypto code */
    EXPECT_LOG(&r, "GET", "DEL");
    EXPECT(find(&r, "g", 1) == NULL);
  }
  /* Garbage for get_or_compute: still computes and overwrites the bad entry. */
  set_string(&r, "g", "CK\x03\x00\x00\x00\x02{}x", 10, -1); /* a cachekit-py frame */
  computer c = {.value = USER, .len = sizeof USER};
  result out = call(e, GOC, &q, &r, &clock, &c);
  EXPECT(out.kind == CK_OUTCOME_COMPUTED && (out.flags & CK_OUTCOME_FLAG_CACHED));
  out = call(e, GET, &q, &r, &clock, NULL);
  EXPECT(out.kind == CK_OUTCOME_HIT && value_is(&out.value, USER, sizeof USER));
  ck_buf_free(&out.value);

  /* Malformed ck_reply structures are refused and leave the op unchanged. */
  ck_op *op = NULL;
  ck_step s, s2;
  EXPECT_RC(ck_engine_get(e, &(ck_request){.key = "m"}, clock, &op, &s), CK_OK);
  EXPECT(s.action == CK_ACTION_SEND);
  ck_reply bad[8];
  for (int i = 0; i < 8; i++) bad[i] = R(CK_REPLY_NIL);
  bad[0].kind = 0;                       /* a zeroed reply */
  bad[1].kind = 99;                      /* unknown kind */
  bad[2] = R(CK_REPLY_BYTES), bad[2].len = 3; /* NULL with a length */
  bad[3] = R(CK_REPLY_ERROR), bad[3].len = 9;
  bad[4] = R(CK_REPLY_ARRAY), bad[4].elements_len = 2; /* NULL elements with a length */
  bad[5] = R(CK_REPLY_BYTES), bad[5].bytes = (const uint8_t *)"x", bad[5].len = SIZE_MAX;
  bad[6] = R(CK_REPLY_ARRAY), bad[6].elements = inner, bad[6].elements_len = SIZE_MAX; /* never read */
  ck_reply nested[20];
  for (int i = 0; i < 20; i++) {
    nested[i] = R(CK_REPLY_ARRAY);
    nested[i].elements = i + 1 < 20 ? &nested[i + 1] : NULL;
    nested[i].elements_len = i + 1 < 20;
  }
  bad[7] = nested[0]; /* 20 levels deep */
  const ck_result want[8] = {CK_INVALID_ARGUMENT, CK_INVALID_ARGUMENT, CK_INVALID_ARGUMENT, CK_INVALID_ARGUMENT,
                             CK_INVALID_ARGUMENT, CK_VALUE_TOO_LARGE,  CK_VALUE_TOO_LARGE,  CK_INVALID_ARGUMENT};
  for (int i = 0; i < 8; i++) {
    memset(&s2, 0xab, sizeof s2);
    EXPECT_RC(ck_op_on_reply(op, &bad[i], clock, &s2), want[i]);
    EXPECT(s2.action == CK_ACTION_NONE && s2.outcome.value.ptr == NULL && s2.wake_len == 0);
  }
  /* A cycle is caught by the depth bound. */
  ck_reply cyc = R(CK_REPLY_ARRAY);
  cyc.elements = &cyc;
  cyc.elements_len = 1;
  EXPECT_RC(ck_op_on_reply(op, &cyc, clock, &s2), CK_INVALID_ARGUMENT);
  /* Aliased elements cannot blow up: the total is bounded (1024 x 1024 > CK_REPLY_MAX_ITEMS). */
  static ck_reply leaves[1024], mids[1024];
  for (int i = 0; i < 1024; i++) {
    leaves[i] = R_int(i);
    mids[i] = R(CK_REPLY_ARRAY), mids[i].elements = leaves, mids[i].elements_len = 1024;
  }
  ck_reply bomb = R(CK_REPLY_ARRAY);
  bomb.elements = mids;
  bomb.elements_len = 1024;
  EXPECT_RC(ck_op_on_reply(op, &bomb, clock, &s2), CK_VALUE_TOO_LARGE);
  EXPECT_RC(ck_op_on_reply(op, NULL, clock, &s2), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_op_on_reply(op, &bad[0], clock, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_op_on_reply(NULL, &bad[0], clock, &s2), CK_INVALID_ARGUMENT);
  /* The command is still outstanding: a good reply finishes the op. */
  ck_reply nil = R(CK_REPLY_NIL);
  EXPECT_RC(ck_op_on_reply(op, &nil, clock, &s2), CK_OK);
  EXPECT(s2.action == CK_ACTION_DONE && s2.outcome.kind == CK_OUTCOME_MISS);
  ck_op_free(op);
  ck_engine_free(e);
  fake_clear(&r);
}

static void protocol_misuse_and_ownership(void) {
  fake_redis r = {0};
  ck_engine *e = engine_with(1, 1);
  ck_op *op = (ck_op *)(uintptr_t)0x1;
  ck_step s;
  ck_request q = req_of("k");
  /* Hostile starts: nothing is created, *op is NULL, *step empty. */
  EXPECT_RC(ck_engine_get(NULL, &q, 0, &op, &s), CK_INVALID_ARGUMENT);
  EXPECT(op == NULL && s.action == CK_ACTION_NONE);
  EXPECT_RC(ck_engine_get(e, NULL, 0, &op, &s), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_engine_get(e, &q, 0, NULL, &s), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_engine_get(e, &q, 0, &op, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_engine_get(e, &(ck_request){.key = NULL}, 0, &op, &s), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_engine_get(e, &(ck_request){.key = "\xc3\x28"}, 0, &op, &s), CK_INVALID_STRING);
  EXPECT_RC(ck_engine_get(e, &(ck_request){.key = "k", .mode = 7}, 0, &op, &s), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_engine_get(e, &(ck_request){.key = "k", .ttl_secs = -9}, 0, &op, &s), CK_INVALID_TTL);
  EXPECT_RC(ck_engine_get(e, &(ck_request){.key = "k", .tags_len = 2}, 0, &op, &s), CK_INVALID_ARGUMENT);
  const char *many[65];
  for (int i = 0; i < 65; i++) many[i] = "t";
  EXPECT_RC(ck_engine_set(e, &(ck_request){.key = "k", .tags = many, .tags_len = 65}, USER, sizeof USER, 0, &op, &s),
            CK_INVALID_ARGUMENT);
  const char *null_tag[] = {"a", NULL};
  EXPECT_RC(ck_engine_set(e, &(ck_request){.key = "k", .tags = null_tag, .tags_len = 2}, USER, sizeof USER, 0, &op, &s),
            CK_INVALID_ARGUMENT);
  char which[128];
  ck_last_error_message(which, sizeof which);
  EXPECT(strstr(which, "request tags[1] is NULL") != NULL); /* names the element */
  const char *empty_tag[] = {""}; /* would index the bare tag prefix */
  EXPECT_RC(ck_engine_set(e, &(ck_request){.key = "k", .tags = empty_tag, .tags_len = 1}, USER, sizeof USER, 0, &op, &s),
            CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_engine_set(e, &q, NULL, 3, 0, &op, &s), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_engine_set(e, &q, USER, SIZE_MAX, 0, &op, &s), CK_VALUE_TOO_LARGE);
  EXPECT_RC(ck_engine_set(e, &q, USER, sizeof USER - 1, 0, &op, &s), CK_DECODE_BOUNDS); /* truncated */
  EXPECT_RC(ck_engine_set(e, &q, (const uint8_t *)"\xc1", 1, 0, &op, &s), CK_MALFORMED_MSGPACK);
  EXPECT_RC(ck_engine_set(e, &q, (const uint8_t *)"\xc0\xc0", 2, 0, &op, &s), CK_TRAILING_BYTES);
  EXPECT_RC(ck_engine_invalidate(e, 9, "x", 0, 0, &op, &s), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_engine_invalidate(e, CK_INVALIDATE_TAG, NULL, 0, 0, &op, &s), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_engine_invalidate(e, CK_INVALIDATE_NAMESPACE, "x", 5, 0, &op, &s), CK_INVALID_ARGUMENT);
  EXPECT(op == NULL);
  char detail[256];
  EXPECT(ck_last_error_message(detail, sizeof detail) > 0);

  /* Calls that do not match the last step are refused; the op is unchanged. */
  EXPECT_RC(ck_engine_get_or_compute(e, &q, 0, &op, &s), CK_OK);
  EXPECT(s.action == CK_ACTION_SEND);
  ck_step x;
  EXPECT_RC(ck_op_on_computed(op, USER, sizeof USER, NULL, 1, &x), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_op_resume(op, 1, &x), CK_INVALID_ARGUMENT);
  ck_last_error_message(detail, sizeof detail);
  EXPECT(strstr(detail, "CK_ACTION_SEND") != NULL);
  ck_reply reply = exec(&r, &s.command);
  EXPECT_RC(ck_op_on_reply(op, &reply, 1, &s), CK_OK); /* GET: miss */
  reply = exec(&r, &s.command);
  EXPECT_RC(ck_op_on_reply(op, &reply, 1, &s), CK_OK); /* SET NX: acquired */
  reply = exec(&r, &s.command);
  EXPECT_RC(ck_op_on_reply(op, &reply, 1, &s), CK_OK); /* GET again */
  EXPECT(s.action == CK_ACTION_COMPUTE);
  EXPECT_RC(ck_op_on_reply(op, &reply, 1, &x), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_op_on_computed(op, (const uint8_t *)"\xc1", 1, NULL, 1, &x), CK_MALFORMED_MSGPACK);
  EXPECT_RC(ck_op_on_computed(op, NULL, 5, NULL, 1, &x), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_op_on_computed(op, NULL, 0, "\xff", 1, &x), CK_INVALID_STRING);
  EXPECT_RC(ck_op_on_computed(op, USER, sizeof USER, NULL, 2, &s), CK_OK); /* still accepted */

  /* The engine handle may go first: the op keeps the engine alive and finishes. */
  ck_engine_free(e);
  ck_engine_free(e); /* twice: ignored */
  uint64_t clock = 2;
  s = run(op, s, &r, &clock, NULL);
  EXPECT(s.outcome.kind == CK_OUTCOME_COMPUTED && (s.outcome.flags & CK_OUTCOME_FLAG_CACHED));
  EXPECT_RC(ck_op_resume(op, 3, &x), CK_INVALID_ARGUMENT); /* done */
  EXPECT_RC(ck_op_on_reply(op, &reply, 3, &x), CK_INVALID_ARGUMENT);
  ck_op_free(op);
  ck_op_free(op); /* twice: ignored */
  ck_op_free(NULL);
  ck_op_free((ck_op *)&r); /* not an op: ignored */
  ck_engine_free(NULL);
  EXPECT(!ck_op_is_done(NULL));
  EXPECT_RC(ck_op_resume(NULL, 0, &x), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_op_abandon(NULL, 0, &x), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_op_on_computed(NULL, NULL, 0, NULL, 0, &x), CK_INVALID_ARGUMENT);
  fake_clear(&r);
}

static void backpressure_wakes(void) {
  fake_redis r = {0};
  ck_engine_config cfg = ck_engine_config_default();
  cfg.l1_enabled = false;
  cfg.limiter.max_in_flight = 1;
  cfg.limiter.max_queued = 1;
  cfg.limiter.max_wait_ms = 100;
  ck_engine *e = NULL;
  EXPECT_RC(ck_engine_new(&cfg, NULL, &e), CK_OK);
  ck_op *a = NULL, *b = NULL, *c = NULL;
  ck_step sa, sb, sc, s;
  EXPECT_RC(ck_engine_get(e, &(ck_request){.key = "a"}, 0, &a, &sa), CK_OK);
  EXPECT_RC(ck_engine_get(e, &(ck_request){.key = "b"}, 0, &b, &sb), CK_OK);
  EXPECT(sb.action == CK_ACTION_SLEEP && sb.sleep_has_token && sb.sleep_until_ms == 100);
  EXPECT_RC(ck_engine_get(e, &(ck_request){.key = "c"}, 0, &c, &sc), CK_OK);
  EXPECT(sc.action == CK_ACTION_DONE && sc.outcome.kind == CK_OUTCOME_MISS); /* queue full: degraded */
  ck_limiter_stats ls;
  EXPECT_RC(ck_engine_get_limiter_stats(e, &ls), CK_OK);
  EXPECT(ls.in_flight == 1 && ls.queued == 1 && ls.rejected_queue_full == 1);
  ck_reply reply = exec(&r, &sa.command);
  EXPECT_RC(ck_op_on_reply(a, &reply, 5, &s), CK_OK);
  EXPECT(s.wake_len == 1 && s.wake[0] == sb.sleep_token);
  EXPECT_RC(ck_op_resume(b, 5, &s), CK_OK);
  EXPECT(s.action == CK_ACTION_SEND && s.command.kind == CK_CMD_GET);
  /* b is freed with its command outstanding: the slot comes back. */
  ck_op_free(b);
  EXPECT_RC(ck_engine_get_limiter_stats(e, &ls), CK_OK);
  EXPECT(ls.in_flight == 0 && ls.queued == 0);
  ck_op_free(a);
  ck_op_free(c);
  EXPECT_RC(ck_engine_get_limiter_stats(NULL, &ls), CK_INVALID_ARGUMENT);
  ck_engine_free(e);
  fake_clear(&r);
}

static void ttl_and_early_refresh(void) {
  fake_redis r = {0};
  uint64_t clock = 0;
  ck_engine_config cfg = ck_engine_config_default();
  cfg.l1_enabled = false;
  cfg.ttl_refresh_enabled = true;
  ck_engine *e = NULL;
  EXPECT_RC(ck_engine_new(&cfg, NULL, &e), CK_OK);
  computer c = {.value = USER, .len = sizeof USER};
  ck_request q = req_of("k");
  q.ttl_secs = 600;
  call(e, SET, &q, &r, &clock, &c);
  find(&r, "k", 1)->ttl = 100; /* less than half left */
  r.log_n = 0;
  result out = call(e, GET, &q, &r, &clock, NULL);
  EXPECT(out.kind == CK_OUTCOME_HIT && out.source == CK_SOURCE_REDIS);
  ck_buf_free(&out.value);
  EXPECT_LOG(&r, "GET+TTL", "EXPIRE");
  EXPECT(find(&r, "k", 1)->ttl == 600);
  ck_engine_free(e);
  fake_clear(&r);

  cfg = ck_engine_config_default();
  cfg.l1_enabled = false;
  cfg.early_refresh_enabled = true;
  cfg.early_refresh_beta = 1e12; /* practically always draws a refresh */
  EXPECT_RC(ck_engine_new(&cfg, NULL, &e), CK_OK);
  call(e, GOC, &q, &r, &clock, &c);
  out = call(e, GOC, &q, &r, &clock, &c);
  EXPECT(out.kind == CK_OUTCOME_HIT && (out.flags & CK_OUTCOME_FLAG_REFRESH_AHEAD));
  ck_buf_free(&out.value);
  r.log_n = 0;
  computer fresh = {.value = USER2, .len = sizeof USER2};
  out = call(e, REFRESH, &q, &r, &clock, &fresh);
  EXPECT(out.kind == CK_OUTCOME_COMPUTED && (out.flags & CK_OUTCOME_FLAG_CACHED) && fresh.computed == 1);
  EXPECT_LOG(&r, "SET NX", "SET", "EVALSHA");
  /* A busy lock (another process refreshing): the refresh ends quietly. */
  set_string(&r, "k:lock", "other", 5, -1);
  out = call(e, REFRESH, &q, &r, &clock, &fresh);
  EXPECT(out.kind == CK_OUTCOME_MISS && fresh.computed == 1);
  ck_engine_free(e);
  fake_clear(&r);
}

static void encryption(void) {
  fake_redis r = {0};
  uint64_t clock = 0;
  ck_engine_config cfg;
  EXPECT_RC(ck_engine_config_for_intent("secure", &cfg), CK_OK);
  ck_engine *e = NULL;
  EXPECT_RC(ck_engine_new(&cfg, NULL, &e), CK_ENCRYPTION_REQUIRED);
  EXPECT(e == NULL);
  ck_keyring *kr = NULL;
  EXPECT_RC(ck_keyring_new_hex("6161616161616161616161616161616161616161616161616161616161616161", NULL, &kr), CK_OK);
  EXPECT_RC(ck_engine_new(&cfg, kr, &e), CK_OK);
  ck_keyring_free(kr); /* the engine keeps its own copy of the keys */
  computer c = {.value = USER, .len = sizeof USER};
  ck_request q = req_of("secret");
  call(e, SET, &q, &r, &clock, &c);
  entry *s = find(&r, "secret", 6);
  int plaintext = 0;
  for (size_t i = 0; s && i + 5 <= s->val_len; i++) plaintext |= memcmp(s->val + i, "alice", 5) == 0;
  EXPECT(s && !plaintext);
  /* Another engine with the same key reads it; one with another key gets a miss. */
  ck_keyring *same = NULL, *other = NULL;
  EXPECT_RC(ck_keyring_new_hex("6161616161616161616161616161616161616161616161616161616161616161", NULL, &same), CK_OK);
  EXPECT_RC(ck_keyring_new_hex("6262626262626262626262626262626262626262626262626262626262626262", NULL, &other), CK_OK);
  ck_engine *reader = NULL, *stranger = NULL;
  cfg.l1_enabled = false;
  EXPECT_RC(ck_engine_new(&cfg, same, &reader), CK_OK);
  cfg.fail_closed = true;
  EXPECT_RC(ck_engine_new(&cfg, other, &stranger), CK_OK);
  result out = call(reader, GET, &q, &r, &clock, NULL);
  EXPECT(out.kind == CK_OUTCOME_HIT && value_is(&out.value, USER, sizeof USER));
  ck_buf_free(&out.value);
  /* The stored bytes decode with the entry codec too (same key, same AAD). */
  ck_buf back = {0};
  EXPECT_RC(ck_entry_decode(CK_MODE_DEFAULT, "secret", same, s->val, s->val_len, &back), CK_OK);
  EXPECT(value_is(&back, USER, sizeof USER));
  ck_buf_free(&back);
  out = call(stranger, GET, &q, &r, &clock, NULL);
  EXPECT(out.kind == CK_OUTCOME_FAILED && out.error == CK_DECRYPTION_FAILED); /* fail-closed raises */
  ck_keyring_free(same);
  ck_keyring_free(other);
  ck_engine_free(e);
  ck_engine_free(reader);
  ck_engine_free(stranger);
  fake_clear(&r);
}

static void l1_stats_of_an_engine(void) {
  fake_redis r = {0};
  uint64_t clock = 0;
  ck_engine *e = engine_with(1, 0);
  computer c = {.value = USER, .len = sizeof USER};
  call(e, SET, &(ck_request){.key = "a"}, &r, &clock, &c);
  result out = call(e, GET, &(ck_request){.key = "a"}, &r, &clock, NULL);
  ck_buf_free(&out.value);
  ck_l1_stats s;
  EXPECT_RC(ck_engine_get_l1_stats(e, &s), CK_OK);
  EXPECT(s.entries == 1 && s.hits == 1 && s.budget == 1 << 20 && s.bytes > 0);
  ck_engine_free(e);
  e = engine_with(0, 0);
  memset(&s, 0xff, sizeof s);
  EXPECT_RC(ck_engine_get_l1_stats(e, &s), CK_OK);
  EXPECT(s.budget == 0 && s.entries == 0);
  EXPECT_RC(ck_engine_get_l1_stats(e, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_engine_get_l1_stats(NULL, &s), CK_INVALID_ARGUMENT);
  ck_engine_free(e);
  fake_clear(&r);
}

/* ------------------------------------------------------------------ one engine, many threads */

enum { THREADS = 4, KEYS = 8, ROUNDS = 40 };

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER; /* guards the fake Redis and the wake epoch */
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static uint64_t g_epoch;
static fake_redis g_redis;
static ck_engine *g_engine;
static int g_computed[KEYS];
static int g_bad;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void wake_all(const ck_step *s) {
  if (!s->wake_len) return;
  pthread_mutex_lock(&g_mu);
  g_epoch++;
  pthread_cond_broadcast(&g_cv);
  pthread_mutex_unlock(&g_mu);
}

static void *thread_main(void *arg) {
  int id = (int)(intptr_t)arg;
  for (int i = 0; i < ROUNDS; i++) {
    int k = (i + id) % KEYS;
    char key[16];
    snprintf(key, sizeof key, "tk%d", k);
    ck_request q = req_of(key);
    pthread_mutex_lock(&g_mu);
    uint64_t seen = g_epoch;
    pthread_mutex_unlock(&g_mu);
    ck_op *op = NULL;
    ck_step s;
    if (ck_engine_get_or_compute(g_engine, &q, now_ms(), &op, &s) != CK_OK) {
      __atomic_add_fetch(&g_bad, 1, __ATOMIC_RELAXED);
      continue;
    }
    while (s.action != CK_ACTION_DONE) {
      wake_all(&s);
      ck_step next;
      ck_result rc = CK_INTERNAL;
      if (s.action == CK_ACTION_SEND) {
        pthread_mutex_lock(&g_mu);
        ck_reply reply = exec(&g_redis, &s.command);
        rc = ck_op_on_reply(op, &reply, now_ms(), &next); /* the reply's memory is the fake's */
        seen = g_epoch;
        pthread_mutex_unlock(&g_mu);
      } else if (s.action == CK_ACTION_COMPUTE) {
        __atomic_add_fetch(&g_computed[k], 1, __ATOMIC_RELAXED);
        struct timespec pause = {0, 2 * 1000 * 1000}; /* a slow computation: others pile up */
        nanosleep(&pause, NULL);
        pthread_mutex_lock(&g_mu);
        seen = g_epoch;
        pthread_mutex_unlock(&g_mu);
        rc = ck_op_on_computed(op, USER, sizeof USER, NULL, now_ms(), &next);
      } else if (s.action == CK_ACTION_SLEEP) {
        pthread_mutex_lock(&g_mu);
        while (g_epoch == seen && now_ms() < s.sleep_until_ms) {
          struct timespec until;
          clock_gettime(CLOCK_REALTIME, &until);
          until.tv_nsec += 5 * 1000 * 1000;
          if (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
          pthread_cond_timedwait(&g_cv, &g_mu, &until);
        }
        seen = g_epoch;
        pthread_mutex_unlock(&g_mu);
        rc = ck_op_resume(op, now_ms(), &next);
      }
      if (rc != CK_OK) {
        __atomic_add_fetch(&g_bad, 1, __ATOMIC_RELAXED);
        break;
      }
      s = next;
    }
    wake_all(&s);
    if (s.outcome.kind == CK_OUTCOME_HIT && !value_is(&s.outcome.value, USER, sizeof USER))
      __atomic_add_fetch(&g_bad, 1, __ATOMIC_RELAXED);
    if (s.outcome.kind != CK_OUTCOME_HIT && s.outcome.kind != CK_OUTCOME_COMPUTED)
      __atomic_add_fetch(&g_bad, 1, __ATOMIC_RELAXED);
    ck_buf_free(&s.outcome.value);
    ck_op_free(op);
  }
  return NULL;
}

static void shared_engine(void) {
  EXPECT_RC(ck_engine_new(NULL, NULL, &g_engine), CK_OK);
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) EXPECT(pthread_create(&th[i], NULL, thread_main, (void *)(intptr_t)i) == 0);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  EXPECT(__atomic_load_n(&g_bad, __ATOMIC_RELAXED) == 0);
  for (int k = 0; k < KEYS; k++) {
    if (g_computed[k] != 1) fprintf(stderr, "key %d computed %d times\n", k, g_computed[k]);
    EXPECT(g_computed[k] == 1); /* single flight + fill lock + L1: exactly one computation per key */
  }
  ck_limiter_stats ls;
  EXPECT_RC(ck_engine_get_limiter_stats(g_engine, &ls), CK_OK);
  EXPECT(ls.in_flight == 0 && ls.queued == 0);
  ck_engine_free(g_engine);
  fake_clear(&g_redis);
}

int main(void) {
  config_defaults();
  set_get();
  get_or_compute_flow();
  single_flight();
  abandon_releases_the_lock();
  invalidation();
  redis_down_and_the_breaker();
  garbage_replies();
  protocol_misuse_and_ownership();
  backpressure_wakes();
  ttl_and_early_refresh();
  encryption();
  l1_stats_of_an_engine();
  shared_engine();
  return finish("engine");
}
