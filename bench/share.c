/* bench/share.c: throughput when threads share a handle and processes share a store.

   threads N          N threads on one MEMORY handle, each churning its own 5,000 live
                      blocks (free a random one, allocate a new one; sizes U[16,256]),
                      1,000,000 calls per thread. Total calls per microsecond.
   separate N         the same, but every thread has a store of its own: what the machine
                      gives N independent allocators, the ceiling for "threads N".
   procs N DIR        N processes on one MMAP store in DIR, 1,000,000 calls each.

   Every figure is the median of 5 runs after a warm-up run. Prints "R <key> <value>". */
#define BACKING_IMPLEMENTATION
#include "../backing.h"

#include "bench.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIVE 5000
#define CALLS 1000000
#define RUNS 5

struct worker {
  backing *s;
  int own_store;
  uint64_t seed;
  int ok;
};

static void churn(backing *s, uint64_t seed, int *ok) {
  static __thread backing_addr live[LIVE];
  uint64_t r = seed | 1;
  int i;
  *ok = 1;
  for (i = 0; i < LIVE; i++) live[i] = backing_alloc(s, 16 + bench_xorshift64(&r) % 241);
  for (i = 0; i < CALLS / 2; i++) {
    uint64_t x = bench_xorshift64(&r);
    int k = (int)(x % LIVE);
    if (backing_free(s, live[k]) == 0) *ok = 0;
    live[k] = backing_alloc(s, 16 + (x >> 32) % 241);
    if (!live[k]) *ok = 0;
  }
  for (i = 0; i < LIVE; i++) backing_free(s, live[i]);
}

static void *thread_main(void *arg) {
  struct worker *w = (struct worker *)arg;
  backing *s = w->s;
  if (w->own_store) {
    backing_config c;
    memset(&c, 0, sizeof c);
    if (backing_open(&s, &c) != 0) bench_die("open failed");
  }
  churn(s, w->seed, &w->ok);
  if (w->own_store) backing_close(s);
  return NULL;
}

/* Calls per microsecond, all threads together. */
static double run_threads(int n, int separate) {
  backing *s = NULL;
  backing_config c;
  pthread_t th[16];
  struct worker w[16];
  double t0, t1;
  int i;
  memset(&c, 0, sizeof c);
  if (!separate && backing_open(&s, &c) != 0) bench_die("open failed");
  t0 = (double)bench_now_ns() * 1e-9;
  for (i = 0; i < n; i++) {
    w[i].s = s;
    w[i].own_store = separate;
    w[i].seed = bench_seed() + (uint64_t)i * 0x9E3779B97F4A7C15ull;
    if (pthread_create(&th[i], NULL, thread_main, &w[i]) != 0) bench_die("pthread_create");
  }
  for (i = 0; i < n; i++) pthread_join(th[i], NULL);
  t1 = (double)bench_now_ns() * 1e-9;
  for (i = 0; i < n; i++)
    if (!w[i].ok) bench_die("an allocation or free failed");
  if (s) {
    if (backing_check(s) != 0) bench_die("check failed: %s", backing_check_detail(s));
    backing_close(s);
  }
  return (double)n * CALLS / ((t1 - t0) * 1e6);
}

static double run_procs(int n, const char *dir) {
  backing_config c;
  backing *s;
  double t0, t1;
  int i, bad = 0;
  memset(&c, 0, sizeof c);
  c.dirname = dir;
  c.name = "share";
  backing_destroy(&c);
  if (backing_open(&s, &c) != 0) bench_die("open failed");
  t0 = (double)bench_now_ns() * 1e-9;
  for (i = 0; i < n; i++) {
    pid_t p = fork();
    if (p < 0) bench_die("fork");
    if (p == 0) {
      backing *cs;
      int ok = 0;
      if (backing_open(&cs, &c) != 0) _exit(3);
      churn(cs, bench_seed() + (uint64_t)i * 7919, &ok);
      backing_close(cs);
      _exit(ok ? 0 : 4);
    }
  }
  for (i = 0; i < n; i++) {
    int st;
    if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) bad++;
  }
  t1 = (double)bench_now_ns() * 1e-9;
  if (bad) bench_die("%d worker processes failed", bad);
  if (backing_check(s) != 0) bench_die("check failed: %s", backing_check_detail(s));
  backing_close(s);
  backing_destroy(&c);
  return (double)n * CALLS / ((t1 - t0) * 1e6);
}

int main(int argc, char **argv) {
  double v[RUNS];
  int n, i, procs;
  char key[64];
  if (argc < 3) bench_die("usage: %s threads|separate|procs N [DIR]", argv[0]);
  n = atoi(argv[2]);
  procs = strcmp(argv[1], "procs") == 0;
  if (n < 1 || n > 16 || (procs && argc < 4)) bench_die("bad arguments");
  for (i = -1; i < RUNS; i++) { /* run -1 warms up */
    double x = procs ? run_procs(n, argv[3]) : run_threads(n, strcmp(argv[1], "separate") == 0);
    if (i >= 0) v[i] = x;
  }
  snprintf(key, sizeof key, "share.%s%d.calls_per_us", argv[1], n);
  bench_result(key, bench_median(v, RUNS));
  printf("  share %-8s %d: %.1f calls/us\n", argv[1], n, bench_median(v, RUNS));
  return 0;
}
