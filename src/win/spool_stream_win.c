/* SPDX-License-Identifier: MIT */
/*
 * spool_stream_win.c - the spool's stdio stream on Windows (stream.c on
 * POSIX).  The C runtime has no fopencookie() or funopen(), so there is
 * no stream whose I/O the spool could serve from memory: the stream is
 * one on the spool's file, and opening it rolls the spool over and
 * exposes the file as tf_spool_fd() does.  It is opened on a duplicate
 * of the spool's fd: both handles share one file object, hence one file
 * pointer, so the stream and the spool's direct calls share one position
 * and see each other's writes, as on POSIX; and closing the stream
 * (tf_spool_close()) leaves the spool's own fd to the spool.  Its buffer
 * is the spool's (STREAM_BUF, spool.c allocates it), as on POSIX.
 */
#include "win.h"

#include "internal_win.h"
#include "../spool.h"

int tf__spool_open_stream(tf_spool *s, FILE **out) {
  FILE *fp;
  int fd = tf_spool_fd(s), dup, rc;
  if (fd < 0)
    return fd;
  dup = tf__sys.dup(fd);
  if (dup < 0)
    return -(errno != 0 ? errno : EMFILE);
  if (tf__sys.fdopen(dup, "r+b", &fp) != 0) {
    rc = -errno;
    tf__close_quiet(dup);
    return rc;
  }
  /* Fully buffered in the spool's buffer, which outlives the stream
   * (tf_spool_close() closes the stream first). */
  (void)setvbuf(fp, s->cookie.buf, _IOFBF, s->cookie.buf_size);
  *out = fp;
  return 0;
}

/* One fseek to where the stream is: the C runtime works out that
 * position (the file pointer less read-ahead not consumed, plus
 * buffered writes), writes the buffered bytes out, drops the
 * read-ahead and sets the shared file pointer there.  (fflush first
 * would not do: the runtime drops read-ahead without moving the pointer
 * back.)  The runtime's fseek does not report a failed write of the
 * buffered bytes, which it then drops; the stream's error indicator
 * does, and so the spool's call reports it (-errno of the write). */
int tf__spool_sync_stream(FILE *fp) {
  int had_error = ferror(fp) != 0;
  errno = 0;
  if (_fseeki64(fp, 0, SEEK_CUR) != 0)
    return -(errno != 0 ? errno : EIO);
  if (!had_error && ferror(fp))
    return -(errno != 0 ? errno : EIO);
  return 0;
}
