/* SPDX-License-Identifier: MIT */
/*
 * atomic_target.c - finding the file an atomic replacement replaces: the
 * directory it lives in (opened once, so every later step is relative to
 * it), its name there, and what is there now.  Symlinks are followed hop
 * by hop with readlinkat(), so the temporary file can be made next to
 * the file the last link names: that is the only place a rename can put
 * it without EXDEV, and it keeps the links.
 */
#include "internal.h"

#include <string.h>

/* Symlinks followed before -ELOOP, as the kernel's path walk allows. */
#define TF_MAX_LINKS 40

/* The directory part of path (with its length, 0 for none) and the name
 * after the last '/'.  A path ending in '/', ".", ".." or "" names a
 * directory, or nothing a file can replace. */
static int split_path(const char *path, size_t *dir_len, const char **name) {
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  size_t len = strlen(base);
  if (len == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
    return -EISDIR;
  if (len > NAME_MAX)
    return -ENAMETOOLONG;
  *dir_len = slash == NULL ? 0 : slash == path ? 1 : (size_t)(slash - path);
  *name = base;
  return 0;
}

/* Open the directory part of path (relative to dirfd; "." when empty).
 * Read access lets it be fsynced; a directory we may write but not read
 * is anchored with O_PATH instead (which can not be synced: a durable
 * commit then reports -EACCES). */
static int open_dir(int dirfd, const char *path, size_t dir_len) {
  char buf[PATH_MAX];
  const char *dir = ".";
  int fd;
  if (dir_len > 0) {
    if (dir_len >= sizeof(buf))
      return -ENAMETOOLONG;
    memcpy(buf, path, dir_len);
    buf[dir_len] = '\0';
    dir = buf;
  }
  fd = tf__sys.openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0 && errno == EACCES)
    fd = tf__sys.openat(dirfd, dir, TF_O_DIRANCHOR, 0);
  return fd >= 0 ? fd : -errno;
}

/* Step from t's current directory and name to where path (a symlink's
 * text, relative to that directory) leads. */
static int move_to(struct tf__target *t, const char *path) {
  size_t dir_len;
  const char *name;
  int fd, rc = split_path(path, &dir_len, &name);
  if (rc < 0)
    return rc;
  if (dir_len > 0) {
    fd = open_dir(path[0] == '/' ? AT_FDCWD : t->dirfd, path, dir_len);
    if (fd < 0)
      return fd;
    tf__close_quiet(t->dirfd);
    t->dirfd = fd;
  }
  memmove(t->name, name, strlen(name) + 1);
  return 0;
}

/* What a name refers to: -EISDIR for a directory, -EINVAL for what a
 * file must never replace (FIFO, socket, device), 0 otherwise. */
static int check_kind(mode_t mode) {
  if (S_ISDIR(mode))
    return -EISDIR;
  if (S_ISREG(mode) || S_ISLNK(mode))
    return 0;
  return -EINVAL;
}

/* The link at t's name is to be replaced itself: its file, if it names a
 * regular one, lends its mode and owner.  A dangling link lends nothing;
 * a file that can not be looked at fails the call rather than have the
 * new file's mode guessed. */
static int meta_through_link(struct tf__target *t) {
  struct stat st;
  if (tf__sys.fstatat(t->dirfd, t->name, &st, 0) != 0)
    return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0 : -errno;
  if (S_ISREG(st.st_mode)) {
    t->st = st;
    t->has_meta = 1;
  }
  return 0;
}

int tf__target_open(struct tf__target *t, int dirfd, const char *path,
                    int follow) {
  size_t dir_len;
  const char *name;
  char link[PATH_MAX];
  int hops, rc = split_path(path, &dir_len, &name);
  if (rc < 0)
    return rc;
  t->present = t->has_meta = 0;
  t->dirfd = open_dir(dirfd, path, dir_len);
  if (t->dirfd < 0)
    return t->dirfd;
  memcpy(t->name, name, strlen(name) + 1);

  for (hops = 0;; hops++) {
    ssize_t len;
    if (tf__sys.fstatat(t->dirfd, t->name, &t->st, AT_SYMLINK_NOFOLLOW) != 0) {
      rc = errno == ENOENT ? 0 : -errno;
      break;
    }
    rc = check_kind(t->st.st_mode);
    if (rc < 0)
      break;
    t->present = 1;
    if (!S_ISLNK(t->st.st_mode)) {
      t->has_meta = 1;
      break;
    }
    if (!follow) {
      rc = meta_through_link(t);
      break;
    }
    if (hops == TF_MAX_LINKS) {
      rc = -ELOOP;
      break;
    }
    len = tf__sys.readlinkat(t->dirfd, t->name, link, sizeof(link));
    if (len < 0) {
      rc = -errno;
      break;
    }
    if ((size_t)len >= sizeof(link)) {
      rc = -ENAMETOOLONG;
      break;
    }
    link[len] = '\0';
    rc = move_to(t, link);
    if (rc < 0)
      break;
    t->present = 0; /* until the link's destination is seen */
  }
  if (rc < 0) {
    tf__close_quiet(t->dirfd);
    t->dirfd = -1;
  }
  return rc;
}
