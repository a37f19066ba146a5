/* SPDX-License-Identifier: MIT */
/*
 * 12_managed_temp_file.c - the tour's context manager integration, the
 * tutorial's ManagedTempFile: a temporary file bound to a scope, deleted
 * when the scope ends normally, and kept for debugging when it ends with
 * an error, with one line saying where it was kept.
 *
 * TF_AUTO_FILE_KEEP_ON_ERROR(f, status) declares the handle f and ends
 * it with tf_file_end(f, status) when the scope is left, by return or
 * otherwise, reading status at that moment: 0 deletes the file, nonzero
 * keeps it and reports its path.  tf_set_kept_reporter() routes that
 * report to this program, which reads the kept file back and then
 * removes it, so the tour leaves nothing behind.  Compilers without the
 * cleanup attribute call tf_file_end() on every way out instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tour.h"

static char kept_path[4096]; /* what the reporter was told, "" if none */

/* Where tf_file_end() reports a kept file (instead of stderr). */
static void report_kept(const char *path, int status, void *arg) {
  snprintf(arg, sizeof(kept_path), "%s", path); /* arg: kept_path */
  printf("Error occurred (%s): kept %s for debugging\n", tf_err_name(status),
         path);
}

/* One ManagedTempFile scope: create, write the lines, and fail with
 * -EINVAL (the tutorial's simulated ValueError) when asked.  path_out gets
 * the file's path, to look at it after the scope has ended. */
static int managed_scope(const char *prefix, const char *suffix,
                         const char *const *lines, int fail, char *path_out,
                         size_t size) {
  tf_opts opts = TF_OPTS_INIT;
  int status = 0;
  FILE *fp;
  size_t i;
#ifdef TF_AUTO_FILE_KEEP_ON_ERROR
  TF_AUTO_FILE_KEEP_ON_ERROR(f, status);
#else
  tf_file *f = NULL;
#endif

  opts.prefix = prefix;
  opts.suffix = suffix;
  check(tf_file_create(&f, &opts), "tf_file_create");
  printf("Managed file: %s\n", tf_file_path(f));
  snprintf(path_out, size, "%s", tf_file_path(f));
  check(tf_file_stream(f, &fp), "tf_file_stream");
  for (i = 0; lines[i] != NULL; i++)
    check_sys(fputs(lines[i], fp) != EOF, "fputs");
  check_sys(fflush(fp) == 0, "fflush");
  if (fail)
    status = -EINVAL; /* the scope ends with an error */
#ifndef TF_AUTO_FILE_KEEP_ON_ERROR
  check(tf_file_end(f, status), "tf_file_end");
#endif
  return status;
}

int main(void) {
  static const char *const log_lines[] = {"log line 1\n", "log line 2\n",
                                          NULL};
  static const char *const data_lines[] = {"partial results\n", NULL};
  char path[4096], saved[256];
  size_t got;
  FILE *fp;
  int rc;

  puts("=== Custom Temp File Context Manager ===");
  tf_set_kept_reporter(report_kept, kept_path);

  /* Normal use: the scope ends with status 0 and the file is deleted. */
  rc = managed_scope("app_", ".log", log_lines, 0, path, sizeof(path));
  check(rc, "managed_scope");
  printf("Scope ended normally; file exists: %s\n", exists(path));
  if (strcmp(exists(path), "false") != 0)
    check(-EEXIST, path);

  /* Use with an error: the file is kept, and the reporter says where. */
  rc = managed_scope("managed_", ".data", data_lines, 1, path, sizeof(path));
  printf("Caught the error (%s); kept file exists: %s\n", tf_err_name(rc),
         exists(path));
  if (rc != -EINVAL || strcmp(kept_path, path) != 0)
    check(rc < 0 ? -ENOENT : -EINVAL, "kept file report");

  /* Debug it: read what the failed scope had written. */
  fp = fopen(kept_path, "r");
  check_sys(fp != NULL, "fopen");
  got = fread(saved, 1, sizeof(saved) - 1, fp);
  check_sys(!ferror(fp) && fclose(fp) == 0, "fread");
  saved[got] = '\0';
  printf("Saved %zu chars for debugging\n", got);
  print_repr("Kept content", saved);

  /* A kept file is ours to remove. */
  check_sys(unlink(kept_path) == 0, "unlink");
  printf("Removed the kept file; exists: %s\n", exists(kept_path));
  tf_set_kept_reporter(NULL, NULL);
  return 0;
}
