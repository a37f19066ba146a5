/* SPDX-License-Identifier: MIT */
/*
 * handle.c - the one creation path of the handles that own a named object
 * (tf_file, tf_dir): take the options, prepare the name, take the
 * directory the handle will anchor on (shared, anchor.c), allocate the
 * path it reports, and bracket the making for the registry.  file.c and dir.c only say how to
 * make their object and fill their handle (their build function).
 */
#include "internal.h"

int tf__dup_anchor(int dirfd) {
  int fd = dirfd == AT_FDCWD ? tf__sys.openat(AT_FDCWD, ".", TF_O_DIRANCHOR, 0)
                             : tf__sys.fcntl_dupfd(dirfd);
  return fd >= 0 ? fd : -errno;
}

/* The anchor, and (*dir, *dir_len) its path as the handle reports it
 * ("" for the *at forms); buf has PATH_MAX bytes. */
static int take_anchor(const tf_opts *o, int dirfd, int is_at, char *buf,
                       const char **dir, size_t *dir_len,
                       struct tf__anchor **out) {
  int fd, len, rc;
  if (is_at) {
    *dir = "";
    *dir_len = 0;
    fd = tf__dup_anchor(dirfd);
    if (fd < 0)
      return fd;
    rc = tf__anchor_own(fd, out);
    if (rc < 0)
      tf__close_quiet(fd);
    return rc;
  }
  len = tf__resolve_dir(o, buf, PATH_MAX, dir);
  if (len < 0)
    return len;
  *dir_len = (size_t)len;
  return tf__anchor_get(*dir, *dir_len, o->dir != NULL, out);
}

/* Build in the directory; if the temporary directory's anchor, used
 * unchecked, finds its directory removed (ENOENT), open it anew once. */
static int build_in(void *out, struct tf__place *p, int is_at,
                    tf__build_fn build) {
  int rc = build(out, p);
  if (rc == -ENOENT && !is_at && p->o->dir == NULL) {
    struct tf__anchor *a;
    size_t len = (size_t)(p->name - p->path);
    if (len > 1)
      len--; /* the slash */
    tf__anchor_forget(p->anchor);
    if (tf__anchor_get(p->path, len, 0, &a) == 0) {
      tf__anchor_put(p->anchor);
      p->anchor = a;
      rc = build(out, p);
    }
  }
  return rc;
}

static int create_handle(void *out, int dirfd, int is_at, const tf_opts *opts,
                         unsigned allowed_flags, tf__build_fn build) {
  struct tf__place p;
  struct tf__name n;
  struct tf__creation c;
  tf_opts o;
  char buf[PATH_MAX];
  const char *dir;
  size_t dir_len, head;
  int rc, tracked;

  if (out == NULL)
    return -EINVAL;
  rc = tf__opts_take(&o, opts, allowed_flags, is_at ? TF__OPTS_AT : 0);
  if (rc < 0)
    return rc;
  rc = tf__name_init(&n, &o);
  if (rc < 0)
    return rc;
  tf__lib_init();
  rc = take_anchor(&o, dirfd, is_at, buf, &dir, &dir_len, &p.anchor);
  if (rc < 0)
    return rc;
  head = tf__head_len(dir, dir_len);
  p.path = NULL;
  rc = -ENAMETOOLONG;
  if (head + tf__name_len(&n) + 1 <= PATH_MAX) {
    p.path = tf__malloc(head + tf__name_len(&n) + 1);
    rc = p.path != NULL ? 0 : -ENOMEM;
  }
  if (rc == 0) {
    p.name = p.path + tf__write_head(p.path, dir, dir_len);
    p.n = &n;
    p.o = &o;
    tracked = !(o.flags & (TF_KEEP | TF_UNTRACKED));
    rc = tf__track_begin(tracked, &c);
    if (rc == 0) {
      rc = build_in(out, &p, is_at, build);
      tf__track_end(tracked, &c);
    }
  }
  if (rc < 0) {
    tf__freemem(p.path);
    tf__anchor_put(p.anchor);
  }
  return rc;
}

/* One pid for the whole creation (name, owner, registry, ledger). */
int tf__handle_create(void *out, int dirfd, int is_at, const tf_opts *opts,
                      unsigned allowed_flags, tf__build_fn build) {
  pid_t outer = tf__pid_scope_begin();
  int rc = create_handle(out, dirfd, is_at, opts, allowed_flags, build);
  tf__pid_scope_end(outer);
  return rc;
}
