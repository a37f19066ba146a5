/* SPDX-License-Identifier: MIT */
/*
 * signals.c - tf_cleanup_on_signals(): remove the registered objects when
 * a terminating signal arrives, then let the signal do what it would have
 * done without us.
 *
 * The handler makes only async-signal-safe calls and allocates nothing:
 * the registry's slots are walked without a lock (registry.c), files are
 * unlinked by name, directories emptied by the static walk of
 * rmtree_signal.c.  Then the previous handler runs, or, if there was
 * none, the default action is restored and the signal raised again, so
 * the process ends with the status the signal gives (a shell sees
 * 128+N).
 */
#include "internal.h"

#include <signal.h>
#include <string.h>

/* The signals a caller may ask for: those whose default is to end the
 * process and that are sent to it, not caused by a fault of its own. */
static const int allowed[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
                              SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM};
#define NALLOWED (sizeof(allowed) / sizeof(allowed[0]))

static const int default_set[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static struct sigaction previous[NALLOWED];
static int installed[NALLOWED]; /* read by the handler */
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
/* Set once any handler is installed; creation then blocks the cleanup
 * signals (registry.c), which costs two system calls, so only callers of
 * tf_cleanup_on_signals() pay them. */
static int any_installed; /* atomic */

static int index_of(int sig) {
  size_t i;
  for (i = 0; i < NALLOWED; i++)
    if (allowed[i] == sig)
      return (int)i;
  return -1;
}

static void on_signal(int sig, siginfo_t *info, void *context) {
  int saved = errno;
  int i = index_of(sig);
  const struct sigaction *prev;

  tf__reg_clean_on_signal();
  if (i < 0) /* not ours: can not happen */
    return;
  prev = &previous[i];
  if ((prev->sa_flags & SA_SIGINFO) && prev->sa_sigaction != NULL) {
    tf__reg_survived_signal(); /* it may return and go on */
    prev->sa_sigaction(sig, info, context);
  } else if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
    tf__reg_survived_signal();
    prev->sa_handler(sig);
  } else {
    /* The default action, as if we had never been here: the signal is
     * blocked while this handler runs, and is delivered as it returns. */
    signal(sig, SIG_DFL);
    raise(sig);
  }
  errno = saved;
}

/* Install the handler for allowed[i] unless it is ignored or installed;
 * the install lock is held. */
static int install(int i) {
  struct sigaction sa, old;
  size_t j;
  if (installed[i])
    return 0;
  if (sigaction(allowed[i], NULL, &old) != 0)
    return -errno;
  if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN)
    return 0; /* nohup asked for it to be ignored: it stays so */
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  /* No other cleanup signal may interrupt the walk halfway. */
  sigemptyset(&sa.sa_mask);
  for (j = 0; j < NALLOWED; j++)
    sigaddset(&sa.sa_mask, allowed[j]);
  previous[i] = old;
  if (sigaction(allowed[i], &sa, NULL) != 0)
    return -errno;
  installed[i] = 1;
  __atomic_store_n(&any_installed, 1, __ATOMIC_RELEASE);
  return 0;
}

int tf_cleanup_on_signals(const int *signals, size_t count) {
  size_t k;
  int rc = 0;
  if (signals == NULL) {
    if (count != 0)
      return -EINVAL;
    signals = default_set;
    count = sizeof(default_set) / sizeof(default_set[0]);
  }
  for (k = 0; k < count; k++)
    if (index_of(signals[k]) < 0)
      return -EINVAL;
  pthread_mutex_lock(&install_lock);
  for (k = 0; k < count && rc == 0; k++)
    rc = install(index_of(signals[k]));
  pthread_mutex_unlock(&install_lock);
  return rc;
}

int tf__signals_block(sigset_t *old) {
  sigset_t set;
  size_t j;
  if (!__atomic_load_n(&any_installed, __ATOMIC_ACQUIRE))
    return 0;
  sigemptyset(&set);
  for (j = 0; j < NALLOWED; j++)
    sigaddset(&set, allowed[j]);
  return pthread_sigmask(SIG_BLOCK, &set, old) == 0;
}

void tf__signals_restore(const sigset_t *old) {
  pthread_sigmask(SIG_SETMASK, old, NULL);
}
