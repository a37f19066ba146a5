/* SPDX-License-Identifier: MIT */
/*
 * rawdir.c - directory calls for signal handlers (rmtree_signal.c): no
 * table, no lock, no allocation, only async-signal-safe system calls.
 * getdents64 lists a directory into the caller's buffer where readdir()
 * would allocate, and fchmod also works on an O_PATH fd (the table's
 * fchmod entry, sys.c, is this one too).
 */
#include "internal.h"

#include <string.h>
#include <sys/stat.h>

#if TF_HAVE_FCHMODAT2 || TF_HAVE_GETDENTS64
#include <sys/syscall.h>
#endif

#if TF_HAVE_FCHMODAT2 && !defined(SYS_fchmodat2) && \
    (defined(__x86_64__) || defined(__aarch64__) || defined(__i386__))
#define SYS_fchmodat2 452
#endif

#if TF_HAVE_O_PATH && TF_HAVE_PROC_FD
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
#endif

/* fchmod() refuses an O_PATH fd (EBADF), the only fd a directory without
 * read permission can be opened as.  Such an fd is changed through the fd
 * itself: fchmodat2(AT_EMPTY_PATH) (Linux 6.6), else its /proc/self/fd
 * link, which names exactly the open file and is resolved by no path.
 * Async-signal-safe. */
int tf__raw_fchmod(int fd, mode_t mode) {
  long r; /* EINTR: retried, the table's policy by hand (internal.h) */
  TF_RAW_RETRY(r, fchmod(fd, mode));
  if (r == 0)
    return 0;
#if TF_HAVE_O_PATH && TF_HAVE_PROC_FD
  if (errno == EBADF && fd >= 0) {
    char link[32];
#if TF_HAVE_FCHMODAT2 && defined(SYS_fchmodat2)
    TF_RAW_RETRY(r, syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH));
    if (r == 0)
      return 0;
    if (errno != ENOSYS && errno != EINVAL)
      return -1;
#endif
    proc_fd_link(link, fd);
    TF_RAW_RETRY(r, fchmodat(AT_FDCWD, link, mode, 0));
    return (int)r;
  }
#endif
  return -1;
}

#if TF_HAVE_GETDENTS64 && defined(SYS_getdents64)
struct raw_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};
#endif

ssize_t tf__raw_listing(int fd, void *buf, size_t n) {
#if TF_HAVE_GETDENTS64 && defined(SYS_getdents64)
  long r; /* EINTR: retried, as the table's readdir */
  TF_RAW_RETRY(r, syscall(SYS_getdents64, fd, buf, n));
  return r;
#else
  (void)fd, (void)buf, (void)n;
  errno = ENOSYS;
  return -1;
#endif
}

int tf__raw_entry(const void *buf, size_t len, size_t *pos,
                  struct tf__raw_dirent *out) {
#if TF_HAVE_GETDENTS64 && defined(SYS_getdents64)
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
