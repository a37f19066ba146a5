/* SPDX-License-Identifier: MIT */
/*
 * 03_manual_cleanup.c - the tour's manual cleanup control: a file created
 * with TF_KEEP (Python's delete=False) survives the handle being closed,
 * can be opened again by its path, and is removed by the program itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tour.h"

int main(void) {
  tf_opts opts = TF_OPTS_INIT;
  tf_file *f;
  FILE *fp;
  char content[128];
  size_t got;

  puts("=== Manual Cleanup Control ===");
  opts.flags = TF_KEEP; /* never deleted by the handle */
  check(tf_file_create(&f, &opts), "tf_file_create");
  check(tf_file_stream(f, &fp), "tf_file_stream");
  check_sys(fputs("This file will persist temporarily\n", fp) != EOF,
            "fputs");
  check(tf_file_close(f), "tf_file_close"); /* closed, not deleted */
  printf("File still exists: %s\n", exists(tf_file_path(f)));

  /* Reopen it by name like any other file. */
  fp = fopen(tf_file_path(f), "r");
  check_sys(fp != NULL, "fopen");
  got = fread(content, 1, sizeof(content) - 1, fp);
  check_sys(!ferror(fp), "fread");
  content[got] = '\0';
  check_sys(fclose(fp) == 0, "fclose");
  print_repr("Reopened content", content);

  /* TF_KEEP means the program removes the file itself. */
  check_sys(unlink(tf_file_path(f)) == 0, "unlink");
  puts("Manually cleaned up temporary file");
  printf("File exists: %s\n", exists(tf_file_path(f)));
  check(tf_file_free(f), "tf_file_free");
  return 0;
}
