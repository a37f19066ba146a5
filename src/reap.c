/* SPDX-License-Identifier: MIT */
/*
 * reap.c - tf_reap(): remove what dead processes left in a directory.
 *
 * A leftover is an entry of the directory that libtempfile made (it
 * carries the mark of live.c for its own name, or is an atomic write's
 * hidden file, "." NAME ".tf-" + 12 characters), belongs to the calling
 * user, is old enough, and that no process holds a lock on.  Each
 * candidate is opened and locked exclusively before it is judged, and
 * stays locked while it is removed: a live creator holds a shared lock
 * from before it marks the object until after it removes it, so a live
 * object is never taken, also one being created at this very moment
 * (unmarked until its creator holds the lock, which ours excludes).
 */
#include "internal.h"

#include <string.h>
#include <sys/file.h>
#include <time.h>

struct reap {
  int dirfd;
  unsigned int flags;
  time_t oldest; /* newest change allowed, or 0 for any age */
  uid_t uid;
  tf_reap_fn fn;
  void *arg;
  int count;
  int err;
  int stop;
};

/* "." NAME ".tf-" + 12 characters of TF_ALPHABET (atomic.c). */
static int is_hidden_atomic(const char *name) {
  static const char tag[] = ".tf-";
  size_t len = strlen(name), i;
  if (name[0] != '.' || len < 1 + 1 + 4 + 12)
    return 0;
  if (memcmp(name + len - 16, tag, 4) != 0)
    return 0;
  for (i = len - 12; i < len; i++)
    if (!((name[i] >= 'a' && name[i] <= 'z') ||
          (name[i] >= '0' && name[i] <= '9')))
      return 0;
  return 1;
}

static time_t newest_change(const struct stat *st) {
  return st->st_mtime > st->st_ctime ? st->st_mtime : st->st_ctime;
}

static int same_object(int dirfd, const char *name, const struct stat *st) {
  struct stat now;
  return tf__sys.fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
         now.st_dev == st->st_dev && now.st_ino == st->st_ino;
}

/* Remove the leftover open (and locked) at fd: 1 when removed, 0 when
 * it went away meanwhile, or -errno. */
static int remove_leftover(struct reap *r, const char *name, int fd,
                           const struct stat *st) {
  int rc = 0;
  if (S_ISDIR(st->st_mode))
    rc = tf__rmtree_contents(fd);
  if (!same_object(r->dirfd, name, st))
    return rc; /* removed or renamed away meanwhile: not ours to chase */
  if (tf__sys.unlinkat(r->dirfd, name,
                       S_ISDIR(st->st_mode) ? AT_REMOVEDIR : 0) != 0)
    return errno == ENOENT ? rc : rc < 0 ? rc : -errno;
  return rc < 0 ? rc : 1;
}

/* Whether the object open at fd still has a name: its creator unlinks
 * it before releasing its lock, so a lock won on an unlinked one is no
 * sign of death. */
static int still_linked(int fd) {
  struct stat st;
  return tf__sys.fstat(fd, &st) == 0 && st.st_nlink > 0;
}

/* Open name for judging: the object fstatat saw, never through a link,
 * never blocking; -1 if it can not be. */
static int open_candidate(struct reap *r, const char *name,
                          const struct stat *st) {
  struct tf__stat now;
  int fd = tf__sys.openat(r->dirfd, name,
                          O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
                              O_NOCTTY | (S_ISDIR(st->st_mode) ? O_DIRECTORY : 0),
                          0);
  if (fd < 0)
    return -1;
  if (tf__sys.statfd(fd, &now) != 0 || now.dev != st->st_dev ||
      now.ino != st->st_ino) {
    tf__close_quiet(fd);
    return -1;
  }
  return fd;
}

static void judge(struct reap *r, const char *name) {
  struct stat st;
  long pid;
  int fd, rc;
  if (tf__sys.fstatat(r->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return;
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
    return;
  if (st.st_uid != r->uid || (r->oldest && newest_change(&st) > r->oldest))
    return;
  fd = open_candidate(r, name, &st);
  if (fd < 0)
    return;
  /* Held until close: no creator can take it back while we decide. */
  if (tf__sys.flock(fd, LOCK_EX | LOCK_NB) != 0)
    goto out; /* live */
  if (!still_linked(fd))
    goto out; /* its live creator just removed it */
  pid = tf__mark_pid(fd, name);
  if (pid < 0 && !(S_ISREG(st.st_mode) && is_hidden_atomic(name)))
    goto out; /* not libtempfile's */
  rc = (r->flags & TF_REAP_DRY_RUN) ? 1 : remove_leftover(r, name, fd, &st);
  if (rc < 0 && r->err == 0)
    r->err = rc;
  if (rc <= 0)
    goto out;
  r->count++;
  if (r->fn != NULL && r->fn(name, S_ISDIR(st.st_mode), pid < 0 ? 0 : pid,
                             r->arg) != 0)
    r->stop = 1;
out:
  tf__close_quiet(fd);
}

static int is_dot(const char *n) {
  return n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'));
}

int tf_reapat(int dirfd, unsigned int flags, unsigned int min_age,
              tf_reap_fn fn, void *arg) {
  struct reap r;
  struct dirent *de;
  DIR *d;
  int fd;
  if (flags & ~(TF_REAP_DRY_RUN | TF_IGNORE_ERRORS))
    return -EINVAL;
  if (tf__bad_dirfd(dirfd))
    return -EBADF;
  fd = tf__sys.openat(dirfd, ".", TF_DIR_FLAGS & ~O_NOFOLLOW, 0);
  if (fd < 0)
    return -errno;
  if (tf__sys.fdopendir(fd, &d) != 0) {
    tf__close_quiet(fd);
    return -errno;
  }
  memset(&r, 0, sizeof(r));
  r.dirfd = fd;
  r.flags = flags;
  r.oldest = min_age ? time(NULL) - (time_t)min_age : 0;
  r.uid = geteuid();
  r.fn = fn;
  r.arg = arg;
  while (!r.stop) {
    if (tf__sys.readdir(d, &de) != 0) {
      if (r.err == 0)
        r.err = -errno;
      break;
    }
    if (de == NULL)
      break;
    if (!is_dot(de->d_name))
      judge(&r, de->d_name);
  }
  tf__sys.closedir(d);
  if (r.err < 0 && !(flags & TF_IGNORE_ERRORS))
    return r.err;
  return r.count;
}

int tf_reap(const char *dir, unsigned int flags, unsigned int min_age,
            tf_reap_fn fn, void *arg) {
  char buf[PATH_MAX];
  int fd, rc;
  if (dir == NULL) {
    rc = tf_gettempdir(buf, sizeof(buf));
    if (rc < 0)
      return rc;
    dir = buf;
  }
  fd = tf__sys.openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  rc = tf_reapat(fd, flags, min_age, fn, arg);
  tf__close_quiet(fd);
  return rc;
}
