/* SPDX-License-Identifier: MIT */
/*
 * fault.h - the tests' fault injector (fault.c), which puts wrappers in
 * front of the library's system-call table (tf__sys) before main(): it
 * fails the Nth call with a chosen errno, counts calls and allocations,
 * hides d_type and chooses names.  Includes the library's internal.h.
 */
#ifndef TF_TEST_FAULT_H
#define TF_TEST_FAULT_H

#include "internal.h"

/* The nth call of entry sys_id (TF_SYS_ANY: of any entry) from now fails
 * with err; then the calls succeed again. */
void tf__fault_arm(int sys_id, unsigned long nth, int err);
/* As tf__fault_arm(), but every matching call from the nth on fails. */
void tf__fault_arm_sticky(int sys_id, unsigned long nth, int err);
void tf__fault_disarm(void);
/* Whether the armed call came, and which entry it was. */
int tf__fault_fired(void);
int tf__fault_fired_id(void);
/* The name of entry sys_id ("openat"), "?" if none. */
const char *tf__sys_name(int sys_id);
/* Calls made through the table (free excepted), ever. */
unsigned long tf__sys_calls(void);
/* Allocations of the table (malloc, mapmem) not yet released. */
long tf__alloc_outstanding(void);
/* The next names' random parts come from this list, in order, then from
 * the CSPRNG again.  NULL clears it. */
void tf__test_names(const char *const *names, size_t count);
/* Reads of the CSPRNG (getrandom entry) made, ever. */
unsigned long tf__random_refills(void);
/* Listings report every entry as DT_UNKNOWN, as some file systems do,
 * while on is nonzero. */
void tf__test_hide_dtype(int on);
/* Bytes of memory the spool holds for data (tf__spool_memory()). */
size_t tf__test_spool_memory(const tf_spool *s);

#endif /* TF_TEST_FAULT_H */
