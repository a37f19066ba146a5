/* SPDX-License-Identifier: MIT */
/*
 * first-call-glibc - a process that makes one temporary file with glibc's
 * mkstemp and exits: the reference of the `first-call` workload
 * (bench/tfspawn.c spawns it many times).
 *
 *   TMPDIR=DIR first-call-glibc DIR
 *
 * mkstemp("DIR/tmpXXXXXX"), unlink, close, exit 0.  Built and linked by
 * make exactly as first-call-tf (with libtempfile.a, from which it takes
 * nothing).  Any failure: exit 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  char path[4096];
  int fd;
  if (argc != 2 || (size_t)snprintf(path, sizeof(path), "%s/tmpXXXXXX", argv[1]) >= sizeof(path))
    return 1;
  fd = mkstemp(path);
  if (fd < 0)
    return 1;
  if (unlink(path) != 0)
    return 1;
  if (close(fd) != 0)
    return 1;
  return 0;
}
