/* SPDX-License-Identifier: MIT */
/*
 * 04_unnamed_file.c - the tour's TemporaryFile: a file with no name at
 * all.  tf_tmpfile() opens it with O_TMPFILE where the file system can,
 * so no other process can ever open it by a path; /proc/self/fd shows the
 * kernel's placeholder, marked "(deleted)".  It still works like a file.
 *
 * On Windows the file is opened FILE_FLAG_DELETE_ON_CLOSE: it may have a
 * name while it is open (none where the file system deletes with POSIX
 * semantics), and the system deletes it when its last handle closes,
 * also when the process is killed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tour.h"

#ifdef _WIN32
#include <windows.h>

/* The name the file has while it is open, if any, in name; "" if none. */
static void name_while_open(int fd, char *name, size_t size) {
  DWORD n = GetFinalPathNameByHandleA((HANDLE)_get_osfhandle(fd), name,
                                      (DWORD)size, FILE_NAME_NORMALIZED);
  if (n == 0 || n >= size)
    name[0] = '\0';
  else if (strncmp(name, "\\\\?\\", 4) == 0) /* the \\?\ prefix */
    memmove(name, name + 4, n - 3);
}
#else
/* Where the file is, as the kernel shows it. */
static void show_no_name(int fd) {
  char proc[64], link[4096];
  struct stat st;
  ssize_t len;
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
}
#endif

int main(void) {
  char content[128];
  FILE *fp;
  int fd;
#ifdef _WIN32
  char name[4096];
#endif

  puts("=== TemporaryFile (No Name) ===");
  fd = tf_tmpfile(NULL);
  check(fd, "tf_tmpfile");
  printf("File descriptor: %d\n", fd);
#ifdef _WIN32
  name_while_open(fd, name, sizeof(name));
  printf("Name while open: %s\n", name[0] != '\0' ? name : "none");
#else
  show_no_name(fd);
#endif

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
#ifdef _WIN32
  if (name[0] != '\0')
    printf("The name it had exists: %s\n", exists(name));
#endif
  return 0;
}
