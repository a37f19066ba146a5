/* SPDX-License-Identifier: MIT */
/*
 * peak_rss.c - run a command and write its peak resident set size, in
 * KiB, to a file: `peak_rss OUT COMMAND [ARG]...`.  The CLI tests use it
 * to bound tmpf's memory without depending on GNU time.  Exits with the
 * command's status (128 + N if signal N killed it; 127 if it could not
 * be run).
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  struct rusage ru;
  int status;
  pid_t pid;
  FILE *out;
  if (argc < 3) {
    fputs("usage: peak_rss OUT COMMAND [ARG]...\n", stderr);
    return 2;
  }
  pid = fork();
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    _exit(127);
  }
  if (pid < 0 || wait4(pid, &status, 0, &ru) != pid) {
    perror("peak_rss");
    return 127;
  }
  out = fopen(argv[1], "w");
  if (out == NULL || fprintf(out, "%ld\n", ru.ru_maxrss) < 0 ||
      fclose(out) != 0) {
    perror(argv[1]);
    return 127;
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
