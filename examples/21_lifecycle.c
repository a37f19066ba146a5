/* SPDX-License-Identifier: MIT */
/*
 * 21_lifecycle.c - beyond Python: what happens to temporary objects when
 * a program does not end them itself.  Python removes them when a `with`
 * block ends or at interpreter exit, but not on SIGTERM, and a forked
 * child can delete its parent's files.  Here: cleanup at exit(), on
 * SIGTERM with tf_cleanup_on_signals(), a forked child that leaves its
 * parent's objects alone, and tf_reap() removing what a process killed
 * with SIGKILL (which no handler can catch) left behind, while a live
 * process's file stays.
 *
 * Windows has no fork() and no SIGKILL: there each child is this program
 * started again with its role on the command line, and the kill is
 * TerminateProcess(), after which nothing of the process runs.  The
 * signals the cleanup takes are the C runtime's (SIGINT, SIGTERM,
 * SIGBREAK); a child is given none of its parent's handles, so it can
 * not end its parent's objects.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _WIN32
#include <process.h>
#include <windows.h>
#else
#include <sys/wait.h>
#endif

#include "tour.h"

/* The exit code a killed child is given on Windows (TerminateProcess()
 * sets it; nothing of the child runs). */
#define KILLED_CODE 99

/* A file and a directory with a file inside, made in dir and left open. */
static void make_objects(const char *dir) {
  tf_opts opts = TF_OPTS_INIT;
  tf_file *f;
  tf_dir *d;
  int fd;
  opts.dir = dir;
  check(tf_file_create(&f, &opts), "tf_file_create");
  check(tf_dir_create(&d, &opts), "tf_dir_create");
  fd = open_in(d, "data.bin", O_CREAT | O_WRONLY);
  check_sys(fd >= 0, "open_in");
  close(fd);
}

static void ends_with_exit(const char *dir) {
  make_objects(dir);
  exit(0); /* the handles are never freed */
}

static void gets_sigterm(const char *dir) {
  /* Two signals every platform has (NULL means each platform's own
   * default set: on POSIX SIGHUP and SIGQUIT too). */
  static const int signals[] = {SIGINT, SIGTERM};
  check(tf_cleanup_on_signals(signals, 2), "tf_cleanup_on_signals");
  make_objects(dir);
  raise(SIGTERM);
  exit(1); /* not reached: the signal ends the process */
}

static void gets_killed(const char *dir) {
  make_objects(dir);
#ifdef _WIN32
  TerminateProcess(GetCurrentProcess(), KILLED_CODE);
#else
  kill(getpid(), SIGKILL);
#endif
}

#ifdef _WIN32
/* The child's roles, named on its command line. */
static const struct {
  const char *name;
  void (*run)(const char *dir);
} roles[] = {{"exit", ends_with_exit}, {"sigterm", gets_sigterm},
             {"kill", gets_killed}};

/* Run this program again as a child in the role of how, and wait for it;
 * its exit code.  (The C runtime joins the arguments with spaces: each
 * is quoted.) */
static int child(const char *dir, void (*how)(const char *)) {
  char self[4096], quoted_self[4200], quoted_dir[4200];
  const char *role = NULL;
  size_t i;
  intptr_t code;
  for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
    if (roles[i].run == how)
      role = roles[i].name;
  check_sys(GetModuleFileNameA(NULL, self, sizeof(self)) < sizeof(self),
            "GetModuleFileName");
  snprintf(quoted_self, sizeof(quoted_self), "\"%s\"", self);
  snprintf(quoted_dir, sizeof(quoted_dir), "\"%s\"", dir);
  fflush(NULL);
  code = _spawnl(_P_WAIT, self, quoted_self, role, quoted_dir, (char *)NULL);
  check_sys(code != -1, "_spawnl");
  return (int)code;
}

/* How a child ended, as the end of a sentence. */
static const char *ending(int code) {
  static char buf[64];
  if (code == KILLED_CODE)
    return "was killed by TerminateProcess()";
  snprintf(buf, sizeof(buf), "exited with status %d", code);
  return buf;
}
#else
/* Run how in a child; its wait status. */
static int child(const char *dir, void (*how)(const char *)) {
  int status;
  pid_t pid;
  fflush(NULL);
  pid = fork();
  check_sys(pid >= 0, "fork");
  if (pid == 0) {
    how(dir);
    _exit(0);
  }
  check_sys(waitpid(pid, &status, 0) == pid, "waitpid");
  return status;
}

/* How a child ended, as the end of a sentence: "was killed by SIGTERM"
 * or "exited with status 0" (strsignal() would give "Terminated", which
 * reads badly in a sentence, and sigabbrev_np() is glibc-only). */
static const char *ending(int status) {
  static const struct {
    int sig;
    const char *name;
  } names[] = {{SIGHUP, "SIGHUP"}, {SIGINT, "SIGINT"}, {SIGQUIT, "SIGQUIT"},
               {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"}};
  static char buf[64];
  size_t i;
  if (WIFEXITED(status)) {
    snprintf(buf, sizeof(buf), "exited with status %d", WEXITSTATUS(status));
    return buf;
  }
  for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (names[i].sig == WTERMSIG(status)) {
      snprintf(buf, sizeof(buf), "was killed by %s", names[i].name);
      return buf;
    }
  snprintf(buf, sizeof(buf), "was killed by signal %d", WTERMSIG(status));
  return buf;
}
#endif

/* "1 entry", "2 entries" */
static const char *count(int n, const char *one, const char *many) {
  static char buf[2][64];
  static int next;
  char *b = buf[next++ % 2];
  snprintf(b, sizeof(buf[0]), "%d %s", n, n == 1 ? one : many);
  return b;
}

static int report(const char *name, int is_dir, long pid, void *arg) {
  (void)arg;
  printf("  reaped %s %s, made by dead process %ld\n",
         is_dir ? "directory" : "file", name, pid);
  return 0;
}

int main(int argc, char **argv) {
  tf_dir *work;
  tf_file *mine;
  tf_opts opts = TF_OPTS_INIT;
  const char *dir;
  int status, n;

#ifdef _WIN32
  if (argc == 3) { /* a child: its role and the directory */
    size_t i;
    for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
      if (strcmp(argv[1], roles[i].name) == 0)
        roles[i].run(argv[2]);
    return 2;
  }
#else
  (void)argc;
  (void)argv;
#endif
  puts("=== Lifecycle: exit, signals, fork and crash leftovers ===");
  check(tf_dir_create(&work, NULL), "tf_dir_create");
  dir = tf_dir_path(work);

  status = child(dir, ends_with_exit);
  printf("A child made a file and a directory and called exit(): %s left,"
         " and it %s\n",
         count(entries(dir), "entry", "entries"), ending(status));

  status = child(dir, gets_sigterm);
  printf("A child with tf_cleanup_on_signals() got SIGTERM: %s left,"
         " and it %s, as it would have been without the handler\n",
         count(entries(dir), "entry", "entries"), ending(status));

  opts.dir = dir;
  check(tf_file_create(&mine, &opts), "tf_file_create");
  status = child(dir, ends_with_exit);
  printf("After a %schild exits, the parent's file %s exists: %s\n",
         TOUR_WINDOWS ? "" : "forked ", base_name(tf_file_path(mine)),
         exists(tf_file_path(mine)));

  status = child(dir, gets_killed);
  printf("A child that %s left %s behind (%d with our live file)\n",
         ending(status), count(entries(dir) - 1, "entry", "entries"),
         entries(dir));
  n = tf_reap(dir, TF_REAP_DRY_RUN, 0, NULL, NULL);
  check(n, "tf_reap");
  printf("tf_reap(TF_REAP_DRY_RUN) finds %s; removing %s:\n",
         count(n, "leftover", "leftovers"), n == 1 ? "it" : "them");
  check(tf_reap(dir, 0, 0, report, NULL), "tf_reap");
  printf("Left now: %s; our live file exists: %s\n",
         count(entries(dir), "entry", "entries"), exists(tf_file_path(mine)));

  check(tf_file_free(mine), "tf_file_free");
  check(tf_dir_free(work), "tf_dir_free");
  puts("Workspace removed");
  return 0;
}
