/* SPDX-License-Identifier: MIT */
/*
 * test_atomic.c - tf_atomic and tf_write_file: every option against every
 * kind of target (missing, regular file, symlink to a file, dangling
 * symlink, directory, read-only directory), on both paths (O_TMPFILE and
 * the hidden sibling), with contents, mode, owner, link survival and
 * leftovers asserted; then the API's edges: bad arguments, streams,
 * forks, chdir, hard links, and the file systems where an unnamed file
 * can not be used.
 */
#include "harness.h"
#include "fault.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

/* The whole file at path, NUL-terminated (malloc'd); NULL if missing. */
static char *slurp(const char *path) {
  char *buf;
  ssize_t n;
  size_t len = 0, cap = 256;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  buf = malloc(cap);
  ASSERT(buf != NULL);
  while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
    len += (size_t)n;
    if (len + 1 == cap) {
      cap *= 2;
      buf = realloc(buf, cap);
      ASSERT(buf != NULL);
    }
  }
  CHECK_SYS(n);
  close(fd);
  buf[len] = '\0';
  return buf;
}

#define ASSERT_CONTENT(path, text)                                           \
  do {                                                                       \
    char *got_ = slurp(path);                                                \
    if (got_ == NULL)                                                        \
      FAIL("%s: missing", path);                                             \
    if (strcmp(got_, text) != 0)                                             \
      FAIL("%s holds \"%s\", expected \"%s\"", path, got_, text);            \
    free(got_);                                                              \
  } while (0)

static mode_t mode_of(const char *path) {
  struct stat st;
  CHECK_SYS(lstat(path, &st));
  return st.st_mode;
}

static tf_opts with_flags(unsigned flags) {
  tf_opts o = TF_OPTS_INIT;
  o.flags = flags;
  return o;
}


/* ------------------------------------------------------ the whole matrix */

/* Every combination of the flags: 2^8, the contradictory ones included
 * (they must be -EINVAL before any effect). */
static const unsigned all_flags[] = {
    TF_NOCLOBBER,    TF_MUST_EXIST,         TF_REPLACE_LINK,
    TF_SYNC_NONE,    TF_SYNC_DURABLE,       TF_SYNC_ONLY_EXISTING,
    TF_UNTRACKED,    TF_STRICT_OWNER,
};
#define FLAG_COMBINATIONS (1u << (sizeof(all_flags) / sizeof(all_flags[0])))

static unsigned combination(unsigned mask) {
  unsigned flags = 0, i;
  for (i = 0; i < sizeof(all_flags) / sizeof(all_flags[0]); i++)
    if (mask & (1u << i))
      flags |= all_flags[i];
  return flags;
}

static int contradictory(unsigned flags) {
  return ((flags & TF_SYNC_NONE) && (flags & TF_SYNC_DURABLE)) ||
         ((flags & TF_NOCLOBBER) && (flags & TF_MUST_EXIST));
}

enum target_kind { MISSING, REGULAR, LINK_TO_FILE, DANGLING, DIRECTORY };
static const char *const kind_names[] = {"missing", "regular", "symlink",
                                         "dangling symlink", "directory"};

/* Make the target "t" of the given kind; a symlink points to "real". */
static void make_target(enum target_kind k) {
  switch (k) {
  case MISSING:
    break;
  case REGULAR:
    tf_test_write_file("t", "old");
    CHECK_SYS(chmod("t", 0640));
    break;
  case LINK_TO_FILE:
    tf_test_write_file("real", "old");
    CHECK_SYS(chmod("real", 0604));
    CHECK_SYS(symlink("real", "t"));
    break;
  case DANGLING:
    CHECK_SYS(symlink("real", "t"));
    break;
  case DIRECTORY:
    CHECK_SYS(mkdir("t", 0755));
    break;
  }
}

static void clean_targets(void) {
  unlink("real");
  if (unlink("t") != 0)
    rmdir("t");
}

/* What one combination must do. */
struct outcome {
  int begin_rc;        /* what begin returns */
  int commit_rc;       /* what commit returns when begin succeeded */
  const char *t_file;  /* "t" is then a regular file with "new" of this
                          mode ... */
  mode_t t_mode;
  int t_is_link;       /* ... or still the link */
  const char *real;    /* and "real" holds this (NULL: absent) */
  mode_t real_mode;
};

/* The oracle: the documented behaviour, written out per case. */
static struct outcome expected(enum target_kind k, unsigned flags) {
  struct outcome e = {0, 0, NULL, 0, 0, NULL, 0};
  int follow = !(flags & TF_REPLACE_LINK);
  int noclobber = (flags & TF_NOCLOBBER) != 0;
  int must_exist = (flags & TF_MUST_EXIST) != 0;
  mode_t fresh = 0644; /* 0666 under the tests' umask 022 */
  if (contradictory(flags)) {
    e.begin_rc = -EINVAL;
    if (k == REGULAR)
      e.t_file = "old", e.t_mode = 0640;
    else if (k == LINK_TO_FILE)
      e.t_is_link = 1, e.real = "old", e.real_mode = 0604;
    else if (k == DANGLING)
      e.t_is_link = 1;
    return e;
  }
  switch (k) {
  case DIRECTORY:
    e.begin_rc = -EISDIR;
    break;
  case MISSING:
    if (must_exist)
      e.commit_rc = -ENOENT;
    else
      e.t_file = "new", e.t_mode = fresh;
    break;
  case REGULAR:
    if (noclobber)
      e.commit_rc = -EEXIST, e.t_file = "old", e.t_mode = 0640;
    else
      e.t_file = "new", e.t_mode = 0640;
    break;
  case LINK_TO_FILE:
    e.real = "old", e.real_mode = 0604;
    if (noclobber) {
      e.commit_rc = -EEXIST, e.t_is_link = 1;
    } else if (follow) {
      e.t_is_link = 1, e.real = "new";
    } else {
      e.t_file = "new", e.t_mode = 0604; /* the mode of the link's file */
    }
    break;
  case DANGLING:
    if (follow) {
      e.t_is_link = 1;
      if (must_exist)
        e.commit_rc = -ENOENT;
      else
        e.real = "new", e.real_mode = fresh;
    } else if (noclobber) {
      e.commit_rc = -EEXIST, e.t_is_link = 1;
    } else {
      e.t_file = "new", e.t_mode = fresh; /* the link itself replaced */
    }
    break;
  }
  return e;
}

static void check_outcome(const struct outcome *e, const char *what) {
  if (e->t_is_link) {
    char buf[16];
    ssize_t n = readlink("t", buf, sizeof(buf) - 1);
    if (n != 4 || memcmp(buf, "real", 4) != 0)
      FAIL("%s: the link t did not survive", what);
  } else if (e->t_file != NULL) {
    if (!S_ISREG(mode_of("t")))
      FAIL("%s: t is not a regular file", what);
    ASSERT_CONTENT("t", e->t_file);
    if ((mode_of("t") & 07777) != e->t_mode)
      FAIL("%s: t has mode 0%o, expected 0%o", what, mode_of("t") & 07777,
           (unsigned)e->t_mode);
  } else if (e->begin_rc == 0 && tf_test_exists("t") &&
             !S_ISLNK(mode_of("t")) && !S_ISDIR(mode_of("t"))) {
    FAIL("%s: t was created", what);
  }
  if (e->real != NULL) {
    ASSERT_CONTENT("real", e->real);
    if ((mode_of("real") & 07777) != e->real_mode)
      FAIL("%s: real has mode 0%o, expected 0%o", what,
           mode_of("real") & 07777, (unsigned)e->real_mode);
  } else if (tf_test_exists("real")) {
    FAIL("%s: real was created", what);
  }
}

/* Nothing but the targets may be left: no hidden sibling, no fd. */
static void check_no_leftovers(const char *what) {
  char *list = tf_test_listing(".");
  char *p;
  for (p = strtok(list, "\n"); p != NULL; p = strtok(NULL, "\n"))
    if (strcmp(p, "t") != 0 && strcmp(p, "real") != 0)
      FAIL("%s: left %s", what, p);
  free(list);
}

static void run_combination(enum tf_test_path p, enum target_kind k,
                            unsigned flags, int use_stream) {
  struct outcome e = expected(k, flags);
  tf_opts o = with_flags(flags);
  tf_atomic *a = NULL;
  char what[160];
  int rc;
  snprintf(what, sizeof(what), "%s path, %s target, flags 0x%x%s",
           tf_test_path_name(p), kind_names[k], flags, use_stream ? ", stream" : "");
  make_target(k);
  rc = tf_atomic_begin(&a, "t", &o);
  if (rc != e.begin_rc)
    FAIL("%s: begin gave %s, expected %s", what, tf_err_name(rc),
         tf_err_name(e.begin_rc));
  if (rc == 0) {
    if (use_stream) {
      FILE *fp;
      ASSERT_OK(tf_atomic_stream(a, &fp));
      ASSERT(fputs("new", fp) >= 0);
    } else {
      ASSERT_OK(tf_atomic_write(a, "new", 3));
    }
    rc = tf_atomic_commit(a);
    if (rc != e.commit_rc)
      FAIL("%s: commit gave %s, expected %s", what, tf_err_name(rc),
           tf_err_name(e.commit_rc));
    ASSERT_EQ(tf_atomic_fd(a), -EBADF);
    ASSERT_OK(tf_atomic_free(a));
  }
  check_outcome(&e, what);
  check_no_leftovers(what);
  clean_targets();
}

/* The matrix runs in the tmpfs directory, where fsync costs nothing:
 * 2 x 5 x 256 replacements. */
static void matrix(enum tf_test_path p, int one_shot) {
  unsigned mask;
  int k;
  umask(022);
  CHECK_SYS(chdir(tf_test_fast_dir()));
  tf_test_use_path(p);
  for (k = MISSING; k <= DIRECTORY; k++) {
    for (mask = 0; mask < FLAG_COMBINATIONS; mask++) {
      unsigned flags = combination(mask);
      if (one_shot) {
        struct outcome e = expected((enum target_kind)k, flags);
        tf_opts o = with_flags(flags);
        int want = e.begin_rc ? e.begin_rc : e.commit_rc;
        int rc;
        make_target((enum target_kind)k);
        rc = tf_write_file("t", "new", 3, &o);
        if (rc != want)
          FAIL("%s path, %s target, flags 0x%x: tf_write_file gave %s, "
               "expected %s",
               tf_test_path_name(p), kind_names[k], flags, tf_err_name(rc),
               tf_err_name(want));
        check_outcome(&e, kind_names[k]);
        check_no_leftovers(kind_names[k]);
        clean_targets();
      } else {
        run_combination(p, (enum target_kind)k, flags, (int)(mask % 3 == 0));
      }
    }
  }
  tf_test_restore_syscalls();
  CHECK_SYS(chdir(tf_test_dir()));
}

TEST(test_atomic_every_option_and_target_kind_o_tmpfile) { matrix(UNNAMED, 0); }
TEST(test_atomic_every_option_and_target_kind_named) { matrix(NAMED, 0); }
TEST(test_write_file_agrees_with_the_handle_o_tmpfile) { matrix(UNNAMED, 1); }
TEST(test_write_file_agrees_with_the_handle_named) { matrix(NAMED, 1); }

/* ------------------------------------------------ read-only directories */

/* Every kind of target in a directory the process may not write: the
 * directory is refused (it is resolved first), everything else is
 * -EACCES and nothing changes. */
static void read_only_dir_child(void *arg) {
  static const char *const names[] = {"t", "new", "link", "dangling", "sub"};
  const char *dir = arg;
  char path[PATH_MAX];
  unsigned mask;
  size_t i;
  int p;
  for (p = UNNAMED; p <= NAMED; p++) {
    tf_test_use_path((enum tf_test_path)p);
    for (mask = 0; mask < FLAG_COMBINATIONS; mask++) {
      tf_opts o = with_flags(combination(mask));
      if (contradictory(o.flags))
        continue;
      for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        tf_atomic *a = NULL;
        int want = strcmp(names[i], "sub") == 0 ? -EISDIR : -EACCES;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        ASSERT_ERR(tf_atomic_begin(&a, path, &o), want);
        ASSERT(a == NULL);
        ASSERT_ERR(tf_write_file(path, "x", 1, &o), want);
      }
    }
  }
  tf_test_restore_syscalls();
}

TEST(test_atomic_in_a_read_only_directory_is_eacces_and_changes_nothing) {
  char dir[PATH_MAX];
  char *before, *after;
  snprintf(dir, sizeof(dir), "%s/ro", tf_test_dir());
  CHECK_SYS(mkdir("ro", 0755));
  tf_test_write_file("ro/t", "old");
  CHECK_SYS(chmod("ro/t", 0666));
  CHECK_SYS(symlink("t", "ro/link"));
  CHECK_SYS(symlink("nothing", "ro/dangling"));
  CHECK_SYS(mkdir("ro/sub", 0755));
  CHECK_SYS(chmod("ro", 0555));
  before = tf_test_listing("ro");
  ASSERT_EQ(tf_test_run_unprivileged(read_only_dir_child, dir), 0);
  after = tf_test_listing("ro");
  ASSERT_STR_EQ(after, before);
  free(before);
  free(after);
  CHECK_SYS(chmod("ro", 0755));
  ASSERT_CONTENT("ro/t", "old");
  CHECK_SYS(unlink("ro/t"));
  CHECK_SYS(unlink("ro/link"));
  CHECK_SYS(unlink("ro/dangling"));
  CHECK_SYS(rmdir("ro/sub"));
  CHECK_SYS(rmdir("ro"));
}

/* -------------------------------------------------------- mode and owner */

TEST(test_atomic_new_file_gets_the_options_mode_under_the_umask) {
  tf_opts o = TF_OPTS_INIT;
  int p;
  for (p = UNNAMED; p <= NAMED; p++) {
    tf_test_use_path((enum tf_test_path)p);
    umask(027);
    ASSERT_OK(tf_write_file("a", "x", 1, NULL));
    ASSERT_MODE(mode_of("a") & 07777, 0640);
    o.mode = 0600;
    ASSERT_OK(tf_write_file("b", "x", 1, &o));
    ASSERT_MODE(mode_of("b") & 07777, 0600);
    o.mode = 0755;
    umask(0);
    ASSERT_OK(tf_write_file("c", "x", 1, &o));
    ASSERT_MODE(mode_of("c") & 07777, 0755);
    /* An existing file's mode wins over the options'. */
    ASSERT_OK(tf_write_file("a", "y", 1, &o));
    ASSERT_MODE(mode_of("a") & 07777, 0640);
    CHECK_SYS(unlink("a"));
    CHECK_SYS(unlink("b"));
    CHECK_SYS(unlink("c"));
  }
  tf_test_restore_syscalls();
}

TEST(test_atomic_keeps_a_mode_the_umask_would_cut) {
  int p;
  for (p = UNNAMED; p <= NAMED; p++) {
    tf_test_use_path((enum tf_test_path)p);
    umask(0277);
    tf_test_write_file("f", "old");
    CHECK_SYS(chmod("f", 0666));
    ASSERT_OK(tf_write_file("f", "new", 3, NULL));
    ASSERT_MODE(mode_of("f") & 07777, 0666);
    ASSERT_CONTENT("f", "new");
    CHECK_SYS(unlink("f"));
  }
  tf_test_restore_syscalls();
}

TEST(test_atomic_keeps_owner_group_and_set_id_bits_as_root) {
  struct stat st;
  int p;
  if (!tf_test_is_root()) {
    /* The unprivileged half of this is the next test. */
    ASSERT_OK(tf_write_file("f", "x", 1, NULL));
    CHECK_SYS(unlink("f"));
    return;
  }
  for (p = UNNAMED; p <= NAMED; p++) {
    tf_test_use_path((enum tf_test_path)p);
    tf_test_write_file("f", "old");
    CHECK_SYS(chown("f", 65534, 65534));
    CHECK_SYS(chmod("f", 06755));
    ASSERT_OK(tf_write_file("f", "new", 3, NULL));
    CHECK_SYS(stat("f", &st));
    ASSERT_EQ(st.st_uid, 65534);
    ASSERT_EQ(st.st_gid, 65534);
    ASSERT_MODE(st.st_mode & 07777, 06755);
    ASSERT_CONTENT("f", "new");
    CHECK_SYS(unlink("f"));
  }
  tf_test_restore_syscalls();
}

/* An unprivileged owner's set-ID file: the kernel clears the bits at the
 * first write to the new file, so commit puts them back. */
static void own_set_id_child(void *arg) {
  static const mode_t modes[] = {04755, 02755, 06750};
  struct stat st;
  size_t i;
  int p;
  (void)arg;
  for (p = UNNAMED; p <= NAMED; p++) {
    tf_test_use_path((enum tf_test_path)p);
    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
      tf_test_write_file("f", "old");
      CHECK_SYS(chmod("f", modes[i]));
      ASSERT_OK(tf_write_file("f", "new", 3, NULL));
      CHECK_SYS(stat("f", &st));
      ASSERT_MODE(st.st_mode & 07777, modes[i]);
      ASSERT_CONTENT("f", "new");
      CHECK_SYS(unlink("f"));
    }
  }
  tf_test_restore_syscalls();
}

TEST(test_atomic_keeps_set_id_bits_of_an_unprivileged_owner) {
  ASSERT_EQ(tf_test_run_unprivileged_at_home(own_set_id_child, NULL), 0);
}

/* An unprivileged process replacing a file someone else owns, in a
 * directory it may write: the owner can not be kept, which is ignored,
 * unless TF_STRICT_OWNER asks for -EPERM. */
static void foreign_owner_child(void *arg) {
  const char *dir = arg;
  char path[PATH_MAX];
  tf_opts strict = with_flags(TF_STRICT_OWNER);
  tf_atomic *a = NULL;
  struct stat st;
  int p;
  snprintf(path, sizeof(path), "%s/f", dir);
  for (p = UNNAMED; p <= NAMED; p++) {
    tf_test_use_path((enum tf_test_path)p);
    ASSERT_ERR(tf_atomic_begin(&a, path, &strict), -EPERM);
    ASSERT(a == NULL);
    ASSERT_ERR(tf_write_file(path, "new", 3, &strict), -EPERM);
    ASSERT_EQ(tf_test_count_entries(dir), 1);
  }
  ASSERT_OK(tf_write_file(path, "new", 3, NULL));
  CHECK_SYS(stat(path, &st));
  ASSERT_EQ(st.st_uid, geteuid());
  ASSERT_MODE(st.st_mode & 07777, 0644);
  ASSERT_EQ(tf_test_count_entries(dir), 1);
}

TEST(test_atomic_foreign_owner_is_ignored_unless_strict) {
  char dir[PATH_MAX];
  if (!tf_test_is_root()) {
    /* Without root there is no second user to own the file. */
    ASSERT_OK(tf_write_file("f", "x", 1, NULL));
    CHECK_SYS(unlink("f"));
    return;
  }
  snprintf(dir, sizeof(dir), "%s/shared", tf_test_dir());
  CHECK_SYS(mkdir("shared", 0777));
  CHECK_SYS(chmod("shared", 0777));
  tf_test_write_file("shared/f", "old");
  CHECK_SYS(chmod("shared/f", 0644));
  ASSERT_EQ(tf_test_run_unprivileged(foreign_owner_child, dir), 0);
  ASSERT_CONTENT("shared/f", "new");
  CHECK_SYS(unlink("shared/f"));
  CHECK_SYS(rmdir("shared"));
}

/* --------------------------------------------------------------- symlinks */

TEST(test_atomic_follows_a_chain_of_links_into_other_directories) {
  int p;
  for (p = UNNAMED; p <= NAMED; p++) {
    tf_test_use_path((enum tf_test_path)p);
    CHECK_SYS(mkdir("a", 0700));
    CHECK_SYS(mkdir("b", 0700));
    tf_test_write_file("b/real", "old");
    CHECK_SYS(symlink("../b/real", "a/l2"));     /* relative to a/ */
    CHECK_SYS(symlink("a/l2", "l1"));            /* relative to . */
    ASSERT_OK(tf_write_file("l1", "new", 3, NULL));
    ASSERT_CONTENT("b/real", "new");
    ASSERT(S_ISLNK(mode_of("l1")) && S_ISLNK(mode_of("a/l2")));
    /* The temporary file was made next to the real file: nothing is
     * left in any of the three directories. */
    ASSERT_EQ(tf_test_count_entries("a"), 1);
    ASSERT_EQ(tf_test_count_entries("b"), 1);
    CHECK_SYS(unlink("l1"));
    CHECK_SYS(unlink("a/l2"));
    CHECK_SYS(unlink("b/real"));
    CHECK_SYS(rmdir("a"));
    CHECK_SYS(rmdir("b"));
  }
  tf_test_restore_syscalls();
}

TEST(test_atomic_absolute_link_and_link_loops) {
  char abs[PATH_MAX];
  snprintf(abs, sizeof(abs), "%s/real", tf_test_dir());
  tf_test_write_file("real", "old");
  CHECK_SYS(symlink(abs, "l"));
  ASSERT_OK(tf_write_file("l", "new", 3, NULL));
  ASSERT_CONTENT("real", "new");
  CHECK_SYS(symlink("loop2", "loop1"));
  CHECK_SYS(symlink("loop1", "loop2"));
  ASSERT_ERR(tf_write_file("loop1", "x", 1, NULL), -ELOOP);
  /* A link to a directory, and one whose text ends in '/'. */
  CHECK_SYS(mkdir("d", 0700));
  CHECK_SYS(symlink("d", "ld"));
  CHECK_SYS(symlink("d/", "ld2"));
  ASSERT_ERR(tf_write_file("ld", "x", 1, NULL), -EISDIR);
  ASSERT_ERR(tf_write_file("ld2", "x", 1, NULL), -EISDIR);
  ASSERT_EQ(tf_test_count_entries("d"), 0);
  ASSERT_EQ(tf_test_count_entries("."), 7);
  /* With TF_REPLACE_LINK the link to a directory is replaced. */
  {
    tf_opts o = with_flags(TF_REPLACE_LINK);
    ASSERT_OK(tf_write_file("ld", "file", 4, &o));
    ASSERT(S_ISREG(mode_of("ld")));
    ASSERT(S_ISDIR(mode_of("d")));
  }
  CHECK_SYS(unlink("l"));
  CHECK_SYS(unlink("real"));
  CHECK_SYS(unlink("loop1"));
  CHECK_SYS(unlink("loop2"));
  CHECK_SYS(unlink("ld"));
  CHECK_SYS(unlink("ld2"));
  CHECK_SYS(rmdir("d"));
}

/* Links l1 -> real, l2 -> l1, ... ln -> l(n-1) in the current directory:
 * "l<k>" reaches real through k links. */
static void make_link_chain(int n) {
  char name[16], to[16];
  int i;
  CHECK_SYS(symlink("real", "l1"));
  for (i = 2; i <= n; i++) {
    snprintf(name, sizeof(name), "l%d", i);
    snprintf(to, sizeof(to), "l%d", i - 1);
    CHECK_SYS(symlink(to, name));
  }
}

/* What the kernel does with a chain of links: open() follows 40 and fails
 * with ELOOP at 41, creating nothing, also when the last link dangles. */
static void kernel_follows_40_links(void) {
  int fd = open("l40", O_RDONLY | O_CLOEXEC);
  CHECK_SYS(fd);
  close(fd);
  ASSERT_EQ(open("l41", O_RDONLY | O_CLOEXEC), -1);
  ASSERT_EQ(errno, ELOOP);
  CHECK_SYS(rename("real", "real.aside"));
  ASSERT_EQ(open("l41", O_WRONLY | O_CREAT | O_CLOEXEC, 0600), -1);
  ASSERT_EQ(errno, ELOOP);
  ASSERT(!tf_test_exists("real"));
  fd = open("l40", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  CHECK_SYS(fd);
  close(fd);
  ASSERT(tf_test_exists("real"));
  CHECK_SYS(rename("real.aside", "real"));
}

/* The replacement through path fails with -ELOOP and changes nothing. */
static void atomic_eloop(const char *path, const char *listing,
                         const char *content) {
  tf_atomic *a = NULL;
  char *now;
  ASSERT_ERR(tf_atomic_begin(&a, path, NULL), -ELOOP);
  ASSERT(a == NULL);
  ASSERT_ERR(tf_write_file(path, "x", 1, NULL), -ELOOP);
  now = tf_test_listing(".");
  if (strcmp(now, listing) != 0)
    FAIL("%s: -ELOOP, but the directory changed:\n%s", path, now);
  free(now);
  if (content != NULL)
    ASSERT_CONTENT("real", content);
}

TEST(test_atomic_follows_40_links_and_fails_at_41_as_the_kernel_does) {
  tf_atomic *a;
  char *listing;
  int p;
  tf_test_write_file("real", "old");
  make_link_chain(41);
  kernel_follows_40_links();
  for (p = UNNAMED; p <= NAMED; p++) {
    tf_test_use_path((enum tf_test_path)p);
    /* The target exists: 40 links are followed, both ways. */
    listing = tf_test_listing(".");
    ASSERT_OK(tf_atomic_begin(&a, "l40", NULL));
    ASSERT_OK(tf_atomic_write(a, "new", 3));
    ASSERT_OK(tf_atomic_commit(a));
    ASSERT_OK(tf_atomic_free(a));
    ASSERT_CONTENT("real", "new");
    ASSERT_OK(tf_write_file("l40", "newer", 5, NULL));
    ASSERT_CONTENT("real", "newer");
    ASSERT(S_ISLNK(mode_of("l40")) && S_ISLNK(mode_of("l1")));
    /* ... and 41 are one too many (the listing is as before the 40). */
    atomic_eloop("l41", listing, "newer");
    free(listing);
    /* The last link dangles: through 40 the file is made, 41 make
     * nothing. */
    CHECK_SYS(unlink("real"));
    listing = tf_test_listing(".");
    atomic_eloop("l41", listing, NULL);
    ASSERT(!tf_test_exists("real"));
    free(listing);
    ASSERT_OK(tf_atomic_begin(&a, "l40", NULL));
    ASSERT_OK(tf_atomic_write(a, "made", 4));
    ASSERT_OK(tf_atomic_commit(a));
    ASSERT_OK(tf_atomic_free(a));
    ASSERT_CONTENT("real", "made");
    CHECK_SYS(unlink("real"));
    ASSERT_OK(tf_write_file("l40", "made2", 5, NULL));
    ASSERT_CONTENT("real", "made2");
    ASSERT(S_ISLNK(mode_of("l40")));
  }
  tf_test_restore_syscalls();
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, tf_test_dir(), TF_CONTENTS_ONLY));
}

/* ---------------------------------------------------------- bad arguments */

TEST(test_atomic_rejects_bad_arguments_before_any_effect) {
  tf_atomic *a = NULL;
  tf_opts o = TF_OPTS_INIT;
  ASSERT_ERR(tf_atomic_begin(NULL, "t", NULL), -EINVAL);
  ASSERT_ERR(tf_atomic_begin(&a, NULL, NULL), -EINVAL);
  ASSERT_ERR(tf_atomic_begin(&a, "", NULL), -EINVAL);
  o.flags = TF_SYNC_NONE | TF_SYNC_DURABLE;
  ASSERT_ERR(tf_atomic_begin(&a, "t", &o), -EINVAL);
  o.flags = TF_NOCLOBBER | TF_MUST_EXIST;
  ASSERT_ERR(tf_atomic_begin(&a, "t", &o), -EINVAL);
  o.flags = TF_KEEP << 12;
  ASSERT_ERR(tf_atomic_begin(&a, "t", &o), -EINVAL);
  o.flags = TF_DELETE_ON_FREE; /* another handle's flag */
  ASSERT_ERR(tf_atomic_begin(&a, "t", &o), -EINVAL);
  o.flags = 0;
  o.prefix = "p";
  ASSERT_ERR(tf_atomic_begin(&a, "t", &o), -EINVAL);
  o.prefix = NULL;
  o.suffix = "s";
  ASSERT_ERR(tf_atomic_begin(&a, "t", &o), -EINVAL);
  o.suffix = NULL;
  o.random_len = 8;
  ASSERT_ERR(tf_atomic_begin(&a, "t", &o), -EINVAL);
  o.random_len = 0;
  o.dir = ".";
  ASSERT_ERR(tf_atomic_begin(&a, "t", &o), -EINVAL);
  o.dir = NULL;
  o.mode = 010000;
  ASSERT_ERR(tf_atomic_begin(&a, "t", &o), -EINVAL);
  o.mode = 0;
  o.open_flags = O_APPEND;
  ASSERT_ERR(tf_atomic_begin(&a, "t", &o), -EINVAL);
  o.open_flags = O_TRUNC;
  ASSERT_ERR(tf_atomic_begin(&a, "t", &o), -EINVAL);
  ASSERT(a == NULL);
  ASSERT_ERR(tf_write_file("t", NULL, 1, NULL), -EINVAL);
  ASSERT_ERR(tf_atomic_write(NULL, "x", 1), -EINVAL);
  ASSERT_ERR(tf_atomic_commit(NULL), -EINVAL);
  ASSERT_EQ(tf_atomic_abort(NULL), 0);
  ASSERT_EQ(tf_atomic_free(NULL), 0);
  ASSERT_EQ(tf_atomic_fd(NULL), -EINVAL);
  ASSERT_ERR(tf_atomic_stream(NULL, NULL), -EINVAL);
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

TEST(test_atomic_paths_that_name_no_file) {
  char longname[NAME_MAX + 2];
  CHECK_SYS(mkdir("d", 0700));
  ASSERT_ERR(tf_write_file("d/", "x", 1, NULL), -EISDIR);
  ASSERT_ERR(tf_write_file(".", "x", 1, NULL), -EISDIR);
  ASSERT_ERR(tf_write_file("d/..", "x", 1, NULL), -EISDIR);
  ASSERT_ERR(tf_write_file("/", "x", 1, NULL), -EISDIR);
  ASSERT_ERR(tf_write_file("d", "x", 1, NULL), -EISDIR);
  ASSERT_ERR(tf_write_file("missing/t", "x", 1, NULL), -ENOENT);
  memset(longname, 'n', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = '\0';
  ASSERT_ERR(tf_write_file(longname, "x", 1, NULL), -ENAMETOOLONG);
  CHECK_SYS(mkfifo("fifo", 0600));
  ASSERT_ERR(tf_write_file("fifo", "x", 1, NULL), -EINVAL);
  ASSERT(S_ISFIFO(mode_of("fifo")));
  tf_test_write_file("f", "old");
  ASSERT_ERR(tf_write_file("f/x", "x", 1, NULL), -ENOTDIR);
  ASSERT_EQ(tf_test_count_entries("d"), 0);
  ASSERT_EQ(tf_test_count_entries("."), 3);
  CHECK_SYS(unlink("fifo"));
  CHECK_SYS(unlink("f"));
  CHECK_SYS(rmdir("d"));
}

TEST(test_atomic_longest_name_gets_a_hidden_sibling_that_fits) {
  char name[NAME_MAX + 1];
  memset(name, 'n', NAME_MAX);
  name[NAME_MAX] = '\0';
  tf_test_write_file(name, "old");
  tf_test_without_o_tmpfile();
  ASSERT_OK(tf_write_file(name, "new", 3, NULL));
  tf_test_restore_syscalls();
  ASSERT_OK(tf_write_file(name, "newer", 5, NULL));
  ASSERT_CONTENT(name, "newer");
  ASSERT_EQ(tf_test_count_entries("."), 1);
  CHECK_SYS(unlink(name));
}

/* ---------------------------------------------------- the handle's life */

TEST(test_atomic_handle_lifecycle) {
  tf_atomic *a = NULL;
  FILE *fp;
  tf_test_write_file("t", "old");
  ASSERT_OK(tf_atomic_begin(&a, "t", NULL));
  ASSERT_GE(tf_atomic_fd(a), 0);
  ASSERT_OK(tf_atomic_stream(a, &fp));
  ASSERT(fprintf(fp, "line %d\n", 1) > 0);
  /* Direct writes go after what the stream holds. */
  ASSERT_OK(tf_atomic_write(a, "line 2\n", 7));
  ASSERT(fprintf(fp, "line %d\n", 3) > 0);
  ASSERT_CONTENT("t", "old"); /* nothing visible before commit */
  ASSERT_OK(tf_atomic_commit(a));
  ASSERT_CONTENT("t", "line 1\nline 2\nline 3\n");
  ASSERT_ERR(tf_atomic_commit(a), -EINVAL);
  ASSERT_EQ(tf_atomic_abort(a), 0); /* a no-op after commit */
  ASSERT_CONTENT("t", "line 1\nline 2\nline 3\n");
  ASSERT_ERR(tf_atomic_write(a, "x", 1), -EBADF);
  ASSERT_ERR(tf_atomic_stream(a, &fp), -EBADF);
  ASSERT_OK(tf_atomic_free(a));

  /* Abort, then free; and free without commit. */
  ASSERT_OK(tf_atomic_begin(&a, "t", NULL));
  ASSERT_OK(tf_atomic_write(a, "lost", 4));
  ASSERT_OK(tf_atomic_abort(a));
  ASSERT_OK(tf_atomic_abort(a));
  ASSERT_ERR(tf_atomic_commit(a), -EINVAL);
  ASSERT_OK(tf_atomic_free(a));
  ASSERT_OK(tf_atomic_begin(&a, "t", NULL));
  ASSERT_OK(tf_atomic_write(a, "lost", 4));
  ASSERT_OK(tf_atomic_free(a));
  ASSERT_CONTENT("t", "line 1\nline 2\nline 3\n");
  ASSERT_EQ(tf_test_count_entries("."), 1);
  CHECK_SYS(unlink("t"));
}

/* The fd can be read back, sought and truncated like any file. */
TEST(test_atomic_fd_is_an_ordinary_file) {
  tf_atomic *a = NULL;
  char buf[8] = {0};
  int fd;
  ASSERT_OK(tf_atomic_begin(&a, "t", NULL));
  fd = tf_atomic_fd(a);
  ASSERT_EQ(write(fd, "abcdef", 6), 6);
  ASSERT_EQ(pread(fd, buf, 3, 2), 3);
  ASSERT_STR_EQ(buf, "cde");
  CHECK_SYS(ftruncate(fd, 4));
  ASSERT_OK(tf_atomic_commit(a));
  ASSERT_OK(tf_atomic_free(a));
  ASSERT_CONTENT("t", "abcd");
  CHECK_SYS(unlink("t"));
}

/* The unnamed file has no name until commit; the fallback's one is the
 * documented hidden pattern, and the file is invisible under the
 * target's name either way. */
static void expect_pending_name(enum tf_test_path p) {
  tf_atomic *a = NULL;
  char *list;
  p = tf_test_use_path(p);
  tf_test_write_file("config", "old");
  ASSERT_OK(tf_atomic_begin(&a, "config", NULL));
  list = tf_test_listing(".");
  if (p == UNNAMED) {
    ASSERT_STR_EQ(list, "config\n");
  } else {
    size_t i;
    ASSERT_EQ(strlen(list), 24 + 7);
    ASSERT_EQ(strncmp(list, ".config.tf-", 11), 0);
    for (i = 11; i < 23; i++)
      ASSERT(strchr(TF_ALPHABET, list[i]) != NULL);
    ASSERT_STR_EQ(list + 23, "\nconfig\n");
  }
  free(list);
  ASSERT_OK(tf_atomic_free(a));
  list = tf_test_listing(".");
  ASSERT_STR_EQ(list, "config\n");
  free(list);
  CHECK_SYS(unlink("config"));
  tf_test_restore_syscalls();
}

TEST(test_atomic_pending_file_has_no_name_or_the_hidden_pattern) {
  expect_pending_name(UNNAMED);
  expect_pending_name(NAMED);
}

/* btrfs ignores fsync() on a file with no name, so there the library
 * uses the named sibling from the start. */
static int fstype_btrfs(int fd, unsigned long *type) {
  (void)fd;
  *type = TF_FS_BTRFS;
  return 0;
}

TEST(test_atomic_on_btrfs_names_the_file_before_syncing_it) {
  tf_atomic *a = NULL;
  tf_test_need_unnamed();
  ASSERT_OK(tf_atomic_begin(&a, "fresh", NULL)); /* a new file: no cache */
  ASSERT_EQ(tf_test_count_entries("."), 0);
  ASSERT_OK(tf_atomic_free(a));
  tf__sys.fstype = fstype_btrfs;
  ASSERT_OK(tf_atomic_begin(&a, "fresh", NULL));
  ASSERT_EQ(tf_test_count_entries("."), 1);
  ASSERT_OK(tf_atomic_write(a, "x", 1));
  ASSERT_OK(tf_atomic_commit(a));
  ASSERT_OK(tf_atomic_free(a));
  tf_test_restore_syscalls();
  ASSERT_CONTENT("fresh", "x");
  ASSERT_EQ(tf_test_count_entries("."), 1);
  CHECK_SYS(unlink("fresh"));
}

TEST(test_atomic_a_chdir_between_begin_and_commit_changes_nothing) {
  tf_atomic *a = NULL;
  int p;
  CHECK_SYS(mkdir("elsewhere", 0700));
  for (p = UNNAMED; p <= NAMED; p++) {
    tf_test_use_path((enum tf_test_path)p);
    tf_test_write_file("t", "old");
    ASSERT_OK(tf_atomic_begin(&a, "t", NULL));
    ASSERT_OK(tf_atomic_write(a, "new", 3));
    CHECK_SYS(chdir("elsewhere"));
    ASSERT_OK(tf_atomic_commit(a));
    ASSERT_OK(tf_atomic_free(a));
    CHECK_SYS(chdir(".."));
    ASSERT_CONTENT("t", "new");
    ASSERT_EQ(tf_test_count_entries("elsewhere"), 0);
    CHECK_SYS(unlink("t"));
  }
  tf_test_restore_syscalls();
  CHECK_SYS(rmdir("elsewhere"));
}

TEST(test_atomic_beginat_is_relative_to_its_dirfd) {
  tf_atomic *a = NULL;
  int dfd;
  CHECK_SYS(mkdir("d", 0700));
  dfd = open("d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(dfd);
  ASSERT_OK(tf_atomic_beginat(&a, dfd, "t", NULL));
  CHECK_SYS(close(dfd)); /* the handle has its own */
  ASSERT_OK(tf_atomic_write(a, "in d", 4));
  ASSERT_OK(tf_atomic_commit(a));
  ASSERT_OK(tf_atomic_free(a));
  ASSERT_CONTENT("d/t", "in d");
  ASSERT_OK(tf_write_fileat(AT_FDCWD, "d/t", "again", 5, NULL));
  ASSERT_CONTENT("d/t", "again");
  CHECK_SYS(unlink("d/t"));
  CHECK_SYS(rmdir("d"));
}

/* Replacing breaks hard links, as every rename-based replacement does:
 * the other name keeps the old contents (documented). */
TEST(test_atomic_replacement_breaks_hard_links) {
  struct stat before, after;
  tf_test_write_file("t", "old");
  CHECK_SYS(link("t", "other"));
  CHECK_SYS(stat("t", &before));
  ASSERT_OK(tf_write_file("t", "new", 3, NULL));
  CHECK_SYS(stat("t", &after));
  ASSERT_NE(before.st_ino, after.st_ino);
  ASSERT_CONTENT("t", "new");
  ASSERT_CONTENT("other", "old");
  CHECK_SYS(unlink("t"));
  CHECK_SYS(unlink("other"));
}

/* A reader holding the old file keeps reading the old contents. */
TEST(test_atomic_open_readers_keep_the_old_file) {
  char buf[8] = {0};
  int fd;
  tf_test_write_file("t", "old");
  fd = open("t", O_RDONLY | O_CLOEXEC);
  CHECK_SYS(fd);
  ASSERT_OK(tf_write_file("t", "new", 3, NULL));
  ASSERT_EQ(read(fd, buf, sizeof(buf) - 1), 3);
  ASSERT_STR_EQ(buf, "old");
  CHECK_SYS(close(fd));
  CHECK_SYS(unlink("t"));
}

/* ------------------------------------------------------------------ fork */

static void fork_free_child(enum tf_test_path p) {
  tf_atomic *a = NULL;
  pid_t pid;
  int status;
  p = tf_test_use_path(p);
  tf_test_write_file("t", "old");
  ASSERT_OK(tf_atomic_begin(&a, "t", NULL));
  ASSERT_OK(tf_atomic_write(a, "from the parent", 15));
  pid = fork();
  CHECK_SYS(pid);
  if (pid == 0) {
    /* The child ends its copy of the handle: it closes its fds and
     * removes nothing of the parent's. */
    _exit(tf_atomic_free(a) == 0 ? 0 : 1);
  }
  CHECK_SYS(waitpid(pid, &status, 0));
  ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(tf_test_count_entries("."), p == UNNAMED ? 1 : 2);
  ASSERT_OK(tf_atomic_commit(a));
  ASSERT_OK(tf_atomic_free(a));
  ASSERT_CONTENT("t", "from the parent");
  ASSERT_EQ(tf_test_count_entries("."), 1);
  CHECK_SYS(unlink("t"));
  tf_test_restore_syscalls();
}

TEST(test_atomic_a_forked_child_never_removes_the_parents_file) {
  fork_free_child(UNNAMED);
  fork_free_child(NAMED);
}

/* ---------------------------------------------------------- sync levels */

/* Count fsync calls by failing none of them: the fault injector counts
 * the calls of one kind made since it was armed. */
static int fsyncs_of(unsigned flags, const char *target) {
  tf_opts o = with_flags(flags);
  int count = 0;
  for (;;) {
    tf__fault_arm(TF_SYS_fsync, (unsigned long)count + 1, EIO);
    if (tf_write_file(target, "new", 3, &o) == 0 && !tf__fault_fired())
      break;
    count++;
    if (count > 4)
      FAIL("more than 4 fsyncs");
  }
  tf__fault_disarm();
  return count;
}

TEST(test_atomic_sync_levels_make_the_documented_fsyncs) {
  ASSERT_EQ(fsyncs_of(TF_SYNC_NONE, "a"), 0);
  ASSERT_EQ(fsyncs_of(0, "a"), 1);
  ASSERT_EQ(fsyncs_of(TF_SYNC_DURABLE, "a"), 2);
  /* GLib's ONLY_EXISTING: no old data (missing or empty), no sync. */
  CHECK_SYS(unlink("a"));
  ASSERT_EQ(fsyncs_of(TF_SYNC_DURABLE | TF_SYNC_ONLY_EXISTING, "a"), 0);
  ASSERT_EQ(fsyncs_of(TF_SYNC_DURABLE | TF_SYNC_ONLY_EXISTING, "a"), 2);
  tf_test_write_file("e", "");
  ASSERT_EQ(fsyncs_of(TF_SYNC_ONLY_EXISTING, "e"), 0);
  ASSERT_EQ(fsyncs_of(TF_SYNC_ONLY_EXISTING, "e"), 1);
  CHECK_SYS(unlink("a"));
  CHECK_SYS(unlink("e"));
}

TEST(test_atomic_failing_directory_sync_is_reported_never_silent) {
  tf_opts o = with_flags(TF_SYNC_DURABLE);
  tf_test_write_file("t", "old");
  /* The second fsync is the directory's, after the rename: the new
   * contents are in place, and the error says they may not survive a
   * crash. */
  tf__fault_arm(TF_SYS_fsync, 2, EIO);
  ASSERT_ERR(tf_write_file("t", "new", 3, &o), -EIO);
  tf__fault_disarm();
  ASSERT_CONTENT("t", "new");
  /* The handle tells "renamed, not durable" from "not renamed". */
  {
    tf_atomic *a = NULL;
    ASSERT_OK(tf_atomic_begin(&a, "t", &o));
    ASSERT_OK(tf_atomic_write(a, "newer", 5));
    ASSERT_EQ(tf_atomic_committed(a), 0);
    tf__fault_arm(TF_SYS_fsync, 2, EIO);
    ASSERT_ERR(tf_atomic_commit(a), -EIO);
    tf__fault_disarm();
    ASSERT_EQ(tf_atomic_committed(a), 1);
    ASSERT_OK(tf_atomic_free(a));
  }
  ASSERT_CONTENT("t", "newer");
  /* The first is the file's: nothing happens to the target. */
  tf__fault_arm(TF_SYS_fsync, 1, EIO);
  ASSERT_ERR(tf_write_file("t", "lost", 4, &o), -EIO);
  tf__fault_disarm();
  ASSERT_CONTENT("t", "newer");
  ASSERT_EQ(tf_test_count_entries("."), 1);
  CHECK_SYS(unlink("t"));
}

/* A directory that may be written but not read is opened O_PATH, which
 * can not be synced: durable commits say so with EACCES.  (Mode 0333:
 * write and search but no read for its owner too, so the writer may be
 * the unprivileged user or, not root, ourselves.) */
static void write_only_dir_child(void *arg) {
  const char *dir = arg;
  char path[PATH_MAX];
  tf_opts o = with_flags(TF_SYNC_DURABLE);
  snprintf(path, sizeof(path), "%s/t", dir);
  ASSERT_OK(tf_write_file(path, "one", 3, NULL));
  ASSERT_ERR(tf_write_file(path, "two", 3, &o), -EACCES);
  ASSERT_ERR(tf_write_file(path, "three", 5, &o), -EACCES);
}

TEST(test_atomic_in_a_write_only_directory) {
  char dir[PATH_MAX];
  if (!TF_HAVE_O_PATH && TF_O_SEARCH == O_RDONLY)
    SKIP("built with neither O_PATH nor O_SEARCH: a directory its owner "
         "may not read can not be anchored");
  snprintf(dir, sizeof(dir), "%s/wo", tf_test_dir());
  CHECK_SYS(mkdir("wo", 0700));
  CHECK_SYS(chmod("wo", 0333));
  ASSERT_EQ(tf_test_run_unprivileged(write_only_dir_child, dir), 0);
  CHECK_SYS(chmod("wo", 0700));
  ASSERT_CONTENT("wo/t", "three");
  ASSERT_EQ(tf_test_count_entries("wo"), 1);
  CHECK_SYS(unlink("wo/t"));
  CHECK_SYS(rmdir("wo"));
}

/* ---------------------------------------------- decided at commit only */

TEST(test_atomic_noclobber_and_must_exist_are_decided_at_commit) {
  tf_opts noclobber = with_flags(TF_NOCLOBBER), must = with_flags(TF_MUST_EXIST);
  tf_atomic *a = NULL;
  int p;
  for (p = UNNAMED; p <= NAMED; p++) {
    tf_test_use_path((enum tf_test_path)p);
    /* Missing at begin, created by someone else before commit. */
    ASSERT_OK(tf_atomic_begin(&a, "t", &noclobber));
    ASSERT_OK(tf_atomic_write(a, "mine", 4));
    tf_test_write_file("t", "theirs");
    ASSERT_ERR(tf_atomic_commit(a), -EEXIST);
    ASSERT_OK(tf_atomic_free(a));
    ASSERT_CONTENT("t", "theirs");
    /* Present at begin, removed before commit. */
    ASSERT_OK(tf_atomic_begin(&a, "t", &must));
    ASSERT_OK(tf_atomic_write(a, "mine", 4));
    CHECK_SYS(unlink("t"));
    ASSERT_ERR(tf_atomic_commit(a), -ENOENT);
    ASSERT_OK(tf_atomic_free(a));
    ASSERT_EQ(tf_test_count_entries("."), 0);
    /* Present at begin, replaced by a directory before commit. */
    tf_test_write_file("t", "old");
    ASSERT_OK(tf_atomic_begin(&a, "t", &must));
    CHECK_SYS(unlink("t"));
    CHECK_SYS(mkdir("t", 0700));
    ASSERT_ERR(tf_atomic_commit(a), -EISDIR);
    ASSERT_OK(tf_atomic_free(a));
    ASSERT(S_ISDIR(mode_of("t")));
    CHECK_SYS(rmdir("t"));
    /* Missing at begin, created before commit, default flags: replaced. */
    ASSERT_OK(tf_atomic_begin(&a, "t", NULL));
    ASSERT_OK(tf_atomic_write(a, "mine", 4));
    tf_test_write_file("t", "theirs");
    ASSERT_OK(tf_atomic_commit(a));
    ASSERT_OK(tf_atomic_free(a));
    ASSERT_CONTENT("t", "mine");
    ASSERT_EQ(tf_test_count_entries("."), 1);
    CHECK_SYS(unlink("t"));
  }
  tf_test_restore_syscalls();
}

TEST(test_atomic_without_renameat2_keeps_noclobber_and_must_exist) {
  tf_opts noclobber = with_flags(TF_NOCLOBBER), must = with_flags(TF_MUST_EXIST);
  int p;
  for (p = UNNAMED; p <= NAMED; p++) {
    tf_test_use_path((enum tf_test_path)p);
    tf_test_without_renameat2(p == UNNAMED ? ENOSYS : EINVAL);
    ASSERT_ERR(tf_write_file("t", "x", 1, &must), -ENOENT);
    ASSERT_OK(tf_write_file("t", "one", 3, &noclobber));
    ASSERT_ERR(tf_write_file("t", "two", 3, &noclobber), -EEXIST);
    ASSERT_OK(tf_write_file("t", "three", 5, &must));
    ASSERT_CONTENT("t", "three");
    ASSERT_EQ(tf_test_count_entries("."), 1);
    CHECK_SYS(unlink("t"));
  }
  tf_test_restore_syscalls();
}
