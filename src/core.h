/* SPDX-License-Identifier: MIT */
/*
 * core.h - what the portable files (name.c, opts.c, error.c) need, on
 * every platform: options, names, the settings lock and the heap.  The
 * POSIX files see it through internal.h, the Windows files through
 * win/win.h; both implement the few calls it declares that touch the
 * system (tf__random_name, tf__malloc, tf__lib_init).
 */
#ifndef TF_CORE_H
#define TF_CORE_H

#include "../include/tempfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#if defined(_WIN32)
#define TF_WINDOWS 1
/* Declarations up to Windows 10; what newer systems add is looked up at
 * run time and falls back where missing. */
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
/* A process-wide lock: statically initialised, never destroyed. */
typedef SRWLOCK tf__mutex;
#define TF__MUTEX_INIT SRWLOCK_INIT
#define tf__mutex_lock(m) AcquireSRWLockExclusive(m)
#define tf__mutex_unlock(m) ReleaseSRWLockExclusive(m)
#else
#define TF_WINDOWS 0
#include <pthread.h>
typedef pthread_mutex_t tf__mutex;
#define TF__MUTEX_INIT PTHREAD_MUTEX_INITIALIZER
#define tf__mutex_lock(m) pthread_mutex_lock(m)
#define tf__mutex_unlock(m) pthread_mutex_unlock(m)
#endif

#ifndef NAME_MAX
#define NAME_MAX 255
#endif

/* A character a name's prefix or suffix may not hold: the separators,
 * and on Windows ':' too, which would name an NTFS alternate data
 * stream of another file ("x:y" is stream y of x). */
#if TF_WINDOWS
#define tf__name_forbidden(c) ((c) == '/' || (c) == '\\' || (c) == ':')
#else
#define tf__name_forbidden(c) ((c) == '/')
#endif

/* open(2) flags a caller may add through tf_opts.open_flags (those the
 * platform lacks count as 0, so they are refused as unknown bits). */
#ifndef O_SYNC
#define O_SYNC 0
#endif
#ifndef O_DIRECT
#define O_DIRECT 0
#endif
#ifndef O_NOATIME
#define O_NOATIME 0
#endif
#ifndef O_DSYNC
#define O_DSYNC 0
#endif
#define TF_OPEN_FLAGS_ALLOWED (O_APPEND | O_SYNC | O_DSYNC | O_NOATIME | O_DIRECT)

/* The first use of the library in a process (POSIX: fork handlers). */
void tf__lib_init(void);
/* The process-wide settings (temporary directory, prefix). */
extern tf__mutex tf__settings_lock;

/* memory.c (win/: the heap directly): malloc and free, through the
 * fault table where there is one. */
void *tf__malloc(size_t n);
char *tf__strndup(const char *s, size_t n);
void tf__freemem(void *p);

/* sys.c (win/util_win.c): n bytes to standard error in one write, for
 * the one line the library prints when asked (tf_file_end()). */
void tf__write_stderr(const char *line, size_t n);

/* random.c: len random name characters.  They come from
 * tf__name_source, called under the platform's lock: the pool of OS
 * random bytes, or whatever a test puts in its place (like a tf__sys
 * entry, it is a pointer so that tests can choose the names). */
int tf__random_name(char *out, size_t len);
extern int (*tf__name_source)(char *out, size_t len);

/* opts.c: check the caller's options src (NULL: all defaults) and copy
 * them to dst, a struct of this library's version, before any effect:
 * flags outside allowed_flags, and what rules refuse, are -EINVAL.  The
 * copy's strings are still the caller's.  tf__opts_mode() is the copy's
 * mode, or fallback (0600 files, 0700 directories) for the default. */
#define TF__OPTS_AT 0x1         /* an *at call: no dir */
#define TF__OPTS_NAME 0x2       /* check a chosen prefix/suffix/length now */
#define TF__OPTS_FIXED_NAME 0x4 /* no prefix, suffix or random_len */
#define TF__OPTS_NO_APPEND 0x8  /* no O_APPEND */
#define TF__OPTS_NO_DIRECT 0x10 /* no O_DIRECT */
int tf__opts_take(tf_opts *dst, const tf_opts *src, unsigned allowed_flags,
                  unsigned rules);
mode_t tf__opts_mode(const tf_opts *o, mode_t fallback);

/* name.c */
struct tf__name {
  const char *prefix;
  size_t prefix_len;
  const char *suffix;
  size_t suffix_len;
  size_t random_len;
  char prefix_buf[256];
};
int tf__name_init(struct tf__name *n, const tf_opts *o);
int tf__name_next(const struct tf__name *n, char *out);
size_t tf__name_len(const struct tf__name *n);
/* name.c: the default prefix (tf_settempprefix()); its length or -errno. */
int tf__default_prefix(char *buf, size_t size);

#endif
