/* SPDX-License-Identifier: MIT */
/*
 * spool_model.c - model-based differential testing of tf_spool (see
 * spool_model.h): every step is done to a spool and to a plain unnamed
 * file, and the two must agree.
 *
 * The rules the model predicts besides the data (from tempfile.h and
 * tf_spool_create(3)):
 *  - rollover: a write of n > 0 bytes at pos rolls a spool in memory over
 *    when max_size > 0 and pos + n > max_size (writev: per buffer);
 *    truncate(size) when size > max_size (max_size 0: size > 0);
 *    truncate(TF_SPOOL_HERE) when max_size > 0 and pos > max_size;
 *    tf_spool_rollover() and tf_spool_fd() always.  Nothing else (seeks,
 *    reads, flushes of nothing) does.
 *  - the stream is buffered (STREAM_BUF, spool.h): its writes reach the
 *    spool when stdio flushes, and a range [lo, hi) it flushes rolls the
 *    spool over as a write would (hi > max_size).  What stdio holds is known from
 *    __fpending() (the bytes [pos - pending, pos) of the file), so the
 *    model knows, after each call, which bytes stdio has given the spool:
 *    a stream write's copies and flushes, fflush, fseeko, and the flush
 *    every direct call starts with (tf_spool_rolled() included).  The
 *    rollover is observed there, not at the fwrite.
 *  - bytes the stream accepted (counted by fwrite, fputc, fprintf) are
 *    never lost: a flush that fails (an injected fault) sets the
 *    stream's error indicator and errno, and the reference still gets
 *    every accepted byte; an fwrite whose flush failed returns a short
 *    count of the bytes it took, which the reference follows, as it
 *    follows a large fwrite that stdio passed straight through and that
 *    failed (those bytes are not written).  fprintf's -1 says nothing of
 *    a count: ftello() says how far it got.  The direct call whose first
 *    flush failed then works as usual (faults are one-shot).
 *  - memory: a spool whose stream was asked for also holds the stream's
 *    buffer, until tf_spool_close(); the bytes a failed flush left
 *    pending (at most what such flushes gave); and after a failed
 *    rollover of the stream's bytes, memory past max_size (bounded by
 *    the chunks that hold them: less than twice their end plus 4 KiB).
 *    Otherwise: in memory with max_size > 0 at most max_size bytes; once
 *    rolled over at most its DISK_BUF buffer; exposed, nothing; closed,
 *    nothing at all.
 *  - after tf_spool_fd() the fd's offset is the position.
 *  - a step failed by an injected fault changes nothing (the reference
 *    does not do it), except that it may have rolled over when the step
 *    would have; an injected EINTR is retried and never seen.
 * Streams follow POSIX: the stream's end-of-file indicator is sticky, so
 * it is cleared before each stream step; before a raw call on the fd the
 * stream is flushed unless a direct call (the checks) did since (POSIX
 * hand-over between handles), and if a flush failed since, the spool is
 * flushed too (tf_spool_flush(): the bytes it kept are placed by its own
 * calls, which the fd does not make).  Direct calls must synchronise the
 * stream themselves: nothing else does within a burst.
 */
#include "spool_model.h"
#include "fault.h"
#include "spool.h" /* DISK_BUF, STREAM_BUF: the sizes of the buffers */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define CHUNK_MIN ((int64_t)4096)   /* the memory's first chunk */
#define FPUTC_MAX ((int64_t)140000) /* the longest run of fputc() */
#define CAP SPOOL_MODEL_CAP
#define BIG_MAX SPOOL_MODEL_BIG_MAX
#define RING 16  /* steps the report shows */
#define LINE 200 /* characters per step description */
#define MAX_IOV 16

const size_t spool_model_threshold[SPOOL_MODEL_THRESHOLDS] = {
    0, 1, 7, 4096, 65536, (size_t)1 << 20, 12289, 70000};

enum { PH_MEMORY, PH_DISK, PH_EXPOSED, PH_CLOSED };
static const char *const phase_name[] = {"in memory", "on disk", "exposed",
                                         "closed"};

struct spool_model {
  struct spool_model_config cfg;
  size_t max;
  tf_spool *s;
  int ref;          /* the reference file */
  int sfd;          /* the spool's fd once exposed, else -1 */
  FILE *fp;         /* the spool's stream once asked for */
  int closed;       /* tf_spool_close() done */
  int exp_rolled;   /* the rollover state the rules predict */
  int was_exposed;
  int64_t pos, size; /* the reference's, after the last step */
  uint64_t rng;
  unsigned burst;   /* steps left to run without tell/size checks */
  int unsynced;     /* the stream may hold a byte since the last check */
  int stream_dir;   /* 'r' or 'w': the stream's last I/O since a sync */
  size_t dirty;     /* bytes stdio holds for the spool: [pos - dirty, pos) */
  size_t stream_mem; /* the stream's buffer, once the spool has one */
  int64_t over_hi;  /* in memory past max_size up to here (a failed
                       rollover of the stream's bytes), 0 if not */
  uint64_t pend_max; /* bytes the spool may hold pending (failed flushes) */
  int maybe_rolled; /* a faulted step in a burst may have rolled over */
  int settled;      /* the step's calls placed pending bytes */
  unsigned long since_check;
  long allocs_before;
  /* an injected fault: pending until the next step arms it; sticky ones
   * stay armed (through the checks too) until spool_model_fault_clear() */
  int fault_pending, fault_active, fault_fired, sticky;
  int fault_id, fault_err;
  unsigned long fault_nth;
  int would_roll; /* the step in progress may roll over */
  int failed;
  struct spool_model_stats stats;
  char *a, *b; /* BIG_MAX + 1 bytes each: what the spool / file gave */
  char cur[LINE];
  char ring[RING][LINE + 40];
  unsigned long ring_n;
  char report[8192];
};

/* ------------------------------------------------------------- helpers */

static uint64_t splitmix(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t next(struct spool_model *m) { return splitmix(&m->rng); }

static int phase(const struct spool_model *m) {
  if (m->closed)
    return PH_CLOSED;
  if (m->sfd >= 0)
    return PH_EXPOSED;
  return m->exp_rolled ? PH_DISK : PH_MEMORY;
}

/* What a system call returned, as the library reports it. */
static long long sysret(long long r) { return r < 0 ? -(long long)errno : r; }

static const char *whence_name(int whence) {
  switch (whence) {
  case SEEK_SET:
    return "SET";
  case SEEK_CUR:
    return "CUR";
  case SEEK_END:
    return "END";
  default:
    return "bad";
  }
}

static size_t first_diff(const char *x, const char *y, size_t n) {
  size_t i;
  for (i = 0; i < n && x[i] == y[i]; i++)
    ;
  return i;
}

/* Data to write: random bytes mostly, sometimes text lines (for fgets),
 * sometimes one repeated letter.  The first two come from two pools at a
 * random offset: cheaper than making MiBs for every write, and never
 * periodic (a period could hide misplaced data).  The pools are made as
 * far as needed, once per process, from a fixed seed, so a program does
 * the same whatever ran before it. */
#define POOL (BIG_MAX + ((size_t)64 << 10))

static struct {
  char *data;
  size_t len, line;
  uint64_t x;
} pool[2];

static const char *make_pool(int text, size_t upto) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789 ";
  size_t i = pool[text].len, line = pool[text].line;
  uint64_t x = pool[text].x;
  if (pool[text].data == NULL) {
    pool[text].data = malloc(POOL);
    if (pool[text].data == NULL)
      return NULL;
    x = 0x2545f4914f6cdd1dull + (uint64_t)text;
  }
  if (upto <= i)
    return pool[text].data;
  upto = (upto + 4095) & ~(size_t)4095;
  if (upto > POOL)
    upto = POOL;
  for (; i < upto; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    if (!text) {
      memcpy(pool[text].data + i, &x, 8);
    } else {
      int k;
      for (k = 0; k < 8; k++) {
        unsigned c = (unsigned)(x >> (8 * k)) & 0xff;
        pool[text].data[i + k] =
            ++line > 80 || c < 6 ? (line = 0, '\n') : alphabet[c % 37];
      }
    }
  }
  pool[text].len = i;
  pool[text].line = line;
  pool[text].x = x;
  return pool[text].data;
}

static const char *data(struct spool_model *m, size_t n) {
  unsigned mode = (unsigned)(next(m) % 8);
  size_t off = (size_t)(next(m) % 65536);
  const char *p;
  if (mode < 7 && (p = make_pool(mode >= 5, off + n)) != NULL)
    return p + off;
  memset(m->a, 'a' + (int)(next(m) % 26), n);
  return m->a;
}

/* ------------------------------------------------------------ reports */

static void describe(struct spool_model *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void describe(struct spool_model *m, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m->cur, sizeof(m->cur), fmt, ap);
  va_end(ap);
}

static void mismatch(struct spool_model *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void mismatch(struct spool_model *m, const char *fmt, ...) {
  size_t used;
  unsigned long i, first;
  va_list ap;
  if (m->failed)
    return;
  m->failed = 1;
  used = (size_t)snprintf(m->report, sizeof(m->report),
                          "spool and reference differ at step %lu (max_size "
                          "%zu, %s), in: %s\n    ",
                          m->stats.ops + 1, m->max, phase_name[phase(m)],
                          m->cur);
  va_start(ap, fmt);
  if (used < sizeof(m->report))
    used += (size_t)vsnprintf(m->report + used, sizeof(m->report) - used,
                              fmt, ap);
  va_end(ap);
  if ((m->fault_active || m->fault_fired || m->sticky) &&
      used < sizeof(m->report))
    used += (size_t)snprintf(
        m->report + used, sizeof(m->report) - used,
        "\n    (a fault was injected in this step: %s call %lu of %s fails "
        "with %s%s)",
        m->sticky ? "every" : "the", m->fault_nth, tf__sys_name(m->fault_id),
        tf_err_name(-m->fault_err),
        m->fault_fired || (m->fault_active && tf__fault_fired())
            ? "; it fired"
            : "");
  if (used < sizeof(m->report))
    used += (size_t)snprintf(m->report + used, sizeof(m->report) - used,
                             "\n    reference position %lld, size %lld; "
                             "last steps (newest last):\n",
                             (long long)m->pos, (long long)m->size);
  first = m->ring_n > RING ? m->ring_n - RING : 0;
  for (i = first; i < m->ring_n && used < sizeof(m->report); i++)
    used += (size_t)snprintf(m->report + used, sizeof(m->report) - used,
                             "      %s\n", m->ring[i % RING]);
  if (m->cfg.on_fail != NULL)
    m->cfg.on_fail(m->report);
}

/* Fail the step (in a function returning got) unless cond holds. */
#define CHECK(cond, ...)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      mismatch(m, __VA_ARGS__);                                              \
      return got;                                                            \
    }                                                                        \
  } while (0)

/* The same in a function returning nothing. */
#define CHECKV(cond, ...)                                                    \
  do {                                                                       \
    if (!(cond)) {                                                           \
      mismatch(m, __VA_ARGS__);                                              \
      return;                                                                \
    }                                                                        \
  } while (0)

#define SAME_DATA(x, y, n, what)                                             \
  CHECK(memcmp(x, y, (size_t)(n)) == 0,                                      \
        "%s: the data differ from byte %zu of %lld", what,                   \
        first_diff(x, y, (size_t)(n)), (long long)(n))

/* ---------------------------------------------------------- reference */

static ssize_t read_full(int fd, char *dst, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = read(fd, dst + done, n - done);
    if (r < 0)
      return done > 0 ? (ssize_t)done : -1;
    if (r == 0)
      break;
    done += (size_t)r;
  }
  return (ssize_t)done;
}

static ssize_t pread_full(int fd, char *dst, size_t n, int64_t off) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, dst + done, n - done, (off_t)(off + (int64_t)done));
    if (r < 0)
      return done > 0 ? (ssize_t)done : -1;
    if (r == 0)
      break;
    done += (size_t)r;
  }
  return (ssize_t)done;
}

static void refresh(struct spool_model *m) {
  struct stat st;
  m->pos = (int64_t)lseek(m->ref, 0, SEEK_CUR);
  if (fstat(m->ref, &st) == 0)
    m->size = (int64_t)st.st_size;
}

/* ------------------------------------------------------ what stdio gave */

/* Whether n bytes written at `at` roll the spool over. */
static int rolls(const struct spool_model *m, int64_t at, int64_t n) {
  return !m->exp_rolled && m->max > 0 && n > 0 && at + n > (int64_t)m->max;
}

/* The errno an injected fault makes a failed call report (0: any).  An allocation that fails is -ENOMEM whatever the injector's
 * errno; the rollover's file may come another way (tf_tmpfile). */
static int fault_errno(const struct spool_model *m) {
  if (m->fault_id == TF_SYS_malloc || m->fault_id == TF_SYS_mapmem)
    return ENOMEM;
  if (m->fault_id == TF_SYS_pwrite || m->fault_id == TF_SYS_write)
    return m->fault_err;
  return 0;
}

/* The stream gave the spool the bytes [lo, hi), in one flush or more;
 * ok: stdio reported them all written (its error indicator is clear).
 * faulted: a fault was injected, so a flush may have failed.  A flush
 * that succeeded rolls the spool over when the range passes max_size
 * (the spool's write placed the pending bytes first); one that failed
 * kept every byte, maybe pending, maybe in memory past max_size. */
static void flushed(struct spool_model *m, int64_t lo, int64_t hi, int ok,
                    int faulted) {
  if (hi <= lo || m->closed || m->failed)
    return;
  if (ok) {
    if (rolls(m, lo, hi - lo))
      m->exp_rolled = 1;
    m->settled = 1;
    return;
  }
  if (!faulted) {
    mismatch(m, "the stream's flush of [%lld, %lld) failed (error "
                "indicator set, errno %s) with no fault injected",
             (long long)lo, (long long)hi, tf_err_name(-errno));
    return;
  }
  m->stats.flush_faults++;
  if (rolls(m, lo, hi - lo)) {
    m->would_roll = 1;
    if (hi > m->over_hi)
      m->over_hi = hi;
  }
  m->pend_max += (uint64_t)(hi - lo);
}

/* After a call that may have flushed the stream: what stdio gave the
 * spool since the model last looked.  wrote: the bytes the call itself
 * took through the stream (a stream write's count), the model's position
 * being where the call started. */
static void stream_flushed(struct spool_model *m, int64_t wrote,
                           int faulted) {
  size_t now;
  if (m->fp == NULL) {
    m->dirty = 0;
    return;
  }
  now = __fpending(m->fp);
  flushed(m, m->pos - (int64_t)m->dirty, m->pos + wrote - (int64_t)now,
          !ferror(m->fp), faulted);
  m->dirty = now;
}

/* ------------------------------------------------------------- checks */

/* How many bytes to read at a time in a contents check: all sorts, but
 * not so few that a large file takes forever. */
static size_t pick_chunk(struct spool_model *m) {
  size_t least = (size_t)(m->size / 1024) + 1, n;
  switch (next(m) % 8) {
  case 0:
    n = 1 + (size_t)(next(m) % 512);
    break;
  case 1:
    n = 4096;
    break;
  case 2:
    n = DISK_BUF;
    break;
  case 3:
    n = DISK_BUF - 1;
    break;
  case 4:
    n = DISK_BUF + 1;
    break;
  case 5:
    n = 1 + (size_t)(next(m) % 300000);
    break;
  case 6:
    n = BIG_MAX;
    break;
  default:
    n = 1 + (size_t)(next(m) % 70000);
    break;
  }
  return n < least ? least : n;
}

static void contents_direct(struct spool_model *m) {
  long long got, want, save, r;
  int64_t off = 0;
  describe(m, "whole-contents check through tf_spool_read");
  if (m->fp != NULL)
    clearerr(m->fp);
  save = tf_spool_tell(m->s);
  stream_flushed(m, 0, m->sticky);
  CHECKV(save == m->pos, "tf_spool_tell: %lld, the file's position %lld", save,
         (long long)m->pos);
  r = tf_spool_seek(m->s, 0, SEEK_SET);
  CHECKV(r == 0, "tf_spool_seek(0, SET): %lld", r);
  for (;;) {
    size_t chunk = pick_chunk(m);
    got = tf_spool_read(m->s, m->a, chunk);
    want = sysret(pread_full(m->ref, m->b, chunk, off));
    CHECKV(got == want, "tf_spool_read(%zu) at %lld: %lld, the file %lld", chunk,
           (long long)off, got, want);
    CHECKV(memcmp(m->a, m->b, (size_t)(got > 0 ? got : 0)) == 0,
           "at %lld: the data differ from byte %lld", (long long)off,
           (long long)off + (long long)first_diff(m->a, m->b, (size_t)got));
    if (got <= 0)
      break;
    off += got;
  }
  CHECKV(off == m->size, "read %lld bytes, the file has %lld", (long long)off,
         (long long)m->size);
  r = tf_spool_seek(m->s, save, SEEK_SET);
  CHECKV(r == save, "tf_spool_seek(%lld, SET) back: %lld", save, r);
}

static void contents_stream(struct spool_model *m) {
  long long got, want, save;
  int64_t off = 0;
  FILE *fp = m->fp;
  describe(m, "whole-contents check through the stream");
  clearerr(fp);
  save = ftello(fp);
  CHECKV(save == m->pos, "ftello: %lld, the file's position %lld", save,
         (long long)m->pos);
  CHECKV(fseeko(fp, 0, SEEK_SET) == 0, "fseeko(0, SET): %s", strerror(errno));
  stream_flushed(m, 0, m->sticky);
  for (;;) {
    size_t chunk = pick_chunk(m);
    got = (long long)fread(m->a, 1, chunk, fp);
    want = sysret(pread_full(m->ref, m->b, chunk, off));
    CHECKV(got == want && !ferror(fp),
           "fread(%zu) at %lld: %lld (error %d), the file %lld", chunk,
           (long long)off, got, ferror(fp), want);
    CHECKV(memcmp(m->a, m->b, (size_t)got) == 0,
           "at %lld: the data differ from byte %lld", (long long)off,
           (long long)off + (long long)first_diff(m->a, m->b, (size_t)got));
    if (got == 0)
      break;
    off += got;
  }
  CHECKV(off == m->size, "read %lld bytes, the file has %lld", (long long)off,
         (long long)m->size);
  clearerr(fp);
  CHECKV(fseeko(fp, save, SEEK_SET) == 0, "fseeko(%lld, SET) back: %s", save,
         strerror(errno));
  m->stream_dir = 0;
}

/* The exposed fd itself must hold the contents. */
static void contents_fd(struct spool_model *m) {
  int64_t off = 0;
  describe(m, "whole-contents check through pread on the exposed fd");
  for (;;) {
    ssize_t got = pread_full(m->sfd, m->a, BIG_MAX, off);
    ssize_t want = pread_full(m->ref, m->b, BIG_MAX, off);
    CHECKV(got == want, "pread at %lld: %zd, the file %zd", (long long)off, got,
           want);
    CHECKV(memcmp(m->a, m->b, (size_t)(got > 0 ? got : 0)) == 0,
           "at %lld: the data differ from byte %lld", (long long)off,
           (long long)off + (long long)first_diff(m->a, m->b, (size_t)got));
    if (got <= 0)
      break;
    off += got;
  }
}

static void hand_over(struct spool_model *m);

static void compare_contents(struct spool_model *m) {
  char saved[LINE];
  if (m->failed || m->closed)
    return;
  memcpy(saved, m->cur, sizeof(saved));
  m->stats.checks++;
  if (m->sfd >= 0 && next(m) % 2 == 0) {
    hand_over(m); /* the fd does not see what the stream holds */
    if (!m->failed)
      contents_fd(m);
  } else if (m->fp != NULL && next(m) % 4 == 0) {
    contents_stream(m);
  } else {
    contents_direct(m);
  }
  if (!m->failed)
    memcpy(m->cur, saved, sizeof(saved));
}

/* The memory the spool holds (tf__spool_memory()), by the rules. */
static void check_memory(struct spool_model *m) {
  size_t mem = tf__test_spool_memory(m->s);
  uint64_t extra = (uint64_t)m->stream_mem + m->pend_max, limit;
  if (m->closed) {
    CHECKV(mem == 0, "a closed spool holds %zu bytes of memory", mem);
    return;
  }
  CHECKV(mem >= m->stream_mem,
         "it holds %zu bytes of memory, less than the stream's buffer", mem);
  if (m->sfd >= 0) { /* "From then on the spool buffers nothing" */
    CHECKV(mem <= extra,
           "exposed, it holds %zu bytes of memory (the stream's buffer "
           "%zu, pending at most %llu)",
           mem, m->stream_mem, (unsigned long long)m->pend_max);
    return;
  }
  if (m->exp_rolled) {
    CHECKV(mem <= DISK_BUF + extra,
           "rolled over, it holds %zu bytes of memory (the stream's buffer "
           "%zu, pending at most %llu)",
           mem, m->stream_mem, (unsigned long long)m->pend_max);
    return;
  }
  if (m->max == 0)
    return;
  limit = m->max;
  if (m->over_hi > 0) { /* the chunks that took the bytes past max_size */
    uint64_t hi = (uint64_t)m->over_hi;
    uint64_t chunks = hi * 2 > hi + CHUNK_MIN ? hi * 2 : hi + CHUNK_MIN;
    if (chunks > limit)
      limit = chunks;
  }
  if (m->maybe_rolled && limit < DISK_BUF)
    limit = DISK_BUF;
  CHECKV(mem <= limit + extra,
         "in memory it holds %zu bytes, max_size is %zu (in memory up to "
         "%lld after a failed rollover, the stream's buffer %zu, pending at "
         "most %llu)",
         mem, m->max, (long long)m->over_hi, m->stream_mem,
         (unsigned long long)m->pend_max);
}

/* tf_spool_rolled() (which flushes the stream first, as every direct
 * call does) against the rules. */
static void check_rolled(struct spool_model *m) {
  int rolled;
  if (m->fp != NULL)
    clearerr(m->fp);
  rolled = tf_spool_rolled(m->s);
  stream_flushed(m, 0, m->sticky);
  if (m->maybe_rolled && rolled == 1 && !m->exp_rolled)
    m->exp_rolled = 1; /* a faulted step of the burst did roll over */
  m->maybe_rolled = 0;
  CHECKV(rolled == m->exp_rolled, "tf_spool_rolled: %d, the rules say %d",
         rolled, m->exp_rolled);
}

/* The checks after every step. */
static void checks(struct spool_model *m) {
  long long got, want;
  if (m->closed) {
    check_memory(m);
    return;
  }
  if (m->burst > 0) {
    m->burst--;
    m->unsynced = 1;
    /* tf_spool_rolled() would flush the stream: only without one */
    if (m->fp == NULL)
      check_rolled(m);
    check_memory(m);
    return;
  }
  m->unsynced = 0;
  m->stream_dir = 0;
  check_rolled(m);
  check_memory(m);
  if (m->failed)
    return;
  got = tf_spool_tell(m->s);
  CHECKV(got == m->pos, "tf_spool_tell: %lld, the file's position %lld", got,
         (long long)m->pos);
  got = tf_spool_size(m->s);
  CHECKV(got == m->size, "tf_spool_size: %lld, the file's size %lld", got,
         (long long)m->size);
  if (phase(m) != PH_DISK && !m->sticky) {
    m->pend_max = 0; /* tf_spool_size() placed them */
    check_memory(m);
  }
  if (m->sfd >= 0) {
    want = sysret(lseek(m->sfd, 0, SEEK_CUR));
    CHECKV(want == m->pos, "the exposed fd's offset is %lld, the position %lld",
           want, (long long)m->pos);
  }
  if (++m->since_check >= m->cfg.check_every) {
    m->since_check = 0;
    compare_contents(m);
  }
}

/* ------------------------------------------------------------- faults */

static void arm(struct spool_model *m) {
  m->fault_fired = 0;
  if (m->sticky) { /* again: its "fired" is this step's */
    m->fault_active = 1;
    tf__fault_arm_sticky(m->fault_id, 1, m->fault_err);
    return;
  }
  if (!m->fault_pending)
    return;
  m->fault_pending = 0;
  m->fault_active = 1;
  tf__fault_arm(m->fault_id, m->fault_nth, m->fault_err);
}

/* After the spool's call: disarm, and say whether the call failed because
 * of the fault (then the reference must not do it). */
static int fault_failed(struct spool_model *m, long long got) {
  if (!m->fault_active)
    return 0;
  m->fault_active = 0;
  m->fault_fired = tf__fault_fired();
  if (!m->sticky)
    tf__fault_disarm();
  if (m->fault_fired)
    m->stats.faults_fired++;
  return m->fault_fired && got < 0 && m->fault_err != EINTR;
}

/* After a direct call: the fault, then what the flush the call started
 * with gave the spool.  Whether the call failed because of the fault. */
static int direct_done(struct spool_model *m, long long got) {
  int failed = fault_failed(m, got);
  stream_flushed(m, 0, m->fault_fired || m->sticky);
  return failed;
}

/* ---------------------------------------------------------------- steps */

static int begin(struct spool_model *m) {
  m->would_roll = 0;
  m->fault_fired = 0;
  m->settled = 0;
  if (m->failed)
    return 0;
  if (m->fp != NULL) {
    size_t held = __fpending(m->fp);
    if (held != m->dirty) {
      mismatch(m, "the stream holds %zu bytes to write, the model thought "
                  "%zu (a flush it did not see)",
               held, m->dirty);
      return 0;
    }
    clearerr(m->fp); /* so the error indicator says what this step did */
  }
  return 1;
}

static long long end(struct spool_model *m, long long got) {
  int ph, rolled;
  if (m->fault_active)
    (void)fault_failed(m, -1);
  m->fault_pending = 0;
  if (m->failed)
    return got;
  if (!m->closed)
    refresh(m);
  snprintf(m->ring[m->ring_n++ % RING], sizeof(m->ring[0]),
           "#%lu %-9s %s = %lld%s", m->stats.ops + 1, phase_name[phase(m)],
           m->cur, got, m->fault_fired ? " (fault fired)" : "");
  if (m->cfg.trace)
    fprintf(stderr, "%s\n", m->ring[(m->ring_n - 1) % RING]);
  ph = phase(m);
  if (m->settled && !m->fault_fired && !m->sticky)
    m->pend_max = 0;
  /* A failed step may have rolled over first, if it was going to.  In a
   * burst with a stream, looking (tf_spool_rolled()) would flush it:
   * the next look decides. */
  if (m->fault_fired && !m->closed && !m->exp_rolled) {
    if (m->burst > 0 && m->fp != NULL) {
      if (m->would_roll)
        m->maybe_rolled = 1;
    } else {
      if (m->fp != NULL)
        clearerr(m->fp);
      rolled = tf_spool_rolled(m->s);
      stream_flushed(m, 0, m->sticky);
      if (rolled == 1 && !m->exp_rolled) {
        if (!m->would_roll) {
          mismatch(m, "rolled over by a failed step that does not roll over");
          return got;
        }
        m->exp_rolled = 1;
      }
    }
  }
  checks(m);
  m->stats.ops++;
  m->stats.phase_ops[ph]++;
  return got;
}

/* A spool that was closed answers -EBADF. */
static long long closed_step(struct spool_model *m, long long got) {
  CHECK(got == -EBADF, "a closed spool gave %lld, not -EBADF", got);
  return end(m, got);
}

static int64_t clip_write(int64_t at, int64_t n) {
  if (n < 0)
    n = 0;
  if (n > (int64_t)BIG_MAX)
    n = (int64_t)BIG_MAX;
  if (at >= CAP)
    return 0;
  return at + n > CAP ? CAP - at : n;
}

static int64_t clip_read(int64_t n) {
  return n < 0 ? 0 : n > (int64_t)BIG_MAX ? (int64_t)BIG_MAX : n;
}

long long spool_model_write(struct spool_model *m, int64_t n) {
  long long got, want;
  const char *src;
  int64_t at = m->pos;
  int roll;
  if (!begin(m))
    return 0;
  n = clip_write(at, n);
  src = data(m, (size_t)n);
  describe(m, "tf_spool_write(%lld) at %lld", (long long)n, (long long)at);
  roll = rolls(m, at, n);
  m->would_roll |= roll;
  arm(m);
  got = tf_spool_write(m->s, src, (size_t)n);
  if (direct_done(m, got))
    return end(m, got);
  if (m->closed)
    return closed_step(m, got);
  want = sysret(write(m->ref, src, (size_t)n));
  CHECK(got == want, "returned %lld, the file's write %lld", got, want);
  if (got > 0 && roll)
    m->exp_rolled = 1;
  m->settled = n > 0;
  return end(m, got);
}

long long spool_model_writev(struct spool_model *m, const int64_t *lens,
                             int count) {
  struct iovec iov[MAX_IOV];
  char desc[LINE] = "";
  const char *src;
  long long got, want;
  int64_t at = m->pos, total = 0, done;
  size_t used = 0;
  int i;
  if (!begin(m))
    return 0;
  if (count > MAX_IOV)
    count = MAX_IOV;
  if (count < 0)
    count = 0;
  for (i = 0; i < count; i++) {
    int64_t n = clip_write(at + total, lens[i]);
    if (total + n > (int64_t)BIG_MAX)
      n = (int64_t)BIG_MAX - total;
    iov[i].iov_base = n > 0 || i % 2 ? (void *)(uintptr_t)total : NULL;
    iov[i].iov_len = (size_t)n;
    if (rolls(m, at + total, n))
      m->would_roll = 1;
    total += n;
    if (used < sizeof(desc))
      used += (size_t)snprintf(desc + used, sizeof(desc) - used, " %lld",
                               (long long)n);
  }
  src = data(m, (size_t)total);
  for (i = 0; i < count; i++)
    if (iov[i].iov_base != NULL || iov[i].iov_len > 0)
      iov[i].iov_base = (char *)(uintptr_t)src + (uintptr_t)iov[i].iov_base;
  describe(m, "tf_spool_writev(%d:%s) at %lld", count, desc, (long long)at);
  arm(m);
  got = tf_spool_writev(m->s, iov, count);
  if (direct_done(m, got))
    return end(m, got);
  if (m->closed)
    return closed_step(m, got);
  if (m->fault_fired && got >= 0 && got < total) {
    /* Failed in the middle: the buffers before are written, whole. */
    int64_t sum = 0;
    for (i = 0; i < count && sum < got; i++)
      sum += (int64_t)iov[i].iov_len;
    CHECK(sum == got, "a fault in the middle: %lld written, not whole buffers",
          got);
    want = sysret(write(m->ref, src, (size_t)got));
  } else {
    want = sysret(writev(m->ref, iov, count));
  }
  CHECK(got == want, "returned %lld, the file's writev %lld (of %lld)", got,
        want, (long long)total);
  for (i = 0, done = 0; i < count && done < got; i++) {
    if (rolls(m, at + done, (int64_t)iov[i].iov_len))
      m->exp_rolled = 1;
    done += (int64_t)iov[i].iov_len;
  }
  m->settled = total > 0;
  return end(m, got);
}

long long spool_model_read(struct spool_model *m, int64_t n) {
  long long got, want;
  int64_t at = m->pos;
  if (!begin(m))
    return 0;
  n = clip_read(n);
  describe(m, "tf_spool_read(%lld) at %lld", (long long)n, (long long)at);
  arm(m);
  got = tf_spool_read(m->s, m->a, (size_t)n);
  if (direct_done(m, got))
    return end(m, got);
  if (m->closed)
    return closed_step(m, got);
  want = sysret(read(m->ref, m->b, (size_t)n));
  CHECK(got == want, "returned %lld, the file's read %lld", got, want);
  if (got > 0)
    SAME_DATA(m->a, m->b, got, "tf_spool_read");
  m->settled = n > 0;
  return end(m, got);
}

static int good_whence(int whence) {
  return whence == SEEK_SET || whence == SEEK_CUR || whence == SEEK_END;
}

long long spool_model_seek(struct spool_model *m, int64_t offset, int whence) {
  long long got, want;
  if (!begin(m))
    return 0;
  describe(m, "tf_spool_seek(%lld, %s) from %lld", (long long)offset,
           whence_name(whence), (long long)m->pos);
  arm(m);
  got = tf_spool_seek(m->s, offset, whence);
  if (direct_done(m, got))
    return end(m, got);
  if (m->closed)
    return closed_step(m, got);
  want = good_whence(whence) ? sysret(lseek(m->ref, (off_t)offset, whence))
                             : -EINVAL;
  CHECK(got == want, "returned %lld, the file's lseek %lld", got, want);
  return end(m, got);
}

long long spool_model_tell(struct spool_model *m) {
  long long got;
  if (!begin(m))
    return 0;
  describe(m, "tf_spool_tell()");
  arm(m);
  got = tf_spool_tell(m->s);
  if (direct_done(m, got))
    return end(m, got);
  if (m->closed)
    return closed_step(m, got);
  CHECK(got == m->pos, "returned %lld, the file's position %lld", got,
        (long long)m->pos);
  return end(m, got);
}

long long spool_model_truncate(struct spool_model *m, int64_t size) {
  long long got, want;
  int64_t target = size == TF_SPOOL_HERE ? m->pos : size;
  int roll = 0, on_disk = phase(m) == PH_DISK;
  if (!begin(m))
    return 0;
  if (size == TF_SPOOL_HERE)
    describe(m, "tf_spool_truncate(TF_SPOOL_HERE) at %lld", (long long)m->pos);
  else
    describe(m, "tf_spool_truncate(%lld)", (long long)size);
  if (!m->exp_rolled)
    roll = size == TF_SPOOL_HERE
               ? m->max > 0 && m->pos > (int64_t)m->max
               : size >= 0 && (uint64_t)size > (uint64_t)m->max;
  m->would_roll |= roll;
  arm(m);
  got = tf_spool_truncate(m->s, size);
  if (direct_done(m, got))
    return end(m, got);
  if (m->closed && size >= TF_SPOOL_HERE)
    return closed_step(m, got);
  if (size < TF_SPOOL_HERE)
    want = -EINVAL;
  else
    want = ftruncate(m->ref, (off_t)target) == 0 ? target : -(long long)errno;
  CHECK(got == want, "returned %lld, expected %lld", got, want);
  if (got >= 0 && roll)
    m->exp_rolled = 1;
  /* On disk a truncate keeps the pending bytes (and cuts them) */
  m->settled = got >= 0 && !on_disk;
  return end(m, got);
}

long long spool_model_flush(struct spool_model *m) {
  long long got;
  if (!begin(m))
    return 0;
  describe(m, "tf_spool_flush()");
  arm(m);
  got = tf_spool_flush(m->s);
  if (direct_done(m, got))
    return end(m, got);
  if (m->closed)
    return closed_step(m, got);
  CHECK(got == 0, "returned %lld", got);
  m->settled = 1;
  return end(m, got);
}

long long spool_model_size_op(struct spool_model *m) {
  long long got;
  int on_disk = phase(m) == PH_DISK;
  if (!begin(m))
    return 0;
  describe(m, "tf_spool_size()");
  arm(m);
  got = tf_spool_size(m->s);
  if (direct_done(m, got))
    return end(m, got);
  if (m->closed)
    return closed_step(m, got);
  CHECK(got == m->size, "returned %lld, the file's size %lld", got,
        (long long)m->size);
  m->settled = !on_disk; /* on disk the size counts the pending bytes */
  return end(m, got);
}

long long spool_model_rollover(struct spool_model *m) {
  long long got;
  if (!begin(m))
    return 0;
  describe(m, "tf_spool_rollover()");
  m->would_roll = !m->exp_rolled;
  arm(m);
  got = tf_spool_rollover(m->s);
  if (direct_done(m, got))
    return end(m, got);
  if (m->closed)
    return closed_step(m, got);
  CHECK(got == 0, "returned %lld", got);
  m->exp_rolled = 1;
  m->settled = 1;
  return end(m, got);
}

long long spool_model_fd(struct spool_model *m) {
  long long got, off;
  if (!begin(m))
    return 0;
  describe(m, "tf_spool_fd() at %lld", (long long)m->pos);
  m->would_roll = !m->exp_rolled;
  arm(m);
  got = tf_spool_fd(m->s);
  if (direct_done(m, got))
    return end(m, got);
  if (m->closed)
    return closed_step(m, got);
  CHECK(got >= 0, "returned %lld", got);
  CHECK(m->sfd < 0 || got == m->sfd, "returned fd %lld, before fd %d", got,
        m->sfd);
  m->sfd = (int)got;
  m->exp_rolled = 1;
  m->was_exposed = 1;
  m->settled = 1;
  off = sysret(lseek(m->sfd, 0, SEEK_CUR));
  CHECK(off == m->pos, "the fd's offset is %lld, the position %lld", off,
        (long long)m->pos);
  return end(m, got);
}

long long spool_model_close_op(struct spool_model *m) {
  long long got;
  if (!begin(m))
    return 0;
  describe(m, "tf_spool_close()");
  got = tf_spool_close(m->s);
  CHECK(got == 0, "returned %lld", got);
  /* (what the stream held goes with the rest) */
  m->closed = 1;
  m->fp = NULL;
  m->sfd = -1;
  m->dirty = 0;
  m->stream_mem = 0;
  m->pend_max = 0;
  m->over_hi = 0;
  return end(m, got);
}

/* ------------------------------------------------------- the exposed fd */

/* Before a call on the fd: the stream may hold bytes to write, or a byte
 * the spool has passed (ungetc, read-ahead), when no direct call
 * synchronised it since; the caller hands the file over from the stream
 * to the fd as POSIX asks, with fflush().  If a flush of the stream
 * failed since, the spool keeps those bytes until one of its own calls
 * places them, which a call on the fd is not: the caller, who saw the
 * stream's error, calls tf_spool_flush() first. */
static void hand_over(struct spool_model *m) {
  if (m->fp != NULL && (m->unsynced || m->dirty > 0)) {
    clearerr(m->fp);
    if (fflush(m->fp) != 0 && !m->sticky) {
      describe(m, "fflush() to hand the file over to the fd");
      mismatch(m, "failed: %s", strerror(errno));
      return;
    }
    stream_flushed(m, 0, m->sticky);
  }
  if (m->pend_max > 0 && !m->failed) {
    long long rc;
    if (m->fp != NULL)
      clearerr(m->fp);
    rc = tf_spool_flush(m->s);
    stream_flushed(m, 0, m->sticky);
    if (rc != 0 && !m->sticky) {
      describe(m, "tf_spool_flush() to hand the file over to the fd");
      mismatch(m, "returned %lld", rc);
      return;
    }
    if (rc == 0)
      m->pend_max = 0;
  }
  m->unsynced = 0;
  m->stream_dir = 0;
}

long long spool_model_fd_write(struct spool_model *m, int64_t n) {
  long long got, want;
  const char *src;
  int64_t at = m->pos;
  if (m->sfd < 0 || !begin(m))
    return -EBADF;
  hand_over(m);
  n = clip_write(at, n);
  src = data(m, (size_t)n);
  describe(m, "write(fd, %lld) at %lld", (long long)n, (long long)at);
  m->stats.fd_ops++;
  got = sysret(write(m->sfd, src, (size_t)n));
  want = sysret(write(m->ref, src, (size_t)n));
  CHECK(got == want, "returned %lld, the file's write %lld", got, want);
  return end(m, got);
}

long long spool_model_fd_read(struct spool_model *m, int64_t n) {
  long long got, want;
  if (m->sfd < 0 || !begin(m))
    return -EBADF;
  hand_over(m);
  n = clip_read(n);
  describe(m, "read(fd, %lld) at %lld", (long long)n, (long long)m->pos);
  m->stats.fd_ops++;
  got = sysret(read(m->sfd, m->a, (size_t)n));
  want = sysret(read(m->ref, m->b, (size_t)n));
  CHECK(got == want, "returned %lld, the file's read %lld", got, want);
  if (got > 0)
    SAME_DATA(m->a, m->b, got, "read(fd)");
  return end(m, got);
}

long long spool_model_fd_seek(struct spool_model *m, int64_t offset,
                              int whence) {
  long long got, want;
  if (m->sfd < 0 || !begin(m))
    return -EBADF;
  hand_over(m);
  describe(m, "lseek(fd, %lld, %s) from %lld", (long long)offset,
           whence_name(whence), (long long)m->pos);
  m->stats.fd_ops++;
  got = sysret(lseek(m->sfd, (off_t)offset, whence));
  want = sysret(lseek(m->ref, (off_t)offset, whence));
  CHECK(got == want, "returned %lld, the file's lseek %lld", got, want);
  return end(m, got);
}

long long spool_model_fd_truncate(struct spool_model *m, int64_t size) {
  long long got, want;
  if (m->sfd < 0 || !begin(m))
    return -EBADF;
  hand_over(m);
  describe(m, "ftruncate(fd, %lld)", (long long)size);
  m->stats.fd_ops++;
  got = sysret(ftruncate(m->sfd, (off_t)size));
  want = sysret(ftruncate(m->ref, (off_t)size));
  CHECK(got == want, "returned %lld, the file's ftruncate %lld", got, want);
  return end(m, got);
}

long long spool_model_fd_pwrite(struct spool_model *m, int64_t n,
                                int64_t offset) {
  long long got, want;
  const char *src;
  if (m->sfd < 0 || !begin(m))
    return -EBADF;
  hand_over(m);
  n = offset < 0 ? clip_read(n) : clip_write(offset, n);
  src = data(m, (size_t)n);
  describe(m, "pwrite(fd, %lld, %lld)", (long long)n, (long long)offset);
  m->stats.fd_ops++;
  got = sysret(pwrite(m->sfd, src, (size_t)n, (off_t)offset));
  want = sysret(pwrite(m->ref, src, (size_t)n, (off_t)offset));
  CHECK(got == want, "returned %lld, the file's pwrite %lld", got, want);
  return end(m, got);
}

long long spool_model_fd_pread(struct spool_model *m, int64_t n,
                               int64_t offset) {
  long long got, want;
  if (m->sfd < 0 || !begin(m))
    return -EBADF;
  hand_over(m);
  n = clip_read(n);
  describe(m, "pread(fd, %lld, %lld)", (long long)n, (long long)offset);
  m->stats.fd_ops++;
  got = sysret(pread(m->sfd, m->a, (size_t)n, (off_t)offset));
  want = sysret(pread(m->ref, m->b, (size_t)n, (off_t)offset));
  CHECK(got == want, "returned %lld, the file's pread %lld", got, want);
  if (got > 0)
    SAME_DATA(m->a, m->b, got, "pread(fd)");
  return end(m, got);
}

/* ------------------------------------------------------------ the stream */

/* Reads through the stream go through its buffer (glibc reads a request
 * of a buffer or more straight into the caller's memory); up to this many
 * bytes at a time. */
#define STREAM_READ_MAX ((int64_t)300000)

/* The spool's stream, asked for on first use (and now and then again: it
 * must be the same one).  NULL when the spool is closed; the step is then
 * done (tf_spool_stream() must have said -EBADF). */
static FILE *stream(struct spool_model *m) {
  FILE *fp = NULL;
  long long got;
#undef CHECK
#define CHECK(cond, ...)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      mismatch(m, __VA_ARGS__);                                              \
      return NULL;                                                           \
    }                                                                        \
  } while (0)
  if (m->fp != NULL && next(m) % 16 != 0)
    return m->fp;
  if (m->fp == NULL && m->fault_pending && m->fault_id == TF_SYS_fopencookie)
    arm(m);
  got = tf_spool_stream(m->s, &fp);
  /* Its buffer is made first, and kept for the next try if the stream
   * cannot be opened (the only fault armed here) */
  if (!m->closed && (got == 0 || m->fault_active))
    m->stream_mem = STREAM_BUF;
  if (fault_failed(m, got)) { /* no stream yet; the next call tries again */
    describe(m, "tf_spool_stream()");
    CHECK(fp == NULL, "failed, but set the stream");
    (void)end(m, got);
    return NULL;
  }
  if (m->closed) {
    describe(m, "tf_spool_stream()");
    (void)closed_step(m, got);
    return NULL;
  }
  if (got != 0 || fp == NULL || (m->fp != NULL && fp != m->fp)) {
    describe(m, "tf_spool_stream()");
    mismatch(m, "returned %lld, stream %p (before %p)", got, (void *)fp,
             (void *)m->fp);
    return NULL;
  }
  if (m->fp == NULL) {
    CHECK(__fpending(fp) == 0, "a new stream holds %zu bytes", __fpending(fp));
    m->dirty = 0;
  }
  m->fp = fp;
  return fp;
#undef CHECK
#define CHECK(cond, ...)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      mismatch(m, __VA_ARGS__);                                              \
      return got;                                                            \
    }                                                                        \
  } while (0)
}

/* C (7.21.5.3) lets a stream's input be followed by output, and output by
 * input, only through a positioning call (or fflush after output): a
 * program does one when it changes direction and nothing synchronised
 * the stream since.  musl means it: an ungetc() byte is dropped, not
 * given back, when a write follows.  (Before the step's fault is armed.) */
static void direction(struct spool_model *m, FILE *fp, int dir) {
  if (m->stream_dir != 0 && m->stream_dir != dir) {
    clearerr(fp);
    if (fseeko(fp, 0, SEEK_CUR) != 0)
      mismatch(m, "fseeko(0, CUR) before changing direction: %s",
               strerror(errno));
    stream_flushed(m, 0, m->sticky);
    clearerr(fp);
  }
  m->stream_dir = dir;
}

/* A stream write of n bytes that took got of them (what stdio counted:
 * copied into its buffer or written through), errno being err after it:
 * the reference follows, and the model notes what reached the spool.
 * Only a fault makes the count short, and then the error indicator and
 * errno say so. */
static long long stream_wrote(struct spool_model *m, long long got, int64_t n,
                              const char *src, int err) {
  long long want;
  int error = ferror(m->fp);
  if (!m->fault_fired || got == n) {
    CHECK(got == n && !error, "wrote %lld of %lld (error %d)", got,
          (long long)n, error);
  } else {
    CHECK(got >= 0 && got < n && error,
          "a fault fired: wrote %lld of %lld, error indicator %d", got,
          (long long)n, error);
    CHECK(fault_errno(m) == 0 || err == fault_errno(m),
          "a fault fired: errno %s, the fault's %s", tf_err_name(-err),
          tf_err_name(-fault_errno(m)));
  }
  want = sysret(write(m->ref, src, (size_t)got));
  CHECK(want == got, "the file's write %lld", want);
  stream_flushed(m, got, m->fault_fired || m->sticky);
  return got;
}

/* Before a stream write of n bytes at the stream's position: the widest
 * range it may give the spool (what stdio holds, then the n bytes) may
 * roll it over. */
static void stream_write_may_roll(struct spool_model *m, int64_t n) {
  if (rolls(m, m->pos - (int64_t)m->dirty, n + (int64_t)m->dirty))
    m->would_roll = 1;
}

long long spool_model_fwrite(struct spool_model *m, int64_t n) {
  long long got;
  const char *src;
  int64_t at = m->pos;
  FILE *fp;
  int err;
  if (!begin(m) || (fp = stream(m)) == NULL)
    return -EBADF;
  n = clip_write(at, n);
  src = data(m, (size_t)n);
  describe(m, "fwrite(%lld) at %lld (%zu held)", (long long)n, (long long)at,
           m->dirty);
  m->stats.stream_ops++;
  clearerr(fp);
  direction(m, fp, 'w');
  stream_write_may_roll(m, n);
  arm(m);
  errno = 0;
  got = (long long)fwrite(src, 1, (size_t)n, fp);
  err = errno;
  (void)fault_failed(m, -1);
  got = stream_wrote(m, got, n, src, err);
  return end(m, got);
}

long long spool_model_fputc_run(struct spool_model *m, int64_t n) {
  long long got = -1;
  const char *src;
  int64_t at = m->pos, i;
  FILE *fp;
  int err = 0, r = 0;
  if (!begin(m) || (fp = stream(m)) == NULL)
    return -EBADF;
  n = clip_write(at, n);
  if (n > FPUTC_MAX)
    n = FPUTC_MAX;
  src = data(m, (size_t)n);
  describe(m, "fputc() %lld times at %lld (%zu held)", (long long)n,
           (long long)at, m->dirty);
  m->stats.stream_ops++;
  clearerr(fp);
  direction(m, fp, 'w');
  stream_write_may_roll(m, n);
  arm(m);
  errno = 0;
  for (i = 0; i < n; i++) {
    r = fputc((unsigned char)src[i], fp);
    if (r != (unsigned char)src[i])
      break;
  }
  err = errno;
  (void)fault_failed(m, -1);
  /* The char it failed on is not taken; those before were */
  CHECK(i == n || r == EOF, "fputc(%d) returned %d", (unsigned char)src[i], r);
  got = stream_wrote(m, (long long)i, n, src, err);
  return end(m, got);
}

long long spool_model_fread(struct spool_model *m, int64_t n) {
  long long got, want;
  FILE *fp;
  if (!begin(m) || (fp = stream(m)) == NULL)
    return -EBADF;
  n = clip_read(n);
  if (n > STREAM_READ_MAX)
    n = n % (STREAM_READ_MAX + 1);
  describe(m, "fread(%lld) at %lld", (long long)n, (long long)m->pos);
  m->stats.stream_ops++;
  clearerr(fp);
  direction(m, fp, 'r');
  arm(m);
  got = (long long)fread(m->a, 1, (size_t)n, fp);
  (void)fault_failed(m, -1);
  if (m->fault_fired && ferror(fp)) {
    want = sysret(read_full(m->ref, m->b, (size_t)got));
  } else {
    want = sysret(read_full(m->ref, m->b, (size_t)n));
    CHECK(!ferror(fp), "the stream's error indicator is set");
  }
  CHECK(got == want, "returned %lld, the file's read %lld", got, want);
  SAME_DATA(m->a, m->b, got, "fread");
  CHECK(__fpending(fp) == 0, "after a read the stream holds %zu bytes to write",
        __fpending(fp));
  return end(m, got);
}

long long spool_model_fseek(struct spool_model *m, int64_t offset,
                            int whence) {
  long long got, want;
  FILE *fp;
  int err;
  if (!begin(m) || (fp = stream(m)) == NULL)
    return -EBADF;
  describe(m, "fseeko(%lld, %s) from %lld (%zu held)", (long long)offset,
           whence_name(whence), (long long)m->pos, m->dirty);
  m->stats.stream_ops++;
  clearerr(fp);
  arm(m);
  errno = 0;
  got = fseeko(fp, (off_t)offset, whence) == 0 ? 0 : -(long long)errno;
  err = errno;
  (void)fault_failed(m, -1);
  /* It writes what the stream holds first */
  stream_flushed(m, 0, m->fault_fired || m->sticky);
  CHECK(__fpending(fp) == 0, "fseeko left %zu bytes to write",
        __fpending(fp));
  if (ferror(fp)) { /* that failed: no seek */
    CHECK(got < 0, "returned %lld, with the error indicator set", got);
    CHECK(fault_errno(m) == 0 || err == fault_errno(m),
          "errno %s, the fault's %s", tf_err_name(-err),
          tf_err_name(-fault_errno(m)));
    return end(m, got);
  }
  if (got < 0 && m->fault_fired && m->fault_err != EINTR)
    return end(m, got); /* the seek itself failed: changes nothing */
  if (got == 0)
    m->stream_dir = 0;
  want = sysret(lseek(m->ref, (off_t)offset, whence));
  if (want > 0)
    want = 0;
  CHECK(got == want, "returned %lld, the file's lseek %lld", got, want);
  return end(m, got);
}

long long spool_model_ftell(struct spool_model *m) {
  long long got;
  FILE *fp;
  if (!begin(m) || (fp = stream(m)) == NULL)
    return -EBADF;
  describe(m, "ftello() (%zu held)", m->dirty);
  m->stats.stream_ops++;
  got = sysret(ftello(fp));
  CHECK(got == m->pos, "returned %lld, the file's position %lld", got,
        (long long)m->pos);
  CHECK(__fpending(fp) == m->dirty, "ftello wrote: %zu bytes held, not %zu",
        __fpending(fp), m->dirty);
  return end(m, got);
}

long long spool_model_fflush(struct spool_model *m) {
  long long got;
  FILE *fp;
  int err;
  if (!begin(m) || (fp = stream(m)) == NULL)
    return -EBADF;
  describe(m, "fflush() of %zu bytes at %lld", m->dirty,
           (long long)m->pos - (long long)m->dirty);
  m->stats.stream_ops++;
  clearerr(fp);
  arm(m);
  errno = 0;
  got = fflush(fp) == 0 ? 0 : -(long long)errno;
  err = errno;
  (void)fault_failed(m, -1);
  if (got == 0) {
    CHECK(!ferror(fp), "returned 0 with the error indicator set");
  } else {
    CHECK(m->fault_fired && ferror(fp),
          "returned %lld (error indicator %d), no fault fired", got,
          ferror(fp));
    CHECK(fault_errno(m) == 0 || err == fault_errno(m),
          "errno %s, the fault's %s", tf_err_name(-err),
          tf_err_name(-fault_errno(m)));
  }
  stream_flushed(m, 0, m->fault_fired || m->sticky);
  CHECK(__fpending(fp) == 0, "fflush left %zu bytes to write",
        __fpending(fp));
  if (m->stream_dir == 'w')
    m->stream_dir = 0;
  return end(m, got);
}

long long spool_model_fprintf(struct spool_model *m, int variant,
                              unsigned arg) {
  long long got = -1;
  int64_t at = m->pos, n, took;
  char text[256];
  FILE *fp;
  int len = 0, r, err;
  if (!begin(m) || (fp = stream(m)) == NULL)
    return -EBADF;
  switch (variant & 3) {
  case 0:
    len = snprintf(m->a, BIG_MAX, "%d\n", (int)arg);
    describe(m, "fprintf(\"%%d\\n\", %d) at %lld", (int)arg, (long long)at);
    break;
  case 1:
    memcpy(text, data(m, sizeof(text)), sizeof(text));
    for (len = 0; len < (int)sizeof(text); len++)
      if (text[len] == '\0')
        text[len] = '.';
    len = snprintf(m->a, BIG_MAX, "%.*s", (int)(arg % 256), text);
    describe(m, "fprintf(\"%%.*s\", %u) at %lld", arg % 256, (long long)at);
    break;
  case 2:
    len = snprintf(m->a, BIG_MAX, "%*d", (int)(arg % 140001), (int)arg);
    describe(m, "fprintf(\"%%*d\", %u) at %lld", arg % 140001, (long long)at);
    break;
  default:
    len = snprintf(m->a, BIG_MAX, "%s:%lld;", "pos", (long long)at);
    describe(m, "fprintf(\"%%s:%%lld;\") at %lld", (long long)at);
    break;
  }
  n = clip_write(at, len);
  if (n < len) { /* at the cap: write nothing instead */
    describe(m, "ftello() (at the cap)");
    got = sysret(ftello(fp));
    CHECK(got == m->pos, "returned %lld, the file's position %lld", got,
          (long long)m->pos);
    return end(m, got);
  }
  m->stats.stream_ops++;
  clearerr(fp);
  direction(m, fp, 'w');
  stream_write_may_roll(m, n);
  arm(m);
  errno = 0;
  switch (variant & 3) {
  case 0:
    r = fprintf(fp, "%d\n", (int)arg);
    break;
  case 1:
    r = fprintf(fp, "%.*s", (int)(arg % 256), text);
    break;
  case 2:
    r = fprintf(fp, "%*d", (int)(arg % 140001), (int)arg);
    break;
  default:
    r = fprintf(fp, "%s:%lld;", "pos", (long long)at);
    break;
  }
  err = errno;
  (void)fault_failed(m, -1);
  if (r >= 0) {
    CHECK(r == len, "returned %d, expected %d", r, len);
    took = len;
  } else {
    /* -1 says nothing of what it took: the position does */
    CHECK(m->fault_fired && ferror(fp),
          "returned %d (error indicator %d), no fault fired", r, ferror(fp));
    took = (int64_t)ftello(fp) - at;
    CHECK(took >= 0 && took < len,
          "failed, and ftello says it took %lld bytes of %d", (long long)took,
          len);
  }
  got = stream_wrote(m, took, len, m->a, err);
  return end(m, got);
}

long long spool_model_fputc(struct spool_model *m, int c) {
  long long got;
  int64_t at = m->pos;
  FILE *fp;
  int err;
  if (!begin(m) || (fp = stream(m)) == NULL)
    return -EBADF;
  c &= 0xff;
  describe(m, "fputc(%d) at %lld (%zu held)", c, (long long)at, m->dirty);
  if (at >= CAP) {
    got = sysret(ftello(fp));
    return end(m, got);
  }
  m->stats.stream_ops++;
  m->a[0] = (char)c;
  clearerr(fp);
  direction(m, fp, 'w');
  stream_write_may_roll(m, 1);
  arm(m);
  errno = 0;
  got = fputc(c, fp);
  err = errno;
  (void)fault_failed(m, -1);
  CHECK(got == c || got == EOF, "returned %lld", got);
  (void)stream_wrote(m, got == EOF ? 0 : 1, 1, m->a, err);
  return end(m, got);
}

/* getc(), and with peek an ungetc() of what it read, which the next
 * read must see again. */
static long long getc_step(struct spool_model *m, int peek) {
  long long got, want;
  unsigned char byte;
  ssize_t r;
  FILE *fp;
  if (!begin(m) || (fp = stream(m)) == NULL)
    return -EBADF;
  describe(m, peek ? "getc() then ungetc() at %lld" : "getc() at %lld",
           (long long)m->pos);
  m->stats.stream_ops++;
  clearerr(fp);
  direction(m, fp, 'r');
  got = getc(fp);
  if (peek && got != EOF)
    CHECK(ungetc((int)got, fp) == got, "ungetc(%lld) failed", got);
  r = peek ? pread(m->ref, &byte, 1, (off_t)m->pos) : read(m->ref, &byte, 1);
  want = r == 1 ? byte : EOF;
  CHECK(got == want && !ferror(fp), "returned %lld, the file has %lld", got,
        want);
  return end(m, got);
}

long long spool_model_getc(struct spool_model *m) { return getc_step(m, 0); }

long long spool_model_peek(struct spool_model *m) { return getc_step(m, 1); }

long long spool_model_fgets(struct spool_model *m, int n) {
  long long got, want;
  char *r, *nl;
  size_t take;
  FILE *fp;
  if (!begin(m) || (fp = stream(m)) == NULL)
    return -EBADF;
  if (n < 2)
    n = 2;
  describe(m, "fgets(%d) at %lld", n, (long long)m->pos);
  m->stats.stream_ops++;
  clearerr(fp);
  direction(m, fp, 'r');
  r = fgets(m->a, n, fp);
  want = sysret(pread_full(m->ref, m->b, (size_t)n - 1, m->pos));
  take = want > 0 ? (size_t)want : 0;
  nl = memchr(m->b, '\n', take);
  if (nl != NULL)
    take = (size_t)(nl - m->b) + 1;
  got = r == NULL ? -1 : (long long)take;
  CHECK(!ferror(fp), "the stream's error indicator is set");
  CHECK((r == NULL) == (take == 0), "returned %s, the file has %zu bytes for it",
        r == NULL ? "NULL" : "a line", take);
  if (r != NULL) {
    CHECK(r == m->a, "returned another buffer");
    SAME_DATA(m->a, m->b, take, "fgets");
    CHECK(m->a[take] == '\0', "no NUL after the %zu bytes of the line", take);
  }
  want = sysret(lseek(m->ref, (off_t)take, SEEK_CUR));
  CHECK(want >= 0, "lseek on the file: %lld", want);
  return end(m, got);
}

/* --------------------------------------------------------------- others */

long long spool_model_invalid(struct spool_model *m, int variant) {
  static struct iovec many[IOV_MAX + 1];
  struct iovec huge[2];
  long long got;
  if (m->closed || !begin(m))
    return 0;
  switch (variant % 7) {
  case 0: {
    static const int bad[] = {3, 4, -1, 42};
    int whence = bad[(unsigned)variant / 7 % 4];
    describe(m, "tf_spool_seek(0, %d)", whence);
    got = tf_spool_seek(m->s, 0, whence);
    break;
  }
  case 1:
    describe(m, "tf_spool_writev(iovcnt -1)");
    got = tf_spool_writev(m->s, many, -1);
    break;
  case 2:
    describe(m, "tf_spool_writev(iovcnt IOV_MAX + 1)");
    got = tf_spool_writev(m->s, many, IOV_MAX + 1);
    break;
  case 3:
    describe(m, "tf_spool_writev(total past SSIZE_MAX)");
    huge[0].iov_base = huge[1].iov_base = m->a;
    huge[0].iov_len = huge[1].iov_len = (size_t)SSIZE_MAX / 2 + 1;
    got = tf_spool_writev(m->s, huge, 2);
    break;
  case 4:
    describe(m, "tf_spool_truncate(%d)", -2 - variant);
    got = tf_spool_truncate(m->s, -2 - (int64_t)variant);
    break;
  case 5:
    describe(m, "tf_spool_read(NULL, 5)");
    got = tf_spool_read(m->s, NULL, 5);
    break;
  default:
    describe(m, "tf_spool_write(NULL, 5)");
    got = tf_spool_write(m->s, NULL, 5);
    break;
  }
  stream_flushed(m, 0, m->sticky); /* some flush the stream first */
  CHECK(got == -EINVAL, "returned %lld, not -EINVAL", got);
  return end(m, got);
}

void spool_model_burst(struct spool_model *m, unsigned n) { m->burst = n; }

void spool_model_fault(struct spool_model *m, int sys_id, unsigned long nth,
                       int err) {
  m->fault_pending = 1;
  m->fault_id = sys_id;
  m->fault_nth = nth;
  m->fault_err = err;
}

void spool_model_fault_sticky(struct spool_model *m, int sys_id, int err) {
  m->fault_pending = 0;
  m->sticky = 1;
  m->fault_id = sys_id;
  m->fault_nth = 1;
  m->fault_err = err == EINTR ? EIO : err; /* (EINTR would be retried for
                                               ever) */
  tf__fault_arm_sticky(sys_id, 1, m->fault_err);
}

void spool_model_fault_clear(struct spool_model *m) {
  if (m->sticky)
    tf__fault_disarm();
  m->sticky = 0;
  m->fault_pending = 0;
  m->fault_active = 0;
}

void spool_model_check(struct spool_model *m) { compare_contents(m); }

int spool_model_rolled(struct spool_model *m) {
  int rolled;
  if (m->fp != NULL)
    clearerr(m->fp);
  rolled = tf_spool_rolled(m->s);
  stream_flushed(m, 0, m->sticky);
  return rolled;
}

size_t spool_model_stream_held(const struct spool_model *m) {
  return m->dirty;
}

int spool_model_failed(const struct spool_model *m) { return m->failed; }
const char *spool_model_message(const struct spool_model *m) {
  return m->report;
}
const struct spool_model_stats *spool_model_stats(const struct spool_model *m) {
  return &m->stats;
}
tf_spool *spool_model_spool(struct spool_model *m) { return m->s; }
int64_t spool_model_pos(const struct spool_model *m) { return m->pos; }
int64_t spool_model_size(const struct spool_model *m) { return m->size; }
int spool_model_expect_rolled(const struct spool_model *m) {
  return m->exp_rolled;
}

/* ------------------------------------------------------- open and close */

/* The two big buffers of the last model closed, kept for the next one:
 * a fuzzer makes thousands of models a minute. */
static char *spare[2];

static char *buffer(int i, size_t size) {
  char *p = spare[i];
  spare[i] = NULL;
  return p != NULL ? p : malloc(size);
}

static void release(int i, char *p) {
  if (spare[i] == NULL)
    spare[i] = p;
  else
    free(p);
}

static int open_reference(const char *dir) {
  char path[PATH_MAX];
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0)
    return fd;
  snprintf(path, sizeof(path), "%s/spool-model-XXXXXX", dir);
  fd = mkstemp(path);
  if (fd >= 0)
    unlink(path);
  return fd;
}

struct spool_model *spool_model_open(size_t max_size, int use_createat,
                                     uint64_t seed,
                                     const struct spool_model_config *cfg) {
  struct spool_model *m = calloc(1, sizeof(*m));
  tf_opts o = TF_OPTS_INIT;
  const char *dir;
  int rc;
  if (m == NULL)
    return NULL;
  if (cfg != NULL)
    m->cfg = *cfg;
  if (m->cfg.dir == NULL) {
    m->cfg.dir = getenv("TMPDIR");
    if (m->cfg.dir == NULL || m->cfg.dir[0] == '\0')
      m->cfg.dir = "/tmp";
  }
  if (m->cfg.check_every == 0)
    m->cfg.check_every = 32;
  dir = m->cfg.dir;
  m->max = max_size;
  m->sfd = -1;
  m->rng = seed ^ 0x5f3759df2545f491ull;
  m->a = buffer(0, BIG_MAX + 1);
  m->b = buffer(1, BIG_MAX + 1);

  m->ref = open_reference(dir);
  describe(m, "setting up (max_size %zu, %s, in %s)", max_size,
           use_createat ? "tf_spool_createat" : "tf_spool_create", dir);
  if (m->a == NULL || m->b == NULL || m->ref < 0) {
    mismatch(m, "cannot make the reference file or the buffers: %s",
             strerror(errno));
    goto fail;
  }
  m->allocs_before = tf__alloc_outstanding();
  if (use_createat) {
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    rc = dfd < 0 ? -errno : tf_spool_createat(&m->s, max_size, dfd, &o);
    if (dfd >= 0)
      close(dfd);
  } else {
    o.dir = dir;
    rc = tf_spool_create(&m->s, max_size, &o);
  }
  if (rc != 0) {
    mismatch(m, "creating the spool: %s", tf_strerror(rc));
    goto fail;
  }
  return m;
fail:
  if (m->cfg.on_fail == NULL)
    fprintf(stderr, "%s", m->report);
  if (m->ref >= 0)
    close(m->ref);
  release(0, m->a);
  release(1, m->b);
  free(m);
  return NULL;
}

static int finish(struct spool_model *m, char *msg, size_t msgsize,
                  struct spool_model_stats *stats) {
  int rc, result;
  long left;
  spool_model_fault_clear(m);
  if (!m->failed && !m->closed) {
    compare_contents(m);
    describe(m, "tf_spool_free()");
  }
  rc = tf_spool_free(m->s);
  if (!m->failed && rc != 0)
    mismatch(m, "tf_spool_free returned %d", rc);
  close(m->ref);
  left = tf__alloc_outstanding() - m->allocs_before;
  if (!m->failed && left != 0)
    mismatch(m, "after tf_spool_free the library holds %ld more allocations",
             left);
  m->stats.rolled += m->exp_rolled;
  m->stats.exposed += m->was_exposed;
  if (stats != NULL)
    *stats = m->stats;
  if (msg != NULL && msgsize > 0)
    snprintf(msg, msgsize, "%s", m->failed ? m->report : "");
  result = m->failed ? -1 : 0;
  release(0, m->a);
  release(1, m->b);
  free(m);
  return result;
}

int spool_model_close(struct spool_model *m) {
  return m == NULL ? -1 : finish(m, NULL, 0, NULL);
}

/* -------------------------------------------------------------- programs */

struct prog {
  const unsigned char *p;
  size_t len, at;
  int gentle; /* keep the spool in memory for a while (see below) */
};

static unsigned u8(struct prog *p) { return p->at < p->len ? p->p[p->at++] : 0; }

static unsigned u16(struct prog *p) {
  unsigned lo = u8(p);
  return lo | u8(p) << 8;
}

static unsigned u24(struct prog *p) {
  unsigned lo = u16(p);
  return lo | u8(p) << 16;
}

static int delta(struct prog *p) { return (int)(u8(p) % 17) - 8; }

/* Programs with bit 4 of the first byte set are gentle while the spool is
 * in memory: writes and seeks stay within max_size + 1 and explicit
 * truncates mostly within max_size, so the spool stays in memory for
 * many steps and rolls over by writing the one byte past max_size. */
static int gentle(const struct spool_model *m, const struct prog *p) {
  return p->gentle && !m->exp_rolled && m->max > 0;
}

/* In a gentle program, n bytes at `at` clipped to max_size, or one past
 * now and then. */
static int64_t gentle_clip(struct spool_model *m, struct prog *p, int64_t at,
                           int64_t n) {
  if (gentle(m, p)) {
    int64_t room = (int64_t)m->max + (u8(p) % 8 == 0) - at;
    n = room > 0 ? n % (room + 1) : 0;
  }
  return n;
}

/* A transfer length for a transfer starting at `at`: small ones, the
 * boundaries that matter (max_size, 64 KiB buffers and direct writes,
 * the memory chunks at powers of two, the end of the file), up to three
 * times max_size, and big ones. */
static int64_t dec_len(struct spool_model *m, struct prog *p, int64_t at) {
  int64_t max = (int64_t)m->max, n, b;
  switch (u8(p) % 16) {
  case 3:
    n = u8(p);
    break;
  case 4:
    n = u16(p) % 4097;
    break;
  case 5:
    n = u16(p);
    break;
  case 6: /* to the threshold */
    n = max + delta(p) - at;
    break;
  case 7: /* about the size written directly */
    n = (int64_t)DISK_BUF + delta(p);
    break;
  case 8: /* to a 64 KiB boundary */
    n = (at / 65536 + 1 + u8(p) % 2) * 65536 + delta(p) - at;
    break;
  case 9:
    n = 4096 + delta(p);
    break;
  case 10: /* to a chunk boundary of the memory */
    for (b = 4096; b <= at; b *= 2)
      ;
    if (u8(p) & 1)
      b *= 2;
    n = b + delta(p) - at;
    break;
  case 11: /* up to three times the threshold */
    n = max > 0 ? (int64_t)((uint64_t)3 * (uint64_t)max * u16(p) / 65535)
                : (int64_t)u16(p);
    break;
  case 12: /* big */
    n = (int64_t)DISK_BUF + (int64_t)u16(p) * 4;
    break;
  case 13: /* to the end of the file */
    n = m->size + delta(p) - at;
    break;
  case 14:
    n = (int64_t)u16(p) * 4;
    break;
  default:
    n = u8(p) % 17;
    break;
  }
  if (n < 0)
    n = -n % 17;
  return gentle_clip(m, p, at, n);
}

/* A position: near the start, the end, the threshold, the boundaries,
 * anywhere up to the cap, past the end, or negative. */
static int64_t dec_pos1(struct spool_model *m, struct prog *p) {
  switch (u8(p) % 13) {
  case 0:
    return u8(p);
  case 1:
    return m->size + delta(p);
  case 2:
    return (int64_t)m->max + delta(p);
  case 3:
    return (int64_t)(u8(p) % 64) * 65536 + delta(p);
  case 4:
    return (int64_t)u8(p) * 4096 + delta(p);
  case 5:
    return m->pos + delta(p);
  case 6:
    return (int64_t)(u24(p) % (unsigned)(CAP + 1));
  case 7:
    return -1 - (int64_t)u8(p);
  case 8:
    return 0;
  case 9:
    return m->size;
  case 10:
    return ((int64_t)1 << (12 + u8(p) % 11)) + delta(p);
  case 11:
    return m->pos + (int64_t)u16(p) - 32768;
  default:
    return m->size + (int64_t)u16(p);
  }
}

static int64_t dec_pos(struct spool_model *m, struct prog *p) {
  int64_t t = dec_pos1(m, p);
  return gentle(m, p) && t > 0 ? t % (int64_t)(m->max + 2) : t;
}

/* Target position and whence, as an offset for that whence. */
static void dec_seek(struct spool_model *m, struct prog *p, int64_t *offset,
                     int *whence) {
  int64_t target = dec_pos(m, p);
  *whence = (int)(u8(p) % 3);
  *offset = target - (*whence == SEEK_SET   ? 0
                      : *whence == SEEK_CUR ? m->pos
                                            : m->size);
}

static int64_t dec_truncate(struct spool_model *m, struct prog *p) {
  int64_t size;
  unsigned c = u8(p);
  if (p->gentle && !m->exp_rolled && c % 8 != 0) {
    if (m->max == 0)
      return c % 2 ? TF_SPOOL_HERE : 0;
    size = dec_pos(m, p);
    return c % 4 == 1 ? TF_SPOOL_HERE : size < 0 ? 0 : size % (int64_t)(m->max + 1);
  }
  switch (c % 8) {
  case 5:
  case 6:
    return TF_SPOOL_HERE;
  case 7:
    return 0;
  default:
    size = dec_pos(m, p);
    return size < 0 ? 0 : size > CAP ? CAP : size;
  }
}

enum op {
  W, WV, R, SK, TL, TR, FL, SZ, RO, FD, FDOP, FW, FR, FS, FT, FP, FC, GC, FG,
  BU, CK, IV, CL, PK, FA, FF, FCR, FX
};

static const unsigned char op_table[] = {
    W,  W,  W,  W,  W,  W,  W,  W,  WV, WV, WV, WV, R,  R,  R,  R,  R,
    R,  R,  SK, SK, SK, SK, SK, SK, SK, TL, TL, TR, TR, TR, TR, FL, FL,
    SZ, SZ, RO, FD, FDOP, FDOP, FDOP, FDOP, FW, FW, FW, FR, FR, FR, FS, FS,
    FT, FP, FP, FC, FC, GC, GC, FG, FG, BU, BU, CK, IV, CL, FA, FA, FA,
    PK, PK, FF, FF, FCR, FCR, FX, FX, FX, FX};

/* The faults the fault op injects: by phase, a call the spool makes
 * there (in memory: chunks, and the rollover's file and copy; on disk:
 * the buffer's write-back and read-ahead; exposed: the fd's calls) and
 * the steps that make it, the stream's flushes among them (fflush,
 * fseeko, a write that fills its buffer: they fire when the stream holds
 * bytes, as in a burst).  The errno comes from fault_errs; EINTR, at any
 * of them, the library's policy hides (made again; at a close,
 * success). */
struct fault_kind {
  int id;
  unsigned char ops[8]; /* ended by 0xff */
};
#define END 0xff
#define KINDS 8
static const struct fault_kind fault_kinds[3][KINDS] = {
    {{TF_SYS_fopencookie, {FW, FR, GC, FCR, END}},
     {TF_SYS_malloc, {W, WV, TR, RO, FD, FW, FF, FCR}},
     {TF_SYS_openat, {RO, FD, W, TR, WV, FF, FS, FW}},
     {TF_SYS_pwrite, {RO, FD, W, FW, FF, FCR, END}},
     {TF_SYS_mapmem, {W, TR, WV, FW, FF, END}},
     {TF_SYS_close, {RO, FD, END}},
     {TF_SYS_openat, {FF, FP, FCR, FS, END}},
     {TF_SYS_malloc, {FF, FS, FP, END}}},
    {{TF_SYS_fopencookie, {FW, FR, FC, END}},
     {TF_SYS_pwrite, {W, WV, FL, TR, R, FD, FW, FC}},
     {TF_SYS_pread, {R, FR, R, END}},
     {TF_SYS_ftruncate, {TR, END}},
     {TF_SYS_lseek, {FD, END}},
     {TF_SYS_pwrite, {FL, W, R, FF, FS, FCR, FP, END}},
     {TF_SYS_pwrite, {FF, FW, FS, FCR, END}},
     {TF_SYS_pread, {FR, FS, GC, END}}},
    {{TF_SYS_fopencookie, {FR, FC, END}},
     {TF_SYS_write, {W, WV, FW, FC, FF, FCR, END}},
     {TF_SYS_read, {R, FR, END}},
     {TF_SYS_lseek, {SK, TL, TR, END}},
     {TF_SYS_ftruncate, {TR, END}},
     {TF_SYS_fsize, {SZ, END}},
     {TF_SYS_write, {FF, FS, FP, FCR, END}},
     {TF_SYS_write, {FF, FW, FCR, END}}}};
static const int fault_errs[] = {ENOSPC, EIO, ENOMEM, EMFILE, EINTR,
                                 EOPNOTSUPP, EDQUOT, EINTR};
#define N_ERRS (sizeof(fault_errs) / sizeof(fault_errs[0]))

static void do_op(struct spool_model *m, struct prog *p, int op);

static void do_fault(struct spool_model *m, struct prog *p) {
  int ph = phase(m) > PH_EXPOSED ? PH_MEMORY : phase(m);
  const struct fault_kind *k = &fault_kinds[ph][u8(p) % KINDS];
  unsigned nops = 0, pick = u8(p);
  unsigned long nth = u8(p) % 4 == 0 ? 2 : 1;
  int err = fault_errs[u8(p) % N_ERRS];
  int op;
  while (nops < sizeof(k->ops) && k->ops[nops] != END)
    nops++;
  op = k->ops[pick % nops];
  if (op == FD && u8(p) >= 32) /* exposure stays rare */
    op = W;
#if !defined(__GLIBC__)
  /* musl's fflush() drops a read-ahead whose give-back seek failed, so
   * no call can find the stream's position after such a failure: the
   * stream is handed over before an lseek(2) can fail. */
  if (k->id == TF_SYS_lseek)
    hand_over(m);
#endif
  spool_model_fault(m, k->id, nth, err);
  do_op(m, p, op);
  m->fault_pending = 0;
}

/* A length that fills the stream's buffer, about: what it has room for,
 * give or take a few bytes, or a buffer and more. */
static int64_t dec_fill(struct spool_model *m, struct prog *p) {
  int64_t room = (int64_t)STREAM_BUF - (int64_t)spool_model_stream_held(m);
  int64_t n = u8(p) % 4 == 0 ? room + (int64_t)STREAM_BUF + delta(p)
                             : room + delta(p);
  return gentle_clip(m, p, m->pos, n < 0 ? 0 : n);
}

/* A fault while the stream flushes what it holds: a stream write in a
 * burst (no check flushes it), then the fault and a call that flushes:
 * fflush, fseeko, a stream write that fills the buffer, or a direct
 * call, which flushes the stream first.  The faults are those of the
 * spool's writes in each phase: the rollover's file, copy and memory,
 * the write-back on disk, write(2) once exposed.  (Not lseek(2) once
 * exposed: glibc's fseeko() may seek the cookie twice, to a block and
 * then within it, and the first move stays when the second fails.) */
static void do_flush_fault(struct spool_model *m, struct prog *p) {
  static const int ids[3][4] = {
      {TF_SYS_openat, TF_SYS_pwrite, TF_SYS_malloc, TF_SYS_mapmem},
      {TF_SYS_pwrite, TF_SYS_pwrite, TF_SYS_pwrite, TF_SYS_pread},
      {TF_SYS_write, TF_SYS_write, TF_SYS_write, TF_SYS_write}};
  unsigned what = u8(p), act = u8(p);
  int whence, ph, id, err;
  unsigned long nth;
  unsigned burst = m->burst; /* (in a burst already: it goes on) */
  if (burst == 0)
    spool_model_burst(m, 1);
  switch (what % 4) {
  case 0:
    spool_model_fwrite(m, dec_len(m, p, m->pos));
    break;
  case 1:
    spool_model_fputc_run(m, dec_len(m, p, m->pos));
    break;
  case 2:
    whence = (int)(u16(p) | (unsigned)u8(p) << 16);
    if (gentle(m, p))
      whence %= (int)m->max + 2;
    spool_model_fprintf(m, (int)what >> 2, (unsigned)whence);
    break;
  default:
    spool_model_fwrite(m, dec_fill(m, p));
    break;
  }
  if (burst == 0)
    spool_model_burst(m, 0); /* (if that step did not take it) */
  ph = phase(m) > PH_EXPOSED ? PH_MEMORY : phase(m);
  id = ids[ph][u8(p) % 4];
  nth = u8(p) % 4 == 0 ? 2 : 1;
  err = fault_errs[u8(p) % N_ERRS];
  spool_model_fault(m, id, nth, err);
  switch (act % 14) {
  case 0:
  case 1:
    spool_model_fflush(m);
    break;
  case 3:
    spool_model_fwrite(m, dec_fill(m, p));
    break;
  case 4:
    spool_model_fputc_run(m, dec_fill(m, p));
    break;
  case 2: case 5: case 6: case 7: case 8: case 9: case 10: case 11:
  case 12: { /* the steps themselves, decoded as anywhere else */
    static const int ops[13] = {0, 0, FS, 0, 0, W, R, SK, TL, SZ, TR, FL, FW};
    do_op(m, p, ops[act % 14]);
    break;
  }
  default: /* rare, as elsewhere */
    if (u8(p) < 32)
      spool_model_fd(m);
    else if (u8(p) < 64)
      spool_model_rollover(m);
    else
      spool_model_fflush(m);
    break;
  }
  m->fault_pending = 0;
}

static void do_op(struct spool_model *m, struct prog *p, int op) {
  int64_t off, lens[8];
  int whence, i, count;
  switch (op) {
  case W:
    spool_model_write(m, dec_len(m, p, m->pos));
    break;
  case WV:
    count = 1 + (int)(u8(p) % 8);
    for (i = 0, off = m->pos; i < count; i++) {
      lens[i] = u8(p) % 4 == 0 ? 0 : dec_len(m, p, off);
      off += lens[i];
    }
    spool_model_writev(m, lens, count);
    break;
  case R:
    spool_model_read(m, dec_len(m, p, m->pos));
    break;
  case SK:
    dec_seek(m, p, &off, &whence);
    spool_model_seek(m, off, whence);
    break;
  case TL:
    spool_model_tell(m);
    break;
  case TR:
    spool_model_truncate(m, dec_truncate(m, p));
    break;
  case FL:
    spool_model_flush(m);
    break;
  case SZ:
    spool_model_size_op(m);
    break;
  case RO: /* rare: most of a program should run before it */
    if (u8(p) < 40)
      spool_model_rollover(m);
    else
      spool_model_tell(m);
    break;
  case FD:
    if (u8(p) < 32)
      spool_model_fd(m);
    else
      spool_model_size_op(m);
    break;
  case FDOP:
    if (m->sfd < 0) {
      spool_model_read(m, dec_len(m, p, m->pos));
      break;
    }
    switch (u8(p) % 6) {
    case 0:
      spool_model_fd_write(m, dec_len(m, p, m->pos));
      break;
    case 1:
      spool_model_fd_read(m, dec_len(m, p, m->pos));
      break;
    case 2:
      dec_seek(m, p, &off, &whence);
      spool_model_fd_seek(m, off, whence);
      break;
    case 3:
      spool_model_fd_truncate(m, dec_truncate(m, p) == TF_SPOOL_HERE
                                     ? m->pos
                                     : dec_pos(m, p) % CAP);
      break;
    case 4:
      off = dec_pos(m, p);
      spool_model_fd_pwrite(m, dec_len(m, p, off), off);
      break;
    default:
      off = dec_pos(m, p);
      spool_model_fd_pread(m, dec_len(m, p, off), off);
      break;
    }
    break;
  case FW:
    spool_model_fwrite(m, dec_len(m, p, m->pos));
    break;
  case FR:
    spool_model_fread(m, dec_len(m, p, m->pos));
    break;
  case FS:
    dec_seek(m, p, &off, &whence);
    spool_model_fseek(m, off, whence);
    break;
  case FT:
    spool_model_ftell(m);
    break;
  case FP:
    i = (int)u8(p);
    whence = (int)(u16(p) | (unsigned)u8(p) << 16);
    if (gentle(m, p))
      whence %= (int)m->max + 2;
    spool_model_fprintf(m, i, (unsigned)whence);
    break;
  case FC:
    spool_model_fputc(m, (int)u8(p));
    break;
  case GC:
    spool_model_getc(m);
    break;
  case FG:
    i = (int)u8(p);
    spool_model_fgets(m, i % 4 == 0 ? 2 + (int)u16(p) % 5000 : 2 + i);
    break;
  case BU:
    spool_model_burst(m, 2 + u8(p) % 7);
    break;
  case CK:
    spool_model_check(m);
    break;
  case IV:
    spool_model_invalid(m, (int)u8(p));
    break;
  case PK:
    spool_model_peek(m);
    break;
  case CL: /* very rare: the rest of the program only sees -EBADF */
    if (u8(p) == 0)
      spool_model_close_op(m);
    else
      spool_model_flush(m);
    break;
  case FF:
    spool_model_fflush(m);
    break;
  case FCR:
    spool_model_fputc_run(m, dec_len(m, p, m->pos));
    break;
  case FX:
    do_flush_fault(m, p);
    break;
  default:
    do_fault(m, p);
    break;
  }
}

int spool_model_run(const unsigned char *prog, size_t len,
                    const struct spool_model_config *cfg,
                    struct spool_model_stats *stats, char *msg,
                    size_t msgsize) {
  struct prog p;
  struct spool_model *m;
  unsigned head;
  uint64_t seed;
  p.p = prog;
  p.len = len;
  p.at = 0;
  head = u8(&p);
  p.gentle = (head >> 4) & 1;
  seed = (uint64_t)u16(&p) | (uint64_t)u16(&p) << 16;
  m = spool_model_open(spool_model_threshold[head % SPOOL_MODEL_THRESHOLDS],
                       (head >> 3) & 1, seed ^ (uint64_t)head << 40, cfg);
  if (stats != NULL)
    memset(stats, 0, sizeof(*stats));
  if (m == NULL) {
    if (msg != NULL && msgsize > 0)
      snprintf(msg, msgsize, "the model could not be set up");
    return -2;
  }
  while (p.at < p.len && !m->failed &&
         (m->cfg.max_ops == 0 || m->stats.ops < m->cfg.max_ops))
    do_op(m, &p, op_table[u8(&p) % sizeof(op_table)]);
  return finish(m, msg, msgsize, stats);
}

void spool_model_random_program(unsigned char *out, size_t len,
                                unsigned threshold, uint64_t seed) {
  size_t i;
  for (i = 0; i < len; i++)
    out[i] = (unsigned char)(splitmix(&seed) >> 56);
  /* Three programs in four are gentle. */
  if (len > 0)
    out[0] = (unsigned char)((threshold % SPOOL_MODEL_THRESHOLDS) |
                             (out[0] & 0x08) | (out[0] >> 6 ? 0x10 : 0));
}
