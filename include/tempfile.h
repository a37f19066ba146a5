/* SPDX-License-Identifier: MIT */
/*
 * tempfile.h - the public interface of libtempfile.
 *
 * libtempfile is Python's tempfile module done in C: secure temporary files
 * and directories created with names from the OS CSPRNG, the temporary
 * directory discovered and cached as Python's gettempdir() does, unnamed
 * files (O_TMPFILE), and a named-file handle with a delete policy and a
 * safe way to publish the file under its final name.
 *
 * Conventions (see tempfile(3)), the same for every function:
 *  - A fallible call returns 0 (or an fd, a count, a size) on success and
 *    a negative errno on failure, never a positive one; tf_strerror()
 *    names it.  The library never prints (but for the line tf_file_end()
 *    and tf_dir_end() write when asked), exits or aborts, and never
 *    leaves its result in errno.
 *  - Arguments are checked before any effect: a NULL handle or output
 *    pointer, unknown flag bits or an unknown tf_opts.version give
 *    -EINVAL; a negative fd other than AT_FDCWD gives -EBADF, and every
 *    *at() function accepts AT_FDCWD.  The ending functions (*_free,
 *    *_freep, *_close, *_abort, *_cleanup, *_end, tf_free,
 *    tf_scope_guard_end) accept NULL and return 0 (or do nothing).
 *  - On failure nothing is left behind: no file, directory, fd or memory,
 *    and output parameters are untouched.
 *  - Options are one versioned struct where zero or NULL means "default";
 *    passing a NULL options pointer means all defaults.
 *  - Flags share one namespace: no bit means two things.
 *  - Paths are UTF-8 (or the system's bytes) as char *.  The calls marked
 *    "POSIX only" take a directory fd or a struct iovec and are not
 *    declared on Windows.
 *  - Every function below exists since 1.0; the exported symbols carry
 *    the version LIBTEMPFILE_1.0.
 *  - Strings the library allocates for the caller are released with free()
 *    (or tf_free()); strings returned by handle getters are borrowed until
 *    the handle ends.
 *  - Every function is thread-safe, and process-wide settings are guarded;
 *    one handle must not be used by two threads at once without a lock.
 *
 * This header is C89 and C++98 clean (checked with -pedantic -Werror);
 * the TF_AUTO_* declarations need GCC or Clang.
 */
#ifndef TEMPFILE_H
#define TEMPFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#if !defined(_WIN32)
#include <sys/uio.h>
#define TF_POSIX_API 1
#else
/* The two errnos the library returns that the C runtime lacks, with
 * Winsock's numbers for them. */
#include <errno.h>
#ifndef ESTALE
#define ESTALE 10070
#endif
#ifndef EDQUOT
#define EDQUOT 10069
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define TF_VERSION_MAJOR 1
#define TF_VERSION_MINOR 0
#define TF_VERSION_PATCH 0
#define TF_VERSION_STRING "1.0.0"
/* One integer that grows with every release: 0xMMmmpp. */
#define TF_VERSION_HEX \
  ((TF_VERSION_MAJOR << 16) | (TF_VERSION_MINOR << 8) | TF_VERSION_PATCH)

#if defined(TF_BUILDING) && defined(_WIN32)
#define TF_EXTERN __declspec(dllexport) extern
#elif defined(TF_BUILDING) && defined(__GNUC__)
#define TF_EXTERN __attribute__((visibility("default"))) extern
#else
#define TF_EXTERN extern
#endif

/* ---------------------------------------------------------------- version */

/* The version of the library that was loaded, as TF_VERSION_HEX (compare
 * it with the TF_VERSION_HEX a program was built with).  Since 1.0. */
TF_EXTERN unsigned int tf_version(void);

/* The same as "MAJOR.MINOR.PATCH"; a static string.  Since 1.0. */
TF_EXTERN const char *tf_version_string(void);

/* ----------------------------------------------------------------- errors */

/*
 * A human-readable message for err, a negative errno returned by this
 * library (a positive errno is accepted too).  Returns a static string,
 * never NULL; unknown values give "unknown error".  Thread-safe.
 */
TF_EXTERN const char *tf_strerror(int err);

/*
 * The symbolic name of err ("EEXIST", "ENOENT", ...), or "UNKNOWN".
 * Returns a static string, never NULL.
 */
TF_EXTERN const char *tf_err_name(int err);

/* Release memory the library allocated for the caller; NULL is a no-op. */
TF_EXTERN void tf_free(void *ptr);

/* ---------------------------------------------------------------- options */

/* Length of the random part when tf_opts.random_len is 0. */
#define TF_RANDOM_LEN_DEFAULT 12
/* Largest random part accepted (and the longest name NAME_MAX allows). */
#define TF_RANDOM_LEN_MAX 255
/* Names tried per call before giving up with -EEXIST. */
#define TF_ATTEMPTS 100
/* The alphabet of the random part: lowercase letters and digits, so names
 * stay distinct on case-insensitive file systems (36 symbols, 5.17 bits
 * each; the default 12 characters carry 62 bits). */
#define TF_ALPHABET "abcdefghijklmnopqrstuvwxyz0123456789"

/*
 * Flags.  One namespace: every bit means one thing in every call, and a
 * call given a bit it does not take returns -EINVAL before any effect.
 * Which call takes which is in tempfile(3); in short:
 *   tf_file_create          TF_KEEP, TF_DELETE_ON_FREE, TF_UNTRACKED
 *   tf_dir_create           TF_KEEP, TF_IGNORE_ERRORS, TF_UNTRACKED
 *   tf_file_publish         TF_NOCLOBBER
 *   tf_rmtreeat             TF_IGNORE_ERRORS, TF_CONTENTS_ONLY
 *   tf_atomic_begin,        TF_NOCLOBBER, TF_SYNC_NONE, TF_SYNC_DURABLE,
 *   tf_write_file           TF_SYNC_ONLY_EXISTING, TF_REPLACE_LINK,
 *                           TF_MUST_EXIST, TF_STRICT_OWNER, TF_UNTRACKED
 *   tf_pool_create          TF_POOL_NAMED, TF_UNTRACKED
 *   tf_reap                 TF_REAP_DRY_RUN, TF_IGNORE_ERRORS
 *   the others (tf_mkstemp, tf_mkdtemp, tf_mktemp, tf_tmpfile,
 *   tf_spool_create and their *at forms): none.
 */
#define TF_KEEP 0x1u           /* never delete (Python delete=False) */
#define TF_DELETE_ON_FREE 0x2u /* survive tf_file_close(), delete at
                                  tf_file_free() (delete_on_close=False) */
#define TF_IGNORE_ERRORS 0x4u  /* remove all that can be removed and
                                  report success
                                  (ignore_cleanup_errors=True) */
#define TF_CONTENTS_ONLY 0x8u  /* tf_rmtreeat(): empty the directory,
                                  keep it */
#define TF_SYNC_NONE 0x10u     /* no fsync at all: atomic for readers, not
                                  across a crash (the file may be empty) */
#define TF_SYNC_DURABLE 0x20u  /* also fsync the directory after the
                                  rename, so the new name survives a
                                  crash (F_FULLFSYNC on macOS) */
#define TF_SYNC_ONLY_EXISTING 0x40u /* GLib's ONLY_EXISTING: sync only when
                                  the target exists and is not empty, as
                                  there is no old data to lose otherwise */
/* 0x80u is reserved. */
#define TF_REPLACE_LINK 0x100u /* a symlink target is itself replaced by
                                  the new file; by default the link is
                                  followed and the file it points to is
                                  replaced, so the link survives */
#define TF_MUST_EXIST 0x200u   /* replace only an existing file: -ENOENT
                                  otherwise, decided atomically at commit
                                  where renameat2 RENAME_EXCHANGE works */
#define TF_STRICT_OWNER 0x400u /* copying the target's owner and group
                                  may not fail with EPERM (ignored by
                                  default, as an unprivileged process can
                                  not give files away) */
#define TF_UNTRACKED 0x800u    /* not registered for cleanup at exit or
                                  on signals, and no liveness marker (so
                                  tf_reap() never takes it): the object's
                                  whole life is the caller's */
#define TF_POOL_NAMED 0x1000u  /* named pool files (tf_file_create(),
                                  deleted when the pool ends them); see
                                  tf_pool_path() */
#define TF_REAP_DRY_RUN 0x2000u /* report what would be removed; remove
                                   nothing */
#define TF_NOCLOBBER 0x4000u   /* fail with -EEXIST if the target exists,
                                  decided atomically (renameat2
                                  RENAME_NOREPLACE, or linkat) */

/*
 * Options shared by every creating call.  Zero or NULL in any field means
 * the default; a NULL tf_opts pointer means all defaults.
 *
 *   version     the layout the caller was built with: TF_OPTS_VERSION,
 *               as TF_OPTS_INIT and tf_opts_init() set it.  0 means the
 *               1.0 layout too, so `tf_opts o = {0};` stays valid; a
 *               version this library does not know gives -EINVAL.  Later
 *               versions only add fields at the end.
 *   dir         directory to create in; NULL means tf_gettempdir().  A
 *               relative path is made absolute against the current
 *               directory at the time of the call.  Must be NULL in the
 *               *at() forms, which create relative to their dirfd.
 *   prefix      start of the name; NULL means tf_gettempprefix() ("tmp").
 *               "" is allowed.  Must not contain '/'.
 *   suffix      end of the name; NULL means "".  Must not contain '/'.
 *   random_len  characters of randomness between prefix and suffix, 1 to
 *               TF_RANDOM_LEN_MAX; 0 means TF_RANDOM_LEN_DEFAULT.
 *               prefix + random + suffix must fit in NAME_MAX (255).
 *   mode        permission bits (before the umask); 0 means 0600 for
 *               files and 0700 for directories.  Only 07777 bits allowed.
 *   flags       TF_* bits the called function documents; others: -EINVAL.
 *   open_flags  extra open(2) flags for files: O_APPEND, O_SYNC, O_DSYNC,
 *               O_NOATIME, O_DIRECT; others give -EINVAL.  Files are always
 *               opened O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC.
 */
typedef struct tf_opts {
  unsigned int version;
  const char *dir;
  const char *prefix;
  const char *suffix;
  unsigned int random_len;
  unsigned int mode;
  unsigned int flags;
  int open_flags;
} tf_opts;

#define TF_OPTS_VERSION 1
#define TF_OPTS_INIT {TF_OPTS_VERSION, NULL, NULL, NULL, 0, 0, 0, 0}

/* Set *opts to all defaults with the given version (TF_OPTS_VERSION), for
 * languages without the macro.  Returns 0, or -EINVAL (opts NULL, or a
 * version this library does not know).  Since 1.0. */
TF_EXTERN int tf_opts_init(tf_opts *opts, unsigned int version);

/* --------------------------------------------------- temporary directory */

/*
 * Copy the process's temporary directory into buf (size bytes, NUL
 * included).  It is the override set by tf_settempdir() if any, otherwise
 * the first usable candidate among $TMPDIR, $TEMP, $TMP (empty values are
 * skipped; read with secure_getenv), /tmp, /var/tmp, /usr/tmp and the
 * current directory.  Each candidate is made absolute and proven usable by
 * creating, writing and removing a file in it (the probe leaves nothing
 * behind).  The result is cached for the process until tf_settempdir().
 *
 * Returns the length of the path (without the NUL) on success, or
 *   -EINVAL  buf is NULL
 *   -ERANGE  size is too small (nothing written)
 *   -ENOENT  no candidate is usable
 *   -ENOMEM  out of memory
 */
TF_EXTERN int tf_gettempdir(char *buf, size_t size);

/*
 * Override the temporary directory (Python's tempfile.tempdir = dir).  dir
 * is made absolute now but not checked, as Python does not.  NULL removes
 * the override and forgets the cached discovery, so the next use runs it
 * again.  Returns 0, -EINVAL (empty string), -ENAMETOOLONG, or for a
 * relative dir the getcwd() error (-ENOENT, -EACCES).
 */
TF_EXTERN int tf_settempdir(const char *dir);

/*
 * Copy the default name prefix (Python's tempfile.template, "tmp" unless
 * changed) into buf.  Returns its length, -EINVAL (buf NULL) or -ERANGE.
 */
TF_EXTERN int tf_gettempprefix(char *buf, size_t size);

/*
 * Change the default prefix for every later call that leaves
 * tf_opts.prefix NULL.  NULL restores "tmp".  Returns 0, or -EINVAL if
 * prefix contains '/' or is longer than 200 bytes.
 */
TF_EXTERN int tf_settempprefix(const char *prefix);

/* ------------------------------------------------------ creation calls */

/*
 * Create and open a new file with a random name (Python's mkstemp).
 *   path_out  OUT: the file's absolute path, malloc'd; free() it.
 *   opts      dir, prefix, suffix, random_len, mode, open_flags; no flags.
 * The file is opened O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC with mode
 * 0600 by default; only EEXIST is retried, up to TF_ATTEMPTS names.  The
 * caller owns the fd and the file and must remove it.
 *
 * Returns the fd, or
 *   -EINVAL   bad argument (NULL path_out, '/' in prefix or suffix,
 *             random_len out of range, name too long, unknown bits)
 *   -EEXIST   TF_ATTEMPTS names were all taken
 *   -ENOENT, -ENOTDIR, -EACCES, -EROFS, -ENOSPC, -EMFILE, -ENOMEM, ...
 *             from the system; nothing was created.
 * On failure *path_out is unchanged.
 */
TF_EXTERN int tf_mkstemp(char **path_out, const tf_opts *opts);

/*
 * tf_mkstemp() relative to the directory open at dirfd (AT_FDCWD allowed);
 * opts->dir must be NULL.  name_out (OUT, may be NULL) receives the
 * malloc'd name relative to dirfd.
 */
#ifdef TF_POSIX_API /* POSIX only: a directory fd */
TF_EXTERN int tf_mkstempat(int dirfd, char **name_out, const tf_opts *opts);
#endif

/*
 * Create a new directory with a random name (Python's mkdtemp), mode 0700
 * by default (open_flags is ignored).  path_out (OUT) receives its
 * absolute path, malloc'd.  Returns 0 or a negative errno as tf_mkstemp();
 * nothing left on failure.
 */
TF_EXTERN int tf_mkdtemp(char **path_out, const tf_opts *opts);

/* tf_mkdtemp() relative to dirfd; name_out (OUT, required) is relative to
 * dirfd. */
#ifdef TF_POSIX_API /* POSIX only: a directory fd */
TF_EXTERN int tf_mkdtempat(int dirfd, char **name_out, const tf_opts *opts);
#endif

/*
 * UNSAFE: return a name that did not exist when it was checked (Python's
 * mktemp).  Another process can create it before the caller does, so use
 * it only where an object other than a file must be created under a fresh
 * name and the creating call itself fails when the name exists (bind(),
 * mkfifo(), ...).  path_out (OUT): absolute path, malloc'd.  Returns 0,
 * -EEXIST after TF_ATTEMPTS taken names, or a negative errno (-EINVAL,
 * -ENAMETOOLONG, -ENOMEM, the getcwd() error for a relative dir).  As in
 * Python, a name counts as taken only when lstat() finds it: when the
 * directory is missing, is a file or can not be searched, the first name
 * is returned.  mode and open_flags are ignored.
 */
TF_EXTERN int tf_mktemp(char **path_out, const tf_opts *opts);

/* tf_mktemp() relative to dirfd; name_out (OUT, required) is relative to
 * dirfd. */
#ifdef TF_POSIX_API /* POSIX only: a directory fd */
TF_EXTERN int tf_mktempat(int dirfd, char **name_out, const tf_opts *opts);
#endif

/*
 * Open an unnamed temporary file (Python's TemporaryFile) in opts->dir or
 * the temporary directory (honouring $TMPDIR, which tmpfile(3) ignores).
 * Uses O_TMPFILE|O_EXCL (it can never be given a name) where the file
 * system supports it; where it does not, this call falls back to creating
 * a named file and removing it at once.  Mode 0600 unless opts->mode.
 * Only dir, mode and open_flags are used (prefix/suffix name the fallback).
 * Returns the fd, or a negative errno as tf_mkstemp().
 */
TF_EXTERN int tf_tmpfile(const tf_opts *opts);

/* tf_tmpfile() in the directory open at dirfd; opts->dir must be NULL. */
#ifdef TF_POSIX_API /* POSIX only: a directory fd */
TF_EXTERN int tf_tmpfileat(int dirfd, const tf_opts *opts);
#endif

/* -------------------------------------------- named temporary file handle */

/* A named temporary file (Python's NamedTemporaryFile).  Opaque. */
typedef struct tf_file tf_file;

/*
 * Create a named temporary file and a handle that owns it.
 *   out    OUT: the handle; end it with tf_file_free().
 *   opts   as tf_mkstemp(), plus flags:
 *          0                  delete on tf_file_close() (Python default)
 *          TF_DELETE_ON_FREE  keep after close, delete at tf_file_free()
 *          TF_KEEP            never delete
 *          TF_UNTRACKED       no exit or signal cleanup, no liveness
 *                             mark (see "lifecycle" below)
 * The handle keeps an fd of the parent directory: every later removal or
 * rename is relative to it, so a chdir() or a renamed parent can not
 * redirect it.  Only the creating process deletes: a forked child that
 * closes or frees the handle leaves the file alone.
 * Returns 0 or a negative errno as tf_mkstemp(); *out untouched on error.
 */
TF_EXTERN int tf_file_create(tf_file **out, const tf_opts *opts);

/* tf_file_create() in the directory open at dirfd (the handle keeps its
 * own duplicate of dirfd, or opens "." for AT_FDCWD); opts->dir must be
 * NULL.  tf_file_path() is then the name relative to dirfd. */
#ifdef TF_POSIX_API /* POSIX only: a directory fd */
TF_EXTERN int tf_file_createat(tf_file **out, int dirfd, const tf_opts *opts);
#endif

/* The open fd (owned by the handle), -EBADF once closed, -EINVAL if f is
 * NULL.  For a file marked for tf_reap(), the first call takes a shared
 * flock on it: a program that inherits the fd keeps the file alive. */
TF_EXTERN int tf_file_fd(const tf_file *f);

/* The path the file has: absolute, except after tf_file_createat() (the
 * name relative to its dirfd) or tf_file_publishat() with a dirfd (the
 * target as given).  Once published, the final name.  Borrowed until the
 * next publish or tf_file_free(); NULL if f is NULL. */
TF_EXTERN const char *tf_file_path(const tf_file *f);

/*
 * A stdio stream on the file, created on first call and owned by the
 * handle (do not fclose it; tf_file_close() does).  The stream and
 * tf_file_fd() share the file offset.
 *   out  OUT: the stream.
 * Returns 0, -EBADF (closed), -EINVAL (NULL) or -ENOMEM.
 */
TF_EXTERN int tf_file_stream(tf_file *f, FILE **out);

/*
 * Close the fd (flushing the stream first) and, under the default policy,
 * delete the file.  Idempotent; a file the caller already removed is not
 * an error.  Returns 0 or the first error (of the flush, close or
 * unlink); the fd is closed whatever happens.
 */
TF_EXTERN int tf_file_close(tf_file *f);

/* Stop the handle from ever deleting the file (Rust's keep()).  Returns 0,
 * or -EINVAL if f is NULL. */
TF_EXTERN int tf_file_keep(tf_file *f);


/*
 * Give the file its final name: rename it to target (relative paths are
 * relative to the current directory).  The handle's stream, if any, is flushed
 * first, so the file is complete when the name appears.  With TF_NOCLOBBER the
 * call fails with -EEXIST if target exists, decided atomically (renameat2
 * RENAME_NOREPLACE, or linkat + unlinkat where that is unsupported). If mode
 * is not 0 it is applied to the file before the name appears. On success the
 * handle keeps the fd open, reports the new path and will never delete the
 * file.  On failure the handle is unchanged, still owns the temporary file,
 * and can be published again elsewhere.  (A forked child may publish too:
 * publishing removes nothing.) Returns 0, -EINVAL (bad argument, or already
 * published), -EEXIST, -EXDEV (target on another file system), -ENOENT (the
 * file was already deleted, or target's directory is missing), -ENAMETOOLONG,
 * -ENOMEM, or the errno of the flush, chmod or rename.
 */
TF_EXTERN int tf_file_publish(tf_file *f, const char *target,
                              unsigned int mode, unsigned int flags);

/* tf_file_publish() with target relative to the directory open at dirfd. */
#ifdef TF_POSIX_API /* POSIX only: a directory fd */
TF_EXTERN int tf_file_publishat(tf_file *f, int dirfd, const char *target,
                                unsigned int mode, unsigned int flags);
#endif

/*
 * End the handle: close it if still open and delete the file unless it
 * was kept, published, or made by another process (before a fork).  NULL
 * returns 0.  Returns 0 or the first error of the close or unlink; the
 * handle is freed in every case.
 */
TF_EXTERN int tf_file_free(tf_file *f);

/* ------------------------------------------------- temporary directories */

/*
 * Python's TemporaryDirectory: a directory made as tf_mkdtemp() makes it
 * (0700 by default) and removed with everything in it when the handle
 * ends.  The handle keeps an fd of the directory, an fd of its parent and
 * its name, and removes the tree through them with tf_rmtreeat()'s
 * guarantees, after checking that the name still refers to the directory
 * it made (same device and inode).  Only the creating process removes
 * it: in a forked child tf_dir_cleanup() and tf_dir_free() remove nothing.
 */
typedef struct tf_dir tf_dir;

/*
 * Create the directory and its handle.
 *   out    OUT: the handle; end it with tf_dir_free().
 *   opts   as tf_mkdtemp(), plus flags:
 *          0                 remove the tree at tf_dir_free()
 *          TF_KEEP           leave it (Python delete=False); an explicit
 *                            tf_dir_cleanup() still removes it
 *          TF_IGNORE_ERRORS  cleanup removes what it can and returns 0
 *          TF_UNTRACKED      no exit or signal cleanup, no liveness mark
 * Returns 0 or a negative errno as tf_mkdtemp(); on failure *out is
 * untouched and no directory is left.
 */
TF_EXTERN int tf_dir_create(tf_dir **out, const tf_opts *opts);

/* tf_dir_create() in the directory open at dirfd (AT_FDCWD allowed; the
 * handle keeps its own duplicate); opts->dir must be NULL and
 * tf_dir_path() is the name relative to dirfd. */
#ifdef TF_POSIX_API /* POSIX only: a directory fd */
TF_EXTERN int tf_dir_createat(tf_dir **out, int dirfd, const tf_opts *opts);
#endif

/* The directory's path (absolute, except after tf_dir_createat()); valid
 * until tf_dir_free(), also after cleanup.  NULL if d is NULL. */
TF_EXTERN const char *tf_dir_path(const tf_dir *d);

/*
 * An O_RDONLY|O_DIRECTORY|O_CLOEXEC fd of the directory, owned by the
 * handle and opened on the first call: use it with openat() and friends,
 * do not close it.  (If the mode you chose denies the owner read
 * permission it is an O_PATH fd, usable only as an *at() anchor.)
 * -EBADF after cleanup, -ESTALE if another object took the directory's
 * name before the first call, -EMFILE or -ENFILE if it can not be opened,
 * -EINVAL if d is NULL.
 */
#ifdef TF_POSIX_API /* POSIX only: a directory fd */
TF_EXTERN int tf_dir_fd(const tf_dir *d);
#endif

/*
 * Remove the directory and everything in it now (Python's cleanup()),
 * also when the handle was made with TF_KEEP.  Idempotent: after a
 * success later calls return 0.  A directory the caller already removed,
 * or renamed away, is not an error and nothing is removed; -ESTALE if
 * its name now refers to another object, which is left alone.  Otherwise
 * the first error of the removal (see tf_rmtreeat()), after removing
 * everything that could be removed; 0 under TF_IGNORE_ERRORS.  NULL: 0.
 */
TF_EXTERN int tf_dir_cleanup(tf_dir *d);

/* Stop tf_dir_free() from removing the directory (Rust's keep()).
 * Returns 0, or -EINVAL if d is NULL. */
TF_EXTERN int tf_dir_keep(tf_dir *d);

/*
 * End the handle: unless it was kept, cleaned up already, or made by
 * another process, remove the tree as tf_dir_cleanup() does.  NULL returns
 * 0.  Returns 0 or the cleanup's error; the handle is freed and its
 * fds closed in every case.
 */
TF_EXTERN int tf_dir_free(tf_dir *d);

/* ---------------------------------------------- secure recursive removal */


/*
 * Remove path, relative to dirfd (AT_FDCWD allowed), and everything
 * under it, safely against anyone who can write inside the tree while
 * the removal runs.  path's last component is the top; the components
 * before it are resolved as open(2) resolves them.
 *
 * Guarantees:
 *   - The walk is by file descriptors (openat O_DIRECTORY|O_NOFOLLOW,
 *     fdopendir, unlinkat); no path is ever resolved twice.  A symlink
 *     anywhere in the tree is removed, never followed: its target, its
 *     contents, mode and flags are untouched.  A symlink as the top is
 *     removed as a link.
 *   - No other file system is entered: a mount point inside the tree
 *     (also a bind mount of the same file system, where statx() reports
 *     it, and a file mounted over a file) is left in place with
 *     everything under it, and reported as -EXDEV.  The top itself may
 *     be a mount point: it is emptied, and its removal fails (-EBUSY).
 *   - FIFOs, sockets and device nodes are unlinked, never opened.
 *   - A directory of the tree that denies its owner read, write or
 *     search gains them (mode | 0700) through an fd of that directory
 *     opened with O_NOFOLLOW, never through a path; modes are not
 *     restored.  Files' modes are never changed, so a hard link to a
 *     file outside the tree keeps its mode.
 *   - An entry removed by someone else meanwhile is not an error.
 *   - Iterative, with at most 32 directories open at once: depth and
 *     width are bounded by memory only, and the work is linear in the
 *     number of entries when they can be removed.
 *
 * flags: TF_IGNORE_ERRORS, TF_CONTENTS_ONLY; others give -EINVAL.
 * Returns 0 once the tree is gone, or the first error after removing
 * everything that could be removed (0 under TF_IGNORE_ERRORS, except
 * -EINVAL for bad arguments); running out of memory stops the walk at
 * once:
 *   -EINVAL   path NULL, "/", or a last component "." or ".."
 *   -ENOENT   path does not exist (also "")
 *   -ENOTDIR  path is not a directory (nor a symlink); it is left alone
 *   -EXDEV    a mount point inside the tree was left in place
 *   -ENOMEM, -ENAMETOOLONG, or the errno of a failed system call (e.g.
 *   -EACCES, -EPERM, -EBUSY, -EROFS).
 */
#ifdef TF_POSIX_API /* POSIX only: a directory fd */
TF_EXTERN int tf_rmtreeat(int dirfd, const char *path, unsigned int flags);
#endif

/* ------------------------------------------------------ spooled files */

/*
 * A spooled temporary file (Python's SpooledTemporaryFile): its data stays
 * in memory until a write would take it past max_size bytes, then moves
 * to an unnamed temporary file (tf_tmpfile()) and the caller never
 * notices the move.  Exactly max_size bytes stay in memory; max_size 0
 * means writes never move it.  Opaque.
 *
 * Positions and sizes are int64_t whatever _FILE_OFFSET_BITS is.  The
 * spool has one position, shared by the direct calls and its stream.
 */
typedef struct tf_spool tf_spool;

/*
 * Create an empty spool, in memory.  Nothing is opened or allocated on
 * disk until it rolls over, so a spool that stays small costs no fd.
 *   max_size  bytes kept in memory at most (0: no limit for writes)
 *   opts      where and how the file is made when it rolls over: dir (a
 *             relative dir is resolved now, against the current
 *             directory; NULL means the temporary directory at rollover),
 *             mode, open_flags (O_SYNC, O_DSYNC, O_NOATIME), and
 *             prefix, suffix and random_len for the fallback that
 *             creates a named file and removes it.  No flags.
 * Returns 0, -EINVAL or -ENOMEM.
 */
TF_EXTERN int tf_spool_create(tf_spool **out, size_t max_size,
                              const tf_opts *opts);

/* tf_spool_create() rolling over into the directory open at dirfd (the
 * spool keeps a duplicate of it; AT_FDCWD: the current directory, opened
 * now); opts->dir must be NULL.  -EBADF for a bad dirfd. */
#ifdef TF_POSIX_API /* POSIX only: a directory fd */
TF_EXTERN int tf_spool_createat(tf_spool **out, size_t max_size, int dirfd,
                                const tf_opts *opts);
#endif

/*
 * Write n bytes at the position and advance it; a position past the end
 * leaves a gap that reads as zeros.  If the write would take the spool
 * past max_size, the spool first rolls over (tf_spool_rollover()); if
 * that fails the write fails with its error and changes nothing.
 * Returns n (fewer only if the disk fills up after some bytes were
 * written) or a negative errno: -EBADF (closed), -EFBIG, -ENOMEM (the
 * data written before is intact), or the error of the rollover or of a
 * write to the file.
 */
TF_EXTERN ssize_t tf_spool_write(tf_spool *s, const void *buf, size_t n);

/*
 * Write the iovcnt buffers in order, as one tf_spool_write() each, so
 * the spool rolls over in the middle when a buffer would take it past
 * max_size, and no more than max_size is ever held in memory (CPython
 * gh-127371).  Returns the total written, or a negative errno if nothing
 * was; a failure after some buffers were written returns their total.
 * -EINVAL if iovcnt is out of range or the total exceeds SSIZE_MAX.
 */
#ifdef TF_POSIX_API /* POSIX only: a struct iovec */
TF_EXTERN ssize_t tf_spool_writev(tf_spool *s, const struct iovec *iov,
                                  int iovcnt);
#endif

/* Read up to n bytes from the position and advance it.  Returns the count
 * (0 at or past the end) or a negative errno. */
TF_EXTERN ssize_t tf_spool_read(tf_spool *s, void *buf, size_t n);

/*
 * Move the position (SEEK_SET, SEEK_CUR, SEEK_END), as lseek() does: a
 * position past the end is allowed and does not roll over; a negative one
 * is -EINVAL.  Returns the new position, -EINVAL, -EOVERFLOW or -EBADF.
 */
TF_EXTERN int64_t tf_spool_seek(tf_spool *s, int64_t offset, int whence);

/* The position, -EBADF (closed) or -EINVAL (NULL). */
TF_EXTERN int64_t tf_spool_tell(tf_spool *s);

/* tf_spool_truncate() size meaning "at the position" (Python's
 * truncate() without an argument). */
#define TF_SPOOL_HERE (-1)

/*
 * Make the spool size bytes long: shorter, or longer with zeros (as
 * ftruncate() does, also before rollover).  The position does not move.
 * A size greater than max_size (any positive size when max_size is 0)
 * rolls over first.  Returns the new size or a negative errno (-EINVAL
 * for a negative size other than TF_SPOOL_HERE).
 */
TF_EXTERN int64_t tf_spool_truncate(tf_spool *s, int64_t size);

/* Write buffered data to the file (no fsync).  0 or a negative errno. */
TF_EXTERN int tf_spool_flush(tf_spool *s);

/* The size in bytes, -EBADF (closed) or -EINVAL (NULL). */
TF_EXTERN int64_t tf_spool_size(tf_spool *s);

/* 1 once the spool has rolled over to a file, 0 while in memory, -EINVAL
 * if s is NULL. */
TF_EXTERN int tf_spool_rolled(const tf_spool *s);

/*
 * Move the data to the unnamed file now (idempotent).  If any step fails
 * (no fd, no space, no permission, an I/O error) nothing is left on disk,
 * the data stays in memory, and the spool stays usable: a later write or
 * rollover tries again.  Returns 0 or a negative errno.
 */
TF_EXTERN int tf_spool_rollover(tf_spool *s);

/*
 * NOT A GETTER: this ROLLS THE SPOOL OVER to its file (as Python's fileno()
 * does), then returns the file's fd (owned by the spool).  From then on the
 * spool buffers nothing and keeps its position in the fd's offset, so calls on
 * the fd and on the spool can be mixed.  Returns the fd or a negative errno.
 */
TF_EXTERN int tf_spool_fd(tf_spool *s);

/*
 * A stdio stream on the spool, created on first call and owned by the
 * spool (do not fclose it; tf_spool_close() does).  It works before,
 * during and after rollover and shares the spool's position.  It is
 * fully buffered (128 KiB, the spool's memory); every direct call on the
 * spool flushes it first, so each side sees the other's writes at once.
 * Bytes it accepted are never lost: a rollover or a disk write that
 * fails when its buffer is flushed keeps them in memory (past max_size
 * if need be) and the flush reports the error.  Like the spool, one
 * thread at a time: it takes no stdio lock per call (flockfile works).
 * Returns 0, -EBADF, -EINVAL or -ENOMEM.
 */
TF_EXTERN int tf_spool_stream(tf_spool *s, FILE **out);

/*
 * Close the spool: the stream, the file and the memory are released and
 * the data is gone; later calls give -EBADF.  Idempotent; NULL returns
 * 0.  Returns 0 or the error of closing the file.
 */
TF_EXTERN int tf_spool_close(tf_spool *s);

/* Close the spool and free the handle; NULL returns 0.  Returns as
 * tf_spool_close(). */
TF_EXTERN int tf_spool_free(tf_spool *s);

/* ------------------------------------------------- atomic replacement */

/*
 * Atomic replacement of a file (the Python tempfile tutorial's
 * atomic_file_operation, GLib's g_file_set_contents_full, Go's renameio): the
 * new contents are written to a temporary file in the target's own directory
 * and take the target's name in one rename, so every reader, and the disk
 * after a crash, sees the complete old file or the complete new one, never a
 * mix, and a failed write never harms the old file.  Opaque.
 *
 * The temporary file is unnamed (O_TMPFILE) where the file system allows:
 * it gets a name only at commit, from linkat() to renameat() (two
 * system calls), and none at all when the target does not exist.
 * Elsewhere it is a hidden sibling, created with O_EXCL, named
 *     "." NAME ".tf-" RANDOM
 * where NAME is the target's name (its first 238 bytes) and RANDOM is 12
 * characters of TF_ALPHABET; a crash can leave such a file behind, and
 * nothing else.  Being in the same directory, the rename can never fail
 * with EXDEV.  See tf_atomic(3) for the guarantee and its limits.
 */
typedef struct tf_atomic tf_atomic;

/* tf_opts.flags for tf_atomic_begin() and tf_write_file(): TF_NOCLOBBER,
 * TF_UNTRACKED, TF_REPLACE_LINK, TF_MUST_EXIST, TF_STRICT_OWNER, and one
 * durability level: consistent by default, TF_SYNC_NONE, TF_SYNC_DURABLE
 * or TF_SYNC_ONLY_EXISTING (see the flags above). */

/*
 * Begin replacing the file at path (relative to the current directory;
 * the directory is opened now, so a later chdir() changes nothing).
 *   out   OUT: the handle; end it with tf_atomic_free().
 *   opts  mode: for a target that does not exist, before the umask (0:
 *         0666, like a normal file); flags: TF_NOCLOBBER and the
 *         TF_SYNC_*, TF_REPLACE_LINK, TF_MUST_EXIST, TF_STRICT_OWNER bits,
 *         TF_UNTRACKED (a hidden file is not removed at exit or on a
 *         signal);
 *         open_flags: O_SYNC, O_DSYNC, O_NOATIME, O_DIRECT.  dir, prefix,
 *         suffix and random_len must be 0 (the name pattern is fixed).
 * A symlinked target is followed (up to 40 links, relative links from the
 * link's directory) unless TF_REPLACE_LINK; a dangling link gets the file
 * it names created, so the link survives.  When the file being replaced
 * exists, the new one gets its mode (from the file, never from a link;
 * set-ID bits, which a write by an unprivileged process clears, are set
 * again at commit), and its owner and group where the process may set
 * them, before it is visible under any name.
 * Returns 0, or -EINVAL (bad argument or flags; the target is a FIFO,
 * socket or device), -EISDIR (a directory, or a path ending in '/'),
 * -ELOOP, -ENOENT (its directory is missing), -ENAMETOOLONG, -EACCES,
 * -EPERM (TF_STRICT_OWNER), -EROFS, -ENOSPC, -EMFILE, -ENOMEM.
 */
TF_EXTERN int tf_atomic_begin(tf_atomic **out, const char *path,
                              const tf_opts *opts);

/* tf_atomic_begin() for name relative to the directory open at dirfd
 * (or the current directory for AT_FDCWD); the handle keeps its own fd of
 * the directory. */
#ifdef TF_POSIX_API /* POSIX only: a directory fd */
TF_EXTERN int tf_atomic_beginat(tf_atomic **out, int dirfd, const char *name,
                                const tf_opts *opts);
#endif

/* The fd to write the new contents to (owned by the handle), -EBADF
 * once committed or aborted, -EINVAL if a is NULL.  It is open for
 * reading too. */
TF_EXTERN int tf_atomic_fd(const tf_atomic *a);

/* A stdio stream on the fd, created on first call and owned by the handle
 * (do not fclose it); commit flushes it.  Returns 0, -EBADF, -EINVAL or
 * -ENOMEM. */
TF_EXTERN int tf_atomic_stream(tf_atomic *a, FILE **out);

/* Write all n bytes at the fd's offset (retrying short writes and EINTR).
 * Returns 0 or a negative errno (-ENOSPC, -EIO, ...); after a failure the
 * handle can only be aborted usefully. */
TF_EXTERN int tf_atomic_write(tf_atomic *a, const void *buf, size_t n);

/*
 * Make the new contents the target's, in this order: flush the stream;
 * fsync the file (unless TF_SYNC_NONE); link it (the unnamed file: to
 * the target when nothing is there, else to a hidden sibling); rename
 * the hidden or named sibling over the target (with TF_NOCLOBBER
 * renameat2 RENAME_NOREPLACE; with TF_MUST_EXIST renameat2
 * RENAME_EXCHANGE, then the old file is unlinked); close it (with
 * TF_SYNC_NONE before the rename instead, where a failing close, as on
 * NFS, still aborts); with TF_SYNC_DURABLE fsync the directory.  The
 * hidden file stays locked until its rename (see tf_reap()).  The fd and
 * stream are closed whatever happens.
 * Returns 0 when the target has the new contents.  A negative errno
 * means it has not: the target is untouched and nothing temporary is
 * left (-EEXIST with TF_NOCLOBBER, -ENOENT with TF_MUST_EXIST, -EISDIR
 * if a directory took the target's place, -ENOSPC, -EIO, ...); the one
 * exception is a failing directory fsync with TF_SYNC_DURABLE, which is
 * reported as its negative errno although the rename is done (readers
 * see the new file, a crash may bring back the old one):
 * tf_atomic_committed() tells the two apart.  A stream write that failed
 * earlier is reported with its own errno (-ENOSPC, not -EIO).  -EINVAL
 * if a is NULL, already committed or aborted.
 */
TF_EXTERN int tf_atomic_commit(tf_atomic *a);

/* 1 once the target has the new contents (commit renamed the file, even
 * if the directory fsync after it failed), 0 otherwise, -EINVAL if a is
 * NULL. */
TF_EXTERN int tf_atomic_committed(const tf_atomic *a);

/* Throw the new contents away: close the fd and remove the temporary
 * file; the target is untouched.  Idempotent, and a no-op after commit.
 * Returns 0 or the error of the close or unlink. */
TF_EXTERN int tf_atomic_abort(tf_atomic *a);

/* Abort unless committed, and free the handle; NULL returns 0.  Only the
 * process that began it removes anything: a forked child that frees an
 * inherited handle only closes its fds.  Returns as tf_atomic_abort(). */
TF_EXTERN int tf_atomic_free(tf_atomic *a);

/* Replace the file at path with the len bytes at buf: tf_atomic_begin(),
 * tf_atomic_write(), tf_atomic_commit(), tf_atomic_free().  Returns 0 or
 * what the first failing step returns (with TF_SYNC_DURABLE, an error of
 * the directory fsync comes after the rename: use the handle calls to
 * tell). */
TF_EXTERN int tf_write_file(const char *path, const void *buf, size_t len,
                            const tf_opts *opts);

/* tf_write_file() for name relative to the directory open at dirfd. */
#ifdef TF_POSIX_API /* POSIX only: a directory fd */
TF_EXTERN int tf_write_fileat(int dirfd, const char *name, const void *buf,
                              size_t len, const tf_opts *opts);
#endif

/* ---------------------------------------------------------------- pools */

/*
 * A pool of temporary files (the Python tempfile tutorial's TempFilePool) for
 * programs that use many short-lived scratch files: acquire hands out a ready,
 * empty file in O(1) without creating one when an idle file is at hand, and
 * release truncates it and keeps it for the next acquire.  Files are unnamed
 * (tf_tmpfile()) unless TF_POOL_NAMED.  Thread-safe.  Opaque.
 */
typedef struct tf_pool tf_pool;


/*
 * Create an empty pool; files are created on demand.
 *   capacity  idle files kept at most (1 or more); a file released while
 *             capacity files are idle is ended instead
 *   opts      dir (a relative one is made absolute now), mode,
 *             open_flags (no O_APPEND) for every file; prefix, suffix and
 *             random_len for named ones; flags TF_POOL_NAMED,
 *             TF_UNTRACKED.
 * Returns 0, -EINVAL, -ENOMEM, or for a relative dir the getcwd() error.
 */
TF_EXTERN int tf_pool_create(tf_pool **out, size_t capacity,
                             const tf_opts *opts);

/* An fd of an empty file at offset 0, owned by the pool: an idle one if
 * any (no system call), else a new one.  Give it back with
 * tf_pool_release(); do not close it.  Returns the fd or a negative errno
 * of the creation. */
TF_EXTERN int tf_pool_acquire(tf_pool *p);

/*
 * Give back a file tf_pool_acquire() returned: it is truncated to 0
 * bytes, its offset set to 0, and it is kept idle, or ended when the
 * pool already holds capacity idle files.  Returns 0, -EINVAL (NULL, or
 * fd is not in use from this pool), the error of the truncation (the
 * file is then ended, never handed out again), or that of ending it.
 */
TF_EXTERN int tf_pool_release(tf_pool *p, int fd);

/* The path of an acquired file of a TF_POOL_NAMED pool (borrowed until
 * it is released); NULL for unnamed pools or an fd not in use. */
TF_EXTERN const char *tf_pool_path(const tf_pool *p, int fd);

/* Files idle in the pool now (0 if p is NULL). */
TF_EXTERN size_t tf_pool_idle(const tf_pool *p);

/* End every file of the pool, idle or still acquired, and free it; NULL
 * returns 0.  Returns 0 or the first error of closing or deleting. */
TF_EXTERN int tf_pool_free(tf_pool *p);

/* ------------------------------------------------------------ lifecycle */

/*
 * Every temporary object with something to remove (a tf_file or tf_dir
 * that will delete its object, an atomic write's hidden file, a named
 * pool file) is registered process-wide while it lives, unless created
 * with TF_UNTRACKED.  At exit() the registered objects that are still
 * alive are removed (files unlinked, directories removed with the secure
 * walk, atomic writes aborted), each once; objects already ended are not
 * touched, and the handles stay valid for their normal end.  A forked
 * child starts with an empty registry: it never removes its parent's
 * objects, at exit, on a signal or when it ends an inherited handle.
 */

/*
 * Also remove the registered objects when one of the given signals
 * arrives, then let the signal do what it would have done: the handler
 * that was installed before runs, or the signal is raised again with its
 * default action, so the exit status is the signal's.  The handler uses
 * only async-signal-safe calls and no memory allocation; directories
 * deeper than 64 levels are emptied only down to that depth.
 *   signals  SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE,
 *            SIGALRM; NULL means SIGINT, SIGTERM, SIGHUP and SIGQUIT
 *   count    entries in signals (0 with NULL)
 * A signal that is ignored (SIG_IGN) stays ignored, as a shell's
 * `nohup` asks.  Calling again for a signal already handled keeps the
 * first call's previous handler.  Returns 0, -EINVAL (another signal) or
 * the errno of sigaction().
 */
TF_EXTERN int tf_cleanup_on_signals(const int *signals, size_t count);

/* Remove every registered object of this process now, as exit() would
 * (before an exec, or in a program that ends with _exit()).  Returns the
 * number of objects it removed (not counting those already gone). */
TF_EXTERN int tf_cleanup_all(void);

/*
 * Crash leftovers.  A named temporary file or directory made by a
 * tf_file, tf_dir or named pool (unless TF_UNTRACKED) carries two marks:
 * its creator holds a shared flock(2) on it for as long as the object is
 * the library's to delete, which the kernel drops when the creator dies,
 * and an extended attribute "user.tempfile" ("libtempfile PID NAME")
 * says that libtempfile made it under that name.  Kept, published or
 * tf_mkstemp() objects carry neither.  Where the file system has no user
 * extended attributes the object is not marked and never reaped.  An
 * atomic write's hidden file is known by its name pattern instead, and
 * is locked until its rename, TF_UNTRACKED or not: it is never data to
 * keep.
 */


/* Called by tf_reap() for each leftover it removes (or would remove):
 * its name in the directory, 1 for a directory, and the pid that made
 * it (0 for an atomic write's hidden file, which records none).  A
 * nonzero return stops the reaping. */
typedef int (*tf_reap_fn)(const char *name, int is_dir, long pid, void *arg);

/*
 * Remove the leftovers of dead processes from dir (NULL: the temporary
 * directory): the entries that carry libtempfile's mark, belong to the
 * calling user, are not locked by any live process, and whose newest
 * change (mtime or ctime) is at least min_age seconds old.  Each is
 * locked (flock LOCK_EX) before it is judged and while it is removed, so
 * a process creating objects at the same time never loses one; a
 * directory goes with tf_rmtreeat()'s guarantees.  Only dir's own
 * entries are examined.
 *   fn, arg  optional report of each leftover (fn may be NULL)
 * Returns the number of leftovers removed (or found, with
 * TF_REAP_DRY_RUN), or a negative errno: -EINVAL (flags), -ENOENT,
 * -ENOTDIR, -EACCES for dir; the first error of a removal after trying
 * every leftover (unless TF_IGNORE_ERRORS).
 */
TF_EXTERN int tf_reap(const char *dir, unsigned int flags,
                      unsigned int min_age, tf_reap_fn fn, void *arg);

/* tf_reap() on the directory open at dirfd. */
#ifdef TF_POSIX_API /* POSIX only: a directory fd */
TF_EXTERN int tf_reapat(int dirfd, unsigned int flags, unsigned int min_age,
                        tf_reap_fn fn, void *arg);
#endif

/* ------------------------------------------------ scope-bound cleanup */

/*
 * End the handle *p points to (NULL allowed) and set *p to NULL: the
 * portable form of the TF_AUTO_* declarations below, usable in any
 * cleanup path.
 */
TF_EXTERN void tf_file_freep(tf_file **p);
TF_EXTERN void tf_dir_freep(tf_dir **p);
TF_EXTERN void tf_spool_freep(tf_spool **p);
TF_EXTERN void tf_atomic_freep(tf_atomic **p);
TF_EXTERN void tf_pool_freep(tf_pool **p);

/*
 * End a handle the way the Python tempfile tutorial's ManagedTempFile does:
 * status 0 ends it normally (tf_file_free(), tf_dir_free()); a nonzero status
 * keeps the object for debugging instead (as tf_file_keep(), tf_dir_keep(),
 * also taking it out of the registry and off the reaper's list) and says where
 * on stderr, in one line "libtempfile: kept PATH (status N)". NULL returns 0.
 * Returns what the free returns.
 */
TF_EXTERN int tf_file_end(tf_file *f, int status);
TF_EXTERN int tf_dir_end(tf_dir *d, int status);

/* Where tf_file_end() and tf_dir_end() report, for the whole process,
 * NULL meaning stderr: fn(path, status, arg) is called instead of the
 * line being written. */
typedef void (*tf_kept_fn)(const char *path, int status, void *arg);
TF_EXTERN void tf_set_kept_reporter(tf_kept_fn fn, void *arg);

/*
 * With GCC and Clang, a handle declared with TF_AUTO_* is ended when the
 * variable leaves its scope, also by return, goto or break, as Python's
 * `with` ends its object:
 *
 *     TF_AUTO_FILE f = NULL;
 *     if (tf_file_create(&f, NULL) < 0) return -1;
 *     ...            (no tf_file_free(): the scope's end does it)
 *
 * TF_AUTO_FILE_KEEP_ON_ERROR(f, status) declares `tf_file *f = NULL` that
 * is ended by tf_file_end(f, status) with the value status has when the
 * scope ends (TF_AUTO_DIR_KEEP_ON_ERROR likewise).  These need the
 * compiler's cleanup attribute and are not defined elsewhere: there, call
 * tf_x_free() (or tf_x_end()) on every way out.
 */
#if defined(__GNUC__) || defined(__clang__)
#define TF__CLEANUP(fn) __attribute__((cleanup(fn)))
#define TF_AUTO_FILE TF__CLEANUP(tf_file_freep) tf_file *
#define TF_AUTO_DIR TF__CLEANUP(tf_dir_freep) tf_dir *
#define TF_AUTO_SPOOL TF__CLEANUP(tf_spool_freep) tf_spool *
#define TF_AUTO_ATOMIC TF__CLEANUP(tf_atomic_freep) tf_atomic *
#define TF_AUTO_POOL TF__CLEANUP(tf_pool_freep) tf_pool *

/* The guard behind the KEEP_ON_ERROR forms; not for direct use.  Made
 * by a call, not a brace initialiser, so the forms stay valid C89. */
#define TF_SCOPE_GUARD_VERSION 1
typedef struct tf_scope_guard {
  unsigned int version; /* TF_SCOPE_GUARD_VERSION */
  void *handle;         /* tf_file ** or tf_dir ** */
  const int *status;    /* read when the scope ends */
  int is_dir;
} tf_scope_guard;
TF_EXTERN tf_scope_guard tf_scope_guard_init(unsigned int version,
                                             void *handle,
                                             const int *status, int is_dir);
TF_EXTERN void tf_scope_guard_end(tf_scope_guard *g);

#define TF__GUARD_NAME2(a, b) a##b
#define TF__GUARD_NAME(a, b) TF__GUARD_NAME2(a, b)
#define TF__GUARD(var, status, is_dir)                                       \
  TF__CLEANUP(tf_scope_guard_end) __attribute__((unused))                    \
  tf_scope_guard TF__GUARD_NAME(tf_guard_, var) = tf_scope_guard_init(       \
      TF_SCOPE_GUARD_VERSION, &var, &(status), is_dir)
#define TF_AUTO_FILE_KEEP_ON_ERROR(var, status)                              \
  tf_file *var = NULL;                                                       \
  TF__GUARD(var, status, 0)
#define TF_AUTO_DIR_KEEP_ON_ERROR(var, status)                               \
  tf_dir *var = NULL;                                                        \
  TF__GUARD(var, status, 1)
#else
/* Elsewhere a use names what is missing in the compiler's error. */
#define TF_AUTO_FILE TF_AUTO_needs_the_GCC_or_Clang_cleanup_attribute
#define TF_AUTO_DIR TF_AUTO_needs_the_GCC_or_Clang_cleanup_attribute
#define TF_AUTO_SPOOL TF_AUTO_needs_the_GCC_or_Clang_cleanup_attribute
#define TF_AUTO_ATOMIC TF_AUTO_needs_the_GCC_or_Clang_cleanup_attribute
#define TF_AUTO_POOL TF_AUTO_needs_the_GCC_or_Clang_cleanup_attribute
#define TF_AUTO_FILE_KEEP_ON_ERROR(var, status) \
  TF_AUTO_needs_the_GCC_or_Clang_cleanup_attribute var
#define TF_AUTO_DIR_KEEP_ON_ERROR(var, status) \
  TF_AUTO_needs_the_GCC_or_Clang_cleanup_attribute var
#endif

/* --------------------------------------------------------------- names */

/*
 * Fill buf with n random characters of TF_ALPHABET from the OS CSPRNG
 * (no NUL is added).  Returns 0, -EINVAL (buf NULL), or the errno of the
 * entropy source (getrandom/getentropy) when it fails; there is no weaker
 * fallback.  After a failure buf may be partly written.
 */
TF_EXTERN int tf_random_chars(char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* TEMPFILE_H */
