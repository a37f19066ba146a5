/* SPDX-License-Identifier: MIT */
/*
 * 04_unnamed_file.c - the tour's TemporaryFile: a file with no name at
 * all.  tf_tmpfile() opens it with O_TMPFILE where the file system can,
 * so no other process can ever open it by a path; /proc/self/fd shows the
 * kernel's placeholder, marked "(deleted)".  It still works like a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tour.h"

int main(void) {
  char proc[64], link[4096], content[128];
  struct stat st;
  ssize_t len;
  FILE *fp;
  int fd;

  puts("=== TemporaryFile (No Name) ===");
  fd = tf_tmpfile(NULL);
  check(fd, "tf_tmpfile");
  printf("File descriptor: %d\n", fd);

  check_sys(fstat(fd, &st) == 0, "fstat");
  printf("Names (hard links) in the file system: %lu\n",
         (unsigned long)st.st_nlink);
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
  len = readlink(proc, link, sizeof(link) - 1);
  if (len >= 0) {
    link[len] = '\0';
    printf("%s -> %s\n", proc, link);
  } else {
    printf("%s: not available (%s)\n", proc, tf_strerror(errno));
  }

  /* But it works like any file. */
  fp = fdopen(fd, "w+");
  check_sys(fp != NULL, "fdopen");
  check_sys(fputs("Data that exists only in memory/disk cache\n", fp) != EOF,
            "fputs");
  rewind(fp);
  check_sys(fgets(content, sizeof(content), fp) != NULL, "fgets");
  printf("Content: %s", content);

  check_sys(fclose(fp) == 0, "fclose"); /* the last reference: freed */
  puts("Closed: the kernel released the file, nothing to remove");
  return 0;
}
