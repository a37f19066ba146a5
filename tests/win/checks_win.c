/* SPDX-License-Identifier: MIT */
/*
 * checks_win.c - checks the Windows tests of the creation calls and the
 * handles share (checks_win.h): inheritance, DACLs read back, long
 * paths, names, waiting for a helper process, custom DACLs.
 */
#include "checks_win.h"

#include "harness_win.h"

#include <aclapi.h>
#include <sddl.h>

/* 1 if the handle under fd would be inherited by a child process. */
int twc_inheritable(int fd) {
  DWORD flags = 0;
  HANDLE h = (HANDLE)_get_osfhandle(fd);
  if (h == INVALID_HANDLE_VALUE || !GetHandleInformation(h, &flags))
    FAIL("GetHandleInformation(fd %d): error %lu", fd,
         (unsigned long)GetLastError());
  return (flags & HANDLE_FLAG_INHERIT) != 0;
}

/* The DACL of what is at path (never following a link), through a
 * handle, as GetSecurityInfo reads it back; LocalFree *sd. */
static PACL read_dacl(const char *path, PSECURITY_DESCRIPTOR *sd) {
  wchar_t *w = tw_wide(path);
  PACL dacl = NULL;
  DWORD err;
  HANDLE h = CreateFileW(w, READ_CONTROL,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         NULL, OPEN_EXISTING,
                         FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT,
                         NULL);
  free(w);
  if (h == INVALID_HANDLE_VALUE)
    FAIL("open %s for READ_CONTROL: error %lu", path,
         (unsigned long)GetLastError());
  err = GetSecurityInfo(h, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL,
                        NULL, &dacl, NULL, sd);
  CloseHandle(h);
  if (err != ERROR_SUCCESS)
    FAIL("GetSecurityInfo(%s): error %lu", path, (unsigned long)err);
  return dacl;
}

int twc_dacl_protected(PSECURITY_DESCRIPTOR sd) {
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision;
  if (!GetSecurityDescriptorControl(sd, &control, &revision))
    FAIL("GetSecurityDescriptorControl: error %lu",
         (unsigned long)GetLastError());
  return (control & SE_DACL_PROTECTED) != 0;
}

PSID twc_sid_of(const wchar_t *sddl) {
  PSID sid = NULL;
  if (!ConvertStringSidToSidW(sddl, &sid))
    FAIL("ConvertStringSidToSidW(%ls): error %lu", sddl,
         (unsigned long)GetLastError());
  return sid;
}

/* Whether the DACL has an ACE (of any type) for sid. */
int twc_has_ace_for(PACL dacl, PSID sid) {
  DWORD i;
  for (i = 0; dacl != NULL && i < dacl->AceCount; i++) {
    ACE_HEADER *ace;
    if (!GetAce(dacl, i, (void **)&ace))
      FAIL("GetAce: error %lu", (unsigned long)GetLastError());
    if (ace->AceType == ACCESS_ALLOWED_ACE_TYPE &&
        EqualSid(&((ACCESS_ALLOWED_ACE *)ace)->SidStart, sid))
      return 1;
    if (ace->AceType == ACCESS_DENIED_ACE_TYPE &&
        EqualSid(&((ACCESS_DENIED_ACE *)ace)->SidStart, sid))
      return 1;
  }
  return 0;
}

/* The SID of the user this process runs as (malloc'd). */
static PSID current_user(void) {
  union {
    TOKEN_USER user;
    unsigned char bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
  } u;
  HANDLE token;
  DWORD size, len;
  PSID copy;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
    FAIL("OpenProcessToken: error %lu", (unsigned long)GetLastError());
  if (!GetTokenInformation(token, TokenUser, &u, sizeof(u), &size)) {
    CloseHandle(token);
    FAIL("GetTokenInformation: error %lu", (unsigned long)GetLastError());
  }
  CloseHandle(token);
  len = GetLengthSid(u.user.User.Sid);
  copy = malloc(len);
  if (copy == NULL || !CopySid(len, copy, u.user.User.Sid))
    FAIL("CopySid failed");
  return copy;
}

/* Security descriptors given at creation are kept on Windows; Wine 8
 * accepts them and stores nothing.  Probe with a directory made with a
 * protected DACL naming only Everyone, read it back, and skip the
 * calling test where it did not stick. */
void twc_require_stored_security(void) {
  char *probe = tw_join(tw_dir(), "sd-probe");
  wchar_t *w = tw_wide(probe);
  SECURITY_ATTRIBUTES sa;
  PSECURITY_DESCRIPTOR set = NULL, got = NULL;
  PSID everyone = twc_sid_of(L"S-1-1-0");
  PACL dacl;
  int stored;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
          L"D:P(A;;FA;;;WD)", SDDL_REVISION_1, &set, NULL))
    FAIL("ConvertStringSecurityDescriptor: error %lu",
         (unsigned long)GetLastError());
  sa.nLength = sizeof(sa);
  sa.lpSecurityDescriptor = set;
  sa.bInheritHandle = FALSE;
  if (!CreateDirectoryW(w, &sa))
    FAIL("CreateDirectoryW(probe): error %lu", (unsigned long)GetLastError());
  dacl = read_dacl(probe, &got);
  stored = twc_dacl_protected(got) && dacl != NULL && dacl->AceCount == 1 &&
           twc_has_ace_for(dacl, everyone);
  LocalFree(got);
  LocalFree(set);
  LocalFree(everyone);
  RemoveDirectoryW(w);
  free(w);
  free(probe);
  if (!stored)
    SKIP("this system does not store the security descriptor given at "
         "creation (read back differs: Wine)");
}

/* A private object: a protected DACL (nothing inherited) whose every ACE
 * is for the owner or SYSTEM, and none for Everyone, Users or
 * Authenticated Users (CPython's test_mode_win32). */
void twc_assert_private_dacl(const char *path) {
  static const wchar_t *const others[] = {L"S-1-1-0", L"S-1-5-32-545",
                                          L"S-1-5-11"};
  PSECURITY_DESCRIPTOR sd = NULL;
  PACL dacl = read_dacl(path, &sd);
  PSID user = current_user(), system = twc_sid_of(L"S-1-5-18");
  DWORD i;
  ASSERT(dacl != NULL); /* a NULL DACL grants everyone everything */
  ASSERT(twc_dacl_protected(sd));
  ASSERT(twc_has_ace_for(dacl, user));
  for (i = 0; i < dacl->AceCount; i++) {
    ACE_HEADER *ace;
    PSID sid;
    ASSERT(GetAce(dacl, i, (void **)&ace));
    ASSERT_EQ(ace->AceType, ACCESS_ALLOWED_ACE_TYPE);
    sid = &((ACCESS_ALLOWED_ACE *)ace)->SidStart;
    if (!EqualSid(sid, user) && !EqualSid(sid, system))
      FAIL("%s: an ACE for another SID (ACE %lu)", path, (unsigned long)i);
  }
  for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
    PSID other = twc_sid_of(others[i]);
    if (twc_has_ace_for(dacl, other))
      FAIL("%s: an ACE for %ls", path, others[i]);
    LocalFree(other);
  }
  LocalFree(sd);
  LocalFree(system);
  free(user);
}

/* A mode open to others: the DACL comes from the parent, not protected. */
void twc_assert_not_private_dacl(const char *path) {
  PSECURITY_DESCRIPTOR sd = NULL;
  (void)read_dacl(path, &sd);
  ASSERT(!twc_dacl_protected(sd));
  LocalFree(sd);
}

/* "\\?\" + an absolute drive path, malloc'd: for paths beyond MAX_PATH,
 * which the plain Win32 calls the harness makes do not take. */
char *twc_long(const char *path) {
  size_t n = strlen(path);
  char *p = malloc(n + 5);
  if (p == NULL)
    FAIL("out of memory");
  memcpy(p, "\\\\?\\", 4);
  memcpy(p + 4, path, n + 1);
  return p;
}

/* The last component of a path the library returned. */
const char *twc_base(const char *path) {
  const char *slash = strrchr(path, '\\');
  ASSERT(slash != NULL);
  return slash + 1;
}

/* n characters, all of TF_ALPHABET. */
void twc_assert_random_part(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (s[i] == '\0' || strchr(TF_ALPHABET, s[i]) == NULL)
      FAIL("character %u of \"%.*s\" is not of TF_ALPHABET", (unsigned)i,
           (int)n, s);
}

/* Wait (30 s at most) for a helper process to make path. */
void twc_wait_for(const char *path) {
  int i;
  for (i = 0; i < 3000 && !tw_exists(path); i++)
    Sleep(10);
  if (!tw_exists(path))
    FAIL("the helper never made %s", path);
}

char *twc_dacl_sddl(const char *path) {
  PSECURITY_DESCRIPTOR sd = NULL;
  wchar_t *w = tw_wide(path);
  LPSTR s = NULL;
  char *copy = NULL;
  if (GetNamedSecurityInfoW(w, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL,
                            NULL, NULL, NULL, &sd) == ERROR_SUCCESS &&
      ConvertSecurityDescriptorToStringSecurityDescriptorA(
          sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &s, NULL)) {
    copy = strdup(s);
    LocalFree(s);
  }
  LocalFree(sd);
  free(w);
  return copy;
}

static int set_dacl_sddl(const char *path, const char *sddl) {
  PSECURITY_DESCRIPTOR sd = NULL;
  BOOL present = FALSE, defaulted = FALSE;
  PACL dacl = NULL;
  wchar_t *w = tw_wide(path);
  DWORD err = ERROR_INVALID_PARAMETER;
  if (ConvertStringSecurityDescriptorToSecurityDescriptorA(
          sddl, SDDL_REVISION_1, &sd, NULL) &&
      GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted))
    err = SetNamedSecurityInfoW(w, SE_FILE_OBJECT,
                                DACL_SECURITY_INFORMATION |
                                    PROTECTED_DACL_SECURITY_INFORMATION,
                                NULL, NULL, dacl, NULL);
  LocalFree(sd);
  free(w);
  return err == ERROR_SUCCESS ? 0 : -1;
}

char *twc_set_custom_dacl(const char *path) {
  /* Everyone may read, the world's "Builtin Users" may read and write:
   * not what a new file in the test directory gets. */
  static const char sddl[] = "D:P(A;;FA;;;OW)(A;;FR;;;WD)(A;;FRFW;;;BU)";
  char *got = set_dacl_sddl(path, sddl) == 0 ? twc_dacl_sddl(path) : NULL;
  if (got != NULL && strstr(got, "WD") == NULL) {
    free(got); /* accepted, not stored */
    got = NULL;
  }
  return got;
}
