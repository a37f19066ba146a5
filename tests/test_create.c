/* SPDX-License-Identifier: MIT */
/*
 * test_create.c - the creation primitives (CPython's TestMkstempInner,
 * TestMkstemp, TestMkdtemp, TestMktemp, TestBadTempdir): basics, many at
 * once, chosen and relative directories, modes, close-on-exec, collisions
 * through an injected name sequence, bad directories, the *at forms.
 */
#include "harness.h"
#include "fault.h"

#include <sys/wait.h>
#include <unistd.h>

static void remove_and_free(char *path, int is_dir) {
  if (is_dir)
    ASSERT_EQ(rmdir(path), 0);
  else
    ASSERT_EQ(unlink(path), 0);
  tf_free(path);
}

TEST(test_mkstemp_basic_creates_empty_rw_file) {
  char *path = NULL;
  struct stat st;
  char buf[8];
  int fd = tf_mkstemp(&path, NULL);
  ASSERT_OK(fd);
  ASSERT_EQ(path[0], '/');
  ASSERT_EQ(fstat(fd, &st), 0);
  ASSERT(S_ISREG(st.st_mode));
  ASSERT_EQ(st.st_size, 0);
  ASSERT_EQ(write(fd, "blat", 4), 4);
  ASSERT_EQ(pread(fd, buf, sizeof(buf), 0), 4);
  ASSERT_EQ(st.st_uid, geteuid());
  close(fd);
  remove_and_free(path, 0);
}

TEST(test_mkstemp_hundred_open_at_once) {
  char *paths[100];
  int fds[100], i;
  for (i = 0; i < 100; i++) {
    fds[i] = tf_mkstemp(&paths[i], NULL);
    ASSERT_OK(fds[i]);
  }
  ASSERT_EQ(tf_test_count_entries("."), 100);
  for (i = 0; i < 100; i++) {
    close(fds[i]);
    remove_and_free(paths[i], 0);
  }
}

TEST(test_mkstemp_in_chosen_directory) {
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL, want[PATH_MAX];
  int fd;
  CHECK_SYS(mkdir("chosen", 0700));
  o.dir = "chosen";
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  snprintf(want, sizeof(want), "%s/chosen/", tf_test_dir());
  ASSERT(strncmp(path, want, strlen(want)) == 0);
  ASSERT_EQ(tf_test_count_entries("chosen"), 1);
  close(fd);
  remove_and_free(path, 0);
  rmdir("chosen");
}

TEST(test_mkstemp_dot_becomes_absolute) {
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL, want[PATH_MAX];
  int fd;
  o.dir = ".";
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  snprintf(want, sizeof(want), "%s/tmp", tf_test_dir());
  ASSERT(strncmp(path, want, strlen(want)) == 0);
  ASSERT(strchr(path + strlen(tf_test_dir()) + 1, '/') == NULL);
  close(fd);
  remove_and_free(path, 0);
}

TEST(test_mkstemp_mode_is_0600_and_mode_option_is_applied) {
  tf_opts o = TF_OPTS_INIT;
  struct stat st;
  char *path = NULL;
  int fd;
  umask(022);
  fd = tf_mkstemp(&path, NULL);
  ASSERT_OK(fd);
  ASSERT_EQ(fstat(fd, &st), 0);
  ASSERT_MODE(st.st_mode & 07777, 0600);
  close(fd);
  remove_and_free(path, 0);
  o.mode = 0640;
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  ASSERT_EQ(fstat(fd, &st), 0);
  ASSERT_MODE(st.st_mode & 07777, 0640);
  close(fd);
  remove_and_free(path, 0);
}

TEST(test_mkstemp_fd_is_not_inherited_across_exec) {
  char *path = NULL;
  char fdarg[16];
  int fd = tf_mkstemp(&path, NULL), status;
  pid_t pid;
  ASSERT_OK(fd);
  ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  snprintf(fdarg, sizeof(fdarg), "%d", fd);
  pid = fork();
  CHECK_SYS(pid);
  if (pid == 0) {
    /* The shell exits 0 only if the fd is not open after exec. */
    execl("/bin/sh", "sh", "-c", "true 2>/dev/null >&\"$1\" && exit 1; exit 0",
          "sh", fdarg, (char *)NULL);
    _exit(127);
  }
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  close(fd);
  remove_and_free(path, 0);
}

TEST(test_mkstemp_open_flags_are_added) {
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL;
  int fd;
  o.open_flags = O_APPEND;
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  ASSERT(fcntl(fd, F_GETFL) & O_APPEND);
  ASSERT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
  close(fd);
  remove_and_free(path, 0);
}

static const char *const aaa_aaa_bbb[] = {"aaa", "aaa", "bbb"};

/* Inject names for the next creations.  The temp-dir probe draws names
 * too, so discovery runs first. */
static void inject_names(const char *const *names, size_t count) {
  char dir[PATH_MAX];
  ASSERT_OK(tf_gettempdir(dir, sizeof(dir)));
  tf__test_names(names, count);
}

TEST(test_mkstemp_collision_with_existing_file_takes_next_name) {
  tf_opts o = TF_OPTS_INIT;
  char *first = NULL, *second = NULL;
  int fd1, fd2;
  o.random_len = 3;
  inject_names(aaa_aaa_bbb, 3);
  fd1 = tf_mkstemp(&first, &o);
  ASSERT_OK(fd1);
  fd2 = tf_mkstemp(&second, &o);
  ASSERT_OK(fd2);
  tf__test_names(NULL, 0);
  ASSERT(strstr(first, "/tmpaaa") != NULL);
  ASSERT(strstr(second, "/tmpbbb") != NULL);
  close(fd1);
  close(fd2);
  remove_and_free(first, 0);
  remove_and_free(second, 0);
}

TEST(test_mkstemp_collision_with_existing_directory_takes_next_name) {
  tf_opts o = TF_OPTS_INIT;
  char *first = NULL, *second = NULL;
  int fd;
  o.random_len = 3;
  inject_names(aaa_aaa_bbb, 3);
  ASSERT_OK(tf_mkdtemp(&first, &o));
  fd = tf_mkstemp(&second, &o);
  ASSERT_OK(fd);
  tf__test_names(NULL, 0);
  ASSERT(strstr(first, "/tmpaaa") != NULL);
  ASSERT(strstr(second, "/tmpbbb") != NULL);
  close(fd);
  remove_and_free(first, 1);
  remove_and_free(second, 0);
}

TEST(test_mkdtemp_collision_with_existing_file_takes_next_name) {
  tf_opts o = TF_OPTS_INIT;
  char *first = NULL, *second = NULL;
  int fd;
  o.random_len = 3;
  inject_names(aaa_aaa_bbb, 3);
  fd = tf_mkstemp(&first, &o);
  ASSERT_OK(fd);
  ASSERT_OK(tf_mkdtemp(&second, &o));
  tf__test_names(NULL, 0);
  ASSERT(strstr(second, "/tmpbbb") != NULL);
  close(fd);
  remove_and_free(first, 0);
  remove_and_free(second, 1);
}

TEST(test_exhausted_names_give_eexist_after_bounded_attempts) {
  static const char *const same[] = {"zzz"};
  tf_opts o = TF_OPTS_INIT;
  char *first = NULL, *path = (char *)"untouched";
  unsigned long calls;
  int fd, i;
  const char *names[TF_ATTEMPTS + 1];
  o.random_len = 3;
  inject_names(same, 1);
  fd = tf_mkstemp(&first, &o);
  ASSERT_OK(fd);
  for (i = 0; i < TF_ATTEMPTS + 1; i++)
    names[i] = "zzz";
  tf__test_names(names, TF_ATTEMPTS + 1);
  calls = tf__sys_calls();
  ASSERT_ERR(tf_mkstemp(&path, &o), -EEXIST);
  /* one allocation, TF_ATTEMPTS opens, nothing more */
  ASSERT_EQ(tf__sys_calls() - calls, TF_ATTEMPTS + 1);
  ASSERT_STR_EQ(path, "untouched");
  tf__test_names(NULL, 0);
  close(fd);
  remove_and_free(first, 0);
}

/* ---- bad directories (TestBadTempdir), for every creating call */

typedef int (*create_fn)(const tf_opts *o);

static int via_mkstemp(const tf_opts *o) {
  char *p = NULL;
  int fd = tf_mkstemp(&p, o);
  if (fd >= 0) {
    close(fd);
    unlink(p);
    tf_free(p);
  }
  return fd;
}

static int via_mkdtemp(const tf_opts *o) {
  char *p = NULL;
  int rc = tf_mkdtemp(&p, o);
  if (rc >= 0) {
    rmdir(p);
    tf_free(p);
  }
  return rc;
}

static int via_tmpfile(const tf_opts *o) {
  int fd = tf_tmpfile(o);
  if (fd >= 0)
    close(fd);
  return fd;
}

static int via_file_create(const tf_opts *o) {
  tf_file *f = NULL;
  int rc = tf_file_create(&f, o);
  if (rc >= 0)
    tf_file_free(f);
  return rc;
}

static const create_fn creators[] = {via_mkstemp, via_mkdtemp, via_tmpfile,
                                     via_file_create};

TEST(test_nonexisting_directory_is_enoent) {
  tf_opts o = TF_OPTS_INIT;
  size_t i;
  o.dir = "no-such-dir";
  for (i = 0; i < sizeof(creators) / sizeof(creators[0]); i++)
    ASSERT_ERR(creators[i](&o), -ENOENT);
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

TEST(test_non_directory_is_enotdir) {
  tf_opts o = TF_OPTS_INIT;
  size_t i;
  tf_test_write_file("plain", "x");
  o.dir = "plain";
  for (i = 0; i < sizeof(creators) / sizeof(creators[0]); i++)
    ASSERT_ERR(creators[i](&o), -ENOTDIR);
  ASSERT_EQ(tf_test_count_entries("."), 1);
  unlink("plain");
}

static void read_only_dir_child(void *arg) {
  tf_opts o = TF_OPTS_INIT;
  size_t i;
  (void)arg;
  o.dir = "readonly";
  for (i = 0; i < sizeof(creators) / sizeof(creators[0]); i++)
    ASSERT_ERR(creators[i](&o), -EACCES);
}

TEST(test_read_only_directory_is_eacces_and_nothing_created) {
  CHECK_SYS(mkdir("readonly", 0755));
  if (tf_test_is_root())
    CHECK_SYS(chown("readonly", 65534, 65534));
  CHECK_SYS(chmod("readonly", 0555));
  ASSERT_EQ(tf_test_run_unprivileged(read_only_dir_child, NULL), 0);
  ASSERT_EQ(tf_test_count_entries("readonly"), 0);
  rmdir("readonly");
}

/* ---- mkdtemp */

TEST(test_mkdtemp_basic_mode_0700_absolute_and_empty) {
  char *path = NULL;
  struct stat st;
  umask(022);
  ASSERT_OK(tf_mkdtemp(&path, NULL));
  ASSERT_EQ(path[0], '/');
  ASSERT_EQ(lstat(path, &st), 0);
  ASSERT(S_ISDIR(st.st_mode));
  ASSERT_MODE(st.st_mode & 07777, 0700);
  ASSERT_EQ(tf_test_count_entries(path), 0);
  remove_and_free(path, 1);
}

TEST(test_mkdtemp_hundred_and_chosen_directory_relative_made_absolute) {
  tf_opts o = TF_OPTS_INIT;
  char *paths[100], want[PATH_MAX];
  int i;
  CHECK_SYS(mkdir("chosen", 0700));
  o.dir = "./chosen";
  o.prefix = "myapp_";
  o.suffix = "_workspace";
  snprintf(want, sizeof(want), "%s/chosen/myapp_", tf_test_dir());
  for (i = 0; i < 100; i++) {
    ASSERT_OK(tf_mkdtemp(&paths[i], &o));
    ASSERT(strncmp(paths[i], want, strlen(want)) == 0);
    ASSERT_STR_EQ(paths[i] + strlen(paths[i]) - 10, "_workspace");
  }
  ASSERT_EQ(tf_test_count_entries("chosen"), 100);
  for (i = 0; i < 100; i++)
    remove_and_free(paths[i], 1);
  rmdir("chosen");
}

/* ---- mktemp (unsafe) */

TEST(test_mktemp_names_do_not_exist_and_are_creatable) {
  char *paths[50];
  int i;
  for (i = 0; i < 50; i++) {
    int fd;
    ASSERT_OK(tf_mktemp(&paths[i], NULL));
    ASSERT(!tf_test_exists(paths[i]));
    fd = open(paths[i], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  for (i = 0; i < 50; i++)
    remove_and_free(paths[i], 0);
}

TEST(test_mktemp_skips_existing_names_including_dangling_symlinks) {
  static const char *const names[] = {"lnk", "new"};
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL;
  CHECK_SYS(symlink("nowhere", "tmplnk"));
  o.random_len = 3;
  inject_names(names, 2);
  ASSERT_OK(tf_mktemp(&path, &o));
  tf__test_names(NULL, 0);
  ASSERT(strstr(path, "/tmpnew") != NULL);
  tf_free(path);
  unlink("tmplnk");
}

/* As Python's mktemp, whose _exists() takes any lstat() error for "free":
 * a directory that is a file, lies under one, or can not be searched
 * still gives a name (creating it then fails, as it should). */
static void mktemp_in_unsearchable_child(void *arg) {
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL;
  o.dir = arg;
  ASSERT_OK(tf_mktemp(&path, &o));
  ASSERT(strncmp(path, o.dir, strlen(o.dir)) == 0);
  ASSERT(strchr(path + strlen(o.dir) + 1, '/') == NULL);
  tf_free(path);
}

TEST(test_mktemp_gives_a_name_where_python_does) {
  static const char *const dirs[] = {"plain", "plain/below", "missing/sub"};
  char locked[PATH_MAX];
  size_t i;
  tf_test_write_file("plain", "x");
  for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
    tf_opts o = TF_OPTS_INIT;
    char *path = NULL;
    char want[PATH_MAX];
    o.dir = dirs[i];
    o.prefix = "p";
    ASSERT_OK(tf_mktemp(&path, &o));
    snprintf(want, sizeof(want), "%s/%s/p", tf_test_dir(), dirs[i]);
    ASSERT(strncmp(path, want, strlen(want)) == 0);
    ASSERT_EQ(strlen(path), strlen(want) + TF_RANDOM_LEN_DEFAULT);
    tf_free(path);
  }
  snprintf(locked, sizeof(locked), "%s/locked", tf_test_dir());
  CHECK_SYS(mkdir("locked", 0));
  ASSERT_EQ(tf_test_run_unprivileged(mktemp_in_unsearchable_child, locked),
            0);
  CHECK_SYS(rmdir("locked"));
  CHECK_SYS(unlink("plain"));
}

/* ---- *at forms */

TEST(test_at_forms_create_relative_to_dirfd) {
  char *name = NULL;
  struct stat st;
  int dfd, fd;
  CHECK_SYS(mkdir("anchor", 0700));
  dfd = open("anchor", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(dfd);
  fd = tf_mkstempat(dfd, &name, NULL);
  ASSERT_OK(fd);
  ASSERT(strchr(name, '/') == NULL);
  ASSERT_EQ(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
  ASSERT(S_ISREG(st.st_mode));
  close(fd);
  ASSERT_EQ(unlinkat(dfd, name, 0), 0);
  tf_free(name);
  ASSERT_OK(tf_mkdtempat(dfd, &name, NULL));
  ASSERT_EQ(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
  ASSERT(S_ISDIR(st.st_mode));
  ASSERT_MODE(st.st_mode & 0777, 0700);
  ASSERT_EQ(unlinkat(dfd, name, AT_REMOVEDIR), 0);
  tf_free(name);
  ASSERT_OK(tf_mktempat(dfd, &name, NULL));
  ASSERT_ERR(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno,
             -ENOENT);
  tf_free(name);
  fd = tf_mkstempat(dfd, NULL, NULL); /* the name may be dropped */
  ASSERT_OK(fd);
  ASSERT_EQ(tf_test_count_entries("anchor"), 1);
  close(fd);
  /* A renamed parent does not redirect creation through the dirfd. */
  CHECK_SYS(rename("anchor", "moved"));
  fd = tf_mkstempat(dfd, &name, NULL);
  ASSERT_OK(fd);
  ASSERT_EQ(tf_test_count_entries("moved"), 2);
  close(fd);
  tf_free(name);
  close(dfd);
  CHECK_SYS(system("rm -rf moved"));
}

TEST(test_paths_longer_than_path_max_are_enametoolong) {
  char dir[PATH_MAX + 10];
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL;
  memset(dir, 'd', sizeof(dir) - 1);
  dir[0] = '/';
  dir[sizeof(dir) - 1] = '\0';
  o.dir = dir;
  ASSERT_ERR(tf_mkstemp(&path, &o), -ENAMETOOLONG);
  ASSERT_ERR(tf_mkdtemp(&path, &o), -ENAMETOOLONG);
  ASSERT(path == NULL);
}
