/* bench/open.c: benchmark C (open). Usage: bench-open DIR
   Builds a 1 GiB MMAP store in DIR (arena_size 16 MiB; blocks of 16 MiB - 8192 until 64
   arenas, or of backing_stats.max_block if that is smaller), keeps a u64
   under root "v", closes it. Then times, OPEN_RUNS times each and
   alternating, after OPEN_WARMUP untimed rounds:
     backing: backing_open + backing_root_get + backing_get_u64 + backing_close
     raw:     open + mmap of the same 1 GiB file (PROT_READ, MAP_SHARED) + read one u64
              + munmap + close
   Prints the median microseconds of each. The store is removed at the end. */
#define _GNU_SOURCE
#define BACKING_IMPLEMENTATION
#include "../backing.h"
#include "bench.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define OPEN_ARENA (16ull << 20)
#define OPEN_ARENAS 64
#define OPEN_RUNS 21
#define OPEN_WARMUP 3
#define OPEN_VALUE 0x0123456789abcdefull

static volatile uint64_t sink;

static void open_config(backing_config *cfg, const char *dir, int flags, uint64_t arena) {
  memset(cfg, 0, sizeof *cfg);
  cfg->dirname = dir;
  cfg->name = "open";
  cfg->flags = flags;
  cfg->arena_size = arena;
}

/* The block size used to fill the store: 16 MiB - 8192, or the largest block the store
   allows (backing_stats.max_block) if that is smaller. */
static uint64_t fill_block_size(backing *s) {
  backing_stats st;
  uint64_t want = OPEN_ARENA - 8192;
  if (backing_stat(s, &st) != 0) bench_die("open: backing_stat failed");
  if (st.max_block >= want) return want;
  fprintf(stderr, "  open: %llu bytes is over max_block; blocks of %llu bytes instead\n",
          (unsigned long long)want, (unsigned long long)st.max_block);
  return st.max_block;
}

static void build_store(const char *dir) {
  backing_config cfg;
  backing_stats st;
  backing *s;
  backing_addr first = 0;
  uint64_t block;
  int err, n;
  open_config(&cfg, dir, BACKING_EXCL, OPEN_ARENA);
  err = backing_open(&s, &cfg);
  if (err) bench_die("open: create store in %s: %s", dir, backing_strerror(err));
  block = fill_block_size(s);
  bench_result("open.block_bytes", (double)block);
  for (n = 0;; n++) {
    backing_addr a;
    if (backing_stat(s, &st) != 0) bench_die("open: backing_stat failed");
    if (st.arena_count >= OPEN_ARENAS) break;
    if (n > 4 * OPEN_ARENAS) bench_die("open: store does not grow (%d blocks)", n);
    a = backing_alloc(s, block);
    if (!a) bench_die("open: alloc %d: %s", n, backing_strerror(backing_last_error()));
    if (!first) first = a;
  }
  backing_set_u64(s, first, OPEN_VALUE);
  err = backing_root_set(s, "v", first);
  if (err) bench_die("open: root_set: %s", backing_strerror(err));
  bench_result("open.blocks", n);
  bench_result("open.arena_count", (double)st.arena_count);
  bench_result("open.value_addr", (double)first);
  err = backing_close(s);
  if (err) bench_die("open: close: %s", backing_strerror(err));
}

static uint64_t time_backing(const char *dir) {
  backing_config cfg;
  backing *s;
  backing_addr a;
  uint64_t t0 = bench_now_ns(), t1, v;
  int err;
  open_config(&cfg, dir, BACKING_NOCREATE, 0);
  err = backing_open(&s, &cfg);
  if (err) bench_die("open: backing_open: %s", backing_strerror(err));
  a = backing_root_get(s, "v");
  if (!a) bench_die("open: root v missing");
  v = backing_get_u64(s, a);
  backing_close(s);
  t1 = bench_now_ns();
  if (v != OPEN_VALUE) bench_die("open: read %llx", (unsigned long long)v);
  sink = v;
  return t1 - t0;
}

static uint64_t time_raw(const char *path, uint64_t size, uint64_t offset) {
  uint64_t t0 = bench_now_ns(), t1, v;
  void *m;
  int fd = open(path, O_RDONLY);
  if (fd < 0) bench_die("open: %s: %s", path, strerror(errno));
  m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) bench_die("open: mmap %s: %s", path, strerror(errno));
  memcpy(&v, (const unsigned char *)m + offset, sizeof v);
  munmap(m, size);
  close(fd);
  t1 = bench_now_ns();
  sink = v;
  return t1 - t0;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : NULL;
  char path[4096];
  struct stat sb;
  double tb[OPEN_RUNS], tr[OPEN_RUNS];
  backing_config cfg;
  uint64_t offset = 0, v = 0;
  int r, fd;
  if (!dir) bench_die("usage: bench-open DIR");
  build_store(dir);
  snprintf(path, sizeof path, "%s/open.backing", dir);
  if (stat(path, &sb) != 0) bench_die("open: stat %s: %s", path, strerror(errno));
  bench_result("open.file_mib", (double)sb.st_size / (1024.0 * 1024.0));

  /* Is the u64 at file offset == its address? (Only informative.) */
  fd = open(path, O_RDONLY);
  if (fd >= 0) {
    backing_config c2;
    backing *s;
    open_config(&c2, dir, BACKING_NOCREATE, 0);
    if (backing_open(&s, &c2) == 0) {
      offset = backing_root_get(s, "v");
      backing_close(s);
    }
    if (offset + 8 > (uint64_t)sb.st_size ||
        pread(fd, &v, sizeof v, (off_t)offset) != (ssize_t)sizeof v)
      offset = 0;
    close(fd);
  }
  bench_result("open.raw_offset_is_addr", v == OPEN_VALUE);

  for (r = 0; r < OPEN_WARMUP; r++) {
    time_backing(dir);
    time_raw(path, (uint64_t)sb.st_size, offset);
  }
  for (r = 0; r < OPEN_RUNS; r++) { /* the order alternates between rounds */
    if (r & 1) tr[r] = (double)time_raw(path, (uint64_t)sb.st_size, offset) / 1e3;
    tb[r] = (double)time_backing(dir) / 1e3;
    if (!(r & 1)) tr[r] = (double)time_raw(path, (uint64_t)sb.st_size, offset) / 1e3;
  }
  bench_result("open.backing_us", bench_median(tb, OPEN_RUNS));
  bench_result("open.raw_us", bench_median(tr, OPEN_RUNS));
  bench_result("open.backing_max_us", bench_max(tb, OPEN_RUNS));
  bench_result("open.raw_max_us", bench_max(tr, OPEN_RUNS));
  fprintf(stderr, "  open backing %.1f us, raw %.1f us\n", bench_median(tb, OPEN_RUNS),
          bench_median(tr, OPEN_RUNS));

  open_config(&cfg, dir, 0, 0);
  r = backing_destroy(&cfg);
  if (r) fprintf(stderr, "open: backing_destroy: %s\n", backing_strerror(r));
  rmdir(dir);
  return 0;
}
