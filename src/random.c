/*
 * random.c - the source of the random part of every name.  Bytes come
 * from the OS CSPRNG (getrandom on Linux, getentropy elsewhere) into a
 * 256-byte pool, so one system call serves about 20 default-length names.
 * Bytes are mapped onto TF_ALPHABET by rejection sampling (a byte >= 252
 * is skipped) so every character is equally likely.  The pool is guarded
 * by a mutex; after fork() the child discards it, so a child never
 * produces the names its parent will produce next.  Used bytes are wiped
 * so the pool never holds a name already handed out.
 */
#include "internal.h"

#include <string.h>

#define ALPHABET_SIZE (sizeof(TF_ALPHABET) - 1)
/* Largest multiple of the alphabet size that fits in a byte. */
#define ACCEPT_BELOW (256 / ALPHABET_SIZE * ALPHABET_SIZE)

pthread_mutex_t tf__random_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned char pool[256];
static size_t pool_used = sizeof(pool); /* all used: refill first */
static unsigned long pool_generation;
static unsigned long refills;

#ifdef TF_TESTING
static const char *const *injected;
static size_t injected_count;
static size_t injected_next;

void tf__test_names(const char *const *names, size_t count) {
  pthread_mutex_lock(&tf__random_lock);
  injected = names;
  injected_count = names ? count : 0;
  injected_next = 0;
  pthread_mutex_unlock(&tf__random_lock);
}

unsigned long tf__random_refills(void) { return refills; }

/* Copy the next injected name, repeated to fill len; 0 if none is left. */
static int take_injected(char *out, size_t len) {
  const char *name;
  size_t i, name_len;
  if (injected_next >= injected_count)
    return 0;
  name = injected[injected_next++];
  name_len = strlen(name);
  for (i = 0; i < len; i++)
    out[i] = name_len ? name[i % name_len] : 'a';
  return 1;
}
#endif

/* Fill pool from the OS.  Called with the lock held. */
static int refill_pool(void) {
  size_t got = 0;
  while (got < sizeof(pool)) {
    int n = tf__sys.getrandom(pool + got, sizeof(pool) - got);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    got += (size_t)n;
  }
  pool_used = 0;
  refills++;
  return 0;
}

/* One byte from the pool.  Called with the lock held. */
static int next_byte(unsigned char *out) {
  if (pool_generation != tf__fork_generation) {
    /* A forked child: the pool is the parent's, throw it away. */
    memset(pool, 0, sizeof(pool));
    pool_used = sizeof(pool);
    pool_generation = tf__fork_generation;
  }
  if (pool_used == sizeof(pool)) {
    int rc = refill_pool();
    if (rc < 0)
      return rc;
  }
  *out = pool[pool_used];
  pool[pool_used++] = 0;
  return 0;
}

int tf__random_name(char *out, size_t len) {
  size_t i;
  int rc = 0;
  tf__lib_init();
  pthread_mutex_lock(&tf__random_lock);
#ifdef TF_TESTING
  if (take_injected(out, len)) {
    pthread_mutex_unlock(&tf__random_lock);
    return 0;
  }
#endif
  for (i = 0; i < len && rc == 0; i++) {
    unsigned char b;
    do
      rc = next_byte(&b);
    while (rc == 0 && b >= ACCEPT_BELOW);
    if (rc == 0)
      out[i] = TF_ALPHABET[b % ALPHABET_SIZE];
  }
  pthread_mutex_unlock(&tf__random_lock);
  return rc;
}

int tf_random_chars(char *buf, size_t n) {
  if (buf == NULL)
    return -EINVAL;
  return tf__random_name(buf, n);
}
