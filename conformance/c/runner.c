/*
 * conformance/c/runner.c: runs cachekit conformance vector files through the C library
 * (include/cachekit.h, libcachekit), implementing the runner contract of VECTORS.md:
 *
 *   cachekit-c-runner FILE...
 *   -> "FAIL file:section/name: reason" per failing vector, then "N passed, N failed[, N skipped]"
 *      exit 1 when anything failed.
 *
 * Built and run by conformance/runners/c (conformance/run --binding c FILE...). It checks
 * the same things as the Rust runner (conformance/runner/src/schemas.rs), but only through
 * the public C surface: values and arguments go in as MessagePack built here from the tagged
 * JSON (sets, UUIDs, big integers and temporal values through the ck_msgpack_* helpers, as a
 * C user would), and values come back as MessagePack that is compared structurally with the
 * expected tagged JSON (encoded here, independently of the library).
 *
 * Harness code: every allocation of one vector lives in a per-vector arena freed after the
 * vector, so the runner is leak-free under valgrind whatever path a check takes.
 */
#define _GNU_SOURCE
#include <cachekit.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ report */

static const char *g_file = "";
static long g_passed, g_failed, g_skipped;
static char g_why[8192];

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_why, sizeof g_why, fmt, ap);
  va_end(ap);
  return 1;
}

static void record(const char *section, const char *name, int failed) {
  if (failed) {
    g_failed++;
    printf("FAIL %s:%s/%s: %s\n", g_file, section, name, g_why);
  } else {
    g_passed++;
  }
  g_why[0] = 0;
}

/* ------------------------------------------------------------------ arena */

typedef struct {
  uint8_t *p;
  size_t n, cap;
} bytes;

enum { A_BYTES, A_CKBUF, A_KEYRING, A_JSON };
typedef struct {
  int kind;
  void *ptr;
} arena_item;
static arena_item *g_arena;
static size_t g_arena_n, g_arena_cap;

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  return p;
}

static void *track(int kind, void *ptr) {
  if (g_arena_n == g_arena_cap) {
    g_arena_cap = g_arena_cap ? 2 * g_arena_cap : 64;
    arena_item *a = realloc(g_arena, g_arena_cap * sizeof *a);
    if (!a) {
      fprintf(stderr, "out of memory\n");
      exit(2);
    }
    g_arena = a;
  }
  g_arena[g_arena_n].kind = kind;
  g_arena[g_arena_n].ptr = ptr;
  g_arena_n++;
  return ptr;
}

static void arena_reset(void) {
  for (size_t i = g_arena_n; i-- > 0;) {
    void *p = g_arena[i].ptr;
    switch (g_arena[i].kind) {
      case A_BYTES:
        free(((bytes *)p)->p);
        free(p);
        break;
      case A_CKBUF:
        ck_buf_free((ck_buf *)p);
        free(p);
        break;
      case A_KEYRING:
        ck_keyring_free((ck_keyring *)p);
        break;
      case A_JSON:
        json_decref((json_t *)p);
        break;
    }
  }
  g_arena_n = 0;
}

static bytes *new_bytes(void) {
  bytes *b = xmalloc(sizeof *b);
  b->p = NULL;
  b->n = b->cap = 0;
  return track(A_BYTES, b);
}

static ck_buf *new_buf(void) {
  ck_buf *b = xmalloc(sizeof *b);
  b->ptr = NULL;
  b->len = 0;
  return track(A_CKBUF, b);
}

static void b_append(bytes *b, const void *data, size_t n) {
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + n) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
      fprintf(stderr, "out of memory\n");
      exit(2);
    }
    b->p = p;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->n, data, n);
  b->n += n;
}

static void b_byte(bytes *b, uint8_t x) { b_append(b, &x, 1); }

static void b_be(bytes *b, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; i--) b_byte(b, (uint8_t)(v >> (8 * i)));
}

/* ------------------------------------------------------------------ hex and errors */

static int unhex(const char *s, bytes *out) {
  size_t n = strlen(s);
  if (n % 2) return fail("odd-length hex");
  for (size_t i = 0; i < n; i += 2) {
    unsigned v;
    char pair[3] = {s[i], s[i + 1], 0};
    char *end;
    v = (unsigned)strtoul(pair, &end, 16);
    if (*end || !isxdigit((unsigned char)pair[0]) || !isxdigit((unsigned char)pair[1]))
      return fail("bad hex near offset %zu", i);
    b_byte(out, (uint8_t)v);
  }
  return 0;
}

/* Lowercase hex of at most `max` bytes (arena string). */
static const char *hexs(const uint8_t *p, size_t n) {
  size_t shown = n > 96 ? 96 : n;
  bytes *s = new_bytes();
  static const char d[] = "0123456789abcdef";
  for (size_t i = 0; i < shown; i++) {
    b_byte(s, (uint8_t)d[p[i] >> 4]);
    b_byte(s, (uint8_t)d[p[i] & 15]);
  }
  if (shown < n) b_append(s, "...", 3);
  b_byte(s, 0);
  return (const char *)s->p;
}

/* "name (code): detail" of the calling thread's last failure (the detail already starts
 * with name and code; fall back to them when there is none). */
static const char *errs(ck_result rc) {
  static char buf[1024];
  if (ck_last_error_message(buf, sizeof buf) == 0) snprintf(buf, sizeof buf, "%s (%d)", ck_error_name(rc), rc);
  return buf;
}

static int eq_bytes(const char *what, const uint8_t *got, size_t gn, const bytes *want) {
  if (gn == want->n && (gn == 0 || memcmp(got, want->p, gn) == 0)) return 0;
  return fail("%s: got %s, want %s", what, hexs(got, gn), hexs(want->p, want->n));
}

static int eq_str(const char *what, const char *got, size_t gn, const char *want) {
  if (strlen(want) == gn && memcmp(got, want, gn) == 0) return 0;
  return fail("%s: got %.*s, want %s", what, (int)gn, got, want);
}

/* rc must be a failure, and one of `kinds` (0-terminated; empty = any failure). */
static int fails(const char *what, ck_result rc, const ck_result *kinds) {
  if (rc == CK_OK) return fail("%s: accepted, must fail", what);
  if (!kinds || !kinds[0]) return 0;
  for (const ck_result *k = kinds; *k; k++)
    if (*k == rc) return 0;
  char want[256] = "";
  for (const ck_result *k = kinds; *k; k++) {
    strncat(want, ck_error_name(*k), sizeof want - strlen(want) - 2);
    strncat(want, " ", sizeof want - strlen(want) - 1);
  }
  return fail("%s: failed with %s, want one of: %s", what, errs(rc), want);
}

#define OK(what, call)                                         \
  do {                                                         \
    ck_result rc_ = (call);                                    \
    if (rc_ != CK_OK) return fail("%s: %s", what, errs(rc_)); \
  } while (0)
#define TRY(x)          \
  do {                  \
    if ((x)) return 1;  \
  } while (0)

/* ------------------------------------------------------------------ JSON field access */

static json_t *field(json_t *v, const char *k) { return json_object_get(v, k); }

static int str_field(json_t *v, const char *k, const char **out) {
  json_t *f = json_object_get(v, k);
  if (!f) return fail("vector has no \"%s\"", k);
  if (!json_is_string(f)) return fail("\"%s\" is not a string", k);
  *out = json_string_value(f);
  return 0;
}

static const char *opt_str(json_t *v, const char *k) {
  json_t *f = json_object_get(v, k);
  return json_is_string(f) ? json_string_value(f) : NULL;
}

static int hex_field(json_t *v, const char *k, bytes **out) {
  const char *s = NULL;
  TRY(str_field(v, k, &s));
  *out = new_bytes();
  return unhex(s, *out);
}

static int bool_field(json_t *v, const char *k, bool *out) {
  json_t *f = json_object_get(v, k);
  if (!json_is_boolean(f)) return fail("\"%s\" is not a bool", k);
  *out = json_is_true(f);
  return 0;
}

static const char *vname(json_t *v) {
  const char *n = opt_str(v, "name");
  return n ? n : "?";
}

/* ------------------------------------------------------------------ tagged JSON -> MessagePack */

static void mp_uint(bytes *b, uint64_t v) {
  if (v < 0x80) b_byte(b, (uint8_t)v);
  else if (v <= 0xff) { b_byte(b, 0xcc); b_be(b, v, 1); }
  else if (v <= 0xffff) { b_byte(b, 0xcd); b_be(b, v, 2); }
  else if (v <= 0xffffffffu) { b_byte(b, 0xce); b_be(b, v, 4); }
  else { b_byte(b, 0xcf); b_be(b, v, 8); }
}

static void mp_int(bytes *b, int64_t v) {
  if (v >= 0) mp_uint(b, (uint64_t)v);
  else if (v >= -32) b_byte(b, (uint8_t)(int8_t)v);
  else if (v >= INT8_MIN) { b_byte(b, 0xd0); b_be(b, (uint64_t)v, 1); }
  else if (v >= INT16_MIN) { b_byte(b, 0xd1); b_be(b, (uint64_t)v, 2); }
  else if (v >= INT32_MIN) { b_byte(b, 0xd2); b_be(b, (uint64_t)v, 4); }
  else { b_byte(b, 0xd3); b_be(b, (uint64_t)v, 8); }
}

static void mp_float(bytes *b, double d) {
  uint64_t bits;
  memcpy(&bits, &d, 8);
  b_byte(b, 0xcb);
  b_be(b, bits, 8);
}

static void mp_len(bytes *b, size_t n, uint8_t fix, size_t fixmax, uint8_t m8, uint8_t m16, uint8_t m32) {
  if (n < fixmax) b_byte(b, (uint8_t)(fix | n));
  else if (m8 && n <= 0xff) { b_byte(b, m8); b_be(b, n, 1); }
  else if (n <= 0xffff) { b_byte(b, m16); b_be(b, n, 2); }
  else { b_byte(b, m32); b_be(b, n, 4); }
}

static void mp_str(bytes *b, const char *s, size_t n) {
  mp_len(b, n, 0xa0, 32, 0xd9, 0xda, 0xdb);
  b_append(b, s, n);
}

static void mp_bin(bytes *b, const uint8_t *p, size_t n) {
  if (n <= 0xff) { b_byte(b, 0xc4); b_be(b, n, 1); }
  else if (n <= 0xffff) { b_byte(b, 0xc5); b_be(b, n, 2); }
  else { b_byte(b, 0xc6); b_be(b, n, 4); }
  b_append(b, p, n);
}

static void mp_array(bytes *b, size_t n) { mp_len(b, n, 0x90, 16, 0, 0xdc, 0xdd); }
static void mp_map(bytes *b, size_t n) { mp_len(b, n, 0x80, 16, 0, 0xde, 0xdf); }

static void mp_ext(bytes *b, int8_t type, const uint8_t *p, size_t n) {
  if (n == 16) b_byte(b, 0xd8);
  else if (n <= 0xff) { b_byte(b, 0xc7); b_be(b, n, 1); }
  else if (n <= 0xffff) { b_byte(b, 0xc8); b_be(b, n, 2); }
  else { b_byte(b, 0xc9); b_be(b, n, 4); }
  b_byte(b, (uint8_t)type);
  b_append(b, p, n);
}

static int parse_float(const char *s, double *out) {
  if (!strcmp(s, "nan") || !strcmp(s, "NaN")) { *out = NAN; return 0; }
  if (!strcmp(s, "inf") || !strcmp(s, "Infinity")) { *out = INFINITY; return 0; }
  if (!strcmp(s, "-inf") || !strcmp(s, "-Infinity")) { *out = -INFINITY; return 0; }
  char *end;
  errno = 0;
  *out = strtod(s, &end); /* "1e999" overflows to +inf (ERANGE), as in Python and Rust */
  if (*end || end == s) return fail("bad $float %s", s);
  return 0;
}

static int parse_uuid16(const char *s, uint8_t out[16]) {
  if (strlen(s) != 36) return fail("bad $uuid %s", s);
  int j = 0;
  for (int i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return fail("bad $uuid %s", s);
      i++;
      continue;
    }
    char pair[3] = {s[i], s[i + 1], 0};
    if (!isxdigit((unsigned char)pair[0]) || !isxdigit((unsigned char)pair[1])) return fail("bad $uuid %s", s);
    out[j++] = (uint8_t)strtoul(pair, NULL, 16);
    i += 2;
  }
  return 0;
}

/* INPUT: what a C user passes (temporal/set/uuid/bigint through the ck_msgpack_* helpers).
 * EXPECT: the expected output, written here without the library (temporal values as their
 *         CK_EXT_* item with the vector's ISO text verbatim). */
enum { INPUT, EXPECT };

static int to_mp(json_t *j, bytes *out, int mode, int depth);

static int append_buf(bytes *out, const char *what, ck_result rc, ck_buf *b) {
  if (rc != CK_OK) return fail("%s: %s", what, errs(rc));
  b_append(out, b->ptr, b->len);
  return 0;
}

static int tag_to_mp(const char *tag, json_t *v, bytes *out, int mode, int depth) {
  const char *t = json_string_value(v);
  if (!strcmp(tag, "$int")) {
    if (!t) return fail("$int expects a string");
    char *end;
    errno = 0;
    long long i = strtoll(t, &end, 10);
    if (!*end && errno == 0) { mp_int(out, i); return 0; }
    errno = 0;
    unsigned long long u = strtoull(t, &end, 10);
    if (!*end && errno == 0 && t[0] != '-') { mp_uint(out, u); return 0; }
    if (mode == EXPECT) return fail("$int %s cannot be an expected output", t);
    ck_buf *b = new_buf();
    return append_buf(out, "ck_msgpack_bigint", ck_msgpack_bigint(t, b), b);
  }
  if (!strcmp(tag, "$float")) {
    if (!t) return fail("$float expects a string");
    double d;
    TRY(parse_float(t, &d));
    mp_float(out, d);
    return 0;
  }
  if (!strcmp(tag, "$bytes")) {
    if (!t) return fail("$bytes expects a string");
    bytes *raw = new_bytes();
    TRY(unhex(t, raw));
    mp_bin(out, raw->p, raw->n);
    return 0;
  }
  if (!strcmp(tag, "$uuid")) {
    if (!t) return fail("$uuid expects a string");
    if (mode == INPUT) {
      ck_buf *b = new_buf();
      return append_buf(out, "ck_msgpack_uuid", ck_msgpack_uuid(t, b), b);
    }
    uint8_t u[16];
    TRY(parse_uuid16(t, u));
    mp_ext(out, CK_EXT_UUID, u, 16);
    return 0;
  }
  if (!strcmp(tag, "$datetime") || !strcmp(tag, "$date") || !strcmp(tag, "$time")) {
    if (!t) return fail("%s expects a string", tag);
    uint32_t kind = !strcmp(tag, "$date")   ? CK_TEMPORAL_DATE
                    : !strcmp(tag, "$time") ? CK_TEMPORAL_TIME
                                            : CK_TEMPORAL_DATETIME;
    if (mode == INPUT) {
      ck_buf *b = new_buf();
      return append_buf(out, "ck_msgpack_temporal", ck_msgpack_temporal(kind, t, b), b);
    }
    int8_t type = kind == CK_TEMPORAL_DATE ? CK_EXT_DATE : kind == CK_TEMPORAL_TIME ? CK_EXT_TIME : CK_EXT_DATETIME;
    mp_ext(out, type, (const uint8_t *)t, strlen(t));
    return 0;
  }
  if (!strcmp(tag, "$set")) {
    if (!json_is_array(v)) return fail("$set expects an array");
    bytes *arr = new_bytes();
    mp_array(arr, json_array_size(v));
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) TRY(to_mp(item, arr, mode, depth + 1));
    if (mode == INPUT) {
      ck_buf *b = new_buf();
      return append_buf(out, "ck_msgpack_set", ck_msgpack_set(arr->p, arr->n, b), b);
    }
    mp_ext(out, CK_EXT_SET, arr->p, arr->n);
    return 0;
  }
  if (!strcmp(tag, "$map")) {
    if (!json_is_array(v)) return fail("$map expects an array");
    mp_map(out, json_array_size(v));
    size_t i;
    json_t *pair;
    json_array_foreach(v, i, pair) {
      if (!json_is_array(pair) || json_array_size(pair) != 2) return fail("$map entries are [key, value]");
      TRY(to_mp(json_array_get(pair, 0), out, mode, depth + 1));
      TRY(to_mp(json_array_get(pair, 1), out, mode, depth + 1));
    }
    return 0;
  }
  return fail("unknown tag %s", tag);
}

static int to_mp(json_t *j, bytes *out, int mode, int depth) {
  if (depth > 1000) return fail("tagged JSON nested too deeply");
  switch (json_typeof(j)) {
    case JSON_NULL: b_byte(out, 0xc0); return 0;
    case JSON_TRUE: b_byte(out, 0xc3); return 0;
    case JSON_FALSE: b_byte(out, 0xc2); return 0;
    case JSON_INTEGER: mp_int(out, (int64_t)json_integer_value(j)); return 0;
    case JSON_REAL: mp_float(out, json_real_value(j)); return 0;
    case JSON_STRING: mp_str(out, json_string_value(j), json_string_length(j)); return 0;
    case JSON_ARRAY: {
      mp_array(out, json_array_size(j));
      size_t i;
      json_t *item;
      json_array_foreach(j, i, item) TRY(to_mp(item, out, mode, depth + 1));
      return 0;
    }
    case JSON_OBJECT: {
      const char *k = NULL;
      json_t *v;
      if (json_object_size(j) == 1) {
        void *it = json_object_iter(j);
        k = json_object_iter_key(it);
        if (k[0] == '$') return tag_to_mp(k, json_object_iter_value(it), out, mode, depth);
      }
      mp_map(out, json_object_size(j));
      json_object_foreach(j, k, v) {
        mp_str(out, k, strlen(k));
        TRY(to_mp(v, out, mode, depth + 1));
      }
      return 0;
    }
  }
  return fail("unknown JSON type");
}

static int input_of(json_t *v, const char *k, bytes **out) {
  json_t *f = field(v, k);
  if (!f) return fail("vector has no \"%s\"", k);
  *out = new_bytes();
  return to_mp(f, *out, INPUT, 0);
}

/* ------------------------------------------------------------------ structural MessagePack comparison */

typedef struct {
  const uint8_t *p, *end;
} cur;
typedef struct {
  int t; /* 'n' nil, 'b' bool, 'u' uint, 'i' negative int, 'f' float, 's' str, 'B' bin, 'a' array, 'm' map, 'e' ext */
  uint64_t u;
  int64_t i;
  double f;
  const uint8_t *data;
  uint32_t len;
  int8_t ext;
} item;

static int need(cur *c, size_t n) { return (size_t)(c->end - c->p) >= n ? 0 : -1; }

static uint64_t be(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int k = 0; k < n; k++) v = v << 8 | p[k];
  return v;
}

static int rd(cur *c, int n, uint64_t *v) {
  if (need(c, (size_t)n)) return -1;
  *v = be(c->p, n);
  c->p += n;
  return 0;
}

static int payload(cur *c, item *it, uint64_t n) {
  if (need(c, n)) return -1;
  it->data = c->p;
  it->len = (uint32_t)n;
  c->p += n;
  return 0;
}

static void sint(item *it, int64_t v) {
  if (v >= 0) { it->t = 'u'; it->u = (uint64_t)v; }
  else { it->t = 'i'; it->i = v; }
}

static int mp_next(cur *c, item *it) {
  uint64_t v;
  if (need(c, 1)) return -1;
  uint8_t m = *c->p++;
  memset(it, 0, sizeof *it);
  if (m <= 0x7f) { it->t = 'u'; it->u = m; return 0; }
  if (m >= 0xe0) { it->t = 'i'; it->i = (int8_t)m; return 0; }
  if ((m & 0xf0) == 0x80) { it->t = 'm'; it->len = m & 15; return 0; }
  if ((m & 0xf0) == 0x90) { it->t = 'a'; it->len = m & 15; return 0; }
  if ((m & 0xe0) == 0xa0) { it->t = 's'; return payload(c, it, m & 31); }
  switch (m) {
    case 0xc0: it->t = 'n'; return 0;
    case 0xc2: case 0xc3: it->t = 'b'; it->u = m == 0xc3; return 0;
    case 0xc4: case 0xc5: case 0xc6:
      it->t = 'B';
      if (rd(c, 1 << (m - 0xc4), &v)) return -1;
      return payload(c, it, v);
    case 0xc7: case 0xc8: case 0xc9: {
      uint64_t t;
      it->t = 'e';
      if (rd(c, 1 << (m - 0xc7), &v) || rd(c, 1, &t)) return -1;
      it->ext = (int8_t)t;
      return payload(c, it, v);
    }
    case 0xca: {
      float f;
      uint32_t b32;
      if (rd(c, 4, &v)) return -1;
      b32 = (uint32_t)v;
      memcpy(&f, &b32, 4);
      it->t = 'f';
      it->f = f;
      return 0;
    }
    case 0xcb:
      if (rd(c, 8, &v)) return -1;
      it->t = 'f';
      memcpy(&it->f, &v, 8);
      return 0;
    case 0xcc: case 0xcd: case 0xce: case 0xcf:
      if (rd(c, 1 << (m - 0xcc), &v)) return -1;
      it->t = 'u';
      it->u = v;
      return 0;
    case 0xd0: if (rd(c, 1, &v)) return -1; sint(it, (int8_t)v); return 0;
    case 0xd1: if (rd(c, 2, &v)) return -1; sint(it, (int16_t)v); return 0;
    case 0xd2: if (rd(c, 4, &v)) return -1; sint(it, (int32_t)v); return 0;
    case 0xd3: if (rd(c, 8, &v)) return -1; sint(it, (int64_t)v); return 0;
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: {
      uint64_t t;
      if (rd(c, 1, &t)) return -1;
      it->t = 'e';
      it->ext = (int8_t)t;
      return payload(c, it, 1u << (m - 0xd4));
    }
    case 0xd9: case 0xda: case 0xdb:
      it->t = 's';
      if (rd(c, 1 << (m - 0xd9), &v)) return -1;
      return payload(c, it, v);
    case 0xdc: case 0xdd:
      it->t = 'a';
      if (rd(c, m == 0xdc ? 2 : 4, &v)) return -1;
      it->len = (uint32_t)v;
      return 0;
    case 0xde: case 0xdf:
      it->t = 'm';
      if (rd(c, m == 0xde ? 2 : 4, &v)) return -1;
      it->len = (uint32_t)v;
      return 0;
  }
  return -1;
}

/* 0 when the next items of a and b are the same value (ints by value, floats by bit
 * pattern with every NaN equal, everything else exactly, maps in order). */
static int mp_same(cur *a, cur *b, int depth) {
  item x, y;
  if (depth > 2000 || mp_next(a, &x) || mp_next(b, &y)) return -1;
  if (x.t != y.t) return -1;
  switch (x.t) {
    case 'n': return 0;
    case 'b': case 'u': return x.u == y.u ? 0 : -1;
    case 'i': return x.i == y.i ? 0 : -1;
    case 'f': return (isnan(x.f) && isnan(y.f)) || memcmp(&x.f, &y.f, 8) == 0 ? 0 : -1;
    case 's': case 'B': return x.len == y.len && (x.len == 0 || memcmp(x.data, y.data, x.len) == 0) ? 0 : -1;
    case 'e': return x.ext == y.ext && x.len == y.len && (x.len == 0 || memcmp(x.data, y.data, x.len) == 0) ? 0 : -1;
    case 'a': case 'm': {
      if (x.len != y.len) return -1;
      uint64_t n = (uint64_t)x.len * (x.t == 'm' ? 2 : 1);
      for (uint64_t k = 0; k < n; k++)
        if (mp_same(a, b, depth + 1)) return -1;
      return 0;
    }
  }
  return -1;
}

static int same_value(const char *what, const uint8_t *got, size_t gn, const bytes *want) {
  cur a = {got, got + gn}, b = {want->p, want->p + want->n};
  if (mp_same(&a, &b, 0) == 0 && a.p == a.end && b.p == b.end) return 0;
  return fail("%s: got %s, want %s", what, hexs(got, gn), hexs(want->p, want->n));
}

static int expected_of(json_t *j, bytes **out) {
  *out = new_bytes();
  return to_mp(j, *out, EXPECT, 0);
}

/* ------------------------------------------------------------------ driving sections */

typedef int (*check_fn)(json_t *v);

static void each(json_t *doc, const char *key, const char *label, check_fn f) {
  json_t *list = json_object_get(doc, key);
  size_t i;
  json_t *v;
  if (!json_is_array(list)) return;
  json_array_foreach(list, i, v) {
    int failed = f(v);
    record(label, vname(v), failed);
    arena_reset();
  }
}

static bool holds_vectors(json_t *v) {
  size_t i;
  json_t *x;
  const char *k = NULL;
  if (json_is_array(v)) {
    json_array_foreach(v, i, x) if (json_is_object(x)) return true;
  } else if (json_is_object(v)) {
    json_object_foreach(v, k, x) if (json_is_array(x)) return true;
  }
  return false;
}

static void unknown_sections(json_t *doc, const char *const *known) {
  const char *k = NULL;
  json_t *v;
  json_object_foreach(doc, k, v) {
    if (!holds_vectors(v)) continue;
    bool ok = false;
    for (const char *const *p = known; *p; p++)
      if (!strcmp(*p, k)) ok = true;
    if (ok) continue;
    size_t n = json_is_array(v) && json_array_size(v) ? json_array_size(v) : 1;
    for (size_t i = 0; i < n; i++) {
      fail("unknown section: this runner cannot run it");
      record(k, "*", 1);
    }
  }
}

static const ck_mode ALL_MODES[] = {CK_MODE_DEFAULT, CK_MODE_DEFAULT_NO_INTEGRITY, CK_MODE_INTEROP};
static const char *mode_name(ck_mode m) {
  return m == CK_MODE_DEFAULT ? "default" : m == CK_MODE_DEFAULT_NO_INTEGRITY ? "default-no-integrity" : "interop";
}

/* entry read of untrusted bytes, no keyring */
static ck_result read_entry(ck_mode mode, const bytes *stored, ck_buf *out) {
  return ck_entry_decode(mode, "k", NULL, stored->p, stored->n, out);
}

/* ------------------------------------------------------------------ wire-format */

static int construct(json_t *parts, bytes *out) {
  size_t i;
  json_t *p;
  if (!json_is_array(parts)) return fail("construction is not a list");
  json_array_foreach(parts, i, p) {
    bytes *chunk = NULL;
    TRY(hex_field(p, "hex", &chunk));
    json_t *count = field(p, "count");
    if (!json_is_integer(count)) return fail("count is not an integer");
    for (json_int_t k = 0; k < json_integer_value(count); k++) b_append(out, chunk->p, chunk->n);
  }
  return 0;
}

static int wf_vector(json_t *v) {
  bytes *env = NULL, *input = NULL;
  TRY(hex_field(v, "envelope_hex", &env));
  TRY(hex_field(v, "input_hex", &input));
  ck_buf *out = new_buf();
  OK("retrieve", ck_envelope_retrieve(env->p, env->n, out));
  TRY(eq_bytes("retrieve", out->ptr, out->len, input));
  const char *enc = opt_str(v, "envelope_encoding");
  if (enc && !strcmp(enc, "bin")) {
    ck_buf *st = new_buf();
    OK("store", ck_envelope_store(input->p, input->n, st));
    TRY(eq_bytes("store", st->ptr, st->len, env));
  }
  return 0;
}

static int u64_field(json_t *v, const char *k, uint64_t *out) {
  json_t *f = field(v, k);
  if (!json_is_integer(f)) return fail("\"%s\" is not an integer", k);
  *out = (uint64_t)json_integer_value(f);
  return 0;
}

static int wf_constructed(json_t *v) {
  bytes *env = new_bytes(), *input = new_bytes();
  TRY(construct(field(v, "envelope_construction"), env));
  TRY(construct(field(v, "input_construction"), input));
  uint64_t want = 0;
  TRY(u64_field(v, "envelope_size", &want));
  if (env->n != want) return fail("envelope_size: got %zu, want %" PRIu64, env->n, want);
  ck_envelope_info info;
  OK("inspect", ck_envelope_inspect(env->p, env->n, &info));
  TRY(u64_field(v, "compressed_size", &want));
  if (info.compressed_len != want) return fail("compressed_size: got %zu, want %" PRIu64, info.compressed_len, want);
  TRY(u64_field(v, "original_size", &want));
  if (info.original_size != want) return fail("original_size: got %" PRIu64 ", want %" PRIu64, info.original_size, want);
  const char *sum = NULL, *enc = NULL;
  TRY(str_field(v, "checksum_hex", &sum));
  char got[17];
  snprintf(got, sizeof got, "%016" PRIx64, info.checksum);
  if (strcmp(got, sum)) return fail("checksum: got %s, want %s", got, sum);
  TRY(str_field(v, "envelope_encoding", &enc));
  ck_envelope_encoding want_enc = !strcmp(enc, "bin") ? CK_ENVELOPE_ENCODING_BIN : CK_ENVELOPE_ENCODING_INT_ARRAY;
  if (info.encoding != want_enc) return fail("encoding: got %u, want %s", info.encoding, enc);
  ck_buf *out = new_buf();
  OK("retrieve", ck_envelope_retrieve(env->p, env->n, out));
  if (out->len != input->n || memcmp(out->ptr, input->p, input->n)) return fail("retrieve: output differs from input_construction");
  return 0;
}

static int wf_reject(json_t *v) {
  bytes *env = NULL;
  TRY(hex_field(v, "envelope_hex", &env));
  json_int_t step = json_integer_value(field(v, "reject_step"));
  const char *check = opt_str(v, "reject_check");
  static const ck_result bounds[] = {CK_DECODE_BOUNDS, 0}, trailing[] = {CK_TRAILING_BYTES, 0},
                         structure[] = {CK_ENVELOPE_STRUCTURE, 0}, size[] = {CK_ENVELOPE_SIZE_LIMIT, 0},
                         bomb[] = {CK_DECOMPRESSION_BOMB, 0}, lz4[] = {CK_DECOMPRESSION_FAILED, 0},
                         sum[] = {CK_CHECKSUM_MISMATCH, CK_DECOMPRESSION_FAILED, 0};
  const ck_result *kinds = step == 2 && check && !strcmp(check, "decode_bounds")    ? bounds
                           : step == 2 && check && !strcmp(check, "trailing_bytes") ? trailing
                           : step == 2                                              ? structure
                           : step == 1 || step == 3 || step == 4                    ? size
                           : step == 5                                              ? bomb
                           : step == 6                                              ? lz4
                                                                                    : sum;
  TRY(fails("retrieve", ck_envelope_retrieve(env->p, env->n, new_buf()), kinds));
  return fails("entry read", read_entry(CK_MODE_DEFAULT, env, new_buf()), kinds);
}

static int wf_payload_reject(json_t *v) {
  bytes *env = NULL, *input = NULL;
  TRY(hex_field(v, "envelope_hex", &env));
  TRY(hex_field(v, "input_hex", &input));
  ck_buf *out = new_buf();
  OK("retrieve", ck_envelope_retrieve(env->p, env->n, out));
  TRY(eq_bytes("retrieve", out->ptr, out->len, input));
  static const ck_result bounds[] = {CK_DECODE_BOUNDS, 0};
  return fails("entry read", read_entry(CK_MODE_DEFAULT, env, new_buf()), bounds);
}

static int wf_temporal(json_t *v) {
  bytes *payload = NULL;
  TRY(hex_field(v, "payload_hex", &payload));
  json_t *r = field(v, "revives_to");
  const char *type = NULL, *iso = NULL;
  TRY(str_field(r, "type", &type));
  TRY(str_field(r, "iso", &iso));
  char tag[16];
  snprintf(tag, sizeof tag, "$%s", type);
  json_t *tagged = track(A_JSON, json_pack("{ss}", tag, iso));
  bytes *want, *input = new_bytes();
  TRY(expected_of(tagged, &want));
  ck_buf *std_read = new_buf(), *interop_read = new_buf(), *written = new_buf();
  OK("standard read", read_entry(CK_MODE_DEFAULT_NO_INTEGRITY, payload, std_read));
  TRY(same_value("standard read", std_read->ptr, std_read->len, want));
  OK("interop read", read_entry(CK_MODE_INTEROP, payload, interop_read));
  TRY(same_value("interop read", interop_read->ptr, interop_read->len, want));
  /* And the writer produces exactly these bytes from the value a C user builds. */
  TRY(to_mp(tagged, input, INPUT, 0));
  OK("standard write", ck_entry_encode(CK_MODE_DEFAULT_NO_INTEGRITY, NULL, NULL, 0, input->p, input->n, written));
  return eq_bytes("standard write", written->ptr, written->len, payload);
}

static void wire_format(json_t *doc) {
  each(doc, "vectors", "vectors", wf_vector);
  each(doc, "constructed_vectors", "constructed_vectors", wf_constructed);
  each(doc, "reject_vectors", "reject_vectors", wf_reject);
  each(doc, "payload_reject_vectors", "payload_reject_vectors", wf_payload_reject);
  each(doc, "temporal_sentinel_vectors", "temporal_sentinel_vectors", wf_temporal);
}

/* ------------------------------------------------------------------ decode-bounds */

static int db_reject(json_t *v) {
  bytes *in = NULL;
  TRY(hex_field(v, "input_hex", &in));
  static const ck_result k[] = {CK_DECODE_BOUNDS, 0};
  char what[96];
  /* Every read of stored bytes ... */
  TRY(fails("standard read", read_entry(CK_MODE_DEFAULT_NO_INTEGRITY, in, new_buf()), k));
  TRY(fails("interop read", read_entry(CK_MODE_INTEROP, in, new_buf()), k));
  TRY(fails("envelope read", ck_envelope_retrieve(in->p, in->n, new_buf()), k));
  TRY(fails("envelope inspect", ck_envelope_inspect(in->p, in->n, &(ck_envelope_info){0}), k));
  for (int m = 0; m < 3; m++) {
    snprintf(what, sizeof what, "entry read %s", mode_name(ALL_MODES[m]));
    TRY(fails(what, read_entry(ALL_MODES[m], in, new_buf()), k));
    /* ... and every function that takes a caller's MessagePack. */
    snprintf(what, sizeof what, "entry encode %s", mode_name(ALL_MODES[m]));
    TRY(fails(what, ck_entry_encode(ALL_MODES[m], NULL, NULL, 0, in->p, in->n, new_buf()), k));
  }
  TRY(fails("canonical value", ck_interop_canonical_value(in->p, in->n, new_buf()), k));
  TRY(fails("canonical args", ck_interop_canonical_args(in->p, in->n, new_buf()), k));
  TRY(fails("interop key", ck_interop_key("ns1", "op", in->p, in->n, new_buf()), k));
  TRY(fails("default key args", ck_default_key(NULL, "m.f", in->p, in->n, NULL, 0, true, "std", new_buf()), k));
  TRY(fails("default key kwargs", ck_default_key(NULL, "m.f", NULL, 0, in->p, in->n, true, "std", new_buf()), k));
  return fails("ck_msgpack_set", ck_msgpack_set(in->p, in->n, new_buf()), k);
}

static int db_accept(json_t *v) {
  bytes *in = NULL;
  TRY(hex_field(v, "input_hex", &in));
  OK("standard read", read_entry(CK_MODE_DEFAULT_NO_INTEGRITY, in, new_buf()));
  OK("interop read", read_entry(CK_MODE_INTEROP, in, new_buf()));
  return 0;
}

static void decode_bounds(json_t *doc) {
  each(doc, "reject_vectors", "reject_vectors", db_reject);
  each(doc, "accept_vectors", "accept_vectors", db_accept);
}

/* ------------------------------------------------------------------ interop-mode */

static int args_of(json_t *v, bytes **out) {
  json_t *a = field(v, "args");
  if (!json_is_array(a)) return fail("args is not a list");
  return input_of(v, "args", out);
}

static int im_key(json_t *v) {
  bytes *args = NULL, *canon = NULL;
  const char *ns = NULL, *op = NULL, *hash = NULL, *key = NULL;
  TRY(args_of(v, &args));
  TRY(hex_field(v, "canonical_args_hex", &canon));
  TRY(str_field(v, "namespace", &ns));
  TRY(str_field(v, "operation", &op));
  TRY(str_field(v, "args_hash", &hash));
  TRY(str_field(v, "expected_key", &key));
  ck_buf *c = new_buf(), *k = new_buf();
  OK("canonical args", ck_interop_canonical_args(args->p, args->n, c));
  TRY(eq_bytes("canonical args", c->ptr, c->len, canon));
  OK("key", ck_interop_key(ns, op, args->p, args->n, k));
  TRY(eq_str("key", (const char *)k->ptr, k->len, key));
  const char *colon = strrchr((const char *)k->ptr, ':');
  if (!colon) return fail("key has no ':'");
  return eq_str("args_hash", colon + 1, strlen(colon + 1), hash);
}

static int im_error(json_t *v) {
  bytes *args = NULL;
  TRY(args_of(v, &args));
  const char *ns = opt_str(v, "namespace"), *op = opt_str(v, "operation");
  if (ns && op) return fails("key", ck_interop_key(ns, op, args->p, args->n, new_buf()), NULL);
  return fails("canonical args", ck_interop_canonical_args(args->p, args->n, new_buf()), NULL);
}

static int im_value(json_t *v) {
  bytes *val = NULL, *want = NULL;
  TRY(input_of(v, "value", &val));
  TRY(hex_field(v, "canonical_msgpack_hex", &want));
  ck_buf *c = new_buf(), *e = new_buf(), *back = new_buf(), *again = new_buf();
  OK("canonical value", ck_interop_canonical_value(val->p, val->n, c));
  TRY(eq_bytes("canonical value", c->ptr, c->len, want));
  OK("interop entry", ck_entry_encode(CK_MODE_INTEROP, NULL, NULL, 0, val->p, val->n, e));
  TRY(eq_bytes("interop entry", e->ptr, e->len, want));
  /* Reading it back and re-encoding is stable. */
  OK("interop read", read_entry(CK_MODE_INTEROP, want, back));
  OK("re-encode", ck_interop_canonical_value(back->ptr, back->len, again));
  return eq_bytes("re-encoded", again->ptr, again->len, want);
}

static int im_value_error(json_t *v) {
  bytes *val = NULL;
  TRY(input_of(v, "value", &val));
  TRY(fails("canonical value", ck_interop_canonical_value(val->p, val->n, new_buf()), NULL));
  return fails("interop entry", ck_entry_encode(CK_MODE_INTEROP, NULL, NULL, 0, val->p, val->n, new_buf()), NULL);
}

static int im_reader_accept(json_t *v) {
  bytes *in = NULL, *want = NULL;
  TRY(hex_field(v, "input_hex", &in));
  ck_buf *got = new_buf();
  OK("interop read", read_entry(CK_MODE_INTEROP, in, got));
  json_t *w = field(v, "value");
  if (!w) return 0;
  TRY(expected_of(w, &want));
  return same_value("value", got->ptr, got->len, want);
}

static int im_reader_reject(json_t *v) {
  bytes *in = NULL;
  TRY(hex_field(v, "input_hex", &in));
  return fails("interop read", read_entry(CK_MODE_INTEROP, in, new_buf()), NULL);
}

/* AAD of a vector for `tenant` (original_type when present). */
static int aad_of(json_t *v, const char *tenant, bytes **out) {
  const char *key = NULL, *format = NULL;
  bool compressed = false;
  TRY(str_field(v, "cache_key", &key));
  TRY(str_field(v, "format", &format));
  TRY(bool_field(v, "compressed", &compressed));
  ck_buf *b = new_buf();
  OK("aad", ck_aad(tenant, key, format, compressed, opt_str(v, "original_type"), b));
  *out = new_bytes();
  b_append(*out, b->ptr, b->len);
  bytes *want = NULL;
  TRY(hex_field(v, "aad_hex", &want));
  return eq_bytes("aad", (*out)->p, (*out)->n, want);
}

static int keyring_of(const char *master_hex, const char *tenant, ck_keyring **out) {
  ck_keyring *kr = NULL;
  ck_result rc = ck_keyring_new_hex(master_hex, tenant, &kr);
  if (rc != CK_OK) return fail("keyring: %s", errs(rc));
  track(A_KEYRING, kr);
  *out = kr;
  return 0;
}

static int fingerprint_is(ck_keyring *kr, const char *want) {
  uint8_t fp[CK_FINGERPRINT_LEN];
  OK("fingerprint", ck_keyring_fingerprint(kr, fp, sizeof fp));
  const char *got = hexs(fp, sizeof fp);
  if (strcmp(got, want)) return fail("fingerprint: got %s, want %s", got, want);
  return 0;
}

/* open(ciphertext) = plaintext and seal(plaintext, the ciphertext's nonce) = ciphertext */
static int seal_and_open(ck_keyring *kr, const bytes *aad, json_t *v) {
  bytes *pt = NULL, *ct = NULL;
  TRY(hex_field(v, "plaintext_hex", &pt));
  TRY(hex_field(v, "ciphertext_hex", &ct));
  ck_buf *opened = new_buf(), *sealed = new_buf();
  OK("open", ck_keyring_decrypt(kr, aad->p, aad->n, ct->p, ct->n, opened));
  TRY(eq_bytes("open", opened->ptr, opened->len, pt));
  if (ct->n < CK_NONCE_LEN) return fail("ciphertext shorter than a nonce");
  OK("seal", ck_keyring_encrypt_with_nonce(kr, ct->p, CK_NONCE_LEN, aad->p, aad->n, pt->p, pt->n, sealed));
  return eq_bytes("seal", sealed->ptr, sealed->len, ct);
}

static int im_aad(json_t *v) {
  const char *tenant = NULL;
  bytes *aad = NULL;
  TRY(str_field(v, "tenant_id", &tenant));
  return aad_of(v, tenant, &aad);
}

static int im_encryption(json_t *v) {
  const char *key = NULL, *tenant = NULL, *fp = NULL;
  TRY(str_field(v, "master_key_hex", &key));
  TRY(str_field(v, "tenant_id", &tenant));
  TRY(str_field(v, "derived_key_fingerprint_hex", &fp));
  ck_keyring *kr = NULL;
  bytes *aad = NULL;
  TRY(keyring_of(key, tenant, &kr));
  TRY(fingerprint_is(kr, fp));
  TRY(aad_of(v, tenant, &aad));
  return seal_and_open(kr, aad, v);
}

static void interop_mode(json_t *doc) {
  each(doc, "key_vectors", "key_vectors", im_key);
  each(doc, "error_vectors", "error_vectors", im_error);
  each(doc, "value_vectors", "value_vectors", im_value);
  each(doc, "value_error_vectors", "value_error_vectors", im_value_error);
  each(doc, "reader_accept_vectors", "reader_accept_vectors", im_reader_accept);
  each(doc, "reader_reject_vectors", "reader_reject_vectors", im_reader_reject);
  each(doc, "aad_vectors", "aad_vectors", im_aad);
  each(doc, "encryption_vectors", "encryption_vectors", im_encryption);
}

/* ------------------------------------------------------------------ encryption */

static const char *g_key, *g_tenant;
static json_t *g_entries;

static int enc_vector(json_t *v) {
  const char *tenant = opt_str(v, "tenant_id") ? opt_str(v, "tenant_id") : g_tenant;
  const char *key = opt_str(v, "master_key_hex") ? opt_str(v, "master_key_hex") : g_key;
  ck_keyring *kr = NULL;
  bytes *aad = NULL;
  TRY(keyring_of(key, tenant, &kr));
  TRY(aad_of(v, tenant, &aad));
  return seal_and_open(kr, aad, v);
}

static int enc_aad_reject(json_t *v) {
  ck_keyring *kr = NULL;
  bytes *aad = NULL, *ct = NULL;
  TRY(keyring_of(g_key, g_tenant, &kr));
  TRY(aad_of(v, g_tenant, &aad));
  TRY(hex_field(v, "ciphertext_hex", &ct));
  static const ck_result k[] = {CK_DECRYPTION_FAILED, 0};
  return fails("open", ck_keyring_decrypt(kr, aad->p, aad->n, ct->p, ct->n, new_buf()), k);
}

static int kr_entry(json_t *e) {
  const char *key = NULL, *fp = NULL;
  ck_keyring *kr = NULL;
  TRY(str_field(e, "master_key_hex", &key));
  TRY(str_field(e, "derived_key_fingerprint_hex", &fp));
  TRY(keyring_of(key, g_tenant, &kr));
  return fingerprint_is(kr, fp);
}

static int kr_vector(json_t *v) {
  bytes *aad = NULL, *ct = NULL, *pt = NULL;
  TRY(aad_of(v, g_tenant, &aad));
  TRY(hex_field(v, "ciphertext_hex", &ct));
  TRY(hex_field(v, "plaintext_hex", &pt));
  size_t n = json_array_size(g_entries);
  /* Whichever key is current, a keyring holding all of them opens every entry. */
  for (size_t i = 0; i < n; i++) {
    ck_keyring *kr = NULL;
    TRY(keyring_of(opt_str(json_array_get(g_entries, i), "master_key_hex"), g_tenant, &kr));
    for (size_t j = 0; j < n; j++) {
      if (j == i) continue;
      OK("add previous", ck_keyring_add_previous_hex(kr, opt_str(json_array_get(g_entries, j), "master_key_hex")));
    }
    ck_buf *out = new_buf();
    char what[64];
    snprintf(what, sizeof what, "open (current = key %zu)", i);
    OK(what, ck_keyring_decrypt(kr, aad->p, aad->n, ct->p, ct->n, out));
    TRY(eq_bytes(what, out->ptr, out->len, pt));
  }
  const char *id = NULL, *want = NULL;
  TRY(str_field(v, "encrypted_with", &id));
  TRY(str_field(v, "key_fingerprint_hex", &want));
  for (size_t i = 0; i < n; i++) {
    json_t *e = json_array_get(g_entries, i);
    const char *eid = opt_str(e, "id");
    if (eid && !strcmp(eid, id)) {
      const char *fp = opt_str(e, "derived_key_fingerprint_hex");
      if (!fp || strcmp(fp, want)) return fail("key fingerprint: got %s, want %s", fp ? fp : "(none)", want);
      return 0;
    }
  }
  return fail("unknown key id %s", id);
}

static int kr_configuration(json_t *v) {
  const char *current = NULL, *verdict = NULL;
  TRY(str_field(v, "current_master_key_hex", &current));
  TRY(str_field(v, "verdict", &verdict));
  json_t *prev = field(v, "decrypt_only_master_keys_hex");
  if (!json_is_array(prev)) return fail("decrypt_only_master_keys_hex is not a list");
  ck_keyring *kr = NULL;
  ck_result rc = ck_keyring_new_hex(current, g_tenant, &kr);
  if (kr) track(A_KEYRING, kr);
  size_t i;
  json_t *p;
  json_array_foreach(prev, i, p) {
    if (rc != CK_OK) break;
    rc = ck_keyring_add_previous_hex(kr, json_string_value(p));
  }
  if (!strcmp(verdict, "accept")) {
    if (rc != CK_OK) return fail("load: %s", errs(rc));
    return 0;
  }
  static const ck_result k[] = {CK_INVALID_KEYRING, 0};
  return fails("load", rc, k);
}

static int dc_vector(json_t *v) {
  const char *reader = NULL, *key = NULL, *outcome = NULL;
  TRY(str_field(v, "reader", &reader));
  ck_mode mode = !strcmp(reader, "plain_msgpack")          ? CK_MODE_DEFAULT_NO_INTEGRITY
                 : !strcmp(reader, "bytestorage_envelope") ? CK_MODE_DEFAULT
                 : !strcmp(reader, "interop")              ? CK_MODE_INTEROP
                                                           : 0;
  if (!mode) return 0; /* Python-only readers: counted as skipped by the caller */
  ck_keyring *kr = NULL;
  bytes *aad = NULL, *ct = NULL, *pt = NULL;
  TRY(keyring_of(g_key, g_tenant, &kr));
  TRY(aad_of(v, g_tenant, &aad));
  TRY(hex_field(v, "ciphertext_hex", &ct));
  TRY(hex_field(v, "plaintext_hex", &pt));
  ck_buf *opened = new_buf(), *got = new_buf();
  OK("open", ck_keyring_decrypt(kr, aad->p, aad->n, ct->p, ct->n, opened));
  TRY(eq_bytes("open", opened->ptr, opened->len, pt));
  TRY(str_field(v, "cache_key", &key));
  TRY(str_field(v, "outcome", &outcome));
  ck_result rc = ck_entry_decode(mode, key, kr, ct->p, ct->n, got);
  if (!strcmp(outcome, "error")) return fails("read", rc, NULL);
  if (!strcmp(outcome, "not_unwrapped")) {
    /* The reader gets the envelope array itself, not the value inside it. */
    if (rc != CK_OK) return fail("read: %s", errs(rc));
    cur c = {got->ptr, got->ptr + got->len};
    item a, first;
    if (mp_next(&c, &a) || a.t != 'a' || a.len != 4 || mp_next(&c, &first) || first.t != 'B')
      return fail("read: got %s, want the raw 4-element envelope", hexs(got->ptr, got->len));
    return 0;
  }
  return fail("unknown outcome %s", outcome);
}

static int dt_vector(json_t *v) {
  ck_keyring *kr = NULL;
  bytes *aad = NULL;
  TRY(keyring_of(g_key, NULL, &kr)); /* NULL tenant = the default tenant */
  TRY(aad_of(v, "default", &aad));
  return seal_and_open(kr, aad, v);
}

static const char *g_mk_tenant;

static int mk_accept(json_t *v) {
  const char *key = NULL, *fp = NULL;
  ck_keyring *kr = NULL;
  bytes *aad = NULL;
  TRY(str_field(v, "master_key_hex", &key));
  TRY(str_field(v, "derived_key_fingerprint_hex", &fp));
  OK("validate", ck_master_key_validate_hex(key));
  TRY(keyring_of(key, g_mk_tenant, &kr));
  TRY(fingerprint_is(kr, fp));
  TRY(aad_of(v, g_mk_tenant, &aad));
  return seal_and_open(kr, aad, v);
}

static int mk_reject(json_t *v) {
  const char *key = NULL;
  TRY(str_field(v, "master_key_hex", &key));
  static const ck_result k[] = {CK_INVALID_MASTER_KEY, 0};
  ck_keyring *kr = NULL;
  TRY(fails("validate_hex", ck_master_key_validate_hex(key), k));
  TRY(fails("keyring_new_hex", ck_keyring_new_hex(key, NULL, &kr), k));
  if (kr) return fail("keyring_new_hex: failed but returned a keyring");
  return 0;
}

static int mk_raw_reject(json_t *v) {
  bytes *raw = NULL;
  TRY(hex_field(v, "raw_key_hex", &raw));
  static const ck_result k[] = {CK_INVALID_MASTER_KEY, 0};
  ck_keyring *kr = NULL;
  TRY(fails("validate", ck_master_key_validate(raw->p, raw->n), k));
  TRY(fails("keyring_new", ck_keyring_new(raw->p, raw->n, NULL, &kr), k));
  if (kr) return fail("keyring_new: failed but returned a keyring");
  return 0;
}

static void encryption(json_t *doc) {
  g_key = opt_str(doc, "master_key_hex");
  g_tenant = opt_str(doc, "tenant_id");
  if (!g_key || !g_tenant) {
    fail("no top-level master_key_hex/tenant_id");
    record("file", "*", 1);
    return;
  }
  const char *fp = opt_str(doc, "derived_key_fingerprint_hex");
  if (fp) {
    ck_keyring *kr = NULL;
    int failed = keyring_of(g_key, g_tenant, &kr) || fingerprint_is(kr, fp);
    record("top", "derived_key_fingerprint", failed);
    arena_reset();
  }
  each(doc, "vectors", "vectors", enc_vector);
  each(doc, "aad_reject_vectors", "aad_reject_vectors", enc_aad_reject);
  json_t *kr = field(doc, "keyring");
  if (kr) {
    const char *top_tenant = g_tenant;
    g_tenant = opt_str(kr, "tenant_id") ? opt_str(kr, "tenant_id") : "default";
    g_entries = field(kr, "entries");
    each(kr, "entries", "keyring.entries", kr_entry);
    each(kr, "vectors", "keyring.vectors", kr_vector);
    json_t *cfg = field(kr, "configuration");
    if (cfg) each(cfg, "vectors", "keyring.configuration", kr_configuration);
    g_tenant = top_tenant;
  }
  json_t *dc = field(doc, "decrypted_container");
  if (dc) {
    each(dc, "vectors", "decrypted_container", dc_vector);
    /* Python-only readers (VECTORS.md "Out of scope") pass trivially above; move them to skipped. */
    size_t i;
    json_t *v;
    json_array_foreach(field(dc, "vectors"), i, v) {
      const char *r = opt_str(v, "reader");
      if (!r || (strcmp(r, "plain_msgpack") && strcmp(r, "bytestorage_envelope") && strcmp(r, "interop"))) {
        g_passed--;
        g_skipped++;
      }
    }
  }
  json_t *dt = field(doc, "default_tenant");
  if (dt) {
    const char *want = opt_str(dt, "derived_key_fingerprint_hex");
    ck_keyring *k = NULL;
    int failed = !want ? fail("no derived_key_fingerprint_hex") : keyring_of(g_key, NULL, &k) || fingerprint_is(k, want);
    record("default_tenant", "derived_key_fingerprint", failed);
    arena_reset();
    each(dt, "vectors", "default_tenant", dt_vector);
  }
  json_t *mk = field(doc, "master_key_input");
  if (mk) {
    g_mk_tenant = opt_str(mk, "tenant_id") ? opt_str(mk, "tenant_id") : "default";
    each(mk, "accept_vectors", "master_key_input.accept_vectors", mk_accept);
    each(mk, "reject_vectors", "master_key_input.reject_vectors", mk_reject);
    each(mk, "raw_reject_vectors", "master_key_input.raw_reject_vectors", mk_raw_reject);
  }
}

/* ------------------------------------------------------------------ cache-keys */

/* kwargs (a JSON object of name -> tagged value) as a MessagePack map */
static int kwargs_of(json_t *v, bytes **out) {
  json_t *kw = field(v, "kwargs");
  if (!json_is_object(kw)) return fail("kwargs is not an object");
  *out = new_bytes();
  mp_map(*out, json_object_size(kw));
  const char *k = NULL;
  json_t *x;
  json_object_foreach(kw, k, x) {
    mp_str(*out, k, strlen(k));
    TRY(to_mp(x, *out, INPUT, 1));
  }
  return 0;
}

static ck_result default_key(json_t *v, const char *serializer, ck_buf *out) {
  bytes *args = NULL, *kwargs = NULL;
  char function[2048];
  const char *mod = opt_str(v, "function_module"), *qual = opt_str(v, "function_qualname");
  snprintf(function, sizeof function, "%s.%s", mod ? mod : "", qual ? qual : "");
  if (args_of(v, &args) || kwargs_of(v, &kwargs)) return -1;
  json_t *integrity = field(v, "integrity_checking");
  return ck_default_key(opt_str(v, "namespace"), function, args->p, args->n, kwargs->p, kwargs->n,
                        integrity ? json_is_true(integrity) : true, serializer, out);
}

static int ck_vector(json_t *v) {
  const char *ser = NULL, *want = NULL;
  TRY(str_field(v, "serializer_type", &ser));
  TRY(str_field(v, "expected_key", &want));
  ck_buf *key = new_buf();
  ck_result rc = default_key(v, ser, key);
  if (rc == -1) return 1;
  if (rc != CK_OK) return fail("key: %s", errs(rc));
  return eq_str("key", (const char *)key->ptr, key->len, want);
}

static int ck_error(json_t *v) {
  json_t *ser = field(v, "serializer_type");
  if (ser && !json_is_string(ser) && !json_is_null(ser)) {
    /* A non-string identity (an integer) cannot be passed through `const char *` at all:
     * refused by the C type system, as the Rust runner treats `&str`. */
    return 0;
  }
  ck_result rc = default_key(v, json_string_value(ser), new_buf()); /* JSON null -> NULL */
  if (rc == -1) return 1;
  return fails("key", rc, NULL);
}

static void cache_keys(json_t *doc) {
  each(doc, "vectors", "vectors", ck_vector);
  each(doc, "error_vectors", "error_vectors", ck_error);
  g_skipped += (long)json_array_size(field(doc, "serializer_object_vectors")); /* Python classes: out of scope */
}

/* ------------------------------------------------------------------ python-frame */

static ck_keyring *g_frame_keyring;
static const char *g_frame_key = "k";

static int refused_everywhere(const bytes *frame) {
  static const ck_result k[] = {CK_PYTHON_FRAME, 0};
  char what[64];
  for (int m = 0; m < 3; m++) {
    snprintf(what, sizeof what, "read %s", mode_name(ALL_MODES[m]));
    TRY(fails(what, ck_entry_decode(ALL_MODES[m], g_frame_key, g_frame_keyring, frame->p, frame->n, new_buf()), k));
  }
  if (!ck_python_frame_detect(frame->p, frame->n)) return fail("ck_python_frame_detect: false");
  return 0;
}

static int inspected(const bytes *frame, json_t *v) {
  ck_python_frame f;
  ck_buf *name = new_buf();
  ck_frame_rejection why = CK_FRAME_REJECTION_NONE;
  ck_result rc = ck_python_frame_parse(frame->p, frame->n, &f, name, &why);
  if (rc != CK_OK) return fail("inspect: rejected by %s (%s)", ck_python_frame_rejection_name(why), errs(rc));
  json_t *want = field(v, "expected_header");
  if (want) {
    json_error_t err;
    json_t *got = json_loadb((const char *)frame->p + f.header_offset, f.header_len, JSON_DECODE_ANY, &err);
    if (!got) return fail("header JSON: %s", err.text);
    track(A_JSON, got);
    if (!json_equal(got, want)) return fail("header: got %.*s", (int)f.header_len, (const char *)frame->p + f.header_offset);
    json_t *s = field(want, "s");
    if (json_is_string(s)) {
      if (!f.has_serializer || !name->ptr) return fail("serializer: none, want %s", json_string_value(s));
      TRY(eq_str("serializer", (const char *)name->ptr, name->len, json_string_value(s)));
    }
  }
  if (field(v, "expected_payload_hex")) {
    bytes *p = NULL;
    TRY(hex_field(v, "expected_payload_hex", &p));
    TRY(eq_bytes("payload", frame->p + f.payload_offset, f.payload_len, p));
  }
  return 0;
}

static int pf_frame(json_t *v) {
  bytes *frame = NULL;
  TRY(hex_field(v, "frame_hex", &frame));
  TRY(refused_everywhere(frame));
  return inspected(frame, v);
}

static int pf_error(json_t *v) {
  bytes *frame = NULL;
  TRY(hex_field(v, "frame_hex", &frame));
  if (ck_python_frame_detect(frame->p, frame->n)) TRY(refused_everywhere(frame));
  const char *step = opt_str(v, "rejected_by");
  if (!step) return 0;
  ck_python_frame f;
  ck_frame_rejection why = CK_FRAME_REJECTION_NONE;
  ck_result rc = ck_python_frame_validate(frame->p, frame->n, &f, NULL, &why);
  if (rc == CK_OK) return fail("inspect: accepted, want rejected by %s", step);
  if (rc != CK_PYTHON_FRAME_MALFORMED) return fail("inspect: %s", errs(rc));
  const char *got = ck_python_frame_rejection_name(why);
  if (strcmp(got, step)) return fail("rejected_by: got %s, want %s", got, step);
  return 0;
}

static int pf_encrypted(json_t *v) {
  bytes *frame = NULL;
  const char *outcome = NULL;
  if (!g_frame_keyring) return fail("no encrypted_reader block");
  TRY(hex_field(v, "frame_hex", &frame));
  TRY(str_field(v, "outcome", &outcome));
  if (strcmp(outcome, "fail_closed")) return fail("outcome: %s, want fail_closed", outcome);
  TRY(refused_everywhere(frame));
  return inspected(frame, v);
}

static void python_frame(json_t *doc) {
  g_frame_keyring = NULL;
  g_frame_key = "k";
  each(doc, "frame_vectors", "frame_vectors", pf_frame);
  each(doc, "error_vectors", "error_vectors", pf_error);
  json_t *r = field(doc, "encrypted_reader");
  ck_keyring *kr = NULL;
  if (r) {
    const char *key = opt_str(r, "master_key_hex"), *tenant = opt_str(r, "tenant_id");
    if (key && tenant && ck_keyring_new_hex(key, tenant, &kr) == CK_OK) {
      g_frame_keyring = kr;
      g_frame_key = opt_str(r, "cache_key") ? opt_str(r, "cache_key") : "k";
    }
  }
  each(doc, "encrypted_read_vectors", "encrypted_read_vectors", pf_encrypted);
  ck_keyring_free(kr);
  g_frame_keyring = NULL;
  g_frame_key = "k";
}

/* ------------------------------------------------------------------ standard-serializer, key-derivation */

static int ss_vector(json_t *v) {
  bytes *val = NULL, *msgpack = NULL, *want = NULL;
  TRY(input_of(v, "value", &val));
  TRY(hex_field(v, "msgpack_hex", &msgpack));
  ck_buf *enc = new_buf(), *dec = new_buf();
  OK("encode", ck_entry_encode(CK_MODE_DEFAULT_NO_INTEGRITY, NULL, NULL, 0, val->p, val->n, enc));
  TRY(eq_bytes("encode", enc->ptr, enc->len, msgpack));
  ck_result rc = read_entry(CK_MODE_DEFAULT_NO_INTEGRITY, msgpack, dec);
  json_t *decodes_to = field(v, "decodes_to");
  if (decodes_to && json_is_null(decodes_to)) {
    TRY(fails("decode", rc, NULL));
  } else {
    if (rc != CK_OK) return fail("decode: %s", errs(rc));
    TRY(expected_of(decodes_to ? decodes_to : field(v, "value"), &want));
    TRY(same_value("decode", dec->ptr, dec->len, want));
  }
  if (opt_str(v, "envelope_hex")) {
    bytes *env = NULL;
    TRY(hex_field(v, "envelope_hex", &env));
    ck_buf *st = new_buf(), *rt = new_buf(), *entry = new_buf();
    OK("envelope store", ck_envelope_store(msgpack->p, msgpack->n, st));
    TRY(eq_bytes("envelope store", st->ptr, st->len, env));
    OK("envelope retrieve", ck_envelope_retrieve(env->p, env->n, rt));
    TRY(eq_bytes("envelope retrieve", rt->ptr, rt->len, msgpack));
    OK("default entry", ck_entry_encode(CK_MODE_DEFAULT, NULL, NULL, 0, val->p, val->n, entry));
    TRY(eq_bytes("default entry", entry->ptr, entry->len, env));
  }
  return 0;
}

static int ss_reader(json_t *v) {
  bytes *in = NULL, *want = NULL;
  TRY(hex_field(v, "input_hex", &in));
  ck_buf *dec = new_buf();
  OK("decode", read_entry(CK_MODE_DEFAULT_NO_INTEGRITY, in, dec));
  TRY(expected_of(field(v, "value"), &want));
  return same_value("decode", dec->ptr, dec->len, want);
}

static int ss_error(json_t *v) {
  bytes *val = NULL;
  TRY(input_of(v, "value", &val));
  return fails("encode", ck_entry_encode(CK_MODE_DEFAULT_NO_INTEGRITY, NULL, NULL, 0, val->p, val->n, new_buf()), NULL);
}

static void standard_serializer(json_t *doc) {
  each(doc, "vectors", "vectors", ss_vector);
  each(doc, "reader_vectors", "reader_vectors", ss_reader);
  each(doc, "error_vectors", "error_vectors", ss_error);
}

static int kd_vector(json_t *v) {
  const char *domain = NULL, *tenant = NULL, *fp = NULL;
  bytes *master = NULL, *salt = NULL, *derived = NULL;
  TRY(str_field(v, "domain", &domain));
  TRY(str_field(v, "tenant_id", &tenant));
  TRY(str_field(v, "fingerprint_hex", &fp));
  TRY(hex_field(v, "master_key_hex", &master));
  TRY(hex_field(v, "salt_hex", &salt));
  TRY(hex_field(v, "derived_key_hex", &derived));
  ck_buf *s = new_buf();
  OK("salt", ck_derive_salt(domain, tenant, s));
  TRY(eq_bytes("salt", s->ptr, s->len, salt));
  uint8_t key[CK_KEY_LEN], f[CK_FINGERPRINT_LEN];
  OK("derive", ck_derive_key(master->p, master->n, domain, tenant, key, sizeof key));
  TRY(eq_bytes("derived key", key, sizeof key, derived));
  OK("fingerprint", ck_key_fingerprint(key, sizeof key, f, sizeof f));
  const char *got = hexs(f, sizeof f);
  if (strcmp(got, fp)) return fail("fingerprint: got %s, want %s", got, fp);
  if (!strcmp(domain, "encryption")) {
    /* The keyring derives the same key: its fingerprint agrees. */
    ck_keyring *kr = NULL;
    OK("keyring", ck_keyring_new(master->p, master->n, tenant, &kr));
    track(A_KEYRING, kr);
    TRY(fingerprint_is(kr, fp));
  }
  return 0;
}

/* ------------------------------------------------------------------ files */

/* jansson holds integers as long long: a JSON integer beyond int64 (wire-format.json has
 * original_size 9223372036854775824 in a reject vector, a field no check reads) is turned
 * into a JSON string before parsing. A check that did read it as a number would fail with
 * "is not an integer", never pass silently. */
static json_t *load_json(const char *path, json_error_t *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err->text, sizeof err->text, "%s", strerror(errno));
    err->line = 0;
    return NULL;
  }
  bytes raw = {0}, text = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) b_append(&raw, chunk, n);
  fclose(f);
  bool in_str = false;
  for (size_t i = 0; i < raw.n;) {
    uint8_t c = raw.p[i];
    if (in_str) {
      b_byte(&text, c);
      if (c == '\\' && i + 1 < raw.n) b_byte(&text, raw.p[++i]);
      else if (c == '"') in_str = false;
      i++;
      continue;
    }
    if (c == '"') { in_str = true; b_byte(&text, c); i++; continue; }
    if (c == '-' || isdigit(c)) {
      size_t j = i + (c == '-');
      while (j < raw.n && isdigit(raw.p[j])) j++;
      bool integer = j == raw.n || !strchr(".eE", raw.p[j]);
      char num[64];
      size_t len = j - i;
      if (integer && len < sizeof num) {
        memcpy(num, raw.p + i, len);
        num[len] = 0;
        errno = 0;
        (void)strtoll(num, NULL, 10);
        if (errno == ERANGE) {
          b_byte(&text, '"');
          b_append(&text, num, len);
          b_byte(&text, '"');
          i = j;
          continue;
        }
      }
      b_append(&text, raw.p + i, len);
      i = j;
      continue;
    }
    b_byte(&text, c);
    i++;
  }
  json_t *doc = json_loadb((const char *)text.p, text.n, JSON_ALLOW_NUL, err);
  free(raw.p);
  free(text.p);
  return doc;
}

static void run_file(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  g_file = base;
  char schema[128];
  size_t n = strcspn(base, ".");
  snprintf(schema, sizeof schema, "%.*s", (int)n, base);
  json_error_t err;
  json_t *doc = load_json(path, &err);
  if (!doc) {
    fail("cannot read: %s (line %d)", err.text, err.line);
    record("file", "*", 1);
    return;
  }
  static const char *const wf[] = {"vectors", "constructed_vectors", "reject_vectors", "payload_reject_vectors",
                                   "temporal_sentinel_vectors", "limits", NULL};
  static const char *const db[] = {"reject_vectors", "accept_vectors", NULL};
  static const char *const im[] = {"key_vectors", "error_vectors", "value_vectors", "value_error_vectors",
                                   "reader_accept_vectors", "reader_reject_vectors", "aad_vectors",
                                   "encryption_vectors", "tagged_json", NULL};
  static const char *const en[] = {"vectors", "aad_reject_vectors", "keyring", "decrypted_container",
                                   "default_tenant", "master_key_input", NULL};
  static const char *const ck[] = {"vectors", "error_vectors", "serializer_object_vectors", NULL};
  static const char *const pf[] = {"frame_vectors", "error_vectors", "encrypted_read_vectors", "encrypted_reader", NULL};
  static const char *const ss[] = {"vectors", "reader_vectors", "error_vectors", NULL};
  static const char *const kd[] = {"vectors", NULL};
  const char *const *known = NULL;
  if (!strcmp(schema, "wire-format")) { wire_format(doc); known = wf; }
  else if (!strcmp(schema, "decode-bounds")) { decode_bounds(doc); known = db; }
  else if (!strcmp(schema, "interop-mode")) { interop_mode(doc); known = im; }
  else if (!strcmp(schema, "encryption")) { encryption(doc); known = en; }
  else if (!strcmp(schema, "cache-keys")) { cache_keys(doc); known = ck; }
  else if (!strcmp(schema, "python-frame")) { python_frame(doc); known = pf; }
  else if (!strcmp(schema, "standard-serializer")) { standard_serializer(doc); known = ss; }
  else if (!strcmp(schema, "key-derivation")) { each(doc, "vectors", "vectors", kd_vector); known = kd; }
  else {
    fail("unknown schema \"%s\"", schema);
    record("file", "*", 1);
  }
  if (known) unknown_sections(doc, known);
  arena_reset();
  json_decref(doc);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE...\n", argv[0]);
    return 2;
  }
  if (strcmp(ck_version(), CACHEKIT_VERSION_STRING)) {
    fprintf(stderr, "header %s but library %s\n", CACHEKIT_VERSION_STRING, ck_version());
    return 2;
  }
  for (int i = 1; i < argc; i++) run_file(argv[i]);
  if (g_skipped) printf("%ld passed, %ld failed, %ld skipped\n", g_passed, g_failed, g_skipped);
  else printf("%ld passed, %ld failed\n", g_passed, g_failed);
  free(g_arena);
  return g_failed ? 1 : 0;
}
