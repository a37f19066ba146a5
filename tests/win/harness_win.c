/* SPDX-License-Identifier: MIT */
/*
 * harness_win.c - runs every registered test in its own process (the
 * program starts itself with --run NAME), each in a fresh directory that
 * is its working directory and its TMP, TEMP and TMPDIR; checks that the
 * directory is empty afterwards and that no handle leaked; prints one
 * line per test and "N passed, N failed, N skipped".  TF_TEST_ONLY=WORD
 * runs only the tests whose name contains WORD; TF_TEST_TIMEOUT (seconds,
 * default 180) bounds each.
 */
#include "harness_win.h"

#include <stdarg.h>
#include <winioctl.h>

static struct tf_test *tests;
static char test_dir[MAX_PATH * 4];

void tf_test_register(struct tf_test *t) {
  t->next = tests;
  tests = t;
}

void tf_test_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "  %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
  ExitProcess(1);
}

void tf_test_skip(const char *fmt, ...) {
  va_list ap;
  fputs("  skipped: ", stdout);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fputc('\n', stdout);
  fflush(stdout);
  ExitProcess(TF_TEST_SKIPPED);
}

const char *tw_dir(void) { return test_dir; }

char *tw_join(const char *dir, const char *name) {
  size_t a = strlen(dir), b = strlen(name);
  char *p = malloc(a + b + 2);
  if (p == NULL)
    FAIL("out of memory");
  memcpy(p, dir, a);
  p[a] = '\\';
  memcpy(p + a + 1, name, b + 1);
  return p;
}

wchar_t *tw_wide(const char *s) {
  int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
  wchar_t *w = n > 0 ? malloc((size_t)n * sizeof(*w)) : NULL;
  if (w == NULL || MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n) != n)
    FAIL("bad UTF-8 or out of memory: %s", s);
  return w;
}

static char *narrow(const wchar_t *w) {
  int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
  char *s = n > 0 ? malloc((size_t)n) : NULL;
  if (s == NULL || WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL) != n)
    FAIL("bad UTF-16 or out of memory");
  return s;
}

DWORD tw_attributes(const char *path) {
  wchar_t *w = tw_wide(path);
  DWORD a = GetFileAttributesW(w);
  free(w);
  return a;
}

int tw_exists(const char *path) {
  return tw_attributes(path) != INVALID_FILE_ATTRIBUTES;
}

void tw_write(const char *path, const void *data, size_t n) {
  wchar_t *w = tw_wide(path);
  DWORD done;
  HANDLE h = CreateFileW(w, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                         CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  free(w);
  if (h == INVALID_HANDLE_VALUE)
    FAIL("create %s: error %lu", path, (unsigned long)GetLastError());
  if (!WriteFile(h, data, (DWORD)n, &done, NULL) || done != n) {
    CloseHandle(h);
    FAIL("write %s: error %lu", path, (unsigned long)GetLastError());
  }
  CloseHandle(h);
}

char *tw_read(const char *path, size_t *n) {
  wchar_t *w = tw_wide(path);
  LARGE_INTEGER size;
  DWORD got;
  char *buf;
  HANDLE h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  free(w);
  if (h == INVALID_HANDLE_VALUE)
    return NULL;
  if (!GetFileSizeEx(h, &size) || size.QuadPart > 1 << 30) {
    CloseHandle(h);
    return NULL;
  }
  buf = malloc((size_t)size.QuadPart + 1);
  if (buf == NULL || !ReadFile(h, buf, (DWORD)size.QuadPart, &got, NULL) ||
      got != (DWORD)size.QuadPart) {
    free(buf);
    CloseHandle(h);
    return NULL;
  }
  CloseHandle(h);
  buf[got] = '\0';
  if (n != NULL)
    *n = got;
  return buf;
}

void tw_mkdir(const char *path) {
  wchar_t *w = tw_wide(path);
  BOOL ok = CreateDirectoryW(w, NULL);
  free(w);
  if (!ok)
    FAIL("mkdir %s: error %lu", path, (unsigned long)GetLastError());
}

/* A liveness ledger's name (ledger_win.c): ".tf-live-" + 12 characters. */
static int is_ledger(const wchar_t *name) {
  return wcsncmp(name, L".tf-live-", 9) == 0 && wcslen(name) == 9 + 12;
}

/* The entries of dir; with skip_ledgers, not counting the ledgers. */
static size_t count_entries_w(const wchar_t *dir, int skip_ledgers) {
  WIN32_FIND_DATAW fd;
  size_t n = 0, len = wcslen(dir);
  wchar_t *pattern = malloc((len + 3) * sizeof(wchar_t));
  HANDLE f;
  if (pattern == NULL)
    FAIL("out of memory");
  memcpy(pattern, dir, len * sizeof(wchar_t));
  memcpy(pattern + len, L"\\*", 3 * sizeof(wchar_t));
  f = FindFirstFileW(pattern, &fd);
  free(pattern);
  if (f == INVALID_HANDLE_VALUE)
    return 0;
  do
    if (wcscmp(fd.cFileName, L".") != 0 && wcscmp(fd.cFileName, L"..") != 0 &&
        !(skip_ledgers && is_ledger(fd.cFileName)))
      n++;
  while (FindNextFileW(f, &fd));
  FindClose(f);
  return n;
}

/* Everything: what a test left in its directory once it ended. */
static size_t count_w(const wchar_t *dir) { return count_entries_w(dir, 0); }

size_t tw_count_entries(const char *dir) {
  wchar_t *w = tw_wide(dir);
  size_t n = count_entries_w(w, 1);
  free(w);
  return n;
}

/* Never through a link: a reparse point is removed as itself. */
static void remove_tree_w(const wchar_t *path) {
  DWORD a = GetFileAttributesW(path);
  if (a == INVALID_FILE_ATTRIBUTES)
    return;
  if (a & FILE_ATTRIBUTE_READONLY)
    SetFileAttributesW(path, a & ~(DWORD)FILE_ATTRIBUTE_READONLY);
  if ((a & FILE_ATTRIBUTE_DIRECTORY) && !(a & FILE_ATTRIBUTE_REPARSE_POINT)) {
    WIN32_FIND_DATAW fd;
    size_t len = wcslen(path);
    wchar_t *pattern = malloc((len + 3) * sizeof(wchar_t));
    HANDLE f;
    if (pattern == NULL)
      return;
    memcpy(pattern, path, len * sizeof(wchar_t));
    memcpy(pattern + len, L"\\*", 3 * sizeof(wchar_t));
    f = FindFirstFileW(pattern, &fd);
    if (f != INVALID_HANDLE_VALUE) {
      do {
        size_t n = wcslen(fd.cFileName);
        wchar_t *child;
        if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0)
          continue;
        child = malloc((len + n + 2) * sizeof(wchar_t));
        if (child == NULL)
          break;
        memcpy(child, path, len * sizeof(wchar_t));
        child[len] = L'\\';
        memcpy(child + len + 1, fd.cFileName, (n + 1) * sizeof(wchar_t));
        remove_tree_w(child);
        free(child);
      } while (FindNextFileW(f, &fd));
      FindClose(f);
    }
    free(pattern);
  }
  if (a & FILE_ATTRIBUTE_DIRECTORY)
    RemoveDirectoryW(path);
  else
    DeleteFileW(path);
}

int tw_remove_file(const char *path) {
  wchar_t *w = tw_wide(path);
  BOOL ok;
  SetFileAttributesW(w, FILE_ATTRIBUTE_NORMAL);
  ok = DeleteFileW(w);
  free(w);
  return ok ? 0 : -1;
}

void tw_remove_tree(const char *path) {
  wchar_t *w = tw_wide(path);
  remove_tree_w(w);
  free(w);
}

int tw_make_symlink(const char *link, const char *target, int is_dir) {
  wchar_t *l = tw_wide(link), *t = tw_wide(target);
  /* SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE: developer mode */
  DWORD flags = (is_dir ? SYMBOLIC_LINK_FLAG_DIRECTORY : 0) | 0x2;
  BOOLEAN ok = CreateSymbolicLinkW(l, t, flags);
  DWORD a = GetFileAttributesW(l);
  int rc = 0;
  if (!ok || a == INVALID_FILE_ATTRIBUTES ||
      !(a & FILE_ATTRIBUTE_REPARSE_POINT)) {
    if (a != INVALID_FILE_ATTRIBUTES)
      remove_tree_w(l);
    rc = -EOPNOTSUPP;
  }
  free(l);
  free(t);
  return rc;
}

/* The mount-point reparse buffer (ntifs.h's REPARSE_DATA_BUFFER). */
struct mount_point_buffer {
  DWORD tag;
  WORD data_length;
  WORD reserved;
  WORD substitute_offset;
  WORD substitute_length;
  WORD print_offset;
  WORD print_length;
  WCHAR path[1024];
};

int tw_make_junction(const char *link, const char *target_dir) {
  wchar_t *l = tw_wide(link), *t = tw_wide(target_dir);
  struct mount_point_buffer b;
  wchar_t full[MAX_PATH];
  DWORD n = GetFullPathNameW(t, MAX_PATH, full, NULL), done, a;
  size_t sub, print;
  HANDLE h;
  int rc = -EOPNOTSUPP;
  free(t);
  if (n == 0 || n >= MAX_PATH || !CreateDirectoryW(l, NULL)) {
    free(l);
    return -EOPNOTSUPP;
  }
  memset(&b, 0, sizeof(b));
  b.tag = IO_REPARSE_TAG_MOUNT_POINT;
  sub = 4 + n;
  print = n;
  memcpy(b.path, L"\\??\\", 4 * sizeof(WCHAR));
  memcpy(b.path + 4, full, n * sizeof(WCHAR));
  memcpy(b.path + sub + 1, full, n * sizeof(WCHAR));
  b.substitute_offset = 0;
  b.substitute_length = (WORD)(sub * sizeof(WCHAR));
  b.print_offset = (WORD)((sub + 1) * sizeof(WCHAR));
  b.print_length = (WORD)(print * sizeof(WCHAR));
  b.data_length = (WORD)(8 + (sub + 1 + print + 1) * sizeof(WCHAR));
  h = CreateFileW(l, GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                  FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT,
                  NULL);
  if (h != INVALID_HANDLE_VALUE) {
    if (DeviceIoControl(h, FSCTL_SET_REPARSE_POINT, &b, 8 + b.data_length,
                        NULL, 0, &done, NULL))
      rc = 0;
    CloseHandle(h);
  }
  a = GetFileAttributesW(l);
  if (rc == 0 && (a == INVALID_FILE_ATTRIBUTES ||
                  !(a & FILE_ATTRIBUTE_REPARSE_POINT)))
    rc = -EOPNOTSUPP;
  if (rc != 0)
    RemoveDirectoryW(l);
  free(l);
  return rc;
}

int tw_wine(void) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

HANDLE tw_spawn(const char *helper, const char *arg) {
  wchar_t self[MAX_PATH], cmd[MAX_PATH * 3];
  wchar_t *h = tw_wide(helper), *a = tw_wide(arg != NULL ? arg : "");
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  if (GetModuleFileNameW(NULL, self, MAX_PATH) == 0)
    FAIL("GetModuleFileNameW: error %lu", (unsigned long)GetLastError());
  _snwprintf(cmd, MAX_PATH * 3 - 1, L"\"%ls\" --helper %ls \"%ls\"", self, h, a);
  cmd[MAX_PATH * 3 - 1] = L'\0';
  free(h);
  free(a);
  memset(&si, 0, sizeof(si));
  si.cb = sizeof(si);
  if (!CreateProcessW(self, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
    FAIL("CreateProcessW: error %lu", (unsigned long)GetLastError());
  CloseHandle(pi.hThread);
  return pi.hProcess;
}

int tw_wait(HANDLE process) {
  DWORD code = 255;
  WaitForSingleObject(process, INFINITE);
  GetExitCodeProcess(process, &code);
  CloseHandle(process);
  return (int)code;
}

void tw_kill(HANDLE process) {
  TerminateProcess(process, 9);
  WaitForSingleObject(process, INFINITE);
  CloseHandle(process);
}

DWORD tw_handle_count(void) {
  DWORD n = 0;
  GetProcessHandleCount(GetCurrentProcess(), &n);
  return n;
}

/* The value the next handle gets: where the count is not kept (Wine's
 * GetProcessHandleCount says 0), a handle left open by a test moves it
 * up, since free slots are given lowest first (a test that closes one
 * the process had, as a chdir does, moves it down). */
static HANDLE next_handle(void) {
  HANDLE h = CreateEventW(NULL, FALSE, FALSE, NULL);
  if (h != NULL)
    CloseHandle(h);
  return h;
}

static struct tf_test *find(const char *name, int helper) {
  struct tf_test *t;
  for (t = tests; t != NULL; t = t->next)
    if (strcmp(t->name, name) == 0 && (t->helper != NULL) == helper)
      return t;
  return NULL;
}

/* In the child: run one test, with the leak check around it. */
static int run_one(const char *name) {
  struct tf_test *t = find(name, 0);
  wchar_t cwd[MAX_PATH * 2];
  char probe[4];
  DWORD before, after;
  HANDLE next;
  tf_file *warm;
  char *dir;
  if (t == NULL) {
    fprintf(stderr, "no test %s\n", name);
    return 2;
  }
  GetCurrentDirectoryW(MAX_PATH * 2, cwd);
  dir = narrow(cwd);
  snprintf(test_dir, sizeof(test_dir), "%s", dir);
  free(dir);
  /* What the library sets up once per process (the CSPRNG's provider,
   * the temporary directory's anchor, held as on POSIX) is not a leak of
   * the test's.  The warm-up's tf_file also makes the process's
   * liveness ledger (tf_reap(3)), whose handle lives as long as the
   * process: counted in before, as the anchor is. */
  tf_random_chars(probe, sizeof(probe));
  if (tf_file_create(&warm, NULL) == 0)
    tf_file_free(warm);
  before = tw_handle_count();
  next = next_handle();
  t->fn();
  after = tw_handle_count();
  if (after > before)
    FAIL("leaked %lu handles", (unsigned long)(after - before));
  if (before == 0 && next_handle() > next)
    FAIL("leaked a handle (the next handle moved from %p to %p)", (void *)next,
         (void *)next_handle());
  return 0;
}

static int run_helper(int argc, char **argv) {
  struct tf_test *t = find(argv[2], 1);
  wchar_t cwd[MAX_PATH * 2];
  char *dir;
  if (t == NULL) {
    fprintf(stderr, "no helper %s\n", argv[2]);
    return 2;
  }
  GetCurrentDirectoryW(MAX_PATH * 2, cwd);
  dir = narrow(cwd);
  snprintf(test_dir, sizeof(test_dir), "%s", dir);
  free(dir);
  return t->helper(argc - 2, argv + 2);
}

/* In the parent: one test in a child, in a fresh directory. */
static int run_child(const struct tf_test *t, const wchar_t *base,
                     DWORD timeout_ms) {
  wchar_t self[MAX_PATH], cmd[MAX_PATH * 2], dir[MAX_PATH * 2];
  wchar_t *name = tw_wide(t->name);
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  DWORD code = 1;
  size_t left;
  _snwprintf(dir, MAX_PATH * 2 - 1, L"%ls\\%ls", base, name);
  dir[MAX_PATH * 2 - 1] = L'\0';
  if (!CreateDirectoryW(dir, NULL)) {
    printf("FAIL %s: cannot make its directory (error %lu)\n", t->name,
           (unsigned long)GetLastError());
    free(name);
    return 1;
  }
  SetEnvironmentVariableW(L"TMP", dir);
  SetEnvironmentVariableW(L"TEMP", dir);
  SetEnvironmentVariableW(L"TMPDIR", dir);
  GetModuleFileNameW(NULL, self, MAX_PATH);
  _snwprintf(cmd, MAX_PATH * 2 - 1, L"\"%ls\" --run %ls", self, name);
  cmd[MAX_PATH * 2 - 1] = L'\0';
  free(name);
  memset(&si, 0, sizeof(si));
  si.cb = sizeof(si);
  fflush(stdout);
  if (!CreateProcessW(self, cmd, NULL, NULL, FALSE, 0, NULL, dir, &si, &pi)) {
    printf("FAIL %s: CreateProcessW error %lu\n", t->name,
           (unsigned long)GetLastError());
    return 1;
  }
  CloseHandle(pi.hThread);
  if (WaitForSingleObject(pi.hProcess, timeout_ms) == WAIT_TIMEOUT) {
    TerminateProcess(pi.hProcess, 124);
    WaitForSingleObject(pi.hProcess, INFINITE);
    printf("  timed out after %lu s\n", (unsigned long)(timeout_ms / 1000));
  }
  GetExitCodeProcess(pi.hProcess, &code);
  CloseHandle(pi.hProcess);
  left = count_w(dir);
  if (left != 0 && code != TF_TEST_SKIPPED) {
    printf("  left %lu entries in its directory\n", (unsigned long)left);
    code = code == 0 ? 1 : code;
  }
  remove_tree_w(dir);
  if (code == 0)
    printf("PASS %s\n", t->name);
  else if (code == TF_TEST_SKIPPED)
    printf("SKIP %s\n", t->name);
  else
    printf("FAIL %s (exit %lu)\n", t->name, (unsigned long)code);
  fflush(stdout);
  return (int)code;
}

int main(int argc, char **argv) {
  const char *only = getenv("TF_TEST_ONLY");
  const char *timeout_s = getenv("TF_TEST_TIMEOUT");
  DWORD timeout_ms = (timeout_s != NULL ? (DWORD)atoi(timeout_s) : 180) * 1000;
  wchar_t base[MAX_PATH];
  struct tf_test *t, *order = NULL;
  int passed = 0, failed = 0, skipped = 0;
  if (argc >= 3 && strcmp(argv[1], "--run") == 0)
    return run_one(argv[2]);
  if (argc >= 3 && strcmp(argv[1], "--helper") == 0)
    return run_helper(argc, argv);
  /* Registration ran backwards: reverse for the files' order. */
  while (tests != NULL) {
    t = tests;
    tests = t->next;
    t->next = order;
    order = t;
  }
  tests = order;
  if (!GetCurrentDirectoryW(MAX_PATH - 40, base))
    return 2;
  _snwprintf(base + wcslen(base), 39, L"\\tw-run-%lu",
             (unsigned long)GetCurrentProcessId());
  if (!CreateDirectoryW(base, NULL)) {
    fprintf(stderr, "cannot make the run directory\n");
    return 2;
  }
  for (t = tests; t != NULL; t = t->next) {
    int code;
    if (t->fn == NULL || (only != NULL && only[0] != '\0' && strstr(t->name, only) == NULL))
      continue;
    code = run_child(t, base, timeout_ms);
    if (code == 0)
      passed++;
    else if (code == TF_TEST_SKIPPED)
      skipped++;
    else
      failed++;
  }
  remove_tree_w(base);
  printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed != 0;
}
