/* SPDX-License-Identifier: MIT */
/*
 * shared.h - what the files both builds compile (spool.c, spool_disk.c,
 * spool_pending.c, membuf.c, pool.c, write_all.c: mk/windows.mk's
 * WIN_SHARED_SRC) declare to each other and need from the platform
 * beyond core.h.  POSIX sees it through internal.h; Windows through
 * win/internal_win.h, which stands in for internal.h in those files and
 * adds the system-call table they use (the POSIX table's types, struct
 * stat, DIR, sigset_t..., do not exist there).
 */
#ifndef TF_SHARED_H
#define TF_SHARED_H

#include "core.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* The spool's stream.  ops: the functions behind a cookie stream
 * (internal.h; none on Windows, whose stream is one on the spool's file).
 */
struct tf__stream_ops;
/* buf: the stream's stdio buffer, buf_size bytes owned by the cookie's
 * owner, so that the write function can tell bytes stdio already
 * accepted (they come from buf) from a caller's own (a large fwrite);
 * NULL: stdio's default buffer.  fp: the stream, once opened (cookie.c
 * corrects glibc's idea of its offset). */
struct tf__cookie {
  const struct tf__stream_ops *ops;
  char *buf;
  size_t buf_size;
  FILE *fp;
};

/* POSIX: path.c; Windows: win/shared_win.c.  The absolute form of path
 * in out (size bytes); its length or -errno. */
int tf__abspath(const char *path, char *out, size_t size);

/* POSIX: create.c; Windows: win/create_win.c.  An unnamed file
 * (tf_tmpfile() less the checks) for options already taken: in dirfd for
 * is_at, else in o->dir or the temp dir. */
int tf__tmpfile(int dirfd, int is_at, const tf_opts *o);

/* POSIX: sys.c; Windows: win/shared_win.c.  close() preserving errno, for
 * cleanup paths. */
void tf__close_quiet(int fd);

/* write_all.c, the library's one write loop: write all n bytes at fd's offset, retrying short writes; 0 or
 * -errno.  tf__pwrite_all() writes at off instead (at fd's offset when
 * off < 0) and tells in *done (unless NULL) how many bytes made it. */
int tf__write_all(int fd, const void *buf, size_t n);
int tf__pwrite_all(int fd, const void *buf, size_t n, int64_t off,
                   size_t *done);

/* membuf.c: a spool's data in memory, in chunks that are never moved. */
struct tf__chunk {
  char *data;
  size_t start; /* offset of data[0] */
  size_t cap;
};
struct tf__membuf {
  struct tf__chunk *chunks;
  size_t count, slots;
  size_t cap;  /* bytes in chunks */
  size_t size; /* bytes of data */
  size_t hint; /* the chunk touched last */
};
/* Write n bytes at pos, zeros filling any gap after the end; new chunks
 * keep the capacity within limit (0: none) if pos + n is.  0 or -ENOMEM
 * with the data unchanged. */
int tf__membuf_write(struct tf__membuf *m, size_t pos, const void *src,
                     size_t n, size_t limit);
/* Up to n bytes from pos; the count (0 at or past the end). */
size_t tf__membuf_read(struct tf__membuf *m, size_t pos, void *dst, size_t n);
/* Cut to size, or extend with zeros; 0 or -ENOMEM (unchanged). */
int tf__membuf_resize(struct tf__membuf *m, size_t size, size_t limit);
/* fn on each piece of data in order; stops at and returns its first
 * negative result. */
int tf__membuf_each(const struct tf__membuf *m,
                    int (*fn)(void *ctx, const void *data, size_t n,
                              size_t start),
                    void *ctx);
void tf__membuf_release(struct tf__membuf *m);

/* stream.c (Windows: win/spool_stream_win.c, a stream on the rolled-over
 * file): a stream on a spool (tf_spool_stream()), and the spool's
 * internal calls it makes, which leave the stream alone. */
int tf__spool_open_stream(tf_spool *s, FILE **out);
ssize_t tf__spool_read(tf_spool *s, void *buf, size_t n);
ssize_t tf__spool_write(tf_spool *s, const void *buf, size_t n);
int64_t tf__spool_seek(tf_spool *s, int64_t offset, int whence);
void tf__spool_stream_closed(tf_spool *s);
/* Hand the stream over to a direct call (buffered writes out, read-ahead
 * given back): 0 or -errno. */
int tf__spool_sync_stream(FILE *fp);
/* spool_pending.c: the write of bytes from the stream's own buffer,
 * which stdio has already reported written: they are kept whatever
 * fails.  n, or the -errno to report (a failed rollover, a full disk),
 * the bytes placed or kept all the same; -ENOMEM when even keeping them
 * failed. */
ssize_t tf__spool_accept(tf_spool *s, const char *src, size_t n);

/* spool.c: bytes of memory the spool holds for data (chunks while in
 * memory, the write buffer after rollover, the stream's buffer, pending
 * bytes). */
size_t tf__spool_memory(const tf_spool *s);

#endif /* TF_SHARED_H */
