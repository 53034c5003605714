// bench/map_boost.cpp: benchmark H (maps) for mmap-object's design, a boost::unordered_map
// with the Boost.Interprocess allocator in a managed_mapped_file, in its own process.
// Usage: bench-map-boost FILE (created at 1 GiB, removed after).
//
// Keys are interprocess strings (boost::container::basic_string with the segment's
// allocator), values uint64_t; hash: boost::hash_range over the key bytes. Each build
// starts from 1024 buckets (mmap-object's default) and grows as it must. Lookups use the
// compatible-key find (a string view, nothing allocated in the segment). The segment is
// made 1 GiB up front, so no insert pays for growing the file (mmap-object grows it by
// closing, growing and reopening when an insert runs out of room).
#include "map.h"

#include <boost/functional/hash.hpp>
#include <boost/interprocess/allocators/allocator.hpp>
#include <boost/interprocess/containers/string.hpp>
#include <boost/interprocess/managed_mapped_file.hpp>
#include <boost/unordered_map.hpp>
#include <sys/stat.h>

namespace bip = boost::interprocess;

typedef bip::managed_mapped_file::segment_manager segment_manager;
typedef bip::allocator<char, segment_manager> char_alloc;
typedef bip::basic_string<char, std::char_traits<char>, char_alloc> shm_string;
typedef std::pair<const shm_string, uint64_t> entry;
typedef bip::allocator<entry, segment_manager> entry_alloc;

struct key_view {
  const char *p;
  std::size_t n;
};
struct key_hash {
  std::size_t operator()(const shm_string &s) const {
    return boost::hash_range(s.data(), s.data() + s.size());
  }
  std::size_t operator()(const key_view &k) const { return boost::hash_range(k.p, k.p + k.n); }
};
struct key_eq {
  bool operator()(const shm_string &a, const shm_string &b) const { return a == b; }
  bool operator()(const key_view &a, const shm_string &b) const {
    return a.n == b.size() && memcmp(a.p, b.data(), a.n) == 0;
  }
  bool operator()(const shm_string &a, const key_view &b) const { return (*this)(b, a); }
};
typedef boost::unordered_map<shm_string, uint64_t, key_hash, key_eq, entry_alloc> shm_map;

static const std::size_t kSegmentBytes = std::size_t(1) << 30;
static const std::size_t kInitialBuckets = 1024;

static bip::managed_mapped_file *create_segment(const char *path, shm_map **m) {
  bip::file_mapping::remove(path);
  try {
    bip::managed_mapped_file *seg =
        new bip::managed_mapped_file(bip::create_only, path, kSegmentBytes);
    *m = seg->construct<shm_map>("map")(kInitialBuckets, key_hash(), key_eq(),
                                        seg->get_allocator<entry>());
    return seg;
  } catch (const std::exception &e) {
    bench_die("map boost: cannot create %s: %s", path, e.what());
  }
  return nullptr;
}

BENCH_INLINE void put(bip::managed_mapped_file *seg, shm_map *m, const map_keys *k, uint32_t i) {
  try {
    m->emplace(shm_string(map_key(k, i), k->len[i], seg->get_allocator<char>()), (uint64_t)i + 1);
  } catch (const std::exception &e) {
    bench_die("map boost: insert %u: %s", i, e.what());
  }
}

static BENCH_NOINLINE uint64_t insert_all(bip::managed_mapped_file *seg, shm_map *m,
                                          const map_keys *k) {
  uint64_t t0 = bench_now_ns();
  for (uint32_t i = 0; i < k->n; i++) put(seg, m, k, i);
  return bench_now_ns() - t0;
}

static BENCH_NOINLINE uint64_t lookup_all(shm_map *m, const map_keys *k) {
  uint64_t t0 = bench_now_ns(), sum = 0;
  for (uint32_t j = 0; j < k->n; j++) {
    uint32_t i = k->order[j];
    key_view kv = {map_key(k, i), k->len[i]};
    shm_map::const_iterator it = m->find(kv, key_hash(), key_eq());
    if (it == m->end()) bench_die("map boost: key %u not found", i);
    sum += it->second;
  }
  uint64_t t = bench_now_ns() - t0;
  if (sum != k->sum) bench_die("map boost: wrong values (sum %llu)", (unsigned long long)sum);
  return t;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  const char *path = argv[1];
  map_keys k;
  map_keys_make(&k, map_env_u32("MAP_N", MAP_N_DEFAULT), bench_seed());
  uint32_t runs = map_runs();
  double ins[16], look[64];
  int ni = 0, nl = 0;
  double used = 0, buckets = 0;
  for (uint32_t r = 0; r <= runs; r++) {
    shm_map *m;
    bip::managed_mapped_file *seg = create_segment(path, &m);
    double ti = (double)insert_all(seg, m, &k);
    if (m->size() != k.n) bench_die("map boost: %zu entries after insert", m->size());
    for (int p = 0; p < (r ? MAP_PASSES : 1); p++) {
      double tl = (double)lookup_all(m, &k);
      if (r > 0) look[nl++] = tl / k.n;
    }
    if (r > 0) ins[ni++] = ti / k.n;
    used = (double)(seg->get_size() - seg->get_free_memory());
    buckets = (double)m->bucket_count();
    seg->flush();
    delete seg;
  }
  bench_result("map.boost.insert_ns", bench_median(ins, ni));
  bench_result("map.boost.lookup_ns", bench_median(look, nl));
  bench_result("map.boost.used_bytes", used);
  bench_result("map.boost.bytes_per_entry", used / k.n);
  bench_result("map.boost.buckets", buckets);

  // Reopen to first lookup: open the file, find the map, look one key up.
  double ro[21];
  for (int r = -3; r < 21; r++) {
    uint64_t t0 = bench_now_ns();
    bip::managed_mapped_file *seg = new bip::managed_mapped_file(bip::open_only, path);
    shm_map *m = seg->find<shm_map>("map").first;
    if (!m) bench_die("map boost: no map after reopen");
    key_view kv = {map_key(&k, 0), k.len[0]};
    shm_map::const_iterator it = m->find(kv, key_hash(), key_eq());
    if (it == m->end() || it->second != 1) bench_die("map boost: key 0 lost after reopen");
    uint64_t t = bench_now_ns() - t0;
    if (r >= 0) ro[r] = (double)t / 1000.0;
    delete seg;
  }
  bench_result("map.boost.reopen_us", bench_median(ro, 21));

  // Growth from 1024 buckets to n keys, a timer around every insert.
  {
    shm_map *m;
    bip::managed_mapped_file *seg = create_segment(path, &m);
    uint32_t *ticks = (uint32_t *)bench_map((size_t)k.n * sizeof(uint32_t));
    double tick_ns = bench_tick_ns(), over = bench_tick_overhead();
    for (uint32_t i = 0; i < k.n; i++) {
      uint64_t a = bench_tick_start();
      put(seg, m, &k, i);
      uint64_t b = bench_tick_end();
      ticks[i] = (uint32_t)((b - a) > 0xffffffffull ? 0xffffffffull : (b - a));
    }
    map_report_growth("map.boost", ticks, k.n, tick_ns, over);
    delete seg;
  }
  bip::file_mapping::remove(path);
  bench_result("map.boost.rss_mib", bench_maxrss_mib());
  return 0;
}
