/* SPDX-License-Identifier: MIT */
/*
 * opts.c - tf_opts: its versions and the checks every creating call makes
 * of it, before any side effect, so a bad option is always -EINVAL with
 * nothing touched.
 */
#include "internal.h"

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

int tf__check_opts(const tf_opts *o, unsigned allowed_flags, int is_at) {
  if (o == NULL)
    return 0;
  if (!known_version(o->version))
    return -EINVAL;
  if (o->flags & ~allowed_flags)
    return -EINVAL;
  if (o->mode & ~07777u)
    return -EINVAL;
  if (o->open_flags & ~TF_OPEN_FLAGS_ALLOWED)
    return -EINVAL;
  if (o->random_len > TF_RANDOM_LEN_MAX)
    return -EINVAL;
  if (is_at && o->dir != NULL)
    return -EINVAL;
  if (o->dir != NULL && o->dir[0] == '\0')
    return -EINVAL;
  return 0;
}
