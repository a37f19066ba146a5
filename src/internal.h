/* SPDX-License-Identifier: MIT */
/*
 * internal.h - private declarations shared by the library's files: the
 * system-call table, and the helpers each file exports to the others
 * (tf__ prefix).  What the platform offers is decided in platform.h (the
 * TF_HAVE_* switches); the files that wrap the platform (sys.c,
 * rawdir.c, cookie.c, process.c) test those switches, the others seldom.
 * What the files the Windows build shares need is declared in shared.h.
 */
#ifndef TF_INTERNAL_H
#define TF_INTERNAL_H

#include "core.h"
#include "platform.h"
#include "shared.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* O_TMPFILE, or 0 where the platform has none (the callers then go
 * straight to their create-and-unlink fallback). */
#if TF_HAVE_O_TMPFILE
#define TF_O_TMPFILE O_TMPFILE
#else
#define TF_O_TMPFILE 0
#endif

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* The environment, ignored by set-user-ID programs where libc can tell. */
#if TF_HAVE_SECURE_GETENV
#define tf__getenv secure_getenv
#elif TF_HAVE_ISSETUGID
#define tf__getenv(name) (issetugid() ? NULL : getenv(name))
#else
#define tf__getenv getenv
#endif


/* Directory fds that only anchor *at() calls need no read permission
 * where the platform can open one for search only (TF_O_SEARCH,
 * platform.h). */
#define TF_O_DIRANCHOR (TF_O_SEARCH | O_DIRECTORY | O_CLOEXEC)

#define TF_FILE_FLAGS (O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

/* Opening a directory to list it: never through a symlink, and never
 * blocking should a FIFO have taken its place. */
#define TF_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)

/* What the library needs to know of an open file: its identity, its
 * mode, and whether it is the root of a mount (where the platform can
 * tell: 1 yes, 0 no, -1 unknown). */
struct tf__stat {
  dev_t dev;
  ino_t ino;
  mode_t mode;
  int mount_root;
  int64_t birth_sec; /* 0 and 0 where the file system keeps none */
  long birth_nsec;
};

/* Whether a and b describe the same object: device and inode, and the
 * birth time where both have one, since a removed object's inode number
 * may be given to the next one made (ext4 does). */
static inline int tf__same_object(const struct tf__stat *a,
                                  const struct tf__stat *b) {
  return a->dev == b->dev && a->ino == b->ino &&
         (a->birth_sec == 0 || b->birth_sec == 0 ||
          (a->birth_sec == b->birth_sec && a->birth_nsec == b->birth_nsec));
}

/*
 * The system-call table (SQLite's aSyscall idea).  Every call the library
 * makes that can fail goes through tf__sys, so tests can make the Nth one
 * fail with a chosen errno: the table is writable, and the tests' fault
 * injector (tests/fault.c) replaces its entries at run time.  Each entry:
 * name, return type, parameters, arguments, EINTR policy.
 *
 * EINTR, the one policy (tempfile(3), section EINTR, says it to users).
 * It lives here and nowhere else: tf__sys, the table the library calls,
 * holds sys.c's policy layer, one wrapper per entry generated from the
 * last column, which calls the entry of tf__sys_os, the operating
 * system's calls one attempt each.  The fault injector wraps tf__sys_os,
 * so an EINTR it injects meets the policy exactly as a real one would;
 * no call site tests for EINTR.
 *   RETRY    an EINTR failure had no effect, so the call is made again,
 *            as often as it is interrupted (glibc's TEMP_FAILURE_RETRY,
 *            SA_RESTART).  Every call but the four below: those POSIX
 *            lets fail with EINTR (open of a FIFO or device, read,
 *            write, pread, pwrite, fsync, ftruncate, a blocking flock,
 *            fcntl, getrandom for a large request, readdir's getdents,
 *            fflush's write) and those that Linux documents never to
 *            (unlinkat, renameat, mkdirat, linkat, fstatat, ...) but NFS
 *            or FUSE may; a retry cannot hurt those.  Short reads and
 *            writes are not failures: the callers' loops finish them.
 *   RELEASE  close, fclose, closedir, unmapmem: the resource is gone
 *            even when EINTR is reported (Linux frees the fd first), so
 *            EINTR counts as success and the call is never made again,
 *            for the fd may already be another thread's.
 *   NONE     free: cannot fail.
 * The signal-time paths that bypass the table (rawdir.c,
 * rmtree_signal.c, registry.c's unlink) follow the same policy by hand
 * with TF_RAW_RETRY().
 */
#define TF_SYSCALLS(X)                                                        \
  X(openat, int, (int dirfd, const char *path, int flags, mode_t mode),       \
    (dirfd, path, flags, mode), RETRY)                                        \
  X(close, int, (int fd), (fd), RELEASE)                                      \
  X(unlinkat, int, (int dirfd, const char *path, int flags),                  \
    (dirfd, path, flags), RETRY)                                              \
  X(mkdirat, int, (int dirfd, const char *path, mode_t mode),                 \
    (dirfd, path, mode), RETRY)                                               \
  X(fstatat, int, (int dirfd, const char *path, struct stat *st, int flags),  \
    (dirfd, path, st, flags), RETRY)                                          \
  X(renameat, int, (int od, const char *op, int nd, const char *np),          \
    (od, op, nd, np), RETRY)                                                  \
  X(renameat2, int,                                                           \
    (int od, const char *op, int nd, const char *np, unsigned int flags),     \
    (od, op, nd, np, flags), RETRY)                                           \
  X(linkat, int, (int od, const char *op, int nd, const char *np, int flags), \
    (od, op, nd, np, flags), RETRY)                                           \
  X(fchmod, int, (int fd, mode_t mode), (fd, mode), RETRY)                    \
  X(fchmodat, int, (int dirfd, const char *path, mode_t mode, int flags),     \
    (dirfd, path, mode, flags), RETRY)                                        \
  X(write, ssize_t, (int fd, const void *buf, size_t n), (fd, buf, n), RETRY) \
  X(fcntl_dupfd, int, (int fd), (fd), RETRY)                                  \
  X(getcwd, int, (char *buf, size_t size), (buf, size), RETRY)                \
  X(getrandom, int, (void *buf, size_t n), (buf, n), RETRY)                   \
  X(fdopen, int, (int fd, const char *mode, FILE **out), (fd, mode, out),     \
    RETRY)                                                                    \
  X(fclose, int, (FILE * fp), (fp), RELEASE)                                  \
  X(fflush, int, (FILE * fp), (fp), RETRY)                                    \
  X(malloc, int, (size_t n, void **out), (n, out), RETRY)                     \
  X(free, void, (void *p), (p), NONE)                                         \
  X(statfd, int, (int fd, struct tf__stat *st), (fd, st), RETRY)              \
  X(statat, int, (int dirfd, const char *name, struct tf__stat *st),          \
    (dirfd, name, st), RETRY)                                                 \
  X(fstat, int, (int fd, struct stat *st), (fd, st), RETRY)                   \
  X(fdopendir, int, (int fd, DIR **out), (fd, out), RETRY)                    \
  X(readdir, int, (DIR * d, struct dirent **out), (d, out), RETRY)            \
  X(closedir, int, (DIR * d), (d), RELEASE)                                   \
  X(read, ssize_t, (int fd, void *buf, size_t n), (fd, buf, n), RETRY)        \
  X(pread, ssize_t, (int fd, void *buf, size_t n, int64_t off),               \
    (fd, buf, n, off), RETRY)                                                 \
  X(pwrite, ssize_t, (int fd, const void *buf, size_t n, int64_t off),        \
    (fd, buf, n, off), RETRY)                                                 \
  X(lseek, int64_t, (int fd, int64_t off, int whence), (fd, off, whence),     \
    RETRY)                                                                    \
  X(ftruncate, int, (int fd, int64_t size), (fd, size), RETRY)                \
  X(fsize, int, (int fd, int64_t *size), (fd, size), RETRY)                   \
  X(fopencookie, int, (void *cookie, FILE **out), (cookie, out), RETRY)       \
  X(mapmem, int, (size_t n, void **out), (n, out), RETRY)                     \
  X(unmapmem, int, (void *p, size_t n), (p, n), RELEASE)                      \
  X(fsync, int, (int fd), (fd), RETRY)                                        \
  X(fchown, int, (int fd, uid_t uid, gid_t gid), (fd, uid, gid), RETRY)       \
  X(readlinkat, ssize_t, (int dirfd, const char *path, char *buf, size_t n),  \
    (dirfd, path, buf, n), RETRY)                                             \
  X(linkfd, int, (int fd, int dirfd, const char *name), (fd, dirfd, name),    \
    RETRY)                                                                    \
  X(fstype, int, (int fd, unsigned long *type), (fd, type), RETRY)            \
  X(flock, int, (int fd, int op), (fd, op), RETRY)                            \
  X(xattr_set, int, (int fd, const char *name, const void *v, size_t n),      \
    (fd, name, v, n), RETRY)                                                  \
  X(xattr_get, ssize_t, (int fd, const char *name, void *v, size_t n),        \
    (fd, name, v, n), RETRY)                                                  \
  X(xattr_remove, int, (int fd, const char *name), (fd, name), RETRY)        \
  X(fallocate, int, (int fd, int64_t off, int64_t n), (fd, off, n), RETRY)    \
  X(mapfile, int, (int fd, int64_t off, size_t n, void **out),               \
    (fd, off, n, out), RETRY)                                                 \
  X(unmapfile, int, (void *p, size_t n), (p, n), RELEASE)

/* Every entry returns -1 with errno set on failure (malloc, getcwd,
 * fdopen, fdopendir, readdir and fopencookie are wrapped to this shape in
 * sys.c; readdir gives *out NULL at the end of the listing); free never
 * fails and returns nothing.  fchmod also
 * works on an O_PATH fd.  fsize is fstat()'s st_size.  mapmem maps n
 * bytes of fresh memory (huge pages where the kernel offers them, so a
 * large spool takes one page fault per 2 MiB, not per 4 KiB); unmapmem
 * releases it.  fsync is the strongest flush the platform has
 * (F_FULLFSYNC on macOS).  linkfd gives the unnamed file open at fd the
 * name dirfd/name (Linux: linkat through /proc/self/fd); fstype is the
 * file system's magic number (statfs f_type; 0 where unknown).  flock
 * is flock(2); xattr_* set, read and remove an extended attribute of an
 * open file (ENOTSUP where the platform or file system has none).
 * statat is statfd for name in dirfd, never following a link.
 * fallocate reserves [off, off + n) of the file (posix_fallocate);
 * mapfile maps n bytes of the file at off, shared and writable, and
 * unmapfile unmaps them.
 * fopencookie opens
 * an unbuffered read-write stream whose I/O goes to the functions of the
 * cookie, which must begin with a struct tf__cookie. */
struct tf__sys_table {
#define TF_SYS_MEMBER(name, ret, params, args, eintr) ret(*name) params;
  TF_SYSCALLS(TF_SYS_MEMBER)
#undef TF_SYS_MEMBER
};

/* tf__sys: the table the library calls (the EINTR policy in front of
 * tf__sys_os); tf__sys_os: the system's calls, one attempt each. */
extern struct tf__sys_table tf__sys;
extern struct tf__sys_table tf__sys_os;

/* The EINTR policy RETRY for the raw calls of signal handlers, which
 * bypass the table: r = call, made again while it fails with EINTR.
 * Async-signal-safe. */
#define TF_RAW_RETRY(r, call)                                                \
  do                                                                         \
    (r) = (call);                                                            \
  while ((r) == -1 && errno == EINTR)

/* Identifiers of the entries, for tests that fail one kind of call. */
enum tf__sys_id {
#define TF_SYS_ENUM(name, ret, params, args, eintr) TF_SYS_##name,
  TF_SYSCALLS(TF_SYS_ENUM)
#undef TF_SYS_ENUM
  TF_SYS_COUNT,
  TF_SYS_ANY = -1
};

/* The functions behind a stream made by tf__sys.fopencookie; each
 * returns what read(), write(), lseek() (0, with *offset set) and close()
 * would, with errno set on failure. */
struct tf__stream_ops {
  ssize_t (*read)(void *cookie, char *buf, size_t n);
  ssize_t (*write)(void *cookie, const char *buf, size_t n);
  int (*seek)(void *cookie, int64_t *offset, int whence);
  int (*close)(void *cookie);
};

/* Does [p, p + n) lie in the cookie's stdio buffer? */
int tf__cookie_owns(const struct tf__cookie *c, const char *p, size_t n);

/* sys.c: 1 if an unnamed file (O_TMPFILE) can be given a name later
 * (tf__sys.linkfd works: /proc is mounted); probed once per process. */
int tf__can_link_unnamed(void);

/* cookie.c: the fopencookie entry of the table. */
int tf__cookie_open(void *cookie, FILE **out);

/* Magic numbers of tf__sys.fstype. */
#define TF_FS_BTRFS 0x9123683EUL

/* registry.c: the process-wide registry of objects to remove at exit or
 * on a signal.  A slot refers to the handle's dirfd and name, which must
 * stay valid until tf__reg_drop() returns. */
enum tf__obj_kind { TF_OBJ_FILE, TF_OBJ_DIR };
struct tf__slot;
/* rec: the object's ledger record (or NULL), set free once a cleaner
 * removed the object. */
int tf__reg_add(struct tf__slot **out, enum tf__obj_kind kind, int dirfd,
                const char *name, const struct tf__stat *id,
                unsigned char *rec);
void tf__reg_drop(struct tf__slot *s);
/* 1 once a cleaner took the slot's object: its name may be another's. */
int tf__reg_cleaned(const struct tf__slot *s);
int tf__reg_clean_slot(struct tf__slot *s, pid_t me, int in_signal);
int tf__reg_clean_all(pid_t me, int in_signal);
/* Give back what the library keeps for later objects: the ledger, if
 * nothing of it is left to reap, and the cached anchors no handle uses
 * (tf_cleanup_all(); tests, before they count fds). */
void tf__caches_release(void);
/* Bracket the making of an object that will be registered (through
 * tf__track_begin/end, which also block the cleanup signals): enter
 * fails with -ECANCELED once a signal cleaner is at work (nothing may be
 * made then).  The signal handler's side: clean, and, when the process
 * goes on after the signal, allow creation again. */
struct tf__creation {
  int blocked; /* signals were blocked: old is the mask to restore */
  sigset_t old;
};
int tf__reg_enter(void);
void tf__reg_leave(void);
/* signals.c: block the cleanup signals in this thread if a handler is
 * installed (1), so none can strike between an object's creation and
 * its registration; restore the mask. */
int tf__signals_block(sigset_t *old);
void tf__signals_restore(const sigset_t *old);
int tf__reg_clean_on_signal(void);
void tf__reg_survived_signal(void);

/* rmtree_signal.c: remove the directory name in parentfd if it is still
 * the one with identity id; with in_signal, async-signal-safe.
 * 1: removed; 0: nothing to remove; -1: it is (partly) still there. */
int tf__remove_dir_by_name(int parentfd, const char *name,
                           const struct tf__stat *id, int in_signal);

/* ledger.c: the liveness ledger, one per process, in the ledger home
 * (TF_LEDGER_HOME, else the temporary directory): a file the process
 * holds a shared flock on while it lives, mapped, with a record per
 * tracked object (its directory's identity, its name, live or free).  The
 * format is tf_reap()'s too (reap.c). */
#define TF_LEDGER_HOME "/dev/shm"
#define TF_LEDGER_PREFIX ".tf-live-"
#define TF_LEDGER_MAGIC "libtempfile ledger 1\n"
#define TF_LEDGER_SEG 16384 /* bytes reserved and mapped at a time */
#define TF_LEDGER_HEAD 256  /* bytes at a segment's start that hold no record */
#define TF_LEDGER_REC 280   /* state, kind, 6 unused, dev, ino, name */
#define TF_LEDGER_NAME_AT 24
#define TF_LEDGER_RECS ((TF_LEDGER_SEG - TF_LEDGER_HEAD) / TF_LEDGER_REC)
#define TF_LEDGER_FREE 0
#define TF_LEDGER_LIVE 1
struct tf__anchor;
struct tf__mark {
  unsigned char *rec; /* the record in the mapping; NULL: unmarked */
  size_t index;
  unsigned gen;       /* which of the process's ledgers holds it */
};
/* The ledger home's path in buf; its length or -errno. */
int tf__ledger_home(char *buf, size_t size);
/* Record name (made in the directory of a) as live: 1, or 0 when it can
 * not be (the object stays unmarked; never an error). */
int tf__ledger_add(struct tf__anchor *a, enum tf__obj_kind kind,
                   const char *name, struct tf__mark *m);
/* Set the record live (1) or free (0), keeping it. */
void tf__ledger_set(const struct tf__mark *m, int live);
/* Free the record for reuse; idempotent. */
void tf__ledger_drop(struct tf__mark *m);
/* After the registry's cleanup: remove this process's ledger if all its
 * records are free (async-signal-safe with in_signal). */
void tf__ledger_remove(pid_t me, int in_signal);

/* live.c: a handle's part in the lifecycle: its ledger record and its
 * registry slot. */
struct tf__life {
  struct tf__slot *slot; /* NULL: not registered */
  struct tf__mark mark;  /* rec NULL: unmarked */
};
/* Register the object (unless flags has TF_UNTRACKED), without a ledger
 * record (an atomic write's hidden file, which its name and lock mark):
 * 0 or -ENOMEM. */
int tf__life_register(struct tf__life *l, unsigned flags,
                      enum tf__obj_kind kind, int dirfd, const char *name);
/* Mark (unless TF_UNTRACKED) and register the object name made in the
 * directory of a (a directory's identity id, NULL for a file); l is set
 * first.  0 or -ENOMEM (then nothing is left). */
int tf__life_start(struct tf__life *l, unsigned flags, enum tf__obj_kind kind,
                   struct tf__anchor *a, const char *name,
                   const struct tf__stat *id);
/* The object stays (kept or about to be published): its record is set
 * free; tf__life_remark() makes it live again. */
void tf__life_unmark(struct tf__life *l);
void tf__life_remark(struct tf__life *l);
/* tf__reg_enter() and tf__reg_leave() for a creation, unless its object
 * will not be registered (tracked 0). */
int tf__track_begin(int tracked, struct tf__creation *c);
void tf__track_end(int tracked, struct tf__creation *c);
/* Unregister and free the record; idempotent. */
void tf__life_end(struct tf__life *l);
/* The pid in the mark of earlier versions (the xattr TF_MARK_XATTR =
 * "libtempfile PID NAME") of the object open at fd if its recorded name
 * is name, else -1: tf_reap() still takes what they left. */
#define TF_MARK_XATTR "user.tempfile"
#define TF_MARK_TAG "libtempfile "
long tf__mark_pid(int fd, const char *name);

/* rawdir.c, for signal handlers (no table, no lock, no allocation): read
 * directory entries of fd into buf (getdents64; -1 with ENOSYS where the
 * platform has no such call), and step through them: each call fills
 * *out with the entry at *pos and advances it, 0 at the end.  next is
 * the offset to lseek() to for the entries after this one. */
struct tf__raw_dirent {
  const char *name;
  unsigned char type; /* DT_* */
  int64_t next;
};
ssize_t tf__raw_listing(int fd, void *buf, size_t n);
/* fchmod() that also works on an O_PATH fd. */
int tf__raw_fchmod(int fd, mode_t mode);
int tf__raw_entry(const void *buf, size_t len, size_t *pos,
                  struct tf__raw_dirent *out);

/* sys.c: the statat and statfd entries' system calls (a link is never
 * followed), async-signal-safe, for the signal-time paths that bypass
 * the table. */
int tf__raw_stat(int dirfd, const char *name, struct tf__stat *out);
int tf__raw_statfd(int fd, struct tf__stat *out);

/*
 * process.c: what belongs to one process and must not be inherited by a
 * forked child: the pool of random bytes for names, and the pid that
 * handles record as their owner.  tf__process() returns the block of the
 * calling process, fresh (pool empty, pid set) in a new child however it
 * was forked.  Call it with tf__process_lock held.
 */
struct tf__process {
  int started; /* 0 until first use in this process */
  pid_t pid;   /* 0 until first asked for */
  unsigned long refills; /* of the pool */
  size_t pool_used; /* name characters in pool[pool_used, pool_len) */
  size_t pool_len;
  unsigned char pool[1024];
};
struct tf__process *tf__process(void);

/* The library's two locks: the per-process block (names, ownership) and
 * the process-wide settings (tempdir.c).  Both are held across fork() by
 * process.c. */
extern pthread_mutex_t tf__process_lock;
/* Hold the table lock m across fork() too (anchor.c, ledger.c; at most
 * two), before the two above. */
void tf__hold_across_fork(pthread_mutex_t *m);

/* process.c: the pid of the calling process, without a system call where the
 * platform allows, and without a lock. */
pid_t tf__current_pid(void);
/* Around a library call that checks ownership more than once: where
 * fork is noticed by getpid() (no MADV_WIPEONFORK), one getpid() serves
 * the whole call.  begin returns what end restores (calls nest). */
pid_t tf__pid_scope_begin(void);
void tf__pid_scope_end(pid_t outer);

/* tempdir.c: the directory to create in, as a string *dir (opts->dir
 * itself when it is absolute, else buf) and its length less trailing
 * slashes.  Returns the length or -errno. */
int tf__resolve_dir(const tf_opts *o, char *buf, size_t size,
                    const char **dir);
struct tf__candidates {
  size_t count;
  char *dirs[8];
};
int tf__candidate_tempdirs(struct tf__candidates *c);
void tf__candidates_free(struct tf__candidates *c);
/* tempdir.c, for a first file made in the temporary directory, which
 * doubles as the discovery's probe: candidate i, absolute, in out (its
 * length, 0 past the last, -1 to pass it over); whether the file open at
 * fd takes the probe's data (0 or -errno; it is emptied again); the
 * directory found (kept unless another was found first); the one known,
 * copied to buf (its length, 0 if none is known yet). */
int tf__tempdir_candidate(size_t i, char *out, size_t size);
int tf__tempdir_takes_data(int fd);
void tf__tempdir_found(const char *dir, size_t len);
int tf__tempdir_known(char *buf, size_t size);

/* create.c: 1 if err is how a file system says it has no O_TMPFILE
 * (support is per mount, so callers fall back for this call only). */
int tf__tmpfile_unsupported(int err);

/* retry.c: the retry loop.  Try up to TF_ATTEMPTS names, each written at
 * slot, which lies at the end of path (or is path); path, relative to
 * dirfd, is what gets created.  The fd for files, 0 for the other kinds,
 * or -errno (-EEXIST when every name was taken). */
enum tf__kind { TF_KIND_FILE, TF_KIND_DIR, TF_KIND_NOCREATE };
int tf__create_in(int dirfd, const char *path, char *slot,
                  const struct tf__name *n, enum tf__kind kind, int oflags,
                  mode_t mode);

/* A dirfd the *at() functions refuse with -EBADF before any effect: a
 * negative one other than AT_FDCWD (the kernel would ignore it for an
 * absolute path, so the rule would depend on the path). */
static inline int tf__bad_dirfd(int dirfd) {
  return dirfd < 0 && dirfd != AT_FDCWD;
}

/* path.c: "dir/" for the first dir_len bytes of dir: its length, and
 * writing it (no NUL) to out, which has room for tf__head_len() bytes
 * (tf__abspath() is in shared.h). */
size_t tf__head_len(const char *dir, size_t dir_len);
size_t tf__write_head(char *out, const char *dir, size_t dir_len);

/* anchor.c: the directory fds handles anchor on, shared by every handle
 * made in a directory given by path.  tf__anchor_get(): the anchor of
 * dir (len bytes, an absolute path), from the cache or opened now, with
 * one more reference; with check, a cached one is used only if dir still
 * leads to it (opts.dir; the temporary directory is not checked).
 * tf__anchor_own(): an anchor for fd, which it takes (the *at forms'
 * duplicate of the caller's dirfd).  tf__anchor_put(): one reference
 * less.  tf__anchor_forget(): the next tf__anchor_get() of its path opens
 * the directory anew (its directory is gone). */
struct tf__anchor {
  int fd;        /* the directory (O_PATH where there is one) */
  dev_t dev;     /* its identity, unless owned */
  ino_t ino;
  int refs;      /* handles using it; under the table's lock */
  int cached;    /* in the table: stays when refs reaches 0 */
  int owned;     /* a duplicate of a caller's dirfd */
  size_t path_len;
  char path[];   /* the directory's path, "" when owned */
};
int tf__anchor_get(const char *dir, size_t len, int check,
                   struct tf__anchor **out);
int tf__anchor_own(int fd, struct tf__anchor **out);
void tf__anchor_put(struct tf__anchor *a);
void tf__anchor_forget(struct tf__anchor *a);
/* The same for the anchor cached for dir (len bytes), if any: the
 * temporary directory is named anew (tf_settempdir()). */
void tf__anchor_forget_path(const char *dir, size_t len);
/* Close the cached anchors no handle uses (tf_cleanup_all()). */
void tf__anchors_release(void);

/* handle.c: the creation of a tf_file or tf_dir.  It takes opts
 * (allowing allowed_flags; is_at: the *at form), prepares the name, takes
 * the anchor the handle will hold (a duplicate of dirfd, or the shared
 * anchor of opts->dir or the temp dir), allocates the path the handle
 * will report, and calls build inside the registry's creation bracket.
 * build makes the object at p->name relative to p->anchor->fd and on
 * success takes p->anchor and p->path into the handle it stores at out;
 * on failure it leaves nothing and owns neither.  tf__dup_anchor(): an
 * fd of dirfd the caller owns (a duplicate, or "." opened now for
 * AT_FDCWD), or -errno. */
struct tf__place {
  struct tf__anchor *anchor; /* the directory the name is in */
  char *path;               /* "dir/" + room for the name */
  char *name;               /* in path, where the name goes */
  const struct tf__name *n; /* the name to create under */
  const tf_opts *o;         /* the taken options */
};
typedef int (*tf__build_fn)(void *out, const struct tf__place *p);
int tf__handle_create(void *out, int dirfd, int is_at, const tf_opts *opts,
                      unsigned allowed_flags, tf__build_fn build);
int tf__dup_anchor(int dirfd);

/* file.c: rename oname (in odir) to nname (in ndir) unless nname exists
 * (-EEXIST), decided atomically: renameat2(RENAME_NOREPLACE), or linkat +
 * unlinkat where the kernel or file system lacks it.  0 or -errno, with
 * nothing changed on failure. */
int tf__rename_noclobber(int odir, const char *oname, int ndir,
                         const char *nname);

/* atomic_target.c: the file an atomic replacement replaces. */
struct tf__target {
  int dirfd;               /* its directory, O_RDONLY (or O_PATH) */
  char name[NAME_MAX + 1]; /* its name there */
  int present;             /* something is at the name */
  int has_meta;            /* st is a regular file's, to copy */
  struct stat st;
};
/* Find it for path relative to dirfd, following symlinks at the end of
 * the path when follow is set.  0 (t->dirfd open) or -errno (nothing
 * open): -EISDIR, -EINVAL (not a regular file), -ELOOP, ... */
int tf__target_open(struct tf__target *t, int dirfd, const char *path,
                    int follow);

/* rmtree.c: remove everything in the directory open at dirfd (which
 * stays open), with tf_rmtreeat()'s guarantees; 0 or the first error.
 * tf__rmtree_dir() then removes it as name in parentfd, listing it again
 * while entries keep coming (TF_RMTREE_ROUNDS times at most): the first
 * error inside is returned, and *top is the removal's, 0 (also when name
 * was gone) or -errno. */
int tf__rmtree_contents(int dirfd);
int tf__rmtree_dir(int dirfd, int parentfd, const char *name, int *top);
/* The same for the directory name in parentfd, opened now without
 * following a link: only if it is the one with identity id, else
 * -ESTALE (also in *top) and nothing is touched. */
int tf__rmtree_named(int parentfd, const char *name,
                     const struct tf__stat *id, int *top);

/* fdstream.c: the buffered stream of a tf_file or tf_atomic, on its fd,
 * recording the errno of a failed write (err) so the handle can report
 * it.  The stream never closes fd.  flush and close return 0 or the real
 * negative errno. */
struct tf__fdstream {
  struct tf__cookie cookie; /* first: the stream's functions */
  int fd;
  int err; /* errno of the first failed write, 0 if none */
  FILE *fp; /* NULL until opened */
};
int tf__fdstream_open(struct tf__fdstream *s, int fd);
int tf__fdstream_flush(struct tf__fdstream *s);
int tf__fdstream_close(struct tf__fdstream *s);


#endif /* TF_INTERNAL_H */
