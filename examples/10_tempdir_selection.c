/* SPDX-License-Identifier: MIT */
/*
 * 10_tempdir_selection.c - the tour's temporary directory selection: the
 * order in which candidates are tried, the directory this process ended
 * up with, the default name prefix, and the environment that decided it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tour.h"

int main(void) {
  static const char *const vars[] = {"TMPDIR", "TEMP", "TMP"};
  char dir[4096], prefix[256], tiny[4];
  size_t i;
  int rc;

  puts("=== Temporary Directory Selection ===");
  puts("libtempfile's temp directory search order:");
  puts("1. TMPDIR environment variable");
  puts("2. TEMP environment variable");
  puts("3. TMP environment variable");
  if (TOUR_WINDOWS)
    puts("4. The system's default (GetTempPath2W), then %USERPROFILE%"
         "\\AppData\\Local\\Temp, %SYSTEMROOT%\\Temp, c:\\temp, c:\\tmp, "
         "\\temp, \\tmp");
  else
    puts("4. Fixed locations: /tmp, /var/tmp, /usr/tmp");
  puts("5. Current working directory (last resort)");
  puts("The first one where a file can be created, written and removed "
       "wins; the answer is cached for the process.");

  check(tf_gettempdir(dir, sizeof(dir)), "tf_gettempdir");
  check(tf_gettempprefix(prefix, sizeof(prefix)), "tf_gettempprefix");
  printf("\nCurrent temp directory: %s\n", dir);
  printf("Temp name prefix: %s\n", prefix);

  puts("\nEnvironment variables:");
  for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
    const char *value = getenv(vars[i]);
    printf("  %s: %s\n", vars[i], value != NULL ? value : "Not set");
  }

  /* Errors are negative errnos; a short buffer is refused, not cut. */
  rc = tf_gettempdir(tiny, sizeof(tiny));
  if (rc < 0 && rc != -ERANGE)
    check(rc, "tf_gettempdir");
  printf("\ntf_gettempdir with a %zu-byte buffer: %s (%s)\n", sizeof(tiny),
         rc < 0 ? tf_err_name(rc) : tiny, tf_strerror(rc < 0 ? rc : 0));
  return 0;
}
