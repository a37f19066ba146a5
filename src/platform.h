/* SPDX-License-Identifier: MIT */
/*
 * platform.h - the platform layer: which optional features of the
 * operating system the library (and tmpf) use.  Every other file tests
 * only the TF_HAVE_* switches below, never __linux__ or __APPLE__; each
 * switch is decided here, from the compiler's predefined macros, and
 * any of them can be overridden from the command line (-DTF_HAVE_X=0).
 * TF_PROFILE_POSIX (make PROFILE=posix) turns every Linux-only switch
 * off by default: it is how the BSD and macOS code paths are built and
 * tested on Linux.
 *
 * switch                what it buys                  what is done without it
 * --------------------  ----------------------------  -------------------------
 * TF_HAVE_O_TMPFILE     unnamed files (Linux 3.11):   create a named file and
 *                       nothing on disk ever has a    unlink it at once (what
 *                       name, even after a crash      Python does off Linux)
 * TF_HAVE_PROC_FD       /proc/self/fd: give an        an atomic replacement
 *                       unnamed file a name           writes a hidden sibling
 *                       (linkat), chmod an O_PATH fd  (a crash can leave it:
 *                                                     tf_reap removes it)
 * TF_HAVE_O_PATH        anchor a directory the user   O_SEARCH where defined,
 *                       may not read (Linux 2.6.39)   else O_RDONLY: such a
 *                                                     directory can not be
 *                                                     used or emptied
 * TF_HAVE_AT_EMPTY_PATH stat an fd through the same   fstat()
 *                       call as a name
 * TF_HAVE_STATX         mount roots told apart (bind  fstatat(): a mount is
 *                       mounts too) and birth times,  seen only by st_dev;
 *                       so a tf_dir holds no fd       a tf_dir holds an fd of
 *                                                     its directory for life
 *                                                     (no inode reuse)
 * TF_HAVE_GETRANDOM     getrandom(2), any length      getentropy(), 256 bytes
 *                                                     a call (every BSD,
 *                                                     macOS 10.12, glibc
 *                                                     2.25, musl 1.1.20)
 * TF_HAVE_RENAMEAT2     RENAME_NOREPLACE, RENAME_     link() + unlink() for
 *                       EXCHANGE: one atomic call     no-clobber, rename()
 *                                                     for exchange (races in
 *                                                     tf_file_create(3))
 * TF_HAVE_WIPEONFORK    MADV_WIPEONFORK: a child      getpid() compared on
 *                       sees its block zeroed         every use
 * TF_HAVE_FOPENCOOKIE   glibc and musl cookie         funopen() (the BSDs,
 *                       streams                       macOS, libbsd)
 * TF_HAVE_FUNOPEN       funopen()                     (one of the two needed)
 * TF_HAVE_XATTR         Linux f*xattr(), for reading  marks unread: no object
 *                       the liveness marks of         is reaped by an old
 *                       versions before 1.0 (Linux)   mark (none were made)
 * TF_HAVE_GETDENTS64    list a directory in a signal  a signal handler removes
 *                       handler, with no allocation   files and empty
 *                                                     directories only; the
 *                                                     rest is left to tf_reap
 * TF_HAVE_FCHMODAT2     chmod an O_PATH fd without    /proc/self/fd
 *                       /proc (Linux 6.6)
 * TF_HAVE_STATFS_TYPE   the file system's type        type unknown (0)
 *                       (fstatfs f_type)
 * TF_HAVE_POSIX_FALLOCATE  reserve a ledger's blocks  write the zeros (macOS)
 * TF_HAVE_SECURE_GETENV no TMPDIR for set-ID          issetugid() where the
 *                       programs (glibc, musl)        platform has it, else
 * TF_HAVE_ISSETUGID     the same (BSDs, macOS)        getenv()
 * TF_HAVE_FULLFSYNC     F_FULLFSYNC: fsync through    fsync()
 *                       the drive's cache (macOS)
 * TF_HAVE_COPY_FILE_RANGE  tmpf copies in the kernel  read() and write()
 * TF_HAVE_SYNC_FILE_RANGE  tmpf starts write-back     fsync() at the end only
 *                          early
 * TF_HAVE_PR_SET_DUMPABLE  tmpf run: no core dump     RLIMIT_CORE 0 only
 *                          even through core_pattern
 * TF_HAVE_STDIO_EXT     __fsetlocking(): no lock      stdio locks every call
 *                       per call on cookie streams
 * TF_GLIBC_STDIO        (not a feature: glibc's stdio has quirks that
 *                       cookie.c works around)
 */
#ifndef TF_PLATFORM_H
#define TF_PLATFORM_H

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__) && !defined(TF_PROFILE_POSIX)
#define TF_LINUX 1
#else
#define TF_LINUX 0
#endif
#if defined(__APPLE__)
#define TF_APPLE 1
#else
#define TF_APPLE 0
#endif
#if defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || \
    defined(__DragonFly__)
#define TF_BSD 1
#else
#define TF_BSD 0
#endif

#ifndef TF_HAVE_O_TMPFILE
#if TF_LINUX && defined(O_TMPFILE)
#define TF_HAVE_O_TMPFILE 1
#else
#define TF_HAVE_O_TMPFILE 0
#endif
#endif

#ifndef TF_HAVE_PROC_FD
#define TF_HAVE_PROC_FD TF_LINUX
#endif

#ifndef TF_HAVE_O_PATH
#if TF_LINUX && defined(O_PATH)
#define TF_HAVE_O_PATH 1
#else
#define TF_HAVE_O_PATH 0
#endif
#endif

/* How a directory is opened for search only (no read permission
 * needed): O_PATH, else POSIX's O_SEARCH where the platform defines it,
 * else O_RDONLY (and a directory its owner may not read can not be
 * opened). */
#if TF_HAVE_O_PATH
#define TF_O_SEARCH O_PATH
#elif defined(O_SEARCH)
#define TF_O_SEARCH O_SEARCH
#else
#define TF_O_SEARCH O_RDONLY
#endif

#ifndef TF_HAVE_AT_EMPTY_PATH
#if TF_LINUX && defined(AT_EMPTY_PATH)
#define TF_HAVE_AT_EMPTY_PATH 1
#else
#define TF_HAVE_AT_EMPTY_PATH 0
#endif
#endif

#ifndef TF_HAVE_STATX
#define TF_HAVE_STATX TF_LINUX
#endif

#ifndef TF_HAVE_GETRANDOM
#define TF_HAVE_GETRANDOM TF_LINUX
#endif

#ifndef TF_HAVE_RENAMEAT2
#define TF_HAVE_RENAMEAT2 TF_LINUX
#endif

#ifndef TF_HAVE_WIPEONFORK
#if TF_LINUX && defined(MADV_WIPEONFORK)
#define TF_HAVE_WIPEONFORK 1
#else
#define TF_HAVE_WIPEONFORK 0
#endif
#endif

#ifndef TF_HAVE_FOPENCOOKIE
#define TF_HAVE_FOPENCOOKIE TF_LINUX
#endif
#ifndef TF_HAVE_FUNOPEN
#define TF_HAVE_FUNOPEN (!TF_HAVE_FOPENCOOKIE)
#endif
/* funopen() on Linux is libbsd's (make PROFILE=posix links -lbsd). */
#if TF_HAVE_FUNOPEN && defined(__linux__)
#define TF_FUNOPEN_FROM_LIBBSD 1
#else
#define TF_FUNOPEN_FROM_LIBBSD 0
#endif

#ifndef TF_HAVE_XATTR
#define TF_HAVE_XATTR TF_LINUX
#endif

#ifndef TF_HAVE_GETDENTS64
#define TF_HAVE_GETDENTS64 TF_LINUX
#endif

#ifndef TF_HAVE_FCHMODAT2
#define TF_HAVE_FCHMODAT2 (TF_LINUX && TF_HAVE_O_PATH)
#endif

#ifndef TF_HAVE_STATFS_TYPE
#define TF_HAVE_STATFS_TYPE TF_LINUX
#endif

#ifndef TF_HAVE_POSIX_FALLOCATE
#if TF_LINUX || (TF_BSD && !defined(__OpenBSD__))
#define TF_HAVE_POSIX_FALLOCATE 1
#else
#define TF_HAVE_POSIX_FALLOCATE 0
#endif
#endif

#ifndef TF_HAVE_SECURE_GETENV
#define TF_HAVE_SECURE_GETENV TF_LINUX
#endif
#ifndef TF_HAVE_ISSETUGID
#define TF_HAVE_ISSETUGID (TF_APPLE || TF_BSD)
#endif

#ifndef TF_HAVE_FULLFSYNC
#if TF_APPLE && defined(F_FULLFSYNC)
#define TF_HAVE_FULLFSYNC 1
#else
#define TF_HAVE_FULLFSYNC 0
#endif
#endif

#ifndef TF_HAVE_COPY_FILE_RANGE
#define TF_HAVE_COPY_FILE_RANGE TF_LINUX
#endif
#ifndef TF_HAVE_SYNC_FILE_RANGE
#define TF_HAVE_SYNC_FILE_RANGE TF_LINUX
#endif
#ifndef TF_HAVE_PR_SET_DUMPABLE
#define TF_HAVE_PR_SET_DUMPABLE TF_LINUX
#endif
#ifndef TF_HAVE_STDIO_EXT
#define TF_HAVE_STDIO_EXT (TF_LINUX && TF_HAVE_FOPENCOOKIE)
#endif

#if defined(__GLIBC__)
#define TF_GLIBC_STDIO 1
#else
#define TF_GLIBC_STDIO 0
#endif

/* Every switch, for `make features` and the benchmark's report:
 * X("NAME", value), the name a string (O_PATH and others are macros). */
#define TF_PLATFORM_SWITCHES(X)                                               \
  X("O_TMPFILE", TF_HAVE_O_TMPFILE)                                           \
  X("PROC_FD", TF_HAVE_PROC_FD)                                               \
  X("O_PATH", TF_HAVE_O_PATH)                                                 \
  X("AT_EMPTY_PATH", TF_HAVE_AT_EMPTY_PATH)                                   \
  X("STATX", TF_HAVE_STATX)                                                   \
  X("GETRANDOM", TF_HAVE_GETRANDOM)                                           \
  X("RENAMEAT2", TF_HAVE_RENAMEAT2)                                           \
  X("WIPEONFORK", TF_HAVE_WIPEONFORK)                                         \
  X("FOPENCOOKIE", TF_HAVE_FOPENCOOKIE)                                       \
  X("FUNOPEN", TF_HAVE_FUNOPEN)                                               \
  X("XATTR", TF_HAVE_XATTR)                                                   \
  X("GETDENTS64", TF_HAVE_GETDENTS64)                                         \
  X("FCHMODAT2", TF_HAVE_FCHMODAT2)                                           \
  X("STATFS_TYPE", TF_HAVE_STATFS_TYPE)                                       \
  X("POSIX_FALLOCATE", TF_HAVE_POSIX_FALLOCATE)                               \
  X("SECURE_GETENV", TF_HAVE_SECURE_GETENV)                                   \
  X("ISSETUGID", TF_HAVE_ISSETUGID)                                           \
  X("FULLFSYNC", TF_HAVE_FULLFSYNC)                                           \
  X("COPY_FILE_RANGE", TF_HAVE_COPY_FILE_RANGE)                               \
  X("SYNC_FILE_RANGE", TF_HAVE_SYNC_FILE_RANGE)                               \
  X("PR_SET_DUMPABLE", TF_HAVE_PR_SET_DUMPABLE)                               \
  X("STDIO_EXT", TF_HAVE_STDIO_EXT)

#endif
