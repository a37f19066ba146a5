/* SPDX-License-Identifier: MIT */
/*
 * tfbench - time one libtempfile workload, or the raw system calls it
 * stands on (the "floor").
 *
 *   tfbench WORKLOAD N DIR
 *
 * prints exactly one line on stdout:
 *
 *   WORKLOAD libtempfile NS ns/op
 *
 * where NS is the median, over REPS repetitions of N operations each, of
 * the time per operation.  One untimed repetition of N operations runs
 * first as a warm-up (page cache, dentry cache, malloc arena, the
 * library's one-time initialisation and its random pool).  So one run
 * performs (REPS + 1) * N operations (for the tree workloads: removes
 * REPS + 1 trees of 100 N + 101 entries); bench/run.sh relies on that to
 * turn system-call counts into per-operation counts.  REPS is 11, or
 * $TFBENCH_REPS when set (1 to 101).
 *
 * Workloads (DIR should be an absolute path, as it is from bench/run.sh):
 *   named          tf_mkstemp(&path, {.dir = DIR}), close, unlinkat(path), free
 *   named-floor    openat(O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC),
 *                  close, unlinkat on names made before the timer starts
 *                  (DIR/tmp + 12 characters, as long as the library's)
 *   named-at       tf_mkstempat(dirfd, &name, NULL), close,
 *                  unlinkat(dirfd, name), free: the form anchored on a
 *                  directory fd (opened once per repetition), which the
 *                  peers do not offer; the kernel walks one component
 *                  instead of the whole path
 *   named-at-floor openat(dirfd, name, ...), close, unlinkat(dirfd, name)
 *                  on names made beforehand
 *   named-handle   tf_file_create(&f, NULL), tf_file_free(f), in the
 *                  temporary directory, which is DIR (tf_settempdir(DIR)
 *                  before the warm-up, as Python's tempfile.tempdir = DIR;
 *                  the peers set theirs the same way)
 *   named-handle-untracked
 *                  the same with opts.flags TF_UNTRACKED (its floor is
 *                  named-floor too)
 *   named-handle-dir, dir-handle-empty-dir, dir-handle-3-dir
 *                  the same as without -dir, with {.dir = DIR}: the
 *                  directory named anew for each handle (one stat more)
 *   dir-handle-empty
 *                  tf_dir_create(&d, NULL) in the temporary directory
 *                  DIR, tf_dir_free(d)
 *   dir-handle-empty-floor
 *                  mkdirat(AT_FDCWD, 0700), rmdir on names made beforehand
 *   dir-handle-3   tf_dir_create(&d, NULL) in DIR, three one-byte files
 *                  f0 f1 f2 made inside by path (tf_dir_path(d) + "/f0":
 *                  openat(AT_FDCWD, O_WRONLY|O_CREAT|O_CLOEXEC, 0600),
 *                  write 1 byte, close), tf_dir_free(d)
 *   dir-handle-3-floor
 *                  mkdirat, the same three files by path, three unlinkat
 *                  by path, rmdir, on names made beforehand
 *   unnamed        tf_tmpfile({.dir = DIR}), close
 *   unnamed-floor  openat(DIR, O_TMPFILE|O_RDWR|O_EXCL|O_CLOEXEC), close
 *   mkdtemp        tf_mkdtemp(&path, {.dir = DIR}), rmdir(path), free
 *   mkdtemp-floor  mkdirat(AT_FDCWD, 0700), rmdir on names made beforehand
 *   tree           tf_rmtreeat(dirfd of DIR, "tree", 0) of a tree built
 *                  before the timer starts (see below)
 *   tree-handle    tf_dir_create({.dir = DIR}), the tree built inside it
 *                  through tf_dir_fd(), then tf_dir_cleanup() timed
 *   tree-floor     the unlinkat() calls no removal can avoid, on names
 *                  known in advance: per directory an openat() of it (to
 *                  anchor its entries' unlinkat) and a close(), per file
 *                  unlinkat(subdirfd, name, 0), per directory
 *                  unlinkat(parentfd, name, AT_REMOVEDIR)
 *
 * The tree workloads: N is the number of files per subdirectory, and one
 * "operation" is one entry removed.  The tree is DIR/tree (or the tf_dir)
 * holding 100 subdirectories d00..d99 of N one-byte files f00000..,
 * made in that order by mkdirat and openat(O_CREAT|O_EXCL), write, close:
 * 100 N + 101 entries counting the subdirectories and the top.  Every
 * repetition (the warm-up too) builds the same tree the same way,
 * untimed, then times its removal only; the time per operation is the
 * removal's time divided by 100 N + 101.
 *
 * The spool workloads: N spools per repetition, each written 64 MiB in
 * 4 KiB writes, then read back from the start in 64 KiB reads, then
 * ended; one "operation" is one 4 KiB write (and its share of the
 * reading back), so ns/op is per 4 KiB written and read.
 *   spool-mem        tf_spool_create(max_size 128 MiB: never reached),
 *                    tf_spool_write x 16384, tf_spool_seek(0),
 *                    tf_spool_read x 1024, tf_spool_free
 *   spool-mem-floor  memcpy into a 64 MiB buffer mapped at its final size
 *                    before the first write (fresh for each spool, aligned
 *                    and advised to use huge pages), and out again: the
 *                    copies and the fresh memory, with no growth
 *   spool-mem-malloc the same into malloc(64 MiB), freed after
 *   spool-mem-hot    the same into one buffer touched before the timer
 *                    starts and reused: the copies alone
 *   spool            the same with max_size 1 MiB and opts.dir DIR, so
 *                    it rolls over into an unnamed file in DIR
 *   spool-floor      openat(DIR, O_TMPFILE), fdopen with a 64 KiB stdio
 *                    buffer (the spool's), fwrite x 16384, fseek(0),
 *                    fread x 1024, fclose: one write(2) per 64 KiB
 * Every byte read back is checked against what was written.
 *
 * The atomic workloads: one operation is one complete durable replacement
 * of DIR/target with 4 KiB of new contents (a 4 KiB buffer whose byte i
 * is i * 131 + 7, its first byte set to the operation's index); DIR
 * should be on a disk-backed file system, not tmpfs (bench/run.sh uses
 * BENCH_ATOMIC_DIR, /tmp).  The target is created once before the
 * warm-up (untimed), so every operation replaces an existing file; after
 * the last repetition its contents are checked and it is removed.
 *   atomic         tf_write_file(DIR/target, buf, 4096,
 *                  {.mode = 0644, .flags = TF_SYNC_DURABLE})
 *   atomic-floor   what a careful C programmer writes by hand:
 *                  open(DIR/.target.tmp, O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC,
 *                  0644), write 4 KiB, fsync, close, rename over
 *                  DIR/target, open(DIR, O_RDONLY|O_DIRECTORY|O_CLOEXEC),
 *                  fsync, close
 *
 * The pool workloads: one operation is one use of a scratch file for
 * 4 KiB (a buffer of 'p' bytes) in DIR.
 *   pool           tf_pool_acquire of a tf_pool_create(capacity 1,
 *                  {.dir = DIR}) made before the warm-up, write 4 KiB,
 *                  tf_pool_release (truncate, seek to 0); after the last
 *                  repetition the file is checked to be empty and the
 *                  pool freed (untimed)
 *   named-write    the same use without a pool: tf_file_create(&f,
 *                  {.dir = DIR}), write 4 KiB, tf_file_close (close and
 *                  unlink), tf_file_free
 *
 * Any failure is reported on stderr and exits 1; a bad command line
 * exits 2.  Nothing is left in DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tempfile.h"
#include "clock.h"

#define DEFAULT_REPS 11
#define MAX_REPS 101
#define FLOOR_PREFIX "tmp"
#define FLOOR_RANDOM_LEN TF_RANDOM_LEN_DEFAULT

static const char *g_dir;
static tf_opts g_opts = TF_OPTS_INIT;
static int g_dirfd = -1; /* DIR, for the tree workloads */

/* Names for the floor workloads: n paths of the same shape as the
 * library's, in one block, made before the timer starts. */
static char *g_names;
static size_t g_name_size;
static unsigned long long g_rng;

static void die(const char *what, int err) {
  fprintf(stderr, "tfbench: %s: %s\n", what, strerror(err < 0 ? -err : err));
  exit(1);
}

static unsigned long long rng_next(void) {
  /* xorshift64*: plenty for names that must merely differ. */
  g_rng ^= g_rng >> 12;
  g_rng ^= g_rng << 25;
  g_rng ^= g_rng >> 27;
  return g_rng * 2685821657736338717ULL;
}

static void make_names(long n) {
  static const char alphabet[] = TF_ALPHABET;
  size_t dir_len = strlen(g_dir);
  size_t sep = dir_len > 0 && g_dir[dir_len - 1] != '/';
  size_t head = dir_len + sep + strlen(FLOOR_PREFIX);
  long i;
  int j;
  if (g_names == NULL) {
    g_name_size = head + FLOOR_RANDOM_LEN + 1;
    g_names = malloc(g_name_size * (size_t)n);
    if (g_names == NULL)
      die("malloc", ENOMEM);
  }
  for (i = 0; i < n; i++) {
    char *p = g_names + (size_t)i * g_name_size;
    memcpy(p, g_dir, dir_len);
    if (sep)
      p[dir_len] = '/';
    memcpy(p + dir_len + sep, FLOOR_PREFIX, strlen(FLOOR_PREFIX));
    for (j = 0; j < FLOOR_RANDOM_LEN; j++)
      p[head + j] = alphabet[rng_next() % (sizeof(alphabet) - 1)];
    p[head + FLOOR_RANDOM_LEN] = '\0';
  }
}

static const char *name_at(long i) { return g_names + (size_t)i * g_name_size; }

/* dir-handle-3-floor: the paths of the files f0 f1 f2 inside each name,
 * DIR_FILES per name, made with the names. */
#define DIR_FILES 3
#define DIR_FILE_SUFFIX 3 /* "/f0" */
static char *g_file_names;
static size_t g_file_name_size;

static void make_file_names(long n) {
  long i;
  int k;
  if (g_file_names == NULL) {
    g_file_name_size = g_name_size + DIR_FILE_SUFFIX;
    g_file_names = malloc(g_file_name_size * DIR_FILES * (size_t)n);
    if (g_file_names == NULL)
      die("malloc", ENOMEM);
  }
  for (i = 0; i < n; i++)
    for (k = 0; k < DIR_FILES; k++)
      snprintf(g_file_names + ((size_t)i * DIR_FILES + (size_t)k) * g_file_name_size,
               g_file_name_size, "%s/f%d", name_at(i), k);
}

static const char *file_name_at(long i, int k) {
  return g_file_names + ((size_t)i * DIR_FILES + (size_t)k) * g_file_name_size;
}

/* The basename part of name_at(i). */
static const char *base_at(long i) {
  size_t dir_len = strlen(g_dir);
  return name_at(i) + dir_len + (dir_len > 0 && g_dir[dir_len - 1] != '/');
}

static int open_dir(void) {
  int dfd = open(g_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    die("open DIR", errno);
  return dfd;
}

/* ------------------------------------------------------------ workloads */

static void run_named(long n) {
  long i;
  for (i = 0; i < n; i++) {
    char *path;
    int fd = tf_mkstemp(&path, &g_opts);
    if (fd < 0)
      die("tf_mkstemp", fd);
    if (close(fd) != 0)
      die("close", errno);
    if (unlinkat(AT_FDCWD, path, 0) != 0) /* as the floor does */
      die("unlink", errno);
    free(path);
  }
}

static void run_named_floor(long n) {
  long i;
  for (i = 0; i < n; i++) {
    const char *path = name_at(i);
    int fd = openat(AT_FDCWD, path,
                    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
      die("openat", errno);
    if (close(fd) != 0)
      die("close", errno);
    if (unlinkat(AT_FDCWD, path, 0) != 0)
      die("unlinkat", errno);
  }
}

static void run_named_at(long n) {
  int dfd = open_dir();
  long i;
  for (i = 0; i < n; i++) {
    char *name;
    int fd = tf_mkstempat(dfd, &name, NULL);
    if (fd < 0)
      die("tf_mkstempat", fd);
    if (close(fd) != 0)
      die("close", errno);
    if (unlinkat(dfd, name, 0) != 0)
      die("unlinkat", errno);
    free(name);
  }
  close(dfd);
}

static void run_named_at_floor(long n) {
  int dfd = open_dir();
  long i;
  for (i = 0; i < n; i++) {
    const char *name = base_at(i);
    int fd = openat(dfd, name,
                    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
      die("openat", errno);
    if (close(fd) != 0)
      die("close", errno);
    if (unlinkat(dfd, name, 0) != 0)
      die("unlinkat", errno);
  }
  close(dfd);
}

/* The handles' options: the temporary directory (DIR), or for the -dir
 * workloads {.dir = DIR}. */
static tf_opts g_handle_opts = TF_OPTS_INIT;

static void run_named_handle(long n) {
  long i;
  for (i = 0; i < n; i++) {
    tf_file *f;
    int rc = tf_file_create(&f, &g_handle_opts);
    if (rc < 0)
      die("tf_file_create", rc);
    rc = tf_file_free(f);
    if (rc < 0)
      die("tf_file_free", rc);
  }
}

static void run_named_handle_untracked(long n) {
  tf_opts opts = g_handle_opts;
  long i;
  opts.flags = TF_UNTRACKED;
  for (i = 0; i < n; i++) {
    tf_file *f;
    int rc = tf_file_create(&f, &opts);
    if (rc < 0)
      die("tf_file_create", rc);
    rc = tf_file_free(f);
    if (rc < 0)
      die("tf_file_free", rc);
  }
}

/* A one-byte file made by path, as a caller makes one in a directory it
 * knows by name. */
static void dir_file(const char *path) {
  int fd = openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    die("openat file", errno);
  if (write(fd, "x", 1) != 1)
    die("write", errno ? errno : EIO);
  if (close(fd) != 0)
    die("close", errno);
}

static void dir_handle(long n, int files) {
  char path[4096];
  long i;
  for (i = 0; i < n; i++) {
    tf_dir *d;
    int k, rc = tf_dir_create(&d, &g_handle_opts);
    if (rc < 0)
      die("tf_dir_create", rc);
    if (files > 0) {
      const char *p = tf_dir_path(d);
      size_t len = strlen(p);
      if (len + DIR_FILE_SUFFIX >= sizeof(path))
        die("tf_dir_path", ENAMETOOLONG);
      memcpy(path, p, len);
      memcpy(path + len, "/f0", DIR_FILE_SUFFIX + 1);
      for (k = 0; k < files; k++) {
        path[len + 2] = (char)('0' + k);
        dir_file(path);
      }
    }
    rc = tf_dir_free(d);
    if (rc < 0)
      die("tf_dir_free", rc);
  }
}

static void run_dir_handle_empty(long n) { dir_handle(n, 0); }
static void run_dir_handle_3(long n) { dir_handle(n, DIR_FILES); }

static void run_dir_handle_empty_floor(long n) {
  long i;
  for (i = 0; i < n; i++) {
    const char *path = name_at(i);
    if (mkdirat(AT_FDCWD, path, 0700) != 0)
      die("mkdirat", errno);
    if (rmdir(path) != 0)
      die("rmdir", errno);
  }
}

static void run_dir_handle_3_floor(long n) {
  long i;
  int k;
  for (i = 0; i < n; i++) {
    const char *path = name_at(i);
    if (mkdirat(AT_FDCWD, path, 0700) != 0)
      die("mkdirat", errno);
    for (k = 0; k < DIR_FILES; k++)
      dir_file(file_name_at(i, k));
    for (k = 0; k < DIR_FILES; k++)
      if (unlinkat(AT_FDCWD, file_name_at(i, k), 0) != 0)
        die("unlinkat", errno);
    if (rmdir(path) != 0)
      die("rmdir", errno);
  }
}

static void run_unnamed(long n) {
  long i;
  for (i = 0; i < n; i++) {
    int fd = tf_tmpfile(&g_opts);
    if (fd < 0)
      die("tf_tmpfile", fd);
    if (close(fd) != 0)
      die("close", errno);
  }
}

static void run_unnamed_floor(long n) {
  long i;
  for (i = 0; i < n; i++) {
    int fd = openat(AT_FDCWD, g_dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC,
                    0600);
    if (fd < 0)
      die("openat O_TMPFILE", errno);
    if (close(fd) != 0)
      die("close", errno);
  }
}

static void run_mkdtemp(long n) {
  long i;
  for (i = 0; i < n; i++) {
    char *path;
    int rc = tf_mkdtemp(&path, &g_opts);
    if (rc < 0)
      die("tf_mkdtemp", rc);
    if (rmdir(path) != 0)
      die("rmdir", errno);
    free(path);
  }
}

static void run_mkdtemp_floor(long n) {
  long i;
  for (i = 0; i < n; i++) {
    const char *path = name_at(i);
    if (mkdirat(AT_FDCWD, path, 0700) != 0)
      die("mkdirat", errno);
    if (rmdir(path) != 0)
      die("rmdir", errno);
  }
}

/* ----------------------------------------------------------------- tree */

#define TREE_TOP "tree"
#define TREE_SUBDIRS 100
#define TREE_SUB_LEN 4   /* "d00" + NUL */
#define TREE_FILE_LEN 7  /* "f00000" + NUL */
#define TREE_MAX_FILES 99999L
#define TREE_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

static char g_subs[TREE_SUBDIRS][TREE_SUB_LEN];
static char (*g_files)[TREE_FILE_LEN]; /* N names, the same in every subdir */
static tf_dir *g_tree_dir;             /* tree-handle: the current tf_dir */

static long tree_entries(long n) { return TREE_SUBDIRS * n + TREE_SUBDIRS + 1; }

static void tree_names(long n) {
  long i;
  if (n > TREE_MAX_FILES) {
    fprintf(stderr, "tfbench: tree: N must be at most %ld\n", TREE_MAX_FILES);
    exit(2);
  }
  for (i = 0; i < TREE_SUBDIRS; i++)
    snprintf(g_subs[i], TREE_SUB_LEN, "d%02ld", i);
  g_files = malloc(sizeof(*g_files) * (size_t)n);
  if (g_files == NULL)
    die("malloc", ENOMEM);
  for (i = 0; i < n; i++)
    snprintf(g_files[i], TREE_FILE_LEN, "f%05ld", i);
}

/* Fill the directory open at topfd: 100 subdirectories of n one-byte
 * files, always the same names in the same order. */
static void fill_tree(int topfd, long n) {
  int i;
  long j;
  for (i = 0; i < TREE_SUBDIRS; i++) {
    int sfd;
    if (mkdirat(topfd, g_subs[i], 0700) != 0)
      die("mkdirat", errno);
    sfd = openat(topfd, g_subs[i], TREE_DIR_FLAGS);
    if (sfd < 0)
      die("openat subdir", errno);
    for (j = 0; j < n; j++) {
      int fd = openat(sfd, g_files[j],
                      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0)
        die("openat file", errno);
      if (write(fd, "x", 1) != 1)
        die("write", errno ? errno : EIO);
      if (close(fd) != 0)
        die("close", errno);
    }
    if (close(sfd) != 0)
      die("close", errno);
  }
}

/* tree, tree-floor: DIR/tree, built untimed. */
static void build_tree(long n) {
  int topfd;
  if (mkdirat(g_dirfd, TREE_TOP, 0700) != 0)
    die("mkdirat " TREE_TOP, errno);
  topfd = openat(g_dirfd, TREE_TOP, TREE_DIR_FLAGS);
  if (topfd < 0)
    die("openat " TREE_TOP, errno);
  fill_tree(topfd, n);
  if (close(topfd) != 0)
    die("close", errno);
}

static void run_tree(long n) {
  int rc = tf_rmtreeat(g_dirfd, TREE_TOP, 0);
  (void)n;
  if (rc < 0)
    die("tf_rmtreeat", rc);
}

/* tree-handle: a tf_dir in DIR, filled through its fd, built untimed. */
static void build_tree_handle(long n) {
  int rc = tf_dir_create(&g_tree_dir, &g_opts);
  if (rc < 0)
    die("tf_dir_create", rc);
  fill_tree(tf_dir_fd(g_tree_dir), n);
}

static void run_tree_handle(long n) {
  int rc = tf_dir_cleanup(g_tree_dir);
  (void)n;
  if (rc < 0)
    die("tf_dir_cleanup", rc);
}

static void end_tree_handle(void) { /* untimed */
  int rc = tf_dir_free(g_tree_dir);
  g_tree_dir = NULL;
  if (rc < 0)
    die("tf_dir_free", rc);
}

/* The floor: every unlinkat the removal cannot avoid, on the names known
 * in advance; each directory is opened once to anchor its entries'
 * unlinkat, as a removal by fd must (opened inside the timed part). */
static void run_tree_floor(long n) {
  int topfd = openat(g_dirfd, TREE_TOP, TREE_DIR_FLAGS), i;
  long j;
  if (topfd < 0)
    die("openat " TREE_TOP, errno);
  for (i = 0; i < TREE_SUBDIRS; i++) {
    int sfd = openat(topfd, g_subs[i], TREE_DIR_FLAGS);
    if (sfd < 0)
      die("openat subdir", errno);
    for (j = 0; j < n; j++)
      if (unlinkat(sfd, g_files[j], 0) != 0)
        die("unlinkat", errno);
    if (close(sfd) != 0)
      die("close", errno);
    if (unlinkat(topfd, g_subs[i], AT_REMOVEDIR) != 0)
      die("unlinkat subdir", errno);
  }
  if (close(topfd) != 0)
    die("close", errno);
  if (unlinkat(g_dirfd, TREE_TOP, AT_REMOVEDIR) != 0)
    die("unlinkat " TREE_TOP, errno);
}

/* ------------------------------------------------------------- spools */

#define SPOOL_TOTAL ((size_t)64 << 20)
#define SPOOL_WRITE ((size_t)4 << 10)
#define SPOOL_READ ((size_t)64 << 10)
#define SPOOL_WRITES (SPOOL_TOTAL / SPOOL_WRITE)

/* Data buffers are page-aligned: memcpy (rep movsb) runs at half speed
 * when source and destination disagree modulo 64, so an unaligned
 * buffer would make a result depend on where the linker put it. */
#define PAGE_ALIGNED __attribute__((aligned(4096)))

static unsigned char g_src[SPOOL_WRITE] PAGE_ALIGNED;
static unsigned char g_dst[SPOOL_READ] PAGE_ALIGNED;
static unsigned char *g_floor_buf; /* spool-mem-floor */
/* spool-floor's stdio buffer */
static unsigned char g_stdio_buf[SPOOL_READ] PAGE_ALIGNED;

/* The data: write i is g_src with its first byte set to i; reading back
 * checks that byte of every 4 KiB and the rest of one in 16. */
static void spool_init(void) {
  size_t i;
  for (i = 0; i < SPOOL_WRITE; i++)
    g_src[i] = (unsigned char)(i * 131u + 7u);
}

static const unsigned char *src_for(size_t i) {
  g_src[0] = (unsigned char)i;
  return g_src;
}

static void check_read(size_t chunk) {
  size_t k, base = chunk * (SPOOL_READ / SPOOL_WRITE);
  for (k = 0; k < SPOOL_READ / SPOOL_WRITE; k++) {
    const unsigned char *got = g_dst + k * SPOOL_WRITE;
    if (got[0] != (unsigned char)(base + k) ||
        (k % 16 == 0 && memcmp(got + 1, g_src + 1, SPOOL_WRITE - 1) != 0)) {
      fprintf(stderr, "tfbench: spool data differs at write %zu\n", base + k);
      exit(1);
    }
  }
}

static void spool_once(size_t max_size, const tf_opts *opts) {
  tf_spool *s;
  size_t i;
  int rc = tf_spool_create(&s, max_size, opts);
  if (rc < 0)
    die("tf_spool_create", -rc);
  for (i = 0; i < SPOOL_WRITES; i++) {
    ssize_t w = tf_spool_write(s, src_for(i), SPOOL_WRITE);
    if (w != (ssize_t)SPOOL_WRITE)
      die("tf_spool_write", w < 0 ? (int)-w : EIO);
  }
  if (tf_spool_seek(s, 0, SEEK_SET) != 0)
    die("tf_spool_seek", EIO);
  for (i = 0; i < SPOOL_TOTAL / SPOOL_READ; i++) {
    ssize_t r = tf_spool_read(s, g_dst, SPOOL_READ);
    if (r != (ssize_t)SPOOL_READ)
      die("tf_spool_read", r < 0 ? (int)-r : EIO);
    check_read(i);
  }
  if ((max_size == SPOOL_TOTAL * 2) == tf_spool_rolled(s))
    die("the spool rolled over, or did not", EINVAL);
  rc = tf_spool_free(s);
  if (rc < 0)
    die("tf_spool_free", -rc);
}

static void run_spool_mem(long n) {
  long k;
  for (k = 0; k < n; k++)
    spool_once(SPOOL_TOTAL * 2, NULL);
}

static void run_spool(long n) {
  long k;
  for (k = 0; k < n; k++)
    spool_once((size_t)1 << 20, &g_opts);
}

/* The copies into memory allocated at its final size before the first
 * write, so nothing grows.  FRESH: mapped for each spool as a spool's
 * must be, the fastest way (aligned, huge pages advised, as the library
 * maps its large chunks), and unmapped after; MALLOC: malloc()ed for
 * each spool; HOT: one buffer touched before the timer starts and reused,
 * so no page is faulted or zeroed (what no spool that gives its memory
 * back can reach). */
enum floor_mem { FRESH, MALLOC, HOT };

/* libc's memcpy, as the library calls it: not the copy the compiler
 * would inline for a constant size, so the floor copies no faster (or
 * slower) than any library can. */
static void *(*volatile copy)(void *, const void *, size_t) = memcpy;

static unsigned char *fresh_map(void) {
  size_t align = (size_t)2 << 20, span = SPOOL_TOTAL + align;
  unsigned char *p = mmap(NULL, span, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *start;
  if (p == MAP_FAILED)
    die("mmap", errno);
  start = p + (align - (uintptr_t)p % align) % align;
  if (start > p)
    munmap(p, (size_t)(start - p));
  munmap(start + SPOOL_TOTAL, (size_t)(p + span - (start + SPOOL_TOTAL)));
  madvise(start, SPOOL_TOTAL, MADV_HUGEPAGE);
  return start;
}

static void spool_mem_floor(long n, enum floor_mem how) {
  long k;
  size_t i;
  if (how == HOT && g_floor_buf == NULL) {
    g_floor_buf = malloc(SPOOL_TOTAL);
    if (g_floor_buf == NULL)
      die("malloc", ENOMEM);
    memset(g_floor_buf, 0, SPOOL_TOTAL);
  }
  for (k = 0; k < n; k++) {
    unsigned char *buf = how == HOT      ? g_floor_buf
                         : how == MALLOC ? malloc(SPOOL_TOTAL)
                                         : fresh_map();
    if (buf == NULL)
      die("malloc", ENOMEM);
    for (i = 0; i < SPOOL_WRITES; i++)
      copy(buf + i * SPOOL_WRITE, src_for(i), SPOOL_WRITE);
    for (i = 0; i < SPOOL_TOTAL / SPOOL_READ; i++) {
      copy(g_dst, buf + i * SPOOL_READ, SPOOL_READ);
      check_read(i);
    }
    if (how == MALLOC)
      free(buf);
    else if (how == FRESH)
      munmap(buf, SPOOL_TOTAL);
  }
}

static void run_spool_mem_floor(long n) { spool_mem_floor(n, FRESH); }
static void run_spool_mem_malloc(long n) { spool_mem_floor(n, MALLOC); }
static void run_spool_mem_hot(long n) { spool_mem_floor(n, HOT); }

static void run_spool_floor(long n) {
  long k;
  size_t i;
  for (k = 0; k < n; k++) {
    FILE *fp;
    int fd = openat(AT_FDCWD, g_dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC,
                    0600);
    if (fd < 0)
      die("openat O_TMPFILE", errno);
    fp = fdopen(fd, "w+");
    /* (glibc ignores the size unless it is given the buffer too) */
    if (fp == NULL || setvbuf(fp, (char *)g_stdio_buf, _IOFBF, SPOOL_READ) != 0)
      die("fdopen", errno);
    for (i = 0; i < SPOOL_WRITES; i++)
      if (fwrite(src_for(i), 1, SPOOL_WRITE, fp) != SPOOL_WRITE)
        die("fwrite", errno);
    if (fseek(fp, 0, SEEK_SET) != 0)
      die("fseek", errno);
    for (i = 0; i < SPOOL_TOTAL / SPOOL_READ; i++) {
      if (fread(g_dst, 1, SPOOL_READ, fp) != SPOOL_READ)
        die("fread", EIO);
      check_read(i);
    }
    if (fclose(fp) != 0)
      die("fclose", errno);
  }
}

/* --------------------------------------------------------------- atomic */

#define ATOMIC_SIZE 4096
#define ATOMIC_TARGET "target"
#define ATOMIC_FLOOR_TMP ".target.tmp"

static unsigned char g_atomic_buf[ATOMIC_SIZE] PAGE_ALIGNED;
static unsigned long g_atomic_ops; /* operations so far (the first byte) */
static char *g_target;             /* DIR/target */
static char *g_floor_tmp;          /* DIR/.target.tmp */

static char *dir_path(const char *name) {
  size_t dir_len = strlen(g_dir);
  int sep = dir_len > 0 && g_dir[dir_len - 1] != '/';
  char *p = malloc(dir_len + (size_t)sep + strlen(name) + 1);
  if (p == NULL)
    die("malloc", ENOMEM);
  memcpy(p, g_dir, dir_len);
  if (sep)
    p[dir_len] = '/';
  strcpy(p + dir_len + (size_t)sep, name);
  return p;
}

/* The next contents: a new first byte for every operation. */
static const unsigned char *atomic_next(void) {
  g_atomic_buf[0] = (unsigned char)g_atomic_ops++;
  return g_atomic_buf;
}

static void write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      die("write", w < 0 ? errno : EIO);
    p += w;
    n -= (size_t)w;
  }
}

/* Create path with the next contents, fsynced and closed. */
static void write_synced(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    die("open", errno);
  write_all(fd, atomic_next(), ATOMIC_SIZE);
  if (fsync(fd) != 0)
    die("fsync", errno);
  if (close(fd) != 0)
    die("close", errno);
}

/* Untimed, once before the warm-up: the target exists from the start,
 * so every operation replaces a file. */
static void atomic_setup(long n) {
  size_t i;
  (void)n;
  for (i = 0; i < ATOMIC_SIZE; i++)
    g_atomic_buf[i] = (unsigned char)(i * 131u + 7u);
  g_target = dir_path(ATOMIC_TARGET);
  g_floor_tmp = dir_path(ATOMIC_FLOOR_TMP);
  write_synced(g_target);
}

/* Untimed, once at the end: the target holds the last contents written;
 * it is removed. */
static void atomic_teardown(void) {
  unsigned char got[ATOMIC_SIZE + 1];
  ssize_t r;
  int fd = open(g_target, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    die("open the target", errno);
  r = read(fd, got, sizeof(got));
  if (r != ATOMIC_SIZE || memcmp(got, g_atomic_buf, ATOMIC_SIZE) != 0) {
    fprintf(stderr, "tfbench: the target does not hold the last contents\n");
    exit(1);
  }
  close(fd);
  if (unlink(g_target) != 0)
    die("unlink the target", errno);
  free(g_target);
  free(g_floor_tmp);
  g_target = g_floor_tmp = NULL;
}

static void run_atomic(long n) {
  tf_opts opts = TF_OPTS_INIT;
  long i;
  opts.mode = 0644;
  opts.flags = TF_SYNC_DURABLE;
  for (i = 0; i < n; i++) {
    int rc = tf_write_file(g_target, atomic_next(), ATOMIC_SIZE, &opts);
    if (rc != 0)
      die("tf_write_file", rc);
  }
}

static void run_atomic_floor(long n) {
  long i;
  for (i = 0; i < n; i++) {
    int fd;
    write_synced(g_floor_tmp);
    if (rename(g_floor_tmp, g_target) != 0)
      die("rename", errno);
    fd = open(g_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      die("open DIR", errno);
    if (fsync(fd) != 0)
      die("fsync DIR", errno);
    if (close(fd) != 0)
      die("close", errno);
  }
}

/* ----------------------------------------------------------------- pool */

#define POOL_WRITE 4096

static unsigned char g_pool_buf[POOL_WRITE] PAGE_ALIGNED;
static tf_pool *g_pool;

static void scratch_setup(long n) {
  (void)n;
  memset(g_pool_buf, 'p', sizeof(g_pool_buf));
}

/* Untimed, once before the warm-up (which makes the pool's one file). */
static void pool_setup(long n) {
  int rc;
  scratch_setup(n);
  rc = tf_pool_create(&g_pool, 1, &g_opts);
  if (rc < 0)
    die("tf_pool_create", rc);
}

static void run_pool(long n) {
  long i;
  for (i = 0; i < n; i++) {
    int rc, fd = tf_pool_acquire(g_pool);
    if (fd < 0)
      die("tf_pool_acquire", fd);
    write_all(fd, g_pool_buf, POOL_WRITE);
    rc = tf_pool_release(g_pool, fd);
    if (rc < 0)
      die("tf_pool_release", rc);
  }
}

/* Untimed, once at the end: the file the pool hands out is empty and at
 * offset 0 after all those writes; freeing the pool leaves nothing. */
static void pool_teardown(void) {
  struct stat st;
  int rc, fd = tf_pool_acquire(g_pool);
  if (fd < 0)
    die("tf_pool_acquire", fd);
  if (fstat(fd, &st) != 0)
    die("fstat", errno);
  if (st.st_size != 0 || lseek(fd, 0, SEEK_CUR) != 0) {
    fprintf(stderr, "tfbench: the pool handed out a file that is not empty\n");
    exit(1);
  }
  rc = tf_pool_free(g_pool);
  g_pool = NULL;
  if (rc < 0)
    die("tf_pool_free", rc);
}

static void run_named_write(long n) {
  long i;
  for (i = 0; i < n; i++) {
    tf_file *f;
    int rc = tf_file_create(&f, &g_opts);
    if (rc < 0)
      die("tf_file_create", rc);
    write_all(tf_file_fd(f), g_pool_buf, POOL_WRITE);
    rc = tf_file_close(f); /* closes and unlinks: the default policy */
    if (rc < 0)
      die("tf_file_close", rc);
    rc = tf_file_free(f);
    if (rc < 0)
      die("tf_file_free", rc);
  }
}

struct workload {
  const char *name;
  void (*run)(long n);
  int needs_names;             /* 1: names; 2: and DIR_FILES paths in each */
  int tree;                    /* N files per subdirectory, per entry */
  void (*build)(long n);       /* untimed, before each repetition */
  void (*end)(void);           /* untimed, after each repetition */
  void (*setup)(long n);       /* untimed, once before the warm-up */
  void (*teardown)(void);      /* untimed, once after the last repetition */
};

static const struct workload workloads[] = {
    {"named", run_named, 0, 0, NULL, NULL, NULL, NULL},
    {"named-floor", run_named_floor, 1, 0, NULL, NULL, NULL, NULL},
    {"named-at", run_named_at, 0, 0, NULL, NULL, NULL, NULL},
    {"named-at-floor", run_named_at_floor, 1, 0, NULL, NULL, NULL, NULL},
    {"named-handle", run_named_handle, 0, 0, NULL, NULL, NULL, NULL},
    {"named-handle-dir", run_named_handle, 0, 0, NULL, NULL, NULL, NULL},
    {"named-handle-untracked", run_named_handle_untracked, 0, 0, NULL, NULL,
     NULL, NULL},
    {"dir-handle-empty", run_dir_handle_empty, 0, 0, NULL, NULL, NULL, NULL},
    {"dir-handle-empty-dir", run_dir_handle_empty, 0, 0, NULL, NULL, NULL,
     NULL},
    {"dir-handle-empty-floor", run_dir_handle_empty_floor, 1, 0, NULL, NULL,
     NULL, NULL},
    {"dir-handle-3", run_dir_handle_3, 0, 0, NULL, NULL, NULL, NULL},
    {"dir-handle-3-dir", run_dir_handle_3, 0, 0, NULL, NULL, NULL, NULL},
    {"dir-handle-3-floor", run_dir_handle_3_floor, 2, 0, NULL, NULL, NULL,
     NULL},
    {"unnamed", run_unnamed, 0, 0, NULL, NULL, NULL, NULL},
    {"unnamed-floor", run_unnamed_floor, 0, 0, NULL, NULL, NULL, NULL},
    {"mkdtemp", run_mkdtemp, 0, 0, NULL, NULL, NULL, NULL},
    {"mkdtemp-floor", run_mkdtemp_floor, 1, 0, NULL, NULL, NULL, NULL},
    {"tree", run_tree, 0, 1, build_tree, NULL, NULL, NULL},
    {"tree-handle", run_tree_handle, 0, 1, build_tree_handle, end_tree_handle,
     NULL, NULL},
    {"tree-floor", run_tree_floor, 0, 1, build_tree, NULL, NULL, NULL},
    {"spool-mem", run_spool_mem, 0, 0, NULL, NULL, NULL, NULL},
    {"spool-mem-floor", run_spool_mem_floor, 0, 0, NULL, NULL, NULL, NULL},
    {"spool-mem-malloc", run_spool_mem_malloc, 0, 0, NULL, NULL, NULL, NULL},
    {"spool-mem-hot", run_spool_mem_hot, 0, 0, NULL, NULL, NULL, NULL},
    {"spool", run_spool, 0, 0, NULL, NULL, NULL, NULL},
    {"spool-floor", run_spool_floor, 0, 0, NULL, NULL, NULL, NULL},
    {"atomic", run_atomic, 0, 0, NULL, NULL, atomic_setup, atomic_teardown},
    {"atomic-floor", run_atomic_floor, 0, 0, NULL, NULL, atomic_setup,
     atomic_teardown},
    {"pool", run_pool, 0, 0, NULL, NULL, pool_setup, pool_teardown},
    {"named-write", run_named_write, 0, 0, NULL, NULL, scratch_setup, NULL},
};

/* ---------------------------------------------------------------- timing */

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof(*v), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void usage(void) {
  size_t i;
  fprintf(stderr, "usage: tfbench WORKLOAD N DIR\nworkloads:");
  for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
    fprintf(stderr, " %s", workloads[i].name);
  fputc('\n', stderr);
  exit(2);
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The workload named name, or NULL. */
static const struct workload *find_workload(const char *name) {
  size_t i;
  for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
    if (strcmp(name, workloads[i].name) == 0)
      return &workloads[i];
  return NULL;
}

/*
 * W-paired (W is tree, spool-mem, spool or atomic): the workload and its
 * floor alternately in this one process, a fresh tree before each for tree,
 * the order swapped every pair.  On a machine whose speed drifts from
 * one process to the next (this one does, by 30%), the median of the
 * per-pair ratios is the comparison with the floor that the drift cannot
 * move.  Prints "W-paired ratio R lib L floor F pairs P" (L and F in
 * ns/op).
 */
static int run_paired(const struct workload *lib, const struct workload *flr,
                      long n, double ops, int pairs) {
  double ratio[MAX_REPS], lib_ns[MAX_REPS], floor_ns[MAX_REPS];
  int p;
  for (p = 0; p < pairs; p++) {
    int k;
    for (k = 0; k < 2; k++) {
      const struct workload *w = (k == 0) == (p % 2 == 0) ? lib : flr;
      double t0;
      if (w->build)
        w->build(n);
      t0 = now_ns();
      w->run(n);
      *(w == lib ? &lib_ns[p] : &floor_ns[p]) = (now_ns() - t0) / ops;
    }
    ratio[p] = lib_ns[p] / floor_ns[p];
  }
  qsort(ratio, (size_t)pairs, sizeof(double), by_value);
  printf("%s-paired ratio %.3f lib %.1f floor %.1f pairs %d\n", lib->name,
         ratio[pairs / 2], median(lib_ns, pairs), median(floor_ns, pairs),
         pairs);
  return 0;
}

int main(int argc, char **argv) {
  const struct workload *w = NULL, *paired_floor = NULL;
  double per_op[MAX_REPS], ops;
  const char *env;
  char *end;
  long n;
  int reps = DEFAULT_REPS, r;
  struct stat st;

  if (argc != 4)
    usage();
  {
    const char *dash = strrchr(argv[1], '-');
    if (dash != NULL && strcmp(dash, "-paired") == 0) {
      char base[64], flr[80];
      snprintf(base, sizeof(base), "%.*s", (int)(dash - argv[1]), argv[1]);
      snprintf(flr, sizeof(flr), "%s-floor", base);
      w = find_workload(base);
      paired_floor = find_workload(flr);
      if (paired_floor == NULL || paired_floor->needs_names)
        w = NULL; /* (no fresh names between the pairs) */
    } else {
      w = find_workload(argv[1]);
    }
  }
  if (w == NULL) {
    fprintf(stderr, "tfbench: unknown workload '%s'\n", argv[1]);
    usage();
  }
  errno = 0;
  n = strtol(argv[2], &end, 10);
  if (errno != 0 || end == argv[2] || *end != '\0' || n < 1 ||
      n > 100000000L) {
    fprintf(stderr, "tfbench: N must be an integer from 1 to 100000000\n");
    usage();
  }
  g_dir = argv[3];
  if (stat(g_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "tfbench: %s: not a directory\n", g_dir);
    exit(2);
  }
  env = getenv("TFBENCH_REPS");
  if (env != NULL && *env != '\0') {
    reps = atoi(env);
    if (reps < 1 || reps > MAX_REPS) {
      fprintf(stderr, "tfbench: TFBENCH_REPS must be 1 to %d\n", MAX_REPS);
      exit(2);
    }
  }
  g_opts.dir = g_dir;
  if (tf_settempdir(g_dir) < 0) {
    fprintf(stderr, "tfbench: tf_settempdir %s failed\n", g_dir);
    exit(2);
  }
  {
    size_t len = strlen(w->name);
    if (len > 4 && strcmp(w->name + len - 4, "-dir") == 0)
      g_handle_opts.dir = g_dir;
  }
  ops = (double)n;
  if (strncmp(w->name, "spool", 5) == 0) {
    spool_init();
    ops = (double)n * (double)SPOOL_WRITES;
  }
  g_rng = (unsigned long long)now_ns() ^ ((unsigned long long)getpid() << 32);
  if (g_rng == 0)
    g_rng = 88172645463325252ULL;

  if (w->tree) {
    g_dirfd = open_dir();
    tree_names(n);
    ops = (double)tree_entries(n);
  }
  if (w->setup)
    w->setup(n); /* (the floor's is the same) */
  if (paired_floor != NULL) {
    /* Warm-up: one untimed run of each. */
    if (w->build)
      w->build(n);
    w->run(n);
    if (paired_floor->build)
      paired_floor->build(n);
    paired_floor->run(n);
    r = run_paired(w, paired_floor, n, ops, reps);
    if (w->teardown)
      w->teardown();
    free(g_files);
    if (g_dirfd >= 0)
      close(g_dirfd);
    free(g_names);
    return r;
  }

  /* Warm-up: one untimed repetition. */
  if (w->needs_names)
    make_names(n);
  if (w->needs_names == 2)
    make_file_names(n);
  if (w->build)
    w->build(n);
  w->run(n);
  if (w->end)
    w->end();

  for (r = 0; r < reps; r++) {
    double t0;
    if (w->needs_names)
      make_names(n); /* fresh names, outside the timed region */
    if (w->needs_names == 2)
      make_file_names(n);
    if (w->build)
      w->build(n); /* a fresh tree, outside the timed region */
    t0 = now_ns();
    w->run(n);
    per_op[r] = (now_ns() - t0) / ops;
    if (w->end)
      w->end();
  }
  if (w->teardown)
    w->teardown();
  printf("%s libtempfile %.1f ns/op\n", w->name, median(per_op, reps));
  free(g_files);
  if (g_dirfd >= 0)
    close(g_dirfd);
  free(g_names);
  free(g_file_names);
  return 0;
}
