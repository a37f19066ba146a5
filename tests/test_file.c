/* SPDX-License-Identifier: MIT */
/*
 * test_file.c - the named temporary file handle (CPython's
 * TestNamedTemporaryFile): creation, the delete policies, multiple close,
 * a file removed by hand, the stream, anchoring on the parent directory,
 * fork ownership, and publishing (replace, no-clobber, mode, failure
 * leaves the handle whole).
 */
#include "harness.h"
#include "fault.h"

#include <sys/wait.h>
#include <unistd.h>

TEST(test_named_file_creates_and_names_an_absolute_path) {
  tf_file *f = NULL;
  struct stat st;
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_EQ(tf_file_path(f)[0], '/');
  ASSERT_EQ(stat(tf_file_path(f), &st), 0);
  ASSERT_MODE(st.st_mode & 07777, 0600);
  ASSERT_OK(tf_file_fd(f));
  ASSERT(fcntl(tf_file_fd(f), F_GETFD) & FD_CLOEXEC);
  ASSERT_EQ(write(tf_file_fd(f), "data", 4), 4);
  ASSERT_OK(tf_file_free(f));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

TEST(test_named_file_is_deleted_on_close_by_default) {
  tf_file *f = NULL;
  char path[PATH_MAX];
  ASSERT_OK(tf_file_create(&f, NULL));
  snprintf(path, sizeof(path), "%s", tf_file_path(f));
  ASSERT(tf_test_exists(path));
  ASSERT_OK(tf_file_close(f));
  ASSERT(!tf_test_exists(path));
  ASSERT_ERR(tf_file_fd(f), -EBADF);
  ASSERT_STR_EQ(tf_file_path(f), path); /* still readable after close */
  ASSERT_OK(tf_file_free(f));
}

TEST(test_named_file_delete_on_free_survives_close) {
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  char path[PATH_MAX];
  int fd;
  o.flags = TF_DELETE_ON_FREE;
  ASSERT_OK(tf_file_create(&f, &o));
  snprintf(path, sizeof(path), "%s", tf_file_path(f));
  ASSERT_EQ(write(tf_file_fd(f), "x", 1), 1);
  ASSERT_OK(tf_file_close(f));
  ASSERT(tf_test_exists(path)); /* reopenable by name, as on Windows */
  fd = open(path, O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  close(fd);
  ASSERT_OK(tf_file_free(f));
  ASSERT(!tf_test_exists(path));
}

TEST(test_named_file_keep_is_never_deleted) {
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  char path[PATH_MAX];
  o.flags = TF_KEEP;
  ASSERT_OK(tf_file_create(&f, &o));
  snprintf(path, sizeof(path), "%s", tf_file_path(f));
  ASSERT_OK(tf_file_close(f));
  ASSERT_OK(tf_file_free(f));
  ASSERT(tf_test_exists(path));
  ASSERT_EQ(unlink(path), 0);
}

TEST(test_named_file_keep_called_later_stops_deletion) {
  tf_file *f = NULL;
  char path[PATH_MAX];
  ASSERT_OK(tf_file_create(&f, NULL));
  snprintf(path, sizeof(path), "%s", tf_file_path(f));
  tf_file_keep(f);
  ASSERT_OK(tf_file_free(f));
  ASSERT(tf_test_exists(path));
  ASSERT_EQ(unlink(path), 0);
}

TEST(test_named_file_multiple_close_and_free_after_close) {
  tf_file *f = NULL;
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_file_close(f));
  ASSERT_OK(tf_file_close(f));
  ASSERT_OK(tf_file_close(f));
  ASSERT_OK(tf_file_free(f));
  ASSERT_OK(tf_file_free(NULL));
  ASSERT_OK(tf_file_close(NULL));
  ASSERT_ERR(tf_file_keep(NULL), -EINVAL);
  ASSERT(tf_file_path(NULL) == NULL);
  ASSERT_ERR(tf_file_fd(NULL), -EINVAL);
}

TEST(test_named_file_deleted_by_hand_is_fine) {
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_EQ(unlink(tf_file_path(f)), 0);
  ASSERT_OK(tf_file_close(f));
  ASSERT_OK(tf_file_free(f));
  o.flags = TF_DELETE_ON_FREE;
  ASSERT_OK(tf_file_create(&f, &o));
  ASSERT_EQ(unlink(tf_file_path(f)), 0);
  ASSERT_OK(tf_file_free(f));
}

TEST(test_named_file_stream_reads_back_what_it_wrote) {
  tf_file *f = NULL;
  FILE *fp = NULL, *again = NULL;
  char line[64];
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_file_stream(f, &fp));
  ASSERT_OK(tf_file_stream(f, &again));
  ASSERT(fp == again);
  ASSERT_GT(fprintf(fp, "Hello, temporary world!\n"), 0);
  ASSERT_EQ(fseek(fp, 0, SEEK_SET), 0);
  ASSERT(fgets(line, sizeof(line), fp) != NULL);
  ASSERT_STR_EQ(line, "Hello, temporary world!\n");
  ASSERT_OK(tf_file_close(f)); /* flushes and closes the stream */
  ASSERT_ERR(tf_file_stream(f, &fp), -EBADF);
  ASSERT_ERR(tf_file_stream(NULL, &fp), -EINVAL);
  ASSERT_OK(tf_file_free(f));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

/* glibc keeps a cookie stream's offset from its last seek past a write:
 * after a read, a seek within the buffer and a write, the position must
 * still be after the write (and the next read after it too). */
TEST(test_named_file_stream_position_after_read_seek_write) {
  tf_file *f = NULL;
  FILE *fp = NULL;
  char buf[16];
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_file_stream(f, &fp));
  ASSERT_GE(fputs("abcdefghijklmnopqrstuvwxyz", fp), 0);
  ASSERT_EQ(fseeko(fp, 0, SEEK_SET), 0);
  ASSERT_EQ(fread(buf, 1, 10, fp), 10); /* reads the whole file ahead */
  ASSERT_EQ(fseeko(fp, 3, SEEK_SET), 0); /* within the buffer */
  ASSERT_EQ(fwrite("XYZ", 1, 3, fp), 3);
  ASSERT_EQ(fseeko(fp, 0, SEEK_CUR), 0);
  ASSERT_EQ(ftello(fp), 6);
  ASSERT_EQ(fgetc(fp), 'g');
  ASSERT_EQ(fseeko(fp, 0, SEEK_SET), 0);
  ASSERT(fgets(buf, sizeof(buf), fp) != NULL);
  ASSERT_STR_EQ(buf, "abcXYZghijklmno");
  ASSERT_OK(tf_file_free(f));
}

TEST(test_named_file_stream_unflushed_data_lands_on_close) {
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  FILE *fp = NULL;
  struct stat st;
  o.flags = TF_DELETE_ON_FREE;
  ASSERT_OK(tf_file_create(&f, &o));
  ASSERT_OK(tf_file_stream(f, &fp));
  fputs("buffered", fp);
  ASSERT_OK(tf_file_close(f));
  ASSERT_EQ(stat(tf_file_path(f), &st), 0);
  ASSERT_EQ(st.st_size, 8);
  ASSERT_OK(tf_file_free(f));
}

TEST(test_named_file_delete_is_anchored_on_parent_dir_not_path) {
  /* A chdir and a renamed parent cannot redirect the deletion, and a new
   * directory at the old path keeps its file of the same name. */
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  const char *base;
  char decoy[PATH_MAX];
  CHECK_SYS(mkdir("parent", 0700));
  o.dir = "parent";
  o.flags = TF_DELETE_ON_FREE;
  ASSERT_OK(tf_file_create(&f, &o));
  base = strrchr(tf_file_path(f), '/') + 1;
  CHECK_SYS(rename("parent", "moved"));
  CHECK_SYS(mkdir("parent", 0700));
  snprintf(decoy, sizeof(decoy), "parent/%s", base);
  tf_test_write_file(decoy, "victim");
  CHECK_SYS(chdir("/"));
  ASSERT_OK(tf_file_free(f));
  CHECK_SYS(chdir(tf_test_dir()));
  ASSERT(tf_test_exists(decoy));
  ASSERT_EQ(tf_test_count_entries("moved"), 0);
  CHECK_SYS(unlink(decoy));
  CHECK_SYS(rmdir("parent"));
  CHECK_SYS(rmdir("moved"));
}

static void child_ends_handle(tf_file *f, int how) {
  pid_t pid = fork();
  int status;
  CHECK_SYS(pid);
  if (pid == 0) {
    int rc = how == 0 ? tf_file_close(f) : tf_file_free(f);
    _exit(rc == 0 ? 0 : 1);
  }
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_EQ(status, 0);
}

TEST(test_forked_child_never_deletes_parent_file) {
  tf_file *f = NULL;
  char path[PATH_MAX];
  ASSERT_OK(tf_file_create(&f, NULL));
  snprintf(path, sizeof(path), "%s", tf_file_path(f));
  child_ends_handle(f, 0);
  ASSERT(tf_test_exists(path));
  child_ends_handle(f, 1);
  ASSERT(tf_test_exists(path));
  ASSERT_OK(tf_file_fd(f)); /* the parent's fd is still open */
  ASSERT_OK(tf_file_free(f));
  ASSERT(!tf_test_exists(path));
}

TEST(test_named_file_options_prefix_suffix_dir_mode) {
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  struct stat st;
  const char *base;
  CHECK_SYS(mkdir("custom", 0700));
  o.dir = "custom";
  o.prefix = "myapp_";
  o.suffix = ".log";
  o.mode = 0640;
  umask(022);
  ASSERT_OK(tf_file_create(&f, &o));
  base = strrchr(tf_file_path(f), '/') + 1;
  ASSERT(strncmp(base, "myapp_", 6) == 0);
  ASSERT_STR_EQ(base + strlen(base) - 4, ".log");
  ASSERT(strstr(tf_file_path(f), "/custom/") != NULL);
  ASSERT_EQ(fstat(tf_file_fd(f), &st), 0);
  ASSERT_MODE(st.st_mode & 0777, 0640);
  ASSERT_OK(tf_file_free(f));
  CHECK_SYS(rmdir("custom"));
}

TEST(test_named_file_createat_uses_the_callers_dirfd) {
  tf_file *f = NULL;
  int dfd;
  CHECK_SYS(mkdir("anchor", 0700));
  dfd = open("anchor", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(dfd);
  ASSERT_OK(tf_file_createat(&f, dfd, NULL));
  close(dfd); /* the handle has its own duplicate */
  ASSERT(strchr(tf_file_path(f), '/') == NULL);
  ASSERT_EQ(tf_test_count_entries("anchor"), 1);
  ASSERT_OK(tf_file_free(f));
  ASSERT_EQ(tf_test_count_entries("anchor"), 0);
  CHECK_SYS(rmdir("anchor"));
}

/* ---- publish */

TEST(test_publish_replaces_target_and_handle_stops_deleting) {
  tf_file *f = NULL;
  char want[PATH_MAX];
  struct stat st;
  tf_test_write_file("config", "old");
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_EQ(write(tf_file_fd(f), "new", 3), 3);
  ASSERT_OK(tf_file_publish(f, "config", 0644, 0));
  snprintf(want, sizeof(want), "%s/config", tf_test_dir());
  ASSERT_STR_EQ(tf_file_path(f), want);
  ASSERT_EQ(stat("config", &st), 0);
  ASSERT_MODE(st.st_mode & 07777, 0644);
  ASSERT_EQ(st.st_size, 3);
  ASSERT_OK(tf_file_fd(f)); /* still open for more writing */
  ASSERT_ERR(tf_file_publish(f, "again", 0, 0), -EINVAL);
  ASSERT_OK(tf_file_free(f));
  ASSERT_EQ(tf_test_count_entries("."), 1);
  CHECK_SYS(unlink("config"));
}

TEST(test_publish_noclobber_fails_with_eexist_and_handle_stays_whole) {
  tf_file *f = NULL;
  char temp[PATH_MAX], buf[8];
  struct stat st;
  int fd;
  tf_test_write_file("taken", "old");
  ASSERT_OK(tf_file_create(&f, NULL));
  snprintf(temp, sizeof(temp), "%s", tf_file_path(f));
  ASSERT_ERR(tf_file_publish(f, "taken", 0644, TF_NOCLOBBER), -EEXIST);
  ASSERT_STR_EQ(tf_file_path(f), temp);
  ASSERT_EQ(stat(temp, &st), 0);
  ASSERT_MODE(st.st_mode & 07777, 0600); /* the mode was put back */
  fd = open("taken", O_RDONLY | O_CLOEXEC);
  ASSERT_EQ(read(fd, buf, sizeof(buf)), 3);
  close(fd);
  ASSERT_OK(tf_file_publish(f, "free", 0, TF_NOCLOBBER));
  ASSERT(!tf_test_exists(temp));
  ASSERT_OK(tf_file_free(f));
  CHECK_SYS(unlink("taken"));
  CHECK_SYS(unlink("free"));
}

TEST(test_publish_noclobber_falls_back_to_link_and_unlink) {
  tf_file *f = NULL;
  char temp[PATH_MAX];
  tf_test_without_renameat2(EINVAL); /* a file system without NOREPLACE */
  tf_test_write_file("taken", "old");
  ASSERT_OK(tf_file_create(&f, NULL));
  snprintf(temp, sizeof(temp), "%s", tf_file_path(f));
  ASSERT_ERR(tf_file_publish(f, "taken", 0, TF_NOCLOBBER), -EEXIST);
  ASSERT(tf_test_exists(temp));
  ASSERT_OK(tf_file_publish(f, "free", 0, TF_NOCLOBBER));
  ASSERT(!tf_test_exists(temp));
  ASSERT(tf_test_exists("free"));
  /* The unlink of the temporary name fails: the new name is undone. */
  ASSERT_OK(tf_file_free(f));
  ASSERT_OK(tf_file_create(&f, NULL));
  snprintf(temp, sizeof(temp), "%s", tf_file_path(f));
  tf__fault_arm(TF_SYS_unlinkat, 1, EIO);
  ASSERT_ERR(tf_file_publish(f, "other", 0, TF_NOCLOBBER), -EIO);
  tf__fault_disarm();
  ASSERT(!tf_test_exists("other"));
  ASSERT(tf_test_exists(temp));
  tf_test_restore_syscalls();
  ASSERT_OK(tf_file_free(f));
  ASSERT(!tf_test_exists(temp));
  CHECK_SYS(unlink("taken"));
  CHECK_SYS(unlink("free"));
}

TEST(test_publish_after_delete_on_free_close_works) {
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  struct stat st;
  o.flags = TF_DELETE_ON_FREE;
  ASSERT_OK(tf_file_create(&f, &o));
  ASSERT_OK(tf_file_close(f));
  ASSERT_OK(tf_file_publish(f, "final", 0640, 0));
  ASSERT_EQ(lstat("final", &st), 0);
  ASSERT_MODE(st.st_mode & 07777, 0640);
  ASSERT_OK(tf_file_free(f));
  ASSERT(tf_test_exists("final"));
  CHECK_SYS(unlink("final"));
}

TEST(test_publish_of_a_deleted_file_is_enoent) {
  tf_file *f = NULL;
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_file_close(f));
  ASSERT_ERR(tf_file_publish(f, "final", 0, 0), -ENOENT);
  ASSERT(!tf_test_exists("final"));
  ASSERT_OK(tf_file_free(f));
}

TEST(test_publish_rejects_bad_arguments) {
  tf_file *f = NULL;
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_ERR(tf_file_publish(f, NULL, 0, 0), -EINVAL);
  ASSERT_ERR(tf_file_publish(f, "", 0, 0), -EINVAL);
  ASSERT_ERR(tf_file_publish(f, "x", 010000, 0), -EINVAL);
  ASSERT_ERR(tf_file_publish(f, "x", 0, 0x100), -EINVAL);
  ASSERT_ERR(tf_file_publish(NULL, "x", 0, 0), -EINVAL);
  ASSERT(!tf_test_exists("x"));
  ASSERT_OK(tf_file_free(f));
}

TEST(test_publish_to_a_missing_directory_keeps_the_handle) {
  tf_file *f = NULL;
  char temp[PATH_MAX];
  ASSERT_OK(tf_file_create(&f, NULL));
  snprintf(temp, sizeof(temp), "%s", tf_file_path(f));
  ASSERT_ERR(tf_file_publish(f, "no/such/dir/file", 0644, 0), -ENOENT);
  ASSERT_STR_EQ(tf_file_path(f), temp);
  ASSERT_OK(tf_file_close(f)); /* still deletes as before */
  ASSERT(!tf_test_exists(temp));
  ASSERT_OK(tf_file_free(f));
}

TEST(test_publish_across_file_systems_is_exdev_and_handle_stays) {
  static const char *const others[] = {"/dev/shm", "/run", "/var/tmp", "/tmp",
                                       "/"};
  tf_file *f = NULL;
  char target[64];
  struct stat here, there;
  size_t i;
  CHECK_SYS(stat(".", &here));
  for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
    if (stat(others[i], &there) == 0 && there.st_dev != here.st_dev)
      break;
  if (i == sizeof(others) / sizeof(others[0]))
    FAIL("no second file system among /dev/shm, /run, /var/tmp, /tmp, /");
  snprintf(target, sizeof(target), "%s/tf-exdev-%d", others[i], (int)getpid());
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_ERR(tf_file_publish(f, target, 0, 0), -EXDEV);
  ASSERT(!tf_test_exists(target));
  ASSERT(tf_test_exists(tf_file_path(f)));
  ASSERT_OK(tf_file_free(f));
}

TEST(test_publishat_relative_to_dirfd) {
  tf_file *f = NULL;
  int dfd;
  CHECK_SYS(mkdir("dest", 0700));
  dfd = open("dest", O_PATH | O_DIRECTORY | O_CLOEXEC);
  CHECK_SYS(dfd);
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_file_publishat(f, dfd, "out.txt", 0, 0));
  ASSERT_STR_EQ(tf_file_path(f), "out.txt");
  ASSERT(tf_test_exists("dest/out.txt"));
  ASSERT_OK(tf_file_free(f));
  close(dfd);
  CHECK_SYS(unlink("dest/out.txt"));
  CHECK_SYS(rmdir("dest"));
}

TEST(test_publish_flushes_the_stream_before_the_name_appears) {
  tf_file *f = NULL;
  FILE *fp = NULL;
  struct stat st;
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_file_stream(f, &fp));
  fputs("buffered", fp); /* still in the stdio buffer */
  ASSERT_OK(tf_file_publish(f, "final", 0, 0));
  ASSERT_EQ(stat("final", &st), 0);
  ASSERT_EQ(st.st_size, 8);
  ASSERT_OK(tf_file_free(f));
  CHECK_SYS(unlink("final"));
}

TEST(test_named_file_createat_accepts_at_fdcwd) {
  tf_file *f = NULL;
  ASSERT_OK(tf_file_createat(&f, AT_FDCWD, NULL));
  ASSERT_EQ(tf_test_count_entries("."), 1);
  CHECK_SYS(chdir("/")); /* the handle opened its own anchor */
  ASSERT_OK(tf_file_free(f));
  CHECK_SYS(chdir(tf_test_dir()));
  ASSERT_EQ(tf_test_count_entries("."), 0);
}
