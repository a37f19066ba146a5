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
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tour.h"

static const char *yes_no(int b) { return b ? "true" : "false"; }

static void repeat(FILE *fp, const char *text, int times) {
  int i;
  for (i = 0; i < times; i++)
    check_sys(fputs(text, fp) != EOF, "fputs");
}

/* Read the whole spool back from the start through its stream, as
 * Python's f.seek(0); f.read() would; its length. */
static long read_all(FILE *fp) {
  char line[512];
  long total = 0;
  check_sys(fseek(fp, 0, SEEK_SET) == 0, "fseek");
  while (fgets(line, sizeof(line), fp) != NULL)
    total += (long)strlen(line);
  check_sys(!ferror(fp), "fgets");
  return total;
}

int main(void) {
  const size_t max_size = 1024; /* 1 KiB threshold */
  char dir[4096], missing[4200];
  tf_opts o = TF_OPTS_INIT;
  tf_spool *s;
  struct stat st;
  FILE *fp;
  int fd, rc;

  puts("=== SpooledTemporaryFile ===");
  check(tf_spool_create(&s, max_size, NULL), "tf_spool_create");
  check(tf_spool_stream(s, &fp), "tf_spool_stream");
  printf("Initially in memory: %s\n", yes_no(!tf_spool_rolled(s)));

  repeat(fp, "Small data ", 10); /* 110 bytes: stays in memory */
  printf("After small write, in memory: %s\n", yes_no(!tf_spool_rolled(s)));

  repeat(fp, "Large data ", 200); /* 2,200 more: moves to disk */
  printf("After large write, in memory: %s\n", yes_no(!tf_spool_rolled(s)));

  if (tf_spool_rolled(s)) {
    /* Once rolled it is an unnamed file (Python's name is its fd too). */
    fd = tf_spool_fd(s);
    check(fd, "tf_spool_fd");
    check_sys(fstat(fd, &st) == 0, "fstat");
    check(tf_gettempdir(dir, sizeof(dir)), "tf_gettempdir");
    printf("File: fd %d, an unnamed file in %s (%lu names)\n", fd, dir,
           (unsigned long)st.st_nlink);
  }
  printf("Total content length: %ld\n", read_all(fp));
  check(tf_spool_free(s), "tf_spool_free");

  puts("\nBeyond Python: a rollover that fails loses nothing");
  check(tf_gettempdir(dir, sizeof(dir)), "tf_gettempdir");
  snprintf(missing, sizeof(missing), "%s/spool-demo-%d", dir, (int)getpid());
  o.dir = missing;
  check(tf_spool_create(&s, max_size, &o), "tf_spool_create");
  check(tf_spool_stream(s, &fp), "tf_spool_stream");
  repeat(fp, "Kept data ", 100); /* 1,000 bytes, in memory */
  check_sys(fputs("and this line takes it past 1 KiB\n", fp) != EOF,
            "fputs"); /* in the stream's buffer */
  /* The stream hands its buffer to the spool at a flush: the rollover
   * fails there, and the flush says why. */
  rc = fflush(fp) == EOF ? -errno : 0;
  printf("Flushing past 1 KiB with no directory to roll into: %s\n",
         rc < 0 ? tf_strerror(rc) : "succeeded");
  clearerr(fp);
  printf("Still in memory: %s, length %ld, nothing lost\n",
         yes_no(!tf_spool_rolled(s)), read_all(fp));
  check_sys(mkdir(missing, 0700) == 0, "mkdir");
  check(tf_spool_rollover(s), "tf_spool_rollover");
  printf("Directory made, rolled over: %s, length %ld\n",
         yes_no(tf_spool_rolled(s)), read_all(fp));
  check(tf_spool_free(s), "tf_spool_free");
  check_sys(rmdir(missing) == 0, "rmdir"); /* empty: the file had no name */
  return 0;
}
