/* SPDX-License-Identifier: MIT */
/*
 * test_contract.c - the one error rule, checked for every function the
 * public header declares (tempfile(3), "Conventions"):
 *   - the ending functions (*_free, *_freep, *_close, *_abort, *_cleanup,
 *     *_end, tf_free, tf_scope_guard_end) accept NULL and return 0 (the
 *     void ones do nothing);
 *   - every other NULL handle, output or required pointer is -EINVAL;
 *   - every *at function accepts AT_FDCWD, and a bad fd (-5, or the
 *     number of an fd just closed) is -EBADF;
 *   - every flag bit a call does not take (each of the 32, the other
 *     calls' flags included) and an unknown tf_opts.version are -EINVAL;
 *   - and a call refused for a bad argument has no effect: no file in
 *     the test directory, no fd, no library allocation, its output
 *     untouched; no call returns a positive errno.
 * One test per public function (test_contract_<function>); the list of
 * functions comes from the header itself (tests/contract/list.sh, run by
 * the Makefile into contract_names.inc), and
 * test_contract_covers_every_function_of_the_header fails when a
 * function declared there has no entry here.
 */
#include "harness.h"
#include "fault.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------ the table */

struct contract_entry {
  const char *name;
  struct contract_entry *next;
};
static struct contract_entry *contract_list;

/* Violations of the rule found by the running entry: each is printed
 * when found, and the entry fails at its end with their count, so one
 * run shows every call of a function that breaks the rule. */
static int violations;

static void violation(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void violation(const char *fmt, ...) {
  va_list ap;
  fputs("    contract: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  violations++;
}

static void contract_done(const char *fn) {
  if (violations > 0)
    FAIL("%s breaks the error rule in %d call(s), listed above", fn,
         violations);
}

/* CONTRACT(tf_x) { ... }: the entry of tf_x, run as the unit test
 * test_contract_tf_x, and registered in the table the coverage test
 * compares with the header. */
#define CONTRACT(fn)                                                         \
  static void contract_body_##fn(void);                                      \
  static struct contract_entry contract_entry_##fn = {#fn, NULL};            \
  __attribute__((constructor)) static void contract_register_##fn(void) {    \
    contract_entry_##fn.next = contract_list;                                \
    contract_list = &contract_entry_##fn;                                    \
  }                                                                          \
  TEST(test_contract_##fn) {                                                 \
    contract_body_##fn();                                                    \
    contract_done(#fn);                                                      \
  }                                                                          \
  static void contract_body_##fn(void)

/* ------------------------------------------------------------- checking */

static const char *describe(long long rc) {
  if (rc > 0)
    return "a positive value";
  if (rc == 0)
    return "success";
  return tf_err_name((int)rc);
}

static void expect_rc(const char *what, long long got, long long want) {
  if (got != want)
    violation("%s: expected %lld (%s), got %lld (%s)%s", what, want,
              describe(want), got, describe(got),
              want < 0 && got > 0 ? ": a positive errno" : "");
}

#define EXPECT(expr, want) expect_rc(#expr, (long long)(expr), (long long)(want))

/* What a refused call must not change: the test directory's entries,
 * the open fds, the library's outstanding allocations. */
struct snap {
  char *files;
  char *fds;
  long mem;
};

static void snap_take(struct snap *s) {
  s->files = tf_test_listing(tf_test_dir());
  s->fds = tf_test_fd_listing();
  s->mem = tf__alloc_outstanding();
}

static void snap_check(struct snap *s, const char *what) {
  struct snap now;
  snap_take(&now);
  if (strcmp(s->files, now.files) != 0)
    violation("%s: changed the test directory: [%s] became [%s]", what,
              s->files, now.files);
  if (strcmp(s->fds, now.fds) != 0)
    violation("%s: changed the open fds: [%s] became [%s]", what, s->fds,
              now.fds);
  if (s->mem != now.mem)
    violation("%s: left %ld library allocation(s)", what, now.mem - s->mem);
  free(s->files);
  free(s->fds);
  free(now.files);
  free(now.fds);
}

/* expr must return want and have no effect. */
#define EXPECT_NO_EFFECT(expr, want)                                         \
  do {                                                                       \
    struct snap s_;                                                          \
    snap_take(&s_);                                                          \
    expect_rc(#expr, (long long)(expr), (long long)(want));                  \
    snap_check(&s_, #expr);                                                  \
  } while (0)

/* An output pointer's value before a call that must leave it alone. */
static char sentinel_byte;
#define SENTINEL ((void *)&sentinel_byte)

static void expect_untouched(const char *what, const void *out) {
  if (out != SENTINEL)
    violation("%s: changed its output pointer although it failed", what);
}

/* The number of an fd that was just closed. */
static int closed_fd(void) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  CHECK_SYS(fd);
  CHECK_SYS(close(fd));
  return fd;
}

static int open_dot(void) {
  int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(fd);
  return fd;
}

/* Every flag of the one namespace is a bit of an unsigned int. */
#define ALL_BITS 32

/* A call made with opts (or with a flags argument): returns what the
 * function returned, after undoing a success (so a wrong success is
 * reported as such, not as a leftover). */
typedef long long (*opts_call)(const tf_opts *o, void *ctx);
typedef long long (*flags_call)(unsigned int flags, void *ctx);

/* Each bit not in accepted, alone in tf_opts.flags, and a version this
 * library does not know: -EINVAL and no effect. */
static void sweep_opts(const char *fn, unsigned int accepted, opts_call call,
                       void *ctx) {
  char what[160];
  struct snap s;
  tf_opts o;
  int b;
  for (b = 0; b < ALL_BITS; b++) {
    unsigned int bit = 1u << b;
    tf_opts zero = TF_OPTS_INIT;
    if (bit & accepted)
      continue;
    o = zero;
    o.flags = bit;
    snprintf(what, sizeof(what), "%s(opts.flags = 0x%x)", fn, bit);
    snap_take(&s);
    expect_rc(what, call(&o, ctx), -EINVAL);
    snap_check(&s, what);
  }
  {
    tf_opts zero = TF_OPTS_INIT;
    unsigned int versions[2];
    int k;
    versions[0] = TF_OPTS_VERSION + 1;
    versions[1] = UINT_MAX;
    for (k = 0; k < 2; k++) {
      o = zero;
      o.version = versions[k];
      snprintf(what, sizeof(what), "%s(opts.version = %u)", fn, versions[k]);
      snap_take(&s);
      expect_rc(what, call(&o, ctx), -EINVAL);
      snap_check(&s, what);
    }
  }
}

/* Each bit not in accepted, alone in the flags argument: -EINVAL and no
 * effect. */
static void sweep_flags(const char *fn, unsigned int accepted,
                        flags_call call, void *ctx) {
  char what[160];
  struct snap s;
  int b;
  for (b = 0; b < ALL_BITS; b++) {
    unsigned int bit = 1u << b;
    if (bit & accepted)
      continue;
    snprintf(what, sizeof(what), "%s(flags = 0x%x)", fn, bit);
    snap_take(&s);
    expect_rc(what, call(bit, ctx), -EINVAL);
    snap_check(&s, what);
  }
}

/* A bad fd (-5 and a closed one): -EBADF and no effect.  call receives
 * the fd through ctx's first int. */
typedef long long (*fd_call)(int fd, void *ctx);

static void sweep_bad_fds(const char *fn, fd_call call, void *ctx) {
  char what[160];
  struct snap s;
  int fds[2];
  int k;
  fds[0] = -5;
  fds[1] = closed_fd();
  for (k = 0; k < 2; k++) {
    snprintf(what, sizeof(what), "%s(fd = %d%s)", fn, fds[k],
             k == 1 ? ", closed" : "");
    snap_take(&s);
    expect_rc(what, call(fds[k], ctx), -EBADF);
    snap_check(&s, what);
  }
}

/* ------------------------------------------------------- the coverage */

/* The Makefile writes contract_names.inc into $(BUILD)/tests; without
 * it (a Makefile without the rule) the test compiles and fails. */
#if defined(__has_include)
#if __has_include("contract_names.inc")
#define HAVE_CONTRACT_NAMES 1
#endif
#else
#define HAVE_CONTRACT_NAMES 1
#endif

static const char *const header_names[] = {
#ifdef HAVE_CONTRACT_NAMES
#include "contract_names.inc"
#endif
    NULL};

TEST(test_contract_covers_every_function_of_the_header) {
  size_t n = sizeof(header_names) / sizeof(header_names[0]) - 1;
  size_t k;
  int missing = 0, stale = 0;
  struct contract_entry *e;
  if (n == 0)
    FAIL("no list of the header's functions: the Makefile writes it with "
         "tests/contract/list.sh into $(BUILD)/tests/contract_names.inc");
  for (k = 0; k < n; k++) {
    for (e = contract_list; e != NULL; e = e->next)
      if (strcmp(e->name, header_names[k]) == 0)
        break;
    if (e == NULL) {
      fprintf(stderr,
              "    %s is declared TF_EXTERN in include/tempfile.h but has no "
              "CONTRACT(%s) entry in tests/test_contract.c\n",
              header_names[k], header_names[k]);
      missing++;
    }
  }
  for (e = contract_list; e != NULL; e = e->next) {
    for (k = 0; k < n; k++)
      if (strcmp(e->name, header_names[k]) == 0)
        break;
    if (k == n) {
      fprintf(stderr,
              "    tests/test_contract.c has an entry for %s, which "
              "include/tempfile.h does not declare TF_EXTERN\n",
              e->name);
      stale++;
    }
  }
  if (missing > 0 || stale > 0)
    FAIL("the contract test and the header disagree: %d public function(s) "
         "without an entry, %d entr(ies) without a function",
         missing, stale);
}

/* --------------------------------------------- version, errors, memory */

CONTRACT(tf_version) { EXPECT(tf_version(), TF_VERSION_HEX); }

CONTRACT(tf_version_string) {
  const char *v = tf_version_string();
  if (v == NULL || strcmp(v, TF_VERSION_STRING) != 0)
    violation("tf_version_string(): \"%s\", not \"%s\"", v ? v : "(null)",
              TF_VERSION_STRING);
}

CONTRACT(tf_strerror) {
  /* No pointer: any int gives a static string, never NULL. */
  int values[] = {0, -1, -EINVAL, EINVAL, -100000, INT_MIN, INT_MAX};
  size_t k;
  for (k = 0; k < sizeof(values) / sizeof(values[0]); k++)
    if (tf_strerror(values[k]) == NULL)
      violation("tf_strerror(%d) is NULL", values[k]);
}

CONTRACT(tf_err_name) {
  int values[] = {0, -1, -EINVAL, EINVAL, -100000, INT_MIN, INT_MAX};
  size_t k;
  for (k = 0; k < sizeof(values) / sizeof(values[0]); k++)
    if (tf_err_name(values[k]) == NULL)
      violation("tf_err_name(%d) is NULL", values[k]);
}

CONTRACT(tf_free) {
  /* An ending function: NULL does nothing. */
  struct snap s;
  snap_take(&s);
  tf_free(NULL);
  snap_check(&s, "tf_free(NULL)");
}

CONTRACT(tf_opts_init) {
  tf_opts o, before;
  EXPECT_NO_EFFECT(tf_opts_init(NULL, TF_OPTS_VERSION), -EINVAL);
  memset(&o, 0x5a, sizeof(o));
  before = o;
  EXPECT_NO_EFFECT(tf_opts_init(&o, TF_OPTS_VERSION + 1), -EINVAL);
  EXPECT_NO_EFFECT(tf_opts_init(&o, UINT_MAX), -EINVAL);
  if (memcmp(&o, &before, sizeof(o)) != 0)
    violation("tf_opts_init(&o, unknown version) changed o");
  EXPECT(tf_opts_init(&o, TF_OPTS_VERSION), 0);
  EXPECT(o.version, TF_OPTS_VERSION);
}

/* ------------------------------------------------------------ temp dir */

CONTRACT(tf_gettempdir) {
  EXPECT_NO_EFFECT(tf_gettempdir(NULL, 100), -EINVAL);
  EXPECT_NO_EFFECT(tf_gettempdir(NULL, 0), -EINVAL);
}

CONTRACT(tf_settempdir) {
  /* NULL is a value here (remove the override); "" is refused. */
  EXPECT_NO_EFFECT(tf_settempdir(""), -EINVAL);
  EXPECT(tf_settempdir(NULL), 0);
}

CONTRACT(tf_gettempprefix) {
  EXPECT_NO_EFFECT(tf_gettempprefix(NULL, 100), -EINVAL);
}

CONTRACT(tf_settempprefix) {
  /* NULL is a value here (restore "tmp"); a '/' is refused. */
  char buf[64];
  EXPECT_NO_EFFECT(tf_settempprefix("a/b"), -EINVAL);
  EXPECT(tf_gettempprefix(buf, sizeof(buf)), 3);
  EXPECT(tf_settempprefix(NULL), 0);
}

/* ------------------------------------------------------ creation calls */

static long long call_mkstemp(const tf_opts *o, void *ctx) {
  char *path = SENTINEL;
  int rc = tf_mkstemp(&path, o);
  (void)ctx;
  if (rc >= 0) {
    close(rc);
    unlink(path);
    tf_free(path);
  } else {
    expect_untouched("tf_mkstemp", path);
  }
  return rc;
}

CONTRACT(tf_mkstemp) {
  EXPECT_NO_EFFECT(tf_mkstemp(NULL, NULL), -EINVAL);
  sweep_opts("tf_mkstemp", 0, call_mkstemp, NULL);
}

static long long call_mkstempat(int fd, void *ctx) {
  char *name = SENTINEL;
  int rc = tf_mkstempat(fd, &name, ctx);
  if (rc >= 0) {
    close(rc);
    unlinkat(fd, name, 0);
    tf_free(name);
  } else {
    expect_untouched("tf_mkstempat", name);
  }
  return rc;
}

static long long call_mkstempat_opts(const tf_opts *o, void *ctx) {
  return call_mkstempat(*(int *)ctx, (void *)o);
}

CONTRACT(tf_mkstempat) {
  int dirfd = open_dot();
  char *name = NULL;
  int fd;
  /* name_out may be NULL: no required pointer. */
  sweep_bad_fds("tf_mkstempat", call_mkstempat, NULL);
  sweep_opts("tf_mkstempat", 0, call_mkstempat_opts, &dirfd);
  fd = tf_mkstempat(AT_FDCWD, &name, NULL);
  EXPECT(fd >= 0, 1);
  if (fd >= 0) {
    close(fd);
    CHECK_SYS(unlink(name));
    tf_free(name);
  }
  close(dirfd);
}

static long long call_mkdtemp(const tf_opts *o, void *ctx) {
  char *path = SENTINEL;
  int rc = tf_mkdtemp(&path, o);
  (void)ctx;
  if (rc >= 0) {
    rmdir(path);
    tf_free(path);
  } else {
    expect_untouched("tf_mkdtemp", path);
  }
  return rc;
}

CONTRACT(tf_mkdtemp) {
  EXPECT_NO_EFFECT(tf_mkdtemp(NULL, NULL), -EINVAL);
  sweep_opts("tf_mkdtemp", 0, call_mkdtemp, NULL);
}

static long long call_mkdtempat(int fd, void *ctx) {
  char *name = SENTINEL;
  int rc = tf_mkdtempat(fd, &name, ctx);
  if (rc >= 0) {
    unlinkat(fd, name, AT_REMOVEDIR);
    tf_free(name);
  } else {
    expect_untouched("tf_mkdtempat", name);
  }
  return rc;
}

static long long call_mkdtempat_opts(const tf_opts *o, void *ctx) {
  return call_mkdtempat(*(int *)ctx, (void *)o);
}

CONTRACT(tf_mkdtempat) {
  int dirfd = open_dot();
  char *name = NULL;
  EXPECT_NO_EFFECT(tf_mkdtempat(dirfd, NULL, NULL), -EINVAL);
  EXPECT_NO_EFFECT(tf_mkdtempat(AT_FDCWD, NULL, NULL), -EINVAL);
  sweep_bad_fds("tf_mkdtempat", call_mkdtempat, NULL);
  sweep_opts("tf_mkdtempat", 0, call_mkdtempat_opts, &dirfd);
  EXPECT(tf_mkdtempat(AT_FDCWD, &name, NULL), 0);
  if (name != NULL) {
    CHECK_SYS(rmdir(name));
    tf_free(name);
  }
  close(dirfd);
}

static long long call_mktemp(const tf_opts *o, void *ctx) {
  char *path = SENTINEL;
  int rc = tf_mktemp(&path, o);
  (void)ctx;
  if (rc >= 0)
    tf_free(path);
  else
    expect_untouched("tf_mktemp", path);
  return rc;
}

CONTRACT(tf_mktemp) {
  EXPECT_NO_EFFECT(tf_mktemp(NULL, NULL), -EINVAL);
  sweep_opts("tf_mktemp", 0, call_mktemp, NULL);
}

static long long call_mktempat(int fd, void *ctx) {
  char *name = SENTINEL;
  int rc = tf_mktempat(fd, &name, ctx);
  if (rc >= 0)
    tf_free(name);
  else
    expect_untouched("tf_mktempat", name);
  return rc;
}

static long long call_mktempat_opts(const tf_opts *o, void *ctx) {
  return call_mktempat(*(int *)ctx, (void *)o);
}

CONTRACT(tf_mktempat) {
  int dirfd = open_dot();
  char *name = NULL;
  EXPECT_NO_EFFECT(tf_mktempat(dirfd, NULL, NULL), -EINVAL);
  sweep_bad_fds("tf_mktempat", call_mktempat, NULL);
  sweep_opts("tf_mktempat", 0, call_mktempat_opts, &dirfd);
  EXPECT(tf_mktempat(AT_FDCWD, &name, NULL), 0);
  tf_free(name);
  close(dirfd);
}

static long long call_tmpfile(const tf_opts *o, void *ctx) {
  int rc = tf_tmpfile(o);
  (void)ctx;
  if (rc >= 0)
    close(rc);
  return rc;
}

CONTRACT(tf_tmpfile) {
  /* No pointer argument (NULL opts are the defaults). */
  sweep_opts("tf_tmpfile", 0, call_tmpfile, NULL);
}

static long long call_tmpfileat(int fd, void *ctx) {
  int rc = tf_tmpfileat(fd, ctx);
  if (rc >= 0)
    close(rc);
  return rc;
}

static long long call_tmpfileat_opts(const tf_opts *o, void *ctx) {
  return call_tmpfileat(*(int *)ctx, (void *)o);
}

CONTRACT(tf_tmpfileat) {
  int dirfd = open_dot();
  int fd;
  sweep_bad_fds("tf_tmpfileat", call_tmpfileat, NULL);
  sweep_opts("tf_tmpfileat", 0, call_tmpfileat_opts, &dirfd);
  fd = tf_tmpfileat(AT_FDCWD, NULL);
  EXPECT(fd >= 0, 1);
  if (fd >= 0)
    close(fd);
  close(dirfd);
}

/* -------------------------------------------------- named file handle */

#define FILE_FLAGS (TF_KEEP | TF_DELETE_ON_FREE | TF_UNTRACKED)

static tf_file *new_file(void) {
  tf_file *f = NULL;
  ASSERT_OK(tf_file_create(&f, NULL));
  return f;
}

static long long call_file_create(const tf_opts *o, void *ctx) {
  tf_file *f = SENTINEL;
  int rc = tf_file_create(&f, o);
  (void)ctx;
  if (rc >= 0)
    tf_file_free(f);
  else
    expect_untouched("tf_file_create", f);
  return rc;
}

CONTRACT(tf_file_create) {
  EXPECT_NO_EFFECT(tf_file_create(NULL, NULL), -EINVAL);
  sweep_opts("tf_file_create", FILE_FLAGS, call_file_create, NULL);
}

static long long call_file_createat(int fd, void *ctx) {
  tf_file *f = SENTINEL;
  int rc = tf_file_createat(&f, fd, ctx);
  if (rc >= 0)
    tf_file_free(f);
  else
    expect_untouched("tf_file_createat", f);
  return rc;
}

static long long call_file_createat_opts(const tf_opts *o, void *ctx) {
  return call_file_createat(*(int *)ctx, (void *)o);
}

CONTRACT(tf_file_createat) {
  int dirfd = open_dot();
  tf_file *f = NULL;
  EXPECT_NO_EFFECT(tf_file_createat(NULL, dirfd, NULL), -EINVAL);
  EXPECT_NO_EFFECT(tf_file_createat(NULL, AT_FDCWD, NULL), -EINVAL);
  sweep_bad_fds("tf_file_createat", call_file_createat, NULL);
  sweep_opts("tf_file_createat", FILE_FLAGS, call_file_createat_opts,
             &dirfd);
  EXPECT(tf_file_createat(&f, AT_FDCWD, NULL), 0);
  EXPECT(tf_file_free(f), 0);
  close(dirfd);
}

CONTRACT(tf_file_fd) { EXPECT_NO_EFFECT(tf_file_fd(NULL), -EINVAL); }

CONTRACT(tf_file_path) {
  if (tf_file_path(NULL) != NULL)
    violation("tf_file_path(NULL) is not NULL");
}

CONTRACT(tf_file_stream) {
  tf_file *f = new_file();
  FILE *out = SENTINEL;
  EXPECT_NO_EFFECT(tf_file_stream(NULL, &out), -EINVAL);
  expect_untouched("tf_file_stream(NULL, &out)", out);
  EXPECT_NO_EFFECT(tf_file_stream(f, NULL), -EINVAL);
  EXPECT(tf_file_free(f), 0);
}

CONTRACT(tf_file_close) { EXPECT_NO_EFFECT(tf_file_close(NULL), 0); }

CONTRACT(tf_file_keep) { EXPECT_NO_EFFECT(tf_file_keep(NULL), -EINVAL); }

#define PUBLISH_FLAGS TF_NOCLOBBER

static long long call_publish(unsigned int flags, void *ctx) {
  return tf_file_publish(ctx, "published", 0, flags);
}

static void check_unpublished(tf_file *f, const char *path) {
  if (strcmp(tf_file_path(f), path) != 0)
    violation("a refused publish changed the handle's path to %s",
              tf_file_path(f));
  if (tf_test_exists("published")) {
    violation("a refused publish made \"published\"");
    unlink("published");
  }
}

CONTRACT(tf_file_publish) {
  tf_file *f = new_file();
  char *path = strdup(tf_file_path(f));
  EXPECT_NO_EFFECT(tf_file_publish(NULL, "published", 0, 0), -EINVAL);
  EXPECT_NO_EFFECT(tf_file_publish(f, NULL, 0, 0), -EINVAL);
  sweep_flags("tf_file_publish", PUBLISH_FLAGS, call_publish, f);
  check_unpublished(f, path);
  free(path);
  EXPECT(tf_file_free(f), 0);
}

struct publishat_ctx {
  tf_file *f;
  int dirfd;
};

static long long call_publishat(unsigned int flags, void *ctx) {
  struct publishat_ctx *c = ctx;
  return tf_file_publishat(c->f, c->dirfd, "published", 0, flags);
}

static long long call_publishat_fd(int fd, void *ctx) {
  return tf_file_publishat(ctx, fd, "published", 0, 0);
}

CONTRACT(tf_file_publishat) {
  struct publishat_ctx c;
  char *path;
  c.f = new_file();
  c.dirfd = open_dot();
  path = strdup(tf_file_path(c.f));
  EXPECT_NO_EFFECT(tf_file_publishat(NULL, c.dirfd, "published", 0, 0),
                   -EINVAL);
  EXPECT_NO_EFFECT(tf_file_publishat(c.f, c.dirfd, NULL, 0, 0), -EINVAL);
  sweep_bad_fds("tf_file_publishat", call_publishat_fd, c.f);
  sweep_flags("tf_file_publishat", PUBLISH_FLAGS, call_publishat, &c);
  check_unpublished(c.f, path);
  free(path);
  EXPECT(tf_file_publishat(c.f, AT_FDCWD, "published", 0, 0), 0);
  EXPECT(tf_file_free(c.f), 0);
  CHECK_SYS(unlink("published"));
  close(c.dirfd);
}

CONTRACT(tf_file_free) { EXPECT_NO_EFFECT(tf_file_free(NULL), 0); }

/* ------------------------------------------------------ directories */

#define DIR_FLAGS (TF_KEEP | TF_IGNORE_ERRORS | TF_UNTRACKED)

static long long call_dir_create(const tf_opts *o, void *ctx) {
  tf_dir *d = SENTINEL;
  int rc = tf_dir_create(&d, o);
  (void)ctx;
  if (rc >= 0) {
    tf_dir_cleanup(d);
    tf_dir_free(d);
  } else {
    expect_untouched("tf_dir_create", d);
  }
  return rc;
}

CONTRACT(tf_dir_create) {
  EXPECT_NO_EFFECT(tf_dir_create(NULL, NULL), -EINVAL);
  sweep_opts("tf_dir_create", DIR_FLAGS, call_dir_create, NULL);
}

static long long call_dir_createat(int fd, void *ctx) {
  tf_dir *d = SENTINEL;
  int rc = tf_dir_createat(&d, fd, ctx);
  if (rc >= 0) {
    tf_dir_cleanup(d);
    tf_dir_free(d);
  } else {
    expect_untouched("tf_dir_createat", d);
  }
  return rc;
}

static long long call_dir_createat_opts(const tf_opts *o, void *ctx) {
  return call_dir_createat(*(int *)ctx, (void *)o);
}

CONTRACT(tf_dir_createat) {
  int dirfd = open_dot();
  tf_dir *d = NULL;
  EXPECT_NO_EFFECT(tf_dir_createat(NULL, dirfd, NULL), -EINVAL);
  EXPECT_NO_EFFECT(tf_dir_createat(NULL, AT_FDCWD, NULL), -EINVAL);
  sweep_bad_fds("tf_dir_createat", call_dir_createat, NULL);
  sweep_opts("tf_dir_createat", DIR_FLAGS, call_dir_createat_opts, &dirfd);
  EXPECT(tf_dir_createat(&d, AT_FDCWD, NULL), 0);
  EXPECT(tf_dir_free(d), 0);
  close(dirfd);
}

CONTRACT(tf_dir_path) {
  if (tf_dir_path(NULL) != NULL)
    violation("tf_dir_path(NULL) is not NULL");
}

CONTRACT(tf_dir_fd) { EXPECT_NO_EFFECT(tf_dir_fd(NULL), -EINVAL); }

CONTRACT(tf_dir_cleanup) { EXPECT_NO_EFFECT(tf_dir_cleanup(NULL), 0); }

CONTRACT(tf_dir_keep) { EXPECT_NO_EFFECT(tf_dir_keep(NULL), -EINVAL); }

CONTRACT(tf_dir_free) { EXPECT_NO_EFFECT(tf_dir_free(NULL), 0); }

#define RMTREE_FLAGS (TF_IGNORE_ERRORS | TF_CONTENTS_ONLY)

static long long call_rmtreeat(unsigned int flags, void *ctx) {
  return tf_rmtreeat(*(int *)ctx, "victim", flags);
}

static long long call_rmtreeat_fd(int fd, void *ctx) {
  (void)ctx;
  return tf_rmtreeat(fd, "victim", 0);
}

CONTRACT(tf_rmtreeat) {
  int dirfd = open_dot();
  CHECK_SYS(mkdir("victim", 0700));
  tf_test_write_file("victim/inside", "x");
  EXPECT_NO_EFFECT(tf_rmtreeat(dirfd, NULL, 0), -EINVAL);
  EXPECT_NO_EFFECT(tf_rmtreeat(AT_FDCWD, NULL, 0), -EINVAL);
  sweep_bad_fds("tf_rmtreeat", call_rmtreeat_fd, NULL);
  sweep_flags("tf_rmtreeat", RMTREE_FLAGS, call_rmtreeat, &dirfd);
  if (!tf_test_exists("victim/inside"))
    violation("a refused tf_rmtreeat() removed victim/inside");
  EXPECT(tf_rmtreeat(AT_FDCWD, "victim", 0), 0);
  close(dirfd);
}

/* ------------------------------------------------------------ spools */

static tf_spool *new_spool(void) {
  tf_spool *s = NULL;
  ASSERT_OK(tf_spool_create(&s, 16, NULL));
  return s;
}

static long long call_spool_create(const tf_opts *o, void *ctx) {
  tf_spool *s = SENTINEL;
  int rc = tf_spool_create(&s, 16, o);
  (void)ctx;
  if (rc >= 0)
    tf_spool_free(s);
  else
    expect_untouched("tf_spool_create", s);
  return rc;
}

CONTRACT(tf_spool_create) {
  EXPECT_NO_EFFECT(tf_spool_create(NULL, 16, NULL), -EINVAL);
  sweep_opts("tf_spool_create", 0, call_spool_create, NULL);
}

static long long call_spool_createat(int fd, void *ctx) {
  tf_spool *s = SENTINEL;
  int rc = tf_spool_createat(&s, 16, fd, ctx);
  if (rc >= 0)
    tf_spool_free(s);
  else
    expect_untouched("tf_spool_createat", s);
  return rc;
}

static long long call_spool_createat_opts(const tf_opts *o, void *ctx) {
  return call_spool_createat(*(int *)ctx, (void *)o);
}

CONTRACT(tf_spool_createat) {
  int dirfd = open_dot();
  tf_spool *s = NULL;
  EXPECT_NO_EFFECT(tf_spool_createat(NULL, 16, dirfd, NULL), -EINVAL);
  EXPECT_NO_EFFECT(tf_spool_createat(NULL, 16, AT_FDCWD, NULL), -EINVAL);
  sweep_bad_fds("tf_spool_createat", call_spool_createat, NULL);
  sweep_opts("tf_spool_createat", 0, call_spool_createat_opts, &dirfd);
  EXPECT(tf_spool_createat(&s, 4, AT_FDCWD, NULL), 0);
  if (s != NULL) {
    EXPECT(tf_spool_write(s, "0123456789", 10), 10); /* rolls over here */
    EXPECT(tf_spool_rolled(s), 1);
  }
  EXPECT(tf_spool_free(s), 0);
  close(dirfd);
}

CONTRACT(tf_spool_write) {
  tf_spool *s = new_spool();
  EXPECT_NO_EFFECT(tf_spool_write(NULL, "abc", 3), -EINVAL);
  EXPECT_NO_EFFECT(tf_spool_write(s, NULL, 3), -EINVAL);
  EXPECT(tf_spool_size(s), 0);
  EXPECT(tf_spool_free(s), 0);
}

CONTRACT(tf_spool_writev) {
  tf_spool *s = new_spool();
  struct iovec iov;
  iov.iov_base = (void *)"abc";
  iov.iov_len = 3;
  EXPECT_NO_EFFECT(tf_spool_writev(NULL, &iov, 1), -EINVAL);
  EXPECT_NO_EFFECT(tf_spool_writev(s, NULL, 1), -EINVAL);
  EXPECT(tf_spool_size(s), 0);
  EXPECT(tf_spool_free(s), 0);
}

CONTRACT(tf_spool_read) {
  tf_spool *s = new_spool();
  char buf[4];
  EXPECT(tf_spool_write(s, "abc", 3), 3);
  EXPECT(tf_spool_seek(s, 0, SEEK_SET), 0);
  EXPECT_NO_EFFECT(tf_spool_read(NULL, buf, sizeof(buf)), -EINVAL);
  EXPECT_NO_EFFECT(tf_spool_read(s, NULL, sizeof(buf)), -EINVAL);
  EXPECT(tf_spool_tell(s), 0);
  EXPECT(tf_spool_free(s), 0);
}

CONTRACT(tf_spool_seek) {
  tf_spool *s = new_spool();
  EXPECT_NO_EFFECT(tf_spool_seek(NULL, 0, SEEK_SET), -EINVAL);
  /* An unknown whence is this call's unknown flag. */
  EXPECT(tf_spool_write(s, "abc", 3), 3);
  EXPECT_NO_EFFECT(tf_spool_seek(s, 0, 12345), -EINVAL);
  EXPECT(tf_spool_tell(s), 3);
  EXPECT(tf_spool_free(s), 0);
}

CONTRACT(tf_spool_tell) { EXPECT_NO_EFFECT(tf_spool_tell(NULL), -EINVAL); }

CONTRACT(tf_spool_truncate) {
  EXPECT_NO_EFFECT(tf_spool_truncate(NULL, 0), -EINVAL);
  EXPECT_NO_EFFECT(tf_spool_truncate(NULL, TF_SPOOL_HERE), -EINVAL);
}

CONTRACT(tf_spool_flush) { EXPECT_NO_EFFECT(tf_spool_flush(NULL), -EINVAL); }

CONTRACT(tf_spool_size) { EXPECT_NO_EFFECT(tf_spool_size(NULL), -EINVAL); }

CONTRACT(tf_spool_rolled) {
  EXPECT_NO_EFFECT(tf_spool_rolled(NULL), -EINVAL);
}

CONTRACT(tf_spool_rollover) {
  EXPECT_NO_EFFECT(tf_spool_rollover(NULL), -EINVAL);
}

CONTRACT(tf_spool_fd) { EXPECT_NO_EFFECT(tf_spool_fd(NULL), -EINVAL); }

CONTRACT(tf_spool_stream) {
  tf_spool *s = new_spool();
  FILE *out = SENTINEL;
  EXPECT_NO_EFFECT(tf_spool_stream(NULL, &out), -EINVAL);
  expect_untouched("tf_spool_stream(NULL, &out)", out);
  EXPECT_NO_EFFECT(tf_spool_stream(s, NULL), -EINVAL);
  EXPECT(tf_spool_free(s), 0);
}

CONTRACT(tf_spool_close) { EXPECT_NO_EFFECT(tf_spool_close(NULL), 0); }

CONTRACT(tf_spool_free) { EXPECT_NO_EFFECT(tf_spool_free(NULL), 0); }

/* ------------------------------------------------- atomic replacement */

#define ATOMIC_FLAGS                                                         \
  (TF_NOCLOBBER | TF_SYNC_NONE | TF_SYNC_DURABLE | TF_SYNC_ONLY_EXISTING |   \
   TF_REPLACE_LINK | TF_MUST_EXIST | TF_STRICT_OWNER | TF_UNTRACKED)

static tf_atomic *new_atomic(void) {
  tf_atomic *a = NULL;
  ASSERT_OK(tf_atomic_begin(&a, "target", NULL));
  return a;
}

static long long call_atomic_begin(const tf_opts *o, void *ctx) {
  tf_atomic *a = SENTINEL;
  int rc = tf_atomic_begin(&a, "target", o);
  (void)ctx;
  if (rc >= 0)
    tf_atomic_free(a);
  else
    expect_untouched("tf_atomic_begin", a);
  return rc;
}

CONTRACT(tf_atomic_begin) {
  tf_atomic *a = SENTINEL;
  EXPECT_NO_EFFECT(tf_atomic_begin(NULL, "target", NULL), -EINVAL);
  EXPECT_NO_EFFECT(tf_atomic_begin(&a, NULL, NULL), -EINVAL);
  expect_untouched("tf_atomic_begin(&a, NULL, NULL)", a);
  sweep_opts("tf_atomic_begin", ATOMIC_FLAGS, call_atomic_begin, NULL);
}

static long long call_atomic_beginat(int fd, void *ctx) {
  tf_atomic *a = SENTINEL;
  int rc = tf_atomic_beginat(&a, fd, "target", ctx);
  if (rc >= 0)
    tf_atomic_free(a);
  else
    expect_untouched("tf_atomic_beginat", a);
  return rc;
}

static long long call_atomic_beginat_opts(const tf_opts *o, void *ctx) {
  return call_atomic_beginat(*(int *)ctx, (void *)o);
}

CONTRACT(tf_atomic_beginat) {
  int dirfd = open_dot();
  tf_atomic *a = NULL;
  EXPECT_NO_EFFECT(tf_atomic_beginat(NULL, dirfd, "target", NULL), -EINVAL);
  EXPECT_NO_EFFECT(tf_atomic_beginat(&a, dirfd, NULL, NULL), -EINVAL);
  EXPECT_NO_EFFECT(tf_atomic_beginat(&a, AT_FDCWD, NULL, NULL), -EINVAL);
  sweep_bad_fds("tf_atomic_beginat", call_atomic_beginat, NULL);
  sweep_opts("tf_atomic_beginat", ATOMIC_FLAGS, call_atomic_beginat_opts,
             &dirfd);
  a = NULL;
  EXPECT(tf_atomic_beginat(&a, AT_FDCWD, "target", NULL), 0);
  EXPECT(tf_atomic_free(a), 0);
  close(dirfd);
}

CONTRACT(tf_atomic_fd) { EXPECT_NO_EFFECT(tf_atomic_fd(NULL), -EINVAL); }

CONTRACT(tf_atomic_stream) {
  tf_atomic *a = new_atomic();
  FILE *out = SENTINEL;
  EXPECT_NO_EFFECT(tf_atomic_stream(NULL, &out), -EINVAL);
  expect_untouched("tf_atomic_stream(NULL, &out)", out);
  EXPECT_NO_EFFECT(tf_atomic_stream(a, NULL), -EINVAL);
  EXPECT(tf_atomic_free(a), 0);
}

CONTRACT(tf_atomic_write) {
  tf_atomic *a = new_atomic();
  EXPECT_NO_EFFECT(tf_atomic_write(NULL, "abc", 3), -EINVAL);
  EXPECT_NO_EFFECT(tf_atomic_write(a, NULL, 3), -EINVAL);
  EXPECT(tf_atomic_free(a), 0);
}

CONTRACT(tf_atomic_commit) {
  EXPECT_NO_EFFECT(tf_atomic_commit(NULL), -EINVAL);
}

CONTRACT(tf_atomic_committed) {
  EXPECT_NO_EFFECT(tf_atomic_committed(NULL), -EINVAL);
}

CONTRACT(tf_atomic_abort) { EXPECT_NO_EFFECT(tf_atomic_abort(NULL), 0); }

CONTRACT(tf_atomic_free) { EXPECT_NO_EFFECT(tf_atomic_free(NULL), 0); }

static long long call_write_file(const tf_opts *o, void *ctx) {
  int rc = tf_write_file("target", "new", 3, o);
  (void)ctx;
  if (rc >= 0)
    unlink("target");
  return rc;
}

CONTRACT(tf_write_file) {
  tf_opts o = TF_OPTS_INIT;
  char buf[8] = "";
  FILE *in;
  EXPECT_NO_EFFECT(tf_write_file(NULL, "new", 3, NULL), -EINVAL);
  EXPECT_NO_EFFECT(tf_write_file("target", NULL, 3, NULL), -EINVAL);
  sweep_opts("tf_write_file", ATOMIC_FLAGS, call_write_file, NULL);
  /* The issue's own case: TF_KEEP on an existing file is refused, and
   * the file keeps its contents. */
  tf_test_write_file("target", "old");
  o.flags = TF_KEEP;
  EXPECT_NO_EFFECT(tf_write_file("target", "new", 3, &o), -EINVAL);
  in = fopen("target", "r");
  ASSERT(in != NULL);
  if (fgets(buf, sizeof(buf), in) == NULL || strcmp(buf, "old") != 0)
    violation("a refused tf_write_file() changed the target to \"%s\"", buf);
  fclose(in);
  CHECK_SYS(unlink("target"));
}

static long long call_write_fileat(int fd, void *ctx) {
  int rc = tf_write_fileat(fd, "target", "new", 3, ctx);
  if (rc >= 0)
    unlinkat(fd, "target", 0);
  return rc;
}

static long long call_write_fileat_opts(const tf_opts *o, void *ctx) {
  return call_write_fileat(*(int *)ctx, (void *)o);
}

CONTRACT(tf_write_fileat) {
  int dirfd = open_dot();
  EXPECT_NO_EFFECT(tf_write_fileat(dirfd, NULL, "new", 3, NULL), -EINVAL);
  EXPECT_NO_EFFECT(tf_write_fileat(dirfd, "target", NULL, 3, NULL), -EINVAL);
  EXPECT_NO_EFFECT(tf_write_fileat(AT_FDCWD, NULL, "new", 3, NULL), -EINVAL);
  sweep_bad_fds("tf_write_fileat", call_write_fileat, NULL);
  sweep_opts("tf_write_fileat", ATOMIC_FLAGS, call_write_fileat_opts, &dirfd);
  EXPECT(tf_write_fileat(AT_FDCWD, "target", "new", 3, NULL), 0);
  CHECK_SYS(unlink("target"));
  close(dirfd);
}

/* ---------------------------------------------------------------- pools */

#define POOL_FLAGS (TF_POOL_NAMED | TF_UNTRACKED)

static long long call_pool_create(const tf_opts *o, void *ctx) {
  tf_pool *p = SENTINEL;
  int rc = tf_pool_create(&p, 2, o);
  (void)ctx;
  if (rc >= 0)
    tf_pool_free(p);
  else
    expect_untouched("tf_pool_create", p);
  return rc;
}

CONTRACT(tf_pool_create) {
  EXPECT_NO_EFFECT(tf_pool_create(NULL, 2, NULL), -EINVAL);
  sweep_opts("tf_pool_create", POOL_FLAGS, call_pool_create, NULL);
}

CONTRACT(tf_pool_acquire) {
  EXPECT_NO_EFFECT(tf_pool_acquire(NULL), -EINVAL);
}

CONTRACT(tf_pool_release) {
  tf_pool *p = NULL;
  int fd;
  ASSERT_OK(tf_pool_create(&p, 2, NULL));
  fd = tf_pool_acquire(p);
  ASSERT_OK(fd);
  EXPECT_NO_EFFECT(tf_pool_release(NULL, fd), -EINVAL);
  /* fd is the pool's (not a directory fd): one not from it is -EINVAL. */
  EXPECT_NO_EFFECT(tf_pool_release(p, -5), -EINVAL);
  EXPECT_NO_EFFECT(tf_pool_release(p, closed_fd()), -EINVAL);
  EXPECT(tf_pool_release(p, fd), 0);
  EXPECT(tf_pool_free(p), 0);
}

CONTRACT(tf_pool_path) {
  tf_pool *p = NULL;
  tf_opts o = TF_OPTS_INIT;
  o.flags = TF_POOL_NAMED;
  if (tf_pool_path(NULL, 0) != NULL)
    violation("tf_pool_path(NULL, 0) is not NULL");
  ASSERT_OK(tf_pool_create(&p, 2, &o));
  if (tf_pool_path(p, -5) != NULL)
    violation("tf_pool_path(p, -5) is not NULL");
  EXPECT(tf_pool_free(p), 0);
}

CONTRACT(tf_pool_idle) { EXPECT_NO_EFFECT(tf_pool_idle(NULL), 0); }

CONTRACT(tf_pool_free) { EXPECT_NO_EFFECT(tf_pool_free(NULL), 0); }

/* ------------------------------------------------------------ lifecycle */

CONTRACT(tf_cleanup_on_signals) {
  int kill_only = SIGKILL;
  /* NULL with count 0 is the default set; NULL with a count is not. */
  EXPECT_NO_EFFECT(tf_cleanup_on_signals(NULL, 1), -EINVAL);
  EXPECT_NO_EFFECT(tf_cleanup_on_signals(&kill_only, 1), -EINVAL);
}

CONTRACT(tf_cleanup_all) {
  /* No argument: a count, never negative with nothing registered. */
  EXPECT(tf_cleanup_all(), 0);
}

#define REAP_FLAGS (TF_REAP_DRY_RUN | TF_IGNORE_ERRORS)

/* A crash leftover: a child makes a tracked tf_file here and dies
 * without ending it (where the file system has no user extended
 * attributes it carries no mark and nothing is reapable: a refused call
 * then has nothing to get wrong, and the test removes the file itself). */
static void make_leftover(void) {
  pid_t pid = fork();
  int status;
  CHECK_SYS(pid);
  if (pid == 0) {
    tf_file *f = NULL;
    tf_opts o = TF_OPTS_INIT;
    o.dir = ".";
    o.prefix = "leftover_";
    _exit(tf_file_create(&f, &o) < 0);
  }
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void remove_leftovers(void) {
  char *list = tf_test_listing(".");
  char *name = strtok(list, "\n");
  for (; name != NULL; name = strtok(NULL, "\n"))
    if (strncmp(name, "leftover_", 9) == 0)
      CHECK_SYS(unlink(name));
  free(list);
}

static long long call_reap(unsigned int flags, void *ctx) {
  (void)ctx;
  return tf_reap(".", flags, 0, NULL, NULL);
}

CONTRACT(tf_reap) {
  /* dir NULL is the temporary directory, fn NULL no report: no required
   * pointer. */
  make_leftover();
  sweep_flags("tf_reap", REAP_FLAGS, call_reap, NULL);
  EXPECT(tf_reap(".", 0, 0, NULL, NULL) >= 0, 1);
  remove_leftovers();
}

static long long call_reapat(unsigned int flags, void *ctx) {
  return tf_reapat(*(int *)ctx, flags, 0, NULL, NULL);
}

static long long call_reapat_fd(int fd, void *ctx) {
  (void)ctx;
  return tf_reapat(fd, 0, 0, NULL, NULL);
}

CONTRACT(tf_reapat) {
  int dirfd = open_dot();
  make_leftover();
  sweep_bad_fds("tf_reapat", call_reapat_fd, NULL);
  sweep_flags("tf_reapat", REAP_FLAGS, call_reapat, &dirfd);
  EXPECT(tf_reapat(AT_FDCWD, 0, 0, NULL, NULL) >= 0, 1);
  remove_leftovers();
  close(dirfd);
}

/* ------------------------------------------------- scope-bound cleanup */

CONTRACT(tf_file_freep) {
  tf_file *none = NULL;
  struct snap s;
  snap_take(&s);
  tf_file_freep(NULL);
  tf_file_freep(&none);
  snap_check(&s, "tf_file_freep(NULL), tf_file_freep(&null)");
}

CONTRACT(tf_dir_freep) {
  tf_dir *none = NULL;
  struct snap s;
  snap_take(&s);
  tf_dir_freep(NULL);
  tf_dir_freep(&none);
  snap_check(&s, "tf_dir_freep(NULL), tf_dir_freep(&null)");
}

CONTRACT(tf_spool_freep) {
  tf_spool *none = NULL;
  struct snap s;
  snap_take(&s);
  tf_spool_freep(NULL);
  tf_spool_freep(&none);
  snap_check(&s, "tf_spool_freep(NULL), tf_spool_freep(&null)");
}

CONTRACT(tf_atomic_freep) {
  tf_atomic *none = NULL;
  struct snap s;
  snap_take(&s);
  tf_atomic_freep(NULL);
  tf_atomic_freep(&none);
  snap_check(&s, "tf_atomic_freep(NULL), tf_atomic_freep(&null)");
}

CONTRACT(tf_pool_freep) {
  tf_pool *none = NULL;
  struct snap s;
  snap_take(&s);
  tf_pool_freep(NULL);
  tf_pool_freep(&none);
  snap_check(&s, "tf_pool_freep(NULL), tf_pool_freep(&null)");
}

CONTRACT(tf_file_end) {
  EXPECT_NO_EFFECT(tf_file_end(NULL, 0), 0);
  EXPECT_NO_EFFECT(tf_file_end(NULL, 1), 0);
}

CONTRACT(tf_dir_end) {
  EXPECT_NO_EFFECT(tf_dir_end(NULL, 0), 0);
  EXPECT_NO_EFFECT(tf_dir_end(NULL, 1), 0);
}

CONTRACT(tf_set_kept_reporter) {
  /* NULL is a value here (report on stderr): no required pointer. */
  struct snap s;
  snap_take(&s);
  tf_set_kept_reporter(NULL, NULL);
  snap_check(&s, "tf_set_kept_reporter(NULL, NULL)");
}

CONTRACT(tf_scope_guard_init) {
  /* It returns the guard and can not fail; a guard of an unknown
   * version, or without its pointers, ends nothing. */
  tf_file *f = new_file();
  int status = 0;
  char *path = strdup(tf_file_path(f));
  tf_scope_guard g;
  g = tf_scope_guard_init(TF_SCOPE_GUARD_VERSION + 1, &f, &status, 0);
  tf_scope_guard_end(&g);
  if (f == NULL || !tf_test_exists(path))
    violation("a guard of version %u ended its file",
              TF_SCOPE_GUARD_VERSION + 1);
  g = tf_scope_guard_init(TF_SCOPE_GUARD_VERSION, NULL, &status, 0);
  tf_scope_guard_end(&g);
  g = tf_scope_guard_init(TF_SCOPE_GUARD_VERSION, &f, NULL, 0);
  tf_scope_guard_end(&g);
  if (f == NULL || !tf_test_exists(path))
    violation("a guard without its handle or status ended its file");
  g = tf_scope_guard_init(TF_SCOPE_GUARD_VERSION, &f, &status, 0);
  tf_scope_guard_end(&g);
  if (f != NULL || tf_test_exists(path))
    violation("a guard of version %u did not end its file",
              TF_SCOPE_GUARD_VERSION);
  free(path);
  if (f != NULL)
    tf_file_free(f);
}

CONTRACT(tf_scope_guard_end) {
  struct snap s;
  snap_take(&s);
  tf_scope_guard_end(NULL);
  snap_check(&s, "tf_scope_guard_end(NULL)");
}

/* ---------------------------------------------------------------- names */

CONTRACT(tf_random_chars) {
  EXPECT_NO_EFFECT(tf_random_chars(NULL, 4), -EINVAL);
}

/* The kernel ignores dirfd for an absolute path; the library does not,
 * so -5 is -EBADF whatever the path (a closed fd is only what the kernel
 * says of it). */
TEST(test_contract_negative_dirfd_is_ebadf_even_with_an_absolute_path) {
  char victim[PATH_MAX], target[PATH_MAX];
  tf_atomic *a = SENTINEL;
  tf_file *f = NULL;
  struct snap s;
  snprintf(victim, sizeof(victim), "%s/victim", tf_test_dir());
  snprintf(target, sizeof(target), "%s/target", tf_test_dir());
  CHECK_SYS(mkdir("victim", 0700));
  ASSERT_OK(tf_file_create(&f, NULL));
  snap_take(&s);
  expect_rc("tf_rmtreeat(-5, absolute)", tf_rmtreeat(-5, victim, 0), -EBADF);
  expect_rc("tf_atomic_beginat(-5, absolute)",
            tf_atomic_beginat(&a, -5, target, NULL), -EBADF);
  expect_untouched("tf_atomic_beginat", a);
  expect_rc("tf_write_fileat(-5, absolute)",
            tf_write_fileat(-5, target, "x", 1, NULL), -EBADF);
  expect_rc("tf_file_publishat(-5, absolute)",
            tf_file_publishat(f, -5, target, 0, 0), -EBADF);
  snap_check(&s, "a negative dirfd with an absolute path");
  ASSERT(tf_test_exists("victim"));
  ASSERT_OK(tf_file_free(f));
  CHECK_SYS(rmdir("victim"));
  contract_done("negative dirfd, absolute path");
}
