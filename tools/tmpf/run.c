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
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tmpf.h"

enum { OPT_KEEP = 256, OPT_KEEP_ON_FAILURE, OPT_CD, OPT_HELP };

/* Forwarded to COMMAND; one that tmpf inherited ignored stays ignored
 * (nohup, `&` in a script), for COMMAND too. */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
                                SIGUSR2};
#define N_FORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

struct run {
  int keep, keep_on_failure, cd;
  const char *parent; /* -p DIR, or NULL for the temporary directory */
  char **command;
};

static void help(void) {
  puts("Usage: tmpf run [OPTION]... [--] COMMAND [ARG]...\n"
       "Run COMMAND with TMPDIR set to a new private directory (mode 0700),\n"
       "then remove that directory and everything in it, safely against\n"
       "symlinks and mount points, however COMMAND ends.  SIGINT, SIGTERM,\n"
       "SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to tmpf are passed on to\n"
       "COMMAND, which is waited for before the directory goes.\n\n"
       "  -p, --tmpdir=DIR     make the directory in DIR (default: the\n"
       "                       temporary directory, see 'tmpf dir')\n"
       "      --cd             run COMMAND inside the directory\n"
       "      --keep           keep the directory; its path goes to stderr\n"
       "      --keep-on-failure  keep it only when COMMAND fails or is killed\n"
       "      --help           show this help and exit\n\n"
       "Exit status: COMMAND's, or 128 + N when signal N killed it; 126\n"
       "COMMAND could not be run, 127 COMMAND not found; 1 the directory\n"
       "could not be made or removed (when COMMAND succeeded), 2 bad command\n"
       "line.");
}

static int parse_args(struct run *r, int argc, char **argv) {
  static const struct option opts[] = {
      {"tmpdir", required_argument, NULL, 'p'},
      {"keep", no_argument, NULL, OPT_KEEP},
      {"keep-on-failure", no_argument, NULL, OPT_KEEP_ON_FAILURE},
      {"cd", no_argument, NULL, OPT_CD},
      {"help", no_argument, NULL, OPT_HELP},
      {NULL, 0, NULL, 0}};
  int c;
  optind = 1;
  /* '+': options end at COMMAND, whose own options are its business. */
  while ((c = getopt_long(argc, argv, "+p:", opts, NULL)) != -1) {
    switch (c) {
    case 'p': r->parent = optarg; break;
    case OPT_KEEP: r->keep = 1; break;
    case OPT_KEEP_ON_FAILURE: r->keep_on_failure = 1; break;
    case OPT_CD: r->cd = 1; break;
    case OPT_HELP: help(); return TMPF_EXIT_OK;
    default:
      fprintf(stderr, "Try 'tmpf run --help' for more information.\n");
      return TMPF_EXIT_USAGE;
    }
  }
  if (optind >= argc) {
    tmpf_error("run: no command given");
    fprintf(stderr, "Try 'tmpf run --help' for more information.\n");
    return TMPF_EXIT_USAGE;
  }
  r->command = argv + optind;
  return -1;
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

/* In the child: become COMMAND, or say why not and exit 126 or 127. */
static void exec_command(const struct run *r, const char *dir,
                         const sigset_t *old_mask) {
  int err;
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

static int make_dir(const struct run *r, tf_dir **d) {
  tf_opts o = TF_OPTS_INIT;
  char *parent = NULL;
  int rc;
  /* An absolute TMPDIR, so COMMAND may change directory. */
  if (r->parent != NULL) {
    parent = realpath(r->parent, NULL);
    if (parent == NULL) {
      rc = -errno;
      tmpf_error("run: %s: %s", tmpf_quote(r->parent), tmpf_strerror(-rc));
      return rc;
    }
  }
  o.dir = parent;
  o.prefix = "tmpf-run.";
  rc = tf_dir_create(d, &o);
  if (rc < 0)
    tmpf_error("run: cannot create a temporary directory%s%s: %s",
               parent ? " in " : "", parent ? tmpf_quote(parent) : "",
               tf_strerror(rc));
  free(parent);
  return rc;
}

/* Keep or remove the directory as asked; the final exit status. */
static int finish(const struct run *r, tf_dir *d, int status) {
  int rc;
  if (r->keep || (r->keep_on_failure && status != 0)) {
    tf_dir_keep(d);
    fprintf(stderr, "%s: run: kept %s\n", tmpf_program, tf_dir_path(d));
  }
  rc = tf_dir_free(d);
  if (rc < 0) {
    tmpf_error("run: cannot remove the temporary directory: %s",
               tf_strerror(rc));
    if (status == 0)
      status = TMPF_EXIT_FAILURE;
  }
  return status;
}

int tmpf_run(int argc, char **argv) {
  struct run r;
  sigset_t waited, old_mask;
  tf_dir *d = NULL;
  pid_t child;
  int status;
  memset(&r, 0, sizeof(r));
  status = parse_args(&r, argc, argv);
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
  fflush(NULL);
  child = fork();
  if (child == 0)
    exec_command(&r, tf_dir_path(d), &old_mask);
  if (child < 0) {
    tmpf_error("run: cannot start %s: %s", tmpf_quote(r.command[0]),
               tmpf_strerror(errno));
    status = TMPF_EXIT_FAILURE;
  } else {
    status = status_of(wait_forwarding(child, &waited));
  }
  status = finish(&r, d, status);
  /* What came after COMMAND ended is dropped with the process. */
  return status;
}
