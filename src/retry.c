/* SPDX-License-Identifier: MIT */
/*
 * retry.c - the one bounded retry loop that creates under fresh names on
 * POSIX: create.c, the handles and tempdir.c's probe all use it (the
 * Windows files have their own, in win/create_win.c).
 */
#include "internal.h"

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
