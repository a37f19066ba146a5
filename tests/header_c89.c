/* SPDX-License-Identifier: MIT */
/*
 * header_c89.c - the public header keeps its word: every macro of
 * tempfile.h is used here, in code that compiles as C89 with gcc and
 * clang (-std=c89 -pedantic -Wall -Wextra -Werror) and, the same file,
 * as C++98 with the C++ compiler, and that is linked with the static
 * library and run, so each macro is shown to do what it says (the
 * KEEP_ON_ERROR scopes really keep or delete, the flags are accepted by
 * the calls that take them, the TF_AUTO_* handles end with their scope).
 * tests/run-all.sh builds and runs it; tests/contract/macros.sh fails
 * make check when a macro of the header is not named in this file.
 *
 * It works in a fresh directory it makes under $TMPDIR and removes,
 * after checking that nothing else is left in it.  Prints one line per
 * failed check and exits 1 if any failed.
 *
 * C89: declarations only at the start of a block, no // comments, no
 * long long, no snprintf; C++98: no implicit conversion from void *.
 */
#define _XOPEN_SOURCE 700
#include "tempfile.h"

#ifndef TEMPFILE_H
#error "tempfile.h does not define its include guard TEMPFILE_H"
#endif
#include "tempfile.h" /* and a second include is harmless */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* TF_EXTERN declares as the header does; redeclaring is harmless. */
TF_EXTERN unsigned int tf_version(void);
TF_EXTERN const char *tf_version_string(void);

static int failures;

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "header_c89: FAILED: %s\n", what);
    failures++;
  }
}

static int exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

/* Entries of the working directory ("." and ".." aside). */
static int entries(void) {
  DIR *d = opendir(".");
  struct dirent *e;
  int n = 0;
  if (d == NULL)
    return -1;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      n++;
  closedir(d);
  return n;
}

static int bits(unsigned int v) {
  int n = 0;
  for (; v != 0; v >>= 1)
    n += (int)(v & 1u);
  return n;
}

/* ------------------------------------------------------------- version */

static void versions(void) {
  static const char built[] = TF_VERSION_STRING;
  char expect[32];
  check(TF_VERSION_HEX == ((TF_VERSION_MAJOR << 16) |
                           (TF_VERSION_MINOR << 8) | TF_VERSION_PATCH),
        "TF_VERSION_HEX is 0xMMmmpp of the three parts");
  check(tf_version() == TF_VERSION_HEX,
        "tf_version() is the TF_VERSION_HEX this was built with");
  check(strcmp(tf_version_string(), built) == 0,
        "tf_version_string() is TF_VERSION_STRING");
  sprintf(expect, "%d.%d.%d", TF_VERSION_MAJOR, TF_VERSION_MINOR,
          TF_VERSION_PATCH);
  check(strcmp(expect, TF_VERSION_STRING) == 0,
        "TF_VERSION_STRING is MAJOR.MINOR.PATCH");
}

/* ------------------------------------------------- names and options */

static void names_and_options(void) {
  tf_opts o = TF_OPTS_INIT;
  tf_opts by_call;
  char buf[TF_RANDOM_LEN_MAX + 1];
  char *path = NULL;
  const char *base;
  size_t k;
  int rc;

  check(o.version == TF_OPTS_VERSION, "TF_OPTS_INIT sets TF_OPTS_VERSION");
  check(o.dir == NULL && o.prefix == NULL && o.suffix == NULL &&
            o.random_len == 0 && o.mode == 0 && o.flags == 0 &&
            o.open_flags == 0,
        "TF_OPTS_INIT leaves every other field at its default");
  check(tf_opts_init(&by_call, TF_OPTS_VERSION) == 0 &&
            by_call.version == TF_OPTS_VERSION,
        "tf_opts_init(TF_OPTS_VERSION)");
  /* The errnos <tempfile.h> defines where the C runtime lacks them
   * (Windows): the library's names for them everywhere. */
  check(strcmp(tf_err_name(-ESTALE), "ESTALE") == 0 &&
            strcmp(tf_err_name(-EDQUOT), "EDQUOT") == 0,
        "ESTALE and EDQUOT have their names");
  check(tf_opts_init(&by_call, TF_OPTS_VERSION + 1) == -EINVAL,
        "tf_opts_init(TF_OPTS_VERSION + 1) is -EINVAL");

  check(sizeof(TF_ALPHABET) - 1 == 36, "TF_ALPHABET has 36 symbols");
  check(tf_random_chars(buf, TF_RANDOM_LEN_MAX) == 0,
        "tf_random_chars(TF_RANDOM_LEN_MAX)");
  for (k = 0; k < TF_RANDOM_LEN_MAX; k++)
    if (buf[k] == '\0' || strchr(TF_ALPHABET, buf[k]) == NULL)
      break;
  check(k == TF_RANDOM_LEN_MAX, "random characters come from TF_ALPHABET");

  /* The default length, the largest one, and one more. */
  o.dir = ".";
  o.prefix = "";
  rc = tf_mktemp(&path, &o);
  check(rc == 0, "tf_mktemp with the default random_len");
  if (rc == 0) {
    base = strrchr(path, '/');
    check(base != NULL && strlen(base + 1) == TF_RANDOM_LEN_DEFAULT,
          "the default random part is TF_RANDOM_LEN_DEFAULT long");
    tf_free(path);
  }
  o.random_len = TF_RANDOM_LEN_MAX;
  rc = tf_mktemp(&path, &o);
  check(rc == 0, "random_len = TF_RANDOM_LEN_MAX is accepted");
  if (rc == 0)
    tf_free(path);
  o.random_len = TF_RANDOM_LEN_MAX + 1;
  check(tf_mktemp(&path, &o) == -EINVAL,
        "random_len = TF_RANDOM_LEN_MAX + 1 is -EINVAL");
  check(TF_ATTEMPTS >= 1, "TF_ATTEMPTS is a count of names");
}

/* ---------------------------------------------------------- the flags */

static void flags(void) {
  unsigned int all[15];
  unsigned int any = 0;
  size_t k;
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  tf_dir *d = NULL;
  tf_pool *p = NULL;
  char *path = NULL;
  int fd;

  all[0] = TF_KEEP;
  all[1] = TF_DELETE_ON_FREE;
  all[2] = TF_IGNORE_ERRORS;
  all[3] = TF_CONTENTS_ONLY;
  all[4] = TF_SYNC_NONE;
  all[5] = TF_SYNC_DURABLE;
  all[6] = TF_SYNC_ONLY_EXISTING;
  all[7] = TF_REPLACE_LINK;
  all[8] = TF_MUST_EXIST;
  all[9] = TF_STRICT_OWNER;
  all[10] = TF_UNTRACKED;
  all[11] = TF_POOL_NAMED;
  all[12] = TF_REAP_DRY_RUN;
  all[13] = TF_NOCLOBBER;
  all[14] = 0x80u; /* reserved */
  for (k = 0; k < 15; k++) {
    check(bits(all[k]) == 1, "every flag is one bit");
    check((any & all[k]) == 0, "no two flags share a bit");
    any |= all[k];
  }

  /* TF_KEEP: the file outlives its handle. */
  o.flags = TF_KEEP | TF_UNTRACKED;
  check(tf_file_create(&f, &o) == 0, "tf_file_create(TF_KEEP | TF_UNTRACKED)");
  if (f != NULL) {
    path = strdup(tf_file_path(f));
    check(tf_file_free(f) == 0 && path != NULL && exists(path),
          "TF_KEEP keeps the file after tf_file_free()");
    if (path != NULL)
      unlink(path);
    free(path);
    path = NULL;
    f = NULL;
  }
  /* TF_DELETE_ON_FREE: survives the close, not the free. */
  o.flags = TF_DELETE_ON_FREE;
  check(tf_file_create(&f, &o) == 0, "tf_file_create(TF_DELETE_ON_FREE)");
  if (f != NULL) {
    path = strdup(tf_file_path(f));
    check(tf_file_close(f) == 0 && path != NULL && exists(path),
          "TF_DELETE_ON_FREE keeps the file after tf_file_close()");
    check(tf_file_free(f) == 0 && path != NULL && !exists(path),
          "TF_DELETE_ON_FREE deletes the file at tf_file_free()");
    free(path);
    path = NULL;
    f = NULL;
  }
  /* TF_NOCLOBBER: publishing over an existing name is -EEXIST. */
  o.flags = 0;
  fd = open("taken", O_WRONLY | O_CREAT | O_EXCL, 0600);
  check(fd >= 0, "creating \"taken\"");
  if (fd >= 0)
    close(fd);
  check(tf_file_create(&f, &o) == 0, "tf_file_create");
  if (f != NULL) {
    check(tf_file_publish(f, "taken", 0, TF_NOCLOBBER) == -EEXIST,
          "TF_NOCLOBBER refuses an existing name");
    tf_file_free(f);
    f = NULL;
  }
  /* TF_KEEP is not tf_write_file()'s: -EINVAL, "taken" untouched. */
  o.flags = TF_KEEP;
  check(tf_write_file("taken", "x", 1, &o) == -EINVAL,
        "tf_write_file(TF_KEEP) is -EINVAL");
  o.flags = TF_SYNC_NONE;
  check(tf_write_file("taken", "1", 1, &o) == 0, "TF_SYNC_NONE");
  o.flags = TF_SYNC_DURABLE;
  check(tf_write_file("taken", "2", 1, &o) == 0, "TF_SYNC_DURABLE");
  o.flags = TF_SYNC_ONLY_EXISTING;
  check(tf_write_file("taken", "3", 1, &o) == 0, "TF_SYNC_ONLY_EXISTING");
  o.flags = TF_REPLACE_LINK | TF_STRICT_OWNER | TF_UNTRACKED;
  check(tf_write_file("taken", "4", 1, &o) == 0,
        "TF_REPLACE_LINK | TF_STRICT_OWNER | TF_UNTRACKED");
  o.flags = TF_MUST_EXIST;
  check(tf_write_file("missing", "5", 1, &o) == -ENOENT,
        "TF_MUST_EXIST refuses a missing target");
  unlink("taken");

  /* TF_IGNORE_ERRORS on a directory; TF_CONTENTS_ONLY empties one. */
  o.flags = TF_IGNORE_ERRORS;
  check(tf_dir_create(&d, &o) == 0, "tf_dir_create(TF_IGNORE_ERRORS)");
  tf_dir_free(d);
  d = NULL;
  check(mkdir("tree", 0700) == 0 && mkdir("tree/sub", 0700) == 0,
        "making a tree");
#ifdef TF_POSIX_API
  check(tf_rmtreeat(AT_FDCWD, "tree", TF_CONTENTS_ONLY) == 0 &&
            exists("tree") && !exists("tree/sub"),
        "TF_CONTENTS_ONLY empties the directory and keeps it");
#endif
  rmdir("tree");

  /* TF_POOL_NAMED: acquired files have a path. */
  o.flags = TF_POOL_NAMED;
  check(tf_pool_create(&p, 1, &o) == 0, "tf_pool_create(TF_POOL_NAMED)");
  if (p != NULL) {
    fd = tf_pool_acquire(p);
    check(fd >= 0 && tf_pool_path(p, fd) != NULL,
          "a TF_POOL_NAMED pool's file has a path");
    tf_pool_free(p);
    p = NULL;
  }
  /* TF_REAP_DRY_RUN removes nothing (there is nothing here to find). */
  check(tf_reap(".", TF_REAP_DRY_RUN | TF_IGNORE_ERRORS, 0, NULL, NULL) == 0,
        "tf_reap(TF_REAP_DRY_RUN | TF_IGNORE_ERRORS)");
}

/* ------------------------------------------------------------- spools */

static void spool(void) {
  tf_spool *s = NULL;
  check(tf_spool_create(&s, 64, NULL) == 0, "tf_spool_create");
  if (s == NULL)
    return;
  check(tf_spool_write(s, "abcdef", 6) == 6, "tf_spool_write");
  check(tf_spool_seek(s, 2, SEEK_SET) == 2, "tf_spool_seek");
  check(tf_spool_truncate(s, TF_SPOOL_HERE) == 2 && tf_spool_size(s) == 2,
        "TF_SPOOL_HERE truncates at the position");
  tf_spool_free(s);
}

/* --------------------------------------------- scope-bound cleanup */

static char kept_path[4096];
static int kept_status;

static void on_kept(const char *path, int status, void *arg) {
  (void)arg;
  strncpy(kept_path, path, sizeof(kept_path) - 1);
  kept_status = status;
}

#if defined(__GNUC__) || defined(__clang__)
/* Each returns after its TF_AUTO_* scope has ended. */
static void auto_file(char *path, size_t size) {
  TF_AUTO_FILE f = NULL;
  if (tf_file_create(&f, NULL) == 0)
    strncpy(path, tf_file_path(f), size - 1);
}

static void auto_dir(char *path, size_t size) {
  TF_AUTO_DIR d = NULL;
  if (tf_dir_create(&d, NULL) == 0)
    strncpy(path, tf_dir_path(d), size - 1);
}

static void auto_spool(void) {
  TF_AUTO_SPOOL s = NULL;
  if (tf_spool_create(&s, 4, NULL) == 0)
    check(tf_spool_write(s, "0123456789", 10) == 10,
          "a TF_AUTO_SPOOL rolls over");
}

static void auto_atomic(void) {
  TF_AUTO_ATOMIC a = NULL;
  if (tf_atomic_begin(&a, "never", NULL) == 0)
    check(tf_atomic_write(a, "x", 1) == 0, "a TF_AUTO_ATOMIC writes");
}

static void auto_pool(char *path, size_t size) {
  TF_AUTO_POOL p = NULL;
  tf_opts o = TF_OPTS_INIT;
  int fd;
  o.flags = TF_POOL_NAMED;
  if (tf_pool_create(&p, 1, &o) == 0) {
    fd = tf_pool_acquire(p);
    if (fd >= 0 && tf_pool_path(p, fd) != NULL)
      strncpy(path, tf_pool_path(p, fd), size - 1);
  }
}

static void keep_file_on_error(int fail, char *path, size_t size) {
  int status = 0;
  TF_AUTO_FILE_KEEP_ON_ERROR(f, status);
  if (tf_file_create(&f, NULL) == 0)
    strncpy(path, tf_file_path(f), size - 1);
  status = fail;
}

static void keep_dir_on_error(int fail, char *path, size_t size) {
  int status = 0;
  TF_AUTO_DIR_KEEP_ON_ERROR(d, status);
  if (tf_dir_create(&d, NULL) == 0)
    strncpy(path, tf_dir_path(d), size - 1);
  status = fail;
}

static void scopes(void) {
  char path[4096];
  int fds_before, fds_after;

  memset(path, 0, sizeof(path));
  auto_file(path, sizeof(path));
  check(path[0] != '\0' && !exists(path), "TF_AUTO_FILE ends with its scope");
  memset(path, 0, sizeof(path));
  auto_dir(path, sizeof(path));
  check(path[0] != '\0' && !exists(path), "TF_AUTO_DIR ends with its scope");
  memset(path, 0, sizeof(path));
  auto_pool(path, sizeof(path));
  check(path[0] != '\0' && !exists(path), "TF_AUTO_POOL ends with its scope");
  fds_before = dup(0);
  close(fds_before);
  auto_spool();
  auto_atomic();
  fds_after = dup(0);
  close(fds_after);
  check(fds_after == fds_before,
        "TF_AUTO_SPOOL and TF_AUTO_ATOMIC close their fds with the scope");
  check(!exists("never"), "a TF_AUTO_ATOMIC scope ended uncommitted aborts");

  tf_set_kept_reporter(on_kept, NULL);
  memset(path, 0, sizeof(path));
  keep_file_on_error(0, path, sizeof(path));
  check(path[0] != '\0' && !exists(path) && kept_path[0] == '\0',
        "TF_AUTO_FILE_KEEP_ON_ERROR deletes when the status is 0");
  memset(path, 0, sizeof(path));
  keep_file_on_error(3, path, sizeof(path));
  check(path[0] != '\0' && exists(path) && strcmp(kept_path, path) == 0 &&
            kept_status == 3,
        "TF_AUTO_FILE_KEEP_ON_ERROR keeps and reports when the status is not 0");
  unlink(path);
  memset(kept_path, 0, sizeof(kept_path));
  memset(path, 0, sizeof(path));
  keep_dir_on_error(0, path, sizeof(path));
  check(path[0] != '\0' && !exists(path) && kept_path[0] == '\0',
        "TF_AUTO_DIR_KEEP_ON_ERROR removes when the status is 0");
  memset(path, 0, sizeof(path));
  keep_dir_on_error(4, path, sizeof(path));
  check(path[0] != '\0' && exists(path) && strcmp(kept_path, path) == 0 &&
            kept_status == 4,
        "TF_AUTO_DIR_KEEP_ON_ERROR keeps and reports when the status is not 0");
  rmdir(path);
  tf_set_kept_reporter(NULL, NULL);

  {
    /* The guard by hand: an unknown TF_SCOPE_GUARD_VERSION ends nothing. */
    tf_file *f = NULL;
    int status = 0;
    tf_scope_guard g;
    check(tf_file_create(&f, NULL) == 0, "tf_file_create");
    g = tf_scope_guard_init(TF_SCOPE_GUARD_VERSION + 1, &f, &status, 0);
    tf_scope_guard_end(&g);
    check(f != NULL, "a guard of an unknown version ends nothing");
    g = tf_scope_guard_init(TF_SCOPE_GUARD_VERSION, &f, &status, 0);
    tf_scope_guard_end(&g);
    check(f == NULL, "a TF_SCOPE_GUARD_VERSION guard ends its handle");
    tf_file_free(f);
  }
}
#else
static void scopes(void) {
  /* No cleanup attribute: the TF_AUTO_* forms name what is missing. */
}
#endif

int main(void) {
  char *work = NULL;
  char top[4096];
  int rc;

  if (getcwd(top, sizeof(top)) == NULL ||
      tf_mkdtemp(&work, NULL) != 0 || chdir(work) != 0) {
    fprintf(stderr, "header_c89: can not make a working directory\n");
    return 2;
  }
  versions();
  names_and_options();
  flags();
  spool();
  scopes();
  tf_cleanup_all();
  rc = entries();
  check(rc == 0, "nothing is left in the working directory");
  if (chdir(top) != 0)
    check(0, "chdir back");
#ifdef TF_POSIX_API
  check(tf_rmtreeat(AT_FDCWD, work, 0) == 0, "removing the working directory");
#else
  check(rmdir(work) == 0, "removing the working directory");
#endif
  tf_free(work);
  if (failures == 0)
    printf("header_c89: every macro of tempfile.h works\n");
  return failures != 0;
}
