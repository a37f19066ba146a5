/* SPDX-License-Identifier: MIT */
/*
 * atomic_writer.c - one atomic replacement, for tests that watch its
 * system calls from outside (test_atomic_crash.c runs it under strace).
 * Usage: atomic-writer [-n] [-f FLAGS] [-a write|atomic|stream] TARGET TEXT
 *   -n  no O_TMPFILE: the library's openat fails it with EOPNOTSUPP, as
 *       on a file system without it, so the named fallback is used
 *   -f  tf_opts.flags (a number, e.g. 0x20 for TF_SYNC_DURABLE)
 *   -a  write: tf_write_file() (the default); atomic: tf_atomic_begin(),
 *       two tf_atomic_write()s, tf_atomic_commit(); stream: the text
 *       through tf_atomic_stream(), flushed by the commit
 * Replaces TARGET with TEXT; exits 0 if the library reports success.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static int (*real_openat)(int dirfd, const char *path, int flags, mode_t mode);

static int openat_without_o_tmpfile(int dirfd, const char *path, int flags,
                                    mode_t mode) {
#ifdef O_TMPFILE
  if ((flags & O_TMPFILE) == O_TMPFILE) {
    errno = EOPNOTSUPP;
    return -1;
  }
#endif
  return real_openat(dirfd, path, flags, mode);
}

static int usage(void) {
  fprintf(stderr, "usage: atomic-writer [-n] [-f FLAGS] "
                  "[-a write|atomic|stream] TARGET TEXT\n");
  return 2;
}

static int replace(const char *api, const char *target, const char *text,
                   const tf_opts *o) {
  size_t len = strlen(text);
  tf_atomic *a;
  FILE *f;
  int rc, rc2;
  if (strcmp(api, "write") == 0)
    return tf_write_file(target, text, len, o);
  rc = tf_atomic_begin(&a, target, o);
  if (rc < 0)
    return rc;
  if (strcmp(api, "atomic") == 0) {
    rc = tf_atomic_write(a, text, len / 2);
    if (rc == 0)
      rc = tf_atomic_write(a, text + len / 2, len - len / 2);
  } else {
    rc = tf_atomic_stream(a, &f);
    if (rc == 0 && fputs(text, f) == EOF)
      rc = -EIO;
  }
  if (rc == 0)
    rc = tf_atomic_commit(a);
  rc2 = tf_atomic_free(a);
  return rc != 0 ? rc : rc2;
}

int main(int argc, char **argv) {
  tf_opts o = TF_OPTS_INIT;
  const char *api = "write";
  int i, rc;
  for (i = 1; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "-n") == 0) {
      real_openat = tf__sys.openat;
      tf__sys.openat = openat_without_o_tmpfile;
    } else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc) {
      o.flags = (unsigned)strtoul(argv[++i], NULL, 0);
    } else if (strcmp(argv[i], "-a") == 0 && i + 1 < argc) {
      api = argv[++i];
      if (strcmp(api, "write") != 0 && strcmp(api, "atomic") != 0 &&
          strcmp(api, "stream") != 0)
        return usage();
    } else {
      return usage();
    }
  }
  if (argc - i != 2)
    return usage();
  rc = replace(api, argv[i], argv[i + 1], &o);
  if (rc != 0) {
    fprintf(stderr, "atomic-writer: %s: %s (%d)\n", argv[i], tf_err_name(rc),
            rc);
    return 1;
  }
  return 0;
}
