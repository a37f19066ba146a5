/* SPDX-License-Identifier: MIT */
/*
 * random_win.c - the random part of every name, from the OS CSPRNG
 * (BCryptGenRandom with the system's preferred generator).  Bytes are
 * read into a pool and mapped onto TF_ALPHABET by rejection sampling (a
 * byte >= 252 is dropped), so every character is equally likely; used
 * characters are wiped, so the pool never holds a name already handed
 * out.  Windows has no fork(), so one pool serves the process.
 */
#include "win.h"

#include <bcrypt.h>
#include <string.h>

#define ALPHABET_SIZE (sizeof(TF_ALPHABET) - 1)
#define ACCEPT_BELOW (256 / ALPHABET_SIZE * ALPHABET_SIZE)

static tf__mutex pool_lock = TF__MUTEX_INIT;
static unsigned char pool[512];
static size_t pool_used, pool_len;

static int refill(void) {
  size_t i, kept = 0;
  if (BCryptGenRandom(NULL, pool, sizeof(pool),
                      BCRYPT_USE_SYSTEM_PREFERRED_RNG) < 0)
    return -EIO;
  for (i = 0; i < sizeof(pool); i++)
    if (pool[i] < ACCEPT_BELOW)
      pool[kept++] = (unsigned char)TF_ALPHABET[pool[i] % ALPHABET_SIZE];
  memset(pool + kept, 0, sizeof(pool) - kept);
  pool_used = 0;
  pool_len = kept;
  return 0;
}

/* The next len characters of the pool; called with pool_lock held. */
static int pool_name(char *out, size_t len) {
  while (len > 0) {
    size_t n = pool_len - pool_used;
    if (n == 0) {
      int rc = refill();
      if (rc < 0)
        return rc;
      continue;
    }
    if (n > len)
      n = len;
    memcpy(out, pool + pool_used, n);
    memset(pool + pool_used, 0, n);
    pool_used += n;
    out += n;
    len -= n;
  }
  return 0;
}

int (*tf__name_source)(char *out, size_t len) = pool_name;

int tf__random_name(char *out, size_t len) {
  int rc;
  tf__mutex_lock(&pool_lock);
  rc = tf__name_source(out, len);
  tf__mutex_unlock(&pool_lock);
  return rc;
}
