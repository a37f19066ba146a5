/* SPDX-License-Identifier: MIT */
/*
 * 09_naming.c - the tour's look at name security: five names made by
 * tf_mkstemp(), their length and alphabet, where their randomness comes
 * from, and tf_random_chars() for a random string of one's own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tour.h"

#define COUNT 5

int main(void) {
  char *paths[COUNT];
  char prefix[256], token[17];
  size_t prefix_len;
  int i, all_in_alphabet = 1;

  puts("=== Temporary File Naming Security ===");
  check(tf_gettempprefix(prefix, sizeof(prefix)), "tf_gettempprefix");
  prefix_len = strlen(prefix);
  for (i = 0; i < COUNT; i++) {
    int fd = tf_mkstemp(&paths[i], NULL);
    check(fd, "tf_mkstemp");
    check_sys(close(fd) == 0, "close");
  }

  puts("Generated temporary file names:");
  for (i = 0; i < COUNT; i++) {
    const char *name = base_name(paths[i]);
    printf("  %s\n", name);
    if (strspn(name + prefix_len, TF_ALPHABET) != TF_RANDOM_LEN_DEFAULT)
      all_in_alphabet = 0;
  }
  printf("\nName length: %zu (\"%s\" + %d random characters)\n",
         strlen(base_name(paths[0])), prefix,
         TF_RANDOM_LEN_DEFAULT);
  printf("Random part uses characters: %s (%s)\n", TF_ALPHABET,
         all_in_alphabet ? "checked" : "NOT as documented");
  printf("Names come from the OS CSPRNG (%s): 5.17 bits per character, "
         "62 bits per name - unpredictable\n",
         TOUR_WINDOWS ? "BCryptGenRandom" : "getrandom");

  check(tf_random_chars(token, sizeof(token) - 1), "tf_random_chars");
  token[sizeof(token) - 1] = '\0'; /* tf_random_chars adds no NUL */
  printf("tf_random_chars(16): %s\n", token);

  for (i = 0; i < COUNT; i++) {
    check_sys(unlink(paths[i]) == 0, "unlink");
    free(paths[i]);
  }
  puts("Cleaned up test files");
  return all_in_alphabet ? 0 : 1;
}
