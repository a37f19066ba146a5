/* SPDX-License-Identifier: MIT */
/*
 * rmtree_signal.c - removing a registered directory by its parent's fd
 * and name: at exit with the full secure walk (rmtree.c), and in a
 * signal handler with a walk that makes only async-signal-safe calls
 * and allocates nothing.  That walk calls the system directly, not
 * through tf__sys, on purpose: a handler must not depend on a table that
 * a test (or a later change) may have pointed at code that is not
 * async-signal-safe.
 *
 * The signal-safe walk keeps one frame per level (fd, name, where to
 * resume its listing) in static memory, up to MAX_DEPTH levels, and one
 * listing buffer: after coming back from a child it seeks the parent to
 * the entry after that child's, so nothing is listed twice and an entry
 * that can not be removed is not retried.  Like rmtree.c it never
 * follows a symlink (O_NOFOLLOW, unlinkat) and never leaves the tree's
 * file system, and, as rmtree.c, a directory that denies its owner
 * read, write or search gains them through an fd of that directory
 * (an O_PATH one when it can not be read).  Deeper levels are left.  Two
 * handlers running at once in different threads take turns (the state
 * is static).
 */
#include "internal.h"

#include <string.h>
#include <time.h>

#define MAX_DEPTH 64
#define EMPTY_PASSES 16

struct sig_frame {
  int fd;
  int64_t resume; /* listing offset to continue from */
  char name[NAME_MAX + 1];
};

static struct sig_frame frames[MAX_DEPTH];
static char listing[4096] __attribute__((aligned(8)));
static int walker_busy; /* atomic */

/* The table's EINTR policy by hand (internal.h): these calls bypass it.
 * close is made once (its result is not used); lseek cannot be
 * interrupted. */
static int sig_openat(int dirfd, const char *name, int flags) {
  int r;
  TF_RAW_RETRY(r, openat(dirfd, name, flags));
  return r;
}

static int sig_unlinkat(int dirfd, const char *name, int flags) {
  int r;
  TF_RAW_RETRY(r, unlinkat(dirfd, name, flags));
  return r;
}

static int sig_fstat(int fd, struct stat *st) {
  int r;
  TF_RAW_RETRY(r, fstat(fd, st));
  return r;
}

static int sig_fstatat(int dirfd, const char *name, struct stat *st) {
  int r;
  TF_RAW_RETRY(r, fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW));
  return r;
}

#define DIR_OPEN (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)

#if TF_HAVE_O_PATH
#define DIR_ANCHOR (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#else
#define DIR_ANCHOR DIR_OPEN
#endif

/* Open name in parentfd, a directory of file system dev, for listing and
 * emptying, granting its owner rwx first where it lacks them; -1 if it
 * can not be.  With ino not 0, only that very directory. */
static int open_child(int parentfd, const char *name, dev_t dev, ino_t ino) {
  struct stat st;
  int fd = sig_openat(parentfd, name, DIR_ANCHOR), listing_fd;
  if (fd < 0)
    return -1;
  /* Another file system is never entered. */
  if (sig_fstat(fd, &st) != 0 || st.st_dev != dev ||
      (ino && st.st_ino != ino)) {
    errno = ESTALE;
    goto fail;
  }
  if ((st.st_mode & 0700) != 0700 &&
      tf__raw_fchmod(fd, (st.st_mode & 07777) | 0700) != 0)
    goto fail;
  listing_fd = sig_openat(fd, ".", DIR_OPEN);
  close(fd);
  return listing_fd;
fail:
  close(fd);
  return -1;
}

static int is_dot(const char *n) {
  return n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'));
}

static int is_dir_entry(int fd, const struct tf__raw_dirent *e) {
  struct stat st;
  if (e->type != DT_UNKNOWN)
    return e->type == DT_DIR;
  return sig_fstatat(fd, e->name, &st) == 0 &&
         S_ISDIR(st.st_mode);
}

/* Unlink what frames[*depth] lists, until the listing ends (0) or a
 * subdirectory was entered (1, *depth grown). */
static int empty_level(int *depth, dev_t dev) {
  struct sig_frame *f = &frames[*depth];
  struct tf__raw_dirent e;
  size_t pos;
  ssize_t len;
  int child;
  while ((len = tf__raw_listing(f->fd, listing, sizeof(listing))) > 0) {
    pos = 0;
    while (tf__raw_entry(listing, (size_t)len, &pos, &e)) {
      if (is_dot(e.name))
        continue;
      if (!is_dir_entry(f->fd, &e)) {
        sig_unlinkat(f->fd, e.name, 0);
        continue;
      }
      if (sig_unlinkat(f->fd, e.name, AT_REMOVEDIR) == 0 ||
          *depth + 1 >= MAX_DEPTH || strlen(e.name) > NAME_MAX)
        continue;
      child = open_child(f->fd, e.name, dev, 0);
      if (child < 0)
        continue;
      f->resume = e.next;
      f = &frames[++*depth];
      f->fd = child;
      strcpy(f->name, e.name);
      return 1;
    }
  }
  return 0;
}

/* Empty the directory open at topfd (not closed here). */
static void empty_tree_signal_safe(int topfd, dev_t dev) {
  struct timespec pause = {0, 1000000};
  int depth = 0;
  while (__atomic_exchange_n(&walker_busy, 1, __ATOMIC_ACQUIRE))
    nanosleep(&pause, NULL);
  frames[0].fd = topfd;
  lseek(topfd, 0, SEEK_SET); /* a second pass lists from the start */
  for (;;) {
    if (empty_level(&depth, dev))
      continue;
    if (depth == 0)
      break;
    close(frames[depth].fd);
    depth--;
    sig_unlinkat(frames[depth].fd, frames[depth + 1].name, AT_REMOVEDIR);
    lseek(frames[depth].fd, frames[depth].resume, SEEK_SET);
  }
  __atomic_store_n(&walker_busy, 0, __ATOMIC_RELEASE);
}

/* Whether the directory open at fd is the one with identity id, birth
 * time included (its inode number may have been given to another). */
static int is_made(int fd, const struct tf__stat *id) {
  struct tf__stat now;
  int r;
  TF_RAW_RETRY(r, tf__raw_statfd(fd, &now));
  return r == 0 && tf__same_object(&now, id);
}

int tf__remove_dir_by_name(int parentfd, const char *name,
                           const struct tf__stat *id, int in_signal) {
  struct stat st;
  dev_t dev = id->dev;
  ino_t ino = id->ino;
  int pass, rc = -1;
  /* Only the directory that was made: not one that took its name. */
  int fd = open_child(parentfd, name, dev, ino);
  if (fd >= 0 && !is_made(fd, id)) {
    close(fd);
    fd = -1;
    errno = ESTALE;
  }
  if (fd < 0) /* gone, renamed away, or not ours: nothing to do */
    return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ||
                   errno == ESTALE
               ? 0
               : -1;
  /* Other threads of the process may still be adding entries: empty it
   * again while the removal finds it not empty, a few times. */
  for (pass = 0; pass < EMPTY_PASSES; pass++) {
    if (in_signal)
      empty_tree_signal_safe(fd, dev);
    else
      tf__rmtree_contents(fd);
    if (sig_fstatat(parentfd, name, &st) != 0 ||
        st.st_dev != dev || st.st_ino != ino) {
      rc = 0;
      break;
    }
    if (sig_unlinkat(parentfd, name, AT_REMOVEDIR) == 0) {
      rc = 1;
      break;
    }
    if (errno != ENOTEMPTY)
      break;
  }
  close(fd);
  return rc;
}
