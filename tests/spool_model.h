/* SPDX-License-Identifier: MIT */
/*
 * spool_model.h - model-based differential testing of tf_spool.
 *
 * A model pairs a spool with a reference: a plain unnamed file accessed
 * with read/write/lseek/ftruncate/pread.  Every step does one operation to
 * both and compares what the spool returns (counts, positions, sizes,
 * errors, the bytes read) with what the file does, then checks the
 * rollover state the rules predict, the position and size (rolled, tell
 * and size flush the spool's buffered stream, as every direct call does;
 * skipped inside a "burst" when there is a stream), the memory the spool
 * holds, and every check_every steps the whole contents, read back
 * through the spool's own calls.  What the stream holds in its buffer is
 * tracked with __fpending(), so the model knows when its bytes reach the
 * spool (and may roll it over).
 *
 * spool_model_run() decodes a byte string (a "program") into such steps;
 * the unit tests feed it pseudo-random programs and the fuzz corpus, the
 * libFuzzer target (fuzz/spool_fuzz.c) feeds it whatever it makes up.
 * The step functions are public too, for scripted scenarios.
 *
 * Needs the tests' fault injector (fault.c: memory and fault hooks).
 * Not thread-safe (the fault injector is global).
 */
#ifndef TF_SPOOL_MODEL_H
#define TF_SPOOL_MODEL_H

#include "tempfile.h"

#include <stddef.h>
#include <stdint.h>

/* The thresholds (max_size) a program's first byte chooses from. */
#define SPOOL_MODEL_THRESHOLDS 8
extern const size_t spool_model_threshold[SPOOL_MODEL_THRESHOLDS];

/* Positions and sizes the decoded programs stay below (seeks may go a
 * little further), and the largest single transfer. */
#define SPOOL_MODEL_CAP ((int64_t)4 << 20)
#define SPOOL_MODEL_BIG_MAX (((size_t)3 << 20) + ((size_t)64 << 10))

struct spool_model_config {
  /* Where the reference file and the spool's rollover file go (a
   * tmpfs is fastest); NULL: $TMPDIR, else /tmp. */
  const char *dir;
  /* spool_model_run(): stop after this many steps (0: at the end of the
   * program). */
  unsigned long max_ops;
  /* Compare the whole contents every this many steps (0: 32) and at the
   * end. */
  unsigned check_every;
  /* Print every step to stderr as it completes. */
  int trace;
  /* Called with the report at the first mismatch; may not return (the
   * tests fail there, the fuzzer aborts).  NULL: the model stops doing
   * steps and the report is kept for spool_model_message(). */
  void (*on_fail)(const char *report);
};

struct spool_model_stats {
  unsigned long ops;
  unsigned long phase_ops[4]; /* steps done in memory, on disk, exposed,
                                 closed */
  unsigned long rolled;       /* spools that rolled over */
  unsigned long exposed;      /* spools whose fd was taken */
  unsigned long stream_ops, fd_ops, faults_fired, checks;
  unsigned long flush_faults; /* stream flushes a fault made fail */
};

struct spool_model;

/* ------------------------------------------------------------ programs */

/*
 * Run a program: byte 0 chooses the threshold (bits 0-2, an index into
 * spool_model_threshold) and tf_spool_createat() over tf_spool_create()
 * (bit 3); bytes 1-4 seed the data written; each step after that is an
 * opcode byte and its parameters (a program that ends early gives zeros).
 * Returns 0 if the spool agreed with the reference throughout, -1 on a
 * mismatch (the report in msg), -2 if the model could not be set up.
 * Everything the run made is released either way.  stats may be NULL.
 */
int spool_model_run(const unsigned char *prog, size_t len,
                    const struct spool_model_config *cfg,
                    struct spool_model_stats *stats, char *msg,
                    size_t msgsize);

/* Fill out with a pseudo-random program of len bytes for the threshold
 * spool_model_threshold[threshold] from seed. */
void spool_model_random_program(unsigned char *out, size_t len,
                                unsigned threshold, uint64_t seed);

/* ---------------------------------------------------------------- steps */

/* A new empty spool of max_size and its reference; data comes from seed.
 * NULL (after on_fail, or with a message on stderr) if it cannot. */
struct spool_model *spool_model_open(size_t max_size, int use_createat,
                                     uint64_t seed,
                                     const struct spool_model_config *cfg);
/* Final contents check, then free the spool (its tf_spool_free() must
 * return 0), the reference and the model, and check the library holds no
 * memory the model's spool took.  0, or -1 if a mismatch was found at any
 * point (the report went to on_fail or stderr). */
int spool_model_close(struct spool_model *m);

int spool_model_failed(const struct spool_model *m);
const char *spool_model_message(const struct spool_model *m);
const struct spool_model_stats *spool_model_stats(const struct spool_model *m);
tf_spool *spool_model_spool(struct spool_model *m);
/* The reference's position and size. */
int64_t spool_model_pos(const struct spool_model *m);
int64_t spool_model_size(const struct spool_model *m);
/* The rollover state the rules predict. */
int spool_model_expect_rolled(const struct spool_model *m);
/* tf_spool_rolled(), which flushes the stream: tests call this, not
 * tf_spool_rolled() itself, so the model sees the flush. */
int spool_model_rolled(struct spool_model *m);
/* Bytes the stream's buffer holds, not yet given to the spool. */
size_t spool_model_stream_held(const struct spool_model *m);

/*
 * One step each.  Data written comes from the model's generator, lengths
 * are clipped to SPOOL_MODEL_BIG_MAX and to positions below
 * SPOOL_MODEL_CAP.  Each returns the spool's result (the count, position,
 * size, 0 or negative errno; the stream steps what stdio returned).
 */
long long spool_model_write(struct spool_model *m, int64_t n);
long long spool_model_writev(struct spool_model *m, const int64_t *lens,
                             int count);
long long spool_model_read(struct spool_model *m, int64_t n);
long long spool_model_seek(struct spool_model *m, int64_t offset, int whence);
long long spool_model_tell(struct spool_model *m);
long long spool_model_truncate(struct spool_model *m, int64_t size);
long long spool_model_flush(struct spool_model *m);
long long spool_model_size_op(struct spool_model *m);
long long spool_model_rollover(struct spool_model *m);
long long spool_model_fd(struct spool_model *m);
long long spool_model_close_op(struct spool_model *m);

/* Calls on the exposed fd itself (no-ops returning -EBADF before
 * spool_model_fd()). */
long long spool_model_fd_write(struct spool_model *m, int64_t n);
long long spool_model_fd_read(struct spool_model *m, int64_t n);
long long spool_model_fd_seek(struct spool_model *m, int64_t offset,
                              int whence);
long long spool_model_fd_truncate(struct spool_model *m, int64_t size);
long long spool_model_fd_pwrite(struct spool_model *m, int64_t n,
                                int64_t offset);
long long spool_model_fd_pread(struct spool_model *m, int64_t n,
                               int64_t offset);

/* Calls on the spool's stream (tf_spool_stream(), asked on first use).
 * The write steps return what stdio counted (fprintf: its result); the
 * reference gets the bytes stdio took. */
long long spool_model_fwrite(struct spool_model *m, int64_t n);
/* fputc() n times (at most 140,000), up to the first that fails; the
 * count of those that did not. */
long long spool_model_fputc_run(struct spool_model *m, int64_t n);
/* fflush(): 0, or -errno. */
long long spool_model_fflush(struct spool_model *m);
long long spool_model_fread(struct spool_model *m, int64_t n);
long long spool_model_fseek(struct spool_model *m, int64_t offset,
                            int whence);
long long spool_model_ftell(struct spool_model *m);
/* variant 0: "%d\n", 1: "%.*s" of text, 2: "%*d" (width up to 140000:
 * more than the stream's buffer), 3: "%s:%lld;". */
long long spool_model_fprintf(struct spool_model *m, int variant,
                              unsigned arg);
long long spool_model_fputc(struct spool_model *m, int c);
long long spool_model_getc(struct spool_model *m);
/* getc() and ungetc() of what it read: the stream holds a byte the spool
 * has passed, which the next direct call must take back. */
long long spool_model_peek(struct spool_model *m);
long long spool_model_fgets(struct spool_model *m, int n);

/* Calls the contract rejects: variant 0 seek with a bad whence, 1 writev
 * with iovcnt -1, 2 with IOV_MAX + 1, 3 with a total past SSIZE_MAX,
 * 4 truncate to a negative size other than TF_SPOOL_HERE, 5 read into
 * NULL, 6 write from NULL.  Each must give -EINVAL and change nothing. */
long long spool_model_invalid(struct spool_model *m, int variant);

/* Run the next n steps without the checks that synchronise the stream
 * (tell, size), so stream and direct calls meet unsynchronised. */
void spool_model_burst(struct spool_model *m, unsigned n);
/* Make the nth call of the system-call table entry sys_id (enum
 * tf__sys_id of internal.h) fail with err during the next step.  A step
 * that then fails must have changed nothing (the reference does not do
 * it); EINTR must not be seen at all.  A fault that fires while the
 * stream flushes (fflush, fseeko, a write that fills its buffer, the
 * flush a direct call starts with) loses no byte the stream accepted and
 * sets its error indicator. */
void spool_model_fault(struct spool_model *m, int sys_id, unsigned long nth,
                       int err);
/* Make every call of sys_id fail with err (not EINTR) from the next step
 * on, the checks' calls included (a full disk), until
 * spool_model_fault_clear(). */
void spool_model_fault_sticky(struct spool_model *m, int sys_id, int err);
void spool_model_fault_clear(struct spool_model *m);
/* Compare the whole contents now (through the spool, or its stream). */
void spool_model_check(struct spool_model *m);

#endif /* TF_SPOOL_MODEL_H */
