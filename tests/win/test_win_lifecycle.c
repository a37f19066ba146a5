/* SPDX-License-Identifier: MIT */
/*
 * test_win_lifecycle.c - cleanup at exit, tf_cleanup_all() and
 * tf_cleanup_on_signals() on Windows (tests/test_lifecycle.c's
 * counterpart).  What a process leaves at exit or on a signal is seen
 * from outside: a helper process makes its objects in a directory the
 * test gives it, ends as the test asks, and the test looks at what is
 * left and at the exit code, which must be the one the same end gives
 * without the library's handlers (a baseline helper run).  Names tell
 * what must survive: "keep-" entries, and nothing else.
 */
#include "win/win.h"

#include "harness_win.h"

#include <signal.h>

/* ---- helpers */

static tf_opts in_dir(const char *dir, const char *prefix, unsigned flags) {
  tf_opts o = TF_OPTS_INIT;
  o.dir = dir;
  o.prefix = prefix;
  o.flags = flags;
  return o;
}

static tf_file *file_in(const char *dir, const char *prefix, unsigned flags) {
  tf_opts o = in_dir(dir, prefix, flags);
  tf_file *f = NULL;
  ASSERT_OK(tf_file_create(&f, &o));
  return f;
}

/* A directory with a file and a subdirectory with a file in it. */
static tf_dir *tree_in(const char *dir, const char *prefix, unsigned flags) {
  tf_opts o = in_dir(dir, prefix, flags);
  tf_dir *d = NULL;
  char *p, *q;
  ASSERT_OK(tf_dir_create(&d, &o));
  p = tw_join(tf_dir_path(d), "a.txt");
  tw_write(p, "a", 1);
  free(p);
  p = tw_join(tf_dir_path(d), "sub");
  tw_mkdir(p);
  q = tw_join(p, "b.txt");
  tw_write(q, "b", 1);
  free(q);
  free(p);
  return d;
}

/* A subdirectory of the test's directory for a helper's objects. */
static char *objects_dir(const char *name) {
  char *p = tw_join(tw_dir(), name);
  tw_mkdir(p);
  return p;
}

/* A run without the library's handlers leaves its objects, and its
 * ledger in the temporary directory: tf_reap() takes both (the child is
 * gone), then the rest goes. */
static void reap_bare_run(const char *dir) {
  ASSERT(tf_reap(dir, 0, 0, NULL, NULL) >= 0);
  tw_remove_tree(dir);
}

/* Entries of dir whose names do not start with "keep-". */
static size_t not_kept(const char *dir) {
  wchar_t *w;
  char *pattern = tw_join(dir, "*");
  WIN32_FIND_DATAW fd;
  HANDLE f;
  size_t n = 0;
  w = tw_wide(pattern);
  free(pattern);
  f = FindFirstFileW(w, &fd);
  free(w);
  if (f == INVALID_HANDLE_VALUE)
    return 0;
  do {
    if (wcscmp(fd.cFileName, L".") != 0 && wcscmp(fd.cFileName, L"..") != 0 &&
        wcsncmp(fd.cFileName, L"keep-", 5) != 0)
      n++;
  } while (FindNextFileW(f, &fd));
  FindClose(f);
  return n;
}

/* This program in helper mode, with CreateProcess flags (a new process
 * group for console events). */
static HANDLE spawn(const char *helper, const char *arg, DWORD flags,
                    DWORD *pid) {
  wchar_t self[MAX_PATH], cmd[MAX_PATH * 3];
  wchar_t *h = tw_wide(helper), *a = tw_wide(arg);
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  if (GetModuleFileNameW(NULL, self, MAX_PATH) == 0)
    FAIL("GetModuleFileNameW: error %lu", (unsigned long)GetLastError());
  _snwprintf(cmd, MAX_PATH * 3 - 1, L"\"%ls\" --helper %ls \"%ls\"", self, h,
             a);
  cmd[MAX_PATH * 3 - 1] = L'\0';
  free(h);
  free(a);
  memset(&si, 0, sizeof(si));
  si.cb = sizeof(si);
  si.dwFlags = STARTF_USESHOWWINDOW; /* a new console's window stays hidden */
  si.wShowWindow = SW_HIDE;
  if (!CreateProcessW(self, cmd, NULL, NULL, FALSE, flags, NULL, NULL, &si,
                      &pi))
    FAIL("CreateProcessW: error %lu", (unsigned long)GetLastError());
  CloseHandle(pi.hThread);
  if (pid != NULL)
    *pid = pi.dwProcessId;
  return pi.hProcess;
}

/* "MODE|DIR" for a helper. */
static char *arg2(const char *mode, const char *dir) {
  size_t n = strlen(mode) + strlen(dir) + 2;
  char *s = malloc(n);
  ASSERT(s != NULL);
  snprintf(s, n, "%s|%s", mode, dir);
  return s;
}

/* Split a helper's "MODE|DIR" in place; returns DIR. */
static char *split(char *arg) {
  char *bar = strchr(arg, '|');
  if (bar == NULL)
    return NULL;
  *bar = '\0';
  return bar + 1;
}

static int run_helper(const char *helper, const char *mode, const char *dir) {
  char *a = arg2(mode, dir);
  int code = tw_wait(tw_spawn(helper, a));
  free(a);
  return code;
}

/* ---- exit */

/* Everything a handle would delete, left alive for exit(). */
HELPER(life_make_and_exit) {
  const char *dir = argc > 1 ? argv[1] : NULL;
  tf_file *open_file, *closed_on_free, *streamed;
  tf_dir *tree;
  FILE *fp;
  if (dir == NULL)
    return 2;
  open_file = file_in(dir, "gone-", 0);
  closed_on_free = file_in(dir, "gone-", TF_DELETE_ON_FREE);
  ASSERT_OK(tf_file_close(closed_on_free)); /* closed, not yet freed */
  streamed = file_in(dir, "gone-", 0);
  ASSERT_OK(tf_file_stream(streamed, &fp));
  fputs("unflushed", fp);
  tree = tree_in(dir, "gone-", 0);
  (void)open_file;
  (void)tree;
  exit(0); /* with every handle alive */
}

TEST(win_life_exit_removes_every_live_object) {
  char *dir = objects_dir("objs");
  ASSERT_EQ(tw_wait(tw_spawn("life_make_and_exit", dir)), 0);
  ASSERT_EQ(tw_count_entries(dir), 0);
  tw_remove_tree(dir);
  free(dir);
}

/* What no handle would delete, among objects that exit removes. */
HELPER(life_make_survivors_and_exit) {
  const char *dir = argc > 1 ? argv[1] : NULL;
  tf_opts o;
  tf_file *f;
  tf_dir *d;
  char *path, *target;
  int fd;
  if (dir == NULL)
    return 2;
  (void)file_in(dir, "keep-untracked-", TF_UNTRACKED);
  (void)tree_in(dir, "keep-untracked-", TF_UNTRACKED);
  (void)file_in(dir, "keep-flag-", TF_KEEP);
  (void)tree_in(dir, "keep-flag-", TF_KEEP);
  f = file_in(dir, "keep-kept-", 0);
  ASSERT_OK(tf_file_keep(f));
  f = file_in(dir, "keep-kept-", TF_DELETE_ON_FREE);
  ASSERT_OK(tf_file_keep(f));
  d = tree_in(dir, "keep-kept-", 0);
  ASSERT_OK(tf_dir_keep(d));
  f = file_in(dir, "gone-", 0);
  target = tw_join(dir, "keep-published");
  ASSERT_OK(tf_file_publish(f, target, 0, 0));
  free(target);
  o = in_dir(dir, "keep-mkstemp-", 0);
  fd = tf_mkstemp(&path, &o);
  ASSERT_GE(fd, 0);
  tf_free(path);
  ASSERT_OK(tf_mkdtemp(&path, &o));
  tf_free(path);
  /* And some that go, beside them. */
  (void)file_in(dir, "gone-", 0);
  (void)tree_in(dir, "gone-", 0);
  exit(0);
}

TEST(win_life_exit_leaves_untracked_kept_published_and_mkstemp_objects) {
  char *dir = objects_dir("objs");
  ASSERT_EQ(tw_wait(tw_spawn("life_make_survivors_and_exit", dir)), 0);
  ASSERT_EQ(not_kept(dir), 0);
  /* untracked 2, TF_KEEP 2, kept 3, published 1, mkstemp 1, mkdtemp 1 */
  ASSERT_EQ(tw_count_entries(dir), 10);
  tw_remove_tree(dir);
  free(dir);
}

/* Objects ended before exit, whose names now hold other objects: the
 * exit cleanup must not touch them (each object is removed once, and
 * only the object made). */
HELPER(life_end_then_reuse_names) {
  const char *dir = argc > 1 ? argv[1] : NULL;
  tf_file *f, *on_free;
  tf_dir *d;
  char *path, *moved;
  wchar_t *a, *b;
  if (dir == NULL)
    return 2;
  f = file_in(dir, "keep-ended-", 0);
  path = _strdup(tf_file_path(f));
  ASSERT_OK(tf_file_free(f));
  tw_write(path, "another", 7);
  free(path);
  d = tree_in(dir, "keep-ended-", 0);
  path = _strdup(tf_dir_path(d));
  ASSERT_OK(tf_dir_free(d));
  tw_mkdir(path);
  free(path);
  /* Still registered, but its name now holds another file: moved away
   * (and kept: "keep-moved"), a new file put at its name. */
  on_free = file_in(dir, "keep-swapped-", TF_DELETE_ON_FREE);
  ASSERT_OK(tf_file_close(on_free));
  moved = tw_join(dir, "keep-moved");
  a = tw_wide(tf_file_path(on_free));
  b = tw_wide(moved);
  ASSERT(MoveFileExW(a, b, 0));
  free(a);
  free(b);
  free(moved);
  tw_write(tf_file_path(on_free), "not ours", 8);
  exit(0);
}

TEST(win_life_exit_leaves_ended_objects_and_names_taken_by_others) {
  char *dir = objects_dir("objs");
  ASSERT_EQ(tw_wait(tw_spawn("life_end_then_reuse_names", dir)), 0);
  ASSERT_EQ(not_kept(dir), 0);
  /* the reused file and directory names, the swapped name, the moved
   * file */
  ASSERT_EQ(tw_count_entries(dir), 4);
  tw_remove_tree(dir);
  free(dir);
}

/* The DLL registers its own exit cleanup (run as it is unloaded at
 * ExitProcess, after the other threads are gone). */
typedef int (*file_create_fn)(tf_file **, const tf_opts *);
typedef int (*dir_create_fn)(tf_dir **, const tf_opts *);

static HMODULE load_dll(void) {
  wchar_t path[MAX_PATH + 32];
  DWORD n = GetModuleFileNameW(NULL, path, MAX_PATH);
  wchar_t *slash;
  if (n == 0 || n >= MAX_PATH)
    return NULL;
  slash = wcsrchr(path, L'\\');
  if (slash == NULL)
    return NULL;
  *slash = L'\0';
  slash = wcsrchr(path, L'\\'); /* build\tests\unit.exe -> build\ */
  if (slash == NULL)
    return NULL;
  wcscpy(slash + 1, L"libtempfile-1.dll");
  return LoadLibraryW(path);
}

HELPER(life_dll_make_and_exit) {
  const char *dir = argc > 1 ? argv[1] : NULL;
  HMODULE dll = load_dll();
  file_create_fn file_create;
  dir_create_fn dir_create;
  tf_opts o;
  tf_file *f;
  tf_dir *d;
  if (dir == NULL)
    return 2;
  if (dll == NULL)
    return 3;
  file_create = (file_create_fn)(void (*)(void))
      GetProcAddress(dll, "tf_file_create");
  dir_create = (dir_create_fn)(void (*)(void))GetProcAddress(dll,
                                                             "tf_dir_create");
  if (file_create == NULL || dir_create == NULL)
    return 4;
  o = in_dir(dir, "gone-", 0);
  if (file_create(&f, &o) != 0 || dir_create(&d, &o) != 0)
    return 5;
  exit(0);
}

TEST(win_life_exit_cleanup_also_in_the_dll) {
  char *dir = objects_dir("objs");
  ASSERT_EQ(tw_wait(tw_spawn("life_dll_make_and_exit", dir)), 0);
  ASSERT_EQ(tw_count_entries(dir), 0);
  tw_remove_tree(dir);
  free(dir);
}

/* ---- tf_cleanup_all */

static char *copy_path(const char *p) {
  char *s = _strdup(p);
  ASSERT(s != NULL);
  return s;
}

TEST(win_life_cleanup_all_counts_and_handles_still_end) {
  tf_file *open_file = file_in(NULL, NULL, 0);
  tf_file *on_free = file_in(NULL, NULL, TF_DELETE_ON_FREE);
  tf_file *untracked = file_in(NULL, NULL, TF_UNTRACKED);
  tf_file *kept = file_in(NULL, NULL, TF_KEEP);
  tf_dir *tree = tree_in(NULL, NULL, 0);
  char *open_path = copy_path(tf_file_path(open_file));
  char *on_free_path = copy_path(tf_file_path(on_free));
  char *tree_path = copy_path(tf_dir_path(tree));
  char *untracked_path = copy_path(tf_file_path(untracked));
  char *kept_path = copy_path(tf_file_path(kept));
  FILE *fp;
  ASSERT_OK(tf_file_close(on_free));
  ASSERT_EQ(tf_cleanup_all(), 3);
  ASSERT_EQ(tf_cleanup_all(), 0); /* each once */
  ASSERT(!tw_exists(tree_path));
  ASSERT(!tw_exists(on_free_path));
  ASSERT(tw_exists(untracked_path));
  ASSERT(tw_exists(kept_path));
  /* The handles stay usable... */
  ASSERT_OK(tf_file_stream(open_file, &fp));
  ASSERT_EQ(fputs("still writable", fp) >= 0, 1);
  ASSERT_STR_EQ(tf_dir_path(tree), tree_path);
  /* ...and their end removes nothing more: other objects now at the
   * freed names are not theirs. */
  tw_write(on_free_path, "another", 7);
  tw_mkdir(tree_path);
  ASSERT_OK(tf_file_free(open_file));
  ASSERT_OK(tf_file_free(on_free));
  ASSERT_OK(tf_dir_free(tree));
  ASSERT(tw_exists(on_free_path));
  ASSERT(tw_exists(tree_path));
  ASSERT(!tw_exists(open_path));
  ASSERT_OK(tf_file_free(untracked)); /* not registered, still its own end */
  ASSERT_OK(tf_file_free(kept));
  ASSERT(!tw_exists(untracked_path));
  ASSERT_EQ(tf_cleanup_all(), 0);
  ASSERT_EQ(tw_remove_file(on_free_path), 0);
  ASSERT_EQ(tw_remove_file(kept_path), 0);
  tw_remove_tree(tree_path);
  free(open_path);
  free(on_free_path);
  free(tree_path);
  free(untracked_path);
  free(kept_path);
}

TEST(win_life_cleanup_all_then_close_and_publish) {
  tf_file *f = file_in(NULL, NULL, 0);
  tf_file *g = file_in(NULL, NULL, 0);
  char *target = tw_join(tw_dir(), "final");
  char *g_path = copy_path(tf_file_path(g));
  tf_dir *d = tree_in(NULL, NULL, 0);
  ASSERT_EQ(tf_cleanup_all(), 3);
  /* A removed file can not be published; closing it is fine. */
  ASSERT_ERR(tf_file_publish(f, target, 0, 0), -ENOENT);
  ASSERT(!tw_exists(target));
  ASSERT_OK(tf_file_close(f));
  ASSERT_OK(tf_file_close(g));
  ASSERT_OK(tf_dir_cleanup(d));
  ASSERT_OK(tf_file_free(f));
  ASSERT_OK(tf_file_free(g));
  ASSERT_OK(tf_dir_free(d));
  ASSERT(!tw_exists(g_path));
  free(target);
  free(g_path);
}

/* ---- signals */

static const struct {
  const char *name;
  int sig;
} signals[] = {
    {"SIGINT", SIGINT}, {"SIGTERM", SIGTERM}, {"SIGBREAK", SIGBREAK}};

static int signal_named(const char *name) {
  size_t i;
  for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
    if (strcmp(signals[i].name, name) == 0)
      return signals[i].sig;
  return 0;
}

/* arg "tf-SIG|DIR" or "bare-SIG|DIR": objects made, the library's
 * handlers installed (tf-) or not, then raise(SIG). */
HELPER(life_raise) {
  char *mode = argc > 1 ? argv[1] : NULL;
  char *dir = mode != NULL ? split(mode) : NULL;
  int tf = mode != NULL && strncmp(mode, "tf-", 3) == 0;
  int sig = mode != NULL ? signal_named(mode + (tf ? 3 : 5)) : 0;
  if (dir == NULL || sig == 0)
    return 2;
  (void)file_in(dir, "gone-", 0);
  (void)file_in(dir, "gone-", TF_DELETE_ON_FREE);
  (void)tree_in(dir, "gone-", 0);
  (void)file_in(dir, "keep-", TF_UNTRACKED);
  if (tf && tf_cleanup_on_signals(NULL, 0) != 0)
    return 4;
  raise(sig);
  return 99; /* the signal did not end the process */
}

TEST(win_life_raised_signal_removes_objects_with_the_signals_exit_code) {
  size_t i;
  for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
    char *dir = objects_dir("objs");
    char mode[32];
    int bare, with_tf;
    snprintf(mode, sizeof(mode), "bare-%s", signals[i].name);
    bare = run_helper("life_raise", mode, dir);
    ASSERT_NE(bare, 99);
    ASSERT_EQ(tw_count_entries(dir), 4); /* nothing removed without them */
    reap_bare_run(dir);
    tw_mkdir(dir);
    snprintf(mode, sizeof(mode), "tf-%s", signals[i].name);
    with_tf = run_helper("life_raise", mode, dir);
    if (with_tf != bare)
      FAIL("%s: exit code %d with the cleanup handler, %d without",
           signals[i].name, with_tf, bare);
    ASSERT_EQ(not_kept(dir), 0);
    ASSERT_EQ(tw_count_entries(dir), 1); /* the untracked file */
    tw_remove_tree(dir);
    free(dir);
  }
}

/* A handler the program installed before runs after the cleanup; one
 * that returns lets the process go on, creating objects again, and the
 * cleanup stays installed. */
static const char *chained_dir;
static int chained_calls;
static int chained_saw_objects;

static void chained(int sig) {
  (void)sig;
  chained_calls++;
  if (not_kept(chained_dir) != 0)
    chained_saw_objects = 1;
  signal(SIGINT, chained); /* as Windows programs do: the CRT reset it */
}

HELPER(life_chain) {
  const char *dir = argc > 1 ? argv[1] : NULL;
  tf_file *f;
  if (dir == NULL)
    return 2;
  chained_dir = dir;
  signal(SIGINT, chained);
  /* Closed files only: a file removed while open keeps its name where
   * deletion is not POSIX-style (Wine) until the handle closes. */
  ASSERT_OK(tf_file_close(file_in(dir, "gone-", TF_DELETE_ON_FREE)));
  (void)tree_in(dir, "gone-", 0);
  if (tf_cleanup_on_signals(NULL, 0) != 0)
    return 4;
  raise(SIGINT);
  if (chained_calls != 1 || chained_saw_objects)
    return 10 + chained_calls + 5 * chained_saw_objects;
  /* Alive: creating works again, and a second signal cleans again. */
  f = file_in(dir, "gone-", TF_DELETE_ON_FREE);
  ASSERT_OK(tf_file_close(f));
  raise(SIGINT);
  if (chained_calls != 2 || chained_saw_objects)
    return 20 + chained_calls + 5 * chained_saw_objects;
  if (tw_exists(tf_file_path(f)))
    return 30;
  ASSERT_OK(tf_file_free(f));
  return 0;
}

TEST(win_life_signal_chains_to_the_previous_handler) {
  char *dir = objects_dir("objs");
  ASSERT_EQ(tw_wait(tw_spawn("life_chain", dir)), 0);
  ASSERT_EQ(tw_count_entries(dir), 0);
  tw_remove_tree(dir);
  free(dir);
}

TEST(win_life_signal_set_is_checked) {
  static const int abort_sig[] = {SIGABRT};
  static const int segv[] = {SIGSEGV};
  static const int mixed[] = {SIGBREAK, 12345};
  static const int term[] = {SIGTERM};
  void (*old)(int);
  ASSERT_ERR(tf_cleanup_on_signals(abort_sig, 1), -EINVAL);
  ASSERT_ERR(tf_cleanup_on_signals(segv, 1), -EINVAL);
  ASSERT_ERR(tf_cleanup_on_signals(NULL, 1), -EINVAL);
  ASSERT_ERR(tf_cleanup_on_signals(mixed, 2), -EINVAL);
  /* Checked before any effect: SIGBREAK untouched. */
  old = signal(SIGBREAK, SIG_DFL);
  ASSERT(old == SIG_DFL);
  /* An ignored signal stays ignored. */
  signal(SIGTERM, SIG_IGN);
  ASSERT_OK(tf_cleanup_on_signals(term, 1));
  old = signal(SIGTERM, SIG_DFL);
  ASSERT(old == SIG_IGN);
  ASSERT_OK(tf_cleanup_on_signals(NULL, 0));
  ASSERT_OK(tf_cleanup_on_signals(NULL, 0)); /* again: no change */
}

/* ---- console events */

/* arg "MODE-EVENT|DIR": MODE "tf" or "bare" (the library's handlers
 * installed or not), EVENT "c" (Ctrl-C) or "b" (Ctrl-Break).  The helper
 * runs in its own console and process group (see console_run), so the
 * event it generates reaches no other process: Ctrl-C to every process
 * of the console (the only way Windows sends it), Ctrl-Break to its
 * group.  Exit 98: the system would not generate the event. */
HELPER(life_console) {
  char *mode = argc > 1 ? argv[1] : NULL;
  char *dir = mode != NULL ? split(mode) : NULL;
  int ctrl_c, i;
  if (dir == NULL || strlen(mode) < 3)
    return 2;
  ctrl_c = mode[strlen(mode) - 1] == 'c';
  SetConsoleCtrlHandler(NULL, FALSE); /* a new group starts with it off */
  (void)file_in(dir, "gone-", 0);
  (void)tree_in(dir, "gone-", 0);
  if (strncmp(mode, "tf-", 3) == 0 && tf_cleanup_on_signals(NULL, 0) != 0)
    return 4;
  if (!GenerateConsoleCtrlEvent(ctrl_c ? CTRL_C_EVENT : CTRL_BREAK_EVENT,
                                ctrl_c ? 0 : GetCurrentProcessId()))
    return 98;
  for (i = 0; i < 200; i++)
    Sleep(50);
  return 99; /* the event never came */
}

/* The helper's exit code, in a new console (hidden) and process group. */
static int console_run(const char *mode, const char *dir) {
  char *a = arg2(mode, dir);
  HANDLE child = spawn("life_console", a,
                       CREATE_NEW_CONSOLE | CREATE_NEW_PROCESS_GROUP, NULL);
  free(a);
  return tw_wait(child);
}

static void console_event_test(const char *event, const char *name) {
  char *dir = objects_dir("objs");
  char mode[16];
  int bare, with_tf;
  snprintf(mode, sizeof(mode), "bare-%s", event);
  bare = console_run(mode, dir);
  if (bare == 98) {
    reap_bare_run(dir);
    free(dir);
    SKIP("%s can not be generated here (GenerateConsoleCtrlEvent fails%s)",
         name, tw_wine() ? ": Wine 8's console without a display" : "");
  }
  ASSERT_NE(bare, 99);
  ASSERT_EQ(not_kept(dir), 2); /* nothing removed without the handlers */
  reap_bare_run(dir);
  tw_mkdir(dir);
  snprintf(mode, sizeof(mode), "tf-%s", event);
  with_tf = console_run(mode, dir);
  if (with_tf != bare)
    FAIL("%s: exit code %d with the cleanup handlers, %d without", name,
         with_tf, bare);
  ASSERT_EQ(tw_count_entries(dir), 0);
  tw_remove_tree(dir);
  free(dir);
}

TEST(win_life_ctrl_c_removes_objects_with_the_default_exit_code) {
  console_event_test("c", "Ctrl-C");
}

TEST(win_life_ctrl_break_removes_objects_with_the_default_exit_code) {
  console_event_test("b", "Ctrl-Break");
}

/* ---- threads */

struct maker {
  const char *dir;
  volatile LONG *stop;
  int failures; /* other than -ECANCELED */
  int first_failure;
};

static void failed(struct maker *m, int rc, int line) {
  if (m->failures++ == 0)
    m->first_failure = rc * 10000 - line;
}

#define LIVE_PER_THREAD 8

/* Make objects and free them, up to LIVE_PER_THREAD alive at a time,
 * until stopped; then free those still alive. */
static DWORD WINAPI make_forever(void *arg) {
  struct maker *m = arg;
  tf_file *files[LIVE_PER_THREAD] = {0};
  tf_dir *dirs[LIVE_PER_THREAD] = {0};
  unsigned n = 0, i;
  while (!InterlockedCompareExchange(m->stop, 0, 0)) {
    tf_opts o = in_dir(m->dir, "gone-", n % 6 == 3 ? TF_DELETE_ON_FREE : 0);
    int rc;
    i = (n / 2) % LIVE_PER_THREAD;
    if (n % 2) {
      rc = tf_file_free(files[i]);
      files[i] = NULL;
    } else {
      rc = tf_dir_free(dirs[i]);
      dirs[i] = NULL;
    }
    if (rc != 0)
      failed(m, rc, __LINE__);
    rc = n % 2 ? tf_file_create(&files[i], &o) : tf_dir_create(&dirs[i], &o);
    if (rc == -ECANCELED) {
      /* The process is ending: wait for it, out of the heap (Wine 8
       * never finishes an ExitProcess that killed a thread holding the
       * heap's lock). */
      for (;;)
        Sleep(1000);
    }
    if (rc != 0)
      failed(m, rc, __LINE__);
    n++;
  }
  for (i = 0; i < LIVE_PER_THREAD; i++)
    if (tf_file_free(files[i]) != 0 || tf_dir_free(dirs[i]) != 0)
      failed(m, -1, __LINE__);
  return 0;
}

/* Threads make objects while the main thread raises SIGTERM: whatever
 * was made in time is removed, and nothing is made afterwards. */
HELPER(life_threads_then_signal) {
  const char *dir = argc > 1 ? argv[1] : NULL;
  static volatile LONG stop;
  struct maker m[4];
  int i;
  if (dir == NULL || tf_cleanup_on_signals(NULL, 0) != 0)
    return 2;
  for (i = 0; i < 4; i++) {
    HANDLE t;
    m[i].dir = dir;
    m[i].stop = &stop;
    m[i].failures = 0;
    m[i].first_failure = 0;
    t = CreateThread(NULL, 0, make_forever, &m[i], 0, NULL);
    if (t == NULL)
      return 3;
    CloseHandle(t);
  }
  Sleep(100);
  raise(SIGTERM);
  return 99;
}

TEST(win_life_signal_while_threads_create_leaves_nothing) {
  int round;
  for (round = 0; round < 5; round++) {
    char *dir = objects_dir("objs");
    HANDLE child = tw_spawn("life_threads_then_signal", dir);
    int code;
    if (WaitForSingleObject(child, 60000) == WAIT_TIMEOUT) {
      tw_kill(child);
      FAIL("round %d: the helper did not end in 60 s", round);
    }
    code = tw_wait(child);
    ASSERT_EQ(code, 3); /* raise(SIGTERM)'s default: _exit(3) */
    if (tw_count_entries(dir) != 0)
      FAIL("round %d: %lu objects left", round,
           (unsigned long)tw_count_entries(dir));
    tw_remove_tree(dir);
    free(dir);
  }
}

TEST(win_life_cleanup_all_while_threads_create_and_free) {
  static volatile LONG stop;
  struct maker m[3];
  HANDLE t[3];
  char *dir = objects_dir("objs");
  int i, removed = 0;
  for (i = 0; i < 3; i++) {
    m[i].dir = dir;
    m[i].stop = &stop;
    m[i].failures = 0;
    m[i].first_failure = 0;
    t[i] = CreateThread(NULL, 0, make_forever, &m[i], 0, NULL);
    ASSERT(t[i] != NULL);
  }
  for (i = 0; i < 50; i++) {
    int n = tf_cleanup_all();
    ASSERT_GE(n, 0);
    removed += n;
    Sleep(2);
  }
  InterlockedExchange(&stop, 1);
  WaitForMultipleObjects(3, t, TRUE, INFINITE);
  for (i = 0; i < 3; i++) {
    CloseHandle(t[i]);
    if (m[i].failures != 0)
      FAIL("%d failures, the first %d", m[i].failures, m[i].first_failure);
  }
  ASSERT_GT(removed, 0);
  ASSERT_EQ(tw_count_entries(dir), 0);
  tw_remove_tree(dir);
  free(dir);
}
