/* SPDX-License-Identifier: MIT */
/*
 * tempdir.c - finding the temporary directory as Python's gettempdir()
 * does (environment, then fixed places, then the current directory; each
 * proven usable by writing a file in it), caching the answer for the
 * process, the override and reset (tempfile.tempdir), and the directory a
 * creating call uses.  Names and the retry loop are name.c's, paths
 * path.c's.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Guarded by tf__settings_lock (process.c, which holds it across fork).  tempdir holds the override or the
 * discovered directory; "" means "not known yet". */
static char tempdir[PATH_MAX];

static const char *const fixed_candidates[] = {"/tmp", "/var/tmp", "/usr/tmp"};
static const char *const env_candidates[] = {"TMPDIR", "TEMP", "TMP"};

int tf__candidate_tempdirs(struct tf__candidates *c) {
  char cwd[PATH_MAX];
  size_t i;
  c->count = 0;
  for (i = 0; i < sizeof(env_candidates) / sizeof(env_candidates[0]); i++) {
    const char *v = tf__getenv(env_candidates[i]);
    if (v != NULL && v[0] != '\0') {
      c->dirs[c->count] = tf__strndup(v, strlen(v));
      if (c->dirs[c->count] == NULL)
        goto fail;
      c->count++;
    }
  }
  for (i = 0; i < sizeof(fixed_candidates) / sizeof(fixed_candidates[0]);
       i++) {
    c->dirs[c->count] = tf__strndup(fixed_candidates[i],
                                    strlen(fixed_candidates[i]));
    if (c->dirs[c->count] == NULL)
      goto fail;
    c->count++;
  }
  /* The last resort is the current directory, if it can be named. */
  if (tf__sys.getcwd(cwd, sizeof(cwd)) == 0) {
    c->dirs[c->count] = tf__strndup(cwd, strlen(cwd));
    if (c->dirs[c->count] == NULL)
      goto fail;
    c->count++;
  }
  return 0;
fail:
  tf__candidates_free(c);
  return -ENOMEM;
}

void tf__candidates_free(struct tf__candidates *c) {
  while (c->count > 0)
    tf__freemem(c->dirs[--c->count]);
}

/* Candidate i of the discovery (the environment, the fixed places, then
 * the current directory, named only when it comes to that), absolute, in
 * out: its length, 0 past the last, -1 for one to pass over. */
int tf__tempdir_candidate(size_t i, char *out, size_t size) {
  size_t nenv = sizeof(env_candidates) / sizeof(env_candidates[0]);
  size_t nfixed = sizeof(fixed_candidates) / sizeof(fixed_candidates[0]);
  const char *dir;
  char cwd[PATH_MAX];
  int len;
  if (i < nenv) {
    dir = tf__getenv(env_candidates[i]);
    if (dir == NULL || dir[0] == '\0')
      return -1;
  } else if (i < nenv + nfixed) {
    dir = fixed_candidates[i - nenv];
  } else if (i == nenv + nfixed) {
    if (tf__sys.getcwd(cwd, sizeof(cwd)) != 0)
      return -1;
    dir = cwd;
  } else {
    return 0;
  }
  len = tf__abspath(dir, out, size);
  return len > 0 ? len : -1;
}

/* What the probe writes, and whether fd takes it (then emptied again). */
int tf__tempdir_takes_data(int fd) {
  static const char blat[] = "blat";
  if (tf__sys.pwrite(fd, blat, sizeof(blat) - 1, 0) != sizeof(blat) - 1 ||
      tf__sys.ftruncate(fd, 0) != 0)
    return -errno;
  return 0;
}

/* Prove dir usable: create a file with a fresh name, write to it, remove
 * it.  Whatever fails, the file is removed.  Returns 0 or -errno. */
static int probe(const char *dir) {
  static const char blat[] = "blat";
  struct tf__name n;
  char path[PATH_MAX];
  size_t head;
  int fd, rc;
  tf_opts o = TF_OPTS_INIT;

  o.prefix = "";
  rc = tf__name_init(&n, &o);
  if (rc < 0)
    return rc;
  head = tf__head_len(dir, strlen(dir));
  if (head + tf__name_len(&n) + 1 > sizeof(path))
    return -ENAMETOOLONG;
  tf__write_head(path, dir, strlen(dir));
  fd = tf__create_in(AT_FDCWD, path, path + head, &n, TF_KIND_FILE, 0, 0600);
  if (fd < 0)
    return fd;
  rc = tf__write_all(fd, blat, sizeof(blat) - 1);
  if (tf__sys.close(fd) != 0 && rc == 0)
    rc = -errno;
  if (tf__sys.unlinkat(AT_FDCWD, path, 0) != 0 && rc == 0)
    rc = -errno;
  return rc;
}

/* Run the discovery; write the first usable directory to out. */
static int discover(char *out, size_t size) {
  size_t i;
  for (i = 0;; i++) {
    int len = tf__tempdir_candidate(i, out, size);
    if (len == 0)
      return -ENOENT;
    if (len > 0 && probe(out) == 0)
      return len;
  }
}

/* Copy the known temporary directory to out; 0 if none is known yet.
 * Called with tf__settings_lock held. */
static int copy_locked(char *out, size_t size) {
  size_t len = strlen(tempdir);
  if (len == 0)
    return 0;
  if (len + 1 > size)
    return -ERANGE;
  memcpy(out, tempdir, len + 1);
  return (int)len;
}

static int copy_known(char *out, size_t size) {
  int rc;
  pthread_mutex_lock(&tf__settings_lock);
  rc = copy_locked(out, size);
  pthread_mutex_unlock(&tf__settings_lock);
  return rc;
}

int tf__tempdir_known(char *buf, size_t size) {
  tf__lib_init();
  return copy_known(buf, size);
}

void tf__tempdir_found(const char *dir, size_t len) {
  pthread_mutex_lock(&tf__settings_lock);
  if (tempdir[0] == '\0' && len < sizeof(tempdir)) {
    memcpy(tempdir, dir, len);
    tempdir[len] = '\0';
  }
  pthread_mutex_unlock(&tf__settings_lock);
}

int tf_gettempdir(char *buf, size_t size) {
  char found[PATH_MAX];
  int rc;
  if (buf == NULL)
    return -EINVAL;
  tf__lib_init();
  rc = copy_known(buf, size);
  if (rc != 0)
    return rc;
  /* Discover without the lock (it writes files); the first thread to
   * finish sets the answer, which every later call returns. */
  rc = discover(found, sizeof(found));
  if (rc < 0)
    return rc;
  pthread_mutex_lock(&tf__settings_lock);
  if (tempdir[0] == '\0')
    memcpy(tempdir, found, (size_t)rc + 1);
  rc = copy_locked(buf, size);
  pthread_mutex_unlock(&tf__settings_lock);
  return rc;
}

int tf_settempdir(const char *dir) {
  char abs[PATH_MAX], old[PATH_MAX];
  if (dir != NULL) {
    int rc;
    if (dir[0] == '\0')
      return -EINVAL;
    rc = tf__abspath(dir, abs, sizeof(abs));
    if (rc < 0)
      return rc;
  }
  tf__lib_init();
  pthread_mutex_lock(&tf__settings_lock);
  memcpy(old, tempdir, strlen(tempdir) + 1);
  if (dir != NULL)
    memcpy(tempdir, abs, strlen(abs) + 1);
  else
    tempdir[0] = '\0';
  pthread_mutex_unlock(&tf__settings_lock);
  /* Its directory is looked up anew, even under the same path: handles
   * made by default use its anchor unchecked (anchor.c).  Outside the
   * settings lock, which fork() takes after the anchors' (process.c). */
  tf__anchor_forget_path(old, strlen(old));
  if (dir != NULL)
    tf__anchor_forget_path(abs, strlen(abs));
  return 0;
}

int tf__resolve_dir(const tf_opts *o, char *buf, size_t size,
                    const char **dir) {
  *dir = buf;
  if (o != NULL && o->dir != NULL) {
    if (o->dir[0] == '/') { /* used as given: no copy */
      size_t len = strlen(o->dir);
      while (len > 1 && o->dir[len - 1] == '/')
        len--;
      if (len >= PATH_MAX)
        return -ENAMETOOLONG;
      *dir = o->dir;
      return (int)len;
    }
    return tf__abspath(o->dir, buf, size);
  }
  return tf_gettempdir(buf, size);
}
