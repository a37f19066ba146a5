/* SPDX-License-Identifier: MIT */
/*
 * tour.h - helpers the tour programs share: error checks (a failing call
 * prints tf_strerror() and ends the program with status 1), and the small
 * printing helpers that mirror the seed's Python output.
 */
#ifndef TF_TOUR_H
#define TF_TOUR_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tempfile.h>

#ifdef _WIN32
#define TOUR_WINDOWS 1
/* The C runtime's names for what the tour asks of open(): no handle
 * inherited by child processes, binary data; it has no symlinks to
 * refuse, and lstat() is stat(). */
#define O_CLOEXEC _O_NOINHERIT
#define O_NOFOLLOW 0
#define lstat stat
#else
#define TOUR_WINDOWS 0
#endif
#ifndef O_BINARY
#define O_BINARY 0
#endif

/* rc is a libtempfile result: negative means failed. */
static inline void check(int rc, const char *what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, tf_strerror(rc));
    exit(1);
  }
}

/* ok is the truth of a POSIX call's success; errno tells why not. */
static inline void check_sys(int ok, const char *what) {
  if (!ok)
    check(errno != 0 ? -errno : -EIO, what);
}

/* buf = dir + "/" + name (os.path.join); a path too long ends the
 * program as any failed call does. */
static inline void join(char *buf, size_t size, const char *dir,
                        const char *name) {
  if (snprintf(buf, size, "%s/%s", dir, name) >= (int)size)
    check(-ENAMETOOLONG, name);
}

/* The last component of a path the library returned (os.path.basename):
 * after the last '/', or on Windows '\\' too. */
static inline const char *base_name(const char *path) {
  const char *p, *base = path;
  for (p = path; *p != '\0'; p++)
    if (*p == '/' || (TOUR_WINDOWS && *p == '\\'))
      base = p + 1;
  return base;
}

/* "true" or "false", as os.path.exists() prints (without following a
 * final symlink). */
static inline const char *exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0 ? "true" : "false";
}

/* Entries in dir, "." and ".." aside, as len(os.listdir()) counts them. */
static inline int entries(const char *dir) {
  struct dirent *e;
  int n = 0;
  DIR *d = opendir(dir);
  check_sys(d != NULL, dir);
  while ((e = readdir(d)) != NULL)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  check_sys(closedir(d) == 0, "closedir");
  return n;
}

/* Print s the way Python's repr() shows a short string. */
static inline void print_repr(const char *label, const char *s) {
  printf("%s: '", label);
  for (; *s != '\0'; s++) {
    if (*s == '\n')
      fputs("\\n", stdout);
    else if (*s == '\'' || *s == '\\')
      printf("\\%c", *s);
    else
      putchar(*s);
  }
  puts("'");
}

/* Print what the (small) file at path holds, as print_repr() does. */
static inline void show_file(const char *label, const char *path) {
  char buf[256];
  ssize_t n;
  int fd = open(path, O_RDONLY | O_BINARY | O_CLOEXEC);
  check_sys(fd >= 0, path);
  n = read(fd, buf, sizeof(buf) - 1);
  check_sys(n >= 0, "read");
  check_sys(close(fd) == 0, "close");
  buf[n] = '\0';
  print_repr(label, buf);
}

#endif
