/* SPDX-License-Identifier: MIT */
/*
 * scenario.c - the scenarios: each replaces (or publishes) one file,
 * "target", in a fresh directory, while the recorder traces it; then the
 * recording is checked against the directory the scenario really left,
 * and its crash states are explored under each model against the
 * promise of the man page that documents the call.
 */
#include "scenario.h"

#include "recorder.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tempfile.h>

#define OLD_SIZE 9000
#define NEW_SIZE 20000 /* five blocks */
#define CHUNKS 7
#define TARGET "target"

/* ---------------------------------------------------------- the matrix */

static struct crash_scenario table[256];
static size_t ntable;

static const char *api_name(enum crash_api a) {
  static const char *const names[] = {"tf_write_file", "tf_atomic_write",
                                      "tf_atomic_stream", "tf_file_publish",
                                      "tmpf sponge"};
  return names[a];
}

static const char *level_name(unsigned int flags) {
  unsigned int level = flags & (TF_SYNC_NONE | TF_SYNC_DURABLE | TF_SYNC_ONLY_EXISTING);
  switch (level) {
  case TF_SYNC_NONE: return "SYNC_NONE";
  case TF_SYNC_DURABLE: return "DURABLE";
  case TF_SYNC_ONLY_EXISTING: return "ONLY_EXISTING";
  case TF_SYNC_ONLY_EXISTING | TF_SYNC_DURABLE: return "ONLY_EXISTING|DURABLE";
  default: return "default";
  }
}

static const char *target_name(enum crash_target t) {
  static const char *const names[] = {"new", "existing", "empty", "set-ID"};
  return names[t];
}

const char *crash_promise_name(enum crash_promise p) {
  switch (p) {
  case PROMISE_OLD_OR_NEW: return "old or new";
  case PROMISE_DURABLE: return "old or new, new once returned";
  case PROMISE_PART: return "old, or empty or part of new";
  default: return "old only";
  }
}

/* tf_atomic(3), Options: the level's promise for this target. */
static enum crash_promise atomic_promise(unsigned int flags, enum crash_target t) {
  int old_data = t == TARGET_PRESENT || t == TARGET_SETID, synced;
  if ((flags & TF_NOCLOBBER) && t != TARGET_ABSENT)
    return PROMISE_OLD; /* EEXIST */
  synced = !(flags & TF_SYNC_NONE) && (!(flags & TF_SYNC_ONLY_EXISTING) || old_data);
  if (!synced)
    return PROMISE_PART;
  return (flags & TF_SYNC_DURABLE) ? PROMISE_DURABLE : PROMISE_OLD_OR_NEW;
}

static struct crash_scenario *add(enum crash_api api, unsigned int flags, int named,
                                  enum crash_target t, enum crash_promise promise) {
  struct crash_scenario *s = &table[ntable++];
  memset(s, 0, sizeof(*s));
  s->api = api;
  s->flags = flags;
  s->named = named;
  s->target = t;
  s->promise = promise;
  return s;
}

static struct crash_scenario *add_atomic(enum crash_api api, unsigned int flags,
                                         int named, enum crash_target t) {
  return add(api, flags, named, t, atomic_promise(flags, t));
}

static void label(struct crash_scenario *s) {
  const char *extra = s->no_renameat2     ? ", no renameat2"
                      : s->publish_closed ? ", closed"
                                          : "";
  if (s->api == API_PUBLISH)
    snprintf(s->label, sizeof(s->label), "%s %s%s%s, %s%s", api_name(s->api),
             s->publish_sync == 0   ? "unsynced"
             : s->publish_sync == 1 ? "after fsync"
                                    : "fsync + dir fsync",
             (s->flags & TF_NOCLOBBER) ? " NOCLOBBER" : "",
             s->publish_mode ? " mode by publish" : "", target_name(s->target), extra);
  else if (s->api == API_SPONGE)
    snprintf(s->label, sizeof(s->label), "%s %s, %s, %s", api_name(s->api),
             s->sponge_option ? s->sponge_option : "(default)",
             s->named ? "named" : "O_TMPFILE", target_name(s->target));
  else
    snprintf(s->label, sizeof(s->label), "%s %s%s%s, %s, %s%s", api_name(s->api),
             level_name(s->flags), (s->flags & TF_NOCLOBBER) ? " NOCLOBBER" : "",
             (s->flags & TF_MUST_EXIST) ? " MUST_EXIST" : "",
             s->named ? "named" : "O_TMPFILE", target_name(s->target), extra);
}

static void build_table(void) {
  static const unsigned int levels[] = {
      TF_SYNC_NONE, 0, TF_SYNC_DURABLE, TF_SYNC_ONLY_EXISTING,
      TF_SYNC_ONLY_EXISTING | TF_SYNC_DURABLE};
  static const enum crash_api apis[] = {API_WRITE_FILE, API_ATOMIC, API_ATOMIC_STREAM};
  static const char *const sponge_options[] = {NULL, "--durable", "--no-sync"};
  struct crash_scenario *s;
  size_t a, l, i;
  int named, t, ex, sync;
  /* tf_atomic(3): every level, both paths, a target or none, replacing
   * or not; the handle calls and the stream as well as the one-shot */
  for (a = 0; a < 3; a++)
    for (l = 0; l < 5; l++)
      for (named = 0; named < 2; named++) {
        for (t = TARGET_ABSENT; t <= TARGET_PRESENT; t++)
          for (ex = 0; ex < (a == 2 ? 1 : 2); ex++)
            add_atomic(apis[a], levels[l] | (ex ? TF_NOCLOBBER : 0), named,
                       (enum crash_target)t);
        if (a == 2)
          continue;
        add_atomic(apis[a], levels[l] | TF_MUST_EXIST, named, TARGET_PRESENT);
        if (levels[l] & TF_SYNC_ONLY_EXISTING) {
          add_atomic(apis[a], levels[l], named, TARGET_EMPTY);
          add_atomic(apis[a], levels[l] | TF_MUST_EXIST, named, TARGET_EMPTY);
        }
        if (a == 0 && (levels[l] == 0 || levels[l] == TF_SYNC_DURABLE)) {
          /* the set-ID bit put back after the last write */
          add_atomic(apis[a], levels[l], named, TARGET_SETID);
          /* without renameat2: linkat + unlinkat for NOCLOBBER, a check
           * and a rename for MUST_EXIST */
          add_atomic(apis[a], levels[l] | TF_NOCLOBBER, named, TARGET_ABSENT)
              ->no_renameat2 = 1;
          add_atomic(apis[a], levels[l] | TF_NOCLOBBER, named, TARGET_PRESENT)
              ->no_renameat2 = 1;
          add_atomic(apis[a], levels[l] | TF_MUST_EXIST, named, TARGET_PRESENT)
              ->no_renameat2 = 1;
        }
      }
  /* tf_file_create(3): publishing does not sync; the caller's fchmod
   * and fsync of the file (and fsync of the directory) give the
   * promises, as the page's example makes them */
  for (t = TARGET_ABSENT; t <= TARGET_PRESENT; t++) {
    static const enum crash_promise by_sync[] = {PROMISE_PART, PROMISE_OLD_OR_NEW,
                                                 PROMISE_DURABLE};
    for (sync = 0; sync < 3; sync++)
      add(API_PUBLISH, 0, 1, (enum crash_target)t, by_sync[sync])->publish_sync = sync;
    for (ex = 0; ex < 2; ex++) {
      s = add(API_PUBLISH, TF_NOCLOBBER, 1, (enum crash_target)t,
              t == TARGET_ABSENT ? PROMISE_OLD_OR_NEW : PROMISE_OLD);
      s->publish_sync = 1;
      s->no_renameat2 = ex;
    }
    /* the mode given to publish: the page promises the contents, and
     * the mode given or the temporary file's 0600 */
    for (ex = 0; ex < 2; ex++) {
      s = add(API_PUBLISH, 0, 1, (enum crash_target)t, PROMISE_OLD_OR_NEW);
      s->publish_sync = 1;
      s->publish_mode = 0644;
      s->publish_closed = ex; /* by name then (fchmodat) */
    }
  }
  /* tmpf(1): sponge */
  for (named = 0; named < 2; named++)
    for (t = TARGET_ABSENT; t <= TARGET_PRESENT; t++)
      for (i = 0; i < 3; i++) {
        s = add(API_SPONGE, 0, named, (enum crash_target)t,
                i == 0 ? PROMISE_OLD_OR_NEW : i == 1 ? PROMISE_DURABLE : PROMISE_PART);
        s->sponge_option = sponge_options[i];
      }
  for (i = 0; i < ntable; i++)
    label(&table[i]);
}

const struct crash_scenario *crash_scenarios(size_t *count) {
  if (ntable == 0)
    build_table();
  *count = ntable;
  return table;
}

/* ---------------------------------------------------------- the contents */

static unsigned char old_data[OLD_SIZE], new_data[NEW_SIZE];

/* Old and new differ at every offset, and neither has a zero byte, so a
 * hole or a lost block can never pass for either. */
static void fill_contents(void) {
  size_t i;
  for (i = 0; i < OLD_SIZE; i++)
    old_data[i] = (unsigned char)('a' + (i * 7 + i / 26) % 26);
  for (i = 0; i < NEW_SIZE; i++)
    new_data[i] = (unsigned char)('A' + (i * 11 + i / 26) % 26);
}

/* -------------------------------------------------------- the invariant */

struct expect {
  const struct crash_scenario *s;
  unsigned long root;
  int hidden_only;  /* names beside the target: hidden siblings only */
  int no_leftovers; /* an unnamed file linked as the target: none */
  int old_present;
  unsigned int old_mode, old_uid, old_gid;
  int64_t old_size;
  unsigned int new_mode, new_uid, new_gid;
};

static int is_old(const struct expect *e, const struct crash_inode *in) {
  return in->size == e->old_size &&
         memcmp(in->data, old_data, (size_t)e->old_size) == 0 &&
         in->mode == e->old_mode && in->uid == e->old_uid && in->gid == e->old_gid;
}

/* The new contents with the mode, owner and group the page gives them
 * (a mode given to publish: that or the temporary file's 0600). */
static int is_new(const struct expect *e, const struct crash_inode *in) {
  return in->size == NEW_SIZE && memcmp(in->data, new_data, NEW_SIZE) == 0 &&
         (in->mode == e->new_mode || (e->s->publish_mode != 0 && in->mode == 0600)) &&
         in->uid == e->new_uid && in->gid == e->new_gid;
}

/* Empty or part of the new contents: no longer than it, each byte the
 * new one or a hole's zero.  (Its mode is not promised.) */
static int is_part_of_new(const struct crash_inode *in) {
  int64_t i;
  if (in->size > NEW_SIZE)
    return 0;
  for (i = 0; i < in->size; i++)
    if (in->data[i] != 0 && in->data[i] != new_data[i])
      return 0;
  return 1;
}

static void describe(const struct expect *e, const struct crash_inode *in,
                     char *why, size_t size) {
  int64_t i, newb = 0, oldb = 0, zero = 0;
  if (in == NULL) {
    snprintf(why, size, "the target is missing");
    return;
  }
  for (i = 0; i < in->size; i++) {
    newb += i < NEW_SIZE && in->data[i] == new_data[i];
    oldb += i < OLD_SIZE && in->data[i] == old_data[i];
    zero += in->data[i] == 0;
  }
  snprintf(why, size,
           "the target has %lld bytes (%lld of the new contents, %lld of the "
           "old, %lld zero), mode %04o, owner %u:%u",
           (long long)in->size, (long long)newb, (long long)oldb,
           (long long)zero, in->mode, in->uid, in->gid);
  (void)e;
}

/* tf_atomic(3): "." NAME ".tf-" and 12 characters of TF_ALPHABET. */
static int is_hidden_sibling(const char *name) {
  const char *head = "." TARGET ".tf-";
  size_t i, n = strlen(head);
  if (strncmp(name, head, n) != 0 || strlen(name) != n + 12)
    return 0;
  for (i = n; name[i] != '\0'; i++)
    if (strchr(TF_ALPHABET, name[i]) == NULL)
      return 0;
  return 1;
}

/* tf_atomic(3), The temporary file: a crash can leave a hidden sibling
 * in the target's directory and nothing else, and nothing at all where
 * an unnamed file is linked as the target. */
static int leftovers_ok(const struct expect *e, const struct crash_fs *fs,
                        char *why, size_t size) {
  size_t i;
  for (i = 0; i < fs->nentries; i++) {
    const char *name = fs->entries[i].name;
    if (fs->entries[i].dir != e->root || strcmp(name, TARGET) == 0)
      continue;
    if (e->no_leftovers || (e->hidden_only && !is_hidden_sibling(name))) {
      snprintf(why, size, "a leftover named %.100s", name);
      return 0;
    }
  }
  return 1;
}

static int check(const struct crash_fs *fs, int returned, void *ctx, char *why,
                 size_t size) {
  const struct expect *e = ctx;
  const struct crash_inode *in = crash_fs_lookup(fs, e->root, TARGET);
  int old_ok = e->old_present ? in != NULL && is_old(e, in) : in == NULL;
  int ok;
  switch (e->s->promise) {
  case PROMISE_OLD:
    ok = old_ok;
    break;
  case PROMISE_DURABLE:
    ok = in != NULL && is_new(e, in) ? 1 : !returned && old_ok;
    break;
  case PROMISE_PART:
    ok = old_ok || (in != NULL && is_part_of_new(in));
    break;
  default:
    ok = old_ok || (in != NULL && is_new(e, in));
    break;
  }
  if (ok)
    return leftovers_ok(e, fs, why, size);
  describe(e, in, why, size);
  if (returned && e->s->promise == PROMISE_DURABLE && old_ok)
    snprintf(why, size, "the target %s after the call returned",
             e->old_present ? "has the old contents" : "is missing");
  return 0;
}

/* -------------------------------------------------------- running them */

/* An owner and group for the old target other than the process's own,
 * so that a new file that did not get them shows: another user where
 * the process may give files away, else another of its groups, if any
 * (-1: keep). */
static void other_owner(uid_t *uid, gid_t *gid) {
  gid_t groups[64];
  int i, n;
  *uid = (uid_t)-1;
  *gid = (gid_t)-1;
  if (geteuid() == 0) {
    *uid = 1;
    *gid = 1;
    return;
  }
  n = getgroups(64, groups);
  for (i = 0; i < n; i++)
    if (groups[i] != getegid()) {
      *gid = groups[i];
      return;
    }
}

static int make_target(int dirfd, enum crash_target t) {
  int fd, rc = 0;
  uid_t uid;
  gid_t gid;
  if (t == TARGET_ABSENT)
    return 0;
  fd = openat(dirfd, TARGET, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return -errno;
  other_owner(&uid, &gid);
  if (t != TARGET_EMPTY && write(fd, old_data, OLD_SIZE) != OLD_SIZE)
    rc = -EIO;
  if (rc == 0 && (fchown(fd, uid, gid) != 0 ||
                  fchmod(fd, t == TARGET_SETID ? 04750 : 0640) != 0 || fsync(fd) != 0))
    rc = -errno;
  close(fd);
  if (rc == 0 && fsync(dirfd) != 0)
    rc = -errno;
  return rc;
}

/* tf_atomic(3), Mode, owner and links; tf_file_create(3), Publishing:
 * the mode, owner and group the new target must have. */
static void page_attributes(const struct crash_scenario *s, struct expect *e) {
  mode_t mask = umask(0);
  umask(mask);
  e->new_uid = geteuid();
  e->new_gid = getegid();
  if (s->api == API_PUBLISH) {
    e->new_mode = 0644; /* by the caller's fchmod or by publish */
  } else if (e->old_present) {
    e->new_mode = e->old_mode; /* the old file's, set-ID bits included */
    e->new_uid = e->old_uid;
    e->new_gid = e->old_gid;
  } else {
    e->new_mode = 0666 & ~mask; /* as open(2) makes a file */
  }
}

static int run_atomic(const struct crash_scenario *s, int dirfd) {
  tf_opts o = TF_OPTS_INIT;
  tf_atomic *a;
  FILE *fp = NULL;
  size_t i, per = (NEW_SIZE + CHUNKS - 1) / CHUNKS;
  int rc;
  o.flags = s->flags;
  if (s->api == API_WRITE_FILE)
    return tf_write_fileat(dirfd, TARGET, new_data, NEW_SIZE, &o);
  rc = tf_atomic_beginat(&a, dirfd, TARGET, &o);
  if (rc < 0)
    return rc;
  if (s->api == API_ATOMIC_STREAM)
    rc = tf_atomic_stream(a, &fp);
  for (i = 0; rc == 0 && i < NEW_SIZE; i += per) {
    size_t n = NEW_SIZE - i < per ? NEW_SIZE - i : per;
    if (fp != NULL)
      rc = fwrite(new_data + i, 1, n, fp) == n ? 0 : -EIO;
    else
      rc = tf_atomic_write(a, new_data + i, n);
  }
  if (rc == 0)
    rc = tf_atomic_commit(a);
  tf_atomic_free(a);
  return rc;
}

static int run_publish(const struct crash_scenario *s, const char *dir, int dirfd) {
  tf_opts o = TF_OPTS_INIT;
  tf_file *f;
  int rc;
  o.dir = dir;
  o.flags = s->publish_closed ? TF_DELETE_ON_FREE : 0;
  rc = tf_file_create(&f, &o);
  if (rc < 0)
    return rc;
  if (write(tf_file_fd(f), new_data, NEW_SIZE) != NEW_SIZE)
    rc = -EIO;
  /* the caller's calls, as the page's example makes them */
  if (rc == 0 && s->publish_mode == 0 && crash_record_fchmod(tf_file_fd(f), 0644) != 0)
    rc = -errno;
  if (rc == 0 && s->publish_sync >= 1 && crash_record_fsync(tf_file_fd(f)) != 0)
    rc = -errno;
  if (rc == 0 && s->publish_closed)
    rc = tf_file_close(f);
  if (rc == 0)
    rc = tf_file_publishat(f, dirfd, TARGET, (unsigned int)s->publish_mode,
                           s->flags & TF_NOCLOBBER);
  if (rc == 0 && s->publish_sync >= 2 && crash_record_fsync(dirfd) != 0)
    rc = -errno;
  tf_file_free(f);
  return rc;
}

static int run_sponge(const struct crash_scenario *s, const char *dir) {
  char path[4200], input[4200];
  char *argv[5];
  int argc = 0, in, saved, rc;
  snprintf(path, sizeof(path), "%s/%s", dir, TARGET);
  /* the input comes from a file outside the traced directory */
  snprintf(input, sizeof(input), "%s.input", dir);
  in = open(input, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (in < 0)
    return -errno;
  unlink(input);
  if (write(in, new_data, NEW_SIZE) != NEW_SIZE || lseek(in, 0, SEEK_SET) != 0) {
    close(in);
    return -EIO;
  }
  fflush(stdin);
  saved = dup(STDIN_FILENO);
  dup2(in, STDIN_FILENO);
  close(in);
  argv[argc++] = (char *)"tmpf";
  argv[argc++] = (char *)"sponge";
  if (s->sponge_option != NULL)
    argv[argc++] = (char *)s->sponge_option;
  argv[argc++] = path;
  argv[argc] = NULL;
  optind = 0; /* getopt starts afresh */
  rc = tmpf_cli_main(argc, argv);
  dup2(saved, STDIN_FILENO);
  close(saved);
  return rc == 0 ? 0 : -EIO;
}

static int expected_rc(const struct crash_scenario *s) {
  if (s->promise != PROMISE_OLD)
    return 0;
  return -EEXIST;
}

/* The recording must give the directory the scenario really left: the
 * same names, each with the same contents and mode. */
static int recording_matches(const struct crash_trace *t, int dirfd,
                             char *why, size_t size) {
  struct crash_fs fs;
  struct dirent *e;
  size_t names = 0, i, recorded = 0;
  int ok = 1, fd;
  DIR *d;
  if (crash_final_state(t, &fs) != 0) {
    snprintf(why, size, "out of memory");
    return 0;
  }
  fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  d = fd >= 0 ? fdopendir(fd) : NULL;
  while (ok && d != NULL && (e = readdir(d)) != NULL) {
    const struct crash_inode *in;
    struct stat st;
    unsigned char *buf;
    int ffd;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    names++;
    in = crash_fs_lookup(&fs, t->root, e->d_name);
    if (in == NULL || fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        in->size != st.st_size || in->mode != (st.st_mode & 07777u)) {
      snprintf(why, size, "%.200s: not as recorded", e->d_name);
      ok = 0;
      break;
    }
    buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    ffd = openat(dirfd, e->d_name, O_RDONLY | O_CLOEXEC);
    if (buf == NULL || ffd < 0 ||
        pread(ffd, buf, (size_t)st.st_size, 0) != (ssize_t)st.st_size ||
        memcmp(buf, in->data, (size_t)st.st_size) != 0) {
      snprintf(why, size, "%.200s: contents not as recorded", e->d_name);
      ok = 0;
    }
    free(buf);
    if (ffd >= 0)
      close(ffd);
  }
  if (d != NULL)
    closedir(d);
  for (i = 0; i < fs.nentries; i++)
    recorded += fs.entries[i].dir == t->root;
  if (ok && recorded != names) {
    snprintf(why, size, "%zu names recorded, %zu in the directory", recorded, names);
    ok = 0;
  }
  crash_fs_free(&fs);
  return ok;
}

static void empty_dir(int dirfd) {
  struct dirent *e;
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  while (d != NULL && (e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      unlinkat(dirfd, e->d_name, 0);
  if (d != NULL)
    closedir(d);
}

static int show_traces;

void crash_show_traces(int on) { show_traces = on; }

static void print_trace(const struct crash_trace *t, FILE *out) {
  char line[2 * CRASH_NAME_MAX + 128];
  size_t i;
  for (i = 0; i < t->ninitial; i++)
    fprintf(out, "    before: %s (inode #%lu, %lld bytes, mode %04o, owner %u:%u)\n",
            t->initial[i].name, t->initial[i].ino, (long long)t->initial[i].size,
            t->initial[i].mode, t->initial[i].uid, t->initial[i].gid);
  for (i = 0; i < t->nops; i++) {
    crash_op_describe(&t->ops[i], line, sizeof(line));
    fprintf(out, "    %2zu %s\n", i + 1, line);
  }
}

static int has_tmpfile(const struct crash_trace *t) {
  size_t i;
  for (i = 0; i < t->nops; i++)
    if (t->ops[i].kind == CRASH_TMPFILE)
      return 1;
  return 0;
}

/* Record s; 0, or -1 with the reason in why. */
static int record(const struct crash_scenario *s, const char *dir, int dirfd,
                  struct crash_trace *t, struct expect *e, char *why, size_t size) {
  struct stat st;
  int rc, stop;
  rc = make_target(dirfd, s->target);
  if (rc == 0)
    rc = crash_record_start(t, dirfd,
                            (s->named ? CRASH_REFUSE_TMPFILE : 0) |
                                (s->no_renameat2 ? CRASH_REFUSE_RENAMEAT2 : 0));
  if (rc < 0) {
    snprintf(why, size, "set-up: %s", strerror(-rc));
    return -1;
  }
  e->s = s;
  e->root = t->root;
  e->old_present = s->target != TARGET_ABSENT;
  if (e->old_present && fstatat(dirfd, TARGET, &st, 0) == 0) {
    e->old_mode = st.st_mode & 07777;
    e->old_uid = st.st_uid;
    e->old_gid = st.st_gid;
    e->old_size = st.st_size;
  }
  rc = s->api == API_PUBLISH  ? run_publish(s, dir, dirfd)
       : s->api == API_SPONGE ? run_sponge(s, dir)
                              : run_atomic(s, dirfd);
  crash_record_mark("returned");
  stop = crash_record_stop();
  if (stop < 0 || rc != expected_rc(s)) {
    snprintf(why, size, "the call returned %d (%s), not %d", rc,
             strerror(rc < 0 ? -rc : 0), expected_rc(s));
    return -1;
  }
  if (!recording_matches(t, dirfd, why, size))
    return -1;
  e->hidden_only = s->api != API_PUBLISH;
  e->no_leftovers = e->hidden_only && has_tmpfile(t) && !(s->flags & TF_MUST_EXIST) &&
                    (s->target == TARGET_ABSENT || (s->flags & TF_NOCLOBBER));
  page_attributes(s, e);
  if (s->promise != PROMISE_OLD) {
    /* the call did what the page says */
    if (fstatat(dirfd, TARGET, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_size != NEW_SIZE) {
      snprintf(why, size, "the target was not replaced");
      return -1;
    }
    if ((st.st_mode & 07777u) != e->new_mode || st.st_uid != e->new_uid ||
        st.st_gid != e->new_gid) {
      snprintf(why, size, "the new target has mode %04o, owner %u:%u; the page says "
                          "%04o, %u:%u",
               (unsigned)(st.st_mode & 07777u), (unsigned)st.st_uid,
               (unsigned)st.st_gid, e->new_mode, e->new_uid, e->new_gid);
      return -1;
    }
  }
  return 0;
}

void crash_run(const struct crash_scenario *s, const char *tmpdir,
               const struct crash_limits *lim, FILE *out, unsigned *passed,
               unsigned *failed, unsigned long long *explored) {
  static const enum crash_model models[] = {CRASH_MODEL_WEAK, CRASH_MODEL_EXT4};
  struct crash_trace t;
  struct expect e;
  char dir[4096], why[256] = "", label[160];
  size_t m;
  int dirfd, rc = -1;
  if (old_data[0] == 0)
    fill_contents();
  memset(&t, 0, sizeof(t));
  memset(&e, 0, sizeof(e));
  snprintf(dir, sizeof(dir), "%s/tf-crash.XXXXXX", tmpdir);
  if (mkdtemp(dir) == NULL) {
    snprintf(why, sizeof(why), "mkdtemp: %s", strerror(errno));
    dirfd = -1;
  } else {
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd >= 0)
      rc = record(s, dir, dirfd, &t, &e, why, sizeof(why));
  }
  snprintf(label, sizeof(label), "%s", s->label);
  if (rc == 0 && !s->named && !has_tmpfile(&t)) /* the portable profile */
    snprintf(label, sizeof(label), "%.120s (named: no O_TMPFILE)", s->label);
  if (rc == 0 && show_traces) {
    fprintf(out, "%s: the recording\n", label);
    print_trace(&t, out);
  }
  for (m = 0; m < 2; m++) {
    struct crash_limits l = *lim;
    struct crash_result r;
    char *violation = NULL;
    size_t vlen = 0;
    FILE *vout;
    if (rc != 0) {
      fprintf(out, "%-64s %-4s FAIL: %s\n", label, crash_model_name(models[m]),
              why);
      ++*failed;
      continue;
    }
    l.seed = lim->seed + (uint64_t)(s - table) * 2 + m;
    vout = open_memstream(&violation, &vlen);
    if (vout == NULL || crash_explore(&t, models[m], &l, check, &e, &r, vout) != 0) {
      fprintf(out, "%-64s %-4s FAIL: out of memory\n", label,
              crash_model_name(models[m]));
      ++*failed;
    } else {
      fclose(vout);
      vout = NULL;
      fprintf(out, "%-64s %-4s %7llu states%s, %llu violations  [%s]\n%s",
              label, crash_model_name(models[m]),
              (unsigned long long)r.explored, r.exhaustive ? " (all)" : "",
              (unsigned long long)r.violations, crash_promise_name(s->promise),
              violation ? violation : "");
      if (r.violations > 0)
        ++*failed;
      else
        ++*passed;
      *explored += r.explored;
    }
    if (vout != NULL)
      fclose(vout);
    free(violation);
  }
  crash_trace_free(&t);
  if (dirfd >= 0) {
    empty_dir(dirfd);
    close(dirfd);
    rmdir(dir);
  }
}
