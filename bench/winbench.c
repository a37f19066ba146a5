/* SPDX-License-Identifier: MIT */
/*
 * winbench.c - libtempfile on Windows against the system-call floor and
 * the C runtime's and Win32's own temporary-file calls, in one run:
 * median time per operation over ROUNDS rounds of OPS operations each,
 * and each row's ratio to the floor.  Built by mk/windows.mk; `make
 * CC=x86_64-w64-mingw32-gcc bench` runs it (under Wine on Linux, where
 * the times are Wine's, not Windows': compare the ratios).
 *
 *   floor      CreateFileW(CREATE_NEW) with a name made by the caller,
 *              CloseHandle, DeleteFileW: what any safe creation costs
 *   GetTempFileNameW  the Win32 call (at most 65,535 names, predictable)
 *   _mktemp_s + _open  the C runtime's (26 names per template)
 *
 * Spools and pools against what a program would do without them: small
 * writes and reads in memory against a malloc'd buffer; a spool that
 * rolls over against an unnamed file written directly; a pool's
 * acquire and release against making and closing a file each time.
 */
#include "tempfile.h"

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <windows.h>

#define ROUNDS 15
#define OPS 200

static wchar_t dir_w[MAX_PATH];
static char dir_a[MAX_PATH * 3];
static unsigned long counter;

static double now_ns(void) {
  static LARGE_INTEGER freq;
  LARGE_INTEGER t;
  if (freq.QuadPart == 0)
    QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&t);
  return (double)t.QuadPart * 1e9 / (double)freq.QuadPart;
}

static void die(const char *what) {
  fprintf(stderr, "winbench: %s failed (%lu)\n", what, (unsigned long)GetLastError());
  exit(1);
}

static void floor_file(void) {
  wchar_t path[MAX_PATH + 32];
  HANDLE h;
  _snwprintf(path, MAX_PATH + 31, L"%ls\\floor%lu", dir_w, counter++);
  path[MAX_PATH + 31] = L'\0';
  h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_NEW,
                  FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE)
    die("CreateFileW");
  CloseHandle(h);
  if (!DeleteFileW(path))
    die("DeleteFileW");
}

static void mkstemp_in(const char *dir) {
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL;
  int fd;
  o.dir = dir;
  fd = tf_mkstemp(&path, &o);
  if (fd < 0)
    die("tf_mkstemp");
  _close(fd);
  if (!DeleteFileA(path))
    die("DeleteFileA");
  free(path);
}

/* In the temporary directory (Python's default), and in a dir= given
 * for each call (opened for the call, as a path may name another
 * directory each time). */
static void tf_mkstemp_file(void) { mkstemp_in(NULL); }
static void tf_mkstemp_dir(void) { mkstemp_in(dir_a); }

static void file_handle(unsigned flags) {
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  o.flags = flags;
  if (tf_file_create(&f, &o) < 0 || tf_file_free(f) < 0)
    die("tf_file_create/free");
}
static void tf_file_handle(void) { file_handle(0); }
/* Neither registered for exit nor recorded in the ledger: what the
 * lifecycle costs. */
static void tf_file_untracked(void) { file_handle(TF_UNTRACKED); }

static void tf_tmpfile_file(void) {
  tf_opts o = TF_OPTS_INIT;
  int fd;
  fd = tf_tmpfile(&o);
  if (fd < 0)
    die("tf_tmpfile");
  _close(fd);
}

static void gettempfilename(void) {
  wchar_t path[MAX_PATH];
  if (GetTempFileNameW(dir_w, L"gtf", 0, path) == 0)
    die("GetTempFileNameW");
  if (!DeleteFileW(path))
    die("DeleteFileW");
}

static void mktemp_s_open(void) {
  char path[MAX_PATH * 3 + 16];
  int fd;
  snprintf(path, sizeof(path), "%s\\mtXXXXXX", dir_a);
  if (_mktemp_s(path, strlen(path) + 1) != 0)
    die("_mktemp_s");
  fd = _open(path, _O_RDWR | _O_CREAT | _O_EXCL | _O_BINARY, _S_IREAD | _S_IWRITE);
  if (fd < 0)
    die("_open");
  _close(fd);
  if (!DeleteFileA(path))
    die("DeleteFileA");
}

static void floor_dir(void) {
  wchar_t path[MAX_PATH + 32];
  _snwprintf(path, MAX_PATH + 31, L"%ls\\dfloor%lu", dir_w, counter++);
  path[MAX_PATH + 31] = L'\0';
  if (!CreateDirectoryW(path, NULL) || !RemoveDirectoryW(path))
    die("CreateDirectoryW/RemoveDirectoryW");
}

static void tf_dir_handle(void) {
  tf_opts o = TF_OPTS_INIT;
  tf_dir *d = NULL;
  if (tf_dir_create(&d, &o) < 0 || tf_dir_free(d) < 0)
    die("tf_dir_create/free");
}

/* A small replacement, without flushes: the bare sequence of a temp
 * file written and moved over the target, against tf_write_file. */
static const char payload[128] = "key = value\n";

static void floor_replace(void) {
  wchar_t tmp[MAX_PATH + 32], target[MAX_PATH + 32];
  DWORD n;
  HANDLE h;
  _snwprintf(tmp, MAX_PATH + 31, L"%ls\\.cfg.%lu", dir_w, counter++);
  tmp[MAX_PATH + 31] = L'\0';
  _snwprintf(target, MAX_PATH + 31, L"%ls\\floor.cfg", dir_w);
  target[MAX_PATH + 31] = L'\0';
  h = CreateFileW(tmp, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE || !WriteFile(h, payload, (DWORD)strlen(payload), &n, NULL))
    die("CreateFileW/WriteFile");
  CloseHandle(h);
  if (!MoveFileExW(tmp, target, MOVEFILE_REPLACE_EXISTING))
    die("MoveFileExW");
}

static void tf_replace(void) {
  char target[MAX_PATH * 3 + 16];
  tf_opts o = TF_OPTS_INIT;
  o.flags = TF_SYNC_NONE;
  snprintf(target, sizeof(target), "%s\\tf.cfg", dir_a);
  if (tf_write_file(target, payload, strlen(payload), &o) < 0)
    die("tf_write_file");
}

/* ---- spools: 256 writes of 64 bytes, then the 16 KiB read back */

#define SMALL_WRITES 256
#define SMALL_SIZE 64
static char small[SMALL_SIZE], back[SMALL_WRITES * SMALL_SIZE];

static void floor_memory(void) {
  size_t cap = 0, len = 0, i;
  char *buf = NULL;
  for (i = 0; i < SMALL_WRITES; i++) {
    if (len + SMALL_SIZE > cap) { /* grown by doubling, as a program would */
      char *grown = realloc(buf, cap = cap ? cap * 2 : 1024);
      if (grown == NULL)
        die("realloc");
      buf = grown;
    }
    memcpy(buf + len, small, SMALL_SIZE);
    len += SMALL_SIZE;
  }
  memcpy(back, buf, len);
  free(buf);
}

static void spool_in_memory(void) {
  tf_spool *s = NULL;
  size_t i;
  if (tf_spool_create(&s, (size_t)1 << 20, NULL) < 0)
    die("tf_spool_create");
  for (i = 0; i < SMALL_WRITES; i++)
    if (tf_spool_write(s, small, SMALL_SIZE) != SMALL_SIZE)
      die("tf_spool_write");
  if (tf_spool_seek(s, 0, SEEK_SET) != 0 ||
      tf_spool_read(s, back, sizeof(back)) != (ssize_t)sizeof(back) ||
      tf_spool_free(s) < 0)
    die("tf_spool_read/free");
}

/* ---- spools that roll over: 128 KiB in 4 KiB writes, max_size 32 KiB */

#define ROLL_TOTAL ((size_t)128 << 10)
#define ROLL_PIECE ((size_t)4 << 10)
static char roll_data[ROLL_TOTAL];

static void tmpfile_write_once(void) {
  int fd = tf_tmpfile(NULL);
  if (fd < 0 || _write(fd, roll_data, (unsigned)ROLL_TOTAL) != (int)ROLL_TOTAL)
    die("tf_tmpfile/_write");
  _close(fd);
}

static void tmpfile_write_pieces(void) {
  int fd = tf_tmpfile(NULL);
  size_t at;
  if (fd < 0)
    die("tf_tmpfile");
  for (at = 0; at < ROLL_TOTAL; at += ROLL_PIECE)
    if (_write(fd, roll_data + at, (unsigned)ROLL_PIECE) != (int)ROLL_PIECE)
      die("_write");
  _close(fd);
}

static void spool_rolling_over(void) {
  tf_spool *s = NULL;
  size_t at;
  if (tf_spool_create(&s, (size_t)32 << 10, NULL) < 0)
    die("tf_spool_create");
  for (at = 0; at < ROLL_TOTAL; at += ROLL_PIECE)
    if (tf_spool_write(s, roll_data + at, ROLL_PIECE) != (ssize_t)ROLL_PIECE)
      die("tf_spool_write");
  if (tf_spool_rolled(s) != 1 || tf_spool_free(s) < 0)
    die("tf_spool_rolled/free");
}

/* ---- pools: a scratch file for 100 bytes */

static tf_pool *pool, *named_pool;

static void floor_scratch(void) {
  wchar_t path[MAX_PATH + 32];
  DWORD n;
  HANDLE h;
  _snwprintf(path, MAX_PATH + 31, L"%ls\\scratch%lu", dir_w, counter++);
  path[MAX_PATH + 31] = L'\0';
  h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_NEW,
                  FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
  if (h == INVALID_HANDLE_VALUE || !WriteFile(h, payload, 100, &n, NULL))
    die("CreateFileW/WriteFile");
  CloseHandle(h);
}

static void tmpfile_scratch(void) {
  int fd = tf_tmpfile(NULL);
  if (fd < 0 || _write(fd, payload, 100) != 100)
    die("tf_tmpfile/_write");
  _close(fd);
}

static void scratch_from(tf_pool *p) {
  int fd = tf_pool_acquire(p);
  if (fd < 0 || _write(fd, payload, 100) != 100 || tf_pool_release(p, fd) < 0)
    die("tf_pool_acquire/_write/release");
}

static void pool_scratch(void) { scratch_from(pool); }
static void named_pool_scratch(void) { scratch_from(named_pool); }

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Median ns per op of fn; the rounds alternate with those of the
 * others by the caller's order, so drift hits every row alike. */
static double median(double *v) {
  qsort(v, ROUNDS, sizeof(*v), compare);
  return v[ROUNDS / 2];
}

struct row {
  const char *workload, *name;
  void (*fn)(void);
  int is_floor;
  double t[ROUNDS];
};

int main(void) {
  struct row rows[] = {
      {"file", "floor: CreateFileW + CloseHandle + DeleteFileW", floor_file, 1, {0}},
      {"file", "tf_mkstemp + close + DeleteFile", tf_mkstemp_file, 0, {0}},
      {"file", "tf_mkstemp (opts.dir) + close + DeleteFile", tf_mkstemp_dir, 0, {0}},
      {"file", "tf_file_create + tf_file_free", tf_file_handle, 0, {0}},
      {"file", "the same, TF_UNTRACKED", tf_file_untracked, 0, {0}},
      {"file", "tf_tmpfile + close", tf_tmpfile_file, 0, {0}},
      {"file", "GetTempFileNameW + DeleteFileW", gettempfilename, 0, {0}},
      {"file", "_mktemp_s + _open + close + DeleteFile", mktemp_s_open, 0, {0}},
      {"dir", "floor: CreateDirectoryW + RemoveDirectoryW", floor_dir, 1, {0}},
      {"dir", "tf_dir_create + tf_dir_free", tf_dir_handle, 0, {0}},
      {"replace", "floor: CreateFileW + WriteFile + MoveFileExW", floor_replace, 1, {0}},
      {"replace", "tf_write_file (TF_SYNC_NONE)", tf_replace, 0, {0}},
      {"spool", "floor: malloc'd buffer, 256 x 64 B in, 16 KiB out", floor_memory, 1, {0}},
      {"spool", "tf_spool in memory, the same + create/free", spool_in_memory, 0, {0}},
      {"rollover", "floor: tf_tmpfile + one 128 KiB _write + close", tmpfile_write_once, 1, {0}},
      {"rollover", "tf_tmpfile + 32 x 4 KiB _write + close", tmpfile_write_pieces, 0, {0}},
      {"rollover", "tf_spool (32 KiB max) 32 x 4 KiB + free", spool_rolling_over, 0, {0}},
      {"pool", "floor: CreateFileW(DELETE_ON_CLOSE) + 100 B + close", floor_scratch, 1, {0}},
      {"pool", "tf_tmpfile + 100 B + close", tmpfile_scratch, 0, {0}},
      {"pool", "tf_pool_acquire + 100 B + tf_pool_release", pool_scratch, 0, {0}},
      {"pool", "the same, TF_POOL_NAMED", named_pool_scratch, 0, {0}},
  };
  tf_opts named = TF_OPTS_INIT;
  size_t n = sizeof(rows) / sizeof(rows[0]), i;
  int r, k;
  double floor_ns = 0;
  DWORD len = GetCurrentDirectoryW(MAX_PATH - 20, dir_w);
  if (len == 0)
    die("GetCurrentDirectoryW");
  wcscat(dir_w, L"\\winbench.d");
  if (!CreateDirectoryW(dir_w, NULL))
    die("CreateDirectoryW");
  WideCharToMultiByte(CP_UTF8, 0, dir_w, -1, dir_a, sizeof(dir_a), NULL, NULL);
  if (tf_settempdir(dir_a) < 0) /* the temporary directory of the rows */
    die("tf_settempdir");
  named.flags = TF_POOL_NAMED;
  if (tf_pool_create(&pool, 4, NULL) < 0 || tf_pool_create(&named_pool, 4, &named) < 0)
    die("tf_pool_create");
  for (i = 0; i < n; i++) /* warm up: first calls, caches */
    rows[i].fn();
  for (r = 0; r < ROUNDS; r++)
    for (i = 0; i < n; i++) {
      double t0 = now_ns();
      for (k = 0; k < OPS; k++)
        rows[i].fn();
      rows[i].t[r] = (now_ns() - t0) / OPS;
    }
  printf("%-8s %-52s %12s %8s\n", "workload", "", "median/op", "x floor");
  for (i = 0; i < n; i++) {
    double m = median(rows[i].t);
    if (rows[i].is_floor)
      floor_ns = m;
    printf("%-8s %-52s %9.1f us %7.2fx\n", rows[i].workload, rows[i].name,
           m / 1000.0, m / floor_ns);
  }
  if (tf_pool_free(pool) < 0 || tf_pool_free(named_pool) < 0)
    die("tf_pool_free");
  /* What the replacements left: their two targets. */
  {
    wchar_t p[MAX_PATH + 32];
    _snwprintf(p, MAX_PATH + 31, L"%ls\\floor.cfg", dir_w);
    DeleteFileW(p);
    _snwprintf(p, MAX_PATH + 31, L"%ls\\tf.cfg", dir_w);
    DeleteFileW(p);
  }
  if (!RemoveDirectoryW(dir_w)) {
    fprintf(stderr, "winbench: left files in %ls\n", dir_w);
    return 1;
  }
  return 0;
}
