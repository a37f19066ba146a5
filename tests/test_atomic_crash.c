/* SPDX-License-Identifier: MIT */
/*
 * test_atomic_crash.c - atomic replacement under fire, on both paths (the
 * unnamed O_TMPFILE file and the hidden named sibling):
 *   - a writer SIGKILLed at random moments, hundreds of times: the target
 *     is always one complete version (the last one finished or the one
 *     being written), and nothing but the documented hidden name is ever
 *     left behind;
 *   - two processes of four threads each replacing one file while a
 *     reader checks that every read is one complete version;
 *   - the order of the system calls that makes the guarantee, under
 *     strace: write, fsync(file), link or rename, fsync(directory).
 */
#include "harness.h"
#include "internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */


static uint32_t load32(volatile uint32_t *p) {
  return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
static void store32(volatile uint32_t *p, uint32_t v) {
  __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/* splitmix64's finaliser: the PRNG, and what versions are made of. */
static uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/* The tests' random choices come from one seed, printed with every
 * failure; TF_TEST_SEED=N repeats a run's choices. */
static unsigned long long seed;
static uint64_t prng_state;

static void seed_prng(void) {
  const char *s = getenv("TF_TEST_SEED");
  if (s != NULL && *s != '\0') {
    seed = strtoull(s, NULL, 0);
  } else {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    seed = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
                 (uint64_t)getpid());
  }
  prng_state = seed;
}

static uint64_t prng(void) { return mix64(prng_state++); }

#define SFAIL(fmt, ...)                                                      \
  FAIL(fmt " [seed %llu: TF_TEST_SEED=%llu repeats it]", __VA_ARGS__, seed,  \
       seed)

/* ------------------------------------------------------------- versions */

/*
 * Version v of the target: a header "TFV" + v (10 digits) + ":" + the
 * length (10 digits) + "\n", then a body of bytes derived from v, the
 * whole between 1 KiB and 64 KiB long (also derived from v).  Any mix of
 * two versions, any truncation or extension, and an empty file all fail
 * check_version().
 */
#define HEADER_LEN 25
#define MIN_LEN 1024
#define MAX_LEN (64 * 1024)

static size_t version_len(uint32_t v) {
  return MIN_LEN + (size_t)(mix64(v) % (MAX_LEN - MIN_LEN + 1));
}

static void version_body(uint32_t v, unsigned char *out, size_t n) {
  uint64_t base = mix64(((uint64_t)v << 32) ^ 0x7466626f6479ULL);
  size_t i, j;
  for (i = 0; i < n; i += 8) {
    uint64_t w = mix64(base + i);
    for (j = 0; j < 8 && i + j < n; j++)
      out[i + j] = (unsigned char)(w >> (8 * j));
  }
}

/* Version v into buf (MAX_LEN + 1 bytes); its length. */
static size_t make_version(uint32_t v, unsigned char *buf) {
  size_t len = version_len(v);
  snprintf((char *)buf, HEADER_LEN + 1, "TFV%010u:%010zu\n", (unsigned)v, len);
  version_body(v, buf + HEADER_LEN, len - HEADER_LEN);
  return len;
}

/* The version data[0, n) is, or -1 with the reason in why.  scratch has
 * MAX_LEN bytes. */
static long check_version(const unsigned char *data, size_t n,
                          unsigned char *scratch, char *why, size_t why_size) {
  unsigned long v = 0, len = 0;
  size_t i;
  if (n == 0) {
    snprintf(why, why_size, "empty");
    return -1;
  }
  if (n < HEADER_LEN) {
    snprintf(why, why_size, "only %zu bytes", n);
    return -1;
  }
  if (memcmp(data, "TFV", 3) != 0 || data[13] != ':' || data[24] != '\n') {
    snprintf(why, why_size, "no header (starts \"%.8s\")", (const char *)data);
    return -1;
  }
  for (i = 3; i < 13; i++) {
    if (data[i] < '0' || data[i] > '9') {
      snprintf(why, why_size, "bad version digits");
      return -1;
    }
    v = v * 10 + (unsigned long)(data[i] - '0');
  }
  for (i = 14; i < 24; i++) {
    if (data[i] < '0' || data[i] > '9') {
      snprintf(why, why_size, "bad length digits");
      return -1;
    }
    len = len * 10 + (unsigned long)(data[i] - '0');
  }
  if (v > UINT32_MAX || len != version_len((uint32_t)v)) {
    snprintf(why, why_size, "version %lu with the wrong length %lu", v, len);
    return -1;
  }
  if (len != n) {
    snprintf(why, why_size, "version %lu of %lu bytes, but the file has %zu",
             v, len, n);
    return -1;
  }
  version_body((uint32_t)v, scratch, n - HEADER_LEN);
  for (i = HEADER_LEN; i < n; i++) {
    if (data[i] != scratch[i - HEADER_LEN]) {
      snprintf(why, why_size,
               "version %lu (%zu bytes) differs from its body at byte %zu", v,
               n, i);
      return -1;
    }
  }
  return (long)v;
}

/* The whole file at path into buf (cap bytes): its size, or -errno;
 * -EFBIG if it is larger than cap. */
static long read_whole(const char *path, unsigned char *buf, size_t cap) {
  size_t n = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  for (;;) {
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      r = -errno;
      close(fd);
      return (long)r;
    }
    if (r == 0)
      break;
    n += (size_t)r;
    if (n == cap) {
      unsigned char extra;
      r = read(fd, &extra, 1);
      close(fd);
      return r > 0 ? -EFBIG : (long)n;
    }
  }
  close(fd);
  return (long)n;
}

/* "." NAME ".tf-" + 12 characters of [a-z0-9]: the documented hidden
 * name of an atomic replacement of NAME. */
static int is_hidden_name(const char *entry, const char *target) {
  size_t tl = strlen(target), i;
  if (strlen(entry) != 1 + tl + 4 + 12 || entry[0] != '.' ||
      strncmp(entry + 1, target, tl) != 0 ||
      strncmp(entry + 1 + tl, ".tf-", 4) != 0)
    return 0;
  for (i = 1 + tl + 4; entry[i] != '\0'; i++)
    if (!((entry[i] >= 'a' && entry[i] <= 'z') ||
          (entry[i] >= '0' && entry[i] <= '9')))
      return 0;
  return 1;
}

/* The names in the current directory other than keep (at most max). */
static int other_entries(const char *keep, char names[][NAME_MAX + 1],
                         int max) {
  DIR *d = opendir(".");
  struct dirent *e;
  int n = 0;
  if (d == NULL)
    FAIL("opendir: %s", strerror(errno));
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
        strcmp(e->d_name, keep) == 0)
      continue;
    if (n == max)
      FAIL("more than %d entries besides %s", max, keep);
    snprintf(names[n++], NAME_MAX + 1, "%s", e->d_name);
  }
  closedir(d);
  return n;
}

/* --------------------------------------------------- SIGKILL at random */

/* At least this many kills per path in `make check` and `make asan`;
 * divided by the time scale under valgrind (never below CRASH_KILLS_MIN). */
#define CRASH_KILLS 300
#define CRASH_KILLS_MIN 60
/* Kills land uniformly over this many iterations' time after the child
 * starts its loop. */
#define CRASH_SPREAD 3
/* Iterations timed before the kills. */
#define CRASH_CALIBRATE 16
/* The O_TMPFILE path's leftovers allowed, in percent of the kills, where
 * the window (linkat() to renameat()) is a small share of the time; see
 * crash_test(). */
#define CRASH_LEFTOVER_PERCENT 1
#define CRASH_LEFTOVER_FACTOR 4
/* Microseconds the window may last beyond its linkat() (a close()). */
#define CRASH_WINDOW_EXTRA_US 50

/* What the writer tells its parent (in shared memory). */
struct crash_shared {
  volatile uint32_t ready;   /* the loop has started */
  volatile uint32_t attempt; /* the version being written */
  volatile uint32_t done;    /* the last version tf_write_file() finished */
  volatile uint32_t in_op;   /* inside tf_write_file() */
  volatile uint32_t window;  /* 1 after linking a hidden name, 2 inside
                                the rename over the target (see below) */
  volatile uint32_t error;   /* -(a failed call's result) */
};

/*
 * The window: on the O_TMPFILE path a name exists only from the linkat()
 * of a hidden name to the renameat() over the target.  The library's
 * calls are wrapped to mark it, so a leftover can be traced to a kill
 * inside it, and to time it.
 */
static struct crash_shared *crash_sh;
static struct tf__sys_table crash_real;
static double window_start, rename_start; /* seconds */
static double window_time, rename_time;   /* microseconds, summed */
static double linkat_time, last_linkat;
static double extra_min; /* least time from linkat()'s end to renameat() */

static int window_linkfd(int fd, int dirfd, const char *name) {
  int rc;
  if (strcmp(name, "target") == 0)
    return crash_real.linkfd(fd, dirfd, name);
  window_start = tf_test_now();
  store32(&crash_sh->window, 1);
  rc = crash_real.linkfd(fd, dirfd, name);
  last_linkat = (tf_test_now() - window_start) * 1e6;
  linkat_time += last_linkat;
  return rc;
}

/* 1 from the linkat() of a hidden name to the rename, 2 in the rename. */
static void window_rename_begins(void) {
  if (load32(&crash_sh->window)) {
    double w;
    rename_start = tf_test_now();
    w = (rename_start - window_start) * 1e6;
    window_time += w;
    if (w - last_linkat < extra_min)
      extra_min = w - last_linkat;
    store32(&crash_sh->window, 2);
  }
}

static void window_ends(void) {
  if (load32(&crash_sh->window)) {
    rename_time += (tf_test_now() - rename_start) * 1e6;
    store32(&crash_sh->window, 0);
  }
}

static int window_renameat(int od, const char *op, int nd, const char *np) {
  int rc;
  window_rename_begins();
  rc = crash_real.renameat(od, op, nd, np);
  window_ends();
  return rc;
}

static int window_renameat2(int od, const char *op, int nd, const char *np,
                            unsigned int flags) {
  int rc;
  window_rename_begins();
  rc = crash_real.renameat2(od, op, nd, np, flags);
  window_ends();
  return rc;
}

/* The writer: versions first, first + 1, ... into "target" until killed. */
static void crash_writer(struct crash_shared *sh, uint32_t first) {
  unsigned char *buf = malloc(MAX_LEN + 1);
  uint32_t v;
  if (buf == NULL)
    _exit(3);
  for (v = first; v < first + 1000000; v++) {
    size_t len = make_version(v, buf);
    int rc;
    store32(&sh->attempt, v);
    store32(&sh->in_op, 1);
    store32(&sh->ready, 1);
    rc = tf_write_file("target", buf, len, NULL);
    if (rc != 0) {
      store32(&sh->error, (uint32_t)-rc);
      _exit(1);
    }
    store32(&sh->done, v);
    store32(&sh->in_op, 0);
  }
  _exit(2);
}

static void crash_test(enum tf_test_path p) {
  int kills = CRASH_KILLS, k, leftovers = 0, mid_op = 0, got_new = 0;
  int in_window = 0, in_rename = 0, limit, i;
  double t0, iter_us, window_us, rename_us, linkat_us, started = tf_test_now();
  unsigned char *buf = malloc(MAX_LEN + 1), *scratch = malloc(MAX_LEN);
  char why[160];
  char (*names)[NAME_MAX + 1] = malloc(64 * sizeof(*names));
  struct crash_shared *sh = tf_test_shared_alloc(sizeof(*sh));
  uint32_t current, next;

  ASSERT(buf != NULL && scratch != NULL && names != NULL);
  if (tf_test_time_scale() > 1) {
    kills = (int)(CRASH_KILLS / tf_test_time_scale());
    if (kills < CRASH_KILLS_MIN)
      kills = CRASH_KILLS_MIN;
  }
  seed_prng();
  tf_test_use_path(p);
  crash_sh = sh;
  crash_real = tf__sys;
  tf__sys.linkfd = window_linkfd;
  tf__sys.renameat = window_renameat;
  tf__sys.renameat2 = window_renameat2;

  /* One iteration's time, measured as the writer will run it, and the
   * window's share of it. */
  window_time = rename_time = linkat_time = 0;
  extra_min = 1e9;
  t0 = tf_test_now();
  for (current = 1; current <= CRASH_CALIBRATE; current++)
    ASSERT_OK(tf_write_file("target", buf, make_version(current, buf), NULL));
  iter_us = (tf_test_now() - t0) * 1e6 / CRASH_CALIBRATE;
  window_us = window_time / CRASH_CALIBRATE;
  rename_us = rename_time / CRASH_CALIBRATE;
  linkat_us = linkat_time / CRASH_CALIBRATE;
  if (p == NAMED)
    ASSERT_EQ(window_time, 0);
  /* The window holds linkat() and the close() of the file, nothing that
   * takes time of its own (such as a sync): in the quickest of the
   * replacements (others may have been preempted), little passes from
   * the end of linkat() to renameat(). */
  if (p == UNNAMED && extra_min > CRASH_WINDOW_EXTRA_US * tf_test_time_scale())
    SFAIL("at least %.1f us pass between the end of linkat() and renameat() "
          "(the window is %.1f us on average)",
          extra_min, window_us);
  current = CRASH_CALIBRATE;
  next = current + 1;

  for (k = 0; k < kills; k++) {
    double delay = (double)(prng() % 1000000) / 1e6 * CRASH_SPREAD * iter_us;
    int status, n, window;
    uint32_t attempt, done;
    long got, size;
    pid_t pid;

    store32(&sh->ready, 0);
    store32(&sh->error, 0);
    store32(&sh->in_op, 0);
    store32(&sh->window, 0);
    store32(&sh->attempt, current);
    store32(&sh->done, current);
    fflush(NULL);
    pid = fork();
    CHECK_SYS(pid);
    if (pid == 0)
      crash_writer(sh, next);
    t0 = tf_test_now();
    while (!load32(&sh->ready)) {
      if (waitpid(pid, &status, WNOHANG) == pid)
        SFAIL("round %d: the writer ended before starting (status 0x%x)", k,
              status);
      if (tf_test_now() - t0 > 10 * tf_test_time_scale())
        SFAIL("round %d: the writer did not start in %.0f s", k,
              10 * tf_test_time_scale());
      sched_yield();
    }
    tf_test_sleep_us(delay);
    CHECK_SYS(kill(pid, SIGKILL));
    CHECK_SYS(waitpid(pid, &status, 0));
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
      SFAIL("round %d: the writer ended by itself (status 0x%x, %s)", k,
            status,
            load32(&sh->error) ? tf_err_name(-(int)load32(&sh->error)) : "");
    attempt = load32(&sh->attempt);
    done = load32(&sh->done);
    window = (int)load32(&sh->window);
    if (load32(&sh->in_op))
      mid_op++;
    in_window += window == 1;
    in_rename += window == 2;

    /* The target: one complete version, the last finished or the one
     * being written when the kill came. */
    size = read_whole("target", buf, MAX_LEN + 1);
    if (size < 0)
      SFAIL("round %d (killed after %.0f us, writing version %u): reading "
            "the target: %s",
            k, delay, attempt, tf_err_name((int)size));
    got = check_version(buf, (size_t)size, scratch, why, sizeof(why));
    if (got < 0)
      SFAIL("round %d (killed after %.0f us, writing version %u): the target "
            "is not a complete version: %s",
            k, delay, attempt, why);
    if ((uint32_t)got != done && (uint32_t)got != attempt)
      SFAIL("round %d: the target is version %ld, expected %u (finished) or "
            "%u (being written)",
            k, got, done, attempt);
    if ((uint32_t)got == attempt && attempt != done)
      got_new++;

    /* Nothing else but hidden names, which are counted and removed.  On
     * the O_TMPFILE path one exists only inside the window, and then
     * holds the complete version being written. */
    n = other_entries("target", names, 64);
    for (i = 0; i < n; i++) {
      if (!is_hidden_name(names[i], "target"))
        SFAIL("round %d (%s path): \"%s\" left in the directory, which is "
              "not the hidden pattern",
              k, tf_test_path_name(p), names[i]);
      if (p == UNNAMED) {
        long hs = read_whole(names[i], buf, MAX_LEN + 1);
        long hv = hs < 0 ? -1
                         : check_version(buf, (size_t)hs, scratch, why,
                                         sizeof(why));
        if (!window)
          SFAIL("round %d: the O_TMPFILE path left %s, but the kill did not "
                "land between linkat() and the rename's return",
                k, names[i]);
        if (hv != (long)attempt)
          SFAIL("round %d: the O_TMPFILE path left %s, which is not the "
                "complete version %u being written (%s)",
                k, names[i], attempt, hs < 0 ? tf_err_name((int)hs) : why);
      }
      CHECK_SYS(unlink(names[i]));
      leftovers++;
    }
    current = (uint32_t)got;
    next = attempt + 1;
  }

  if (p == UNNAMED)
    fprintf(stderr,
            "    O_TMPFILE path: %d kills (%d inside tf_write_file, %d from "
            "linkat() to renameat(), %d in renameat()); the target was the "
            "version being written %d times, the finished one %d times; %d "
            "hidden leftovers (%.1f%%); one write %.0f us, linkat() to "
            "renameat() %.1f us (%.1f%%; linkat() %.1f us), renameat() %.1f us; "
            "%.1f s; seed %llu\n",
            kills, mid_op, in_window, in_rename, got_new, kills - got_new,
            leftovers, 100.0 * leftovers / kills, iter_us, window_us,
            100.0 * window_us / iter_us, linkat_us, rename_us,
            tf_test_now() - started, seed);
  else
    fprintf(stderr,
            "    named path: %d kills (%d inside tf_write_file); the target "
            "was the version being written %d times, the finished one %d "
            "times; %d hidden leftovers (%.1f%%); one write %.0f us; %.1f s; "
            "seed %llu\n",
            kills, mid_op, got_new, kills - got_new, leftovers,
            100.0 * leftovers / kills, iter_us, tf_test_now() - started, seed);
  /* The kills must hit the operation, not the gaps between (where
   * valgrind makes the versions slowly, a third of them will do). */
  if (mid_op * (tf_test_time_scale() > 1 ? 3 : 2) < kills)
    SFAIL("only %d of %d kills landed inside tf_write_file()", mid_op, kills);
  if (p == UNNAMED) {
    /*
     * Every leftover came from a kill inside the window (checked above).
     * Their number, as a cross-check: about the window's share of the
     * time (more in the writer, a fresh process whose first linkat()
     * through /proc/self/fd is slower than the measured ones): at most
     * four times it and 5 more for chance, or 1% of the kills if that is
     * more.  The window is not a few microseconds: the first link of an
     * O_TMPFILE inode takes 20-30 us on ext4 (it leaves the orphan list),
     * ~3% of a 1 ms replacement on a virtual disk, more where fsync() is
     * fast; leftovers were 1.3-7.7% of the kills there, so a fixed 1%
     * would fail nearly every run.
     */
    double share = window_us / iter_us;
    limit = (int)(kills * CRASH_LEFTOVER_FACTOR * share) + 5;
    if (limit < kills * CRASH_LEFTOVER_PERCENT / 100)
      limit = kills * CRASH_LEFTOVER_PERCENT / 100;
    if (leftovers > limit)
      SFAIL("the O_TMPFILE path left %d hidden files after %d kills (at "
            "most %d expected from its window of %.1f us in %.0f us)",
            leftovers, kills, limit, window_us, iter_us);
  } else if (leftovers == 0) {
    /* The named file exists through the write and the fsync, where
     * nearly every kill lands. */
    SFAIL("the named path never left a hidden file in %d kills: the kills "
          "do not land inside the operation",
          kills);
  }
  tf_test_restore_syscalls();
  CHECK_SYS(unlink("target"));
  ASSERT_EQ(tf_test_count_entries("."), 0);
  munmap(sh, sizeof(*sh));
  free(names);
  free(buf);
  free(scratch);
}

TEST_TIMEOUT(test_atomic_crash_sigkill_leaves_one_complete_version_o_tmpfile,
             60) {
  tf_test_need_unnamed();
  crash_test(UNNAMED);
}

TEST_TIMEOUT(test_atomic_crash_sigkill_leaves_one_complete_version_named,
             60) {
  crash_test(NAMED);
}

/* ------------------------------------------------- concurrent writers */

#define RACE_PROCS 2
#define RACE_THREADS 4
#define RACE_WRITERS (RACE_PROCS * RACE_THREADS)
/* Replacements per thread (fewer under valgrind), and a time bound. */
#define RACE_ROUNDS 200
#define RACE_SECONDS 8

/* Writer w's version of round r (1-based): distinct for every pair. */
static uint32_t race_version(int w, int r) {
  return ((uint32_t)(w + 1) << 20) | (uint32_t)r;
}

struct race_shared {
  volatile uint32_t go;                 /* writers start together */
  volatile uint32_t stop;               /* the reader stops */
  volatile uint32_t last[RACE_WRITERS]; /* each writer's last version */
  volatile uint32_t rounds;             /* rounds per writer */
  volatile uint32_t reads, changes;     /* the reader's counts */
  char why[512];                        /* the first failure */
  volatile uint32_t failed;
};

static struct race_shared *race;

static void race_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void race_fail(const char *fmt, ...) {
  va_list ap;
  if (__atomic_exchange_n(&race->failed, 1, __ATOMIC_SEQ_CST) != 0)
    return;
  va_start(ap, fmt);
  vsnprintf(race->why, sizeof(race->why), fmt, ap);
  va_end(ap);
}

/* Each writer replaces "target" in its own way: the three durability
 * levels through tf_write_file(), and the handle with two writes. */
static int race_write(int w, const unsigned char *buf, size_t len) {
  tf_opts o = TF_OPTS_INIT;
  tf_atomic *a;
  int rc;
  switch (w % 4) {
  case 1:
    o.flags = TF_SYNC_NONE;
    break;
  case 2:
    o.flags = TF_SYNC_DURABLE;
    break;
  case 3:
    rc = tf_atomic_begin(&a, "target", NULL);
    if (rc < 0)
      return rc;
    rc = tf_atomic_write(a, buf, len / 2);
    if (rc == 0)
      rc = tf_atomic_write(a, buf + len / 2, len - len / 2);
    if (rc == 0)
      rc = tf_atomic_commit(a);
    tf_atomic_free(a);
    return rc;
  }
  return tf_write_file("target", buf, len, &o);
}

static void *race_writer(void *arg) {
  int w = (int)(intptr_t)arg, r, rounds = (int)race->rounds;
  unsigned char *buf = malloc(MAX_LEN + 1);
  double deadline = tf_test_now() + RACE_SECONDS * tf_test_time_scale();
  if (buf == NULL) {
    race_fail("writer %d: out of memory", w);
    return NULL;
  }
  while (!load32(&race->go))
    sched_yield();
  for (r = 1; r <= rounds && !load32(&race->failed); r++) {
    uint32_t v = race_version(w, r);
    int rc = race_write(w, buf, make_version(v, buf));
    if (rc != 0) {
      race_fail("writer %d, round %d: %s", w, r, tf_err_name(rc));
      break;
    }
    store32(&race->last[w], v);
    if (tf_test_now() > deadline)
      break;
  }
  free(buf);
  return NULL;
}

static void race_writer_process(int proc) {
  pthread_t threads[RACE_THREADS];
  int t;
  for (t = 0; t < RACE_THREADS; t++)
    if (pthread_create(&threads[t], NULL, race_writer,
                       (void *)(intptr_t)(proc * RACE_THREADS + t)) != 0) {
      race_fail("pthread_create failed");
      _exit(1);
    }
  for (t = 0; t < RACE_THREADS; t++)
    pthread_join(threads[t], NULL);
  _exit(0);
}

/* The reader: every read of the target, once there is one, is one
 * complete version some writer makes. */
static void race_reader_process(void) {
  unsigned char *buf = malloc(MAX_LEN + 1), *scratch = malloc(MAX_LEN);
  char why[160];
  uint32_t reads = 0, changes = 0;
  long prev = -1;
  if (buf == NULL || scratch == NULL)
    _exit(1);
  while (!load32(&race->stop)) {
    long size = read_whole("target", buf, MAX_LEN + 1), v;
    if (size == -ENOENT && reads == 0) {
      sched_yield();
      continue;
    }
    if (size < 0) {
      race_fail("read %u of the target: %s", reads + 1,
                tf_err_name((int)size));
      break;
    }
    v = check_version(buf, (size_t)size, scratch, why, sizeof(why));
    if (v < 0) {
      race_fail("read %u: not one complete version: %s", reads + 1, why);
      break;
    }
    if ((v >> 20) < 1 || (v >> 20) > RACE_WRITERS || (v & 0xfffff) == 0 ||
        (v & 0xfffff) > race->rounds) {
      race_fail("read %u: version 0x%lx, which no writer makes", reads + 1,
                (unsigned long)v);
      break;
    }
    reads++;
    if (v != prev)
      changes++;
    prev = v;
  }
  store32(&race->reads, reads);
  store32(&race->changes, changes);
  free(buf);
  free(scratch);
  _exit(0);
}

static void race_test(enum tf_test_path p) {
  pid_t reader, writers[RACE_PROCS];
  unsigned char *buf, *scratch;
  char why[160];
  char (*names)[NAME_MAX + 1];
  double started = tf_test_now();
  int i, status, n;
  long size, v;

  race = tf_test_shared_alloc(sizeof(*race));
  race->rounds = (uint32_t)(RACE_ROUNDS / tf_test_time_scale());
  if (race->rounds < 5)
    race->rounds = 5;
  tf_test_use_path(p);

  /* No target at first: the first commits race to create it. */
  fflush(NULL);
  reader = fork();
  CHECK_SYS(reader);
  if (reader == 0)
    race_reader_process();
  for (i = 0; i < RACE_PROCS; i++) {
    writers[i] = fork();
    CHECK_SYS(writers[i]);
    if (writers[i] == 0)
      race_writer_process(i);
  }
  store32(&race->go, 1);
  for (i = 0; i < RACE_PROCS; i++) {
    CHECK_SYS(waitpid(writers[i], &status, 0));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      FAIL("writer process %d ended with status 0x%x (%s)", i, status,
           race->why);
  }
  store32(&race->stop, 1);
  CHECK_SYS(waitpid(reader, &status, 0));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    FAIL("reader ended with status 0x%x (%s)", status, race->why);
  if (race->failed)
    FAIL("%s path: %s", tf_test_path_name(p), race->why);
  fprintf(stderr,
          "    %s path: %d writers x up to %u replacements; the reader read "
          "%u complete versions, %u changes seen; %.1f s\n",
          tf_test_path_name(p), RACE_WRITERS, (unsigned)race->rounds,
          (unsigned)race->reads, (unsigned)race->changes, tf_test_now() - started);
  ASSERT_GT(race->reads, 0);

  /* (allocated only now: the children end with _exit, which valgrind
   * would report as leaking what they inherited) */
  buf = malloc(MAX_LEN + 1);
  scratch = malloc(MAX_LEN);
  names = malloc(8 * sizeof(*names));
  ASSERT(buf != NULL && scratch != NULL && names != NULL);

  /* The last rename was some writer's last replacement. */
  size = read_whole("target", buf, MAX_LEN + 1);
  if (size < 0)
    FAIL("reading the target: %s", tf_err_name((int)size));
  v = check_version(buf, (size_t)size, scratch, why, sizeof(why));
  if (v < 0)
    FAIL("the final target is not a complete version: %s", why);
  for (i = 0; i < RACE_WRITERS; i++)
    if ((uint32_t)v == race->last[i])
      break;
  if (i == RACE_WRITERS)
    FAIL("the final target is version 0x%lx, no writer's last", v);

  /* The directory holds the target alone. */
  n = other_entries("target", names, 8);
  if (n > 0)
    FAIL("%s path: %d entries left besides the target, the first \"%s\"",
         tf_test_path_name(p), n, names[0]);
  CHECK_SYS(unlink("target"));
  munmap(race, sizeof(*race));
  free(names);
  free(buf);
  free(scratch);
  tf_test_restore_syscalls();
}

TEST_TIMEOUT(test_atomic_crash_concurrent_writers_and_a_reader_o_tmpfile, 60) {
  tf_test_need_unnamed();
  race_test(UNNAMED);
}

TEST_TIMEOUT(test_atomic_crash_concurrent_writers_and_a_reader_named, 60) {
  race_test(NAMED);
}

/* ------------------------------------------------- the order, by strace */

/*
 * tests/atomic_writer.c (built next to this binary as atomic-writer) does
 * one replacement under strace; the trace must show, on the new file's
 * fd F and the directory's fd D:
 *   O_TMPFILE path  openat(D, ".", ...O_TMPFILE...) = F; write(F, the
 *                   contents); fsync(F); linkat(AT_FDCWD,
 *                   "/proc/self/fd/F", D, NAME, AT_SYMLINK_FOLLOW) where
 *                   NAME is the target when it did not exist, else a
 *                   hidden name then renamed over the target, with only
 *                   close(F) between;
 *   named path      openat(D, HIDDEN, ...O_CREAT|O_EXCL...) = F; write;
 *                   fsync(F); renameat(D, HIDDEN, D, target);
 * then fsync(D) with TF_SYNC_DURABLE only; no sync at all with
 * TF_SYNC_NONE (or TF_SYNC_ONLY_EXISTING and no old data).  (Writes may
 * be writev: musl's stdio flushes with it.)
 */
#define STRACE_CALLS                                                         \
  "trace=openat,write,writev,pwrite64,fsync,fdatasync,linkat,renameat,"      \
  "renameat2,close"

/* One system call of the trace. */
struct sc {
  char name[16];
  char arg[6][200];
  int nargs;
  long ret;
  int line;
};

struct trace {
  struct sc *calls;
  int n;
  char *text; /* the whole trace, for failure messages */
};

/* An executable named name on $PATH into out, or 0. */
static int find_on_path(const char *name, char *out, size_t size) {
  const char *path = getenv("PATH"), *p;
  if (path == NULL || *path == '\0')
    path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
  for (p = path; *p != '\0';) {
    size_t len = strcspn(p, ":");
    if (len > 0 && (size_t)snprintf(out, size, "%.*s/%s", (int)len, p, name) <
                       size &&
        access(out, X_OK) == 0)
      return 1;
    p += len;
    if (*p == ':')
      p++;
  }
  return 0;
}

/* The helper next to this test binary. */
static void helper_path(char *out, size_t size) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  char *slash;
  if (n <= 0)
    FAIL("readlink /proc/self/exe: %s", strerror(errno));
  exe[n] = '\0';
  slash = strrchr(exe, '/');
  ASSERT(slash != NULL);
  *slash = '\0';
  if ((size_t)snprintf(out, size, "%s/atomic-writer", exe) >= size)
    FAIL("path too long: %s", exe);
  if (access(out, X_OK) != 0)
    FAIL("%s: %s (the Makefile builds it with the unit tests)", out,
         strerror(errno));
}

/* Split the text between a call's parentheses into its arguments, at the
 * commas outside strings and brackets. */
static void split_args(const char *s, size_t len, struct sc *c) {
  size_t i, start = 0;
  int depth = 0, quoted = 0;
  c->nargs = 0;
  for (i = 0; i <= len; i++) {
    char ch = i < len ? s[i] : ',';
    if (quoted) {
      if (ch == '\\' && i + 1 < len)
        i++;
      else if (ch == '"')
        quoted = 0;
      continue;
    }
    if (ch == '"')
      quoted = 1;
    else if (ch == '(' || ch == '[' || ch == '{')
      depth++;
    else if (ch == ')' || ch == ']' || ch == '}')
      depth--;
    else if (ch == ',' && depth == 0) {
      size_t a = start, b = i;
      while (a < b && s[a] == ' ')
        a++;
      while (b > a && s[b - 1] == ' ')
        b--;
      if (c->nargs < 6 && (b > a || i < len))
        snprintf(c->arg[c->nargs++], sizeof(c->arg[0]), "%.*s", (int)(b - a),
                 s + a);
      start = i + 1;
    }
  }
}

/* One complete line of strace output (pid prefix removed) into c; 0 if
 * it is no call (signals, exits). */
static int parse_call(const char *line, struct sc *c) {
  const char *open = strchr(line, '('), *p, *eq;
  size_t i;
  int depth = 0, quoted = 0;
  if (open == NULL || open == line || (size_t)(open - line) >= sizeof(c->name))
    return 0;
  for (p = line; p < open; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
      return 0;
  memcpy(c->name, line, (size_t)(open - line));
  c->name[open - line] = '\0';
  /* the closing parenthesis */
  for (p = open; *p != '\0'; p++) {
    if (quoted) {
      if (*p == '\\' && p[1] != '\0')
        p++;
      else if (*p == '"')
        quoted = 0;
      continue;
    }
    if (*p == '"')
      quoted = 1;
    else if (*p == '(')
      depth++;
    else if (*p == ')' && --depth == 0)
      break;
  }
  if (*p != ')')
    return 0;
  split_args(open + 1, (size_t)(p - open - 1), c);
  eq = strstr(p, " = ");
  if (eq == NULL)
    return 0;
  eq += 3;
  if (*eq == '?')
    return 0;
  c->ret = strtol(eq, NULL, 0);
  for (i = (size_t)c->nargs; i < 6; i++)
    c->arg[i][0] = '\0';
  return 1;
}

/* Read the trace at path: calls of every process, in order, with
 * "<unfinished ...>" calls joined to their "<... resumed>" rest. */
static void read_trace(const char *path, struct trace *t) {
  FILE *f = fopen(path, "r");
  char line[4096], pending[8][4096];
  long pending_pid[8];
  size_t total = 0, cap = 4096;
  int cap_calls = 64, lineno = 0, i;
  if (f == NULL)
    FAIL("%s: %s", path, strerror(errno));
  memset(pending_pid, 0, sizeof(pending_pid));
  t->calls = malloc((size_t)cap_calls * sizeof(*t->calls));
  t->text = malloc(cap);
  ASSERT(t->calls != NULL && t->text != NULL);
  t->text[0] = '\0';
  t->n = 0;
  while (fgets(line, sizeof(line), f) != NULL) {
    char joined[8192], *s = line, *end;
    long pid = 0;
    size_t len = strlen(line);
    lineno++;
    if (total + len + 1 > cap) {
      cap = 2 * (total + len + 1);
      t->text = realloc(t->text, cap);
      ASSERT(t->text != NULL);
    }
    memcpy(t->text + total, line, len + 1);
    total += len;
    if (len > 0 && line[len - 1] == '\n')
      line[--len] = '\0';
    if (*s >= '0' && *s <= '9') {
      pid = strtol(s, &end, 10);
      s = end;
      while (*s == ' ')
        s++;
    }
    if ((end = strstr(s, " <unfinished ...>")) != NULL) {
      for (i = 0; i < 8 && pending_pid[i] != 0 && pending_pid[i] != pid; i++)
        ;
      ASSERT(i < 8);
      *end = '\0';
      pending_pid[i] = pid;
      snprintf(pending[i], sizeof(pending[i]), "%s", s);
      continue;
    }
    if (strncmp(s, "<... ", 5) == 0 && (end = strstr(s, " resumed>")) != NULL) {
      for (i = 0; i < 8 && pending_pid[i] != pid; i++)
        ;
      if (i == 8)
        FAIL("trace line %d resumes a call never begun:\n%s", lineno, line);
      /* (each half is at most a line: the precisions say so to gcc) */
      snprintf(joined, sizeof(joined), "%.4095s%.4095s", pending[i], end + 9);
      pending_pid[i] = 0;
      s = joined;
    }
    if (t->n == cap_calls) {
      cap_calls *= 2;
      t->calls = realloc(t->calls, (size_t)cap_calls * sizeof(*t->calls));
      ASSERT(t->calls != NULL);
    }
    if (parse_call(s, &t->calls[t->n])) {
      t->calls[t->n].line = lineno;
      t->n++;
    }
  }
  fclose(f);
}

/* arg is flags joined by '|' that include flag. */
static int has_flag(const char *arg, const char *flag) {
  size_t len = strlen(flag);
  const char *p = arg;
  while ((p = strstr(p, flag)) != NULL) {
    if ((p == arg || p[-1] == '|') && (p[len] == '\0' || p[len] == '|'))
      return 1;
    p += len;
  }
  return 0;
}

/* A quoted string argument without its quotes (no escapes expected). */
static void unquote(const char *arg, char *out, size_t size) {
  size_t len = strlen(arg);
  if (len >= 2 && arg[0] == '"' && arg[len - 1] == '"')
    snprintf(out, size, "%.*s", (int)(len - 2), arg + 1);
  else
    snprintf(out, size, "%s", arg);
}

static int is_call(const struct sc *c, const char *name) {
  return strcmp(c->name, name) == 0;
}
static int is_write(const struct sc *c) {
  return is_call(c, "write") || is_call(c, "writev") ||
         is_call(c, "pwrite64");
}
static int is_sync(const struct sc *c) {
  return is_call(c, "fsync") || is_call(c, "fdatasync");
}
static int is_rename(const struct sc *c) {
  return is_call(c, "renameat") ||
         (is_call(c, "renameat2") && strcmp(c->arg[4], "0") == 0);
}

struct order_case {
  const char *what;
  unsigned flags;
  int target_exists;
  const char *api;
};

static const struct order_case order_cases[] = {
    {"TF_SYNC_NONE, new target", TF_SYNC_NONE, 0, "write"},
    {"TF_SYNC_NONE, existing target", TF_SYNC_NONE, 1, "atomic"},
    {"default, new target", 0, 0, "stream"},
    {"default, existing target", 0, 1, "write"},
    {"TF_SYNC_DURABLE, new target", TF_SYNC_DURABLE, 0, "atomic"},
    {"TF_SYNC_DURABLE, existing target", TF_SYNC_DURABLE, 1, "write"},
    {"TF_SYNC_DURABLE|TF_SYNC_ONLY_EXISTING, new target",
     TF_SYNC_DURABLE | TF_SYNC_ONLY_EXISTING, 0, "write"},
    {"TF_SYNC_DURABLE|TF_SYNC_ONLY_EXISTING, existing target",
     TF_SYNC_DURABLE | TF_SYNC_ONLY_EXISTING, 1, "stream"},
    {"TF_SYNC_ONLY_EXISTING, existing target", TF_SYNC_ONLY_EXISTING, 1,
     "atomic"},
};

#define OFAIL(fmt, ...)                                                      \
  FAIL("%s path, %s: " fmt "\nthe trace:\n%s", tf_test_path_name(p), oc->what,       \
       __VA_ARGS__, t.text)

/* Check the trace of one replacement of "target" with contents. */
static void check_order(enum tf_test_path p, const struct order_case *oc,
                        const struct trace *tp, const char *contents) {
  const struct trace t = *tp;
  int sync_file = !(oc->flags & TF_SYNC_NONE) &&
                  (!(oc->flags & TF_SYNC_ONLY_EXISTING) || oc->target_exists);
  int sync_dir = sync_file && (oc->flags & TF_SYNC_DURABLE);
  int created = -1, dir_open = -1, first_write = -1, last_write = -1;
  int closed = -1, file_sync = -1, dir_sync = -1, linked = -1, renamed = -1;
  int i, fd = -1, dir = -1, syncs = 0;
  long written = 0;
  char hidden[NAME_MAX + 1] = "", name[NAME_MAX + 1], want[64];

  /* The new file: exactly one, made as the path makes it. */
  for (i = 0; i < t.n; i++) {
    const struct sc *c = &t.calls[i];
    if (!is_call(c, "openat"))
      continue;
    unquote(c->arg[1], name, sizeof(name));
    if (has_flag(c->arg[2], "O_TMPFILE")) {
      if (p == NAMED)
        OFAIL("an O_TMPFILE open on the named path (line %d)", c->line);
    } else if (has_flag(c->arg[2], "O_CREAT")) {
      if (p == UNNAMED)
        OFAIL("a file created by name on the O_TMPFILE path (line %d)",
              c->line);
      if (!has_flag(c->arg[2], "O_EXCL") || !is_hidden_name(name, "target"))
        OFAIL("a file created without O_EXCL or the hidden name (line %d)",
              c->line);
      snprintf(hidden, sizeof(hidden), "%s", name);
    } else {
      continue;
    }
    if (created >= 0)
      OFAIL("two new files (lines %d and %d)", t.calls[created].line, c->line);
    if (c->ret < 0)
      OFAIL("the new file's open failed (line %d)", c->line);
    created = i;
    fd = (int)c->ret;
    dir = atoi(c->arg[0]);
    if (p == UNNAMED && strcmp(name, ".") != 0)
      OFAIL("O_TMPFILE opened at \"%s\", not \".\" (line %d)", name, c->line);
  }
  if (created < 0)
    OFAIL("no %s open of the new file", p == UNNAMED ? "O_TMPFILE" : "O_EXCL");
  /* D: a directory fd opened before and still open. */
  for (i = created - 1; i >= 0; i--) {
    const struct sc *c = &t.calls[i];
    if (is_call(c, "openat") && c->ret == dir) {
      if (has_flag(c->arg[2], "O_DIRECTORY"))
        dir_open = i;
      break;
    }
    if (is_call(c, "close") && atoi(c->arg[0]) == dir)
      break;
  }
  if (dir_open < 0)
    OFAIL("fd %d, where the file was made, is not an open directory", dir);

  /* What happens to F and D, in order. */
  for (i = created + 1; i < t.n; i++) {
    const struct sc *c = &t.calls[i];
    int a0 = atoi(c->arg[0]);
    if (is_write(c) && a0 == fd && closed < 0) {
      if (c->ret < 0)
        OFAIL("a write to the new file failed (line %d)", c->line);
      if (first_write < 0)
        first_write = i;
      last_write = i;
      written += c->ret;
    } else if (is_call(c, "close") && a0 == fd && closed < 0) {
      closed = i;
    } else if (is_sync(c)) {
      syncs++;
      if (c->ret != 0)
        OFAIL("%s failed (line %d)", c->name, c->line);
      if (a0 == fd && closed < 0 && file_sync < 0)
        file_sync = i;
      else if (a0 == dir && dir_sync < 0 && (linked >= 0 || renamed >= 0))
        dir_sync = i;
      else
        OFAIL("an unexpected %s (line %d)", c->name, c->line);
    } else if (is_call(c, "linkat")) {
      snprintf(want, sizeof(want), "\"/proc/self/fd/%d\"", fd);
      unquote(c->arg[3], name, sizeof(name));
      if (p == NAMED)
        OFAIL("linkat on the named path (line %d)", c->line);
      if (linked >= 0 || renamed >= 0)
        OFAIL("a second linkat (line %d)", c->line);
      if (strcmp(c->arg[0], "AT_FDCWD") != 0 || strcmp(c->arg[1], want) != 0 ||
          atoi(c->arg[2]) != dir || !has_flag(c->arg[4], "AT_SYMLINK_FOLLOW"))
        OFAIL("linkat is not of %s into fd %d (line %d)", want, dir, c->line);
      if (c->ret != 0)
        OFAIL("linkat failed (line %d)", c->line);
      if (oc->target_exists) {
        if (!is_hidden_name(name, "target"))
          OFAIL("the existing target is replaced by a link to \"%s\", not a "
                "hidden name (line %d)",
                name, c->line);
        snprintf(hidden, sizeof(hidden), "%s", name);
      } else if (strcmp(name, "target") != 0) {
        OFAIL("a new target is linked as \"%s\", not straight to its name "
              "(line %d)",
              name, c->line);
      }
      linked = i;
    } else if (is_call(c, "renameat") || is_call(c, "renameat2")) {
      if (!is_rename(c))
        OFAIL("a rename with flags (line %d)", c->line);
      if (renamed >= 0)
        OFAIL("a second rename (line %d)", c->line);
      unquote(c->arg[1], name, sizeof(name));
      if (a0 != dir || atoi(c->arg[2]) != dir || strcmp(name, hidden) != 0 ||
          strcmp(c->arg[3], "\"target\"") != 0)
        OFAIL("the rename is not of %s over target in fd %d (line %d)",
              hidden[0] ? hidden : "(no hidden name)", dir, c->line);
      if (c->ret != 0)
        OFAIL("the rename failed (line %d)", c->line);
      renamed = i;
    }
  }

  /* The contents, then the sync, then the name. */
  if (first_write < 0)
    OFAIL("no write to the new file (fd %d)", fd);
  snprintf(want, sizeof(want), "\"%.16s", contents);
  if (strstr(t.calls[first_write].arg[1], want) == NULL)
    OFAIL("the first write to fd %d is not of the contents (line %d)", fd,
          t.calls[first_write].line);
  if (written != (long)strlen(contents))
    OFAIL("%ld bytes written to the new file, not %zu", written,
          strlen(contents));
  if (closed < 0)
    OFAIL("the new file's fd %d is never closed", fd);
  if (p == UNNAMED && (linked < 0 || (oc->target_exists && renamed < 0)))
    OFAIL("%s", "no linkat, or no rename after it");
  if (p == UNNAMED && !oc->target_exists && renamed >= 0)
    OFAIL("a rename although the target did not exist (line %d)",
          t.calls[renamed].line);
  if (p == NAMED && renamed < 0)
    OFAIL("%s", "no rename over the target");
  /* While the unnamed file has a hidden name, nothing but its close. */
  if (p == UNNAMED && renamed >= 0)
    for (i = linked + 1; i < renamed; i++)
      if (i != closed)
        OFAIL("%s (line %d) between linkat and the rename",
              t.calls[i].name, t.calls[i].line);
  /* The call that gives the target its contents. */
  i = renamed >= 0 ? renamed : linked;
  if (sync_file) {
    if (file_sync < 0)
      OFAIL("no fsync of the new file (fd %d)", fd);
    if (file_sync < last_write)
      OFAIL("the file is synced (line %d) before its last write (line %d)",
            t.calls[file_sync].line, t.calls[last_write].line);
    if (file_sync > (linked >= 0 ? linked : renamed))
      OFAIL("the file is synced (line %d) after it got a name",
            t.calls[file_sync].line);
  } else if (syncs != 0) {
    OFAIL("%d syncs where none is wanted", syncs);
  }
  if (last_write > (linked >= 0 ? linked : renamed))
    OFAIL("a write (line %d) after the file got a name",
          t.calls[last_write].line);
  if (p == UNNAMED && closed < linked)
    OFAIL("the fd is closed (line %d) before linkat", t.calls[closed].line);
  if (sync_dir) {
    if (dir_sync < 0)
      OFAIL("no fsync of the directory (fd %d) after line %d", dir,
            t.calls[i].line);
  } else if (dir_sync >= 0) {
    OFAIL("the directory is synced (line %d) without TF_SYNC_DURABLE",
          t.calls[dir_sync].line);
  }
  if (syncs != sync_file + sync_dir)
    OFAIL("%d syncs, expected %d", syncs, sync_file + sync_dir);
}

static void order_test(enum tf_test_path p) {
  char strace[PATH_MAX], helper[PATH_MAX], trace_file[PATH_MAX + 16];
  char contents[512], flags[32], emulator[PATH_MAX], *emu_argv[8];
  size_t k;
  int emu_argc = 0;
  if (!find_on_path("strace", strace, sizeof(strace)))
    SKIP("no strace on PATH: cannot see the order of the system calls");
  helper_path(helper, sizeof(helper));
  /* A cross build: the helper runs under the emulator, traced with it
   * (qemu-user passes these calls straight through, each as one host
   * call; its own before the helper's make no file, write or sync). */
  if (tf_test_emulator() != NULL) {
    char *save = NULL, *w;
    snprintf(emulator, sizeof(emulator), "%s", tf_test_emulator());
    for (w = strtok_r(emulator, " ", &save); w != NULL;
         w = strtok_r(NULL, " ", &save)) {
      if (emu_argc == 8)
        FAIL("TF_TEST_EMULATOR has more than 8 words: %s",
             tf_test_emulator());
      emu_argv[emu_argc++] = w;
    }
  }
  snprintf(trace_file, sizeof(trace_file), "%s/strace.out",
           tf_test_fast_dir());
  for (k = 0; k < sizeof(order_cases) / sizeof(order_cases[0]); k++) {
    const struct order_case *oc = &order_cases[k];
    struct trace t;
    char *argv[24], *listing, *got;
    int argc = 0, status, rc, n, e;
    size_t len;
    pid_t pid;
    if (oc->target_exists)
      tf_test_write_file("target", "the old contents\n");
    len = (size_t)snprintf(contents, sizeof(contents),
                           "strace-order %s case %zu: ", tf_test_path_name(p), k);
    for (; len < 300; len++)
      contents[len] = (char)('a' + len % 26);
    contents[len] = '\0';
    snprintf(flags, sizeof(flags), "0x%x", oc->flags);
    argv[argc++] = strace;
    argv[argc++] = (char *)"-f";
    argv[argc++] = (char *)"-o";
    argv[argc++] = trace_file;
    argv[argc++] = (char *)"-e";
    argv[argc++] = (char *)STRACE_CALLS;
    for (e = 0; e < emu_argc; e++)
      argv[argc++] = emu_argv[e];
    argv[argc++] = helper;
    if (p == NAMED)
      argv[argc++] = (char *)"-n";
    argv[argc++] = (char *)"-f";
    argv[argc++] = flags;
    argv[argc++] = (char *)"-a";
    argv[argc++] = (char *)oc->api;
    argv[argc++] = (char *)"target";
    argv[argc++] = contents;
    argv[argc] = NULL;
    fflush(NULL);
    pid = fork();
    CHECK_SYS(pid);
    if (pid == 0) {
      /* LeakSanitizer can not work under ptrace. */
      const char *asan = getenv("ASAN_OPTIONS");
      char opts[1024];
      snprintf(opts, sizeof(opts), "%s%sdetect_leaks=0", asan ? asan : "",
               asan && *asan ? ":" : "");
      setenv("ASAN_OPTIONS", opts, 1);
      execv(strace, argv);
      fprintf(stderr, "exec %s: %s\n", strace, strerror(errno));
      _exit(127);
    }
    CHECK_SYS(waitpid(pid, &status, 0));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      FAIL("%s path, %s: strace %s failed (status 0x%x)", tf_test_path_name(p),
           oc->what, helper, status);
    read_trace(trace_file, &t);
    check_order(p, oc, &t, contents);
    free(t.calls);
    free(t.text);
    CHECK_SYS(unlink(trace_file));

    /* The target has the contents, and is alone. */
    got = malloc(sizeof(contents));
    ASSERT(got != NULL);
    rc = (int)read_whole("target", (unsigned char *)got, sizeof(contents) - 1);
    ASSERT_OK(rc);
    got[rc] = '\0';
    ASSERT_STR_EQ(got, contents);
    free(got);
    listing = tf_test_listing(".");
    n = tf_test_count_entries(".");
    if (n != 1)
      FAIL("%s path, %s: the directory holds:\n%s", tf_test_path_name(p), oc->what,
           listing);
    free(listing);
    CHECK_SYS(unlink("target"));
  }
}

TEST_TIMEOUT(test_atomic_crash_strace_shows_the_order_o_tmpfile, 60) {
  tf_test_need_unnamed();
  order_test(UNNAMED);
}

TEST_TIMEOUT(test_atomic_crash_strace_shows_the_order_named, 60) {
  order_test(NAMED);
}
