/* SPDX-License-Identifier: MIT */
/*
 * dir_win.c - the temporary directory handle (Python's
 * TemporaryDirectory) on Windows.  The handle keeps a handle of the
 * parent directory, the directory's name and its identity; cleanup is
 * tf__w_rmtree_at() through them, which removes the tree only if the
 * name still refers to the directory made (-ESTALE otherwise) and never
 * follows a link or junction inside it.  The directory's own handle is
 * closed at once: held, it would keep the name alive after a removal
 * where deletion is not POSIX-style.
 *
 * A directory the handle will remove is registered for cleanup at exit
 * and on signals (registry_win.c) until it is removed or kept.
 */
#include "win.h"

#include <string.h>

struct tf_dir {
  struct tf__w_made made;
  unsigned flags;
  int kept;
  int cleaned; /* removed, or found gone */
  struct tf__w_life life; /* registered while the tree is ours to remove */
};

#define DIR_FLAGS (TF_KEEP | TF_IGNORE_ERRORS | TF_UNTRACKED)

int tf_dir_create(tf_dir **out, const tf_opts *opts) {
  tf_dir *d;
  tf_opts o;
  unsigned track; /* the flags for the registry: a kept tree has no part */
  int rc;
  if (out == NULL)
    return -EINVAL;
  rc = tf__opts_take(&o, opts, DIR_FLAGS, TF__OPTS_NAME);
  if (rc < 0)
    return rc;
  d = tf__malloc(sizeof(*d));
  if (d == NULL)
    return -ENOMEM;
  memset(d, 0, sizeof(*d));
  track = (o.flags & TF_KEEP) ? TF_UNTRACKED : o.flags;
  rc = tf__w_life_enter(track);
  if (rc == 0) {
    rc = tf__w_create(&d->made, &o, TF_W_DIR, 0, 0, 1);
    if (rc == 0) {
      CloseHandle(d->made.h);
      d->made.h = NULL;
      /* Recorded and registered inside the creation's bracket: see
       * file_win.c. */
      if (!(track & TF_UNTRACKED))
        tf__w_ledger_add(d->made.parent->h, d->made.name, d->made.name_len,
                         1, &d->made.mark);
      rc = tf__w_life_start(&d->life, track, TF_W_DIR, &d->made);
      if (rc < 0) {
        tf__w_ledger_drop(&d->made.mark);
        tf__w_remove_made(&d->made); /* still empty */
        tf__w_made_free(&d->made);
      }
    }
    tf__w_life_leave(track);
  }
  if (rc < 0) {
    tf__freemem(d);
    return rc;
  }
  d->flags = o.flags;
  d->kept = (o.flags & TF_KEEP) != 0;
  *out = d;
  return 0;
}

const char *tf_dir_path(const tf_dir *d) {
  return d != NULL ? d->made.path : NULL;
}

int tf_dir_cleanup(tf_dir *d) {
  int rc;
  if (d == NULL || d->cleaned)
    return 0;
  if (tf__w_life_hold(&d->life)) { /* removed at exit or by tf_cleanup_all() */
    d->cleaned = 1;
    tf__w_life_end(&d->life);
    return 0;
  }
  /* The error is swallowed for the caller only: a tree not removed
   * stays the handle's to remove, at the next cleanup or at its end. */
  rc = tf__w_rmtree_at(d->made.parent->h, d->made.name, d->made.name_len,
                       &d->made.id, 0);
  if (rc == 0)
    d->cleaned = 1;
  if (rc == 0 || rc == -ESTALE) { /* gone, or no longer ours to remove */
    tf__w_life_end(&d->life);
    tf__w_ledger_drop(&d->made.mark);
  } else
    tf__w_life_release(&d->life);
  return d->flags & TF_IGNORE_ERRORS ? 0 : rc;
}

int tf_dir_keep(tf_dir *d) {
  if (d == NULL)
    return -EINVAL;
  d->kept = 1;
  tf__w_life_end(&d->life);
  tf__w_ledger_drop(&d->made.mark);
  return 0;
}

int tf_dir_free(tf_dir *d) {
  int rc = 0;
  if (d == NULL)
    return 0;
  if (!d->kept)
    rc = tf_dir_cleanup(d);
  tf__w_life_end(&d->life);
  tf__w_ledger_drop(&d->made.mark);
  tf__w_made_free(&d->made);
  tf__freemem(d);
  return rc;
}
