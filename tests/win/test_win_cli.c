/* SPDX-License-Identifier: MIT */
/*
 * test_win_cli.c - tmpf.exe, the command line, on Windows: mktemp
 * against the expectations of the Linux tests (tests/cli/) where
 * Windows allows (templates, X counts, -d -u -q -p -t --suffix, both
 * separators, GNU's messages and exit status 1), sponge (contents,
 * nothing changed or left before the input ends or when killed, the
 * target's DACL kept), run (TMP, TEMP and TMPDIR, arguments intact, the
 * exit code passed through, the directory removed, also after
 * TerminateProcess), reap, dir -v, and bad command lines (status 2).
 * tmpf.exe is found through TF_TMPF (set by make check), else beside
 * the tests' directory.
 */
#include "checks_win.h"
#include "harness_win.h"

#include <sddl.h>
#include <aclapi.h>

/* ---- running tmpf */

static const char *tmpf_path(void) {
  static char path[MAX_PATH * 2];
  const char *env = getenv("TF_TMPF");
  wchar_t self[MAX_PATH];
  char *cut;
  if (path[0] != '\0')
    return path;
  if (env != NULL && env[0] != '\0') {
    snprintf(path, sizeof(path), "%s", env);
    return path;
  }
  /* build/<compiler>/tests/unit.exe -> build/<compiler>/tmpf.exe */
  GetModuleFileNameW(NULL, self, MAX_PATH);
  if (WideCharToMultiByte(CP_UTF8, 0, self, -1, path, sizeof(path), NULL, NULL) <= 0)
    FAIL("GetModuleFileNameW: cannot convert");
  cut = strrchr(path, '\\');
  if (cut != NULL)
    *cut = '\0';
  cut = strrchr(path, '\\');
  if (cut != NULL)
    *cut = '\0';
  strcat(path, "\\tmpf.exe");
  return path;
}

struct proc {
  HANDLE process;
  HANDLE in, out, err; /* our ends of its standard streams */
  DWORD pid;
};

static void make_pipe(HANDLE *ours, HANDLE *theirs, int theirs_reads) {
  SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, TRUE};
  HANDLE r, w;
  if (!CreatePipe(&r, &w, &sa, 1 << 16))
    FAIL("CreatePipe: error %lu", (unsigned long)GetLastError());
  *ours = theirs_reads ? w : r;
  *theirs = theirs_reads ? r : w;
  SetHandleInformation(*ours, HANDLE_FLAG_INHERIT, 0);
}

/* Start program with the command-line tail args (quoted as the C
 * runtime splits it), its standard streams our pipes. */
static void start_program(struct proc *p, const char *program, const char *args,
                          DWORD flags) {
  size_t n = strlen(program) + strlen(args) + 4;
  char *line = malloc(n);
  wchar_t *wline;
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  HANDLE in, out, err;
  snprintf(line, n, "\"%s\" %s", program, args);
  wline = tw_wide(line);
  free(line);
  make_pipe(&p->in, &in, 1);
  make_pipe(&p->out, &out, 0);
  make_pipe(&p->err, &err, 0);
  memset(&si, 0, sizeof(si));
  si.cb = sizeof(si);
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = in;
  si.hStdOutput = out;
  si.hStdError = err;
  if (!CreateProcessW(NULL, wline, NULL, NULL, TRUE, flags, NULL, NULL, &si, &pi))
    FAIL("CreateProcessW %s: error %lu", program, (unsigned long)GetLastError());
  free(wline);
  CloseHandle(in);
  CloseHandle(out);
  CloseHandle(err);
  CloseHandle(pi.hThread);
  p->process = pi.hProcess;
  p->pid = pi.dwProcessId;
}

static void start(struct proc *p, const char *args) {
  start_program(p, tmpf_path(), args, 0);
}

/* Write n bytes to its standard input (which stays open). */
static void feed(struct proc *p, const void *data, size_t n) {
  const char *c = data;
  while (n > 0) {
    DWORD w = 0;
    if (!WriteFile(p->in, c, n > 65536 ? 65536 : (DWORD)n, &w, NULL))
      return; /* it stopped reading: its exit status says why */
    c += w;
    n -= w;
  }
}

static void close_input(struct proc *p) {
  if (p->in != NULL)
    CloseHandle(p->in);
  p->in = NULL;
}

struct drain {
  HANDLE h;
  char *buf;
  size_t len;
};

/* Everything until the end of h, CRs dropped (the C runtime's text mode
 * writes CR LF), NUL added. */
static DWORD WINAPI drain_all(void *arg) {
  struct drain *d = arg;
  size_t size = 4096;
  d->buf = malloc(size);
  d->len = 0;
  for (;;) {
    DWORD got = 0;
    if (d->len + 4096 + 1 > size) {
      size *= 2;
      d->buf = realloc(d->buf, size);
    }
    if (!ReadFile(d->h, d->buf + d->len, 4096, &got, NULL) || got == 0)
      break;
    d->len += got;
  }
  d->buf[d->len] = '\0';
  return 0;
}

static char *without_cr(char *s) {
  char *r = s, *w = s;
  for (; *r != '\0'; r++)
    if (*r != '\r')
      *w++ = *r;
  *w = '\0';
  return s;
}

/* Read its outputs to the end, wait for it: its exit code.  out, err:
 * malloc'd (either may be NULL: dropped).  raw: stdout with its CRs. */
static int finish_raw(struct proc *p, char **out, size_t *out_len, char **err,
                      int raw) {
  struct drain o = {p->out, NULL, 0}, e = {p->err, NULL, 0};
  HANDLE thread;
  DWORD code = 255;
  close_input(p);
  thread = CreateThread(NULL, 0, drain_all, &e, 0, NULL);
  drain_all(&o);
  WaitForSingleObject(thread, INFINITE);
  CloseHandle(thread);
  WaitForSingleObject(p->process, INFINITE);
  GetExitCodeProcess(p->process, &code);
  CloseHandle(p->process);
  CloseHandle(p->out);
  CloseHandle(p->err);
  if (!raw)
    without_cr(o.buf);
  if (out_len != NULL)
    *out_len = o.len;
  if (out != NULL)
    *out = o.buf;
  else
    free(o.buf);
  if (err != NULL)
    *err = without_cr(e.buf);
  else
    free(e.buf);
  return (int)code;
}

static int finish(struct proc *p, char **out, char **err) {
  return finish_raw(p, out, NULL, err, 0);
}

/* tmpf ARGS with input on its standard input: its exit code. */
static int tmpf(const char *args, const char *input, char **out, char **err) {
  struct proc p;
  start(&p, args);
  if (input != NULL)
    feed(&p, input, strlen(input));
  return finish(&p, out, err);
}

/* printf into a malloc'd string. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...) {
  va_list ap;
  int n;
  char *s;
  va_start(ap, f);
  n = vsnprintf(NULL, 0, f, ap);
  va_end(ap);
  s = malloc((size_t)n + 1);
  va_start(ap, f);
  vsnprintf(s, (size_t)n + 1, f, ap);
  va_end(ap);
  return s;
}

/* One line of output, its newline dropped (in place). */
static char *chomp(char *s) {
  size_t n = strlen(s);
  while (n > 0 && s[n - 1] == '\n')
    s[--n] = '\0';
  return s;
}

/* Environment variables set for the next tmpf, restored by env_restore. */
static wchar_t *saved_tmpdir;
static void env_set(const char *name, const char *value) {
  wchar_t *n = tw_wide(name), *v = value ? tw_wide(value) : NULL;
  if (wcscmp(n, L"TMPDIR") == 0 && saved_tmpdir == NULL) {
    saved_tmpdir = calloc(32768, sizeof(wchar_t));
    GetEnvironmentVariableW(L"TMPDIR", saved_tmpdir, 32768);
  }
  SetEnvironmentVariableW(n, v);
  free(n);
  free(v);
}
static void env_restore(void) {
  if (saved_tmpdir != NULL)
    SetEnvironmentVariableW(L"TMPDIR", saved_tmpdir);
  free(saved_tmpdir);
  saved_tmpdir = NULL;
}

static void assert_random_chars(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (s[i] == '\0' || strchr(TF_ALPHABET, s[i]) == NULL)
      FAIL("'%c' (in \"%s\") is not of the alphabet", s[i], s);
}

static int is_dir(const char *path) {
  DWORD a = tw_attributes(path);
  return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY);
}

static void remove_dir(const char *path) {
  wchar_t *w = tw_wide(path);
  if (!RemoveDirectoryW(w))
    FAIL("RemoveDirectoryW %s: error %lu", path, (unsigned long)GetLastError());
  free(w);
}

static void remove_file(const char *path) {
  if (tw_remove_file(path) != 0)
    FAIL("cannot remove %s", path);
}

/* tmpf ARGS is a bad command line of CMD, as tests/cli/messages.sh
 * wants it: status 2, nothing on stdout, "tmpf: CMD: ..." lines (at
 * least one) then "Try 'tmpf CMD --help' for more information.". */
static void assert_usage_error(const char *args, const char *cmd) {
  char *out = NULL, *err = NULL, *try_line = fmt("Try 'tmpf %s --help' for more "
                                                 "information.\n", cmd);
  char *prefix = fmt("tmpf: %s: ", cmd), *line;
  size_t lines = 0;
  int code = tmpf(args, "", &out, &err);
  if (code != 2 || out[0] != '\0')
    FAIL("tmpf %s: status %d, stdout \"%s\"", args, code, out);
  for (line = err; *line != '\0'; line = strchr(line, '\n') + 1, lines++) {
    if (strchr(line, '\n') == NULL)
      FAIL("tmpf %s: stderr does not end a line: \"%s\"", args, err);
    if (strcmp(line, try_line) == 0)
      break;
    if (strncmp(line, prefix, strlen(prefix)) != 0)
      FAIL("tmpf %s: stderr line not of %s: \"%s\"", args, cmd, err);
  }
  if (lines < 1 || strcmp(line, try_line) != 0)
    FAIL("tmpf %s: stderr \"%s\"", args, err);
  free(out);
  free(err);
  free(try_line);
  free(prefix);
}

/* tmpf ARGS fails with status want and one line "tmpf: CMD: ...". */
static void assert_failure(const char *args, const char *cmd, int want,
                           const char *reason) {
  char *err = NULL, *prefix = fmt("tmpf: %s: ", cmd);
  int code = tmpf(args, "", NULL, &err);
  if (code != want || strncmp(err, prefix, strlen(prefix)) != 0 ||
      strchr(err, '\n') != err + strlen(err) - 1 || strstr(err, reason) == NULL)
    FAIL("tmpf %s: status %d (wanted %d), stderr \"%s\" (wanted %s)", args, code,
         want, err, reason);
  free(err);
  free(prefix);
}

/* ---- mktemp */

TEST(cli_mktemp_default_is_a_file_in_tmpdir) {
  char *out = NULL, *err = NULL, *expect = tw_join(tw_dir(), "tmp.");
  ASSERT_EQ(tmpf("mktemp", NULL, &out, &err), 0);
  ASSERT_STR_EQ(err, "");
  chomp(out);
  ASSERT_EQ(strncmp(out, expect, strlen(expect)), 0);
  ASSERT_EQ(strlen(out), strlen(expect) + 10);
  assert_random_chars(out + strlen(expect), 10);
  ASSERT(tw_exists(out) && !is_dir(out));
  remove_file(out);
  free(out);
  free(err);
  free(expect);
}

TEST(cli_mktemp_d_makes_a_directory) {
  char *out = NULL;
  ASSERT_EQ(tmpf("mktemp -d", NULL, &out, NULL), 0);
  chomp(out);
  ASSERT(is_dir(out));
  ASSERT_EQ(tw_count_entries(out), 0);
  remove_dir(out);
  free(out);
}

/* The X's at the end of the last component are replaced, as many as
 * there are; what follows the last X is kept (GNU's suffix). */
TEST(cli_mktemp_template_keeps_its_shape) {
  static const char *const templates[] = {"abcXXX", "abcXXXXXXXXXXXXXXXXXXXX",
                                          "a.XXXXXX.txt", "XXXpre.XXXX"};
  size_t i;
  for (i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
    const char *t = templates[i], *x = strrchr(t, 'X');
    char *args = fmt("mktemp %s", t), *out = NULL;
    size_t end = (size_t)(x - t) + 1, n = 0;
    while (n < end && t[end - 1 - n] == 'X')
      n++;
    ASSERT_EQ(tmpf(args, NULL, &out, NULL), 0);
    chomp(out);
    ASSERT_EQ(strlen(out), strlen(t));
    ASSERT_EQ(strncmp(out, t, end - n), 0);
    ASSERT_STR_EQ(out + end, t + end);
    assert_random_chars(out + end - n, n);
    ASSERT(tw_exists(out)); /* relative: made in the current directory */
    remove_file(out);
    free(out);
    free(args);
  }
}

TEST(cli_mktemp_too_few_xs_is_status_1) {
  char *err = NULL, *out = NULL;
  ASSERT_EQ(tmpf("mktemp fooXX", NULL, &out, &err), 1);
  ASSERT_STR_EQ(out, "");
  ASSERT_STR_EQ(err, "mktemp: too few X's in template 'fooXX'\n");
  free(err);
  free(out);
  ASSERT_EQ(tmpf("mktemp --suffix=.c fooXX", NULL, NULL, &err), 1);
  ASSERT_STR_EQ(err, "mktemp: too few X's in template 'fooXX.c'\n");
  free(err);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

TEST(cli_mktemp_u_prints_a_name_and_makes_nothing) {
  char *out = NULL, *missing = tw_join(tw_dir(), "missing"), *args;
  ASSERT_EQ(tmpf("mktemp -u", NULL, &out, NULL), 0);
  chomp(out);
  ASSERT(strstr(out, "tmp.") != NULL);
  ASSERT(!tw_exists(out));
  free(out);
  /* in a directory that does not exist, too: GNU's -u */
  args = fmt("mktemp -u -p \"%s\" aXXXX", missing);
  ASSERT_EQ(tmpf(args, NULL, &out, NULL), 0);
  ASSERT_EQ(strncmp(out, missing, strlen(missing)), 0);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  free(out);
  free(args);
  free(missing);
}

/* -p DIR, with the directory and the template written with either
 * separator. */
TEST(cli_mktemp_p_accepts_both_separators) {
  char *sub = tw_join(tw_dir(), "sub"), *inner = tw_join(sub, "in");
  static const char *const templates[] = {"in/fXXXX", "in\\fXXXX"};
  size_t i;
  char *fwd = strdup(tw_dir()), *c;
  for (c = fwd; *c != '\0'; c++)
    if (*c == '\\')
      *c = '/';
  tw_mkdir(sub);
  tw_mkdir(inner);
  for (i = 0; i < 2; i++) {
    char *args = fmt("mktemp -p \"%s\" %s", i == 0 ? fwd : tw_dir(), "sub/in/fXXXX");
    char *args2 = fmt("mktemp --tmpdir=\"%s\\sub\" %s", tw_dir(), templates[i]);
    char *out = NULL;
    ASSERT_EQ(tmpf(args, NULL, &out, NULL), 0);
    chomp(out);
    /* GNU's join: DIR, one separator (the one DIR uses), the template */
    ASSERT_EQ(strncmp(out, i == 0 ? fwd : tw_dir(), strlen(fwd)), 0);
    ASSERT_EQ(out[strlen(tw_dir())], i == 0 ? '/' : '\\');
    ASSERT(tw_exists(out));
    remove_file(out);
    free(out);
    ASSERT_EQ(tmpf(args2, NULL, &out, NULL), 0);
    chomp(out);
    ASSERT(tw_exists(out));
    ASSERT_EQ(tw_count_entries(inner), 1);
    remove_file(out);
    free(out);
    free(args);
    free(args2);
  }
  remove_dir(inner);
  remove_dir(sub);
  free(inner);
  free(sub);
  free(fwd);
}

/* -t: a single name in %TMPDIR%; a separator of either kind refused. */
TEST(cli_mktemp_t_is_relative_to_tmpdir) {
  char *out = NULL, *err = NULL;
  ASSERT_EQ(tmpf("mktemp -t fooXXXX", NULL, &out, NULL), 0);
  chomp(out);
  ASSERT_EQ(strncmp(out, tw_dir(), strlen(tw_dir())), 0);
  ASSERT_EQ(out[strlen(tw_dir())], '\\');
  ASSERT(strchr(out + strlen(tw_dir()) + 1, '\\') == NULL);
  remove_file(out);
  free(out);
  ASSERT_EQ(tmpf("mktemp -t a/bXXXX", NULL, NULL, &err), 1);
  ASSERT_STR_EQ(err, "mktemp: invalid template, 'a/bXXXX', contains directory separator\n");
  free(err);
  ASSERT_EQ(tmpf("mktemp -t a\\bXXXX", NULL, NULL, &err), 1);
  ASSERT_STR_EQ(err, "mktemp: invalid template, 'a\\bXXXX', contains directory separator\n");
  free(err);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

TEST(cli_mktemp_suffix) {
  char *out = NULL, *err = NULL;
  ASSERT_EQ(tmpf("mktemp --suffix=.txt fooXXXX", NULL, &out, NULL), 0);
  chomp(out);
  ASSERT_EQ(strlen(out), 11);
  ASSERT_STR_EQ(out + 7, ".txt");
  assert_random_chars(out + 3, 4);
  remove_file(out);
  free(out);
  ASSERT_EQ(tmpf("mktemp --suffix=.txt fooXXXXb", NULL, NULL, &err), 1);
  ASSERT_STR_EQ(err, "mktemp: with --suffix, template 'fooXXXXb' must end in X\n");
  free(err);
  ASSERT_EQ(tmpf("mktemp --suffix=a\\b fooXXXX", NULL, NULL, &err), 1);
  ASSERT_STR_EQ(err, "mktemp: invalid suffix 'a\\b', contains directory separator\n");
  free(err);
  ASSERT_EQ(tmpf("mktemp --suffix=a/b fooXXXX", NULL, NULL, &err), 1);
  ASSERT_STR_EQ(err, "mktemp: invalid suffix 'a/b', contains directory separator\n");
  free(err);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

/* With --tmpdir a template may not be absolute: a drive, or a leading
 * separator of either kind.  Without it, an absolute one is used as is. */
TEST(cli_mktemp_absolute_templates) {
  static const char *const absolute[] = {"C:\\fooXXX", "c:fooXXX", "\\fooXXX",
                                         "/fooXXX"};
  char *out = NULL, *err = NULL, *args;
  size_t i;
  for (i = 0; i < sizeof(absolute) / sizeof(absolute[0]); i++) {
    char *expect = fmt("mktemp: invalid template, '%s'; with --tmpdir, it may "
                       "not be absolute\n",
                       absolute[i]);
    args = fmt("mktemp -p . %s", absolute[i]);
    ASSERT_EQ(tmpf(args, NULL, NULL, &err), 1);
    ASSERT_STR_EQ(err, expect);
    free(err);
    free(args);
    free(expect);
  }
  /* "Z:name": the drive's current directory, the test's */
  args = fmt("mktemp %c:relXXXX", tw_dir()[0]);
  ASSERT_EQ(tmpf(args, NULL, &out, NULL), 0);
  chomp(out);
  ASSERT_EQ(strlen(out), 9);
  ASSERT_EQ(strncmp(out + 1, ":rel", 4), 0);
  free(args);
  args = tw_join(tw_dir(), out + 2);
  ASSERT(tw_exists(args));
  remove_file(args);
  free(args);
  free(out);
  args = fmt("mktemp \"%s\\absXXXX\"", tw_dir());
  ASSERT_EQ(tmpf(args, NULL, &out, NULL), 0);
  chomp(out);
  ASSERT_EQ(strncmp(out, tw_dir(), strlen(tw_dir())), 0);
  ASSERT(tw_exists(out));
  remove_file(out);
  free(out);
  free(args);
}

TEST(cli_mktemp_failure_is_status_1_with_gnus_message) {
  char *out = NULL, *err = NULL;
  ASSERT_EQ(tmpf("mktemp -p nothere fooXXX", NULL, &out, &err), 1);
  ASSERT_STR_EQ(out, "");
  ASSERT_STR_EQ(err, "mktemp: failed to create file via template "
                     "'nothere\\fooXXX': No such file or directory\n");
  free(out);
  free(err);
  ASSERT_EQ(tmpf("mktemp -d nothere/fooXXX", NULL, &out, &err), 1);
  ASSERT_STR_EQ(err, "mktemp: failed to create directory via template "
                     "'nothere/fooXXX': No such file or directory\n");
  free(out);
  free(err);
  ASSERT_EQ(tmpf("mktemp -q -p nothere fooXXX", NULL, &out, &err), 1);
  ASSERT_STR_EQ(out, "");
  ASSERT_STR_EQ(err, "");
  free(out);
  free(err);
}

TEST(cli_mktemp_bad_command_lines_are_status_1) {
  char *err = NULL;
  ASSERT_EQ(tmpf("mktemp -x", NULL, NULL, &err), 1);
  ASSERT_STR_EQ(err, "mktemp: invalid option -- 'x'\n"
                     "Try 'mktemp --help' for more information.\n");
  free(err);
  ASSERT_EQ(tmpf("mktemp aXXX bXXX", NULL, NULL, &err), 1);
  ASSERT_STR_EQ(err, "mktemp: too many templates\n"
                     "Try 'mktemp --help' for more information.\n");
  free(err);
  ASSERT_EQ(tmpf("mktemp --bogus", NULL, NULL, &err), 1);
  ASSERT_STR_EQ(err, "mktemp: unrecognized option '--bogus'\n"
                     "Try 'mktemp --help' for more information.\n");
  free(err);
  ASSERT_EQ(tmpf("mktemp -p", NULL, NULL, &err), 1);
  ASSERT_STR_EQ(err, "mktemp: option requires an argument -- 'p'\n"
                     "Try 'mktemp --help' for more information.\n");
  free(err);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

/* Without %TMPDIR%, the library's temporary directory (%TEMP% here)
 * takes /tmp's place. */
TEST(cli_mktemp_without_tmpdir_uses_the_librarys_directory) {
  char *out = NULL;
  env_set("TMPDIR", NULL);
  ASSERT_EQ(tmpf("mktemp -d", NULL, &out, NULL), 0);
  env_restore();
  chomp(out);
  ASSERT_EQ(strncmp(out, tw_dir(), strlen(tw_dir())), 0);
  ASSERT(is_dir(out));
  remove_dir(out);
  free(out);
}

/* tmpf run under the name mktemp (mktemp.exe) is mktemp. */
TEST(cli_mktemp_mode_by_program_name) {
  char *copy = tw_join(tw_dir(), "mktemp.exe"), *out = NULL, *err = NULL;
  wchar_t *from = tw_wide(tmpf_path()), *to = tw_wide(copy);
  struct proc p;
  ASSERT(CopyFileW(from, to, TRUE));
  start_program(&p, copy, "-d -p . fooXXXXX", 0);
  ASSERT_EQ(finish(&p, &out, &err), 0);
  ASSERT_STR_EQ(err, "");
  chomp(out);
  ASSERT(is_dir(out));
  remove_dir(out);
  free(out);
  start_program(&p, copy, "-z", 0);
  ASSERT_EQ(finish(&p, NULL, &err), 1);
  ASSERT(strstr(err, "invalid option -- 'z'") != NULL);
  free(err);
  remove_file(copy);
  free(copy);
  free(from);
  free(to);
}

/* A name in any script: the command line arrives as UTF-16 (wmain) and
 * the path goes to the library, and back to stdout, as UTF-8. */
TEST(cli_mktemp_unicode_template) {
  static const char name[] = "\xe3\x83\x87\xe3\x83\xbc\xe3\x82\xbf-\xc3\xa9"; /* データ-é */
  char *args = fmt("mktemp -p \"%s\" %sXXXX", tw_dir(), name), *out = NULL;
  char *expect = tw_join(tw_dir(), name);
  ASSERT_EQ(tmpf(args, NULL, &out, NULL), 0);
  chomp(out);
  ASSERT_EQ(strncmp(out, expect, strlen(expect)), 0);
  ASSERT_EQ(strlen(out), strlen(expect) + 4);
  assert_random_chars(out + strlen(expect), 4);
  ASSERT(tw_exists(out));
  remove_file(out);
  free(out);
  free(expect);
  free(args);
}

/* ---- sponge */

static char *target(const char *name) { return tw_join(tw_dir(), name); }

TEST(cli_sponge_replaces_the_file) {
  char *t = target("data.txt"), *args = fmt("sponge \"%s\"", t), *got;
  tw_write(t, "old\n", 4);
  ASSERT_EQ(tmpf(args, "new contents\r\nline 2\n", NULL, NULL), 0);
  got = tw_read(t, NULL);
  ASSERT_STR_EQ(got, "new contents\r\nline 2\n"); /* bytes as given: binary */
  ASSERT_EQ(tw_count_entries(tw_dir()), 1);
  free(got);
  free(args);
  /* the sync levels change when, not what */
  args = fmt("sponge --durable \"%s\"", t);
  ASSERT_EQ(tmpf(args, "durable", NULL, NULL), 0);
  got = tw_read(t, NULL);
  ASSERT_STR_EQ(got, "durable");
  free(got);
  free(args);
  args = fmt("sponge --no-sync \"%s\"", t);
  ASSERT_EQ(tmpf(args, "unsynced", NULL, NULL), 0);
  got = tw_read(t, NULL);
  ASSERT_STR_EQ(got, "unsynced");
  ASSERT_EQ(tw_count_entries(tw_dir()), 1);
  free(got);
  remove_file(t);
  free(t);
  free(args);
}

TEST(cli_sponge_creates_a_missing_file) {
  char *t = target("new.txt"), *args = fmt("sponge \"%s\"", t), *got;
  ASSERT_EQ(tmpf(args, "fresh", NULL, NULL), 0);
  got = tw_read(t, NULL);
  ASSERT_STR_EQ(got, "fresh");
  ASSERT_EQ(tw_count_entries(tw_dir()), 1);
  free(got);
  remove_file(t);
  free(t);
  free(args);
}

TEST(cli_sponge_a_appends) {
  char *t = target("log.txt"), *args = fmt("sponge -a \"%s\"", t), *got;
  tw_write(t, "one\n", 4);
  ASSERT_EQ(tmpf(args, "two\n", NULL, NULL), 0);
  got = tw_read(t, NULL);
  ASSERT_STR_EQ(got, "one\ntwo\n");
  free(got);
  free(args);
  /* past the memory limit too: the old contents first */
  args = fmt("sponge -a -m 1 \"%s\"", t);
  ASSERT_EQ(tmpf(args, "three\n", NULL, NULL), 0);
  got = tw_read(t, NULL);
  ASSERT_STR_EQ(got, "one\ntwo\nthree\n");
  ASSERT_EQ(tw_count_entries(tw_dir()), 1);
  free(got);
  remove_file(t);
  free(t);
  free(args);
}

/* An input beyond -m goes to the new file, in order. */
TEST(cli_sponge_large_input_past_the_memory_limit) {
  char *t = target("big.bin"), *args = fmt("sponge -m 4K \"%s\"", t), *got;
  size_t n = 300000, i, got_n = 0;
  char *input = malloc(n + 1);
  struct proc p;
  for (i = 0; i < n; i++)
    input[i] = (char)('a' + i % 23);
  input[n] = '\0';
  tw_write(t, "old", 3);
  start(&p, args);
  feed(&p, input, n);
  ASSERT_EQ(finish(&p, NULL, NULL), 0);
  got = tw_read(t, &got_n);
  ASSERT_EQ(got_n, n);
  ASSERT(memcmp(got, input, n) == 0);
  ASSERT_EQ(tw_count_entries(tw_dir()), 1);
  free(got);
  free(input);
  remove_file(t);
  free(t);
  free(args);
}

/* Without FILE the input goes to standard output, byte for byte, also
 * past the memory limit (through an unnamed temporary file). */
TEST(cli_sponge_without_file_writes_standard_output) {
  static const char input[] = "a\r\nb\nc\x1a\xff";
  const char *const args[] = {"sponge", "sponge -m 2"};
  size_t i;
  for (i = 0; i < 2; i++) {
    struct proc p;
    char *out = NULL;
    size_t n = 0;
    start(&p, args[i]);
    feed(&p, input, sizeof(input) - 1);
    ASSERT_EQ(finish_raw(&p, &out, &n, NULL, 1), 0);
    ASSERT_EQ(n, sizeof(input) - 1);
    ASSERT(memcmp(out, input, n) == 0);
    free(out);
  }
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

/* Until the input ends FILE is untouched; sponge killed then (its input
 * already past memory, in the hidden file) leaves FILE as it was and
 * nothing else. */
TEST(cli_sponge_killed_before_the_end_changes_nothing) {
  char *t = target("keep.txt"), *args = fmt("sponge -m 1 \"%s\"", t), *got;
  struct proc p;
  int i;
  tw_write(t, "precious", 8);
  start(&p, args);
  feed(&p, "partial input", 13);
  Sleep(300);
  got = tw_read(t, NULL);
  ASSERT_STR_EQ(got, "precious");
  free(got);
  TerminateProcess(p.process, 9);
  ASSERT_EQ(finish(&p, NULL, NULL), 9);
  /* A killed process's handles close a moment after its end (Wine). */
  for (i = 0; i < 100 && tw_count_entries(tw_dir()) != 1; i++)
    Sleep(20);
  ASSERT_EQ(tw_count_entries(tw_dir()), 1);
  got = tw_read(t, NULL);
  ASSERT_STR_EQ(got, "precious");
  free(got);
  remove_file(t);
  free(t);
  free(args);
}

TEST(cli_sponge_keeps_the_targets_dacl) {
  char *t = target("acl.txt"), *args = fmt("sponge \"%s\"", t), *before,
       *after, *got;
  tw_write(t, "old", 3);
  before = twc_set_custom_dacl(t);
  if (before == NULL) {
    remove_file(t);
    free(t);
    free(args);
    SKIP("this system does not store a file's DACL (Wine keeps no "
         "security descriptors), so there is nothing to keep");
  }
  ASSERT_EQ(tmpf(args, "new", NULL, NULL), 0);
  got = tw_read(t, NULL);
  ASSERT_STR_EQ(got, "new");
  after = twc_dacl_sddl(t);
  ASSERT_STR_EQ(after, before);
  free(got);
  free(after);
  free(before);
  remove_file(t);
  free(t);
  free(args);
}

TEST(cli_sponge_refuses_a_directory) {
  char *err = NULL, *args = fmt("sponge \"%s\"", tw_dir());
  ASSERT_EQ(tmpf(args, "x", NULL, &err), 1);
  ASSERT(strstr(err, "tmpf: sponge: cannot replace") != NULL);
  ASSERT(strstr(err, "Is a directory") != NULL);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  free(err);
  free(args);
}

TEST(cli_sponge_bad_command_lines_are_status_2) {
  static const char *const bad[] = {
      "sponge --bogus", "sponge -x", "sponge -m", "sponge -m 5Q",
      "sponge --memory=-1", "sponge a b", "sponge --durable --no-sync",
      "sponge --no-sync --durable f", "sponge --append=yes"};
  size_t i;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_usage_error(bad[i], "sponge");
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

TEST(cli_sponge_into_a_missing_directory_is_status_1) {
  assert_failure("sponge missing\\f", "sponge", 1,
                 "cannot replace 'missing\\f': No such file or directory");
  assert_failure("sponge missing/f", "sponge", 1,
                 "cannot replace 'missing/f': No such file or directory");
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

/* ---- run */

static char *self_path(void) {
  wchar_t self[MAX_PATH];
  char *s = malloc(MAX_PATH * 3);
  GetModuleFileNameW(NULL, self, MAX_PATH);
  WideCharToMultiByte(CP_UTF8, 0, self, -1, s, MAX_PATH * 3, NULL, NULL);
  return s;
}

/* "tmpf run [opts] -- <this program> --helper NAME ARGS" */
static char *run_args(const char *opts, const char *helper, const char *args) {
  char *self = self_path();
  char *s = fmt("run %s \"%s\" --helper %s %s", opts, self, helper, args);
  free(self);
  return s;
}

/* COMMAND: reports its environment and arguments, fills its directory
 * (files, a subdirectory, a read-only file), exits with argv[1]. */
HELPER(cli_child_report) {
  const char *tmpdir = getenv("TMPDIR");
  char *f, *sub, *inner, cwd[MAX_PATH * 3];
  int i;
  if (GetCurrentDirectoryA(sizeof(cwd), cwd) == 0)
    cwd[0] = '\0';
  printf("CWD=%s\n", cwd);
  printf("TMPDIR=%s\nTEMP=%s\nTMP=%s\n", tmpdir ? tmpdir : "(unset)",
         getenv("TEMP") ? getenv("TEMP") : "(unset)",
         getenv("TMP") ? getenv("TMP") : "(unset)");
  printf("ENTRIES=%lu\n", tmpdir ? (unsigned long)tw_count_entries(tmpdir) : 99ul);
  for (i = 2; i < argc; i++)
    printf("ARG=<%s>\n", argv[i]);
  if (tmpdir != NULL) {
    f = tw_join(tmpdir, "file.txt");
    sub = tw_join(tmpdir, "sub");
    inner = tw_join(sub, "ro.txt");
    tw_write(f, "x", 1);
    tw_mkdir(sub);
    tw_write(inner, "y", 1);
    {
      wchar_t *w = tw_wide(inner);
      SetFileAttributesW(w, FILE_ATTRIBUTE_READONLY);
      free(w);
    }
    free(f);
    free(inner);
    free(sub);
  }
  fflush(stdout);
  return argc > 1 ? atoi(argv[1]) : 0;
}

/* COMMAND that holds a file open in its directory and waits to be
 * killed; it says its pid when ready. */
HELPER(cli_child_hold) {
  char *f = tw_join(getenv("TMPDIR"), "held.txt");
  wchar_t *w = tw_wide(f);
  HANDLE h = CreateFileW(w, GENERIC_WRITE, 0, NULL, CREATE_NEW, 0, NULL);
  (void)argc;
  (void)argv;
  if (h == INVALID_HANDLE_VALUE)
    return 3;
  printf("PID=%lu\n", (unsigned long)GetCurrentProcessId());
  fflush(stdout);
  Sleep(120000); /* killed by the test; bounded if the test failed first */
  return 0;
}

/* The value of "NAME=" in out, malloc'd. */
static char *field(const char *out, const char *name) {
  const char *at = strstr(out, name);
  size_t n;
  if (at == NULL)
    FAIL("no %s in \"%s\"", name, out);
  at += strlen(name);
  n = strcspn(at, "\n");
  return fmt("%.*s", (int)n, at);
}

TEST(cli_run_sets_tmp_temp_and_tmpdir_and_removes_the_directory) {
  char *args = run_args("", "cli_child_report", "0"), *out = NULL, *err = NULL;
  char *tmpdir, *temp, *tmp;
  ASSERT_EQ(tmpf(args, NULL, &out, &err), 0);
  ASSERT_STR_EQ(err, "");
  tmpdir = field(out, "TMPDIR=");
  temp = field(out, "TEMP=");
  tmp = field(out, "TMP=");
  ASSERT_STR_EQ(temp, tmpdir);
  ASSERT_STR_EQ(tmp, tmpdir);
  /* a new directory in the temporary directory, empty at the start */
  ASSERT_EQ(strncmp(tmpdir, tw_dir(), strlen(tw_dir())), 0);
  ASSERT(strstr(tmpdir, "\\tmpf-run.") != NULL);
  ASSERT(strstr(out, "ENTRIES=0\n") != NULL);
  /* and gone, with what COMMAND left in it (a read-only file too) */
  ASSERT(!tw_exists(tmpdir));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  free(tmpdir);
  free(temp);
  free(tmp);
  free(out);
  free(err);
  free(args);
}

TEST(cli_run_passes_the_exit_code_through) {
  static const char *const codes[] = {"0", "1", "42", "255", "300", "70000"};
  size_t i;
  for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
    char *args = run_args("", "cli_child_report", codes[i]);
    ASSERT_EQ(tmpf(args, NULL, NULL, NULL), atoi(codes[i]));
    free(args);
  }
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

/* Each ARG arrives as given: the C runtime's quoting rules (blanks,
 * quotes, backslashes before a quote or at the end, empty). */
TEST(cli_run_arguments_arrive_intact) {
  /* As a shell would pass them to tmpf, and what COMMAND must see. */
  static const char *const passed =
      "7 plain \"two words\" \"\" \"say \\\"hi\\\"\" back\\slash \"end\\\\\" "
      "\"tab\there\" \"\\\\\\\"q\" -p --keep";
  static const char *const expected =
      "ARG=<plain>\nARG=<two words>\nARG=<>\nARG=<say \"hi\">\n"
      "ARG=<back\\slash>\nARG=<end\\>\nARG=<tab\there>\nARG=<\\\"q>\n"
      "ARG=<-p>\nARG=<--keep>\n";
  char *args = run_args("", "cli_child_report", passed), *out = NULL;
  const char *first;
  ASSERT_EQ(tmpf(args, NULL, &out, NULL), 7);
  first = strstr(out, "ARG=");
  ASSERT(first != NULL);
  ASSERT_STR_EQ(first, expected);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  free(out);
  free(args);
}

/* COMMAND killed with TerminateProcess while it holds a file open (no
 * sharing) in the directory: tmpf passes on the exit code and still
 * removes everything once the system has closed the file. */
TEST(cli_run_command_killed_leaves_nothing) {
  char *args = run_args("", "cli_child_hold", ""), line[64];
  struct proc p;
  size_t n = 0;
  DWORD got;
  HANDLE child;
  char *err = NULL;
  start(&p, args);
  while (n < sizeof(line) - 1 && ReadFile(p.out, line + n, 1, &got, NULL) &&
         got == 1 && line[n] != '\n')
    n++;
  line[n] = '\0';
  ASSERT_EQ(strncmp(line, "PID=", 4), 0);
  child = OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE,
                      (DWORD)strtoul(line + 4, NULL, 10));
  ASSERT(child != NULL);
  ASSERT(TerminateProcess(child, 9));
  WaitForSingleObject(child, INFINITE);
  CloseHandle(child);
  ASSERT_EQ(finish(&p, NULL, &err), 9);
  ASSERT_STR_EQ(err, "");
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  free(err);
  free(args);
}

TEST(cli_run_cd_runs_inside_the_directory) {
  char *args = run_args("--cd", "cli_child_report", "0"), *out = NULL;
  char *self = self_path(), *tmpdir, *cwd;
  ASSERT_EQ(tmpf(args, NULL, &out, NULL), 0);
  tmpdir = field(out, "TMPDIR=");
  cwd = field(out, "CWD=");
  ASSERT_STR_EQ(cwd, tmpdir);
  ASSERT(!tw_exists(tmpdir));
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  free(tmpdir);
  free(cwd);
  free(self);
  free(out);
  free(args);
}

TEST(cli_run_keep_keeps_the_directory) {
  char *args = run_args("--keep-on-failure", "cli_child_report", "3"), *out = NULL,
       *err = NULL, *tmpdir, *expect;
  ASSERT_EQ(tmpf(args, NULL, &out, &err), 3);
  tmpdir = field(out, "TMPDIR=");
  expect = fmt("tmpf: run: kept %s\n", tmpdir);
  ASSERT_STR_EQ(err, expect);
  ASSERT(is_dir(tmpdir));
  ASSERT_EQ(tw_count_entries(tmpdir), 2);
  tw_remove_tree(tmpdir);
  free(expect);
  free(tmpdir);
  free(out);
  free(err);
  free(args);
  /* --keep-on-failure and a success: removed */
  args = run_args("--keep-on-failure", "cli_child_report", "0");
  ASSERT_EQ(tmpf(args, NULL, NULL, NULL), 0);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  free(args);
}

TEST(cli_run_p_makes_the_directory_there) {
  char *parent = tw_join(tw_dir(), "parent"), *opts = fmt("-p \"%s\"", parent);
  char *args = run_args(opts, "cli_child_report", "0"), *out = NULL, *tmpdir;
  tw_mkdir(parent);
  ASSERT_EQ(tmpf(args, NULL, &out, NULL), 0);
  tmpdir = field(out, "TMPDIR=");
  ASSERT_EQ(strncmp(tmpdir, parent, strlen(parent)), 0);
  ASSERT_EQ(tw_count_entries(parent), 0);
  remove_dir(parent);
  free(tmpdir);
  free(out);
  free(args);
  free(opts);
  free(parent);
}

TEST(cli_run_command_not_found_is_127) {
  char *err = NULL;
  ASSERT_EQ(tmpf("run no-such-command-here", NULL, NULL, &err), 127);
  ASSERT_STR_EQ(err, "tmpf: run: 'no-such-command-here': No such file or directory\n");
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  free(err);
}

TEST(cli_run_bad_command_lines_are_status_2) {
  static const char *const bad[] = {"run", "run --", "run --bogus x", "run -p"};
  size_t i;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_usage_error(bad[i], "run");
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
}

/* As tests/cli/messages.sh: a missing or non-directory -p, a directory
 * as COMMAND (126). */
TEST(cli_run_failures) {
  char *file = tw_join(tw_dir(), "file"), *sub = tw_join(tw_dir(), "d");
  tw_write(file, "", 0);
  tw_mkdir(sub);
  assert_failure("run -p missing cmd", "run", 1,
                 "cannot use directory 'missing': No such file or directory");
  assert_failure("run -p file cmd", "run", 1,
                 "cannot use directory 'file': Not a directory");
  assert_failure("run d", "run", 126, "'d': ");
  ASSERT_EQ(tw_count_entries(tw_dir()), 2);
  remove_dir(sub);
  remove_file(file);
  free(sub);
  free(file);
}

/* COMMAND starts a process that outlives it holding a file open without
 * sharing: that file can not be removed while it is held (Windows), and
 * tmpf says so and exits 1, the directory left; once the holder is gone
 * it can be removed. */
HELPER(cli_child_leaves_a_holder) {
  char *self = NULL, *line;
  wchar_t path[MAX_PATH], *w;
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  (void)argc;
  (void)argv;
  GetModuleFileNameW(NULL, path, MAX_PATH);
  line = malloc(MAX_PATH * 4);
  self = malloc(MAX_PATH * 3);
  WideCharToMultiByte(CP_UTF8, 0, path, -1, self, MAX_PATH * 3, NULL, NULL);
  snprintf(line, MAX_PATH * 4, "\"%s\" --helper cli_child_hold", self);
  w = tw_wide(line);
  memset(&si, 0, sizeof(si));
  si.cb = sizeof(si);
  /* its standard handles too, so the pid line reaches the test */
  if (!CreateProcessW(NULL, w, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
    return 3;
  CloseHandle(pi.hThread);
  /* returns once the holder has the file: it says its pid */
  {
    char *held = tw_join(getenv("TMPDIR"), "held.txt");
    int i;
    for (i = 0; i < 500 && !tw_exists(held); i++)
      Sleep(10);
    free(held);
  }
  Sleep(100);
  CloseHandle(pi.hProcess);
  free(w);
  free(line);
  free(self);
  return 0;
}

/* The first line of p's output (its newline and CR dropped). */
static void read_line(struct proc *p, char *line, size_t size) {
  size_t n = 0;
  DWORD got;
  while (n < size - 1 && ReadFile(p->out, line + n, 1, &got, NULL) && got == 1 &&
         line[n] != '\n')
    if (line[n] != '\r')
      n++;
  line[n] = '\0';
}

TEST(cli_run_file_held_by_a_survivor_is_reported) {
  static const char said[] = "tmpf: run: cannot remove the temporary directory '";
  char *args = run_args("", "cli_child_leaves_a_holder", ""), *err = NULL,
       line[64], *dir, *end;
  struct proc p;
  HANDLE holder;
  int i;
  start(&p, args);
  read_line(&p, line, sizeof(line));
  ASSERT_EQ(strncmp(line, "PID=", 4), 0);
  holder = OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE,
                       (DWORD)strtoul(line + 4, NULL, 10));
  ASSERT(holder != NULL);
  /* tmpf gives up after its patience (the holder keeps our pipes open,
   * so it is waited for before they are read to their end) */
  ASSERT_EQ(WaitForSingleObject(p.process, 60000), WAIT_OBJECT_0);
  TerminateProcess(holder, 9);
  WaitForSingleObject(holder, INFINITE);
  CloseHandle(holder);
  ASSERT_EQ(finish(&p, NULL, &err), 1);
  if (strncmp(err, said, strlen(said)) != 0 ||
      strstr(err, "(it is still there)\n") == NULL)
    FAIL("stderr: \"%s\"", err);
  dir = err + strlen(said);
  end = strstr(dir, "': ");
  ASSERT(end != NULL);
  *end = '\0';
  ASSERT(is_dir(dir));
  /* the holder's handles close a moment after its end (Wine) */
  for (i = 0; i < 100 && tw_exists(dir); i++) {
    tw_remove_tree(dir);
    if (tw_exists(dir))
      Sleep(20);
  }
  ASSERT(!tw_exists(dir));
  free(err);
  free(args);
}

/* Ctrl-Break reaches COMMAND through the console; tmpf survives it,
 * waits, removes the directory and exits with COMMAND's status. */
TEST(cli_run_survives_ctrl_break_and_cleans_up) {
  char *args = run_args("", "cli_child_hold", ""), line[64];
  struct proc p;
  size_t n = 0;
  DWORD got;
  HANDLE child;
  int code;
  start_program(&p, tmpf_path(), args, CREATE_NEW_PROCESS_GROUP);
  while (n < sizeof(line) - 1 && ReadFile(p.out, line + n, 1, &got, NULL) &&
         got == 1 && line[n] != '\n')
    n++;
  line[n] = '\0';
  ASSERT_EQ(strncmp(line, "PID=", 4), 0);
  child = OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE,
                      (DWORD)strtoul(line + 4, NULL, 10));
  ASSERT(child != NULL);
  if (!GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, p.pid)) {
    DWORD e = GetLastError();
    TerminateProcess(child, 9); /* tmpf then cleans up as after a kill */
    CloseHandle(child);
    ASSERT_EQ(finish(&p, NULL, NULL), 9);
    free(args);
    SKIP("this console delivers no Ctrl-Break (GenerateConsoleCtrlEvent: "
         "error %lu; Wine 8's consoles refuse it, a new one too)",
         (unsigned long)e);
  }
  if (WaitForSingleObject(child, 10000) == WAIT_TIMEOUT) {
    TerminateProcess(child, 9);
    CloseHandle(child);
    finish(&p, NULL, NULL);
    FAIL("COMMAND did not get the Ctrl-Break in 10 s");
  }
  CloseHandle(child);
  code = finish(&p, NULL, NULL);
  ASSERT_EQ((unsigned)code, 0xC000013Au); /* STATUS_CONTROL_C_EXIT */
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  free(args);
}

/* ---- reap */

/* A process that makes a tracked directory (with a file) and a tracked
 * file in the test's directory, says so, and waits to be killed. */
HELPER(cli_child_leaves) {
  tf_dir *d;
  tf_file *f;
  char *inner;
  (void)argc;
  (void)argv;
  if (tf_dir_create(&d, NULL) != 0 || tf_file_create(&f, NULL) != 0)
    return 3;
  inner = tw_join(tf_dir_path(d), "data");
  tw_write(inner, "x", 1);
  printf("READY\n");
  fflush(stdout);
  Sleep(120000); /* killed by the test; bounded if the test failed first */
  return 0;
}

static HANDLE start_leaver(void) {
  char *self = self_path();
  struct proc p;
  char line[16];
  size_t n = 0;
  DWORD got;
  HANDLE process;
  start_program(&p, self, "--helper cli_child_leaves", 0);
  while (n < sizeof(line) - 1 && ReadFile(p.out, line + n, 1, &got, NULL) &&
         got == 1 && line[n] != '\n')
    n++;
  line[n] = '\0';
  ASSERT_STR_EQ(line, "READY\r");
  CloseHandle(p.in);
  CloseHandle(p.out);
  CloseHandle(p.err);
  process = p.process;
  free(self);
  return process;
}

TEST(cli_reap_removes_what_a_killed_process_left) {
  char *args = fmt("reap \"%s\"", tw_dir()), *out = NULL, *expect;
  tw_kill(start_leaver());
  ASSERT_EQ(tw_count_entries(tw_dir()), 2);
  /* the dry run lists both and removes nothing */
  free(args);
  args = fmt("reap -n \"%s\"", tw_dir());
  ASSERT_EQ(tmpf(args, NULL, &out, NULL), 0);
  ASSERT(strstr(out, "would remove directory '") != NULL);
  ASSERT(strstr(out, "would remove file '") != NULL);
  expect = fmt("2 leftovers found in '%s'\n", tw_dir());
  ASSERT(strstr(out, expect) != NULL);
  ASSERT_EQ(tw_count_entries(tw_dir()), 2);
  free(expect);
  free(out);
  free(args);
  args = fmt("reap \"%s\"", tw_dir());
  ASSERT_EQ(tmpf(args, NULL, &out, NULL), 0);
  ASSERT(strstr(out, "removed directory '") != NULL);
  ASSERT(strstr(out, "removed file '") != NULL);
  expect = fmt("2 leftovers removed in '%s'\n", tw_dir());
  ASSERT(strstr(out, expect) != NULL);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  free(expect);
  free(out);
  free(args);
}

TEST(cli_reap_leaves_a_live_processs_objects) {
  char *args = fmt("reap \"%s\"", tw_dir()), *out = NULL, *expect;
  HANDLE leaver;
  leaver = start_leaver();
  ASSERT_EQ(tmpf(args, NULL, &out, NULL), 0);
  expect = fmt("0 leftovers removed in '%s'\n", tw_dir());
  ASSERT_STR_EQ(out, expect);
  ASSERT_EQ(tw_count_entries(tw_dir()), 2);
  tw_kill(leaver);
  free(out);
  ASSERT_EQ(tmpf(args, NULL, &out, NULL), 0);
  ASSERT_EQ(tw_count_entries(tw_dir()), 0);
  free(expect);
  free(out);
  free(args);
}

/* The default directory is the temporary directory (%TMPDIR% here). */
TEST(cli_reap_defaults_to_the_temporary_directory) {
  char *out = NULL, *expect = fmt("0 leftovers removed in '%s'\n", tw_dir());
  ASSERT_EQ(tmpf("reap", NULL, &out, NULL), 0);
  ASSERT_STR_EQ(out, expect);
  free(out);
  free(expect);
}

TEST(cli_reap_missing_directory_is_status_1) {
  char *err = NULL, *missing = tw_join(tw_dir(), "missing");
  char *args = fmt("reap \"%s\"", missing);
  char *expect = fmt("tmpf: reap: cannot open directory '%s': No such file or directory\n",
                     missing);
  ASSERT_EQ(tmpf(args, NULL, NULL, &err), 1);
  ASSERT_STR_EQ(err, expect);
  free(err);
  free(args);
  free(expect);
  free(missing);
}

TEST(cli_reap_bad_command_lines_are_status_2) {
  static const char *const bad[] = {"reap --older-than 1hh", "reap a b",
                                    "reap --bogus", "reap --older-than",
                                    "reap --older-than x", "reap -x"};
  size_t i;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_usage_error(bad[i], "reap");
}

TEST(cli_reap_a_file_is_status_1) {
  char *file = tw_join(tw_dir(), "file");
  tw_write(file, "", 0);
  assert_failure("reap file", "reap", 1, "cannot open directory 'file': Not a directory");
  remove_file(file);
  free(file);
}

/* ---- dir */

TEST(cli_dir_prints_the_temporary_directory) {
  char *out = NULL, *expect = fmt("%s\n", tw_dir());
  ASSERT_EQ(tmpf("dir", NULL, &out, NULL), 0);
  ASSERT_STR_EQ(out, expect);
  free(out);
  free(expect);
}

/* -v: every candidate, in the library's order, with its verdict; the
 * first usable one chosen. */
TEST(cli_dir_v_lists_the_candidates_in_order) {
  char *file = tw_join(tw_dir(), "a-file"), *missing = tw_join(tw_dir(), "gone");
  char *out = NULL, *chosen = fmt("chosen: %s\n", tw_dir());
  char *l_tmpdir = fmt("  %%TMPDIR%%=%s: No such file or directory\n", missing);
  char *l_temp = fmt("  %%TEMP%%=%s: Not a directory\n", file);
  char *l_tmp = fmt("  %%TMP%%=%s: usable\n", tw_dir());
  const char *const order[] = {"candidates, in order:\n", l_tmpdir, l_temp, l_tmp,
                               "  GetTempPath", "  %USERPROFILE%\\AppData\\Local\\Temp",
                               "  %SYSTEMROOT%\\Temp", "  c:\\temp: ", "  c:\\tmp: ",
                               "  \\temp: ", "  \\tmp: ", " (current directory): usable\n",
                               chosen};
  const char *at;
  size_t i;
  tw_write(file, "", 0);
  env_set("TMPDIR", missing);
  env_set("TEMP", file);
  ASSERT_EQ(tmpf("dir -v", NULL, &out, NULL), 0);
  env_restore();
  env_set("TEMP", tw_dir());
  at = out;
  for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
    const char *next = strstr(at, order[i]);
    if (next == NULL)
      FAIL("\"%s\" missing (or out of order) in:\n%s", order[i], out);
    at = next + strlen(order[i]);
  }
  ASSERT_STR_EQ(at, "");
  free(out);
  /* an empty variable is passed over */
  env_set("TMPDIR", "");
  ASSERT_EQ(tmpf("dir -v", NULL, &out, NULL), 0);
  env_restore();
  ASSERT(strstr(out, "  %TMPDIR%: empty, skipped\n") != NULL);
  free(out);
  env_set("TMPDIR", NULL);
  ASSERT_EQ(tmpf("dir -v", NULL, &out, NULL), 0);
  env_restore();
  ASSERT(strstr(out, "candidates, in order:\n  %TMPDIR%: not set\n") == out);
  free(out);
  remove_file(file);
  free(file);
  free(missing);
  free(chosen);
  free(l_tmpdir);
  free(l_temp);
  free(l_tmp);
}

TEST(cli_dir_bad_command_lines_are_status_2) {
  static const char *const bad[] = {"dir -x", "dir extra", "dir --bogus"};
  size_t i;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_usage_error(bad[i], "dir");
  assert_usage_error("help a b", "help");
}

/* ---- the command itself */

TEST(cli_bad_command_lines_are_status_2) {
  char *err = NULL, *out = NULL;
  ASSERT_EQ(tmpf("", NULL, NULL, &err), 2);
  ASSERT(strstr(err, "Usage: tmpf COMMAND") != NULL);
  free(err);
  ASSERT_EQ(tmpf("frobnicate", NULL, NULL, &err), 2);
  ASSERT_STR_EQ(err, "tmpf: unknown command 'frobnicate'\n"
                     "Try 'tmpf --help' for more information.\n");
  free(err);
  ASSERT_EQ(tmpf("--version", NULL, &out, NULL), 0);
  ASSERT_STR_EQ(out, "tmpf (libtempfile) " TF_VERSION_STRING "\n");
  free(out);
}
