/* SPDX-License-Identifier: MIT */
/*
 * test_cloexec.c - every fd the library opens is close-on-exec, so a
 * program that runs another (or a thread that does, at any moment) never
 * leaks one into it.  Two checks: after each call that hands out an fd or
 * keeps one for itself (the returned files, the anchors of the *at
 * forms, a tf_dir's fds, the spool's directory and file, lock fds, an
 * atomic replacement's directory and file, pool files), every fd that
 * was not open before the call has FD_CLOEXEC, by a walk of
 * /proc/self/fd; and every fd the library opens, even for the length of
 * one call (the temp-dir probe, the removal walk, tf_reap()), has it the
 * moment it is opened, through the system-call table.
 */
#include "harness.h"
#include "internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

/* ------------------------------------------------------ fds open now */

#define MAX_FDS 1024

struct fds {
  int n;
  int fd[MAX_FDS];
};

static void snapshot(struct fds *s) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int own;
  if (d == NULL)
    FAIL("/proc/self/fd: %s", strerror(errno));
  own = dirfd(d);
  s->n = 0;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == own)
      continue;
    if (s->n == MAX_FDS)
      FAIL("more than %d fds open", MAX_FDS);
    s->fd[s->n++] = atoi(e->d_name);
  }
  closedir(d);
}

static int listed(const struct fds *s, int fd) {
  int i;
  for (i = 0; i < s->n; i++)
    if (s->fd[i] == fd)
      return 1;
  return 0;
}

/* What fd is open on, for messages (static). */
static const char *fd_target(int fd) {
  static char target[PATH_MAX];
  char link[64];
  ssize_t n;
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  n = readlink(link, target, sizeof(target) - 1);
  target[n < 0 ? 0 : n] = '\0';
  return target;
}

/* Every fd open now that before does not list is close-on-exec, and
 * there are exactly want of them. */
static void check_new_fds(const struct fds *before, const char *what,
                          int want) {
  struct fds now;
  int i, fresh = 0;
  snapshot(&now);
  for (i = 0; i < now.n; i++) {
    int fd = now.fd[i], flags;
    if (listed(before, fd))
      continue;
    fresh++;
    flags = fcntl(fd, F_GETFD);
    if (flags < 0)
      FAIL("%s: F_GETFD on fd %d: %s", what, fd, strerror(errno));
    if (!(flags & FD_CLOEXEC))
      FAIL("%s: fd %d (%s) is not close-on-exec", what, fd, fd_target(fd));
  }
  if (fresh != want)
    FAIL("%s: %d new fds, expected %d", what, fresh, want);
}

/* Run expr, a library call that must succeed, and check the fds it
 * left open: want new ones, all close-on-exec. */
#define LEAVES(want, expr)                                                   \
  do {                                                                       \
    struct fds before_;                                                      \
    snapshot(&before_);                                                      \
    ASSERT_OK(expr);                                                         \
    check_new_fds(&before_, #expr, want);                                    \
  } while (0)

/* ------------------------------------------- fds as the library opens */

static int (*next_openat)(int dirfd, const char *path, int flags, mode_t mode);
static int (*next_dupfd)(int fd);
static int opened;          /* fds the library opened while watched */
static char first_bad[512]; /* the first that was not close-on-exec */

static void check_opened(int fd, const char *how, const char *path,
                         int flags) {
  int saved = errno, fdflags = fcntl(fd, F_GETFD);
  opened++;
  if (fdflags >= 0 && !(fdflags & FD_CLOEXEC) && first_bad[0] == '\0')
    snprintf(first_bad, sizeof(first_bad),
             "%s(\"%.400s\", flags 0%o) gave fd %d", how, path,
             (unsigned)flags, fd);
  errno = saved;
}

static int watched_openat(int dirfd, const char *path, int flags,
                          mode_t mode) {
  int fd = next_openat(dirfd, path, flags, mode);
  if (fd >= 0)
    check_opened(fd, "openat", path, flags);
  return fd;
}

static int watched_dupfd(int fd) {
  int copy = next_dupfd(fd);
  if (copy >= 0)
    check_opened(copy, "fcntl_dupfd", fd_target(fd), 0);
  return copy;
}

/* From now on every fd the library opens through its system-call table
 * is checked as it is opened (on top of the table in place, so an
 * emulated platform stays in force). */
static void watch(void) {
  next_openat = tf__sys.openat;
  next_dupfd = tf__sys.fcntl_dupfd;
  tf__sys.openat = watched_openat;
  tf__sys.fcntl_dupfd = watched_dupfd;
  opened = 0;
  first_bad[0] = '\0';
}

/* Stop watching; at least min fds were opened, all close-on-exec. */
static void unwatch(int min) {
  tf__sys.openat = next_openat;
  tf__sys.fcntl_dupfd = next_dupfd;
  if (first_bad[0] != '\0')
    FAIL("not close-on-exec when opened: %s", first_bad);
  if (opened < min)
    FAIL("the library opened %d fds, expected at least %d", opened, min);
}

static tf_opts flags_opts(unsigned flags) {
  tf_opts o = TF_OPTS_INIT;
  o.flags = flags;
  return o;
}

static int open_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(fd);
  return fd;
}

/* The directory "sub" the *at forms are anchored on, open. */
static int make_sub(void) {
  CHECK_SYS(mkdir("sub", 0700));
  return open_dir("sub");
}

/* Ends make_sub(): the real system calls back, "sub" (empty by now)
 * removed, and nothing else left in the test directory. */
static void remove_sub(int dirfd) {
  tf_test_restore_syscalls();
  close(dirfd);
  CHECK_SYS(rmdir("sub"));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

/* ------------------------------------------------ the creation calls */

TEST(test_cloexec_creation_calls) {
  char *path = NULL, *name = NULL;
  int fd, dirfd, p;
  dirfd = make_sub();
  watch();
  LEAVES(1, fd = tf_mkstemp(&path, NULL));
  close(fd);
  CHECK_SYS(unlink(path));
  tf_free(path);
  LEAVES(1, fd = tf_mkstempat(dirfd, &name, NULL));
  close(fd);
  CHECK_SYS(unlinkat(dirfd, name, 0));
  tf_free(name);
  LEAVES(1, fd = tf_mkstempat(AT_FDCWD, &name, NULL));
  close(fd);
  CHECK_SYS(unlink(name));
  tf_free(name);
  LEAVES(0, tf_mkdtemp(&path, NULL));
  CHECK_SYS(rmdir(path));
  tf_free(path);
  LEAVES(0, tf_mkdtempat(dirfd, &name, NULL));
  CHECK_SYS(unlinkat(dirfd, name, AT_REMOVEDIR));
  tf_free(name);
  LEAVES(0, tf_mktemp(&path, NULL));
  tf_free(path);
  for (p = UNNAMED; p <= NAMED; p++) {
    unwatch(1);
    tf_test_use_path((enum tf_test_path)p);
    watch();
    LEAVES(1, fd = tf_tmpfile(NULL));
    close(fd);
    LEAVES(1, fd = tf_tmpfileat(dirfd, NULL));
    close(fd);
    LEAVES(1, fd = tf_tmpfileat(AT_FDCWD, NULL));
    close(fd);
  }
  unwatch(1);
  remove_sub(dirfd);
}

/* ------------------------------------------------------------ handles */

/* The library keeps a directory's anchor and its liveness ledger for
 * later handles: made once here, so that each call below shows only the
 * fds it adds itself. */
static void prime_caches(void) {
  tf_file *f;
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_file_free(f));
}

TEST(test_cloexec_file_handles_in_every_mode) {
  const unsigned modes[] = {0, TF_DELETE_ON_FREE, TF_KEEP, TF_UNTRACKED};
  tf_file *f;
  FILE *stream;
  size_t i;
  int dirfd, how;
  dirfd = make_sub();
  prime_caches();
  watch();
  for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
    tf_opts o = flags_opts(modes[i]);
    for (how = 0; how < 3; how++) {
      /* The file's fd, and for the *at forms the anchor the handle
       * keeps (the path form shares the cached one). */
      if (how == 0)
        LEAVES(1, tf_file_create(&f, &o));
      else if (how == 1)
        LEAVES(2, tf_file_createat(&f, dirfd, &o));
      else
        LEAVES(2, tf_file_createat(&f, AT_FDCWD, &o));
      LEAVES(0, tf_file_stream(f, &stream));
      if (modes[i] == TF_DELETE_ON_FREE) /* the ledger keeps it live */
        LEAVES(0, tf_file_close(f));
      if (modes[i] == TF_KEEP) {
        LEAVES(0, tf_file_publish(f, "published", 0, 0));
        ASSERT_OK(tf_file_free(f));
        CHECK_SYS(unlink("published"));
      } else if (modes[i] == TF_UNTRACKED && how == 1) {
        CHECK_SYS(unlinkat(dirfd, tf_file_path(f), 0));
        ASSERT_OK(tf_file_free(f));
      } else {
        ASSERT_OK(tf_file_free(f));
      }
    }
  }
  unwatch(1);
  close(dirfd);
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "sub", 0));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

static void dir_handles(void *arg) {
  const unsigned modes[] = {0, TF_KEEP, TF_IGNORE_ERRORS, TF_UNTRACKED};
  tf_dir *d;
  size_t i;
  int dirfd, how;
  (void)arg;
  ASSERT_OK(tf_settempdir(NULL)); /* forget the parent's */
  dirfd = make_sub();
  prime_caches();
  watch();
  for (i = 0; i < sizeof(modes) / sizeof(modes[0]) + 1; i++) {
    /* The last round: a mode that denies the owner reading, so the
     * directory's fd is an O_PATH one (when not root). */
    tf_opts o = flags_opts(i < 4 ? modes[i] : 0);
    if (i == 4 && !TF_TEST_OPENS_UNREADABLE_DIRS && geteuid() != 0)
      break; /* no O_PATH nor O_SEARCH: such a directory has no fd */
    if (i == 4)
      o.mode = 0300;
    for (how = 0; how < 3; how++) {
      /* For the *at forms the parent's fd (the path form shares the
       * cached one); the directory's own is opened when asked for. */
      int held = tf_test_dir_fds_held(o.mode);
      if (how == 0)
        LEAVES(held, tf_dir_create(&d, &o));
      else if (how == 1)
        LEAVES(1 + held, tf_dir_createat(&d, dirfd, &o));
      else
        LEAVES(1 + held, tf_dir_createat(&d, AT_FDCWD, &o));
      LEAVES(1 - held, tf_dir_fd(d) < 0 ? -1 : 0); /* its own fd, now */
      tf_test_make_tree(tf_dir_fd(d), 2, 2, 2);
      /* A subdirectory its owner may not read: the walk opens it O_PATH
       * to grant itself access (when not root). */
      CHECK_SYS(mkdirat(tf_dir_fd(d), "d0/noread", 0700));
      CHECK_SYS(fchmodat(tf_dir_fd(d), "d0/noread", 0300, 0));
      LEAVES(0, tf_dir_cleanup(d));
      ASSERT_OK(tf_dir_free(d));
    }
  }
  unwatch(1);
  remove_sub(dirfd);
}

TEST(test_cloexec_dir_handles_in_every_mode) {
  dir_handles(NULL);
  ASSERT_EQ(tf_test_count_entries("."), 0);
  /* Unprivileged, the unreadable directory is held by an O_PATH fd. */
  ASSERT_EQ(tf_test_run_unprivileged_at_home(dir_handles, NULL), 0);
}

TEST(test_cloexec_spool_and_its_rollover) {
  static const char data[] = "0123456789abcdef";
  tf_spool *s;
  FILE *stream;
  int dirfd, p, how;
  dirfd = make_sub();
  for (p = UNNAMED; p <= NAMED; p++) {
    tf_test_use_path((enum tf_test_path)p);
    watch();
    for (how = 0; how < 3; how++) {
      /* A spool costs no fd until it rolls over; the *at form keeps a
       * duplicate of its directory from the start. */
      if (how == 0)
        LEAVES(0, tf_spool_create(&s, 8, NULL));
      else
        LEAVES(1, tf_spool_createat(&s, 8, dirfd, NULL));
      LEAVES(0, tf_spool_stream(s, &stream));
      LEAVES(0, tf_spool_write(s, data, 8));
      /* Each way of rolling over: explicitly, by a write, by a
       * truncation, by asking for the fd. */
      if (how == 0)
        LEAVES(1, tf_spool_rollover(s));
      else if (how == 1)
        LEAVES(1, tf_spool_write(s, data, sizeof(data)));
      else
        LEAVES(1, tf_spool_truncate(s, 100));
      LEAVES(0, tf_spool_fd(s));
      LEAVES(0, tf_spool_write(s, data, sizeof(data)));
      ASSERT_OK(tf_spool_free(s));
      ASSERT_OK(tf_spool_create(&s, 8, NULL));
      LEAVES(1, tf_spool_fd(s));
      ASSERT_OK(tf_spool_free(s));
    }
    unwatch(1);
  }
  remove_sub(dirfd);
}

TEST(test_cloexec_atomic_replacement) {
  const unsigned sync_flags[] = {0, TF_SYNC_NONE, TF_SYNC_DURABLE};
  struct fds before;
  tf_atomic *a;
  FILE *stream;
  size_t i;
  int dirfd, p, how;
  dirfd = make_sub();
  for (p = UNNAMED; p <= NAMED; p++) {
    tf_test_use_path((enum tf_test_path)p);
    watch();
    for (i = 0; i < sizeof(sync_flags) / sizeof(sync_flags[0]); i++) {
      tf_opts o = flags_opts(sync_flags[i]);
      for (how = 0; how < 4; how++) {
        snapshot(&before);
        /* The directory's fd and the new file's, target there or not. */
        if (how == 0)
          LEAVES(2, tf_atomic_begin(&a, "sub/target", &o));
        else if (how == 1)
          LEAVES(2, tf_atomic_beginat(&a, dirfd, "target", &o));
        else if (how == 2)
          LEAVES(2, tf_atomic_beginat(&a, AT_FDCWD, "target", &o));
        else
          LEAVES(2, tf_atomic_begin(&a, "new-each-time", &o));
        LEAVES(0, tf_atomic_stream(a, &stream));
        ASSERT_OK(tf_atomic_write(a, "new", 3));
        ASSERT_OK(tf_atomic_commit(a));
        ASSERT_OK(tf_atomic_free(a));
        check_new_fds(&before, "a whole replacement", 0);
        if (how == 3)
          CHECK_SYS(unlink("new-each-time"));
      }
    }
    /* Aborted rather than committed; the one-call forms. */
    LEAVES(2, tf_atomic_begin(&a, "sub/target", NULL));
    ASSERT_OK(tf_atomic_abort(a));
    ASSERT_OK(tf_atomic_free(a));
    LEAVES(0, tf_write_file("sub/target", "x", 1, NULL));
    LEAVES(0, tf_write_fileat(dirfd, "target", "x", 1, NULL));
    unwatch(1);
  }
  CHECK_SYS(unlink("target"));
  CHECK_SYS(unlink("sub/target"));
  remove_sub(dirfd);
}

TEST(test_cloexec_pool_files) {
  tf_pool *pool;
  tf_opts o = TF_OPTS_INIT;
  int fds[3], i, p, named;
  for (named = 0; named <= 1; named++) {
    o.flags = named ? TF_POOL_NAMED : 0;
    for (p = UNNAMED; p <= NAMED; p++) {
      tf_test_use_path((enum tf_test_path)p);
      prime_caches();
      watch();
      LEAVES(0, tf_pool_create(&pool, 2, &o));
      /* A new file each (a named one's handle shares the cached anchor). */
      for (i = 0; i < 3; i++)
        LEAVES(1, fds[i] = tf_pool_acquire(pool));
      for (i = 0; i < 3; i++)
        LEAVES(0, tf_pool_release(pool, fds[i]));
      /* An idle one again: nothing new is opened. */
      LEAVES(0, fds[0] = tf_pool_acquire(pool));
      ASSERT_OK(tf_pool_release(pool, fds[0]));
      ASSERT_OK(tf_pool_free(pool));
      unwatch(1);
    }
  }
  tf_test_restore_syscalls();
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

/* ---------------------------------- cleanup, reaping, discovery, walks */

TEST(test_cloexec_lifecycle_reap_rmtree_and_discovery) {
  char dir[PATH_MAX];
  tf_file *f;
  tf_dir *d;
  pid_t pid;
  int status, dirfd, reaped;
  prime_caches();
  watch();
  /* Registration for cleanup keeps no fd of its own. */
  LEAVES(0, tf_cleanup_on_signals(NULL, 0));
  LEAVES(1, tf_file_create(&f, NULL));
  LEAVES(tf_test_dir_fds_held(0), tf_dir_create(&d, NULL));
  tf_test_make_tree(tf_dir_fd(d), 3, 2, 2);
  LEAVES(0, tf_cleanup_all());
  ASSERT_EQ(tf_test_count_entries("."), 0);
  ASSERT_OK(tf_file_free(f));
  ASSERT_OK(tf_dir_free(d));
  unwatch(1);

  /* A dead process's leftovers for tf_reap(): a file, and a directory
   * with a tree. */
  CHECK_SYS(mkdir("reap", 0700));
  fflush(NULL);
  pid = fork();
  CHECK_SYS(pid);
  if (pid == 0) {
    tf_opts o = TF_OPTS_INIT;
    o.dir = "reap";
    if (tf_file_create(&f, &o) < 0 || tf_dir_create(&d, &o) < 0)
      _exit(1);
    tf_test_make_tree(tf_dir_fd(d), 2, 2, 2);
    _exit(0); /* no exit cleanup */
  }
  CHECK_SYS(waitpid(pid, &status, 0));
  ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  watch();
  dirfd = open_dir("reap");
  LEAVES(0, reaped = tf_reapat(dirfd, TF_REAP_DRY_RUN, 0, NULL, NULL));
  ASSERT_EQ(reaped, 2);
  close(dirfd);
  LEAVES(0, reaped = tf_reap("reap", 0, 0, NULL, NULL));
  ASSERT_EQ(reaped, 2);
  LEAVES(0, tf_rmtreeat(AT_FDCWD, "reap", 0));
  unwatch(2);

  /* The removal walk and the temp-dir probe. */
  CHECK_SYS(mkdir("tree", 0700));
  dirfd = open_dir("tree");
  tf_test_make_tree(dirfd, 4, 2, 2);
  close(dirfd);
  watch();
  LEAVES(0, tf_rmtreeat(AT_FDCWD, "tree", 0));
  unwatch(16);
  ASSERT_OK(tf_settempdir(NULL));
  watch();
  LEAVES(0, tf_gettempdir(dir, sizeof(dir)));
  unwatch(1);
  ASSERT_EQ(tf_test_count_entries("."), 0);
}
