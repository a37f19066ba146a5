/* SPDX-License-Identifier: MIT */
/*
 * name.c - building names of the form prefix + random part + suffix, and
 * checking prefix and suffix (opts.c checks the other options), before any
 * side effect, so a bad argument is always -EINVAL with nothing touched.
 */
#include "internal.h"

#include <string.h>

/* The length of s, or -1 if it contains a '/': one pass for both. */
static long length_without_slash(const char *s) {
  const char *p = s;
  for (; *p != '\0'; p++)
    if (*p == '/')
      return -1;
  return (long)(p - s);
}

int tf__name_init(struct tf__name *n, const tf_opts *o) {
  const char *prefix = o ? o->prefix : NULL;
  const char *suffix = o && o->suffix ? o->suffix : "";
  unsigned random_len = o && o->random_len ? o->random_len
                                            : TF_RANDOM_LEN_DEFAULT;
  long prefix_len, suffix_len;

  if (prefix == NULL) {
    int len = tf__default_prefix(n->prefix_buf, sizeof(n->prefix_buf));
    if (len < 0)
      return len;
    prefix = n->prefix_buf;
  }
  prefix_len = length_without_slash(prefix);
  suffix_len = length_without_slash(suffix);
  if (prefix_len < 0 || suffix_len < 0)
    return -EINVAL;
  n->prefix = prefix;
  n->prefix_len = (size_t)prefix_len;
  n->suffix = suffix;
  n->suffix_len = (size_t)suffix_len;
  n->random_len = random_len;
  if (n->prefix_len + n->random_len + n->suffix_len > NAME_MAX)
    return -EINVAL;
  return 0;
}

size_t tf__name_len(const struct tf__name *n) {
  return n->prefix_len + n->random_len + n->suffix_len;
}

/* Write the next candidate name (NUL-terminated) to out, which has room
 * for tf__name_len(n) + 1 bytes. */
int tf__name_next(const struct tf__name *n, char *out) {
  int rc;
  memcpy(out, n->prefix, n->prefix_len);
  rc = tf__random_name(out + n->prefix_len, n->random_len);
  if (rc < 0)
    return rc;
  memcpy(out + n->prefix_len + n->random_len, n->suffix, n->suffix_len);
  out[tf__name_len(n)] = '\0';
  return 0;
}
