/* SPDX-License-Identifier: MIT */
/*
 * ledger_win.c - the liveness ledger on Windows: how tf_reap() tells what
 * a dead process left from what a live one still owns.
 *
 * A process that owns tracked objects keeps one ledger file in the
 * ledger home, made with its first tracked object and held open from
 * then on.  The handle is never inherited, and its share mode grants others reading only: while
 * the process lives no one can open the ledger with DELETE access (a
 * sharing violation), and when the process ends, however
 * (TerminateProcess too), the system closes the handle and a reaper
 * can.  That is the liveness test: no pid is read, so a reused pid
 * misleads nobody.
 *
 * The ledger home is the temporary directory the environment gives
 * (TMPDIR, TEMP, TMP, ...: tf_gettempdir()'s discovery), whatever
 * tf_settempdir() chose: fixed, as POSIX's /dev/shm, so that a program
 * may remove the directory it set once its objects are gone.
 *
 * One record per object (layout in win.h), written with one positioned
 * write after the object is made, its state byte set free with another
 * when the object is removed, kept or published.  Nothing is mapped, so
 * a full disk fails a write (the object is then not recorded) instead
 * of faulting later.  A state that can not be set free is a record that
 * would make a reaper take a kept object: the ledger is then deleted at
 * once, and this process records nothing more.
 *
 * The ledger stays for the process's life, so that only the first
 * tracked object pays for making it.  It is deleted (through its own
 * handle, which alone may) at exit, from an atexit() handler, if no
 * record is held then, else by the drop of the last one (the objects
 * another exit handler removes); and by tf__w_ledger_remove()
 * (tf_cleanup_all()).  A process that ends otherwise leaves it, with
 * its records, for tf_reap(), which deletes it once none is live.
 */
#include "win.h"

#include <stdlib.h>
#include <string.h>

static tf__mutex lock = TF__MUTEX_INIT;

static struct {
  HANDLE h;          /* the ledger, NULL when there is none */
  unsigned gen;      /* of the ledger open; marks carry it */
  unsigned last_gen; /* the last one given */
  long next;         /* records handed out */
  long live;         /* records live now */
  long *free_slots;  /* records given back (room for next of them) */
  unsigned char *state; /* each record's state, as in the file */
  long nfree;
  long cap;
  int failed;        /* could not be made: do not try again */
  int fresh;         /* made, its header not written yet */
  int exiting;       /* the exit handler ran: the last drop deletes it */
  int exit_hooked;   /* atexit() done */
} L;

/* Directory identities recently asked: the volume query is slow (much
 * slower under Wine), and nearly every object is made in one directory.
 * Keyed by handle and file id, so a handle value reused for another
 * directory misses. */
#define CACHE 4
static struct {
  HANDLE h;
  uint64_t index;
  uint32_t serial;
} cache[CACHE];
static unsigned cache_next;

static int volume_serial(HANDLE dir, uint32_t *serial) {
  union {
    struct {
      LARGE_INTEGER created;
      ULONG serial;
      ULONG label_length;
      BOOLEAN objects;
      WCHAR label[1];
    } v;
    unsigned char bytes[sizeof(LARGE_INTEGER) + 16 + 2 * MAX_PATH];
  } info;
  IO_STATUS_BLOCK io;
  NTSTATUS st = NtQueryVolumeInformationFile(dir, &io, &info, sizeof(info),
                                             FileFsVolumeInformation);
  if (st < 0)
    return tf__w_nt_err(st);
  *serial = info.v.serial;
  return 0;
}

int tf__w_dir_ident(HANDLE dir, uint32_t *serial, uint64_t *index) {
  struct tf__w_id id;
  int rc = tf__w_id_of(dir, &id);
  if (rc < 0)
    return rc;
  *index = id.index;
  return volume_serial(dir, serial);
}

/* The identity, through the cache (the lock held): one query. */
static int cached_ident(HANDLE dir, uint32_t *serial, uint64_t *index) {
  LARGE_INTEGER internal; /* FILE_INTERNAL_INFORMATION */
  IO_STATUS_BLOCK io;
  unsigned i;
  int rc;
  NTSTATUS st = NtQueryInformationFile(dir, &io, &internal, sizeof(internal),
                                       TF_W_FILE_INTERNAL_INFORMATION);
  if (st < 0)
    return tf__w_nt_err(st);
  *index = (uint64_t)internal.QuadPart;
  for (i = 0; i < CACHE; i++)
    if (cache[i].h == dir && cache[i].index == *index && dir != NULL) {
      *serial = cache[i].serial;
      return 0;
    }
  rc = volume_serial(dir, serial);
  if (rc < 0)
    return rc;
  i = cache_next++ % CACHE;
  cache[i].h = dir;
  cache[i].index = *index;
  cache[i].serial = *serial;
  return 0;
}

static uint64_t record_at(long slot) {
  return TF_W_LEDGER_HEAD + (uint64_t)slot * TF_W_LEDGER_REC;
}

/* No ledger open; the lists' memory is kept for the next one. */
static void forget(void) {
  L.h = NULL;
  L.gen = 0;
  L.next = L.live = L.nfree = 0;
}

/* Delete the ledger through its handle and close it (the lock held). */
static void delete_ledger(void) {
  if (L.h == NULL)
    return;
  tf__w_unlink_handle(L.h);
  CloseHandle(L.h);
  forget();
}

static void at_exit(void) {
  /* Under a DLL this runs after the other threads were ended, maybe one
   * holding the lock: then the ledger is left to the reapers. */
  if (!TryAcquireSRWLockExclusive(&lock))
    return;
  L.exiting = 1;
  if (L.nfree == L.next)
    delete_ledger();
  tf__mutex_unlock(&lock);
}

/* Make the ledger (the lock held): created new under a fresh name, so
 * no other process ever held it; its header is written with its first
 * record. */
static int open_ledger(void) {
  wchar_t name[TF_W_LEDGER_PREFIX_LEN + 12], *path;
  HANDLE home, h = NULL;
  char chars[12];
  int rc, attempt, i;
  void *sd = tf__w_private_sd();
  if (sd == NULL)
    return -ENOMEM;
  rc = tf__w_default_tempdir(&path);
  if (rc < 0)
    return rc;
  rc = tf__w_open_dir(path, &home);
  tf__freemem(path);
  if (rc < 0)
    return rc;
  rc = -EEXIST;
  for (attempt = 0; attempt < TF_ATTEMPTS && rc == -EEXIST; attempt++) {
    rc = tf__random_name(chars, sizeof(chars));
    if (rc < 0)
      break;
    memcpy(name, TF_W_LEDGER_PREFIX, TF_W_LEDGER_PREFIX_LEN * sizeof(wchar_t));
    for (i = 0; i < 12; i++)
      name[TF_W_LEDGER_PREFIX_LEN + i] = (wchar_t)(unsigned char)chars[i];
    rc = tf__w_open_shared(home, name, TF_W_LEDGER_PREFIX_LEN + 12,
                           GENERIC_READ | GENERIC_WRITE | DELETE,
                           FILE_SHARE_READ,
                           FILE_ATTRIBUTE_HIDDEN |
                               FILE_ATTRIBUTE_NOT_CONTENT_INDEXED,
                           FILE_CREATE, FILE_NON_DIRECTORY_FILE, sd, &h);
  }
  CloseHandle(home);
  if (rc < 0)
    return rc;
  L.h = h;
  L.fresh = 1;
  if (++L.last_gen == 0) /* 0 marks nothing recorded */
    ++L.last_gen;
  L.gen = L.last_gen;
  if (!L.exit_hooked && atexit(at_exit) == 0)
    L.exit_hooked = 1;
  return 0;
}

/* A record to use, or -1 (the lock held).  The free list has room for
 * every record handed out, so giving one back never fails. */
static long take_slot(void) {
  if (L.nfree > 0)
    return L.free_slots[--L.nfree];
  if (L.next == L.cap) {
    long cap = L.cap ? L.cap * 2 : 64;
    long *p = tf__malloc((size_t)cap * sizeof(*p));
    unsigned char *st = tf__malloc((size_t)cap);
    if (p == NULL || st == NULL || L.next >= 0x7fffffffL / TF_W_LEDGER_REC) {
      tf__freemem(p);
      tf__freemem(st);
      return -1;
    }
    if (L.nfree > 0)
      memcpy(p, L.free_slots, (size_t)L.nfree * sizeof(*p));
    if (L.next > 0)
      memcpy(st, L.state, (size_t)L.next);
    tf__freemem(L.free_slots);
    tf__freemem(L.state);
    L.free_slots = p;
    L.state = st;
    L.cap = cap;
  }
  return L.next++;
}

static void put_u32(unsigned char *p, uint32_t v) {
  int i;
  for (i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

void tf__w_ledger_add(HANDLE dir, const wchar_t *name, size_t len, int is_dir,
                      struct tf__w_mark *m) {
  unsigned char rec[TF_W_LEDGER_REC];
  uint32_t serial = 0;
  uint64_t index = 0;
  size_t i;
  long slot;
  int wrote;
  m->slot = -1;
  m->gen = 0;
  if (len == 0 || len > TF_W_LEDGER_NAME_MAX)
    return;
  tf__mutex_lock(&lock);
  if (L.h == NULL && !L.failed && open_ledger() < 0)
    L.failed = 1;
  if (L.h == NULL || cached_ident(dir, &serial, &index) < 0)
    goto out;
  slot = take_slot();
  if (slot < 0)
    goto out;
  L.state[slot] = TF_W_LEDGER_FREE;
  memset(rec, 0, sizeof(rec));
  rec[0] = TF_W_LEDGER_LIVE;
  rec[1] = (unsigned char)(is_dir ? TF_W_DIR : TF_W_FILE);
  rec[2] = (unsigned char)len;
  rec[3] = (unsigned char)(len >> 8);
  put_u32(rec + 4, serial);
  put_u32(rec + 8, (uint32_t)index);
  put_u32(rec + 12, (uint32_t)(index >> 32));
  for (i = 0; i < len; i++) {
    rec[TF_W_LEDGER_NAME_AT + 2 * i] = (unsigned char)name[i];
    rec[TF_W_LEDGER_NAME_AT + 2 * i + 1] = (unsigned char)(name[i] >> 8);
  }
  if (L.fresh && slot == 0) {
    char buf[TF_W_LEDGER_HEAD + TF_W_LEDGER_REC];
    memset(buf, 0, TF_W_LEDGER_HEAD);
    snprintf(buf, TF_W_LEDGER_HEAD, TF_W_LEDGER_MAGIC "pid %lu\n",
             (unsigned long)GetCurrentProcessId());
    memcpy(buf + TF_W_LEDGER_HEAD, rec, sizeof(rec));
    wrote = tf__w_write_at(L.h, buf, sizeof(buf), 0);
    L.fresh = wrote < 0;
  } else {
    wrote = tf__w_write_at(L.h, rec, sizeof(rec), record_at(slot));
  }
  if (wrote < 0) {
    /* Maybe half written: a reaper finds a name that does not exist,
     * or one made free again here. */
    L.free_slots[L.nfree++] = slot;
    if (L.nfree == L.next)
      delete_ledger();
    goto out;
  }
  L.state[slot] = TF_W_LEDGER_LIVE;
  L.live++;
  m->slot = slot;
  m->gen = L.gen;
out:
  tf__mutex_unlock(&lock);
}

/* Write the state byte of m's record (the lock held; m of this ledger),
 * and count the live ones.  A record that stays live by error would name
 * a kept object: the ledger is given up instead. */
static int set_state(const struct tf__w_mark *m, unsigned char state) {
  if (L.state[m->slot] == state)
    return 0;
  if (tf__w_write_at(L.h, &state, 1, record_at(m->slot)) < 0) {
    delete_ledger();
    L.failed = 1;
    return -EIO;
  }
  L.state[m->slot] = state;
  L.live += state == TF_W_LEDGER_LIVE ? 1 : -1;
  return 0;
}

static int is_current(const struct tf__w_mark *m) {
  return m->gen != 0 && m->gen == L.gen && L.h != NULL && m->slot >= 0;
}

void tf__w_ledger_set(const struct tf__w_mark *m, int live) {
  if (m->gen == 0)
    return;
  tf__mutex_lock(&lock);
  if (is_current(m))
    set_state(m, live ? TF_W_LEDGER_LIVE : TF_W_LEDGER_FREE);
  tf__mutex_unlock(&lock);
}

/* Give m's record back (the lock held). */
static void drop_locked(struct tf__w_mark *m) {
  if (is_current(m)) {
    if (L.exiting && L.nfree + 1 == L.next)
      delete_ledger(); /* the last record: no need to write it */
    else if (set_state(m, TF_W_LEDGER_FREE) == 0)
      L.free_slots[L.nfree++] = m->slot;
  }
  m->gen = 0;
  m->slot = -1;
}

void tf__w_ledger_drop(struct tf__w_mark *m) {
  if (m->gen == 0)
    return;
  tf__mutex_lock(&lock);
  drop_locked(m);
  tf__mutex_unlock(&lock);
}

/* The lock within a second, for cleaners: 1 if taken. */
static int lock_for_cleaner(void) {
  ULONGLONG deadline = GetTickCount64() + 1000;
  while (!TryAcquireSRWLockExclusive(&lock)) {
    if (GetTickCount64() >= deadline)
      return 0;
    Sleep(1);
  }
  return 1;
}

void tf__w_ledger_drop_cleaned(struct tf__w_mark *m) {
  if (m->gen == 0 || !lock_for_cleaner())
    return;
  drop_locked(m);
  tf__mutex_unlock(&lock);
}

static void remove_locked(void) {
  L.failed = 0; /* a later object tries again */
  if (L.h != NULL && L.nfree == L.next)
    delete_ledger();
}

void tf__w_ledger_remove(void) {
  tf__mutex_lock(&lock);
  remove_locked();
  tf__mutex_unlock(&lock);
}

void tf__w_ledger_remove_cleaned(void) {
  if (!lock_for_cleaner())
    return;
  remove_locked();
  tf__mutex_unlock(&lock);
}
