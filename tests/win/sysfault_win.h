/* SPDX-License-Identifier: MIT */
/*
 * sysfault_win.h - failures injected into the system-call table of the
 * files Windows shares with POSIX (src/win/internal_win.h), as the POSIX
 * tests' fault injector does (tests/fault.c): the nth call of an entry,
 * or every call from the nth on, fails with a chosen errno.
 */
#ifndef TF_TEST_SYSFAULT_WIN_H
#define TF_TEST_SYSFAULT_WIN_H

/* The entries that can be failed. */
enum tws_entry { TWS_PWRITE, TWS_WRITE, TWS_FTRUNCATE, TWS_LSEEK, TWS_MAPMEM };

/* Fail the nth call (1: the next) of entry with err; sticky: that call
 * and every later one.  One fault at a time; tws_clear() ends it. */
void tws_fail(enum tws_entry entry, unsigned long nth, int err, int sticky);
/* How many calls the fault made fail so far. */
unsigned long tws_fired(void);
/* The table as it was. */
void tws_clear(void);

#endif
