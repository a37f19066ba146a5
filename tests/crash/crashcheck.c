/* SPDX-License-Identifier: MIT */
/*
 * crashcheck.c - `make crashcheck`: records every scenario (scenario.c)
 * and explores the states a power cut could leave under each model
 * (model.c).  Usage: crashcheck [--quick] [--seed N] [--only WORD] [--trace]
 *   --quick   fewer states per scenario (make check's form): all of them
 *             up to 4096, else 600 at random; without it all up to
 *             65536, else 10000 at random
 *   --seed N  the random states' seed (default 1), printed
 *   --only W  only the scenarios whose label contains W
 *   --trace   print each scenario's recording too
 * Exit status 0 if no state broke a promise, 1 otherwise.  The last line
 * is "N passed, N failed": one check per hand-made trace of the model's
 * self-test (selftest.c), and one per scenario and model.
 */
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The build's mutation (make CRASH_MUTANT=...), for the report. */
static const char mutant[] =
#if defined(TF_CRASH_MUTANT_NOFSYNC)
    "nofsync (no fsync of the file before the rename)";
#elif defined(TF_CRASH_MUTANT_NODIRSYNC)
    "nodirsync (no fsync of the directory at TF_SYNC_DURABLE)";
#else
    "";
#endif

int main(int argc, char **argv) {
  struct crash_limits lim = {65536, 10000, 1};
  const struct crash_scenario *s;
  const char *only = NULL, *tmpdir = getenv("TMPDIR");
  unsigned passed = 0, failed = 0;
  unsigned long long explored = 0;
  size_t n, i;
  int a;
  for (a = 1; a < argc; a++) {
    if (strcmp(argv[a], "--quick") == 0) {
      lim.exhaustive_max = 4096;
      lim.samples = 600;
    } else if (strcmp(argv[a], "--seed") == 0 && a + 1 < argc) {
      lim.seed = strtoull(argv[++a], NULL, 0);
    } else if (strcmp(argv[a], "--only") == 0 && a + 1 < argc) {
      only = argv[++a];
    } else if (strcmp(argv[a], "--trace") == 0) {
      crash_show_traces(1);
    } else {
      fprintf(stderr,
              "usage: crashcheck [--quick] [--seed N] [--only WORD] [--trace]\n");
      return 2;
    }
  }
  if (tmpdir == NULL || tmpdir[0] == '\0')
    tmpdir = "/tmp";
  printf("crash states of atomic replacement and publishing: all states up to "
         "%llu per scenario and model, else %llu at random (seed %llu)\n",
         (unsigned long long)lim.exhaustive_max, (unsigned long long)lim.samples,
         (unsigned long long)lim.seed);
  if (mutant[0] != '\0')
    printf("MUTANT BUILD: %s: violations are expected\n", mutant);
  crash_model_selftest(stdout, &passed, &failed);
  s = crash_scenarios(&n);
  for (i = 0; i < n; i++)
    if (only == NULL || strstr(s[i].label, only) != NULL)
      crash_run(&s[i], tmpdir, &lim, stdout, &passed, &failed, &explored);
  printf("%llu states explored; %u checks (the self-test's traces, each "
         "scenario under each model) kept every promise, %u did not\n",
         explored, passed, failed);
  printf("%u passed, %u failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
