/* SPDX-License-Identifier: MIT */
/*
 * tfspawn - time whole processes: the driver of the `first-call`
 * workload (bench/run.sh), which compares a process that makes one
 * temporary file with libtempfile (first-call-tf) against the same with
 * glibc's mkstemp (first-call-glibc).
 *
 *   tfspawn ROUNDS PROCS DIR PROG_A PROG_B
 *
 * Sets TMPDIR=DIR in its environment, spawns each program with the
 * arguments "PROG DIR" and that environment (posix_spawn, then waitpid:
 * the time of one process is from just before posix_spawn to the return
 * of waitpid), 10 times each untimed, then for each of ROUNDS rounds
 * PROCS times each, interleaved in pairs whose order alternates (A B, B A,
 * A B, ...) and starts the other way every other round, so neither
 * program always runs first or after itself.  Prints one line per round:
 *
 *   round R NS_A NS_B
 *
 * the mean time of one process of each program in that round, in ns.  A
 * program that fails (a status other than exit 0) stops everything: the
 * message goes to stderr and tfspawn exits 1; a bad command line exits 2.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

#define WARMUP 10

extern char **environ;

static const char *g_dir;

static double spawn_one(const char *prog) {
  char *argv[3];
  pid_t pid;
  int st, rc;
  double t0, t1;
  argv[0] = (char *)prog;
  argv[1] = (char *)g_dir;
  argv[2] = NULL;
  t0 = now_ns();
  rc = posix_spawn(&pid, prog, NULL, NULL, argv, environ);
  if (rc != 0) {
    fprintf(stderr, "tfspawn: posix_spawn %s: %s\n", prog, strerror(rc));
    exit(1);
  }
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) {
      fprintf(stderr, "tfspawn: waitpid: %s\n", strerror(errno));
      exit(1);
    }
  t1 = now_ns();
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "tfspawn: %s failed (status 0x%x)\n", prog, (unsigned)st);
    exit(1);
  }
  return t1 - t0;
}

static long number(const char *s, long max) {
  char *end;
  long v;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 1 || v > max) {
    fprintf(stderr, "tfspawn: '%s' is not a number from 1 to %ld\n", s, max);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  const char *prog[2];
  long rounds, procs, r, i;
  int k;
  if (argc != 6) {
    fprintf(stderr, "usage: tfspawn ROUNDS PROCS DIR PROG_A PROG_B\n");
    return 2;
  }
  rounds = number(argv[1], 1000);
  procs = number(argv[2], 100000);
  g_dir = argv[3];
  prog[0] = argv[4];
  prog[1] = argv[5];
  if (setenv("TMPDIR", g_dir, 1) != 0) {
    fprintf(stderr, "tfspawn: setenv: %s\n", strerror(errno));
    return 1;
  }
  for (i = 0; i < WARMUP; i++)
    for (k = 0; k < 2; k++)
      spawn_one(prog[k]);
  for (r = 0; r < rounds; r++) {
    double sum[2] = {0, 0};
    for (i = 0; i < procs; i++) {
      int first = (int)((i + r) % 2);
      sum[first] += spawn_one(prog[first]);
      sum[!first] += spawn_one(prog[!first]);
    }
    printf("round %ld %.0f %.0f\n", r + 1, sum[0] / (double)procs,
           sum[1] / (double)procs);
    fflush(stdout);
  }
  return 0;
}
