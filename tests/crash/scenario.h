/* SPDX-License-Identifier: MIT */
/*
 * scenario.h - the scenarios the crash checker records and explores,
 * and the promise each is checked against (tests/crash/README.md).
 */
#ifndef TF_CRASH_SCENARIO_H
#define TF_CRASH_SCENARIO_H

#include <stdio.h>

#include "model.h"

enum crash_api {
  API_WRITE_FILE,    /* tf_write_fileat() */
  API_ATOMIC,        /* tf_atomic_beginat(), tf_atomic_write() x 7, commit */
  API_ATOMIC_STREAM, /* the same through tf_atomic_stream() */
  API_PUBLISH,       /* tf_file_create(), write, [fchmod, fsync],
                      * tf_file_publishat(), [fsync of the directory] */
  API_SPONGE         /* tmpf sponge FILE < new contents */
};

/* The target before the call: missing, the old contents (mode 0640),
 * empty (0640), or the old contents with the set-user-ID bit (04750).
 * An existing target belongs to another owner where the process may
 * give files away (root), else to another of its groups if it has one. */
enum crash_target { TARGET_ABSENT, TARGET_PRESENT, TARGET_EMPTY, TARGET_SETID };

/* What a man page promises about the target after a crash. */
enum crash_promise {
  PROMISE_OLD_OR_NEW,  /* the complete old contents or the complete new */
  PROMISE_DURABLE,     /* that, and only the new once the call returned */
  PROMISE_PART,        /* the old contents, or empty, or part of the new */
  PROMISE_OLD          /* the call fails: only the old contents */
};

struct crash_scenario {
  char label[128];
  enum crash_api api;
  unsigned int flags;        /* TF_SYNC_*, TF_NOCLOBBER, TF_MUST_EXIST */
  int named;                 /* O_TMPFILE refused: the named path */
  int no_renameat2;          /* renameat2 refused: the fallbacks */
  enum crash_target target;
  int publish_sync;          /* API_PUBLISH: 0, 1 fsync file, 2 and dir */
  int publish_mode;          /* API_PUBLISH: the mode applied by publish
                              * (then not promised after a crash), or 0:
                              * by fchmod before the fsync */
  int publish_closed;        /* API_PUBLISH: after tf_file_close() */
  const char *sponge_option; /* API_SPONGE: NULL, "--durable", "--no-sync" */
  enum crash_promise promise;
};

/* The scenarios, in report order; *count gets their number. */
const struct crash_scenario *crash_scenarios(size_t *count);
const char *crash_promise_name(enum crash_promise p);

/* Record scenario s in a fresh directory under tmpdir, explore its crash
 * states under each model, and print one line per model to out (and
 * the first violating state, if any).  The number of models whose run
 * found a violation (or could not run) is added to *failed, of those
 * that found none to *passed, and the states checked to *explored. */
void crash_run(const struct crash_scenario *s, const char *tmpdir,
               const struct crash_limits *lim, FILE *out, unsigned *passed,
               unsigned *failed, unsigned long long *explored);

/* With on, crash_run() also prints each recording, a call per line. */
void crash_show_traces(int on);

/* tmpf's main(), linked in from tools/tmpf/main.c. */
int tmpf_cli_main(int argc, char **argv);

#endif /* TF_CRASH_SCENARIO_H */
