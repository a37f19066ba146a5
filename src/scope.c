/* SPDX-License-Identifier: MIT */
/*
 * scope.c - scope-bound cleanup: the *_freep() functions behind the
 * TF_AUTO_* declarations (tf_pool_freep() is in pool.c), and keep-on-error ending (the tutorial's
 * ManagedTempFile), which keeps a failed run's object for debugging and
 * says where.  Portable.
 */
#include "core.h"

#include <stdio.h>
#include <string.h>

void tf_file_freep(tf_file **p) {
  if (p != NULL) {
    tf_file_free(*p);
    *p = NULL;
  }
}

void tf_dir_freep(tf_dir **p) {
  if (p != NULL) {
    tf_dir_free(*p);
    *p = NULL;
  }
}

void tf_spool_freep(tf_spool **p) {
  if (p != NULL) {
    tf_spool_free(*p);
    *p = NULL;
  }
}

void tf_atomic_freep(tf_atomic **p) {
  if (p != NULL) {
    tf_atomic_free(*p);
    *p = NULL;
  }
}

/* The reporter and its argument change together, under a lock; the
 * report itself runs outside it. */
static tf__mutex reporter_lock = TF__MUTEX_INIT;
static tf_kept_fn reporter; /* NULL: stderr */
static void *reporter_arg;

void tf_set_kept_reporter(tf_kept_fn fn, void *arg) {
  tf__mutex_lock(&reporter_lock);
  reporter = fn;
  reporter_arg = fn != NULL ? arg : NULL;
  tf__mutex_unlock(&reporter_lock);
}

/* One line on stderr, written at once so lines of threads do not mix. */
static void report_kept(const char *path, int status) {
  tf_kept_fn fn;
  void *arg;
  char line[4096 + 64];
  int n;
  tf__mutex_lock(&reporter_lock);
  fn = reporter;
  arg = reporter_arg;
  tf__mutex_unlock(&reporter_lock);
  if (fn != NULL) {
    fn(path, status, arg);
    return;
  }
  n = snprintf(line, sizeof(line), "libtempfile: kept %s (status %d)\n",
               path, status);
  if (n > 0 && (size_t)n < sizeof(line))
    tf__write_stderr(line, (size_t)n);
}

int tf_file_end(tf_file *f, int status) {
  if (f != NULL && status != 0) {
    tf_file_keep(f);
    report_kept(tf_file_path(f), status);
  }
  return tf_file_free(f);
}

int tf_dir_end(tf_dir *d, int status) {
  if (d != NULL && status != 0) {
    tf_dir_keep(d);
    report_kept(tf_dir_path(d), status);
  }
  return tf_dir_free(d);
}

tf_scope_guard tf_scope_guard_init(unsigned int version, void *handle,
                                   const int *status, int is_dir) {
  tf_scope_guard g;
  g.version = version;
  g.handle = handle;
  g.status = status;
  g.is_dir = is_dir;
  return g;
}

/* A guard of an unknown version, or without its pointers, ends nothing:
 * it can not be read safely. */
void tf_scope_guard_end(tf_scope_guard *g) {
  int status;
  if (g == NULL || g->version == 0 || g->version > TF_SCOPE_GUARD_VERSION ||
      g->handle == NULL || g->status == NULL)
    return;
  status = *g->status;
  if (g->is_dir) {
    tf_dir **d = g->handle;
    tf_dir_end(*d, status);
    *d = NULL;
  } else {
    tf_file **f = g->handle;
    tf_file_end(*f, status);
    *f = NULL;
  }
}
