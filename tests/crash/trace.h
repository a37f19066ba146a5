/* SPDX-License-Identifier: MIT */
/*
 * trace.h - a recording of the file-system effects a scenario made, in
 * the order it made them (recorder.c writes it, model.c reads it), and
 * the directory as it was before: the input of the crash-state explorer
 * (tests/crash/README.md).  Inodes and directories are named by inode
 * number; only the scenario's directory and the files in it are traced.
 */
#ifndef TF_CRASH_TRACE_H
#define TF_CRASH_TRACE_H

#include <stddef.h>
#include <stdint.h>

#define CRASH_NAME_MAX 256

enum crash_kind {
  /* effects: each persists or not after a power cut */
  CRASH_CREATE,   /* name in dir made for a new inode (open O_CREAT) */
  CRASH_TMPFILE,  /* a new inode with no name (O_TMPFILE) */
  CRASH_MKDIR,    /* name in dir made for a new directory */
  CRASH_WRITE,    /* [off, off + len) of ino written with data */
  CRASH_TRUNCATE, /* ino's size set to off */
  CRASH_CHMOD,    /* ino's mode set to mode */
  CRASH_CHOWN,    /* ino's owner and group set to uid, gid, and its mode
                   * to mode (chown clears set-ID bits) */
  CRASH_LINK,     /* name in dir made for ino (linkat, or linkat through
                   * /proc of an unnamed file) */
  CRASH_UNLINK,   /* name in dir (naming ino) removed */
  CRASH_RENAME,   /* name in dir moved to name2 in dir2 (flags: renameat2's;
                   * ino the moved inode, ino2 what name2 named, or 0) */
  /* events: persist nothing themselves */
  CRASH_FSYNC,    /* fsync(2) of ino (a file or a directory) returned */
  CRASH_CLOSE,    /* a traced fd of ino closed */
  CRASH_MARK      /* a point of the scenario (name: "returned") */
};

struct crash_op {
  enum crash_kind kind;
  const char *call;  /* the table entry that made it ("renameat2") */
  int seen_late;     /* a write found by comparing the file's contents at
                      * the next traced call: made by a call that does not
                      * go through the table (tmpf's copy loop) */
  unsigned long ino, ino2, dir, dir2;
  char name[CRASH_NAME_MAX], name2[CRASH_NAME_MAX];
  unsigned int flags;
  int64_t off, len;
  unsigned char *data; /* CRASH_WRITE: len bytes */
  uint64_t hash;       /* of data (FNV-1a), for the report */
  unsigned int mode, uid, gid;
};

/* A file or directory of the scenario's directory before it began. */
struct crash_file {
  char name[CRASH_NAME_MAX];
  unsigned long ino;
  int is_dir;
  unsigned int mode, uid, gid;
  unsigned char *data;
  int64_t size;
};

struct crash_trace {
  unsigned long root; /* the scenario's directory */
  struct crash_file *initial;
  size_t ninitial;
  struct crash_op *ops;
  size_t nops, cap;
};

uint64_t crash_hash(const void *p, size_t n);
/* An op of kind made by call on inode ino, every other field zero. */
struct crash_op crash_op_make(enum crash_kind kind, const char *call, unsigned long ino);
/* Append a copy of op (and of its data); the new op, or NULL (no memory). */
struct crash_op *crash_trace_add(struct crash_trace *t, const struct crash_op *op);
void crash_trace_free(struct crash_trace *t);
/* One line describing op ("renameat2 .t.tf-AbC -> t (NOREPLACE)"). */
void crash_op_describe(const struct crash_op *op, char *buf, size_t size);

#endif /* TF_CRASH_TRACE_H */
