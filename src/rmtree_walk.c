/* SPDX-License-Identifier: MIT */
/*
 * rmtree_walk.c - where the secure removal (rmtree.c) is: a stack of
 * frames, one per directory from the top of the tree to the one being
 * emptied, entered and left by fd only.  To bound fd use on deep trees
 * only the root and the deepest WINDOW-1 directories stay open; an
 * evicted directory is reopened through ".." of its child when the walk
 * climbs back, and its identity (device, inode) is checked, so a
 * directory moved meanwhile is never mistaken for it.  A reopened
 * directory is listed again from the start; what was removed is gone,
 * and what failed is skipped by inode.
 */
#include "rmtree.h"

#include <string.h>

#define WINDOW 32 /* directories open at once, at most */

void tf__walk_note(struct walk *w, int err) {
  if (w->err == 0 && err != -ENOENT)
    w->err = err;
}

/* Make room for need elements in *buf (cap of them, local the initial
 * array, elem bytes each).  Returns 0 or -ENOMEM. */
int tf__walk_grow(void **buf, size_t *cap, size_t need, size_t elem,
                  void *local) {
  size_t new_cap;
  void *p;
  if (need <= *cap)
    return 0;
  new_cap = *cap * 2 > need ? *cap * 2 : need;
  if (new_cap > (size_t)-1 / elem)
    return -ENOMEM;
  p = tf__malloc(new_cap * elem);
  if (p == NULL)
    return -ENOMEM;
  memcpy(p, *buf, *cap * elem);
  if (*buf != local)
    tf__freemem(*buf);
  *buf = p;
  *cap = new_cap;
  return 0;
}

void tf__walk_init(struct walk *w) {
  w->frames = w->frames_local;
  w->frames_cap = LOCAL_FRAMES;
  w->names = w->names_local;
  w->names_cap = LOCAL_NAMES;
  w->skips = w->skips_local;
  w->skips_cap = LOCAL_SKIPS;
  w->batch = w->batch_local;
  w->batch_cap = LOCAL_BATCH;
  w->batch_names = w->batch_names_local;
  w->batch_names_cap = LOCAL_BATCH_NAMES;
  w->nbatch = w->batch_names_len = 0;
  w->depth = w->names_len = w->nskips = 0;
  w->first_open = 1;
  w->top_parent = -1;
  w->top_name = NULL;
  w->top_rc = 1;
  w->err = w->fatal = 0;
}

void tf__walk_release(struct walk *w) {
  if (w->frames != w->frames_local)
    tf__freemem(w->frames);
  if (w->names != w->names_local)
    tf__freemem(w->names);
  if (w->skips != w->skips_local)
    tf__freemem(w->skips);
  if (w->batch != w->batch_local)
    tf__freemem(w->batch);
  if (w->batch_names != w->batch_names_local)
    tf__freemem(w->batch_names);
}

static void close_dir(DIR *d) {
  int saved = errno;
  tf__sys.closedir(d);
  errno = saved;
}

/* Remember that the current directory's entry ino could not be removed,
 * so a fresh listing of it does not try again. */
void tf__walk_skip(struct walk *w, ino_t ino) {
  if (tf__walk_grow((void **)&w->skips, &w->skips_cap, w->nskips + 1,
                    sizeof(ino_t), w->skips_local) < 0) {
    tf__walk_note(w, -ENOMEM);
    w->fatal = 1;
    return;
  }
  w->skips[w->nskips++] = ino;
}

int tf__walk_skipped(const struct walk *w, const struct frame *f, ino_t ino) {
  size_t i;
  if (!f->restarted)
    return 0; /* a listing returns each entry once */
  for (i = f->skips; i < w->nskips; i++)
    if (w->skips[i] == ino)
      return 1;
  return 0;
}

/* Close the shallowest open directory other than the top of the tree and
 * the current one.  Returns 1 if one was closed. */
static int evict_one(struct walk *w) {
  struct frame *f;
  if (w->depth < 2 || w->first_open >= w->depth - 1)
    return 0;
  f = &w->frames[w->first_open++];
  close_dir(f->dir);
  f->dir = NULL;
  return 1;
}

/* Make the directory readable, writable and searchable by its owner, for
 * the walk to list and empty it.  Through the fd only; a failure shows
 * later as the error of what it prevents. */
void tf__walk_grant_owner(int fd, const struct tf__stat *st) {
  if ((st->mode & 0700) != 0700) {
    int saved = errno;
    tf__sys.fchmod(fd, (st->mode & 07777) | 0700);
    errno = saved;
  }
}

/* A directory that denies its owner read permission can only be opened
 * as O_PATH.  If it is on the tree's file system (dev) and not a mount
 * root, or it is the top (dev NULL), grant its owner access through that
 * fd and open it for listing.  Where there is no O_PATH, access is
 * granted by name, never through a symlink (AT_SYMLINK_NOFOLLOW), and
 * the directory then opened is used only if it is the one stat'ed
 * before.  Returns the fd or -errno as tf__walk_open_dir(). */
static int open_denied(int parentfd, const char *name, const dev_t *dev,
                       struct tf__stat *st) {
  int fd;
#if TF_HAVE_O_PATH
  int pfd = tf__sys.openat(parentfd, name,
                           O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (pfd < 0)
    return errno == ELOOP ? -ENOTDIR : -errno;
  if (tf__sys.statfd(pfd, st) != 0)
    fd = -errno;
  else if (dev != NULL && (st->dev != *dev || st->mount_root == 1))
    fd = -EXDEV; /* inside the tree; the top may be a mount point */
  else if (tf__sys.fchmod(pfd, (st->mode & 07777) | 0700) != 0)
    fd = -EACCES;
  else if ((fd = tf__sys.openat(pfd, ".", TF_DIR_FLAGS, 0)) < 0)
    fd = -errno;
  else
    st->mode |= 0700;
  tf__close_quiet(pfd);
  return fd;
#else
  struct tf__stat now;
  if (tf__sys.statat(parentfd, name, st) != 0)
    return -errno;
  if (!S_ISDIR(st->mode))
    return -ENOTDIR;
  if (dev != NULL && (st->dev != *dev || st->mount_root == 1))
    return -EXDEV;
  if (tf__sys.fchmodat(parentfd, name, (st->mode & 07777) | 0700,
                       AT_SYMLINK_NOFOLLOW) != 0)
    return -EACCES;
  fd = tf__sys.openat(parentfd, name, TF_DIR_FLAGS, 0);
  if (fd < 0)
    return errno == ELOOP ? -ENOTDIR : -errno;
  if (tf__sys.statfd(fd, &now) != 0 || !tf__same_object(&now, st)) {
    tf__close_quiet(fd);
    return -ESTALE; /* another object took the name meanwhile */
  }
  st->mode |= 0700;
  return fd;
#endif
}

/* Open the directory name in parentfd for listing, without following a
 * symlink, and fill *st.  Returns the fd, -ENOTDIR if it is not a
 * directory (a symlink included), or another -errno. */
int tf__walk_open_dir(struct walk *w, int parentfd, const char *name,
                      const dev_t *dev, struct tf__stat *st) {
  int fd;
  for (;;) {
    fd = tf__sys.openat(parentfd, name, TF_DIR_FLAGS, 0);
    if (fd >= 0)
      break;
    if ((errno == EMFILE || errno == ENFILE) && w != NULL && evict_one(w))
      continue;
    if (errno == ELOOP)
      return -ENOTDIR; /* a symlink (O_NOFOLLOW) */
    if (errno == EACCES)
      return open_denied(parentfd, name, dev, st);
    return -errno;
  }
  if (tf__sys.statfd(fd, st) != 0) {
    int err = errno;
    tf__close_quiet(fd);
    return -err;
  }
  return fd;
}

/* Make fd (a directory named name, entry_ino in the current directory's
 * listing) the new current directory.  Takes fd. */
void tf__walk_push(struct walk *w, int fd, const char *name, ino_t entry_ino,
                   const struct tf__stat *st) {
  size_t len = strlen(name) + 1;
  struct frame *f;
  DIR *d;
  if (tf__walk_grow((void **)&w->frames, &w->frames_cap, w->depth + 1,
                    sizeof(struct frame), w->frames_local) < 0 ||
      tf__walk_grow((void **)&w->names, &w->names_cap, w->names_len + len, 1,
                    w->names_local) < 0) {
    tf__close_quiet(fd);
    tf__walk_note(w, -ENOMEM);
    w->fatal = 1;
    return;
  }
  if (tf__sys.fdopendir(fd, &d) != 0) {
    int err = -errno;
    tf__close_quiet(fd);
    tf__walk_note(w, err);
    if (w->depth > 0)
      tf__walk_skip(w, entry_ino);
    return;
  }
  f = &w->frames[w->depth++];
  f->dir = d;
  f->dev = st->dev;
  f->ino = st->ino;
  f->entry_ino = entry_ino;
  f->name = w->names_len;
  f->skips = w->nskips;
  f->batch = w->nbatch;
  f->batch_names = w->batch_names_len;
  f->restarted = 0;
  f->eof = 0;
  f->rounds = 0;
  memcpy(w->names + w->names_len, name, len);
  w->names_len += len;
}

/* Forget frames [from, depth), closing those open. */
void tf__walk_drop(struct walk *w, size_t from) {
  size_t i;
  if (from >= w->depth)
    return;
  for (i = from; i < w->depth; i++)
    if (w->frames[i].dir != NULL)
      close_dir(w->frames[i].dir);
  w->names_len = w->frames[from].name;
  w->nskips = w->frames[from].skips;
  w->nbatch = w->frames[from].batch;
  w->batch_names_len = w->frames[from].batch_names;
  w->depth = from;
  if (w->first_open > from)
    w->first_open = from > 1 ? from : 1;
}

/* Give the evicted frame f the directory open at fd, listed afresh.
 * Takes fd; returns 0, or -errno with the walk stopped. */
static int attach(struct walk *w, struct frame *f, int fd) {
  if (tf__sys.fdopendir(fd, &f->dir) != 0) {
    int err = -errno;
    tf__close_quiet(fd);
    f->dir = NULL;
    tf__walk_note(w, err);
    w->fatal = 1;
    return err;
  }
  f->restarted = 1;
  f->eof = 0;
  return 0;
}

static int same_dir(int fd, const struct frame *f) {
  struct tf__stat st;
  return tf__sys.statfd(fd, &st) == 0 && st.dev == f->dev && st.ino == f->ino;
}

/* Find frame target again by name from the top of the tree, checking
 * each directory on the way.  Where the chain breaks (a directory was
 * moved or replaced), the frames from there on are dropped: they are no
 * longer in the tree.  Returns 0 if target is open again, 1 if frames
 * were dropped, -errno if the walk must stop. */
static int rewalk(struct walk *w, size_t target) {
  int from = fd_of(&w->frames[0]);
  size_t j;
  for (j = 1; j <= target; j++) {
    int fd = tf__sys.openat(from, name_of(w, &w->frames[j]), TF_DIR_FLAGS, 0);
    if (fd < 0 && errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
      tf__walk_note(w, -errno); /* not moved: failed */
    if (fd >= 0 && !same_dir(fd, &w->frames[j])) {
      tf__close_quiet(fd);
      fd = -1;
    }
    if (fd < 0)
      break;
    if (j > 1)
      tf__close_quiet(from);
    from = fd;
  }
  if (j <= target)
    tf__walk_drop(w, j);
  if (j == 1) /* back at the top, which never closes */
    return 1;
  w->first_open = j - 1;
  if (attach(w, &w->frames[j - 1], from) < 0)
    return w->err;
  return j <= target;
}

/* The current directory's parent is evicted: open it again through
 * ".." (checked), or failing that from the top by name. */
static int reopen_parent(struct walk *w) {
  struct frame *child = &w->frames[w->depth - 1];
  struct frame *parent = child - 1;
  int fd = tf__sys.openat(fd_of(child), "..", TF_DIR_FLAGS, 0);
  if (fd >= 0) {
    if (same_dir(fd, parent)) {
      w->first_open--;
      return attach(w, parent, fd);
    }
    tf__close_quiet(fd);
  }
  return rewalk(w, w->depth - 2);
}

/* The current directory f was emptied, but its removal found an entry in
 * it: someone is adding entries.  List it again from the start, through
 * a new description of the directory the walk holds (never by name),
 * unless something in it failed (then it is not empty for that reason)
 * or its rounds are used up.  Returns 1 if the walk goes on in f (or
 * stopped), 0 if f is to be given up. */
static int relist(struct walk *w, struct frame *f) {
  int fd;
  if (w->nskips > f->skips || f->rounds >= TF_RMTREE_ROUNDS)
    return 0;
  while ((fd = tf__sys.openat(fd_of(f), ".", TF_DIR_FLAGS, 0)) < 0)
    if (!((errno == EMFILE || errno == ENFILE) && evict_one(w)))
      return 0;
  f->rounds++;
  close_dir(f->dir);
  f->dir = NULL;
  attach(w, f, fd); /* restarted: what fails now is skipped */
  return 1;
}

/* The current directory is listed to the end: remove it from its parent
 * (the top: as top_name, if set) and close it, or list it again. */
void tf__walk_pop(struct walk *w) {
  struct frame *f = &w->frames[w->depth - 1];
  struct frame *parent;
  ino_t entry_ino = f->entry_ino;
  int rc;
  if (w->depth == 1) {
    if (w->top_name != NULL) {
      rc = tf__sys.unlinkat(w->top_parent, w->top_name, AT_REMOVEDIR) == 0
               ? 0
               : -errno;
      if (rc == -ENOTEMPTY && relist(w, f))
        return;
      w->top_rc = rc;
    }
    close_dir(f->dir);
    w->depth = 0;
    return;
  }
  parent = f - 1;
  if (parent->dir == NULL && reopen_parent(w) != 0)
    return; /* frames dropped, or the walk stopped */
  /* Removed while still open: an entry that came meanwhile is met by
   * listing it again. */
  rc = tf__sys.unlinkat(fd_of(parent), name_of(w, f), AT_REMOVEDIR) == 0
           ? 0
           : -errno;
  if (rc == -ENOTEMPTY && relist(w, f))
    return;
  close_dir(f->dir);
  w->names_len = f->name;
  w->nskips = f->skips;
  w->nbatch = f->batch;
  w->batch_names_len = f->batch_names;
  w->depth--;
  if (rc < 0 && rc != -ENOENT) {
    tf__walk_note(w, rc);
    tf__walk_skip(w, entry_ino);
  }
}

/* Enter the directory name of the current directory. */
void tf__walk_descend(struct walk *w, const char *name, ino_t entry_ino) {
  int parentfd = fd_of(&w->frames[w->depth - 1]);
  struct tf__stat st;
  int fd;
  if (1 + w->depth - w->first_open >= WINDOW)
    evict_one(w);
  fd = tf__walk_open_dir(w, parentfd, name, &w->dev, &st);
  if (fd == -ENOTDIR) { /* replaced since it was listed */
    if (tf__sys.unlinkat(parentfd, name, 0) == 0)
      return;
    fd = -errno;
  }
  if (fd == -ENOENT)
    return;
  if (fd >= 0 && (st.dev != w->dev || st.mount_root == 1)) {
    tf__close_quiet(fd); /* another file system: not ours to enter */
    fd = -EXDEV;
  }
  if (fd < 0) {
    tf__walk_note(w, fd);
    tf__walk_skip(w, entry_ino);
    return;
  }
  tf__walk_grant_owner(fd, &st);
  tf__walk_push(w, fd, name, entry_ino, &st);
}
