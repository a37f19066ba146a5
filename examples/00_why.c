/* SPDX-License-Identifier: MIT */
/*
 * 00_why.c - the tour's opening: why temporary files exist, and why
 * creating one by hand is dangerous.
 *
 * First the need: a large input is processed line by line into a
 * temporary file instead of a growing array, then read back in chunks,
 * so memory holds one line and one chunk whatever the input's size.
 *
 * Then the dangers, shown safely inside a private directory of our own
 * that stands in for a shared /tmp: a predictable name (the process id)
 * is checked, an "attacker" plants a symbolic link under it between the
 * check and the open, and the naive open writes through the link into a
 * file it never meant to touch.  tf_mkstemp() creates with O_EXCL and
 * O_NOFOLLOW, so a planted name is refused, never followed: with every
 * possible name planted it gives up with EEXIST and the victim is intact.
 * Last, a naive file gets the umask's permissions (0644 under the common
 * umask 022: everyone may read it), ours gets 0600.
 *
 * On Windows, where a symbolic link needs a privilege, the attacker
 * plants a file of its own under the name and keeps it open: the naive
 * open writes into it, and the attacker reads the data back.  The
 * permissions there are an ACL, not mode bits (08_permissions shows it).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tour.h"

#define LINES 20000
#define CHUNK 4096

/* Replace the file at path with text (following nothing: O_NOFOLLOW). */
static void write_file(const char *path, const char *text) {
  size_t len = strlen(text);
  int flags = O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_BINARY;
  int fd = open(path, flags, 0600);
  check_sys(fd >= 0, path);
  check_sys(write(fd, text, len) == (ssize_t)len, "write");
  check_sys(close(fd) == 0, "close");
}

/* The attacker's move: plant something under path that the victim's
 * open will not refuse.  POSIX: a symbolic link to important.conf (-1
 * returned).  Windows: a file the attacker makes and keeps open (its fd
 * returned), into which whoever opens the name writes. */
static int plant(const char *path) {
#ifdef _WIN32
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_BINARY, 0666);
  check_sys(fd >= 0, "open");
  return fd;
#else
  check_sys(symlink("important.conf", path) == 0, "symlink");
  return -1;
#endif
}

#ifndef _WIN32
/* The permission bits of path, as ls -l shows them. */
static void show_mode(const char *label, const char *path) {
  static const char rwx[] = "rwxrwxrwx";
  struct stat st;
  char text[10];
  int i;
  check_sys(lstat(path, &st) == 0, "lstat");
  for (i = 0; i < 9; i++)
    text[i] = (st.st_mode & (0400 >> i)) ? rwx[i] : '-';
  text[9] = '\0';
  printf("%s: %s (%03o), others can read: %s\n", label, text,
         (unsigned)(st.st_mode & 0777),
         (st.st_mode & S_IROTH) ? "true" : "false");
}
#endif

/* Process a generated input through a temporary file. */
static void why_temp_files(void) {
  char line[128];
  char chunk[CHUNK];
  size_t got, chunks = 0, lines = 0, bytes = 0, i, j;
  tf_file *f;
  FILE *fp;

  puts("=== Why Temporary Files? ===");
  check(tf_file_create(&f, NULL), "tf_file_create");
  check(tf_file_stream(f, &fp), "tf_file_stream");
  for (i = 0; i < LINES; i++) {
    /* The "expensive processing" of one input line: upper-case it.  Only
     * this line is in memory; the results go to disk. */
    snprintf(line, sizeof(line), "row %zu of the input, value %zu\n", i,
             i * 7);
    for (j = 0; line[j] != '\0'; j++)
      line[j] = (char)toupper((unsigned char)line[j]);
    check_sys(fputs(line, fp) != EOF, "fputs");
  }
  printf("Processed %d lines into %s\n", LINES, tf_file_path(f));

  /* Back to the start, and read the results in chunks. */
  check_sys(fseek(fp, 0, SEEK_SET) == 0, "fseek");
  while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
    chunks++;
    bytes += got;
    for (j = 0; j < got; j++)
      lines += chunk[j] == '\n';
  }
  check_sys(!ferror(fp), "fread");
  printf("Read back %zu bytes, %zu lines, in %zu chunks of at most %d "
         "bytes\n", bytes, lines, chunks, CHUNK);
  printf("Memory held at any time: one line (%zu bytes) and one chunk "
         "(%d bytes)\n", sizeof(line), CHUNK);
  check(tf_file_free(f), "tf_file_free");
  if (lines != LINES)
    check(-EIO, "lines read back");
}

/* The check-then-open race, and how tf_mkstemp() closes it. */
static void race_condition(const char *shared) {
  char victim[4096], naive[4096], name[64], planted[4096];
  tf_opts opts = TF_OPTS_INIT;
  char *path, stolen[64];
  FILE *fp;
  int fd, i, attacker;
  ssize_t n;

  puts("\n=== The Race Condition Problem ===");
  printf("Stand-in for a shared temp dir: %s\n", shared);
  join(victim, sizeof(victim), shared, "important.conf");
  write_file(victim, "precious settings\n");
  show_file("Victim file before", victim);

  /* DANGEROUS: a name anyone can compute, checked, then opened. */
  snprintf(name, sizeof(name), "myapp_%ld.tmp", (long)getpid());
  join(naive, sizeof(naive), shared, name);
  printf("Naive name: %s, exists: %s\n", name, exists(naive));
  /* Between the check and the open, the attacker plants a link (on
   * Windows: a file of its own, kept open). */
  attacker = plant(naive);
  puts(attacker < 0
           ? "Attacker plants a symlink under that name -> important.conf"
           : "Attacker creates a file under that name and keeps it open");
  fp = fopen(naive, "w"); /* follows the link, or opens the attacker's */
  check_sys(fp != NULL, "fopen");
  check_sys(fputs("my private data\n", fp) != EOF, "fputs");
  check_sys(fclose(fp) == 0, "fclose");
  if (attacker < 0) {
    show_file("Victim file after the naive write", victim);
  } else {
    n = pread(attacker, stolen, sizeof(stolen) - 1, 0);
    check_sys(n >= 0 && close(attacker) == 0, "read");
    stolen[n] = '\0';
    print_repr("The attacker reads through its own fd", stolen);
  }
  check_sys(unlink(naive) == 0, "unlink");
  write_file(victim, "precious settings\n");

  /* The library's way: a random name, created with O_EXCL|O_NOFOLLOW.
   * With one random character there are 36 possible names; plant a link
   * (a file) under every one and every attempt is refused. */
  opts.dir = shared;
  opts.prefix = "myapp_";
  opts.suffix = ".tmp";
  opts.random_len = 1;
  for (i = 0; TF_ALPHABET[i] != '\0'; i++) {
    snprintf(name, sizeof(name), "myapp_%c.tmp", TF_ALPHABET[i]);
    join(planted, sizeof(planted), shared, name);
    attacker = plant(planted);
    check_sys(attacker < 0 || close(attacker) == 0, "close");
  }
  printf("Attacker plants a %s under all %d names myapp_?.tmp\n",
         TOUR_WINDOWS ? "file" : "symlink", i);
  fd = tf_mkstemp(&path, &opts);
  if (fd >= 0) {
    close(fd);
    check(-EINVAL, "tf_mkstemp followed a planted name");
  }
  printf("tf_mkstemp with 1 random character: %s (%s): every planted "
         "name refused, none %s\n", tf_err_name(fd), tf_strerror(fd),
         TOUR_WINDOWS ? "opened" : "followed");
  show_file("Victim file", victim);
  if (fd != -EEXIST)
    check(fd, "tf_mkstemp");

  /* With the default 12 characters there is nothing to plant. */
  opts.random_len = 0;
  fd = tf_mkstemp(&path, &opts);
  check(fd, "tf_mkstemp");
  printf("tf_mkstemp with %d random characters (36^%d names): %s\n",
         TF_RANDOM_LEN_DEFAULT, TF_RANDOM_LEN_DEFAULT, path);
  check_sys(write(fd, "my private data\n", 16) == 16, "write");
  check_sys(close(fd) == 0, "close");
  show_file("Victim file", victim);
  check_sys(unlink(path) == 0, "unlink");
  free(path);
  for (i = 0; TF_ALPHABET[i] != '\0'; i++) {
    snprintf(name, sizeof(name), "myapp_%c.tmp", TF_ALPHABET[i]);
    join(planted, sizeof(planted), shared, name);
    check_sys(unlink(planted) == 0, "unlink");
  }
  check_sys(unlink(victim) == 0, "unlink");
}

/* Guessable names and the umask's permissions, against ours. */
static void permissions(const char *shared) {
  tf_opts opts = TF_OPTS_INIT;
  char naive[4096], name[64];
#ifndef _WIN32
  mode_t old_umask = umask(022); /* the common umask */
#endif
  char *path;
  FILE *fp;
  int fd;

  puts("\n=== Permission and Predictability Issues ===");
  /* Problem 1: one of 1000 names; an attacker can make them all first. */
  snprintf(name, sizeof(name), "app_temp_%ld.txt",
           (long)(getpid() % 1000 + 1));
  join(naive, sizeof(naive), shared, name);
  printf("Naive name: %s, one of 1000 possible names\n", name);

  /* Problem 2: the default permissions, under the common umask 022. */
  fp = fopen(naive, "w");
  check_sys(fp != NULL, "fopen");
  check_sys(fputs("my private data\n", fp) != EOF, "fputs");
  check_sys(fclose(fp) == 0, "fclose");
#ifndef _WIN32
  show_mode("Naive file", naive);
#endif

  opts.dir = shared;
  opts.prefix = "app_temp_";
  opts.suffix = ".txt";
  fd = tf_mkstemp(&path, &opts);
#ifndef _WIN32
  umask(old_umask);
#endif
  check(fd, "tf_mkstemp");
  check_sys(write(fd, "my private data\n", 16) == 16, "write");
  check_sys(close(fd) == 0, "close");
  printf("libtempfile name: %s, one of 36^%d\n", base_name(path),
         TF_RANDOM_LEN_DEFAULT);
#ifdef _WIN32
  puts("Permissions: the naive file's ACL is its directory's; ours allows "
       "only its owner (08_permissions lists them)");
#else
  show_mode("libtempfile file", path);
#endif

  check_sys(unlink(naive) == 0 && unlink(path) == 0, "unlink");
  free(path);
}

int main(void) {
  char shared[4096];
  tf_dir *d;

  why_temp_files();

  /* Everything below happens in a private directory of our own. */
  check(tf_dir_create(&d, NULL), "tf_dir_create");
  snprintf(shared, sizeof(shared), "%s", tf_dir_path(d));
  race_condition(shared);
  permissions(shared);
  check(tf_dir_free(d), "tf_dir_free");
  printf("\nRemoved %s, exists: %s\n", shared, exists(shared));
  return 0;
}
