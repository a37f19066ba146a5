/* SPDX-License-Identifier: MIT */
/*
 * sys.c - the one table through which the library makes every system call
 * and allocation that can fail (SQLite's aSyscall).  The entries are the
 * real calls (tf__sys_os), in every build, behind the EINTR policy
 * (tf__sys, what the library calls; internal.h says the policy).  The
 * tables are writable so that the tests' fault injector (tests/fault.c)
 * can put wrappers in front of the real calls at run time, failing the
 * Nth call with a chosen errno and counting allocations; the library has
 * no test code of its own.  The calls of signal handlers
 * (rmtree_signal.c, rawdir.c, registry.c) and one-time setup with a
 * complete fallback (process.c) bypass the table on purpose; the
 * handlers' calls retry EINTR by hand (TF_RAW_RETRY).
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>

#if TF_HAVE_GETRANDOM
#include <sys/random.h>
#endif
#if TF_HAVE_RENAMEAT2 || TF_HAVE_STATX
#include <sys/syscall.h>
#endif
#if TF_HAVE_STATX
#include <sys/sysmacros.h>
#endif
#if TF_HAVE_STATFS_TYPE
#include <sys/vfs.h>
#endif
#if TF_HAVE_XATTR
#include <sys/xattr.h>
#endif

/* ------------------------------------------------------------ real calls */

static int real_openat(int dirfd, const char *path, int flags, mode_t mode) {
  return openat(dirfd, path, flags, mode);
}

static int real_close(int fd) { return close(fd); }

static int real_unlinkat(int dirfd, const char *path, int flags) {
  return unlinkat(dirfd, path, flags);
}

static int real_mkdirat(int dirfd, const char *path, mode_t mode) {
  return mkdirat(dirfd, path, mode);
}

static int real_fstatat(int dirfd, const char *path, struct stat *st,
                        int flags) {
  return fstatat(dirfd, path, st, flags);
}

static int real_renameat(int od, const char *op, int nd, const char *np) {
  return renameat(od, op, nd, np);
}

static int real_renameat2(int od, const char *op, int nd, const char *np,
                          unsigned int flags) {
#if TF_HAVE_RENAMEAT2 && defined(SYS_renameat2)
  /* The raw call: musl 1.2.3 and older glibc have no wrapper. */
  return (int)syscall(SYS_renameat2, od, op, nd, np, flags);
#else
  (void)od, (void)op, (void)nd, (void)np, (void)flags;
  errno = ENOSYS;
  return -1;
#endif
}

static int real_linkat(int od, const char *op, int nd, const char *np,
                       int flags) {
  return linkat(od, op, nd, np, flags);
}

static int real_fchmod(int fd, mode_t mode) { return tf__raw_fchmod(fd, mode); }

static int real_fchmodat(int dirfd, const char *path, mode_t mode, int flags) {
  return fchmodat(dirfd, path, mode, flags);
}

static ssize_t real_write(int fd, const void *buf, size_t n) {
  return write(fd, buf, n);
}

static int real_fcntl_dupfd(int fd) { return fcntl(fd, F_DUPFD_CLOEXEC, 3); }

static int real_getcwd(char *buf, size_t size) {
  return getcwd(buf, size) ? 0 : -1;
}

static int real_getrandom(void *buf, size_t n) {
#if TF_HAVE_GETRANDOM
  ssize_t got = getrandom(buf, n, 0);
  if (got < 0)
    return -1;
  return (int)got;
#else
  /* getentropy() serves at most 256 bytes and never returns short. */
  if (n > 256)
    n = 256;
  if (getentropy(buf, n) != 0)
    return -1;
  return (int)n;
#endif
}

static int real_fdopen(int fd, const char *mode, FILE **out) {
  FILE *fp = fdopen(fd, mode);
  if (fp == NULL)
    return -1;
  *out = fp;
  return 0;
}

static int real_fclose(FILE *fp) { return fclose(fp); }

static int real_fflush(FILE *fp) { return fflush(fp); }

/* malloc() and free() are entries so that the tests can count what is
 * outstanding. */
static int real_malloc(size_t n, void **out) {
  void *p = malloc(n);
  if (p == NULL) {
    errno = ENOMEM;
    return -1;
  }
  *out = p;
  return 0;
}

#if TF_HAVE_STATX && defined(SYS_statx)
/* The kernel's struct statx, declared here because musl before 1.2.5 and
 * glibc before 2.28 have none. */
struct kernel_statx {
  uint32_t mask, blksize;
  uint64_t attributes;
  uint32_t nlink, uid, gid;
  uint16_t mode, spare0;
  uint64_t ino, size, blocks, attributes_mask;
  struct {
    int64_t sec;
    uint32_t nsec;
    int32_t reserved;
  } atime, btime, ctime, mtime;
  uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
  uint64_t spare[14];
};
#define KSTATX_BASIC 0x7ffu
#define KSTATX_BTIME 0x800u
#define KSTATX_ATTR_MOUNT_ROOT 0x2000u
#endif

static void from_stat(const struct stat *st, struct tf__stat *out) {
  out->dev = st->st_dev;
  out->ino = st->st_ino;
  out->mode = st->st_mode;
  out->mount_root = -1;
  out->birth_sec = 0;
  out->birth_nsec = 0;
}

/* statx() tells a mount root apart, even a bind mount of the same file
 * system, and gives the birth time; where it is missing, fstatat() or
 * fstat(), mount_root -1 and no birth time.  1: done, 0: not available
 * here (fall back), -1: failed. */
static int stat_by_statx(int dirfd, const char *name, int flags,
                         struct tf__stat *out) {
#if TF_HAVE_STATX && defined(SYS_statx)
  struct kernel_statx sx;
  if (syscall(SYS_statx, dirfd, name, flags | AT_SYMLINK_NOFOLLOW,
              KSTATX_BASIC | KSTATX_BTIME, &sx) != 0)
    return errno == ENOSYS ? 0 : -1;
  out->dev = makedev(sx.dev_major, sx.dev_minor);
  out->ino = (ino_t)sx.ino;
  out->mode = sx.mode;
  out->mount_root = (sx.attributes_mask & KSTATX_ATTR_MOUNT_ROOT)
                        ? (sx.attributes & KSTATX_ATTR_MOUNT_ROOT) != 0
                        : -1;
  out->birth_sec = (sx.mask & KSTATX_BTIME) ? sx.btime.sec : 0;
  out->birth_nsec = (sx.mask & KSTATX_BTIME) ? (long)sx.btime.nsec : 0;
  return 1;
#else
  (void)dirfd, (void)name, (void)flags, (void)out;
  return 0;
#endif
}

int tf__raw_stat(int dirfd, const char *name, struct tf__stat *out) {
  struct stat st;
  int r = stat_by_statx(dirfd, name, 0, out);
  if (r != 0)
    return r > 0 ? 0 : -1;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return -1;
  from_stat(&st, out);
  return 0;
}

int tf__raw_statfd(int fd, struct tf__stat *out) {
  struct stat st;
#if TF_HAVE_AT_EMPTY_PATH
  int r = stat_by_statx(fd, "", AT_EMPTY_PATH, out);
  if (r != 0)
    return r > 0 ? 0 : -1;
#endif
  if (fstat(fd, &st) != 0)
    return -1;
  from_stat(&st, out);
  return 0;
}

static int real_statfd(int fd, struct tf__stat *out) {
  return tf__raw_statfd(fd, out);
}

static int real_statat(int dirfd, const char *name, struct tf__stat *out) {
  return tf__raw_stat(dirfd, name, out);
}

static int real_fdopendir(int fd, DIR **out) {
  DIR *d = fdopendir(fd);
  if (d == NULL)
    return -1;
  *out = d;
  return 0;
}

static int real_readdir(DIR *d, struct dirent **out) {
  struct dirent *de;
  errno = 0;
  de = readdir(d);
  if (de == NULL && errno != 0)
    return -1;
  *out = de;
  return 0;
}

static int real_closedir(DIR *d) { return closedir(d); }

static ssize_t real_read(int fd, void *buf, size_t n) {
  return read(fd, buf, n);
}

static ssize_t real_pread(int fd, void *buf, size_t n, int64_t off) {
  return pread(fd, buf, n, (off_t)off);
}

static ssize_t real_pwrite(int fd, const void *buf, size_t n, int64_t off) {
  return pwrite(fd, buf, n, (off_t)off);
}

static int64_t real_lseek(int fd, int64_t off, int whence) {
  return (int64_t)lseek(fd, (off_t)off, whence);
}

static int real_ftruncate(int fd, int64_t size) {
  return ftruncate(fd, (off_t)size);
}

static void real_free(void *p) { free(p); }

static int real_fstat(int fd, struct stat *st) { return fstat(fd, st); }

static int real_fsize(int fd, int64_t *size) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return -1;
  *size = (int64_t)st.st_size;
  return 0;
}

/* The adapters of fopencookie() and funopen() live in cookie.c. */
static int real_fopencookie(void *cookie, FILE **out) {
  return tf__cookie_open(cookie, out);
}

/* Anonymous memory aligned to 2 MiB, the size of a transparent huge
 * page on x86-64 and arm64, and marked for huge pages. */
#define MAP_ALIGN ((size_t)2 << 20)

static size_t page_round(size_t n) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  return (n + page - 1) / page * page;
}

static int real_mapmem(size_t n, void **out) {
  size_t len = page_round(n), span = len + MAP_ALIGN;
  char *p, *start;
  if (span < len) {
    errno = ENOMEM;
    return -1;
  }
  p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
           -1, 0);
  if (p == MAP_FAILED)
    return -1;
  start = p + (MAP_ALIGN - (uintptr_t)p % MAP_ALIGN) % MAP_ALIGN;
  if (start > p)
    munmap(p, (size_t)(start - p));
  munmap(start + len, (size_t)(p + span - (start + len)));
#if defined(MADV_HUGEPAGE)
  (void)madvise(start, len, MADV_HUGEPAGE); /* advice: fine if refused */
#endif
  *out = start;
  return 0;
}

static int real_unmapmem(void *p, size_t n) { return munmap(p, page_round(n)); }

static int real_fsync(int fd) {
#if TF_HAVE_FULLFSYNC
  /* fsync() on macOS stops at the drive's cache. */
  if (fcntl(fd, F_FULLFSYNC) == 0)
    return 0;
#endif
  return fsync(fd);
}

static int real_fchown(int fd, uid_t uid, gid_t gid) {
  return fchown(fd, uid, gid);
}

static ssize_t real_readlinkat(int dirfd, const char *path, char *buf,
                               size_t n) {
  return readlinkat(dirfd, path, buf, n);
}

static int real_linkfd(int fd, int dirfd, const char *name) {
#if TF_HAVE_PROC_FD
  /* The /proc link names exactly the open file; AT_SYMLINK_FOLLOW makes
   * linkat link the file it resolves to, not the link. */
  char link[32];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  return linkat(AT_FDCWD, link, dirfd, name, AT_SYMLINK_FOLLOW);
#else
  (void)fd, (void)dirfd, (void)name;
  errno = ENOSYS;
  return -1;
#endif
}

static int real_fstype(int fd, unsigned long *type) {
#if TF_HAVE_STATFS_TYPE
  struct statfs sfs;
  if (fstatfs(fd, &sfs) != 0)
    return -1;
  *type = (unsigned long)sfs.f_type;
#else
  (void)fd;
  *type = 0;
#endif
  return 0;
}

static int real_flock(int fd, int op) { return flock(fd, op); }

static int real_xattr_set(int fd, const char *name, const void *v, size_t n) {
#if TF_HAVE_XATTR
  return fsetxattr(fd, name, v, n, 0);
#else
  (void)fd, (void)name, (void)v, (void)n;
  errno = ENOTSUP;
  return -1;
#endif
}

static ssize_t real_xattr_get(int fd, const char *name, void *v, size_t n) {
#if TF_HAVE_XATTR
  return fgetxattr(fd, name, v, n);
#else
  (void)fd, (void)name, (void)v, (void)n;
  errno = ENOTSUP;
  return -1;
#endif
}

static int real_xattr_remove(int fd, const char *name) {
#if TF_HAVE_XATTR
  return fremovexattr(fd, name);
#else
  (void)fd, (void)name;
  errno = ENOTSUP;
  return -1;
#endif
}

static int real_fallocate(int fd, int64_t off, int64_t n) {
#if TF_HAVE_POSIX_FALLOCATE
  int err = posix_fallocate(fd, (off_t)off, (off_t)n);
  if (err == 0)
    return 0;
  errno = err;
  return -1;
#else
  /* Zeros written are blocks reserved (the range is new, never data). */
  static const char zeros[4096];
  while (n > 0) {
    size_t chunk = n < (int64_t)sizeof(zeros) ? (size_t)n : sizeof(zeros);
    ssize_t w = pwrite(fd, zeros, chunk, (off_t)off);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    off += w;
    n -= w;
  }
  return 0;
#endif
}

static int real_mapfile(int fd, int64_t off, size_t n, void **out) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
  if (p == MAP_FAILED)
    return -1;
  *out = p;
  return 0;
}

static int real_unmapfile(void *p, size_t n) { return munmap(p, n); }

struct tf__sys_table tf__sys_os = {
#define TF_SYS_REAL(name, ret, params, args, eintr) real_##name,
    TF_SYSCALLS(TF_SYS_REAL)
#undef TF_SYS_REAL
};

/* ------------------------------------------------- the EINTR policy */

/* One wrapper per entry, as the entry's policy column says (internal.h):
 * the only place in the library where EINTR is looked at.  They call
 * tf__sys_os through the table, never real_* directly, so that what the
 * fault injector puts there is retried like the system. */
#define EINTR_RETRY(name, ret, params, args)                                 \
  static ret policy_##name params {                                          \
    ret r;                                                                   \
    do                                                                       \
      r = tf__sys_os.name args;                                              \
    while (r == -1 && errno == EINTR);                                       \
    return r;                                                                \
  }
#define EINTR_RELEASE(name, ret, params, args)                               \
  static ret policy_##name params {                                          \
    ret r = tf__sys_os.name args;                                            \
    return r == -1 && errno == EINTR ? 0 : r;                                \
  }
#define EINTR_NONE(name, ret, params, args)                                  \
  static ret policy_##name params { tf__sys_os.name args; }
#define TF_SYS_POLICY(name, ret, params, args, eintr)                        \
  EINTR_##eintr(name, ret, params, args)
TF_SYSCALLS(TF_SYS_POLICY)
#undef TF_SYS_POLICY
#undef EINTR_RETRY
#undef EINTR_RELEASE
#undef EINTR_NONE

struct tf__sys_table tf__sys = {
#define TF_SYS_ENTRY(name, ret, params, args, eintr) policy_##name,
    TF_SYSCALLS(TF_SYS_ENTRY)
#undef TF_SYS_ENTRY
};

void tf__close_quiet(int fd) {
  int saved = errno;
  if (fd >= 0)
    tf__sys.close(fd);
  errno = saved;
}

static pthread_once_t proc_once = PTHREAD_ONCE_INIT;
static int proc_usable;

static void probe_proc(void) {
#if TF_HAVE_PROC_FD
  proc_usable = access("/proc/self/fd", X_OK) == 0;
#endif
}

int tf__can_link_unnamed(void) {
  pthread_once(&proc_once, probe_proc);
  return proc_usable;
}

void tf__write_stderr(const char *line, size_t n) {
  (void)!tf__sys.write(STDERR_FILENO, line, n);
}
