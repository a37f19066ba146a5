/* SPDX-License-Identifier: MIT */
/*
 * test_atomic_faults.c - a failed atomic replacement never harms the old
 * file and leaves nothing behind: every system call of every variant
 * failed in turn with several errnos, and a full disk for real (a tiny
 * tmpfs in a private mount namespace).
 */
#include "harness.h"
#include "internal.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *len) {
  struct stat st;
  char *buf;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  CHECK_SYS(fstat(fd, &st));
  buf = malloc((size_t)st.st_size + 1);
  ASSERT(buf != NULL);
  ASSERT_EQ(read(fd, buf, (size_t)st.st_size + 1), st.st_size);
  close(fd);
  buf[st.st_size] = '\0';
  *len = (size_t)st.st_size;
  return buf;
}

/* One variant of a replacement, run by the sweep. */
struct variant {
  const char *what;
  unsigned flags;
  int target_exists; /* the target is "t", holding "old" */
  int through_link;  /* "t" is a symlink to "real" */
  int use_stream;    /* write through tf_atomic_stream() */
  int named;         /* force the hidden-sibling path */
  int no_renameat2;
};

/* The file whose contents change: the link's file, unless the link
 * itself is replaced. */
static const char *target_file(const struct variant *v) {
  return v->through_link && !(v->flags & TF_REPLACE_LINK) ? "real" : "t";
}

static void setup(const struct variant *v) {
  if (v->through_link)
    CHECK_SYS(symlink("real", "t"));
  if (v->target_exists) {
    tf_test_write_file(target_file(v), "old");
    CHECK_SYS(chmod(target_file(v), 0640));
  }
}

static const char new_text[] = "the new contents";

static int replace_op(void *ctx) {
  const struct variant *v = ctx;
  tf_opts o = TF_OPTS_INIT;
  tf_atomic *a = NULL;
  FILE *fp;
  int rc, rc_free, not_durable = 0;
  o.flags = v->flags;
  rc = tf_atomic_begin(&a, "t", &o);
  if (rc < 0)
    return rc;
  if (v->use_stream) {
    rc = tf_atomic_stream(a, &fp);
    if (rc == 0 && fputs(new_text, fp) < 0)
      rc = -EIO;
  } else {
    rc = tf_atomic_write(a, new_text, sizeof(new_text) - 1);
  }
  if (rc == 0) {
    rc = tf_atomic_commit(a);
    /* Only the directory fsync after the rename fails that late: the
     * target is new, and the handle says so. */
    if (rc < 0 && tf_atomic_committed(a) == 1) {
      if (!(v->flags & TF_SYNC_DURABLE))
        FAIL("%s: commit failed after the rename: %s", v->what,
             tf_err_name(rc));
      not_durable = 1;
      rc = 0;
    }
  }
  rc_free = tf_atomic_free(a);
  if (rc == 0 && rc_free < 0)
    FAIL("%s: free after commit failed: %s", v->what, tf_err_name(rc_free));

  /* The point of the whole API: the target is exactly old or new. */
  {
    size_t len = 0;
    char *got = slurp(rc < 0 && v->through_link ? "real" : target_file(v),
                      &len);
    if (rc < 0) {
      if (v->target_exists ? got == NULL || strcmp(got, "old") != 0
                           : got != NULL)
        FAIL("%s: failed with %s and the target is not as it was", v->what,
             tf_err_name(rc));
    } else if (got == NULL || strcmp(got, new_text) != 0) {
      FAIL("%s: succeeded and the target is not new", v->what);
    } else {
      struct stat st;
      CHECK_SYS(stat(target_file(v), &st));
      if (v->target_exists && (st.st_mode & 07777) != 0640)
        FAIL("%s: mode 0%o", v->what, st.st_mode & 07777);
    }
    free(got);
  }
  if (v->through_link) {
    struct stat st;
    CHECK_SYS(lstat("t", &st));
    if (rc == 0 && (v->flags & TF_REPLACE_LINK))
      ASSERT(S_ISREG(st.st_mode));
    else
      ASSERT(S_ISLNK(st.st_mode));
  }
  return not_durable ? 1 : rc;
}

/* After a success: put the target back as it was. */
static void replace_undo(void *ctx) {
  const struct variant *v = ctx;
  if (v->through_link && (v->flags & TF_REPLACE_LINK)) {
    CHECK_SYS(unlink("t"));
    CHECK_SYS(symlink("real", "t"));
  } else if (v->target_exists) {
    CHECK_SYS(unlink(target_file(v)));
    tf_test_write_file(target_file(v), "old");
    CHECK_SYS(chmod(target_file(v), 0640));
  } else {
    CHECK_SYS(unlink(target_file(v)));
  }
}

static const struct variant variants[] = {
    {"replace", 0, 1, 0, 0, 0, 0},
    {"replace, stream", 0, 1, 0, 1, 0, 0},
    {"replace, durable", TF_SYNC_DURABLE, 1, 0, 0, 0, 0},
    {"create", 0, 0, 0, 0, 0, 0},
    {"create, no clobber", TF_NOCLOBBER, 0, 0, 0, 0, 0},
    {"replace, must exist", TF_MUST_EXIST, 1, 0, 0, 0, 0},
    {"replace through a link", 0, 1, 1, 0, 0, 0},
    {"replace the link itself", TF_REPLACE_LINK, 1, 1, 0, 0, 0},
    {"replace, strict owner", TF_STRICT_OWNER | TF_SYNC_NONE, 1, 0, 0, 0, 0},
    {"named: replace", 0, 1, 0, 0, 1, 0},
    {"named: replace, stream, durable", TF_SYNC_DURABLE, 1, 0, 1, 1, 0},
    {"named: create, no clobber", TF_NOCLOBBER, 0, 0, 0, 1, 0},
    {"named: create, no clobber, no renameat2", TF_NOCLOBBER, 0, 0, 0, 1, 1},
    {"named: replace, must exist", TF_MUST_EXIST, 1, 0, 0, 1, 0},
    {"named: replace, must exist, no renameat2", TF_MUST_EXIST, 1, 0, 0, 1, 1},
    {"named: replace through a link", 0, 1, 1, 0, 1, 0},
};

static const int sweep_errnos[] = {EIO, ENOSPC, EACCES, EMFILE, EPERM,
                                   EINTR};

TEST_TIMEOUT(test_atomic_every_failing_call_leaves_the_target_as_it_was, 120) {
  size_t i, j;
  for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
    const struct variant *v = &variants[i];
    for (j = 0; j < sizeof(sweep_errnos) / sizeof(sweep_errnos[0]); j++) {
      int walked;
      tf_test_restore_syscalls();
      if (v->named)
        tf_test_without_o_tmpfile();
      if (v->no_renameat2)
        tf_test_without_renameat2(ENOSYS);
      setup(v);
      walked = tf_test_fault_sweep(v->what, replace_op, replace_undo,
                                   (void *)v, sweep_errnos[j]);
      /* open dir, stat, create, write, fsync, link/rename, close at the
       * least. */
      if (walked < 6)
        FAIL("%s: only %d calls walked", v->what, walked);
      if (v->target_exists)
        CHECK_SYS(unlink(v->through_link ? "real" : "t"));
      if (v->through_link)
        CHECK_SYS(unlink("t"));
      ASSERT_EQ(tf_test_count_entries("."), 0);
    }
  }
  tf_test_restore_syscalls();
}

/* ------------------------------------------------------ a full disk */

static void with_small_dir(void *fn) {
  CHECK_SYS(mkdir("small", 0700));
  ((void (*)(void))fn)();
  CHECK_SYS(umount("small"));
  CHECK_SYS(rmdir("small"));
}

static unsigned long long free_bytes(const char *dir) {
  struct statvfs v;
  CHECK_SYS(statvfs(dir, &v));
  return (unsigned long long)v.f_bfree * v.f_frsize;
}

static void full_disk(void) {
  static char big[1 << 20];
  unsigned long long free_before;
  size_t len = 0;
  char *got;
  int p;
  if (mount("tmpfs", "small", "tmpfs", 0, "size=64k,mode=0700") != 0)
    FAIL("mount tmpfs: %s", strerror(errno));
  memset(big, 'n', sizeof(big));
  tf_test_write_file("small/t", "old contents");
  for (p = 0; p < 2; p++) {
    tf_opts o = TF_OPTS_INIT;
    tf_test_restore_syscalls();
    if (p == 1)
      tf_test_without_o_tmpfile();
    free_before = free_bytes("small");
    ASSERT_ERR(tf_write_file("small/t", big, sizeof(big), NULL), -ENOSPC);
    o.flags = TF_SYNC_DURABLE;
    ASSERT_ERR(tf_write_file("small/t", big, sizeof(big), &o), -ENOSPC);
    o.flags = TF_NOCLOBBER;
    ASSERT_ERR(tf_write_file("small/new", big, sizeof(big), &o), -ENOSPC);
    got = slurp("small/t", &len);
    ASSERT(got != NULL);
    ASSERT_STR_EQ(got, "old contents");
    free(got);
    ASSERT_EQ(tf_test_count_entries("small"), 1);
    ASSERT_EQ(free_bytes("small"), free_before); /* no block kept */
    /* What fits still works. */
    ASSERT_OK(tf_write_file("small/t", big, 16 << 10, NULL));
    ASSERT_EQ(tf_test_count_entries("small"), 1);
    tf_test_write_file("small/t", "old contents");
  }
  tf_test_restore_syscalls();
  CHECK_SYS(unlink("small/t"));
}

TEST(test_atomic_full_disk_is_enospc_and_the_old_file_is_intact) {
  tf_test_skip_unless_mount_ns();
  ASSERT_EQ(tf_test_run_in_mount_ns(with_small_dir, (void *)full_disk), 0);
}

/* No inode left on the file system: the temporary file cannot even be
 * made. */
static void no_inodes(void) {
  int i, p;
  char name[32];
  if (mount("tmpfs", "small", "tmpfs", 0, "size=1m,nr_inodes=8,mode=0700") !=
      0)
    FAIL("mount tmpfs: %s", strerror(errno));
  tf_test_write_file("small/t", "old");
  for (i = 0;; i++) {
    int fd;
    snprintf(name, sizeof(name), "small/f%d", i);
    fd = open(name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
      ASSERT_EQ(errno, ENOSPC);
      break;
    }
    close(fd);
  }
  for (p = 0; p < 2; p++) {
    size_t len;
    char *got;
    tf_test_restore_syscalls();
    if (p == 1)
      tf_test_without_o_tmpfile();
    ASSERT_ERR(tf_write_file("small/t", "new", 3, NULL), -ENOSPC);
    got = slurp("small/t", &len);
    ASSERT_STR_EQ(got, "old");
    free(got);
    ASSERT_EQ(tf_test_count_entries("small"), i + 1);
  }
  tf_test_restore_syscalls();
  while (i-- > 0) {
    snprintf(name, sizeof(name), "small/f%d", i);
    CHECK_SYS(unlink(name));
  }
  CHECK_SYS(unlink("small/t"));
}

TEST(test_atomic_no_inode_left_is_enospc_and_the_old_file_is_intact) {
  tf_test_skip_unless_mount_ns();
  ASSERT_EQ(tf_test_run_in_mount_ns(with_small_dir, (void *)no_inodes), 0);
}
