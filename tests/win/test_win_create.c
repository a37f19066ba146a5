/* SPDX-License-Identifier: MIT */
/* test_win_create.c - first smoke test; grows below. */
#include "harness_win.h"

TEST(win_mkstemp_makes_a_file_in_tmpdir) {
  char *path = NULL;
  int fd = tf_mkstemp(&path, NULL);
  ASSERT_OK(fd);
  ASSERT(strncmp(path, tw_dir(), strlen(tw_dir())) == 0);
  ASSERT(tw_exists(path));
  ASSERT_EQ(_close(fd), 0);
  ASSERT(DeleteFileA(path));
  free(path);
}
