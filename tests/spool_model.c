/* SPDX-License-Identifier: MIT */
/*
 * spool_model.c - model-based differential testing of tf_spool (see
 * spool_model.h): every step is done to a spool and to a plain unnamed
 * file, and the two must agree.
 *
 * The rules the model predicts besides the data (from tempfile.h):
 *  - rollover: a write of n > 0 bytes at pos rolls a spool in memory over
 *    when max_size > 0 and pos + n > max_size (writev: per buffer, stream
 *    writes likewise); truncate(size) when size > max_size (max_size 0:
 *    size > 0); truncate(TF_SPOOL_HERE) when max_size > 0 and pos >
 *    max_size; tf_spool_rollover() and tf_spool_fd() always.  Nothing
 *    else (seeks, reads, flushes) does.
 *  - memory: in memory with max_size > 0 the spool holds at most
 *    max_size bytes; once rolled over at most its 64 KiB buffer; exposed
 *    or closed, nothing.
 *  - after tf_spool_fd() the fd's offset is the position.
 *  - a step failed by an injected fault changes nothing (the reference
 *    does not do it), except that it may have rolled over when the step
 *    would have; an injected EINTR is retried and never seen.
 * Streams follow POSIX: the stream's end-of-file indicator is sticky, so
 * it is cleared before each stream step; before a raw call on the fd the
 * stream is flushed unless a direct call (the checks) did since (POSIX
 * hand-over between handles).  Direct calls must synchronise the stream
 * themselves: nothing else does within a burst.
 */
#include "spool_model.h"
#include "fault.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define DISK_BUF ((size_t)64 << 10) /* the spool's buffer once on disk */
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
  unsigned long since_check;
  long allocs_before;
  /* an injected fault: pending until the next step arms it */
  int fault_pending, fault_active, fault_fired;
  int fault_id, fault_err;
  unsigned long fault_nth;
  int would_roll; /* the step in progress rolls over if it succeeds */
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
  save = tf_spool_tell(m->s);
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

static int64_t stream_read_max(const struct spool_model *m);

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

static void compare_contents(struct spool_model *m) {
  char saved[LINE];
  if (m->failed || m->closed)
    return;
  memcpy(saved, m->cur, sizeof(saved));
  m->stats.checks++;
  if (m->sfd >= 0 && next(m) % 2 == 0)
    contents_fd(m);
  else if (m->fp != NULL && m->size <= stream_read_max(m) && next(m) % 4 == 0)
    contents_stream(m);
  else
    contents_direct(m);
  if (!m->failed)
    memcpy(m->cur, saved, sizeof(saved));
}

/* The checks after every step. */
static void checks(struct spool_model *m) {
  size_t mem = tf__test_spool_memory(m->s);
  int rolled;
  long long got, want;
  if (m->closed) {
    CHECKV(mem == 0, "a closed spool holds %zu bytes of memory", mem);
    return;
  }
  rolled = tf_spool_rolled(m->s);
  CHECKV(rolled == m->exp_rolled, "tf_spool_rolled: %d, the rules say %d",
         rolled, m->exp_rolled);
  if (!rolled && m->max > 0)
    CHECKV(mem <= m->max, "in memory it holds %zu bytes, max_size is %zu", mem,
           m->max);
  if (rolled)
    CHECKV(mem <= DISK_BUF, "rolled over, it holds %zu bytes of memory", mem);
  if (m->sfd >= 0) /* "From then on the spool buffers nothing" */
    CHECKV(mem == 0, "exposed, it holds %zu bytes of memory", mem);
  if (m->burst > 0) {
    m->burst--;
    m->unsynced = 1;
    return;
  }
  m->unsynced = 0;
  m->stream_dir = 0;
  got = tf_spool_tell(m->s);
  CHECKV(got == m->pos, "tf_spool_tell: %lld, the file's position %lld", got,
         (long long)m->pos);
  got = tf_spool_size(m->s);
  CHECKV(got == m->size, "tf_spool_size: %lld, the file's size %lld", got,
         (long long)m->size);
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
  tf__fault_disarm();
  if (m->fault_fired)
    m->stats.faults_fired++;
  return m->fault_fired && got < 0 && m->fault_err != EINTR;
}

/* ---------------------------------------------------------------- steps */

static int begin(struct spool_model *m) {
  m->would_roll = 0;
  m->fault_fired = 0;
  return !m->failed;
}

static long long end(struct spool_model *m, long long got) {
  int ph;
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
  /* A failed step may have rolled over first, if it was going to. */
  if (m->fault_fired && !m->closed && !m->exp_rolled &&
      tf_spool_rolled(m->s)) {
    if (!m->would_roll) {
      mismatch(m, "rolled over by a failed step that does not roll over");
      return got;
    }
    m->exp_rolled = 1;
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

/* Whether n bytes written at `at` roll the spool over. */
static int rolls(const struct spool_model *m, int64_t at, int64_t n) {
  return !m->exp_rolled && m->max > 0 && n > 0 && at + n > (int64_t)m->max;
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
  if (!begin(m))
    return 0;
  n = clip_write(at, n);
  src = data(m, (size_t)n);
  describe(m, "tf_spool_write(%lld) at %lld", (long long)n, (long long)at);
  m->would_roll = rolls(m, at, n);
  arm(m);
  got = tf_spool_write(m->s, src, (size_t)n);
  if (fault_failed(m, got))
    return end(m, got);
  if (m->closed)
    return closed_step(m, got);
  want = sysret(write(m->ref, src, (size_t)n));
  CHECK(got == want, "returned %lld, the file's write %lld", got, want);
  if (got > 0 && m->would_roll)
    m->exp_rolled = 1;
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
  if (fault_failed(m, got))
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
  if (fault_failed(m, got))
    return end(m, got);
  if (m->closed)
    return closed_step(m, got);
  want = sysret(read(m->ref, m->b, (size_t)n));
  CHECK(got == want, "returned %lld, the file's read %lld", got, want);
  if (got > 0)
    SAME_DATA(m->a, m->b, got, "tf_spool_read");
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
  if (fault_failed(m, got))
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
  if (fault_failed(m, got))
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
  if (!begin(m))
    return 0;
  if (size == TF_SPOOL_HERE)
    describe(m, "tf_spool_truncate(TF_SPOOL_HERE) at %lld", (long long)m->pos);
  else
    describe(m, "tf_spool_truncate(%lld)", (long long)size);
  if (!m->exp_rolled)
    m->would_roll = size == TF_SPOOL_HERE
                        ? m->max > 0 && m->pos > (int64_t)m->max
                        : size >= 0 && (uint64_t)size > (uint64_t)m->max;
  arm(m);
  got = tf_spool_truncate(m->s, size);
  if (fault_failed(m, got))
    return end(m, got);
  if (m->closed && size >= TF_SPOOL_HERE)
    return closed_step(m, got);
  if (size < TF_SPOOL_HERE)
    want = -EINVAL;
  else
    want = ftruncate(m->ref, (off_t)target) == 0 ? target : -(long long)errno;
  CHECK(got == want, "returned %lld, expected %lld", got, want);
  if (got >= 0 && m->would_roll)
    m->exp_rolled = 1;
  return end(m, got);
}

long long spool_model_flush(struct spool_model *m) {
  long long got;
  if (!begin(m))
    return 0;
  describe(m, "tf_spool_flush()");
  arm(m);
  got = tf_spool_flush(m->s);
  if (fault_failed(m, got))
    return end(m, got);
  if (m->closed)
    return closed_step(m, got);
  CHECK(got == 0, "returned %lld", got);
  return end(m, got);
}

long long spool_model_size_op(struct spool_model *m) {
  long long got;
  if (!begin(m))
    return 0;
  describe(m, "tf_spool_size()");
  arm(m);
  got = tf_spool_size(m->s);
  if (fault_failed(m, got))
    return end(m, got);
  if (m->closed)
    return closed_step(m, got);
  CHECK(got == m->size, "returned %lld, the file's size %lld", got,
        (long long)m->size);
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
  if (fault_failed(m, got))
    return end(m, got);
  if (m->closed)
    return closed_step(m, got);
  CHECK(got == 0, "returned %lld", got);
  m->exp_rolled = 1;
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
  if (fault_failed(m, got))
    return end(m, got);
  if (m->closed)
    return closed_step(m, got);
  CHECK(got >= 0, "returned %lld", got);
  CHECK(m->sfd < 0 || got == m->sfd, "returned fd %lld, before fd %d", got,
        m->sfd);
  m->sfd = (int)got;
  m->exp_rolled = 1;
  m->was_exposed = 1;
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
  m->closed = 1;
  m->fp = NULL;
  m->sfd = -1;
  return end(m, got);
}

/* ------------------------------------------------------- the exposed fd */

/* Before a call on the fd: the stream may hold a byte the spool has
 * passed (ungetc) when no direct call synchronised it since; the caller
 * hands the file over from the stream to the fd as POSIX asks, with
 * fflush(). */
static void hand_over(struct spool_model *m) {
  if (m->unsynced && m->fp != NULL)
    (void)fflush(m->fp);
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

/* glibc reads a cookie stream a byte at a time (its xsgetn for them is
 * the default one, which underflows an unbuffered stream byte by byte):
 * a read() per byte once the fd is exposed.  So a long stream read is no
 * different from a short one for the spool, only slower: stream reads
 * stay short. */
static int64_t stream_read_max(const struct spool_model *m) {
  return m->sfd >= 0 ? 2048 : 8192;
}

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
 * given back, when a write follows. */
static void direction(struct spool_model *m, FILE *fp, int dir) {
  if (m->stream_dir != 0 && m->stream_dir != dir) {
    clearerr(fp);
    if (fseeko(fp, 0, SEEK_CUR) != 0)
      mismatch(m, "fseeko(0, CUR) before changing direction: %s",
               strerror(errno));
  }
  m->stream_dir = dir;
}

/* Bytes written through the stream: the reference follows. */
static long long stream_wrote(struct spool_model *m, long long got,
                              int64_t at, int64_t n, const char *src) {
  long long want;
  if (!m->fault_fired || got == n) {
    CHECK(got == n && !ferror(m->fp), "wrote %lld of %lld (error %d)", got,
          (long long)n, ferror(m->fp));
  }
  want = sysret(write(m->ref, src, (size_t)got));
  CHECK(want == got, "the file's write %lld", want);
  if (got > 0 && rolls(m, at, n))
    m->exp_rolled = 1;
  return got;
}

long long spool_model_fwrite(struct spool_model *m, int64_t n) {
  long long got;
  const char *src;
  int64_t at = m->pos;
  FILE *fp;
  if (!begin(m) || (fp = stream(m)) == NULL)
    return -EBADF;
  n = clip_write(at, n);
  src = data(m, (size_t)n);
  describe(m, "fwrite(%lld) at %lld", (long long)n, (long long)at);
  m->stats.stream_ops++;
  m->would_roll = rolls(m, at, n);
  clearerr(fp);
  direction(m, fp, 'w');
  arm(m);
  got = (long long)fwrite(src, 1, (size_t)n, fp);
  (void)fault_failed(m, -1);
  got = stream_wrote(m, got, at, n, src);
  return end(m, got);
}

long long spool_model_fread(struct spool_model *m, int64_t n) {
  long long got, want;
  FILE *fp;
  if (!begin(m) || (fp = stream(m)) == NULL)
    return -EBADF;
  n = clip_read(n);
  if (n > stream_read_max(m))
    n = n % (stream_read_max(m) + 1);
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
  return end(m, got);
}

long long spool_model_fseek(struct spool_model *m, int64_t offset,
                            int whence) {
  long long got, want;
  FILE *fp;
  if (!begin(m) || (fp = stream(m)) == NULL)
    return -EBADF;
  describe(m, "fseeko(%lld, %s) from %lld", (long long)offset,
           whence_name(whence), (long long)m->pos);
  m->stats.stream_ops++;
  clearerr(fp);
  got = fseeko(fp, (off_t)offset, whence) == 0 ? 0 : -(long long)errno;
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
  describe(m, "ftello()");
  m->stats.stream_ops++;
  got = sysret(ftello(fp));
  CHECK(got == m->pos, "returned %lld, the file's position %lld", got,
        (long long)m->pos);
  return end(m, got);
}

long long spool_model_fprintf(struct spool_model *m, int variant,
                              unsigned arg) {
  long long got;
  int64_t at = m->pos, n;
  char text[256];
  FILE *fp;
  int len = 0;
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
    len = snprintf(m->a, BIG_MAX, "%*d", (int)(arg % 20001), (int)arg);
    describe(m, "fprintf(\"%%*d\", %u) at %lld", arg % 20001, (long long)at);
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
  switch (variant & 3) {
  case 0:
    got = fprintf(fp, "%d\n", (int)arg);
    break;
  case 1:
    got = fprintf(fp, "%.*s", (int)(arg % 256), text);
    break;
  case 2:
    got = fprintf(fp, "%*d", (int)(arg % 20001), (int)arg);
    break;
  default:
    got = fprintf(fp, "%s:%lld;", "pos", (long long)at);
    break;
  }
  CHECK(got == len && !ferror(fp), "returned %lld, expected %d (error %d)", got,
        len, ferror(fp));
  got = stream_wrote(m, got, at, n, m->a);
  return end(m, got);
}

long long spool_model_fputc(struct spool_model *m, int c) {
  long long got;
  int64_t at = m->pos;
  FILE *fp;
  if (!begin(m) || (fp = stream(m)) == NULL)
    return -EBADF;
  c &= 0xff;
  describe(m, "fputc(%d) at %lld", c, (long long)at);
  if (at >= CAP) {
    got = sysret(ftello(fp));
    return end(m, got);
  }
  m->stats.stream_ops++;
  m->would_roll = rolls(m, at, 1);
  m->a[0] = (char)c;
  clearerr(fp);
  direction(m, fp, 'w');
  arm(m);
  got = fputc(c, fp);
  (void)fault_failed(m, -1);
  if (m->fault_fired && got == EOF) {
    (void)stream_wrote(m, 0, at, 1, m->a);
  } else {
    CHECK(got == c, "returned %lld", got);
    (void)stream_wrote(m, 1, at, 1, m->a);
  }
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

void spool_model_check(struct spool_model *m) { compare_contents(m); }

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
  if (gentle(m, p)) { /* up to max_size, or one past now and then */
    int64_t room = max + (u8(p) % 8 == 0) - at;
    n = room > 0 ? n % (room + 1) : 0;
  }
  return n;
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
  BU, CK, IV, CL, PK, FA
};

static const unsigned char op_table[] = {
    W,  W,  W,  W,  W,  W,  W,  W,  WV, WV, WV, WV, R,  R,  R,  R,  R,
    R,  R,  SK, SK, SK, SK, SK, SK, SK, TL, TL, TR, TR, TR, TR, FL, FL,
    SZ, SZ, RO, FD, FDOP, FDOP, FDOP, FDOP, FW, FW, FW, FR, FR, FR, FS, FS,
    FT, FP, FP, FC, FC, GC, GC, FG, FG, BU, BU, CK, IV, CL, FA, FA, FA,
    PK, PK};

/* The faults the fault op injects: by phase, a call the spool makes
 * there (in memory: chunks, and the rollover's file and copy; on disk:
 * the buffer's write-back and read-ahead; exposed: the fd's calls) and
 * the steps that make it.  The errno comes from fault_errs; EINTR, at
 * any of them, the library's policy hides (made again; at a close,
 * success). */
struct fault_kind {
  int id;
  unsigned char ops[8]; /* ended by 0xff */
};
#define END 0xff
static const struct fault_kind fault_kinds[3][6] = {
    {{TF_SYS_fopencookie, {FW, FR, GC, END}},
     {TF_SYS_malloc, {W, WV, TR, RO, FD, FW, END}},
     {TF_SYS_openat, {RO, FD, W, TR, WV, END}},
     {TF_SYS_pwrite, {RO, FD, W, FW, END}},
     {TF_SYS_mapmem, {W, TR, WV, END}},
     {TF_SYS_close, {RO, FD, END}}},
    {{TF_SYS_fopencookie, {FW, FR, FC, END}},
     {TF_SYS_pwrite, {W, WV, FL, TR, R, FD, FW, FC}},
     {TF_SYS_pread, {R, FR, R, END}},
     {TF_SYS_ftruncate, {TR, END}},
     {TF_SYS_lseek, {FD, END}},
     {TF_SYS_pwrite, {FL, W, R, END}}},
    {{TF_SYS_fopencookie, {FR, FC, END}},
     {TF_SYS_write, {W, WV, FW, FC, END}},
     {TF_SYS_read, {R, FR, END}},
     {TF_SYS_lseek, {SK, TL, TR, END}},
     {TF_SYS_ftruncate, {TR, END}},
     {TF_SYS_fsize, {SZ, END}}}};
static const int fault_errs[] = {ENOSPC, EIO, ENOMEM, EMFILE, EINTR,
                                 EOPNOTSUPP, EDQUOT, EINTR};

static void do_op(struct spool_model *m, struct prog *p, int op);

static void do_fault(struct spool_model *m, struct prog *p) {
  int ph = phase(m) > PH_EXPOSED ? PH_MEMORY : phase(m);
  const struct fault_kind *k = &fault_kinds[ph][u8(p) % 6];
  unsigned nops = 0, pick = u8(p);
  unsigned long nth = u8(p) % 4 == 0 ? 2 : 1;
  int err = fault_errs[u8(p) % (sizeof(fault_errs) / sizeof(fault_errs[0]))];
  int op;
  while (nops < sizeof(k->ops) && k->ops[nops] != END)
    nops++;
  op = k->ops[pick % nops];
  if (op == FD && u8(p) >= 32) /* exposure stays rare */
    op = W;
  spool_model_fault(m, k->id, nth, err);
  do_op(m, p, op);
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
