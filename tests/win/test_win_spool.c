/* SPDX-License-Identifier: MIT */
/*
 * test_win_spool.c - tf_spool on Windows: the behaviours of the POSIX
 * tests (tests/test_spool.c, test_spool_stream.c) that do not need
 * POSIX (CPython's TestSpooledTemporaryFile, rollover at max_size,
 * failed rollovers and full disks that lose nothing, the stream and the
 * direct calls sharing one position), and the stream as Windows has it:
 * one on the rolled-over file.  The differential tests against a plain
 * file are in test_win_spool_diff.c.
 */
#include "win/win.h"

#include "harness_win.h"
#include "checks_win.h"
#include "shared.h" /* tf__spool_memory */
#include "sysfault_win.h"

#include <sys/stat.h>

/* ---- helpers */

static tf_spool *new_spool(size_t max_size) {
  tf_spool *s = NULL;
  ASSERT_OK(tf_spool_create(&s, max_size, NULL));
  return s;
}

static void put(tf_spool *s, const void *data, size_t n) {
  ASSERT_EQ(tf_spool_write(s, data, n), n);
}

static void put_str(tf_spool *s, const char *text) {
  put(s, text, strlen(text));
}

/* The whole contents through the spool's own calls, the position kept;
 * malloc'd, NUL added, *len its length. */
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

static void assert_bytes(tf_spool *s, const unsigned char *model, size_t len) {
  size_t got_len, i;
  char *got = contents(s, &got_len);
  ASSERT_EQ(got_len, len);
  for (i = 0; i < len; i++)
    if ((unsigned char)got[i] != model[i])
      FAIL("byte %lu: %u, expected %u", (unsigned long)i, (unsigned char)got[i], model[i]);
  free(got);
}

static void fill(unsigned char *buf, size_t n, unsigned seed) {
  size_t i;
  for (i = 0; i < n; i++)
    buf[i] = (unsigned char)(seed * 31u + i * 7u + (i >> 8));
}

static int64_t fd_size(int fd) {
  LARGE_INTEGER n;
  ASSERT(GetFileSizeEx((HANDLE)_get_osfhandle(fd), &n));
  return n.QuadPart;
}

/* A measure of the handles the process holds that grows with each one
 * opened: their count, or where Wine keeps none (0), the value the next
 * handle gets (free slots are given lowest first). */
static uintptr_t handle_mark(void) {
  HANDLE h;
  if (tw_handle_count() != 0)
    return tw_handle_count();
  h = CreateEventW(NULL, FALSE, FALSE, NULL);
  ASSERT(h != NULL);
  CloseHandle(h);
  return (uintptr_t)h;
}

/* 1 if fd is an open C runtime fd. */
static int fd_open(int fd) {
  return (HANDLE)_get_osfhandle(fd) != INVALID_HANDLE_VALUE;
}

/* ---- CPython's behaviours */

TEST(win_spool_creation_stays_in_memory_and_opens_nothing) {
  tf_spool *s = NULL;
  tf_opts o = TF_OPTS_INIT;
  uintptr_t before = handle_mark();
  size_t max;
  o.prefix = "a";
  o.suffix = ".txt";
  for (max = 0; max <= 30; max += 30) {
    ASSERT_OK(tf_spool_create(&s, max, NULL));
    ASSERT_EQ(tf_spool_rolled(s), 0);
    ASSERT_EQ(tf_spool_size(s), 0);
    ASSERT_EQ(tf_spool_tell(s), 0);
    put_str(s, "abc");
    ASSERT_EQ(handle_mark(), before); /* no file until rollover */
    ASSERT_OK(tf_spool_free(s));
    ASSERT_OK(tf_spool_create(&s, max, &o));
    ASSERT_EQ(tf_spool_rolled(s), 0);
    ASSERT_OK(tf_spool_free(s));
  }
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

TEST(win_spool_bad_arguments_are_einval_before_any_effect) {
  tf_spool *s = (tf_spool *)&s;
  tf_opts o = TF_OPTS_INIT;
  char c;
  ASSERT_ERR(tf_spool_create(NULL, 10, NULL), -EINVAL);
  o.flags = TF_KEEP;
  ASSERT_ERR(tf_spool_create(&s, 10, &o), -EINVAL);
  o.flags = 0;
  o.prefix = "a\\b";
  ASSERT_ERR(tf_spool_create(&s, 10, &o), -EINVAL);
  o.prefix = "a:b"; /* an NTFS stream */
  ASSERT_ERR(tf_spool_create(&s, 10, &o), -EINVAL);
  o.prefix = NULL;
  o.open_flags = O_APPEND;
  ASSERT_ERR(tf_spool_create(&s, 10, &o), -EINVAL);
  o.open_flags = 0;
  o.dir = "";
  ASSERT_ERR(tf_spool_create(&s, 10, &o), -EINVAL);
  ASSERT(s == (tf_spool *)&s); /* untouched */
  ASSERT_ERR(tf_spool_write(NULL, "x", 1), -EINVAL);
  ASSERT_ERR(tf_spool_read(NULL, &c, 1), -EINVAL);
  ASSERT_ERR(tf_spool_seek(NULL, 0, SEEK_SET), -EINVAL);
  ASSERT_ERR(tf_spool_tell(NULL), -EINVAL);
  ASSERT_ERR(tf_spool_truncate(NULL, 0), -EINVAL);
  ASSERT_ERR(tf_spool_flush(NULL), -EINVAL);
  ASSERT_ERR(tf_spool_size(NULL), -EINVAL);
  ASSERT_ERR(tf_spool_rollover(NULL), -EINVAL);
  ASSERT_ERR(tf_spool_fd(NULL), -EINVAL);
  ASSERT_ERR(tf_spool_rolled(NULL), -EINVAL);
  ASSERT_ERR(tf_spool_stream(NULL, NULL), -EINVAL);
  ASSERT_EQ(tf_spool_close(NULL), 0);
  ASSERT_EQ(tf_spool_free(NULL), 0);
  tf_spool_freep(NULL);

  s = new_spool(10);
  ASSERT_ERR(tf_spool_seek(s, 0, 42), -EINVAL);
  ASSERT_ERR(tf_spool_seek(s, -1, SEEK_SET), -EINVAL);
  ASSERT_ERR(tf_spool_truncate(s, -2), -EINVAL);
  ASSERT_ERR(tf_spool_write(s, NULL, 1), -EINVAL);
  ASSERT_ERR(tf_spool_read(s, NULL, 1), -EINVAL);
  ASSERT_ERR(tf_spool_stream(s, NULL), -EINVAL);
  ASSERT_EQ(tf_spool_tell(s), 0);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_OK(tf_spool_free(s));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

/* test_del_on_close: the rolled file is deleted with its last handle,
 * and closing the spool closes it. */
TEST(win_spool_rolled_file_goes_on_close) {
  tf_spool *s = new_spool(10);
  int fd;
  put_str(s, "0123456789abc");
  ASSERT_EQ(tf_spool_rolled(s), 1);
  fd = tf_spool_fd(s);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fd_size(fd), 13);
  ASSERT_OK(tf_spool_close(s));
  ASSERT(!fd_open(fd));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  ASSERT_OK(tf_spool_free(s));
}

TEST(win_spool_rewrite_small_stays_in_memory) {
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

TEST(win_spool_exactly_max_size_stays_one_more_byte_rolls) {
  tf_spool *s = new_spool(30);
  char x[20];
  memset(x, 'x', sizeof(x));
  put(s, x, 20);
  put(s, x, 10);
  ASSERT_EQ(tf_spool_rolled(s), 0); /* exactly max_size */
  ASSERT_EQ(tf__spool_memory(s), 30);
  put(s, x, 1);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_EQ(tf_spool_size(s), 31);
  ASSERT_EQ(tf_spool_tell(s), 31);
  assert_contents(s, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  ASSERT_OK(tf_spool_free(s));
}

/* 3 MiB in memory takes chunks from VirtualAlloc (2 MiB and up). */
TEST(win_spool_max_size_zero_never_rolls_on_write) {
  static unsigned char big[3 << 20], back[3 << 20];
  tf_spool *s = new_spool(0);
  fill(big, sizeof(big), 1);
  put(s, big, sizeof(big));
  put(s, big, 100);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_EQ(tf_spool_size(s), sizeof(big) + 100);
  ASSERT_OK(tf_spool_rollover(s));
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_EQ(tf_spool_seek(s, 0, SEEK_SET), 0);
  ASSERT_EQ(tf_spool_read(s, back, sizeof(back)), sizeof(back));
  ASSERT(memcmp(back, big, sizeof(big)) == 0);
  ASSERT_EQ(tf_spool_read(s, back, 200), 100);
  ASSERT(memcmp(back, big, 100) == 0);
  ASSERT_OK(tf_spool_free(s));
}

TEST(win_spool_gap_past_the_end_reads_as_zeros) {
  unsigned char buf[101], zeros[100];
  size_t max;
  memset(zeros, 0, sizeof(zeros));
  for (max = 30; max <= 300; max += 270) { /* on disk, then in memory */
    tf_spool *s = new_spool(max);
    ASSERT_EQ(tf_spool_seek(s, 100, SEEK_SET), 100);
    ASSERT_EQ(tf_spool_rolled(s), 0); /* a seek never rolls over */
    ASSERT_EQ(tf_spool_size(s), 0);
    put(s, "x", 1);
    ASSERT_EQ(tf_spool_rolled(s), max < 101);
    ASSERT_EQ(tf_spool_size(s), 101);
    ASSERT_EQ(tf_spool_seek(s, 0, SEEK_SET), 0);
    ASSERT_EQ(tf_spool_read(s, buf, sizeof(buf)), 101);
    ASSERT(memcmp(buf, zeros, 100) == 0);
    ASSERT_EQ(buf[100], 'x');
    ASSERT_OK(tf_spool_free(s));
  }
}

TEST(win_spool_fd_rolls_over_and_mixes_with_the_spool) {
  tf_spool *s = new_spool(30);
  int fd;
  char buf[16];
  put_str(s, "hello");
  ASSERT_EQ(tf_spool_rolled(s), 0);
  fd = tf_spool_fd(s);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_EQ(tf_spool_fd(s), fd); /* the same fd every time */
  ASSERT(!twc_inheritable(fd));
  /* The fd's offset is the position, and the two mix. */
  ASSERT_EQ(_lseeki64(fd, 0, SEEK_CUR), 5);
  ASSERT_EQ(_write(fd, " you", 4), 4);
  ASSERT_EQ(tf_spool_tell(s), 9);
  ASSERT_EQ(tf_spool_size(s), 9);
  put_str(s, "!");
  ASSERT_EQ(_lseeki64(fd, 2, SEEK_SET), 2);
  ASSERT_EQ(_read(fd, buf, sizeof(buf)), 8);
  ASSERT(memcmp(buf, "llo you!", 8) == 0);
  ASSERT_EQ(tf_spool_seek(s, -2, SEEK_END), 8);
  ASSERT_EQ(_lseeki64(fd, 0, SEEK_CUR), 8);
  ASSERT_EQ(tf_spool_truncate(s, TF_SPOOL_HERE), 8);
  ASSERT_EQ(fd_size(fd), 8);
  assert_contents(s, "hello yo");
  ASSERT_OK(tf_spool_free(s));
  ASSERT(!fd_open(fd));
}

TEST(win_spool_closed_spool_gives_ebadf) {
  int rolled;
  for (rolled = 0; rolled <= 1; rolled++) {
    tf_spool *s = new_spool(10);
    FILE *fp = NULL;
    char c;
    put_str(s, rolled ? "abcdefghijk" : "abc");
    ASSERT_EQ(tf_spool_rolled(s), rolled);
    if (rolled)
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
TEST(win_spool_truncate_with_and_without_size) {
  tf_spool *s = new_spool(10);
  char buf[8];
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
  ASSERT_EQ(fd_size(tf_spool_fd(s)), 20);
  ASSERT_OK(tf_spool_free(s));

  /* Growing fills with zeros, in memory as on disk. */
  s = new_spool(10);
  put_str(s, "ab");
  ASSERT_EQ(tf_spool_truncate(s, 5), 5);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_EQ(tf_spool_seek(s, 0, SEEK_SET), 0);
  ASSERT_EQ(tf_spool_read(s, buf, sizeof(buf)), 5);
  ASSERT(memcmp(buf, "ab\0\0\0", 5) == 0);
  /* At a position past max_size, truncate rolls rather than grow
   * memory past it. */
  ASSERT_EQ(tf_spool_seek(s, 11, SEEK_SET), 11);
  ASSERT_EQ(tf_spool_truncate(s, TF_SPOOL_HERE), 11);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT_EQ(tf_spool_size(s), 11);
  ASSERT_EQ(tf_spool_truncate(s, 3), 3); /* and shrinks on disk */
  ASSERT_EQ(tf_spool_size(s), 3);
  ASSERT_EQ(tf_spool_truncate(s, 6), 6);
  ASSERT_EQ(tf_spool_seek(s, 0, SEEK_SET), 0);
  ASSERT_EQ(tf_spool_read(s, buf, sizeof(buf)), 6);
  ASSERT(memcmp(buf, "ab\0\0\0\0", 6) == 0);
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
TEST(win_spool_properties_before_and_after_rollover) {
  tf_spool *s = new_spool(30);
  char buf[64];
  put_str(s, "hello world");
  ASSERT_EQ(tf_spool_seek(s, 6, SEEK_SET), 6);
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

/* The rolled file's directory, from its handle: 1 if it is dir. */
static int file_is_in(int fd, const char *dir) {
  wchar_t got[1024];
  wchar_t *want = tw_wide(dir);
  const wchar_t *p = got;
  size_t n, wn = wcslen(want);
  DWORD len = GetFinalPathNameByHandleW((HANDLE)_get_osfhandle(fd), got,
                                        1024, FILE_NAME_NORMALIZED);
  int in;
  ASSERT(len > 0 && len < 1024);
  if (wcsncmp(p, L"\\\\?\\", 4) == 0)
    p += 4;
  n = wcslen(p);
  in = n > wn && _wcsnicmp(p, want, wn) == 0 && (p[wn] == L'\\');
  free(want);
  return in && wcschr(p + wn + 1, L'\\') == NULL;
}

TEST(win_spool_rollover_goes_to_opts_dir_resolved_at_creation) {
  tf_spool *s = NULL;
  tf_opts o = TF_OPTS_INIT;
  char *sub = tw_join(tw_dir(), "sub");
  tw_mkdir(sub);
  o.dir = "sub"; /* relative: resolved now, against the cwd */
  ASSERT_OK(tf_spool_create(&s, 4, &o));
  ASSERT(SetCurrentDirectoryW(L"C:\\"));
  put_str(s, "hello");
  ASSERT_EQ(tf_spool_rolled(s), 1);
  ASSERT(file_is_in(tf_spool_fd(s), sub));
  ASSERT_OK(tf_spool_free(s));
  ASSERT_EQ(tw_count_entries(sub), 0);
  tw_remove_tree(sub);
  free(sub);
}

/* ---- nothing lost */

/* The data of a spool that failed to roll over is whole, still in
 * memory, and nothing is left in dir. */
static void assert_intact_in_memory(tf_spool *s, const unsigned char *model,
                                    size_t len, const char *dir) {
  ASSERT_EQ(tf_spool_rolled(s), 0);
  ASSERT_EQ(tf_spool_size(s), len);
  ASSERT_EQ(tf_spool_tell(s), len);
  assert_bytes(s, model, len);
  ASSERT_EQ(tw_count_entries(dir), 0);
}

TEST(win_spool_rollover_into_a_missing_dir_fails_and_keeps_the_data) {
  static unsigned char model[9000];
  tf_spool *s = NULL;
  tf_opts o = TF_OPTS_INIT;
  char *sub = tw_join(tw_dir(), "gone");
  FILE *fp = (FILE *)&fp;
  fill(model, sizeof(model), 2);
  tw_mkdir(sub);
  o.dir = sub;
  ASSERT_OK(tf_spool_create(&s, 5000, &o));
  ASSERT(RemoveDirectoryA(sub));
  put(s, model, 4000);
  /* Each way to roll over fails the same, and changes nothing. */
  ASSERT_ERR(tf_spool_write(s, model + 4000, 5000), -ENOENT);
  assert_intact_in_memory(s, model, 4000, tw_dir());
  ASSERT_ERR(tf_spool_rollover(s), -ENOENT);
  ASSERT_ERR(tf_spool_fd(s), -ENOENT);
  ASSERT_ERR(tf_spool_truncate(s, 6000), -ENOENT);
  ASSERT_ERR(tf_spool_stream(s, &fp), -ENOENT);
  ASSERT(fp == (FILE *)&fp);
  assert_intact_in_memory(s, model, 4000, tw_dir());
  /* The spool stays usable: once the directory is back, it rolls. */
  tw_mkdir(sub);
  put(s, model + 4000, 5000);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  assert_bytes(s, model, 9000);
  ASSERT_OK(tf_spool_free(s));
  ASSERT_EQ(tw_count_entries(sub), 0);
  tw_remove_tree(sub);
  free(sub);
}

/* Every write of the rollover's copy failing in turn: the data stays in
 * memory, whole, and the file made for it is gone. */
TEST(win_spool_rollover_write_failures_keep_the_data) {
  static unsigned char model[300000];
  unsigned long nth;
  fill(model, sizeof(model), 3);
  for (nth = 1;; nth++) {
    tf_spool *s = new_spool(250000);
    int rc;
    put(s, model, 250000);
    tws_fail(TWS_PWRITE, nth, ENOSPC, 0);
    rc = tf_spool_rollover(s);
    tws_clear();
    if (rc == 0) {
      ASSERT_GT(nth, 1);
      ASSERT_OK(tf_spool_free(s));
      break;
    }
    ASSERT_ERR(rc, -ENOSPC);
    assert_intact_in_memory(s, model, 250000, tw_dir());
    put(s, model + 250000, 50000); /* and it rolls over when asked again */
    ASSERT_EQ(tf_spool_rolled(s), 1);
    assert_bytes(s, model, sizeof(model));
    ASSERT_OK(tf_spool_free(s));
  }
}

/* A disk that fills after rollover: writes into the buffer are
 * accepted, the flush reports -ENOSPC, every byte stays readable, and
 * once there is room the flush goes through. */
TEST(win_spool_full_disk_after_rollover_loses_nothing_accepted) {
  static unsigned char model[200000];
  tf_spool *s = new_spool(1000);
  size_t done = 0;
  int refused = 0;
  fill(model, sizeof(model), 4);
  put(s, model, 2000);
  ASSERT_EQ(tf_spool_rolled(s), 1);
  done = 2000;
  tws_fail(TWS_PWRITE, 1, ENOSPC, 1);
  while (done < sizeof(model)) {
    size_t n = sizeof(model) - done < 3000 ? sizeof(model) - done : 3000;
    ssize_t w = tf_spool_write(s, model + done, n);
    if (w < 0) {
      ASSERT_ERR(w, -ENOSPC);
      refused++;
      break;
    }
    done += (size_t)w;
  }
  ASSERT_GT(refused, 0);
  ASSERT_ERR(tf_spool_flush(s), -ENOSPC);
  assert_bytes(s, model, done); /* read around the unwritten buffer */
  tws_clear();
  ASSERT_OK(tf_spool_flush(s));
  put(s, model + done, sizeof(model) - done);
  assert_bytes(s, model, sizeof(model));
  ASSERT_OK(tf_spool_free(s));
}

/* ---- memory */

TEST(win_spool_memory_never_exceeds_max_size) {
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
        ASSERT_LE(tf__spool_memory(s), max);
    }
    ASSERT_LE(tf__spool_memory(s), 64 << 10); /* the buffer only */
    ASSERT_OK(tf_spool_free(s));
  }
}

/* No memory for a large chunk (VirtualAlloc): -ENOMEM, the data intact. */
TEST(win_spool_failed_mapping_is_enomem_with_data_intact) {
  static unsigned char model[6 << 20];
  tf_spool *s = new_spool(0);
  size_t done = 0;
  int failures = 0;
  fill(model, sizeof(model), 11);
  while (done < sizeof(model)) {
    size_t n = sizeof(model) - done < 100000 ? sizeof(model) - done : 100000;
    ssize_t w;
    tws_fail(TWS_MAPMEM, 1, ENOMEM, 0);
    w = tf_spool_write(s, model + done, n);
    if (tws_fired() > 0) {
      ASSERT_ERR(w, -ENOMEM);
      ASSERT_EQ(tf_spool_size(s), done);
      ASSERT_EQ(tf_spool_tell(s), done);
      failures++;
      tws_clear();
      w = tf_spool_write(s, model + done, n);
    }
    tws_clear();
    ASSERT_EQ(w, n);
    done += n;
  }
  ASSERT_GE(failures, 1);
  ASSERT_EQ(tf_spool_rolled(s), 0);
  assert_bytes(s, model, sizeof(model));
  ASSERT_OK(tf_spool_free(s));
}

TEST(win_spool_huge_offsets_are_refused_cleanly) {
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

/* ---- the stream: on Windows, one on the rolled-over file */

TEST(win_spool_stream_rolls_over_and_holds_what_was_written) {
  tf_spool *s = new_spool(64);
  FILE *fp, *again;
  char line[128];
  int i;
  put_str(s, "head\n");
  ASSERT_OK(tf_spool_stream(s, &fp));
  ASSERT_EQ(tf_spool_rolled(s), 1); /* no cookie streams: rolled first */
  ASSERT_OK(tf_spool_stream(s, &again));
  ASSERT(fp == again);
  ASSERT_EQ(ftell(fp), 5);
  for (i = 0; i < 10; i++)
    ASSERT_EQ(fprintf(fp, "line %05d\n", i), 11);
  ASSERT_EQ(tf_spool_tell(s), 115); /* it flushes the stream first */
  ASSERT_EQ(ftell(fp), 115);
  ASSERT_EQ(fseek(fp, 0, SEEK_SET), 0);
  ASSERT(fgets(line, sizeof(line), fp) != NULL);
  ASSERT_STR_EQ(line, "head\n");
  for (i = 0; i < 10; i++) {
    char want[16];
    ASSERT(fgets(line, sizeof(line), fp) != NULL);
    snprintf(want, sizeof(want), "line %05d\n", i);
    ASSERT_STR_EQ(line, want); /* binary: no \r added */
  }
  ASSERT(fgets(line, sizeof(line), fp) == NULL);
  ASSERT(feof(fp));
  ASSERT_OK(tf_spool_free(s)); /* closes the stream */
}

TEST(win_spool_stream_and_direct_calls_share_one_position) {
  tf_spool *s = new_spool(1000);
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
  ASSERT_EQ(tf_spool_tell(s), 1); /* the read-ahead is given back */
  ASSERT_EQ(tf_spool_read(s, buf, 6), 6);
  ASSERT(memcmp(buf, "tream ", 6) == 0);
  ASSERT_EQ(fread(buf, 1, 6, fp), 6);
  ASSERT(memcmp(buf, "direct", 6) == 0);
  ASSERT_EQ(fseek(fp, 0, SEEK_CUR), 0); /* C: a seek between read and write */
  ASSERT_EQ(fputc('_', fp), '_');
  ASSERT_EQ(tf_spool_seek(s, -1, SEEK_END), 20);
  ASSERT_EQ(fseek(fp, 0, SEEK_END), 0);
  ASSERT_EQ(ftell(fp), 21);
  assert_contents(s, "stream direct_stream\n");
  ASSERT_OK(tf_spool_free(s));
}

TEST(win_spool_stream_survives_fd_writes_and_truncate) {
  tf_spool *s = new_spool(100);
  FILE *fp;
  char line[32];
  int fd;
  ASSERT_OK(tf_spool_stream(s, &fp));
  fputs("one\ntwo\n", fp);
  fd = tf_spool_fd(s);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(_write(fd, "three\n", 6), 6);
  ASSERT_EQ(ftell(fp), 14);
  rewind(fp);
  ASSERT(fgets(line, sizeof(line), fp) != NULL);
  ASSERT_STR_EQ(line, "one\n");
  ASSERT_EQ(tf_spool_truncate(s, TF_SPOOL_HERE), 4);
  ASSERT(fgets(line, sizeof(line), fp) == NULL);
  ASSERT_EQ(tf_spool_size(s), 4);
  ASSERT_OK(tf_spool_free(s));
}

/* Once exposed, a write that fails (a full disk) changes nothing, and
 * what the stream buffered before it is in the file. */
TEST(win_spool_exposed_write_failure_changes_nothing) {
  tf_spool *s = new_spool(10);
  FILE *fp;
  ASSERT_OK(tf_spool_stream(s, &fp));
  ASSERT_GE(fputs("abc", fp), 0);
  tws_fail(TWS_WRITE, 1, ENOSPC, 1);
  ASSERT_OK(tf_spool_flush(s)); /* the stream writes through the C
                                  * runtime, not the table */
  ASSERT_ERR(tf_spool_write(s, "defghi", 6), -ENOSPC);
  tws_clear();
  put_str(s, "def");
  assert_contents(s, "abcdef");
  ASSERT_OK(tf_spool_free(s));
}

/* The stream's buffered bytes that cannot be written (its fd made, for
 * the flush, one of a read-only file) are reported by the spool's next
 * call, which hands the stream over, and the stream's error indicator is
 * set; the C runtime drops them, so the spool is unchanged. */
TEST(win_spool_stream_write_failure_is_reported_by_flush) {
  tf_spool *s = new_spool(10);
  FILE *fp;
  int saved, ro;
  ASSERT_OK(tf_spool_stream(s, &fp));
  ASSERT_GE(fputs("abc", fp), 0);
  ASSERT_OK(tf_spool_flush(s));
  ASSERT_GE(fputs("lost", fp), 0); /* accepted into the buffer */
  saved = _dup(_fileno(fp));
  ro = _open("ro", _O_RDONLY | _O_CREAT | _O_BINARY, _S_IREAD | _S_IWRITE);
  ASSERT_GE(saved, 0);
  ASSERT_GE(ro, 0);
  ASSERT_EQ(_dup2(ro, _fileno(fp)), 0);
  ASSERT_LT(tf_spool_flush(s), 0);
  ASSERT(ferror(fp));
  ASSERT_EQ(_dup2(saved, _fileno(fp)), 0);
  ASSERT_EQ(_close(saved), 0);
  ASSERT_EQ(_close(ro), 0);
  ASSERT_EQ(tw_remove_file("ro"), 0);
  clearerr(fp);
  ASSERT_EQ(tf_spool_size(s), 3);
  ASSERT_OK(tf_spool_flush(s)); /* reported once */
  ASSERT_EQ(tf_spool_seek(s, 0, SEEK_END), 3);
  ASSERT_EQ(fputc('d', fp), 'd');
  ASSERT_OK(tf_spool_flush(s));
  assert_contents(s, "abcd");
  ASSERT_OK(tf_spool_free(s));
}

TEST(win_spool_close_ends_stream_and_file_leaking_nothing) {
  uintptr_t before = handle_mark();
  tf_spool *s = new_spool(4);
  FILE *fp;
  int fd;
  put_str(s, "abcdef");
  ASSERT_OK(tf_spool_stream(s, &fp));
  fd = tf_spool_fd(s);
  ASSERT_GE(fputs("buffered", fp), 0);
  ASSERT_GT(handle_mark(), before);
  ASSERT_OK(tf_spool_close(s));
  ASSERT(!fd_open(fd));
  ASSERT_EQ(handle_mark(), before);
  ASSERT_OK(tf_spool_free(s));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}
