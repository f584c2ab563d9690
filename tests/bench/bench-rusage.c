/* bench-rusage: runs a command and reports its wall time and the CPU time
 * of the whole process (every thread, every waited-for descendant), as
 * the kernel accounts it (microseconds, not clock ticks).
 *
 *   bench-rusage RESULT-FILE COMMAND [ARGS...]
 *
 * RESULT-FILE gets one line:
 *   wall=SECONDS user=SECONDS sys=SECONDS maxrss_kib=KIB status=EXIT
 * SIGINT and SIGTERM are passed on to the command, so a script can stop a
 * server it started through this wrapper and still get its figures. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child_pid;

static void
forward_signal (int sig)
{
  if (child_pid > 0)
    kill (child_pid, sig);
}

static double
timeval_seconds (const struct timeval *tv)
{
  return tv->tv_sec + tv->tv_usec / 1e6;
}

static double
now_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main (int argc, char **argv)
{
  struct sigaction sa;
  struct rusage ru;
  double start, wall;
  int status = 0, code;
  pid_t pid;
  FILE *out;

  if (argc < 3) {
    fprintf (stderr, "usage: %s RESULT-FILE COMMAND [ARGS...]\n", argv[0]);
    return 2;
  }

  memset (&sa, 0, sizeof (sa));
  sa.sa_handler = forward_signal;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);

  start = now_seconds ();
  pid = fork ();
  if (pid < 0) {
    perror ("fork");
    return 2;
  }
  if (pid == 0) {
    execvp (argv[2], argv + 2);
    fprintf (stderr, "bench-rusage: cannot run %s: %s\n", argv[2],
        strerror (errno));
    _exit (127);
  }
  child_pid = pid;

  while (wait4 (pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      perror ("wait4");
      return 2;
    }
  }
  wall = now_seconds () - start;

  if (WIFEXITED (status))
    code = WEXITSTATUS (status);
  else
    code = 128 + WTERMSIG (status);

  out = fopen (argv[1], "w");
  if (out == NULL) {
    perror (argv[1]);
    return 2;
  }
  fprintf (out, "wall=%.3f user=%.3f sys=%.3f maxrss_kib=%ld status=%d\n",
      wall, timeval_seconds (&ru.ru_utime), timeval_seconds (&ru.ru_stime),
      ru.ru_maxrss, code);
  fclose (out);
  return code;
}
