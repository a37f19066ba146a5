/* SPDX-License-Identifier: MIT */
/*
 * test_tempdir.c - temp-dir discovery (CPython's TestCandidateTempdirList,
 * TestGetDefaultTempdir, TestGetTempDir, TestGetTempPrefix): candidate
 * order, environment honoured, the probe leaves nothing, failure is
 * -ENOENT, caching, override and reset, the default prefix; and a
 * set-ID program ignoring its caller's TEMP and TMP.
 */
#include "harness.h"
#include "fault.h"

#include <grp.h>
#include <sys/auxv.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
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

/* ---------------------------------------- set-ID programs: TEMP and TMP */

/*
 * A set-user-ID or set-group-ID program must not take its temporary
 * directory from its caller's environment: the caller could point it at
 * a directory of the caller's choosing.  glibc removes TMPDIR from such
 * a program's environment itself, but not TEMP or TMP, so those two are
 * what secure_getenv() (and not getenv()) keeps out.
 *
 * The probe is this unit binary, copied and made set-group-ID, then
 * re-executed as an unprivileged user with PROBE_ENV set: the constructor
 * below runs before the harness, checks that the kernel said AT_SECURE
 * (or did not, for the control runs) and prints what tf_gettempdir()
 * chose.
 */
#define PROBE_ENV "TF_TEST_TEMPDIR_PROBE"
#define PROBE_UID 65534 /* the user running the probe */
#define PROBE_GID 65534 /* its group for the set-ID runs */
#define SETID_GID 65533 /* the copy's group (and the control runs' gid) */
#define OTHER_UID 65532 /* the owner of the directories in TEMP and TMP */

__attribute__((constructor)) static void tempdir_probe_main(void) {
  const char *mode = getenv(PROBE_ENV);
  unsigned long secure;
  char dir[PATH_MAX];
  int rc;
  if (mode == NULL)
    return;
  secure = getauxval(AT_SECURE);
  if ((strcmp(mode, "secure") == 0) != (secure != 0)) {
    printf("probe %s: AT_SECURE is %lu\n", mode, secure);
    fflush(stdout);
    _exit(3);
  }
  rc = tf_gettempdir(dir, sizeof(dir));
  /* TEMP still visible to getenv(): the library had to look away. */
  printf("AT_SECURE %lu TEMP %s TMP %s chose %s\n", secure,
         getenv("TEMP") ? getenv("TEMP") : "-",
         getenv("TMP") ? getenv("TMP") : "-",
         rc < 0 ? tf_err_name(rc) : dir);
  fflush(stdout);
  _exit(0);
}

struct probe_setup {
  char bin[PATH_MAX];   /* the set-group-ID copy */
  char temp[PATH_MAX];  /* another user's directories, world-writable */
  char tmp[PATH_MAX];
  char tmpdir[PATH_MAX];
};

/* Run the probe as PROBE_UID with group gid and the environment given
 * ("NAME=VALUE" strings, NULL-terminated, PROBE_ENV= added); its output
 * line, in out. */
static void run_probe(const struct probe_setup *s, gid_t gid,
                      const char *mode, char *const *env, char *out,
                      size_t size) {
  char probe_var[64], *envp[8], *argv[] = {"unit", NULL};
  int pipefd[2], status, i = 0;
  ssize_t n;
  size_t got = 0;
  pid_t pid;
  snprintf(probe_var, sizeof(probe_var), PROBE_ENV "=%s", mode);
  envp[i++] = probe_var;
  while (*env != NULL && i < 7)
    envp[i++] = *env++;
  envp[i] = NULL;
  CHECK_SYS(pipe2(pipefd, O_CLOEXEC));
  fflush(NULL);
  pid = fork();
  CHECK_SYS(pid);
  if (pid == 0) {
    dup2(pipefd[1], 1);
    if (setgroups(0, NULL) != 0 || setgid(gid) != 0 ||
        setuid(PROBE_UID) != 0) {
      printf("dropping privileges: %s\n", strerror(errno));
      _exit(4);
    }
    execve(s->bin, argv, envp);
    printf("exec %s: %s\n", s->bin, strerror(errno));
    _exit(5);
  }
  close(pipefd[1]);
  while (got + 1 < size &&
         (n = read(pipefd[0], out + got, size - got - 1)) > 0)
    got += (size_t)n;
  out[got] = '\0';
  if (got > 0 && out[got - 1] == '\n')
    out[got - 1] = '\0';
  close(pipefd[0]);
  CHECK_SYS(waitpid(pid, &status, 0));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    FAIL("the %s probe failed (status 0x%x): %s", mode, status, out);
}

/* "... chose DIR" of a probe's line. */
static const char *probe_choice(const char *line) {
  const char *p = strstr(line, " chose ");
  if (p == NULL)
    FAIL("the probe said: %s", line);
  return p + strlen(" chose ");
}

static void copy_file(const char *from, const char *to, mode_t mode) {
  char buf[65536];
  ssize_t n;
  int in = open(from, O_RDONLY | O_CLOEXEC), out;
  CHECK_SYS(in);
  out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
  CHECK_SYS(out);
  while ((n = read(in, buf, sizeof(buf))) > 0)
    if (write(out, buf, (size_t)n) != n)
      FAIL("copying to %s: %s", to, strerror(errno));
  CHECK_SYS(n);
  /* chown first: it clears the set-ID bits chmod then sets. */
  CHECK_SYS(fchown(out, 0, SETID_GID));
  CHECK_SYS(fchmod(out, mode));
  close(out);
  close(in);
}

static void probes(void *arg) {
  const struct probe_setup *s = arg;
  char env_temp[PATH_MAX + 8], env_tmp[PATH_MAX + 8], env_tmpdir[PATH_MAX + 8];
  char line[2 * PATH_MAX];
  char *only_temp[] = {env_temp, NULL}, *only_tmp[] = {env_tmp, NULL};
  char *all[] = {env_tmpdir, env_temp, env_tmp, NULL};
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  CHECK_SYS(len);
  exe[len] = '\0';
  copy_file(exe, s->bin, 02755);
  snprintf(env_temp, sizeof(env_temp), "TEMP=%s", s->temp);
  snprintf(env_tmp, sizeof(env_tmp), "TMP=%s", s->tmp);
  snprintf(env_tmpdir, sizeof(env_tmpdir), "TMPDIR=%s", s->tmpdir);

  /* Controls, with the copy's own group (not set-ID then): TEMP, and
   * TMP, name directories this user can use, and are chosen. */
  run_probe(s, SETID_GID, "plain", only_temp, line, sizeof(line));
  ASSERT_STR_EQ(probe_choice(line), s->temp);
  run_probe(s, SETID_GID, "plain", only_tmp, line, sizeof(line));
  ASSERT_STR_EQ(probe_choice(line), s->tmp);

  /* Set-group-ID: the same directories must not be chosen, although
   * TEMP and TMP are still in the environment (glibc drops TMPDIR). */
  run_probe(s, PROBE_GID, "secure", all, line, sizeof(line));
  if (strstr(line, " TEMP - ") != NULL || strstr(line, " TMP - ") != NULL)
    FAIL("glibc removed TEMP or TMP itself, the test proves nothing: %s",
         line);
  if (strcmp(probe_choice(line), s->temp) == 0 ||
      strcmp(probe_choice(line), s->tmp) == 0 ||
      strcmp(probe_choice(line), s->tmpdir) == 0)
    FAIL("a set-group-ID program took its caller's directory: %s", line);
  run_probe(s, PROBE_GID, "secure", only_tmp, line, sizeof(line));
  if (strcmp(probe_choice(line), s->tmp) == 0)
    FAIL("a set-group-ID program took its caller's TMP: %s", line);
  CHECK_SYS(unlink(s->bin));
}

/* The probes with the copy on a tmpfs mounted for them (where the test
 * directory's file system is mounted nosuid). */
static void probes_on_tmpfs(void *arg) {
  struct probe_setup *s = arg;
  if (mount("tmpfs", "bin", "tmpfs", 0, "mode=0755") != 0)
    FAIL("mounting a tmpfs: %s", strerror(errno));
  probes(s);
  CHECK_SYS(umount("bin"));
}

TEST(test_tempdir_setid_program_ignores_temp_and_tmp) {
  struct probe_setup s;
  const char *names[] = {"other-temp", "other-tmp", "other-tmpdir"};
  char *paths[] = {s.temp, s.tmp, s.tmpdir};
  struct statvfs fs;
  if (!TF_HAVE_SECURE_GETENV && !TF_HAVE_ISSETUGID)
    SKIP("built with neither secure_getenv nor issetugid (the portable "
         "profile on Linux): a set-ID program can not be told apart");
  size_t i;
  if (!tf_test_is_root())
    SKIP("needs root: to make a set-group-ID program and a second user");
  if (tf_test_emulator() != NULL)
    SKIP("the build runs under %s: a set-group-ID copy of this program "
         "would run as that emulator, which is not set-ID (no secure mode)",
         tf_test_emulator());
  CHECK_SYS(chmod(tf_test_dir(), 0711));
  for (i = 0; i < 3; i++) {
    CHECK_SYS(mkdir(names[i], 0700));
    CHECK_SYS(chown(names[i], OTHER_UID, OTHER_UID));
    CHECK_SYS(chmod(names[i], 0777));
    snprintf(paths[i], PATH_MAX, "%s/%s", tf_test_dir(), names[i]);
  }
  CHECK_SYS(mkdir("bin", 0755));
  snprintf(s.bin, sizeof(s.bin), "%s/bin/unit", tf_test_dir());
  CHECK_SYS(statvfs("bin", &fs));
  if (fs.f_flag & ST_NOSUID)
    ASSERT_EQ(tf_test_run_in_mount_ns(probes_on_tmpfs, &s), 0);
  else
    probes(&s);
  CHECK_SYS(rmdir("bin"));
  for (i = 0; i < 3; i++) {
    ASSERT_EQ(tf_test_count_entries(names[i]), 0);
    CHECK_SYS(rmdir(names[i]));
  }
  CHECK_SYS(chmod(tf_test_dir(), 0700));
}
