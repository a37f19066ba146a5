/* SPDX-License-Identifier: MIT */
/*
 * test_win_pool.c - tf_pool on Windows (the POSIX tests/test_pool.c):
 * an acquired file is empty at offset 0 whatever was done with it
 * before, idle files are reused (the one released last first) up to the
 * capacity and the rest ended, named pools' files exist while held and
 * go with the pool, bad input and foreign fds are refused, a file that
 * cannot be emptied is never handed out again, and threads never get the
 * same file.
 */
#include "win/win.h"

#include "harness_win.h"
#include "checks_win.h"
#include "sysfault_win.h"

#include <sys/stat.h>

/* ---- helpers */

static int64_t size_of(int fd) {
  LARGE_INTEGER n;
  ASSERT(GetFileSizeEx((HANDLE)_get_osfhandle(fd), &n));
  return n.QuadPart;
}

static int64_t offset_of(int fd) { return _lseeki64(fd, 0, SEEK_CUR); }

/* The file's identity on its volume (POSIX: the inode). */
static uint64_t id_of(int fd) {
  BY_HANDLE_FILE_INFORMATION info;
  ASSERT(GetFileInformationByHandle((HANDLE)_get_osfhandle(fd), &info));
  return ((uint64_t)info.nFileIndexHigh << 32) | info.nFileIndexLow;
}

static void write_text(int fd, const char *text) {
  ASSERT_EQ(_write(fd, text, (unsigned)strlen(text)), strlen(text));
}

static int fd_open(int fd) {
  return (HANDLE)_get_osfhandle(fd) != INVALID_HANDLE_VALUE;
}

/* A measure of the handles held that grows with each one opened: their
 * count, or where Wine keeps none, the value the next handle gets (free
 * slots are given lowest first). */
static uintptr_t handle_mark(void) {
  HANDLE h;
  if (tw_handle_count() != 0)
    return tw_handle_count();
  h = CreateEventW(NULL, FALSE, FALSE, NULL);
  ASSERT(h != NULL);
  CloseHandle(h);
  return (uintptr_t)h;
}

static tf_opts named_opts(void) {
  tf_opts o = TF_OPTS_INIT;
  o.flags = TF_POOL_NAMED;
  return o;
}

/* ---- reuse */

TEST(win_pool_acquired_file_is_empty_at_offset_zero_after_reuse) {
  tf_pool *p = NULL;
  int fd, again;
  ASSERT_OK(tf_pool_create(&p, 2, NULL));
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  ASSERT_EQ(size_of(fd), 0);
  ASSERT_EQ(offset_of(fd), 0);
  ASSERT(!twc_inheritable(fd));
  write_text(fd, "scratch data that must not survive");
  ASSERT_EQ(_lseeki64(fd, 7, SEEK_SET), 7);
  ASSERT_OK(tf_pool_release(p, fd));
  again = tf_pool_acquire(p);
  ASSERT_EQ(again, fd);
  ASSERT_EQ(size_of(again), 0);
  ASSERT_EQ(offset_of(again), 0);
  write_text(again, "ab"); /* an empty file again: no old bytes show */
  ASSERT_EQ(size_of(again), 2);
  ASSERT_OK(tf_pool_release(p, again));
  ASSERT_OK(tf_pool_free(p));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

TEST(win_pool_gives_back_the_same_file) {
  tf_pool *p = NULL;
  int fd;
  uint64_t id;
  ASSERT_OK(tf_pool_create(&p, 1, NULL));
  ASSERT_EQ(tf_pool_idle(p), 0);
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  id = id_of(fd);
  ASSERT_OK(tf_pool_release(p, fd));
  ASSERT_EQ(tf_pool_idle(p), 1);
  fd = tf_pool_acquire(p);
  ASSERT_EQ(tf_pool_idle(p), 0);
  ASSERT(id_of(fd) == id);
  ASSERT_OK(tf_pool_release(p, fd));
  ASSERT_OK(tf_pool_free(p));
}

TEST(win_pool_unnamed_files_have_no_path_and_leave_nothing) {
  tf_pool *p = NULL;
  int fd;
  ASSERT_OK(tf_pool_create(&p, 1, NULL));
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  ASSERT(tf_pool_path(p, fd) == NULL);
  write_text(fd, "x");
  ASSERT_OK(tf_pool_release(p, fd));
  ASSERT_OK(tf_pool_free(p));
  ASSERT(!fd_open(fd));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

TEST(win_pool_keeps_at_most_capacity_idle_files) {
  tf_pool *p = NULL;
  int fds[4], i;
  uintptr_t base = handle_mark();
  ASSERT_OK(tf_pool_create(&p, 2, NULL));
  for (i = 0; i < 4; i++) {
    fds[i] = tf_pool_acquire(p);
    ASSERT_OK(fds[i]);
  }
  for (i = 0; i < 4; i++)
    ASSERT_OK(tf_pool_release(p, fds[i]));
  ASSERT_EQ(tf_pool_idle(p), 2);
  ASSERT(fd_open(fds[0]) && fd_open(fds[1]));
  ASSERT(!fd_open(fds[2]) && !fd_open(fds[3])); /* released last: ended */
  ASSERT_OK(tf_pool_free(p));
  ASSERT(!fd_open(fds[0]) && !fd_open(fds[1]));
  ASSERT_EQ(handle_mark(), base);
}

TEST(win_pool_hands_out_the_idle_files_before_making_new_ones) {
  tf_pool *p = NULL;
  int a, b;
  uintptr_t base = handle_mark();
  ASSERT_OK(tf_pool_create(&p, 4, NULL));
  a = tf_pool_acquire(p);
  b = tf_pool_acquire(p);
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK(tf_pool_release(p, a));
  ASSERT_OK(tf_pool_release(p, b));
  ASSERT_EQ(tf_pool_acquire(p), b); /* the one released last */
  ASSERT_EQ(tf_pool_acquire(p), a);
  ASSERT_EQ(tf_pool_idle(p), 0);
  ASSERT_OK(tf_pool_free(p)); /* both still acquired */
  ASSERT(!fd_open(a) && !fd_open(b));
  ASSERT_EQ(handle_mark(), base);
}

TEST(win_pool_grows_past_many_fds) {
  tf_pool *p = NULL;
  enum { FILES = 300 };
  int fds[FILES], i;
  uintptr_t base = handle_mark();
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
  ASSERT_EQ(tf_pool_idle(p), 0);
  ASSERT_OK(tf_pool_free(p));
  for (i = 0; i < FILES; i++)
    ASSERT(!fd_open(fds[i]));
  ASSERT_EQ(handle_mark(), base);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

/* ---- options */

TEST(win_pool_makes_files_in_dir_resolved_at_creation) {
  tf_opts o = named_opts();
  tf_pool *p = NULL;
  char *sub = tw_join(tw_dir(), "sub"), *want;
  const char *path;
  int fd;
  tw_mkdir(sub);
  o.dir = "sub"; /* relative: resolved now, against the cwd */
  ASSERT_OK(tf_pool_create(&p, 1, &o));
  ASSERT(SetCurrentDirectoryW(L"C:\\"));
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  path = tf_pool_path(p, fd);
  ASSERT(path != NULL);
  want = tw_join(sub, "");
  ASSERT_EQ(_strnicmp(path, want, strlen(want)), 0);
  ASSERT(strchr(path + strlen(want), '\\') == NULL);
  ASSERT(tw_exists(path));
  ASSERT_OK(tf_pool_release(p, fd));
  ASSERT_OK(tf_pool_free(p));
  ASSERT_EQ(tw_count_entries(sub), 0);
  tw_remove_tree(sub);
  free(want);
  free(sub);
}

TEST(win_pool_copies_the_callers_strings) {
  tf_opts o = named_opts();
  tf_pool *p = NULL;
  char *sub = tw_join(tw_dir(), "sub");
  char dir[300], prefix[32] = "job-", suffix[32] = ".dat";
  const char *path, *base;
  int fd;
  tw_mkdir(sub);
  snprintf(dir, sizeof(dir), "%s", sub);
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
  base = strrchr(path, '\\') + 1;
  ASSERT_EQ(_strnicmp(path, sub, strlen(sub)), 0);
  ASSERT_EQ(strlen(base), strlen("job-") + 6 + strlen(".dat"));
  ASSERT_EQ(strncmp(base, "job-", 4), 0);
  ASSERT_STR_EQ(base + 10, ".dat");
  ASSERT_OK(tf_pool_free(p));
  ASSERT_EQ(tw_count_entries(sub), 0);
  tw_remove_tree(sub);
  free(sub);
}

TEST(win_pool_rejects_bad_arguments_before_any_effect) {
  tf_opts o = TF_OPTS_INIT;
  tf_pool *p = (tf_pool *)&o, *sentinel = (tf_pool *)&o;
  uintptr_t base = handle_mark();
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
  o.prefix = "a\\b";
  ASSERT_ERR(tf_pool_create(&p, 1, &o), -EINVAL);
  o.prefix = "a:b";
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
  ASSERT_EQ(handle_mark(), base);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

TEST(win_pool_refuses_an_fd_it_did_not_hand_out) {
  tf_pool *p = NULL, *other = NULL;
  int mine, theirs, foreign = _open("foreign", _O_CREAT | _O_RDWR | _O_BINARY,
                                    _S_IREAD | _S_IWRITE);
  ASSERT_GE(foreign, 0);
  ASSERT_OK(tf_pool_create(&p, 2, NULL));
  ASSERT_OK(tf_pool_create(&other, 2, NULL));
  ASSERT_ERR(tf_pool_release(p, foreign), -EINVAL);
  ASSERT_ERR(tf_pool_release(p, -1), -EINVAL);
  ASSERT_ERR(tf_pool_release(p, 1 << 20), -EINVAL);
  ASSERT(fd_open(foreign)); /* left open */
  theirs = tf_pool_acquire(other);
  ASSERT_OK(theirs);
  ASSERT_ERR(tf_pool_release(p, theirs), -EINVAL);
  ASSERT(fd_open(theirs));
  mine = tf_pool_acquire(p);
  ASSERT_OK(mine);
  ASSERT_OK(tf_pool_release(p, mine));
  ASSERT_ERR(tf_pool_release(p, mine), -EINVAL); /* idle now */
  ASSERT_EQ(tf_pool_idle(p), 1);
  ASSERT_OK(tf_pool_release(other, theirs));
  ASSERT_OK(tf_pool_free(p));
  ASSERT_OK(tf_pool_free(other));
  ASSERT(fd_open(foreign));
  ASSERT_EQ(_close(foreign), 0);
  ASSERT_EQ(tw_remove_file("foreign"), 0);
}

/* ---- named */

TEST(win_pool_named_files_exist_while_held_and_go_with_the_pool) {
  tf_opts o = named_opts();
  tf_pool *p = NULL;
  char first[1024], second[1024];
  int a, b;
  ASSERT_OK(tf_pool_create(&p, 1, &o));
  a = tf_pool_acquire(p);
  b = tf_pool_acquire(p);
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT(tf_pool_path(p, a) != NULL && tf_pool_path(p, b) != NULL);
  snprintf(first, sizeof(first), "%s", tf_pool_path(p, a));
  snprintf(second, sizeof(second), "%s", tf_pool_path(p, b));
  ASSERT_EQ(_strnicmp(first, tw_dir(), strlen(tw_dir())), 0);
  ASSERT(strcmp(first, second) != 0);
  ASSERT(tw_exists(first) && tw_exists(second));
  write_text(a, "abc");
  ASSERT_OK(tf_pool_release(p, a));
  ASSERT(tf_pool_path(p, a) == NULL); /* not in use */
  ASSERT(tw_exists(first));           /* idle, kept */
  ASSERT_OK(tf_pool_release(p, b));   /* beyond capacity: ended */
  ASSERT(!tw_exists(second));
  ASSERT_EQ(tf_pool_acquire(p), a);
  ASSERT_STR_EQ(tf_pool_path(p, a), first);
  ASSERT_EQ(size_of(a), 0);
  ASSERT_OK(tf_pool_free(p)); /* a still acquired */
  ASSERT(!tw_exists(first));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

TEST(win_pool_named_untracked_files_are_made_and_removed) {
  tf_opts o = named_opts();
  tf_pool *p = NULL;
  char path[1024];
  int fd;
  o.flags |= TF_UNTRACKED;
  ASSERT_OK(tf_pool_create(&p, 1, &o));
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  snprintf(path, sizeof(path), "%s", tf_pool_path(p, fd));
  ASSERT(tw_exists(path));
  ASSERT_OK(tf_pool_free(p));
  ASSERT(!tw_exists(path));
}

TEST(win_pool_unnamed_accepts_untracked) {
  tf_opts o = TF_OPTS_INIT;
  tf_pool *p = NULL;
  o.flags = TF_UNTRACKED;
  ASSERT_OK(tf_pool_create(&p, 1, &o));
  ASSERT_OK(tf_pool_release(p, tf_pool_acquire(p)));
  ASSERT_EQ(tf_pool_idle(p), 1);
  ASSERT_OK(tf_pool_free(p));
}

/* ---- failures */

/* A file that could not be emptied is never handed out again. */
static void check_failed_emptying_ends_the_file(enum tws_entry entry,
                                                int named) {
  tf_opts o = named ? named_opts() : (tf_opts)TF_OPTS_INIT;
  tf_pool *p = NULL;
  char path[1024] = "";
  int fd;
  uintptr_t base = handle_mark();
  ASSERT_OK(tf_pool_create(&p, 4, &o));
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  if (named)
    snprintf(path, sizeof(path), "%s", tf_pool_path(p, fd));
  write_text(fd, "data");
  tws_fail(entry, 1, EIO, 0);
  ASSERT_ERR(tf_pool_release(p, fd), -EIO);
  ASSERT_EQ(tws_fired(), 1);
  tws_clear();
  ASSERT_EQ(tf_pool_idle(p), 0);
  ASSERT(!fd_open(fd));
  if (named)
    ASSERT(!tw_exists(path));
  ASSERT_ERR(tf_pool_release(p, fd), -EINVAL);
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  ASSERT_EQ(size_of(fd), 0);
  ASSERT_OK(tf_pool_free(p));
  ASSERT_EQ(handle_mark(), base);
}

TEST(win_pool_failed_truncation_ends_the_file) {
  check_failed_emptying_ends_the_file(TWS_FTRUNCATE, 0);
}

TEST(win_pool_failed_seek_ends_the_file) {
  check_failed_emptying_ends_the_file(TWS_LSEEK, 0);
}

TEST(win_pool_failed_named_truncation_removes_the_file) {
  check_failed_emptying_ends_the_file(TWS_FTRUNCATE, 1);
}

/* ---- threads */

enum { THREADS = 4, ROUNDS = 200 };

struct worker {
  tf_pool *p;
  int id;
  int failures;
};

/* Each round: a file, stamped with this thread's id, read back intact
 * (another thread writing to it would show), given back. */
static DWORD WINAPI pool_worker(void *arg) {
  struct worker *w = arg;
  int i;
  for (i = 0; i < ROUNDS; i++) {
    char stamp[32], back[32];
    int fd = tf_pool_acquire(w->p), n = snprintf(stamp, sizeof(stamp),
                                                 "thread %d round %d", w->id, i);
    if (fd < 0 || size_of(fd) != 0 || _write(fd, stamp, (unsigned)n) != n) {
      w->failures++;
      continue;
    }
    Sleep(0);
    if (_lseeki64(fd, 0, SEEK_SET) != 0 || _read(fd, back, sizeof(back)) != n ||
        memcmp(back, stamp, (size_t)n) != 0)
      w->failures++;
    if (tf_pool_release(w->p, fd) != 0)
      w->failures++;
  }
  return 0;
}

static void run_pool_threads(const tf_opts *o) {
  tf_pool *p = NULL;
  struct worker w[THREADS];
  HANDLE t[THREADS];
  int i;
  ASSERT_OK(tf_pool_create(&p, 2, o));
  for (i = 0; i < THREADS; i++) {
    w[i].p = p;
    w[i].id = i;
    w[i].failures = 0;
    t[i] = CreateThread(NULL, 0, pool_worker, &w[i], 0, NULL);
    ASSERT(t[i] != NULL);
  }
  ASSERT_EQ(WaitForMultipleObjects(THREADS, t, TRUE, INFINITE), WAIT_OBJECT_0);
  for (i = 0; i < THREADS; i++) {
    CloseHandle(t[i]);
    ASSERT_EQ(w[i].failures, 0);
  }
  ASSERT_LE(tf_pool_idle(p), 2);
  ASSERT_OK(tf_pool_free(p));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

TEST(win_pool_threads_never_share_a_file) { run_pool_threads(NULL); }

TEST(win_pool_threads_never_share_a_named_file) {
  tf_opts o = named_opts();
  run_pool_threads(&o);
}
