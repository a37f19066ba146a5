/* SPDX-License-Identifier: MIT */
/*
 * test_rmtree_attacks.c - a second author's adversarial tests of the
 * secure recursive removal: tf_rmtreeat() and the tf_dir handle's
 * cleanup.  Every attack is judged by what it did outside the tree: a
 * victim directory (files of mode 000, 0600 and 0644, directories of mode
 * 0000, 0500 and 0755, a nested file, a symlink, a FIFO) is listed
 * recursively before and after (lstat only: type, mode, owner, size,
 * inode, link count, times, a hash of each file, each link's target, the
 * inode flags), and watched with inotify, so a walker that merely opened
 * it through a symlink is caught too.
 *
 * The attacks: symlinks of every kind planted at every level (also as the
 * top, also through the tf_dir handle); racing processes that swap tree
 * directories for symlinks to the victim (also past the 32-fd window,
 * where the walker climbs back through ".."), move deep directories to
 * shallow places and out of the tree, flip modes, or remove the tree at
 * the same time; the exact windows (between the listing and the open,
 * between the open and the fchmod, at the ".." reopen and the rewalk from
 * the top), hit deterministically through the library's system-call
 * table; hard links to victim files inside denying directories; FIFOs,
 * sockets and device nodes; tmpfs and bind mounts inside the tree (in a
 * private mount namespace); a tf_dir whose top is swapped; and a writer
 * that keeps adding entries (and links to the victim) while the tree is
 * removed, which most removals must outlast.
 *
 * Symlinks to "/" are only ever handed to an unprivileged walker: a broken
 * library then cannot wipe the machine.  Tests that must be root (mounts,
 * device nodes) use a user namespace when the suite does not run as root.
 */
#include "harness.h"
#include "fault.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#ifndef FS_IOC_GETFLAGS
#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#endif
#ifndef MNT_DETACH
#define MNT_DETACH 2
#endif
/* (no kernel headers with musl-gcc) */
#ifndef FUTEX_WAIT
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#endif

/* ------------------------------------------------------------- basics */

static int in_userns; /* this process is root only in a user namespace */

/* Root of the initial user namespace: files can be given away. */
static int real_root(void) { return tf_test_is_root() && !in_userns; }

/* The unprivileged walker's identity (ourselves when not root). */
static uid_t walker_uid(void) { return real_root() ? 65534 : geteuid(); }
static gid_t walker_gid(void) { return real_root() ? 65534 : getegid(); }

static void put_file(const char *path, const char *content, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                0600);
  size_t len = strlen(content);
  if (fd < 0 || write(fd, content, len) != (ssize_t)len)
    FAIL("creating %s: %s", path, strerror(errno));
  close(fd);
  if (mode != 0600)
    CHECK_SYS(chmod(path, mode));
}

static void put_dir(const char *path) {
  if (mkdir(path, 0700) != 0)
    FAIL("mkdir %s: %s", path, strerror(errno));
}

static void put_link(const char *target, const char *path) {
  if (symlink(target, path) != 0)
    FAIL("symlink %s: %s", path, strerror(errno));
}

static void set_mode(const char *path, mode_t mode) {
  if (chmod(path, mode) != 0)
    FAIL("chmod %s: %s", path, strerror(errno));
}

/* snprintf() that fails the test rather than truncate. */
static int fmt(char *out, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static int fmt(char *out, size_t size, const char *format, ...) {
  va_list ap;
  int n;
  va_start(ap, format);
  n = vsnprintf(out, size, format, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= size)
    FAIL("formatting \"%s\": does not fit in %zu bytes", format, size);
  return n;
}

static void join(char *out, size_t size, const char *a, const char *b) {
  fmt(out, size, "%s/%s", a, b);
}

/* The absolute path of rel (relative to the current directory: the
 * test directory, or a tmpfs inside it). */
static void abs_path(char *out, size_t size, const char *rel) {
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) == NULL)
    FAIL("getcwd: %s", strerror(errno));
  join(out, size, cwd, rel);
}

static int exchange(const char *a, const char *b) {
  return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b,
                      RENAME_EXCHANGE);
}

static int is_dir(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_link(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

static mode_t mode_of(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return (mode_t)-1;
  return st.st_mode & 07777;
}

/* Remove name in dfd and everything under it: the cleanup after an
 * attack, once every attacker is dead.  Never follows a symlink; gives a
 * directory owner permissions before entering it. */
static void rm_tree_at(int dfd, const char *name) {
  struct stat st;
  int fd;
  if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return;
  if (!S_ISDIR(st.st_mode)) {
    unlinkat(dfd, name, 0);
    return;
  }
  if ((st.st_mode & 0700) != 0700)
    fchmodat(dfd, name, (st.st_mode & 07777) | 0700, 0);
  fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    DIR *d = fdopendir(fd);
    struct dirent *e;
    if (d == NULL) {
      close(fd);
    } else {
      while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
          rm_tree_at(dirfd(d), e->d_name);
      closedir(d);
    }
  }
  unlinkat(dfd, name, AT_REMOVEDIR);
}

static void rm_tree(const char *path) { rm_tree_at(AT_FDCWD, path); }

/* Give name in dfd and everything under it to the unprivileged walker
 * (when we are root; otherwise everything is ours already). */
static void give_at(int dfd, const char *name) {
  struct stat st;
  int fd;
  if (!real_root())
    return;
  if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    FAIL("lstat %s: %s", name, strerror(errno));
  if (S_ISREG(st.st_mode) && st.st_nlink > 1)
    return; /* a hard link: the victim's file, not ours to give */
  if (fchownat(dfd, name, walker_uid(), walker_gid(), AT_SYMLINK_NOFOLLOW))
    FAIL("chown %s: %s", name, strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return;
  fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    DIR *d = fdopendir(fd);
    struct dirent *e;
    if (d == NULL)
      FAIL("fdopendir: %s", strerror(errno));
    while ((e = readdir(d)) != NULL)
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
        give_at(dirfd(d), e->d_name);
    closedir(d);
  }
}

static void give(const char *path) { give_at(AT_FDCWD, path); }

/* What a child that uses the library must not leak: fds and memory. */
struct leaks {
  char *fds;
  long mem;
};

static void leaks_start(struct leaks *l) {
  l->fds = tf_test_fd_listing();
  l->mem = tf__alloc_outstanding();
}

static void leaks_check(struct leaks *l) {
  char *now = tf_test_fd_listing();
  if (strcmp(now, l->fds) != 0)
    FAIL("leaked an fd: before [%s] after [%s]", l->fds, now);
  if (tf__alloc_outstanding() != l->mem)
    FAIL("leaked %ld library allocations", tf__alloc_outstanding() - l->mem);
  free(now);
  free(l->fds);
}

/* ------------------------------------------------------------ listings */

struct strv {
  char **v;
  size_t n;
};

static void strv_push(struct strv *s, const char *line) {
  char **v = realloc(s->v, (s->n + 1) * sizeof(*v));
  if (v == NULL || (v[s->n] = strdup(line)) == NULL)
    FAIL("out of memory");
  s->v = v;
  s->n++;
}

static int compare_cstr(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted lines joined by '\n'; frees the vector. */
static char *strv_join(struct strv *s) {
  size_t total = 1, i, at = 0;
  char *out;
  if (s->n > 0)
    qsort(s->v, s->n, sizeof(*s->v), compare_cstr);
  for (i = 0; i < s->n; i++)
    total += strlen(s->v[i]) + 1;
  out = malloc(total);
  if (out == NULL)
    FAIL("out of memory");
  for (i = 0; i < s->n; i++) {
    size_t len = strlen(s->v[i]);
    memcpy(out + at, s->v[i], len);
    out[at + len] = '\n';
    at += len + 1;
    free(s->v[i]);
  }
  out[at] = '\0';
  free(s->v);
  s->v = NULL;
  s->n = 0;
  return out;
}

static unsigned long long hash_fd(int fd) {
  unsigned long long h = 1469598103934665603ULL;
  unsigned char buf[4096];
  ssize_t n, i;
  while ((n = read(fd, buf, sizeof(buf))) > 0)
    for (i = 0; i < n; i++)
      h = (h ^ buf[i]) * 1099511628211ULL;
  return h;
}

#define LS_NO_FILE_CTIME 0x1u /* hard links come and go: files' ctime moves */
#define LS_SKIP_DROP 0x2u     /* the top's "drop" belongs to the tree */

/* One line for name in dfd (rel is its path in the listing), and the
 * lines of everything under it.  Never follows a symlink. */
static void describe(int dfd, const char *name, const char *rel,
                     unsigned opts, int top, struct strv *out) {
  char line[2 * PATH_MAX + 256], extra[PATH_MAX + 64] = "", times[96];
  struct stat st;
  int fd;
  if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    fmt(line, sizeof(line), "%s: %s", rel, strerror(errno));
    strv_push(out, line);
    return;
  }
  if (S_ISREG(st.st_mode)) {
    fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      fmt(extra, sizeof(extra), "hash=%llx", hash_fd(fd));
      close(fd);
    } else {
      fmt(extra, sizeof(extra), "unreadable");
    }
  } else if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t len = readlinkat(dfd, name, target, sizeof(target) - 1);
    target[len > 0 ? len : 0] = '\0';
    fmt(extra, sizeof(extra), "-> %s", target);
  }
  if (top && (opts & LS_SKIP_DROP)) /* the drop comes and goes */
    fmt(times, sizeof(times), "times=skipped");
  else
    fmt(times, sizeof(times), "m=%lld.%09ld c=%lld.%09ld n=%lu s=%lld",
             (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
             S_ISREG(st.st_mode) && (opts & LS_NO_FILE_CTIME)
                 ? 0LL
                 : (long long)st.st_ctim.tv_sec,
             S_ISREG(st.st_mode) && (opts & LS_NO_FILE_CTIME)
                 ? 0L
                 : st.st_ctim.tv_nsec,
             (unsigned long)st.st_nlink, (long long)st.st_size);
  if (S_ISDIR(st.st_mode)) {
    DIR *d;
    struct dirent *e;
    int flags = 0;
    fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      fmt(extra, sizeof(extra), "unlistable");
    } else {
      if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0)
        fmt(extra, sizeof(extra), "flags=%x", (unsigned)flags);
      else
        fmt(extra, sizeof(extra), "flags=?");
      d = fdopendir(fd);
      if (d == NULL)
        FAIL("fdopendir %s: %s", rel, strerror(errno));
      while ((e = readdir(d)) != NULL) {
        char sub[PATH_MAX];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
          continue;
        if (top && (opts & LS_SKIP_DROP) && strcmp(e->d_name, "drop") == 0)
          continue;
        join(sub, sizeof(sub), rel, e->d_name);
        describe(dirfd(d), e->d_name, sub, opts, 0, out);
      }
      closedir(d);
    }
  }
  fmt(line, sizeof(line), "%s %07o u%u g%u i%llu %s %s", rel,
           (unsigned)st.st_mode, (unsigned)st.st_uid, (unsigned)st.st_gid,
           (unsigned long long)st.st_ino, times, extra);
  strv_push(out, line);
}

/* The recursive listing of path (relative to the test directory). */
static char *listing(const char *path, unsigned opts) {
  struct strv s = {NULL, 0};
  describe(AT_FDCWD, path, ".", opts, 1, &s);
  return strv_join(&s);
}

/* NULL if before == after, else a message with the lines that differ. */
static char *diff(const char *what, const char *before, const char *after) {
  char *msg;
  size_t size, used;
  const char *p;
  if (strcmp(before, after) == 0)
    return NULL;
  size = 2 * (strlen(before) + strlen(after)) + strlen(what) + 128;
  msg = malloc(size);
  if (msg == NULL)
    FAIL("out of memory");
  used = (size_t)fmt(msg, size, "%s changed:\n", what);
  for (p = before; *p;) { /* lines gone or changed */
    const char *nl = strchr(p, '\n');
    size_t len = (size_t)(nl - p) + 1;
    char *line = strndup(p, len);
    if (strstr(after, line) == NULL)
      used += (size_t)fmt(msg + used, size - used, "  - %s", line);
    free(line);
    p += len;
  }
  for (p = after; *p;) { /* lines new or changed */
    const char *nl = strchr(p, '\n');
    size_t len = (size_t)(nl - p) + 1;
    char *line = strndup(p, len);
    if (strstr(before, line) == NULL)
      used += (size_t)fmt(msg + used, size - used, "  + %s", line);
    free(line);
    p += len;
  }
  return msg;
}

/* Sorted "path type" lines of everything under dir (not dir itself),
 * without entering the directories named in stop (mount points). */
static void names_under(int dfd, const char *rel, const char *const *stop,
                        struct strv *out) {
  DIR *d;
  struct dirent *e;
  int fd = openat(dfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return;
  d = fdopendir(fd);
  if (d == NULL)
    FAIL("fdopendir: %s", strerror(errno));
  while ((e = readdir(d)) != NULL) {
    char sub[PATH_MAX], line[PATH_MAX + 8];
    struct stat st;
    size_t i;
    int stopped = 0;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    join(sub, sizeof(sub), rel, e->d_name);
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      continue;
    fmt(line, sizeof(line), "%s %c", sub,
             S_ISDIR(st.st_mode)   ? 'd'
             : S_ISLNK(st.st_mode) ? 'l'
             : S_ISREG(st.st_mode) ? 'f'
                                   : 'o');
    strv_push(out, line);
    for (i = 0; stop != NULL && stop[i] != NULL; i++)
      stopped |= strcmp(stop[i], sub) == 0;
    if (S_ISDIR(st.st_mode) && !stopped)
      names_under(AT_FDCWD, sub, stop, out);
  }
  closedir(d);
}

static char *names(const char *dir, const char *const *stop) {
  struct strv s = {NULL, 0};
  names_under(AT_FDCWD, dir, stop, &s);
  return strv_join(&s);
}

/* --------------------------------------------------------------- victim */

/* The victim: everything a walker that followed a link could damage. */
static void make_victim(void) {
  put_dir("victim");
  put_file("victim/f000", "mode 000", 0000);
  put_file("victim/f600", "mode 600", 0600);
  put_file("victim/f644", "mode 644", 0644);
  put_dir("victim/d0000");
  put_file("victim/d0000/secret", "in a 0000 directory", 0644);
  put_dir("victim/d0500");
  put_dir("victim/d0500/nested");
  put_file("victim/d0500/nested/file", "nested in a 0500 directory", 0640);
  put_dir("victim/d0755");
  put_dir("victim/d0755/nested");
  put_file("victim/d0755/nested/deep", "nested deep", 0600);
  put_link("f644", "victim/lnk");
  CHECK_SYS(mkfifo("victim/fifo", 0600));
  set_mode("victim/d0000", 0000);
  set_mode("victim/d0500", 0500);
  set_mode("victim/d0755", 0755);
  set_mode("victim", 0755);
}

#define V_NO_FILE_CTIME LS_NO_FILE_CTIME
#define V_SKIP_DROP LS_SKIP_DROP
#define V_NO_WATCH 0x4u     /* someone else writes into it by design */
#define V_ALLOW_OPEN 0x8u   /* bind-mounted: recognising it opens it */
#define MAX_WATCHES 64

struct victim {
  char *listing;
  unsigned opts;
  int ifd;
  int nwatch;
  int wd[MAX_WATCHES];
  char rel[MAX_WATCHES][64];
};

#define DIR_EVENTS                                                           \
  (IN_OPEN | IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE |     \
   IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)
#define FILE_EVENTS                                                          \
  (IN_OPEN | IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

static void watch_tree(struct victim *v, const char *path, const char *rel) {
  struct stat st;
  uint32_t mask;
  int wd;
  if (lstat(path, &st) != 0 || S_ISLNK(st.st_mode))
    return;
  mask = S_ISDIR(st.st_mode) ? DIR_EVENTS : FILE_EVENTS;
  if (!S_ISDIR(st.st_mode) && (v->opts & V_NO_FILE_CTIME))
    mask &= ~(uint32_t)IN_ATTRIB; /* unlinking a hard link is an attrib */
  if (v->opts & V_ALLOW_OPEN)
    mask &= ~(uint32_t)IN_OPEN;
  wd = inotify_add_watch(v->ifd, path, mask | IN_DONT_FOLLOW);
  if (wd >= 0 && v->nwatch < MAX_WATCHES) {
    v->wd[v->nwatch] = wd;
    fmt(v->rel[v->nwatch], sizeof(v->rel[0]), "%s", rel);
    v->nwatch++;
  }
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
      char sub[PATH_MAX], subrel[PATH_MAX];
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
        continue;
      join(sub, sizeof(sub), path, e->d_name);
      join(subrel, sizeof(subrel), rel, e->d_name);
      watch_tree(v, sub, subrel);
    }
    if (d != NULL)
      closedir(d);
  }
}

static const char *event_name(uint32_t mask) {
  return mask & IN_OPEN           ? "opened"
         : mask & IN_ACCESS       ? "read or listed"
         : mask & IN_MODIFY       ? "written"
         : mask & IN_ATTRIB       ? "mode, owner, times or links changed"
         : mask & IN_CREATE       ? "entry created"
         : mask & IN_DELETE       ? "entry deleted"
         : mask & (IN_MOVED_FROM | IN_MOVED_TO) ? "entry renamed"
         : mask & IN_DELETE_SELF  ? "deleted"
         : mask & IN_MOVE_SELF    ? "moved"
         : mask & IN_Q_OVERFLOW   ? "event queue overflow"
                                  : "event";
}

/* Read the pending events; NULL if none (besides IN_IGNORED), else a
 * description of the first. */
static char *events(struct victim *v) {
  char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
  char *msg = NULL;
  ssize_t n;
  while ((n = read(v->ifd, buf, sizeof(buf))) > 0) {
    char *p = buf;
    while (p < buf + n) {
      const struct inotify_event *e = (const struct inotify_event *)p;
      p += sizeof(*e) + e->len;
      if (e->mask == IN_IGNORED)
        continue;
      if (msg == NULL) {
        const char *rel = "?";
        int i;
        for (i = 0; i < v->nwatch; i++)
          if (v->wd[i] == e->wd)
            rel = v->rel[i];
        msg = malloc(PATH_MAX + 128);
        if (msg == NULL)
          FAIL("out of memory");
        fmt(msg, PATH_MAX + 128,
            "the victim was touched: %s (inotify 0x%x) on %s%s%s",
            event_name(e->mask), (unsigned)e->mask, rel, e->len ? "/" : "",
            e->len ? e->name : "");
      }
    }
  }
  return msg;
}

static int watch_fd = -1; /* the victim's inotify fd, if any */

/* In a forked child: the parent's inotify fd is not ours. */
static void close_inherited(void) {
  if (watch_fd >= 0)
    close(watch_fd);
  watch_fd = -1;
}

static void victim_snapshot(struct victim *v, unsigned opts) {
  char *junk;
  memset(v, 0, sizeof(*v));
  v->opts = opts;
  v->ifd = -1;
  if (!(opts & V_NO_WATCH)) {
    v->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK_SYS(v->ifd);
    watch_fd = v->ifd;
    watch_tree(v, "victim", ".");
  }
  v->listing = listing("victim", opts & (LS_NO_FILE_CTIME | LS_SKIP_DROP));
  if (v->ifd >= 0 && (junk = events(v)) != NULL) /* our own listing */
    free(junk);
}

/* NULL if the victim is as it was, else what changed (malloc'd). */
static char *victim_diff(struct victim *v) {
  char *touched = v->ifd >= 0 ? events(v) : NULL;
  char *now = listing("victim", v->opts & (LS_NO_FILE_CTIME | LS_SKIP_DROP));
  char *changed = diff("the victim", v->listing, now), *junk;
  free(now);
  if (v->ifd >= 0 && (junk = events(v)) != NULL) /* our own listing */
    free(junk);
  if (changed != NULL) {
    free(touched);
    return changed;
  }
  return touched;
}

static void victim_end(struct victim *v) {
  if (v->ifd >= 0)
    close(v->ifd);
  if (v->ifd == watch_fd)
    watch_fd = -1;
  free(v->listing);
  v->listing = NULL;
}

/* Fail with what changed, after the caller cleaned up. */
static void fail_if(char *msg, const char *when) {
  if (msg != NULL)
    FAIL("%s: %s", when, msg);
}

/* The victim first: a broken walker is reported by what it did there. */
static void check_victim_now(struct victim *v, const char *when) {
  char *bad = v != NULL ? victim_diff(v) : NULL;
  if (bad != NULL) {
    rm_tree("work");
    FAIL("%s: %s", when, bad);
  }
}

/* -------------------------------------------- hooks in the syscall table */

/* Runs act() right before (or right after) the library's openat() of
 * name with the flags wanted: the exact window an attacker races for,
 * hit every time. */
static struct tf__sys_table saved_sys;
static struct {
  const char *name;
  int need, avoid; /* flags the call must have, and must not have */
  int after;       /* act after a successful open, else before */
  int times;       /* firings left */
  int fired;
  void (*act)(int dirfd);
} hook;

static int hooked_openat(int dfd, const char *path, int flags, mode_t mode) {
  int fd, match = hook.times > 0 && strcmp(path, hook.name) == 0 &&
                  (flags & hook.need) == hook.need && !(flags & hook.avoid);
  if (match && !hook.after) {
    hook.times--;
    hook.fired++;
    hook.act(dfd);
  }
  fd = saved_sys.openat(dfd, path, flags, mode);
  if (match && hook.after && fd >= 0) {
    int saved = errno;
    hook.times--;
    hook.fired++;
    hook.act(dfd);
    errno = saved;
  }
  return fd;
}

static void hook_openat(const char *name, int need, int avoid, int after,
                        void (*act)(int)) {
  hook.name = name;
  hook.need = need;
  hook.avoid = avoid;
  hook.after = after;
  hook.times = 1;
  hook.fired = 0;
  hook.act = act;
  saved_sys = tf__sys;
  tf__sys.openat = hooked_openat;
}

static void unhook(void) { tf__sys = saved_sys; }

/* ------------------------------------------------- privileges, namespaces */

static int entered_as_root; /* the mount child started as real root */

/* In the mount child: become the unprivileged walker, keeping the
 * mounts.  (In a user namespace: drop every capability, so permissions
 * apply to us as the owner of our own files.) */
static void drop_privileges_in_ns(void) {
  if (entered_as_root) {
    if (setgroups(0, NULL) != 0 || setgid(walker_gid()) != 0 ||
        setuid(walker_uid()) != 0)
      FAIL("dropping privileges: %s", strerror(errno));
  } else {
    struct {
      uint32_t version;
      int pid;
    } hdr = {0x20080522, 0}; /* _LINUX_CAPABILITY_VERSION_3 */
    struct {
      uint32_t effective, permitted, inheritable;
    } data[2];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capset, &hdr, data) != 0)
      FAIL("capset: %s", strerror(errno));
  }
}

struct ns_call {
  void (*fn)(void *);
  void *arg;
};

static void in_ns(void *ctx) {
  struct ns_call *c = ctx;
  entered_as_root = tf_test_mount_ns_real_root();
  in_userns = !entered_as_root;
  close_inherited();
  c->fn(c->arg);
}

/* Run fn(arg) in a forked child in a private mount namespace; its mounts
 * die with it.  Returns the child's exit status (0: passed). */
static int run_in_mount_ns(void (*fn)(void *), void *arg) {
  struct ns_call c;
  c.fn = fn;
  c.arg = arg;
  return tf_test_run_in_mount_ns(in_ns, &c);
}

static void do_mount(const char *src, const char *dst, const char *type,
                     unsigned long flags, const char *data) {
  if (mount(src, dst, type ? type : "none", flags, data) != 0)
    FAIL("mount %s on %s: %s", src ? src : type, dst, strerror(errno));
}

static void do_umount(const char *dst) {
  if (umount2(dst, MNT_DETACH) != 0)
    FAIL("umount %s: %s", dst, strerror(errno));
}

/* The races run on a tmpfs mounted in the test directory, in a private
 * mount namespace: the victim and the tree share its file system (so the
 * walker's device check cannot hide a followed link), and a round costs
 * microseconds whatever disk the suite runs on. */
struct tmpfs_job {
  void (*fn)(void *);
  void *arg;
};

/* In the mount child: every mount but the tmpfs read-only, so a walker
 * that climbs out of its tree (through a ".." it should have refused)
 * can harm nothing else.  Best effort: a mount that cannot be changed
 * stays as it is. */
static void make_rest_readonly(const char *keep) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  char line[4096], mp[PATH_MAX];
  if (f == NULL)
    return;
  while (fgets(line, sizeof(line), f) != NULL) {
    struct statvfs sv;
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
    /* "id parent major:minor root mount-point ..." */
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
        strcmp(mp, keep) == 0 || strchr(mp, '\\') != NULL ||
        statvfs(mp, &sv) != 0)
      continue;
    flags |= (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) |
             (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
             (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0) |
             (sv.f_flag & ST_NOATIME ? MS_NOATIME : 0) |
             (sv.f_flag & ST_NODIRATIME ? MS_NODIRATIME : 0) |
             (sv.f_flag & ST_RELATIME ? MS_RELATIME : 0);
    mount("none", mp, "none", flags, NULL);
  }
  fclose(f);
}

static void tmpfs_child(void *p) {
  struct tmpfs_job *job = p;
  char fast[PATH_MAX];
  do_mount("tmpfs", "fast", "tmpfs", 0, "mode=0755,size=64m");
  abs_path(fast, sizeof(fast), "fast");
  make_rest_readonly(fast);
  CHECK_SYS(chdir("fast"));
  job->fn(job->arg);
  CHECK_SYS(chdir(".."));
  do_umount("fast");
}

static int run_on_tmpfs(void (*fn)(void *), void *arg) {
  struct tmpfs_job job;
  int status;
  job.fn = fn;
  job.arg = arg;
  put_dir("fast");
  set_mode("fast", 0755);
  status = run_in_mount_ns(tmpfs_child, &job);
  rm_tree("fast");
  return status;
}

/* Run fn(arg) as the unprivileged walker, checking it leaks nothing. */
static void (*unpriv_fn)(void *);
static void unpriv_trampoline(void *arg) {
  struct leaks l;
  close_inherited();
  leaks_start(&l);
  unpriv_fn(arg);
  leaks_check(&l);
}

static int run_as_walker(void (*fn)(void *), void *arg) {
  unpriv_fn = fn;
  fflush(NULL);
  return tf_test_run_unprivileged(unpriv_trampoline, arg);
}

/* ======================================= 1. symlinks planted in the tree */

/* A link planted at path (in dfd) must lead to what it is aimed at, or
 * the attack proves nothing. */
static void assert_leads_to(int dfd, const char *path, const char *what) {
  struct stat a, b;
  if (fstatat(dfd, path, &a, 0) != 0 || lstat(what, &b) != 0 ||
      a.st_ino != b.st_ino || a.st_dev != b.st_dev)
    FAIL("the link %s does not lead to %s", path, what);
}

#define LINK_LEVELS 5

/* Every kind of symlink an attacker would plant, in dir at level lvl of
 * a tree whose top is work/t. */
static void plant_links(const char *dir, int lvl, int with_root) {
  static const char *const abs_links[][2] = {
      {"to_victim", ""},      {"c_to_victim", ""},   {"e_to_victim", ""},
      {"to_f000", "/f000"},   {"to_f644", "/f644"},  {"to_d0000", "/d0000"},
      {"to_d0500", "/d0500"}, {"dangling", "/ghost"}, {"to_lnk", "/lnk"},
      {"to_fifo", "/fifo"}};
  char path[PATH_MAX], target[PATH_MAX];
  size_t i;
  int up;
  for (i = 0; i < sizeof(abs_links) / sizeof(abs_links[0]); i++) {
    abs_path(target, sizeof(target), "victim");
    strcat(target, abs_links[i][1]);
    join(path, sizeof(path), dir, abs_links[i][0]);
    put_link(target, path);
  }
  target[0] = '\0';
  for (up = 0; up < lvl + 2; up++) /* work/t/... back to the test dir */
    strcat(target, "../");
  strcat(target, "victim");
  join(path, sizeof(path), dir, "to_victim_rel");
  put_link(target, path);
  assert_leads_to(AT_FDCWD, path, "victim");
  join(path, sizeof(path), dir, "to_dot");
  put_link(".", path);
  join(path, sizeof(path), dir, "to_dotdot");
  put_link("..", path);
  join(path, sizeof(path), dir, "loop");
  put_link("loop", path);
  if (with_root) {
    join(path, sizeof(path), dir, "to_root");
    put_link("/", path);
  }
}

/* work/t/d/d/d/d with a file and every link at each level; level 2 is
 * 0500 and level 3 0000 (entered through open_denied() when
 * unprivileged). */
static void build_link_tree(int with_root) {
  char dir[PATH_MAX] = "work/t", path[PATH_MAX];
  int lvl;
  for (lvl = 0; lvl < LINK_LEVELS; lvl++) {
    put_dir(dir);
    join(path, sizeof(path), dir, "file");
    put_file(path, "tree file", 0644);
    plant_links(dir, lvl, with_root);
    strcat(dir, "/d");
  }
  set_mode("work/t/d/d/d", 0000);
  set_mode("work/t/d/d", 0500);
}

enum form { FORM_REL, FORM_ABS, FORM_DIRFD };

static int rmtree_form(enum form form, const char *dir, const char *name,
                       unsigned flags) {
  char path[PATH_MAX];
  int fd, rc;
  switch (form) {
  case FORM_REL:
    join(path, sizeof(path), dir, name);
    return tf_rmtreeat(AT_FDCWD, path, flags);
  case FORM_ABS:
    abs_path(path, sizeof(path), dir);
    strcat(path, "/");
    strcat(path, name);
    return tf_rmtreeat(AT_FDCWD, path, flags);
  default:
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK_SYS(fd);
    rc = tf_rmtreeat(fd, name, flags);
    close(fd);
    return rc;
  }
}

static const struct {
  unsigned flags;
  int hide;
  enum form form;
} link_tree_variants[] = {
    {0, 0, FORM_REL},
    {0, 1, FORM_ABS},
    {TF_CONTENTS_ONLY, 0, FORM_DIRFD},
    {TF_CONTENTS_ONLY, 1, FORM_REL},
    {TF_IGNORE_ERRORS, 1, FORM_DIRFD},
};

/* Build the tree, remove it, check the victim (v, when this process
 * watches it) and the outcome: run by the root walker (no link to "/")
 * or by the unprivileged one. */
static void link_tree_case(struct victim *v, int variant, int with_root) {
  unsigned flags = link_tree_variants[variant].flags;
  int rc;
  build_link_tree(with_root);
  tf__test_hide_dtype(link_tree_variants[variant].hide);
  rc = rmtree_form(link_tree_variants[variant].form, "work", "t", flags);
  tf__test_hide_dtype(0);
  check_victim_now(v, "after removing the tree of links");
  ASSERT_EQ(rc, 0);
  if (flags & TF_CONTENTS_ONLY) {
    ASSERT(is_dir("work/t"));
    ASSERT_EQ(tf_test_count_entries("work/t"), 0);
    ASSERT_MODE(mode_of("work/t"), 0700);
    CHECK_SYS(rmdir("work/t"));
  } else {
    ASSERT(!tf_test_exists("work/t"));
  }
}

static void link_tree_unprivileged(void *arg) {
  link_tree_case(NULL, *(int *)arg, 1);
}

TEST(test_rmtree_attack_links_at_every_level_removed_never_followed) {
  /* The root walker: no link to "/" (see the file comment). */
  struct victim v;
  size_t i;
  make_victim();
  put_dir("work");
  victim_snapshot(&v, 0);
  for (i = 0; i < sizeof(link_tree_variants) / sizeof(link_tree_variants[0]);
       i++) {
    link_tree_case(&v, (int)i, 0);
  }
  ASSERT(!tf_test_exists("victim/ghost"));
  victim_end(&v);
  CHECK_SYS(rmdir("work"));
  rm_tree("victim");
}

TEST(test_rmtree_attack_links_at_every_level_unprivileged_with_root_link) {
  struct victim v;
  char *root_before = tf_test_listing("/"), *root_after;
  size_t i;
  make_victim();
  put_dir("work");
  set_mode("work", 0755);
  give("victim");
  give("work");
  victim_snapshot(&v, 0);
  for (i = 0; i < sizeof(link_tree_variants) / sizeof(link_tree_variants[0]);
       i++) {
    int variant = (int)i, status = run_as_walker(link_tree_unprivileged,
                                                 &variant);
    char *bad = victim_diff(&v);
    if (status != 0 || bad != NULL) {
      rm_tree("work");
      rm_tree("victim");
      fail_if(bad, "victim");
      FAIL("variant %zu: the unprivileged walker failed (status %d)", i,
           status);
    }
  }
  root_after = tf_test_listing("/");
  ASSERT_STR_EQ(root_after, root_before);
  ASSERT(!tf_test_exists("victim/ghost"));
  victim_end(&v);
  rm_tree("work");
  rm_tree("victim");
  free(root_before);
  free(root_after);
}

/* ---------------------------------------------------- the top a symlink */

/* For each target, each way of naming the link and each flag set: only
 * the link goes (or, with TF_CONTENTS_ONLY, nothing, and -ENOTDIR). */
static void top_symlink_cases(struct victim *v, int with_root) {
  char victim[PATH_MAX], tmp[PATH_MAX];
  const char *targets[9];
  static const struct {
    enum form form;
    const char *name;
  } forms[] = {{FORM_REL, "lnk"},   {FORM_REL, "lnk/"},  {FORM_REL, "lnk//"},
               {FORM_ABS, "lnk"},   {FORM_DIRFD, "lnk"}, {FORM_DIRFD, "lnk/"}};
  static const unsigned flag_sets[] = {0, TF_IGNORE_ERRORS, TF_CONTENTS_ONLY,
                                       TF_CONTENTS_ONLY | TF_IGNORE_ERRORS};
  static char f000[PATH_MAX], d0000[PATH_MAX], ghost[PATH_MAX];
  char *t_before;
  size_t nt = 0, t, f, s;
  abs_path(victim, sizeof(victim), "victim");
  abs_path(f000, sizeof(f000), "victim/f000");
  abs_path(d0000, sizeof(d0000), "victim/d0000");
  abs_path(ghost, sizeof(ghost), "victim/ghost");
  targets[nt++] = victim;
  targets[nt++] = "../victim";
  targets[nt++] = f000;
  targets[nt++] = d0000;
  targets[nt++] = ghost;
  targets[nt++] = "lnk"; /* itself: ELOOP */
  targets[nt++] = "t";   /* a real tree next to it */
  targets[nt++] = "t/";
  if (with_root)
    targets[nt++] = "/";
  put_dir("work/t");
  put_dir("work/t/sub");
  put_file("work/t/sub/file", "must stay", 0644);
  set_mode("work/t/sub", 0500);
  t_before = listing("work/t", 0);
  for (t = 0; t < nt; t++) {
    for (f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
      for (s = 0; s < sizeof(flag_sets) / sizeof(flag_sets[0]); s++) {
        unsigned flags = flag_sets[s];
        ssize_t len;
        int rc;
        char *t_now, *changed;
        put_link(targets[t], "work/lnk");
        rc = rmtree_form(forms[f].form, "work", forms[f].name, flags);
        /* first what the link points at */
        check_victim_now(v, "after removing a top link");
        t_now = listing("work/t", 0);
        changed = diff("the tree next to the link", t_before, t_now);
        free(t_now);
        if (changed != NULL) {
          rm_tree("work");
          FAIL("link -> %s as %s, flags %#x: %s", targets[t], forms[f].name,
               flags, changed);
        }
        if (flags & TF_CONTENTS_ONLY) {
          if (rc != ((flags & TF_IGNORE_ERRORS) ? 0 : -ENOTDIR))
            FAIL("link -> %s as %s, flags %#x: %s", targets[t], forms[f].name,
                 flags, tf_err_name(rc));
          len = readlink("work/lnk", tmp, sizeof(tmp) - 1);
          ASSERT_EQ(len, (ssize_t)strlen(targets[t]));
          CHECK_SYS(unlink("work/lnk"));
        } else {
          if (rc != 0)
            FAIL("link -> %s as %s, flags %#x: %s", targets[t], forms[f].name,
                 flags, tf_err_name(rc));
          if (tf_test_exists("work/lnk"))
            FAIL("link -> %s as %s survived", targets[t], forms[f].name);
        }
      }
    }
  }
  free(t_before);
  rm_tree("work/t");
}

static void top_symlink_unprivileged(void *arg) {
  (void)arg;
  top_symlink_cases(NULL, 1);
}

TEST(test_rmtree_attack_top_symlink_only_the_link_goes) {
  struct victim v;
  char *bad;
  make_victim();
  put_dir("work");
  victim_snapshot(&v, 0);
  top_symlink_cases(&v, 0);
  bad = victim_diff(&v);
  victim_end(&v);
  rm_tree("work");
  rm_tree("victim");
  fail_if(bad, "after the top-symlink cases");
}

TEST(test_rmtree_attack_top_symlink_unprivileged_with_root_link) {
  struct victim v;
  char *bad, *root_before = tf_test_listing("/"), *root_after;
  int status;
  make_victim();
  put_dir("work");
  set_mode("work", 0755);
  give("victim");
  give("work");
  victim_snapshot(&v, 0);
  status = run_as_walker(top_symlink_unprivileged, NULL);
  bad = victim_diff(&v);
  root_after = tf_test_listing("/");
  victim_end(&v);
  rm_tree("work");
  rm_tree("victim");
  fail_if(bad, "after the top-symlink cases");
  ASSERT_EQ(status, 0);
  ASSERT_STR_EQ(root_after, root_before);
  free(root_before);
  free(root_after);
}

/* ------------------------------------------------ through the tf_dir handle */

/* Links planted through tf_dir_fd() at several levels, directories of
 * mode 0500 and 0000, and the top itself made 0500; cleanup through the
 * handle removes the tree and follows nothing.  mode: the handle's mode
 * (0 default; 0300 gives an O_PATH fd when unprivileged). */
static void tf_dir_links_case(struct victim *v, unsigned mode,
                              unsigned hflags, int with_root) {
  tf_opts o = TF_OPTS_INIT;
  tf_dir *d = NULL;
  char target[PATH_MAX], name[PATH_MAX];
  int workfd, fd, i, rc;
  static const char *const dirs[] = {"a", "a/b", "a/b/c", "a/b/c/d", "e"};
  workfd = open("work", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(workfd);
  o.mode = mode;
  o.flags = hflags;
  o.prefix = "h";
  ASSERT_OK(tf_dir_createat(&d, workfd, &o));
  fd = tf_dir_fd(d);
  ASSERT_OK(fd);
  abs_path(target, sizeof(target), "victim");
  for (i = 0; i < 5; i++) {
    char p[PATH_MAX];
    CHECK_SYS(mkdirat(fd, dirs[i], 0700));
    join(p, sizeof(p), dirs[i], "to_victim");
    CHECK_SYS(symlinkat(target, fd, p));
    /* relative: up through dirs[i], the handle's directory and work */
    {
      size_t up = 2 + 1, k;
      name[0] = '\0';
      for (k = 0; dirs[i][k]; k++)
        up += dirs[i][k] == '/';
      while (up-- > 0)
        strcat(name, "../");
      strcat(name, "victim/d0000");
    }
    join(p, sizeof(p), dirs[i], "to_d0000");
    CHECK_SYS(symlinkat(name, fd, p));
    assert_leads_to(fd, p, "victim/d0000");
    join(p, sizeof(p), dirs[i], "to_f000");
    abs_path(name, sizeof(name), "victim/f000");
    CHECK_SYS(symlinkat(name, fd, p));
    if (with_root) {
      join(p, sizeof(p), dirs[i], "to_root");
      CHECK_SYS(symlinkat("/", fd, p));
    }
  }
  CHECK_SYS(symlinkat(target, fd, "top_to_victim"));
  CHECK_SYS(fchmodat(fd, "a/b/c", 0000, 0));
  CHECK_SYS(fchmodat(fd, "a/b", 0500, 0));
  CHECK_SYS(fchmodat(fd, "e", 0000, 0));
  if (mode == 0)
    CHECK_SYS(fchmod(fd, 0500)); /* the top denies writing */
  fmt(name, sizeof(name), "%s", tf_dir_path(d));
  rc = tf_dir_cleanup(d);
  check_victim_now(v, "after a cleanup through the handle");
  ASSERT_OK(rc);
  ASSERT(faccessat(workfd, name, F_OK, AT_SYMLINK_NOFOLLOW) != 0);
  ASSERT_ERR(tf_dir_fd(d), -EBADF);
  ASSERT_OK(tf_dir_cleanup(d)); /* idempotent */
  ASSERT_OK(tf_dir_free(d));
  close(workfd);
}

static void tf_dir_links_unprivileged(void *arg) {
  (void)arg;
  tf_dir_links_case(NULL, 0, 0, 1);
  if (TF_TEST_OPENS_UNREADABLE_DIRS) /* else such a tf_dir has no fd */
    tf_dir_links_case(NULL, 0300, 0, 1);
  tf_dir_links_case(NULL, 0, TF_IGNORE_ERRORS | TF_KEEP, 1);
}

TEST(test_rmtree_attack_links_inside_tf_dir_handle) {
  struct victim v;
  char *bad;
  int status;
  make_victim();
  put_dir("work");
  victim_snapshot(&v, 0);
  tf_dir_links_case(&v, 0, 0, 0);
  tf_dir_links_case(&v, 0300, 0, 0);
  tf_dir_links_case(&v, 0, TF_IGNORE_ERRORS, 0);
  set_mode("work", 0755);
  give("victim");
  give("work");
  free(v.listing); /* the owner changed */
  v.listing = listing("victim", 0);
  free(events(&v));
  status = run_as_walker(tf_dir_links_unprivileged, NULL);
  bad = victim_diff(&v);
  victim_end(&v);
  ASSERT_EQ(tf_test_count_entries("work"), 0);
  rm_tree("work");
  rm_tree("victim");
  fail_if(bad, "after cleanups through the handle");
  ASSERT_EQ(status, 0);
}

/* ------------------------------------------------- the tf_dir top swapped */

TEST(test_rmtree_attack_tf_dir_top_swapped_cleanup_touches_nothing) {
  /* The name is replaced after tf_dir_create(): by a link to the victim,
   * by a link to the renamed directory itself, by another directory, or
   * by nothing.  -ESTALE (0 when renamed away, or under
   * TF_IGNORE_ERRORS), and neither what took the name nor the renamed
   * directory is touched. */
  struct victim v;
  tf_dir *d = NULL;
  tf_opts o = TF_OPTS_INIT;
  char victim[PATH_MAX], path[PATH_MAX], theirs[PATH_MAX];
  char *moved_before, *moved_after, *bad;
  int round, fd;
  make_victim();
  abs_path(victim, sizeof(victim), "victim");
  victim_snapshot(&v, 0);
  o.prefix = "swap";
  for (round = 0; round < 5; round++) {
    int rc, frc, want = round == 3 || round == 4 ? 0 : -ESTALE;
    o.flags = round == 4 ? TF_IGNORE_ERRORS : 0;
    ASSERT_OK(tf_dir_create(&d, &o));
    fmt(path, sizeof(path), "%s", tf_dir_path(d));
    ASSERT_EQ(path[0], '/');
    CHECK_SYS(mkdirat(tf_dir_fd(d), "inside", 0700));
    fd = openat(tf_dir_fd(d), "inside/file", O_CREAT | O_WRONLY | O_CLOEXEC,
                0600);
    CHECK_SYS(fd);
    close(fd);
    CHECK_SYS(rename(path, "moved"));
    moved_before = listing("moved", 0);
    join(theirs, sizeof(theirs), path, "theirs");
    if (round == 0 || round == 4)
      put_link(victim, path);
    else if (round == 1)
      put_link("moved", path);
    if (round == 2) {
      put_dir(path);
      put_file(theirs, "someone else's", 0644);
    }
    rc = tf_dir_cleanup(d);
    frc = tf_dir_free(d); /* tries again: the same answer */
    moved_after = listing("moved", 0);
    bad = diff("the renamed directory", moved_before, moved_after);
    if (bad == NULL)
      bad = victim_diff(&v);
    if (bad != NULL) {
      rm_tree("moved");
      rm_tree(path);
      rm_tree("victim");
      FAIL("round %d: %s", round, bad);
    }
    if (rc != want || frc != want)
      FAIL("round %d: cleanup gave %s, free %s", round, tf_err_name(rc),
           tf_err_name(frc));
    if (round == 2) {
      ASSERT(tf_test_exists(theirs));
      rm_tree(path);
    } else if (round != 3) {
      ASSERT(is_link(path));
      CHECK_SYS(unlink(path));
    }
    rm_tree("moved");
    free(moved_before);
    free(moved_after);
  }
  victim_end(&v);
  rm_tree("victim");
}

/* ============================================================ 2. races */

/* A racing attacker is one process per test, parked while the tree is
 * built and cleaned, armed while the walker runs; it reports through
 * shared memory. */
struct shared {
  volatile unsigned long moves; /* swaps done */
  volatile unsigned long eaten; /* times it found its link removed */
  volatile int armed, parked, kind, gen;
  char top[PATH_MAX]; /* the tree this round */
};

static struct shared *shared_map(void) {
  void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    FAIL("mmap: %s", strerror(errno));
  memset(p, 0, sizeof(struct shared));
  return p;
}

static int load(volatile int *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static void store(volatile int *p, int v) {
  __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/* Sleep while *p == value / wake the sleepers (shared memory futex). */
static void futex_wait(volatile int *p, int value) {
  syscall(SYS_futex, p, FUTEX_WAIT, value, NULL, NULL, 0);
}
static void futex_wake(volatile int *p) {
  syscall(SYS_futex, p, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* The attacker's loop: step(sh) while armed, asleep otherwise. */
static void attacker_loop(struct shared *sh, void (*step)(struct shared *)) {
  for (;;) {
    if (!load(&sh->armed)) {
      store(&sh->parked, 1);
      futex_wake(&sh->parked);
      while (!load(&sh->armed))
        futex_wait(&sh->armed, 0);
      store(&sh->parked, 0);
    }
    step(sh);
  }
}

static pid_t start_attacker(struct shared *sh, void (*step)(struct shared *)) {
  pid_t pid;
  store(&sh->armed, 0);
  store(&sh->parked, 0);
  fflush(NULL);
  pid = fork();
  CHECK_SYS(pid);
  if (pid == 0) {
    close_inherited();
    attacker_loop(sh, step);
    _exit(0);
  }
  return pid;
}

static void wait_parked(struct shared *sh) {
  struct timespec ts = {0, 1000000};
  long waits = 0, limit = (long)(10000 * tf_test_time_scale()); /* 10 s */
  while (!load(&sh->parked)) {
    if (waits++ > limit)
      FAIL("the attacker never parked");
    syscall(SYS_futex, &sh->parked, FUTEX_WAIT, 0, &ts, NULL, 0);
  }
}

/* Arm the attacker against top; return once it has moved. */
static void arm(struct shared *sh, const char *top, int kind) {
  unsigned long before = sh->moves;
  long spins = 0, limit = (long)(2e6 * tf_test_time_scale());
  wait_parked(sh);
  fmt(sh->top, sizeof(sh->top), "%s", top);
  sh->kind = kind;
  sh->gen++;
  sh->eaten = 0;
  store(&sh->armed, 1);
  futex_wake(&sh->armed);
  while (sh->moves == before)
    if (spins++ > limit)
      FAIL("the attacker never moved");
    else
      sched_yield();
}

static void disarm(struct shared *sh) {
  store(&sh->armed, 0);
  wait_parked(sh);
}

static void stop_attacker(pid_t pid, struct shared *sh) {
  kill(pid, SIGKILL);
  ASSERT_EQ(waitpid(pid, NULL, 0), pid);
  munmap(sh, sizeof(*sh));
}

/* While a race's walker runs, before each open and unlink it naps (1 us)
 * if the attacker has not moved since its last call, at most 3 times a
 * walk: the attacker then runs in the very windows it races for, on one
 * CPU as on many, and a loaded machine costs little time. */
static struct tf__sys_table race_saved;
static struct shared *race_sh;
static unsigned long race_seen;
static int race_naps;

static void race_nap(void) {
  if (race_naps < 3 && race_sh->moves == race_seen) {
    struct timespec ts = {0, 1000};
    nanosleep(&ts, NULL);
    race_naps++;
  }
  race_seen = race_sh->moves;
}

static int nap_openat(int dfd, const char *path, int flags, mode_t mode) {
  race_nap();
  return race_saved.openat(dfd, path, flags, mode);
}

static int nap_unlinkat(int dfd, const char *path, int flags) {
  race_nap();
  return race_saved.unlinkat(dfd, path, flags);
}

static void race_yields(struct shared *sh) {
  if (sh != NULL) {
    race_sh = sh;
    race_seen = sh->moves;
    race_naps = 0;
    race_saved = tf__sys;
    tf__sys.openat = nap_openat;
    tf__sys.unlinkat = nap_unlinkat;
  } else {
    tf__sys = race_saved;
  }
}

/* The errors a removal may report while an attacker moves things. */
static int race_error_ok(int rc, int eacces_too) {
  return rc == 0 || rc == -ENOTDIR || rc == -EISDIR || rc == -ENOTEMPTY ||
         (eacces_too && rc == -EACCES);
}

struct race_stats {
  const char *what;
  int rounds;
  unsigned long during; /* moves made while the walker ran */
  unsigned long eaten;
  int errors, hits, concurrent, err_count[4];
};

static void race_account(struct race_stats *s, struct shared *sh,
                         unsigned long before, int rc) {
  s->rounds++;
  s->during += sh->moves - before;
  s->concurrent += sh->moves != before;
  s->eaten += sh->eaten;
  if (rc != 0)
    s->errors++;
  if (rc != 0 || sh->eaten != 0)
    s->hits++;
  if (rc != 0)
    s->err_count[rc == -ENOTDIR ? 0 : rc == -EISDIR ? 1 : rc == -ENOTEMPTY ? 2 : 3]++;
}

static void race_report(const struct race_stats *s) {
  fprintf(stderr,
          "    %s: %d rounds, %lu moves while the walker ran (%.1f/round, "
          "in %d rounds), "
          "walker met the attack in %d rounds (%d reported an error: "
          "ENOTDIR %d, EISDIR %d, ENOTEMPTY %d, other %d; the walker "
          "removed the attacker's link %lu times)\n",
          s->what, s->rounds, s->during,
          s->rounds ? (double)s->during / s->rounds : 0.0, s->concurrent,
          s->hits, s->errors,
          s->err_count[0], s->err_count[1], s->err_count[2], s->err_count[3],
          s->eaten);
  /* the attack ran while the walker did, in a good share of the rounds */
  ASSERT_GE(4 * s->concurrent, s->rounds);
}

/* --------------------------- race 1: a child of the top swapped for a link */

#define SWAP_ROUNDS 2000 /* on the tmpfs */
#define DISK_ROUNDS 40   /* and on the test directory's own file system */
static char race_top[PATH_MAX]; /* the tree, relative to the test dir */
static char race_victim[PATH_MAX];

static void build_swap_tree(int make_top) {
  char dir[PATH_MAX], path[PATH_MAX];
  int s, i;
  if (make_top)
    put_dir(race_top);
  for (s = 0; s < 3; s++) {
    fmt(dir, sizeof(dir), "%s/s%d", race_top, s);
    put_dir(dir);
    for (i = 0; i < 6; i++) {
      fmt(path, sizeof(path), "%s/f%02d", dir, i);
      put_file(path, "x", 0644);
    }
    join(path, sizeof(path), dir, "n");
    put_dir(path);
    for (i = 0; i < 2; i++) {
      fmt(path, sizeof(path), "%s/n/g%d", dir, i);
      put_file(path, "y", 0600);
    }
  }
  fmt(path, sizeof(path), "%s/s1x", race_top);
  put_link(race_victim, path);
}

/* kind 0: exchange s1 (a directory) and s1x (a link to the victim)
 * atomically; kind 1: rename(s1, away); symlink(victim, s1); and back. */
static void swap_step(struct shared *sh) {
  static char a[PATH_MAX], b[PATH_MAX], away[PATH_MAX];
  static int gen = -1;
  if (gen != sh->gen) {
    gen = sh->gen;
    fmt(a, sizeof(a), "%s/s1", sh->top);
    fmt(b, sizeof(b), "%s/s1x", sh->top);
    fmt(away, sizeof(away), "%s/s1.away", sh->top);
  }
  if (sh->kind == 0) {
    if (exchange(a, b) == 0)
      sh->moves++;
    else if (errno == ENOENT && symlink(race_victim, b) == 0)
      sh->eaten++;
  } else if (rename(a, away) == 0) {
    if (symlink(race_victim, a) == 0)
      sh->moves++;
    if (unlink(a) != 0)
      sh->eaten++; /* the walker removed our link */
    rename(away, a);
  }
}

static void swap_race(void *arg) {
  struct race_stats st;
  struct victim v;
  struct shared *sh = shared_map();
  int rounds = *(int *)arg, round, workfd;
  pid_t pid;
  memset(&st, 0, sizeof(st));
  st.what = rounds == SWAP_ROUNDS ? "child swapped for a link (tmpfs)"
                                  : "child swapped for a link (test dir)";
  make_victim();
  put_dir("work");
  abs_path(race_victim, sizeof(race_victim), "victim");
  workfd = open("work", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(workfd);
  victim_snapshot(&v, 0);
  pid = start_attacker(sh, swap_step);
  for (round = 0; round < rounds; round++) {
    /* 0: exchange; 1: rename, DT_UNKNOWN; 2: exchange, contents only and
     * ignore errors; 3: rename, through a tf_dir handle, DT_UNKNOWN */
    int kind = round % 4, rc;
    unsigned flags = kind == 2 ? TF_CONTENTS_ONLY | TF_IGNORE_ERRORS : 0;
    unsigned long before;
    tf_dir *d = NULL;
    char *bad;
    if (kind == 3) {
      tf_opts o = TF_OPTS_INIT;
      ASSERT_OK(tf_dir_createat(&d, workfd, &o));
      join(race_top, sizeof(race_top), "work", tf_dir_path(d));
    } else {
      fmt(race_top, sizeof(race_top), "work/t");
    }
    build_swap_tree(kind != 3);
    arm(sh, race_top, kind % 2);
    before = sh->moves;
    tf__test_hide_dtype(kind % 2);
    race_yields(sh);
    rc = kind == 3 ? tf_dir_cleanup(d) : tf_rmtreeat(AT_FDCWD, race_top, flags);
    race_yields(NULL);
    tf__test_hide_dtype(0);
    disarm(sh);
    race_account(&st, sh, before, rc);
    if (kind == 3) { /* a failed cleanup is retried by free */
      int frc = tf_dir_free(d);
      if (frc != 0)
        FAIL("round %d: tf_dir_free after the attack: %s", round,
             tf_err_name(frc));
      ASSERT(!tf_test_exists(race_top));
    }
    if (!race_error_ok(rc, 0) || (kind == 2 && rc != 0))
      FAIL("round %d: removal returned %s", round, tf_err_name(rc));
    rm_tree(race_top);
    bad = victim_diff(&v);
    if (bad != NULL) {
      stop_attacker(pid, sh);
      rm_tree("work");
      rm_tree("victim");
      FAIL("round %d (kind %d, rc %s): %s", round, kind, tf_err_name(rc), bad);
    }
  }
  stop_attacker(pid, sh);
  race_report(&st);
  victim_end(&v);
  close(workfd);
  rm_tree("work");
  rm_tree("victim");
}

TEST_TIMEOUT(test_rmtree_attack_race_child_swapped_for_victim_link, 60) {
  int rounds = DISK_ROUNDS;
  swap_race(&rounds); /* in the test directory: no mount needed */
  tf_test_skip_unless_mount_ns();
  rounds = SWAP_ROUNDS;
  ASSERT_EQ(run_on_tmpfs(swap_race, &rounds), 0);
}

/* ---------------- race 2: swaps in a chain deeper than the 32-fd window */

#define CHAIN 40
#define DEEP_ROUNDS 300
static int chain_files = 3; /* files at each level */
static const int swap_levels[] = {2, 12, 31, 33, 36, 39};
#define NSWAP ((int)(sizeof(swap_levels) / sizeof(swap_levels[0])))

/* top + "/c" * level (+ "/" leaf). */
static void chain_path_of(char *out, size_t size, const char *top, int level,
                          const char *leaf) {
  size_t len = (size_t)fmt(out, size, "%s", top);
  int i;
  for (i = 0; i < level && len + 3 < size; i++) {
    memcpy(out + len, "/c", 3);
    len += 2;
  }
  if (leaf != NULL)
    fmt(out + len, size - len, "/%s", leaf);
}

static void chain_path(char *out, size_t size, int level, const char *leaf) {
  chain_path_of(out, size, race_top, level, leaf);
}

/* race_top/c/c/... CHAIN levels below the top, chain_files files at each;
 * the swap levels have a sibling "cx", a link to the victim. */
static void build_chain(int with_links) {
  char dir[PATH_MAX], path[PATH_MAX];
  int lvl, i;
  for (lvl = 0; lvl <= CHAIN; lvl++) {
    chain_path(dir, sizeof(dir), lvl, NULL);
    put_dir(dir);
    for (i = 0; i < chain_files; i++) {
      fmt(path, sizeof(path), "%s/f%d", dir, i);
      put_file(path, "chain", 0644);
    }
  }
  for (i = 0; with_links && i < NSWAP; i++) {
    chain_path(path, sizeof(path), swap_levels[i] - 1, "cx");
    put_link(race_victim, path);
  }
}

static void deep_swap_step(struct shared *sh) {
  static char a[NSWAP][PATH_MAX], b[NSWAP][PATH_MAX];
  static int gen = -1, i;
  if (gen != sh->gen) {
    gen = sh->gen;
    for (i = 0; i < NSWAP; i++) {
      chain_path_of(a[i], sizeof(a[i]), sh->top, swap_levels[i], NULL);
      chain_path_of(b[i], sizeof(b[i]), sh->top, swap_levels[i] - 1, "cx");
    }
    i = 0;
  }
  if (exchange(a[i], b[i]) == 0)
    sh->moves++;
  else if (errno == ENOENT && symlink(race_victim, b[i]) == 0)
    sh->eaten++;
  i = (i + 1) % NSWAP;
}

static void deep_swap_race(void *arg) {
  struct race_stats st;
  struct victim v;
  struct shared *sh = shared_map();
  int round;
  pid_t pid;
  (void)arg;
  memset(&st, 0, sizeof(st));
  st.what = "swaps at depths 2..39 of a 40-deep chain";
  make_victim();
  put_dir("work");
  abs_path(race_victim, sizeof(race_victim), "victim");
  fmt(race_top, sizeof(race_top), "work/t");
  chain_files = 1;
  victim_snapshot(&v, 0);
  pid = start_attacker(sh, deep_swap_step);
  for (round = 0; round < DEEP_ROUNDS; round++) {
    unsigned long before;
    char *bad;
    int rc;
    build_chain(1);
    arm(sh, race_top, 0);
    before = sh->moves;
    tf__test_hide_dtype(round % 3 == 1);
    race_yields(sh);
    rc = tf_rmtreeat(AT_FDCWD, race_top, round % 3 == 2 ? TF_CONTENTS_ONLY : 0);
    race_yields(NULL);
    tf__test_hide_dtype(0);
    disarm(sh);
    race_account(&st, sh, before, rc);
    if (!race_error_ok(rc, 0))
      FAIL("round %d: removal returned %s", round, tf_err_name(rc));
    rm_tree(race_top);
    bad = victim_diff(&v);
    if (bad != NULL) {
      stop_attacker(pid, sh);
      rm_tree("work");
      rm_tree("victim");
      FAIL("round %d: %s", round, bad);
    }
  }
  stop_attacker(pid, sh);
  race_report(&st);
  victim_end(&v);
  rm_tree("work");
  rm_tree("victim");
}

TEST_TIMEOUT(test_rmtree_attack_race_deep_chain_swaps_past_fd_window, 60) {
  tf_test_skip_unless_mount_ns();
  ASSERT_EQ(run_on_tmpfs(deep_swap_race, NULL), 0);
}

/* -------- race 3: deep directories moved to a shallow place and out of it */

static void move_deep_step(struct shared *sh) {
  static char deep5[PATH_MAX], deep8[PATH_MAX], shallow[PATH_MAX];
  static int gen = -1;
  if (gen != sh->gen) {
    gen = sh->gen;
    chain_path_of(deep5, sizeof(deep5), sh->top, 5, NULL);
    chain_path_of(deep8, sizeof(deep8), sh->top, 8, NULL);
    join(shallow, sizeof(shallow), sh->top, "s");
  }
  /* a deep directory and a shallow one change places */
  if (exchange(deep5, shallow) == 0)
    sh->moves++;
  /* a deep directory leaves the tree for the victim, and comes back: its
   * ".." is then the victim */
  if (rename(deep8, "victim/drop") == 0) {
    sh->moves++;
    rename("victim/drop", deep8);
  }
}

static void move_deep_race(void *arg) {
  struct race_stats st;
  struct victim v;
  struct shared *sh = shared_map();
  int round;
  pid_t pid;
  (void)arg;
  memset(&st, 0, sizeof(st));
  st.what = "deep directories moved shallow and out of the tree";
  make_victim();
  put_dir("work");
  abs_path(race_victim, sizeof(race_victim), "victim");
  fmt(race_top, sizeof(race_top), "work/t");
  chain_files = 1;
  victim_snapshot(&v, V_SKIP_DROP | V_NO_WATCH);
  pid = start_attacker(sh, move_deep_step);
  for (round = 0; round < DEEP_ROUNDS; round++) {
    char path[PATH_MAX], *bad;
    unsigned long before;
    int rc, i;
    build_chain(0);
    join(path, sizeof(path), race_top, "s");
    put_dir(path);
    for (i = 0; i < 4; i++) {
      fmt(path, sizeof(path), "%s/s/f%d", race_top, i);
      put_file(path, "shallow", 0644);
    }
    arm(sh, race_top, 0);
    before = sh->moves;
    tf__test_hide_dtype(round % 2);
    race_yields(sh);
    rc = tf_rmtreeat(AT_FDCWD, race_top, 0);
    race_yields(NULL);
    tf__test_hide_dtype(0);
    disarm(sh);
    race_account(&st, sh, before, rc);
    if (!race_error_ok(rc, 0))
      FAIL("round %d: removal returned %s", round, tf_err_name(rc));
    rm_tree(race_top);
    rm_tree("victim/drop"); /* a tree directory the attacker left there */
    bad = victim_diff(&v);
    if (bad != NULL) {
      stop_attacker(pid, sh);
      rm_tree("work");
      rm_tree("victim");
      FAIL("round %d: %s", round, bad);
    }
  }
  stop_attacker(pid, sh);
  race_report(&st);
  victim_end(&v);
  rm_tree("work");
  rm_tree("victim");
}

TEST_TIMEOUT(test_rmtree_attack_race_deep_dirs_moved_shallow_and_out, 60) {
  tf_test_skip_unless_mount_ns();
  ASSERT_EQ(run_on_tmpfs(move_deep_race, NULL), 0);
}

/* ---------------------- race 4: two walkers remove the same tree at once */

#define TWIN_ROUNDS 200

static void build_twin_tree(void) {
  char dir[PATH_MAX], path[PATH_MAX];
  int w, lvl;
  put_dir("work/t");
  for (w = 0; w < 4; w++) {
    fmt(dir, sizeof(dir), "work/t/w%d", w);
    for (lvl = 0; lvl < 36; lvl++) {
      put_dir(dir);
      fmt(path, sizeof(path), "%s/f", dir);
      put_file(path, "twin", 0644);
      strcat(dir, "/c");
    }
  }
  set_mode("work/t/w1/c/c/c", 0500);
  set_mode("work/t/w2/c", 0500);
}

static int top_opened;
static void note_top_opened(int dfd) {
  (void)dfd;
  top_opened = 1;
}

/* One removal; its result, with 1000 added if the top was opened (an
 * -ENOENT is then not "path does not exist"). */
static int twin_remove(int hide) {
  int rc;
  top_opened = 0;
  hook.times = 1;
  tf__test_hide_dtype(hide);
  rc = tf_rmtreeat(AT_FDCWD, "work/t", 0);
  tf__test_hide_dtype(0);
  return -rc + (top_opened ? 1000 : 0);
}

static void twin_race(void *arg) {
  int round, fails = 0, first = 0, left = 0, both_removed = 0;
  int go[2], done[2];
  pid_t pid;
  (void)arg;
  put_dir("work");
  /* who opened the top, in each walker */
  hook_openat("t", 0, O_PATH, 1, note_top_opened);
  CHECK_SYS(pipe(go));
  CHECK_SYS(pipe(done));
  fflush(NULL);
  pid = fork();
  CHECK_SYS(pid);
  if (pid == 0) { /* the second walker: one removal per byte */
    char c;
    close(go[1]);
    close(done[0]);
    while (read(go[0], &c, 1) == 1) {
      int res = twin_remove(c == '1');
      if (write(done[1], &res, sizeof(res)) != (ssize_t)sizeof(res))
        _exit(1);
    }
    close(go[0]);
    close(done[1]);
    _exit(0);
  }
  close(go[0]);
  close(done[1]);
  for (round = 0; round < TWIN_ROUNDS; round++) {
    int mine, theirs, r;
    build_twin_tree();
    ASSERT_EQ(write(go[1], round % 2 ? "1" : "0", 1), 1);
    mine = twin_remove(round % 3 == 0);
    ASSERT_EQ(read(done[0], &theirs, sizeof(theirs)), (ssize_t)sizeof(theirs));
    for (r = 0; r < 2; r++) {
      int res = r ? theirs : mine, err = res % 1000, opened = res >= 1000;
      /* -ENOENT only if the other walker had removed it all before */
      if (err != 0 && !(err == ENOENT && !opened)) {
        if (fails++ == 0)
          first = -err;
      }
    }
    if (mine >= 1000 && theirs >= 1000)
      both_removed++;
    if (tf_test_exists("work/t"))
      left++;
    rm_tree("work/t");
  }
  close(go[1]);
  close(done[0]);
  ASSERT_EQ(waitpid(pid, NULL, 0), pid);
  unhook();
  CHECK_SYS(rmdir("work"));
  fprintf(stderr, "    two walkers: %d rounds, both inside the tree in %d\n",
          TWIN_ROUNDS, both_removed);
  if (fails != 0)
    FAIL("%d removals of %d reported an error, first %s", fails,
         2 * TWIN_ROUNDS, tf_err_name(first));
  ASSERT_EQ(left, 0);
  ASSERT_GT(both_removed, 0);
}

TEST_TIMEOUT(test_rmtree_attack_race_two_walkers_neither_reports_an_error,
             40) {
  /* "An entry removed by someone else meanwhile is not an error": two
   * removals of one tree deeper than the fd window both return 0 (or
   * -ENOENT from one that found the path already gone). */
  tf_test_skip_unless_mount_ns();
  ASSERT_EQ(run_on_tmpfs(twin_race, NULL), 0);
}

/* --------- race 5: modes flipped and denied directories swapped for links */

#define CHMOD_ROUNDS 300

static void chmod_swap_step(struct shared *sh) {
  static char a[PATH_MAX], b[PATH_MAX];
  static int gen = -1, fd = -1;
  if (gen != sh->gen) {
    gen = sh->gen;
    join(a, sizeof(a), sh->top, "p1");
    join(b, sizeof(b), sh->top, "p1x");
    /* the real directory by fd: chmod never through a path that could be
     * our own link to the victim */
    if (fd >= 0)
      close(fd);
    fd = open(a, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd >= 0)
    fchmod(fd, 0000);
  if (exchange(a, b) == 0)
    sh->moves++;
  else if (errno == ENOENT && symlink(race_victim, b) == 0)
    sh->eaten++;
  if (fd >= 0)
    fchmod(fd, 0500);
  if (exchange(a, b) == 0)
    sh->moves++;
}

/* As the unprivileged walker. */
static void chmod_race_rounds(void) {
  struct race_stats st;
  struct shared *sh = shared_map();
  char path[PATH_MAX];
  int round, p, i;
  pid_t pid;
  memset(&st, 0, sizeof(st));
  st.what = "modes flipped and denied directory swapped (unprivileged)";
  fmt(race_top, sizeof(race_top), "work/t");
  pid = start_attacker(sh, chmod_swap_step);
  for (round = 0; round < CHMOD_ROUNDS; round++) {
    unsigned long before;
    int rc;
    put_dir(race_top);
    for (p = 0; p < 3; p++) {
      fmt(path, sizeof(path), "%s/p%d", race_top, p);
      put_dir(path);
      for (i = 0; i < 4; i++) {
        fmt(path, sizeof(path), "%s/p%d/f%d", race_top, p, i);
        put_file(path, "p", 0600);
      }
      fmt(path, sizeof(path), "%s/p%d/deny", race_top, p);
      put_dir(path);
      fmt(path, sizeof(path), "%s/p%d/deny/g", race_top, p);
      put_file(path, "g", 0600);
      fmt(path, sizeof(path), "%s/p%d/deny", race_top, p);
      set_mode(path, 0000);
    }
    fmt(path, sizeof(path), "%s/p1x", race_top);
    put_link(race_victim, path);
    arm(sh, race_top, 0);
    before = sh->moves;
    tf__test_hide_dtype(round % 2);
    race_yields(sh);
    rc = tf_rmtreeat(AT_FDCWD, race_top, 0);
    race_yields(NULL);
    tf__test_hide_dtype(0);
    disarm(sh);
    race_account(&st, sh, before, rc);
    if (!race_error_ok(rc, 1))
      FAIL("round %d: removal returned %s", round, tf_err_name(rc));
    rm_tree(race_top);
    ASSERT_MODE(mode_of("victim/d0000"), 0000);
  }
  stop_attacker(pid, sh);
  race_report(&st);
}

static void chmod_race(void *arg) {
  struct victim v;
  char *bad;
  int status;
  pid_t pid;
  (void)arg;
  make_victim();
  put_dir("work");
  set_mode("work", 0755);
  give("victim");
  give("work");
  abs_path(race_victim, sizeof(race_victim), "victim/d0000");
  victim_snapshot(&v, 0);
  fflush(NULL);
  pid = fork();
  CHECK_SYS(pid);
  if (pid == 0) {
    close_inherited();
    drop_privileges_in_ns();
    chmod_race_rounds();
    _exit(0);
  }
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  bad = victim_diff(&v);
  victim_end(&v);
  rm_tree("work");
  rm_tree("victim");
  fail_if(bad, "after the chmod race");
  ASSERT_EQ(status, 0);
}

TEST_TIMEOUT(test_rmtree_attack_race_modes_flipped_and_swapped_unprivileged,
             40) {
  int status;
  tf_test_skip_unless_mount_ns();
  if (tf_test_is_root())
    CHECK_SYS(chmod(tf_test_dir(), 0711)); /* the walker passes through */
  status = run_on_tmpfs(chmod_race, NULL);
  if (tf_test_is_root())
    chmod(tf_test_dir(), 0700);
  ASSERT_EQ(status, 0);
}

/* ================================= 3. the exact windows, hit every time */

/* ---------------------------------- between the listing and the open */

static char window_target[PATH_MAX];
static char *park_after_act; /* work/park right after the act */
static enum {
  W_EXCHANGE,  /* work/t/s1 <-> work/park/s1x (a link to window_target) */
  W_FIFO,      /* work/t/s1 -> park; a FIFO in its place */
  W_LINK,      /* work/t/s1 -> park; a link to window_target */
  W_TOP_LINK,  /* work/t -> park; a link to window_target */
  W_AFTER_LINK /* right after the open: work/t/s2 -> park; a link */
} window_kind;

static void window_act(int dfd) {
  (void)dfd;
  switch (window_kind) {
  case W_EXCHANGE:
    CHECK_SYS(exchange("work/t/s1", "work/park/s1x"));
    break;
  case W_FIFO:
    CHECK_SYS(rename("work/t/s1", "work/park/s1"));
    CHECK_SYS(mkfifo("work/t/s1", 0600));
    break;
  case W_LINK:
    CHECK_SYS(rename("work/t/s1", "work/park/s1"));
    CHECK_SYS(symlink(window_target, "work/t/s1"));
    break;
  case W_TOP_LINK:
    CHECK_SYS(rename("work/t", "work/park/t"));
    CHECK_SYS(symlink(window_target, "work/t"));
    break;
  case W_AFTER_LINK: /* (to move it, it must be writable: mode back after) */
    CHECK_SYS(chmod("work/t/s2", 0700));
    CHECK_SYS(rename("work/t/s2", "work/park/s2"));
    CHECK_SYS(chmod("work/park/s2", 0500));
    CHECK_SYS(symlink(window_target, "work/t/s2"));
    break;
  }
  park_after_act = listing("work/park", 0);
}

/* work/t/s0..s2 with files and a subdirectory (s2 0500, so grant_owner()
 * runs on it); work/park/s1x, a link to window_target. */
static void build_window_tree(void) {
  int s, i;
  char path[PATH_MAX];
  put_dir("work/park");
  put_dir("work/t");
  for (s = 0; s < 3; s++) {
    fmt(path, sizeof(path), "work/t/s%d", s);
    put_dir(path);
    for (i = 0; i < 3; i++) {
      fmt(path, sizeof(path), "work/t/s%d/f%d", s, i);
      put_file(path, "w", 0644);
    }
    fmt(path, sizeof(path), "work/t/s%d/sub", s);
    put_dir(path);
    fmt(path, sizeof(path), "work/t/s%d/sub/g", s);
    put_file(path, "g", 0600);
  }
  put_link(window_target, "work/park/s1x");
  set_mode("work/t/s2", 0500);
}

/* One window: the act runs when the walker opens the name; then the
 * victim, the result, and what is left are checked. */
static void window_case(struct victim *v, int kind, const char *target,
                        int hide, unsigned flags, int want_rc) {
  const char *name;
  char *park_now;
  int rc, after = kind == W_AFTER_LINK;
  window_kind = kind;
  abs_path(window_target, sizeof(window_target), target);
  build_window_tree();
  name = kind == W_TOP_LINK ? "t" : kind == W_AFTER_LINK ? "s2" : "s1";
  hook_openat(name, 0, O_PATH, after, window_act);
  tf__test_hide_dtype(hide);
  rc = tf_rmtreeat(AT_FDCWD, "work/t", flags);
  tf__test_hide_dtype(0);
  unhook();
  check_victim_now(v, "after a window");
  if (hook.fired != 1)
    FAIL("kind %d: the window was never reached (%d)", kind, hook.fired);
  if (rc != want_rc)
    FAIL("kind %d (hide %d, flags %#x): removal returned %s, not %s", kind,
         hide, flags, tf_err_name(rc), tf_err_name(want_rc));
  park_now = listing("work/park", 0);
  if (after) {
    /* the parked directory was held open: made 0700 through the fd and
     * emptied; the link in its place is what rmdir then met */
    char *left = names("work", NULL);
    ASSERT_STR_EQ(left, "work/park d\nwork/park/s1x l\nwork/park/s2 d\n"
                        "work/t d\nwork/t/s2 l\n");
    ASSERT_MODE(mode_of("work/park/s2"), 0700);
    free(left);
  } else {
    /* what was parked before the open was never entered */
    char *changed = diff("what was parked", park_after_act, park_now);
    fail_if(changed, "after the window");
    if (kind == W_TOP_LINK && (flags & TF_CONTENTS_ONLY)) {
      char got[PATH_MAX];
      ssize_t len = readlink("work/t", got, sizeof(got) - 1);
      ASSERT_EQ(len, (ssize_t)strlen(window_target));
      CHECK_SYS(unlink("work/t"));
    }
    ASSERT(!tf_test_exists("work/t"));
  }
  free(park_now);
  free(park_after_act);
  park_after_act = NULL;
  rm_tree("work/t");
  rm_tree("work/park");
}

TEST(test_rmtree_attack_window_listing_to_open_dir_becomes_link_or_fifo) {
  struct victim v;
  char *bad;
  int hide;
  make_victim();
  put_dir("work");
  victim_snapshot(&v, 0);
  for (hide = 0; hide < 2; hide++) {
    /* exchanged with a link, atomically: the link is unlinked, the
     * directory (now outside the tree) never entered */
    window_case(&v, W_EXCHANGE, "victim", hide, 0, 0);
    window_case(&v, W_EXCHANGE, "victim/d0000", hide, 0, 0);
    /* replaced by a FIFO (no reader: opening it would block) or a link */
    window_case(&v, W_FIFO, "victim", hide, 0, 0);
    window_case(&v, W_LINK, "victim/d0500", hide, 0, 0);
    /* the top itself, between the call and its open */
    window_case(&v, W_TOP_LINK, "victim", hide, 0, 0);
    window_case(&v, W_TOP_LINK, "victim", hide, TF_CONTENTS_ONLY, -ENOTDIR);
    /* swapped right after the open, before grant_owner(): the mode is
     * changed through the fd, never through the name, which is now a
     * link to the victim's 0500 (or 0000) directory */
    window_case(&v, W_AFTER_LINK, "victim/d0500", hide, 0, -ENOTDIR);
    window_case(&v, W_AFTER_LINK, "victim/d0000", hide, TF_IGNORE_ERRORS, 0);
    bad = victim_diff(&v);
    if (bad != NULL) {
      rm_tree("work");
      rm_tree("victim");
      FAIL("hide %d: %s", hide, bad);
    }
  }
  victim_end(&v);
  rm_tree("work");
  rm_tree("victim");
}

/* ------------------------------- denied directories: the O_PATH windows */

/* As the unprivileged walker: work/t/deny (0000, with a file) is opened
 * O_PATH and made 0700 through that fd.  The act swaps it for a link to
 * the victim's 0000 directory (the walker's own, so a chmod through the
 * name would succeed) before or after that O_PATH open. */
/* Moves work/t/deny to work/park, 0000 again there (moving a directory
 * to another parent needs write permission on it). */
static void park_deny(void) {
  CHECK_SYS(chmod("work/t/deny", 0700));
  CHECK_SYS(rename("work/t/deny", "work/park/deny"));
  CHECK_SYS(chmod("work/park/deny", 0000));
}

static void denied_act(int dfd) {
  (void)dfd;
  park_deny();
  CHECK_SYS(symlink(window_target, "work/t/deny"));
}

static void denied_case(struct victim *v, int after, int hide) {
  char *left;
  int rc;
  put_dir("work/park");
  put_dir("work/t");
  put_dir("work/t/deny");
  put_file("work/t/deny/inside", "i", 0600);
  put_dir("work/t/deny/sub");
  set_mode("work/t/deny", 0000);
  put_file("work/t/other", "o", 0600);
  abs_path(window_target, sizeof(window_target), "victim/d0000");
  hook_openat("deny", O_PATH, 0, after, denied_act);
  tf__test_hide_dtype(hide);
  rc = tf_rmtreeat(AT_FDCWD, "work/t", 0);
  tf__test_hide_dtype(0);
  unhook();
  check_victim_now(v, "after an O_PATH window");
  ASSERT_EQ(hook.fired, 1);
  ASSERT_MODE(mode_of("victim/d0000"), 0000);
  left = names("work", NULL);
  if (after) {
    /* the parked directory was held open: made 0700 and emptied; the
     * link in its place is what rmdir met */
    ASSERT_ERR(rc, -ENOTDIR);
    ASSERT_STR_EQ(left, "work/park d\nwork/park/deny d\nwork/t d\n"
                        "work/t/deny l\n");
    ASSERT_MODE(mode_of("work/park/deny"), 0700);
  } else {
    /* the link was met by the O_PATH open: unlinked; the parked
     * directory untouched, still 0000 */
    ASSERT_ERR(rc, 0);
    ASSERT_STR_EQ(left, "work/park d\nwork/park/deny d\n");
    ASSERT_MODE(mode_of("work/park/deny"), 0000);
  }
  free(left);
  rm_tree("work/t");
  rm_tree("work/park");
}

static void denied_windows_unprivileged(void *arg) {
  struct victim v; /* as far as the walker can see it */
  int hide;
  (void)arg;
  victim_snapshot(&v, 0);
  for (hide = 0; hide < 2; hide++) {
    denied_case(&v, 0, hide);
    denied_case(&v, 1, hide);
    /* and the plain open's window, as for root */
    window_case(&v, W_AFTER_LINK, "victim/d0500", hide, 0, -ENOTDIR);
  }
  victim_end(&v);
}

/* The victim and work/ given to the walker, who runs windows(); the
 * victim must come out unchanged. */
static void denied_windows_as_walker(void (*windows)(void *),
                                     const char *when) {
  struct victim v;
  char *bad;
  int status;
  make_victim();
  put_dir("work");
  set_mode("work", 0755);
  give("victim");
  give("work");
  victim_snapshot(&v, V_NO_WATCH); /* the walker watches it */
  status = run_as_walker(windows, NULL);
  bad = victim_diff(&v);
  victim_end(&v);
  rm_tree("work");
  rm_tree("victim");
  fail_if(bad, when);
  ASSERT_EQ(status, 0);
}

TEST(test_rmtree_attack_window_denied_dir_swapped_around_o_path_open) {
  if (!TF_HAVE_O_PATH)
    SKIP("built without O_PATH: the window of its open does not exist; "
         "test_rmtree_attack_window_denied_dir_swapped_by_name covers the "
         "portable path's");
  denied_windows_as_walker(denied_windows_unprivileged,
                           "after the O_PATH windows");
}

/* ------------------- denied directories without O_PATH: the by-name window */

/* Where there is no O_PATH (platform.h), a directory that denies its
 * owner reading is stat'ed, made 0700 by name (never through a symlink)
 * and opened, and used only if it is the directory stat'ed.  The act
 * swaps work/t/deny, before the chmod or between it and the open, for a
 * link to the victim's 0000 directory or for a decoy directory. */
static int chmod_hook_after;
static void (*chmod_hook_act)(void);
static int chmod_hook_fired;

static int hooked_fchmodat(int dfd, const char *path, mode_t mode, int flags) {
  int rc;
  int match = chmod_hook_act != NULL && strcmp(path, "deny") == 0 &&
              !chmod_hook_fired;
  if (match && !chmod_hook_after) {
    chmod_hook_fired = 1;
    chmod_hook_act();
  }
  rc = saved_sys.fchmodat(dfd, path, mode, flags);
  if (match && chmod_hook_after && rc == 0) {
    chmod_hook_fired = 1;
    chmod_hook_act();
  }
  return rc;
}

static void swap_in_link(void) {
  park_deny();
  CHECK_SYS(symlink(window_target, "work/t/deny"));
}

static void swap_in_decoy(void) {
  park_deny();
  CHECK_SYS(rename("work/decoy", "work/t/deny"));
}

static void by_name_case(struct victim *v, int after, void (*act)(void)) {
  int rc;
  put_dir("work/park");
  put_dir("work/t");
  put_dir("work/t/deny");
  put_file("work/t/deny/inside", "i", 0600);
  set_mode("work/t/deny", 0000);
  put_dir("work/decoy");
  put_file("work/decoy/keep", "k", 0600);
  abs_path(window_target, sizeof(window_target), "victim/d0000");
  chmod_hook_after = after;
  chmod_hook_act = act;
  chmod_hook_fired = 0;
  saved_sys = tf__sys;
  tf__sys.fchmodat = hooked_fchmodat;
  rc = tf_rmtreeat(AT_FDCWD, "work/t", 0);
  unhook();
  chmod_hook_act = NULL;
  check_victim_now(v, "after the by-name window");
  ASSERT_EQ(chmod_hook_fired, 1);
  /* A link in its place is unlinked like any other (rc 0, or an error
   * for the directory that could not be opened); a decoy directory is
   * never emptied: the tree's removal fails. */
  if (act == swap_in_decoy)
    ASSERT(rc < 0);
  ASSERT_MODE(mode_of("victim/d0000"), 0000);
  /* The parked directory was never opened: still 0000, still full. */
  ASSERT_MODE(mode_of("work/park/deny"), 0000);
  if (act == swap_in_decoy)
    ASSERT(tf_test_exists("work/t/deny/keep"));
  else
    ASSERT(!tf_test_exists("work/decoy") || tf_test_exists("work/decoy/keep"));
  set_mode("work/park/deny", 0700);
  rm_tree("work/t");
  rm_tree("work/park");
  rm_tree("work/decoy");
}

static void by_name_windows_unprivileged(void *arg) {
  struct victim v; /* as far as the walker can see it */
  (void)arg;
  victim_snapshot(&v, 0);
  by_name_case(&v, 0, swap_in_link);
  by_name_case(&v, 1, swap_in_link);
  by_name_case(&v, 1, swap_in_decoy);
  victim_end(&v);
}

TEST(test_rmtree_attack_window_denied_dir_swapped_by_name) {
  if (TF_HAVE_O_PATH)
    SKIP("built with O_PATH: a denied directory is opened through it (the "
         "O_PATH window's test runs); this is the portable profile's path");
  denied_windows_as_walker(by_name_windows_unprivileged,
                           "after the by-name windows");
}

/* ------------------------------------------ the ".." reopen past the window */

#define DOTDOT_CHAIN 45
static ino_t chain_ino[DOTDOT_CHAIN + 1];
static int dotdot_move_parent;
static char dotdot_moved[PATH_MAX];

/* Right before the walker opens ".." of the directory open at dfd (its
 * parent evicted), move that directory (or its parent) into the victim,
 * so ".." now names the victim. */
static void dotdot_act(int dfd) {
  struct stat st;
  int lvl;
  CHECK_SYS(fstat(dfd, &st));
  for (lvl = 0; lvl <= DOTDOT_CHAIN; lvl++)
    if (chain_ino[lvl] == st.st_ino)
      break;
  if (lvl > DOTDOT_CHAIN || lvl < 3)
    FAIL("\"..\" opened from an unknown directory");
  chain_path(dotdot_moved, sizeof(dotdot_moved), lvl - dotdot_move_parent,
             NULL);
  CHECK_SYS(rename(dotdot_moved, "victim/drop"));
}

static void dotdot_case(struct victim *v, int move_parent, int hide) {
  char dir[PATH_MAX];
  struct stat st;
  int lvl, rc;
  fmt(race_top, sizeof(race_top), "work/t");
  build_chain(0);
  for (lvl = 0; lvl <= CHAIN; lvl++) { /* deeper, for the window */
    chain_path(dir, sizeof(dir), lvl, NULL);
    CHECK_SYS(lstat(dir, &st));
    chain_ino[lvl] = st.st_ino;
  }
  for (; lvl <= DOTDOT_CHAIN; lvl++) {
    chain_path(dir, sizeof(dir), lvl, NULL);
    put_dir(dir);
    CHECK_SYS(lstat(dir, &st));
    chain_ino[lvl] = st.st_ino;
  }
  dotdot_move_parent = move_parent;
  hook_openat("..", 0, O_PATH, 0, dotdot_act);
  tf__test_hide_dtype(hide);
  rc = tf_rmtreeat(AT_FDCWD, "work/t", 0);
  tf__test_hide_dtype(0);
  unhook();
  check_victim_now(v, "after the \"..\" window");
  ASSERT_EQ(hook.fired, 1);
  ASSERT_OK(rc);
  ASSERT(!tf_test_exists("work/t"));
  /* what was moved out was held (or re-found by identity): emptied */
  ASSERT(is_dir("victim/drop"));
  ASSERT_EQ(tf_test_count_entries("victim/drop"), 0);
  CHECK_SYS(rmdir("victim/drop"));
}

static void dotdot_cases(void *arg) {
  struct victim v;
  char *bad;
  int hide, parent;
  (void)arg;
  make_victim();
  put_dir("work");
  abs_path(race_victim, sizeof(race_victim), "victim");
  victim_snapshot(&v, V_SKIP_DROP | V_NO_WATCH);
  for (hide = 0; hide < 2; hide++) {
    for (parent = 0; parent < 2; parent++) {
      dotdot_case(&v, parent, hide);
      bad = victim_diff(&v);
      if (bad != NULL) {
        rm_tree("work");
        rm_tree("victim");
        FAIL("hide %d, parent moved %d: %s", hide, parent, bad);
      }
    }
  }
  victim_end(&v);
  rm_tree("work");
  rm_tree("victim");
}

TEST(test_rmtree_attack_window_dotdot_reopen_after_move_into_victim) {
  /* (on the tmpfs, everything else read-only: a walker that trusted the
   * ".." would climb on out of the test directory) */
  tf_test_skip_unless_mount_ns();
  ASSERT_EQ(run_on_tmpfs(dotdot_cases, NULL), 0);
}

/* ===================================================== 4. hard links */

static const struct {
  const char *dir;
  mode_t mode;
} hard_dirs[] = {
    {"work/t", 0700},       {"work/t/a", 0000},     {"work/t/a/b", 0100},
    {"work/t/a/b/c", 0500}, {"work/t/e", 0300},     {"work/t/e/f", 0600},
    {"work/t/g", 0200},     {"work/t/h", 0400},     {"work/t/i", 0000},
};
#define NHARD ((int)(sizeof(hard_dirs) / sizeof(hard_dirs[0])))

/* The victim's 000 and 0644 files hard-linked into every directory of a
 * tree whose directories deny their owner every kind of access. */
static void build_hard_link_tree(void) {
  char path[PATH_MAX];
  int i;
  for (i = 0; i < NHARD; i++) {
    put_dir(hard_dirs[i].dir);
    join(path, sizeof(path), hard_dirs[i].dir, "hl000");
    CHECK_SYS(link("victim/f000", path));
    join(path, sizeof(path), hard_dirs[i].dir, "hl644");
    CHECK_SYS(link("victim/f644", path));
    join(path, sizeof(path), hard_dirs[i].dir, "own");
    put_file(path, "own", 0000);
  }
  for (i = NHARD - 1; i >= 0; i--) /* deepest first */
    set_mode(hard_dirs[i].dir, hard_dirs[i].mode);
}

static void hard_link_remove(void *arg) {
  int hide;
  (void)arg;
  for (hide = 0; hide < 2; hide++) {
    char path[32];
    fmt(path, sizeof(path), "work/t%d", hide);
    tf__test_hide_dtype(hide);
    ASSERT_OK(tf_rmtreeat(AT_FDCWD, path, 0));
    tf__test_hide_dtype(0);
    ASSERT(!tf_test_exists(path));
  }
}

static void hard_link_test(int unprivileged) {
  struct victim v;
  char *bad;
  int status = 0, i;
  make_victim();
  put_dir("work");
  set_mode("work", 0755);
  if (unprivileged)
    give("victim");
  /* before the links exist: the link counts must come back */
  victim_snapshot(&v, V_NO_FILE_CTIME);
  for (i = 0; i < 2; i++) {
    char name[32];
    fmt(name, sizeof(name), "work/t%d", i);
    build_hard_link_tree();
    CHECK_SYS(rename("work/t", name));
  }
  if (unprivileged) {
    give("work");
    status = run_as_walker(hard_link_remove, NULL);
  } else {
    hard_link_remove(NULL);
  }
  bad = victim_diff(&v);
  victim_end(&v);
  rm_tree("work");
  rm_tree("victim");
  fail_if(bad, "after removing the hard links");
  ASSERT_EQ(status, 0);
}

TEST(test_rmtree_attack_hard_links_to_victim_files_keep_mode) {
  hard_link_test(0);
}

TEST(test_rmtree_attack_hard_links_in_denying_dirs_unprivileged) {
  /* The walker must chmod the tree's directories to get in; the victim's
   * files (the walker's own, so a chmod would succeed) keep their modes. */
  hard_link_test(1);
}

/* Through a tf_dir handle, as the walker: the handle's top made 0000
 * after hard links were planted in it. */
static void hard_link_tf_dir(void *arg) {
  tf_opts o = TF_OPTS_INIT;
  tf_dir *d = NULL;
  int fd;
  (void)arg;
  o.dir = "work";
  ASSERT_OK(tf_dir_create(&d, &o));
  fd = tf_dir_fd(d);
  CHECK_SYS(linkat(AT_FDCWD, "victim/f000", fd, "hl000", 0));
  CHECK_SYS(mkdirat(fd, "sub", 0700));
  CHECK_SYS(linkat(AT_FDCWD, "victim/f644", fd, "sub/hl644", 0));
  CHECK_SYS(linkat(AT_FDCWD, "victim/f000", fd, "sub/hl000", 0));
  CHECK_SYS(fchmodat(fd, "sub", 0000, 0));
  CHECK_SYS(fchmod(fd, 0000));
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT(!tf_test_exists(tf_dir_path(d)));
  ASSERT_OK(tf_dir_free(d));
}

TEST(test_rmtree_attack_hard_links_in_tf_dir_made_0000_unprivileged) {
  struct victim v;
  char *bad;
  int status;
  make_victim();
  put_dir("work");
  set_mode("work", 0755);
  give("victim");
  give("work");
  victim_snapshot(&v, V_NO_FILE_CTIME);
  status = run_as_walker(hard_link_tf_dir, NULL);
  bad = victim_diff(&v);
  victim_end(&v);
  ASSERT_EQ(tf_test_count_entries("work"), 0);
  rm_tree("work");
  rm_tree("victim");
  fail_if(bad, "after the handle's cleanup");
  ASSERT_EQ(status, 0);
}

/* ====================================== 5. FIFOs, sockets, device nodes */

/* inotify on each special file: any open or read is a failure.  (A FIFO
 * without a reader would also block a blocking open: the timeout.) */
static int watch_specials(const char *const *paths, size_t n) {
  int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  size_t i;
  CHECK_SYS(ifd);
  for (i = 0; i < n; i++)
    if (inotify_add_watch(ifd, paths[i],
                          IN_OPEN | IN_ACCESS | IN_MODIFY | IN_DONT_FOLLOW) < 0 &&
        !(errno == EACCES && geteuid() != 0)) /* unreadable: unopenable */
      FAIL("inotify_add_watch %s: %s", paths[i], strerror(errno));
  return ifd;
}

static int opened_specials(int ifd) {
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  int opened = 0;
  ssize_t n;
  while ((n = read(ifd, buf, sizeof(buf))) > 0) {
    char *p = buf;
    while (p < buf + n) {
      const struct inotify_event *e = (const struct inotify_event *)p;
      p += sizeof(*e) + e->len;
      if (e->mask & (IN_OPEN | IN_ACCESS | IN_MODIFY))
        opened++;
    }
  }
  return opened;
}

static void bind_socket(const char *path) {
  struct sockaddr_un sa;
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHECK_SYS(s);
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  fmt(sa.sun_path, sizeof(sa.sun_path), "%s", path);
  if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0)
    FAIL("bind %s: %s", path, strerror(errno));
  CHECK_SYS(listen(s, 1));
  close(s);
}

static const char *const special_paths[] = {
    "work/t/p0",      "work/t/a/p1",     "work/t/a/b/p2", "work/t/a/b/p000",
    "work/t/a/sock",  "work/t/sock2",    "work/t/c1",     "work/t/a/b/c000",
    "work/t/blk",     "work/t/a/b/blk2", "work/t/d/p3"};

/* FIFOs and sockets at several levels (and with devices, device nodes),
 * also in a (made 0500) and a/b (made 0000: an unprivileged walker gets
 * in through open_denied()). */
static size_t build_specials(int devices) {
  size_t n = 0;
  put_dir("work/t");
  put_dir("work/t/a");
  put_dir("work/t/a/b");
  put_dir("work/t/d");
  CHECK_SYS(mkfifo(special_paths[n++], 0666));
  CHECK_SYS(mkfifo(special_paths[n++], 0600));
  CHECK_SYS(mkfifo(special_paths[n++], 0644));
  CHECK_SYS(mkfifo(special_paths[n++], 0000));
  bind_socket(special_paths[n++]);
  bind_socket(special_paths[n++]);
  if (devices) {
    if (mknod(special_paths[n++], S_IFCHR | 0666, makedev(1, 3)) != 0 ||
        mknod(special_paths[n++], S_IFCHR | 0000, makedev(1, 3)) != 0 ||
        mknod(special_paths[n++], S_IFBLK | 0600, makedev(7, 0)) != 0 ||
        mknod(special_paths[n++], S_IFBLK | 0600, makedev(1, 0)) != 0)
      FAIL("mknod: %s", strerror(errno));
  } else {
    n += 4;
  }
  CHECK_SYS(mkfifo(special_paths[n++], 0600));
  return n;
}

static void special_files_case(int devices) {
  int hide, ifd;
  size_t n, i;
  for (hide = 0; hide < 2; hide++) {
    const char *watched[16];
    size_t nw = 0;
    n = build_specials(devices);
    for (i = 0; i < n; i++)
      if (devices || (i < 6 || i >= 10))
        watched[nw++] = special_paths[i];
    ifd = watch_specials(watched, nw);
    set_mode("work/t/a/b", 0000);
    set_mode("work/t/a", 0500);
    tf__test_hide_dtype(hide);
    ASSERT_OK(tf_rmtreeat(AT_FDCWD, "work/t", 0));
    tf__test_hide_dtype(0);
    ASSERT(!tf_test_exists("work/t"));
    ASSERT_EQ(opened_specials(ifd), 0);
    close(ifd);
  }
  /* a FIFO (and a device) as the top: not a directory, left alone,
   * never opened */
  CHECK_SYS(mkfifo("work/top_fifo", 0600));
  if (devices)
    CHECK_SYS(mknod("work/top_dev", S_IFCHR | 0666, makedev(1, 3)));
  else
    bind_socket("work/top_dev");
  {
    static const char *const tops[] = {"work/top_fifo", "work/top_dev"};
    static const char *const forms[] = {"%s", "%s/", "%s//"};
    size_t t, f;
    ifd = watch_specials(tops, 2);
    for (t = 0; t < 2; t++) {
      for (f = 0; f < 3; f++) {
        char path[64];
        struct stat st;
        fmt(path, sizeof(path), forms[f], tops[t]);
        ASSERT_ERR(tf_rmtreeat(AT_FDCWD, path, 0), -ENOTDIR);
        ASSERT_ERR(tf_rmtreeat(AT_FDCWD, path, TF_CONTENTS_ONLY), -ENOTDIR);
        ASSERT_ERR(tf_rmtreeat(AT_FDCWD, path, TF_IGNORE_ERRORS), 0);
        CHECK_SYS(lstat(tops[t], &st));
        ASSERT(!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode));
      }
    }
    ASSERT_EQ(opened_specials(ifd), 0);
    close(ifd);
    CHECK_SYS(unlink("work/top_fifo"));
    CHECK_SYS(unlink("work/top_dev"));
  }
}

static void specials_unprivileged(void *arg) {
  (void)arg;
  special_files_case(0);
}

TEST_TIMEOUT(test_rmtree_attack_fifos_and_sockets_unlinked_never_opened, 10) {
  int status;
  put_dir("work");
  special_files_case(0);
  set_mode("work", 0755);
  give("work");
  status = run_as_walker(specials_unprivileged, NULL);
  rm_tree("work");
  ASSERT_EQ(status, 0);
}

TEST_TIMEOUT(test_rmtree_attack_device_nodes_unlinked_never_opened, 10) {
  /* (CAP_MKNOD counts only in the initial user namespace) */
  if (!tf_test_is_root())
    SKIP("needs root: device nodes can be made only with CAP_MKNOD");
  put_dir("work");
  special_files_case(1);
  rm_tree("work");
}

/* ============================================================== 6. mounts */

/* work/t: a/m is a tmpfs with files, a second tmpfs sits 34 levels deep;
 * everything else can go. */
static const char *tmpfs_points[] = {"work/t/a/m", NULL, NULL};
static char deep_point[PATH_MAX];

static void build_tmpfs_tree(int first) {
  char dir[PATH_MAX];
  int lvl;
  if (first) {
    put_dir("work/t");
    put_dir("work/t/a");
    put_dir("work/t/a/m");
    fmt(dir, sizeof(dir), "work/t/z");
    for (lvl = 0; lvl < 34; lvl++) {
      put_dir(dir);
      strcat(dir, "/c");
    }
    put_dir(dir);
    fmt(deep_point, sizeof(deep_point), "%s", dir);
    do_mount("tmpfs", "work/t/a/m", "tmpfs", 0, "size=256k,mode=0755");
    do_mount("tmpfs", deep_point, "tmpfs", 0, "size=256k,mode=0700");
    put_file("work/t/a/m/x", "in the tmpfs", 0644);
    put_dir("work/t/a/m/dir");
    put_file("work/t/a/m/dir/y", "deeper in the tmpfs", 0600);
    put_dir("work/t/a/m/d0000");
    set_mode("work/t/a/m/d0000", 0000);
    put_file("work/t/a/m/f000", "000", 0000);
    {
      char p[PATH_MAX];
      join(p, sizeof(p), deep_point, "deep");
      put_file(p, "deep tmpfs", 0644);
    }
  }
  /* what can be removed, built again for every case */
  put_file("work/t/a/f", "f", 0644);
  put_dir("work/t/a/g");
  put_file("work/t/a/g/h", "h", 0000);
  put_dir("work/t/b");
  put_file("work/t/b/f1", "f1", 0644);
  put_dir("work/t/b/sub");
  set_mode("work/t/b/sub", 0500);
  put_file("work/t/c", "c", 0600);
  put_file("work/t/z/c/c/zf", "zf", 0600);
}

static void tmpfs_in_ns(void *arg) {
  static const unsigned flag_sets[] = {0, TF_IGNORE_ERRORS, TF_CONTENTS_ONLY};
  char *m_before, *deep_before, *m_after, *deep_after, *left, want[8192];
  size_t i;
  int hide, lvl;
  (void)arg;
  build_tmpfs_tree(1);
  m_before = listing("work/t/a/m", 0);
  deep_before = listing(deep_point, 0);
  /* what must remain: the mount points and their ancestors */
  {
    char dir[PATH_MAX] = "work/t/z";
    size_t used = (size_t)fmt(want, sizeof(want),
                                   "work/t/a d\nwork/t/a/m d\nwork/t/z d\n");
    for (lvl = 0; lvl < 34; lvl++) {
      strcat(dir, "/c");
      used += (size_t)fmt(want + used, sizeof(want) - used, "%s d\n", dir);
    }
  }
  {
    struct strv s = {NULL, 0};
    char *p = want, *nl;
    while ((nl = strchr(p, '\n')) != NULL) { /* sorted, as names() */
      *nl = '\0';
      strv_push(&s, p);
      p = nl + 1;
    }
    left = strv_join(&s);
    fmt(want, sizeof(want), "%s", left);
    free(left);
  }
  tmpfs_points[1] = deep_point;
  for (hide = 0; hide < 2; hide++) {
    for (i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
      int rc;
      if (hide || i)
        build_tmpfs_tree(0);
      tf__test_hide_dtype(hide);
      rc = tf_rmtreeat(AT_FDCWD, "work/t", flag_sets[i]);
      tf__test_hide_dtype(0);
      /* first what is in the tmpfs: never entered */
      m_after = listing("work/t/a/m", 0);
      deep_after = listing(deep_point, 0);
      fail_if(diff("the tmpfs", m_before, m_after), "after the removal");
      fail_if(diff("the deep tmpfs", deep_before, deep_after),
              "after the removal");
      free(m_after);
      free(deep_after);
      if (rc != (flag_sets[i] & TF_IGNORE_ERRORS ? 0 : -EXDEV))
        FAIL("flags %#x, hide %d: %s", flag_sets[i], hide, tf_err_name(rc));
      left = names("work/t", tmpfs_points);
      if (strcmp(left, want) != 0)
        FAIL("flags %#x, hide %d: left\n%swanted\n%s", flag_sets[i], hide,
             left, want);
      free(left);
    }
  }
  do_umount("work/t/a/m");
  do_umount(deep_point);
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "work/t", 0)); /* now it can all go */
  ASSERT(!tf_test_exists("work/t"));
  free(m_before);
  free(deep_before);
}

TEST(test_rmtree_attack_tmpfs_inside_tree_left_in_place_exdev) {
  int status;
  tf_test_skip_unless_mount_ns();
  put_dir("work");
  status = run_in_mount_ns(tmpfs_in_ns, NULL);
  rm_tree("work");
  ASSERT_EQ(status, 0);
}

/* Bind mounts of the victim (the same file system: only the statx
 * mount-root attribute tells them apart) at level 2 and 36 of a chain,
 * and through a tf_dir handle. */
static void bind_in_ns(void *arg) {
  char shallow[PATH_MAX], deep[PATH_MAX], *left, want[8192];
  const char *stop[3];
  struct victim v;
  tf_dir *d = NULL;
  tf_opts o = TF_OPTS_INIT;
  char *bad;
  int round, lvl;
  (void)arg;
  fmt(race_top, sizeof(race_top), "work/t");
  victim_snapshot(&v, V_ALLOW_OPEN);
  for (round = 0; round < 4; round++) {
    unsigned flags = round == 1 ? TF_IGNORE_ERRORS : round == 2 ? TF_CONTENTS_ONLY : 0;
    int rc;
    build_chain(0);
    chain_path(shallow, sizeof(shallow), 2, "bind");
    chain_path(deep, sizeof(deep), 36, "bind");
    put_dir(shallow);
    put_dir(deep);
    do_mount("victim", shallow, NULL, MS_BIND, NULL);
    do_mount("victim", deep, NULL, MS_BIND, NULL);
    tf__test_hide_dtype(round == 3);
    rc = tf_rmtreeat(AT_FDCWD, "work/t", flags);
    tf__test_hide_dtype(0);
    bad = victim_diff(&v);
    if (bad != NULL)
      FAIL("round %d: %s", round, bad);
    if (rc != ((flags & TF_IGNORE_ERRORS) ? 0 : -EXDEV))
      FAIL("round %d: %s", round, tf_err_name(rc));
    stop[0] = shallow;
    stop[1] = deep;
    stop[2] = NULL;
    left = names("work/t", stop);
    {
      struct strv s = {NULL, 0};
      char p[PATH_MAX], *joined;
      for (lvl = 1; lvl <= 36; lvl++) {
        chain_path(p, sizeof(p), lvl, NULL);
        strcat(p, " d");
        strv_push(&s, p);
      }
      fmt(p, sizeof(p), "%s d", shallow);
      strv_push(&s, p);
      fmt(p, sizeof(p), "%s d", deep);
      strv_push(&s, p);
      joined = strv_join(&s);
      fmt(want, sizeof(want), "%s", joined);
      free(joined);
    }
    if (strcmp(left, want) != 0)
      FAIL("round %d: left\n%swanted\n%s", round, left, want);
    free(left);
    do_umount(shallow);
    do_umount(deep);
    ASSERT_OK(tf_rmtreeat(AT_FDCWD, "work/t", 0));
  }
  /* through the handle: -EXDEV while mounted, then all gone */
  o.dir = "work";
  for (round = 0; round < 2; round++) {
    char inside[PATH_MAX];
    int rc;
    o.flags = round ? TF_IGNORE_ERRORS : 0;
    ASSERT_OK(tf_dir_create(&d, &o));
    CHECK_SYS(mkdirat(tf_dir_fd(d), "sub", 0700));
    CHECK_SYS(mkdirat(tf_dir_fd(d), "sub/bind", 0700));
    CHECK_SYS(mkdirat(tf_dir_fd(d), "other", 0700));
    join(inside, sizeof(inside), tf_dir_path(d), "sub/bind");
    do_mount("victim", inside, NULL, MS_BIND, NULL);
    rc = tf_dir_cleanup(d);
    bad = victim_diff(&v);
    if (bad != NULL)
      FAIL("through the handle: %s", bad);
    ASSERT_ERR(rc, round ? 0 : -EXDEV);
    ASSERT(is_dir(inside));
    ASSERT_OK(tf_dir_fd(d)); /* not cleaned up: the handle keeps it */
    do_umount(inside);
    ASSERT_OK(tf_dir_cleanup(d));
    ASSERT(!tf_test_exists(tf_dir_path(d)));
    ASSERT_OK(tf_dir_free(d));
  }
  victim_end(&v);
}

/* Run fn in a private mount namespace with a fresh victim and an empty
 * "work" directory, both removed afterwards; fn's exit status. */
static int with_victim_in_mount_ns(void (*fn)(void *)) {
  int status;
  make_victim();
  put_dir("work");
  abs_path(race_victim, sizeof(race_victim), "victim");
  status = run_in_mount_ns(fn, NULL);
  rm_tree("work");
  rm_tree("victim");
  return status;
}

TEST(test_rmtree_attack_bind_mount_of_victim_left_alone_exdev) {
  if (!TF_HAVE_STATX)
    SKIP("built without statx: a Linux bind mount of the same file system "
         "has the same st_dev, and only STATX_ATTR_MOUNT_ROOT tells it "
         "(the BSDs' nullfs reports its own st_dev)");
  tf_test_skip_unless_mount_ns();
  ASSERT_EQ(with_victim_in_mount_ns(bind_in_ns), 0);
}

/* The unprivileged walker meets bind mounts of the victim's 0000 and
 * 0500 directories: recognised as mount roots before any chmod (for the
 * 0000 one, on the O_PATH fd). */
static void denied_bind_in_ns(void *arg) {
  struct victim v;
  char *bad;
  int rc, hide;
  (void)arg;
  victim_snapshot(&v, V_ALLOW_OPEN);
  for (hide = 0; hide < 2; hide++) {
    pid_t pid;
    int status;
    put_dir("work/t");
    put_dir("work/t/m0000");
    put_dir("work/t/m0500");
    put_file("work/t/f", "f", 0600);
    do_mount("victim/d0000", "work/t/m0000", NULL, MS_BIND, NULL);
    do_mount("victim/d0500", "work/t/m0500", NULL, MS_BIND, NULL);
    if (real_root()) { /* not into the mounts: the victim's already */
      CHECK_SYS(lchown("work/t", walker_uid(), walker_gid()));
      CHECK_SYS(lchown("work/t/f", walker_uid(), walker_gid()));
    }
    fflush(NULL);
    pid = fork();
    CHECK_SYS(pid);
    if (pid == 0) {
      close_inherited();
      drop_privileges_in_ns();
      tf__test_hide_dtype(hide);
      rc = tf_rmtreeat(AT_FDCWD, "work/t", 0);
      _exit(rc <= 0 && rc > -100 ? -rc : 100); /* the errno, for the parent */
    }
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    bad = victim_diff(&v);
    if (bad != NULL)
      FAIL("hide %d: %s", hide, bad);
    ASSERT_MODE(mode_of("victim/d0000"), 0000);
    ASSERT_MODE(mode_of("victim/d0500"), 0500);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != EXDEV)
      FAIL("hide %d: the unprivileged removal returned %s (status %#x)", hide,
           WIFEXITED(status) ? tf_err_name(-WEXITSTATUS(status)) : "nothing",
           status);
    ASSERT(!tf_test_exists("work/t/f"));
    do_umount("work/t/m0000");
    do_umount("work/t/m0500");
    rm_tree("work/t");
  }
  victim_end(&v);
}

TEST(test_rmtree_attack_bind_mount_of_denied_victim_dir_unprivileged) {
  int status;
  if (!TF_HAVE_STATX)
    SKIP("built without statx: a Linux bind mount of the same file system "
         "has the same st_dev, and only STATX_ATTR_MOUNT_ROOT tells it "
         "(the BSDs' nullfs reports its own st_dev)");
  tf_test_skip_unless_mount_ns();
  make_victim();
  put_dir("work");
  set_mode("work", 0755);
  give("victim");
  give("work");
  if (tf_test_is_root())
    CHECK_SYS(chmod(tf_test_dir(), 0711)); /* the walker passes through */
  status = run_in_mount_ns(denied_bind_in_ns, NULL);
  if (tf_test_is_root())
    chmod(tf_test_dir(), 0700);
  rm_tree("work");
  rm_tree("victim");
  ASSERT_EQ(status, 0);
}

/* The rewalk from the top meets a bind mount of the victim where a
 * frame's directory was: right before the ".." reopen, the current
 * directory is moved out (so ".." fails the identity check) and its
 * parent is replaced by a bind mount of the victim (same file system);
 * the rewalk must refuse it by identity, and the walker then meets it as
 * a mount point. */
static void rewalk_act(int dfd) {
  char cur[PATH_MAX], parent[PATH_MAX];
  struct stat st;
  int lvl;
  CHECK_SYS(fstat(dfd, &st));
  for (lvl = 0; lvl <= DOTDOT_CHAIN; lvl++)
    if (chain_ino[lvl] == st.st_ino)
      break;
  if (lvl > DOTDOT_CHAIN || lvl < 4)
    FAIL("\"..\" opened from an unknown directory");
  chain_path(cur, sizeof(cur), lvl, NULL);
  chain_path(parent, sizeof(parent), lvl - 1, NULL);
  CHECK_SYS(rename(cur, "work/park/cur"));
  CHECK_SYS(rename(parent, "work/park/parent"));
  put_dir(parent);
  do_mount("victim", parent, NULL, MS_BIND, NULL);
  fmt(dotdot_moved, sizeof(dotdot_moved), "%s", parent);
}

static void rewalk_in_ns(void *arg) {
  struct victim v;
  char dir[PATH_MAX], *bad;
  struct stat st;
  int lvl, rc, hide;
  (void)arg;
  fmt(race_top, sizeof(race_top), "work/t");
  victim_snapshot(&v, V_ALLOW_OPEN);
  for (hide = 0; hide < 2; hide++) {
    put_dir("work/park");
    build_chain(0);
    for (lvl = 0; lvl <= DOTDOT_CHAIN; lvl++) {
      chain_path(dir, sizeof(dir), lvl, NULL);
      if (lvl > CHAIN)
        put_dir(dir);
      CHECK_SYS(lstat(dir, &st));
      chain_ino[lvl] = st.st_ino;
    }
    hook_openat("..", 0, O_PATH, 0, rewalk_act);
    tf__test_hide_dtype(hide);
    rc = tf_rmtreeat(AT_FDCWD, "work/t", 0);
    tf__test_hide_dtype(0);
    unhook();
    bad = victim_diff(&v);
    if (bad != NULL)
      FAIL("hide %d: %s", hide, bad);
    ASSERT_EQ(hook.fired, 1);
    ASSERT_ERR(rc, -EXDEV);
    ASSERT(is_dir(dotdot_moved)); /* the mount point, left in place */
    do_umount(dotdot_moved);
    ASSERT_OK(tf_rmtreeat(AT_FDCWD, "work/t", 0));
    rm_tree("work/park");
  }
  victim_end(&v);
}

TEST(test_rmtree_attack_window_rewalk_meets_bind_mount_of_victim) {
  if (!TF_HAVE_STATX)
    SKIP("built without statx: a Linux bind mount of the same file system "
         "has the same st_dev, and only STATX_ATTR_MOUNT_ROOT tells it "
         "(the BSDs' nullfs reports its own st_dev)");
  tf_test_skip_unless_mount_ns();
  ASSERT_EQ(with_victim_in_mount_ns(rewalk_in_ns), 0);
}

/* A file of the victim bind-mounted onto a file of the tree: "a file
 * mounted over a file" is left in place and reported as -EXDEV. */
static void file_bind_in_ns(void *arg) {
  struct victim v;
  char *bad, *left;
  int rc, round;
  (void)arg;
  victim_snapshot(&v, V_ALLOW_OPEN);
  for (round = 0; round < 3; round++) {
    unsigned flags = round == 2 ? TF_IGNORE_ERRORS : 0;
    put_dir("work/t");
    put_dir("work/t/a");
    put_file("work/t/a/mounted", "", 0600);
    put_file("work/t/a/other", "o", 0600);
    do_mount("victim/f644", "work/t/a/mounted", NULL, MS_BIND, NULL);
    tf__test_hide_dtype(round == 1);
    rc = tf_rmtreeat(AT_FDCWD, "work/t", flags);
    tf__test_hide_dtype(0);
    bad = victim_diff(&v);
    if (bad != NULL)
      FAIL("round %d: %s", round, bad);
    if (rc != (flags ? 0 : -EXDEV))
      FAIL("round %d: a file mounted over a file gave %s", round,
           tf_err_name(rc));
    left = names("work/t", NULL);
    ASSERT_STR_EQ(left, "work/t/a d\nwork/t/a/mounted f\n");
    free(left);
    do_umount("work/t/a/mounted");
    rm_tree("work/t");
  }
  victim_end(&v);
}

TEST(test_rmtree_attack_file_bind_mount_left_in_place_exdev) {
  tf_test_skip_unless_mount_ns();
  ASSERT_EQ(with_victim_in_mount_ns(file_bind_in_ns), 0);
}

/* ================================ 7. a writer that keeps adding entries */

/*
 * A process inside the tree keeps adding entries (files, directories
 * holding a file, symlinks to the victim) to the top, to a directory
 * below it and to one deeper than the 32-fd window, through fds it opened
 * there, for up to 2 s, while the tree is removed: by tf_rmtreeat() and
 * by the tf_dir handle's cleanup, in turns.  A directory whose removal
 * finds an entry that came after it was listed is listed again
 * (TF_RMTREE_ROUNDS times at most), so most removals succeed; those that
 * do not report -ENOTEMPTY, and once the writer stops a second removal
 * finishes.  The victim is never touched and nothing leaks.
 *
 * The writer naps 100 us between entries (a shell loop is slower still);
 * without the rounds such a writer made almost every removal fail.  A
 * writer that never naps can keep pace with any walker: it is measured
 * too, and only reported.
 */
#define WRITER_ROUNDS 24
#define WRITER_DEEP 40 /* levels of the deep directory */

struct writer_share {
  volatile unsigned long made; /* entries the writer made */
  volatile int stop;
};

/* The writer's three directories under top. */
static void writer_places(const char *top, char places[3][PATH_MAX]) {
  int i;
  fmt(places[0], PATH_MAX, "%s", top);
  join(places[1], PATH_MAX, top, "a");
  fmt(places[2], PATH_MAX, "%s", top);
  for (i = 0; i < WRITER_DEEP; i++)
    fmt(places[2] + strlen(places[2]), PATH_MAX - strlen(places[2]), "/c%d",
        i);
}

static void build_writer_tree(const char *top) {
  char places[3][PATH_MAX], path[PATH_MAX];
  int i, j;
  writer_places(top, places);
  put_dir(places[1]);
  for (i = 0; i < WRITER_DEEP; i++) {
    fmt(path, sizeof(path), "%s", top);
    for (j = 0; j <= i; j++)
      fmt(path + strlen(path), sizeof(path) - strlen(path), "/c%d", j);
    put_dir(path);
  }
  for (i = 0; i < 3; i++)
    for (j = 0; j < 20; j++) {
      fmt(path, sizeof(path), "%s/f%d", places[i], j);
      put_file(path, "old", 0600);
    }
}

/* Add one entry of kind n % 4 named name in dfd; -1 with errno if not. */
static int writer_add(int dfd, const char *name, int n, const char *victim) {
  int fd, sub;
  switch (n % 4) {
  case 0:
    fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
      close(fd);
    return fd < 0 ? -1 : 0;
  case 1:
    if (mkdirat(dfd, name, 0700) != 0)
      return -1;
    sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub >= 0) {
      fd = openat(sub, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      if (fd >= 0)
        close(fd);
      close(sub);
    }
    return 0;
  case 2:
    return symlinkat(victim, dfd, name);
  default:
    return symlinkat("../victim/f644", dfd, name);
  }
}

/* The writer (a child): writes a byte to ready after its first entries,
 * then keeps adding until its three directories are gone, it is told to
 * stop, or 2 s have passed. */
static void writer_run(struct writer_share *sh, const char *top, int nap_us,
                       int ready) {
  char places[3][PATH_MAX], victim[PATH_MAX], name[32];
  struct timespec start, now, nap = {0, 0};
  int fds[3], alive = 3, n, i;
  nap.tv_nsec = nap_us * 1000L;
  close_inherited();
  abs_path(victim, sizeof(victim), "victim");
  writer_places(top, places);
  for (i = 0; i < 3; i++)
    if ((fds[i] = open(places[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
      _exit(3);
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (n = 0; alive > 0 && !sh->stop; n++) {
    for (i = 0; i < 3; i++) {
      if (fds[i] < 0)
        continue;
      snprintf(name, sizeof(name), "w%d", n);
      if (writer_add(fds[i], name, n, victim) == 0)
        sh->made++;
      else if (errno == ENOENT) { /* its directory was removed */
        close(fds[i]);
        fds[i] = -1;
        alive--;
      }
    }
    if (n == 30 && write(ready, "r", 1) != 1)
      _exit(4);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= 2 && n > 30)
      break;
    if (nap_us > 0)
      nanosleep(&nap, NULL);
  }
  _exit(0);
}

/* WRITER_ROUNDS removals racing a writer that naps nap_us between
 * entries; the number that succeeded. */
static int writer_race(struct victim *v, int nap_us) {
  struct writer_share *sh;
  struct leaks lk;
  int round, ok = 0, concurrent = 0, workfd;
  unsigned long during = 0;
  sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED)
    FAIL("mmap: %s", strerror(errno));
  workfd = open("work", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(workfd);
  leaks_start(&lk);
  for (round = 0; round < WRITER_ROUNDS; round++) {
    tf_opts o = TF_OPTS_INIT;
    tf_dir *d = NULL;
    char top[PATH_MAX], c, *bad;
    unsigned long before;
    int p[2], rc, status;
    pid_t pid;
    if (round % 2) { /* the handle's cleanup */
      o.prefix = "h";
      ASSERT_OK(tf_dir_createat(&d, workfd, &o));
      join(top, sizeof(top), "work", tf_dir_path(d));
    } else {
      fmt(top, sizeof(top), "work/t");
      put_dir(top);
    }
    build_writer_tree(top);
    sh->made = 0;
    sh->stop = 0;
    CHECK_SYS(pipe2(p, O_CLOEXEC));
    fflush(NULL);
    pid = fork();
    CHECK_SYS(pid);
    if (pid == 0) {
      close(p[0]);
      writer_run(sh, top, nap_us, p[1]);
    }
    close(p[1]);
    if (read(p[0], &c, 1) != 1)
      FAIL("the writer did not start");
    close(p[0]);
    before = sh->made;
    rc = d != NULL ? tf_dir_cleanup(d) : tf_rmtreeat(AT_FDCWD, top, 0);
    during += sh->made - before;
    concurrent += sh->made != before;
    sh->stop = 1;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    bad = victim_diff(v);
    if (bad != NULL) {
      rm_tree("work");
      FAIL("round %d (%s, writer naps %d us): %s", round,
           d != NULL ? "tf_dir_cleanup" : "tf_rmtreeat", nap_us, bad);
    }
    if (rc != 0 && rc != -ENOTEMPTY)
      FAIL("round %d: the removal returned %s", round, tf_err_name(rc));
    if (rc == 0) {
      ASSERT(!tf_test_exists(top));
      ok++;
    }
    /* The writer stopped: a second removal finishes. */
    if (d != NULL)
      ASSERT_OK(tf_dir_free(d));
    else if (rc != 0)
      ASSERT_OK(tf_rmtreeat(AT_FDCWD, top, 0));
    ASSERT(!tf_test_exists(top));
  }
  leaks_check(&lk);
  CHECK_SYS(close(workfd));
  fprintf(stderr,
          "    writer napping %d us between entries: %d of %d removals "
          "succeeded; it made %.1f entries per removal while the walker "
          "ran, in %d removals\n",
          nap_us, ok, WRITER_ROUNDS, (double)during / WRITER_ROUNDS,
          concurrent);
  /* It wrote while the walker ran, in a good share of the rounds. */
  ASSERT_GE(4 * concurrent, WRITER_ROUNDS);
  munmap(sh, sizeof(*sh));
  return ok;
}

TEST_TIMEOUT(test_rmtree_attack_writer_adding_entries_most_removals_succeed,
             60) {
  struct victim v;
  int ok;
  make_victim();
  put_dir("work");
  victim_snapshot(&v, 0);
  /* The nap scales with the suite (valgrind: 20 times), so the writer
   * keeps the same pace against a walker that runs that much slower. */
  ok = writer_race(&v, (int)(100 * tf_test_time_scale()));
  ASSERT_GE(4 * ok, 3 * WRITER_ROUNDS); /* most: at least 3 in 4 */
  writer_race(&v, 0);                   /* reported only */
  victim_end(&v);
  ASSERT_EQ(tf_test_count_entries("work"), 0);
  rm_tree("work");
  rm_tree("victim");
}
