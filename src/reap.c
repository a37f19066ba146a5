/* SPDX-License-Identifier: MIT */
/*
 * reap.c - tf_reap(): remove what dead processes left in a directory.
 *
 * A process that makes tracked objects in a directory keeps a liveness
 * ledger there (ledger.c): a hidden file it holds a shared lock on while
 * it lives, with a record per object.  A ledger that can be locked
 * exclusively belongs to no live process, and the objects its live
 * records name are leftovers, when they belong to the calling user, are
 * old enough, and no process holds a lock on them either (a claim: see
 * tf_reap(3)).  Each is opened and locked exclusively before it is
 * judged, and stays locked while it is removed.  The ledger goes once
 * none of its objects is left.
 *
 * Also leftovers: an atomic write's hidden file ("." NAME ".tf-" + 12
 * characters) that no one holds locked, and an object carrying the
 * extended attribute with which earlier versions marked objects.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

struct reap {
  int dirfd;
  unsigned int flags;
  time_t oldest; /* newest change allowed, or 0 for any age */
  uid_t uid;
  dev_t dev; /* the directory */
  ino_t ino;
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

/* Count and report a leftover removed (or found, for a dry run). */
static void removed(struct reap *r, const char *name, int is_dir, long pid) {
  r->count++;
  if (r->fn != NULL && r->fn(name, is_dir, pid < 0 ? 0 : pid, r->arg) != 0)
    r->stop = 1;
}

/* Judge the object name, open and locked at fd, found leftover. */
static int take(struct reap *r, const char *name, int fd,
                const struct stat *st, long pid) {
  int rc = (r->flags & TF_REAP_DRY_RUN) ? 1 : remove_leftover(r, name, fd, st);
  if (rc < 0 && r->err == 0)
    r->err = rc;
  if (rc > 0)
    removed(r, name, S_ISDIR(st->st_mode), pid);
  return rc;
}

/* Whether the object st describes may be taken by age and owner. */
static int is_takeable(const struct reap *r, const struct stat *st) {
  return (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)) &&
         st->st_uid == r->uid &&
         (!r->oldest || newest_change(st) <= r->oldest);
}

/* An entry that is no ledger: a hidden atomic file, or an object marked
 * by an earlier version, if no one holds it. */
static void judge(struct reap *r, const char *name) {
  struct stat st;
  long pid;
  int fd;
  if (tf__sys.fstatat(r->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
      !is_takeable(r, &st))
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
  take(r, name, fd, &st, pid);
out:
  tf__close_quiet(fd);
}

/* A live record of a dead ledger: 0 when its object is gone (or the name
 * now holds something else), 1 when it is still there. */
static int judge_recorded(struct reap *r, const char *name, int kind,
                          long pid) {
  struct stat st;
  int fd, rc = 1;
  if (tf__sys.fstatat(r->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno != ENOENT;
  if ((kind == TF_OBJ_DIR ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) ||
      st.st_uid != r->uid)
    return 0; /* another's object under the name: not the one recorded */
  if (!is_takeable(r, &st))
    return 1; /* too young yet */
  fd = open_candidate(r, name, &st);
  if (fd < 0)
    return 1;
  if (tf__sys.flock(fd, LOCK_EX | LOCK_NB) == 0) { /* else: claimed */
    if (!still_linked(fd))
      rc = 0;
    else if (take(r, name, fd, &st, pid) > 0)
      rc = (r->flags & TF_REAP_DRY_RUN) != 0;
  }
  tf__close_quiet(fd);
  return rc;
}

/* The pid in the header of the ledger open at fd, or -1 if it has none
 * (its creator gave up on it before writing one, or died doing so). */
static long ledger_pid(int fd, unsigned char *seg) {
  size_t magic = sizeof(TF_LEDGER_MAGIC) - 1;
  char *end;
  long pid;
  if (tf__sys.pread(fd, seg, TF_LEDGER_HEAD, 0) != TF_LEDGER_HEAD ||
      memcmp(seg, TF_LEDGER_MAGIC, magic) != 0 ||
      memcmp(seg + magic, "pid ", 4) != 0)
    return -1;
  seg[TF_LEDGER_HEAD - 1] = '\0';
  pid = strtol((char *)seg + magic + 4, &end, 10);
  return pid > 0 && *end == '\n' ? pid : -1;
}

static uint64_t get_u64(const unsigned char *p) {
  uint64_t v = 0;
  int i;
  for (i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* The name a live record of this directory holds, or NULL. */
static const char *recorded_name(const struct reap *r,
                                 const unsigned char *rec) {
  const char *name = (const char *)rec + TF_LEDGER_NAME_AT;
  size_t len;
  if (rec[0] != TF_LEDGER_LIVE || get_u64(rec + 8) != (uint64_t)r->dev ||
      get_u64(rec + 16) != (uint64_t)r->ino)
    return NULL;
  len = strnlen(name, TF_LEDGER_REC - TF_LEDGER_NAME_AT);
  if (len == 0 || len > NAME_MAX || memchr(name, '/', len) != NULL ||
      strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return NULL;
  return name;
}

/* Judge the records of the dead ledger open at fd that name objects of
 * this directory, setting free those whose objects are gone; 1 if a
 * record is still live (of this directory or another). */
static int judge_records(struct reap *r, int fd, unsigned char *seg,
                         long pid) {
  static const unsigned char freed = TF_LEDGER_FREE;
  int64_t off;
  int live = 0;
  for (off = 0; tf__sys.pread(fd, seg, TF_LEDGER_SEG, off) == TF_LEDGER_SEG;
       off += TF_LEDGER_SEG) {
    size_t i;
    for (i = 0; i < TF_LEDGER_RECS; i++) {
      int64_t at = TF_LEDGER_HEAD + (int64_t)i * TF_LEDGER_REC;
      unsigned char *rec = seg + at;
      const char *name = r->stop ? NULL : recorded_name(r, rec);
      if (name != NULL && !judge_recorded(r, name, rec[1], pid) &&
          !(r->flags & TF_REAP_DRY_RUN) &&
          tf__sys.pwrite(fd, &freed, 1, off + at) == 1)
        rec[0] = TF_LEDGER_FREE;
      live |= rec[0] != TF_LEDGER_FREE;
    }
  }
  return live;
}

/* Lock the ledger open at fd exclusively if its process is dead: 1 when
 * locked.  Its process holds a shared lock while it lives.  Another
 * reaper holds an exclusive one while it judges it: then this one waits
 * for it to finish, rather than miss the leftovers it has not taken yet
 * (a ledger the other removed has no name any more: still_linked()). */
static int lock_dead_ledger(int fd) {
  if (tf__sys.flock(fd, LOCK_EX | LOCK_NB) == 0)
    return 1;
  if (tf__sys.flock(fd, LOCK_SH | LOCK_NB) == 0) {
    tf__sys.flock(fd, LOCK_UN);
    return 0; /* shared: its process (or a child of it) lives */
  }
  return tf__sys.flock(fd, LOCK_EX) == 0;
}

/* A ledger of the home: if no process holds it, the objects its live
 * records name in this directory are leftovers.  It goes once none of
 * its records is live. */
static void judge_ledger(struct reap *r, int homefd, const char *name,
                         unsigned char *seg) {
  struct stat st;
  long pid;
  int fd;
  if (tf__sys.fstatat(homefd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
      !S_ISREG(st.st_mode) || st.st_uid != r->uid)
    return;
  fd = tf__sys.openat(homefd, name,
                      O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
                      0);
  if (fd < 0)
    return;
  if (!lock_dead_ledger(fd) || !still_linked(fd))
    goto out; /* its process lives, or another reaper took it all */
  pid = ledger_pid(fd, seg);
  /* Without a header, its maker gave up on it (or died making it). */
  if ((pid < 0 || !judge_records(r, fd, seg, pid)) &&
      !(r->flags & TF_REAP_DRY_RUN) && same_object(homefd, name, &st))
    tf__sys.unlinkat(homefd, name, 0);
out:
  tf__close_quiet(fd);
}

static int is_ledger(const char *name) {
  return strncmp(name, TF_LEDGER_PREFIX, sizeof(TF_LEDGER_PREFIX) - 1) == 0;
}

/* The ledgers of dead processes, for their objects in this directory. */
static void reap_ledgers(struct reap *r) {
  char home[PATH_MAX];
  unsigned char *seg;
  struct dirent *de;
  DIR *d;
  int fd;
  if (tf__ledger_home(home, sizeof(home)) < 0)
    return;
  fd = tf__sys.openat(AT_FDCWD, home, TF_DIR_FLAGS & ~O_NOFOLLOW, 0);
  if (fd < 0)
    return;
  if (tf__sys.fdopendir(fd, &d) != 0) {
    tf__close_quiet(fd);
    return;
  }
  seg = tf__malloc(TF_LEDGER_SEG);
  while (seg != NULL && !r->stop && tf__sys.readdir(d, &de) == 0 &&
         de != NULL)
    if (is_ledger(de->d_name))
      judge_ledger(r, fd, de->d_name, seg);
  if (seg == NULL && r->err == 0)
    r->err = -ENOMEM;
  tf__freemem(seg);
  tf__sys.closedir(d);
}

static int is_dot(const char *n) {
  return n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'));
}

int tf_reapat(int dirfd, unsigned int flags, unsigned int min_age,
              tf_reap_fn fn, void *arg) {
  struct reap r;
  struct tf__stat st;
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
  if (tf__sys.statfd(fd, &st) != 0 || tf__sys.fdopendir(fd, &d) != 0) {
    int err = -errno;
    tf__close_quiet(fd);
    return err;
  }
  memset(&r, 0, sizeof(r));
  r.dev = st.dev;
  r.ino = st.ino;
  r.dirfd = fd;
  r.flags = flags;
  r.oldest = min_age ? time(NULL) - (time_t)min_age : 0;
  r.uid = geteuid();
  r.fn = fn;
  r.arg = arg;
  reap_ledgers(&r);
  while (!r.stop) {
    if (tf__sys.readdir(d, &de) != 0) {
      if (r.err == 0)
        r.err = -errno;
      break;
    }
    if (de == NULL)
      break;
    if (!is_dot(de->d_name) && !is_ledger(de->d_name))
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
