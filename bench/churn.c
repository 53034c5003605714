/* bench/churn.c: benchmark A (churn) for backing MEMORY, backing MMAP, glibc malloc and,
   built with -DCHURN_WITH_MIMALLOC -lmimalloc, mimalloc. One allocator per process:

     bench-churn memory          backing, MEMORY source, all-zero config
     bench-churn mmap DIR        backing, MMAP source in DIR (name "churn"; removed after)
     bench-churn malloc          glibc malloc/free
     bench-churn-mi mimalloc     mi_malloc/mi_free
     bench-churn-nt memory       backing built with -DBACKING_NO_THREADS, MEMORY source
                                 (results under churn.backing_memory_nt.*)

   libmimalloc replaces malloc in any process it is linked into, so glibc malloc and
   backing run from a binary without it. */
#define _GNU_SOURCE
#define BACKING_IMPLEMENTATION
#include "../backing.h"
#include "churn.h"

#ifdef BACKING_NO_THREADS
#define CHURN_MEMORY_KEY "backing_memory_nt"
#define CHURN_MEMORY_NAME "backing MEMORY NO_THREADS"
#else
#define CHURN_MEMORY_KEY "backing_memory"
#define CHURN_MEMORY_NAME "backing MEMORY"
#endif

#include <unistd.h>
#ifdef CHURN_WITH_MIMALLOC
#include <mimalloc.h>
#endif

/* ---- backing (MEMORY and MMAP share the calls; the handle is the context) */

BENCH_INLINE uint64_t b_alloc(void *ctx, uint64_t size) {
  return backing_alloc((backing *)ctx, size);
}
BENCH_INLINE void b_free(void *ctx, uint64_t h) {
  if (!backing_free((backing *)ctx, h))
    bench_die("backing_free(%llu): %s", (unsigned long long)h,
              backing_strerror(backing_last_error()));
}
BENCH_INLINE void b_touch(void *ctx, uint64_t h, uint64_t v) {
  backing_set_u64((backing *)ctx, h, v);
}
CHURN_DEFINE_RUN(backing_run, b_alloc, b_free, b_touch)

static backing_config mmap_cfg;

static void *backing_open_or_die(const backing_config *cfg) {
  backing *s;
  int err = backing_open(&s, cfg);
  if (err) bench_die("backing_open: %s", backing_strerror(err));
  return s;
}

static void *memory_setup(const char *arg) {
  backing_config cfg;
  (void)arg;
  memset(&cfg, 0, sizeof cfg);
  return backing_open_or_die(&cfg);
}

static void *mmap_setup(const char *dir) {
  if (!dir) bench_die("churn mmap: no directory given");
  memset(&mmap_cfg, 0, sizeof mmap_cfg);
  mmap_cfg.dirname = dir;
  mmap_cfg.name = "churn";
  mmap_cfg.flags = BACKING_EXCL; /* a fresh store, never a leftover */
  return backing_open_or_die(&mmap_cfg);
}

/* backing's own figures with the churn's blocks all live. */
static void backing_report(backing *s, const char *key) {
  backing_stats st;
  char k[96];
  if (backing_stat(s, &st) != 0) return;
#define REPORT(field, scale)                               \
  (snprintf(k, sizeof k, "churn.%s.peak_%s", key, #field), \
   bench_result(k, (double)st.field / scale))
  REPORT(arena_count, 1);
  REPORT(capacity, 1048576.0);
  REPORT(used_bytes, 1048576.0);
  REPORT(free_bytes, 1048576.0);
  REPORT(largest_free, 1048576.0);
  REPORT(used_blocks, 1);
  REPORT(free_blocks, 1);
  REPORT(slabs, 1);
#undef REPORT
}
static void memory_inspect(void *ctx) {
  backing_report((backing *)ctx, CHURN_MEMORY_KEY);
}
static void mmap_inspect(void *ctx) {
  backing_report((backing *)ctx, "backing_mmap");
}

static void memory_teardown(void *ctx, const char *arg) {
  (void)arg;
  if (backing_check((backing *)ctx) != 0)
    fprintf(stderr, "churn memory: backing_check failed: %s\n",
            backing_check_detail((backing *)ctx));
  backing_close((backing *)ctx);
}

static void mmap_teardown(void *ctx, const char *dir) {
  int err;
  if (backing_check((backing *)ctx) != 0)
    fprintf(stderr, "churn mmap: backing_check failed: %s\n", backing_check_detail((backing *)ctx));
  err = backing_close((backing *)ctx);
  if (err) fprintf(stderr, "churn mmap: backing_close: %s\n", backing_strerror(err));
  mmap_cfg.flags = 0;
  err = backing_destroy(&mmap_cfg);
  if (err) fprintf(stderr, "churn mmap: backing_destroy: %s\n", backing_strerror(err));
  rmdir(dir);
}

/* ---- pointer allocators */

BENCH_INLINE void p_touch(void *ctx, uint64_t h, uint64_t v) {
  (void)ctx;
  memcpy((void *)(uintptr_t)h, &v, sizeof v);
}

#ifdef CHURN_WITH_MIMALLOC
BENCH_INLINE uint64_t mi_alloc(void *ctx, uint64_t size) {
  (void)ctx;
  return (uint64_t)(uintptr_t)mi_malloc(size);
}
BENCH_INLINE void mi_release(void *ctx, uint64_t h) {
  (void)ctx;
  mi_free((void *)(uintptr_t)h);
}
CHURN_DEFINE_RUN(mimalloc_run, mi_alloc, mi_release, p_touch)
#else
BENCH_INLINE uint64_t m_alloc(void *ctx, uint64_t size) {
  (void)ctx;
  return (uint64_t)(uintptr_t)malloc(size);
}
BENCH_INLINE void m_free(void *ctx, uint64_t h) {
  (void)ctx;
  free((void *)(uintptr_t)h);
}
CHURN_DEFINE_RUN(malloc_run, m_alloc, m_free, p_touch)
#endif

static void *none_setup(const char *arg) {
  (void)arg;
  return NULL;
}
static void none_teardown(void *ctx, const char *arg) {
  (void)ctx;
  (void)arg;
}

static const churn_allocator allocators[] = {
    {CHURN_MEMORY_KEY, CHURN_MEMORY_NAME, memory_setup, memory_teardown, backing_run,
     memory_inspect},
    {"backing_mmap", "backing MMAP", mmap_setup, mmap_teardown, backing_run, mmap_inspect},
#ifdef CHURN_WITH_MIMALLOC
    {"mimalloc", "mimalloc", none_setup, none_teardown, mimalloc_run, NULL},
#else
    {"malloc", "glibc malloc", none_setup, none_teardown, malloc_run, NULL},
#endif
};

int main(int argc, char **argv) {
  const char *which = argc > 1 ? argv[1] : "";
  size_t i;
  static const char *aliases[][2] = {{"memory", CHURN_MEMORY_KEY}, {"mmap", "backing_mmap"}};
  for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (strcmp(which, aliases[i][0]) == 0) which = aliases[i][1];
  for (i = 0; i < sizeof allocators / sizeof allocators[0]; i++)
    if (strcmp(which, allocators[i].key) == 0)
      return churn_main(&allocators[i], argc > 2 ? argv[2] : NULL);
  fprintf(stderr, "usage: %s memory | mmap DIR | %s\n", argv[0],
#ifdef CHURN_WITH_MIMALLOC
          "mimalloc"
#else
          "malloc"
#endif
  );
  return 2;
}
