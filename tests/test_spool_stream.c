/* SPDX-License-Identifier: MIT */
/*
 * test_spool_stream.c - the spool's buffered stream loses nothing stdio
 * reported written: a rollover that fails while the stream's buffer is
 * flushed (a missing directory, every step of the rollover failed in
 * turn), a disk that fills after rollover (a real full tmpfs and an
 * injected write failure), an exposed fd whose write fails.  The bytes
 * are kept, readable, and placed by a later call; the error is reported
 * by the stream.  A caller's large fwrite() that fails is reported short
 * and writes nothing it did not count.
 */
#include "harness.h"
#include "fault.h"
#include "spool.h" /* STREAM_BUF, the stream's buffer */

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC 80

static unsigned char g_model[1 << 20];

static void fill_model(unsigned seed) {
  size_t i;
  for (i = 0; i < sizeof(g_model); i++)
    g_model[i] = (unsigned char)(seed * 13u + i * 7u + (i >> 9));
}

/* A spool that rolls over into dir past max_size, and its stream. */
static tf_spool *spool_in(const char *dir, size_t max_size, FILE **fp) {
  tf_spool *s = NULL;
  tf_opts o = TF_OPTS_INIT;
  o.dir = dir;
  ASSERT_OK(tf_spool_create(&s, max_size, &o));
  ASSERT_OK(tf_spool_stream(s, fp));
  return s;
}

/* The spool holds exactly g_model[0, len): through direct calls, then
 * through the stream (from the start); the position is left at the end. */
static void assert_holds(tf_spool *s, size_t len) {
  static unsigned char back[sizeof(g_model) + 1];
  FILE *fp;
  size_t got;
  ASSERT_EQ(tf_spool_size(s), len);
  ASSERT_EQ(tf_spool_seek(s, 0, SEEK_SET), 0);
  ASSERT_EQ(tf_spool_read(s, back, len + 1), len);
  ASSERT(memcmp(back, g_model, len) == 0);
  ASSERT_OK(tf_spool_stream(s, &fp));
  ASSERT_EQ(fseeko(fp, 0, SEEK_SET), 0);
  memset(back, 0, len);
  got = fread(back, 1, len + 1, fp);
  ASSERT_EQ(got, len);
  ASSERT(memcmp(back, g_model, len) == 0);
  clearerr(fp);
}

/* Write g_model[from, to) through the stream in records until a call
 * fails; returns the bytes the calls reported written (from + ...). */
static size_t stream_until_error(FILE *fp, size_t from, size_t to,
                                 int *err) {
  size_t at = from;
  *err = 0;
  while (at < to) {
    size_t n = to - at < REC ? to - at : REC;
    size_t w;
    errno = 0;
    w = fwrite(g_model + at, 1, n, fp);
    at += w;
    if (w < n) {
      *err = errno;
      return at;
    }
  }
  errno = 0;
  if (fflush(fp) != 0)
    *err = errno;
  return at;
}

/* The rollover's directory is missing: every flush past max_size fails
 * with ENOENT, in the middle of an fwrite() once the buffer is full.
 * Every byte reported written is in the spool, in memory, and the stream
 * says why; once the directory exists the next flush rolls over. */
TEST(test_spool_stream_rollover_failing_mid_fwrite_keeps_accepted_bytes) {
  char dir[PATH_MAX];
  tf_spool *s = NULL;
  FILE *fp;
  size_t accepted;
  int err;
  fill_model(1);
  snprintf(dir, sizeof(dir), "%s/not-yet", tf_test_fast_dir());
  s = spool_in(dir, 4096, &fp);
  accepted = stream_until_error(fp, 0, 300000, &err);
  ASSERT_EQ(err, ENOENT);
  ASSERT(ferror(fp));
  /* The buffer was full (musl keeps 8 of its bytes for ungetc and
   * takes whole records only). */
  ASSERT_GE(accepted, STREAM_BUF - 8 - REC);
  ASSERT(accepted < 300000);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  assert_holds(s, accepted); /* in memory, past max_size */
  ASSERT_ERR(tf_spool_rollover(s), -ENOENT);
  CHECK_SYS(mkdir(dir, 0700));
  accepted = stream_until_error(fp, accepted, 300000, &err);
  ASSERT_EQ(err, 0);
  ASSERT_EQ(accepted, 300000);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  assert_holds(s, 300000);
  ASSERT_OK(tf_spool_free(s));
  CHECK_SYS(rmdir(dir));
}

/* Each call and allocation of the rollover made by a stream flush fails
 * in turn: the flush reports it, nothing is lost or leaked, the next
 * flush rolls over. */
static void sweep_stream_rollover(int err) {
  unsigned long nth;
  int failures = 0;
  fill_model(2);
  for (nth = 1; nth < 100; nth++) {
    tf_spool *s = NULL;
    FILE *fp;
    size_t accepted;
    int got, fired_id;
    s = spool_in(tf_test_fast_dir(), 4096, &fp);
    ASSERT_EQ(fwrite(g_model, 1, 5000, fp), 5000); /* buffered */
    tf__fault_arm(TF_SYS_ANY, nth, err);
    errno = 0;
    got = fflush(fp);
    fired_id = tf__fault_fired_id();
    if (!tf__fault_fired()) {
      tf__fault_disarm();
      ASSERT_EQ(got, 0);
      ASSERT_EQ(tf_spool_rolled(s), 1);
      assert_holds(s, 5000);
      ASSERT_OK(tf_spool_free(s));
      break;
    }
    tf__fault_disarm();
    if (err == EINTR) { /* retried, never seen */
      ASSERT_EQ(got, 0);
      ASSERT_EQ(tf_spool_rolled(s), 1);
    } else if (got != 0) {
      failures++;
      /* (a failed allocation is ENOMEM whatever errno it was given) */
      ASSERT_EQ(errno, fired_id == TF_SYS_malloc ? ENOMEM : err);
      ASSERT(ferror(fp));
      ASSERT_EQ(tf_spool_rolled(s), 0); /* kept in memory */
      clearerr(fp);
    }
    assert_holds(s, 5000);
    /* The next flush past max_size tries again. */
    accepted = stream_until_error(fp, 5000, 6000, &got);
    ASSERT_EQ(got, 0);
    ASSERT_EQ(accepted, 6000);
    ASSERT_EQ(tf_spool_rolled(s), 1);
    assert_holds(s, 6000);
    ASSERT_OK(tf_spool_free(s));
  }
  ASSERT(nth < 100);
  if (err != EINTR)
    ASSERT_GE(failures, 3); /* openat, a pwrite, an allocation at least */
  ASSERT_EQ(tf_test_count_entries(tf_test_fast_dir()), 0);
}

TEST(test_spool_stream_rollover_fault_sweep_enospc) {
  sweep_stream_rollover(ENOSPC);
}
TEST(test_spool_stream_rollover_fault_sweep_enomem) {
  sweep_stream_rollover(ENOMEM);
}
TEST(test_spool_stream_rollover_fault_sweep_eintr) {
  sweep_stream_rollover(EINTR);
}

/* On disk, every write-back fails (sticky): stream flushes keep their
 * bytes pending, laid over the file for every read, and direct writes
 * fail until the disk works again; then a flush places them all. */
TEST(test_spool_stream_failing_disk_keeps_pending_bytes_readable) {
  tf_spool *s = NULL;
  FILE *fp;
  size_t accepted;
  int err;
  fill_model(3);
  s = spool_in(tf_test_fast_dir(), 1000, &fp);
  ASSERT_EQ(tf_spool_write(s, g_model, 2000), 2000);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  tf__fault_arm_sticky(TF_SYS_pwrite, 1, ENOSPC);
  accepted = stream_until_error(fp, 2000, 400000, &err);
  ASSERT_EQ(err, ENOSPC);
  ASSERT_GE(accepted, 64 << 10);
  clearerr(fp);
  assert_holds(s, accepted);
  /* Reads in the middle see them too, through both (the dirty buffer
   * that could not be written back held [0, 2000)). */
  ASSERT_EQ(tf_spool_seek(s, 30000, SEEK_SET), 30000);
  {
    unsigned char b[100];
    ASSERT_EQ(tf_spool_read(s, b, 100), 100);
    ASSERT(memcmp(b, g_model + 30000, 100) == 0);
    ASSERT_EQ(fread(b, 1, 100, fp), 100);
    ASSERT(memcmp(b, g_model + 30100, 100) == 0);
  }
  ASSERT_ERR(tf_spool_write(s, g_model, 10), -ENOSPC);
  ASSERT_ERR(tf_spool_flush(s), -ENOSPC);
  tf__fault_disarm();
  ASSERT_OK(tf_spool_flush(s));
  assert_holds(s, accepted);
  accepted = stream_until_error(fp, accepted, 400000, &err);
  ASSERT_EQ(err, 0);
  assert_holds(s, 400000);
  ASSERT_OK(tf_spool_free(s));
}

/* The same on a real full tmpfs, where a truncate makes room. */
static void stream_fills_small_disk(void) {
  tf_spool *s = NULL;
  FILE *fp;
  size_t accepted;
  int err;
  fill_model(4);
  if (mount("tmpfs", "small", "tmpfs", 0, "size=256k,mode=0700") != 0)
    FAIL("mount tmpfs: %s", strerror(errno));
  s = spool_in("small", 4096, &fp);
  accepted = stream_until_error(fp, 0, sizeof(g_model), &err);
  ASSERT_EQ(err, ENOSPC);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_GE(accepted, 256 << 10);
  clearerr(fp);
  assert_holds(s, accepted);
  ASSERT_EQ(tf_spool_truncate(s, 64 << 10), 64 << 10);
  ASSERT_OK(tf_spool_flush(s));
  assert_holds(s, 64 << 10);
  accepted = stream_until_error(fp, 64 << 10, 100 << 10, &err);
  ASSERT_EQ(err, 0);
  assert_holds(s, 100 << 10);
  ASSERT_OK(tf_spool_free(s));
  ASSERT_EQ(tf_test_count_entries("small"), 0);
}

static void with_small_dir(void *fn) {
  CHECK_SYS(mkdir("small", 0700));
  ((void (*)(void))fn)();
  CHECK_SYS(umount("small"));
  CHECK_SYS(rmdir("small"));
}

TEST(test_spool_stream_full_tmpfs_loses_nothing_accepted) {
  tf_test_skip_unless_mount_ns();
  ASSERT_EQ(tf_test_run_in_mount_ns(with_small_dir,
                                    (void *)stream_fills_small_disk),
            0);
}

/* A caller's own bytes that stdio passes straight through (an fwrite()
 * larger than its buffer) fail as write(2) would: a short count, and
 * none of the bytes it did not count is written. */
TEST(test_spool_stream_large_fwrite_failing_is_short_and_exact) {
  tf_spool *s = NULL;
  FILE *fp;
  size_t w;
  fill_model(5);
  s = spool_in(tf_test_fast_dir(), 1000, &fp);
  ASSERT_EQ(tf_spool_rollover(s), 0);
  ASSERT_EQ(fwrite(g_model, 1, 100, fp), 100);
  tf__fault_arm_sticky(TF_SYS_pwrite, 1, EIO);
  errno = 0;
  /* The buffer goes to the spool (no write-back yet) and the rest
   * straight to the file, which fails.  glibc first fills the buffer
   * from the request (and counts that part), musl sends the whole
   * request straight through. */
  w = fwrite(g_model + 100, 1, 512 << 10, fp);
  if (w != 0)
    ASSERT_EQ(w, STREAM_BUF - 100);
  ASSERT_EQ(errno, EIO);
  tf__fault_disarm();
  clearerr(fp);
  ASSERT_OK(tf_spool_flush(s));
  assert_holds(s, 100 + w);
  ASSERT_OK(tf_spool_free(s));
}

/* Exposed (tf_spool_fd()), the stream writes to the fd; a failing write
 * keeps the bytes, calls that need them fail, and they land later. */
TEST(test_spool_stream_exposed_write_failure_keeps_bytes) {
  tf_spool *s = NULL;
  FILE *fp;
  char b[8];
  int fd;
  fill_model(6);
  s = spool_in(tf_test_fast_dir(), 100, &fp);
  fd = tf_spool_fd(s);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fwrite(g_model, 1, 3000, fp), 3000);
  tf__fault_arm_sticky(TF_SYS_write, 1, ENOSPC);
  errno = 0;
  ASSERT_EQ(fflush(fp), EOF);
  ASSERT_EQ(errno, ENOSPC);
  tf__fault_disarm();
  clearerr(fp);
  ASSERT_EQ(lseek(fd, 0, SEEK_CUR), 3000); /* past the kept bytes */
  /* They are placed with pwrite(), which fails now. */
  tf__fault_arm_sticky(TF_SYS_pwrite, 1, ENOSPC);
  ASSERT_ERR(tf_spool_read(s, b, sizeof(b)), -ENOSPC);
  ASSERT_ERR(tf_spool_size(s), -ENOSPC);
  tf__fault_disarm();
  ASSERT_EQ(tf_spool_size(s), 3000);
  assert_holds(s, 3000);
  ASSERT_EQ(lseek(fd, 0, SEEK_CUR), 3000);
  ASSERT_OK(tf_spool_free(s));
}

/* tf_spool_close() with bytes still pending releases them: nothing leaks. */
TEST(test_spool_stream_close_with_pending_bytes_leaks_nothing) {
  tf_spool *s = NULL;
  FILE *fp;
  long mem = tf__alloc_outstanding();
  fill_model(7);
  s = spool_in(tf_test_fast_dir(), 10, &fp);
  ASSERT_OK(tf_spool_rollover(s));
  ASSERT_EQ(fwrite(g_model, 1, 1000, fp), 1000);
  ASSERT_EQ(fflush(fp), 0); /* dirty in the spool's buffer */
  ASSERT_EQ(fseeko(fp, 200000, SEEK_SET), 0);
  ASSERT_EQ(fwrite(g_model, 1, 1000, fp), 1000);
  tf__fault_arm_sticky(TF_SYS_pwrite, 1, ENOSPC);
  ASSERT_EQ(fflush(fp), EOF); /* the write-back fails: kept pending */
  ASSERT_OK(tf_spool_free(s));
  tf__fault_disarm();
  ASSERT_EQ(tf__alloc_outstanding(), mem);
}

/* Closing a spool whose stream holds bytes past max_size does not roll
 * over to store what is about to go. */
TEST(test_spool_stream_close_does_not_roll_over_for_buffered_bytes) {
  tf_spool *s = NULL;
  FILE *fp;
  fill_model(8);
  s = spool_in(tf_test_fast_dir(), 100, &fp);
  ASSERT_EQ(fwrite(g_model, 1, 5000, fp), 5000);
  /* A rollover would allocate its buffer first, then open the file. */
  tf__fault_arm_sticky(TF_SYS_malloc, 1, ENOMEM);
  ASSERT_OK(tf_spool_close(s));
  ASSERT(!tf__fault_fired());
  tf__fault_disarm();
  tf__fault_arm_sticky(TF_SYS_openat, 1, EIO);
  ASSERT_OK(tf_spool_close(s)); /* (closed: nothing to do) */
  ASSERT(!tf__fault_fired());
  tf__fault_disarm();
  ASSERT_OK(tf_spool_free(s));
}
