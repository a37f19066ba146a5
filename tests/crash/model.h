/* SPDX-License-Identifier: MIT */
/*
 * model.h - persistence models and the crash-state explorer: from a
 * trace, the on-disk states a power cut at each point could leave, under
 * a model (tests/crash/README.md), each given to a scenario's check.
 */
#ifndef TF_CRASH_MODEL_H
#define TF_CRASH_MODEL_H

#include <stdio.h>

#include "trace.h"

enum crash_model {
  /* POSIX at its weakest: any unsynced effect may be lost, a file's by
   * its fsync, a directory entry's by its directory's fsync; overlapping
   * unsynced writes may persist in any order */
  CRASH_MODEL_WEAK,
  /* ext4 data=ordered with delayed allocation, as ALICE describes it:
   * metadata (names, sizes set by truncate, modes) reaches the disk in
   * the order it was made, and all of it made before any fsync; data
   * only at its file's fsync or at writeback, in any order, so a name
   * can persist before the data of the file it names */
  CRASH_MODEL_EXT4
};

const char *crash_model_name(enum crash_model m);

/* An inode of a crash state. */
struct crash_inode {
  unsigned long ino;
  int is_dir;
  unsigned int mode, uid, gid;
  int64_t size;
  unsigned char *data;
};

struct crash_entry {
  unsigned long dir, ino;
  const char *name;
};

/* A crash state: what the disk holds. */
struct crash_fs {
  struct crash_inode *inodes;
  size_t ninodes;
  struct crash_entry *entries;
  size_t nentries, entries_cap;
};

/* The inode name in dir names in fs, or NULL. */
const struct crash_inode *crash_fs_lookup(const struct crash_fs *fs,
                                          unsigned long dir, const char *name);

/* A scenario's invariant: 1 if state fs, reached by a crash before
 * (returned == 0) or after (1) the scenario's "returned" mark, keeps
 * what the scenario promises; else 0 with the reason in why. */
typedef int (*crash_check_fn)(const struct crash_fs *fs, int returned,
                              void *ctx, char *why, size_t size);

struct crash_limits {
  uint64_t exhaustive_max; /* explore all states if there are this few */
  uint64_t samples;        /* else this many, chosen at random */
  uint64_t seed;
};

struct crash_result {
  uint64_t states;      /* how many states the model allows (saturated) */
  uint64_t explored;    /* how many were checked */
  uint64_t violations;  /* how many broke the invariant */
  int exhaustive;       /* explored == states */
};

/* Explore the crash states of t under model m, checking each; the first
 * violation is printed to report as the calls that persisted and those
 * that were lost.  0, or -ENOMEM. */
int crash_explore(const struct crash_trace *t, enum crash_model m,
                  const struct crash_limits *lim, crash_check_fn check,
                  void *ctx, struct crash_result *res, FILE *report);

/* The state with every effect of t persisted (what a clean shutdown
 * leaves), for checking the recording against the real directory; free
 * it with crash_fs_free().  0 or -ENOMEM. */
int crash_final_state(const struct crash_trace *t, struct crash_fs *fs);
void crash_fs_free(struct crash_fs *fs);

/* The explorer on hand-made traces with states counted by hand
 * (selftest.c): one check per trace added to *passed or *failed, a line
 * for each failure and a summary printed to out. */
void crash_model_selftest(FILE *out, unsigned *passed, unsigned *failed);

#endif /* TF_CRASH_MODEL_H */
