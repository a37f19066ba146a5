/* SPDX-License-Identifier: MIT */
/*
 * test_win_spool_diff.c - tf_spool against a plain file, step by step,
 * on Windows (the POSIX tests/test_spool_diff.c; its model,
 * tests/spool_model.c, needs POSIX: stdio_ext's __fpending, the POSIX
 * fault injector, struct iovec).  Pseudo-random programs from fixed
 * seeds do each operation to the spool and to a reference file (an
 * unnamed file through the C runtime: _write, _read, _lseeki64,
 * _chsize_s) and compare the counts, positions, sizes, errors and bytes
 * read; the rollover the rules predict (at max_size, a truncate past it,
 * tf_spool_rollover(), tf_spool_fd(), and on Windows the stream); the
 * memory an unrolled spool holds (never past max_size); and every few
 * steps the whole contents.  After tf_spool_fd() the fd's own calls join
 * in, and after tf_spool_stream() the stream's (fwrite, fread, fseek,
 * ftell), mixed with the direct calls.
 */
#include "win/win.h"

#include "harness_win.h"
#include "shared.h" /* tf__spool_memory */

#define CAP ((int64_t)4 << 20) /* positions written stay below */
#define BIG ((size_t)300000)   /* the largest transfer */
#define CHECK_EVERY 16

struct model {
  tf_spool *s;
  int ref;          /* the reference file */
  size_t max;
  int rolled;       /* predicted */
  int fd;           /* the spool's, once exposed; else -1 */
  FILE *fp;         /* the spool's stream, once opened */
  int last_dir;     /* the stream's last I/O: 0 none/seek, 1 read, 2 write */
  uint64_t rng;
  unsigned long step;
  unsigned char *data, *got, *want;
};

static uint64_t next(struct model *m) {
  m->rng ^= m->rng << 13;
  m->rng ^= m->rng >> 7;
  m->rng ^= m->rng << 17;
  return m->rng;
}

static uint64_t below(struct model *m, uint64_t n) {
  return n == 0 ? 0 : next(m) % n;
}

/* A transfer length: mostly small, sometimes a buffer's worth or more. */
static size_t length(struct model *m) {
  switch (below(m, 8)) {
  case 0:
    return (size_t)below(m, BIG + 1);
  case 1:
    return (size_t)(60000 + below(m, 12000)); /* around DISK_BUF */
  case 2:
    return 0;
  default:
    return (size_t)below(m, 700);
  }
}

static int64_t ref_pos(struct model *m) {
  return _lseeki64(m->ref, 0, SEEK_CUR);
}

static int64_t ref_size(struct model *m) { return _filelengthi64(m->ref); }

#define EXPECT(cond)                                                         \
  do {                                                                       \
    if (!(cond))                                                             \
      FAIL("step %lu (max_size %lu): %s", m->step, (unsigned long)m->max,     \
           #cond);                                                           \
  } while (0)

#define EXPECT_EQ(a, b)                                                      \
  do {                                                                       \
    long long a_ = (long long)(a), b_ = (long long)(b);                      \
    if (a_ != b_)                                                            \
      FAIL("step %lu (max_size %lu): %s = %lld, the file's %s = %lld",      \
           m->step, (unsigned long)m->max, #a, a_, #b, b_);                  \
  } while (0)

/* The stream may be used in the direction dir (C: a seek between a read
 * and a write). */
static void stream_turn(struct model *m, int dir) {
  if (m->last_dir != 0 && m->last_dir != dir)
    EXPECT(fseek(m->fp, 0, SEEK_CUR) == 0);
  m->last_dir = dir;
}

/* A direct call hands the stream over (the spool seeks it). */
static void direct(struct model *m) { m->last_dir = 0; }

/* n bytes to write at the position, kept below CAP. */
static size_t clip(struct model *m, size_t n) {
  int64_t pos = ref_pos(m);
  if (pos >= CAP)
    return 0;
  return (int64_t)n > CAP - pos ? (size_t)(CAP - pos) : n;
}

static const unsigned char *some_data(struct model *m, size_t n) {
  return m->data + below(m, BIG - n + 1);
}

static void ref_write(struct model *m, const void *p, size_t n) {
  EXPECT_EQ(_write(m->ref, p, (unsigned)n), n);
}

static void op_write(struct model *m) {
  size_t n = clip(m, length(m));
  const unsigned char *p = some_data(m, n);
  int64_t pos = ref_pos(m);
  direct(m);
  if (n > 0 && m->max > 0 && (uint64_t)pos + n > m->max)
    m->rolled = 1;
  EXPECT_EQ(tf_spool_write(m->s, p, n), n);
  ref_write(m, p, n);
}

static void op_read(struct model *m) {
  size_t n = length(m);
  ssize_t got, want;
  direct(m);
  got = tf_spool_read(m->s, m->got, n);
  want = _read(m->ref, m->want, (unsigned)n);
  EXPECT_EQ(got, want);
  EXPECT(got <= 0 || memcmp(m->got, m->want, (size_t)got) == 0);
}

static void pick_seek(struct model *m, int64_t *off, int *whence) {
  int64_t size = ref_size(m);
  switch (below(m, 4)) {
  case 0:
    *whence = SEEK_SET;
    *off = (int64_t)below(m, (uint64_t)size + 100000);
    break;
  case 1:
    *whence = SEEK_CUR;
    *off = (int64_t)below(m, 20000) - 10000;
    break;
  case 2:
    *whence = SEEK_END;
    *off = (int64_t)below(m, 20000) - 15000;
    break;
  default:
    *whence = SEEK_SET;
    *off = -1 - (int64_t)below(m, 10); /* refused: nothing moves */
  }
}

static void op_seek(struct model *m) {
  int64_t off, want, got;
  int whence;
  pick_seek(m, &off, &whence);
  direct(m);
  got = tf_spool_seek(m->s, off, whence);
  want = _lseeki64(m->ref, off, whence);
  if (want < 0)
    EXPECT_EQ(got, -EINVAL);
  else
    EXPECT_EQ(got, want);
}

static void op_truncate(struct model *m) {
  int here = below(m, 3) == 0;
  int64_t size = here ? ref_pos(m)
                      : (int64_t)below(m, (uint64_t)ref_size(m) + 80000);
  int64_t pos = ref_pos(m);
  if (size > CAP)
    return;
  direct(m);
  if (here ? m->max > 0 && (uint64_t)size > m->max
           : (uint64_t)size > m->max)
    m->rolled = 1;
  EXPECT_EQ(tf_spool_truncate(m->s, here ? TF_SPOOL_HERE : size), size);
  EXPECT_EQ(_chsize_s(m->ref, size), 0);
  EXPECT_EQ(ref_pos(m), pos);
}

static void op_rollover(struct model *m) {
  direct(m);
  EXPECT_EQ(tf_spool_rollover(m->s), 0);
  m->rolled = 1;
}

static void op_flush(struct model *m) {
  direct(m);
  EXPECT_EQ(tf_spool_flush(m->s), 0);
}

static void op_fd(struct model *m) {
  int fd;
  direct(m);
  fd = tf_spool_fd(m->s);
  EXPECT(fd >= 0);
  EXPECT(m->fd < 0 || fd == m->fd);
  m->fd = fd;
  m->rolled = 1;
}

/* Calls on the fd itself, the stream handed over first. */
static void op_on_fd(struct model *m) {
  size_t n;
  if (m->fd < 0)
    return op_fd(m);
  direct(m);
  EXPECT_EQ(tf_spool_flush(m->s), 0);
  switch (below(m, 3)) {
  case 0:
    n = clip(m, length(m));
    {
      const unsigned char *p = some_data(m, n);
      EXPECT_EQ(_write(m->fd, p, (unsigned)n), n);
      ref_write(m, p, n);
    }
    break;
  case 1:
    n = length(m);
    {
      int got;
      /* Wine's C runtime remembers an end of file met by _read and reads
       * nothing more until an _lseek, though the file grew since through
       * the stream or the spool (Windows' does so only in text mode). */
      (void)_lseeki64(m->fd, 0, SEEK_CUR);
      got = _read(m->fd, m->got, (unsigned)n);
      int want = _read(m->ref, m->want, (unsigned)n);
      EXPECT_EQ(got, want);
      EXPECT(got <= 0 || memcmp(m->got, m->want, (size_t)got) == 0);
    }
    break;
  default: {
    int64_t off, want;
    int whence;
    pick_seek(m, &off, &whence);
    want = _lseeki64(m->ref, off, whence);
    EXPECT_EQ(_lseeki64(m->fd, off, whence), want);
  }
  }
}

/* The stream's calls; the first opens it (and rolls over). */
static void op_stream(struct model *m) {
  size_t n;
  if (m->fp == NULL) {
    direct(m);
    EXPECT_EQ(tf_spool_stream(m->s, &m->fp), 0);
    m->rolled = 1;
    return;
  }
  switch (below(m, 4)) {
  case 0:
    n = clip(m, length(m));
    {
      const unsigned char *p = some_data(m, n);
      stream_turn(m, 2);
      EXPECT_EQ(fwrite(p, 1, n, m->fp), n);
      ref_write(m, p, n);
    }
    break;
  case 1:
    n = length(m);
    {
      size_t got;
      int want;
      stream_turn(m, 1);
      got = fread(m->got, 1, n, m->fp);
      want = _read(m->ref, m->want, (unsigned)n);
      EXPECT_EQ(got, want < 0 ? 0 : want);
      EXPECT(memcmp(m->got, m->want, got) == 0);
      clearerr(m->fp); /* an end of file met */
    }
    break;
  case 2: {
    int64_t off, want;
    int whence;
    pick_seek(m, &off, &whence);
    want = _lseeki64(m->ref, off, whence);
    if (want >= 0) { /* (a refused seek is not the one C asks for) */
      EXPECT_EQ(_fseeki64(m->fp, off, whence), 0);
      m->last_dir = 0;
    }
  } break;
  default:
    EXPECT_EQ(_ftelli64(m->fp), ref_pos(m));
  }
}

/* Position, size, rollover and memory, and every CHECK_EVERY steps the
 * whole contents. */
static void check(struct model *m, int whole) {
  int64_t pos = ref_pos(m), size = ref_size(m);
  direct(m);
  EXPECT_EQ(tf_spool_tell(m->s), pos);
  EXPECT_EQ(tf_spool_size(m->s), size);
  EXPECT_EQ(tf_spool_rolled(m->s), m->rolled);
  if (!m->rolled && m->max > 0)
    EXPECT(tf__spool_memory(m->s) <= m->max);
  if (!whole)
    return;
  EXPECT_EQ(tf_spool_seek(m->s, 0, SEEK_SET), 0);
  EXPECT_EQ(_lseeki64(m->ref, 0, SEEK_SET), 0);
  for (;;) {
    ssize_t got = tf_spool_read(m->s, m->got, BIG);
    int want = _read(m->ref, m->want, (unsigned)BIG);
    EXPECT_EQ(got, want);
    if (got <= 0)
      break;
    EXPECT(memcmp(m->got, m->want, (size_t)got) == 0);
  }
  EXPECT_EQ(tf_spool_seek(m->s, pos, SEEK_SET), pos);
  EXPECT_EQ(_lseeki64(m->ref, pos, SEEK_SET), pos);
}

static void run(size_t max, uint64_t seed, unsigned long steps) {
  struct model mm, *m = &mm;
  size_t i;
  memset(m, 0, sizeof(*m));
  m->max = max;
  m->fd = -1;
  m->rng = seed * 0x9E3779B97F4A7C15ull + 1;
  m->data = malloc(BIG);
  m->got = malloc(BIG);
  m->want = malloc(BIG);
  ASSERT(m->data != NULL && m->got != NULL && m->want != NULL);
  for (i = 0; i < BIG; i++)
    m->data[i] = (unsigned char)next(m);
  ASSERT_OK(tf_spool_create(&m->s, max, NULL));
  m->ref = tf_tmpfile(NULL);
  ASSERT_GE(m->ref, 0);
  for (m->step = 1; m->step <= steps; m->step++) {
    uint64_t op = below(m, 100);
    if (op < 30)
      op_write(m);
    else if (op < 45)
      op_read(m);
    else if (op < 57)
      op_seek(m);
    else if (op < 63)
      op_truncate(m);
    else if (op < 64)
      op_rollover(m);
    else if (op < 66)
      op_flush(m);
    else if (op < 67 && m->step > steps / 3)
      op_fd(m);
    else if (op < 75 && m->fd >= 0)
      op_on_fd(m);
    else if (op < 76 && m->step > steps / 2)
      op_stream(m);
    else if (op < 92 && m->fp != NULL)
      op_stream(m);
    else
      op_write(m);
    if (m->fp == NULL || below(m, 4) == 0) /* else the stream runs on */
      check(m, m->step % CHECK_EVERY == 0);
  }
  check(m, 1);
  ASSERT_OK(tf_spool_free(m->s));
  ASSERT_EQ(_close(m->ref), 0);
  free(m->data);
  free(m->got);
  free(m->want);
}

TEST(win_spool_diff_small_thresholds) {
  run(0, 1, 500);
  run(1, 2, 500);
  run(100, 3, 500);
}

TEST(win_spool_diff_page_and_buffer_thresholds) {
  run(4096, 4, 500);
  run(65536, 5, 500);
  run(70000, 6, 500);
}

TEST(win_spool_diff_large_thresholds) {
  run((size_t)1 << 20, 7, 400);
  run((size_t)3 << 20, 8, 400);
}
