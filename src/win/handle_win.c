/* SPDX-License-Identifier: MIT */
/*
 * handle_win.c - Windows' *at calls: opening relative to a directory
 * handle (NtCreateFile's RootDirectory, which no Win32 call exposes),
 * file identities, deleting the object a handle has open (never a name
 * looked up again), the owner-only security descriptor, and the C
 * runtime fds the API hands out.
 */
#include "win.h"

#include <fcntl.h>
#include <sddl.h>
#include <string.h>

/* NtCreateFile, synchronous, with the share mode given; no handle it
 * opens is inherited (no OBJ_INHERIT). */
static int nt_open(HANDLE root, const wchar_t *name, size_t len,
                   ACCESS_MASK access, ULONG share, ULONG attributes,
                   ULONG disposition, ULONG options, void *sd, HANDLE *out) {
  UNICODE_STRING us;
  OBJECT_ATTRIBUTES oa;
  IO_STATUS_BLOCK io;
  HANDLE h = NULL;
  NTSTATUS st;
  if (len == 0 || len * sizeof(wchar_t) > 0xfffe)
    return len == 0 ? -ENOENT : -ENAMETOOLONG;
  us.Buffer = (PWSTR)name;
  us.Length = us.MaximumLength = (USHORT)(len * sizeof(wchar_t));
  InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, root, sd);
  memset(&io, 0, sizeof(io));
  st = NtCreateFile(&h, access | SYNCHRONIZE, &oa, &io, NULL, attributes,
                    share, disposition,
                    options | FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
  if (st < 0)
    return tf__w_nt_err(st);
  *out = h;
  return 0;
}

int tf__w_open_at(HANDLE dir, const wchar_t *name, size_t len,
                  ACCESS_MASK access, ULONG attributes, ULONG disposition,
                  ULONG options, void *sd, HANDLE *out) {
  return nt_open(dir, name, len, access, TF_W_SHARE_ALL, attributes,
                 disposition, options | FILE_OPEN_REPARSE_POINT, sd, out);
}

int tf__w_open_shared(HANDLE dir, const wchar_t *name, size_t len,
                      ACCESS_MASK access, ULONG share, ULONG attributes,
                      ULONG disposition, ULONG options, void *sd,
                      HANDLE *out) {
  return nt_open(dir, name, len, access, share, attributes, disposition,
                 options | FILE_OPEN_REPARSE_POINT, sd, out);
}

/* The NT form of an absolute Win32 path: \??\C:\dir, \??\UNC\server\share
 * (from \\?\ and \\server forms too).  malloc'd; its length. */
static int nt_path(const wchar_t *path, wchar_t **out) {
  const wchar_t *rest = path, *prefix = L"\\??\\";
  size_t len, plen;
  wchar_t *nt;
  if (wcsncmp(path, L"\\\\?\\", 4) == 0 || wcsncmp(path, L"\\\\.\\", 4) == 0) {
    rest = path + 4;
  } else if (path[0] == L'\\' && path[1] == L'\\') {
    rest = path + 2;
    prefix = L"\\??\\UNC\\";
  }
  len = wcslen(rest);
  plen = wcslen(prefix);
  nt = tf__malloc((plen + len + 1) * sizeof(*nt));
  if (nt == NULL)
    return -ENOMEM;
  memcpy(nt, prefix, plen * sizeof(*nt));
  memcpy(nt + plen, rest, (len + 1) * sizeof(*nt));
  *out = nt;
  return (int)(plen + len);
}

/* One call: NtCreateFile refuses what is not a directory
 * (FILE_DIRECTORY_FILE), and follows links on the way as CreateFileW. */
int tf__w_open_dir(const wchar_t *path, HANDLE *out) {
  wchar_t *nt;
  int rc, len = nt_path(path, &nt);
  if (len < 0)
    return len;
  rc = nt_open(NULL, nt, (size_t)len,
               FILE_LIST_DIRECTORY | FILE_TRAVERSE | FILE_READ_ATTRIBUTES,
               TF_W_SHARE_ALL, 0, FILE_OPEN, FILE_DIRECTORY_FILE, NULL, out);
  tf__freemem(nt);
  return rc;
}

int tf__w_id_of(HANDLE h, struct tf__w_id *out) {
  struct {
    LARGE_INTEGER index; /* FILE_INTERNAL_INFORMATION */
  } internal;
  struct {
    ULONG attributes; /* FILE_ATTRIBUTE_TAG_INFORMATION */
    ULONG reparse_tag;
  } tag;
  IO_STATUS_BLOCK io;
  NTSTATUS st = NtQueryInformationFile(h, &io, &internal, sizeof(internal),
                                       TF_W_FILE_INTERNAL_INFORMATION);
  if (st >= 0)
    st = NtQueryInformationFile(h, &io, &tag, sizeof(tag),
                                TF_W_FILE_ATTRIBUTE_TAG_INFORMATION);
  if (st < 0)
    return tf__w_nt_err(st);
  out->index = (uint64_t)internal.index.QuadPart;
  out->attributes = tag.attributes;
  return 0;
}

/* FILE_DISPOSITION_INFO_EX's flags (Windows 10 1709 and later). */
#define TF_W_DISPOSITION_DELETE 0x1
#define TF_W_DISPOSITION_POSIX 0x2
#define TF_W_DISPOSITION_IGNORE_READONLY 0x10

/* 1 once the system refused the extended disposition: older Windows,
 * FAT, Wine; the classic one is used from then on. */
static volatile LONG no_posix_delete;

int tf__w_set_read_only(HANDLE h, int on) {
  FILE_BASIC_INFO basic;
  DWORD want;
  if (!GetFileInformationByHandleEx(h, FileBasicInfo, &basic, sizeof(basic)))
    return tf__w_last_err();
  want = on ? FILE_ATTRIBUTE_READONLY : 0;
  if ((basic.FileAttributes & FILE_ATTRIBUTE_READONLY) == want)
    return 0;
  /* NORMAL is valid only alone; no attribute at all is written NORMAL. */
  basic.FileAttributes &= ~(DWORD)(FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_NORMAL);
  basic.FileAttributes |= want;
  if (basic.FileAttributes == 0)
    basic.FileAttributes = FILE_ATTRIBUTE_NORMAL;
  if (!SetFileInformationByHandle(h, FileBasicInfo, &basic, sizeof(basic)))
    return tf__w_last_err();
  return 0;
}

static int classic_delete(HANDLE h) {
  FILE_DISPOSITION_INFO d;
  d.DeleteFile = TRUE;
  if (SetFileInformationByHandle(h, FileDispositionInfo, &d, sizeof(d)))
    return 0;
  if (GetLastError() != ERROR_ACCESS_DENIED)
    return tf__w_last_err();
  /* Read-only: clear the attribute on this very object (the handle), never
   * through a name, and try once more. */
  if (tf__w_set_read_only(h, 0) < 0)
    return -EACCES;
  if (SetFileInformationByHandle(h, FileDispositionInfo, &d, sizeof(d)))
    return 0;
  return tf__w_last_err();
}

int tf__w_unlink_handle(HANDLE h) {
  if (!no_posix_delete) {
    struct {
      ULONG Flags;
    } ex;
    DWORD err;
    ex.Flags = TF_W_DISPOSITION_DELETE | TF_W_DISPOSITION_POSIX |
               TF_W_DISPOSITION_IGNORE_READONLY;
    if (SetFileInformationByHandle(h, TF_W_FILE_DISPOSITION_INFO_EX, &ex, sizeof(ex)))
      return 0;
    err = GetLastError();
    if (err != ERROR_INVALID_PARAMETER && err != ERROR_INVALID_FUNCTION &&
        err != ERROR_NOT_SUPPORTED)
      return tf__w_err(err);
    InterlockedExchange(&no_posix_delete, 1);
  }
  return classic_delete(h);
}

static INIT_ONCE sd_once = INIT_ONCE_STATIC_INIT;
static PSECURITY_DESCRIPTOR private_sd;
/* The owner the process gives what it creates (its token's). */
static union {
  TOKEN_OWNER owner;
  unsigned char bytes[sizeof(TOKEN_OWNER) + SECURITY_MAX_SID_SIZE];
} default_owner;
static int have_default_owner;

/* SYSTEM and the calling user, full access, inherited by what is made
 * inside; "P": nothing inherited from above.  And the default owner. */
static BOOL CALLBACK build_private_sd(PINIT_ONCE once, PVOID param,
                                      PVOID *ctx) {
  HANDLE token;
  union {
    TOKEN_USER user;
    unsigned char bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
  } u;
  DWORD size;
  LPWSTR sid = NULL;
  wchar_t sddl[256];
  (void)once;
  (void)param;
  (void)ctx;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
    return TRUE;
  if (GetTokenInformation(token, TokenUser, &u, sizeof(u), &size) &&
      ConvertSidToStringSidW(u.user.User.Sid, &sid)) {
    _snwprintf(sddl, sizeof(sddl) / sizeof(sddl[0]) - 1,
               L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;%ls)", sid);
    sddl[sizeof(sddl) / sizeof(sddl[0]) - 1] = L'\0';
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl, SDDL_REVISION_1, &private_sd, NULL))
      private_sd = NULL;
    LocalFree(sid);
  }
  have_default_owner = GetTokenInformation(token, TokenOwner, &default_owner,
                                           sizeof(default_owner), &size) != 0;
  CloseHandle(token);
  return TRUE;
}

void *tf__w_default_owner(void) {
  InitOnceExecuteOnce(&sd_once, build_private_sd, NULL, NULL);
  return have_default_owner ? default_owner.owner.Owner : NULL;
}

void *tf__w_private_sd(void) {
  InitOnceExecuteOnce(&sd_once, build_private_sd, NULL, NULL);
  return private_sd;
}

void *tf__w_sd_for_mode(mode_t mode) {
  return (mode & 077) == 0 ? tf__w_private_sd() : NULL;
}

DWORD tf__w_attrs_for_mode(mode_t mode) {
  return (mode & 0200) ? FILE_ATTRIBUTE_NORMAL : FILE_ATTRIBUTE_READONLY;
}

int tf__w_fd_for(HANDLE h, int oflags) {
  int fd = _open_osfhandle((intptr_t)h, oflags | _O_BINARY);
  if (fd < 0) {
    CloseHandle(h);
    return -EMFILE;
  }
  return fd;
}

HANDLE tf__w_handle_of(int fd) { return (HANDLE)_get_osfhandle(fd); }

OVERLAPPED tf__w_at_offset(uint64_t off) {
  OVERLAPPED ov;
  memset(&ov, 0, sizeof(ov));
  ov.Offset = (DWORD)(off & 0xFFFFFFFFu);
  ov.OffsetHigh = (DWORD)(off >> 32);
  return ov;
}

int tf__w_read_at(HANDLE h, void *p, DWORD n, uint64_t off) {
  OVERLAPPED ov = tf__w_at_offset(off);
  DWORD done = 0;
  return ReadFile(h, p, n, &done, &ov) && done == n ? 0 : -EIO;
}

int tf__w_write_at(HANDLE h, const void *p, DWORD n, uint64_t off) {
  OVERLAPPED ov = tf__w_at_offset(off);
  DWORD done = 0;
  return WriteFile(h, p, n, &done, &ov) && done == n ? 0 : -EIO;
}
