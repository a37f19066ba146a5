/* SPDX-License-Identifier: MIT */
/*
 * test_dir.c - the temporary directory handle (CPython's
 * TestTemporaryDirectory): creation, explicit and implicit cleanup,
 * ignore-errors, symlinks out of the tree keep their targets' modes and
 * flags, multiple close, every owner mode removable, keep, a directory
 * renamed or replaced behind the handle's back, fork ownership, and every
 * error path of creation and cleanup.
 */
#include "harness.h"
#include "fault.h"

#include <sys/ioctl.h>
#if defined(__has_include) && __has_include(<linux/fs.h>)
#include <linux/fs.h>
#else /* musl-gcc sees no kernel headers; the values are the kernel ABI */
#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#define FS_IOC_SETFLAGS _IOW('f', 2, long)
#define FS_NODUMP_FL 0x00000040
#endif
#include <sys/wait.h>
#include <unistd.h>

/* Entries fill() makes: 2 files + 2 dirs per level, 2 files at the
 * bottom, three levels down. */
#define TREE_ENTRIES 44

static tf_dir *make_dir(unsigned flags) {
  tf_opts o = TF_OPTS_INIT;
  tf_dir *d = NULL;
  o.flags = flags;
  ASSERT_OK(tf_dir_create(&d, &o));
  return d;
}

/* CPython's do_create(recurse=3, dirs=2, files=2) shape, with the root's
 * own files. */
static void fill(tf_dir *d) { tf_test_make_tree(tf_dir_fd(d), 3, 2, 2); }

TEST(test_dir_creates_0700_absolute_with_its_own_fd) {
  tf_dir *d = NULL;
  struct stat by_path, by_fd;
  int fd;
  umask(022);
  ASSERT_OK(tf_dir_create(&d, NULL));
  ASSERT_EQ(tf_dir_path(d)[0], '/');
  ASSERT_EQ(strncmp(tf_dir_path(d), tf_test_dir(), strlen(tf_test_dir())), 0);
  CHECK_SYS(lstat(tf_dir_path(d), &by_path));
  ASSERT(S_ISDIR(by_path.st_mode));
  ASSERT_MODE(by_path.st_mode & 07777, 0700);
  fd = tf_dir_fd(d);
  ASSERT_GE(fd, 0);
  ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  CHECK_SYS(fstat(fd, &by_fd));
  ASSERT_EQ(by_fd.st_ino, by_path.st_ino);
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

TEST(test_dir_options_prefix_suffix_mode_and_bad_arguments) {
  tf_opts o = TF_OPTS_INIT;
  tf_dir *d = NULL, *untouched = (tf_dir *)&o;
  struct stat st;
  const char *base;
  umask(0);
  o.prefix = "pre-";
  o.suffix = ".d";
  o.random_len = 20;
  o.mode = 0750;
  ASSERT_OK(tf_dir_create(&d, &o));
  base = strrchr(tf_dir_path(d), '/') + 1;
  ASSERT_EQ(strlen(base), 4 + 20 + 2);
  ASSERT_EQ(strncmp(base, "pre-", 4), 0);
  ASSERT_STR_EQ(base + 24, ".d");
  CHECK_SYS(stat(tf_dir_path(d), &st));
  ASSERT_MODE(st.st_mode & 07777, 0750);
  ASSERT_OK(tf_dir_free(d));

  ASSERT_ERR(tf_dir_create(NULL, NULL), -EINVAL);
  o = (tf_opts)TF_OPTS_INIT;
  o.flags = TF_DELETE_ON_FREE; /* a tf_file flag */
  ASSERT_ERR(tf_dir_create(&untouched, &o), -EINVAL);
  o.flags = 0x100;
  ASSERT_ERR(tf_dir_create(&untouched, &o), -EINVAL);
  o.flags = 0;
  o.dir = ".";
  ASSERT_ERR(tf_dir_createat(&untouched, AT_FDCWD, &o), -EINVAL);
  ASSERT(untouched == (tf_dir *)&o);
  ASSERT_EQ(tf_dir_fd(NULL), -EINVAL);
  ASSERT(tf_dir_path(NULL) == NULL);
  ASSERT_OK(tf_dir_cleanup(NULL));
  ASSERT_OK(tf_dir_free(NULL));
  tf_dir_keep(NULL);
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

/* CPython test_mkdtemp_failure: a clean error, nothing made. */
TEST(test_dir_mkdtemp_failure_gives_a_clean_error) {
  tf_opts o = TF_OPTS_INIT;
  tf_dir *d = (tf_dir *)&o;
  o.dir = "no-such-directory";
  ASSERT_ERR(tf_dir_create(&d, &o), -ENOENT);
  ASSERT(d == (tf_dir *)&o);
  tf_test_write_file("plain", "x");
  o.dir = "plain";
  ASSERT_ERR(tf_dir_create(&d, &o), -ENOTDIR);
  CHECK_SYS(unlink("plain"));
}

/* CPython test_explicit_cleanup: a filled tree goes; the path stays
 * readable; the fd is closed. */
TEST(test_dir_explicit_cleanup_removes_the_tree) {
  tf_dir *d = make_dir(0);
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s", tf_dir_path(d));
  fill(d);
  ASSERT_EQ(tf_test_count_tree(AT_FDCWD, path), TREE_ENTRIES);
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT(!tf_test_exists(path));
  ASSERT_STR_EQ(tf_dir_path(d), path);
  ASSERT_ERR(tf_dir_fd(d), -EBADF);
  ASSERT_OK(tf_dir_free(d));
}

/* The context manager's exit: ending the handle removes the tree. */
TEST(test_dir_free_removes_the_tree) {
  tf_dir *d = make_dir(0);
  fill(d);
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

/* CPython test_multiple_close. */
TEST(test_dir_cleanup_is_idempotent) {
  tf_dir *d = make_dir(0);
  fill(d);
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

/* CPython test_delete_false, and keep decided later. */
TEST(test_dir_keep_leaves_the_tree_and_cleanup_still_removes) {
  tf_dir *d = make_dir(TF_KEEP);
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s", tf_dir_path(d));
  fill(d);
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tf_test_count_tree(AT_FDCWD, path), TREE_ENTRIES);
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, path, 0));

  d = make_dir(0);
  snprintf(path, sizeof(path), "%s", tf_dir_path(d));
  tf_dir_keep(d);
  ASSERT_OK(tf_dir_free(d));
  ASSERT(tf_test_exists(path));
  CHECK_SYS(rmdir(path));

  /* Python: cleanup() works with delete=False. */
  d = make_dir(TF_KEEP);
  fill(d);
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

/* A directory the caller removed, or renamed to publish it, is not the
 * handle's to touch any more. */
TEST(test_dir_removed_or_renamed_away_is_left_alone) {
  tf_dir *d = make_dir(0);
  CHECK_SYS(rmdir(tf_dir_path(d)));
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT_ERR(tf_dir_fd(d), -EBADF);
  ASSERT_OK(tf_dir_free(d));

  d = make_dir(0);
  fill(d);
  CHECK_SYS(rename(tf_dir_path(d), "published"));
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tf_test_count_tree(AT_FDCWD, "published"),
            TREE_ENTRIES);
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "published", 0));
}

/* Another directory under the handle's name: -ESTALE, both untouched. */
TEST(test_dir_replaced_name_is_left_alone_with_estale) {
  tf_dir *d = make_dir(0);
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s", tf_dir_path(d));
  fill(d);
  CHECK_SYS(rename(path, "moved"));
  CHECK_SYS(mkdir(path, 0700));
  CHECK_SYS(close(open("keepme", O_CREAT | O_WRONLY | O_CLOEXEC, 0600)));
  CHECK_SYS(rename("keepme", "x"));
  {
    char inside[PATH_MAX + 8];
    snprintf(inside, sizeof(inside), "%s/x", path);
    CHECK_SYS(rename("x", inside));
  }
  ASSERT_ERR(tf_dir_cleanup(d), -ESTALE);
  ASSERT_ERR(tf_dir_free(d), -ESTALE);
  ASSERT_EQ(tf_test_count_tree(AT_FDCWD, path), 1);
  ASSERT_EQ(tf_test_count_tree(AT_FDCWD, "moved"),
            TREE_ENTRIES);
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, path, 0));
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "moved", 0));
}

/* The handle is anchored on its parent: a chdir or a renamed parent
 * cannot redirect the removal. */
TEST(test_dir_cleanup_follows_a_renamed_parent) {
  tf_opts o = TF_OPTS_INIT;
  tf_dir *d = NULL;
  CHECK_SYS(mkdir("parent", 0700));
  o.dir = "parent";
  ASSERT_OK(tf_dir_create(&d, &o));
  fill(d);
  CHECK_SYS(rename("parent", "renamed"));
  CHECK_SYS(mkdir("parent", 0700)); /* a decoy under the old path */
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tf_test_count_tree(AT_FDCWD, "renamed"), 0);
  CHECK_SYS(rmdir("renamed"));
  CHECK_SYS(rmdir("parent"));
}

TEST(test_dir_createat_is_relative_to_dirfd) {
  tf_opts o = TF_OPTS_INIT;
  tf_dir *d = NULL;
  int parent;
  CHECK_SYS(mkdir("sub", 0700));
  parent = open("sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(parent);
  o.prefix = "at-";
  ASSERT_OK(tf_dir_createat(&d, parent, &o));
  CHECK_SYS(close(parent)); /* the handle keeps its own duplicate */
  ASSERT(strchr(tf_dir_path(d), '/') == NULL);
  ASSERT_EQ(strncmp(tf_dir_path(d), "at-", 3), 0);
  ASSERT_EQ(tf_test_count_entries("sub"), 1);
  fill(d);
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tf_test_count_entries("sub"), 0);

  ASSERT_OK(tf_dir_createat(&d, AT_FDCWD, NULL));
  ASSERT(tf_test_exists(tf_dir_path(d)));
  ASSERT_OK(tf_dir_free(d));
  CHECK_SYS(rmdir("sub"));
}

/* A forked child that ends the handle removes nothing of its parent's. */
TEST(test_dir_forked_child_never_removes) {
  tf_dir *d = make_dir(0);
  int status;
  pid_t pid;
  fill(d);
  pid = fork();
  CHECK_SYS(pid);
  if (pid == 0) {
    int ok = tf_dir_cleanup(d) == 0 && tf_dir_free(d) == 0;
    _exit(ok ? 0 : 1);
  }
  CHECK_SYS(waitpid(pid, &status, 0));
  ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(tf_test_count_tree(AT_FDCWD, tf_dir_path(d)),
            TREE_ENTRIES);
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

/* CPython test_cleanup_with_symlink_to_a_directory. */
TEST(test_dir_cleanup_with_symlink_to_a_directory_keeps_the_target) {
  tf_dir *d1 = make_dir(0), *d2 = make_dir(0);
  char target[PATH_MAX];
  tf_test_make_tree(tf_dir_fd(d1), 1, 2, 3);
  CHECK_SYS(symlinkat(tf_dir_path(d1), tf_dir_fd(d2), "link"));
  ASSERT_OK(tf_dir_cleanup(d2));
  ASSERT(!tf_test_exists(tf_dir_path(d2)));
  snprintf(target, sizeof(target), "%s", tf_dir_path(d1));
  ASSERT_EQ(tf_test_count_tree(AT_FDCWD, target), 3 + 2 * 4);
  ASSERT_OK(tf_dir_free(d2));
  ASSERT_OK(tf_dir_free(d1));
}

/* CPython test_cleanup_with_symlink_modes (gh-91133): for every owner
 * mode, a tree made unreadable holds links to a file and a directory
 * outside (and dangling ones); cleanup fixes the tree's own modes only. */
static void symlink_modes(void *unused) {
  unsigned mode;
  (void)unused;
  CHECK_SYS(mkdir("outside", 0700));
  CHECK_SYS(mkdir("outside/dir1", 0700));
  tf_test_write_file("outside/file1", "x");
  for (mode = 0; mode <= 0700; mode += 0100) {
    const char *targets[] = {"outside/file1", "outside/dir1", "nonexisting"};
    size_t i;
    CHECK_SYS(chmod("outside/file1", mode));
    CHECK_SYS(chmod("outside/dir1", mode));
    for (i = 0; i < 3; i++) {
      tf_dir *d = make_dir(0);
      char target[PATH_MAX + 32];
      struct stat before, after;
      int have_target = stat(targets[i], &before) == 0;
      snprintf(target, sizeof(target), "%s/%s", tf_test_dir(), targets[i]);
      CHECK_SYS(symlinkat(target, tf_dir_fd(d), "symlink"));
      CHECK_SYS(chmod(tf_dir_path(d), mode));
      ASSERT_OK(tf_dir_cleanup(d));
      ASSERT(!tf_test_exists(tf_dir_path(d)));
      if (have_target) {
        CHECK_SYS(stat(targets[i], &after));
        ASSERT_MODE(after.st_mode, before.st_mode);
        ASSERT_EQ(after.st_ctime, before.st_ctime);
        ASSERT_EQ(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
      }
      ASSERT_OK(tf_dir_free(d));
    }
  }
  CHECK_SYS(chmod("outside/dir1", 0700));
  ASSERT_OK(tf_rmtreeat(AT_FDCWD, "outside", 0));
}

TEST(test_dir_cleanup_with_symlink_modes_unprivileged) {
  ASSERT_EQ(tf_test_run_unprivileged_at_home(symlink_modes, NULL), 0);
}

/* CPython test_cleanup_with_symlink_flags, with Linux inode flags: a
 * flag the owner may set (no-dump) on the link targets is untouched. */
TEST(test_dir_cleanup_with_symlink_flags_keeps_the_targets_flags) {
  const char *targets[] = {"outside-dir", "outside-file"};
  size_t i;
  CHECK_SYS(mkdir("outside-dir", 0700));
  tf_test_write_file("outside-file", "x");
  for (i = 0; i < 2; i++) {
    tf_dir *d = make_dir(0);
    char target[PATH_MAX + 32];
    int fd = open(targets[i], O_RDONLY | O_CLOEXEC), flags = 0, after = 0;
    CHECK_SYS(fd);
    CHECK_SYS(ioctl(fd, FS_IOC_GETFLAGS, &flags));
    flags |= FS_NODUMP_FL;
    CHECK_SYS(ioctl(fd, FS_IOC_SETFLAGS, &flags));
    snprintf(target, sizeof(target), "%s/%s", tf_test_dir(), targets[i]);
    CHECK_SYS(symlinkat(target, tf_dir_fd(d), "symlink"));
    ASSERT_OK(tf_dir_free(d));
    CHECK_SYS(ioctl(fd, FS_IOC_GETFLAGS, &after));
    ASSERT_EQ(after, flags);
    CHECK_SYS(close(fd));
  }
  CHECK_SYS(rmdir("outside-dir"));
  CHECK_SYS(unlink("outside-file"));
}

/* CPython test_modes: every owner mode 000..700 on every file and
 * directory of the tree, the top included, bottom-up; cleanup removes
 * it all.  Run unprivileged, where the modes bite. */
static void chmod_tree(int dirfd, const char *name, mode_t mode) {
  struct dirent *de;
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *dir;
  CHECK_SYS(fd);
  dir = fdopendir(fd);
  ASSERT(dir != NULL);
  while ((de = readdir(dir)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    if (de->d_type == DT_DIR)
      chmod_tree(fd, de->d_name, mode);
    else
      CHECK_SYS(fchmodat(fd, de->d_name, mode, 0));
  }
  closedir(dir);
  CHECK_SYS(fchmodat(dirfd, name, mode, 0));
}

static void modes(void *unused) {
  unsigned mode;
  (void)unused;
  for (mode = 0; mode <= 0700; mode += 0100) {
    tf_dir *d = make_dir(0);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s", tf_dir_path(d));
    fill(d);
    chmod_tree(AT_FDCWD, path, mode);
    ASSERT_OK(tf_dir_cleanup(d));
    if (tf_test_exists(path))
      FAIL("mode 0%o: the tree survived", mode);
    ASSERT_OK(tf_dir_free(d));
  }
}

TEST(test_dir_modes_000_to_700_are_all_removable_unprivileged) {
  ASSERT_EQ(tf_test_run_unprivileged_at_home(modes, NULL), 0);
}

/* A mode that denies the owner reading: the handle's fd is an O_PATH
 * anchor, and cleanup still removes the tree. */
static void unreadable(void *unused) {
  tf_opts o = TF_OPTS_INIT;
  tf_dir *d = NULL;
  char sub_path[PATH_MAX];
  int sub;
  (void)unused;
  umask(0);
  o.mode = 0300;
  ASSERT_OK(tf_dir_create(&d, &o));
  if (TF_TEST_OPENS_UNREADABLE_DIRS)
    ASSERT_GE(tf_dir_fd(d), 0);
  else /* no O_PATH nor O_SEARCH: the path is all there is */
    ASSERT_ERR(tf_dir_fd(d), -EACCES);
  snprintf(sub_path, sizeof(sub_path), "%s/sub", tf_dir_path(d));
  CHECK_SYS(mkdir(sub_path, 0700));
  sub = open(sub_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(sub);
  tf_test_make_tree(sub, 1, 2, 2);
  CHECK_SYS(close(sub));
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

TEST(test_dir_unreadable_mode_still_cleans_up_unprivileged) {
  ASSERT_EQ(tf_test_run_unprivileged_at_home(unreadable, NULL), 0);
}

/* CPython test_explicit_cleanup_ignore_errors: an entry that cannot be
 * removed (here: its unlink fails with EIO) stops nothing else; the
 * error is reported, or swallowed under TF_IGNORE_ERRORS. */
TEST(test_dir_cleanup_errors_are_reported_or_ignored) {
  unsigned flags[] = {0, TF_IGNORE_ERRORS};
  size_t i;
  for (i = 0; i < 2; i++) {
    tf_dir *d = make_dir(flags[i]);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s", tf_dir_path(d));
    fill(d);
    tf__fault_arm(TF_SYS_unlinkat, 5, EIO);
    if (flags[i])
      ASSERT_OK(tf_dir_cleanup(d));
    else
      ASSERT_ERR(tf_dir_cleanup(d), -EIO);
    tf__fault_disarm();
    /* Only the failed entry and the directories holding it remain. */
    ASSERT(tf_test_exists(path));
    ASSERT_LE(tf_test_count_tree(AT_FDCWD, path), 4);
    ASSERT_GE(tf_dir_fd(d), 0); /* not removed: cleanup can be retried */
    ASSERT_OK(tf_dir_cleanup(d));
    ASSERT(!tf_test_exists(path));
    ASSERT_OK(tf_dir_free(d));
  }
}

/* Every failing call of creation: a clean error, nothing left. */
static int create_op(void *ctx) {
  return tf_dir_create((tf_dir **)ctx, NULL);
}

static void create_undo(void *ctx) { ASSERT_OK(tf_dir_free(*(tf_dir **)ctx)); }

static int createat_op(void *ctx) {
  return tf_dir_createat((tf_dir **)ctx, AT_FDCWD, NULL);
}

TEST(test_dir_create_fault_sweep) {
  int errs[] = {EIO, ENOMEM, ENOSPC, EACCES, EMFILE, EINTR};
  size_t i;
  tf_dir *d = NULL;
  for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
    ASSERT_GE(tf_test_fault_sweep("tf_dir_create", create_op, create_undo, &d,
                                  errs[i]),
              4);
    ASSERT_GE(tf_test_fault_sweep("tf_dir_createat", createat_op, create_undo,
                                  &d, errs[i]),
              4);
  }
}

/* Every failing call of cleanup: the injected error is the one reported
 * (or none, for calls whose failure costs nothing), nothing leaks, and a
 * second cleanup finishes the job. */
TEST_TIMEOUT(test_dir_cleanup_fault_sweep, 60) {
  int errs[] = {EIO, ENOMEM, EACCES, EMFILE, EINTR};
  size_t i;
  CHECK_SYS(chdir(tf_test_fast_dir()));
  ASSERT_OK(tf_settempdir(tf_test_fast_dir()));
  for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
    unsigned long nth;
    for (nth = 1;; nth++) {
      char *fds = tf_test_fd_listing(), *fds_after;
      long mem = tf__alloc_outstanding();
      tf_dir *d = make_dir(0);
      int rc, fired;
      tf_test_make_tree(tf_dir_fd(d), 2, 2, 2);
      tf__fault_arm(TF_SYS_ANY, nth, errs[i]);
      rc = tf_dir_cleanup(d);
      fired = tf__fault_fired();
      tf__fault_disarm();
      if (rc != 0 && (rc != -errs[i] || errs[i] == EINTR)) /* never seen */
        FAIL("call %lu failing with %s: cleanup returned %s", nth,
             tf_err_name(-errs[i]), tf_err_name(rc));
      if (!fired)
        ASSERT_OK(rc);
      if (rc == 0) /* success means gone, whatever failed on the way */
        ASSERT_ERR(tf_dir_fd(d), -EBADF);
      ASSERT_OK(tf_dir_cleanup(d));
      ASSERT_OK(tf_dir_free(d));
      ASSERT_EQ(tf_test_count_entries("."), 0);
      fds_after = tf_test_fd_listing();
      if (strcmp(fds_after, fds) != 0)
        FAIL("call %lu failing with %s leaked an fd: [%s] vs [%s]", nth,
             tf_err_name(-errs[i]), fds, fds_after);
      ASSERT_EQ(tf__alloc_outstanding(), mem);
      free(fds);
      free(fds_after);
      if (!fired)
        break;
    }
    ASSERT_GE(nth, 30);
  }
  ASSERT_OK(tf_settempdir(NULL));
}
