/* SPDX-License-Identifier: MIT */
/*
 * create.c - the creation primitives: mkstemp, mkdtemp, mktemp and
 * unnamed files, each with a path form and a form anchored on a directory
 * fd.  They share the bounded retry loop of name.c, which retries only
 * on EEXIST.
 * Results are allocated before anything is created, so no failure after
 * creation can strand a file.
 */
#include "internal.h"

#include <string.h>

/* Allocate the result for dir (len bytes), then create in it. */
static int create_in_dir(char **path_out, const char *dir, size_t len,
                         const struct tf__name *n, const tf_opts *o,
                         enum tf__kind kind, mode_t mode) {
  size_t head = tf__head_len(dir, len), total = head + tf__name_len(n) + 1;
  char *path;
  int rc;
  if (total > PATH_MAX)
    return -ENAMETOOLONG;
  path = tf__malloc(total);
  if (path == NULL)
    return -ENOMEM;
  tf__write_head(path, dir, len);
  rc = tf__create_in(AT_FDCWD, path, path + head, n, kind, o->open_flags,
                     mode);
  if (rc < 0) {
    tf__freemem(path);
    return rc;
  }
  *path_out = path;
  return rc;
}

/* The first file made in the temporary directory before it is known
 * (with no open flags of the caller's, which the discovery's own file
 * would not have): made in each candidate in turn, where it also is the
 * discovery's probe (a file is made there and takes data), so that a
 * short-lived process pays for no probe file of its own.  The first
 * candidate where that works is the temporary directory from then on,
 * as tf_gettempdir() would have found it. */
static int create_discovering(char **path_out, const struct tf__name *n,
                              const tf_opts *o, mode_t mode) {
  char dir[PATH_MAX];
  size_t i;
  for (i = 0;; i++) {
    char *path;
    int len = tf__tempdir_candidate(i, dir, sizeof(dir)), fd;
    if (len == 0)
      return -ENOENT; /* as tf_gettempdir() */
    if (len < 0)
      continue;
    fd = create_in_dir(&path, dir, (size_t)len, n, o, TF_KIND_FILE, mode);
    if (fd < 0)
      continue;
    if (tf__tempdir_takes_data(fd) == 0) {
      tf__tempdir_found(dir, (size_t)len);
      *path_out = path;
      return fd;
    }
    tf__sys.unlinkat(AT_FDCWD, path, 0);
    tf__close_quiet(fd);
    tf__freemem(path);
  }
}

/* The path forms: validate, find the directory, allocate the result,
 * then create. */
static int create_path(char **path_out, const tf_opts *opts,
                       enum tf__kind kind, mode_t default_mode) {
  struct tf__name n;
  tf_opts o;
  char buf[PATH_MAX];
  const char *dir;
  int rc;

  if (path_out == NULL)
    return -EINVAL;
  rc = tf__opts_take(&o, opts, 0, 0);
  if (rc < 0)
    return rc;
  rc = tf__name_init(&n, &o);
  if (rc < 0)
    return rc;
  if (o.dir == NULL && kind == TF_KIND_FILE && o.open_flags == 0 &&
      tf__tempdir_known(buf, sizeof(buf)) == 0)
    return create_discovering(path_out, &n, &o,
                              tf__opts_mode(&o, default_mode));
  rc = tf__resolve_dir(&o, buf, sizeof(buf), &dir);
  if (rc < 0)
    return rc;
  return create_in_dir(path_out, dir, (size_t)rc, &n, &o, kind,
                       tf__opts_mode(&o, default_mode));
}

/* The *at forms: the name is relative to dirfd; name_out may be NULL. */
static int create_at(int dirfd, char **name_out, const tf_opts *opts,
                     enum tf__kind kind, mode_t default_mode) {
  struct tf__name n;
  tf_opts o;
  char local[NAME_MAX + 1];
  char *name = local;
  int rc = tf__opts_take(&o, opts, 0, TF__OPTS_AT);
  if (rc == 0 && tf__bad_dirfd(dirfd))
    rc = -EBADF;
  if (rc < 0)
    return rc;
  rc = tf__name_init(&n, &o);
  if (rc < 0)
    return rc;
  if (name_out != NULL) {
    name = tf__malloc(tf__name_len(&n) + 1);
    if (name == NULL)
      return -ENOMEM;
  }
  rc = tf__create_in(dirfd, name, name, &n, kind, o.open_flags,
                     tf__opts_mode(&o, default_mode));
  if (name_out == NULL)
    return rc;
  if (rc < 0) {
    tf__freemem(name);
    return rc;
  }
  *name_out = name;
  return rc;
}

int tf_mkstemp(char **path_out, const tf_opts *opts) {
  return create_path(path_out, opts, TF_KIND_FILE, 0600);
}

int tf_mkstempat(int dirfd, char **name_out, const tf_opts *opts) {
  return create_at(dirfd, name_out, opts, TF_KIND_FILE, 0600);
}

int tf_mkdtemp(char **path_out, const tf_opts *opts) {
  return create_path(path_out, opts, TF_KIND_DIR, 0700);
}

int tf_mkdtempat(int dirfd, char **name_out, const tf_opts *opts) {
  if (name_out == NULL)
    return -EINVAL; /* a directory nobody can name could not be removed */
  return create_at(dirfd, name_out, opts, TF_KIND_DIR, 0700);
}

int tf_mktemp(char **path_out, const tf_opts *opts) {
  return create_path(path_out, opts, TF_KIND_NOCREATE, 0);
}

int tf_mktempat(int dirfd, char **name_out, const tf_opts *opts) {
  if (name_out == NULL)
    return -EINVAL; /* a name nobody sees is of no use */
  return create_at(dirfd, name_out, opts, TF_KIND_NOCREATE, 0);
}

/* ------------------------------------------------------- unnamed files */

/* Errors by which a file system says it has no O_TMPFILE; support is per
 * mount, so they send this one call to the fallback and are not cached. */
int tf__tmpfile_unsupported(int err) {
  return err == EOPNOTSUPP || err == EISDIR || err == EINVAL ||
         err == ENOENT || err == ENOSYS;
}

/* Create a named file in dir (relative to dirfd) and remove it at once.
 * If the removal fails the fd is closed and the error returned. */
static int named_then_unlinked(int dirfd, const char *dir, size_t dir_len,
                               const tf_opts *o, int oflags, mode_t mode) {
  struct tf__name n;
  char path[PATH_MAX];
  size_t head = tf__head_len(dir, dir_len);
  int fd, rc = tf__name_init(&n, o);
  if (rc < 0)
    return rc;
  if (head + tf__name_len(&n) + 1 > sizeof(path))
    return -ENAMETOOLONG;
  tf__write_head(path, dir, dir_len);
  fd = tf__create_in(dirfd, path, path + head, &n, TF_KIND_FILE, oflags,
                     mode);
  if (fd < 0)
    return fd;
  if (tf__sys.unlinkat(dirfd, path, 0) != 0) {
    /* Nothing may be left: one more try once the fd is closed (a
     * passing failure), and the first error is what is reported. */
    rc = -errno;
    tf__close_quiet(fd);
    tf__sys.unlinkat(dirfd, path, 0);
    errno = -rc;
    return rc;
  }
  return fd;
}

/* dir (dir_len bytes count; "" for dirfd itself) relative to dirfd. */
static int open_unnamed(int dirfd, const char *dir, size_t dir_len,
                        const tf_opts *o) {
  int oflags = o->open_flags;
  mode_t mode = tf__opts_mode(o, 0600);
  if (TF_O_TMPFILE != 0) {
    int fd = tf__sys.openat(dirfd, dir[0] ? dir : ".",
                            TF_O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC | oflags,
                            mode);
    if (fd >= 0)
      return fd;
    if (!tf__tmpfile_unsupported(errno))
      return -errno;
  }
  return named_then_unlinked(dirfd, dir, dir_len, o, oflags, mode);
}

int tf__tmpfile(int dirfd, int is_at, const tf_opts *o) {
  char buf[PATH_MAX];
  const char *dir;
  int rc;
  if (is_at)
    return open_unnamed(dirfd, "", 0, o);
  rc = tf__resolve_dir(o, buf, sizeof(buf), &dir);
  if (rc < 0)
    return rc;
  return open_unnamed(AT_FDCWD, dir, (size_t)rc, o);
}

/* The name only matters to the fallback, but a bad prefix, suffix or
 * length is rejected before any effect all the same (TF__OPTS_NAME). */
int tf_tmpfile(const tf_opts *opts) {
  tf_opts o;
  int rc = tf__opts_take(&o, opts, 0, TF__OPTS_NAME);
  return rc < 0 ? rc : tf__tmpfile(AT_FDCWD, 0, &o);
}

int tf_tmpfileat(int dirfd, const tf_opts *opts) {
  tf_opts o;
  int rc = tf__opts_take(&o, opts, 0, TF__OPTS_AT | TF__OPTS_NAME);
  if (rc == 0 && tf__bad_dirfd(dirfd))
    rc = -EBADF;
  return rc < 0 ? rc : tf__tmpfile(dirfd, 1, &o);
}
