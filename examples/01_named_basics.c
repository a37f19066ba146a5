/* SPDX-License-Identifier: MIT */
/*
 * 01_named_basics.c - the tour's first stop, NamedTemporaryFile basics:
 * create a named temporary file, write through its stdio stream, seek
 * back and read what was written, see that the file exists while the
 * handle is open and is gone once it is closed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tour.h"

int main(void) {
  tf_file *f;
  FILE *fp;
  char content[256];
  size_t got;

  puts("=== NamedTemporaryFile Basics ===");
  check(tf_file_create(&f, NULL), "tf_file_create");
  printf("Temporary file created: %s\n", tf_file_path(f));
  printf("File descriptor: %d\n", tf_file_fd(f));

  check(tf_file_stream(f, &fp), "tf_file_stream");
  check_sys(fputs("Hello, temporary world!\n", fp) != EOF, "fputs");
  check_sys(fputs("This will be automatically cleaned up.\n", fp) != EOF,
            "fputs");

  check_sys(fseek(fp, 0, SEEK_SET) == 0, "fseek"); /* back to the start */
  got = fread(content, 1, sizeof(content) - 1, fp);
  check_sys(!ferror(fp), "fread");
  content[got] = '\0';
  print_repr("Content read back", content);

  printf("File exists: %s\n", exists(tf_file_path(f)));
  /* The default policy deletes the file when the handle is closed. */
  check(tf_file_close(f), "tf_file_close");
  printf("File exists after close: %s\n", exists(tf_file_path(f)));
  check(tf_file_free(f), "tf_file_free");
  return 0;
}
