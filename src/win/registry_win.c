/* SPDX-License-Identifier: MIT */
/*
 * registry_win.c - the process-wide registry of live temporary objects on
 * Windows, so they can be removed at exit(), by tf_cleanup_all() and on a
 * signal or console event (signals_win.c) while their handles still live.
 *
 * A slot points at what its handle made (struct tf__w_made: the parent
 * directory's handle, the name under it, the identity), which the handle
 * keeps until it ends the registration.  A cleaner removes by name under
 * the parent's handle, after checking the identity: a file with
 * tf__w_remove_made(), a directory with tf__w_rmtree_at().  Never through
 * the file's own handle: the registration outlives the fd of a
 * TF_DELETE_ON_FREE file, and a closed handle's value may already name
 * another object.  Each slot's state is one interlocked LONG:
 *
 *   FREE -> FILLING -> LIVE         a handle registers (under the lock)
 *   LIVE -> HELD -> LIVE            the handle removes or publishes its
 *                                   object itself; cleaners leave it be
 *   LIVE -> CLEANING -> CLEANED     a cleaner removes it, exactly once
 *   LIVE, HELD or CLEANED -> FREE   the handle ends the registration
 *
 * Locking, and why no handler can deadlock.  The lock (an SRW lock) only
 * guards the list of free slots, for registering and ending.  A cleaner
 * never takes it: slots live in chunks that are never freed, linked
 * newest first through an interlocked pointer, so a cleaner walks them
 * with no lock and claims each slot by compare-and-swap.  That matters
 * because cleaners run where a lock may be held for ever: Windows runs a
 * console handler in a new thread while the others go on; raise() runs a
 * C runtime handler in the raising thread; and the DLL's exit cleanup
 * runs after ExitProcess has killed every other thread, whatever it held.
 * The only waits are bounded or wait for a cleaner, which holds nothing:
 * a handle ending a slot a cleaner is removing (CLEANING) waits for it,
 * so the name and parent handle it uses stay valid; and a cleaner after
 * which the process ends waits at most a second in all for creations in
 * flight (below) and for handles in the middle of removing their objects
 * (HELD), which the end would otherwise cut short.  No thread can
 * be interrupted in the middle of the library by a handler (Windows has
 * no asynchronous signals), so, unlike POSIX, no creation in flight is
 * ever the cleaner's own.
 *
 * An object exists on disk a moment before it is registered.  So that a
 * console event arriving while threads create objects leaves none
 * behind, a tracked creation is counted between tf__w_life_enter() and
 * tf__w_life_leave(), and a signal cleaner first says the process is
 * dying (creations then fail with -ECANCELED), waits for the creations
 * in flight to register, then walks.  The process may survive: a later
 * console handler may swallow the event (the registry cannot see it), so
 * "dying" lapses by itself after DYING_MS.
 *
 * Windows has no fork(): the registry is never shared with a child, and
 * the slots need no owner's pid.
 */
#include "win.h"

#include <stdlib.h>
#include <string.h>

enum { FREE, FILLING, LIVE, HELD, CLEANING, CLEANED };

#define CHUNK_SLOTS 64
/* How long a cleaner before the end waits for creations in flight and
 * for handles removing their objects, and how long after a signal
 * creations are refused. */
#define WAIT_MS 1000
#define DYING_MS 2000

struct tf__w_slot {
  volatile LONG state;
  enum tf__w_kind kind;
  struct tf__w_made *made; /* the handle's, valid while registered */
  struct tf__w_slot *next_free;  /* under the lock */
};

struct chunk {
  struct chunk *next;
  struct tf__w_slot slots[CHUNK_SLOTS];
};

static tf__mutex lock = TF__MUTEX_INIT;
static struct tf__w_slot *free_slots; /* under the lock */
static struct chunk *volatile chunks; /* newest first; never freed */
static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
static volatile LONG creating;      /* creations in flight */
static volatile LONG64 dying_since; /* tick of a signal cleaner, or 0 */

static struct chunk *first(void) {
  return InterlockedCompareExchangePointer((PVOID volatile *)&chunks, NULL,
                                           NULL);
}

/* An interlocked read (no slot is ever in state -1). */
static LONG state_of(struct tf__w_slot *s) {
  return InterlockedCompareExchange(&s->state, -1, -1);
}

static int swap_state(struct tf__w_slot *s, LONG from, LONG to) {
  return InterlockedCompareExchange(&s->state, to, from) == from;
}

static int clean_all_before_the_end(ULONGLONG deadline);

static void cleanup_at_exit(void) {
  (void)clean_all_before_the_end(GetTickCount64() + WAIT_MS);
  tf__w_ledger_remove_cleaned();
}

/* At exit(): in the static library the program's atexit table; in the
 * DLL the DLL's own, run when it is unloaded at ExitProcess (the other
 * threads are gone by then: see above). */
static BOOL CALLBACK init(PINIT_ONCE o, PVOID param, PVOID *ctx) {
  (void)o;
  (void)param;
  (void)ctx;
  atexit(cleanup_at_exit);
  return TRUE;
}

/* More slots (the lock held).  Never freed: a cleaner may be walking. */
static int grow(void) {
  struct chunk *c = tf__malloc(sizeof(*c));
  int i;
  if (c == NULL)
    return -ENOMEM;
  memset(c, 0, sizeof(*c));
  for (i = CHUNK_SLOTS - 1; i >= 0; i--) {
    c->slots[i].next_free = free_slots;
    free_slots = &c->slots[i];
  }
  c->next = first();
  InterlockedExchangePointer((PVOID volatile *)&chunks, c);
  return 0;
}

static int dying(void) {
  LONG64 since = InterlockedCompareExchange64(&dying_since, 0, 0);
  return since != 0 && GetTickCount64() - (ULONGLONG)since < DYING_MS;
}

int tf__w_life_enter(unsigned flags) {
  if (flags & TF_UNTRACKED)
    return 0;
  InterlockedIncrement(&creating); /* a full barrier, before the check */
  if (dying()) {
    InterlockedDecrement(&creating);
    return -ECANCELED;
  }
  return 0;
}

void tf__w_life_leave(unsigned flags) {
  if (!(flags & TF_UNTRACKED))
    InterlockedDecrement(&creating);
}

int tf__w_life_start(struct tf__w_life *l, unsigned flags,
                     enum tf__w_kind kind, struct tf__w_made *m) {
  struct tf__w_slot *s;
  l->slot = NULL;
  if (flags & TF_UNTRACKED)
    return 0;
  InitOnceExecuteOnce(&once, init, NULL, NULL);
  tf__mutex_lock(&lock);
  if (free_slots == NULL && grow() < 0) {
    tf__mutex_unlock(&lock);
    return -ENOMEM;
  }
  s = free_slots;
  free_slots = s->next_free;
  InterlockedExchange(&s->state, FILLING);
  s->kind = kind;
  s->made = m;
  InterlockedExchange(&s->state, LIVE); /* a barrier: filled before */
  tf__mutex_unlock(&lock);
  l->slot = s;
  return 0;
}

int tf__w_life_hold(struct tf__w_life *l) {
  struct tf__w_slot *s = l->slot;
  if (s == NULL)
    return 0;
  for (;;) {
    if (swap_state(s, LIVE, HELD))
      return 0;
    if (state_of(s) == CLEANED)
      return 1;
    if (state_of(s) == HELD)
      return 0; /* held already (a retry after a failure) */
    Sleep(1);   /* a cleaner is at work on it */
  }
}

void tf__w_life_release(struct tf__w_life *l) {
  if (l->slot != NULL)
    swap_state(l->slot, HELD, LIVE);
}

void tf__w_life_end(struct tf__w_life *l) {
  struct tf__w_slot *s = l->slot;
  if (s == NULL)
    return;
  /* A cleaner removing the object uses the handle's name and parent
   * until it is done: wait for it. */
  while (!swap_state(s, LIVE, FREE) && !swap_state(s, HELD, FREE) &&
         !swap_state(s, CLEANED, FREE))
    Sleep(1);
  tf__mutex_lock(&lock);
  s->next_free = free_slots;
  free_slots = s;
  tf__mutex_unlock(&lock);
  l->slot = NULL;
}

/* 1 if it removed the directory, 0 if it is gone or another object has
 * its name, else -errno. */
static int remove_dir(const struct tf__w_made *m) {
  HANDLE h;
  int rc = tf__w_open_at(m->parent->h, m->name, m->name_len,
                         FILE_READ_ATTRIBUTES, 0, FILE_OPEN, 0, NULL, &h);
  if (rc == -ENOENT)
    return 0;
  if (rc == 0)
    CloseHandle(h);
  rc = tf__w_rmtree_at(m->parent->h, m->name, m->name_len,
                       m->has_id ? &m->id : NULL, 0);
  return rc == 0 ? 1 : rc == -ESTALE || rc == -ENOENT ? 0 : rc;
}

static int remove_file(struct tf__w_made *m) {
  int rc = tf__w_remove_made(m);
  return rc == 0 ? 1 : rc == -ESTALE || rc == -ENOENT ? 0 : rc;
}

/* Remove one slot's object unless its handle ended it, holds it, or a
 * cleaner did.  Returns 1 if it removed it.  An object it could not
 * remove stays registered, for the handle or the next cleaner. */
static int clean_slot(struct tf__w_slot *s) {
  int rc;
  if (!swap_state(s, LIVE, CLEANING))
    return 0;
  rc = s->kind == TF_W_DIR ? remove_dir(s->made) : remove_file(s->made);
  if (rc >= 0) /* gone: its ledger record too, before the handle may look */
    tf__w_ledger_drop_cleaned(&s->made->mark);
  InterlockedExchange(&s->state, rc < 0 ? LIVE : CLEANED);
  return rc > 0;
}

/* One walk; *held counts the objects whose handles are removing or
 * publishing them at this moment. */
static int clean_all(int *held) {
  struct chunk *c;
  int i, n = 0;
  for (c = first(); c != NULL; c = c->next)
    for (i = 0; i < CHUNK_SLOTS; i++) {
      n += clean_slot(&c->slots[i]);
      if (state_of(&c->slots[i]) == HELD)
        ++*held;
    }
  return n;
}

/* For a cleaner after which the process ends (exit, a signal): the
 * system will kill the other threads, so a handle removing or publishing
 * its object must be let finish, or its object be taken back and
 * removed here.  Walks again while some are held, up to the deadline
 * (GetTickCount64()), so a thread that is already gone (at the DLL's
 * unload) costs at most the wait. */
static int clean_all_before_the_end(ULONGLONG deadline) {
  int held, n = 0;
  for (;;) {
    held = 0;
    n += clean_all(&held);
    if (held == 0 || GetTickCount64() >= deadline)
      return n;
    Sleep(1);
  }
}

int tf__w_reg_clean_on_signal(void) {
  ULONGLONG deadline = GetTickCount64() + WAIT_MS;
  int n;
  InterlockedExchange64(&dying_since, (LONG64)GetTickCount64() | 1);
  /* At most a second in all: a creation stuck in a slow file system, or
   * in a thread that no longer exists, must not keep the process alive. */
  while (InterlockedCompareExchange(&creating, 0, 0) > 0 &&
         GetTickCount64() < deadline)
    Sleep(1);
  n = clean_all_before_the_end(deadline);
  tf__w_ledger_remove_cleaned();
  return n;
}

void tf__w_reg_survived_signal(void) {
  InterlockedExchange64(&dying_since, 0);
}

/* The temporary directory's handle stays: no child inherits it, and it
 * is opened to share deletion, so it keeps nothing from going. */
int tf_cleanup_all(void) {
  int held = 0, n = first() != NULL ? clean_all(&held) : 0;
  tf__w_ledger_remove(); /* made again by the next tracked object */
  return n;
}
