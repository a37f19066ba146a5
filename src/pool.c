/* SPDX-License-Identifier: MIT */
/*
 * pool.c - pools of temporary files (the tutorial's TempFilePool).  A pool
 * keeps the files it hands out in a table indexed by fd, so acquire,
 * release and tf_pool_path() find a file in O(1), and keeps its idle
 * files on a list threaded through that table, so acquire takes one
 * without a system call.  One mutex guards the table; the system calls
 * (creating, emptying and ending files) and the table's growth happen
 * outside it, so threads wait for each other only for a few loads and
 * stores.
 */
#include "internal.h"

#include <string.h>

/* What a slot of the table holds. */
enum slot_state {
  SLOT_FREE = 0,  /* no file of the pool has this fd */
  SLOT_IDLE,      /* empty, at offset 0, on the idle list */
  SLOT_ACQUIRED,  /* handed out */
  SLOT_RELEASING  /* being emptied by tf_pool_release() */
};

/* One file the pool owns; its index in the table is its fd. */
struct slot {
  tf_file *file;  /* the handle of a named pool's file; NULL if unnamed */
  int next_idle;  /* the next fd on the idle list, -1 at its end */
  int state;      /* enum slot_state */
};

/* The table's first size: fds below it need no growth. */
#define SLOTS_INITIAL 64

struct tf_pool {
  pthread_mutex_t lock; /* guards slots, slot_count, idle_head, idle */
  struct slot *slots;   /* indexed by fd; NULL until the first file */
  size_t slot_count;
  int idle_head;        /* the file released last, -1 if none is idle */
  size_t idle;          /* files on the idle list */
  size_t capacity;      /* idle files kept at most */
  int named;            /* TF_POOL_NAMED */
  tf_opts opts;         /* for every file; its strings are in strings[] */
  char strings[];       /* copies of the caller's dir, prefix, suffix */
};

/* ------------------------------------------------------------- options */

static size_t string_size(const char *s) { return s ? strlen(s) + 1 : 0; }

static size_t strings_size(const tf_opts *o) {
  return string_size(o->dir) + string_size(o->prefix) + string_size(o->suffix);
}

/* Copy s to *cursor and advance it; NULL stays NULL. */
static const char *copy_string(const char *s, char **cursor) {
  char *copy = *cursor;
  size_t size = string_size(s);
  if (s == NULL)
    return NULL;
  memcpy(copy, s, size);
  *cursor += size;
  return copy;
}

/* The options every file is made with (o, as taken), owning their
 * strings, so the caller's need not outlive tf_pool_create().
 * tf__tmpfile() takes no flags; tf_file_create() gets TF_UNTRACKED only
 * (its default policy, delete on close, is what ending a pool file
 * means). */
static void keep_opts(tf_pool *p, const tf_opts *o) {
  char *cursor = p->strings;
  p->opts = *o;
  p->opts.dir = copy_string(o->dir, &cursor);
  p->opts.prefix = copy_string(o->prefix, &cursor);
  p->opts.suffix = copy_string(o->suffix, &cursor);
  p->named = (o->flags & TF_POOL_NAMED) != 0;
  p->opts.flags = p->named ? o->flags & TF_UNTRACKED : 0;
}

int tf_pool_create(tf_pool **out, size_t capacity, const tf_opts *opts) {
  char abs_dir[PATH_MAX];
  tf_opts o;
  tf_pool *p;
  int rc;
  if (out == NULL || capacity == 0)
    return -EINVAL;
  /* O_APPEND is refused because a pool hands out files at offset 0 for
   * the caller to position: with O_APPEND every write would go to the
   * end whatever the offset (pwrite's too, on Linux).  The name matters
   * to named pools and to the unnamed fallback; a bad one is refused
   * now, not at some later acquire. */
  rc = tf__opts_take(&o, opts, TF_POOL_NAMED | TF_UNTRACKED,
                     TF__OPTS_NAME | TF__OPTS_NO_APPEND);
  if (rc < 0)
    return rc;
  /* A relative dir means the current directory of now, as for every
   * creating call, not of each later acquire. */
  if (o.dir != NULL && o.dir[0] != '/') {
    rc = tf__abspath(o.dir, abs_dir, sizeof(abs_dir));
    if (rc < 0)
      return rc;
    o.dir = abs_dir;
  }
  p = tf__malloc(sizeof(*p) + strings_size(&o));
  if (p == NULL)
    return -ENOMEM;
  rc = pthread_mutex_init(&p->lock, NULL);
  if (rc != 0) {
    tf__freemem(p);
    return -rc;
  }
  keep_opts(p, &o);
  p->slots = NULL;
  p->slot_count = 0;
  p->idle_head = -1;
  p->idle = 0;
  p->capacity = capacity;
  *out = p;
  return 0;
}

/* --------------------------------------------------------------- files */

/* A new file: its fd, and for a named pool (*file) the handle that owns
 * it. */
static int new_file(const tf_pool *p, tf_file **file) {
  int rc;
  *file = NULL;
  if (!p->named)
    return tf__tmpfile(AT_FDCWD, 0, &p->opts);
  rc = tf_file_create(file, &p->opts);
  if (rc < 0)
    return rc;
  return tf_file_fd(*file);
}

/* Close the file (and delete it, when named: the handle does that, and
 * only in the process that created it, so a forked child that ends its
 * copy of the pool only closes fds). */
static int end_file(int fd, tf_file *file) {
  if (file != NULL)
    return tf_file_free(file);
  return tf__sys.close(fd) == 0 ? 0 : -errno;
}

/* Make the file what acquire promises: empty, at offset 0. */
static int make_empty(int fd) {
  if (tf__sys.ftruncate(fd, 0) != 0)
    return -errno;
  if (tf__sys.lseek(fd, 0, SEEK_SET) < 0)
    return -errno;
  return 0;
}

/* --------------------------------------------------------------- table */

/* The table size that holds fd: the current one doubled until it does
 * (so n files cost O(n) copying in all); 0 if it can not be allocated. */
static size_t slots_for(int fd, size_t current) {
  size_t count = current > 0 ? current : SLOTS_INITIAL;
  while (count <= (size_t)fd)
    count *= 2;
  return count > SIZE_MAX / sizeof(struct slot) ? 0 : count;
}

/* Move the table to grown (count slots, more than it has); returns the
 * old one, to be freed once the lock is dropped.  Lock held. */
static struct slot *swap_slots(tf_pool *p, struct slot *grown, size_t count) {
  struct slot *old = p->slots;
  if (p->slot_count > 0)
    memcpy(grown, old, p->slot_count * sizeof(*grown));
  memset(grown + p->slot_count, 0, (count - p->slot_count) * sizeof(*grown));
  p->slots = grown;
  p->slot_count = count;
  return old;
}

/* Enter a new file as acquired.  A table too small for fd is grown with
 * the lock dropped around the allocation, so another thread may grow it
 * meanwhile: if the table now holds fd, the new one is freed unused;
 * if not, the new one, sized to hold fd, is still the larger and is
 * used.  0 or -ENOMEM (nothing changed). */
static int add_acquired(tf_pool *p, int fd, tf_file *file) {
  struct slot *spare = NULL;
  pthread_mutex_lock(&p->lock);
  if ((size_t)fd >= p->slot_count) {
    size_t count = slots_for(fd, p->slot_count);
    pthread_mutex_unlock(&p->lock);
    spare = count > 0 ? tf__malloc(count * sizeof(*spare)) : NULL;
    if (spare == NULL)
      return -ENOMEM;
    pthread_mutex_lock(&p->lock);
    if ((size_t)fd >= p->slot_count)
      spare = swap_slots(p, spare, count);
  }
  /* No slot names fd: a file's slot is cleared before its fd is closed
   * (finish_release()), and the caller does not close pool fds. */
  p->slots[fd].file = file;
  p->slots[fd].state = SLOT_ACQUIRED;
  pthread_mutex_unlock(&p->lock);
  tf__freemem(spare);
  return 0;
}

/* Pop the idle file released last (its cache is warmest), or -1. */
static int take_idle(tf_pool *p) {
  int fd;
  pthread_mutex_lock(&p->lock);
  fd = p->idle_head;
  if (fd >= 0) {
    p->idle_head = p->slots[fd].next_idle;
    p->slots[fd].state = SLOT_ACQUIRED;
    p->idle--;
  }
  pthread_mutex_unlock(&p->lock);
  return fd;
}

/* Mark an acquired file as being released, so a second release of the
 * same fd meanwhile is refused; -EINVAL if fd is not acquired from p. */
static int begin_release(tf_pool *p, int fd) {
  int rc = -EINVAL;
  if (fd < 0)
    return -EINVAL;
  pthread_mutex_lock(&p->lock);
  if ((size_t)fd < p->slot_count && p->slots[fd].state == SLOT_ACQUIRED) {
    p->slots[fd].state = SLOT_RELEASING;
    rc = 0;
  }
  pthread_mutex_unlock(&p->lock);
  return rc;
}

/* Keep the emptied file idle if there is room (and emptying worked,
 * emptied is 0); else take it out of the table and end it.  The slot is
 * cleared before the fd is closed, so the fd number, once reused, finds
 * it free. */
static int finish_release(tf_pool *p, int fd, int emptied) {
  tf_file *file;
  int ended;
  pthread_mutex_lock(&p->lock);
  if (emptied == 0 && p->idle < p->capacity) {
    p->slots[fd].state = SLOT_IDLE;
    p->slots[fd].next_idle = p->idle_head;
    p->idle_head = fd;
    p->idle++;
    pthread_mutex_unlock(&p->lock);
    return 0;
  }
  file = p->slots[fd].file;
  p->slots[fd].file = NULL;
  p->slots[fd].state = SLOT_FREE;
  pthread_mutex_unlock(&p->lock);
  ended = end_file(fd, file);
  return emptied < 0 ? emptied : ended;
}

/* ---------------------------------------------------------------- API */

int tf_pool_acquire(tf_pool *p) {
  tf_file *file;
  int fd, rc;
  if (p == NULL)
    return -EINVAL;
  fd = take_idle(p);
  if (fd >= 0)
    return fd;
  fd = new_file(p, &file);
  if (fd < 0)
    return fd;
  rc = add_acquired(p, fd, file);
  if (rc < 0) {
    if (file != NULL)
      tf_file_free(file);
    else
      tf__close_quiet(fd);
    return rc;
  }
  return fd;
}

int tf_pool_release(tf_pool *p, int fd) {
  int rc;
  if (p == NULL)
    return -EINVAL;
  rc = begin_release(p, fd);
  if (rc < 0)
    return rc;
  return finish_release(p, fd, make_empty(fd));
}

/* The lock is the one part of a pool a reader changes; the pool itself
 * is never const (tf_pool_create() allocates it), so casting is sound. */
static pthread_mutex_t *lock_of(const tf_pool *p) {
  return &((tf_pool *)p)->lock;
}

const char *tf_pool_path(const tf_pool *p, int fd) {
  const char *path = NULL;
  if (p == NULL || !p->named || fd < 0)
    return NULL;
  pthread_mutex_lock(lock_of(p));
  if ((size_t)fd < p->slot_count && p->slots[fd].state == SLOT_ACQUIRED)
    path = tf_file_path(p->slots[fd].file);
  pthread_mutex_unlock(lock_of(p));
  return path;
}

size_t tf_pool_idle(const tf_pool *p) {
  size_t idle;
  if (p == NULL)
    return 0;
  pthread_mutex_lock(lock_of(p));
  idle = p->idle;
  pthread_mutex_unlock(lock_of(p));
  return idle;
}

/* No other thread may use the pool any more, so no lock is taken: in a
 * forked child it could be held by a thread that does not exist there. */
int tf_pool_free(tf_pool *p) {
  size_t fd;
  int rc = 0;
  if (p == NULL)
    return 0;
  for (fd = 0; fd < p->slot_count; fd++) {
    int ended;
    if (p->slots[fd].state == SLOT_FREE)
      continue;
    ended = end_file((int)fd, p->slots[fd].file);
    if (rc == 0)
      rc = ended;
  }
  pthread_mutex_destroy(&p->lock);
  tf__freemem(p->slots);
  tf__freemem(p);
  return rc;
}

void tf_pool_freep(tf_pool **p) {
  if (p == NULL)
    return;
  tf_pool_free(*p);
  *p = NULL;
}
