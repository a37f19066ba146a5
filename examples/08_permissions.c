/* SPDX-License-Identifier: MIT */
/*
 * 08_permissions.c - the tour's look at temporary file security: a file
 * is created 0600 (owner read and write only) and owned by the process's
 * user, so group and others can not read it; a directory is 0700.
 *
 * Windows' permissions are an access control list, not mode bits: there
 * the file and the directory get a protected DACL (inheriting nothing
 * from the directory above) that allows only their owner and SYSTEM, as
 * CPython 3.13 gives mkdtemp().  The program lists the entries the
 * system reports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tour.h"

static const char *yes(int v) { return v ? "true" : "false"; }

#ifdef _WIN32
#include <windows.h>

#include <aclapi.h>

/* The account a SID names, as DOMAIN\name, in buf. */
static const char *account(PSID sid, char *buf, DWORD size) {
  char name[256], domain[256];
  DWORD n = sizeof(name), d = sizeof(domain);
  SID_NAME_USE use;
  if (!LookupAccountSidA(NULL, sid, name, &n, domain, &d, &use))
    snprintf(buf, size, "(unknown account)");
  else
    snprintf(buf, size, "%s%s%s", domain, domain[0] ? "\\" : "", name);
  return buf;
}

/* Print who owns path and whom its DACL allows what. */
static void show_mode(const char *path) {
  PSECURITY_DESCRIPTOR sd = NULL;
  SECURITY_DESCRIPTOR_CONTROL control;
  PSID owner = NULL;
  PACL dacl = NULL;
  DWORD revision, i;
  char who[600];

  if (GetNamedSecurityInfoA(path, SE_FILE_OBJECT,
                            OWNER_SECURITY_INFORMATION |
                                DACL_SECURITY_INFORMATION,
                            &owner, NULL, &dacl, NULL, &sd) != ERROR_SUCCESS)
    check(-EIO, "GetNamedSecurityInfo");
  printf("Owner: %s\n", account(owner, who, sizeof(who)));
  check_sys(GetSecurityDescriptorControl(sd, &control, &revision), "control");
  printf("Inherits from the directory above: %s\n",
         yes(!(control & SE_DACL_PROTECTED)));
  if (dacl == NULL)
    puts("No DACL: everyone has access");
  for (i = 0; dacl != NULL && i < dacl->AceCount; i++) {
    ACE_HEADER *ace;
    if (!GetAce(dacl, i, (void **)&ace) ||
        ace->AceType != ACCESS_ALLOWED_ACE_TYPE)
      continue;
    printf("Allowed: %s (access mask 0x%lx)\n",
           account(&((ACCESS_ALLOWED_ACE *)ace)->SidStart, who, sizeof(who)),
           (unsigned long)((ACCESS_ALLOWED_ACE *)ace)->Mask);
  }
  LocalFree(sd);
}
#else
/* Print the mode as ls -l does, then in octal, and who may use it. */
static void show_mode(const char *path) {
  static const char rwx[] = "rwxrwxrwx";
  struct stat st;
  char text[11];
  int i;

  check_sys(lstat(path, &st) == 0, "lstat");
  text[0] = S_ISDIR(st.st_mode) ? 'd' : '-';
  for (i = 0; i < 9; i++)
    text[i + 1] = (st.st_mode & (0400 >> i)) ? rwx[i] : '-';
  text[10] = '\0';
  printf("Permissions: %s\n", text);
  printf("Octal: %03o\n", (unsigned)(st.st_mode & 0777));
  printf("Owner UID: %lu\n", (unsigned long)st.st_uid);
  printf("Current process UID: %lu\n", (unsigned long)getuid());
  printf("Owner can read: %s\n", yes(st.st_mode & S_IRUSR));
  printf("Owner can write: %s\n", yes(st.st_mode & S_IWUSR));
  printf("Group has access: %s\n", yes(st.st_mode & (S_IRGRP | S_IWGRP)));
  printf("Others have access: %s\n", yes(st.st_mode & (S_IROTH | S_IWOTH)));
}
#endif

int main(void) {
  tf_file *f;
  FILE *fp;
  char *dir;

  puts("=== Temporary File Security ===");
  check(tf_file_create(&f, NULL), "tf_file_create");
  check(tf_file_stream(f, &fp), "tf_file_stream");
  check_sys(fputs("Sensitive data\n", fp) != EOF, "fputs");
  printf("File: %s\n", tf_file_path(f));
  show_mode(tf_file_path(f));
  check(tf_file_free(f), "tf_file_free");

  check(tf_mkdtemp(&dir, NULL), "tf_mkdtemp");
  printf("\nDirectory: %s\n", dir);
  show_mode(dir);
  check_sys(rmdir(dir) == 0, "rmdir");
  free(dir);
  return 0;
}
