/* SPDX-License-Identifier: MIT */
/*
 * harness_win.h - the Windows test harness: registration, typed
 * assertions, and helpers.  The test program starts itself once per test
 * ("unit.exe --run NAME"): each test runs in its own process, with its
 * own empty directory as working directory and as TMP, TEMP and TMPDIR,
 * and fails if it leaves anything in that directory.  The same names as
 * the POSIX harness (tests/harness.h), so the tests read alike.
 */
#ifndef TF_TEST_HARNESS_WIN_H
#define TF_TEST_HARNESS_WIN_H

#include "tempfile.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

struct tf_test {
  const char *name;
  void (*fn)(void);
  int (*helper)(int argc, char **argv); /* a mode for a second process */
  struct tf_test *next;
};

void tf_test_register(struct tf_test *t);

#define TEST(fn_name)                                                        \
  static void fn_name(void);                                                 \
  static struct tf_test fn_name##_entry = {#fn_name, fn_name, NULL, NULL};   \
  __attribute__((constructor)) static void fn_name##_register(void) {        \
    tf_test_register(&fn_name##_entry);                                      \
  }                                                                          \
  static void fn_name(void)

/* A mode of the test program for a second process: tw_spawn("name", arg)
 * runs it with argv[0] = "name", argv[1] = arg; its return is the exit
 * code. */
#define HELPER(fn_name)                                                      \
  static int fn_name(int argc, char **argv);                                 \
  static struct tf_test fn_name##_entry = {#fn_name, NULL, fn_name, NULL};   \
  __attribute__((constructor)) static void fn_name##_register(void) {        \
    tf_test_register(&fn_name##_entry);                                      \
  }                                                                          \
  static int fn_name(int argc, char **argv)

#include "../asserts.h"

/* The test's private directory: absolute, UTF-8. */
const char *tw_dir(void);
/* dir\name, malloc'd. */
char *tw_join(const char *dir, const char *name);
/* UTF-8 to UTF-16, malloc'd (the test fails on bad input). */
wchar_t *tw_wide(const char *s);
/* 1 if something is at path (never following a link), else 0. */
int tw_exists(const char *path);
/* The attributes of what is at path (never following a link), or
 * INVALID_FILE_ATTRIBUTES. */
DWORD tw_attributes(const char *path);
/* Write n bytes to a new or truncated file; the test fails on error. */
void tw_write(const char *path, const void *data, size_t n);
/* The file's contents, malloc'd, NUL added; *n its size (n may be NULL).
 * NULL if it can not be read. */
char *tw_read(const char *path, size_t *n);
/* A directory made (the test fails on error). */
void tw_mkdir(const char *path);
/* The entries of dir, "." and ".." not counted, nor the liveness ledgers
 * (".tf-live-" + 12 characters: the process's own lives as long as the
 * process; the harness's check once a test ended counts them all, so a
 * test still ends with its own deleted and any other reaped). */
size_t tw_count_entries(const char *dir);
/* Remove the file at path, read-only or not: 0, or -1 if it could not be. */
int tw_remove_file(const char *path);
/* Remove a tree the test made (plain Win32, no library code), for the
 * tests' own cleanup. */
void tw_remove_tree(const char *path);
/* A symbolic link or junction; -EOPNOTSUPP where the system can not make
 * one (Wine 8 reports success and makes nothing: checked). */
int tw_make_symlink(const char *link, const char *target, int is_dir);
int tw_make_junction(const char *link, const char *target_dir);
/* Running under Wine. */
int tw_wine(void);
/* A second process: this program in helper mode. */
HANDLE tw_spawn(const char *helper, const char *arg);
int tw_wait(HANDLE process);
void tw_kill(HANDLE process);
/* The handles this process has open (for leak checks around a call). */
DWORD tw_handle_count(void);

#endif
