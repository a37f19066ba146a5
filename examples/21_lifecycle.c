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
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tour.h"

/* A file and a directory with a file inside, made in dir and left open. */
static void make_objects(const char *dir) {
  tf_opts opts = TF_OPTS_INIT;
  tf_file *f;
  tf_dir *d;
  int fd;
  opts.dir = dir;
  check(tf_file_create(&f, &opts), "tf_file_create");
  check(tf_dir_create(&d, &opts), "tf_dir_create");
  fd = openat(tf_dir_fd(d), "data.bin", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  check_sys(fd >= 0, "openat");
  close(fd);
}

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

static void ends_with_exit(const char *dir) {
  make_objects(dir);
  exit(0); /* the handles are never freed */
}

static void gets_sigterm(const char *dir) {
  check(tf_cleanup_on_signals(NULL, 0), "tf_cleanup_on_signals");
  make_objects(dir);
  kill(getpid(), SIGTERM);
  pause();
}

static void gets_sigkill(const char *dir) {
  make_objects(dir);
  kill(getpid(), SIGKILL);
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

int main(void) {
  tf_dir *work;
  tf_file *mine;
  tf_opts opts = TF_OPTS_INIT;
  const char *dir;
  int status, n;

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
  printf("After a forked child exits, the parent's file %s exists: %s\n",
         base_name(tf_file_path(mine)), exists(tf_file_path(mine)));

  status = child(dir, gets_sigkill);
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
