/* SPDX-License-Identifier: MIT */
/*
 * rmtree_win.c - the secure recursive removal on Windows, tf_rmtreeat()'s
 * guarantees with handles (the technique of Rust's remove_dir_all after
 * CVE-2022-21658): every object is opened relative to the handle of the
 * directory that holds it, never following a reparse point, and what it
 * is (file, directory, link) is read from the handle that was opened,
 * never from the listing, which may be stale by then.  Files and links
 * are deleted through their own handle; a directory is listed through
 * its handle, emptied, then deleted through it too.
 *
 * The walk is iterative: a stack of frames, one per directory from the
 * top to the one being emptied, and a stack of entries listed but not
 * yet removed (each frame owns a slice of it), so a directory's listing
 * resumes where it was after a subdirectory is done.
 *
 * At most WINDOW directory handles are held: the top's, and those of the
 * deepest WINDOW - 1 frames.  A deeper push closes the shallowest other
 * one.  Deleting a directory needs only its own handle, so an evicted
 * frame is needed again only when the walk climbs back to it; it is then
 * reopened by name, one component at a time from the top's handle (each
 * open relative to the previous, never following a reparse point, and
 * each directory's identity checked against the one first entered), and
 * the deepest WINDOW - 1 of that chain are kept.  So a climb reopens a
 * whole window at once: on a chain of depth D this costs D*D/(2*WINDOW)
 * extra opens, and nothing at all on trees less deep than WINDOW.  A
 * reopened directory lists again from its start: what was removed is
 * gone, only entries not seen yet and those that failed come back.
 */
#include "win.h"

#include <string.h>

#define WINDOW 32          /* directory handles held at once, at most */
#define LIST_BUFFER 65536  /* bytes per directory listing call */
#define NOT_EMPTY_ROUNDS 7 /* listings again of a directory still not
                              empty: 1 + 2 + ... + 64 ms of waiting */

/* What the walk needs of an object: read its identity, delete it. */
#define ACCESS_OBJECT (DELETE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES)
/* And of a directory, to list it and open what it holds. */
#define ACCESS_LIST (FILE_LIST_DIRECTORY | FILE_TRAVERSE)

struct entry {
  size_t name; /* offset in walk.entry_names */
  size_t len;  /* in units */
};

struct frame {
  HANDLE h; /* NULL while evicted */
  struct tf__w_id id;
  size_t name, name_len; /* in walk.names: its name in its parent */
  size_t entries;        /* start of its slice of walk.entries */
  size_t entry_names;    /* and of their names */
  int restart;           /* the next listing starts from the beginning */
  int eof;               /* listed to the end */
  int failed;            /* something in it could not be removed */
  int rounds;            /* listings again after it was found not empty */
};

struct walk {
  struct frame *frames; /* frames[0] is the top of the tree */
  size_t depth, frames_cap;
  wchar_t *names; /* the frames' names, one after another */
  size_t names_len, names_cap;
  struct entry *entries; /* listed, not yet removed */
  size_t nentries, entries_cap;
  wchar_t *entry_names;
  size_t entry_names_len, entry_names_cap;
  size_t first_open; /* frames [1, first_open) are evicted */
  void *buf;         /* LIST_BUFFER bytes, for the listings */
  int keep_top;      /* TF_CONTENTS_ONLY */
  int err;           /* the first error */
  int fatal;         /* out of memory: stop */
};

static void note(struct walk *w, int err) {
  if (w->err == 0 && err != -ENOENT && err != 0)
    w->err = err;
}

static void out_of_memory(struct walk *w) {
  note(w, -ENOMEM);
  w->fatal = 1;
}

/* Make room for need elements of elem bytes in *buf (cap of them).
 * Returns 0 or -ENOMEM (*buf untouched). */
static int grow(void **buf, size_t *cap, size_t need, size_t elem) {
  size_t new_cap;
  void *p;
  if (need <= *cap)
    return 0;
  new_cap = *cap * 2 > need ? *cap * 2 : need;
  if (new_cap < 16)
    new_cap = 16;
  if (new_cap > (size_t)-1 / elem)
    return -ENOMEM;
  p = tf__malloc(new_cap * elem);
  if (p == NULL)
    return -ENOMEM;
  if (*cap != 0)
    memcpy(p, *buf, *cap * elem);
  tf__freemem(*buf);
  *buf = p;
  *cap = new_cap;
  return 0;
}

/* The same object as h, opened again with access (not a lookup by name:
 * it can not be swapped meanwhile). */
static int reopen_handle(HANDLE h, ACCESS_MASK access, HANDLE *out) {
  HANDLE r = ReOpenFile(h, access | SYNCHRONIZE, TF_W_SHARE_ALL,
                        FILE_FLAG_BACKUP_SEMANTICS |
                            FILE_FLAG_OPEN_REPARSE_POINT);
  if (r == INVALID_HANDLE_VALUE)
    return tf__w_last_err();
  *out = r;
  return 0;
}

static int is_real_dir(const struct tf__w_id *id) {
  return (id->attributes & FILE_ATTRIBUTE_DIRECTORY) &&
         !TF_W_IS_LINK(id->attributes);
}

/* Open name under dir, never following a reparse point, with only what
 * identifying and deleting it needs (so a file others hold open without
 * sharing reads still can be), and read what it is from the handle. */
static int open_object(HANDLE dir, const wchar_t *name, size_t len,
                       HANDLE *out, struct tf__w_id *id) {
  HANDLE h;
  int rc = tf__w_open_at(dir, name, len, ACCESS_OBJECT, 0, FILE_OPEN, 0,
                         NULL, &h);
  if (rc < 0)
    return rc;
  rc = tf__w_id_of(h, id);
  if (rc < 0) {
    CloseHandle(h);
    return rc;
  }
  *out = h;
  return 0;
}

/* Delete the object open at h, close h.  Returns 0 or -errno. */
static int delete_and_close(HANDLE h) {
  int rc = tf__w_unlink_handle(h);
  CloseHandle(h);
  return rc;
}

/* ---- the stack of frames */

/* Close the shallowest open frame other than the top and the current
 * one, if WINDOW handles are open. */
static void make_room(struct walk *w) {
  struct frame *f;
  if (1 + w->depth - w->first_open < WINDOW || w->first_open >= w->depth)
    return;
  f = &w->frames[w->first_open++];
  CloseHandle(f->h);
  f->h = NULL;
}

/* Make the directory open at h (a listing handle; taken) the current
 * one.  Returns 0, or -ENOMEM with h closed. */
static int push(struct walk *w, HANDLE h, const struct tf__w_id *id,
                const wchar_t *name, size_t len) {
  struct frame *f;
  if (grow((void **)&w->frames, &w->frames_cap, w->depth + 1,
           sizeof(*w->frames)) < 0 ||
      grow((void **)&w->names, &w->names_cap, w->names_len + len,
           sizeof(wchar_t)) < 0) {
    CloseHandle(h);
    out_of_memory(w);
    return -ENOMEM;
  }
  if (w->depth > 0)
    make_room(w);
  f = &w->frames[w->depth++];
  f->h = h;
  f->id = *id;
  f->name = w->names_len;
  f->name_len = len;
  memcpy(w->names + w->names_len, name, len * sizeof(wchar_t));
  w->names_len += len;
  f->entries = w->nentries;
  f->entry_names = w->entry_names_len;
  f->restart = 1;
  f->eof = 0;
  f->failed = 0;
  f->rounds = 0;
  return 0;
}

/* Forget the current frame (its entries are done), closing its handle;
 * its parent learns whether it failed. */
static void pop(struct walk *w, int failed) {
  struct frame *f = &w->frames[--w->depth];
  if (f->h != NULL)
    CloseHandle(f->h);
  w->names_len = f->name;
  w->nentries = f->entries;
  w->entry_names_len = f->entry_names;
  if (w->first_open > w->depth)
    w->first_open = w->depth;
  if (failed && w->depth > 0)
    w->frames[w->depth - 1].failed = 1;
}

/* Open frames[i] under dir again by its name, checking it is still the
 * directory first entered.  Returns 0, -ESTALE, or -errno. */
static int reopen_frame(struct walk *w, HANDLE dir, size_t i, HANDLE *out) {
  struct frame *f = &w->frames[i];
  struct tf__w_id id;
  HANDLE h;
  int rc = tf__w_open_at(dir, w->names + f->name, f->name_len,
                         ACCESS_OBJECT | ACCESS_LIST, 0, FILE_OPEN,
                         FILE_DIRECTORY_FILE, NULL, &h);
  if (rc < 0)
    return rc;
  rc = tf__w_id_of(h, &id);
  if (rc == 0 && (!tf__w_same(&id, &f->id) || !is_real_dir(&id)))
    rc = -ESTALE;
  if (rc < 0) {
    CloseHandle(h);
    return rc;
  }
  *out = h;
  return 0;
}

/* The current frame is evicted: reopen the chain from the top down to
 * it, keeping the deepest WINDOW - 1 open.  If a directory of the chain
 * is gone (or another object took its name) the frames from it down can
 * not be reached again and are dropped: not an error if it was removed
 * by someone else. */
static void climb_back(struct walk *w) {
  size_t k = w->depth - 1, lo = k > WINDOW - 2 ? k - (WINDOW - 2) : 1, i;
  HANDLE dir = w->frames[0].h, h = NULL;
  int rc = 0;
  for (i = 1; i <= k; i++) {
    rc = reopen_frame(w, dir, i, &h);
    if (i - 1 >= 1 && i - 1 < lo)
      CloseHandle(dir); /* a step of the chain, not kept */
    if (rc < 0)
      break;
    if (i >= lo) {
      w->frames[i].h = h;
      w->frames[i].restart = 1;
    }
    dir = h;
  }
  if (rc == 0) {
    w->first_open = lo;
    return;
  }
  /* Frames [lo, i) were opened: keep them counted as open until popped. */
  w->first_open = i > lo ? lo : i;
  note(w, rc);
  while (w->depth > i)
    pop(w, rc != -ENOENT);
}

/* ---- one directory */

static int is_dot_or_dotdot(const wchar_t *name, size_t len) {
  return name[0] == L'.' && (len == 1 || (len == 2 && name[1] == L'.'));
}

/* Read the next part of the current directory's listing onto the
 * entries stack. */
static void list_more(struct walk *w, struct frame *f) {
  FILE_INFO_BY_HANDLE_CLASS cls =
      f->restart ? FileFullDirectoryRestartInfo : FileFullDirectoryInfo;
  const char *p = w->buf;
  f->restart = 0;
  if (!GetFileInformationByHandleEx(f->h, cls, w->buf, LIST_BUFFER)) {
    DWORD err = GetLastError();
    f->eof = 1;
    if (err != ERROR_NO_MORE_FILES && err != ERROR_FILE_NOT_FOUND) {
      note(w, tf__w_err(err));
      f->failed = 1;
    }
    return;
  }
  for (;;) {
    const FILE_FULL_DIR_INFO *e = (const FILE_FULL_DIR_INFO *)p;
    size_t len = e->FileNameLength / sizeof(wchar_t);
    if (len > 0 && !is_dot_or_dotdot(e->FileName, len)) {
      if (grow((void **)&w->entries, &w->entries_cap, w->nentries + 1,
               sizeof(*w->entries)) < 0 ||
          grow((void **)&w->entry_names, &w->entry_names_cap,
               w->entry_names_len + len, sizeof(wchar_t)) < 0) {
        out_of_memory(w);
        return;
      }
      w->entries[w->nentries].name = w->entry_names_len;
      w->entries[w->nentries].len = len;
      w->nentries++;
      memcpy(w->entry_names + w->entry_names_len, e->FileName,
             len * sizeof(wchar_t));
      w->entry_names_len += len;
    }
    if (e->NextEntryOffset == 0)
      break;
    p += e->NextEntryOffset;
  }
}

/* Remove the last listed entry of the current directory: a file or a
 * link at once, a directory by entering it. */
static void remove_entry(struct walk *w, struct frame *f) {
  const struct entry *e = &w->entries[w->nentries - 1];
  const wchar_t *name = w->entry_names + e->name;
  struct tf__w_id id;
  HANDLE h, list = NULL;
  int rc = open_object(f->h, name, e->len, &h, &id), list_rc = 0;
  if (rc == 0 && is_real_dir(&id)) {
    list_rc = reopen_handle(h, ACCESS_OBJECT | ACCESS_LIST, &list);
    if (list_rc == 0) {
      CloseHandle(h);
      /* The entry is done once its frame is: pop it first, the name is
       * copied by push() before anything overwrites it. */
      w->nentries--;
      w->entry_names_len = e->name;
      push(w, list, &id, name, e->len);
      return;
    }
    /* Not listable: it can still go if it is empty. */
  }
  if (rc == 0)
    rc = delete_and_close(h);
  if (rc < 0 && list_rc < 0)
    rc = list_rc; /* why it could not be emptied */
  w->nentries--;
  w->entry_names_len = e->name;
  if (rc < 0 && rc != -ENOENT) {
    note(w, rc);
    f->failed = 1;
  }
}

/* 0 if the directory open at f lists nothing, else -ENOTEMPTY (what
 * TF_CONTENTS_ONLY checks at the end, where no deletion would fail). */
static int check_empty(struct walk *w, struct frame *f) {
  const char *p = w->buf;
  if (!GetFileInformationByHandleEx(f->h, FileFullDirectoryRestartInfo,
                                    w->buf, LIST_BUFFER)) {
    DWORD err = GetLastError();
    return err == ERROR_NO_MORE_FILES || err == ERROR_FILE_NOT_FOUND
               ? 0
               : tf__w_err(err);
  }
  for (;;) {
    const FILE_FULL_DIR_INFO *e = (const FILE_FULL_DIR_INFO *)p;
    size_t len = e->FileNameLength / sizeof(wchar_t);
    if (len > 0 && !is_dot_or_dotdot(e->FileName, len))
      return -ENOTEMPTY;
    if (e->NextEntryOffset == 0)
      return 0;
    p += e->NextEntryOffset;
  }
}

/* The current directory is listed to the end and its entries are done:
 * delete it (the top kept by TF_CONTENTS_ONLY: check it is empty), or, if it
 * is found not empty and nothing in it failed, list it again a few
 * times (an entry added meanwhile; a deleted file whose name lingers
 * while another process still holds it open). */
static void finish_dir(struct walk *w, struct frame *f) {
  int rc = w->depth == 1 && w->keep_top ? check_empty(w, f)
                                        : tf__w_unlink_handle(f->h);
  if (rc == -ENOTEMPTY && !f->failed && f->rounds < NOT_EMPTY_ROUNDS) {
    Sleep(1u << f->rounds);
    f->rounds++;
    f->restart = 1;
    f->eof = 0;
    return;
  }
  if (rc < 0 && rc != -ENOENT)
    note(w, rc);
  pop(w, rc < 0 && rc != -ENOENT);
}

static void run(struct walk *w) {
  while (w->depth > 0 && !w->fatal) {
    struct frame *f = &w->frames[w->depth - 1];
    if (f->h == NULL)
      climb_back(w);
    else if (w->nentries > f->entries)
      remove_entry(w, f);
    else if (!f->eof)
      list_more(w, f);
    else
      finish_dir(w, f);
  }
  while (w->depth > 0)
    pop(w, 0);
}

/* ---- the top */

/* After the walk deleted the top and closed it: is it gone?  Where
 * names go only at the last close, a deletion that was accepted can
 * still leave the directory (Wine accepts a directory's deletion while
 * a deleted file in it is held open, then keeps both).  Returns 0 or
 * -ENOTEMPTY. */
static int check_top_gone(HANDLE parent, const wchar_t *name, size_t len,
                          const struct tf__w_id *top) {
  struct tf__w_id id;
  HANDLE h;
  int still_there;
  if (open_object(parent, name, len, &h, &id) < 0)
    return 0;
  still_there = tf__w_same(&id, top);
  CloseHandle(h);
  return still_there ? -ENOTEMPTY : 0;
}

/* Open the top, check it, and either deal with it at once (a link, a
 * file, another object, nothing) with *list left NULL, or return 0 with
 * a listing handle of the directory in *list. */
static int open_top(HANDLE parent, const wchar_t *name, size_t len,
                    const struct tf__w_id *expect, unsigned flags,
                    HANDLE *list, struct tf__w_id *id) {
  HANDLE h;
  int rc = open_object(parent, name, len, &h, id);
  *list = NULL;
  if (rc < 0)
    return rc == -ENOENT ? 0 : rc; /* already removed */
  if (expect != NULL && !tf__w_same(expect, id))
    rc = -ESTALE;
  else if (TF_W_IS_LINK(id->attributes))
    rc = (flags & TF_CONTENTS_ONLY) ? -ENOTDIR : tf__w_unlink_handle(h);
  else if (!(id->attributes & FILE_ATTRIBUTE_DIRECTORY))
    rc = -ENOTDIR;
  else if (!(flags & TF_CONTENTS_ONLY) && tf__w_unlink_handle(h) == 0)
    rc = 0; /* it was empty: gone with no listing (refused otherwise, also
               for a deleted entry still held open in it) */
  else
    rc = reopen_handle(h, ACCESS_OBJECT | ACCESS_LIST, list);
  CloseHandle(h);
  return rc == -ENOENT ? 0 : rc;
}

static void walk_free(struct walk *w) {
  tf__freemem(w->frames);
  tf__freemem(w->names);
  tf__freemem(w->entries);
  tf__freemem(w->entry_names);
  tf__freemem(w->buf);
}

int tf__w_rmtree_at(HANDLE parent, const wchar_t *name, size_t len,
                    const struct tf__w_id *expect, unsigned flags) {
  struct walk w;
  struct tf__w_id id;
  HANDLE list;
  int rc, walked;
  if (parent == NULL || parent == INVALID_HANDLE_VALUE || name == NULL ||
      len == 0 || (flags & ~(unsigned)(TF_IGNORE_ERRORS | TF_CONTENTS_ONLY)))
    return -EINVAL;
  memset(&w, 0, sizeof(w));
  w.first_open = 1;
  w.keep_top = (flags & TF_CONTENTS_ONLY) != 0;
  w.buf = tf__malloc(LIST_BUFFER);
  if (w.buf == NULL)
    return (flags & TF_IGNORE_ERRORS) ? 0 : -ENOMEM;
  rc = open_top(parent, name, len, expect, flags, &list, &id);
  walked = rc == 0 && list != NULL;
  if (walked && push(&w, list, &id, name, len) == 0)
    run(&w);
  if (rc == 0)
    rc = w.err;
  if (rc == 0 && walked && !w.keep_top)
    rc = check_top_gone(parent, name, len, &id);
  walk_free(&w);
  return (flags & TF_IGNORE_ERRORS) ? 0 : rc;
}
