/* SPDX-License-Identifier: MIT */
/*
 * run_win.c - `tmpf run` on Windows: the options of run.c, with
 * Windows' means.  COMMAND is started with CreateProcessW on a command
 * line quoted as the C runtime (MSVCRT, UCRT) splits it, so each ARG
 * arrives as given, and with TMP, TEMP and TMPDIR set to the private
 * directory.
 *
 * No signals there: Ctrl-C and Ctrl-Break reach every process attached
 * to the console, COMMAND included, by themselves.  tmpf takes them
 * (its console handler returns TRUE), so it outlives COMMAND, waits for
 * it, removes the directory and exits with COMMAND's exit code, as the
 * shell would have seen it.  When the console closes (or the user logs
 * off) the system ends tmpf once its handler returns: the handler waits
 * a few seconds for the removal first.
 *
 * A process killed (TerminateProcess) has its handles closed by the
 * system, a moment after it is reported dead under Wine: the removal is
 * retried for a while.  A file still open in a process COMMAND left
 * running, without FILE_SHARE_DELETE, can not be removed until that
 * process closes it: tmpf then says what is left, and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "tmpf.h"

/* How long the removal is retried while something still holds a file. */
#define REMOVAL_PATIENCE_MS 5000
/* How long the console's closing waits for the removal (the system
 * allows 5 s before it ends the process). */
#define CLOSE_PATIENCE_MS 4000

/* A command-line exit code: COMMAND not found, or not startable. */
#define EXIT_NOT_FOUND 127
#define EXIT_CANNOT_RUN 126

/* Set once the directory is dealt with, for the console's closing. */
static HANDLE finished;

static void help(void) {
  puts("Usage: tmpf run [OPTION]... [--] COMMAND [ARG]...\n"
       "Run COMMAND with TMP, TEMP and TMPDIR set to a new private directory\n"
       "(only its owner and SYSTEM may enter it), then remove\n"
       "that directory and everything in it, without following links or\n"
       "junctions, however COMMAND ends.  Ctrl-C and Ctrl-Break reach COMMAND\n"
       "through the console; tmpf waits for it before the directory goes.\n\n"
       "  -p, --tmpdir=DIR     make the directory in DIR (default: the\n"
       "                       temporary directory, see 'tmpf dir')\n"
       "      --cd             run COMMAND inside the directory\n"
       "      --keep           keep the directory; its path goes to stderr\n"
       "      --keep-on-failure  keep it only when COMMAND fails or is killed\n"
       "      --help           show this help and exit\n\n"
       "Exit status: COMMAND's exit code; 126 COMMAND could not be run, 127\n"
       "COMMAND not found; 1 the directory could not be made or removed (when\n"
       "COMMAND succeeded), 2 bad command line.");
}

/* Append arg to the command line at *out as the C runtime's parser
 * reads it back: quoted when it holds a blank or a quote or is empty;
 * inside quotes, backslashes are literal unless they precede a quote,
 * so those are doubled, and the quote escaped.  The program's name
 * (first) is parsed by other rules: quoted, never escaped.  Returns the
 * new end. */
static wchar_t *quote_arg(wchar_t *out, const wchar_t *arg, int first) {
  const wchar_t *p;
  if (!first && arg[0] != L'\0' && wcspbrk(arg, L" \t\n\v\"") == NULL) {
    wcscpy(out, arg);
    return out + wcslen(arg);
  }
  if (first) {
    *out++ = L'"';
    wcscpy(out, arg);
    out += wcslen(arg);
    *out++ = L'"';
    return out;
  }
  *out++ = L'"';
  for (p = arg;; p++) {
    size_t backslashes = 0;
    while (*p == L'\\') {
      backslashes++;
      p++;
    }
    if (*p == L'\0') {
      /* before the closing quote: each doubled */
      while (backslashes-- > 0) {
        *out++ = L'\\';
        *out++ = L'\\';
      }
      break;
    }
    if (*p == L'"') {
      while (backslashes-- > 0) {
        *out++ = L'\\';
        *out++ = L'\\';
      }
      *out++ = L'\\';
      *out++ = L'"';
    } else {
      while (backslashes-- > 0)
        *out++ = L'\\';
      *out++ = *p;
    }
  }
  *out++ = L'"';
  return out;
}

/* The command line of COMMAND (malloc'd), or NULL. */
static wchar_t *command_line(char **command) {
  size_t i, size = 1;
  wchar_t *line, *end;
  for (i = 0; command[i] != NULL; i++)
    size += 2 * strlen(command[i]) + 3; /* worst case, in UTF-16 units */
  line = malloc(size * sizeof(*line));
  if (line == NULL)
    return NULL;
  end = line;
  for (i = 0; command[i] != NULL; i++) {
    wchar_t *w = tmpf_wide(command[i]);
    if (w == NULL) {
      free(line);
      return NULL;
    }
    if (i > 0)
      *end++ = L' ';
    end = quote_arg(end, w, i == 0);
    free(w);
  }
  *end = L'\0';
  return line;
}

/* Ctrl-C and Ctrl-Break: COMMAND has them too; tmpf lives on to clean
 * up.  The console closing: the system ends tmpf when this returns, so
 * the removal is given its time first. */
static BOOL WINAPI on_console_event(DWORD event) {
  if (event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT)
    return TRUE;
  if (finished != NULL)
    WaitForSingleObject(finished, CLOSE_PATIENCE_MS);
  return FALSE;
}

static int make_dir(const struct tmpf_run_args *r, tf_dir **d) {
  tf_opts o = TF_OPTS_INIT;
  wchar_t *w = NULL, full[32768];
  char *parent = NULL;
  DWORD attributes, len;
  int rc;
  /* An absolute TMPDIR, so COMMAND may change directory. */
  if (r->parent != NULL) {
    w = tmpf_wide(r->parent);
    rc = w == NULL ? -EINVAL : 0;
    len = rc == 0 ? GetFullPathNameW(w, 32768, full, NULL) : 0;
    if (rc == 0 && (len == 0 || len >= 32768)) /* failed, or too long */
      rc = len == 0 ? -tmpf_errno_of(GetLastError()) : -ENAMETOOLONG;
    if (rc == 0) {
      attributes = GetFileAttributesW(full);
      rc = attributes == INVALID_FILE_ATTRIBUTES ? -tmpf_errno_of(GetLastError())
           : !(attributes & FILE_ATTRIBUTE_DIRECTORY) ? -ENOTDIR
                                                      : 0;
    }
    free(w);
    if (rc == 0 && (parent = tmpf_narrow(full)) == NULL)
      rc = -ENOMEM;
    if (rc < 0) {
      tmpf_error("run: cannot use directory %s: %s", tmpf_quote(r->parent),
                 tmpf_strerror(-rc));
      return rc;
    }
  }
  o.dir = parent;
  o.prefix = "tmpf-run.";
  rc = tf_dir_create(d, &o);
  if (rc < 0) {
    char where[4096];
    const char *in = parent;
    if (in == NULL && tf_gettempdir(where, sizeof(where)) >= 0)
      in = where;
    tmpf_error("run: cannot create a temporary directory in %s: %s",
               in ? tmpf_quote(in) : "the temporary directory",
               tmpf_strerror(-rc));
  }
  free(parent);
  return rc;
}

/* COMMAND's environment is tmpf's with these (CreateProcessW copies
 * it); the lock fd of POSIX has no meaning here. */
static int set_environment(const char *dir) {
  wchar_t *w = tmpf_wide(dir);
  int ok;
  if (w == NULL)
    return -ENOMEM;
  ok = SetEnvironmentVariableW(L"TMPDIR", w) &&
       SetEnvironmentVariableW(L"TEMP", w) && SetEnvironmentVariableW(L"TMP", w);
  SetEnvironmentVariableW(L"TMPF_RUN_LOCK_FD", NULL);
  free(w);
  return ok ? 0 : -tmpf_errno_of(GetLastError());
}

/* A copy of a standard handle COMMAND may inherit (NULL if none). */
static HANDLE inheritable(DWORD which) {
  HANDLE h = GetStdHandle(which), copy = NULL;
  if (h == NULL || h == INVALID_HANDLE_VALUE)
    return NULL;
  if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &copy, 0,
                       TRUE, DUPLICATE_SAME_ACCESS))
    return NULL;
  return copy;
}

/* Start COMMAND and wait for it: its exit code, or 126/127 after a
 * message. */
static int run_command(const struct tmpf_run_args *r, const char *dir) {
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  wchar_t *line = command_line(r->command), *cwd = NULL;
  DWORD code = EXIT_CANNOT_RUN, err = 0;
  BOOL started;
  int i;
  if (line == NULL) {
    tmpf_error("run: %s: %s", tmpf_quote(r->command[0]), tmpf_strerror(EINVAL));
    return EXIT_CANNOT_RUN;
  }
  if (r->cd)
    cwd = tmpf_wide(dir);
  memset(&si, 0, sizeof(si));
  si.cb = sizeof(si);
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = inheritable(STD_INPUT_HANDLE);
  si.hStdOutput = inheritable(STD_OUTPUT_HANDLE);
  si.hStdError = inheritable(STD_ERROR_HANDLE);
  fflush(NULL);
  started = CreateProcessW(NULL, line, NULL, NULL, TRUE, CREATE_UNICODE_ENVIRONMENT,
                           NULL, cwd, &si, &pi);
  if (!started)
    err = GetLastError();
  for (i = 0; i < 3; i++) {
    HANDLE h = i == 0 ? si.hStdInput : i == 1 ? si.hStdOutput : si.hStdError;
    if (h != NULL)
      CloseHandle(h);
  }
  free(line);
  free(cwd);
  if (!started) {
    int e = tmpf_errno_of(err);
    tmpf_error("run: %s: %s", tmpf_quote(r->command[0]), tmpf_strerror(e));
    return e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
  }
  CloseHandle(pi.hThread);
  WaitForSingleObject(pi.hProcess, INFINITE);
  if (!GetExitCodeProcess(pi.hProcess, &code))
    code = TMPF_EXIT_FAILURE;
  CloseHandle(pi.hProcess);
  return (int)code;
}

/* Remove the directory, again while a process that ended still holds
 * a file in it (its handles close a moment after its end). */
static int remove_dir(tf_dir *d) {
  DWORD waited = 0, pause = 10;
  int rc;
  for (;;) {
    rc = tf_dir_cleanup(d);
    if (rc == 0 || waited >= REMOVAL_PATIENCE_MS)
      return rc;
    Sleep(pause);
    waited += pause;
    if (pause < 200)
      pause *= 2;
  }
}

/* Keep or remove the directory as asked; the final exit status. */
static int finish(const struct tmpf_run_args *r, tf_dir *d, int status) {
  char path[4096];
  int rc = 0;
  snprintf(path, sizeof(path), "%s", tf_dir_path(d));
  if (r->keep || (r->keep_on_failure && status != 0)) {
    tf_dir_keep(d);
    fprintf(stderr, "%s: run: kept %s\n", tmpf_program, path);
  } else {
    rc = remove_dir(d);
  }
  tf_dir_free(d); /* removed or kept: only the handle is left */
  if (rc < 0) {
    tmpf_error("run: cannot remove the temporary directory %s: %s (it is "
               "still there)",
               tmpf_quote(path), tmpf_strerror(-rc));
    if (status == 0)
      status = TMPF_EXIT_FAILURE;
  }
  return status;
}

int tmpf_run(int argc, char **argv) {
  struct tmpf_run_args r;
  tf_dir *d = NULL;
  int status, rc;
  status = tmpf_run_args(&r, argc, argv, help);
  if (status >= 0)
    return status;
  finished = CreateEventW(NULL, TRUE, FALSE, NULL);
  /* Installed before the directory exists: a Ctrl-C from then on is
   * COMMAND's (or, before COMMAND runs, ends nothing half made). */
  SetConsoleCtrlHandler(on_console_event, TRUE);
  if (make_dir(&r, &d) < 0) {
    status = TMPF_EXIT_FAILURE;
  } else {
    rc = set_environment(tf_dir_path(d));
    if (rc < 0) {
      tmpf_error("run: cannot set TMPDIR: %s", tmpf_strerror(-rc));
      status = EXIT_CANNOT_RUN;
    } else {
      status = run_command(&r, tf_dir_path(d));
    }
    status = finish(&r, d, status);
  }
  fflush(NULL);
  if (finished != NULL)
    SetEvent(finished);
  return status;
}
