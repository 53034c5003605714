/* bench/gc.c: benchmarks D, E and F (the garbage collector). One subject per process:

     bench-gc cycle N     D: a MEMORY store holding N referenced GC blocks
                          (gc_alloc(64, 1, 1)), lifetime 1. Before each cycle, untimed,
                          10 waiting blocks are made (gc_alloc(64, 1, 0)); then one
                          backing_gc_cycle, timed alone, must free exactly those 10.
                          GC_WARMUP cycles, then GC_CYCLES timed: median microseconds.
                          Also the median of an empty cycle (nothing waiting).
     bench-gc refs        E: GC_REF_PAIRS gc_ref + gc_unref pairs on one block held at
                          count >= 1 (1 -> 2 -> 1, never 0), ns per call; GC_REF_PAIRS refs
                          in a row then as many unrefs (count up to GC_REF_PAIRS + 1 and back
                          to 1), ns per ref and per unref; and 2 * GC_REF_PAIRS
                          __atomic_fetch_add(SEQ_CST) on a uint64_t in ordinary memory, ns
                          per add. Each loop in its own out-of-line function; one warm-up
                          round, then GC_REF_RUNS rounds: medians.
     bench-gc plain       F: benchmark A's churn (churn.h: same ops, seed, runs) with
     bench-gc gc             backing_alloc / backing_free, or with gc_alloc(size, 1, 0) /
                             gc_free (a block waits from birth; gc_free frees it at once),
                             on a MEMORY store with the all-zero config. */
#define _GNU_SOURCE
#define BACKING_IMPLEMENTATION
#include "../backing.h"
#include "churn.h"

#define GC_BLOCK 64   /* usable bytes of every block of D and E */
#define GC_TYPE 1     /* the type tag of every GC block here */
#define GC_WAITING 10 /* blocks freed by each timed cycle of D */
/* Untimed cycles before D's timed ones: with a few dozen, N = 1,000 was still unsteady. */
#define GC_WARMUP 10001
#define GC_CYCLES 201 /* timed cycles of D */
#define GC_REF_PAIRS 10000000u
#define GC_REF_RUNS 5

static backing *open_memory(void) {
  backing_config cfg;
  backing *s;
  int err;
  memset(&cfg, 0, sizeof cfg);
  cfg.source = BACKING_SOURCE_MEMORY;
  err = backing_open(&s, &cfg);
  if (err) bench_die("gc: backing_open: %s", backing_strerror(err));
  return s;
}

static void check_and_close(backing *s, const char *what) {
  int err;
  if (backing_check(s) != 0)
    bench_die("gc %s: backing_check failed: %s", what, backing_check_detail(s));
  err = backing_close(s);
  if (err) bench_die("gc %s: backing_close: %s", what, backing_strerror(err));
}

static uint64_t gc_waiting(backing *s) {
  backing_stats st;
  if (backing_stat(s, &st) != 0) bench_die("gc: backing_stat failed");
  return st.gc_waiting;
}

/* ---- D: one cycle against N referenced blocks */

/* Makes GC_WAITING waiting blocks; returns the bytes a cycle must free for them. */
static uint64_t make_waiting(backing *s) {
  uint64_t bytes = 0;
  int k;
  for (k = 0; k < GC_WAITING; k++) {
    backing_addr a = backing_gc_alloc(s, GC_BLOCK, GC_TYPE, 0);
    if (!a) bench_die("gc cycle: gc_alloc: %s", backing_strerror(backing_last_error()));
    bytes += backing_gc_sizeof(s, a) + 16;
  }
  return bytes;
}

/* One timed cycle, in ticks; it must free `expect` bytes. */
static uint32_t timed_cycle(backing *s, uint64_t expect) {
  uint64_t t0, t1, freed;
  t0 = bench_tick_start();
  freed = backing_gc_cycle(s);
  t1 = bench_tick_end();
  if (freed != expect)
    bench_die("gc cycle: freed %llu bytes, expected %llu", (unsigned long long)freed,
              (unsigned long long)expect);
  return t1 - t0 > UINT32_MAX ? UINT32_MAX : (uint32_t)(t1 - t0);
}

static int cycle_main(uint64_t n) {
  static uint32_t ticks[GC_CYCLES], empty[GC_CYCLES];
  backing_stats st;
  backing *s;
  double tick_ns = bench_tick_ns();
  uint64_t i;
  char key[96];
  int k;

  s = open_memory();
  if (backing_gc_set_lifetime(s, 1) != 0) bench_die("gc cycle: set_lifetime failed");
  for (i = 0; i < n; i++)
    if (!backing_gc_alloc(s, GC_BLOCK, GC_TYPE, 1))
      bench_die("gc cycle: gc_alloc %llu: %s", (unsigned long long)i,
                backing_strerror(backing_last_error()));
  if (gc_waiting(s) != 0) bench_die("gc cycle: referenced blocks are waiting");

  for (k = 0; k < GC_WARMUP; k++) timed_cycle(s, make_waiting(s));
  for (k = 0; k < GC_CYCLES; k++) { /* the order alternates: full cycle first, then empty */
    if (k & 1) empty[k] = timed_cycle(s, 0);
    ticks[k] = timed_cycle(s, make_waiting(s));
    if (!(k & 1)) empty[k] = timed_cycle(s, 0);
  }
  if (gc_waiting(s) != 0) bench_die("gc cycle: blocks still waiting after the cycles");
  if (backing_stat(s, &st) != 0) bench_die("gc cycle: backing_stat failed");
  if (st.used_blocks < n) bench_die("gc cycle: a referenced block was freed");

#define GC_KEY(suffix) \
  (snprintf(key, sizeof key, "gc.cycle.%llu.%s", (unsigned long long)n, suffix), key)
  bench_result(GC_KEY("max_us"), bench_max_u32(ticks, GC_CYCLES) * tick_ns / 1e3);
  bench_result(GC_KEY("p90_us"), bench_quantile_u32(ticks, GC_CYCLES, 0.9) * tick_ns / 1e3);
  bench_result(GC_KEY("us"), bench_quantile_u32(ticks, GC_CYCLES, 0.5) * tick_ns / 1e3);
  bench_result(GC_KEY("min_us"), bench_quantile_u32(ticks, GC_CYCLES, 0.0) * tick_ns / 1e3);
  bench_result(GC_KEY("empty_us"), bench_quantile_u32(empty, GC_CYCLES, 0.5) * tick_ns / 1e3);
  bench_result(GC_KEY("arena_count"), (double)st.arena_count);
  bench_result(GC_KEY("used_blocks"), (double)st.used_blocks);
  bench_result(GC_KEY("rss_mib"), bench_maxrss_mib());
#undef GC_KEY
  fprintf(stderr, "  gc cycle N=%-8llu %.2f us (empty %.2f us, %llu arenas)\n",
          (unsigned long long)n, bench_quantile_u32(ticks, GC_CYCLES, 0.5) * tick_ns / 1e3,
          bench_quantile_u32(empty, GC_CYCLES, 0.5) * tick_ns / 1e3,
          (unsigned long long)st.arena_count);
  check_and_close(s, "cycle");
  return 0;
}

/* ---- E: ref / unref against a plain atomic add */

/* Each returns the sum of the counts returned, checked by the caller. */
static BENCH_NOINLINE uint64_t ref_unref_pairs(backing *s, backing_addr a, uint32_t n) {
  uint64_t sum = 0;
  uint32_t i;
  for (i = 0; i < n; i++) {
    sum += backing_gc_ref(s, a);
    sum += backing_gc_unref(s, a);
  }
  return sum;
}
static BENCH_NOINLINE uint64_t refs_only(backing *s, backing_addr a, uint32_t n) {
  uint64_t sum = 0;
  uint32_t i;
  for (i = 0; i < n; i++) sum += backing_gc_ref(s, a);
  return sum;
}
static BENCH_NOINLINE uint64_t unrefs_only(backing *s, backing_addr a, uint32_t n) {
  uint64_t sum = 0;
  uint32_t i;
  for (i = 0; i < n; i++) sum += backing_gc_unref(s, a);
  return sum;
}
static BENCH_NOINLINE uint64_t atomic_adds(uint64_t *p, uint32_t n) {
  uint64_t sum = 0;
  uint32_t i;
  for (i = 0; i < n; i++) sum += __atomic_fetch_add(p, 1, __ATOMIC_SEQ_CST);
  return sum;
}

static _Alignas(64) uint64_t plain_counter; /* ordinary memory, its own cache line */
static volatile uint64_t sink;

static int refs_main(void) {
  const uint64_t n = GC_REF_PAIRS;
  double pair[GC_REF_RUNS], ref[GC_REF_RUNS], unref[GC_REF_RUNS], add[GC_REF_RUNS];
  backing *s = open_memory();
  backing_addr a = backing_gc_alloc(s, GC_BLOCK, GC_TYPE, 1);
  char key[96];
  int r;
  if (!a) bench_die("gc refs: gc_alloc: %s", backing_strerror(backing_last_error()));
  for (r = -1; r < GC_REF_RUNS; r++) { /* round -1 is the warm-up */
    uint64_t t0, t1, t2, t3, t4, got, c0 = plain_counter;
    t0 = bench_now_ns();
    got = ref_unref_pairs(s, a, GC_REF_PAIRS);
    t1 = bench_now_ns();
    if (got != 3 * n) bench_die("gc refs: pairs returned %llu", (unsigned long long)got);
    got = refs_only(s, a, GC_REF_PAIRS); /* counts 2 .. n + 1 */
    t2 = bench_now_ns();
    if (got != n * (n + 3) / 2) bench_die("gc refs: refs returned %llu", (unsigned long long)got);
    got = unrefs_only(s, a, GC_REF_PAIRS); /* counts n .. 1 */
    t3 = bench_now_ns();
    if (got != n * (n + 1) / 2) bench_die("gc refs: unrefs returned %llu", (unsigned long long)got);
    sink = atomic_adds(&plain_counter, 2 * GC_REF_PAIRS);
    t4 = bench_now_ns();
    if (plain_counter != c0 + 2 * n) bench_die("gc refs: atomic counter is off");
    if (backing_gc_refcount(s, a) != 1) bench_die("gc refs: count is not back to 1");
    if (r < 0) continue;
    pair[r] = (double)(t1 - t0) / (2.0 * n);
    ref[r] = (double)(t2 - t1) / (double)n;
    unref[r] = (double)(t3 - t2) / (double)n;
    add[r] = (double)(t4 - t3) / (2.0 * n);
  }
  bench_result("gc.refs.pair_ns_per_call", bench_median(pair, GC_REF_RUNS));
  bench_result("gc.refs.ref_ns", bench_median(ref, GC_REF_RUNS));
  bench_result("gc.refs.unref_ns", bench_median(unref, GC_REF_RUNS));
  bench_result("gc.refs.atomic_add_ns", bench_median(add, GC_REF_RUNS));
  for (r = 0; r < GC_REF_RUNS; r++) {
    snprintf(key, sizeof key, "gc.refs.run%d_pair_ref_unref_add_ns", r);
    printf("R %s %.3f %.3f %.3f %.3f\n", key, pair[r], ref[r], unref[r], add[r]);
  }
  fprintf(stderr,
          "  gc refs: ref+unref pairs %.2f ns/call, ref %.2f, unref %.2f, atomic add %.2f\n",
          bench_median(pair, GC_REF_RUNS), bench_median(ref, GC_REF_RUNS),
          bench_median(unref, GC_REF_RUNS), bench_median(add, GC_REF_RUNS));
  check_and_close(s, "refs");
  return 0;
}

/* ---- F: the churn, plain and GC */

BENCH_INLINE uint64_t p_alloc(void *ctx, uint64_t size) {
  return backing_alloc((backing *)ctx, size);
}
BENCH_INLINE void p_free(void *ctx, uint64_t h) {
  if (!backing_free((backing *)ctx, h))
    bench_die("backing_free(%llu): %s", (unsigned long long)h,
              backing_strerror(backing_last_error()));
}
BENCH_INLINE uint64_t g_alloc(void *ctx, uint64_t size) {
  return backing_gc_alloc((backing *)ctx, size, GC_TYPE, 0);
}
BENCH_INLINE void g_free(void *ctx, uint64_t h) {
  if (!backing_gc_free((backing *)ctx, h))
    bench_die("backing_gc_free(%llu): %s", (unsigned long long)h,
              backing_strerror(backing_last_error()));
}
BENCH_INLINE void b_touch(void *ctx, uint64_t h, uint64_t v) {
  backing_set_u64((backing *)ctx, h, v);
}
CHURN_DEFINE_RUN(plain_run, p_alloc, p_free, b_touch)
CHURN_DEFINE_RUN(gc_run, g_alloc, g_free, b_touch)

static void *churn_setup(const char *arg) {
  backing_config cfg;
  backing *s;
  int err;
  (void)arg;
  memset(&cfg, 0, sizeof cfg); /* the all-zero config, as in A */
  err = backing_open(&s, &cfg);
  if (err) bench_die("gc churn: backing_open: %s", backing_strerror(err));
  return s;
}
static void churn_teardown(void *ctx, const char *arg) {
  backing *s = (backing *)ctx;
  (void)arg;
  if (gc_waiting(s) != 0) bench_die("gc churn: blocks left waiting after the drain");
  check_and_close(s, "churn");
}
static void gc_inspect(void *ctx) { /* every churn block waits, none is lost */
  bench_result("churn.gcf_gc.peak_gc_waiting", (double)gc_waiting((backing *)ctx));
}

static const churn_allocator churns[] = {
    {"gcf_plain", "F backing_alloc/free", churn_setup, churn_teardown, plain_run, NULL},
    {"gcf_gc", "F gc_alloc/gc_free", churn_setup, churn_teardown, gc_run, gc_inspect},
};

int main(int argc, char **argv) {
  const char *which = argc > 1 ? argv[1] : "";
  if (strcmp(which, "cycle") == 0 && argc > 2) return cycle_main(strtoull(argv[2], NULL, 0));
  if (strcmp(which, "refs") == 0) return refs_main();
  if (strcmp(which, "plain") == 0) return churn_main(&churns[0], NULL);
  if (strcmp(which, "gc") == 0) return churn_main(&churns[1], NULL);
  fprintf(stderr, "usage: %s cycle N | refs | plain | gc\n", argv[0]);
  return 2;
}
