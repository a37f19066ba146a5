/* SPDX-License-Identifier: MIT */
/*
 * test_spool_diff.c - tf_spool against a plain file, step by step
 * (tests/spool_model.c): pseudo-random programs from fixed seeds for each
 * threshold, the fuzz corpus replayed, and scripted scenarios at the
 * places where spools go wrong (the exact threshold, writev rolling over
 * in the middle, the stream and the direct calls meeting across rollover,
 * the exposed fd, big sparse seeks, failures during rollover).
 *
 * A failing random program can be kept: set TF_SPOOL_MODEL_DUMP to a
 * file name and the program is written there (replay it with
 * build/fuzz/spool_fuzz FILE, or put it in fuzz/corpus/spool/).
 */
#include "harness.h"
#include "fault.h"
#include "spool_model.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>


/* Operations each threshold's random test runs in `make check` (8
 * thresholds: over 100,000 in all); divided under valgrind. */
#define RANDOM_OPS 14000

static char what[PATH_MAX]; /* the program being run, for the report */
static const unsigned char *dump_prog;
static size_t dump_len;

static void report_failure(const char *report) {
  const char *dump = getenv("TF_SPOOL_MODEL_DUMP");
  if (dump != NULL && dump_prog != NULL) {
    FILE *f = fopen(dump, "wb");
    if (f != NULL) {
      fwrite(dump_prog, 1, dump_len, f);
      fclose(f);
    }
  }
  FAIL("%s%s\n%s", what, dump_prog && !dump ? " (set TF_SPOOL_MODEL_DUMP=file "
                                               "to keep the program)" : "",
       report);
}

static struct spool_model_config config(void) {
  struct spool_model_config c;
  memset(&c, 0, sizeof(c));
  c.dir = tf_test_fast_dir();
  c.on_fail = report_failure;
  c.check_every = 24;
  c.trace = getenv("TF_SPOOL_MODEL_TRACE") != NULL;
  return c;
}

/* ---------------------------------------------------------- random */

static void run_random(unsigned threshold, uint64_t seed) {
  struct spool_model_config cfg = config();
  struct spool_model_stats st, sum;
  unsigned long wanted = (unsigned long)(RANDOM_OPS / tf_test_time_scale());
  unsigned long programs = 0;
  uint64_t rng = seed;
  char msg[64];
  memset(&sum, 0, sizeof(sum));
  while (sum.ops < wanted) {
    size_t ops = 100 + (size_t)((rng = rng * 6364136223846793005ull +
                                      1442695040888963407ull) >>
                                     33) % 900;
    size_t len = ops * 16;
    unsigned char *prog = malloc(len);
    uint64_t pseed = seed * 1000003u + programs;
    int i;
    ASSERT(prog != NULL);
    spool_model_random_program(prog, len, threshold, pseed);
    snprintf(what, sizeof(what),
             "random program %lu (seed %llu, %zu bytes, max_size %zu)",
             programs, (unsigned long long)pseed, len,
             spool_model_threshold[threshold]);
    dump_prog = prog;
    dump_len = len;
    cfg.max_ops = ops;
    ASSERT_EQ(spool_model_run(prog, len, &cfg, &st, msg, sizeof(msg)), 0);
    dump_prog = NULL;
    free(prog);
    sum.ops += st.ops;
    for (i = 0; i < 4; i++)
      sum.phase_ops[i] += st.phase_ops[i];
    sum.rolled += st.rolled;
    sum.exposed += st.exposed;
    sum.stream_ops += st.stream_ops;
    sum.fd_ops += st.fd_ops;
    sum.faults_fired += st.faults_fired;
    sum.checks += st.checks;
    programs++;
  }
  if (getenv("TF_SPOOL_MODEL_STATS"))
    fprintf(stderr,
            "    max_size %zu: %lu programs, %lu ops (memory %lu, disk %lu, "
            "exposed %lu, closed %lu), %lu rolled, %lu exposed, %lu stream, "
            "%lu fd, %lu faults, %lu checks\n",
            spool_model_threshold[threshold], programs, sum.ops,
            sum.phase_ops[0], sum.phase_ops[1], sum.phase_ops[2],
            sum.phase_ops[3], sum.rolled, sum.exposed, sum.stream_ops,
            sum.fd_ops, sum.faults_fired, sum.checks);
  /* The programs must reach every phase, or the test proves little (not
   * checked for the few programs of a slowed-down run). */
  ASSERT_GE(sum.ops, wanted);
  if (tf_test_time_scale() > 1.0)
    return;
  ASSERT_GT(sum.phase_ops[0], sum.ops / 100);
  ASSERT_GT(sum.phase_ops[1], sum.ops / 20);
  ASSERT_GT(sum.phase_ops[2], sum.ops / 50);
  ASSERT_GT(sum.stream_ops, sum.ops / 20);
  ASSERT_GT(sum.fd_ops, 0);
  ASSERT_GT(sum.faults_fired, 0);
}

TEST_TIMEOUT(test_spool_diff_random_max0, 60) { run_random(0, 1001); }
TEST_TIMEOUT(test_spool_diff_random_max1, 60) { run_random(1, 1002); }
TEST_TIMEOUT(test_spool_diff_random_max7, 60) { run_random(2, 1003); }
TEST_TIMEOUT(test_spool_diff_random_max4096, 60) { run_random(3, 1004); }
TEST_TIMEOUT(test_spool_diff_random_max65536, 60) { run_random(4, 1005); }
TEST_TIMEOUT(test_spool_diff_random_max1m, 60) { run_random(5, 1006); }
TEST_TIMEOUT(test_spool_diff_random_max12289, 60) { run_random(6, 1007); }
TEST_TIMEOUT(test_spool_diff_random_max70000, 60) { run_random(7, 1008); }

/* ------------------------------------------------------------ corpus */

#ifndef TF_SOURCE_DIR
#define TF_SOURCE_DIR "."
#endif

/* Every input the fuzzer kept (fuzz/corpus/spool/) replays cleanly. */
TEST_TIMEOUT(test_spool_diff_replays_the_fuzz_corpus, 60) {
  struct spool_model_config cfg = config();
  const char *src = getenv("TF_SOURCE_DIR");
  char path[PATH_MAX], msg[64];
  struct dirent *e;
  DIR *d;
  int files = 0;
  snprintf(path, sizeof(path), "%s/fuzz/corpus/spool",
           src != NULL && src[0] != '\0' ? src : TF_SOURCE_DIR);
  d = opendir(path);
  if (d == NULL)
    FAIL("%s: %s (set TF_SOURCE_DIR to the source tree)", path,
         strerror(errno));
  cfg.check_every = 16;
  cfg.max_ops = 3000; /* as the fuzzer runs them */
  while ((e = readdir(d)) != NULL) {
    char file[PATH_MAX + NAME_MAX + 2];
    unsigned char *prog;
    struct stat st;
    FILE *f;
    if (e->d_name[0] == '.')
      continue;
    snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
    CHECK_SYS(stat(file, &st));
    prog = malloc((size_t)st.st_size + 1);
    ASSERT(prog != NULL);
    f = fopen(file, "rb");
    ASSERT(f != NULL);
    ASSERT_EQ(fread(prog, 1, (size_t)st.st_size, f), st.st_size);
    fclose(f);
    snprintf(what, sizeof(what), "corpus file %s", e->d_name);
    dump_prog = NULL;
    ASSERT_EQ(spool_model_run(prog, (size_t)st.st_size, &cfg, NULL, msg,
                              sizeof(msg)),
              0);
    free(prog);
    files++;
  }
  closedir(d);
  ASSERT_GT(files, 0);
}

/* --------------------------------------------------------- scenarios */

static struct spool_model *model(size_t max) {
  struct spool_model_config cfg = config();
  struct spool_model *m;
  snprintf(what, sizeof(what), "scenario with max_size %zu", max);
  dump_prog = NULL;
  m = spool_model_open(max, 0, 4242 + max, &cfg);
  ASSERT(m != NULL);
  return m;
}

static void done(struct spool_model *m) { ASSERT_EQ(spool_model_close(m), 0); }

#define ROLLED(m) tf_spool_rolled(spool_model_spool(m))
#define MEMORY(m) tf__test_spool_memory(spool_model_spool(m))

static const size_t some_max[] = {1, 7, 4096, 12289, 65536, 70000,
                                  (size_t)1 << 20};
#define N_MAX (sizeof(some_max) / sizeof(some_max[0]))

/* Exactly max_size bytes stay in memory, however they get there; the
 * byte after rolls over, however it gets there. */
TEST_TIMEOUT(test_spool_diff_rollover_exactly_at_max_size, 60) {
  size_t i;
  for (i = 0; i < N_MAX; i++) {
    int64_t max = (int64_t)some_max[i];
    int64_t lens[3];
    struct spool_model *m = model((size_t)max);
    /* writes that end at max_size, then one byte more */
    spool_model_write(m, max / 3);
    spool_model_write(m, max / 3);
    spool_model_write(m, max - 2 * (max / 3));
    ASSERT_EQ(spool_model_pos(m), max);
    spool_model_write(m, 0);
    spool_model_truncate(m, max);
    spool_model_truncate(m, TF_SPOOL_HERE);
    spool_model_seek(m, 0, SEEK_SET);
    spool_model_write(m, max);
    spool_model_seek(m, -1, SEEK_END);
    spool_model_fputc(m, 'z');
    spool_model_check(m);
    ASSERT_EQ(ROLLED(m), 0);
    ASSERT_LE(MEMORY(m), max);
    spool_model_write(m, 1);
    ASSERT_EQ(ROLLED(m), 1);
    ASSERT_LE(MEMORY(m), 64 << 10);
    done(m);

    /* a seek past max_size rolls nothing, truncating there does */
    m = model((size_t)max);
    spool_model_write(m, max / 2);
    spool_model_seek(m, max + 1, SEEK_SET);
    spool_model_read(m, 10);
    spool_model_write(m, 0);
    ASSERT_EQ(ROLLED(m), 0);
    spool_model_truncate(m, TF_SPOOL_HERE);
    ASSERT_EQ(ROLLED(m), 1);
    ASSERT_EQ(spool_model_size(m), max + 1);
    done(m);

    /* truncating to max_size stays, to one more rolls */
    m = model((size_t)max);
    spool_model_truncate(m, max);
    ASSERT_EQ(ROLLED(m), 0);
    ASSERT_LE(MEMORY(m), max);
    spool_model_truncate(m, max + 1);
    ASSERT_EQ(ROLLED(m), 1);
    done(m);

    /* writev: rolls over at the buffer that crosses, and only then */
    m = model((size_t)max);
    lens[0] = max - 1;
    lens[1] = 1;
    lens[2] = 0;
    ASSERT_EQ(spool_model_writev(m, lens, 3), max);
    ASSERT_EQ(ROLLED(m), 0);
    spool_model_seek(m, 1, SEEK_SET);
    lens[0] = max - 1;
    lens[1] = 0;
    lens[2] = 1;
    ASSERT_EQ(spool_model_writev(m, lens, 3), max);
    ASSERT_EQ(ROLLED(m), 1);
    done(m);

    /* through the stream */
    m = model((size_t)max);
    spool_model_fwrite(m, max);
    spool_model_fseek(m, -1, SEEK_CUR);
    spool_model_fputc(m, 'q');
    ASSERT_EQ(ROLLED(m), 0);
    spool_model_fputc(m, 'r');
    ASSERT_EQ(ROLLED(m), 1);
    done(m);
  }
}

/* max_size 0: writes never roll over, any truncate to a size > 0 does. */
TEST_TIMEOUT(test_spool_diff_max_size_zero, 60) {
  int64_t lens[3] = {1 << 20, 1 << 20, 1 << 20};
  struct spool_model *m = model(0);
  spool_model_write(m, 3 << 20);
  spool_model_seek(m, 4 << 20, SEEK_SET);
  spool_model_write(m, 10);
  spool_model_seek(m, 0, SEEK_SET);
  spool_model_writev(m, lens, 3);
  spool_model_fwrite(m, 100000);
  spool_model_fprintf(m, 2, 20000);
  spool_model_truncate(m, TF_SPOOL_HERE);
  spool_model_truncate(m, 0);
  spool_model_write(m, 5000);
  spool_model_check(m);
  ASSERT_EQ(ROLLED(m), 0);
  spool_model_truncate(m, 1);
  ASSERT_EQ(ROLLED(m), 1);
  done(m);
}

/* CPython gh-127371: a writev that crosses max_size never holds more
 * than max_size in memory, even when the rollover fails in its middle;
 * the buffers before the failure are written, whole. */
TEST(test_spool_diff_writev_never_holds_more_than_max_size) {
  int64_t lens[3] = {3000, 3000, 3000};
  struct spool_model *m = model(4096);
  spool_model_fault(m, TF_SYS_openat, 1, EMFILE);
  ASSERT_EQ(spool_model_writev(m, lens, 3), 3000);
  ASSERT_EQ(ROLLED(m), 0);
  ASSERT_LE(MEMORY(m), 4096);
  spool_model_fault(m, TF_SYS_pwrite, 1, ENOSPC);
  ASSERT_EQ(spool_model_writev(m, lens, 2), -ENOSPC);
  ASSERT_EQ(ROLLED(m), 0);
  ASSERT_LE(MEMORY(m), 4096);
  ASSERT_EQ(spool_model_writev(m, lens, 3), 9000);
  ASSERT_EQ(ROLLED(m), 1);
  done(m);
}

/* The stream and the direct calls, unsynchronised (a burst skips the
 * model's tell and size checks, which flush the stream), across the
 * rollover and the exposure of the fd: stdio may serve a seek from its
 * one-byte buffer, and the next direct call must still find the right
 * position. */
TEST_TIMEOUT(test_spool_diff_stream_and_direct_calls_agree_across_rollover,
             60) {
  static const size_t maxes[] = {7, 4096, 70000};
  size_t i;
  for (i = 0; i < 3; i++) {
    int64_t max = (int64_t)maxes[i];
    struct spool_model *m = model(maxes[i]);
    spool_model_fprintf(m, 0, 12345);
    spool_model_burst(m, 1000);
    spool_model_fwrite(m, max / 2);
    spool_model_write(m, 3);
    spool_model_seek(m, 2, SEEK_SET);
    spool_model_getc(m);
    spool_model_fseek(m, 2, SEEK_SET);
    spool_model_write(m, 1);
    spool_model_getc(m);
    spool_model_fseek(m, -1, SEEK_CUR);
    spool_model_fputc(m, 'x');
    spool_model_read(m, 5);
    spool_model_getc(m);
    spool_model_fseek(m, 0, SEEK_CUR);
    spool_model_truncate(m, TF_SPOOL_HERE);
    spool_model_fwrite(m, max); /* rolls over through the stream */
    spool_model_fseek(m, 0, SEEK_SET);
    spool_model_fgets(m, 50);
    spool_model_getc(m);
    spool_model_fseek(m, 1, SEEK_SET);
    spool_model_read(m, 100);
    spool_model_ftell(m);
    spool_model_tell(m);
    spool_model_fseek(m, -3, SEEK_END);
    spool_model_fread(m, 100);
    spool_model_fread(m, 10);
    spool_model_write(m, 4);
    spool_model_fseek(m, -2, SEEK_CUR);
    spool_model_getc(m);
    /* ungetc: the stream holds a byte the spool has passed; every
     * direct call must take it back first */
    spool_model_seek(m, 1, SEEK_SET);
    spool_model_peek(m);
    spool_model_read(m, 3);
    spool_model_peek(m);
    spool_model_write(m, 2);
    spool_model_peek(m);
    spool_model_seek(m, 1, SEEK_CUR);
    spool_model_peek(m);
    spool_model_truncate(m, TF_SPOOL_HERE);
    spool_model_peek(m);
    spool_model_tell(m);
    spool_model_fd(m);
    spool_model_peek(m);
    spool_model_read(m, 3);
    spool_model_peek(m);
    spool_model_size_op(m);
    spool_model_peek(m);
    spool_model_fd_read(m, 2);
    spool_model_getc(m);
    spool_model_fseek(m, 0, SEEK_SET);
    spool_model_getc(m);
    spool_model_write(m, 2);
    spool_model_fwrite(m, 1000);
    spool_model_seek(m, 10, SEEK_SET);
    spool_model_fgets(m, 4000);
    spool_model_burst(m, 0);
    spool_model_check(m);
    ASSERT_EQ(ROLLED(m), 1);
    done(m);
  }
}

/* After tf_spool_fd(), calls on the fd and on the spool mix: the fd's
 * offset is the position, its size the size. */
TEST(test_spool_diff_exposed_fd_and_spool_calls_mix) {
  static const size_t maxes[] = {0, 4096};
  size_t i;
  for (i = 0; i < 2; i++) {
    struct spool_model *m = model(maxes[i]);
    spool_model_write(m, 5000);
    spool_model_seek(m, 100, SEEK_SET);
    ASSERT_OK(spool_model_fd(m));
    spool_model_fd_write(m, 50);
    spool_model_write(m, 10);
    spool_model_fd_read(m, 20);
    spool_model_read(m, 30);
    spool_model_fd_seek(m, -10, SEEK_END);
    spool_model_tell(m);
    spool_model_fd_truncate(m, 3000);
    spool_model_size_op(m);
    spool_model_read(m, 100);
    spool_model_fd_pwrite(m, 100, 100000);
    spool_model_size_op(m);
    spool_model_seek(m, 0, SEEK_END);
    spool_model_fwrite(m, 20);
    spool_model_fd_pread(m, 200, 99990);
    spool_model_fd_seek(m, 0, SEEK_SET);
    spool_model_fgets(m, 100);
    spool_model_truncate(m, TF_SPOOL_HERE);
    spool_model_truncate(m, 70000);
    spool_model_rollover(m);
    ASSERT_EQ(spool_model_fd(m), spool_model_fd(m));
    done(m);
  }
}

/* Seeks far past the end leave holes that read as zeros, in memory and
 * on disk; negative positions are -EINVAL and move nothing. */
TEST_TIMEOUT(test_spool_diff_big_sparse_seeks, 60) {
  static const size_t maxes[] = {0, 4096, (size_t)1 << 20};
  size_t i;
  for (i = 0; i < 3; i++) {
    struct spool_model *m = model(maxes[i]);
    spool_model_write(m, 100);
    spool_model_seek(m, 3 << 20, SEEK_SET);
    ASSERT_EQ(ROLLED(m), 0);
    spool_model_write(m, 10);
    ASSERT_EQ(ROLLED(m), maxes[i] != 0);
    ASSERT_EQ(spool_model_seek(m, -1, SEEK_SET), -EINVAL);
    ASSERT_EQ(spool_model_seek(m, -(4 << 20), SEEK_CUR), -EINVAL);
    ASSERT_EQ(spool_model_seek(m, -(4 << 20), SEEK_END), -EINVAL);
    ASSERT_EQ(spool_model_tell(m), (3 << 20) + 10);
    spool_model_seek(m, -5, SEEK_END);
    spool_model_read(m, 100);
    spool_model_seek(m, 1 << 20, SEEK_SET);
    spool_model_read(m, 70000);
    spool_model_seek(m, 2 << 20, SEEK_CUR);
    spool_model_read(m, 10);
    spool_model_truncate(m, 2 << 20);
    spool_model_seek(m, 0, SEEK_END);
    spool_model_write(m, 1);
    spool_model_seek(m, 4 << 20, SEEK_SET);
    spool_model_truncate(m, TF_SPOOL_HERE);
    spool_model_seek(m, 65536 * 3 - 7, SEEK_SET);
    spool_model_write(m, 14);
    spool_model_read(m, 65536 * 2);
    spool_model_check(m);
    done(m);
  }
}

/* A rollover that fails (no fd, no memory, no space: at each call it
 * makes) changes nothing, whichever call rolls over; the same call
 * then succeeds. */
TEST_TIMEOUT(test_spool_diff_failed_rollover_changes_nothing, 60) {
  static const struct {
    int id;
    int err;
    unsigned long nth;
  } faults[] = {{TF_SYS_malloc, ENOMEM, 1}, {TF_SYS_openat, EMFILE, 1},
                {TF_SYS_openat, ENOSPC, 1}, {TF_SYS_pwrite, ENOSPC, 1},
                {TF_SYS_pwrite, EIO, 2},    {TF_SYS_pwrite, ENOSPC, 4}};
  size_t f;
  int op;
  for (f = 0; f < sizeof(faults) / sizeof(faults[0]); f++) {
    for (op = 0; op < 7; op++) {
      int64_t lens[2] = {10, 20000};
      long long got = 0;
      struct spool_model *m = model(20000);
      int k;
      for (k = 0; k < 10; k++) /* in memory chunks of 4, 4, 8 and 3.5 KiB */
        spool_model_write(m, 1999);
      spool_model_truncate(m, 20000); /* the first buffer of the writev fits */
      spool_model_seek(m, op == 4 ? 19990 : op == 6 ? 20001 : 19995,
                       SEEK_SET);
      spool_model_fault(m, faults[f].id, faults[f].nth, faults[f].err);
      switch (op) {
      case 0:
        got = spool_model_write(m, 6);
        break;
      case 1:
        got = spool_model_truncate(m, TF_SPOOL_HERE + 20002);
        break;
      case 2:
        got = spool_model_rollover(m);
        break;
      case 3:
        got = spool_model_fd(m);
        break;
      case 4:
        got = spool_model_writev(m, lens, 2) == 10 ? -1 : 0;
        break;
      case 5:
        got = spool_model_fwrite(m, 6) == 0 ? -1 : 0;
        break;
      default:
        got = spool_model_truncate(m, TF_SPOOL_HERE);
        break;
      }
      if (spool_model_stats(m)->faults_fired == 0 || got >= 0)
        FAIL("fault %zu, step %d: %lld (%lu faults fired)", f, op, got,
             spool_model_stats(m)->faults_fired);
      ASSERT_EQ(ROLLED(m), 0);
      ASSERT_LE(MEMORY(m), 20000);
      spool_model_check(m);
      spool_model_rollover(m);
      ASSERT_EQ(ROLLED(m), 1);
      done(m);
    }
  }
}

/* An interrupted read or write is retried, in every phase. */
TEST(test_spool_diff_eintr_is_never_seen) {
  static const int ids[] = {TF_SYS_pwrite, TF_SYS_pread, TF_SYS_write,
                            TF_SYS_read};
  size_t i;
  for (i = 0; i < 4; i++) {
    struct spool_model *m = model(4096);
    spool_model_write(m, 3000);
    spool_model_fault(m, ids[i], 1, EINTR);
    spool_model_write(m, 3000); /* rollover: the copy */
    spool_model_fault(m, ids[i], 1, EINTR);
    spool_model_write(m, 70000); /* direct */
    spool_model_seek(m, 10, SEEK_SET);
    spool_model_fault(m, ids[i], 1, EINTR);
    spool_model_read(m, 100); /* read-ahead */
    spool_model_fault(m, ids[i], 1, EINTR);
    spool_model_read(m, 100000); /* direct */
    spool_model_write(m, 10);
    spool_model_fault(m, ids[i], 1, EINTR);
    spool_model_flush(m);
    spool_model_fd(m);
    spool_model_fault(m, ids[i], 1, EINTR);
    spool_model_write(m, 100);
    spool_model_seek(m, 0, SEEK_SET);
    spool_model_fault(m, ids[i], 1, EINTR);
    spool_model_read(m, 100);
    spool_model_fault(m, ids[i], 1, EINTR);
    spool_model_fwrite(m, 100);
    spool_model_fault(m, ids[i], 1, EINTR);
    spool_model_fread(m, 100);
    ASSERT_GT(spool_model_stats(m)->faults_fired, 0);
    done(m);
  }
}

/* When the write-back keeps failing (a full disk), every byte accepted
 * stays readable: reads lay the buffer over the file. */
TEST(test_spool_diff_reads_see_accepted_bytes_while_write_back_fails) {
  struct spool_model *m = model(100);
  spool_model_rollover(m);
  spool_model_write(m, 5000);
  spool_model_seek(m, 70000, SEEK_SET);
  spool_model_write(m, 300); /* a hole: written through at once */
  spool_model_seek(m, 5000, SEEK_SET);
  spool_model_write(m, 100); /* dirty, before the file's end */
  spool_model_seek(m, 10, SEEK_SET);
  spool_model_fault(m, TF_SYS_pwrite, 1, ENOSPC);
  spool_model_read(m, 100);
  spool_model_seek(m, 69990, SEEK_SET);
  spool_model_fault(m, TF_SYS_pwrite, 1, ENOSPC);
  spool_model_read(m, 100);
  spool_model_seek(m, 0, SEEK_SET);
  spool_model_read(m, 80000);
  spool_model_truncate(m, 70100);
  spool_model_seek(m, 70050, SEEK_SET);
  spool_model_fault(m, TF_SYS_pwrite, 1, ENOSPC);
  spool_model_read(m, 100);
  spool_model_truncate(m, 70200);
  spool_model_seek(m, 70000, SEEK_SET);
  spool_model_read(m, 300);
  spool_model_write(m, 7);
  spool_model_fault(m, TF_SYS_pwrite, 1, ENOSPC);
  ASSERT_LT(spool_model_fd(m), 0);
  spool_model_fault(m, TF_SYS_pwrite, 1, ENOSPC);
  ASSERT_EQ(spool_model_flush(m), -ENOSPC);
  spool_model_check(m);
  ASSERT_OK(spool_model_fd(m));
  ASSERT_GE(spool_model_stats(m)->faults_fired, 4);
  done(m);
}

/* A closed spool answers -EBADF to everything and holds nothing. */
TEST(test_spool_diff_closed_spool_is_ebadf) {
  int64_t lens[1] = {5};
  struct spool_model *m = model(4096);
  spool_model_fwrite(m, 5000);
  ASSERT_EQ(spool_model_close_op(m), 0);
  ASSERT_EQ(spool_model_write(m, 5), -EBADF);
  ASSERT_EQ(spool_model_writev(m, lens, 1), -EBADF);
  ASSERT_EQ(spool_model_read(m, 5), -EBADF);
  ASSERT_EQ(spool_model_seek(m, 0, SEEK_SET), -EBADF);
  ASSERT_EQ(spool_model_tell(m), -EBADF);
  ASSERT_EQ(spool_model_truncate(m, 0), -EBADF);
  ASSERT_EQ(spool_model_flush(m), -EBADF);
  ASSERT_EQ(spool_model_size_op(m), -EBADF);
  ASSERT_EQ(spool_model_rollover(m), -EBADF);
  ASSERT_EQ(spool_model_fd(m), -EBADF);
  ASSERT_EQ(spool_model_fwrite(m, 5), -EBADF);
  ASSERT_EQ(spool_model_close_op(m), 0);
  ASSERT_EQ(MEMORY(m), 0);
  done(m);
}

/* Huge positions on disk (a PiB, and next to INT64_MAX), on a disk file
 * system (the test directory; ext4 stops at 16 TiB) and on a tmpfs (which
 * takes any int64_t): a plain file refuses a write it cannot hold
 * (EFBIG), and tf_spool_write() documents -EFBIG; a spool must either
 * refuse it too or keep the bytes it accepted -- never accept bytes that
 * no flush can ever write, leaving tf_spool_fd() failing for good -- and
 * all without signed overflow (the buffer's arithmetic near INT64_MAX:
 * `make asan` catches it). */
TEST(test_spool_diff_huge_positions_on_disk) {
  static const int64_t at_of[] = {(int64_t)1 << 50, INT64_MAX - 70000,
                                  INT64_MAX - 10};
  size_t i, d;
  for (d = 0; d < 2; d++) {
    for (i = 0; i < 3; i++) {
      tf_spool *s;
      tf_opts o = TF_OPTS_INIT;
      char buf[8] = "abcde";
      int64_t at = at_of[i];
      ssize_t w;
      o.dir = d == 0 ? tf_test_dir() : tf_test_fast_dir();
      ASSERT_OK(tf_spool_create(&s, 0, &o));
      ASSERT_OK(tf_spool_rollover(s));
      ASSERT_EQ(tf_spool_seek(s, at, SEEK_SET), at);
      w = tf_spool_write(s, buf, 5);
      if (w >= 0) {
        int k;
        ASSERT_EQ(w, 5);
        /* next to it, then over it and next to that: one buffer */
        ASSERT_EQ(tf_spool_write(s, "f", 1), 1);
        ASSERT_EQ(tf_spool_seek(s, at + 1, SEEK_SET), at + 1);
        for (k = 0; k < 3; k++)
          ASSERT_EQ(tf_spool_write(s, "B", 1), 1);
        if (tf_spool_flush(s) != 0)
          FAIL("in %s, a write at %lld accepted 5 bytes; tf_spool_flush: %s",
               o.dir, (long long)at, tf_err_name((int)tf_spool_flush(s)));
        ASSERT_EQ(tf_spool_seek(s, at, SEEK_SET), at);
        memset(buf, 0, sizeof(buf));
        ASSERT_EQ(tf_spool_read(s, buf, 8), 6);
        ASSERT(memcmp(buf, "aBBBef", 6) == 0);
        ASSERT_OK(tf_spool_fd(s));
      } else {
        ASSERT(w == -EFBIG || w == -EINVAL);
        ASSERT_EQ(tf_spool_size(s), 0);
        ASSERT_OK(tf_spool_flush(s));
        ASSERT_EQ(tf_spool_seek(s, 0, SEEK_SET), 0); /* nothing is stuck */
        ASSERT_OK(tf_spool_fd(s));
      }
      ASSERT_OK(tf_spool_free(s));
    }
  }
}
