/* SPDX-License-Identifier: MIT */
/*
 * test_win_dir.c - the temporary directory handle on Windows (CPython's
 * TestTemporaryDirectory): creation and its security, cleanup of trees
 * with read-only entries, names in any script and paths beyond MAX_PATH,
 * the keep policies, errors reported or ignored (a file another process
 * holds open), and the attacks on the name: the directory removed,
 * renamed away or replaced, its parent renamed, a junction or symbolic
 * link inside pointing outside (skipped, after probing, where the system
 * makes none: Wine 8).
 */
#include "win/win.h"

#include "harness_win.h"

void twc_require_stored_security(void);
void twc_assert_private_dacl(const char *path);
void twc_assert_not_private_dacl(const char *path);
#include "checks_win.h"
void twc_assert_random_part(const char *s, size_t n);
void twc_wait_for(const char *path);

/* ---- helpers */

static tf_dir *make_dir(unsigned flags, const char *in) {
  tf_opts o = TF_OPTS_INIT;
  tf_dir *d = NULL;
  o.flags = flags;
  o.dir = in;
  ASSERT_OK(tf_dir_create(&d, &o));
  return d;
}

static char *in_dir(const tf_dir *d, const char *name) {
  return tw_join(tf_dir_path(d), name);
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

static void set_read_only(const char *path) {
  wchar_t *w = tw_wide(path);
  DWORD a = GetFileAttributesW(w);
  ASSERT(a != INVALID_FILE_ATTRIBUTES);
  ASSERT(SetFileAttributesW(w, a | FILE_ATTRIBUTE_READONLY));
  free(w);
}

/* Files, nested directories, a read-only file, a read-only directory
 * with a file in it, a name in another script: FILL_ENTRIES entries. */
#define FILL_ENTRIES 10
static void fill(const char *top) {
  static const char *const dirs[] = {"sub", "sub\\deeper", "rodir",
                                     "\xe6\x97\xa5\xe6\x9c\xac"};
  static const char *const files[] = {"a.txt", "ro.txt", "sub\\b.txt",
                                      "sub\\deeper\\c.txt", "rodir\\d.txt",
                                      "\xc3\xa9t\xc3\xa9.txt"};
  size_t i;
  for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
    char *p = tw_join(top, dirs[i]);
    tw_mkdir(p);
    free(p);
  }
  for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    char *p = tw_join(top, files[i]);
    tw_write(p, files[i], strlen(files[i]));
    free(p);
  }
  {
    char *ro = tw_join(top, "ro.txt"), *rodir = tw_join(top, "rodir");
    set_read_only(ro);
    set_read_only(rodir);
    free(ro);
    free(rodir);
  }
}

/* Entries in the tree under dir (dir not counted). */
static size_t count_tree(const char *dir) {
  char *pattern = tw_join(dir, "*");
  wchar_t *w = tw_wide(pattern);
  WIN32_FIND_DATAW fd;
  size_t n = 0;
  HANDLE f = FindFirstFileW(w, &fd);
  free(w);
  free(pattern);
  if (f == INVALID_HANDLE_VALUE)
    return 0;
  do {
    char name[MAX_PATH * 4], *child;
    if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0)
      continue;
    n++;
    if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ||
        (fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))
      continue;
    WideCharToMultiByte(CP_UTF8, 0, fd.cFileName, -1, name, sizeof(name), NULL,
                        NULL);
    child = tw_join(dir, name);
    n += count_tree(child);
    free(child);
  } while (FindNextFileW(f, &fd));
  FindClose(f);
  return n;
}

static int is_dir(const char *path) {
  DWORD a = tw_attributes(path);
  return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY);
}

/* ================================================== creation */

TEST(test_dir_creates_an_absolute_empty_directory) {
  tf_dir *d = make_dir(0, NULL);
  const char *path = tf_dir_path(d);
  size_t n = strlen(tw_dir());
  ASSERT(strncmp(path, tw_dir(), n) == 0 && path[n] == '\\');
  ASSERT(strncmp(twc_base(path), "tmp", 3) == 0);
  twc_assert_random_part(twc_base(path) + 3, TF_RANDOM_LEN_DEFAULT);
  ASSERT_EQ(strlen(twc_base(path)), 3 + TF_RANDOM_LEN_DEFAULT);
  ASSERT(is_dir(path));
  ASSERT_EQ(tw_count_entries(path), 0);
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

TEST(test_dir_options_and_bad_arguments) {
  tf_opts o = TF_OPTS_INIT;
  tf_dir *d = (tf_dir *)&o;
  char *sub = tw_join(tw_dir(), "sub");
  ASSERT_ERR(tf_dir_create(NULL, NULL), -EINVAL);
  o.flags = TF_DELETE_ON_FREE;
  ASSERT_ERR(tf_dir_create(&d, &o), -EINVAL);
  o.flags = TF_NOCLOBBER;
  ASSERT_ERR(tf_dir_create(&d, &o), -EINVAL);
  o.flags = 0;
  o.prefix = "a\\b";
  ASSERT_ERR(tf_dir_create(&d, &o), -EINVAL);
  o.prefix = NULL;
  o.suffix = "x:y";
  ASSERT_ERR(tf_dir_create(&d, &o), -EINVAL);
  o.suffix = NULL;
  o.random_len = TF_RANDOM_LEN_MAX + 1;
  ASSERT_ERR(tf_dir_create(&d, &o), -EINVAL);
  ASSERT(d == (tf_dir *)&o); /* untouched */
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  ASSERT(tf_dir_path(NULL) == NULL);
  ASSERT_ERR(tf_dir_keep(NULL), -EINVAL);
  tw_mkdir(sub);
  o.dir = "sub";
  o.prefix = "p-";
  o.suffix = "-s";
  o.random_len = 6;
  o.flags = TF_UNTRACKED | TF_IGNORE_ERRORS;
  ASSERT_OK(tf_dir_create(&d, &o));
  ASSERT(strncmp(tf_dir_path(d), sub, strlen(sub)) == 0);
  ASSERT(strncmp(twc_base(tf_dir_path(d)), "p-", 2) == 0);
  twc_assert_random_part(twc_base(tf_dir_path(d)) + 2, 6);
  ASSERT_STR_EQ(twc_base(tf_dir_path(d)) + 8, "-s");
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tw_count_entries(sub), 0);
  ASSERT(RemoveDirectoryA(sub));
  free(sub);
}

/* test_mkdtemp_failure: a clean -ENOENT, nothing made, *out untouched. */
TEST(test_dir_mkdtemp_failure) {
  tf_opts o = TF_OPTS_INIT;
  tf_dir *d = NULL;
  char *file = tw_join(tw_dir(), "file");
  o.dir = "missing";
  ASSERT_ERR(tf_dir_create(&d, &o), -ENOENT);
  ASSERT(d == NULL);
  tw_write(file, "x", 1);
  o.dir = file;
  ASSERT_ERR(tf_dir_create(&d, &o), -ENOTDIR);
  ASSERT(d == NULL);
  ASSERT_EQ(tw_count_entries(tw_dir()), 1);
  ASSERT(DeleteFileA(file));
  free(file);
}

TEST(test_dir_private_dacl) {
  tf_dir *d;
  twc_require_stored_security();
  d = make_dir(0, NULL);
  twc_assert_private_dacl(tf_dir_path(d));
  ASSERT_OK(tf_dir_free(d));
}

TEST(test_dir_mode_0755_is_not_private) {
  tf_opts o = TF_OPTS_INIT;
  tf_dir *d = NULL;
  twc_require_stored_security();
  o.mode = 0755;
  ASSERT_OK(tf_dir_create(&d, &o));
  twc_assert_not_private_dacl(tf_dir_path(d));
  ASSERT_OK(tf_dir_free(d));
}

/* ================================================== cleanup */

/* test_explicit_cleanup: the tree goes, read-only entries included; the
 * path stays readable; cleanup and free are idempotent. */
TEST(test_dir_explicit_cleanup) {
  tf_dir *d = make_dir(0, NULL);
  char *path = _strdup(tf_dir_path(d));
  fill(path);
  ASSERT_EQ(count_tree(path), FILL_ENTRIES);
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT(!tw_exists(path));
  ASSERT_STR_EQ(tf_dir_path(d), path);
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  free(path);
}

TEST(test_dir_free_removes_the_tree) {
  tf_dir *d = make_dir(0, NULL);
  fill(tf_dir_path(d));
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

/* test_delete_false: TF_KEEP leaves the tree at free, but an explicit
 * cleanup still removes it; tf_dir_keep() does the same later. */
TEST(test_dir_delete_false) {
  tf_dir *d = make_dir(TF_KEEP, NULL);
  char *path = _strdup(tf_dir_path(d));
  fill(path);
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(count_tree(path), FILL_ENTRIES);
  tw_remove_tree(path);
  free(path);

  d = make_dir(TF_KEEP, NULL);
  fill(tf_dir_path(d));
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  ASSERT_OK(tf_dir_free(d));

  d = make_dir(0, NULL);
  path = _strdup(tf_dir_path(d));
  ASSERT_OK(tf_dir_keep(d));
  ASSERT_OK(tf_dir_free(d));
  ASSERT(is_dir(path));
  ASSERT(RemoveDirectoryA(path));
  free(path);
}

/* A tree deeper than MAX_PATH, in a directory made under a path in
 * another script. */
TEST(test_dir_cleanup_of_a_tree_beyond_max_path) {
  char *top = tw_join(tw_dir(), "\xe4\xb8\xad\xe6\x96\x87-\xc3\xa9");
  char *deep, *l;
  tf_dir *d;
  size_t base;
  int i;
  tw_mkdir(top);
  d = make_dir(0, top);
  base = strlen(tf_dir_path(d));
  deep = malloc(base + 10 * 41 + 16);
  ASSERT(deep != NULL);
  memcpy(deep, tf_dir_path(d), base + 1);
  for (i = 0; i < 10; i++) {
    char *end = deep + base + (size_t)i * 41;
    end[0] = '\\';
    memset(end + 1, 'k' + i, 40);
    end[41] = '\0';
    l = twc_long(deep);
    tw_mkdir(l);
    free(l);
  }
  strcat(deep, "\\leaf.txt");
  ASSERT_GT(strlen(deep), MAX_PATH);
  l = twc_long(deep);
  tw_write(l, "leaf", 4);
  free(l);
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tw_count_entries(top), 0);
  tw_remove_tree(top);
  ASSERT(!tw_exists(top));
  free(deep);
  free(top);
}

/* ================================================== errors */

HELPER(helper_hold_without_share_delete) {
  char *ready = tw_join(tw_dir(), "held");
  wchar_t *w;
  HANDLE h;
  if (argc < 2)
    return 2;
  w = tw_wide(argv[1]);
  h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                  FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE)
    return 3;
  tw_write(ready, "", 0);
  Sleep(120000); /* killed by the test; bounded if the test failed first */
  return 0;
}

/* Start a helper holding path open without FILE_SHARE_DELETE. */
static HANDLE hold(const char *path) {
  char *ready = tw_join(tw_dir(), "held");
  HANDLE child = tw_spawn("helper_hold_without_share_delete", path);
  twc_wait_for(ready);
  ASSERT(DeleteFileA(ready));
  free(ready);
  return child;
}

/* test_cleanup_with_used_directory: a file another process holds open
 * without sharing deletion is reported, everything else is removed, and
 * a cleanup after that process is gone succeeds. */
TEST(test_dir_cleanup_with_used_directory) {
  tf_dir *d = make_dir(0, NULL);
  char *path = _strdup(tf_dir_path(d)), *keep = in_dir(d, "keep");
  char *held = tw_join(keep, "held.txt");
  HANDLE child;
  int rc;
  fill(path);
  tw_mkdir(keep);
  tw_write(held, "busy", 4);
  child = hold(held);
  rc = tf_dir_cleanup(d);
  if (rc >= 0 || rc == -ESTALE) {
    tw_kill(child);
    FAIL("cleanup with a held file: %s, want an error", tf_err_name(rc));
  }
  ASSERT_EQ(count_tree(path), 2); /* keep\held.txt, nothing else */
  ASSERT(tw_exists(held));
  tw_kill(child);
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT(!tw_exists(path));
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  free(path);
  free(keep);
  free(held);
}

/* The same held at free: free reports it and still frees the handle. */
TEST(test_dir_free_with_used_directory_reports_the_error) {
  tf_dir *d = make_dir(0, NULL);
  char *path = _strdup(tf_dir_path(d)), *held = in_dir(d, "held.txt");
  HANDLE child;
  int rc;
  fill(path);
  tw_write(held, "busy", 4);
  child = hold(held);
  rc = tf_dir_free(d);
  tw_kill(child);
  ASSERT(rc < 0);
  ASSERT_EQ(count_tree(path), 1);
  tw_remove_tree(path);
  free(path);
  free(held);
}

/* test_explicit_cleanup_ignore_errors: TF_IGNORE_ERRORS removes what it
 * can and reports success; what is left is still the handle's, and a
 * later cleanup removes it (as on POSIX). */
TEST(test_dir_explicit_cleanup_ignore_errors) {
  tf_dir *d = make_dir(TF_IGNORE_ERRORS, NULL);
  char *path = _strdup(tf_dir_path(d)), *held = in_dir(d, "held.txt");
  HANDLE child;
  int rc;
  fill(path);
  tw_write(held, "busy", 4);
  child = hold(held);
  rc = tf_dir_cleanup(d);
  tw_kill(child);
  ASSERT_OK(rc);
  ASSERT_EQ(count_tree(path), 1);
  ASSERT(tw_exists(held));
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT(!tw_exists(path));
  ASSERT_OK(tf_dir_free(d));
  free(path);
  free(held);
}

/* ================================================== attacks on the name */

/* Removed by the caller: cleanup is 0.  Renamed away: nothing is
 * removed, cleanup is 0. */
TEST(test_dir_removed_or_renamed_away_is_left_alone) {
  tf_dir *d = make_dir(0, NULL);
  char *published = tw_join(tw_dir(), "published");
  ASSERT(RemoveDirectoryA(tf_dir_path(d)));
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT_OK(tf_dir_free(d));

  d = make_dir(0, NULL);
  fill(tf_dir_path(d));
  move(tf_dir_path(d), published);
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(count_tree(published), FILL_ENTRIES);
  tw_remove_tree(published);
  free(published);
}

/* Another directory under the handle's name: -ESTALE, both untouched.
 * The original is moved aside, not removed, so its file id can not be
 * reused by the newcomer (Wine's ids are inode numbers). */
TEST(test_dir_replaced_by_another_directory_is_estale) {
  tf_dir *d = make_dir(0, NULL);
  char *path = _strdup(tf_dir_path(d)), *aside = tw_join(tw_dir(), "aside");
  char *theirs;
  fill(path);
  move(path, aside);
  tw_mkdir(path);
  theirs = tw_join(path, "theirs.txt");
  tw_write(theirs, "theirs", 6);
  ASSERT_ERR(tf_dir_cleanup(d), -ESTALE);
  ASSERT(tw_exists(theirs));
  ASSERT_EQ(count_tree(aside), FILL_ENTRIES);
  ASSERT_ERR(tf_dir_free(d), -ESTALE);
  ASSERT(tw_exists(theirs));
  tw_remove_tree(path);
  tw_remove_tree(aside);
  free(path);
  free(aside);
  free(theirs);
}

/* A file under the handle's name: left alone too. */
TEST(test_dir_replaced_by_a_file_is_left_alone) {
  tf_dir *d = make_dir(0, NULL);
  char *path = _strdup(tf_dir_path(d)), *aside = tw_join(tw_dir(), "aside");
  move(path, aside);
  tw_write(path, "theirs", 6);
  ASSERT_ERR(tf_dir_cleanup(d), -ESTALE);
  ASSERT(tw_exists(path) && !is_dir(path));
  ASSERT_ERR(tf_dir_free(d), -ESTALE);
  ASSERT(tw_exists(path));
  ASSERT(DeleteFileA(path));
  ASSERT(RemoveDirectoryA(aside));
  free(path);
  free(aside);
}

/* Whether a directory opened relative to a renamed directory's handle
 * and deleted through its own handle goes from the renamed directory
 * (Windows: yes; Wine 8 keeps the old path and deletes by it). */
static int relative_delete_follows_rename(void) {
  char *a = tw_join(tw_dir(), "probe-a"), *b = tw_join(tw_dir(), "probe-b");
  char *inside = tw_join(a, "p");
  wchar_t *w = tw_wide(a);
  HANDLE dir, h;
  size_t left = 1;
  tw_mkdir(a);
  tw_mkdir(inside);
  ASSERT_OK(tf__w_open_dir(w, &dir));
  move(a, b);
  if (tf__w_open_at(dir, L"p", 1, DELETE | FILE_READ_ATTRIBUTES, 0, FILE_OPEN,
                    FILE_DIRECTORY_FILE, NULL, &h) == 0) {
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

/* The parent renamed after creation: cleanup is anchored on the
 * parent's handle, so it removes the directory made. */
TEST(test_dir_cleanup_follows_a_renamed_parent) {
  char *parent = tw_join(tw_dir(), "parent"), *moved = tw_join(tw_dir(), "moved");
  tf_dir *d;
  if (!relative_delete_follows_rename())
    SKIP("a directory opened relative to a renamed directory's handle is "
         "not removed from it through its handle here (Wine 8 deletes by "
         "the old path)");
  tw_mkdir(parent);
  d = make_dir(0, "parent");
  fill(tf_dir_path(d));
  move(parent, moved);
  ASSERT_OK(tf_dir_free(d));
  ASSERT_EQ(tw_count_entries(moved), 0);
  ASSERT(RemoveDirectoryA(moved));
  free(parent);
  free(moved);
}

/* Wherever the system deletes: a directory of the same name made under
 * the old parent path is not the one made, and is never touched. */
TEST(test_dir_decoy_under_the_old_parent_path_is_untouched) {
  char *parent = tw_join(tw_dir(), "parent"), *moved = tw_join(tw_dir(), "moved");
  char *decoy, *inside;
  tf_dir *d;
  int rc;
  tw_mkdir(parent);
  d = make_dir(0, "parent");
  decoy = _strdup(tf_dir_path(d));
  move(parent, moved);
  tw_mkdir(parent);
  tw_mkdir(decoy);
  inside = tw_join(decoy, "victim.txt");
  tw_write(inside, "victim", 6);
  rc = tf_dir_free(d);
  ASSERT(tw_exists(inside));
  /* Where the system deletes by handle the right directory went; Wine 8
   * deletes by the old path and finds the decoy not empty. */
  if (relative_delete_follows_rename())
    ASSERT_EQ(rc, 0);
  tw_remove_tree(parent);
  tw_remove_tree(moved);
  free(parent);
  free(moved);
  free(decoy);
  free(inside);
}

/* Python since 3.8 (and Rust's remove_dir_all): a junction inside the
 * tree is removed as itself; the directory it points to and its files
 * are untouched. */
TEST(test_dir_cleanup_with_junction_to_a_directory) {
  char *outside = tw_join(tw_dir(), "outside"), *precious;
  char *link;
  tf_dir *d;
  int rc;
  tw_mkdir(outside);
  precious = tw_join(outside, "precious.txt");
  tw_write(precious, "precious", 8);
  d = make_dir(0, NULL);
  fill(tf_dir_path(d));
  link = in_dir(d, "junction");
  rc = tw_make_junction(link, outside);
  if (rc == -EOPNOTSUPP) {
    ASSERT_OK(tf_dir_free(d));
    tw_remove_tree(outside);
    SKIP("this system makes no junctions (Wine 8 reports success and makes "
         "nothing)");
  }
  ASSERT_OK(rc);
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT(!tw_exists(tf_dir_path(d)));
  ASSERT(tw_exists(precious));
  ASSERT_EQ(tw_count_entries(outside), 1);
  ASSERT_OK(tf_dir_free(d));
  tw_remove_tree(outside);
  free(outside);
  free(precious);
  free(link);
}

/* test_cleanup_with_symlink_to_a_directory: the same with a directory
 * symbolic link (which needs developer mode or the privilege). */
TEST(test_dir_cleanup_with_symlink_to_a_directory) {
  char *outside = tw_join(tw_dir(), "outside"), *precious;
  char *link, *file_link;
  tf_dir *d;
  int rc;
  tw_mkdir(outside);
  precious = tw_join(outside, "precious.txt");
  tw_write(precious, "precious", 8);
  d = make_dir(0, NULL);
  link = in_dir(d, "dirlink");
  file_link = in_dir(d, "filelink");
  rc = tw_make_symlink(link, outside, 1);
  if (rc == -EOPNOTSUPP) {
    ASSERT_OK(tf_dir_free(d));
    tw_remove_tree(outside);
    SKIP("this system makes no symbolic links (Wine 8 reports success and "
         "makes nothing; Windows needs developer mode)");
  }
  ASSERT_OK(rc);
  ASSERT_OK(tw_make_symlink(file_link, precious, 0));
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT(!tw_exists(tf_dir_path(d)));
  ASSERT(tw_exists(precious));
  ASSERT_EQ(tw_count_entries(outside), 1);
  ASSERT_OK(tf_dir_free(d));
  tw_remove_tree(outside);
  free(outside);
  free(precious);
  free(link);
  free(file_link);
}

/* The directory itself swapped for a junction to another directory:
 * its name no longer refers to what was made; nothing is removed
 * through the junction. */
TEST(test_dir_swapped_for_a_junction_is_left_alone) {
  char *outside = tw_join(tw_dir(), "outside"), *aside = tw_join(tw_dir(), "aside");
  char *precious, *path;
  tf_dir *d;
  int rc;
  tw_mkdir(outside);
  precious = tw_join(outside, "precious.txt");
  tw_write(precious, "precious", 8);
  d = make_dir(0, NULL);
  path = _strdup(tf_dir_path(d));
  move(path, aside);
  rc = tw_make_junction(path, outside);
  if (rc == -EOPNOTSUPP) {
    move(aside, path);
    ASSERT_OK(tf_dir_free(d));
    tw_remove_tree(outside);
    SKIP("this system makes no junctions (Wine 8 reports success and makes "
         "nothing)");
  }
  ASSERT_OK(rc);
  ASSERT_ERR(tf_dir_cleanup(d), -ESTALE);
  ASSERT(tw_exists(precious));
  ASSERT_EQ(tw_count_entries(outside), 1);
  ASSERT_ERR(tf_dir_free(d), -ESTALE);
  ASSERT(tw_exists(precious));
  tw_remove_tree(path); /* the junction, as itself */
  tw_remove_tree(aside);
  tw_remove_tree(outside);
  free(outside);
  free(aside);
  free(precious);
  free(path);
}
