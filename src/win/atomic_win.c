/* SPDX-License-Identifier: MIT */
/*
 * atomic_win.c - atomic replacement of a file on Windows (tf_atomic,
 * tf_write_file).  The new contents go to a hidden sibling,
 * "." NAME ".tf-" RANDOM, created relative to a handle of the target's
 * directory (the anchor: a later chdir, or a rename of the path above
 * it, changes nothing), and take the target's name at commit in one
 * rename made by handle, never through the temporary name.
 *
 * A killed writer leaves nothing.  Where the volume has hard links (NTFS,
 * ReFS, and everywhere until a volume refuses one) the hidden file is created with FILE_DELETE_ON_CLOSE, so the
 * system deletes its name whenever its last handle closes, also when the
 * process dies; commit gives the file the target's name as a second
 * link (FileLinkInformation, replacing the target in one step as a
 * rename does), and the close then takes the hidden name away: a kill
 * at any moment leaves the old file or the new one and nothing else.
 * Elsewhere (FAT, exFAT, and where a link is refused at commit, after a
 * copy) the hidden file is marked for deletion with the classic
 * disposition right after its creation (the name stays, writes still
 * work), and commit clears the mark just before a rename: a kill inside
 * one of those two windows of one system call each leaves the hidden
 * file, as the header allows; never a harmed target.
 * TF_UNTRACKED changes nothing: the hidden file is not registered for
 * cleanup at exit or on signals (registry_win.c), as it ends with its
 * handle, which the system closes when the process ends, however it ends.
 *
 * The link or rename is the Ex class with POSIX semantics where the
 * system has it (Windows 10 1709+ on NTFS: a target that readers hold
 * open with FILE_SHARE_DELETE is replaced, and they keep reading the old
 * file), else the classic FileRenameInformation, under which any open
 * handle of the target refuses the rename: such a target, like one held
 * without FILE_SHARE_DELETE, is retried for about a second and then
 * reported as -EBUSY, untouched.
 *
 * Unlike POSIX: TF_MUST_EXIST is a check just before the rename (Windows
 * can not exchange two names), so a target removed between the two is
 * created; a dangling symbolic link gives -ENOENT (its text is not
 * read); a stream write that failed earlier fails the commit with -EIO
 * (the C runtime's stdio keeps no errno).
 */
#include "win.h"

#include <aclapi.h>
#include <fcntl.h>
#include <string.h>

#define TF_ATOMIC_FLAGS                                                      \
  (TF_NOCLOBBER | TF_SYNC_NONE | TF_SYNC_DURABLE | TF_SYNC_ONLY_EXISTING |   \
   TF_REPLACE_LINK | TF_MUST_EXIST | TF_STRICT_OWNER | TF_UNTRACKED)

/* Hidden names: "." + the target's first HIDDEN_NAME_KEEP units + ".tf-"
 * + HIDDEN_RANDOM characters: at most 255 UTF-16 units. */
#define HIDDEN_NAME_KEEP 238
#define HIDDEN_TAG L".tf-"
#define HIDDEN_TAG_LEN 4
#define HIDDEN_RANDOM 12
#define NAME_UNITS_MAX 255

/* A target held open is retried this long in all (doubling sleeps from
 * 1 ms, at most BUSY_STEP_MAX_MS each) before -EBUSY. */
#define BUSY_WAIT_MS 1000
#define BUSY_STEP_MAX_MS 100

/* The target's attributes the new file takes (read-only is added only
 * at commit: see publish()). */
#define COPIED_ATTRS                                                         \
  (FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM | FILE_ATTRIBUTE_ARCHIVE |  \
   FILE_ATTRIBUTE_NOT_CONTENT_INDEXED)

/* The root of a path that names a volume ("C:\\", "\\\\server\\share\\"),
 * kept up to this many units (a longer one is cut: see links_refused). */
#define ROOT_UNITS_MAX 63

/* NT's FILE_RENAME_INFORMATION(_EX): classic ReplaceIfExists is the low
 * byte of the Ex flags. */
#define NT_FILE_RENAME_INFORMATION ((FILE_INFORMATION_CLASS)10)
#define NT_FILE_RENAME_INFORMATION_EX ((FILE_INFORMATION_CLASS)65)
/* FILE_LINK_INFORMATION(_EX): the same layout and flags. */
#define NT_FILE_LINK_INFORMATION ((FILE_INFORMATION_CLASS)11)
#define NT_FILE_LINK_INFORMATION_EX ((FILE_INFORMATION_CLASS)72)
#define RENAME_REPLACE_IF_EXISTS 0x1
#define RENAME_POSIX_SEMANTICS 0x2
#define RENAME_IGNORE_READONLY_ATTRIBUTE 0x40
#define TF_STATUS_NOT_IMPLEMENTED ((NTSTATUS)0xC0000002L)
#define TF_STATUS_INVALID_INFO_CLASS ((NTSTATUS)0xC0000003L)
#define TF_STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#define TF_STATUS_NOT_SUPPORTED ((NTSTATUS)0xC00000BBL)

struct rename_info {
  ULONG flags;
  HANDLE root;
  ULONG name_bytes;
  WCHAR name[NAME_UNITS_MAX + 1];
};
/* The system's own FILE_RENAME_INFORMATION, one unit of name: the least
 * length NtSetInformationFile accepts (24 bytes on x86-64), more than a
 * one-character name's offsetof + 2. */
struct rename_info_min {
  ULONG flags;
  HANDLE root;
  ULONG name_bytes;
  WCHAR name[1];
};

enum atomic_state { OPEN, COMMITTED, ABORTED };

struct tf_atomic {
  HANDLE dir;      /* the anchor: the target's directory */
  HANDLE h;        /* the hidden file; owned by fd */
  int fd;          /* the C runtime fd on h; -1 once closed */
  FILE *fp;        /* owns fd once tf_atomic_stream() made it */
  unsigned int flags;
  int sync_file, sync_dir;
  int readonly;    /* the new file gets the read-only attribute */
  int linked;      /* delete-on-close hidden file, linked at commit */
  wchar_t root[ROOT_UNITS_MAX + 1]; /* the target's volume, by its root */
  enum atomic_state state;
  size_t name_len;
  wchar_t name[NAME_UNITS_MAX + 1]; /* the target's name in dir */
};

/* 1 once the system said it has no FileRenameInformationEx (index 0),
 * FileLinkInformationEx (1) at all. */
static volatile LONG no_ex_class[2];

int tf__w_atomic_mode;
int tf__w_atomic_links_refused;

/* The volumes where a link was refused at commit (FAT, exFAT, some
 * network shares), by the root of the path: there the hidden file is
 * marked from the start, with no copy at commit.  Asking the volume
 * instead would cost a query per replacement (0.5 ms under Wine, where
 * links work although it reports none); a wrong answer costs only time
 * or the marked way's windows, never the target. */
static tf__mutex refused_lock = TF__MUTEX_INIT;
static wchar_t refused[8][ROOT_UNITS_MAX + 1];
static unsigned refused_count;

static int links_refused(const wchar_t *root) {
  unsigned i;
  int found = 0;
  tf__mutex_lock(&refused_lock);
  for (i = 0; i < refused_count && i < 8 && !found; i++)
    found = wcscmp(refused[i], root) == 0;
  tf__mutex_unlock(&refused_lock);
  return found;
}

static void refuse_links(const wchar_t *root) {
  if (links_refused(root))
    return;
  tf__mutex_lock(&refused_lock);
  wcscpy(refused[refused_count++ % 8], root);
  tf__mutex_unlock(&refused_lock);
}

/* The root of the absolute path full: the drive ("C:\\"), the share
 * ("\\\\server\\share\\", also after \\\\?\\UNC\\), or the volume name. */
static void path_root(const wchar_t *full, wchar_t *root) {
  size_t at = 0, seps = 0, want = 1;
  if (wcsncmp(full, L"\\\\?\\UNC\\", 8) == 0)
    at = 8, want = 2;
  else if (wcsncmp(full, L"\\\\?\\", 4) == 0)
    at = 4;
  else if (full[0] == L'\\' && full[1] == L'\\')
    at = 2, want = 2;
  while (full[at] != L'\0' && at < ROOT_UNITS_MAX && seps < want)
    seps += full[at++] == L'\\';
  memcpy(root, full, at * sizeof(wchar_t));
  root[at] = L'\0';
}

/* Whether the hidden file ends by a link (tests may choose). */
static int ends_by_link(const wchar_t *root) {
  if (tf__w_atomic_mode != 0)
    return tf__w_atomic_mode == 2;
  return !links_refused(root);
}

/* ------------------------------------------------------------ the target */

/* Where the new file goes and what it replaces. */
struct target {
  HANDLE dir;   /* anchor, owned until handed to the tf_atomic */
  HANDLE meta;  /* the file lending attributes and DACL, or NULL */
  int present;  /* something is at the name */
  DWORD attrs;  /* meta's attributes */
  int64_t size; /* meta's size */
  size_t name_len;
  wchar_t name[NAME_UNITS_MAX + 1];
  wchar_t root[ROOT_UNITS_MAX + 1]; /* its volume, by the path's root */
};

static void target_release(struct target *t) {
  if (t->meta != NULL)
    CloseHandle(t->meta);
  if (t->dir != NULL)
    CloseHandle(t->dir);
  t->meta = t->dir = NULL;
}

/* Anchor t on the directory part of full (len units, absolute) and take
 * the last component as the name. */
static int anchor_on(struct target *t, wchar_t *full, size_t len) {
  size_t cut, base = tf__w_basename_at(full, len);
  wchar_t saved;
  int rc;
  if (base == len)
    return -EISDIR; /* "dir\": names a directory */
  if (len - base > NAME_UNITS_MAX)
    return -ENAMETOOLONG;
  /* The directory without its last separator ("C:\dir\file" would
   * be refused as a name), but for a drive's root ("C:\"). */
  cut = base >= 2 && full[base - 2] != L':' ? base - 1 : base;
  saved = full[cut];
  full[cut] = L'\0';
  rc = tf__w_open_dir(full, &t->dir);
  full[cut] = saved;
  if (rc < 0)
    return rc;
  t->name_len = len - base;
  memcpy(t->name, full + base, t->name_len * sizeof(wchar_t));
  t->name[t->name_len] = L'\0';
  path_root(full, t->root);
  return 0;
}

/* Read attributes and size of the file open at h into t (as its meta). */
static int take_meta(struct target *t, HANDLE h) {
  FILE_STANDARD_INFO std;
  FILE_BASIC_INFO basic;
  if (!GetFileInformationByHandleEx(h, FileBasicInfo, &basic, sizeof(basic)) ||
      !GetFileInformationByHandleEx(h, FileStandardInfo, &std, sizeof(std))) {
    int rc = tf__w_last_err();
    CloseHandle(h);
    return rc;
  }
  if (basic.FileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
    CloseHandle(h);
    return -EISDIR;
  }
  t->meta = h;
  t->attrs = basic.FileAttributes;
  t->size = std.EndOfFile.QuadPart;
  return 0;
}

/* Open what full names, following links, to read its metadata and
 * security. */
static int open_followed(const wchar_t *full, HANDLE *out) {
  HANDLE h = CreateFileW(full, FILE_READ_ATTRIBUTES | READ_CONTROL,
                         TF_W_SHARE_ALL, NULL, OPEN_EXISTING,
                         FILE_FLAG_BACKUP_SEMANTICS, NULL);
  if (h == INVALID_HANDLE_VALUE)
    return tf__w_last_err();
  *out = h;
  return 0;
}

/* The final path of the file open at h (\\?\ form), malloc'd. */
static int final_path(HANDLE h, wchar_t **out) {
  DWORD n = GetFinalPathNameByHandleW(h, NULL, 0, FILE_NAME_NORMALIZED);
  wchar_t *w;
  if (n == 0)
    return tf__w_last_err();
  w = tf__malloc((size_t)n * sizeof(*w));
  if (w == NULL)
    return -ENOMEM;
  n = GetFinalPathNameByHandleW(h, w, n, FILE_NAME_NORMALIZED);
  if (n == 0) {
    tf__freemem(w);
    return tf__w_last_err();
  }
  *out = w;
  return (int)n;
}

/* A link at t's name: followed, t is re-anchored on the directory of the
 * file it finally names, which lends its metadata.  A dangling link
 * gives -ENOENT (Windows has no portable way to read where it points),
 * a link to a directory -EISDIR. */
static int follow_link(struct target *t, const wchar_t *full) {
  wchar_t *final = NULL;
  HANDLE h = NULL;
  int len, rc = open_followed(full, &h);
  if (rc < 0)
    return rc;
  len = final_path(h, &final);
  if (len < 0) {
    CloseHandle(h);
    return len;
  }
  CloseHandle(t->dir);
  t->dir = NULL;
  rc = anchor_on(t, final, (size_t)len);
  tf__freemem(final);
  if (rc < 0) {
    CloseHandle(h);
    return rc;
  }
  return take_meta(t, h);
}

/* The link itself is replaced: the file it names, if it is one, lends
 * its metadata; a dangling link lends nothing. */
static int meta_through_link(struct target *t, const wchar_t *full) {
  HANDLE h = NULL;
  int rc = open_followed(full, &h);
  if (rc == -ENOENT)
    return 0;
  if (rc < 0)
    return rc;
  rc = take_meta(t, h);
  return rc == -EISDIR ? 0 : rc;
}

/* Find what path names: t's anchor and name, and what is there. */
static int target_open(struct target *t, const char *path, int follow) {
  struct tf__w_id id;
  wchar_t *full = NULL;
  HANDLE h = NULL;
  int len, rc;
  memset(t, 0, sizeof(*t));
  len = tf__w_abspath(path, &full);
  if (len < 0)
    return len;
  rc = anchor_on(t, full, (size_t)len);
  if (rc == 0)
    rc = tf__w_open_at(t->dir, t->name, t->name_len,
                       FILE_READ_ATTRIBUTES | READ_CONTROL, 0, FILE_OPEN, 0,
                       NULL, &h);
  if (rc == -ENOENT) { /* nothing there: a new file */
    tf__freemem(full);
    return t->dir != NULL ? 0 : rc;
  }
  if (rc == 0) {
    rc = tf__w_id_of(h, &id);
    t->present = 1;
    if (rc < 0) {
      CloseHandle(h);
    } else if (!TF_W_IS_LINK(id.attributes)) {
      rc = take_meta(t, h);
    } else {
      CloseHandle(h);
      if (id.attributes & FILE_ATTRIBUTE_DIRECTORY)
        rc = -EISDIR; /* a directory link or junction: never a file's place */
      else if (follow)
        rc = follow_link(t, full);
      else
        rc = meta_through_link(t, full);
    }
  }
  tf__freemem(full);
  if (rc < 0)
    target_release(t);
  return rc;
}

/* ------------------------------------------------------ the hidden file */

/* Mark (or unmark) the file open at h for deletion when its last handle
 * closes: the classic disposition, which keeps the name meanwhile. */
static int set_delete_mark(HANDLE h, BOOLEAN on) {
  FILE_DISPOSITION_INFO d;
  d.DeleteFile = on;
  if (!SetFileInformationByHandle(h, FileDispositionInfo, &d, sizeof(d)))
    return tf__w_last_err();
  return 0;
}

/* "." NAME ".tf-" RANDOM in out (NAME_UNITS_MAX + 1 units); its length. */
static int hidden_name(const struct target *t, wchar_t *out) {
  char random[HIDDEN_RANDOM];
  size_t i, at = 0, keep = t->name_len;
  int rc = tf__random_name(random, sizeof(random));
  if (rc < 0)
    return rc;
  if (keep > HIDDEN_NAME_KEEP) {
    keep = HIDDEN_NAME_KEEP;
    if (IS_HIGH_SURROGATE(t->name[keep - 1]))
      keep--; /* never half a character */
  }
  out[at++] = L'.';
  memcpy(out + at, t->name, keep * sizeof(wchar_t));
  at += keep;
  memcpy(out + at, HIDDEN_TAG, HIDDEN_TAG_LEN * sizeof(wchar_t));
  at += HIDDEN_TAG_LEN;
  for (i = 0; i < HIDDEN_RANDOM; i++)
    out[at++] = (wchar_t)(unsigned char)random[i];
  out[at] = L'\0';
  return (int)at;
}

/* Create the hidden file in t's directory, deleted with its last handle:
 * by FILE_DELETE_ON_CLOSE when linked, else by the classic mark.  One
 * that replaces a file is private until it has the file's DACL. */
static int create_hidden(const struct target *t, mode_t mode, int linked,
                         HANDLE *out) {
  ACCESS_MASK access = GENERIC_READ | GENERIC_WRITE | DELETE | WRITE_DAC |
                       FILE_WRITE_ATTRIBUTES;
  wchar_t tmp[NAME_UNITS_MAX + 1];
  void *sd;
  ULONG attrs = FILE_ATTRIBUTE_NORMAL;
  HANDLE h = NULL;
  int attempt, len, rc = -EEXIST;
  if (t->meta != NULL) {
    sd = tf__w_private_sd();
    access |= WRITE_OWNER; /* the private DACL grants it: see copy_owner */
    if (t->attrs & COPIED_ATTRS)
      attrs = t->attrs & COPIED_ATTRS;
  } else {
    sd = tf__w_sd_for_mode(mode);
  }
  if (sd == NULL && (t->meta != NULL || (mode & 077) == 0))
    return -ENOMEM;
  for (attempt = 0; attempt < TF_ATTEMPTS && rc == -EEXIST; attempt++) {
    len = hidden_name(t, tmp);
    if (len < 0)
      return len;
    rc = tf__w_open_at(t->dir, tmp, (size_t)len, access, attrs, FILE_CREATE,
                       FILE_NON_DIRECTORY_FILE |
                           (linked ? FILE_DELETE_ON_CLOSE : 0),
                       sd, &h);
  }
  if (rc < 0)
    return rc;
  rc = linked ? 0 : set_delete_mark(h, TRUE);
  if (rc < 0) {
    tf__w_unlink_handle(h);
    CloseHandle(h);
    return rc;
  }
  *out = h;
  return 0;
}

/* Give the new file the replaced file's owner, where the process may
 * (taking ownership for another user needs SeRestorePrivilege); a
 * refusal counts only with TF_STRICT_OWNER (-EPERM). */
static int copy_owner(HANDLE h, PSID owner, unsigned int flags) {
  PSID mine = tf__w_default_owner(); /* what the new file has */
  DWORD err;
  if (owner == NULL || (mine != NULL && EqualSid(owner, mine)))
    return 0;
  err = SetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, owner,
                        NULL, NULL, NULL);
  if (err == ERROR_SUCCESS)
    return 0;
  if (!(flags & TF_STRICT_OWNER) &&
      (err == ERROR_INVALID_OWNER || err == ERROR_ACCESS_DENIED ||
       err == ERROR_PRIVILEGE_NOT_HELD))
    return 0;
  return (flags & TF_STRICT_OWNER) ? -EPERM : tf__w_err(err);
}

/* The replaced file's owner and DACL onto the new one, before it has the
 * name.  An inherited DACL stays inherited (re-derived from this same
 * directory), a protected one stays protected. */
static int copy_security(HANDLE h, HANDLE from, unsigned int flags) {
  PSECURITY_DESCRIPTOR sd = NULL;
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  SECURITY_INFORMATION what = DACL_SECURITY_INFORMATION;
  PSID owner = NULL;
  PACL dacl = NULL;
  DWORD revision, err;
  int rc;
  err = GetSecurityInfo(from, SE_FILE_OBJECT,
                        OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                        &owner, NULL, &dacl, NULL, &sd);
  if (err != ERROR_SUCCESS)
    return tf__w_err(err);
  rc = copy_owner(h, owner, flags);
  if (rc == 0) {
    GetSecurityDescriptorControl(sd, &control, &revision);
    what |= (control & SE_DACL_PROTECTED) ? PROTECTED_DACL_SECURITY_INFORMATION
                                          : UNPROTECTED_DACL_SECURITY_INFORMATION;
    err = SetSecurityInfo(h, SE_FILE_OBJECT, what, NULL, NULL, dacl, NULL);
    rc = tf__w_err(err);
  }
  LocalFree(sd);
  return rc;
}

/* --------------------------------------------------------------- begin */

static int begin(tf_atomic **out, const char *path, const tf_opts *opts) {
  struct target t;
  tf_atomic *a;
  tf_opts o;
  HANDLE h = NULL;
  mode_t mode;
  int fd = -1, rc;

  if (out == NULL || path == NULL || path[0] == '\0')
    return -EINVAL;
  /* The name pattern is fixed, so a reaper can recognise it. */
  rc = tf__opts_take(&o, opts, TF_ATOMIC_FLAGS,
                     TF__OPTS_AT | TF__OPTS_FIXED_NAME | TF__OPTS_NO_APPEND);
  if (rc < 0)
    return rc;
  tf__lib_init();
  a = tf__malloc(sizeof(*a));
  if (a == NULL)
    return -ENOMEM;
  rc = target_open(&t, path, !(o.flags & TF_REPLACE_LINK));
  if (rc < 0) {
    tf__freemem(a);
    return rc;
  }
  mode = tf__opts_mode(&o, 0666);
  a->linked = ends_by_link(t.root);
  rc = create_hidden(&t, mode, a->linked, &h);
  if (rc == 0 && t.meta != NULL) {
    rc = copy_security(h, t.meta, o.flags);
    if (rc < 0)
      CloseHandle(h); /* the close deletes it */
  }
  if (rc == 0) {
    fd = tf__w_fd_for(h, 0); /* on failure h is closed, so deleted */
    rc = fd < 0 ? fd : 0;
  }
  if (rc < 0) {
    target_release(&t);
    tf__freemem(a);
    return rc;
  }
  a->dir = t.dir;
  a->h = h;
  a->fd = fd;
  a->fp = NULL;
  a->flags = o.flags;
  /* GLib's ONLY_EXISTING: with no old data there is nothing to lose. */
  a->sync_file = !(o.flags & TF_SYNC_NONE) &&
                 (!(o.flags & TF_SYNC_ONLY_EXISTING) ||
                  (t.meta != NULL && t.size > 0));
  a->sync_dir = (o.flags & TF_SYNC_DURABLE) && a->sync_file;
  a->readonly = t.meta != NULL ? (t.attrs & FILE_ATTRIBUTE_READONLY) != 0
                               : (tf__w_attrs_for_mode(mode) &
                                  FILE_ATTRIBUTE_READONLY) != 0;
  a->state = OPEN;
  a->name_len = t.name_len;
  memcpy(a->name, t.name, (t.name_len + 1) * sizeof(wchar_t));
  memcpy(a->root, t.root, sizeof(a->root));
  if (t.meta != NULL)
    CloseHandle(t.meta);
  *out = a;
  return 0;
}

int tf_atomic_begin(tf_atomic **out, const char *path, const tf_opts *opts) {
  return begin(out, path, opts);
}

int tf_atomic_fd(const tf_atomic *a) {
  if (a == NULL)
    return -EINVAL;
  if (a->state != OPEN)
    return -EBADF;
  return a->fd;
}

int tf_atomic_stream(tf_atomic *a, FILE **out) {
  if (a == NULL || out == NULL)
    return -EINVAL;
  if (a->state != OPEN)
    return -EBADF;
  if (a->fp == NULL) {
    a->fp = _fdopen(a->fd, "r+b"); /* owns the fd from now on */
    if (a->fp == NULL)
      return -ENOMEM;
  }
  *out = a->fp;
  return 0;
}

/* What the stream holds must be in the file.  A write the stream failed
 * earlier (its bytes are gone) fails too: with the C runtime's stdio its
 * errno is not kept, so -EIO. */
static int flush_stream(tf_atomic *a) {
  if (a->fp == NULL)
    return 0;
  if (fflush(a->fp) != 0)
    return errno > 0 ? -errno : -EIO;
  return ferror(a->fp) ? -EIO : 0;
}

int tf_atomic_write(tf_atomic *a, const void *buf, size_t n) {
  const char *p = buf;
  int rc;
  if (a == NULL || (buf == NULL && n > 0))
    return -EINVAL;
  if (a->state != OPEN)
    return -EBADF;
  rc = flush_stream(a);
  while (rc == 0 && n > 0) {
    unsigned int chunk = n > (1u << 30) ? (1u << 30) : (unsigned int)n;
    int done = _write(a->fd, p, chunk);
    if (done < 0)
      return errno > 0 ? -errno : -EIO;
    p += done;
    n -= (size_t)done;
  }
  return rc;
}

/* Close the file (through the stream if there is one): the hidden file
 * is deleted now unless the rename took it.  0 or -errno. */
static int close_file(tf_atomic *a) {
  int rc = 0;
  if (a->fd < 0)
    return 0;
  if (a->fp != NULL)
    rc = fclose(a->fp);
  else
    rc = _close(a->fd);
  a->fp = NULL;
  a->fd = -1;
  a->h = NULL;
  return rc != 0 ? -EIO : 0;
}

/* --------------------------------------------------------------- commit */

/* Give the hidden file (by its handle) the target's name under the
 * anchor, once: a second link when linked, else a rename.  *classic says
 * whether the classic class was used (its replace fails on a read-only
 * or open target). */
static NTSTATUS rename_once(tf_atomic *a, int *classic) {
  struct rename_info r;
  IO_STATUS_BLOCK io;
  ULONG size = (ULONG)(offsetof(struct rename_info, name) +
                       a->name_len * sizeof(wchar_t));
  NTSTATUS st;
  if (size < sizeof(struct rename_info_min))
    size = sizeof(struct rename_info_min);
  int replace = !(a->flags & TF_NOCLOBBER), linked = a->linked != 0;
  if (linked && tf__w_atomic_links_refused)
    return TF_STATUS_NOT_SUPPORTED; /* a test's file system without links */
  memset(&r, 0, sizeof(r));
  r.root = a->dir;
  r.name_bytes = (ULONG)(a->name_len * sizeof(wchar_t));
  memcpy(r.name, a->name, r.name_bytes);
  if (!no_ex_class[linked]) {
    r.flags = replace ? RENAME_REPLACE_IF_EXISTS | RENAME_POSIX_SEMANTICS |
                            RENAME_IGNORE_READONLY_ATTRIBUTE
                      : 0;
    st = NtSetInformationFile(a->h, &io, &r, size,
                              linked ? NT_FILE_LINK_INFORMATION_EX
                                     : NT_FILE_RENAME_INFORMATION_EX);
    if (st == TF_STATUS_NOT_IMPLEMENTED || st == TF_STATUS_INVALID_INFO_CLASS)
      InterlockedExchange(&no_ex_class[linked], 1); /* before Windows 10 */
    else if (st != TF_STATUS_INVALID_PARAMETER && st != TF_STATUS_NOT_SUPPORTED) {
      *classic = 0;
      return st; /* else: this file system lacks it (FAT, SMB...) */
    }
  }
  *classic = 1;
  r.flags = replace ? 1 : 0;
  return NtSetInformationFile(a->h, &io, &r, size,
                              linked ? NT_FILE_LINK_INFORMATION
                                     : NT_FILE_RENAME_INFORMATION);
}

/* Open the target under the anchor, not following a link. */
static int open_target(tf_atomic *a, ACCESS_MASK access, HANDLE *out) {
  return tf__w_open_at(a->dir, a->name, a->name_len,
                       access | FILE_READ_ATTRIBUTES, 0, FILE_OPEN, 0, NULL,
                       out);
}

static int set_attrs(HANDLE h, DWORD attrs) {
  FILE_BASIC_INFO basic;
  memset(&basic, 0, sizeof(basic)); /* zero times: left as they are */
  basic.FileAttributes = attrs != 0 ? attrs : FILE_ATTRIBUTE_NORMAL;
  return SetFileInformationByHandle(h, FileBasicInfo, &basic, sizeof(basic))
             ? 0
             : tf__w_last_err();
}

static DWORD attrs_of(HANDLE h) {
  FILE_BASIC_INFO basic;
  if (!GetFileInformationByHandleEx(h, FileBasicInfo, &basic, sizeof(basic)))
    return 0;
  return basic.FileAttributes;
}

/* The classic rename refuses a read-only target: clear the attribute on
 * it (by handle), rename, and put it back by handle if the rename still
 * fails.  The handle is closed for the rename, which an open target
 * refuses; the file put back is checked to be the same one. */
static NTSTATUS replace_readonly(tf_atomic *a, HANDLE target, DWORD attrs) {
  struct tf__w_id before, after;
  NTSTATUS st;
  int classic;
  if (tf__w_id_of(target, &before) < 0 ||
      set_attrs(target, attrs & ~(DWORD)FILE_ATTRIBUTE_READONLY) < 0) {
    CloseHandle(target);
    return (NTSTATUS)0xC0000022L; /* access denied */
  }
  CloseHandle(target);
  st = rename_once(a, &classic);
  if (st < 0 && open_target(a, FILE_WRITE_ATTRIBUTES, &target) == 0) {
    if (tf__w_id_of(target, &after) == 0 && tf__w_same(&before, &after))
      set_attrs(target, attrs);
    CloseHandle(target);
  }
  return st;
}

/* Why a rename was refused, and what to do: 1 retry later (the target is
 * open elsewhere), 0 the rename was just retried with status *st, or a
 * negative errno to give up with. */
static int diagnose(tf_atomic *a, int classic, NTSTATUS *st) {
  HANDLE target = NULL;
  DWORD attrs;
  int rc = open_target(a, DELETE | FILE_WRITE_ATTRIBUTES, &target);
  if (rc == -EBUSY)
    return 1; /* open without FILE_SHARE_DELETE */
  if (rc == -ENOENT)
    return 1; /* gone meanwhile: try again */
  if (rc < 0)
    return rc;
  attrs = attrs_of(target);
  if (attrs & FILE_ATTRIBUTE_DIRECTORY) {
    CloseHandle(target);
    return -EISDIR;
  }
  if (classic && (attrs & FILE_ATTRIBUTE_READONLY) &&
      !(a->flags & TF_NOCLOBBER)) {
    *st = replace_readonly(a, target, attrs);
    return 0;
  }
  CloseHandle(target);
  return 1; /* open with FILE_SHARE_DELETE, which the classic rename refuses */
}

/* TF_MUST_EXIST: the target must be there.  Windows can not exchange
 * two names, so this is a check before the rename: a target removed
 * between the two is created. */
static int check_exists(tf_atomic *a) {
  HANDLE target = NULL;
  DWORD attrs;
  int rc = open_target(a, 0, &target);
  if (rc < 0)
    return rc;
  attrs = attrs_of(target);
  CloseHandle(target);
  return (attrs & FILE_ATTRIBUTE_DIRECTORY) ? -EISDIR : 0;
}

/* Rename the hidden file over the target, retrying a target held open
 * for BUSY_WAIT_MS. */
static int rename_into_place(tf_atomic *a) {
  ULONGLONG deadline = GetTickCount64() + BUSY_WAIT_MS;
  DWORD delay = 1;
  for (;;) {
    NTSTATUS st;
    int classic, rc;
    if (a->flags & TF_MUST_EXIST) {
      rc = check_exists(a);
      if (rc < 0)
        return rc;
    }
    st = rename_once(a, &classic);
    if (st >= 0)
      return 0;
    rc = tf__w_nt_err(st);
    if ((rc == -EEXIST && (a->flags & TF_NOCLOBBER)) || rc == -EOPNOTSUPP)
      return rc; /* refused for good: no retry makes it work */
    rc = diagnose(a, classic, &st);
    if (rc == 0 && st >= 0)
      return 0;
    if (rc < 0)
      return rc;
    if (rc == 0) /* the read-only retry failed too */
      return tf__w_nt_err(st);
    if (GetTickCount64() >= deadline)
      return -EBUSY;
    Sleep(delay);
    delay = delay * 2 > BUSY_STEP_MAX_MS ? BUSY_STEP_MAX_MS : delay * 2;
  }
}

/* Unmark the hidden file, give it the read-only attribute if it is to
 * have one (a marked read-only file could not be marked again), rename
 * it; on failure mark it again so that the close deletes it. */
static int publish_marked(tf_atomic *a) {
  DWORD attrs = 0;
  int rc = set_delete_mark(a->h, FALSE);
  if (rc < 0)
    return rc;
  if (a->readonly) {
    attrs = attrs_of(a->h);
    rc = set_attrs(a->h, attrs | FILE_ATTRIBUTE_READONLY);
  }
  if (rc == 0)
    rc = rename_into_place(a);
  if (rc < 0) {
    if (a->readonly)
      set_attrs(a->h, attrs);
    set_delete_mark(a->h, TRUE);
  }
  return rc;
}

/* Copy all of the file open at from into the one open at to. */
static int copy_data(HANDLE from, HANDLE to) {
  static const DWORD chunk = 64 * 1024;
  char *buf = tf__malloc(chunk);
  uint64_t at = 0;
  int rc = buf != NULL ? 0 : -ENOMEM;
  while (rc == 0) {
    OVERLAPPED where = tf__w_at_offset(at);
    DWORD got = 0, put = 0;
    if (!ReadFile(from, buf, chunk, &got, &where)) {
      if (GetLastError() != ERROR_HANDLE_EOF)
        rc = tf__w_last_err();
      break;
    }
    if (got == 0)
      break;
    if (!WriteFile(to, buf, got, &put, NULL) || put != got)
      rc = tf__w_last_err();
    at += got;
  }
  tf__freemem(buf);
  return rc;
}

/* The volume refused the link: the contents go to a marked hidden file
 * (with the same security and attributes), which is renamed instead. */
static int publish_copy(tf_atomic *a) {
  struct target t;
  HANDLE h = NULL;
  int fd, rc;
  memset(&t, 0, sizeof(t));
  t.dir = a->dir;
  t.name_len = a->name_len;
  memcpy(t.name, a->name, (a->name_len + 1) * sizeof(wchar_t));
  rc = create_hidden(&t, 0600, 0, &h);
  if (rc < 0)
    return rc;
  rc = copy_security(h, a->h, a->flags & ~TF_STRICT_OWNER);
  if (rc == 0)
    rc = set_attrs(h, attrs_of(a->h) & COPIED_ATTRS);
  if (rc == 0)
    rc = copy_data(a->h, h);
  if (rc == 0 && a->sync_file && !FlushFileBuffers(h))
    rc = tf__w_last_err();
  if (rc < 0) {
    CloseHandle(h); /* marked: the close deletes it */
    return rc;
  }
  fd = tf__w_fd_for(h, 0);
  if (fd < 0)
    return fd; /* h closed, so deleted */
  close_file(a); /* the first hidden file goes with its handle */
  a->h = h;
  a->fd = fd;
  a->linked = 0;
  return publish_marked(a);
}

/* The read-only attribute a linked file gets once the hidden name is
 * gone (a read-only file's name could not be deleted at the close): on
 * the target, if it is still the file linked. */
static void make_target_read_only(tf_atomic *a, const struct tf__w_id *id) {
  struct tf__w_id now;
  HANDLE target;
  if (open_target(a, FILE_WRITE_ATTRIBUTES, &target) < 0)
    return;
  if (tf__w_id_of(target, &now) == 0 && tf__w_same(&now, id))
    set_attrs(target, now.attributes | FILE_ATTRIBUTE_READONLY);
  CloseHandle(target);
}

static int publish(tf_atomic *a) {
  int rc;
  if (!a->linked)
    return publish_marked(a);
  rc = rename_into_place(a);
  if (rc == -EOPNOTSUPP) {
    refuse_links(a->root); /* from now on marked there, no copy */
    rc = publish_copy(a);
  }
  return rc;
}

/* TF_SYNC_DURABLE after the rename: NTFS logs the rename in its journal,
 * and flushing the file commits the log up to it; the directory is
 * flushed too where it can be opened for writing (Windows 8 and later
 * flush a directory's metadata that way). */
static int sync_after_rename(tf_atomic *a) {
  HANDLE w;
  int rc = 0;
  if (!FlushFileBuffers(a->h))
    rc = tf__w_last_err();
  w = ReOpenFile(a->dir, GENERIC_WRITE, TF_W_SHARE_ALL,
                 FILE_FLAG_BACKUP_SEMANTICS);
  if (w == INVALID_HANDLE_VALUE)
    return rc; /* not allowed: the file's flush is what there is */
  if (!FlushFileBuffers(w) && rc == 0 &&
      GetLastError() != ERROR_INVALID_FUNCTION &&
      GetLastError() != ERROR_ACCESS_DENIED)
    rc = tf__w_last_err();
  CloseHandle(w);
  return rc;
}

int tf_atomic_commit(tf_atomic *a) {
  int rc;
  if (a == NULL || a->state != OPEN)
    return -EINVAL;
  rc = flush_stream(a);
  if (rc == 0 && a->sync_file && !FlushFileBuffers(a->h))
    rc = tf__w_last_err();
  if (rc == 0)
    rc = publish(a);
  if (rc < 0) {
    close_file(a); /* the close deletes it */
    a->state = ABORTED;
    return rc;
  }
  a->state = COMMITTED;
  rc = a->sync_dir ? sync_after_rename(a) : 0;
  if (a->linked && a->readonly) {
    struct tf__w_id id;
    int known = tf__w_id_of(a->h, &id) == 0;
    close_file(a); /* the hidden name goes */
    if (known)
      make_target_read_only(a, &id);
  } else {
    close_file(a);
  }
  return rc; /* in place; an error here: not durable, committed says 1 */
}

int tf_atomic_committed(const tf_atomic *a) {
  if (a == NULL)
    return -EINVAL;
  return a->state == COMMITTED;
}

int tf_atomic_abort(tf_atomic *a) {
  int rc;
  if (a == NULL || a->state != OPEN)
    return 0;
  rc = close_file(a); /* marked: the close deletes it */
  a->state = ABORTED;
  return rc;
}

int tf_atomic_free(tf_atomic *a) {
  int rc;
  if (a == NULL)
    return 0;
  rc = tf_atomic_abort(a);
  CloseHandle(a->dir);
  tf__freemem(a);
  return rc;
}

/* ------------------------------------------------------------ one-shot */

int tf_write_file(const char *path, const void *buf, size_t len,
                  const tf_opts *opts) {
  tf_atomic *a;
  int rc;
  if (buf == NULL && len > 0)
    return -EINVAL;
  rc = begin(&a, path, opts);
  if (rc < 0)
    return rc;
  rc = tf_atomic_write(a, buf, len);
  if (rc == 0)
    rc = tf_atomic_commit(a);
  tf_atomic_free(a); /* aborts unless committed */
  return rc;
}
