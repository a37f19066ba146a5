/* SPDX-License-Identifier: MIT */
/*
 * test_rmtree.c - tf_rmtreeat(): arguments, what the top may be (a
 * directory, a symlink, a file, a path through directories), special
 * files, file systems that give no d_type, a tree 10,000 deep and a
 * directory of 200,000 entries under a small fd limit with a linear
 * number of calls, the eviction of deep directories and their reopening
 * (also when a directory moves at that moment), the first error reported
 * while everything else goes, and every failing call.
 */
#include "harness.h"
#include "fault.h"

#include <ftw.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Entries tf_test_make_tree(depth, dirs, files) makes. */
static long tree_size(int depth, int dirs, int files) {
  return depth == 0 ? files
                    : files + dirs + dirs * tree_size(depth - 1, dirs, files);
}

static void make_dirs(const char *top, int depth, int dirs, int files) {
  int fd;
  CHECK_SYS(mkdir(top, 0700));
  fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(fd);
  tf_test_make_tree(fd, depth, dirs, files);
  CHECK_SYS(close(fd));
}

/* A chain top/c0/c1/.../c<depth-1>, with files one-byte files in each. */
static void make_chain(const char *top, int depth, int files) {
  int fd, i;
  CHECK_SYS(mkdir(top, 0700));
  fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(fd);
  for (i = 0; i < depth; i++) {
    char name[16];
    int sub;
    snprintf(name, sizeof(name), "c%d", i);
    tf_test_make_tree(fd, 0, 0, files);
    CHECK_SYS(mkdirat(fd, name, 0700));
    sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK_SYS(sub);
    CHECK_SYS(close(fd));
    fd = sub;
  }
  CHECK_SYS(close(fd));
}

TEST(test_rmtree_rejects_bad_arguments) {
  CHECK_SYS(mkdir("d", 0700));
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, NULL, 0), -EINVAL);
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "d", 0x100), -EINVAL);
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "/", 0), -EINVAL);
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "///", TF_IGNORE_ERRORS), -EINVAL);
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, ".", 0), -EINVAL);
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "..", 0), -EINVAL);
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "d/.", 0), -EINVAL);
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "d/..", 0), -EINVAL);
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "d/../", 0), -EINVAL);
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "./", 0), -EINVAL);
  ASSERT(tf_test_exists("d")); /* nothing was touched */
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "", 0), -ENOENT);
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "missing", 0), -ENOENT);
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "missing/d", 0), -ENOENT);
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "missing", TF_IGNORE_ERRORS));
  ASSERT_ERR(tf_rmtreeat(-1, "d", 0), -EBADF);
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "d/missing", 0), -ENOENT);
  {
    char longname[NAME_MAX + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    ASSERT_ERR(tf_rmtreeat(AT_FDCWD, longname, 0), -ENAMETOOLONG);
  }
  CHECK_SYS(rmdir("d"));
}

TEST(test_rmtree_removes_a_tree_and_keeps_its_neighbours) {
  make_dirs("tree", 3, 3, 4);
  make_dirs("tree-neighbour", 1, 1, 1);
  ASSERT_EQ(tf_test_count_tree(AT_FDCWD, "tree"), tree_size(3, 3, 4));
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "tree", 0));
  ASSERT(!tf_test_exists("tree"));
  ASSERT_EQ(tf_test_count_tree(AT_FDCWD, "tree-neighbour"), tree_size(1, 1, 1));
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "tree-neighbour/", 0));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

TEST(test_rmtree_paths_are_relative_to_dirfd_and_absolute_paths_work) {
  char abs[PATH_MAX];
  int fd;
  CHECK_SYS(mkdir("a", 0700));
  CHECK_SYS(mkdir("a/b", 0700));
  make_dirs("a/b/c", 2, 2, 2);
  make_dirs("a/b/c2", 1, 1, 1);
  fd = open("a", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(fd);
  ASSERT_OK(tf_rmtreeat(fd, "b/c", 0));
  ASSERT(!tf_test_exists("a/b/c"));
  ASSERT(tf_test_exists("a/b/c2"));
  CHECK_SYS(close(fd));
  snprintf(abs, sizeof(abs), "%s/a", tf_test_dir());
  /* One rule whatever the path: a negative dirfd is -EBADF (the kernel
   * would ignore it for an absolute path). */
  ASSERT_ERR(tf_rmtreeat(-1, abs, 0), -EBADF);
  ASSERT(tf_test_exists("a/b/c2"));
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, abs, 0));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

/* Python's rmtree refuses a file, Rust's remove_dir_all too. */
TEST(test_rmtree_leaves_a_file_top_with_enotdir) {
  tf_test_write_file("file", "data");
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "file", 0), -ENOTDIR);
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "file", TF_CONTENTS_ONLY), -ENOTDIR);
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "file/", 0), -ENOTDIR);
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "file", TF_IGNORE_ERRORS));
  ASSERT(tf_test_exists("file"));
  CHECK_SYS(unlink("file"));
}

/* A symlink as the top goes as a link, with or without a trailing slash,
 * whatever it points to. */
TEST(test_rmtree_removes_a_symlink_top_as_a_link) {
  const char *targets[] = {"target-dir", "target-file", "dangling", "/"};
  const char *names[] = {"link", "link/", "link//"};
  size_t i, j;
  make_dirs("target-dir", 1, 2, 2);
  tf_test_write_file("target-file", "x");
  for (i = 0; i < 4; i++) {
    for (j = 0; j < 3; j++) {
      CHECK_SYS(symlink(targets[i], "link"));
      ASSERT_OK(tf_rmtreeat(AT_FDCWD, names[j], 0));
      ASSERT(!tf_test_exists("link"));
    }
    CHECK_SYS(symlink(targets[i], "link"));
    ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "link", TF_CONTENTS_ONLY), -ENOTDIR);
    CHECK_SYS(unlink("link"));
  }
  ASSERT_EQ(tf_test_count_tree(AT_FDCWD, "target-dir"), tree_size(1, 2, 2));
  ASSERT(tf_test_exists("target-file"));
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "target-dir", 0));
  CHECK_SYS(unlink("target-file"));
}

TEST(test_rmtree_contents_only_keeps_the_top_and_its_mode) {
  struct stat before, after;
  make_dirs("top", 2, 2, 3);
  CHECK_SYS(chmod("top", 0750));
  CHECK_SYS(stat("top", &before));
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "top", TF_CONTENTS_ONLY));
  CHECK_SYS(stat("top", &after));
  ASSERT_EQ(after.st_ino, before.st_ino);
  ASSERT_MODE(after.st_mode, before.st_mode);
  ASSERT_EQ(tf_test_count_entries("top"), 0);
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "top", TF_CONTENTS_ONLY)); /* empty: ok */
  CHECK_SYS(rmdir("top"));
}

/* Special files are unlinked, never opened: a FIFO without a reader
 * would block an open (the test's timeout would catch it). */
TEST(test_rmtree_unlinks_fifos_and_sockets_without_opening_them) {
  struct sockaddr_un addr;
  int s;
  make_dirs("top", 1, 1, 1);
  CHECK_SYS(mkfifo("top/fifo", 0600));
  CHECK_SYS(mkfifo("top/d0/fifo", 0000));
  s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHECK_SYS(s);
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof(addr.sun_path), "top/d0/socket");
  CHECK_SYS(bind(s, (struct sockaddr *)&addr, sizeof(addr)));
  CHECK_SYS(listen(s, 1));
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "top", 0));
  ASSERT(!tf_test_exists("top"));
  CHECK_SYS(close(s));
}

/* File systems that report DT_UNKNOWN: one fstatat per entry tells. */
TEST(test_rmtree_without_d_type) {
  make_dirs("top", 3, 2, 3);
  CHECK_SYS(symlink("..", "top/d0/up"));
  CHECK_SYS(mkfifo("top/d1/fifo", 0600));
  tf__test_hide_dtype(1);
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "top", 0));
  tf__test_hide_dtype(0);
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

/* Directories that deny their owner everything, nested, the top too; a
 * file of mode 000 in each. */
static void denied(void *unused) {
  int i;
  (void)unused;
  make_chain("top", 5, 2);
  for (i = 5; i >= 0; i--) {
    char path[64] = "top";
    int j;
    for (j = 0; j < i; j++)
      snprintf(path + strlen(path), sizeof(path) - strlen(path), "/c%d", j);
    if (i < 5) {
      char file[80];
      snprintf(file, sizeof(file), "%s/f0", path);
      CHECK_SYS(chmod(file, 0));
    }
    CHECK_SYS(chmod(path, i % 2 ? 0 : 0100));
  }
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "top", 0));
  ASSERT(!tf_test_exists("top"));
}

TEST(test_rmtree_directories_denying_their_owner_unprivileged) {
  ASSERT_EQ(tf_test_run_unprivileged_at_home(denied, NULL), 0);
}

/* What we may not remove is reported; everything else goes.  As
 * uid 65534, a directory of root's in the tree cannot be emptied. */
static int give_away(const char *path, const struct stat *st, int type,
                     struct FTW *ftw) {
  (void)st, (void)type, (void)ftw;
  return lchown(path, 65534, 65534);
}

static void foreign(void *unused) {
  (void)unused;
  ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "home/top", 0), -EACCES);
  /* top/d1 (root's, 0755) and its two files */
  ASSERT_EQ(tf_test_count_tree(AT_FDCWD, "home/top"), 3);
  ASSERT_EQ(tf_test_count_tree(AT_FDCWD, "home/top/d1"), 2);
}

TEST(test_rmtree_reports_what_it_may_not_remove_and_removes_the_rest) {
  int rc;
  if (!tf_test_is_root())
    SKIP("needs root: builds a tree with a directory another user owns");
  make_dirs("home", 2, 3, 2);
  CHECK_SYS(rename("home/d0", "top"));
  CHECK_SYS(tf_rmtreeat(AT_FDCWD, "home", 0));
  CHECK_SYS(mkdir("home", 0700));
  CHECK_SYS(rename("top", "home/top"));
  CHECK_SYS(nftw("home", give_away, 16, FTW_PHYS));
  CHECK_SYS(lchown("home/top/d1", 0, 0));
  CHECK_SYS(lchown("home/top/d1/f0", 0, 0));
  CHECK_SYS(lchown("home/top/d1/f1", 0, 0));
  CHECK_SYS(chmod("home/top/d1", 0755));
  rc = tf_test_run_unprivileged(foreign, NULL);
  ASSERT_EQ(rc, 0);
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "home", 0));
}

/* 10,000 directories deep, under an fd limit of 48: nothing but memory
 * grows with depth, and the number of calls is linear in it. */
TEST_TIMEOUT(test_rmtree_ten_thousand_deep_under_a_small_fd_limit, 120) {
  struct rlimit low, old;
  unsigned long calls;
  CHECK_SYS(chdir(tf_test_fast_dir()));
  make_chain("top", 10000, 0);
  CHECK_SYS(getrlimit(RLIMIT_NOFILE, &old));
  low = old;
  low.rlim_cur = 48;
  CHECK_SYS(setrlimit(RLIMIT_NOFILE, &low));
  calls = tf__sys_calls();
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "top", 0));
  calls = tf__sys_calls() - calls;
  CHECK_SYS(setrlimit(RLIMIT_NOFILE, &old));
  ASSERT(!tf_test_exists("top"));
  /* per level: open, statx, fdopendir, four reads (".", "..", the
   * child, the end), close, rmdir, and for the evicted ones a ".." open,
   * its statx, fdopendir and the reads again: at most 20 */
  ASSERT_LE(calls, 20UL * 10000);
}

/* 200,000 entries in one directory: one unlinkat each, plus listing. */
TEST_TIMEOUT(test_rmtree_two_hundred_thousand_entries, 300) {
  unsigned long calls;
  int fd;
  CHECK_SYS(chdir(tf_test_fast_dir()));
  CHECK_SYS(mkdir("wide", 0700));
  fd = open("wide", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(fd);
  tf_test_make_tree(fd, 0, 0, 200000);
  CHECK_SYS(close(fd));
  calls = tf__sys_calls();
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "wide", 0));
  calls = tf__sys_calls() - calls;
  ASSERT(!tf_test_exists("wide"));
  /* a read and an unlinkat per entry, and a few per directory */
  ASSERT_LE(calls, 2 * 200000UL + 100);
}

/* Deeper than the window of open directories: some are evicted and
 * reopened through "..", and a shallow tree's neighbours all go. */
TEST(test_rmtree_reopens_evicted_directories) {
  int i;
  make_chain("top", 100, 3);
  for (i = 0; i < 3; i++) { /* siblings at several depths */
    char path[512] = "top";
    int j;
    for (j = 0; j < 40 * i + 10; j++)
      snprintf(path + strlen(path), sizeof(path) - strlen(path), "/c%d", j);
    snprintf(path + strlen(path), sizeof(path) - strlen(path), "/side");
    make_dirs(path, 2, 2, 2);
  }
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "top", 0));
  ASSERT(!tf_test_exists("top"));
}

/*
 * A directory moved at the very moment its child climbs back through
 * "..": the table's openat is wrapped so that the first ".." open first
 * moves something.  The check on ".." then fails (or, for an ancestor,
 * a later one does) and the walk finds its way again from the top by
 * name; what moved stays where it went, nothing is lost, and the next
 * call removes it.
 */
static int (*real_openat)(int, const char *, int, mode_t);
static const char *move_from, *move_to;
static int dotdot_opens, rewalks;

/* "c0" is opened by the first descent, and again only by a walk from
 * the top. */
static int openat_moving(int dirfd, const char *path, int flags, mode_t mode) {
  if (strcmp(path, "..") == 0 && dotdot_opens++ == 0)
    CHECK_SYS(renameat(AT_FDCWD, move_from, AT_FDCWD, move_to));
  else if (dotdot_opens > 0 && strcmp(path, "c0") == 0)
    rewalks++;
  return real_openat(dirfd, path, flags, mode);
}

static void remove_while_moving(const char *from, const char *to) {
  int rc;
  make_chain("top", 60, 2);
  move_from = from;
  move_to = to;
  dotdot_opens = rewalks = 0;
  real_openat = tf__sys.openat;
  tf__sys.openat = openat_moving;
  rc = tf_rmtreeat(AT_FDCWD, "top", 0);
  tf__sys.openat = real_openat;
  ASSERT_GT(dotdot_opens, 0);
  ASSERT_EQ(rewalks, 1);
  if (rc != 0)
    ASSERT_ERR(rc, -ENOTEMPTY); /* the moved directory is still in top */
  ASSERT(tf_test_exists(to) || rc == 0);
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "top", TF_IGNORE_ERRORS));
  if (tf_test_exists(to))
    ASSERT_OK(tf_rmtreeat(AT_FDCWD, to, 0));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

static const char *chain_path(int depth) {
  static char path[1024];
  int i;
  snprintf(path, sizeof(path), "top");
  for (i = 0; i < depth; i++)
    snprintf(path + strlen(path), sizeof(path) - strlen(path), "/c%d", i);
  return path;
}

TEST(test_rmtree_current_directory_moved_when_climbing_back) {
  /* The walk descends 61 frames with 32 open: frames 1..29 get evicted;
   * the first ".." is from c28 (frame 29); move c28 away then. */
  char from[1024];
  snprintf(from, sizeof(from), "%s", chain_path(29));
  remove_while_moving(from, "top/moved");
}

TEST(test_rmtree_ancestor_moved_when_climbing_back) {
  char from[1024];
  snprintf(from, sizeof(from), "%s", chain_path(10));
  remove_while_moving(from, "moved-out");
}

/* One entry that cannot be removed: its error is the one reported, and
 * only it and the directories holding it remain. */
TEST(test_rmtree_first_error_is_reported_and_the_rest_removed) {
  unsigned long nth;
  for (nth = 1; nth <= 52; nth += 7) { /* 52 unlinkats in all */
    make_dirs("top", 2, 3, 3);
    tf__fault_arm(TF_SYS_unlinkat, nth, EIO);
    ASSERT_ERR(tf_rmtreeat(AT_FDCWD, "top", 0), -EIO);
    tf__fault_disarm();
    ASSERT_LE(tf_test_count_tree(AT_FDCWD, "top"), 3);
    tf__fault_arm(TF_SYS_unlinkat, nth, EIO);
    ASSERT_OK(tf_rmtreeat(AT_FDCWD, "top", TF_IGNORE_ERRORS));
    tf__fault_disarm();
    if (tf_test_exists("top")) /* the smaller tree may not reach nth */
      ASSERT_OK(tf_rmtreeat(AT_FDCWD, "top", 0));
  }
}

/* Every failing call, for a shallow tree and for one deeper than the
 * window: the injected error or none is reported (none only when the
 * tree is gone), no fd or memory leaks, and a second call finishes. */
static void sweep(const char *what, void (*build)(void), const int *errs,
                  size_t nerrs, unsigned long min_calls) {
  size_t i;
  for (i = 0; i < nerrs; i++) {
    unsigned long nth;
    for (nth = 1;; nth++) {
      char *fds = tf_test_fd_listing(), *fds_after;
      long mem = tf__alloc_outstanding();
      int rc, fired;
      build();
      tf__fault_arm(TF_SYS_ANY, nth, errs[i]);
      rc = tf_rmtreeat(AT_FDCWD, "top", 0);
      fired = tf__fault_fired();
      tf__fault_disarm();
      if (rc != 0 && (rc != -errs[i] || errs[i] == EINTR) && /* never seen */
          !(errs[i] == ENOENT && rc == -ENOTEMPTY))
        FAIL("%s: call %lu failing with %s: got %s", what, nth,
             tf_err_name(-errs[i]), tf_err_name(rc));
      if (rc == 0 && errs[i] != ENOENT && tf_test_exists("top"))
        FAIL("%s: call %lu failing with %s: success, but the tree is there",
             what, nth, tf_err_name(-errs[i]));
      fds_after = tf_test_fd_listing();
      if (strcmp(fds, fds_after) != 0)
        FAIL("%s: call %lu failing with %s leaked an fd: [%s] vs [%s]", what,
             nth, tf_err_name(-errs[i]), fds, fds_after);
      ASSERT_EQ(tf__alloc_outstanding(), mem);
      free(fds);
      free(fds_after);
      if (tf_test_exists("top"))
        ASSERT_OK(tf_rmtreeat(AT_FDCWD, "top", 0));
      if (!fired)
        break;
    }
    ASSERT_GE(nth, min_calls);
  }
}

static void build_shallow(void) { make_dirs("top", 2, 2, 2); }
static void build_deep(void) { make_chain("top", 40, 1); }

TEST_TIMEOUT(test_rmtree_fault_sweep_shallow, 60) {
  int errs[] = {EIO, ENOMEM, EACCES, EMFILE, ENOENT, EPERM, EINTR};
  CHECK_SYS(chdir(tf_test_fast_dir()));
  sweep("shallow", build_shallow, errs, sizeof(errs) / sizeof(errs[0]), 40);
}

TEST_TIMEOUT(test_rmtree_fault_sweep_deeper_than_the_window, 120) {
  int errs[] = {EIO, ENOENT, EINTR}; /* EMFILE: the 10,000 deep test */
  CHECK_SYS(chdir(tf_test_fast_dir()));
  sweep("deep", build_deep, errs, sizeof(errs) / sizeof(errs[0]), 300);
}
