/* SPDX-License-Identifier: MIT */
/*
 * opts.c - tf_opts: its versions, and the one place that checks, copies
 * and defaults a caller's options.  Every creating call takes the
 * caller's struct through tf__opts_take() before any side effect (so a
 * bad option is always -EINVAL with nothing touched) and from then on
 * reads only its own copy, so only this file knows the versions' layouts.
 */
#include "core.h"

#include <string.h>

/* Version 0 is a zeroed struct of the 1.0 layout, the same as version 1;
 * a later version only adds fields at the end. */
static int known_version(unsigned int version) {
  return version <= TF_OPTS_VERSION;
}

int tf_opts_init(tf_opts *opts, unsigned int version) {
  if (opts == NULL || !known_version(version))
    return -EINVAL;
  memset(opts, 0, sizeof(*opts));
  opts->version = version;
  return 0;
}

/* The fields of the caller's struct, one by one as its version has them
 * (versions 0 and 1: the 1.0 fields), never the whole struct: a later
 * library reading an older caller's smaller struct must not read past
 * it.  Fields the caller's version lacks stay at their defaults. */
static void copy_fields(tf_opts *dst, const tf_opts *src) {
  dst->dir = src->dir;
  dst->prefix = src->prefix;
  dst->suffix = src->suffix;
  dst->random_len = src->random_len;
  dst->mode = src->mode;
  dst->flags = src->flags;
  dst->open_flags = src->open_flags;
}

static int check(const tf_opts *o, unsigned allowed_flags, unsigned rules) {
  struct tf__name n;
  if (o->flags & ~allowed_flags)
    return -EINVAL;
  /* Flags that contradict each other (only tf_atomic_* take them). */
  if ((o->flags & TF_SYNC_NONE) && (o->flags & TF_SYNC_DURABLE))
    return -EINVAL;
  if ((o->flags & TF_NOCLOBBER) && (o->flags & TF_MUST_EXIST))
    return -EINVAL;
  if (o->mode & ~07777u)
    return -EINVAL;
  if (o->open_flags & ~TF_OPEN_FLAGS_ALLOWED)
    return -EINVAL;
  if ((rules & TF__OPTS_NO_APPEND) && (o->open_flags & O_APPEND))
    return -EINVAL;
  if ((rules & TF__OPTS_NO_DIRECT) && (o->open_flags & O_DIRECT))
    return -EINVAL;
  if (o->random_len > TF_RANDOM_LEN_MAX)
    return -EINVAL;
  if ((rules & TF__OPTS_AT) && o->dir != NULL)
    return -EINVAL;
  if (o->dir != NULL && o->dir[0] == '\0')
    return -EINVAL;
  if ((rules & TF__OPTS_FIXED_NAME) &&
      (o->prefix != NULL || o->suffix != NULL || o->random_len != 0))
    return -EINVAL;
  /* The defaults always make a valid name: only a chosen one is tried. */
  if ((rules & TF__OPTS_NAME) &&
      (o->prefix != NULL || o->suffix != NULL || o->random_len != 0))
    return tf__name_init(&n, o);
  return 0;
}

int tf__opts_take(tf_opts *dst, const tf_opts *src, unsigned allowed_flags,
                  unsigned rules) {
  tf_opts o = TF_OPTS_INIT;
  int rc;
  if (src != NULL) {
    if (!known_version(src->version))
      return -EINVAL;
    copy_fields(&o, src);
    rc = check(&o, allowed_flags, rules);
    if (rc < 0)
      return rc;
  }
  *dst = o;
  return 0;
}

mode_t tf__opts_mode(const tf_opts *o, mode_t fallback) {
  return o->mode != 0 ? (mode_t)o->mode : fallback;
}
