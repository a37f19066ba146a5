/* SPDX-License-Identifier: MIT */
/*
 * test_unnamed.c - unnamed temporary files (CPython's TestTemporaryFile):
 * no name in the directory, the directory removable while the file is
 * open, O_TMPFILE when supported and the per-call fallback when not,
 * mode 0600, TMPDIR honoured, and a failing unlink in the fallback.
 */
#include "harness.h"
#include "fault.h"

#include <unistd.h>

static void assert_usable_unnamed(int fd) {
  char buf[16];
  struct stat st;
  ASSERT_OK(fd);
  ASSERT_EQ(write(fd, "hello", 5), 5);
  ASSERT_EQ(pread(fd, buf, sizeof(buf), 0), 5);
  ASSERT(memcmp(buf, "hello", 5) == 0);
  ASSERT_EQ(fstat(fd, &st), 0);
  ASSERT(S_ISREG(st.st_mode));
  ASSERT_EQ(st.st_nlink, 0); /* no name anywhere */
  ASSERT_MODE(st.st_mode & 07777, 0600);
  ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

TEST(test_tmpfile_has_no_name_and_is_in_tmpdir) {
  char link[64], target[PATH_MAX];
  ssize_t n;
  int fd = tf_tmpfile(NULL);
  assert_usable_unnamed(fd);
  ASSERT_EQ(tf_test_count_entries("."), 0);
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  n = readlink(link, target, sizeof(target) - 1);
  ASSERT_GT(n, 0);
  target[n] = '\0';
  /* honours $TMPDIR, which tmpfile(3) ignores */
  ASSERT(strncmp(target, tf_test_dir(), strlen(tf_test_dir())) == 0);
  close(fd);
}

TEST(test_tmpfile_directory_can_be_removed_while_open) {
  tf_opts o = TF_OPTS_INIT;
  int fd;
  CHECK_SYS(mkdir("sub", 0700));
  o.dir = "sub";
  fd = tf_tmpfile(&o);
  assert_usable_unnamed(fd);
  ASSERT_EQ(rmdir("sub"), 0);
  ASSERT_EQ(write(fd, "more", 4), 4);
  close(fd);
}

TEST(test_tmpfile_multiple_close_is_harmless) {
  int fd = tf_tmpfile(NULL);
  ASSERT_OK(fd);
  ASSERT_EQ(close(fd), 0);
  ASSERT_EQ(close(fd), -1);
  ASSERT_EQ(errno, EBADF);
}

TEST(test_tmpfile_uses_o_tmpfile_when_supported) {
  unsigned long calls = tf__sys_calls();
  int fd;
  char dir[PATH_MAX];
  if (!TF_HAVE_O_TMPFILE)
    SKIP("built without O_TMPFILE: every call takes the fallback");
  ASSERT_OK(tf_gettempdir(dir, sizeof(dir))); /* discovery outside count */
  calls = tf__sys_calls();
  fd = tf_tmpfile(NULL);
  assert_usable_unnamed(fd);
  ASSERT_EQ(tf__sys_calls() - calls, 1); /* one openat, nothing else */
  close(fd);
}

static const int unsupported[] = {EOPNOTSUPP, EISDIR, EINVAL, ENOENT};

TEST(test_tmpfile_falls_back_when_file_system_refuses_o_tmpfile) {
  size_t i;
  char dir[PATH_MAX];
  if (!TF_HAVE_O_TMPFILE)
    SKIP("built without O_TMPFILE: every call takes the fallback");
  ASSERT_OK(tf_gettempdir(dir, sizeof(dir)));
  for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
    unsigned long calls, refills;
    int fd;
    tf__fault_arm(TF_SYS_openat, 1, unsupported[i]);
    calls = tf__sys_calls();
    refills = tf__random_refills();
    fd = tf_tmpfile(NULL);
    ASSERT(tf__fault_fired());
    assert_usable_unnamed(fd);
    /* failed O_TMPFILE open, named open, unlink; and a refill of the
     * name pool when the names so far have used it up (how many of the
     * first fill's 64 bytes rejection sampling keeps is random) */
    ASSERT_EQ(tf__sys_calls() - calls - (tf__random_refills() - refills), 3);
    ASSERT_EQ(tf_test_count_entries("."), 0);
    close(fd);
    /* The fallback is per call: the next one uses O_TMPFILE again. */
    calls = tf__sys_calls();
    fd = tf_tmpfile(NULL);
    assert_usable_unnamed(fd);
    ASSERT_EQ(tf__sys_calls() - calls, 1);
    close(fd);
  }
  tf__fault_disarm();
}

TEST(test_tmpfile_real_errors_are_not_sent_to_the_fallback) {
  char dir[PATH_MAX];
  unsigned long calls;
  ASSERT_OK(tf_gettempdir(dir, sizeof(dir)));
  tf__fault_arm(TF_SYS_openat, 1, EMFILE);
  calls = tf__sys_calls();
  ASSERT_ERR(tf_tmpfile(NULL), -EMFILE);
  ASSERT_EQ(tf__sys_calls() - calls, 1);
  tf__fault_disarm();
}

TEST(test_tmpfile_fallback_works_for_many_files) {
  int fds[50], i;
  tf_test_without_o_tmpfile();
  for (i = 0; i < 50; i++) {
    fds[i] = tf_tmpfile(NULL);
    assert_usable_unnamed(fds[i]);
  }
  tf_test_restore_syscalls();
  ASSERT_EQ(tf_test_count_entries("."), 0);
  for (i = 0; i < 50; i++)
    close(fds[i]);
}

TEST(test_tmpfile_fallback_unlink_failure_closes_fd_and_reports) {
  /* CPython's test_unexpected_error: unlink fails -> the fd is closed and
   * the error returned.  Unlike CPython, the removal is tried once more
   * after the close, so a passing failure leaves nothing; only a file
   * that can not be removed at all stays. */
  char *fds_before = tf_test_fd_listing(), *fds_after;
  char dir[PATH_MAX];
  ASSERT_OK(tf_gettempdir(dir, sizeof(dir)));
  tf_test_without_o_tmpfile();
  tf__fault_arm(TF_SYS_unlinkat, 1, EIO);
  ASSERT_ERR(tf_tmpfile(NULL), -EIO);
  tf__fault_disarm();
  ASSERT_EQ(tf_test_count_entries("."), 0);
  tf__fault_arm_sticky(TF_SYS_unlinkat, 1, EIO);
  ASSERT_ERR(tf_tmpfile(NULL), -EIO);
  tf__fault_disarm();
  tf_test_restore_syscalls();
  fds_after = tf_test_fd_listing();
  ASSERT_STR_EQ(fds_after, fds_before);
  ASSERT_EQ(tf_test_count_entries("."), 1);
  CHECK_SYS(system("rm -f ./tmp*"));
  free(fds_before);
  free(fds_after);
}

TEST(test_tmpfileat_creates_in_dirfd) {
  int dfd, fd;
  CHECK_SYS(mkdir("anchor", 0700));
  dfd = open("anchor", TF_O_DIRANCHOR);
  CHECK_SYS(dfd);
  fd = tf_tmpfileat(dfd, NULL);
  assert_usable_unnamed(fd);
  close(fd);
  if (TF_HAVE_O_TMPFILE) /* O_TMPFILE refused: the fallback, in dfd */
    tf__fault_arm(TF_SYS_openat, 1, EOPNOTSUPP);
  else /* the fallback only: a passing unlink failure is retried */
    tf__fault_arm(TF_SYS_unlinkat, 1, EINTR);
  fd = tf_tmpfileat(dfd, NULL);
  assert_usable_unnamed(fd);
  tf__fault_disarm();
  ASSERT_EQ(tf_test_count_entries("anchor"), 0);
  close(fd);
  close(dfd);
  rmdir("anchor");
}

TEST(test_tmpfile_mode_and_open_flags_options) {
  tf_opts o = TF_OPTS_INIT;
  struct stat st;
  int fd;
  o.mode = 0400;
  o.open_flags = O_APPEND;
  fd = tf_tmpfile(&o);
  ASSERT_OK(fd);
  ASSERT_EQ(fstat(fd, &st), 0);
  ASSERT_MODE(st.st_mode & 07777, 0400);
  ASSERT(fcntl(fd, F_GETFL) & O_APPEND);
  close(fd);
}
