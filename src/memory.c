/* SPDX-License-Identifier: MIT */
/*
 * memory.c - the library's heap memory, through the table's malloc and
 * free entries (sys.c), so tests can fail an allocation and count what is
 * outstanding.
 */
#include "internal.h"

#include <string.h>

void *tf__malloc(size_t n) {
  void *p = NULL;
  if (tf__sys.malloc(n, &p) != 0)
    return NULL;
  return p;
}

char *tf__strndup(const char *s, size_t n) {
  char *p = tf__malloc(n + 1);
  if (p == NULL)
    return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

void tf__freemem(void *p) {
  if (p == NULL)
    return;
  tf__sys.free(p);
}

void tf_free(void *ptr) { tf__freemem(ptr); }
