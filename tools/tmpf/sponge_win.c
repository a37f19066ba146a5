/* SPDX-License-Identifier: MIT */
/*
 * sponge_win.c - `tmpf sponge` on Windows: the options, guarantees and
 * messages of sponge.c, with the means Windows has.  The input is held
 * in memory up to SIZE; past that, for a FILE, it goes into the atomic
 * replacement's hidden file beside FILE (which the library gives FILE's
 * owner and DACL, and which deletes itself if sponge is killed), and
 * otherwise into an unnamed temporary file (tf_tmpfile()).  Nothing
 * touches FILE before the input ends.  Standard input and output are
 * binary: the bytes are FILE's, no CR LF translation.
 */
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "tmpf.h"

#define READ_CHUNK ((size_t)256 << 10)


struct sponge {
  struct tmpf_sponge_args args;
  int direct;        /* FILE exists and is no disk file (NUL, CON, a pipe) */
  char *held;        /* the input while it is in memory */
  size_t held_len, held_size;
  int spill_fd;      /* the input past memory, without a FILE */
  tf_atomic *atomic; /* the replacement, once begun */
};

static void help(void) {
  puts("Usage: tmpf sponge [OPTION]... [FILE]\n"
       "Soak up all of standard input, then replace FILE with it atomically:\n"
       "readers and a crash see the old FILE or the new one, never a mix, and\n"
       "FILE is untouched if reading the input fails or sponge is interrupted.\n"
       "So 'sort FILE | tmpf sponge FILE' rewrites FILE in place.  FILE keeps its\n"
       "owner and DACL (its security descriptor) and its attributes.  Without\n"
       "FILE, the input goes to standard output.\n\n"
       "  -a, --append       append the input to FILE's contents\n"
       "  -m, --memory=SIZE  hold up to SIZE bytes of input in memory\n"
       "                     (suffixes K, M, G; default 64M); more goes to\n"
       "                     the new file in FILE's directory\n"
       "      --durable      also flush FILE's directory where the system can\n"
       "      --no-sync      do not flush the new file either (faster; after a\n"
       "                     crash FILE may be empty)\n"
       "  -h, --help         show this help and exit\n\n"
       "sponge can not see whether the command before it failed: 'false |\n"
       "tmpf sponge FILE' empties FILE.\n\n"
       "Exit status: 0, 1 when FILE could not be replaced (it is then\n"
       "untouched) or the input could not be read, 2 bad command line.");
}

/* What FILE is: 0 a disk file or nothing, 1 something else that can
 * only be written in place (a device, a pipe), -EISDIR, -errno. */
static int classify(const char *file) {
  wchar_t *w = tmpf_wide(file);
  DWORD attributes, type;
  HANDLE h;
  if (w == NULL)
    return -errno;
  attributes = GetFileAttributesW(w);
  if (attributes != INVALID_FILE_ATTRIBUTES &&
      (attributes & FILE_ATTRIBUTE_DIRECTORY)) {
    free(w);
    return -EISDIR;
  }
  /* No access asked: devices (NUL, CON) and pipes open so too. */
  h = CreateFileW(w, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                  NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
  free(w);
  if (h == INVALID_HANDLE_VALUE)
    return 0; /* missing or unreadable: the replacement says which */
  type = GetFileType(h);
  CloseHandle(h);
  return type != FILE_TYPE_DISK;
}

/* Keep n bytes of input in memory. */
static int hold(struct sponge *sp, const char *buf, size_t n) {
  if (sp->held_len + n > sp->held_size) {
    size_t size = sp->held_size ? sp->held_size : READ_CHUNK;
    char *grown;
    while (size < sp->held_len + n)
      size *= 2;
    grown = realloc(sp->held, size);
    if (grown == NULL)
      return -ENOMEM;
    sp->held = grown;
    sp->held_size = size;
  }
  memcpy(sp->held + sp->held_len, buf, n);
  sp->held_len += n;
  return 0;
}

/* Copy what FILE holds now to the new file (for -a); a missing FILE holds
 * nothing. */
static int copy_old_contents(struct sponge *sp) {
  int64_t copied = 0;
  int side, rc, fd;
  wchar_t *w = tmpf_wide(sp->args.file);
  if (w == NULL)
    return tmpf_sponge_fail("cannot read", sp->args.file, -errno);
  fd = _wopen(w, _O_RDONLY | _O_BINARY | _O_NOINHERIT);
  free(w);
  if (fd < 0)
    return errno == ENOENT ? 0 : tmpf_sponge_fail("cannot read", sp->args.file, -errno);
  rc = tmpf_copy_fd(fd, tf_atomic_fd(sp->atomic), 0, &copied, &side);
  close(fd);
  if (rc < 0)
    return tmpf_sponge_fail(side == TMPF_SIDE_IN ? "cannot read" : "cannot write",
                sp->args.file, rc);
  return 0;
}

/* Begin the replacement of FILE and move what memory holds into it. */
static int spill(struct sponge *sp) {
  tf_opts o = TF_OPTS_INIT;
  int rc;
  o.flags = sp->args.sync;
  rc = tf_atomic_begin(&sp->atomic, sp->args.file, &o);
  if (rc < 0)
    return tmpf_sponge_fail("cannot replace", sp->args.file, rc);
  if (sp->args.append && copy_old_contents(sp) != 0)
    return TMPF_EXIT_FAILURE;
  rc = sp->held_len ? tf_atomic_write(sp->atomic, sp->held, sp->held_len) : 0;
  if (rc < 0)
    return tmpf_sponge_fail("cannot write", sp->args.file, rc);
  sp->held_len = 0;
  return 0;
}

/* No FILE to replace: what memory holds goes to an unnamed file. */
static int spill_unnamed(struct sponge *sp) {
  int rc;
  sp->spill_fd = tf_tmpfile(NULL);
  if (sp->spill_fd < 0)
    return tmpf_sponge_fail("cannot hold the input", NULL, sp->spill_fd);
  rc = tmpf_write_all(sp->spill_fd, sp->held, sp->held_len);
  if (rc < 0)
    return tmpf_sponge_fail("cannot hold the input", NULL, rc);
  sp->held_len = 0;
  return 0;
}

/* Read standard input into memory until it ends or would outgrow the
 * memory allowed; then into the new file (or the unnamed one). */
static int soak(struct sponge *sp, char *buf) {
  for (;;) {
    int n = read(STDIN_FILENO, buf, READ_CHUNK);
    int64_t copied = 0;
    int side, rc;
    if (n == 0)
      return 0;
    if (n < 0)
      return tmpf_sponge_fail("reading standard input", NULL, -errno);
    if (sp->held_len + (size_t)n <= sp->args.memory) {
      rc = hold(sp, buf, (size_t)n);
      if (rc < 0)
        return tmpf_sponge_fail("cannot hold the input", NULL, rc);
      continue;
    }
    if (sp->args.file != NULL && !sp->direct) {
      if (spill(sp) != 0)
        return TMPF_EXIT_FAILURE;
      rc = tf_atomic_write(sp->atomic, buf, (size_t)n);
      if (rc == 0)
        rc = tmpf_copy_fd(STDIN_FILENO, tf_atomic_fd(sp->atomic), 0, &copied,
                          &side);
      else
        side = TMPF_SIDE_OUT;
      if (rc < 0 && side == TMPF_SIDE_OUT)
        return tmpf_sponge_fail("cannot write", sp->args.file, rc);
    } else {
      if (spill_unnamed(sp) != 0)
        return TMPF_EXIT_FAILURE;
      rc = tmpf_write_all(sp->spill_fd, buf, (size_t)n);
      if (rc == 0)
        rc = tmpf_copy_fd(STDIN_FILENO, sp->spill_fd, 0, &copied, &side);
      else
        side = TMPF_SIDE_OUT;
      if (rc < 0 && side == TMPF_SIDE_OUT)
        return tmpf_sponge_fail("cannot hold the input", NULL, rc);
    }
    if (rc < 0)
      return tmpf_sponge_fail("reading standard input", NULL, rc);
    return 0;
  }
}

/* The input has ended: it becomes FILE. */
static int replace(struct sponge *sp) {
  int rc;
  if (sp->atomic == NULL && spill(sp) != 0)
    return TMPF_EXIT_FAILURE;
  rc = tf_atomic_commit(sp->atomic);
  if (rc < 0 && tf_atomic_committed(sp->atomic) == 1)
    return tmpf_sponge_fail("replaced, but could not sync the directory of", sp->args.file,
                rc);
  if (rc < 0)
    return tmpf_sponge_fail("cannot replace", sp->args.file, rc);
  return TMPF_EXIT_OK;
}

/* The input has ended: copy it to fd (standard output, or a FILE that is
 * no disk file). */
static int pour(struct sponge *sp, int fd, const char *name) {
  int64_t copied = 0;
  int side = TMPF_SIDE_OUT, rc;
  if (sp->spill_fd < 0) {
    rc = tmpf_write_all(fd, sp->held, sp->held_len);
  } else if (lseek(sp->spill_fd, 0, SEEK_SET) != 0) {
    return tmpf_sponge_fail("cannot read back the input", NULL, -errno);
  } else {
    rc = tmpf_copy_fd(sp->spill_fd, fd, 0, &copied, &side);
    if (rc < 0 && side == TMPF_SIDE_IN)
      return tmpf_sponge_fail("cannot read back the input", NULL, rc);
  }
  if (rc < 0)
    return name ? tmpf_sponge_fail("cannot write", name, rc)
                : tmpf_sponge_fail("write error", NULL, rc);
  return TMPF_EXIT_OK;
}

/* FILE is no disk file: written in place, as nothing else is possible. */
static int pour_into(struct sponge *sp) {
  int status, fd;
  wchar_t *w = tmpf_wide(sp->args.file);
  if (w == NULL)
    return tmpf_sponge_fail("cannot open", sp->args.file, -errno);
  fd = _wopen(w, _O_WRONLY | _O_BINARY | _O_NOINHERIT |
                     (sp->args.append ? _O_APPEND : 0));
  free(w);
  if (fd < 0)
    return tmpf_sponge_fail("cannot open", sp->args.file, -errno);
  status = pour(sp, fd, sp->args.file);
  if (close(fd) != 0 && status == TMPF_EXIT_OK)
    status = tmpf_sponge_fail("cannot write", sp->args.file, -errno);
  return status;
}

int tmpf_sponge(int argc, char **argv) {
  struct sponge sp;
  char *buf;
  int status;
  memset(&sp, 0, sizeof(sp));
  sp.spill_fd = -1;
  status = tmpf_sponge_args(&sp.args, argc, argv, help);
  if (status >= 0)
    return status;
  if (sp.args.file != NULL) {
    int kind = classify(sp.args.file);
    if (kind < 0)
      return tmpf_sponge_fail("cannot replace", sp.args.file, kind);
    sp.direct = kind;
  }
  _setmode(STDIN_FILENO, _O_BINARY);
  _setmode(STDOUT_FILENO, _O_BINARY);
  buf = tmpf_buffer(READ_CHUNK);
  status = buf ? soak(&sp, buf) : tmpf_sponge_fail("cannot hold the input", NULL, -ENOMEM);
  free(buf);
  if (status == 0)
    status = sp.args.file == NULL ? pour(&sp, STDOUT_FILENO, NULL)
             : sp.direct     ? pour_into(&sp)
                             : replace(&sp);
  tf_atomic_free(sp.atomic);
  if (sp.spill_fd >= 0)
    close(sp.spill_fd);
  free(sp.held);
  return status;
}
