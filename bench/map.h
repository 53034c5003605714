/* bench/map.h: the workload of benchmark H (string-keyed maps), shared by the C and C++
   drivers (bench/map.c, map_boost.cpp, map_lmdb.c, map_std.cpp).

   MAP_N keys (default 1,000,000; MAP_N in the environment overrides it, for quick tries),
   made from the seed before anything is timed, identical for every map: key i is 8 to 24
   bytes (uniform), its first 8 bytes the hex of a bijective 32-bit mix of i (so keys are
   distinct), the rest random [a-z0-9]. Key i's value is the 8-byte integer i + 1.
   Inserts go in index order; lookups in one fixed random permutation of the keys.

   A subject's process does: a warm-up build (one lookup pass), then MAP_RUNS builds (default 3),
   each into a fresh map: all keys inserted (timed as a whole), then MAP_PASSES lookup passes over
   every key (each timed as a whole; every value is checked through a sum). Figures: the
   median insert ns/op over the builds and the median lookup ns/op over all timed passes. */
#ifndef MAP_H_INCLUDED
#define MAP_H_INCLUDED

#include "bench.h"

#define MAP_N_DEFAULT 1000000u
#define MAP_KEY_MIN 8
#define MAP_KEY_MAX 24
#define MAP_RUNS_DEFAULT 3
#define MAP_PASSES 2

typedef struct map_keys {
  uint32_t n;
  char *bytes;     /* key i at bytes + off[i], len[i] bytes, then a NUL */
  uint32_t *off;   /* n */
  uint8_t *len;    /* n */
  uint32_t *order; /* n: the lookup order, a permutation of 0..n-1 */
  uint64_t sum;    /* sum of every value: n (n + 1) / 2 */
} map_keys;

BENCH_FN uint32_t map_env_u32(const char *name, uint32_t dflt) {
  const char *e = getenv(name);
  if (e && *e) {
    unsigned long v = strtoul(e, NULL, 0);
    if (v > 0 && v < 0xffffffffUL) return (uint32_t)v;
  }
  return dflt;
}

BENCH_FN uint32_t map_runs(void) {
  uint32_t r = map_env_u32("MAP_RUNS", MAP_RUNS_DEFAULT);
  return r > 15 ? 15 : r; /* runs * MAP_PASSES figures go through bench_median (<= 64) */
}

/* murmur3's finaliser: a bijection on 32 bits. */
BENCH_FN uint32_t map_mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

/* n keys (n + extra when a writer needs fresh keys past n; values stay i + 1). */
BENCH_FN void map_keys_make(map_keys *k, uint32_t n, uint64_t seed) {
  static const char hex[] = "0123456789abcdef";
  static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  uint64_t st = seed ? seed : 1;
  uint32_t i, j, pos = 0;
  k->n = n;
  k->bytes = (char *)bench_map((size_t)n * (MAP_KEY_MAX + 1));
  k->off = (uint32_t *)bench_map((size_t)n * sizeof(uint32_t));
  k->len = (uint8_t *)bench_map((size_t)n);
  k->order = (uint32_t *)bench_map((size_t)n * sizeof(uint32_t));
  k->sum = (uint64_t)n * ((uint64_t)n + 1) / 2;
  for (i = 0; i < n; i++) {
    uint32_t len = (uint32_t)bench_uniform(&st, MAP_KEY_MIN, MAP_KEY_MAX);
    uint32_t h = map_mix32(i ^ (uint32_t)seed);
    char *p = k->bytes + pos;
    for (j = 0; j < 8; j++) p[j] = hex[(h >> (28 - 4 * j)) & 15];
    for (; j < len; j++) p[j] = alnum[bench_xorshift64(&st) % 36];
    p[len] = 0;
    k->off[i] = pos;
    k->len[i] = (uint8_t)len;
    pos += len + 1;
  }
  for (i = 0; i < n; i++) k->order[i] = i;
  for (i = n; i > 1; i--) { /* Fisher-Yates */
    uint32_t r = (uint32_t)(bench_xorshift64(&st) % i), t = k->order[i - 1];
    k->order[i - 1] = k->order[r];
    k->order[r] = t;
  }
}

BENCH_INLINE const char *map_key(const map_keys *k, uint32_t i) {
  return k->bytes + k->off[i];
}

/* Per-put ticks of one growth pass -> median, p99.9 and max in ns, printed under prefix. */
BENCH_FN void map_report_growth(const char *prefix, uint32_t *ticks, uint32_t n, double tick_ns,
                                double overhead_ticks) {
  char key[128];
  double mx = (double)bench_max_u32(ticks, n) * tick_ns;
  double p999 = (double)bench_quantile_u32(ticks, n, 0.999) * tick_ns;
  double md = (double)bench_quantile_u32(ticks, n, 0.5) * tick_ns;
  snprintf(key, sizeof key, "%s.growth_max_ns", prefix);
  bench_result(key, mx);
  snprintf(key, sizeof key, "%s.growth_p999_ns", prefix);
  bench_result(key, p999);
  snprintf(key, sizeof key, "%s.growth_median_ns", prefix);
  bench_result(key, md);
  snprintf(key, sizeof key, "%s.timer_overhead_ns", prefix);
  bench_result(key, overhead_ticks * tick_ns);
}

#endif /* MAP_H_INCLUDED */
