/* SPDX-License-Identifier: MIT */
/*
 * rmtree.c - secure recursive removal.  The tree is walked by file
 * descriptors only: each directory is opened relative to its parent's fd
 * with O_NOFOLLOW, listed, emptied with unlinkat() and removed relative
 * to its parent's fd.  A symlink is never followed, another file system
 * is never entered, and a directory's mode is only changed through an fd
 * of that very directory.
 *
 * The walk is iterative: a stack of frames, one per directory from the
 * top to where the walk is.  To bound fd use on deep trees only the root
 * and the deepest WINDOW-1 directories stay open; an evicted directory is
 * reopened through ".." of its child when the walk climbs back, and its
 * identity (device, inode) is checked, so a directory moved meanwhile is
 * never mistaken for it.  A reopened directory is listed again from the
 * start; what was removed is gone, and what failed is skipped by inode.
 *
 * Entries are read in batches.  A batch's non-directories are unlinked at
 * once, last listed first: tmpfs lists newest first and unlinks oldest
 * first fastest (5% here).  Its directories stay pending, also taken
 * last first, so what waits in memory is at most the tree's directories.
 */
#include "internal.h"

#include <string.h>

#define WINDOW 32 /* directories open at once, at most */

#define BATCH 1024 /* entries read before acting on them */

#define LOCAL_FRAMES 64
#define LOCAL_NAMES 2048
#define LOCAL_SKIPS 16
#define LOCAL_BATCH 128
#define LOCAL_BATCH_NAMES 4096

#define DONE 0xff /* an entry dealt with; no DT_* value */

struct entry {
  size_t name;        /* offset in walk.batch_names */
  ino_t ino;          /* d_ino */
  unsigned char type; /* d_type, or DONE */
};

struct frame {
  DIR *dir;        /* NULL while evicted */
  dev_t dev;       /* identity, checked when reopened */
  ino_t ino;
  ino_t entry_ino; /* its d_ino in the parent's listing */
  size_t name;     /* offset of its name in walk.names */
  size_t skips;    /* start of its skip list in walk.skips */
  size_t batch;    /* start of its pending entries in walk.batch */
  size_t batch_names; /* and of their names */
  int restarted;   /* reopened: its listing started over */
  int eof;         /* its listing is read to the end */
};

struct walk {
  struct frame *frames; /* frames[0] is the top of the tree */
  size_t depth, frames_cap;
  char *names; /* the frames' names, NUL-terminated, one after another */
  size_t names_len, names_cap;
  ino_t *skips; /* entries that failed, per frame (a stack) */
  size_t nskips, skips_cap;
  struct entry *batch; /* entries read and not yet done, per frame */
  size_t nbatch, batch_cap;
  char *batch_names;
  size_t batch_names_len, batch_names_cap;
  size_t first_open; /* frames [1, first_open) are evicted */
  dev_t dev;         /* the tree's file system */
  int err;           /* the first error */
  int fatal;         /* out of memory: stop the walk */
  struct frame frames_local[LOCAL_FRAMES];
  char names_local[LOCAL_NAMES];
  ino_t skips_local[LOCAL_SKIPS];
  struct entry batch_local[LOCAL_BATCH];
  char batch_names_local[LOCAL_BATCH_NAMES];
};

static void note(struct walk *w, int err) {
  if (w->err == 0 && err != -ENOENT)
    w->err = err;
}

/* Make room for need elements in *buf (cap of them, local the initial
 * array, elem bytes each).  Returns 0 or -ENOMEM. */
static int grow(void **buf, size_t *cap, size_t need, size_t elem,
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

static void walk_init(struct walk *w) {
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
  w->err = w->fatal = 0;
}

static void walk_release(struct walk *w) {
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

static int fd_of(const struct frame *f) { return dirfd(f->dir); }

static const char *name_of(const struct walk *w, const struct frame *f) {
  return w->names + f->name;
}

static void close_dir(DIR *d) {
  int saved = errno;
  tf__sys.closedir(d);
  errno = saved;
}

/* Remember that the current directory's entry ino could not be removed,
 * so a fresh listing of it does not try again. */
static void skip(struct walk *w, ino_t ino) {
  if (grow((void **)&w->skips, &w->skips_cap, w->nskips + 1, sizeof(ino_t),
           w->skips_local) < 0) {
    note(w, -ENOMEM);
    w->fatal = 1;
    return;
  }
  w->skips[w->nskips++] = ino;
}

static int skipped(const struct walk *w, const struct frame *f, ino_t ino) {
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
static void grant_owner(int fd, const struct tf__stat *st) {
  if ((st->mode & 0700) != 0700) {
    int saved = errno;
    tf__sys.fchmod(fd, (st->mode & 07777) | 0700);
    errno = saved;
  }
}

/* A directory that denies its owner read permission can only be opened
 * as O_PATH.  If it is on the tree's file system (dev) and not a mount
 * root, or it is the top (dev NULL), grant its owner access through that
 * fd and open it for listing.  Returns the fd or -errno as open_dir(). */
static int open_denied(int parentfd, const char *name, const dev_t *dev,
                       struct tf__stat *st) {
#ifdef O_PATH
  int pfd, fd;
  pfd = tf__sys.openat(parentfd, name,
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
  (void)parentfd, (void)name, (void)dev, (void)st;
  return -EACCES;
#endif
}

/* Open the directory name in parentfd for listing, without following a
 * symlink, and fill *st.  Returns the fd, -ENOTDIR if it is not a
 * directory (a symlink included), or another -errno. */
static int open_dir(struct walk *w, int parentfd, const char *name,
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
static void push(struct walk *w, int fd, const char *name, ino_t entry_ino,
                 const struct tf__stat *st) {
  size_t len = strlen(name) + 1;
  struct frame *f;
  DIR *d;
  if (grow((void **)&w->frames, &w->frames_cap, w->depth + 1,
           sizeof(struct frame), w->frames_local) < 0 ||
      grow((void **)&w->names, &w->names_cap, w->names_len + len, 1,
           w->names_local) < 0) {
    tf__close_quiet(fd);
    note(w, -ENOMEM);
    w->fatal = 1;
    return;
  }
  if (tf__sys.fdopendir(fd, &d) != 0) {
    int err = -errno;
    tf__close_quiet(fd);
    note(w, err);
    if (w->depth > 0)
      skip(w, entry_ino);
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
  memcpy(w->names + w->names_len, name, len);
  w->names_len += len;
}

/* Forget frames [from, depth), closing those open. */
static void drop_frames(struct walk *w, size_t from) {
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
    note(w, err);
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
      note(w, -errno); /* not moved: failed */
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
    drop_frames(w, j);
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

/* The current directory is listed to the end: close it, and remove it
 * from its parent. */
static void pop(struct walk *w) {
  struct frame *f = &w->frames[w->depth - 1];
  struct frame *parent;
  ino_t entry_ino = f->entry_ino;
  int rc;
  if (w->depth == 1) {
    close_dir(f->dir);
    w->depth = 0;
    return;
  }
  parent = f - 1;
  if (parent->dir == NULL && reopen_parent(w) != 0)
    return; /* frames dropped, or the walk stopped */
  close_dir(f->dir);
  rc = tf__sys.unlinkat(fd_of(parent), name_of(w, f), AT_REMOVEDIR);
  if (rc != 0)
    rc = -errno;
  w->names_len = f->name;
  w->nskips = f->skips;
  w->nbatch = f->batch;
  w->batch_names_len = f->batch_names;
  w->depth--;
  if (rc < 0 && rc != -ENOENT) {
    note(w, rc);
    skip(w, entry_ino);
  }
}

/* Enter the directory name of the current directory. */
static void descend(struct walk *w, const char *name, ino_t entry_ino) {
  int parentfd = fd_of(&w->frames[w->depth - 1]);
  struct tf__stat st;
  int fd;
  if (1 + w->depth - w->first_open >= WINDOW)
    evict_one(w);
  fd = open_dir(w, parentfd, name, &w->dev, &st);
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
    note(w, fd);
    skip(w, entry_ino);
    return;
  }
  grant_owner(fd, &st);
  push(w, fd, name, entry_ino, &st);
}

static int is_dot_or_dotdot(const char *name) {
  return name[0] == '.' &&
         (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* Add a listed entry to the current directory's batch. */
static int add_entry(struct walk *w, const struct dirent *de) {
  size_t len = strlen(de->d_name) + 1;
  struct entry *e;
  if (grow((void **)&w->batch, &w->batch_cap, w->nbatch + 1,
           sizeof(struct entry), w->batch_local) < 0 ||
      grow((void **)&w->batch_names, &w->batch_names_cap,
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
        note(w, -errno);
        skip(w, e->ino);
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
  note(w, errno == EBUSY ? -EXDEV : -errno);
  skip(w, e->ino);
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
      note(w, -errno);
      f->eof = 1;
    } else if (de == NULL) {
      f->eof = 1;
    } else if (!is_dot_or_dotdot(de->d_name) && !skipped(w, f, de->d_ino) &&
               add_entry(w, de) < 0) {
      note(w, -ENOMEM);
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
  descend(w, name, e.ino);
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
      pop(w);
  }
  if (w->fatal) /* close what is still open */
    drop_frames(w, 0);
}

/* Empty the directory open at fd (dev/ino in st); takes fd. */
static int empty_dir(struct walk *w, int fd, const struct tf__stat *st) {
  w->dev = st->dev;
  grant_owner(fd, st);
  push(w, fd, ".", 0, st);
  if (w->depth == 0)
    return w->err;
  walk_run(w);
  return w->err;
}

int tf__rmtree_contents(int dirfd) {
  struct walk w;
  struct tf__stat st;
  int fd, rc;
  /* Resolving "." needs search permission: grant it through dirfd. */
  if (tf__sys.statfd(dirfd, &st) != 0)
    return -errno;
  grant_owner(dirfd, &st);
  /* A description of our own: the caller's fd keeps its offset. */
  fd = tf__sys.openat(dirfd, ".", TF_DIR_FLAGS, 0);
  if (fd < 0)
    return -errno;
  st.mode |= 0700;
  walk_init(&w);
  rc = empty_dir(&w, fd, &st);
  walk_release(&w);
  return rc;
}

/* Remove name in parentfd; the top of a tree or a symlink. */
static int remove_top(int parentfd, const char *name, unsigned int flags) {
  struct walk w;
  struct tf__stat st;
  struct stat lst;
  int fd, rc;
  fd = open_dir(NULL, parentfd, name, NULL, &st);
  if (fd == -ENOTDIR) {
    if (tf__sys.fstatat(parentfd, name, &lst, AT_SYMLINK_NOFOLLOW) != 0)
      return -errno;
    if (!S_ISLNK(lst.st_mode) || (flags & TF_CONTENTS_ONLY))
      return -ENOTDIR;
    return tf__sys.unlinkat(parentfd, name, 0) == 0 ? 0 : -errno;
  }
  if (fd < 0)
    return fd;
  walk_init(&w);
  rc = empty_dir(&w, fd, &st);
  walk_release(&w);
  if (!(flags & TF_CONTENTS_ONLY) &&
      tf__sys.unlinkat(parentfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT &&
      rc == 0)
    rc = -errno;
  return rc;
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

int tf_rmtree_at(int dirfd, const char *path, unsigned int flags) {
  char dir[PATH_MAX], base[NAME_MAX + 1];
  int parentfd = dirfd, rc;
  if (path == NULL || (flags & ~(TF_IGNORE_ERRORS | TF_CONTENTS_ONLY)))
    return -EINVAL;
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
