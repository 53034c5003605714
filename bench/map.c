/* bench/map.c: benchmark H (string-keyed maps) for backing's map (bench/map.h has the
   workload; the peers are map_boost.cpp, map_lmdb.c, map_std.cpp).

   bench-map memory        MEMORY store: insert and lookup ns/op, bytes per entry, growth
   bench-map mmap DIR      the same on an MMAP store in DIR, then reopen to first lookup
   bench-map share DIR     1 reader alone, 4 readers, 4 readers + 1 writer on one store

   Values are BACKING_VALUE_I64 (8 bytes). Every build starts from backing_map_new(s, 0)
   and grows as it must. Bytes per entry (last build, after lifetime + 1 GC cycles give
   back the retired segments): backing_stat used_bytes / n, and the map's own
   backing_map_stats.bytes / n, and the file (arenas) / n. Growth: a fresh map, a timer
   around every put from 0 to n keys. Reopen: backing_open + backing_root_get +
   backing_map_get of one key (close not timed), median of 21 after 3 warm-ups, on the
   n-key store and on a 1,000-key store (O(1): the two should match).

   share: the store holds n keys; readers open it BACKING_RDONLY and look up uniformly
   random keys for MAP_SHARE_SECS (default 2) seconds, checking every value; the writer
   overwrites random keys (the value keeps the key's number in its low 32 bits, so a
   reader sees a torn or foreign value as wrong) and inserts fresh keys while deleting
   those 100,000 puts old, with a backing_gc_cycle every 4,095 changes. Lookups per second
   per reader. Prints "R <key> <value>". */
#define BACKING_IMPLEMENTATION
#include "../backing.h"

#include "map.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SMALL_N 1000u
#define SHARE_POOL 200000u
#define SHARE_WINDOW 100000u

static map_keys K;
static const char *Dir;

static void store_config(backing_config *c, int mmap, const char *name, int flags) {
  memset(c, 0, sizeof *c);
  if (mmap) {
    c->dirname = Dir;
    c->name = name;
  }
  c->flags = flags;
}

static backing *store_new(int mmap, const char *name) {
  backing_config c;
  backing *s;
  int err;
  store_config(&c, mmap, name, 0);
  if (mmap) backing_destroy(&c);
  err = backing_open(&s, &c);
  if (err) bench_die("map: open: %s", backing_strerror(err));
  return s;
}

static backing_addr map_make(backing *s) {
  backing_addr m = backing_map_new(s, 0);
  int err;
  if (!m) bench_die("map: map_new: %s", backing_strerror(backing_last_error()));
  err = backing_root_set(s, "map", m);
  if (err) bench_die("map: root_set: %s", backing_strerror(err));
  return m;
}

BENCH_INLINE void put(backing *s, backing_addr m, uint32_t i, uint64_t v) {
  backing_value val;
  int err;
  memset(&val, 0, sizeof val);
  val.kind = BACKING_VALUE_I64;
  val.i64 = (int64_t)v;
  err = backing_map_put(s, m, map_key(&K, i), K.len[i], &val);
  if (err) bench_die("map: put of key %u: %s", i, backing_strerror(err));
}

static BENCH_NOINLINE uint64_t insert_all(backing *s, backing_addr m, uint32_t n) {
  uint64_t t0 = bench_now_ns();
  uint32_t i;
  for (i = 0; i < n; i++) put(s, m, i, (uint64_t)i + 1);
  return bench_now_ns() - t0;
}

static BENCH_NOINLINE uint64_t lookup_all(backing *s, backing_addr m) {
  uint64_t t0 = bench_now_ns(), sum = 0, t;
  uint32_t j;
  backing_value out;
  for (j = 0; j < K.n; j++) {
    uint32_t i = K.order[j];
    int err = backing_map_get(s, m, map_key(&K, i), K.len[i], &out);
    if (err) bench_die("map: get of key %u: %s", i, backing_strerror(err));
    sum += (uint64_t)out.i64;
  }
  t = bench_now_ns() - t0;
  if (sum != K.sum) bench_die("map: wrong values from get (sum %llu)", (unsigned long long)sum);
  return t;
}

static void report(const char *who, const char *what, double v) {
  char key[128];
  snprintf(key, sizeof key, "map.%s.%s", who, what);
  bench_result(key, v);
}

static void check_map(backing *s, backing_addr m, const char *who) {
  uint64_t t0 = bench_now_ns();
  int err = backing_map_check(s, m);
  if (err)
    bench_die("map %s: backing_map_check: %s (%s)", who, backing_strerror(err),
              backing_check_detail(s));
  report(who, "check_ms", (double)(bench_now_ns() - t0) / 1e6);
}

static void bytes_report(backing *s, backing_addr m, const char *who) {
  backing_stats st;
  backing_map_stats ms;
  int i, err;
  for (i = 0; i < 4; i++) backing_gc_cycle(s);
  if ((err = backing_stat(s, &st)) != 0) bench_die("map: stat: %s", backing_strerror(err));
  if ((err = backing_map_stat(s, m, &ms)) != 0)
    bench_die("map: map_stat: %s", backing_strerror(err));
  if (ms.entries != K.n || backing_map_len(s, m) != K.n)
    bench_die("map %s: %llu entries, %llu by map_len, after %u puts", who,
              (unsigned long long)ms.entries, (unsigned long long)backing_map_len(s, m), K.n);
  report(who, "used_bytes", (double)st.used_bytes);
  report(who, "bytes_per_entry", (double)st.used_bytes / K.n);
  report(who, "map_bytes_per_entry", (double)ms.bytes / K.n);
  report(who, "file_bytes_per_entry", (double)st.capacity / K.n);
  report(who, "used_blocks", (double)st.used_blocks);
  report(who, "gc_waiting", (double)st.gc_waiting);
  report(who, "segments", (double)ms.segments);
  report(who, "load", ms.load);
  report(who, "tombstones", (double)ms.tombstones);
  report(who, "depth", (double)ms.depth);
  report(who, "max_probe", (double)ms.max_probe);
}

static void ops(int mmap) {
  const char *who = mmap ? "backing_mmap" : "backing_memory";
  uint32_t runs = map_runs(), r;
  double ins[16], look[64];
  int ni = 0, nl = 0, p;
  for (r = 0; r <= runs; r++) {
    backing *s = store_new(mmap, "map");
    backing_addr m = map_make(s);
    double ti = (double)insert_all(s, m, K.n);
    for (p = 0; p < (r ? MAP_PASSES : 1); p++) {
      double tl = (double)lookup_all(s, m);
      if (r > 0) look[nl++] = tl / K.n;
    }
    if (r > 0) ins[ni++] = ti / K.n;
    if (r == runs) {
      bytes_report(s, m, who);
      check_map(s, m, who);
    }
    backing_close(s);
  }
  report(who, "insert_ns", bench_median(ins, ni));
  report(who, "lookup_ns", bench_median(look, nl));

  { /* growth: a timer around every put */
    backing *s = store_new(mmap, "map-growth");
    backing_addr m = map_make(s);
    uint32_t *ticks = (uint32_t *)bench_map((size_t)K.n * sizeof(uint32_t)), i;
    double tick_ns = bench_tick_ns(), over = bench_tick_overhead();
    for (i = 0; i < K.n; i++) {
      uint64_t a = bench_tick_start(), b;
      put(s, m, i, (uint64_t)i + 1);
      b = bench_tick_end();
      ticks[i] = (uint32_t)((b - a) > 0xffffffffull ? 0xffffffffull : (b - a));
    }
    {
      char prefix[64];
      snprintf(prefix, sizeof prefix, "map.%s", who);
      map_report_growth(prefix, ticks, K.n, tick_ns, over);
    }
    backing_close(s);
    if (mmap) {
      backing_config c;
      store_config(&c, 1, "map-growth", 0);
      backing_destroy(&c);
    }
  }
}

/* Median microseconds from backing_open to the first value, on store `name`. */
static double reopen_us(const char *name) {
  double t[21];
  int i;
  for (i = -3; i < 21; i++) {
    backing_config c;
    backing *s;
    backing_addr m;
    backing_value out;
    uint64_t t0, t1;
    int err;
    store_config(&c, 1, name, 0);
    t0 = bench_now_ns();
    err = backing_open(&s, &c);
    if (err) bench_die("map: reopen %s: %s", name, backing_strerror(err));
    m = backing_root_get(s, "map");
    if (!m) bench_die("map: reopen %s: no root", name);
    err = backing_map_get(s, m, map_key(&K, 0), K.len[0], &out);
    t1 = bench_now_ns();
    if (err || out.i64 != 1) bench_die("map: reopen %s: key 0 lost", name);
    backing_close(s);
    if (i >= 0) t[i] = (double)(t1 - t0) / 1000.0;
  }
  return bench_median(t, 21);
}

static void reopen(void) {
  backing_config c;
  backing *s = store_new(1, "map-small");
  backing_addr m = map_make(s);
  insert_all(s, m, SMALL_N);
  backing_close(s);
  report("backing_mmap", "reopen_us", reopen_us("map"));
  report("backing_mmap", "reopen_small_us", reopen_us("map-small"));
  store_config(&c, 1, "map-small", 0);
  backing_destroy(&c);
  store_config(&c, 1, "map", 0);
  backing_destroy(&c);
}

/* ---- share */

struct share_slot {
  volatile uint64_t count;
  volatile uint64_t bad;
  volatile int ready;
  volatile int failed;
};
struct share_shm {
  volatile int go;
  struct share_slot slot[8];
};

static struct share_shm *Shm;

static void share_reader(int id, double secs) {
  struct share_slot *me = &Shm->slot[id];
  backing_config c;
  backing *s;
  backing_addr m;
  uint64_t st = bench_seed() ^ (0x9E3779B97F4A7C15ull * (uint64_t)(id + 1)), n = 0, bad = 0;
  uint64_t end;
  store_config(&c, 1, "share", BACKING_RDONLY);
  if (backing_open(&s, &c) != 0 || !(m = backing_root_get(s, "map"))) {
    me->failed = 1;
    me->ready = 1;
    _exit(3);
  }
  __atomic_store_n(&me->ready, 1, __ATOMIC_SEQ_CST);
  while (!__atomic_load_n(&Shm->go, __ATOMIC_SEQ_CST)) usleep(100);
  end = bench_now_ns() + (uint64_t)(secs * 1e9);
  for (;;) {
    int j;
    for (j = 0; j < 1024; j++) {
      uint32_t i = (uint32_t)(bench_xorshift64(&st) % (K.n - SHARE_POOL));
      backing_value out;
      if (backing_map_get(s, m, map_key(&K, i), K.len[i], &out) != 0 ||
          out.kind != BACKING_VALUE_I64 || ((uint64_t)out.i64 & 0xffffffffull) != i + 1ull)
        bad++;
    }
    n += 1024;
    if (bench_now_ns() >= end) break;
  }
  me->count = n;
  me->bad = bad;
  backing_close(s);
  _exit(0);
}

static void share_writer(int id, double secs) {
  struct share_slot *me = &Shm->slot[id];
  backing_config c;
  backing *s;
  backing_addr m;
  uint32_t base = K.n - SHARE_POOL; /* keys [0, base) are the readers' */
  uint64_t st = bench_seed() ^ 0x5bd1e995ull, n = 0, gen = 0, fresh = 0, end;
  store_config(&c, 1, "share", 0);
  if (backing_open(&s, &c) != 0 || !(m = backing_root_get(s, "map"))) {
    me->failed = 1;
    me->ready = 1;
    _exit(3);
  }
  __atomic_store_n(&me->ready, 1, __ATOMIC_SEQ_CST);
  while (!__atomic_load_n(&Shm->go, __ATOMIC_SEQ_CST)) usleep(100);
  end = bench_now_ns() + (uint64_t)(secs * 1e9);
  for (;;) {
    int j;
    for (j = 0; j < 1365; j++) {
      uint32_t i = (uint32_t)(bench_xorshift64(&st) % base);
      put(s, m, i, ((uint64_t)i + 1) | (++gen << 32));
      put(s, m, base + (uint32_t)(fresh % SHARE_POOL), 1);
      if (fresh >= SHARE_WINDOW) {
        uint32_t d = base + (uint32_t)((fresh - SHARE_WINDOW) % SHARE_POOL);
        int err = backing_map_del(s, m, map_key(&K, d), K.len[d]);
        if (err) bench_die("map share: del of key %u: %s", d, backing_strerror(err));
      }
      fresh++;
      n += 3;
    }
    backing_gc_cycle(s);
    if (bench_now_ns() >= end) break;
  }
  me->count = n;
  backing_close(s);
  _exit(0);
}

/* readers, plus a writer if writer; fills per-reader lookups/s. Returns the writer's
   changes/s (0 without one). */
static double share_phase(int readers, int writer, double secs, double *per_reader) {
  int i, nproc = readers + writer, bad = 0;
  pid_t pid[8];
  memset((void *)Shm, 0, sizeof *Shm);
  for (i = 0; i < nproc; i++) {
    pid[i] = fork();
    if (pid[i] < 0) bench_die("fork");
    if (pid[i] == 0) {
      if (i < readers)
        share_reader(i, secs);
      else
        share_writer(i, secs);
    }
  }
  for (i = 0; i < nproc; i++)
    while (!__atomic_load_n(&Shm->slot[i].ready, __ATOMIC_SEQ_CST)) usleep(100);
  __atomic_store_n(&Shm->go, 1, __ATOMIC_SEQ_CST);
  for (i = 0; i < nproc; i++) {
    int st;
    if (waitpid(pid[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) bad++;
  }
  if (bad) bench_die("map share: %d of %d processes failed", bad, nproc);
  for (i = 0; i < readers; i++) {
    if (Shm->slot[i].bad)
      bench_die("map share: reader %d saw %llu wrong or missing values", i,
                (unsigned long long)Shm->slot[i].bad);
    per_reader[i] = (double)Shm->slot[i].count / secs;
  }
  return writer ? (double)Shm->slot[readers].count / secs : 0;
}

static double mean(const double *v, int n) {
  double t = 0;
  int i;
  for (i = 0; i < n; i++) t += v[i];
  return t / n;
}

static double min4(const double *v) {
  double m = v[0];
  int i;
  for (i = 1; i < 4; i++)
    if (v[i] < m) m = v[i];
  return m;
}

static void share(void) {
  double secs = (double)map_env_u32("MAP_SHARE_SECS", 2), one[1], four[4], w;
  backing_config c;
  backing *s = store_new(1, "share");
  backing_addr m = map_make(s);
  int err;
  Shm = (struct share_shm *)mmap(NULL, sizeof *Shm, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (Shm == MAP_FAILED) bench_die("mmap");
  insert_all(s, m, K.n - SHARE_POOL);
  backing_close(s);

  share_phase(1, 0, secs, one);
  report("share", "reader1_lookups_per_s", one[0]);
  share_phase(4, 0, secs, four);
  report("share", "readers4_per_reader", mean(four, 4));
  report("share", "readers4_min_reader", min4(four));
  w = share_phase(4, 1, secs, four);
  report("share", "rw_per_reader", mean(four, 4));
  report("share", "rw_min_reader", min4(four));
  report("share", "rw_writer_changes_per_s", w);

  store_config(&c, 1, "share", 0);
  if ((err = backing_open(&s, &c)) != 0) bench_die("map share: reopen: %s", backing_strerror(err));
  m = backing_root_get(s, "map");
  if ((err = backing_map_check(s, m)) != 0 || (err = backing_check(s)) != 0)
    bench_die("map share: check after the run: %s (%s)", backing_strerror(err),
              backing_check_detail(s));
  report("share", "len_after", (double)backing_map_len(s, m));
  backing_close(s);
  backing_destroy(&c);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  uint32_t n = map_env_u32("MAP_N", MAP_N_DEFAULT);
  if (strcmp(mode, "memory") == 0) {
    map_keys_make(&K, n, bench_seed());
    ops(0);
    report("backing_memory", "rss_mib", bench_maxrss_mib());
  } else if (strcmp(mode, "mmap") == 0 && argc > 2) {
    Dir = argv[2];
    map_keys_make(&K, n, bench_seed());
    ops(1);
    reopen();
    report("backing_mmap", "rss_mib", bench_maxrss_mib());
    rmdir(Dir);
  } else if (strcmp(mode, "share") == 0 && argc > 2) {
    Dir = argv[2];
    map_keys_make(&K, n + SHARE_POOL, bench_seed());
    share();
    rmdir(Dir);
  } else {
    fprintf(stderr, "usage: %s memory | mmap DIR | share DIR\n", argv[0]);
    return 2;
  }
  return 0;
}
