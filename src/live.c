/* SPDX-License-Identifier: MIT */
/*
 * live.c - a handle's part in the lifecycle: the liveness mark that lets
 * tf_reap() tell a dead process's leftover from a live object, and the
 * registry slot that lets exit and signal cleanup find it.
 *
 * The mark is two things.  A shared flock(2) on the object, held through
 * the handle's fd for as long as the handle may delete the object: the
 * kernel drops it when the process dies, with no help from the dead.  And
 * the extended attribute "user.tempfile" = "libtempfile PID NAME", which
 * says libtempfile made the object under that name, set only once the
 * lock is held.  A reaper locks exclusively before it reads the
 * attribute, so an object being born (no lock yet, so no attribute yet)
 * is never taken for a dead one.  Kept and published objects lose the
 * attribute, so a reaper never takes them either.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

int tf__life_mark(struct tf__life *l, unsigned flags, int fd,
                  const char *name) {
  char value[sizeof(TF_MARK_TAG) + 24 + NAME_MAX];
  int n;
  l->marked = 0;
  if (flags & TF_UNTRACKED)
    return 0;
  /* A reaper holding its exclusive lock right now is judging an object
   * with no mark: it leaves it, and so it stays unmarked. */
  if (tf__sys.flock(fd, LOCK_SH | LOCK_NB) != 0)
    return 0;
  n = snprintf(value, sizeof(value), TF_MARK_TAG "%ld %s",
               (long)tf__current_pid(), name);
  if (n < 0 || (size_t)n >= sizeof(value))
    return 0;
  l->marked = tf__sys.xattr_set(fd, TF_MARK_XATTR, value, (size_t)n) == 0;
  return l->marked;
}

int tf__life_register(struct tf__life *l, unsigned flags,
                      enum tf__obj_kind kind, int dirfd, const char *name,
                      dev_t dev, ino_t ino) {
  l->slot = NULL;
  if (flags & TF_UNTRACKED)
    return 0;
  return tf__reg_add(&l->slot, kind, dirfd, name, dev, ino);
}

int tf__life_start(struct tf__life *l, unsigned flags, int fd,
                   enum tf__obj_kind kind, int dirfd, const char *name,
                   dev_t dev, ino_t ino) {
  int rc = tf__life_register(l, flags, kind, dirfd, name, dev, ino);
  if (rc < 0) {
    l->marked = 0;
    return rc;
  }
  tf__life_mark(l, flags, fd, name);
  return 0;
}

void tf__life_unmark(struct tf__life *l, int fd) {
  if (l->marked && fd >= 0)
    tf__sys.xattr_remove(fd, TF_MARK_XATTR);
}

void tf__life_remark(struct tf__life *l, int fd, const char *name) {
  char value[sizeof(TF_MARK_TAG) + 24 + NAME_MAX];
  int n;
  if (!l->marked || fd < 0)
    return;
  n = snprintf(value, sizeof(value), TF_MARK_TAG "%ld %s",
               (long)tf__current_pid(), name);
  if (n > 0 && (size_t)n < sizeof(value))
    tf__sys.xattr_set(fd, TF_MARK_XATTR, value, (size_t)n);
}

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

void tf__life_end(struct tf__life *l) {
  tf__reg_drop(l->slot);
  l->slot = NULL;
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
