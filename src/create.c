/* SPDX-License-Identifier: MIT */
/*
 * create.c - the creation primitives: mkstemp, mkdtemp, mktemp and
 * unnamed files, each with a path form and a form anchored on a directory
 * fd.  They share one bounded retry loop that retries only on EEXIST.
 * Results are allocated before anything is created, so no failure after
 * creation can strand a file.
 */
#include "internal.h"

#include <string.h>

static mode_t mode_or(const tf_opts *o, mode_t fallback) {
  return o != NULL && o->mode != 0 ? (mode_t)o->mode : fallback;
}

static int open_flags_of(const tf_opts *o) {
  return o != NULL ? o->open_flags : 0;
}

size_t tf__head_len(const char *dir, size_t dir_len) {
  return dir_len + (dir_len > 0 && dir[dir_len - 1] != '/');
}

size_t tf__write_head(char *out, const char *dir, size_t dir_len) {
  size_t head = tf__head_len(dir, dir_len);
  memcpy(out, dir, dir_len);
  if (head > dir_len)
    out[dir_len] = '/';
  return head;
}

static int open_anchor(const tf_opts *o, int dirfd, int is_at, char *buf,
                       const char **dir, size_t *dir_len) {
  int fd, len;
  if (is_at) {
    /* The handle owns its anchor: a duplicate, or "." opened now. */
    *dir = "";
    *dir_len = 0;
    fd = dirfd == AT_FDCWD ? tf__sys.openat(AT_FDCWD, ".", TF_O_DIRANCHOR, 0)
                           : tf__sys.fcntl_dupfd(dirfd);
    return fd >= 0 ? fd : -errno;
  }
  len = tf__resolve_dir(o, buf, PATH_MAX, dir);
  if (len < 0)
    return len;
  *dir_len = (size_t)len;
  fd = tf__sys.openat(AT_FDCWD, *dir, TF_O_DIRANCHOR, 0);
  return fd >= 0 ? fd : -errno;
}

int tf__handle_begin(const tf_opts *o, unsigned allowed_flags, int dirfd,
                     int is_at, struct tf__name *n, char *buf,
                     const char **dir, size_t *dir_len) {
  int rc = tf__check_opts(o, allowed_flags, is_at);
  if (rc < 0)
    return rc;
  rc = tf__name_init(n, o);
  if (rc < 0)
    return rc;
  tf__lib_init();
  return open_anchor(o, dirfd, is_at, buf, dir, dir_len);
}

/* Try up to TF_ATTEMPTS names.  Each is written at slot, which lies at
 * the end of path (or is path); path, relative to dirfd, is what gets
 * created.  Returns the fd for files, 0 for the other kinds, or -errno;
 * -EEXIST when every name was taken. */
int tf__create_in(int dirfd, const char *path, char *slot,
                  const struct tf__name *n, enum tf__kind kind, int oflags,
                  mode_t mode) {
  int attempt;
  for (attempt = 0; attempt < TF_ATTEMPTS; attempt++) {
    struct stat st;
    int rc = tf__name_next(n, slot);
    if (rc < 0)
      return rc;
    switch (kind) {
    case TF_KIND_FILE:
      rc = tf__sys.openat(dirfd, path, TF_FILE_FLAGS | oflags, mode);
      if (rc >= 0)
        return rc;
      break;
    case TF_KIND_DIR:
      if (tf__sys.mkdirat(dirfd, path, mode) == 0)
        return 0;
      break;
    case TF_KIND_NOCREATE:
      /* As Python's mktemp: only a name lstat() finds is taken; any other
       * answer (missing, a file or an unsearchable directory on the way)
       * makes it free.  A bad dirfd is the caller's error. */
      if (tf__sys.fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == EBADF ? -EBADF : 0;
      errno = EEXIST;
      break;
    }
    if (errno != EEXIST)
      return -errno;
  }
  return -EEXIST;
}

/* The path forms: validate, find the directory, allocate the result,
 * then create. */
static int create_path(char **path_out, const tf_opts *o, enum tf__kind kind,
                       mode_t default_mode) {
  struct tf__name n;
  char buf[PATH_MAX];
  const char *dir;
  char *path;
  size_t head, total;
  int rc;

  if (path_out == NULL)
    return -EINVAL;
  rc = tf__check_opts(o, 0, 0);
  if (rc < 0)
    return rc;
  rc = tf__name_init(&n, o);
  if (rc < 0)
    return rc;
  rc = tf__resolve_dir(o, buf, sizeof(buf), &dir);
  if (rc < 0)
    return rc;
  head = tf__head_len(dir, (size_t)rc);
  total = head + tf__name_len(&n) + 1;
  if (total > PATH_MAX)
    return -ENAMETOOLONG;
  path = tf__malloc(total);
  if (path == NULL)
    return -ENOMEM;
  tf__write_head(path, dir, (size_t)rc);
  rc = tf__create_in(AT_FDCWD, path, path + head, &n, kind, open_flags_of(o),
                     mode_or(o, default_mode));
  if (rc < 0) {
    tf__freemem(path);
    return rc;
  }
  *path_out = path;
  return rc;
}

/* The *at forms: the name is relative to dirfd; name_out may be NULL. */
static int create_at(int dirfd, char **name_out, const tf_opts *o,
                     enum tf__kind kind, mode_t default_mode) {
  struct tf__name n;
  char local[NAME_MAX + 1];
  char *name = local;
  int rc = tf__check_opts(o, 0, 1);
  if (rc < 0)
    return rc;
  rc = tf__name_init(&n, o);
  if (rc < 0)
    return rc;
  if (name_out != NULL) {
    name = tf__malloc(tf__name_len(&n) + 1);
    if (name == NULL)
      return -ENOMEM;
  }
  rc = tf__create_in(dirfd, name, name, &n, kind, open_flags_of(o),
                     mode_or(o, default_mode));
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
    rc = -errno;
    tf__close_quiet(fd);
    return rc;
  }
  return fd;
}

/* dir (dir_len bytes count; "" for dirfd itself) relative to dirfd. */
static int open_unnamed(int dirfd, const char *dir, size_t dir_len,
                        const tf_opts *o) {
  int oflags = open_flags_of(o);
  mode_t mode = mode_or(o, 0600);
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

/* The name only matters to the fallback, but a bad prefix, suffix or
 * length is rejected before any effect all the same.  The defaults are
 * always valid. */
static int check_unnamed_name(const tf_opts *o) {
  struct tf__name n;
  if (o == NULL || (o->prefix == NULL && o->suffix == NULL && !o->random_len))
    return 0;
  return tf__name_init(&n, o);
}

int tf_tmpfile(const tf_opts *opts) {
  char buf[PATH_MAX];
  const char *dir;
  int rc = tf__check_opts(opts, 0, 0);
  if (rc < 0)
    return rc;
  rc = check_unnamed_name(opts);
  if (rc < 0)
    return rc;
  rc = tf__resolve_dir(opts, buf, sizeof(buf), &dir);
  if (rc < 0)
    return rc;
  return open_unnamed(AT_FDCWD, dir, (size_t)rc, opts);
}

int tf_tmpfileat(int dirfd, const tf_opts *opts) {
  int rc = tf__check_opts(opts, 0, 1);
  if (rc < 0)
    return rc;
  rc = check_unnamed_name(opts);
  if (rc < 0)
    return rc;
  return open_unnamed(dirfd, "", 0, opts);
}
