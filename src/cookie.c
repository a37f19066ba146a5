/* SPDX-License-Identifier: MIT */
/*
 * cookie.c - the table's fopencookie entry (sys.c): a stdio stream whose
 * I/O goes to the functions of a cookie (struct tf__cookie), through
 * fopencookie() in glibc and musl or funopen() on the BSDs and macOS.
 * Used by the spool's stream (stream.c) and the other handles' streams.
 */
#include "internal.h"

/* fopencookie() in glibc and musl; funopen() on the BSDs and macOS, and
 * on Linux with libbsd (make PROFILE=posix, which links -lbsd), which is
 * how the tests build and run that path here. */
#if TF_HAVE_FOPENCOOKIE
#define USE_FOPENCOOKIE 1
#if TF_HAVE_STDIO_EXT
#include <stdio_ext.h>
#endif
#elif TF_FUNOPEN_FROM_LIBBSD
#include <bsd/stdio.h>
#endif

/* Streams whose I/O calls a cookie's functions: fopencookie() in glibc
 * and musl, funopen() on the BSDs and macOS.  The adapters below only
 * translate types; the cookie dispatches. */
static const struct tf__stream_ops *ops_of(void *cookie) {
  return ((struct tf__cookie *)cookie)->ops;
}

/* The cookie's write, as stdio wants it (both adapters; libbsd's
 * funopen() is glibc's fopencookie() underneath).
 *  - A write that fails: glibc wants 0, never a negative value (it takes
 *    -1 for a huge count and writes bytes past the caller's buffer);
 *    musl and the BSDs mark the stream in error only for -1.  errno
 *    says why.
 *  - glibc keeps the offset a seek of the cookie returned (FILE's
 *    _offset) and its cookie write never moves it past the bytes
 *    written: after a read, an fseek() within the buffer and a write,
 *    fseeko(fp, 0, SEEK_CUR) or ftello() would go back to where the
 *    write began.  Forgetting the offset (-1: unknown) makes glibc ask
 *    the cookie, which knows. */
static ssize_t write_through(void *c, const char *buf, size_t n) {
  ssize_t rc = ops_of(c)->write(c, buf, n);
#if TF_GLIBC_STDIO
  FILE *fp = ((struct tf__cookie *)c)->fp;
  if (fp != NULL)
    fp->_offset = -1;
  return rc < 0 ? 0 : rc;
#else
  return rc < 0 ? -1 : rc;
#endif
}

#if defined(USE_FOPENCOOKIE)
static ssize_t cookie_read(void *c, char *buf, size_t n) {
  return ops_of(c)->read(c, buf, n);
}

static ssize_t cookie_write(void *c, const char *buf, size_t n) {
  return write_through(c, buf, n);
}

static int cookie_seek(void *c, off_t *offset, int whence) {
  int64_t off = (int64_t)*offset;
  if (ops_of(c)->seek(c, &off, whence) != 0)
    return -1;
  *offset = (off_t)off;
  return 0;
}

static int cookie_close(void *c) { return ops_of(c)->close(c); }

static FILE *open_cookie_stream(void *cookie) {
  cookie_io_functions_t io;
  io.read = cookie_read;
  io.write = cookie_write;
  io.seek = cookie_seek;
  io.close = cookie_close;
  return fopencookie(cookie, "r+", io);
}
#else
static int funopen_read(void *c, char *buf, int n) {
  return (int)ops_of(c)->read(c, buf, (size_t)n);
}

static int funopen_write(void *c, const char *buf, int n) {
  return (int)write_through(c, buf, (size_t)n);
}

/* (off_t: the BSDs' fpos_t is one, and libbsd declares it so) */
static off_t funopen_seek(void *c, off_t offset, int whence) {
  int64_t off = (int64_t)offset;
  if (ops_of(c)->seek(c, &off, whence) != 0)
    return (off_t)-1;
  return (off_t)off;
}

static int funopen_close(void *c) { return ops_of(c)->close(c); }

static FILE *open_cookie_stream(void *cookie) {
  return funopen(cookie, funopen_read, funopen_write, funopen_seek,
                 funopen_close);
}
#endif

int tf__cookie_open(void *cookie, FILE **out) {
  struct tf__cookie *c = cookie;
  FILE *fp = open_cookie_stream(cookie);
  if (fp == NULL)
    return -1;
  c->fp = fp;
  /* setvbuf() may come only once, before any I/O: here. */
  if (c->buf != NULL && setvbuf(fp, c->buf, _IOFBF, c->buf_size) != 0) {
    int err = errno != 0 ? errno : ENOMEM;
    (void)fclose(fp);
    errno = err;
    return -1;
  }
#if TF_HAVE_STDIO_EXT
  /* A handle is used by one thread at a time (tempfile(3)), its stream
   * too; glibc would otherwise lock a cookie stream around every call,
   * even in a process with one thread, which makes fputc() three times
   * slower than on a stream of its own.  flockfile() still works. */
  (void)__fsetlocking(fp, FSETLOCKING_BYCALLER);
#endif
  *out = fp;
  return 0;
}

/* (As integers: the buffer and buf are not one object.) */
int tf__cookie_owns(const struct tf__cookie *c, const char *p, size_t n) {
  uintptr_t lo = (uintptr_t)c->buf, at = (uintptr_t)p;
  return c->buf != NULL && at >= lo && at - lo <= c->buf_size &&
         n <= c->buf_size - (at - lo);
}

