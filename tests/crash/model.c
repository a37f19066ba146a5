/* SPDX-License-Identifier: MIT */
/*
 * model.c - the crash-state explorer (after ALICE, Pillai et al., OSDI
 * 2014).  A trace is cut into units, the smallest effects that persist
 * or not as a whole: a write becomes one unit per 4 KiB block it touches
 * (cut further where another write to the file begins or ends, so that
 * any order overlapping writes persist in gives a state some subset of
 * units gives too), every other effect is one unit, and events (fsync,
 * close, marks) are none.  A crash after the first p calls leaves the initial directory
 * with some of the units of those calls applied, in the order they were
 * made.  Which subsets are possible is the model's business:
 *
 *   weak  a unit is forced once an fsync of its object returned (a
 *         file's data, size and mode: the file; a name: its directory);
 *         any other subset may persist;
 *   ext4  metadata units (names, truncates, modes, owners) persist as a
 *         prefix of the order they were made in (the journal), at least
 *         up to the last fsync of anything (a commit); data units as in
 *         weak, independently of the journal (delayed allocation).
 *
 * States are enumerated when there are at most lim->exhaustive_max of
 * them; otherwise, for each crash point, the states with none and with
 * all of the free units persisted, then random ones (seeded), up to
 * lim->samples.
 */
#include "model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 4096
#define NEVER ((size_t)-1)

enum unit_class { UNIT_DATA, UNIT_META, UNIT_ENTRY };

struct unit {
  size_t op;                 /* index of its call in the trace */
  enum unit_class cls;
  int64_t off, len;          /* UNIT_DATA: the piece of the write */
  size_t sync_at;            /* first call after which it is forced */
};

struct plan {
  const struct crash_trace *t;
  enum crash_model model;
  struct unit *u;
  size_t nu;
  size_t returned;           /* index of the "returned" mark, or NEVER */
  struct crash_fs fs;
  unsigned char **initial;   /* each inode's contents before (or NULL) */
  int64_t *initial_size, *cap;
  char *persist;             /* per unit, for the state being built */
  uint64_t rng;
};

const char *crash_model_name(enum crash_model m) {
  return m == CRASH_MODEL_WEAK ? "weak" : "ext4";
}

static uint64_t next_random(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* ------------------------------------------------------------ the state */

static struct crash_inode *inode_of(const struct crash_fs *fs, unsigned long ino) {
  size_t i;
  for (i = 0; i < fs->ninodes; i++)
    if (fs->inodes[i].ino == ino)
      return &fs->inodes[i];
  return NULL;
}

const struct crash_inode *crash_fs_lookup(const struct crash_fs *fs,
                                          unsigned long dir, const char *name) {
  size_t i;
  for (i = 0; i < fs->nentries; i++)
    if (fs->entries[i].dir == dir && strcmp(fs->entries[i].name, name) == 0)
      return inode_of(fs, fs->entries[i].ino);
  return NULL;
}

static void entry_remove(struct crash_fs *fs, unsigned long dir, const char *name) {
  size_t i;
  for (i = 0; i < fs->nentries; i++)
    if (fs->entries[i].dir == dir && strcmp(fs->entries[i].name, name) == 0) {
      fs->entries[i] = fs->entries[--fs->nentries];
      return;
    }
}

static void entry_set(struct crash_fs *fs, unsigned long dir, const char *name,
                      unsigned long ino) {
  size_t i;
  for (i = 0; i < fs->nentries; i++)
    if (fs->entries[i].dir == dir && strcmp(fs->entries[i].name, name) == 0) {
      fs->entries[i].ino = ino;
      return;
    }
  /* entries_cap covers the initial entries and one per call */
  fs->entries[fs->nentries].dir = dir;
  fs->entries[fs->nentries].name = name;
  fs->entries[fs->nentries].ino = ino;
  fs->nentries++;
}

static void resize(struct crash_inode *in, int64_t size) {
  if (size < in->size)
    memset(in->data + size, 0, (size_t)(in->size - size));
  in->size = size;
}

static void apply(struct plan *pl, const struct unit *u) {
  const struct crash_op *op = &pl->t->ops[u->op];
  struct crash_fs *fs = &pl->fs;
  struct crash_inode *in = inode_of(fs, op->ino);
  switch (op->kind) {
  case CRASH_WRITE:
    if (in == NULL)
      return;
    memcpy(in->data + u->off, op->data + (u->off - op->off), (size_t)u->len);
    if (u->off + u->len > in->size)
      in->size = u->off + u->len;
    break;
  case CRASH_TRUNCATE:
    if (in != NULL)
      resize(in, op->off);
    break;
  case CRASH_CHMOD:
    if (in != NULL)
      in->mode = op->mode;
    break;
  case CRASH_CHOWN:
    if (in != NULL) {
      in->uid = op->uid;
      in->gid = op->gid;
      in->mode = op->mode;
    }
    break;
  case CRASH_CREATE:
  case CRASH_MKDIR:
  case CRASH_LINK:
    entry_set(fs, op->dir, op->name, op->ino);
    break;
  case CRASH_UNLINK:
    entry_remove(fs, op->dir, op->name);
    break;
  case CRASH_RENAME:
    if (op->flags & 2) { /* RENAME_EXCHANGE */
      entry_set(fs, op->dir2, op->name2, op->ino);
      entry_set(fs, op->dir, op->name, op->ino2);
    } else {
      entry_remove(fs, op->dir, op->name);
      entry_set(fs, op->dir2, op->name2, op->ino);
    }
    break;
  default:
    break;
  }
}

/* Back to the directory as it was before the scenario. */
static void reset(struct plan *pl) {
  const struct crash_trace *t = pl->t;
  struct crash_fs *fs = &pl->fs;
  size_t i;
  for (i = 0; i < fs->ninodes; i++) {
    struct crash_inode *in = &fs->inodes[i];
    memset(in->data, 0, (size_t)pl->cap[i]);
    in->size = pl->initial_size[i];
    if (pl->initial[i] != NULL)
      memcpy(in->data, pl->initial[i], (size_t)in->size);
  }
  /* the inodes' first attributes */
  for (i = 0; i < t->ninitial; i++) {
    struct crash_inode *in = inode_of(fs, t->initial[i].ino);
    in->mode = t->initial[i].mode;
    in->uid = t->initial[i].uid;
    in->gid = t->initial[i].gid;
  }
  for (i = 0; i < t->nops; i++) {
    const struct crash_op *op = &t->ops[i];
    if (op->kind == CRASH_CREATE || op->kind == CRASH_TMPFILE ||
        op->kind == CRASH_MKDIR) {
      struct crash_inode *in = inode_of(fs, op->ino);
      in->mode = op->mode;
      in->uid = op->uid;
      in->gid = op->gid;
    }
  }
  fs->nentries = 0;
  for (i = 0; i < t->ninitial; i++)
    entry_set(fs, t->root, t->initial[i].name, t->initial[i].ino);
}

/* ------------------------------------------------------------- the plan */

static int is_new_inode(const struct crash_op *op) {
  return op->kind == CRASH_CREATE || op->kind == CRASH_TMPFILE ||
         op->kind == CRASH_MKDIR;
}

static int add_inode(struct plan *pl, unsigned long ino, int is_dir,
                     const unsigned char *data, int64_t size) {
  struct crash_fs *fs = &pl->fs;
  size_t i = fs->ninodes;
  if (inode_of(fs, ino) != NULL)
    return 0;
  fs->inodes[i].ino = ino;
  fs->inodes[i].is_dir = is_dir;
  pl->initial[i] = NULL;
  pl->initial_size[i] = size;
  pl->cap[i] = size;
  if (size > 0) {
    pl->initial[i] = malloc((size_t)size);
    if (pl->initial[i] == NULL)
      return -ENOMEM;
    memcpy(pl->initial[i], data, (size_t)size);
  }
  fs->ninodes++;
  return 0;
}

/* How large each inode's buffer must be: the largest size any state can
 * give it. */
static int size_buffers(struct plan *pl) {
  const struct crash_trace *t = pl->t;
  size_t i;
  for (i = 0; i < t->nops; i++) {
    const struct crash_op *op = &t->ops[i];
    struct crash_inode *in = inode_of(&pl->fs, op->ino);
    int64_t end = op->kind == CRASH_WRITE ? op->off + op->len
                  : op->kind == CRASH_TRUNCATE ? op->off : 0;
    if (in != NULL && end > pl->cap[in - pl->fs.inodes])
      pl->cap[in - pl->fs.inodes] = end;
  }
  for (i = 0; i < pl->fs.ninodes; i++) {
    pl->fs.inodes[i].data = malloc(pl->cap[i] > 0 ? (size_t)pl->cap[i] : 1);
    if (pl->fs.inodes[i].data == NULL)
      return -ENOMEM;
  }
  return 0;
}

static enum unit_class class_of(const struct crash_op *op) {
  switch (op->kind) {
  case CRASH_WRITE: return UNIT_DATA;
  case CRASH_TRUNCATE:
  case CRASH_CHMOD:
  case CRASH_CHOWN: return UNIT_META;
  default: return UNIT_ENTRY;
  }
}

static int has_unit(const struct crash_op *op) {
  return op->kind != CRASH_TMPFILE && op->kind != CRASH_FSYNC &&
         op->kind != CRASH_CLOSE && op->kind != CRASH_MARK;
}

/* The first fsync after call i that forces unit u under the model. */
static size_t forced_by(const struct plan *pl, const struct unit *u) {
  const struct crash_trace *t = pl->t;
  const struct crash_op *op = &t->ops[u->op];
  size_t i;
  for (i = u->op + 1; i < t->nops; i++) {
    const struct crash_op *s = &t->ops[i];
    if (s->kind != CRASH_FSYNC)
      continue;
    if (pl->model == CRASH_MODEL_EXT4 && u->cls != UNIT_DATA)
      return i; /* any fsync commits the journal */
    if (u->cls != UNIT_ENTRY ? s->ino == op->ino
                             : s->ino == op->dir || s->ino == op->dir2)
      return i;
  }
  return NEVER;
}

static int add_unit(struct plan *pl, size_t op, enum unit_class cls,
                    int64_t off, int64_t len, size_t *cap) {
  struct unit *u;
  if (pl->nu == *cap) {
    struct unit *n = realloc(pl->u, (*cap = *cap ? *cap * 2 : 64) * sizeof(*n));
    if (n == NULL)
      return -ENOMEM;
    pl->u = n;
  }
  u = &pl->u[pl->nu++];
  u->op = op;
  u->cls = cls;
  u->off = off;
  u->len = len;
  u->sync_at = forced_by(pl, u);
  return 0;
}

/* Where the data unit of a write to ino starting at off ends: the next
 * block boundary, or where another write to ino begins or ends, before
 * end. */
static int64_t next_cut(const struct crash_trace *t, unsigned long ino,
                        int64_t off, int64_t end) {
  int64_t cut = (off / BLOCK + 1) * BLOCK;
  size_t i;
  if (cut > end)
    cut = end;
  for (i = 0; i < t->nops; i++) {
    const struct crash_op *w = &t->ops[i];
    if (w->kind != CRASH_WRITE || w->ino != ino)
      continue;
    if (w->off > off && w->off < cut)
      cut = w->off;
    if (w->off + w->len > off && w->off + w->len < cut)
      cut = w->off + w->len;
  }
  return cut;
}

static int build_units(struct plan *pl) {
  const struct crash_trace *t = pl->t;
  size_t i, cap = 0;
  for (i = 0; i < t->nops; i++) {
    const struct crash_op *op = &t->ops[i];
    if (!has_unit(op))
      continue;
    if (op->kind == CRASH_WRITE) {
      int64_t off = op->off, end = op->off + op->len;
      while (off < end) {
        int64_t next = next_cut(t, op->ino, off, end);
        if (add_unit(pl, i, UNIT_DATA, off, next - off, &cap) != 0)
          return -ENOMEM;
        off = next;
      }
    } else if (add_unit(pl, i, class_of(op), 0, 0, &cap) != 0) {
      return -ENOMEM;
    }
  }
  return 0;
}

static void plan_free(struct plan *pl) {
  size_t i;
  for (i = 0; i < pl->fs.ninodes; i++) {
    free(pl->fs.inodes[i].data);
    free(pl->initial[i]);
  }
  free(pl->fs.inodes);
  free(pl->fs.entries);
  free(pl->initial);
  free(pl->initial_size);
  free(pl->cap);
  free(pl->u);
  free(pl->persist);
}

static int plan_init(struct plan *pl, const struct crash_trace *t,
                     enum crash_model m) {
  size_t i, n = t->ninitial + t->nops + 1;
  memset(pl, 0, sizeof(*pl));
  pl->t = t;
  pl->model = m;
  pl->returned = NEVER;
  pl->fs.inodes = calloc(n, sizeof(*pl->fs.inodes));
  pl->fs.entries = calloc(n, sizeof(*pl->fs.entries));
  pl->fs.entries_cap = n;
  pl->initial = calloc(n, sizeof(*pl->initial));
  pl->initial_size = calloc(n, sizeof(*pl->initial_size));
  pl->cap = calloc(n, sizeof(*pl->cap));
  if (!pl->fs.inodes || !pl->fs.entries || !pl->initial || !pl->initial_size ||
      !pl->cap)
    goto nomem;
  for (i = 0; i < t->ninitial; i++)
    if (add_inode(pl, t->initial[i].ino, t->initial[i].is_dir,
                  t->initial[i].data, t->initial[i].size) != 0)
      goto nomem;
  for (i = 0; i < t->nops; i++) {
    if (is_new_inode(&t->ops[i]) &&
        add_inode(pl, t->ops[i].ino, t->ops[i].kind == CRASH_MKDIR, NULL, 0) != 0)
      goto nomem;
    if (t->ops[i].kind == CRASH_MARK && strcmp(t->ops[i].name, "returned") == 0)
      pl->returned = i;
  }
  if (size_buffers(pl) != 0 || build_units(pl) != 0)
    goto nomem;
  pl->persist = calloc(pl->nu + 1, 1);
  if (pl->persist == NULL)
    goto nomem;
  return 0;
nomem:
  plan_free(pl);
  return -ENOMEM;
}

/* --------------------------------------------------------- the explorer */

/* The units a crash after the first p calls may or may not persist. */
struct point {
  size_t p;
  size_t issued;        /* units of the first p calls: u[0, issued) */
  size_t *free_u;       /* weak: all free units; ext4: free data units */
  size_t nfree;
  size_t *journal;      /* ext4: the metadata units issued, in order */
  size_t njournal, nforced_journal;
};

static uint64_t sat_mul(uint64_t a, uint64_t b) {
  return a != 0 && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

static uint64_t point_states(const struct point *pt, enum crash_model m) {
  uint64_t n = pt->nfree >= 64 ? UINT64_MAX : (uint64_t)1 << pt->nfree;
  if (m == CRASH_MODEL_EXT4)
    n = sat_mul(n, pt->njournal - pt->nforced_journal + 1);
  return n;
}

static void point_at(const struct plan *pl, size_t p, struct point *pt) {
  size_t i;
  pt->p = p;
  pt->nfree = pt->njournal = pt->nforced_journal = 0;
  for (i = 0; i < pl->nu && pl->u[i].op < p; i++) {
    int forced = pl->u[i].sync_at < p;
    if (pl->model == CRASH_MODEL_EXT4 && pl->u[i].cls != UNIT_DATA) {
      pt->journal[pt->njournal++] = i;
      if (forced)
        pt->nforced_journal = pt->njournal; /* a prefix: see forced_by */
    } else if (!forced) {
      pt->free_u[pt->nfree++] = i;
    }
  }
  pt->issued = i;
}

/* Which of the free units a state persists. */
enum pick { PICK_BITS, PICK_NONE, PICK_ALL, PICK_RANDOM };

/* Mark the units of a state: the forced ones, the free ones as pick says
 * (PICK_BITS: free unit i if bit i of bits is set; fewer than 64 free
 * units), and with ext4 the first k metadata units. */
static void choose(struct plan *pl, const struct point *pt, enum pick pick,
                   uint64_t bits, size_t k) {
  size_t i;
  for (i = 0; i < pt->issued; i++)
    pl->persist[i] = pl->u[i].sync_at < pt->p;
  for (i = 0; i < pt->nfree; i++)
    pl->persist[pt->free_u[i]] =
        pick == PICK_ALL      ? 1
        : pick == PICK_RANDOM ? (char)(next_random(&pl->rng) & 1)
        : pick == PICK_BITS   ? (char)((bits >> i) & 1)
                              : 0;
  if (pl->model == CRASH_MODEL_EXT4)
    for (i = 0; i < pt->njournal; i++)
      pl->persist[pt->journal[i]] = i < k;
}

/* Build the chosen state: the persisted units, in the order made. */
static void build(struct plan *pl, const struct point *pt) {
  size_t i;
  reset(pl);
  for (i = 0; i < pt->issued; i++)
    if (pl->persist[i])
      apply(pl, &pl->u[i]);
}

static void print_violation(const struct plan *pl, const struct point *pt,
                            const char *why, FILE *out) {
  const struct crash_trace *t = pl->t;
  size_t i, u = 0;
  char line[2 * CRASH_NAME_MAX + 128];
  fprintf(out, "    violation (%s model): a crash after call %zu of %zu: %s\n",
          crash_model_name(pl->model), pt->p, t->nops, why);
  for (i = 0; i < pt->p; i++) {
    size_t all = 0, kept = 0;
    const char *what;
    while (u < pl->nu && pl->u[u].op == i) {
      all++;
      kept += pl->persist[u] != 0;
      u++;
    }
    what = all == 0 ? "   " : kept == all ? "persisted" : kept == 0 ? "LOST" : "PART";
    crash_op_describe(&t->ops[i], line, sizeof(line));
    if (all > 1 && kept > 0 && kept < all)
      fprintf(out, "      %-9s %s (%zu of %zu blocks)\n", what, line, kept, all);
    else
      fprintf(out, "      %-9s %s\n", what, line);
  }
  if (pt->p < t->nops)
    fprintf(out, "      (then %zu calls not made)\n", t->nops - pt->p);
}

/* Check the state built for pt; count it. */
static void check_state(struct plan *pl, const struct point *pt,
                        crash_check_fn check, void *ctx,
                        struct crash_result *res, FILE *report) {
  char why[256] = "";
  int returned = pl->returned != NEVER && pt->p > pl->returned;
  res->explored++;
  if (check(&pl->fs, returned, ctx, why, sizeof(why)))
    return;
  if (res->violations++ == 0 && report != NULL)
    print_violation(pl, pt, why, report);
}

int crash_explore(const struct crash_trace *t, enum crash_model m,
                  const struct crash_limits *lim, crash_check_fn check,
                  void *ctx, struct crash_result *res, FILE *report) {
  struct plan pl;
  struct point pt;
  size_t p, k;
  uint64_t total = 0, bits, n;
  if (plan_init(&pl, t, m) != 0)
    return -ENOMEM;
  pl.rng = lim->seed;
  pt.free_u = calloc(pl.nu + 1, sizeof(size_t));
  pt.journal = calloc(pl.nu + 1, sizeof(size_t));
  if (pt.free_u == NULL || pt.journal == NULL) {
    free(pt.free_u);
    free(pt.journal);
    plan_free(&pl);
    return -ENOMEM;
  }
  memset(res, 0, sizeof(*res));
  for (p = 0; p <= t->nops; p++) {
    point_at(&pl, p, &pt);
    total = total + point_states(&pt, m) < total ? UINT64_MAX
                                                 : total + point_states(&pt, m);
  }
  res->states = total;
  if (total <= lim->exhaustive_max) {
    res->exhaustive = 1;
    for (p = 0; p <= t->nops; p++) {
      point_at(&pl, p, &pt);
      for (k = pt.nforced_journal; k <= pt.njournal; k++) {
        for (bits = 0; bits < ((uint64_t)1 << pt.nfree); bits++) {
          choose(&pl, &pt, PICK_BITS, bits, k);
          build(&pl, &pt);
          check_state(&pl, &pt, check, ctx, res, report);
        }
        if (m != CRASH_MODEL_EXT4)
          break;
      }
    }
  } else {
    /* the two extremes at every point, then random states */
    for (p = 0; p <= t->nops; p++) {
      point_at(&pl, p, &pt);
      choose(&pl, &pt, PICK_NONE, 0, pt.nforced_journal);
      build(&pl, &pt);
      check_state(&pl, &pt, check, ctx, res, report);
      choose(&pl, &pt, PICK_ALL, 0, pt.njournal);
      build(&pl, &pt);
      check_state(&pl, &pt, check, ctx, res, report);
    }
    for (n = res->explored; n < lim->samples; n++) {
      point_at(&pl, (size_t)(next_random(&pl.rng) % (t->nops + 1)), &pt);
      k = pt.nforced_journal +
          (size_t)(next_random(&pl.rng) % (pt.njournal - pt.nforced_journal + 1));
      choose(&pl, &pt, PICK_RANDOM, 0, k);
      build(&pl, &pt);
      check_state(&pl, &pt, check, ctx, res, report);
    }
  }
  free(pt.free_u);
  free(pt.journal);
  plan_free(&pl);
  return 0;
}

int crash_final_state(const struct crash_trace *t, struct crash_fs *fs) {
  struct plan pl;
  size_t i;
  if (plan_init(&pl, t, CRASH_MODEL_WEAK) != 0)
    return -ENOMEM;
  reset(&pl);
  for (i = 0; i < pl.nu; i++)
    apply(&pl, &pl.u[i]);
  *fs = pl.fs;
  memset(&pl.fs, 0, sizeof(pl.fs));
  for (i = 0; i < fs->ninodes; i++)
    free(pl.initial[i]);
  pl.fs.ninodes = 0;
  plan_free(&pl);
  return 0;
}

void crash_fs_free(struct crash_fs *fs) {
  size_t i;
  for (i = 0; i < fs->ninodes; i++)
    free(fs->inodes[i].data);
  free(fs->inodes);
  free(fs->entries);
  memset(fs, 0, sizeof(*fs));
}
