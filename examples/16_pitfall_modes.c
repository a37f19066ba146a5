/* SPDX-License-Identifier: MIT */
/*
 * 16_pitfall_modes.c - the tour's third pitfall, text and binary modes.
 *
 * Python has two kinds of file, str and bytes; C on POSIX has one: a file
 * holds bytes, and "b" in an fopen() mode changes nothing.  So UTF-8 text,
 * "\r\n" and NUL bytes come back exactly as written, through the fd and
 * through a FILE * stream alike.  C's own version of the confusion is
 * treating bytes as a string: fputs() and strlen() stop at the first NUL
 * and silently drop the rest, where fwrite() with a length does not.
 *
 * On Windows "b" matters: a stream opened without it is in text mode,
 * which turns "\r\n" into "\n" when reading (and "\n" into "\r\n" when
 * writing), and the same bytes come back only with "rb".  The library's
 * fds and streams are binary.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tour.h"

/* "Hello, " + "world" in Chinese + "! " + the globe emoji, in UTF-8, then
 * a CR LF line end, a NUL byte and one more byte. */
static const char data[] =
    "Hello, \xe4\xb8\x96\xe7\x95\x8c! \xf0\x9f\x8c\x8d\r\n\0end";
#define DATA_LEN (sizeof(data) - 1) /* the bytes, without the final NUL */

/* Print n bytes as Python's repr() of bytes shows them. */
static void print_bytes(const char *label, const char *buf, size_t n) {
  size_t i;
  printf("%s (%zu bytes): b'", label, n);
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)buf[i];
    if (c == '\r')
      fputs("\\r", stdout);
    else if (c == '\n')
      fputs("\\n", stdout);
    else if (c == '\'' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20 || c >= 0x7f)
      printf("\\x%02x", c);
    else
      putchar(c);
  }
  puts("'");
}

static const char *same(const char *buf, size_t n) {
  return n == DATA_LEN && memcmp(buf, data, n) == 0 ? "true" : "false";
}

int main(void) {
  static const char *const modes[] = {"r", "rb"};
  tf_opts opts = TF_OPTS_INIT;
  char buf[64];
  ssize_t n;
  size_t got;
  int i;
  tf_file *f;
  FILE *fp;
  int fd, ok;

  puts("=== Binary vs Text Mode Pitfall ===");
  printf("Text: %.*s\n", (int)strcspn(data, "\r"), data);
  print_bytes("Bytes written", data, DATA_LEN);

  /* Through the fd: write(), then pread() from the start.  The file is
   * deleted at tf_file_free(), so it can be reopened by its name while
   * it is open (on Windows the default handle, which deletes the file
   * when it closes, shares it with no such open). */
  opts.flags = TF_DELETE_ON_FREE;
  check(tf_file_create(&f, &opts), "tf_file_create");
  fd = tf_file_fd(f);
  check_sys(write(fd, data, DATA_LEN) == (ssize_t)DATA_LEN, "write");
  n = pread(fd, buf, sizeof(buf), 0);
  check_sys(n >= 0, "pread");
  print_bytes("Read back through the fd", buf, (size_t)n);
  ok = strcmp(same(buf, (size_t)n), "true") == 0;
  printf("Identical: %s\n", same(buf, (size_t)n));

  /* Through a stream: fwrite() and fread() move the same bytes. */
  check_sys(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0,
            "ftruncate");
  check(tf_file_stream(f, &fp), "tf_file_stream");
  check_sys(fwrite(data, 1, DATA_LEN, fp) == DATA_LEN, "fwrite");
  check_sys(fseek(fp, 0, SEEK_SET) == 0, "fseek");
  got = fread(buf, 1, sizeof(buf), fp);
  check_sys(!ferror(fp), "fread");
  print_bytes("Read back through a FILE *", buf, got);
  ok = ok && strcmp(same(buf, got), "true") == 0;
  printf("Identical: %s\n", same(buf, got));

  /* "r" and "rb" open the same bytes on POSIX; on Windows only "rb". */
  for (i = 0; i < 2; i++) {
    fp = fopen(tf_file_path(f), modes[i]);
    check_sys(fp != NULL, "fopen");
    got = fread(buf, 1, sizeof(buf), fp);
    check_sys(!ferror(fp) && fclose(fp) == 0, "fread");
    printf("Reopened with mode \"%s\": identical: %s\n", modes[i],
           same(buf, got));
    if (TOUR_WINDOWS && i == 0)
      print_bytes("  text mode read", buf, got);
    else
      ok = ok && strcmp(same(buf, got), "true") == 0;
  }

  /* The C mistake: string functions on binary data. */
  check_sys(ftruncate(fd, 0) == 0, "ftruncate");
  check(tf_file_stream(f, &fp), "tf_file_stream");
  check_sys(fseek(fp, 0, SEEK_SET) == 0, "fseek");
  check_sys(fputs(data, fp) != EOF && fflush(fp) == 0, "fputs");
  n = pread(fd, buf, sizeof(buf), 0);
  check_sys(n >= 0, "pread");
  printf("Mode error, C style: fputs() wrote %zd of %zu bytes, everything "
         "from the NUL on is lost\n", n, DATA_LEN);

  check(tf_file_free(f), "tf_file_free");
  puts("Temporary file removed");
  if (!ok)
    check(-EIO, "bytes read back differ");
  return 0;
}
