/* SPDX-License-Identifier: MIT */
/*
 * shared_win.c - what the files Windows shares with POSIX (shared.h)
 * need from the Windows layer beyond the system-call table (sys_win.c)
 * and the unnamed file (create_win.c): absolute paths in UTF-8, and a
 * close for cleanup paths.
 */
#include "win.h"

#include "../shared.h"

#include <string.h>

int tf__abspath(const char *path, char *out, size_t size) {
  wchar_t *w;
  char *u;
  int wlen = tf__w_abspath(path, &w), len;
  if (wlen < 0)
    return wlen;
  len = tf__w_path_for_user(w, (size_t)wlen, &u);
  tf__freemem(w);
  if (len < 0)
    return len;
  if ((size_t)len >= size) {
    tf__freemem(u);
    return -ENAMETOOLONG;
  }
  memcpy(out, u, (size_t)len + 1);
  tf__freemem(u);
  return len;
}

void tf__close_quiet(int fd) {
  int saved = errno;
  (void)_close(fd);
  errno = saved;
}
