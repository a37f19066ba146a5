/* SPDX-License-Identifier: MIT */
/*
 * reap.c - `tmpf reap [--older-than AGE] [--dry-run] [DIR]`: remove what
 * processes that died left in a temporary directory (tf_reap()), saying
 * what went and how much.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
  int c, rc, fd;
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
  /* Opened here, as tf_reap() would open it, so that a message can tell
   * a directory that can not be read from a leftover that could not be
   * removed. */
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    tmpf_error("reap: cannot open directory %s: %s", tmpf_quote(dir),
               tmpf_strerror(errno));
    return TMPF_EXIT_FAILURE;
  }
  rc = tf_reapat(fd, r.dry_run ? TF_REAP_DRY_RUN : 0, (unsigned)age, say, &r);
  close(fd);
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
