/* SPDX-License-Identifier: MIT */
/*
 * tfstream - time stdio on the streams libtempfile hands out, a spool's
 * (tf_spool_stream()), a tf_file's (tf_file_stream()) and a replacement's
 * (tf_atomic_stream()), against the same stdio calls on a plain file or
 * on fdopen() of the same fd (the "floor").
 *
 *   tfstream WORKLOAD N DIR
 *
 * prints exactly one line on stdout, as tfbench does (NS with two
 * decimals: a read moves 80 bytes in about 2 ns):
 *
 *   WORKLOAD libtempfile NS ns/op
 *
 * where NS is the median, over REPS repetitions of N passes each, of the
 * time per operation, after one untimed repetition as a warm-up.  REPS
 * is 11, or $TFBENCH_REPS when set (1 to 101).  One pass moves 8,000,000
 * bytes: 100,000 records of 80 bytes, each "%08ld %s\n" of its index and
 * one of 101 texts of 70 printable characters (the index mod 101 picks
 * it), so 79 printable bytes and a newline; the data is made before
 * anything is timed.  One operation is one record: NS ns/op is
 * 80,000 / NS MB/s.
 *
 * Workloads: spool-stream-PATTERN-MODE, MODE being
 *   mem     tf_spool_create(max_size 0): never rolls over (checked:
 *           tf_spool_rolled() is 0 at the end)
 *   rolled  tf_spool_create(max_size 1 MiB, opts.dir = DIR): rolls over
 *           to an unnamed file in DIR (checked: tf_spool_rolled() is 1)
 * and PATTERN one of
 *   read    the spool is filled before the warm-up (untimed: one
 *           tf_spool_write of the 8 MB, tf_spool_seek to 0); a pass
 *           (timed) is tf_spool_stream(), rewind, fread in 1 MiB blocks
 *           until EOF, adding up the bytes at the offsets that are
 *           multiples of 4096; after it (untimed) the byte count, that
 *           sum and ferror are checked
 *   lines   the same filling; a pass is tf_spool_stream(), rewind, fgets
 *           into a 256-byte buffer until EOF, counting the lines, adding
 *           up their 10th bytes and checking that each ends at its 80th
 *           (the count must be 100,000; checked after the pass)
 *   write   a pass (timed) is tf_spool_create, tf_spool_stream, one
 *           fwrite per 80-byte record, fflush; after it (untimed) the
 *           size (tf_spool_size), tf_spool_rolled() and every byte
 *           (tf_spool_seek and tf_spool_read) are checked, and the spool
 *           freed
 *   putc    the same with one fputc per byte (8,000,000 calls)
 *   printf  the same with one fprintf(fp, "%08ld %s\n", index, text) per
 *           record
 * So for write, putc and printf the creation of the spool and of its
 * stream is timed, the check and the end (tf_spool_free) are not; the
 * floor does the same with its file (creation timed, fclose not).
 *
 * WORKLOAD-floor: the same stdio calls on a FILE * with stdio's default
 * buffer over an unnamed file in DIR (openat(DIR, O_TMPFILE|O_RDWR) and
 * fdopen, as tmpfile() makes one in /tmp), for -mem as for -rolled: the
 * floor is always a real file (in the page cache), since a FILE * over
 * memory is not what a program gets from tmpfile().  For read and lines
 * it is filled with fwrite and fflush before the warm-up; for the writes
 * each pass opens a fresh one (timed) and fcloses it (untimed, after the
 * same checks through pread).
 *
 * WORKLOAD-memstream (MODE mem only, for information): glibc's streams
 * over memory, fmemopen(data, 8,000,000, "r") for read and lines (opened
 * before the warm-up), open_memstream for the writes (opened in each pass,
 * timed; checked, fclosed and freed after it, untimed).
 *
 * file-stream-PATTERN, the five patterns on a tf_file's stream: the file
 * is tf_file_create() with opts.dir = DIR (a named file in DIR, deleted
 * when freed), the stream tf_file_stream().
 *   read, lines  the file is made and filled before the warm-up
 *           (untimed: pwrite of the 8 MB to its fd); a pass (timed) is
 *           tf_file_stream(), rewind, then the reads as above, with the
 *           same checks after it; tf_file_free at the end
 *   write, putc, printf  a pass (timed) is tf_file_create,
 *           tf_file_stream, the writes, fflush; after it (untimed) the
 *           size (fstat) and every byte (pread) are checked through
 *           tf_file_fd(), and the file freed (tf_file_free)
 * file-stream-PATTERN-floor: the same on fdopen(dup(tf_file_fd(f)), "r+")
 * of such a tf_file, with stdio's default buffer, so the floor is fdopen
 * on the same kind of fd: for read and lines the file is made, filled and
 * fdopened before the warm-up, a pass is rewind and the reads; for the
 * writes a pass is tf_file_create, dup and fdopen, the writes and fflush
 * (timed), then the same checks, fclose and tf_file_free (untimed).
 *
 * atomic-stream-PATTERN, PATTERN write, putc or printf (reading does not
 * apply to a replacement being written): a pass (timed) is
 * tf_atomic_begin(DIR/target), tf_atomic_stream, the writes, fflush;
 * after it (untimed) the size (fstat) and every byte (pread) are checked
 * through tf_atomic_fd(), then tf_atomic_abort and tf_atomic_free, so the
 * target is never made and nothing is left in DIR.
 * atomic-stream-PATTERN-floor: the same with fdopen(dup(tf_atomic_fd(a)),
 * "w") (default buffer) in place of tf_atomic_stream, fclosed before the
 * abort (untimed).
 *
 * WORKLOAD-paired: the workload and its floor alternately in this one
 * process, the order swapped every pair, REPS pairs after one untimed
 * run of each (as tfbench's W-paired); prints
 *
 *   WORKLOAD-paired ratio R lib L floor F pairs P
 *
 * R the median of the per-pair ratios libtempfile / floor, L and F the
 * medians in ns/op.
 *
 * Any failure, a wrong byte read or written included, is reported on
 * stderr and exits 1; a bad command line exits 2.  Nothing is left in DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tempfile.h"
#include "clock.h"

#define DEFAULT_REPS 11
#define MAX_REPS 101

#define RECORD 80
#define RECORDS 100000L
#define TOTAL ((size_t)RECORD * (size_t)RECORDS) /* 8,000,000 */
#define TEXTS 101
#define TEXT_LEN 70
#define BLOCK (1u << 20)       /* fread block, and the check's reads */
#define ROLLED_MAX (1u << 20)  /* max_size of the -rolled spools */
#define SAMPLE 4096            /* read: the bytes at multiples of it */
#define LINE_BUF 256

enum pattern { READ, LINES, WRITE, PUTC, PRINTF };
enum impl { LIB, FLOOR, MEMSTREAM };
/* Whose stream: a spool's, a tf_file's or a replacement's. */
enum kind { SPOOL, TFFILE, ATOMIC };

static const char *const pattern_names[] = {"read", "lines", "write", "putc",
                                            "printf"};

/* One implementation of one workload, and what it keeps between passes. */
struct side {
  enum impl impl;
  tf_spool *spool; /* LIB, read and lines: filled once */
  tf_file *file;   /* file-stream read and lines: made and filled once */
  FILE *fp;        /* FLOOR and MEMSTREAM, read and lines: opened once */
};

static const char *g_dir;
static char *g_target; /* atomic-stream: DIR/target, never made */
static enum kind g_kind;
static enum pattern g_pattern;
static int g_rolled;
static char *g_data;                    /* the 8 MB every pass moves */
static char g_text[TEXTS][TEXT_LEN + 1]; /* printf's texts */
static unsigned char *g_block;          /* fread's block, the check's */
static unsigned long long g_want_sum;   /* read: sum of the sampled bytes */
static unsigned long long g_want_tenth; /* lines: sum of the 10th bytes */

static void die(const char *what, int err) {
  fprintf(stderr, "tfstream: %s: %s\n", what, strerror(err < 0 ? -err : err));
  exit(1);
}

static void fail(const char *what) {
  fprintf(stderr, "tfstream: %s\n", what);
  exit(1);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (p == NULL)
    die("malloc", ENOMEM);
  return p;
}

/* ------------------------------------------------------------- the data */

static void make_data(void) {
  long i;
  size_t p;
  int k, j;
  char rec[RECORD + 1];
  for (k = 0; k < TEXTS; k++) {
    for (j = 0; j < TEXT_LEN; j++)
      g_text[k][j] = (char)('!' + (k * 37 + j * 11) % 94);
    g_text[k][TEXT_LEN] = '\0';
  }
  g_data = xmalloc(TOTAL);
  for (i = 0; i < RECORDS; i++) {
    if (snprintf(rec, sizeof(rec), "%08ld %s\n", i, g_text[i % TEXTS]) !=
        RECORD)
      fail("a record is not 80 bytes");
    memcpy(g_data + (size_t)i * RECORD, rec, RECORD);
    g_want_tenth += (unsigned char)rec[9];
  }
  for (p = 0; p < TOTAL; p += SAMPLE)
    g_want_sum += (unsigned char)g_data[p];
  g_block = xmalloc(BLOCK);
}

/* ------------------------------------------------------------ the files */

static size_t max_size(void) { return g_rolled ? ROLLED_MAX : 0; }

static tf_spool *new_spool(void) {
  tf_opts opts = TF_OPTS_INIT;
  tf_spool *s;
  int rc;
  opts.dir = g_dir;
  rc = tf_spool_create(&s, max_size(), &opts);
  if (rc < 0)
    die("tf_spool_create", rc);
  return s;
}

static FILE *spool_stream(tf_spool *s) {
  FILE *fp;
  int rc = tf_spool_stream(s, &fp);
  if (rc < 0)
    die("tf_spool_stream", rc);
  return fp;
}

static void check_rolled(tf_spool *s) {
  int r = tf_spool_rolled(s);
  if (r != g_rolled) {
    fprintf(stderr, "tfstream: tf_spool_rolled() is %d, not %d\n", r,
            g_rolled);
    exit(1);
  }
}

static void free_spool(tf_spool *s) {
  int rc = tf_spool_free(s);
  if (rc < 0)
    die("tf_spool_free", rc);
}

static tf_file *new_file(void) {
  tf_opts opts = TF_OPTS_INIT;
  tf_file *f;
  int rc;
  opts.dir = g_dir;
  rc = tf_file_create(&f, &opts);
  if (rc < 0)
    die("tf_file_create", rc);
  return f;
}

static FILE *file_stream(tf_file *f) {
  FILE *fp;
  int rc = tf_file_stream(f, &fp);
  if (rc < 0)
    die("tf_file_stream", rc);
  return fp;
}

static int file_fd(const tf_file *f) {
  int fd = tf_file_fd(f);
  if (fd < 0)
    die("tf_file_fd", fd);
  return fd;
}

static void free_file(tf_file *f) {
  int rc = tf_file_free(f);
  if (rc < 0)
    die("tf_file_free", rc);
}

static tf_atomic *begin_atomic(void) {
  tf_opts opts = TF_OPTS_INIT;
  tf_atomic *a;
  int rc = tf_atomic_begin(&a, g_target, &opts);
  if (rc < 0)
    die("tf_atomic_begin", rc);
  return a;
}

static FILE *atomic_stream(tf_atomic *a) {
  FILE *fp;
  int rc = tf_atomic_stream(a, &fp);
  if (rc < 0)
    die("tf_atomic_stream", rc);
  return fp;
}

static int atomic_fd(const tf_atomic *a) {
  int fd = tf_atomic_fd(a);
  if (fd < 0)
    die("tf_atomic_fd", fd);
  return fd;
}

/* Untimed: throw the replacement away, so the target is never made. */
static void abort_atomic(tf_atomic *a) {
  int rc = tf_atomic_abort(a);
  if (rc < 0)
    die("tf_atomic_abort", rc);
  rc = tf_atomic_free(a);
  if (rc < 0)
    die("tf_atomic_free", rc);
}

/* The floor of file-stream and atomic-stream: fdopen on a duplicate of
 * the handle's fd (the same open file, so the same offset), stdio's
 * default buffer. */
static FILE *fdopen_dup(int fd, const char *mode) {
  FILE *fp;
  int d = dup(fd);
  if (d < 0)
    die("dup", errno);
  fp = fdopen(d, mode);
  if (fp == NULL) {
    int err = errno;
    close(d);
    die("fdopen", err);
  }
  return fp;
}

/* Untimed: the 8 MB into fd, at offset 0 (the offset is left alone). */
static void fill_fd(int fd) {
  size_t done = 0;
  while (done < TOTAL) {
    ssize_t w = pwrite(fd, g_data + done, TOTAL - done, (off_t)done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      die("pwrite", w < 0 ? errno : EIO);
    done += (size_t)w;
  }
}

/* The floor's file: unnamed, in DIR, stdio's default buffer. */
static FILE *floor_file(void) {
  FILE *fp;
  int fd = openat(AT_FDCWD, g_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    die("openat O_TMPFILE", errno);
  fp = fdopen(fd, "w+");
  if (fp == NULL)
    die("fdopen", errno);
  return fp;
}

static void close_file(FILE *fp) {
  if (fclose(fp) != 0)
    die("fclose", errno);
}

/* Untimed: what a write pass left in the spool is the data. */
static void check_spool(tf_spool *s) {
  int64_t size = tf_spool_size(s), pos;
  size_t done = 0;
  if (size != (int64_t)TOTAL) {
    fprintf(stderr, "tfstream: the spool holds %lld bytes, not %lu\n",
            (long long)size, (unsigned long)TOTAL);
    exit(1);
  }
  check_rolled(s);
  pos = tf_spool_seek(s, 0, SEEK_SET);
  if (pos != 0)
    die("tf_spool_seek", pos < 0 ? (int)pos : EIO);
  while (done < TOTAL) {
    size_t want = TOTAL - done < BLOCK ? TOTAL - done : BLOCK;
    ssize_t r = tf_spool_read(s, g_block, want);
    if (r < 0)
      die("tf_spool_read", (int)r);
    if (r == 0)
      fail("the spool ends early");
    if (memcmp(g_block, g_data + done, (size_t)r) != 0)
      fail("the spool does not hold what was written");
    done += (size_t)r;
  }
}

/* Untimed: the same for a file, through an fd of it; what names it in
 * a message. */
static void check_fd(int fd, const char *what) {
  struct stat st;
  size_t done = 0;
  if (fstat(fd, &st) != 0)
    die("fstat", errno);
  if (st.st_size != (off_t)TOTAL) {
    fprintf(stderr, "tfstream: %s holds %lld bytes, not %lu\n", what,
            (long long)st.st_size, (unsigned long)TOTAL);
    exit(1);
  }
  while (done < TOTAL) {
    size_t want = TOTAL - done < BLOCK ? TOTAL - done : BLOCK;
    ssize_t r = pread(fd, g_block, want, (off_t)done);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      die("pread", errno);
    if (r == 0) {
      fprintf(stderr, "tfstream: %s ends early\n", what);
      exit(1);
    }
    if (memcmp(g_block, g_data + done, (size_t)r) != 0) {
      fprintf(stderr, "tfstream: %s does not hold what was written\n", what);
      exit(1);
    }
    done += (size_t)r;
  }
}

/* --------------------------------------------------- read and lines */

/* Once, before the warm-up (untimed): the data to read. */
static void setup_read(struct side *sd) {
  if (g_kind == TFFILE) {
    sd->file = new_file();
    fill_fd(file_fd(sd->file));
    if (sd->impl == FLOOR)
      sd->fp = fdopen_dup(file_fd(sd->file), "r+");
    return;
  }
  switch (sd->impl) {
  case LIB: {
    ssize_t w;
    int64_t pos;
    sd->spool = new_spool();
    w = tf_spool_write(sd->spool, g_data, TOTAL);
    if (w != (ssize_t)TOTAL)
      die("tf_spool_write", w < 0 ? (int)w : EIO);
    pos = tf_spool_seek(sd->spool, 0, SEEK_SET);
    if (pos != 0)
      die("tf_spool_seek", pos < 0 ? (int)pos : EIO);
    break;
  }
  case FLOOR:
    sd->fp = floor_file();
    if (fwrite(g_data, 1, TOTAL, sd->fp) != TOTAL || fflush(sd->fp) != 0)
      die("fwrite", errno);
    break;
  case MEMSTREAM:
    sd->fp = fmemopen(g_data, TOTAL, "r");
    if (sd->fp == NULL)
      die("fmemopen", errno);
    break;
  }
}

static void teardown_read(struct side *sd) {
  if (sd->impl == LIB && g_kind == SPOOL) {
    check_rolled(sd->spool);
    free_spool(sd->spool);
  } else if (sd->impl == LIB) {
    free_file(sd->file);
  } else {
    close_file(sd->fp);
    if (sd->file != NULL)
      free_file(sd->file);
  }
}

/* The stream to read, inside the timed region. */
static FILE *read_stream(struct side *sd) {
  if (sd->impl != LIB)
    return sd->fp;
  return g_kind == SPOOL ? spool_stream(sd->spool) : file_stream(sd->file);
}

static double pass_read(struct side *sd) {
  size_t got, total = 0, p;
  unsigned long long sum = 0;
  double t0 = now_ns(), t1;
  FILE *fp = read_stream(sd);
  rewind(fp);
  while ((got = fread(g_block, 1, BLOCK, fp)) > 0) {
    for (p = (total + SAMPLE - 1) / SAMPLE * SAMPLE; p < total + got;
         p += SAMPLE)
      sum += g_block[p - total];
    total += got;
  }
  t1 = now_ns();
  if (ferror(fp))
    die("fread", errno ? errno : EIO);
  if (total != TOTAL) {
    fprintf(stderr, "tfstream: read %lu bytes, not %lu\n",
            (unsigned long)total, (unsigned long)TOTAL);
    exit(1);
  }
  if (sum != g_want_sum)
    fail("the bytes read are not the data (checksum)");
  return t1 - t0;
}

static double pass_lines(struct side *sd) {
  char line[LINE_BUF];
  long count = 0, bad = 0;
  unsigned long long tenth = 0;
  double t0 = now_ns(), t1;
  FILE *fp = read_stream(sd);
  rewind(fp);
  memset(line, 0, sizeof(line));
  while (fgets(line, (int)sizeof(line), fp) != NULL) {
    /* Each line ends at its 80th byte: the mark is cleared, so a
     * shorter line cannot pass on the one before it. */
    bad += line[RECORD - 1] != '\n';
    line[RECORD - 1] = '\0';
    tenth += (unsigned char)line[9];
    count++;
  }
  t1 = now_ns();
  if (ferror(fp))
    die("fgets", errno ? errno : EIO);
  if (count != RECORDS) {
    fprintf(stderr, "tfstream: read %ld lines, not %ld\n", count, RECORDS);
    exit(1);
  }
  if (bad != 0 || tenth != g_want_tenth)
    fail("the lines read are not the data");
  return t1 - t0;
}

/* ----------------------------------------------------------- the writes */

static void write_records(FILE *fp) {
  long i;
  for (i = 0; i < RECORDS; i++)
    if (fwrite(g_data + (size_t)i * RECORD, 1, RECORD, fp) != RECORD)
      die("fwrite", errno ? errno : EIO);
}

static void putc_bytes(FILE *fp) {
  const unsigned char *d = (const unsigned char *)g_data;
  size_t i;
  for (i = 0; i < TOTAL; i++)
    if (fputc(d[i], fp) == EOF)
      die("fputc", errno ? errno : EIO);
}

static void printf_records(FILE *fp) {
  long i;
  for (i = 0; i < RECORDS; i++)
    if (fprintf(fp, "%08ld %s\n", i, g_text[i % TEXTS]) != RECORD)
      die("fprintf", errno ? errno : EIO);
}

static void write_pattern(FILE *fp) {
  switch (g_pattern) {
  case WRITE:
    write_records(fp);
    break;
  case PUTC:
    putc_bytes(fp);
    break;
  default:
    printf_records(fp);
    break;
  }
  if (fflush(fp) != 0)
    die("fflush", errno);
}

/* file-stream and atomic-stream: one pass of write, putc or printf, the
 * handle's stream (LIB) or fdopen of a dup of its fd (FLOOR). */
static double pass_write_handle(struct side *sd) {
  double t0, t1;
  FILE *fp = NULL;
  if (g_kind == TFFILE) {
    tf_file *f;
    t0 = now_ns();
    f = new_file();
    if (sd->impl == LIB)
      write_pattern(file_stream(f));
    else
      write_pattern(fp = fdopen_dup(file_fd(f), "r+"));
    t1 = now_ns();
    check_fd(file_fd(f), "the tf_file");
    if (fp != NULL)
      close_file(fp);
    free_file(f);
  } else {
    tf_atomic *a;
    t0 = now_ns();
    a = begin_atomic();
    if (sd->impl == LIB)
      write_pattern(atomic_stream(a));
    else
      write_pattern(fp = fdopen_dup(atomic_fd(a), "w"));
    t1 = now_ns();
    check_fd(atomic_fd(a), "the replacement");
    if (fp != NULL)
      close_file(fp);
    abort_atomic(a);
  }
  return t1 - t0;
}

/* One pass of write, putc or printf: create, write, flush (timed), then
 * check and end (untimed). */
static double pass_write(struct side *sd) {
  double t0, t1;
  if (g_kind != SPOOL)
    return pass_write_handle(sd);
  switch (sd->impl) {
  case LIB: {
    tf_spool *s;
    t0 = now_ns();
    s = new_spool();
    write_pattern(spool_stream(s));
    t1 = now_ns();
    check_spool(s);
    free_spool(s);
    break;
  }
  case FLOOR: {
    FILE *fp;
    t0 = now_ns();
    fp = floor_file();
    write_pattern(fp);
    t1 = now_ns();
    check_fd(fileno(fp), "the floor's file");
    close_file(fp);
    break;
  }
  default: {
    char *buf = NULL;
    size_t len = 0;
    FILE *fp;
    t0 = now_ns();
    fp = open_memstream(&buf, &len);
    if (fp == NULL)
      die("open_memstream", errno);
    write_pattern(fp);
    t1 = now_ns();
    if (len != TOTAL || memcmp(buf, g_data, TOTAL) != 0)
      fail("the memstream does not hold what was written");
    close_file(fp);
    free(buf);
    break;
  }
  }
  return t1 - t0;
}

/* ----------------------------------------------------------------- runs */

static void setup(struct side *sd) {
  if (g_pattern == READ || g_pattern == LINES)
    setup_read(sd);
}

static void teardown(struct side *sd) {
  if (g_pattern == READ || g_pattern == LINES)
    teardown_read(sd);
}

/* n passes; returns the time of their timed parts, per record. */
static double run(struct side *sd, long n) {
  double ns = 0;
  long k;
  for (k = 0; k < n; k++)
    switch (g_pattern) {
    case READ:
      ns += pass_read(sd);
      break;
    case LINES:
      ns += pass_lines(sd);
      break;
    default:
      ns += pass_write(sd);
      break;
    }
  return ns / ((double)n * (double)RECORDS);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof(*v), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void usage(void) {
  fprintf(stderr,
          "usage: tfstream WORKLOAD N DIR\n"
          "workloads: spool-stream-{read,lines,write,putc,printf}-{mem,rolled}"
          "[-floor|-paired], spool-stream-PATTERN-mem-memstream,\n"
          "  file-stream-{read,lines,write,putc,printf}[-floor|-paired],\n"
          "  atomic-stream-{write,putc,printf}[-floor|-paired]\n");
  exit(2);
}

/* Parse spool-stream-PATTERN-MODE[-floor|-memstream|-paired],
 * file-stream-PATTERN[-floor|-paired] or
 * atomic-stream-PATTERN[-floor|-paired] into the globals; *impl and
 * *paired get the suffix.  0, or -1 if it is none. */
static int parse_workload(const char *name, enum impl *impl, int *paired) {
  static const struct {
    const char *head;
    enum kind kind;
  } heads[] = {{"spool-stream-", SPOOL},
               {"file-stream-", TFFILE},
               {"atomic-stream-", ATOMIC}};
  const char *p = NULL, *rest;
  size_t k, len = 0;
  for (k = 0; k < sizeof(heads) / sizeof(heads[0]); k++)
    if (strncmp(name, heads[k].head, strlen(heads[k].head)) == 0) {
      g_kind = heads[k].kind;
      p = name + strlen(heads[k].head);
      break;
    }
  if (p == NULL)
    return -1;
  for (k = 0; k < sizeof(pattern_names) / sizeof(pattern_names[0]); k++) {
    len = strlen(pattern_names[k]);
    if (strncmp(p, pattern_names[k], len) == 0 &&
        (p[len] == '-' || (g_kind != SPOOL && p[len] == '\0')))
      break;
  }
  if (k == sizeof(pattern_names) / sizeof(pattern_names[0]))
    return -1;
  g_pattern = (enum pattern)k;
  if (g_kind == ATOMIC && (g_pattern == READ || g_pattern == LINES))
    return -1;
  g_rolled = 0;
  if (g_kind != SPOOL) {
    rest = p + len;
  } else {
    p += len + 1;
    if (strncmp(p, "mem", 3) == 0) {
      g_rolled = 0;
      rest = p + 3;
    } else if (strncmp(p, "rolled", 6) == 0) {
      g_rolled = 1;
      rest = p + 6;
    } else {
      return -1;
    }
  }
  *impl = LIB;
  *paired = 0;
  if (strcmp(rest, "-floor") == 0)
    *impl = FLOOR;
  else if (strcmp(rest, "-memstream") == 0 && g_kind == SPOOL && !g_rolled)
    *impl = MEMSTREAM;
  else if (strcmp(rest, "-paired") == 0)
    *paired = 1;
  else if (*rest != '\0')
    return -1;
  return 0;
}

/*
 * The workload and its floor alternately, the order swapped every pair:
 * on a machine whose speed drifts from one process to the next, the
 * median of the per-pair ratios is the comparison the drift cannot move.
 */
static void run_paired(const char *name, long n, int pairs) {
  struct side lib = {LIB, NULL, NULL, NULL}, flr = {FLOOR, NULL, NULL, NULL};
  double ratio[MAX_REPS], lib_ns[MAX_REPS], floor_ns[MAX_REPS];
  int p;
  setup(&lib);
  setup(&flr);
  run(&lib, n); /* warm-up: one untimed run of each */
  run(&flr, n);
  for (p = 0; p < pairs; p++) {
    if (p % 2 == 0) {
      lib_ns[p] = run(&lib, n);
      floor_ns[p] = run(&flr, n);
    } else {
      floor_ns[p] = run(&flr, n);
      lib_ns[p] = run(&lib, n);
    }
    ratio[p] = lib_ns[p] / floor_ns[p];
  }
  teardown(&lib);
  teardown(&flr);
  printf("%.*s-paired ratio %.3f lib %.2f floor %.2f pairs %d\n",
         (int)(strlen(name) - strlen("-paired")), name, median(ratio, pairs),
         median(lib_ns, pairs), median(floor_ns, pairs), pairs);
}

int main(int argc, char **argv) {
  struct side sd = {LIB, NULL, NULL, NULL};
  double per_op[MAX_REPS];
  const char *env;
  char *end;
  long n;
  int reps = DEFAULT_REPS, r, paired;
  struct stat st;

  if (argc != 4)
    usage();
  if (parse_workload(argv[1], &sd.impl, &paired) != 0) {
    fprintf(stderr, "tfstream: unknown workload '%s'\n", argv[1]);
    usage();
  }
  errno = 0;
  n = strtol(argv[2], &end, 10);
  if (errno != 0 || end == argv[2] || *end != '\0' || n < 1 || n > 100000L) {
    fprintf(stderr, "tfstream: N must be an integer from 1 to 100000\n");
    usage();
  }
  g_dir = argv[3];
  if (stat(g_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "tfstream: %s: not a directory\n", g_dir);
    exit(2);
  }
  env = getenv("TFBENCH_REPS");
  if (env != NULL && *env != '\0') {
    reps = atoi(env);
    if (reps < 1 || reps > MAX_REPS) {
      fprintf(stderr, "tfstream: TFBENCH_REPS must be 1 to %d\n", MAX_REPS);
      exit(2);
    }
  }
  g_target = xmalloc(strlen(g_dir) + sizeof("/target"));
  strcpy(g_target, g_dir);
  strcat(g_target, "/target");
  make_data();

  if (paired) {
    run_paired(argv[1], n, reps);
  } else {
    setup(&sd);
    run(&sd, n); /* warm-up: one untimed repetition */
    for (r = 0; r < reps; r++)
      per_op[r] = run(&sd, n);
    teardown(&sd);
    printf("%s libtempfile %.2f ns/op\n", argv[1], median(per_op, reps));
  }
  free(g_data);
  free(g_block);
  free(g_target);
  return 0;
}
