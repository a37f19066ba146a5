/* SPDX-License-Identifier: MIT */
/*
 * test_names.c - the random part of names: length, alphabet, uniqueness,
 * fork awareness, unbiased mapping, buffered entropy, and argument checks
 * on prefix, suffix and length (CPython's TestRandomNameSequence and the
 * nameCheck helper).
 */
#include "harness.h"
#include "fault.h"

#include <sys/wait.h>
#include <unistd.h>

static int in_alphabet(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (s[i] == '\0' || strchr(TF_ALPHABET, s[i]) == NULL)
      return 0;
  return 1;
}

/* The basename of a path made by the library. */
static const char *base_of(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

TEST(test_random_chars_have_requested_length_and_alphabet) {
  char buf[64];
  memset(buf, 0, sizeof(buf));
  ASSERT_OK(tf_random_chars(buf, 40));
  ASSERT(in_alphabet(buf, 40));
  ASSERT_EQ(buf[40], 0); /* nothing written past n */
  ASSERT_ERR(tf_random_chars(NULL, 3), -EINVAL);
}

TEST(test_default_name_is_prefix_tmp_and_twelve_random_chars) {
  char *path = NULL;
  const char *base;
  int fd = tf_mkstemp(&path, NULL);
  ASSERT_OK(fd);
  base = base_of(path);
  ASSERT_GE(TF_RANDOM_LEN_DEFAULT, 10);
  ASSERT_EQ(strlen(base), 3 + TF_RANDOM_LEN_DEFAULT);
  ASSERT(strncmp(base, "tmp", 3) == 0);
  ASSERT(in_alphabet(base + 3, TF_RANDOM_LEN_DEFAULT));
  close(fd);
  unlink(path);
  tf_free(path);
}

TEST(test_prefix_suffix_and_random_len_are_placed_in_order) {
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL;
  const char *base;
  int fd;
  o.prefix = "myapp_";
  o.suffix = ".log";
  o.random_len = 20;
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  base = base_of(path);
  ASSERT_EQ(strlen(base), 6 + 20 + 4);
  ASSERT(strncmp(base, "myapp_", 6) == 0);
  ASSERT(in_alphabet(base + 6, 20));
  ASSERT_STR_EQ(base + 26, ".log");
  close(fd);
  unlink(path);
  tf_free(path);
}

TEST(test_hundred_names_are_unique) {
  char names[100][TF_RANDOM_LEN_DEFAULT + 1];
  int i, j;
  for (i = 0; i < 100; i++) {
    ASSERT_OK(tf_random_chars(names[i], TF_RANDOM_LEN_DEFAULT));
    names[i][TF_RANDOM_LEN_DEFAULT] = '\0';
    for (j = 0; j < i; j++)
      ASSERT(strcmp(names[i], names[j]) != 0);
  }
}

TEST(test_child_after_fork_does_not_repeat_parent_names) {
  /* Parent and child each draw the next names; they must differ. */
  int pipefd[2];
  char parent[32], child[32];
  pid_t pid;
  int status;
  ASSERT_OK(tf_random_chars(parent, 4)); /* fill the pool before forking */
  CHECK_SYS(pipe(pipefd));
  pid = fork();
  CHECK_SYS(pid);
  if (pid == 0) {
    char mine[32];
    close(pipefd[0]);
    if (tf_random_chars(mine, sizeof(mine)) != 0 ||
        write(pipefd[1], mine, sizeof(mine)) != (ssize_t)sizeof(mine))
      _exit(1);
    _exit(0);
  }
  close(pipefd[1]);
  ASSERT_OK(tf_random_chars(parent, sizeof(parent)));
  ASSERT_EQ(read(pipefd[0], child, sizeof(child)), sizeof(child));
  close(pipefd[0]);
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_EQ(status, 0);
  ASSERT(memcmp(parent, child, sizeof(child)) != 0);
}

TEST(test_each_character_is_equally_likely) {
  /* 360,000 characters: each symbol expects 10,000 (sd ~98).  Without
   * rejection sampling the first 4 symbols would get ~10,156 (256 % 36 =
   * 4 extra byte values): a chi-square over 35 degrees of freedom stays
   * far below 100 for a fair source. */
  static char buf[360000];
  long counts[36] = {0};
  double chi = 0;
  size_t i;
  ASSERT_OK(tf_random_chars(buf, sizeof(buf)));
  for (i = 0; i < sizeof(buf); i++)
    counts[strchr(TF_ALPHABET, buf[i]) - TF_ALPHABET]++;
  for (i = 0; i < 36; i++) {
    double d = (double)counts[i] - 10000.0;
    chi += d * d / 10000.0;
  }
  ASSERT_LT(chi, 100.0);
}

TEST(test_names_cost_one_getrandom_per_sixteen_or_more) {
  unsigned long before = tf__random_refills();
  char buf[TF_RANDOM_LEN_DEFAULT];
  int i;
  for (i = 0; i < 1600; i++)
    ASSERT_OK(tf_random_chars(buf, sizeof(buf)));
  ASSERT_LE(tf__random_refills() - before, 100);
}

TEST(test_getrandom_failure_is_reported_not_replaced_by_weak_names) {
  char *path = (char *)"untouched";
  char buf[300];
  /* Drain the pool, then fail the refill. */
  tf__fault_arm(TF_SYS_getrandom, 1, EIO);
  ASSERT_ERR(tf_random_chars(buf, sizeof(buf)), -EIO);
  tf__fault_arm(TF_SYS_getrandom, 1, ENOSYS);
  ASSERT_ERR(tf_random_chars(buf, sizeof(buf)), -ENOSYS);
  ASSERT_EQ(tf_test_count_entries("."), 0);
  tf__fault_disarm();
  ASSERT_STR_EQ(path, "untouched");
}

/* ---- argument checks: -EINVAL before any side effect */

static void expect_einval_everywhere(const tf_opts *o) {
  char *out = (char *)"untouched";
  tf_file *f = (tf_file *)&out;
  long calls = (long)tf__sys_calls();
  ASSERT_ERR(tf_mkstemp(&out, o), -EINVAL);
  ASSERT_ERR(tf_mkdtemp(&out, o), -EINVAL);
  ASSERT_ERR(tf_mktemp(&out, o), -EINVAL);
  ASSERT_ERR(tf_tmpfile(o), -EINVAL);
  ASSERT_ERR(tf_file_create(&f, o), -EINVAL);
  ASSERT_STR_EQ(out, "untouched");
  ASSERT(f == (tf_file *)&out);
  ASSERT_EQ(tf_test_count_entries("."), 0);
  ASSERT_EQ((long)tf__sys_calls(), calls); /* not one system call made */
}

TEST(test_slash_in_prefix_or_suffix_is_einval) {
  tf_opts o = TF_OPTS_INIT;
  o.prefix = "a/b";
  expect_einval_everywhere(&o);
  o.prefix = NULL;
  o.suffix = "/x";
  expect_einval_everywhere(&o);
  o.suffix = "/";
  expect_einval_everywhere(&o);
}

TEST(test_random_len_out_of_range_is_einval) {
  tf_opts o = TF_OPTS_INIT;
  o.random_len = 256;
  expect_einval_everywhere(&o);
  o.random_len = 100000;
  expect_einval_everywhere(&o);
}

TEST(test_name_longer_than_name_max_is_einval) {
  tf_opts o = TF_OPTS_INIT;
  char prefix[250];
  memset(prefix, 'p', sizeof(prefix) - 1);
  prefix[sizeof(prefix) - 1] = '\0';
  o.prefix = prefix; /* 249 + 12 > 255 */
  expect_einval_everywhere(&o);
  o.random_len = 6; /* 249 + 6 == 255 fits */
  {
    char *path;
    int fd = tf_mkstemp(&path, &o);
    ASSERT_OK(fd);
    ASSERT_EQ(strlen(base_of(path)), 255);
    close(fd);
    unlink(path);
    tf_free(path);
  }
}

TEST(test_unknown_flags_modes_and_open_flags_are_einval) {
  tf_opts o = TF_OPTS_INIT;
  o.flags = 0x80000000u;
  expect_einval_everywhere(&o);
  o.flags = 0;
  o.mode = 010000;
  expect_einval_everywhere(&o);
  o.mode = 0;
  o.open_flags = O_TRUNC;
  expect_einval_everywhere(&o);
  o.open_flags = O_WRONLY;
  expect_einval_everywhere(&o);
  o.open_flags = 0;
  o.dir = "";
  expect_einval_everywhere(&o);
}

TEST(test_handle_flags_are_rejected_by_primitives) {
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL;
  o.flags = TF_KEEP;
  ASSERT_ERR(tf_mkstemp(&path, &o), -EINVAL);
  ASSERT_ERR(tf_tmpfile(&o), -EINVAL);
  ASSERT(path == NULL);
}

TEST(test_null_outputs_are_einval) {
  ASSERT_ERR(tf_mkstemp(NULL, NULL), -EINVAL);
  ASSERT_ERR(tf_mkdtemp(NULL, NULL), -EINVAL);
  ASSERT_ERR(tf_mktemp(NULL, NULL), -EINVAL);
  ASSERT_ERR(tf_mktempat(AT_FDCWD, NULL, NULL), -EINVAL);
  ASSERT_ERR(tf_mkdtempat(AT_FDCWD, NULL, NULL), -EINVAL);
  ASSERT_ERR(tf_file_create(NULL, NULL), -EINVAL);
  ASSERT_ERR(tf_file_createat(NULL, AT_FDCWD, NULL), -EINVAL);
  ASSERT_ERR(tf_gettempdir(NULL, 10), -EINVAL);
  ASSERT_ERR(tf_gettempprefix(NULL, 10), -EINVAL);
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

TEST(test_at_forms_reject_a_dir_option) {
  tf_opts o = TF_OPTS_INIT;
  char *name = NULL;
  tf_file *f = NULL;
  o.dir = ".";
  ASSERT_ERR(tf_mkstempat(AT_FDCWD, &name, &o), -EINVAL);
  ASSERT_ERR(tf_mkdtempat(AT_FDCWD, &name, &o), -EINVAL);
  ASSERT_ERR(tf_mktempat(AT_FDCWD, &name, &o), -EINVAL);
  ASSERT_ERR(tf_tmpfileat(AT_FDCWD, &o), -EINVAL);
  ASSERT_ERR(tf_file_createat(&f, AT_FDCWD, &o), -EINVAL);
  ASSERT(name == NULL && f == NULL);
}

TEST(test_strerror_and_err_name_cover_returned_errnos) {
  ASSERT_STR_EQ(tf_err_name(-EEXIST), "EEXIST");
  ASSERT_STR_EQ(tf_err_name(EEXIST), "EEXIST");
  ASSERT_STR_EQ(tf_strerror(-ENOENT), "no such file or directory");
  ASSERT_STR_EQ(tf_strerror(0), "success");
  ASSERT_STR_EQ(tf_strerror(-99999), "unknown error");
  ASSERT_STR_EQ(tf_err_name(-2147483647 - 1), "UNKNOWN");
  ASSERT_STR_EQ(tf_err_name(-EXDEV), "EXDEV");
}

TEST(test_version_matches_header) {
  ASSERT_STR_EQ(tf_version_string(), TF_VERSION_STRING);
  ASSERT_EQ(tf_version(), TF_VERSION_HEX);
}
