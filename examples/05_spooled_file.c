/* SPDX-License-Identifier: MIT */
/*
 * 05_spooled_file.c - the tour's SpooledTemporaryFile: data stays in
 * memory until it grows past max_size (1 KiB here), then moves to an
 * unnamed file, and the program never notices the move.  The tutorial writes
 * text through a 'w+t' file; here the spool's stdio stream takes the
 * text, and the lines are read back through it too.  Beyond Python: a
 * rollover that fails (its directory is missing) loses nothing, not even
 * what sat in the stream's buffer, and the same spool rolls over once
 * the directory is there.
 *
 * Windows has no stdio streams of a program's own making, so there
 * tf_spool_stream() gives a real file's stream and rolls the spool over
 * first: the text goes in with tf_spool_write(), which keeps it in
 * memory, and the stream is taken only to read it back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tour.h"

#ifdef _WIN32
#define TEXT_THROUGH_STREAM 0
#else
#define TEXT_THROUGH_STREAM 1
#endif

static const char *yes_no(int b) { return b ? "true" : "false"; }

/* The spool's stream where the text goes through it, else NULL. */
static FILE *text_stream(tf_spool *s) {
  FILE *fp = NULL;
  if (TEXT_THROUGH_STREAM)
    check(tf_spool_stream(s, &fp), "tf_spool_stream");
  return fp;
}

/* Append text, times over: through the stream fp, or if it is NULL with
 * tf_spool_write(). */
static void repeat(tf_spool *s, FILE *fp, const char *text, int times) {
  size_t len = strlen(text);
  int i;
  for (i = 0; i < times; i++)
    if (fp != NULL)
      check_sys(fputs(text, fp) != EOF, "fputs");
    else if (tf_spool_write(s, text, len) != (ssize_t)len)
      check(-EIO, "tf_spool_write");
}

/* Read the whole spool back from the start through its stream, as
 * Python's f.seek(0); f.read() would; its length. */
static long read_all(tf_spool *s) {
  char line[512];
  long total = 0;
  FILE *fp;
  check(tf_spool_stream(s, &fp), "tf_spool_stream");
  check_sys(fseek(fp, 0, SEEK_SET) == 0, "fseek");
  while (fgets(line, sizeof(line), fp) != NULL)
    total += (long)strlen(line);
  check_sys(!ferror(fp), "fgets");
  return total;
}

int main(void) {
  const size_t max_size = 1024; /* 1 KiB threshold */
  const char *past = "and this line takes it past 1 KiB\n";
  char dir[4096], missing[4200], name[32];
  tf_opts o = TF_OPTS_INIT;
  tf_spool *s;
#ifndef _WIN32
  struct stat st;
#endif
  FILE *fp;
  int fd, rc;

  puts("=== SpooledTemporaryFile ===");
  check(tf_spool_create(&s, max_size, NULL), "tf_spool_create");
  fp = text_stream(s);
  printf("Initially in memory: %s\n", yes_no(!tf_spool_rolled(s)));

  repeat(s, fp, "Small data ", 10); /* 110 bytes: stays in memory */
  printf("After small write, in memory: %s\n", yes_no(!tf_spool_rolled(s)));

  repeat(s, fp, "Large data ", 200); /* 2,200 more: moves to disk */
  printf("After large write, in memory: %s\n", yes_no(!tf_spool_rolled(s)));

  if (tf_spool_rolled(s)) {
    /* Once rolled it is an unnamed file (Python's name is its fd too). */
    fd = tf_spool_fd(s);
    check(fd, "tf_spool_fd");
    check(tf_gettempdir(dir, sizeof(dir)), "tf_gettempdir");
    printf("File: fd %d, an unnamed file in %s", fd, dir);
#ifndef _WIN32
    check_sys(fstat(fd, &st) == 0, "fstat");
    printf(" (%lu names)", (unsigned long)st.st_nlink);
#endif
    putchar('\n');
  }
  printf("Total content length: %ld\n", read_all(s));
  check(tf_spool_free(s), "tf_spool_free");

  puts("\nBeyond Python: a rollover that fails loses nothing");
  check(tf_gettempdir(dir, sizeof(dir)), "tf_gettempdir");
  snprintf(name, sizeof(name), "spool-demo-%d", (int)getpid());
  join(missing, sizeof(missing), dir, name);
  o.dir = missing;
  check(tf_spool_create(&s, max_size, &o), "tf_spool_create");
  fp = text_stream(s);
  repeat(s, fp, "Kept data ", 100); /* 1,000 bytes, in memory */
  if (fp != NULL) {
    check_sys(fputs(past, fp) != EOF, "fputs"); /* in the stream's buffer */
    /* The stream hands its buffer to the spool at a flush: the rollover
     * fails there, and the flush says why. */
    rc = fflush(fp) == EOF ? -errno : 0;
    clearerr(fp);
  } else {
    /* The write rolls over first; that fails, and so does the write. */
    rc = (int)tf_spool_write(s, past, strlen(past));
  }
  printf("%s past 1 KiB with no directory to roll into: %s\n",
         fp != NULL ? "Flushing" : "Writing",
         rc < 0 ? tf_strerror(rc) : "succeeded");
  printf("Still in memory: %s, length %lld, nothing lost\n",
         yes_no(!tf_spool_rolled(s)), (long long)tf_spool_size(s));
  check_sys(mkdir(missing, 0700) == 0, "mkdir");
  check(tf_spool_rollover(s), "tf_spool_rollover");
  printf("Directory made, rolled over: %s, length %ld\n",
         yes_no(tf_spool_rolled(s)), read_all(s));
  check(tf_spool_free(s), "tf_spool_free");
  check_sys(rmdir(missing) == 0, "rmdir"); /* empty: the file had no name */
  return 0;
}
