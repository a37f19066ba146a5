/* SPDX-License-Identifier: MIT */
/*
 * ledger.c - the liveness ledger: how tf_reap() tells what a dead process
 * left from what a live one uses, at no system call per object.
 *
 * A process that makes tracked objects keeps one ledger: a file in the
 * ledger home (TF_LEDGER_HOME, /dev/shm, a tmpfs, where there is one;
 * else the temporary directory), named TF_LEDGER_PREFIX + 12 random
 * characters, that it holds a shared flock(2) on for as long as it lives,
 * and that it maps (MAP_SHARED) to write one record per object: its
 * directory's device and inode, its name there, and whether it is live.
 * A record is written after the object is made, and set free after it
 * is removed, or before it is kept or published.  The kernel drops the
 * lock when the last descriptor of the ledger closes: when the process,
 * and every child that inherited the descriptor, has ended or exec'd,
 * however it ended.  tf_reap() (reap.c) takes a ledger only when it can
 * lock it exclusively, and then removes the objects its live records
 * name in the directory it reaps.
 *
 * Not in the objects' directories: a directory the caller empties must
 * then be empty, and a ledger there would be one more entry.
 *
 * The space is reserved (posix_fallocate) before it is mapped, so that a
 * full file system never meets a store into the mapping (SIGBUS): where
 * it can not be, there is no ledger, and objects stay unmarked (as on a
 * file system without locks), which never fails a creation.
 *
 * Layout: segments of TF_LEDGER_SEG bytes; the first TF_LEDGER_HEAD
 * bytes of a segment hold no record, those of the first one the header,
 * TF_LEDGER_MAGIC then "pid PID\n"; record i lies at segment
 * i / TF_LEDGER_RECS, slot i % TF_LEDGER_RECS (TF_LEDGER_REC bytes each:
 * state, kind, 6 unused bytes, device and inode as little-endian 64-bit
 * numbers, the name NUL-terminated).
 *
 * A forked child never writes its parent's ledger: the ledger belongs to
 * the process that made it (its pid), and a new process makes its own.
 * The one a child inherits stays open in it, as the objects' descriptors
 * do, so the parent's objects count as live while it runs.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/file.h>

#define MAX_SEGS 4096
#define NONE ((size_t)-1)

struct tf__ledger {
  int ready;        /* atomic: the fields below may be read */
  int homefd;       /* the ledger home, to remove the ledger at exit */
  int fd;           /* the ledger, holding the shared lock */
  char name[sizeof(TF_LEDGER_PREFIX) + 12];
  unsigned char *segs[MAX_SEGS];
  size_t nsegs;
  size_t next;       /* records handed out so far */
  size_t free_head;  /* a record given back, for reuse, or NONE; each
                        holds the next one's index (bytes 4 to 7) */
  size_t nfree;      /* records given back */
  unsigned gen;      /* which ledger of this process: marks name it */
  int failed;        /* could not be made: do not try again */
};

/* A ledger removed (tf_cleanup_all()) while handles still held records
 * of it: its mapping stays until the last of them is dropped. */
struct retired {
  unsigned gen;         /* 0: the entry is free */
  unsigned char **segs; /* its mapped segments */
  size_t nsegs;
  size_t held;          /* records not dropped yet */
};
#define MAX_RETIRED 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tf__ledger ledger; /* set up by ledger_here() */
static struct retired retired[MAX_RETIRED];
static unsigned last_gen;
static pid_t ledger_pid; /* the process the ledger belongs to */

/* Held across fork() (process.c), so a child never inherits it taken. */
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static void hold_across_fork(void) { tf__hold_across_fork(&lock); }

static void lock_ledger(void) {
  pthread_once(&fork_once, hold_across_fork);
  pthread_mutex_lock(&lock);
}

static unsigned char *record(const struct tf__ledger *l, size_t i) {
  return l->segs[i / TF_LEDGER_RECS] + TF_LEDGER_HEAD +
         (i % TF_LEDGER_RECS) * TF_LEDGER_REC;
}

static void put_u64(unsigned char *p, uint64_t v) {
  int i;
  for (i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

/* Where the system has no TF_LEDGER_HOME, the temporary directory. */
int tf__ledger_home(char *buf, size_t size) {
  struct stat st;
  if (tf__sys.fstatat(AT_FDCWD, TF_LEDGER_HOME, &st, 0) != 0) {
    if (errno != ENOENT && errno != ENOTDIR)
      return -errno;
    return tf_gettempdir(buf, size);
  }
  if (!S_ISDIR(st.st_mode))
    return tf_gettempdir(buf, size);
  if (size < sizeof(TF_LEDGER_HOME))
    return -ERANGE;
  memcpy(buf, TF_LEDGER_HOME, sizeof(TF_LEDGER_HOME));
  return (int)sizeof(TF_LEDGER_HOME) - 1;
}

/* Map one more segment; 0 or -errno. */
static int grow(struct tf__ledger *l) {
  int64_t off = (int64_t)l->nsegs * TF_LEDGER_SEG;
  void *p;
  if (l->nsegs == MAX_SEGS)
    return -ENOSPC;
  if (tf__sys.fallocate(l->fd, off, TF_LEDGER_SEG) != 0 ||
      tf__sys.mapfile(l->fd, off, TF_LEDGER_SEG, &p) != 0)
    return -errno;
  l->segs[l->nsegs++] = p;
  return 0;
}

/* Close l and start it afresh (the lock held). */
static void forget(struct tf__ledger *l) {
  size_t i;
  __atomic_store_n(&l->ready, 0, __ATOMIC_RELEASE);
  for (i = 0; i < l->nsegs; i++)
    tf__sys.unmapfile(l->segs[i], TF_LEDGER_SEG);
  tf__close_quiet(l->fd);
  tf__close_quiet(l->homefd);
  memset(l, 0, sizeof(*l));
  l->fd = -1;
  l->homefd = -1;
  l->free_head = NONE;
}

/* One attempt at making the ledger file in the home and locking it. */
static int try_open(struct tf__ledger *l, pid_t me) {
  char head[sizeof(TF_LEDGER_MAGIC) + 32];
  struct stat st;
  int n;
  memcpy(l->name, TF_LEDGER_PREFIX, sizeof(TF_LEDGER_PREFIX) - 1);
  if (tf__random_name(l->name + sizeof(TF_LEDGER_PREFIX) - 1, 12) < 0)
    return -EIO;
  l->name[sizeof(l->name) - 1] = '\0';
  l->fd = tf__sys.openat(l->homefd, l->name,
                         O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                         0600);
  if (l->fd < 0)
    return -errno;
  /* Locked before it has a header: a reaper that locks it first finds
   * none and removes it, and this process makes another. */
  if (tf__sys.flock(l->fd, LOCK_SH | LOCK_NB) != 0 || grow(l) != 0)
    return -EAGAIN;
  n = snprintf(head, sizeof(head), TF_LEDGER_MAGIC "pid %ld\n", (long)me);
  memcpy(l->segs[0], head, (size_t)n);
  if (tf__sys.fstat(l->fd, &st) != 0 || st.st_nlink == 0)
    return -EAGAIN; /* a reaper removed it before the lock was taken */
  return 0;
}

/* Make this process's ledger (the lock held). */
static int open_ledger(struct tf__ledger *l, pid_t me) {
  char home[PATH_MAX];
  int attempt, rc = tf__ledger_home(home, sizeof(home));
  if (rc < 0)
    return rc;
  l->homefd = tf__sys.openat(AT_FDCWD, home, TF_O_DIRANCHOR, 0);
  if (l->homefd < 0)
    return -errno;
  for (attempt = 0; attempt < 3; attempt++) {
    rc = try_open(l, me);
    if (rc == 0) {
      if (++last_gen == 0) /* 0 marks a free retired entry */
        ++last_gen;
      l->gen = last_gen;
      __atomic_store_n(&l->ready, 1, __ATOMIC_RELEASE);
      return 0;
    }
    if (l->fd >= 0)
      tf__sys.unlinkat(l->homefd, l->name, 0);
    while (l->nsegs > 0)
      tf__sys.unmapfile(l->segs[--l->nsegs], TF_LEDGER_SEG);
    tf__close_quiet(l->fd);
    l->fd = -1;
    if (rc != -EEXIST && rc != -EAGAIN)
      break;
  }
  tf__close_quiet(l->homefd);
  l->homefd = -1;
  return rc;
}

/* This process's ledger, made now if need be; NULL if it can not be.
 * The lock held. */
static struct tf__ledger *ledger_here(void) {
  pid_t me = tf__current_pid();
  if (ledger_pid != me) {
    /* A new process: the parent's ledger stays open (see above), but is
     * neither written nor unmapped here. */
    memset(&ledger, 0, sizeof(ledger));
    ledger.fd = -1;
    ledger.homefd = -1;
    ledger.free_head = NONE;
    ledger_pid = me;
  }
  if (!ledger.ready && !ledger.failed && open_ledger(&ledger, me) != 0)
    ledger.failed = 1;
  return ledger.ready ? &ledger : NULL;
}

/* The free list lives in the free records themselves: no memory of
 * the process's own is held for it. */
static size_t next_free(const struct tf__ledger *l, size_t i) {
  uint32_t next;
  memcpy(&next, record(l, i) + 4, sizeof(next));
  return next == UINT32_MAX ? NONE : next;
}

/* A record to use; NONE if none can be had. */
static size_t take_record(struct tf__ledger *l) {
  size_t i = l->free_head;
  if (i != NONE) {
    l->free_head = next_free(l, i);
    l->nfree--;
    return i;
  }
  if (l->next == l->nsegs * TF_LEDGER_RECS && grow(l) != 0)
    return NONE;
  return l->next++;
}

int tf__ledger_add(struct tf__anchor *a, enum tf__obj_kind kind,
                   const char *name, struct tf__mark *m) {
  struct tf__ledger *l;
  size_t len = strlen(name), i = NONE;
  unsigned char *r;
  m->rec = NULL;
  if (len > NAME_MAX)
    return 0;
  if (a->owned && a->dev == 0 && a->ino == 0) {
    struct tf__stat st; /* an *at anchor: its identity, once */
    if (tf__sys.statfd(a->fd, &st) != 0)
      return 0;
    a->dev = st.dev;
    a->ino = st.ino;
  }
  lock_ledger();
  l = ledger_here();
  if (l != NULL)
    i = take_record(l);
  if (i != NONE) {
    r = record(l, i);
    r[1] = (unsigned char)kind;
    put_u64(r + 8, (uint64_t)a->dev);
    put_u64(r + 16, (uint64_t)a->ino);
    memcpy(r + TF_LEDGER_NAME_AT, name, len + 1);
    __atomic_store_n(&r[0], TF_LEDGER_LIVE, __ATOMIC_RELEASE);
    m->index = i;
    m->gen = l->gen;
    m->rec = r;
  }
  pthread_mutex_unlock(&lock);
  return m->rec != NULL;
}

void tf__ledger_set(const struct tf__mark *m, int live) {
  if (m->rec != NULL)
    __atomic_store_n(&m->rec[0], live ? TF_LEDGER_LIVE : TF_LEDGER_FREE,
                     __ATOMIC_RELEASE);
}

/* Keep record i, free, for reuse (the lock held). */
static void give_back(struct tf__ledger *l, size_t i) {
  uint32_t next = l->free_head == NONE ? UINT32_MAX : (uint32_t)l->free_head;
  memcpy(record(l, i) + 4, &next, sizeof(next));
  l->free_head = i;
  l->nfree++;
}

/* One record of the retired ledger gen dropped (the lock held): the
 * last one unmaps it. */
static void drop_retired(unsigned gen) {
  size_t i, k;
  for (i = 0; i < MAX_RETIRED; i++) {
    struct retired *r = &retired[i];
    if (r->gen != gen || --r->held > 0)
      continue;
    for (k = 0; k < r->nsegs; k++)
      tf__sys.unmapfile(r->segs[k], TF_LEDGER_SEG);
    tf__freemem(r->segs);
    memset(r, 0, sizeof(*r));
    return;
  }
}

void tf__ledger_drop(struct tf__mark *m) {
  if (m->rec == NULL)
    return;
  __atomic_store_n(&m->rec[0], TF_LEDGER_FREE, __ATOMIC_RELEASE);
  lock_ledger();
  /* Only into the ledger it came from: not a parent's, in a child. */
  if (ledger_pid == tf__current_pid()) {
    if (ledger.ready && m->gen == ledger.gen)
      give_back(&ledger, m->index);
    else
      drop_retired(m->gen);
  }
  pthread_mutex_unlock(&lock);
  m->rec = NULL;
}

/* 1 if every record of l is free. */
static int all_free(const struct tf__ledger *l) {
  size_t i;
  for (i = 0; i < l->next; i++)
    if (__atomic_load_n(record(l, i), __ATOMIC_ACQUIRE) != TF_LEDGER_FREE)
      return 0;
  return 1;
}

/* Stop using l, whose file is gone, while handles still hold records of
 * it: their mapping stays until the last is dropped (where no entry can
 * be had for that, for the process's life: a store through one of them
 * must stay harmless), the rest is closed (the lock held). */
static void retire(struct tf__ledger *l) {
  size_t i;
  for (i = 0; i < MAX_RETIRED; i++) {
    struct retired *r = &retired[i];
    if (r->gen != 0)
      continue;
    r->segs = tf__malloc(l->nsegs * sizeof(*r->segs));
    if (r->segs == NULL)
      break;
    memcpy(r->segs, l->segs, l->nsegs * sizeof(*r->segs));
    r->nsegs = l->nsegs;
    r->held = l->next - l->nfree;
    r->gen = l->gen;
    break;
  }
  l->nsegs = 0;
  forget(l);
}

void tf__ledger_remove(pid_t me, int in_signal) {
  int rc;
  if (!in_signal) {
    lock_ledger();
    ledger.failed = 0; /* a later object tries again */
  }
  if (ledger_pid == me && __atomic_load_n(&ledger.ready, __ATOMIC_ACQUIRE) &&
      all_free(&ledger)) {
    /* Gone by name while still locked: no reaper takes it meanwhile. */
    if (in_signal) {
      TF_RAW_RETRY(rc, unlinkat(ledger.homefd, ledger.name, 0));
      __atomic_store_n(&ledger.ready, 0, __ATOMIC_RELEASE);
      ledger.failed = 1; /* a process that goes on stays unmarked */
    } else {
      rc = tf__sys.unlinkat(ledger.homefd, ledger.name, 0);
      if (ledger.nfree == ledger.next)
        forget(&ledger); /* no handle holds a record */
      else
        retire(&ledger);
    }
    (void)rc;
  }
  if (!in_signal)
    pthread_mutex_unlock(&lock);
}
