/* SPDX-License-Identifier: MIT */
/*
 * ledger_win.c - the liveness ledger (see win.h).  Placeholder until
 * tf_reap() comes to Windows: nothing is recorded, so nothing is reaped.
 */
#include "win.h"

void tf__w_ledger_add(HANDLE dir, const wchar_t *name, size_t len, int is_dir,
                      struct tf__w_mark *m) {
  (void)dir;
  (void)name;
  (void)len;
  (void)is_dir;
  m->slot = -1;
}

void tf__w_ledger_drop(struct tf__w_mark *m) { m->slot = -1; }
