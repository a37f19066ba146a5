/* SPDX-License-Identifier: MIT */
/*
 * spool_disk.c - a spool's file phase (ON_DISK, spool.h): its data in
 * the unnamed file plus one DISK_BUF buffer that holds either dirty data
 * (written back with pwrite) or read-ahead.  spool.c keeps the phases and
 * the public calls; this file only moves bytes between the buffer and
 * the file, and never calls back into spool.c.
 */
#include "internal.h"
#include "spool.h"

#include <string.h>

/* Read up to n bytes at off, short only at the end of the file. */
static ssize_t pread_all(int fd, char *dst, size_t n, int64_t off) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = tf__sys.pread(fd, dst + done, n - done, off + (int64_t)done);
    if (r < 0)
      return done > 0 ? (ssize_t)done : -errno;
    if (r == 0)
      break;
    done += (size_t)r;
  }
  return (ssize_t)done;
}

/* Write the buffer's dirty bytes back.  What failed to go stays dirty. */
int tf__spool_flush_dirty(tf_spool *s) {
  struct disk_buf *b = &s->buf;
  size_t done;
  int rc;
  if (b->lo == b->hi)
    return 0;
  rc = tf__pwrite_all(s->fd, b->data + b->lo, b->hi - b->lo,
                      b->off + (int64_t)b->lo, &done);
  b->lo += done;
  if (rc < 0)
    return rc;
  b->lo = b->hi = 0;
  return 0;
}

/* Forget what the buffer holds at or past offset size. */
void tf__spool_cut_buffer(struct disk_buf *b, int64_t size) {
  size_t keep;
  if (b->off + (int64_t)b->len <= size)
    return;
  keep = b->off >= size ? 0 : (size_t)(size - b->off);
  b->len = keep;
  if (b->hi > keep)
    b->hi = keep;
  if (b->lo >= b->hi)
    b->lo = b->hi = 0;
}

ssize_t tf__spool_disk_write(tf_spool *s, const char *src, size_t n) {
  struct disk_buf *b = &s->buf;
  int64_t pos = s->pos;
  size_t at;
  int rc;
  /* Large writes skip the buffer, and so do writes that leave a hole:
   * the file system must judge such an offset now (a PiB is -EFBIG on
   * ext4), not at a write-back that could then never succeed. */
  if (n >= DIRECT_MIN || pos > s->size) {
    size_t done;
    rc = tf__spool_flush_dirty(s);
    if (rc < 0)
      return rc;
    if (pos < b->off + (int64_t)b->len && b->off < pos + (int64_t)n)
      b->len = 0; /* the file is about to differ from the buffer */
    rc = tf__pwrite_all(s->fd, src, n, pos, &done);
    if (done == 0)
      return rc;
    n = done;
  } else {
    /* (in offsets from the buffer: b->off + DISK_BUF may overflow) */
    if (!(pos >= b->off && (uint64_t)(pos - b->off) <= b->len &&
          (uint64_t)(pos - b->off) + n <= DISK_BUF)) {
      rc = tf__spool_flush_dirty(s);
      if (rc < 0)
        return rc;
      b->off = pos;
      b->len = 0;
    }
    at = (size_t)(pos - b->off);
    memcpy(b->data + at, src, n);
    if (b->lo == b->hi) {
      b->lo = at;
      b->hi = at + n;
    } else {
      if (at < b->lo)
        b->lo = at;
      if (at + n > b->hi)
        b->hi = at + n;
    }
    if (at + n > b->len)
      b->len = at + n;
  }
  s->pos = pos + (int64_t)n;
  if (s->pos > s->size)
    s->size = s->pos;
  return (ssize_t)n;
}

/* Read [pos, pos + n) (within the size) from the file with the buffer's
 * bytes laid over it, so nothing has to be written back first: the way
 * large reads go, and every read while the buffer cannot be written back
 * (a full disk) or bytes are pending (spool.c lays those over the
 * result): every byte accepted stays readable. */
static ssize_t read_around(tf_spool *s, char *dst, size_t n) {
  const struct disk_buf *b = &s->buf;
  int64_t pos = s->pos, lo, hi;
  ssize_t got = pread_all(s->fd, dst, n, pos);
  if (got < 0)
    return got;
  if ((size_t)got < n) /* past the file's end, before the buffer's data */
    memset(dst + got, 0, n - (size_t)got);
  lo = pos > b->off ? pos : b->off;
  hi = pos + (int64_t)n < b->off + (int64_t)b->len ? pos + (int64_t)n
                                                     : b->off + (int64_t)b->len;
  if (lo < hi)
    memcpy(dst + (lo - pos), b->data + (lo - b->off), (size_t)(hi - lo));
  s->pos = pos + (int64_t)n;
  return (ssize_t)n;
}

ssize_t tf__spool_disk_read(tf_spool *s, char *dst, size_t n) {
  struct disk_buf *b = &s->buf;
  int64_t pos = s->pos;
  ssize_t got;
  if (pos >= s->size)
    return 0;
  if ((uint64_t)n > (uint64_t)(s->size - pos))
    n = (size_t)(s->size - pos);
  if (s->pending != NULL)
    return read_around(s, dst, n);
  if (pos >= b->off && pos + (int64_t)n <= b->off + (int64_t)b->len) {
    memcpy(dst, b->data + (pos - b->off), n);
    s->pos = pos + (int64_t)n;
    return (ssize_t)n;
  }
  if (n >= DISK_BUF || tf__spool_flush_dirty(s) < 0)
    return read_around(s, dst, n);
  /* Refill: read ahead from pos, no further than the end (pread(2)
   * refuses a range that would pass INT64_MAX). */
  got = pread_all(s->fd, b->data,
                  (uint64_t)(s->size - pos) < DISK_BUF ? (size_t)(s->size - pos)
                                                       : DISK_BUF,
                  pos);
  if (got < 0)
    return got;
  b->off = pos;
  b->len = (size_t)got;
  if ((size_t)got < n)
    n = (size_t)got;
  memcpy(dst, b->data, n);
  s->pos = pos + (int64_t)n;
  return (ssize_t)n;
}
