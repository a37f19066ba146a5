/* SPDX-License-Identifier: MIT */
/*
 * default_signals.c - runs a command as if from a fresh shell: every
 * signal at its default action and none blocked.  make check runs the
 * command line's tests through it, since a shell cannot undo a signal
 * ignored when it started (POSIX), and `nohup make check` or
 * `make check &` from a script starts them with SIGHUP or SIGINT and
 * SIGQUIT ignored, which the signal tests of tmpf run and sponge see.
 * Usage: default-signals COMMAND [ARG...]
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  struct sigaction dfl;
  sigset_t none;
  int sig;
  if (argc < 2) {
    fputs("usage: default-signals COMMAND [ARG...]\n", stderr);
    return 2;
  }
  memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (sig = 1; sig < NSIG; sig++)
    sigaction(sig, &dfl, NULL); /* fails harmlessly for KILL and STOP */
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execvp(argv[1], argv + 1);
  perror(argv[1]);
  return 127;
}
