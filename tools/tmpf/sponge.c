/* SPDX-License-Identifier: MIT */
/*
 * sponge.c - `tmpf sponge [-a] [--durable] [-m SIZE] [FILE]`: soak up
 * standard input, then replace FILE with it atomically (moreutils
 * sponge, made safe).
 *
 * The input is held in a memory spool up to SIZE (64 MiB).  Past that it
 * spills into the atomic replacement's own temporary file in FILE's
 * directory, and the rest of the input goes there directly, so
 * a large input is written to disk once and the file written is the one
 * that becomes FILE.  Nothing touches FILE before the input ends; a
 * failed read or a signal leaves FILE as it was and nothing behind.
 *
 * Without FILE, or when FILE is not a regular file (a terminal, a FIFO,
 * /dev/null), nothing atomic is possible: the spool rolls over into the
 * temporary directory instead, and is copied out once the input ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpf.h"

#define READ_CHUNK ((size_t)256 << 10)
#define PIPE_SIZE (1 << 20)


struct sponge {
  struct tmpf_sponge_args args;
  int direct;         /* FILE exists and is no regular file */
  tf_spool *spool;    /* the input while it is in memory */
  tf_atomic *atomic;  /* the replacement, once begun */
};

static void help(void) {
  puts("Usage: tmpf sponge [OPTION]... [FILE]\n"
       "Soak up all of standard input, then replace FILE with it atomically:\n"
       "readers and a crash see the old FILE or the new one, never a mix, and\n"
       "FILE is untouched if reading the input fails or sponge is interrupted.\n"
       "So 'sort FILE | tmpf sponge FILE' rewrites FILE in place.  FILE keeps its\n"
       "mode, and its owner where permitted; a symlinked FILE is followed and\n"
       "the link kept.  Without FILE, the input goes to standard output.\n\n"
       "  -a, --append       append the input to FILE's contents\n"
       "  -m, --memory=SIZE  hold up to SIZE bytes of input in memory\n"
       "                     (suffixes K, M, G; default 64M); more goes to\n"
       "                     the new file in FILE's directory\n"
       "      --durable      also sync FILE's directory, so the new FILE\n"
       "                     survives a crash once sponge returns\n"
       "      --no-sync      do not sync the new file either (faster; after a\n"
       "                     crash FILE may be empty)\n"
       "  -h, --help         show this help and exit\n\n"
       "FILE is replaced by a rename in its directory: where that directory is\n"
       "not writable, or is sticky and FILE another user's, sponge refuses\n"
       "(status 1, FILE untouched) where moreutils' sponge writes in place.\n"
       "sponge can not see whether the command before it failed: 'false |\n"
       "tmpf sponge FILE' empties FILE.  Where the command may fail, run it\n"
       "into a temporary file first: 'cmd > \"$tmp\" && tmpf sponge FILE <\n"
       "\"$tmp\"'.\n\n"
       "Exit status: 0, 1 when FILE could not be replaced (it is then\n"
       "untouched) or the input could not be read, or with --durable when FILE\n"
       "was replaced but its directory could not be synced (the message says\n"
       "so), 2 bad command line.");
}

/* Copy what FILE holds now to the new file (for -a); a missing FILE holds
 * nothing. */
static int copy_old_contents(struct sponge *sp) {
  int64_t copied = 0;
  int side, rc;
  int fd = open(sp->args.file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : tmpf_sponge_fail("cannot read", sp->args.file, -errno);
  rc = tmpf_copy_fd(fd, tf_atomic_fd(sp->atomic), 0, &copied, &side);
  close(fd);
  if (rc < 0)
    return tmpf_sponge_fail(side == TMPF_SIDE_IN ? "cannot read" : "cannot write",
                sp->args.file, rc);
  return 0;
}

/* Move what the spool holds to fd, in order. */
static int drain_spool(tf_spool *s, int fd) {
  char *buf = tmpf_buffer(READ_CHUNK);
  ssize_t n = 0;
  int rc = 0;
  if (buf == NULL)
    return -ENOMEM;
  if (tf_spool_seek(s, 0, SEEK_SET) < 0)
    rc = -EIO;
  while (rc == 0 && (n = tf_spool_read(s, buf, READ_CHUNK)) > 0)
    rc = tmpf_write_all(fd, buf, (size_t)n);
  free(buf);
  return rc < 0 ? rc : n < 0 ? (int)n : 0;
}

/* Begin the replacement of FILE and move the spool into it. */
static int spill(struct sponge *sp) {
  tf_opts o = TF_OPTS_INIT;
  int rc;
  o.flags = sp->args.sync;
  rc = tf_atomic_begin(&sp->atomic, sp->args.file, &o);
  if (rc < 0)
    return tmpf_sponge_fail("cannot replace", sp->args.file, rc);
  if (sp->args.append && copy_old_contents(sp) != 0)
    return TMPF_EXIT_FAILURE;
  rc = drain_spool(sp->spool, tf_atomic_fd(sp->atomic));
  if (rc < 0)
    return tmpf_sponge_fail("cannot write", sp->args.file, rc);
  tf_spool_free(sp->spool);
  sp->spool = NULL;
  return 0;
}

/* Read standard input into the spool until it ends or, for a FILE,
 * until it would outgrow the memory; then into the new file. */
static int soak(struct sponge *sp, char *buf) {
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, READ_CHUNK), w;
    if (n == 0)
      return 0;
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return tmpf_sponge_fail("reading standard input", NULL, -errno);
    }
    if (sp->args.file != NULL && !sp->direct &&
        (uint64_t)tf_spool_size(sp->spool) + (uint64_t)n > sp->args.memory) {
      int64_t copied = 0;
      int side, rc;
      if (spill(sp) != 0)
        return TMPF_EXIT_FAILURE;
      rc = tf_atomic_write(sp->atomic, buf, (size_t)n);
      if (rc == 0)
        rc = tmpf_copy_fd(STDIN_FILENO, tf_atomic_fd(sp->atomic),
                          sp->args.sync == TF_SYNC_NONE ? 0 : TMPF_COPY_WRITE_BEHIND,
                          &copied, &side);
      else
        side = TMPF_SIDE_OUT;
      if (rc < 0 && side == TMPF_SIDE_IN)
        return tmpf_sponge_fail("reading standard input", NULL, rc);
      if (rc < 0)
        return tmpf_sponge_fail("cannot write", sp->args.file, rc);
      return 0;
    }
    w = tf_spool_write(sp->spool, buf, (size_t)n);
    if (w != n)
      return tmpf_sponge_fail("cannot hold the input", NULL, w < 0 ? (int)w : -ENOSPC);
  }
}

/* The input has ended: it becomes FILE. */
static int replace(struct sponge *sp) {
  int rc;
  if (sp->atomic == NULL && spill(sp) != 0)
    return TMPF_EXIT_FAILURE;
  rc = tf_atomic_commit(sp->atomic);
  if (rc < 0 && tf_atomic_committed(sp->atomic) == 1)
    /* --durable, and the directory could not be synced */
    return tmpf_sponge_fail("replaced, but could not sync the directory of", sp->args.file,
                rc);
  if (rc < 0)
    return tmpf_sponge_fail("cannot replace", sp->args.file, rc);
  return TMPF_EXIT_OK;
}

/* The input has ended: copy it to fd (standard output, or a FILE that is
 * no regular file). */
static int pour(struct sponge *sp, int fd, const char *name) {
  int64_t copied = 0;
  int side, rc;
  if (!tf_spool_rolled(sp->spool)) {
    rc = drain_spool(sp->spool, fd);
  } else {
    /* Handing out the fd writes back what the spool's buffer holds: on a
     * full disk that fails, before any copy that would set side. */
    int in = tf_spool_fd(sp->spool);
    rc = in < 0 ? in : (int)tf_spool_seek(sp->spool, 0, SEEK_SET);
    if (rc < 0)
      return tmpf_sponge_fail("cannot hold the input", NULL, rc);
    rc = tmpf_copy_fd(in, fd, 0, &copied, &side);
    if (rc < 0 && side == TMPF_SIDE_IN)
      return tmpf_sponge_fail("cannot read back the input", NULL, rc);
  }
  if (rc < 0)
    return name ? tmpf_sponge_fail("cannot write", name, rc)
                : tmpf_sponge_fail("write error", NULL, rc);
  return TMPF_EXIT_OK;
}

/* FILE exists and is no regular file: write it in place, as nothing else
 * is possible. */
static int pour_into(struct sponge *sp) {
  int status;
  int fd = open(sp->args.file, O_WRONLY | O_CLOEXEC | (sp->args.append ? O_APPEND : 0));
  if (fd < 0)
    return tmpf_sponge_fail("cannot open", sp->args.file, -errno);
  status = pour(sp, fd, sp->args.file);
  if (close(fd) != 0 && status == TMPF_EXIT_OK)
    status = tmpf_sponge_fail("cannot write", sp->args.file, -errno);
  return status;
}

int tmpf_sponge(int argc, char **argv) {
  struct sponge sp;
  struct stat st;
  char *buf;
  int status;
  memset(&sp, 0, sizeof(sp));
  status = tmpf_sponge_args(&sp.args, argc, argv, help);
  if (status >= 0)
    return status;
  if (sp.args.file != NULL && stat(sp.args.file, &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return tmpf_sponge_fail("cannot replace", sp.args.file, -EISDIR);
    sp.direct = !S_ISREG(st.st_mode);
  }
  /* A wide pipe lets the writer run ahead: fewer switches between it and
   * sponge (the kernel caps the size; failure costs only speed). */
  (void)fcntl(STDIN_FILENO, F_SETPIPE_SZ, PIPE_SIZE);
  /* A signal removes what is temporary (the spool's file, a hidden
   * sibling of FILE) and kills sponge as it would have. */
  (void)tf_cleanup_on_signals(NULL, 0);
  /* The spool rolls over to the temporary directory only when the input
   * is not bound for a regular FILE (soak() spills first otherwise).  For
   * the spool 0 means "no limit", so "no memory" is 1 byte. */
  status = tf_spool_create(&sp.spool, sp.args.memory ? sp.args.memory : 1, NULL);
  if (status < 0)
    return tmpf_sponge_fail("cannot hold the input", NULL, status);
  buf = tmpf_buffer(READ_CHUNK);
  status = buf ? soak(&sp, buf) : tmpf_sponge_fail("cannot hold the input", NULL, -ENOMEM);
  free(buf);
  if (status == 0)
    status = sp.args.file == NULL ? pour(&sp, STDOUT_FILENO, NULL)
             : sp.direct     ? pour_into(&sp)
                             : replace(&sp);
  tf_atomic_free(sp.atomic);
  tf_spool_free(sp.spool);
  return status;
}
