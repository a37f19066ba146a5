/* SPDX-License-Identifier: MIT */
/*
 * test_win_reap.c - tf_reap() on Windows: a creator process made objects
 * and was killed with TerminateProcess; the reaper takes exactly what it
 * left (files, a tree), reports each with its pid, then deletes its
 * ledger; never what a live creator owns (also racing a creator's
 * creations and removals a few hundred times), never untracked, kept,
 * published or tf_mk* objects or unrelated files, nothing on a dry run,
 * nothing too young, nothing another process holds open, nothing of
 * another owner; and its errors.
 */
#include "win/win.h"

#include "harness_win.h"

#include <aclapi.h>
#include <sddl.h>

#include "checks_win.h"

/* ---- what a creator made, as it tells in its ready file */

#define MAX_OBJS 96

struct obj {
  char name[300];
  int is_dir;
  int reap; /* 1: a leftover to take; 0: never to be taken */
  int sub;  /* in the directory the line before names */
};

struct creator {
  HANDLE h;
  long pid;
  struct obj objs[MAX_OBJS];
  int n;
};

/* What tf_reap() reported. */
struct reports {
  char names[MAX_OBJS][300];
  int is_dir[MAX_OBJS];
  long pid[MAX_OBJS];
  int n;
  int stop_after; /* nonzero: stop after this many */
};

static int collect(const char *name, int is_dir, long pid, void *arg) {
  struct reports *r = arg;
  if (r->n < MAX_OBJS) {
    snprintf(r->names[r->n], sizeof(r->names[r->n]), "%s", name);
    r->is_dir[r->n] = is_dir;
    r->pid[r->n] = pid;
  }
  r->n++;
  return r->stop_after != 0 && r->n >= r->stop_after;
}

static char *at(const char *name) { return tw_join(tw_dir(), name); }

static int exists(const char *name) {
  char *p = at(name);
  int e = tw_exists(p);
  free(p);
  return e;
}

/* The ledgers in the ledger home (the test's directory). */
static int count_ledgers(void) {
  char *pattern = at(".tf-live-*");
  wchar_t *w = tw_wide(pattern);
  WIN32_FIND_DATAW fd;
  HANDLE f = FindFirstFileW(w, &fd);
  int n = 0;
  free(pattern);
  free(w);
  if (f == INVALID_HANDLE_VALUE)
    return 0;
  do
    n++;
  while (FindNextFileW(f, &fd));
  FindClose(f);
  return n;
}

static const char *base_of(const char *path) {
  const char *s = strrchr(path, '\\');
  return s != NULL ? s + 1 : path;
}

/* ---- the creator process */

/* A helper waits this long to be killed: one left by a failed test ends
 * by itself before the run's timeout. */
#define HELPER_LIFE_MS 120000

static void line(FILE *out, int reap, int is_dir, const char *path) {
  fprintf(out, "%c %d %s\n", reap ? 'R' : 'K', is_dir, base_of(path));
}

static void fill_tree(const char *dir) {
  char *a = tw_join(dir, "a.txt"), *sub = tw_join(dir, "sub");
  char *c = tw_join(sub, "c.txt"), *deeper = tw_join(sub, "deeper");
  tw_write(a, "a", 1);
  tw_mkdir(sub);
  tw_write(c, "c", 1);
  tw_mkdir(deeper);
  free(a);
  free(sub);
  free(c);
  free(deeper);
}

/* argv[1] = "MODES,READY": make the objects MODES names (see below),
 * write their list to READY, and wait to be killed. */
HELPER(creator) {
  char modes[32], ready[64], tmp[80], extra[128];
  const char *comma, *m;
  tf_opts o = TF_OPTS_INIT;
  tf_file *f;
  tf_dir *d;
  char *p;
  FILE *out;
  if (argc < 2 || (comma = strchr(argv[1], ',')) == NULL ||
      (size_t)(comma - argv[1]) >= sizeof(modes))
    return 2;
  memcpy(modes, argv[1], (size_t)(comma - argv[1]));
  modes[comma - argv[1]] = '\0';
  snprintf(ready, sizeof(ready), "%s", comma + 1);
  snprintf(tmp, sizeof(tmp), "%s.tmp", ready);
  out = fopen(tmp, "w");
  if (out == NULL)
    return 3;
  for (m = modes; *m != '\0'; m++) {
    o = (tf_opts)TF_OPTS_INIT;
    switch (*m) {
    case 'f': /* the default policy: deleted on close */
      ASSERT_OK(tf_file_create(&f, NULL));
      line(out, 1, 0, tf_file_path(f));
      break;
    case 'd': /* deleted at free */
      o.flags = TF_DELETE_ON_FREE;
      ASSERT_OK(tf_file_create(&f, &o));
      line(out, 1, 0, tf_file_path(f));
      break;
    case 't': /* a tree */
      ASSERT_OK(tf_dir_create(&d, NULL));
      fill_tree(tf_dir_path(d));
      line(out, 1, 1, tf_dir_path(d));
      break;
    case 'h': /* a directory with held.txt, for a holder */
      ASSERT_OK(tf_dir_create(&d, NULL));
      p = tw_join(tf_dir_path(d), "held.txt");
      tw_write(p, "h", 1);
      free(p);
      line(out, 1, 1, tf_dir_path(d));
      break;
    case 'u': /* untracked */
      o.flags = TF_UNTRACKED;
      ASSERT_OK(tf_file_create(&f, &o));
      line(out, 0, 0, tf_file_path(f));
      ASSERT_OK(tf_dir_create(&d, &o));
      line(out, 0, 1, tf_dir_path(d));
      break;
    case 'k': /* kept: TF_KEEP, tf_file_keep, tf_dir_keep */
      o.flags = TF_KEEP;
      ASSERT_OK(tf_file_create(&f, &o));
      line(out, 0, 0, tf_file_path(f));
      ASSERT_OK(tf_file_create(&f, NULL));
      ASSERT_OK(tf_file_keep(f));
      line(out, 0, 0, tf_file_path(f));
      ASSERT_OK(tf_dir_create(&d, NULL));
      ASSERT_OK(tf_dir_keep(d));
      line(out, 0, 1, tf_dir_path(d));
      break;
    case 'p': /* published */
      o.flags = TF_DELETE_ON_FREE;
      ASSERT_OK(tf_file_create(&f, &o));
      snprintf(extra, sizeof(extra), "published-%s.txt", ready);
      p = at(extra);
      ASSERT_OK(tf_file_publish(f, p, 0, 0));
      line(out, 0, 0, p);
      free(p);
      break;
    case 'q': /* a publish that failed: still the handle's, still marked */
      o.flags = TF_DELETE_ON_FREE;
      ASSERT_OK(tf_file_create(&f, &o));
      snprintf(extra, sizeof(extra), "taken-%s.txt", ready);
      tw_write(extra, "t", 1);
      ASSERT_ERR(tf_file_publish(f, extra, 0, TF_NOCLOBBER), -EEXIST);
      line(out, 1, 0, tf_file_path(f));
      line(out, 0, 0, extra);
      break;
    case 's': /* a file in another directory: sub-READY */
      snprintf(extra, sizeof(extra), "sub-%s", ready);
      tw_mkdir(extra);
      o.dir = extra;
      ASSERT_OK(tf_file_create(&f, &o));
      line(out, 0, 1, extra);
      fprintf(out, "S 0 %s\n", base_of(tf_file_path(f)));
      break;
    case 'n': { /* many records, every other one freed (reused later) */
      tf_file *many[130];
      int i;
      for (i = 0; i < 130; i++)
        ASSERT_OK(tf_file_create(&many[i], NULL));
      for (i = 0; i < 130; i += 2)
        ASSERT_OK(tf_file_free(many[i]));
      for (i = 1; i < 130; i += 2)
        line(out, 1, 0, tf_file_path(many[i]));
      break;
    }
    case 'm': /* tf_mkstemp, tf_mkdtemp */
      ASSERT_OK(tf_mkstemp(&p, NULL));
      line(out, 0, 0, p);
      tf_free(p);
      ASSERT_OK(tf_mkdtemp(&p, NULL));
      line(out, 0, 1, p);
      tf_free(p);
      break;
    case 'x': /* not the library's */
      snprintf(extra, sizeof(extra), "notes-%s.txt", ready);
      tw_write(extra, "n", 1);
      line(out, 0, 0, extra);
      snprintf(extra, sizeof(extra), "plain-%s", ready);
      tw_mkdir(extra);
      line(out, 0, 1, extra);
      break;
    default:
      return 4;
    }
  }
  if (fclose(out) != 0 || !MoveFileExA(tmp, ready, 0))
    return 5;
  Sleep(HELPER_LIFE_MS);
  return 0;
}

static void start_creator(struct creator *c, const char *modes,
                          const char *ready) {
  char arg[128], kind, name[300];
  char *path = at(ready);
  FILE *in;
  int is_dir, i;
  memset(c, 0, sizeof(*c));
  snprintf(arg, sizeof(arg), "%s,%s", modes, ready);
  c->h = tw_spawn("creator", arg);
  c->pid = (long)GetProcessId(c->h);
  twc_wait_for(path);
  /* Under Wine the name can show a moment before it opens. */
  for (i = 0; (in = fopen(path, "r")) == NULL && i < 300; i++)
    Sleep(10);
  if (in == NULL)
    FAIL("cannot open %s: errno %d", path, errno);
  while (c->n < MAX_OBJS && fscanf(in, " %c %d %299s", &kind, &is_dir, name) == 3) {
    snprintf(c->objs[c->n].name, sizeof(c->objs[c->n].name), "%s", name);
    c->objs[c->n].is_dir = is_dir;
    c->objs[c->n].reap = kind == 'R';
    c->objs[c->n].sub = kind == 'S';
    c->n++;
  }
  fclose(in);
  ASSERT(DeleteFileA(path));
  free(path);
}

static int count_reaped(const struct creator *c) {
  int i, n = 0;
  for (i = 0; i < c->n; i++)
    n += c->objs[i].reap;
  return n;
}

/* Every leftover of c was reported once, with its kind and c's pid, and
 * nothing else. */
static void assert_reported(const struct creator *c, const struct reports *r) {
  int i, k;
  ASSERT_EQ(r->n, count_reaped(c));
  for (i = 0; i < r->n; i++) {
    for (k = 0; k < c->n; k++)
      if (c->objs[k].reap && strcmp(c->objs[k].name, r->names[i]) == 0)
        break;
    if (k == c->n)
      FAIL("reported %s, which is not a leftover", r->names[i]);
    ASSERT_EQ(r->is_dir[i], c->objs[k].is_dir);
    ASSERT_EQ(r->pid[i], c->pid);
  }
}

static void assert_all_there(const struct creator *c) {
  int i;
  for (i = 0; i < c->n; i++)
    if (!c->objs[i].sub && !exists(c->objs[i].name))
      FAIL("%s was taken", c->objs[i].name);
}

/* Leftovers gone, the others there. */
static void assert_reaped(const struct creator *c) {
  int i;
  for (i = 0; i < c->n; i++)
    if (!c->objs[i].sub && exists(c->objs[i].name) != !c->objs[i].reap)
      FAIL("%s: %s", c->objs[i].name,
           c->objs[i].reap ? "a leftover not taken" : "taken");
}

/* Remove what is left of c (the test's own cleanup). */
static void remove_all(const struct creator *c) {
  int i;
  for (i = 0; i < c->n; i++) {
    char *p = at(c->objs[i].name);
    if (!c->objs[i].sub)
      tw_remove_tree(p);
    free(p);
  }
}

/* ---- the tests */

/* A killed creator's files (both policies) and tree are taken, each
 * reported with its kind and pid, and its ledger is deleted after. */
TEST(test_reap_takes_what_a_killed_creator_left) {
  struct creator c;
  struct reports r;
  int ledgers = count_ledgers();
  start_creator(&c, "fdt", "ready");
  ASSERT_EQ(count_ledgers(), ledgers + 1);
  tw_kill(c.h);
  memset(&r, 0, sizeof(r));
  ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 3);
  assert_reported(&c, &r);
  assert_reaped(&c);
  ASSERT_EQ(count_ledgers(), ledgers);
  memset(&r, 0, sizeof(r));
  ASSERT_EQ(tf_reap(tw_dir(), 0, 0, collect, &r), 0); /* nothing twice */
  ASSERT_EQ(r.n, 0);
}

/* A ledger of many records (more than one read), with free ones among
 * the live: each live one is taken, the ledger goes. */
TEST(test_reap_reads_a_long_ledger) {
  struct creator c;
  struct reports r;
  int ledgers = count_ledgers();
  start_creator(&c, "nt", "ready");
  ASSERT_EQ(c.n, 66);
  tw_kill(c.h);
  memset(&r, 0, sizeof(r));
  ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 66);
  assert_reported(&c, &r);
  assert_reaped(&c);
  ASSERT_EQ(count_ledgers(), ledgers);
}

/* A live creator's objects are never taken, however often it is reaped;
 * once it is killed they are. */
TEST(test_reap_leaves_a_live_creators_objects) {
  struct creator c;
  struct reports r;
  int i, ledgers = count_ledgers();
  start_creator(&c, "fdth", "ready");
  memset(&r, 0, sizeof(r));
  for (i = 0; i < 50; i++)
    ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 0);
  ASSERT_EQ(r.n, 0);
  assert_all_there(&c);
  tw_kill(c.h);
  ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 4);
  assert_reported(&c, &r);
  assert_reaped(&c);
  ASSERT_EQ(count_ledgers(), ledgers);
}

/* argv[1] = rounds: make and remove objects, failing (exit 1) if any
 * vanished while it owned it. */
HELPER(racer) {
  int rounds = argc > 1 ? atoi(argv[1]) : 0, i;
  tf_opts o = TF_OPTS_INIT;
  tw_write("racer-started", "", 0);
  o.flags = TF_DELETE_ON_FREE;
  for (i = 0; i < rounds; i++) {
    tf_file *f, *g;
    tf_dir *d;
    char *inside;
    ASSERT_OK(tf_file_create(&f, NULL));
    ASSERT_OK(tf_file_create(&g, &o));
    ASSERT_OK(tf_dir_create(&d, NULL));
    inside = tw_join(tf_dir_path(d), "x.txt");
    tw_write(inside, "x", 1); /* fails if the directory was taken */
    free(inside);
    Sleep(i % 3);
    ASSERT(tw_exists(tf_file_path(f)));
    ASSERT(tw_exists(tf_file_path(g)));
    ASSERT(tw_exists(tf_dir_path(d)));
    ASSERT_OK(tf_file_free(g));
    ASSERT_OK(tf_dir_free(d));
    ASSERT_OK(tf_file_free(f));
  }
  return 0;
}

/* Reapers racing a live creator's creations and removals (300 rounds)
 * take nothing of it. */
TEST(test_reap_races_a_live_creator) {
  char *started = at("racer-started");
  HANDLE h = tw_spawn("racer", "300");
  struct reports r;
  int reaps = 0;
  twc_wait_for(started);
  memset(&r, 0, sizeof(r));
  while (WaitForSingleObject(h, 0) == WAIT_TIMEOUT) {
    ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 0);
    reaps++;
  }
  ASSERT_EQ(tw_wait(h), 0);
  ASSERT_EQ(r.n, 0);
  ASSERT_GT(reaps, 10);
  ASSERT(DeleteFileA(started));
  free(started);
}

/* Untracked, kept, published, tf_mk* objects and files not made by the
 * library stay; the ledger, with no live record, goes. */
TEST(test_reap_never_takes_untracked_kept_published_or_mkstemp) {
  struct creator c;
  struct reports r;
  int ledgers = count_ledgers();
  start_creator(&c, "ukpmx", "ready");
  ASSERT_EQ(count_reaped(&c), 0);
  ASSERT_GE(c.n, 9);
  tw_kill(c.h);
  memset(&r, 0, sizeof(r));
  ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 0);
  ASSERT_EQ(r.n, 0);
  assert_all_there(&c);
  ASSERT_EQ(count_ledgers(), ledgers);
  remove_all(&c);
}

/* Both kinds at once, and a file whose publish failed (its handle's
 * still, so marked again): the leftovers go, the rest stays. */
TEST(test_reap_takes_only_the_leftovers_among_others) {
  struct creator c;
  struct reports r;
  start_creator(&c, "fukdmtpxq", "ready");
  tw_kill(c.h);
  memset(&r, 0, sizeof(r));
  ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 4);
  assert_reported(&c, &r);
  assert_reaped(&c);
  remove_all(&c);
}

/* Only the directory reaped: a leftover in another directory is taken
 * by reaping that one, and its ledger goes after. */
TEST(test_reap_takes_only_the_directory_reaped) {
  struct creator c;
  struct reports r;
  char *sub, *file;
  int ledgers = count_ledgers();
  start_creator(&c, "sf", "ready");
  ASSERT_EQ(c.n, 3);
  ASSERT(c.objs[1].sub);
  sub = at(c.objs[0].name);
  file = tw_join(sub, c.objs[1].name);
  tw_kill(c.h);
  memset(&r, 0, sizeof(r));
  ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 1); /* the 'f' file */
  ASSERT_STR_EQ(r.names[0], c.objs[2].name);
  ASSERT(tw_exists(file));
  ASSERT_EQ(count_ledgers(), ledgers + 1);
  ASSERT_EQ(tf_reap(sub, 0, 0, collect, &r), 1);
  ASSERT_STR_EQ(r.names[1], c.objs[1].name);
  ASSERT_EQ(r.pid[1], c.pid);
  ASSERT(!tw_exists(file));
  ASSERT_EQ(count_ledgers(), ledgers);
  ASSERT_EQ(tw_count_entries(sub), 0);
  tw_remove_tree(sub);
  free(sub);
  free(file);
}

/* A dry run reports and counts, removes nothing, keeps the ledger. */
TEST(test_reap_dry_run_removes_nothing) {
  struct creator c;
  struct reports r;
  int ledgers = count_ledgers();
  start_creator(&c, "fdt", "ready");
  tw_kill(c.h);
  memset(&r, 0, sizeof(r));
  ASSERT_EQ(tf_reap(NULL, TF_REAP_DRY_RUN, 0, collect, &r), 3);
  assert_reported(&c, &r);
  assert_all_there(&c);
  ASSERT_EQ(count_ledgers(), ledgers + 1);
  memset(&r, 0, sizeof(r));
  ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 3);
  assert_reported(&c, &r);
  assert_reaped(&c);
  ASSERT_EQ(count_ledgers(), ledgers);
}

/* Too young for min_age: left, and the ledger kept; old enough: taken. */
TEST(test_reap_honours_min_age) {
  struct creator c;
  struct reports r;
  int ledgers = count_ledgers();
  start_creator(&c, "ft", "ready");
  tw_kill(c.h);
  memset(&r, 0, sizeof(r));
  ASSERT_EQ(tf_reap(NULL, 0, 3600, collect, &r), 0);
  ASSERT_EQ(r.n, 0);
  assert_all_there(&c);
  ASSERT_EQ(count_ledgers(), ledgers + 1);
  Sleep(2500);
  ASSERT_EQ(tf_reap(NULL, 0, 2, collect, &r), 2);
  assert_reported(&c, &r);
  assert_reaped(&c);
  ASSERT_EQ(count_ledgers(), ledgers);
}

/* A nonzero return of the callback stops the reaping; the rest comes
 * next time. */
TEST(test_reap_callback_stops_it) {
  struct creator c;
  struct reports r;
  start_creator(&c, "fdt", "ready");
  tw_kill(c.h);
  memset(&r, 0, sizeof(r));
  r.stop_after = 1;
  ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 1);
  r.stop_after = 0;
  ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 2);
  assert_reported(&c, &r);
  assert_reaped(&c);
}

TEST(test_reap_rejects_bad_flags_and_directories) {
  char *missing = at("missing"), *file = at("file.txt");
  ASSERT_ERR(tf_reap(NULL, 0x1u, 0, NULL, NULL), -EINVAL);
  ASSERT_ERR(tf_reap(NULL, TF_REAP_DRY_RUN | 0x8000u, 0, NULL, NULL), -EINVAL);
  ASSERT_ERR(tf_reap(missing, 0, 0, NULL, NULL), -ENOENT);
  tw_write(file, "f", 1);
  ASSERT_ERR(tf_reap(file, 0, 0, NULL, NULL), -ENOTDIR);
  ASSERT_EQ(tf_reap(NULL, 0, 0, NULL, NULL), 0);
  ASSERT_EQ(tf_reap(tw_dir(), TF_REAP_DRY_RUN | TF_IGNORE_ERRORS, 0, NULL, NULL), 0);
  ASSERT(DeleteFileA(file));
  free(missing);
  free(file);
}

/* argv[1] = "S,READY,PATH": hold PATH open, sharing all (S = a) or
 * reading only (S = r), and wait to be killed. */
HELPER(holder) {
  char ready[64];
  const char *p, *q;
  wchar_t *w;
  HANDLE h;
  if (argc < 2 || (p = strchr(argv[1], ',')) == NULL ||
      (q = strchr(p + 1, ',')) == NULL || (size_t)(q - p - 1) >= sizeof(ready))
    return 2;
  memcpy(ready, p + 1, (size_t)(q - p - 1));
  ready[q - p - 1] = '\0';
  w = tw_wide(q + 1);
  h = CreateFileW(w, GENERIC_READ,
                  argv[1][0] == 'a' ? FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE
                                    : FILE_SHARE_READ,
                  NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
  if (h == INVALID_HANDLE_VALUE)
    return 3;
  tw_write(ready, "", 0);
  Sleep(HELPER_LIFE_MS);
  return 0;
}

static HANDLE start_holder(char share, const char *path) {
  char arg[1024], *ready = at("held");
  HANDLE h;
  snprintf(arg, sizeof(arg), "%c,held,%s", share, path);
  h = tw_spawn("holder", arg);
  twc_wait_for(ready);
  ASSERT(DeleteFileA(ready));
  free(ready);
  return h;
}

/* A leftover another process holds open (a claim, even sharing all), a
 * file or a directory, is left, and its record kept, until that process
 * is gone. */
TEST(test_reap_leaves_what_another_process_holds_open) {
  struct creator c;
  struct reports r;
  char *file, *dir;
  HANDLE holds_file, holds_dir;
  int ledgers = count_ledgers();
  start_creator(&c, "dtf", "ready");
  tw_kill(c.h);
  file = at(c.objs[0].name);
  dir = at(c.objs[1].name);
  holds_file = start_holder('a', file);
  holds_dir = start_holder('a', dir);
  memset(&r, 0, sizeof(r));
  ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 1); /* the 'f' file only */
  ASSERT_STR_EQ(r.names[0], c.objs[2].name);
  ASSERT(tw_exists(file));
  ASSERT(tw_exists(dir));
  ASSERT_EQ(count_ledgers(), ledgers + 1);
  tw_kill(holds_dir);
  ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 1);
  ASSERT_EQ(r.is_dir[1], 1);
  ASSERT(tw_exists(file));
  ASSERT_EQ(count_ledgers(), ledgers + 1);
  tw_kill(holds_file);
  ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 1);
  assert_reported(&c, &r);
  assert_reaped(&c);
  ASSERT_EQ(count_ledgers(), ledgers);
  free(file);
  free(dir);
}

/* A removal that fails (a file inside a leftover tree held without
 * sharing deletion) is the result, unless TF_IGNORE_ERRORS; the others
 * are taken all the same. */
TEST(test_reap_reports_or_ignores_removal_errors) {
  struct creator c;
  struct reports r;
  char *dir, *held;
  HANDLE holder;
  int rc, ledgers = count_ledgers();
  start_creator(&c, "hf", "ready");
  tw_kill(c.h);
  dir = at(c.objs[0].name);
  held = tw_join(dir, "held.txt");
  holder = start_holder('r', held);
  memset(&r, 0, sizeof(r));
  rc = tf_reap(NULL, 0, 0, collect, &r);
  if (rc >= 0) {
    tw_kill(holder);
    FAIL("reap with a held file: %d, want an error", rc);
  }
  ASSERT_EQ(r.n, 1); /* the file */
  ASSERT_EQ(r.is_dir[0], 0);
  ASSERT(!exists(c.objs[1].name));
  ASSERT(tw_exists(held));
  ASSERT_EQ(tf_reap(NULL, TF_IGNORE_ERRORS, 0, collect, &r), 0);
  ASSERT_EQ(count_ledgers(), ledgers + 1);
  tw_kill(holder);
  ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 1);
  assert_reported(&c, &r);
  assert_reaped(&c);
  ASSERT_EQ(count_ledgers(), ledgers);
  free(dir);
  free(held);
}

/* Another owner's object under a recorded name is not the caller's to
 * take. */
TEST(test_reap_leaves_another_owners_object) {
  struct creator c;
  struct reports r;
  PSID other = twc_sid_of(L"S-1-5-19"); /* LOCAL SERVICE */
  char *p;
  wchar_t *w;
  DWORD err;
  start_creator(&c, "d", "ready");
  tw_kill(c.h);
  p = at(c.objs[0].name);
  w = tw_wide(p);
  err = SetNamedSecurityInfoW(w, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION,
                              other, NULL, NULL, NULL);
  if (err == ERROR_SUCCESS) {
    /* Read back: Wine accepts an owner and may store nothing. */
    PSID got = NULL;
    PSECURITY_DESCRIPTOR sd = NULL;
    if (GetNamedSecurityInfoW(w, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION,
                              &got, NULL, NULL, NULL, &sd) != ERROR_SUCCESS ||
        got == NULL || !EqualSid(got, other))
      err = ERROR_NOT_SUPPORTED;
    LocalFree(sd);
  }
  LocalFree(other);
  free(w);
  if (err != ERROR_SUCCESS) {
    tw_remove_tree(p);
    ASSERT_EQ(tf_reap(NULL, 0, 0, NULL, NULL), 0); /* the ledger */
    SKIP("the system does not store another owner on a file (error %lu)",
         (unsigned long)err);
  }
  memset(&r, 0, sizeof(r));
  ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 0);
  ASSERT_EQ(r.n, 0);
  ASSERT(tw_exists(p));
  ASSERT_EQ(tw_remove_file(p), 0);
  free(p);
}

/* An atomic write's hidden file that no one holds is a leftover (pid
 * 0); one held open, or a name off the pattern, is not. */
TEST(test_reap_takes_an_unheld_atomic_hidden_file) {
  /* Distinct without case, as the file system may compare them. */
  const char *names[] = {".config.tf-abcdefghij12", ".config.tf-abcdefghij13",
                         ".upper.tf-ABCDEFGHIJ12", "config.tf-abcdefghij12",
                         ".config.tf-abcdefghij1"};
  struct reports r;
  char *held = at(names[1]);
  wchar_t *w = tw_wide(held);
  HANDLE h;
  size_t i;
  for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    char *p = at(names[i]);
    tw_write(p, "x", 1);
    free(p);
  }
  h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                  NULL, OPEN_EXISTING, 0, NULL);
  ASSERT(h != INVALID_HANDLE_VALUE);
  memset(&r, 0, sizeof(r));
  ASSERT_EQ(tf_reap(NULL, TF_REAP_DRY_RUN, 0, collect, &r), 1);
  ASSERT(exists(names[0]));
  ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 1);
  ASSERT_EQ(r.n, 2);
  ASSERT_STR_EQ(r.names[1], names[0]);
  ASSERT_EQ(r.is_dir[1], 0);
  ASSERT_EQ(r.pid[1], 0);
  ASSERT(!exists(names[0]));
  for (i = 1; i < sizeof(names) / sizeof(names[0]); i++)
    ASSERT(exists(names[i]));
  CloseHandle(h);
  for (i = 1; i < sizeof(names) / sizeof(names[0]); i++) {
    char *p = at(names[i]);
    if (i != 1)
      ASSERT_EQ(tw_remove_file(p), 0);
    free(p);
  }
  ASSERT_EQ(tf_reap(NULL, 0, 0, NULL, NULL), 1); /* no longer held */
  free(held);
  free(w);
}

/* The ledger: created with the first tracked object, never inherited,
 * unopenable with DELETE access while this process lives, and gone
 * when tf__w_ledger_remove() finds no live record. */
TEST(test_reap_ledger_is_held_while_the_process_lives) {
  char *pattern = at(".tf-live-*"), *p;
  WIN32_FIND_DATAW fd;
  wchar_t *w = tw_wide(pattern);
  HANDLE f, h;
  tf_file *t;
  char *name;
  ASSERT_OK(tf_file_create(&t, NULL));
  ASSERT_EQ(count_ledgers(), 1);
  f = FindFirstFileW(w, &fd);
  ASSERT(f != INVALID_HANDLE_VALUE);
  FindClose(f);
  ASSERT(fd.dwFileAttributes & FILE_ATTRIBUTE_HIDDEN);
  {
    int n = WideCharToMultiByte(CP_UTF8, 0, fd.cFileName, -1, NULL, 0, NULL, NULL);
    name = malloc((size_t)n);
    ASSERT(name != NULL);
    WideCharToMultiByte(CP_UTF8, 0, fd.cFileName, -1, name, n, NULL, NULL);
  }
  p = at(name);
  free(w);
  w = tw_wide(p);
  h = CreateFileW(w, DELETE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                  NULL, OPEN_EXISTING, 0, NULL);
  if (h != INVALID_HANDLE_VALUE)
    CloseHandle(h);
  ASSERT(h == INVALID_HANDLE_VALUE);
  ASSERT_EQ(GetLastError(), ERROR_SHARING_VIOLATION);
  /* Readable, for a look at it. */
  {
    char *text = tw_read(p, NULL);
    ASSERT(text != NULL);
    ASSERT(strncmp(text, TF_W_LEDGER_MAGIC, strlen(TF_W_LEDGER_MAGIC)) == 0);
    free(text);
  }
  tf__w_ledger_remove(); /* a record is live: stays */
  ASSERT_EQ(count_ledgers(), 1);
  ASSERT_OK(tf_file_free(t));
  tf__w_ledger_remove();
  ASSERT_EQ(count_ledgers(), 0);
  ASSERT_OK(tf_file_create(&t, NULL)); /* a new one */
  ASSERT_EQ(count_ledgers(), 1);
  ASSERT_OK(tf_file_free(t));
  free(pattern);
  free(p);
  free(w);
  free(name);
}

/* argv[1] = "c": make and free tracked objects, and return; "l": return
 * with a tracked file still open.  Prints the file's name first. */
HELPER(exiter) {
  tf_file *f, *g;
  tf_dir *d;
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_OK(tf_dir_create(&d, NULL));
  ASSERT_OK(tf_file_create(&g, NULL));
  tw_write("exiter-name", base_of(tf_file_path(f)), strlen(base_of(tf_file_path(f))));
  ASSERT_OK(tf_dir_free(d));
  ASSERT_OK(tf_file_free(g));
  if (argc > 1 && strcmp(argv[1], "c") == 0)
    ASSERT_OK(tf_file_free(f));
  return 0;
}

/* A process that ends normally deletes its ledger at exit; one that
 * ends owning a tracked file (that no exit handler removed) leaves both
 * to the reaper. */
TEST(test_reap_ledger_goes_at_exit) {
  struct reports r;
  char *name_file = at("exiter-name"), *name;
  int ledgers = count_ledgers();
  ASSERT_EQ(tw_wait(tw_spawn("exiter", "c")), 0);
  ASSERT_EQ(count_ledgers(), ledgers);
  ASSERT_EQ(tw_remove_file(name_file), 0);
  ASSERT_EQ(tw_wait(tw_spawn("exiter", "l")), 0);
  name = tw_read(name_file, NULL);
  ASSERT(name != NULL);
  memset(&r, 0, sizeof(r));
  if (exists(name)) {
    ASSERT_EQ(count_ledgers(), ledgers + 1);
    ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 1);
    ASSERT_STR_EQ(r.names[0], name);
  } else { /* an exit handler removed it: then its ledger went too */
    ASSERT_EQ(tf_reap(NULL, 0, 0, collect, &r), 0);
  }
  ASSERT(!exists(name));
  ASSERT_EQ(count_ledgers(), ledgers);
  ASSERT_EQ(tw_remove_file(name_file), 0);
  free(name_file);
  free(name);
}

/* The ledger home is the temporary directory the environment gives,
 * whatever tf_settempdir() set: a directory set and emptied can be
 * removed while the process lives. */
TEST(test_reap_ledger_home_ignores_tf_settempdir) {
  char *sub = at("custom");
  wchar_t *w = tw_wide(sub);
  tf_file *f;
  tw_mkdir(sub);
  tf__w_ledger_remove(); /* the warm-up's: none before this test's */
  ASSERT_EQ(count_ledgers(), 0);
  ASSERT_OK(tf_settempdir(sub));
  ASSERT_OK(tf_file_create(&f, NULL));
  ASSERT_EQ(count_ledgers(), 1); /* in the test's directory, not in sub */
  ASSERT_EQ(tw_count_entries(sub), 1);
  ASSERT_OK(tf_file_free(f));
  ASSERT_OK(tf_settempdir(NULL));
  ASSERT(RemoveDirectoryW(w));
  free(sub);
  free(w);
}
