/* SPDX-License-Identifier: MIT */
/*
 * test_tempdir.c - temp-dir discovery (CPython's TestCandidateTempdirList,
 * TestGetDefaultTempdir, TestGetTempDir, TestGetTempPrefix): candidate
 * order, environment honoured, the probe leaves nothing, failure is
 * -ENOENT, caching, override and reset, the default prefix.
 */
#include "harness.h"
#include "internal.h"

#include <unistd.h>

static int candidate_index(const struct tf__candidates *c, const char *dir) {
  size_t i;
  for (i = 0; i < c->count; i++)
    if (strcmp(c->dirs[i], dir) == 0)
      return (int)i;
  return -1;
}

TEST(test_candidate_list_is_not_empty_and_ends_with_cwd) {
  struct tf__candidates c;
  char cwd[PATH_MAX];
  ASSERT_OK(tf__candidate_tempdirs(&c));
  ASSERT_GE(c.count, 4);
  ASSERT(getcwd(cwd, sizeof(cwd)) != NULL);
  ASSERT_STR_EQ(c.dirs[c.count - 1], cwd);
  tf__candidates_free(&c);
}

TEST(test_candidate_list_honours_env_in_python_order) {
  struct tf__candidates c;
  setenv("TMPDIR", "/from/tmpdir", 1);
  setenv("TEMP", "/from/temp", 1);
  setenv("TMP", "/from/tmp", 1);
  ASSERT_OK(tf__candidate_tempdirs(&c));
  ASSERT_EQ(candidate_index(&c, "/from/tmpdir"), 0);
  ASSERT_EQ(candidate_index(&c, "/from/temp"), 1);
  ASSERT_EQ(candidate_index(&c, "/from/tmp"), 2);
  ASSERT_EQ(candidate_index(&c, "/tmp"), 3);
  ASSERT_EQ(candidate_index(&c, "/var/tmp"), 4);
  ASSERT_EQ(candidate_index(&c, "/usr/tmp"), 5);
  tf__candidates_free(&c);
}

TEST(test_empty_env_values_count_as_unset) {
  struct tf__candidates c;
  setenv("TMPDIR", "", 1);
  setenv("TEMP", "", 1);
  setenv("TMP", "/from/tmp", 1);
  ASSERT_OK(tf__candidate_tempdirs(&c));
  ASSERT_EQ(candidate_index(&c, "/from/tmp"), 0);
  ASSERT_EQ(candidate_index(&c, ""), -1);
  tf__candidates_free(&c);
}

TEST(test_gettempdir_honours_tmpdir_and_probe_leaves_nothing) {
  char dir[PATH_MAX];
  int len = tf_gettempdir(dir, sizeof(dir));
  ASSERT_OK(len);
  ASSERT_EQ(len, strlen(dir));
  ASSERT_STR_EQ(dir, tf_test_dir());
  ASSERT_EQ(tf_test_count_entries(dir), 0);
}

TEST(test_gettempdir_skips_unusable_candidates) {
  char dir[PATH_MAX];
  CHECK_SYS(mkdir("good", 0700));
  tf_test_write_file("a-file", "x");
  setenv("TMPDIR", "missing", 1);
  setenv("TEMP", "a-file", 1);
  setenv("TMP", "good", 1);
  ASSERT_OK(tf_gettempdir(dir, sizeof(dir)));
  ASSERT(strlen(dir) > 5 && strcmp(dir + strlen(dir) - 5, "/good") == 0);
  ASSERT_EQ(dir[0], '/');
  ASSERT_EQ(tf_test_count_entries("good"), 0);
  unlink("a-file");
  rmdir("good");
}

TEST(test_gettempdir_keeps_case_and_makes_relative_absolute) {
  char dir[PATH_MAX], want[PATH_MAX];
  CHECK_SYS(mkdir("MiXeD", 0700));
  setenv("TMPDIR", "./MiXeD/.//", 1);
  snprintf(want, sizeof(want), "%s/MiXeD", tf_test_dir());
  ASSERT_OK(tf_gettempdir(dir, sizeof(dir)));
  ASSERT_STR_EQ(dir, want);
  rmdir("MiXeD");
}

TEST(test_gettempdir_is_cached_until_reset) {
  char first[PATH_MAX], again[PATH_MAX];
  CHECK_SYS(mkdir("other", 0700));
  ASSERT_OK(tf_gettempdir(first, sizeof(first)));
  setenv("TMPDIR", "other", 1);
  ASSERT_OK(tf_gettempdir(again, sizeof(again)));
  ASSERT_STR_EQ(again, first); /* the environment is read once */
  ASSERT_OK(tf_settempdir(NULL));
  ASSERT_OK(tf_gettempdir(again, sizeof(again)));
  ASSERT(strcmp(again, first) != 0);
  ASSERT(strstr(again, "/other") != NULL);
  rmdir("other");
}

TEST(test_gettempdir_reports_erange_for_a_small_buffer) {
  char small[4] = "abc";
  ASSERT_ERR(tf_gettempdir(small, sizeof(small)), -ERANGE);
  ASSERT_STR_EQ(small, "abc");
}

TEST(test_settempdir_override_is_used_unchecked_and_made_absolute) {
  char dir[PATH_MAX], want[PATH_MAX];
  char *path = NULL;
  int fd;
  CHECK_SYS(mkdir("chosen", 0700));
  ASSERT_OK(tf_settempdir("chosen"));
  snprintf(want, sizeof(want), "%s/chosen", tf_test_dir());
  ASSERT_OK(tf_gettempdir(dir, sizeof(dir)));
  ASSERT_STR_EQ(dir, want);
  fd = tf_mkstemp(&path, NULL);
  ASSERT_OK(fd);
  ASSERT(strncmp(path, want, strlen(want)) == 0);
  close(fd);
  unlink(path);
  tf_free(path);
  ASSERT_OK(tf_settempdir("/no/such/dir")); /* as Python: not checked */
  ASSERT_ERR(tf_mkstemp(&path, NULL), -ENOENT);
  ASSERT_ERR(tf_settempdir(""), -EINVAL);
  ASSERT_OK(tf_settempdir(NULL));
  rmdir("chosen");
}

TEST(test_no_usable_directory_is_enoent) {
  /* CPython's test_no_files_left_behind, first half: open always fails. */
  char dir[PATH_MAX] = "untouched";
  ASSERT_OK(tf_settempdir(NULL));
  tf__fault_arm_sticky(TF_SYS_openat, 1, EACCES);
  ASSERT_ERR(tf_gettempdir(dir, sizeof(dir)), -ENOENT);
  tf__fault_disarm();
  ASSERT_STR_EQ(dir, "untouched");
}

TEST(test_probe_write_failing_everywhere_is_enoent_and_leaves_nothing) {
  /* Second half: the write fails in every candidate.  Nothing may remain
   * in $TMPDIR (the first candidate), and the result is -ENOENT. */
  char dir[PATH_MAX];
  ASSERT_OK(tf_settempdir(NULL));
  tf__fault_arm_sticky(TF_SYS_write, 1, EIO);
  ASSERT_ERR(tf_gettempdir(dir, sizeof(dir)), -ENOENT);
  tf__fault_disarm();
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

TEST(test_probe_failure_on_write_removes_the_probe_file) {
  /* The first write (the probe of $TMPDIR) fails: nothing may remain in
   * $TMPDIR, and discovery moves on to the next candidate. */
  char dir[PATH_MAX];
  ASSERT_OK(tf_settempdir(NULL));
  tf__fault_arm(TF_SYS_write, 1, ENOSPC);
  ASSERT_OK(tf_gettempdir(dir, sizeof(dir)));
  ASSERT(tf__fault_fired());
  tf__fault_disarm();
  ASSERT(strcmp(dir, tf_test_dir()) != 0);
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

TEST(test_default_prefix_is_tmp_and_can_be_changed) {
  char buf[256], small[2];
  char *path = NULL;
  int fd;
  ASSERT_EQ(tf_gettempprefix(buf, sizeof(buf)), 3);
  ASSERT_STR_EQ(buf, "tmp");
  ASSERT_ERR(tf_gettempprefix(small, sizeof(small)), -ERANGE);
  ASSERT_OK(tf_settempprefix("myapp_temp_"));
  ASSERT_OK(tf_gettempprefix(buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, "myapp_temp_");
  fd = tf_mkstemp(&path, NULL);
  ASSERT_OK(fd);
  ASSERT(strstr(path, "/myapp_temp_") != NULL);
  close(fd);
  unlink(path);
  tf_free(path);
  ASSERT_ERR(tf_settempprefix("a/b"), -EINVAL);
  ASSERT_OK(tf_settempprefix(NULL));
  ASSERT_OK(tf_gettempprefix(buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, "tmp");
}

TEST(test_default_prefix_makes_usable_names) {
  /* CPython's test_usable_template: a file can be created with it. */
  char prefix[64];
  char *path = NULL;
  int fd;
  ASSERT_OK(tf_gettempprefix(prefix, sizeof(prefix)));
  ASSERT_GT(strlen(prefix), 0);
  fd = tf_mkstemp(&path, NULL);
  ASSERT_OK(fd);
  close(fd);
  ASSERT_EQ(unlink(path), 0);
  tf_free(path);
}
