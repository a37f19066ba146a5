/* SPDX-License-Identifier: MIT */
/*
 * random.c - the source of the random part of every name.  Bytes come
 * from the OS CSPRNG (getrandom on Linux, getentropy elsewhere) into a
 * 1 KiB pool (a process's first read only 64 bytes), so one system call
 * serves about 80 default-length names
 * (a larger read costs less per byte: 3.7 ns against 5.5 ns for 256).
 * At refill the bytes are mapped onto TF_ALPHABET by rejection sampling (a
 * byte >= 252 is dropped) so every character is equally likely, and a
 * name is then one copy out of the pool.  The pool lives in
 * the per-process block (process.c), guarded by tf__process_lock, which a
 * forked child receives empty: a child never produces the names its
 * parent will produce next.  Used bytes are wiped so the pool never holds
 * a name already handed out.
 */
#include "internal.h"

#include <string.h>

#define ALPHABET_SIZE (sizeof(TF_ALPHABET) - 1)
#define FIRST_FILL 64 /* bytes of a process's first read */
/* Largest multiple of the alphabet size that fits in a byte. */
#define ACCEPT_BELOW (256 / ALPHABET_SIZE * ALPHABET_SIZE)

/* Byte -> name character, 0 for the bytes rejection sampling drops.  Built
 * on first refill (under the lock): a table lookup per byte instead of a
 * division. */
static unsigned char char_of[256];

static void build_char_table(void) {
  unsigned b;
  for (b = 0; b < 256; b++)
    char_of[b] = b < ACCEPT_BELOW ? (unsigned char)TF_ALPHABET[b % ALPHABET_SIZE]
                                  : 0;
}

/* Refill the pool from the OS and turn it into name characters at once:
 * accepted bytes become characters packed at the front, the rest of the
 * pool is cleared.  Called with the lock held. */
static int refill_pool(struct tf__process *p) {
  /* The first read is sized to a few names: a short-lived process that
   * makes one file should not pay for eighty. */
  size_t want = p->refills++ == 0 ? FIRST_FILL : sizeof(p->pool);
  size_t got = 0, i, kept = 0;
  while (got < want) {
    int n = tf__sys.getrandom(p->pool + got, want - got);
    if (n < 0)
      return -errno;
    got += (size_t)n;
  }
  if (char_of[0] == 0)
    build_char_table();
  for (i = 0; i < want; i++) {
    unsigned char c = char_of[p->pool[i]];
    p->pool[kept] = c;
    kept += c != 0;
  }
  memset(p->pool + kept, 0, sizeof(p->pool) - kept);
  p->pool_used = 0;
  p->pool_len = kept;
  return 0;
}

/* The next len characters of the pool.  Called with the lock held. */
static int pool_name(char *out, size_t len) {
  int rc = 0;
  struct tf__process *p = tf__process();
  while (len > 0) {
    size_t n = p->pool_len - p->pool_used;
    if (n == 0) {
      rc = refill_pool(p);
      if (rc < 0)
        break;
      continue;
    }
    if (n > len)
      n = len;
    memcpy(out, p->pool + p->pool_used, n);
    memset(p->pool + p->pool_used, 0, n); /* never hand out twice */
    p->pool_used += n;
    out += n;
    len -= n;
  }
  return rc;
}

int (*tf__name_source)(char *out, size_t len) = pool_name;

int tf__random_name(char *out, size_t len) {
  int rc;
  pthread_mutex_lock(&tf__process_lock);
  rc = tf__name_source(out, len);
  pthread_mutex_unlock(&tf__process_lock);
  return rc;
}
