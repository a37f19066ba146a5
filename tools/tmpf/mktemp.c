/* SPDX-License-Identifier: MIT */
/*
 * mktemp.c - `tmpf mktemp`, a drop-in for GNU coreutils 9.1 mktemp: the
 * same options, template rules, directory precedence, output, messages
 * (C locale) and exit statuses, with names from libtempfile's CSPRNG.
 * The random part is lowercase letters and digits (TF_ALPHABET), where
 * GNU also uses capitals.
 *
 * On Windows both '\\' and '/' separate a path's components, a template
 * is absolute with a drive ("C:...") or a leading separator, the
 * default directory is the library's (tf_gettempdir(): %TMPDIR%, %TEMP%,
 * ...) where GNU takes /tmp, and every object is made by its directory's
 * path (no *at() calls there).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _WIN32
#include <direct.h>
#include <io.h>
#include <wchar.h>
#endif

#include "tmpf.h"

#define DEFAULT_TEMPLATE "tmp.XXXXXXXXXX"

#ifdef _WIN32
#include <ctype.h>
#define NAME_MAX 255
#define SEPARATORS "/\\"
#define SEPARATOR '\\'
#else
#define SEPARATORS "/"
#define SEPARATOR '/'
#endif

static int is_separator(char c) { return c != '\0' && strchr(SEPARATORS, c); }

/* Whether s holds a directory separator. */
static int has_separator(const char *s) { return s[strcspn(s, SEPARATORS)] != '\0'; }

/* The last separator in s, or NULL. */
static const char *last_separator(const char *s) {
  const char *last = NULL;
  for (; *s != '\0'; s++)
    if (is_separator(*s))
      last = s;
  return last;
}

/* The separator to add after dir: on Windows '/' where dir has only
 * those, so "a/b" gives "a/b/name" and "C:\\x" "C:\\x\\name". */
static char separator_of(const char *dir) {
#ifdef _WIN32
  if (strchr(dir, '/') != NULL && strchr(dir, '\\') == NULL)
    return '/';
#else
  (void)dir;
#endif
  return SEPARATOR;
}

static int is_absolute(const char *path) {
#ifdef _WIN32
  if (isalpha((unsigned char)path[0]) && path[1] == ':')
    return 1;
#endif
  return is_separator(path[0]);
}

/* The first len bytes of s, malloc'd (no strndup on every platform). */
static char *copy_prefix(const char *s, size_t len) {
  char *out = malloc(len + 1);
  if (out != NULL) {
    memcpy(out, s, len);
    out[len] = '\0';
  }
  return out;
}

enum { OPT_SUFFIX = 256, OPT_TMPDIR, OPT_HELP, OPT_VERSION };

static const struct option long_options[] = {
    {"directory", no_argument, NULL, 'd'},
    {"quiet", no_argument, NULL, 'q'},
    {"dry-run", no_argument, NULL, 'u'},
    {"suffix", required_argument, NULL, OPT_SUFFIX},
    {"tmpdir", optional_argument, NULL, OPT_TMPDIR},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0}};

struct request {
  int make_dir, dry_run, quiet, use_dir, t_option;
  const char *dir_arg; /* -p DIR or --tmpdir=DIR */
  const char *suffix;  /* --suffix */
  const char *template;
};

static void help(void) {
  printf("Usage: %s [OPTION]... [TEMPLATE]\n", tmpf_program);
  fputs(
      "Create a temporary file or directory, safely, and print its name.\n"
      "TEMPLATE must contain at least 3 consecutive 'X's in the last\n"
      "component; they are replaced by random lowercase letters and digits.\n"
      "Without TEMPLATE: tmp.XXXXXXXXXX, and --tmpdir is implied.\n"
      "Files are made with mode 0600, directories 0700, less the umask.\n\n"
      "  -d, --directory     create a directory, not a file\n"
      "  -u, --dry-run       create nothing, only print a name (unsafe)\n"
      "  -q, --quiet         say nothing about a failure to create\n"
      "      --suffix=SUFF   append SUFF to TEMPLATE (no '/'); TEMPLATE must\n"
      "                      then end in X\n"
      "  -p DIR, --tmpdir[=DIR]  TEMPLATE is relative to DIR; without DIR or\n"
      "                      with an empty one, $TMPDIR if set and not empty,\n"
      "                      else /tmp; TEMPLATE may not be absolute\n"
      "  -t                  TEMPLATE is a single name relative to $TMPDIR if\n"
      "                      set and not empty, else to DIR of -p, else /tmp\n"
      "      --help          show this help and exit\n"
      "      --version       show the version and exit\n\n"
      "Exit status: 0 on success, 1 on any error.\n",
      stdout);
}

/* Flush standard output; a failure is "write error", status 1, whatever
 * -q says (as GNU's close_stdout). */
static int stdout_status(void) {
  if (fflush(stdout) != 0 || ferror(stdout)) {
    tmpf_error("write error: %s", tmpf_strerror(errno));
    return TMPF_EXIT_FAILURE;
  }
  return TMPF_EXIT_OK;
}

static int try_help(void) {
  fprintf(stderr, "Try '%s --help' for more information.\n", tmpf_program);
  return TMPF_EXIT_FAILURE;
}

/* The long options whose names start with the name in arg ("--NAME" or
 * "--NAME=..."); *exact is set when one matches in full. */
static int long_matches(const char *arg, const struct option **found,
                        const struct option **second, int *exact) {
  const char *name = arg + 2, *eq = strchr(name, '=');
  size_t len = eq ? (size_t)(eq - name) : strlen(name);
  const struct option *o;
  int n = 0;
  *exact = 0;
  *found = *second = NULL;
  for (o = long_options; o->name != NULL; o++) {
    if (strncmp(o->name, name, len) != 0)
      continue;
    if (strlen(o->name) == len) {
      *exact = 1;
      *found = o;
      return 1;
    }
    if (n == 0)
      *found = o;
    else if (n == 1)
      *second = o;
    n++;
  }
  return n;
}

/* The message GNU getopt gives for the bad option at argv[optind - 1]. */
static int bad_option(int argc, char **argv, int ret) {
  /* musl leaves optind past argc after a missing argument at the end. */
  const char *arg = optind - 1 < argc ? argv[optind - 1] : NULL;
  const struct option *o, *o2, *p;
  int exact, n;
  if (arg == NULL || strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
    if (ret == ':')
      tmpf_error("option requires an argument -- '%c'", optopt);
    else
      tmpf_error("invalid option -- '%c'", optopt);
    return try_help();
  }
  n = long_matches(arg, &o, &o2, &exact);
  if (n == 0) {
    tmpf_error("unrecognized option '%s'", arg);
  } else if (n > 1 && !exact) {
    fprintf(stderr, "%s: option '%.*s' is ambiguous; possibilities:",
            tmpf_program, (int)strcspn(arg, "="), arg);
    for (p = long_options; p->name != NULL; p++)
      if (strncmp(p->name, arg + 2, strcspn(arg + 2, "=")) == 0)
        fprintf(stderr, " '--%s'", p->name);
    fputc('\n', stderr);
  } else if (ret == ':') {
    tmpf_error("option '--%s' requires an argument", o->name);
  } else {
    tmpf_error("option '--%s' doesn't allow an argument", o->name);
  }
  return try_help();
}

/* Parse argv into r; -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct request *r) {
  int c;
  memset(r, 0, sizeof(*r));
  opterr = 0;
  optind = 1;
  /* POSIXLY_CORRECT stops at the template, as GNU getopt does (musl's
   * getopt_long needs to be told with '+'). */
  const char *optstring = getenv("POSIXLY_CORRECT") ? "+:dp:qtuV" : ":dp:qtuV";
  while ((c = getopt_long(argc, argv, optstring, long_options, NULL)) != -1) {
    switch (c) {
    case 'd': r->make_dir = 1; break;
    case 'p': r->dir_arg = optarg; r->use_dir = 1; break;
    case 'q': r->quiet = 1; break;
    case 't': r->use_dir = 1; r->t_option = 1; break;
    case 'u': r->dry_run = 1; break;
    case OPT_SUFFIX: r->suffix = optarg; break;
    case OPT_TMPDIR: r->dir_arg = optarg; r->use_dir = 1; break;
    case OPT_HELP:
      help();
      return stdout_status();
    case 'V':
    case OPT_VERSION:
      printf("mktemp (tmpf, libtempfile) %s\n", tf_version_string());
      return stdout_status();
    default: return bad_option(argc, argv, c);
    }
  }
  if (argc - optind > 1) {
    tmpf_error("too many templates");
    return try_help();
  }
  if (optind < argc) {
    r->template = argv[optind];
  } else {
    r->template = DEFAULT_TEMPLATE;
    r->use_dir = 1;
  }
  return -1;
}

static const char *env_tmpdir(void) {
  const char *env = tmpf_getenv("TMPDIR");
  return env && *env ? env : NULL;
}

/* Where a template goes without -p DIR or $TMPDIR: /tmp, as GNU's; on
 * Windows the library's temporary directory, as no /tmp is there. */
static const char *default_dir(void) {
#ifdef _WIN32
  static char buf[32768];
  return tf_gettempdir(buf, sizeof(buf)) >= 0 ? buf : ".";
#else
  return "/tmp";
#endif
}

/* The directory a template is relative to, as GNU mktemp picks it, or
 * NULL with the status in *status after a message. */
static const char *pick_dir(const struct request *r, int *status) {
  const char *dir;
  if (r->t_option) {
    dir = env_tmpdir();
    if (dir == NULL)
      dir = r->dir_arg && *r->dir_arg ? r->dir_arg : default_dir();
    if (has_separator(r->template)) {
      tmpf_error("invalid template, %s, contains directory separator",
                 tmpf_quote(r->template));
      *status = TMPF_EXIT_FAILURE;
      return NULL;
    }
    return dir;
  }
  dir = r->dir_arg && *r->dir_arg ? r->dir_arg : env_tmpdir();
  if (is_absolute(r->template)) {
    tmpf_error("invalid template, %s; with --tmpdir, it may not be absolute",
               tmpf_quote(r->template));
    *status = TMPF_EXIT_FAILURE;
    return NULL;
  }
  return dir ? dir : default_dir();
}

/* dir + "/" + name, as GNU's file_name_concat joins them: dir's trailing
 * slashes dropped, unless it is nothing but slashes.  (On Windows the
 * separator dir uses, "\\" by default, and a drive's current directory
 * "C:" is joined as "C:name".) */
static char *join(const char *dir, const char *name) {
  size_t len = strlen(dir);
  char *out = malloc(len + strlen(name) + 2);
  if (out == NULL)
    return NULL;
  if (strspn(dir, SEPARATORS) != len)
    while (len > 0 && is_separator(dir[len - 1]))
      len--;
  memcpy(out, dir, len);
  if (len > 0 && !is_separator(dir[len - 1]) && !(SEPARATOR == '\\' && dir[len - 1] == ':'))
    out[len++] = separator_of(dir);
  strcpy(out + len, name);
  return out;
}

struct shape {
  char *path;       /* the full template: directory, prefix, X's, suffix */
  size_t base;      /* where the last component starts */
  size_t x_start;   /* the X's to randomise */
  size_t x_count;
};

/* Check the template as GNU does and find the X's; 0, or an exit status
 * after a message. */
static int check_template(const struct request *r, struct shape *s) {
  const char *t = r->template, *suffix;
  size_t end, n = 0;
  int status = TMPF_EXIT_FAILURE;
  const char *dir = NULL;
  if (r->suffix != NULL) {
    if (t[0] == '\0' || t[strlen(t) - 1] != 'X') {
      tmpf_error("with --suffix, template %s must end in X", tmpf_quote(t));
      return TMPF_EXIT_FAILURE;
    }
    suffix = r->suffix;
    end = strlen(t);
  } else {
    suffix = strrchr(t, 'X');
    suffix = suffix ? suffix + 1 : t + strlen(t);
    end = (size_t)(suffix - t);
  }
  if (has_separator(suffix)) {
    tmpf_error("invalid suffix %s, contains directory separator",
               tmpf_quote(suffix));
    return TMPF_EXIT_FAILURE;
  }
  while (n < end && t[end - 1 - n] == 'X')
    n++;
  if (n < 3) {
    char *whole = malloc(strlen(t) + strlen(suffix) + 1);
    if (whole == NULL)
      return TMPF_EXIT_FAILURE;
    /* GNU names the template with the --suffix appended. */
    strcpy(whole, t);
    if (r->suffix)
      strcat(whole, r->suffix);
    tmpf_error("too few X's in template %s", tmpf_quote(whole));
    free(whole);
    return TMPF_EXIT_FAILURE;
  }
  if (r->use_dir && (dir = pick_dir(r, &status)) == NULL)
    return status;
  {
    char *whole = malloc(strlen(t) + (r->suffix ? strlen(r->suffix) : 0) + 1);
    if (whole == NULL)
      return TMPF_EXIT_FAILURE;
    strcpy(whole, t);
    if (r->suffix)
      strcat(whole, r->suffix);
    s->path = dir ? join(dir, whole) : whole;
    if (dir)
      free(whole);
    if (s->path == NULL)
      return TMPF_EXIT_FAILURE;
  }
  s->x_count = n;
  /* The X's end where the suffix starts, counted from the path's end. */
  s->x_start = strlen(s->path) - strlen(suffix) - n;
  s->base = last_separator(s->path) ? (size_t)(last_separator(s->path) - s->path + 1) : 0;
#ifdef _WIN32
  /* "C:name": in drive C's current directory */
  if (s->base == 0 && isalpha((unsigned char)s->path[0]) && s->path[1] == ':')
    s->base = 2;
#endif
  return 0;
}

/* An fd of the template's directory, or -1 with errno. */
#ifndef _WIN32
static int open_dir(const struct shape *s) {
  char *dir;
  int fd;
  if (s->base == 0)
    return AT_FDCWD;
  dir = copy_prefix(s->path, s->base);
  if (dir == NULL)
    return -1;
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
#if TF_HAVE_O_PATH
  if (fd < 0 && errno == EACCES) /* a directory we may only search */
    fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
#endif
  free(dir);
  return fd;
}
#endif

/* In an absolute directory: made by its whole path, as GNU mktemp makes
 * it (one system call; the library uses the directory as given).  On
 * Windows every object is made so, the current directory being ".". */
static int create_by_path(const struct request *r, struct shape *s,
                          tf_opts *o) {
  char *dir = s->base > 0 ? copy_prefix(s->path, s->base) : copy_prefix(".", 1);
  char *made = NULL;
  int rc;
  if (dir == NULL)
    return -ENOMEM;
  o->dir = dir;
  if (r->dry_run)
    rc = tf_mktemp(&made, o);
  else if (r->make_dir)
    rc = tf_mkdtemp(&made, o);
  else
    rc = tf_mkstemp(&made, o);
  free(dir);
#ifdef _WIN32
  /* A name in a missing directory is free: that is all -u asks. */
  if (rc == -ENOENT && r->dry_run)
    return tf_random_chars(s->path + s->x_start, s->x_count);
#endif
  if (rc < 0)
    return rc;
  if (!r->dry_run && !r->make_dir)
    close(rc);
  memcpy(s->path + s->x_start, made + strlen(made) - strlen(o->suffix) -
                                   s->x_count,
         s->x_count);
  tf_free(made);
  return 0;
}

/* Make the object (or only a name with -u) and put its name in s->path.
 * 0, or a negative errno. */
static int create(const struct request *r, struct shape *s) {
  const char *name = s->path + s->base;
  char prefix[NAME_MAX + 1];
  tf_opts o = TF_OPTS_INIT;
#ifndef _WIN32
  char *made = NULL;
  int dirfd, rc;
#endif
  if (strlen(name) > NAME_MAX || s->x_count > TF_RANDOM_LEN_MAX)
    return -ENAMETOOLONG;
  memcpy(prefix, name, s->x_start - s->base);
  prefix[s->x_start - s->base] = '\0';
  o.prefix = prefix;
  o.suffix = s->path + s->x_start + s->x_count;
  o.random_len = (unsigned)s->x_count;
#ifdef _WIN32
  return create_by_path(r, s, &o);
#else
  if (s->base > 0 && s->path[0] == '/')
    return create_by_path(r, s, &o);
  dirfd = open_dir(s);
  if (dirfd == -1) {
    /* A name in a missing directory is free: that is all -u asks. */
    if (r->dry_run && errno == ENOENT)
      return tf_random_chars(s->path + s->x_start, s->x_count);
    return -errno;
  }
  if (r->dry_run)
    rc = tf_mktempat(dirfd, &made, &o);
  else if (r->make_dir)
    rc = tf_mkdtempat(dirfd, &made, &o);
  else
    rc = tf_mkstempat(dirfd, &made, &o);
  if (dirfd >= 0)
    close(dirfd);
  if (rc < 0)
    return rc;
  if (!r->dry_run && !r->make_dir)
    close(rc);
  memcpy(s->path + s->x_start, made + (s->x_start - s->base), s->x_count);
  tf_free(made);
  return 0;
#endif
}

/* The name could not be written: the object must not stay. */
static void remove_made(const struct request *r, const struct shape *s) {
  if (r->dry_run)
    return;
#ifdef _WIN32
  {
    wchar_t *w = tmpf_wide(s->path);
    if (w != NULL && r->make_dir)
      _wrmdir(w);
    else if (w != NULL)
      _wunlink(w);
    free(w);
  }
#else
  if (r->make_dir)
    rmdir(s->path);
  else
    unlink(s->path);
#endif
}

int tmpf_mktemp(int argc, char **argv) {
  struct request r;
  struct shape s;
  int rc, err;
  argv[0] = (char *)tmpf_program;
  rc = parse(argc, argv, &r);
  if (rc >= 0)
    return rc;
  memset(&s, 0, sizeof(s));
  rc = check_template(&r, &s);
  if (rc != 0)
    return rc;
  rc = create(&r, &s);
  if (rc < 0) {
    if (!r.quiet)
      tmpf_error("failed to create %s via template %s: %s",
                 r.make_dir ? "directory" : "file", tmpf_quote(s.path),
                 tmpf_strerror(-rc));
    free(s.path);
    return TMPF_EXIT_FAILURE;
  }
  if (puts(s.path) < 0 || fflush(stdout) != 0 || ferror(stdout)) {
    err = errno;
    remove_made(&r, &s);
    /* -q silences this for an object made, not for a dry run's name. */
    if (!r.quiet || r.dry_run)
      tmpf_error("write error: %s", tmpf_strerror(err));
    free(s.path);
    return TMPF_EXIT_FAILURE;
  }
  free(s.path);
  return TMPF_EXIT_OK;
}
