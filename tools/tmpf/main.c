/* SPDX-License-Identifier: MIT */
/*
 * main.c - tmpf, the command-line side of libtempfile: dispatch to a
 * subcommand, or act as mktemp when invoked under that name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _WIN32
#include <io.h>
#endif

#include "tmpf.h"

const char *tmpf_program = "tmpf";

/* "PROGRAM: [CMD: ]MESSAGE" on one line of stderr. */
static void verror(const char *cmd, const char *fmt, va_list ap) {
  fprintf(stderr, "%s: ", tmpf_program);
  if (cmd != NULL)
    fprintf(stderr, "%s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

void tmpf_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verror(NULL, fmt, ap);
  va_end(ap);
}

int tmpf_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  if (fmt != NULL) {
    va_start(ap, fmt);
    verror(cmd, fmt, ap);
    va_end(ap);
  }
  fprintf(stderr, "Try 'tmpf %s --help' for more information.\n", cmd);
  return TMPF_EXIT_USAGE;
}

/* Windows paths are full of backslashes: separators there, not escapes
 * (GNU's tools built for Windows leave them too). */
#ifdef _WIN32
#define BACKSLASH_IS_SEPARATOR 1
#else
#define BACKSLASH_IS_SEPARATOR 0
#endif

const char *tmpf_quote(const char *s) {
  static char out[4 * 4096 + 3];
  size_t o = 0;
  out[o++] = '\'';
  for (; *s != '\0' && o < sizeof(out) - 6; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '\'' || (c == '\\' && !BACKSLASH_IS_SEPARATOR)) {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if (c < 0x20 || c == 0x7f) {
      o += (size_t)snprintf(out + o, 5, "\\%03o", c);
    } else {
      out[o++] = (char)c;
    }
  }
  out[o++] = '\'';
  out[o] = '\0';
  return out;
}

const char *tmpf_strerror(int err) {
  switch (err) {
  case EPERM: return "Operation not permitted";
  case ENOENT: return "No such file or directory";
  case EIO: return "Input/output error";
  case EBADF: return "Bad file descriptor";
  case ENOMEM: return "Cannot allocate memory";
  case EACCES: return "Permission denied";
  case EEXIST: return "File exists";
  case ENOTDIR: return "Not a directory";
  case EISDIR: return "Is a directory";
  case EINVAL: return "Invalid argument";
  case EMFILE: return "Too many open files";
  case EFBIG: return "File too large";
  case ENOSPC: return "No space left on device";
  case EROFS: return "Read-only file system";
  case EPIPE: return "Broken pipe";
  case ENAMETOOLONG: return "File name too long";
  case ELOOP: return "Too many levels of symbolic links";
  case EDQUOT: return "Disk quota exceeded";
  default: return strerror(err);
  }
}

int64_t tmpf_parse_size(const char *s) {
  char *end;
  unsigned long long n;
  int shift = 0;
  if (*s < '0' || *s > '9')
    return -1;
  errno = 0;
  n = strtoull(s, &end, 10);
  if (errno != 0)
    return -1;
  switch (*end) {
  case '\0': break;
  case 'k': case 'K': shift = 10; break;
  case 'm': case 'M': shift = 20; break;
  case 'g': case 'G': shift = 30; break;
  default: return -1;
  }
  if (shift != 0 && end[1] != '\0')
    return -1;
  if (n > (unsigned long long)INT64_MAX >> shift)
    return -1;
  return (int64_t)(n << shift);
}

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
#ifdef _WIN32
  const char *back = strrchr(path, '\\');
  if (back != NULL && (slash == NULL || back > slash))
    slash = back;
#endif
  return slash ? slash + 1 : path;
}

/* Whether tmpf runs under the name mktemp (mktemp.exe on Windows, in
 * any case). */
static int named_mktemp(const char *argv0) {
  const char *name = base_name(argv0);
#ifdef _WIN32
  return _stricmp(name, "mktemp") == 0 || _stricmp(name, "mktemp.exe") == 0;
#else
  return strcmp(name, "mktemp") == 0;
#endif
}

static void usage(FILE *to) {
  fputs("Usage: tmpf COMMAND [OPTION]... [ARG]...\n"
        "Secure temporary files for shell scripts (libtempfile " TF_VERSION_STRING
        ").\n\n"
        "Commands:\n"
        "  mktemp   create a temporary file or directory, print its name\n"
        "           (GNU mktemp compatible; also when tmpf is run as mktemp)\n"
        "  sponge   soak up standard input, then replace a file with it\n"
        "           atomically\n"
        "  run      run a command with a private temporary directory,\n"
        "           removed when it ends\n"
        "  reap     remove what dead processes left in a temporary directory\n"
        "  dir      print the temporary directory libtempfile would use\n\n"
        "Run 'tmpf COMMAND --help' or 'tmpf help COMMAND' for a command's\n"
        "options; 'tmpf --version' (-V) prints the version.\n"
        "Exit status: 0 success, 1 failure, 2 bad command line.\n",
        to);
}

/* A closed standard fd would be the number the next open() returns, and
 * a temporary file would become "standard output".  Fill it with
 * /dev/null opened the other way round, so using it still fails (EBADF),
 * as it would have. */
static void guard_standard_fds(void) {
  int fd;
  for (fd = 0; fd <= 2; fd++) {
#ifdef _WIN32
    /* A free fd gives -1 (a console's missing handle -2, not free). */
    if (_get_osfhandle(fd) != -1)
      continue;
    if (open("NUL", fd == 0 ? O_WRONLY : O_RDONLY) != fd)
      _exit(TMPF_EXIT_FAILURE);
#else
    if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
      continue;
    if (open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY) != fd)
      _exit(TMPF_EXIT_FAILURE);
#endif
  }
}

/* Run a subcommand with its argv[0] being "tmpf: NAME", so getopt's own
 * messages read "tmpf: NAME: unrecognized option ...". */
static int subcommand(int (*fn)(int, char **), int argc, char **argv) {
  static char name[64];
  snprintf(name, sizeof(name), "tmpf: %s", argv[1]);
  argv[1] = name;
#ifdef _WIN32
  /* mingw-w64's getopt names the program by the C runtime's __argv[0]
   * (the path of tmpf.exe), not by the argv it is given. */
  if (__argv != NULL)
    __argv[0] = name;
#endif
  return fn(argc - 1, argv + 1);
}

static const struct {
  const char *name;
  int (*fn)(int, char **);
} commands[] = {{"sponge", tmpf_sponge},
                {"run", tmpf_run},
                {"reap", tmpf_reap},
                {"dir", tmpf_dir}};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static int unknown_command(const char *cmd) {
  tmpf_error("unknown command %s", tmpf_quote(cmd));
  fprintf(stderr, "Try 'tmpf --help' for more information.\n");
  return TMPF_EXIT_USAGE;
}

/* `tmpf help [COMMAND]`: the overview, or what COMMAND --help prints. */
static int help_command(int argc, char **argv) {
  static char opt_help[] = "--help";
  char *sub[4];
  size_t i;
  if (argc < 3 || strcmp(argv[2], "--help") == 0 ||
      strcmp(argv[2], "-h") == 0) {
    usage(stdout);
    return TMPF_EXIT_OK;
  }
  if (argc > 3)
    return tmpf_usage_error("help", "one command at most");
  sub[0] = argv[0];
  sub[1] = argv[2];
  sub[2] = opt_help;
  sub[3] = NULL;
  if (strcmp(argv[2], "mktemp") == 0) {
    tmpf_program = "mktemp";
    return tmpf_mktemp(2, sub + 1);
  }
  for (i = 0; i < N_COMMANDS; i++)
    if (strcmp(argv[2], commands[i].name) == 0)
      return subcommand(commands[i].fn, 3, sub);
  return unknown_command(argv[2]);
}

/* mktemp needs no guard: it closes every fd it opens before it writes
 * (and pays no fcntl() per standard fd, as GNU mktemp does not). */
#ifdef _WIN32
int tmpf_main(int argc, char **argv) {
#else
int main(int argc, char **argv) {
#endif
  const char *cmd;
  size_t i;
  if (argc > 0 && named_mktemp(argv[0])) {
    tmpf_program = argv[0]; /* as GNU tools name themselves */
    return tmpf_mktemp(argc, argv);
  }
  if (argc < 2) {
    usage(stderr);
    return TMPF_EXIT_USAGE;
  }
  cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    usage(stdout);
    return TMPF_EXIT_OK;
  }
  if (strcmp(cmd, "help") == 0)
    return help_command(argc, argv);
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
    printf("tmpf (libtempfile) %s\n", tf_version_string());
    return TMPF_EXIT_OK;
  }
  if (strcmp(cmd, "mktemp") == 0) {
    tmpf_program = "mktemp";
    return tmpf_mktemp(argc - 1, argv + 1);
  }
  guard_standard_fds();
  for (i = 0; i < N_COMMANDS; i++)
    if (strcmp(cmd, commands[i].name) == 0)
      return subcommand(commands[i].fn, argc, argv);
  return unknown_command(cmd);
}
