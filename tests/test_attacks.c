/* SPDX-License-Identifier: MIT */
/*
 * test_attacks.c - a second author's adversarial tests: symlinks and
 * FIFOs planted at the exact name the library will pick (known through
 * the injected name sequence), a parent directory swapped for a symlink
 * to a victim directory (once, and by a racing process), the temporary
 * directory given as a symlink, publishing onto symlinks, directories and
 * dangling links, odd prefixes and suffixes, fork ownership and name
 * streams (with fork() and with _Fork(), which runs no atfork handler),
 * handles freed by another thread, and buffer edges at NAME_MAX, PATH_MAX
 * and the size arguments of the getters.
 *
 * Victims live in the test directory; each is fingerprinted (names,
 * types, modes, sizes, inode numbers and a hash of the content) before
 * the attack and compared after it.  Tests whose subject may be broken
 * collect their evidence, clean up, and only then assert, so a failure
 * reports the violated contract rather than a leftover file.
 */
#include "harness.h"
#include "fault.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* ------------------------------------------------------------- helpers */

static int compare_cstr(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned long long hash_file(const char *path) {
  unsigned long long h = 1469598103934665603ULL;
  unsigned char buf[4096];
  ssize_t n, i;
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return 0;
  while ((n = read(fd, buf, sizeof(buf))) > 0)
    for (i = 0; i < n; i++)
      h = (h ^ buf[i]) * 1099511628211ULL;
  close(fd);
  return h;
}

/* A fingerprint of dir and (one level of) its subdirectories: sorted
 * lines "name type mode size inode hash-or-link".  malloc'd. */
static char *fingerprint(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char **lines = NULL, *out;
  size_t n = 0, total = 1, i;
  if (d == NULL)
    return strdup("(missing)");
  while ((e = readdir(d)) != NULL) {
    char path[PATH_MAX], extra[PATH_MAX + 64] = "", line[2 * PATH_MAX];
    struct stat st;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    if (lstat(path, &st) != 0)
      continue;
    if (S_ISREG(st.st_mode)) {
      snprintf(extra, sizeof(extra), "%llx", hash_file(path));
    } else if (S_ISLNK(st.st_mode)) {
      ssize_t len = readlink(path, extra, sizeof(extra) - 1);
      extra[len > 0 ? len : 0] = '\0';
    } else if (S_ISDIR(st.st_mode)) {
      char *sub = fingerprint(path);
      snprintf(extra, sizeof(extra), "{%s}", sub);
      free(sub);
    }
    snprintf(line, sizeof(line), "%s %o %lld %llu %s\n", e->d_name,
             (unsigned)st.st_mode, (long long)st.st_size,
             (unsigned long long)st.st_ino, extra);
    lines = realloc(lines, (n + 1) * sizeof(*lines));
    lines[n++] = strdup(line);
    total += strlen(line);
  }
  closedir(d);
  if (n > 0)
    qsort(lines, n, sizeof(*lines), compare_cstr);
  out = calloc(1, total);
  for (i = 0; i < n; i++) {
    strcat(out, lines[i]);
    free(lines[i]);
  }
  free(lines);
  return out;
}

/* The victim: a directory with a precious file (and whatever else the
 * test adds).  Returns its fingerprint. */
static char *make_victim(void) {
  CHECK_SYS(mkdir("victim", 0755));
  tf_test_write_file("victim/precious", "do not touch");
  CHECK_SYS(chmod("victim/precious", 0640));
  return fingerprint("victim");
}

static void remove_victim(void) {
  unlink("victim/precious");
  CHECK_SYS(rmdir("victim"));
}

static void assert_victim_untouched(const char *before) {
  char *after = fingerprint("victim");
  if (strcmp(before, after) != 0)
    FAIL("victim directory changed:\nbefore:\n%safter:\n%s", before, after);
  free(after);
}

/* Inject names for the next creations; discovery draws names too, so it
 * runs first. */
static void inject(const char *const *names, size_t count) {
  char dir[PATH_MAX];
  ASSERT_OK(tf_gettempdir(dir, sizeof(dir)));
  tf__test_names(names, count);
}

static const char *base_of(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

static void in_test_dir(char *out, size_t size, const char *rel) {
  snprintf(out, size, "%s/%s", tf_test_dir(), rel);
}

/* Send tf_tmpfile() to its named-then-unlinked fallback. */
static void force_tmpfile_fallback(int on) {
  if (on)
    tf_test_without_o_tmpfile();
  else
    tf_test_restore_syscalls();
}

/* ------------------------------------- symlinks planted at the next name */

enum creator {
  C_MKSTEMP,
  C_MKSTEMPAT,
  C_MKDTEMP,
  C_MKDTEMPAT,
  C_FILE_CREATE,
  C_FILE_CREATEAT,
  C_TMPFILE_FALLBACK,
  C_TMPFILEAT_FALLBACK
};

/* Create one object with o (random_len 3) in the test directory; return
 * its basename in name (empty for unnamed files) and remove it.  Returns
 * the library's result. */
static int create_and_remove(enum creator c, tf_opts *o, char *name,
                             size_t size) {
  char *p = NULL;
  tf_file *f = NULL;
  int rc, dfd = -1;
  name[0] = '\0';
  if (c == C_MKSTEMPAT || c == C_MKDTEMPAT || c == C_FILE_CREATEAT ||
      c == C_TMPFILEAT_FALLBACK) {
    dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK_SYS(dfd);
  }
  switch (c) {
  case C_MKSTEMP:
  case C_MKSTEMPAT:
    rc = c == C_MKSTEMP ? tf_mkstemp(&p, o) : tf_mkstempat(dfd, &p, o);
    if (rc >= 0) {
      struct stat st;
      ASSERT_EQ(write(rc, "ours", 4), 4);
      ASSERT_EQ(lstat(p, &st), 0);
      ASSERT(S_ISREG(st.st_mode));
      close(rc);
      snprintf(name, size, "%s", base_of(p));
      CHECK_SYS(unlink(p));
    }
    break;
  case C_MKDTEMP:
  case C_MKDTEMPAT:
    rc = c == C_MKDTEMP ? tf_mkdtemp(&p, o) : tf_mkdtempat(dfd, &p, o);
    if (rc >= 0) {
      struct stat st;
      ASSERT_EQ(lstat(p, &st), 0);
      ASSERT(S_ISDIR(st.st_mode));
      snprintf(name, size, "%s", base_of(p));
      CHECK_SYS(rmdir(p));
    }
    break;
  case C_FILE_CREATE:
  case C_FILE_CREATEAT:
    rc = c == C_FILE_CREATE ? tf_file_create(&f, o)
                            : tf_file_createat(&f, dfd, o);
    if (rc >= 0) {
      struct stat st;
      ASSERT_EQ(write(tf_file_fd(f), "ours", 4), 4);
      ASSERT_EQ(lstat(tf_file_path(f), &st), 0);
      ASSERT(S_ISREG(st.st_mode));
      snprintf(name, size, "%s", base_of(tf_file_path(f)));
      ASSERT_OK(tf_file_free(f));
    }
    break;
  case C_TMPFILE_FALLBACK:
  case C_TMPFILEAT_FALLBACK:
    force_tmpfile_fallback(1);
    rc = c == C_TMPFILE_FALLBACK ? tf_tmpfile(o) : tf_tmpfileat(dfd, o);
    force_tmpfile_fallback(0);
    if (rc >= 0) {
      struct stat st;
      ASSERT_EQ(write(rc, "ours", 4), 4);
      ASSERT_EQ(fstat(rc, &st), 0);
      ASSERT_EQ(st.st_nlink, 0);
      close(rc);
    }
    break;
  default:
    rc = -EINVAL;
  }
  tf_free(p);
  if (dfd >= 0)
    close(dfd);
  return rc;
}

/* Plant at the first two names a symlink to the victim's precious file
 * and a dangling symlink into the victim directory; the library must take
 * the third name and neither follow nor remove the links. */
static void symlink_at_next_name(enum creator c) {
  static const char *const names[] = {"aaa", "bbb", "ccc"};
  tf_opts o = TF_OPTS_INIT;
  char name[NAME_MAX + 1], link[PATH_MAX];
  char *before, *links_before, *links_after;
  int rc;
  ssize_t n;
  before = make_victim();
  CHECK_SYS(symlink("victim/precious", "tmpaaa"));
  CHECK_SYS(symlink("victim/ghost", "tmpbbb"));
  links_before = fingerprint(".");
  o.random_len = 3;
  if (c == C_MKDTEMP || c == C_MKDTEMPAT) {
    /* and a symlink to a directory, for mkdir */
    CHECK_SYS(unlink("tmpaaa"));
    CHECK_SYS(symlink("victim", "tmpaaa"));
    free(links_before);
    links_before = fingerprint(".");
  }
  inject(names, 3);
  rc = create_and_remove(c, &o, name, sizeof(name));
  tf__test_names(NULL, 0);
  ASSERT_OK(rc);
  if (c != C_TMPFILE_FALLBACK && c != C_TMPFILEAT_FALLBACK)
    ASSERT_STR_EQ(name, "tmpccc");
  assert_victim_untouched(before);
  ASSERT(!tf_test_exists("victim/ghost"));
  links_after = fingerprint(".");
  ASSERT_STR_EQ(links_after, links_before);
  n = readlink("tmpbbb", link, sizeof(link) - 1);
  ASSERT_EQ(n, (ssize_t)strlen("victim/ghost"));
  CHECK_SYS(unlink("tmpaaa"));
  CHECK_SYS(unlink("tmpbbb"));
  remove_victim();
  free(before);
  free(links_before);
  free(links_after);
}

TEST(test_attack_symlink_at_next_name_mkstemp) {
  symlink_at_next_name(C_MKSTEMP);
}
TEST(test_attack_symlink_at_next_name_mkstempat) {
  symlink_at_next_name(C_MKSTEMPAT);
}
TEST(test_attack_symlink_at_next_name_mkdtemp) {
  symlink_at_next_name(C_MKDTEMP);
}
TEST(test_attack_symlink_at_next_name_mkdtempat) {
  symlink_at_next_name(C_MKDTEMPAT);
}
TEST(test_attack_symlink_at_next_name_file_create) {
  symlink_at_next_name(C_FILE_CREATE);
}
TEST(test_attack_symlink_at_next_name_file_createat) {
  symlink_at_next_name(C_FILE_CREATEAT);
}
TEST(test_attack_symlink_at_next_name_tmpfile_fallback) {
  symlink_at_next_name(C_TMPFILE_FALLBACK);
}
TEST(test_attack_symlink_at_next_name_tmpfileat_fallback) {
  symlink_at_next_name(C_TMPFILEAT_FALLBACK);
}

TEST(test_attack_every_name_a_dangling_symlink_is_eexist_nothing_created) {
  const char *names[TF_ATTEMPTS + 1];
  static const enum creator all[] = {C_MKSTEMP,     C_MKSTEMPAT,
                                     C_MKDTEMP,     C_MKDTEMPAT,
                                     C_FILE_CREATE, C_FILE_CREATEAT,
                                     C_TMPFILE_FALLBACK};
  tf_opts o = TF_OPTS_INIT;
  char name[NAME_MAX + 1], *before, *dir_before, *path = (char *)"untouched";
  size_t i;
  for (i = 0; i < TF_ATTEMPTS + 1; i++)
    names[i] = "zzz";
  before = make_victim();
  CHECK_SYS(symlink("victim/ghost", "tmpzzz"));
  dir_before = fingerprint(".");
  o.random_len = 3;
  for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
    inject(names, TF_ATTEMPTS + 1);
    ASSERT_ERR(create_and_remove(all[i], &o, name, sizeof(name)), -EEXIST);
    ASSERT(!tf_test_exists("victim/ghost"));
  }
  inject(names, TF_ATTEMPTS + 1);
  ASSERT_ERR(tf_mkstemp(&path, &o), -EEXIST);
  ASSERT_STR_EQ(path, "untouched");
  inject(names, TF_ATTEMPTS + 1);
  ASSERT_ERR(tf_mktemp(&path, &o), -EEXIST); /* a dangling link exists */
  ASSERT_STR_EQ(path, "untouched");
  tf__test_names(NULL, 0);
  {
    char *dir_after = fingerprint(".");
    ASSERT_STR_EQ(dir_after, dir_before);
    free(dir_after);
  }
  assert_victim_untouched(before);
  CHECK_SYS(unlink("tmpzzz"));
  remove_victim();
  free(before);
  free(dir_before);
}

TEST(test_attack_fifo_at_next_name_is_skipped_without_blocking) {
  static const char *const names[] = {"fff", "ggg"};
  tf_opts o = TF_OPTS_INIT;
  char name[NAME_MAX + 1];
  struct stat st;
  CHECK_SYS(mkfifo("tmpfff", 0600));
  o.random_len = 3;
  inject(names, 2);
  ASSERT_OK(create_and_remove(C_MKSTEMP, &o, name, sizeof(name)));
  ASSERT_STR_EQ(name, "tmpggg");
  inject(names, 2);
  ASSERT_OK(create_and_remove(C_FILE_CREATE, &o, name, sizeof(name)));
  ASSERT_STR_EQ(name, "tmpggg");
  tf__test_names(NULL, 0);
  ASSERT_EQ(lstat("tmpfff", &st), 0);
  ASSERT(S_ISFIFO(st.st_mode));
  CHECK_SYS(unlink("tmpfff"));
}

TEST(test_attack_tmpfile_is_unlinkable_even_for_root) {
  /* O_TMPFILE|O_EXCL: "it can never be given a name", not even through
   * linkat(AT_EMPTY_PATH), which root (CAP_DAC_READ_SEARCH) may use. */
  char proc[64];
  int fd = tf_tmpfile(NULL);
  ASSERT_OK(fd);
  ASSERT_EQ(linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH), -1);
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
  ASSERT_EQ(linkat(AT_FDCWD, proc, AT_FDCWD, "named2", AT_SYMLINK_FOLLOW), -1);
  close(fd);
  ASSERT(!tf_test_exists("named"));
  ASSERT(!tf_test_exists("named2"));
}

/* ------------------------------- the handle's parent swapped for a link */

/* The handle lives in parent/; the victim directory holds a file with the
 * handle's basename.  The parent path is then made a symlink to the
 * victim: the handle must delete its own file through its anchor. */
static void parent_swapped_for_symlink(unsigned flags, int by_close) {
  static const char *const names[] = {"samename0000"};
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  char *before, *moved_before;
  char decoy[PATH_MAX];
  int ended_rc;
  CHECK_SYS(mkdir("parent", 0700));
  CHECK_SYS(mkdir("victim", 0755));
  tf_test_write_file("victim/tmpsamename0000", "victim's own file");
  before = fingerprint("victim");
  o.dir = "parent";
  o.flags = flags;
  inject(names, 1);
  ASSERT_OK(tf_file_create(&f, &o));
  tf__test_names(NULL, 0);
  ASSERT_STR_EQ(base_of(tf_file_path(f)), "tmpsamename0000");
  ASSERT_EQ(write(tf_file_fd(f), "temp", 4), 4);
  CHECK_SYS(rename("parent", "parent.real"));
  CHECK_SYS(symlink("victim", "parent"));
  snprintf(decoy, sizeof(decoy), "%s", tf_file_path(f));
  ASSERT(tf_test_exists(decoy)); /* the path now names the victim's file */
  moved_before = fingerprint("parent.real");
  ASSERT_EQ(tf_test_count_entries("parent.real"), 1);
  if (by_close) {
    ended_rc = tf_file_close(f);
    ASSERT_OK(tf_file_free(f));
  } else {
    ended_rc = tf_file_free(f);
  }
  ASSERT_OK(ended_rc);
  assert_victim_untouched(before);
  ASSERT_EQ(tf_test_count_entries("parent.real"), 0);
  CHECK_SYS(unlink("parent"));
  CHECK_SYS(rmdir("parent.real"));
  CHECK_SYS(unlink("victim/tmpsamename0000"));
  CHECK_SYS(rmdir("victim"));
  free(before);
  free(moved_before);
}

TEST(test_attack_parent_swapped_for_symlink_close_deletes_only_own_file) {
  parent_swapped_for_symlink(0, 1);
}

TEST(test_attack_parent_swapped_for_symlink_free_deletes_only_own_file) {
  parent_swapped_for_symlink(TF_DELETE_ON_FREE, 0);
}

TEST(test_attack_parent_swapped_for_symlink_publish_moves_own_file) {
  static const char *const names[] = {"samename0000"};
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  char *before, buf[16];
  int fd;
  CHECK_SYS(mkdir("parent", 0700));
  CHECK_SYS(mkdir("victim", 0755));
  tf_test_write_file("victim/tmpsamename0000", "victim's own file");
  before = fingerprint("victim");
  o.dir = "parent";
  inject(names, 1);
  ASSERT_OK(tf_file_create(&f, &o));
  tf__test_names(NULL, 0);
  ASSERT_EQ(write(tf_file_fd(f), "temp", 4), 4);
  CHECK_SYS(rename("parent", "parent.real"));
  CHECK_SYS(symlink("victim", "parent"));
  ASSERT_OK(tf_file_publish(f, "final", 0644, 0));
  assert_victim_untouched(before);
  fd = open("final", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(read(fd, buf, sizeof(buf)), 4);
  close(fd);
  ASSERT(memcmp(buf, "temp", 4) == 0);
  ASSERT_EQ(tf_test_count_entries("parent.real"), 0);
  ASSERT_OK(tf_file_free(f));
  CHECK_SYS(unlink("final"));
  CHECK_SYS(unlink("parent"));
  CHECK_SYS(rmdir("parent.real"));
  CHECK_SYS(unlink("victim/tmpsamename0000"));
  CHECK_SYS(rmdir("victim"));
  free(before);
}

TEST(test_attack_temp_name_replaced_by_symlink_free_removes_only_link) {
  /* After a TF_DELETE_ON_FREE close, the temporary name is replaced by a
   * symlink to the victim: free removes the link (unlinkat does not
   * follow), the victim's file survives. */
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  char *before, name[NAME_MAX + 1];
  before = make_victim();
  o.flags = TF_DELETE_ON_FREE;
  ASSERT_OK(tf_file_create(&f, &o));
  snprintf(name, sizeof(name), "%s", base_of(tf_file_path(f)));
  ASSERT_OK(tf_file_close(f));
  CHECK_SYS(unlink(name));
  CHECK_SYS(symlink("victim/precious", name));
  ASSERT_OK(tf_file_free(f));
  ASSERT(!tf_test_exists(name));
  assert_victim_untouched(before);
  remove_victim();
  free(before);
}

TEST(test_attack_temp_name_replaced_by_symlink_publish_mode_spares_victim) {
  /* A closed TF_DELETE_ON_FREE handle publishes with a mode after the
   * temporary name became a symlink to the victim: the victim's mode and
   * content must not change, whatever publish returns. */
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  char *before, name[NAME_MAX + 1];
  int rc;
  before = make_victim();
  o.flags = TF_DELETE_ON_FREE;
  ASSERT_OK(tf_file_create(&f, &o));
  snprintf(name, sizeof(name), "%s", base_of(tf_file_path(f)));
  ASSERT_OK(tf_file_close(f));
  CHECK_SYS(unlink(name));
  CHECK_SYS(symlink("victim/precious", name));
  rc = tf_file_publish(f, "final", 0666, 0);
  assert_victim_untouched(before);
  if (rc == 0)
    CHECK_SYS(unlink("final"));
  ASSERT_OK(tf_file_free(f));
  unlink(name);
  remove_victim();
  free(before);
}

TEST(test_attack_temp_name_replaced_by_directory_free_reports_and_spares) {
  tf_file *f = NULL;
  char name[NAME_MAX + 1];
  ASSERT_OK(tf_file_create(&f, NULL));
  snprintf(name, sizeof(name), "%s", base_of(tf_file_path(f)));
  CHECK_SYS(unlink(name));
  CHECK_SYS(mkdir(name, 0700));
  ASSERT_ERR(tf_file_free(f), -EISDIR); /* unlinkat without AT_REMOVEDIR */
  ASSERT(tf_test_exists(name));
  CHECK_SYS(rmdir(name));
}

/* The race: a forked attacker keeps exchanging parent (a real directory)
 * and plink (a symlink to the victim) while this process creates and
 * ends handles in parent whose first name is the victim file's name. */
#define RACE_ROUNDS 2000

static void race_attacker(void) {
  for (;;)
    syscall(SYS_renameat2, AT_FDCWD, "parent", AT_FDCWD, "plink",
            RENAME_EXCHANGE);
}

TEST_TIMEOUT(test_attack_race_parent_swap_never_deletes_victim, 30) {
  static const char *const names[] = {"samename0000"};
  tf_opts o = TF_OPTS_INIT;
  char dir[PATH_MAX], *before;
  int round, survived = 0, errors = 0, in_victim = 0, in_real = 0, first_err = 0;
  pid_t attacker;
  struct stat st;
  CHECK_SYS(mkdir("parent", 0700));
  CHECK_SYS(mkdir("victim", 0755));
  CHECK_SYS(symlink("victim", "plink"));
  tf_test_write_file("victim/tmpsamename0000", "victim's own file");
  before = fingerprint("victim");
  in_test_dir(dir, sizeof(dir), "parent");
  o.dir = dir;
  if (syscall(SYS_renameat2, AT_FDCWD, "parent", AT_FDCWD, "plink",
              RENAME_EXCHANGE) != 0 ||
      syscall(SYS_renameat2, AT_FDCWD, "parent", AT_FDCWD, "plink",
              RENAME_EXCHANGE) != 0)
    FAIL("renameat2(RENAME_EXCHANGE) unsupported: %s", strerror(errno));
  attacker = fork();
  CHECK_SYS(attacker);
  if (attacker == 0)
    race_attacker();
  for (round = 0; round < RACE_ROUNDS; round++) {
    tf_file *f = NULL;
    int rc;
    o.flags = round % 2 ? TF_DELETE_ON_FREE : 0;
    tf__test_names(names, 1);
    rc = tf_file_create(&f, &o);
    if (rc < 0) {
      errors++;
      if (!first_err)
        first_err = rc;
    } else {
      struct stat fst;
      /* where did it land?  (the dir is followed at creation) */
      if (fstat(tf_file_fd(f), &fst) == 0 &&
          strcmp(base_of(tf_file_path(f)), "tmpsamename0000") != 0)
        in_victim++;
      else
        in_real++;
      if (round % 2 == 0) {
        if (tf_file_close(f) != 0)
          errors++;
      }
      if (tf_file_free(f) != 0)
        errors++;
    }
    if (stat("victim/tmpsamename0000", &st) == 0 && st.st_size == 17)
      survived++;
  }
  tf__test_names(NULL, 0);
  kill(attacker, SIGKILL);
  ASSERT_EQ(waitpid(attacker, NULL, 0), attacker);
  /* Put the real directory back at "parent". */
  ASSERT_EQ(lstat("parent", &st), 0);
  if (S_ISLNK(st.st_mode))
    CHECK_SYS(syscall(SYS_renameat2, AT_FDCWD, "parent", AT_FDCWD, "plink",
                      RENAME_EXCHANGE));
  {
    int left_real = tf_test_count_entries("parent");
    char *after = fingerprint("victim");
    int victim_same = strcmp(before, after) == 0;
    system("rm -rf parent");
    CHECK_SYS(unlink("plink"));
    CHECK_SYS(unlink("victim/tmpsamename0000"));
    system("rm -rf victim");
    if (!victim_same)
      FAIL("victim changed:\n%s\nvs\n%s", before, after);
    free(after);
    ASSERT_EQ(left_real, 0);
  }
  free(before);
  if (errors)
    FAIL("%d errors, first %s", errors, tf_err_name(first_err));
  ASSERT_EQ(survived, RACE_ROUNDS);
  ASSERT_EQ(in_victim + in_real, RACE_ROUNDS);
  /* Both sides of the swap must have been hit, or the race proved little. */
  ASSERT_GT(in_victim, 0);
  ASSERT_GT(in_real, 0);
}

/* ------------------------------------------- the temp dir as a symlink */

TEST(test_attack_dir_option_symlink_is_followed_and_path_keeps_the_link) {
  /* Documented behaviour: a symlinked dir is followed at creation; the
   * path returned is the lexical absolute path through the link (not the
   * resolved one).  A later re-pointing of the link does not redirect a
   * handle's deletion. */
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  char want[PATH_MAX], *path = NULL, *before, name[NAME_MAX + 1], tmp[PATH_MAX];
  int fd;
  CHECK_SYS(mkdir("real", 0700));
  CHECK_SYS(symlink("real", "lnk"));
  o.dir = "lnk";
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  in_test_dir(want, sizeof(want), "lnk/");
  ASSERT(strncmp(path, want, strlen(want)) == 0);
  snprintf(tmp, sizeof(tmp), "real/%s", base_of(path));
  ASSERT(tf_test_exists(tmp));
  close(fd);
  CHECK_SYS(unlink(tmp));
  tf_free(path);

  /* the temporary directory itself through a link */
  setenv("TMPDIR", "lnk", 1);
  ASSERT_OK(tf_settempdir(NULL));
  ASSERT_OK(tf_gettempdir(tmp, sizeof(tmp)));
  in_test_dir(want, sizeof(want), "lnk");
  ASSERT_STR_EQ(tmp, want);
  setenv("TMPDIR", tf_test_dir(), 1);
  ASSERT_OK(tf_settempdir(NULL));

  /* handle: created through the link, link re-pointed at the victim */
  CHECK_SYS(mkdir("victim", 0755));
  ASSERT_OK(tf_file_create(&f, &o));
  snprintf(name, sizeof(name), "%s", base_of(tf_file_path(f)));
  snprintf(tmp, sizeof(tmp), "victim/%s", name);
  tf_test_write_file(tmp, "same name in the victim");
  before = fingerprint("victim");
  CHECK_SYS(unlink("lnk"));
  CHECK_SYS(symlink("victim", "lnk"));
  ASSERT_OK(tf_file_free(f));
  assert_victim_untouched(before);
  ASSERT_EQ(tf_test_count_entries("real"), 0);
  CHECK_SYS(unlink(tmp));
  CHECK_SYS(rmdir("victim"));
  CHECK_SYS(unlink("lnk"));
  CHECK_SYS(rmdir("real"));
  free(before);
}

TEST(test_attack_review_dir_option_with_dotdot_after_symlink_creates_where_it_points) {
  /* dir = "lnk/.." with lnk -> real/sub names, for the kernel (and for
   * Python's mkstemp, which opens os.path.join(dir, name)), the directory
   * "real".  The header only promises a relative dir is "made absolute";
   * it must still be the directory to create in. */
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL, in_real[PATH_MAX], in_top[PATH_MAX];
  int fd, landed_in_real, landed_in_top, path_is_fd;
  struct stat a, b;
  CHECK_SYS(mkdir("real", 0700));
  CHECK_SYS(mkdir("real/sub", 0700));
  CHECK_SYS(symlink("real/sub", "lnk"));
  o.dir = "lnk/..";
  o.prefix = "dotdot";
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  snprintf(in_real, sizeof(in_real), "real/%s", base_of(path));
  snprintf(in_top, sizeof(in_top), "%s", base_of(path));
  landed_in_real = tf_test_exists(in_real);
  landed_in_top = tf_test_exists(in_top);
  path_is_fd = fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino;
  close(fd);
  unlink(in_real);
  unlink(in_top);
  CHECK_SYS(unlink("lnk"));
  CHECK_SYS(rmdir("real/sub"));
  CHECK_SYS(rmdir("real"));
  {
    char copy[PATH_MAX];
    snprintf(copy, sizeof(copy), "%s", path);
    tf_free(path);
    ASSERT(path_is_fd); /* at least the path names the file made */
    if (!landed_in_real)
      FAIL("dir \"lnk/..\" (lnk -> real/sub) created %s, in the test dir "
           "(lexical ..) instead of in real/ (landed_in_top=%d)",
           copy, landed_in_top);
  }
}

/* ------------------------------------------------------------ publish */

TEST(test_attack_publish_onto_symlink_replaces_the_link_not_its_target) {
  tf_file *f = NULL;
  char *before, link[64];
  struct stat st;
  before = make_victim();
  CHECK_SYS(mkdir("victim/dir", 0700));
  free(before);
  before = fingerprint("victim");
  CHECK_SYS(symlink("victim/precious", "to_file"));
  CHECK_SYS(symlink("victim/dir", "to_dir"));
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_EQ(write(tf_file_fd(f), "new", 3), 3);
  ASSERT_OK(tf_file_publish(f, "to_file", 0600, 0));
  ASSERT_EQ(lstat("to_file", &st), 0);
  ASSERT(S_ISREG(st.st_mode));
  ASSERT_EQ(st.st_size, 3);
  ASSERT_OK(tf_file_free(f));
  /* a symlink to a directory is replaced too (rename does not follow) */
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_file_publish(f, "to_dir", 0, 0));
  ASSERT_EQ(lstat("to_dir", &st), 0);
  ASSERT(S_ISREG(st.st_mode));
  ASSERT_OK(tf_file_free(f));
  ASSERT_EQ(readlink("victim", link, sizeof(link)), -1); /* still a dir */
  assert_victim_untouched(before);
  CHECK_SYS(unlink("to_file"));
  CHECK_SYS(unlink("to_dir"));
  CHECK_SYS(rmdir("victim/dir"));
  remove_victim();
  free(before);
}

static void publish_onto_directory(unsigned flags, int want) {
  tf_file *f = NULL;
  char temp[PATH_MAX], *before;
  struct stat st;
  CHECK_SYS(mkdir("target", 0755));
  CHECK_SYS(mkdir("target_full", 0755));
  tf_test_write_file("target_full/inside", "x");
  before = fingerprint(".");
  ASSERT_OK(tf_file_create(&f, NULL));
  snprintf(temp, sizeof(temp), "%s", tf_file_path(f));
  {
    char *with_temp = fingerprint(".");
    ASSERT_ERR(tf_file_publish(f, "target", 0644, flags), want);
    ASSERT_ERR(tf_file_publish(f, "target_full", 0644, flags),
               flags ? -EEXIST : -EISDIR);
    {
      char *after = fingerprint(".");
      ASSERT_STR_EQ(after, with_temp); /* mode put back, nothing moved */
      free(after);
    }
    free(with_temp);
  }
  /* the handle is whole: same path, same mode, fd open, still deletes */
  ASSERT_STR_EQ(tf_file_path(f), temp);
  ASSERT_EQ(stat(temp, &st), 0);
  ASSERT_MODE(st.st_mode & 07777, 0600);
  ASSERT_OK(tf_file_fd(f));
  ASSERT_OK(tf_file_close(f));
  ASSERT(!tf_test_exists(temp));
  ASSERT_OK(tf_file_free(f));
  {
    char *after = fingerprint(".");
    ASSERT_STR_EQ(after, before);
    free(after);
  }
  /* and a handle refused once can be published elsewhere */
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_ERR(tf_file_publish(f, "target", 0, flags), want);
  ASSERT_OK(tf_file_publish(f, "elsewhere", 0, flags));
  ASSERT_OK(tf_file_free(f));
  CHECK_SYS(unlink("elsewhere"));
  CHECK_SYS(rmdir("target"));
  CHECK_SYS(unlink("target_full/inside"));
  CHECK_SYS(rmdir("target_full"));
  free(before);
}

TEST(test_attack_publish_onto_directory_fails_and_handle_is_whole) {
  publish_onto_directory(0, -EISDIR);
}

TEST(test_attack_publish_noclobber_onto_directory_is_eexist) {
  publish_onto_directory(TF_NOCLOBBER, -EEXIST);
}

static void noclobber_onto_symlinks(void) {
  tf_file *f = NULL;
  char temp[PATH_MAX], *before, *dir_before, *dir_after;
  before = make_victim();
  CHECK_SYS(symlink("victim/ghost", "dangling"));
  CHECK_SYS(symlink("victim/precious", "to_file"));
  CHECK_SYS(symlink("nowhere/at/all", "dangling2"));
  ASSERT_OK(tf_file_create(&f, NULL));
  snprintf(temp, sizeof(temp), "%s", tf_file_path(f));
  dir_before = fingerprint(".");
  ASSERT_ERR(tf_file_publish(f, "dangling", 0644, TF_NOCLOBBER), -EEXIST);
  ASSERT_ERR(tf_file_publish(f, "dangling2", 0, TF_NOCLOBBER), -EEXIST);
  ASSERT_ERR(tf_file_publish(f, "to_file", 0644, TF_NOCLOBBER), -EEXIST);
  dir_after = fingerprint(".");
  ASSERT_STR_EQ(dir_after, dir_before);
  ASSERT(!tf_test_exists("victim/ghost"));
  ASSERT_STR_EQ(tf_file_path(f), temp);
  ASSERT_OK(tf_file_free(f));
  ASSERT(!tf_test_exists(temp));
  assert_victim_untouched(before);
  CHECK_SYS(unlink("dangling"));
  CHECK_SYS(unlink("dangling2"));
  CHECK_SYS(unlink("to_file"));
  remove_victim();
  free(before);
  free(dir_before);
  free(dir_after);
}

TEST(test_attack_publish_noclobber_dangling_symlink_counts_as_existing) {
  noclobber_onto_symlinks();
}

TEST(test_attack_publish_noclobber_link_fallback_dangling_symlink_eexist) {
  tf_test_without_renameat2(EINVAL);
  noclobber_onto_symlinks();
  tf_test_restore_syscalls();
}

TEST(test_attack_review_publish_dotdot_after_symlink_path_names_the_file) {
  /* tf_file_path() after publishing is documented as "the final name".
   * rename() resolves "lnk/../final" through the link (lnk -> real/sub,
   * so the file lands in real/final); the reported path must name it. */
  tf_file *f = NULL;
  char reported[PATH_MAX];
  struct stat a, b;
  int rc, same, in_real, in_top;
  CHECK_SYS(mkdir("real", 0700));
  CHECK_SYS(mkdir("real/sub", 0700));
  CHECK_SYS(symlink("real/sub", "lnk"));
  ASSERT_OK(tf_file_create(&f, NULL));
  rc = tf_file_publish(f, "lnk/../final", 0, 0);
  snprintf(reported, sizeof(reported), "%s", tf_file_path(f));
  same = fstat(tf_file_fd(f), &a) == 0 && stat(reported, &b) == 0 &&
         a.st_ino == b.st_ino && a.st_dev == b.st_dev;
  in_real = tf_test_exists("real/final");
  in_top = tf_test_exists("final");
  ASSERT_OK(tf_file_free(f));
  unlink("real/final");
  unlink("final");
  CHECK_SYS(unlink("lnk"));
  CHECK_SYS(rmdir("real/sub"));
  CHECK_SYS(rmdir("real"));
  ASSERT_OK(rc);
  ASSERT(in_real);
  ASSERT(!in_top);
  if (!same)
    FAIL("published to lnk/../final (file is at real/final) but "
         "tf_file_path() says %s, which does not name the file",
         reported);
}

/* -------------------------------------------------------------- names */

TEST(test_attack_dot_prefixes_still_give_a_fresh_file_in_the_directory) {
  static const char *const prefixes[] = {".", "..", "", "...", ". ", "./."};
  size_t i;
  int round;
  CHECK_SYS(mkdir("sub", 0700));
  for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
    for (round = 0; round < 20; round++) {
      tf_opts o = TF_OPTS_INIT;
      char *path = NULL, want[PATH_MAX];
      struct stat st;
      int fd;
      o.prefix = prefixes[i];
      o.random_len = 1;
      o.dir = "sub";
      fd = tf_mkstemp(&path, &o);
      if (strchr(prefixes[i], '/') != NULL) {
        ASSERT_ERR(fd, -EINVAL);
        ASSERT(path == NULL);
        break;
      }
      ASSERT_OK(fd);
      snprintf(want, sizeof(want), "%s/sub/%s", tf_test_dir(), prefixes[i]);
      ASSERT(strncmp(path, want, strlen(want)) == 0);
      ASSERT_EQ(strlen(base_of(path)), strlen(prefixes[i]) + 1);
      ASSERT(strcmp(base_of(path), ".") != 0 &&
             strcmp(base_of(path), "..") != 0);
      ASSERT(strchr(TF_ALPHABET, base_of(path)[strlen(prefixes[i])]) != NULL);
      ASSERT_EQ(lstat(path, &st), 0);
      ASSERT(S_ISREG(st.st_mode));
      ASSERT_EQ(tf_test_count_entries("sub"), 1);
      ASSERT_EQ(tf_test_count_entries("."), 1);
      close(fd);
      CHECK_SYS(unlink(path));
      tf_free(path);
    }
  }
  CHECK_SYS(rmdir("sub"));
}

TEST(test_attack_whitespace_and_newline_suffixes_are_allowed_verbatim) {
  static const char *const affixes[] = {"\n", " ", "  ", "\t\n ", "-\r",
                                        "\x7f\x01", "\xff\xfe"};
  size_t i;
  for (i = 0; i < sizeof(affixes) / sizeof(affixes[0]); i++) {
    tf_opts o = TF_OPTS_INIT;
    char *path = NULL, *dpath = NULL;
    tf_file *f = NULL;
    const char *b;
    int fd;
    o.suffix = affixes[i];
    o.prefix = affixes[i];
    fd = tf_mkstemp(&path, &o);
    ASSERT_OK(fd);
    b = base_of(path);
    ASSERT_EQ(strlen(b), 2 * strlen(affixes[i]) + TF_RANDOM_LEN_DEFAULT);
    ASSERT(strncmp(b, affixes[i], strlen(affixes[i])) == 0);
    ASSERT_STR_EQ(b + strlen(b) - strlen(affixes[i]), affixes[i]);
    ASSERT(tf_test_exists(path));
    close(fd);
    CHECK_SYS(unlink(path));
    tf_free(path);
    ASSERT_OK(tf_mkdtemp(&dpath, &o));
    CHECK_SYS(rmdir(dpath));
    tf_free(dpath);
    ASSERT_OK(tf_file_create(&f, &o));
    ASSERT(tf_test_exists(tf_file_path(f)));
    ASSERT_OK(tf_file_free(f));
  }
  {
    tf_opts o = TF_OPTS_INIT;
    char *path = (char *)"untouched";
    o.suffix = "a\n/b";
    ASSERT_ERR(tf_mkstemp(&path, &o), -EINVAL);
    ASSERT_STR_EQ(path, "untouched");
  }
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

/* --------------------------------------------------------- fork / names */

/* A fork that runs no pthread_atfork handler: _Fork() (POSIX.1-2024,
 * glibc 2.34+), else the raw system call. */
static pid_t fork_without_handlers(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  return _Fork();
#elif defined(__s390__)
  return (pid_t)syscall(SYS_clone, 0, SIGCHLD, 0, 0, 0); /* stack first */
#else
  return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
#endif
}

static void child_frees_inherited_handle(pid_t (*forker)(void), int close_first,
                                         int *survived_close,
                                         int *survived_free) {
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  char path[PATH_MAX];
  pid_t pid;
  int status;
  o.flags = TF_DELETE_ON_FREE;
  ASSERT_OK(tf_file_create(&f, &o));
  snprintf(path, sizeof(path), "%s", tf_file_path(f));
  if (close_first)
    ASSERT_OK(tf_file_close(f));
  pid = forker();
  CHECK_SYS(pid);
  if (pid == 0)
    _exit(tf_file_close(f) == 0 ? 0 : 1);
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_EQ(status, 0);
  *survived_close = tf_test_exists(path);
  pid = forker();
  CHECK_SYS(pid);
  if (pid == 0)
    _exit(tf_file_free(f) == 0 ? 0 : 1);
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_EQ(status, 0);
  *survived_free = tf_test_exists(path);
  if (!close_first && *survived_free)
    ASSERT_OK(tf_file_fd(f));
  ASSERT_OK(tf_file_free(f));
  ASSERT(!tf_test_exists(path));
}

static pid_t plain_fork(void) { return fork(); }

TEST(test_attack_fork_child_freeing_delete_on_free_handle_keeps_file) {
  int c, fr;
  child_frees_inherited_handle(plain_fork, 0, &c, &fr);
  ASSERT(c);
  ASSERT(fr);
  child_frees_inherited_handle(plain_fork, 1, &c, &fr);
  ASSERT(c);
  ASSERT(fr);
}

TEST(test_attack_review_Fork_child_freeing_inherited_handle_keeps_file) {
  /* "Only the creating process deletes: a forked child that closes or
   * frees the handle leaves the file alone."  _Fork() makes a forked
   * child too, but runs no atfork handler. */
  int c, fr;
  tf_test_skip_if_wipeonfork_ignored();
  child_frees_inherited_handle(fork_without_handlers, 0, &c, &fr);
  if (!fr) {
    FAIL("a child made by _Fork() deleted the parent's file in "
         "tf_file_free()");
  }
  ASSERT(c);
}

#define FORK_NAMES 1000
#define NAME_LEN 12

static int compare_names(const void *a, const void *b) {
  return memcmp(a, b, NAME_LEN);
}

/* Draw FORK_NAMES names in parent and child after forker(); return the
 * number of names the two have in common. */
static int names_shared_after(pid_t (*forker)(void)) {
  static char mine[FORK_NAMES][NAME_LEN], theirs[FORK_NAMES][NAME_LEN];
  int pipefd[2], status, i, j, shared = 0;
  size_t got = 0;
  pid_t pid;
  char warm[4];
  ASSERT_OK(tf_random_chars(warm, sizeof(warm))); /* the pool is primed */
  CHECK_SYS(pipe(pipefd));
  pid = forker();
  CHECK_SYS(pid);
  if (pid == 0) {
    close(pipefd[0]);
    for (i = 0; i < FORK_NAMES; i++)
      if (tf_random_chars(mine[i], NAME_LEN) != 0)
        _exit(1);
    if (write(pipefd[1], mine, sizeof(mine)) != (ssize_t)sizeof(mine))
      _exit(1);
    _exit(0);
  }
  close(pipefd[1]);
  for (i = 0; i < FORK_NAMES; i++)
    ASSERT_OK(tf_random_chars(mine[i], NAME_LEN));
  while (got < sizeof(theirs)) {
    ssize_t n = read(pipefd[0], (char *)theirs + got, sizeof(theirs) - got);
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  close(pipefd[0]);
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_EQ(status, 0);
  ASSERT_EQ(got, sizeof(theirs));
  qsort(mine, FORK_NAMES, NAME_LEN, compare_names);
  qsort(theirs, FORK_NAMES, NAME_LEN, compare_names);
  for (i = 0, j = 0; i < FORK_NAMES && j < FORK_NAMES;) {
    int cmp = memcmp(mine[i], theirs[j], NAME_LEN);
    if (cmp == 0) {
      shared++;
      i++;
      j++;
    } else if (cmp < 0) {
      i++;
    } else {
      j++;
    }
  }
  return shared;
}

TEST(test_attack_fork_child_names_never_overlap_parent_names) {
  ASSERT_EQ(names_shared_after(plain_fork), 0);
}

TEST(test_attack_review_Fork_child_names_never_overlap_parent_names) {
  /* random.c: "after fork() the child discards [the pool], so a child
   * never produces the names its parent will produce next". */
  int shared;
  tf_test_skip_if_wipeonfork_ignored();
  shared = names_shared_after(fork_without_handlers);
  if (shared != 0)
    FAIL("after _Fork() parent and child drew %d identical 12-char names "
         "out of %d", shared, FORK_NAMES);
}

/* ------------------------------------------------------------ threads */

#define Q_CAP 4096
#define CREATORS 4
#define PER_CREATOR 150

static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  tf_file *items[Q_CAP];
  size_t head, tail;
  int producers_left;
} q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, 0};

static void *creator_thread(void *arg) {
  intptr_t failures = 0, id = (intptr_t)arg;
  int i;
  for (i = 0; i < PER_CREATOR; i++) {
    tf_opts o = TF_OPTS_INIT;
    tf_file *f = NULL;
    o.flags = (i % 3 == 0) ? TF_DELETE_ON_FREE : 0;
    o.prefix = id % 2 ? "odd" : NULL;
    if (tf_file_create(&f, &o) != 0) {
      failures++;
      continue;
    }
    if (i % 4 == 0) {
      FILE *fp = NULL;
      if (tf_file_stream(f, &fp) != 0 || fputs("buffered", fp) < 0)
        failures++;
    } else if (write(tf_file_fd(f), "x", 1) != 1) {
      failures++;
    }
    pthread_mutex_lock(&q.lock);
    q.items[q.tail++ % Q_CAP] = f;
    pthread_cond_signal(&q.cond);
    pthread_mutex_unlock(&q.lock);
  }
  pthread_mutex_lock(&q.lock);
  q.producers_left--;
  pthread_cond_broadcast(&q.cond);
  pthread_mutex_unlock(&q.lock);
  return (void *)failures;
}

static void *closer_thread(void *arg) {
  intptr_t failures = 0;
  unsigned n = 0;
  (void)arg;
  for (;;) {
    tf_file *f;
    pthread_mutex_lock(&q.lock);
    while (q.head == q.tail && q.producers_left > 0)
      pthread_cond_wait(&q.cond, &q.lock);
    if (q.head == q.tail) {
      pthread_mutex_unlock(&q.lock);
      break;
    }
    f = q.items[q.head++ % Q_CAP];
    pthread_mutex_unlock(&q.lock);
    if (n++ % 2 == 0 && tf_file_close(f) != 0)
      failures++;
    if (tf_file_free(f) != 0)
      failures++;
  }
  return (void *)failures;
}

TEST(test_attack_threads_one_frees_while_others_create) {
  pthread_t creators[CREATORS], closers[2];
  intptr_t i;
  q.producers_left = CREATORS;
  for (i = 0; i < 2; i++)
    ASSERT_EQ(pthread_create(&closers[i], NULL, closer_thread, NULL), 0);
  for (i = 0; i < CREATORS; i++)
    ASSERT_EQ(pthread_create(&creators[i], NULL, creator_thread, (void *)i), 0);
  for (i = 0; i < CREATORS; i++) {
    void *failures;
    ASSERT_EQ(pthread_join(creators[i], &failures), 0);
    ASSERT_EQ((intptr_t)failures, 0);
  }
  for (i = 0; i < 2; i++) {
    void *failures;
    ASSERT_EQ(pthread_join(closers[i], &failures), 0);
    ASSERT_EQ((intptr_t)failures, 0);
  }
  ASSERT_EQ(q.head, (size_t)(CREATORS * PER_CREATOR));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

/* ---------------------------------------------- buffer and length edges */

/* Make nested directories under the test dir so that the absolute path is
 * exactly len characters; out receives it.  deep_remove() undoes it. */
static void deep_make(char *out, size_t len) {
  size_t cur;
  snprintf(out, PATH_MAX, "%s", tf_test_dir());
  cur = strlen(out);
  ASSERT_LT(cur + 2, len);
  while (cur < len) {
    size_t remain = len - cur, comp = remain - 1;
    if (comp > 200)
      comp = 200;
    if (remain - 1 - comp == 1)
      comp--;
    out[cur] = '/';
    memset(out + cur + 1, 'd', comp);
    cur += 1 + comp;
    out[cur] = '\0';
    if (mkdir(out, 0700) != 0 && errno != EEXIST)
      FAIL("mkdir (%zu chars): %s", cur, strerror(errno));
  }
  ASSERT_EQ(strlen(out), len);
}

static void deep_remove(const char *deep) {
  char p[PATH_MAX];
  size_t base = strlen(tf_test_dir());
  snprintf(p, sizeof(p), "%s", deep);
  while (strlen(p) > base) {
    if (rmdir(p) != 0)
      FAIL("rmdir (%zu chars): %s", strlen(p), strerror(errno));
    *strrchr(p, '/') = '\0';
  }
}

/* The longest directory for which an empty prefix and 12 random
 * characters still fit: dir + '/' + 12 + NUL == PATH_MAX. */
#define DEEP_FITS (PATH_MAX - 1 - 13)

TEST(test_attack_dir_of_path_max_minus_14_chars_fits_one_more_does_not) {
  char deep[PATH_MAX], longer[PATH_MAX];
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL, *untouched = (char *)"untouched";
  tf_file *f = NULL;
  int fd;
  deep_make(deep, DEEP_FITS);
  o.dir = deep;
  o.prefix = "";
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  ASSERT_EQ(strlen(path), PATH_MAX - 1);
  close(fd);
  CHECK_SYS(unlink(path));
  tf_free(path);
  ASSERT_OK(tf_mkdtemp(&path, &o));
  ASSERT_EQ(strlen(path), PATH_MAX - 1);
  CHECK_SYS(rmdir(path));
  tf_free(path);
  ASSERT_OK(tf_mktemp(&path, &o));
  ASSERT_EQ(strlen(path), PATH_MAX - 1);
  tf_free(path);
  ASSERT_OK(tf_file_create(&f, &o));
  ASSERT_EQ(strlen(tf_file_path(f)), PATH_MAX - 1);
  ASSERT(tf_test_exists(tf_file_path(f)));
  ASSERT_OK(tf_file_free(f));
  f = NULL;
  fd = tf_tmpfile(&o);
  ASSERT_OK(fd);
  close(fd);
  force_tmpfile_fallback(1);
  fd = tf_tmpfile(&o);
  force_tmpfile_fallback(0);
  ASSERT_OK(fd);
  close(fd);
  ASSERT_EQ(tf_test_count_entries(deep), 0);

  /* with the default "tmp" prefix the same directory is 3 too long */
  o.prefix = NULL;
  ASSERT_ERR(tf_mkstemp(&untouched, &o), -ENAMETOOLONG);
  ASSERT_ERR(tf_file_create(&f, &o), -ENAMETOOLONG);

  /* one character longer: every named form refuses, nothing created */
  memcpy(longer, deep, DEEP_FITS);
  longer[DEEP_FITS] = 'x'; /* a sibling whose last component is longer */
  longer[DEEP_FITS + 1] = '\0';
  CHECK_SYS(mkdir(longer, 0700));
  o.dir = longer;
  o.prefix = "";
  ASSERT_ERR(tf_mkstemp(&untouched, &o), -ENAMETOOLONG);
  ASSERT_ERR(tf_mkdtemp(&untouched, &o), -ENAMETOOLONG);
  ASSERT_ERR(tf_mktemp(&untouched, &o), -ENAMETOOLONG);
  ASSERT_ERR(tf_file_create(&f, &o), -ENAMETOOLONG);
  force_tmpfile_fallback(1);
  ASSERT_ERR(tf_tmpfile(&o), -ENAMETOOLONG);
  force_tmpfile_fallback(0);
  ASSERT_STR_EQ(untouched, "untouched");
  ASSERT(f == NULL);
  ASSERT_EQ(tf_test_count_entries(longer), 0);
  CHECK_SYS(rmdir(longer));
  deep_remove(deep);
}

TEST(test_attack_gettempdir_buffer_edges_and_deep_tmpdir) {
  char deep[PATH_MAX], buf[PATH_MAX], small[PATH_MAX];
  int len;
  deep_make(deep, DEEP_FITS);
  setenv("TMPDIR", deep, 1);
  ASSERT_OK(tf_settempdir(NULL));
  /* first call (discovery) with a buffer one byte short */
  memset(small, 'Z', sizeof(small));
  ASSERT_ERR(tf_gettempdir(small, DEEP_FITS), -ERANGE);
  for (len = 0; len < PATH_MAX; len++)
    if (small[len] != 'Z')
      FAIL("ERANGE wrote byte %d", len);
  ASSERT_EQ(tf_gettempdir(buf, DEEP_FITS + 1), DEEP_FITS);
  ASSERT_STR_EQ(buf, deep);
  ASSERT_ERR(tf_gettempdir(small, DEEP_FITS), -ERANGE); /* cached now */
  ASSERT_ERR(tf_gettempdir(small, 0), -ERANGE);
  ASSERT_ERR(tf_gettempdir(NULL, 10), -EINVAL);
  for (len = 0; len < PATH_MAX; len++)
    if (small[len] != 'Z')
      FAIL("ERANGE wrote byte %d", len);
  ASSERT_EQ(tf_test_count_entries(deep), 0); /* the probe left nothing */
  setenv("TMPDIR", tf_test_dir(), 1);
  ASSERT_OK(tf_settempdir(NULL));
  deep_remove(deep);

  /* the override: 4095 characters are accepted and reported back whole */
  memset(buf, 'o', PATH_MAX - 1);
  buf[0] = '/';
  buf[PATH_MAX - 1] = '\0';
  ASSERT_OK(tf_settempdir(buf));
  ASSERT_EQ(tf_gettempdir(small, PATH_MAX), PATH_MAX - 1);
  ASSERT_STR_EQ(small, buf);
  memset(small, 'Z', sizeof(small));
  ASSERT_ERR(tf_gettempdir(small, PATH_MAX - 1), -ERANGE);
  ASSERT_EQ(small[0], 'Z');
  {
    char *path = (char *)"untouched";
    ASSERT_ERR(tf_mkstemp(&path, NULL), -ENAMETOOLONG);
    ASSERT_STR_EQ(path, "untouched");
  }
  {
    char huge[PATH_MAX + 1];
    memset(huge, 'h', PATH_MAX);
    huge[0] = '/';
    huge[PATH_MAX] = '\0';
    ASSERT_ERR(tf_settempdir(huge), -ENAMETOOLONG);
    ASSERT_EQ(tf_gettempdir(small, PATH_MAX), PATH_MAX - 1); /* unchanged */
  }
  ASSERT_OK(tf_settempdir(NULL));
  ASSERT_EQ(tf_gettempdir(buf, sizeof(buf)), (int)strlen(tf_test_dir()));
}

TEST(test_attack_gettempprefix_buffer_edges) {
  char p200[201], buf[256];
  size_t i;
  ASSERT_EQ(tf_gettempprefix(buf, 4), 3);
  ASSERT_STR_EQ(buf, "tmp");
  memset(buf, 'Z', sizeof(buf));
  ASSERT_ERR(tf_gettempprefix(buf, 3), -ERANGE);
  ASSERT_ERR(tf_gettempprefix(buf, 0), -ERANGE);
  for (i = 0; i < sizeof(buf); i++)
    ASSERT_EQ(buf[i], 'Z');
  ASSERT_ERR(tf_gettempprefix(NULL, 4), -EINVAL);

  memset(p200, 'p', 200);
  p200[200] = '\0';
  ASSERT_OK(tf_settempprefix(p200)); /* "longer than 200" is refused */
  ASSERT_EQ(tf_gettempprefix(buf, 201), 200);
  ASSERT_STR_EQ(buf, p200);
  memset(buf, 'Z', sizeof(buf));
  ASSERT_ERR(tf_gettempprefix(buf, 200), -ERANGE);
  for (i = 0; i < sizeof(buf); i++)
    ASSERT_EQ(buf[i], 'Z');
  {
    char p201[202];
    memset(p201, 'q', 201);
    p201[201] = '\0';
    ASSERT_ERR(tf_settempprefix(p201), -EINVAL);
    ASSERT_EQ(tf_gettempprefix(buf, sizeof(buf)), 200); /* unchanged */
  }
  /* 200 + 55 == NAME_MAX: fits; 56 does not */
  {
    tf_opts o = TF_OPTS_INIT;
    char *path = NULL, *untouched = (char *)"untouched";
    int fd;
    o.random_len = 55;
    fd = tf_mkstemp(&path, &o);
    ASSERT_OK(fd);
    ASSERT_EQ(strlen(base_of(path)), NAME_MAX);
    close(fd);
    CHECK_SYS(unlink(path));
    tf_free(path);
    o.random_len = 56;
    ASSERT_ERR(tf_mkstemp(&untouched, &o), -EINVAL);
    ASSERT_STR_EQ(untouched, "untouched");
  }
  ASSERT_OK(tf_settempprefix(NULL));
  ASSERT_EQ(tf_gettempprefix(buf, sizeof(buf)), 3);
}

TEST(test_attack_names_of_exactly_name_max_in_every_form) {
  char prefix[NAME_MAX + 2];
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL, *untouched = (char *)"untouched";
  tf_file *f = NULL;
  int fd, dfd;
  size_t plen = NAME_MAX - TF_RANDOM_LEN_DEFAULT;
  memset(prefix, 'p', plen);
  prefix[plen] = '\0';
  o.prefix = prefix;
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  ASSERT_EQ(strlen(base_of(path)), NAME_MAX);
  close(fd);
  CHECK_SYS(unlink(path));
  tf_free(path);
  ASSERT_OK(tf_mkdtemp(&path, &o));
  ASSERT_EQ(strlen(base_of(path)), NAME_MAX);
  CHECK_SYS(rmdir(path));
  tf_free(path);
  ASSERT_OK(tf_file_create(&f, &o));
  ASSERT_EQ(strlen(base_of(tf_file_path(f))), NAME_MAX);
  ASSERT_OK(tf_file_free(f));
  f = NULL;
  dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(dfd);
  fd = tf_mkstempat(dfd, NULL, &o); /* the on-stack name buffer */
  ASSERT_OK(fd);
  close(fd);
  ASSERT_EQ(tf_test_count_entries("."), 1);
  CHECK_SYS(system("rm -f pppp*"));
  ASSERT_OK(tf_mkdtempat(dfd, &path, &o));
  ASSERT_EQ(strlen(path), NAME_MAX);
  CHECK_SYS(unlinkat(dfd, path, AT_REMOVEDIR));
  tf_free(path);
  force_tmpfile_fallback(1);
  fd = tf_tmpfileat(dfd, &o);
  force_tmpfile_fallback(0);
  ASSERT_OK(fd);
  close(fd);

  /* split across prefix, random part and suffix */
  prefix[100] = '\0';
  o.suffix = prefix + 101; /* 255 - 12 - 100 - 1 = 142 chars */
  o.random_len = NAME_MAX - 100 - (unsigned)strlen(o.suffix);
  ASSERT_EQ(o.random_len, 13);
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  ASSERT_EQ(strlen(base_of(path)), NAME_MAX);
  close(fd);
  CHECK_SYS(unlink(path));
  tf_free(path);
  o.random_len++;
  ASSERT_ERR(tf_mkstemp(&untouched, &o), -EINVAL);
  ASSERT_ERR(tf_mkstempat(dfd, &untouched, &o), -EINVAL);
  ASSERT_ERR(tf_file_createat(&f, dfd, &o), -EINVAL);
  ASSERT_ERR(tf_tmpfile(&o), -EINVAL);

  /* the whole name random */
  o.prefix = "";
  o.suffix = NULL;
  o.random_len = TF_RANDOM_LEN_MAX;
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  ASSERT_EQ(strlen(base_of(path)), NAME_MAX);
  close(fd);
  CHECK_SYS(unlink(path));
  tf_free(path);
  o.prefix = "x";
  ASSERT_ERR(tf_mkstemp(&untouched, &o), -EINVAL);
  o.random_len = TF_RANDOM_LEN_MAX + 1;
  o.prefix = "";
  ASSERT_ERR(tf_mkstemp(&untouched, &o), -EINVAL);
  ASSERT_STR_EQ(untouched, "untouched");
  ASSERT(f == NULL);
  close(dfd);
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

TEST(test_attack_random_chars_long_and_zero_requests) {
  static char big[100000];
  char one[1] = {'#'};
  size_t i, counts[256] = {0};
  ASSERT_OK(tf_random_chars(one, 0));
  ASSERT_EQ(one[0], '#');
  ASSERT_OK(tf_random_chars(big, sizeof(big)));
  for (i = 0; i < sizeof(big); i++) {
    ASSERT(big[i] != '\0' && strchr(TF_ALPHABET, big[i]) != NULL);
    counts[(unsigned char)big[i]]++;
  }
  for (i = 0; i < 36; i++) /* ~2778 each; a dead symbol would show */
    ASSERT_GT(counts[(unsigned char)TF_ALPHABET[i]], 2000);
}
