/* SPDX-License-Identifier: MIT */
/*
 * test_win_rmtree.c - the Windows secure removal (tf__w_rmtree_at, in
 * src/win/rmtree_win.c) called directly: trees deep, wide, read-only,
 * held open, named in any script, beyond MAX_PATH; the top's checks
 * (gone, a file, another directory under its name); and the attacks: a
 * link or junction inside the tree or as its top, and a directory
 * swapped for a junction while the walk runs.  The attacks need reparse
 * points, which Wine 8 does not make: there they skip, after probing.
 */
#include "../../src/win/win.h"

#include "harness_win.h"

/* ---- helpers */

static HANDLE open_dir(const char *path) {
  wchar_t *w = tw_wide(path);
  HANDLE h;
  int rc = tf__w_open_dir(w, &h);
  free(w);
  if (rc < 0)
    FAIL("open_dir(%s): %s", path, tf_err_name(rc));
  return h;
}

/* tf__w_rmtree_at(name under the test's directory). */
static int rmtree(const char *name, const struct tf__w_id *expect,
                  unsigned flags) {
  HANDLE parent = open_dir(tw_dir());
  wchar_t *w = tw_wide(name);
  int rc = tf__w_rmtree_at(parent, w, wcslen(w), expect, flags);
  free(w);
  CloseHandle(parent);
  return rc;
}

static struct tf__w_id id_of(const char *name) {
  HANDLE parent = open_dir(tw_dir()), h;
  wchar_t *w = tw_wide(name);
  struct tf__w_id id;
  int rc = tf__w_open_at(parent, w, wcslen(w), FILE_READ_ATTRIBUTES, 0,
                         FILE_OPEN, 0, NULL, &h);
  free(w);
  CloseHandle(parent);
  if (rc < 0)
    FAIL("open %s: %s", name, tf_err_name(rc));
  rc = tf__w_id_of(h, &id);
  CloseHandle(h);
  ASSERT_OK(rc);
  return id;
}

/* A directory made under parent, open for making more in it (relative
 * opens: no path length limit). */
static HANDLE mkdir_at(HANDLE parent, const wchar_t *name) {
  HANDLE h;
  int rc = tf__w_open_at(parent, name, wcslen(name),
                         FILE_LIST_DIRECTORY | FILE_TRAVERSE | FILE_ADD_FILE |
                             FILE_ADD_SUBDIRECTORY | FILE_READ_ATTRIBUTES,
                         FILE_ATTRIBUTE_NORMAL, FILE_CREATE,
                         FILE_DIRECTORY_FILE, NULL, &h);
  if (rc < 0)
    FAIL("mkdir %ls: %s", name, tf_err_name(rc));
  return h;
}

static void write_at(HANDLE parent, const wchar_t *name, DWORD attributes) {
  HANDLE h;
  DWORD done;
  int rc = tf__w_open_at(parent, name, wcslen(name), GENERIC_WRITE,
                         attributes, FILE_CREATE, FILE_NON_DIRECTORY_FILE,
                         NULL, &h);
  if (rc < 0)
    FAIL("create %ls: %s", name, tf_err_name(rc));
  ASSERT(WriteFile(h, "data", 4, &done, NULL) && done == 4);
  CloseHandle(h);
}

/* dir\name, written with contents. */
static void write_in(const char *dir, const char *name, const char *contents) {
  char *p = tw_join(dir, name);
  tw_write(p, contents, strlen(contents));
  free(p);
}

static void mkdir_in(const char *dir, const char *name) {
  char *p = tw_join(dir, name);
  tw_mkdir(p);
  free(p);
}

/* A small tree: top\a, top\sub\b, top\sub\deeper\c, top\empty. */
static void make_small_tree(const char *top) {
  tw_mkdir(top);
  write_in(top, "a", "a");
  mkdir_in(top, "sub");
  write_in(top, "sub\\b", "b");
  mkdir_in(top, "sub\\deeper");
  write_in(top, "sub\\deeper\\c", "c");
  mkdir_in(top, "empty");
}

/* The file system deletes names at once while handles are open (POSIX
 * semantics, NTFS on Windows 10 1709+), rather than when the last
 * handle closes. */
static int posix_delete_semantics(void) {
  char *p = tw_join(tw_dir(), "probe");
  wchar_t *w;
  HANDLE held, h;
  int gone;
  tw_write(p, "x", 1);
  w = tw_wide(p);
  held = CreateFileW(w, GENERIC_READ, TF_W_SHARE_ALL, NULL, OPEN_EXISTING, 0,
                     NULL);
  h = CreateFileW(w, DELETE, TF_W_SHARE_ALL, NULL, OPEN_EXISTING, 0, NULL);
  ASSERT(held != INVALID_HANDLE_VALUE && h != INVALID_HANDLE_VALUE);
  ASSERT_OK(tf__w_unlink_handle(h));
  CloseHandle(h);
  gone = !tw_exists(p);
  CloseHandle(held);
  ASSERT(!tw_exists(p));
  free(w);
  free(p);
  return gone;
}

/* ---- removal */

TEST(test_win_rmtree_removes_a_nested_tree) {
  DWORD handles = tw_handle_count();
  make_small_tree("top");
  ASSERT_OK(rmtree("top", NULL, 0));
  ASSERT(!tw_exists("top"));
  ASSERT_EQ(tw_handle_count(), handles);
}

TEST(test_win_rmtree_checks_its_arguments) {
  HANDLE parent = open_dir(tw_dir());
  tw_mkdir("top");
  ASSERT_ERR(tf__w_rmtree_at(parent, L"top", 3, NULL, TF_KEEP), -EINVAL);
  ASSERT_ERR(tf__w_rmtree_at(parent, NULL, 3, NULL, 0), -EINVAL);
  ASSERT_ERR(tf__w_rmtree_at(parent, L"top", 0, NULL, 0), -EINVAL);
  ASSERT_ERR(tf__w_rmtree_at(NULL, L"top", 3, NULL, 0), -EINVAL);
  ASSERT(tw_exists("top"));
  ASSERT_OK(tf__w_rmtree_at(parent, L"top", 3, NULL, 0));
  CloseHandle(parent);
  ASSERT(!tw_exists("top"));
}

/* 300 levels, a file at each: far deeper than the 32 handles the walk
 * holds (so directories are closed and reopened), and a path far beyond
 * MAX_PATH. */
TEST(test_win_rmtree_removes_a_300_level_tree) {
  HANDLE parent = open_dir(tw_dir()), dir = mkdir_at(parent, L"deep"), next;
  DWORD handles;
  int i;
  for (i = 0; i < 300; i++) {
    write_at(dir, L"file", FILE_ATTRIBUTE_NORMAL);
    next = mkdir_at(dir, L"d");
    CloseHandle(dir);
    dir = next;
  }
  write_at(dir, L"bottom", FILE_ATTRIBUTE_NORMAL);
  CloseHandle(dir);
  handles = tw_handle_count();
  ASSERT_OK(tf__w_rmtree_at(parent, L"deep", 4, NULL, 0));
  ASSERT_EQ(tw_handle_count(), handles);
  CloseHandle(parent);
  ASSERT(!tw_exists("deep"));
}

struct sampler {
  volatile LONG stop;
  DWORD max;
};

static DWORD WINAPI sample_handle_count(void *arg) {
  struct sampler *s = arg;
  while (!s->stop) {
    DWORD n = tw_handle_count();
    if (n > s->max)
      s->max = n;
  }
  return 0;
}

/* While it removes 300 levels, the walk holds 32 directories open at
 * most (and a child or two for a moment), not one per level. */
TEST(test_win_rmtree_holds_a_bounded_number_of_handles) {
  HANDLE parent = open_dir(tw_dir()), dir = mkdir_at(parent, L"deep"), next;
  HANDLE thread;
  struct sampler s;
  DWORD before;
  int i;
  if (tw_handle_count() == 0) {
    CloseHandle(dir);
    CloseHandle(parent);
    ASSERT(RemoveDirectoryA("deep"));
    SKIP("this system does not count a process's handles "
         "(GetProcessHandleCount reports 0 under Wine)");
  }
  for (i = 0; i < 300; i++) {
    next = mkdir_at(dir, L"d");
    CloseHandle(dir);
    dir = next;
  }
  CloseHandle(dir);
  s.stop = 0;
  s.max = 0;
  thread = CreateThread(NULL, 0, sample_handle_count, &s, 0, NULL);
  ASSERT(thread != NULL);
  Sleep(20);
  before = s.max;
  ASSERT_OK(tf__w_rmtree_at(parent, L"deep", 4, NULL, 0));
  s.stop = 1;
  WaitForSingleObject(thread, INFINITE);
  CloseHandle(thread);
  CloseHandle(parent);
  ASSERT(!tw_exists("deep"));
  ASSERT_GT(s.max, before + 16); /* it saw the walk deep down */
  ASSERT_LE(s.max, before + 32 + 3);
}

/* 2000 files: many listing calls; and a subdirectory among them, so the
 * listing resumes after it. */
TEST(test_win_rmtree_removes_a_2000_file_directory) {
  HANDLE parent = open_dir(tw_dir()), dir = mkdir_at(parent, L"wide"), sub;
  wchar_t name[32];
  int i;
  for (i = 0; i < 2000; i++) {
    _snwprintf(name, 32, L"file-with-a-longish-name-%04d", i);
    name[31] = L'\0';
    write_at(dir, name, FILE_ATTRIBUTE_NORMAL);
    if (i % 500 == 250) {
      _snwprintf(name, 32, L"sub-%04d", i);
      sub = mkdir_at(dir, name);
      write_at(sub, L"inner", FILE_ATTRIBUTE_NORMAL);
      CloseHandle(sub);
    }
  }
  CloseHandle(dir);
  ASSERT_EQ(tw_count_entries("wide"), 2004);
  ASSERT_OK(tf__w_rmtree_at(parent, L"wide", 4, NULL, 0));
  CloseHandle(parent);
  ASSERT(!tw_exists("wide"));
}

/* Components of 200 characters: each relative open is short, the whole
 * path is not. */
TEST(test_win_rmtree_removes_a_tree_beyond_max_path) {
  HANDLE parent = open_dir(tw_dir()), dir = mkdir_at(parent, L"long"), next;
  wchar_t name[201];
  int i;
  for (i = 0; i < 200; i++)
    name[i] = L'a' + (wchar_t)(i % 26);
  name[200] = L'\0';
  for (i = 0; i < 6; i++) {
    write_at(dir, name, FILE_ATTRIBUTE_NORMAL);
    next = mkdir_at(dir, name + 1 + i); /* not the file's name */
    CloseHandle(dir);
    dir = next;
  }
  write_at(dir, L"last", FILE_ATTRIBUTE_NORMAL);
  CloseHandle(dir);
  ASSERT_OK(tf__w_rmtree_at(parent, L"long", 4, NULL, 0));
  CloseHandle(parent);
  ASSERT(!tw_exists("long"));
}

TEST(test_win_rmtree_removes_read_only_files_and_directories) {
  make_small_tree("top");
  ASSERT(SetFileAttributesA("top\\a", FILE_ATTRIBUTE_READONLY));
  ASSERT(SetFileAttributesA("top\\sub\\deeper\\c", FILE_ATTRIBUTE_READONLY));
  ASSERT(SetFileAttributesA("top\\sub\\deeper", FILE_ATTRIBUTE_READONLY));
  ASSERT(SetFileAttributesA("top\\empty", FILE_ATTRIBUTE_READONLY));
  ASSERT(tw_attributes("top\\a") & FILE_ATTRIBUTE_READONLY);
  ASSERT_OK(rmtree("top", NULL, 0));
  ASSERT(!tw_exists("top"));
}

TEST(test_win_rmtree_takes_names_in_any_script) {
  /* "dossier-é-日本-😀" and friends: UTF-16 both ways, surrogates too. */
  const char *top = "dossier-\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x98\x80";
  char *sub = tw_join(top, "\xd0\xbf\xd0\xb0\xd0\xbf\xd0\xba\xd0\xb0");
  tw_mkdir(top);
  tw_mkdir(sub);
  write_in(top, "fichier-\xc3\xbc", "u");
  write_in(sub, "\xf0\x9f\x93\x84", "page");
  ASSERT_EQ(tw_count_entries(top), 2);
  ASSERT_OK(rmtree(top, NULL, 0));
  ASSERT(!tw_exists(top));
  free(sub);
}

TEST(test_win_rmtree_contents_only_keeps_the_top) {
  make_small_tree("top");
  ASSERT_OK(rmtree("top", NULL, TF_CONTENTS_ONLY));
  ASSERT(tw_exists("top"));
  ASSERT_EQ(tw_count_entries("top"), 0);
  ASSERT_OK(rmtree("top", NULL, 0));
}

/* ---- the top */

TEST(test_win_rmtree_of_a_gone_top_is_success) {
  ASSERT_OK(rmtree("never-was", NULL, 0));
  tw_mkdir("top");
  {
    struct tf__w_id id = id_of("top");
    ASSERT(RemoveDirectoryA("top"));
    ASSERT_EQ(rmtree("top", &id, 0), 0);
  }
}

TEST(test_win_rmtree_leaves_a_file_top_with_enotdir) {
  tw_write("file", "keep me", 7);
  ASSERT_ERR(rmtree("file", NULL, 0), -ENOTDIR);
  ASSERT_ERR(rmtree("file", NULL, TF_CONTENTS_ONLY), -ENOTDIR);
  {
    size_t n;
    char *data = tw_read("file", &n);
    ASSERT(data != NULL);
    ASSERT_STR_EQ(data, "keep me");
    free(data);
  }
  ASSERT_OK(DeleteFileA("file") ? 0 : -1);
}

/* Another directory under the name (ours was renamed away, another made
 * in its place: renaming rather than deleting, so the file system can
 * not hand the new one the old one's id). */
TEST(test_win_rmtree_leaves_a_swapped_top_with_estale) {
  struct tf__w_id id;
  make_small_tree("top");
  id = id_of("top");
  ASSERT(MoveFileA("top", "ours"));
  tw_mkdir("top");
  write_in("top", "theirs", "theirs");
  ASSERT_ERR(rmtree("top", &id, 0), -ESTALE);
  ASSERT_ERR(rmtree("top", &id, TF_CONTENTS_ONLY), -ESTALE);
  ASSERT_EQ(tw_count_entries("top"), 1);
  ASSERT_OK(rmtree("top", NULL, 0));
  ASSERT_OK(rmtree("ours", NULL, 0));
  /* The right identity is taken. */
  tw_mkdir("top");
  id = id_of("top");
  ASSERT_OK(rmtree("top", &id, 0));
  ASSERT(!tw_exists("top"));
}

/* ---- what others hold open */

/* Held by this process, shared for deletion: it goes all the same; where
 * the system deletes names only at the last close, its directory goes
 * once the handle is closed. */
TEST(test_win_rmtree_removes_a_file_held_with_share_delete) {
  int posix = posix_delete_semantics(), rc;
  HANDLE held;
  make_small_tree("top");
  held = CreateFileA("top\\sub\\b", GENERIC_READ, TF_W_SHARE_ALL, NULL,
                     OPEN_EXISTING, 0, NULL);
  ASSERT(held != INVALID_HANDLE_VALUE);
  rc = rmtree("top", NULL, 0);
  if (posix) {
    ASSERT_OK(rc);
    ASSERT(!tw_exists("top"));
  } else {
    ASSERT_ERR(rc, -ENOTEMPTY);
    ASSERT(!tw_exists("top\\a"));
    ASSERT(!tw_exists("top\\sub\\deeper"));
  }
  CloseHandle(held);
  ASSERT_OK(rmtree("top", NULL, 0));
  ASSERT(!tw_exists("top"));
}

/* Open the file argv[1] without sharing deletion, say so by creating
 * "held", and keep it open until "release" appears. */
HELPER(rmtree_hold_file) {
  HANDLE h, flag;
  int i;
  if (argc < 2)
    return 2;
  h = CreateFileA(argv[1], GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
                  NULL, OPEN_EXISTING, 0, NULL);
  if (h == INVALID_HANDLE_VALUE)
    return 3;
  flag = CreateFileA("held", GENERIC_WRITE, 0, NULL, CREATE_NEW, 0, NULL);
  if (flag == INVALID_HANDLE_VALUE)
    return 4;
  CloseHandle(flag);
  for (i = 0; i < 3000 && GetFileAttributesA("release") ==
                               INVALID_FILE_ATTRIBUTES; i++)
    Sleep(10);
  CloseHandle(h);
  return 0;
}

static void wait_for(const char *flag) {
  int i;
  for (i = 0; i < 3000 && !tw_exists(flag); i++)
    Sleep(10);
  ASSERT(tw_exists(flag));
}

TEST(test_win_rmtree_reports_a_file_another_process_holds) {
  HANDLE helper;
  make_small_tree("top");
  helper = tw_spawn("rmtree_hold_file", "top\\sub\\deeper\\c");
  wait_for("held");
  ASSERT_ERR(rmtree("top", NULL, 0), -EBUSY);
  /* All the rest is gone: what holds the file, and only that, stays. */
  ASSERT(tw_exists("top\\sub\\deeper\\c"));
  ASSERT_EQ(tw_count_entries("top"), 1);
  ASSERT_EQ(tw_count_entries("top\\sub"), 1);
  ASSERT_EQ(tw_count_entries("top\\sub\\deeper"), 1);
  tw_write("release", "", 0);
  ASSERT_EQ(tw_wait(helper), 0);
  ASSERT_OK(rmtree("top", NULL, 0));
  ASSERT(!tw_exists("top"));
  ASSERT(DeleteFileA("held") && DeleteFileA("release"));
}

TEST(test_win_rmtree_ignore_errors_removes_what_it_can) {
  HANDLE held;
  make_small_tree("top");
  held = CreateFileA("top\\sub\\b", GENERIC_READ, FILE_SHARE_READ, NULL,
                     OPEN_EXISTING, 0, NULL);
  ASSERT(held != INVALID_HANDLE_VALUE);
  ASSERT_ERR(rmtree("top", NULL, TF_IGNORE_ERRORS), 0);
  ASSERT(tw_exists("top\\sub\\b"));
  ASSERT_EQ(tw_count_entries("top"), 1);
  ASSERT_EQ(tw_count_entries("top\\sub"), 1);
  CloseHandle(held);
  ASSERT_OK(rmtree("top", NULL, 0));
  ASSERT(!tw_exists("top"));
}

/* ---- attacks: reparse points are removed as links, never followed */

/* outside\keep and outside\inner\keep2, which no removal may touch. */
static void make_outside(void) {
  tw_mkdir("outside");
  write_in("outside", "keep", "keep");
  mkdir_in("outside", "inner");
  write_in("outside", "inner\\keep2", "keep2");
}

static void assert_outside_intact(void) {
  char *data = tw_read("outside\\keep", NULL);
  ASSERT(data != NULL);
  ASSERT_STR_EQ(data, "keep");
  free(data);
  data = tw_read("outside\\inner\\keep2", NULL);
  ASSERT(data != NULL);
  ASSERT_STR_EQ(data, "keep2");
  free(data);
  ASSERT_EQ(tw_count_entries("outside"), 2);
}

static void skip_without(int rc, const char *what) {
  if (rc == -EOPNOTSUPP)
    SKIP("this system makes no %s (Wine 8 reports success and makes "
         "nothing)", what);
  ASSERT_OK(rc);
}

static void skip_without_junctions(const char *link, const char *target) {
  skip_without(tw_make_junction(link, target), "junctions");
  ASSERT(TF_W_IS_LINK(tw_attributes(link)));
}

TEST(test_win_rmtree_removes_a_junction_inside_not_its_target) {
  make_outside();
  make_small_tree("top");
  skip_without_junctions("top\\sub\\junction", "outside");
  ASSERT_OK(rmtree("top", NULL, 0));
  ASSERT(!tw_exists("top"));
  assert_outside_intact();
  ASSERT_OK(rmtree("outside", NULL, 0));
}

TEST(test_win_rmtree_removes_symlinks_inside_not_their_targets) {
  char *outside = tw_join(tw_dir(), "outside");
  char *file = tw_join(outside, "keep");
  make_outside();
  make_small_tree("top");
  skip_without(tw_make_symlink("top\\dirlink", outside, 1), "symbolic links");
  ASSERT(TF_W_IS_LINK(tw_attributes("top\\dirlink")));
  ASSERT_OK(tw_make_symlink("top\\sub\\filelink", file, 0));
  ASSERT_OK(rmtree("top", NULL, 0));
  ASSERT(!tw_exists("top"));
  assert_outside_intact();
  ASSERT_OK(rmtree("outside", NULL, 0));
  free(file);
  free(outside);
}

TEST(test_win_rmtree_removes_a_junction_top_as_a_link) {
  make_outside();
  skip_without_junctions("top", "outside");
  ASSERT_ERR(rmtree("top", NULL, TF_CONTENTS_ONLY), -ENOTDIR);
  assert_outside_intact();
  ASSERT_OK(rmtree("top", NULL, 0));
  ASSERT(!tw_exists("top"));
  assert_outside_intact();
  ASSERT_OK(rmtree("outside", NULL, 0));
}

#define RACE_DIRS 40

struct swapper {
  volatile LONG stop;
  LONG swaps;
};

/* Swap each top\dN for a junction to outside, over and over: the walk
 * lists dN as a directory and then finds, or not, a junction there. */
static DWORD WINAPI swap_dirs_for_junctions(void *arg) {
  struct swapper *s = arg;
  char from[64], to[64];
  int i = 0;
  while (!s->stop) {
    int n = i++ % RACE_DIRS;
    snprintf(from, sizeof(from), "top\\d%d", n);
    snprintf(to, sizeof(to), "top\\moved%d-%d", n, i);
    if (MoveFileA(from, to) && tw_make_junction(from, "outside") == 0)
      InterlockedIncrement(&s->swaps);
  }
  return 0;
}

static void make_race_tree(void) {
  char name[64];
  int i;
  tw_mkdir("top");
  for (i = 0; i < RACE_DIRS; i++) {
    snprintf(name, sizeof(name), "top\\d%d", i);
    tw_mkdir(name);
    write_in(name, "f", "f");
    snprintf(name, sizeof(name), "top\\d%d\\inner", i);
    tw_mkdir(name);
  }
}

TEST(test_win_rmtree_survives_directories_swapped_for_junctions) {
  struct swapper s;
  HANDLE thread;
  int round;
  make_outside();
  tw_mkdir("probe");
  skip_without_junctions("probe\\j", "outside");
  ASSERT_OK(rmtree("probe", NULL, 0));
  s.swaps = 0;
  for (round = 0; round < 30; round++) {
    make_race_tree();
    s.stop = 0;
    thread = CreateThread(NULL, 0, swap_dirs_for_junctions, &s, 0, NULL);
    ASSERT(thread != NULL);
    (void)rmtree("top", NULL, 0); /* errors allowed: the tree changes */
    s.stop = 1;
    WaitForSingleObject(thread, INFINITE);
    CloseHandle(thread);
    assert_outside_intact();
    ASSERT_OK(rmtree("top", NULL, 0));
    ASSERT(!tw_exists("top"));
  }
  ASSERT_GT(s.swaps, 0);
  assert_outside_intact();
  ASSERT_OK(rmtree("outside", NULL, 0));
}
