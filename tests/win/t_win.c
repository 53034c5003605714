/* t_win.c: the portable test program of backing.h (issue 11). Only the public API
   (backing_*, BACKING_*) is used, so the same file builds on Linux (gcc, clang) and for
   Windows (MinGW-w64, run under Wine or on Windows), and what it asserts is what a user of
   either build would see.

   Usage:
     t_win [test names...]     run the tests (all when none): "ok", "FAIL", "SKIP" lines,
                               then "K skipped" and "N passed, M failed"
     t_win --list              the test names
     t_win make DIR            write the exchange store DIR/xchg.backing (known content)
     t_win verify DIR [N]      open it, check every piece of that content and backing_check,
                               require N earlier visits (when given), then add a visit
     t_win crash DIR           kill a child busy in that store (a crash for the next opener)
     t_win --child ROLE ...    internal: the other process of a sharing or crash test
   WT_TMP names the directory the tests' scratch directory goes in (default: the system's
   temporary directory). */
#ifndef T_WIN_NO_IMPLEMENTATION /* -DT_WIN_NO_IMPLEMENTATION: compile the tests only */
#define BACKING_IMPLEMENTATION
#endif
#include "../../backing.h"

#include "wt.h"

#define KIB 1024ull
#define MIB (1024ull * 1024ull)

/* ---- helpers -------------------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

/* Bytes that depend on the seed and the position, so a block copied to the wrong place or
   overwritten by a neighbour shows. */
static void fill(void *p, uint64_t n, uint64_t seed) {
  unsigned char *b = (unsigned char *)p;
  uint64_t i, k = seed * 0x9E3779B97F4A7C15ull;
  for (i = 0; i < n; i++) b[i] = (unsigned char)((k >> 24) + i * 7 + (i >> 8) + (i >> 16));
}
/* -1 if p holds fill(seed), else the first wrong byte's index. */
static long long mismatch(const void *p, uint64_t n, uint64_t seed) {
  const unsigned char *b = (const unsigned char *)p;
  uint64_t i, k = seed * 0x9E3779B97F4A7C15ull;
  if (!p) return 0;
  for (i = 0; i < n; i++)
    if (b[i] != (unsigned char)((k >> 24) + i * 7 + (i >> 8) + (i >> 16))) return (long long)i;
  return -1;
}
#define CHECK_FILL(p, n, seed)                                             \
  do {                                                                     \
    long long bad_ = mismatch((p), (n), (seed));                           \
    CHECKF(bad_ < 0, "%s (%llu bytes, seed %llu): wrong byte at %lld", #p, \
           (unsigned long long)(n), (unsigned long long)(seed), bad_);     \
  } while (0)

static backing_config mem_cfg(uint64_t arena_size, uint64_t max_size) {
  backing_config c;
  memset(&c, 0, sizeof c);
  c.source = BACKING_SOURCE_MEMORY;
  c.arena_size = arena_size;
  c.max_size = max_size;
  return c;
}
static backing_config mmap_cfg(const char *dir, const char *name, uint64_t arena_size) {
  backing_config c;
  memset(&c, 0, sizeof c);
  c.source = BACKING_SOURCE_MMAP;
  c.dirname = dir;
  c.name = name;
  c.arena_size = arena_size;
  return c;
}

#define OPEN(cfgp) wt_open((cfgp), __FILE__, __LINE__)
static backing *wt_open(const backing_config *c, const char *file, int line) {
  backing *s = NULL;
  int rc = backing_open(&s, c);
  if (!wt_check(rc == 0 && s != NULL, file, line, "backing_open: %s", wt_err_name(rc))) return NULL;
  return s;
}
#define CLOSE(s) CHECK_OK(backing_close(s))
#define CHECK_STORE(s)                                                                    \
  do {                                                                                    \
    int rc_ = backing_check(s);                                                           \
    CHECKF(rc_ == 0, "backing_check: %s: %s", wt_err_name(rc_), backing_check_detail(s)); \
  } while (0)

static backing_stats stat_of(backing *s) {
  backing_stats st;
  memset(&st, 0, sizeof st);
  CHECK_OK(backing_stat(s, &st));
  return st;
}

/* "<dir>/<name>.backing", the MMAP source's file */
static const char *store_file(char *buf, size_t cap, const char *dir, const char *name) {
  snprintf(buf, cap, "%s/%s.backing", dir, name);
  return buf;
}

/* A code a platform returns for a call it cannot do (the mapping layer's contract). */
static int unsupported(int rc) {
  return rc == ENOSYS || rc == ENOTSUP || rc == EOPNOTSUPP;
}

/* ---- errors --------------------------------------------------------------------------- */

static void t_errors_strerror(void) {
  static const int codes[] = {
#define CODE(name, value, text) name,
      BACKING_ERRORS(CODE)
#undef CODE
  };
  size_t i, j, n = sizeof codes / sizeof codes[0];
  CHECK_EQ(n, 18);
  for (i = 0; i < n; i++) {
    const char *m = backing_strerror(codes[i]);
    CHECKF(codes[i] == -(int)(i + 1), "code %d out of order", codes[i]);
    if (!CHECKF(m && *m, "strerror(%d) is empty", codes[i])) continue;
    for (j = 0; j < i; j++)
      CHECKF(strcmp(m, backing_strerror(codes[j])) != 0, "codes %d and %d share \"%s\"", codes[i],
             codes[j], m);
  }
  CHECK(backing_strerror(0) != NULL);
  CHECK(backing_strerror(ENOENT) != NULL && *backing_strerror(ENOENT));
  CHECK(backing_strerror(ENOSPC) != NULL && *backing_strerror(ENOSPC));
  { /* a system message may sit in a buffer the next call reuses (msvcrt's strerror) */
    char m1[200];
    snprintf(m1, sizeof m1, "%s", backing_strerror(ENOENT));
    CHECK(strcmp(m1, backing_strerror(ENOSPC)) != 0);
  }
  CHECK(backing_strerror(-999) != NULL && backing_strerror(123456) != NULL);
  CHECK(strcmp(backing_strerror(BACKING_ECORRUPT), "store fails validation") == 0);
}

static void t_errors_codes(void) {
  backing_config c = mem_cfg(64 * KIB, 256 * KIB);
  backing *s = NULL;
  backing_addr a, g, b;
  backing_stats st;
  char name[80];
  int i, rc;
  /* bad configs */
  c.arena_size = 1000;
  CHECK_RC(backing_open(&s, &c), BACKING_EINVAL);
  CHECK(s == NULL);
  c.arena_size = 32 * KIB;
  CHECK_RC(backing_open(&s, &c), BACKING_EINVAL);
  c.arena_size = 64 * KIB;
  CHECK_RC(backing_open(NULL, &c), BACKING_EINVAL);
  CHECK_RC(backing_close(NULL), BACKING_EINVAL);
  s = OPEN(&c);
  if (!s) return;
  st = stat_of(s);
  CHECK_EQ(st.arena_size, 64 * KIB);
  CHECK_EQ(st.max_block, 61424); /* README: 64 KiB arenas */
  a = backing_alloc(s, 100);
  CHECK(a != 0);
  CHECK_LAST(0);
  /* free: null, interior, misaligned, double */
  CHECK_EQ(backing_free(s, 0), 0);
  CHECK_LAST(BACKING_EBADADDR);
  CHECK_EQ(backing_free(s, a + 16), 0);
  CHECK(backing_last_error() == BACKING_EBADADDR || backing_last_error() == BACKING_EFREED);
  CHECK_EQ(backing_free(s, a + 3), 0);
  CHECK_LAST(BACKING_EBADADDR);
  CHECK(backing_free(s, a) >= 100);
  CHECK_LAST(0);
  CHECK_EQ(backing_free(s, a), 0);
  CHECK_LAST(BACKING_EFREED);
  CHECK_EQ(backing_sizeof(s, a), 0);
  CHECK_LAST(BACKING_EFREED);
  /* too big, then full */
  CHECK_EQ(backing_alloc(s, st.max_block + 1), 0);
  CHECK_LAST(BACKING_ETOOBIG);
  CHECK_EQ(backing_alloc_aligned(s, 64, 3), 0);
  CHECK_LAST(BACKING_EINVAL);
  for (i = 0; i < 10 && (b = backing_alloc(s, st.max_block)) != 0; i++) {
  }
  CHECKF(i >= 3 && i < 10, "%d largest blocks fit in 256 KiB of 64 KiB arenas", i);
  CHECK_LAST(BACKING_ENOSPACE);
  CHECK(stat_of(s).alloc_failures >= 2);
  /* kinds of block */
  g = backing_gc_alloc(s, 64, 5, 1);
  a = backing_alloc(s, 64);
  CHECK(g != 0 && a != 0);
  CHECK_EQ(backing_free(s, g), 0);
  CHECK_LAST(BACKING_ETYPE);
  CHECK_EQ(backing_gc_ref(s, a), 0);
  CHECK_LAST(BACKING_ETYPE);
  CHECK_EQ(backing_gc_free(s, g), 0);
  CHECK_LAST(BACKING_EREFERENCED);
  CHECK_EQ(backing_str_len(s, g), 0);
  CHECK(backing_last_error() == BACKING_ETYPE || backing_last_error() == BACKING_EBADADDR);
  /* roots */
  CHECK_EQ(backing_root_get(s, "missing"), 0);
  CHECK_LAST(BACKING_ENOTFOUND);
  CHECK_RC(backing_root_del(s, "missing"), BACKING_ENOTFOUND);
  CHECK_RC(backing_root_set(s, "", a), BACKING_EINVAL);
  CHECK_RC(backing_root_set(s, "zero", 0), BACKING_EINVAL);
  memset(name, 'n', sizeof name);
  name[BACKING_ROOT_NAME_MAX + 1] = 0;
  CHECK_RC(backing_root_set(s, name, a), BACKING_EINVAL);
  name[BACKING_ROOT_NAME_MAX] = 0;
  CHECK_OK(backing_root_set(s, name, a));
  for (i = 1; i < BACKING_ROOT_MAX; i++) {
    snprintf(name, sizeof name, "root%d", i);
    if (!CHECK_OK(backing_root_set(s, name, a))) break;
  }
  rc = backing_root_set(s, "one-too-many", a);
  CHECK_RC(rc, BACKING_EFULL);
  CHECK_LAST(BACKING_EFULL);
  /* accessors outside the store */
  {
    unsigned char buf[8];
    CHECK_RC(backing_read(s, 0, buf, 8), BACKING_EBADADDR);
    CHECK_RC(backing_read(s, st.capacity * 1000, buf, 8), BACKING_EBADADDR);
    CHECK(backing_ptr(s, (backing_addr)1 << 50) == NULL);
    CHECK_LAST(BACKING_EBADADDR);
    CHECK_EQ(backing_addr_of(s, buf), 0);
    CHECK_LAST(BACKING_EBADADDR);
  }
  CHECK_STORE(s);
  CLOSE(s);
}

/* ---- the allocator on the MEMORY source ----------------------------------------------- */

static void t_memory_alloc_free_realloc_calloc(void) {
  backing_config c = mem_cfg(1 * MIB, 0);
  backing *s = OPEN(&c);
  backing_addr a[400], r, z, al;
  uint64_t sz[400], i, seed = 0x1234567;
  backing_stats st;
  unsigned char *p;
  if (!s) return;
  for (i = 0; i < 400; i++) {
    sz[i] = i < 200 ? 1 + i * 21 : 4097 + (rng_next(&seed) % 60000);
    a[i] = backing_alloc(s, sz[i]);
    if (!CHECK(a[i] != 0)) break;
    CHECKF(a[i] % 16 == 0, "block %llu at %llu is not 16-aligned", (unsigned long long)i,
           (unsigned long long)a[i]);
    CHECK(backing_sizeof(s, a[i]) >= sz[i]);
    CHECK(backing_sizeof(s, a[i]) <= sz[i] + sz[i] / 4 + 16);
    CHECK(backing_addr_of(s, backing_ptr(s, a[i])) == a[i]);
    fill(backing_ptr(s, a[i]), sz[i], a[i]);
  }
  if (i < 400) {
    CLOSE(s);
    return;
  }
  CHECK_EQ(stat_of(s).used_blocks, 400);
  for (i = 0; i < 400; i += 2) CHECK(backing_free(s, a[i]) >= sz[i]);
  for (i = 1; i < 400; i += 2) CHECK_FILL(backing_ptr(s, a[i]), sz[i], a[i]);
  CHECK_EQ(stat_of(s).used_blocks, 200);
  /* realloc: grow (moves or not), contents kept; shrink keeps the prefix */
  r = backing_realloc(s, a[1], 50000);
  CHECK(r != 0 && backing_sizeof(s, r) >= 50000);
  CHECK_FILL(backing_ptr(s, r), sz[1], a[1]);
  z = backing_realloc(s, r, 10);
  CHECK(z != 0 && backing_sizeof(s, z) >= 10);
  CHECK_FILL(backing_ptr(s, z), 10, a[1]);
  CHECK(backing_realloc(s, z, (uint64_t)1 << 40) == 0);
  CHECK_LAST(BACKING_ETOOBIG);
  CHECK_FILL(backing_ptr(s, z), 10, a[1]); /* untouched by the failed realloc */
  r = backing_realloc(s, 0, 77);
  CHECK(r != 0 && backing_sizeof(s, r) >= 77);
  /* calloc after a dirty block of the same size was freed */
  p = (unsigned char *)backing_ptr(s, a[3]);
  memset(p, 0xFF, (size_t)sz[3]);
  CHECK(backing_free(s, a[3]) > 0);
  z = backing_calloc(s, sz[3]);
  if (CHECK(z != 0)) {
    uint64_t n = backing_sizeof(s, z), k, nz = 0;
    p = (unsigned char *)backing_ptr(s, z);
    for (k = 0; k < n; k++) nz += p[k] != 0;
    CHECKF(nz == 0, "calloc left %llu nonzero bytes", (unsigned long long)nz);
  }
  /* alignment up to a page */
  for (i = 16; i <= 4096; i *= 2) {
    al = backing_alloc_aligned(s, 100, i);
    CHECKF(al != 0 && al % i == 0 && (uintptr_t)backing_ptr(s, al) % i == 0,
           "alloc_aligned(100, %llu) = %llu", (unsigned long long)i, (unsigned long long)al);
  }
  st = stat_of(s);
  CHECK(st.used_bytes > 0 && st.capacity == st.arena_size * st.arena_count);
  CHECK(st.used_bytes + st.free_bytes <= st.capacity);
  CHECK_STORE(s);
  CLOSE(s);
}

/* ---- typed accessors, copies and atomics ---------------------------------------------- */

static void t_accessors_typed(void) {
  backing_config c = mem_cfg(64 * KIB, 0);
  backing *s = OPEN(&c);
  backing_addr a, b;
  unsigned char buf[300];
  uint64_t e64;
  uint32_t e32;
  int i;
  if (!s) return;
  a = backing_calloc(s, 256);
  if (!CHECK(a != 0)) {
    CLOSE(s);
    return;
  }
  backing_set_i8(s, a + 0, -5);
  backing_set_u8(s, a + 1, 250);
  backing_set_i16(s, a + 2, -30000);
  backing_set_u16(s, a + 4, 65000);
  backing_set_i32(s, a + 8, -2000000000);
  backing_set_u32(s, a + 12, 4000000000u);
  backing_set_i64(s, a + 16, -9000000000000000000ll);
  backing_set_u64(s, a + 24, 18000000000000000000ull);
  backing_set_f32(s, a + 32, 1.5f);
  backing_set_f64(s, a + 40, -2.25e300);
  backing_set_u64(s, a + 51, 0x0102030405060708ull); /* unaligned */
  CHECK(backing_get_i8(s, a + 0) == -5);
  CHECK(backing_get_u8(s, a + 1) == 250);
  CHECK(backing_get_i16(s, a + 2) == -30000);
  CHECK(backing_get_u16(s, a + 4) == 65000);
  CHECK(backing_get_i32(s, a + 8) == -2000000000);
  CHECK(backing_get_u32(s, a + 12) == 4000000000u);
  CHECK(backing_get_i64(s, a + 16) == -9000000000000000000ll);
  CHECK(backing_get_u64(s, a + 24) == 18000000000000000000ull);
  CHECK(backing_get_f32(s, a + 32) == 1.5f);
  CHECK(backing_get_f64(s, a + 40) == (double)-2.25e300); /* (double): no x87 excess precision */
  CHECK(backing_get_u64(s, a + 51) == 0x0102030405060708ull);
  CHECK(backing_get_u8(s, a + 51) == 0x08); /* host order: little-endian x86-64 */
  /* read, write, copy (overlapping) */
  for (i = 0; i < 300; i++) buf[i] = (unsigned char)i;
  CHECK_OK(backing_write(s, a + 100, buf, 150));
  memset(buf, 0, sizeof buf);
  CHECK_OK(backing_read(s, a + 100, buf, 150));
  for (i = 0; i < 150; i++) CHECKF(buf[i] == (unsigned char)i, "read byte %d", i);
  CHECK_OK(backing_copy(s, a + 110, a + 100, 100));
  CHECK_OK(backing_read(s, a + 110, buf, 100));
  for (i = 0; i < 100; i++) CHECKF(buf[i] == (unsigned char)i, "copied byte %d", i);
  CHECK_OK(backing_read(s, a, buf, 0));
  /* a copy between blocks */
  b = backing_alloc(s, 256);
  CHECK_OK(backing_copy(s, b, a, 256));
  CHECK(memcmp(backing_ptr(s, a), backing_ptr(s, b), 256) == 0);
  /* atomics */
  backing_atomic_store_u64(s, a + 64, 10);
  CHECK_EQ(backing_atomic_add_u64(s, a + 64, 5), 10);
  CHECK_EQ(backing_atomic_load_u64(s, a + 64), 15);
  e64 = 15;
  CHECK_EQ(backing_atomic_cas_u64(s, a + 64, &e64, 99), 1);
  e64 = 15;
  CHECK_EQ(backing_atomic_cas_u64(s, a + 64, &e64, 100), 0);
  CHECK_EQ(e64, 99);
  backing_atomic_store_u32(s, a + 72, 7);
  CHECK_EQ(backing_atomic_add_u32(s, a + 72, 0xffffffffu), 7); /* wraps: 6 */
  e32 = 6;
  CHECK_EQ(backing_atomic_cas_u32(s, a + 72, &e32, 1), 1);
  CHECK_EQ(backing_atomic_load_u32(s, a + 72), 1);
  CHECK_STORE(s);
  CLOSE(s);
}

/* ---- threads on one handle ------------------------------------------------------------ */

struct thr {
  backing *s;
  uint64_t seed;
  int ops, bad;
  char first[160]; /* the first bad operation */
};
static void thr_bad(struct thr *t, const char *what, int op, uint64_t size, int err) {
  if (!t->bad++)
    snprintf(t->first, sizeof t->first, "op %d: %s (%llu bytes): %s", op, what,
             (unsigned long long)size, err ? wt_err_name(err) : "wrong contents");
}
static void thr_main(void *arg) {
  struct thr *t = (struct thr *)arg;
  backing_addr held[64];
  uint64_t sz[64];
  int i, k;
  memset(held, 0, sizeof held);
  for (i = 0; i < t->ops; i++) {
    k = (int)(rng_next(&t->seed) % 64);
    if (held[k]) {
      if (mismatch(backing_ptr(t->s, held[k]), sz[k], held[k]) >= 0)
        thr_bad(t, "block changed", i, sz[k], 0);
      if (backing_free(t->s, held[k]) < sz[k]) thr_bad(t, "free", i, sz[k], backing_last_error());
      held[k] = 0;
    } else {
      sz[k] = 1 + rng_next(&t->seed) % (i % 10 == 0 ? 30000 : 900);
      held[k] = backing_alloc(t->s, sz[k]);
      if (!held[k]) {
        thr_bad(t, "alloc", i, sz[k], backing_last_error());
        continue;
      }
      fill(backing_ptr(t->s, held[k]), sz[k], held[k]);
    }
  }
  for (k = 0; k < 64; k++)
    if (held[k] && mismatch(backing_ptr(t->s, held[k]), sz[k], held[k]) >= 0)
      thr_bad(t, "block changed (at the end)", t->ops, sz[k], 0);
}

static void t_threads_one_handle(void) {
  backing_config c = mmap_cfg(wt_tmp_dir, "thr", 64 * KIB);
  backing *s = OPEN(&c);
  struct thr t[4];
  wt_thread th[4];
  int i, started = 0;
  if (!s) return;
  for (i = 0; i < 4; i++) {
    t[i].s = s;
    t[i].seed = 0x51ed270b + (uint64_t)i * 7919;
    t[i].ops = 6000;
    t[i].bad = 0;
    t[i].first[0] = 0;
    if (CHECK(wt_thread_create(&th[i], thr_main, &t[i]) == 0)) started++;
  }
  for (i = 0; i < started; i++) wt_thread_join(th[i]);
  for (i = 0; i < started; i++)
    CHECKF(t[i].bad == 0, "thread %d: %d bad operations, first %s", i, t[i].bad, t[i].first);
  CHECK(stat_of(s).arena_count > 2);
  CHECK_STORE(s);
  CLOSE(s);
}

/* The store grows while another thread starts and ends threads (as programs do: a thread
   pool, a loader): the system places their stacks wherever address space is free, and the
   store's growth must not lose its reserved range to them. */
static volatile int churn_stop;
static void churn_nothing(void *arg) {
  (void)arg;
}
static void churn_main(void *arg) {
  uint64_t *made = (uint64_t *)arg;
  wt_thread t;
  while (!churn_stop)
    if (wt_thread_create(&t, churn_nothing, NULL) == 0) wt_thread_join(t), ++*made;
}

static void t_threads_started_while_growing(void) {
  backing_config c = mmap_cfg(wt_tmp_dir, "churn", 64 * KIB);
  backing *s = OPEN(&c);
  wt_thread churn;
  uint64_t made = 0;
  backing_addr a;
  int i, ok = 0, first_err = 0, first_at = -1, started;
  if (!s) return;
  churn_stop = 0;
  started = CHECK(wt_thread_create(&churn, churn_main, &made) == 0);
  for (i = 0; i < 60; i++) { /* one new arena each */
    a = backing_alloc(s, 60000);
    if (a) {
      fill(backing_ptr(s, a), 60000, a);
      ok++;
    } else if (first_at < 0) {
      first_at = i;
      first_err = backing_last_error();
    }
  }
  churn_stop = 1;
  if (started) wt_thread_join(churn);
  CHECKF(ok == 60,
         "%d of 60 arena-sized allocs failed, the first (alloc %d) with %s; threads started "
         "meanwhile: %llu",
         60 - ok, first_at, wt_err_name(first_err), (unsigned long long)made);
  CHECK_STORE(s);
  CLOSE(s);
}

/* ---- roots and persistence ------------------------------------------------------------ */

static void t_roots_persist(void) {
  backing_config c = mmap_cfg(wt_tmp_dir, "roots", 64 * KIB);
  backing *s = OPEN(&c);
  backing_addr a[10];
  char name[32];
  int i;
  if (!s) return;
  for (i = 0; i < 10; i++) {
    a[i] = backing_alloc(s, 40);
    CHECK(a[i] != 0);
    backing_set_u64(s, a[i], 1000 + (uint64_t)i);
    snprintf(name, sizeof name, "r%d", i);
    CHECK_OK(backing_root_set(s, name, a[i]));
  }
  CHECK_OK(backing_root_set(s, "r3", a[9])); /* replaces */
  CHECK_EQ(backing_root_get(s, "r3"), a[9]);
  CHECK_OK(backing_root_del(s, "r4"));
  CHECK_EQ(backing_root_get(s, "r4"), 0);
  CHECK_LAST(BACKING_ENOTFOUND);
  CLOSE(s);
  s = OPEN(&c);
  if (!s) return;
  for (i = 0; i < 10; i++) {
    backing_addr want = i == 3 ? a[9] : i == 4 ? 0 : a[i];
    snprintf(name, sizeof name, "r%d", i);
    CHECKF(backing_root_get(s, name) == want, "root %s after reopen", name);
    if (want) CHECK_EQ(backing_get_u64(s, want), 1000 + (uint64_t)(i == 3 ? 9 : i));
  }
  CHECK_STORE(s);
  CLOSE(s);
}

static void t_mmap_persist_reopen(void) {
  char f[1024], sub[900];
  backing_config c = mmap_cfg(wt_path(sub, sizeof sub, "made/here"), "p", 64 * KIB);
  backing *s = NULL;
  backing_addr a[50];
  uint64_t i;
  int rc;
  /* NOCREATE on nothing: ENOENT, and nothing is created */
  c.flags = BACKING_NOCREATE;
  CHECK_RC(backing_open(&s, &c), ENOENT);
  CHECK(s == NULL);
  CHECK(!wt_exists(store_file(f, sizeof f, sub, "p")));
  c.flags = 0;
  s = OPEN(&c); /* makes the directories */
  if (!s) return;
  CHECK(wt_exists(f));
  for (i = 0; i < 50; i++) {
    a[i] = backing_alloc(s, 100 + i * 300);
    CHECK(a[i] != 0);
    fill(backing_ptr(s, a[i]), 100 + i * 300, i);
  }
  CHECK_OK(backing_root_set(s, "first", a[0]));
  CHECK_OK(backing_sync(s, 0, 0, BACKING_SYNC_BLOCK));
  { /* the same file again, spelt the same or not: the same handle, closed once each */
    char dot[1000];
    backing_config c2 = c;
    backing *s2 = OPEN(&c), *s3;
    snprintf(dot, sizeof dot, "%s/./", sub);
    c2.dirname = dot;
    s3 = OPEN(&c2);
    CHECK(s2 == s);
    CHECKF(s3 == s, "\"%s\" opened a second handle on the same file", dot);
    if (s2) CLOSE(s2);
    if (s3) CLOSE(s3);
    CHECK_EQ(backing_root_get(s, "first"), a[0]); /* still open: one close left */
  }
  CLOSE(s);
  CHECK_EQ(wt_file_size(f) % (long long)(64 * KIB), 0);
  CHECK(wt_file_size(f) >= (long long)(2 * 64 * KIB));
  /* EXCL on an existing store */
  c.flags = BACKING_EXCL;
  CHECK_RC(backing_open(&s, &c), EEXIST);
  c.flags = BACKING_NOCREATE;
  s = OPEN(&c);
  if (!s) return;
  CHECK_EQ(backing_root_get(s, "first"), a[0]);
  for (i = 0; i < 50; i++) {
    CHECK(backing_sizeof(s, a[i]) >= 100 + i * 300);
    CHECK_FILL(backing_ptr(s, a[i]), 100 + i * 300, i);
  }
  CHECK_EQ(stat_of(s).used_blocks, 50);
  CHECK_STORE(s);
  CLOSE(s);
  /* the stored arena size wins when none is given; another one is refused */
  c.arena_size = 0;
  s = OPEN(&c);
  if (s) {
    CHECK_EQ(stat_of(s).arena_size, 64 * KIB);
    CLOSE(s);
  }
  c.arena_size = 128 * KIB;
  CHECK_RC(backing_open(&s, &c), BACKING_EMISMATCH);
  c.arena_size = 64 * KIB;
  CHECK_OK(backing_destroy(&c));
  CHECK(!wt_exists(f));
  rc = backing_destroy(&c);
  CHECK_RC(rc, ENOENT);
}

/* Names are UTF-8 on every platform (on Windows: the wide-character file API). */
static void t_mmap_utf8_path(void) {
  static const char sub[] = "d\xc3\xa9j\xc3\xa0-\xe6\x97\xa5\xe6\x9c\xac"; /* deja-nihon */
  static const char name[] = "st\xc3\xb6re";
  char dir[1000], f[1100];
  backing_config c;
  backing_mapping m;
  backing *s;
  backing_addr a;
  snprintf(dir, sizeof dir, "%s/%s", wt_tmp_dir, sub);
  c = mmap_cfg(dir, name, 64 * KIB);
  s = OPEN(&c);
  if (!s) return;
  a = backing_alloc(s, 100);
  CHECK(a != 0);
  backing_set_u64(s, a, 0x5554463821ull);
  CHECK_OK(backing_root_set(s, "a", a));
  CLOSE(s);
  c.flags = BACKING_NOCREATE;
  s = OPEN(&c);
  if (s) {
    CHECK_EQ(backing_get_u64(s, backing_root_get(s, "a")), 0x5554463821ull);
    CLOSE(s);
  }
  store_file(f, sizeof f, dir, name);
  if (CHECK_OK(backing_file_map(&m, f, 0, 64, BACKING_MAP_READ))) {
    CHECK(memcmp(m.data, "BACKING\0", 8) == 0);
    CHECK_OK(backing_file_unmap(&m));
  }
#ifdef _WIN32
  { /* the name on disk is those characters, not their bytes in the ANSI code page */
    wchar_t w[1100];
    CHECK(MultiByteToWideChar(CP_UTF8, 0, f, -1, w, 1100) > 0);
    CHECK(GetFileAttributesW(w) != INVALID_FILE_ATTRIBUTES);
    CHECK(wcsstr(w, L"\x00e9j\x00e0-\x65e5\x672c") != NULL);
  }
#endif
  CHECK_OK(backing_destroy(&c));
  c.flags = BACKING_NOCREATE;
  CHECK_RC(backing_open(&s, &c), ENOENT);
}

/* Many arenas: 64 KiB each, a few MiB allocated. */
static void t_mmap_growth_many_arenas(void) {
  char f[900];
  backing_config c = mmap_cfg(wt_tmp_dir, "grow", 64 * KIB);
  backing *s = OPEN(&c);
  enum { N = 400 };
  static backing_addr a[N];
  static uint64_t sz[N];
  backing_stats st;
  uint64_t seed = 77, total = 0;
  int i, k, n = 0;
  if (!s) return;
  for (i = 0; i < N; i++) {
    sz[i] = i % 10 == 0 ? 30000 + rng_next(&seed) % 31000 : 16 + rng_next(&seed) % 4000;
    a[i] = backing_alloc(s, sz[i]);
    if (!CHECKF(a[i] != 0, "alloc %d: %s", i, wt_err_name(backing_last_error()))) break;
    fill(backing_ptr(s, a[i]), sz[i], (uint64_t)i);
    total += sz[i];
    n++;
  }
  st = stat_of(s);
  CHECKF(st.arena_count >= 30, "%llu arenas for %llu bytes", (unsigned long long)st.arena_count,
         (unsigned long long)total);
  CHECK_EQ(st.used_blocks, (uint64_t)n);
  CHECK_OK(backing_root_set(s, "last", a[n - 1]));
  /* arenas added since the open, synced as one range */
  CHECK_OK(backing_sync(s, 0, 0, BACKING_SYNC_BLOCK));
  CLOSE(s);
  CHECK_EQ(wt_file_size(store_file(f, sizeof f, wt_tmp_dir, "grow")), st.capacity);
  s = OPEN(&c);
  if (!s) return;
  CHECK_EQ(stat_of(s).arena_count, st.arena_count);
  CHECK_EQ(backing_root_get(s, "last"), a[n - 1]);
  for (i = 0; i < n; i++) CHECK_FILL(backing_ptr(s, a[i]), sz[i], (uint64_t)i);
  /* the mapping layer over the arenas found at open */
  CHECK_OK(backing_sync(s, 0, 0, BACKING_SYNC_BLOCK));
  CHECK_OK(backing_sync(s, a[0], st.capacity / 2, BACKING_SYNC_ASYNC));
  {
    uint64_t res = 0, tot = 0;
    int rc = backing_incore(s, 0, 0, &res, &tot);
    if (rc == 0)
      CHECK(tot == st.capacity / backing_pagesize() && res >= 1 && res <= tot);
    else
      CHECKF(unsupported(rc), "incore: %s", wt_err_name(rc));
    rc = backing_advise(s, 0, 0, BACKING_ADVICE_WILLNEED);
    CHECKF(rc == 0 || unsupported(rc), "advise(WILLNEED): %s", wt_err_name(rc));
  }
  for (i = 0; i < n; i += 2) CHECK(backing_free(s, a[i]) >= sz[i]);
  CHECK_STORE(s);
  /* what was freed is used again (the large blocks first) before the store grows */
  for (k = 0; k < 2; k++)
    for (i = 0; i < n; i += 2) {
      if ((sz[i] >= 30000) != (k == 0)) continue;
      a[i] = backing_alloc(s, sz[i]);
      if (CHECK(a[i] != 0)) fill(backing_ptr(s, a[i]), sz[i], (uint64_t)i);
    }
  CHECKF(stat_of(s).arena_count <= st.arena_count + 3, "%llu arenas after refilling %llu",
         (unsigned long long)stat_of(s).arena_count, (unsigned long long)st.arena_count);
  for (i = 0; i < n; i++) CHECK_FILL(backing_ptr(s, a[i]), sz[i], (uint64_t)i);
  CHECK_STORE(s);
  CLOSE(s);
}

/* Blocks larger than an arena (BACKING_HUGE): a span of arenas made in one growth,
   contiguous in the view, whole after a reopen, taken again once freed. */
static void t_mmap_huge_block(void) {
  backing_config c = mmap_cfg(wt_tmp_dir, "huge", 64 * KIB);
  backing *s;
  backing_addr a, b;
  uint64_t n = 400 * KIB, got, arenas;
  c.flags |= BACKING_HUGE;
  s = OPEN(&c);
  if (!s) return;
  a = backing_alloc(s, n);
  if (!CHECKF(a != 0, "alloc(400 KiB): %s", wt_err_name(backing_last_error()))) {
    CLOSE(s);
    return;
  }
  got = backing_sizeof(s, a);
  CHECK(got >= n);
  fill(backing_ptr(s, a), got, 9);
  CHECK_OK(backing_root_set(s, "huge", a));
  CHECK_STORE(s);
  CLOSE(s);
  s = OPEN(&c);
  if (!s) return;
  CHECK_EQ(backing_root_get(s, "huge"), a);
  CHECK_EQ(backing_sizeof(s, a), got);
  CHECK_FILL(backing_ptr(s, a), got, 9);
  arenas = stat_of(s).arena_count;
  CHECK_EQ(backing_free(s, a), got);
  b = backing_alloc(s, n - 1000); /* the same span again */
  CHECK_EQ(b, a);
  CHECK_EQ(stat_of(s).arena_count, arenas);
  CHECK_STORE(s);
  fill(backing_ptr(s, b), got, 10);
  CHECK_EQ(backing_realloc(s, b, got + 200 * KIB), b); /* the last span grows in place */
  CHECK(backing_sizeof(s, b) >= got + 200 * KIB);
  CHECK_FILL(backing_ptr(s, b), got, 10);
  CHECK_STORE(s);
  CLOSE(s);
  s = OPEN(&c);
  if (!s) return;
  CHECK(backing_sizeof(s, b) >= got + 200 * KIB);
  CHECK_FILL(backing_ptr(s, b), got, 10);
  CHECK_STORE(s);
  CLOSE(s);
}

/* ---- BUFFER and CUSTOM sources -------------------------------------------------------- */

static void t_buffer_source(void) {
  size_t size = 8 * 64 * KIB + 4096, k;
  unsigned char *buf = (unsigned char *)malloc(size);
  backing_config c = mem_cfg(64 * KIB, 0);
  backing *s1, *s2;
  backing_addr a, b;
  uint64_t seed = 5;
  int n;
  if (!CHECK(buf != NULL)) return;
  for (k = 0; k < size; k++) buf[k] = (unsigned char)rng_next(&seed); /* junk: formatted */
  c.source = BACKING_SOURCE_BUFFER;
  c.buffer = buf;
  c.buffer_size = size;
  s1 = OPEN(&c);
  s2 = OPEN(&c);
  if (s1 && s2) {
    a = backing_alloc(s1, 5000);
    CHECK(a != 0);
    CHECK((unsigned char *)backing_ptr(s1, a) > buf &&
          (unsigned char *)backing_ptr(s1, a) + 5000 <= buf + size);
    fill(backing_ptr(s1, a), 5000, 1);
    CHECK_OK(backing_root_set(s1, "a", a));
    CHECK_EQ(backing_root_get(s2, "a"), a);
    CHECK_FILL(backing_ptr(s2, a), 5000, 1);
    b = backing_alloc(s2, 5000);
    CHECK(b != 0 && b != a);
    /* fill it: exactly floor((size - alignment) / arena) arenas, then ENOSPACE */
    for (n = 0; n < 100 && backing_alloc(s2, 30000) != 0; n++) {
    }
    CHECK(n < 100);
    CHECK_LAST(BACKING_ENOSPACE);
    CHECK(stat_of(s1).arena_count == 7 || stat_of(s1).arena_count == 8);
    CHECK_FILL(backing_ptr(s1, a), 5000, 1);
    CHECK_STORE(s1);
    CHECK_STORE(s2);
  }
  if (s1) CLOSE(s1);
  if (s2) CLOSE(s2);
  s1 = OPEN(&c); /* resumed, not formatted again */
  if (s1) {
    a = backing_root_get(s1, "a");
    CHECK(a != 0);
    if (a) CHECK_FILL(backing_ptr(s1, a), 5000, 1);
    CHECK_STORE(s1);
    CLOSE(s1);
  }
  free(buf);
}

/* A CUSTOM source over memory reserved by the test: VirtualAlloc on Windows (reserve,
   then commit as the store grows), malloc elsewhere. */
struct region {
  unsigned char *mem, *raw;
  uint64_t cap, stored;
  int reserves, extends, syncs, releases, bad;
};
static int region_reserve(void *ctx, uint64_t max_bytes, void **base, uint64_t *size) {
  struct region *r = (struct region *)ctx;
  r->reserves++;
  if (max_bytes > r->cap) return ENOMEM;
  *base = r->mem;
  *size = r->stored;
  return 0;
}
static int region_extend(void *ctx, void *base, uint64_t old_size, uint64_t new_size) {
  struct region *r = (struct region *)ctx;
  r->extends++;
  if (base != r->mem || new_size > r->cap || old_size > new_size) {
    r->bad++;
    return BACKING_EINVAL;
  }
#ifdef _WIN32
  if (!VirtualAlloc(r->mem + old_size, (SIZE_T)(new_size - old_size), MEM_COMMIT, PAGE_READWRITE))
    return ENOMEM;
#endif
  r->stored = new_size;
  return 0;
}
static int region_sync(void *ctx, void *base, uint64_t offset, uint64_t len, int flags) {
  struct region *r = (struct region *)ctx;
  (void)flags;
  r->syncs++;
  if (base != r->mem || offset + len > r->stored) r->bad++;
  return 0;
}
static void region_release(void *ctx, void *base, uint64_t max_bytes, uint64_t size) {
  struct region *r = (struct region *)ctx;
  r->releases++;
  if (base != r->mem || max_bytes > r->cap || size > r->cap) r->bad++;
  r->stored = size;
}

static void t_custom_source(void) {
  struct region r;
  backing_source src;
  backing_config c = mem_cfg(64 * KIB, 1 * MIB);
  backing *s;
  backing_addr a[12];
  int i;
  memset(&r, 0, sizeof r);
  r.cap = 1 * MIB;
#ifdef _WIN32
  r.mem = r.raw = (unsigned char *)VirtualAlloc(NULL, (SIZE_T)r.cap, MEM_RESERVE, PAGE_NOACCESS);
#else
  r.raw = (unsigned char *)malloc((size_t)r.cap + 4096);
  r.mem = r.raw ? r.raw + (4096 - (uintptr_t)r.raw % 4096) % 4096 : NULL;
#endif
  if (!CHECK(r.mem != NULL)) return;
  memset(&src, 0, sizeof src);
  src.ctx = &r;
  src.reserve = region_reserve;
  src.extend = region_extend;
  src.sync = region_sync;
  src.release = region_release;
  c.source = BACKING_SOURCE_CUSTOM;
  c.custom = &src;
  s = OPEN(&c);
  if (s) {
    CHECK_EQ(r.reserves, 1);
    for (i = 0; i < 12; i++) {
      a[i] = backing_alloc(s, 20000);
      if (!CHECK(a[i] != 0)) break;
      fill(backing_ptr(s, a[i]), 20000, (uint64_t)i);
      CHECK((unsigned char *)backing_ptr(s, a[i]) >= r.mem &&
            (unsigned char *)backing_ptr(s, a[i]) + 20000 <= r.mem + r.stored);
    }
    CHECK(r.extends >= 4);
    CHECK_EQ(r.stored, stat_of(s).capacity);
    CHECK_OK(backing_root_set(s, "a0", a[0]));
    CHECK_OK(backing_sync(s, 0, 0, BACKING_SYNC_BLOCK));
    CHECK(r.syncs >= 1);
    CHECK_STORE(s);
    CLOSE(s);
    CHECK_EQ(r.releases, 1);
  }
  s = OPEN(&c); /* the same memory again: resumed */
  if (s) {
    CHECK_EQ(backing_root_get(s, "a0"), a[0]);
    for (i = 0; i < 12; i++) CHECK_FILL(backing_ptr(s, a[i]), 20000, (uint64_t)i);
    CHECK_EQ(stat_of(s).used_blocks, 12);
    CHECK_STORE(s);
    CLOSE(s);
    CHECK_EQ(r.releases, 2);
  }
  CHECK_EQ(r.bad, 0);
#ifdef _WIN32
  VirtualFree(r.raw, 0, MEM_RELEASE);
#else
  free(r.raw);
#endif
}

/* ---- garbage collector ---------------------------------------------------------------- */

static int freed_calls;
static backing_addr freed_last;
static void on_free(backing *s, backing_addr a, void *ctx) {
  (void)s;
  freed_calls++;
  freed_last = a;
  if (ctx) *(int *)ctx += 1;
}

static void t_gc_refs_and_cycles(void) {
  backing_config c = mem_cfg(64 * KIB, 0);
  backing *s = OPEN(&c);
  backing_addr a, b, z;
  int ctx = 0;
  uint64_t k, each;
  if (!s) return;
  CHECK_OK(backing_gc_on_free(s, 7, on_free, &ctx));
  freed_calls = 0;
  a = backing_gc_alloc(s, 64, 7, 1);
  if (!CHECK(a != 0)) {
    CLOSE(s);
    return;
  }
  CHECK_EQ(backing_gc_refcount(s, a), 1);
  CHECK_EQ(backing_gc_type(s, a), 7);
  CHECK(backing_gc_sizeof(s, a) >= 64);
  CHECK_EQ(backing_gc_ref(s, a), 2);
  CHECK_EQ(backing_gc_unref(s, a), 1);
  CHECK_EQ(backing_gc_unref(s, a), 0);
  CHECK_LAST(0);
  CHECK_EQ(backing_gc_unref(s, a), 0); /* stays 0 */
  CHECK_EQ(stat_of(s).gc_waiting, 1);
  CHECK_EQ(backing_gc_age(s, a), 0);
  /* lifetime 2: the first cycle ages it, the second frees it */
  CHECK_EQ(backing_gc_cycle(s), 0);
  CHECK_EQ(backing_gc_age(s, a), 1);
  CHECK_EQ(freed_calls, 0);
  CHECK_EQ(backing_gc_cycle(s), 80);
  CHECK_EQ(freed_calls, 1);
  CHECK_EQ(ctx, 1);
  CHECK_EQ(freed_last, a);
  CHECK_EQ(backing_gc_refcount(s, a), 0);
  CHECK(backing_last_error() == BACKING_EFREED || backing_last_error() == BACKING_EBADADDR);
  /* ref from 0 takes it off the list and restarts its age */
  b = backing_gc_alloc(s, 200, 8, 0);
  CHECK(b != 0);
  CHECK_EQ(backing_gc_cycle(s), 0);
  CHECK_EQ(backing_gc_age(s, b), 1);
  CHECK_EQ(backing_gc_ref(s, b), 1);
  CHECK_EQ(backing_gc_cycle(s), 0);
  CHECK_EQ(backing_gc_cycle(s), 0);
  CHECK_EQ(backing_gc_refcount(s, b), 1);
  CHECK_EQ(backing_gc_free(s, b), 0);
  CHECK_LAST(BACKING_EREFERENCED);
  CHECK_EQ(backing_gc_unref(s, b), 0);
  CHECK(backing_gc_free(s, b) >= 216);
  CHECK_EQ(stat_of(s).gc_waiting, 0);
  /* calloc zeroes; many blocks go at once */
  z = backing_gc_calloc(s, 3000, 9, 1);
  if (CHECK(z != 0)) {
    const unsigned char *p = (const unsigned char *)backing_ptr(s, z);
    for (k = 0; k < 3000; k++)
      if (p[k]) break;
    CHECK_EQ(k, 3000);
  }
  for (k = 0, each = 0; k < 100; k++) {
    b = backing_gc_alloc(s, 100, 7, 0);
    CHECK(b != 0);
    if (k == 0) each = backing_gc_sizeof(s, b) + 16;
  }
  CHECK(each >= 116);
  CHECK_OK(backing_gc_set_lifetime(s, 1));
  CHECK_EQ(backing_gc_cycle(s), 100 * each);
  CHECK_EQ(freed_calls, 101);
  CHECK_EQ(stat_of(s).gc_waiting, 0);
  CHECK_EQ(backing_gc_refcount(s, z), 1);
  CHECK_STORE(s);
  CLOSE(s);
}

/* ---- containers ----------------------------------------------------------------------- */

static void t_containers_str_vec(void) {
  backing_config c = mem_cfg(1 * MIB, 0);
  backing *s = OPEN(&c);
  backing_addr str, e, v;
  uint64_t i, x, *p0, *p5000 = NULL;
  if (!s) return;
  str = backing_str_new(s, "ab\0cd", 5);
  CHECK(str != 0);
  CHECK_EQ(backing_str_len(s, str), 5);
  CHECK(backing_str_data(s, str) && memcmp(backing_str_data(s, str), "ab\0cd", 6) == 0);
  e = backing_str_new(s, "", 0);
  CHECK(e != 0);
  CHECK_EQ(backing_str_len(s, e), 0);
  CHECK_LAST(0);
  CHECK_OK(backing_str_free(s, str));
  CHECK_EQ(backing_str_len(s, str), 0);
  CHECK(backing_last_error() != 0);
  /* vectors: elements never move */
  v = backing_vec_new(s, 8, 0);
  if (!CHECK(v != 0)) {
    CLOSE(s);
    return;
  }
  CHECK_EQ(backing_vec_len(s, v), 0);
  CHECK_RC(backing_vec_pop(s, v, &x), BACKING_ENOTFOUND);
  for (i = 0; i < 20000; i++) {
    x = i * 3;
    if (!CHECK_OK(backing_vec_push(s, v, &x))) break;
    if (i == 5000) p5000 = (uint64_t *)backing_vec_at(s, v, 5000);
  }
  p0 = (uint64_t *)backing_vec_at(s, v, 0);
  CHECK_EQ(backing_vec_len(s, v), 20000);
  CHECK(p5000 == (uint64_t *)backing_vec_at(s, v, 5000));
  for (i = 0; i < 20000; i++) {
    uint64_t *q = (uint64_t *)backing_vec_at(s, v, i);
    if (!CHECKF(q && *q == i * 3, "element %llu", (unsigned long long)i)) break;
  }
  CHECK(backing_vec_at(s, v, 20000) == NULL);
  CHECK_LAST(BACKING_EINVAL);
  CHECK_OK(backing_vec_pop(s, v, &x));
  CHECK_EQ(x, 19999 * 3);
  CHECK_OK(backing_vec_resize(s, v, 100));
  CHECK_EQ(backing_vec_len(s, v), 100);
  CHECK_OK(backing_vec_resize(s, v, 200));
  CHECK(*(uint64_t *)backing_vec_at(s, v, 150) == 0);
  CHECK(*(uint64_t *)backing_vec_at(s, v, 99) == 99 * 3);
  CHECK(p0 == (uint64_t *)backing_vec_at(s, v, 0));
  CHECK_EQ(backing_str_len(s, v), 0);
  CHECK_LAST(BACKING_ETYPE);
  CHECK_OK(backing_vec_free(s, v));
  CHECK_OK(backing_str_free(s, e));
  backing_gc_cycle(s);
  backing_gc_cycle(s);
  CHECK_STORE(s);
  CLOSE(s);
}

static void t_containers_map(void) {
  backing_config c = mem_cfg(1 * MIB, 0);
  backing *s = OPEN(&c);
  backing_addr m, blk;
  backing_value v, out;
  backing_map_cursor cur;
  backing_map_stats st;
  const void *key;
  uint64_t klen;
  char k[40];
  static unsigned char seen[3000];
  int i, n, rc, visited = 0, dup = 0;
  if (!s) return;
  m = backing_map_new(s, 0);
  if (!CHECK(m != 0)) {
    CLOSE(s);
    return;
  }
  memset(&v, 0, sizeof v);
  v.kind = BACKING_VALUE_I64;
  for (i = 0; i < 3000; i++) {
    n = snprintf(k, sizeof k, "key-%d", i);
    v.i64 = (int64_t)i * 1000 - 7;
    if (!CHECK_OK(backing_map_put(s, m, k, (uint64_t)n, &v))) break;
  }
  CHECK_EQ(backing_map_len(s, m), 3000);
  /* overwrite with bytes and doubles */
  for (i = 0; i < 3000; i += 10) {
    n = snprintf(k, sizeof k, "key-%d", i);
    memset(&v, 0, sizeof v);
    if (i % 20 == 0) {
      v.kind = BACKING_VALUE_BYTES;
      v.data = k;
      v.len = (uint64_t)n;
    } else {
      v.kind = BACKING_VALUE_F64;
      v.f64 = i / 4.0;
    }
    CHECK_OK(backing_map_put(s, m, k, (uint64_t)n, &v));
  }
  for (i = 0; i < 3000; i += 3) {
    n = snprintf(k, sizeof k, "key-%d", i);
    CHECK_OK(backing_map_del(s, m, k, (uint64_t)n));
  }
  CHECK_EQ(backing_map_len(s, m), 2000);
  for (i = 0; i < 3000; i++) {
    n = snprintf(k, sizeof k, "key-%d", i);
    rc = backing_map_get(s, m, k, (uint64_t)n, &out);
    if (i % 3 == 0) {
      CHECK_RC(rc, BACKING_ENOTFOUND);
    } else if (i % 20 == 0) {
      CHECK(rc == 0 && out.kind == BACKING_VALUE_BYTES && out.len == (uint64_t)n &&
            memcmp(out.data, k, (size_t)n) == 0 && ((const char *)out.data)[n] == 0);
    } else if (i % 10 == 0) {
      CHECK(rc == 0 && out.kind == BACKING_VALUE_F64 && out.f64 == i / 4.0);
    } else {
      CHECKF(rc == 0 && out.kind == BACKING_VALUE_I64 && out.i64 == (int64_t)i * 1000 - 7,
             "get %s: %s", k, wt_err_name(rc));
    }
  }
  /* odd keys: empty, with NULs; an ADDR value */
  blk = backing_alloc(s, 32);
  memset(&v, 0, sizeof v);
  v.kind = BACKING_VALUE_ADDR;
  v.addr = blk;
  CHECK_OK(backing_map_put(s, m, "", 0, &v));
  CHECK_OK(backing_map_put(s, m, "a\0b", 3, &v));
  CHECK_OK(backing_map_get(s, m, "", 0, &out));
  CHECK(out.kind == BACKING_VALUE_ADDR && out.addr == blk);
  CHECK_RC(backing_map_get(s, m, "a\0c", 3, &out), BACKING_ENOTFOUND);
  CHECK_OK(backing_map_del(s, m, "a\0b", 3));
  CHECK_OK(backing_map_del(s, m, "", 0));
  v.kind = 99;
  CHECK_RC(backing_map_put(s, m, "x", 1, &v), BACKING_EINVAL);
  CHECK_RC(backing_map_del(s, m, "x", 1), BACKING_ENOTFOUND);
  /* iteration: each key once */
  memset(&cur, 0, sizeof cur);
  memset(seen, 0, sizeof seen);
  while ((rc = backing_map_next(s, m, &cur, &key, &klen, &out)) == 1) {
    char kb[40];
    int id;
    visited++;
    if (klen < 5 || klen >= sizeof kb) continue;
    memcpy(kb, key, (size_t)klen);
    kb[klen] = 0;
    id = atoi(kb + 4);
    if (id >= 0 && id < 3000) dup += seen[id]++ != 0;
  }
  CHECK_EQ(rc, 0);
  CHECK_EQ(visited, 2000);
  CHECK_EQ(dup, 0);
  CHECK_OK(backing_map_stat(s, m, &st));
  CHECK_EQ(st.entries, 2000);
  CHECK(st.segments >= 1 && st.load > 0 && st.load <= 1);
  CHECK_OK(backing_map_check(s, m));
  CHECK_OK(backing_root_set(s, "map", m));
  CHECK_STORE(s);
  CHECK_OK(backing_map_free(s, m));
  CHECK_EQ(backing_map_len(s, m), 0);
  CHECK(backing_last_error() != 0);
  CHECK_OK(backing_root_del(s, "map"));
  CHECK_STORE(s);
  CLOSE(s);
}

/* ---- the mapping layer ---------------------------------------------------------------- */

static void t_mapping_file_map(void) {
  char f[900], g[900], e[900];
  backing_mapping w, r, pm, cm;
  unsigned char *img, *data;
  size_t len;
  uint64_t i, ps = backing_pagesize();
  int bad = 0, rc;
  CHECK(ps >= 4096 && (ps & (ps - 1)) == 0);
  data = (unsigned char *)malloc(47474);
  if (!CHECK(data != NULL)) return;
  fill(data, 47474, 3);
  CHECK(wt_write_file(wt_path(f, sizeof f, "m.bin"), data, 47474) == 0);
  memset(&w, 0, sizeof w);
  memset(&r, 0, sizeof r);
  if (!CHECK_OK(backing_file_map(&w, f, 0, 0, BACKING_MAP_SHARED))) {
    free(data);
    return;
  }
  if (CHECK_OK(backing_file_map(&r, f, 0, 0, BACKING_MAP_READ))) {
    CHECK_EQ(w.length, 47474);
    CHECK_EQ(r.length, 47474);
    CHECK(memcmp(r.data, data, 47474) == 0);
    for (i = 0; i < 47474 && !bad; i++) {
      ((unsigned char *)w.data)[i] = (unsigned char)(i * 13);
      if (((volatile unsigned char *)r.data)[i] != (unsigned char)(i * 13)) bad = 1;
    }
    CHECKF(!bad, "the reading mapping missed a write at %llu", (unsigned long long)(i - 1));
    CHECK_OK(backing_file_unmap(&r));
  }
  CHECK_OK(backing_msync(w.data, w.length, BACKING_SYNC_BLOCK));
  CHECK_OK(backing_msync(w.data, w.length, BACKING_SYNC_ASYNC));
  rc = backing_msync(w.data, w.length, BACKING_SYNC_INVALIDATE);
  CHECKF(rc == 0 || unsupported(rc), "msync(INVALIDATE): %s", wt_err_name(rc));
  if (rc) NOTE("msync(INVALIDATE) on %s: %s", WT_PLATFORM, wt_err_name(rc));
  CHECK_OK(backing_msync((unsigned char *)w.data + 1, 100, BACKING_SYNC_BLOCK));
  CHECK_RC(backing_msync(w.data, 10, 99), BACKING_EINVAL);
  CHECK_OK(backing_file_unmap(&w));
  CHECK_RC(backing_file_unmap(&w), BACKING_EINVAL);
  img = wt_read_file(f, &len);
  CHECK(img && len == 47474 && img[1] == 13 && img[47473] == (unsigned char)(47473 * 13));
  free(img);
  /* an offset that is not page-aligned; a private mapping never reaches the file */
  if (CHECK_OK(backing_file_map(&pm, f, 5000, 1000, BACKING_MAP_PRIVATE))) {
    CHECK_EQ(pm.length, 1000);
    CHECK(((unsigned char *)pm.data)[0] == (unsigned char)(5000 * 13));
    memset(pm.data, 0xAB, 1000);
    CHECK_OK(backing_file_unmap(&pm));
    img = wt_read_file(f, &len);
    CHECK(img && len == 47474 && img[5000] == (unsigned char)(5000 * 13));
    free(img);
  }
  /* past the end: refused, or created */
  CHECK_RC(backing_file_map(&r, f, 47000, 1000, BACKING_MAP_READ), BACKING_ERANGE);
  CHECK_RC(backing_file_map(&r, f, 47474, 0, BACKING_MAP_READ), BACKING_ERANGE);
  CHECK_RC(backing_file_map(&r, f, 0, 0, 3), BACKING_EINVAL);
  CHECK_RC(backing_file_map(&r, f, 0, 10, BACKING_MAP_READ | BACKING_MAP_CREATE), BACKING_EINVAL);
  if (CHECK_OK(backing_file_map(&cm, wt_path(g, sizeof g, "new.bin"), 100000, 5000,
                                BACKING_MAP_SHARED | BACKING_MAP_CREATE))) {
    memcpy(cm.data, "tail", 4);
    CHECK_OK(backing_file_unmap(&cm));
    img = wt_read_file(g, &len);
    CHECK(img && len == 105000 && memcmp(img + 100000, "tail", 4) == 0 && img[99999] == 0);
    free(img);
  }
  CHECK(wt_write_file(wt_path(e, sizeof e, "empty.bin"), "", 0) == 0);
  CHECK_RC(backing_file_map(&r, e, 0, 0, BACKING_MAP_READ), BACKING_ERANGE);
  rc = backing_file_map(&r, wt_path(e, sizeof e, "missing.bin"), 0, 0, BACKING_MAP_READ);
  CHECK_RC(rc, ENOENT);
  free(data);
}

static void t_mapping_advise_incore(void) {
  char f[900];
  backing_mapping m;
  uint64_t ps = backing_pagesize(), res = 0, tot = 0;
  unsigned char *data = (unsigned char *)calloc(1, (size_t)(8 * ps));
  backing_config c = mmap_cfg(wt_tmp_dir, "adv", 64 * KIB);
  backing *s;
  int adv, rc;
  if (!CHECK(data != NULL)) return;
  fill(data, 8 * ps, 9);
  CHECK(wt_write_file(wt_path(f, sizeof f, "adv.bin"), data, (size_t)(8 * ps)) == 0);
  if (CHECK_OK(backing_file_map(&m, f, 0, 0, BACKING_MAP_SHARED))) {
    for (adv = BACKING_ADVICE_NORMAL; adv <= BACKING_ADVICE_DONTNEED; adv++) {
      rc = backing_madvise(m.data, m.length, adv);
#ifdef _WIN32
      CHECKF(rc == 0 || unsupported(rc), "madvise(advice %d): %s", adv, wt_err_name(rc));
      if (rc) NOTE("madvise(advice %d) on windows: %s", adv, wt_err_name(rc));
#else
      CHECKF(rc == 0, "madvise(advice %d): %s", adv, wt_err_name(rc));
#endif
    }
    CHECK_FILL(m.data, 8 * ps, 9); /* advice never changes what a shared mapping holds */
    CHECK_RC(backing_madvise(m.data, m.length, 99), BACKING_EINVAL);
    CHECK_RC(backing_madvise(m.data, m.length, -1), BACKING_EINVAL);
    ((volatile unsigned char *)m.data)[0] = 1; /* page 0 is now resident */
    rc = backing_mincore(m.data, m.length, &res, &tot);
    if (rc == 0) {
      CHECK_EQ(tot, 8);
      CHECK(res <= tot);
      CHECKF(res >= 1, "a page just written is not resident (%llu of %llu)",
             (unsigned long long)res, (unsigned long long)tot);
    } else {
      CHECKF(unsupported(rc), "mincore: %s", wt_err_name(rc));
      NOTE("mincore on %s: %s", WT_PLATFORM, wt_err_name(rc));
    }
    rc = backing_mincore((unsigned char *)m.data + 10, 1, &res, &tot); /* widened to a page */
    if (rc == 0)
      CHECK(tot == 1 && res <= 1);
    else
      CHECKF(unsupported(rc), "mincore of one byte: %s", wt_err_name(rc));
    CHECK_RC(backing_mincore(m.data, 10, NULL, &tot), BACKING_EINVAL);
    CHECK_OK(backing_file_unmap(&m));
  }
  /* the same on a store */
  s = OPEN(&c);
  if (s) {
    backing_addr a = backing_alloc(s, 100000 / 2);
    CHECK(a != 0);
    CHECK_OK(backing_sync(s, 0, 0, BACKING_SYNC_BLOCK));
    CHECK_OK(backing_sync(s, a, 1000, BACKING_SYNC_ASYNC));
    rc = backing_advise(s, 0, 0, BACKING_ADVICE_WILLNEED);
    CHECKF(rc == 0 || unsupported(rc), "advise(WILLNEED): %s", wt_err_name(rc));
    rc = backing_incore(s, 0, 0, &res, &tot);
    if (rc == 0)
      CHECK(tot == stat_of(s).capacity / ps && res <= tot && res >= 1);
    else
      CHECKF(unsupported(rc), "incore: %s", wt_err_name(rc));
    CHECK_RC(backing_sync(s, stat_of(s).capacity, 10, 0), BACKING_EBADADDR);
    CHECK_STORE(s);
    CLOSE(s);
  }
  free(data);
}

/* ---- read-only handles ---------------------------------------------------------------- */

static void t_rdonly_handle(void) {
  backing_config c = mmap_cfg(wt_tmp_dir, "ro", 64 * KIB);
  backing *s = OPEN(&c), *w;
  backing_addr a, m, b;
  backing_value v, out;
  unsigned char buf[8] = {0};
  uint64_t e;
  if (!s) return;
  a = backing_alloc(s, 64);
  m = backing_map_new(s, 0);
  CHECK(a && m);
  backing_set_u64(s, a, 42);
  memset(&v, 0, sizeof v);
  v.kind = BACKING_VALUE_I64;
  v.i64 = -3;
  CHECK_OK(backing_map_put(s, m, "k", 1, &v));
  CHECK_OK(backing_root_set(s, "a", a));
  CHECK_OK(backing_root_set(s, "m", m));
  CLOSE(s);
  c.flags = BACKING_RDONLY;
  s = OPEN(&c);
  if (!s) return;
  CHECK_EQ(backing_root_get(s, "a"), a);
  CHECK_EQ(backing_get_u64(s, a), 42);
  CHECK_OK(backing_read(s, a, buf, 8));
  CHECK_OK(backing_map_get(s, m, "k", 1, &out));
  CHECK(out.kind == BACKING_VALUE_I64 && out.i64 == -3);
  CHECK_EQ(backing_map_len(s, m), 1);
  CHECK_EQ(backing_alloc(s, 10), 0);
  CHECK_LAST(BACKING_ERDONLY);
  CHECK_EQ(backing_free(s, a), 0);
  CHECK_LAST(BACKING_ERDONLY);
  CHECK_RC(backing_root_set(s, "b", a), BACKING_ERDONLY);
  CHECK_RC(backing_root_del(s, "a"), BACKING_ERDONLY);
  CHECK_RC(backing_write(s, a, buf, 8), BACKING_ERDONLY);
  CHECK_RC(backing_copy(s, a, a + 8, 8), BACKING_ERDONLY);
  CHECK_RC(backing_map_put(s, m, "k2", 2, &v), BACKING_ERDONLY);
  CHECK_RC(backing_map_del(s, m, "k", 1), BACKING_ERDONLY);
  e = 42;
  CHECK_RC(backing_atomic_cas_u64(s, a, &e, 43), BACKING_ERDONLY);
  CHECK_EQ(backing_gc_alloc(s, 10, 1, 1), 0);
  CHECK_LAST(BACKING_ERDONLY);
  CHECK_STORE(s);
  /* a writer next to it: the reader sees what the writer adds, arenas included */
  c.flags = 0;
  w = OPEN(&c);
  if (w) {
    CHECK(w != s);
    b = backing_alloc(w, 60000); /* two largest-size blocks: at least one new arena */
    b = backing_alloc(w, 60000);
    CHECK(b != 0);
    if (b) fill(backing_ptr(w, b), 60000, 11);
    CHECK_OK(backing_root_set(w, "b", b));
    CHECK_EQ(backing_root_get(s, "b"), b);
    if (b) {
      unsigned char tail[16];
      CHECK_OK(backing_read(s, b + 60000 - 16, tail, 16)); /* attaches the new arena */
      CHECK_FILL(backing_ptr(s, b), 60000, 11);
    }
    CLOSE(w);
  }
  CLOSE(s);
}

/* A typed setter through a read-only handle faults (the store is mapped read-only). */
static int child_rdonly_set(const char *dir) {
  backing_config c = mmap_cfg(dir, "rof", 64 * KIB);
  backing *s = NULL;
  backing_addr a;
  c.flags = BACKING_RDONLY | BACKING_NOCREATE;
  if (backing_open(&s, &c) != 0) return 3;
  a = backing_root_get(s, "a");
  if (!a || backing_get_u64(s, a) != 5) return 4;
  wt_exit_on_fault();
  backing_set_u64(s, a, 6);
  return 0; /* the write went through */
}

static void t_rdonly_setter_faults(void) {
  backing_config c = mmap_cfg(wt_tmp_dir, "rof", 64 * KIB);
  backing *s = OPEN(&c);
  const char *args[] = {"--child", "rdonly-set", wt_tmp_dir, NULL};
  backing_addr a;
  wt_proc p;
  int code;
  if (!s) return;
  a = backing_alloc(s, 8);
  backing_set_u64(s, a, 5);
  CHECK_OK(backing_root_set(s, "a", a));
  CLOSE(s);
  if (!CHECK(wt_spawn(&p, args) == 0)) return;
  code = wt_wait(&p, 60000);
  CHECKF(code == WT_FAULT_EXIT, "the child %s (exit %d)",
         code == 0 ? "wrote through a read-only handle" : "failed", code);
  s = OPEN(&c);
  if (s) {
    CHECK_EQ(backing_get_u64(s, a), 5);
    CHECK_STORE(s);
    CLOSE(s);
  }
}

/* Another process grows the store and publishes an address in a new arena: this
   process's open handle reads it with the inline accessor at once, with no call that would
   map the new arena first (on Windows a view ends at its file's end, so the access faults
   and the library's fault handler maps the arena). */
static int child_grow(const char *dir) {
  backing_config c = mmap_cfg(dir, "grow", 64 * KIB);
  backing *s = NULL;
  backing_addr a = 0;
  int i;
  if (backing_open(&s, &c) != 0) return 3;
  for (i = 0; i < 8; i++) /* about one arena each */
    if (!(a = backing_alloc(s, 40000))) return 4;
  backing_set_u64(s, a, 0xfeedbeefull);
  if (backing_root_set(s, "far", a) != 0) return 5;
  return backing_close(s) ? 6 : 0;
}

static void t_grown_arena_seen_by_accessor(void) {
  backing_config c = mmap_cfg(wt_tmp_dir, "grow", 64 * KIB);
  backing *s = OPEN(&c);
  const char *args[] = {"--child", "grow", wt_tmp_dir, NULL};
  backing_stats before;
  backing_addr a;
  wt_proc p;
  int code;
  if (!s) return;
  before = stat_of(s);
  if (!CHECK(wt_spawn(&p, args) == 0)) return;
  code = wt_wait(&p, 60000);
  if (!CHECKF(code == 0, "the child that grows the store: exit %d", code)) {
    CLOSE(s);
    return;
  }
  a = backing_root_get(s, "far");
  CHECKF(a >> 16 >= before.arena_count + 2, "the child's address %llu is not in a new arena",
         (unsigned long long)a);
  CHECK_EQ(backing_get_u64(s, a), 0xfeedbeefull); /* no call maps the arena before this */
  CHECK_STORE(s);
  CLOSE(s);
}

/* Read-only opens in several processes at once all succeed (on Windows, asking whether
   a lock byte is held takes it for a moment, which once made a reader's join fail with
   EAGAIN when another reader asked at the same time). */
static int child_ro_opens(const char *dir) {
  backing_config c = mmap_cfg(dir, "ro3", 64 * KIB);
  backing *s;
  int i, bad = 0;
  c.flags = BACKING_RDONLY;
  for (i = 0; i < 100; i++) {
    s = NULL;
    if (backing_open(&s, &c) != 0 || backing_get_u64(s, backing_root_get(s, "v")) != 7) bad++;
    if (s) backing_close(s);
  }
  return bad > 100 ? 100 : bad;
}

static void t_rdonly_opens_in_three_processes(void) {
  backing_config c = mmap_cfg(wt_tmp_dir, "ro3", 64 * KIB);
  backing *s = OPEN(&c);
  const char *args[] = {"--child", "ro-opens", wt_tmp_dir, NULL};
  wt_proc p[3];
  int i, started[3], code;
  backing_addr a;
  if (!s) return;
  a = backing_alloc(s, 8);
  backing_set_u64(s, a, 7);
  CHECK_OK(backing_root_set(s, "v", a));
  CLOSE(s);
  for (i = 0; i < 3; i++) started[i] = CHECK(wt_spawn(&p[i], args) == 0);
  for (i = 0; i < 3; i++)
    if (started[i]) {
      code = wt_wait(&p[i], 120000);
      CHECKF(code == 0, "reader process %d: %d of 100 read-only opens failed", i, code);
    }
}

/* ---- refused files -------------------------------------------------------------------- */

/* Writes img as <dir>/bad.backing, requires open to return `want` and leave it as it was. */
static void expect_refused(const unsigned char *img, size_t len, int want, const char *what) {
  char f[900];
  backing_config c = mmap_cfg(wt_tmp_dir, "bad", 0);
  backing *s = NULL;
  unsigned char *after;
  size_t alen;
  int rc;
  store_file(f, sizeof f, wt_tmp_dir, "bad");
  if (!CHECKF(wt_write_file(f, img, len) == 0, "%s: cannot write", what)) return;
  rc = backing_open(&s, &c);
  CHECKF(rc == want, "%s: open returned %s, want %s", what, wt_err_name(rc), wt_err_name(want));
  if (rc == 0 && s) {
    CHECK_STORE(s);
    backing_close(s);
  }
  if (want == 0) return; /* an open store may be written (process slots, flags) */
  CHECKF(s == NULL, "%s: *out set", what);
  after = wt_read_file(f, &alen);
  CHECKF(after && alen == len && (len == 0 || memcmp(after, img, len) == 0),
         "%s: the refused file changed", what);
  free(after);
}

static void t_corrupt_file_refused(void) {
  char f[900];
  backing_config c = mmap_cfg(wt_tmp_dir, "good", 64 * KIB);
  backing *s = OPEN(&c);
  unsigned char *img, *m;
  size_t len, k;
  int i;
  uint64_t seed = 1;
  if (!s) return;
  for (i = 0; i < 30; i++) CHECK(backing_alloc(s, 5000) != 0);
  CHECK_OK(backing_root_set(s, "x", backing_alloc(s, 8)));
  CLOSE(s);
  img = wt_read_file(store_file(f, sizeof f, wt_tmp_dir, "good"), &len);
  if (!CHECK(img && len >= 3 * 64 * KIB)) {
    free(img);
    return;
  }
  m = (unsigned char *)malloc(len);
  if (!CHECK(m != NULL)) {
    free(img);
    return;
  }
  CHECK(memcmp(img, "BACKING\0", 8) == 0);
  expect_refused(img, len, 0, "the pristine copy");
  memcpy(m, img, len);
  m[0] ^= 0x20;
  expect_refused(m, len, BACKING_ECORRUPT, "magic byte flipped");
  memcpy(m, img, len);
  m[56 + 3] ^= 0x10;
  expect_refused(m, len, BACKING_ECORRUPT, "checksum byte flipped");
  memcpy(m, img, len);
  m[40] ^= 0x01;
  expect_refused(m, len, BACKING_ECORRUPT, "store id byte flipped");
  memcpy(m, img, len);
  m[8] += 1;
  expect_refused(m, len, BACKING_EVERSION, "format version + 1");
  memcpy(m, img, len);
  for (k = 0; k < 8; k++) m[16 + k] = (unsigned char)(k + 1); /* 0x0807060504030201 */
  expect_refused(m, len, BACKING_EMISMATCH, "endian mark swapped");
  expect_refused(img, len - 1, BACKING_ECORRUPT, "last byte cut off");
  expect_refused(img, 4096, BACKING_ECORRUPT, "4096 bytes");
  expect_refused(img, 0, BACKING_ECORRUPT, "empty file");
  for (k = 0; k < len; k++) m[k] = (unsigned char)rng_next(&seed);
  expect_refused(m, len, BACKING_ECORRUPT, "random bytes");
  /* BACKING_VERIFY on the good one: opens */
  c.flags = BACKING_VERIFY;
  s = OPEN(&c);
  if (s) CLOSE(s);
  free(m);
  free(img);
}

/* ---- processes: sharing one store, and a kill ---------------------------------------- */

#define SHARE_COUNT 120
static uint64_t share_size(int id, int i) {
  return 200 + (uint64_t)((id * 7919 + i * 104729) % 6000);
}
static uint64_t share_seed(int id, int i) {
  return (uint64_t)id * 100000 + (uint64_t)i;
}
/* Puts SHARE_COUNT keys "<id>-<i>", each an ADDR value of a block filled for (id, i). */
static int share_work(backing *s, backing_addr m, int id) {
  backing_value v;
  char k[32];
  int i, n;
  memset(&v, 0, sizeof v);
  v.kind = BACKING_VALUE_ADDR;
  for (i = 0; i < SHARE_COUNT; i++) {
    v.addr = backing_alloc(s, share_size(id, i));
    if (!v.addr) {
      fprintf(stderr, "share %d: alloc %d: %s\n", id, i, wt_err_name(backing_last_error()));
      return 1;
    }
    fill(backing_ptr(s, v.addr), share_size(id, i), share_seed(id, i));
    n = snprintf(k, sizeof k, "%d-%d", id, i);
    if (backing_map_put(s, m, k, (uint64_t)n, &v) != 0) {
      fprintf(stderr, "share %d: put %d: %s\n", id, i, wt_err_name(backing_last_error()));
      return 1;
    }
  }
  return 0;
}

static int child_share(const char *dir, int id) {
  backing_config c = mmap_cfg(dir, "share", 64 * KIB);
  backing *s = NULL;
  backing_addr m;
  int rc;
  c.flags = BACKING_NOCREATE;
  if ((rc = backing_open(&s, &c)) != 0) {
    fprintf(stderr, "share %d: open: %s\n", id, wt_err_name(rc));
    return 2;
  }
  m = backing_root_get(s, "map");
  if (!m) return 3;
  rc = share_work(s, m, id);
  if (backing_close(s) != 0) rc = 4;
  return rc;
}

static void t_share_two_processes(void) {
  backing_config c = mmap_cfg(wt_tmp_dir, "share", 64 * KIB);
  backing *s = OPEN(&c);
  backing_addr m;
  backing_value out;
  wt_proc p[2];
  const char *a1[] = {"--child", "share", wt_tmp_dir, "1", NULL};
  const char *a2[] = {"--child", "share", wt_tmp_dir, "2", NULL};
  int i, id, n, started[2], code, bad = 0;
  char k[32];
  if (!s) return;
  m = backing_map_new(s, 0);
  CHECK_OK(backing_root_set(s, "map", m));
  started[0] = CHECK(wt_spawn(&p[0], a1) == 0);
  started[1] = CHECK(wt_spawn(&p[1], a2) == 0);
  CHECK_EQ(share_work(s, m, 0), 0);
  for (i = 0; i < 2; i++) {
    if (!started[i]) continue;
    code = wt_wait(&p[i], 90000);
    CHECKF(code == 0, "child %d exited with %d", i + 1, code);
  }
  CHECK_EQ(backing_map_len(s, m), 3 * SHARE_COUNT);
  for (id = 0; id < 3; id++)
    for (i = 0; i < SHARE_COUNT; i++) {
      n = snprintf(k, sizeof k, "%d-%d", id, i);
      if (backing_map_get(s, m, k, (uint64_t)n, &out) != 0 || out.kind != BACKING_VALUE_ADDR ||
          backing_sizeof(s, out.addr) < share_size(id, i) ||
          mismatch(backing_ptr(s, out.addr), share_size(id, i), share_seed(id, i)) >= 0) {
        if (bad++ < 5) CHECKF(0, "key %s: missing or its block is wrong", k);
      }
    }
  CHECK_EQ(bad, 0);
  CHECK(stat_of(s).arena_count >= 8);
  CHECK_OK(backing_map_check(s, m));
  CHECK_STORE(s);
  CLOSE(s);
  c.flags = BACKING_VERIFY;
  s = OPEN(&c);
  if (s) {
    CHECK_EQ(backing_map_len(s, backing_root_get(s, "map")), 3 * SHARE_COUNT);
    CLOSE(s);
  }
}

/* The child that is killed: allocates, frees, puts and collects as fast as it can, and
   counts its rounds in the root "progress"; after 300 rounds it writes the file `marker`
   (when given), for a parent that has no handle to watch the count with. The store is
   <dir>/<name>.backing (name: "busy" unless given). */
static int child_busy(const char *dir, const char *marker, const char *name) {
  backing_config c = mmap_cfg(dir, name ? name : "busy", 64 * KIB);
  backing *s = NULL;
  backing_addr held[64], prog, m;
  backing_value v;
  uint64_t seed = 0x9e3779b9u ^ (uint64_t)wt_now_ms(), n = 0, t0 = wt_now_ms();
  char k[32];
  int i, rc;
  c.flags = BACKING_NOCREATE;
  if ((rc = backing_open(&s, &c)) != 0) {
    fprintf(stderr, "busy: open: %s\n", wt_err_name(rc));
    return 2;
  }
  prog = backing_root_get(s, "progress");
  m = backing_root_get(s, "map");
  if (!prog || !m) return 3;
  memset(held, 0, sizeof held);
  memset(&v, 0, sizeof v);
  v.kind = BACKING_VALUE_I64;
  for (;;) {
    for (i = 0; i < 8; i++) {
      int j = (int)(rng_next(&seed) % 64);
      if (held[j]) {
        backing_free(s, held[j]);
        held[j] = 0;
      } else {
        uint64_t sz = 16 + rng_next(&seed) % (j < 8 ? 40000 : 2000);
        held[j] = backing_alloc(s, sz);
        if (held[j]) fill(backing_ptr(s, held[j]), sz, held[j]);
      }
    }
    v.i64 = (int64_t)n;
    rc = snprintf(k, sizeof k, "busy-%d", (int)(n % 500));
    backing_map_put(s, m, k, (uint64_t)rc, &v);
    if (n % 4 == 0) backing_gc_alloc(s, 64, 3, 0);
    if (n % 16 == 0) backing_gc_step(s);
    n++;
    backing_atomic_add_u64(s, prog, 1);
    if (n == 300 && marker && wt_write_file(marker, "300", 3) != 0) return 4;
    if (n % 256 == 0 && wt_now_ms() - t0 > 120000) return 5; /* the parent is gone */
  }
}

/* One round: start the busy child, let it run, kill it in the middle, and use the store. */
static void kill_round(backing *s, int round) {
  const char *args[] = {"--child", "busy", wt_tmp_dir, NULL};
  backing_addr prog = backing_root_get(s, "progress"), m = backing_root_get(s, "map"), a;
  uint64_t start = backing_atomic_load_u64(s, prog), t0, i;
  backing_value v;
  wt_proc p;
  int code, ok = 1;
  if (!CHECK(wt_spawn(&p, args) == 0)) return;
  t0 = wt_now_ms();
  while (backing_atomic_load_u64(s, prog) < start + 300 && wt_now_ms() - t0 < 60000) wt_sleep_ms(2);
  CHECKF(backing_atomic_load_u64(s, prog) >= start + 300, "round %d: the child made %llu rounds",
         round, (unsigned long long)(backing_atomic_load_u64(s, prog) - start));
  wt_sleep_ms((unsigned)(round * 7 % 13));
  wt_kill(&p);
  code = wt_wait(&p, 30000);
  CHECKF(code == WT_KILLED, "round %d: child ended with %d, not killed", round, code);
  /* the store is usable at once: blocks, keys, the collector */
  memset(&v, 0, sizeof v);
  v.kind = BACKING_VALUE_I64;
  for (i = 0; i < 200 && ok; i++) {
    char k[32];
    int n = snprintf(k, sizeof k, "parent-%d-%d", round, (int)i);
    a = backing_alloc(s, 16 + i * 101 % 30000);
    ok &= CHECKF(a != 0, "round %d: alloc after the kill: %s", round,
                 wt_err_name(backing_last_error()));
    if (a) CHECK(backing_free(s, a) > 0);
    v.i64 = (int64_t)i;
    ok &= CHECK_OK(backing_map_put(s, m, k, (uint64_t)n, &v));
  }
  backing_gc_cycle(s);
  CHECK_OK(backing_map_check(s, m));
  CHECK_STORE(s);
}

static void t_kill_busy_child(void) {
  backing_config c = mmap_cfg(wt_tmp_dir, "busy", 64 * KIB);
  backing *s = OPEN(&c);
  backing_addr prog, m;
  backing_value out;
  int r;
  if (!s) return;
  prog = backing_calloc(s, 8);
  m = backing_map_new(s, 0);
  CHECK_OK(backing_root_set(s, "progress", prog));
  CHECK_OK(backing_root_set(s, "map", m));
  for (r = 0; r < 2; r++) kill_round(s, r);
  CLOSE(s);
  /* a fresh open after the kills (this process is the only one left) */
  s = OPEN(&c);
  if (!s) return;
  m = backing_root_get(s, "map");
  CHECK_OK(backing_map_get(s, m, "parent-1-199", 12, &out));
  CHECK(out.kind == BACKING_VALUE_I64 && out.i64 == 199);
  CHECK_STORE(s);
  kill_round(s, 2);
  CLOSE(s);
  /* and the last kill left with no other process holding the store: the next opener
     finds the dead owner */
  {
    char marker[900];
    const char *args[] = {"--child", "busy", wt_tmp_dir, marker, NULL};
    wt_proc p;
    uint64_t before, t0;
    wt_path(marker, sizeof marker, "busy.marker");
    s = OPEN(&c);
    if (!s) return;
    prog = backing_root_get(s, "progress");
    before = backing_get_u64(s, prog);
    CLOSE(s);
    if (!CHECK(wt_spawn(&p, args) == 0)) return;
    t0 = wt_now_ms();
    while (!wt_exists(marker) && wt_now_ms() - t0 < 60000) wt_sleep_ms(5);
    CHECKF(wt_exists(marker), "the child did not make 300 rounds in 60 s");
    wt_kill(&p);
    CHECK_EQ(wt_wait(&p, 30000), WT_KILLED);
    s = OPEN(&c);
    if (!s) return;
    CHECK(backing_get_u64(s, prog) >= before + 300);
    CHECK(backing_alloc(s, 1000) != 0);
    CHECK_OK(backing_map_check(s, backing_root_get(s, "map")));
    CHECK_STORE(s);
    CLOSE(s);
  }
}

/* ---- fork (POSIX only) ---------------------------------------------------------------- */

static void t_forked_handle_refused(void) {
#ifdef _WIN32
  SKIP("no fork() on Windows: a handle cannot be inherited by a copy of the process");
#else
  backing_config c = mem_cfg(64 * KIB, 0);
  backing *s = OPEN(&c);
  pid_t pid;
  int st = 0;
  if (!s) return;
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    int ok = backing_alloc(s, 10) == 0 && backing_last_error() == BACKING_EFORKED;
    _exit(ok ? 0 : 1);
  }
  if (!CHECK(pid > 0)) {
    CLOSE(s);
    return;
  }
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  CHECK(backing_alloc(s, 10) != 0);
  CLOSE(s);
#endif
}

/* ---- the exchange store: made on one platform, verified on another ------------------- */

#define XCHG_BLOCKS 300
#define XCHG_KEYS 500
static uint64_t xchg_size(int i) {
  return 16 + (uint64_t)(i * 97 % 6000);
}
static const char xchg_str[] = "made by backing.h\0with a NUL inside";

static int xchg_make(const char *dir) {
  backing_config c = mmap_cfg(dir, "xchg", 64 * KIB);
  backing *s;
  backing_addr blocks, m, str, typed, gc, visits, maker;
  backing_value v;
  char k[32], val[64];
  int i, n, fails = 0;
  backing_destroy(&c);
  s = OPEN(&c);
  if (!s) return 1;
  blocks = backing_vec_new(s, 8, 0);
  CHECK(blocks != 0);
  for (i = 0; i < XCHG_BLOCKS; i++) {
    backing_addr a = backing_alloc(s, xchg_size(i));
    if (!CHECK(a != 0)) break;
    fill(backing_ptr(s, a), xchg_size(i), (uint64_t)i);
    CHECK_OK(backing_vec_push(s, blocks, &a));
  }
  m = backing_map_new(s, 0);
  for (i = 0; i < XCHG_KEYS; i++) {
    memset(&v, 0, sizeof v);
    n = snprintf(k, sizeof k, "k%04d", i);
    switch (i % 4) {
    case 0:
      v.kind = BACKING_VALUE_I64;
      v.i64 = (int64_t)i * i - 7;
      break;
    case 1:
      v.kind = BACKING_VALUE_F64;
      v.f64 = i / 3.0;
      break;
    case 2:
      v.kind = BACKING_VALUE_BYTES;
      v.len = (uint64_t)snprintf(val, sizeof val, "value-%d-%d", i, i * 31);
      v.data = val;
      break;
    default:
      v.kind = BACKING_VALUE_ADDR;
      v.addr = *(backing_addr *)backing_vec_at(s, blocks, (uint64_t)(i % XCHG_BLOCKS));
      break;
    }
    CHECK_OK(backing_map_put(s, m, k, (uint64_t)n, &v));
  }
  str = backing_str_new(s, xchg_str, sizeof xchg_str - 1);
  maker = backing_str_new(s, WT_PLATFORM, strlen(WT_PLATFORM));
  typed = backing_calloc(s, 64);
  if (typed) {
    backing_set_i8(s, typed, -8);
    backing_set_u16(s, typed + 2, 0xBEEF);
    backing_set_i32(s, typed + 4, -123456789);
    backing_set_u64(s, typed + 8, 0xFEEDFACECAFEBEEFull);
    backing_set_f32(s, typed + 16, 0.15625f);
    backing_set_f64(s, typed + 24, 6.02214076e23);
  }
  gc = backing_gc_alloc(s, 48, 0x1234, 3);
  visits = backing_calloc(s, 8);
  CHECK(str && maker && typed && gc && visits);
  CHECK_OK(backing_root_set(s, "progress", backing_calloc(s, 8))); /* for xchg_crash */
  CHECK_OK(backing_root_set(s, "blocks", blocks));
  CHECK_OK(backing_root_set(s, "map", m));
  CHECK_OK(backing_root_set(s, "str", str));
  CHECK_OK(backing_root_set(s, "maker", maker));
  CHECK_OK(backing_root_set(s, "typed", typed));
  CHECK_OK(backing_root_set(s, "gc", gc));
  CHECK_OK(backing_root_set(s, "visits", visits));
  CHECK(stat_of(s).arena_count >= 3);
  CHECK_STORE(s);
  CHECK_OK(backing_sync(s, 0, 0, BACKING_SYNC_BLOCK));
  CLOSE(s);
  fails = wt_test_failed;
  printf("make %s: %s (%s)\n", dir, fails ? "FAILED" : "ok", WT_PLATFORM);
  return fails ? 1 : 0;
}

static int xchg_verify(const char *dir, long want_visits) {
  backing_config c = mmap_cfg(dir, "xchg", 0);
  backing *s;
  backing_addr blocks, m, str, typed, gc, visits, maker, a;
  backing_value v, out;
  char k[32], val[64], maker_name[32] = "?";
  uint64_t nv = 0, j;
  int i, n;
  c.flags = BACKING_NOCREATE;
  s = OPEN(&c);
  if (!s) return 1;
  CHECK_STORE(s);
  CHECK_EQ(stat_of(s).arena_size, 64 * KIB);
  blocks = backing_root_get(s, "blocks");
  m = backing_root_get(s, "map");
  str = backing_root_get(s, "str");
  maker = backing_root_get(s, "maker");
  typed = backing_root_get(s, "typed");
  gc = backing_root_get(s, "gc");
  visits = backing_root_get(s, "visits");
  if (!CHECK(blocks && m && str && maker && typed && gc && visits)) {
    backing_close(s);
    return 1;
  }
  if (backing_str_data(s, maker))
    snprintf(maker_name, sizeof maker_name, "%s", backing_str_data(s, maker));
  CHECK_EQ(backing_vec_len(s, blocks), XCHG_BLOCKS);
  for (i = 0; i < XCHG_BLOCKS; i++) {
    backing_addr *p = (backing_addr *)backing_vec_at(s, blocks, (uint64_t)i);
    if (!CHECK(p != NULL)) break;
    CHECK(backing_sizeof(s, *p) >= xchg_size(i));
    CHECK_FILL(backing_ptr(s, *p), xchg_size(i), (uint64_t)i);
  }
  CHECK_OK(backing_map_check(s, m));
  for (i = 0; i < XCHG_KEYS; i++) {
    int rc;
    n = snprintf(k, sizeof k, "k%04d", i);
    rc = backing_map_get(s, m, k, (uint64_t)n, &out);
    if (!CHECKF(rc == 0, "key %s: %s", k, wt_err_name(rc))) continue;
    switch (i % 4) {
    case 0:
      CHECK(out.kind == BACKING_VALUE_I64 && out.i64 == (int64_t)i * i - 7);
      break;
    case 1:
      CHECK(out.kind == BACKING_VALUE_F64 && out.f64 == (double)(i / 3.0));
      break;
    case 2:
      n = snprintf(val, sizeof val, "value-%d-%d", i, i * 31);
      CHECK(out.kind == BACKING_VALUE_BYTES && out.len == (uint64_t)n &&
            memcmp(out.data, val, (size_t)n) == 0);
      break;
    default:
      CHECK(out.kind == BACKING_VALUE_ADDR &&
            out.addr == *(backing_addr *)backing_vec_at(s, blocks, (uint64_t)(i % XCHG_BLOCKS)));
      break;
    }
  }
  CHECK_EQ(backing_str_len(s, str), sizeof xchg_str - 1);
  CHECK(memcmp(backing_str_data(s, str), xchg_str, sizeof xchg_str) == 0);
  CHECK(backing_get_i8(s, typed) == -8);
  CHECK(backing_get_u16(s, typed + 2) == 0xBEEF);
  CHECK(backing_get_i32(s, typed + 4) == -123456789);
  CHECK(backing_get_u64(s, typed + 8) == 0xFEEDFACECAFEBEEFull);
  CHECK(backing_get_f32(s, typed + 16) == 0.15625f);
  CHECK(backing_get_f64(s, typed + 24) == (double)6.02214076e23);
  CHECK_EQ(backing_gc_refcount(s, gc), 3);
  CHECK_EQ(backing_gc_type(s, gc), 0x1234);
  nv = backing_get_u64(s, visits);
  if (want_visits >= 0)
    CHECKF(nv == (uint64_t)want_visits, "%llu earlier visits, want %ld", (unsigned long long)nv,
           want_visits);
  for (j = 0; j < nv; j++) {
    n = snprintf(k, sizeof k, "visit-%d", (int)j);
    CHECKF(backing_map_get(s, m, k, (uint64_t)n, &out) == 0 && out.kind == BACKING_VALUE_BYTES,
           "visit %d's key", (int)j);
  }
  if (wt_test_failed) { /* leave a store that fails as it is, for a look */
    backing_close(s);
    printf("verify %s: FAILED (made on %s, verified on %s)\n", dir, maker_name, WT_PLATFORM);
    return 1;
  }
  /* add a visit: a key, a block in a new arena, the counter */
  n = snprintf(k, sizeof k, "visit-%d", (int)nv);
  memset(&v, 0, sizeof v);
  v.kind = BACKING_VALUE_BYTES;
  v.data = WT_PLATFORM;
  v.len = strlen(WT_PLATFORM);
  CHECK_OK(backing_map_put(s, m, k, (uint64_t)n, &v));
  a = backing_alloc(s, 60000);
  CHECK(a != 0);
  if (a) fill(backing_ptr(s, a), 60000, 1000 + nv);
  backing_set_u64(s, visits, nv + 1);
  CHECK_STORE(s);
  CLOSE(s);
  /* and it is all there after the close */
  s = OPEN(&c);
  if (s) {
    CHECK_EQ(backing_get_u64(s, backing_root_get(s, "visits")), nv + 1);
    CHECK_OK(backing_map_get(s, backing_root_get(s, "map"), k, (uint64_t)n, &out));
    if (a) CHECK_FILL(backing_ptr(s, a), 60000, 1000 + nv);
    CLOSE(s);
  }
  printf("verify %s: %s (made on %s, verified on %s, %llu earlier visits)\n", dir,
         wt_test_failed ? "FAILED" : "ok", maker_name, WT_PLATFORM, (unsigned long long)nv);
  return wt_test_failed ? 1 : 0;
}

/* Leaves the exchange store as a crash does: a child works in it and is killed there (no
   other process has it open), so the next opener finds a dead owner, and on the other
   platform a different boot id too. */
static int xchg_crash(const char *dir) {
  char marker[1100];
  const char *args[] = {"--child", "busy", dir, marker, "xchg", NULL};
  wt_proc p;
  uint64_t t0;
  int code, ok;
  snprintf(marker, sizeof marker, "%s/crash.marker", dir);
  remove(marker);
  if (wt_spawn(&p, args) != 0) {
    printf("crash %s: cannot start the child\n", dir);
    return 1;
  }
  t0 = wt_now_ms();
  while (!wt_exists(marker) && wt_now_ms() - t0 < 60000) wt_sleep_ms(5);
  ok = wt_exists(marker);
  wt_kill(&p);
  code = wt_wait(&p, 30000);
  remove(marker);
  ok &= code == WT_KILLED;
  printf("crash %s: %s (%s; child %s)\n", dir, ok ? "ok" : "FAILED", WT_PLATFORM,
         code == WT_KILLED ? "killed after 300 rounds" : "ended by itself");
  return ok ? 0 : 1;
}

/* ---- main ----------------------------------------------------------------------------- */

static const struct wt_test tests[] = {
    /* first: in a fresh process, where the system places new threads' stacks in the
       first free range it finds */
    {"threads_started_while_growing", t_threads_started_while_growing},
    {"errors_strerror", t_errors_strerror},
    {"errors_codes", t_errors_codes},
    {"memory_alloc_free_realloc_calloc", t_memory_alloc_free_realloc_calloc},
    {"accessors_typed", t_accessors_typed},
    {"threads_one_handle", t_threads_one_handle},
    {"roots_persist", t_roots_persist},
    {"mmap_persist_reopen", t_mmap_persist_reopen},
    {"mmap_utf8_path", t_mmap_utf8_path},
    {"mmap_growth_many_arenas", t_mmap_growth_many_arenas},
    {"mmap_huge_block", t_mmap_huge_block},
    {"buffer_source", t_buffer_source},
    {"custom_source", t_custom_source},
    {"gc_refs_and_cycles", t_gc_refs_and_cycles},
    {"containers_str_vec", t_containers_str_vec},
    {"containers_map", t_containers_map},
    {"mapping_file_map", t_mapping_file_map},
    {"mapping_advise_incore", t_mapping_advise_incore},
    {"rdonly_handle", t_rdonly_handle},
    {"rdonly_setter_faults", t_rdonly_setter_faults},
    {"grown_arena_seen_by_accessor", t_grown_arena_seen_by_accessor},
    {"rdonly_opens_in_three_processes", t_rdonly_opens_in_three_processes},
    {"corrupt_file_refused", t_corrupt_file_refused},
    {"share_two_processes", t_share_two_processes},
    {"kill_busy_child", t_kill_busy_child},
    {"forked_handle_refused", t_forked_handle_refused},
};

int main(int argc, char **argv) {
  size_t i;
#ifdef _WIN32
  setvbuf(stdout, NULL, _IONBF, 0); /* the C runtime has no line buffering (_IOLBF is full) */
  SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
#else
  setvbuf(stdout, NULL, _IOLBF, 0);
#endif
  wt_set_self(argv[0]);
  if (argc >= 2 && !strcmp(argv[1], "--list")) {
    for (i = 0; i < sizeof tests / sizeof tests[0]; i++) printf("%s\n", tests[i].name);
    return 0;
  }
  if (argc >= 3 && !strcmp(argv[1], "make")) return xchg_make(argv[2]);
  if (argc >= 3 && !strcmp(argv[1], "crash")) return xchg_crash(argv[2]);
  if (argc >= 3 && !strcmp(argv[1], "verify"))
    return xchg_verify(argv[2], argc >= 4 ? atol(argv[3]) : -1);
  if (argc >= 4 && !strcmp(argv[1], "--child")) {
    if (!strcmp(argv[2], "share") && argc >= 5) return child_share(argv[3], atoi(argv[4]));
    if (!strcmp(argv[2], "busy"))
      return child_busy(argv[3], argc >= 5 ? argv[4] : NULL, argc >= 6 ? argv[5] : NULL);
    if (!strcmp(argv[2], "rdonly-set")) return child_rdonly_set(argv[3]);
    if (!strcmp(argv[2], "grow")) return child_grow(argv[3]);
    if (!strcmp(argv[2], "ro-opens")) return child_ro_opens(argv[3]);
    fprintf(stderr, "t_win: unknown child role %s\n", argv[2]);
    return 2;
  }
  return wt_run(tests, sizeof tests / sizeof tests[0], argc - 1, argv + 1);
}
