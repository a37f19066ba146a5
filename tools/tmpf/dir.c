/* SPDX-License-Identifier: MIT */
/*
 * dir.c - `tmpf dir [-v]`: the temporary directory libtempfile would
 * use, and with -v every candidate in the order they are tried, with
 * why each was taken or passed over.  The list is the platform's:
 * POSIX's here, Windows' in dir_win.c.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpf.h"

#ifndef _WIN32
void tmpf_dir_help(void) {
  puts("Usage: tmpf dir [-v]\n"
       "Print the temporary directory libtempfile uses: the first usable of\n"
       "$TMPDIR, $TEMP, $TMP, /tmp, /var/tmp, /usr/tmp and the current\n"
       "directory (a file is created and removed in it to prove it).\n\n"
       "  -v, --verbose   list every candidate and why it was taken or not\n"
       "      --help      show this help and exit\n\n"
       "Exit status: 0, 1 when no candidate is usable, 2 bad command line.");
}

/* Why dir can not hold temporary files, or NULL if it can: the step of
 * the library's own test (a new file created, written, closed, removed)
 * that failed, and the system's reason.  The step matters: creating a
 * file in /proc fails with ENOENT although /proc exists. */
static const char *probe(const char *dir) {
  static char why[256];
  tf_opts o = TF_OPTS_INIT;
  struct stat st;
  const char *step = NULL;
  char *path;
  int fd, err;
  if (stat(dir, &st) != 0)
    return tmpf_strerror(errno);
  if (!S_ISDIR(st.st_mode))
    return tmpf_strerror(ENOTDIR);
  o.dir = dir;
  fd = tf_mkstemp(&path, &o);
  if (fd < 0) {
    snprintf(why, sizeof(why), "cannot create a file in it: %s",
             tmpf_strerror(-fd));
    return why;
  }
  err = -tmpf_write_all(fd, "blat", 4);
  if (err != 0)
    step = "write";
  if (close(fd) != 0 && step == NULL) {
    err = errno;
    step = "write";
  }
  if (unlink(path) != 0 && step == NULL) {
    err = errno;
    step = "remove";
  }
  tf_free(path);
  if (step == NULL)
    return NULL;
  snprintf(why, sizeof(why), "cannot %s a file in it: %s", step,
           tmpf_strerror(err));
  return why;
}

void tmpf_dir_list_candidates(void) {
  static const char *const vars[] = {"TMPDIR", "TEMP", "TMP"};
  static const char *const dirs[] = {"/tmp", "/var/tmp", "/usr/tmp"};
  char cwd[PATH_MAX];
  const char *why;
  size_t i;
  for (i = 0; i < 3; i++) {
    const char *v = getenv(vars[i]);
    if (v == NULL || *v == '\0') {
      printf("  $%s: %s\n", vars[i], v ? "empty, skipped" : "not set");
      continue;
    }
    why = probe(v);
    printf("  $%s=%s: %s\n", vars[i], v, why ? why : "usable");
  }
  for (i = 0; i < 3; i++) {
    why = probe(dirs[i]);
    printf("  %s: %s\n", dirs[i], why ? why : "usable");
  }
  if (getcwd(cwd, sizeof(cwd)) != NULL) {
    why = probe(cwd);
    printf("  %s (current directory): %s\n", cwd, why ? why : "usable");
  }
}
#endif

int tmpf_dir(int argc, char **argv) {
  static const struct option opts[] = {{"verbose", no_argument, NULL, 'v'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  char buf[4096];
  int c, verbose = 0, rc;
  optind = 1;
  while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
    if (c == 'v') {
      verbose = 1;
    } else if (c == 'h') {
      tmpf_dir_help();
      return TMPF_EXIT_OK;
    } else {
      return tmpf_usage_error("dir", NULL);
    }
  }
  if (optind != argc)
    return tmpf_usage_error("dir", "extra operand %s",
                            tmpf_quote(argv[optind]));
  if (verbose) {
    puts("candidates, in order:");
    tmpf_dir_list_candidates();
  }
  rc = tf_gettempdir(buf, sizeof(buf));
  if (rc < 0) {
    tmpf_error("dir: no usable temporary directory%s: %s",
               verbose ? "" : " (see 'tmpf dir -v')", tmpf_strerror(-rc));
    return TMPF_EXIT_FAILURE;
  }
  if (verbose)
    printf("chosen: ");
  puts(buf);
  return TMPF_EXIT_OK;
}
