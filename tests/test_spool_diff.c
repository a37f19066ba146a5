/* SPDX-License-Identifier: MIT */
/*
 * test_spool_diff.c - tf_spool against a plain file, step by step
 * (tests/spool_model.c): pseudo-random programs from fixed seeds for each
 * threshold, the fuzz corpus replayed, and scripted scenarios at the
 * places where spools go wrong (the exact threshold, writev rolling over
 * in the middle, the stream and the direct calls meeting across rollover,
 * the exposed fd, big sparse seeks, failures during rollover, and the
 * buffered stream's flushes failing: a rollover of the bytes it had
 * accepted, a full disk, write(2) once exposed).
 *
 * A failing random program can be kept: set TF_SPOOL_MODEL_DUMP to a
 * file name and the program is written there (replay it with
 * build/fuzz/spool_fuzz FILE, or put it in fuzz/corpus/spool/).
 */
#include "harness.h"
#include "fault.h"
#include "spool.h" /* STREAM_BUF, DISK_BUF */
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
    sum.flush_faults += st.flush_faults;
    sum.checks += st.checks;
    programs++;
  }
  if (getenv("TF_SPOOL_MODEL_STATS"))
    fprintf(stderr,
            "    max_size %zu: %lu programs, %lu ops (memory %lu, disk %lu, "
            "exposed %lu, closed %lu), %lu rolled, %lu exposed, %lu stream, "
            "%lu fd, %lu faults (%lu in a stream's flush), %lu checks\n",
            spool_model_threshold[threshold], programs, sum.ops,
            sum.phase_ops[0], sum.phase_ops[1], sum.phase_ops[2],
            sum.phase_ops[3], sum.rolled, sum.exposed, sum.stream_ops,
            sum.fd_ops, sum.faults_fired, sum.flush_faults, sum.checks);
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
  ASSERT_GT(sum.flush_faults, 0);
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

/* (tf_spool_rolled() flushes the stream: the model must see it) */
#define ROLLED(m) spool_model_rolled(m)
#define MEMORY(m) tf__test_spool_memory(spool_model_spool(m))
/* The memory for data: less the stream's buffer, once it has one. */
#define DATA_MEMORY(m) (MEMORY(m) - STREAM_BUF)

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
    ASSERT_LE(DATA_MEMORY(m), max); /* the stream's buffer besides */
    spool_model_write(m, 1);
    ASSERT_EQ(ROLLED(m), 1);
    ASSERT_LE(DATA_MEMORY(m), DISK_BUF);
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

    /* through the stream (each step's checks flush it) */
    m = model((size_t)max);
    spool_model_fwrite(m, max);
    spool_model_fseek(m, -1, SEEK_CUR);
    spool_model_fputc(m, 'q');
    ASSERT_EQ(ROLLED(m), 0);
    spool_model_fputc(m, 'r');
    ASSERT_EQ(ROLLED(m), 1);
    done(m);

    /* through the stream's buffer: the rollover comes when the stream
     * gives the spool the byte past max_size (its buffer full, a flush,
     * a direct call), not at the fwrite */
    m = model((size_t)max);
    spool_model_burst(m, 3);
    spool_model_fwrite(m, max);
    spool_model_fputc(m, 'q');
    if (max < (int64_t)STREAM_BUF) { /* all in the stream's buffer */
      ASSERT_EQ(spool_model_stream_held(m), max + 1);
      ASSERT_EQ(MEMORY(m), STREAM_BUF); /* no data, no file's buffer */
    }
    ASSERT_EQ(spool_model_fflush(m), 0);
    ASSERT_EQ(ROLLED(m), 1);
    done(m);
    m = model((size_t)max);
    spool_model_burst(m, 2);
    spool_model_fwrite(m, max - 1);
    spool_model_fputc(m, 'q');
    spool_model_tell(m); /* flushes exactly max_size bytes */
    ASSERT_EQ(ROLLED(m), 0);
    spool_model_burst(m, 1);
    spool_model_fputc(m, 'r');
    spool_model_read(m, 10); /* its flush rolls over */
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
 * makes) changes nothing, whichever call rolls over (a direct one, or a
 * large fwrite that stdio passes straight through); the same call then
 * succeeds.  (Bytes the stream's buffer had accepted are another matter:
 * test_spool_diff_stream_rollover_fails_while_the_buffer_fills.) */
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
      case 5: /* a buffer's worth from a new stream: stdio passes it
                 straight through, a write like tf_spool_write()'s */
        got = spool_model_fwrite(m, STREAM_BUF) == 0 ? -1 : 0;
        break;
      default:
        got = spool_model_truncate(m, TF_SPOOL_HERE);
        break;
      }
      if (spool_model_stats(m)->faults_fired == 0 || got >= 0)
        FAIL("fault %zu, step %d: %lld (%lu faults fired)", f, op, got,
             spool_model_stats(m)->faults_fired);
      ASSERT_EQ(ROLLED(m), 0);
      ASSERT_LE(op == 5 ? DATA_MEMORY(m) : MEMORY(m), 20000);
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

/* The stream's buffer fills in the middle of an fwrite and its bytes,
 * which cross max_size, reach the spool; the rollover they call for
 * fails (no space for the file, then no space for the copy).  stdio has
 * counted them: they stay in memory, past max_size, the fwrite returns
 * the short count of what it took (the reference follows: the model
 * checks it), its error indicator is set.  Direct reads and the stream
 * see every byte; the next write past max_size rolls over. */
TEST_TIMEOUT(test_spool_diff_stream_rollover_fails_while_the_buffer_fills,
             60) {
  static const struct {
    int id;
    unsigned long nth;
  } faults[] = {{TF_SYS_openat, 1}, {TF_SYS_pwrite, 1}, {TF_SYS_pwrite, 2}};
  static const size_t maxes[] = {1, 4096, 70000, 200000};
  size_t f, i;
  int retry;
  for (f = 0; f < sizeof(faults) / sizeof(faults[0]); f++) {
    for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
      for (retry = 0; retry < 2; retry++) {
        /* the buffer's bytes cross max_size (and the memory is in two
         * chunks at least) */
        int64_t max = (int64_t)maxes[i], pre = max > 10 ? max - 10 : max;
        int64_t size;
        long long got;
        struct spool_model *m = model(maxes[i]);
        spool_model_write(m, pre);
        spool_model_burst(m, 1);
        spool_model_fwrite(m, STREAM_BUF / 2); /* held by stdio */
        ASSERT_EQ(spool_model_stream_held(m), STREAM_BUF / 2);
        spool_model_fault(m, faults[f].id, faults[f].nth, ENOSPC);
        got = spool_model_fwrite(m, STREAM_BUF); /* fills the buffer */
        ASSERT_GT(spool_model_stats(m)->faults_fired, 0);
        ASSERT_LT(got, (long long)STREAM_BUF);
        ASSERT_EQ(ROLLED(m), 0);
        size = spool_model_size(m);
        ASSERT_GE(size, pre + (int64_t)STREAM_BUF / 2); /* in memory */
        spool_model_seek(m, 0, SEEK_SET);
        spool_model_read(m, 10);
        spool_model_read(m, STREAM_BUF * 2);
        spool_model_seek(m, max - 5, SEEK_SET);
        spool_model_fread(m, 100);
        spool_model_check(m);
        spool_model_seek(m, 0, SEEK_END);
        if (retry) {
          ASSERT_OK(spool_model_rollover(m));
        } else {
          spool_model_fwrite(m, STREAM_BUF - got); /* the rest, again */
          ASSERT_EQ(spool_model_fflush(m), 0);
        }
        ASSERT_EQ(ROLLED(m), 1);
        ASSERT_LE(DATA_MEMORY(m), DISK_BUF);
        spool_model_check(m);
        done(m);
      }
    }
  }
}

/* A full disk while the stream flushes: the bytes stay pending, in
 * order; tf_spool_size() counts them, direct and stream reads see them
 * in place, writes fail with the error (a truncate does not, and cuts
 * them), and once there is room again the next call writes them. */
TEST(test_spool_diff_stream_bytes_pending_on_a_full_disk) {
  struct spool_model *m = model(4096);
  ASSERT_OK(spool_model_rollover(m));
  spool_model_write(m, 100000);
  spool_model_seek(m, 5000, SEEK_SET);
  spool_model_burst(m, 1);
  spool_model_fwrite(m, 70000); /* over the file's bytes: written through */
  spool_model_fault_sticky(m, TF_SYS_pwrite, ENOSPC);
  ASSERT_EQ(spool_model_fflush(m), -ENOSPC);
  ASSERT_GE(MEMORY(m), STREAM_BUF + DISK_BUF + 70000);
  spool_model_seek(m, 99000, SEEK_SET);
  spool_model_fwrite(m, 5000); /* past the end: the buffer takes them */
  spool_model_seek(m, 40000, SEEK_SET);
  spool_model_fwrite(m, 100); /* the buffer's write-back fails */
  ASSERT_EQ(spool_model_size_op(m), 104000);
  spool_model_seek(m, 4000, SEEK_SET);
  spool_model_read(m, 5000);
  spool_model_fseek(m, 4990, SEEK_SET);
  spool_model_fread(m, 4000);
  spool_model_getc(m);
  spool_model_fseek(m, 98990, SEEK_SET);
  spool_model_fread(m, 10000);
  spool_model_seek(m, 0, SEEK_SET);
  spool_model_read(m, 200000);
  spool_model_check(m);
  ASSERT_EQ(spool_model_write(m, 10), -ENOSPC);
  ASSERT_EQ(spool_model_flush(m), -ENOSPC);
  ASSERT_EQ(spool_model_truncate(m, 102000), 102000);
  spool_model_check(m);
  spool_model_fault_clear(m);
  ASSERT_EQ(spool_model_flush(m), 0);
  ASSERT_GE(spool_model_fd(m), 0);
  ASSERT_EQ(MEMORY(m), STREAM_BUF); /* all written */
  spool_model_fd_pread(m, 200000, 0);
  spool_model_check(m);
  done(m);
}

/* Once the fd is exposed, the stream's flush is a write(2) at the fd's
 * offset; when it fails, the bytes are kept and the offset moves past
 * them, and the next spool call writes them where they belong: whether
 * the flush was fflush(), the one a direct call starts with, or that of
 * an fwrite, fputc or fprintf that fills the buffer. */
TEST(test_spool_diff_exposed_stream_flush_fails) {
  struct spool_model *m = model(4096);
  spool_model_write(m, 10000);
  ASSERT_GE(spool_model_fd(m), 0);
  spool_model_seek(m, 100, SEEK_SET);
  spool_model_burst(m, 1);
  spool_model_fwrite(m, 5000);
  spool_model_fault(m, TF_SYS_write, 1, ENOSPC);
  ASSERT_EQ(spool_model_fflush(m), -ENOSPC);
  spool_model_fd_pread(m, 20000, 0); /* after tf_spool_flush() */
  spool_model_burst(m, 1);
  spool_model_fwrite(m, 3000);
  spool_model_fault(m, TF_SYS_write, 1, EIO);
  spool_model_read(m, 100); /* its flush fails, it reads */
  spool_model_burst(m, 1);
  spool_model_fputc_run(m, 1000);
  spool_model_fault(m, TF_SYS_write, 1, ENOSPC);
  spool_model_size_op(m);
  spool_model_burst(m, 1);
  spool_model_fwrite(m, 2000);
  spool_model_fault(m, TF_SYS_write, 1, EDQUOT);
  spool_model_tell(m);
  spool_model_burst(m, 1);
  spool_model_fwrite(m, 2000);
  spool_model_fault(m, TF_SYS_write, 1, EIO);
  spool_model_fseek(m, 0, SEEK_SET);
  spool_model_fault(m, TF_SYS_write, 1, ENOSPC);
  spool_model_fwrite(m, STREAM_BUF * 2 + 100); /* straight through */
  spool_model_fd_read(m, 100);
  spool_model_burst(m, 1);
  spool_model_fwrite(m, 100);
  spool_model_fault(m, TF_SYS_write, 1, ENOSPC);
  spool_model_fputc_run(m, STREAM_BUF + 10); /* fills the buffer */
  spool_model_burst(m, 1);
  spool_model_fwrite(m, 100);
  spool_model_fault(m, TF_SYS_write, 1, ENOSPC);
  spool_model_fprintf(m, 2, 140000); /* fills the buffer */
  spool_model_burst(m, 1);
  spool_model_fwrite(m, 100);
  spool_model_fault(m, TF_SYS_write, 1, ENOSPC);
  spool_model_fwrite(m, STREAM_BUF * 3); /* what it holds goes first */
  ASSERT_GE(spool_model_stats(m)->flush_faults, 8);
  spool_model_check(m);
  spool_model_fd_pread(m, 1 << 20, 0);
  done(m);
}

/* tf_spool_seek(..., SEEK_END) and fseeko(..., SEEK_END) right after a
 * flush of the stream failed (in memory: no memory for the bytes;
 * exposed: write(2) fails) must count the bytes the spool kept, as
 * tf_spool_size() and the file do: the stream accepted them. */
TEST(test_spool_diff_seek_end_counts_the_bytes_a_failed_flush_kept) {
  static const struct {
    size_t max;
    int id;
  } cases[] = {{0, TF_SYS_malloc}, {1 << 20, TF_SYS_malloc}, {4096, -1}};
  size_t i;
  int how;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    for (how = 0; how < 3; how++) {
      struct spool_model *m = model(cases[i].max);
      spool_model_write(m, 100);
      if (cases[i].id < 0)
        ASSERT_GE(spool_model_fd(m), 0);
      spool_model_burst(m, 1);
      spool_model_fwrite(m, 5000);
      spool_model_fault(m, cases[i].id < 0 ? TF_SYS_write : cases[i].id, 1,
                        ENOMEM);
      if (how == 0) {
        ASSERT_LT(spool_model_fflush(m), 0);
        ASSERT_EQ(spool_model_stats(m)->flush_faults, 1);
        spool_model_burst(m, 1); /* no check in between */
        ASSERT_EQ(spool_model_seek(m, 0, SEEK_END), 5100);
      } else if (how == 1) {
        ASSERT_EQ(spool_model_seek(m, -10, SEEK_END), 5090);
        ASSERT_EQ(spool_model_stats(m)->flush_faults, 1);
      } else {
        ASSERT_LT(spool_model_fflush(m), 0);
        spool_model_burst(m, 1);
        ASSERT_EQ(spool_model_fseek(m, -1, SEEK_END), 0);
        ASSERT_EQ(spool_model_ftell(m), 5099);
      }
      spool_model_write(m, 10);
      spool_model_check(m);
      done(m);
    }
  }
}

/* Once the fd is exposed, a direct call first gives the stream's
 * read-ahead back with lseek(fd, -n, SEEK_CUR).  If that lseek fails, the
 * call must not work at the end of the read-ahead, where the fd's offset
 * was left: it either works at the stream's position, or fails and
 * leaves the next call to find that position. */
TEST(test_spool_diff_direct_call_whose_read_ahead_give_back_fails) {
  int op;
#if !defined(__GLIBC__)
  /* musl's fflush() ignores the seek's failure and drops the read-ahead
   * all the same: the stream's position is gone before the library can
   * keep it (tf_spool_create(3), NOTES). */
  SKIP("this libc's fflush() drops a read-ahead it could not give back");
#endif
  for (op = 0; op < 6; op++) {
    struct spool_model *m = model(4096);
    spool_model_write(m, 300000);
    ASSERT_GE(spool_model_fd(m), 0);
    spool_model_seek(m, 1000, SEEK_SET);
    spool_model_burst(m, 1);
    spool_model_fread(m, 10); /* reads ahead a buffer */
    spool_model_fault(m, TF_SYS_lseek, 1, EIO);
    switch (op) {
    case 0:
      spool_model_tell(m);
      break;
    case 1:
      spool_model_seek(m, 5, SEEK_CUR);
      break;
    case 2:
      spool_model_write(m, 10);
      break;
    case 3:
      spool_model_read(m, 10);
      break;
    case 4:
      spool_model_truncate(m, TF_SPOOL_HERE);
      break;
    default:
      spool_model_size_op(m);
      break;
    }
    ASSERT_GT(spool_model_stats(m)->faults_fired, 0);
    spool_model_check(m);
    done(m);
  }
}

/* C's way to turn a stream from output to input: fseeko(fp, 0,
 * SEEK_CUR).  After a read, a seek (which glibc serves by reading the
 * block the target is in) and a write, it must stay where the write
 * ended.  glibc's cookie streams go back to where the write began: the
 * flush seeks the cookie to the write's start (new_do_write() keeps that
 * offset) and nothing moves it past the bytes written (only the write of
 * a stream on an fd does), so SEEK_CUR is taken from there.  Found by the
 * fuzzer (max_size 7, exposed); any phase does it. */
TEST(test_spool_diff_stream_seek_cur_after_read_seek_write) {
  static const size_t maxes[] = {0, 4096, 4096};
  size_t i;
  for (i = 0; i < 3; i++) {
    struct spool_model *m = model(maxes[i]);
    spool_model_write(m, 300000);
    if (i == 2)
      ASSERT_GE(spool_model_fd(m), 0);
    spool_model_seek(m, 0, SEEK_SET);
    spool_model_burst(m, 5);
    spool_model_fread(m, 10);
    spool_model_fseek(m, 3, SEEK_SET);
    spool_model_fputc_run(m, 12);
    spool_model_fseek(m, 0, SEEK_CUR);
    spool_model_ftell(m);
    spool_model_getc(m);
    spool_model_check(m);
    done(m);
  }
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
