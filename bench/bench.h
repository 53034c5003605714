/* bench/bench.h: small helpers shared by the benchmark programs (C11 and C++).
   Clocks, a seeded xorshift64, medians and percentiles, peak RSS, result lines.

   Every program prints its figures as lines "R <key> <value>" on stdout; bench/run.sh
   collects them and builds the table. Anything else on stdout is a comment. */
#ifndef BENCH_H_INCLUDED
#define BENCH_H_INCLUDED

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BENCH_HAVE_TSC 1
#else
#define BENCH_HAVE_TSC 0
#endif

/* A function kept out of line and out of interprocedural analysis, so the loop inside is
   compiled as it would be for unknown arguments. */
#if defined(__GNUC__) && !defined(__clang__)
#define BENCH_NOINLINE __attribute__((noipa, noinline))
#else
#define BENCH_NOINLINE __attribute__((noinline))
#endif
#define BENCH_INLINE static inline __attribute__((always_inline))
/* Helpers: not every program uses every one. */
#define BENCH_FN static __attribute__((unused))

/* The fixed seed of every random sequence (override: BENCH_SEED in the environment). */
#define BENCH_SEED_DEFAULT 0x2545F4914F6CDD1DULL

BENCH_FN __attribute__((noreturn)) void bench_die(const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  fprintf(stderr, "bench: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  exit(2);
}

BENCH_FN uint64_t bench_seed(void) {
  const char *e = getenv("BENCH_SEED");
  if (e && *e) return strtoull(e, NULL, 0);
  return BENCH_SEED_DEFAULT;
}

BENCH_FN uint64_t bench_xorshift64(uint64_t *state) {
  uint64_t x = *state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *state = x;
  return x;
}

/* Uniform in [lo, hi] (the modulo bias is below 2^-40 for these ranges). */
BENCH_FN uint64_t bench_uniform(uint64_t *state, uint64_t lo, uint64_t hi) {
  return lo + bench_xorshift64(state) % (hi - lo + 1);
}

BENCH_FN uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Anonymous memory for the harness's own arrays, kept away from the allocators tested.
   Touched at once so its pages are resident before any measurement. */
BENCH_FN void *bench_map(size_t bytes) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) bench_die("mmap of %zu bytes: %s", bytes, strerror(errno));
  memset(p, 0, bytes);
  return p;
}

BENCH_FN void bench_unmap(void *p, size_t bytes) {
  munmap(p, bytes);
}

/* Peak resident set of this process in MiB (ru_maxrss is in KiB on Linux). */
BENCH_FN double bench_maxrss_mib(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
  return (double)ru.ru_maxrss / 1024.0;
}

/* Current resident set in MiB, from /proc/self/statm (-1 if unavailable). */
BENCH_FN double bench_rss_mib(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long long size = 0, res = 0;
  int n;
  if (!f) return -1;
  n = fscanf(f, "%llu %llu", &size, &res);
  fclose(f);
  if (n != 2) return -1;
  return (double)res * 4096.0 / (1024.0 * 1024.0);
}

/* No qsort here: glibc's qsort mallocs a scratch buffer, which would reach the allocator
   being measured. */

/* Median of n values (n odd in every use here; the mean of the middle two otherwise). */
BENCH_FN double bench_median(const double *v, int n) {
  double tmp[64];
  int i, j;
  if (n <= 0 || n > 64) bench_die("bench_median: bad count %d", n);
  for (i = 0; i < n; i++) { /* insertion sort */
    double x = v[i];
    for (j = i; j > 0 && tmp[j - 1] > x; j--) tmp[j] = tmp[j - 1];
    tmp[j] = x;
  }
  return (n & 1) ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

BENCH_FN double bench_max(const double *v, int n) {
  double m = v[0];
  int i;
  for (i = 1; i < n; i++)
    if (v[i] > m) m = v[i];
  return m;
}

/* The k-th smallest (0-based) of v[0..n), in place (v is reordered); quickselect. */
BENCH_FN uint32_t bench_select_u32(uint32_t *v, size_t n, size_t k) {
  ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
  while (lo < hi) {
    ptrdiff_t i = lo, j = hi, mid = lo + (hi - lo) / 2;
    uint32_t a = v[lo], b = v[mid], c = v[hi], pivot, t;
    pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        t = v[i];
        v[i] = v[j];
        v[j] = t;
        i++;
        j--;
      }
    }
    if (kk <= j)
      hi = j;
    else if (kk >= i)
      lo = i;
    else
      return v[kk];
  }
  return v[kk];
}

/* The value at quantile q (0..1] of v[0..n): the smallest value with at least q*n values at
   or below it. Reorders v. */
BENCH_FN uint32_t bench_quantile_u32(uint32_t *v, size_t n, double q) {
  size_t k = (size_t)(q * (double)n + 0.999999);
  if (k < 1) k = 1;
  if (k > n) k = n;
  return bench_select_u32(v, n, k - 1);
}

BENCH_FN uint32_t bench_max_u32(const uint32_t *v, size_t n) {
  uint32_t m = 0;
  size_t i;
  for (i = 0; i < n; i++)
    if (v[i] > m) m = v[i];
  return m;
}

/* ---- Per-call ticks: rdtsc calibrated against CLOCK_MONOTONIC, else the clock itself. */

#if BENCH_HAVE_TSC
BENCH_INLINE uint64_t bench_tick_start(void) {
  _mm_lfence(); /* earlier work done before the read */
  return __rdtsc();
}
BENCH_INLINE uint64_t bench_tick_end(void) {
  unsigned aux;
  return __rdtscp(&aux); /* waits for the timed work */
}
#define BENCH_TIMER_NAME "lfence+rdtsc / rdtscp, calibrated against CLOCK_MONOTONIC"
#else
BENCH_INLINE uint64_t bench_tick_start(void) {
  return bench_now_ns();
}
BENCH_INLINE uint64_t bench_tick_end(void) {
  return bench_now_ns();
}
#define BENCH_TIMER_NAME "clock_gettime(CLOCK_MONOTONIC)"
#endif

/* Nanoseconds per tick. */
BENCH_FN double bench_tick_ns(void) {
#if BENCH_HAVE_TSC
  uint64_t n0 = bench_now_ns(), t0 = bench_tick_start(), n1, t1;
  do n1 = bench_now_ns();
  while (n1 - n0 < 100000000ull); /* 100 ms */
  t1 = bench_tick_end();
  return (double)(n1 - n0) / (double)(t1 - t0);
#else
  return 1.0;
#endif
}

/* Median cost in ticks of an empty start/end pair (the timer's own overhead). */
BENCH_FN double bench_tick_overhead(void) {
  static uint32_t v[20001];
  size_t i, n = sizeof v / sizeof v[0];
  for (i = 0; i < n; i++) {
    uint64_t a = bench_tick_start(), b = bench_tick_end();
    v[i] = (uint32_t)(b - a);
  }
  return (double)bench_quantile_u32(v, n, 0.5);
}

BENCH_FN void bench_result(const char *key, double value) {
  printf("R %s %.10g\n", key, value);
}
BENCH_FN void bench_result_s(const char *key, const char *value) {
  printf("R %s %s\n", key, value);
}

#endif /* BENCH_H_INCLUDED */
