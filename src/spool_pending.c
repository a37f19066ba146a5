/* SPDX-License-Identifier: MIT */
/*
 * spool_pending.c - bytes the spool's stream had accepted that the spool
 * could not store yet (spool.h, struct pending).  stdio reports a write
 * as done once the bytes are in its buffer and forgets them when the
 * flush fails, so the spool keeps what a failed flush brought it here, in
 * order, and places it before any later write: a rollover that fails on
 * a full disk loses nothing the stream had said it wrote.  Reads on disk
 * see the pending bytes laid over the file; other calls wait for them.
 */
#include "internal.h"
#include "spool.h"

#include <string.h>

int tf__spool_stash(tf_spool *s, int64_t off, const char *src, size_t n) {
  struct pending *p;
  int64_t end;
  if (n == 0)
    return 0;
  if (n > SIZE_MAX - sizeof(*p) || (uint64_t)off > (uint64_t)INT64_MAX - n)
    return -ENOMEM;
  p = tf__malloc(sizeof(*p) + n);
  if (p == NULL)
    return -ENOMEM;
  p->next = NULL;
  p->off = off;
  p->len = n;
  memcpy(p->data, src, n);
  if (s->pending == NULL)
    s->pending_tail = &s->pending;
  *s->pending_tail = p;
  s->pending_tail = &p->next;
  s->pending_bytes += n;
  /* The stream's position is past them, as if they had been written. */
  end = off + (int64_t)n;
  if (s->phase == EXPOSED) {
    (void)tf__sys.lseek(s->fd, end, SEEK_SET);
  } else {
    s->pos = end;
    if (end > s->size) /* the size counts them (on disk, reads too) */
      s->size = end;
  }
  return 0;
}

/* Place what p holds, at its offset; the count placed or -errno. */
static ssize_t place_one(tf_spool *s, const struct pending *p) {
  int64_t pos = s->pos;
  ssize_t w;
  int roll_err; /* the stream reported it; a later write tries again */
  if (s->phase == EXPOSED) {
    size_t done;
    int rc = tf__pwrite_all(s->fd, p->data, p->len, p->off, &done);
    return done > 0 ? (ssize_t)done : rc;
  }
  s->pos = p->off;
  w = tf__spool_place(s, p->data, p->len, &roll_err);
  s->pos = pos;
  return w;
}

int tf__spool_drain(tf_spool *s) {
  while (s->pending != NULL) {
    struct pending *p = s->pending;
    ssize_t w = place_one(s, p);
    if (w < 0)
      return (int)w;
    s->pending_bytes -= (size_t)w;
    if ((size_t)w < p->len) { /* keep the rest, try it again */
      memmove(p->data, p->data + w, p->len - (size_t)w);
      p->off += (int64_t)w;
      p->len -= (size_t)w;
      continue;
    }
    s->pending = p->next;
    tf__freemem(p);
  }
  return 0;
}

ssize_t tf__spool_accept(tf_spool *s, const char *src, size_t n) {
  size_t done = 0;
  int rc = 0, roll_err = 0;
  int64_t at;
  if (s->phase == CLOSED)
    return -EBADF;
  if (s->pending != NULL)
    rc = tf__spool_drain(s); /* in order: these come after */
  while (rc == 0 && done < n) {
    ssize_t w = tf__spool_place(s, src + done, n - done, &roll_err);
    if (w < 0)
      rc = (int)w;
    else
      done += (size_t)w;
  }
  if (done == n)
    return roll_err < 0 ? roll_err : (ssize_t)n;
  if (s->phase == EXPOSED) {
    at = tf__sys.lseek(s->fd, 0, SEEK_CUR);
    if (at < 0)
      return -errno;
  } else {
    at = s->pos;
  }
  if (tf__spool_stash(s, at, src + done, n - done) < 0)
    return -ENOMEM;
  return rc;
}

void tf__spool_overlay(const tf_spool *s, char *dst, int64_t at, size_t n) {
  const struct pending *p;
  int64_t end = at + (int64_t)n;
  for (p = s->pending; p != NULL; p = p->next) { /* later ones win */
    int64_t lo = p->off > at ? p->off : at;
    int64_t hi = p->off + (int64_t)p->len < end ? p->off + (int64_t)p->len
                                                  : end;
    if (lo < hi)
      memcpy(dst + (lo - at), p->data + (lo - p->off), (size_t)(hi - lo));
  }
}

void tf__spool_cut_pending(tf_spool *s, int64_t size) {
  struct pending **link = &s->pending;
  while (*link != NULL) {
    struct pending *p = *link;
    if (p->off >= size) {
      *link = p->next;
      s->pending_bytes -= p->len;
      tf__freemem(p);
      continue;
    }
    if (p->off + (int64_t)p->len > size) {
      s->pending_bytes -= p->len - (size_t)(size - p->off);
      p->len = (size_t)(size - p->off);
    }
    link = &p->next;
  }
  s->pending_tail = link;
}

void tf__spool_drop_pending(tf_spool *s) {
  while (s->pending != NULL) {
    struct pending *p = s->pending;
    s->pending = p->next;
    tf__freemem(p);
  }
  s->pending_bytes = 0;
}
