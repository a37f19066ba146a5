/* SPDX-License-Identifier: MIT */
/*
 * file.c - the named temporary file handle (Python's NamedTemporaryFile):
 * an fd, a path, a stdio stream on demand, a delete policy, and publishing
 * the file under a final name (the Rust crate's persist).  The handle
 * holds an anchor of its parent directory (shared, anchor.c) and does
 * every later removal or rename relative to it, and only the process that
 * created it deletes.
 */
#include "internal.h"

#include <string.h>
#include <sys/file.h>

struct tf_file {
  int fd;                      /* -1 once closed */
  struct tf__anchor *anchor;   /* of every later *at() call */
  struct tf__fdstream stream;  /* fp NULL until tf_file_stream() */
  char *path;                  /* absolute path, or relative to the
                                  caller's dirfd for tf_file_createat() */
  const char *name;            /* basename inside path, in the anchor */
  unsigned int flags;          /* TF_KEEP, TF_DELETE_ON_FREE */
  pid_t owner;                 /* the creating process */
  int keep;                    /* never delete */
  int deleted;                 /* removed by the handle */
  int published;               /* renamed to its final name */
  int claimed;                 /* fd holds a shared lock (tf_file_fd()) */
  struct tf__life life;        /* ledger record and registry slot */
};

static int owned_here(const tf_file *f) {
  return f->owner == tf__current_pid();
}

/* Make the file at p->name and the handle (tf__handle_create()'s build
 * function). */
static int file_build(void *out, const struct tf__place *p) {
  const tf_opts *o = p->o;
  tf_file *f = tf__malloc(sizeof(*f));
  int rc;
  if (f == NULL)
    return -ENOMEM;
  /* Created by its basename relative to the directory fd, never by path. */
  rc = tf__create_in(p->anchor->fd, p->name, p->name, p->n, TF_KIND_FILE,
                     o->open_flags, tf__opts_mode(o, 0600));
  if (rc < 0)
    goto fail;
  f->fd = rc;
  f->anchor = p->anchor;
  f->path = p->path;
  f->name = p->name;
  f->life.slot = NULL;
  f->life.mark.rec = NULL;
  if (!(o->flags & TF_KEEP)) {
    rc = tf__life_start(&f->life, o->flags, TF_OBJ_FILE, f->anchor, f->name,
                        NULL);
    if (rc < 0) {
      tf__sys.unlinkat(p->anchor->fd, p->name, 0);
      tf__close_quiet(f->fd);
      goto fail;
    }
  }
  f->stream.fp = NULL;
  f->flags = o->flags;
  f->owner = tf__current_pid();
  f->keep = (f->flags & TF_KEEP) != 0;
  f->deleted = 0;
  f->published = 0;
  f->claimed = 0;
  *(tf_file **)out = f;
  return 0;

fail:
  tf__freemem(f);
  return rc;
}

#define FILE_FLAGS (TF_KEEP | TF_DELETE_ON_FREE | TF_UNTRACKED)

int tf_file_create(tf_file **out, const tf_opts *opts) {
  return tf__handle_create(out, AT_FDCWD, 0, opts, FILE_FLAGS, file_build);
}

int tf_file_createat(tf_file **out, int dirfd, const tf_opts *opts) {
  return tf__handle_create(out, dirfd, 1, opts, FILE_FLAGS, file_build);
}

/* The descriptor handed out carries a claim: a shared lock that every
 * process it passes to holds, so that tf_reap() leaves the file while one
 * of them lives (tf_reap(3)).  Taken once, when first asked for. */
int tf_file_fd(const tf_file *f) {
  if (f == NULL)
    return -EINVAL;
  if (f->fd < 0)
    return -EBADF;
  if (!f->claimed && f->life.mark.rec != NULL) {
    tf__sys.flock(f->fd, LOCK_SH | LOCK_NB);
    ((tf_file *)f)->claimed = 1;
  }
  return f->fd;
}

const char *tf_file_path(const tf_file *f) { return f ? f->path : NULL; }

int tf_file_stream(tf_file *f, FILE **out) {
  if (f == NULL || out == NULL)
    return -EINVAL;
  if (f->fd < 0)
    return -EBADF;
  if (f->stream.fp == NULL) {
    int rc = tf__fdstream_open(&f->stream, f->fd);
    if (rc < 0)
      return rc;
  }
  *out = f->stream.fp;
  return 0;
}

/* Whether the handle will still delete the file. */
static int will_delete(const tf_file *f) {
  return !f->keep && !f->deleted && !f->published && owned_here(f);
}

/* Close the stream if any, then the fd; first error. */
static int close_fd(tf_file *f) {
  int rc = 0;
  if (f->fd < 0)
    return 0;
  rc = tf__fdstream_close(&f->stream);
  if (tf__sys.close(f->fd) != 0 && rc == 0)
    rc = -errno;
  f->fd = -1;
  return rc;
}

/* Remove the file if this process owns it and it is still ours to remove.
 * A file the caller already removed is not an error. */
static int delete_file(tf_file *f) {
  if (!will_delete(f))
    return 0;
  /* Removed at exit or by tf_cleanup_all(): the name is not ours now. */
  if (!tf__reg_cleaned(f->life.slot) &&
      tf__sys.unlinkat(f->anchor->fd, f->name, 0) != 0 && errno != ENOENT)
    return -errno;
  f->deleted = 1;
  tf__life_end(&f->life);
  return 0;
}

int tf_file_close(tf_file *f) {
  int rc, rc_delete = 0;
  if (f == NULL)
    return 0;
  /* Deleted before the fd closes: the liveness lock lasts as long as the
   * name, so no reaper ever takes this live file for a leftover. */
  if (!(f->flags & TF_DELETE_ON_FREE))
    rc_delete = delete_file(f);
  rc = close_fd(f);
  return rc < 0 ? rc : rc_delete;
}

int tf_file_keep(tf_file *f) {
  if (f == NULL)
    return -EINVAL;
  if (f->keep)
    return 0;
  if (will_delete(f)) {
    tf__life_unmark(&f->life);
    tf__life_end(&f->life);
  }
  f->keep = 1;
  return 0;
}

int tf_file_free(tf_file *f) {
  int rc, rc_delete;
  pid_t outer;
  if (f == NULL)
    return 0;
  outer = tf__pid_scope_begin(); /* its ownership checks: one getpid() */
  rc_delete = delete_file(f); /* first, as in tf_file_close() */
  rc = close_fd(f);
  if (owned_here(f))
    tf__life_end(&f->life); /* also when the delete failed */
  tf__pid_scope_end(outer);
  tf__anchor_put(f->anchor);
  tf__freemem(f->path);
  tf__freemem(f);
  return rc < 0 ? rc : rc_delete;
}

/* ----------------------------------------------------------- publishing */

int tf__rename_noclobber(int odir, const char *oname, int ndir,
                         const char *nname) {
  int err;
  if (tf__sys.renameat2(odir, oname, ndir, nname, RENAME_NOREPLACE) == 0)
    return 0;
  err = errno;
  if (err != ENOSYS && err != EINVAL && err != EOPNOTSUPP)
    return -err;
  if (tf__sys.linkat(odir, oname, ndir, nname, 0) != 0)
    return -errno;
  if (tf__sys.unlinkat(odir, oname, 0) != 0 && errno != ENOENT) {
    err = errno;
    /* Undo: the new name is ours (linkat just made it), so the caller
     * still has exactly the file it had. */
    tf__sys.unlinkat(ndir, nname, 0);
    return -err;
  }
  return 0;
}

/* Apply mode to the file; *old_mode (OUT) gets the mode it had. */
static int apply_mode(tf_file *f, mode_t mode, mode_t *old_mode) {
  struct stat st;
  if (f->fd >= 0 ? tf__sys.fstat(f->fd, &st)
                 : tf__sys.fstatat(f->anchor->fd, f->name, &st,
                                   AT_SYMLINK_NOFOLLOW))
    return -errno;
  *old_mode = st.st_mode & 07777;
  if (f->fd >= 0 ? tf__sys.fchmod(f->fd, mode)
                 : tf__sys.fchmodat(f->anchor->fd, f->name, mode,
                                    AT_SYMLINK_NOFOLLOW))
    return -errno;
  return 0;
}

static void restore_mode(tf_file *f, mode_t mode) {
  int saved = errno;
  if (f->fd >= 0)
    tf__sys.fchmod(f->fd, mode);
  else
    tf__sys.fchmodat(f->anchor->fd, f->name, mode, AT_SYMLINK_NOFOLLOW);
  errno = saved;
}

/* The path the file will have (OUT: *out, malloc'd): absolute for paths
 * relative to the current directory, as given for another dirfd. */
static int published_path(int dirfd, const char *target, char **out) {
  char abs[PATH_MAX];
  int len;
  if (dirfd != AT_FDCWD || target[0] == '/') {
    *out = tf__strndup(target, strlen(target));
  } else {
    len = tf__abspath(target, abs, sizeof(abs));
    if (len < 0)
      return len;
    *out = tf__strndup(abs, (size_t)len);
  }
  return *out ? 0 : -ENOMEM;
}

static int rename_to(tf_file *f, int dirfd, const char *target,
                     unsigned int flags) {
  if (flags & TF_NOCLOBBER)
    return tf__rename_noclobber(f->anchor->fd, f->name, dirfd, target);
  return tf__sys.renameat(f->anchor->fd, f->name, dirfd, target) == 0
             ? 0
             : -errno;
}

int tf_file_publishat(tf_file *f, int dirfd, const char *target,
                      unsigned int mode, unsigned int flags) {
  mode_t old_mode = 0;
  char *new_path;
  int rc;
  if (f == NULL || target == NULL || target[0] == '\0' ||
      (flags & ~TF_NOCLOBBER) || (mode & ~07777u))
    return -EINVAL;
  if (tf__bad_dirfd(dirfd))
    return -EBADF;
  if (f->published)
    return -EINVAL;
  if (f->deleted)
    return -ENOENT;
  /* What the stream still buffers must be in the file before it has its
   * final name. */
  rc = tf__fdstream_flush(&f->stream);
  if (rc < 0)
    return rc;
  rc = published_path(dirfd, target, &new_path);
  if (rc < 0)
    return rc;
  if (mode != 0) {
    rc = apply_mode(f, mode, &old_mode);
    if (rc < 0)
      goto fail;
  }
  /* Under its final name the file must not look like a leftover. */
  if (will_delete(f))
    tf__life_unmark(&f->life);
  rc = rename_to(f, dirfd, target, flags);
  if (rc < 0) {
    if (will_delete(f))
      tf__life_remark(&f->life);
    if (mode != 0)
      restore_mode(f, old_mode);
    goto fail;
  }
  if (owned_here(f))
    tf__life_end(&f->life);
  tf__freemem(f->path);
  f->path = new_path;
  f->name = f->path; /* unused from now on: the handle never deletes */
  f->published = 1;
  return 0;
fail:
  tf__freemem(new_path);
  return rc;
}

int tf_file_publish(tf_file *f, const char *target, unsigned int mode,
                    unsigned int flags) {
  return tf_file_publishat(f, AT_FDCWD, target, mode, flags);
}
