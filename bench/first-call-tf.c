/* SPDX-License-Identifier: MIT */
/*
 * first-call-tf - a process that makes one temporary file with
 * libtempfile and exits: the `first-call` workload (bench/tfspawn.c
 * spawns it many times).
 *
 *   TMPDIR=DIR first-call-tf DIR
 *
 * tf_mkstemp(&path, NULL): the default temporary directory, found on
 * this first call (TMPDIR, set by the driver), then unlink, close, free,
 * exit 0.  DIR on the command line is not used: it is there so that this
 * program and first-call-glibc get the same arguments and environment.
 * Linked with libtempfile.a (by make, as first-call-glibc), so the
 * process loads no shared object beyond libc's.  Any failure: exit 1.
 */
#include <stdlib.h>
#include <unistd.h>

#include "tempfile.h"

int main(void) {
  char *path;
  int fd = tf_mkstemp(&path, NULL);
  if (fd < 0)
    return 1;
  if (unlink(path) != 0)
    return 1;
  if (close(fd) != 0)
    return 1;
  free(path);
  return 0;
}
