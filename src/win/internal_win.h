/* SPDX-License-Identifier: MIT */
/*
 * internal_win.h - internal.h for the POSIX files the Windows build
 * shares (spool.c, spool_disk.c, spool_pending.c, membuf.c, pool.c,
 * write_all.c: WIN_SHARED_SRC in mk/windows.mk).  internal.h is POSIX
 * (pthreads, struct stat, DIR, sigset_t in its system-call table), so
 * mk/windows.mk forces this header into those files (-include) and it
 * takes internal.h's include guard: their #include "internal.h" then
 * adds nothing, and they need no platform test.  What they need that is
 * the same everywhere is declared once, in shared.h (moved out of
 * internal.h, so no copy can drift); this header adds what cannot be
 * shared: the system-call table (on POSIX one X-macro list of every call
 * the library makes, in POSIX types, which the tests' fault injector
 * wraps whole), here with the members those files use only
 * (win/sys_win.c), and their one pthread use, a mutex, as the library's
 * own lock type.
 */
#ifndef TF_INTERNAL_H
#define TF_INTERNAL_H

#include "../core.h"
#include "../shared.h"

#include <errno.h>
#include <io.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* The CRT's PATH_MAX is MAX_PATH (260); the library takes the long
 * paths Windows allows elsewhere, so the shared files' path buffers get
 * POSIX's size. */
#undef PATH_MAX
#define PATH_MAX 4096

/* What the shared files pass for "no directory fd": the *at forms are
 * POSIX only, so it is never used as one. */
#define AT_FDCWD (-100)

/* The system calls the shared files make, as the POSIX table's entries
 * of the same names (internal.h): -1 with errno set on failure.
 * Writable, so tests can replace an entry (a full disk, no memory).
 * On Windows pread and pwrite move the file pointer of a handle opened
 * for synchronous I/O; the shared files use them only while the fd's
 * offset means nothing (a spool on disk before tf_spool_fd(), which sets
 * the offset). */
struct tf__sys_table {
  ssize_t (*read)(int fd, void *buf, size_t n);
  ssize_t (*write)(int fd, const void *buf, size_t n);
  ssize_t (*pread)(int fd, void *buf, size_t n, int64_t off);
  ssize_t (*pwrite)(int fd, const void *buf, size_t n, int64_t off);
  int64_t (*lseek)(int fd, int64_t off, int whence);
  int (*ftruncate)(int fd, int64_t size);
  int (*fsize)(int fd, int64_t *size);
  int (*close)(int fd);
  int (*dup)(int fd);
  int (*fdopen)(int fd, const char *mode, FILE **out);
  int (*fclose)(FILE *fp);
  int (*fflush)(FILE *fp);
  int (*mapmem)(size_t n, void **out);
  int (*unmapmem)(void *p, size_t n);
};
extern struct tf__sys_table tf__sys;

/* pool.c's lock: the library's lock type (an SRWLOCK, which needs no
 * destruction). */
typedef tf__mutex pthread_mutex_t;
#define pthread_mutex_init(m, attr) ((void)(attr), InitializeSRWLock(m), 0)
#define pthread_mutex_destroy(m) ((void)(m))
#define pthread_mutex_lock(m) tf__mutex_lock(m)
#define pthread_mutex_unlock(m) tf__mutex_unlock(m)

#endif /* TF_INTERNAL_H */
