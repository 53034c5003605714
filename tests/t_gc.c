/* t_gc.c: the garbage collector (backing_gc_*): sizes, counts, ages and lifetimes, cycles
   and steps, gc_free, destructors, kinds kept apart, bad addresses, atomic counts,
   persistence, and the seed's cases G2-G6, B6-B8 and B11 as behaviour. Every test checks
   the store with backing_check() after each operation that changes it. */

/* ---- helpers -------------------------------------------------------------------------- */

/* backing_gc_cycle(s) must return `want`, and the store must check clean afterwards. */
#define GC_CYCLE_EQ(s, want)               \
  do {                                     \
    CHECK_EQ(backing_gc_cycle(s), (want)); \
    CHECK_STORE(s);                        \
  } while (0)

/* The block at `a` must be a live GC block with this count and age. */
#define CHECK_GC(s, a, count, age) gc_state_((s), (a), (count), (age), __FILE__, __LINE__)
static int gc_state_(backing *s, backing_addr a, uint32_t count, uint32_t age, const char *file,
                     int line) {
  uint32_t c, g;
  int e1, e2;
  prime_error(BACKING_EINVAL);
  c = backing_gc_refcount(s, a);
  e1 = backing_last_error();
  g = backing_gc_age(s, a);
  e2 = backing_last_error();
  return test__check(c == count && g == age && e1 != BACKING_EBADADDR && e1 != BACKING_EFREED &&
                         e1 != BACKING_ETYPE && e2 == e1,
                     file, line,
                     "GC block %llu: count %u age %u (last error %s), want count %u age %u", ULL(a),
                     c, g, err_name(e2), count, age);
}

/* The block at `a` must be gone: gc_refcount fails with EFREED or EBADADDR. Only right after
   the free (a later allocation may reuse the address). */
#define CHECK_GC_GONE(s, a) gc_gone_((s), (a), __FILE__, __LINE__)
static int gc_gone_(backing *s, backing_addr a, const char *file, int line) {
  uint32_t r;
  int e;
  prime_error(BACKING_EFREED);
  r = backing_gc_refcount(s, a);
  e = backing_last_error();
  return test__check(r == 0 && (e == BACKING_EFREED || e == BACKING_EBADADDR), file, line,
                     "GC block %llu should be freed: refcount %u, last error %s", ULL(a), r,
                     err_name(e));
}

/* A failing call must return 0 with EFREED or EBADADDR (the address is freed space). */
#define EXPECT_FREED0(expr)                                                            \
  do {                                                                                 \
    uint64_t r_;                                                                       \
    int e_;                                                                            \
    prime_error(BACKING_EFREED);                                                       \
    r_ = (uint64_t)(expr);                                                             \
    e_ = backing_last_error();                                                         \
    CHECKF(r_ == 0 && (e_ == BACKING_EFREED || e_ == BACKING_EBADADDR),                \
           "%s returned %llu with %s, want 0 with EFREED or EBADADDR", #expr, ULL(r_), \
           err_name(e_));                                                              \
  } while (0)

static uint64_t gc_waiting(backing *s) {
  return stat_of(s).gc_waiting;
}
static uint64_t gc_cost(backing *s, backing_addr a) {
  return backing_gc_sizeof(s, a) + 16;
}
static uint32_t gc_arena_of(backing *s, backing_addr a) {
  return (uint32_t)(a / stat_of(s).arena_size);
}

/* gc_free(a) must return the block's cost, gc_sizeof + 16, and leave the store clean. */
#define GC_FREE_EQ(s, a)                        \
  do {                                          \
    uint64_t want_ = gc_cost((s), (a));         \
    CHECK_EQ(backing_gc_free((s), (a)), want_); \
    CHECK_STORE(s);                             \
  } while (0)

/* What a destructor saw. */
struct gc_dtor_log {
  int calls;
  backing_addr last;
  uint64_t word; /* the block's first 8 bytes when the destructor ran */
  backing_addr seen[512];
};
static void gc_dtor_record(backing *s, backing_addr a, void *ctx) {
  struct gc_dtor_log *d = (struct gc_dtor_log *)ctx;
  if (d->calls < 512) d->seen[d->calls] = a;
  d->calls++;
  d->last = a;
  memcpy(&d->word, backing_ptr(s, a), 8);
}
static int gc_dtor_saw(const struct gc_dtor_log *d, backing_addr a) {
  int i, n = 0;
  for (i = 0; i < d->calls && i < 512; i++) n += d->seen[i] == a;
  return n;
}

/* ---- sizes, types, initial state ------------------------------------------------------- */

TEST(gc_alloc_sizes_types_and_initial_state) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  static const uint64_t sizes[] = {0,   1,   2,   15,   16,   17,   24,   64,   100,  128,
                                   129, 255, 256, 1000, 4095, 4096, 4097, 5000, 20000};
  enum { N = sizeof sizes / sizeof sizes[0] };
  backing_addr a, b, r, big, blk[N];
  uint64_t i;
  if (!s) return;
  a = backing_gc_alloc(s, 64, 7, 0);
  if (!CHECK(a != 0)) return;
  CHECK_EQ(a % 16, 0);
  CHECK_EQ(backing_gc_sizeof(s, a), 64);
  CHECK_EQ(backing_gc_type(s, a), 7);
  CHECK_GC(s, a, 0, 0); /* refs 0: waiting at once, age 0 */
  CHECK_EQ(gc_waiting(s), 1);
  b = backing_gc_alloc(s, 2, 0, 0);
  CHECK_EQ(backing_gc_sizeof(s, b), 16);
  CHECK_EQ(backing_gc_type(s, b), 0);
  CHECK_EQ(gc_waiting(s), 2);
  r = backing_gc_alloc(s, 0, 0, 3);
  CHECK_EQ(backing_gc_sizeof(s, r), 16);
  CHECK_GC(s, r, 3, 0);
  CHECK_EQ(gc_waiting(s), 2); /* referenced blocks do not wait */
  big = backing_gc_alloc(s, 5000, 0xffffffffu, 1);
  CHECK(backing_gc_sizeof(s, big) >= 5000);
  CHECK_EQ(backing_gc_type(s, big), 0xffffffffu);
  CHECK_GC(s, big, 1, 0);
  CHECK_STORE(s);

  /* usable size >= the request, close to it, and every usable byte is the caller's */
  for (i = 0; i < N; i++) {
    uint64_t sz = sizes[i], got;
    blk[i] = backing_gc_alloc(s, sz, (uint32_t)i, (uint32_t)(i % 3));
    if (!CHECKF(blk[i] != 0, "gc_alloc(%llu): %s", ULL(sz), err_name(backing_last_error()))) return;
    CHECK_EQ(blk[i] % 16, 0);
    got = backing_gc_sizeof(s, blk[i]);
    CHECKF(got >= sz && got >= 16, "gc_alloc(%llu) has %llu usable bytes", ULL(sz), ULL(got));
    { /* backing.h: a slab class is at most 25% over the request (16-byte steps to 128); a
         large block is the request rounded up to 16 plus at most 16; never under 16 */
      uint64_t r16 = ((sz < 16 ? 16 : sz) + 15) & ~(uint64_t)15;
      uint64_t cls = (sz + sz / 4 + 15) & ~(uint64_t)15, bound = r16 + 16;
      if (sz <= 4096 && cls > bound) bound = cls;
      CHECKF(got <= bound, "gc_alloc(%llu) has %llu usable bytes, more than the documented %llu",
             ULL(sz), ULL(got), ULL(bound));
    }
    fill_pattern(backing_ptr(s, blk[i]), got, 0x6c00 + i);
  }
  CHECK_STORE(s);
  for (i = 0; i < N; i++) {
    CHECK_PATTERN(backing_ptr(s, blk[i]), backing_gc_sizeof(s, blk[i]), 0x6c00 + i);
    CHECK_EQ(backing_gc_type(s, blk[i]), i);
    CHECK_GC(s, blk[i], (uint32_t)(i % 3), 0);
  }
  CLOSE(s);
}

/* The smallest GC block has 16 usable bytes wherever it comes from: a slab, or (once the
   arena has no room for another slab) a large block. */
TEST(gc_alloc_0_and_1_give_16_usable_bytes_on_every_path) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr g[8], after;
  int i;
  if (!s) return;
  CHECK(backing_gc_alloc(s, 64, 0, 1) != 0); /* a slab: the arena has room for no other */
  for (i = 0; i < 8; i++) {
    g[i] = backing_gc_alloc(s, (uint64_t)(i % 3), 0, 1);
    if (!CHECK(g[i] != 0)) return;
    CHECKF(backing_gc_sizeof(s, g[i]) == 16, "gc_alloc(%d) has %llu usable bytes, want 16", i % 3,
           ULL(backing_gc_sizeof(s, g[i])));
  }
  after = backing_gc_alloc(s, 16, 5, 2);
  for (i = 0; i < 8; i++) memset(backing_ptr(s, g[i]), 0xab, 16); /* the 16 bytes promised */
  CHECK_STORE(s);
  CHECK_GC(s, after, 2, 0);
  CHECK_EQ(backing_gc_type(s, after), 5);
  for (i = 0; i < 8; i++) CHECK_GC(s, g[i], 1, 0);
  CLOSE(s);
}

TEST(gc_calloc_zeroes_dirty_memory_seed_g2) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  static const uint64_t sizes[] = {8, 64, 128, 300, 5000};
  backing_addr old[20], a;
  uint64_t k, i, j;
  if (!s) return;
  /* G2 */
  a = backing_gc_calloc(s, 128, 0, 0);
  CHECK(a && all_bytes_are(backing_ptr(s, a), 128, 0));
  a = backing_gc_calloc(s, 8, 0, 0);
  CHECK_EQ(backing_gc_sizeof(s, a), 16);
  CHECK(all_bytes_are(backing_ptr(s, a), 16, 0));
  CHECK_EQ(backing_gc_type(s, backing_gc_calloc(s, 8, 123, 0)), 123);
  CHECK_EQ(backing_gc_refcount(s, backing_gc_calloc(s, 8, 0, 123)), 123);
  EXPECT_FAIL0(backing_gc_calloc(s, max_block(64 * KIB) + 1, 0, 0), BACKING_ETOOBIG);
  CHECK_STORE(s);

  /* the same memory dirtied by earlier GC blocks, then handed out again */
  for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    int reused = 0;
    for (i = 0; i < 20; i++) {
      old[i] = backing_gc_alloc(s, sizes[k], 1, 0);
      if (!CHECK(old[i] != 0)) return;
      memset(backing_ptr(s, old[i]), 0xa5, backing_gc_sizeof(s, old[i]));
    }
    for (i = 0; i < 20; i++) GC_FREE_EQ(s, old[i]);
    for (i = 0; i < 20; i++) {
      uint64_t n;
      a = backing_gc_calloc(s, sizes[k], 9, 2);
      if (!CHECK(a != 0)) return;
      n = backing_gc_sizeof(s, a);
      CHECK(n >= sizes[k]);
      CHECKF(all_bytes_are(backing_ptr(s, a), n, 0), "gc_calloc(%llu) is not all zero",
             ULL(sizes[k]));
      CHECK_EQ(backing_gc_type(s, a), 9);
      CHECK_GC(s, a, 2, 0);
      for (j = 0; j < 20; j++) reused |= a == old[j];
      old[i] = a;
    }
    CHECKF(reused, "gc_calloc(%llu) reused none of the freed blocks: the test proves nothing",
           ULL(sizes[k]));
    for (i = 0; i < 20; i++) {
      CHECK_EQ(backing_gc_unref(s, old[i]), 1);
      CHECK_EQ(backing_gc_unref(s, old[i]), 0);
      CHECK(backing_gc_free(s, old[i]) > 0);
    }
    CHECK_STORE(s);
  }

  /* memory dirtied by a plain block */
  a = backing_alloc(s, 7000);
  memset(backing_ptr(s, a), 0x5a, backing_sizeof(s, a));
  CHECK(backing_free(s, a) > 0);
  a = backing_gc_calloc(s, 7000, 0, 1);
  CHECK(a && all_bytes_are(backing_ptr(s, a), backing_gc_sizeof(s, a), 0));
  CHECK_CLOSE(s);
}

/* ---- counts ----------------------------------------------------------------------------- */

TEST(gc_ref_unref_return_the_new_count) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr a, b;
  if (!s) return;
  a = backing_gc_alloc(s, 64, 1, 0);
  CHECK_EQ(backing_gc_ref(s, a), 1);
  CHECK_GC(s, a, 1, 0);
  CHECK_EQ(gc_waiting(s), 0); /* off the waiting list */
  CHECK_STORE(s);
  CHECK_EQ(backing_gc_ref(s, a), 2);
  CHECK_EQ(backing_gc_ref(s, a), 3);
  CHECK_EQ(backing_gc_refcount(s, a), 3);
  CHECK_EQ(backing_gc_unref(s, a), 2);
  CHECK_EQ(backing_gc_unref(s, a), 1);
  CHECK_EQ(gc_waiting(s), 0);
  CHECK_EQ(backing_gc_unref(s, a), 0);
  CHECK_GC(s, a, 0, 0);
  CHECK_EQ(gc_waiting(s), 1); /* back on it */
  CHECK_STORE(s);
  /* unref at 0 stays 0 and does nothing */
  CHECK_EQ(backing_gc_unref(s, a), 0);
  CHECK_EQ(backing_gc_unref(s, a), 0);
  CHECK_GC(s, a, 0, 0);
  CHECK_EQ(gc_waiting(s), 1);
  CHECK_STORE(s);

  /* ages: unref at 0 keeps the age, ref from 0 restarts it */
  CHECK_OK(backing_gc_set_lifetime(s, 3));
  GC_CYCLE_EQ(s, 0);
  CHECK_GC(s, a, 0, 1);
  CHECK_EQ(backing_gc_unref(s, a), 0);
  CHECK_GC(s, a, 0, 1);
  GC_CYCLE_EQ(s, 0);
  CHECK_GC(s, a, 0, 2);
  CHECK_EQ(backing_gc_ref(s, a), 1);
  CHECK_GC(s, a, 1, 0);
  CHECK_EQ(gc_waiting(s), 0);
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, 0); /* a referenced block is never aged */
  CHECK_GC(s, a, 1, 0);
  CHECK_EQ(backing_gc_unref(s, a), 0);
  CHECK_GC(s, a, 0, 0);
  GC_CYCLE_EQ(s, 0);
  CHECK_GC(s, a, 0, 1);
  GC_CYCLE_EQ(s, 0);
  CHECK_GC(s, a, 0, 2);
  GC_CYCLE_EQ(s, 80);
  CHECK_GC_GONE(s, a);
  CHECK_EQ(gc_waiting(s), 0);

  /* a block born with references */
  b = backing_gc_alloc(s, 100, 2, 5);
  CHECK_GC(s, b, 5, 0);
  CHECK_EQ(gc_waiting(s), 0);
  CHECK_EQ(backing_gc_unref(s, b), 4);
  CHECK_EQ(backing_gc_ref(s, b), 5);
  CHECK_EQ(backing_gc_unref(s, b), 4);
  CHECK_EQ(backing_gc_unref(s, b), 3);
  CHECK_EQ(backing_gc_unref(s, b), 2);
  CHECK_EQ(backing_gc_unref(s, b), 1);
  CHECK_EQ(backing_gc_unref(s, b), 0);
  CHECK_EQ(gc_waiting(s), 1);
  CHECK_CLOSE(s);
}

/* ---- lifetimes ---------------------------------------------------------------------------- */

/* With `life` in effect (0 behaves as 1): a block at count 0 is freed on the life-th cycle
   after it reached 0, with its age visible before; referenced blocks are untouched. */
static void gc_lifetime_case(backing *s, uint32_t life) {
  uint32_t eff = life ? life : 1, k;
  backing_addr a = backing_gc_alloc(s, 64, 0, 0);  /* waiting from birth */
  backing_addr b = backing_gc_alloc(s, 128, 0, 1); /* kept */
  backing_addr d = backing_gc_alloc(s, 256, 0, 2); /* reaches 0 later */
  if (!CHECK(a && b && d)) return;
  CHECK_EQ(backing_gc_unref(s, d), 1);
  CHECK_EQ(backing_gc_unref(s, d), 0);
  for (k = 1; k < eff; k++) {
    GC_CYCLE_EQ(s, 0);
    CHECK_GC(s, a, 0, k);
    CHECK_GC(s, d, 0, k);
  }
  CHECKF(backing_gc_cycle(s) == 80 + 272, "lifetime %u: the %u-th cycle did not free both", life,
         eff);
  CHECK_STORE(s);
  CHECK_GC_GONE(s, a);
  CHECK_GC_GONE(s, d);
  CHECK_GC(s, b, 1, 0);
  GC_CYCLE_EQ(s, 0);
  CHECK_EQ(backing_gc_unref(s, b), 0);
  for (k = 1; k < eff; k++) GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, 144);
  CHECK_EQ(gc_waiting(s), 0);
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
}

TEST(gc_lifetimes_0_to_4_via_set_lifetime) {
  uint32_t life;
  for (life = 0; life <= 4; life++) {
    backing *s = OPEN_MEMORY(64 * KIB, 0);
    if (!s) return;
    CHECK_OK(backing_gc_set_lifetime(s, life));
    gc_lifetime_case(s, life);
    CLOSE(s);
  }
}

TEST(gc_lifetime_from_the_config_default_2) {
  uint32_t life;
  for (life = 0; life <= 3; life++) {
    backing_config c = mem_cfg(64 * KIB, 0);
    backing *s;
    c.lifetime = life;
    s = OPEN(&c);
    if (!s) return;
    gc_lifetime_case(s, life ? life : 2); /* config 0 means the default, 2 */
    CLOSE(s);
  }
  { /* set_lifetime overrides the config, and may be changed back and forth */
    backing_config c = mem_cfg(64 * KIB, 0);
    backing *s;
    c.lifetime = 4;
    s = OPEN(&c);
    if (!s) return;
    CHECK_OK(backing_gc_set_lifetime(s, 1));
    gc_lifetime_case(s, 1);
    CHECK_OK(backing_gc_set_lifetime(s, 3));
    gc_lifetime_case(s, 3);
    CHECK_OK(backing_gc_set_lifetime(s, 0));
    gc_lifetime_case(s, 0);
    CLOSE(s);
  }
}

TEST(gc_lowering_the_lifetime_frees_old_blocks_on_the_next_cycle) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr a, b;
  if (!s) return;
  CHECK_OK(backing_gc_set_lifetime(s, 10));
  a = backing_gc_alloc(s, 64, 0, 0);
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, 0);
  b = backing_gc_alloc(s, 128, 0, 0);
  CHECK_GC(s, a, 0, 3);
  CHECK_GC(s, b, 0, 0);
  CHECK_OK(backing_gc_set_lifetime(s, 2));
  GC_CYCLE_EQ(s, 80); /* a reaches age 4 >= 2 */
  CHECK_GC_GONE(s, a);
  CHECK_GC(s, b, 0, 1);
  GC_CYCLE_EQ(s, 144);
  CLOSE(s);
}

/* ---- a model: random operations checked against the documented rules -------------------- */

struct gc_model_blk {
  backing_addr a;
  uint64_t size; /* usable */
  uint32_t type, count, age;
  int alive;
};

TEST(gc_random_operations_match_a_model) {
  backing *s = OPEN_MEMORY(64 * KIB, 2 * MIB);
  enum { NB = 600, OPS = 12000 };
  struct gc_model_blk *m = (struct gc_model_blk *)calloc(NB, sizeof *m);
  struct gc_dtor_log *log = (struct gc_dtor_log *)calloc(1, sizeof *log);
  uint64_t seed = seed_from_env(0x9c0ffee1234ull), rng = seed, op;
  uint32_t life = 2, n = 0, i, expected_dtor = 0;
  int bad = 0;
  if (!s || !m || !log) goto out;
  test_note("seed %llu (BACKING_SEED=%llu to repeat)", ULL(seed), ULL(seed));
  CHECK_OK(backing_gc_on_free(s, 1, gc_dtor_record, log));
  for (op = 0; op < OPS && !bad; op++) {
    uint64_t r = rng_below(&rng, 100);
    struct gc_model_blk *x = NULL;
    if (n > 0) {
      x = &m[rng_below(&rng, n)];
      if (!x->alive) x = NULL;
    }
    if (r < 30 && n < NB) { /* alloc */
      uint64_t sz = rng_below(&rng, 4) == 0 ? 1 + rng_below(&rng, 9000) : rng_below(&rng, 300);
      uint32_t refs = (uint32_t)rng_below(&rng, 3), type = (uint32_t)rng_below(&rng, 3);
      backing_addr a = rng_below(&rng, 2) ? backing_gc_alloc(s, sz, type, refs)
                                          : backing_gc_calloc(s, sz, type, refs);
      if (!a) {
        bad |= !CHECKF(backing_last_error() == BACKING_ENOSPACE, "op %llu: gc_alloc(%llu): %s",
                       ULL(op), ULL(sz), err_name(backing_last_error()));
        continue;
      }
      m[n].a = a;
      m[n].size = backing_gc_sizeof(s, a);
      m[n].type = type;
      m[n].count = refs;
      m[n].age = 0;
      m[n].alive = 1;
      bad |= !CHECK(m[n].size >= sz);
      n++;
    } else if (r < 55 && x) { /* ref */
      uint32_t want = x->count ? x->count + 1 : 1;
      bad |= !CHECK_EQ(backing_gc_ref(s, x->a), want);
      x->count = want;
      if (want == 1) x->age = 0;
    } else if (r < 85 && x) { /* unref */
      uint32_t want = x->count ? x->count - 1 : 0;
      bad |= !CHECK_EQ(backing_gc_unref(s, x->a), want);
      if (x->count == 1) x->age = 0;
      x->count = want;
    } else if (r < 92) { /* cycle */
      uint64_t want = 0;
      uint32_t eff = life ? life : 1;
      for (i = 0; i < n; i++) {
        if (!m[i].alive || m[i].count) continue;
        if (++m[i].age >= eff) {
          want += m[i].size + 16;
          m[i].alive = 0;
          expected_dtor += m[i].type == 1;
        }
      }
      bad |= !CHECKF(backing_gc_cycle(s) == want, "op %llu: cycle freed the wrong bytes", ULL(op));
    } else if (r < 96 && x) { /* gc_free */
      if (x->count) {
        prime_error(BACKING_EREFERENCED);
        bad |= !CHECK_EQ(backing_gc_free(s, x->a), 0);
        bad |= !CHECK_EQ(backing_last_error(), BACKING_EREFERENCED);
      } else {
        bad |= !CHECK_EQ(backing_gc_free(s, x->a), x->size + 16);
        x->alive = 0;
        expected_dtor += x->type == 1;
      }
    } else if (r < 97) {
      life = (uint32_t)rng_below(&rng, 5);
      CHECK_OK(backing_gc_set_lifetime(s, life));
    } else if (x) { /* look */
      bad |= !CHECK_GC(s, x->a, x->count, x->count ? 0 : x->age);
      bad |= !CHECK_EQ(backing_gc_type(s, x->a), x->type);
      bad |= !CHECK_EQ(backing_gc_sizeof(s, x->a), x->size);
    }
    /* compact the table now and then: dead entries go */
    if (n == NB) {
      uint32_t k = 0;
      for (i = 0; i < n; i++)
        if (m[i].alive) m[k++] = m[i];
      n = k;
    }
    if (op % 97 == 0) {
      uint64_t waiting = 0;
      for (i = 0; i < n; i++) waiting += m[i].alive && m[i].count == 0;
      bad |= !CHECK_STORE(s);
      bad |= !CHECKF(gc_waiting(s) == waiting, "op %llu: gc_waiting %llu, model %llu", ULL(op),
                     ULL(gc_waiting(s)), ULL(waiting));
      bad |= !CHECK_EQ(log->calls, expected_dtor);
    }
  }
  /* the end: everything reaches 0 and is collected */
  for (i = 0; i < n && !bad; i++) {
    if (!m[i].alive) continue;
    bad |= !CHECK_GC(s, m[i].a, m[i].count, m[i].count ? 0 : m[i].age);
    while (m[i].count) CHECK_EQ(backing_gc_unref(s, m[i].a), --m[i].count);
  }
  CHECK_OK(backing_gc_set_lifetime(s, 1));
  backing_gc_cycle(s);
  CHECK_EQ(gc_waiting(s), 0);
  CHECK_STORE(s);
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
out:
  free(m);
  free(log);
  if (s) CLOSE(s);
}

/* ---- steps ---------------------------------------------------------------------------------- */

/* Fills a 64 KiB-arena store with `narenas` arenas, each holding one big waiting block, a few
   small waiting blocks and one referenced block. Returns the number of blocks in blk[]. */
static int gc_step_setup(backing *s, int narenas, backing_addr *blk, int max) {
  int i, k, n = 0;
  for (i = 0; i < narenas && n + 8 <= max; i++) {
    blk[n++] = backing_gc_alloc(s, 40000, 1, 0); /* too big to share an arena */
    for (k = 0; k < 6; k++) blk[n++] = backing_gc_alloc(s, 32 + 100 * (uint64_t)k, 1, 0);
    blk[n++] = backing_gc_alloc(s, 48, 2, 1);
  }
  for (i = 0; i < n; i++)
    if (!CHECKF(blk[i] != 0, "setup alloc %d: %s", i, err_name(backing_last_error()))) return 0;
  return n;
}

TEST(gc_step_visits_one_arena_per_call_round_robin) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr blk[64];
  uint64_t per[16], narenas, i, k;
  int n, j, visited[16], order[16];
  if (!s) return;
  n = gc_step_setup(s, 4, blk, 64);
  if (!n) return;
  narenas = stat_of(s).arena_count;
  if (!CHECKF(narenas >= 3 && narenas <= 16, "%llu arenas", ULL(narenas))) return;
  memset(per, 0, sizeof per);
  for (j = 0; j < n; j++)
    if (backing_gc_refcount(s, blk[j]) == 0) per[gc_arena_of(s, blk[j])] += gc_cost(s, blk[j]);
  for (i = 0; i < narenas; i++)
    if (!CHECKF(per[i] > 0, "arena %llu has no waiting block", ULL(i))) return;
  CHECK_STORE(s);

  /* lifetime 2: each step ages one arena's blocks only */
  memset(visited, 0, sizeof visited);
  for (i = 0; i < narenas; i++) {
    int which = -1;
    CHECK_EQ(backing_gc_step(s), 0);
    CHECK_STORE(s);
    for (k = 0; k < narenas; k++) {
      int aged = 0, young = 0;
      for (j = 0; j < n; j++) {
        if (gc_arena_of(s, blk[j]) != k || backing_gc_refcount(s, blk[j]) != 0) continue;
        if (backing_gc_age(s, blk[j]) == 1)
          aged++;
        else if (backing_gc_age(s, blk[j]) == 0)
          young++;
      }
      CHECKF(!aged || !young, "step %llu aged only part of arena %llu", ULL(i), ULL(k));
      if (aged && !visited[k]) {
        CHECKF(which < 0, "step %llu aged more than one arena", ULL(i));
        which = (int)k;
      }
    }
    if (!CHECKF(which >= 0, "step %llu aged no new arena", ULL(i))) return;
    visited[which] = 1;
    order[i] = which;
  }
  /* the second round visits them in the same order and frees them */
  for (i = 0; i < narenas; i++) {
    uint64_t f = backing_gc_step(s);
    int a = order[i];
    CHECKF(f == per[a], "round 2, step %llu: freed %llu, want arena %d's %llu", ULL(i), ULL(f), a,
           ULL(per[a]));
    CHECK_STORE(s);
    for (j = 0; j < n; j++) {
      int ar = (int)gc_arena_of(s, blk[j]);
      int done = 0;
      for (k = 0; k <= i; k++) done |= order[k] == ar;
      if (backing_gc_type(s, blk[j]) == 2) continue;
      if (done)
        CHECK_GC_GONE(s, blk[j]);
      else
        CHECK_GC(s, blk[j], 0, 1);
    }
  }
  CHECK_EQ(gc_waiting(s), 0);
  /* referenced blocks survive any number of steps */
  for (i = 0; i < 3 * narenas; i++) CHECK_EQ(backing_gc_step(s), 0);
  for (j = 0; j < n; j++)
    if (gc_arena_of(s, blk[j]) < narenas && j % 8 == 7) CHECK_GC(s, blk[j], 1, 0);
  CHECK_CLOSE(s);
}

TEST(gc_step_with_lifetime_1_frees_one_arena_per_call) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr blk[64];
  uint64_t per[16], narenas, i, total = 0;
  int n, j, freed_arena[16];
  if (!s) return;
  CHECK_OK(backing_gc_set_lifetime(s, 1));
  n = gc_step_setup(s, 3, blk, 64);
  if (!n) return;
  narenas = stat_of(s).arena_count;
  if (!CHECKF(narenas >= 3 && narenas <= 16, "%llu arenas", ULL(narenas))) return;
  memset(per, 0, sizeof per);
  memset(freed_arena, 0, sizeof freed_arena);
  for (j = 0; j < n; j++)
    if (backing_gc_refcount(s, blk[j]) == 0) per[gc_arena_of(s, blk[j])] += gc_cost(s, blk[j]);
  for (i = 0; i < narenas; i++) total += per[i];
  for (i = 0; i < narenas; i++) {
    uint64_t f = backing_gc_step(s), k;
    int hits = 0;
    CHECK_STORE(s);
    for (k = 0; k < narenas; k++) {
      int gone = 0, left = 0;
      for (j = 0; j < n; j++) {
        if (gc_arena_of(s, blk[j]) != k || j % 8 == 7) continue;
        if (backing_gc_refcount(s, blk[j]) == 0 && backing_last_error() != 0) /* freed */
          gone++;
        else
          left++;
      }
      CHECKF(!gone || !left, "step %llu freed only part of arena %llu", ULL(i), ULL(k));
      if (gone && !freed_arena[k]) {
        hits++;
        freed_arena[k] = 1;
        CHECKF(f == per[k], "step %llu freed %llu, arena %llu had %llu waiting", ULL(i), ULL(f),
               ULL(k), ULL(per[k]));
      }
    }
    CHECKF(hits == 1, "step %llu freed the blocks of %d arenas, want 1", ULL(i), hits);
  }
  CHECK_EQ(gc_waiting(s), 0);
  CHECK_EQ(backing_gc_step(s), 0);
  CHECK_EQ(backing_gc_cycle(s), 0);
  CHECK(total > 0);
  CHECK_CLOSE(s);
}

/* ---- gc_free --------------------------------------------------------------------------------- */

TEST(gc_free_frees_at_once_only_at_count_0) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  struct gc_dtor_log log;
  backing_addr a, b, big, w[5];
  uint64_t sum = 0;
  int i;
  if (!s) return;
  memset(&log, 0, sizeof log);
  CHECK_OK(backing_gc_set_lifetime(s, 4));
  CHECK_OK(backing_gc_on_free(s, 5, gc_dtor_record, &log));
  a = backing_gc_alloc(s, 64, 5, 0);
  backing_set_u64(s, a, 0xa11ce);
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, 0);
  CHECK_GC(s, a, 0, 2);
  CHECK_EQ(backing_gc_free(s, a), 80); /* whatever the age */
  CHECK_STORE(s);
  CHECK_EQ(log.calls, 1);
  CHECK_EQ(log.last, a);
  CHECK_EQ(log.word, 0xa11ce); /* the destructor ran first: the contents were there */
  CHECK_EQ(gc_waiting(s), 0);
  EXPECT_FREED0(backing_gc_free(s, a));
  CHECK_EQ(log.calls, 1);
  CHECK_STORE(s);

  b = backing_gc_alloc(s, 128, 5, 2);
  backing_set_u64(s, b, 0xb0b);
  EXPECT_FAIL0(backing_gc_free(s, b), BACKING_EREFERENCED);
  CHECK_EQ(log.calls, 1);
  CHECK_GC(s, b, 2, 0);
  CHECK_EQ(backing_get_u64(s, b), 0xb0b);
  CHECK_EQ(backing_gc_unref(s, b), 1);
  EXPECT_FAIL0(backing_gc_free(s, b), BACKING_EREFERENCED);
  CHECK_EQ(backing_gc_unref(s, b), 0);
  CHECK_EQ(backing_gc_free(s, b), 144); /* age 0 */
  CHECK_EQ(log.calls, 2);
  CHECK_EQ(log.word, 0xb0b);
  CHECK_STORE(s);

  big = backing_gc_alloc(s, 9000, 0, 0);
  sum = gc_cost(s, big);
  CHECK_EQ(backing_gc_free(s, big), sum);
  CHECK_STORE(s);

  /* from the middle, the head and the tail of a waiting list */
  sum = 0;
  for (i = 0; i < 5; i++) w[i] = backing_gc_alloc(s, 16 * (uint64_t)(i + 1), 0, 0);
  GC_FREE_EQ(s, w[2]);
  GC_FREE_EQ(s, w[0]);
  GC_FREE_EQ(s, w[4]);
  CHECK_EQ(gc_waiting(s), 2);
  sum = gc_cost(s, w[1]) + gc_cost(s, w[3]);
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, sum);
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
  CLOSE(s);
}

/* ---- destructors ------------------------------------------------------------------------------
 */

TEST(gc_destructors_per_type_seed_b8) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  struct gc_dtor_log thing, other;
  backing_addr t, o, u;
  enum { THING = 10, OTHER = 11, PLAIN = 12 };
  if (!s) return;
  memset(&thing, 0, sizeof thing);
  memset(&other, 0, sizeof other);
  t = backing_gc_alloc(s, 64, THING, 0);
  o = backing_gc_alloc(s, 64, PLAIN, 0);
  u = backing_gc_alloc(s, 64, 0, 0);
  backing_set_u64(s, t, 0x7417);
  /* registered after the blocks exist */
  CHECK_OK(backing_gc_on_free(s, THING, gc_dtor_record, &thing));
  CHECK_OK(backing_gc_on_free(s, OTHER, gc_dtor_record, &other));
  GC_CYCLE_EQ(s, 0);
  CHECK_EQ(thing.calls, 0); /* not after one cycle */
  GC_CYCLE_EQ(s, 240);
  CHECK_EQ(thing.calls, 1); /* after the second */
  CHECK_EQ(thing.last, t);
  CHECK_EQ(thing.word, 0x7417);
  CHECK_EQ(other.calls, 0); /* only types that have a destructor get one */
  (void)o;
  (void)u;

  /* NULL unregisters; registering again replaces */
  CHECK_OK(backing_gc_on_free(s, THING, NULL, NULL));
  t = backing_gc_alloc(s, 64, THING, 0);
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, 80);
  CHECK_EQ(thing.calls, 1);
  CHECK_OK(backing_gc_on_free(s, OTHER, gc_dtor_record, &thing)); /* replaces &other */
  o = backing_gc_alloc(s, 32, OTHER, 0);
  CHECK_EQ(backing_gc_free(s, o), 48);
  CHECK_EQ(thing.calls, 2);
  CHECK_EQ(thing.last, o);
  CHECK_EQ(other.calls, 0);
  CHECK_CLOSE(s);
}

TEST(gc_destructors_run_by_cycle_step_and_free_with_their_ctx) {
  backing_config c = mem_cfg(1 * MIB, 0); /* one arena holds everything */
  backing *s = OPEN(&c);
  enum { NT = 40 };
  struct gc_dtor_log *logs = (struct gc_dtor_log *)calloc(NT, sizeof *logs);
  backing_addr a[NT];
  uint64_t sum = 0;
  uint32_t t;
  if (!s || !logs) goto out;
  for (t = 0; t < NT; t++) CHECK_OK(backing_gc_on_free(s, 100 + t, gc_dtor_record, &logs[t]));
  /* by a cycle (lifetime 1) */
  CHECK_OK(backing_gc_set_lifetime(s, 1));
  for (t = 0; t < NT; t++) {
    a[t] = backing_gc_alloc(s, 16 + 8 * (uint64_t)t, 100 + t, 0);
    backing_set_u64(s, a[t], 1000 + t);
    sum += gc_cost(s, a[t]);
  }
  GC_CYCLE_EQ(s, sum);
  for (t = 0; t < NT; t++) {
    CHECK_EQ(logs[t].calls, 1);
    CHECK_EQ(gc_dtor_saw(&logs[t], a[t]), 1);
    CHECK_EQ(logs[t].word, 1000 + t);
  }
  /* by a step (one arena: every step visits it) */
  for (t = 0; t < NT; t++) {
    a[t] = backing_gc_alloc(s, 64, 100 + t, 1);
    backing_set_u64(s, a[t], 2000 + t);
    CHECK_EQ(backing_gc_unref(s, a[t]), 0);
  }
  CHECK_EQ(stat_of(s).arena_count, 1);
  CHECK_EQ(backing_gc_step(s), 80 * NT);
  CHECK_STORE(s);
  for (t = 0; t < NT; t++) {
    CHECK_EQ(logs[t].calls, 2);
    CHECK_EQ(logs[t].word, 2000 + t);
  }
  /* by gc_free */
  for (t = 0; t < NT; t++) {
    a[t] = backing_gc_alloc(s, 300, 100 + t, 0);
    backing_set_u64(s, a[t], 3000 + t);
  }
  for (t = 0; t < NT; t++) {
    GC_FREE_EQ(s, a[t]);
    CHECK_EQ(logs[t].calls, 3);
    CHECK_EQ(logs[t].last, a[t]);
    CHECK_EQ(logs[t].word, 3000 + t);
  }
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
out:
  free(logs);
  if (s) CLOSE(s);
}

/* B7: a destructor that unrefs the block its victim points to. */
struct gc_cascade {
  int calls1, calls2;
  uint32_t unref_result;
};
static void gc_cascade_dtor1(backing *s, backing_addr a, void *ctx) {
  struct gc_cascade *k = (struct gc_cascade *)ctx;
  backing_addr target = backing_get_u64(s, a);
  k->calls1++;
  k->unref_result = backing_gc_unref(s, target);
  backing_set_u64(s, a, 0);
}
static void gc_cascade_dtor2(backing *s, backing_addr a, void *ctx) {
  (void)s;
  (void)a;
  ((struct gc_cascade *)ctx)->calls2++;
}

TEST(gc_destructor_cascade_seed_b7) {
  backing *s = OPEN_MEMORY(64 * KIB, 0); /* lifetime: the default, 2 */
  struct gc_cascade k;
  backing_addr a1, a2;
  uint64_t a2_cost;
  if (!s) return;
  memset(&k, 0, sizeof k);
  CHECK_OK(backing_gc_on_free(s, 1, gc_cascade_dtor1, &k));
  CHECK_OK(backing_gc_on_free(s, 2, gc_cascade_dtor2, &k));
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, 0);
  a1 = backing_gc_alloc(s, 16, 1, 0);
  CHECK_EQ(backing_gc_refcount(s, a1), 0);
  CHECK_EQ(backing_gc_sizeof(s, a1), 16);
  a2 = backing_gc_alloc(s, 24, 2, 0);
  a2_cost = gc_cost(s, a2);
  CHECK(backing_gc_sizeof(s, a2) >= 24);
  backing_set_u64(s, a1, a2);
  CHECK_EQ(backing_gc_ref(s, a2), 1);
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, 32); /* a1 freed; its destructor unrefs a2 */
  CHECK_EQ(k.calls1, 1);
  CHECK_EQ(k.unref_result, 0);
  CHECK_EQ(k.calls2, 0);
  CHECK_GC(s, a2, 0, 0); /* aged from the next cycle on */
  GC_CYCLE_EQ(s, 0);
  CHECK_GC(s, a2, 0, 1);
  CHECK_EQ(k.calls2, 0);
  GC_CYCLE_EQ(s, a2_cost); /* the seed's 40 with 8-byte rounding: gc_sizeof(a2) + 16 here */
  CHECK(a2_cost >= 40);
  CHECK_EQ(k.calls2, 1);
  CHECK_EQ(gc_waiting(s), 0);
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
  CLOSE(s);
}

/* The same cascade across arenas, in both directions: the unref'd block waits for the next
   cycle whichever arena a cycle reaches first. */
TEST(gc_destructor_unref_across_arenas_waits_for_the_next_cycle) {
  int dir;
  for (dir = 0; dir < 2; dir++) {
    backing *s = OPEN_MEMORY(64 * KIB, 0);
    struct gc_cascade k;
    backing_addr victim, target;
    uint64_t vc, tc;
    if (!s) return;
    memset(&k, 0, sizeof k);
    CHECK_OK(backing_gc_set_lifetime(s, 1));
    CHECK_OK(backing_gc_on_free(s, 1, gc_cascade_dtor1, &k));
    CHECK_OK(backing_gc_on_free(s, 2, gc_cascade_dtor2, &k));
    if (dir == 0) {
      victim = backing_gc_alloc(s, 40000, 1, 1);
      target = backing_gc_alloc(s, 40000, 2, 1);
    } else {
      target = backing_gc_alloc(s, 40000, 2, 1);
      victim = backing_gc_alloc(s, 40000, 1, 1);
    }
    if (!CHECK(victim && target)) return;
    CHECK(gc_arena_of(s, victim) != gc_arena_of(s, target));
    vc = gc_cost(s, victim);
    tc = gc_cost(s, target);
    backing_set_u64(s, victim, target);
    CHECK_EQ(backing_gc_unref(s, victim), 0);
    GC_CYCLE_EQ(s, vc);
    CHECK_EQ(k.calls1, 1);
    CHECK_EQ(k.calls2, 0);
    CHECK_GC(s, target, 0, 0);
    GC_CYCLE_EQ(s, tc);
    CHECK_EQ(k.calls2, 1);
    CHECK_ONE_FREE_REGION_PER_ARENA(s);
    CLOSE(s);
  }
}

/* A destructor that allocates and frees plain and GC blocks, unrefs and gc_frees others. */
struct gc_busy {
  int calls, errors;
  char first[160];
  backing_addr other[64]; /* referenced blocks it unrefs and gc_frees, one per call */
  int nother;
  backing_addr kept_plain[64], kept_gc[64], kept_zero[64];
  int nkept;
  uint64_t other_freed, other_cost;
};
static void gc_busy_err(struct gc_busy *b, const char *what) {
  if (b->errors++ == 0) snprintf(b->first, sizeof b->first, "call %d: %s", b->calls, what);
}
static void gc_busy_dtor(backing *s, backing_addr a, void *ctx) {
  struct gc_busy *b = (struct gc_busy *)ctx;
  backing_addr p, q;
  uint64_t v = backing_get_u64(s, a);
  b->calls++;
  if (v < 0xb05e5ull || v >= 0xb05e5ull + 64) gc_busy_err(b, "contents changed");
  /* the dying block itself can be neither revived nor freed again */
  prime_error(BACKING_EFREED);
  if (backing_gc_ref(s, a) != 0 || backing_last_error() != BACKING_EFREED)
    gc_busy_err(b, "gc_ref of the dying block was not EFREED");
  prime_error(BACKING_EFREED);
  if (backing_gc_free(s, a) != 0 || backing_last_error() != BACKING_EFREED)
    gc_busy_err(b, "gc_free of the dying block was not EFREED");
  p = backing_alloc(s, 100 + (uint64_t)b->calls);
  q = backing_alloc(s, 6000);
  if (!p || !q) {
    gc_busy_err(b, "plain alloc failed");
    return;
  }
  fill_pattern(backing_ptr(s, p), 100, 77);
  memset(backing_ptr(s, q), 0xee, 6000);
  if (backing_free(s, q) == 0) gc_busy_err(b, "plain free failed");
  if (b->nkept < 64) {
    b->kept_plain[b->nkept] = p;
    b->kept_gc[b->nkept] = backing_gc_alloc(s, 48, 8, 1);
    b->kept_zero[b->nkept] = backing_gc_calloc(s, 200, 9, 1);
    if (!b->kept_gc[b->nkept] || !b->kept_zero[b->nkept]) gc_busy_err(b, "gc_alloc failed");
    b->nkept++;
  }
  if (b->nother > 0) {
    backing_addr o = b->other[--b->nother];
    uint64_t got;
    if (backing_gc_unref(s, o) != 0) gc_busy_err(b, "unref of another block");
    got = backing_gc_free(s, o);
    if (got != b->other_cost) gc_busy_err(b, "gc_free of another block");
    b->other_freed += got;
  }
}

TEST(gc_destructor_may_alloc_and_free_without_corruption) {
  backing *s = OPEN_MEMORY(1 * MIB, 0);
  struct gc_busy *b = (struct gc_busy *)calloc(1, sizeof *b);
  backing_addr v[30];
  uint64_t kept_cost = 0;
  int i;
  if (!s || !b) goto out;
  CHECK_OK(backing_gc_set_lifetime(s, 1));
  CHECK_OK(backing_gc_on_free(s, 7, gc_busy_dtor, b));
  for (i = 0; i < 30; i++) b->other[b->nother++] = backing_gc_alloc(s, 80, 0, 1);
  b->other_cost = gc_cost(s, b->other[0]);
  for (i = 0; i < 30; i++) {
    v[i] = backing_gc_alloc(s, 64, 7, 1);
    backing_set_u64(s, v[i], 0xb05e5ull + (uint64_t)i);
  }
  /* ten by gc_free */
  for (i = 0; i < 10; i++) {
    CHECK_EQ(backing_gc_unref(s, v[i]), 0);
    CHECK_EQ(backing_gc_free(s, v[i]), 80);
    CHECK_STORE(s);
  }
  CHECK_EQ(b->calls, 10);
  CHECK_EQ(b->other_freed, 10 * b->other_cost);
  /* ten by a step (one arena) */
  CHECK_EQ(stat_of(s).arena_count, 1);
  for (i = 10; i < 20; i++) CHECK_EQ(backing_gc_unref(s, v[i]), 0);
  CHECK_EQ(backing_gc_step(s), 10 * 80);
  CHECK_STORE(s);
  CHECK_EQ(b->calls, 20);
  CHECK_EQ(b->other_freed, 20 * b->other_cost);
  /* ten by a cycle */
  for (i = 20; i < 30; i++) CHECK_EQ(backing_gc_unref(s, v[i]), 0);
  CHECK_EQ(backing_gc_cycle(s), 10 * 80);
  CHECK_STORE(s);
  CHECK_EQ(b->calls, 30);
  CHECK_EQ(b->nother, 0);
  CHECK_EQ(b->other_freed, 30 * b->other_cost);
  CHECKF(b->errors == 0, "%d errors in the destructor, first: %s", b->errors, b->first);
  CHECK_EQ(gc_waiting(s), 0);
  /* what the destructors made is intact */
  CHECK_EQ(b->nkept, 30);
  for (i = 0; i < b->nkept; i++) {
    uint64_t psz = backing_sizeof(s, b->kept_plain[i]);
    CHECK_PATTERN(backing_ptr(s, b->kept_plain[i]), 100, 77);
    CHECK_EQ(backing_free(s, b->kept_plain[i]), psz);
    CHECK_GC(s, b->kept_gc[i], 1, 0);
    CHECK_GC(s, b->kept_zero[i], 1, 0);
    CHECK(all_bytes_are(backing_ptr(s, b->kept_zero[i]), 200, 0));
    kept_cost += gc_cost(s, b->kept_gc[i]) + gc_cost(s, b->kept_zero[i]);
    CHECK_EQ(backing_gc_unref(s, b->kept_gc[i]), 0);
    CHECK_EQ(backing_gc_unref(s, b->kept_zero[i]), 0);
  }
  CHECK_STORE(s);
  GC_CYCLE_EQ(s, kept_cost);
  CHECK_EQ(gc_waiting(s), 0);
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
out:
  free(b);
  if (s) CLOSE(s);
}

/* ---- kinds and addresses ------------------------------------------------------------------------
 */

TEST(gc_and_plain_blocks_never_mix) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  static const uint64_t sizes[] = {64, 5000};
  size_t k;
  if (!s) return;
  for (k = 0; k < 2; k++) {
    uint64_t sz = sizes[k], psz;
    backing_addr p = backing_alloc(s, sz);
    backing_addr g = backing_gc_alloc(s, sz, 3, 2);
    backing_addr w = backing_gc_alloc(s, sz, 4, 0);
    uint64_t gsz = backing_gc_sizeof(s, g), waiting = gc_waiting(s);
    if (!CHECK(p && g && w)) return;
    psz = backing_sizeof(s, p);
    fill_pattern(backing_ptr(s, p), psz, 1 + k);
    fill_pattern(backing_ptr(s, g), gsz, 11 + k);
    fill_pattern(backing_ptr(s, w), gsz, 21 + k);
    /* plain calls on GC blocks */
    EXPECT_FAIL0(backing_free(s, g), BACKING_ETYPE);
    EXPECT_FAIL0(backing_free(s, w), BACKING_ETYPE);
    EXPECT_FAIL0(backing_sizeof(s, g), BACKING_ETYPE);
    EXPECT_FAIL0(backing_realloc(s, g, sz * 2), BACKING_ETYPE);
    EXPECT_FAIL0(backing_realloc(s, g, 16), BACKING_ETYPE);
    EXPECT_FAIL0(backing_realloc(s, w, sz + 1), BACKING_ETYPE);
    CHECK_STORE(s);
    CHECK_GC(s, g, 2, 0);
    CHECK_GC(s, w, 0, 0);
    CHECK_EQ(backing_gc_type(s, g), 3);
    CHECK_EQ(backing_gc_sizeof(s, g), gsz);
    CHECK_EQ(gc_waiting(s), waiting);
    CHECK_PATTERN(backing_ptr(s, g), gsz, 11 + k);
    CHECK_PATTERN(backing_ptr(s, w), gsz, 21 + k);
    /* GC calls on a plain block */
    EXPECT_FAIL0(backing_gc_ref(s, p), BACKING_ETYPE);
    EXPECT_FAIL0(backing_gc_unref(s, p), BACKING_ETYPE);
    EXPECT_FAIL0(backing_gc_free(s, p), BACKING_ETYPE);
    EXPECT_FAIL0(backing_gc_refcount(s, p), BACKING_ETYPE);
    EXPECT_FAIL0(backing_gc_type(s, p), BACKING_ETYPE);
    EXPECT_FAIL0(backing_gc_sizeof(s, p), BACKING_ETYPE);
    EXPECT_FAIL0(backing_gc_age(s, p), BACKING_ETYPE);
    CHECK_STORE(s);
    CHECK_EQ(backing_sizeof(s, p), psz);
    CHECK_PATTERN(backing_ptr(s, p), psz, 1 + k);
    CHECK_EQ(gc_waiting(s), waiting);
    /* cycles never touch plain blocks, and the GC blocks are still collected normally */
    CHECK_OK(backing_gc_set_lifetime(s, 1));
    CHECK_EQ(backing_gc_cycle(s), gsz + 16);
    CHECK_GC_GONE(s, w);
    CHECK_PATTERN(backing_ptr(s, p), psz, 1 + k);
    CHECK_PATTERN(backing_ptr(s, g), gsz, 11 + k);
    CHECK_EQ(backing_free(s, p), psz);
    CHECK_EQ(backing_gc_unref(s, g), 1);
    CHECK_EQ(backing_gc_unref(s, g), 0);
    CHECK_EQ(backing_gc_free(s, g), gsz + 16);
    CHECK_STORE(s);
  }
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
  CLOSE(s);
}

TEST(gc_bad_addresses_are_refused) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr g, big, dead, bad[7];
  uint64_t cap;
  int i;
  if (!s) return;
  g = backing_gc_alloc(s, 64, 1, 1);
  big = backing_gc_alloc(s, 5000, 1, 0);
  cap = stat_of(s).capacity;
  bad[0] = 0;
  bad[1] = cap + 4096;
  bad[2] = UINT64_MAX & ~(uint64_t)15;
  bad[3] = g + 16; /* interior */
  bad[4] = big + 1024;
  bad[5] = g + 1;  /* misaligned */
  bad[6] = g - 16; /* the GC header */
  for (i = 0; i < 7; i++) {
    EXPECT_FAIL0(backing_gc_ref(s, bad[i]), BACKING_EBADADDR);
    EXPECT_FAIL0(backing_gc_unref(s, bad[i]), BACKING_EBADADDR);
    EXPECT_FAIL0(backing_gc_free(s, bad[i]), BACKING_EBADADDR);
    EXPECT_FAIL0(backing_gc_refcount(s, bad[i]), BACKING_EBADADDR);
    EXPECT_FAIL0(backing_gc_type(s, bad[i]), BACKING_EBADADDR);
    EXPECT_FAIL0(backing_gc_sizeof(s, bad[i]), BACKING_EBADADDR);
    EXPECT_FAIL0(backing_gc_age(s, bad[i]), BACKING_EBADADDR);
  }
  CHECK_STORE(s);
  CHECK_GC(s, g, 1, 0);
  CHECK_GC(s, big, 0, 0);
  CHECK_EQ(gc_waiting(s), 1);

  /* freed space */
  dead = backing_gc_alloc(s, 96, 1, 0);
  CHECK_EQ(backing_gc_free(s, dead), 112);
  EXPECT_FREED0(backing_gc_ref(s, dead));
  EXPECT_FREED0(backing_gc_unref(s, dead));
  EXPECT_FREED0(backing_gc_free(s, dead));
  EXPECT_FREED0(backing_gc_refcount(s, dead));
  EXPECT_FREED0(backing_gc_type(s, dead));
  EXPECT_FREED0(backing_gc_sizeof(s, dead));
  EXPECT_FREED0(backing_gc_age(s, dead));
  EXPECT_FREED0(backing_free(s, dead));
  GC_FREE_EQ(s, big);
  EXPECT_FREED0(backing_gc_free(s, big));
  EXPECT_FREED0(backing_gc_ref(s, big));
  CHECK_STORE(s);
  CHECK_EQ(gc_waiting(s), 0);

  /* a NULL handle, and requests no block can satisfy */
  EXPECT_FAIL0(backing_gc_alloc(NULL, 16, 0, 0), BACKING_EINVAL);
  EXPECT_FAIL0(backing_gc_calloc(NULL, 16, 0, 0), BACKING_EINVAL);
  EXPECT_FAIL0(backing_gc_ref(NULL, g), BACKING_EINVAL);
  EXPECT_FAIL0(backing_gc_unref(NULL, g), BACKING_EINVAL);
  EXPECT_FAIL0(backing_gc_free(NULL, g), BACKING_EINVAL);
  EXPECT_FAIL0(backing_gc_refcount(NULL, g), BACKING_EINVAL);
  EXPECT_FAIL0(backing_gc_cycle(NULL), BACKING_EINVAL);
  EXPECT_FAIL0(backing_gc_step(NULL), BACKING_EINVAL);
  EXPECT_RC(backing_gc_on_free(NULL, 1, gc_dtor_record, NULL), BACKING_EINVAL);
  EXPECT_RC(backing_gc_set_lifetime(NULL, 2), BACKING_EINVAL);
  EXPECT_FAIL0(backing_gc_alloc(s, max_block(64 * KIB) + 1, 0, 0), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_gc_alloc(s, 64 * KIB, 0, 0), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_gc_alloc(s, UINT64_MAX, 0, 0), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_gc_calloc(s, UINT64_MAX - 8, 0, 0), BACKING_ETOOBIG);
  CHECK_GC(s, g, 1, 0);
  CHECK_CLOSE(s);
}

/* ---- the seed's cases
 * ---------------------------------------------------------------------------- */

TEST(gc_seed_g3_exact_cycles) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  struct gc_dtor_log log;
  backing_addr a1, a2;
  if (!s) return;
  memset(&log, 0, sizeof log);
  CHECK_OK(backing_gc_on_free(s, 3, gc_dtor_record, &log));
  a1 = backing_gc_alloc(s, 64, 0, 0);
  a2 = backing_gc_alloc(s, 128, 3, 0);
  CHECK_EQ(backing_gc_sizeof(s, a1), 64);
  CHECK_EQ(backing_gc_sizeof(s, a2), 128);
  CHECK_EQ(backing_gc_refcount(s, a1), 0);
  CHECK_EQ(backing_gc_refcount(s, a2), 0);
  CHECK_EQ(backing_gc_ref(s, a1), 1);
  CHECK_EQ(backing_gc_ref(s, a2), 1);
  GC_CYCLE_EQ(s, 0);
  CHECK_EQ(backing_gc_unref(s, a1), 0);
  CHECK_EQ(backing_gc_refcount(s, a1), 0);
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, 80);
  CHECK_EQ(gc_waiting(s), 0); /* the list is empty */
  GC_CYCLE_EQ(s, 0);
  CHECK_EQ(backing_gc_unref(s, a2), 0);
  GC_CYCLE_EQ(s, 0);
  CHECK_EQ(log.calls, 0);
  GC_CYCLE_EQ(s, 144);
  CHECK_EQ(log.calls, 1); /* exactly then */
  CHECK_EQ(log.last, a2);
  GC_CYCLE_EQ(s, 0);
  CHECK_EQ(log.calls, 1);
  CLOSE(s);
}

TEST(gc_seed_g4_free_gating) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  struct gc_dtor_log log;
  backing_addr a1, a2, a3;
  if (!s) return;
  memset(&log, 0, sizeof log);
  CHECK_OK(backing_gc_on_free(s, 4, gc_dtor_record, &log));
  a1 = backing_gc_alloc(s, 64, 0, 0);
  a2 = backing_gc_alloc(s, 128, 4, 0);
  a3 = backing_gc_alloc(s, 256, 0, 0);
  CHECK_EQ(backing_gc_ref(s, a1), 1);
  CHECK_EQ(backing_gc_ref(s, a1), 2);
  CHECK_EQ(backing_gc_ref(s, a2), 1);
  CHECK_EQ(backing_gc_ref(s, a3), 1);
  EXPECT_FAIL0(backing_gc_free(s, a1), BACKING_EREFERENCED);
  EXPECT_FAIL0(backing_gc_free(s, a2), BACKING_EREFERENCED);
  EXPECT_FAIL0(backing_gc_free(s, a3), BACKING_EREFERENCED);
  CHECK_STORE(s);
  CHECK_EQ(backing_gc_unref(s, a1), 1);
  EXPECT_FAIL0(backing_gc_free(s, a1), BACKING_EREFERENCED);
  CHECK_EQ(backing_gc_unref(s, a1), 0);
  CHECK_EQ(backing_gc_free(s, a1), 80);
  CHECK_STORE(s);
  CHECK_EQ(backing_gc_unref(s, a2), 0);
  CHECK_EQ(log.calls, 0);
  CHECK_EQ(backing_gc_free(s, a2), 144);
  CHECK_EQ(log.calls, 1);
  CHECK_EQ(log.last, a2);
  CHECK_STORE(s);
  CHECK_EQ(backing_gc_unref(s, a3), 0);
  GC_CYCLE_EQ(s, 0);
  CHECK_EQ(backing_gc_free(s, a3), 272); /* explicit free ignores the lifetime */
  CHECK_STORE(s);
  CHECK_EQ(gc_waiting(s), 0);
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
  CLOSE(s);
}

static uint64_t gc_exhaust16(backing *s, uint64_t *cost) {
  uint64_t n = 0;
  backing_addr a;
  *cost = 0;
  while ((a = backing_gc_alloc(s, 16, 0, 0)) != 0) {
    uint64_t sz = backing_gc_sizeof(s, a);
    if (!CHECKF(sz >= 16 && sz <= 32, "gc_alloc(16) has %llu usable bytes", ULL(sz))) break;
    *cost += sz + 16;
    n++;
  }
  CHECK_EQ(backing_last_error(), BACKING_ENOSPACE);
  return n;
}

TEST(gc_seed_g5_exhaust_collect_exhaust_again) {
  backing *s = OPEN_MEMORY(64 * KIB, 64 * KIB);
  uint64_t n1, n2, cost1, cost2;
  if (!s) return;
  n1 = gc_exhaust16(s, &cost1);
  CHECK(n1 > 1000);
  CHECK_EQ(gc_waiting(s), n1);
  CHECK_STORE(s);
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, cost1);
  CHECK_EQ(gc_waiting(s), 0);
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
  n2 = gc_exhaust16(s, &cost2);
  CHECK_EQ(n2, n1);
  CHECK_EQ(cost2, cost1);
  CHECK_STORE(s);
  test_note("%llu GC blocks of 16 bytes in one 64 KiB arena", ULL(n1));
  CLOSE(s);
}

static void gc_shuffle(uint64_t *v, int n, uint64_t *rng) {
  int i;
  for (i = n - 1; i > 0; i--) {
    int j = (int)rng_below(rng, (uint64_t)i + 1);
    uint64_t t = v[i];
    v[i] = v[j];
    v[j] = t;
  }
}

TEST(gc_seed_g6_permutations) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  static const uint64_t base[7] = {128, 64, 96, 256, 128, 72, 256};
  uint64_t sz[7], seed = seed_from_env(0x6a6e5ull), rng = seed;
  backing_addr a[7];
  int p, i, ok = 1;
  if (!s) return;
  test_note("200 orders, seed %llu (BACKING_SEED=%llu to repeat)", ULL(seed), ULL(seed));
  for (p = 0; p < 200 && ok; p++) {
    uint64_t odd = 0, even = 0, all = 0;
    memcpy(sz, base, sizeof sz);
    gc_shuffle(sz, 7, &rng);
    /* (a) */
    for (i = 0; i < 7; i++) {
      uint64_t got;
      a[i] = backing_gc_alloc(s, sz[i], (uint32_t)i + 1, 0);
      if (!(ok &= CHECK(a[i] != 0))) return;
      got = backing_gc_sizeof(s, a[i]);
      ok &= CHECKF(got >= sz[i] && got <= sz[i] + 16, "gc_alloc(%llu) has %llu", ULL(sz[i]),
                   ULL(got));
      if (i % 2)
        odd += got + 16;
      else
        even += got + 16;
    }
    for (i = 0; i < 7; i += 2) ok &= CHECK_EQ(backing_gc_ref(s, a[i]), 1);
    ok &= CHECK_EQ(backing_gc_cycle(s), 0);
    ok &= CHECK_EQ(backing_gc_cycle(s), odd);
    for (i = 0; i < 7; i += 2) ok &= CHECK_EQ(backing_gc_unref(s, a[i]), 0);
    ok &= CHECK_EQ(backing_gc_cycle(s), 0);
    ok &= CHECK_EQ(backing_gc_cycle(s), even);
    ok &= CHECK_STORE(s);
    ok &= CHECK_ONE_FREE_REGION_PER_ARENA(s);
    /* (b) free and replace, then unref at 0 changes nothing */
    for (i = 0; i < 7; i++) a[i] = backing_gc_alloc(s, sz[i], 0, 0);
    for (i = 0; i < 7; i++) {
      uint64_t cost = gc_cost(s, a[i]);
      ok &= CHECK_EQ(backing_gc_free(s, a[i]), cost);
      a[i] = backing_gc_alloc(s, sz[(i + 1) % 7], 0, 0);
      ok &= CHECK(a[i] != 0);
    }
    for (i = 0; i < 7; i++) ok &= CHECK_EQ(backing_gc_unref(s, a[i]), 0);
    for (i = 0; i < 7; i++) ok &= CHECK_GC(s, a[i], 0, 0);
    for (i = 0; i < 7; i++) all += gc_cost(s, a[i]);
    ok &= CHECK_EQ(backing_gc_cycle(s), 0);
    for (i = 0; i < 7; i++) ok &= CHECK_GC(s, a[i], 0, 1);
    ok &= CHECK_EQ(backing_gc_cycle(s), all);
    ok &= CHECK_EQ(gc_waiting(s), 0);
    ok &= CHECK_STORE(s);
    /* (c) born referenced, then unref'd: listed */
    all = 0;
    for (i = 0; i < 7; i++) {
      a[i] = backing_gc_alloc(s, sz[i], 0, 1);
      all += gc_cost(s, a[i]);
    }
    ok &= CHECK_EQ(gc_waiting(s), 0);
    for (i = 0; i < 7; i++) ok &= CHECK_EQ(backing_gc_unref(s, a[i]), 0);
    ok &= CHECK_EQ(gc_waiting(s), 7);
    ok &= CHECK_EQ(backing_gc_cycle(s), 0);
    ok &= CHECK_EQ(backing_gc_cycle(s), all);
    ok &= CHECK_STORE(s);
    ok &= CHECK_ONE_FREE_REGION_PER_ARENA(s);
    if (!ok) test_note("failed at order %d", p);
  }
  CLOSE(s);
}

TEST(gc_seed_b11_permutations_through_a_multi_arena_store) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  static const uint64_t base[7] = {128, 64, 96, 256, 128, 72, 256};
  uint64_t sz[7], seed = seed_from_env(0xb11ull), rng = seed;
  backing_addr a[14], extra[7], fill[2];
  int p, i, ok = 1;
  if (!s) return;
  /* two arenas, the first nearly full, so blocks land in both */
  fill[0] = backing_alloc(s, max_block(64 * KIB) - 3000);
  fill[1] = backing_alloc(s, max_block(64 * KIB) / 2);
  if (!CHECK(fill[0] && fill[1])) return;
  test_note("100 orders, seed %llu", ULL(seed));
  for (p = 0; p < 100 && ok; p++) {
    uint64_t odd = 0, even = 0, ex = 0;
    memcpy(sz, base, sizeof sz);
    gc_shuffle(sz, 7, &rng);
    for (i = 0; i < 14; i++) {
      a[i] = backing_gc_alloc(s, sz[i / 2], 0, 0); /* two per size */
      if (!(ok &= CHECK(a[i] != 0))) return;
      if (i % 2)
        odd += gc_cost(s, a[i]);
      else
        even += gc_cost(s, a[i]);
    }
    for (i = 0; i < 14; i += 2) ok &= CHECK_EQ(backing_gc_ref(s, a[i]), 1);
    for (i = 1; i < 14; i += 2) ok &= CHECK_EQ(backing_gc_unref(s, a[i]), 0);
    ok &= CHECK_EQ(backing_gc_cycle(s), 0);
    for (i = 0; i < 7; i++) {
      extra[i] = backing_gc_alloc(s, sz[i], 0, 0);
      ex += gc_cost(s, extra[i]);
    }
    ok &= CHECK_EQ(backing_gc_cycle(s), odd);
    ok &= CHECK_EQ(backing_gc_cycle(s), ex);
    for (i = 0; i < 14; i += 2) ok &= CHECK_EQ(backing_gc_unref(s, a[i]), 0);
    ok &= CHECK_EQ(backing_gc_cycle(s), 0);
    ok &= CHECK_EQ(backing_gc_cycle(s), even);
    ok &= CHECK_EQ(gc_waiting(s), 0);
    ok &= CHECK_STORE(s);
    ok &= CHECK_EQ(stat_of(s).used_blocks, 2);
    if (!ok) test_note("failed at order %d", p);
  }
  CHECK(backing_free(s, fill[0]) > 0);
  CHECK(backing_free(s, fill[1]) > 0);
  CHECK_ONE_FREE_REGION_PER_ARENA(s);
  CLOSE(s);
}

TEST(gc_seed_b6_multi_arena_store) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  uint64_t mb = max_block(64 * KIB), i;
  backing_addr a, p0, p1, g1, g2, small, typed, untyped, largest;
  if (!s) return;
  CHECK_OK(backing_gc_set_lifetime(s, 1));
  a = backing_gc_alloc(s, 64, 0, 0);
  CHECK_EQ(backing_gc_sizeof(s, a), 64);
  CHECK_EQ(backing_gc_free(s, a), 80);
  /* two part-filled arenas */
  p0 = backing_alloc(s, mb * 6 / 10);
  p1 = backing_alloc(s, mb * 6 / 10);
  CHECK_EQ(stat_of(s).arena_count, 2);
  CHECK_EQ(gc_arena_of(s, p1), 1);
  /* half-arena GC blocks need fresh arenas, one each */
  g1 = backing_gc_alloc(s, mb / 2, 0, 0);
  g2 = backing_gc_alloc(s, mb / 2, 0, 0);
  if (!CHECK(g1 && g2)) return;
  CHECK_EQ(stat_of(s).arena_count, 4);
  CHECK_EQ(gc_arena_of(s, g1), 2);
  CHECK_EQ(gc_arena_of(s, g2), 3);
  CHECK_STORE(s);
  small = backing_gc_calloc(s, 64, 0, 0);
  CHECK(small && all_bytes_are(backing_ptr(s, small), 64, 0));
  EXPECT_FAIL0(backing_gc_calloc(s, 64 * KIB + 10, 0, 0), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_gc_alloc(s, 64 * KIB, 0, 0), BACKING_ETOOBIG);
  EXPECT_FAIL0(backing_gc_alloc(s, mb + 1, 0, 0), BACKING_ETOOBIG);
  /* README: a large GC block carries 32 bytes of headers, so the largest is max_block - 16 */
  largest = backing_gc_alloc(s, mb - 16, 0, 1);
  CHECKF(largest != 0, "gc_alloc(max_block - 16): %s", err_name(backing_last_error()));
  EXPECT_FAIL0(backing_gc_alloc(s, mb - 15, 0, 0), BACKING_ETOOBIG);
  CHECK_EQ(backing_gc_sizeof(s, backing_gc_alloc(s, 2, 0, 1)), 16);
  typed = backing_gc_alloc(s, 10, 77, 1);
  untyped = backing_gc_alloc(s, 10, 0, 1);
  CHECK_EQ(backing_gc_type(s, typed), 77);
  CHECK_EQ(backing_gc_type(s, untyped), 0);
  CHECK_STORE(s);
  /* steps: over arena_count calls every arena is visited, so all waiting blocks go */
  for (i = 0; i < stat_of(s).arena_count; i++) backing_gc_step(s);
  CHECK_GC_GONE(s, g1);
  CHECK_GC_GONE(s, g2);
  CHECK_GC_GONE(s, small);
  CHECK_EQ(gc_waiting(s), 0);
  for (i = 0; i < 5; i++) CHECK_EQ(backing_gc_step(s), 0);
  CHECK_GC(s, typed, 1, 0);
  CHECK_STORE(s);
  (void)p0;
  CLOSE(s);
}

/* ---- diagnostics -------------------------------------------------------------------------------
 */

TEST(gc_walk_and_stat_report_gc_blocks) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr g[5], p[2];
  int refs[5] = {0, 1, 0, 2, 0}, seen_g[5], seen_p[2], i, others = 0;
  static const uint64_t gsz[5] = {64, 2, 5000, 100, 30000};
  struct walk_list l;
  uint64_t waiting_cost;
  size_t j;
  if (!s) return;
  p[0] = backing_alloc(s, 10);
  p[1] = backing_alloc(s, 5000);
  for (i = 0; i < 5; i++) g[i] = backing_gc_alloc(s, gsz[i], (uint32_t)i, (uint32_t)refs[i]);
  CHECK_EQ(gc_waiting(s), 3);
  CHECK_EQ(stat_of(s).used_blocks, 7);
  CHECK_STORE(s);
  l = walk_collect(s);
  memset(seen_g, 0, sizeof seen_g);
  memset(seen_p, 0, sizeof seen_p);
  for (j = 0; j < l.n; j++) {
    int hit = 0;
    for (i = 0; i < 5; i++) {
      if (l.items[j].a != g[i]) continue;
      hit = 1;
      seen_g[i]++;
      CHECK_EQ(l.items[j].state, BACKING_BLOCK_GC);
      CHECK_EQ(l.items[j].size, backing_gc_sizeof(s, g[i]));
    }
    for (i = 0; i < 2; i++) {
      if (l.items[j].a != p[i]) continue;
      hit = 1;
      seen_p[i]++;
      CHECK_EQ(l.items[j].state, BACKING_BLOCK_USED);
      CHECK_EQ(l.items[j].size, backing_sizeof(s, p[i]));
    }
    if (!hit && l.items[j].state != BACKING_BLOCK_FREE) others++;
  }
  free(l.items);
  for (i = 0; i < 5; i++) CHECKF(seen_g[i] == 1, "GC block %d reported %d times", i, seen_g[i]);
  for (i = 0; i < 2; i++) CHECKF(seen_p[i] == 1, "plain block %d reported %d times", i, seen_p[i]);
  CHECK_EQ(others, 0);
  /* after the waiting ones are collected, the walk no longer reports them */
  waiting_cost = gc_cost(s, g[0]) + gc_cost(s, g[2]) + gc_cost(s, g[4]);
  GC_CYCLE_EQ(s, 0);
  GC_CYCLE_EQ(s, waiting_cost);
  CHECK_EQ(gc_waiting(s), 0);
  CHECK_EQ(stat_of(s).used_blocks, 4);
  l = walk_collect(s);
  for (j = 0; j < l.n; j++) {
    if (l.items[j].state != BACKING_BLOCK_GC) continue;
    CHECKF(l.items[j].a == g[1] || l.items[j].a == g[3], "walk reports a GC block at %llu",
           ULL(l.items[j].a));
  }
  free(l.items);
  CLOSE(s);
}

/* Damage to a waiting list, through the header layout documented in backing.h, must be
   reported by backing_check (and it must not hang on a loop). */
struct gc_hdr {
  uint32_t prev, next;
  int32_t count;
  uint32_t type;
};
static struct gc_hdr *gc_hdr_of(backing *s, backing_addr a) {
  return (struct gc_hdr *)backing_ptr(s, a - 16);
}

TEST(gc_check_catches_damaged_waiting_lists) {
  int kind;
  for (kind = 0; kind < 4; kind++) {
    backing *s = OPEN_MEMORY(64 * KIB, 0);
    backing_addr w[3], r;
    struct gc_hdr save[3], rsave;
    int i, rc;
    if (!s) return;
    for (i = 0; i < 3; i++) w[i] = backing_gc_alloc(s, 64, 0, 0);
    r = backing_gc_alloc(s, 64, 0, 1);
    CHECK_STORE(s);
    for (i = 0; i < 3; i++) save[i] = *gc_hdr_of(s, w[i]);
    rsave = *gc_hdr_of(s, r);
    switch (kind) {
    case 0: /* a block at count 0 that is on no list */
      gc_hdr_of(s, r)->count = 0;
      break;
    case 1: /* a listed block with references */
      gc_hdr_of(s, w[1])->count = 3;
      break;
    case 2: /* a loop */
      gc_hdr_of(s, w[2])->next = (uint32_t)((w[0] - 16) & (64 * KIB - 1));
      break;
    default: /* a list entry pointing at a block it does not know */
      gc_hdr_of(s, w[0])->next = (uint32_t)((r - 16) & (64 * KIB - 1));
      break;
    }
    rc = backing_check(s);
    CHECKF(rc == BACKING_ECORRUPT, "damage %d: backing_check returned %s", kind, err_name(rc));
    for (i = 0; i < 3; i++) *gc_hdr_of(s, w[i]) = save[i];
    *gc_hdr_of(s, r) = rsave;
    CHECK_CLOSE(s); /* the repaired store checks clean again */
  }
}

/* ---- threads
 * -------------------------------------------------------------------------------------- */

struct gc_thr {
  backing *s;
  backing_addr *blk;
  int nblk, id, base;
  long errors;
};
static void *gc_thr_main(void *arg) {
  struct gc_thr *t = (struct gc_thr *)arg;
  uint64_t rng = 0x1234ull + (uint64_t)t->id * 0x9e3779b97f4a7c15ull;
  long i;
  for (i = 0; i < 200000; i++) {
    backing_addr a = t->blk[(i + t->id) % t->nblk];
    uint32_t r1, r2 = 0, u1, u2 = 0;
    int deep = rng_below(&rng, 8) == 0;
    r1 = backing_gc_ref(t->s, a);
    if (deep) r2 = backing_gc_ref(t->s, a);
    if (deep) u2 = backing_gc_unref(t->s, a);
    u1 = backing_gc_unref(t->s, a);
    /* with 4 threads each holding at most 2, a count lies in [base, base + 8] */
    if (r1 < (uint32_t)t->base + 1 || r1 > (uint32_t)t->base + 8) t->errors++;
    if (deep && (r2 < (uint32_t)t->base + 2 || r2 > (uint32_t)t->base + 8)) t->errors++;
    if (deep && (u2 < (uint32_t)t->base + 1 || u2 > (uint32_t)t->base + 7)) t->errors++;
    if (u1 < (uint32_t)t->base || u1 > (uint32_t)t->base + 7) t->errors++;
  }
  return NULL;
}
static void gc_thr_run(backing *s, backing_addr *blk, int nblk, int base) {
  struct gc_thr t[4];
  pthread_t th[4];
  int i;
  for (i = 0; i < 4; i++) {
    t[i].s = s;
    t[i].blk = blk;
    t[i].nblk = nblk;
    t[i].id = i;
    t[i].base = base;
    t[i].errors = 0;
    CHECK(pthread_create(&th[i], NULL, gc_thr_main, &t[i]) == 0);
  }
  for (i = 0; i < 4; i++) pthread_join(th[i], NULL);
  for (i = 0; i < 4; i++)
    CHECKF(t[i].errors == 0, "thread %d saw %ld impossible counts", i, t[i].errors);
}

TEST(gc_counts_are_atomic_across_threads) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr blk[3];
  int i;
  if (!s) return;
  for (i = 0; i < 3; i++) blk[i] = backing_gc_alloc(s, 64, 1, 1);
  gc_thr_run(s, blk, 3, 1);
  for (i = 0; i < 3; i++) CHECK_GC(s, blk[i], 1, 0);
  CHECK_EQ(gc_waiting(s), 0);
  CHECK_CLOSE(s);
}

TEST(gc_counts_crossing_zero_across_threads) {
  int mmap;
  for (mmap = 0; mmap < 2; mmap++) {
    backing_config c = mmap ? mmap_cfg(test_dir(), "zero", 64 * KIB) : mem_cfg(64 * KIB, 0);
    backing *s = OPEN(&c);
    backing_addr blk[3];
    uint64_t cost = 0;
    int i;
    if (!s) return;
    for (i = 0; i < 3; i++) {
      blk[i] = backing_gc_alloc(s, 64 + 64 * (uint64_t)i, 1, 0);
      cost += gc_cost(s, blk[i]);
    }
    gc_thr_run(s, blk, 3, 0);
    for (i = 0; i < 3; i++) CHECK_GC(s, blk[i], 0, 0);
    CHECK_EQ(gc_waiting(s), 3); /* each on the list exactly once */
    CHECK_STORE(s);
    CHECK_OK(backing_gc_set_lifetime(s, 1));
    GC_CYCLE_EQ(s, cost);
    CHECK_EQ(gc_waiting(s), 0);
    CHECK_ONE_FREE_REGION_PER_ARENA(s);
    CLOSE(s);
  }
}

/* ---- persistence
 * ---------------------------------------------------------------------------------- */

/* --child gc_cycle_once <dir> <expected>: opens the "gc" store in dir, runs one cycle and
   exits 0 if it freed exactly <expected> bytes and the store checks clean. */
CHILD(gc_cycle_once) {
  backing_config c;
  backing *s = NULL;
  uint64_t want, got;
  int rc;
  if (argc < 2) return 2;
  c = mmap_cfg(argv[0], "gc", 64 * KIB);
  want = strtoull(argv[1], NULL, 10);
  if ((rc = backing_open(&s, &c)) != 0) {
    printf("  child: open: %s\n", err_name(rc));
    return 3;
  }
  got = backing_gc_cycle(s);
  rc = backing_check(s);
  if (got != want || rc != 0)
    printf("  child: cycle freed %llu, want %llu; check %s\n", ULL(got), ULL(want), err_name(rc));
  backing_close(s);
  return got == want && rc == 0 ? 0 : 1;
}

TEST(gc_state_survives_reopen) {
  backing_config c = mmap_cfg(test_dir(), "gc", 64 * KIB);
  backing *s = OPEN(&c);
  struct gc_dtor_log log;
  enum { N = 6 };
  backing_addr b[N];
  uint32_t cnt[N], typ[N], age[N];
  uint64_t sz[N], want;
  char num[32];
  int i, st;
  if (!s) return;
  memset(&log, 0, sizeof log);
  b[0] = backing_gc_alloc(s, 64, 11, 3);    /* referenced */
  b[1] = backing_gc_alloc(s, 128, 12, 0);   /* will be age 1 */
  b[4] = backing_gc_alloc(s, 40000, 15, 2); /* another arena, referenced */
  b[5] = backing_gc_alloc(s, 20000, 16, 0); /* will be age 1 */
  GC_CYCLE_EQ(s, 0);
  b[2] = backing_gc_alloc(s, 5000, 13, 0); /* age 0 */
  b[3] = backing_gc_alloc(s, 48, 14, 1);   /* reaches 0 now: age 0 */
  CHECK_EQ(backing_gc_unref(s, b[3]), 0);
  for (i = 0; i < N; i++) {
    if (!CHECK(b[i] != 0)) return;
    cnt[i] = backing_gc_refcount(s, b[i]);
    typ[i] = backing_gc_type(s, b[i]);
    age[i] = backing_gc_age(s, b[i]);
    sz[i] = backing_gc_sizeof(s, b[i]);
    fill_pattern(backing_ptr(s, b[i]), sz[i], 500 + (uint64_t)i);
  }
  CHECK_EQ(age[1], 1);
  CHECK_EQ(age[5], 1);
  CHECK(gc_arena_of(s, b[4]) != gc_arena_of(s, b[0]));
  CHECK_OK(backing_root_set(s, "gc", b[0]));
  CHECK_CLOSE(s);

  s = OPEN(&c);
  if (!s) return;
  CHECK_STORE(s);
  CHECK_EQ(backing_root_get(s, "gc"), b[0]);
  for (i = 0; i < N; i++) {
    CHECK_EQ(backing_gc_refcount(s, b[i]), cnt[i]);
    CHECK_EQ(backing_gc_type(s, b[i]), typ[i]);
    CHECK_EQ(backing_gc_age(s, b[i]), age[i]);
    CHECK_EQ(backing_gc_sizeof(s, b[i]), sz[i]);
    CHECK_PATTERN(backing_ptr(s, b[i]), sz[i], 500 + (uint64_t)i);
  }
  CHECK_EQ(gc_waiting(s), 4);
  /* destructors are per handle: registered again here */
  CHECK_OK(backing_gc_on_free(s, 12, gc_dtor_record, &log));
  /* the ages go on: b[1] and b[5] (age 1, lifetime 2) go with the first cycle */
  GC_CYCLE_EQ(s, sz[1] + 16 + sz[5] + 16);
  CHECK_EQ(log.calls, 1);
  CHECK_EQ(log.last, b[1]);
  CHECK_GC_GONE(s, b[1]);
  CHECK_GC_GONE(s, b[5]);
  CHECK_GC(s, b[2], 0, 1);
  CHECK_GC(s, b[3], 0, 1);
  CLOSE(s);

  /* another process continues from the stored ages */
  want = sz[2] + 16 + sz[3] + 16;
  snprintf(num, sizeof num, "%llu", ULL(want));
  st = test_spawn_child("gc_cycle_once", test_dir(), num);
  CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status 0x%x", st);

  s = OPEN(&c);
  if (!s) return;
  CHECK_GC_GONE(s, b[2]);
  CHECK_GC_GONE(s, b[3]);
  CHECK_GC(s, b[0], 3, 0);
  CHECK_GC(s, b[4], 2, 0);
  CHECK_PATTERN(backing_ptr(s, b[0]), sz[0], 500);
  CHECK_PATTERN(backing_ptr(s, b[4]), sz[4], 504);
  CHECK_EQ(gc_waiting(s), 0);
  CHECK_CLOSE(s);
}

TEST(gc_read_only_handle_reads_but_changes_nothing) {
  backing_config c = mmap_cfg(test_dir(), "ro", 64 * KIB);
  backing *s = OPEN(&c);
  backing_addr a, w;
  if (!s) return;
  a = backing_gc_alloc(s, 64, 5, 2);
  w = backing_gc_alloc(s, 64, 6, 0);
  GC_CYCLE_EQ(s, 0);
  CLOSE(s);
  c.flags = BACKING_RDONLY;
  s = OPEN(&c);
  if (!s) return;
  CHECK_GC(s, a, 2, 0);
  CHECK_GC(s, w, 0, 1);
  CHECK_EQ(backing_gc_type(s, a), 5);
  CHECK_EQ(backing_gc_sizeof(s, a), 64);
  EXPECT_FAIL0(backing_gc_ref(s, a), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_gc_unref(s, a), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_gc_free(s, w), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_gc_alloc(s, 64, 0, 0), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_gc_calloc(s, 64, 0, 1), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_gc_cycle(s), BACKING_ERDONLY);
  EXPECT_FAIL0(backing_gc_step(s), BACKING_ERDONLY);
  CHECK_GC(s, a, 2, 0);
  CHECK_GC(s, w, 0, 1);
  CHECK_CLOSE(s);
}
