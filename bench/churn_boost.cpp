// bench/churn_boost.cpp: benchmark A (churn) for Boost.Interprocess managed_mapped_file,
// in its own process. Usage: bench-churn-boost FILE (created at 1 GiB, removed after).
#include "churn.h"

#include <boost/interprocess/managed_mapped_file.hpp>
#include <new>
#include <unistd.h>

namespace bip = boost::interprocess;

static const std::size_t kSegmentBytes = std::size_t(1) << 30;

BENCH_INLINE uint64_t boost_alloc(void *ctx, uint64_t size) {
  return (uint64_t)(uintptr_t) static_cast<bip::managed_mapped_file *>(ctx)->allocate(
      (std::size_t)size, std::nothrow);
}
BENCH_INLINE void boost_free(void *ctx, uint64_t h) {
  static_cast<bip::managed_mapped_file *>(ctx)->deallocate((void *)(uintptr_t)h);
}
BENCH_INLINE void boost_touch(void *ctx, uint64_t h, uint64_t v) {
  (void)ctx;
  memcpy((void *)(uintptr_t)h, &v, sizeof v);
}
CHURN_DEFINE_RUN(boost_run, boost_alloc, boost_free, boost_touch)

static void *boost_setup(const char *path) {
  if (!path) bench_die("churn boost: no file given");
  bip::file_mapping::remove(path);
  try {
    return new bip::managed_mapped_file(bip::create_only, path, kSegmentBytes);
  } catch (const std::exception &e) {
    bench_die("churn boost: cannot create %s: %s", path, e.what());
  }
  return nullptr;
}

static void boost_teardown(void *ctx, const char *path) {
  delete static_cast<bip::managed_mapped_file *>(ctx);
  bip::file_mapping::remove(path);
}

int main(int argc, char **argv) {
  static const churn_allocator boost_allocator = {
      "boost", "Boost.Interprocess", boost_setup, boost_teardown, boost_run, NULL};
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  return churn_main(&boost_allocator, argv[1]);
}
