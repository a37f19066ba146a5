/* SPDX-License-Identifier: MIT */
/*
 * test_win_layer.c - the Windows platform layer itself (src/win/win.h):
 * the security descriptor it gives private objects (checked on the
 * descriptor, so it runs where the system does not store it, as Wine),
 * UTF-8 and UTF-16, long paths, error mapping, delete by handle.
 */
#include "harness_win.h"
#include "win/win.h"

#include <aclapi.h>
#include <sddl.h>

/* The SID of the calling user, as a string (LocalFree it). */
static wchar_t *user_sid(void) {
  HANDLE token;
  union {
    TOKEN_USER user;
    unsigned char bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
  } u;
  DWORD size;
  wchar_t *sid = NULL;
  ASSERT(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token));
  ASSERT(GetTokenInformation(token, TokenUser, &u, sizeof(u), &size));
  ASSERT(ConvertSidToStringSidW(u.user.User.Sid, &sid));
  CloseHandle(token);
  return sid;
}

TEST(win_private_descriptor_allows_only_the_user_and_system) {
  PSECURITY_DESCRIPTOR sd = tf__w_private_sd();
  SECURITY_DESCRIPTOR_CONTROL control;
  DWORD revision;
  BOOL present, defaulted;
  PACL dacl;
  ACL_SIZE_INFORMATION info;
  wchar_t *me = user_sid();
  int saw_me = 0, saw_system = 0;
  DWORD i;
  ASSERT(sd != NULL);
  ASSERT(GetSecurityDescriptorControl(sd, &control, &revision));
  ASSERT(control & SE_DACL_PROTECTED); /* nothing inherited from above */
  ASSERT(GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted));
  ASSERT(present && dacl != NULL);
  ASSERT(GetAclInformation(dacl, &info, sizeof(info), AclSizeInformation));
  ASSERT_EQ(info.AceCount, 2);
  for (i = 0; i < info.AceCount; i++) {
    ACCESS_ALLOWED_ACE *ace;
    wchar_t *sid;
    ASSERT(GetAce(dacl, i, (void **)&ace));
    ASSERT_EQ(ace->Header.AceType, ACCESS_ALLOWED_ACE_TYPE);
    /* inherited by what is made inside a private directory */
    ASSERT((ace->Header.AceFlags & (OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE)) ==
           (OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE));
    ASSERT_EQ(ace->Mask & FILE_ALL_ACCESS, FILE_ALL_ACCESS);
    ASSERT(ConvertSidToStringSidW((PSID)&ace->SidStart, &sid));
    if (wcscmp(sid, me) == 0)
      saw_me = 1;
    else if (wcscmp(sid, L"S-1-5-18") == 0)
      saw_system = 1;
    else
      FAIL("an ACE for another SID: %ls", sid);
    LocalFree(sid);
  }
  ASSERT(saw_me && saw_system);
  LocalFree(me);
}

TEST(win_modes_open_to_others_keep_the_inherited_acl) {
  ASSERT(tf__w_sd_for_mode(0600) == tf__w_private_sd());
  ASSERT(tf__w_sd_for_mode(0700) == tf__w_private_sd());
  ASSERT(tf__w_sd_for_mode(0400) == tf__w_private_sd());
  ASSERT(tf__w_sd_for_mode(0644) == NULL);
  ASSERT(tf__w_sd_for_mode(0660) == NULL);
  ASSERT(tf__w_sd_for_mode(0701) == NULL);
  ASSERT_EQ(tf__w_attrs_for_mode(0600), FILE_ATTRIBUTE_NORMAL);
  ASSERT_EQ(tf__w_attrs_for_mode(0400), FILE_ATTRIBUTE_READONLY);
  ASSERT_EQ(tf__w_attrs_for_mode(0444), FILE_ATTRIBUTE_READONLY);
}

TEST(win_utf8_and_utf16_round_trip_and_refuse_bad_input) {
  static const char text[] = "d\xc3\xa9j\xc3\xa0 \xe6\x97\xa5\xe6\x9c\xac "
                             "\xf0\x9f\x98\x80";
  wchar_t *w = NULL;
  char *back = NULL;
  int n = tf__w_widen(text, (size_t)-1, &w);
  ASSERT_EQ(n, 10); /* the emoji is a surrogate pair */
  ASSERT_EQ(tf__w_narrow(w, (size_t)n, &back), (int)strlen(text));
  ASSERT_STR_EQ(back, text);
  tf__freemem(back);
  tf__freemem(w);
  w = (wchar_t *)1;
  ASSERT_ERR(tf__w_widen("bad \xff byte", (size_t)-1, &w), -EINVAL);
  ASSERT_ERR(tf__w_widen("cut \xe6\x97", (size_t)-1, &w), -EINVAL);
  ASSERT(w == (wchar_t *)1); /* untouched on failure */
  {
    const wchar_t lone[] = {L'a', 0xd800, L'b'};
    back = (char *)1;
    ASSERT_ERR(tf__w_narrow(lone, 3, &back), -EINVAL);
    ASSERT(back == (char *)1);
  }
  ASSERT_EQ(tf__w_widen("", (size_t)-1, &w), 0);
  ASSERT(w[0] == L'\0');
  tf__freemem(w);
}

TEST(win_long_paths_get_the_prefix_inside_and_never_show_it) {
  char path[600];
  wchar_t *w = NULL;
  char *user = NULL;
  int n, i, at = snprintf(path, sizeof(path), "C:\\base");
  for (i = 0; i < 30; i++)
    at += snprintf(path + at, sizeof(path) - (size_t)at, "\\component%02d", i);
  n = tf__w_abspath(path, &w);
  ASSERT_GT(n, MAX_PATH);
  ASSERT(wcsncmp(w, L"\\\\?\\C:\\base\\component00", 23) == 0);
  ASSERT_EQ(tf__w_path_for_user(w, (size_t)n, &user), (int)strlen(path));
  ASSERT_STR_EQ(user, path);
  tf__freemem(user);
  tf__freemem(w);
  /* A UNC path: \\?\UNC\server\share inside, \\server\share outside. */
  at = snprintf(path, sizeof(path), "\\\\server\\share");
  for (i = 0; i < 30; i++)
    at += snprintf(path + at, sizeof(path) - (size_t)at, "\\component%02d", i);
  n = tf__w_abspath(path, &w);
  ASSERT(wcsncmp(w, L"\\\\?\\UNC\\server\\share\\", 21) == 0);
  ASSERT_EQ(tf__w_path_for_user(w, (size_t)n, &user), (int)strlen(path));
  ASSERT_STR_EQ(user, path);
  tf__freemem(user);
  tf__freemem(w);
  /* A short one: no prefix; '/' becomes '\\'. */
  n = tf__w_abspath("C:/short/path", &w);
  ASSERT(wcscmp(w, L"C:\\short\\path") == 0);
  ASSERT_EQ(n, 13);
  tf__freemem(w);
  ASSERT_ERR(tf__w_abspath("", &w), -ENOENT);
}

TEST(win_errors_map_to_the_documented_errnos) {
  ASSERT_EQ(tf__w_err(ERROR_FILE_NOT_FOUND), -ENOENT);
  ASSERT_EQ(tf__w_err(ERROR_PATH_NOT_FOUND), -ENOENT);
  ASSERT_EQ(tf__w_err(ERROR_FILE_EXISTS), -EEXIST);
  ASSERT_EQ(tf__w_err(ERROR_ALREADY_EXISTS), -EEXIST);
  ASSERT_EQ(tf__w_err(ERROR_ACCESS_DENIED), -EACCES);
  ASSERT_EQ(tf__w_err(ERROR_SHARING_VIOLATION), -EBUSY);
  ASSERT_EQ(tf__w_err(ERROR_DIR_NOT_EMPTY), -ENOTEMPTY);
  ASSERT_EQ(tf__w_err(ERROR_DISK_FULL), -ENOSPC);
  ASSERT_EQ(tf__w_err(ERROR_NOT_SAME_DEVICE), -EXDEV);
  ASSERT_EQ(tf__w_err(ERROR_FILENAME_EXCED_RANGE), -ENAMETOOLONG);
  ASSERT_EQ(tf__w_err(ERROR_DIRECTORY), -ENOTDIR);
  /* The NT statuses whose Win32 codes lose the reason. */
  ASSERT_EQ(tf__w_nt_err((NTSTATUS)0xC0000056L), -ENOENT); /* delete pending */
  ASSERT_EQ(tf__w_nt_err((NTSTATUS)0xC00000BAL), -EISDIR);
  ASSERT_EQ(tf__w_nt_err((NTSTATUS)0xC0000103L), -ENOTDIR);
  ASSERT_EQ(tf__w_nt_err((NTSTATUS)0xC0000035L), -EEXIST); /* collision */
  ASSERT_EQ(tf__w_nt_err((NTSTATUS)0xC0000034L), -ENOENT); /* not found */
  ASSERT_EQ(tf__w_nt_err(0), 0);
  ASSERT_EQ(tf__w_err(ERROR_SUCCESS), 0);
}

/* Opening relative to a directory handle is Windows' openat: the name
 * is found under that directory whatever the current directory is. */
TEST(win_open_at_is_relative_to_the_directory_handle) {
  char *sub = tw_join(tw_dir(), "sub");
  wchar_t *wsub;
  HANDLE dir, h;
  tw_mkdir(sub);
  wsub = tw_wide(sub);
  ASSERT_OK(tf__w_open_dir(wsub, &dir));
  ASSERT(SetCurrentDirectoryA("C:\\"));
  ASSERT_OK(tf__w_open_at(dir, L"f.txt", 5, GENERIC_WRITE | DELETE, 0,
                          FILE_CREATE, FILE_NON_DIRECTORY_FILE, NULL, &h));
  ASSERT(SetCurrentDirectoryA(tw_dir()));
  {
    char *f = tw_join(sub, "f.txt");
    ASSERT(tw_exists(f));
    /* FILE_CREATE is O_EXCL */
    HANDLE again;
    ASSERT_ERR(tf__w_open_at(dir, L"f.txt", 5, GENERIC_WRITE, 0, FILE_CREATE,
                             FILE_NON_DIRECTORY_FILE, NULL, &again),
               -EEXIST);
    ASSERT_ERR(tf__w_open_at(dir, L"missing", 7, GENERIC_READ, 0, FILE_OPEN,
                             0, NULL, &again),
               -ENOENT);
    ASSERT_OK(tf__w_unlink_handle(h));
    CloseHandle(h);
    ASSERT(!tw_exists(f));
    free(f);
  }
  /* A file is not a directory to open under. */
  ASSERT_ERR(tf__w_open_dir(L"C:\\windows\\win.ini", &h), -ENOTDIR);
  CloseHandle(dir);
  ASSERT(RemoveDirectoryW(wsub));
  free(wsub);
  free(sub);
}

TEST(win_unlink_by_handle_removes_a_read_only_file) {
  char *f = tw_join(tw_dir(), "ro.txt");
  wchar_t *wdir = tw_wide(tw_dir());
  HANDLE dir, h;
  tw_write(f, "x", 1);
  ASSERT(SetFileAttributesA(f, FILE_ATTRIBUTE_READONLY));
  ASSERT_OK(tf__w_open_dir(wdir, &dir));
  ASSERT_OK(tf__w_open_at(dir, L"ro.txt", 6,
                          DELETE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES,
                          0, FILE_OPEN, 0, NULL, &h));
  ASSERT_OK(tf__w_unlink_handle(h));
  CloseHandle(h);
  CloseHandle(dir);
  ASSERT(!tw_exists(f));
  free(wdir);
  free(f);
}

/* The identity of an object follows the object, not its name. */
TEST(win_identity_follows_the_object_across_a_rename) {
  char *a = tw_join(tw_dir(), "a"), *b = tw_join(tw_dir(), "b");
  wchar_t *wa, *wb;
  struct tf__w_id first, moved, other;
  HANDLE h;
  tw_write(a, "1", 1);
  tw_write(b, "2", 1);
  wa = tw_wide(a);
  wb = tw_wide(b);
  h = CreateFileW(wa, FILE_READ_ATTRIBUTES, TF_W_SHARE_ALL, NULL, OPEN_EXISTING, 0, NULL);
  ASSERT(h != INVALID_HANDLE_VALUE);
  ASSERT_OK(tf__w_id_of(h, &first));
  CloseHandle(h);
  ASSERT(DeleteFileW(wb));
  ASSERT(MoveFileW(wa, wb));
  h = CreateFileW(wb, FILE_READ_ATTRIBUTES, TF_W_SHARE_ALL, NULL, OPEN_EXISTING, 0, NULL);
  ASSERT_OK(tf__w_id_of(h, &moved));
  CloseHandle(h);
  ASSERT(tf__w_same(&first, &moved));
  tw_write(a, "3", 1);
  h = CreateFileW(wa, FILE_READ_ATTRIBUTES, TF_W_SHARE_ALL, NULL, OPEN_EXISTING, 0, NULL);
  ASSERT_OK(tf__w_id_of(h, &other));
  CloseHandle(h);
  ASSERT(!tf__w_same(&first, &other));
  ASSERT(DeleteFileW(wa) && DeleteFileW(wb));
  free(wa);
  free(wb);
  free(a);
  free(b);
}

/* The default prefix set by tf_settempprefix names every later object. */
TEST(win_settempprefix_names_later_files) {
  char *path = NULL;
  char buf[16];
  int fd;
  ASSERT_OK(tf_settempprefix("job-"));
  ASSERT_EQ(tf_gettempprefix(buf, sizeof(buf)), 4);
  fd = tf_mkstemp(&path, NULL);
  ASSERT_OK(fd);
  ASSERT(strstr(path, "\\job-") != NULL);
  ASSERT_EQ(_close(fd), 0);
  ASSERT(DeleteFileA(path));
  free(path);
  ASSERT_OK(tf_settempprefix(NULL));
  ASSERT_EQ(tf_gettempprefix(buf, sizeof(buf)), 3);
}

/* With none of TMPDIR, TEMP, TMP usable the system's default is next. */
TEST(win_gettempdir_falls_back_to_the_system_default) {
  char got[MAX_PATH * 2];
  wchar_t sys[MAX_PATH + 1];
  char *want;
  DWORD n;
  ASSERT(SetEnvironmentVariableW(L"TMPDIR", NULL));
  ASSERT(SetEnvironmentVariableW(L"TEMP", NULL));
  ASSERT(SetEnvironmentVariableW(L"TMP", L"Q:\\no\\such\\drive"));
  ASSERT_OK(tf_settempdir(NULL));
  n = GetTempPathW(MAX_PATH + 1, sys);
  ASSERT_GT(n, 0);
  /* GetTempPathW itself reads TMP, TEMP, USERPROFILE... */
  ASSERT_OK(tf_gettempdir(got, sizeof(got)));
  ASSERT_EQ(tf__w_narrow(sys, n, &want), (int)n);
  if (want[strlen(want) - 1] == '\\' && strlen(want) > 3)
    want[strlen(want) - 1] = '\0';
  /* The unusable TMP is passed over; what comes is a later candidate
   * that exists: the system's own answer where it is usable. */
  ASSERT(strcmp(got, "Q:\\no\\such\\drive") != 0);
  ASSERT(GetFileAttributesA(got) & FILE_ATTRIBUTE_DIRECTORY);
  tf__freemem(want);
}

/* An unnamed file is FILE_ATTRIBUTE_TEMPORARY (kept in memory while the
 * cache allows), and a mode that denies the owner write still gives a
 * writable file: the attribute would mean nothing on a file no one can
 * open by name, and the system refuses it with delete-on-close. */
/* Whether this system reports the temporary attribute it was given
 * (Wine keeps none). */
static int keeps_temporary_attribute(void) {
  char *p = tw_join(tw_dir(), "probe");
  wchar_t *w = tw_wide(p);
  HANDLE h = CreateFileW(w, GENERIC_WRITE, 0, NULL, CREATE_NEW,
                         FILE_ATTRIBUTE_TEMPORARY, NULL);
  DWORD a;
  ASSERT(h != INVALID_HANDLE_VALUE);
  CloseHandle(h);
  a = GetFileAttributesW(w);
  ASSERT(DeleteFileW(w));
  free(w);
  free(p);
  return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_TEMPORARY);
}

TEST(win_tmpfile_is_temporary_and_takes_any_mode) {
  tf_opts o = TF_OPTS_INIT;
  FILE_BASIC_INFO basic;
  int fd;
  o.mode = 0400;
  fd = tf_tmpfile(&o);
  ASSERT_OK(fd);
  ASSERT(GetFileInformationByHandleEx(tf__w_handle_of(fd), FileBasicInfo,
                                      &basic, sizeof(basic)));
  if (keeps_temporary_attribute())
    ASSERT(basic.FileAttributes & FILE_ATTRIBUTE_TEMPORARY);
  ASSERT(!(basic.FileAttributes & FILE_ATTRIBUTE_READONLY));
  ASSERT_EQ(_write(fd, "data", 4), 4);
  ASSERT_EQ(_close(fd), 0);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}
