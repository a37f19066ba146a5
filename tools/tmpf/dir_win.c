/* SPDX-License-Identifier: MIT */
/*
 * dir_win.c - `tmpf dir`'s help and candidate list on Windows: the
 * library's candidates in its order (tf_gettempdir(3), section Windows),
 * each proven as the library proves it, by a file created and written
 * in it that deletes itself when closed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "tmpf.h"

/* The library skips a candidate longer than this (its buffer). */
#define CANDIDATE_MAX (MAX_PATH + 20)

void tmpf_dir_help(void) {
  puts("Usage: tmpf dir [-v]\n"
       "Print the temporary directory libtempfile uses: the first usable of\n"
       "%TMPDIR%, %TEMP%, %TMP%, the system's (GetTempPath2W, else\n"
       "GetTempPathW), %USERPROFILE%\\AppData\\Local\\Temp, %SYSTEMROOT%\\Temp,\n"
       "c:\\temp, c:\\tmp, \\temp, \\tmp and the current directory (a file is\n"
       "created and written in it, and deletes itself, to prove it).\n\n"
       "  -v, --verbose   list every candidate and why it was taken or not\n"
       "      --help      show this help and exit\n\n"
       "Exit status: 0, 1 when no candidate is usable, 2 bad command line.");
}

/* Why dir (absolute) can not hold temporary files, or NULL if it can. */
static const char *probe(const wchar_t *dir) {
  static char why[256];
  wchar_t path[CANDIDATE_MAX + 32];
  char name[16] = "tmp";
  DWORD attributes = GetFileAttributesW(dir), written;
  HANDLE h = INVALID_HANDLE_VALUE;
  int attempt, err;
  if (attributes == INVALID_FILE_ATTRIBUTES)
    return tmpf_strerror(tmpf_errno_of(GetLastError()));
  if (!(attributes & FILE_ATTRIBUTE_DIRECTORY))
    return tmpf_strerror(ENOTDIR);
  for (attempt = 0; attempt < TF_ATTEMPTS; attempt++) {
    if (tf_random_chars(name + 3, 12) < 0)
      break;
    name[15] = '\0';
    _snwprintf(path, sizeof(path) / sizeof(path[0]) - 1, L"%ls%ls%hs", dir,
               dir[wcslen(dir) - 1] == L'\\' ? L"" : L"\\", name);
    path[sizeof(path) / sizeof(path[0]) - 1] = L'\0';
    h = CreateFileW(path, GENERIC_WRITE | DELETE, 0, NULL, CREATE_NEW,
                    FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
    if (h != INVALID_HANDLE_VALUE || GetLastError() != ERROR_FILE_EXISTS)
      break;
  }
  if (h == INVALID_HANDLE_VALUE) {
    snprintf(why, sizeof(why), "cannot create a file in it: %s",
             tmpf_strerror(tmpf_errno_of(GetLastError())));
    return why;
  }
  err = WriteFile(h, "blat", 4, &written, NULL) && written == 4
            ? 0
            : tmpf_errno_of(GetLastError());
  CloseHandle(h);
  if (err == 0)
    return NULL;
  snprintf(why, sizeof(why), "cannot write a file in it: %s",
           tmpf_strerror(err));
  return why;
}

/* One candidate: its label, its value as the library reads it (NULL:
 * unset; n its length, 0 empty, above CANDIDATE_MAX too long), shown
 * after the label when show_value, and the verdict. */
static void show(const char *label, const wchar_t *value, DWORD n,
                 int show_value) {
  wchar_t full[CANDIDATE_MAX * 2];
  const char *why;
  char *utf8;
  DWORD len;
  if (value == NULL || n == 0 || n > CANDIDATE_MAX) {
    printf("  %s: %s\n", label,
           value == NULL ? "not set"
           : n == 0      ? "empty, skipped"
                         : "too long, skipped");
    return;
  }
  len = GetFullPathNameW(value, CANDIDATE_MAX * 2, full, NULL);
  if (len == 0 || len >= CANDIDATE_MAX * 2)
    why = "cannot be made absolute";
  else
    why = probe(full);
  utf8 = show_value ? tmpf_narrow(value) : NULL;
  if (utf8 != NULL)
    printf("  %s=%s: %s\n", label, utf8, why ? why : "usable");
  else
    printf("  %s: %s\n", label, why ? why : "usable");
  free(utf8);
}

/* An environment variable as the library reads it: NULL when unset;
 * *n its length, above CANDIDATE_MAX when it does not fit buf. */
static const wchar_t *env(const wchar_t *name, wchar_t *buf, DWORD *n) {
  SetLastError(0);
  *n = GetEnvironmentVariableW(name, buf, MAX_PATH + 1);
  if (*n == 0 && GetLastError() == ERROR_ENVVAR_NOT_FOUND)
    return NULL;
  if (*n > MAX_PATH)
    *n = CANDIDATE_MAX + 1;
  return buf;
}

void tmpf_dir_list_candidates(void) {
  static const char *const var_labels[] = {"%TMPDIR%", "%TEMP%", "%TMP%"};
  static const wchar_t *const vars[] = {L"TMPDIR", L"TEMP", L"TMP"};
  static const wchar_t *const fixed[] = {L"c:\\temp", L"c:\\tmp", L"\\temp",
                                         L"\\tmp"};
  typedef DWORD(WINAPI * get_temp_path_fn)(DWORD, LPWSTR);
  get_temp_path_fn path2 = (get_temp_path_fn)(void (*)(void))GetProcAddress(
      GetModuleHandleW(L"kernel32.dll"), "GetTempPath2W");
  wchar_t buf[CANDIDATE_MAX * 2];
  char label[CANDIDATE_MAX * 4];
  const wchar_t *v;
  char *utf8;
  DWORD n;
  size_t i;
  for (i = 0; i < 3; i++) {
    v = env(vars[i], buf, &n);
    show(var_labels[i], v, n, 1);
  }
  n = path2 != NULL ? path2(MAX_PATH + 1, buf) : GetTempPathW(MAX_PATH + 1, buf);
  show(path2 != NULL ? "GetTempPath2W()" : "GetTempPathW()", buf, n, 1);
  for (i = 0; i < 2; i++) {
    const wchar_t *tail = i == 0 ? L"\\AppData\\Local\\Temp" : L"\\Temp";
    const char *name = i == 0 ? "%USERPROFILE%\\AppData\\Local\\Temp"
                              : "%SYSTEMROOT%\\Temp";
    v = env(i == 0 ? L"USERPROFILE" : L"SYSTEMROOT", buf, &n);
    if (v != NULL && n > 0 && n <= MAX_PATH) {
      wcscat(buf, tail);
      n = (DWORD)wcslen(buf);
    } else if (v != NULL) {
      n = 0; /* empty, or too long for the library's buffer: passed over */
    }
    show(name, v, n, 1);
  }
  for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
    utf8 = tmpf_narrow(fixed[i]);
    show(utf8 ? utf8 : "?", fixed[i], (DWORD)wcslen(fixed[i]), 0);
    free(utf8);
  }
  n = GetCurrentDirectoryW(CANDIDATE_MAX * 2, buf);
  utf8 = n > 0 && n < CANDIDATE_MAX * 2 ? tmpf_narrow(buf) : NULL;
  snprintf(label, sizeof(label), "%s (current directory)", utf8 ? utf8 : ".");
  free(utf8);
  show(label, L".", 1, 0);
}
