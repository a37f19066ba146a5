/* SPDX-License-Identifier: MIT */
/*
 * test_spool.c - tf_spool: CPython's TestSpooledTemporaryFile behaviours
 * that apply to C, the stream, and "nothing lost": rollover failures made
 * real (a full tmpfs, no fds left, no permission) and injected at every
 * step, allocation failures, and a full disk after rollover.
 */
#include "harness.h"
#include "fault.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

static tf_spool *new_spool(size_t max_size) {
  tf_spool *s = NULL;
  tf_opts o = TF_OPTS_INIT;
  o.dir = tf_test_fast_dir();
  ASSERT_OK(tf_spool_create(&s, max_size, &o));
  return s;
}

static void put(tf_spool *s, const void *data, size_t n) {
  ASSERT_EQ(tf_spool_write(s, data, n), n);
}

static void put_str(tf_spool *s, const char *text) { put(s, text, strlen(text)); }

/* The whole contents, through the spool's own calls; the position is
 * kept.  malloc'd, NUL-terminated; *len (OUT) its length. */
static char *contents(tf_spool *s, size_t *len) {
  int64_t pos = tf_spool_tell(s), size = tf_spool_size(s);
  char *buf;
  ASSERT_GE(pos, 0);
  ASSERT_GE(size, 0);
  buf = malloc((size_t)size + 1);
  ASSERT(buf != NULL);
  ASSERT_EQ(tf_spool_seek(s, 0, SEEK_SET), 0);
  ASSERT_EQ(tf_spool_read(s, buf, (size_t)size + 1), size);
  buf[size] = '\0';
  ASSERT_EQ(tf_spool_seek(s, pos, SEEK_SET), pos);
  *len = (size_t)size;
  return buf;
}

static void assert_contents(tf_spool *s, const char *want) {
  size_t len;
  char *got = contents(s, &len);
  ASSERT_EQ(len, strlen(want));
  ASSERT_STR_EQ(got, want);
  free(got);
}

/* The spool holds exactly model[0, len). */
static void assert_bytes(tf_spool *s, const unsigned char *model, size_t len) {
  size_t got_len, i;
  char *got = contents(s, &got_len);
  ASSERT_EQ(got_len, len);
  for (i = 0; i < len; i++)
    if ((unsigned char)got[i] != model[i])
      FAIL("byte %zu: %u, expected %u", i, (unsigned char)got[i], model[i]);
  free(got);
}

static void fill(unsigned char *buf, size_t n, unsigned seed) {
  size_t i;
  for (i = 0; i < n; i++)
    buf[i] = (unsigned char)(seed * 31u + i * 7u + (i >> 8));
}

/* ---------------------------------------------- CPython's behaviours */

TEST(test_spool_basic_creation_stays_in_memory) {
  tf_spool *s = NULL;
  tf_opts o = TF_OPTS_INIT;
  size_t max;
  o.prefix = "a";
  o.suffix = ".txt";
  for (max = 0; max <= 30; max += 30) {
    ASSERT_OK(tf_spool_create(&s, max, NULL));
    ASSERT_EQ(tf_spool_rolled(s), 0);
    ASSERT_EQ(tf_spool_size(s), 0);
    ASSERT_EQ(tf_spool_tell(s), 0);
    ASSERT_OK(tf_spool_free(s));
    ASSERT_OK(tf_spool_create(&s, max, &o));
    ASSERT_EQ(tf_spool_rolled(s), 0);
    ASSERT_OK(tf_spool_free(s));
  }
  ASSERT_EQ(tf_test_count_entries(tf_test_dir()), 0);
}

TEST(test_spool_bad_arguments_are_einval_before_any_effect) {
  tf_spool *s = (tf_spool *)&s;
  tf_opts o = TF_OPTS_INIT;
  ASSERT_ERR(tf_spool_create(NULL, 10, NULL), -EINVAL);
  o.flags = TF_KEEP;
  ASSERT_ERR(tf_spool_create(&s, 10, &o), -EINVAL);
  o.flags = 0;
  o.prefix = "a/b";
  ASSERT_ERR(tf_spool_create(&s, 10, &o), -EINVAL);
  o.prefix = NULL;
  o.open_flags = O_APPEND;
  ASSERT_ERR(tf_spool_create(&s, 10, &o), -EINVAL);
  o.open_flags = 0;
  o.dir = "";
  ASSERT_ERR(tf_spool_create(&s, 10, &o), -EINVAL);
  o.dir = "/tmp";
  ASSERT_ERR(tf_spool_createat(&s, 10, -5, NULL), -EBADF);
  ASSERT_ERR(tf_spool_createat(&s, 10, AT_FDCWD, &o), -EINVAL); /* dir */
  ASSERT_ERR(tf_spool_createat(&s, 10, 3, &o), -EINVAL); /* with at */
  ASSERT(s == (tf_spool *)&s); /* untouched */
  ASSERT_ERR(tf_spool_write(NULL, "x", 1), -EINVAL);
  ASSERT_ERR(tf_spool_read(NULL, &o, 1), -EINVAL);
  ASSERT_ERR(tf_spool_seek(NULL, 0, SEEK_SET), -EINVAL);
  ASSERT_ERR(tf_spool_truncate(NULL, 0), -EINVAL);
  ASSERT_ERR(tf_spool_fd(NULL), -EINVAL);
  ASSERT_ERR(tf_spool_rolled(NULL), -EINVAL);
  ASSERT_EQ(tf_spool_close(NULL), 0);
  ASSERT_EQ(tf_spool_free(NULL), 0);

  s = new_spool(10);
  ASSERT_ERR(tf_spool_seek(s, 0, 42), -EINVAL);
  ASSERT_ERR(tf_spool_seek(s, -1, SEEK_SET), -EINVAL);
  ASSERT_ERR(tf_spool_truncate(s, -2), -EINVAL);
  ASSERT_ERR(tf_spool_write(s, NULL, 1), -EINVAL);
  ASSERT_ERR(tf_spool_writev(s, NULL, 1), -EINVAL);
  ASSERT_ERR(tf_spool_writev(s, NULL, -1), -EINVAL);
  ASSERT_EQ(tf_spool_tell(s), 0);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_OK(tf_spool_free(s));
}

/* test_del_on_close: the rolled file has no name, so nothing is ever in
 * the directory, and closing releases it. */
static void rolled_file_leaves_nothing(void) {
  tf_spool *s = new_spool(10);
  int fd;
  struct stat st;
  put_str(s, "0123456789abc");
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_EQ(tf_test_count_entries(tf_test_fast_dir()), 0);
  fd = tf_spool_fd(s);
  ASSERT_GE(fd, 0);
  CHECK_SYS(fstat(fd, &st));
  ASSERT_EQ(st.st_nlink, 0);
  ASSERT_EQ(st.st_size, 13);
  ASSERT_OK(tf_spool_close(s));
  ASSERT_EQ(fcntl(fd, F_GETFD), -1); /* closed */
  ASSERT_EQ(tf_test_count_entries(tf_test_fast_dir()), 0);
  ASSERT_OK(tf_spool_free(s));
}

TEST(test_spool_deleted_on_close) { rolled_file_leaves_nothing(); }

TEST(test_spool_deleted_on_close_without_o_tmpfile) {
  tf_test_without_o_tmpfile();
  rolled_file_leaves_nothing();
  tf_test_restore_syscalls();
}

TEST(test_spool_rewrite_small_stays_in_memory) {
  tf_spool *s = new_spool(30);
  int i;
  char x[20];
  memset(x, 'x', sizeof(x));
  for (i = 0; i < 20; i++) {
    ASSERT_EQ(tf_spool_seek(s, 0, SEEK_SET), 0);
    put(s, x, sizeof(x));
  }
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_EQ(tf_spool_size(s), 20);
  ASSERT_OK(tf_spool_free(s));
}

TEST(test_spool_write_sequential_exactly_max_size_stays) {
  tf_spool *s = new_spool(30);
  char x[20];
  memset(x, 'x', sizeof(x));
  put(s, x, 20);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  put(s, x, 10);
  ASSERT_EQ(tf_spool_rolled(s), 0); /* exactly max_size */
  ASSERT_EQ(tf__test_spool_memory(s), 30);
  put(s, x, 1);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_EQ(tf_spool_size(s), 31);
  ASSERT_EQ(tf_spool_tell(s), 31);
  assert_contents(s, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  ASSERT_OK(tf_spool_free(s));
}

TEST(test_spool_max_size_zero_never_rolls_on_write) {
  tf_spool *s = new_spool(0);
  static unsigned char big[3 << 20];
  fill(big, sizeof(big), 1);
  put(s, big, sizeof(big));
  put(s, big, 100);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_EQ(tf_spool_size(s), sizeof(big) + 100);
  ASSERT_OK(tf_spool_rollover(s));
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_EQ(tf_spool_seek(s, 0, SEEK_SET), 0);
  {
    static unsigned char back[3 << 20];
    ASSERT_EQ(tf_spool_read(s, back, sizeof(back)), sizeof(back));
    ASSERT(memcmp(back, big, sizeof(big)) == 0);
  }
  ASSERT_OK(tf_spool_free(s));
}

/* test_writelines and gh-127371: pieces are counted one by one. */
TEST(test_spool_writev_rolls_over_in_the_middle) {
  struct iovec iov[100];
  tf_spool *s = new_spool(35);
  int i;
  for (i = 0; i < 100; i++) {
    iov[i].iov_base = (void *)"xyz";
    iov[i].iov_len = 3;
  }
  ASSERT_EQ(tf_spool_writev(s, iov, 11), 33);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_LE(tf__test_spool_memory(s), 35);
  ASSERT_EQ(tf_spool_writev(s, iov, 100), 300);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_EQ(tf_spool_size(s), 333);
  {
    size_t len, k;
    char *got = contents(s, &len);
    ASSERT_EQ(len, 333);
    for (k = 0; k < len; k++)
      ASSERT_EQ(got[k], "xyz"[k % 3]);
    free(got);
  }
  ASSERT_OK(tf_spool_free(s));
}

TEST(test_spool_writev_sequential) {
  struct iovec iov[3];
  tf_spool *s = new_spool(35);
  char x[20];
  memset(x, 'x', sizeof(x));
  iov[0].iov_base = x;
  iov[0].iov_len = 20;
  iov[1].iov_base = x;
  iov[1].iov_len = 10;
  iov[2].iov_base = x;
  iov[2].iov_len = 5;
  ASSERT_EQ(tf_spool_writev(s, iov, 3), 35);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_EQ(tf_spool_writev(s, iov + 2, 1), 5);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_EQ(tf_spool_writev(s, iov, 0), 0);
  ASSERT_EQ(tf_spool_size(s), 40);
  ASSERT_OK(tf_spool_free(s));
}

/* test_sparse: seeking past the end does not roll over; the write does,
 * and the gap reads as zeros. */
TEST(test_spool_sparse) {
  tf_spool *s = new_spool(30);
  unsigned char buf[101], zeros[100];
  ASSERT_EQ(tf_spool_seek(s, 100, SEEK_SET), 100);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_EQ(tf_spool_size(s), 0);
  put(s, "x", 1);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_EQ(tf_spool_size(s), 101);
  ASSERT_EQ(tf_spool_seek(s, 0, SEEK_SET), 0);
  ASSERT_EQ(tf_spool_read(s, buf, sizeof(buf)), 101);
  memset(zeros, 0, sizeof(zeros));
  ASSERT(memcmp(buf, zeros, 100) == 0);
  ASSERT_EQ(buf[100], 'x');
  ASSERT_OK(tf_spool_free(s));

  s = new_spool(300); /* the same gap, in memory */
  ASSERT_EQ(tf_spool_seek(s, 100, SEEK_SET), 100);
  put(s, "x", 1);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_EQ(tf_spool_seek(s, 0, SEEK_SET), 0);
  ASSERT_EQ(tf_spool_read(s, buf, sizeof(buf)), 101);
  ASSERT(memcmp(buf, zeros, 100) == 0);
  ASSERT_EQ(buf[100], 'x');
  ASSERT_OK(tf_spool_free(s));
}

TEST(test_spool_fd_forces_rollover) {
  tf_spool *s = new_spool(30);
  int fd;
  char buf[8];
  put_str(s, "hello");
  ASSERT_EQ(tf_spool_rolled(s), 0);
  fd = tf_spool_fd(s);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_EQ(tf_spool_fd(s), fd); /* the same fd every time */
  /* The fd's offset is the position, and the two mix. */
  ASSERT_EQ(lseek(fd, 0, SEEK_CUR), 5);
  ASSERT_EQ(write(fd, " you", 4), 4);
  ASSERT_EQ(tf_spool_tell(s), 9);
  ASSERT_EQ(tf_spool_size(s), 9);
  put_str(s, "!");
  ASSERT_EQ(pread(fd, buf, sizeof(buf), 2), 8);
  ASSERT(memcmp(buf, "llo you!", 8) == 0);
  ASSERT_EQ(tf_spool_truncate(s, TF_SPOOL_HERE), 10);
  assert_contents(s, "hello you!");
  ASSERT_OK(tf_spool_free(s));
}

TEST(test_spool_multiple_close_before_and_after_rollover) {
  int rolled;
  for (rolled = 0; rolled <= 1; rolled++) {
    tf_spool *s = new_spool(10);
    FILE *fp;
    char c;
    put_str(s, rolled ? "abcdefghijk" : "abc");
    ASSERT_EQ(tf_spool_rolled(s), rolled);
    ASSERT_OK(tf_spool_stream(s, &fp));
    ASSERT_OK(tf_spool_close(s));
    ASSERT_OK(tf_spool_close(s));
    ASSERT_ERR(tf_spool_write(s, "x", 1), -EBADF);
    ASSERT_ERR(tf_spool_read(s, &c, 1), -EBADF);
    ASSERT_ERR(tf_spool_seek(s, 0, SEEK_SET), -EBADF);
    ASSERT_ERR(tf_spool_tell(s), -EBADF);
    ASSERT_ERR(tf_spool_truncate(s, 0), -EBADF);
    ASSERT_ERR(tf_spool_flush(s), -EBADF);
    ASSERT_ERR(tf_spool_size(s), -EBADF);
    ASSERT_ERR(tf_spool_rollover(s), -EBADF);
    ASSERT_ERR(tf_spool_fd(s), -EBADF);
    ASSERT_ERR(tf_spool_stream(s, &fp), -EBADF);
    ASSERT_EQ(tf_spool_rolled(s), rolled);
    ASSERT_OK(tf_spool_free(s));
  }
}

/* test_truncate_with_size_parameter */
TEST(test_spool_truncate_with_and_without_size) {
  tf_spool *s = new_spool(10);
  int fd;
  struct stat st;
  put_str(s, "abcdefg\n");
  ASSERT_EQ(tf_spool_seek(s, 0, SEEK_SET), 0);
  ASSERT_EQ(tf_spool_truncate(s, TF_SPOOL_HERE), 0);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  assert_contents(s, "");
  ASSERT_OK(tf_spool_free(s));

  s = new_spool(10);
  put_str(s, "abcdefg\n");
  ASSERT_EQ(tf_spool_truncate(s, 4), 4);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_EQ(tf_spool_tell(s), 8); /* the position does not move */
  assert_contents(s, "abcd");
  ASSERT_OK(tf_spool_free(s));

  s = new_spool(10);
  put_str(s, "abcdefg\n");
  ASSERT_EQ(tf_spool_truncate(s, 20), 20);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  fd = tf_spool_fd(s);
  ASSERT_GE(fd, 0);
  CHECK_SYS(fstat(fd, &st));
  ASSERT_EQ(st.st_size, 20);
  ASSERT_OK(tf_spool_free(s));

  /* Growing in memory fills with zeros, as a file does. */
  s = new_spool(10);
  put_str(s, "ab");
  ASSERT_EQ(tf_spool_truncate(s, 5), 5);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  {
    char buf[8];
    ASSERT_EQ(tf_spool_seek(s, 0, SEEK_SET), 0);
    ASSERT_EQ(tf_spool_read(s, buf, sizeof(buf)), 5);
    ASSERT(memcmp(buf, "ab\0\0\0", 5) == 0);
  }
  /* At a position past max_size, truncate rolls rather than grow
   * memory past it. */
  ASSERT_EQ(tf_spool_seek(s, 11, SEEK_SET), 11);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_EQ(tf_spool_truncate(s, TF_SPOOL_HERE), 11);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_EQ(tf_spool_size(s), 11);
  ASSERT_OK(tf_spool_free(s));

  /* max_size 0: any positive size rolls over, as in CPython; 0 does not. */
  s = new_spool(0);
  put_str(s, "abcdef");
  ASSERT_EQ(tf_spool_truncate(s, 0), 0);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_EQ(tf_spool_truncate(s, TF_SPOOL_HERE), 6);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_EQ(tf_spool_truncate(s, 3), 3);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_OK(tf_spool_free(s));
}

/* test_properties: what the spool reports is the same before and after
 * the move. */
TEST(test_spool_properties_before_and_after_rollover) {
  tf_spool *s = new_spool(30);
  char buf[64];
  put_str(s, "hello world");
  ASSERT_EQ(tf_spool_seek(s, 6, SEEK_SET), 6);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_EQ(tf_spool_size(s), 11);
  ASSERT_OK(tf_spool_rollover(s));
  ASSERT_OK(tf_spool_rollover(s)); /* idempotent */
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_EQ(tf_spool_size(s), 11);
  ASSERT_EQ(tf_spool_tell(s), 6);
  ASSERT_EQ(tf_spool_read(s, buf, sizeof(buf)), 5);
  ASSERT(memcmp(buf, "world", 5) == 0);
  ASSERT_EQ(tf_spool_seek(s, -3, SEEK_END), 8);
  ASSERT_EQ(tf_spool_seek(s, 2, SEEK_CUR), 10);
  ASSERT_ERR(tf_spool_seek(s, -11, SEEK_CUR), -EINVAL);
  ASSERT_EQ(tf_spool_tell(s), 10); /* a refused seek moves nothing */
  ASSERT_EQ(tf_spool_read(s, buf, sizeof(buf)), 1);
  ASSERT_EQ(tf_spool_read(s, buf, sizeof(buf)), 0);
  ASSERT_OK(tf_spool_flush(s));
  ASSERT_OK(tf_spool_free(s));
}

TEST(test_spool_rollover_goes_to_opts_dir_resolved_at_creation) {
  tf_spool *s = NULL;
  tf_opts o = TF_OPTS_INIT;
  char sub[PATH_MAX + 8];
  int fd;
  char link[64], target[PATH_MAX];
  ssize_t n;
  snprintf(sub, sizeof(sub), "%s/sub", tf_test_dir());
  CHECK_SYS(mkdir(sub, 0700));
  o.dir = "sub"; /* relative: resolved now, against the cwd */
  ASSERT_OK(tf_spool_create(&s, 4, &o));
  CHECK_SYS(chdir("/"));
  put_str(s, "hello");
  ASSERT_EQ(tf_spool_rolled(s), 1);
  fd = tf_spool_fd(s);
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  n = readlink(link, target, sizeof(target) - 1);
  ASSERT_GT(n, 0);
  target[n] = '\0';
  ASSERT(strncmp(target, sub, strlen(sub)) == 0);
  ASSERT_OK(tf_spool_free(s));
  CHECK_SYS(chdir(tf_test_dir()));
  CHECK_SYS(rmdir(sub));
}

TEST(test_spool_createat_rolls_into_that_directory) {
  tf_spool *s = NULL;
  int dfd = open(tf_test_fast_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st, dst;
  CHECK_SYS(dfd);
  ASSERT_OK(tf_spool_createat(&s, 2, dfd, NULL));
  close(dfd); /* the spool keeps its own */
  put_str(s, "abc");
  ASSERT_EQ(tf_spool_rolled(s), 1);
  CHECK_SYS(fstat(tf_spool_fd(s), &st));
  CHECK_SYS(stat(tf_test_fast_dir(), &dst));
  ASSERT_EQ(st.st_dev, dst.st_dev);
  ASSERT_OK(tf_spool_free(s));
}

/* ------------------------------------------------------------- streams */

TEST(test_spool_stream_works_before_during_and_after_rollover) {
  tf_spool *s = new_spool(64);
  FILE *fp, *again;
  char line[128];
  int i;
  ASSERT_OK(tf_spool_stream(s, &fp));
  ASSERT_OK(tf_spool_stream(s, &again));
  ASSERT(fp == again);
  for (i = 0; i < 10; i++) /* 10 lines of 11 bytes, past max_size */
    ASSERT_EQ(fprintf(fp, "line %05d\n", i), 11);
  ASSERT_EQ(tf_spool_rolled(s), 1); /* it flushes the stream first */
  ASSERT_EQ(ftell(fp), 110);
  ASSERT_EQ(tf_spool_tell(s), 110);
  ASSERT_EQ(fseek(fp, 0, SEEK_SET), 0);
  for (i = 0; i < 10; i++) {
    char want[16];
    ASSERT(fgets(line, sizeof(line), fp) != NULL);
    snprintf(want, sizeof(want), "line %05d\n", i);
    ASSERT_STR_EQ(line, want);
  }
  ASSERT(fgets(line, sizeof(line), fp) == NULL);
  ASSERT(feof(fp));
  ASSERT_OK(tf_spool_free(s)); /* closes the stream */
}

TEST(test_spool_stream_and_direct_calls_are_coherent) {
  int rolled;
  for (rolled = 0; rolled <= 1; rolled++) {
    tf_spool *s = new_spool(rolled ? 4 : 1000);
    FILE *fp;
    char buf[32];
    ASSERT_OK(tf_spool_stream(s, &fp));
    ASSERT_GE(fputs("stream ", fp), 0);
    put_str(s, "direct ");
    ASSERT_EQ(fwrite("stream\n", 1, 7, fp), 7);
    ASSERT_EQ(tf_spool_tell(s), 21);
    ASSERT_EQ(ftell(fp), 21);
    assert_contents(s, "stream direct stream\n");
    /* Read through one, write through the other. */
    ASSERT_EQ(tf_spool_seek(s, 0, SEEK_SET), 0);
    ASSERT_EQ(fgetc(fp), 's');
    ASSERT_EQ(ftell(fp), 1);
    ASSERT_EQ(tf_spool_tell(s), 1);
    ASSERT_EQ(tf_spool_read(s, buf, 6), 6);
    ASSERT(memcmp(buf, "tream ", 6) == 0);
    ASSERT_EQ(fread(buf, 1, 6, fp), 6);
    ASSERT(memcmp(buf, "direct", 6) == 0);
    ASSERT_EQ(fseek(fp, 0, SEEK_CUR), 0); /* C: a seek between read and write */
    ASSERT_EQ(fputc('_', fp), '_');
    ASSERT_EQ(tf_spool_seek(s, -1, SEEK_END), 20);
    ASSERT_EQ(fseek(fp, 0, SEEK_END), 0);
    ASSERT_EQ(ftell(fp), 21);
    ASSERT_EQ(tf_spool_rolled(s), rolled);
    assert_contents(s, "stream direct_stream\n");
    ASSERT_OK(tf_spool_free(s));
  }
}

TEST(test_spool_stream_survives_fd_exposure_and_truncate) {
  tf_spool *s = new_spool(100);
  FILE *fp;
  char line[32];
  int fd;
  ASSERT_OK(tf_spool_stream(s, &fp));
  fputs("one\ntwo\n", fp);
  fd = tf_spool_fd(s);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "three\n", 6), 6);
  ASSERT_EQ(ftell(fp), 14);
  rewind(fp);
  ASSERT(fgets(line, sizeof(line), fp) != NULL);
  ASSERT_STR_EQ(line, "one\n");
  ASSERT_EQ(tf_spool_truncate(s, TF_SPOOL_HERE), 4);
  ASSERT(fgets(line, sizeof(line), fp) == NULL);
  ASSERT_OK(tf_spool_free(s));
}

TEST(test_spool_stream_closed_by_the_caller_is_forgotten) {
  tf_spool *s = new_spool(100);
  FILE *fp, *fp2;
  ASSERT_OK(tf_spool_stream(s, &fp));
  fputs("abc", fp);
  ASSERT_EQ(fclose(fp), 0); /* against the advice, but harmless */
  put_str(s, "def");
  ASSERT_OK(tf_spool_stream(s, &fp2)); /* a new one */
  rewind(fp2);
  ASSERT_EQ(fgetc(fp2), 'a');
  assert_contents(s, "abcdef");
  ASSERT_OK(tf_spool_free(s));
}

TEST(test_spool_stream_write_failure_loses_nothing_accepted) {
  tf_spool *s = new_spool(8);
  FILE *fp;
  tf_test_without_o_tmpfile(); /* and the fallback's open fails: */
  ASSERT_OK(tf_spool_stream(s, &fp));
  ASSERT_GE(fputs("12345678", fp), 0);
  ASSERT_GE(fputs("9", fp), 0); /* accepted: in the stream's buffer */
  tf__fault_arm(TF_SYS_openat, 1, ENOSPC);
  errno = 0;
  ASSERT_EQ(fflush(fp), EOF); /* the rollover fails */
  ASSERT_EQ(errno, ENOSPC);
  ASSERT(tf__fault_fired());
  tf__fault_disarm();
  tf_test_restore_syscalls();
  ASSERT(ferror(fp));
  clearerr(fp);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  assert_contents(s, "123456789"); /* kept, in memory past max_size */
  ASSERT_GE(fputs("0", fp), 0);
  ASSERT_EQ(fflush(fp), 0); /* and it tries again */
  ASSERT_EQ(tf_spool_rolled(s), 1);
  assert_contents(s, "1234567890");
  ASSERT_OK(tf_spool_free(s));
}

/* ------------------------------------------------------- nothing lost */

/* The data of a spool that failed to roll over is whole, it is still in
 * memory, and the directory is empty. */
static void assert_intact_in_memory(tf_spool *s, const unsigned char *model,
                                    size_t len, const char *dir) {
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_EQ(tf_spool_size(s), len);
  ASSERT_EQ(tf_spool_tell(s), len);
  assert_bytes(s, model, len);
  ASSERT_EQ(tf_test_count_entries(dir), 0);
}

/* Every step of the rollover fails in turn (each system call and
 * allocation it makes); each time the write fails with that error and
 * changes nothing, and the next write rolls over. */
static void sweep_rollover(int err, int without_o_tmpfile) {
  static unsigned char model[5000];
  unsigned long nth;
  int failures = 0;
  fill(model, sizeof(model), 3);
  for (nth = 1; nth < 100; nth++) {
    tf_spool *s = new_spool(4096);
    long mem;
    ssize_t w;
    int fired_id;
    put(s, model, 4096);
    mem = tf__alloc_outstanding();
    if (without_o_tmpfile)
      tf_test_without_o_tmpfile();
    tf__fault_arm(TF_SYS_ANY, nth, err);
    w = tf_spool_write(s, model + 4096, 904);
    fired_id = tf__fault_fired_id();
    if (!tf__fault_fired()) {
      tf__fault_disarm();
      tf_test_restore_syscalls();
      ASSERT_EQ(w, 904);
      ASSERT_EQ(tf_spool_rolled(s), 1);
      assert_bytes(s, model, 5000);
      ASSERT_OK(tf_spool_free(s));
      break;
    }
    tf__fault_disarm();
    tf_test_restore_syscalls();
    if (w >= 0) { /* a failure it recovered from (EINTR...) */
      ASSERT_EQ(w, 904);
      assert_bytes(s, model, 5000);
    } else {
      failures++;
      /* (a failed allocation is -ENOMEM whatever errno it was given) */
      ASSERT_ERR(w, fired_id == TF_SYS_malloc ? -ENOMEM : -err);
      ASSERT_EQ(tf__alloc_outstanding(), mem); /* nothing half-made */
      assert_intact_in_memory(s, model, 4096, tf_test_fast_dir());
      ASSERT_EQ(tf_spool_write(s, model + 4096, 904), 904); /* again */
      ASSERT_EQ(tf_spool_rolled(s), 1);
      assert_bytes(s, model, 5000);
    }
    ASSERT_OK(tf_spool_free(s));
  }
  if (err == EINTR) /* retried (a close: success), never seen */
    ASSERT_EQ(failures, 0);
  else
    ASSERT_GE(failures, without_o_tmpfile ? 4 : 3);
  ASSERT_LT(nth, 100);
}

TEST(test_spool_rollover_fault_sweep_eio) { sweep_rollover(EIO, 0); }
TEST(test_spool_rollover_fault_sweep_enospc) { sweep_rollover(ENOSPC, 0); }
TEST(test_spool_rollover_fault_sweep_emfile) { sweep_rollover(EMFILE, 0); }
TEST(test_spool_rollover_fault_sweep_eacces) { sweep_rollover(EACCES, 0); }
TEST(test_spool_rollover_fault_sweep_fallback_eio) { sweep_rollover(EIO, 1); }
TEST(test_spool_rollover_fault_sweep_eintr) { sweep_rollover(EINTR, 0); }
TEST(test_spool_rollover_fault_sweep_fallback_eintr) {
  sweep_rollover(EINTR, 1);
}

TEST(test_spool_rollover_without_fds_is_emfile_and_loses_nothing) {
  static unsigned char model[300];
  struct rlimit old, low;
  tf_spool *s = new_spool(200);
  int fd;
  fill(model, sizeof(model), 5);
  put(s, model, 200);
  /* No fd left: the lowest free fd is the limit. */
  fd = dup(0);
  CHECK_SYS(fd);
  close(fd);
  CHECK_SYS(getrlimit(RLIMIT_NOFILE, &old));
  low = old;
  low.rlim_cur = (rlim_t)fd;
  CHECK_SYS(setrlimit(RLIMIT_NOFILE, &low));
  ASSERT_ERR(tf_spool_write(s, model + 200, 100), -EMFILE);
  ASSERT_ERR(tf_spool_rollover(s), -EMFILE);
  ASSERT_ERR(tf_spool_fd(s), -EMFILE);
  ASSERT_ERR(tf_spool_truncate(s, 201), -EMFILE);
  CHECK_SYS(setrlimit(RLIMIT_NOFILE, &old)); /* (listing takes an fd) */
  assert_intact_in_memory(s, model, 200, tf_test_fast_dir());
  put(s, model + 200, 100);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  assert_bytes(s, model, 300);
  ASSERT_OK(tf_spool_free(s));
}

static void rollover_denied(void *arg) {
  static unsigned char model[3000];
  tf_spool *s = NULL;
  tf_opts o = TF_OPTS_INIT;
  (void)arg;
  fill(model, sizeof(model), 6);
  CHECK_SYS(mkdir("ro", 0500));
  o.dir = "ro";
  ASSERT_OK(tf_spool_create(&s, 2000, &o));
  put(s, model, 2000);
  ASSERT_ERR(tf_spool_write(s, model + 2000, 1000), -EACCES);
  assert_intact_in_memory(s, model, 2000, "ro");
  CHECK_SYS(chmod("ro", 0700));
  put(s, model + 2000, 1000);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  assert_bytes(s, model, 3000);
  ASSERT_OK(tf_spool_free(s));
  ASSERT_EQ(tf_test_count_entries("ro"), 0);
  CHECK_SYS(rmdir("ro"));
}

TEST(test_spool_rollover_denied_is_eacces_and_loses_nothing) {
  ASSERT_EQ(tf_test_run_unprivileged_at_home(rollover_denied, NULL), 0);
}

/* In a child in a private mount namespace (tf_test_run_in_mount_ns()):
 * fn runs with "small", a directory it mounts a tmpfs on. */
static void with_small_dir(void *fn) {
  CHECK_SYS(mkdir("small", 0700));
  ((void (*)(void))fn)();
  CHECK_SYS(umount("small"));
  CHECK_SYS(rmdir("small"));
}

/* (first in its test: a skip must leave nothing behind) */
static void in_mount_ns(void (*fn)(void)) {
  tf_test_skip_unless_mount_ns();
  ASSERT_EQ(tf_test_run_in_mount_ns(with_small_dir, (void *)fn), 0);
}

static unsigned long long free_bytes(const char *dir) {
  struct statvfs v;
  CHECK_SYS(statvfs(dir, &v));
  return (unsigned long long)v.f_bfree * v.f_frsize;
}

static void rollover_onto_full_disk(void) {
  static unsigned char model[300 << 10];
  tf_spool *s = NULL;
  tf_opts o = TF_OPTS_INIT;
  unsigned long long free_before;
  fill(model, sizeof(model), 7);
  if (mount("tmpfs", "small", "tmpfs", 0, "size=64k,mode=0700") != 0)
    FAIL("mount tmpfs: %s", strerror(errno));
  free_before = free_bytes("small");
  o.dir = "small";
  ASSERT_OK(tf_spool_create(&s, 256 << 10, &o));
  put(s, model, 200 << 10);
  ASSERT_ERR(tf_spool_write(s, model + (200 << 10), 100 << 10), -ENOSPC);
  ASSERT_EQ(free_bytes("small"), free_before); /* no block kept */
  assert_intact_in_memory(s, model, 200 << 10, "small");
  ASSERT_ERR(tf_spool_rollover(s), -ENOSPC);
  assert_intact_in_memory(s, model, 200 << 10, "small");
  /* Room is made: the same write now succeeds, and nothing was lost. */
  if (mount("tmpfs", "small", "tmpfs", MS_REMOUNT, "size=2m") != 0)
    FAIL("remount tmpfs: %s", strerror(errno));
  free_before = free_bytes("small");
  put(s, model + (200 << 10), 100 << 10);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  assert_bytes(s, model, 300 << 10);
  ASSERT_OK(tf_spool_free(s));
  ASSERT_EQ(free_bytes("small"), free_before);
  ASSERT_EQ(tf_test_count_entries("small"), 0);
}

TEST(test_spool_rollover_onto_full_tmpfs_is_enospc_and_loses_nothing) {
  in_mount_ns(rollover_onto_full_disk);
}

/* After the rollover the disk fills up: the write that cannot be stored
 * fails, everything accepted before stays readable (some of it only in
 * the buffer), and a truncate makes room without losing the rest. */
static void disk_fills_after_rollover(void) {
  static unsigned char model[1 << 20];
  tf_spool *s = NULL;
  tf_opts o = TF_OPTS_INIT;
  size_t accepted = 0;
  ssize_t w = 0;
  fill(model, sizeof(model), 8);
  if (mount("tmpfs", "small", "tmpfs", 0, "size=256k,mode=0700") != 0)
    FAIL("mount tmpfs: %s", strerror(errno));
  o.dir = "small";
  ASSERT_OK(tf_spool_create(&s, 4096, &o));
  while (accepted < sizeof(model)) {
    w = tf_spool_write(s, model + accepted, 3000);
    if (w < 0)
      break;
    accepted += (size_t)w;
  }
  ASSERT_ERR(w, -ENOSPC);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_GE(accepted, 128 << 10);
  ASSERT_EQ(tf_spool_size(s), accepted);
  assert_bytes(s, model, accepted); /* reads need no write-back */
  ASSERT_ERR(tf_spool_write(s, model + accepted, 3000), -ENOSPC);
  ASSERT_ERR(tf_spool_flush(s), -ENOSPC);
  assert_bytes(s, model, accepted);
  ASSERT_EQ(tf_spool_truncate(s, 64 << 10), 64 << 10);
  ASSERT_OK(tf_spool_flush(s));
  assert_bytes(s, model, 64 << 10);
  ASSERT_EQ(tf_spool_seek(s, 0, SEEK_END), 64 << 10);
  put(s, model + (64 << 10), 3000);
  assert_bytes(s, model, (64 << 10) + 3000);
  ASSERT_OK(tf_spool_free(s));
}

TEST(test_spool_full_disk_after_rollover_loses_nothing_accepted) {
  in_mount_ns(disk_fills_after_rollover);
}

/* Every failing call of a long run after rollover: a write that fails
 * changes nothing (or reports the part it stored), and in the end the
 * spool holds exactly what was accepted. */
TEST_TIMEOUT(test_spool_faults_after_rollover_lose_nothing_accepted, 60) {
  static unsigned char model[400 << 10], back[400 << 10];
  unsigned long nth;
  int failures = 0;
  fill(model, sizeof(model), 9);
  for (nth = 1; nth < 400; nth++) {
    tf_spool *s = new_spool(5000);
    size_t accepted = 0, i;
    int fired;
    tf__fault_arm(TF_SYS_ANY, nth, EIO);
    for (i = 0; accepted < sizeof(model); i++) {
      size_t n = i % 7 == 6 ? 70000 : 1000 + (i * 977) % 5000;
      ssize_t w;
      if (n > sizeof(model) - accepted)
        n = sizeof(model) - accepted;
      w = tf_spool_write(s, model + accepted, n);
      if (w < 0) {
        ASSERT_ERR(w, tf__fault_fired_id() == TF_SYS_malloc ? -ENOMEM : -EIO);
        failures++;
        continue; /* the fault fires once: the retry goes through */
      }
      accepted += (size_t)w;
      if (i % 5 == 4) { /* read some back at a random place */
        size_t at = (i * 7919) % accepted, len = accepted - at;
        ssize_t r;
        if (len > 9000)
          len = 9000;
        ASSERT_EQ(tf_spool_seek(s, (int64_t)at, SEEK_SET), (int64_t)at);
        r = tf_spool_read(s, back, len);
        if (r == -EIO) {
          failures++;
          r = tf_spool_read(s, back, len);
        }
        ASSERT_EQ(r, len);
        ASSERT(memcmp(back, model + at, len) == 0);
        ASSERT_EQ(tf_spool_seek(s, 0, SEEK_END), (int64_t)accepted);
      }
    }
    fired = tf__fault_fired();
    tf__fault_disarm();
    assert_bytes(s, model, sizeof(model));
    ASSERT_OK(tf_spool_free(s));
    if (!fired)
      break;
  }
  ASSERT_GT(failures, 10); /* each system call of the run failed once */
  ASSERT_LT(nth, 400);
}

/* --------------------------------------------------------------- memory */

TEST(test_spool_memory_never_exceeds_max_size) {
  static unsigned char data[200000];
  size_t sizes[] = {1, 7, 100, 4096, 4097, 65536, 150000};
  size_t k;
  fill(data, sizeof(data), 10);
  for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
    size_t max = sizes[k], done = 0, i = 0;
    tf_spool *s = new_spool(max);
    while (!tf_spool_rolled(s)) {
      size_t n = 1 + (i++ * 131) % 3000;
      put(s, data + done % 100000, n);
      done += n;
      if (!tf_spool_rolled(s))
        ASSERT_LE(tf__test_spool_memory(s), max);
    }
    ASSERT_LE(tf__test_spool_memory(s), 64 << 10); /* the buffer only */
    ASSERT_OK(tf_spool_free(s));
  }
}

TEST(test_spool_allocation_failure_is_enomem_with_data_intact) {
  static unsigned char model[6 << 20];
  tf_spool *s = new_spool(0);
  size_t done = 0;
  int failures = 0;
  fill(model, sizeof(model), 11);
  while (done < sizeof(model)) {
    size_t n = 100000;
    ssize_t w;
    if (n > sizeof(model) - done)
      n = sizeof(model) - done;
    /* Fail the first allocation or mapping it makes, if any. */
    tf__fault_arm(TF_SYS_ANY, 1, ENOMEM);
    w = tf_spool_write(s, model + done, n);
    if (tf__fault_fired()) {
      ASSERT(tf__fault_fired_id() == TF_SYS_malloc ||
             tf__fault_fired_id() == TF_SYS_mapmem);
      ASSERT_ERR(w, -ENOMEM);
      ASSERT_EQ(tf_spool_size(s), done);
      ASSERT_EQ(tf_spool_tell(s), done);
      failures++;
      tf__fault_disarm();
      w = tf_spool_write(s, model + done, n);
    }
    tf__fault_disarm();
    ASSERT_EQ(w, n);
    done += n;
  }
  ASSERT_GE(failures, 5);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  assert_bytes(s, model, sizeof(model));
  ASSERT_OK(tf_spool_free(s));
}

TEST(test_spool_huge_offsets_are_refused_cleanly) {
  tf_spool *s = new_spool(0);
  ASSERT_EQ(tf_spool_seek(s, INT64_MAX, SEEK_SET), INT64_MAX);
  ASSERT_ERR(tf_spool_seek(s, 1, SEEK_CUR), -EOVERFLOW);
  ASSERT_ERR(tf_spool_write(s, "x", 1), -EFBIG);
  ASSERT_EQ(tf_spool_seek(s, (int64_t)1 << 50, SEEK_SET), (int64_t)1 << 50);
  ASSERT_ERR(tf_spool_write(s, "x", 1), -ENOMEM); /* 1 PiB of memory */
  ASSERT_EQ(tf_spool_size(s), 0);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_OK(tf_spool_free(s));
}
