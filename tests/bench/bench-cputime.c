/* bench-cputime: prints the CPU time used so far by a running process, in
 * nanoseconds: every thread, including threads that already exited, read
 * from the process's CPU-time clock (exact, unlike the clock ticks of
 * /proc/PID/stat).
 *
 *   bench-cputime PID */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
main (int argc, char **argv)
{
  clockid_t clock;
  struct timespec ts;
  long pid;
  int err;

  if (argc != 2 || (pid = strtol (argv[1], NULL, 10)) <= 0) {
    fprintf (stderr, "usage: %s PID\n", argv[0]);
    return 2;
  }
  err = clock_getcpuclockid ((pid_t) pid, &clock);
  if (err != 0) {
    fprintf (stderr, "bench-cputime: process %ld: %s\n", pid, strerror (err));
    return 1;
  }
  if (clock_gettime (clock, &ts) != 0) {
    perror ("bench-cputime");
    return 1;
  }
  printf ("%lld\n", (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec);
  return 0;
}
