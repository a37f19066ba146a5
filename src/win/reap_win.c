/* SPDX-License-Identifier: MIT */
/*
 * reap_win.c - tf_reap() on Windows: remove what dead processes left in
 * a directory, never what a live creator still owns.
 *
 * Liveness is the ledger's (ledger_win.c): a ledger that can be opened
 * with DELETE access and share mode 0 belongs to no live process (its
 * creator's handle, while it lives, shares reading only).  The reaper
 * keeps that exclusive handle while it judges the ledger, so a second
 * reaper waits for it rather than miss what it has not taken yet.  The
 * live records of a dead ledger that name objects of the directory
 * reaped (same volume serial and file id) are leftovers when the object
 * is still there under that name, of the kind recorded, not a reparse
 * point, owned by the caller, old enough, and held open by no one:
 * each is claimed by an open with DELETE access and share mode 0 (a
 * sharing violation means some process uses it, and it stays).  A file
 * is deleted through that claim; a directory's claim is closed and the
 * tree removed by tf__w_rmtree_at() with the identity the claim read,
 * so an object put under the name meanwhile is left alone.  A record
 * whose object is gone is set free; a ledger with no live record left
 * is deleted through the exclusive handle.
 *
 * An atomic write's hidden file ("." NAME ".tf-" + 12 characters) that
 * no one holds open is a leftover too (pid 0): the writer holds it open
 * until its rename.
 */
#include "win.h"

#include <aclapi.h>
#include <stdlib.h>
#include <string.h>

#define LIST_BUFFER 65536
#define LEDGER_WAIT_MS 60000 /* for another reaper holding a ledger */

struct reap {
  HANDLE dir;
  uint32_t serial; /* the directory's identity */
  uint64_t index;
  unsigned int flags;
  uint64_t oldest; /* newest change allowed (FILETIME), 0: any age */
  PSID user, owner; /* the caller's SIDs: its token's user and owner */
  tf_reap_fn fn;
  void *arg;
  int count;
  int err;
  int stop;
};

/* ------------------------------------------------------------ helpers */

static void note(struct reap *r, int err) {
  if (err < 0 && r->err == 0)
    r->err = err;
}

static int is_hidden_atomic(const wchar_t *name, size_t len) {
  static const wchar_t tag[] = L".tf-";
  size_t i;
  if (len < 1 + 1 + 4 + 12 || name[0] != L'.' ||
      memcmp(name + len - 16, tag, 4 * sizeof(wchar_t)) != 0)
    return 0;
  for (i = len - 12; i < len; i++)
    if (!((name[i] >= L'a' && name[i] <= L'z') ||
          (name[i] >= L'0' && name[i] <= L'9')))
      return 0;
  return 1;
}

static int is_ledger(const wchar_t *name, size_t len) {
  return len == TF_W_LEDGER_PREFIX_LEN + 12 &&
         memcmp(name, TF_W_LEDGER_PREFIX,
                TF_W_LEDGER_PREFIX_LEN * sizeof(wchar_t)) == 0;
}

/* A single component: what a record may name (a corrupt one, a path or
 * a stream, is never opened). */
static int is_plain_name(const wchar_t *name, size_t len) {
  size_t i;
  if (len == 0 || (name[0] == L'.' && (len == 1 || (len == 2 && name[1] == L'.'))))
    return 0;
  for (i = 0; i < len; i++)
    if (name[i] == 0 || name[i] == L'\\' || name[i] == L'/' || name[i] == L':')
      return 0;
  return 1;
}

/* Whether the object open at h belongs to the caller. */
static int owned_by_caller(const struct reap *r, HANDLE h) {
  PSID owner = NULL;
  PSECURITY_DESCRIPTOR sd = NULL;
  int ok;
  if (GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner,
                      NULL, NULL, NULL, &sd) != ERROR_SUCCESS)
    return 0;
  ok = owner != NULL && ((r->user != NULL && EqualSid(owner, r->user)) ||
                         (r->owner != NULL && EqualSid(owner, r->owner)));
  LocalFree(sd);
  return ok;
}

/* Whether the object open at h changed last before r->oldest. */
static int old_enough(const struct reap *r, HANDLE h) {
  FILE_BASIC_INFO b;
  uint64_t newest;
  if (r->oldest == 0)
    return 1;
  if (!GetFileInformationByHandleEx(h, FileBasicInfo, &b, sizeof(b)))
    return 0;
  newest = (uint64_t)(b.LastWriteTime.QuadPart > b.ChangeTime.QuadPart
                          ? b.LastWriteTime.QuadPart
                          : b.ChangeTime.QuadPart);
  return newest <= r->oldest;
}

static void report(struct reap *r, const wchar_t *name, size_t len,
                   int is_dir, long pid) {
  char *u8 = NULL;
  r->count++;
  if (r->fn == NULL)
    return;
  if (tf__w_narrow(name, len, &u8) < 0) {
    note(r, -ENOMEM);
    return;
  }
  if (r->fn(u8, is_dir, pid, r->arg) != 0)
    r->stop = 1;
  tf__freemem(u8);
}

/* ----------------------------------------------------------- an object */

/* What the claim of an object asks: delete it, read its owner and
 * times, clear a read-only attribute. */
#define CLAIM_ACCESS                                                        \
  (DELETE | READ_CONTROL | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES)

/* Judge and remove name: 0 when it is gone (removed here, or it was
 * not the object recorded), 1 when it stays (in use, too young, not
 * removable, or a dry run). */
static int take(struct reap *r, const wchar_t *name, size_t len, int is_dir,
                long pid) {
  struct tf__w_id id;
  HANDLE h;
  int rc = tf__w_open_shared(r->dir, name, len, CLAIM_ACCESS, 0, 0, FILE_OPEN,
                             is_dir ? FILE_DIRECTORY_FILE
                                    : FILE_NON_DIRECTORY_FILE,
                             NULL, &h);
  if (rc == -ENOENT || rc == -ENOTDIR || rc == -EISDIR)
    return 0; /* gone, or another kind of object has the name */
  if (rc < 0)
    return 1; /* -EBUSY: someone holds it open; or it can not be judged */
  if (tf__w_id_of(h, &id) < 0) {
    CloseHandle(h);
    return 1;
  }
  if (TF_W_IS_LINK(id.attributes) || !owned_by_caller(r, h)) {
    CloseHandle(h);
    return 0; /* not what the library made */
  }
  if (!old_enough(r, h)) {
    CloseHandle(h);
    return 1;
  }
  if (r->flags & TF_REAP_DRY_RUN) {
    CloseHandle(h);
    report(r, name, len, is_dir, pid);
    return 1;
  }
  if (!is_dir) {
    rc = tf__w_unlink_handle(h); /* exactly the object claimed */
    CloseHandle(h);
  } else {
    /* The walk opens the top itself, which the claim (sharing nothing)
     * would refuse: it checks the identity read here instead. */
    CloseHandle(h);
    rc = tf__w_rmtree_at(r->dir, name, len, &id, 0);
    if (rc == -ESTALE)
      return 0; /* another object took the name meanwhile */
  }
  if (rc == -ENOENT)
    return 0;
  if (rc < 0) {
    note(r, rc);
    return 1;
  }
  report(r, name, len, is_dir, pid);
  return 0;
}

/* ------------------------------------------------------------ ledgers */

static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

/* The pid in a ledger's header, or -1 if it has none. */
static long ledger_pid(HANDLE h) {
  char head[TF_W_LEDGER_HEAD];
  size_t magic = sizeof(TF_W_LEDGER_MAGIC) - 1;
  char *end;
  long pid;
  if (tf__w_read_at(h, head, sizeof(head), 0) < 0 ||
      memcmp(head, TF_W_LEDGER_MAGIC, magic) != 0 ||
      memcmp(head + magic, "pid ", 4) != 0)
    return -1;
  head[sizeof(head) - 1] = '\0';
  pid = strtol(head + magic + 4, &end, 10);
  return pid > 0 && *end == '\n' ? pid : -1;
}

/* Records read at a time. */
#define CHUNK_RECS 62

/* Judge one live record of this directory (rec): 1 if it stays live. */
static int judge_record(struct reap *r, const unsigned char *rec, long pid) {
  wchar_t name[TF_W_LEDGER_NAME_MAX];
  size_t len = (size_t)rec[2] | (size_t)rec[3] << 8, i;
  if (len == 0 || len > TF_W_LEDGER_NAME_MAX)
    return 0; /* corrupt: names nothing that can be reaped */
  for (i = 0; i < len; i++)
    name[i] = (wchar_t)(rec[TF_W_LEDGER_NAME_AT + 2 * i] |
                        rec[TF_W_LEDGER_NAME_AT + 2 * i + 1] << 8);
  if (!is_plain_name(name, len))
    return 0;
  return take(r, name, len, rec[1] == TF_W_DIR, pid);
}

/* Judge the dead ledger's records of this directory, setting free those
 * whose objects are gone; 1 if a record is still live (of this directory
 * or another). */
static int judge_records(struct reap *r, HANDLE h, long pid) {
  static const unsigned char free_state = TF_W_LEDGER_FREE;
  unsigned char *buf = tf__malloc(CHUNK_RECS * TF_W_LEDGER_REC);
  uint64_t off = TF_W_LEDGER_HEAD;
  DWORD got;
  int live = 0;
  if (buf == NULL) {
    note(r, -ENOMEM);
    return 1;
  }
  for (;;) {
    OVERLAPPED ov = tf__w_at_offset(off);
    size_t n, k;
    if (!ReadFile(h, buf, CHUNK_RECS * TF_W_LEDGER_REC, &got, &ov))
      got = 0; /* ERROR_HANDLE_EOF */
    n = got / TF_W_LEDGER_REC;
    for (k = 0; k < n; k++, off += TF_W_LEDGER_REC) {
      const unsigned char *rec = buf + k * TF_W_LEDGER_REC;
      uint64_t index = get_u32(rec + 8) | (uint64_t)get_u32(rec + 12) << 32;
      if (rec[0] != TF_W_LEDGER_LIVE)
        continue;
      if (r->stop || get_u32(rec + 4) != r->serial || index != r->index ||
          judge_record(r, rec, pid) || (r->flags & TF_REAP_DRY_RUN) ||
          tf__w_write_at(h, &free_state, 1, off) < 0)
        live = 1; /* another directory's, not judged, or it stays */
    }
    if (n < CHUNK_RECS)
      break;
  }
  tf__freemem(buf);
  return live;
}

/* Open the ledger name exclusively if its process is dead: 0 and the
 * handle, or -EBUSY while its process lives (or -errno).  Another reaper
 * holding it (sharing nothing, where a live creator shares reading) is
 * waited for. */
static int open_dead_ledger(HANDLE home, const wchar_t *name, size_t len,
                            HANDLE *out) {
  DWORD waited = 0, step = 1;
  for (;;) {
    HANDLE probe;
    int rc = tf__w_open_shared(home, name, len,
                               GENERIC_READ | GENERIC_WRITE | DELETE |
                                   READ_CONTROL,
                               0, 0, FILE_OPEN, FILE_NON_DIRECTORY_FILE, NULL,
                               out);
    if (rc != -EBUSY)
      return rc;
    rc = tf__w_open_shared(home, name, len, FILE_READ_DATA, TF_W_SHARE_ALL, 0,
                           FILE_OPEN, FILE_NON_DIRECTORY_FILE, NULL, &probe);
    if (rc == 0) {
      CloseHandle(probe);
      return -EBUSY; /* shared for reading: its creator lives */
    }
    if (rc != -EBUSY || waited >= LEDGER_WAIT_MS)
      return rc;
    Sleep(step);
    waited += step;
    if (step < 64)
      step *= 2;
  }
}

/* A ledger of the home: if no process holds it, the objects its live
 * records name in this directory are leftovers.  It goes once none of
 * its records is live. */
static void judge_ledger(struct reap *r, HANDLE home, const wchar_t *name,
                         size_t len) {
  struct tf__w_id id;
  HANDLE h;
  long pid;
  if (open_dead_ledger(home, name, len, &h) < 0)
    return;
  if (tf__w_id_of(h, &id) < 0 || TF_W_IS_LINK(id.attributes) ||
      !owned_by_caller(r, h)) {
    CloseHandle(h); /* another user's: its records are not believed */
    return;
  }
  pid = ledger_pid(h);
  /* Without a header its maker died making it. */
  if ((pid < 0 || !judge_records(r, h, pid)) &&
      !(r->flags & TF_REAP_DRY_RUN))
    tf__w_unlink_handle(h);
  CloseHandle(h);
}

/* ------------------------------------------------------------ listing */

/* The names in the directory open at dir that want() accepts, each NUL
 * terminated, one after another, in *out (malloc'd); their total length
 * in units, or -errno. */
static long list_names(HANDLE dir, int (*want)(const wchar_t *, size_t),
                       wchar_t **out) {
  FILE_INFO_BY_HANDLE_CLASS cls = FileFullDirectoryRestartInfo;
  wchar_t *names = NULL;
  size_t used = 0, cap = 0;
  void *buf = tf__malloc(LIST_BUFFER);
  int rc = 0;
  if (buf == NULL)
    return -ENOMEM;
  while (GetFileInformationByHandleEx(dir, cls, buf, LIST_BUFFER)) {
    const char *p = buf;
    cls = FileFullDirectoryInfo;
    for (;;) {
      const FILE_FULL_DIR_INFO *e = (const FILE_FULL_DIR_INFO *)p;
      size_t len = e->FileNameLength / sizeof(wchar_t);
      if (len > 0 && want(e->FileName, len)) {
        if (used + len + 1 > cap) {
          size_t ncap = (used + len + 1) * 2;
          wchar_t *n = tf__malloc(ncap * sizeof(*n));
          if (n == NULL) {
            rc = -ENOMEM;
            goto out;
          }
          if (used > 0)
            memcpy(n, names, used * sizeof(*n));
          tf__freemem(names);
          names = n;
          cap = ncap;
        }
        memcpy(names + used, e->FileName, len * sizeof(wchar_t));
        used += len;
        names[used++] = L'\0';
      }
      if (e->NextEntryOffset == 0)
        break;
      p += e->NextEntryOffset;
    }
  }
  if (GetLastError() != ERROR_NO_MORE_FILES &&
      GetLastError() != ERROR_FILE_NOT_FOUND)
    rc = tf__w_last_err();
out:
  tf__freemem(buf);
  if (rc < 0) {
    tf__freemem(names);
    return rc;
  }
  *out = names;
  return (long)used;
}

/* The ledgers of dead processes, for their objects in this directory. */
static void reap_ledgers(struct reap *r) {
  wchar_t *home, *names = NULL;
  HANDLE h;
  long n, at;
  int rc = tf__w_default_tempdir(&home);
  if (rc < 0)
    return;
  rc = tf__w_open_dir(home, &h);
  tf__freemem(home);
  if (rc < 0)
    return;
  n = list_names(h, is_ledger, &names);
  for (at = 0; at < n && !r->stop; at += (long)wcslen(names + at) + 1)
    judge_ledger(r, h, names + at, wcslen(names + at));
  if (n < 0)
    note(r, (int)n);
  tf__freemem(names);
  CloseHandle(h);
}

/* The atomic writes' hidden files that no one holds open. */
static void reap_hidden(struct reap *r) {
  wchar_t *names = NULL;
  long n = list_names(r->dir, is_hidden_atomic, &names), at;
  for (at = 0; at < n && !r->stop; at += (long)wcslen(names + at) + 1)
    take(r, names + at, wcslen(names + at), 0, 0);
  if (n < 0)
    note(r, (int)n);
  tf__freemem(names);
}

/* ---------------------------------------------------------------- API */

/* The caller's token user, malloc'd (NULL if unknown). */
static PSID token_user(void) {
  union {
    TOKEN_USER user;
    unsigned char bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
  } u;
  HANDLE token;
  DWORD size;
  PSID sid = NULL;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
    return NULL;
  if (GetTokenInformation(token, TokenUser, &u, sizeof(u), &size)) {
    size = GetLengthSid(u.user.User.Sid);
    sid = tf__malloc(size);
    if (sid != NULL && !CopySid(size, sid, u.user.User.Sid)) {
      tf__freemem(sid);
      sid = NULL;
    }
  }
  CloseHandle(token);
  return sid;
}

int tf_reap(const char *dir, unsigned int flags, unsigned int min_age,
            tf_reap_fn fn, void *arg) {
  struct reap r;
  wchar_t *path;
  tf_opts o;
  int rc;
  if (flags & ~(TF_REAP_DRY_RUN | TF_IGNORE_ERRORS))
    return -EINVAL;
  memset(&o, 0, sizeof(o));
  o.dir = dir;
  rc = tf__w_resolve_dir(&o, &path);
  if (rc < 0)
    return rc;
  memset(&r, 0, sizeof(r));
  rc = tf__w_open_dir(path, &r.dir);
  tf__freemem(path);
  if (rc < 0)
    return rc;
  rc = tf__w_dir_ident(r.dir, &r.serial, &r.index);
  if (rc < 0) {
    CloseHandle(r.dir);
    return rc;
  }
  if (min_age > 0) {
    FILETIME ft;
    uint64_t now, age = (uint64_t)min_age * 10000000u;
    GetSystemTimeAsFileTime(&ft);
    now = (uint64_t)ft.dwHighDateTime << 32 | ft.dwLowDateTime;
    r.oldest = now > age ? now - age : 1;
  }
  r.flags = flags;
  r.fn = fn;
  r.arg = arg;
  r.user = token_user();
  r.owner = tf__w_default_owner();
  reap_ledgers(&r);
  if (!r.stop)
    reap_hidden(&r);
  tf__freemem(r.user);
  CloseHandle(r.dir);
  if (r.err < 0 && !(flags & TF_IGNORE_ERRORS))
    return r.err;
  return r.count;
}
