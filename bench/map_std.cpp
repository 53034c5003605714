// bench/map_std.cpp: benchmark H (maps) for std::unordered_map<std::string, uint64_t> in
// RAM (process memory, nothing shared or kept), in its own process. Usage: bench-map-std
//
// No reserve (it grows as it must, like every subject here). Lookups are heterogeneous
// (C++20: a transparent std::hash<std::string_view>), so a lookup builds no std::string.
#include "map.h"

#include <string>
#include <string_view>
#include <unordered_map>

struct sv_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
typedef std::unordered_map<std::string, uint64_t, sv_hash, std::equal_to<>> str_map;

static BENCH_NOINLINE uint64_t insert_all(str_map &m, const map_keys *k) {
  uint64_t t0 = bench_now_ns();
  for (uint32_t i = 0; i < k->n; i++) m.emplace(std::string(map_key(k, i), k->len[i]), i + 1);
  return bench_now_ns() - t0;
}

static BENCH_NOINLINE uint64_t lookup_all(const str_map &m, const map_keys *k) {
  uint64_t t0 = bench_now_ns(), sum = 0;
  for (uint32_t j = 0; j < k->n; j++) {
    uint32_t i = k->order[j];
    auto it = m.find(std::string_view(map_key(k, i), k->len[i]));
    if (it == m.end()) bench_die("map std: key %u not found", i);
    sum += it->second;
  }
  uint64_t t = bench_now_ns() - t0;
  if (sum != k->sum) bench_die("map std: wrong values");
  return t;
}

int main() {
  map_keys k;
  map_keys_make(&k, map_env_u32("MAP_N", MAP_N_DEFAULT), bench_seed());
  uint32_t runs = map_runs();
  double ins[16], look[64];
  int ni = 0, nl = 0;
  for (uint32_t r = 0; r <= runs; r++) {
    str_map m;
    double ti = (double)insert_all(m, &k);
    if (m.size() != k.n) bench_die("map std: %zu entries", m.size());
    for (int p = 0; p < (r ? MAP_PASSES : 1); p++) {
      double tl = (double)lookup_all(m, &k);
      if (r > 0) look[nl++] = tl / k.n;
    }
    if (r > 0) ins[ni++] = ti / k.n;
  }
  bench_result("map.std.insert_ns", bench_median(ins, ni));
  bench_result("map.std.lookup_ns", bench_median(look, nl));
  bench_result("map.std.rss_mib", bench_maxrss_mib());
  return 0;
}
