/* SPDX-License-Identifier: MIT */
/*
 * 20_publish.c - beyond Python: write a file under a temporary name and
 * give it its final name only when it is complete, so a reader sees the
 * whole file or none of it.  tf_file_publish() renames it in one step and
 * sets its mode; TF_NOCLOBBER refuses to replace a file already there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tour.h"

/* A temporary file in dir holding text, flushed so the name sees it. */
static tf_file *draft(const char *dir, const char *text) {
  tf_opts opts = TF_OPTS_INIT;
  tf_file *f;
  FILE *fp;
  opts.dir = dir;
  check(tf_file_create(&f, &opts), "tf_file_create");
  check(tf_file_stream(f, &fp), "tf_file_stream");
  check_sys(fputs(text, fp) != EOF && fflush(fp) == 0, "write");
  printf("Wrote %s\n", tf_file_path(f));
  return f;
}

int main(void) {
  char target[4096];
  char *dir;
  struct stat st;
  tf_file *first, *second;
  int rc;

  puts("=== Publishing a Finished File ===");
  check(tf_mkdtemp(&dir, NULL), "tf_mkdtemp"); /* a place for the target */
  join(target, sizeof(target), dir, "report.txt");

  first = draft(dir, "report, version 1\n");
  check(tf_file_publish(first, target, 0644, 0), "tf_file_publish");
  check_sys(stat(target, &st) == 0, "stat");
  printf("Published as %s, mode %03o\n", tf_file_path(first),
         (unsigned)(st.st_mode & 0777));

  second = draft(dir, "report, version 2\n");
  rc = tf_file_publish(second, target, 0644, TF_NOCLOBBER);
  if (rc != -EEXIST)
    check(rc < 0 ? rc : -EINVAL, "tf_file_publish TF_NOCLOBBER");
  printf("TF_NOCLOBBER onto the existing name: %s (%s)\n", tf_err_name(rc),
         tf_strerror(rc));
  printf("The draft is still the handle's: %s\n", tf_file_path(second));

  check(tf_file_free(second), "tf_file_free"); /* deletes the draft */
  check(tf_file_free(first), "tf_file_free");  /* published: kept */
  check_sys(unlink(target) == 0, "unlink");
  check_sys(rmdir(dir) == 0, "rmdir");
  printf("Removed %s and its directory\n", target);
  free(dir);
  return 0;
}
