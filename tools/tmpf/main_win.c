/* SPDX-License-Identifier: MIT */
/*
 * main_win.c - tmpf's entry on Windows: the command line arrives as
 * UTF-16 (wmain) and goes to main.c as UTF-8, the library's encoding of
 * paths, so every name survives whatever the ANSI code page; and the
 * small conversions the Windows subcommands share.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "tmpf.h"

wchar_t *tmpf_wide(const char *path) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL, 0);
  wchar_t *w;
  if (n <= 0) {
    errno = EINVAL;
    return NULL;
  }
  w = malloc((size_t)n * sizeof(*w));
  if (w == NULL)
    return NULL;
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, n);
  return w;
}

char *tmpf_narrow(const wchar_t *s) {
  int n = WideCharToMultiByte(CP_UTF8, 0, s, -1, NULL, 0, NULL, NULL);
  char *out;
  if (n <= 0)
    return NULL;
  out = malloc((size_t)n);
  if (out != NULL)
    WideCharToMultiByte(CP_UTF8, 0, s, -1, out, n, NULL, NULL);
  return out;
}

int tmpf_errno_of(unsigned long error) {
  switch (error) {
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
  case ERROR_INVALID_DRIVE:
  case ERROR_BAD_NETPATH:
  case ERROR_INVALID_NAME: return ENOENT;
  case ERROR_ACCESS_DENIED:
  case ERROR_SHARING_VIOLATION:
  case ERROR_LOCK_VIOLATION: return EACCES;
  case ERROR_FILE_EXISTS:
  case ERROR_ALREADY_EXISTS: return EEXIST;
  case ERROR_DIRECTORY: return ENOTDIR;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY: return ENOMEM;
  case ERROR_DISK_FULL:
  case ERROR_HANDLE_DISK_FULL: return ENOSPC;
  case ERROR_FILENAME_EXCED_RANGE: return ENAMETOOLONG;
  case ERROR_BROKEN_PIPE:
  case ERROR_NO_DATA: return EPIPE;
  case ERROR_WRITE_PROTECT: return EROFS;
  case ERROR_DIR_NOT_EMPTY: return ENOTEMPTY;
  default: return EIO;
  }
}

/* Each value read is kept for the process's life, as getenv()'s is. */
const char *tmpf_getenv(const char *name) {
  wchar_t *wname = tmpf_wide(name), *value;
  DWORD n;
  char *out = NULL;
  if (wname == NULL)
    return NULL;
  n = GetEnvironmentVariableW(wname, NULL, 0);
  value = n > 0 ? malloc((size_t)n * sizeof(*value)) : NULL;
  if (value != NULL && GetEnvironmentVariableW(wname, value, n) < n)
    out = tmpf_narrow(value);
  free(value);
  free(wname);
  return out;
}

int wmain(int argc, wchar_t **wargv);

int wmain(int argc, wchar_t **wargv) {
  char **argv = calloc((size_t)argc + 1, sizeof(*argv));
  int i;
  if (argv == NULL)
    return TMPF_EXIT_FAILURE;
  for (i = 0; i < argc; i++) {
    argv[i] = tmpf_narrow(wargv[i]);
    if (argv[i] == NULL)
      return TMPF_EXIT_FAILURE;
  }
  return tmpf_main(argc, argv);
}
