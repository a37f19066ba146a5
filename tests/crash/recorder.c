/* SPDX-License-Identifier: MIT */
/*
 * recorder.c - puts wrappers in front of the entries of the library's
 * system-call table that change a file system, as the fault injector
 * does, and appends what each did to the scenario's directory to the
 * trace.  The wrappers look at the system with libc's calls directly
 * (fstat, fstatat, pread), never through the table.
 *
 * Writes that do not go through the table (tmpf's copy loop writes the
 * descriptor tf_atomic_fd() gives it) are not lost: the recorder keeps a
 * shadow of every traced file's contents, and before any traced call on
 * a file it compares the file with its shadow and records the difference
 * as writes ("seen at the next call").  Nothing persists without a
 * traced call after it (a sync, a close, a rename), so the order the
 * explorer needs is kept.
 */
#include "recorder.h"

#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A traced file or directory, with a file's contents as the recorder
 * last saw them. */
struct traced {
  unsigned long ino;
  int is_dir;
  unsigned char *data;
  int64_t size, cap;
};

static struct tf__sys_table real;
static struct crash_trace *trace;
static dev_t root_dev;
static int no_tmpfile, no_renameat2;
static int out_of_memory;
static struct traced *traced;
static size_t ntraced, traced_cap;

static struct traced *find(unsigned long ino) {
  size_t i;
  for (i = 0; i < ntraced; i++)
    if (traced[i].ino == ino)
      return &traced[i];
  return NULL;
}

static struct traced *track(unsigned long ino, int is_dir) {
  struct traced *f = find(ino);
  if (f != NULL)
    return f;
  if (ntraced == traced_cap) {
    size_t cap = traced_cap ? traced_cap * 2 : 16;
    struct traced *n = realloc(traced, cap * sizeof(*n));
    if (n == NULL) {
      out_of_memory = 1;
      return NULL;
    }
    traced = n;
    traced_cap = cap;
  }
  f = &traced[ntraced++];
  memset(f, 0, sizeof(*f));
  f->ino = ino;
  f->is_dir = is_dir;
  return f;
}

static void add(const struct crash_op *op) {
  if (crash_trace_add(trace, op) == NULL)
    out_of_memory = 1;
}

/* Append op with the mode, owner and group st gives. */
static void add_attributes(struct crash_op *op, const struct stat *st) {
  op->mode = st->st_mode & 07777;
  op->uid = st->st_uid;
  op->gid = st->st_gid;
  add(op);
}

/* An op of kind by call on inode ino (off: a truncate's size). */
static void add_on(enum crash_kind kind, const char *call, unsigned long ino,
                   int64_t off) {
  struct crash_op op = crash_op_make(kind, call, ino);
  op.off = off;
  add(&op);
}

static int shadow_reserve(struct traced *f, int64_t size) {
  unsigned char *d;
  int64_t cap;
  if (size <= f->cap)
    return 0;
  cap = f->cap ? f->cap : 4096;
  while (cap < size)
    cap *= 2;
  d = realloc(f->data, (size_t)cap);
  if (d == NULL) {
    out_of_memory = 1;
    return -1;
  }
  memset(d + f->cap, 0, (size_t)(cap - f->cap));
  f->data = d;
  f->cap = cap;
  return 0;
}

/* The shadow takes a write or a new size, as the file did. */
static void shadow_write(struct traced *f, int64_t off, const void *p, int64_t n) {
  if (n <= 0 || shadow_reserve(f, off + n) != 0)
    return;
  memcpy(f->data + off, p, (size_t)n);
  if (off + n > f->size)
    f->size = off + n;
}

static void shadow_resize(struct traced *f, int64_t size) {
  if (shadow_reserve(f, size) != 0)
    return;
  if (size < f->size)
    memset(f->data + size, 0, (size_t)(f->size - size));
  f->size = size;
}

/* The traced file or directory fd refers to, or NULL. */
static struct traced *traced_fd(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_dev != root_dev)
    return NULL;
  return find((unsigned long)st.st_ino);
}

/* The inode at dirfd/path (not following a link), 0 if none. */
static unsigned long ino_at(int dirfd, const char *path, struct stat *out) {
  struct stat st;
  if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_dev != root_dev)
    return 0;
  if (out != NULL)
    *out = st;
  return (unsigned long)st.st_ino;
}

/* The traced directory path is in (relative to dirfd) and its last
 * component (in base); 0 if the directory is not traced. */
static unsigned long dir_of(int dirfd, const char *path, char base[CRASH_NAME_MAX]) {
  const char *slash = strrchr(path, '/');
  unsigned long dir = 0;
  struct stat st;
  if (slash == NULL) {
    if (fstatat(dirfd, ".", &st, 0) == 0 && st.st_dev == root_dev)
      dir = (unsigned long)st.st_ino;
    snprintf(base, CRASH_NAME_MAX, "%s", path);
  } else {
    char parent[4096];
    size_t n = (size_t)(slash - path);
    if (n == 0)
      n = 1; /* "/name" */
    if (n >= sizeof(parent))
      return 0;
    memcpy(parent, path, n);
    parent[n] = '\0';
    if (fstatat(dirfd, parent, &st, 0) == 0 && st.st_dev == root_dev)
      dir = (unsigned long)st.st_ino;
    snprintf(base, CRASH_NAME_MAX, "%s", slash + 1);
  }
  return find(dir) != NULL && find(dir)->is_dir ? dir : 0;
}

/* Record what changed in the file at fd since the recorder last looked
 * (writes made around the table), and update the shadow. */
static void catch_up(int fd, struct traced *f) {
  struct crash_op op;
  unsigned char *now;
  struct stat st;
  int64_t size, i, start;
  if (f == NULL || f->is_dir || fstat(fd, &st) != 0)
    return;
  size = st.st_size;
  now = malloc(size > 0 ? (size_t)size : 1);
  if (now == NULL) {
    out_of_memory = 1;
    return;
  }
  if (size > 0 && pread(fd, now, (size_t)size, 0) != (ssize_t)size) {
    free(now); /* an O_PATH or write-only fd: nothing to compare */
    return;
  }
  op = crash_op_make(CRASH_WRITE, "write", f->ino);
  op.seen_late = 1;
  if (size < f->size) {
    op.kind = CRASH_TRUNCATE;
    op.off = size;
    add(&op);
    shadow_resize(f, size);
  }
  if (shadow_reserve(f, size) != 0) {
    free(now);
    return;
  }
  /* f->data is zero beyond f->size, as the file reads beyond its end */
  for (i = 0; i < size;) {
    if (now[i] == f->data[i]) {
      i++;
      continue;
    }
    for (start = i; i < size && now[i] != f->data[i]; i++)
      ;
    op.kind = CRASH_WRITE;
    op.off = start;
    op.len = i - start;
    op.data = now + start;
    add(&op);
    shadow_write(f, start, now + start, i - start);
  }
  if (size > f->size) { /* grown without data: a hole */
    op.kind = CRASH_TRUNCATE;
    op.off = size;
    op.len = 0;
    op.data = NULL;
    add(&op);
    shadow_resize(f, size);
  }
  free(now);
}

/* catch_up() for the traced file at dirfd/path, if it is one. */
static void catch_up_at(int dirfd, const char *path) {
  struct stat st;
  struct traced *f;
  int fd;
  if (ino_at(dirfd, path, &st) == 0 || !S_ISREG(st.st_mode) ||
      (f = find((unsigned long)st.st_ino)) == NULL)
    return;
  fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    catch_up(fd, f);
    close(fd);
  }
}

static void record_new_file(const char *call, enum crash_kind kind,
                            unsigned long dir, const char *name, int fd) {
  struct crash_op op;
  struct stat st;
  if (fstat(fd, &st) != 0 || track((unsigned long)st.st_ino, 0) == NULL)
    return;
  op = crash_op_make(kind, call, (unsigned long)st.st_ino);
  op.dir = dir;
  snprintf(op.name, sizeof(op.name), "%s", name);
  add_attributes(&op, &st);
}

static int rec_openat(int dirfd, const char *path, int flags, mode_t mode) {
  char base[CRASH_NAME_MAX];
  unsigned long dir, before = 0;
  struct traced *f;
  int fd;
  if (TF_O_TMPFILE != 0 && (flags & TF_O_TMPFILE) == TF_O_TMPFILE) {
    /* path names the directory the unnamed file is made in */
    dir = ino_at(dirfd, path, NULL);
    dir = find(dir) != NULL ? dir : 0;
    if (no_tmpfile && dir != 0) {
      errno = EOPNOTSUPP;
      return -1;
    }
    fd = real.openat(dirfd, path, flags, mode);
    if (fd >= 0 && dir != 0)
      record_new_file("openat", CRASH_TMPFILE, dir, "", fd);
    return fd;
  }
  dir = dir_of(dirfd, path, base);
  if (dir != 0 && (flags & O_CREAT))
    before = ino_at(dirfd, path, NULL);
  if (dir != 0 && (flags & O_TRUNC))
    catch_up_at(dirfd, path); /* what the truncate throws away */
  fd = real.openat(dirfd, path, flags, mode);
  if (fd < 0 || dir == 0)
    return fd;
  if ((flags & O_CREAT) && before == 0) {
    record_new_file("openat", CRASH_CREATE, dir, base, fd);
  } else if ((flags & O_TRUNC) && (f = traced_fd(fd)) != NULL && !f->is_dir &&
             f->size > 0) {
    add_on(CRASH_TRUNCATE, "openat", f->ino, 0);
    shadow_resize(f, 0);
  }
  return fd;
}

static int rec_close(int fd) {
  struct traced *f = traced_fd(fd);
  if (f != NULL && !f->is_dir) {
    catch_up(fd, f);
    add_on(CRASH_CLOSE, "close", f->ino, 0);
  }
  return real.close(fd);
}

static int rec_unlinkat(int dirfd, const char *path, int flags) {
  char base[CRASH_NAME_MAX];
  unsigned long dir = dir_of(dirfd, path, base), ino = ino_at(dirfd, path, NULL);
  int rc;
  if (!(flags & AT_REMOVEDIR))
    catch_up_at(dirfd, path);
  rc = real.unlinkat(dirfd, path, flags);
  if (rc == 0 && dir != 0) {
    struct crash_op op = crash_op_make(CRASH_UNLINK, "unlinkat", ino);
    op.dir = dir;
    snprintf(op.name, sizeof(op.name), "%s", base);
    add(&op);
  }
  return rc;
}

static int rec_mkdirat(int dirfd, const char *path, mode_t mode) {
  char base[CRASH_NAME_MAX];
  unsigned long dir = dir_of(dirfd, path, base);
  struct stat st;
  int rc = real.mkdirat(dirfd, path, mode);
  if (rc == 0 && dir != 0 && ino_at(dirfd, path, &st) != 0 &&
      track((unsigned long)st.st_ino, 1) != NULL) {
    struct crash_op op = crash_op_make(CRASH_MKDIR, "mkdirat", (unsigned long)st.st_ino);
    op.dir = dir;
    snprintf(op.name, sizeof(op.name), "%s", base);
    add_attributes(&op, &st);
  }
  return rc;
}

static void record_rename(const char *call, unsigned long d1, const char *n1,
                          unsigned long d2, const char *n2, unsigned int flags,
                          unsigned long ino, unsigned long ino2) {
  struct crash_op op = crash_op_make(CRASH_RENAME, call, ino);
  op.dir = d1;
  op.dir2 = d2;
  op.flags = flags;
  op.ino2 = ino2;
  snprintf(op.name, sizeof(op.name), "%s", n1);
  snprintf(op.name2, sizeof(op.name2), "%s", n2);
  add(&op);
}

static int rec_renameat(int od, const char *op, int nd, const char *np) {
  char b1[CRASH_NAME_MAX], b2[CRASH_NAME_MAX];
  unsigned long d1 = dir_of(od, op, b1), d2 = dir_of(nd, np, b2);
  unsigned long i1 = ino_at(od, op, NULL), i2 = ino_at(nd, np, NULL);
  int rc;
  catch_up_at(od, op);
  catch_up_at(nd, np);
  rc = real.renameat(od, op, nd, np);
  if (rc == 0 && (d1 != 0 || d2 != 0))
    record_rename("renameat", d1, b1, d2, b2, 0, i1, i2);
  return rc;
}

static int rec_renameat2(int od, const char *op, int nd, const char *np,
                         unsigned int flags) {
  char b1[CRASH_NAME_MAX], b2[CRASH_NAME_MAX];
  unsigned long d1 = dir_of(od, op, b1), d2 = dir_of(nd, np, b2);
  unsigned long i1 = ino_at(od, op, NULL), i2 = ino_at(nd, np, NULL);
  int rc;
  if (no_renameat2 && (d1 != 0 || d2 != 0)) {
    errno = ENOSYS;
    return -1;
  }
  catch_up_at(od, op);
  catch_up_at(nd, np);
  rc = real.renameat2(od, op, nd, np, flags);
  if (rc == 0 && (d1 != 0 || d2 != 0))
    record_rename("renameat2", d1, b1, d2, b2, flags, i1, i2);
  return rc;
}

static void record_link(const char *call, unsigned long dir, const char *name,
                        unsigned long ino) {
  struct crash_op op = crash_op_make(CRASH_LINK, call, ino);
  op.dir = dir;
  snprintf(op.name, sizeof(op.name), "%s", name);
  add(&op);
}

static int rec_linkat(int od, const char *op, int nd, const char *np, int flags) {
  char base[CRASH_NAME_MAX];
  unsigned long dir = dir_of(nd, np, base);
  int rc;
  if (!(flags & AT_EMPTY_PATH))
    catch_up_at(od, op);
  rc = real.linkat(od, op, nd, np, flags);
  if (rc == 0 && dir != 0)
    record_link("linkat", dir, base, ino_at(nd, np, NULL));
  return rc;
}

static int rec_linkfd(int fd, int dirfd, const char *name) {
  char base[CRASH_NAME_MAX];
  unsigned long dir = dir_of(dirfd, name, base);
  int rc;
  catch_up(fd, traced_fd(fd));
  rc = real.linkfd(fd, dirfd, name);
  if (rc == 0 && dir != 0)
    record_link("linkat(/proc/self/fd)", dir, base, ino_at(dirfd, name, NULL));
  return rc;
}

static void record_meta(const char *call, int fd, struct traced *f) {
  struct crash_op op;
  struct stat st;
  if (f == NULL || fstat(fd, &st) != 0)
    return;
  /* a chown's mode too: it clears set-ID bits, in the same inode update */
  op = crash_op_make(strcmp(call, "fchown") == 0 ? CRASH_CHOWN : CRASH_CHMOD, call,
                     f->ino);
  add_attributes(&op, &st);
}

static int rec_fchmod(int fd, mode_t mode) {
  struct traced *f = traced_fd(fd);
  int rc;
  catch_up(fd, f);
  rc = real.fchmod(fd, mode);
  if (rc == 0)
    record_meta("fchmod", fd, f);
  return rc;
}

static int rec_fchmodat(int dirfd, const char *path, mode_t mode, int flags) {
  int rc = real.fchmodat(dirfd, path, mode, flags);
  struct stat st;
  if (rc == 0 && ino_at(dirfd, path, &st) != 0 && find((unsigned long)st.st_ino)) {
    struct crash_op op = crash_op_make(CRASH_CHMOD, "fchmodat", (unsigned long)st.st_ino);
    add_attributes(&op, &st);
  }
  return rc;
}

static int rec_fchown(int fd, uid_t uid, gid_t gid) {
  struct traced *f = traced_fd(fd);
  int rc;
  catch_up(fd, f);
  rc = real.fchown(fd, uid, gid);
  if (rc == 0)
    record_meta("fchown", fd, f);
  return rc;
}

static void record_write(const char *call, struct traced *f, int64_t off,
                         const void *buf, ssize_t n) {
  struct crash_op op;
  if (f == NULL || n <= 0)
    return;
  op = crash_op_make(CRASH_WRITE, call, f->ino);
  op.off = off;
  op.len = n;
  op.data = (unsigned char *)buf;
  add(&op);
  shadow_write(f, off, buf, n);
}

static ssize_t rec_write(int fd, const void *buf, size_t n) {
  struct traced *f = traced_fd(fd);
  int64_t off = 0;
  ssize_t r;
  if (f != NULL && !f->is_dir) {
    catch_up(fd, f);
    off = (fcntl(fd, F_GETFL) & O_APPEND) ? f->size : lseek(fd, 0, SEEK_CUR);
  }
  r = real.write(fd, buf, n);
  if (f != NULL && !f->is_dir)
    record_write("write", f, off, buf, r);
  return r;
}

static ssize_t rec_pwrite(int fd, const void *buf, size_t n, int64_t off) {
  struct traced *f = traced_fd(fd);
  ssize_t r;
  if (f != NULL && !f->is_dir)
    catch_up(fd, f);
  r = real.pwrite(fd, buf, n, off);
  if (f != NULL && !f->is_dir)
    record_write("pwrite", f, off, buf, r);
  return r;
}

static int rec_ftruncate(int fd, int64_t size) {
  struct traced *f = traced_fd(fd);
  int rc;
  if (f != NULL && !f->is_dir)
    catch_up(fd, f);
  rc = real.ftruncate(fd, size);
  if (rc == 0 && f != NULL && !f->is_dir) {
    add_on(CRASH_TRUNCATE, "ftruncate", f->ino, size);
    shadow_resize(f, size);
  }
  return rc;
}

static int rec_fallocate(int fd, int64_t off, int64_t n) {
  struct traced *f = traced_fd(fd);
  int rc;
  if (f != NULL && !f->is_dir)
    catch_up(fd, f);
  rc = real.fallocate(fd, off, n);
  if (f != NULL && !f->is_dir)
    catch_up(fd, f); /* a size it grew to */
  return rc;
}

static int rec_fsync(int fd) {
  struct traced *f = traced_fd(fd);
  int rc;
  if (f != NULL && !f->is_dir)
    catch_up(fd, f);
  rc = real.fsync(fd);
  if (rc == 0 && f != NULL)
    add_on(CRASH_FSYNC, "fsync", f->ino, 0);
  return rc;
}

static int rec_fflush(FILE *fp) {
  int rc = real.fflush(fp);
  int fd = fileno(fp);
  if (fd >= 0)
    catch_up(fd, traced_fd(fd));
  return rc;
}

static int rec_fclose(FILE *fp) {
  int fd = fileno(fp);
  struct traced *f = fd >= 0 ? traced_fd(fd) : NULL;
  if (f != NULL && !f->is_dir) {
    real.fflush(fp); /* what fclose would write first */
    catch_up(fd, f);
    add_on(CRASH_CLOSE, "fclose", f->ino, 0);
  }
  return real.fclose(fp);
}

/* The directory's entries, and the files' contents, before the scenario. */
static int snapshot(int dirfd) {
  struct dirent *e;
  DIR *d;
  int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0 || (d = fdopendir(fd)) == NULL) {
    if (fd >= 0)
      close(fd);
    return -errno;
  }
  while ((e = readdir(d)) != NULL) {
    struct crash_file *cf, *n;
    struct stat st;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      continue;
    n = realloc(trace->initial, (trace->ninitial + 1) * sizeof(*n));
    if (n == NULL)
      break;
    trace->initial = n;
    cf = &n[trace->ninitial++];
    memset(cf, 0, sizeof(*cf));
    snprintf(cf->name, sizeof(cf->name), "%s", e->d_name);
    cf->ino = (unsigned long)st.st_ino;
    cf->is_dir = S_ISDIR(st.st_mode);
    cf->mode = st.st_mode & 07777;
    cf->uid = st.st_uid;
    cf->gid = st.st_gid;
    if (S_ISREG(st.st_mode)) {
      int ffd = openat(dirfd, e->d_name, O_RDONLY | O_CLOEXEC);
      struct traced *f = track(cf->ino, 0);
      cf->size = st.st_size;
      cf->data = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
      if (ffd < 0 || f == NULL || cf->data == NULL ||
          pread(ffd, cf->data, (size_t)cf->size, 0) != (ssize_t)cf->size)
        out_of_memory = 1;
      else
        shadow_write(f, 0, cf->data, cf->size);
      if (ffd >= 0)
        close(ffd);
    } else if (cf->is_dir) {
      track(cf->ino, 1);
    }
  }
  closedir(d);
  return out_of_memory ? -ENOMEM : 0;
}

int crash_record_start(struct crash_trace *t, int dirfd, unsigned int refuse) {
  struct stat st;
  int rc;
  if (fstat(dirfd, &st) != 0)
    return -errno;
  memset(t, 0, sizeof(*t));
  trace = t;
  t->root = (unsigned long)st.st_ino;
  root_dev = st.st_dev;
  no_tmpfile = (refuse & CRASH_REFUSE_TMPFILE) != 0;
  no_renameat2 = (refuse & CRASH_REFUSE_RENAMEAT2) != 0;
  out_of_memory = 0;
  ntraced = 0;
  if (track(t->root, 1) == NULL)
    return -ENOMEM;
  rc = snapshot(dirfd);
  if (rc < 0)
    return rc;
  real = tf__sys_os;
  tf__sys_os.openat = rec_openat;
  tf__sys_os.close = rec_close;
  tf__sys_os.unlinkat = rec_unlinkat;
  tf__sys_os.mkdirat = rec_mkdirat;
  tf__sys_os.renameat = rec_renameat;
  tf__sys_os.renameat2 = rec_renameat2;
  tf__sys_os.linkat = rec_linkat;
  tf__sys_os.linkfd = rec_linkfd;
  tf__sys_os.fchmod = rec_fchmod;
  tf__sys_os.fchmodat = rec_fchmodat;
  tf__sys_os.fchown = rec_fchown;
  tf__sys_os.write = rec_write;
  tf__sys_os.pwrite = rec_pwrite;
  tf__sys_os.ftruncate = rec_ftruncate;
  tf__sys_os.fallocate = rec_fallocate;
  tf__sys_os.fsync = rec_fsync;
  tf__sys_os.fflush = rec_fflush;
  tf__sys_os.fclose = rec_fclose;
  return 0;
}

int crash_record_stop(void) {
  size_t i;
  tf__sys_os = real;
  for (i = 0; i < ntraced; i++)
    free(traced[i].data);
  free(traced);
  traced = NULL;
  ntraced = traced_cap = 0;
  trace = NULL;
  return out_of_memory ? -ENOMEM : 0;
}

void crash_record_mark(const char *what) {
  struct crash_op op = crash_op_make(CRASH_MARK, "", 0);
  snprintf(op.name, sizeof(op.name), "%s", what);
  add(&op);
}

int crash_record_fsync(int fd) { return tf__sys.fsync(fd); }

int crash_record_fchmod(int fd, unsigned int mode) {
  return tf__sys.fchmod(fd, (mode_t)mode);
}
