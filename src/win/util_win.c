/* SPDX-License-Identifier: MIT */
/*
 * util_win.c - the conversions every Windows file needs: UTF-8 paths of
 * the API to and from the UTF-16 of the system, Win32 and NT errors to
 * the negative errnos of the API, and absolute paths (with the \\?\
 * prefix where they are long).
 */
#include "win.h"

#include <stdlib.h>
#include <string.h>

#ifndef ERROR_DISK_QUOTA_EXCEEDED
#define ERROR_DISK_QUOTA_EXCEEDED 1295L
#endif

int tf__w_widen(const char *s, size_t len, wchar_t **out) {
  int n, m;
  wchar_t *w;
  if (len == (size_t)-1)
    len = strlen(s);
  if (len > INT_MAX / 2)
    return -ENAMETOOLONG;
  n = len == 0 ? 0
               : MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s,
                                     (int)len, NULL, 0);
  if (len != 0 && n <= 0)
    return -EINVAL;
  w = tf__malloc(((size_t)n + 1) * sizeof(*w));
  if (w == NULL)
    return -ENOMEM;
  m = n == 0 ? 0
             : MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, (int)len,
                                   w, n);
  if (m != n) {
    tf__freemem(w);
    return -EINVAL;
  }
  w[n] = L'\0';
  *out = w;
  return n;
}

int tf__w_narrow(const wchar_t *w, size_t len, char **out) {
  int n, m;
  char *s;
  if (len > INT_MAX / 4)
    return -ENAMETOOLONG;
  n = len == 0 ? 0
               : WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, (int)len,
                                     NULL, 0, NULL, NULL);
  if (len != 0 && n <= 0)
    return -EINVAL;
  s = tf__malloc((size_t)n + 1);
  if (s == NULL)
    return -ENOMEM;
  m = n == 0 ? 0
             : WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, (int)len,
                                   s, n, NULL, NULL);
  if (m != n) {
    tf__freemem(s);
    return -EINVAL;
  }
  s[n] = '\0';
  *out = s;
  return n;
}

int tf__w_err(DWORD err) {
  switch (err) {
  case ERROR_SUCCESS:
    return 0;
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
  case ERROR_INVALID_DRIVE:
  case ERROR_BAD_NETPATH:
  case ERROR_BAD_NET_NAME:
  case ERROR_DELETE_PENDING:
    return -ENOENT;
  case ERROR_ACCESS_DENIED:
  case ERROR_NETWORK_ACCESS_DENIED:
  case ERROR_PRIVILEGE_NOT_HELD:
    return -EACCES;
  case ERROR_FILE_EXISTS:
  case ERROR_ALREADY_EXISTS:
    return -EEXIST;
  case ERROR_SHARING_VIOLATION:
  case ERROR_LOCK_VIOLATION:
  case ERROR_BUSY:
  case ERROR_USER_MAPPED_FILE:
  case ERROR_CURRENT_DIRECTORY:
    return -EBUSY;
  case ERROR_DIR_NOT_EMPTY:
    return -ENOTEMPTY;
  case ERROR_DIRECTORY:
    return -ENOTDIR;
  case ERROR_FILENAME_EXCED_RANGE:
  case ERROR_BUFFER_OVERFLOW:
    return -ENAMETOOLONG;
  case ERROR_INVALID_NAME:
  case ERROR_BAD_PATHNAME:
  case ERROR_INVALID_PARAMETER:
    return -EINVAL;
  case ERROR_DISK_FULL:
  case ERROR_HANDLE_DISK_FULL:
    return -ENOSPC;
  case ERROR_DISK_QUOTA_EXCEEDED:
    return -EDQUOT;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY:
    return -ENOMEM;
  case ERROR_TOO_MANY_OPEN_FILES:
    return -EMFILE;
  case ERROR_WRITE_PROTECT:
    return -EROFS;
  case ERROR_NOT_SAME_DEVICE:
    return -EXDEV;
  case ERROR_INVALID_HANDLE:
    return -EBADF;
  case ERROR_CANT_RESOLVE_FILENAME:
    return -ELOOP;
  case ERROR_NOT_SUPPORTED:
  case ERROR_INVALID_FUNCTION:
    return -EOPNOTSUPP;
  default:
    return -EIO;
  }
}

int tf__w_last_err(void) {
  int rc = tf__w_err(GetLastError());
  return rc != 0 ? rc : -EIO;
}

/* NTSTATUS values whose Win32 translation loses what the caller needs. */
#define TF_STATUS_DELETE_PENDING ((NTSTATUS)0xC0000056L)
#define TF_STATUS_FILE_IS_A_DIRECTORY ((NTSTATUS)0xC00000BAL)
#define TF_STATUS_NOT_A_DIRECTORY ((NTSTATUS)0xC0000103L)

int tf__w_nt_err(NTSTATUS status) {
  if (status >= 0)
    return 0;
  switch (status) {
  case TF_STATUS_DELETE_PENDING:
    return -ENOENT;
  case TF_STATUS_FILE_IS_A_DIRECTORY:
    return -EISDIR;
  case TF_STATUS_NOT_A_DIRECTORY:
    return -ENOTDIR;
  default: {
    int rc = tf__w_err(RtlNtStatusToDosError(status));
    return rc != 0 ? rc : -EIO;
  }
  }
}

/* Paths this long or longer get the \\?\ prefix (CreateDirectoryW's limit
 * is MAX_PATH less room for an 8.3 name). */
#define SHORT_PATH_MAX (MAX_PATH - 12)

static int starts_with(const wchar_t *w, const wchar_t *prefix) {
  return wcsncmp(w, prefix, wcslen(prefix)) == 0;
}

int tf__w_abspath(const char *path, wchar_t **out) {
  wchar_t *rel = NULL, *full = NULL, *abs;
  const wchar_t *prefix = L"";
  size_t len, skip = 0, plen;
  DWORD n;
  int rc = tf__w_widen(path, (size_t)-1, &rel);
  if (rc <= 0) {
    tf__freemem(rel);
    return rc == 0 ? -ENOENT : rc;
  }
  /* GetFullPathNameW: the current directory, '/' to '\\', . and .. */
  n = GetFullPathNameW(rel, 0, NULL, NULL);
  full = n != 0 ? tf__malloc((size_t)n * sizeof(*full)) : NULL;
  if (n == 0 || full == NULL) {
    rc = n == 0 ? tf__w_last_err() : -ENOMEM;
    goto out;
  }
  n = GetFullPathNameW(rel, n, full, NULL);
  if (n == 0) {
    rc = tf__w_last_err();
    goto out;
  }
  len = n;
  if (len >= SHORT_PATH_MAX && !starts_with(full, L"\\\\?\\")) {
    if (starts_with(full, L"\\\\")) { /* \\server\share: \\?\UNC\server */
      prefix = L"\\\\?\\UNC\\";
      skip = 2;
    } else {
      prefix = L"\\\\?\\";
    }
  }
  plen = wcslen(prefix);
  if (plen + len - skip > TF_W_PATH_MAX) {
    rc = -ENAMETOOLONG;
    goto out;
  }
  abs = tf__malloc((plen + len - skip + 1) * sizeof(*abs));
  if (abs == NULL) {
    rc = -ENOMEM;
    goto out;
  }
  memcpy(abs, prefix, plen * sizeof(*abs));
  memcpy(abs + plen, full + skip, (len - skip + 1) * sizeof(*abs));
  *out = abs;
  rc = (int)(plen + len - skip);
out:
  tf__freemem(rel);
  tf__freemem(full);
  return rc;
}

size_t tf__w_basename_at(const wchar_t *w, size_t len) {
  size_t i = len;
  while (i > 0 && w[i - 1] != L'\\' && w[i - 1] != L'/')
    i--;
  return i;
}

int tf__w_path_for_user(const wchar_t *w, size_t len, char **out) {
  if (len >= 8 && wcsncmp(w, L"\\\\?\\UNC\\", 8) == 0) {
    /* \\?\UNC\server\share -> \\server\share */
    char *s;
    int rc = tf__w_narrow(w + 6, len - 6, &s);
    if (rc < 0)
      return rc;
    s[0] = '\\';
    *out = s;
    return rc;
  }
  if (len >= 4 && wcsncmp(w, L"\\\\?\\", 4) == 0)
    return tf__w_narrow(w + 4, len - 4, out);
  return tf__w_narrow(w, len, out);
}

void tf__write_stderr(const char *line, size_t n) {
  DWORD written;
  HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
  if (err != NULL && err != INVALID_HANDLE_VALUE && n <= 0xffffffffu)
    (void)WriteFile(err, line, (DWORD)n, &written, NULL);
}

/* The heap: the C runtime's, directly (no fault table on Windows yet). */
void *tf__malloc(size_t n) { return malloc(n != 0 ? n : 1); }

void tf__freemem(void *p) { free(p); }

/* Nothing to set up on first use: Windows has no fork() to prepare for,
 * and the locks are initialised statically. */
void tf__lib_init(void) {}
