/* bench/typed.c: benchmark B (typed get loop). Usage: bench-typed LABEL
   A MEMORY store (arena_size 512 MiB) holds one 256 MiB block of int32 i at index i.
   It is summed with backing_get_i32 and with a plain int32_t pointer from backing_ptr,
   each loop in its own out-of-line function; a warm-up pass of each, then TYPED_RUNS
   rounds of one pass each, the order alternating between rounds. Prints the median ms per pass.
   Built at -O2 and -O3 -march=native; LABEL names the build in the result keys. */
#define _GNU_SOURCE
#define BACKING_IMPLEMENTATION
#include "../backing.h"
#include "bench.h"

#define TYPED_BYTES (256ull << 20)
#define TYPED_COUNT (TYPED_BYTES / 4)
#define TYPED_RUNS 5

static BENCH_NOINLINE int64_t sum_backing(backing *s, backing_addr a, uint64_t n) {
  int64_t sum = 0;
  uint64_t i;
  for (i = 0; i < n; i++) sum += backing_get_i32(s, a + 4 * i);
  return sum;
}

static BENCH_NOINLINE int64_t sum_plain(const int32_t *p, uint64_t n) {
  int64_t sum = 0;
  uint64_t i;
  for (i = 0; i < n; i++) sum += p[i];
  return sum;
}

static volatile int64_t sink;

int main(int argc, char **argv) {
  const char *label = argc > 1 ? argv[1] : "default";
  const int64_t expect = (int64_t)(TYPED_COUNT * (TYPED_COUNT - 1) / 2);
  backing_config cfg;
  backing *s;
  backing_addr a;
  const int32_t *p;
  double plain[TYPED_RUNS], typed[TYPED_RUNS];
  char key[128];
  uint64_t i, t0;
  int err, r;

  memset(&cfg, 0, sizeof cfg);
  cfg.source = BACKING_SOURCE_MEMORY;
  cfg.arena_size = 512ull << 20;
  err = backing_open(&s, &cfg);
  if (err) bench_die("typed: backing_open: %s", backing_strerror(err));
  a = backing_alloc(s, TYPED_BYTES);
  if (!a) bench_die("typed: alloc 256 MiB: %s", backing_strerror(backing_last_error()));
  for (i = 0; i < TYPED_COUNT; i++) backing_set_i32(s, a + 4 * i, (int32_t)i);
  p = (const int32_t *)backing_ptr(s, a);
  if (!p) bench_die("typed: backing_ptr: %s", backing_strerror(backing_last_error()));

  /* warm-up, and a check that both loops see the same numbers */
  if (sum_plain(p, TYPED_COUNT) != expect || sum_backing(s, a, TYPED_COUNT) != expect)
    bench_die("typed: wrong sum");
  for (r = 0; r < TYPED_RUNS; r++) { /* plain first in even rounds, backing in odd ones */
    int k;
    for (k = 0; k < 2; k++) {
      t0 = bench_now_ns();
      if ((k ^ r) & 1) {
        sink = sum_backing(s, a, TYPED_COUNT);
        typed[r] = (double)(bench_now_ns() - t0) / 1e6;
      } else {
        sink = sum_plain(p, TYPED_COUNT);
        plain[r] = (double)(bench_now_ns() - t0) / 1e6;
      }
    }
  }
  backing_close(s);

  snprintf(key, sizeof key, "typed.%s.plain_ms", label);
  bench_result(key, bench_median(plain, TYPED_RUNS));
  snprintf(key, sizeof key, "typed.%s.backing_ms", label);
  bench_result(key, bench_median(typed, TYPED_RUNS));
  for (r = 0; r < TYPED_RUNS; r++) {
    snprintf(key, sizeof key, "typed.%s.run%d_plain_ms", label, r);
    bench_result(key, plain[r]);
    snprintf(key, sizeof key, "typed.%s.run%d_backing_ms", label, r);
    bench_result(key, typed[r]);
  }
  fprintf(stderr, "  typed %-10s plain %.1f ms, backing %.1f ms\n", label,
          bench_median(plain, TYPED_RUNS), bench_median(typed, TYPED_RUNS));
  return 0;
}
