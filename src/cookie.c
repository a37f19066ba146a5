/* SPDX-License-Identifier: MIT */
/*
 * cookie.c - the table's fopencookie entry (sys.c): a stdio stream whose
 * I/O goes to the functions of a cookie (struct tf__cookie), through
 * fopencookie() in glibc and musl or funopen() on the BSDs and macOS.
 * Used by the spool's stream (stream.c) and the other handles' streams.
 */
#include "internal.h"

/* Streams whose I/O calls a cookie's functions: fopencookie() in glibc
 * and musl, funopen() on the BSDs and macOS.  The adapters below only
 * translate types; the cookie dispatches. */
static const struct tf__stream_ops *ops_of(void *cookie) {
  return ((struct tf__cookie *)cookie)->ops;
}

#if defined(__linux__)
static ssize_t cookie_read(void *c, char *buf, size_t n) {
  return ops_of(c)->read(c, buf, n);
}

/* A write that fails: glibc's fopencookie(3) wants 0, never a negative
 * value (it takes -1 for a huge count and writes bytes past the caller's
 * buffer); musl's marks the stream in error only for -1.  errno says
 * why. */
static ssize_t cookie_write(void *c, const char *buf, size_t n) {
  ssize_t rc = ops_of(c)->write(c, buf, n);
#if defined(__GLIBC__)
  return rc < 0 ? 0 : rc;
#else
  return rc < 0 ? -1 : rc;
#endif
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
  return (int)ops_of(c)->write(c, buf, (size_t)n);
}

static fpos_t funopen_seek(void *c, fpos_t offset, int whence) {
  int64_t off = (int64_t)offset;
  if (ops_of(c)->seek(c, &off, whence) != 0)
    return (fpos_t)-1;
  return (fpos_t)off;
}

static int funopen_close(void *c) { return ops_of(c)->close(c); }

static FILE *open_cookie_stream(void *cookie) {
  return funopen(cookie, funopen_read, funopen_write, funopen_seek,
                 funopen_close);
}
#endif

int tf__cookie_open(void *cookie, FILE **out) {
  FILE *fp = open_cookie_stream(cookie);
  if (fp == NULL)
    return -1;
  /* The spool buffers; a second buffer there would hide data from the
   * direct calls and drop it when a write to the file fails.  setvbuf()
   * may come only once, before any I/O: here. */
  if (!ops_of(cookie)->buffered)
    setvbuf(fp, NULL, _IONBF, 0);
  *out = fp;
  return 0;
}
