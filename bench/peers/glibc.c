/*
 * glibc peer: what a C programmer writes with the C library alone.
 *
 *   glibc WORKLOAD N DIR   ->   "WORKLOAD glibc NS ns/op"
 *
 *   named    mkostemp("DIR/tmpXXXXXX", O_CLOEXEC), close, unlink
 *   unnamed  mkostemp, unlink at once, close (tmpfile(3) only knows /tmp)
 *   mkdtemp  mkdtemp("DIR/tmpXXXXXX"), rmdir
 *
 * glibc takes exactly six X's, so its names are "tmp" + 6 characters.
 * Same scheme as tfbench: one untimed repetition of N operations, then
 * REPS (11, or $TFBENCH_REPS) timed ones; the median time per operation
 * is printed.  Unknown workload: exit 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_REPS 11
#define MAX_REPS 101

static char *g_template; /* DIR/tmpXXXXXX */
static char *g_path;     /* working copy */
static size_t g_size;

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

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    void (*run)(long);
  } workloads[] = {
      {"named", run_named}, {"unnamed", run_unnamed}, {"mkdtemp", run_mkdtemp}};
  void (*run)(long) = NULL;
  double per_op[MAX_REPS];
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
    if (strcmp(argv[1], workloads[i].name) == 0)
      run = workloads[i].run;
  if (run == NULL) {
    fprintf(stderr, "glibc peer: unknown workload '%s' (named, unnamed, "
                    "mkdtemp)\n", argv[1]);
    return 2;
  }
  errno = 0;
  n = strtol(argv[2], &end, 10);
  if (errno != 0 || end == argv[2] || *end != '\0' || n < 1) {
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

  run(n); /* warm-up */
  for (r = 0; r < reps; r++) {
    double t0 = now_ns();
    run(n);
    per_op[r] = (now_ns() - t0) / (double)n;
  }
  qsort(per_op, (size_t)reps, sizeof(per_op[0]), cmp_double);
  printf("%s glibc %.1f ns/op\n", argv[1],
         reps % 2 ? per_op[reps / 2]
                  : (per_op[reps / 2 - 1] + per_op[reps / 2]) / 2);
  free(g_template);
  free(g_path);
  return 0;
}
