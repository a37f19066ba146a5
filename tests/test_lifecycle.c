/* SPDX-License-Identifier: MIT */
/*
 * test_lifecycle.c - cleanup at exit and on signals, fork rules, marks,
 * tf_reap() basics and scope-bound cleanup (first author; the attacks
 * are in test_reap_attacks.c).
 */
#include "harness.h"
#include "fault.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

/* dir's listing is exactly expected. */
static void assert_listing(const char *dir, const char *expected) {
  char *l = tf_test_listing(dir);
  if (strcmp(l, expected) != 0)
    FAIL("%s holds [%s], expected [%s]", dir, l, expected);
  free(l);
}

/* Run fn in a forked child; its wait status. */
static int in_child(void (*fn)(void *), void *arg) {
  int status;
  pid_t pid = fork();
  if (pid < 0)
    FAIL("fork: %s", strerror(errno));
  fflush(NULL);
  if (pid == 0) {
    fn(arg);
    exit(0);
  }
  CHECK_SYS(waitpid(pid, &status, 0));
  return status;
}

static void make_tree_in(tf_dir *d) {
  int fd = tf_dir_fd(d), f;
  CHECK_SYS(mkdirat(fd, "sub", 0700));
  CHECK_SYS(mkdirat(fd, "sub/deeper", 0700));
  f = openat(fd, "sub/deeper/f", O_CREAT | O_WRONLY, 0600);
  CHECK_SYS(f);
  close(f);
  CHECK_SYS(symlinkat("/", fd, "sub/link"));
}

/* The handles of make_live_objects(), alive until the process ends
 * (static: reachable, not lost, for the leak checkers). */
static struct {
  tf_file *f, *closed;
  tf_dir *d;
  tf_atomic *a;
} live;

/* Objects of every kind, left alive. */
static void make_live_objects(void) {
  tf_opts o = TF_OPTS_INIT;
  ASSERT_OK(tf_file_create(&live.f, NULL));
  o.flags = TF_DELETE_ON_FREE;
  ASSERT_OK(tf_file_create(&live.closed, &o));
  ASSERT_OK(tf_file_close(live.closed));
  ASSERT_OK(tf_dir_create(&live.d, NULL));
  make_tree_in(live.d);
  tf_test_write_file("target", "old");
  tf_test_without_o_tmpfile();
  ASSERT_OK(tf_atomic_begin(&live.a, "target", NULL));
  tf_test_restore_syscalls();
  ASSERT_OK(tf_atomic_write(live.a, "new", 3));
}

static void exit_without_freeing(void *arg) {
  (void)arg;
  LEAK_ON_PURPOSE();
  make_live_objects();
  exit(0);
}

TEST(test_lifecycle_exit_removes_every_live_object) {
  int status = in_child(exit_without_freeing, NULL);
  ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  /* Only the atomic target, with its old contents. */
  assert_listing(".", "target\n");
  unlink("target");
}

static void exit_after_ending_and_keeping(void *arg) {
  tf_file *ended, *kept, *kept_later, *published;
  tf_dir *dkept;
  tf_opts o = TF_OPTS_INIT;
  (void)arg;
  LEAK_ON_PURPOSE();
  ASSERT_OK(tf_file_create(&ended, NULL));
  ASSERT_OK(tf_file_free(ended));
  o.flags = TF_KEEP;
  o.prefix = "kept-";
  ASSERT_OK(tf_file_create(&kept, &o));
  o.flags = 0;
  o.prefix = "later-";
  ASSERT_OK(tf_file_create(&kept_later, &o));
  tf_file_keep(kept_later);
  ASSERT_OK(tf_file_create(&published, NULL));
  ASSERT_OK(tf_file_publish(published, "final", 0, 0));
  o.prefix = "dkept-";
  ASSERT_OK(tf_dir_create(&dkept, &o));
  tf_dir_keep(dkept);
  exit(0); /* the handles are alive: exit must leave all of these */
}

TEST(test_lifecycle_exit_leaves_ended_kept_and_published_objects) {
  char *l;
  int status = in_child(exit_after_ending_and_keeping, NULL);
  ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(tf_test_count_entries("."), 4);
  l = tf_test_listing(".");
  ASSERT(strstr(l, "final\n") && strstr(l, "kept-") && strstr(l, "later-") &&
         strstr(l, "dkept-"));
  free(l);
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, tf_test_dir(), TF_CONTENTS_ONLY));
}

TEST(test_lifecycle_untracked_objects_survive_exit) {
  tf_opts o = TF_OPTS_INIT;
  tf_file *f;
  tf_dir *d;
  pid_t pid;
  int status;
  o.flags = TF_UNTRACKED;
  pid = fork();
  if (pid == 0) {
    LEAK_ON_PURPOSE();
    ASSERT_OK(tf_file_create(&f, &o));
    ASSERT_OK(tf_dir_create(&d, &o));
    exit(0);
  }
  CHECK_SYS(waitpid(pid, &status, 0));
  ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(tf_test_count_entries("."), 2);
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, tf_test_dir(), TF_CONTENTS_ONLY));
}

TEST(test_lifecycle_cleanup_all_counts_and_handles_still_end) {
  tf_file *f;
  tf_dir *d;
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_dir_create(&d, NULL));
  make_tree_in(d);
  ASSERT_EQ(tf_cleanup_all(), 2);
  ASSERT_EQ(tf_test_count_entries("."), 0);
  ASSERT_EQ(tf_cleanup_all(), 0); /* once */
  ASSERT_OK(tf_file_free(f));     /* already gone: not an error */
  ASSERT_OK(tf_dir_free(d));
}

/* ------------------------------------------------------------- fork */

struct forked {
  tf_file *f;
  tf_dir *d;
  tf_atomic *a;
};

static void child_exits(void *arg) {
  (void)arg;
  LEAK_ON_PURPOSE(); /* the parent's handles, inherited */
  exit(0);
}

static void child_frees(void *arg) {
  struct forked *p = arg;
  tf_file_free(p->f);
  tf_dir_free(p->d);
  tf_atomic_free(p->a);
  exit(0);
}

static void child_cleans_all(void *arg) {
  (void)arg;
  LEAK_ON_PURPOSE();
  exit(tf_cleanup_all() == 0 ? 0 : 3);
}

static void child_killed(void *arg) {
  (void)arg;
  ASSERT_OK(tf_cleanup_on_signals(NULL, 0));
  raise(SIGTERM);
  exit(4); /* not reached */
}

TEST(test_lifecycle_forked_child_never_removes_parents_objects) {
  void (*children[])(void *) = {child_exits, child_frees, child_cleans_all,
                                child_killed};
  struct forked p;
  size_t i;
  int status;
  tf_test_write_file("target", "old");
  ASSERT_OK(tf_file_create(&p.f, NULL));
  ASSERT_OK(tf_dir_create(&p.d, NULL));
  make_tree_in(p.d);
  tf_test_without_o_tmpfile();
  ASSERT_OK(tf_atomic_begin(&p.a, "target", NULL));
  tf_test_restore_syscalls();
  for (i = 0; i < sizeof(children) / sizeof(children[0]); i++) {
    status = in_child(children[i], &p);
    if (children[i] == child_killed)
      ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    else
      ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ASSERT_EQ(tf_test_count_entries("."), 4);
    ASSERT(tf_test_exists(tf_file_path(p.f)));
    ASSERT_EQ(tf_test_count_tree(AT_FDCWD, tf_dir_path(p.d)), 4);
  }
  ASSERT_OK(tf_atomic_write(p.a, "new", 3));
  ASSERT_OK(tf_atomic_commit(p.a));
  ASSERT_OK(tf_atomic_free(p.a));
  ASSERT_OK(tf_file_free(p.f));
  ASSERT_OK(tf_dir_free(p.d));
  assert_listing(".", "target\n");
  unlink("target");
}

/* ------------------------------------------------------------ signals */

static void killed_by(void *arg) {
  int sig = *(int *)arg;
  ASSERT_OK(tf_cleanup_on_signals(NULL, 0));
  make_live_objects();
  kill(getpid(), sig);
  exit(4);
}

TEST(test_lifecycle_signal_removes_objects_and_keeps_the_exit_status) {
  int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT}, i, status;
  struct rlimit no_core = {0, 0};
  CHECK_SYS(setrlimit(RLIMIT_CORE, &no_core)); /* SIGQUIT dumps */
  for (i = 0; i < 4; i++) {
    status = in_child(killed_by, &sigs[i]);
    ASSERT(WIFSIGNALED(status));
    ASSERT_EQ(WTERMSIG(status), sigs[i]);
    ASSERT_EQ(tf_test_reap_signal_leftovers(".", "target"), 0);
    assert_listing(".", "target\n");
    unlink("target");
  }
}

static volatile sig_atomic_t previous_ran;

static void previous_handler(int sig) {
  (void)sig;
  previous_ran = 1;
}

static void chained(void *arg) {
  tf_file *f;
  (void)arg;
  signal(SIGUSR1, previous_handler);
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_cleanup_on_signals((const int[]){SIGUSR1}, 1));
  ASSERT_OK(tf_cleanup_on_signals((const int[]){SIGUSR1}, 1)); /* twice */
  raise(SIGUSR1);
  ASSERT(previous_ran);
  ASSERT(!tf_test_exists(tf_file_path(f)));
  /* The process goes on, and can make and end objects again. */
  ASSERT_OK(tf_file_free(f));
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_file_free(f));
  exit(0);
}

TEST(test_lifecycle_signal_chains_to_the_previous_handler) {
  int status = in_child(chained, NULL);
  ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

static void ignored(void *arg) {
  tf_file *f;
  (void)arg;
  signal(SIGHUP, SIG_IGN);
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_cleanup_on_signals(NULL, 0));
  raise(SIGHUP);
  ASSERT(tf_test_exists(tf_file_path(f))); /* nohup: still ignored */
  ASSERT_OK(tf_file_free(f));
  exit(0);
}

TEST(test_lifecycle_ignored_signal_stays_ignored) {
  int status = in_child(ignored, NULL);
  ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Deeper than the signal-time walk goes (64 levels, rmtree_signal.c). */
#define PAST_SIGNAL_DEPTH 100

/* top/d/d/.../d, PAST_SIGNAL_DEPTH levels, a file f at every level; the
 * path of the file at the bottom, relative to top, in bottom. */
static void make_deep_chain(int top, char *bottom, size_t size) {
  int fd = dup(top), level, next, n = 0;
  CHECK_SYS(fd);
  for (level = 0;; level++) {
    next = openat(fd, "f", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CHECK_SYS(next);
    close(next);
    if (level == PAST_SIGNAL_DEPTH)
      break;
    CHECK_SYS(mkdirat(fd, "d", 0700));
    next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK_SYS(next);
    close(fd);
    fd = next;
    n += snprintf(bottom + n, size - (size_t)n, "d/");
  }
  snprintf(bottom + n, size - (size_t)n, "f");
  close(fd);
}

/* Reachable, for the leak checkers, when exit() ends the child. */
static tf_dir *deep_dir;

static void signal_cleanup_stops_then_exit(void *arg) {
  char bottom[4 * PAST_SIGNAL_DEPTH + 8];
  int top;
  (void)arg;
  LEAK_ON_PURPOSE();
  signal(SIGUSR1, previous_handler);
  ASSERT_OK(tf_cleanup_on_signals((const int[]){SIGUSR1}, 1));
  ASSERT_OK(tf_dir_create(&deep_dir, NULL));
  top = tf_dir_fd(deep_dir);
  make_deep_chain(top, bottom, sizeof(bottom));
  raise(SIGUSR1);
  ASSERT(previous_ran);
  /* The signal-time walk ran (the top level's file is gone) and stopped
   * partway: the bottom of the tree, and so the directory, are left. */
  ASSERT(faccessat(top, "f", F_OK, AT_SYMLINK_NOFOLLOW) != 0);
  ASSERT(faccessat(top, bottom, F_OK, AT_SYMLINK_NOFOLLOW) == 0);
  ASSERT(tf_test_exists(tf_dir_path(deep_dir)));
  exit(0); /* the handle alive: exit() must finish the removal */
}

/*
 * A program whose own handler runs after the library's cleanup goes on
 * after the signal.  If that cleanup could not remove a directory (its
 * tree goes deeper than the signal-time walk), the directory is still
 * the library's to remove, and exit() does it with the full walk.
 */
TEST(test_lifecycle_exit_finishes_a_signal_cleanup_that_stopped_partway) {
  if (!TF_HAVE_GETDENTS64)
    SKIP("built without getdents64: a signal handler lists no directory, so "
         "its cleanup never stops partway inside one");
  int status = in_child(signal_cleanup_stops_then_exit, NULL);
  ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

TEST(test_lifecycle_signal_set_is_checked) {
  ASSERT_ERR(tf_cleanup_on_signals((const int[]){SIGKILL}, 1), -EINVAL);
  ASSERT_ERR(tf_cleanup_on_signals((const int[]){SIGSEGV}, 1), -EINVAL);
  ASSERT_ERR(tf_cleanup_on_signals((const int[]){SIGTERM, 0}, 2), -EINVAL);
  ASSERT_ERR(tf_cleanup_on_signals(NULL, 1), -EINVAL);
}

/* 1 if some process holds a lock on path. */
static int locked(const char *path) {
  int fd = open(path, O_RDONLY | O_NONBLOCK), rc;
  if (fd < 0)
    FAIL("open %s: %s", path, strerror(errno));
  rc = flock(fd, LOCK_EX | LOCK_NB);
  close(fd);
  return rc != 0;
}

TEST(test_lifecycle_named_objects_are_recorded_in_a_held_ledger) {
  tf_file *f;
  tf_dir *d;
  tf_opts o = TF_OPTS_INIT;
  int held = 0;
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_dir_create(&d, NULL));
  ASSERT_EQ(tf_test_recorded_pid(tf_file_path(f), &held), (long)getpid());
  ASSERT(held);
  ASSERT_EQ(tf_test_recorded_pid(tf_dir_path(d), NULL), (long)getpid());
  /* No lock on the objects themselves until their fds are handed out:
   * then the fd carries a claim. */
  ASSERT(!locked(tf_file_path(f)) && !locked(tf_dir_path(d)));
  ASSERT_GE(tf_file_fd(f), 0);
  ASSERT_GE(tf_dir_fd(d), 0);
  ASSERT(locked(tf_file_path(f)) && locked(tf_dir_path(d)));
  tf_file_keep(f);
  tf_dir_keep(d);
  ASSERT_EQ(tf_test_recorded_pid(tf_file_path(f), NULL), -1);
  ASSERT_EQ(tf_test_recorded_pid(tf_dir_path(d), NULL), -1);
  CHECK_SYS(unlink(tf_file_path(f)));
  CHECK_SYS(rmdir(tf_dir_path(d)));
  ASSERT_OK(tf_file_free(f));
  ASSERT_OK(tf_dir_free(d));
  o.flags = TF_UNTRACKED;
  ASSERT_OK(tf_file_create(&f, &o));
  ASSERT_EQ(tf_test_recorded_pid(tf_file_path(f), NULL), -1);
  ASSERT_GE(tf_file_fd(f), 0);
  ASSERT(!locked(tf_file_path(f)));
  ASSERT_OK(tf_file_free(f));
}

TEST(test_lifecycle_delete_on_free_stays_live_after_close) {
  tf_file *f;
  tf_opts o = TF_OPTS_INIT;
  o.flags = TF_DELETE_ON_FREE;
  ASSERT_OK(tf_file_create(&f, &o));
  ASSERT_OK(tf_file_close(f));
  ASSERT_EQ(tf_test_recorded_pid(tf_file_path(f), NULL), (long)getpid());
  ASSERT_EQ(tf_reap(".", 0, 0, NULL, NULL), 0);
  ASSERT(tf_test_exists(tf_file_path(f)));
  ASSERT_OK(tf_file_free(f));
}

TEST(test_lifecycle_published_file_loses_its_mark) {
  tf_file *f;
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_file_publish(f, "final", 0, 0));
  ASSERT_EQ(tf_test_recorded_pid("final", NULL), -1);
  ASSERT_OK(tf_file_free(f));
  ASSERT_EQ(tf_reap(".", 0, 0, NULL, NULL), 0);
  ASSERT(tf_test_exists("final"));
  unlink("final");
}

/* --------------------------------------------------------------- reap */

static void die_holding_objects(void *arg) {
  (void)arg;
  make_live_objects();
  _exit(0); /* no exit cleanup: as after a crash */
}

struct seen {
  int files, dirs;
  long pid;
};

static int count_seen(const char *name, int is_dir, long pid, void *arg) {
  struct seen *s = arg;
  (void)name;
  if (is_dir)
    s->dirs++;
  else
    s->files++;
  if (pid != 0)
    s->pid = pid;
  return 0;
}

TEST(test_lifecycle_reap_takes_dead_leftovers_only) {
  struct seen s = {0, 0, 0};
  tf_file *mine;
  int fd;
  char *name;
  (void)in_child(die_holding_objects, NULL);
  /* Left: two files, a tree, a hidden atomic file, the target. */
  ASSERT_EQ(tf_test_count_entries("."), 5);
  ASSERT_OK(tf_file_create(&mine, NULL)); /* live */
  fd = tf_mkstempat(AT_FDCWD, &name, NULL); /* unmanaged */
  ASSERT_GE(fd, 0);
  close(fd);
  ASSERT_EQ(tf_reap(".", TF_REAP_DRY_RUN, 0, count_seen, &s), 4);
  ASSERT_EQ(s.files, 3);
  ASSERT_EQ(s.dirs, 1);
  ASSERT_EQ(tf_test_count_entries("."), 7);
  ASSERT_EQ(tf_reap(".", 0, 3600, NULL, NULL), 0); /* too young */
  memset(&s, 0, sizeof(s));
  ASSERT_EQ(tf_reap(".", 0, 0, count_seen, &s), 4);
  ASSERT_GT(s.pid, 0);
  ASSERT_EQ(tf_test_count_entries("."), 3);
  ASSERT(tf_test_exists(tf_file_path(mine)) && tf_test_exists(name));
  ASSERT(tf_test_exists("target"));
  ASSERT_OK(tf_file_free(mine));
  unlink(name);
  tf_free(name);
  unlink("target");
}

TEST(test_lifecycle_reap_stops_when_asked_and_checks_arguments) {
  struct seen s = {0, 0, 0};
  int i;
  for (i = 0; i < 3; i++)
    (void)in_child(die_holding_objects, NULL);
  ASSERT_ERR(tf_reap(".", 0x80000000u, 0, NULL, NULL), -EINVAL);
  ASSERT_ERR(tf_reap("missing", 0, 0, NULL, NULL), -ENOENT);
  tf_test_write_file("plain", "x");
  ASSERT_ERR(tf_reap("plain", 0, 0, NULL, NULL), -ENOTDIR);
  ASSERT_EQ(tf_reap(NULL, TF_REAP_DRY_RUN, 0, count_seen, &s), 12);
  ASSERT_EQ(tf_reap(".", 0, 0, NULL, NULL), 12);
  unlink("plain");
  unlink("target");
}

static int stop_at_first(const char *name, int is_dir, long pid, void *arg) {
  (void)name, (void)is_dir, (void)pid;
  ++*(int *)arg;
  return 1;
}

TEST(test_lifecycle_reap_callback_can_stop) {
  int calls = 0;
  (void)in_child(die_holding_objects, NULL);
  ASSERT_EQ(tf_reap(".", 0, 0, stop_at_first, &calls), 1);
  ASSERT_EQ(calls, 1);
  ASSERT_EQ(tf_reap(".", 0, 0, NULL, NULL), 3);
  unlink("target");
}

/* A creator that passes its tf_dir's descriptor on to a program it
 * starts, then dies without cleanup (as after a SIGKILL), while the
 * program lives on.  The program, sh, says "r" on fd rdy once it runs,
 * waits for the end of its standard input (fd ctl), then writes "w" into
 * the directory. */
struct heir {
  int inherit; /* clear FD_CLOEXEC of tf_dir_fd() before the exec */
  int ctl, rdy;
  char path[PATH_MAX];
};

static void creator_starts_heir(void *arg) {
  struct heir *h = arg;
  tf_dir *d;
  pid_t pid;
  if (tf_dir_create(&d, NULL) < 0)
    _exit(1);
  snprintf(h->path, sizeof(h->path), "%s", tf_dir_path(d));
  pid = fork();
  if (pid == 0) {
    if ((h->inherit && fcntl(tf_dir_fd(d), F_SETFD, 0) != 0) ||
        dup2(h->ctl, 0) != 0 || dup2(h->rdy, 1) != 1)
      _exit(1);
    execl("/bin/sh", "sh", "-c", "echo r; cat > /dev/null; echo w > \"$1/w\"",
          "sh", h->path, (char *)NULL);
    _exit(127);
  }
  _exit(pid < 0); /* no cleanup, no unlock but the kernel's */
}

/* Start the heir; returns once it runs, its creator dead.  *ctl_w ends
 * it (closed: end of input). */
static void start_heir(struct heir *h, int *ctl_w) {
  int ctl[2], rdy[2], status;
  char c;
  CHECK_SYS(pipe2(ctl, O_CLOEXEC));
  CHECK_SYS(pipe2(rdy, O_CLOEXEC));
  h->ctl = ctl[0];
  h->rdy = rdy[1];
  status = in_child(creator_starts_heir, h);
  close(ctl[0]);
  close(rdy[1]);
  ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(read(rdy[0], &c, 1), 1); /* sh runs: the exec is done */
  close(rdy[0]);
  *ctl_w = ctl[1];
}

/* Wait (10 s, scaled) until no process holds a lock on path. */
static int until_unlocked(const char *path) {
  double end = tf_test_now() + 10 * tf_test_time_scale();
  while (locked(path)) {
    if (tf_test_now() > end)
      return 0;
    tf_test_sleep_us(20000);
  }
  return 1;
}

TEST(test_lifecycle_reap_spares_a_dir_whose_fd_a_live_program_inherited) {
  struct heir *h = tf_test_shared_alloc(sizeof(*h));
  char w[PATH_MAX + 2];
  int ctl_w;
  h->inherit = 1;
  start_heir(h, &ctl_w);
  /* The creator is dead; the program holds the lock through the
   * descriptor it inherited on purpose. */
  ASSERT(locked(h->path));
  ASSERT_EQ(tf_reap(".", 0, 0, NULL, NULL), 0);
  ASSERT_EQ(tf_reap(".", TF_REAP_DRY_RUN, 0, NULL, NULL), 0);
  ASSERT(tf_test_exists(h->path));
  close(ctl_w);
  ASSERT(until_unlocked(h->path)); /* the program has ended */
  snprintf(w, sizeof(w), "%s/w", h->path);
  ASSERT(tf_test_exists(w)); /* its write succeeded */
  ASSERT_EQ(tf_reap(".", 0, 0, NULL, NULL), 1);
  ASSERT(!tf_test_exists(h->path));
  munmap(h, sizeof(*h));
}

TEST(test_lifecycle_reap_takes_a_dir_whose_fd_closed_at_exec) {
  struct heir *h = tf_test_shared_alloc(sizeof(*h));
  int ctl_w;
  h->inherit = 0; /* the library's O_CLOEXEC: the program has no fd */
  start_heir(h, &ctl_w);
  ASSERT(!locked(h->path));
  ASSERT_EQ(tf_reap(".", 0, 0, NULL, NULL), 1);
  ASSERT(!tf_test_exists(h->path));
  close(ctl_w); /* (its write then fails, on stderr) */
  munmap(h, sizeof(*h));
}

/* ------------------------------------------------- scope-bound cleanup */

static int scoped_work(int fail_at, char *path_out) {
  TF_AUTO_FILE f = NULL;
  TF_AUTO_DIR d = NULL;
  TF_AUTO_SPOOL s = NULL;
  TF_AUTO_ATOMIC a = NULL;
  TF_AUTO_POOL p = NULL;
  ASSERT_OK(tf_file_create(&f, NULL));
  strcpy(path_out, tf_file_path(f));
  if (fail_at == 1)
    return -1;
  ASSERT_OK(tf_dir_create(&d, NULL));
  ASSERT_OK(tf_spool_create(&s, 16, NULL));
  ASSERT_EQ(tf_spool_write(s, "0123456789abcdefXYZ", 19), 19);
  tf_test_write_file("target", "old");
  ASSERT_OK(tf_atomic_begin(&a, "target", NULL));
  ASSERT_OK(tf_pool_create(&p, 2, NULL));
  ASSERT_GE(tf_pool_acquire(p), 0);
  if (fail_at == 2)
    goto out;
  ASSERT_OK(tf_atomic_write(a, "new", 3));
  ASSERT_OK(tf_atomic_commit(a));
out:
  return 0;
}

TEST(test_lifecycle_auto_handles_end_on_every_way_out) {
  char path[PATH_MAX];
  char buf[8] = {0};
  int fd;
  ASSERT_EQ(scoped_work(1, path), -1);
  ASSERT(!tf_test_exists(path));
  ASSERT_EQ(scoped_work(2, path), 0);
  assert_listing(".", "target\n");
  fd = open("target", O_RDONLY);
  CHECK_SYS(fd);
  CHECK_SYS(read(fd, buf, sizeof(buf) - 1));
  close(fd);
  ASSERT_STR_EQ(buf, "old"); /* not committed: aborted */
  ASSERT_EQ(scoped_work(0, path), 0);
  fd = open("target", O_RDONLY);
  CHECK_SYS(fd);
  CHECK_SYS(read(fd, buf, sizeof(buf) - 1));
  close(fd);
  ASSERT_STR_EQ(buf, "new");
  unlink("target");
}

static char kept_path[PATH_MAX];
static int kept_status;

/* arg is the buffer the reporter was registered with: kept_path. */
static void remember_kept(const char *path, int status, void *arg) {
  snprintf(arg, sizeof(kept_path), "%s", path);
  kept_status = status;
}

static int managed(int fail) {
  int status = 0;
  TF_AUTO_FILE_KEEP_ON_ERROR(f, status);
  TF_AUTO_DIR_KEEP_ON_ERROR(d, status);
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_dir_create(&d, NULL));
  if (fail)
    status = -EIO;
  return status;
}

TEST(test_lifecycle_keep_on_error_keeps_and_reports) {
  tf_set_kept_reporter(remember_kept, kept_path);
  ASSERT_EQ(managed(0), 0);
  ASSERT_EQ(tf_test_count_entries("."), 0);
  ASSERT_STR_EQ(kept_path, "");
  ASSERT_EQ(managed(1), -EIO);
  ASSERT_EQ(tf_test_count_entries("."), 2);
  ASSERT_EQ(kept_status, -EIO);
  ASSERT(tf_test_exists(kept_path));
  /* Kept objects are the caller's: no mark, never reaped. */
  ASSERT_EQ(tf_reap(".", 0, 0, NULL, NULL), 0);
  ASSERT_EQ(tf_test_recorded_pid(kept_path, NULL), -1);
  tf_set_kept_reporter(NULL, NULL);
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, tf_test_dir(), TF_CONTENTS_ONLY));
}

TEST(test_lifecycle_end_with_status_zero_is_free) {
  tf_file *f;
  tf_dir *d;
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_dir_create(&d, NULL));
  ASSERT_OK(tf_file_end(f, 0));
  ASSERT_OK(tf_dir_end(d, 0));
  ASSERT_EQ(tf_test_count_entries("."), 0);
  ASSERT_OK(tf_file_end(NULL, 1));
  ASSERT_OK(tf_dir_end(NULL, 1));
}

/* --------------------------------------------------------------- faults */

static int create_file_op(void *arg) {
  return tf_file_create((tf_file **)arg, NULL);
}

static void free_file(void *arg) { tf_file_free(*(tf_file **)arg); }

/* The ledger cannot be made (each of its calls fails, every time): the
 * object is made all the same, unmarked, and nothing is left. */
TEST(test_lifecycle_ledger_failures_never_fail_creation) {
  /* After the object's own openat: the home's, then the ledger's. */
  static const struct {
    int id;
    unsigned long nth;
  } calls[] = {{TF_SYS_openat, 2},    {TF_SYS_openat, 3},
               {TF_SYS_flock, 1},     {TF_SYS_fallocate, 1},
               {TF_SYS_mapfile, 1},   {TF_SYS_fstat, 1}};
  tf_opts o = TF_OPTS_INIT;
  tf_file *primer, *f;
  size_t i;
  o.flags = TF_UNTRACKED; /* holds the directory's anchor, cached first */
  ASSERT_OK(tf_file_create(&primer, &o));
  for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
    tf__fault_arm_sticky(calls[i].id, calls[i].nth, ENOSPC);
    ASSERT_OK(create_file_op(&f));
    ASSERT(tf__fault_fired());
    tf__fault_disarm();
    if (tf_test_recorded_pid(tf_file_path(f), NULL) != -1)
      FAIL("call %zu: the file is recorded", i);
    free_file(&f);
    tf_cleanup_all(); /* the next round tries to make a ledger again */
    ASSERT_EQ(tf_test_count_entries("."), 1);
  }
  free_file(&primer);
}
