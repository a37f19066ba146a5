/* SPDX-License-Identifier: MIT */
/*
 * dir.c - the temporary directory handle (Python's TemporaryDirectory).
 * It keeps an fd of the directory, an fd of its parent and its name, and
 * the device and inode it was made with.  Cleanup first checks that the
 * name still refers to that directory, so a directory renamed away (for
 * example published under a final name) or replaced is never emptied,
 * then empties it through its own fd (rmtree.c) and removes it relative
 * to the parent's fd, emptying it again while entries keep coming, a
 * bounded number of times.  Only the creating process removes anything.
 */
#include "internal.h"

#include <string.h>

struct tf_dir {
  int fd;            /* the directory; -1 once removed */
  int parentfd;      /* anchor of the name */
  char *path;        /* absolute, or relative to the caller's dirfd */
  const char *name;  /* basename inside path, relative to parentfd */
  dev_t dev;         /* identity it was made with */
  ino_t ino;
  pid_t owner;       /* the creating process */
  unsigned int flags; /* TF_KEEP, TF_IGNORE_ERRORS, TF_UNTRACKED */
  struct tf__life life; /* mark and registry slot */
};

/* An fd of the directory just made: for listing, or where its mode
 * denies the owner reading, an O_PATH anchor. */
static int open_made(int parentfd, const char *name) {
  int fd = tf__sys.openat(parentfd, name, TF_DIR_FLAGS & ~O_NONBLOCK, 0);
#ifdef O_PATH
  if (fd < 0 && errno == EACCES)
    fd = tf__sys.openat(parentfd, name,
                        O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
#endif
  return fd;
}

/* Make the directory in parentfd and fill the handle d; path and name
 * are the caller's.  On failure nothing is left. */
static int dir_make(tf_dir *d, const struct tf__name *n, const tf_opts *o) {
  struct tf__stat st;
  char *slot = (char *)d->name;
  int rc = tf__create_in(d->parentfd, slot, slot, n, TF_KIND_DIR, 0,
                         tf__opts_mode(o, 0700));
  if (rc < 0)
    return rc;
  d->fd = open_made(d->parentfd, d->name);
  if (d->fd < 0 || tf__sys.statfd(d->fd, &st) != 0) {
    rc = -errno;
    tf__close_quiet(d->fd);
    tf__sys.unlinkat(d->parentfd, d->name, AT_REMOVEDIR);
    return rc;
  }
  d->dev = st.dev;
  d->ino = st.ino;
  d->owner = tf__current_pid();
  d->flags = o->flags;
  d->life.slot = NULL;
  d->life.marked = 0;
  if (!(d->flags & TF_KEEP)) {
    /* An O_PATH fd can not be locked: such a directory stays unmarked. */
    rc = tf__life_start(&d->life, d->flags, d->fd, TF_OBJ_DIR, d->parentfd,
                        d->name, d->dev, d->ino);
    if (rc < 0) {
      tf__close_quiet(d->fd);
      tf__sys.unlinkat(d->parentfd, d->name, AT_REMOVEDIR);
      return rc;
    }
  }
  return 0;
}

/* Make the directory at p->name and the handle (tf__handle_create()'s
 * build function). */
static int dir_build(void *out, const struct tf__place *p) {
  tf_dir *d = tf__malloc(sizeof(*d));
  int rc;
  if (d == NULL)
    return -ENOMEM;
  d->path = p->path;
  d->name = p->name;
  d->parentfd = p->dirfd;
  rc = dir_make(d, p->n, p->o);
  if (rc < 0) {
    tf__freemem(d);
    return rc;
  }
  *(tf_dir **)out = d;
  return 0;
}

#define DIR_FLAGS (TF_KEEP | TF_IGNORE_ERRORS | TF_UNTRACKED)

int tf_dir_create(tf_dir **out, const tf_opts *opts) {
  return tf__handle_create(out, AT_FDCWD, 0, opts, DIR_FLAGS, dir_build);
}

int tf_dir_createat(tf_dir **out, int dirfd, const tf_opts *opts) {
  return tf__handle_create(out, dirfd, 1, opts, DIR_FLAGS, dir_build);
}

const char *tf_dir_path(const tf_dir *d) { return d ? d->path : NULL; }

int tf_dir_fd(const tf_dir *d) {
  if (d == NULL)
    return -EINVAL;
  if (d->fd < 0)
    return -EBADF;
  return d->fd;
}

int tf_dir_keep(tf_dir *d) {
  if (d == NULL)
    return -EINVAL;
  if (d->owner == tf__current_pid()) {
    tf__life_unmark(&d->life, d->fd);
    tf__life_end(&d->life);
  }
  d->flags |= TF_KEEP;
  return 0;
}

static void forget_dir(tf_dir *d) {
  tf__close_quiet(d->fd);
  d->fd = -1;
}

/* Remove the tree if the name still refers to the directory made. */
static int remove_tree(tf_dir *d) {
  struct stat st;
  int rc, top;
  if (tf__sys.fstatat(d->parentfd, d->name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT)
      return -errno;
    forget_dir(d); /* removed or renamed away by the caller */
    return 0;
  }
  if (st.st_dev != d->dev || st.st_ino != d->ino)
    return -ESTALE;
  /* Emptied again while entries keep coming, a few times (rmtree.c). */
  rc = tf__rmtree_dir(d->fd, d->parentfd, d->name, &top);
  if (top < 0)
    return rc < 0 ? rc : top;
  forget_dir(d);
  return rc;
}

int tf_dir_cleanup(tf_dir *d) {
  int rc;
  if (d == NULL || d->fd < 0 || d->owner != tf__current_pid())
    return 0;
  rc = remove_tree(d);
  if (d->fd < 0)
    tf__life_end(&d->life); /* removed, or no longer ours to remove */
  return d->flags & TF_IGNORE_ERRORS ? 0 : rc;
}

int tf_dir_free(tf_dir *d) {
  int rc = 0;
  if (d == NULL)
    return 0;
  if (!(d->flags & TF_KEEP))
    rc = tf_dir_cleanup(d);
  if (d->owner == tf__current_pid())
    tf__life_end(&d->life);
  tf__close_quiet(d->fd);
  tf__close_quiet(d->parentfd);
  tf__freemem(d->path);
  tf__freemem(d);
  return rc;
}
