/* SPDX-License-Identifier: MIT */
/*
 * win.h - the Windows platform layer's private declarations (tf__w_
 * prefix).  The portable files (name.c, opts.c, error.c) are shared with
 * POSIX through core.h; everything that touches the system on Windows is
 * in this directory, one concern per file:
 *   util_win.c     UTF-8 <-> UTF-16, Win32 and NT errors -> errno, paths
 *   handle_win.c   opening relative to a directory handle (NtCreateFile),
 *                  identities, delete by handle, owner-only security, fds
 *   random_win.c   names from the OS CSPRNG (BCryptGenRandom)
 *   tempdir_win.c  temporary-directory discovery (Python's order)
 *   create_win.c   tf_mkstemp, tf_mkdtemp, tf_mktemp, tf_tmpfile
 *   file_win.c     tf_file;  dir_win.c  tf_dir;  rmtree_win.c  removal
 *   atomic_win.c   tf_atomic, tf_write_file
 *   sys_win.c, shared_win.c, spool_stream_win.c  what the files shared
 *                  with POSIX need (spools, pools: internal_win.h)
 *   registry_win.c, signals_win.c  cleanup at exit and on signals
 *   ledger_win.c, reap_win.c  the liveness ledger and tf_reap
 * Objects are anchored as on POSIX: a handle of the parent directory and
 * the name under it, opened relative to that handle (NtCreateFile's
 * RootDirectory, Windows' openat), with identities (volume serial and
 * file id) checked before anything is removed.
 */
#ifndef TF_WIN_H
#define TF_WIN_H

#include "../core.h"

#include <io.h>
#include <stdio.h>
#include <wchar.h>
#include <winternl.h>

#ifndef STATUS_SUCCESS
#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#endif
#ifndef OBJ_CASE_INSENSITIVE
#define OBJ_CASE_INSENSITIVE 0x00000040L
#endif
#ifndef FILE_NON_DIRECTORY_FILE
#define FILE_NON_DIRECTORY_FILE 0x00000040
#endif
#ifndef FILE_OPEN_FOR_BACKUP_INTENT
#define FILE_OPEN_FOR_BACKUP_INTENT 0x00004000
#endif
#ifndef FILE_DELETE_ON_CLOSE
#define FILE_DELETE_ON_CLOSE 0x00001000
#endif

/* Information classes of Windows 10 1709 and later (the headers of some
 * toolchains hide them); the calls fail on older systems, and the
 * callers fall back to the classic classes. */
#define TF_W_FILE_DISPOSITION_INFO_EX ((FILE_INFO_BY_HANDLE_CLASS)21)
#define TF_W_FILE_RENAME_INFO_EX ((FILE_INFO_BY_HANDLE_CLASS)22)

/* NtQueryInformationFile's classes the library asks (winternl.h names
 * only a few). */
#define TF_W_FILE_INTERNAL_INFORMATION ((FILE_INFORMATION_CLASS)6)
#define TF_W_FILE_ATTRIBUTE_TAG_INFORMATION ((FILE_INFORMATION_CLASS)35)
NTSTATUS NTAPI NtQueryInformationFile(HANDLE, PIO_STATUS_BLOCK, PVOID, ULONG,
                                      FILE_INFORMATION_CLASS);

/* Longest path handled, in UTF-16 units (the \\?\ limit). */
#define TF_W_PATH_MAX 32767

/* ---- util_win.c */

/* UTF-8 (len bytes, or up to its NUL for (size_t)-1) to UTF-16, malloc'd
 * and NUL-terminated in *out.  Returns its length in units, -EINVAL for
 * bytes that are not UTF-8, -ENOMEM. */
int tf__w_widen(const char *s, size_t len, wchar_t **out);
/* UTF-16 (len units) to UTF-8, malloc'd in *out.  Returns its length in
 * bytes, -EINVAL (unpaired surrogate), -ENOMEM. */
int tf__w_narrow(const wchar_t *w, size_t len, char **out);
/* A Win32 error code, an NTSTATUS, as a negative errno. */
int tf__w_err(DWORD err);
int tf__w_nt_err(NTSTATUS status);
/* tf__w_err(GetLastError()). */
int tf__w_last_err(void);
/* path made absolute (GetFullPathNameW) in UTF-16, malloc'd, with the
 * \\?\ prefix when it is longer than MAX_PATH - 12 (so CreateDirectory
 * and friends take it).  Returns its length in units or -errno. */
int tf__w_abspath(const char *path, wchar_t **out);
/* The offset of the last component of w (len units): after the last '\\'
 * or '/'; len if w ends in one. */
size_t tf__w_basename_at(const wchar_t *w, size_t len);
/* w with the \\?\ (or \\?\UNC\) prefix taken off, as UTF-8 with '\\'
 * separators: what the API returns as a path.  Returns the length. */
int tf__w_path_for_user(const wchar_t *w, size_t len, char **out);

/* ---- handle_win.c */

/* Open name (len units, relative: one or more components) under the
 * directory open at dir: NtCreateFile with dir as RootDirectory, case
 * insensitive as Win32 is, never following a reparse point at name
 * itself (FILE_OPEN_REPARSE_POINT is always added).  disposition is
 * FILE_OPEN or FILE_CREATE, options the NT create options
 * (FILE_DIRECTORY_FILE, FILE_NON_DIRECTORY_FILE, FILE_DELETE_ON_CLOSE,
 * ...; FILE_SYNCHRONOUS_IO_NONALERT and SYNCHRONIZE are always added),
 * sd a security descriptor for a new object or NULL.  Returns 0 and the
 * handle in *out, or -errno (-EEXIST, -ENOENT, -ENOTDIR, -EACCES, ...). */
int tf__w_open_at(HANDLE dir, const wchar_t *name, size_t len,
                  ACCESS_MASK access, ULONG attributes, ULONG disposition,
                  ULONG options, void *sd, HANDLE *out);
/* The share mode every handle of the library uses: others may read,
 * write, rename and delete, as POSIX lets them. */
#define TF_W_SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
/* Open the existing directory at a Win32 path (absolute, UTF-16) as an
 * anchor: list, traverse, synchronize; shared with everyone, so it can
 * still be renamed or removed, as a POSIX dirfd allows. */
int tf__w_open_dir(const wchar_t *path, HANDLE *out);

/* What identifies a file: its id on its volume (NTFS's carries a
 * sequence number, so a reused record differs), and its attributes.
 * Ids are compared only between objects found under one directory
 * handle, which are on that directory's volume: a volume mounted there
 * is a reparse point, opened as itself and never entered.  (Two
 * NtQueryInformationFile calls; GetFileInformationByHandle would also
 * ask the volume's serial number, 250 times slower under Wine.) */
struct tf__w_id {
  uint64_t index;
  DWORD attributes;
};
int tf__w_id_of(HANDLE h, struct tf__w_id *out);
static inline int tf__w_same(const struct tf__w_id *a,
                             const struct tf__w_id *b) {
  return a->index == b->index;
}
/* The attributes of a reparse point (a symbolic link, a junction, a
 * mount point, a cloud placeholder...): never followed, never entered. */
#define TF_W_IS_LINK(attrs) (((attrs) & FILE_ATTRIBUTE_REPARSE_POINT) != 0)

/* Give the object open at h the read-only attribute, or take it away
 * (nothing done if it is already so).  0 or -errno. */
int tf__w_set_read_only(HANDLE h, int on);

/* Mark the object open at h (opened with DELETE) for deletion, so its
 * name goes when the last handle closes, at once where the file system
 * has POSIX semantics; a read-only attribute is ignored (or cleared on
 * this object, never through a name, where the system can not ignore
 * it).  Returns 0 or -errno (-ENOTEMPTY for a directory with entries). */
int tf__w_unlink_handle(HANDLE h);

/* The security descriptor of a private object: only its owner (and
 * SYSTEM) may use it, nothing inherited (a protected DACL; what CPython
 * 3.13 gives mkdtemp, CVE-2024-4030).  Built once per process; NULL if
 * it could not be built (the caller then fails with -ENOMEM). */
void *tf__w_private_sd(void);
/* The SID that owns what the process creates (its token's default
 * owner: the user, or Administrators for an elevated one); NULL if
 * unknown. */
void *tf__w_default_owner(void);
/* The descriptor for a new object of the given POSIX mode: private for a
 * mode that grants group and others nothing (the default 0600, 0700),
 * else NULL, so the directory's inherited ACL applies. */
void *tf__w_sd_for_mode(mode_t mode);
/* The attributes for a new file of mode: read-only when the owner may
 * not write (as the C runtime's _open does). */
DWORD tf__w_attrs_for_mode(mode_t mode);

/* A C runtime fd for h (_open_osfhandle; oflags _O_APPEND, _O_RDONLY, ...).
 * The fd owns h from then on.  On failure h is closed and -EMFILE is
 * returned. */
int tf__w_fd_for(HANDLE h, int oflags);
/* The handle under a library fd (_get_osfhandle), or INVALID_HANDLE_VALUE. */
HANDLE tf__w_handle_of(int fd);

/* ---- tempdir_win.c */

/* A directory that objects are made in, held open: the handle is the
 * anchor every later removal or rename is relative to.  The temporary
 * directory's is opened once per process and shared (as POSIX's
 * anchor.c holds it), counted by refs; a directory given in opts.dir is
 * opened for the call and its handles. */
struct tf__w_anchor {
  HANDLE h;
  volatile LONG refs;
  int shared; /* the temporary directory's */
  size_t len; /* of path, in units */
  wchar_t path[1];
};
/* The anchor for o->dir, or the temporary directory's (a reference). */
int tf__w_anchor_get(const tf_opts *o, struct tf__w_anchor **out);
void tf__w_anchor_put(struct tf__w_anchor *a);
/* The temporary directory was found gone through a: the next
 * tf__w_anchor_get() opens it anew. */
void tf__w_anchor_stale(struct tf__w_anchor *a);

/* The temporary directory the environment gives (Python's discovery),
 * whatever tf_settempdir() set: the ledger home (ledger_win.c).  UTF-16,
 * malloc'd in *out; its length or -errno. */
int tf__w_default_tempdir(wchar_t **out);

/* The directory to create in, as opts->dir made absolute or
 * tf_gettempdir(): UTF-16 in *dir (malloc'd), its length returned. */
int tf__w_resolve_dir(const tf_opts *o, wchar_t **dir);

/* ---- create_win.c */

/* A tracked object's record in the liveness ledger (ledger_win.c). */
struct tf__w_mark {
  long slot;    /* the record's index in the ledger */
  unsigned gen; /* which ledger of this process; 0: not recorded */
};

/* What a creation made: the anchor (the parent directory's handle, owned
 * by the caller), the object's handle, its name in the parent, its full
 * path for the user, its identity and its ledger record. */
struct tf__w_made {
  struct tf__w_anchor *parent;
  HANDLE h;
  wchar_t *name; /* malloc'd, NUL-terminated */
  size_t name_len;
  char *path;    /* malloc'd UTF-8 */
  struct tf__w_id id;
  int has_id;    /* asked for: the handles check it before removing */
  struct tf__w_mark mark; /* its ledger record, if tracked */
};
enum tf__w_kind { TF_W_FILE, TF_W_DIR };
/* Create a file or directory under a fresh name in o->dir (or the
 * temporary directory), retrying only names that exist, up to
 * TF_ATTEMPTS.  access and options are added to the kind's own; want_id
 * also learns its identity.  On failure nothing is left and m is
 * untouched. */
int tf__w_create(struct tf__w_made *m, const tf_opts *o, enum tf__w_kind kind,
                 ACCESS_MASK access, ULONG options, int want_id);
/* Release what tf__w_create made (closing what is still open); removes
 * nothing. */
void tf__w_made_free(struct tf__w_made *m);
/* Remove what was made, by its name in the parent, if it is still the
 * object made where its identity is known (-ESTALE if another took the
 * name, -ENOENT if gone). */
int tf__w_remove_made(struct tf__w_made *m);
/* The C runtime fd for the file made (open_flags: O_APPEND); the fd owns
 * the handle from then on (m->h is cleared).  -EMFILE on failure, the
 * handle closed and the file still there. */
int tf__w_made_fd(struct tf__w_made *m, int open_flags);

/* ---- rmtree_win.c */

/* Remove name (len units) under the directory open at parent, and
 * everything under it, never following a reparse point: a link anywhere
 * in the tree, the top included, is removed as a link.  expect, if not
 * NULL, is the top's identity: another object there is left alone and
 * -ESTALE returned.  flags: TF_IGNORE_ERRORS, TF_CONTENTS_ONLY.  Returns
 * 0 (also when name is already gone), or the first error after removing
 * all that could be removed (0 under TF_IGNORE_ERRORS). */
int tf__w_rmtree_at(HANDLE parent, const wchar_t *name, size_t len,
                    const struct tf__w_id *expect, unsigned flags);

/* ---- atomic_win.c, for the tests: 0 chooses how a replacement's hidden
 * file ends by its volume, 1 forces the marked rename, 2 the link; and
 * links_refused makes the link fail as on a volume without them. */
extern int tf__w_atomic_mode;
extern int tf__w_atomic_links_refused;

/* registry_win.c: the lifecycle's registry.  A tf_file or tf_dir whose
 * object is the library's to delete registers it (unless TF_UNTRACKED)
 * so that exit(), tf_cleanup_all() and the signal handlers remove it;
 * the registry uses the handle's tf__w_made, which must stay valid until
 * tf__w_life_end().  An atomic write's hidden file is not registered: it
 * ends with its handle, which the system closes when the process ends. */
struct tf__w_slot;
struct tf__w_life {
  struct tf__w_slot *slot; /* NULL: not registered */
};
/* Around a creation (unless flags has TF_UNTRACKED): -ECANCELED once a
 * signal cleaner has begun (the process is ending); else 0, and
 * tf__w_life_leave() must follow. */
int tf__w_life_enter(unsigned flags);
void tf__w_life_leave(unsigned flags);
/* Register what m made (nothing with TF_UNTRACKED).  0 or -ENOMEM. */
int tf__w_life_start(struct tf__w_life *l, unsigned flags,
                     enum tf__w_kind kind, struct tf__w_made *m);
/* The handle is about to remove or publish its object: cleaners leave it
 * alone until tf__w_life_release() or _end().  Returns 1 if a cleaner has
 * removed it already (the handle must not touch the name again), else 0. */
int tf__w_life_hold(struct tf__w_life *l);
/* The handle's removal or publish failed: registered as before. */
void tf__w_life_release(struct tf__w_life *l);
/* No longer registered (removed, kept, published, or the handle ends);
 * waits for a cleaner at work on it.  Idempotent. */
void tf__w_life_end(struct tf__w_life *l);
/* For signals_win.c: remove every registered object now, refusing new
 * creations for a while and waiting (a second at most) for those in
 * flight; returns the count removed.  _survived: the process goes on. */
int tf__w_reg_clean_on_signal(void);
void tf__w_reg_survived_signal(void);

/* ledger_win.c: the liveness ledger tf_reap() reads (reap_win.c).  A
 * tracked object is recorded when made and its record set free when it
 * is removed, kept or published.  Recording never fails a creation: an
 * object that can not be recorded has gen 0 and is never reaped.  A
 * zeroed mark is a mark of nothing. */
/* Record name (len units, in the directory open at dir). */
void tf__w_ledger_add(HANDLE dir, const wchar_t *name, size_t len, int is_dir,
                      struct tf__w_mark *m);
/* The object is no longer this process's to delete; idempotent. */
void tf__w_ledger_drop(struct tf__w_mark *m);
/* The same for a cleaner (exit, a signal, tf_cleanup_all()) that removed
 * the object: it waits for the ledger's lock a second at most, since a
 * thread the system ended at the DLL's unload may hold it; then the
 * record stays, and tf_reap() finds its object gone. */
void tf__w_ledger_drop_cleaned(struct tf__w_mark *m);
/* Set the record live again (1) or free (0) and keep it: a publish sets
 * it free before its rename and live again if the rename fails. */
void tf__w_ledger_set(const struct tf__w_mark *m, int live);
/* Delete and close this process's ledger if no record is held (a later
 * object makes a new one), and let a ledger that could not be made be
 * tried again: for tf_cleanup_all().  At exit the ledger is deleted
 * without it (by the last drop if records are held then). */
void tf__w_ledger_remove(void);
/* The same for a cleaner after which the process ends (bounded wait). */
void tf__w_ledger_remove_cleaned(void);
/* The directory's identity as records hold it: its volume's serial
 * number and its file id.  0 or -errno. */
int tf__w_dir_ident(HANDLE dir, uint32_t *serial, uint64_t *index);
/* handle_win.c: where a synchronous ReadFile() or WriteFile() on a
 * handle happens, off; and all n bytes read or written there, 0 or
 * -EIO (a short read: the end of the file came first). */
OVERLAPPED tf__w_at_offset(uint64_t off);
int tf__w_read_at(HANDLE h, void *p, DWORD n, uint64_t off);
int tf__w_write_at(HANDLE h, const void *p, DWORD n, uint64_t off);
/* handle_win.c: tf__w_open_at() with share as the share mode (the
 * ledger's and the reaper's exclusive opens). */
int tf__w_open_shared(HANDLE dir, const wchar_t *name, size_t len,
                      ACCESS_MASK access, ULONG share, ULONG attributes,
                      ULONG disposition, ULONG options, void *sd, HANDLE *out);

/* The ledger's file: TF_W_LEDGER_PREFIX + 12 random characters in the
 * ledger home (the temporary directory); a TF_W_LEDGER_HEAD-byte header
 * (TF_W_LEDGER_MAGIC, "pid PID\n", zeros), then records of
 * TF_W_LEDGER_REC bytes: state, kind (TF_W_FILE, TF_W_DIR), name length
 * in units (16 bits), the directory's volume serial (32 bits) and file
 * id (64 bits), little-endian, then the name in UTF-16LE. */
#define TF_W_LEDGER_PREFIX L".tf-live-"
#define TF_W_LEDGER_PREFIX_LEN 9
#define TF_W_LEDGER_MAGIC "libtempfile win ledger 1\n"
#define TF_W_LEDGER_HEAD 512
#define TF_W_LEDGER_REC 528
#define TF_W_LEDGER_NAME_AT 16
#define TF_W_LEDGER_NAME_MAX 256 /* units */
#define TF_W_LEDGER_FREE 0
#define TF_W_LEDGER_LIVE 1

#endif
