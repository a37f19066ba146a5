/* SPDX-License-Identifier: MIT */
/*
 * 17_pipeline.c - the tour's first application, the tutorial's
 * SecureFileProcessor: inputs pass through a chain of processing stages,
 * and every intermediate result lives in a file inside one private
 * workspace, a tf_dir with mode 0700, so no other user can list, read or
 * replace them.  Each input is written to the workspace, each stage reads
 * the previous file and writes a new named temporary file there (created
 * relative to the workspace's fd), the last one is read back as the
 * result, and the workspace goes with everything in it at tf_dir_free().
 * Windows has no directory fds: there the stage files are made in the
 * workspace by its path, and the workspace is private through its
 * owner-only DACL rather than a mode.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tour.h"

#define MAX_DATA 256

typedef void (*stage_fn)(const char *in, char *out, size_t size);

static void to_upper(const char *in, char *out, size_t size) {
  size_t i;
  for (i = 0; in[i] != '\0' && i + 1 < size; i++)
    out[i] = (char)toupper((unsigned char)in[i]);
  out[i] = '\0';
}

static void add_label(const char *in, char *out, size_t size) {
  snprintf(out, size, "Processed: %s", in);
}

static void spaces_to_underscores(const char *in, char *out, size_t size) {
  size_t i;
  for (i = 0; in[i] != '\0' && i + 1 < size; i++)
    out[i] = in[i] == ' ' ? '_' : in[i];
  out[i] = '\0';
}

/* Read all of the file open at fd (from offset 0) into buf as a string. */
static void read_all(int fd, char *buf, size_t size) {
  ssize_t n = pread(fd, buf, size - 1, 0);
  check_sys(n >= 0, "pread");
  buf[n] = '\0';
}

/* A new named temporary file in the workspace holding text. */
static tf_file *stage_file(const tf_dir *workspace, const char *prefix,
                           const char *text) {
  tf_opts opts = TF_OPTS_INIT;
  size_t len = strlen(text);
  tf_file *f;
  opts.prefix = prefix;
  opts.suffix = ".tmp";
#ifdef TF_POSIX_API
  check(tf_file_createat(&f, tf_dir_fd(workspace), &opts), "tf_file_createat");
#else
  opts.dir = tf_dir_path(workspace);
  check(tf_file_create(&f, &opts), "tf_file_create");
#endif
  check_sys(write(tf_file_fd(f), text, len) == (ssize_t)len, "write");
  return f;
}

int main(void) {
  static const char *const inputs[] = {"hello world", "python programming",
                                       "secure file processing"};
  static const stage_fn stages[] = {to_upper, add_label,
                                    spaces_to_underscores};
  char results[3][MAX_DATA], current[MAX_DATA], next[MAX_DATA];
  char workspace_path[4096], prefix[32];
  size_t i, j;
  tf_dir *workspace;
#ifdef TF_POSIX_API
  struct stat st;
#endif

  puts("=== Secure File Processing Pipeline ===");
  check(tf_dir_create(&workspace, NULL), "tf_dir_create");
  snprintf(workspace_path, sizeof(workspace_path), "%s",
           tf_dir_path(workspace));
#ifdef TF_POSIX_API
  check_sys(fstat(tf_dir_fd(workspace), &st) == 0, "fstat");
  printf("Private workspace: %s (mode %04o)\n",
         workspace_path, (unsigned)(st.st_mode & 07777));
#else
  printf("Private workspace: %s (an owner-only DACL)\n", workspace_path);
#endif

  for (i = 0; i < 3; i++) {
    tf_file *prev;
    snprintf(prefix, sizeof(prefix), "input_%zu_", i);
    prev = stage_file(workspace, prefix, inputs[i]);
    for (j = 0; j < 3; j++) {
      tf_file *out;
      read_all(tf_file_fd(prev), current, sizeof(current));
      stages[j](current, next, sizeof(next));
      snprintf(prefix, sizeof(prefix), "stage_%zu_", j);
      out = stage_file(workspace, prefix, next);
      check(tf_file_free(prev), "tf_file_free"); /* deletes the input */
      prev = out;
      printf("File %zu, Stage %zu: %zu chars in %s\n", i, j, strlen(next),
             tf_file_path(out));
    }
    read_all(tf_file_fd(prev), results[i], sizeof(results[i]));
    check(tf_file_free(prev), "tf_file_free");
  }

  check(tf_dir_free(workspace), "tf_dir_free");
  printf("Workspace removed with every stage file; exists: %s\n",
         exists(workspace_path));

  puts("\nFinal results:");
  for (i = 0; i < 3; i++)
    printf("  %zu: %s\n", i, results[i]);
  return 0;
}
