/* SPDX-License-Identifier: MIT */
/*
 * create_win.c - making files and directories under fresh names
 * (Python's mkstemp, mkdtemp, mktemp and TemporaryFile) on Windows, and
 * the one retry loop behind them and the handles.  Everything is made
 * relative to a handle of the directory (NtCreateFile, FILE_CREATE: the
 * O_EXCL of Windows, which also refuses to follow a reparse point at the
 * name), with a handle that no child process inherits, and private to
 * its owner by default (tf__w_sd_for_mode()).
 */
#include "win.h"

#include "../shared.h"

#include <fcntl.h>
#include <string.h>

/* The name (UTF-8, made by tf__name_next) as UTF-16 in the parent. */
static int next_name(const struct tf__name *n, char *buf, wchar_t **w) {
  int rc = tf__name_next(n, buf);
  if (rc < 0)
    return rc;
  return tf__w_widen(buf, (size_t)-1, w);
}

/* "dir\name" for the user, UTF-8. */
static int join_for_user(const wchar_t *dir, size_t dir_len,
                         const wchar_t *name, size_t name_len, char **out) {
  wchar_t *full = tf__malloc((dir_len + 1 + name_len + 1) * sizeof(*full));
  size_t at = dir_len;
  int rc;
  if (full == NULL)
    return -ENOMEM;
  memcpy(full, dir, dir_len * sizeof(*full));
  if (at == 0 || (full[at - 1] != L'\\' && full[at - 1] != L'/'))
    full[at++] = L'\\';
  memcpy(full + at, name, name_len * sizeof(*full));
  full[at + name_len] = L'\0';
  rc = tf__w_path_for_user(full, at + name_len, out);
  tf__freemem(full);
  return rc;
}

static int create_under(struct tf__w_made *m, HANDLE parent,
                        const struct tf__name *n, enum tf__w_kind kind,
                        mode_t mode, ACCESS_MASK access, ULONG options) {
  char buf[NAME_MAX + 1];
  void *sd = tf__w_sd_for_mode(mode);
  ULONG attrs;
  int attempt, rc = -EEXIST;
  if (sd == NULL && (mode & 077) == 0)
    return -ENOMEM; /* a private object, and no way to make it private */
  if (kind == TF_W_FILE) {
    access |= GENERIC_READ | GENERIC_WRITE;
    options |= FILE_NON_DIRECTORY_FILE;
    attrs = tf__w_attrs_for_mode(mode);
  } else {
    access |= FILE_LIST_DIRECTORY | FILE_TRAVERSE | FILE_READ_ATTRIBUTES;
    options |= FILE_DIRECTORY_FILE;
    attrs = FILE_ATTRIBUTE_NORMAL;
  }
  if (options & FILE_DELETE_ON_CLOSE) {
    /* An unnamed file: kept in memory while the cache allows; no one can
     * open it by name, so a read-only attribute would mean nothing (and
     * the system refuses it with FILE_DELETE_ON_CLOSE). */
    access |= DELETE;
    attrs = FILE_ATTRIBUTE_TEMPORARY;
  }
  for (attempt = 0; attempt < TF_ATTEMPTS && rc == -EEXIST; attempt++) {
    wchar_t *name;
    int len = next_name(n, buf, &name);
    if (len < 0)
      return len;
    rc = tf__w_open_at(parent, name, (size_t)len, access, attrs, FILE_CREATE,
                       options, sd, &m->h);
    if (rc == 0) {
      m->name = name;
      m->name_len = (size_t)len;
      return 0;
    }
    tf__freemem(name);
  }
  return rc;
}

int tf__w_create(struct tf__w_made *m, const tf_opts *o, enum tf__w_kind kind,
                 ACCESS_MASK access, ULONG options, int want_id) {
  struct tf__w_made made = {0};
  struct tf__name n;
  mode_t mode = tf__opts_mode(o, kind == TF_W_FILE ? 0600 : 0700);
  int rc = tf__name_init(&n, o);
  if (rc < 0)
    return rc;
  rc = tf__w_anchor_get(o, &made.parent);
  if (rc < 0)
    return rc;
  rc = create_under(&made, made.parent->h, &n, kind, mode, access, options);
  if (rc == -ENOENT && made.parent->shared) {
    /* The temporary directory went away since it was opened: once more,
     * in the directory its path names now. */
    tf__w_anchor_stale(made.parent);
    tf__w_anchor_put(made.parent);
    made.parent = NULL;
    rc = tf__w_anchor_get(o, &made.parent);
    if (rc == 0)
      rc = create_under(&made, made.parent->h, &n, kind, mode, access,
                        options);
  }
  if (rc == 0 && kind == TF_W_FILE && !(mode & 0200) &&
      !(options & FILE_DELETE_ON_CLOSE))
    /* As _open makes it; set again through the handle because Wine
     * drops the attribute when a security descriptor comes with it. */
    rc = tf__w_set_read_only(made.h, 1);
  if (rc == 0 && want_id) {
    rc = tf__w_id_of(made.h, &made.id);
    made.has_id = rc == 0;
  }
  if (rc == 0)
    rc = join_for_user(made.parent->path, made.parent->len, made.name,
                       made.name_len, &made.path);
  if (rc < 0 && made.h != NULL && tf__w_unlink_handle(made.h) < 0) {
    /* Its handle has no DELETE access: by name (checked where known). */
    CloseHandle(made.h);
    made.h = NULL;
    (void)tf__w_remove_made(&made);
  }
  if (rc < 0)
    tf__w_made_free(&made);
  else
    *m = made;
  return rc < 0 ? rc : 0;
}

void tf__w_made_free(struct tf__w_made *m) {
  if (m->h != NULL)
    CloseHandle(m->h);
  tf__w_anchor_put(m->parent);
  tf__freemem(m->name);
  tf__freemem(m->path);
  memset(m, 0, sizeof(*m));
}

int tf__w_remove_made(struct tf__w_made *m) {
  HANDLE h;
  struct tf__w_id id;
  int rc = tf__w_open_at(m->parent->h, m->name, m->name_len,
                         DELETE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES,
                         0, FILE_OPEN, 0, NULL, &h);
  if (rc < 0)
    return rc;
  rc = m->has_id ? tf__w_id_of(h, &id) : 0;
  if (rc == 0 && m->has_id && !tf__w_same(&id, &m->id))
    rc = -ESTALE; /* another object took the name: not ours to remove */
  if (rc == 0)
    rc = tf__w_unlink_handle(h);
  CloseHandle(h);
  return rc;
}

/* The C runtime's flags for the fd of a file opened with open_flags. */
static int crt_flags(int open_flags) {
  return (open_flags & O_APPEND) ? _O_APPEND : 0;
}

int tf__w_made_fd(struct tf__w_made *m, int open_flags) {
  int fd = tf__w_fd_for(m->h, crt_flags(open_flags));
  m->h = NULL; /* the fd owns it now, or it was closed */
  return fd;
}

int tf_mkstemp(char **path_out, const tf_opts *opts) {
  struct tf__w_made m;
  tf_opts o;
  int rc, fd;
  if (path_out == NULL)
    return -EINVAL;
  rc = tf__opts_take(&o, opts, 0, TF__OPTS_NAME);
  if (rc == 0)
    rc = tf__w_create(&m, &o, TF_W_FILE, 0, 0, 0);
  if (rc < 0)
    return rc;
  fd = tf__w_made_fd(&m, o.open_flags);
  if (fd < 0) {
    tf__w_remove_made(&m);
  } else {
    *path_out = m.path;
    m.path = NULL;
  }
  tf__w_made_free(&m);
  return fd;
}

int tf_mkdtemp(char **path_out, const tf_opts *opts) {
  struct tf__w_made m;
  tf_opts o;
  int rc;
  if (path_out == NULL)
    return -EINVAL;
  rc = tf__opts_take(&o, opts, 0, TF__OPTS_NAME);
  if (rc == 0)
    rc = tf__w_create(&m, &o, TF_W_DIR, 0, 0, 0);
  if (rc < 0)
    return rc;
  *path_out = m.path;
  m.path = NULL;
  tf__w_made_free(&m);
  return 0;
}

/* As Python's mktemp: a name is taken only when something is found under
 * it; any other answer makes it free. */
static int taken(const wchar_t *dir, size_t dir_len, const wchar_t *name,
                 size_t name_len, char **path) {
  wchar_t *w;
  int rc = join_for_user(dir, dir_len, name, name_len, path);
  if (rc < 0)
    return rc;
  rc = tf__w_abspath(*path, &w);
  if (rc < 0)
    return rc == -ENOMEM ? rc : 0;
  rc = GetFileAttributesW(w) != INVALID_FILE_ATTRIBUTES;
  tf__freemem(w);
  return rc;
}

int tf_mktemp(char **path_out, const tf_opts *opts) {
  struct tf__name n;
  char buf[NAME_MAX + 1];
  wchar_t *dir = NULL;
  tf_opts o;
  int dir_len, rc, attempt;
  if (path_out == NULL)
    return -EINVAL;
  rc = tf__opts_take(&o, opts, 0, TF__OPTS_NAME);
  if (rc == 0)
    rc = tf__name_init(&n, &o);
  if (rc < 0)
    return rc;
  dir_len = tf__w_resolve_dir(&o, &dir);
  if (dir_len < 0)
    return dir_len;
  rc = -EEXIST;
  for (attempt = 0; attempt < TF_ATTEMPTS && rc == -EEXIST; attempt++) {
    wchar_t *name;
    char *path = NULL;
    int len = next_name(&n, buf, &name);
    if (len < 0) {
      rc = len;
      break;
    }
    rc = taken(dir, (size_t)dir_len, name, (size_t)len, &path);
    tf__freemem(name);
    if (rc == 0) {
      *path_out = path;
      break;
    }
    tf__freemem(path);
    if (rc == 1)
      rc = -EEXIST;
  }
  tf__freemem(dir);
  return rc;
}

/* The shared files' unnamed file (shared.h), for options already taken.
 * Windows has no *at form, so is_at is never set and dirfd is unused. */
int tf__tmpfile(int dirfd, int is_at, const tf_opts *o) {
  struct tf__w_made m;
  int rc, fd;
  (void)dirfd;
  (void)is_at;
  /* Deleted when its last handle closes, also when the process is
   * killed; a temporary file, kept in memory where the cache allows. */
  rc = tf__w_create(&m, o, TF_W_FILE, DELETE, FILE_DELETE_ON_CLOSE, 0);
  if (rc < 0)
    return rc;
  /* Where the file system has POSIX semantics the name goes now, as
   * O_TMPFILE's never exists; elsewhere it stays until the close. */
  (void)tf__w_unlink_handle(m.h);
  fd = tf__w_made_fd(&m, o->open_flags);
  tf__w_made_free(&m);
  return fd;
}

int tf_tmpfile(const tf_opts *opts) {
  tf_opts o;
  int rc = tf__opts_take(&o, opts, 0, TF__OPTS_NAME);
  return rc < 0 ? rc : tf__tmpfile(-1, 0, &o);
}
