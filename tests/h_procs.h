/* h_procs.h: processes and time for the suites: children that die with their parent, wait
   statuses as text, a monotonic clock and sleep. */
#ifndef H_PROCS_H_INCLUDED
#define H_PROCS_H_INCLUDED

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* In a forked child: die with the parent (a test that fails or times out must not leave
   workers running, holding the suite's output pipe open). */
static void die_with_parent(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(99);
}

static int wait_pid(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return status;
}
static const char *status_str(int st) {
  static char buf[4][64];
  static int next;
  char *b = buf[next++ & 3];
  if (st == -1)
    snprintf(b, 64, "waitpid failed");
  else if (WIFEXITED(st))
    snprintf(b, 64, "exit %d", WEXITSTATUS(st));
  else if (WIFSIGNALED(st))
    snprintf(b, 64, "signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
  else
    snprintf(b, 64, "status 0x%x", st);
  return b;
}
static int exited_ok(int st) {
  return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
static void sleep_ns(uint64_t ns) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ns / 1000000000ull);
  ts.tv_nsec = (long)(ns % 1000000000ull);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}
/* wait_pid, but a child still running after `seconds` (a hang, a deadlock) is killed
   and its status is that signal's. */
static int wait_pid_for(pid_t pid, unsigned seconds) {
  uint64_t end = now_ns() + (uint64_t)seconds * 1000000000ull;
  int status = 0;
  pid_t r;
  while ((r = waitpid(pid, &status, WNOHANG)) == 0 && now_ns() < end) sleep_ns(10000000);
  if (r == pid) return status;
  if (r < 0 && errno != EINTR) return -1;
  kill(pid, SIGKILL);
  return wait_pid(pid);
}

#endif /* H_PROCS_H_INCLUDED */
