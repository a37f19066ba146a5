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
#include <direct.h>
#include <io.h>
#define TOUR_WINDOWS 1
/* The C runtime's names for what the tour asks of open(): no handle
 * inherited by child processes, binary data; it has no symlinks to
 * refuse, and lstat() is stat().  Its mkdir() takes no mode: a new
 * directory inherits its parent's ACL. */
#define O_CLOEXEC _O_NOINHERIT
#define O_NOFOLLOW 0
#define lstat stat
#define mkdir(path, mode) _mkdir(path)
#else
#define TOUR_WINDOWS 0
#endif
#ifndef O_BINARY
#define O_BINARY 0
#endif

#ifdef _WIN32
/* POSIX's pread(): n bytes at offset, the fd's own offset unchanged (the
 * C runtime has no such call; one thread at a time). */
static inline ssize_t pread(int fd, void *buf, size_t n, long long offset) {
  long long here = _lseeki64(fd, 0, SEEK_CUR);
  int got;
  if (here < 0 || _lseeki64(fd, offset, SEEK_SET) < 0)
    return -1;
  got = _read(fd, buf, n > 0x7fffffff ? 0x7fffffff : (unsigned int)n);
  if (_lseeki64(fd, here, SEEK_SET) < 0)
    return -1;
  return got;
}
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

/* buf = dir + "/" + name (os.path.join; "\\" on Windows); a path too
 * long ends the program as any failed call does. */
static inline void join(char *buf, size_t size, const char *dir,
                        const char *name) {
  if (snprintf(buf, size, TOUR_WINDOWS ? "%s\\%s" : "%s/%s", dir, name) >=
      (int)size)
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
    else if (*s == '\r')
      fputs("\\r", stdout);
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

/* Open name (a relative path) inside the directory of d, with open()'s
 * flags (O_CLOEXEC added) and mode 0600 for a new file.  POSIX names it
 * relative to the directory's own fd (openat()), so the directory's path
 * plays no part; Windows has no directory fds (tf_dir_fd() is POSIX
 * only), so there the name is joined to tf_dir_path(). */
static inline int open_in(const tf_dir *d, const char *name, int flags) {
#ifdef TF_POSIX_API
  return openat(tf_dir_fd(d), name, flags | O_CLOEXEC, 0600);
#else
  char path[4096];
  join(path, sizeof(path), tf_dir_path(d), name);
  return open(path, flags | O_BINARY | O_CLOEXEC, 0600);
#endif
}

/* Make the directory name (a relative path) inside the directory of d,
 * as open_in() names it. */
static inline int mkdir_in(const tf_dir *d, const char *name) {
#ifdef TF_POSIX_API
  return mkdirat(tf_dir_fd(d), name, 0700);
#else
  char path[4096];
  join(path, sizeof(path), tf_dir_path(d), name);
  return mkdir(path, 0700);
#endif
}

#endif
