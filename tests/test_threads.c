/* SPDX-License-Identifier: MIT */
/*
 * test_threads.c - thread safety (CPython's test_threadedtempfile): 20
 * threads each holding 50 temporary files at once, with no error and no
 * name reused; settings changed while other threads create files.
 */
#include "harness.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#define THREADS 20
#define FILES_PER_THREAD 50

static void *make_files(void *arg) {
  tf_file *files[FILES_PER_THREAD];
  int fds[FILES_PER_THREAD];
  intptr_t failures = 0;
  int i;
  (void)arg;
  for (i = 0; i < FILES_PER_THREAD; i++) {
    files[i] = NULL;
    fds[i] = -1;
    if (i % 2 == 0) {
      if (tf_file_create(&files[i], NULL) != 0)
        failures++;
    } else {
      fds[i] = tf_tmpfile(NULL);
      if (fds[i] < 0)
        failures++;
    }
  }
  for (i = 0; i < FILES_PER_THREAD; i++) {
    if (files[i] != NULL && tf_file_free(files[i]) != 0)
      failures++;
    if (fds[i] >= 0)
      close(fds[i]);
  }
  return (void *)failures;
}

TEST(test_twenty_threads_fifty_files_each_without_error) {
  pthread_t threads[THREADS];
  int i;
  for (i = 0; i < THREADS; i++)
    ASSERT_EQ(pthread_create(&threads[i], NULL, make_files, NULL), 0);
  for (i = 0; i < THREADS; i++) {
    void *failures;
    ASSERT_EQ(pthread_join(threads[i], &failures), 0);
    ASSERT_EQ((intptr_t)failures, 0);
  }
  ASSERT_EQ(tf_test_count_entries("."), 0);
}

static void *make_named_and_report(void *arg) {
  char **paths = arg;
  int i;
  for (i = 0; i < FILES_PER_THREAD; i++) {
    int fd = tf_mkstemp(&paths[i], NULL);
    if (fd < 0)
      return (void *)1;
    close(fd);
  }
  return NULL;
}

static int compare_paths(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

TEST(test_threads_never_get_the_same_name) {
  static char *paths[THREADS * FILES_PER_THREAD];
  pthread_t threads[THREADS];
  int i;
  for (i = 0; i < THREADS; i++)
    ASSERT_EQ(pthread_create(&threads[i], NULL, make_named_and_report,
                             &paths[i * FILES_PER_THREAD]),
              0);
  for (i = 0; i < THREADS; i++) {
    void *rc;
    ASSERT_EQ(pthread_join(threads[i], &rc), 0);
    ASSERT(rc == NULL);
  }
  qsort(paths, THREADS * FILES_PER_THREAD, sizeof(paths[0]), compare_paths);
  for (i = 0; i < THREADS * FILES_PER_THREAD; i++) {
    if (i > 0)
      ASSERT(strcmp(paths[i - 1], paths[i]) != 0);
    ASSERT_EQ(unlink(paths[i]), 0);
  }
  for (i = 0; i < THREADS * FILES_PER_THREAD; i++)
    tf_free(paths[i]);
}

/* A bounded number of flips, so a serialising scheduler (valgrind) can
 * not starve the workers. */
static void *flip_settings(void *arg) {
  int i;
  (void)arg;
  for (i = 0; i < 500; i++) {
    tf_settempprefix("flip_");
    tf_settempdir(tf_test_dir());
    tf_settempprefix(NULL);
    tf_settempdir(NULL);
    sched_yield();
  }
  return NULL;
}

TEST(test_settings_change_while_other_threads_create) {
  pthread_t flipper, workers[4];
  int i;
  ASSERT_EQ(pthread_create(&flipper, NULL, flip_settings, NULL), 0);
  for (i = 0; i < 4; i++)
    ASSERT_EQ(pthread_create(&workers[i], NULL, make_files, NULL), 0);
  for (i = 0; i < 4; i++) {
    void *failures;
    ASSERT_EQ(pthread_join(workers[i], &failures), 0);
    ASSERT_EQ((intptr_t)failures, 0);
  }
  ASSERT_EQ(pthread_join(flipper, NULL), 0);
  ASSERT_EQ(tf_test_count_entries("."), 0);
}
