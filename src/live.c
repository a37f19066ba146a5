/* SPDX-License-Identifier: MIT */
/*
 * live.c - a handle's part in the lifecycle: the record in its
 * directory's liveness ledger (ledger.c) that lets tf_reap() tell a dead
 * process's leftover from a live object, and the registry slot that lets
 * exit and signal cleanup find it.  Neither costs a system call per
 * object.  Kept and published objects have their record set free, so a
 * reaper never takes them.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tf__life_register(struct tf__life *l, unsigned flags,
                      enum tf__obj_kind kind, int dirfd, const char *name) {
  l->slot = NULL;
  l->mark.rec = NULL;
  if (flags & TF_UNTRACKED)
    return 0;
  return tf__reg_add(&l->slot, kind, dirfd, name, NULL, NULL);
}

int tf__life_start(struct tf__life *l, unsigned flags, enum tf__obj_kind kind,
                   struct tf__anchor *a, const char *name,
                   const struct tf__stat *id) {
  int rc;
  l->slot = NULL;
  l->mark.rec = NULL;
  if (flags & TF_UNTRACKED)
    return 0;
  tf__ledger_add(a, kind, name, &l->mark);
  rc = tf__reg_add(&l->slot, kind, a->fd, name, id, l->mark.rec);
  if (rc < 0)
    tf__ledger_drop(&l->mark);
  return rc;
}

void tf__life_unmark(struct tf__life *l) { tf__ledger_set(&l->mark, 0); }

void tf__life_remark(struct tf__life *l) { tf__ledger_set(&l->mark, 1); }

/* The signals are blocked here, not in the registry, so the registry
 * never calls signals.c, whose handler calls the registry. */
int tf__track_begin(int tracked, struct tf__creation *c) {
  int rc;
  if (!tracked)
    return 0;
  c->blocked = tf__signals_block(&c->old);
  rc = tf__reg_enter();
  if (rc < 0 && c->blocked)
    tf__signals_restore(&c->old);
  return rc;
}

void tf__track_end(int tracked, struct tf__creation *c) {
  if (!tracked)
    return;
  tf__reg_leave();
  if (c->blocked)
    tf__signals_restore(&c->old);
}

/* The registry's and the ledger's locks are taken here with the cleanup
 * signals blocked, as in a creation: a signal cleaner running in this
 * thread would otherwise hold them while it waits for another thread's
 * creation in flight, which needs them to register what it has already
 * made, and after its one second of waiting that object would be left
 * behind (seen under qemu: 1 of 150 SIGTERMs into creating threads). */
void tf__life_end(struct tf__life *l) {
  sigset_t old;
  int blocked = tf__signals_block(&old);
  tf__reg_drop(l->slot);
  l->slot = NULL;
  tf__ledger_drop(&l->mark);
  if (blocked)
    tf__signals_restore(&old);
}

long tf__mark_pid(int fd, const char *name) {
  char value[sizeof(TF_MARK_TAG) + 24 + NAME_MAX + 1];
  size_t tag = sizeof(TF_MARK_TAG) - 1;
  char *p, *end;
  long pid;
  ssize_t n = tf__sys.xattr_get(fd, TF_MARK_XATTR, value, sizeof(value) - 1);
  if (n <= (ssize_t)tag)
    return -1;
  value[n] = '\0';
  if (memcmp(value, TF_MARK_TAG, tag) != 0)
    return -1;
  p = value + tag;
  pid = strtol(p, &end, 10);
  if (end == p || *end != ' ' || pid <= 0)
    return -1;
  return strcmp(end + 1, name) == 0 ? pid : -1;
}
