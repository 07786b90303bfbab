/*
 * cachekit_hiredis.h: executes the commands of cachekit's request engine (ck_command) with
 * hiredis and hands back the reply as a ck_reply. Header-only: copy it into your project.
 *
 *   ckh_reply r;
 *   ckh_execute(redis, &step.command, timeout_ms, &r);    // never fails: errors become replies
 *   ck_op_on_reply(op, &r.reply, now_ms(), &step);
 *   ckh_reply_free(&r);                                    // after ck_op_on_reply
 *   if (r.broken) { reconnect }                           // hiredis contexts die on I/O errors
 *
 * Mapping (RESP2, hiredis >= 0.14): STRING -> CK_REPLY_BYTES, STATUS -> CK_REPLY_OK,
 * INTEGER -> CK_REPLY_INT, NIL -> CK_REPLY_NIL, ARRAY -> CK_REPLY_ARRAY, ERROR ->
 * CK_REPLY_ERROR; a NULL reply (I/O error) -> CK_REPLY_TIMEOUT when the socket timed out,
 * else CK_REPLY_ERROR with the context's errstr. RESP3 types of newer hiredis map the same
 * way (DOUBLE/BIGNUM/VERB -> bytes, BOOL -> int, SET/MAP/PUSH -> array) where defined.
 */
#ifndef CACHEKIT_HIREDIS_H
#define CACHEKIT_HIREDIS_H

#include <cachekit.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

typedef struct {
  ck_reply reply;        /* what to pass to ck_op_on_reply */
  int broken;            /* the connection failed: reconnect before the next command */
  redisReply *raw[2];    /* hiredis replies the ck_reply points into */
  ck_reply *nodes[2];    /* converted array items, per raw reply */
  ck_reply pair[2];      /* GET + TTL */
  char message[128];     /* transport error text */
} ckh_reply;

static size_t ckh_count(const redisReply *r) {
  size_t n = 0;
  if (r && (r->type == REDIS_REPLY_ARRAY
#ifdef REDIS_REPLY_SET
            || r->type == REDIS_REPLY_SET || r->type == REDIS_REPLY_MAP || r->type == REDIS_REPLY_PUSH
#endif
            ))
    for (size_t i = 0; i < r->elements; i++) n += 1 + ckh_count(r->element[i]);
  return n;
}

static ck_reply ckh_fill(const redisReply *r, ck_reply **next) {
  ck_reply out;
  memset(&out, 0, sizeof out);
  switch (r->type) {
    case REDIS_REPLY_STRING:
#ifdef REDIS_REPLY_VERB
    case REDIS_REPLY_VERB:
    case REDIS_REPLY_DOUBLE:
    case REDIS_REPLY_BIGNUM:
#endif
      out.kind = CK_REPLY_BYTES, out.bytes = (const uint8_t *)r->str, out.len = r->len;
      break;
    case REDIS_REPLY_STATUS: out.kind = CK_REPLY_OK; break;
    case REDIS_REPLY_INTEGER: out.kind = CK_REPLY_INT, out.integer = r->integer; break;
#ifdef REDIS_REPLY_BOOL
    case REDIS_REPLY_BOOL: out.kind = CK_REPLY_INT, out.integer = r->integer; break;
#endif
    case REDIS_REPLY_ERROR: out.kind = CK_REPLY_ERROR, out.bytes = (const uint8_t *)r->str, out.len = r->len; break;
    case REDIS_REPLY_ARRAY:
#ifdef REDIS_REPLY_SET
    case REDIS_REPLY_SET:
    case REDIS_REPLY_MAP:
    case REDIS_REPLY_PUSH:
#endif
    {
      ck_reply *items = *next;
      *next += r->elements;
      for (size_t i = 0; i < r->elements; i++) items[i] = ckh_fill(r->element[i], next);
      out.kind = CK_REPLY_ARRAY, out.elements = items, out.elements_len = r->elements;
      break;
    }
    default: out.kind = CK_REPLY_NIL; break;
  }
  return out;
}

/* Converts raw reply `i` of `h` (NULL: the context's error) into a ck_reply. */
static ck_reply ckh_convert(redisContext *c, ckh_reply *h, int i) {
  ck_reply out;
  memset(&out, 0, sizeof out);
  const redisReply *r = h->raw[i];
  if (!r) {
    h->broken = 1;
    int timed_out = c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
    if (timed_out) {
      out.kind = CK_REPLY_TIMEOUT;
    } else {
      snprintf(h->message, sizeof h->message, "%s", c->err ? c->errstr : "no reply");
      out.kind = CK_REPLY_ERROR, out.bytes = (const uint8_t *)h->message, out.len = strlen(h->message);
    }
    return out;
  }
  size_t n = ckh_count(r);
  ck_reply *next = NULL;
  if (n) {
    h->nodes[i] = (ck_reply *)calloc(n, sizeof(ck_reply));
    next = h->nodes[i];
  }
  return ckh_fill(r, &next);
}

static redisReply *ckh_argv(redisContext *c, size_t argc, const char **argv, const size_t *lens) {
  return (redisReply *)redisCommandArgv(c, (int)argc, argv, lens);
}

/* SCAN + UNLINK until the cursor is back at 0; the reply is the number of keys deleted. */
static void ckh_delete_matching(redisContext *c, const ck_command *cmd, ckh_reply *h) {
  long long deleted = 0;
  char cursor[32] = "0";
  do {
    redisReply *scan = (redisReply *)redisCommand(c, "SCAN %s MATCH %b COUNT 500", cursor, cmd->pattern, cmd->pattern_len);
    if (!scan || scan->type != REDIS_REPLY_ARRAY || scan->elements != 2) {
      h->raw[0] = scan;
      h->reply = ckh_convert(c, h, 0);
      return;
    }
    snprintf(cursor, sizeof cursor, "%s", scan->element[0]->str);
    redisReply *keys = scan->element[1];
    if (keys->elements) {
      size_t argc = keys->elements + 1;
      const char **argv = (const char **)malloc(argc * sizeof *argv);
      size_t *lens = (size_t *)malloc(argc * sizeof *lens);
      argv[0] = "UNLINK", lens[0] = 6;
      for (size_t i = 0; i < keys->elements; i++) argv[i + 1] = keys->element[i]->str, lens[i + 1] = keys->element[i]->len;
      redisReply *del = ckh_argv(c, argc, argv, lens);
      free(argv);
      free(lens);
      if (!del || del->type == REDIS_REPLY_ERROR) {
        freeReplyObject(scan);
        h->raw[0] = del;
        h->reply = ckh_convert(c, h, 0);
        return;
      }
      deleted += del->integer;
      freeReplyObject(del);
    }
    freeReplyObject(scan);
  } while (strcmp(cursor, "0") != 0);
  h->reply.kind = CK_REPLY_INT;
  h->reply.integer = deleted;
}

/* Executes `cmd` under `timeout_ms` and fills `h` (free it with ckh_reply_free). */
static void ckh_execute(redisContext *c, const ck_command *cmd, uint64_t timeout_ms, ckh_reply *h) {
  memset(h, 0, sizeof *h);
  struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};
  redisSetTimeout(c, tv);
  switch (cmd->kind) {
    case CK_CMD_GET_WITH_TTL: /* one round trip: pipeline GET and TTL, read both replies */
      redisAppendCommand(c, "GET %b", cmd->key, cmd->key_len);
      redisAppendCommand(c, "TTL %b", cmd->key, cmd->key_len);
      for (int i = 0; i < 2; i++) {
        if (redisGetReply(c, (void **)&h->raw[i]) != REDIS_OK || !h->raw[i]) {
          h->reply = ckh_convert(c, h, i); /* the connection is gone */
          return;
        }
      }
      for (int i = 0; i < 2; i++) {
        if (h->raw[i]->type == REDIS_REPLY_ERROR) {
          h->reply = ckh_convert(c, h, i);
          return;
        }
      }
      h->pair[0] = ckh_convert(c, h, 0);
      h->pair[1] = ckh_convert(c, h, 1);
      h->reply.kind = CK_REPLY_ARRAY, h->reply.elements = h->pair, h->reply.elements_len = 2;
      return;
    case CK_CMD_DELETE_MATCHING:
      ckh_delete_matching(c, cmd, h);
      return;
    case CK_CMD_EVAL_RELEASE:
      h->raw[0] = ckh_argv(c, cmd->argc, cmd->argv, cmd->argv_lens);
      if (h->raw[0] && h->raw[0]->type == REDIS_REPLY_ERROR && strncmp(h->raw[0]->str, "NOSCRIPT", 8) == 0) {
        /* The script cache was flushed: send the script itself. */
        const char *argv[5] = {"EVAL", cmd->script, cmd->argv[2], cmd->argv[3], cmd->argv[4]};
        size_t lens[5] = {4, strlen(cmd->script), cmd->argv_lens[2], cmd->argv_lens[3], cmd->argv_lens[4]};
        freeReplyObject(h->raw[0]);
        h->raw[0] = ckh_argv(c, 5, argv, lens);
      }
      break;
    case CK_CMD_SADD:
      h->raw[0] = ckh_argv(c, cmd->argc, cmd->argv, cmd->argv_lens);
      /* The set's life only ever grows: set when it has none (NX), extended when shorter (GT). */
      for (int m = 0; h->raw[0] && h->raw[0]->type != REDIS_REPLY_ERROR && cmd->has_ttl && m < 2; m++) {
        h->raw[1] = (redisReply *)redisCommand(c, "EXPIRE %b %llu %s", cmd->key, cmd->key_len,
                                               (unsigned long long)cmd->ttl_secs, m == 0 ? "NX" : "GT");
        if (!h->raw[1] || h->raw[1]->type == REDIS_REPLY_ERROR) {
          h->reply = ckh_convert(c, h, 1);
          return;
        }
        freeReplyObject(h->raw[1]);
        h->raw[1] = NULL;
      }
      break;
    default: /* GET, SET, SET NX, EXPIRE, DEL, SMEMBERS: one command, as given */
      h->raw[0] = ckh_argv(c, cmd->argc, cmd->argv, cmd->argv_lens);
      break;
  }
  h->reply = ckh_convert(c, h, 0);
}

static void ckh_reply_free(ckh_reply *h) {
  for (int i = 0; i < 2; i++) {
    if (h->raw[i]) freeReplyObject(h->raw[i]);
    free(h->nodes[i]);
  }
  memset(h, 0, sizeof *h);
}

/* redis://[:password@]host[:port] -> a connected context (NULL on failure). */
static redisContext *ckh_connect(const char *url) {
  char host[256] = "127.0.0.1", password[256] = "";
  int port = 6379;
  if (url && *url) {
    const char *p = strncmp(url, "redis://", 8) == 0 ? url + 8 : url;
    const char *at = strchr(p, '@');
    if (at) {
      const char *colon = (const char *)memchr(p, ':', (size_t)(at - p));
      const char *pw = colon ? colon + 1 : p;
      snprintf(password, sizeof password, "%.*s", (int)(at - pw), pw);
      p = at + 1;
    }
    size_t n = strcspn(p, ":/");
    snprintf(host, sizeof host, "%.*s", (int)n, p);
    if (p[n] == ':') port = atoi(p + n + 1);
  }
  redisContext *c = redisConnect(host, port);
  if (!c || c->err) {
    fprintf(stderr, "cannot connect to Redis at %s:%d: %s\n", host, port, c ? c->errstr : "out of memory");
    if (c) redisFree(c);
    return NULL;
  }
  if (password[0]) {
    redisReply *auth = (redisReply *)redisCommand(c, "AUTH %s", password);
    int ok = auth && auth->type != REDIS_REPLY_ERROR;
    if (auth) freeReplyObject(auth);
    if (!ok) {
      fprintf(stderr, "AUTH failed\n");
      redisFree(c);
      return NULL;
    }
  }
  return c;
}

#endif
