/* SPDX-License-Identifier: MIT */
/*
 * run.c - `tmpf run [--keep] [--keep-on-failure] [--cd] [-p DIR] [--]
 * COMMAND [ARG]...`: run COMMAND with TMPDIR set to a private temporary
 * directory, and remove the directory with the secure walk once COMMAND
 * has ended, however it ended.
 *
 * tmpf blocks the signals it forwards and takes them with sigwaitinfo(),
 * so it never dies before COMMAND does and no handler runs at a bad
 * moment.  A Ctrl-C the terminal sent to the whole foreground process
 * group has reached COMMAND already and is not sent twice.
 *
 * Once the directory is removed, tmpf dies of the signal that killed
 * COMMAND, as GNU timeout does, so that the shell that started it sees
 * what it would have seen of COMMAND itself: bash stops a loop when a
 * foreground command it waited for dies of the SIGINT of a Ctrl-C, and
 * not when it exits 130.  Its own core dumps are disabled first.
 *
 * COMMAND inherits a descriptor of the directory that holds a shared
 * flock(2), at the number in $TMPF_RUN_LOCK_FD (10 or above), so the
 * directory looks live to tf_reap() for as long as COMMAND, or anything
 * it started that kept that descriptor, runs: also when tmpf itself was
 * SIGKILLed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tmpf.h"

#if TF_HAVE_PR_SET_DUMPABLE
#include <sys/prctl.h>
#endif

/* Forwarded to COMMAND; one that tmpf inherited ignored stays ignored
 * (nohup, `&` in a script), for COMMAND too. */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
                                SIGUSR2};
#define N_FORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

static void help(void) {
  puts("Usage: tmpf run [OPTION]... [--] COMMAND [ARG]...\n"
       "Run COMMAND with TMPDIR set to a new private directory (mode 0700),\n"
       "then remove that directory and everything in it, safely against\n"
       "symlinks and mount points, however COMMAND ends.  SIGINT, SIGTERM,\n"
       "SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to tmpf are passed on to\n"
       "COMMAND, which is waited for before the directory goes.  COMMAND\n"
       "inherits a lock on the directory (fd $TMPF_RUN_LOCK_FD): while it is\n"
       "held, 'tmpf reap' leaves the directory, even if tmpf was killed.\n\n"
       "  -p, --tmpdir=DIR     make the directory in DIR (default: the\n"
       "                       temporary directory, see 'tmpf dir')\n"
       "      --cd             run COMMAND inside the directory\n"
       "      --keep           keep the directory; its path goes to stderr\n"
       "      --keep-on-failure  keep it only when COMMAND fails or is killed\n"
       "      --help           show this help and exit\n\n"
       "Exit status: COMMAND's, or 128 + N when signal N killed it (tmpf\n"
       "then dies of N too, without a core dump); 126 COMMAND could not be\n"
       "run, 127 COMMAND not found; 1 the directory could not be made or\n"
       "removed (when COMMAND succeeded), 2 bad command line.");
}

/* The signals to forward: those not ignored. */
static void forwarded_set(sigset_t *set) {
  size_t i;
  sigemptyset(set);
  for (i = 0; i < N_FORWARDED; i++) {
    struct sigaction sa;
    if (sigaction(forwarded[i], NULL, &sa) == 0 && sa.sa_handler != SIG_IGN)
      sigaddset(set, forwarded[i]);
  }
}

/* The lowest descriptor number COMMAND's lock may take: above those
 * the shells give to redirections (0 to 9), and chosen as the lowest
 * free one, so no descriptor the caller passes on is replaced. */
#define LOCK_FD_MIN 10

/* A descriptor of the directory for COMMAND, close-on-exec until the
 * child clears it, with a shared flock(2) of its own: COMMAND's claim on
 * the directory, which tf_reap() respects while any process holds it.
 * A new open file, not a copy of the handle's descriptor, so COMMAND
 * shares no reading position with the removal.  -1 when there is none
 * (no descriptors left, a file system without flock()): COMMAND then
 * runs without it, and the directory counts as live while tmpf does. */
static int command_lock(tf_dir *d) {
  int dfd = tf_dir_fd(d), fd, high;
  if (dfd < 0)
    return -1;
  fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
    close(fd);
    return -1;
  }
  if (fd >= LOCK_FD_MIN)
    return fd;
  high = fcntl(fd, F_DUPFD_CLOEXEC, LOCK_FD_MIN);
  close(fd); /* the lock stays with the open file, now at high */
  return high;
}

/* In the child: become COMMAND, or say why not and exit 126 or 127. */
static void exec_command(const struct tmpf_run_args *r, const char *dir, int lock_fd,
                         const sigset_t *old_mask) {
  char num[24];
  int err;
  /* COMMAND's claim on the directory, and where it is; none inherited
   * from an outer tmpf run is announced as this one's. */
  snprintf(num, sizeof(num), "%d", lock_fd);
  if (lock_fd < 0 || fcntl(lock_fd, F_SETFD, 0) != 0 ||
      setenv("TMPF_RUN_LOCK_FD", num, 1) != 0)
    unsetenv("TMPF_RUN_LOCK_FD");
  if (setenv("TMPDIR", dir, 1) != 0 || (r->cd && chdir(dir) != 0)) {
    tmpf_error("run: cannot enter %s: %s", tmpf_quote(dir),
               tmpf_strerror(errno));
    _exit(126);
  }
  sigprocmask(SIG_SETMASK, old_mask, NULL);
  execvp(r->command[0], r->command);
  err = errno;
  tmpf_error("run: %s: %s", tmpf_quote(r->command[0]), tmpf_strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

/* Pass on the signals tmpf gets until the child ends; its wait status. */
static int wait_forwarding(pid_t child, const sigset_t *waited) {
  int wstatus;
  for (;;) {
    siginfo_t info;
    pid_t got;
    int sig = sigwaitinfo(waited, &info);
    if (sig < 0)
      continue; /* EINTR: a stop and a SIGCONT */
    if (sig == SIGCHLD) {
      got = waitpid(child, &wstatus, WNOHANG);
      if (got == child)
        return wstatus;
      if (got < 0 && errno != EINTR)
        return -1;
      continue; /* COMMAND stopped, or SIGCHLD came from elsewhere */
    }
    /* The terminal's Ctrl-C and Ctrl-\ reach the whole foreground
     * process group, COMMAND included, unless COMMAND left the group.
     * Not its hangup: that SIGHUP goes to the session leader only. */
    if ((sig == SIGINT || sig == SIGQUIT) && info.si_code == SI_KERNEL &&
        getpgid(child) == getpgrp())
      continue;
    kill(child, sig);
  }
}

static int status_of(int wstatus) {
  if (wstatus < 0)
    return TMPF_EXIT_FAILURE;
  if (WIFSIGNALED(wstatus))
    return 128 + WTERMSIG(wstatus);
  return WEXITSTATUS(wstatus);
}

/* Die of sig, the signal that killed COMMAND, as timeout(1) does: its
 * default action restored, unblocked, raised.  Without a core dump of
 * tmpf's own (COMMAND dumped its core, if any): returns, and tmpf exits
 * 128 + sig instead, when core dumps can not be turned off. */
static void die_of(int sig) {
  struct rlimit none;
  struct sigaction dfl;
  sigset_t set;
  int no_core = 0;
#if TF_HAVE_PR_SET_DUMPABLE
  /* Also stops a core_pattern pipe, which ignores RLIMIT_CORE 0. */
  no_core = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
#endif
  none.rlim_cur = none.rlim_max = 0;
  if (setrlimit(RLIMIT_CORE, &none) == 0)
    no_core = 1;
  if (!no_core)
    return;
  fflush(NULL);
  memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  if (sigaction(sig, &dfl, NULL) != 0)
    return;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  raise(sig);
  /* Still here: a signal whose default action is not to end a process. */
}

static int make_dir(const struct tmpf_run_args *r, tf_dir **d) {
  tf_opts o = TF_OPTS_INIT;
  char *parent = NULL;
  int rc;
  /* An absolute TMPDIR, so COMMAND may change directory. */
  if (r->parent != NULL) {
    parent = realpath(r->parent, NULL);
    if (parent == NULL) {
      rc = -errno;
      tmpf_error("run: cannot use directory %s: %s", tmpf_quote(r->parent),
                 tmpf_strerror(-rc));
      return rc;
    }
  }
  o.dir = parent;
  o.prefix = "tmpf-run.";
  rc = tf_dir_create(d, &o);
  if (rc < 0) {
    char where[4096];
    const char *in = parent;
    if (in == NULL && tf_gettempdir(where, sizeof(where)) >= 0)
      in = where;
    tmpf_error("run: cannot create a temporary directory in %s: %s",
               in ? tmpf_quote(in) : "the temporary directory",
               tmpf_strerror(-rc));
  }
  free(parent);
  return rc;
}

/* Keep or remove the directory as asked; the final exit status. */
static int finish(const struct tmpf_run_args *r, tf_dir *d, int status) {
  char path[4096];
  int rc;
  if (r->keep || (r->keep_on_failure && status != 0)) {
    tf_dir_keep(d);
    fprintf(stderr, "%s: run: kept %s\n", tmpf_program, tf_dir_path(d));
  }
  /* Named in the message, so it is copied before the handle goes. */
  snprintf(path, sizeof(path), "%s", tf_dir_path(d));
  rc = tf_dir_free(d);
  if (rc < 0) {
    tmpf_error("run: cannot remove the temporary directory %s: %s (it is "
               "still there)",
               tmpf_quote(path), tmpf_strerror(-rc));
    if (status == 0)
      status = TMPF_EXIT_FAILURE;
  }
  return status;
}

int tmpf_run(int argc, char **argv) {
  struct tmpf_run_args r;
  sigset_t waited, old_mask;
  tf_dir *d = NULL;
  pid_t child;
  int status, wstatus = -1, lock_fd, err;
  status = tmpf_run_args(&r, argc, argv, help);
  if (status >= 0)
    return status;
  /* Inherited SIG_IGN would make the kernel reap COMMAND for us and
   * lose its status. */
  signal(SIGCHLD, SIG_DFL);
  /* Blocked from before the directory exists, so a signal that comes
   * early is forwarded too, once COMMAND runs. */
  forwarded_set(&waited);
  sigaddset(&waited, SIGCHLD);
  sigprocmask(SIG_BLOCK, &waited, &old_mask);
  if (make_dir(&r, &d) < 0) {
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    return TMPF_EXIT_FAILURE;
  }
  lock_fd = command_lock(d);
  fflush(NULL);
  child = fork();
  if (child == 0)
    exec_command(&r, tf_dir_path(d), lock_fd, &old_mask);
  err = errno;
  if (lock_fd >= 0)
    close(lock_fd); /* COMMAND's now; tmpf's own lock is the handle's */
  errno = err;
  if (child < 0) {
    tmpf_error("run: cannot start %s: %s", tmpf_quote(r.command[0]),
               tmpf_strerror(errno));
    status = TMPF_EXIT_FAILURE;
  } else {
    wstatus = wait_forwarding(child, &waited);
    status = status_of(wstatus);
  }
  status = finish(&r, d, status);
  /* What came after COMMAND ended is dropped with the process.  COMMAND
   * killed by a signal: tmpf dies of it too, or exits 128 + N. */
  if (wstatus >= 0 && WIFSIGNALED(wstatus))
    die_of(WTERMSIG(wstatus));
  return status;
}
