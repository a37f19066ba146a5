/* SPDX-License-Identifier: MIT */
/*
 * test_faults.c - every error path of every public function.  For each
 * operation the sweep fails system call 1, 2, 3, ... (through the
 * library's table) until the operation succeeds, and checks each time
 * that a negative errno came back and no file, fd or memory was left.
 * Each sweep runs with several errnos.  The number of calls walked is
 * asserted, so a sweep that stopped walking would be noticed.
 */
#include "harness.h"
#include "internal.h"

#include <unistd.h>

static const int sweep_errnos[] = {EIO, ENOMEM, ENOSPC, EACCES, EMFILE,
                                   EINTR};

struct made {
  char *path;
  int fd;
  tf_file *f;
  int dirfd;
};

static struct made made;

static void undo_path_fd(void *ctx) {
  (void)ctx;
  if (made.fd >= 0)
    close(made.fd);
  if (made.path != NULL) {
    struct stat st;
    if (lstat(made.path, &st) == 0 && S_ISDIR(st.st_mode))
      rmdir(made.path);
    else
      unlink(made.path);
  }
  tf_free(made.path);
  memset(&made, 0, sizeof(made));
  made.fd = -1;
}

/* Sweep with every errno; returns the fewest calls walked (a getrandom
 * refill adds one call only when the name pool runs dry). */
static int sweep_all(const char *what, int (*op)(void *), void (*undo)(void *),
                     void *ctx) {
  size_t i;
  int fewest = 1 << 30;
  for (i = 0; i < sizeof(sweep_errnos) / sizeof(sweep_errnos[0]); i++) {
    int walked;
    made.fd = -1;
    walked = tf_test_fault_sweep(what, op, undo, ctx, sweep_errnos[i]);
    if (walked < fewest)
      fewest = walked;
  }
  return fewest;
}

/* Discovery has its own sweep; the others start with it cached. */
static void discover_first(void) {
  char dir[PATH_MAX];
  ASSERT_OK(tf_gettempdir(dir, sizeof(dir)));
}

static int op_mkstemp(void *ctx) {
  tf_opts o = TF_OPTS_INIT;
  int fd;
  (void)ctx;
  o.dir = "."; /* getcwd through the table, too */
  fd = tf_mkstemp(&made.path, &o);
  made.fd = fd;
  return fd;
}

TEST(test_faults_mkstemp) {
  /* getcwd, malloc, openat (and getrandom when the pool is empty) */
  ASSERT_GE(sweep_all("tf_mkstemp", op_mkstemp, undo_path_fd, NULL), 3);
}

static int op_mkdtemp(void *ctx) {
  (void)ctx;
  return tf_mkdtemp(&made.path, NULL);
}

TEST(test_faults_mkdtemp) {
  discover_first();
  ASSERT_GE(sweep_all("tf_mkdtemp", op_mkdtemp, undo_path_fd, NULL), 2);
}

static int op_mktemp(void *ctx) {
  (void)ctx;
  return tf_mktemp(&made.path, NULL);
}

TEST(test_faults_mktemp) {
  discover_first();
  ASSERT_GE(sweep_all("tf_mktemp", op_mktemp, undo_path_fd, NULL), 2);
}

static int op_mkstempat(void *ctx) {
  char *name = NULL;
  int fd = tf_mkstempat(*(int *)ctx, &name, NULL);
  if (fd >= 0) {
    made.fd = fd;
    made.path = name;
  }
  return fd;
}

static int op_mkdtempat(void *ctx) {
  char *name = NULL;
  int rc = tf_mkdtempat(*(int *)ctx, &name, NULL);
  if (rc >= 0)
    made.path = name;
  return rc;
}

static int op_mktempat(void *ctx) {
  char *name = NULL;
  int rc = tf_mktempat(*(int *)ctx, &name, NULL);
  if (rc >= 0)
    tf_free(name);
  return rc;
}

static int op_tmpfileat(void *ctx) {
  made.fd = tf_tmpfileat(*(int *)ctx, NULL);
  return made.fd;
}

/* A handle in dirfd, published relative to the same dirfd, freed. */
static int op_file_at_life(void *ctx) {
  int dfd = *(int *)ctx, rc;
  tf_file *f = NULL;
  rc = tf_file_createat(&f, dfd, NULL);
  if (rc < 0)
    return rc;
  rc = tf_file_publishat(f, dfd, "final", 0600, TF_NOCLOBBER);
  if (tf_file_free(f) < 0 && rc < 0)
    FAIL("free failed after a failed publish");
  return rc;
}

static void undo_final(void *ctx) {
  (void)ctx;
  ASSERT_EQ(unlink("final"), 0);
}

TEST(test_faults_at_forms) {
  int dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(dfd);
  ASSERT_GE(sweep_all("tf_mkstempat", op_mkstempat, undo_path_fd, &dfd), 2);
  ASSERT_GE(sweep_all("tf_mkdtempat", op_mkdtempat, undo_path_fd, &dfd), 2);
  ASSERT_GE(sweep_all("tf_mktempat", op_mktempat, NULL, &dfd), 2);
  ASSERT_GE(sweep_all("tf_tmpfileat", op_tmpfileat, undo_path_fd, &dfd), 1);
  ASSERT_GE(sweep_all("tf_file_createat + publishat", op_file_at_life,
                      undo_final, &dfd),
            7);
  close(dfd);
}

static int op_tmpfile(void *ctx) {
  (void)ctx;
  made.fd = tf_tmpfile(NULL);
  return made.fd;
}

TEST(test_faults_tmpfile_o_tmpfile_path) {
  if (!TF_HAVE_O_TMPFILE)
    SKIP("built without O_TMPFILE: the fallback path's sweep runs");
  discover_first();
  ASSERT_EQ(sweep_all("tf_tmpfile", op_tmpfile, undo_path_fd, NULL), 1);
}

TEST(test_faults_tmpfile_fallback_path) {
  discover_first();
  tf_test_without_o_tmpfile();
  /* The refused O_TMPFILE open is not counted; the named open, the
   * unlink (and a getrandom refill) are.  A failed unlink is the one case
   * that may leave the file: its removal is what failed. */
  ASSERT_GE(sweep_all("tf_tmpfile fallback", op_tmpfile, undo_path_fd, NULL),
            2);
  tf_test_restore_syscalls();
}

/* The whole life of a handle: create, write through the stream, close
 * (delete), free.  Any failure must still leave nothing behind. */
static int op_file_life(void *ctx) {
  tf_file *f = NULL;
  FILE *fp;
  int rc = tf_file_create(&f, (const tf_opts *)ctx);
  if (rc < 0)
    return rc;
  rc = tf_file_stream(f, &fp);
  if (rc == 0 && fputs("data", fp) < 0)
    rc = -EIO;
  if (rc == 0)
    rc = tf_file_close(f);
  {
    int rc_free = tf_file_free(f);
    if (rc == 0)
      rc = rc_free;
  }
  return rc;
}

TEST(test_faults_named_file_life) {
  tf_opts o = TF_OPTS_INIT;
  discover_first();
  ASSERT_GE(sweep_all("tf_file life", op_file_life, NULL, NULL), 6);
  o.flags = TF_DELETE_ON_FREE;
  ASSERT_GE(sweep_all("tf_file life (delete on free)", op_file_life, NULL, &o),
            6);
}

/* Create, publish, free.  Once published, a failing close in free is
 * reported by free but the file rightly stays: the sweep sees success. */
static int op_file_publish(void *ctx) {
  tf_file *f = NULL;
  int rc = tf_file_create(&f, NULL);
  if (rc < 0)
    return rc;
  rc = tf_file_publish(f, "final", 0644, *(unsigned *)ctx);
  if (tf_file_free(f) < 0 && rc < 0)
    FAIL("free failed after a failed publish");
  return rc;
}

static void undo_publish(void *ctx) {
  (void)ctx;
  ASSERT_EQ(unlink("final"), 0);
}

TEST(test_faults_publish_replace_and_noclobber) {
  unsigned replace = 0, noclobber = TF_NOCLOBBER;
  discover_first();
  ASSERT_GE(sweep_all("publish", op_file_publish, undo_publish, &replace), 7);
  ASSERT_GE(
      sweep_all("publish noclobber", op_file_publish, undo_publish, &noclobber),
      7);
}

TEST(test_faults_publish_noclobber_link_fallback) {
  unsigned noclobber = TF_NOCLOBBER;
  discover_first();
  tf_test_without_renameat2(ENOSYS);
  ASSERT_GE(sweep_all("publish noclobber via link", op_file_publish,
                      undo_publish, &noclobber),
            8);
  tf_test_restore_syscalls();
}

static int op_gettempdir(void *ctx) {
  char dir[PATH_MAX];
  (void)ctx;
  tf_settempdir(NULL);
  return tf_gettempdir(dir, sizeof(dir));
}

TEST(test_faults_gettempdir_discovery) {
  /* Failures make discovery move on to the next candidate (and succeed
   * there) or fail with a clean errno; the probe never leaves a file.
   * openat, write, close, unlinkat (getcwd only past the fixed places). */
  ASSERT_GE(sweep_all("tf_gettempdir", op_gettempdir, NULL, NULL), 4);
}

/* The first file made in the temporary directory doubles as the
 * discovery's probe: a failure anywhere moves on to the next candidate
 * or fails cleanly, and no file is left but the one returned. */
static int op_first_mkstemp(void *ctx) {
  int fd;
  (void)ctx;
  tf_settempdir(NULL);
  fd = tf_mkstemp(&made.path, NULL);
  made.fd = fd;
  return fd;
}

TEST(test_faults_first_mkstemp_discovers_without_a_probe_file) {
  char dir[PATH_MAX];
  /* malloc, openat, pwrite, ftruncate (getrandom when the pool is empty) */
  ASSERT_GE(sweep_all("first tf_mkstemp", op_first_mkstemp, undo_path_fd,
                      NULL),
            4);
  /* With every call working: the file is in the directory Python's
   * probe would have chosen, and that is the temporary directory now. */
  tf_settempdir(NULL);
  made.fd = tf_mkstemp(&made.path, NULL);
  ASSERT_GE(made.fd, 0);
  ASSERT_OK(tf_gettempdir(dir, sizeof(dir)));
  ASSERT_EQ(strncmp(made.path, dir, strlen(dir)), 0);
  ASSERT_EQ(made.path[strlen(dir)], '/');
  undo_path_fd(NULL);
}

static int op_settempdir(void *ctx) {
  (void)ctx;
  return tf_settempdir("relative/dir");
}

static void undo_settempdir(void *ctx) {
  (void)ctx;
  tf_settempdir(NULL);
}

TEST(test_faults_settempdir) {
  ASSERT_EQ(sweep_all("tf_settempdir", op_settempdir, undo_settempdir, NULL),
            1);
}
