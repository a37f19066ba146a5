/* SPDX-License-Identifier: MIT */
/*
 * process.c - what belongs to one process and must not pass to a forked
 * child: the per-process block (the pool of random name characters and
 * the pid that handles record as their owner), and the library's two
 * locks, which are held across fork() so a child never inherits one
 * taken by a thread it does not have.
 */
#include "internal.h"

#include <string.h>
#include <sys/mman.h>

/* Guards the process-wide settings of tempdir.c. */
pthread_mutex_t tf__settings_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The per-process block (see internal.h).  Where the kernel offers
 * MADV_WIPEONFORK it lives in its own page that every child, however it
 * was forked (fork, _Fork, clone), receives zeroed; that zero is how a
 * child notices it is new without a getpid() per name.  Elsewhere, or if
 * the mapping cannot be made, getpid() is compared on every use.  This
 * one-time setup bypasses the table: its failure has a complete fallback.
 */
pthread_mutex_t tf__process_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tf__process *wiped_on_fork;
static struct tf__process fallback_block;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* The library's locks are taken across fork(), so the child never inherits
 * one held by a thread that does not exist there. */
/* The tables' locks (anchor.c, ledger.c): taken before the two above,
 * as they nest (a ledger is made under its lock, and takes random
 * characters and the pid under the process lock). */
static pthread_mutex_t *table_locks[2];

void tf__hold_across_fork(pthread_mutex_t *m) {
  size_t i;
  pthread_mutex_lock(&tf__process_lock);
  for (i = 0; i < 2; i++)
    if (table_locks[i] == NULL || table_locks[i] == m) {
      table_locks[i] = m;
      break;
    }
  pthread_mutex_unlock(&tf__process_lock);
}

static void before_fork(void) {
  size_t i;
  for (i = 0; i < 2; i++)
    if (table_locks[i] != NULL)
      pthread_mutex_lock(table_locks[i]);
  pthread_mutex_lock(&tf__process_lock);
  pthread_mutex_lock(&tf__settings_lock);
}

static void after_fork(void) {
  size_t i;
  pthread_mutex_unlock(&tf__settings_lock);
  pthread_mutex_unlock(&tf__process_lock);
  for (i = 2; i-- > 0;)
    if (table_locks[i] != NULL)
      pthread_mutex_unlock(table_locks[i]);
}

/* Where fork is noticed by getpid() (no MADV_WIPEONFORK), the pid of the
 * process for the rest of one library call, so that the call's checks
 * of ownership cost one getpid() between them (tf__pid_scope_begin()):
 * the thread making the call can not change process during it.  0: no
 * call in progress in this thread. */
static __thread pid_t scoped_pid;

/* A child made by fork() wipes the block itself as well: where madvise()
 * accepts MADV_WIPEONFORK but does nothing (qemu-user), the child would
 * otherwise take its parent's pid and random names for its own.  (And a
 * fork() from a signal handler interrupting a call leaves the child no
 * parent's pid in scope.) */
static void after_fork_in_child(void) {
  if (wiped_on_fork != NULL)
    memset(wiped_on_fork, 0, sizeof(*wiped_on_fork));
  scoped_pid = 0;
  after_fork();
}

static void map_wiped_block(void) {
#if TF_HAVE_WIPEONFORK
  size_t size = (sizeof(struct tf__process) + 4095) & ~(size_t)4095;
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return;
  if (madvise(p, size, MADV_WIPEONFORK) != 0) {
    munmap(p, size);
    return;
  }
  wiped_on_fork = p;
#endif
}

static void init_once_per_load(void) {
  map_wiped_block();
  pthread_atfork(before_fork, after_fork, after_fork_in_child);
}

void tf__lib_init(void) { pthread_once(&init_once, init_once_per_load); }

/* The pid is learnt when first asked for: a process that only makes
 * names never needs it. */
static void start_process_block(struct tf__process *b, pid_t pid) {
  memset(b, 0, sizeof(*b));
  b->started = 1;
  b->pid = pid;
}

struct tf__process *tf__process(void) {
  tf__lib_init();
  if (wiped_on_fork != NULL) {
    if (!wiped_on_fork->started) /* first use in this process */
      start_process_block(wiped_on_fork, 0);
    return wiped_on_fork;
  }
  {
    pid_t pid = scoped_pid != 0 ? scoped_pid : getpid();
    if (fallback_block.pid != pid)
      start_process_block(&fallback_block, pid);
  }
  return &fallback_block;
}

pid_t tf__pid_scope_begin(void) {
  pid_t outer;
  tf__lib_init();
  if (wiped_on_fork != NULL)
    return 0; /* no getpid() to save: the thread-local is never touched */
  outer = scoped_pid;
  if (outer == 0)
    scoped_pid = getpid();
  return outer;
}

void tf__pid_scope_end(pid_t outer) {
  if (wiped_on_fork == NULL)
    scoped_pid = outer;
}

/* Without a lock: a handle's end asks for it with the cleanup signals
 * open, and a signal cleaner in that thread must not hold a lock that a
 * creation in flight elsewhere waits for (registry.c).  Two threads that
 * both find no pid store the same one. */
pid_t tf__current_pid(void) {
  pid_t pid;
  tf__lib_init();
  if (wiped_on_fork == NULL)
    return scoped_pid != 0 ? scoped_pid : getpid();
  pid = __atomic_load_n(&wiped_on_fork->pid, __ATOMIC_ACQUIRE);
  if (pid == 0) {
    pid = getpid();
    __atomic_store_n(&wiped_on_fork->pid, pid, __ATOMIC_RELEASE);
  }
  return pid;
}
