/* SPDX-License-Identifier: MIT */
/*
 * reap.c - `tmpf reap [--older-than AGE] [--dry-run] [DIR]`: remove what
 * processes that died left in a temporary directory (tf_reap()), saying
 * what went and how much.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#endif

#include "tmpf.h"

static void help(void) {
  puts("Usage: tmpf reap [--older-than AGE] [--dry-run] [DIR]\n"
       "Remove the temporary files and directories that processes which have\n"
       "died left in DIR (default: the temporary directory): only objects\n"
       "libtempfile made, of the calling user, that no live process holds.\n\n"
       "  --older-than AGE  only objects unchanged for AGE: N seconds, or N\n"
       "                    followed by s, m, h or d (default 0)\n"
       "  -n, --dry-run     list what would be removed; remove nothing\n"
       "      --help        show this help and exit\n\n"
       "Exit status: 0, 1 when something could not be removed, 2 bad\n"
       "command line.");
}

/* AGE as seconds, or -1. */
static long parse_age(const char *s) {
  char *end;
  long n, unit = 1;
  errno = 0;
  n = strtol(s, &end, 10);
  if (end == s || n < 0 || errno != 0)
    return -1;
  if (*end != '\0') {
    switch (*end) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return -1;
    }
    if (end[1] != '\0')
      return -1;
  }
  if (n > 0x7fffffffL / unit)
    return -1;
  return n * unit;
}

struct report {
  int dry_run;
  int count;
};

static int say(const char *name, int is_dir, long pid, void *arg) {
  struct report *r = arg;
  printf("%s %s %s", r->dry_run ? "would remove" : "removed",
         is_dir ? "directory" : "file", tmpf_quote(name));
  if (pid > 0)
    printf(" (left by process %ld)", pid);
  putchar('\n');
  r->count++;
  return 0;
}

#define REAP_NO_DIR INT_MIN

/* tf_reap() on dir: its result, or REAP_NO_DIR after a message when dir
 * itself can not be opened. */
static int reap_dir(const char *dir, unsigned flags, unsigned age,
                    struct report *r) {
#ifdef _WIN32
  /* No directory fd there: dir is looked at first, as the message must
   * tell its errors from a leftover's. */
  wchar_t *w = tmpf_wide(dir);
  DWORD attributes = w ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
  int err = w == NULL ? ENOMEM
            : attributes == INVALID_FILE_ATTRIBUTES ? tmpf_errno_of(GetLastError())
            : !(attributes & FILE_ATTRIBUTE_DIRECTORY) ? ENOTDIR
                                                       : 0;
  free(w);
  if (err != 0) {
    tmpf_error("reap: cannot open directory %s: %s", tmpf_quote(dir),
               tmpf_strerror(err));
    return REAP_NO_DIR;
  }
  return tf_reap(dir, flags, age, say, r);
#else
  /* Opened here, as tf_reap() would open it, so that a message can tell
   * a directory that can not be read from a leftover that could not be
   * removed. */
  int rc, fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    tmpf_error("reap: cannot open directory %s: %s", tmpf_quote(dir),
               tmpf_strerror(errno));
    return REAP_NO_DIR;
  }
  rc = tf_reapat(fd, flags, age, say, r);
  close(fd);
  return rc;
#endif
}

int tmpf_reap(int argc, char **argv) {
  static const struct option opts[] = {
      {"older-than", required_argument, NULL, 'o'},
      {"dry-run", no_argument, NULL, 'n'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  struct report r = {0, 0};
  char buf[4096];
  const char *dir = NULL;
  long age = 0;
  int c, rc;
  optind = 1;
  while ((c = getopt_long(argc, argv, "n", opts, NULL)) != -1) {
    switch (c) {
    case 'o':
      age = parse_age(optarg);
      if (age < 0)
        return tmpf_usage_error("reap", "invalid age %s", tmpf_quote(optarg));
      break;
    case 'n': r.dry_run = 1; break;
    case 'h': help(); return TMPF_EXIT_OK;
    default: return tmpf_usage_error("reap", NULL);
    }
  }
  if (argc - optind > 1)
    return tmpf_usage_error("reap", "extra operand %s",
                            tmpf_quote(argv[optind + 1]));
  if (optind < argc) {
    dir = argv[optind];
  } else {
    rc = tf_gettempdir(buf, sizeof(buf));
    if (rc < 0) {
      tmpf_error("reap: no usable temporary directory: %s",
                 tmpf_strerror(-rc));
      return TMPF_EXIT_FAILURE;
    }
    dir = buf;
  }
  rc = reap_dir(dir, r.dry_run ? TF_REAP_DRY_RUN : 0, (unsigned)age, &r);
  if (rc == REAP_NO_DIR)
    return TMPF_EXIT_FAILURE;
  if (rc < 0) {
    tmpf_error("reap: cannot remove every leftover in %s: %s",
               tmpf_quote(dir), tmpf_strerror(-rc));
    printf("%d leftover%s %s in %s before the error\n", r.count,
           r.count == 1 ? "" : "s", r.dry_run ? "found" : "removed",
           tmpf_quote(dir));
    return TMPF_EXIT_FAILURE;
  }
  printf("%d leftover%s %s in %s\n", rc, rc == 1 ? "" : "s",
         r.dry_run ? "found" : "removed", tmpf_quote(dir));
  return TMPF_EXIT_OK;
}
