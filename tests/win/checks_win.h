/* SPDX-License-Identifier: MIT */
/*
 * checks_win.h - checks shared by the Windows tests of the creation
 * calls, the named file and the directory handle (checks_win.c).
 */
#ifndef TF_TEST_CHECKS_WIN_H
#define TF_TEST_CHECKS_WIN_H

#include <stddef.h>
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

int twc_inheritable(int fd);
void twc_require_stored_security(void);
void twc_assert_private_dacl(const char *path);
void twc_assert_not_private_dacl(const char *path);
char *twc_long(const char *path);
const char *twc_base(const char *path);
void twc_assert_random_part(const char *s, size_t n);
void twc_wait_for(const char *path);
/* A DACL read back: protected from inheritance; the SID of an SDDL
 * string (LocalFree it); whether dacl has an ACE for sid. */
int twc_dacl_protected(PSECURITY_DESCRIPTOR sd);
PSID twc_sid_of(const wchar_t *sddl);
int twc_has_ace_for(PACL dacl, PSID sid);
/* The DACL of path as SDDL (malloc'd), or NULL. */
char *twc_dacl_sddl(const char *path);
/* Give path a protected DACL no new file in the test directory would get
 * (Everyone may read, Builtin Users read and write) and return it as read
 * back (malloc'd); NULL where the system does not store it (Wine). */
char *twc_set_custom_dacl(const char *path);

#endif
