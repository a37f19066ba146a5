/* SPDX-License-Identifier: MIT */
/*
 * fdstream.c - the buffered stdio stream of a tf_file or tf_atomic handle.
 * It writes through the system-call table and remembers why a write
 * failed, so the handle reports the real errno (-ENOSPC on a full disk)
 * where a plain fdopen() stream would leave only its error flag (-EIO).
 * The stream shares the fd's offset and never closes the fd: the handle
 * does.
 */
#include "internal.h"

static ssize_t fd_read(void *cookie, char *buf, size_t n) {
  struct tf__fdstream *s = cookie;
  return tf__sys.read(s->fd, buf, n);
}

static ssize_t fd_write(void *cookie, const char *buf, size_t n) {
  struct tf__fdstream *s = cookie;
  int rc = tf__write_all(s->fd, buf, n);
  if (rc < 0) {
    if (s->err == 0)
      s->err = -rc;
    errno = -rc;
    return -1;
  }
  return (ssize_t)n;
}

static int fd_seek(void *cookie, int64_t *offset, int whence) {
  struct tf__fdstream *s = cookie;
  int64_t at = tf__sys.lseek(s->fd, *offset, whence);
  if (at < 0)
    return -1;
  *offset = at;
  return 0;
}

static int fd_close(void *cookie) {
  (void)cookie; /* the handle closes the fd */
  return 0;
}

/* Buffered as a file's stream would be: the data reaches the fd at a
 * flush, which the handle makes before any step that needs it there. */
static void release_buffer(struct tf__fdstream *s) {
  tf__freemem(s->cookie.buf);
  s->cookie.buf = NULL;
  s->cookie.buf_size = 0;
}

static const struct tf__stream_ops fd_ops = {fd_read, fd_write, fd_seek,
                                             fd_close};

/* glibc moves every read of a cookie stream through its buffer, however
 * large the read (an fdopen() stream reads large ones straight into the
 * caller's memory): a 64 KiB buffer instead of its 8 KiB makes a 1 MiB
 * fread() 16 system calls, not 128. */
#define FD_STREAM_BUF ((size_t)64 << 10)

int tf__fdstream_open(struct tf__fdstream *s, int fd) {
  FILE *fp;
  s->cookie.ops = &fd_ops;
  s->cookie.buf = tf__malloc(FD_STREAM_BUF);
  if (s->cookie.buf == NULL)
    return -ENOMEM;
  s->cookie.buf_size = FD_STREAM_BUF;
  s->fd = fd;
  s->err = 0;
  if (tf__sys.fopencookie(s, &fp) != 0) {
    int err = errno;
    release_buffer(s);
    return -err;
  }
  s->fp = fp;
  return 0;
}

/* The errno of the failure the stream saw, or fallback. */
static int stream_error(const struct tf__fdstream *s, int fallback) {
  return -(s->err != 0 ? s->err : fallback);
}

int tf__fdstream_flush(struct tf__fdstream *s) {
  if (s->fp == NULL)
    return 0;
  if (tf__sys.fflush(s->fp) != 0)
    return stream_error(s, errno != 0 ? errno : EIO);
  return ferror(s->fp) || s->err != 0 ? stream_error(s, EIO) : 0;
}

int tf__fdstream_close(struct tf__fdstream *s) {
  int rc;
  if (s->fp == NULL)
    return 0;
  rc = tf__fdstream_flush(s);
  if (tf__sys.fclose(s->fp) != 0 && rc == 0)
    rc = stream_error(s, errno != 0 ? errno : EIO);
  s->fp = NULL;
  release_buffer(s);
  return rc;
}
