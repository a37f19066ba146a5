/* SPDX-License-Identifier: MIT */
/*
 * 14_pitfall_cleanup.c - the tour's first pitfall, forgetting cleanup.
 *
 * Files made with TF_KEEP (Python's delete=False) are the program's to
 * remove.  The forgetful pattern makes five, then a processing step fails
 * and it returns early: the five stay behind, which this program shows
 * by counting its private directory, and then removes them itself.  The
 * safe form sends every way out through one cleanup path (C's
 * try/finally), and the best form lets each handle delete its own file
 * when it ends (tf_file_free(); with GCC and Clang a TF_AUTO_FILE
 * variable ends at the end of its scope, see 12_managed_temp_file.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tour.h"

#define FILES 5

/* A kept file in dir holding "Data i"; its path goes to *path_out. */
static void make_kept_file(const char *dir, int i, char **path_out) {
  tf_opts opts = TF_OPTS_INIT;
  tf_file *f;
  FILE *fp;
  opts.dir = dir;
  opts.flags = TF_KEEP; /* we must remove it ourselves */
  check(tf_file_create(&f, &opts), "tf_file_create");
  check(tf_file_stream(f, &fp), "tf_file_stream");
  check_sys(fprintf(fp, "Data %d\n", i) > 0, "fprintf");
  *path_out = strdup(tf_file_path(f));
  check_sys(*path_out != NULL, "strdup");
  check(tf_file_free(f), "tf_file_free"); /* closes, keeps the file */
}

/* The step that uses the files; it fails, as the tutorial imagines. */
static int process_files(char **paths, int n) {
  (void)paths;
  (void)n;
  return -EIO;
}

/* BAD: an early return on error skips the removal. */
static int bad_usage(const char *dir, char **paths) {
  int i, rc;
  for (i = 0; i < FILES; i++)
    make_kept_file(dir, i, &paths[i]);
  rc = process_files(paths, FILES);
  if (rc < 0)
    return rc; /* the five files are leaked */
  for (i = 0; i < FILES; i++)
    unlink(paths[i]);
  return 0;
}

/* GOOD: every way out goes through the cleanup. */
static int good_usage(const char *dir, int *made) {
  char *paths[FILES] = {NULL};
  int i, rc;
  for (i = 0; i < FILES; i++)
    make_kept_file(dir, i, &paths[i]);
  *made = FILES;
  rc = process_files(paths, FILES);
  if (rc < 0)
    goto out;
  /* ... use the results ... */
out:
  for (i = 0; i < FILES; i++) {
    if (paths[i] != NULL && unlink(paths[i]) != 0 && errno != ENOENT)
      check_sys(0, "unlink");
    free(paths[i]);
  }
  return rc;
}

/* BEST: each handle deletes its own file when it ends. */
static int best_usage(const char *dir) {
  tf_opts opts = TF_OPTS_INIT;
  char buf[32];
  int i, processed = 0;
  opts.dir = dir;
  for (i = 0; i < FILES; i++) {
    tf_file *f;
    FILE *fp;
    check(tf_file_create(&f, &opts), "tf_file_create");
    check(tf_file_stream(f, &fp), "tf_file_stream");
    check_sys(fprintf(fp, "Data %d\n", i) > 0, "fprintf");
    check_sys(fseek(fp, 0, SEEK_SET) == 0, "fseek");
    check_sys(fgets(buf, sizeof(buf), fp) != NULL, "fgets");
    processed++;
    check(tf_file_free(f), "tf_file_free"); /* deletes it */
  }
  return processed;
}

int main(void) {
  char *paths[FILES];
  char *dir;
  int i, rc, made = 0;

  puts("=== Cleanup Pitfall ===");
  /* A private directory, so that what is left behind can be counted. */
  check(tf_mkdtemp(&dir, NULL), "tf_mkdtemp");

  puts("Bad approach:");
  rc = bad_usage(dir, paths);
  printf("process_files failed (%s); files left behind: %d\n",
         tf_err_name(rc), entries(dir));
  for (i = 0; i < FILES; i++) {
    printf("  leaked: %s\n", base_name(paths[i]));
    check_sys(unlink(paths[i]) == 0, "unlink");
    free(paths[i]);
  }
  printf("Removed them by hand; files left: %d\n", entries(dir));

  puts("\nGood approach:");
  rc = good_usage(dir, &made);
  printf("process_files failed (%s); created %d temp files, files left: "
         "%d\n", tf_err_name(rc), made, entries(dir));

  puts("\nBest approach:");
  rc = best_usage(dir);
  printf("Each of %d handles deleted its own file; files left: %d\n", rc,
         entries(dir));

  if (entries(dir) != 0)
    check(-ENOTEMPTY, dir);
  check_sys(rmdir(dir) == 0, "rmdir");
  printf("\nRemoved %s\n", dir);
  free(dir);
  return 0;
}
