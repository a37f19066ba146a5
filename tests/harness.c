/* SPDX-License-Identifier: MIT */
/*
 * harness.c - runs every registered test in a forked child with a timeout,
 * inside a fresh private directory (its cwd and $TMPDIR), and fails it if
 * it crashes, times out, leaks an fd or library memory, or leaves a file.
 * Runs JOBS tests at a time, each child's output kept in a file of its
 * own and printed under the test's line when it ends; the last line is
 * "N passed, N failed" (", N skipped" when some were).
 * Usage: unit [-j JOBS] [-l] [SUBSTRING...]   (see usage())
 */
#include "harness.h"
#include "fault.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct tf_test *tests;
static char test_dir[PATH_MAX];
static char fast_dir[PATH_MAX];  /* the test's directory on a tmpfs */
static char fast_base[PATH_MAX]; /* "" if there is no tmpfs to use */

void tf_test_register(struct tf_test *t) {
  t->next = tests;
  tests = t;
}

const char *tf_test_dir(void) { return test_dir; }

const char *tf_test_fast_dir(void) {
  return fast_base[0] ? fast_dir : test_dir;
}

void tf_test_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "    %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(NULL);
  _exit(1);
}

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted entries of dir joined by '\n'. */
static char *sorted_listing(const char *dir, int *count) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char **names = NULL, *out;
  size_t n = 0, total = 1, i;
  if (d == NULL) {
    *count = -1;
    return strdup("");
  }
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    names = realloc(names, (n + 1) * sizeof(*names));
    names[n] = strdup(e->d_name);
    total += strlen(e->d_name) + 1;
    n++;
  }
  closedir(d);
  if (n > 0)
    qsort(names, n, sizeof(*names), compare_strings);
  out = calloc(1, total);
  for (i = 0; i < n; i++) {
    strcat(out, names[i]);
    strcat(out, "\n");
    free(names[i]);
  }
  free(names);
  *count = (int)n;
  return out;
}

char *tf_test_listing(const char *dir) {
  int count;
  return sorted_listing(dir, &count);
}

int tf_test_count_entries(const char *dir) {
  int count;
  free(sorted_listing(dir, &count));
  return count;
}

char *tf_test_fd_listing(void) {
  DIR *d;
  struct dirent *e;
  char buf[4096] = "";
  size_t used = 0;
  int own;
  /* Not the fds the library keeps for later objects (the ledger, and
   * cached anchors no handle uses): given back first. */
  tf__caches_release();
  /* /proc/self/fd lists the fd opendir() itself uses; drop it. */
  d = opendir("/proc/self/fd");
  if (d == NULL)
    return strdup("?");
  own = dirfd(d);
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == own)
      continue;
    used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s ",
                             e->d_name);
    if (used >= sizeof(buf))
      break;
  }
  closedir(d);
  return strdup(buf);
}

int tf_test_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

void tf_test_write_file(const char *path, const char *content) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  size_t len = strlen(content);
  if (fd < 0 || write(fd, content, len) != (ssize_t)len)
    FAIL("writing %s: %s", path, strerror(errno));
  close(fd);
}

int tf_test_is_root(void) { return geteuid() == 0; }

const char *tf_test_emulator(void) {
  const char *e = getenv("TF_TEST_EMULATOR");
  return e != NULL && *e != '\0' ? e : NULL;
}

void tf_test_skip_if_wipeonfork_ignored(void) {
#ifdef MADV_WIPEONFORK
  size_t size = (size_t)sysconf(_SC_PAGESIZE);
  unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int status, kept = 0;
  pid_t pid;
  if (p == MAP_FAILED)
    FAIL("mmap: %s", strerror(errno));
  if (madvise(p, size, MADV_WIPEONFORK) == 0) {
    *(volatile unsigned char *)p = 1;
    fflush(NULL);
    pid = fork();
    if (pid < 0)
      FAIL("fork: %s", strerror(errno));
    if (pid == 0)
      _exit(*(volatile unsigned char *)p);
    if (waitpid(pid, &status, 0) != pid)
      FAIL("waitpid: %s", strerror(errno));
    kept = WIFEXITED(status) && WEXITSTATUS(status) == 1;
  }
  munmap(p, size);
  if (kept)
    SKIP("madvise(MADV_WIPEONFORK) succeeds but a child's page is not "
         "wiped (qemu-user ignores the advice): a child made by _Fork(), "
         "which runs no atfork handler, can not tell it is new");
#endif
}

int tf_test_run_unprivileged(void (*fn)(void *), void *arg) {
  int status;
  pid_t pid;
  if (tf_test_is_root() && chmod(test_dir, 0711) != 0)
    FAIL("chmod %s: %s", test_dir, strerror(errno));
  pid = fork();
  if (pid < 0)
    FAIL("fork: %s", strerror(errno));
  if (pid == 0) {
    if (tf_test_is_root()) {
      if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
        FAIL("dropping privileges: %s", strerror(errno));
      if (geteuid() == 0)
        FAIL("still root after setuid");
    }
    fn(arg);
    _exit(0);
  }
  if (waitpid(pid, &status, 0) != pid)
    FAIL("waitpid: %s", strerror(errno));
  if (tf_test_is_root())
    chmod(test_dir, 0700);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void write_proc(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  size_t len = strlen(text);
  if (fd < 0 || write(fd, text, len) != (ssize_t)len)
    FAIL("writing %s: %s", path, strerror(errno));
  close(fd);
}

int tf_test_enter_mount_ns(void) {
  int as_root = geteuid() == 0;
  if (as_root) {
    if (unshare(CLONE_NEWNS) != 0)
      FAIL("unshare(CLONE_NEWNS): %s", strerror(errno));
  } else {
    char map[64];
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
      FAIL("not root, and no user namespace (%s): cannot mount",
           strerror(errno));
    write_proc("/proc/self/setgroups", "deny");
    snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
    write_proc("/proc/self/uid_map", map);
    snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
    write_proc("/proc/self/gid_map", map);
  }
  /* ("none": valgrind checks the strings the kernel ignores here) */
  if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
    FAIL("making / private: %s", strerror(errno));
  return as_root;
}

static int mount_ns_real_root;

/* 1 if the fd listing after names an fd that before does not (fds that
 * were closed, such as ones inherited from the parent, are fine). */
static int new_fd_in(const char *before, const char *after) {
  char *copy = strdup(after), *line, *save = NULL;
  int found = 0;
  for (line = strtok_r(copy, "\n", &save); line != NULL && !found;
       line = strtok_r(NULL, "\n", &save)) {
    const char *p = before;
    size_t len = strlen(line);
    found = 1;
    while ((p = strstr(p, line)) != NULL) {
      if ((p == before || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0')) {
        found = 0;
        break;
      }
      p += len;
    }
  }
  free(copy);
  return found;
}

int tf_test_mount_ns_real_root(void) { return mount_ns_real_root; }

void tf_test_skip_unless_mount_ns(void) {
  int status;
  pid_t pid;
  if (tf_test_is_root())
    return;
  fflush(NULL);
  pid = fork();
  if (pid < 0)
    FAIL("fork: %s", strerror(errno));
  if (pid == 0)
    _exit(unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 ? 0 : errno);
  if (waitpid(pid, &status, 0) != pid)
    FAIL("waitpid: %s", strerror(errno));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    SKIP("not root, and no user namespace (%s): cannot mount",
         WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "probe died");
}

int tf_test_run_in_mount_ns(void (*fn)(void *), void *arg) {
  int status;
  pid_t pid;
  fflush(NULL);
  pid = fork();
  if (pid < 0)
    FAIL("fork: %s", strerror(errno));
  if (pid == 0) {
    char *fds, *fds_after;
    long mem;
    mount_ns_real_root = tf_test_enter_mount_ns();
    fds = tf_test_fd_listing();
    mem = tf__alloc_outstanding();
    fn(arg);
    fds_after = tf_test_fd_listing();
    if (new_fd_in(fds, fds_after))
      FAIL("leaked an fd: before [%s] after [%s]", fds, fds_after);
    if (tf__alloc_outstanding() != mem)
      FAIL("leaked %ld library allocations", tf__alloc_outstanding() - mem);
    free(fds);
    free(fds_after);
    _exit(0);
  }
  if (waitpid(pid, &status, 0) != pid)
    FAIL("waitpid: %s", strerror(errno));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct home_call {
  void (*fn)(void *);
  void *arg;
};

static void at_home(void *ctx) {
  struct home_call *c = ctx;
  char home[PATH_MAX + 8];
  snprintf(home, sizeof(home), "%s/home", test_dir);
  if (chdir(home) != 0)
    FAIL("chdir %s: %s", home, strerror(errno));
  setenv("TMPDIR", home, 1);
  c->fn(c->arg);
}

int tf_test_run_unprivileged_at_home(void (*fn)(void *), void *arg) {
  struct home_call c;
  int rc, left;
  if (mkdir("home", 0700) != 0)
    FAIL("mkdir home: %s", strerror(errno));
  if (tf_test_is_root() && chown("home", 65534, 65534) != 0)
    FAIL("chown home: %s", strerror(errno));
  c.fn = fn;
  c.arg = arg;
  rc = tf_test_run_unprivileged(at_home, &c);
  left = tf_test_count_entries("home");
  if (left != 0)
    FAIL("the unprivileged test left %d entries in its home", left);
  if (rmdir("home") != 0)
    FAIL("rmdir home: %s", strerror(errno));
  return rc;
}

/* ------------------------------------------------ emulated platforms */

static struct tf__sys_table real_table;
static int renameat2_errno;

static int openat_without_o_tmpfile(int dirfd, const char *path, int flags,
                                    mode_t mode) {
  if ((flags & O_TMPFILE) == O_TMPFILE) {
    errno = EOPNOTSUPP;
    return -1;
  }
  return real_table.openat(dirfd, path, flags, mode);
}

static int renameat2_missing(int od, const char *op, int nd, const char *np,
                             unsigned int flags) {
  (void)od, (void)op, (void)nd, (void)np, (void)flags;
  errno = renameat2_errno;
  return -1;
}

void tf_test_without_o_tmpfile(void) {
  tf__sys.openat = openat_without_o_tmpfile;
}

void tf_test_without_renameat2(int err) {
  renameat2_errno = err;
  tf__sys.renameat2 = renameat2_missing;
}

void tf_test_restore_syscalls(void) { tf__sys = real_table; }

const char *tf_test_path_name(enum tf_test_path p) {
  return p == UNNAMED ? "O_TMPFILE" : "named";
}

enum tf_test_path tf_test_use_path(enum tf_test_path p) {
  tf_test_restore_syscalls();
  if (p == NAMED)
    tf_test_without_o_tmpfile();
  return TF_TEST_HAS_UNNAMED ? p : NAMED;
}

pid_t tf_test_start_child(void (*fn)(void *, int), void *arg, int *ready) {
  int p[2];
  pid_t pid;
  CHECK_SYS(pipe2(p, O_CLOEXEC));
  fflush(NULL);
  pid = fork();
  if (pid < 0)
    FAIL("fork: %s", strerror(errno));
  if (pid == 0) {
    close(p[0]);
    fn(arg, p[1]);
    for (;;)
      pause();
  }
  close(p[1]);
  *ready = p[0];
  return pid;
}

void tf_test_signal_ready(int fd, char c) {
  if (write(fd, &c, 1) != 1)
    _exit(99);
}

char tf_test_wait_ready(int fd, pid_t pid) {
  char c;
  ssize_t n;
  do
    n = read(fd, &c, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) {
    int status;
    waitpid(pid, &status, 0);
    FAIL("child %ld died before it was ready (status 0x%x)", (long)pid,
         status);
  }
  return c;
}

int tf_test_dir_fds_held(mode_t mode) {
  if (TF_HAVE_STATX)
    return 0;
  return geteuid() == 0 || mode == 0 || (mode & 0400) ? 1 : 0;
}

int tf_test_reap_signal_leftovers(const char *dir, const char *keep) {
  DIR *d;
  struct dirent *e;
  int others = 0;
  if (TF_HAVE_GETDENTS64)
    return 0;
  d = opendir(dir);
  if (d == NULL)
    return -1;
  while ((e = readdir(d)) != NULL) {
    struct stat st;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
        (keep != NULL && strcmp(e->d_name, keep) == 0))
      continue;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISDIR(st.st_mode))
      others++;
  }
  closedir(d);
  if (others > 0)
    return -1;
  return tf_reap(dir, 0, 0, NULL, NULL) < 0 ? -1 : 0;
}

void tf_test_need_unnamed(void) {
  if (!TF_TEST_HAS_UNNAMED)
    SKIP("built without O_TMPFILE or /proc (platform.h): no unnamed files; "
         "the named path's twin of this test runs");
}

/* ----------------------------------------------------------- fault sweep */

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void remove_new_entries(const char *before) {
  DIR *d = opendir(test_dir);
  struct dirent *e;
  char line[NAME_MAX + 3];
  while (d != NULL && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(line, sizeof(line), "%s\n", e->d_name);
    if (strstr(before, line) == NULL)
      nftw(e->d_name, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  }
  if (d != NULL)
    closedir(d);
}

int tf_test_fault_sweep(const char *what, int (*op)(void *),
                        void (*undo)(void *), void *ctx, int err) {
  unsigned long nth, differs = 0;
  int eintr = err == EINTR, first_rc = 0, diff_rc = 0;
  for (nth = 1; nth < 10000; nth++) {
    char *files_before, *fds_before, *files_after, *fds_after;
    long mem_before;
    int rc, fired, fired_id;
    files_before = tf_test_listing(test_dir);
    fds_before = tf_test_fd_listing();
    mem_before = tf__alloc_outstanding();

    tf__fault_arm(TF_SYS_ANY, nth, err);
    rc = op(ctx);
    fired = tf__fault_fired();
    fired_id = tf__fault_fired_id();
    tf__fault_disarm();

    if (eintr && nth == 1)
      first_rc = rc;
    else if (eintr && rc != first_rc && differs == 0) {
      differs = nth;
      diff_rc = rc;
    }
    if (!fired) {
      if (rc < 0)
        FAIL("%s: failed with no fault injected: %s", what, tf_err_name(rc));
      if (undo)
        undo(ctx);
    } else if (eintr && rc < 0) {
      /* EINTR is retried, or at a close taken as success: never seen. */
      FAIL("%s: EINTR at call %lu (%s) was seen: %s", what, nth,
           tf__sys_name(fired_id), tf_err_name(rc));
    } else if (rc >= 0) {
      /* The operation recovered from the failure (e.g. the temp-dir
       * probe moved on to the next candidate): it must be whole. */
      if (undo)
        undo(ctx);
    } else if (strcmp(tf_err_name(rc), "UNKNOWN") == 0) {
      FAIL("%s: call %lu failed with %s, returned %d", what, nth,
           tf_err_name(-err), rc);
    }

    files_after = tf_test_listing(test_dir);
    fds_after = tf_test_fd_listing();
    if (strcmp(files_before, files_after) != 0) {
      /* A failed removal of the object itself cannot remove it (an
       * interrupted one is made again). */
      if (eintr || !(fired && fired_id == TF_SYS_unlinkat))
        FAIL("%s: failing call %lu (%d) left files:\n%s", what, nth, fired_id,
             files_after);
      remove_new_entries(files_before);
    }
    if (strcmp(fds_before, fds_after) != 0)
      FAIL("%s: failing call %lu leaked an fd: before [%s] after [%s]", what,
           nth, fds_before, fds_after);
    if (tf__alloc_outstanding() != mem_before)
      FAIL("%s: failing call %lu leaked %ld allocations", what, nth,
           tf__alloc_outstanding() - mem_before);
    free(files_before);
    free(files_after);
    free(fds_before);
    free(fds_after);
    if (!fired) {
      /* The same result as without the fault (the round just made). */
      if (differs != 0)
        FAIL("%s: EINTR: round %lu returned %d, round 1 %d (the last, %d, "
             "had no fault)",
             what, differs, diff_rc, first_rc, rc);
      return (int)nth - 1;
    }
  }
  FAIL("%s: never succeeded", what);
}

/* ----------------------------------------------------------------- trees */

void tf_test_make_tree(int dirfd, int depth, int dirs, int files) {
  char name[32];
  int i;
  for (i = 0; i < files; i++) {
    int fd;
    snprintf(name, sizeof(name), "f%d", i);
    fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, "x", 1) != 1)
      FAIL("make_tree: %s: %s", name, strerror(errno));
    close(fd);
  }
  if (depth == 0)
    return;
  for (i = 0; i < dirs; i++) {
    int sub;
    snprintf(name, sizeof(name), "d%d", i);
    if (mkdirat(dirfd, name, 0700) != 0)
      FAIL("make_tree: mkdir %s: %s", name, strerror(errno));
    sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sub < 0)
      FAIL("make_tree: open %s: %s", name, strerror(errno));
    tf_test_make_tree(sub, depth - 1, dirs, files);
    close(sub);
  }
}

long tf_test_count_tree(int at, const char *path) {
  struct dirent *de;
  long n = 0;
  DIR *d;
  int fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    struct stat st;
    return fstatat(at, path, &st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -1;
  }
  d = fdopendir(fd);
  if (d == NULL)
    FAIL("count_tree: fdopendir: %s", strerror(errno));
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    n++;
    if (de->d_type == DT_DIR)
      n += tf_test_count_tree(dirfd(d), de->d_name);
  }
  closedir(d);
  return n;
}

/* ---------------------------------------------------------------- runner */

void *tf_test_shared_alloc(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED)
    FAIL("mmap: %s", strerror(errno));
  memset(p, 0, n);
  return p;
}

double tf_test_time_scale(void) {
  const char *s = getenv("TF_TEST_TIME_SCALE");
  double v = s ? atof(s) : 1.0;
  return v > 0 ? v : 1.0;
}

double tf_test_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void tf_test_sleep_us(double us) {
  struct timespec ts;
  if (us <= 0)
    return;
  ts.tv_sec = (time_t)(us / 1e6);
  ts.tv_nsec = (long)((us - (double)ts.tv_sec * 1e6) * 1e3);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

/* A test starts as if from a fresh shell: default signal actions, an
 * empty signal mask (so `nohup make check` or `make check &` change
 * nothing), and no descriptor but 0, 1 and 2 (the runner's output files
 * for the tests running beside it are not the test's). */
static void reset_process_state(void) {
  struct sigaction dfl;
  sigset_t none;
  int sig, fd;
  memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (sig = 1; sig < NSIG; sig++)
    sigaction(sig, &dfl, NULL); /* fails harmlessly for KILL, STOP, RT */
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  long open_max = sysconf(_SC_OPEN_MAX);
  for (fd = (int)(open_max > 0 && open_max < 65536 ? open_max : 65536) - 1;
       fd > 2; fd--)
    close(fd);
}

static void run_child(const struct tf_test *t) {
  char *fds_before;
  char *fds_after;
  if (chdir(test_dir) != 0)
    FAIL("chdir %s: %s", test_dir, strerror(errno));
  setenv("TMPDIR", test_dir, 1);
  unsetenv("TEMP");
  unsetenv("TMP");
  fds_before = tf_test_fd_listing();
  t->fn();
  fds_after = tf_test_fd_listing();
  if (strcmp(fds_before, fds_after) != 0)
    FAIL("leaked an fd: before [%s] after [%s]", fds_before, fds_after);
  if (tf__alloc_outstanding() != 0)
    FAIL("leaked %ld library allocations", tf__alloc_outstanding());
  free(fds_before);
  free(fds_after);
  exit(0); /* not _exit: LeakSanitizer checks at exit */
}

void tf_test_skip(const char *fmt, ...) {
  va_list ap;
  fputs("    skipped: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(NULL);
  _exit(TF_TEST_SKIPPED);
}

/* Report and remove what a test left in dir; remove dir.  Returns the
 * number of entries left. */
static int left_behind(const char *dir, FILE *report) {
  int count;
  char *left;
  chmod(dir, 0700);
  left = sorted_listing(dir, &count);
  if (count != 0) {
    fprintf(report, "    left behind in %s:\n%s", dir, left);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  } else {
    rmdir(dir);
  }
  free(left);
  return count;
}

/* One test running: its child, its directories, where its output goes. */
struct running {
  const struct tf_test *test;
  pid_t pid;
  FILE *out; /* the child's stdout and stderr */
  char dir[PATH_MAX];
  char fast[PATH_MAX];
};

enum outcome { PASSED, FAILED, SKIPPED };

static int start_one(struct running *r, const struct tf_test *t,
                     const char *base) {
  r->test = t;
  r->fast[0] = '\0';
  if (snprintf(r->dir, sizeof(r->dir), "%s/%s", base, t->name) >=
          (int)sizeof(r->dir) ||
      mkdir(r->dir, 0700) != 0) {
    fprintf(stderr, "mkdir %s: %s\n", r->dir, strerror(errno));
    return -1;
  }
  if (fast_base[0] &&
      (snprintf(r->fast, sizeof(r->fast), "%s/%s", fast_base, t->name) >=
           (int)sizeof(r->fast) ||
       mkdir(r->fast, 0700) != 0)) {
    fprintf(stderr, "mkdir %s: %s\n", r->fast, strerror(errno));
    rmdir(r->dir);
    return -1;
  }
  r->out = tmpfile();
  if (r->out == NULL) {
    perror("tmpfile");
    rmdir(r->dir);
    if (r->fast[0])
      rmdir(r->fast);
    return -1;
  }
  fflush(NULL);
  r->pid = fork();
  if (r->pid < 0) {
    perror("fork");
    fclose(r->out);
    return -1;
  }
  if (r->pid == 0) {
    /* The helpers read the test's directories from these globals. */
    snprintf(test_dir, sizeof(test_dir), "%s", r->dir);
    snprintf(fast_dir, sizeof(fast_dir), "%s", r->fast);
    setpgid(0, 0);
    dup2(fileno(r->out), 1);
    dup2(fileno(r->out), 2);
    reset_process_state();
    alarm((unsigned)(t->timeout_s * tf_test_time_scale()) + 1);
    run_child(t);
  }
  return 0;
}

/* The test's child has ended with status: collect its verdict and
 * print its line, then whatever it wrote, indented as it wrote it. */
static enum outcome finish_one(struct running *r, int status) {
  enum outcome verdict;
  int count;
  char buf[4096];
  size_t n;
  kill(-r->pid, SIGKILL); /* whatever the test forked and forgot */
  if (WIFSIGNALED(status))
    fprintf(r->out, "    %s\n", WTERMSIG(status) == SIGALRM
                                     ? "timed out"
                                     : strsignal(WTERMSIG(status)));
  count = left_behind(r->dir, r->out);
  if (r->fast[0])
    count += left_behind(r->fast, r->out);
  if (WIFEXITED(status) && WEXITSTATUS(status) == TF_TEST_SKIPPED &&
      count == 0)
    verdict = SKIPPED;
  else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && count == 0)
    verdict = PASSED;
  else
    verdict = FAILED;
  printf("%s %s\n", verdict == PASSED ? "ok  " : verdict == SKIPPED ? "skip" : "FAIL",
         r->test->name);
  fflush(stdout);
  rewind(r->out);
  while ((n = fread(buf, 1, sizeof(buf), r->out)) > 0)
    fwrite(buf, 1, n, stdout);
  fflush(stdout);
  fclose(r->out);
  return verdict;
}

static int wanted(const struct tf_test *t, char **filters, int nfilters) {
  int i;
  if (nfilters == 0)
    return 1;
  for (i = 0; i < nfilters; i++)
    if (strstr(t->name, filters[i]) != NULL)
      return 1;
  return 0;
}

/* -x 'WORD: REASON': tests whose name contains WORD are skipped with
 * REASON, for what a platform cannot do (an emulator, say). */
#define MAX_EXCLUDES 16
static const char *excludes[MAX_EXCLUDES];
static int nexcludes;

static const char *excluded(const struct tf_test *t) {
  int i;
  for (i = 0; i < nexcludes; i++) {
    const char *colon = strchr(excludes[i], ':');
    size_t len = colon ? (size_t)(colon - excludes[i]) : strlen(excludes[i]);
    const char *p;
    for (p = t->name; *p != '\0'; p++)
      if (strncmp(p, excludes[i], len) == 0)
        return excludes[i];
  }
  return NULL;
}

static int default_jobs(void) {
  const char *s = getenv("TF_TEST_JOBS");
  long n = s ? atol(s) : sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

static void usage(void) {
  fputs("usage: unit [-j JOBS] [-l] [-x 'WORD: REASON']... [SUBSTRING...]\n"
        "  runs the tests whose name contains any SUBSTRING (all without\n"
        "  one), JOBS at a time (default: $TF_TEST_JOBS, else the cores);\n"
        "  -l lists the names instead; -x skips the tests whose name\n"
        "  contains WORD, giving REASON (what this platform cannot do)\n",
        stderr);
}

int main(int argc, char **argv) {
  const char *tmp = getenv("TMPDIR");
  char base[PATH_MAX];
  struct tf_test *t, *ordered = NULL;
  struct running *slots;
  int passed = 0, failed = 0, skipped = 0, jobs = default_jobs();
  int busy = 0, list = 0, opt;

  while ((opt = getopt(argc, argv, "j:lx:h")) != -1) {
    if (opt == 'j' && atoi(optarg) > 0)
      jobs = atoi(optarg);
    else if (opt == 'l')
      list = 1;
    else if (opt == 'x' && nexcludes < MAX_EXCLUDES)
      excludes[nexcludes++] = optarg;
    else {
      usage();
      return 2;
    }
  }
  real_table = tf__sys;
  /* Registration prepends; restore file order. */
  while (tests != NULL) {
    t = tests;
    tests = t->next;
    t->next = ordered;
    ordered = t;
  }
  if (list) {
    for (t = ordered; t != NULL; t = t->next)
      if (wanted(t, argv + optind, argc - optind))
        printf("%s\n", t->name);
    return 0;
  }
  snprintf(base, sizeof(base), "%s/tf-tests-XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(base) == NULL || chmod(base, 0711) != 0) {
    perror(base);
    return 2;
  }
  /* Tests that make hundreds of thousands of entries do it on a tmpfs:
   * ext4 on a virtual disk can take a millisecond per file. */
  snprintf(fast_base, sizeof(fast_base), "/dev/shm/tf-tests-XXXXXX");
  if (mkdtemp(fast_base) == NULL || chmod(fast_base, 0711) != 0)
    fast_base[0] = '\0';
  slots = calloc((size_t)jobs, sizeof(*slots));
  if (slots == NULL)
    return 2;
  t = ordered;
  for (;;) {
    int i, status;
    pid_t pid;
    /* Fill every free slot, then wait for any test to end. */
    for (i = 0; i < jobs && t != NULL; i++) {
      if (slots[i].test != NULL)
        continue;
      while (t != NULL && !wanted(t, argv + optind, argc - optind))
        t = t->next;
      if (t == NULL)
        break;
      if (excluded(t) != NULL) {
        const char *why = strchr(excluded(t), ':');
        printf("skip %s\n    skipped: %s\n", t->name,
               why ? why + 1 + strspn(why + 1, " ") : "excluded by -x");
        fflush(stdout);
        skipped++;
        t = t->next;
        i--; /* the slot is still free */
        continue;
      }
      if (start_one(&slots[i], t, base) != 0) {
        printf("FAIL %s\n    could not be started\n", t->name);
        failed++;
        slots[i].test = NULL;
      } else {
        busy++;
      }
      t = t->next;
    }
    if (busy == 0)
      break;
    pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR)
        continue;
      perror("waitpid");
      return 2;
    }
    for (i = 0; i < jobs; i++) {
      if (slots[i].test == NULL || slots[i].pid != pid)
        continue;
      switch (finish_one(&slots[i], status)) {
      case PASSED: passed++; break;
      case FAILED: failed++; break;
      case SKIPPED: skipped++; break;
      }
      slots[i].test = NULL;
      busy--;
    }
  }
  free(slots);
  rmdir(base);
  if (fast_base[0])
    rmdir(fast_base);
  if (skipped)
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  else
    printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}

/* ------------------------------------------------------ liveness ledgers */

static uint64_t ledger_u64(const unsigned char *p) {
  uint64_t v = 0;
  int i;
  for (i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* The pid in the header of the ledger open at fd, if it has a live
 * record for (dev, ino, name); else -1. */
static long ledger_names(int fd, dev_t dev, ino_t ino, const char *name) {
  static unsigned char seg[TF_LEDGER_SEG];
  size_t magic = sizeof(TF_LEDGER_MAGIC) - 1, i;
  long pid;
  off_t off;
  if (pread(fd, seg, TF_LEDGER_SEG, 0) != TF_LEDGER_SEG ||
      memcmp(seg, TF_LEDGER_MAGIC, magic) != 0)
    return -1;
  pid = strtol((char *)seg + magic + 4, NULL, 10);
  for (off = 0; pread(fd, seg, TF_LEDGER_SEG, off) == TF_LEDGER_SEG;
       off += TF_LEDGER_SEG)
    for (i = 0; i < TF_LEDGER_RECS; i++) {
      const unsigned char *r = seg + TF_LEDGER_HEAD + i * TF_LEDGER_REC;
      if (r[0] == TF_LEDGER_LIVE && ledger_u64(r + 8) == (uint64_t)dev &&
          ledger_u64(r + 16) == (uint64_t)ino &&
          strcmp((const char *)r + TF_LEDGER_NAME_AT, name) == 0)
        return pid;
    }
  return -1;
}

long tf_test_recorded_pid(const char *path, int *held) {
  return tf_test_recorded_in(path, held, NULL, 0);
}

long tf_test_recorded_in(const char *path, int *held, char *ledger,
                         size_t size) {
  char home[PATH_MAX], dir[PATH_MAX];
  const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
  struct stat st;
  struct dirent *e;
  long pid = -1;
  DIR *d;
  snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1,
           slash ? path : ".");
  if (stat(dir, &st) != 0 || tf__ledger_home(home, sizeof(home)) < 0 ||
      (d = opendir(home)) == NULL)
    return -1;
  while (pid < 0 && (e = readdir(d)) != NULL) {
    char p[PATH_MAX + 300];
    int fd;
    if (strncmp(e->d_name, TF_LEDGER_PREFIX, strlen(TF_LEDGER_PREFIX)) != 0)
      continue;
    snprintf(p, sizeof(p), "%s/%s", home, e->d_name);
    fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      continue;
    pid = ledger_names(fd, st.st_dev, st.st_ino, name);
    if (pid >= 0 && held != NULL)
      *held = flock(fd, LOCK_EX | LOCK_NB) != 0;
    if (pid >= 0 && ledger != NULL && strlen(e->d_name) < size)
      memcpy(ledger, e->d_name, strlen(e->d_name) + 1);
    close(fd);
  }
  closedir(d);
  return pid;
}
