/*
 * tour.h - the two error helpers every tour program uses: a failing
 * library call prints tf_strerror() and ends the program with status 1.
 */
#ifndef TF_TOUR_H
#define TF_TOUR_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <tempfile.h>

/* rc is a libtempfile result: negative means failed. */
static inline void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, tf_strerror(rc));
    exit(1);
  }
}

/* ok is the truth of a POSIX call's success; errno tells why not. */
static inline void check_sys(int ok, const char *what) {
  if (!ok)
    check(errno != 0 ? -errno : -EIO, what);
}

#endif
