/* SPDX-License-Identifier: MIT */
/*
 * 06_temp_directory.c - the tour's TemporaryDirectory: a private
 * directory that goes away with everything in it when its handle ends.
 * Files and a subdirectory are made inside through the handle's
 * directory fd (by its path on Windows, which has no directory fds: see
 * open_in() in tour.h), the tree is listed the way os.walk() lists it,
 * and the directory is gone after tf_dir_free().  Then the two switches
 * Python gives TemporaryDirectory: TF_KEEP (delete=False) and
 * TF_IGNORE_ERRORS (ignore_cleanup_errors=True).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tour.h"

#define MAX_ENTRIES 16

/* Write text to the new file open at fd (named name), and close it. */
static void fill(int fd, const char *name, const char *text) {
  size_t len = strlen(text);
  check_sys(fd >= 0, name);
  check_sys(write(fd, text, len) == (ssize_t)len, "write");
  check_sys(close(fd) == 0, "close");
}

/* Create name (a relative path) in the directory of d, holding text. */
static void write_file_in(const tf_dir *d, const char *name, const char *text) {
  fill(open_in(d, name, O_WRONLY | O_CREAT | O_EXCL), name, text);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Print the directory at path as the tutorial's os.walk() loop does: its
 * name, then its files one level in, then each subdirectory the same
 * way (names sorted, as a listing's order is the file system's). */
static void walk(const char *path, const char *name, int level) {
  char *files[MAX_ENTRIES], *dirs[MAX_ENTRIES], sub[4096];
  size_t nfiles = 0, ndirs = 0, i;
  struct dirent *de;
  DIR *d = opendir(path);
  check_sys(d != NULL, "opendir");
  printf("%*s%s/\n", 2 * level, "", name);
  errno = 0;
  while ((de = readdir(d)) != NULL) {
    struct stat st;
    char *copy;
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    join(sub, sizeof(sub), path, de->d_name);
    check_sys(lstat(sub, &st) == 0, "lstat");
    if (nfiles + ndirs == MAX_ENTRIES)
      check(-E2BIG, "listing");
    copy = malloc(strlen(de->d_name) + 1);
    check_sys(copy != NULL, "malloc");
    strcpy(copy, de->d_name);
    if (S_ISDIR(st.st_mode))
      dirs[ndirs++] = copy;
    else
      files[nfiles++] = copy;
    errno = 0;
  }
  check_sys(errno == 0, "readdir");
  check_sys(closedir(d) == 0, "closedir");
  qsort(files, nfiles, sizeof(files[0]), by_name);
  qsort(dirs, ndirs, sizeof(dirs[0]), by_name);
  for (i = 0; i < nfiles; i++) {
    printf("%*s%s\n", 2 * (level + 1), "", files[i]);
    free(files[i]);
  }
  for (i = 0; i < ndirs; i++) {
    join(sub, sizeof(sub), path, dirs[i]);
    walk(sub, dirs[i], level + 1);
    free(dirs[i]);
  }
}

/* Copy the handle's path, which ends with the handle. */
static void copy_path(char *buf, size_t size, const tf_dir *d) {
  if (snprintf(buf, size, "%s", tf_dir_path(d)) >= (int)size)
    check(-ENAMETOOLONG, "tf_dir_path");
}

/* The tutorial's demonstration: files in a directory that cleans up after
 * itself. */
static void workspace(void) {
  char path[4096];
  const char *base;
  tf_dir *d;

  check(tf_dir_create(&d, NULL), "tf_dir_create");
  copy_path(path, sizeof(path), d);
  printf("Temporary directory: %s\n", path);

  /* Everything is made relative to the handle's fd, never by a path. */
  write_file_in(d, "file1.txt", "Content of file 1\n");
  check_sys(mkdir_in(d, "subdir") == 0, "mkdir");
  write_file_in(d, "subdir/file2.txt", "Content of file 2\n");

  puts("Directory contents:");
  base = base_name(path);
  walk(path, base, 0);

  printf("Directory exists: %s\n", exists(path));
  /* The end of the handle is Python's end of the with block. */
  check(tf_dir_free(d), "tf_dir_free");
  printf("Directory exists after tf_dir_free: %s\n", exists(path));
}

/* delete=False: the directory outlives its handle; the program removes
 * it when it is done with it (on POSIX with tf_rmtreeat(); on Windows,
 * which has no such call, what it put there and then the directory). */
static void keep(void) {
  tf_opts opts = TF_OPTS_INIT;
  char path[4096];
  tf_dir *d;

  opts.flags = TF_KEEP;
  check(tf_dir_create(&d, &opts), "tf_dir_create TF_KEEP");
  copy_path(path, sizeof(path), d);
  write_file_in(d, "result.txt", "kept for later\n");
  check(tf_dir_free(d), "tf_dir_free");
  printf("\nTF_KEEP (delete=False): %s\n", path);
  printf("Exists after tf_dir_free: %s\n", exists(path));
#ifdef TF_POSIX_API
  check(tf_rmtreeat(AT_FDCWD, path, 0), "tf_rmtreeat");
  printf("Exists after tf_rmtreeat: %s\n", exists(path));
#else
  {
    char result[4200];
    join(result, sizeof(result), path, "result.txt");
    check_sys(unlink(result) == 0 && rmdir(path) == 0, "remove");
    printf("Exists after removing result.txt and the directory: %s\n",
           exists(path));
  }
#endif
}

/* ignore_cleanup_errors=True: cleanup removes what it can and reports
 * success.  The error here is one every user can cause: the directory
 * is moved aside and another one takes its name, which the handle
 * refuses to touch (-ESTALE). */
static void ignore_errors(void) {
  static const unsigned int flags[] = {0, TF_IGNORE_ERRORS};
  static const char *const labels[] = {"flags 0:", "TF_IGNORE_ERRORS:"};
  size_t i;

  /* An empty directory under the name would simply be removed (that
   * destroys nothing); one with something in it is left alone. */
  puts("\nCleanup when another directory, not empty, has taken the name:");
  for (i = 0; i < 2; i++) {
    tf_opts opts = TF_OPTS_INIT;
    char path[4096], aside[4200], theirs[4200];
    tf_dir *d;
    int rc;

    opts.flags = flags[i];
    check(tf_dir_create(&d, &opts), "tf_dir_create");
    copy_path(path, sizeof(path), d);
    if (snprintf(aside, sizeof(aside), "%s.aside", path) >= (int)sizeof(aside))
      check(-ENAMETOOLONG, "snprintf");
    check_sys(rename(path, aside) == 0, "rename");
    check_sys(mkdir(path, 0700) == 0, "mkdir");
    join(theirs, sizeof(theirs), path, "theirs.txt");
    fill(open(theirs, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), theirs,
         "someone else's\n");

    rc = tf_dir_cleanup(d);
    if (rc != (flags[i] ? 0 : -ESTALE))
      check(rc < 0 ? rc : -EINVAL, "tf_dir_cleanup");
    printf("  %-17s tf_dir_cleanup -> %s; the other directory is %s\n",
           labels[i], rc < 0 ? tf_err_name(rc) : "0",
           strcmp(exists(path), "true") == 0 ? "left alone" : "gone");

    /* Put the handle's directory back: now its cleanup removes it. */
    check_sys(unlink(theirs) == 0, "unlink");
    check_sys(rmdir(path) == 0, "rmdir");
    check_sys(rename(aside, path) == 0, "rename");
    check(tf_dir_free(d), "tf_dir_free");
    printf("  %-17s own directory moved back, tf_dir_free: exists %s\n", "",
           exists(path));
  }
}

int main(void) {
  puts("=== Temporary Directories ===");
  workspace();
  keep();
  ignore_errors();
  return 0;
}
