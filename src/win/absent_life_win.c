/* SPDX-License-Identifier: MIT */
/*
 * absent_life_win.c - cleanup on signals and tf_cleanup_all(), which part 2 of the
 * Windows port brings.
 * Until then each returns -ENOSYS, as tempfile(3) documents; the calls
 * that end a handle accept NULL as everywhere (no handle can exist) and
 * return 0.
 */
#include "win.h"

int tf_cleanup_on_signals(const int *signals, size_t count) {
  (void)signals;
  (void)count;
  return -ENOSYS;
}

int tf_cleanup_all(void) { return -ENOSYS; }

