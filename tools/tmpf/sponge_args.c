/* SPDX-License-Identifier: MIT */
/*
 * sponge_args.c - what `tmpf sponge` shares between its POSIX (sponge.c)
 * and Windows (sponge_win.c) halves: the command line and the error
 * message.
 */
#include <getopt.h>
#include <stdint.h>

#include "tmpf.h"

#define DEFAULT_MEMORY ((int64_t)64 << 20)

enum { OPT_DURABLE = 256, OPT_NO_SYNC, OPT_HELP };

int tmpf_sponge_args(struct tmpf_sponge_args *a, int argc, char **argv,
                     void (*help)(void)) {
  static const struct option opts[] = {
      {"append", no_argument, NULL, 'a'},
      {"memory", required_argument, NULL, 'm'},
      {"durable", no_argument, NULL, OPT_DURABLE},
      {"no-sync", no_argument, NULL, OPT_NO_SYNC},
      {"help", no_argument, NULL, OPT_HELP},
      {NULL, 0, NULL, 0}};
  int64_t memory = DEFAULT_MEMORY;
  int c, durable = 0, no_sync = 0;
  a->append = 0;
  a->sync = 0;
  optind = 1;
  /* -h as moreutils' sponge. */
  while ((c = getopt_long(argc, argv, "ahm:", opts, NULL)) != -1) {
    switch (c) {
    case 'a': a->append = 1; break;
    case 'm':
      memory = tmpf_parse_size(optarg);
      if (memory < 0 || (uint64_t)memory > SIZE_MAX / 2)
        return tmpf_usage_error("sponge", "invalid memory size %s",
                                tmpf_quote(optarg));
      break;
    case OPT_DURABLE: durable = 1; a->sync = TF_SYNC_DURABLE; break;
    case OPT_NO_SYNC: no_sync = 1; a->sync = TF_SYNC_NONE; break;
    case 'h':
    case OPT_HELP: help(); return TMPF_EXIT_OK;
    default: return tmpf_usage_error("sponge", NULL);
    }
  }
  if (durable && no_sync)
    return tmpf_usage_error("sponge", "--durable and --no-sync exclude each "
                                      "other");
  if (argc - optind > 1)
    return tmpf_usage_error("sponge", "extra operand %s",
                            tmpf_quote(argv[optind + 1]));
  a->file = optind < argc ? argv[optind] : NULL;
  a->memory = (size_t)memory;
  return -1;
}

int tmpf_sponge_fail(const char *what, const char *name, int rc) {
  if (name != NULL)
    tmpf_error("sponge: %s %s: %s", what, tmpf_quote(name), tmpf_strerror(-rc));
  else
    tmpf_error("sponge: %s: %s", what, tmpf_strerror(-rc));
  return TMPF_EXIT_FAILURE;
}
