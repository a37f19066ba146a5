/* SPDX-License-Identifier: MIT */
/*
 * tempdir_win.c - the temporary directory on Windows, in Python's order:
 * %TMPDIR%, %TEMP%, %TMP%, the system's default (GetTempPath2W where the
 * system has it, which gives SYSTEM processes a private directory, else
 * GetTempPathW), the user's AppData\Local\Temp, %SYSTEMROOT%\Temp,
 * c:\temp, c:\tmp, \temp, \tmp, then the current directory.  Each is made
 * absolute and proven usable by creating, writing and closing a file in
 * it that deletes itself on close (so the probe leaves nothing, even if
 * the process is killed).  The result is cached until tf_settempdir().
 */
#include "win.h"

#include <string.h>

tf__mutex tf__settings_lock = TF__MUTEX_INIT;

/* Guarded by tf__settings_lock: the override or the discovery's result,
 * UTF-16 (what creation uses) and UTF-8 (what tf_gettempdir() returns). */
static wchar_t *tempdir_w;
static size_t tempdir_w_len;
static char *tempdir_utf8;

/* The temporary directory's anchor, once a creation opened it. */
static struct tf__w_anchor *tempdir_anchor;

static void forget(void) {
  if (tempdir_anchor != NULL) {
    tf__w_anchor_put(tempdir_anchor); /* its handles keep it meanwhile */
    tempdir_anchor = NULL;
  }
  tf__freemem(tempdir_w);
  tf__freemem(tempdir_utf8);
  tempdir_w = NULL;
  tempdir_utf8 = NULL;
  tempdir_w_len = 0;
}

/* Trailing separators off, but for a root ("C:\", "\\?\C:\"). */
static size_t trim(const wchar_t *w, size_t len) {
  while (len > 1 && (w[len - 1] == L'\\' || w[len - 1] == L'/') &&
         w[len - 2] != L':')
    len--;
  return len;
}

/* Make the directory (UTF-8) the cached one.  Takes ownership of w. */
static int remember(wchar_t *w, size_t len) {
  char *utf8;
  int rc;
  len = trim(w, len);
  w[len] = L'\0';
  rc = tf__w_path_for_user(w, len, &utf8);
  if (rc < 0) {
    tf__freemem(w);
    return rc;
  }
  forget();
  tempdir_w = w;
  tempdir_w_len = len;
  tempdir_utf8 = utf8;
  return 0;
}

/* Whether a file can be made and written in dir: Python's probe, with a
 * file that deletes itself when closed. */
static int usable(const wchar_t *dir, size_t len) {
  HANDLE anchor, h;
  wchar_t name[3 + 12 + 1] = L"tmp";
  char chars[12];
  DWORD written;
  int rc, i, attempt;
  rc = tf__w_open_dir(dir, &anchor);
  if (rc < 0)
    return rc;
  (void)len;
  for (attempt = 0; attempt < TF_ATTEMPTS; attempt++) {
    rc = tf__random_name(chars, sizeof(chars));
    if (rc < 0)
      break;
    for (i = 0; i < 12; i++)
      name[3 + i] = (wchar_t)chars[i];
    name[15] = L'\0';
    rc = tf__w_open_at(anchor, name, 15, GENERIC_WRITE | DELETE,
                       FILE_ATTRIBUTE_TEMPORARY, FILE_CREATE,
                       FILE_NON_DIRECTORY_FILE | FILE_DELETE_ON_CLOSE, NULL,
                       &h);
    if (rc != -EEXIST)
      break;
  }
  if (rc == 0) {
    if (!WriteFile(h, "blat", 4, &written, NULL) || written != 4)
      rc = tf__w_last_err();
    CloseHandle(h);
  }
  CloseHandle(anchor);
  return rc;
}

/* Candidate i of the list, absolute, in *out (malloc'd): its length,
 * 0 past the last, -1 to pass it over. */
static int candidate(size_t i, wchar_t **out) {
  static const wchar_t *const vars[] = {L"TMPDIR", L"TEMP", L"TMP"};
  static const wchar_t *const fixed[] = {L"c:\\temp", L"c:\\tmp", L"\\temp",
                                         L"\\tmp", L"."};
  wchar_t buf[MAX_PATH + 40];
  DWORD n = 0;
  char *utf8;
  int rc;
  if (i < 3) {
    n = GetEnvironmentVariableW(vars[i], buf, MAX_PATH + 1);
  } else if (i == 3) {
    typedef DWORD(WINAPI * get_temp_path_fn)(DWORD, LPWSTR);
    get_temp_path_fn path2 = (get_temp_path_fn)(void (*)(void))GetProcAddress(
        GetModuleHandleW(L"kernel32.dll"), "GetTempPath2W");
    n = path2 != NULL ? path2(MAX_PATH + 1, buf)
                      : GetTempPathW(MAX_PATH + 1, buf);
  } else if (i == 4 || i == 5) {
    n = GetEnvironmentVariableW(i == 4 ? L"USERPROFILE" : L"SYSTEMROOT", buf,
                                MAX_PATH + 1);
    if (n > 0 && n <= MAX_PATH)
      wcscpy(buf + n, i == 4 ? L"\\AppData\\Local\\Temp" : L"\\Temp");
    n = n > 0 && n <= MAX_PATH ? (DWORD)wcslen(buf) : 0;
  } else if (i < 6 + sizeof(fixed) / sizeof(fixed[0])) {
    wcscpy(buf, fixed[i - 6]);
    n = (DWORD)wcslen(buf);
  } else {
    return 0;
  }
  /* Unset or empty; or too long: for a value longer than the buffer
   * the calls return the length needed and fill nothing. */
  if (n == 0 || (i < 4 && n > MAX_PATH) || n > MAX_PATH + 20)
    return -1;
  rc = tf__w_narrow(buf, n, &utf8);
  if (rc < 0)
    return -1;
  rc = tf__w_abspath(utf8, out);
  tf__freemem(utf8);
  return rc < 0 ? -1 : rc;
}

/* The first usable candidate, malloc'd in *out; its length or -ENOENT. */
static int find_default(wchar_t **out) {
  size_t i;
  for (i = 0;; i++) {
    wchar_t *w = NULL;
    int len = candidate(i, &w);
    if (len == 0)
      return -ENOENT;
    if (len < 0)
      continue;
    if (usable(w, (size_t)len) == 0) {
      *out = w;
      return len;
    }
    tf__freemem(w);
  }
}

/* Called with tf__settings_lock held. */
static int discover(void) {
  wchar_t *w;
  int len = find_default(&w);
  return len < 0 ? len : remember(w, (size_t)len);
}

int tf__w_default_tempdir(wchar_t **out) {
  int len = find_default(out);
  if (len > 0) {
    len = (int)trim(*out, (size_t)len);
    (*out)[len] = L'\0';
  }
  return len;
}

int tf_gettempdir(char *buf, size_t size) {
  int rc = 0;
  size_t len;
  if (buf == NULL)
    return -EINVAL;
  tf__mutex_lock(&tf__settings_lock);
  if (tempdir_utf8 == NULL)
    rc = discover();
  if (rc == 0) {
    len = strlen(tempdir_utf8);
    if (len + 1 > size || len > INT_MAX) {
      rc = -ERANGE;
    } else {
      memcpy(buf, tempdir_utf8, len + 1);
      rc = (int)len;
    }
  }
  tf__mutex_unlock(&tf__settings_lock);
  return rc;
}

int tf_settempdir(const char *dir) {
  wchar_t *w = NULL;
  int rc = 0;
  if (dir != NULL && dir[0] == '\0')
    return -EINVAL;
  if (dir != NULL) {
    rc = tf__w_abspath(dir, &w);
    if (rc < 0)
      return rc;
  }
  tf__mutex_lock(&tf__settings_lock);
  if (w != NULL)
    rc = remember(w, (size_t)rc);
  else
    forget();
  tf__mutex_unlock(&tf__settings_lock);
  return rc < 0 ? rc : 0;
}

static int anchor_open(const wchar_t *path, size_t len,
                       struct tf__w_anchor **out) {
  struct tf__w_anchor *a = tf__malloc(sizeof(*a) + len * sizeof(wchar_t));
  int rc;
  if (a == NULL)
    return -ENOMEM;
  memcpy(a->path, path, len * sizeof(wchar_t));
  a->path[len] = L'\0';
  a->len = len;
  a->refs = 1;
  a->shared = 0;
  rc = tf__w_open_dir(a->path, &a->h);
  if (rc < 0) {
    tf__freemem(a);
    return rc;
  }
  *out = a;
  return 0;
}

int tf__w_anchor_get(const tf_opts *o, struct tf__w_anchor **out) {
  int rc = 0;
  if (o->dir != NULL) {
    wchar_t *w;
    int len = tf__w_abspath(o->dir, &w);
    if (len < 0)
      return len;
    rc = anchor_open(w, trim(w, (size_t)len), out);
    tf__freemem(w);
    return rc;
  }
  tf__mutex_lock(&tf__settings_lock);
  if (tempdir_w == NULL)
    rc = discover();
  if (rc == 0 && tempdir_anchor == NULL) {
    rc = anchor_open(tempdir_w, tempdir_w_len, &tempdir_anchor);
    if (rc == 0)
      tempdir_anchor->shared = 1;
  }
  if (rc == 0) {
    InterlockedIncrement(&tempdir_anchor->refs);
    *out = tempdir_anchor;
  }
  tf__mutex_unlock(&tf__settings_lock);
  return rc;
}

void tf__w_anchor_put(struct tf__w_anchor *a) {
  if (a != NULL && InterlockedDecrement(&a->refs) == 0) {
    CloseHandle(a->h);
    tf__freemem(a);
  }
}

void tf__w_anchor_stale(struct tf__w_anchor *a) {
  tf__mutex_lock(&tf__settings_lock);
  if (a == tempdir_anchor) {
    tempdir_anchor = NULL;
    tf__w_anchor_put(a);
  }
  tf__mutex_unlock(&tf__settings_lock);
}

int tf__w_resolve_dir(const tf_opts *o, wchar_t **dir) {
  wchar_t *w;
  int rc = 0;
  if (o->dir != NULL) {
    rc = tf__w_abspath(o->dir, &w);
    if (rc < 0)
      return rc;
    rc = (int)trim(w, (size_t)rc);
    w[rc] = L'\0';
    *dir = w;
    return rc;
  }
  tf__mutex_lock(&tf__settings_lock);
  if (tempdir_w == NULL)
    rc = discover();
  if (rc == 0) {
    w = tf__malloc((tempdir_w_len + 1) * sizeof(*w));
    if (w == NULL) {
      rc = -ENOMEM;
    } else {
      memcpy(w, tempdir_w, (tempdir_w_len + 1) * sizeof(*w));
      *dir = w;
      rc = (int)tempdir_w_len;
    }
  }
  tf__mutex_unlock(&tf__settings_lock);
  return rc;
}
