/* SPDX-License-Identifier: MIT */
/*
 * 15_pitfall_paths.c - the tour's second pitfall, paths built by hand.
 *
 * A hard-coded "/tmp" ignores $TMPDIR and tf_settempdir(), so the
 * temporary directory comes from tf_gettempdir().  A path is taken apart
 * at its last '/' (POSIX has one separator, and a name may hold
 * anything else, dots and spaces included) and joined with a check for
 * truncation and a single separator.  Better still is not to build paths
 * at all: a tf_dir's fd with openat() names files relative to the
 * directory itself, whatever its path is or becomes.
 *
 * Windows separates with '\\' (and accepts '/'), and returns paths with
 * '\\'; it has no directory fds, so there the file is named by its path
 * in the tf_dir (open_in() in tour.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tour.h"

/* The separator paths are built with, and those they are split at. */
#define SEP (TOUR_WINDOWS ? "\\" : "/")
#define SEPS (TOUR_WINDOWS ? "\\/" : "/")

/* buf = dir + SEP + name, with one separator; -ENAMETOOLONG if it does
 * not fit (never a silently cut path). */
static int path_join(char *buf, size_t size, const char *dir,
                     const char *name) {
  size_t len = strlen(dir);
  const char *sep = (len > 0 && strchr(SEPS, dir[len - 1])) ? "" : SEP;
  int n = snprintf(buf, size, "%s%s%s", dir, sep, name);
  return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : 0;
}

/* Split path at its last separator: dir (without the separator, "/" for
 * the root) and the final name. */
static int path_split(const char *path, char *dir, size_t size,
                      const char **name) {
  const char *p, *slash = NULL;
  size_t len;
  for (p = path; *p != '\0'; p++)
    if (strchr(SEPS, *p) != NULL)
      slash = p;
  if (slash == NULL)
    return -EINVAL;
  len = slash == path ? 1 : (size_t)(slash - path);
  if (len >= size)
    return -ENAMETOOLONG;
  memcpy(dir, path, len);
  dir[len] = '\0';
  *name = slash + 1;
  return 0;
}

int main(void) {
  char tempdir[4096], directory[4096], joined[4096], tiny[16];
  tf_opts opts = TF_OPTS_INIT;
  const char *filename = NULL;
  struct stat st;
  tf_file *f;
  tf_dir *d;
  int fd;

  puts("=== Cross-Platform Path Pitfall ===");
  /* BAD: "/tmp" written into the program. */
  check(tf_gettempdir(tempdir, sizeof(tempdir)), "tf_gettempdir");
  printf("A hard-coded /tmp %s the temp dir this process was given: %s\n",
         strcmp(tempdir, "/tmp") == 0 ? "matches" : "misses", tempdir);

  /* GOOD: let the library choose the place; take the path apart. */
  opts.prefix = "report ";
  opts.suffix = ".v1.data";
  check(tf_file_create(&f, &opts), "tf_file_create");
  check(path_split(tf_file_path(f), directory, sizeof(directory), &filename),
        "path_split");
  puts("The path taken apart:");
  printf("  directory: %s\n", directory);
  printf("  filename: %s\n", filename);
  printf("  directory is the temp dir: %s\n",
         strcmp(directory, tempdir) == 0 ? "true" : "false");

  /* Joining gives the same path back, with a trailing separator or
   * without. */
  check(path_join(joined, sizeof(joined), directory, filename), "path_join");
  printf("  joined again: %s (same file: %s)\n", joined,
         strcmp(joined, tf_file_path(f)) == 0 ? "true" : "false");
  printf("  joining into %zu bytes: %s\n", sizeof(tiny),
         tf_strerror(path_join(tiny, sizeof(tiny), directory, filename)));
  check(tf_file_free(f), "tf_file_free");

  /* BETTER: no paths at all, names relative to the directory's fd. */
  check(tf_dir_create(&d, NULL), "tf_dir_create");
  fd = open_in(d, "notes.txt", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW);
  check_sys(fd >= 0, "open_in");
  check_sys(write(fd, "relative to the directory\n", 26) == 26, "write");
  check_sys(fstat(fd, &st) == 0 && close(fd) == 0, "fstat");
  printf("Created notes.txt %s %s: %lld bytes\n",
         TOUR_WINDOWS ? "by its path in" : "through the fd of",
         tf_dir_path(d), (long long)st.st_size);
  check(tf_dir_free(d), "tf_dir_free"); /* removes notes.txt too */
  puts("Temporary directory and its file removed");
  return 0;
}
