/* h_data.h: data for the suites: byte patterns keyed by a number (fill, check, find the first
   difference) and a seeded xorshift generator (BACKING_SEED overrides a test's seed). */
#ifndef H_DATA_H_INCLUDED
#define H_DATA_H_INCLUDED

#include <stdint.h>

#include "test.h"
#include "h_check.h"

static uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}
static unsigned char pattern_byte(uint64_t key, uint64_t i) {
  return (unsigned char)(mix64(key * 0x9e3779b97f4a7c15ull + (i >> 3)) >> ((i & 7) * 8));
}
static void fill_pattern(void *p, uint64_t n, uint64_t key) {
  unsigned char *b = (unsigned char *)p;
  uint64_t i;
  for (i = 0; i < n; i++) b[i] = pattern_byte(key, i);
}
/* Index of the first byte that differs from the pattern, or -1. */
static long long find_pattern_mismatch(const void *p, uint64_t n, uint64_t key) {
  const unsigned char *b = (const unsigned char *)p;
  uint64_t i;
  for (i = 0; i < n; i++)
    if (b[i] != pattern_byte(key, i)) return (long long)i;
  return -1;
}
#define CHECK_PATTERN(p, n, key) check_pattern_((p), (n), (key), __FILE__, __LINE__)
static int check_pattern_(const void *p, uint64_t n, uint64_t key, const char *file, int line) {
  long long at;
  if (!test__check(p != NULL, file, line, "pattern check on a NULL pointer")) return 0;
  at = find_pattern_mismatch(p, n, key);
  return test__check(at < 0, file, line, "contents differ at byte %lld of %llu", at, ULL(n));
}
static int all_bytes_are(const void *p, uint64_t n, unsigned char v) {
  const unsigned char *b = (const unsigned char *)p;
  uint64_t i;
  for (i = 0; i < n; i++)
    if (b[i] != v) return 0;
  return 1;
}

/* xorshift64 */
static uint64_t rng_next(uint64_t *st) {
  uint64_t x = *st;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *st = x;
}
static uint64_t rng_below(uint64_t *st, uint64_t n) {
  return n ? rng_next(st) % n : 0;
}
static uint64_t seed_from_env(uint64_t dflt) {
  const char *e = getenv("BACKING_SEED");
  uint64_t v;
  if (!e || !*e) return dflt;
  v = strtoull(e, NULL, 0);
  return v ? v : dflt;
}

#endif /* H_DATA_H_INCLUDED */
