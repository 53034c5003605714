/* bench/churn.h: the churn workload (benchmark A), shared by the C and C++ drivers.

   One op sequence, generated from the seed before anything is timed, identical for every
   allocator: CHURN_LIVE allocations, then CHURN_PAIRS times "free a uniformly random live
   block (swap-remove it from the live array), allocate a new one into the freed slot at
   the end". Sizes: 90% uniform 16..256, 9% uniform 257..4096, 1% uniform 4097..65536.
   Each allocated block has its first 8 bytes written.

   A run = prefill (untimed), the CHURN_CALLS timed calls, free everything (untimed).
   An allocator process does: one warm-up run, CHURN_RUNS runs timed as a whole (no
   per-call timer), then CHURN_RUNS runs with a timer around every call; it prints the
   median of each figure and its own peak RSS. */
#ifndef CHURN_H_INCLUDED
#define CHURN_H_INCLUDED

#include "bench.h"

#define CHURN_LIVE 10000u
#define CHURN_PAIRS 500000u
#define CHURN_CALLS (2u * CHURN_PAIRS)
#define CHURN_RUNS 5

typedef struct churn_ops {
  uint32_t *size;   /* CHURN_LIVE + CHURN_PAIRS request sizes */
  uint32_t *victim; /* CHURN_PAIRS indexes into the live array */
  uint64_t seed;
  uint64_t total_bytes; /* sum of all sizes, a fingerprint of the sequence */
} churn_ops;

static uint32_t churn_size(uint64_t *st) {
  uint64_t r = bench_xorshift64(st) % 1000;
  if (r < 900) return (uint32_t)bench_uniform(st, 16, 256);
  if (r < 990) return (uint32_t)bench_uniform(st, 257, 4096);
  return (uint32_t)bench_uniform(st, 4097, 65536);
}

static void churn_ops_make(churn_ops *o, uint64_t seed) {
  uint64_t st = seed ? seed : 1;
  uint32_t i;
  o->seed = seed;
  o->size = (uint32_t *)bench_map((CHURN_LIVE + CHURN_PAIRS) * sizeof(uint32_t));
  o->victim = (uint32_t *)bench_map(CHURN_PAIRS * sizeof(uint32_t));
  o->total_bytes = 0;
  for (i = 0; i < CHURN_LIVE; i++) o->total_bytes += o->size[i] = churn_size(&st);
  for (i = 0; i < CHURN_PAIRS; i++) {
    o->victim[i] = (uint32_t)bench_uniform(&st, 0, CHURN_LIVE - 1);
    o->total_bytes += o->size[CHURN_LIVE + i] = churn_size(&st);
  }
}

/* An allocator seen through three calls on a context; handles are uint64 (a pointer or a
   backing_addr). Inlined into churn_run_*, so each allocator gets its own loop with
   direct calls. */
typedef uint64_t (*churn_alloc_fn)(void *ctx, uint64_t size);
typedef void (*churn_free_fn)(void *ctx, uint64_t h);
typedef void (*churn_touch_fn)(void *ctx, uint64_t h, uint64_t v);

static __attribute__((noreturn)) void churn_alloc_failed(uint64_t size) {
  bench_die("churn: allocation of %llu bytes failed", (unsigned long long)size);
}

BENCH_INLINE void churn_prefill(void *ctx, churn_alloc_fn af, churn_touch_fn tf, const churn_ops *o,
                                uint64_t *live) {
  uint32_t i;
  for (i = 0; i < CHURN_LIVE; i++) {
    uint64_t h = af(ctx, o->size[i]);
    if (!h) churn_alloc_failed(o->size[i]);
    tf(ctx, h, i);
    live[i] = h;
  }
}

BENCH_INLINE void churn_drain(void *ctx, churn_free_fn ff, uint64_t *live) {
  uint32_t i;
  for (i = 0; i < CHURN_LIVE; i++) ff(ctx, live[i]);
}

/* One run without per-call timers; returns the nanoseconds of the CHURN_CALLS calls.
   inspect: NULL, or called with every block of the churn still live (untimed). */
BENCH_INLINE uint64_t churn_run_total(void *ctx, churn_alloc_fn af, churn_free_fn ff,
                                      churn_touch_fn tf, const churn_ops *o, uint64_t *live,
                                      void (*inspect)(void *ctx)) {
  const uint32_t *victim = o->victim, *size = o->size + CHURN_LIVE;
  uint64_t t0, t1;
  uint32_t k;
  churn_prefill(ctx, af, tf, o, live);
  t0 = bench_now_ns();
  for (k = 0; k < CHURN_PAIRS; k++) {
    uint32_t j = victim[k];
    uint64_t h;
    ff(ctx, live[j]);
    live[j] = live[CHURN_LIVE - 1];
    h = af(ctx, size[k]);
    if (!h) churn_alloc_failed(size[k]);
    tf(ctx, h, k);
    live[CHURN_LIVE - 1] = h;
  }
  t1 = bench_now_ns();
  if (inspect) inspect(ctx); /* at the end of the churn, before the drain */
  churn_drain(ctx, ff, live);
  return t1 - t0;
}

/* One run with a timer around every call: lat[2k] is the k-th free, lat[2k+1] the k-th
   alloc, in ticks (saturated at 2^32-1). The touch is outside the timed span. */
BENCH_INLINE void churn_run_percall(void *ctx, churn_alloc_fn af, churn_free_fn ff,
                                    churn_touch_fn tf, const churn_ops *o, uint64_t *live,
                                    uint32_t *lat) {
  const uint32_t *victim = o->victim, *size = o->size + CHURN_LIVE;
  uint32_t k;
  churn_prefill(ctx, af, tf, o, live);
  for (k = 0; k < CHURN_PAIRS; k++) {
    uint32_t j = victim[k];
    uint64_t h, t0, t1, t2, t3;
    t0 = bench_tick_start();
    ff(ctx, live[j]);
    t1 = bench_tick_end();
    live[j] = live[CHURN_LIVE - 1];
    t2 = bench_tick_start();
    h = af(ctx, size[k]);
    t3 = bench_tick_end();
    if (!h) churn_alloc_failed(size[k]);
    tf(ctx, h, k);
    live[CHURN_LIVE - 1] = h;
    lat[2 * k] = t1 - t0 > UINT32_MAX ? UINT32_MAX : (uint32_t)(t1 - t0);
    lat[2 * k + 1] = t3 - t2 > UINT32_MAX ? UINT32_MAX : (uint32_t)(t3 - t2);
  }
  churn_drain(ctx, ff, live);
}

/* What a driver provides for one allocator. run: lat == NULL for a whole-run timing
   (returns ns), else a per-call run (returns 0); CHURN_DEFINE_RUN makes one. */
typedef struct churn_allocator {
  const char *key;  /* result key: churn.<key>.* */
  const char *name; /* for messages */
  void *(*setup)(const char *arg);
  void (*teardown)(void *ctx, const char *arg);
  uint64_t (*run)(void *ctx, const churn_ops *o, uint64_t *live, uint32_t *lat,
                  void (*inspect)(void *ctx));
  void (*inspect)(void *ctx); /* NULL, or prints the allocator's own figures */
} churn_allocator;

/* Defines name(ctx, o, live, lat), one allocator's run function, from its three calls. */
#define CHURN_DEFINE_RUN(name, af, ff, tf)                                           \
  static BENCH_NOINLINE uint64_t name(void *ctx, const churn_ops *o, uint64_t *live, \
                                      uint32_t *lat, void (*inspect)(void *)) {      \
    if (!lat) return churn_run_total(ctx, af, ff, tf, o, live, inspect);             \
    churn_run_percall(ctx, af, ff, tf, o, live, lat);                                \
    return 0;                                                                        \
  }

/* The timer alone, CHURN_CALLS times: what the environment (interrupts, the hypervisor)
   adds to per-call figures. Fills lat. */
static void churn_timer_alone(uint32_t *lat) {
  uint32_t k;
  for (k = 0; k < CHURN_CALLS; k++) {
    uint64_t t0 = bench_tick_start(), t1 = bench_tick_end();
    lat[k] = t1 - t0 > UINT32_MAX ? UINT32_MAX : (uint32_t)(t1 - t0);
  }
}

/* Prints the CHURN_SLOWEST slowest calls of a per-call run (before lat is reordered). */
#define CHURN_SLOWEST 5
static void churn_print_slowest(const char *key, int run, const churn_ops *o, const uint32_t *lat,
                                double tick_ns) {
  uint32_t top[CHURN_SLOWEST], k;
  int n = 0, i;
  for (k = 0; k < CHURN_CALLS; k++) {
    if (n == CHURN_SLOWEST && lat[k] <= lat[top[n - 1]]) continue;
    if (n < CHURN_SLOWEST) n++;
    for (i = n - 1; i > 0 && lat[top[i - 1]] < lat[k]; i--) top[i] = top[i - 1];
    top[i] = k;
  }
  printf("R churn.%s.slowest_run%d", key, run);
  for (i = 0; i < n; i++) {
    uint32_t c = top[i], pair = c / 2;
    if (c & 1)
      printf(" alloc(%u)@%u=%.0fns", o->size[CHURN_LIVE + pair], pair, lat[c] * tick_ns);
    else
      printf(" free@%u=%.0fns", pair, lat[c] * tick_ns);
  }
  printf("\n");
}

static int churn_main(const churn_allocator *al, const char *arg) {
  churn_ops o;
  uint64_t *live;
  uint32_t *lat;
  double total[CHURN_RUNS], med[CHURN_RUNS], p999[CHURN_RUNS], mx[CHURN_RUNS];
  double tick_ns, overhead, rss_harness, tmed, tp999, tmax;
  void *ctx;
  int r;
  char key[128], sub_seed[32];

  static char outbuf[1 << 16]; /* stdout's buffer, so stdio never mallocs mid-measurement */
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
  churn_ops_make(&o, bench_seed());
  live = (uint64_t *)bench_map(CHURN_LIVE * sizeof(uint64_t));
  lat = (uint32_t *)bench_map(CHURN_CALLS * sizeof(uint32_t));
  tick_ns = bench_tick_ns();
  overhead = bench_tick_overhead();
  churn_timer_alone(lat);
  tmax = bench_max_u32(lat, CHURN_CALLS) * tick_ns;
  tmed = bench_quantile_u32(lat, CHURN_CALLS, 0.5) * tick_ns;
  tp999 = bench_quantile_u32(lat, CHURN_CALLS, 0.999) * tick_ns;
  rss_harness = bench_rss_mib();

  ctx = al->setup(arg);
  al->run(ctx, &o, live, NULL, NULL); /* warm-up */
  for (r = 0; r < CHURN_RUNS; r++)
    total[r] = (double)al->run(ctx, &o, live, NULL, NULL) / CHURN_CALLS;
  for (r = 0; r < CHURN_RUNS; r++) {
    al->run(ctx, &o, live, lat, NULL);
    churn_print_slowest(al->key, r, &o, lat, tick_ns);
    mx[r] = bench_max_u32(lat, CHURN_CALLS) * tick_ns;
    med[r] = bench_quantile_u32(lat, CHURN_CALLS, 0.5) * tick_ns;
    p999[r] = bench_quantile_u32(lat, CHURN_CALLS, 0.999) * tick_ns;
  }
  if (al->inspect) al->run(ctx, &o, live, NULL, al->inspect); /* one more, untimed */
  al->teardown(ctx, arg);

#define CHURN_KEY(suffix) (snprintf(key, sizeof key, "churn.%s.%s", al->key, suffix), key)
  bench_result(CHURN_KEY("ns_per_call"), bench_median(total, CHURN_RUNS));
  for (r = 0; r < CHURN_RUNS; r++) {
    char sub[32];
    snprintf(sub, sizeof sub, "run%d_ns_per_call", r);
    bench_result(CHURN_KEY(sub), total[r]);
  }
  bench_result(CHURN_KEY("pc_median_ns"), bench_median(med, CHURN_RUNS));
  bench_result(CHURN_KEY("pc_p999_ns"), bench_median(p999, CHURN_RUNS));
  bench_result(CHURN_KEY("pc_max_ns"), bench_median(mx, CHURN_RUNS));
  bench_result(CHURN_KEY("pc_max_worst_ns"), bench_max(mx, CHURN_RUNS));
  bench_result(CHURN_KEY("rss_mib"), bench_maxrss_mib());
  bench_result(CHURN_KEY("rss_harness_mib"), rss_harness);
  bench_result(CHURN_KEY("timer_overhead_ns"), overhead * tick_ns);
  bench_result(CHURN_KEY("timer_alone_median_ns"), tmed);
  bench_result(CHURN_KEY("timer_alone_p999_ns"), tp999);
  bench_result(CHURN_KEY("timer_alone_max_ns"), tmax);
  snprintf(sub_seed, sizeof sub_seed, "0x%016llx", (unsigned long long)o.seed);
  bench_result_s(CHURN_KEY("seed"), sub_seed);
  bench_result(CHURN_KEY("ops_total_bytes"), (double)o.total_bytes);
#undef CHURN_KEY
  bench_result_s("churn.timer", BENCH_TIMER_NAME);
  fprintf(stderr, "  churn %-22s %.1f ns/call\n", al->name, bench_median(total, CHURN_RUNS));
  bench_unmap(lat, CHURN_CALLS * sizeof(uint32_t));
  bench_unmap(live, CHURN_LIVE * sizeof(uint64_t));
  return 0;
}

#endif /* CHURN_H_INCLUDED */
