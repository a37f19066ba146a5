/* SPDX-License-Identifier: MIT */
/*
 * atomic.c - atomic replacement of a file (tf_atomic, tf_write_file): the
 * new contents go to a temporary file in the target's directory, which
 * takes the target's name in one rename at commit.  The temporary file
 * is unnamed (O_TMPFILE) where it can be, so a crash leaves nothing; it
 * is named only from linkat() to renameat() (the kernel can not link an
 * unnamed file over an existing one).
 * Elsewhere it is a hidden sibling, "." NAME ".tf-" RANDOM.
 *
 * Commit order: flush, fsync(file), link, rename, close, fsync(dir)
 * (unsynced: close before the rename, see close_and_rename).  A hidden
 * name is locked until its rename, so tf_reap() never takes it.
 * Every failure before the rename removes what was made and leaves the
 * target as it was.
 */
#include "internal.h"

#include <string.h>
#include <sys/file.h>

#define TF_ATOMIC_FLAGS                                                      \
  (TF_NOCLOBBER | TF_SYNC_NONE | TF_SYNC_DURABLE | TF_SYNC_ONLY_EXISTING |   \
   TF_REPLACE_LINK | TF_MUST_EXIST | TF_STRICT_OWNER |    \
   TF_UNTRACKED)

/* Hidden names: "." + the target's first HIDDEN_NAME_KEEP bytes + ".tf-"
 * + HIDDEN_RANDOM characters, at most NAME_MAX (255) bytes. */
#define HIDDEN_NAME_KEEP 238
#define HIDDEN_TAG ".tf-"
#define HIDDEN_RANDOM 12

enum tf__atomic_state { OPEN, COMMITTED, ABORTED };

struct tf_atomic {
  int fd;                  /* the new contents; -1 once closed */
  int dirfd;               /* the target's directory */
  struct tf__fdstream stream; /* fp NULL until tf_atomic_stream() */
  unsigned int flags;
  int target_present;      /* something was at the name at begin */
  int sync_file, sync_dir; /* what commit syncs */
  int unnamed;             /* fd was made with O_TMPFILE */
  enum tf__atomic_state state;
  pid_t owner;             /* only this process removes anything */
  struct tf__name hidden;  /* how hidden names are made */
  char name[NAME_MAX + 1]; /* the target's name in dirfd */
  char tmp[NAME_MAX + 1];  /* the hidden name the file has, "" for none */
  char prefix[NAME_MAX + 1];
  struct tf__life life;    /* the hidden name's registry slot */
  int lockfd;              /* holds the lock from close to rename, or -1 */
  mode_t setid_mode;       /* the old file's mode if it had set-ID bits,
                              which a write by a non-root process clears */
};

/* A hidden file's lock must last until its rename; when the fd is closed
 * before (see close_and_rename), a second fd of the same open file
 * holds it. */
static void hold_lock(tf_atomic *a) {
  if (a->lockfd < 0)
    a->lockfd = tf__sys.fcntl_dupfd(a->fd);
}

static void drop_lock(tf_atomic *a) {
  tf__close_quiet(a->lockfd);
  a->lockfd = -1;
}

static int hidden_init(tf_atomic *a) {
  tf_opts o = TF_OPTS_INIT;
  size_t keep = strlen(a->name);
  if (keep > HIDDEN_NAME_KEEP)
    keep = HIDDEN_NAME_KEEP;
  a->prefix[0] = '.';
  memcpy(a->prefix + 1, a->name, keep);
  memcpy(a->prefix + 1 + keep, HIDDEN_TAG, sizeof(HIDDEN_TAG));
  o.prefix = a->prefix;
  o.random_len = HIDDEN_RANDOM;
  return tf__name_init(&a->hidden, &o);
}

/* btrfs skips fsync() on a file with no name, so there the temporary
 * file is named from the start.  The answer is remembered for the last
 * device seen, which a loop replacing one file always hits. */
static int fsync_needs_name(int dirfd, const struct tf__target *t) {
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  static dev_t last_dev;
  static int last_known, last_answer;
  unsigned long type;
  int answer;
  if (t->present) {
    pthread_mutex_lock(&lock);
    answer = last_known && last_dev == t->st.st_dev ? last_answer : -1;
    pthread_mutex_unlock(&lock);
    if (answer >= 0)
      return answer;
  }
  if (tf__sys.fstype(dirfd, &type) != 0)
    return 1; /* unknown: the named file is right everywhere */
  answer = type == TF_FS_BTRFS;
  if (t->present) {
    pthread_mutex_lock(&lock);
    last_dev = t->st.st_dev;
    last_answer = answer;
    last_known = 1;
    pthread_mutex_unlock(&lock);
  }
  return answer;
}

/*
 * A hidden file's liveness mark is its name (tf_reap() knows the
 * pattern) and a shared flock held while the handle owns it, always,
 * also with TF_UNTRACKED.  A file made under its name is unlocked for a
 * moment: a reaper that locked it then took it for a dead one's and may
 * have removed it, which the link count tells.  1: locked and still
 * linked; 0: make another.
 */
static int lock_named(int fd) {
  struct stat st;
  if (tf__sys.flock(fd, LOCK_SH | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK)
      return 1; /* no locks here: nothing to wait for */
    if (tf__sys.flock(fd, LOCK_SH) != 0)
      return 1;
  }
  return tf__sys.fstat(fd, &st) != 0 || st.st_nlink > 0;
}

/* Register the hidden name a->tmp for cleanup at exit; on failure remove
 * it.  0 or -ENOMEM. */
static int register_hidden(tf_atomic *a) {
  int rc = tf__life_register(&a->life, a->flags, TF_OBJ_FILE, a->dirfd,
                             a->tmp);
  if (rc < 0) {
    tf__sys.unlinkat(a->dirfd, a->tmp, 0);
    a->tmp[0] = '\0';
  }
  return rc;
}

/* The hidden sibling, created under its name and locked. */
static int create_named(tf_atomic *a, mode_t mode, int oflags) {
  int attempt, fd = -EEXIST;
  for (attempt = 0; attempt < TF_ATTEMPTS; attempt++) {
    fd = tf__create_in(a->dirfd, a->tmp, a->tmp, &a->hidden, TF_KIND_FILE,
                       oflags, mode);
    if (fd < 0)
      break;
    if (lock_named(fd)) {
      if (register_hidden(a) == 0)
        return fd;
      tf__close_quiet(fd);
      return -ENOMEM;
    }
    tf__close_quiet(fd); /* a reaper took it */
    fd = -EEXIST;
  }
  a->tmp[0] = '\0';
  return fd;
}

/* The file the new contents go to: unnamed where the file system and
 * /proc allow, else a hidden sibling (its name in a->tmp). */
static int create_file(tf_atomic *a, const struct tf__target *t, mode_t mode,
                       int oflags) {
  int fd;
  if (TF_O_TMPFILE != 0 && tf__can_link_unnamed() &&
      !fsync_needs_name(a->dirfd, t)) {
    fd = tf__sys.openat(a->dirfd, ".", TF_O_TMPFILE | O_RDWR | O_CLOEXEC | oflags,
                        mode);
    if (fd >= 0) {
      a->unnamed = 1;
      return fd;
    }
    if (!tf__tmpfile_unsupported(errno))
      return -errno;
  }
  return create_named(a, mode, oflags);
}

/* Give the new file the owner, group and mode of the one it replaces.
 * chown first: it clears the set-ID bits that chmod then restores. */
static int copy_meta(tf_atomic *a, const struct stat *st) {
  if (tf__sys.fchown(a->fd, st->st_uid, st->st_gid) != 0) {
    if (errno != EPERM || (a->flags & TF_STRICT_OWNER))
      return -errno;
    /* Not allowed to give the file away: the group, which a member of
     * it may set, is still worth keeping. */
    if (tf__sys.fchown(a->fd, (uid_t)-1, st->st_gid) != 0 && errno != EPERM)
      return -errno;
  }
  if (tf__sys.fchmod(a->fd, st->st_mode & 07777) != 0)
    return -errno;
  if (st->st_mode & (S_ISUID | S_ISGID))
    a->setid_mode = st->st_mode & 07777;
  return 0;
}

/* The kernel drops set-ID bits when an unprivileged process writes to a
 * file; put back the ones copy_meta() gave it (one call, set-ID files
 * only). */
static int restore_setid(tf_atomic *a) {
  if (a->setid_mode != 0 && tf__sys.fchmod(a->fd, a->setid_mode) != 0)
    return -errno;
  return 0;
}

/* Close the file (through the stream if there is one); 0 or -errno. */
static int close_file(tf_atomic *a) {
  int rc = 0;
  if (a->fd < 0)
    return 0;
  rc = tf__fdstream_close(&a->stream);
  if (tf__sys.close(a->fd) != 0 && rc == 0)
    rc = -errno;
  a->fd = -1;
  return rc;
}

/* Close the file and remove its hidden name, if it has one and this
 * process made it; the first error. */
static int discard(tf_atomic *a) {
  int rc = close_file(a);
  if (a->tmp[0] != '\0' && a->owner == tf__current_pid()) {
    if (!tf__reg_cleaned(a->life.slot) &&
        tf__sys.unlinkat(a->dirfd, a->tmp, 0) != 0 && errno != ENOENT &&
        rc == 0)
      rc = -errno;
    tf__life_end(&a->life);
  }
  drop_lock(a);
  a->tmp[0] = '\0';
  return rc;
}

static int begin(tf_atomic **out, int dirfd, const char *path,
                 const tf_opts *opts) {
  struct tf__target t;
  struct tf__creation c;
  unsigned int flags;
  int old_data, rc;
  mode_t mode;
  tf_atomic *a;
  tf_opts o;

  if (tf__bad_dirfd(dirfd))
    return -EBADF;

  if (out == NULL || path == NULL || path[0] == '\0')
    return -EINVAL;
  /* The name pattern is fixed, so a reaper can recognise it. */
  rc = tf__opts_take(&o, opts, TF_ATOMIC_FLAGS,
                     TF__OPTS_AT | TF__OPTS_FIXED_NAME | TF__OPTS_NO_APPEND);
  if (rc < 0)
    return rc;
  flags = o.flags;
  tf__lib_init();
  a = tf__malloc(sizeof(*a));
  if (a == NULL)
    return -ENOMEM;
  rc = tf__target_open(&t, dirfd, path, !(flags & TF_REPLACE_LINK));
  if (rc < 0) {
    tf__freemem(a);
    return rc;
  }
  a->dirfd = t.dirfd;
  a->fd = -1;
  a->stream.fp = NULL;
  a->flags = flags;
  a->target_present = t.present;
  a->unnamed = 0;
  a->state = OPEN;
  a->owner = tf__current_pid();
  a->tmp[0] = '\0';
  a->life.slot = NULL;
  a->life.mark.rec = NULL;
  a->lockfd = -1;
  a->setid_mode = 0;
  memcpy(a->name, t.name, strlen(t.name) + 1);
  rc = hidden_init(a);
  if (rc < 0)
    goto fail;

  /* GLib's ONLY_EXISTING: with no old data there is nothing to lose. */
  old_data = t.has_meta && t.st.st_size > 0;
  a->sync_file = !(flags & TF_SYNC_NONE) &&
                 (!(flags & TF_SYNC_ONLY_EXISTING) || old_data);
  a->sync_dir = (flags & TF_SYNC_DURABLE) && a->sync_file;

  /* A new file is made as open(2) would make it (mode less the umask);
   * one that takes an old one's place is private until it has the old
   * one's owner and mode. */
  mode = t.has_meta ? 0600 : tf__opts_mode(&o, 0666);
  rc = tf__track_begin(!(flags & TF_UNTRACKED), &c);
  if (rc == 0) {
    rc = create_file(a, &t, mode, o.open_flags);
    tf__track_end(!(flags & TF_UNTRACKED), &c);
  }
  if (rc < 0)
    goto fail;
  a->fd = rc;
  if (t.has_meta) {
    rc = copy_meta(a, &t.st);
    if (rc < 0) {
      discard(a);
      goto fail;
    }
  }
  *out = a;
  return 0;

fail:
  tf__close_quiet(a->dirfd);
  tf__freemem(a);
  return rc;
}

int tf_atomic_begin(tf_atomic **out, const char *path, const tf_opts *opts) {
  return begin(out, AT_FDCWD, path, opts);
}

int tf_atomic_beginat(tf_atomic **out, int dirfd, const char *name,
                      const tf_opts *opts) {
  return begin(out, dirfd, name, opts);
}

int tf_atomic_fd(const tf_atomic *a) {
  if (a == NULL)
    return -EINVAL;
  if (a->state != OPEN)
    return -EBADF;
  return a->fd;
}

int tf_atomic_stream(tf_atomic *a, FILE **out) {
  if (a == NULL || out == NULL)
    return -EINVAL;
  if (a->state != OPEN)
    return -EBADF;
  if (a->stream.fp == NULL) {
    int rc = tf__fdstream_open(&a->stream, a->fd);
    if (rc < 0)
      return rc;
  }
  *out = a->stream.fp;
  return 0;
}

/* What the stream holds must be in the file; a write the stream already
 * failed (its bytes are gone) fails the commit too, with its errno. */
static int flush_stream(tf_atomic *a) {
  return tf__fdstream_flush(&a->stream);
}

int tf_atomic_write(tf_atomic *a, const void *buf, size_t n) {
  const char *p = buf;
  int rc;
  if (a == NULL || (buf == NULL && n > 0))
    return -EINVAL;
  if (a->state != OPEN)
    return -EBADF;
  rc = flush_stream(a);
  if (rc < 0)
    return rc;
  return tf__write_all(a->fd, p, n);
}

/* --------------------------------------------------------------- commit */

/* Name the unnamed file with a fresh hidden name (in a->tmp). */
static int link_hidden(tf_atomic *a) {
  int attempt, rc;
  /* Locked before it has a name, so it is never seen unlocked. */
  tf__sys.flock(a->fd, LOCK_SH | LOCK_NB);
  for (attempt = 0; attempt < TF_ATTEMPTS; attempt++) {
    rc = tf__name_next(&a->hidden, a->tmp);
    if (rc < 0)
      break;
    if (tf__sys.linkfd(a->fd, a->dirfd, a->tmp) == 0)
      return register_hidden(a);
    rc = -errno;
    if (rc != -EEXIST)
      break;
  }
  a->tmp[0] = '\0';
  return rc;
}

/* Swap the file at a->tmp with the target, which must exist, then drop
 * the old one (now at a->tmp).  Where renameat2 cannot swap, a check
 * followed by a rename, which a racing unlink can defeat. */
static int exchange_existing(tf_atomic *a) {
  struct stat st;
  int err;
  if (tf__sys.renameat2(a->dirfd, a->tmp, a->dirfd, a->name,
                        RENAME_EXCHANGE) == 0) {
    /* ENOENT: a reaper took the old file, unlocked under the hidden
     * name, which is what this unlink is for. */
    if (tf__sys.unlinkat(a->dirfd, a->tmp, 0) == 0 || errno == ENOENT)
      return 0;
    /* A directory took the target's place (or the old file can not be
     * removed): put it back; the caller removes the new file. */
    err = errno;
    tf__sys.renameat2(a->dirfd, a->tmp, a->dirfd, a->name, RENAME_EXCHANGE);
    return -err;
  }
  err = errno;
  if (err != ENOSYS && err != EINVAL && err != EOPNOTSUPP)
    return -err;
  if (tf__sys.fstatat(a->dirfd, a->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return -errno;
  if (S_ISDIR(st.st_mode))
    return -EISDIR;
  return tf__sys.renameat(a->dirfd, a->tmp, a->dirfd, a->name) == 0 ? 0
                                                                    : -errno;
}

/* Move the closed file at a->tmp to the target's name; on failure remove
 * it.  The point of no return is this rename. */
static int rename_into_place(tf_atomic *a) {
  int rc;
  if (a->flags & TF_NOCLOBBER)
    rc = tf__rename_noclobber(a->dirfd, a->tmp, a->dirfd, a->name);
  else if (a->flags & TF_MUST_EXIST)
    rc = exchange_existing(a);
  else
    rc = tf__sys.renameat(a->dirfd, a->tmp, a->dirfd, a->name) == 0 ? 0
                                                                    : -errno;
  if (rc == 0) {
    a->tmp[0] = '\0';
    tf__life_end(&a->life);
    drop_lock(a);
  }
  return rc;
}

/*
 * Close the hidden file and rename it over the target, keeping it locked
 * (so no reaper takes it) until the rename.  A synced file's close can
 * report nothing the fsync did not, so it comes after the rename at no
 * cost.  An unsynced one's close may be where the file system writes the
 * data back (NFS) and must be able to abort, so it comes before, and a
 * second fd holds the lock meanwhile.
 */
static int close_and_rename(tf_atomic *a) {
  int rc;
  if (a->sync_file) {
    rc = rename_into_place(a);
    if (rc == 0)
      close_file(a);
    return rc;
  }
  hold_lock(a);
  rc = close_file(a);
  if (rc < 0)
    return rc;
  return rename_into_place(a);
}

/* The unnamed file: linked straight to the target when nothing is there
 * (linkat never replaces, so that is also the no-clobber test), else to
 * a hidden name that is renamed over the target. */
static int publish_unnamed(tf_atomic *a) {
  struct tf__creation c;
  int rc;
  if ((a->flags & TF_NOCLOBBER) ||
      (!a->target_present && !(a->flags & TF_MUST_EXIST))) {
    if (tf__sys.linkfd(a->fd, a->dirfd, a->name) == 0) {
      rc = close_file(a);
      /* close() fails only where a file system flushes at close, and the
       * name is the one our linkat just made: take it back. */
      if (rc < 0)
        tf__sys.unlinkat(a->dirfd, a->name, 0);
      return rc;
    }
    if (errno != EEXIST || (a->flags & TF_NOCLOBBER))
      return -errno;
    /* Something appeared at the name since begin: replace it. */
  }
  rc = tf__track_begin(!(a->flags & TF_UNTRACKED), &c);
  if (rc == 0) {
    rc = link_hidden(a);
    tf__track_end(!(a->flags & TF_UNTRACKED), &c);
  }
  if (rc < 0)
    return rc;
  return close_and_rename(a);
}

static int publish_named(tf_atomic *a) { return close_and_rename(a); }

/* make CRASH_MUTANT=nofsync or nodirsync (tests/crash/README.md) builds
 * the library without one of these two syncs, to prove that the crash
 * checker finds what each one is for.  A normal build has both. */
#ifdef TF_CRASH_MUTANT_NOFSYNC
#define SYNC_FILE_BEFORE_RENAME 0
#else
#define SYNC_FILE_BEFORE_RENAME 1
#endif
#ifdef TF_CRASH_MUTANT_NODIRSYNC
#define SYNC_DIR_AFTER_RENAME 0
#else
#define SYNC_DIR_AFTER_RENAME 1
#endif

int tf_atomic_commit(tf_atomic *a) {
  int rc, err;
  if (a == NULL || a->state != OPEN)
    return -EINVAL;
  rc = flush_stream(a);
  if (rc == 0)
    rc = restore_setid(a);
  if (rc == 0 && a->sync_file && SYNC_FILE_BEFORE_RENAME &&
      tf__sys.fsync(a->fd) != 0)
    rc = -errno;
  if (rc == 0)
    rc = a->unnamed ? publish_unnamed(a) : publish_named(a);
  if (rc < 0) {
    discard(a);
    a->state = ABORTED;
    return rc;
  }
  a->state = COMMITTED;
  if (a->sync_dir && SYNC_DIR_AFTER_RENAME && tf__sys.fsync(a->dirfd) != 0) {
    /* EBADF: the directory could only be opened O_PATH (no read
     * permission), and such an fd can not be synced. */
    err = errno == EBADF ? EACCES : errno;
    return -err; /* renamed, not durable: tf_atomic_committed() says 1 */
  }
  return 0;
}

int tf_atomic_committed(const tf_atomic *a) {
  if (a == NULL)
    return -EINVAL;
  return a->state == COMMITTED;
}

int tf_atomic_abort(tf_atomic *a) {
  int rc;
  if (a == NULL || a->state != OPEN)
    return 0;
  rc = discard(a);
  a->state = ABORTED;
  return rc;
}

int tf_atomic_free(tf_atomic *a) {
  int rc;
  if (a == NULL)
    return 0;
  rc = tf_atomic_abort(a);
  tf__close_quiet(a->dirfd);
  tf__freemem(a);
  return rc;
}

/* ------------------------------------------------------------- one-shot */

static int write_file(int dirfd, const char *path, const void *buf,
                      size_t len, const tf_opts *opts) {
  tf_atomic *a;
  int rc;
  if (buf == NULL && len > 0)
    return -EINVAL;
  rc = begin(&a, dirfd, path, opts);
  if (rc < 0)
    return rc;
  rc = tf_atomic_write(a, buf, len);
  if (rc == 0)
    rc = tf_atomic_commit(a);
  tf_atomic_free(a); /* aborts unless committed */
  return rc;
}

int tf_write_file(const char *path, const void *buf, size_t len,
                  const tf_opts *opts) {
  return write_file(AT_FDCWD, path, buf, len, opts);
}

int tf_write_fileat(int dirfd, const char *name, const void *buf, size_t len,
                    const tf_opts *opts) {
  return write_file(dirfd, name, buf, len, opts);
}
