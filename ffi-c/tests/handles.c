/*
 * The state-machine handles from C: ck_l1, ck_breaker (+ ck_classify_redis_error),
 * ck_limiter and ck_adaptive_timeout. Happy paths, hostile inputs (NULL handles and
 * out-parameters, double frees, frees of the wrong type, invalid permits/tickets/waiters,
 * bad configurations, impossible lengths) and one L1 plus one breaker shared by threads.
 * Run natively, under valgrind and with ASan/UBSan by ffi-c/test.sh.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static int buf_is(const ck_buf *b, const char *s) { return b->ptr && b->len == strlen(s) && memcmp(b->ptr, s, b->len) == 0; }

/* ------------------------------------------------------------------ L1 */

static void l1_basics(void) {
  ck_l1 *l1 = NULL;
  EXPECT_RC(ck_l1_new(1 << 20, 0, 0, &l1), CK_OK);
  EXPECT(l1 != NULL);

  const char *tags[] = {"user:42", "team:7"};
  bool stored = false;
  EXPECT_RC(ck_l1_insert(l1, "users", "users:get:42", (const uint8_t *)"alice", 5, 1000, tags, 2, 0, &stored), CK_OK);
  EXPECT(stored);
  EXPECT_RC(ck_l1_insert(l1, "users", "users:get:43", (const uint8_t *)"bob", 3, 1000, tags + 1, 1, 0, NULL), CK_OK);
  EXPECT_RC(ck_l1_insert(l1, NULL, "free:1", (const uint8_t *)"x", 1, CK_L1_NO_EXPIRY, NULL, 0, 0, NULL), CK_OK);
  EXPECT_RC(ck_l1_insert(l1, NULL, "empty", NULL, 0, 1000, NULL, 0, 0, NULL), CK_OK); /* empty value */

  ck_buf out = {0};
  bool hit = false;
  EXPECT_RC(ck_l1_get(l1, "users:get:42", 999, &out, &hit), CK_OK);
  EXPECT(hit && buf_is(&out, "alice"));
  EXPECT(out.ptr[out.len] == 0); /* NUL after the bytes, as every ck_buf */
  ck_buf_free(&out);
  EXPECT_RC(ck_l1_get(l1, "users:get:42", 1000, &out, &hit), CK_OK); /* at its expiry: gone */
  EXPECT(!hit && out.ptr == NULL && out.len == 0);
  EXPECT_RC(ck_l1_get(l1, "empty", 1, &out, NULL), CK_OK);
  EXPECT(out.ptr != NULL && out.len == 0); /* a hit of 0 bytes is still non-NULL */
  ck_buf_free(&out);
  EXPECT_RC(ck_l1_get(l1, "free:1", UINT64_MAX - 1, &out, &hit), CK_OK);
  EXPECT(hit && buf_is(&out, "x"));
  ck_buf_free(&out);

  size_t n = 99;
  EXPECT_RC(ck_l1_invalidate_tag(l1, "team:7", &n), CK_OK);
  EXPECT(n == 1); /* 42 already expired and removed on its get; 43 carries team:7 */
  EXPECT_RC(ck_l1_invalidate_namespace(l1, "users", &n), CK_OK);
  EXPECT(n == 0);
  bool removed = false;
  EXPECT_RC(ck_l1_remove(l1, "free:1", &removed), CK_OK);
  EXPECT(removed);
  EXPECT_RC(ck_l1_remove(l1, "free:1", &removed), CK_OK);
  EXPECT(!removed);
  EXPECT_RC(ck_l1_insert(l1, NULL, "short", (const uint8_t *)"s", 1, 5, NULL, 0, 0, NULL), CK_OK);
  EXPECT_RC(ck_l1_purge_expired(l1, 10, &n), CK_OK);
  EXPECT(n == 1);
  EXPECT_RC(ck_l1_clear(l1), CK_OK);

  ck_l1_stats s;
  memset(&s, 0xff, sizeof s);
  EXPECT_RC(ck_l1_get_stats(l1, &s), CK_OK);
  EXPECT(s.hits == 3 && s.misses == 1 && s.inserts == 5 && s.entries == 0 && s.bytes == 0 && s.budget == 1 << 20);
  EXPECT(s.expirations == 2);
  ck_l1_free(l1);
}

static void l1_budget_and_cap(void) {
  ck_l1 *l1 = NULL;
  EXPECT_RC(ck_l1_new(64 * 1024, 4096, 1, &l1), CK_OK);
  uint8_t value[1024];
  fill_random(value, sizeof value);
  char key[32];
  for (int i = 0; i < 500; i++) {
    snprintf(key, sizeof key, "k:%d", i);
    EXPECT_RC(ck_l1_insert(l1, NULL, key, value, sizeof value, 60000, NULL, 0, (uint64_t)i, NULL), CK_OK);
  }
  ck_l1_stats s;
  EXPECT_RC(ck_l1_get_stats(l1, &s), CK_OK);
  EXPECT(s.bytes <= 64 * 1024 && s.evictions > 0 && s.entries < 500);
  /* Over the per-entry cap: refused, and an older value under the key is removed. */
  uint8_t big[8192] = {0};
  EXPECT_RC(ck_l1_insert(l1, NULL, "k:499", big, sizeof big, 60000, NULL, 0, 600, NULL), CK_VALUE_TOO_LARGE);
  ck_buf out = {0};
  bool hit = true;
  EXPECT_RC(ck_l1_get(l1, "k:499", 601, &out, &hit), CK_OK);
  EXPECT(!hit);
  EXPECT_RC(ck_l1_get_stats(l1, &s), CK_OK);
  EXPECT(s.rejected == 1);
  ck_l1_free(l1);
}

static void l1_hostile(void) {
  ck_l1 *l1 = (ck_l1 *)(uintptr_t)0x1;
  EXPECT_RC(ck_l1_new(0, 0, 0, &l1), CK_INVALID_ARGUMENT);
  EXPECT(l1 == NULL);
  EXPECT_RC(ck_l1_new(1000, 2000, 0, &l1), CK_INVALID_ARGUMENT); /* cap over the budget */
  EXPECT_RC(ck_l1_new(1000, 0, 3, &l1), CK_INVALID_ARGUMENT);    /* shards not a power of two */
  EXPECT_RC(ck_l1_new(1000, 0, 4096, &l1), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_new(1000, 0, 0, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_new(1 << 16, 0, 0, &l1), CK_OK);

  ck_buf out = {(uint8_t *)(uintptr_t)0x1, 7};
  bool hit = true;
  EXPECT_RC(ck_l1_get(NULL, "k", 0, &out, &hit), CK_INVALID_ARGUMENT);
  EXPECT(out.ptr == NULL && !hit);
  EXPECT_RC(ck_l1_get(l1, NULL, 0, &out, &hit), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_get(l1, "k", 0, NULL, &hit), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_get(l1, "\xff\xfe", 0, &out, &hit), CK_INVALID_STRING);

  const char *tags[70];
  for (int i = 0; i < 70; i++) tags[i] = "t";
  const char *null_tag[] = {"a", NULL};
  const char *empty_tag[] = {""};
  const uint8_t v[] = "v";
  EXPECT_RC(ck_l1_insert(NULL, NULL, "k", v, 1, 10, NULL, 0, 0, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_insert(l1, NULL, NULL, v, 1, 10, NULL, 0, 0, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_insert(l1, NULL, "k", NULL, 1, 10, NULL, 0, 0, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_insert(l1, NULL, "k", v, SIZE_MAX, 10, NULL, 0, 0, NULL), CK_VALUE_TOO_LARGE);
  EXPECT_RC(ck_l1_insert(l1, NULL, "k", v, 1, 0, NULL, 0, 0, NULL), CK_INVALID_TTL);
  EXPECT_RC(ck_l1_insert(l1, "", "k", v, 1, 10, NULL, 0, 0, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_insert(l1, NULL, "k", v, 1, 10, NULL, 3, 0, NULL), CK_INVALID_ARGUMENT);       /* NULL + len */
  EXPECT_RC(ck_l1_insert(l1, NULL, "k", v, 1, 10, null_tag, 2, 0, NULL), CK_INVALID_ARGUMENT);   /* a NULL tag */
  EXPECT_RC(ck_l1_insert(l1, NULL, "k", v, 1, 10, empty_tag, 1, 0, NULL), CK_INVALID_ARGUMENT);  /* empty tag */
  EXPECT_RC(ck_l1_insert(l1, NULL, "k", v, 1, 10, tags, 70, 0, NULL), CK_INVALID_ARGUMENT);      /* > 64 tags */
  EXPECT_RC(ck_l1_insert(l1, NULL, "k", v, 1, 10, tags, SIZE_MAX, 0, NULL), CK_INVALID_ARGUMENT); /* never read */
  EXPECT_RC(ck_l1_insert(l1, "\xc3\x28", "k", v, 1, 10, NULL, 0, 0, NULL), CK_INVALID_STRING);
  EXPECT_RC(ck_l1_remove(NULL, "k", NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_remove(l1, NULL, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_invalidate_namespace(NULL, "n", NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_invalidate_namespace(l1, NULL, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_invalidate_tag(l1, NULL, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_purge_expired(NULL, 0, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_clear(NULL), CK_INVALID_ARGUMENT);
  ck_l1_stats s;
  EXPECT_RC(ck_l1_get_stats(NULL, &s), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_get_stats(l1, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_l1_get_stats(l1, &s), CK_OK);
  EXPECT(s.inserts == 0 && s.entries == 0);

  /* Frees: NULL, twice, a pointer of another handle type, a stack address. */
  ck_breaker *b = NULL;
  EXPECT_RC(ck_breaker_new(NULL, &b), CK_OK);
  ck_l1_free(NULL);
  ck_l1_free((ck_l1 *)b); /* not an L1: ignored, the breaker stays alive */
  int on_stack = 0;
  ck_l1_free((ck_l1 *)&on_stack);
  ck_l1_free(l1);
  ck_l1_free(l1);
  ck_breaker_state st = 99;
  EXPECT_RC(ck_breaker_get_state(b, &st), CK_OK);
  EXPECT(st == CK_BREAKER_CLOSED);
  ck_breaker_free(b);
  ck_breaker_free(b);
}

/* ------------------------------------------------------------------ breaker */

static void breaker_lifecycle(void) {
  ck_breaker_config cfg = ck_breaker_config_default();
  EXPECT(cfg.failure_threshold == 5 && cfg.failure_window_ms == 60000 && cfg.open_duration_ms == 30000);
  EXPECT(cfg.half_open_probes == 3 && cfg.success_threshold == 3);
  cfg.failure_threshold = 3;
  cfg.open_duration_ms = 1000;
  cfg.half_open_probes = 2;
  cfg.success_threshold = 2;
  ck_breaker *b = NULL;
  EXPECT_RC(ck_breaker_new(&cfg, &b), CK_OK);

  uint64_t p[4] = {0};
  /* Successes never reset the rolling count; 3 failures open it. */
  for (int i = 0; i < 3; i++) {
    EXPECT_RC(ck_breaker_try_acquire(b, 10, &p[i]), CK_OK);
    EXPECT(p[i] != 0);
  }
  EXPECT(p[0] != p[1] && p[1] != p[2]);
  EXPECT_RC(ck_breaker_record(b, p[0], CK_CALL_FAILURE, 10), CK_OK);
  EXPECT_RC(ck_breaker_record(b, p[1], CK_CALL_SUCCESS, 10), CK_OK);
  EXPECT_RC(ck_breaker_record(b, p[2], CK_CALL_FAILURE, 11), CK_OK);
  ck_breaker_state st;
  EXPECT_RC(ck_breaker_get_state(b, &st), CK_OK);
  EXPECT(st == CK_BREAKER_CLOSED);
  EXPECT_RC(ck_breaker_try_acquire(b, 12, &p[0]), CK_OK);
  EXPECT_RC(ck_breaker_record(b, p[0], CK_CALL_FAILURE, 12), CK_OK);
  EXPECT_RC(ck_breaker_get_state(b, &st), CK_OK);
  EXPECT(st == CK_BREAKER_OPEN);
  EXPECT(strcmp(ck_breaker_state_name(st), "open") == 0);

  ck_breaker_snapshot snap;
  EXPECT_RC(ck_breaker_get_snapshot(b, 512, &snap), CK_OK);
  EXPECT(snap.state == CK_BREAKER_OPEN && snap.time_until_half_open_ms == 500 && snap.opened == 1);
  EXPECT(snap.failures == 3 && snap.permits_outstanding == 0);

  uint64_t refused = 7;
  EXPECT_RC(ck_breaker_try_acquire(b, 500, &refused), CK_CIRCUIT_OPEN);
  EXPECT(refused == 0);
  /* After the cool-down: two probes, both succeed -> closed. */
  EXPECT_RC(ck_breaker_try_acquire(b, 1012, &p[0]), CK_OK);
  EXPECT_RC(ck_breaker_try_acquire(b, 1012, &p[1]), CK_OK);
  EXPECT_RC(ck_breaker_try_acquire(b, 1012, &p[2]), CK_CIRCUIT_OPEN); /* every probe slot in use */
  EXPECT_RC(ck_breaker_get_snapshot(b, 1012, &snap), CK_OK);
  EXPECT(snap.state == CK_BREAKER_HALF_OPEN && snap.probes_in_flight == 2 && snap.permits_outstanding == 2);
  EXPECT_RC(ck_breaker_record(b, p[0], CK_CALL_SUCCESS, 1013), CK_OK);
  EXPECT_RC(ck_breaker_record(b, p[1], CK_CALL_SUCCESS, 1013), CK_OK);
  EXPECT_RC(ck_breaker_get_state(b, &st), CK_OK);
  EXPECT(st == CK_BREAKER_CLOSED);
  EXPECT_RC(ck_breaker_get_snapshot(b, 1013, &snap), CK_OK);
  EXPECT(snap.closed == 1 && snap.half_opened == 1 && snap.rejected == 2);

  /* A neutral outcome never opens it; reset forces closed. */
  for (int i = 0; i < 10; i++) {
    EXPECT_RC(ck_breaker_try_acquire(b, 2000, &p[0]), CK_OK);
    EXPECT_RC(ck_breaker_record(b, p[0], CK_CALL_NEUTRAL, 2000), CK_OK);
  }
  EXPECT_RC(ck_breaker_reset(b), CK_OK);
  EXPECT_RC(ck_breaker_get_snapshot(b, 2000, &snap), CK_OK);
  EXPECT(snap.state == CK_BREAKER_CLOSED && snap.resets == 1);
  ck_breaker_free(b);
}

static void breaker_hostile(void) {
  ck_breaker *b = (ck_breaker *)(uintptr_t)0x1;
  ck_breaker_config cfg = ck_breaker_config_default();
  cfg.half_open_probes = 1; /* fewer probes than successes needed: could never close */
  EXPECT_RC(ck_breaker_new(&cfg, &b), CK_INVALID_ARGUMENT);
  EXPECT(b == NULL);
  cfg = ck_breaker_config_default();
  cfg.failure_threshold = 0;
  EXPECT_RC(ck_breaker_new(&cfg, &b), CK_INVALID_ARGUMENT);
  cfg = ck_breaker_config_default();
  cfg.open_duration_ms = 0;
  EXPECT_RC(ck_breaker_new(&cfg, &b), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_breaker_new(NULL, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_breaker_new(NULL, &b), CK_OK);

  uint64_t p = 0;
  EXPECT_RC(ck_breaker_try_acquire(NULL, 0, &p), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_breaker_try_acquire(b, 0, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_breaker_try_acquire(b, 0, &p), CK_OK);
  /* Invalid permits: never issued, zero, recorded twice, garbage, from another breaker. */
  EXPECT_RC(ck_breaker_record(b, 0, CK_CALL_FAILURE, 0), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_breaker_record(b, p + 1000, CK_CALL_FAILURE, 0), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_breaker_record(b, UINT64_MAX, CK_CALL_FAILURE, 0), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_breaker_record(b, p, 0, 0), CK_INVALID_ARGUMENT); /* unknown outcome: permit kept */
  EXPECT_RC(ck_breaker_record(b, p, 99, 0), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_breaker_record(NULL, p, CK_CALL_SUCCESS, 0), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_breaker_record(b, p, CK_CALL_FAILURE, 0), CK_OK);
  EXPECT_RC(ck_breaker_record(b, p, CK_CALL_FAILURE, 0), CK_INVALID_ARGUMENT); /* twice */
  ck_breaker *other = NULL;
  EXPECT_RC(ck_breaker_new(NULL, &other), CK_OK);
  uint64_t q = 0;
  EXPECT_RC(ck_breaker_try_acquire(other, 0, &q), CK_OK);
  EXPECT_RC(ck_breaker_try_acquire(other, 0, &q), CK_OK); /* q = 2: b issued only 1 */
  EXPECT_RC(ck_breaker_record(b, q, CK_CALL_FAILURE, 0), CK_INVALID_ARGUMENT);
  for (uint64_t i = 0; i < 1000; i++) {
    uint64_t garbage = rnd();
    if (garbage > 16) EXPECT_RC(ck_breaker_record(b, garbage, CK_CALL_FAILURE, 0), CK_INVALID_ARGUMENT);
  }
  ck_breaker_snapshot snap;
  EXPECT_RC(ck_breaker_get_snapshot(b, 0, &snap), CK_OK);
  EXPECT(snap.failures == 1 && snap.failures_in_window == 1); /* only the one real failure counted */
  EXPECT_RC(ck_breaker_get_snapshot(other, 0, &snap), CK_OK);
  EXPECT(snap.permits_outstanding == 2);

  ck_breaker_state st;
  EXPECT_RC(ck_breaker_get_state(NULL, &st), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_breaker_get_state(b, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_breaker_get_snapshot(NULL, 0, &snap), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_breaker_get_snapshot(b, 0, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_breaker_reset(NULL), CK_INVALID_ARGUMENT);
  EXPECT(strcmp(ck_breaker_state_name(42), "invalid") == 0);
  ck_breaker_free(other); /* with permits outstanding: they die with it */
  ck_breaker_free(b);
  ck_breaker_free(b);
  ck_breaker_free(NULL);
}

static void classification(void) {
  struct {
    const char *text;
    ck_error_class want;
  } cases[] = {
      {"WRONGTYPE Operation against a key holding the wrong kind of value", CK_ERROR_CLASS_PERMANENT},
      {"-LOADING Redis is loading the dataset in memory", CK_ERROR_CLASS_TRANSIENT},
      {"NOAUTH Authentication required.", CK_ERROR_CLASS_AUTH},
      {"ERR max number of clients reached", CK_ERROR_CLASS_TRANSIENT},
      {"NOSCRIPT No matching script. Please use EVAL.", CK_ERROR_CLASS_PERMANENT},
      {"Connection refused", CK_ERROR_CLASS_TRANSIENT},       /* hiredis errstr */
      {"Server closed the connection", CK_ERROR_CLASS_TRANSIENT},
      {"Resource temporarily unavailable", CK_ERROR_CLASS_UNKNOWN}, /* a hiredis timeout's errstr */
      {"Command timed out", CK_ERROR_CLASS_TIMEOUT},
      {"something odd", CK_ERROR_CLASS_UNKNOWN},
      {"", CK_ERROR_CLASS_UNKNOWN},
      {"\xff\xfe garbage \xc3\x28", CK_ERROR_CLASS_UNKNOWN}, /* not UTF-8: still classified */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ck_error_class c = 0;
    EXPECT_RC(ck_classify_redis_error(cases[i].text, &c), CK_OK);
    if (c != cases[i].want) fprintf(stderr, "classify(%s) = %s\n", cases[i].text, ck_error_class_name(c));
    EXPECT(c == cases[i].want);
  }
  EXPECT(ck_error_class_counts_as_failure(CK_ERROR_CLASS_TRANSIENT));
  EXPECT(ck_error_class_counts_as_failure(CK_ERROR_CLASS_TIMEOUT));
  EXPECT(ck_error_class_counts_as_failure(CK_ERROR_CLASS_UNKNOWN));
  EXPECT(!ck_error_class_counts_as_failure(CK_ERROR_CLASS_PERMANENT));
  EXPECT(!ck_error_class_counts_as_failure(CK_ERROR_CLASS_AUTH));
  EXPECT(!ck_error_class_counts_as_failure(CK_ERROR_CLASS_APPLICATION));
  EXPECT(!ck_error_class_counts_as_failure(0) && !ck_error_class_counts_as_failure(UINT32_MAX));
  EXPECT(strcmp(ck_error_class_name(CK_ERROR_CLASS_AUTH), "authentication") == 0);
  EXPECT(strcmp(ck_error_class_name(7), "invalid") == 0);
  ck_error_class c;
  EXPECT_RC(ck_classify_redis_error(NULL, &c), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_classify_redis_error("ERR x", NULL), CK_INVALID_ARGUMENT);
}

/* ------------------------------------------------------------------ limiter */

static void limiter_flow(void) {
  ck_limiter_config cfg = ck_limiter_config_default();
  EXPECT(cfg.max_in_flight == 100 && cfg.max_queued == 1000 && cfg.max_wait_ms == 100);
  cfg.max_in_flight = 2;
  cfg.max_queued = 2;
  cfg.max_wait_ms = 50;
  ck_limiter *l = NULL;
  EXPECT_RC(ck_limiter_new(&cfg, &l), CK_OK);

  ck_admission a1, a2, w1, w2, full;
  EXPECT_RC(ck_limiter_admit(l, 0, &a1), CK_OK);
  EXPECT_RC(ck_limiter_admit(l, 0, &a2), CK_OK);
  EXPECT(a1.kind == CK_ADMIT_RUN && a2.kind == CK_ADMIT_RUN && a1.ticket && a2.ticket && a1.ticket != a2.ticket);
  EXPECT_RC(ck_limiter_admit(l, 1, &w1), CK_OK);
  EXPECT_RC(ck_limiter_admit(l, 2, &w2), CK_OK);
  EXPECT(w1.kind == CK_ADMIT_WAIT && w1.waiter && w1.deadline_ms == 51 && w2.deadline_ms == 52);
  memset(&full, 0xff, sizeof full);
  EXPECT_RC(ck_limiter_admit(l, 3, &full), CK_OVERLOADED);
  EXPECT(full.kind == 0 && full.ticket == 0);

  /* A spurious wake-up: still waiting. */
  ck_admission p;
  EXPECT_RC(ck_limiter_poll(l, w1.waiter, 10, &p), CK_OK);
  EXPECT(p.kind == CK_ADMIT_WAIT && p.waiter == w1.waiter && p.deadline_ms == 51);
  /* Releasing a slot hands it to the oldest waiter (FIFO). */
  uint64_t wake = 0;
  EXPECT_RC(ck_limiter_release(l, a1.ticket, 20, &wake), CK_OK);
  EXPECT(wake == w1.waiter);
  EXPECT_RC(ck_limiter_poll(l, w1.waiter, 21, &p), CK_OK);
  EXPECT(p.kind == CK_ADMIT_RUN && p.ticket != 0);
  uint64_t t1 = p.ticket;
  /* w2 gives up; then its deadline-free spot is gone. */
  EXPECT_RC(ck_limiter_cancel(l, w2.waiter, 22, &wake), CK_OK);
  EXPECT(wake == 0);
  EXPECT_RC(ck_limiter_poll(l, w2.waiter, 23, &p), CK_OVERLOADED);
  /* A waiter past its deadline is rejected. */
  ck_admission w3;
  EXPECT_RC(ck_limiter_admit(l, 30, &w3), CK_OK);
  EXPECT(w3.kind == CK_ADMIT_WAIT);
  EXPECT_RC(ck_limiter_poll(l, w3.waiter, 81, &p), CK_OVERLOADED);

  EXPECT_RC(ck_limiter_release(l, a2.ticket, 90, &wake), CK_OK);
  EXPECT_RC(ck_limiter_release(l, t1, 90, NULL), CK_OK);
  ck_limiter_stats s;
  EXPECT_RC(ck_limiter_get_stats(l, &s), CK_OK);
  EXPECT(s.in_flight == 0 && s.queued == 0 && s.admitted == 2 && s.queued_total == 3 && s.handed_off == 1);
  EXPECT(s.rejected_queue_full == 1 && s.rejected_expired == 1 && s.cancelled == 1 && s.unknown_releases == 0);
  ck_limiter_free(l);
}

static void limiter_hostile(void) {
  ck_limiter *l = (ck_limiter *)(uintptr_t)0x1;
  ck_limiter_config cfg = ck_limiter_config_default();
  cfg.max_in_flight = 0;
  EXPECT_RC(ck_limiter_new(&cfg, &l), CK_INVALID_ARGUMENT);
  EXPECT(l == NULL);
  EXPECT_RC(ck_limiter_new(NULL, NULL), CK_INVALID_ARGUMENT);
  cfg = ck_limiter_config_default();
  cfg.max_queued = 0; /* queuing off: the second call is refused at once */
  cfg.max_in_flight = 1;
  EXPECT_RC(ck_limiter_new(&cfg, &l), CK_OK);
  ck_admission a, b;
  EXPECT_RC(ck_limiter_admit(l, 0, &a), CK_OK);
  EXPECT_RC(ck_limiter_admit(l, 0, &b), CK_OVERLOADED);
  EXPECT_RC(ck_limiter_admit(NULL, 0, &b), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_limiter_admit(l, 0, NULL), CK_INVALID_ARGUMENT);
  uint64_t wake = 5;
  EXPECT_RC(ck_limiter_release(l, 0, 0, &wake), CK_INVALID_ARGUMENT); /* ticket 0 is never issued */
  EXPECT(wake == 0);
  EXPECT_RC(ck_limiter_release(NULL, a.ticket, 0, &wake), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_limiter_release(l, a.ticket, 0, &wake), CK_OK);
  EXPECT_RC(ck_limiter_release(l, a.ticket, 0, &wake), CK_OK); /* twice: ignored and counted */
  EXPECT_RC(ck_limiter_release(l, UINT64_MAX, 0, &wake), CK_OK);
  EXPECT_RC(ck_limiter_poll(l, 0, 0, &b), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_limiter_poll(l, 12345, 0, &b), CK_OVERLOADED); /* unknown waiter */
  EXPECT_RC(ck_limiter_poll(l, 1, 0, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_limiter_cancel(l, 0, 0, &wake), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_limiter_cancel(l, 999, 0, &wake), CK_OK); /* unknown: ignored */
  EXPECT_RC(ck_limiter_cancel(NULL, 1, 0, &wake), CK_INVALID_ARGUMENT);
  ck_limiter_stats s;
  EXPECT_RC(ck_limiter_get_stats(l, &s), CK_OK);
  EXPECT(s.unknown_releases == 2 && s.in_flight == 0);
  EXPECT_RC(ck_limiter_get_stats(NULL, &s), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_limiter_get_stats(l, NULL), CK_INVALID_ARGUMENT);
  ck_limiter_free(l);
  ck_limiter_free(l);
  ck_limiter_free(NULL);
}

/* ------------------------------------------------------------------ adaptive timeout */

static void adaptive_timeout(void) {
  ck_adaptive_timeout_config cfg = ck_adaptive_timeout_config_default();
  EXPECT(cfg.window == 1000 && cfg.min_samples == 20 && cfg.multiplier == 2.0 && cfg.min_timeout_ms == 50 &&
         cfg.max_timeout_ms == 5000);
  ck_adaptive_timeout *t = NULL;
  EXPECT_RC(ck_adaptive_timeout_new(NULL, &t), CK_OK);
  uint64_t ms = 0;
  EXPECT_RC(ck_adaptive_timeout_get(t, 0, &ms), CK_OK);
  EXPECT(ms == 5000); /* untrusted: fewer than 20 samples */
  for (int i = 1; i <= 100; i++) EXPECT_RC(ck_adaptive_timeout_observe(t, (double)i, 1000), CK_OK);
  EXPECT_RC(ck_adaptive_timeout_observe(t, 0.0 / 0.0, 1000), CK_OK); /* NaN: ignored */
  EXPECT_RC(ck_adaptive_timeout_observe(t, -5.0, 1000), CK_OK);      /* counts as 0 */
  ck_timeout_snapshot s;
  EXPECT_RC(ck_adaptive_timeout_get_snapshot(t, 1000, &s), CK_OK);
  EXPECT(s.samples == 101 && s.has_percentiles && s.p99_ms == 99.0 && s.timeout_ms == 198 && s.observed_total == 101);
  EXPECT_RC(ck_adaptive_timeout_get(t, 5000, &ms), CK_OK);
  EXPECT(ms == 198);
  /* Samples older than max_age stop counting. */
  EXPECT_RC(ck_adaptive_timeout_get_snapshot(t, 1000 + 60001, &s), CK_OK);
  EXPECT(s.samples == 0 && !s.has_percentiles && s.timeout_ms == 5000);
  EXPECT_RC(ck_adaptive_timeout_clear(t), CK_OK);
  EXPECT_RC(ck_adaptive_timeout_get_snapshot(t, 1000, &s), CK_OK);
  EXPECT(s.samples == 0);
  ck_adaptive_timeout_free(t);

  /* Hostile: bad configurations, NULLs, frees. */
  ck_adaptive_timeout_config bad[6];
  for (int i = 0; i < 6; i++) bad[i] = ck_adaptive_timeout_config_default();
  bad[0].window = 0;
  bad[1].min_samples = 1001;
  bad[2].multiplier = 0.5;
  bad[3].multiplier = 1.0 / 0.0;
  bad[4].min_timeout_ms = 6000;
  bad[5].window = SIZE_MAX; /* refused before allocating */
  for (int i = 0; i < 6; i++) {
    t = (ck_adaptive_timeout *)(uintptr_t)0x1;
    EXPECT_RC(ck_adaptive_timeout_new(&bad[i], &t), CK_INVALID_ARGUMENT);
    EXPECT(t == NULL);
  }
  EXPECT_RC(ck_adaptive_timeout_new(NULL, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_adaptive_timeout_observe(NULL, 1.0, 0), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_adaptive_timeout_get(NULL, 0, &ms), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_adaptive_timeout_get_snapshot(NULL, 0, &s), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_adaptive_timeout_clear(NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_adaptive_timeout_new(NULL, &t), CK_OK);
  EXPECT_RC(ck_adaptive_timeout_get(t, 0, NULL), CK_INVALID_ARGUMENT);
  EXPECT_RC(ck_adaptive_timeout_get_snapshot(t, 0, NULL), CK_INVALID_ARGUMENT);
  ck_adaptive_timeout_free(t);
  ck_adaptive_timeout_free(t);
  ck_adaptive_timeout_free(NULL);
}

/* ------------------------------------------------------------------ threads */

enum { THREADS = 4, ROUNDS = 400 };
static ck_l1 *g_l1;
static ck_breaker *g_breaker;
static int g_thread_failures;
#define TFAIL() __atomic_add_fetch(&g_thread_failures, 1, __ATOMIC_RELAXED)

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  char key[32], ns[8];
  uint8_t value[256];
  memset(value, id, sizeof value);
  snprintf(ns, sizeof ns, "ns%d", id % 2);
  for (int i = 0; i < ROUNDS; i++) {
    snprintf(key, sizeof key, "t%d:k%d", id, i % 50);
    const char *tag[] = {id % 2 ? "odd" : "even"};
    if (ck_l1_insert(g_l1, ns, key, value, sizeof value, 10000, tag, 1, (uint64_t)i, NULL) != CK_OK) TFAIL();
    ck_buf out = {0};
    bool hit = false;
    if (ck_l1_get(g_l1, key, (uint64_t)i, &out, &hit) != CK_OK) TFAIL();
    if (hit && (out.len != sizeof value || out.ptr[0] != (uint8_t)id)) TFAIL();
    ck_buf_free(&out);
    if (i % 97 == 0) ck_l1_invalidate_tag(g_l1, id % 2 ? "even" : "odd", NULL);
    uint64_t permit = 0;
    if (ck_breaker_try_acquire(g_breaker, 0, &permit) == CK_OK &&
        ck_breaker_record(g_breaker, permit, i % 3 ? CK_CALL_SUCCESS : CK_CALL_NEUTRAL, 0) != CK_OK)
      TFAIL();
    /* Each thread's last error is its own. */
    if (ck_l1_get(g_l1, NULL, 0, &out, NULL) != CK_INVALID_ARGUMENT || ck_last_error_message(NULL, 0) == 0)
      TFAIL();
  }
  return NULL;
}

static void shared_between_threads(void) {
  EXPECT_RC(ck_l1_new(32 * 1024, 0, 4, &g_l1), CK_OK);
  EXPECT_RC(ck_breaker_new(NULL, &g_breaker), CK_OK);
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) EXPECT(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) == 0);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  EXPECT(__atomic_load_n(&g_thread_failures, __ATOMIC_RELAXED) == 0);
  ck_l1_stats s;
  EXPECT_RC(ck_l1_get_stats(g_l1, &s), CK_OK);
  EXPECT(s.bytes <= 32 * 1024 && s.inserts == THREADS * ROUNDS);
  ck_breaker_snapshot snap;
  EXPECT_RC(ck_breaker_get_snapshot(g_breaker, 0, &snap), CK_OK);
  EXPECT(snap.state == CK_BREAKER_CLOSED && snap.permits_outstanding == 0);
  ck_l1_free(g_l1);
  ck_breaker_free(g_breaker);
}

int main(void) {
  l1_basics();
  l1_budget_and_cap();
  l1_hostile();
  breaker_lifecycle();
  breaker_hostile();
  classification();
  limiter_flow();
  limiter_hostile();
  adaptive_timeout();
  shared_between_threads();
  return finish("handles");
}
