/* SPDX-License-Identifier: MIT */
/*
 * error.c - names and messages for the negative errnos the library
 * returns.  The text is our own (strerror() is not thread-safe
 * everywhere and differs between libcs), from one X-macro table.
 */
#include "core.h"

#define TF_ERRORS(X)                                                      \
  X(EPERM, "operation not permitted")                                     \
  X(ENOENT, "no such file or directory")                                  \
  X(EINTR, "interrupted system call")                                     \
  X(EIO, "input/output error")                                            \
  X(ENXIO, "no such device or address")                                   \
  X(EBADF, "bad file descriptor")                                         \
  X(EAGAIN, "resource temporarily unavailable")                           \
  X(ENOMEM, "out of memory")                                              \
  X(EACCES, "permission denied")                                          \
  X(EFAULT, "bad address")                                                \
  X(EBUSY, "resource busy")                                               \
  X(EEXIST, "file exists")                                                \
  X(EXDEV, "cross-device link (target on another file system)")           \
  X(ENODEV, "no such device")                                             \
  X(ENOTDIR, "not a directory")                                           \
  X(EISDIR, "is a directory")                                             \
  X(EINVAL, "invalid argument")                                           \
  X(ENFILE, "too many open files in system")                              \
  X(EMFILE, "too many open files")                                        \
  X(ETXTBSY, "text file busy")                                            \
  X(EFBIG, "file too large")                                              \
  X(ENOSPC, "no space left on device")                                    \
  X(ESPIPE, "illegal seek")                                               \
  X(EROFS, "read-only file system")                                       \
  X(EMLINK, "too many links")                                             \
  X(EPIPE, "broken pipe")                                                 \
  X(ERANGE, "result too large for the buffer")                            \
  X(ENAMETOOLONG, "file name too long")                                   \
  X(ENOSYS, "function not implemented")                                   \
  X(ENOTEMPTY, "directory not empty")                                     \
  X(ELOOP, "too many levels of symbolic links")                           \
  X(EOPNOTSUPP, "operation not supported")                                \
  X(EOVERFLOW, "value too large")                                         \
  X(EDQUOT, "disk quota exceeded")                                        \
  X(ESTALE, "stale file handle")                                          \
  X(ECANCELED, "operation canceled")                                      \
  X(ETIMEDOUT, "timed out")

struct error_entry {
  int code;
  const char *name;
  const char *message;
};

static const struct error_entry errors[] = {
#define TF_ERROR_ENTRY(code, message) {code, #code, message},
    TF_ERRORS(TF_ERROR_ENTRY)
#undef TF_ERROR_ENTRY
};

static const struct error_entry *find(int err) {
  size_t i;
  if (err == INT_MIN)
    return NULL;
  if (err < 0)
    err = -err;
  for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
    if (errors[i].code == err)
      return &errors[i];
  return NULL;
}

const char *tf_strerror(int err) {
  const struct error_entry *e;
  if (err == 0)
    return "success";
  e = find(err);
  return e ? e->message : "unknown error";
}

const char *tf_err_name(int err) {
  const struct error_entry *e;
  if (err == 0)
    return "OK";
  e = find(err);
  return e ? e->name : "UNKNOWN";
}

unsigned int tf_version(void) { return TF_VERSION_HEX; }

const char *tf_version_string(void) { return TF_VERSION_STRING; }
