/* SPDX-License-Identifier: MIT */
/*
 * file_win.c - the named temporary file handle (Python's
 * NamedTemporaryFile) on Windows.  The handle keeps a handle of the
 * parent directory, the name under it and the file's identity, so a
 * removal or a publish later reaches the file made and nothing else.
 *
 * Under the default policy (delete on close) the fd's own handle is
 * opened with DELETE access and the file is deleted through it: no name
 * is looked up again.  With TF_KEEP or TF_DELETE_ON_FREE the fd has no
 * DELETE access, so other programs may open the file while it is open
 * without sharing deletion (the point of Python's delete_on_close=False);
 * the later deletion opens it by name relative to the parent handle and
 * checks its identity first.  Windows has no fork(): the process that
 * made a handle is the only one that can use it.
 *
 * A file the handle will delete is registered for cleanup at exit and on
 * signals (registry_win.c) from its creation until it is removed, kept
 * or published; the handle holds its registration while it removes or
 * publishes the file itself, and does nothing more to a file a cleaner
 * removed.
 */
#include "win.h"

#include <fcntl.h>
#include <string.h>

struct tf_file {
  struct tf__w_made made; /* parent, name, path, id (made.h is unused) */
  int fd;                 /* -1 once closed */
  FILE *fp;               /* the stream, once asked for */
  unsigned flags;
  int open_flags;
  int kept;      /* tf_file_keep(), TF_KEEP, or published */
  int published;
  int removed;   /* deleted by the handle, or by a cleaner */
  struct tf__w_life life; /* registered while the file is ours to delete */
};

#define FILE_FLAGS (TF_KEEP | TF_DELETE_ON_FREE | TF_UNTRACKED)

static int deletes_on_close(const tf_file *f) {
  return !(f->flags & (TF_KEEP | TF_DELETE_ON_FREE));
}

/* Recorded in the ledger (for tf_reap()) and registered (for exit and
 * signals) inside the creation's bracket, so that a cleaner on a signal,
 * which waits for creations in flight, finds both or neither. */
static int start_tracking(tf_file *f, unsigned track) {
  if (!(track & TF_UNTRACKED))
    tf__w_ledger_add(f->made.parent->h, f->made.name, f->made.name_len, 0,
                     &f->made.mark);
  return tf__w_life_start(&f->life, track, TF_W_FILE, &f->made);
}

int tf_file_create(tf_file **out, const tf_opts *opts) {
  tf_file *f;
  tf_opts o;
  unsigned track; /* the flags for the registry: a kept file has no part */
  int rc;
  if (out == NULL)
    return -EINVAL;
  rc = tf__opts_take(&o, opts, FILE_FLAGS, TF__OPTS_NAME);
  if (rc < 0)
    return rc;
  f = tf__malloc(sizeof(*f));
  if (f == NULL)
    return -ENOMEM;
  memset(f, 0, sizeof(*f));
  f->flags = o.flags;
  f->open_flags = o.open_flags;
  f->kept = (o.flags & TF_KEEP) != 0;
  track = f->kept ? TF_UNTRACKED : o.flags;
  rc = tf__w_life_enter(track);
  if (rc < 0) {
    tf__freemem(f);
    return rc;
  }
  rc = tf__w_create(&f->made, &o, TF_W_FILE,
                    deletes_on_close(f) ? DELETE : 0, 0, 1);
  if (rc == 0) {
    f->fd = tf__w_made_fd(&f->made, o.open_flags);
    if (f->fd < 0)
      rc = f->fd;
    else
      rc = start_tracking(f, track);
    if (rc < 0) {
      if (f->fd >= 0)
        _close(f->fd);
      tf__w_ledger_drop(&f->made.mark);
      tf__w_remove_made(&f->made);
      tf__w_made_free(&f->made);
    }
  }
  tf__w_life_leave(track);
  if (rc < 0) {
    tf__freemem(f);
    return rc;
  }
  *out = f;
  return 0;
}

int tf_file_fd(const tf_file *f) {
  if (f == NULL)
    return -EINVAL;
  return f->fd >= 0 ? f->fd : -EBADF;
}

const char *tf_file_path(const tf_file *f) {
  return f != NULL ? f->made.path : NULL;
}

int tf_file_stream(tf_file *f, FILE **out) {
  if (f == NULL || out == NULL)
    return -EINVAL;
  if (f->fd < 0)
    return -EBADF;
  if (f->fp == NULL) {
    f->fp = _fdopen(f->fd, (f->open_flags & O_APPEND) ? "a+b" : "r+b");
    if (f->fp == NULL)
      return -ENOMEM;
  }
  *out = f->fp;
  return 0;
}

static int flush_stream(tf_file *f) {
  if (f->fp != NULL && fflush(f->fp) != 0)
    return errno != 0 ? -errno : -EIO;
  return 0;
}

/* Remove the file by name, if it is still the one made: for the
 * policies whose fd could not delete it. */
static int remove_by_name(tf_file *f) {
  int rc = tf__w_life_hold(&f->life) ? 0 : tf__w_remove_made(&f->made);
  if (rc == -ENOENT)
    rc = 0; /* the caller removed it already */
  if (rc == 0 || rc == -ESTALE) {
    f->removed = 1;
    tf__w_life_end(&f->life);
  } else {
    tf__w_life_release(&f->life);
  }
  return rc;
}

int tf_file_close(tf_file *f) {
  int rc = 0, rc2;
  if (f == NULL || f->fd < 0)
    return 0;
  rc = flush_stream(f);
  if (deletes_on_close(f) && !f->kept && !f->removed) {
    /* Through the fd's own handle: exactly the file made (unless a
     * cleaner removed it at exit or in tf_cleanup_all()). */
    if (tf__w_life_hold(&f->life))
      rc2 = 0;
    else
      rc2 = tf__w_unlink_handle(tf__w_handle_of(f->fd));
    if (rc2 == -ENOENT)
      rc2 = 0;
    if (rc2 == 0) {
      f->removed = 1;
      tf__w_life_end(&f->life);
    } else {
      tf__w_life_release(&f->life);
    }
    if (rc == 0)
      rc = rc2;
  }
  rc2 = f->fp != NULL ? fclose(f->fp) : _close(f->fd);
  if (rc2 != 0 && rc == 0)
    rc = -EIO;
  f->fp = NULL;
  f->fd = -1;
  if (f->removed)
    tf__w_ledger_drop(&f->made.mark);
  return rc;
}

int tf_file_keep(tf_file *f) {
  if (f == NULL)
    return -EINVAL;
  f->kept = 1;
  tf__w_life_end(&f->life);
  tf__w_ledger_drop(&f->made.mark);
  return 0;
}

/* The target as an NT path ("\??\C:\dir\name"), which a rename by handle
 * takes, in *out; its Win32 form for the user in *user. */
static int target_paths(const char *target, wchar_t **out, char **user) {
  wchar_t *abs, *nt;
  size_t skip = 0, len;
  int rc = tf__w_abspath(target, &abs);
  if (rc < 0)
    return rc;
  len = (size_t)rc;
  rc = tf__w_path_for_user(abs, len, user);
  if (rc < 0) {
    tf__freemem(abs);
    return rc;
  }
  if (wcsncmp(abs, L"\\\\?\\", 4) == 0)
    skip = 4;
  nt = tf__malloc((4 + len - skip + 1) * sizeof(*nt));
  if (nt == NULL) {
    tf__freemem(abs);
    tf__freemem(*user);
    return -ENOMEM;
  }
  memcpy(nt, L"\\??\\", 4 * sizeof(*nt));
  memcpy(nt + 4, abs + skip, (len - skip + 1) * sizeof(*nt));
  tf__freemem(abs);
  *out = nt;
  return (int)(4 + len - skip);
}

/* Rename the file open at h to the NT path nt (len units). */
static int rename_handle(HANDLE h, const wchar_t *nt, size_t len,
                         int replace) {
  size_t size = sizeof(FILE_RENAME_INFO) + len * sizeof(wchar_t);
  FILE_RENAME_INFO *info = tf__malloc(size);
  int rc = 0;
  if (info == NULL)
    return -ENOMEM;
  memset(info, 0, size);
  info->ReplaceIfExists = replace ? TRUE : FALSE;
  info->RootDirectory = NULL;
  info->FileNameLength = (DWORD)(len * sizeof(wchar_t));
  memcpy(info->FileName, nt, (len + 1) * sizeof(wchar_t));
  if (!SetFileInformationByHandle(h, FileRenameInfo, info, (DWORD)size))
    rc = tf__w_last_err();
  tf__freemem(info);
  return rc;
}

int tf_file_publish(tf_file *f, const char *target, unsigned int mode,
                    unsigned int flags) {
  struct tf__w_id id;
  wchar_t *nt = NULL;
  char *user = NULL;
  HANDLE h;
  int len, rc;
  if (f == NULL || target == NULL || target[0] == '\0' || f->published ||
      (flags & ~TF_NOCLOBBER) || (mode & ~07777u))
    return -EINVAL;
  if (f->removed)
    return -ENOENT;
  rc = flush_stream(f);
  if (rc < 0)
    return rc;
  len = target_paths(target, &nt, &user);
  if (len < 0)
    return len;
  if (tf__w_life_hold(&f->life)) { /* removed at exit or by tf_cleanup_all() */
    f->removed = 1;
    tf__w_life_end(&f->life);
    tf__freemem(nt);
    tf__freemem(user);
    return -ENOENT;
  }
  /* A handle that may rename it, on the very file made. */
  rc = tf__w_open_at(f->made.parent->h, f->made.name, f->made.name_len,
                     DELETE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES, 0,
                     FILE_OPEN, FILE_NON_DIRECTORY_FILE, NULL, &h);
  if (rc == 0) {
    rc = tf__w_id_of(h, &id);
    if (rc == 0 && !tf__w_same(&id, &f->made.id))
      rc = -ENOENT; /* ours was removed and another took the name */
    if (rc == 0 && mode != 0)
      rc = tf__w_set_read_only(h, !(mode & 0200)); /* as _open would */
    if (rc == 0)
      tf__w_ledger_set(&f->made.mark, 0); /* under its final name: no leftover */
    if (rc == 0)
      rc = rename_handle(h, nt, (size_t)len, !(flags & TF_NOCLOBBER));
    if (rc < 0)
      tf__w_ledger_set(&f->made.mark, 1);
    CloseHandle(h);
  }
  tf__freemem(nt);
  if (rc < 0) {
    tf__w_life_release(&f->life);
    tf__freemem(user);
    return rc;
  }
  tf__w_life_end(&f->life);
  tf__freemem(f->made.path);
  f->made.path = user;
  f->published = 1;
  f->kept = 1;
  tf__w_ledger_drop(&f->made.mark);
  return 0;
}

int tf_file_free(tf_file *f) {
  int rc, rc2;
  if (f == NULL)
    return 0;
  rc = tf_file_close(f);
  if ((f->flags & TF_DELETE_ON_FREE) && !f->kept && !f->removed) {
    rc2 = remove_by_name(f);
    if (rc == 0 && rc2 != -ESTALE)
      rc = rc2;
  }
  tf__w_life_end(&f->life); /* also when the delete failed */
  tf__w_ledger_drop(&f->made.mark);
  tf__w_made_free(&f->made);
  tf__freemem(f);
  return rc;
}
