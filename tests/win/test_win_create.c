/* SPDX-License-Identifier: MIT */
/*
 * test_win_create.c - the creation calls on Windows (CPython's
 * TestMkstempInner, TestMkstemp, TestMkdtemp, TestMktemp, TestBadTempdir,
 * TestRandomNameSequence, TestGetTempDir, TestGetTempPrefix,
 * TestCandidateTempdirList): paths, names and their bad arguments,
 * collisions through an injected name source, bad directories, UTF-8
 * names and paths beyond MAX_PATH, the security of what is made (handles
 * no child inherits, owner-only DACLs), unnamed files that vanish even
 * when their process is killed, temporary-directory discovery in Python's
 * order, and the calls that end a handle accepting NULL.
 *
 * Checks shared with test_win_file.c and test_win_dir.c are in
 * checks_win.c.
 */
#include "core.h"

#include "harness_win.h"

#include <aclapi.h>
#include <sddl.h>

#include "checks_win.h"

/* ==================================================== local helpers */

static void close_and_remove(int fd, char *path) {
  ASSERT_EQ(_close(fd), 0);
  ASSERT_EQ(tw_remove_file(path), 0);
  free(path);
}

static void remove_dir(char *path) {
  wchar_t *w = tw_wide(path);
  BOOL ok = RemoveDirectoryW(w);
  free(w);
  if (!ok)
    FAIL("RemoveDirectoryW(%s): error %lu", path,
         (unsigned long)GetLastError());
  free(path);
}

/* path is dir + '\\' + a name made of prefix, random_len characters of
 * TF_ALPHABET and suffix. */
static void assert_named(const char *path, const char *dir, const char *prefix,
                         size_t random_len, const char *suffix) {
  size_t dl = strlen(dir), pl = strlen(prefix), sl = strlen(suffix);
  const char *name = path + dl + 1;
  if (strncmp(path, dir, dl) != 0 || path[dl] != '\\')
    FAIL("\"%s\" is not in \"%s\"", path, dir);
  ASSERT_EQ(strlen(name), pl + random_len + sl);
  ASSERT(strncmp(name, prefix, pl) == 0);
  twc_assert_random_part(name + pl, random_len);
  ASSERT_STR_EQ(name + pl + random_len, suffix);
  ASSERT(strchr(path, '/') == NULL);
  ASSERT(strncmp(path, "\\\\?\\", 4) != 0);
}

/* An absolute Windows path: "X:\..." or "\\server\share\...". */
static int is_absolute(const char *p) {
  return (p[0] != '\0' && p[1] == ':' && p[2] == '\\') ||
         (p[0] == '\\' && p[1] == '\\');
}

/* The one entry of dir, as UTF-8 (malloc'd): what the directory says
 * its name is. */
static char *only_entry(const char *dir) {
  char *pattern = tw_join(dir, "*");
  wchar_t *w = tw_wide(pattern);
  WIN32_FIND_DATAW fd;
  char *name = NULL;
  int n;
  HANDLE f = FindFirstFileW(w, &fd);
  free(w);
  free(pattern);
  ASSERT(f != INVALID_HANDLE_VALUE);
  do {
    if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0)
      continue;
    ASSERT(name == NULL);
    n = WideCharToMultiByte(CP_UTF8, 0, fd.cFileName, -1, NULL, 0, NULL, NULL);
    name = malloc((size_t)n);
    ASSERT(name != NULL);
    WideCharToMultiByte(CP_UTF8, 0, fd.cFileName, -1, name, n, NULL, NULL);
  } while (FindNextFileW(f, &fd));
  FindClose(f);
  ASSERT(name != NULL);
  return name;
}

/* ---- an injected name source: each name is one letter repeated */

static const char *injected;
static size_t injected_at, injected_calls;

static int letter_names(char *out, size_t len) {
  char c = injected[injected_at];
  if (injected[injected_at + 1] != '\0')
    injected_at++;
  memset(out, c, len);
  injected_calls++;
  return 0;
}

/* Names from letters ("aab": aaa, aaa, bbb, then bbb for ever). */
static void inject_names(const char *letters) {
  injected = letters;
  injected_at = 0;
  injected_calls = 0;
  tf__name_source = letter_names;
}

static int (*saved_source)(char *, size_t);
static void save_name_source(void) { saved_source = tf__name_source; }
static void restore_name_source(void) { tf__name_source = saved_source; }

/* ====================================================== tf_mkstemp */

TEST(test_mkstemp_basic) {
  char *path = NULL;
  char buf[8];
  int fd = tf_mkstemp(&path, NULL);
  ASSERT_OK(fd);
  ASSERT(is_absolute(path));
  assert_named(path, tw_dir(), "tmp", TF_RANDOM_LEN_DEFAULT, "");
  ASSERT_EQ(tw_attributes(path) & FILE_ATTRIBUTE_DIRECTORY, 0);
  ASSERT_EQ(_write(fd, "blat", 4), 4);
  ASSERT_EQ(_lseeki64(fd, 0, SEEK_SET), 0);
  ASSERT_EQ(_read(fd, buf, sizeof(buf)), 4);
  ASSERT(memcmp(buf, "blat", 4) == 0);
  close_and_remove(fd, path);
}

/* Binary: "\n" is one byte on disk, and 0x1a (Ctrl-Z) ends nothing
 * (CPython's test_textmode is the other way round, for text=True). */
TEST(test_mkstemp_is_binary) {
  char *path = NULL, *data;
  size_t n;
  char buf[8];
  int fd = tf_mkstemp(&path, NULL);
  ASSERT_OK(fd);
  ASSERT_EQ(_write(fd, "a\nb\x1a" "c", 5), 5);
  data = tw_read(path, &n);
  ASSERT(data != NULL);
  ASSERT_EQ(n, 5);
  ASSERT(memcmp(data, "a\nb\x1a" "c", 5) == 0);
  free(data);
  ASSERT_EQ(_lseeki64(fd, 0, SEEK_SET), 0);
  ASSERT_EQ(_read(fd, buf, sizeof(buf)), 5);
  close_and_remove(fd, path);
}

TEST(test_mkstemp_basic_many) {
  char *paths[100];
  int fds[100], i, j;
  for (i = 0; i < 100; i++) {
    fds[i] = tf_mkstemp(&paths[i], NULL);
    ASSERT_OK(fds[i]);
    assert_named(paths[i], tw_dir(), "tmp", TF_RANDOM_LEN_DEFAULT, "");
    for (j = 0; j < i; j++)
      ASSERT(_stricmp(paths[i], paths[j]) != 0);
  }
  ASSERT_EQ(tw_count_entries(tw_dir()), 100);
  for (i = 0; i < 100; i++)
    close_and_remove(fds[i], paths[i]);
}

TEST(test_mkstemp_choose_directory_prefix_suffix_random_len) {
  tf_opts o = TF_OPTS_INIT;
  char *dir = tw_join(tw_dir(), "chosen"), *path = NULL;
  int fd;
  tw_mkdir(dir);
  o.dir = dir;
  o.prefix = "pre-";
  o.suffix = ".txt";
  o.random_len = 20;
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  assert_named(path, dir, "pre-", 20, ".txt");
  close_and_remove(fd, path);
  /* "" is a prefix like any other; random_len 1 and 255 are the bounds */
  o.prefix = "";
  o.suffix = NULL;
  o.random_len = 1;
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  assert_named(path, dir, "", 1, "");
  close_and_remove(fd, path);
  o.random_len = TF_RANDOM_LEN_MAX;
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  assert_named(path, dir, "", TF_RANDOM_LEN_MAX, "");
  {
    char *l = twc_long(path);
    ASSERT(tw_exists(l));
    ASSERT_EQ(_close(fd), 0);
    tw_remove_tree(l);
    ASSERT(!tw_exists(l));
    free(l);
    free(path);
  }
  remove_dir(dir);
}

/* A relative dir is made absolute against the current directory, with
 * '\\' separators ('/' accepted on the way in). */
TEST(test_mkstemp_relative_dir_is_made_absolute) {
  tf_opts o = TF_OPTS_INIT;
  char *sub = tw_join(tw_dir(), "sub"), *inner = tw_join(sub, "inner");
  char *path = NULL;
  int fd;
  tw_mkdir(sub);
  tw_mkdir(inner);
  o.dir = ".";
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  assert_named(path, tw_dir(), "tmp", TF_RANDOM_LEN_DEFAULT, "");
  close_and_remove(fd, path);
  o.dir = "sub/inner/";
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  assert_named(path, inner, "tmp", TF_RANDOM_LEN_DEFAULT, "");
  close_and_remove(fd, path);
  remove_dir(inner);
  remove_dir(sub);
}

TEST(test_mkstemp_noinherit) {
  char *path = NULL;
  int fd = tf_mkstemp(&path, NULL);
  ASSERT_OK(fd);
  ASSERT(!twc_inheritable(fd));
  close_and_remove(fd, path);
}

TEST(test_mkstemp_open_flags_append) {
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL, *data;
  int fd;
  o.open_flags = O_APPEND;
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  ASSERT_EQ(_write(fd, "ab", 2), 2);
  ASSERT_EQ(_lseeki64(fd, 0, SEEK_SET), 0);
  ASSERT_EQ(_write(fd, "cd", 2), 2);
  data = tw_read(path, NULL);
  ASSERT_STR_EQ(data, "abcd");
  free(data);
  close_and_remove(fd, path);
}

/* The default 0600 is private to the owner: a protected DACL (Windows'
 * answer to CVE-2024-4030 for files too). */
TEST(test_mkstemp_file_mode_private_dacl) {
  char *path = NULL;
  int fd;
  twc_require_stored_security();
  fd = tf_mkstemp(&path, NULL);
  ASSERT_OK(fd);
  twc_assert_private_dacl(path);
  close_and_remove(fd, path);
}

TEST(test_mkstemp_mode_0644_is_not_private) {
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL;
  int fd;
  twc_require_stored_security();
  o.mode = 0644;
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  twc_assert_not_private_dacl(path);
  close_and_remove(fd, path);
}

/* A mode without owner write makes a read-only file, whose fd still
 * writes (as open(O_CREAT, 0400) gives a writable fd). */
TEST(test_mkstemp_mode_without_0200_is_read_only) {
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL;
  int fd;
  static const unsigned modes[] = {0444, 0400, 0500};
  size_t i;
  for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
    o.mode = modes[i];
    fd = tf_mkstemp(&path, &o);
    ASSERT_OK(fd);
    if (!(tw_attributes(path) & FILE_ATTRIBUTE_READONLY))
      FAIL("mode 0%o: not read-only", modes[i]);
    ASSERT_EQ(_write(fd, "x", 1), 1);
    close_and_remove(fd, path);
  }
  o.mode = 0600;
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  ASSERT_EQ(tw_attributes(path) & FILE_ATTRIBUTE_READONLY, 0);
  close_and_remove(fd, path);
}

/* ---- bad arguments: -EINVAL before any effect, outputs untouched */

typedef int (*create_fn)(const tf_opts *o);

static int via_mkstemp(const tf_opts *o) {
  char *p = (char *)"untouched";
  int fd = tf_mkstemp(&p, o);
  if (fd >= 0)
    close_and_remove(fd, p);
  else
    ASSERT_STR_EQ(p, "untouched");
  return fd;
}

static int via_mkdtemp(const tf_opts *o) {
  char *p = (char *)"untouched";
  int rc = tf_mkdtemp(&p, o);
  if (rc >= 0)
    remove_dir(p);
  else
    ASSERT_STR_EQ(p, "untouched");
  return rc;
}

static int via_mktemp(const tf_opts *o) {
  char *p = (char *)"untouched";
  int rc = tf_mktemp(&p, o);
  if (rc >= 0)
    free(p);
  else
    ASSERT_STR_EQ(p, "untouched");
  return rc;
}

static int via_tmpfile(const tf_opts *o) {
  int fd = tf_tmpfile(o);
  if (fd >= 0)
    ASSERT_EQ(_close(fd), 0);
  return fd;
}

static const create_fn creators[] = {via_mkstemp, via_mkdtemp, via_mktemp,
                                     via_tmpfile};
#define CREATORS (sizeof(creators) / sizeof(creators[0]))

/* Every creator gives want for o, and nothing is left. */
static void expect_all(const tf_opts *o, int want) {
  size_t i;
  for (i = 0; i < CREATORS; i++) {
    int rc = creators[i](o);
    if (rc != want)
      FAIL("creator %u: got %s (%d), want %s", (unsigned)i, tf_err_name(rc),
           rc, tf_err_name(want));
    ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  }
}

TEST(test_bad_prefix_or_suffix_is_einval) {
  static const char *const bad[] = {"a/b", "a\\b", "a:b", ":", "\\", "/",
                                    "x:stream"};
  tf_opts o = TF_OPTS_INIT;
  size_t i;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    o.prefix = bad[i];
    o.suffix = NULL;
    expect_all(&o, -EINVAL);
    o.prefix = NULL;
    o.suffix = bad[i];
    expect_all(&o, -EINVAL);
  }
}

TEST(test_bad_random_len_and_name_length_is_einval) {
  tf_opts o = TF_OPTS_INIT;
  char prefix[300];
  o.random_len = TF_RANDOM_LEN_MAX + 1;
  expect_all(&o, -EINVAL);
  o.random_len = 100000;
  expect_all(&o, -EINVAL);
  /* prefix + random + suffix beyond 255 */
  memset(prefix, 'p', sizeof(prefix));
  prefix[250] = '\0';
  o.prefix = prefix;
  o.random_len = 0; /* 12 */
  expect_all(&o, -EINVAL);
  prefix[243] = '\0'; /* 243 + 12 = 255: fits */
  o.suffix = "s";
  expect_all(&o, -EINVAL);
}

TEST(test_unknown_bits_and_versions_are_einval) {
  tf_opts o = TF_OPTS_INIT;
  o.flags = TF_KEEP; /* the creation calls take no flags */
  expect_all(&o, -EINVAL);
  o.flags = 0x80000000u;
  expect_all(&o, -EINVAL);
  o.flags = 0;
  o.mode = 010000;
  expect_all(&o, -EINVAL);
  o.mode = 0;
  o.open_flags = O_CREAT;
  expect_all(&o, -EINVAL);
  o.open_flags = 0;
  o.version = TF_OPTS_VERSION + 1;
  expect_all(&o, -EINVAL);
  o.version = 0; /* `tf_opts o = {0}` stays valid */
  o.dir = "";
  expect_all(&o, -EINVAL);
}

TEST(test_null_output_is_einval) {
  ASSERT_ERR(tf_mkstemp(NULL, NULL), -EINVAL);
  ASSERT_ERR(tf_mkdtemp(NULL, NULL), -EINVAL);
  ASSERT_ERR(tf_mktemp(NULL, NULL), -EINVAL);
  ASSERT_ERR(tf_opts_init(NULL, TF_OPTS_VERSION), -EINVAL);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

/* A name of exactly 255 bytes is accepted by every call. */
TEST(test_name_at_255_bytes_is_accepted) {
  tf_opts o = TF_OPTS_INIT;
  char prefix[244];
  size_t i;
  memset(prefix, 'p', sizeof(prefix) - 1);
  prefix[243] = '\0'; /* 243 + 12 */
  o.prefix = prefix;
  for (i = 0; i < CREATORS; i++) {
    int rc = creators[i](&o);
    if (rc < 0)
      FAIL("creator %u: %s", (unsigned)i, tf_err_name(rc));
  }
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

/* ---- bad directories (TestBadTempdir) */

TEST(test_nonexisting_directory) {
  tf_opts o = TF_OPTS_INIT;
  size_t i;
  o.dir = "missing";
  for (i = 0; i < CREATORS; i++) {
    int rc;
    if (creators[i] == via_mktemp)
      continue; /* Python's mktemp: a name, see below */
    rc = creators[i](&o);
    if (rc != -ENOENT)
      FAIL("creator %u: %s, want ENOENT", (unsigned)i, tf_err_name(rc));
  }
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

TEST(test_non_directory) {
  tf_opts o = TF_OPTS_INIT;
  char *file = tw_join(tw_dir(), "file");
  size_t i;
  tw_write(file, "x", 1);
  o.dir = file;
  for (i = 0; i < CREATORS; i++) {
    int rc;
    if (creators[i] == via_mktemp)
      continue;
    rc = creators[i](&o);
    if (rc != -ENOTDIR)
      FAIL("creator %u: %s, want ENOTDIR", (unsigned)i, tf_err_name(rc));
  }
  ASSERT_EQ(tw_count_entries(tw_dir()), 1);
  ASSERT_EQ(tw_remove_file(file), 0);
  free(file);
}

/* ---- collisions, through an injected name source */

TEST(test_mkstemp_collision_with_existing_file) {
  tf_opts o = TF_OPTS_INIT;
  char *first = NULL, *second = NULL;
  int fd1, fd2;
  o.dir = tw_dir(); /* no discovery: its probe draws names too */
  o.random_len = 3;
  save_name_source();
  inject_names("aab");
  fd1 = tf_mkstemp(&first, &o);
  fd2 = tf_mkstemp(&second, &o);
  restore_name_source();
  ASSERT_OK(fd1);
  ASSERT_OK(fd2);
  ASSERT_STR_EQ(twc_base(first), "tmpaaa");
  ASSERT_STR_EQ(twc_base(second), "tmpbbb");
  ASSERT_EQ(injected_calls, 3);
  close_and_remove(fd1, first);
  close_and_remove(fd2, second);
}

TEST(test_mkstemp_collision_with_existing_directory) {
  tf_opts o = TF_OPTS_INIT;
  char *first = NULL, *second = NULL;
  int fd;
  o.dir = tw_dir();
  o.random_len = 3;
  save_name_source();
  inject_names("aab");
  ASSERT_OK(tf_mkdtemp(&first, &o));
  fd = tf_mkstemp(&second, &o);
  restore_name_source();
  ASSERT_OK(fd);
  ASSERT_STR_EQ(twc_base(first), "tmpaaa");
  ASSERT_STR_EQ(twc_base(second), "tmpbbb");
  remove_dir(first);
  close_and_remove(fd, second);
}

TEST(test_mkdtemp_collision_with_existing_file) {
  tf_opts o = TF_OPTS_INIT;
  char *first = NULL, *second = NULL;
  int fd;
  o.dir = tw_dir();
  o.random_len = 3;
  save_name_source();
  inject_names("aab");
  fd = tf_mkstemp(&first, &o);
  ASSERT_OK(tf_mkdtemp(&second, &o));
  restore_name_source();
  ASSERT_OK(fd);
  ASSERT_STR_EQ(twc_base(second), "tmpbbb");
  close_and_remove(fd, first);
  remove_dir(second);
}

/* Names are case-insensitive on Windows: "TMPAAA" takes "tmpaaa". */
TEST(test_collision_is_case_insensitive) {
  tf_opts o = TF_OPTS_INIT;
  char *upper = tw_join(tw_dir(), "TMPAAA"), *path = NULL;
  int fd;
  tw_write(upper, "x", 1);
  o.dir = tw_dir();
  o.random_len = 3;
  save_name_source();
  inject_names("ab");
  fd = tf_mkstemp(&path, &o);
  restore_name_source();
  ASSERT_OK(fd);
  ASSERT_STR_EQ(twc_base(path), "tmpbbb");
  close_and_remove(fd, path);
  ASSERT_EQ(tw_remove_file(upper), 0);
  free(upper);
}

/* TF_ATTEMPTS names all taken: -EEXIST, no more tries, nothing made. */
TEST(test_exhausted_names_give_eexist_after_tf_attempts) {
  tf_opts o = TF_OPTS_INIT;
  char *taken = tw_join(tw_dir(), "tmpzzz"), *path = (char *)"untouched";
  tw_write(taken, "x", 1);
  o.dir = tw_dir();
  o.random_len = 3;
  save_name_source();
  inject_names("z");
  ASSERT_ERR(tf_mkstemp(&path, &o), -EEXIST);
  ASSERT_EQ(injected_calls, TF_ATTEMPTS);
  ASSERT_STR_EQ(path, "untouched");
  inject_names("z");
  ASSERT_ERR(tf_mkdtemp(&path, &o), -EEXIST);
  ASSERT_EQ(injected_calls, TF_ATTEMPTS);
  inject_names("z");
  ASSERT_ERR(tf_mktemp(&path, &o), -EEXIST);
  ASSERT_EQ(injected_calls, TF_ATTEMPTS);
  inject_names("z");
  ASSERT_ERR(tf_tmpfile(&o), -EEXIST);
  ASSERT_EQ(injected_calls, TF_ATTEMPTS);
  restore_name_source();
  ASSERT_STR_EQ(path, "untouched");
  ASSERT_EQ(tw_count_entries(tw_dir()), 1);
  ASSERT_EQ(tw_remove_file(taken), 0);
  free(taken);
}

/* ---- UTF-8 names and long paths */

TEST(test_utf8_prefix_and_dir_round_trip) {
  static const char *const prefixes[] = {"\xc3\xa9t\xc3\xa9-", /* été- */
                                         "\xe6\x97\xa5\xe6\x9c\xac", /* 日本 */
                                         "\xf0\x9f\x98\x80"}; /* U+1F600 */
  tf_opts o = TF_OPTS_INIT;
  char *dir = tw_join(tw_dir(), "d\xc3\xa9j\xc3\xa0-\xe4\xb8\xad"); /* déjà-中 */
  size_t i;
  tw_mkdir(dir);
  o.dir = dir;
  for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
    char *path = NULL, *listed;
    int fd;
    o.prefix = prefixes[i];
    o.suffix = "\xc3\xa9"; /* é */
    fd = tf_mkstemp(&path, &o);
    ASSERT_OK(fd);
    assert_named(path, dir, prefixes[i], TF_RANDOM_LEN_DEFAULT, "\xc3\xa9");
    listed = only_entry(dir);
    ASSERT_STR_EQ(listed, twc_base(path));
    free(listed);
    ASSERT(tw_exists(path));
    close_and_remove(fd, path);
    ASSERT_OK(tf_mkdtemp(&path, &o));
    ASSERT(tw_attributes(path) & FILE_ATTRIBUTE_DIRECTORY);
    remove_dir(path);
  }
  /* bytes that are not UTF-8 */
  o.prefix = "\xff\xfe";
  ASSERT_ERR(via_mkstemp(&o), -EINVAL);
  remove_dir(dir);
}

/* A directory whose path is longer than MAX_PATH: the calls take it as
 * UTF-8 without "\\?\" and return paths without it. */
TEST(test_directory_longer_than_max_path) {
  tf_opts o = TF_OPTS_INIT;
  size_t base = strlen(tw_dir());
  char *deep = malloc(base + 8 * 41 + 1), *l, *path = NULL;
  int i, fd;
  ASSERT(deep != NULL);
  memcpy(deep, tw_dir(), base + 1);
  for (i = 0; i < 8; i++) { /* eight levels of 40 characters */
    char *end = deep + base + (size_t)i * 41;
    end[0] = '\\';
    memset(end + 1, 'a' + i, 40);
    end[41] = '\0';
    l = twc_long(deep);
    tw_mkdir(l);
    free(l);
  }
  ASSERT_GT(strlen(deep), MAX_PATH);
  o.dir = deep;
  fd = tf_mkstemp(&path, &o);
  ASSERT_OK(fd);
  assert_named(path, deep, "tmp", TF_RANDOM_LEN_DEFAULT, "");
  l = twc_long(path);
  ASSERT(tw_exists(l));
  ASSERT_EQ(_close(fd), 0);
  free(l);
  free(path);
  ASSERT_OK(tf_mkdtemp(&path, &o));
  assert_named(path, deep, "tmp", TF_RANDOM_LEN_DEFAULT, "");
  l = twc_long(path);
  ASSERT(tw_attributes(l) & FILE_ATTRIBUTE_DIRECTORY);
  free(l);
  free(path);
  ASSERT_OK(tf_mktemp(&path, &o));
  assert_named(path, deep, "tmp", TF_RANDOM_LEN_DEFAULT, "");
  free(path);
  fd = tf_tmpfile(&o);
  ASSERT_OK(fd);
  ASSERT_EQ(_close(fd), 0);
  l = twc_long(deep);
  ASSERT_EQ(tw_count_entries(l), 2);
  free(l);
  deep[base + 41] = '\0';
  l = twc_long(deep);
  tw_remove_tree(l);
  ASSERT(!tw_exists(l));
  free(l);
  free(deep);
}

/* ====================================================== tf_mkdtemp */

TEST(test_mkdtemp_basic) {
  char *path = NULL;
  ASSERT_OK(tf_mkdtemp(&path, NULL));
  ASSERT(is_absolute(path));
  assert_named(path, tw_dir(), "tmp", TF_RANDOM_LEN_DEFAULT, "");
  ASSERT(tw_attributes(path) & FILE_ATTRIBUTE_DIRECTORY);
  ASSERT_EQ(tw_count_entries(path), 0);
  remove_dir(path);
}

TEST(test_mkdtemp_basic_many_and_choose_directory) {
  tf_opts o = TF_OPTS_INIT;
  char *paths[100], *sub = tw_join(tw_dir(), "sub");
  int i, j;
  tw_mkdir(sub);
  o.dir = "sub";
  o.prefix = "d";
  o.suffix = "-x";
  for (i = 0; i < 100; i++) {
    ASSERT_OK(tf_mkdtemp(&paths[i], &o));
    assert_named(paths[i], sub, "d", TF_RANDOM_LEN_DEFAULT, "-x");
    for (j = 0; j < i; j++)
      ASSERT(_stricmp(paths[i], paths[j]) != 0);
  }
  ASSERT_EQ(tw_count_entries(sub), 100);
  for (i = 0; i < 100; i++)
    remove_dir(paths[i]);
  remove_dir(sub);
}

/* CPython's test_mode_win32: no ACE for BUILTIN\Users (or anyone but the
 * owner and SYSTEM), nothing inherited. */
TEST(test_mkdtemp_mode_win32) {
  char *path = NULL;
  twc_require_stored_security();
  ASSERT_OK(tf_mkdtemp(&path, NULL));
  twc_assert_private_dacl(path);
  remove_dir(path);
}

TEST(test_mkdtemp_mode_0755_is_not_private) {
  tf_opts o = TF_OPTS_INIT;
  char *path = NULL;
  twc_require_stored_security();
  o.mode = 0755;
  ASSERT_OK(tf_mkdtemp(&path, &o));
  twc_assert_not_private_dacl(path);
  remove_dir(path);
}

/* ======================================================= tf_mktemp */

TEST(test_mktemp_basic_and_many) {
  tf_opts o = TF_OPTS_INIT;
  char *paths[100];
  int i, j;
  o.prefix = "m";
  o.suffix = ".sock";
  for (i = 0; i < 100; i++) {
    ASSERT_OK(tf_mktemp(&paths[i], &o));
    assert_named(paths[i], tw_dir(), "m", TF_RANDOM_LEN_DEFAULT, ".sock");
    ASSERT(!tw_exists(paths[i]));
    for (j = 0; j < i; j++)
      ASSERT(_stricmp(paths[i], paths[j]) != 0);
  }
  ASSERT_EQ(tw_count_entries(tw_dir()), 0); /* it creates nothing */
  /* test_many: each name can be created exclusively */
  for (i = 0; i < 100; i++) {
    wchar_t *w = tw_wide(paths[i]);
    HANDLE h = CreateFileW(w, GENERIC_WRITE, 0, NULL, CREATE_NEW,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    free(w);
    ASSERT(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
  }
  for (i = 0; i < 100; i++) {
    ASSERT_EQ(tw_remove_file(paths[i]), 0);
    free(paths[i]);
  }
}

TEST(test_mktemp_skips_existing_names) {
  tf_opts o = TF_OPTS_INIT;
  char *file = tw_join(tw_dir(), "tmpaaa"), *dir = tw_join(tw_dir(), "tmpbbb");
  char *path = NULL;
  tw_write(file, "x", 1);
  tw_mkdir(dir);
  o.dir = tw_dir();
  o.random_len = 3;
  save_name_source();
  inject_names("abc");
  ASSERT_OK(tf_mktemp(&path, &o));
  restore_name_source();
  ASSERT_STR_EQ(twc_base(path), "tmpccc");
  free(path);
  ASSERT_EQ(tw_remove_file(file), 0);
  remove_dir(dir);
  free(file);
}

/* As Python: a missing directory, or a file as the directory, makes no
 * name taken, so the first name comes back. */
TEST(test_mktemp_gives_a_name_where_python_does) {
  tf_opts o = TF_OPTS_INIT;
  char *file = tw_join(tw_dir(), "file"), *path = NULL, *want;
  o.dir = "missing";
  ASSERT_OK(tf_mktemp(&path, &o));
  want = tw_join(tw_dir(), "missing");
  assert_named(path, want, "tmp", TF_RANDOM_LEN_DEFAULT, "");
  free(want);
  free(path);
  tw_write(file, "x", 1);
  o.dir = "file";
  ASSERT_OK(tf_mktemp(&path, &o));
  assert_named(path, file, "tmp", TF_RANDOM_LEN_DEFAULT, "");
  free(path);
  ASSERT_EQ(tw_remove_file(file), 0);
  free(file);
}

/* ====================================================== tf_tmpfile */

TEST(test_tmpfile_basic_read_write_seek) {
  char buf[16];
  int fd = tf_tmpfile(NULL);
  ASSERT_OK(fd);
  ASSERT(!twc_inheritable(fd));
  ASSERT_EQ(_write(fd, "hello\nworld", 11), 11);
  ASSERT_EQ(_lseeki64(fd, 6, SEEK_SET), 6);
  ASSERT_EQ(_read(fd, buf, sizeof(buf)), 5);
  ASSERT(memcmp(buf, "world", 5) == 0);
  ASSERT_EQ(_lseeki64(fd, 0, SEEK_END), 11); /* binary: "\n" is 1 byte */
  ASSERT_EQ(_close(fd), 0);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

TEST(test_tmpfile_many_and_in_chosen_directory) {
  tf_opts o = TF_OPTS_INIT;
  char *sub = tw_join(tw_dir(), "sub");
  int fds[20], i;
  tw_mkdir(sub);
  o.dir = sub;
  o.prefix = "t";
  for (i = 0; i < 20; i++) {
    fds[i] = tf_tmpfile(&o);
    ASSERT_OK(fds[i]);
    ASSERT_EQ(_write(fds[i], &i, sizeof(i)), sizeof(i));
  }
  for (i = 0; i < 20; i++) {
    int got = -1;
    ASSERT_EQ(_lseeki64(fds[i], 0, SEEK_SET), 0);
    ASSERT_EQ(_read(fds[i], &got, sizeof(got)), sizeof(got));
    ASSERT_EQ(got, i);
    ASSERT_EQ(_close(fds[i]), 0);
  }
  ASSERT_EQ(tw_count_entries(sub), 0);
  remove_dir(sub);
}

/* CPython's test_has_no_name: where the file system deletes POSIX-style
 * the name is gone at once and the directory can be removed while the
 * file is open. */
TEST(test_tmpfile_has_no_name) {
  tf_opts o = TF_OPTS_INIT;
  char *sub = tw_join(tw_dir(), "sub");
  wchar_t *w;
  int fd;
  tw_mkdir(sub);
  o.dir = sub;
  fd = tf_tmpfile(&o);
  ASSERT_OK(fd);
  if (tw_count_entries(sub) != 0) {
    ASSERT_EQ(_close(fd), 0);
    ASSERT_EQ(tw_count_entries(sub), 0);
    remove_dir(sub);
    SKIP("no POSIX delete semantics here (Wine, FAT): the name stays until "
         "the close");
  }
  w = tw_wide(sub);
  ASSERT(RemoveDirectoryW(w));
  free(w);
  ASSERT_EQ(_write(fd, "x", 1), 1);
  ASSERT_EQ(_close(fd), 0);
  free(sub);
}

HELPER(helper_tmpfile_then_wait) {
  char *ready = tw_join(tw_dir(), "ready");
  int fd = tf_tmpfile(NULL);
  (void)argc;
  (void)argv;
  if (fd < 0 || _write(fd, "data", 4) != 4)
    return 3;
  tw_write(ready, "", 0);
  Sleep(120000); /* killed by the test; bounded if the test failed first */
  return 0;
}

/* The file goes when its last handle closes, also when the process
 * holding it is killed: nothing is left to reap. */
TEST(test_tmpfile_of_a_killed_process_leaves_nothing) {
  char *ready = tw_join(tw_dir(), "ready");
  HANDLE child = tw_spawn("helper_tmpfile_then_wait", NULL);
  int i;
  twc_wait_for(ready);
  tw_kill(child);
  ASSERT_EQ(tw_remove_file(ready), 0);
  for (i = 0; i < 200 && tw_count_entries(tw_dir()) != 0; i++)
    Sleep(10); /* the system closes the dead process's handles */
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  free(ready);
}

TEST(test_tmpfile_private_dacl) {
  HANDLE h;
  PSECURITY_DESCRIPTOR sd = NULL;
  PACL dacl = NULL;
  int fd;
  twc_require_stored_security();
  fd = tf_tmpfile(NULL);
  ASSERT_OK(fd);
  h = (HANDLE)_get_osfhandle(fd);
  ASSERT_EQ(GetSecurityInfo(h, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION,
                            NULL, NULL, &dacl, NULL, &sd),
            ERROR_SUCCESS);
  ASSERT(dacl != NULL);
  ASSERT(twc_dacl_protected(sd));
  {
    PSID everyone = twc_sid_of(L"S-1-1-0"), users = twc_sid_of(L"S-1-5-32-545");
    ASSERT(!twc_has_ace_for(dacl, everyone));
    ASSERT(!twc_has_ace_for(dacl, users));
    LocalFree(everyone);
    LocalFree(users);
  }
  LocalFree(sd);
  ASSERT_EQ(_close(fd), 0);
}

/* ========================================== the temporary directory */

static void set_env(const wchar_t *name, const char *value) {
  wchar_t *w = value != NULL ? tw_wide(value) : NULL;
  if (!SetEnvironmentVariableW(name, w))
    FAIL("SetEnvironmentVariableW: error %lu", (unsigned long)GetLastError());
  free(w);
}

/* tf_gettempdir() after forgetting the cached discovery. */
static char *discover(void) {
  char buf[4096];
  ASSERT_OK(tf_settempdir(NULL));
  ASSERT_OK(tf_gettempdir(buf, sizeof(buf)));
  return _strdup(buf);
}

/* The harness sets TMPDIR, TEMP and TMP to the test's directory. */
TEST(test_gettempdir_directory_exists_and_is_the_harness_dir) {
  char buf[4096];
  int n = tf_gettempdir(buf, sizeof(buf));
  ASSERT_OK(n);
  ASSERT_EQ(n, strlen(buf));
  ASSERT_STR_EQ(buf, tw_dir());
  ASSERT(tw_attributes(buf) & FILE_ATTRIBUTE_DIRECTORY);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0); /* the probe left nothing */
}

/* TestCandidateTempdirList.test_wanted_dirs: TMPDIR before TEMP before
 * TMP; empty values count as unset; a missing directory or a file is
 * passed over. */
TEST(test_gettempdir_candidate_order) {
  char *a = tw_join(tw_dir(), "a"), *b = tw_join(tw_dir(), "b");
  char *c = tw_join(tw_dir(), "c"), *file = tw_join(tw_dir(), "file");
  char *missing = tw_join(tw_dir(), "missing"), *got;
  tw_mkdir(a);
  tw_mkdir(b);
  tw_mkdir(c);
  tw_write(file, "x", 1);
  set_env(L"TMPDIR", a);
  set_env(L"TEMP", b);
  set_env(L"TMP", c);
  got = discover();
  ASSERT_STR_EQ(got, a);
  free(got);
  set_env(L"TMPDIR", "");
  got = discover();
  ASSERT_STR_EQ(got, b);
  free(got);
  set_env(L"TMPDIR", NULL);
  set_env(L"TEMP", missing);
  got = discover();
  ASSERT_STR_EQ(got, c);
  free(got);
  set_env(L"TEMP", file);
  got = discover();
  ASSERT_STR_EQ(got, c);
  free(got);
  ASSERT_EQ(tw_count_entries(a) + tw_count_entries(b) + tw_count_entries(c),
            0);
  remove_dir(a);
  remove_dir(b);
  remove_dir(c);
  ASSERT_EQ(tw_remove_file(file), 0);
  free(file);
  free(missing);
}

/* Cached for the process until tf_settempdir(NULL); creation uses it. */
TEST(test_gettempdir_same_thing_until_reset) {
  char *a = tw_join(tw_dir(), "a"), *got, *path = NULL;
  char first[4096];
  int fd;
  ASSERT_OK(tf_gettempdir(first, sizeof(first)));
  tw_mkdir(a);
  set_env(L"TMPDIR", a);
  got = malloc(4096);
  ASSERT_OK(tf_gettempdir(got, 4096));
  ASSERT_STR_EQ(got, first);
  free(got);
  got = discover();
  ASSERT_STR_EQ(got, a);
  fd = tf_mkstemp(&path, NULL);
  ASSERT_OK(fd);
  assert_named(path, a, "tmp", TF_RANDOM_LEN_DEFAULT, "");
  close_and_remove(fd, path);
  free(got);
  remove_dir(a);
}

/* test_case_sensitive: the case is kept; a relative value is made
 * absolute; '/' becomes '\\'; "\\?\" and a trailing '\\' come off. */
TEST(test_gettempdir_normalises_only_the_form) {
  char *mixed = tw_join(tw_dir(), "MiXeD"), *got, *v;
  size_t i;
  tw_mkdir(mixed);
  set_env(L"TMPDIR", mixed);
  got = discover();
  ASSERT_STR_EQ(got, mixed);
  free(got);
  set_env(L"TMPDIR", "MiXeD");
  got = discover();
  ASSERT_STR_EQ(got, mixed);
  free(got);
  v = _strdup(mixed);
  for (i = 0; v[i] != '\0'; i++)
    if (v[i] == '\\')
      v[i] = '/';
  set_env(L"TMPDIR", v);
  got = discover();
  ASSERT_STR_EQ(got, mixed);
  free(got);
  free(v);
  v = twc_long(mixed);
  set_env(L"TMPDIR", v);
  got = discover();
  ASSERT_STR_EQ(got, mixed);
  free(got);
  free(v);
  v = tw_join(mixed, "");
  set_env(L"TMPDIR", v);
  got = discover();
  ASSERT_STR_EQ(got, mixed);
  free(got);
  free(v);
  remove_dir(mixed);
}

TEST(test_gettempdir_buffer_too_small_is_erange) {
  char buf[4096];
  size_t len = strlen(tw_dir());
  memset(buf, '#', sizeof(buf));
  ASSERT_ERR(tf_gettempdir(buf, len), -ERANGE);
  ASSERT_EQ(buf[0], '#'); /* nothing written */
  ASSERT_ERR(tf_gettempdir(buf, 0), -ERANGE);
  ASSERT_EQ(tf_gettempdir(buf, len + 1), len);
  ASSERT_STR_EQ(buf, tw_dir());
  ASSERT_ERR(tf_gettempdir(NULL, 10), -EINVAL);
}

/* tempfile.tempdir = dir: made absolute, not checked, used by creation;
 * "" is refused; NULL goes back to discovery. */
TEST(test_settempdir_override) {
  char *sub = tw_join(tw_dir(), "sub"), *path = NULL;
  char buf[4096];
  int fd;
  ASSERT_OK(tf_settempdir("sub/"));
  ASSERT_OK(tf_gettempdir(buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, sub);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0); /* not checked, not made */
  ASSERT_ERR(tf_mkstemp(&path, NULL), -ENOENT);
  tw_mkdir(sub);
  fd = tf_mkstemp(&path, NULL);
  ASSERT_OK(fd);
  assert_named(path, sub, "tmp", TF_RANDOM_LEN_DEFAULT, "");
  close_and_remove(fd, path);
  ASSERT_ERR(tf_settempdir(""), -EINVAL);
  ASSERT_OK(tf_gettempdir(buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, sub); /* the refused call changed nothing */
  ASSERT_OK(tf_settempdir(NULL));
  ASSERT_OK(tf_gettempdir(buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, tw_dir());
  remove_dir(sub);
}

/* TestGetTempPrefix: "tmp", changeable, refused with a separator or ':'
 * or beyond 200 bytes, and usable in names. */
TEST(test_tempprefix_get_set) {
  char buf[256], big[202];
  char *path = NULL;
  int fd;
  ASSERT_EQ(tf_gettempprefix(buf, sizeof(buf)), 3);
  ASSERT_STR_EQ(buf, "tmp");
  ASSERT_ERR(tf_gettempprefix(buf, 3), -ERANGE);
  ASSERT_ERR(tf_gettempprefix(NULL, 8), -EINVAL);
  ASSERT_ERR(tf_settempprefix("a\\b"), -EINVAL);
  ASSERT_ERR(tf_settempprefix("a/b"), -EINVAL);
  ASSERT_ERR(tf_settempprefix("a:b"), -EINVAL);
  memset(big, 'p', sizeof(big));
  big[201] = '\0';
  ASSERT_ERR(tf_settempprefix(big), -EINVAL);
  ASSERT_EQ(tf_gettempprefix(buf, sizeof(buf)), 3);
  big[200] = '\0';
  ASSERT_OK(tf_settempprefix(big));
  ASSERT_EQ(tf_gettempprefix(buf, sizeof(buf)), 200);
  ASSERT_OK(tf_settempprefix("\xc3\xa9x-"));
  fd = tf_mkstemp(&path, NULL);
  ASSERT_OK(fd);
  assert_named(path, tw_dir(), "\xc3\xa9x-", TF_RANDOM_LEN_DEFAULT, "");
  close_and_remove(fd, path);
  ASSERT_OK(tf_settempprefix(NULL));
  ASSERT_EQ(tf_gettempprefix(buf, sizeof(buf)), 3);
  ASSERT_STR_EQ(buf, "tmp");
}

/* ====================================== names, errors, absent calls */

/* TestRandomNameSequence: test_get_eight_char_str, test_many. */
TEST(test_random_chars_eight_and_many) {
  char names[100][9];
  int i, j;
  for (i = 0; i < 100; i++) {
    ASSERT_OK(tf_random_chars(names[i], 8));
    names[i][8] = '\0';
    twc_assert_random_part(names[i], 8);
    for (j = 0; j < i; j++)
      ASSERT(strcmp(names[i], names[j]) != 0);
  }
  ASSERT_ERR(tf_random_chars(NULL, 8), -EINVAL);
  ASSERT_OK(tf_random_chars(names[0], 0));
}

/* Every character equally likely: 36 000 draws, each symbol within
 * 30% of its expected 1000 (a false alarm is far below 1e-15). */
TEST(test_random_chars_are_uniform) {
  static char buf[36000];
  unsigned counts[36] = {0};
  size_t i;
  ASSERT_OK(tf_random_chars(buf, sizeof(buf)));
  for (i = 0; i < sizeof(buf); i++) {
    const char *at = strchr(TF_ALPHABET, buf[i]);
    ASSERT(at != NULL && buf[i] != '\0');
    counts[at - TF_ALPHABET]++;
  }
  for (i = 0; i < 36; i++) {
    ASSERT_GT(counts[i], 700);
    ASSERT_LT(counts[i], 1300);
  }
}

TEST(test_errors_estale_and_edquot_have_names) {
  ASSERT_STR_EQ(tf_err_name(-ESTALE), "ESTALE");
  ASSERT_STR_EQ(tf_err_name(ESTALE), "ESTALE");
  ASSERT_STR_EQ(tf_err_name(-EDQUOT), "EDQUOT");
  ASSERT(strcmp(tf_strerror(-ESTALE), "unknown error") != 0);
  ASSERT(strcmp(tf_strerror(-EDQUOT), "unknown error") != 0);
  ASSERT(strcmp(tf_strerror(-ESTALE), tf_strerror(-EDQUOT)) != 0);
  ASSERT_STR_EQ(tf_err_name(-ENOSYS), "ENOSYS");
  ASSERT_STR_EQ(tf_err_name(-123456), "UNKNOWN");
  ASSERT_STR_EQ(tf_strerror(-123456), "unknown error");
}

TEST(test_enders_accept_null) {
  tf_spool *s = NULL;
  tf_pool *p = NULL;
  ASSERT_EQ(tf_spool_close(NULL), 0);
  ASSERT_EQ(tf_spool_free(NULL), 0);
  ASSERT_EQ(tf_pool_free(NULL), 0);
  ASSERT_EQ(tf_file_close(NULL), 0);
  ASSERT_EQ(tf_file_free(NULL), 0);
  ASSERT_EQ(tf_dir_cleanup(NULL), 0);
  ASSERT_EQ(tf_dir_free(NULL), 0);
  ASSERT_EQ(tf_atomic_abort(NULL), 0);
  ASSERT_EQ(tf_atomic_free(NULL), 0);
  tf_spool_freep(&s);
  tf_pool_freep(&p);
  tf_pool_freep(NULL);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}
