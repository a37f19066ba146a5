/* SPDX-License-Identifier: MIT */
/*
 * fault.c - the tests' fault injector, as SQLite's xSetSystemCall: before
 * main() it saves the entries of the library's system-call table
 * (tf__sys_os, the system's calls behind the EINTR policy of tf__sys) and
 * puts wrappers in their place, so an injected EINTR is retried (or, at
 * a close, taken as success) exactly as a real one.  Each wrapper counts the
 * call and, if it is the armed one, fails it with the chosen errno;
 * otherwise it calls the saved entry.  Allocations (malloc, mapmem) and
 * their releases (free, unmapmem) are counted so a test can prove that
 * nothing leaked.  The library is the one users get: it has no test code.
 * Tests that put their own function in an entry of tf__sys save and
 * restore what is there: their function runs in front of the EINTR
 * policy, which runs in front of these wrappers.
 */
#include "fault.h"

#include <pthread.h>
#include <string.h>

/* The library's own entries, saved before main(). */
static struct tf__sys_table real;

static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static int fault_id = TF_SYS_ANY;
static unsigned long fault_countdown; /* 0: disarmed */
static int fault_errno;
static int fault_sticky; /* keep failing after the nth call */
static int fault_fired_flag;
static int fault_fired_which = TF_SYS_ANY;
static unsigned long calls_made;
static long allocs_outstanding;

static void arm(int sys_id, unsigned long nth, int err, int sticky) {
  pthread_mutex_lock(&fault_lock);
  fault_id = sys_id;
  fault_countdown = nth;
  fault_errno = err;
  fault_sticky = sticky;
  fault_fired_flag = 0;
  fault_fired_which = TF_SYS_ANY;
  pthread_mutex_unlock(&fault_lock);
}

void tf__fault_arm(int sys_id, unsigned long nth, int err) {
  arm(sys_id, nth, err, 0);
}

void tf__fault_arm_sticky(int sys_id, unsigned long nth, int err) {
  arm(sys_id, nth, err, 1);
}

void tf__fault_disarm(void) { arm(TF_SYS_ANY, 0, 0, 0); }

const char *tf__sys_name(int sys_id) {
  static const char *const names[] = {
#define TF_SYS_NAME(name, ret, params, args, eintr) #name,
      TF_SYSCALLS(TF_SYS_NAME)
#undef TF_SYS_NAME
  };
  return sys_id >= 0 && sys_id < TF_SYS_COUNT ? names[sys_id] : "?";
}

int tf__fault_fired(void) { return fault_fired_flag; }
int tf__fault_fired_id(void) { return fault_fired_which; }
unsigned long tf__sys_calls(void) { return calls_made; }
long tf__alloc_outstanding(void) { return allocs_outstanding; }

/* Nonzero if this call must fail; then errno is set to the chosen value. */
static int fault_here(int id) {
  int fail = 0;
  pthread_mutex_lock(&fault_lock);
  calls_made++;
  if (fault_countdown > 0 && (fault_id == TF_SYS_ANY || fault_id == id)) {
    if (--fault_countdown == 0) {
      fail = 1;
      fault_fired_flag = 1;
      fault_fired_which = id;
      if (fault_sticky)
        fault_countdown = 1;
    }
  }
  pthread_mutex_unlock(&fault_lock);
  if (fail)
    errno = fault_errno;
  return fail;
}

/* close() and fclose() release the fd even when they report an error, as
 * Linux does, so their injected failures do the real work first. */
static int fault_close(int fd) {
  int failing = fault_here(TF_SYS_close);
  int saved = errno;
  int rc = real.close(fd);
  if (failing) {
    errno = saved;
    return -1;
  }
  return rc;
}

static int fault_fclose(FILE *fp) {
  int failing = fault_here(TF_SYS_fclose);
  int saved = errno;
  int rc = real.fclose(fp);
  if (failing) {
    errno = saved;
    return -1;
  }
  return rc;
}

static int fault_closedir(DIR *d) {
  int failing = fault_here(TF_SYS_closedir);
  int saved = errno;
  int rc = real.closedir(d);
  if (failing) {
    errno = saved;
    return -1;
  }
  return rc;
}

static int fault_malloc(size_t n, void **out) {
  if (fault_here(TF_SYS_malloc))
    return -1;
  if (real.malloc(n, out) != 0)
    return -1;
  pthread_mutex_lock(&fault_lock);
  allocs_outstanding++;
  pthread_mutex_unlock(&fault_lock);
  return 0;
}

#define TF_SYS_FAULT(name, ret, params, args)                                \
  static ret fault_##name params {                                           \
    if (fault_here(TF_SYS_##name))                                           \
      return -1;                                                             \
    return real.name args;                                                   \
  }
TF_SYS_FAULT(openat, int,
             (int dirfd, const char *path, int flags, mode_t mode),
             (dirfd, path, flags, mode))
TF_SYS_FAULT(unlinkat, int, (int dirfd, const char *path, int flags),
             (dirfd, path, flags))
TF_SYS_FAULT(mkdirat, int, (int dirfd, const char *path, mode_t mode),
             (dirfd, path, mode))
TF_SYS_FAULT(fstatat, int,
             (int dirfd, const char *path, struct stat *st, int flags),
             (dirfd, path, st, flags))
TF_SYS_FAULT(renameat, int, (int od, const char *op, int nd, const char *np),
             (od, op, nd, np))
TF_SYS_FAULT(renameat2, int,
             (int od, const char *op, int nd, const char *np,
              unsigned int flags),
             (od, op, nd, np, flags))
TF_SYS_FAULT(linkat, int,
             (int od, const char *op, int nd, const char *np, int flags),
             (od, op, nd, np, flags))
TF_SYS_FAULT(fchmod, int, (int fd, mode_t mode), (fd, mode))
TF_SYS_FAULT(fchmodat, int,
             (int dirfd, const char *path, mode_t mode, int flags),
             (dirfd, path, mode, flags))
TF_SYS_FAULT(write, ssize_t, (int fd, const void *buf, size_t n), (fd, buf, n))
TF_SYS_FAULT(fcntl_dupfd, int, (int fd), (fd))
TF_SYS_FAULT(getcwd, int, (char *buf, size_t size), (buf, size))
TF_SYS_FAULT(fdopen, int, (int fd, const char *mode, FILE **out),
             (fd, mode, out))
TF_SYS_FAULT(fflush, int, (FILE * fp), (fp))
TF_SYS_FAULT(statfd, int, (int fd, struct tf__stat *st), (fd, st))
TF_SYS_FAULT(statat, int, (int dirfd, const char *name, struct tf__stat *st),
             (dirfd, name, st))
TF_SYS_FAULT(fstat, int, (int fd, struct stat *st), (fd, st))
TF_SYS_FAULT(fdopendir, int, (int fd, DIR **out), (fd, out))
TF_SYS_FAULT(read, ssize_t, (int fd, void *buf, size_t n), (fd, buf, n))
TF_SYS_FAULT(pread, ssize_t, (int fd, void *buf, size_t n, int64_t off),
             (fd, buf, n, off))
TF_SYS_FAULT(pwrite, ssize_t, (int fd, const void *buf, size_t n, int64_t off),
             (fd, buf, n, off))
TF_SYS_FAULT(lseek, int64_t, (int fd, int64_t off, int whence),
             (fd, off, whence))
TF_SYS_FAULT(ftruncate, int, (int fd, int64_t size), (fd, size))
TF_SYS_FAULT(fsize, int, (int fd, int64_t *size), (fd, size))
TF_SYS_FAULT(fopencookie, int, (void *cookie, FILE **out), (cookie, out))
TF_SYS_FAULT(fsync, int, (int fd), (fd))
TF_SYS_FAULT(fchown, int, (int fd, uid_t uid, gid_t gid), (fd, uid, gid))
TF_SYS_FAULT(readlinkat, ssize_t,
             (int dirfd, const char *path, char *buf, size_t n),
             (dirfd, path, buf, n))
TF_SYS_FAULT(linkfd, int, (int fd, int dirfd, const char *name),
             (fd, dirfd, name))
TF_SYS_FAULT(fstype, int, (int fd, unsigned long *type), (fd, type))
TF_SYS_FAULT(flock, int, (int fd, int op), (fd, op))
TF_SYS_FAULT(xattr_set, int,
             (int fd, const char *name, const void *v, size_t n),
             (fd, name, v, n))
TF_SYS_FAULT(xattr_get, ssize_t,
             (int fd, const char *name, void *v, size_t n), (fd, name, v, n))
TF_SYS_FAULT(xattr_remove, int, (int fd, const char *name), (fd, name))
TF_SYS_FAULT(fallocate, int, (int fd, int64_t off, int64_t n), (fd, off, n))
TF_SYS_FAULT(mapfile, int, (int fd, int64_t off, size_t n, void **out),
             (fd, off, n, out))
TF_SYS_FAULT(unmapfile, int, (void *p, size_t n), (p, n))

static int fault_mapmem(size_t n, void **out) {
  if (fault_here(TF_SYS_mapmem))
    return -1;
  if (real.mapmem(n, out) != 0)
    return -1;
  pthread_mutex_lock(&fault_lock);
  allocs_outstanding++;
  pthread_mutex_unlock(&fault_lock);
  return 0;
}

/* Like close(), it releases the memory even when made to fail. */
static int fault_unmapmem(void *p, size_t n) {
  int failing = fault_here(TF_SYS_unmapmem);
  int saved = errno;
  int rc = real.unmapmem(p, n);
  pthread_mutex_lock(&fault_lock);
  allocs_outstanding--;
  pthread_mutex_unlock(&fault_lock);
  if (failing) {
    errno = saved;
    return -1;
  }
  return rc;
}
#undef TF_SYS_FAULT

/* Listings report DT_UNKNOWN while hide_dtype is set. */
static int hide_dtype;

void tf__test_hide_dtype(int on) { hide_dtype = on; }

static int fault_readdir(DIR *d, struct dirent **out) {
  if (fault_here(TF_SYS_readdir))
    return -1;
  if (real.readdir(d, out) != 0)
    return -1;
  if (*out != NULL && hide_dtype)
    (*out)->d_type = DT_UNKNOWN;
  return 0;
}

/* Each read of the CSPRNG refills the library's pool of name characters
 * (random.c); the tests count them. */
static unsigned long getrandom_calls;

unsigned long tf__random_refills(void) { return getrandom_calls; }

static int fault_getrandom(void *buf, size_t n) {
  if (fault_here(TF_SYS_getrandom))
    return -1;
  pthread_mutex_lock(&fault_lock);
  getrandom_calls++;
  pthread_mutex_unlock(&fault_lock);
  return real.getrandom(buf, n);
}

/* free() cannot fail, and is not a call that tests count or fail. */
static void fault_free(void *p) {
  pthread_mutex_lock(&fault_lock);
  allocs_outstanding--;
  pthread_mutex_unlock(&fault_lock);
  real.free(p);
}

/* Names chosen by a test, taken in order by the library's name source
 * (random.c calls it with tf__process_lock held), then the real source. */
static const char *const *injected;
static size_t injected_count;
static size_t injected_next;
static int (*real_name_source)(char *out, size_t len);

void tf__test_names(const char *const *names, size_t count) {
  pthread_mutex_lock(&tf__process_lock);
  injected = names;
  injected_count = names ? count : 0;
  injected_next = 0;
  pthread_mutex_unlock(&tf__process_lock);
}

/* The next injected name, repeated to fill len. */
static int injected_name(char *out, size_t len) {
  const char *name;
  size_t i, name_len;
  if (injected_next >= injected_count)
    return real_name_source(out, len);
  name = injected[injected_next++];
  name_len = strlen(name);
  for (i = 0; i < len; i++)
    out[i] = name_len ? name[i % name_len] : 'a';
  return 0;
}

size_t tf__test_spool_memory(const tf_spool *s) {
  return tf__spool_memory(s);
}

/* Before main(), so that every call of every test is seen, and the
 * harness's saved table (tf_test_restore_syscalls()) is this one. */
__attribute__((constructor)) static void install(void) {
  real = tf__sys_os;
#define TF_SYS_INSTALL(name, ret, params, args, eintr)                       \
  tf__sys_os.name = fault_##name;
  TF_SYSCALLS(TF_SYS_INSTALL)
#undef TF_SYS_INSTALL
  real_name_source = tf__name_source;
  tf__name_source = injected_name;
}
