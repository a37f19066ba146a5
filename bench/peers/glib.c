/* SPDX-License-Identifier: MIT */
/*
 * GLib peer: g_file_set_contents_full(), the atomic replacement of GLib.
 *
 *   glib-peer WORKLOAD N DIR   ->   "WORKLOAD glib NS ns/op"
 *
 *   atomic             g_file_set_contents_full(DIR/target, buf, 4096,
 *                      G_FILE_SET_CONTENTS_CONSISTENT |
 *                      G_FILE_SET_CONTENTS_DURABLE, 0644)
 *   atomic-consistent  the same with G_FILE_SET_CONTENTS_CONSISTENT only
 *
 * tfbench's atomic workload: one operation is one complete replacement of
 * DIR/target with 4 KiB of new contents (byte i is i * 131 + 7, the first
 * byte set to the operation's index).  The target is created once before
 * the warm-up (untimed), so every operation replaces an existing file;
 * after the last repetition its contents are checked and it is removed.
 * Same scheme as tfbench: one untimed repetition of N operations, then
 * REPS (11, or $TFBENCH_REPS) timed ones; the median time per operation
 * is printed.  Unknown workload: exit 2.
 *
 * Build: cc bench/peers/glib.c $(pkg-config --cflags --libs glib-2.0)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include "../clock.h"

#define DEFAULT_REPS 11
#define MAX_REPS 101
#define SIZE 4096

static unsigned char g_buf[SIZE];
static unsigned long g_ops;
static char *g_target;
static GFileSetContentsFlags g_flags;

static void die(const char *what, const char *why) {
  fprintf(stderr, "glib peer: %s: %s\n", what, why);
  exit(1);
}

static const unsigned char *next_contents(void) {
  g_buf[0] = (unsigned char)g_ops++;
  return g_buf;
}

static void run_atomic(long n) {
  long i;
  for (i = 0; i < n; i++) {
    GError *err = NULL;
    if (!g_file_set_contents_full(g_target, (const gchar *)next_contents(),
                                  SIZE, g_flags, 0644, &err))
      die("g_file_set_contents_full", err->message);
  }
}

int main(int argc, char **argv) {
  double per_op[MAX_REPS];
  const char *env;
  char *end, *got = NULL;
  gsize got_len = 0;
  GError *err = NULL;
  long n;
  int reps = DEFAULT_REPS, r, fd;
  size_t i;

  if (argc != 4) {
    fprintf(stderr, "usage: glib-peer WORKLOAD N DIR\n");
    return 2;
  }
  if (strcmp(argv[1], "atomic") == 0) {
    g_flags = G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE;
  } else if (strcmp(argv[1], "atomic-consistent") == 0) {
    g_flags = G_FILE_SET_CONTENTS_CONSISTENT;
  } else {
    fprintf(stderr, "glib peer: unknown workload '%s' (atomic, "
                    "atomic-consistent)\n", argv[1]);
    return 2;
  }
  errno = 0;
  n = strtol(argv[2], &end, 10);
  if (errno != 0 || end == argv[2] || *end != '\0' || n < 1) {
    fprintf(stderr, "glib peer: bad N '%s'\n", argv[2]);
    return 2;
  }
  env = getenv("TFBENCH_REPS");
  if (env != NULL && *env != '\0') {
    reps = atoi(env);
    if (reps < 1 || reps > MAX_REPS) {
      fprintf(stderr, "glib peer: TFBENCH_REPS must be 1 to %d\n", MAX_REPS);
      return 2;
    }
  }
  g_target = g_build_filename(argv[3], "target", NULL);
  for (i = 0; i < SIZE; i++)
    g_buf[i] = (unsigned char)(i * 131u + 7u);

  /* The target exists before the first operation (untimed). */
  fd = open(g_target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, next_contents(), SIZE) != SIZE || fsync(fd) != 0 ||
      close(fd) != 0)
    die("create the target", strerror(errno));

  run_atomic(n); /* warm-up */
  for (r = 0; r < reps; r++) {
    double t0 = now_ns();
    run_atomic(n);
    per_op[r] = (now_ns() - t0) / (double)n;
  }

  /* The target holds the last contents; remove it (untimed). */
  if (!g_file_get_contents(g_target, &got, &got_len, &err))
    die("g_file_get_contents", err->message);
  if (got_len != SIZE || memcmp(got, g_buf, SIZE) != 0)
    die("the target", "does not hold the last contents");
  g_free(got);
  if (unlink(g_target) != 0)
    die("unlink the target", strerror(errno));
  g_free(g_target);

  qsort(per_op, (size_t)reps, sizeof(per_op[0]), cmp_double);
  printf("%s glib %.1f ns/op\n", argv[1],
         reps % 2 ? per_op[reps / 2]
                  : (per_op[reps / 2 - 1] + per_op[reps / 2]) / 2);
  return 0;
}
