/* SPDX-License-Identifier: MIT */
/*
 * run_args.c - the command line of `tmpf run`, shared by its POSIX
 * (run.c) and Windows (run_win.c) halves.
 */
#include <getopt.h>
#include <string.h>

#include "tmpf.h"

enum { OPT_KEEP = 256, OPT_KEEP_ON_FAILURE, OPT_CD, OPT_HELP };

int tmpf_run_args(struct tmpf_run_args *r, int argc, char **argv,
                  void (*help)(void)) {
  static const struct option opts[] = {
      {"tmpdir", required_argument, NULL, 'p'},
      {"keep", no_argument, NULL, OPT_KEEP},
      {"keep-on-failure", no_argument, NULL, OPT_KEEP_ON_FAILURE},
      {"cd", no_argument, NULL, OPT_CD},
      {"help", no_argument, NULL, OPT_HELP},
      {NULL, 0, NULL, 0}};
  int c;
  memset(r, 0, sizeof(*r));
  optind = 1;
  /* '+': options end at COMMAND, whose own options are its business. */
  while ((c = getopt_long(argc, argv, "+p:", opts, NULL)) != -1) {
    switch (c) {
    case 'p': r->parent = optarg; break;
    case OPT_KEEP: r->keep = 1; break;
    case OPT_KEEP_ON_FAILURE: r->keep_on_failure = 1; break;
    case OPT_CD: r->cd = 1; break;
    case OPT_HELP: help(); return TMPF_EXIT_OK;
    default: return tmpf_usage_error("run", NULL);
    }
  }
  if (optind >= argc)
    return tmpf_usage_error("run", "no command given");
  r->command = argv + optind;
  return -1;
}
