/* SPDX-License-Identifier: MIT */
/*
 * 07_manual_directory.c - the tour's manual directory management: a
 * directory from tf_mkdtemp() (Python's mkdtemp) that the program
 * removes itself, with tf_rmtreeat() in the place of shutil.rmtree().
 *
 * Then what the removal promises about what is not its own: a symbolic
 * link planted in the tree, pointing at a directory outside it, is
 * removed as a link and never followed, so the directory it points to
 * keeps its contents (shutil.rmtree() on Linux does not follow it
 * either).  And a directory in the tree that denies its owner everything
 * (mode 000) is made accessible through its own fd and removed, where
 * shutil.rmtree() stops with a permission error unless run as root.
 *
 * Windows has no directory fds, so no tf_rmtreeat(): there the directory
 * a program removes itself, when it chooses, is a tf_dir made with
 * TF_KEEP, which nothing removes (not even the handle's end) but an
 * explicit tf_dir_cleanup(), with the same promises: a link in the tree
 * is removed as a link, and read-only entries, which DeleteFile() and
 * RemoveDirectory() refuse, are removed too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tour.h"

/* Create the file path (it must not exist) holding text. */
static void write_file(const char *path, const char *text) {
  size_t len = strlen(text);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                0600);
  check_sys(fd >= 0, path);
  check_sys(write(fd, text, len) == (ssize_t)len, "write");
  check_sys(close(fd) == 0, "close");
}

#ifdef TF_POSIX_API
int main(void) {
  tf_opts opts = TF_OPTS_INIT;
  char work_file[4096], link_path[4096], locked[4096], inside[4096];
  char outside_file[4096];
  char *temp_dir, *outside;
  int survived;

  puts("=== Manual Temp Directory Management ===");
  opts.prefix = "myapp_";
  opts.suffix = "_workspace";
  check(tf_mkdtemp(&temp_dir, &opts), "tf_mkdtemp");
  printf("Created directory: %s\n", temp_dir);

  join(work_file, sizeof(work_file), temp_dir, "workfile.txt");
  write_file(work_file, "Important temporary work\n");
  printf("Work file created: %s\n", work_file);

  /* Something that is not the tree's: a directory elsewhere, and a link
   * to it inside the tree. */
  check(tf_mkdtemp(&outside, NULL), "tf_mkdtemp");
  join(outside_file, sizeof(outside_file), outside, "keep.txt");
  write_file(outside_file, "not part of the workspace\n");
  join(link_path, sizeof(link_path), temp_dir, "escape");
  check_sys(symlink(outside, link_path) == 0, "symlink");
  printf("Planted link: %s -> %s\n", link_path, outside);

  /* A directory that denies its owner reading, writing and searching. */
  join(locked, sizeof(locked), temp_dir, "locked");
  check_sys(mkdir(locked, 0700) == 0, "mkdir");
  join(inside, sizeof(inside), locked, "data.txt");
  write_file(inside, "behind mode 000\n");
  check_sys(chmod(locked, 0) == 0, "chmod");
  printf("Locked directory: %s (mode 000)\n", locked);

  /* Always clean up manually. */
  check(tf_rmtreeat(AT_FDCWD, temp_dir, 0), "tf_rmtreeat");
  printf("Directory manually cleaned up: exists %s\n", exists(temp_dir));
  survived = strcmp(exists(outside_file), "true") == 0;
  printf("The link's target is untouched: %s exists %s, keep.txt exists %s\n",
         outside, exists(outside), exists(outside_file));

  check(tf_rmtreeat(AT_FDCWD, outside, 0), "tf_rmtreeat");
  printf("Removed %s\n", outside);
  free(outside);
  free(temp_dir);
  return survived ? 0 : 1;
}
#else
#include <windows.h>

#ifndef SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE
#define SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE 0x2
#endif

int main(void) {
  tf_opts opts = TF_OPTS_INIT;
  char work_file[4096], link_path[4096], locked[4096], inside[4096];
  char outside_file[4096], temp_dir[4096], outside_dir[4096];
  tf_dir *work, *outside;
  int survived;

  puts("=== Manual Temp Directory Management ===");
  opts.prefix = "myapp_";
  opts.suffix = "_workspace";
  opts.flags = TF_KEEP; /* only tf_dir_cleanup() removes it */
  check(tf_dir_create(&work, &opts), "tf_dir_create TF_KEEP");
  snprintf(temp_dir, sizeof(temp_dir), "%s", tf_dir_path(work));
  printf("Created directory: %s\n", temp_dir);

  join(work_file, sizeof(work_file), temp_dir, "workfile.txt");
  write_file(work_file, "Important temporary work\n");
  printf("Work file created: %s\n", work_file);

  /* Something that is not the tree's: a directory elsewhere, and a link
   * to it inside the tree (a symbolic link needs the privilege or
   * developer mode; Wine 8 makes none). */
  check(tf_dir_create(&outside, NULL), "tf_dir_create");
  snprintf(outside_dir, sizeof(outside_dir), "%s", tf_dir_path(outside));
  join(outside_file, sizeof(outside_file), outside_dir, "keep.txt");
  write_file(outside_file, "not part of the workspace\n");
  join(link_path, sizeof(link_path), temp_dir, "escape");
  if (CreateSymbolicLinkA(link_path, outside_dir,
                          SYMBOLIC_LINK_FLAG_DIRECTORY |
                              SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE) &&
      GetFileAttributesA(link_path) != INVALID_FILE_ATTRIBUTES)
    printf("Planted link: %s -> %s\n", link_path, outside_dir);
  else
    printf("Planted no link: this system made none (%s)\n", link_path);

  /* Windows' counterpart of mode 000: read-only entries, which
   * DeleteFile() and RemoveDirectory() refuse. */
  join(locked, sizeof(locked), temp_dir, "locked");
  check_sys(mkdir(locked, 0700) == 0, "mkdir");
  join(inside, sizeof(inside), locked, "data.txt");
  write_file(inside, "read-only\n");
  check_sys(SetFileAttributesA(inside, FILE_ATTRIBUTE_READONLY) &&
                SetFileAttributesA(locked, FILE_ATTRIBUTE_READONLY),
            "SetFileAttributes");
  printf("Read-only directory and file: %s\n", inside);

  /* Always clean up manually. */
  check(tf_dir_cleanup(work), "tf_dir_cleanup");
  printf("Directory manually cleaned up: exists %s\n", exists(temp_dir));
  survived = strcmp(exists(outside_file), "true") == 0;
  printf("The link's target is untouched: %s exists %s, keep.txt exists %s\n",
         outside_dir, exists(outside_dir), exists(outside_file));

  check(tf_dir_free(work), "tf_dir_free");
  check(tf_dir_free(outside), "tf_dir_free");
  printf("Removed %s\n", outside_dir);
  return survived ? 0 : 1;
}
#endif
