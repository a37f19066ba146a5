/* SPDX-License-Identifier: MIT */
/*
 * dir.c - the temporary directory handle (Python's TemporaryDirectory).
 * It holds an anchor of the directory's parent (shared, anchor.c), its
 * name, and the device and inode it was made with; an fd of the
 * directory itself is opened when first asked for (tf_dir_fd()), as most
 * callers only use its path.  Cleanup first tries to remove the
 * directory as an empty one: that can destroy nothing, whatever took the
 * name.  One that is not empty is emptied only when its name still
 * refers to the directory made (device and inode, checked on the fd the
 * walk empties through), so a directory renamed away (for example
 * published under a final name) or replaced is never emptied; the walk
 * (rmtree.c) works through fds only, and empties the directory again
 * while entries keep coming, a bounded number of times.  Only the
 * creating process removes anything.
 */
#include "internal.h"

#include <string.h>
#include <sys/file.h>

struct tf_dir {
  int fd;            /* the directory, once asked for; else -1 */
  struct tf__anchor *anchor; /* of the name */
  char *path;        /* absolute, or relative to the caller's dirfd */
  const char *name;  /* basename inside path, in the anchor */
  struct tf__stat id; /* identity it was made with, birth time included */
  pid_t owner;       /* the creating process */
  unsigned int flags; /* TF_KEEP, TF_IGNORE_ERRORS, TF_UNTRACKED */
  int gone;          /* removed, or no longer ours to remove */
  int claimed;       /* fd holds a shared lock (tf_dir_fd()) */
  struct tf__life life; /* ledger record and registry slot */
};

/* An fd of the directory: for listing, or where its mode denies the
 * owner reading, an anchor for search only (O_PATH or O_SEARCH; where
 * there is neither, EACCES). */
static int open_made(int parentfd, const char *name) {
  int fd = tf__sys.openat(parentfd, name, TF_DIR_FLAGS & ~O_NONBLOCK, 0);
  if (fd < 0 && errno == EACCES && TF_O_SEARCH != O_RDONLY)
    fd = tf__sys.openat(parentfd, name,
                        TF_O_SEARCH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
  return fd;
}

/* Without birth times (no statx) the handle holds an fd of its
 * directory from the start: while it is open, no other directory can be
 * given its inode number, so device and inode alone identify it. */
static int hold_made(tf_dir *d, int parentfd) {
  struct tf__stat st;
  int fd = open_made(parentfd, d->name), err = 0;
  if (fd < 0 && errno == EACCES)
    return 0; /* a mode its owner may not read: device and inode only */
  if (fd < 0)
    return errno == ELOOP || errno == ENOTDIR ? -ESTALE : -errno;
  if (tf__sys.statfd(fd, &st) != 0)
    err = -errno;
  else if (!tf__same_object(&st, &d->id))
    err = -ESTALE;
  if (err < 0) {
    tf__close_quiet(fd);
    return err;
  }
  d->fd = fd;
  return 0;
}

/* Make the directory at p->name and fill the handle d.  On failure
 * nothing is left. */
static int dir_make(tf_dir *d, const struct tf__place *p) {
  const tf_opts *o = p->o;
  int parentfd = p->anchor->fd;
  int rc = tf__create_in(parentfd, d->name, (char *)d->name, p->n,
                         TF_KIND_DIR, 0, tf__opts_mode(o, 0700));
  if (rc < 0)
    return rc;
  /* Its identity, which cleanup checks before it empties anything: with
   * no fd held, the birth time tells it from a later directory given the
   * same inode number (without birth times, an fd is held). */
  d->fd = -1;
  if (tf__sys.statat(parentfd, d->name, &d->id) != 0)
    rc = -errno;
  else if (!S_ISDIR(d->id.mode))
    rc = -ESTALE; /* replaced the moment it was made */
  else if (!TF_HAVE_STATX)
    rc = hold_made(d, parentfd);
  d->owner = tf__current_pid();
  d->flags = o->flags;
  d->gone = 0;
  d->claimed = 0;
  d->life.slot = NULL;
  d->life.mark.rec = NULL;
  if (rc == 0 && !(d->flags & TF_KEEP))
    rc = tf__life_start(&d->life, d->flags, TF_OBJ_DIR, p->anchor, d->name,
                        &d->id);
  if (rc < 0) {
    tf__close_quiet(d->fd);
    tf__sys.unlinkat(parentfd, d->name, AT_REMOVEDIR);
  }
  return rc;
}

/* Make the directory and the handle (tf__handle_create()'s build
 * function). */
static int dir_build(void *out, const struct tf__place *p) {
  tf_dir *d = tf__malloc(sizeof(*d));
  int rc;
  if (d == NULL)
    return -ENOMEM;
  d->path = p->path;
  d->name = p->name;
  d->anchor = p->anchor;
  rc = dir_make(d, p);
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

/* Another object has the directory's name: the record that names it for
 * tf_reap() is set free, so that a reaper never takes that object for
 * this process's leftover. */
static void name_taken(tf_dir *d) {
  if (d->owner == tf__current_pid())
    tf__life_unmark(&d->life);
}

/* Opened on first use, and then it carries a claim: a shared lock that
 * every process it passes to holds, so that tf_reap() leaves the
 * directory while one of them lives (tf_reap(3)). */
int tf_dir_fd(const tf_dir *cd) {
  tf_dir *d = (tf_dir *)cd; /* the fd is the handle's, made on demand */
  struct tf__stat st;
  int fd, err;
  if (d == NULL)
    return -EINVAL;
  if (d->gone)
    return -EBADF;
  if (d->fd < 0) {
    fd = open_made(d->anchor->fd, d->name);
    if (fd < 0)
      return errno == ELOOP || errno == ENOTDIR ? -ESTALE : -errno;
    if (tf__sys.statfd(fd, &st) != 0)
      err = -errno;
    else if (!tf__same_object(&st, &d->id))
      err = -ESTALE; /* another directory took the name */
    else
      err = 0;
    if (err < 0) {
      tf__close_quiet(fd);
      if (err == -ESTALE)
        name_taken(d);
      return err;
    }
    d->fd = fd;
  }
  if (!d->claimed && d->life.mark.rec != NULL) {
    tf__sys.flock(d->fd, LOCK_SH | LOCK_NB); /* O_PATH: no claim */
    d->claimed = 1;
  }
  return d->fd;
}

int tf_dir_keep(tf_dir *d) {
  if (d == NULL)
    return -EINVAL;
  if (d->owner == tf__current_pid()) {
    tf__life_unmark(&d->life);
    tf__life_end(&d->life);
  }
  d->flags |= TF_KEEP;
  return 0;
}

static void forget_dir(tf_dir *d) {
  tf__close_quiet(d->fd);
  d->fd = -1;
  d->gone = 1;
}

/* Remove the tree if the name still refers to the directory made. */
static int remove_tree(tf_dir *d) {
  int parentfd = d->anchor->fd, rc, top, err;
  struct tf__stat st;
  /* Empty: removed at once.  Whatever has the name, an empty directory's
   * removal destroys nothing (and a symlink is no directory to rmdir). */
  if (tf__sys.unlinkat(parentfd, d->name, AT_REMOVEDIR) == 0 ||
      errno == ENOENT) { /* or removed or renamed away by the caller */
    forget_dir(d);
    return 0;
  }
  err = errno;
  if (err == ENOTDIR)
    return -ESTALE; /* not a directory: another object has the name */
  if (d->fd < 0) {
    /* Opened without following a link, and checked, by the walk. */
    rc = tf__rmtree_named(parentfd, d->name, &d->id, &top);
  } else {
    if (tf__sys.statat(parentfd, d->name, &st) != 0) {
      if (errno != ENOENT)
        return -errno;
      forget_dir(d);
      return 0;
    }
    if (!tf__same_object(&st, &d->id))
      return -ESTALE;
    /* Emptied again while entries keep coming, a few times (rmtree.c). */
    rc = tf__rmtree_dir(d->fd, parentfd, d->name, &top);
  }
  if (top < 0)
    return rc < 0 ? rc : top;
  forget_dir(d);
  return rc;
}

int tf_dir_cleanup(tf_dir *d) {
  int rc;
  if (d == NULL || d->gone || d->owner != tf__current_pid())
    return 0;
  /* Removed at exit or by tf_cleanup_all(): the name is not ours now. */
  if (tf__reg_cleaned(d->life.slot)) {
    forget_dir(d);
    tf__life_end(&d->life);
    return 0;
  }
  rc = remove_tree(d);
  if (rc == -ESTALE)
    name_taken(d);
  if (d->gone)
    tf__life_end(&d->life); /* removed, or no longer ours to remove */
  return d->flags & TF_IGNORE_ERRORS ? 0 : rc;
}

int tf_dir_free(tf_dir *d) {
  int rc = 0;
  pid_t outer;
  if (d == NULL)
    return 0;
  outer = tf__pid_scope_begin(); /* its ownership checks: one getpid() */
  if (!(d->flags & TF_KEEP))
    rc = tf_dir_cleanup(d);
  if (d->owner == tf__current_pid())
    tf__life_end(&d->life);
  tf__pid_scope_end(outer);
  tf__close_quiet(d->fd);
  tf__anchor_put(d->anchor);
  tf__freemem(d->path);
  tf__freemem(d);
  return rc;
}
