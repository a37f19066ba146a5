/* SPDX-License-Identifier: MIT */
/*
 * clock.h - what every C benchmark program here times with: a monotonic
 * clock in nanoseconds, and the comparison qsort needs to take medians.
 * Included by tfbench.c and the C peers (each a single-file program).
 */
#ifndef TF_BENCH_CLOCK_H
#define TF_BENCH_CLOCK_H

#include <time.h>

static inline double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

#endif
