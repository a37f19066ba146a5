/* SPDX-License-Identifier: MIT */
/*
 * absent_spool_win.c - spooled files and pools, which part 2 of the Windows port brings.
 * Until then each returns -ENOSYS, as tempfile(3) documents; the calls
 * that end a handle accept NULL as everywhere (no handle can exist) and
 * return 0.
 */
#include "win.h"

int tf_spool_create(tf_spool **out, size_t max_size, const tf_opts *opts) {
  (void)out;
  (void)max_size;
  (void)opts;
  return -ENOSYS;
}

ssize_t tf_spool_write(tf_spool *s, const void *buf, size_t n) {
  (void)s;
  (void)buf;
  (void)n;
  return -ENOSYS;
}

ssize_t tf_spool_read(tf_spool *s, void *buf, size_t n) {
  (void)s;
  (void)buf;
  (void)n;
  return -ENOSYS;
}

int64_t tf_spool_seek(tf_spool *s, int64_t offset, int whence) {
  (void)s;
  (void)offset;
  (void)whence;
  return -ENOSYS;
}

int64_t tf_spool_tell(tf_spool *s) {
  (void)s;
  return -ENOSYS;
}

int64_t tf_spool_truncate(tf_spool *s, int64_t size) {
  (void)s;
  (void)size;
  return -ENOSYS;
}

int tf_spool_flush(tf_spool *s) {
  (void)s;
  return -ENOSYS;
}

int64_t tf_spool_size(tf_spool *s) {
  (void)s;
  return -ENOSYS;
}

int tf_spool_rolled(const tf_spool *s) {
  (void)s;
  return -ENOSYS;
}

int tf_spool_rollover(tf_spool *s) {
  (void)s;
  return -ENOSYS;
}

int tf_spool_fd(tf_spool *s) {
  (void)s;
  return -ENOSYS;
}

int tf_spool_stream(tf_spool *s, FILE **out) {
  (void)s;
  (void)out;
  return -ENOSYS;
}

int tf_spool_close(tf_spool *s) { return s == NULL ? 0 : -ENOSYS; }

int tf_spool_free(tf_spool *s) { return s == NULL ? 0 : -ENOSYS; }

int tf_pool_create(tf_pool **out, size_t capacity, const tf_opts *opts) {
  (void)out;
  (void)capacity;
  (void)opts;
  return -ENOSYS;
}

int tf_pool_acquire(tf_pool *p) {
  (void)p;
  return -ENOSYS;
}

int tf_pool_release(tf_pool *p, int fd) {
  (void)p;
  (void)fd;
  return -ENOSYS;
}

const char *tf_pool_path(const tf_pool *p, int fd) {
  (void)p;
  (void)fd;
  return NULL;
}

size_t tf_pool_idle(const tf_pool *p) {
  (void)p;
  return 0;
}

int tf_pool_free(tf_pool *p) { return p == NULL ? 0 : -ENOSYS; }

void tf_pool_freep(tf_pool **p) {
  if (p != NULL)
    *p = NULL;
}

