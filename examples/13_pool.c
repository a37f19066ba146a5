/* SPDX-License-Identifier: MIT */
/*
 * 13_pool.c - the tour's temporary file pools, the tutorial's TempFilePool:
 * a program that needs many short-lived scratch files takes them from a
 * pool.  tf_pool_acquire() hands out an empty file, reusing an idle one
 * without a system call; tf_pool_release() truncates it and keeps it for
 * the next acquire, or ends it when the pool already holds its capacity
 * of idle files; tf_pool_free() removes them all.  The pool here is
 * named (TF_POOL_NAMED) so each file's path can be shown.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tour.h"

#define CAPACITY 3

/* Copy the path of the acquired fd (borrowed from the pool) into buf. */
static void copy_path(const tf_pool *pool, int fd, char *buf, size_t size) {
  const char *path = tf_pool_path(pool, fd);
  if (path == NULL)
    check(-ENOENT, "tf_pool_path");
  snprintf(buf, size, "%s", path);
}

int main(void) {
  char paths[CAPACITY + 1][4096], path4[4096];
  tf_opts opts = TF_OPTS_INIT;
  struct stat st;
  tf_pool *pool;
  int fds[CAPACITY + 1];
  int i, fd4, reused;

  puts("=== Temporary File Pool ===");
  opts.prefix = "pool_";
  opts.flags = TF_POOL_NAMED;
  check(tf_pool_create(&pool, CAPACITY, &opts), "tf_pool_create");

  /* Acquire and use three files. */
  for (i = 0; i < 3; i++) {
    fds[i] = tf_pool_acquire(pool);
    check(fds[i], "tf_pool_acquire");
    copy_path(pool, fds[i], paths[i], sizeof(paths[i]));
    printf("Acquired fd %d: %s\n", fds[i], paths[i]);
  }
  printf("In use: 3, idle: %zu\n", tf_pool_idle(pool));
  check_sys(write(fds[0], "scratch one", 11) == 11, "write");
  check_sys(write(fds[1], "scratch two", 11) == 11, "write");

  /* Give two back: they are emptied and kept. */
  check(tf_pool_release(pool, fds[0]), "tf_pool_release");
  check(tf_pool_release(pool, fds[1]), "tf_pool_release");
  printf("Released two: in use 1, idle %zu\n", tf_pool_idle(pool));

  /* Acquire again: a released file comes back, empty, at offset 0. */
  fd4 = tf_pool_acquire(pool);
  check(fd4, "tf_pool_acquire");
  copy_path(pool, fd4, path4, sizeof(path4));
  reused = strcmp(path4, paths[0]) == 0 || strcmp(path4, paths[1]) == 0;
  check_sys(fstat(fd4, &st) == 0, "fstat");
  printf("Acquired again: %s (%s, %lld bytes, offset %lld)\n",
         reused ? "a released file, reused" : "a new file", path4,
         (long long)st.st_size, (long long)lseek(fd4, 0, SEEK_CUR));
  if (!reused || st.st_size != 0)
    check(-EINVAL, "reuse");
  check(tf_pool_release(pool, fd4), "tf_pool_release");
  check(tf_pool_release(pool, fds[2]), "tf_pool_release");
  printf("All released: idle %zu\n", tf_pool_idle(pool));

  /* The capacity bound: four in use at once, then all four released;
   * the pool keeps CAPACITY of them and ends the fourth. */
  for (i = 0; i < CAPACITY + 1; i++) {
    fds[i] = tf_pool_acquire(pool);
    check(fds[i], "tf_pool_acquire");
    copy_path(pool, fds[i], paths[i], sizeof(paths[i]));
  }
  printf("Acquired %d files at once (capacity %d); idle: %zu\n",
         CAPACITY + 1, CAPACITY, tf_pool_idle(pool));
  for (i = 0; i < CAPACITY + 1; i++)
    check(tf_pool_release(pool, fds[i]), "tf_pool_release");
  printf("Released all %d: idle %zu; the pool ended the last, %s exists: %s\n",
         CAPACITY + 1, tf_pool_idle(pool), paths[CAPACITY],
         exists(paths[CAPACITY]));
  if (tf_pool_idle(pool) != CAPACITY)
    check(-EINVAL, "capacity");

  check(tf_pool_free(pool), "tf_pool_free");
  for (i = 0; i < CAPACITY + 1; i++)
    if (strcmp(exists(paths[i]), "true") == 0)
      check(-EEXIST, paths[i]);
  puts("Pool freed: none of its files is left");
  return 0;
}
