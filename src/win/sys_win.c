/* SPDX-License-Identifier: MIT */
/*
 * sys_win.c - the system-call table of the files Windows shares with
 * POSIX (internal_win.h): C runtime fds, and their handles for the I/O
 * (at the file pointer, or at an offset: pread and pwrite) and for a
 * size set without writing; memory from the system for a spool's large
 * chunks.
 * Each entry returns -1 with errno set on failure, as POSIX's calls do.
 */
#include "win.h"

#include "internal_win.h"

#include <string.h>

/* One call moves at most 2 GiB - 1; callers loop on short counts. */
static DWORD io_count(size_t n) {
  return n > (size_t)INT_MAX ? (DWORD)INT_MAX : (DWORD)n;
}

/* Set errno from a Win32 error; -1. */
static int fail_win32(DWORD err) {
  errno = -tf__w_err(err);
  return -1;
}

static HANDLE handle_or_ebadf(int fd) {
  HANDLE h = tf__w_handle_of(fd);
  if (h == INVALID_HANDLE_VALUE)
    errno = EBADF;
  return h;
}

/* read and write at the file pointer go to the handle, not to _read and
 * _write: Wine's C runtime remembers an end of file met by _read and
 * reads nothing more until an _lseek, even after the file has grown
 * (Windows' does so only in text mode), and the spool's fd meets the end
 * of a file that grows through its stream's fd.  The library's fds are
 * binary and never appending, so the runtime has nothing to add. */
static ssize_t sys_read(int fd, void *buf, size_t n) {
  HANDLE h = handle_or_ebadf(fd);
  DWORD got = 0;
  if (h == INVALID_HANDLE_VALUE)
    return -1;
  if (!ReadFile(h, buf, io_count(n), &got, NULL)) {
    DWORD err = GetLastError();
    return err == ERROR_HANDLE_EOF ? 0 : fail_win32(err);
  }
  return (ssize_t)got;
}

static ssize_t sys_write(int fd, const void *buf, size_t n) {
  HANDLE h = handle_or_ebadf(fd);
  DWORD put = 0;
  if (h == INVALID_HANDLE_VALUE)
    return -1;
  if (!WriteFile(h, buf, io_count(n), &put, NULL))
    return fail_win32(GetLastError());
  return (ssize_t)put;
}

/* ReadFile at an offset: the end of the file is 0 bytes, not an error. */
static ssize_t sys_pread(int fd, void *buf, size_t n, int64_t off) {
  HANDLE h = handle_or_ebadf(fd);
  OVERLAPPED ov = tf__w_at_offset((uint64_t)off);
  DWORD got = 0;
  if (h == INVALID_HANDLE_VALUE)
    return -1;
  if (off < 0) {
    errno = EINVAL;
    return -1;
  }
  if (!ReadFile(h, buf, io_count(n), &got, &ov)) {
    DWORD err = GetLastError();
    return err == ERROR_HANDLE_EOF ? 0 : fail_win32(err);
  }
  return (ssize_t)got;
}

static ssize_t sys_pwrite(int fd, const void *buf, size_t n, int64_t off) {
  HANDLE h = handle_or_ebadf(fd);
  OVERLAPPED ov = tf__w_at_offset((uint64_t)off);
  DWORD put = 0;
  if (h == INVALID_HANDLE_VALUE)
    return -1;
  if (off < 0) {
    errno = EINVAL;
    return -1;
  }
  if (!WriteFile(h, buf, io_count(n), &put, &ov))
    return fail_win32(GetLastError());
  return (ssize_t)put;
}

static int64_t sys_lseek(int fd, int64_t off, int whence) {
  return _lseeki64(fd, off, whence);
}

/* The end of file set by handle: shorter, or longer with zeros, the
 * file pointer left where it is (as ftruncate(2); _chsize_s writes the
 * zeros itself). */
static int sys_ftruncate(int fd, int64_t size) {
  HANDLE h = handle_or_ebadf(fd);
  FILE_END_OF_FILE_INFO eof;
  if (h == INVALID_HANDLE_VALUE)
    return -1;
  if (size < 0) {
    errno = EINVAL;
    return -1;
  }
  eof.EndOfFile.QuadPart = size;
  if (!SetFileInformationByHandle(h, FileEndOfFileInfo, &eof, sizeof(eof)))
    return fail_win32(GetLastError());
  return 0;
}

static int sys_fsize(int fd, int64_t *size) {
  HANDLE h = handle_or_ebadf(fd);
  LARGE_INTEGER n;
  if (h == INVALID_HANDLE_VALUE)
    return -1;
  if (!GetFileSizeEx(h, &n))
    return fail_win32(GetLastError());
  *size = n.QuadPart;
  return 0;
}

static int sys_close(int fd) { return _close(fd); }

static int sys_dup(int fd) { return _dup(fd); }

static int sys_fdopen(int fd, const char *mode, FILE **out) {
  FILE *fp = _fdopen(fd, mode);
  if (fp == NULL) {
    if (errno == 0)
      errno = ENOMEM;
    return -1;
  }
  *out = fp;
  return 0;
}

static int sys_fclose(FILE *fp) { return fclose(fp); }

static int sys_fflush(FILE *fp) { return fflush(fp); }

/* Committed at once: a chunk is written as soon as it is allocated. */
static int sys_mapmem(size_t n, void **out) {
  void *p = VirtualAlloc(NULL, n, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  if (p == NULL) {
    errno = ENOMEM;
    return -1;
  }
  *out = p;
  return 0;
}

static int sys_unmapmem(void *p, size_t n) {
  (void)n; /* a release takes the whole reservation */
  if (!VirtualFree(p, 0, MEM_RELEASE))
    return fail_win32(GetLastError());
  return 0;
}

struct tf__sys_table tf__sys = {
    sys_read,      sys_write,  sys_pread,  sys_pwrite,   sys_lseek,
    sys_ftruncate, sys_fsize,  sys_close,  sys_dup,      sys_fdopen,
    sys_fclose,    sys_fflush, sys_mapmem, sys_unmapmem,
};
