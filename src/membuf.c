/* SPDX-License-Identifier: MIT */
/*
 * membuf.c - the in-memory store of a spool: a list of chunks that only
 * grows by adding a chunk, so data once written is never copied again
 * (growth by reallocation copies it at every doubling), and a failed
 * allocation leaves every byte in place.  Each new chunk is as large as
 * all before it (4 KiB, 4 KiB, 8 KiB, ... up to 32 MiB), never past the
 * caller's limit.  Chunks from 2 MiB on are mapped memory aligned for
 * huge pages: filling 64 MiB then costs 32 page faults instead of 16384,
 * which is most of the time a memory spool would otherwise spend.
 */
#include "internal.h"

#include <string.h>

#define CHUNK_MIN ((size_t)4096)
#define CHUNK_MAX ((size_t)32 << 20)
#define MAPPED_MIN ((size_t)2 << 20) /* chunks this large are mapped */

static void *chunk_alloc(size_t size) {
  void *p = NULL;
  if (size < MAPPED_MIN)
    return tf__malloc(size);
  return tf__sys.mapmem(size, &p) == 0 ? p : NULL;
}

static void chunk_free(const struct tf__chunk *c) {
  if (c->cap < MAPPED_MIN)
    tf__freemem(c->data);
  else
    (void)tf__sys.unmapmem(c->data, c->cap);
}

/* Index of the chunk holding byte pos (pos < m->cap). */
static size_t find_chunk(struct tf__membuf *m, size_t pos) {
  size_t lo = 0, hi = m->count;
  const struct tf__chunk *h = &m->chunks[m->hint];
  if (pos >= h->start && pos - h->start < h->cap)
    return m->hint;
  if (m->hint + 1 < m->count && pos >= h[1].start && pos - h[1].start < h[1].cap)
    return m->hint + 1;
  while (hi - lo > 1) { /* the last chunk whose start <= pos */
    size_t mid = lo + (hi - lo) / 2;
    if (m->chunks[mid].start <= pos)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

static int add_slot(struct tf__membuf *m) {
  size_t slots = m->slots ? m->slots * 2 : 16;
  struct tf__chunk *grown = tf__malloc(slots * sizeof(*grown));
  if (grown == NULL)
    return -ENOMEM;
  if (m->count > 0)
    memcpy(grown, m->chunks, m->count * sizeof(*grown));
  tf__freemem(m->chunks);
  m->chunks = grown;
  m->slots = slots;
  return 0;
}

/* Room for end bytes, adding chunks that keep the total within limit
 * (0: none) when end is.  -ENOMEM leaves the data as it was. */
static int reserve(struct tf__membuf *m, size_t end, size_t limit) {
  while (m->cap < end) {
    size_t want = end - m->cap;
    size_t step = m->cap < CHUNK_MIN ? CHUNK_MIN : m->cap;
    size_t size;
    char *data;
    if (step > CHUNK_MAX)
      step = CHUNK_MAX;
    size = want > step ? want : step;
    if (limit >= end && size > limit - m->cap)
      size = limit - m->cap;
    if (m->count == m->slots && add_slot(m) != 0)
      return -ENOMEM;
    data = chunk_alloc(size);
    if (data == NULL)
      return -ENOMEM;
    m->chunks[m->count].data = data;
    m->chunks[m->count].start = m->cap;
    m->chunks[m->count].cap = size;
    m->count++;
    m->cap += size;
  }
  return 0;
}

/* Copy src (or zeros when src is NULL) over [pos, pos + n) < m->cap. */
static void put(struct tf__membuf *m, size_t pos, const char *src, size_t n) {
  size_t i;
  if (n == 0)
    return;
  i = find_chunk(m, pos);
  for (;;) {
    struct tf__chunk *c = &m->chunks[i];
    size_t off = pos - c->start;
    size_t k = c->cap - off < n ? c->cap - off : n;
    if (src != NULL) {
      memcpy(c->data + off, src, k);
      src += k;
    } else {
      memset(c->data + off, 0, k);
    }
    n -= k;
    pos += k;
    m->hint = i;
    if (n == 0)
      return;
    i++;
  }
}

int tf__membuf_write(struct tf__membuf *m, size_t pos, const void *src,
                     size_t n, size_t limit) {
  size_t end = pos + n;
  int rc;
  if (end < pos)
    return -ENOMEM;
  rc = reserve(m, end, limit);
  if (rc < 0)
    return rc;
  if (pos > m->size)
    put(m, m->size, NULL, pos - m->size);
  put(m, pos, src, n);
  if (end > m->size)
    m->size = end;
  return 0;
}

size_t tf__membuf_read(struct tf__membuf *m, size_t pos, void *dst,
                       size_t n) {
  char *out = dst;
  size_t i, done = 0;
  if (pos >= m->size)
    return 0;
  if (n > m->size - pos)
    n = m->size - pos;
  if (n == 0)
    return 0;
  i = find_chunk(m, pos);
  while (done < n) {
    const struct tf__chunk *c = &m->chunks[i];
    size_t off = pos - c->start;
    size_t k = c->cap - off < n - done ? c->cap - off : n - done;
    memcpy(out + done, c->data + off, k);
    done += k;
    pos += k;
    m->hint = i;
    i++;
  }
  return n;
}

int tf__membuf_resize(struct tf__membuf *m, size_t size, size_t limit) {
  if (size > m->size) {
    int rc = reserve(m, size, limit);
    if (rc < 0)
      return rc;
    put(m, m->size, NULL, size - m->size);
  } else {
    /* Give back the chunks that now hold nothing. */
    while (m->count > 0 && m->chunks[m->count - 1].start >= size &&
           m->chunks[m->count - 1].start > 0) {
      m->count--;
      m->cap = m->chunks[m->count].start;
      chunk_free(&m->chunks[m->count]);
    }
    if (m->hint >= m->count)
      m->hint = 0;
  }
  m->size = size;
  return 0;
}

int tf__membuf_each(const struct tf__membuf *m,
                    int (*fn)(void *ctx, const void *data, size_t n,
                              size_t start),
                    void *ctx) {
  size_t i;
  for (i = 0; i < m->count && m->chunks[i].start < m->size; i++) {
    const struct tf__chunk *c = &m->chunks[i];
    size_t n = m->size - c->start < c->cap ? m->size - c->start : c->cap;
    int rc = fn(ctx, c->data, n, c->start);
    if (rc < 0)
      return rc;
  }
  return 0;
}

void tf__membuf_release(struct tf__membuf *m) {
  size_t i;
  for (i = 0; i < m->count; i++)
    chunk_free(&m->chunks[i]);
  tf__freemem(m->chunks);
  memset(m, 0, sizeof(*m));
}
