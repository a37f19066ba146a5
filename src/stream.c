/* SPDX-License-Identifier: MIT */
/*
 * stream.c - a stdio stream on a spool.  Its I/O goes to the spool's own
 * calls (the cookie is the spool), so it keeps working across rollover
 * with no handle to swap.  cookie.c opens it with fopencookie() or
 * funopen() on a buffer the spool owns (STREAM_BUF), which is how the
 * write function knows what stdio has already reported written: bytes
 * from that buffer are kept whatever fails (tf__spool_accept); a
 * caller's own bytes, passed straight through by a large fwrite(), are
 * written as write(2) would, so a failure there is reported to the
 * caller as a short count.  The spool's public calls flush the stream
 * first (spool.c), so stdio never holds what a direct call must see.
 */
#include "internal.h"

static ssize_t stream_read(void *cookie, char *buf, size_t n) {
  ssize_t r = tf__spool_read(cookie, buf, n);
  if (r < 0) {
    errno = (int)-r;
    return -1;
  }
  return r;
}

static ssize_t stream_write(void *cookie, const char *buf, size_t n) {
  ssize_t w = tf__cookie_owns(cookie, buf, n)
                  ? tf__spool_accept(cookie, buf, n)
                  : tf__spool_write(cookie, buf, n);
  if (w < 0) {
    errno = (int)-w;
    return -1;
  }
  return w;
}

static int stream_seek(void *cookie, int64_t *offset, int whence) {
  int64_t pos = tf__spool_seek(cookie, *offset, whence);
  if (pos < 0) {
    errno = (int)-pos;
    return -1;
  }
  *offset = pos;
  return 0;
}

/* Called by fclose(), from tf_spool_close() or from a caller who closed
 * the stream after all: either way the spool forgets it. */
static int stream_close(void *cookie) {
  tf__spool_stream_closed(cookie);
  return 0;
}

static const struct tf__stream_ops spool_ops = {stream_read, stream_write,
                                                stream_seek, stream_close};

/* glibc and musl: fflush() gives a seekable input stream's read-ahead
 * back (POSIX.1-2008) and makes glibc forget the offset it knew.  The
 * BSDs' fflush() only writes, but their fseeko() on a funopen() stream
 * (which they never optimise within the buffer) drops the read-ahead and
 * seeks the cookie to the stream's position (cookie.c chooses which). */
int tf__spool_sync_stream(FILE *fp) {
  int rc = 0;
  if (tf__sys.fflush(fp) != 0)
    rc = -(errno != 0 ? errno : EIO);
#if TF_HAVE_FUNOPEN
  if (fseeko(fp, 0, SEEK_CUR) != 0 && rc == 0)
    rc = -(errno != 0 ? errno : EIO);
#endif
  return rc;
}

int tf__spool_open_stream(tf_spool *s, FILE **out) {
  ((struct tf__cookie *)s)->ops = &spool_ops;
  if (tf__sys.fopencookie(s, out) != 0)
    return -errno;
  return 0;
}
