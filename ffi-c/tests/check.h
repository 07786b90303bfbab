/* Minimal assertion helpers shared by the C tests of libcachekit (ffi-c/tests/). */
#ifndef CACHEKIT_TEST_CHECK_H
#define CACHEKIT_TEST_CHECK_H

#include <cachekit.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int g_failures;
static int g_checks;

#define EXPECT(cond)                                                        \
  do {                                                                      \
    g_checks++;                                                             \
    if (!(cond)) {                                                          \
      fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);   \
      g_failures++;                                                         \
    }                                                                       \
  } while (0)

#define EXPECT_RC(call, want)                                                                        \
  do {                                                                                               \
    g_checks++;                                                                                      \
    ck_result rc_ = (call);                                                                          \
    ck_result want_ = (want);                                                                        \
    if (rc_ != want_) {                                                                              \
      char detail_[512];                                                                             \
      ck_last_error_message(detail_, sizeof detail_);                                                \
      fprintf(stderr, "%s:%d: %s returned %d %s, want %d %s [%s]\n", __FILE__, __LINE__, #call, rc_, \
              ck_error_name(rc_), want_, ck_error_name(want_), detail_);                             \
      g_failures++;                                                                                  \
    }                                                                                                \
  } while (0)

/* A call that must fail (any code but CK_OK) with a known code. */
#define EXPECT_FAIL(call)                                                                   \
  do {                                                                                      \
    g_checks++;                                                                             \
    ck_result rc_ = (call);                                                                 \
    if (rc_ == CK_OK || strcmp(ck_error_name(rc_), "unknown") == 0) {                       \
      fprintf(stderr, "%s:%d: %s returned %d, want a known failure\n", __FILE__, __LINE__, \
              #call, rc_);                                                                  \
      g_failures++;                                                                         \
    }                                                                                       \
  } while (0)

static inline int finish(const char *name) {
  if (g_failures) {
    fprintf(stderr, "%s: %d of %d checks FAILED\n", name, g_failures, g_checks);
    return 1;
  }
  printf("%s: %d checks passed\n", name, g_checks);
  return 0;
}

/* Deterministic xorshift PRNG for garbage inputs (reproducible runs). */
static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static inline uint64_t rnd(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return g_rng;
}
static inline void fill_random(uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd();
}

#endif
