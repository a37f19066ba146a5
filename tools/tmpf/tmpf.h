/* SPDX-License-Identifier: MIT */
/*
 * tmpf.h - what the subcommands of tmpf share.  tmpf is built on the
 * public API of libtempfile only.
 */
#ifndef TMPF_H
#define TMPF_H

#include <stddef.h>
#include <stdint.h>
#ifdef _WIN32
#include <wchar.h>
#endif

#include <tempfile.h>

#ifndef _WIN32
/* The platform's switches (TF_HAVE_*), shared with the library. */
#include "../../src/platform.h"
#endif

/* Exit statuses common to the subcommands (see tmpf(1)). */
#define TMPF_EXIT_OK 0
#define TMPF_EXIT_FAILURE 1 /* the operation failed */
#define TMPF_EXIT_USAGE 2   /* bad command line (mktemp mode: 1, as GNU) */

/* The name messages start with ("tmpf", or "mktemp" in mktemp mode). */
extern const char *tmpf_program;

/* "PROGRAM: " + printf-style message + "\n" on stderr. */
void tmpf_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A bad command line of subcommand cmd: "tmpf: CMD: " + the message (none
 * when fmt is NULL: getopt has said it), then "Try 'tmpf CMD --help' for
 * more information."; returns TMPF_EXIT_USAGE. */
int tmpf_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* s quoted as GNU tools quote a file name in the C locale: 'like this',
 * with \ and ' and unprintable bytes escaped.  Static storage. */
const char *tmpf_quote(const char *s);

/* The text GNU tools print for err (glibc's wording, whatever the libc),
 * for the errors a command can meet; strerror() for the others.  Every
 * message of tmpf uses it, never tf_strerror() (the library's lower-case
 * wording): for the library's -errno rc, tmpf_strerror(-rc). */
const char *tmpf_strerror(int err);

/* Write all n bytes, retrying short writes and EINTR.  0 or -errno. */
int tmpf_write_all(int fd, const void *buf, size_t n);

/* size bytes, page-aligned, from the heap (free() them), or NULL.  Big
 * buffers never live in static storage: a large .bss made every tmpf
 * process, mktemp's too, 10% slower to start and end (THP zeroing). */
void *tmpf_buffer(size_t size);

/* Which fd a failed tmpf_copy_fd() could not use. */
#define TMPF_SIDE_IN 0
#define TMPF_SIDE_OUT 1

/* tmpf_copy_fd() flags: out will be synced at the end, so start writing
 * it to the disk every few MiB (sync_file_range) while copying. */
#define TMPF_COPY_WRITE_BEHIND 0x1u

/* Copy from in to out until the end of in, at both fds' offsets, adding
 * the bytes moved to *copied.  Returns 0 or -errno, *side telling which
 * fd failed. */
int tmpf_copy_fd(int in, int out, unsigned flags, int64_t *copied,
                 int *side);

/* "N", "NK", "NM" or "NG" (binary units) as bytes; -1 if malformed or
 * out of range. */
int64_t tmpf_parse_size(const char *s);

/* The environment variable name's value, UTF-8 on Windows (the C
 * runtime's getenv() gives the ANSI code page's bytes), or NULL. */
#ifdef _WIN32
const char *tmpf_getenv(const char *name);
#else
#define tmpf_getenv getenv
#endif

#ifdef _WIN32
/* main.c's entry, given UTF-8 arguments by wmain() (main_win.c). */
int tmpf_main(int argc, char **argv);
/* path (UTF-8) as UTF-16, malloc'd, or NULL (errno set). */
wchar_t *tmpf_wide(const char *path);
/* s (UTF-16) as UTF-8, malloc'd, or NULL. */
char *tmpf_narrow(const wchar_t *s);
/* The errno for a Windows error code (GetLastError()). */
int tmpf_errno_of(unsigned long error);
#endif

/* `tmpf dir`'s help and its candidate list (-v), which differ by
 * platform (dir.c, dir_win.c). */
void tmpf_dir_help(void);
void tmpf_dir_list_candidates(void);

int tmpf_mktemp(int argc, char **argv);
int tmpf_sponge(int argc, char **argv);

/* What `tmpf run` is asked (run_args.c). */
struct tmpf_run_args {
  int keep, keep_on_failure, cd;
  const char *parent; /* -p DIR, or NULL for the temporary directory */
  char **command;
};

/* Parse run's command line into *r; help prints its --help.  -1 to go on,
 * else the exit status to return. */
int tmpf_run_args(struct tmpf_run_args *r, int argc, char **argv,
                  void (*help)(void));

/* What `tmpf sponge` is asked (sponge_args.c). */
struct tmpf_sponge_args {
  const char *file; /* NULL: standard output */
  int append;       /* -a */
  unsigned sync;    /* TF_SYNC_* for the replacement */
  size_t memory;    /* input held in memory at most */
};

/* Parse sponge's command line into *a; help prints its --help.  -1 to go
 * on, else the exit status to return. */
int tmpf_sponge_args(struct tmpf_sponge_args *a, int argc, char **argv,
                     void (*help)(void));
/* "tmpf: sponge: WHAT [NAME]: the error of rc"; TMPF_EXIT_FAILURE. */
int tmpf_sponge_fail(const char *what, const char *name, int rc);
int tmpf_run(int argc, char **argv);
int tmpf_dir(int argc, char **argv);
int tmpf_reap(int argc, char **argv);

#endif
