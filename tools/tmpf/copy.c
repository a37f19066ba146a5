/* SPDX-License-Identifier: MIT */
/*
 * copy.c - moving bytes between fds: copy_file_range between files (no
 * copy through user space; a reflink where the file system can), else
 * read/write with a 1 MiB buffer, optionally starting the disk's work
 * as the data comes (write-behind), so a final fsync has little left.
 * Not splice: from a pipe into an ext4 file it took twice the time of
 * read/write here (sponge-1g).  Errors say which side failed, so
 * messages can name it.  (tmpf_write_all repeats a loop the library has
 * internally: tmpf may use the public API only.)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "tmpf.h"

#define CHUNK ((size_t)1 << 20)
#define WRITEBACK_STEP ((off_t)8 << 20)

int tmpf_write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Start the disk writing the bytes of out from *kicked to its offset,
 * without waiting, once there are WRITEBACK_STEP of them. */
static void write_behind(int out, off_t *kicked) {
#if TF_HAVE_SYNC_FILE_RANGE
  off_t now = lseek(out, 0, SEEK_CUR);
  if (now < 0 || now - *kicked < WRITEBACK_STEP)
    return;
  (void)sync_file_range(out, *kicked, now - *kicked, SYNC_FILE_RANGE_WRITE);
  *kicked = now;
#else
  (void)out, (void)kicked; /* the final fsync does it all */
#endif
}

void *tmpf_buffer(size_t size) {
#ifdef _WIN32
  return malloc(size); /* no posix_memalign; free() must release it */
#else
  void *p = NULL;
  return posix_memalign(&p, 4096, size) == 0 ? p : NULL;
#endif
}

/* read/write, the fallback that always works and tells the sides apart. */
static int copy_through(int in, int out, unsigned flags, char *buf,
                        int64_t *copied, int *side) {
  off_t kicked = 0;
  for (;;) {
    ssize_t r = read(in, buf, CHUNK);
    int rc;
    if (r == 0)
      return 0;
    if (r < 0) {
      if (errno == EINTR)
        continue;
      *side = TMPF_SIDE_IN;
      return -errno;
    }
    rc = tmpf_write_all(out, buf, (size_t)r);
    if (rc < 0) {
      *side = TMPF_SIDE_OUT;
      return rc;
    }
    *copied += r;
    if (flags & TMPF_COPY_WRITE_BEHIND)
      write_behind(out, &kicked);
  }
}

static int copy_plain(int in, int out, unsigned flags, int64_t *copied,
                      int *side) {
  char *buf = tmpf_buffer(CHUNK);
  int rc;
  if (buf == NULL) {
    *side = TMPF_SIDE_OUT;
    return -ENOMEM;
  }
  rc = copy_through(in, out, flags, buf, copied, side);
  free(buf);
  return rc;
}

/* copy_file_range until end of input.  Returns 0 at the end, 1 if it
 * does not apply to these fds (before any byte moved), or -errno (the
 * side unknown). */
static int copy_in_kernel(int in, int out, int64_t *copied) {
#if TF_HAVE_COPY_FILE_RANGE
  int64_t start = *copied;
  for (;;) {
    ssize_t n = copy_file_range(in, NULL, out, NULL, CHUNK, 0);
    if (n == 0)
      return 0;
    if (n > 0) {
      *copied += n;
      continue;
    }
    if (errno == EINTR)
      continue;
    if (*copied == start && (errno == EINVAL || errno == ENOSYS ||
                             errno == EXDEV || errno == EOPNOTSUPP ||
                             errno == EBADF || errno == ESPIPE))
      return 1;
    return -errno;
  }
#else
  (void)in, (void)out, (void)copied;
  return 1;
#endif
}

int tmpf_copy_fd(int in, int out, unsigned flags, int64_t *copied,
                 int *side) {
  int rc;
  *side = TMPF_SIDE_IN;
  rc = copy_in_kernel(in, out, copied);
  if (rc == 0)
    return 0;
  /* Not applicable, or failed: read/write the rest, which either gets
   * past a passing failure or meets it again and can name its side. */
  return copy_plain(in, out, flags, copied, side);
}
