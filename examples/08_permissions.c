/* SPDX-License-Identifier: MIT */
/*
 * 08_permissions.c - the tour's look at temporary file security: a file
 * is created 0600 (owner read and write only) and owned by the process's
 * user, so group and others can not read it; a directory is 0700.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tour.h"

static const char *yes(int v) { return v ? "true" : "false"; }

/* Print the mode as ls -l does, then in octal, and who may use it. */
static void show_mode(const char *path) {
  static const char rwx[] = "rwxrwxrwx";
  struct stat st;
  char text[11];
  int i;

  check_sys(lstat(path, &st) == 0, "lstat");
  text[0] = S_ISDIR(st.st_mode) ? 'd' : '-';
  for (i = 0; i < 9; i++)
    text[i + 1] = (st.st_mode & (0400 >> i)) ? rwx[i] : '-';
  text[10] = '\0';
  printf("Permissions: %s\n", text);
  printf("Octal: %03o\n", (unsigned)(st.st_mode & 0777));
  printf("Owner UID: %lu\n", (unsigned long)st.st_uid);
  printf("Current process UID: %lu\n", (unsigned long)getuid());
  printf("Owner can read: %s\n", yes(st.st_mode & S_IRUSR));
  printf("Owner can write: %s\n", yes(st.st_mode & S_IWUSR));
  printf("Group has access: %s\n", yes(st.st_mode & (S_IRGRP | S_IWGRP)));
  printf("Others have access: %s\n", yes(st.st_mode & (S_IROTH | S_IWOTH)));
}

int main(void) {
  tf_file *f;
  FILE *fp;
  char *dir;

  puts("=== Temporary File Security ===");
  check(tf_file_create(&f, NULL), "tf_file_create");
  check(tf_file_stream(f, &fp), "tf_file_stream");
  check_sys(fputs("Sensitive data\n", fp) != EOF, "fputs");
  printf("File: %s\n", tf_file_path(f));
  show_mode(tf_file_path(f));
  check(tf_file_free(f), "tf_file_free");

  check(tf_mkdtemp(&dir, NULL), "tf_mkdtemp");
  printf("\nDirectory: %s\n", dir);
  show_mode(dir);
  check_sys(rmdir(dir) == 0, "rmdir");
  free(dir);
  return 0;
}
