/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the process-wide registry of live temporary objects, so
 * they can be removed at exit(), on a signal (signals.c) and by
 * tf_cleanup_all() while their handles are still alive.
 *
 * A slot records what removing an object takes without its handle: the
 * kind, the fd of its directory and its name (both owned by the handle),
 * a directory's identity, and the pid that made it.  Slots live in
 * chunks that are never freed, so a signal handler can walk them with no
 * lock.  Each slot's state is one atomic int:
 *
 *   FREE -> FILLING -> LIVE        a handle registers (under the lock)
 *   LIVE -> CLEANING -> CLEANED    a cleaner removes it, exactly once
 *   LIVE or CLEANED -> FREE        the handle drops it, after it removed,
 *                                  kept or published the object itself
 *
 * A handle never drops a slot a cleaner holds (CLEANING): it waits, so
 * the fd and name a cleaner uses stay valid until it is done.  Removing
 * twice (the handle and a cleaner) is harmless: a name already gone is
 * not an error, and a directory is checked by device and inode first.
 *
 * An object exists on disk a moment before it is registered.  So that a
 * signal arriving while threads create objects leaves none behind,
 * creation is bracketed by tf__track_begin()/tf__track_end() (live.c):
 * they block the cleanup signals in the creating thread (only once a
 * handler is installed, so others pay nothing) around
 * tf__reg_enter()/tf__reg_leave(), and the signal cleaner, running in
 * another thread, first says the process is dying, then waits for the
 * creations in flight to register, then walks: a creation either started
 * before (and is waited for) or sees the flag and makes nothing.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { FREE, FILLING, LIVE, CLEANING, CLEANED };

#define CHUNK_SLOTS 64

struct tf__slot {
  int state; /* atomic */
  enum tf__obj_kind kind;
  int dirfd;
  const char *name;
  struct tf__stat id; /* a directory's identity */
  pid_t pid;
  unsigned char *rec; /* the object's ledger record, or NULL */
  struct tf__slot *next_free; /* under lock */
};

struct chunk {
  struct chunk *next;
  struct tf__slot slots[CHUNK_SLOTS];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int dying;    /* atomic: a signal cleaner is at work */
static int creating; /* atomic: creations between enter and leave */
/* This thread's share of creating; initial-exec so that a signal
 * handler reads it without the dynamic TLS path, which may allocate. */
static __thread int creating_here __attribute__((tls_model("initial-exec")));
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct chunk first_chunk;
static struct chunk *chunks; /* atomic; newest first */
static struct tf__slot *free_slots;

static void store(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

static int swap_state(int *p, int from, int to) {
  return __atomic_compare_exchange_n(p, &from, to, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE);
}

static struct chunk *first(void) {
  return __atomic_load_n(&chunks, __ATOMIC_ACQUIRE);
}

/* Make every slot of c free (the lock held, or no other thread). */
static void free_chunk_slots(struct chunk *c) {
  int i;
  for (i = CHUNK_SLOTS - 1; i >= 0; i--) {
    store(&c->slots[i].state, FREE);
    c->slots[i].next_free = free_slots;
    free_slots = &c->slots[i];
  }
}

static void before_fork(void) { pthread_mutex_lock(&lock); }

static void parent_after_fork(void) { pthread_mutex_unlock(&lock); }

/* A forked child owns none of its parent's objects: it starts with every
 * slot free, and handles it inherited never touch the registry (they
 * check their owner pid first). */
static void child_after_fork(void) {
  struct chunk *c;
  free_slots = NULL;
  for (c = first(); c != NULL; c = c->next)
    free_chunk_slots(c);
  creating = 0;
  creating_here = 0;
  dying = 0;
  pthread_mutex_unlock(&lock);
}

static void cleanup_at_exit(void) { tf_cleanup_all(); }

static void init(void) {
  free_chunk_slots(&first_chunk);
  __atomic_store_n(&chunks, &first_chunk, __ATOMIC_RELEASE);
  pthread_atfork(before_fork, parent_after_fork, child_after_fork);
  atexit(cleanup_at_exit);
}

/* More slots.  Plain calloc, never freed: a signal handler may be
 * walking the chunk list at any time. */
static int grow(void) {
  struct chunk *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return -ENOMEM;
  free_chunk_slots(c);
  c->next = first();
  __atomic_store_n(&chunks, c, __ATOMIC_RELEASE);
  return 0;
}

int tf__reg_add(struct tf__slot **out, enum tf__obj_kind kind, int dirfd,
                const char *name, const struct tf__stat *id,
                unsigned char *rec) {
  struct tf__slot *s;
  pid_t pid = tf__current_pid();
  pthread_once(&once, init);
  pthread_mutex_lock(&lock);
  if (free_slots == NULL && grow() < 0) {
    pthread_mutex_unlock(&lock);
    return -ENOMEM;
  }
  s = free_slots;
  free_slots = s->next_free;
  store(&s->state, FILLING);
  s->kind = kind;
  s->dirfd = dirfd;
  s->name = name;
  if (id != NULL)
    s->id = *id;
  s->pid = pid;
  s->rec = rec;
  store(&s->state, LIVE);
  pthread_mutex_unlock(&lock);
  *out = s;
  return 0;
}

void tf__reg_drop(struct tf__slot *s) {
  struct timespec pause = {0, 100000};
  if (s == NULL)
    return;
  while (!swap_state(&s->state, LIVE, FREE) &&
         !swap_state(&s->state, CLEANED, FREE)) {
    /* A cleaner is removing the object (at exit or on a signal); its
     * fd and name must outlive that. */
    nanosleep(&pause, NULL);
  }
  pthread_mutex_lock(&lock);
  s->next_free = free_slots;
  free_slots = s;
  pthread_mutex_unlock(&lock);
}

/* A cleaner at work (CLEANING) is waited for: it may fail to remove all
 * of the object (a signal handler that can list no directory, see
 * platform.h), and then the handle must still remove it and keep its
 * ledger record until it has. */
int tf__reg_cleaned(const struct tf__slot *s) {
  struct timespec pause = {0, 100000};
  int state;
  if (s == NULL)
    return 0;
  while ((state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE)) == CLEANING)
    nanosleep(&pause, NULL);
  return state == CLEANED;
}

/* Remove the object of one slot if this process registered it and no
 * one removed it yet.  Returns 1 if it removed it.  An object it could
 * not remove (all of) stays registered, for the next cleaner: exit()
 * after a signal whose handler let the process go on. */
int tf__reg_clean_slot(struct tf__slot *s, pid_t me, int in_signal) {
  int rc;
  if (s->pid != me || !swap_state(&s->state, LIVE, CLEANING))
    return 0;
  if (s->kind == TF_OBJ_DIR) {
    rc = tf__remove_dir_by_name(s->dirfd, s->name, &s->id, in_signal);
  } else {
    TF_RAW_RETRY(rc, unlinkat(s->dirfd, s->name, 0)); /* raw: signal-safe */
    rc = rc == 0 ? 1 : errno == ENOENT ? 0 : -1;
  }
  if (rc >= 0 && s->rec != NULL) /* gone: its record too */
    __atomic_store_n(&s->rec[0], TF_LEDGER_FREE, __ATOMIC_RELEASE);
  store(&s->state, rc < 0 ? LIVE : CLEANED);
  return rc > 0;
}

int tf__reg_enter(void) {
  __atomic_add_fetch(&creating, 1, __ATOMIC_SEQ_CST);
  creating_here++;
  if (__atomic_load_n(&dying, __ATOMIC_SEQ_CST)) {
    tf__reg_leave();
    return -ECANCELED;
  }
  return 0;
}

void tf__reg_leave(void) {
  creating_here--;
  __atomic_sub_fetch(&creating, 1, __ATOMIC_SEQ_CST);
}

int tf__reg_clean_on_signal(void) {
  struct timespec pause = {0, 1000000};
  pid_t me;
  int waited, n;
  __atomic_store_n(&dying, 1, __ATOMIC_SEQ_CST);
  /* At most a second: a creation stuck in a slow file system must not
   * keep the process from dying. */
  for (waited = 0; waited < 1000; waited++) {
    if (__atomic_load_n(&creating, __ATOMIC_SEQ_CST) - creating_here <= 0)
      break;
    nanosleep(&pause, NULL);
  }
  me = getpid();
  n = tf__reg_clean_all(me, 1);
  tf__ledger_remove(me, 1);
  return n;
}

void tf__reg_survived_signal(void) {
  __atomic_store_n(&dying, 0, __ATOMIC_SEQ_CST);
}

int tf__reg_clean_all(pid_t me, int in_signal) {
  struct chunk *c;
  int i, n = 0;
  for (c = first(); c != NULL; c = c->next)
    for (i = 0; i < CHUNK_SLOTS; i++)
      n += tf__reg_clean_slot(&c->slots[i], me, in_signal);
  return n;
}

void tf__caches_release(void) {
  tf__ledger_remove(tf__current_pid(), 0);
  tf__anchors_release();
}

/* Then what the library keeps for later objects goes too. */
int tf_cleanup_all(void) {
  int n = first() != NULL ? tf__reg_clean_all(tf__current_pid(), 0) : 0;
  tf__caches_release();
  return n;
}
