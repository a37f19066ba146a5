/* SPDX-License-Identifier: MIT */
/*
 * selftest.c - the explorer on hand-made traces whose crash states are
 * known: each case says how many states each model allows and how many
 * break a small invariant, counted by hand from README.md's rules.  A
 * model that forces too much (and so would miss a violation) or too
 * little fails here before any scenario runs.
 */
#include "model.h"

#include <string.h>

#define ROOT 1ul
#define A 10ul /* inodes the cases make */
#define B 11ul
#define OLD 20ul /* inodes there before */
#define NEW 21ul

static unsigned char bytes_a[8192], bytes_b[8192];

static void op(struct crash_trace *t, enum crash_kind kind, unsigned long ino,
               const char *name) {
  struct crash_op o = crash_op_make(kind, "hand-made", ino);
  o.dir = ROOT;
  o.mode = 0600;
  if (name != NULL)
    snprintf(o.name, sizeof(o.name), "%s", name);
  crash_trace_add(t, &o);
}

static void write_op(struct crash_trace *t, unsigned long ino, int64_t off,
                     int64_t len, unsigned char *data) {
  struct crash_op o = crash_op_make(CRASH_WRITE, "hand-made", ino);
  o.off = off;
  o.len = len;
  o.data = data;
  crash_trace_add(t, &o);
}

static void rename_op(struct crash_trace *t, const char *from, const char *to,
                      unsigned int flags, unsigned long ino, unsigned long ino2) {
  struct crash_op o = crash_op_make(CRASH_RENAME, "hand-made", ino);
  o.dir = o.dir2 = ROOT;
  o.flags = flags;
  o.ino2 = ino2;
  snprintf(o.name, sizeof(o.name), "%s", from);
  snprintf(o.name2, sizeof(o.name2), "%s", to);
  crash_trace_add(t, &o);
}

/* A file there before the trace: name for ino, len bytes of data. */
static void initial(struct crash_trace *t, const char *name, unsigned long ino,
                    unsigned char *data, int64_t len) {
  static struct crash_file files[2];
  struct crash_file *f = &files[t->ninitial];
  memset(f, 0, sizeof(*f));
  snprintf(f->name, sizeof(f->name), "%s", name);
  f->ino = ino;
  f->mode = 0644;
  f->data = data;
  f->size = len;
  t->initial = files;
  t->ninitial++;
}

/* ------------------------------------------------------- the invariants */

static int holds(const struct crash_inode *in, const unsigned char *d, int64_t n) {
  return in != NULL && in->size == n && memcmp(in->data, d, (size_t)n) == 0;
}

/* "t" is missing or holds all 100 bytes of A's data. */
static int t_missing_or_complete(const struct crash_fs *fs, int r, void *c,
                                 char *why, size_t n) {
  const struct crash_inode *in = crash_fs_lookup(fs, ROOT, "t");
  (void)r, (void)c, (void)why, (void)n;
  return in == NULL || holds(in, bytes_a, 100);
}

/* "y" never without "x". */
static int y_needs_x(const struct crash_fs *fs, int r, void *c, char *why, size_t n) {
  (void)r, (void)c, (void)why, (void)n;
  return crash_fs_lookup(fs, ROOT, "y") == NULL || crash_fs_lookup(fs, ROOT, "x") != NULL;
}

/* "x" there once the mark "returned" is passed. */
static int x_once_returned(const struct crash_fs *fs, int r, void *c, char *why,
                           size_t n) {
  (void)c, (void)why, (void)n;
  return !r || crash_fs_lookup(fs, ROOT, "x") != NULL;
}

/* "t" and "u" name the two inodes, one each. */
static int t_u_swapped_or_not(const struct crash_fs *fs, int r, void *c, char *why,
                              size_t n) {
  const struct crash_inode *t = crash_fs_lookup(fs, ROOT, "t");
  const struct crash_inode *u = crash_fs_lookup(fs, ROOT, "u");
  (void)r, (void)c, (void)why, (void)n;
  return t != NULL && u != NULL && t != u;
}

/* "t" holds all of the old 8192 bytes or all of the new. */
static int t_old_or_new(const struct crash_fs *fs, int r, void *c, char *why,
                        size_t n) {
  const struct crash_inode *in = crash_fs_lookup(fs, ROOT, "t");
  (void)r, (void)c, (void)why, (void)n;
  return holds(in, bytes_a, 8192) || holds(in, bytes_b, 8192);
}

/* "t" is not the first write's 100 bytes followed by the second's last
 * 50: the two overlapping writes persisted in the reverse order. */
static int not_reordered(const struct crash_fs *fs, int r, void *c, char *why,
                         size_t n) {
  const struct crash_inode *in = crash_fs_lookup(fs, ROOT, "t");
  (void)r, (void)c, (void)why, (void)n;
  return !(in != NULL && in->size == 150 && memcmp(in->data, bytes_a, 100) == 0 &&
           memcmp(in->data + 100, bytes_b + 100, 50) == 0);
}

/* ------------------------------------------------------------ the cases */

struct expected {
  uint64_t states, violations;
};

struct selfcase {
  const char *name;
  void (*trace)(struct crash_trace *t);
  crash_check_fn check;
  struct expected weak, ext4;
};

/* create a, write 100 bytes, rename a -> t: the weak model allows 1 + 2
 * + 4 + 8 states, 2 of them a renamed empty file; ext4 1 + 2 + 2*2 +
 * 3*2, and only the journal's full prefix without the data breaks it */
static void unsynced_rename(struct crash_trace *t) {
  op(t, CRASH_CREATE, A, "a");
  write_op(t, A, 0, 100, bytes_a);
  rename_op(t, "a", "t", 0, A, 0);
}

/* the same with fsync(a) before the rename: nothing breaks; weak 1 + 2 +
 * 4 + 2 + 4 states, ext4 1 + 2 + 2*2 + 1 + 2 */
static void synced_rename(struct crash_trace *t) {
  op(t, CRASH_CREATE, A, "a");
  write_op(t, A, 0, 100, bytes_a);
  op(t, CRASH_FSYNC, A, NULL);
  rename_op(t, "a", "t", 0, A, 0);
}

/* two names, unsynced: weak lets the second persist alone (1 + 1 + 2 +
 * 4 states), ext4's journal does not (1 + 1 + 2 + 3) */
static void two_names(struct crash_trace *t) {
  op(t, CRASH_TMPFILE, A, NULL);
  op(t, CRASH_LINK, A, "x");
  op(t, CRASH_LINK, A, "y");
}

/* a name, then an fsync of another file: it commits ext4's journal (1 +
 * 1 + 1 + 2 + 1 + 1 states), but in weak only the directory's fsync
 * forces the name (1 + 1 + 1 + 2 + 2 + 2, the last one without it) */
static void other_fsync(struct crash_trace *t) {
  op(t, CRASH_TMPFILE, A, NULL);
  op(t, CRASH_TMPFILE, B, NULL);
  op(t, CRASH_LINK, A, "x");
  op(t, CRASH_FSYNC, B, NULL);
  op(t, CRASH_MARK, 0, "returned");
}

/* a name, then its directory's fsync: forced in both (1 + 1 + 2 + 1 + 1) */
static void dir_fsync(struct crash_trace *t) {
  op(t, CRASH_TMPFILE, A, NULL);
  op(t, CRASH_LINK, A, "x");
  op(t, CRASH_FSYNC, ROOT, NULL);
  op(t, CRASH_MARK, 0, "returned");
}

/* RENAME_EXCHANGE of t and u: both names always, swapped or not */
static void exchange(struct crash_trace *t) {
  initial(t, "t", OLD, bytes_a, 100);
  initial(t, "u", NEW, bytes_b, 100);
  rename_op(t, "u", "t", 2, NEW, OLD);
}

/* an unsynced overwrite of two blocks: each block persists or not (1 +
 * 4 states, 2 of them mixed) */
static void torn_overwrite(struct crash_trace *t) {
  initial(t, "t", OLD, bytes_a, 8192);
  write_op(t, OLD, 0, 8192, bytes_b);
}

/* [0, 100) then [50, 150): persisting in the reverse order must be one of
 * the states (the units are cut at 50 and 100: 1 + 1 + 2 + 1 + 4 + 16) */
static void overlapping_writes(struct crash_trace *t) {
  op(t, CRASH_TMPFILE, A, NULL);
  op(t, CRASH_LINK, A, "t");
  op(t, CRASH_FSYNC, ROOT, NULL);
  write_op(t, A, 0, 100, bytes_a);
  write_op(t, A, 50, 100, bytes_b + 50);
}

static const struct selfcase cases[] = {
    {"unsynced data, then rename", unsynced_rename, t_missing_or_complete,
     {15, 2}, {13, 1}},
    {"fsync, then rename", synced_rename, t_missing_or_complete, {13, 0}, {10, 0}},
    {"two names, no fsync", two_names, y_needs_x, {8, 1}, {7, 0}},
    {"a name, then another file's fsync", other_fsync, x_once_returned,
     {9, 1}, {7, 0}},
    {"a name, then the directory's fsync", dir_fsync, x_once_returned, {6, 0}, {6, 0}},
    {"RENAME_EXCHANGE", exchange, t_u_swapped_or_not, {3, 0}, {3, 0}},
    {"unsynced overwrite of two blocks", torn_overwrite, t_old_or_new, {5, 2}, {5, 2}},
    {"overlapping writes in reverse order", overlapping_writes, not_reordered,
     {25, 1}, {25, 1}},
};

void crash_model_selftest(FILE *out, unsigned *passed, unsigned *failed) {
  struct crash_limits all = {UINT64_MAX, 0, 1};
  size_t i, m, good = 0, n = sizeof(cases) / sizeof(cases[0]);
  for (i = 0; i < 8192; i++) {
    bytes_a[i] = (unsigned char)('a' + i % 26);
    bytes_b[i] = (unsigned char)('A' + i % 26);
  }
  for (i = 0; i < n; i++) {
    struct crash_trace t;
    int ok = 1;
    memset(&t, 0, sizeof(t));
    t.root = ROOT;
    cases[i].trace(&t);
    for (m = 0; m < 2; m++) {
      const struct expected *e = m == 0 ? &cases[i].weak : &cases[i].ext4;
      struct crash_result r;
      if (crash_explore(&t, m == 0 ? CRASH_MODEL_WEAK : CRASH_MODEL_EXT4, &all,
                        cases[i].check, NULL, &r, NULL) != 0 ||
          r.explored != e->states || r.violations != e->violations) {
        fprintf(out, "FAIL model self-test \"%s\", %s model: %llu states, %llu "
                     "violations; expected %llu and %llu\n",
                cases[i].name, m == 0 ? "weak" : "ext4",
                (unsigned long long)r.explored, (unsigned long long)r.violations,
                (unsigned long long)e->states, (unsigned long long)e->violations);
        ok = 0;
      }
    }
    t.initial = NULL; /* static */
    t.ninitial = 0;
    crash_trace_free(&t);
    good += ok;
    if (ok)
      ++*passed;
    else
      ++*failed;
  }
  fprintf(out, "model self-test: %zu of %zu hand-made traces give the states "
               "and violations counted by hand, under both models\n",
          good, n);
}
