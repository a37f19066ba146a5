/* SPDX-License-Identifier: MIT */
/*
 * anchor.c - the directory fds that handles anchor on, shared.
 *
 * A handle made in a directory given by path (opts.dir or the temporary
 * directory) keeps an fd of that directory, makes its object relative to
 * it, and makes every later *at() call relative to it.  Opening and
 * closing one per handle was two of the handle's system calls; instead
 * the first handle made in a directory opens it, and the fd stays, keyed
 * by the path string, for every later handle made there (at most
 * TABLE_SIZE directories; past that a handle gets an fd of its own,
 * closed with it).  Each anchor counts the handles that use it.
 *
 * A directory given in opts.dir is the caller's to name anew for every
 * handle, as Python's dir= is: before a cached anchor is used, the path
 * is looked up (one stat) and must still lead to the anchor's directory,
 * else the directory it leads to now is opened and takes its place.  The
 * temporary directory is a setting of the process, found once (as
 * Python's gettempdir() finds it once) and now also held open once: its
 * anchor is used as it is, with no look-up, so that a handle made there
 * costs only the system calls of its object.  If the temporary directory
 * is removed, the next creation there fails with ENOENT and the caller
 * (handle.c) opens it anew once; if it is renamed or replaced, objects
 * are still made in the directory found, under paths that name its old
 * place (tf_settempdir() names a new one).
 */
#include "internal.h"

#include <string.h>

#define TABLE_SIZE 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tf__anchor *table[TABLE_SIZE];

/* Held across fork() (process.c), so a child never inherits it taken. */
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static void hold_across_fork(void) { tf__hold_across_fork(&lock); }

static void lock_table(void) {
  pthread_once(&fork_once, hold_across_fork);
  pthread_mutex_lock(&lock);
}

static struct tf__anchor *new_anchor(int fd, const char *path, size_t len) {
  struct tf__anchor *a = tf__malloc(sizeof(*a) + len + 1);
  if (a == NULL)
    return NULL;
  memset(a, 0, sizeof(*a));
  a->fd = fd;
  a->refs = 1;
  a->path_len = len;
  memcpy(a->path, path, len);
  a->path[len] = '\0';
  return a;
}

/* Open dir (len bytes) as an anchor and learn its identity. */
static int open_dir(const char *dir, size_t len, struct tf__stat *st) {
  char buf[PATH_MAX];
  int fd;
  if (len >= sizeof(buf))
    return -ENAMETOOLONG;
  memcpy(buf, dir, len);
  buf[len] = '\0';
  fd = tf__sys.openat(AT_FDCWD, buf, TF_O_DIRANCHOR, 0);
  if (fd < 0)
    return -errno;
  if (tf__sys.statfd(fd, st) != 0) {
    int err = -errno;
    tf__close_quiet(fd);
    return err;
  }
  return fd;
}

/* Close an anchor no one uses any more.  An fd that was opened for the
 * cache may have been closed behind the library's back (closefrom()) and
 * its number reused: it is closed only if it still is the directory. */
static void close_anchor(struct tf__anchor *a) {
  struct tf__stat st;
  if (a->owned ||
      (tf__sys.statfd(a->fd, &st) == 0 && st.dev == a->dev &&
       st.ino == a->ino))
    tf__close_quiet(a->fd);
  tf__freemem(a);
}

static struct tf__anchor **find(const char *dir, size_t len) {
  size_t i;
  for (i = 0; i < TABLE_SIZE; i++)
    if (table[i] != NULL && table[i]->path_len == len &&
        memcmp(table[i]->path, dir, len) == 0)
      return &table[i];
  return NULL;
}

static struct tf__anchor **free_entry(void) {
  size_t i;
  for (i = 0; i < TABLE_SIZE; i++)
    if (table[i] == NULL)
      return &table[i];
  return NULL;
}

/* Whether the cached anchor a is still where dir leads (one stat). */
static int still_there(const struct tf__anchor *a) {
  struct stat st;
  return tf__sys.fstatat(AT_FDCWD, a->path, &st, 0) == 0 &&
         st.st_dev == a->dev && st.st_ino == a->ino;
}

/* Take a out of the table (the lock held): it stays open for the handles
 * that use it, and closes with the last. */
static void uncache_locked(struct tf__anchor *a) {
  struct tf__anchor **e = a->cached ? find(a->path, a->path_len) : NULL;
  if (e != NULL && *e == a) {
    *e = NULL;
    a->cached = 0;
  }
}

int tf__anchor_get(const char *dir, size_t len, int check,
                   struct tf__anchor **out) {
  struct tf__anchor **e, *a, *old = NULL;
  struct tf__stat st;
  int fd;
  lock_table();
  e = find(dir, len);
  if (e != NULL) {
    (*e)->refs++;
    *out = *e;
    pthread_mutex_unlock(&lock);
    if (!check || still_there(*out))
      return 0;
    /* Renamed, replaced or removed since it was opened. */
    lock_table();
    uncache_locked(*out);
    pthread_mutex_unlock(&lock);
    tf__anchor_put(*out);
  } else {
    pthread_mutex_unlock(&lock);
  }
  fd = open_dir(dir, len, &st);
  if (fd < 0)
    return fd;
  a = new_anchor(fd, dir, len);
  if (a == NULL) {
    tf__close_quiet(fd);
    return -ENOMEM;
  }
  a->dev = st.dev;
  a->ino = st.ino;
  lock_table();
  e = find(dir, len);
  if (e != NULL) { /* this one is newer */
    old = *e;
    uncache_locked(old);
    if (old->refs > 0)
      old = NULL; /* closed by its last handle */
  }
  e = free_entry();
  if (e != NULL) {
    a->cached = 1;
    *e = a;
  }
  pthread_mutex_unlock(&lock);
  if (old != NULL)
    close_anchor(old);
  *out = a;
  return 0;
}

int tf__anchor_own(int fd, struct tf__anchor **out) {
  struct tf__anchor *a = new_anchor(fd, "", 0);
  if (a == NULL)
    return -ENOMEM;
  a->owned = 1;
  *out = a;
  return 0;
}

void tf__anchor_put(struct tf__anchor *a) {
  int last;
  if (a == NULL)
    return;
  lock_table();
  last = --a->refs == 0 && !a->cached;
  pthread_mutex_unlock(&lock);
  if (last)
    close_anchor(a);
}

/* Take a out of the table; close it if no handle uses it. */
static void forget(struct tf__anchor *a) {
  int idle;
  lock_table();
  uncache_locked(a);
  idle = a->refs == 0;
  pthread_mutex_unlock(&lock);
  if (idle)
    close_anchor(a);
}

void tf__anchor_forget(struct tf__anchor *a) { forget(a); }

void tf__anchor_forget_path(const char *dir, size_t len) {
  struct tf__anchor **e, *a = NULL;
  lock_table();
  e = find(dir, len);
  if (e != NULL) {
    a = *e;
    a->refs++; /* kept until forget() decides */
  }
  pthread_mutex_unlock(&lock);
  if (a != NULL) {
    forget(a);
    tf__anchor_put(a);
  }
}

void tf__anchors_release(void) {
  struct tf__anchor *idle[TABLE_SIZE];
  size_t i, n = 0;
  lock_table();
  for (i = 0; i < TABLE_SIZE; i++)
    if (table[i] != NULL && table[i]->refs == 0) {
      table[i]->cached = 0;
      idle[n++] = table[i];
      table[i] = NULL;
    }
  pthread_mutex_unlock(&lock);
  while (n > 0)
    close_anchor(idle[--n]);
}
