/* SPDX-License-Identifier: MIT */
/*
 * sys.c - the one table through which the library makes every system call
 * and allocation that can fail.  In a normal build the entries are the
 * real calls.  In the test build (TF_TESTING) each entry first asks the
 * fault injector whether this is the call that must fail, which lets the
 * tests walk every error path of every public function; allocations are
 * also counted so a test can prove nothing leaked.  Also home of the
 * process-wide fork generation counter.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>

#if defined(TF_HAVE_GETRANDOM)
#include <sys/random.h>
#endif
#if defined(__linux__)
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#elif defined(__APPLE__)
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
#if defined(TF_HAVE_RENAMEAT2) && defined(SYS_renameat2)
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

#if defined(__linux__) && !defined(SYS_fchmodat2) && \
    (defined(__x86_64__) || defined(__aarch64__) || defined(__i386__))
#define SYS_fchmodat2 452
#endif

/* "/proc/self/fd/N" for fd, without stdio (also for signal handlers). */
static void proc_fd_link(char *out, int fd) {
  static const char head[] = "/proc/self/fd/";
  char digits[16];
  int n = 0;
  memcpy(out, head, sizeof(head) - 1);
  out += sizeof(head) - 1;
  do {
    digits[n++] = (char)('0' + fd % 10);
    fd /= 10;
  } while (fd > 0);
  while (n > 0)
    *out++ = digits[--n];
  *out = '\0';
}

/* fchmod() refuses an O_PATH fd (EBADF), the only fd a directory without
 * read permission can be opened as.  Such an fd is changed through the fd
 * itself: fchmodat2(AT_EMPTY_PATH) (Linux 6.6), else its /proc/self/fd
 * link, which names exactly the open file and is resolved by no path.
 * Async-signal-safe. */
int tf__raw_fchmod(int fd, mode_t mode) {
  if (fchmod(fd, mode) == 0)
    return 0;
#if defined(__linux__)
  if (errno == EBADF && fd >= 0) {
    char link[32];
#if defined(SYS_fchmodat2)
    if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0)
      return 0;
    if (errno != ENOSYS && errno != EINVAL)
      return -1;
#endif
    proc_fd_link(link, fd);
    return fchmodat(AT_FDCWD, link, mode, 0);
  }
#endif
  return -1;
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
#if defined(TF_HAVE_GETRANDOM)
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

static int real_malloc(size_t n, void **out) {
  void *p = malloc(n);
  if (p == NULL) {
    errno = ENOMEM;
    return -1;
  }
  *out = p;
  return 0;
}

#if defined(__linux__) && defined(SYS_statx)
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
#define KSTATX_ATTR_MOUNT_ROOT 0x2000u
#endif

/* statx() tells a mount root apart, even a bind mount of the same file
 * system; where it is missing, fstat() and mount_root -1. */
static int real_statfd(int fd, struct tf__stat *out) {
  struct stat st;
#if defined(__linux__) && defined(SYS_statx)
  struct kernel_statx sx;
  if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
              KSTATX_BASIC, &sx) == 0) {
    out->dev = makedev(sx.dev_major, sx.dev_minor);
    out->ino = (ino_t)sx.ino;
    out->mode = sx.mode;
    out->mount_root = (sx.attributes_mask & KSTATX_ATTR_MOUNT_ROOT)
                          ? (sx.attributes & KSTATX_ATTR_MOUNT_ROOT) != 0
                          : -1;
    return 0;
  }
  if (errno != ENOSYS)
    return -1;
#endif
  if (fstat(fd, &st) != 0)
    return -1;
  out->dev = st.st_dev;
  out->ino = st.st_ino;
  out->mode = st.st_mode;
  out->mount_root = -1;
  return 0;
}

static int real_fdopendir(int fd, DIR **out) {
  DIR *d = fdopendir(fd);
  if (d == NULL)
    return -1;
  *out = d;
  return 0;
}

#ifdef TF_TESTING
static int hide_dtype; /* tf__test_hide_dtype() */
#endif

static int real_readdir(DIR *d, struct dirent **out) {
  struct dirent *de;
  errno = 0;
  de = readdir(d);
  if (de == NULL && errno != 0)
    return -1;
#ifdef TF_TESTING
  if (de != NULL && hide_dtype)
    de->d_type = DT_UNKNOWN;
#endif
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

static int real_fsize(int fd, int64_t *size) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return -1;
  *size = (int64_t)st.st_size;
  return 0;
}

/* Streams whose I/O calls a cookie's functions: fopencookie() in glibc
 * and musl, funopen() on the BSDs and macOS.  The adapters below only
 * translate types; the cookie dispatches. */
static const struct tf__stream_ops *ops_of(void *cookie) {
  return ((struct tf__cookie *)cookie)->ops;
}

#if defined(__linux__)
static ssize_t cookie_read(void *c, char *buf, size_t n) {
  return ops_of(c)->read(c, buf, n);
}

/* A write that fails: glibc's fopencookie(3) wants 0, never a negative
 * value (it takes -1 for a huge count and writes bytes past the caller's
 * buffer); musl's marks the stream in error only for -1.  errno says
 * why. */
static ssize_t cookie_write(void *c, const char *buf, size_t n) {
  ssize_t rc = ops_of(c)->write(c, buf, n);
#if defined(__GLIBC__)
  return rc < 0 ? 0 : rc;
#else
  return rc < 0 ? -1 : rc;
#endif
}

static int cookie_seek(void *c, off_t *offset, int whence) {
  int64_t off = (int64_t)*offset;
  if (ops_of(c)->seek(c, &off, whence) != 0)
    return -1;
  *offset = (off_t)off;
  return 0;
}

static int cookie_close(void *c) { return ops_of(c)->close(c); }

static FILE *open_cookie_stream(void *cookie) {
  cookie_io_functions_t io;
  io.read = cookie_read;
  io.write = cookie_write;
  io.seek = cookie_seek;
  io.close = cookie_close;
  return fopencookie(cookie, "r+", io);
}
#else
static int funopen_read(void *c, char *buf, int n) {
  return (int)ops_of(c)->read(c, buf, (size_t)n);
}

static int funopen_write(void *c, const char *buf, int n) {
  return (int)ops_of(c)->write(c, buf, (size_t)n);
}

static fpos_t funopen_seek(void *c, fpos_t offset, int whence) {
  int64_t off = (int64_t)offset;
  if (ops_of(c)->seek(c, &off, whence) != 0)
    return (fpos_t)-1;
  return (fpos_t)off;
}

static int funopen_close(void *c) { return ops_of(c)->close(c); }

static FILE *open_cookie_stream(void *cookie) {
  return funopen(cookie, funopen_read, funopen_write, funopen_seek,
                 funopen_close);
}
#endif

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
#if defined(__APPLE__) && defined(F_FULLFSYNC)
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
#if defined(__linux__)
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
#if defined(__linux__)
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
#if defined(__linux__)
  return fsetxattr(fd, name, v, n, 0);
#elif defined(__APPLE__)
  return fsetxattr(fd, name, v, n, 0, 0);
#else
  (void)fd, (void)name, (void)v, (void)n;
  errno = ENOTSUP;
  return -1;
#endif
}

static ssize_t real_xattr_get(int fd, const char *name, void *v, size_t n) {
#if defined(__linux__)
  return fgetxattr(fd, name, v, n);
#elif defined(__APPLE__)
  return fgetxattr(fd, name, v, n, 0, 0);
#else
  (void)fd, (void)name, (void)v, (void)n;
  errno = ENOTSUP;
  return -1;
#endif
}

static int real_xattr_remove(int fd, const char *name) {
#if defined(__linux__)
  return fremovexattr(fd, name);
#elif defined(__APPLE__)
  return fremovexattr(fd, name, 0);
#else
  (void)fd, (void)name;
  errno = ENOTSUP;
  return -1;
#endif
}

/* ------------------------------------------- for signal handlers only */

#if defined(__linux__) && defined(SYS_getdents64)
struct raw_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};
#endif

ssize_t tf__raw_listing(int fd, void *buf, size_t n) {
#if defined(__linux__) && defined(SYS_getdents64)
  return syscall(SYS_getdents64, fd, buf, n);
#else
  (void)fd, (void)buf, (void)n;
  errno = ENOSYS;
  return -1;
#endif
}

int tf__raw_entry(const void *buf, size_t len, size_t *pos,
                  struct tf__raw_dirent *out) {
#if defined(__linux__) && defined(SYS_getdents64)
  const struct raw_dirent64 *d;
  if (*pos >= len)
    return 0;
  d = (const struct raw_dirent64 *)((const char *)buf + *pos);
  *pos += d->d_reclen;
  out->name = d->d_name;
  out->type = d->d_type;
  out->next = d->d_off;
  return 1;
#else
  (void)buf, (void)len, (void)pos, (void)out;
  return 0;
#endif
}

static int real_fopencookie(void *cookie, FILE **out) {
  FILE *fp = open_cookie_stream(cookie);
  if (fp == NULL)
    return -1;
  /* The spool buffers; a second buffer here would hide data from the
   * direct calls and drop it when a write to the file fails. */
  setvbuf(fp, NULL, _IONBF, 0);
  *out = fp;
  return 0;
}

#ifndef TF_TESTING

struct tf__sys_table tf__sys = {
#define TF_SYS_REAL(name, ret, params, args) real_##name,
    TF_SYSCALLS(TF_SYS_REAL)
#undef TF_SYS_REAL
};

#else /* TF_TESTING: every entry can be made to fail */

static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static int fault_id = TF_SYS_ANY;
static unsigned long fault_countdown; /* 0: disarmed */
static int fault_errno;
static int fault_sticky; /* keep failing after the nth call */
static int fault_fired_flag;
static int fault_fired_which = TF_SYS_ANY;
static unsigned long calls_made;
static long allocs_outstanding;

static void arm(int sys_id, unsigned long nth, int err, int sticky) {
  pthread_mutex_lock(&fault_lock);
  fault_id = sys_id;
  fault_countdown = nth;
  fault_errno = err;
  fault_sticky = sticky;
  fault_fired_flag = 0;
  fault_fired_which = TF_SYS_ANY;
  pthread_mutex_unlock(&fault_lock);
}

void tf__fault_arm(int sys_id, unsigned long nth, int err) {
  arm(sys_id, nth, err, 0);
}

void tf__fault_arm_sticky(int sys_id, unsigned long nth, int err) {
  arm(sys_id, nth, err, 1);
}

void tf__fault_disarm(void) { arm(TF_SYS_ANY, 0, 0, 0); }

int tf__fault_fired(void) { return fault_fired_flag; }
int tf__fault_fired_id(void) { return fault_fired_which; }
unsigned long tf__sys_calls(void) { return calls_made; }
long tf__alloc_outstanding(void) { return allocs_outstanding; }

/* Nonzero if this call must fail; then errno is set to the chosen value. */
static int fault_here(int id) {
  int fail = 0;
  pthread_mutex_lock(&fault_lock);
  calls_made++;
  if (fault_countdown > 0 && (fault_id == TF_SYS_ANY || fault_id == id)) {
    if (--fault_countdown == 0) {
      fail = 1;
      fault_fired_flag = 1;
      fault_fired_which = id;
      if (fault_sticky)
        fault_countdown = 1;
    }
  }
  pthread_mutex_unlock(&fault_lock);
  if (fail)
    errno = fault_errno;
  return fail;
}

/* close() and fclose() release the fd even when they report an error, as
 * Linux does, so their injected failures do the real work first. */
static int fault_close(int fd) {
  int failing = fault_here(TF_SYS_close);
  int saved = errno;
  int rc = real_close(fd);
  if (failing) {
    errno = saved;
    return -1;
  }
  return rc;
}

static int fault_fclose(FILE *fp) {
  int failing = fault_here(TF_SYS_fclose);
  int saved = errno;
  int rc = real_fclose(fp);
  if (failing) {
    errno = saved;
    return -1;
  }
  return rc;
}

static int fault_closedir(DIR *d) {
  int failing = fault_here(TF_SYS_closedir);
  int saved = errno;
  int rc = real_closedir(d);
  if (failing) {
    errno = saved;
    return -1;
  }
  return rc;
}

void tf__test_hide_dtype(int on) { hide_dtype = on; }

static int fault_malloc(size_t n, void **out) {
  if (fault_here(TF_SYS_malloc))
    return -1;
  if (real_malloc(n, out) != 0)
    return -1;
  pthread_mutex_lock(&fault_lock);
  allocs_outstanding++;
  pthread_mutex_unlock(&fault_lock);
  return 0;
}

#define TF_SYS_FAULT(name, ret, params, args)                 \
  static ret fault_##name params {                            \
    if (fault_here(TF_SYS_##name))                            \
      return -1;                                              \
    return real_##name args;                                  \
  }
TF_SYS_FAULT(openat, int, (int dirfd, const char *path, int flags, mode_t mode),
             (dirfd, path, flags, mode))
TF_SYS_FAULT(unlinkat, int, (int dirfd, const char *path, int flags),
             (dirfd, path, flags))
TF_SYS_FAULT(mkdirat, int, (int dirfd, const char *path, mode_t mode),
             (dirfd, path, mode))
TF_SYS_FAULT(fstatat, int,
             (int dirfd, const char *path, struct stat *st, int flags),
             (dirfd, path, st, flags))
TF_SYS_FAULT(renameat, int, (int od, const char *op, int nd, const char *np),
             (od, op, nd, np))
TF_SYS_FAULT(renameat2, int,
             (int od, const char *op, int nd, const char *np,
              unsigned int flags),
             (od, op, nd, np, flags))
TF_SYS_FAULT(linkat, int,
             (int od, const char *op, int nd, const char *np, int flags),
             (od, op, nd, np, flags))
TF_SYS_FAULT(fchmod, int, (int fd, mode_t mode), (fd, mode))
TF_SYS_FAULT(fchmodat, int,
             (int dirfd, const char *path, mode_t mode, int flags),
             (dirfd, path, mode, flags))
TF_SYS_FAULT(write, ssize_t, (int fd, const void *buf, size_t n), (fd, buf, n))
TF_SYS_FAULT(fcntl_dupfd, int, (int fd), (fd))
TF_SYS_FAULT(getcwd, int, (char *buf, size_t size), (buf, size))
TF_SYS_FAULT(getrandom, int, (void *buf, size_t n), (buf, n))
TF_SYS_FAULT(fdopen, int, (int fd, const char *mode, FILE **out),
             (fd, mode, out))
TF_SYS_FAULT(fflush, int, (FILE * fp), (fp))
TF_SYS_FAULT(statfd, int, (int fd, struct tf__stat *st), (fd, st))
TF_SYS_FAULT(fdopendir, int, (int fd, DIR **out), (fd, out))
TF_SYS_FAULT(readdir, int, (DIR * d, struct dirent **out), (d, out))
TF_SYS_FAULT(read, ssize_t, (int fd, void *buf, size_t n), (fd, buf, n))
TF_SYS_FAULT(pread, ssize_t, (int fd, void *buf, size_t n, int64_t off),
             (fd, buf, n, off))
TF_SYS_FAULT(pwrite, ssize_t, (int fd, const void *buf, size_t n, int64_t off),
             (fd, buf, n, off))
TF_SYS_FAULT(lseek, int64_t, (int fd, int64_t off, int whence),
             (fd, off, whence))
TF_SYS_FAULT(ftruncate, int, (int fd, int64_t size), (fd, size))
TF_SYS_FAULT(fsize, int, (int fd, int64_t *size), (fd, size))
TF_SYS_FAULT(fopencookie, int, (void *cookie, FILE **out), (cookie, out))
TF_SYS_FAULT(fsync, int, (int fd), (fd))
TF_SYS_FAULT(fchown, int, (int fd, uid_t uid, gid_t gid), (fd, uid, gid))
TF_SYS_FAULT(readlinkat, ssize_t,
             (int dirfd, const char *path, char *buf, size_t n),
             (dirfd, path, buf, n))
TF_SYS_FAULT(linkfd, int, (int fd, int dirfd, const char *name),
             (fd, dirfd, name))
TF_SYS_FAULT(fstype, int, (int fd, unsigned long *type), (fd, type))
TF_SYS_FAULT(flock, int, (int fd, int op), (fd, op))
TF_SYS_FAULT(xattr_set, int,
             (int fd, const char *name, const void *v, size_t n),
             (fd, name, v, n))
TF_SYS_FAULT(xattr_get, ssize_t, (int fd, const char *name, void *v, size_t n),
             (fd, name, v, n))
TF_SYS_FAULT(xattr_remove, int, (int fd, const char *name), (fd, name))

static int fault_mapmem(size_t n, void **out) {
  if (fault_here(TF_SYS_mapmem))
    return -1;
  if (real_mapmem(n, out) != 0)
    return -1;
  pthread_mutex_lock(&fault_lock);
  allocs_outstanding++;
  pthread_mutex_unlock(&fault_lock);
  return 0;
}

/* Like close(), it releases the memory even when made to fail. */
static int fault_unmapmem(void *p, size_t n) {
  int failing = fault_here(TF_SYS_unmapmem);
  int saved = errno;
  int rc = real_unmapmem(p, n);
  pthread_mutex_lock(&fault_lock);
  allocs_outstanding--;
  pthread_mutex_unlock(&fault_lock);
  if (failing) {
    errno = saved;
    return -1;
  }
  return rc;
}
#undef TF_SYS_FAULT

struct tf__sys_table tf__sys = {
#define TF_SYS_WRAPPED(name, ret, params, args) fault_##name,
    TF_SYSCALLS(TF_SYS_WRAPPED)
#undef TF_SYS_WRAPPED
};

#endif /* TF_TESTING */

/* --------------------------------------------------------------- memory */

void *tf__malloc(size_t n) {
  void *p = NULL;
  if (tf__sys.malloc(n, &p) != 0)
    return NULL;
  return p;
}

char *tf__strndup(const char *s, size_t n) {
  char *p = tf__malloc(n + 1);
  if (p == NULL)
    return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

void tf__freemem(void *p) {
  if (p == NULL)
    return;
#ifdef TF_TESTING
  pthread_mutex_lock(&fault_lock);
  allocs_outstanding--;
  pthread_mutex_unlock(&fault_lock);
#endif
  free(p);
}

void tf_free(void *ptr) { tf__freemem(ptr); }

void tf__close_quiet(int fd) {
  int saved = errno;
  if (fd >= 0)
    tf__sys.close(fd);
  errno = saved;
}

static pthread_once_t proc_once = PTHREAD_ONCE_INIT;
static int proc_usable;

static void probe_proc(void) {
  proc_usable = access("/proc/self/fd", X_OK) == 0;
}

int tf__can_link_unnamed(void) {
  pthread_once(&proc_once, probe_proc);
  return proc_usable;
}

/* -------------------------------------------------------------- process */

/*
 * The per-process block (see internal.h).  Where the kernel offers
 * MADV_WIPEONFORK it lives in its own page that every child, however it
 * was forked (fork, _Fork, clone), receives zeroed; that zero is how a
 * child notices it is new without a getpid() per name.  Elsewhere, or if
 * the mapping cannot be made, getpid() is compared on every use.  This
 * one-time setup bypasses the table: its failure has a complete fallback.
 */
pthread_mutex_t tf__process_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tf__process *wiped_on_fork;
static struct tf__process fallback_block;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* The library's locks are taken across fork(), so the child never inherits
 * one held by a thread that does not exist there. */
static void before_fork(void) {
  pthread_mutex_lock(&tf__process_lock);
  pthread_mutex_lock(&tf__settings_lock);
}

static void after_fork(void) {
  pthread_mutex_unlock(&tf__settings_lock);
  pthread_mutex_unlock(&tf__process_lock);
}

/* A child made by fork() wipes the block itself as well: where madvise()
 * accepts MADV_WIPEONFORK but does nothing (qemu-user), the child would
 * otherwise take its parent's pid and random names for its own. */
static void after_fork_in_child(void) {
  if (wiped_on_fork != NULL)
    memset(wiped_on_fork, 0, sizeof(*wiped_on_fork));
  after_fork();
}

static void map_wiped_block(void) {
#if defined(MADV_WIPEONFORK)
  size_t size = (sizeof(struct tf__process) + 4095) & ~(size_t)4095;
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return;
  if (madvise(p, size, MADV_WIPEONFORK) != 0) {
    munmap(p, size);
    return;
  }
  wiped_on_fork = p;
#endif
}

static void init_once_per_load(void) {
  map_wiped_block();
  pthread_atfork(before_fork, after_fork, after_fork_in_child);
}

void tf__lib_init(void) { pthread_once(&init_once, init_once_per_load); }

static void start_process_block(struct tf__process *b, pid_t pid) {
  memset(b->pool, 0, sizeof(b->pool));
  b->pool_used = 0;
  b->pool_len = 0;
  b->pid = pid;
}

struct tf__process *tf__process(void) {
  tf__lib_init();
  if (wiped_on_fork != NULL) {
    if (wiped_on_fork->pid == 0) /* first use in this process */
      start_process_block(wiped_on_fork, getpid());
    return wiped_on_fork;
  }
  {
    pid_t pid = getpid();
    if (fallback_block.pid != pid)
      start_process_block(&fallback_block, pid);
  }
  return &fallback_block;
}

pid_t tf__current_pid(void) {
  pid_t pid;
  pthread_mutex_lock(&tf__process_lock);
  pid = tf__process()->pid;
  pthread_mutex_unlock(&tf__process_lock);
  return pid;
}
