/* SPDX-License-Identifier: MIT */
/*
 * write_all.c - the library's one write loop, behind every write-all and
 * pwrite-all (files, atomic replacements, the spool's file), on POSIX
 * and on Windows: a short write is finished, a write that makes no
 * progress is an error, never a loop.
 */
#include "internal.h"

int tf__pwrite_all(int fd, const void *buf, size_t n, int64_t off,
                   size_t *done) {
  const char *p = buf;
  size_t did = 0;
  int rc = 0;
  while (did < n) {
    ssize_t w = off < 0 ? tf__sys.write(fd, p + did, n - did)
                        : tf__sys.pwrite(fd, p + did, n - did,
                                         off + (int64_t)did);
    if (w <= 0) {
      rc = w < 0 ? -errno : -EIO; /* 0: no progress, never loop on it */
      break;
    }
    did += (size_t)w;
  }
  if (done != NULL)
    *done = did;
  return rc;
}

int tf__write_all(int fd, const void *buf, size_t n) {
  return tf__pwrite_all(fd, buf, n, -1, NULL);
}
