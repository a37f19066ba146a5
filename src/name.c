/* SPDX-License-Identifier: MIT */
/*
 * name.c - building names of the form prefix + random part + suffix,
 * checking prefix and suffix (opts.c checks the other options) before any
 * side effect, so a bad argument is always -EINVAL with nothing touched,
 * and the default prefix (tempfile.template).  Portable: the loops that
 * create under fresh names are the platforms' (create.c, win/).
 */
#include "core.h"

#include <string.h>

/* The default prefix (Python's tempfile.template), guarded by
 * tf__settings_lock. */
static char default_prefix[201] = "tmp";
/* 0 until tf_settempprefix() is first called: until then the prefix is
 * "tmp" and can be read without the lock (every name needs it). */
static int prefix_changed;

/* The length of s, or -1 if it contains a separator (on Windows also
 * ':'): one pass for both. */
static long length_without_slash(const char *s) {
  const char *p = s;
  for (; *p != '\0'; p++)
    if (tf__name_forbidden(*p))
      return -1;
  return (long)(p - s);
}

int tf__default_prefix(char *buf, size_t size) {
  size_t len;
  int rc;
  if (!__atomic_load_n(&prefix_changed, __ATOMIC_ACQUIRE)) {
    if (size < sizeof("tmp"))
      return -ERANGE;
    memcpy(buf, "tmp", sizeof("tmp"));
    return 3;
  }
  tf__lib_init();
  tf__mutex_lock(&tf__settings_lock);
  len = strlen(default_prefix);
  if (len + 1 > size) {
    rc = -ERANGE;
  } else {
    memcpy(buf, default_prefix, len + 1);
    rc = (int)len;
  }
  tf__mutex_unlock(&tf__settings_lock);
  return rc;
}

int tf_gettempprefix(char *buf, size_t size) {
  if (buf == NULL)
    return -EINVAL;
  return tf__default_prefix(buf, size);
}

int tf_settempprefix(const char *new_prefix) {
  size_t len;
  if (new_prefix == NULL)
    new_prefix = "tmp";
  len = strlen(new_prefix);
  if (len >= sizeof(default_prefix) || length_without_slash(new_prefix) < 0)
    return -EINVAL;
  tf__lib_init();
  tf__mutex_lock(&tf__settings_lock);
  memcpy(default_prefix, new_prefix, len + 1);
  __atomic_store_n(&prefix_changed, 1, __ATOMIC_RELEASE);
  tf__mutex_unlock(&tf__settings_lock);
  return 0;
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

int tf_random_chars(char *buf, size_t n) {
  if (buf == NULL)
    return -EINVAL;
  return tf__random_name(buf, n);
}
