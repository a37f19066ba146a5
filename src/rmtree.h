/* SPDX-License-Identifier: MIT */
/*
 * rmtree.h - the secure recursive removal's own declarations, shared by
 * its two files: rmtree.c (reading directories, removing entries, the
 * entry points) and rmtree_walk.c (the stack of directories being
 * emptied, with a bounded number of them open).
 */
#ifndef TF_RMTREE_H
#define TF_RMTREE_H

#include "internal.h"

/* Room in struct walk itself, before anything is allocated. */
#define LOCAL_FRAMES 64
#define LOCAL_NAMES 2048
#define LOCAL_SKIPS 16
#define LOCAL_BATCH 128
#define LOCAL_BATCH_NAMES 4096

/* How many times a directory whose removal finds it not empty again
 * (someone added an entry after it was listed) is listed and emptied
 * again before the walk gives up with ENOTEMPTY.  Only a directory in
 * which nothing failed is listed again, so without such a writer the
 * work stays one listing per directory. */
#define TF_RMTREE_ROUNDS 16

struct entry {
  size_t name;        /* offset in walk.batch_names */
  ino_t ino;          /* d_ino */
  unsigned char type; /* d_type, or DONE */
};

struct frame {
  DIR *dir;  /* NULL while evicted */
  dev_t dev; /* identity, checked when reopened */
  ino_t ino;
  ino_t entry_ino;    /* its d_ino in the parent's listing */
  size_t name;        /* offset of its name in walk.names */
  size_t skips;       /* start of its skip list in walk.skips */
  size_t batch;       /* start of its pending entries in walk.batch */
  size_t batch_names; /* and of their names */
  int restarted;      /* reopened: its listing started over */
  int eof;            /* its listing is read to the end */
  int rounds;         /* listings after it was found not empty */
};

struct walk {
  struct frame *frames; /* frames[0] is the top of the tree */
  size_t depth, frames_cap;
  char *names; /* the frames' names, NUL-terminated, one after another */
  size_t names_len, names_cap;
  ino_t *skips; /* entries that failed, per frame (a stack) */
  size_t nskips, skips_cap;
  struct entry *batch; /* entries read and not yet done, per frame */
  size_t nbatch, batch_cap;
  char *batch_names;
  size_t batch_names_len, batch_names_cap;
  size_t first_open; /* frames [1, first_open) are evicted */
  dev_t dev;         /* the tree's file system */
  int top_parent;       /* the top's removal, when top_name is not NULL: */
  const char *top_name; /* name in top_parent, removed when popped last */
  int top_rc;           /* 1 until tried, then 0 or -errno (-ENOENT: gone) */
  int err;           /* the first error */
  int fatal;         /* out of memory: stop the walk */
  struct frame frames_local[LOCAL_FRAMES];
  char names_local[LOCAL_NAMES];
  ino_t skips_local[LOCAL_SKIPS];
  struct entry batch_local[LOCAL_BATCH];
  char batch_names_local[LOCAL_BATCH_NAMES];
};

static inline int fd_of(const struct frame *f) { return dirfd(f->dir); }

static inline const char *name_of(const struct walk *w, const struct frame *f) {
  return w->names + f->name;
}

void tf__walk_init(struct walk *w);
void tf__walk_release(struct walk *w);
/* Record err as the walk's error unless one is recorded (or ENOENT). */
void tf__walk_note(struct walk *w, int err);
/* Make room for need elements in *buf (cap of them, local the initial
 * array, elem bytes each).  Returns 0 or -ENOMEM. */
int tf__walk_grow(void **buf, size_t *cap, size_t need, size_t elem,
                  void *local);
/* Remember that the current directory's entry ino could not be removed,
 * so a fresh listing of it does not try again; whether ino of frame f
 * is such an entry. */
void tf__walk_skip(struct walk *w, ino_t ino);
int tf__walk_skipped(const struct walk *w, const struct frame *f, ino_t ino);
/* Make the directory open at fd readable, writable and searchable by its
 * owner (through the fd only). */
void tf__walk_grant_owner(int fd, const struct tf__stat *st);
/* Open the directory name in parentfd for listing, without following a
 * symlink, and fill *st.  Returns the fd, -ENOTDIR if it is not a
 * directory (a symlink included), or another -errno.  w may be NULL. */
int tf__walk_open_dir(struct walk *w, int parentfd, const char *name,
                      const dev_t *dev, struct tf__stat *st);
/* Make fd (a directory named name, entry_ino in the current directory's
 * listing) the new current directory.  Takes fd. */
void tf__walk_push(struct walk *w, int fd, const char *name, ino_t entry_ino,
                   const struct tf__stat *st);
/* Enter the directory name of the current directory. */
void tf__walk_descend(struct walk *w, const char *name, ino_t entry_ino);
/* The current directory is listed to the end: remove it from its
 * parent (the top: as top_name, if set) and close it; or, if an entry
 * appeared in it since it was listed, list it again (at most
 * TF_RMTREE_ROUNDS times). */
void tf__walk_pop(struct walk *w);
/* Forget frames [from, depth), closing those open. */
void tf__walk_drop(struct walk *w, size_t from);

#endif /* TF_RMTREE_H */
