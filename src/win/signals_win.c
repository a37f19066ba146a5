/* SPDX-License-Identifier: MIT */
/*
 * signals_win.c - tf_cleanup_on_signals() on Windows: remove the
 * registered objects (registry_win.c) when the process is told to end,
 * then let that end happen as it would have without the library.
 *
 * Windows tells a process to end in two ways, and both are handled:
 *  - the C runtime's signals SIGINT, SIGTERM and SIGBREAK, raised by
 *    raise() (synchronously, in the raising thread) or, for SIGINT and
 *    SIGBREAK, by the C runtime's own console handler on Ctrl-C and
 *    Ctrl-Break (in the console's new thread).  The signal() handler
 *    cleans, then calls the handler that was installed before, or does
 *    what the default would have done: raise() again with SIG_DFL (the C
 *    runtime then ends the process with exit code 3).
 *  - console events, through SetConsoleCtrlHandler: Ctrl-C (for SIGINT),
 *    Ctrl-Break (SIGBREAK), and closing the console or shutting down
 *    (SIGTERM: the request to end).  The handler cleans and returns
 *    FALSE, so the next handler, and in the end the system's default one
 *    (ExitProcess), runs as if it had not been there.  It is added last,
 *    so it runs before the C runtime's; where the C runtime would have
 *    declined the event (no handler before ours), our signal() handler
 *    goes back to SIG_DFL first, so the C runtime declines it again and
 *    the exit code is the system's (STATUS_CONTROL_C_EXIT; 0 under
 *    Wine).  Not logoff: a service receives it whenever any user logs
 *    off, and lives on.
 * SIGABRT is refused: abort() means the program found itself broken,
 * and POSIX's set leaves it out for the same reason.
 *
 * Cleaning from these handlers can not deadlock: see registry_win.c (no
 * lock is taken, waits are bounded).  The C runtime resets a signal to
 * SIG_DFL before it calls the handler; the handler is installed again
 * after a previous handler that returns, so it stays, as on POSIX.
 */
#include "win.h"

#include <signal.h>

typedef void (*handler_fn)(int);

/* The signals a caller may ask for: those that ask the process to end. */
static const int allowed[] = {SIGINT, SIGTERM, SIGBREAK};
#define NALLOWED (sizeof(allowed) / sizeof(allowed[0]))

static handler_fn volatile previous[NALLOWED];
static volatile LONG asked[NALLOWED]; /* its console event is handled */
static tf__mutex install_lock = TF__MUTEX_INIT;

static int index_of(int sig) {
  size_t i;
  for (i = 0; i < NALLOWED; i++)
    if (allowed[i] == sig)
      return (int)i;
  return -1;
}

static void on_signal(int sig);

/* After a previous handler returned: ours again, unless the program
 * chose otherwise in it (a handler it installed becomes the previous
 * one; SIG_IGN stays). */
static void rearm(int i) {
  handler_fn cur = signal(allowed[i], on_signal);
  if (cur == SIG_IGN) {
    signal(allowed[i], SIG_IGN);
    InterlockedExchange(&asked[i], 0);
  } else if (cur != SIG_DFL && cur != SIG_ERR && cur != on_signal) {
    previous[i] = cur;
  }
}

static void on_signal(int sig) {
  int i = index_of(sig);
  handler_fn prev;
  tf__w_reg_clean_on_signal();
  if (i < 0) /* not ours: can not happen */
    return;
  prev = previous[i];
  if (prev != SIG_DFL && prev != SIG_IGN && prev != SIG_ERR &&
      prev != on_signal) {
    tf__w_reg_survived_signal(); /* it may return and go on */
    prev(sig);
    rearm(i);
    return;
  }
  /* The default action, as if we had never been here. */
  signal(sig, SIG_DFL);
  raise(sig);
}

static BOOL WINAPI on_console(DWORD type) {
  int sig, i;
  switch (type) {
  case CTRL_C_EVENT:
    sig = SIGINT;
    break;
  case CTRL_BREAK_EVENT:
    sig = SIGBREAK;
    break;
  case CTRL_CLOSE_EVENT:
  case CTRL_SHUTDOWN_EVENT:
    sig = SIGTERM;
    break;
  default:
    return FALSE;
  }
  i = index_of(sig);
  if (InterlockedCompareExchange(&asked[i], 0, 0) == 0)
    return FALSE;
  tf__w_reg_clean_on_signal();
  if (sig != SIGTERM && previous[i] == SIG_DFL)
    signal(sig, SIG_DFL); /* the C runtime declines the event, as before */
  return FALSE;           /* the next handler, and in the end ExitProcess */
}

/* Install the handler for allowed[i] unless it is ignored or ours
 * (install_lock held). */
static int install(int i) {
  handler_fn cur = signal(allowed[i], on_signal);
  if (cur == SIG_ERR)
    return -EINVAL;
  if (cur == SIG_IGN) {
    signal(allowed[i], SIG_IGN); /* asked to be ignored: it stays so */
    return 0;
  }
  if (cur != on_signal)
    previous[i] = cur;
  InterlockedExchange(&asked[i], 1);
  return 0;
}

int tf_cleanup_on_signals(const int *signals, size_t count) {
  static const int default_set[] = {SIGINT, SIGTERM, SIGBREAK};
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
  tf__mutex_lock(&install_lock);
  for (k = 0; k < count && rc == 0; k++)
    rc = install(index_of(signals[k]));
  /* After the signal() calls, which may add the C runtime's console
   * handler: ours, added (again) last, runs first. */
  if (rc == 0) {
    SetConsoleCtrlHandler(on_console, FALSE);
    if (!SetConsoleCtrlHandler(on_console, TRUE))
      rc = tf__w_last_err();
  }
  tf__mutex_unlock(&install_lock);
  return rc;
}
