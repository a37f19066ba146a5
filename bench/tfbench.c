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
 * performs (REPS + 1) * N operations; bench/run.sh relies on that to turn
 * system-call counts into per-operation counts.  REPS is 11, or
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
 *   named-handle   tf_file_create(&f, {.dir = DIR}), tf_file_free(f)
 *   unnamed        tf_tmpfile({.dir = DIR}), close
 *   unnamed-floor  openat(DIR, O_TMPFILE|O_RDWR|O_EXCL|O_CLOEXEC), close
 *   mkdtemp        tf_mkdtemp(&path, {.dir = DIR}), rmdir(path), free
 *   mkdtemp-floor  mkdirat(AT_FDCWD, 0700), rmdir on names made beforehand
 *
 * Any failure is reported on stderr and exits 1; a bad command line
 * exits 2.  Nothing is left in DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tempfile.h"

#define DEFAULT_REPS 11
#define MAX_REPS 101
#define FLOOR_PREFIX "tmp"
#define FLOOR_RANDOM_LEN TF_RANDOM_LEN_DEFAULT

static const char *g_dir;
static tf_opts g_opts = TF_OPTS_INIT;

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

static void run_named_handle(long n) {
  long i;
  for (i = 0; i < n; i++) {
    tf_file *f;
    int rc = tf_file_create(&f, &g_opts);
    if (rc < 0)
      die("tf_file_create", rc);
    rc = tf_file_free(f);
    if (rc < 0)
      die("tf_file_free", rc);
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

struct workload {
  const char *name;
  void (*run)(long n);
  int needs_names;
};

static const struct workload workloads[] = {
    {"named", run_named, 0},
    {"named-floor", run_named_floor, 1},
    {"named-at", run_named_at, 0},
    {"named-at-floor", run_named_at_floor, 1},
    {"named-handle", run_named_handle, 0},
    {"unnamed", run_unnamed, 0},
    {"unnamed-floor", run_unnamed_floor, 0},
    {"mkdtemp", run_mkdtemp, 0},
    {"mkdtemp-floor", run_mkdtemp_floor, 1},
};

/* ---------------------------------------------------------------- timing */

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

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

int main(int argc, char **argv) {
  const struct workload *w = NULL;
  double per_op[MAX_REPS];
  const char *env;
  char *end;
  long n;
  int reps = DEFAULT_REPS, r;
  size_t i;
  struct stat st;

  if (argc != 4)
    usage();
  for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
    if (strcmp(argv[1], workloads[i].name) == 0)
      w = &workloads[i];
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
  g_rng = (unsigned long long)now_ns() ^ ((unsigned long long)getpid() << 32);
  if (g_rng == 0)
    g_rng = 88172645463325252ULL;

  /* Warm-up: one untimed repetition. */
  if (w->needs_names)
    make_names(n);
  w->run(n);

  for (r = 0; r < reps; r++) {
    double t0;
    if (w->needs_names)
      make_names(n); /* fresh names, outside the timed region */
    t0 = now_ns();
    w->run(n);
    per_op[r] = (now_ns() - t0) / (double)n;
  }
  printf("%s libtempfile %.1f ns/op\n", w->name, median(per_op, reps));
  free(g_names);
  return 0;
}
