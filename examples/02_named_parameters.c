/* SPDX-License-Identifier: MIT */
/*
 * 02_named_parameters.c - the tour's parameter exploration: the name's
 * prefix and suffix, and the directory the file is created in.  Python's
 * mode argument has no counterpart: a C stream moves bytes, and on POSIX
 * text and binary are the same, so one read+write stream serves both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tour.h"

/* Create a file with opts, write to its stream, report it, delete it. */
static void named_file(const char *label, const tf_opts *opts) {
  static const unsigned char bytes[] = {0x00, 0xff, '\n'};
  tf_file *f;
  FILE *fp;

  check(tf_file_create(&f, opts), "tf_file_create");
  check(tf_file_stream(f, &fp), "tf_file_stream");
  check_sys(fputs("Text data\n", fp) != EOF, "fputs");
  check_sys(fwrite(bytes, 1, sizeof(bytes), fp) == sizeof(bytes), "fwrite");
  printf("%s: %s\n", label, tf_file_path(f));
  check(tf_file_free(f), "tf_file_free");
}

int main(void) {
  tf_opts named = TF_OPTS_INIT, in_dir = TF_OPTS_INIT, dir_opts = TF_OPTS_INIT;
  char *custom_dir;

  puts("=== Parameter Exploration ===");
  puts("Mode: one read-write stream takes text and binary data alike");

  named.prefix = "myapp_";
  named.suffix = ".log";
  named_file("\nCustom naming", &named);

  /* A private directory of our own instead of a fixed, guessable one. */
  dir_opts.prefix = "my_custom_temp_dir_";
  check(tf_mkdtemp(&custom_dir, &dir_opts), "tf_mkdtemp");
  in_dir.dir = custom_dir;
  named_file("Custom directory", &in_dir);

  check_sys(rmdir(custom_dir) == 0, "rmdir");
  printf("Removed %s\n", custom_dir);
  free(custom_dir);
  return 0;
}
