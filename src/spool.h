/* SPDX-License-Identifier: MIT */
/*
 * spool.h - the spool's state, shared by spool.c (phases, memory,
 * rollover, public calls), spool_disk.c (the file phase's buffer),
 * spool_pending.c (the stream's bytes not stored yet), spool_posix.c
 * (the calls POSIX alone has) and the stream (stream.c, or on Windows
 * win/spool_stream_win.c).  Private to those files.
 */
#ifndef TF_SPOOL_H
#define TF_SPOOL_H

#define DISK_BUF ((size_t)64 << 10)
/* Writes this large skip the buffer. */
#define DIRECT_MIN DISK_BUF

enum phase { IN_MEMORY, ON_DISK, EXPOSED, CLOSED };

struct disk_buf {
  char *data;    /* DISK_BUF bytes */
  int64_t off;   /* file offset of data[0] */
  size_t len;    /* bytes of data[] that hold the file's contents */
  size_t lo, hi; /* data[lo, hi) is dirty; lo == hi: clean */
};

/* Bytes the stream's stdio buffer had accepted that could not reach
 * the spool's store (a failed rollover of a spool over max_size, a full
 * disk, no memory): kept here, in order, until a later call places them
 * (spool_pending.c). */
struct pending {
  struct pending *next;
  int64_t off;
  size_t len;
  char data[];
};

/* The stream's stdio buffer (spool.c gives it to setvbuf()).  glibc
 * passes every read of a cookie stream through it, however large: a
 * 1 MiB fread() of a rolled-over spool took 2.3 times the time of the
 * same fread() on a file with 64 KiB, 1.8 with 128 KiB, 1.6 with 256 KiB
 * (bench/tfstream, paired); nothing else changes with its size. */
#define STREAM_BUF ((size_t)128 << 10)

struct tf_spool {
  struct tf__cookie cookie; /* first: the stream's cookie is the spool */
  enum phase phase;
  int rolled;
  size_t max_size;
  int64_t pos, size; /* IN_MEMORY and ON_DISK */
  struct tf__membuf mem;
  int fd;
  struct disk_buf buf;
  FILE *stream;
  int seek_err; /* errno of the last failed seek (sync_stream() uses it) */
  struct pending *pending, **pending_tail; /* FIFO; NULL when empty */
  size_t pending_bytes;
  /* Where the rollover creates the file: dirfd (owned), or dir (an
   * absolute path, NULL for the temp dir at rollover). */
  int dirfd;
  tf_opts opts; /* dir, prefix and suffix point into names */
  char *names;
};

/* spool.c, for spool_posix.c.  new: a spool (nothing opened yet; the
 * options taken as an *at form's for is_at), in *out; 0 or -errno with
 * *out untouched.  handover: hand the stream over to a direct call, as
 * every public call does first (0, or -errno: the call must stop). */
int tf__spool_new(tf_spool **out, size_t max_size, int is_at,
                  const tf_opts *opts);
int tf__spool_handover(tf_spool *s);

/* spool_disk.c, for the ON_DISK phase.  flush_dirty writes the buffer's
 * dirty bytes back (what failed to go stays dirty); cut_buffer forgets
 * what the buffer holds at or past size; disk_write and disk_read move n
 * bytes at s->pos as write(2) and read(2) would. */
int tf__spool_flush_dirty(tf_spool *s);
void tf__spool_cut_buffer(struct disk_buf *b, int64_t size);
ssize_t tf__spool_disk_write(tf_spool *s, const char *src, size_t n);
ssize_t tf__spool_disk_read(tf_spool *s, char *dst, size_t n);

/* spool.c: place n bytes the stream accepted at s->pos, memory first:
 * in memory they go in even past max_size and the rollover comes after
 * (its failure leaves them there, whole, and its -errno in *roll_err).
 * A count, maybe short, or -errno for nothing placed. */
ssize_t tf__spool_place(tf_spool *s, const char *src, size_t n,
                        int *roll_err);

/* spool_pending.c.  stash keeps n bytes at off and moves the position
 * past them (0 or -ENOMEM: then they are lost); drain places them in
 * order (0, or -errno with what is left still kept); overlay lays them
 * over dst, which holds [at, at + n); cut forgets what lies at or past
 * size; drop frees them all. */
int tf__spool_stash(tf_spool *s, int64_t off, const char *src, size_t n);
int tf__spool_drain(tf_spool *s);
void tf__spool_overlay(const tf_spool *s, char *dst, int64_t at, size_t n);
void tf__spool_cut_pending(tf_spool *s, int64_t size);
void tf__spool_drop_pending(tf_spool *s);

#endif /* TF_SPOOL_H */
