/* SPDX-License-Identifier: MIT */
/*
 * harness.h - the test harness: registration, typed assertions that print
 * both values, and helpers.  Each test runs in a forked child with a
 * timeout, with its own empty directory as working directory and $TMPDIR;
 * the test fails if it leaks an fd or library memory, or leaves anything
 * in that directory.
 */
#ifndef TF_TEST_HARNESS_H
#define TF_TEST_HARNESS_H

#include "tempfile.h"
/* The build's platform switches (TF_HAVE_*), for tests of one path. */
#include "platform.h"

#include <errno.h>

/* Children that exit() holding live handles leak them on purpose: that
 * is what exit cleanup is for.  LeakSanitizer must not fail them. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LEAK_ON_PURPOSE() __lsan_disable()
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/lsan_interface.h>
#define LEAK_ON_PURPOSE() __lsan_disable()
#endif
#endif
#ifndef LEAK_ON_PURPOSE
#define LEAK_ON_PURPOSE() ((void)0)
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

struct tf_test {
  const char *name;
  void (*fn)(void);
  unsigned timeout_s;
  int needs_root_or_user; /* informational */
  struct tf_test *next;
};

void tf_test_register(struct tf_test *t);

#define TEST_TIMEOUT(fn_name, seconds)                                       \
  static void fn_name(void);                                                 \
  static struct tf_test fn_name##_entry = {#fn_name, fn_name, seconds, 0,    \
                                           NULL};                           \
  __attribute__((constructor)) static void fn_name##_register(void) {        \
    tf_test_register(&fn_name##_entry);                                      \
  }                                                                          \
  static void fn_name(void)

#define TEST(fn_name) TEST_TIMEOUT(fn_name, 20)

#include "asserts.h"

/* A POSIX call that must succeed (return != -1). */
#define CHECK_SYS(expr)                                                      \
  do {                                                                       \
    if ((expr) == -1)                                                        \
      FAIL("%s: %s", #expr, strerror(errno));                                \
  } while (0)

/* ---- helpers (harness.c) */

/* The test's private directory (absolute; also cwd and $TMPDIR). */
const char *tf_test_dir(void);

/* A second private directory of the test's on a tmpfs (/dev/shm), for
 * tests that make very many entries; the test directory itself where
 * there is none.  Checked for leftovers like the test directory. */
const char *tf_test_fast_dir(void);

/* n bytes of zeroed memory shared with forked children (MAP_SHARED
 * survives the fork); release with munmap(). */
void *tf_test_shared_alloc(size_t n);

/* How much slower than normal the suite runs ($TF_TEST_TIME_SCALE;
 * valgrind: 20); loops and waits scale by it. */
double tf_test_time_scale(void);
/* CLOCK_MONOTONIC in seconds. */
double tf_test_now(void);
/* Sleep us microseconds (nothing for us <= 0), through EINTR. */
void tf_test_sleep_us(double us);

/* Number of entries in a directory (excluding . and ..); -1 on error. */
int tf_test_count_entries(const char *dir);

/* Sorted listing of dir's entries joined by '\n'; malloc'd. */
char *tf_test_listing(const char *dir);

/* Sorted listing of the process's open fds; malloc'd. */
char *tf_test_fd_listing(void);

/* 1 if path exists (lstat), 0 if not. */
int tf_test_exists(const char *path);
/* The pid of the liveness ledger (in the ledger home) whose live record
 * names the object at path, or -1 if none does; *held (if not NULL) is
 * 1 when some process holds that ledger's lock.  tf_test_recorded_in()
 * also puts the ledger's name in the home into ledger (size bytes, if
 * not NULL). */
long tf_test_recorded_pid(const char *path, int *held);
long tf_test_recorded_in(const char *path, int *held, char *ledger,
                         size_t size);

/* Write a whole file (0600); fail the test on error. */
void tf_test_write_file(const char *path, const char *content);

/* Run fn(arg) in a forked child as an unprivileged user when we are root
 * (uid/gid 65534), or as ourselves otherwise; returns the child's exit
 * status (0 = passed).  The test directory is made traversable first. */
int tf_test_run_unprivileged(void (*fn)(void *), void *arg);

/* Build a tree in the directory open at dirfd: files one-byte files
 * f0.., and dirs directories d0.. each holding the same shape one level
 * less deep, down to depth 0 (files only).  Fails the test on error. */
void tf_test_make_tree(int dirfd, int depth, int dirs, int files);

/* Entries under path (relative to dirfd), recursively, not counting path
 * itself and not following symlinks; -1 if path does not exist. */
long tf_test_count_tree(int dirfd, const char *path);

/* As tf_test_run_unprivileged(), but fn runs in a fresh directory of
 * the test's that the unprivileged user owns (its cwd and $TMPDIR), which
 * must be empty when fn returns. */
int tf_test_run_unprivileged_at_home(void (*fn)(void *), void *arg);

/* In a forked child: enter a private mount namespace, where the child
 * may mount file systems that die with it.  As root directly; otherwise
 * as root of a new user namespace (fails the test where there is none).
 * Returns 1 if the child is root of the initial user namespace, 0 if
 * only of its own. */
int tf_test_enter_mount_ns(void);

/* Run fn(arg) in a forked child that has entered a private mount
 * namespace (tf_test_enter_mount_ns(), whose result
 * tf_test_mount_ns_real_root() gives fn); fn may mount, and its mounts
 * die with the child, which fails if fn leaks an fd or library memory.
 * Returns the child's exit status (0 = passed). */
int tf_test_run_in_mount_ns(void (*fn)(void *), void *arg);
int tf_test_mount_ns_real_root(void);

/* Skip the test (with the reason) unless it can mount: as root, or where
 * an unprivileged user may make a user namespace.  Call it first, before
 * the test makes anything. */
void tf_test_skip_unless_mount_ns(void);

/* 1 if the process runs as root. */
int tf_test_is_root(void);

/* The emulator this build's programs run under (a cross build:
 * tests/run-all.sh sets $TF_TEST_EMULATOR to the make variable
 * CROSS_RUN, "qemu-s390x -L /usr/s390x-linux-gnu"), or NULL.  A test
 * that runs another program of the build runs it through these words;
 * the host kernel can not. */
const char *tf_test_emulator(void);

/* Skip the test (with the reason) where madvise(MADV_WIPEONFORK)
 * succeeds but a child's copy of the page is not wiped: qemu-user takes
 * the advice and ignores it.  A kernel without the advice refuses it,
 * and the test runs (the library then compares pids). */
void tf_test_skip_if_wipeonfork_ignored(void);

/* Replace entries of the library's system-call table to emulate a
 * platform: a file system without O_TMPFILE (those opens fail with
 * EOPNOTSUPP), a kernel or file system without renameat2 (it fails with
 * err: ENOSYS or EINVAL).  tf_test_restore_syscalls() puts the real
 * table back. */
void tf_test_without_o_tmpfile(void);
void tf_test_without_renameat2(int err);
void tf_test_restore_syscalls(void);

/* The two ways a file that gets its name later is made: unnamed
 * (O_TMPFILE, where the test directory's file system has it) or named
 * (the fallback, forced by tf_test_without_o_tmpfile()).
 * tf_test_use_path() restores the real table, then forces NAMED, and
 * returns the path the library will take: NAMED for UNNAMED too in a
 * build with no unnamed files (no O_TMPFILE or no /proc to name them). */
enum tf_test_path { UNNAMED, NAMED };
#define TF_TEST_HAS_UNNAMED (TF_HAVE_O_TMPFILE && TF_HAVE_PROC_FD)
const char *tf_test_path_name(enum tf_test_path p);
enum tf_test_path tf_test_use_path(enum tf_test_path p);
/* The fds a new tf_dir of that mode (0: the default 0700) holds from
 * its creation: none where birth times tell a directory from a later
 * one given its inode number (statx), else one, for a directory its
 * owner may read (dir.c). */
int tf_test_dir_fds_held(mode_t mode);
/* What a cleanup signal leaves in dir: nothing of the library's where a
 * signal handler can list a directory (getdents64); in a build without
 * it, the directories that were not empty, which tf_reap() takes once
 * their process is gone.  There, if every entry of dir other than keep
 * (a name, or NULL) is a directory, they are reaped here; so a test of
 * "a signal leaves nothing" holds in every build.  -1 if an entry that is
 * not a directory was left (nothing is then reaped). */
int tf_test_reap_signal_leftovers(const char *dir, const char *keep);
/* Whether a directory its owner may not read can be opened at all (as an
 * anchor: O_PATH, or O_SEARCH), so tf_dir_fd() works on a tf_dir of
 * mode 0300 for a user who is not root. */
#define TF_TEST_OPENS_UNREADABLE_DIRS (TF_O_SEARCH != O_RDONLY)
/* Children that run a scene and wait to be killed: tf_test_start_child()
 * forks one that runs fn(arg, ready_fd) and then pauses for ever; fn
 * calls tf_test_signal_ready(ready_fd, c) when its objects are in place,
 * and the parent's tf_test_wait_ready(*ready, pid) returns that byte, or
 * fails the test if the child died first (the fd stays open). */
pid_t tf_test_start_child(void (*fn)(void *, int), void *arg, int *ready);
void tf_test_signal_ready(int fd, char c);
char tf_test_wait_ready(int fd, pid_t pid);
/* Ends the test as skipped in a build with no unnamed files. */
void tf_test_need_unnamed(void);

/*
 * The fault sweep: for nth = 1, 2, ... make the nth system call made
 * through the library's table fail with err, and call op(ctx).  While a
 * fault fires, op must return a negative errno and leave no file in the
 * test directory, no fd and no library memory behind.  The sweep ends
 * when a round completes with no fault fired; that round must succeed,
 * and undo(ctx) then removes what it created.  Returns the number of
 * failing rounds walked (the number of calls the operation makes).
 * With err EINTR the library's EINTR policy must hide every fault: each
 * round succeeds with the result of the round without one (undo(ctx)
 * after each) and leaves nothing behind.
 */
int tf_test_fault_sweep(const char *what, int (*op)(void *), void (*undo)(void *),
                        void *ctx, int err);

#endif /* TF_TEST_HARNESS_H */
