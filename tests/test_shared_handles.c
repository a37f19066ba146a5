/* SPDX-License-Identifier: MIT */
/*
 * test_shared_handles.c - the shared directory anchors, the liveness
 * ledger and tf_dir's fd on demand, attacked (issue 19; second author):
 *   1. opts.dir renamed, or replaced by a symbolic link, between two
 *      creations: each handle is made where its path led, and removes
 *      exactly its own object;
 *   2. the temporary directory renamed, found again or named again
 *      (tf_settempdir()), removed and made again;
 *   3. fork with shared anchors: whose objects, records and ledgers;
 *   4. SIGKILLed creators reaped beside a live process, a claim of a
 *      third process, a descriptor passed across exec, a forked heir,
 *      objects in two directories (one renamed after the kill);
 *   5. a tf_dir whose inode number is given to a new directory, at
 *      tf_dir_free(), at exit and on a signal;
 *   6. the cache and the ledger under pressure: two threads opening one
 *      directory's anchor at once, more directories than the cache
 *      holds, threads, the descriptors and mappings tf_cleanup_all()
 *      gives back, a ledger of more than one segment.
 */
#include "harness.h"
#include "fault.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

/* dir/name, in one of a few rotating buffers (so that a result may be
 * joined again). */
static const char *join(const char *dir, const char *name) {
  static char bufs[8][PATH_MAX];
  static int next;
  char *b = bufs[next++ % 8];
  size_t d = strlen(dir), n = strlen(name);
  if (d + 1 + n >= PATH_MAX)
    FAIL("path too long: %s/%s", dir, name);
  memmove(b, dir, d);
  b[d] = '/';
  memmove(b + d + 1, name, n + 1);
  return b;
}

/* name in the test directory, absolute: a buffer of its own, not reused
 * (a test asks for a few). */
static const char *in_test(const char *name) {
  static char bufs[32][PATH_MAX];
  static int next;
  char *b;
  if (next == 32)
    FAIL("in_test: out of buffers");
  b = bufs[next++];
  snprintf(b, PATH_MAX, "%s", join(tf_test_dir(), name));
  return b;
}

/* path's basename (borrowed). */
static const char *base(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

static void put_dir(const char *path) {
  if (mkdir(path, 0700) != 0)
    FAIL("mkdir %s: %s", path, strerror(errno));
}

/* The whole content of a file (static buffer), or "(missing)". */
static const char *content_of(const char *path) {
  static char buf[256];
  ssize_t n;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return "(missing)";
  n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  buf[n < 0 ? 0 : n] = '\0';
  return buf;
}

static void write_fd(int fd, const char *s) {
  size_t n = strlen(s);
  if (fd < 0 || write(fd, s, n) != (ssize_t)n)
    FAIL("write: %s", fd < 0 ? tf_err_name(fd) : strerror(errno));
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The listing of n names as tf_test_listing() gives it (sorted, each
 * followed by a newline) into out. */
static void listing_of(char *out, size_t size, const char **names, size_t n) {
  size_t i, used = 0;
  qsort(names, n, sizeof(*names), by_name);
  out[0] = '\0';
  for (i = 0; i < n; i++) {
    size_t len = strlen(names[i]);
    if (used + len + 2 > size)
      FAIL("listing_of: too long");
    memcpy(out + used, names[i], len);
    out[used + len] = '\n';
    out[used + len + 1] = '\0';
    used += len + 1;
  }
}

/* dir's sorted listing must be exactly expected. */
static void assert_listing(const char *dir, const char *expected) {
  char *l = tf_test_listing(dir);
  if (strcmp(l, expected) != 0)
    FAIL("%s holds:\n%sinstead of:\n%s", dir, l, expected);
  free(l);
}

/* The object at path (resolved as open(2) resolves it, or not following
 * a last symlink) is the one open at fd. */
static int path_is_fd(const char *path, int fd, int follow) {
  struct stat a, b;
  if (fd < 0 || (follow ? stat(path, &a) : lstat(path, &a)) != 0 ||
      fstat(fd, &b) != 0)
    return 0;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}
#define ASSERT_AT(path, fd) ASSERT(path_is_fd((path), (fd), 0))

/* Descriptors of this process (without the one that lists them). */
static int fd_count(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int n = 0;
  if (d == NULL)
    FAIL("opendir /proc/self/fd: %s", strerror(errno));
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n - 1;
}

/* Descriptors of this process whose target is under prefix (a removed
 * one counts too); with report, each is printed. */
static int fds_under_report(const char *prefix, int report) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  size_t len = strlen(prefix);
  int n = 0;
  if (d == NULL)
    FAIL("opendir /proc/self/fd: %s", strerror(errno));
  while ((e = readdir(d)) != NULL) {
    char link[32 + NAME_MAX], target[PATH_MAX];
    ssize_t got;
    if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
      continue;
    snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
    got = readlink(link, target, sizeof(target) - 1);
    if (got < 0)
      continue;
    target[got] = '\0';
    if (strncmp(target, prefix, len) == 0 &&
        (target[len] == '\0' || target[len] == '/' || target[len] == ' ')) {
      n++;
      if (report)
        fprintf(stderr, "    fd %s: %s\n", e->d_name, target);
    }
  }
  closedir(d);
  return n;
}

static int fds_under(const char *prefix) { return fds_under_report(prefix, 0); }

/* Descriptors of this process on ledgers. */
static int fds_on_ledgers(void) {
  char home[PATH_MAX], prefix[PATH_MAX + 32];
  DIR *d;
  struct dirent *e;
  int n = 0;
  ASSERT_GE(tf__ledger_home(home, sizeof(home)), 0);
  snprintf(prefix, sizeof(prefix), "%s/%s", home, TF_LEDGER_PREFIX);
  d = opendir("/proc/self/fd");
  if (d == NULL)
    FAIL("opendir /proc/self/fd: %s", strerror(errno));
  while ((e = readdir(d)) != NULL) {
    char link[32 + NAME_MAX], target[PATH_MAX];
    ssize_t got;
    if (e->d_name[0] == '.')
      continue;
    snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
    got = readlink(link, target, sizeof(target) - 1);
    if (got < 0)
      continue;
    target[got] = '\0';
    if (strncmp(target, prefix, strlen(prefix)) == 0)
      n++;
  }
  closedir(d);
  return n;
}

/* ------------------------------------------------------------- ledgers */

#define LEDGER_NAME_MAX 64

/* The ledger (its name in the ledger home, into out) holding a live
 * record of the object at path: its header's pid, or -1 if no ledger
 * has one. */
static long ledger_of(const char *path, char *out, size_t size) {
  return tf_test_recorded_in(path, NULL, out, size);
}

/* The ledger of the object at path, which must have one, made by pid:
 * its name into out. */
static void ledger_of_must(const char *path, long pid, char *out) {
  long got = ledger_of(path, out, LEDGER_NAME_MAX);
  if (got != pid)
    FAIL("%s: recorded by %ld, expected %ld", path, got, pid);
}

static const char *ledger_path(const char *name) {
  static char buf[PATH_MAX + LEDGER_NAME_MAX];
  char home[PATH_MAX];
  ASSERT_GE(tf__ledger_home(home, sizeof(home)), 0);
  snprintf(buf, sizeof(buf), "%s/%s", home, name);
  return buf;
}

static int ledger_exists(const char *name) {
  return tf_test_exists(ledger_path(name));
}

/* 1 if some process holds a flock on path (our exclusive one fails). */
static int is_locked(const char *path) {
  struct stat st;
  int fd, locked;
  if (lstat(path, &st) != 0)
    FAIL("lstat %s: %s", path, strerror(errno));
  fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
                      (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
  if (fd < 0)
    FAIL("open %s: %s", path, strerror(errno));
  locked = flock(fd, LOCK_EX | LOCK_NB) != 0;
  if (locked && errno != EWOULDBLOCK)
    FAIL("flock %s: %s", path, strerror(errno));
  close(fd);
  return locked;
}

/* Wait (10 s, scaled) until no process holds a lock on path. */
static int until_unlocked(const char *path) {
  double end = tf_test_now() + 10 * tf_test_time_scale();
  while (is_locked(path)) {
    if (tf_test_now() > end)
      return 0;
    tf_test_sleep_us(10000);
  }
  return 1;
}

/* ------------------------------------------------------------ children */

/* Run fn in a forked child that then exit()s; its wait status. */
static int in_child(void (*fn)(void *), void *arg) {
  int status;
  pid_t pid;
  fflush(NULL);
  pid = fork();
  if (pid < 0)
    FAIL("fork: %s", strerror(errno));
  if (pid == 0) {
    fn(arg);
    exit(0);
  }
  CHECK_SYS(waitpid(pid, &status, 0));
  return status;
}

static void kill_and_wait(pid_t pid) {
  int status;
  CHECK_SYS(kill(pid, SIGKILL));
  CHECK_SYS(waitpid(pid, &status, 0));
  ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* What tf_reap() reported. */
#define MAX_SEEN 256
struct seen {
  int n;
  int is_dir[MAX_SEEN];
  long pid[MAX_SEEN];
  char name[MAX_SEEN][NAME_MAX + 1];
};

static int record_seen(const char *name, int is_dir, long pid, void *arg) {
  struct seen *s = arg;
  if (s->n < MAX_SEEN) {
    snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
    s->is_dir[s->n] = is_dir;
    s->pid[s->n] = pid;
  }
  s->n++;
  return 0;
}

/* name was reported, as a directory or not, made by pid. */
static void assert_seen(const struct seen *s, const char *name, int is_dir,
                        long pid) {
  int i;
  for (i = 0; i < s->n && i < MAX_SEEN; i++)
    if (strcmp(s->name[i], name) == 0) {
      ASSERT_EQ(s->is_dir[i], is_dir);
      ASSERT_EQ(s->pid[i], pid);
      return;
    }
  FAIL("%s was not reported by tf_reap()", name);
}

/* ====================================== 1. opts.dir moved between uses */

/* Handle A made in D (opts.dir, absolute); D renamed to D2 and a new D
 * made; handle B made with the same opts.dir is in the new D, A's object
 * stays in D2, and each removal takes exactly its own object. */
TEST(test_shared_handles_opts_dir_renamed_between_two_creations) {
  const char *D = in_test("D"), *D2 = in_test("D2");
  tf_opts o = TF_OPTS_INIT;
  tf_file *a, *b;
  tf_dir *da, *db;
  char a_name[NAME_MAX + 1], da_name[NAME_MAX + 1], expected[4 * NAME_MAX];
  put_dir(D);
  o.dir = D;
  ASSERT_OK(tf_file_create(&a, &o));
  write_fd(tf_file_fd(a), "A");
  ASSERT_OK(tf_dir_create(&da, &o));
  tf_test_write_file(join(tf_dir_path(da), "inside-a"), "inside A");
  snprintf(a_name, sizeof(a_name), "%s", base(tf_file_path(a)));
  snprintf(da_name, sizeof(da_name), "%s", base(tf_dir_path(da)));
  tf_test_write_file(join(D, "bystander"), "bystander");

  CHECK_SYS(rename(D, D2));
  put_dir(D);
  tf_test_write_file(join(D, "newcomer"), "newcomer");
  ASSERT_OK(tf_file_create(&b, &o));
  write_fd(tf_file_fd(b), "B");
  ASSERT_OK(tf_dir_create(&db, &o));

  /* B and its directory are in the new D, under the paths reported. */
  ASSERT_STR_EQ(join(D, base(tf_file_path(b))), tf_file_path(b));
  ASSERT_AT(tf_file_path(b), tf_file_fd(b));
  ASSERT(!tf_test_exists(join(D2, base(tf_file_path(b)))));
  ASSERT_STR_EQ(join(D, base(tf_dir_path(db))), tf_dir_path(db));
  ASSERT_GE(tf_dir_fd(db), 0);
  ASSERT_AT(tf_dir_path(db), tf_dir_fd(db));
  ASSERT(!tf_test_exists(join(D2, base(tf_dir_path(db)))));
  ASSERT_EQ(tf_test_recorded_pid(tf_file_path(b), NULL), (long)getpid());
  ASSERT_EQ(tf_test_recorded_pid(tf_dir_path(db), NULL), (long)getpid());

  /* A's objects stayed in D2, and are recorded there. */
  ASSERT_AT(join(D2, a_name), tf_file_fd(a));
  ASSERT_GE(tf_dir_fd(da), 0);
  ASSERT_AT(join(D2, da_name), tf_dir_fd(da));
  ASSERT_EQ(tf_test_recorded_pid(join(D2, a_name), NULL), (long)getpid());
  ASSERT_EQ(tf_test_recorded_pid(join(D2, da_name), NULL), (long)getpid());

  /* Look-alikes under A's names in the new D: not A's, not recorded. */
  tf_test_write_file(join(D, a_name), "planted");
  put_dir(join(D, da_name));
  tf_test_write_file(join(join(D, da_name), "planted"), "planted inside");
  ASSERT_EQ(tf_test_recorded_pid(join(D, a_name), NULL), -1);
  ASSERT_EQ(tf_test_recorded_pid(join(D, da_name), NULL), -1);

  ASSERT_OK(tf_file_free(a));
  ASSERT_OK(tf_dir_free(da));
  assert_listing(D2, "bystander\n");
  ASSERT_STR_EQ(content_of(join(D, a_name)), "planted");
  ASSERT_STR_EQ(content_of(join(join(D, da_name), "planted")),
                "planted inside");
  ASSERT_STR_EQ(content_of(join(D, base(tf_file_path(b)))), "B");

  {
    char b_name[NAME_MAX + 1], db_name[NAME_MAX + 1];
    snprintf(b_name, sizeof(b_name), "%s", base(tf_file_path(b)));
    snprintf(db_name, sizeof(db_name), "%s", base(tf_dir_path(db)));
    ASSERT_OK(tf_file_free(b));
    ASSERT_OK(tf_dir_free(db));
    ASSERT(!tf_test_exists(join(D, b_name)));
    ASSERT(!tf_test_exists(join(D, db_name)));
  }
  /* Exactly the look-alikes and the bystanders are left. */
  {
    const char *names[] = {a_name, da_name, "newcomer"};
    listing_of(expected, sizeof(expected), names, 3);
    assert_listing(D, expected);
  }
  ASSERT_STR_EQ(content_of(join(D2, "bystander")), "bystander");
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, D, 0));
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, D2, 0));
}

/* Handle A made in D; D renamed away and a symbolic link to a victim
 * directory put in its place: B (same opts.dir) is made where the link
 * leads, as open(2) would, under a path that leads to it; a look-alike
 * of A in the victim survives A's end; then the link is pointed
 * elsewhere, and C follows it. */
TEST(test_shared_handles_opts_dir_replaced_by_a_symlink_between_creations) {
  const char *D = in_test("D"), *orig = in_test("D.orig");
  const char *victim = in_test("victim"), *victim2 = in_test("victim2");
  tf_opts o = TF_OPTS_INIT;
  tf_file *a, *b, *c;
  tf_dir *da, *db;
  char a_name[NAME_MAX + 1], da_name[NAME_MAX + 1], b_name[NAME_MAX + 1];
  char db_name[NAME_MAX + 1], c_name[NAME_MAX + 1];
  put_dir(D);
  put_dir(victim);
  put_dir(victim2);
  tf_test_write_file(join(victim, "precious"), "precious");
  tf_test_write_file(join(victim2, "precious2"), "precious2");
  o.dir = D;
  ASSERT_OK(tf_file_create(&a, &o));
  write_fd(tf_file_fd(a), "A");
  ASSERT_OK(tf_dir_create(&da, &o));
  tf_test_write_file(join(tf_dir_path(da), "inside-a"), "inside A");
  snprintf(a_name, sizeof(a_name), "%s", base(tf_file_path(a)));
  snprintf(da_name, sizeof(da_name), "%s", base(tf_dir_path(da)));

  CHECK_SYS(rename(D, orig));
  CHECK_SYS(symlink(victim, D));
  ASSERT_OK(tf_file_create(&b, &o));
  write_fd(tf_file_fd(b), "B");
  ASSERT_OK(tf_dir_create(&db, &o));
  snprintf(b_name, sizeof(b_name), "%s", base(tf_file_path(b)));
  snprintf(db_name, sizeof(db_name), "%s", base(tf_dir_path(db)));
  /* In the victim, and the path reported leads there. */
  ASSERT(path_is_fd(tf_file_path(b), tf_file_fd(b), 1));
  ASSERT_AT(join(victim, b_name), tf_file_fd(b));
  ASSERT_GE(tf_dir_fd(db), 0);
  ASSERT(path_is_fd(tf_dir_path(db), tf_dir_fd(db), 1));
  ASSERT_AT(join(victim, db_name), tf_dir_fd(db));
  ASSERT(!tf_test_exists(join(orig, b_name)));
  ASSERT_EQ(tf_test_recorded_pid(join(victim, b_name), NULL), (long)getpid());

  /* A's objects are still in the original directory. */
  ASSERT_AT(join(orig, a_name), tf_file_fd(a));
  ASSERT_GE(tf_dir_fd(da), 0);
  ASSERT_AT(join(orig, da_name), tf_dir_fd(da));

  /* Look-alikes of A's objects in the victim, where D now leads. */
  tf_test_write_file(join(victim, a_name), "planted");
  put_dir(join(victim, da_name));
  tf_test_write_file(join(join(victim, da_name), "planted"), "planted inside");
  ASSERT_OK(tf_file_free(a));
  ASSERT_OK(tf_dir_free(da));
  assert_listing(orig, "");
  ASSERT_STR_EQ(content_of(join(victim, a_name)), "planted");
  ASSERT_STR_EQ(content_of(join(join(victim, da_name), "planted")),
                "planted inside");
  ASSERT_STR_EQ(content_of(join(victim, "precious")), "precious");

  /* The link now leads to victim2: C is made there. */
  CHECK_SYS(unlink(D));
  CHECK_SYS(symlink(victim2, D));
  ASSERT_OK(tf_file_create(&c, &o));
  snprintf(c_name, sizeof(c_name), "%s", base(tf_file_path(c)));
  ASSERT(path_is_fd(tf_file_path(c), tf_file_fd(c), 1));
  ASSERT_AT(join(victim2, c_name), tf_file_fd(c));

  /* B's end removes B's objects from the victim, not C's nor the link. */
  ASSERT_OK(tf_file_free(b));
  ASSERT_OK(tf_dir_free(db));
  ASSERT(!tf_test_exists(join(victim, b_name)));
  ASSERT(!tf_test_exists(join(victim, db_name)));
  ASSERT_OK(tf_file_free(c));
  ASSERT(!tf_test_exists(join(victim2, c_name)));
  {
    char expected[4 * NAME_MAX];
    const char *names[] = {a_name, da_name, "precious"};
    listing_of(expected, sizeof(expected), names, 3);
    assert_listing(victim, expected);
  }
  assert_listing(victim2, "precious2\n");
  {
    char target[PATH_MAX];
    ssize_t n = readlink(D, target, sizeof(target) - 1);
    ASSERT_GT(n, 0);
    target[n] = '\0';
    ASSERT_STR_EQ(target, victim2);
  }
  CHECK_SYS(unlink(D));
  CHECK_SYS(rmdir(orig));
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, victim, 0));
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, victim2, 0));
}

/* ============================== 2. the temporary directory moved away */

/* Make T the temporary directory, found anew. */
static void use_tempdir(const char *t) {
  char buf[PATH_MAX];
  CHECK_SYS(setenv("TMPDIR", t, 1));
  ASSERT_OK(tf_settempdir(NULL));
  ASSERT_GE(tf_gettempdir(buf, sizeof(buf)), 0);
  ASSERT_STR_EQ(buf, t);
}

/* The behaviour chosen (tempfile(3), "Descriptors the library keeps"):
 * the temporary directory is found once and used with no look-up, so
 * after it is renamed B is still made in the directory found (under a
 * path that names its old place), its removal is exact and nothing is
 * lost; once the new place is named (TMPDIR, then tf_settempdir(NULL)),
 * new files go there. */
TEST(test_shared_handles_tempdir_renamed_keeps_the_directory_found) {
  const char *T = in_test("T"), *T2 = in_test("T2");
  char a_name[NAME_MAX + 1], b_name[NAME_MAX + 1], buf[PATH_MAX];
  tf_file *a, *b, *c;
  put_dir(T);
  use_tempdir(T);
  ASSERT_OK(tf_file_create(&a, NULL));
  write_fd(tf_file_fd(a), "A");
  snprintf(a_name, sizeof(a_name), "%s", base(tf_file_path(a)));
  ASSERT_STR_EQ(tf_file_path(a), join(T, a_name));
  tf_test_write_file(join(T, "bystander"), "bystander");

  CHECK_SYS(rename(T, T2));
  ASSERT_OK(tf_file_create(&b, NULL));
  write_fd(tf_file_fd(b), "B");
  snprintf(b_name, sizeof(b_name), "%s", base(tf_file_path(b)));
  /* Made in the directory found, now T2; its path names T. */
  ASSERT_STR_EQ(tf_file_path(b), join(T, b_name));
  ASSERT(!tf_test_exists(tf_file_path(b)));
  ASSERT_AT(join(T2, b_name), tf_file_fd(b));
  ASSERT_EQ(tf_test_recorded_pid(join(T2, b_name), NULL), (long)getpid());
  ASSERT_GE(tf_gettempdir(buf, sizeof(buf)), 0);
  ASSERT_STR_EQ(buf, T);

  /* Each removal exact: B's, then A's, from T2; nothing else. */
  ASSERT_OK(tf_file_free(b));
  ASSERT(!tf_test_exists(join(T2, b_name)));
  ASSERT_STR_EQ(content_of(join(T2, a_name)), "A");
  ASSERT_OK(tf_file_free(a));
  assert_listing(T2, "bystander\n");

  /* Named anew: T2 is found, and new files are made there. */
  use_tempdir(T2);
  ASSERT_OK(tf_file_create(&c, NULL));
  ASSERT_STR_EQ(tf_file_path(c), join(T2, base(tf_file_path(c))));
  ASSERT_AT(tf_file_path(c), tf_file_fd(c));
  ASSERT_OK(tf_file_free(c));
  assert_listing(T2, "bystander\n");
  CHECK_SYS(unlink(join(T2, "bystander")));
  CHECK_SYS(rmdir(T2));
}

/* The temporary directory renamed away and a new directory made under
 * its name: once the process finds it again (tf_settempdir(NULL), or
 * tf_settempdir() naming it), new files are made in the new directory,
 * under the paths reported, not in the renamed one. */
TEST(test_shared_handles_tempdir_found_again_makes_in_the_new_directory) {
  const char *T = in_test("T"), *T2 = in_test("T2");
  tf_file *a, *b, *c;
  tf_dir *d;
  put_dir(T);
  use_tempdir(T);
  ASSERT_OK(tf_file_create(&a, NULL)); /* T's anchor, in use */
  CHECK_SYS(rename(T, T2));
  put_dir(T);

  use_tempdir(T); /* found again: the same path, a new directory */
  ASSERT_OK(tf_file_create(&b, NULL));
  ASSERT_STR_EQ(tf_file_path(b), join(T, base(tf_file_path(b))));
  if (tf_test_exists(join(T2, base(tf_file_path(b)))))
    fprintf(stderr, "    B was made in the renamed directory\n");
  ASSERT_AT(tf_file_path(b), tf_file_fd(b));
  ASSERT_OK(tf_dir_create(&d, NULL));
  ASSERT_GE(tf_dir_fd(d), 0);
  ASSERT_AT(tf_dir_path(d), tf_dir_fd(d));
  ASSERT_OK(tf_file_free(b));
  ASSERT_OK(tf_dir_free(d));

  ASSERT_OK(tf_settempdir(T)); /* named explicitly */
  ASSERT_OK(tf_file_create(&c, NULL));
  ASSERT_AT(tf_file_path(c), tf_file_fd(c));
  ASSERT_OK(tf_file_free(c));

  ASSERT_OK(tf_file_free(a));
  assert_listing(T, "");
  assert_listing(T2, "");
  CHECK_SYS(rmdir(T));
  CHECK_SYS(rmdir(T2));
}

#define SETTEMPDIR_ROUNDS 20

/* tf_settempdir() has the temporary directory's anchor opened anew, even
 * under the same path: the anchor it sets aside must still be closed,
 * at once when no handle uses it, else when the last one ends.  Naming
 * the directory again and again, with a handle alive or not, leaves no
 * descriptor and no memory behind. */
TEST(test_shared_handles_settempdir_again_and_again_loses_no_anchor) {
  const char *T = in_test("T");
  tf_file *held, *f;
  int i, before, left;
  put_dir(T);
  use_tempdir(T);
  before = fd_count();
  ASSERT_OK(tf_file_create(&held, NULL));
  for (i = 0; i < SETTEMPDIR_ROUNDS; i++) {
    /* NULL: found again through TMPDIR; else named. */
    ASSERT_OK(tf_settempdir(i % 2 ? T : NULL));
    ASSERT_OK(tf_file_create(&f, NULL));
    ASSERT_AT(tf_file_path(f), tf_file_fd(f));
    ASSERT_OK(tf_file_free(f));
    if (i == SETTEMPDIR_ROUNDS / 2) {
      ASSERT_OK(tf_file_free(held));
      held = NULL;
    }
  }
  ASSERT_EQ(tf_cleanup_all(), 0);
  left = fds_under_report(T, 1);
  if (left != 0)
    FAIL("%d descriptor(s) of the temporary directory left open after %d "
         "calls of tf_settempdir(), every handle ended and tf_cleanup_all()",
         left, SETTEMPDIR_ROUNDS);
  ASSERT_EQ(fd_count(), before);
  ASSERT_EQ(tf__alloc_outstanding(), 0);
  assert_listing(T, "");
  CHECK_SYS(rmdir(T));
}

/* The temporary directory emptied and removed (a handle still alive,
 * its file removed behind its back): the next creation fails only while
 * there is no directory, and once one is made again under the name,
 * files and directories are made in it. */
TEST(test_shared_handles_tempdir_removed_and_made_again) {
  const char *T = in_test("T");
  tf_file *held, *a, *b;
  tf_dir *d;
  int round;
  put_dir(T);
  use_tempdir(T);
  ASSERT_OK(tf_file_create(&held, NULL));
  ASSERT_OK(tf_file_create(&a, NULL));
  ASSERT_OK(tf_file_free(a)); /* the anchor stays, cached */
  for (round = 0; round < 2; round++) {
    /* Emptied (held's file behind its back) and removed. */
    if (round == 0)
      CHECK_SYS(unlink(tf_file_path(held)));
    CHECK_SYS(rmdir(T));
    if (round == 1) {
      /* Nothing to make it in: the error, and nothing made anywhere. */
      ASSERT_ERR(tf_file_create(&a, NULL), -ENOENT);
      ASSERT_ERR(tf_dir_create(&d, NULL), -ENOENT);
    }
    put_dir(T);
    /* Round 0 begins with a file, round 1 with a directory. */
    if (round == 0) {
      ASSERT_OK(tf_file_create(&b, NULL));
      ASSERT_OK(tf_dir_create(&d, NULL));
    } else {
      ASSERT_OK(tf_dir_create(&d, NULL));
      ASSERT_OK(tf_file_create(&b, NULL));
    }
    ASSERT_AT(tf_file_path(b), tf_file_fd(b));
    ASSERT_GE(tf_dir_fd(d), 0);
    ASSERT_AT(tf_dir_path(d), tf_dir_fd(d));
    ASSERT_EQ(tf_test_recorded_pid(tf_file_path(b), NULL), (long)getpid());
    ASSERT_EQ(tf_test_count_entries(T), 2);
    ASSERT_OK(tf_file_free(b));
    ASSERT_OK(tf_dir_free(d));
    assert_listing(T, "");
  }
  ASSERT_OK(tf_file_free(held)); /* its file already gone: not an error */
  CHECK_SYS(rmdir(T));
}

/* ========================================= 3. fork with shared anchors */

struct fork_scene {
  char D[PATH_MAX];
  /* The parent's objects: tracked file and directory, untracked ones. */
  tf_file *pf, *pu;
  tf_dir *pd, *pud;
  char pf_path[PATH_MAX], pu_path[PATH_MAX], pd_path[PATH_MAX],
      pud_path[PATH_MAX];
  /* The child's, for the parent to check afterwards. */
  long child_pid;
  char cf_path[PATH_MAX], cu_path[PATH_MAX], cd_path[PATH_MAX];
  char child_ledger[LEDGER_NAME_MAX];
  char failure[512]; /* the child's first failed check, or "" */
};

#define CHILD_CHECK(sc, cond)                                                \
  do {                                                                       \
    if (!(cond) && (sc)->failure[0] == '\0')                                 \
      snprintf((sc)->failure, sizeof((sc)->failure), "line %d: %s",          \
               __LINE__, #cond);                                             \
  } while (0)

static void fork_child_makes_and_ends(void *arg) {
  struct fork_scene *sc = arg;
  tf_opts o = TF_OPTS_INIT;
  tf_file *cf, *cu;
  tf_dir *cd;
  int held = 0, anchors_before;
  LEAK_ON_PURPOSE();
  sc->child_pid = getpid();
  o.dir = sc->D;
  /* less pf's and pu's fds, and pd's and pud's where a tf_dir holds one */
  anchors_before = fds_under(sc->D) - 2 - 2 * tf_test_dir_fds_held(0);
  CHILD_CHECK(sc, anchors_before == 1);
  CHILD_CHECK(sc, tf_file_create(&cf, &o) == 0);
  CHILD_CHECK(sc, tf_dir_create(&cd, &o) == 0);
  o.flags = TF_UNTRACKED;
  CHILD_CHECK(sc, tf_file_create(&cu, &o) == 0);
  if (sc->failure[0])
    return;
  /* Made through the inherited anchor: no descriptor of D of its own. */
  /* (less pf's, pu's, cf's and cu's fds, and pd's, pud's and cd's) */
  CHILD_CHECK(sc, fds_under(sc->D) - 4 - 3 * tf_test_dir_fds_held(0) ==
                      anchors_before);
  snprintf(sc->cf_path, sizeof(sc->cf_path), "%s", tf_file_path(cf));
  snprintf(sc->cu_path, sizeof(sc->cu_path), "%s", tf_file_path(cu));
  snprintf(sc->cd_path, sizeof(sc->cd_path), "%s", tf_dir_path(cd));
  CHILD_CHECK(sc, path_is_fd(tf_file_path(cf), tf_file_fd(cf), 0));
  CHILD_CHECK(sc, path_is_fd(tf_file_path(cu), tf_file_fd(cu), 0));
  /* Recorded under the child's pid, in a ledger the child holds; the
   * parent's under the parent's. */
  CHILD_CHECK(sc, tf_test_recorded_pid(sc->cf_path, &held) == getpid());
  CHILD_CHECK(sc, held);
  CHILD_CHECK(sc, tf_test_recorded_pid(sc->cd_path, NULL) == getpid());
  CHILD_CHECK(sc, tf_test_recorded_pid(sc->cu_path, NULL) == -1);
  CHILD_CHECK(sc, tf_test_recorded_pid(sc->pf_path, NULL) == getppid());
  CHILD_CHECK(sc, tf_test_recorded_pid(sc->pd_path, NULL) == getppid());
  CHILD_CHECK(sc, ledger_of(sc->cf_path, sc->child_ledger,
                            sizeof(sc->child_ledger)) == getpid());
  {
    char parents[LEDGER_NAME_MAX];
    CHILD_CHECK(sc, ledger_of(sc->pf_path, parents, sizeof(parents)) ==
                        getppid());
    CHILD_CHECK(sc, strcmp(parents, sc->child_ledger) != 0);
  }
  /* The child's own end: its objects go. */
  CHILD_CHECK(sc, tf_file_free(cf) == 0);
  CHILD_CHECK(sc, tf_dir_free(cd) == 0);
  CHILD_CHECK(sc, tf_file_free(cu) == 0);
  CHILD_CHECK(sc, !tf_test_exists(sc->cf_path));
  CHILD_CHECK(sc, !tf_test_exists(sc->cd_path));
  CHILD_CHECK(sc, !tf_test_exists(sc->cu_path));
  /* The parent's handles, ended here: nothing removed, nothing unmarked. */
  CHILD_CHECK(sc, tf_dir_fd(sc->pd) >= 0); /* opened here, on demand */
  CHILD_CHECK(sc, tf_file_free(sc->pf) == 0);
  CHILD_CHECK(sc, tf_file_free(sc->pu) == 0);
  CHILD_CHECK(sc, tf_dir_free(sc->pd) == 0);
  CHILD_CHECK(sc, tf_dir_free(sc->pud) == 0);
  CHILD_CHECK(sc, tf_test_exists(sc->pf_path) && tf_test_exists(sc->pu_path));
  CHILD_CHECK(sc, tf_test_exists(sc->pd_path) && tf_test_exists(sc->pud_path));
  CHILD_CHECK(sc, tf_test_recorded_pid(sc->pf_path, NULL) == getppid());
  CHILD_CHECK(sc, tf_test_recorded_pid(sc->pd_path, NULL) == getppid());
  /* exit(): the exit cleanup of a process with nothing registered. */
}

TEST(test_shared_handles_fork_child_shares_anchors_not_objects) {
  struct fork_scene *sc = tf_test_shared_alloc(sizeof(*sc));
  tf_opts o = TF_OPTS_INIT;
  char parent_ledger[LEDGER_NAME_MAX];
  int status;
  snprintf(sc->D, sizeof(sc->D), "%s", in_test("D"));
  put_dir(sc->D);
  o.dir = sc->D;
  ASSERT_OK(tf_file_create(&sc->pf, &o));
  write_fd(tf_file_fd(sc->pf), "parent's");
  ASSERT_OK(tf_dir_create(&sc->pd, &o));
  tf_test_write_file(join(tf_dir_path(sc->pd), "inside"), "parent's inside");
  o.flags = TF_UNTRACKED;
  ASSERT_OK(tf_file_create(&sc->pu, &o));
  write_fd(tf_file_fd(sc->pu), "parent's untracked");
  ASSERT_OK(tf_dir_create(&sc->pud, &o));
  snprintf(sc->pf_path, sizeof(sc->pf_path), "%s", tf_file_path(sc->pf));
  snprintf(sc->pu_path, sizeof(sc->pu_path), "%s", tf_file_path(sc->pu));
  snprintf(sc->pd_path, sizeof(sc->pd_path), "%s", tf_dir_path(sc->pd));
  snprintf(sc->pud_path, sizeof(sc->pud_path), "%s", tf_dir_path(sc->pud));
  ledger_of_must(sc->pf_path, getpid(), parent_ledger);

  status = in_child(fork_child_makes_and_ends, sc);
  ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  if (sc->failure[0])
    FAIL("in the child: %s", sc->failure);

  /* The child's objects are gone, and its ledger with them. */
  ASSERT(!tf_test_exists(sc->cf_path) && !tf_test_exists(sc->cd_path) &&
         !tf_test_exists(sc->cu_path));
  ASSERT(sc->child_ledger[0] != '\0');
  if (ledger_exists(sc->child_ledger))
    FAIL("the child's ledger %s outlived it", sc->child_ledger);
  /* The parent's are intact, recorded under its pid, in its ledger. */
  ASSERT_STR_EQ(content_of(sc->pf_path), "parent's");
  ASSERT_STR_EQ(content_of(join(sc->pd_path, "inside")), "parent's inside");
  ASSERT_STR_EQ(content_of(sc->pu_path), "parent's untracked");
  ASSERT(tf_test_exists(sc->pud_path));
  ASSERT_EQ(ledger_of(sc->pf_path, NULL, 0), (long)getpid());
  ASSERT_EQ(ledger_of(sc->pd_path, NULL, 0), (long)getpid());
  ASSERT(ledger_exists(parent_ledger));
  ASSERT(is_locked(ledger_path(parent_ledger)));
  /* A reaper takes none of them. */
  ASSERT_EQ(tf_reap(sc->D, 0, 0, NULL, NULL), 0);
  /* And the parent's handles still work, and remove them. */
  ASSERT_AT(sc->pf_path, tf_file_fd(sc->pf));
  ASSERT_GE(tf_dir_fd(sc->pd), 0);
  ASSERT_AT(sc->pd_path, tf_dir_fd(sc->pd));
  ASSERT_OK(tf_file_free(sc->pf));
  ASSERT_OK(tf_dir_free(sc->pd));
  ASSERT_OK(tf_file_free(sc->pu));
  ASSERT_OK(tf_dir_free(sc->pud));
  assert_listing(sc->D, "");
  CHECK_SYS(rmdir(sc->D));
  munmap(sc, sizeof(*sc));
}

/* ====================================================== 4. reaping */

#define MAX_MADE 8
struct made {
  long pid;
  int n;
  int is_dir[MAX_MADE];
  char name[MAX_MADE][NAME_MAX + 1];
  char ledger[LEDGER_NAME_MAX];
};

static void made_add(struct made *m, const char *path, int is_dir) {
  if (m->n >= MAX_MADE)
    _exit(98);
  snprintf(m->name[m->n], sizeof(m->name[0]), "%s", base(path));
  m->is_dir[m->n] = is_dir;
  m->n++;
}

struct reap_scene {
  char arena[PATH_MAX];
  struct made victim;  /* killed: its tracked objects */
  struct made live;    /* alive while the victim is reaped */
  char untracked[NAME_MAX + 1], kept[NAME_MAX + 1]; /* the victim's */
  char claimed[PATH_MAX]; /* the victim's file a third process claims */
};

/* A tree inside the directory at path, made through a descriptor of
 * its own (the handle's fd left unopened). */
static void tree_by_path(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    FAIL("open %s: %s", path, strerror(errno));
  tf_test_make_tree(fd, 2, 2, 2);
  close(fd);
}

/* The victim: tracked files (written, closed with TF_DELETE_ON_FREE,
 * claimed by its own tf_file_fd()) and directories with trees, plus an
 * untracked and a kept file that no reaper may take. */
static void kid_victim(void *arg, int ready) {
  struct reap_scene *sc = arg;
  tf_file *f1, *f2, *f3, *u, *k;
  tf_dir *d1, *d2;
  tf_opts o = TF_OPTS_INIT;
  sc->victim.pid = getpid();
  o.dir = sc->arena;
  ASSERT_OK(tf_file_create(&f1, &o));
  write_fd(tf_file_fd(f1), "claimed later");
  made_add(&sc->victim, tf_file_path(f1), 0);
  snprintf(sc->claimed, sizeof(sc->claimed), "%s", tf_file_path(f1));
  o.flags = TF_DELETE_ON_FREE;
  ASSERT_OK(tf_file_create(&f2, &o));
  ASSERT_OK(tf_file_close(f2));
  made_add(&sc->victim, tf_file_path(f2), 0);
  o.flags = 0;
  ASSERT_OK(tf_file_create(&f3, &o));
  ASSERT_GE(tf_file_fd(f3), 0);
  made_add(&sc->victim, tf_file_path(f3), 0);
  ASSERT_OK(tf_dir_create(&d1, &o));
  tf_test_make_tree(tf_dir_fd(d1), 2, 2, 2);
  made_add(&sc->victim, tf_dir_path(d1), 1);
  ASSERT_OK(tf_dir_create(&d2, &o));
  tree_by_path(tf_dir_path(d2));
  made_add(&sc->victim, tf_dir_path(d2), 1);
  o.flags = TF_UNTRACKED;
  ASSERT_OK(tf_file_create(&u, &o));
  snprintf(sc->untracked, sizeof(sc->untracked), "%s", base(tf_file_path(u)));
  o.flags = TF_KEEP;
  ASSERT_OK(tf_file_create(&k, &o));
  snprintf(sc->kept, sizeof(sc->kept), "%s", base(tf_file_path(k)));
  ledger_of_must(tf_file_path(f1), getpid(), sc->victim.ledger);
  tf_test_signal_ready(ready, 'r');
}

/* A live process with a tracked file and directory in the arena. */
static void kid_live(void *arg, int ready) {
  struct reap_scene *sc = arg;
  tf_file *f;
  tf_dir *d;
  tf_opts o = TF_OPTS_INIT;
  sc->live.pid = getpid();
  o.dir = sc->arena;
  ASSERT_OK(tf_file_create(&f, &o));
  write_fd(tf_file_fd(f), "live");
  made_add(&sc->live, tf_file_path(f), 0);
  ASSERT_OK(tf_dir_create(&d, &o));
  tree_by_path(tf_dir_path(d));
  made_add(&sc->live, tf_dir_path(d), 1);
  ledger_of_must(tf_file_path(f), getpid(), sc->live.ledger);
  tf_test_signal_ready(ready, 'r');
}

/* A third process's claim: a shared lock on the victim's file. */
static void kid_claimer(void *arg, int ready) {
  struct reap_scene *sc = arg;
  int fd = open(sc->claimed, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || flock(fd, LOCK_SH | LOCK_NB) != 0)
    _exit(97);
  tf_test_signal_ready(ready, 'r');
}

TEST_TIMEOUT(test_shared_handles_reap_takes_a_killed_creators_objects_only,
             40) {
  struct reap_scene *sc = tf_test_shared_alloc(sizeof(*sc));
  struct seen seen;
  pid_t victim, live, claimer;
  int ready, i;
  snprintf(sc->arena, sizeof(sc->arena), "%s", in_test("arena"));
  put_dir(sc->arena);
  tf_test_write_file(join(sc->arena, "plain"), "plain");
  victim = tf_test_start_child(kid_victim, sc, &ready);
  tf_test_wait_ready(ready, victim);
  close(ready);
  live = tf_test_start_child(kid_live, sc, &ready);
  tf_test_wait_ready(ready, live);
  close(ready);
  claimer = tf_test_start_child(kid_claimer, sc, &ready);
  tf_test_wait_ready(ready, claimer);
  close(ready);
  ASSERT_EQ(sc->victim.n, 5);
  ASSERT(strcmp(sc->victim.ledger, sc->live.ledger) != 0);
  kill_and_wait(victim);
  ASSERT(ledger_exists(sc->victim.ledger));
  ASSERT(!is_locked(ledger_path(sc->victim.ledger)));

  /* The killed creator's objects, but the claimed one. */
  memset(&seen, 0, sizeof(seen));
  ASSERT_EQ(tf_reap(sc->arena, 0, 0, record_seen, &seen), 4);
  ASSERT_EQ(seen.n, 4);
  for (i = 1; i < sc->victim.n; i++) {
    assert_seen(&seen, sc->victim.name[i], sc->victim.is_dir[i],
                sc->victim.pid);
    ASSERT(!tf_test_exists(join(sc->arena, sc->victim.name[i])));
  }
  ASSERT_STR_EQ(content_of(sc->claimed), "claimed later");
  /* The live process's, the untracked, the kept and the plain ones stay. */
  ASSERT_STR_EQ(content_of(join(sc->arena, sc->live.name[0])), "live");
  ASSERT_EQ(tf_test_count_tree(AT_FDCWD, join(sc->arena, sc->live.name[1])),
            20);
  ASSERT(tf_test_exists(join(sc->arena, sc->untracked)));
  ASSERT(tf_test_exists(join(sc->arena, sc->kept)));
  ASSERT_STR_EQ(content_of(join(sc->arena, "plain")), "plain");
  /* The ledger still names the claimed file. */
  ASSERT(ledger_exists(sc->victim.ledger));
  ASSERT_EQ(tf_reap(sc->arena, TF_REAP_DRY_RUN, 0, NULL, NULL), 0);

  /* The claim ends: the file is a leftover, and the ledger goes. */
  kill_and_wait(claimer);
  memset(&seen, 0, sizeof(seen));
  ASSERT_EQ(tf_reap(sc->arena, 0, 0, record_seen, &seen), 1);
  assert_seen(&seen, sc->victim.name[0], 0, sc->victim.pid);
  ASSERT(!tf_test_exists(sc->claimed));
  if (ledger_exists(sc->victim.ledger))
    FAIL("the killed creator's ledger %s stays with nothing left",
         sc->victim.ledger);

  /* The live process, killed in turn. */
  ASSERT(ledger_exists(sc->live.ledger));
  kill_and_wait(live);
  memset(&seen, 0, sizeof(seen));
  ASSERT_EQ(tf_reap(sc->arena, 0, 0, record_seen, &seen), 2);
  assert_seen(&seen, sc->live.name[0], 0, sc->live.pid);
  assert_seen(&seen, sc->live.name[1], 1, sc->live.pid);
  ASSERT(!ledger_exists(sc->live.ledger));

  /* Left: the untracked, the kept and the plain file. */
  ASSERT_EQ(tf_test_count_entries(sc->arena), 3);
  CHECK_SYS(unlink(join(sc->arena, sc->untracked)));
  CHECK_SYS(unlink(join(sc->arena, sc->kept)));
  CHECK_SYS(unlink(join(sc->arena, "plain")));
  CHECK_SYS(rmdir(sc->arena));
  munmap(sc, sizeof(*sc));
}

/* A killed creator's objects in two directories, one renamed after its
 * death: a dry run takes nothing and leaves the ledger; reaping one
 * directory takes only its objects and keeps the ledger for the other;
 * the renamed one is reaped under its new name (records name the
 * directory by device and inode), and then the ledger goes. */
struct two_dirs {
  char d1[PATH_MAX], d2[PATH_MAX];
  struct made one, two;
};

static void kid_two_dirs(void *arg, int ready) {
  struct two_dirs *t = arg;
  tf_opts o = TF_OPTS_INIT;
  tf_file *f1, *f2;
  tf_dir *dd1, *dd2;
  t->one.pid = t->two.pid = getpid();
  o.dir = t->d1;
  ASSERT_OK(tf_file_create(&f1, &o));
  made_add(&t->one, tf_file_path(f1), 0);
  ASSERT_OK(tf_dir_create(&dd1, &o));
  tree_by_path(tf_dir_path(dd1));
  made_add(&t->one, tf_dir_path(dd1), 1);
  o.dir = t->d2;
  ASSERT_OK(tf_file_create(&f2, &o));
  made_add(&t->two, tf_file_path(f2), 0);
  ASSERT_OK(tf_dir_create(&dd2, &o));
  made_add(&t->two, tf_dir_path(dd2), 1);
  ledger_of_must(tf_file_path(f1), getpid(), t->one.ledger);
  ledger_of_must(tf_file_path(f2), getpid(), t->two.ledger);
  tf_test_signal_ready(ready, 'r');
}

TEST(test_shared_handles_reap_keeps_the_ledger_until_every_directory_is_reaped) {
  struct two_dirs *t = tf_test_shared_alloc(sizeof(*t));
  const char *moved = in_test("d2.moved");
  struct seen seen;
  int ready;
  pid_t kid;
  snprintf(t->d1, sizeof(t->d1), "%s", in_test("d1"));
  snprintf(t->d2, sizeof(t->d2), "%s", in_test("d2"));
  put_dir(t->d1);
  put_dir(t->d2);
  kid = tf_test_start_child(kid_two_dirs, t, &ready);
  tf_test_wait_ready(ready, kid);
  close(ready);
  ASSERT_STR_EQ(t->one.ledger, t->two.ledger);
  kill_and_wait(kid);
  CHECK_SYS(rename(t->d2, moved));

  memset(&seen, 0, sizeof(seen));
  ASSERT_EQ(tf_reap(t->d1, TF_REAP_DRY_RUN, 0, record_seen, &seen), 2);
  assert_seen(&seen, t->one.name[0], 0, t->one.pid);
  assert_seen(&seen, t->one.name[1], 1, t->one.pid);
  ASSERT_EQ(tf_test_count_entries(t->d1), 2);
  ASSERT(ledger_exists(t->one.ledger));

  memset(&seen, 0, sizeof(seen));
  ASSERT_EQ(tf_reap(t->d1, 0, 0, record_seen, &seen), 2);
  assert_listing(t->d1, "");
  ASSERT_EQ(tf_test_count_entries(moved), 2);
  if (!ledger_exists(t->one.ledger))
    FAIL("the ledger went while it still names objects in another "
         "directory");
  ASSERT_EQ(tf_reap(t->d1, 0, 0, NULL, NULL), 0);
  ASSERT(ledger_exists(t->one.ledger));

  memset(&seen, 0, sizeof(seen));
  ASSERT_EQ(tf_reap(moved, 0, 0, record_seen, &seen), 2);
  assert_seen(&seen, t->two.name[0], 0, t->two.pid);
  assert_seen(&seen, t->two.name[1], 1, t->two.pid);
  assert_listing(moved, "");
  if (ledger_exists(t->one.ledger))
    FAIL("the ledger %s stays with nothing left", t->one.ledger);
  CHECK_SYS(rmdir(t->d1));
  CHECK_SYS(rmdir(moved));
  munmap(t, sizeof(*t));
}

/* A creator passes its file's descriptor (tf_file_fd(), its claim) on
 * to a program it starts; a second creator forks a child that inherits
 * its ledger's descriptor.  Both creators are killed. */
struct heir_scene {
  char arena[PATH_MAX];
  struct made execd;  /* [0] is the file passed on, [1], [2] are not */
  struct made forked; /* all inherited by a forked child */
  int ctl, rdy;       /* the program's stdin and stdout */
  int ctl_w;          /* (closed in the forked heir) */
  int gate;           /* the forked heir waits for its end of input */
  int gate_w;         /* (closed in the forked heir) */
  long heir_pid;
};

static void kid_execs_heir(void *arg, int ready) {
  struct heir_scene *sc = arg;
  tf_opts o = TF_OPTS_INIT;
  tf_file *passed, *plain;
  tf_dir *d;
  pid_t pid;
  sc->execd.pid = getpid();
  o.dir = sc->arena;
  ASSERT_OK(tf_file_create(&passed, &o));
  made_add(&sc->execd, tf_file_path(passed), 0);
  ASSERT_OK(tf_file_create(&plain, &o));
  made_add(&sc->execd, tf_file_path(plain), 0);
  ASSERT_OK(tf_dir_create(&d, &o));
  ASSERT_GE(tf_dir_fd(d), 0); /* claimed, but not passed on */
  made_add(&sc->execd, tf_dir_path(d), 1);
  ledger_of_must(tf_file_path(plain), getpid(), sc->execd.ledger);
  pid = fork();
  if (pid == 0) {
    if (fcntl(tf_file_fd(passed), F_SETFD, 0) != 0 || dup2(sc->ctl, 0) != 0 ||
        dup2(sc->rdy, 1) != 1)
      _exit(1);
    execl("/bin/sh", "sh", "-c", "echo r; cat > /dev/null", "sh",
          (char *)NULL);
    _exit(127);
  }
  if (pid < 0)
    _exit(96);
  tf_test_signal_ready(ready, 'r');
}

static void kid_forks_heir(void *arg, int ready) {
  struct heir_scene *sc = arg;
  tf_opts o = TF_OPTS_INIT;
  tf_file *f;
  tf_dir *d;
  pid_t pid;
  char c;
  sc->forked.pid = getpid();
  o.dir = sc->arena;
  ASSERT_OK(tf_file_create(&f, &o));
  made_add(&sc->forked, tf_file_path(f), 0);
  ASSERT_OK(tf_dir_create(&d, &o));
  tree_by_path(tf_dir_path(d));
  made_add(&sc->forked, tf_dir_path(d), 1);
  ledger_of_must(tf_file_path(f), getpid(), sc->forked.ledger);
  close(sc->gate_w);
  close(sc->ctl_w); /* the program's input must end when the test says */
  pid = fork();
  if (pid == 0) {
    /* Holds whatever it inherited until its input ends. */
    while (read(sc->gate, &c, 1) > 0)
      ;
    _exit(0);
  }
  if (pid < 0)
    _exit(96);
  sc->heir_pid = pid;
  tf_test_signal_ready(ready, 'r');
}

TEST_TIMEOUT(test_shared_handles_reap_waits_for_passed_descriptors_and_heirs,
             40) {
  struct heir_scene *sc = tf_test_shared_alloc(sizeof(*sc));
  struct seen seen;
  int ctl[2], rdy[2], gate[2], ready;
  pid_t k1, k2;
  char c;
  snprintf(sc->arena, sizeof(sc->arena), "%s", in_test("arena"));
  put_dir(sc->arena);
  CHECK_SYS(pipe2(ctl, O_CLOEXEC));
  CHECK_SYS(pipe2(rdy, O_CLOEXEC));
  CHECK_SYS(pipe2(gate, O_CLOEXEC));
  sc->ctl = ctl[0];
  sc->ctl_w = ctl[1];
  sc->rdy = rdy[1];
  sc->gate = gate[0];
  sc->gate_w = gate[1];
  k1 = tf_test_start_child(kid_execs_heir, sc, &ready);
  tf_test_wait_ready(ready, k1);
  close(ready);
  close(ctl[0]);
  close(rdy[1]);
  ASSERT_EQ(read(rdy[0], &c, 1), 1); /* the program runs: exec'd */
  close(rdy[0]);
  k2 = tf_test_start_child(kid_forks_heir, sc, &ready);
  tf_test_wait_ready(ready, k2);
  close(ready);
  close(gate[0]);
  kill_and_wait(k1);
  kill_and_wait(k2);

  /* The exec'd program holds only the file passed on: the rest of its
   * creator's objects are leftovers.  The forked heir holds its
   * creator's ledger: none of those is. */
  ASSERT(is_locked(join(sc->arena, sc->execd.name[0])));
  ASSERT(!is_locked(ledger_path(sc->execd.ledger)));
  ASSERT(is_locked(ledger_path(sc->forked.ledger)));
  memset(&seen, 0, sizeof(seen));
  ASSERT_EQ(tf_reap(sc->arena, 0, 0, record_seen, &seen), 2);
  assert_seen(&seen, sc->execd.name[1], 0, sc->execd.pid);
  assert_seen(&seen, sc->execd.name[2], 1, sc->execd.pid);
  ASSERT(tf_test_exists(join(sc->arena, sc->execd.name[0])));
  ASSERT(tf_test_exists(join(sc->arena, sc->forked.name[0])));
  ASSERT_EQ(tf_test_count_tree(AT_FDCWD, join(sc->arena, sc->forked.name[1])),
            20);
  ASSERT(ledger_exists(sc->execd.ledger));

  /* The program ends: its file is a leftover, and the ledger goes. */
  close(ctl[1]);
  ASSERT(until_unlocked(join(sc->arena, sc->execd.name[0])));
  memset(&seen, 0, sizeof(seen));
  ASSERT_EQ(tf_reap(sc->arena, 0, 0, record_seen, &seen), 1);
  assert_seen(&seen, sc->execd.name[0], 0, sc->execd.pid);
  ASSERT(!ledger_exists(sc->execd.ledger));
  ASSERT(tf_test_exists(join(sc->arena, sc->forked.name[0])));

  /* The heir ends: its creator's objects are leftovers. */
  close(gate[1]);
  ASSERT(until_unlocked(ledger_path(sc->forked.ledger)));
  memset(&seen, 0, sizeof(seen));
  ASSERT_EQ(tf_reap(sc->arena, 0, 0, record_seen, &seen), 2);
  assert_seen(&seen, sc->forked.name[0], 0, sc->forked.pid);
  assert_seen(&seen, sc->forked.name[1], 1, sc->forked.pid);
  ASSERT(!ledger_exists(sc->forked.ledger));
  assert_listing(sc->arena, "");
  CHECK_SYS(rmdir(sc->arena));
  munmap(sc, sizeof(*sc));
}

/* ================================================== 5. inode reuse */

/* Skip unless the test directory's file system keeps birth times: only
 * with one can a directory be told from a later one given its inode
 * number, as tf_dir's cleanup documents.  A build without statx runs
 * the tests: there a tf_dir holds its directory's fd, so the number is
 * never given to another. */
static void skip_unless_birth_times(void) {
  struct tf__stat st;
  if (tf_test_dir_fds_held(0))
    return;
  if (tf__sys.statat(AT_FDCWD, ".", &st) != 0)
    FAIL("statat: %s", strerror(errno));
  if (st.birth_sec == 0 && st.birth_nsec == 0)
    SKIP("the test directory's file system keeps no birth times");
}

#define REUSE_TRIES 200

/* Remove the tf_dir's directory behind its back and make a new one under
 * its name holding a precious file; 1 if the new one got the old inode
 * number. */
static int replace_dir(const char *path) {
  struct stat before, after;
  CHECK_SYS(lstat(path, &before));
  CHECK_SYS(rmdir(path));
  put_dir(path);
  CHECK_SYS(lstat(path, &after));
  tf_test_write_file(join(path, "precious"), "precious");
  return before.st_dev == after.st_dev && before.st_ino == after.st_ino;
}

/* tf_dir made in D; its directory removed (rmdir) and a new one made
 * under the name, with a file; until the new one gets the same inode
 * number, or REUSE_TRIES times.  tf_dir_fd() and tf_dir_free() must say
 * -ESTALE, and the new directory's file stays. */
TEST_TIMEOUT(test_shared_handles_dir_whose_inode_is_reused_is_left_alone,
             40) {
  const char *D = in_test("D");
  tf_opts o = TF_OPTS_INIT;
  int tries, reused = 0, opened;
  skip_unless_birth_times();
  put_dir(D);
  o.dir = D;
  for (tries = 1; tries <= REUSE_TRIES && !reused; tries++) {
    char path[PATH_MAX];
    tf_dir *d;
    ASSERT_OK(tf_dir_create(&d, &o));
    snprintf(path, sizeof(path), "%s", tf_dir_path(d));
    /* Every other round, the handle's fd was opened before: then it holds
     * the old directory, whose number can not be reused. */
    opened = tries % 2 == 0 || tf_test_dir_fds_held(0);
    if (opened)
      ASSERT_GE(tf_dir_fd(d), 0);
    reused = replace_dir(path);
    if (!opened)
      ASSERT_ERR(tf_dir_fd(d), -ESTALE);
    ASSERT_ERR(tf_dir_free(d), -ESTALE);
    ASSERT_STR_EQ(content_of(join(path, "precious")), "precious");
    CHECK_SYS(unlink(join(path, "precious")));
    CHECK_SYS(rmdir(path));
  }
  if (reused)
    printf("    inode number reused after %d tries\n", tries - 1);
  else
    printf("    inode number never reused in %d tries\n", REUSE_TRIES);
  assert_listing(D, "");
  CHECK_SYS(rmdir(D));
}

struct reuse_exit {
  char D[PATH_MAX];
  char path[PATH_MAX];
  char ledger[LEDGER_NAME_MAX];
  int by_signal;
  int reused, tries;
};

/* A child makes tf_dirs until one's inode number is reused for its
 * replacement (its handle then left alive), and ends by exit() or by
 * SIGTERM with the signal cleanup installed. */
static void reuse_then_end(void *arg) {
  struct reuse_exit *r = arg;
  tf_opts o = TF_OPTS_INIT;
  tf_dir *d = NULL;
  LEAK_ON_PURPOSE();
  if (r->by_signal)
    ASSERT_OK(tf_cleanup_on_signals(NULL, 0));
  o.dir = r->D;
  for (r->tries = 1; r->tries <= REUSE_TRIES; r->tries++) {
    ASSERT_OK(tf_dir_create(&d, &o));
    snprintf(r->path, sizeof(r->path), "%s", tf_dir_path(d));
    ledger_of_must(r->path, getpid(), r->ledger);
    r->reused = replace_dir(r->path);
    if (r->reused || r->tries == REUSE_TRIES)
      break;
    ASSERT_ERR(tf_dir_free(d), -ESTALE);
    CHECK_SYS(unlink(join(r->path, "precious")));
    CHECK_SYS(rmdir(r->path));
  }
  if (r->by_signal)
    raise(SIGTERM);
  exit(0); /* the exit cleanup meets the handle's name */
}

TEST_TIMEOUT(test_shared_handles_exit_and_signal_cleanup_spare_a_reused_inode,
             40) {
  struct reuse_exit *r = tf_test_shared_alloc(sizeof(*r));
  int status;
  skip_unless_birth_times();
  snprintf(r->D, sizeof(r->D), "%s", in_test("D"));
  put_dir(r->D);
  for (r->by_signal = 0; r->by_signal < 2; r->by_signal++) {
    const char *how = r->by_signal ? "SIGTERM" : "exit";
    r->ledger[0] = '\0';
    status = in_child(reuse_then_end, r);
    if (r->by_signal)
      ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    else
      ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    printf("    %s: inode number %s after %d tries\n", how,
           r->reused ? "reused" : "never reused", r->tries);
    if (strcmp(content_of(join(r->path, "precious")), "precious") != 0)
      FAIL("%s: the cleanup emptied the directory that took the name", how);
    ASSERT(r->ledger[0] != '\0');
    if (ledger_exists(r->ledger))
      FAIL("%s: the child's ledger %s outlived it", how, r->ledger);
    CHECK_SYS(unlink(join(r->path, "precious")));
    CHECK_SYS(rmdir(r->path));
  }
  assert_listing(r->D, "");
  CHECK_SYS(rmdir(r->D));
  munmap(r, sizeof(*r));
}

/* ================================= 6. the anchor cache under pressure */

/* Two threads make their first handle in one directory at once: the slow
 * one has opened the directory's anchor when the fast one opens, caches,
 * uses and gives back its own.  The slow one's anchor then takes the
 * cached entry's place; when every handle has ended and tf_cleanup_all()
 * has closed what no handle uses, no descriptor of the directory may
 * stay open, and no memory of the library's held. */
static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  pthread_t slow;
  const char *dir;
  int stage; /* 1: the slow thread opened; 2: the fast one is done */
  int (*saved_openat)(int, const char *, int, mode_t);
} race = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void race_stage(int stage) {
  pthread_mutex_lock(&race.lock);
  race.stage = stage;
  pthread_cond_broadcast(&race.cond);
  pthread_mutex_unlock(&race.lock);
}

static void race_wait(int stage) {
  pthread_mutex_lock(&race.lock);
  while (race.stage < stage)
    pthread_cond_wait(&race.cond, &race.lock);
  pthread_mutex_unlock(&race.lock);
}

/* Set by the slow thread itself: pthread_create() may store the new
 * thread's id only after the thread has started (musl does), so
 * comparing with race.slow could miss its first openat. */
static __thread int in_slow_thread;

/* In front of the library's openat: the slow thread's anchor opens, then
 * waits for the fast thread. */
static int openat_slowly(int dirfd, const char *path, int flags, mode_t mode) {
  int fd = race.saved_openat(dirfd, path, flags, mode);
  if (fd >= 0 && in_slow_thread &&
      dirfd == AT_FDCWD && (flags & O_DIRECTORY) &&
      strcmp(path, race.dir) == 0 && race.stage == 0) {
    race_stage(1);
    race_wait(2);
  }
  return fd;
}

static void start_thread(pthread_t *t, void *(*fn)(void *), void *arg) {
  int rc = pthread_create(t, NULL, fn, arg);
  if (rc != 0)
    FAIL("pthread_create: %s", strerror(rc));
}

static void *slow_creator(void *arg) {
  tf_opts *o = arg;
  tf_file *f = NULL;
  in_slow_thread = 1;
  if (tf_file_create(&f, o) != 0)
    return NULL;
  return f;
}

TEST(test_shared_handles_two_threads_opening_one_anchor_leak_nothing) {
  const char *D = in_test("D");
  int unchecked;
  put_dir(D);
  for (unchecked = 0; unchecked < 2; unchecked++) {
    tf_opts o = TF_OPTS_INIT;
    tf_file *fast, *slow;
    void *result;
    int left;
    /* opts.dir (looked up before use), then the temporary directory
     * (used as found). */
    if (unchecked)
      use_tempdir(D);
    else
      o.dir = D;
    race.dir = D;
    race.stage = 0;
    race.saved_openat = tf__sys.openat;
    tf__sys.openat = openat_slowly;
    start_thread(&race.slow, slow_creator, &o);
    race_wait(1);
    ASSERT_OK(tf_file_create(&fast, &o));
    ASSERT_OK(tf_file_free(fast));
    race_stage(2);
    pthread_join(race.slow, &result);
    tf__sys.openat = race.saved_openat;
    slow = result;
    ASSERT(slow != NULL);
    ASSERT_AT(tf_file_path(slow), tf_file_fd(slow));
    ASSERT_OK(tf_file_free(slow));
    tf_cleanup_all();
    left = fds_under_report(D, 1);
    if (left != 0)
      FAIL("%s: %d descriptor(s) of the directory left open after every "
           "handle ended and tf_cleanup_all()",
           unchecked ? "temporary directory" : "opts.dir", left);
    ASSERT_EQ(tf__alloc_outstanding(), 0);
  }
  assert_listing(D, "");
  CHECK_SYS(rmdir(D));
}

#define MANY_DIRS 20

/* More directories than the cache holds (16): handles in each, all
 * alive at once; then each directory renamed and made again, and new
 * handles made in the new ones, cached or not; every removal exact, and
 * once every handle ended and tf_cleanup_all() ran, no descriptor left. */
TEST_TIMEOUT(test_shared_handles_more_directories_than_the_cache_holds, 40) {
  tf_file *f[MANY_DIRS], *g[MANY_DIRS];
  tf_dir *d[MANY_DIRS];
  char dirs[MANY_DIRS][PATH_MAX], olds[MANY_DIRS][PATH_MAX];
  int i, before = fd_count();
  for (i = 0; i < MANY_DIRS; i++) {
    tf_opts o = TF_OPTS_INIT;
    char name[32];
    snprintf(name, sizeof(name), "d%02d", i);
    snprintf(dirs[i], sizeof(dirs[i]), "%s", join(tf_test_dir(), name));
    snprintf(name, sizeof(name), "d%02d.old", i);
    snprintf(olds[i], sizeof(olds[i]), "%s", join(tf_test_dir(), name));
    put_dir(dirs[i]);
    o.dir = dirs[i];
    ASSERT_OK(tf_file_create(&f[i], &o));
    ASSERT_OK(tf_dir_create(&d[i], &o));
    ASSERT_AT(tf_file_path(f[i]), tf_file_fd(f[i]));
    ASSERT_GE(tf_dir_fd(d[i]), 0);
    ASSERT_AT(tf_dir_path(d[i]), tf_dir_fd(d[i]));
  }
  for (i = 0; i < MANY_DIRS; i++) {
    tf_opts o = TF_OPTS_INIT;
    CHECK_SYS(rename(dirs[i], olds[i]));
    put_dir(dirs[i]);
    o.dir = dirs[i];
    ASSERT_OK(tf_file_create(&g[i], &o));
    if (!path_is_fd(tf_file_path(g[i]), tf_file_fd(g[i]), 0))
      FAIL("directory %d: the new handle is not where its path leads", i);
    ASSERT_AT(join(olds[i], base(tf_file_path(f[i]))), tf_file_fd(f[i]));
  }
  for (i = 0; i < MANY_DIRS; i++) {
    ASSERT_OK(tf_file_free(f[i]));
    ASSERT_OK(tf_dir_free(d[i]));
    ASSERT_OK(tf_file_free(g[i]));
    assert_listing(olds[i], "");
    assert_listing(dirs[i], "");
  }
  tf_cleanup_all();
  ASSERT_EQ(fd_count(), before);
  for (i = 0; i < MANY_DIRS; i++) {
    CHECK_SYS(rmdir(olds[i]));
    CHECK_SYS(rmdir(dirs[i]));
  }
}

/* tf_cleanup_all() closes the anchors no handle uses and the ledger (and
 * removes it) once nothing of it is left; those a live handle uses stay
 * until it ends. */
TEST(test_shared_handles_cleanup_all_gives_back_the_kept_descriptors) {
  const char *dirs[3];
  char ledger[LEDGER_NAME_MAX], ledger2[LEDGER_NAME_MAX];
  tf_opts o = TF_OPTS_INIT;
  tf_file *f, *live;
  int i, before = fd_count();
  dirs[0] = in_test("D0");
  dirs[1] = in_test("D1");
  dirs[2] = in_test("D2");
  for (i = 0; i < 3; i++) {
    put_dir(dirs[i]);
    o.dir = dirs[i];
    ASSERT_OK(tf_file_create(&f, &o));
    if (i == 0)
      ledger_of_must(tf_file_path(f), getpid(), ledger);
    ASSERT_OK(tf_file_free(f));
  }
  /* Kept: one anchor per directory, the ledger and its home. */
  ASSERT_EQ(fd_count(), before + 3 + 2);
  ASSERT_EQ(fds_under(dirs[0]) + fds_under(dirs[1]) + fds_under(dirs[2]), 3);
  ASSERT_EQ(fds_on_ledgers(), 1);
  ASSERT(ledger_exists(ledger));
  ASSERT_EQ(tf_cleanup_all(), 0);
  ASSERT_EQ(fd_count(), before);
  ASSERT(!ledger_exists(ledger));

  /* A live handle: its object removed, its anchor kept until it ends. */
  o.dir = dirs[1];
  ASSERT_OK(tf_file_create(&live, &o));
  ledger_of_must(tf_file_path(live), getpid(), ledger2);
  ASSERT(strcmp(ledger, ledger2) != 0);
  ASSERT_EQ(tf_cleanup_all(), 1);
  ASSERT(!tf_test_exists(tf_file_path(live)));
  ASSERT(!ledger_exists(ledger2));
  ASSERT_EQ(fds_on_ledgers(), 0);
  ASSERT_EQ(fds_under(dirs[1]), 2); /* the anchor and the file's fd */
  ASSERT_OK(tf_file_free(live));
  ASSERT_EQ(fds_under(dirs[1]), 1); /* the anchor, cached */
  ASSERT_EQ(tf_cleanup_all(), 0);
  ASSERT_EQ(fd_count(), before);
  for (i = 0; i < 3; i++) {
    assert_listing(dirs[i], "");
    CHECK_SYS(rmdir(dirs[i]));
  }
}

/* Mappings of ledgers in this process (/proc/self/maps). */
static int ledger_mappings(void) {
  FILE *f = fopen("/proc/self/maps", "re");
  char line[PATH_MAX + 256];
  int n = 0;
  if (f == NULL)
    FAIL("fopen /proc/self/maps: %s", strerror(errno));
  while (fgets(line, sizeof(line), f) != NULL)
    if (strstr(line, "/" TF_LEDGER_PREFIX) != NULL)
      n++;
  fclose(f);
  return n;
}

#define CLEANUP_CYCLES 100

/* tf_cleanup_all() while a tracked handle lives removes the ledger from
 * its home; the mapping of a removed ledger holds its memory (tmpfs
 * pages) until it is unmapped.  Once every handle has ended and
 * tf_cleanup_all() has run, the process must hold no ledger, mapped or
 * open, however often that happened before. */
TEST(test_shared_handles_cleanup_all_with_live_handles_keeps_no_ledger_mapped) {
  int i;
  for (i = 0; i < CLEANUP_CYCLES; i++) {
    tf_file *f;
    ASSERT_OK(tf_file_create(&f, NULL));
    ASSERT_EQ(tf_cleanup_all(), 1);
    ASSERT_OK(tf_file_free(f));
  }
  ASSERT_EQ(tf_cleanup_all(), 0);
  ASSERT_EQ(fds_on_ledgers(), 0);
  if (ledger_mappings() != 0)
    FAIL("%d ledger mapping(s) left after %d cycles of tf_file_create(), "
         "tf_cleanup_all(), tf_file_free() and a last tf_cleanup_all()",
         ledger_mappings(), CLEANUP_CYCLES);
}

/* Threads make and end handles at once, in one shared directory, in one
 * of their own, in the temporary directory and in more directories than
 * the cache holds, while another gives back the idle anchors (what
 * tf_cleanup_all() does once it removed the registered objects): every
 * object is where its path leads and goes at its end, and nothing is
 * left open. */
#define STRESS_THREADS 6
#define STRESS_SPREAD 20

static struct {
  char shared[PATH_MAX];
  char own[STRESS_THREADS][PATH_MAX];
  char spread[STRESS_SPREAD][PATH_MAX];
  int rounds;
  int stop; /* atomic */
  pthread_mutex_t lock;
  char failure[512];
} stress = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void stress_fail(const char *what, const char *path) {
  pthread_mutex_lock(&stress.lock);
  if (stress.failure[0] == '\0')
    snprintf(stress.failure, sizeof(stress.failure), "%.100s: %.400s", what,
             path);
  pthread_mutex_unlock(&stress.lock);
}

static void *stress_worker(void *arg) {
  int t = (int)(intptr_t)arg, i;
  for (i = 0; i < stress.rounds && !stress.failure[0]; i++) {
    tf_opts o = TF_OPTS_INIT;
    tf_file *f;
    tf_dir *d;
    char path[PATH_MAX], dpath[PATH_MAX];
    int rc;
    switch (i % 4) {
    case 0: o.dir = stress.shared; break;
    case 1: o.dir = stress.own[t]; break;
    case 2: o.dir = NULL; break;
    default: o.dir = stress.spread[(i / 4 + t) % STRESS_SPREAD]; break;
    }
    o.flags = i % 3 == 0 ? TF_UNTRACKED : 0;
    if ((rc = tf_file_create(&f, &o)) != 0) {
      stress_fail("tf_file_create", tf_err_name(rc));
      break;
    }
    snprintf(path, sizeof(path), "%s", tf_file_path(f));
    if (!path_is_fd(path, tf_file_fd(f), 0))
      stress_fail("a file is not where its path leads", path);
    if ((rc = tf_dir_create(&d, &o)) != 0) {
      stress_fail("tf_dir_create", tf_err_name(rc));
      tf_file_free(f);
      break;
    }
    snprintf(dpath, sizeof(dpath), "%s", tf_dir_path(d));
    if (i % 2 && !path_is_fd(dpath, tf_dir_fd(d), 0))
      stress_fail("a directory is not where its path leads", dpath);
    if (tf_file_free(f) != 0 || tf_test_exists(path))
      stress_fail("a file was not removed", path);
    if (tf_dir_free(d) != 0 || tf_test_exists(dpath))
      stress_fail("a directory was not removed", dpath);
  }
  return NULL;
}

static void *stress_releaser(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&stress.stop, __ATOMIC_ACQUIRE)) {
    tf__caches_release();
    tf_test_sleep_us(200);
  }
  return NULL;
}

TEST_TIMEOUT(test_shared_handles_threads_share_anchors_without_loss_or_leak,
             60) {
  pthread_t workers[STRESS_THREADS], releaser;
  int i, before = fd_count(), left;
  char name[32];
  stress.rounds = (int)(600 / tf_test_time_scale()) + 8;
  snprintf(stress.shared, sizeof(stress.shared), "%s", in_test("shared"));
  put_dir(stress.shared);
  for (i = 0; i < STRESS_THREADS; i++) {
    snprintf(name, sizeof(name), "own%d", i);
    snprintf(stress.own[i], sizeof(stress.own[i]), "%s",
             join(tf_test_dir(), name));
    put_dir(stress.own[i]);
  }
  for (i = 0; i < STRESS_SPREAD; i++) {
    snprintf(name, sizeof(name), "spread%02d", i);
    snprintf(stress.spread[i], sizeof(stress.spread[i]), "%s",
             join(tf_test_dir(), name));
    put_dir(stress.spread[i]);
  }
  start_thread(&releaser, stress_releaser, NULL);
  for (i = 0; i < STRESS_THREADS; i++)
    start_thread(&workers[i], stress_worker, (void *)(intptr_t)i);
  for (i = 0; i < STRESS_THREADS; i++)
    pthread_join(workers[i], NULL);
  __atomic_store_n(&stress.stop, 1, __ATOMIC_RELEASE);
  pthread_join(releaser, NULL);
  if (stress.failure[0])
    FAIL("%s", stress.failure);
  tf_cleanup_all();
  left = fds_under_report(tf_test_dir(), 1);
  if (left != 0)
    FAIL("%d descriptor(s) of the test's directories left open", left);
  ASSERT_EQ(fd_count(), before);
  ASSERT_EQ(tf__alloc_outstanding(), 0);
  assert_listing(stress.shared, "");
  CHECK_SYS(rmdir(stress.shared));
  for (i = 0; i < STRESS_THREADS; i++) {
    assert_listing(stress.own[i], "");
    CHECK_SYS(rmdir(stress.own[i]));
  }
  for (i = 0; i < STRESS_SPREAD; i++) {
    assert_listing(stress.spread[i], "");
    CHECK_SYS(rmdir(stress.spread[i]));
  }
}

/* ================================== 7. a ledger of several segments */

#define GROW_LIVE 60   /* more than one segment's TF_LEDGER_RECS (57) */
#define GROW_FIRST 130
#define GROW_MORE 70
#define KILLED_OBJECTS 200

struct many {
  tf_file *f;
  tf_dir *d;
  char path[PATH_MAX];
};

/* Object i in D: a directory every third, else a file. */
static void make_one(struct many *m, const char *D, int i) {
  tf_opts o = TF_OPTS_INIT;
  o.dir = D;
  m->f = NULL;
  m->d = NULL;
  if (i % 3 == 2) {
    ASSERT_OK(tf_dir_create(&m->d, &o));
    snprintf(m->path, sizeof(m->path), "%s", tf_dir_path(m->d));
  } else {
    o.flags = TF_DELETE_ON_FREE; /* closed: no descriptor kept */
    ASSERT_OK(tf_file_create(&m->f, &o));
    ASSERT_OK(tf_file_close(m->f));
    snprintf(m->path, sizeof(m->path), "%s", tf_file_path(m->f));
  }
}

static void end_one(struct many *m) {
  if (m->f != NULL)
    ASSERT_OK(tf_file_free(m->f));
  if (m->d != NULL)
    ASSERT_OK(tf_dir_free(m->d));
  ASSERT(!tf_test_exists(m->path));
  m->f = NULL;
  m->d = NULL;
}

/* Object path must be recorded by this process in the ledger named
 * ledger (the first call sets it). */
static void assert_in_ledger(const char *path, char *ledger) {
  char got[LEDGER_NAME_MAX];
  ledger_of_must(path, getpid(), got);
  if (ledger[0] == '\0')
    snprintf(ledger, LEDGER_NAME_MAX, "%s", got);
  else if (strcmp(got, ledger) != 0)
    FAIL("%s is recorded in %s, not %s", path, got, ledger);
}

struct killed_many {
  char D[PATH_MAX];
  char ledger[LEDGER_NAME_MAX];
  long pid;
};

static void kid_many(void *arg, int ready) {
  struct killed_many *k = arg;
  static struct many m[KILLED_OBJECTS];
  int i;
  k->pid = getpid();
  k->ledger[0] = '\0';
  for (i = 0; i < KILLED_OBJECTS; i++) {
    make_one(&m[i], k->D, i);
    if (m[i].d != NULL && i % 9 == 2)
      tree_by_path(m[i].path);
  }
  for (i = 0; i < KILLED_OBJECTS; i++)
    assert_in_ledger(m[i].path, k->ledger);
  tf_test_signal_ready(ready, 'r');
}

TEST_TIMEOUT(test_shared_handles_ledger_grows_past_one_segment, 60) {
  static struct many m[GROW_FIRST + GROW_MORE];
  struct killed_many *k = tf_test_shared_alloc(sizeof(*k));
  const char *D = in_test("D");
  char ledger[LEDGER_NAME_MAX] = "";
  struct stat st;
  int i, n, ready;
  pid_t kid;
  put_dir(D);

  /* More live objects than a segment holds: all recorded, in one ledger. */
  for (i = 0; i < GROW_LIVE; i++)
    make_one(&m[i], D, i);
  for (i = 0; i < GROW_LIVE; i++)
    assert_in_ledger(m[i].path, ledger);
  CHECK_SYS(stat(ledger_path(ledger), &st));
  ASSERT_GE(st.st_size, 2 * TF_LEDGER_SEG);
  for (i = 0; i < GROW_LIVE; i++) {
    end_one(&m[i]);
    ASSERT_EQ(ledger_of(m[i].path, NULL, 0), -1);
  }
  ASSERT_EQ(tf_cleanup_all(), 0);
  ASSERT(!ledger_exists(ledger));

  /* Records given back and taken again: every live one recorded, no
   * ended one. */
  ledger[0] = '\0';
  for (i = 0; i < GROW_FIRST; i++)
    make_one(&m[i], D, i);
  for (i = 1; i < GROW_FIRST; i += 2)
    end_one(&m[i]);
  for (i = 0; i < GROW_MORE; i++)
    make_one(&m[GROW_FIRST + i], D, i);
  for (i = 0, n = 0; i < GROW_FIRST + GROW_MORE; i++) {
    if (i < GROW_FIRST && i % 2) {
      ASSERT_EQ(ledger_of(m[i].path, NULL, 0), -1);
      continue;
    }
    assert_in_ledger(m[i].path, ledger);
    n++;
  }
  ASSERT_EQ(n, GROW_FIRST / 2 + GROW_MORE);
  ASSERT_EQ(tf_test_count_entries(D), n);
  for (i = 0; i < GROW_FIRST + GROW_MORE; i++)
    if (!(i < GROW_FIRST && i % 2))
      end_one(&m[i]);
  ASSERT_EQ(tf_cleanup_all(), 0);
  ASSERT(!ledger_exists(ledger));
  assert_listing(D, "");

  /* A killed process's 200 live objects: all reaped, the ledger gone. */
  snprintf(k->D, sizeof(k->D), "%s", D);
  kid = tf_test_start_child(kid_many, k, &ready);
  tf_test_wait_ready(ready, kid);
  close(ready);
  kill_and_wait(kid);
  ASSERT(ledger_exists(k->ledger));
  CHECK_SYS(stat(ledger_path(k->ledger), &st));
  ASSERT_GE(st.st_size, 4 * TF_LEDGER_SEG);
  {
    struct seen *seen = calloc(1, sizeof(*seen));
    ASSERT(seen != NULL);
    ASSERT_EQ(tf_reap(D, 0, 0, record_seen, seen), KILLED_OBJECTS);
    ASSERT_EQ(seen->n, KILLED_OBJECTS);
    for (i = 0; i < KILLED_OBJECTS; i++)
      ASSERT_EQ(seen->pid[i], k->pid);
    free(seen);
  }
  assert_listing(D, "");
  if (ledger_exists(k->ledger))
    FAIL("the killed process's ledger %s stays with nothing left", k->ledger);
  CHECK_SYS(rmdir(D));
  munmap(k, sizeof(*k));
}

/* ------------------------------------------- a taken name, two reapers */

/* Once the handle finds another directory under its name (-ESTALE), its
 * record is set free: a reaper, after the creator's death, must not take
 * that directory for its leftover. */
static void kid_finds_its_name_taken(void *arg, int ready) {
  char *path = arg, moved[PATH_MAX + 8];
  tf_dir *d;
  tf_opts o = TF_OPTS_INIT;
  o.dir = in_test("arena");
  ASSERT_OK(tf_dir_create(&d, &o));
  snprintf(path, PATH_MAX, "%s", tf_dir_path(d));
  snprintf(moved, sizeof(moved), "%s.moved", path);
  CHECK_SYS(rename(path, moved));
  put_dir(path);
  tf_test_write_file(join(path, "theirs"), "someone else's");
  ASSERT_EQ(tf_test_recorded_pid(path, NULL), (long)getpid());
  ASSERT_ERR(tf_dir_cleanup(d), -ESTALE);
  ASSERT_EQ(tf_test_recorded_pid(path, NULL), -1);
  tf_test_signal_ready(ready, 'r');
}

TEST(test_shared_handles_a_taken_name_is_never_reaped_for_the_creator) {
  char *path = tf_test_shared_alloc(PATH_MAX);
  char moved[PATH_MAX + 8];
  pid_t kid;
  int ready;
  put_dir(in_test("arena"));
  kid = tf_test_start_child(kid_finds_its_name_taken, path, &ready);
  tf_test_wait_ready(ready, kid);
  close(ready);
  kill_and_wait(kid);
  ASSERT_EQ(tf_reap(in_test("arena"), 0, 0, NULL, NULL), 0);
  ASSERT_STR_EQ(content_of(join(path, "theirs")), "someone else's");
  snprintf(moved, sizeof(moved), "%s.moved", path);
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, moved, 0));
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, in_test("arena"), 0));
  munmap(path, PATH_MAX);
}

/* Reapers started together on one directory take every leftover of a
 * killed creator between them, each once: one that finds a dead ledger
 * locked by another waits for it rather than miss what it has not taken
 * yet. */
#define REAPERS 3
#define REAP_ROUNDS 20
#define LEFTOVERS 30

static void kid_leaves_files(void *arg, int ready) {
  tf_opts o = TF_OPTS_INIT;
  int i;
  (void)arg;
  o.dir = in_test("arena");
  for (i = 0; i < LEFTOVERS; i++) {
    tf_file *f;
    ASSERT_OK(tf_file_create(&f, &o));
  }
  tf_test_signal_ready(ready, 'r');
}

TEST_TIMEOUT(test_shared_handles_reapers_at_once_take_everything_once, 120) {
  int round;
  put_dir(in_test("arena"));
  for (round = 0; round < REAP_ROUNDS; round++) {
    int *taken = tf_test_shared_alloc(REAPERS * sizeof(int));
    int go[2], ready, i, total = 0;
    pid_t kid = tf_test_start_child(kid_leaves_files, NULL, &ready), reapers[REAPERS];
    tf_test_wait_ready(ready, kid);
    close(ready);
    kill_and_wait(kid);
    CHECK_SYS(pipe2(go, O_CLOEXEC));
    for (i = 0; i < REAPERS; i++) {
      fflush(NULL);
      reapers[i] = fork();
      CHECK_SYS(reapers[i]);
      if (reapers[i] == 0) {
        char b;
        close(go[1]);
        if (read(go[0], &b, 1) != 0) /* the start: the pipe's end */
          _exit(3);
        taken[i] = tf_reap(in_test("arena"), 0, 0, NULL, NULL);
        _exit(taken[i] < 0);
      }
    }
    close(go[0]);
    close(go[1]); /* all start at once */
    for (i = 0; i < REAPERS; i++) {
      int status;
      CHECK_SYS(waitpid(reapers[i], &status, 0));
      ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
      total += taken[i];
    }
    if (total != LEFTOVERS || tf_test_count_entries(in_test("arena")) != 0)
      FAIL("round %d: %d reapers took %d (%d, %d, %d) of %d; %d left", round,
           REAPERS, total, taken[0], taken[1], taken[2], LEFTOVERS,
           tf_test_count_entries(in_test("arena")));
    munmap(taken, REAPERS * sizeof(int));
  }
  CHECK_SYS(rmdir(in_test("arena")));
}
