/* SPDX-License-Identifier: MIT */
/*
 * absent_reap_win.c - tf_reap(), which part 2 of the Windows port brings.
 * Until then each returns -ENOSYS, as tempfile(3) documents; the calls
 * that end a handle accept NULL as everywhere (no handle can exist) and
 * return 0.
 */
#include "win.h"

int tf_reap(const char *dir, unsigned int flags, unsigned int min_age,
            tf_reap_fn fn, void *arg) {
  (void)dir;
  (void)flags;
  (void)min_age;
  (void)fn;
  (void)arg;
  return -ENOSYS;
}
