/* SPDX-License-Identifier: MIT */
/*
 * 18_large_dataset.c - the tour's second application, a data set too
 * large for memory processed in chunks.  Records are generated one at a
 * time and gathered into a chunk of CHUNK_RECORDS; each full chunk is
 * written to its own file in a private tf_dir, so memory holds one chunk
 * however large the data set.  Then each chunk file is read back record
 * by record, every record transformed and appended to one result file,
 * a sample of which is read back.  The result file and the directory,
 * chunks and all, are removed when their handles end.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tour.h"

#define RECORDS 5000
#define CHUNK_RECORDS 1000
#define RECORD_MAX 64

/* Write the chunk (len bytes) to a new file "chunk_N.tmp" in the
 * directory of dir. */
static void write_chunk(const tf_dir *dir, int number, const char *chunk,
                        size_t len) {
  char name[32];
  int fd;
  snprintf(name, sizeof(name), "chunk_%d.tmp", number);
  fd = open_in(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW);
  check_sys(fd >= 0, name);
  check_sys(write(fd, chunk, len) == (ssize_t)len, "write");
  check_sys(close(fd) == 0, "close");
}

/* Transform every record of chunk file N into the result stream; returns
 * the number of records. */
static long process_chunk(const tf_dir *dir, int number, FILE *result) {
  char name[32], line[RECORD_MAX * 2];
  long count = 0;
  size_t i;
  FILE *in;
  int fd;
  snprintf(name, sizeof(name), "chunk_%d.tmp", number);
  fd = open_in(dir, name, O_RDONLY | O_NOFOLLOW);
  check_sys(fd >= 0, name);
  in = fdopen(fd, "r");
  check_sys(in != NULL, "fdopen");
  while (fgets(line, sizeof(line), in) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    for (i = 0; line[i] != '\0'; i++)
      line[i] = (char)toupper((unsigned char)line[i]);
    check_sys(fprintf(result, "%s,PROCESSED\n", line) > 0, "fprintf");
    count++;
  }
  check_sys(!ferror(in), "fgets");
  check_sys(fclose(in) == 0, "fclose");
  return count;
}

int main(void) {
  static char chunk[CHUNK_RECORDS * RECORD_MAX];
  tf_opts result_opts = TF_OPTS_INIT;
  char dir_path[4096], result_path[4096], line[RECORD_MAX * 2];
  size_t used = 0;
  long i, processed = 0, in_chunk = 0, total = 0;
  int chunks = 0, c, n;
  tf_file *result;
  tf_dir *dir;
  FILE *out;

  puts("=== Large Dataset Processing ===");
  check(tf_dir_create(&dir, NULL), "tf_dir_create");
  snprintf(dir_path, sizeof(dir_path), "%s", tf_dir_path(dir));
  printf("Chunk directory: %s\n", dir_path);

  /* Phase 1: split the generated records into chunk files. */
  for (i = 0; i < RECORDS; i++) {
    n = snprintf(chunk + used, sizeof(chunk) - used,
                 "record_%ld,value_%ld,category_%ld\n", i, i * 2, i % 10);
    check_sys(n > 0 && (size_t)n < sizeof(chunk) - used, "snprintf");
    used += (size_t)n;
    if (++in_chunk == CHUNK_RECORDS) {
      write_chunk(dir, chunks, chunk, used);
      printf("Wrote chunk %d: %ld records\n", chunks, in_chunk);
      total += in_chunk;
      chunks++;
      used = 0;
      in_chunk = 0;
    }
  }
  if (in_chunk > 0) { /* the remaining records */
    write_chunk(dir, chunks, chunk, used);
    printf("Wrote final chunk %d: %ld records\n", chunks, in_chunk);
    total += in_chunk;
    chunks++;
  }
  printf("Memory for records: one chunk of %zu bytes\n", sizeof(chunk));

  /* Phase 2: process each chunk into one result file. */
  result_opts.suffix = ".result";
  check(tf_file_create(&result, &result_opts), "tf_file_create");
  snprintf(result_path, sizeof(result_path), "%s", tf_file_path(result));
  check(tf_file_stream(result, &out), "tf_file_stream");
  for (c = 0; c < chunks; c++)
    processed += process_chunk(dir, c, out);
  check_sys(fflush(out) == 0, "fflush");
  printf("Processed %ld total records into %s\n", processed, result_path);
  if (processed != total || total != RECORDS)
    check(-EIO, "record count");

  /* Read back a sample of the results. */
  check_sys(fseek(out, 0, SEEK_SET) == 0, "fseek");
  puts("Sample processed results:");
  for (c = 0; c < 5 && fgets(line, sizeof(line), out) != NULL; c++)
    printf("  %d: %s", c, line);
  check_sys(!ferror(out), "fgets");

  check(tf_file_free(result), "tf_file_free");
  check(tf_dir_free(dir), "tf_dir_free");
  printf("Removed: result file exists %s, chunk directory exists %s\n",
         exists(result_path), exists(dir_path));
  return 0;
}
