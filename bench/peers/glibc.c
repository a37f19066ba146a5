/* SPDX-License-Identifier: MIT */
/*
 * glibc peer: what a C programmer writes with the C library alone.
 *
 *   glibc WORKLOAD N DIR   ->   "WORKLOAD glibc NS ns/op"
 *
 *   named    mkostemp("DIR/tmpXXXXXX", O_CLOEXEC), close, unlink
 *   unnamed  mkostemp, unlink at once, close (tmpfile(3) only knows /tmp)
 *   mkdtemp  mkdtemp("DIR/tmpXXXXXX"), rmdir
 *   tree     nftw(DIR/tree, FTW_DEPTH | FTW_PHYS), unlink or rmdir of each
 *            path it reports (what C programs write without a library)
 *   tree-rm  rm -rf -- DIR/tree, spawned (posix_spawnp) and waited for;
 *            the time includes the spawn.  Printed as "tree-rm glibc".
 *
 * glibc takes exactly six X's, so its names are "tmp" + 6 characters.
 * Same scheme as tfbench: one untimed repetition of N operations, then
 * REPS (11, or $TFBENCH_REPS) timed ones; the median time per operation
 * is printed.  Unknown workload: exit 2.
 *
 * The tree workloads are tfbench's: N is files per subdirectory, the tree
 * is DIR/tree with 100 subdirectories d00..d99 of N one-byte files
 * f00000.., built the same way before every repetition (untimed), and
 * one operation is one entry removed (100 N + 101 per tree).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../clock.h"

#define DEFAULT_REPS 11
#define MAX_REPS 101

static char *g_template; /* DIR/tmpXXXXXX */
static char *g_path;     /* working copy */
static size_t g_size;
static char *g_tree; /* DIR/tree */

#define TREE_SUBDIRS 100

extern char **environ;

static void die(const char *what) {
  fprintf(stderr, "glibc peer: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void fresh(void) { memcpy(g_path, g_template, g_size); }

static void run_named(long n) {
  long i;
  for (i = 0; i < n; i++) {
    int fd;
    fresh();
    fd = mkostemp(g_path, O_CLOEXEC);
    if (fd < 0)
      die("mkostemp");
    if (close(fd) != 0)
      die("close");
    if (unlink(g_path) != 0)
      die("unlink");
  }
}

static void run_unnamed(long n) {
  long i;
  for (i = 0; i < n; i++) {
    int fd;
    fresh();
    fd = mkostemp(g_path, O_CLOEXEC);
    if (fd < 0)
      die("mkostemp");
    if (unlink(g_path) != 0)
      die("unlink");
    if (close(fd) != 0)
      die("close");
  }
}

static void run_mkdtemp(long n) {
  long i;
  for (i = 0; i < n; i++) {
    fresh();
    if (mkdtemp(g_path) == NULL)
      die("mkdtemp");
    if (rmdir(g_path) != 0)
      die("rmdir");
  }
}

/* The tree: DIR/tree, 100 subdirectories of n one-byte files, always the
 * same names made in the same order (untimed). */
static void build_tree(long n) {
  char sub[4], file[24];
  int topfd, i;
  long j;
  if (mkdir(g_tree, 0700) != 0)
    die("mkdir tree");
  topfd = open(g_tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (topfd < 0)
    die("open tree");
  for (i = 0; i < TREE_SUBDIRS; i++) {
    int sfd;
    snprintf(sub, sizeof(sub), "d%02d", i);
    if (mkdirat(topfd, sub, 0700) != 0)
      die("mkdirat");
    sfd = openat(topfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sfd < 0)
      die("openat subdir");
    for (j = 0; j < n; j++) {
      int fd;
      snprintf(file, sizeof(file), "f%05ld", j);
      fd = openat(sfd, file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0)
        die("openat file");
      if (write(fd, "x", 1) != 1)
        die("write");
      if (close(fd) != 0)
        die("close");
    }
    if (close(sfd) != 0)
      die("close");
  }
  if (close(topfd) != 0)
    die("close");
}

static int remove_one(const char *path, const struct stat *st, int type,
                      struct FTW *ftw) {
  (void)st, (void)ftw;
  switch (type) {
  case FTW_DP:
    return rmdir(path);
  case FTW_F:
  case FTW_SL:
  case FTW_SLN:
    return unlink(path);
  default: /* FTW_DNR, FTW_NS: cannot read or stat it */
    errno = EACCES;
    return -1;
  }
}

static void run_tree(long n) {
  (void)n;
  if (nftw(g_tree, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
    die("nftw");
}

static void run_tree_rm(long n) {
  char *argv[] = {"rm", "-rf", "--", g_tree, NULL};
  pid_t pid;
  int status, rc;
  (void)n;
  rc = posix_spawnp(&pid, "rm", NULL, NULL, argv, environ);
  if (rc != 0) {
    errno = rc;
    die("posix_spawnp rm");
  }
  if (waitpid(pid, &status, 0) != pid)
    die("waitpid");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    errno = EIO;
    die("rm -rf");
  }
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    void (*run)(long);
    int tree; /* built before each repetition; per entry */
  } workloads[] = {{"named", run_named, 0},
                   {"unnamed", run_unnamed, 0},
                   {"mkdtemp", run_mkdtemp, 0},
                   {"tree", run_tree, 1},
                   {"tree-rm", run_tree_rm, 1}};
  void (*run)(long) = NULL;
  int tree = 0;
  double per_op[MAX_REPS], ops;
  const char *env, *dir;
  char *end;
  long n;
  int reps = DEFAULT_REPS, r;
  size_t i, dir_len;

  if (argc != 4) {
    fprintf(stderr, "usage: glibc WORKLOAD N DIR\n");
    return 2;
  }
  for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
    if (strcmp(argv[1], workloads[i].name) == 0) {
      run = workloads[i].run;
      tree = workloads[i].tree;
    }
  if (run == NULL) {
    fprintf(stderr, "glibc peer: unknown workload '%s' (named, unnamed, "
                    "mkdtemp, tree, tree-rm)\n", argv[1]);
    return 2;
  }
  errno = 0;
  n = strtol(argv[2], &end, 10);
  if (errno != 0 || end == argv[2] || *end != '\0' || n < 1 ||
      (tree && n > 99999)) {
    fprintf(stderr, "glibc peer: bad N '%s'\n", argv[2]);
    return 2;
  }
  env = getenv("TFBENCH_REPS");
  if (env != NULL && *env != '\0') {
    reps = atoi(env);
    if (reps < 1 || reps > MAX_REPS) {
      fprintf(stderr, "glibc peer: TFBENCH_REPS must be 1 to %d\n", MAX_REPS);
      return 2;
    }
  }
  dir = argv[3];
  dir_len = strlen(dir);
  g_size = dir_len + sizeof("/tmpXXXXXX");
  g_template = malloc(g_size);
  g_path = malloc(g_size);
  if (g_template == NULL || g_path == NULL)
    die("malloc");
  snprintf(g_template, g_size, "%s%stmpXXXXXX", dir,
           dir_len > 0 && dir[dir_len - 1] == '/' ? "" : "/");
  g_tree = malloc(dir_len + sizeof("/tree"));
  if (g_tree == NULL)
    die("malloc");
  snprintf(g_tree, dir_len + sizeof("/tree"), "%s%stree", dir,
           dir_len > 0 && dir[dir_len - 1] == '/' ? "" : "/");
  ops = tree ? (double)(TREE_SUBDIRS * n + TREE_SUBDIRS + 1) : (double)n;

  if (tree)
    build_tree(n);
  run(n); /* warm-up */
  for (r = 0; r < reps; r++) {
    double t0;
    if (tree)
      build_tree(n); /* untimed */
    t0 = now_ns();
    run(n);
    per_op[r] = (now_ns() - t0) / ops;
  }
  qsort(per_op, (size_t)reps, sizeof(per_op[0]), cmp_double);
  printf("%s glibc %.1f ns/op\n", argv[1],
         reps % 2 ? per_op[reps / 2]
                  : (per_op[reps / 2 - 1] + per_op[reps / 2]) / 2);
  free(g_template);
  free(g_path);
  free(g_tree);
  return 0;
}
