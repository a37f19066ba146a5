/* SPDX-License-Identifier: MIT */
/*
 * spool_fuzz.c - libFuzzer target: the input is a program for the spool
 * model (tests/spool_model.c), which does every step to a tf_spool and to
 * a plain file and aborts at the first difference.  Each input must also
 * leave no fd, no library allocation and no file behind.
 *
 * Build and run with `make fuzz` (clang); replay one input with
 * `build/fuzz/spool_fuzz FILE` (SPOOL_FUZZ_TRACE=1 prints every step).
 */
#include "fault.h"
#include "spool_model.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static char dir[PATH_MAX]; /* reference and rollover files */
static int trace;

static void remove_dir(void) { rmdir(dir); }

static void fail(const char *report) {
  fprintf(stderr, "%s\n", report);
  abort();
}

/* The lowest free fd: the same before and after, or an fd leaked. */
static int lowest_free_fd(void) {
  int fd = dup(0);
  if (fd >= 0)
    close(fd);
  return fd;
}

static int entries(void) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  while (d != NULL && (e = readdir(d)) != NULL)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  if (d != NULL)
    closedir(d);
  return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *base = getenv("TMPDIR");
  (void)argc, (void)argv;
  if (access("/dev/shm", W_OK) == 0)
    base = "/dev/shm"; /* a tmpfs: the reference costs no disk I/O */
  else if (base == NULL || base[0] == '\0')
    base = "/tmp";
  snprintf(dir, sizeof(dir), "%s/spool-fuzz-XXXXXX", base);
  if (mkdtemp(dir) == NULL) {
    perror(dir);
    exit(2);
  }
  atexit(remove_dir);
  trace = getenv("SPOOL_FUZZ_TRACE") != NULL;
  return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  struct spool_model_config cfg;
  char msg[64];
  int fd_before = lowest_free_fd(), fd_after;
  long allocs_before = tf__alloc_outstanding();
  memset(&cfg, 0, sizeof(cfg));
  cfg.dir = dir;
  cfg.max_ops = 3000;
  cfg.check_every = 16;
  cfg.trace = trace;
  cfg.on_fail = fail;
  if (spool_model_run(data, size, &cfg, NULL, msg, sizeof(msg)) != 0)
    fail(msg);
  fd_after = lowest_free_fd();
  if (fd_after != fd_before) {
    fprintf(stderr, "an fd leaked: the lowest free fd was %d, now %d\n",
            fd_before, fd_after);
    abort();
  }
  if (tf__alloc_outstanding() != allocs_before) {
    fprintf(stderr, "the library holds %ld more allocations\n",
            tf__alloc_outstanding() - allocs_before);
    abort();
  }
  if (entries() != 0) {
    fprintf(stderr, "files were left in %s\n", dir);
    abort();
  }
  return 0;
}
