/* SPDX-License-Identifier: MIT */
/*
 * 11_customising.c - the tour's customisation of the module's globals:
 * tf_settempdir() and tf_settempprefix() play tempfile.tempdir and
 * tempfile.template.  Every later call that names no directory or prefix
 * uses them, until they are reset with NULL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tour.h"

static void show_settings(const char *when) {
  char dir[4096], prefix[256];
  check(tf_gettempdir(dir, sizeof(dir)), "tf_gettempdir");
  check(tf_gettempprefix(prefix, sizeof(prefix)), "tf_gettempprefix");
  printf("%s temp dir: %s\n", when, dir);
  printf("%s template: %s\n", when, prefix);
}

int main(void) {
  tf_opts dir_opts = TF_OPTS_INIT;
  char *custom_dir;
  tf_file *f;

  puts("=== Customizing Temporary File Behavior ===");
  show_settings("Original");

  /* A fresh private directory rather than a fixed name anyone can take. */
  dir_opts.prefix = "my_app_temps_";
  check(tf_mkdtemp(&custom_dir, &dir_opts), "tf_mkdtemp");

  check(tf_settempdir(custom_dir), "tf_settempdir");
  check(tf_settempprefix("myapp_temp_"), "tf_settempprefix");
  show_settings("Customized");

  /* No dir, no prefix: the new defaults apply. */
  check(tf_file_create(&f, NULL), "tf_file_create");
  printf("Custom temp file: %s\n", tf_file_path(f));
  check(tf_file_free(f), "tf_file_free");

  /* NULL restores the defaults: discovery runs again on next use. */
  check(tf_settempdir(NULL), "tf_settempdir");
  check(tf_settempprefix(NULL), "tf_settempprefix");
  show_settings("Restored");

  check_sys(rmdir(custom_dir) == 0, "rmdir");
  printf("Removed %s\n", custom_dir);
  free(custom_dir);
  return 0;
}
