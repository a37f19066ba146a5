/* SPDX-License-Identifier: MIT */
/*
 * spool_posix.c - the spool's calls that only POSIX declares
 * (tempfile.h's TF_POSIX_API): tf_spool_createat(), which takes a
 * directory fd, and tf_spool_writev(), which takes a struct iovec.  The
 * rest of the spool (spool.c) is built for Windows too; these two are
 * apart so that it needs no platform test.
 */
#include "internal.h"
#include "spool.h"

int tf_spool_createat(tf_spool **out, size_t max_size, int dirfd,
                      const tf_opts *opts) {
  tf_spool *s;
  int rc;
  if (tf__bad_dirfd(dirfd))
    return -EBADF;
  if (out == NULL)
    return -EINVAL;
  rc = tf__spool_new(&s, max_size, 1, opts);
  if (rc < 0)
    return rc;
  /* The spool owns its anchor. */
  s->dirfd = tf__dup_anchor(dirfd);
  if (s->dirfd < 0) {
    rc = s->dirfd;
    s->dirfd = -1;
    tf_spool_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

/* As many tf_spool_write() calls, one per buffer, so the rollover comes
 * in the middle when a buffer would pass max_size. */
ssize_t tf_spool_writev(tf_spool *s, const struct iovec *iov, int iovcnt) {
  size_t total = 0;
  int i, rc;
  if (s == NULL || iovcnt < 0 || iovcnt > IOV_MAX ||
      (iovcnt > 0 && iov == NULL))
    return -EINVAL;
  for (i = 0; i < iovcnt; i++) {
    if (iov[i].iov_len > (size_t)SSIZE_MAX - total)
      return -EINVAL;
    total += iov[i].iov_len;
  }
  rc = tf__spool_handover(s);
  if (rc < 0)
    return rc;
  if (s->phase == CLOSED)
    return -EBADF;
  total = 0;
  for (i = 0; i < iovcnt; i++) {
    ssize_t w = tf__spool_write(s, iov[i].iov_base, iov[i].iov_len);
    if (w < 0)
      return total > 0 ? (ssize_t)total : w;
    total += (size_t)w;
    if ((size_t)w < iov[i].iov_len)
      break;
  }
  return (ssize_t)total;
}
