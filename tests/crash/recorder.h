/* SPDX-License-Identifier: MIT */
/*
 * recorder.h - records the file-system effects of a scenario through the
 * library's system-call table (tf__sys_os): no ptrace, no LD_PRELOAD.
 * Only the directory given to crash_record_start() and the files in it
 * are traced.
 */
#ifndef TF_CRASH_RECORDER_H
#define TF_CRASH_RECORDER_H

#include "trace.h"

/* What the recorder refuses in the traced directory, as a file system
 * or kernel without it would, so the library takes its other path. */
#define CRASH_REFUSE_TMPFILE 0x1u   /* open O_TMPFILE: EOPNOTSUPP */
#define CRASH_REFUSE_RENAMEAT2 0x2u /* renameat2: ENOSYS */

/* Snapshot the directory open at dirfd into t->initial and put the
 * recorder's wrappers into the table, refusing what refuse says.  0 or
 * -errno. */
int crash_record_start(struct crash_trace *t, int dirfd, unsigned int refuse);
/* Put the table back.  0, or -ENOMEM if an effect could not be stored
 * (the trace is then incomplete and must not be explored). */
int crash_record_stop(void);
/* A point of the scenario, e.g. "returned". */
void crash_record_mark(const char *what);
/* fsync(2) and fchmod(2) as a program calls them (they do not go
 * through the table): made, and recorded, through the table. */
int crash_record_fsync(int fd);
int crash_record_fchmod(int fd, unsigned int mode);

#endif /* TF_CRASH_RECORDER_H */
