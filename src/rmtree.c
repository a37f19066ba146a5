/* SPDX-License-Identifier: MIT */
/*
 * rmtree.c - secure recursive removal.  The tree is walked by file
 * descriptors only: each directory is opened relative to its parent's fd
 * with O_NOFOLLOW, listed, emptied with unlinkat() and removed relative
 * to its parent's fd.  A symlink is never followed, another file system
 * is never entered, and a directory's mode is only changed through an fd
 * of that very directory.
 *
 * This file reads the directories and removes their entries; the stack
 * of directories the walk is in, and the fds it keeps open, are
 * rmtree_walk.c's.
 *
 * Entries are read in batches.  A batch's non-directories are unlinked at
 * once, last listed first: tmpfs lists newest first and unlinks oldest
 * first fastest (5% here).  Its directories stay pending, also taken
 * last first, so what waits in memory is at most the tree's directories.
 */
#include "rmtree.h"

#include <string.h>

#define BATCH 1024 /* entries read before acting on them */

#define DONE 0xff /* an entry dealt with; no DT_* value */

static int is_dot_or_dotdot(const char *name) {
  return name[0] == '.' &&
         (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* Add a listed entry to the current directory's batch. */
static int add_entry(struct walk *w, const struct dirent *de) {
  size_t len = strlen(de->d_name) + 1;
  struct entry *e;
  if (tf__walk_grow((void **)&w->batch, &w->batch_cap, w->nbatch + 1,
                    sizeof(struct entry), w->batch_local) < 0 ||
      tf__walk_grow((void **)&w->batch_names, &w->batch_names_cap,
                    w->batch_names_len + len, 1, w->batch_names_local) < 0)
    return -ENOMEM;
  e = &w->batch[w->nbatch++];
  e->name = w->batch_names_len;
  e->ino = de->d_ino;
  e->type = de->d_type;
  memcpy(w->batch_names + w->batch_names_len, de->d_name, len);
  w->batch_names_len += len;
  return 0;
}

/* Unlink the entry unless it is a directory, which it marks DT_DIR.
 * d_type spares a stat; a non-directory is never opened. */
static void unlink_entry(struct walk *w, struct entry *e) {
  int parentfd = fd_of(&w->frames[w->depth - 1]);
  const char *name = w->batch_names + e->name;
  if (e->type == DT_UNKNOWN) {
    struct stat st;
    if (tf__sys.fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) {
        tf__walk_note(w, -errno);
        tf__walk_skip(w, e->ino);
      }
      e->type = DONE;
      return;
    }
    e->type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
  }
  if (e->type == DT_DIR)
    return;
  e->type = DONE;
  if (tf__sys.unlinkat(parentfd, name, 0) == 0 || errno == ENOENT)
    return;
  if (errno == EISDIR) { /* it became a directory since it was listed */
    e->type = DT_DIR;
    return;
  }
  /* EBUSY: a file with something mounted on it */
  tf__walk_note(w, errno == EBUSY ? -EXDEV : -errno);
  tf__walk_skip(w, e->ino);
}

/* Keep only the batch's directories (from start on), in listing order. */
static void keep_directories(struct walk *w, size_t start, size_t names) {
  size_t i, kept = start;
  for (i = start; i < w->nbatch; i++) {
    struct entry e = w->batch[i];
    size_t len;
    if (e.type != DT_DIR)
      continue;
    len = strlen(w->batch_names + e.name) + 1;
    memmove(w->batch_names + names, w->batch_names + e.name, len);
    e.name = names;
    names += len;
    w->batch[kept++] = e;
  }
  w->nbatch = kept;
  w->batch_names_len = names;
}

/* Read the next batch of the current directory and unlink its
 * non-directories, last listed first. */
static void read_batch(struct walk *w, struct frame *f) {
  size_t start = w->nbatch, names = w->batch_names_len, i;
  while (w->nbatch - start < BATCH) {
    struct dirent *de;
    if (tf__sys.readdir(f->dir, &de) != 0) {
      tf__walk_note(w, -errno);
      f->eof = 1;
      f->rounds = TF_RMTREE_ROUNDS; /* failed: not listed again */
    } else if (de == NULL) {
      f->eof = 1;
    } else if (!is_dot_or_dotdot(de->d_name) &&
               !tf__walk_skipped(w, f, de->d_ino) && add_entry(w, de) < 0) {
      tf__walk_note(w, -ENOMEM);
      w->fatal = 1;
    }
    if (f->eof || w->fatal)
      break;
  }
  for (i = w->nbatch; i-- > start && !w->fatal;)
    unlink_entry(w, &w->batch[i]);
  keep_directories(w, start, names);
}

/* Enter the current directory's last pending directory. */
static void enter_pending(struct walk *w) {
  struct entry e = w->batch[--w->nbatch];
  char name[NAME_MAX + 1];
  snprintf(name, sizeof(name), "%s", w->batch_names + e.name);
  w->batch_names_len = e.name;
  tf__walk_descend(w, name, e.ino);
}

/* Empty and close every directory on the stack; frames[0] is the top. */
static void walk_run(struct walk *w) {
  while (w->depth > 0 && !w->fatal) {
    struct frame *f = &w->frames[w->depth - 1];
    if (w->nbatch > f->batch)
      enter_pending(w);
    else if (!f->eof)
      read_batch(w, f);
    else
      tf__walk_pop(w);
  }
  if (w->fatal) /* close what is still open */
    tf__walk_drop(w, 0);
}

/* Empty the directory open at fd (dev/ino in st), and then, if name is
 * not NULL, remove it as name in parentfd: the walk does it last, and
 * lists the directory again while new entries keep it from going (see
 * TF_RMTREE_ROUNDS).  Takes fd.  Returns the first error met inside the
 * directory; *top (with name) the removal's: 0, or -errno (-ENOENT when
 * the name was gone). */
static int empty_dir(int fd, const struct tf__stat *st, int parentfd,
                     const char *name, int *top) {
  struct walk w;
  int rc;
  tf__walk_init(&w);
  w.dev = st->dev;
  w.top_parent = parentfd;
  w.top_name = name;
  tf__walk_grant_owner(fd, st);
  tf__walk_push(&w, fd, ".", 0, st);
  walk_run(&w);
  rc = w.err;
  if (name != NULL && w.top_rc == 1) /* the walk stopped before the top */
    w.top_rc = tf__sys.unlinkat(parentfd, name, AT_REMOVEDIR) == 0 ? 0 : -errno;
  if (name != NULL)
    *top = w.top_rc;
  tf__walk_release(&w);
  return rc;
}

/* Empty the directory open at dirfd through a description of its own
 * (the caller's fd keeps its offset); then as empty_dir(). */
static int empty_fd(int dirfd, int parentfd, const char *name, int *top) {
  struct tf__stat st;
  int fd;
  /* Resolving "." needs search permission: grant it through dirfd. */
  if (tf__sys.statfd(dirfd, &st) != 0)
    fd = -errno;
  else {
    tf__walk_grant_owner(dirfd, &st);
    fd = tf__sys.openat(dirfd, ".", TF_DIR_FLAGS, 0);
    if (fd < 0)
      fd = -errno;
  }
  if (fd < 0) {
    if (name != NULL)
      *top = tf__sys.unlinkat(parentfd, name, AT_REMOVEDIR) == 0 ? 0 : -errno;
    return fd;
  }
  st.mode |= 0700;
  return empty_dir(fd, &st, parentfd, name, top);
}

int tf__rmtree_named(int parentfd, const char *name,
                     const struct tf__stat *id, int *top) {
  struct tf__stat st;
  int fd = tf__walk_open_dir(NULL, parentfd, name, NULL, &st), rc;
  if (fd == -ENOENT) { /* removed or renamed away meanwhile */
    *top = 0;
    return 0;
  }
  if (fd == -ENOTDIR || (fd >= 0 && !tf__same_object(&st, id))) {
    if (fd >= 0)
      tf__close_quiet(fd);
    *top = -ESTALE;
    return -ESTALE;
  }
  if (fd < 0) {
    *top = fd;
    return fd;
  }
  rc = empty_dir(fd, &st, parentfd, name, top);
  if (*top == -ENOENT)
    *top = 0;
  return rc;
}

int tf__rmtree_contents(int dirfd) {
  return empty_fd(dirfd, -1, NULL, NULL);
}

int tf__rmtree_dir(int dirfd, int parentfd, const char *name, int *top) {
  int rc = empty_fd(dirfd, parentfd, name, top);
  if (*top == -ENOENT)
    *top = 0;
  return rc;
}

/* Remove name in parentfd; the top of a tree or a symlink. */
static int remove_top(int parentfd, const char *name, unsigned int flags) {
  struct tf__stat st;
  struct stat lst;
  int fd, rc, top = 0;
  fd = tf__walk_open_dir(NULL, parentfd, name, NULL, &st);
  if (fd == -ENOTDIR) {
    if (tf__sys.fstatat(parentfd, name, &lst, AT_SYMLINK_NOFOLLOW) != 0)
      return -errno;
    if (!S_ISLNK(lst.st_mode) || (flags & TF_CONTENTS_ONLY))
      return -ENOTDIR;
    return tf__sys.unlinkat(parentfd, name, 0) == 0 ? 0 : -errno;
  }
  if (fd < 0)
    return fd;
  if (flags & TF_CONTENTS_ONLY)
    return empty_dir(fd, &st, -1, NULL, NULL);
  rc = empty_dir(fd, &st, parentfd, name, &top);
  return rc == 0 && top != -ENOENT ? top : rc;
}

/* Split path into the directory to open (dir, NUL-terminated, or "" when
 * there is none) and the last component (base).  Trailing slashes are
 * dropped, so "link/" names the link itself. */
static int split(const char *path, char *dir, char *base) {
  size_t len = strlen(path), start;
  while (len > 0 && path[len - 1] == '/')
    len--;
  if (len == 0)
    return -EINVAL; /* "/" */
  start = len;
  while (start > 0 && path[start - 1] != '/')
    start--;
  if (len - start > NAME_MAX || start >= PATH_MAX)
    return -ENAMETOOLONG;
  memcpy(base, path + start, len - start);
  base[len - start] = '\0';
  if (is_dot_or_dotdot(base))
    return -EINVAL;
  memcpy(dir, path, start);
  dir[start] = '\0';
  return 0;
}

int tf_rmtreeat(int dirfd, const char *path, unsigned int flags) {
  char dir[PATH_MAX], base[NAME_MAX + 1];
  int parentfd = dirfd, rc;
  if (path == NULL || (flags & ~(TF_IGNORE_ERRORS | TF_CONTENTS_ONLY)))
    return -EINVAL;
  if (tf__bad_dirfd(dirfd))
    return -EBADF;
  if (path[0] == '\0')
    return flags & TF_IGNORE_ERRORS ? 0 : -ENOENT;
  rc = split(path, dir, base);
  if (rc == -EINVAL)
    return rc;
  if (rc == 0 && dir[0] != '\0') {
    parentfd = tf__sys.openat(dirfd, dir, TF_O_DIRANCHOR, 0);
    if (parentfd < 0)
      rc = -errno;
  }
  if (rc == 0)
    rc = remove_top(parentfd, base, flags);
  if (parentfd != dirfd && parentfd >= 0)
    tf__close_quiet(parentfd);
  return flags & TF_IGNORE_ERRORS ? 0 : rc;
}
