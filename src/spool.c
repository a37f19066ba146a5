/* SPDX-License-Identifier: MIT */
/*
 * spool.c - the spooled file (tf_spool): memory first, an unnamed file
 * once a write would pass max_size.
 *
 * A spool lives in one of four phases:
 *   IN_MEMORY  data in a membuf; pos and size are ours.
 *   ON_DISK    data in the unnamed file plus one 64 KiB buffer that
 *              holds either dirty data (written back with pwrite) or
 *              read-ahead; pos and size are ours, the fd's offset is
 *              unused.
 *   EXPOSED    the caller has the fd (tf_spool_fd()): no buffer, and the
 *              fd's offset and size are the truth, so the two can mix.
 *   CLOSED     everything released; calls give -EBADF.
 * The rollover writes the memory out before anything changes, so its
 * failure leaves the spool in memory, whole.
 *
 * The stream (stream.c) has a stdio buffer.  The public calls first
 * flush it (its writes reach the spool, its read-ahead is given back), so
 * the two share one position and see each other's writes; the stream
 * calls the tf__spool_* functions, which do not.  Bytes the stream's
 * buffer accepted are placed memory first (tf__spool_place) and what
 * still cannot go is kept (spool_pending.c): nothing stdio said it wrote
 * is lost.
 */
#include "internal.h"
#include "spool.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- creation */

/* Keep the taken options o, with copies of their strings, the dir made
 * absolute, in one allocation the saved options point into. */
static int save_opts(tf_spool *s, const tf_opts *o) {
  char dir[PATH_MAX];
  size_t dlen = 0, plen, slen;
  char *p;
  int rc;
  s->opts = *o;
  if (o->dir != NULL) {
    rc = tf__abspath(o->dir, dir, sizeof(dir));
    if (rc < 0)
      return rc;
    dlen = (size_t)rc + 1;
  }
  plen = o->prefix ? strlen(o->prefix) + 1 : 0;
  slen = o->suffix ? strlen(o->suffix) + 1 : 0;
  if (dlen + plen + slen == 0)
    return 0;
  p = s->names = tf__malloc(dlen + plen + slen);
  if (p == NULL)
    return -ENOMEM;
  if (dlen) {
    memcpy(p, dir, dlen);
    s->opts.dir = p;
    p += dlen;
  }
  if (plen) {
    memcpy(p, o->prefix, plen);
    s->opts.prefix = p;
    p += plen;
  }
  if (slen) {
    memcpy(p, o->suffix, slen);
    s->opts.suffix = p;
  }
  return 0;
}

int tf__spool_new(tf_spool **out, size_t max_size, int is_at,
                  const tf_opts *opts) {
  tf_spool *s;
  tf_opts o;
  int rc;
  if (out == NULL)
    return -EINVAL;
  /* pwrite() appends under O_APPEND; O_DIRECT needs aligned buffers.  The
   * name is checked now, not at a rollover much later. */
  rc = tf__opts_take(&o, opts, 0,
                     (is_at ? TF__OPTS_AT : 0) | TF__OPTS_NAME |
                         TF__OPTS_NO_APPEND | TF__OPTS_NO_DIRECT);
  if (rc < 0)
    return rc;
  s = tf__malloc(sizeof(*s));
  if (s == NULL)
    return -ENOMEM;
  memset(s, 0, sizeof(*s));
  s->phase = IN_MEMORY;
  s->max_size = max_size;
  s->fd = -1;
  s->dirfd = -1;
  rc = save_opts(s, &o);
  if (rc < 0) {
    tf__freemem(s->names);
    tf__freemem(s);
    return rc;
  }
  *out = s;
  return 0;
}

int tf_spool_create(tf_spool **out, size_t max_size, const tf_opts *opts) {
  return tf__spool_new(out, max_size, 0, opts);
}

/* ------------------------------------------------------------ rollover */

struct copy_out {
  int fd;
};

static int copy_chunk(void *ctx, const void *data, size_t n, size_t start) {
  return tf__pwrite_all(((struct copy_out *)ctx)->fd, data, n,
                        (int64_t)start, NULL);
}

/* The options were taken at creation: no second check. */
static int open_file(tf_spool *s) {
  return tf__tmpfile(s->dirfd, s->dirfd >= 0, &s->opts);
}

/* Move the data to a new unnamed file; on failure nothing changed. */
static int roll(tf_spool *s) {
  struct copy_out c;
  char *data;
  int rc;
  if (s->phase != IN_MEMORY)
    return 0;
  data = tf__malloc(DISK_BUF);
  if (data == NULL)
    return -ENOMEM;
  c.fd = open_file(s);
  if (c.fd < 0) {
    tf__freemem(data);
    return c.fd;
  }
  rc = tf__membuf_each(&s->mem, copy_chunk, &c);
  if (rc < 0) {
    tf__close_quiet(c.fd); /* unnamed: its blocks go with it */
    tf__freemem(data);
    return rc;
  }
  tf__membuf_release(&s->mem);
  memset(&s->buf, 0, sizeof(s->buf));
  s->buf.data = data;
  s->fd = c.fd;
  s->phase = ON_DISK;
  s->rolled = 1;
  return 0;
}

/* ---------------------------------------------------------------- write */

static ssize_t exposed_write(tf_spool *s, const char *src, size_t n) {
  size_t done;
  int rc = tf__pwrite_all(s->fd, src, n, -1, &done);
  return done > 0 ? (ssize_t)done : rc;
}

/* Pending bytes go first; -errno while they cannot. */
static int settle(tf_spool *s) {
  return s->pending == NULL ? 0 : tf__spool_drain(s);
}

/* What read and write check first: -EBADF, -EINVAL, or 0 with *n at
 * most SSIZE_MAX (as read(2) and write(2) transfer at most that). */
static int check_io(const tf_spool *s, const void *buf, size_t *n) {
  if (s->phase == CLOSED)
    return -EBADF;
  if (*n > 0 && buf == NULL)
    return -EINVAL;
  if (*n > (size_t)SSIZE_MAX)
    *n = (size_t)SSIZE_MAX;
  return 0;
}

ssize_t tf__spool_write(tf_spool *s, const void *buf, size_t n) {
  int rc = check_io(s, buf, &n);
  if (rc == 0 && n > 0)
    rc = settle(s);
  if (rc < 0 || n == 0)
    return rc;
  if (s->phase == EXPOSED)
    return exposed_write(s, buf, n);
  if ((uint64_t)s->pos > (uint64_t)INT64_MAX - n)
    return -EFBIG;
  if (s->phase == IN_MEMORY) {
    if (s->max_size == 0 || (uint64_t)s->pos + n <= s->max_size) {
      if ((uint64_t)s->pos + n > SIZE_MAX)
        return -ENOMEM;
      rc = tf__membuf_write(&s->mem, (size_t)s->pos, buf, n, s->max_size);
      if (rc < 0)
        return rc;
      s->pos += (int64_t)n;
      s->size = (int64_t)s->mem.size;
      return (ssize_t)n;
    }
    rc = roll(s);
    if (rc < 0)
      return rc;
  }
  return tf__spool_disk_write(s, buf, n);
}

ssize_t tf__spool_place(tf_spool *s, const char *src, size_t n,
                        int *roll_err) {
  int rc, over;
  *roll_err = 0;
  if (s->phase == EXPOSED)
    return exposed_write(s, src, n);
  if ((uint64_t)s->pos > (uint64_t)INT64_MAX - n)
    return -EFBIG;
  if (s->phase == IN_MEMORY) {
    over = s->max_size > 0 && (uint64_t)s->pos + n > s->max_size;
    rc = (uint64_t)s->pos + n > SIZE_MAX
             ? -ENOMEM
             : tf__membuf_write(&s->mem, (size_t)s->pos, src, n, s->max_size);
    if (rc == 0) {
      s->pos += (int64_t)n;
      if ((int64_t)s->mem.size > s->size) /* (pending bytes may be past) */
        s->size = (int64_t)s->mem.size;
      if (over)
        *roll_err = roll(s);
      return (ssize_t)n;
    }
    if (!over) /* no memory, and no reason to roll */
      return rc;
    rc = roll(s);
    if (rc < 0)
      return rc;
  }
  return tf__spool_disk_write(s, src, n);
}

/* ----------------------------------------------------------------- read */

ssize_t tf__spool_read(tf_spool *s, void *buf, size_t n) {
  int rc = check_io(s, buf, &n);
  if (rc == 0 && n > 0) {
    /* On disk, reads see pending bytes laid over the file; elsewhere
     * they wait for them. */
    rc = settle(s);
    if (s->phase == ON_DISK)
      rc = 0;
  }
  if (rc < 0 || n == 0)
    return rc;
  if (s->phase == EXPOSED) {
    ssize_t r = tf__sys.read(s->fd, buf, n);
    return r < 0 ? -errno : r;
  }
  if (s->phase == ON_DISK) {
    int64_t at = s->pos;
    ssize_t got = tf__spool_disk_read(s, buf, n);
    if (got > 0 && s->pending != NULL) /* newer than the file and buffer */
      tf__spool_overlay(s, buf, at, (size_t)got);
    return got;
  }
  if ((uint64_t)s->pos >= s->mem.size)
    return 0;
  n = tf__membuf_read(&s->mem, (size_t)s->pos, buf, n);
  s->pos += (int64_t)n;
  return (ssize_t)n;
}

/* ----------------------------------------------------------------- seek */

static int64_t seek_to(tf_spool *s, int64_t offset, int whence) {
  int64_t base;
  if (s->phase == CLOSED)
    return -EBADF;
  if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
    return -EINVAL;
  if (s->phase == EXPOSED) {
    int64_t r;
    /* The file's end is past pending bytes only once they are in it. */
    if (whence == SEEK_END && (r = settle(s)) < 0)
      return r;
    r = tf__sys.lseek(s->fd, offset, whence);
    return r < 0 ? -errno : r;
  }
  /* (s->size counts pending bytes) */
  base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s->pos : s->size;
  if (offset > 0 && base > INT64_MAX - offset)
    return -EOVERFLOW;
  if (base + offset < 0)
    return -EINVAL;
  s->pos = base + offset;
  return s->pos;
}

/* A failure is remembered for sync_stream(). */
int64_t tf__spool_seek(tf_spool *s, int64_t offset, int whence) {
  int64_t r = seek_to(s, offset, whence);
  if (r < 0)
    s->seek_err = (int)-r;
  return r;
}

/* ----------------------------------------------------------- public API */

/* Hand the spool over from the stream to a direct call: the stream's
 * buffered writes reach the spool, its read-ahead is given back, and it
 * forgets the offset it knew.  0, or -errno if the read-ahead could not
 * be given back (a failed seek): the spool is then not at the stream's
 * position and the call must not go on; stdio keeps the read-ahead, so
 * the next call tries again.  Writes that could not be stored are no
 * reason to stop (what the stream accepted is kept, and the stream
 * reports the error): *wrote gets that result, if not NULL. */
static int sync_stream(tf_spool *s, int *wrote) {
  int rc = 0;
  s->seek_err = 0;
  if (s->stream != NULL)
    rc = tf__spool_sync_stream(s->stream);
  if (wrote != NULL)
    *wrote = rc;
  return s->seek_err != 0 ? -s->seek_err : 0;
}

/* sync_stream() then pending bytes first: for the calls that need the
 * spool's store whole (-errno while the pending bytes cannot go). */
static int sync_all(tf_spool *s) {
  int rc = sync_stream(s, NULL);
  if (rc < 0)
    return rc;
  if (s->phase == CLOSED)
    return -EBADF;
  return settle(s);
}

int tf__spool_handover(tf_spool *s) { return sync_stream(s, NULL); }

/* The start of the calls that need the stream handed over only. */
#define SYNC_OR_RETURN(s)                                                    \
  do {                                                                       \
    int synced_ = sync_stream(s, NULL);                                      \
    if (synced_ < 0)                                                         \
      return synced_;                                                        \
  } while (0)

ssize_t tf_spool_write(tf_spool *s, const void *buf, size_t n) {
  if (s == NULL)
    return -EINVAL;
  SYNC_OR_RETURN(s);
  return tf__spool_write(s, buf, n);
}

ssize_t tf_spool_read(tf_spool *s, void *buf, size_t n) {
  if (s == NULL)
    return -EINVAL;
  SYNC_OR_RETURN(s);
  return tf__spool_read(s, buf, n);
}

int64_t tf_spool_seek(tf_spool *s, int64_t offset, int whence) {
  if (s == NULL)
    return -EINVAL;
  SYNC_OR_RETURN(s);
  return tf__spool_seek(s, offset, whence);
}

int64_t tf_spool_tell(tf_spool *s) {
  if (s == NULL)
    return -EINVAL;
  return tf_spool_seek(s, 0, SEEK_CUR);
}

int64_t tf_spool_truncate(tf_spool *s, int64_t size) {
  int rc;
  if (s == NULL || size < TF_SPOOL_HERE)
    return -EINVAL;
  SYNC_OR_RETURN(s);
  if (s->phase == CLOSED)
    return -EBADF;
  /* On disk a truncate needs no write: it may make room on a full disk
   * for the pending bytes it keeps. */
  if (s->phase != ON_DISK && (rc = settle(s)) < 0)
    return rc;
  if (size == TF_SPOOL_HERE) {
    size = tf__spool_seek(s, 0, SEEK_CUR);
    if (size < 0)
      return size;
    /* CPython never rolls here (BytesIO cannot grow by truncate); we
     * grow, so we roll rather than hold more than max_size. */
    if (s->max_size > 0 && (uint64_t)size > s->max_size) {
      rc = roll(s);
      if (rc < 0)
        return rc;
    }
  } else if ((uint64_t)size > s->max_size) {
    rc = roll(s); /* as CPython: even a shrink when max_size is 0 */
    if (rc < 0)
      return rc;
  }
  if (s->phase == IN_MEMORY) {
    if ((uint64_t)size > SIZE_MAX)
      return -ENOMEM;
    rc = tf__membuf_resize(&s->mem, (size_t)size, s->max_size);
    if (rc < 0)
      return rc;
    s->size = size;
    return size;
  }
  /* No write-back needed: dirty bytes below size stay dirty, those past
   * it go with the rest, so a full disk does not stop a truncate. */
  if (tf__sys.ftruncate(s->fd, size) != 0)
    return -errno;
  if (s->phase == ON_DISK) {
    tf__spool_cut_buffer(&s->buf, size);
    tf__spool_cut_pending(s, size);
    s->size = size;
  }
  return size;
}

int tf_spool_flush(tf_spool *s) {
  int rc, synced;
  if (s == NULL)
    return -EINVAL;
  rc = sync_stream(s, &synced);
  if (rc < 0)
    return rc;
  if (s->phase == CLOSED)
    return -EBADF;
  rc = settle(s);
  if (rc == 0 && s->phase == ON_DISK)
    rc = tf__spool_flush_dirty(s);
  return rc < 0 ? rc : synced;
}

int64_t tf_spool_size(tf_spool *s) {
  int64_t size;
  int rc;
  if (s == NULL)
    return -EINVAL;
  SYNC_OR_RETURN(s);
  if (s->phase == CLOSED)
    return -EBADF;
  if (s->phase == ON_DISK) /* pending bytes count in s->size */
    return s->size;
  rc = settle(s);
  if (rc < 0)
    return rc;
  if (s->phase != EXPOSED)
    return s->size;
  if (tf__sys.fsize(s->fd, &size) != 0)
    return -errno;
  return size;
}

/* A direct call like the others: it sees what the stream wrote (the
 * stream is state the caller does not see, hence the cast). */
int tf_spool_rolled(const tf_spool *s) {
  if (s == NULL)
    return -EINVAL;
  (void)sync_stream((tf_spool *)s, NULL);
  return s->rolled;
}

int tf_spool_rollover(tf_spool *s) {
  int rc;
  if (s == NULL)
    return -EINVAL;
  rc = sync_all(s);
  return rc < 0 ? rc : roll(s);
}

int tf_spool_fd(tf_spool *s) {
  int rc;
  if (s == NULL)
    return -EINVAL;
  rc = sync_all(s);
  if (rc < 0)
    return rc;
  if (s->phase == EXPOSED)
    return s->fd;
  rc = roll(s);
  if (rc == 0)
    rc = tf__spool_flush_dirty(s);
  if (rc < 0)
    return rc;
  if (tf__sys.lseek(s->fd, s->pos, SEEK_SET) < 0)
    return -errno;
  tf__freemem(s->buf.data);
  memset(&s->buf, 0, sizeof(s->buf));
  s->phase = EXPOSED;
  return s->fd;
}

int tf_spool_stream(tf_spool *s, FILE **out) {
  int rc;
  if (s == NULL || out == NULL)
    return -EINVAL;
  if (s->phase == CLOSED)
    return -EBADF;
  if (s->stream == NULL) {
    /* The buffer is the spool's, kept for a stream opened again. */
    if (s->cookie.buf == NULL) {
      s->cookie.buf = tf__malloc(STREAM_BUF);
      if (s->cookie.buf == NULL)
        return -ENOMEM;
      s->cookie.buf_size = STREAM_BUF;
    }
    rc = tf__spool_open_stream(s, &s->stream);
    if (rc < 0)
      return rc;
  }
  *out = s->stream;
  return 0;
}

void tf__spool_stream_closed(tf_spool *s) { s->stream = NULL; }

int tf_spool_close(tf_spool *s) {
  int rc = 0;
  if (s == NULL)
    return 0;
  if (s->phase == CLOSED)
    return 0;
  /* Closed first: the stream's last flush, whose bytes would only go
   * with the rest, is refused (-EBADF) instead of rolling over. */
  s->phase = CLOSED;
  if (s->stream != NULL) {
    (void)tf__sys.fclose(s->stream);
    s->stream = NULL;
  }
  if (s->fd >= 0 && tf__sys.close(s->fd) != 0)
    rc = -errno;
  s->fd = -1;
  tf__membuf_release(&s->mem);
  tf__freemem(s->buf.data);
  memset(&s->buf, 0, sizeof(s->buf));
  tf__spool_drop_pending(s);
  tf__freemem(s->cookie.buf);
  s->cookie.buf = NULL;
  s->cookie.buf_size = 0;
  return rc;
}

int tf_spool_free(tf_spool *s) {
  int rc;
  if (s == NULL)
    return 0;
  rc = tf_spool_close(s);
  if (s->dirfd >= 0)
    tf__close_quiet(s->dirfd);
  tf__freemem(s->names);
  tf__freemem(s);
  return rc;
}

size_t tf__spool_memory(const tf_spool *s) {
  return s->mem.cap + (s->buf.data != NULL ? DISK_BUF : 0) +
         s->cookie.buf_size + s->pending_bytes;
}
