/* SPDX-License-Identifier: MIT */
/*
 * 19_atomic_update.c - the tutorial's atomic_file_operation: replace a file so
 * that a reader, or the disk after a crash, sees the whole old contents
 * or the whole new ones, never a mix.  The tutorial does it by hand (a
 * NamedTemporaryFile in the target's directory, fsync, os.rename); here
 * tf_atomic does every step, keeps the file's mode, follows a symlinked
 * target, and a write that fails midway leaves the old file as it was.
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

int main(void) {
  static const char original[] = "Original content\nLine 2\nLine 3\n";
  static const char updated[] =
      "Updated content\nNew line 2\nNew line 3\nAdded line 4\n";
  char target[4096], link[4096];
  tf_opts durable = TF_OPTS_INIT;
  struct stat st;
  tf_atomic *a;
  FILE *fp;
  char *dir;
  int rc;

  puts("=== Atomic File Operations Demo ===");
  check(tf_mkdtemp(&dir, NULL), "tf_mkdtemp");
  join(target, sizeof(target), dir, "test_atomic.txt");
  check(tf_write_file(target, original, strlen(original), NULL),
        "tf_write_file");
  check_sys(chmod(target, 0640) == 0, "chmod");
  printf("Created test file: %s (mode 0640)\n", target);

  /* The tutorial's update, with the durable level: the file is fsynced
   * before it takes the name, the directory after. */
  puts("=== Atomic File Operation ===");
  durable.flags = TF_SYNC_DURABLE;
  check(tf_atomic_begin(&a, target, &durable), "tf_atomic_begin");
  check(tf_atomic_stream(a, &fp), "tf_atomic_stream");
  check_sys(fputs(updated, fp) != EOF, "fputs");
  printf("Wrote %zu chars to the temporary file; the directory still holds "
         "%d entry (the file has no name yet)\n",
         strlen(updated), entries(dir));
  check(tf_atomic_commit(a), "tf_atomic_commit");
  check(tf_atomic_free(a), "tf_atomic_free");
  printf("Atomically updated: %s\n", target);
  check_sys(stat(target, &st) == 0, "stat");
  printf("File successfully updated atomically (mode kept: 0%o)\n",
         (unsigned)(st.st_mode & 07777));
  show_file("  contents", target);

  /* A write that fails midway: the error ends the handle without commit,
   * and the target never saw a byte of it. */
  puts("=== A Write That Fails Midway ===");
  check(tf_atomic_begin(&a, target, NULL), "tf_atomic_begin");
  check(tf_atomic_write(a, "Half of a new vers", 18), "tf_atomic_write");
  puts("Wrote half of the new version, then the producer fails");
  check(tf_atomic_free(a), "tf_atomic_free"); /* no commit: aborted */
  printf("The target still has the previous version; the directory holds %d "
         "entry:\n",
         entries(dir));
  show_file("  contents", target);

  /* A symlinked target: the file it names is replaced, the link stays.
   * (Windows lets only privileged or developer-mode users make links.) */
#ifndef _WIN32
  puts("=== A Symlinked Target ===");
  join(link, sizeof(link), dir, "current");
  check_sys(symlink("test_atomic.txt", link) == 0, "symlink");
  check(tf_write_file(link, "Through the link\n", 17, NULL), "tf_write_file");
  check_sys(lstat(link, &st) == 0, "lstat");
  printf("%s is still a symlink: %s\n", link, S_ISLNK(st.st_mode) ? "yes" : "no");
  show_file("  contents", target);
#else
  (void)link;
#endif

  /* Beyond the tutorial: TF_NOCLOBBER refuses to replace, atomically. */
  durable.flags = TF_NOCLOBBER;
  rc = tf_write_file(target, "Never written\n", 14, &durable);
  printf("TF_NOCLOBBER onto the existing file: %s (%s)\n", tf_err_name(rc),
         tf_strerror(rc));
  if (rc != -EEXIST)
    check(rc < 0 ? rc : -EINVAL, "tf_write_file TF_NOCLOBBER");

#ifndef _WIN32
  check_sys(unlink(link) == 0, "unlink");
#endif
  check_sys(unlink(target) == 0, "unlink");
  check_sys(rmdir(dir) == 0, "rmdir");
  puts("Cleaned up test file");
  free(dir);
  return 0;
}
