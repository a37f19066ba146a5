/* SPDX-License-Identifier: MIT */
/*
 * path.c - joining a directory and a name, and making a path absolute.
 * Pure string work (and getcwd), below every file that builds paths
 * (create.c, tempdir.c, the handles), so none of them calls another for
 * it.
 */
#include "internal.h"

#include <string.h>

size_t tf__head_len(const char *dir, size_t dir_len) {
  return dir_len + (dir_len > 0 && dir[dir_len - 1] != '/');
}

size_t tf__write_head(char *out, const char *dir, size_t dir_len) {
  size_t head = tf__head_len(dir, dir_len);
  memcpy(out, dir, dir_len);
  if (head > dir_len)
    out[dir_len] = '/';
  return head;
}

/* Append component [s, s+len) to out (length *used).  "." is dropped;
 * ".." is kept, because after a symlink it means the link target's
 * parent, which only the kernel can resolve (os.path.abspath resolves it
 * by text and can name a different directory than the one opened). */
static int append_component(char *out, size_t size, size_t *used,
                            const char *s, size_t len) {
  if (len == 0 || (len == 1 && s[0] == '.'))
    return 0;
  if (*used + (*used > 1) + len + 1 > size)
    return -ENAMETOOLONG;
  if (*used > 1)
    out[(*used)++] = '/';
  memcpy(out + *used, s, len);
  *used += len;
  out[*used] = '\0';
  return 0;
}

static int append_path(char *out, size_t size, size_t *used, const char *p) {
  while (*p) {
    const char *end = strchr(p, '/');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    int rc = append_component(out, size, used, p, len);
    if (rc < 0)
      return rc;
    p += len;
    while (*p == '/')
      p++;
  }
  return 0;
}

/* Write the absolute form of path to out.  An absolute path is used as
 * given, less trailing slashes (the kernel resolves the rest, as it will
 * for every use of it); a relative one is joined to the current directory
 * with "." components and repeated slashes dropped.  Returns the length
 * or -errno. */
int tf__abspath(const char *path, char *out, size_t size) {
  char cwd[PATH_MAX];
  size_t used = 1, len = strlen(path);
  int rc;
  if (path[0] == '/') {
    while (len > 1 && path[len - 1] == '/')
      len--;
    if (len + 1 > size)
      return -ENAMETOOLONG;
    memcpy(out, path, len);
    out[len] = '\0';
    return (int)len;
  }
  if (size < 2)
    return -ENAMETOOLONG;
  if (tf__sys.getcwd(cwd, sizeof(cwd)) != 0)
    return -errno;
  out[0] = '/';
  out[1] = '\0';
  rc = append_path(out, size, &used, cwd);
  if (rc == 0)
    rc = append_path(out, size, &used, path);
  return rc < 0 ? rc : (int)used;
}
