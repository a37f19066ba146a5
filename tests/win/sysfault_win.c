/* SPDX-License-Identifier: MIT */
/*
 * sysfault_win.c - the tests' fault injector for the Windows table
 * (sysfault_win.h): the entry is replaced by a wrapper that counts calls
 * and fails the chosen ones, passing the others to the real call.
 */
#include "win/internal_win.h"

#include "sysfault_win.h"

static struct tf__sys_table saved;
static int armed, fault_err, fault_sticky;
static unsigned long calls, fault_nth, fired;

/* Whether this call fails (errno set). */
static int fails(void) {
  calls++;
  if (calls < fault_nth || (calls > fault_nth && !fault_sticky))
    return 0;
  fired++;
  errno = fault_err;
  return 1;
}

static ssize_t pwrite_fault(int fd, const void *b, size_t n, int64_t off) {
  return fails() ? -1 : saved.pwrite(fd, b, n, off);
}

static ssize_t write_fault(int fd, const void *b, size_t n) {
  return fails() ? -1 : saved.write(fd, b, n);
}

static int ftruncate_fault(int fd, int64_t size) {
  return fails() ? -1 : saved.ftruncate(fd, size);
}

static int64_t lseek_fault(int fd, int64_t off, int whence) {
  return fails() ? -1 : saved.lseek(fd, off, whence);
}

static int mapmem_fault(size_t n, void **out) {
  return fails() ? -1 : saved.mapmem(n, out);
}

void tws_fail(enum tws_entry entry, unsigned long nth, int err, int sticky) {
  tws_clear();
  saved = tf__sys;
  armed = 1;
  calls = fired = 0;
  fault_nth = nth;
  fault_err = err;
  fault_sticky = sticky;
  switch (entry) {
  case TWS_PWRITE:
    tf__sys.pwrite = pwrite_fault;
    break;
  case TWS_WRITE:
    tf__sys.write = write_fault;
    break;
  case TWS_FTRUNCATE:
    tf__sys.ftruncate = ftruncate_fault;
    break;
  case TWS_LSEEK:
    tf__sys.lseek = lseek_fault;
    break;
  case TWS_MAPMEM:
    tf__sys.mapmem = mapmem_fault;
    break;
  }
}

unsigned long tws_fired(void) { return fired; }

void tws_clear(void) {
  if (armed)
    tf__sys = saved;
  armed = 0;
}
