/* SPDX-License-Identifier: MIT */
/*
 * test_pool.c - pools of temporary files: an acquired file is empty and
 * at offset 0 whatever its last user did, the same file comes back, the
 * capacity bounds the idle files, named files live exactly as long as the
 * pool holds them, tf_pool_free() ends acquired files too, bad arguments
 * and foreign fds are refused, every failing system call leaves nothing,
 * threads never share a file, a forked child only closes fds, and
 * TF_AUTO_POOL ends the pool with its scope.
 */
#include "harness.h"
#include "fault.h"

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

/* Open fds of the process, not counting the listing's own. */
static int count_fds(void) {
  DIR *d;
  struct dirent *e;
  int n = 0;
  tf__caches_release(); /* not the library's own, kept for later files */
  d = opendir("/proc/self/fd");
  if (d == NULL)
    FAIL("opendir /proc/self/fd: %s", strerror(errno));
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n - 1;
}

static off_t size_of(int fd) {
  struct stat st;
  CHECK_SYS(fstat(fd, &st));
  return st.st_size;
}

static off_t offset_of(int fd) { return lseek(fd, 0, SEEK_CUR); }

static ino_t inode_of(int fd) {
  struct stat st;
  CHECK_SYS(fstat(fd, &st));
  return st.st_ino;
}

static void write_text(int fd, const char *text) {
  ASSERT_EQ(write(fd, text, strlen(text)), (long)strlen(text));
}

static tf_opts named_opts(void) {
  tf_opts o = TF_OPTS_INIT;
  o.flags = TF_POOL_NAMED;
  return o;
}

/* ------------------------------------------------------------ the cycle */

TEST(test_pool_acquired_file_is_empty_at_offset_zero_after_reuse) {
  tf_pool *p = NULL;
  int fd, again;
  ASSERT_OK(tf_pool_create(&p, 2, NULL));
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  ASSERT_EQ(size_of(fd), 0);
  ASSERT_EQ(offset_of(fd), 0);
  ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  write_text(fd, "scratch data that must not survive");
  ASSERT_EQ(lseek(fd, 7, SEEK_SET), 7);
  ASSERT_OK(tf_pool_release(p, fd));
  again = tf_pool_acquire(p);
  ASSERT_EQ(again, fd);
  ASSERT_EQ(size_of(again), 0);
  ASSERT_EQ(offset_of(again), 0);
  ASSERT_OK(tf_pool_release(p, again));
  ASSERT_OK(tf_pool_free(p));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

TEST(test_pool_gives_back_the_same_file) {
  tf_pool *p = NULL;
  int fd;
  ino_t ino;
  ASSERT_OK(tf_pool_create(&p, 1, NULL));
  ASSERT_EQ(tf_pool_idle(p), 0);
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  ino = inode_of(fd);
  ASSERT_OK(tf_pool_release(p, fd));
  ASSERT_EQ(tf_pool_idle(p), 1);
  fd = tf_pool_acquire(p);
  ASSERT_EQ(tf_pool_idle(p), 0);
  ASSERT_EQ(inode_of(fd), ino);
  ASSERT_OK(tf_pool_release(p, fd));
  ASSERT_OK(tf_pool_free(p));
}

TEST(test_pool_unnamed_files_are_0600_and_have_no_name) {
  tf_pool *p = NULL;
  struct stat st;
  int fd;
  ASSERT_OK(tf_pool_create(&p, 1, NULL));
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  CHECK_SYS(fstat(fd, &st));
  ASSERT_MODE(st.st_mode & 07777, 0600);
  ASSERT_EQ(st.st_nlink, 0);
  ASSERT_EQ(tf_test_count_entries("."), 0);
  ASSERT(tf_pool_path(p, fd) == NULL);
  ASSERT_OK(tf_pool_release(p, fd));
  ASSERT_OK(tf_pool_free(p));
}

TEST(test_pool_keeps_at_most_capacity_idle_files) {
  tf_pool *p = NULL;
  int fds[4], base = count_fds(), i;
  ASSERT_OK(tf_pool_create(&p, 2, NULL));
  for (i = 0; i < 4; i++) {
    fds[i] = tf_pool_acquire(p);
    ASSERT_OK(fds[i]);
  }
  ASSERT_EQ(count_fds(), base + 4);
  for (i = 0; i < 4; i++)
    ASSERT_OK(tf_pool_release(p, fds[i]));
  ASSERT_EQ(tf_pool_idle(p), 2);
  ASSERT_EQ(count_fds(), base + 2); /* the two released last were closed */
  ASSERT_EQ(fcntl(fds[0], F_GETFD) >= 0, 1);
  ASSERT_EQ(fcntl(fds[1], F_GETFD) >= 0, 1);
  ASSERT_OK(tf_pool_free(p));
  ASSERT_EQ(count_fds(), base);
}

TEST(test_pool_hands_out_the_idle_files_before_making_new_ones) {
  tf_pool *p = NULL;
  int a, b, base = count_fds();
  ASSERT_OK(tf_pool_create(&p, 4, NULL));
  a = tf_pool_acquire(p);
  b = tf_pool_acquire(p);
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK(tf_pool_release(p, a));
  ASSERT_OK(tf_pool_release(p, b));
  ASSERT_EQ(tf_pool_acquire(p), b); /* the one released last */
  ASSERT_EQ(tf_pool_acquire(p), a);
  ASSERT_EQ(count_fds(), base + 2);
  ASSERT_OK(tf_pool_free(p)); /* both still acquired */
  ASSERT_EQ(count_fds(), base);
}

TEST(test_pool_free_ends_acquired_and_idle_files) {
  tf_pool *p = NULL;
  int i, base = count_fds();
  ASSERT_OK(tf_pool_create(&p, 8, NULL));
  for (i = 0; i < 5; i++)
    ASSERT_OK(tf_pool_acquire(p));
  ASSERT_OK(tf_pool_release(p, tf_pool_acquire(p)));
  ASSERT_EQ(tf_pool_idle(p), 1);
  ASSERT_EQ(count_fds(), base + 6);
  ASSERT_OK(tf_pool_free(p));
  ASSERT_EQ(count_fds(), base);
}

TEST(test_pool_grows_past_many_fds) {
  tf_pool *p = NULL;
  enum { FILES = 300 };
  int fds[FILES], i, base = count_fds();
  ASSERT_OK(tf_pool_create(&p, FILES, NULL));
  for (i = 0; i < FILES; i++) {
    fds[i] = tf_pool_acquire(p);
    ASSERT_OK(fds[i]);
  }
  for (i = 0; i < FILES; i++)
    ASSERT_OK(tf_pool_release(p, fds[i]));
  ASSERT_EQ(tf_pool_idle(p), FILES);
  for (i = 0; i < FILES; i++)
    ASSERT_OK(tf_pool_acquire(p));
  ASSERT_EQ(count_fds(), base + FILES);
  ASSERT_OK(tf_pool_free(p));
  ASSERT_EQ(count_fds(), base);
}

/* ------------------------------------------------------------- options */

TEST(test_pool_honours_dir_and_mode) {
  tf_opts o = TF_OPTS_INIT;
  tf_pool *p = NULL;
  char link[64], target[PATH_MAX], want[PATH_MAX];
  struct stat st;
  ssize_t len;
  int fd;
  umask(022);
  CHECK_SYS(mkdir("sub", 0700));
  o.dir = "sub";
  o.mode = 0640;
  ASSERT_OK(tf_pool_create(&p, 1, &o));
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  CHECK_SYS(fstat(fd, &st));
  ASSERT_MODE(st.st_mode & 07777, 0640);
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  len = readlink(link, target, sizeof(target) - 1);
  ASSERT_GT(len, 0);
  target[len] = '\0';
  snprintf(want, sizeof(want), "%s/sub/", tf_test_dir());
  ASSERT_EQ(strncmp(target, want, strlen(want)), 0);
  ASSERT_OK(tf_pool_release(p, fd));
  ASSERT_OK(tf_pool_free(p));
  ASSERT_EQ(tf_test_count_entries("sub"), 0);
  CHECK_SYS(rmdir("sub"));
}

TEST(test_pool_copies_the_callers_strings) {
  tf_opts o = named_opts();
  tf_pool *p = NULL;
  char dir[32] = "sub", prefix[32] = "job-", suffix[32] = ".dat";
  const char *path, *base;
  int fd;
  CHECK_SYS(mkdir("sub", 0700));
  o.dir = dir;
  o.prefix = prefix;
  o.suffix = suffix;
  o.random_len = 6;
  ASSERT_OK(tf_pool_create(&p, 1, &o));
  memset(dir, 'x', sizeof(dir) - 1);
  memset(prefix, 'y', sizeof(prefix) - 1);
  memset(suffix, 'z', sizeof(suffix) - 1);
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  path = tf_pool_path(p, fd);
  ASSERT(path != NULL);
  ASSERT_EQ(path[0], '/');
  base = strrchr(path, '/') + 1;
  ASSERT_EQ(strncmp(path, tf_test_dir(), strlen(tf_test_dir())), 0);
  ASSERT_EQ(strncmp(base - 5, "/sub/", 5), 0);
  ASSERT_EQ(strlen(base), strlen("job-") + 6 + strlen(".dat"));
  ASSERT_EQ(strncmp(base, "job-", 4), 0);
  ASSERT_STR_EQ(base + 10, ".dat");
  ASSERT_OK(tf_pool_free(p));
  ASSERT_EQ(tf_test_count_entries("sub"), 0);
  CHECK_SYS(rmdir("sub"));
}

TEST(test_pool_rejects_bad_arguments_before_any_effect) {
  tf_opts o = TF_OPTS_INIT;
  tf_pool *p = (tf_pool *)&o, *sentinel = (tf_pool *)&o;
  int base = count_fds();
  ASSERT_ERR(tf_pool_create(NULL, 1, NULL), -EINVAL);
  ASSERT_ERR(tf_pool_create(&p, 0, NULL), -EINVAL);
  o.flags = TF_KEEP;
  ASSERT_ERR(tf_pool_create(&p, 1, &o), -EINVAL);
  o.flags = TF_POOL_NAMED | TF_DELETE_ON_FREE;
  ASSERT_ERR(tf_pool_create(&p, 1, &o), -EINVAL);
  o.flags = 0;
  o.open_flags = O_APPEND;
  ASSERT_ERR(tf_pool_create(&p, 1, &o), -EINVAL);
  o.open_flags = O_TRUNC;
  ASSERT_ERR(tf_pool_create(&p, 1, &o), -EINVAL);
  o.open_flags = 0;
  o.prefix = "a/b";
  ASSERT_ERR(tf_pool_create(&p, 1, &o), -EINVAL);
  o.prefix = NULL;
  o.random_len = TF_RANDOM_LEN_MAX + 1;
  ASSERT_ERR(tf_pool_create(&p, 1, &o), -EINVAL);
  o.random_len = 0;
  o.dir = "";
  ASSERT_ERR(tf_pool_create(&p, 1, &o), -EINVAL);
  o.dir = NULL;
  o.mode = 010000;
  ASSERT_ERR(tf_pool_create(&p, 1, &o), -EINVAL);
  ASSERT(p == sentinel);
  ASSERT_ERR(tf_pool_acquire(NULL), -EINVAL);
  ASSERT_ERR(tf_pool_release(NULL, 0), -EINVAL);
  ASSERT(tf_pool_path(NULL, 0) == NULL);
  ASSERT_EQ(tf_pool_idle(NULL), 0);
  ASSERT_OK(tf_pool_free(NULL));
  tf_pool_freep(NULL);
  p = NULL;
  tf_pool_freep(&p);
  ASSERT_EQ(count_fds(), base);
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

TEST(test_pool_refuses_an_fd_it_did_not_hand_out) {
  tf_pool *p = NULL, *other = NULL;
  int mine, theirs, foreign = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(foreign);
  ASSERT_OK(tf_pool_create(&p, 2, NULL));
  ASSERT_OK(tf_pool_create(&other, 2, NULL));
  ASSERT_ERR(tf_pool_release(p, foreign), -EINVAL);
  ASSERT_ERR(tf_pool_release(p, -1), -EINVAL);
  ASSERT_ERR(tf_pool_release(p, 1 << 20), -EINVAL);
  ASSERT_GE(fcntl(foreign, F_GETFD), 0); /* left open */
  theirs = tf_pool_acquire(other);
  ASSERT_OK(theirs);
  ASSERT_ERR(tf_pool_release(p, theirs), -EINVAL);
  ASSERT_GE(fcntl(theirs, F_GETFD), 0);
  mine = tf_pool_acquire(p);
  ASSERT_OK(mine);
  ASSERT_OK(tf_pool_release(p, mine));
  ASSERT_ERR(tf_pool_release(p, mine), -EINVAL); /* idle now */
  ASSERT_EQ(tf_pool_idle(p), 1);
  ASSERT_OK(tf_pool_release(other, theirs));
  ASSERT_OK(tf_pool_free(p));
  ASSERT_OK(tf_pool_free(other));
  ASSERT_GE(fcntl(foreign, F_GETFD), 0);
  close(foreign);
}

/* --------------------------------------------------------------- named */

TEST(test_pool_named_files_exist_while_held_and_go_with_the_pool) {
  tf_opts o = named_opts();
  tf_pool *p = NULL;
  char first[PATH_MAX], second[PATH_MAX];
  int a, b;
  ASSERT_OK(tf_pool_create(&p, 1, &o));
  a = tf_pool_acquire(p);
  b = tf_pool_acquire(p);
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT(tf_pool_path(p, a) != NULL && tf_pool_path(p, b) != NULL);
  snprintf(first, sizeof(first), "%s", tf_pool_path(p, a));
  snprintf(second, sizeof(second), "%s", tf_pool_path(p, b));
  ASSERT_EQ(first[0], '/');
  ASSERT(strcmp(first, second) != 0);
  ASSERT(tf_test_exists(first) && tf_test_exists(second));
  write_text(a, "abc");
  ASSERT_OK(tf_pool_release(p, a));
  ASSERT(tf_pool_path(p, a) == NULL); /* not in use */
  ASSERT(tf_test_exists(first));      /* idle, kept */
  ASSERT_OK(tf_pool_release(p, b));   /* beyond capacity: ended */
  ASSERT(!tf_test_exists(second));
  ASSERT_EQ(tf_pool_acquire(p), a);
  ASSERT_STR_EQ(tf_pool_path(p, a), first);
  ASSERT_EQ(size_of(a), 0);
  ASSERT_OK(tf_pool_free(p)); /* a still acquired */
  ASSERT(!tf_test_exists(first));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

TEST(test_pool_named_untracked_files_are_made_and_removed) {
  tf_opts o = named_opts();
  tf_pool *p = NULL;
  char path[PATH_MAX];
  int fd;
  o.flags |= TF_UNTRACKED;
  ASSERT_OK(tf_pool_create(&p, 1, &o));
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  snprintf(path, sizeof(path), "%s", tf_pool_path(p, fd));
  ASSERT(tf_test_exists(path));
  ASSERT_OK(tf_pool_free(p));
  ASSERT(!tf_test_exists(path));
}

TEST(test_pool_unnamed_accepts_untracked) {
  tf_opts o = TF_OPTS_INIT;
  tf_pool *p = NULL;
  o.flags = TF_UNTRACKED;
  ASSERT_OK(tf_pool_create(&p, 1, &o));
  ASSERT_OK(tf_pool_release(p, tf_pool_acquire(p)));
  ASSERT_OK(tf_pool_free(p));
}

TEST(test_pool_unnamed_works_without_o_tmpfile) {
  tf_pool *p = NULL;
  int fd, base = count_fds();
  tf_test_without_o_tmpfile();
  ASSERT_OK(tf_pool_create(&p, 1, NULL));
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  ASSERT_EQ(tf_test_count_entries("."), 0);
  write_text(fd, "x");
  ASSERT_OK(tf_pool_release(p, fd));
  ASSERT_OK(tf_pool_free(p));
  tf_test_restore_syscalls();
  ASSERT_EQ(count_fds(), base);
}

/* ------------------------------------------------------------- failures */

/* A file that could not be emptied is never handed out again. */
static void check_failed_emptying_ends_the_file(int sys_id) {
  tf_pool *p = NULL;
  int fd, base = count_fds();
  ASSERT_OK(tf_pool_create(&p, 4, NULL));
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  write_text(fd, "data");
  tf__fault_arm(sys_id, 1, EIO);
  ASSERT_ERR(tf_pool_release(p, fd), -EIO);
  ASSERT(tf__fault_fired());
  tf__fault_disarm();
  ASSERT_EQ(tf_pool_idle(p), 0);
  ASSERT_EQ(count_fds(), base);
  ASSERT_ERR(tf_pool_release(p, fd), -EINVAL);
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  ASSERT_EQ(size_of(fd), 0);
  ASSERT_OK(tf_pool_free(p));
}

TEST(test_pool_failed_truncation_ends_the_file) {
  check_failed_emptying_ends_the_file(TF_SYS_ftruncate);
}

TEST(test_pool_failed_seek_ends_the_file) {
  check_failed_emptying_ends_the_file(TF_SYS_lseek);
}

TEST(test_pool_failed_named_truncation_removes_the_file) {
  tf_opts o = named_opts();
  tf_pool *p = NULL;
  char path[PATH_MAX];
  int fd;
  ASSERT_OK(tf_pool_create(&p, 4, &o));
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  snprintf(path, sizeof(path), "%s", tf_pool_path(p, fd));
  tf__fault_arm(TF_SYS_ftruncate, 1, ENOSPC);
  ASSERT_ERR(tf_pool_release(p, fd), -ENOSPC);
  tf__fault_disarm();
  ASSERT(!tf_test_exists(path));
  ASSERT_OK(tf_pool_free(p));
}

static const int sweep_errnos[] = {EIO, ENOMEM, ENOSPC, EACCES, EMFILE,
                                   EINTR};

/* One pool's whole life: create, a first file made, written, released
 * and taken again from the idle list, a second made, both released (the
 * second beyond capacity, so ended), then the pool freed.  Returns the
 * first error; whatever fails, everything made is ended. */
static int op_pool_life(void *ctx) {
  const tf_opts *o = ctx;
  tf_pool *p = NULL;
  int a, b, rc, rc_free;
  rc = tf_pool_create(&p, 1, o);
  if (rc < 0)
    return rc;
  a = tf_pool_acquire(p);
  rc = a;
  if (a >= 0) {
    if (write(a, "data", 4) != 4)
      FAIL("write: %s", strerror(errno));
    rc = tf_pool_release(p, a);
  }
  if (rc >= 0) {
    a = tf_pool_acquire(p);
    b = a >= 0 ? tf_pool_acquire(p) : a;
    rc = b < 0 ? b : tf_pool_release(p, a);
    if (rc >= 0)
      rc = tf_pool_release(p, b);
  }
  rc_free = tf_pool_free(p);
  return rc < 0 ? rc : rc_free;
}

static void sweep_pool_life(const char *what, const tf_opts *o) {
  char dir[PATH_MAX];
  size_t i;
  ASSERT_OK(tf_gettempdir(dir, sizeof(dir))); /* discovery: cached first */
  for (i = 0; i < sizeof(sweep_errnos) / sizeof(sweep_errnos[0]); i++)
    ASSERT_GE(tf_test_fault_sweep(what, op_pool_life, NULL, (void *)o,
                                  sweep_errnos[i]),
              7);
}

TEST_TIMEOUT(test_pool_faults_leave_nothing_unnamed, 60) {
  sweep_pool_life("unnamed pool", NULL);
}

TEST_TIMEOUT(test_pool_faults_leave_nothing_named, 60) {
  tf_opts o = named_opts();
  sweep_pool_life("named pool", &o);
}

TEST_TIMEOUT(test_pool_faults_leave_nothing_without_o_tmpfile, 60) {
  tf_test_without_o_tmpfile();
  sweep_pool_life("unnamed pool, fallback", NULL);
  tf_test_restore_syscalls();
}

/* ------------------------------------------------------------- threads */

#define POOL_THREADS 4
#define POOL_CYCLES 3000

struct worker {
  tf_pool *pool;
  int id;
  int failures;
};

/* Each cycle writes a line only this thread and cycle make, then reads
 * the whole file back: another thread holding the same file at the same
 * time would have emptied or extended it. */
static void *pool_worker(void *arg) {
  struct worker *w = arg;
  char line[64], back[128];
  int i;
  for (i = 0; i < POOL_CYCLES; i++) {
    int len = snprintf(line, sizeof(line), "thread %d cycle %d\n", w->id, i);
    int fd = tf_pool_acquire(w->pool);
    if (fd < 0) {
      w->failures++;
      continue;
    }
    if (size_of(fd) != 0 || offset_of(fd) != 0)
      w->failures++;
    if (write(fd, line, (size_t)len) != len)
      w->failures++;
    sched_yield(); /* let another thread try to take it */
    if (pread(fd, back, sizeof(back), 0) != len ||
        memcmp(back, line, (size_t)len) != 0)
      w->failures++;
    if (tf_pool_release(w->pool, fd) != 0)
      w->failures++;
  }
  return NULL;
}

static void run_pool_threads(const tf_opts *o) {
  pthread_t threads[POOL_THREADS];
  struct worker workers[POOL_THREADS];
  tf_pool *p = NULL;
  int i, base = count_fds();
  /* Fewer idle places than threads: files are made and ended too. */
  ASSERT_OK(tf_pool_create(&p, 2, o));
  for (i = 0; i < POOL_THREADS; i++) {
    workers[i].pool = p;
    workers[i].id = i;
    workers[i].failures = 0;
    ASSERT_EQ(pthread_create(&threads[i], NULL, pool_worker, &workers[i]), 0);
  }
  for (i = 0; i < POOL_THREADS; i++) {
    ASSERT_EQ(pthread_join(threads[i], NULL), 0);
    ASSERT_EQ(workers[i].failures, 0);
  }
  ASSERT_LE(tf_pool_idle(p), 2);
  ASSERT_OK(tf_pool_free(p));
  ASSERT_EQ(count_fds(), base);
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

TEST_TIMEOUT(test_pool_threads_never_share_a_file, 60) {
  run_pool_threads(NULL);
}

TEST_TIMEOUT(test_pool_threads_never_share_a_named_file, 60) {
  tf_opts o = named_opts();
  run_pool_threads(&o);
}

/* ---------------------------------------------------------- fork, scope */

TEST(test_pool_child_that_frees_only_closes_fds) {
  tf_opts o = named_opts();
  tf_pool *p = NULL;
  char held[PATH_MAX], idle[PATH_MAX];
  int a, b, status;
  pid_t pid;
  ASSERT_OK(tf_pool_create(&p, 2, &o));
  a = tf_pool_acquire(p);
  b = tf_pool_acquire(p);
  ASSERT_OK(a);
  ASSERT_OK(b);
  snprintf(held, sizeof(held), "%s", tf_pool_path(p, a));
  snprintf(idle, sizeof(idle), "%s", tf_pool_path(p, b));
  ASSERT_OK(tf_pool_release(p, b));
  pid = fork();
  CHECK_SYS(pid);
  if (pid == 0)
    _exit(tf_pool_free(p) == 0 ? 0 : 1);
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT(tf_test_exists(held) && tf_test_exists(idle));
  write_text(a, "still mine");
  ASSERT_OK(tf_pool_free(p));
  ASSERT(!tf_test_exists(held) && !tf_test_exists(idle));
}

/* Returns with files acquired and idle: the scope's end frees them. */
static int use_auto_pool(char *path, size_t size) {
  tf_opts o = named_opts();
  TF_AUTO_POOL p = NULL;
  int a, b;
  if (tf_pool_create(&p, 4, &o) < 0)
    return -1;
  a = tf_pool_acquire(p);
  b = tf_pool_acquire(p);
  if (a < 0 || b < 0 || tf_pool_release(p, b) < 0)
    return -1;
  snprintf(path, size, "%s", tf_pool_path(p, a));
  return tf_test_exists(path) ? 0 : -1;
}

TEST(test_pool_auto_pool_leaves_nothing_when_the_scope_returns) {
  char path[PATH_MAX];
  int base = count_fds();
  ASSERT_EQ(use_auto_pool(path, sizeof(path)), 0);
  ASSERT(!tf_test_exists(path));
  ASSERT_EQ(tf_test_count_entries("."), 0);
  ASSERT_EQ(count_fds(), base);
}
