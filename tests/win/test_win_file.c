/* SPDX-License-Identifier: MIT */
/*
 * test_win_file.c - the named file handle on Windows (CPython's
 * TestNamedTemporaryFile): the three delete policies, what other
 * programs may do with the file while it is open, the stream, publishing
 * under a final name, and the attacks on the name: a file deleted or
 * replaced behind the handle's back, a renamed parent directory.
 */
#include "win/win.h"

#include "harness_win.h"

int twc_inheritable(int fd);
void twc_require_stored_security(void);
void twc_assert_private_dacl(const char *path);
#include "checks_win.h"
void twc_assert_random_part(const char *s, size_t n);

/* ---- helpers */

static tf_file *make_file(unsigned flags, const char *dir) {
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  o.flags = flags;
  o.dir = dir;
  ASSERT_OK(tf_file_create(&f, &o));
  return f;
}

static void put(tf_file *f, const char *s) {
  size_t n = strlen(s);
  ASSERT_EQ(_write(tf_file_fd(f), s, (unsigned)n), n);
}

static void move(const char *from, const char *to) {
  wchar_t *a = tw_wide(from), *b = tw_wide(to);
  BOOL ok = MoveFileExW(a, b, 0);
  DWORD err = GetLastError();
  free(a);
  free(b);
  if (!ok)
    FAIL("move %s -> %s: error %lu", from, to, (unsigned long)err);
}

static void assert_content(const char *path, const char *want) {
  char *got = tw_read(path, NULL);
  if (got == NULL)
    FAIL("cannot read %s", path);
  ASSERT_STR_EQ(got, want);
  free(got);
}

/* Another program's open of path for reading and writing, sharing read
 * and write but NOT delete, as most programs open files.  Returns the
 * handle or INVALID_HANDLE_VALUE (with the error in *err). */
static HANDLE open_without_share_delete(const char *path, DWORD *err) {
  wchar_t *w = tw_wide(path);
  HANDLE h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE,
                         FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  *err = GetLastError();
  free(w);
  return h;
}

/* ---- probes of what the system does with a renamed directory */

/* Whether a file opened relative to a directory handle after the
 * directory was renamed, and deleted through its own handle, goes from
 * the renamed directory (Windows: yes, handles are the objects; Wine 8
 * keeps the old path and deletes by it). */
static int relative_delete_follows_rename(void) {
  char *a = tw_join(tw_dir(), "probe-a"), *b = tw_join(tw_dir(), "probe-b");
  char *inside = tw_join(a, "p");
  wchar_t *w = tw_wide(a);
  HANDLE dir, h;
  size_t left = 1;
  tw_mkdir(a);
  tw_write(inside, "p", 1);
  ASSERT_OK(tf__w_open_dir(w, &dir));
  move(a, b);
  if (tf__w_open_at(dir, L"p", 1, DELETE | FILE_READ_ATTRIBUTES, 0, FILE_OPEN,
                    0, NULL, &h) == 0) {
    if (tf__w_unlink_handle(h) == 0)
      left = 0;
    CloseHandle(h);
  }
  CloseHandle(dir);
  if (left == 0)
    left = tw_count_entries(b);
  tw_remove_tree(b);
  free(w);
  free(a);
  free(b);
  free(inside);
  return left == 0;
}

/* Whether a file deleted through its handle after its directory was
 * renamed goes from the renamed directory (Windows: yes; Wine 8 works on
 * the old path). */
static int handle_delete_follows_rename(void) {
  char *a = tw_join(tw_dir(), "probe-a"), *b = tw_join(tw_dir(), "probe-b");
  char *inside = tw_join(a, "p");
  wchar_t *w = tw_wide(inside), *wa = tw_wide(a), *wb = tw_wide(b);
  FILE_DISPOSITION_INFO d;
  HANDLE h;
  size_t left = 1;
  tw_mkdir(a);
  h = CreateFileW(w, GENERIC_READ | DELETE, TF_W_SHARE_ALL, NULL, CREATE_NEW,
                  FILE_ATTRIBUTE_NORMAL, NULL);
  ASSERT(h != INVALID_HANDLE_VALUE);
  if (!MoveFileExW(wa, wb, 0)) { /* refused: the test can not run */
    CloseHandle(h);
    tw_remove_tree(a);
    goto out;
  }
  d.DeleteFile = TRUE;
  ASSERT(SetFileInformationByHandle(h, FileDispositionInfo, &d, sizeof(d)));
  CloseHandle(h);
  left = tw_count_entries(b);
  tw_remove_tree(b);
out:
  free(w);
  free(wa);
  free(wb);
  free(a);
  free(b);
  free(inside);
  return left == 0;
}

/* ================================================== creation */

TEST(test_named_basic_creates_named) {
  tf_file *f = NULL;
  const char *path;
  ASSERT_OK(tf_file_create(&f, NULL));
  path = tf_file_path(f);
  ASSERT(path != NULL);
  ASSERT(strncmp(path, tw_dir(), strlen(tw_dir())) == 0);
  ASSERT_EQ(path[strlen(tw_dir())], '\\');
  ASSERT(strncmp(twc_base(path), "tmp", 3) == 0);
  twc_assert_random_part(twc_base(path) + 3, TF_RANDOM_LEN_DEFAULT);
  ASSERT(tw_exists(path));
  ASSERT_OK(tf_file_fd(f));
  ASSERT(!twc_inheritable(tf_file_fd(f)));
  ASSERT_OK(tf_file_free(f));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

TEST(test_named_options_prefix_suffix_dir) {
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  char *sub = tw_join(tw_dir(), "sub");
  const char *name;
  tw_mkdir(sub);
  o.dir = "sub";
  o.prefix = "\xc3\xa9-";
  o.suffix = ".log";
  o.random_len = 5;
  ASSERT_OK(tf_file_create(&f, &o));
  ASSERT(strncmp(tf_file_path(f), sub, strlen(sub)) == 0);
  name = twc_base(tf_file_path(f));
  ASSERT(strncmp(name, "\xc3\xa9-", 3) == 0);
  twc_assert_random_part(name + 3, 5);
  ASSERT_STR_EQ(name + 8, ".log");
  ASSERT_EQ(tw_count_entries(sub), 1);
  ASSERT_OK(tf_file_free(f));
  ASSERT_EQ(tw_count_entries(sub), 0);
  ASSERT(RemoveDirectoryA(sub));
  free(sub);
}

TEST(test_named_bad_arguments) {
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = (tf_file *)&o;
  ASSERT_ERR(tf_file_create(NULL, NULL), -EINVAL);
  o.flags = TF_IGNORE_ERRORS;
  ASSERT_ERR(tf_file_create(&f, &o), -EINVAL);
  o.flags = TF_NOCLOBBER;
  ASSERT_ERR(tf_file_create(&f, &o), -EINVAL);
  o.flags = TF_KEEP | 0x100000u;
  ASSERT_ERR(tf_file_create(&f, &o), -EINVAL);
  o.flags = 0;
  o.prefix = "a:b";
  ASSERT_ERR(tf_file_create(&f, &o), -EINVAL);
  o.prefix = NULL;
  o.dir = "missing";
  ASSERT_ERR(tf_file_create(&f, &o), -ENOENT);
  ASSERT(f == (tf_file *)&o); /* untouched */
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  ASSERT(tf_file_path(NULL) == NULL);
  ASSERT_ERR(tf_file_fd(NULL), -EINVAL);
  ASSERT_ERR(tf_file_keep(NULL), -EINVAL);
  ASSERT_ERR(tf_file_stream(NULL, NULL), -EINVAL);
  ASSERT_ERR(tf_file_publish(NULL, "x", 0, 0), -EINVAL);
}

TEST(test_named_private_dacl) {
  tf_file *f;
  twc_require_stored_security();
  f = make_file(0, NULL);
  twc_assert_private_dacl(tf_file_path(f));
  ASSERT_OK(tf_file_free(f));
  f = make_file(TF_DELETE_ON_FREE, NULL);
  twc_assert_private_dacl(tf_file_path(f));
  ASSERT_OK(tf_file_free(f));
}

/* ================================================== delete policies */

/* test_del_on_close */
TEST(test_named_del_on_close) {
  tf_file *f = make_file(0, NULL);
  char *path = _strdup(tf_file_path(f));
  put(f, "blat");
  ASSERT_OK(tf_file_close(f));
  ASSERT(!tw_exists(path));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  ASSERT_ERR(tf_file_fd(f), -EBADF);
  ASSERT_OK(tf_file_free(f));
  free(path);
}

/* test_multiple_close */
TEST(test_named_multiple_close) {
  tf_file *f = make_file(0, NULL);
  ASSERT_OK(tf_file_close(f));
  ASSERT_OK(tf_file_close(f));
  ASSERT_OK(tf_file_close(f));
  ASSERT_OK(tf_file_free(f));
}

/* test_dis_del_on_close / Python 3.12's delete_on_close=False: the file
 * survives the close and goes at free; while it is open another program
 * may open it without sharing deletion. */
TEST(test_named_delete_on_free_survives_close) {
  tf_file *f = make_file(TF_DELETE_ON_FREE, NULL);
  char *path = _strdup(tf_file_path(f));
  DWORD err = 0;
  HANDLE other;
  put(f, "data");
  other = open_without_share_delete(path, &err);
  if (other == INVALID_HANDLE_VALUE)
    FAIL("another program's open without FILE_SHARE_DELETE: error %lu",
         (unsigned long)err);
  CloseHandle(other);
  ASSERT_OK(tf_file_close(f));
  assert_content(path, "data");
  /* closed, another program opens it as it likes */
  other = open_without_share_delete(path, &err);
  ASSERT(other != INVALID_HANDLE_VALUE);
  CloseHandle(other);
  ASSERT_OK(tf_file_free(f));
  ASSERT(!tw_exists(path));
  free(path);
}

/* test_context_man_not_del_if_delete_false */
TEST(test_named_keep_never_deletes) {
  tf_file *f = make_file(TF_KEEP, NULL);
  char *path = _strdup(tf_file_path(f));
  put(f, "kept");
  ASSERT_OK(tf_file_close(f));
  ASSERT(tw_exists(path));
  ASSERT_OK(tf_file_free(f));
  assert_content(path, "kept");
  ASSERT_EQ(tw_remove_file(path), 0);
  free(path);
}

TEST(test_named_keep_called_later_stops_deletion) {
  tf_file *f = make_file(0, NULL);
  char *path = _strdup(tf_file_path(f));
  ASSERT_OK(tf_file_keep(f));
  ASSERT_OK(tf_file_close(f));
  ASSERT(tw_exists(path));
  ASSERT_OK(tf_file_free(f));
  ASSERT(tw_exists(path));
  ASSERT_EQ(tw_remove_file(path), 0);
  f = make_file(TF_DELETE_ON_FREE, NULL);
  free(path);
  path = _strdup(tf_file_path(f));
  ASSERT_OK(tf_file_close(f));
  ASSERT_OK(tf_file_keep(f));
  ASSERT_OK(tf_file_free(f));
  ASSERT(tw_exists(path));
  ASSERT_EQ(tw_remove_file(path), 0);
  free(path);
}

/* test_context_man_ok_to_delete_manually, for each policy */
TEST(test_named_deleted_by_the_caller_is_fine) {
  static const unsigned policies[] = {0, TF_DELETE_ON_FREE};
  size_t i;
  for (i = 0; i < 2; i++) {
    tf_file *f = make_file(policies[i], NULL);
    if (policies[i] == TF_DELETE_ON_FREE)
      ASSERT_OK(tf_file_close(f));
    ASSERT_EQ(tw_remove_file(tf_file_path(f)), 0);
    ASSERT_OK(tf_file_close(f));
    ASSERT_OK(tf_file_free(f));
    ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  }
}

/* ================================================== the stream */

/* Written through the stream, read back through the fd: binary, so "\n"
 * stays one byte. */
TEST(test_named_stream_reads_back_what_it_wrote) {
  tf_file *f = make_file(0, NULL);
  FILE *fp = NULL, *again = NULL;
  char buf[16];
  ASSERT_OK(tf_file_stream(f, &fp));
  ASSERT(fp != NULL);
  ASSERT_OK(tf_file_stream(f, &again));
  ASSERT(again == fp);
  ASSERT(fputs("one\ntwo\n", fp) >= 0);
  ASSERT_EQ(fflush(fp), 0);
  ASSERT_EQ(_lseeki64(tf_file_fd(f), 0, SEEK_END), 8);
  ASSERT_EQ(_lseeki64(tf_file_fd(f), 0, SEEK_SET), 0);
  ASSERT_EQ(_read(tf_file_fd(f), buf, sizeof(buf)), 8);
  ASSERT(memcmp(buf, "one\ntwo\n", 8) == 0);
  ASSERT_EQ(fseek(fp, 4, SEEK_SET), 0);
  ASSERT(fgets(buf, sizeof(buf), fp) != NULL);
  ASSERT_STR_EQ(buf, "two\n");
  ASSERT_OK(tf_file_free(f)); /* closes the stream too */
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

TEST(test_named_stream_unflushed_data_lands_on_close) {
  tf_file *f = make_file(TF_KEEP, NULL);
  char *path = _strdup(tf_file_path(f));
  FILE *fp = NULL;
  ASSERT_OK(tf_file_stream(f, &fp));
  ASSERT(fputs("a\nb", fp) >= 0);
  ASSERT_OK(tf_file_close(f));
  ASSERT_ERR(tf_file_stream(f, &fp), -EBADF);
  ASSERT_OK(tf_file_free(f));
  assert_content(path, "a\nb");
  ASSERT_EQ(tw_remove_file(path), 0);
  free(path);
}

TEST(test_named_stream_appends_with_o_append) {
  tf_opts o = TF_OPTS_INIT;
  tf_file *f = NULL;
  FILE *fp = NULL;
  char *path;
  o.open_flags = O_APPEND;
  o.flags = TF_KEEP;
  ASSERT_OK(tf_file_create(&f, &o));
  path = _strdup(tf_file_path(f));
  put(f, "12");
  ASSERT_OK(tf_file_stream(f, &fp));
  ASSERT_EQ(fseek(fp, 0, SEEK_SET), 0);
  ASSERT(fputs("34", fp) >= 0);
  ASSERT_OK(tf_file_free(f));
  assert_content(path, "1234");
  ASSERT_EQ(tw_remove_file(path), 0);
  free(path);
}

/* ================================================== publish */

TEST(test_publish_to_a_new_name) {
  tf_file *f = make_file(0, NULL);
  char *old = _strdup(tf_file_path(f)), *target = tw_join(tw_dir(), "final.txt");
  FILE *fp = NULL;
  ASSERT_OK(tf_file_stream(f, &fp));
  ASSERT(fputs("complete", fp) >= 0); /* flushed before the name appears */
  ASSERT_OK(tf_file_publish(f, "final.txt", 0, 0));
  ASSERT_STR_EQ(tf_file_path(f), target);
  ASSERT(!tw_exists(old));
  assert_content(target, "complete");
  ASSERT_OK(tf_file_fd(f)); /* still open */
  ASSERT_ERR(tf_file_publish(f, "again.txt", 0, 0), -EINVAL);
  ASSERT_OK(tf_file_close(f));
  ASSERT(tw_exists(target)); /* never deleted after */
  ASSERT_OK(tf_file_free(f));
  assert_content(target, "complete");
  ASSERT_EQ(tw_remove_file(target), 0);
  free(target);
  free(old);
}

TEST(test_publish_replaces_an_existing_target) {
  tf_file *f = make_file(0, NULL);
  char *target = tw_join(tw_dir(), "final.txt");
  tw_write(target, "old", 3);
  put(f, "new");
  ASSERT_OK(tf_file_publish(f, target, 0, 0));
  ASSERT_OK(tf_file_free(f));
  assert_content(target, "new");
  ASSERT_EQ(tw_count_entries(tw_dir()), 1);
  ASSERT_EQ(tw_remove_file(target), 0);
  free(target);
}

TEST(test_publish_noclobber_is_eexist_and_target_untouched) {
  tf_file *f = make_file(0, NULL);
  char *old = _strdup(tf_file_path(f)), *target = tw_join(tw_dir(), "final.txt");
  tw_write(target, "theirs", 6);
  put(f, "mine");
  ASSERT_ERR(tf_file_publish(f, "final.txt", 0, TF_NOCLOBBER), -EEXIST);
  assert_content(target, "theirs");
  ASSERT_STR_EQ(tf_file_path(f), old);
  /* the handle still owns its file and may publish elsewhere */
  ASSERT_OK(tf_file_publish(f, "other.txt", 0, TF_NOCLOBBER));
  ASSERT_OK(tf_file_free(f));
  {
    char *other = tw_join(tw_dir(), "other.txt");
    assert_content(other, "mine");
    ASSERT_EQ(tw_remove_file(other), 0);
    free(other);
  }
  ASSERT_EQ(tw_remove_file(target), 0);
  free(target);
  free(old);
}

TEST(test_publish_mode_0444_is_read_only) {
  tf_file *f = make_file(0, NULL);
  char *target = tw_join(tw_dir(), "ro.txt");
  ASSERT_OK(tf_file_publish(f, target, 0444, 0));
  ASSERT(tw_attributes(target) & FILE_ATTRIBUTE_READONLY);
  ASSERT_OK(tf_file_free(f));
  ASSERT(tw_exists(target));
  ASSERT_EQ(tw_remove_file(target), 0);
  free(target);
}

/* A failed publish leaves the handle as it was: usable, still owning and
 * deleting its file. */
TEST(test_publish_failure_keeps_the_handle_whole) {
  tf_file *f = make_file(0, NULL);
  char *old = _strdup(tf_file_path(f));
  ASSERT_ERR(tf_file_publish(f, "missing\\final.txt", 0, 0), -ENOENT);
  ASSERT_STR_EQ(tf_file_path(f), old);
  put(f, "still usable");
  assert_content(old, "still usable");
  ASSERT_OK(tf_file_close(f));
  ASSERT(!tw_exists(old)); /* still deleting */
  ASSERT_OK(tf_file_free(f));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  free(old);
}

TEST(test_publish_rejects_bad_arguments) {
  tf_file *f = make_file(0, NULL);
  ASSERT_ERR(tf_file_publish(f, NULL, 0, 0), -EINVAL);
  ASSERT_ERR(tf_file_publish(f, "", 0, 0), -EINVAL);
  ASSERT_ERR(tf_file_publish(f, "x", 0, TF_KEEP), -EINVAL);
  ASSERT_ERR(tf_file_publish(f, "x", 010000, 0), -EINVAL);
  ASSERT_EQ(tw_count_entries(tw_dir()), 1);
  ASSERT_OK(tf_file_free(f));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

TEST(test_publish_after_delete_on_free_close) {
  tf_file *f = make_file(TF_DELETE_ON_FREE, NULL);
  char *target = tw_join(tw_dir(), "final.txt");
  put(f, "x");
  ASSERT_OK(tf_file_close(f));
  ASSERT_OK(tf_file_publish(f, "final.txt", 0, 0));
  ASSERT_OK(tf_file_free(f));
  assert_content(target, "x");
  ASSERT_EQ(tw_remove_file(target), 0);
  free(target);
}

TEST(test_publish_of_a_deleted_file_is_enoent) {
  tf_file *f = make_file(0, NULL);
  ASSERT_OK(tf_file_close(f));
  ASSERT_ERR(tf_file_publish(f, "final.txt", 0, 0), -ENOENT);
  ASSERT_OK(tf_file_free(f));
  f = make_file(TF_DELETE_ON_FREE, NULL);
  ASSERT_OK(tf_file_close(f));
  ASSERT_EQ(tw_remove_file(tf_file_path(f)), 0);
  ASSERT_ERR(tf_file_publish(f, "final.txt", 0, 0), -ENOENT);
  ASSERT_OK(tf_file_free(f));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

/* The target in another script, and under a directory longer than
 * MAX_PATH: the path reported has no "\\?\". */
TEST(test_publish_utf8_and_long_target) {
  tf_file *f = make_file(0, NULL);
  char *target = tw_join(tw_dir(), "\xe6\x97\xa5\xe6\x9c\xac.txt");
  char name[200], *deep, *l;
  ASSERT_OK(tf_file_publish(f, target, 0, 0));
  ASSERT_STR_EQ(tf_file_path(f), target);
  ASSERT_OK(tf_file_free(f));
  ASSERT(tw_exists(target));
  ASSERT_EQ(tw_remove_file(target), 0);
  free(target);
  memset(name, 'd', sizeof(name) - 1);
  name[sizeof(name) - 1] = '\0';
  deep = tw_join(tw_dir(), name);
  l = twc_long(deep);
  tw_mkdir(l);
  free(l);
  target = tw_join(deep, name);
  ASSERT_GT(strlen(target), MAX_PATH);
  f = make_file(0, NULL);
  ASSERT_OK(tf_file_publish(f, target, 0, 0));
  ASSERT_STR_EQ(tf_file_path(f), target);
  ASSERT_OK(tf_file_free(f));
  l = twc_long(target);
  ASSERT(tw_exists(l));
  free(l);
  l = twc_long(deep);
  tw_remove_tree(l);
  ASSERT(!tw_exists(l));
  free(l);
  free(target);
  free(deep);
}

/* ================================================== attacks on the name */

/* The parent renamed after creation: the deletion is anchored on the
 * parent's handle, so it reaches the file made, and a file of the same
 * name in a new directory under the old path is untouched. */
TEST(test_named_delete_is_anchored_on_parent_dir_not_path) {
  char *parent = tw_join(tw_dir(), "parent"), *moved = tw_join(tw_dir(), "moved");
  char *decoy;
  tf_file *f;
  if (!relative_delete_follows_rename())
    SKIP("a file opened relative to a renamed directory's handle is not "
         "deleted from it through its handle here (Wine 8 deletes by the "
         "old path)");
  tw_mkdir(parent);
  f = make_file(TF_DELETE_ON_FREE, "parent");
  decoy = _strdup(tf_file_path(f));
  ASSERT_OK(tf_file_close(f));
  move(parent, moved);
  tw_mkdir(parent);
  tw_write(decoy, "victim", 6);
  ASSERT_OK(tf_file_free(f));
  assert_content(decoy, "victim");
  ASSERT_EQ(tw_count_entries(moved), 0);
  ASSERT_EQ(tw_remove_file(decoy), 0);
  ASSERT(RemoveDirectoryA(parent));
  ASSERT(RemoveDirectoryA(moved));
  free(decoy);
  free(parent);
  free(moved);
}

/* Wherever the system deletes (also where it can not follow the
 * rename): a file under the old path that is not the one made is never
 * deleted. */
TEST(test_named_decoy_under_the_old_parent_path_is_untouched) {
  char *parent = tw_join(tw_dir(), "parent"), *moved = tw_join(tw_dir(), "moved");
  char *decoy;
  tf_file *f;
  int rc;
  tw_mkdir(parent);
  f = make_file(TF_DELETE_ON_FREE, "parent");
  decoy = _strdup(tf_file_path(f));
  ASSERT_OK(tf_file_close(f));
  move(parent, moved);
  tw_mkdir(parent);
  tw_write(decoy, "victim", 6);
  rc = tf_file_free(f);
  ASSERT(rc == 0 || rc == -ESTALE);
  assert_content(decoy, "victim");
  tw_remove_tree(parent);
  tw_remove_tree(moved);
  free(decoy);
  free(parent);
  free(moved);
}

/* The same, with the file still open under the default policy, where
 * the system lets a directory with an open file in it be renamed. */
TEST(test_named_close_after_parent_renamed_deletes_the_right_file) {
  char *parent = tw_join(tw_dir(), "parent"), *moved = tw_join(tw_dir(), "moved");
  wchar_t *a, *b;
  char *decoy;
  tf_file *f;
  BOOL ok;
  if (!handle_delete_follows_rename())
    SKIP("a file deleted by handle after its directory's rename is not "
         "deleted from the renamed directory here (Wine 8 uses the old "
         "path), or the rename is refused");
  tw_mkdir(parent);
  f = make_file(0, "parent");
  decoy = _strdup(tf_file_path(f));
  a = tw_wide(parent);
  b = tw_wide(moved);
  ok = MoveFileExW(a, b, 0);
  free(a);
  free(b);
  if (!ok) {
    ASSERT_OK(tf_file_free(f));
    ASSERT(RemoveDirectoryA(parent));
    SKIP("this system does not rename a directory with an open file in it "
         "(error %lu)", (unsigned long)GetLastError());
  }
  tw_mkdir(parent);
  tw_write(decoy, "victim", 6);
  ASSERT_OK(tf_file_close(f));
  assert_content(decoy, "victim");
  ASSERT_EQ(tw_count_entries(moved), 0);
  ASSERT_OK(tf_file_free(f));
  assert_content(decoy, "victim");
  ASSERT_EQ(tw_remove_file(decoy), 0);
  ASSERT(RemoveDirectoryA(parent));
  ASSERT(RemoveDirectoryA(moved));
  free(decoy);
  free(parent);
  free(moved);
}

/* The temporary file replaced by another file of the same name before
 * free (TF_DELETE_ON_FREE): the other file is not ours to delete.  The
 * original is moved aside, not deleted, so its file id can not be
 * reused by the newcomer (Wine's ids are inode numbers). */
TEST(test_named_replaced_file_is_not_deleted) {
  tf_file *f = make_file(TF_DELETE_ON_FREE, NULL);
  char *path = _strdup(tf_file_path(f)), *aside = tw_join(tw_dir(), "aside");
  int rc;
  put(f, "ours");
  ASSERT_OK(tf_file_close(f));
  move(path, aside);
  tw_write(path, "theirs", 6);
  rc = tf_file_free(f);
  ASSERT(rc == 0 || rc == -ESTALE);
  assert_content(path, "theirs");
  assert_content(aside, "ours");
  ASSERT_EQ(tw_remove_file(path), 0);
  ASSERT_EQ(tw_remove_file(aside), 0);
  free(path);
  free(aside);
}

/* Renamed away by the caller (published by hand): nothing is deleted. */
TEST(test_named_renamed_away_is_left_alone) {
  tf_file *f = make_file(TF_DELETE_ON_FREE, NULL);
  char *mine = tw_join(tw_dir(), "mine");
  ASSERT_OK(tf_file_close(f));
  move(tf_file_path(f), mine);
  ASSERT_OK(tf_file_free(f));
  ASSERT(tw_exists(mine));
  ASSERT_EQ(tw_remove_file(mine), 0);
  free(mine);
}

/* A publish can not be redirected to a file that took the name either. */
TEST(test_publish_of_a_replaced_file_publishes_nothing) {
  tf_file *f = make_file(TF_DELETE_ON_FREE, NULL);
  char *path = _strdup(tf_file_path(f)), *aside = tw_join(tw_dir(), "aside");
  char *target = tw_join(tw_dir(), "final.txt");
  ASSERT_OK(tf_file_close(f));
  move(path, aside);
  tw_write(path, "theirs", 6);
  ASSERT(tf_file_publish(f, "final.txt", 0, 0) < 0);
  ASSERT(!tw_exists(target));
  assert_content(path, "theirs");
  (void)tf_file_free(f);
  assert_content(path, "theirs");
  ASSERT_EQ(tw_remove_file(path), 0);
  ASSERT_EQ(tw_remove_file(aside), 0);
  free(path);
  free(aside);
  free(target);
}
