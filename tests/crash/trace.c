/* SPDX-License-Identifier: MIT */
/*
 * trace.c - the recording's storage and its one-line descriptions.
 */
#include "trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t crash_hash(const void *p, size_t n) {
  const unsigned char *b = p;
  uint64_t h = 1469598103934665603ull;
  size_t i;
  for (i = 0; i < n; i++) {
    h ^= b[i];
    h *= 1099511628211ull;
  }
  return h;
}

struct crash_op crash_op_make(enum crash_kind kind, const char *call, unsigned long ino) {
  struct crash_op op;
  memset(&op, 0, sizeof(op));
  op.kind = kind;
  op.call = call;
  op.ino = ino;
  return op;
}

struct crash_op *crash_trace_add(struct crash_trace *t, const struct crash_op *op) {
  struct crash_op *o;
  if (t->nops == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    struct crash_op *ops = realloc(t->ops, cap * sizeof(*ops));
    if (ops == NULL)
      return NULL;
    t->ops = ops;
    t->cap = cap;
  }
  o = &t->ops[t->nops];
  *o = *op;
  o->data = NULL;
  if (op->kind == CRASH_WRITE && op->len > 0) {
    o->data = malloc((size_t)op->len);
    if (o->data == NULL)
      return NULL;
    memcpy(o->data, op->data, (size_t)op->len);
    o->hash = crash_hash(o->data, (size_t)o->len);
  }
  t->nops++;
  return o;
}

void crash_trace_free(struct crash_trace *t) {
  size_t i;
  for (i = 0; i < t->nops; i++)
    free(t->ops[i].data);
  for (i = 0; i < t->ninitial; i++)
    free(t->initial[i].data);
  free(t->ops);
  free(t->initial);
  memset(t, 0, sizeof(*t));
}

static const char *rename_flags(unsigned int flags) {
  switch (flags) {
  case 0: return "";
  case 1: return " (NOREPLACE)";
  case 2: return " (EXCHANGE)";
  default: return " (flags)";
  }
}

void crash_op_describe(const struct crash_op *op, char *buf, size_t size) {
  const char *late = op->seen_late ? ", seen at the next call" : "";
  switch (op->kind) {
  case CRASH_CREATE:
    snprintf(buf, size, "%s: create %s (inode #%lu, mode %04o)", op->call,
             op->name, op->ino, op->mode);
    break;
  case CRASH_TMPFILE:
    snprintf(buf, size, "%s: O_TMPFILE (inode #%lu, mode %04o)", op->call,
             op->ino, op->mode);
    break;
  case CRASH_MKDIR:
    snprintf(buf, size, "%s: mkdir %s (inode #%lu)", op->call, op->name,
             op->ino);
    break;
  case CRASH_WRITE:
    snprintf(buf, size, "%s: inode #%lu [%lld, %lld) hash %016llx%s",
             op->call, op->ino, (long long)op->off,
             (long long)(op->off + op->len), (unsigned long long)op->hash,
             late);
    break;
  case CRASH_TRUNCATE:
    snprintf(buf, size, "%s: inode #%lu size %lld%s", op->call, op->ino,
             (long long)op->off, late);
    break;
  case CRASH_CHMOD:
    snprintf(buf, size, "%s: inode #%lu mode %04o", op->call, op->ino,
             op->mode);
    break;
  case CRASH_CHOWN:
    snprintf(buf, size, "%s: inode #%lu owner %u:%u, mode %04o", op->call,
             op->ino, op->uid, op->gid, op->mode);
    break;
  case CRASH_LINK:
    snprintf(buf, size, "%s: link inode #%lu as %s", op->call, op->ino,
             op->name);
    break;
  case CRASH_UNLINK:
    snprintf(buf, size, "%s: unlink %s (inode #%lu)", op->call, op->name,
             op->ino);
    break;
  case CRASH_RENAME:
    if (op->ino2 != 0)
      snprintf(buf, size, "%s: %s -> %s%s (inode #%lu over #%lu)", op->call,
               op->name, op->name2, rename_flags(op->flags), op->ino,
               op->ino2);
    else
      snprintf(buf, size, "%s: %s -> %s%s (inode #%lu)", op->call, op->name,
               op->name2, rename_flags(op->flags), op->ino);
    break;
  case CRASH_FSYNC:
    snprintf(buf, size, "%s: fsync inode #%lu returned", op->call, op->ino);
    break;
  case CRASH_CLOSE:
    snprintf(buf, size, "%s: inode #%lu closed", op->call, op->ino);
    break;
  case CRASH_MARK:
    snprintf(buf, size, "-- %s --", op->name);
    break;
  }
}
