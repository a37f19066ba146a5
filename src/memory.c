/* SPDX-License-Identifier: MIT */
/*
 * memory.c - the library's heap memory, through the table's malloc and
 * free entries (sys.c), so tests can fail an allocation and count what is
 * outstanding (Windows: win/util_win.c, the runtime's heap).  What is
 * made of these two on every platform is in heap.c.
 */
#include "internal.h"


void *tf__malloc(size_t n) {
  void *p = NULL;
  if (tf__sys.malloc(n, &p) != 0)
    return NULL;
  return p;
}

void tf__freemem(void *p) {
  if (p == NULL)
    return;
  tf__sys.free(p);
}
