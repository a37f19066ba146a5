/* SPDX-License-Identifier: MIT */
/*
 * heap.c - what is made of tf__malloc() and tf__freemem() (memory.c on
 * POSIX, win/util_win.c on Windows) on every platform: copies of
 * strings, and tf_free() for what the library hands out.
 */
#include "core.h"

#include <string.h>

char *tf__strndup(const char *s, size_t n) {
  char *p = tf__malloc(n + 1);
  if (p == NULL)
    return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

void tf_free(void *ptr) { tf__freemem(ptr); }
